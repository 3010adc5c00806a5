//! The engineer's van on the phone (`/m/van`, 我的车载库): what the van holds; and the issue
//! of a part from the van to a work order, posted from the job's page
//! (`POST /m/orders/{id}/issue`), answered by the job's page with the result or the
//! refusal beside the form.

use super::BalanceRow;
use crate::AppState;
use crate::extract::{Form, Path};
use crate::pages::service::mobile::{OrderState, StepError, order_page};
use crate::shell::{FormErrors, PageError, Shell, WebUser};
use aftersales_app::{AppError, BalanceQuery, NewMove};
use aftersales_domain::Permission;
use aftersales_domain::parts::{LocationKind, MoveKind};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Template, WebTemplate)]
#[template(path = "parts/m_van.html")]
pub struct VanPage {
    pub shell: Shell,
    /// The van's code and name; `None` when the engineer has no van.
    pub van: Option<(String, String)>,
    pub rows: Vec<BalanceRow>,
}

pub async fn van(State(s): State<AppState>, u: WebUser) -> Result<Response, PageError> {
    u.ctx.require(Permission::FieldWork)?;
    let tr = u.tr();
    let me = u.actor.id.to_string();
    let van = s
        .app
        .stock_locations(&u.ctx)
        .await?
        .into_iter()
        .find(|l| l.kind == LocationKind::Van && l.active && l.user_id.as_deref() == Some(&me));
    let rows = match &van {
        Some(v) => {
            let q = BalanceQuery {
                location: Some(v.code.clone()),
                part: None,
                low: false,
            };
            s.app
                .stock_balances(&u.ctx, &q)
                .await?
                .iter()
                .map(|b| BalanceRow::of(b, tr))
                .collect()
        }
        None => Vec::new(),
    };
    let p = VanPage {
        van: van.map(|v| (v.code, v.name)),
        rows,
        shell: u.shell,
    };
    Ok(p.into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct IssueForm {
    pub part: String,
    pub qty: String,
}

pub async fn issue(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Form(f): Form<IssueForm>,
) -> Result<Response, PageError> {
    u.ctx.require(Permission::FieldWork)?;
    let tr = u.tr();
    let wo = s.app.get_work_order(&u.ctx, &id).await?;
    let input = NewMove {
        kind: MoveKind::Issue.as_str().to_owned(),
        part: f.part.trim().to_owned(),
        condition: None,
        qty: serde_json::Value::String(f.qty.trim().to_owned()),
        from: None,
        to: None,
        unit_cost_fen: None,
        serial: None,
        work_order: Some(wo.number.clone()),
        reference: None,
        reason: None,
        note: None,
    };
    let refusal = match s.app.post_move(&u.ctx, &input).await {
        Ok(_) => {
            // Reload-safe: the job's page says it was issued (`engineer.done.issued`).
            let target = format!("/m/orders/{}?done=issued#issue", wo.number);
            return Ok(crate::shell::redirect(&target).into_response());
        }
        Err(AppError::Validation(e) | AppError::FieldConflict(e)) => StepError {
            form: "issue".into(),
            message: tr.t("van.refused").to_owned(),
            fields: FormErrors::from_fields(&e, tr),
        },
        Err(AppError::InsufficientStock { on_hand }) => {
            let msg = tr.f("stock.insufficient", &[("on_hand", &on_hand)]);
            let mut fields = FormErrors::default();
            fields.0.insert("qty".into(), msg.clone());
            StepError {
                form: "issue".into(),
                message: msg,
                fields,
            }
        }
        Err(e) => return Err(e.into()),
    };
    let status = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    let mut st = OrderState::plain(None);
    st.error = Some(refusal);
    st.typed = BTreeMap::from([("part".to_owned(), f.part), ("qty".to_owned(), f.qty)]);
    let page = order_page(&s, u, &id, st).await?;
    Ok((status, page).into_response())
}
