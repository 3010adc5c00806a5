//! What an empty database starts with (docs/sla.md): the two standard calendars, the
//! national schedule of 2026 and the default rules of the source documents.

use super::escalation::SLA_CHECK;
use super::internal;
use crate::{AppError, Ctx};
use aftersales_domain::audit::{AuditAction, AuditEntity};
use aftersales_domain::calendar::{Hours, Span};
use aftersales_domain::holidays::{self, Format};
use aftersales_domain::sla::{Milestone, Target};
use aftersales_store::sla::{self as store, CalendarRow, RuleRow, SpecialDayRow};
use aftersales_store::time;

/// The national schedule shipped with the product (the 2026 notice).
const NATIONAL_2026: &str = include_str!("../../../domain/data/holidays/cn-2026.toml");

/// The promises of the source documents (R-SLA-1) as rules: respond within 1 hour; arrive
/// within 3 hours in the city (1 hour when urgent), 12 hours in the province, 24 hours
/// outside it; resolve within 12 working hours, else a loaner by 24.
/// One default rule: id, name, region class, priority, minutes to arrive.
type DefaultRule = (
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    i64,
);

const DEFAULT_RULES: [DefaultRule; 5] = [
    ("default-standard", "标准服务 Standard", None, None, 24 * 60),
    (
        "default-same-city",
        "同城 Same city",
        Some("same_city"),
        None,
        3 * 60,
    ),
    (
        "default-same-city-urgent",
        "同城紧急 Urgent in the city",
        Some("same_city"),
        Some("urgent"),
        60,
    ),
    (
        "default-same-province",
        "省内 Same province",
        Some("same_province"),
        None,
        12 * 60,
    ),
    (
        "default-other-province",
        "省外 Other province",
        Some("other_province"),
        None,
        24 * 60,
    ),
];

impl crate::App {
    /// On an empty database: the two standard calendars (the 7×24 hotline and working
    /// days 09:00–19:30), the national schedule of 2026 and the default rules. What exists
    /// stays; safe to run at every start.
    #[tracing::instrument(skip_all)]
    pub async fn ensure_sla_defaults(&self) -> Result<(), AppError> {
        let ctx = Ctx::system("bootstrap");
        let mut tx = self.db.begin().await?;
        let now = time::to_db(self.now())?;
        if store::calendars(tx.conn()).await?.is_empty() {
            let weekly = Hours::weekly(
                &[0, 1, 2, 3, 4],
                &[Span::new(9 * 60, 19 * 60 + 30).map_err(|e| internal("span", e))?],
            );
            // A 7×24 calendar ignores special days; say so in its row too.
            for (key, zh, en, hours, holidays) in [
                ("7x24", "7×24 全天候", "24/7", Hours::Always, 0),
                (
                    "workdays",
                    "工作日 09:00–19:30",
                    "Working days 09:00–19:30",
                    weekly,
                    1,
                ),
            ] {
                store::insert_calendar(
                    tx.conn(),
                    &CalendarRow {
                        key: key.into(),
                        name_zh: zh.into(),
                        name_en: en.into(),
                        time_zone: self.site().time_zone().into(),
                        hours: serde_json::to_string(&hours).map_err(|e| internal("hours", e))?,
                        observes_holidays: holidays,
                        version: 1,
                        created_at: now.clone(),
                        updated_at: now.clone(),
                    },
                )
                .await?;
            }
            let days = holidays::parse(Format::Toml, NATIONAL_2026)
                .map_err(|p| internal("national schedule", format!("{p:?}")))?;
            for d in days {
                store::upsert_special_day(
                    tx.conn(),
                    &SpecialDayRow {
                        scope: String::new(),
                        day: d.date.to_string(),
                        kind: d.kind.as_str().into(),
                        name: d.name,
                        updated_by: Some(aftersales_domain::user::system_actor_name("bootstrap")),
                        updated_at: now.clone(),
                    },
                )
                .await?;
            }
            self.audit(
                &mut tx,
                &ctx,
                AuditEntity::Calendar,
                "defaults",
                AuditAction::Create,
                None,
                None,
            )
            .await?;
        }
        if store::rules(tx.conn(), false).await?.is_empty() {
            for (id, name, region, priority, arrival) in DEFAULT_RULES {
                let t = |m: Milestone, minutes: i64, cal: &str| Target {
                    milestone: m,
                    minutes,
                    calendar: cal.into(),
                };
                let targets = vec![
                    t(Milestone::Response, 60, "7x24"),
                    t(Milestone::Arrival, arrival, "7x24"),
                    t(Milestone::Diagnosis, 60, "7x24"),
                    t(Milestone::Resolution, 12 * 60, "workdays"),
                    t(Milestone::Loaner, 24 * 60, "workdays"),
                ];
                store::insert_rule(
                    tx.conn(),
                    &RuleRow {
                        id: id.into(),
                        name: name.into(),
                        contract_level: None,
                        customer_tier: None,
                        region_class: region.map(Into::into),
                        priority: priority.map(Into::into),
                        kind: None,
                        rank: 0,
                        targets: serde_json::to_string(&targets)
                            .map_err(|e| internal("targets", e))?,
                        active: 1,
                        version: 1,
                        created_at: now.clone(),
                        updated_at: now.clone(),
                    },
                )
                .await?;
            }
            self.audit(
                &mut tx,
                &ctx,
                AuditEntity::SlaRule,
                "defaults",
                AuditAction::Create,
                None,
                None,
            )
            .await?;
        }
        // Open requests filed before there were clocks get their first check.
        let now_ts = self.now();
        for id in store::open_requests_without_status(tx.conn()).await? {
            aftersales_store::administration::jobs::arm(
                tx.conn(),
                &aftersales_store::administration::jobs::NewJob::new(
                    SLA_CHECK,
                    format!("sla:{id}:first"),
                    serde_json::json!({ "request_id": id }),
                    now_ts,
                ),
                now_ts,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
