//! Warranty policies (versioned by effective date) and product models (R-WAR-1).

use crate::{AppError, Ctx, Page, cursor};
use aftersales_domain::audit::{AuditAction, AuditEntity};
use aftersales_domain::installed_base::{parse_date, parse_text};
use aftersales_domain::warranty::{AfterTerm, ChargeBasis, Coverage, PolicyVersion, StartBasis};
use aftersales_domain::{FieldError, FieldErrors, Permission, ProductId};
use aftersales_store::{StoreError, installed_base::products as store};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How parts, labor and travel are charged.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CoverageDto {
    #[schema(value_type = crate::schema::ChargeName)]
    pub parts: String,
    #[schema(value_type = crate::schema::ChargeName)]
    pub labor: String,
    #[schema(value_type = crate::schema::ChargeName)]
    pub travel: String,
}

/// A stage after the warranty period, e.g. from month 36 (year 4): parts at cost, labor free.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AfterTermDto {
    #[serde(deserialize_with = "crate::schema::int")]
    #[schema(minimum = 0, maximum = 600)]
    pub from_month: i64,
    /// How many months the stage lasts; absent for the rest of the unit's life.
    #[serde(default, deserialize_with = "crate::schema::opt_int")]
    #[schema(minimum = 1, maximum = 600)]
    pub months: Option<i64>,
    pub coverage: CoverageDto,
}

/// One version of a policy.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PolicyVersionDto {
    /// Applies to units sold from this day (`YYYY-MM-DD`).
    /// Years 1990–2100.
    #[schema(value_type = String, format = Date, pattern = r"^(199[0-9]|20[0-9]{2}|2100)-")]
    pub effective_from: String,
    /// Length of the warranty in months.
    #[serde(deserialize_with = "crate::schema::int")]
    #[schema(minimum = 0, maximum = 600)]
    pub months: i64,
    #[schema(value_type = crate::schema::StartBasisName)]
    pub start_basis: String,
    pub in_warranty: CoverageDto,
    #[serde(default)]
    pub after: Vec<AfterTermDto>,
    /// How exclusions (misuse, force majeure, …) are charged even in warranty.
    #[schema(value_type = crate::schema::ExclusionChargeName)]
    pub exclusion_charge: String,
    #[schema(
        max_length = 500,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewPolicy {
    #[schema(min_length = 1, max_length = 32, pattern = r"^[A-Za-z0-9-]{1,32}$")]
    pub code: String,
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub name: String,
    pub version: PolicyVersionDto,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PolicyView {
    pub id: String,
    pub code: String,
    pub name: String,
    /// Oldest first; a unit follows the latest version effective on its sale date.
    pub versions: Vec<PolicyVersionDto>,
}

fn charge(field: &str, s: &str) -> Result<ChargeBasis, FieldError> {
    ChargeBasis::parse(s.trim()).ok_or_else(|| FieldError::new(field, "invalid_choice"))
}

fn coverage(field: &str, c: &CoverageDto, errs: &mut FieldErrors) -> Option<Coverage> {
    let parts = errs.take(charge(&format!("{field}.parts"), &c.parts));
    let labor = errs.take(charge(&format!("{field}.labor"), &c.labor));
    let travel = errs.take(charge(&format!("{field}.travel"), &c.travel));
    Some(Coverage {
        parts: parts?,
        labor: labor?,
        travel: travel?,
    })
}

fn coverage_dto(c: &Coverage) -> CoverageDto {
    CoverageDto {
        parts: c.parts.as_str().into(),
        labor: c.labor.as_str().into(),
        travel: c.travel.as_str().into(),
    }
}

/// A month count already checked to lie in 0..=1200.
fn month(m: i64) -> u32 {
    u32::try_from(m.clamp(0, 1200)).unwrap_or(0)
}

/// Parses a version as typed into the domain's policy version.
pub(crate) fn parse_version(v: &PolicyVersionDto) -> Result<PolicyVersion, AppError> {
    let mut errs = FieldErrors::new();
    let effective_from = errs.take(parse_date("version.effective_from", &v.effective_from));
    if !(0..=600).contains(&v.months) {
        errs.push(
            FieldError::new("version.months", "out_of_range")
                .with("min", 0)
                .with("max", 600),
        );
    }
    let start_basis = errs.take(
        StartBasis::parse(v.start_basis.trim())
            .ok_or_else(|| FieldError::new("version.start_basis", "invalid_choice")),
    );
    let in_warranty = coverage("version.in_warranty", &v.in_warranty, &mut errs);
    // Exclusions (R-WAR-4) are never free: at cost or at list price.
    let exclusion_charge = errs.take(
        charge("version.exclusion_charge", &v.exclusion_charge).and_then(|c| {
            if c == ChargeBasis::Free {
                Err(FieldError::new(
                    "version.exclusion_charge",
                    "invalid_choice",
                ))
            } else {
                Ok(c)
            }
        }),
    );
    let mut after = Vec::new();
    for (i, t) in v.after.iter().enumerate() {
        let field = format!("version.after[{i}]");
        if t.months.is_some_and(|m| !(1..=600).contains(&m)) {
            errs.push(
                FieldError::new(format!("{field}.months"), "out_of_range")
                    .with("min", 1)
                    .with("max", 600),
            );
        }
        if !(0..=600).contains(&t.from_month) {
            errs.push(
                FieldError::new(format!("{field}.from_month"), "out_of_range")
                    .with("min", 0)
                    .with("max", 600),
            );
        }
        if let Some(c) = coverage(&format!("{field}.coverage"), &t.coverage, &mut errs) {
            after.push(AfterTerm {
                from_month: month(t.from_month),
                until_month: t.months.map(|m| month(t.from_month.saturating_add(m))),
                coverage: c,
            });
        }
    }
    errs.take(aftersales_domain::installed_base::parse_opt_notes(
        "version.note",
        v.note.as_deref(),
        500,
    ));
    errs.clone().into_result()?;
    match (effective_from, start_basis, in_warranty, exclusion_charge) {
        (Some(effective_from), Some(start_basis), Some(in_warranty), Some(exclusion_charge)) => {
            Ok(PolicyVersion {
                effective_from,
                months: month(v.months),
                start_basis,
                in_warranty,
                after,
                exclusion_charge,
            })
        }
        _ => Err(AppError::Validation(errs)),
    }
}

fn version_row(
    policy_id: &str,
    v: &PolicyVersion,
    note: Option<String>,
    now: Timestamp,
) -> Result<store::PolicyVersionRow, AppError> {
    let after: Vec<AfterTermDto> = v
        .after
        .iter()
        .map(|t| AfterTermDto {
            from_month: i64::from(t.from_month),
            months: t
                .until_month
                .map(|u| i64::from(u.saturating_sub(t.from_month))),
            coverage: coverage_dto(&t.coverage),
        })
        .collect();
    Ok(store::PolicyVersionRow {
        id: uuid::Uuid::now_v7().to_string(),
        policy_id: policy_id.to_owned(),
        effective_from: v.effective_from.to_string(),
        months: i64::from(v.months),
        start_basis: v.start_basis.as_str().into(),
        in_parts: v.in_warranty.parts.as_str().into(),
        in_labor: v.in_warranty.labor.as_str().into(),
        in_travel: v.in_warranty.travel.as_str().into(),
        exclusion_charge: v.exclusion_charge.as_str().into(),
        after_terms: serde_json::to_string(&after)
            .map_err(|e| AppError::Internal(e.to_string()))?,
        note,
        created_at: aftersales_store::time::to_db(now)?,
    })
}

/// A stored version as the API shows it.
fn version_dto(r: &store::PolicyVersionRow) -> Result<PolicyVersionDto, AppError> {
    Ok(PolicyVersionDto {
        effective_from: r.effective_from.clone(),
        months: r.months,
        start_basis: r.start_basis.clone(),
        in_warranty: CoverageDto {
            parts: r.in_parts.clone(),
            labor: r.in_labor.clone(),
            travel: r.in_travel.clone(),
        },
        after: serde_json::from_str(&r.after_terms)
            .map_err(|e| AppError::Internal(format!("after_terms: {e}")))?,
        exclusion_charge: r.exclusion_charge.clone(),
        note: r.note.clone(),
    })
}

/// Every version of a policy, as the domain's type, oldest first.
pub(crate) async fn domain_versions(
    c: &mut aftersales_store::Conn,
    policy_id: &str,
) -> Result<Vec<PolicyVersion>, AppError> {
    let rows = store::versions(&mut *c, policy_id).await?;
    rows.iter()
        .map(|r| parse_version(&version_dto(r)?))
        .collect()
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewProduct {
    #[schema(min_length = 1, max_length = 32, pattern = r"^[A-Za-z0-9-]{1,32}$")]
    pub code: String,
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub name: String,
    /// e.g. 空调, 电梯, 数控机床: what certifications and skills are tied to.
    #[schema(
        min_length = 1,
        max_length = 50,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub product_line: String,
    #[serde(default, deserialize_with = "crate::schema::opt_int")]
    #[schema(minimum = 1, maximum = 120)]
    pub maintenance_interval_months: Option<i64>,
    /// The warranty policy's code.
    #[schema(pattern = r"^([A-Za-z0-9-]{1,32})?$")]
    pub policy_code: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProductView {
    #[schema(value_type = String, format = Uuid)]
    pub id: ProductId,
    pub code: String,
    pub name: String,
    pub product_line: String,
    pub maintenance_interval_months: Option<i64>,
    pub policy_code: Option<String>,
    pub version: i64,
}

/// A product model as it should be after a change: the whole editable record with the
/// version it is based on. The code never changes (imports, exports and printed records
/// know the model by it).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ProductEdit {
    /// The version the change is based on; a stale one is refused with 409.
    #[serde(deserialize_with = "crate::schema::int")]
    #[schema(minimum = 1)]
    pub version: i64,
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub name: String,
    #[schema(
        min_length = 1,
        max_length = 50,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub product_line: String,
    #[serde(default, deserialize_with = "crate::schema::opt_int")]
    #[schema(minimum = 1, maximum = 120)]
    pub maintenance_interval_months: Option<i64>,
    /// The warranty policy's code; absent or empty for none.
    #[schema(pattern = r"^([A-Za-z0-9-]{1,32})?$")]
    pub policy_code: Option<String>,
}

/// A product model's input that passed the rules of `create_product`; the policy and the
/// uniqueness of the code are checked against the database by the caller.
#[derive(Debug, Clone)]
pub(crate) struct ValidProduct {
    /// Upper case, as codes are stored.
    pub code: String,
    pub name: String,
    pub product_line: String,
    /// The policy's code, upper case.
    pub policy_code: Option<String>,
}

/// The field rules of a product model (the API and imports share them).
pub(crate) fn validate_product(input: &NewProduct) -> Result<ValidProduct, FieldErrors> {
    let mut errs = FieldErrors::new();
    let code = errs.take(aftersales_domain::OrgCode::parse("code", &input.code));
    let name = errs.take(parse_text("name", &input.name, 100));
    let line = errs.take(parse_text("product_line", &input.product_line, 50));
    if input
        .maintenance_interval_months
        .is_some_and(|m| !(1..=120).contains(&m))
    {
        errs.push(
            FieldError::new("maintenance_interval_months", "out_of_range")
                .with("min", 1)
                .with("max", 120),
        );
    }
    errs.clone().into_result()?;
    let (Some(code), Some(name), Some(product_line)) = (code, name, line) else {
        return Err(errs);
    };
    Ok(ValidProduct {
        code: code.as_str().into(),
        name,
        product_line,
        policy_code: input
            .policy_code
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_uppercase),
    })
}

impl crate::App {
    #[tracing::instrument(skip_all)]
    pub async fn create_policy(
        &self,
        ctx: &Ctx,
        input: &NewPolicy,
    ) -> Result<PolicyView, AppError> {
        ctx.require(Permission::ProductsManage)?;
        let mut errs = FieldErrors::new();
        let code = errs.take(aftersales_domain::OrgCode::parse("code", &input.code));
        let name = errs.take(parse_text("name", &input.name, 100));
        let version = match parse_version(&input.version) {
            Ok(v) => Some(v),
            Err(AppError::Validation(e)) => {
                errs.0.extend(e.0);
                None
            }
            Err(e) => return Err(e),
        };
        errs.clone().into_result()?;
        let (Some(code), Some(name), Some(version)) = (code, name, version) else {
            return Err(AppError::Validation(errs));
        };
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if store::find_policy_by_code(tx.conn(), code.as_str())
            .await?
            .is_some()
        {
            return Err(AppError::conflict_on("code", "code_taken"));
        }
        let rec = store::PolicyRecord {
            id: uuid::Uuid::now_v7().to_string(),
            code: code.as_str().into(),
            name,
            created_at: now,
        };
        store::insert_policy(tx.conn(), &rec).await?;
        let row = version_row(&rec.id, &version, input.version.note.clone(), now)?;
        store::insert_version(tx.conn(), &row).await?;
        let view = PolicyView {
            id: rec.id.clone(),
            code: rec.code.clone(),
            name: rec.name.clone(),
            versions: vec![version_dto(&row)?],
        };
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::WarrantyPolicy,
            &rec.id,
            AuditAction::Create,
            None,
            Some(crate::administration::audit::audit_value(&view)?),
        )
        .await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Adds a version effective from a later day; earlier versions stay as they were.
    #[tracing::instrument(skip_all)]
    pub async fn add_policy_version(
        &self,
        ctx: &Ctx,
        code: &str,
        input: &PolicyVersionDto,
    ) -> Result<PolicyView, AppError> {
        ctx.require(Permission::ProductsManage)?;
        let version = parse_version(input)?;
        let mut tx = self.db.begin().await?;
        let policy = store::find_policy_by_code(tx.conn(), &code.trim().to_uppercase())
            .await?
            .ok_or(AppError::NotFound("warranty_policy"))?;
        let existing = store::versions(tx.conn(), &policy.id).await?;
        if existing
            .iter()
            .any(|v| v.effective_from == version.effective_from.to_string())
        {
            return Err(AppError::conflict_on("effective_from", "version_exists"));
        }
        let row = version_row(&policy.id, &version, input.note.clone(), self.now())?;
        store::insert_version(tx.conn(), &row).await?;
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::WarrantyPolicy,
            &policy.id,
            AuditAction::AddVersion,
            None,
            Some(crate::administration::audit::audit_value(&version_dto(
                &row,
            )?)?),
        )
        .await?;
        let mut versions = existing
            .iter()
            .map(version_dto)
            .collect::<Result<Vec<_>, _>>()?;
        versions.push(version_dto(&row)?);
        versions.sort_by(|a, b| a.effective_from.cmp(&b.effective_from));
        tx.commit().await?;
        Ok(PolicyView {
            id: policy.id,
            code: policy.code,
            name: policy.name,
            versions,
        })
    }

    #[tracing::instrument(skip_all)]
    pub async fn list_policies(&self, ctx: &Ctx) -> Result<Vec<PolicyView>, AppError> {
        ctx.require(Permission::ProductsRead)?;
        let mut out = Vec::new();
        for p in store::list_policies(self.db.pool()).await? {
            let versions = store::versions(self.db.pool(), &p.id)
                .await?
                .iter()
                .map(version_dto)
                .collect::<Result<Vec<_>, _>>()?;
            out.push(PolicyView {
                id: p.id,
                code: p.code,
                name: p.name,
                versions,
            });
        }
        Ok(out)
    }

    #[tracing::instrument(skip_all)]
    pub async fn create_product(
        &self,
        ctx: &Ctx,
        input: &NewProduct,
    ) -> Result<ProductView, AppError> {
        ctx.require(Permission::ProductsManage)?;
        let ValidProduct {
            code,
            name,
            product_line,
            policy_code,
        } = validate_product(input)?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let policy = match policy_code {
            Some(pc) => Some(
                store::find_policy_by_code(tx.conn(), &pc)
                    .await?
                    .ok_or_else(|| AppError::conflict_on("policy_code", "unknown_policy"))?,
            ),
            None => None,
        };
        if store::find_product_by_code(tx.conn(), &code)
            .await?
            .is_some()
        {
            return Err(AppError::conflict_on("code", "code_taken"));
        }
        let rec = store::ProductRecord {
            id: ProductId::new(),
            code,
            name,
            product_line,
            maintenance_interval_months: input.maintenance_interval_months,
            policy_id: policy.as_ref().map(|p| p.id.clone()),
            version: 1,
            created_at: now,
            updated_at: now,
        };
        store::insert_product(tx.conn(), &rec)
            .await
            .map_err(|e| match e {
                StoreError::Constraint(_) => AppError::conflict_on("code", "code_taken"),
                e => e.into(),
            })?;
        let view = product_view(&rec, policy.as_ref().map(|p| p.code.clone()));
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::Product,
            &rec.id.to_string(),
            AuditAction::Create,
            None,
            Some(crate::administration::audit::audit_value(&view)?),
        )
        .await?;
        tx.commit().await?;
        Ok(view)
    }

    #[tracing::instrument(skip_all)]
    pub async fn list_products(
        &self,
        ctx: &Ctx,
        cursor_in: Option<&str>,
        limit: Option<i64>,
    ) -> Result<Page<ProductView>, AppError> {
        ctx.require(Permission::ProductsRead)?;
        let limit = cursor::limit(limit)?;
        let after = cursor::decode(cursor_in)?;
        let page = store::list_products(self.db.pool(), after.as_deref(), limit).await?;
        let mut items = Vec::new();
        for p in &page.items {
            items.push(product_view(
                p,
                self.policy_code(p.policy_id.as_deref()).await?,
            ));
        }
        Ok(Page {
            items,
            next_cursor: page.next.as_deref().map(cursor::encode),
        })
    }

    /// One product model.
    #[tracing::instrument(skip_all)]
    pub async fn get_product(&self, ctx: &Ctx, id: ProductId) -> Result<ProductView, AppError> {
        ctx.require(Permission::ProductsRead)?;
        let p = store::get_product(self.db.pool(), id)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => AppError::NotFound("product"),
                e => e.into(),
            })?;
        let pc = self.policy_code(p.policy_id.as_deref()).await?;
        Ok(product_view(&p, pc))
    }

    /// Changes a product model (not its code); the audit trail keeps it before and after.
    #[tracing::instrument(skip_all)]
    pub async fn update_product(
        &self,
        ctx: &Ctx,
        id: ProductId,
        input: &ProductEdit,
    ) -> Result<ProductView, AppError> {
        ctx.require(Permission::ProductsManage)?;
        let mut tx = self.db.begin().await?;
        let current = store::get_product(tx.conn(), id)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => AppError::NotFound("product"),
                e => e.into(),
            })?;
        // The field rules of a new model, with the stored code (which never changes).
        let ValidProduct {
            name,
            product_line,
            policy_code,
            ..
        } = validate_product(&NewProduct {
            code: current.code.clone(),
            name: input.name.clone(),
            product_line: input.product_line.clone(),
            maintenance_interval_months: input.maintenance_interval_months,
            policy_code: input.policy_code.clone(),
        })?;
        if current.version != input.version {
            return Err(AppError::StaleVersion {
                current: current.version,
            });
        }
        let policy = match policy_code {
            Some(pc) => Some(
                store::find_policy_by_code(tx.conn(), &pc)
                    .await?
                    .ok_or_else(|| AppError::conflict_on("policy_code", "unknown_policy"))?,
            ),
            None => None,
        };
        let before_policy = match current.policy_id.as_deref() {
            Some(pid) => Some(store::get_policy(tx.conn(), pid).await?.code),
            None => None,
        };
        let before = product_view(&current, before_policy);
        let rec = store::ProductRecord {
            name,
            product_line,
            maintenance_interval_months: input.maintenance_interval_months,
            policy_id: policy.as_ref().map(|p| p.id.clone()),
            version: current.version + 1,
            updated_at: self.now(),
            ..current.clone()
        };
        if !store::update_product(tx.conn(), &rec, current.version).await? {
            let v = store::get_product(tx.conn(), id).await?.version;
            return Err(AppError::StaleVersion { current: v });
        }
        let view = product_view(&rec, policy.map(|p| p.code));
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::Product,
            &rec.id.to_string(),
            AuditAction::Update,
            Some(crate::administration::audit::audit_value(&before)?),
            Some(crate::administration::audit::audit_value(&view)?),
        )
        .await?;
        tx.commit().await?;
        Ok(view)
    }

    /// A product model's entries in the audit trail, newest first (its page's history).
    #[tracing::instrument(skip_all)]
    pub async fn product_history(
        &self,
        ctx: &Ctx,
        id: ProductId,
    ) -> Result<Vec<crate::AuditView>, AppError> {
        ctx.require(Permission::ProductsRead)?;
        super::record_history(&self.db, AuditEntity::Product, &id.to_string()).await
    }

    /// One warranty policy with every version, oldest first.
    #[tracing::instrument(skip_all)]
    pub async fn get_policy(&self, ctx: &Ctx, code: &str) -> Result<PolicyView, AppError> {
        ctx.require(Permission::ProductsRead)?;
        let p = store::find_policy_by_code(self.db.pool(), &code.trim().to_uppercase())
            .await?
            .ok_or(AppError::NotFound("warranty_policy"))?;
        let versions = store::versions(self.db.pool(), &p.id)
            .await?
            .iter()
            .map(version_dto)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(PolicyView {
            id: p.id,
            code: p.code,
            name: p.name,
            versions,
        })
    }

    pub(crate) async fn policy_code(&self, id: Option<&str>) -> Result<Option<String>, AppError> {
        match id {
            Some(id) => Ok(Some(store::get_policy(self.db.pool(), id).await?.code)),
            None => Ok(None),
        }
    }

    #[tracing::instrument(skip_all)]
    pub async fn find_product_by_code(&self, code: &str) -> Result<Option<ProductView>, AppError> {
        match store::find_product_by_code(self.db.pool(), &code.trim().to_uppercase()).await? {
            Some(p) => {
                let pc = self.policy_code(p.policy_id.as_deref()).await?;
                Ok(Some(product_view(&p, pc)))
            }
            None => Ok(None),
        }
    }
}

pub(crate) fn product_view(p: &store::ProductRecord, policy_code: Option<String>) -> ProductView {
    ProductView {
        id: p.id,
        code: p.code.clone(),
        name: p.name.clone(),
        product_line: p.product_line.clone(),
        maintenance_interval_months: p.maintenance_interval_months,
        policy_code,
        version: p.version,
    }
}
