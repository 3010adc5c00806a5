//! Service levels in the browser: the SLA board, the calendars with their holidays and
//! make-up workdays, and the bell's list of notifications.

use crate::AppState;
use crate::extract::{Form, Path, Query};
use crate::io;
use crate::shell::{PageError, Pick, Shell, WebUser};
use aftersales_app::{AppError, CalendarView, Inbox, SlaBoardQuery, SlaBoardRow, SpecialDayView};
use aftersales_domain::Permission;
use aftersales_domain::calendar::DayKind;
use aftersales_domain::region::RegionClass;
use aftersales_domain::service::{Priority, RequestKind};
use aftersales_domain::sla::Milestone;
use askama::Template;
use askama_web::WebTemplate;
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

// ---------------------------------------------------------------------------------------
// The board

#[derive(Template, WebTemplate)]
#[template(path = "sla/sla_board.html")]
pub struct BoardPage {
    pub shell: Shell,
    pub rows: Vec<SlaBoardRow>,
    pub units: Vec<(String, String)>,
    pub org_unit_id: String,
    pub engineer_id: String,
    pub milestone: String,
    pub milestones: Vec<(String, String)>,
    /// The engineers of the rows shown, for the filter.
    pub engineers: Vec<(String, String)>,
}

impl BoardPage {
    pub fn state_label(&self, s: impl std::fmt::Display) -> String {
        self.shell.tr.t_dyn(&format!("sla.state.{s}"))
    }

    /// "2 h 10 min left" / "overdue 35 min".
    pub fn left(&self, r: &SlaBoardRow) -> String {
        let Some(s) = r.seconds_left else {
            return "—".into();
        };
        let d = aftersales_domain::sla::duration_text(s.abs(), self.shell.tr.locale);
        if s >= 0 {
            self.shell.tr.f("sla.left", &[("time", &d)])
        } else {
            self.shell.tr.f("sla.overdue", &[("time", &d)])
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct BoardForm {
    org_unit_id: String,
    engineer_id: String,
    milestone: String,
}

pub async fn board(
    State(s): State<AppState>,
    u: WebUser,
    Query(f): Query<BoardForm>,
) -> Result<Response, PageError> {
    let tr = u.tr();
    let q = SlaBoardQuery {
        org_unit_id: Some(f.org_unit_id.clone()),
        engineer_id: Some(f.engineer_id.clone()),
        milestone: Some(f.milestone.clone()),
        limit: Some(300),
    };
    let rows = s.app.sla_board(&u.ctx, &q, tr.locale).await?;
    let units = s.app.org_unit_choices(&u.ctx).await?;
    let milestones = aftersales_domain::sla::Milestone::ALL
        .iter()
        .map(|m| (m.as_str().to_owned(), m.label(tr.locale).to_owned()))
        .collect();
    let mut engineers: Vec<(String, String)> = rows
        .iter()
        .filter_map(|r| Some((r.engineer_id.clone()?, r.engineer_name.clone()?)))
        .collect();
    engineers.sort();
    engineers.dedup();
    Ok(BoardPage {
        shell: u.shell,
        engineers,
        rows,
        units,
        org_unit_id: f.org_unit_id,
        engineer_id: f.engineer_id,
        milestone: f.milestone,
        milestones,
    }
    .into_response())
}

// ---------------------------------------------------------------------------------------
// Calendars

#[derive(Template, WebTemplate)]
#[template(path = "sla/calendars.html")]
pub struct CalendarsPage {
    pub shell: Shell,
    pub calendars: Vec<CalendarView>,
    pub days: Vec<SpecialDayView>,
    pub year: i32,
    pub years: Vec<i32>,
    pub units: Vec<(String, String)>,
    pub org_unit_id: String,
    /// May change the calendars and the rules (the whole network's).
    pub can_edit_calendars: bool,
    /// May change the special days of the scope shown (the national ones, or a unit's).
    pub can_keep_days: bool,
    pub notice: Option<String>,
    pub error: Option<String>,
    pub rules: Vec<aftersales_app::RuleView>,
}

impl CalendarsPage {
    /// A rule's criteria in words ("any" when it has none).
    pub fn criteria(&self, r: &aftersales_app::RuleView) -> String {
        let tr = self.shell.tr;
        let mut parts = vec![];
        if let Some(v) = &r.contract_level {
            parts.push(format!("{}: {v}", tr.t_dyn("sla.crit.contract_level")));
        }
        if let Some(v) = &r.customer_tier {
            parts.push(format!("{}: {v}", tr.t_dyn("sla.crit.customer_tier")));
        }
        if let Some(v) = &r.region_class {
            parts.push(tr.t_dyn(&format!("sla.region.{v}")));
        }
        if let Some(v) = &r.priority {
            parts.push(tr.t_dyn(&format!("requests.priority.{v}")));
        }
        if let Some(v) = &r.kind {
            parts.push(tr.t_dyn(&format!("requests.kind.{v}")));
        }
        if parts.is_empty() {
            tr.t_dyn("sla.crit.any")
        } else {
            parts.join(" · ")
        }
    }

    /// A rule's targets in words: "响应 1小时 (7x24)".
    pub fn targets(&self, r: &aftersales_app::RuleView) -> String {
        let tr = self.shell.tr;
        r.targets
            .iter()
            .map(|t| {
                format!(
                    "{} {} ({})",
                    tr.t_dyn(&format!("sla.milestone.{}", t.milestone)),
                    aftersales_domain::sla::duration_text(t.minutes * 60, tr.locale),
                    self.calendar_name(&t.calendar)
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub fn weekday(&self, i: &usize) -> String {
        self.shell.tr.t_dyn(&format!("sla.weekday.{i}"))
    }

    /// A rule's minutes for a milestone ("" when it has no target for it).
    pub fn target_minutes(&self, r: &aftersales_app::RuleView, m: &str) -> String {
        r.targets
            .iter()
            .find(|t| t.milestone == m)
            .map(|t| t.minutes.to_string())
            .unwrap_or_default()
    }

    /// A rule's calendar for a milestone (`7x24` when it has none).
    pub fn target_calendar(&self, r: &aftersales_app::RuleView, m: &str) -> String {
        r.targets
            .iter()
            .find(|t| t.milestone == m)
            .map(|t| t.calendar.clone())
            .unwrap_or_else(|| "7x24".into())
    }

    /// The milestones with their words, for the rule forms.
    pub fn milestones(&self) -> Vec<(&'static str, String)> {
        Milestone::ALL
            .into_iter()
            .map(|m| {
                (
                    m.as_str(),
                    self.shell.tr.t_dyn(&format!("sla.milestone.{m}")),
                )
            })
            .collect()
    }

    /// The choices of a rule's criterion, the rule's own value selected.
    fn picks(&self, current: &Option<String>, names: &[&'static str], words: &str) -> Vec<Pick> {
        Pick::all(self.shell.tr, names, words, current.as_deref())
    }

    pub fn region_picks(&self, r: &aftersales_app::RuleView) -> Vec<Pick> {
        let names: Vec<_> = RegionClass::ALL.iter().map(|c| c.as_str()).collect();
        self.picks(&r.region_class, &names, "sla.region")
    }

    pub fn priority_picks(&self, r: &aftersales_app::RuleView) -> Vec<Pick> {
        let names: Vec<_> = Priority::ALL.iter().map(|c| c.as_str()).collect();
        self.picks(&r.priority, &names, "requests.priority")
    }

    pub fn kind_picks(&self, r: &aftersales_app::RuleView) -> Vec<Pick> {
        let names: Vec<_> = RequestKind::ALL.iter().map(|c| c.as_str()).collect();
        self.picks(&r.kind, &names, "requests.kind")
    }

    /// The kinds of special days to choose from.
    pub fn day_kinds(&self) -> &'static [DayKind] {
        DayKind::ALL
    }

    /// A blank rule for the "new rule" form.
    pub fn blank_rule(&self) -> aftersales_app::RuleView {
        aftersales_app::RuleView {
            id: String::new(),
            name: String::new(),
            contract_level: None,
            customer_tier: None,
            region_class: None,
            priority: None,
            kind: None,
            rank: 0,
            targets: vec![],
            active: true,
            version: 0,
        }
    }

    /// A weekday's spans as the form shows them.
    pub fn day_spans(&self, c: &CalendarView, i: &usize) -> String {
        c.weekly.get(*i).map(|d| d.join(", ")).unwrap_or_default()
    }

    pub fn kind_label(&self, k: &DayKind) -> String {
        self.shell.tr.t_dyn(&format!("sla.day.{k}"))
    }

    /// The badge's color: a make-up workday stands out.
    pub fn kind_class(&self, k: &DayKind) -> &'static str {
        match k {
            DayKind::Workday => "warn",
            DayKind::Holiday => "off",
        }
    }

    /// A calendar by its key, in words (the key itself when no such calendar exists).
    pub fn calendar_name(&self, key: &str) -> String {
        self.calendars
            .iter()
            .find(|c| c.key == key)
            .map_or_else(|| key.to_owned(), |c| self.name(c))
    }

    pub fn name(&self, c: &CalendarView) -> String {
        match self.shell.tr.locale {
            aftersales_domain::Locale::ZhCn => c.name_zh.clone(),
            aftersales_domain::Locale::En => c.name_en.clone(),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CalendarsQuery {
    year: String,
    org_unit_id: String,
    done: String,
}

async fn calendars_page(
    s: &AppState,
    u: WebUser,
    q: CalendarsQuery,
    error: Option<String>,
) -> Result<Response, PageError> {
    let tr = u.tr();
    let this_year = i32::from(s.app.today().year());
    let year = q.year.trim().parse().unwrap_or(this_year);
    let calendars = s.app.list_calendars(&u.ctx).await?;
    let unit = (!q.org_unit_id.trim().is_empty()).then_some(q.org_unit_id.trim());
    let days = s.app.special_days(&u.ctx, unit, Some(year)).await?;
    let can_keep_days = s.app.can_keep_special_days(&u.ctx, unit).await?;
    let units = s.app.org_unit_choices(&u.ctx).await?;
    let rules = s.app.list_sla_rules(&u.ctx).await?;
    let notice = match q.done.as_str() {
        "" => None,
        d => Some(tr.t_dyn(&format!("sla.done.{d}"))),
    };
    Ok(CalendarsPage {
        can_edit_calendars: u.ctx.can(Permission::CalendarsManage),
        can_keep_days,
        shell: u.shell,
        calendars,
        days,
        year,
        years: (this_year - 1..=this_year + 1).collect(),
        units,
        org_unit_id: q.org_unit_id,
        notice,
        error,
        rules,
    }
    .into_response())
}

pub async fn calendars(
    State(s): State<AppState>,
    u: WebUser,
    Query(q): Query<CalendarsQuery>,
) -> Result<Response, PageError> {
    calendars_page(&s, u, q, None).await
}

/// A refused form of the calendar page: the page again with what was wrong (each field
/// named in the reader's language), or the error page for anything else.
async fn refused(
    s: &AppState,
    u: WebUser,
    back: CalendarsQuery,
    e: AppError,
) -> Result<Response, PageError> {
    if !matches!(
        e,
        AppError::Validation(_) | AppError::FieldConflict(_) | AppError::StaleVersion { .. }
    ) {
        return Err(e.into());
    }
    let tr = u.tr();
    let msg = match e.field_errors() {
        Some(fe) => {
            fe.0.iter()
                .map(|x| {
                    let key = format!("sla.field.{}", x.field);
                    let label = tr.t_dyn(&key);
                    let label = if label == key { x.field.clone() } else { label };
                    format!("{label}: {}", tr.field_error(x))
                })
                .collect::<Vec<_>>()
                .join("; ")
        }
        None => tr.t_error(e.code()),
    };
    let status = crate::problem::status_of(&e);
    Ok((status, calendars_page(s, u, back, Some(msg)).await?).into_response())
}

/// A rule's form: criteria (empty = any), rank, active, and minutes and a calendar per
/// milestone (empty minutes: no target for it).
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RuleForm {
    id: String,
    version: String,
    name: String,
    contract_level: String,
    customer_tier: String,
    region_class: String,
    priority: String,
    kind: String,
    rank: String,
    active: String,
    response_minutes: String,
    response_calendar: String,
    arrival_minutes: String,
    arrival_calendar: String,
    diagnosis_minutes: String,
    diagnosis_calendar: String,
    resolution_minutes: String,
    resolution_calendar: String,
    loaner_minutes: String,
    loaner_calendar: String,
}

/// Creates or changes a rule (those who keep the calendars for the whole network).
pub async fn save_rule(
    State(s): State<AppState>,
    u: WebUser,
    Form(f): Form<RuleForm>,
) -> Result<Response, PageError> {
    let opt = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
    let mut targets = vec![];
    let mut bad_minutes = false;
    for (m, minutes, cal) in [
        (
            Milestone::Response,
            &f.response_minutes,
            &f.response_calendar,
        ),
        (Milestone::Arrival, &f.arrival_minutes, &f.arrival_calendar),
        (
            Milestone::Diagnosis,
            &f.diagnosis_minutes,
            &f.diagnosis_calendar,
        ),
        (
            Milestone::Resolution,
            &f.resolution_minutes,
            &f.resolution_calendar,
        ),
        (Milestone::Loaner, &f.loaner_minutes, &f.loaner_calendar),
    ] {
        if minutes.trim().is_empty() {
            continue;
        }
        match minutes.trim().parse::<i64>() {
            Ok(n) => targets.push(aftersales_app::TargetView {
                milestone: m.as_str().into(),
                minutes: n,
                calendar: cal.trim().to_owned(),
            }),
            Err(_) => bad_minutes = true,
        }
    }
    let input = aftersales_app::RuleView {
        id: f.id.trim().to_owned(),
        name: f.name.clone(),
        contract_level: opt(&f.contract_level),
        customer_tier: opt(&f.customer_tier),
        region_class: opt(&f.region_class),
        priority: opt(&f.priority),
        kind: opt(&f.kind),
        rank: f.rank.trim().parse().unwrap_or(0),
        targets,
        active: !f.active.is_empty(),
        version: f.version.trim().parse().unwrap_or(0),
    };
    let result = if bad_minutes {
        Err(AppError::invalid(
            aftersales_domain::FieldError::new("targets", "out_of_range")
                .with("min", 1)
                .with("max", 60 * 24 * 90),
        ))
    } else {
        s.app.save_sla_rule(&u.ctx, &input).await
    };
    match result {
        Ok(_) => Ok(crate::shell::redirect("/admin/calendars?done=rule#sla-rules").into_response()),
        Err(e) => refused(&s, u, CalendarsQuery::default(), e).await,
    }
}

/// A calendar's form: names, zone, 7×24 or the spans of each weekday (comma-separated).
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CalendarForm {
    name_zh: String,
    name_en: String,
    time_zone: String,
    always: String,
    observes_holidays: String,
    version: String,
    d0: String,
    d1: String,
    d2: String,
    d3: String,
    d4: String,
    d5: String,
    d6: String,
}

/// Saves a calendar (those who keep the calendars for the whole network).
pub async fn save_calendar(
    State(s): State<AppState>,
    u: WebUser,
    Path(key): Path<String>,
    Form(f): Form<CalendarForm>,
) -> Result<Response, PageError> {
    let split = |d: &str| -> Vec<String> {
        d.split([',', '，', ' '])
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let input = aftersales_app::CalendarInput {
        name_zh: f.name_zh.clone(),
        name_en: f.name_en.clone(),
        time_zone: Some(f.time_zone.clone()),
        always: !f.always.is_empty(),
        weekly: [&f.d0, &f.d1, &f.d2, &f.d3, &f.d4, &f.d5, &f.d6]
            .iter()
            .map(|d| split(d))
            .collect(),
        observes_holidays: !f.observes_holidays.is_empty(),
        version: f.version.trim().parse().unwrap_or(0),
    };
    match s.app.update_calendar(&u.ctx, &key, &input).await {
        Ok(_) => Ok(crate::shell::redirect("/admin/calendars?done=calendar").into_response()),
        Err(e) => refused(&s, u, CalendarsQuery::default(), e).await,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DayForm {
    day: String,
    kind: String,
    name: String,
    org_unit_id: String,
    /// "delete" removes the day.
    op: String,
}

pub async fn day(
    State(s): State<AppState>,
    u: WebUser,
    Form(f): Form<DayForm>,
) -> Result<Response, PageError> {
    let unit = (!f.org_unit_id.trim().is_empty()).then_some(f.org_unit_id.trim());
    let result = if f.op == "delete" {
        s.app.delete_special_day(&u.ctx, unit, &f.day).await
    } else {
        s.app
            .put_special_day(&u.ctx, unit, &f.day, &f.kind, &f.name)
            .await
            .map(|_| ())
    };
    let year = f.day.get(..4).unwrap_or("").to_owned();
    let back = CalendarsQuery {
        year: year.clone(),
        org_unit_id: f.org_unit_id.clone(),
        done: String::new(),
    };
    match result {
        Ok(()) => Ok(crate::shell::redirect(&format!(
            "/admin/calendars?year={}&org_unit_id={}&done={}",
            crate::shell::encode_component(&year),
            crate::shell::encode_component(&f.org_unit_id),
            if f.op == "delete" { "deleted" } else { "saved" }
        ))
        .into_response()),
        Err(e) => refused(&s, u, back, e).await,
    }
}

/// The import form (htmx, multipart): answers a fragment with the outcome.
pub async fn import(
    State(s): State<AppState>,
    u: WebUser,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let tr = u.tr();
    let result = async {
        let up = io::read_upload(&headers, body).await?;
        let unit = up
            .fields
            .get("org_unit_id")
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty());
        s.app
            .import_special_days(
                &u.ctx,
                unit.as_deref(),
                up.file_name.as_deref().unwrap_or(""),
                &up.bytes,
            )
            .await
    }
    .await;
    let html = match result {
        Ok(r) => format!(
            "<div class=\"alert ok\" role=\"status\" id=\"import-outcome\">{}</div>",
            esc(&tr.f(
                "sla.imported",
                &[
                    (
                        "years",
                        &r.years
                            .iter()
                            .map(|y| y.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    ("holidays", &r.holidays.to_string()),
                    ("workdays", &r.workdays.to_string()),
                ],
            ))
        ),
        Err(e) => {
            let lines: Vec<String> = match e.field_errors() {
                Some(fe) => {
                    fe.0.iter()
                        .map(|x| {
                            let line = x
                                .params
                                .iter()
                                .find(|p| p.0 == "line")
                                .map(|p| p.1)
                                .unwrap_or(0);
                            format!(
                                "<li>{}</li>",
                                esc(&tr.f(
                                    "sla.file_problem",
                                    &[("line", &line.to_string()), ("problem", &tr.field_error(x))]
                                ))
                            )
                        })
                        .collect()
                }
                None => vec![],
            };
            format!(
                "<div class=\"alert error\" role=\"alert\" id=\"import-outcome\">{}<ul>{}</ul></div>",
                esc(&tr.t_error(e.code())),
                lines.join("")
            )
        }
    };
    Html(html).into_response()
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

// ---------------------------------------------------------------------------------------
// The bell

#[derive(Template, WebTemplate)]
#[template(path = "sla/notifications.html")]
pub struct NotificationsPage {
    pub shell: Shell,
    pub inbox: Inbox,
}

impl NotificationsPage {
    /// Not read yet (the bell counts it).
    pub fn unread(&self, n: &aftersales_app::NotificationView) -> bool {
        n.status == aftersales_domain::notifications::NotificationStatus::Unread
    }

    /// The message's lines without its link: an e-mail or a text carries the address as a
    /// line, the page shows it as a link (issue 13: never a raw path as text).
    pub fn lines(&self, n: &aftersales_app::NotificationView) -> Vec<String> {
        body_lines(&n.body, n.link.as_deref())
    }
}

/// `body` as lines, without those that are only the notification's link (absolute or the
/// site's path).
pub(crate) fn body_lines(body: &str, link: Option<&str>) -> Vec<String> {
    let is_link = |l: &str| {
        let l = l.trim();
        link.is_some_and(|k| !k.is_empty() && (l == k || (l.starts_with("http") && l.ends_with(k))))
    };
    body.lines()
        .filter(|l| !l.trim().is_empty() && !is_link(l))
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod bell_tests {
    #[test]
    fn the_link_line_is_left_to_the_link() {
        let body = "服务单 SR1 已超时。\n/requests/SR1";
        assert_eq!(
            super::body_lines(body, Some("/requests/SR1")),
            vec!["服务单 SR1 已超时。".to_owned()]
        );
        let body = "Overdue.\nhttps://x.example/requests/SR1";
        assert_eq!(
            super::body_lines(body, Some("https://x.example/requests/SR1")),
            vec!["Overdue.".to_owned()]
        );
        // Without a link, every line stays.
        assert_eq!(super::body_lines("a\nb", None).len(), 2);
    }
}

pub async fn notifications(State(s): State<AppState>, u: WebUser) -> Result<Response, PageError> {
    let inbox = s.app.inbox(&u.ctx, 100).await?;
    Ok(NotificationsPage {
        shell: u.shell,
        inbox,
    }
    .into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReadForm {
    id: String,
}

pub async fn read(
    State(s): State<AppState>,
    u: WebUser,
    Form(f): Form<ReadForm>,
) -> Result<Response, PageError> {
    let id = (!f.id.trim().is_empty()).then_some(f.id.trim());
    s.app.mark_notifications_read(&u.ctx, id).await?;
    Ok(crate::shell::redirect("/notifications").into_response())
}

/// The bell's count, for the top bar (htmx swaps it in).
pub async fn bell(State(s): State<AppState>, u: WebUser) -> Result<Response, PageError> {
    let n = match s.app.inbox(&u.ctx, 1).await {
        Ok(i) => i.unread,
        // Someone without an inbox has nothing to count.
        Err(AppError::Forbidden) => 0,
        Err(e) => return Err(e.into()),
    };
    let tr = u.tr();
    Ok(Html(format!(
        "<a href=\"/notifications\" id=\"bell\" class=\"bell\" aria-label=\"{}\">🔔{}</a>",
        esc(&tr.t_dyn("sla.bell")),
        if n > 0 {
            format!("<span class=\"badge danger\" id=\"bell-count\">{n}</span>")
        } else {
            String::new()
        }
    ))
    .into_response())
}
