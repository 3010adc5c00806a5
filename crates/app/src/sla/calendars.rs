//! Calendars (docs/sla.md, "Calendars"): the calendars, the special days (national and a
//! unit's own, one by one or imported from a file) and the per-unit overrides; and the
//! calendars as they hold for a unit, which the clocks count in.

use super::{internal, parse_hours, zone};
use crate::network::unit_chain;
use crate::{AppError, Ctx};
use aftersales_domain::audit::{AuditAction, AuditEntity};
use aftersales_domain::calendar::{Calendar, DayKind, Hours, Span, SpecialDay, SpecialDays};
use aftersales_domain::holidays::{self, Format};
use aftersales_domain::locale::Locale;
use aftersales_domain::{FieldError, FieldErrors, OrgUnitId, Permission};
use aftersales_store::sla::{self as store, CalendarRow, SpecialDayRow};
use aftersales_store::{Conn, network::org as org_store, time};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

fn special_day(r: &SpecialDayRow) -> Result<SpecialDay, AppError> {
    Ok(SpecialDay {
        date: r.day.parse().map_err(|e| internal("special day", e))?,
        kind: DayKind::parse(&r.kind).ok_or_else(|| internal("special day kind", &r.kind))?,
        name: r.name.clone(),
    })
}

/// The special days as they hold for a unit (its `chain` from the root): the national
/// ones overlaid with those of each unit down to it.
pub(crate) async fn special_days_for(
    conn: &mut Conn,
    chain: &[String],
) -> Result<SpecialDays, AppError> {
    let mut scopes = vec![String::new()];
    scopes.extend(chain.iter().cloned());
    let days = store::special_days(&mut *conn, &scopes).await?;
    let mut special = SpecialDays::default();
    for scope in &scopes {
        let of_scope: Vec<SpecialDay> = days
            .iter()
            .filter(|d| &d.scope == scope)
            .map(special_day)
            .collect::<Result<_, _>>()?;
        special.overlay(&SpecialDays::new(of_scope).map_err(|e| internal("special days", e))?);
    }
    Ok(special)
}

/// The calendars as they hold for a unit: its own (or its nearest parent's) time zone and
/// hours, the national special days overlaid with those of the units down to it.
pub(crate) async fn calendars_for(
    conn: &mut Conn,
    unit: Option<&str>,
    locale: Locale,
) -> Result<HashMap<String, Calendar>, AppError> {
    let chain = unit_chain(conn, unit).await?;
    let rows = store::calendars(&mut *conn).await?;
    let special = special_days_for(conn, &chain).await?;
    let overrides = store::overrides_of_units(&mut *conn, &chain).await?;
    let mut out = HashMap::new();
    for r in rows {
        // The nearest unit that sets a zone gives the zone, the nearest that sets hours the
        // hours (each field on its own).
        let nearest = |field: fn(&store::OverrideRow) -> Option<String>| {
            chain.iter().rev().find_map(|u| {
                overrides
                    .iter()
                    .find(|o| &o.org_unit_id == u && o.calendar_key == r.key)
                    .and_then(field)
            })
        };
        let tz_name = nearest(|o| o.time_zone.clone()).unwrap_or_else(|| r.time_zone.clone());
        let hours = match nearest(|o| o.hours.clone()) {
            Some(h) => parse_hours(&h)?,
            None => parse_hours(&r.hours)?,
        };
        let name = match locale {
            Locale::ZhCn => r.name_zh.clone(),
            Locale::En => r.name_en.clone(),
        };
        out.insert(
            r.key.clone(),
            Calendar {
                name,
                tz: zone(&tz_name)?,
                hours,
                special: if r.observes_holidays != 0 {
                    special.clone()
                } else {
                    SpecialDays::default()
                },
            },
        );
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Calendars and special days (admin)

/// A calendar as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CalendarView {
    pub key: String,
    pub name_zh: String,
    pub name_en: String,
    pub time_zone: String,
    /// True: 7×24.
    pub always: bool,
    /// Monday first: each day's spans as `HH:MM-HH:MM`.
    pub weekly: Vec<Vec<String>>,
    pub observes_holidays: bool,
    pub version: i64,
}

/// A holiday or make-up workday.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SpecialDayView {
    #[schema(value_type = String, format = Date)]
    pub day: Date,
    /// `holiday` or `workday` (调休上班).
    #[schema(value_type = crate::schema::DayKindName)]
    pub kind: DayKind,
    pub name: String,
    /// The org unit whose own day it is; null for the national schedule.
    pub org_unit_id: Option<String>,
}

/// A change of a calendar.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CalendarInput {
    pub name_zh: String,
    pub name_en: String,
    pub time_zone: Option<String>,
    pub always: bool,
    /// Monday first, seven entries, each a list of `HH:MM-HH:MM` (ignored when `always`).
    #[serde(default)]
    pub weekly: Vec<Vec<String>>,
    pub observes_holidays: bool,
    pub version: i64,
}

/// What an import of a schedule did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SpecialDaysImport {
    /// The years whose days were replaced.
    pub years: Vec<i32>,
    pub holidays: usize,
    pub workdays: usize,
}

fn calendar_view(r: &CalendarRow) -> Result<CalendarView, AppError> {
    let hours = parse_hours(&r.hours)?;
    let (always, weekly) = match hours {
        Hours::Always => (true, vec![]),
        Hours::Weekly { days } => (
            false,
            days.iter()
                .map(|d| d.iter().map(|s| s.to_string().replace('–', "-")).collect())
                .collect(),
        ),
    };
    Ok(CalendarView {
        key: r.key.clone(),
        name_zh: r.name_zh.clone(),
        name_en: r.name_en.clone(),
        time_zone: r.time_zone.clone(),
        always,
        weekly,
        observes_holidays: r.observes_holidays != 0,
        version: r.version,
    })
}

/// Checks a scope: none (national) or an existing org unit.
async fn scope_of(conn: &mut Conn, unit: Option<&str>) -> Result<String, AppError> {
    match unit.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(String::new()),
        Some(u) => {
            let id: OrgUnitId = u
                .parse()
                .map_err(|_| AppError::invalid(FieldError::new("org_unit_id", "invalid_id")))?;
            match org_store::get(&mut *conn, id).await {
                Ok(_) => Ok(id.to_string()),
                // As a record outside one's scope: not found (the days of a unit that does
                // not exist do not exist either).
                Err(aftersales_store::StoreError::NotFound) => Err(AppError::NotFound("org_unit")),
                Err(e) => Err(e.into()),
            }
        }
    }
}

/// Who keeps a scope's days and overrides (docs/sla.md, "Who keeps them"): those who keep
/// the calendars for the whole network (`CalendarsManage`) any scope; those who keep a
/// unit's own (`UnitCalendarsManage`, managers) only the units of their own subtree, never
/// the national schedule.
async fn check_sla_scope(ctx: &Ctx, conn: &mut Conn, scope: &str) -> Result<(), AppError> {
    if ctx.can(Permission::CalendarsManage) {
        return Ok(());
    }
    ctx.require(Permission::UnitCalendarsManage)?;
    let Some(mine) = ctx.actor().and_then(|a| a.org_path.as_deref()) else {
        return Err(AppError::Forbidden);
    };
    let Ok(id) = scope.parse::<OrgUnitId>() else {
        return Err(AppError::Forbidden);
    };
    match org_store::get(&mut *conn, id).await {
        Ok(o) if o.path.starts_with(mine) => Ok(()),
        Ok(_) => Err(AppError::Forbidden),
        Err(e) => Err(e.into()),
    }
}

impl crate::App {
    /// The scope of an SLA data change ('' national, else the unit's id), checked against
    /// the caller before anything else (a manager's unit must lie in their subtree).
    async fn sla_scope(&self, ctx: &Ctx, org_unit: Option<&str>) -> Result<String, AppError> {
        let mut conn = self.db.acquire().await?;
        let scope = match scope_of(&mut conn, org_unit).await {
            Ok(s) => s,
            // One who keeps only their own units, naming a unit that does not exist, may not
            // learn that it does not.
            Err(AppError::NotFound(_) | AppError::Validation(_))
                if !ctx.can(Permission::CalendarsManage) =>
            {
                return Err(AppError::Forbidden);
            }
            Err(e) => return Err(e),
        };
        check_sla_scope(ctx, &mut conn, &scope).await?;
        Ok(scope)
    }

    /// Whether the caller may change the special days of a scope (none: the national
    /// schedule), for the calendar page's forms. The same check as the change itself.
    #[tracing::instrument(skip_all)]
    pub async fn can_keep_special_days(
        &self,
        ctx: &Ctx,
        org_unit: Option<&str>,
    ) -> Result<bool, AppError> {
        if !ctx.can(Permission::UnitCalendarsManage) {
            return Ok(false);
        }
        match self.sla_scope(ctx, org_unit).await {
            Ok(_) => Ok(true),
            Err(AppError::Forbidden) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

fn special_day_view(r: &SpecialDayRow) -> Result<SpecialDayView, AppError> {
    Ok(SpecialDayView {
        day: r.day.parse().map_err(|e| internal("special day", e))?,
        kind: DayKind::parse(&r.kind).ok_or_else(|| internal("special day kind", &r.kind))?,
        name: r.name.clone(),
        org_unit_id: (!r.scope.is_empty()).then(|| r.scope.clone()),
    })
}

impl crate::App {
    /// Every calendar. Staff read them (a dispatcher reads a trace against them).
    #[tracing::instrument(skip_all)]
    pub async fn list_calendars(&self, ctx: &Ctx) -> Result<Vec<CalendarView>, AppError> {
        ctx.require(Permission::SlaRead)?;
        let mut conn = self.db.acquire().await?;
        store::calendars(&mut *conn)
            .await?
            .iter()
            .map(calendar_view)
            .collect()
    }

    /// Changes a calendar's names, zone, hours or holiday setting (those who keep the
    /// calendars for the whole network).
    #[tracing::instrument(skip_all)]
    pub async fn update_calendar(
        &self,
        ctx: &Ctx,
        key: &str,
        input: &CalendarInput,
    ) -> Result<CalendarView, AppError> {
        ctx.require(Permission::CalendarsManage)?;
        let mut errs = FieldErrors::new();
        let name_zh = input.name_zh.trim();
        let name_en = input.name_en.trim();
        if name_zh.is_empty() {
            errs.push(FieldError::new("name_zh", "required"));
        }
        if name_en.is_empty() {
            errs.push(FieldError::new("name_en", "required"));
        }
        let tz = input
            .time_zone
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or(self.site().time_zone())
            .to_owned();
        if TimeZone::get(&tz).is_err() {
            errs.push(FieldError::new("time_zone", "unknown_time_zone"));
        }
        let hours = if input.always {
            Some(Hours::Always)
        } else {
            parse_weekly(&input.weekly, &mut errs)
        };
        errs.into_result().map_err(AppError::Validation)?;
        let hours = hours.ok_or_else(|| internal("hours", "missing"))?;
        let mut tx = self.db.begin().await?;
        let before = store::calendar(tx.conn(), key)
            .await?
            .ok_or(AppError::NotFound("calendar"))?;
        if before.version != input.version {
            return Err(AppError::StaleVersion {
                current: before.version,
            });
        }
        let after = CalendarRow {
            name_zh: name_zh.to_owned(),
            name_en: name_en.to_owned(),
            time_zone: tz,
            hours: serde_json::to_string(&hours).map_err(|e| internal("hours", e))?,
            observes_holidays: i64::from(input.observes_holidays),
            updated_at: time::to_db(self.now())?,
            ..before.clone()
        };
        if !store::update_calendar(tx.conn(), &after).await? {
            return Err(AppError::StaleVersion {
                current: before.version + 1,
            });
        }
        let view_before = calendar_view(&before)?;
        let mut view_after = calendar_view(&after)?;
        view_after.version = before.version + 1;
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::Calendar,
            key,
            AuditAction::Update,
            serde_json::to_value(&view_before).ok(),
            serde_json::to_value(&view_after).ok(),
        )
        .await?;
        self.arm_recalc(&mut tx).await?;
        tx.commit().await?;
        Ok(view_after)
    }

    /// The special days of a year: the national ones, or a unit's own.
    #[tracing::instrument(skip_all)]
    pub async fn special_days(
        &self,
        ctx: &Ctx,
        org_unit: Option<&str>,
        year: Option<i32>,
    ) -> Result<Vec<SpecialDayView>, AppError> {
        ctx.require(Permission::SlaRead)?;
        if let Some(y) = year {
            use aftersales_domain::bounds::{SERVICE_FIRST_YEAR, SERVICE_LAST_YEAR};
            aftersales_domain::bounds::check_int(
                "year",
                i64::from(y),
                i64::from(SERVICE_FIRST_YEAR),
                i64::from(SERVICE_LAST_YEAR),
            )
            .map_err(AppError::invalid)?;
        }
        let mut conn = self.db.acquire().await?;
        let scope = scope_of(&mut conn, org_unit).await?;
        let rows = store::special_days(&mut *conn, &[scope]).await?;
        rows.iter()
            .filter(|r| year.is_none_or(|y| r.day.starts_with(&format!("{y:04}-"))))
            .map(special_day_view)
            .collect()
    }

    /// Loads a schedule file (TOML, CSV or ICS): the years it covers are replaced in the
    /// scope; a file with any problem changes nothing.
    #[tracing::instrument(skip_all)]
    pub async fn import_special_days(
        &self,
        ctx: &Ctx,
        org_unit: Option<&str>,
        file_name: &str,
        content: &[u8],
    ) -> Result<SpecialDaysImport, AppError> {
        ctx.require(Permission::UnitCalendarsManage)?;
        self.sla_scope(ctx, org_unit).await?;
        let text = std::str::from_utf8(content).map_err(|_| AppError::BadFile("not_utf8"))?;
        if text.trim().is_empty() {
            return Err(AppError::BadFile("empty_file"));
        }
        let days = holidays::parse(Format::guess(file_name, text), text).map_err(|problems| {
            AppError::Validation(FieldErrors(
                problems
                    .iter()
                    .map(|p| FieldError::new("file", p.code).with("line", p.line as i64))
                    .collect(),
            ))
        })?;
        if days.is_empty() {
            return Err(AppError::BadFile("empty_file"));
        }
        // The notice's year is the one most of its days fall in; only that year is
        // replaced. Days it lists in a neighbouring year (a notice may start with the last
        // days of December) are added or changed, the rest of that year stays.
        let mut per_year: std::collections::BTreeMap<i32, usize> = Default::default();
        for d in &days {
            *per_year.entry(i32::from(d.date.year())).or_default() += 1;
        }
        let main_year = per_year
            .iter()
            .max_by_key(|(y, n)| (**n, -**y))
            .map(|(y, _)| *y)
            .unwrap_or_default();
        let years = vec![main_year];
        let mut tx = self.db.begin().await?;
        let scope = scope_of_tx(&mut tx, org_unit).await?;
        let now = time::to_db(self.now())?;
        let by = ctx.audit_actor().1;
        for y in &years {
            store::delete_special_days_of_year(tx.conn(), &scope, *y).await?;
        }
        for d in &days {
            store::upsert_special_day(
                tx.conn(),
                &SpecialDayRow {
                    scope: scope.clone(),
                    day: d.date.to_string(),
                    kind: d.kind.as_str().to_owned(),
                    name: d.name.clone(),
                    updated_by: Some(by.clone()),
                    updated_at: now.clone(),
                },
            )
            .await?;
        }
        let result = SpecialDaysImport {
            years: years.clone(),
            holidays: days.iter().filter(|d| d.kind == DayKind::Holiday).count(),
            workdays: days.iter().filter(|d| d.kind == DayKind::Workday).count(),
        };
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::SpecialDays,
            if scope.is_empty() { "national" } else { &scope },
            AuditAction::Import,
            None,
            Some(serde_json::json!({"file": file_name, "years": years, "holidays": result.holidays, "workdays": result.workdays})),
        )
        .await?;
        self.arm_recalc(&mut tx).await?;
        tx.commit().await?;
        Ok(result)
    }

    /// Adds or changes one special day.
    #[tracing::instrument(skip_all)]
    pub async fn put_special_day(
        &self,
        ctx: &Ctx,
        org_unit: Option<&str>,
        day: &str,
        kind: &str,
        name: &str,
    ) -> Result<SpecialDayView, AppError> {
        ctx.require(Permission::UnitCalendarsManage)?;
        self.sla_scope(ctx, org_unit).await?;
        let mut errs = FieldErrors::new();
        let date: Option<Date> =
            errs.take(aftersales_domain::bounds::parse_service_day("day", day));
        let kind = DayKind::parse(kind);
        if kind.is_none() {
            errs.push(FieldError::new("kind", "invalid_choice"));
        }
        let name = name.trim();
        if name.is_empty() {
            errs.push(FieldError::new("name", "required"));
        } else if name.chars().count() > 50 {
            errs.push(FieldError::new("name", "too_long").with("max", 50));
        }
        errs.into_result().map_err(AppError::Validation)?;
        let (Some(date), Some(kind)) = (date, kind) else {
            return Err(internal("special day", "unchecked"));
        };
        let mut tx = self.db.begin().await?;
        let scope = scope_of_tx(&mut tx, org_unit).await?;
        let row = SpecialDayRow {
            scope: scope.clone(),
            day: date.to_string(),
            kind: kind.as_str().to_owned(),
            name: name.to_owned(),
            updated_by: Some(ctx.audit_actor().1),
            updated_at: time::to_db(self.now())?,
        };
        store::upsert_special_day(tx.conn(), &row).await?;
        let view = special_day_view(&row)?;
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::SpecialDay,
            &format!(
                "{}:{}",
                if scope.is_empty() { "national" } else { &scope },
                row.day
            ),
            AuditAction::Put,
            None,
            serde_json::to_value(&view).ok(),
        )
        .await?;
        self.arm_recalc(&mut tx).await?;
        tx.commit().await?;
        Ok(view)
    }

    #[tracing::instrument(skip_all)]
    pub async fn delete_special_day(
        &self,
        ctx: &Ctx,
        org_unit: Option<&str>,
        day: &str,
    ) -> Result<(), AppError> {
        ctx.require(Permission::UnitCalendarsManage)?;
        self.sla_scope(ctx, org_unit).await?;
        let mut tx = self.db.begin().await?;
        let scope = scope_of_tx(&mut tx, org_unit).await?;
        if !store::delete_special_day(tx.conn(), &scope, day.trim()).await? {
            return Err(AppError::NotFound("special_day"));
        }
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::SpecialDay,
            &format!(
                "{}:{}",
                if scope.is_empty() { "national" } else { &scope },
                day.trim()
            ),
            AuditAction::Delete,
            None,
            None,
        )
        .await?;
        self.arm_recalc(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }
}

async fn scope_of_tx(
    tx: &mut aftersales_store::Tx,
    unit: Option<&str>,
) -> Result<String, AppError> {
    scope_of(tx.conn(), unit).await
}

fn parse_weekly(days: &[Vec<String>], errs: &mut FieldErrors) -> Option<Hours> {
    if days.len() != 7 {
        errs.push(FieldError::new("weekly", "invalid_choice"));
        return None;
    }
    let mut out: [Vec<Span>; 7] = Default::default();
    let mut ok = true;
    for (i, d) in days.iter().enumerate() {
        for s in d.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
            match Span::parse(s) {
                Ok(span) => out[i].push(span),
                Err(_) => {
                    errs.push(FieldError::new(format!("weekly.{i}"), "invalid_span"));
                    ok = false;
                }
            }
        }
        out[i].sort_by_key(|s| s.start);
    }
    let hours = Hours::Weekly { days: out };
    if ok && let Err(e) = hours.validate() {
        errs.push(FieldError::new(
            "weekly",
            match e {
                aftersales_domain::calendar::CalendarError::NoWorkingTime => "no_working_time",
                _ => "overlapping_spans",
            },
        ));
        ok = false;
    }
    ok.then_some(hours)
}

// ---------------------------------------------------------------------------------------
// Per-unit calendar overrides (admin)

/// A unit's own time zone or hours for a calendar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OverrideView {
    pub calendar: String,
    pub org_unit_id: String,
    /// Null: the calendar's own zone.
    pub time_zone: Option<String>,
    /// Null: the calendar's own hours; else true for 7×24.
    pub always: Option<bool>,
    /// Monday first, when the unit has weekly hours of its own.
    pub weekly: Option<Vec<Vec<String>>>,
}

/// What a unit changes of a calendar: a zone, hours (`always` or `weekly`), or both.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct OverrideInput {
    pub time_zone: Option<String>,
    pub always: Option<bool>,
    pub weekly: Option<Vec<Vec<String>>>,
}

fn override_view(o: &store::OverrideRow) -> Result<OverrideView, AppError> {
    let hours = o.hours.as_deref().map(parse_hours).transpose()?;
    Ok(OverrideView {
        calendar: o.calendar_key.clone(),
        org_unit_id: o.org_unit_id.clone(),
        time_zone: o.time_zone.clone(),
        always: hours.as_ref().map(|h| matches!(h, Hours::Always)),
        weekly: match hours {
            Some(Hours::Weekly { days }) => Some(
                days.iter()
                    .map(|d| d.iter().map(|s| s.to_string().replace('–', "-")).collect())
                    .collect(),
            ),
            _ => None,
        },
    })
}

impl crate::App {
    /// Every unit's overrides of a calendar.
    #[tracing::instrument(skip_all)]
    pub async fn calendar_overrides(
        &self,
        ctx: &Ctx,
        key: &str,
    ) -> Result<Vec<OverrideView>, AppError> {
        ctx.require(Permission::SlaRead)?;
        let mut conn = self.db.acquire().await?;
        store::all_overrides(&mut *conn)
            .await?
            .iter()
            .filter(|o| o.calendar_key == key)
            .map(override_view)
            .collect()
    }

    /// Sets a unit's own zone or hours for a calendar (admins; managers for their subtree).
    #[tracing::instrument(skip_all)]
    pub async fn put_calendar_override(
        &self,
        ctx: &Ctx,
        key: &str,
        org_unit: &str,
        input: &OverrideInput,
    ) -> Result<OverrideView, AppError> {
        ctx.require(Permission::UnitCalendarsManage)?;
        self.sla_scope(ctx, Some(org_unit)).await?;
        let mut errs = FieldErrors::new();
        let tz = input
            .time_zone
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        if tz.is_some_and(|t| TimeZone::get(t).is_err()) {
            errs.push(FieldError::new("time_zone", "unknown_time_zone"));
        }
        let hours = match (input.always, &input.weekly) {
            (Some(true), _) => Some(Hours::Always),
            (_, Some(w)) => parse_weekly(w, &mut errs),
            _ => None,
        };
        if tz.is_none() && hours.is_none() && errs.is_empty() {
            errs.push(FieldError::new("time_zone", "required"));
        }
        errs.into_result().map_err(AppError::Validation)?;
        let mut tx = self.db.begin().await?;
        if store::calendar(tx.conn(), key).await?.is_none() {
            return Err(AppError::NotFound("calendar"));
        }
        let unit = scope_of_tx(&mut tx, Some(org_unit)).await?;
        let row = store::OverrideRow {
            org_unit_id: unit.clone(),
            calendar_key: key.to_owned(),
            time_zone: tz.map(str::to_owned),
            hours: hours
                .map(|h| serde_json::to_string(&h))
                .transpose()
                .map_err(|e| internal("hours", e))?,
            updated_at: time::to_db(self.now())?,
        };
        store::upsert_override(tx.conn(), &row).await?;
        let view = override_view(&row)?;
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::CalendarOverride,
            &format!("{key}:{unit}"),
            AuditAction::Put,
            None,
            serde_json::to_value(&view).ok(),
        )
        .await?;
        self.arm_recalc(&mut tx).await?;
        tx.commit().await?;
        Ok(view)
    }

    #[tracing::instrument(skip_all)]
    pub async fn delete_calendar_override(
        &self,
        ctx: &Ctx,
        key: &str,
        org_unit: &str,
    ) -> Result<(), AppError> {
        ctx.require(Permission::UnitCalendarsManage)?;
        self.sla_scope(ctx, Some(org_unit)).await?;
        let mut tx = self.db.begin().await?;
        if !store::delete_override(tx.conn(), org_unit.trim(), key).await? {
            return Err(AppError::NotFound("calendar_override"));
        }
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::CalendarOverride,
            &format!("{key}:{}", org_unit.trim()),
            AuditAction::Delete,
            None,
            None,
        )
        .await?;
        self.arm_recalc(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }
}
