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
    /// Offered when a defective part is received; a retired code stays on the returns
    /// that have it.
    pub active: bool,
}

/// A failure code's names, category and whether it is still offered: `PUT
/// /api/v1/failure-codes/{code}` (the code itself never changes: reports group by it).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct FailureCodeUpdate {
    #[schema(min_length = 1, max_length = 100)]
    pub name_zh: String,
    #[schema(min_length = 1, max_length = 100)]
    pub name_en: String,
    pub category: Option<String>,
    pub active: bool,
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

fn code_view(f: store::FailureCodeRow) -> Result<FailureCodeView, AppError> {
    Ok(FailureCodeView {
        category: f
            .category
            .as_deref()
            .map(|c| stored("failure_codes.category", c, PartCategory::parse))
            .transpose()?,
        active: f.active != 0,
        code: f.code,
        name_zh: f.name_zh,
        name_en: f.name_en,
    })
}

/// A failure code's two names and its category (blank: any part), each named when wrong.
fn code_fields(
    name_zh: &str,
    name_en: &str,
    category: Option<&str>,
) -> Result<(String, String, Option<PartCategory>), AppError> {
    let mut errs = FieldErrors::new();
    let name_zh = errs.take(parse_text("name_zh", name_zh, 100));
    let name_en = errs.take(parse_text("name_en", name_en, 100));
    let category = match category.map(str::trim).filter(|s| !s.is_empty()) {
        Some(c) => errs
            .take(
                PartCategory::parse(c).ok_or_else(|| FieldError::new("category", "invalid_choice")),
            )
            .map(Some),
        None => Some(None),
    };
    match (name_zh, name_en, category) {
        (Some(a), Some(b), Some(c)) if errs.is_empty() => Ok((a, b, c)),
        _ => Err(AppError::Validation(errs)),
    }
}

impl crate::App {
    /// The failure-code catalog (`GET /api/v1/failure-codes`): the active codes, or with
    /// `retired_too` every code.
    #[tracing::instrument(skip_all)]
    pub async fn failure_codes(
        &self,
        ctx: &Ctx,
        retired_too: bool,
    ) -> Result<Vec<FailureCodeView>, AppError> {
        ctx.require(Permission::PartsRead)?;
        store::failure_codes(self.db.pool())
            .await?
            .into_iter()
            .filter(|f| retired_too || f.active != 0)
            .map(code_view)
            .collect()
    }

    /// Renames, recategorizes, retires or restores a failure code (the warehouse and
    /// admins); receipts from then on offer only active codes.
    #[tracing::instrument(skip_all)]
    pub async fn update_failure_code(
        &self,
        ctx: &Ctx,
        code: &str,
        input: &FailureCodeUpdate,
    ) -> Result<FailureCodeView, AppError> {
        ctx.require(Permission::PartsManage)?;
        let (name_zh, name_en, category) =
            code_fields(&input.name_zh, &input.name_en, input.category.as_deref())?;
        let code = code.trim().to_uppercase();
        if code.chars().count() > 32 {
            return Err(AppError::NotFound("failure_code"));
        }
        let mut tx = self.db.begin().await?;
        let before = store::find_failure_code(tx.conn(), &code)
            .await?
            .ok_or(AppError::NotFound("failure_code"))?;
        let after = store::FailureCodeRow {
            name_zh,
            name_en,
            category: category.map(|c| c.as_str().to_owned()),
            active: i64::from(input.active),
            ..before.clone()
        };
        store::update_failure_code(tx.conn(), &after).await?;
        let (id, before, after) = (after.id.clone(), code_view(before)?, code_view(after)?);
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::FailureCode,
            &id,
            AuditAction::Update,
            Some(crate::administration::audit::audit_value(&before)?),
            Some(crate::administration::audit::audit_value(&after)?),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
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
        let fields = code_fields(&input.name_zh, &input.name_en, input.category.as_deref());
        if !errs.is_empty() {
            if let Err(AppError::Validation(more)) = fields {
                for e in more.0 {
                    errs.push(e);
                }
            }
            return Err(AppError::Validation(errs));
        }
        let (name_zh, name_en, category) = fields?;
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
        let v = code_view(row.clone())?;
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
