//! The defect analysis side of old for new (R-PRT-4, docs/defects.md): the failure-code
//! catalog the warehouse classifies received parts by, and the report of failures by part,
//! model, batch, failure code and month with the quality alerts.

use super::stored;
use crate::{AppError, Ctx};
use aftersales_domain::audit::{AuditAction, AuditEntity};
use aftersales_domain::installed_base::parse_text;
use aftersales_domain::parts::defects::ReturnStatus;
use aftersales_domain::parts::{PartCategory, Qty};
use aftersales_domain::{FieldError, FieldErrors, Permission};
use aftersales_store::parts::defects::{self as store, ReturnFilter};
use aftersales_store::time;
use jiff::ToSpan;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// A group of the report: part, model, batch, month, failure code.
type GroupKey = (
    String,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
);

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FailureCodeView {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// The key-part category it fits; absent: any.
    #[schema(value_type = Option<String>)]
    pub category: Option<PartCategory>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct FailureCodeInput {
    #[schema(min_length = 1, max_length = 32, pattern = r"^[A-Za-z0-9_-]{1,32}$")]
    pub code: String,
    #[schema(min_length = 1, max_length = 100)]
    pub name_zh: String,
    #[schema(min_length = 1, max_length = 100)]
    pub name_en: String,
    pub category: Option<String>,
}

/// Filters of `GET /api/v1/defect-returns/report`: months as `YYYY-MM`, inclusive.
#[derive(Debug, Clone, Default, Deserialize, ToSchema, utoipa::IntoParams)]
pub struct DefectReportQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    /// A part number.
    pub part: Option<String>,
    /// A product model's code.
    pub model: Option<String>,
    pub batch: Option<String>,
}

/// Failures of one part, model, batch and month.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DefectReportRow {
    pub part: String,
    pub part_name_zh: String,
    pub part_name_en: String,
    pub model: Option<String>,
    pub batch: Option<String>,
    pub month: String,
    pub failure_code: Option<String>,
    pub failures: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct QualityAlertView {
    pub part: String,
    pub part_name_zh: String,
    pub part_name_en: String,
    pub failures: i64,
    pub since: String,
    pub at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DefectReport {
    pub rows: Vec<DefectReportRow>,
    pub total: i64,
    pub alerts: Vec<QualityAlertView>,
}

fn month_bound(
    field: &str,
    s: &Option<String>,
    end: bool,
) -> Result<Option<jiff::civil::Date>, AppError> {
    let Some(s) = s.as_deref().map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let d: jiff::civil::Date = format!("{s}-01")
        .parse()
        .ok()
        .filter(|d: &jiff::civil::Date| (2000..=2100).contains(&d.year()) && s.len() == 7)
        .ok_or_else(|| AppError::invalid(FieldError::new(field, "invalid_month")))?;
    Ok(Some(if end { d.saturating_add(1.month()) } else { d }))
}

impl crate::App {
    /// The failure-code catalog.
    #[tracing::instrument(skip_all)]
    pub async fn failure_codes(&self, ctx: &Ctx) -> Result<Vec<FailureCodeView>, AppError> {
        ctx.require(Permission::PartsRead)?;
        store::failure_codes(self.db.pool())
            .await?
            .into_iter()
            .filter(|f| f.active != 0)
            .map(|f| {
                Ok(FailureCodeView {
                    category: f
                        .category
                        .as_deref()
                        .map(|c| stored("failure_codes.category", c, PartCategory::parse))
                        .transpose()?,
                    code: f.code,
                    name_zh: f.name_zh,
                    name_en: f.name_en,
                })
            })
            .collect()
    }

    /// Adds a failure code (the warehouse and admins).
    #[tracing::instrument(skip_all)]
    pub async fn create_failure_code(
        &self,
        ctx: &Ctx,
        input: &FailureCodeInput,
    ) -> Result<FailureCodeView, AppError> {
        ctx.require(Permission::PartsManage)?;
        let mut errs = FieldErrors::new();
        let code = input.code.trim().to_uppercase();
        if code.is_empty()
            || code.chars().count() > 32
            || !code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            errs.push(FieldError::new("code", "invalid_code"));
        }
        let name_zh = errs.take(parse_text("name_zh", &input.name_zh, 100));
        let name_en = errs.take(parse_text("name_en", &input.name_en, 100));
        let category = match input
            .category
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(c) => errs.take(
                PartCategory::parse(c).ok_or_else(|| FieldError::new("category", "invalid_choice")),
            ),
            None => None,
        };
        if input
            .category
            .as_deref()
            .is_some_and(|c| !c.trim().is_empty())
            && category.is_none()
        {
            return Err(AppError::Validation(errs));
        }
        let (Some(name_zh), Some(name_en)) = (name_zh, name_en) else {
            return Err(AppError::Validation(errs));
        };
        if !errs.is_empty() {
            return Err(AppError::Validation(errs));
        }
        let mut tx = self.db.begin().await?;
        if store::find_failure_code(tx.conn(), &code).await?.is_some() {
            return Err(AppError::conflict_on("code", "code_taken"));
        }
        let row = store::FailureCodeRow {
            id: uuid::Uuid::now_v7().to_string(),
            code,
            name_zh,
            name_en,
            category: category.map(|c| c.as_str().to_owned()),
            active: 1,
            created_at: time::to_db(self.now())?,
        };
        store::insert_failure_code(tx.conn(), &row).await?;
        let v = FailureCodeView {
            code: row.code.clone(),
            name_zh: row.name_zh.clone(),
            name_en: row.name_en.clone(),
            category,
        };
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::FailureCode,
            &row.id,
            AuditAction::Create,
            None,
            Some(crate::administration::audit::audit_value(&v)?),
        )
        .await?;
        tx.commit().await?;
        Ok(v)
    }

    /// Failures received, by part, model, batch, failure code and month (site's time zone),
    /// with the quality alerts (`GET /api/v1/defect-returns/report`).
    #[tracing::instrument(skip_all)]
    pub async fn defect_report(
        &self,
        ctx: &Ctx,
        q: &DefectReportQuery,
    ) -> Result<DefectReport, AppError> {
        ctx.require(Permission::QualityRead)?;
        let tz = self.site().tz().clone();
        let instant = |d: jiff::civil::Date| -> Result<String, AppError> {
            let z = d
                .to_zoned(tz.clone())
                .map_err(|e| AppError::Internal(format!("month bound: {e}")))?;
            Ok(time::to_db(z.timestamp())?)
        };
        let from = month_bound("from", &q.from, false)?;
        let to = month_bound("to", &q.to, true)?;
        let part_id = match q.part.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(p) if p.chars().count() <= 40 => Some(
                aftersales_store::parts::catalog::find_part(self.db.pool(), &p.to_uppercase())
                    .await?
                    .map(|p| p.id)
                    .unwrap_or_default(),
            ),
            Some(_) => {
                return Err(AppError::invalid(
                    FieldError::new("part", "too_long").with("max", 40),
                ));
            }
            None => None,
        };
        let f = ReturnFilter {
            status: Some(ReturnStatus::Received.as_str().into()),
            received_from: from.map(instant).transpose()?,
            received_to: to.map(instant).transpose()?,
            part_id,
            ..ReturnFilter::default()
        };
        let rows = store::list_returns(self.db.pool(), &f, 20_000).await?;
        let want = |v: &Option<String>, have: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .is_none_or(|w| have.as_deref().is_some_and(|h| h.eq_ignore_ascii_case(w)))
        };
        let mut groups: BTreeMap<GroupKey, (String, String, i64)> = BTreeMap::new();
        let mut total = 0;
        for r in rows {
            if !want(&q.model, &r.product_code) || !want(&q.batch, &r.batch) {
                continue;
            }
            let Some(at) = r.received_at.as_deref() else {
                continue;
            };
            let month = time::from_db("defect_returns.received_at", at)?
                .to_zoned(tz.clone())
                .strftime("%Y-%m")
                .to_string();
            let e = groups
                .entry((
                    r.part_no.clone(),
                    r.product_code.clone(),
                    r.batch.clone(),
                    month,
                    r.failure_code.clone(),
                ))
                .or_insert((r.part_name_zh.clone(), r.part_name_en.clone(), 0));
            e.2 += Qty(r.qty).as_f64().ceil() as i64;
            total += Qty(r.qty).as_f64().ceil() as i64;
        }
        let rows = groups
            .into_iter()
            .map(
                |((part, model, batch, month, failure_code), (zh, en, n))| DefectReportRow {
                    part,
                    part_name_zh: zh,
                    part_name_en: en,
                    model,
                    batch,
                    month,
                    failure_code,
                    failures: n,
                },
            )
            .collect();
        let alerts = store::alerts(self.db.pool(), 100)
            .await?
            .into_iter()
            .map(|a| QualityAlertView {
                part: a.part_no,
                part_name_zh: a.name_zh,
                part_name_en: a.name_en,
                failures: a.failures,
                since: a.since,
                at: a.at,
            })
            .collect();
        Ok(DefectReport {
            rows,
            total,
            alerts,
        })
    }
}
