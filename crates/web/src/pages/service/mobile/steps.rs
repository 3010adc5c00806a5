//! The steps of a visit: accept, decline, the appointment, and the transitions (depart,
//! arrive, start, wait, resume).

use super::order::after_step;
use super::{Pairs, field, opt_f64, opt_text, version};
use crate::AppState;
use crate::extract::{Form, Path};
use crate::pages::service::wo_fmt;
use crate::shell::{PageError, WebUser};
use aftersales_app::{AppointmentInput, DeclineInput, PositionInput, TransitionInput};
use aftersales_domain::service::WoAction;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

pub async fn accept(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Form(p): Form<Pairs>,
) -> Result<Response, PageError> {
    let input = PositionInput {
        version: version(&p),
        latitude: opt_f64(&p, "latitude"),
        longitude: opt_f64(&p, "longitude"),
    };
    let res = s.app.accept_work_order(&u.ctx, &id, &input).await;
    after_step(&s, u, &id, &p, "next", "accept", "", res).await
}

pub async fn decline(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Form(p): Form<Pairs>,
) -> Result<Response, PageError> {
    let input = DeclineInput {
        version: version(&p),
        reason: field(&p, "reason").to_owned(),
    };
    let res = s.app.decline_work_order(&u.ctx, &id, &input).await;
    // A declined order is no longer the engineer's: always back to the list.
    match res {
        Ok(v) => Ok(
            crate::shell::redirect(&format!("/m?done=decline&number={}", v.number)).into_response(),
        ),
        Err(e) => after_step(&s, u, &id, &p, "decline", "decline", "", Err(e)).await,
    }
}

/// `2026-11-30` and `09:00` (as `crate::when` reads them) in the service's zone as an
/// instant; empty when no time is given, else as typed (the use-case names the field).
pub(super) fn local_instant(date: &str, hm: &str) -> String {
    let (Some(d), Some(t)) = (crate::when::date(date), crate::when::time(hm)) else {
        // Nothing typed is "required"; anything else goes as typed, so the use-case
        // refuses it as not a time (beside the field) rather than as missing.
        if hm.trim().is_empty() {
            return String::new();
        }
        return format!("{} {}", date.trim(), hm.trim()).trim().to_owned();
    };
    d.to_datetime(t)
        .to_zoned(wo_fmt::tz())
        .map(|z| z.timestamp().to_string())
        .unwrap_or_default()
}

pub async fn appointment(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Form(p): Form<Pairs>,
) -> Result<Response, PageError> {
    let date = field(&p, "date");
    let input = AppointmentInput {
        version: version(&p),
        starts_at: local_instant(date, field(&p, "start")),
        ends_at: local_instant(date, field(&p, "end")),
        reason: opt_text(&p, "reason"),
        customer_agreed: !field(&p, "customer_agreed").is_empty(),
    };
    let res = s.app.set_appointment(&u.ctx, &id, &input).await;
    after_step(&s, u, &id, &p, "appointment", "appointment", "", res).await
}

pub async fn transition(
    State(s): State<AppState>,
    u: WebUser,
    Path(id): Path<String>,
    Form(p): Form<Pairs>,
) -> Result<Response, PageError> {
    let action = field(&p, "action").trim().to_owned();
    let input = TransitionInput {
        version: version(&p),
        action: action.clone(),
        wait_reason: opt_text(&p, "wait_reason"),
        reason: opt_text(&p, "reason"),
        latitude: opt_f64(&p, "latitude"),
        longitude: opt_f64(&p, "longitude"),
    };
    let res = s.app.transition_work_order(&u.ctx, &id, &input).await;
    let step = WoAction::parse(&action);
    let form = if step == Some(WoAction::Wait) {
        "wait"
    } else {
        "next"
    };
    let anchor = if step == Some(WoAction::Start) {
        "#record"
    } else {
        ""
    };
    after_step(&s, u, &id, &p, form, &action, anchor, res).await
}
