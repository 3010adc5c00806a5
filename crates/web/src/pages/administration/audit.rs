//! The audit trail: who changed what and when, filtered by entity, actor, action and days.

use crate::AppState;
use crate::extract::Query;
use crate::shell::{PageError, Shell, WebUser};
use aftersales_app::{AppError, AuditQuery, AuditView};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

#[derive(Template, WebTemplate)]
#[template(path = "administration/audit.html")]
pub struct AuditPage {
    pub shell: Shell,
    pub items: Vec<AuditView>,
    pub q: AuditQueryForm,
    pub next_url: Option<String>,
    pub error: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct AuditQueryForm {
    pub entity: String,
    pub actor: String,
    pub action: String,
    /// First day shown, `YYYY-MM-DD` in the site's time zone.
    pub from: String,
    /// Last day shown (inclusive).
    pub to: String,
    pub cursor: String,
}

/// The start of a calendar day in the site's zone, for date filters.
fn day_start(s: &str, next: bool) -> Result<Option<jiff::Timestamp>, ()> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let d: jiff::civil::Date = s.parse().map_err(|_| ())?;
    let d = if next {
        d.tomorrow().map_err(|_| ())?
    } else {
        d
    };
    let tz = crate::site::get().tz().clone();
    d.to_zoned(tz).map(|z| Some(z.timestamp())).map_err(|_| ())
}

pub async fn audit(
    State(s): State<AppState>,
    u: WebUser,
    Query(f): Query<AuditQueryForm>,
) -> Result<Response, PageError> {
    let (Ok(from), Ok(to)) = (day_start(&f.from, false), day_start(&f.to, true)) else {
        let error = Some(u.tr().t_error("invalid_query"));
        return Ok(AuditPage {
            shell: u.shell,
            items: Vec::new(),
            q: f,
            next_url: None,
            error,
        }
        .into_response());
    };
    let q = AuditQuery {
        from,
        to,
        entity: Some(f.entity.clone()),
        actor: Some(f.actor.clone()),
        action: Some(f.action.clone()),
        cursor: Some(f.cursor.clone()),
        ..Default::default()
    };
    let (items, next, error) = match s.app.list_audit(&u.ctx, &q).await {
        Ok(p) => (p.items, p.next_cursor, None),
        Err(AppError::Validation(_)) => (Vec::new(), None, Some(u.tr().t_error("invalid_query"))),
        Err(e) => return Err(e.into()),
    };
    let next_url = next.map(|c| {
        format!(
            "/admin/audit?entity={}&actor={}&action={}&from={}&to={}&cursor={}",
            crate::shell::encode_component(&f.entity),
            crate::shell::encode_component(&f.actor),
            crate::shell::encode_component(&f.action),
            crate::shell::encode_component(&f.from),
            crate::shell::encode_component(&f.to),
            c
        )
    });
    Ok(AuditPage {
        shell: u.shell,
        items,
        q: f,
        next_url,
        error,
    }
    .into_response())
}
