//! The "打印标签 / Print labels" buttons of the pages (docs/labels.md): the same sheets as
//! the API, for a signed-in browser, in the page's language.

use crate::AppState;
use crate::api::labels::{flag, label_print, number, single, values};
use crate::extract::{AppQuery, Path};
use crate::shell::{PageError, WebUser};
use aftersales_domain::Permission;
use axum::extract::State;
use axum::response::Response;

/// `/parts/labels.pdf?part=…&copies=…`
pub async fn parts(
    State(s): State<AppState>,
    u: WebUser,
    AppQuery(q): AppQuery<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    u.ctx.require(Permission::PartsRead)?;
    let copies = number(&q, "copies")?;
    let pdf = s
        .app
        .part_labels(
            &u.ctx,
            &label_print(&s, u.shell.tr.locale),
            &values(&q, "part"),
            copies,
        )
        .await?;
    Ok(crate::records::pdf_response("part-labels", pdf))
}

/// `/stock/locations/{code}/labels.pdf?bin=…&parts=…`
pub async fn location(
    State(s): State<AppState>,
    u: WebUser,
    Path(code): Path<String>,
    AppQuery(q): AppQuery<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    u.ctx.require(Permission::StockRead)?;
    let bin = single(&q, "bin")?.filter(|b| !b.trim().is_empty());
    let parts = flag(&q, "parts")?.unwrap_or(true);
    let pdf = s
        .app
        .location_labels(
            &u.ctx,
            &label_print(&s, u.shell.tr.locale),
            &code,
            bin.as_deref(),
            parts,
        )
        .await?;
    Ok(crate::records::pdf_response("location-labels", pdf))
}

/// `/loaners/labels.pdf?id=…` (none: every loaner the reader sees).
pub async fn loaners(
    State(s): State<AppState>,
    u: WebUser,
    AppQuery(q): AppQuery<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    u.ctx.require(Permission::LoanersRead)?;
    let pdf = s
        .app
        .loaner_labels(
            &u.ctx,
            &label_print(&s, u.shell.tr.locale),
            &values(&q, "id"),
        )
        .await?;
    Ok(crate::records::pdf_response("loaner-labels", pdf))
}
