//! Stocktaking on the web (issue 14 point 7, docs/parts.md "Stocktaking"): the list of
//! count sheets (`/stock/counts`) with the form that opens one for a location, and one
//! sheet (`/stock/counts/{number}`): counted quantities typed in on a phone (fits 360 px),
//! submitted, then a manager's approval with the differences and their value, or a
//! rejection back to counting. `?print=1` is the same sheet on paper, with a blank column
//! to write counts in. The pages only call the app's use-cases.

use super::{at_text, part_name, qty_text, yuan};
use crate::AppState;
use crate::extract::{Form, Path, Query};
use crate::shell::{FormErrors, PageError, Shell, WebUser, actor_words};
use aftersales_app::{AppError, CountDecision, CountEntry, CountLinesInput, CountView, NewCount};
use aftersales_domain::Permission;
use aftersales_domain::parts::stocktakes::CountStatus;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// A badge's color by status.
fn status_class(s: CountStatus) -> &'static str {
    match s {
        CountStatus::Counting | CountStatus::Submitted => "warn",
        CountStatus::Approved => "ok",
        CountStatus::Cancelled => "off",
    }
}

pub struct ListRow {
    pub number: String,
    pub location: String,
    pub location_name: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub opened: String,
    pub lines: String,
}

pub struct PlaceOption {
    pub code: String,
    pub name: String,
    pub selected: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "parts/stocktakes.html")]
pub struct ListPage {
    pub shell: Shell,
    pub rows: Vec<ListRow>,
    pub can_open: bool,
    pub places: Vec<PlaceOption>,
    pub form: OpenForm,
    pub errors: FormErrors,
}

/// The open-a-count form as typed.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct OpenForm {
    pub location: String,
    pub note: String,
}

async fn list_page(
    s: &AppState,
    u: WebUser,
    form: OpenForm,
    errors: FormErrors,
) -> Result<ListPage, PageError> {
    let l = u.tr().locale;
    let rows = s
        .app
        .list_counts(&u.ctx, None)
        .await?
        .into_iter()
        .map(|c| ListRow {
            status: c.status.words(l),
            status_class: status_class(c.status),
            opened: at_text(&c.opened_at),
            lines: format!("{}/{}", c.lines_counted, c.lines_total),
            number: c.number,
            location: c.location,
            location_name: c.location_name,
        })
        .collect();
    let can_open = u.ctx.can(Permission::StockMove);
    let places = if can_open {
        s.app
            .stock_locations(&u.ctx)
            .await?
            .into_iter()
            .filter(|p| p.active && p.kind.is_physical())
            .map(|p| PlaceOption {
                selected: p.code == form.location.trim(),
                code: p.code,
                name: p.name,
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(ListPage {
        shell: u.shell,
        rows,
        can_open,
        places,
        form,
        errors,
    })
}

/// `GET /stock/counts`: the counts in the reader's scope, newest first.
pub async fn list(State(s): State<AppState>, u: WebUser) -> Result<Response, PageError> {
    let page = list_page(&s, u, OpenForm::default(), FormErrors::default()).await?;
    Ok(page.into_response())
}

/// `POST /stock/counts`: opens a count sheet for a location, then shows it.
pub async fn open(
    State(s): State<AppState>,
    u: WebUser,
    Form(f): Form<OpenForm>,
) -> Result<Response, PageError> {
    let note = Some(f.note.trim().to_owned()).filter(|n| !n.is_empty());
    let input = NewCount {
        location: f.location.trim().to_owned(),
        note,
    };
    let errors = match s.app.open_count(&u.ctx, &input).await {
        Ok(c) => return Ok(to_sheet(&c.number)),
        Err(AppError::Validation(e) | AppError::FieldConflict(e)) => {
            FormErrors::from_fields(&e, u.tr())
        }
        Err(e) => return Err(e.into()),
    };
    let page = list_page(&s, u, f, errors).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

fn to_sheet(number: &str) -> Response {
    let target = format!(
        "/stock/counts/{}?done=1",
        crate::shell::encode_component(number)
    );
    crate::shell::redirect(&target).into_response()
}

/// One line of the sheet, every word in the reader's language.
pub struct LineRow {
    pub line: i64,
    pub part: String,
    pub name: String,
    pub condition: &'static str,
    pub uom: &'static str,
    pub counted: String,
    pub book: String,
    pub difference: String,
    pub value: String,
    /// Found less than the books.
    pub loss: bool,
    /// The counting form's input name and what it shows.
    pub input: String,
    pub typed: String,
    pub error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "parts/stocktake.html")]
pub struct SheetPage {
    pub shell: Shell,
    pub number: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub location: String,
    pub note: Option<String>,
    pub decision_note: Option<String>,
    pub opened: String,
    pub submitted: Option<String>,
    pub decided: Option<String>,
    pub progress: String,
    pub lines: Vec<LineRow>,
    pub gain: String,
    pub loss: String,
    pub net: String,
    pub can_count: bool,
    pub can_decide: bool,
    /// The differences and their value are shown (submitted to an approver, or approved).
    pub show_differences: bool,
    pub print: bool,
    pub done: bool,
    pub add_part: String,
    pub add_qty: String,
    pub reason: String,
    pub errors: FormErrors,
}

/// What the counting form sent: `qty_{line}` per line and the `add_part` / `add_qty` pair.
#[derive(Default)]
struct Typed(Vec<(String, String)>);

impl Typed {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.trim())
    }
}

fn sheet(
    u: WebUser,
    c: CountView,
    typed: &Typed,
    reason: String,
    errors: FormErrors,
    print: bool,
    done: bool,
) -> SheetPage {
    let tr = u.tr();
    let l = tr.locale;
    let lines = c
        .lines
        .iter()
        .map(|x| {
            let input = format!("qty_{}", x.line);
            let counted = x.counted.map(qty_text).unwrap_or_default();
            LineRow {
                line: x.line,
                part: x.part.clone(),
                name: part_name(l, &x.name_zh, &x.name_en),
                condition: x.condition.words(l),
                uom: x.uom.words(l),
                typed: typed
                    .get(&input)
                    .map(str::to_owned)
                    .unwrap_or_else(|| counted.clone()),
                counted,
                book: x.book.map(qty_text).unwrap_or_default(),
                difference: x
                    .difference
                    .map(|d| {
                        if d > 0.0 {
                            format!("+{}", qty_text(d))
                        } else {
                            qty_text(d)
                        }
                    })
                    .unwrap_or_default(),
                value: x.difference_value_fen.map(yuan).unwrap_or_default(),
                loss: x.difference.is_some_and(|d| d < 0.0),
                error: errors.of(&input).map(str::to_owned),
                input,
            }
        })
        .collect();
    let by = |name: &Option<String>, at: &Option<String>| {
        at.as_ref().map(|a| {
            format!(
                "{} · {}",
                actor_words(tr, name.as_deref().unwrap_or_default()),
                at_text(a)
            )
        })
    };
    let counting = c.status == CountStatus::Counting;
    let submitted = c.status == CountStatus::Submitted;
    let can_decide = submitted && u.ctx.can(Permission::StockApprove);
    SheetPage {
        status: c.status.words(l),
        status_class: status_class(c.status),
        location: format!("{} · {}", c.location, c.location_name),
        note: c.note.clone().filter(|n| !n.is_empty()),
        decision_note: c.decision_note.clone().filter(|n| !n.is_empty()),
        opened: format!(
            "{} · {}",
            actor_words(tr, &c.opened_by_name),
            at_text(&c.opened_at)
        ),
        submitted: by(&c.submitted_by_name, &c.submitted_at),
        decided: by(&c.decided_by_name, &c.decided_at),
        progress: format!("{}/{}", c.lines_counted, c.lines_total),
        gain: yuan(c.gain_value_fen),
        loss: yuan(c.loss_value_fen),
        net: yuan(c.gain_value_fen - c.loss_value_fen),
        can_count: counting && u.ctx.can(Permission::StockMove) && !print,
        can_decide: can_decide && !print,
        show_differences: !print && (can_decide || c.status == CountStatus::Approved),
        number: c.number,
        lines,
        print,
        done,
        add_part: typed.get("add_part").unwrap_or_default().to_owned(),
        add_qty: typed.get("add_qty").unwrap_or_default().to_owned(),
        reason,
        errors,
        shell: u.shell,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SheetQuery {
    done: String,
    print: String,
}

/// `GET /stock/counts/{number}` (`?print=1`: the paper sheet).
pub async fn show(
    State(s): State<AppState>,
    u: WebUser,
    Path(number): Path<String>,
    Query(q): Query<SheetQuery>,
) -> Result<Response, PageError> {
    let c = s.app.get_count(&u.ctx, &number).await?;
    let page = sheet(
        u,
        c,
        &Typed::default(),
        String::new(),
        FormErrors::default(),
        !q.print.is_empty(),
        !q.done.is_empty(),
    );
    Ok(page.into_response())
}

/// After a step: back to the sheet, or the sheet again with the refusal beside the fields
/// and what was typed kept. `field_of` names the form's field of an app's field.
async fn answer(
    s: &AppState,
    u: WebUser,
    number: &str,
    result: Result<CountView, AppError>,
    typed: &Typed,
    reason: String,
    field_of: &(dyn Fn(&str) -> String + Sync),
) -> Result<Response, PageError> {
    let tr = u.tr();
    let (status, errors) = match result {
        Ok(c) => return Ok(to_sheet(&c.number)),
        Err(AppError::Validation(e) | AppError::FieldConflict(e)) => {
            let mut errors = FormErrors::default();
            for (field, sentence) in FormErrors::from_fields(&e, tr).0 {
                errors.0.entry(field_of(&field)).or_insert(sentence);
            }
            (StatusCode::UNPROCESSABLE_ENTITY, errors)
        }
        Err(AppError::InsufficientStock { on_hand }) => {
            let mut errors = FormErrors::default();
            errors.0.insert(
                "lines".into(),
                tr.f("stock.insufficient", &[("on_hand", &on_hand)]),
            );
            (StatusCode::CONFLICT, errors)
        }
        Err(AppError::Conflict(code)) => {
            let mut errors = FormErrors::default();
            errors.0.insert("lines".into(), tr.t_error(code));
            (StatusCode::CONFLICT, errors)
        }
        Err(e) => return Err(e.into()),
    };
    let c = s.app.get_count(&u.ctx, number).await?;
    let page = sheet(u, c, typed, reason, errors, false, false);
    Ok((status, page).into_response())
}

/// `lines[i].qty` (or `.part`, `.condition`) → the input of the line the i-th entry was
/// for; anything else stays as it is.
fn entry_field(field: &str, inputs: &[String]) -> String {
    let Some(rest) = field.strip_prefix("lines[") else {
        return field.to_owned();
    };
    let Some((i, what)) = rest.split_once("].") else {
        return field.to_owned();
    };
    match i.parse::<usize>().ok().and_then(|i| inputs.get(i)) {
        Some(input) if input == "add" => format!("add_{what}"),
        Some(input) => input.clone(),
        None => field.to_owned(),
    }
}

/// `POST /stock/counts/{number}/lines`: the counts typed (a blank input is not counted
/// yet) and the added part are entered; with `action=submit` the sheet is then submitted.
pub async fn save(
    State(s): State<AppState>,
    u: WebUser,
    Path(number): Path<String>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    // Permission first, before the body is read (the app checks it again).
    u.ctx.require(Permission::StockMove)?;
    let typed = Typed(f);
    let c = s.app.get_count(&u.ctx, &number).await?;
    let mut lines = Vec::new();
    // The form's input of each entry, in the order sent (`add` for the added part).
    let mut inputs = Vec::new();
    for x in &c.lines {
        let input = format!("qty_{}", x.line);
        let Some(v) = typed.get(&input).filter(|v| !v.is_empty()) else {
            continue;
        };
        lines.push(CountEntry {
            part: x.part.clone(),
            condition: Some(x.condition.as_str().to_owned()),
            qty: serde_json::Value::String(v.to_owned()),
        });
        inputs.push(input);
    }
    let add_part = typed.get("add_part").unwrap_or_default();
    let add_qty = typed.get("add_qty").unwrap_or_default();
    if !add_part.is_empty() || !add_qty.is_empty() {
        lines.push(CountEntry {
            part: add_part.to_owned(),
            condition: None,
            qty: serde_json::Value::String(add_qty.to_owned()),
        });
        inputs.push("add".to_owned());
    }
    let submit = typed.get("action") == Some("submit");
    if !lines.is_empty() || !submit {
        let entered = s
            .app
            .enter_counts(&u.ctx, &number, &CountLinesInput { lines })
            .await;
        if entered.is_err() || !submit {
            let field_of = |f: &str| entry_field(f, &inputs);
            return answer(&s, u, &number, entered, &typed, String::new(), &field_of).await;
        }
    }
    // Submitting: `lines[i]` names the sheet's i-th line.
    let sheet_inputs: Vec<String> = c.lines.iter().map(|x| format!("qty_{}", x.line)).collect();
    let field_of = |f: &str| entry_field(f, &sheet_inputs);
    let r = s.app.submit_count(&u.ctx, &number).await;
    answer(&s, u, &number, r, &typed, String::new(), &field_of).await
}

/// `POST /stock/counts/{number}/cancel`: a count still being counted is dropped.
pub async fn cancel(
    State(s): State<AppState>,
    u: WebUser,
    Path(number): Path<String>,
) -> Result<Response, PageError> {
    let r = s.app.cancel_count(&u.ctx, &number).await;
    let same = |f: &str| f.to_owned();
    answer(&s, u, &number, r, &Typed::default(), String::new(), &same).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DecisionForm {
    pub reason: String,
}

/// `POST /stock/counts/{number}/approve`: the differences are posted.
pub async fn approve(
    State(s): State<AppState>,
    u: WebUser,
    Path(number): Path<String>,
    Form(f): Form<DecisionForm>,
) -> Result<Response, PageError> {
    u.ctx.require(Permission::StockApprove)?;
    let input = CountDecision {
        reason: Some(f.reason.trim().to_owned()).filter(|r| !r.is_empty()),
    };
    let r = s.app.approve_count(&u.ctx, &number, &input).await;
    // The approval's note and the rejection's reason are one field on the page.
    let same = |f: &str| f.to_owned();
    answer(&s, u, &number, r, &Typed::default(), f.reason, &same).await
}

/// `POST /stock/counts/{number}/reject`: back to counting, with a reason.
pub async fn reject(
    State(s): State<AppState>,
    u: WebUser,
    Path(number): Path<String>,
    Form(f): Form<DecisionForm>,
) -> Result<Response, PageError> {
    u.ctx.require(Permission::StockApprove)?;
    let input = CountDecision {
        reason: Some(f.reason.clone()),
    };
    let r = s.app.reject_count(&u.ctx, &number, &input).await;
    let same = |f: &str| f.to_owned();
    answer(&s, u, &number, r, &Typed::default(), f.reason, &same).await
}

#[cfg(test)]
mod tests {
    use super::entry_field;

    #[test]
    fn an_entrys_error_goes_beside_its_input() {
        let inputs = vec!["qty_3".to_owned(), "add".to_owned()];
        assert_eq!(entry_field("lines[0].qty", &inputs), "qty_3");
        assert_eq!(entry_field("lines[1].part", &inputs), "add_part");
        assert_eq!(entry_field("lines[1].qty", &inputs), "add_qty");
        assert_eq!(entry_field("lines[7].qty", &inputs), "lines[7].qty");
        assert_eq!(entry_field("lines", &inputs), "lines");
        assert_eq!(entry_field("reason", &inputs), "reason");
    }
}
