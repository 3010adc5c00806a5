//! Imports (CSV/XLSX → customers, units, products) and exports (every list → XLSX/CSV).

use crate::AppState;
use crate::extract::Path;
use crate::extract::{ApiCtx, AppQuery};
use crate::i18n::Tr;
use crate::io::{self, FileFormat};
use crate::problem::{ApiError, ProblemField, problem, problem_response};
use aftersales_app::{
    AuditQuery, ContractQuery, ExportFilter, ExportList, ImportAction, ImportKind, ImportMode,
    ImportReport, UnitQuery, UserQuery,
};
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `dry_run` (the default: check, write nothing), `strict` (all rows or none) or
    /// `lenient` (the good rows; the bad ones as a file).
    #[param(value_type = Option<ImportMode>)]
    pub mode: Option<String>,
    /// Parts and suppliers: `create` (the default: a key on file is a row error), `update`
    /// (records on file only) or `upsert`. The other kinds only create.
    #[param(value_type = Option<ImportAction>)]
    pub action: Option<String>,
    /// The sheet of a workbook to read (the first when absent).
    #[param(max_length = 100)]
    pub sheet: Option<String>,
    /// For a raw body: a JSON object mapping file headers to fields, e.g.
    /// `{"手机":"phone","公司":null}` (null or "" skips a column). A multipart upload
    /// sends it as the `mapping` part.
    #[param(max_length = 20000)]
    pub mapping: Option<String>,
    /// For a raw body: the file's name, kept with the batch.
    #[param(max_length = 200)]
    pub file_name: Option<String>,
}

/// The parts of a multipart import upload.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ImportUpload {
    /// The CSV, Excel (XLSX, XLS) or OpenDocument (ODS) file.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// JSON object: file header → field (null or "" skips the column).
    #[schema(value_type = Option<Object>)]
    mapping: Option<std::collections::HashMap<String, Option<String>>>,
    /// The sheet of a workbook.
    sheet: Option<String>,
}

/// A file (CSV or XLSX).
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
pub struct SpreadsheetFile(Vec<u8>);

async fn import(
    s: AppState,
    c: ApiCtx,
    kind: ImportKind,
    q: ImportQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let tr = Tr::new(c.locale);
    s.app.check_import(&c.ctx, kind)?;
    let mode = io::parse_mode(q.mode.as_deref())?;
    crate::api::not_empty(&[("action", q.action.as_deref(), "invalid_choice")])?;
    let action = match q.action.as_deref() {
        None => ImportAction::Create,
        Some(a) => ImportAction::parse(a.trim()).ok_or_else(|| {
            aftersales_app::AppError::invalid(aftersales_domain::FieldError::new(
                "action",
                "invalid_choice",
            ))
        })?,
    };
    // The query's limits, as the schema states them.
    for (field, value, max) in [
        ("sheet", q.sheet.as_deref(), 100),
        ("file_name", q.file_name.as_deref(), 200),
        ("mapping", q.mapping.as_deref(), 20_000),
    ] {
        if value.is_some_and(|v| v.chars().count() > max) {
            return Err(ApiError::from(aftersales_app::AppError::invalid(
                aftersales_domain::FieldError::new(field, "too_long").with("max", max as i64),
            )));
        }
    }
    let up = io::read_upload(&headers, body).await?;
    let mapping = io::parse_mapping(
        up.fields
            .get("mapping")
            .map(String::as_str)
            .or(q.mapping.as_deref()),
    )?;
    let sheet = up.fields.get("sheet").cloned().or(q.sheet);
    let mut req = io::request(kind, mode, up, q.file_name, sheet, mapping);
    req.action = action;
    let mut report = s.app.import(&c.ctx, &req).await?;
    io::localize(&mut report, tr);
    if mode == ImportMode::Strict && report.batch_id.is_none() {
        return Ok(rejected(&report, tr, c.ctx.request_id.clone()));
    }
    let status = if report.batch_id.is_some() {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(report)).into_response())
}

/// A strict import with bad rows: 422, every row error in `errors`, nothing written.
fn rejected(report: &ImportReport, tr: Tr, rid: Option<String>) -> Response {
    let mut p = problem(StatusCode::UNPROCESSABLE_ENTITY, "import_rejected", tr, rid);
    p.detail = tr.f(
        "io.rejected_detail",
        &[
            ("invalid", &report.invalid_rows.to_string()),
            ("total", &report.total_rows.to_string()),
        ],
    );
    p.errors = report
        .errors
        .iter()
        .map(|e| ProblemField {
            field: e.field.clone(),
            code: e.code.clone(),
            message: e.message.clone(),
            row: Some(e.row),
            column: e.column.clone(),
        })
        .collect();
    problem_response(p)
}

macro_rules! import_route {
    ($name:ident, $kind:expr, $path:literal, $what:literal) => {
        #[doc = concat!("Import ", $what, " from a CSV, Excel or ODS file (multipart `file`, or the raw body).")]
        ///
        /// `dry_run` answers 200 with the report and writes nothing; `strict` answers 201
        /// when every row was imported, else 422 `import_rejected` with each row's errors
        /// and writes nothing; `lenient` answers 201 with the report, and the rejected rows
        /// are at `/api/v1/imports/{batch_id}/rejects`.
        #[utoipa::path(post, path = $path, tag = "imports", params(ImportQuery),
            request_body(description = "The file: multipart/form-data with a `file` part, or the file itself as the body.",
                content((ImportUpload = "multipart/form-data"), (String = "text/csv"),
                    (SpreadsheetFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
            responses(
                (status = 200, description = "Dry run: the report; nothing written.", body = ImportReport),
                (status = 201, description = "Imported (lenient: the good rows).", body = ImportReport),
                (status = 413, description = "The file is too large (`file_too_large`: 20 MiB; `too_many_rows`: 50,000 rows; `too_many_columns`: 200 columns; `workbook_expands`: more than 512 MiB unpacked).", body = crate::problem::Problem, content_type = "application/problem+json"),
                (status = 415, description = "Not a CSV, Excel or OpenDocument spreadsheet (`unsupported_file_type`, `unsupported_media_type`).", body = crate::problem::Problem, content_type = "application/problem+json"),
                (status = 422, description = "A strict import with bad rows (`import_rejected`, `errors` per row), an unreadable file (`empty_file`, `no_header`, `no_data_rows`, `unknown_encoding`, `unreadable_file`, `sheet_not_found`), or a bad mapping.", body = crate::problem::Problem, content_type = "application/problem+json"),
            ))]
        pub async fn $name(
            State(s): State<AppState>,
            c: ApiCtx,
            AppQuery(q): AppQuery<ImportQuery>,
            headers: HeaderMap,
            body: Body,
        ) -> Result<Response, ApiError> {
            import(s, c, $kind, q, headers, body).await
        }
    };
}

import_route!(
    import_customers,
    ImportKind::Customers,
    "/api/v1/imports/customers",
    "customers"
);
import_route!(
    import_units,
    ImportKind::Units,
    "/api/v1/imports/units",
    "units"
);
import_route!(
    import_products,
    ImportKind::Products,
    "/api/v1/imports/products",
    "product models"
);
import_route!(
    import_parts,
    ImportKind::Parts,
    "/api/v1/imports/parts",
    "parts of the catalog (`action`: create, update or upsert; docs/parts.md)"
);
import_route!(
    import_suppliers,
    ImportKind::Suppliers,
    "/api/v1/imports/suppliers",
    "suppliers of parts (`action`: create, update or upsert)"
);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatQuery {
    /// `xlsx` (default) or `csv` (UTF-8 with a byte-order mark).
    #[param(inline, value_type = Option<crate::api::administration::io::FormatName>)]
    pub format: Option<String>,
}

/// File formats of exports.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum FormatName {
    Xlsx,
    Csv,
}

/// The rejected rows of a lenient import, with an error column, as XLSX or CSV.
#[utoipa::path(get, path = "/api/v1/imports/{id}/rejects", tag = "imports",
    params(("id" = String, Path, description = "The import batch (`batch_id` of the report)"), FormatQuery),
    responses((status = 200, description = "The file.", content(
        (SpreadsheetFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (String = "text/csv")))))]
pub async fn rejects(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    AppQuery(q): AppQuery<FormatQuery>,
) -> Result<Response, ApiError> {
    let format = FileFormat::parse(q.format.as_deref())?;
    let r = s.app.import_rejects(&c.ctx, &id).await?;
    Ok(io::rejects_file(r, format, Tr::new(c.locale))?)
}

async fn export(
    s: AppState,
    c: ApiCtx,
    list: ExportList,
    format: Option<String>,
    filter: ExportFilter,
) -> Result<Response, ApiError> {
    // The permission first: a refused caller learns nothing about the format.
    c.ctx.require(list.permission())?;
    let format = FileFormat::parse(format.as_deref())?;
    Ok(io::export(
        s.app.clone(),
        c.ctx.clone(),
        list,
        filter,
        format,
        Tr::new(c.locale),
    )
    .await?)
}

macro_rules! plain_export {
    ($name:ident, $list:expr, $path:literal, $what:literal) => {
        #[doc = concat!("Export ", $what, " as XLSX or CSV (headers in the caller's language).")]
        #[utoipa::path(get, path = $path, tag = "exports", params(FormatQuery),
            responses((status = 200, description = "The file.", content(
                (SpreadsheetFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                (String = "text/csv")))))]
        pub async fn $name(
            State(s): State<AppState>,
            c: ApiCtx,
            AppQuery(q): AppQuery<FormatQuery>,
        ) -> Result<Response, ApiError> {
            export(s, c, $list, q.format, ExportFilter::default()).await
        }
    };
}

plain_export!(
    export_customers,
    ExportList::Customers,
    "/api/v1/exports/customers",
    "all customers"
);
plain_export!(
    export_products,
    ExportList::Products,
    "/api/v1/exports/products",
    "the product models"
);
plain_export!(
    export_policies,
    ExportList::WarrantyPolicies,
    "/api/v1/exports/warranty-policies",
    "the warranty policies (one row per version)"
);
plain_export!(
    export_parts,
    ExportList::Parts,
    "/api/v1/exports/parts",
    "the parts catalog (read back by `POST /api/v1/imports/parts`)"
);
plain_export!(
    export_suppliers,
    ExportList::Suppliers,
    "/api/v1/exports/suppliers",
    "the suppliers of parts (read back by `POST /api/v1/imports/suppliers`)"
);
plain_export!(
    export_org_units,
    ExportList::OrgUnits,
    "/api/v1/exports/org-units",
    "the organization units the caller may see"
);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnitExportQuery {
    #[param(inline, value_type = Option<FormatName>)]
    pub format: Option<String>,
    /// The start of a serial (separators and case do not matter).
    #[param(max_length = 64)]
    pub serial: Option<String>,
    /// A product model's code.
    pub product: Option<String>,
    #[param(value_type = Option<String>, format = Uuid)]
    pub customer_id: Option<String>,
}

/// Export units as XLSX or CSV, with the filters of `GET /api/v1/units`.
#[utoipa::path(get, path = "/api/v1/exports/units", tag = "exports", params(UnitExportQuery),
    responses((status = 200, description = "The file.", content(
        (SpreadsheetFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (String = "text/csv")))))]
pub async fn export_units(
    State(s): State<AppState>,
    c: ApiCtx,
    AppQuery(q): AppQuery<UnitExportQuery>,
) -> Result<Response, ApiError> {
    let filter = ExportFilter {
        units: UnitQuery {
            serial: q.serial,
            product: q.product,
            customer_id: q.customer_id,
            ..UnitQuery::default()
        },
        ..ExportFilter::default()
    };
    export(s, c, ExportList::Units, q.format, filter).await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContractExportQuery {
    #[param(inline, value_type = Option<FormatName>)]
    pub format: Option<String>,
    #[param(value_type = Option<String>, format = Uuid)]
    pub customer_id: Option<String>,
    /// Only contracts ending within this many days from today.
    #[param(minimum = 0, maximum = 3650)]
    pub expiring_within_days: Option<i64>,
}

/// Export service contracts as XLSX or CSV, with the filters of `GET /api/v1/contracts`.
#[utoipa::path(get, path = "/api/v1/exports/contracts", tag = "exports", params(ContractExportQuery),
    responses((status = 200, description = "The file.", content(
        (SpreadsheetFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (String = "text/csv")))))]
pub async fn export_contracts(
    State(s): State<AppState>,
    c: ApiCtx,
    AppQuery(q): AppQuery<ContractExportQuery>,
) -> Result<Response, ApiError> {
    let filter = ExportFilter {
        contracts: ContractQuery {
            customer_id: q.customer_id,
            expiring_within_days: q.expiring_within_days,
            ..ContractQuery::default()
        },
        ..ExportFilter::default()
    };
    export(s, c, ExportList::Contracts, q.format, filter).await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserExportQuery {
    #[param(inline, value_type = Option<FormatName>)]
    pub format: Option<String>,
    /// Part of the user name or display name.
    pub q: Option<String>,
    #[param(value_type = Option<aftersales_app::schema::RoleName>)]
    pub role: Option<String>,
    pub include_disabled: Option<bool>,
}

/// Export users as XLSX or CSV, with the filters of `GET /api/v1/users`.
#[utoipa::path(get, path = "/api/v1/exports/users", tag = "exports", params(UserExportQuery),
    responses((status = 200, description = "The file.", content(
        (SpreadsheetFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (String = "text/csv")))))]
pub async fn export_users(
    State(s): State<AppState>,
    c: ApiCtx,
    AppQuery(q): AppQuery<UserExportQuery>,
) -> Result<Response, ApiError> {
    let filter = ExportFilter {
        users: UserQuery {
            q: q.q,
            role: q.role,
            include_disabled: q.include_disabled,
            ..UserQuery::default()
        },
        ..ExportFilter::default()
    };
    export(s, c, ExportList::Users, q.format, filter).await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditExportQuery {
    #[param(inline, value_type = Option<FormatName>)]
    pub format: Option<String>,
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub actor: Option<String>,
    pub action: Option<String>,
    /// From this instant (inclusive, RFC 3339).
    /// Years 2000–2100 (as written); an instant needs a UTC offset from −12:00 to +14:00.
    #[param(value_type = Option<String>, format = DateTime, pattern = r"^(20[0-9]{2}|2100)-")]
    #[serde(default, deserialize_with = "aftersales_app::schema::bounded_instant")]
    pub from: Option<jiff::Timestamp>,
    /// Until this instant (exclusive, RFC 3339).
    /// Years 2000–2100 (as written); an instant needs a UTC offset from −12:00 to +14:00.
    #[param(value_type = Option<String>, format = DateTime, pattern = r"^(20[0-9]{2}|2100)-")]
    #[serde(default, deserialize_with = "aftersales_app::schema::bounded_instant")]
    pub to: Option<jiff::Timestamp>,
}

/// Export the audit trail as XLSX or CSV, newest first, with the filters of
/// `GET /api/v1/audit`.
#[utoipa::path(get, path = "/api/v1/exports/audit", tag = "exports", params(AuditExportQuery),
    responses((status = 200, description = "The file.", content(
        (SpreadsheetFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (String = "text/csv")))))]
pub async fn export_audit(
    State(s): State<AppState>,
    c: ApiCtx,
    AppQuery(q): AppQuery<AuditExportQuery>,
) -> Result<Response, ApiError> {
    let filter = ExportFilter {
        audit: AuditQuery {
            entity: q.entity,
            entity_id: q.entity_id,
            actor: q.actor,
            action: q.action,
            from: q.from,
            to: q.to,
            ..AuditQuery::default()
        },
        ..ExportFilter::default()
    };
    export(s, c, ExportList::Audit, q.format, filter).await
}
