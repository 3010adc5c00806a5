//! The warehouse console (`/stock`): what is on hand with its value, filtered by location,
//! part and "low only"; the valuation per location on top; the move form for those who
//! post moves (`POST /stock/moves`); the ledger of a part at a location (`/stock/ledger`).

use super::{BalanceRow, at_text, parse_yuan, qty_text, yuan};
use crate::AppState;
use crate::extract::{Form, Query};
use crate::i18n::Tr;
use crate::shell::{FormErrors, PageError, Pick, Shell, WebUser, actor_words};
use aftersales_app::{AppError, BalanceQuery, LedgerQuery, LocationView, NewMove};
use aftersales_domain::Permission;
use aftersales_domain::parts::MoveKind;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// The kinds the console's form posts (issues and returns are the engineer's, on a job).
const FORM_KINDS: [MoveKind; 3] = [MoveKind::Receipt, MoveKind::Transfer, MoveKind::Scrap];

/// The longest search text read.
const MAX_SEARCH: usize = 100;

/// A location of a select box.
pub struct LocChoice {
    pub code: String,
    pub name: String,
    pub selected: bool,
}

/// The value of one location's stock.
pub struct ValueRow {
    pub location: String,
    pub name: String,
    /// "3 lines" in the reader's words.
    pub lines: String,
    pub value: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "parts/stock.html")]
pub struct StockPage {
    pub shell: Shell,
    pub rows: Vec<BalanceRow>,
    pub locations: Vec<LocChoice>,
    pub part: String,
    pub low: bool,
    pub values: Vec<ValueRow>,
    pub total: String,
    /// The reader posts moves: the form is shown.
    pub can_move: bool,
    pub form: MoveForm,
    pub kinds: Vec<Pick>,
    pub from_choices: Vec<LocChoice>,
    pub to_choices: Vec<LocChoice>,
    pub errors: FormErrors,
    /// A refusal of the move as a whole (e.g. not enough on hand).
    pub alert: Option<String>,
    /// The parts-issue-accuracy figure (R-PRT-5): its heading and its sentence.
    pub accuracy_title: String,
    pub accuracy: String,
    pub accuracy_below: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StockFilter {
    location: String,
    part: String,
    low: String,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct MoveForm {
    pub kind: String,
    pub part: String,
    pub qty: String,
    pub from: String,
    pub to: String,
    pub unit_cost: String,
    pub reason: String,
}

fn choices(locs: &[LocationView], current: &str) -> Vec<LocChoice> {
    locs.iter()
        .filter(|l| l.active && l.kind.holds_stock() && l.kind.is_physical())
        .map(|l| LocChoice {
            code: l.code.clone(),
            name: l.name.clone(),
            selected: l.code == current,
        })
        .collect()
}

fn contains(hay: &str, needle: &str) -> bool {
    hay.to_lowercase().contains(needle)
}

async fn page(
    s: &AppState,
    u: WebUser,
    f: StockFilter,
    form: MoveForm,
    errors: FormErrors,
    alert: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let tr = u.tr();
    let locs = s.app.stock_locations(&u.ctx).await?;
    let location = f.location.trim().to_owned();
    let known = locs.iter().any(|l| l.code == location);
    let q = BalanceQuery {
        location: Some(location.clone()).filter(|_| known),
        part: None,
        low: !f.low.is_empty(),
    };
    let search: String = f.part.trim().chars().take(MAX_SEARCH).collect();
    let needle = search.to_lowercase();
    let rows = s
        .app
        .stock_balances(&u.ctx, &q)
        .await?
        .iter()
        .filter(|b| {
            needle.is_empty()
                || contains(&b.part, &needle)
                || contains(&b.name_zh, &needle)
                || contains(&b.name_en, &needle)
        })
        .map(|b| BalanceRow::of(b, tr))
        .collect();
    let valuation = s.app.stock_valuation(&u.ctx).await?;
    let values = valuation
        .locations
        .iter()
        .map(|v| ValueRow {
            location: v.location.clone(),
            name: v.name.clone(),
            lines: tr.f("stock.lines", &[("n", &v.lines.to_string())]),
            value: yuan(v.value_fen),
        })
        .collect();
    let acc = s.app.shipment_accuracy(&u.ctx).await?;
    let days = acc.days.to_string();
    let accuracy = match acc.percent {
        Some(p) => tr.f(
            "stock.accuracy_figure",
            &[
                ("percent", &format!("{p:.2}")),
                ("lines", &acc.received_lines.to_string()),
                ("target", &format!("{}", acc.target)),
            ],
        ),
        None => tr.f("stock.accuracy_none", &[("days", &days)]),
    };
    let kind = if form.kind.is_empty() {
        MoveKind::Transfer.as_str()
    } else {
        form.kind.as_str()
    };
    let kinds = FORM_KINDS
        .iter()
        .map(|k| Pick {
            value: k.as_str().to_owned(),
            label: k.words(tr.locale).to_owned(),
            selected: k.as_str() == kind,
        })
        .collect();
    let p = StockPage {
        can_move: u.ctx.can(Permission::StockMove),
        locations: choices(&locs, if known { &location } else { "" }),
        from_choices: choices(&locs, &form.from),
        to_choices: choices(&locs, &form.to),
        total: yuan(valuation.total_fen),
        part: search,
        low: q.low,
        rows,
        values,
        form,
        kinds,
        errors,
        alert,
        accuracy_title: tr.f("stock.accuracy", &[("days", &days)]),
        accuracy,
        accuracy_below: acc.below_target,
        shell: u.shell,
    };
    Ok((status, p).into_response())
}

pub async fn stock(
    State(s): State<AppState>,
    u: WebUser,
    Query(f): Query<StockFilter>,
) -> Result<Response, PageError> {
    u.ctx.require(Permission::StockRead)?;
    let none = FormErrors::default();
    page(&s, u, f, MoveForm::default(), none, None, StatusCode::OK).await
}

/// A form field of the move as the app names it (`unit_cost_fen` is typed in yuan).
fn form_field(field: &str) -> &str {
    match field {
        "unit_cost_fen" => "unit_cost",
        other => other,
    }
}

fn errors_of(e: &aftersales_domain::FieldErrors, tr: Tr) -> FormErrors {
    let mut out = FormErrors::default();
    for (k, v) in FormErrors::from_fields(e, tr).0 {
        out.0.entry(form_field(&k).to_owned()).or_insert(v);
    }
    out
}

pub async fn post_move(
    State(s): State<AppState>,
    u: WebUser,
    Form(f): Form<MoveForm>,
) -> Result<Response, PageError> {
    u.ctx.require(Permission::StockMove)?;
    let tr = u.tr();
    let opt = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
    let unit_cost_fen = match opt(&f.unit_cost) {
        None => None,
        Some(y) => match parse_yuan(&y) {
            Some(fen) => Some(fen),
            None => {
                let mut errors = FormErrors::default();
                errors
                    .0
                    .insert("unit_cost".into(), tr.t("stock.bad_yuan").to_owned());
                let status = StatusCode::UNPROCESSABLE_ENTITY;
                return page(&s, u, StockFilter::default(), f, errors, None, status).await;
            }
        },
    };
    let input = NewMove {
        kind: f.kind.trim().to_owned(),
        part: f.part.trim().to_owned(),
        condition: None,
        qty: serde_json::Value::String(f.qty.trim().to_owned()),
        from: opt(&f.from),
        to: opt(&f.to),
        unit_cost_fen,
        serial: None,
        work_order: None,
        reference: None,
        reason: opt(&f.reason),
        note: None,
    };
    let refused = |errors: FormErrors, alert: Option<String>| (errors, alert);
    let (errors, alert) = match s.app.post_move(&u.ctx, &input).await {
        Ok(m) => {
            let at = if m.to.is_empty() || input.to.is_none() {
                &m.from
            } else {
                &m.to
            };
            let target = format!(
                "/stock/ledger?location={}&part={}&posted=1",
                crate::shell::encode_component(at),
                crate::shell::encode_component(&m.part)
            );
            return Ok(crate::shell::redirect(&target).into_response());
        }
        Err(AppError::Validation(e) | AppError::FieldConflict(e)) => {
            refused(errors_of(&e, tr), None)
        }
        Err(AppError::InsufficientStock { on_hand }) => {
            let msg = tr.f("stock.insufficient", &[("on_hand", &on_hand)]);
            let mut errors = FormErrors::default();
            errors.0.insert("qty".into(), msg.clone());
            refused(errors, Some(msg))
        }
        Err(e) => return Err(e.into()),
    };
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    page(&s, u, StockFilter::default(), f, errors, alert, status).await
}

/// A move of the ledger as a row: words, quantities and the time as the reader reads them.
pub struct LedgerRow {
    pub kind: &'static str,
    pub qty: String,
    pub uom: &'static str,
    pub from: String,
    pub to: String,
    pub balance: String,
    pub who: String,
    pub at: String,
    pub work_order: Option<String>,
    pub reason: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "parts/ledger.html")]
pub struct LedgerPage {
    pub shell: Shell,
    pub location: String,
    pub part: String,
    pub rows: Vec<LedgerRow>,
    pub more: Option<String>,
    pub posted: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LedgerFilter {
    location: String,
    part: String,
    cursor: String,
    posted: String,
}

pub async fn ledger(
    State(s): State<AppState>,
    u: WebUser,
    Query(f): Query<LedgerFilter>,
) -> Result<Response, PageError> {
    let tr = u.tr();
    let opt = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
    let q = LedgerQuery {
        location: opt(&f.location),
        part: opt(&f.part),
        kind: None,
        work_order: None,
        cursor: opt(&f.cursor),
        limit: Some(50),
    };
    let page = s.app.stock_ledger(&u.ctx, &q).await?;
    let l = tr.locale;
    let rows = page
        .items
        .iter()
        .map(|m| LedgerRow {
            kind: m.kind.words(l),
            qty: qty_text(m.qty),
            uom: m.uom.words(l),
            from: m.from.clone(),
            to: m.to.clone(),
            balance: m.balance_after.map(qty_text).unwrap_or_default(),
            who: actor_words(tr, &m.actor_name),
            at: at_text(&m.at),
            work_order: m.work_order.clone(),
            reason: m.reason.clone(),
        })
        .collect();
    let more = page.next_cursor.map(|c| {
        let enc = crate::shell::encode_component;
        format!(
            "/stock/ledger?location={}&part={}&cursor={}",
            enc(f.location.trim()),
            enc(f.part.trim()),
            enc(&c)
        )
    });
    let p = LedgerPage {
        location: f.location.trim().to_owned(),
        part: f.part.trim().to_uppercase(),
        rows,
        more,
        posted: !f.posted.is_empty(),
        shell: u.shell,
    };
    Ok(p.into_response())
}
