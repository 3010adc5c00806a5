//! SLA rules (docs/sla.md, "Rules"): their admin, and the facts they choose by that are
//! kept here (a customer's tier).

use super::internal;
use crate::{AppError, Ctx};
use aftersales_domain::audit::{AuditAction, AuditEntity};
use aftersales_domain::region::RegionClass;
use aftersales_domain::service::{Priority, RequestKind};
use aftersales_domain::sla::{Milestone, PolicyRule, Target};
use aftersales_domain::{FieldError, FieldErrors, Permission};
use aftersales_store::sla::{self as store, RuleRow};
use aftersales_store::time;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub(crate) fn rule_of(r: &RuleRow) -> Result<PolicyRule, AppError> {
    Ok(PolicyRule {
        id: r.id.clone(),
        name: r.name.clone(),
        contract_level: r.contract_level.clone(),
        customer_tier: r.customer_tier.clone(),
        region_class: r.region_class.as_deref().and_then(RegionClass::parse),
        priority: r.priority.as_deref().and_then(Priority::parse),
        kind: r.kind.as_deref().and_then(RequestKind::parse),
        rank: r.rank as i32,
        targets: serde_json::from_str(&r.targets).map_err(|e| internal("rule targets", e))?,
    })
}

// ---------------------------------------------------------------------------------------
// Rules (admin)

/// One target of a rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TargetView {
    pub milestone: String,
    pub minutes: i64,
    pub calendar: String,
}

/// A rule as the API shows it and takes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RuleView {
    #[serde(default)]
    pub id: String,
    pub name: String,
    pub contract_level: Option<String>,
    pub customer_tier: Option<String>,
    pub region_class: Option<String>,
    pub priority: Option<String>,
    pub kind: Option<String>,
    #[serde(default)]
    pub rank: i64,
    pub targets: Vec<TargetView>,
    #[serde(default = "yes")]
    pub active: bool,
    #[serde(default)]
    pub version: i64,
}

fn yes() -> bool {
    true
}

fn rule_view(r: &RuleRow) -> Result<RuleView, AppError> {
    let targets: Vec<Target> =
        serde_json::from_str(&r.targets).map_err(|e| internal("rule targets", e))?;
    Ok(RuleView {
        id: r.id.clone(),
        name: r.name.clone(),
        contract_level: r.contract_level.clone(),
        customer_tier: r.customer_tier.clone(),
        region_class: r.region_class.clone(),
        priority: r.priority.clone(),
        kind: r.kind.clone(),
        rank: r.rank,
        targets: targets
            .iter()
            .map(|t| TargetView {
                milestone: t.milestone.as_str().to_owned(),
                minutes: t.minutes,
                calendar: t.calendar.clone(),
            })
            .collect(),
        active: r.active != 0,
        version: r.version,
    })
}

impl crate::App {
    #[tracing::instrument(skip_all)]
    pub async fn list_sla_rules(&self, ctx: &Ctx) -> Result<Vec<RuleView>, AppError> {
        ctx.require(Permission::SlaRead)?;
        let mut conn = self.db.acquire().await?;
        store::rules(&mut *conn, false)
            .await?
            .iter()
            .map(rule_view)
            .collect()
    }

    /// Creates a rule (`input.id` empty) or changes one (with its version).
    #[tracing::instrument(skip_all)]
    pub async fn save_sla_rule(&self, ctx: &Ctx, input: &RuleView) -> Result<RuleView, AppError> {
        ctx.require(Permission::CalendarsManage)?;
        let mut conn = self.db.acquire().await?;
        let calendars: Vec<String> = store::calendars(&mut *conn)
            .await?
            .into_iter()
            .map(|c| c.key)
            .collect();
        drop(conn);
        let mut errs = FieldErrors::new();
        let name = input.name.trim();
        if name.is_empty() {
            errs.push(FieldError::new("name", "required"));
        }
        let opt = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let region = opt(&input.region_class);
        if region
            .as_deref()
            .is_some_and(|r| RegionClass::parse(r).is_none())
        {
            errs.push(FieldError::new("region_class", "invalid_choice"));
        }
        let priority = opt(&input.priority);
        if priority
            .as_deref()
            .is_some_and(|p| Priority::parse(p).is_none())
        {
            errs.push(FieldError::new("priority", "invalid_choice"));
        }
        let kind = opt(&input.kind);
        if kind
            .as_deref()
            .is_some_and(|k| RequestKind::parse(k).is_none())
        {
            errs.push(FieldError::new("kind", "invalid_choice"));
        }
        errs.take(aftersales_domain::bounds::check_int(
            "rank", input.rank, 0, 10_000,
        ));
        let mut targets = vec![];
        for (i, t) in input.targets.iter().enumerate() {
            let Some(m) = Milestone::parse(t.milestone.trim()) else {
                errs.push(FieldError::new(
                    format!("targets.{i}.milestone"),
                    "invalid_choice",
                ));
                continue;
            };
            if !(1..=60 * 24 * 90).contains(&t.minutes) {
                errs.push(
                    FieldError::new(format!("targets.{i}.minutes"), "out_of_range")
                        .with("min", 1)
                        .with("max", 60 * 24 * 90),
                );
            }
            if !calendars.contains(&t.calendar) {
                errs.push(FieldError::new(
                    format!("targets.{i}.calendar"),
                    "unknown_calendar",
                ));
            }
            if targets.iter().any(|x: &Target| x.milestone == m) {
                errs.push(FieldError::new(
                    format!("targets.{i}.milestone"),
                    "duplicate",
                ));
            }
            targets.push(Target {
                milestone: m,
                minutes: t.minutes,
                calendar: t.calendar.clone(),
            });
        }
        if input.targets.is_empty() {
            errs.push(FieldError::new("targets", "required"));
        }
        errs.into_result().map_err(AppError::Validation)?;
        let now = time::to_db(self.now())?;
        let mut row = RuleRow {
            id: input.id.trim().to_owned(),
            name: name.to_owned(),
            contract_level: opt(&input.contract_level),
            customer_tier: opt(&input.customer_tier),
            region_class: region,
            priority,
            kind,
            rank: input.rank,
            targets: serde_json::to_string(&targets).map_err(|e| internal("targets", e))?,
            active: i64::from(input.active),
            version: input.version,
            created_at: now.clone(),
            updated_at: now,
        };
        let mut tx = self.db.begin().await?;
        let before = if row.id.is_empty() {
            row.id = uuid::Uuid::now_v7().to_string();
            store::insert_rule(tx.conn(), &row).await?;
            row.version = 1;
            None
        } else {
            let before = store::rule(tx.conn(), &row.id)
                .await?
                .ok_or(AppError::NotFound("sla_rule"))?;
            if !store::update_rule(tx.conn(), &row).await? {
                return Err(AppError::StaleVersion {
                    current: before.version,
                });
            }
            row.version = before.version + 1;
            row.created_at = before.created_at.clone();
            Some(rule_view(&before)?)
        };
        let view = rule_view(&row)?;
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::SlaRule,
            &row.id,
            if before.is_some() {
                AuditAction::Update
            } else {
                AuditAction::Create
            },
            before.and_then(|b| serde_json::to_value(b).ok()),
            serde_json::to_value(&view).ok(),
        )
        .await?;
        self.arm_recalc(&mut tx).await?;
        tx.commit().await?;
        Ok(view)
    }
}

// ---------------------------------------------------------------------------------------
// Customer tiers

/// A customer's tier for the SLA rules (e.g. `vip`, `key`, `standard`); empty clears it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TierInput {
    pub tier: Option<String>,
}

impl crate::App {
    /// Sets a customer's tier (the front office that keeps customer records). Open
    /// requests of the customer are rechecked: their rule may change.
    #[tracing::instrument(skip_all)]
    pub async fn set_customer_tier(
        &self,
        ctx: &Ctx,
        customer_id: &str,
        input: &TierInput,
    ) -> Result<TierInput, AppError> {
        ctx.require(Permission::CustomersManage)?;
        let tier = input
            .tier
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_lowercase);
        if let Some(t) = &tier
            && (t.chars().count() > 30
                || !t
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        {
            return Err(AppError::invalid(FieldError::new("tier", "code_chars")));
        }
        let mut tx = self.db.begin().await?;
        if !store::set_customer_tier(tx.conn(), customer_id.trim(), tier.as_deref()).await? {
            return Err(AppError::NotFound("customer"));
        }
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::Customer,
            customer_id.trim(),
            AuditAction::SetTier,
            None,
            Some(serde_json::json!({ "tier": tier })),
        )
        .await?;
        self.arm_recalc(&mut tx).await?;
        tx.commit().await?;
        Ok(TierInput { tier })
    }
}
