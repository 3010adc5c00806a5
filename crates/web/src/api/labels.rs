//! Printable labels (issue 14 point 9, docs/labels.md): part, bin and loaner labels as an
//! A4 PDF sheet, in the reader's language (`Accept-Language`).

use crate::AppState;
use crate::extract::Path;
use crate::extract::{ApiCtx, AppQuery};
use crate::problem::ApiError;
use aftersales_app::{AppError, LabelPrint};
use aftersales_domain::{FieldError, Locale};
use axum::extract::State;
use axum::response::Response;

/// What `GET /api/v1/parts/labels` takes (documentation; read from the raw pairs).
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct PartLabelsQuery {
    /// A part number; repeat for several parts (1 to 100).
    #[param(inline, min_items = 1, max_items = 100, style = Form, explode,
        value_type = Vec<aftersales_app::schema::PartNumberText>)]
    pub part: Vec<String>,
    /// Labels of each part (default 1); at most 240 labels in all.
    #[param(minimum = 1, maximum = 24)]
    pub copies: Option<i64>,
}

/// What `GET /api/v1/stock/locations/{code}/labels` takes.
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct LocationLabelsQuery {
    /// A bin within the location (shelf, row…), printed and encoded as `CODE/BIN`.
    #[param(min_length = 1, max_length = 24, pattern = r"^[A-Za-z0-9-]{1,24}$")]
    pub bin: Option<String>,
    /// Also a label per part held there (default true).
    pub parts: Option<bool>,
}

/// What `GET /api/v1/loaners/labels` takes.
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct LoanerLabelsQuery {
    /// A loaner's id; repeat for several (up to 100). None: every loaner the caller sees.
    #[param(max_items = 100, style = Form, explode, value_type = Option<Vec<String>>, format = Uuid)]
    pub id: Vec<String>,
}

/// The language and author of a sheet for this reader.
pub(crate) fn label_print(s: &AppState, locale: Locale) -> LabelPrint {
    LabelPrint {
        locale,
        author: s
            .cfg
            .company_name
            .clone()
            .unwrap_or_else(|| crate::i18n::Tr::new(locale).t("app.name").to_owned()),
    }
}

/// The values of `key`, and refuses keys given twice that take one value.
pub(crate) fn values(pairs: &[(String, String)], key: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .collect()
}

pub(crate) fn single(pairs: &[(String, String)], key: &str) -> Result<Option<String>, AppError> {
    let mut v = values(pairs, key);
    match v.len() {
        0 => Ok(None),
        1 => Ok(v.pop()),
        _ => Err(AppError::invalid(FieldError::new(key, "repeated"))),
    }
}

pub(crate) fn number(pairs: &[(String, String)], key: &str) -> Result<Option<i64>, AppError> {
    single(pairs, key)?
        .map(|v| {
            v.trim()
                .parse::<i64>()
                .map_err(|_| AppError::invalid(FieldError::new(key, "invalid_number")))
        })
        .transpose()
}

pub(crate) fn flag(pairs: &[(String, String)], key: &str) -> Result<Option<bool>, AppError> {
    single(pairs, key)?
        .map(|v| match v.trim() {
            "true" | "1" => Ok(true),
            "false" | "0" => Ok(false),
            _ => Err(AppError::invalid(FieldError::new(key, "invalid_choice"))),
        })
        .transpose()
}

/// Labels for chosen parts, `copies` of each: QR code = part number.
#[utoipa::path(get, path = "/api/v1/parts/labels", tag = "parts", params(PartLabelsQuery),
    responses(
        (status = 200, description = "An A4 PDF of labels (3 × 8 of 70 × 37 mm).", content((String = "application/pdf"))),
        (status = 404, description = "No such part (`not_found`).", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "No part, an empty or too long part number, copies outside 1 to 24, more than 240 labels.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn part_labels(
    State(s): State<AppState>,
    c: ApiCtx,
    AppQuery(q): AppQuery<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    c.ctx.require(aftersales_domain::Permission::PartsRead)?;
    let parts = values(&q, "part");
    let copies = number(&q, "copies")?;
    let pdf = s
        .app
        .part_labels(&c.ctx, &label_print(&s, c.locale), &parts, copies)
        .await?;
    Ok(crate::records::pdf_response("part-labels", pdf))
}

/// A stock location's bin label (QR code = location code, or `CODE/BIN`) and one label per
/// part with stock there.
#[utoipa::path(get, path = "/api/v1/stock/locations/{code}/labels", tag = "stock",
    params(("code" = String, Path, description = "Location code", max_length = 32), LocationLabelsQuery),
    responses(
        (status = 200, description = "An A4 PDF of labels.", content((String = "application/pdf"))),
        (status = 404, description = "No such location, or not one the caller reads.", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad bin, or more than 240 labels (print part labels instead).", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn location_labels(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(code): Path<String>,
    AppQuery(q): AppQuery<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    c.ctx.require(aftersales_domain::Permission::StockRead)?;
    let bin = single(&q, "bin")?;
    let parts = flag(&q, "parts")?.unwrap_or(true);
    let pdf = s
        .app
        .location_labels(
            &c.ctx,
            &label_print(&s, c.locale),
            &code,
            bin.as_deref(),
            parts,
        )
        .await?;
    Ok(crate::records::pdf_response("location-labels", pdf))
}

/// Labels for chosen loaners, or all the caller sees: QR code = serial.
#[utoipa::path(get, path = "/api/v1/loaners/labels", tag = "loaners", params(LoanerLabelsQuery),
    responses(
        (status = 200, description = "An A4 PDF of labels.", content((String = "application/pdf"))),
        (status = 404, description = "No such loaner in the caller's scope.", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "None chosen and none in the caller's scope (`no_loaners`).", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "An empty or malformed id, more than 100 ids or 240 labels.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn loaner_labels(
    State(s): State<AppState>,
    c: ApiCtx,
    AppQuery(q): AppQuery<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    c.ctx.require(aftersales_domain::Permission::LoanersRead)?;
    let ids = values(&q, "id");
    let pdf = s
        .app
        .loaner_labels(&c.ctx, &label_print(&s, c.locale), &ids)
        .await?;
    Ok(crate::records::pdf_response("loaner-labels", pdf))
}
