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
    /// A refused rule form, shown again as typed with its errors beside the fields.
    pub draft: Option<RuleFields>,
    /// The day just removed, offered back ("undo").
    pub undo: Option<DayForm>,
}

/// A rule's form as shown: the values as text (a refused form keeps what was typed), each
/// target in days, hours and minutes, and the errors of its fields.
pub struct RuleFields {
    pub id: String,
    pub version: String,
    pub name: String,
    pub contract_level: String,
    pub customer_tier: String,
    pub region_class: String,
    pub priority: String,
    pub kind: String,
    pub rank: String,
    pub active: bool,
    /// One per milestone, in `Milestone::ALL` order.
    pub targets: Vec<TargetFields>,
    /// (field, message): `name`, `rank`, `{milestone}_duration`, `{milestone}_calendar`,
    /// `targets` …
    pub errors: Vec<(String, String)>,
}

pub struct TargetFields {
    pub milestone: &'static str,
    pub label: String,
    pub days: String,
    pub hours: String,
    pub minutes: String,
    pub calendar: String,
}

impl RuleFields {
    /// The form's key in element ids: the rule's id, or `new`.
    pub fn key(&self) -> &str {
        if self.id.is_empty() { "new" } else { &self.id }
    }

    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
}

/// Minutes as whole days, hours and minutes ("" for a zero part).
fn split_minutes(total: i64) -> (String, String, String) {
    let part = |n: i64| if n == 0 { String::new() } else { n.to_string() };
    (
        part(total / 1440),
        part(total % 1440 / 60),
        part(total % 60),
    )
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

    /// A rule's form: the refused one as typed when it is this rule's, else the rule's
    /// values.
    pub fn rule_fields(&self, r: &aftersales_app::RuleView) -> RuleFields {
        if let Some(d) = self.draft.as_ref().filter(|d| d.id == r.id) {
            return self.copy_fields(d);
        }
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        RuleFields {
            id: r.id.clone(),
            version: r.version.to_string(),
            name: r.name.clone(),
            contract_level: opt(&r.contract_level),
            customer_tier: opt(&r.customer_tier),
            region_class: opt(&r.region_class),
            priority: opt(&r.priority),
            kind: opt(&r.kind),
            rank: r.rank.to_string(),
            active: r.active,
            targets: Milestone::ALL
                .into_iter()
                .map(|m| {
                    let t = r.targets.iter().find(|t| t.milestone == m.as_str());
                    let (days, hours, minutes) =
                        t.map_or_else(Default::default, |t| split_minutes(t.minutes));
                    TargetFields {
                        milestone: m.as_str(),
                        label: self.shell.tr.t_dyn(&format!("sla.milestone.{m}")),
                        days,
                        hours,
                        minutes,
                        calendar: t.map_or_else(|| "7x24".to_owned(), |t| t.calendar.clone()),
                    }
                })
                .collect(),
            errors: vec![],
        }
    }

    /// The "new rule" form: the refused new rule as typed, else blank.
    pub fn new_rule_fields(&self) -> RuleFields {
        match self.draft.as_ref().filter(|d| d.id.is_empty()) {
            Some(d) => self.copy_fields(d),
            None => self.rule_fields(&aftersales_app::RuleView {
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
            }),
        }
    }

    /// Whether the "new rule" form is the refused one (shown open).
    pub fn new_rule_refused(&self) -> bool {
        self.draft.as_ref().is_some_and(|d| d.id.is_empty())
    }

    /// Whether a rule's form is the refused one (shown open).
    pub fn rule_refused(&self, r: &aftersales_app::RuleView) -> bool {
        self.draft.as_ref().is_some_and(|d| d.id == r.id)
    }

    fn copy_fields(&self, d: &RuleFields) -> RuleFields {
        RuleFields {
            id: d.id.clone(),
            version: d.version.clone(),
            name: d.name.clone(),
            contract_level: d.contract_level.clone(),
            customer_tier: d.customer_tier.clone(),
            region_class: d.region_class.clone(),
            priority: d.priority.clone(),
            kind: d.kind.clone(),
            rank: d.rank.clone(),
            active: d.active,
            targets: d
                .targets
                .iter()
                .map(|t| TargetFields {
                    milestone: t.milestone,
                    label: t.label.clone(),
                    days: t.days.clone(),
                    hours: t.hours.clone(),
                    minutes: t.minutes.clone(),
                    calendar: t.calendar.clone(),
                })
                .collect(),
            errors: d.errors.clone(),
        }
    }

    /// The choices of a rule's criterion, the form's value selected.
    fn picks(&self, current: &str, names: &[&'static str], words: &str) -> Vec<Pick> {
        Pick::all(
            self.shell.tr,
            names,
            words,
            Some(current).filter(|c| !c.is_empty()),
        )
    }

    pub fn region_picks(&self, r: &RuleFields) -> Vec<Pick> {
        let names: Vec<_> = RegionClass::ALL.iter().map(|c| c.as_str()).collect();
        self.picks(&r.region_class, &names, "sla.region")
    }

    pub fn priority_picks(&self, r: &RuleFields) -> Vec<Pick> {
        let names: Vec<_> = Priority::ALL.iter().map(|c| c.as_str()).collect();
        self.picks(&r.priority, &names, "requests.priority")
    }

    pub fn kind_picks(&self, r: &RuleFields) -> Vec<Pick> {
        let names: Vec<_> = RequestKind::ALL.iter().map(|c| c.as_str()).collect();
        self.picks(&r.kind, &names, "requests.kind")
    }

    /// The kinds of special days to choose from.
    pub fn day_kinds(&self) -> &'static [DayKind] {
        DayKind::ALL
    }

    /// The undo form's notice: "已删除 2026-10-01（国庆节）。"
    pub fn undo_notice(&self, d: &DayForm) -> String {
        self.shell
            .tr
            .f("sla.form.deleted", &[("day", &d.day), ("name", &d.name)])
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
    /// The day removed or restored (with `done`), its kind and name.
    day: String,
    kind: String,
    name: String,
}

async fn calendars_page(
    s: &AppState,
    u: WebUser,
    q: CalendarsQuery,
    error: Option<String>,
    draft: Option<RuleFields>,
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
    // "deleted" comes with the removed day, offered back; "restored" names it.
    let undo = (q.done == "deleted" && !q.day.is_empty()).then(|| DayForm {
        day: q.day.clone(),
        kind: q.kind.clone(),
        name: q.name.clone(),
        org_unit_id: q.org_unit_id.clone(),
        op: String::new(),
    });
    let notice = match q.done.as_str() {
        "" => None,
        "deleted" if undo.is_some() => None,
        "restored" => Some(tr.f(
            "sla.form.restored",
            &[("day", q.day.as_str()), ("name", q.name.as_str())],
        )),
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
        draft,
        undo,
    }
    .into_response())
}

pub async fn calendars(
    State(s): State<AppState>,
    u: WebUser,
    Query(q): Query<CalendarsQuery>,
) -> Result<Response, PageError> {
    calendars_page(&s, u, q, None, None).await
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
    Ok((status, calendars_page(s, u, back, Some(msg), None).await?).into_response())
}

/// A rule's form: criteria (empty = any), rank, active, and per milestone a target in
/// days, hours and minutes (`{milestone}_days|_hours|_mins`, all empty: no target) and a
/// calendar (`{milestone}_calendar`).
type RuleForm = Vec<(String, String)>;

fn form_value<'a>(f: &'a RuleForm, name: &str) -> &'a str {
    f.iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// The most a target may be (90 days), as the use-case bounds it.
const MAX_TARGET_MINUTES: i64 = 60 * 24 * 90;

/// Creates or changes a rule (those who keep the calendars for the whole network). A
/// refused form comes back as typed, every error beside its field.
pub async fn save_rule(
    State(s): State<AppState>,
    u: WebUser,
    Form(f): Form<RuleForm>,
) -> Result<Response, PageError> {
    let tr = u.tr();
    let v = |name: &str| form_value(&f, name).to_owned();
    let opt = |name: &str| Some(v(name).trim().to_owned()).filter(|v| !v.is_empty());
    let mut fields = RuleFields {
        id: v("id").trim().to_owned(),
        version: v("version"),
        name: v("name"),
        contract_level: v("contract_level"),
        customer_tier: v("customer_tier"),
        region_class: v("region_class"),
        priority: v("priority"),
        kind: v("kind"),
        rank: v("rank"),
        active: !v("active").is_empty(),
        targets: vec![],
        errors: vec![],
    };
    // The targets: each part a whole number; their sum in minutes. `sent[i]` is the
    // milestone of the use-case's `targets.{i}`.
    let mut targets = vec![];
    let mut sent = vec![];
    for m in Milestone::ALL {
        let t = TargetFields {
            milestone: m.as_str(),
            label: tr.t_dyn(&format!("sla.milestone.{m}")),
            days: v(&format!("{m}_days")).trim().to_owned(),
            hours: v(&format!("{m}_hours")).trim().to_owned(),
            minutes: v(&format!("{m}_mins")).trim().to_owned(),
            calendar: v(&format!("{m}_calendar")).trim().to_owned(),
        };
        if [&t.days, &t.hours, &t.minutes]
            .iter()
            .any(|p| !p.is_empty())
        {
            let part = |p: &str| -> Option<i64> {
                if p.is_empty() {
                    return Some(0);
                }
                p.parse::<i64>()
                    .ok()
                    .filter(|n| (0..=MAX_TARGET_MINUTES).contains(n))
            };
            // A part that is not a whole number goes on as 0 minutes, which the use-case
            // refuses too: nothing is saved, and its other errors show at the same time.
            let total = match (part(&t.days), part(&t.hours), part(&t.minutes)) {
                (Some(d), Some(h), Some(mi)) => d * 1440 + h * 60 + mi,
                _ => {
                    fields
                        .errors
                        .push((format!("{m}_duration"), tr.t_dyn("sla.form.whole_number")));
                    0
                }
            };
            sent.push(m.as_str());
            targets.push(aftersales_app::TargetView {
                milestone: m.as_str().into(),
                minutes: total,
                calendar: t.calendar.clone(),
            });
        }
        fields.targets.push(t);
    }
    let rank = match fields.rank.trim() {
        "" => Some(0),
        r => r.parse::<i64>().ok(),
    };
    if rank.is_none() {
        fields
            .errors
            .push(("rank".into(), tr.t_dyn("sla.form.whole_number")));
    }
    let input = aftersales_app::RuleView {
        id: fields.id.clone(),
        name: fields.name.clone(),
        contract_level: opt("contract_level"),
        customer_tier: opt("customer_tier"),
        region_class: opt("region_class"),
        priority: opt("priority"),
        kind: opt("kind"),
        // An unreadable rank goes on as -1, which the use-case refuses as well.
        rank: rank.unwrap_or(-1),
        targets,
        active: fields.active,
        version: fields.version.trim().parse().unwrap_or(0),
    };
    // The use-case's own checks run too, so every error shows at once.
    let result = s.app.save_sla_rule(&u.ctx, &input).await;
    match result {
        Ok(_) if fields.errors.is_empty() => {
            Ok(crate::shell::redirect("/admin/calendars?done=rule#sla-rules").into_response())
        }
        // Every error found here is also one the use-case refuses (above), so a rule is
        // never saved with a part of its form refused.
        Ok(_) => Err(AppError::Internal("rule saved with a refused field".into()).into()),
        Err(e @ (AppError::Validation(_) | AppError::StaleVersion { .. })) => {
            if let Some(fe) = e.field_errors() {
                for x in &fe.0 {
                    let field = rule_field(&x.field, &sent);
                    let msg = if field == "targets" {
                        tr.t_dyn("sla.form.targets_required")
                    } else if field.ends_with("_duration") {
                        tr.t_dyn("sla.form.duration_range")
                    } else {
                        tr.field_error(x)
                    };
                    if fields.error(&field).is_none() {
                        fields.errors.push((field, msg));
                    }
                }
            } else {
                fields.errors.push(("form".into(), tr.t_error(e.code())));
            }
            let status = crate::problem::status_of(&e);
            let error = Some(tr.t_dyn("sla.form.fix_below"));
            Ok((
                status,
                calendars_page(&s, u, CalendarsQuery::default(), error, Some(fields)).await?,
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// The form field of a use-case's error: `targets.{i}.minutes` is the duration of the
/// `i`-th milestone sent, `targets.{i}.calendar` its calendar.
fn rule_field(field: &str, sent: &[&str]) -> String {
    let mut parts = field.split('.');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("targets"), Some(i), Some(what)) => {
            match i.parse::<usize>().ok().and_then(|i| sent.get(i)) {
                Some(m) if what == "calendar" => format!("{m}_calendar"),
                Some(m) => format!("{m}_duration"),
                None => "targets".into(),
            }
        }
        _ => field.to_owned(),
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
    pub day: String,
    pub kind: String,
    pub name: String,
    pub org_unit_id: String,
    /// "delete" removes the day (its kind and name come along, for the undo); "restore"
    /// puts a removed day back.
    pub op: String,
}

pub async fn day(
    State(s): State<AppState>,
    u: WebUser,
    Form(mut f): Form<DayForm>,
) -> Result<Response, PageError> {
    let unit = (!f.org_unit_id.trim().is_empty()).then_some(f.org_unit_id.trim());
    // The picker's `YYYY-MM-DD`, or a date typed as `2026/10/1`.
    f.day = crate::when::normalize_date(&f.day);
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
        ..Default::default()
    };
    let enc = crate::shell::encode_component;
    // A removal names the day, its kind and name on the page it returns to, with a form
    // that puts it back (undo); an undone removal says so.
    let done = match f.op.as_str() {
        "delete" => "deleted",
        "restore" => "restored",
        _ => "saved",
    };
    match result {
        Ok(()) => Ok(crate::shell::redirect(&format!(
            "/admin/calendars?year={}&org_unit_id={}&done={done}&day={}&kind={}&name={}",
            enc(&year),
            enc(&f.org_unit_id),
            enc(f.day.trim()),
            enc(f.kind.trim()),
            enc(f.name.trim()),
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
        "<a href=\"/notifications\" id=\"bell\" class=\"bell\" aria-label=\"{}\">{}{}</a>",
        esc(&tr.t_dyn("sla.bell")),
        crate::shell::BELL_SVG,
        if n > 0 {
            format!("<span class=\"badge danger\" id=\"bell-count\">{n}</span>")
        } else {
            String::new()
        }
    ))
    .into_response())
}
