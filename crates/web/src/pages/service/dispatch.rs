//! The dispatcher's board (调度台, UX.md): work waiting for an engineer on the left, the
//! engineers with the day's timeline on the right. Selecting a job shows the suggested
//! engineer with the reasons (the excluded ones collapsed, with why); one click assigns.
//! The board refreshes itself every 30 s and after each action (htmx); without script it
//! is plain links and forms.

use crate::AppState;
use crate::extract::{Form, Query};
use crate::i18n::Tr;
use crate::pages::service::wo_fmt;
use crate::shell::{PageError, Shell, WebUser};
use aftersales_app::{
    AppError, BoardBlock, BoardEngineer, BoardJob, BoardQuery, DispatchInput, SuggestionView,
    SuggestionsView,
};
use aftersales_domain::dispatch::WaitRisk;
use aftersales_domain::service::WoStatus;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// The hours the timeline spans (local time).
const DAY_START_H: i64 = 8;
const DAY_END_H: i64 = 20;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct BoardParams {
    /// The selected job (work order number or id).
    job: String,
    /// The job just assigned (for the confirmation).
    assigned: String,
    day: String,
}

pub struct JobRow {
    pub job: BoardJob,
    pub selected: bool,
    pub priority: String,
    pub status: String,
    /// Still waiting for an engineer (how long it waited is shown).
    pub pending: bool,
    pub waited: String,
    /// How soon it is in danger, in words.
    pub risk: String,
    pub window: String,
    pub window_agreed: bool,
}

pub struct Line {
    pub s: SuggestionView,
    pub reasons: Vec<String>,
    pub exclusions: Vec<String>,
}

pub struct BlockView {
    pub b: BoardBlock,
    pub time: String,
    /// Where the block sits on the day's line: left edge and width, in percent.
    pub place: Option<(String, String)>,
    pub status: String,
    pub selected: bool,
}

pub struct EngineerCard {
    pub e: BoardEngineer,
    pub load: String,
    pub blocks: Vec<BlockView>,
    pub unscheduled: Vec<BlockView>,
    /// The suggestion (rank 1) for the selected job.
    pub suggested: bool,
    /// May be sent to the selected job.
    pub eligible: bool,
    /// Excluded for the selected job: why.
    pub excluded: Option<String>,
    pub current: bool,
}

/// The control an assignment was sent from (the error goes beside it).
#[derive(Deserialize, Default, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    /// A button beside the engineer.
    Row,
    /// The "assign to" list (also anything unknown).
    #[default]
    #[serde(other)]
    Select,
}

/// A refused assignment: which engineer, from which control, and why.
pub struct AssignError {
    pub engineer_id: String,
    pub via: Via,
    pub message: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "service/dispatch.html")]
pub struct DispatchPage {
    pub shell: Shell,
    pub day: String,
    pub is_today: bool,
    pub jobs: Vec<JobRow>,
    pub selected: Option<JobRow>,
    pub suggestions: Option<SuggestionsView>,
    pub eligible: Vec<Line>,
    pub excluded: Vec<Line>,
    pub engineers: Vec<EngineerCard>,
    pub hours: Vec<String>,
    pub flash: Option<String>,
    pub alert: Option<String>,
    pub error: Option<AssignError>,
    pub refresh_url: String,
}

impl DispatchPage {
    /// The refusal to show beside the button of this engineer.
    pub fn row_error(&self, engineer_id: &str) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|e| e.via == Via::Row && e.engineer_id == engineer_id)
            .map(|e| e.message.as_str())
    }

    /// The refusal to show beside the "assign to" list: one sent from it, or from a button
    /// no longer shown.
    pub fn select_error(&self) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|e| {
                e.via != Via::Row
                    || !self
                        .eligible
                        .iter()
                        .any(|l| l.s.engineer.id == e.engineer_id)
            })
            .map(|e| e.message.as_str())
    }

    pub fn select_value(&self) -> &str {
        self.select_error()
            .and(self.error.as_ref())
            .map_or("", |e| e.engineer_id.as_str())
    }

    pub fn assign_label(&self, name: &str) -> String {
        self.shell.tr.f("dispatch.assign_to", &[("name", name)])
    }

    pub fn excluded_label(&self) -> String {
        self.shell.tr.f(
            "dispatch.excluded",
            &[("n", &self.excluded.len().to_string())],
        )
    }

    pub fn waited_label(&self, waited: &str) -> String {
        self.shell.tr.f("dispatch.waited_for", &[("time", waited)])
    }

    pub fn timeline_label(&self, name: &str) -> String {
        self.shell.tr.f("dispatch.timeline_of", &[("name", name)])
    }
}

/// The sentence of a refusal, in the user's language.
pub(crate) fn error_message(tr: Tr, e: &AppError) -> String {
    match e {
        AppError::Validation(f) | AppError::FieldConflict(f) => {
            f.0.first()
                .map(|f| tr.field_error(f))
                .unwrap_or_else(|| tr.t_error(e.code()))
        }
        other => tr.t_error(other.code()),
    }
}

/// Errors that are a page of their own rather than a message beside a control.
pub(crate) fn is_page_error(e: &AppError) -> bool {
    matches!(
        e,
        AppError::NotFound(_)
            | AppError::Forbidden
            | AppError::Unauthenticated
            | AppError::Internal(_)
    )
}

fn block_view(
    tr: Tr,
    b: &BoardBlock,
    day: jiff::civil::Date,
    today: jiff::civil::Date,
    selected: &str,
) -> BlockView {
    let span = (DAY_END_H - DAY_START_H) * 60;
    let place = match b.starts_at {
        Some(s) => {
            let z = s.to_zoned(wo_fmt::tz());
            let start = if z.date() == day {
                i64::from(z.hour()) * 60 + i64::from(z.minute()) - DAY_START_H * 60
            } else {
                0
            };
            let end = match b.ends_at {
                Some(e) => {
                    let ze = e.to_zoned(wo_fmt::tz());
                    if ze.date() == day {
                        i64::from(ze.hour()) * 60 + i64::from(ze.minute()) - DAY_START_H * 60
                    } else {
                        span
                    }
                }
                None => start + 60,
            };
            let left = (start.clamp(0, span) as f64) * 100.0 / span as f64;
            let right = (end.clamp(0, span) as f64) * 100.0 / span as f64;
            let width = (right - left).max(2.5).min(100.0 - left.min(97.5));
            Some((format!("{:.2}", left.min(97.5)), format!("{width:.2}")))
        }
        None => None,
    };
    // On the day's own timeline the day goes without saying.
    let time = match (b.starts_at, b.ends_at) {
        (Some(s), Some(e)) if wo_fmt::local_date(s) == day && wo_fmt::local_date(e) == day => {
            format!("{}–{}", wo_fmt::hm(s), wo_fmt::hm(e))
        }
        _ => wo_fmt::window(tr, b.starts_at, b.ends_at, today),
    };
    BlockView {
        time,
        status: wo_fmt::status_label(tr, b.status, None),
        selected: b.number == selected || b.id == selected,
        b: b.clone(),
        place,
    }
}

fn job_row(tr: Tr, j: &BoardJob, selected: &str, today: jiff::civil::Date) -> JobRow {
    let waited = wo_fmt::minutes(tr, j.waited_minutes);
    let risk = match j.risk {
        WaitRisk::Late => tr.f(
            "dispatch.risk.late",
            &[("target", &wo_fmt::minutes(tr, j.target_minutes))],
        ),
        WaitRisk::AtRisk => tr.f(
            "dispatch.risk.at_risk",
            &[(
                "left",
                &wo_fmt::minutes(tr, j.target_minutes - j.waited_minutes),
            )],
        ),
        WaitRisk::Ok => tr.t("dispatch.risk.ok").to_owned(),
    };
    JobRow {
        selected: j.number == selected || j.id == selected,
        priority: wo_fmt::priority_label(tr, &j.priority),
        status: wo_fmt::status_label(tr, j.status, None),
        pending: j.status == WoStatus::Pending,
        waited,
        risk,
        window: wo_fmt::window(tr, j.window_start, j.window_end, today),
        window_agreed: j.window_agreed,
        job: j.clone(),
    }
}

async fn render(
    s: &AppState,
    u: WebUser,
    p: &BoardParams,
    error: Option<AssignError>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let tr = u.tr();
    let q = BoardQuery {
        day: Some(p.day.clone()).filter(|d| !d.trim().is_empty()),
    };
    let board = s.app.dispatch_board(&u.ctx, &q).await?;
    let today = wo_fmt::local_date(s.app.now());
    let job_key = p.job.trim();
    let mut alert = None;
    let (selected, suggestions) = if job_key.is_empty() {
        (None, None)
    } else {
        match (
            s.app.board_job_of(&u.ctx, job_key).await,
            s.app.suggest_engineers(&u.ctx, job_key).await,
        ) {
            (Ok(j), Ok(sg)) => (Some(job_row(tr, &j, job_key, today)), Some(sg)),
            (Err(e), _) | (_, Err(e)) => {
                if !matches!(e, AppError::NotFound(_)) {
                    return Err(e.into());
                }
                alert = Some(tr.t_error(e.code()));
                (None, None)
            }
        }
    };
    let flash = match p.assigned.trim() {
        "" => None,
        key => match s.app.board_job_of(&u.ctx, key).await {
            Ok(j) => Some(tr.f(
                "dispatch.assigned",
                &[
                    ("number", &j.number),
                    ("name", j.engineer.as_ref().map_or("", |e| e.name.as_str())),
                ],
            )),
            Err(_) => None,
        },
    };
    let line = |x: &SuggestionView| Line {
        reasons: x.reasons.iter().map(|r| wo_fmt::reason(tr, r)).collect(),
        exclusions: x.exclusions.iter().map(|r| wo_fmt::reason(tr, r)).collect(),
        s: x.clone(),
    };
    let (eligible, excluded): (Vec<Line>, Vec<Line>) = match &suggestions {
        Some(sg) => {
            let (a, b): (Vec<&SuggestionView>, Vec<&SuggestionView>) =
                sg.items.iter().partition(|x| x.eligible);
            (
                a.into_iter().map(line).collect(),
                b.into_iter().map(line).collect(),
            )
        }
        None => (Vec::new(), Vec::new()),
    };
    let engineers = board
        .engineers
        .iter()
        .map(|e| {
            let sg = suggestions
                .as_ref()
                .and_then(|sg| sg.items.iter().find(|x| x.engineer.id == e.engineer.id));
            let (blocks, unscheduled): (Vec<BlockView>, Vec<BlockView>) = e
                .orders
                .iter()
                .map(|b| block_view(tr, b, board.day, today, job_key))
                .partition(|b| b.b.starts_at.is_some());
            EngineerCard {
                load: load_text(tr, e.open_orders, e.booked_minutes),
                suggested: sg.is_some_and(|x| x.rank == Some(1)),
                eligible: sg.is_some_and(|x| x.eligible),
                excluded: sg.filter(|x| !x.eligible).map(|x| {
                    x.exclusions
                        .iter()
                        .map(|r| wo_fmt::reason(tr, r))
                        .collect::<Vec<_>>()
                        .join("；")
                }),
                current: sg.is_some_and(|x| x.current),
                blocks,
                unscheduled,
                e: e.clone(),
            }
        })
        .collect();
    let jobs = board
        .unassigned
        .iter()
        .map(|j| job_row(tr, j, job_key, today))
        .collect();
    let mut refresh_url = "/dispatch".to_owned();
    let mut sep = '?';
    for (k, v) in [("job", job_key), ("day", p.day.trim())] {
        if !v.is_empty() {
            refresh_url.push_str(&format!("{sep}{k}={}", crate::shell::encode_component(v)));
            sep = '&';
        }
    }
    let page = DispatchPage {
        day: board.day.to_string(),
        is_today: board.day == today,
        jobs,
        selected,
        suggestions,
        eligible,
        excluded,
        engineers,
        hours: (DAY_START_H..=DAY_END_H)
            .step_by(2)
            .map(|h| format!("{h:02}:00"))
            .collect(),
        flash,
        alert,
        error,
        refresh_url,
        shell: u.shell,
    };
    Ok((status, page).into_response())
}

/// "3 单 · 已约 2小时30分" / "3 jobs · 2 h 30 min booked"; "尚无工单" / "No jobs yet".
fn load_text(tr: Tr, orders: i64, minutes: i64) -> String {
    if orders == 0 && minutes == 0 {
        return tr.t("dispatch.load_none").to_owned();
    }
    let mut s = if orders == 1 {
        tr.t("dispatch.orders_one").to_owned()
    } else {
        tr.f("dispatch.orders", &[("n", &orders.to_string())])
    };
    if minutes > 0 {
        s.push_str(" · ");
        s.push_str(&tr.f(
            "dispatch.booked",
            &[("time", &wo_fmt::minutes(tr, minutes))],
        ));
    }
    s
}

pub async fn board(
    State(s): State<AppState>,
    u: WebUser,
    Query(p): Query<BoardParams>,
) -> Result<Response, PageError> {
    render(&s, u, &p, None, StatusCode::OK).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AssignForm {
    work_order: String,
    version: String,
    engineer_id: String,
    /// Which control sent it (the error goes beside it).
    via: Via,
    day: String,
}

/// Assigns (or reassigns) the selected job; refusals come back beside the control used.
pub async fn assign(
    State(s): State<AppState>,
    u: WebUser,
    Form(f): Form<AssignForm>,
) -> Result<Response, PageError> {
    let input = DispatchInput {
        version: f.version.trim().parse().unwrap_or(0),
        engineer_id: f.engineer_id.clone(),
        org_unit_id: None,
        note: None,
    };
    match s
        .app
        .dispatch_work_order(&u.ctx, f.work_order.trim(), &input)
        .await
    {
        Ok(v) => {
            let day = match f.day.trim() {
                "" => String::new(),
                d => format!("&day={}", crate::shell::encode_component(d)),
            };
            Ok(
                crate::shell::redirect(&format!("/dispatch?assigned={}{day}", v.number))
                    .into_response(),
            )
        }
        Err(e) if is_page_error(&e) => Err(e.into()),
        Err(e) => {
            let status = crate::problem::status_of(&e);
            let error = AssignError {
                engineer_id: f.engineer_id.trim().to_owned(),
                via: f.via,
                message: error_message(u.tr(), &e),
            };
            let p = BoardParams {
                job: f.work_order.trim().to_owned(),
                assigned: String::new(),
                day: f.day,
            };
            render(&s, u, &p, Some(error), status).await
        }
    }
}
