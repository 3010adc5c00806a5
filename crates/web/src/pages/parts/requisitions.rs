//! Requisitions on the web (issue 14 point 10): the list (`/requisitions`) and one
//! requisition (`/requisitions/{number}`) with the warehouse's approve, reject and ship forms
//! and the receiver's count (fits 360 px: the engineer receives at the van on the phone).
//! The pages only call the app's use-cases; which form shows is a flag computed here.

use super::{at_text, parse_yuan, part_name, qty_text, yuan};
use crate::AppState;
use crate::extract::{Form, Path, Query};
use crate::shell::{FormErrors, PageError, Shell, WebUser, actor_words};
use aftersales_app::{
    AppError, ApproveInput, LineQty, NewRequisition, NewRequisitionLine, ReceiveInput, RejectInput,
    RequisitionView, ShipInput,
};
use aftersales_domain::Permission;
use aftersales_domain::parts::requisitions::{Discrepancy, Priority, RequisitionStatus};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// A badge's color by status.
fn status_class(s: RequisitionStatus) -> &'static str {
    match s {
        RequisitionStatus::Submitted | RequisitionStatus::Approved => "warn",
        RequisitionStatus::Shipped => "sla",
        RequisitionStatus::Received => "ok",
        RequisitionStatus::Rejected | RequisitionStatus::Cancelled => "off",
    }
}

fn discrepancy_class(d: Discrepancy) -> &'static str {
    match d {
        Discrepancy::None => "ok",
        Discrepancy::Short | Discrepancy::Over | Discrepancy::WrongPart => "danger",
    }
}

pub struct ListRow {
    pub number: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub priority: &'static str,
    pub urgent: bool,
    pub requesting: String,
    pub requesting_name: String,
    pub work_order: Option<String>,
    pub lines: usize,
    pub created: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "parts/requisitions.html")]
pub struct ListPage {
    pub shell: Shell,
    pub rows: Vec<ListRow>,
    pub can_raise: bool,
}

pub async fn list(State(s): State<AppState>, u: WebUser) -> Result<Response, PageError> {
    let l = u.tr().locale;
    let rows = s
        .app
        .list_requisitions(&u.ctx, None)
        .await?
        .into_iter()
        .map(|r| ListRow {
            status: r.status.words(l),
            status_class: status_class(r.status),
            priority: r.priority.words(l),
            urgent: r.priority == Priority::Urgent,
            lines: r.lines.len(),
            created: at_text(&r.created_at),
            number: r.number,
            requesting: r.requesting,
            requesting_name: r.requesting_name,
            work_order: r.work_order,
        })
        .collect();
    Ok(ListPage {
        can_raise: u.ctx.can(Permission::PartsRequest),
        shell: u.shell,
        rows,
    }
    .into_response())
}

/// How many part lines the new-requisition form offers; blank ones are left out.
const FORM_LINES: usize = 6;

/// The new-requisition form as typed.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct NewForm {
    pub requesting: String,
    pub supplying: String,
    pub priority: String,
    pub work_order: String,
    pub note: String,
    #[serde(flatten)]
    pub rest: std::collections::HashMap<String, String>,
}

pub struct PlaceOption {
    pub code: String,
    pub name: String,
    pub selected: bool,
}

pub struct FormLine {
    pub n: usize,
    pub part: String,
    pub qty: String,
    pub part_error: Option<String>,
    pub qty_error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "parts/requisition_new.html")]
pub struct NewPage {
    pub shell: Shell,
    pub places: Vec<PlaceOption>,
    pub priorities: Vec<(&'static str, &'static str, bool)>,
    pub form: NewForm,
    pub lines: Vec<FormLine>,
    pub errors: FormErrors,
}

/// The form's line `n` (1-based) as typed: part number and quantity.
fn typed_line(f: &NewForm, n: usize) -> (String, String) {
    let get = |k: String| {
        f.rest
            .get(&k)
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    };
    (get(format!("part_{n}")), get(format!("qty_{n}")))
}

async fn new_page(
    s: &AppState,
    u: WebUser,
    form: NewForm,
    errors: FormErrors,
    sent: &[usize],
) -> Result<NewPage, PageError> {
    let l = u.tr().locale;
    let me = u.ctx.actor().map(|a| a.id.to_string());
    let places = s
        .app
        .stock_locations(&u.ctx)
        .await?
        .into_iter()
        .filter(|p| p.active && p.kind.is_physical())
        .map(|p| PlaceOption {
            // One's own van first of all when nothing was chosen yet.
            selected: if form.requesting.is_empty() {
                me.is_some() && p.user_id == me
            } else {
                p.code == form.requesting
            },
            code: p.code,
            name: p.name,
        })
        .collect();
    let priorities = Priority::ALL
        .iter()
        .map(|p| {
            let chosen = if form.priority.is_empty() {
                *p == Priority::Monthly
            } else {
                p.as_str() == form.priority
            };
            (p.as_str(), p.words(l), chosen)
        })
        .collect();
    // Errors name lines by their place among the lines sent (`lines[i]`).
    let lines = (1..=FORM_LINES)
        .map(|n| {
            let (part, qty) = typed_line(&form, n);
            let i = sent.iter().position(|m| *m == n);
            let of =
                |f: &str| i.and_then(|i| errors.of(&format!("lines[{i}].{f}")).map(str::to_owned));
            FormLine {
                n,
                part_error: of("part"),
                qty_error: of("qty"),
                part,
                qty,
            }
        })
        .collect();
    Ok(NewPage {
        shell: u.shell,
        places,
        priorities,
        form,
        lines,
        errors,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewQuery {
    work_order: String,
}

/// `GET /requisitions/new`: ask for parts for one's own van or store (`?work_order=` fills
/// in the job they are for).
pub async fn new_form(
    State(s): State<AppState>,
    u: WebUser,
    Query(q): Query<NewQuery>,
) -> Result<Response, PageError> {
    u.ctx.require(Permission::PartsRequest)?;
    let form = NewForm {
        work_order: q.work_order.chars().take(32).collect(),
        ..NewForm::default()
    };
    Ok(new_page(&s, u, form, FormErrors::default(), &[])
        .await?
        .into_response())
}

/// `POST /requisitions`: raises it, then shows it; a refusal comes back beside the fields.
pub async fn create(
    State(s): State<AppState>,
    u: WebUser,
    Form(f): Form<NewForm>,
) -> Result<Response, PageError> {
    let opt = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
    let sent: Vec<usize> = (1..=FORM_LINES)
        .filter(|n| {
            let (p, q) = typed_line(&f, *n);
            !p.is_empty() || !q.is_empty()
        })
        .collect();
    let input = NewRequisition {
        requesting: f.requesting.trim().to_owned(),
        supplying: opt(&f.supplying),
        priority: opt(&f.priority),
        work_order: opt(&f.work_order),
        note: opt(&f.note),
        lines: sent
            .iter()
            .map(|n| {
                let (part, qty) = typed_line(&f, *n);
                NewRequisitionLine {
                    part,
                    qty: serde_json::Value::String(qty),
                }
            })
            .collect(),
    };
    let tr = u.tr();
    let errors = match s.app.create_requisition(&u.ctx, &input).await {
        Ok(r) => {
            let target = format!(
                "/requisitions/{}?done=1",
                crate::shell::encode_component(&r.number)
            );
            return Ok(crate::shell::redirect(&target).into_response());
        }
        Err(AppError::Validation(e) | AppError::FieldConflict(e)) => {
            FormErrors::from_fields(&e, tr)
        }
        Err(e) => return Err(e.into()),
    };
    let page = new_page(&s, u, f, errors, &sent).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

/// `POST /requisitions/{number}/cancel`: the requester withdraws it.
pub async fn cancel(
    State(s): State<AppState>,
    u: WebUser,
    Path(number): Path<String>,
) -> Result<Response, PageError> {
    let r = s.app.cancel_requisition(&u.ctx, &number).await;
    answer(&s, u, &number, r, StepForm::default(), &[]).await
}

/// A line of the requisition with its shipment's figures.
pub struct LineRow {
    pub line: i64,
    pub part: String,
    pub name: String,
    pub uom: &'static str,
    pub requested: String,
    pub substituted: Option<String>,
    pub approved: String,
    pub shipped: String,
    pub received: String,
    pub discrepancy: Option<(&'static str, &'static str)>,
    /// The receive form's input name and value.
    pub input: String,
    pub typed: String,
    pub wrong: bool,
    pub error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "parts/requisition.html")]
pub struct DetailPage {
    pub shell: Shell,
    pub number: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub priority: &'static str,
    pub requesting: String,
    pub supplying: String,
    pub work_order: Option<String>,
    pub note: Option<String>,
    pub decision_note: Option<String>,
    pub requested_by: String,
    pub created: String,
    pub lines: Vec<LineRow>,
    pub shipment: Option<ShipmentBox>,
    pub can_decide: bool,
    pub can_ship: bool,
    pub urgent: bool,
    pub can_receive: bool,
    pub can_cancel: bool,
    pub form: StepForm,
    pub errors: FormErrors,
    pub done: bool,
}

pub struct ShipmentBox {
    pub number: String,
    pub carrier: String,
    pub tracking_no: String,
    pub freight: Option<String>,
    pub shipped: String,
    pub received: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct StepForm {
    pub reason: String,
    pub carrier: String,
    pub tracking_no: String,
    pub freight: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DetailQuery {
    done: String,
}

fn detail(
    u: WebUser,
    r: RequisitionView,
    form: StepForm,
    errors: FormErrors,
    typed: &[(String, String)],
    done: bool,
) -> DetailPage {
    let tr = u.tr();
    let l = tr.locale;
    let shipped_lines = r
        .shipment
        .as_ref()
        .map(|s| s.lines.clone())
        .unwrap_or_default();
    let can_receive = (u.ctx.can(Permission::PartsRequest) || u.ctx.can(Permission::StockMove))
        && r.status == RequisitionStatus::Shipped;
    let lines = r
        .lines
        .iter()
        .enumerate()
        .map(|(i, x)| {
            let sl = shipped_lines.iter().find(|s| s.line == x.line);
            let input = format!("qty_{}", x.line);
            let typed_value = typed
                .iter()
                .find(|(k, _)| *k == input)
                .map(|(_, v)| v.clone());
            let wrong_key = format!("wrong_{}", x.line);
            LineRow {
                line: x.line,
                part: x.part.clone(),
                name: part_name(l, &x.name_zh, &x.name_en),
                uom: x.uom.words(l),
                requested: qty_text(x.qty_requested),
                substituted: x.requested_part.clone(),
                approved: x.qty_approved.map(qty_text).unwrap_or_default(),
                shipped: sl.map(|s| qty_text(s.qty_shipped)).unwrap_or_default(),
                received: sl
                    .and_then(|s| s.qty_received)
                    .map(qty_text)
                    .unwrap_or_default(),
                discrepancy: sl
                    .and_then(|s| s.discrepancy)
                    .map(|d| (d.words(l), discrepancy_class(d))),
                typed: typed_value
                    .unwrap_or_else(|| sl.map(|s| qty_text(s.qty_shipped)).unwrap_or_default()),
                wrong: typed.iter().any(|(k, _)| *k == wrong_key),
                error: errors.of(&format!("lines[{i}].qty")).map(str::to_owned),
                input,
            }
        })
        .collect();
    let shipment = r.shipment.as_ref().map(|s| ShipmentBox {
        number: s.number.clone(),
        carrier: s.carrier.clone(),
        tracking_no: s.tracking_no.clone().unwrap_or_default(),
        freight: (s.freight_fen > 0).then(|| yuan(s.freight_fen)),
        shipped: format!(
            "{} · {}",
            at_text(&s.shipped_at),
            actor_words(tr, &s.shipped_by_name)
        ),
        received: s.received_at.as_ref().map(|a| {
            format!(
                "{} · {}",
                at_text(a),
                actor_words(tr, s.received_by_name.as_deref().unwrap_or_default())
            )
        }),
    });
    let stock_move = u.ctx.can(Permission::StockMove);
    DetailPage {
        status: r.status.words(l),
        status_class: status_class(r.status),
        priority: r.priority.words(l),
        urgent: r.priority == Priority::Urgent,
        requesting: format!("{} · {}", r.requesting, r.requesting_name),
        supplying: format!("{} · {}", r.supplying, r.supplying_name),
        work_order: r.work_order.clone(),
        note: r.note.clone(),
        decision_note: r.decision_note.clone().filter(|n| !n.is_empty()),
        requested_by: actor_words(tr, &r.requested_by_name),
        created: at_text(&r.created_at),
        can_decide: stock_move && r.status == RequisitionStatus::Submitted,
        can_ship: stock_move && r.status == RequisitionStatus::Approved,
        can_receive,
        can_cancel: u.ctx.can(Permission::PartsRequest) && r.status == RequisitionStatus::Submitted,
        number: r.number,
        lines,
        shipment,
        form,
        errors,
        done,
        shell: u.shell,
    }
}

pub async fn show(
    State(s): State<AppState>,
    u: WebUser,
    Path(number): Path<String>,
    Query(q): Query<DetailQuery>,
) -> Result<Response, PageError> {
    let r = s.app.get_requisition(&u.ctx, &number).await?;
    let none = FormErrors::default();
    Ok(detail(u, r, StepForm::default(), none, &[], !q.done.is_empty()).into_response())
}

/// After a step: back to the requisition, or the page again with the refusal beside the
/// fields and what was typed kept.
async fn answer(
    s: &AppState,
    u: WebUser,
    number: &str,
    result: Result<RequisitionView, AppError>,
    form: StepForm,
    typed: &[(String, String)],
) -> Result<Response, PageError> {
    let tr = u.tr();
    let errors = match result {
        Ok(r) => {
            let target = format!(
                "/requisitions/{}?done=1",
                crate::shell::encode_component(&r.number)
            );
            return Ok(crate::shell::redirect(&target).into_response());
        }
        Err(AppError::Validation(e) | AppError::FieldConflict(e)) => {
            FormErrors::from_fields(&e, tr)
        }
        Err(AppError::InsufficientStock { on_hand }) => {
            let mut errors = FormErrors::default();
            errors.0.insert(
                "lines".into(),
                tr.f("stock.insufficient", &[("on_hand", &on_hand)]),
            );
            errors
        }
        Err(e) => return Err(e.into()),
    };
    let r = s.app.get_requisition(&u.ctx, number).await?;
    let page = detail(u, r, form, errors, typed, false);
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

pub async fn approve(
    State(s): State<AppState>,
    u: WebUser,
    Path(number): Path<String>,
    Form(f): Form<StepForm>,
) -> Result<Response, PageError> {
    let r = s
        .app
        .approve_requisition(&u.ctx, &number, &ApproveInput::default())
        .await;
    answer(&s, u, &number, r, f, &[]).await
}

pub async fn reject(
    State(s): State<AppState>,
    u: WebUser,
    Path(number): Path<String>,
    Form(f): Form<StepForm>,
) -> Result<Response, PageError> {
    let input = RejectInput {
        reason: Some(f.reason.clone()),
    };
    let r = s.app.reject_requisition(&u.ctx, &number, &input).await;
    answer(&s, u, &number, r, f, &[]).await
}

pub async fn ship(
    State(s): State<AppState>,
    u: WebUser,
    Path(number): Path<String>,
    Form(f): Form<StepForm>,
) -> Result<Response, PageError> {
    let freight = f.freight.trim();
    let freight_fen = if freight.is_empty() {
        None
    } else {
        match parse_yuan(freight) {
            Some(fen) => Some(fen),
            None => {
                let tr = u.tr();
                let mut errors = FormErrors::default();
                errors
                    .0
                    .insert("freight_fen".into(), tr.t("stock.bad_yuan").to_owned());
                let r = s.app.get_requisition(&u.ctx, &number).await?;
                let page = detail(u, r, f, errors, &[], false);
                return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
            }
        }
    };
    let opt = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
    let input = ShipInput {
        carrier: opt(&f.carrier),
        tracking_no: opt(&f.tracking_no),
        freight_fen,
        lines: Vec::new(),
    };
    let r = s.app.ship_requisition(&u.ctx, &number, &input).await;
    answer(&s, u, &number, r, f, &[]).await
}

/// The count: `qty_{line}` and, when ticked, `wrong_{line}` for every line shipped.
pub async fn receive(
    State(s): State<AppState>,
    u: WebUser,
    Path(number): Path<String>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let r = s.app.get_requisition(&u.ctx, &number).await?;
    let Some(ship) = r.shipment.as_ref() else {
        return Err(AppError::Conflict("illegal_transition").into());
    };
    let lines = ship
        .lines
        .iter()
        .map(|l| {
            let get = |k: String| {
                f.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.trim().to_owned())
            };
            LineQty {
                line: l.line,
                qty: serde_json::Value::String(get(format!("qty_{}", l.line)).unwrap_or_default()),
                wrong_part: get(format!("wrong_{}", l.line)).is_some(),
            }
        })
        .collect();
    let result = s
        .app
        .receive_shipment(&u.ctx, &ship.number, &ReceiveInput { lines })
        .await;
    answer(&s, u, &number, result, StepForm::default(), &f).await
}
