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
    AppError, BoardBlock, BoardEngineer, BoardJob, BoardQuery, BookingCheckInput, ConflictView,
    DispatchInput, EscalationInput, SuggestionView, SuggestionsView, TransferInput,
};
use aftersales_domain::dispatch::WaitRisk;
use aftersales_domain::dispatch::booking::ConflictKind;
use aftersales_domain::service::WoStatus;
use aftersales_domain::{FieldError, FieldErrors};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::Deserialize;

/// The hours the timeline spans at least (local time); it widens to every appointment of
/// the day, in whole hours, an even number of them (labels every 2 hours).
const DAY_START_H: i64 = 8;
const DAY_END_H: i64 = 20;
/// A booking's default length when nothing else says (the next free slot).
const SLOT_MINUTES: i64 = 120;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct BoardParams {
    /// The selected job (work order number or id).
    job: String,
    /// The job just assigned (for the confirmation).
    assigned: String,
    day: String,
    /// The managers told after an escalation (the confirmation).
    escalated: String,
    /// The unit a job was just handed to (the confirmation).
    transferred: String,
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
    /// Shares time with another block of the engineer: drawn in the lower half of the
    /// line (the other in the upper half) and said in words.
    pub overlaps: bool,
    /// Which half of the line an overlapping block takes (0 upper, 1 lower).
    pub lane: u8,
}

/// Marks the blocks of one engineer's line that share time, alternating their lanes so
/// neither hides the other.
fn mark_overlaps(blocks: &mut [BlockView]) {
    let span = |b: &BlockView| {
        b.b.starts_at.map(|s| {
            (
                s,
                b.b.ends_at
                    .unwrap_or(s + jiff::SignedDuration::from_mins(60)),
            )
        })
    };
    let spans: Vec<_> = blocks.iter().map(span).collect();
    let mut lane = 0;
    for (i, b) in blocks.iter_mut().enumerate() {
        let Some((s, e)) = spans[i] else { continue };
        b.overlaps = spans
            .iter()
            .enumerate()
            .any(|(j, o)| j != i && o.is_some_and(|(a, z)| a < e && s < z));
        if b.overlaps {
            b.lane = lane;
            lane = 1 - lane;
        }
    }
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

/// The booking form as shown: pre-filled, or as typed when it comes back.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Booking {
    pub engineer_id: String,
    /// `YYYY-MM-DD`
    pub date: String,
    /// `HH:MM`, 24 h.
    pub start: String,
    pub end: String,
    pub customer_agreed: bool,
    pub note: String,
}

/// A day offered by the date fields' list: `2026-12-08` and `2026-12-08 周二`.
pub struct DayOption {
    pub value: String,
    pub label: String,
}

/// What came back from a booking form: the form as typed, the refusals beside its fields,
/// and the conflicts found (after a check, or an assignment refused for them).
#[derive(Default)]
pub struct Outcome {
    pub error: Option<AssignError>,
    pub booking: Option<Booking>,
    pub field_errors: Vec<(String, String)>,
    pub conflicts: Option<Vec<ConflictView>>,
    /// The hand-over's reason as typed, kept after a refusal.
    pub transfer_reason: String,
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
    /// Previous and next day (`YYYY-MM-DD`).
    pub prev_day: String,
    pub next_day: String,
    /// `&day=…` for links that keep the day (empty on today's board).
    pub day_q: String,
    /// The board's day with its weekday (`2026-12-08 周二`).
    pub day_label: String,
    /// The days the date fields offer (today and the next three weeks): typed as
    /// `YYYY-MM-DD` text, never the browser's own date format.
    pub day_options: Vec<DayOption>,
    pub booking: Booking,
    /// Refusals beside the booking form's fields: (field, message).
    pub field_errors: Vec<(String, String)>,
    /// After a check: the conflicts in words (empty: none found); `None` before a check.
    pub conflicts: Option<Vec<String>>,
    /// The selected job may still be escalated (not finished).
    pub can_escalate: bool,
    /// The hand-over's reason as typed (kept after a refusal).
    pub transfer_reason: String,
    /// Where the selected job may be handed (when nobody here may take it and the user may
    /// hand jobs over): (unit id, the unit in words with its coverage and who is told).
    pub transfer_targets: Vec<(String, String)>,
    /// Nothing typed comes back (no check, no refusal): the board may refresh itself
    /// without losing what the dispatcher is reading.
    pub fresh: bool,
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

    /// The refusal beside a field of the booking form.
    pub fn field_error(&self, field: &str) -> Option<&str> {
        self.field_errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
}

/// `HH:MM` (also `H:MM`, a full-width colon, or `HHMM`) as hour and minute of the day.
fn parse_hm(s: &str) -> Option<(i8, i8)> {
    let s = s.trim().replace('：', ":");
    let (h, m) = match s.split_once(':') {
        Some((h, m)) => (h.to_owned(), m.to_owned()),
        None if s.len() == 4 && s.is_ascii() => (s[..2].to_owned(), s[2..].to_owned()),
        None => return None,
    };
    let digits = |t: &str| !t.is_empty() && t.len() <= 2 && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(&h) || m.len() != 2 || !digits(&m) {
        return None;
    }
    let (h, m): (i8, i8) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some((h, m))
}

/// The booking form's window as instants of the site, every field's error at once.
fn window_of(b: &Booking) -> Result<(Timestamp, Timestamp), FieldErrors> {
    let mut errs = FieldErrors::new();
    let date = errs.take(aftersales_domain::bounds::parse_service_day(
        "appt_date",
        b.date.trim(),
    ));
    let mut time = |field: &str, v: &str| {
        let t = if v.trim().is_empty() {
            Err(FieldError::new(field, "required"))
        } else {
            parse_hm(v).ok_or_else(|| FieldError::new(field, "invalid_time"))
        };
        errs.take(t)
    };
    let start = time("starts_at", &b.start);
    let end = time("ends_at", &b.end);
    let at = |d: Date, (h, m): (i8, i8)| {
        d.at(h, m, 0, 0)
            .to_zoned(wo_fmt::tz())
            .ok()
            .map(|z| z.timestamp())
    };
    match (date, start, end) {
        (Some(d), Some(s), Some(e)) if errs.is_empty() => match (at(d, s), at(d, e)) {
            (Some(s), Some(e)) => Ok((s, e)),
            _ => Err(FieldError::new("starts_at", "invalid_time").into()),
        },
        _ => Err(errs),
    }
}

/// A conflict in the reader's language.
fn conflict_text(tr: Tr, c: &ConflictView) -> String {
    let number = c.work_order.clone().unwrap_or_default();
    let span = match (c.starts_at, c.ends_at) {
        (Some(a), Some(b)) => format!("{}–{}", wo_fmt::hm(a), wo_fmt::hm(b)),
        _ => String::new(),
    };
    match c.kind {
        ConflictKind::Overlap => tr.f(
            "dispatch.conflict.overlap",
            &[("number", &number), ("time", &span)],
        ),
        ConflictKind::TravelTooShort => {
            let key = if c.after == Some(true) {
                "dispatch.conflict.travel_after"
            } else {
                "dispatch.conflict.travel_before"
            };
            tr.f(
                key,
                &[
                    ("number", &number),
                    ("gap", &wo_fmt::minutes(tr, c.gap_minutes.unwrap_or(0))),
                    (
                        "needed",
                        &wo_fmt::minutes(tr, c.needed_minutes.unwrap_or(0)),
                    ),
                    ("km", &format!("{:.1}", c.distance_km.unwrap_or(0.0))),
                ],
            )
        }
        ConflictKind::OffDay => tr.t("dispatch.conflict.off_day").to_owned(),
        ConflictKind::OutsideShift => tr.f("dispatch.conflict.outside_shift", &[("time", &span)]),
    }
}

/// The first and the last hour of the axis, covering `[DAY_START_H, DAY_END_H]`
/// and every block of the day (a block from the day before starts the axis at 00:00, one
/// running into the next day ends it at 24:00); an even number of hours.
fn axis(blocks: &[(Option<Timestamp>, Option<Timestamp>)], day: Date) -> (i64, i64) {
    let (mut first, mut last) = (DAY_START_H, DAY_END_H);
    for (s, e) in blocks {
        let Some(s) = *s else { continue };
        let zs = s.to_zoned(wo_fmt::tz());
        let start_min = if zs.date() < day {
            0
        } else {
            i64::from(zs.hour()) * 60 + i64::from(zs.minute())
        };
        let end = e.unwrap_or(s + jiff::SignedDuration::from_mins(60));
        let ze = end.to_zoned(wo_fmt::tz());
        let end_min = if ze.date() > day {
            24 * 60
        } else {
            i64::from(ze.hour()) * 60 + i64::from(ze.minute())
        };
        if zs.date() <= day && ze.date() >= day {
            first = first.min(start_min / 60);
            last = last.max((end_min + 59) / 60);
        }
    }
    if (last - first) % 2 == 1 {
        if first > 0 {
            first -= 1;
        } else {
            last += 1;
        }
    }
    (first, last.min(24).max(first + 2))
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
    (day, today): (Date, Date),
    (first_h, last_h): (i64, i64),
    selected: &str,
) -> BlockView {
    let span = (last_h - first_h) * 60;
    let place = match b.starts_at {
        Some(s) => {
            let z = s.to_zoned(wo_fmt::tz());
            let start = if z.date() == day {
                i64::from(z.hour()) * 60 + i64::from(z.minute()) - first_h * 60
            } else {
                0
            };
            let end = match b.ends_at {
                Some(e) => {
                    let ze = e.to_zoned(wo_fmt::tz());
                    if ze.date() == day {
                        i64::from(ze.hour()) * 60 + i64::from(ze.minute()) - first_h * 60
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
        status: wo_fmt::status_label(tr, b.status, b.waiting_reason),
        selected: b.number == selected || b.id == selected,
        b: b.clone(),
        place,
        overlaps: false,
        lane: 0,
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
        status: wo_fmt::status_label(tr, j.status, j.waiting_reason),
        pending: j.status == WoStatus::Pending,
        waited,
        risk,
        window: wo_fmt::window(tr, j.window_start, j.window_end, today),
        window_agreed: j.window_agreed,
        job: j.clone(),
    }
}

/// The booking form pre-filled: the job's window (its appointment, else the customer's
/// wish) when it is still ahead; else the next free slot of `SLOT_MINUTES` on the board's
/// day (tomorrow when the board's day is past) for the suggested engineer, from 09:00 or
/// the next whole hour, before 20:00.
fn prefill(
    job: &BoardJob,
    suggested: Option<&BoardEngineer>,
    engineer_id: &str,
    (day, now): (Date, Timestamp),
) -> Booking {
    let mut b = Booking {
        engineer_id: engineer_id.to_owned(),
        ..Booking::default()
    };
    if let (Some(s), Some(e)) = (job.window_start, job.window_end)
        && s >= now
        && e > s
    {
        b.date = wo_fmt::local_date(s).to_string();
        b.start = wo_fmt::hm(s);
        b.end = wo_fmt::hm(e);
        b.customer_agreed = job.window_agreed;
        return b;
    }
    let today = wo_fmt::local_date(now);
    let day = if day < today { today } else { day };
    let busy: Vec<(Timestamp, Timestamp)> = suggested
        .map(|e| {
            e.orders
                .iter()
                .filter_map(|o| {
                    let s = o.starts_at?;
                    Some((
                        s,
                        o.ends_at.unwrap_or(s + jiff::SignedDuration::from_mins(60)),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut candidates = (DAY_START_H + 1..=DAY_END_H - SLOT_MINUTES / 60)
        .filter_map(|h| {
            let s = day
                .at(h as i8, 0, 0, 0)
                .to_zoned(wo_fmt::tz())
                .ok()?
                .timestamp();
            Some((s, s + jiff::SignedDuration::from_mins(SLOT_MINUTES)))
        })
        .filter(|(s, _)| *s >= now);
    let free = candidates
        .clone()
        .find(|(s, e)| !busy.iter().any(|(a, b)| a < e && s < b))
        .or_else(|| candidates.next());
    match free {
        Some((s, e)) => {
            b.date = wo_fmt::local_date(s).to_string();
            b.start = wo_fmt::hm(s);
            b.end = wo_fmt::hm(e);
        }
        None => {
            // Late in the day: the next day's first slot.
            let next = day.tomorrow().unwrap_or(day);
            b.date = next.to_string();
            b.start = format!("{:02}:00", DAY_START_H + 1);
            b.end = format!("{:02}:00", DAY_START_H + 1 + SLOT_MINUTES / 60);
        }
    }
    b
}

async fn render(
    s: &AppState,
    u: WebUser,
    p: &BoardParams,
    outcome: Outcome,
    status: StatusCode,
) -> Result<Response, PageError> {
    let fresh = outcome.error.is_none()
        && outcome.booking.is_none()
        && outcome.field_errors.is_empty()
        && outcome.conflicts.is_none();
    let Outcome {
        error,
        booking,
        field_errors,
        conflicts,
        transfer_reason,
    } = outcome;
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
    let flash = match p.transferred.trim() {
        "" => flash,
        to => {
            let to: String = to.chars().take(200).collect();
            Some(tr.f("dispatch.transferred", &[("unit", &to)]))
        }
    };
    let flash = match p.escalated.trim() {
        "" => flash,
        names => {
            let names: String = names.chars().take(200).collect();
            Some(tr.f("dispatch.escalated", &[("names", &names)]))
        }
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
    // The next step when nobody here may take the job: the units it may be handed to.
    let transfer_targets = match (&selected, eligible.is_empty()) {
        (Some(j), true)
            if j.job.status == WoStatus::Pending
                && u.ctx.can(aftersales_domain::Permission::DispatchTransfer) =>
        {
            s.app
                .transfer_targets(&u.ctx, &j.job.number)
                .await?
                .into_iter()
                .map(|t| {
                    let coverage = tr.t_dyn(&format!("dispatch.coverage.{}", t.coverage));
                    (
                        t.unit.id,
                        tr.f(
                            "dispatch.transfer_target",
                            &[
                                ("unit", &t.unit.name),
                                ("coverage", &coverage),
                                ("people", &t.receivers.join("、")),
                            ],
                        ),
                    )
                })
                .collect()
        }
        _ => Vec::new(),
    };
    let all_blocks: Vec<(Option<Timestamp>, Option<Timestamp>)> = board
        .engineers
        .iter()
        .flat_map(|e| e.orders.iter().map(|b| (b.starts_at, b.ends_at)))
        .collect();
    let (first_h, last_h) = axis(&all_blocks, board.day);
    let engineers = board
        .engineers
        .iter()
        .map(|e| {
            let sg = suggestions
                .as_ref()
                .and_then(|sg| sg.items.iter().find(|x| x.engineer.id == e.engineer.id));
            let (mut blocks, unscheduled): (Vec<BlockView>, Vec<BlockView>) = e
                .orders
                .iter()
                .map(|b| block_view(tr, b, (board.day, today), (first_h, last_h), job_key))
                .partition(|b| b.b.starts_at.is_some());
            mark_overlaps(&mut blocks);
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
    let day_q = if board.day == today {
        String::new()
    } else {
        format!("&day={}", board.day)
    };
    let booking = match (booking, &selected) {
        (Some(b), _) => b,
        (None, Some(j)) => {
            let top = eligible.first().map(|l| l.s.engineer.id.clone());
            let suggested = top
                .as_deref()
                .and_then(|id| board.engineers.iter().find(|e| e.engineer.id == id));
            prefill(
                &j.job,
                suggested,
                top.as_deref().unwrap_or(""),
                (board.day, s.app.now()),
            )
        }
        (None, None) => Booking::default(),
    };
    let day_label = |d: Date| DayOption {
        value: d.to_string(),
        label: format!(
            "{d} {}",
            tr.t_dyn(&format!(
                "sla.weekday.{}",
                d.weekday().to_monday_zero_offset()
            ))
        ),
    };
    let day_options = (0..21)
        .filter_map(|n| today.checked_add(jiff::Span::new().days(n)).ok())
        .map(day_label)
        .collect();
    let page = DispatchPage {
        day_label: day_label(board.day).label,
        day_options,
        prev_day: board.day.yesterday().unwrap_or(board.day).to_string(),
        next_day: board.day.tomorrow().unwrap_or(board.day).to_string(),
        day_q,
        booking,
        field_errors,
        conflicts: conflicts.map(|c| c.iter().map(|x| conflict_text(tr, x)).collect()),
        fresh,
        transfer_targets,
        transfer_reason,
        can_escalate: selected
            .as_ref()
            .is_some_and(|j| !matches!(j.job.status, WoStatus::Completed | WoStatus::Cancelled)),
        day: board.day.to_string(),
        is_today: board.day == today,
        jobs,
        selected,
        suggestions,
        eligible,
        excluded,
        engineers,
        hours: (first_h..=last_h)
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
    render(&s, u, &p, Outcome::default(), StatusCode::OK).await
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
    /// The booking form's window: date and 24 h times of the site (empty: no window).
    appt_date: String,
    starts_at: String,
    ends_at: String,
    customer_agreed: String,
    note: String,
    /// `1`: assign although the check found conflicts.
    confirm_conflicts: String,
    /// `check`: only check the window; anything else assigns.
    action: String,
}

impl AssignForm {
    fn booking(&self) -> Booking {
        Booking {
            engineer_id: self.engineer_id.trim().to_owned(),
            date: self.appt_date.trim().to_owned(),
            start: self.starts_at.trim().to_owned(),
            end: self.ends_at.trim().to_owned(),
            customer_agreed: !self.customer_agreed.is_empty(),
            note: self.note.clone(),
        }
    }

    /// Whether the booking form was used (a window given), not a one-click row.
    fn books(&self) -> bool {
        self.via != Via::Row
            && [&self.appt_date, &self.starts_at, &self.ends_at]
                .iter()
                .any(|v| !v.trim().is_empty())
    }

    fn params(&self) -> BoardParams {
        BoardParams {
            job: self.work_order.trim().to_owned(),
            day: self.day.clone(),
            ..BoardParams::default()
        }
    }
}

/// Field errors as (field, message) in the reader's language; the engineer's goes beside
/// the list (`AssignError`), the others beside the booking form's fields.
fn split_errors(tr: Tr, f: &AssignForm, errs: &FieldErrors) -> Outcome {
    let mut out = Outcome {
        booking: Some(f.booking()),
        ..Outcome::default()
    };
    for e in &errs.0 {
        let message = tr.field_error(e);
        if e.field == "engineer_id" || e.field == "version" {
            out.error.get_or_insert(AssignError {
                engineer_id: f.engineer_id.trim().to_owned(),
                via: f.via,
                message,
            });
        } else if !out.field_errors.iter().any(|(x, _)| x == &e.field) {
            out.field_errors.push((e.field.clone(), message));
        }
    }
    out
}

/// Assigns (or reassigns) the selected job, with the booking form's window when given;
/// "check" only looks for conflicts. Refusals come back beside the control used.
pub async fn assign(
    State(s): State<AppState>,
    u: WebUser,
    Form(f): Form<AssignForm>,
) -> Result<Response, PageError> {
    let tr = u.tr();
    let window = if f.books() {
        match window_of(&f.booking()) {
            Ok(w) => Some(w),
            Err(errs) => {
                let out = split_errors(tr, &f, &errs);
                return render(&s, u, &f.params(), out, StatusCode::UNPROCESSABLE_ENTITY).await;
            }
        }
    } else {
        None
    };
    let key = f.work_order.trim();
    let check = |(start, end): (Timestamp, Timestamp)| BookingCheckInput {
        engineer_id: f.engineer_id.trim().to_owned(),
        starts_at: start.to_string(),
        ends_at: end.to_string(),
    };
    if f.action == "check"
        && let Some(w) = window
    {
        return match s.app.check_booking(&u.ctx, key, &check(w)).await {
            Ok(v) => {
                let out = Outcome {
                    booking: Some(f.booking()),
                    conflicts: Some(v.conflicts),
                    ..Outcome::default()
                };
                render(&s, u, &f.params(), out, StatusCode::OK).await
            }
            Err(e) if is_page_error(&e) => Err(e.into()),
            Err(e) => {
                let status = crate::problem::status_of(&e);
                let out = refusal(tr, &f, &e);
                render(&s, u, &f.params(), out, status).await
            }
        };
    }
    let note = f.note.trim();
    let input = DispatchInput {
        version: f.version.trim().parse().unwrap_or(0),
        engineer_id: f.engineer_id.clone(),
        org_unit_id: None,
        note: (!note.is_empty()).then(|| note.to_owned()),
        starts_at: window.map(|w| w.0.to_string()),
        ends_at: window.map(|w| w.1.to_string()),
        confirm_conflicts: f.confirm_conflicts == "1",
        customer_agreed: !f.customer_agreed.is_empty(),
    };
    match s.app.dispatch_work_order(&u.ctx, key, &input).await {
        Ok(v) => {
            // Back to the day of the visit, where its block now shows.
            let day = match window {
                Some((start, _)) => wo_fmt::local_date(start).to_string(),
                None => f.day.trim().to_owned(),
            };
            let day = match day.as_str() {
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
            let mut out = refusal(tr, &f, &e);
            // Refused for its conflicts: show them, with the confirmation.
            if let (Some(w), Some(errs)) = (window, e.field_errors())
                && errs.0.iter().any(|x| x.code == "schedule_conflict")
            {
                match s.app.check_booking(&u.ctx, key, &check(w)).await {
                    Ok(v) => out.conflicts = Some(v.conflicts),
                    Err(e) if is_page_error(&e) => return Err(e.into()),
                    Err(e) => tracing::warn!(error = %e, "conflict check after a refusal"),
                }
            }
            render(&s, u, &f.params(), out, status).await
        }
    }
}

/// A refusal of the booking form or a row's button, beside the control concerned.
fn refusal(tr: Tr, f: &AssignForm, e: &AppError) -> Outcome {
    match e.field_errors() {
        Some(errs) if f.books() => split_errors(tr, f, errs),
        _ => Outcome {
            booking: f.books().then(|| f.booking()),
            error: Some(AssignError {
                engineer_id: f.engineer_id.trim().to_owned(),
                via: f.via,
                message: error_message(tr, e),
            }),
            ..Outcome::default()
        },
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EscalateForm {
    work_order: String,
    note: String,
    day: String,
}

/// Nobody may take the job: the managers are told; the board confirms who.
pub async fn escalate(
    State(s): State<AppState>,
    u: WebUser,
    Form(f): Form<EscalateForm>,
) -> Result<Response, PageError> {
    let note = f.note.trim();
    let input = EscalationInput {
        note: (!note.is_empty()).then(|| note.to_owned()),
    };
    match s
        .app
        .escalate_dispatch(&u.ctx, f.work_order.trim(), &input)
        .await
    {
        Ok(v) => {
            let mut to = format!(
                "/dispatch?job={}&escalated={}",
                crate::shell::encode_component(&v.work_order),
                crate::shell::encode_component(&v.told.join("、"))
            );
            if !f.day.trim().is_empty() {
                to.push_str(&format!(
                    "&day={}",
                    crate::shell::encode_component(f.day.trim())
                ));
            }
            Ok(crate::shell::redirect(&to).into_response())
        }
        Err(e) if is_page_error(&e) => Err(e.into()),
        Err(e) => {
            let status = crate::problem::status_of(&e);
            let p = BoardParams {
                job: f.work_order.trim().to_owned(),
                day: f.day,
                ..BoardParams::default()
            };
            let out = Outcome {
                field_errors: vec![("escalate".to_owned(), error_message(u.tr(), &e))],
                ..Outcome::default()
            };
            render(&s, u, &p, out, status).await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TransferForm {
    work_order: String,
    version: String,
    org_unit_id: String,
    reason: String,
    day: String,
}

/// Nobody here may take the job: it is handed to another station or a partner; the board
/// (without it now) confirms where.
pub async fn transfer(
    State(s): State<AppState>,
    u: WebUser,
    Form(f): Form<TransferForm>,
) -> Result<Response, PageError> {
    let input = TransferInput {
        org_unit_id: f.org_unit_id.trim().to_owned(),
        reason: f.reason.clone(),
        version: f.version.trim().parse().unwrap_or(-1),
    };
    let out = s
        .app
        .transfer_work_order(&u.ctx, f.work_order.trim(), &input)
        .await;
    match out {
        Ok(v) => {
            let mut to = format!(
                "/dispatch?transferred={}",
                crate::shell::encode_component(&v.to.name)
            );
            if !f.day.trim().is_empty() {
                to.push_str(&format!(
                    "&day={}",
                    crate::shell::encode_component(f.day.trim())
                ));
            }
            Ok(crate::shell::redirect(&to).into_response())
        }
        Err(e) if is_page_error(&e) => Err(e.into()),
        Err(e) => {
            let status = crate::problem::status_of(&e);
            let p = BoardParams {
                job: f.work_order.trim().to_owned(),
                day: f.day,
                ..BoardParams::default()
            };
            // Every field's refusal beside it; anything else beside the button.
            let tr = u.tr();
            let mut field_errors: Vec<(String, String)> = match &e {
                AppError::Validation(errs) | AppError::FieldConflict(errs) => errs
                    .0
                    .iter()
                    .map(|x| (format!("transfer_{}", x.field), tr.field_error(x)))
                    .collect(),
                _ => Vec::new(),
            };
            if field_errors.is_empty() {
                field_errors.push(("transfer".to_owned(), error_message(tr, &e)));
            }
            let out = Outcome {
                field_errors,
                transfer_reason: f.reason,
                ..Outcome::default()
            };
            render(&s, u, &p, out, status).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_read_on_a_24_hour_clock() {
        assert_eq!(parse_hm("14:30"), Some((14, 30)));
        assert_eq!(parse_hm(" 9:05 "), Some((9, 5)));
        assert_eq!(parse_hm("09：05"), Some((9, 5)));
        assert_eq!(parse_hm("0930"), Some((9, 30)));
        assert_eq!(parse_hm("00:00"), Some((0, 0)));
        for bad in [
            "24:00", "12:60", "2:3", "noon", "", "1:2:3", "-1:00", "2pm", "123:00", "9点", "９:00",
        ] {
            assert_eq!(parse_hm(bad), None, "{bad}");
        }
    }

    fn at(s: &str) -> Option<Timestamp> {
        Some(format!("2026-12-01T{s}:00+08:00").parse().expect("instant"))
    }

    #[test]
    fn the_axis_covers_every_appointment_of_the_day() {
        let day: Date = "2026-12-01".parse().expect("date");
        assert_eq!(axis(&[], day), (8, 20));
        assert_eq!(axis(&[(at("09:00"), at("11:00"))], day), (8, 20));
        // 04:57 and 07:57 start the axis at 04:00; an even number of hours.
        assert_eq!(
            axis(&[(at("04:57"), at("05:57")), (at("07:57"), None)], day),
            (4, 20)
        );
        assert_eq!(axis(&[(at("05:10"), at("06:00"))], day), (4, 20));
        assert_eq!(axis(&[(at("19:00"), at("21:30"))], day), (8, 22));
        assert_eq!(axis(&[(at("18:00"), at("20:30"))], day), (7, 21));
        // Another day's appointment does not widen it; one running past midnight does.
        let next: Date = "2026-12-02".parse().expect("date");
        assert_eq!(axis(&[(at("03:00"), at("04:00"))], next), (8, 20));
        assert_eq!(axis(&[(at("22:00"), at("23:59"))], day), (8, 24));
        assert_eq!(
            axis(
                &[(
                    at("22:00"),
                    Some("2026-12-02T02:00:00+08:00".parse().expect("t"))
                )],
                next
            ),
            (0, 20)
        );
        // Not an unscheduled order.
        assert_eq!(axis(&[(None, None)], day), (8, 20));
    }
}
