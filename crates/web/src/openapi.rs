//! The OpenAPI 3.1 document, generated from the handlers' annotations. Error answers are
//! the same for every operation, so they are added here in one place rather than repeated
//! on each handler.

use crate::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use utoipa::Modify;
use utoipa::openapi::schema::{ArrayItems, Schema, SchemaType, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, OpenApi, Ref, RefOr, ResponseBuilder};

#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "aftersales API", description = "After-sales service management. Errors are RFC 9457 problem+json with a stable `code`; lists use cursor pagination; creating POSTs accept `Idempotency-Key`; edits carry `version` and answer 409 when stale."),
    components(schemas(crate::problem::Problem, crate::problem::ProblemField)),
    modifiers(&Conventions)
)]
pub struct ApiDoc;

struct Conventions;

fn problem_response(desc: &str) -> RefOr<utoipa::openapi::Response> {
    ResponseBuilder::new()
        .description(desc)
        .content(
            "application/problem+json",
            Content::new(Some(Ref::from_schema_name("Problem"))),
        )
        .into()
}

impl Modify for Conventions {
    fn modify(&self, doc: &mut OpenApi) {
        let comps = doc.components.get_or_insert_with(Default::default);
        comps.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Adds the error answers every operation can give, and the bearer requirement to every
/// operation except signing in. Runs after all routes are collected.
pub fn finish(doc: &mut OpenApi) {
    use utoipa::openapi::security::SecurityRequirement;
    for (path, item) in doc.paths.paths.iter_mut() {
        // Signing in, and device alarms (signed with a shared secret instead of a token).
        let public = path == "/api/v1/auth/login" || path == "/api/v1/alarms";
        for op in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            let has_body = op.request_body.is_some();
            let has_params = op.parameters.as_ref().is_some_and(|p| !p.is_empty());
            let mut add = |code: &str, desc: &str| {
                op.responses
                    .responses
                    .entry(code.to_owned())
                    .or_insert_with(|| problem_response(desc));
            };
            add("400", "Malformed request (bad JSON or query string).");
            if !public {
                add(
                    "401",
                    "Not signed in, or the token is unknown, expired or revoked.",
                );
                add(
                    "403",
                    "Signed in, but the role or organization scope does not allow this.",
                );
            }
            if path.contains('{') {
                add("404", "No such record (or not visible to the caller).");
            }
            if has_body {
                add("415", "The body is not JSON.");
                add(
                    "409",
                    "Well-formed, but the current state refuses it (`errors` names the fields).",
                );
            }
            if has_body || has_params {
                add(
                    "422",
                    "Invalid input: `errors` lists each field with its code and message.",
                );
            }
            if has_params {
                add(
                    "414",
                    "The query string is longer than the server reads (16 KiB).",
                );
            }
            // A query parameter that carries JSON (an import's column mapping) is described
            // as JSON content, so clients send (and fuzzers generate) a JSON object.
            for p in op.parameters.iter_mut().flatten() {
                let utoipa::openapi::RefOr::T(p) = p else {
                    continue;
                };
                if p.name == "mapping" {
                    p.schema = None;
                    p.content.insert(
                        "application/json".into(),
                        utoipa::openapi::RefOr::T(utoipa::openapi::Content::new(Some(
                            json_mapping_schema(),
                        ))),
                    );
                }
            }
            add(
                "500",
                "A fault of the server; the body carries no internals.",
            );
            if !public {
                op.security = Some(vec![SecurityRequirement::new(
                    "bearer",
                    Vec::<String>::new(),
                )]);
            }
            for p in op.parameters.iter_mut().flatten() {
                if let RefOr::T(p) = p
                    && let Some(RefOr::T(s)) = &mut p.schema
                {
                    no_nul(s);
                }
            }
            if let Some(RefOr::T(b)) = &mut op.request_body {
                for c in b.content.values_mut() {
                    if let RefOr::T(c) = c
                        && let Some(RefOr::T(s)) = &mut c.schema
                    {
                        no_nul(s);
                    }
                }
            }
        }
    }
    if let Some(c) = &mut doc.components {
        for s in c.schemas.values_mut() {
            if let RefOr::T(s) = s {
                no_nul(s);
            }
        }
    }
}

/// Text without NUL, which every string of the API refuses (422 `control_chars`: PostgreSQL
/// cannot store it): said once here for each free-text string (one without its own pattern,
/// choices or format), so the document and the server agree.
fn no_nul(s: &mut Schema) {
    match s {
        Schema::Object(o) => {
            let text = match &o.schema_type {
                SchemaType::Type(Type::String) => true,
                SchemaType::Array(t) => t.contains(&Type::String),
                _ => false,
            };
            if text && o.pattern.is_none() && o.enum_values.is_none() && o.format.is_none() {
                o.pattern = Some(r"^[^\u0000]*$".into());
            }
            for p in o.properties.values_mut() {
                if let RefOr::T(p) = p {
                    no_nul(p);
                }
            }
        }
        Schema::Array(a) => {
            if let ArrayItems::RefOrSchema(i) = &mut a.items
                && let RefOr::T(i) = i.as_mut()
            {
                no_nul(i);
            }
        }
        Schema::OneOf(x) => x.items.iter_mut().for_each(each),
        Schema::AllOf(x) => x.items.iter_mut().for_each(each),
        Schema::AnyOf(x) => x.items.iter_mut().for_each(each),
        _ => {}
    }
}

fn each(s: &mut RefOr<Schema>) {
    if let RefOr::T(s) = s {
        no_nul(s);
    }
}

/// A column mapping: file header → field name, or null to skip the column.
fn json_mapping_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, Type};
    let value = ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
            Type::String,
            Type::Null,
        ]))
        .max_length(Some(64));
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .max_properties(Some(200))
        .additional_properties(Some(AdditionalProperties::RefOr(
            utoipa::openapi::RefOr::T(value.into()),
        )))
        .into()
}

pub async fn serve(State(s): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        s.openapi_json.as_str().to_owned(),
    )
}
