//! The parts catalog (issue 14, point 1): suppliers with their contacts and warranty terms,
//! and parts with their numbers, names in both languages, the models they fit, prices in fen,
//! and the successor a discontinued part names.

use super::stored;
use crate::{AppError, Ctx};
use aftersales_domain::audit::{AuditAction, AuditEntity};
use aftersales_domain::installed_base::{parse_opt_notes, parse_opt_text, parse_text};
use aftersales_domain::parts::{PartCategory, Uom, check_fen, parse_part_no};
use aftersales_domain::{FieldError, FieldErrors, OrgCode, Permission};
use aftersales_store::parts::catalog as store;
use aftersales_store::{installed_base::products, time};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A supplier as typed (create, or update with `version`).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SupplierInput {
    /// The version an update is based on; absent on create.
    #[serde(default, deserialize_with = "crate::schema::opt_int")]
    pub version: Option<i64>,
    /// Ignored on update (a supplier keeps its code).
    #[serde(default)]
    #[schema(max_length = 32, pattern = r"^[A-Za-z0-9-]{0,32}$")]
    pub code: String,
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    #[schema(max_length = 50)]
    pub contact: Option<String>,
    #[schema(max_length = 30)]
    pub phone: Option<String>,
    #[schema(max_length = 100)]
    pub email: Option<String>,
    #[schema(max_length = 200)]
    pub address: Option<String>,
    /// The supplier's warranty on its parts, in months.
    #[serde(default, deserialize_with = "crate::schema::opt_int")]
    #[schema(minimum = 0, maximum = 120)]
    pub warranty_months: Option<i64>,
    #[schema(max_length = 500)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SupplierView {
    pub id: String,
    pub code: String,
    pub name: String,
    pub contact: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub warranty_months: Option<i64>,
    pub note: Option<String>,
    pub version: i64,
}

fn supplier_view(r: store::SupplierRow) -> SupplierView {
    SupplierView {
        id: r.id,
        code: r.code,
        name: r.name,
        contact: r.contact,
        phone: r.phone,
        email: r.email,
        address: r.address,
        warranty_months: r.warranty_months,
        note: r.note,
        version: r.version,
    }
}

/// The fields of a supplier that passed their rules.
pub(crate) struct ValidSupplier {
    name: String,
    contact: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    address: Option<String>,
    warranty_months: Option<i64>,
    note: Option<String>,
}

impl ValidSupplier {
    /// A new supplier's row (the form and imports).
    pub(crate) fn new_row(self, code: String, now: String) -> store::SupplierRow {
        store::SupplierRow {
            id: uuid::Uuid::now_v7().to_string(),
            code,
            name: self.name,
            contact: self.contact,
            phone: self.phone,
            email: self.email,
            address: self.address,
            warranty_months: self.warranty_months,
            note: self.note,
            version: 1,
            created_at: now.clone(),
            updated_at: now,
        }
    }

    /// The row of `old` changed to these fields, one version on.
    pub(crate) fn updated_row(self, old: store::SupplierRow, now: String) -> store::SupplierRow {
        store::SupplierRow {
            name: self.name,
            contact: self.contact,
            phone: self.phone,
            email: self.email,
            address: self.address,
            warranty_months: self.warranty_months,
            note: self.note,
            version: old.version + 1,
            updated_at: now,
            ..old
        }
    }
}

impl SupplierInput {
    pub(crate) fn parse(&self) -> Result<ValidSupplier, FieldErrors> {
        let mut errs = FieldErrors::new();
        let name = errs.take(parse_text("name", &self.name, 100));
        let contact = errs.take(parse_opt_text("contact", self.contact.as_deref(), 50));
        let phone = errs.take(parse_opt_text("phone", self.phone.as_deref(), 30));
        let email = errs.take(parse_opt_text("email", self.email.as_deref(), 100));
        if email.as_ref().is_some_and(|e| {
            e.as_ref()
                .is_some_and(|e| !e.contains('@') || e.contains(char::is_whitespace))
        }) {
            errs.push(FieldError::new("email", "invalid_email"));
        }
        let address = errs.take(parse_opt_text("address", self.address.as_deref(), 200));
        let warranty_months = errs.take(aftersales_domain::bounds::check_opt_int(
            "warranty_months",
            self.warranty_months,
            0,
            120,
        ));
        let note = errs.take(parse_opt_notes("note", self.note.as_deref(), 500));
        errs.finish(|| {
            Some(ValidSupplier {
                name: name?,
                contact: contact?,
                phone: phone?,
                email: email?,
                address: address?,
                warranty_months: warranty_months?,
                note: note?,
            })
        })
    }
}

/// A part as typed (create, or update with `version`).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PartInput {
    /// The version an update is based on; absent on create.
    #[serde(default, deserialize_with = "crate::schema::opt_int")]
    pub version: Option<i64>,
    /// Ignored on update: the ledger knows a part by its number.
    #[serde(default)]
    #[schema(max_length = 40, pattern = r"^[A-Za-z0-9_./-]{0,40}$")]
    pub part_no: String,
    #[schema(min_length = 1, max_length = 100)]
    pub name_zh: String,
    #[schema(min_length = 1, max_length = 100)]
    pub name_en: String,
    #[schema(value_type = crate::schema::PartCategoryName)]
    pub category: String,
    /// Ignored on update.
    #[serde(default = "default_uom")]
    #[schema(value_type = crate::schema::UomName)]
    pub uom: String,
    /// Tracked one by one by serial number. Ignored on update.
    #[serde(default)]
    pub serialized: bool,
    /// Only the original part may be fitted (no equivalent).
    #[serde(default)]
    pub original_only: bool,
    #[serde(deserialize_with = "crate::schema::int")]
    #[schema(minimum = 0, maximum = 1000000000)]
    pub cost_fen: i64,
    #[serde(deserialize_with = "crate::schema::int")]
    #[schema(minimum = 0, maximum = 1000000000)]
    pub list_price_fen: i64,
    /// The supplier's code.
    pub supplier: Option<String>,
    #[serde(default, deserialize_with = "crate::schema::opt_int")]
    #[schema(minimum = 0, maximum = 120)]
    pub supplier_warranty_months: Option<i64>,
    /// The product models' codes the part fits.
    #[serde(default)]
    #[schema(max_items = 200)]
    pub models: Vec<String>,
    #[serde(default)]
    pub discontinued: bool,
    /// The equivalent-or-better part offered instead once discontinued (its number).
    pub successor: Option<String>,
    #[schema(max_length = 500)]
    pub note: Option<String>,
}

fn default_uom() -> String {
    Uom::Piece.as_str().into()
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PartView {
    pub id: String,
    pub part_no: String,
    pub name_zh: String,
    pub name_en: String,
    #[schema(value_type = crate::schema::PartCategoryName)]
    pub category: PartCategory,
    #[schema(value_type = crate::schema::UomName)]
    pub uom: Uom,
    pub serialized: bool,
    pub original_only: bool,
    pub cost_fen: i64,
    pub list_price_fen: i64,
    pub supplier_code: Option<String>,
    pub supplier_name: Option<String>,
    pub supplier_warranty_months: Option<i64>,
    pub models: Vec<String>,
    pub discontinued: bool,
    /// The part offered instead when this one is discontinued.
    pub successor: Option<String>,
    pub note: Option<String>,
    pub version: i64,
}

pub(crate) struct ValidPart {
    name_zh: String,
    name_en: String,
    category: PartCategory,
    uom: Uom,
    cost_fen: i64,
    list_price_fen: i64,
    supplier_warranty_months: Option<i64>,
    note: Option<String>,
}

impl PartInput {
    pub(crate) fn parse(&self) -> Result<ValidPart, FieldErrors> {
        let mut errs = FieldErrors::new();
        let name_zh = errs.take(parse_text("name_zh", &self.name_zh, 100));
        let name_en = errs.take(parse_text("name_en", &self.name_en, 100));
        let category = errs.take(
            PartCategory::parse(self.category.trim())
                .ok_or_else(|| FieldError::new("category", "invalid_choice")),
        );
        let uom = errs.take(
            Uom::parse(self.uom.trim()).ok_or_else(|| FieldError::new("uom", "invalid_choice")),
        );
        let cost_fen = errs.take(check_fen("cost_fen", self.cost_fen));
        let list_price_fen = errs.take(check_fen("list_price_fen", self.list_price_fen));
        let supplier_warranty_months = errs.take(aftersales_domain::bounds::check_opt_int(
            "supplier_warranty_months",
            self.supplier_warranty_months,
            0,
            120,
        ));
        if self.models.len() > 200 {
            errs.push(FieldError::new("models", "too_many").with("max", 200));
        }
        let note = errs.take(parse_opt_notes("note", self.note.as_deref(), 500));
        errs.finish(|| {
            Some(ValidPart {
                name_zh: name_zh?,
                name_en: name_en?,
                category: category?,
                uom: uom?,
                cost_fen: cost_fen?,
                list_price_fen: list_price_fen?,
                supplier_warranty_months: supplier_warranty_months?,
                note: note?,
            })
        })
    }
}

/// The ids of what a part refers to, looked up by the codes typed.
pub(crate) struct Refs {
    pub(crate) supplier_id: Option<String>,
    pub(crate) successor_id: Option<String>,
    pub(crate) model_ids: Vec<String>,
}

impl ValidPart {
    /// A new part's row (the form and imports).
    pub(crate) fn new_row(
        self,
        part_no: String,
        input: &PartInput,
        refs: &Refs,
        now: String,
    ) -> store::PartRow {
        store::PartRow {
            id: uuid::Uuid::now_v7().to_string(),
            part_no,
            name_zh: self.name_zh,
            name_en: self.name_en,
            category: self.category.as_str().into(),
            uom: self.uom.as_str().into(),
            serialized: i64::from(input.serialized),
            original_only: i64::from(input.original_only),
            cost_fen: self.cost_fen,
            list_price_fen: self.list_price_fen,
            supplier_id: refs.supplier_id.clone(),
            supplier_warranty_months: self.supplier_warranty_months,
            discontinued: i64::from(input.discontinued),
            successor_id: refs.successor_id.clone(),
            note: self.note,
            version: 1,
            created_at: now.clone(),
            updated_at: now,
        }
    }

    /// The row of `old` changed to these fields, one version on: the number, the unit and
    /// whether it is serialized stay (the ledger counts the part by them).
    pub(crate) fn updated_row(
        self,
        old: store::PartRow,
        input: &PartInput,
        refs: &Refs,
        now: String,
    ) -> store::PartRow {
        store::PartRow {
            name_zh: self.name_zh,
            name_en: self.name_en,
            category: self.category.as_str().into(),
            original_only: i64::from(input.original_only),
            cost_fen: self.cost_fen,
            list_price_fen: self.list_price_fen,
            supplier_id: refs.supplier_id.clone(),
            supplier_warranty_months: self.supplier_warranty_months,
            discontinued: i64::from(input.discontinued),
            successor_id: refs.successor_id.clone(),
            note: self.note,
            version: old.version + 1,
            updated_at: now,
            ..old
        }
    }
}

/// What a part refers to (supplier, successor, models), looked up by the codes typed; an
/// unknown one is a field error. `own_id` is the part itself on update.
pub(crate) async fn part_refs(
    c: &mut aftersales_store::Conn,
    input: &PartInput,
    own_id: Option<&str>,
) -> Result<Refs, AppError> {
    let mut errs = FieldErrors::new();
    let code = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_uppercase)
    };
    let mut supplier_id = None;
    if let Some(s) = code(&input.supplier) {
        match store::find_supplier(&mut *c, &s).await? {
            Some(r) => supplier_id = Some(r.id),
            None => errs.push(FieldError::new("supplier", "unknown_supplier")),
        }
    }
    let mut successor_id = None;
    if let Some(s) = code(&input.successor) {
        match store::find_part(&mut *c, &s).await? {
            Some(r) if Some(r.id.as_str()) != own_id => successor_id = Some(r.id),
            Some(_) => errs.push(FieldError::new("successor", "is_itself")),
            None => errs.push(FieldError::new("successor", "unknown_part")),
        }
    }
    let mut model_ids = Vec::new();
    for (i, m) in input.models.iter().enumerate() {
        let m = m.trim().to_uppercase();
        if m.is_empty() {
            continue;
        }
        match products::find_product_by_code(&mut *c, &m).await? {
            Some(p) if !model_ids.contains(&p.id.to_string()) => model_ids.push(p.id.to_string()),
            Some(_) => {}
            None => errs.push(FieldError::new(format!("models[{i}]"), "unknown_product")),
        }
    }
    if !errs.is_empty() {
        return Err(AppError::FieldConflict(errs));
    }
    Ok(Refs {
        supplier_id,
        successor_id,
        model_ids,
    })
}

impl crate::App {
    async fn part_view(
        &self,
        c: &mut aftersales_store::Conn,
        r: store::PartRow,
    ) -> Result<PartView, AppError> {
        let supplier = match &r.supplier_id {
            Some(id) => store::supplier_by_id(&mut *c, id).await?,
            None => None,
        };
        let successor = match &r.successor_id {
            Some(id) => store::part_by_id(&mut *c, id).await?.map(|p| p.part_no),
            None => None,
        };
        let models = store::part_models(&mut *c, &r.id).await?;
        Ok(PartView {
            category: stored("parts.category", &r.category, PartCategory::parse)?,
            uom: stored("parts.uom", &r.uom, Uom::parse)?,
            serialized: r.serialized != 0,
            original_only: r.original_only != 0,
            supplier_code: supplier.as_ref().map(|s| s.code.clone()),
            supplier_name: supplier.map(|s| s.name),
            discontinued: r.discontinued != 0,
            successor,
            models,
            id: r.id,
            part_no: r.part_no,
            name_zh: r.name_zh,
            name_en: r.name_en,
            cost_fen: r.cost_fen,
            list_price_fen: r.list_price_fen,
            supplier_warranty_months: r.supplier_warranty_months,
            note: r.note,
            version: r.version,
        })
    }

    #[tracing::instrument(skip_all)]
    pub async fn create_part(&self, ctx: &Ctx, input: &PartInput) -> Result<PartView, AppError> {
        ctx.require(Permission::PartsManage)?;
        let mut errs = FieldErrors::new();
        let part_no = errs.take(parse_part_no("part_no", &input.part_no));
        let v = input.parse().map_err(|mut e| {
            e.0.append(&mut errs.0);
            e
        });
        let (v, part_no) = match (v, part_no) {
            (Ok(v), Some(p)) if errs.is_empty() => (v, p),
            (Ok(_), _) => return Err(AppError::Validation(errs)),
            (Err(e), _) => return Err(AppError::Validation(e)),
        };
        let now = time::to_db(self.now())?;
        let mut tx = self.db.begin().await?;
        if store::find_part(tx.conn(), &part_no).await?.is_some() {
            return Err(AppError::conflict_on("part_no", "part_no_taken"));
        }
        let refs = part_refs(tx.conn(), input, None).await?;
        let row = v.new_row(part_no, input, &refs, now);
        store::insert_part(tx.conn(), &row).await?;
        store::set_part_models(tx.conn(), &row.id, &refs.model_ids).await?;
        let id = row.id.clone();
        let view = self.part_view(tx.conn(), row).await?;
        let after = crate::administration::audit::audit_value(&view)?;
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::Part,
            &id,
            AuditAction::Create,
            None,
            Some(after),
        )
        .await?;
        tx.commit().await?;
        Ok(view)
    }

    #[tracing::instrument(skip_all)]
    pub async fn update_part(
        &self,
        ctx: &Ctx,
        part_no: &str,
        input: &PartInput,
    ) -> Result<PartView, AppError> {
        ctx.require(Permission::PartsManage)?;
        let v = input.parse()?;
        let Some(expected) = input.version else {
            return Err(AppError::invalid(FieldError::new("version", "required")));
        };
        let mut tx = self.db.begin().await?;
        let old = store::find_part(tx.conn(), &part_no.to_uppercase())
            .await?
            .ok_or(AppError::NotFound("part"))?;
        if old.version != expected {
            return Err(AppError::StaleVersion {
                current: old.version,
            });
        }
        let refs = part_refs(tx.conn(), input, Some(&old.id)).await?;
        let before = self.part_view(tx.conn(), old.clone()).await?;
        let row = v.updated_row(old, input, &refs, time::to_db(self.now())?);
        if !store::update_part(tx.conn(), &row, expected).await? {
            return Err(AppError::StaleVersion {
                current: expected + 1,
            });
        }
        store::set_part_models(tx.conn(), &row.id, &refs.model_ids).await?;
        let id = row.id.clone();
        let view = self.part_view(tx.conn(), row).await?;
        let (b, a) = (
            crate::administration::audit::audit_value(&before)?,
            crate::administration::audit::audit_value(&view)?,
        );
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::Part,
            &id,
            AuditAction::Update,
            Some(b),
            Some(a),
        )
        .await?;
        tx.commit().await?;
        Ok(view)
    }

    #[tracing::instrument(skip_all)]
    pub async fn get_part(&self, ctx: &Ctx, part_no: &str) -> Result<PartView, AppError> {
        ctx.require(Permission::PartsRead)?;
        let mut c = self.db.acquire().await?;
        let r = store::find_part(&mut *c, &part_no.trim().to_uppercase())
            .await?
            .ok_or(AppError::NotFound("part"))?;
        self.part_view(&mut c, r).await
    }

    /// Parts whose number or name contains `q`, by part number, a page at a time.
    #[tracing::instrument(skip_all)]
    pub async fn list_parts(
        &self,
        ctx: &Ctx,
        q: Option<&str>,
        cursor: Option<&str>,
        limit: Option<i64>,
    ) -> Result<crate::Page<PartView>, AppError> {
        ctx.require(Permission::PartsRead)?;
        let limit = crate::cursor::limit(limit)?;
        let after = crate::cursor::decode(cursor)?;
        let q = q.map(str::trim).unwrap_or("");
        if q.chars().count() > 100 {
            return Err(AppError::invalid(
                FieldError::new("q", "too_long").with("max", 100),
            ));
        }
        let mut c = self.db.acquire().await?;
        let mut rows = store::search_parts(&mut *c, q, after.as_deref(), limit + 1).await?;
        let more = rows.len() > usize::try_from(limit).unwrap_or(0);
        rows.truncate(usize::try_from(limit).unwrap_or(0));
        let next_cursor = more
            .then(|| rows.last().map(|r| crate::cursor::encode(&r.part_no)))
            .flatten();
        let mut items = Vec::with_capacity(rows.len());
        for r in rows {
            items.push(self.part_view(&mut c, r).await?);
        }
        Ok(crate::Page { items, next_cursor })
    }

    #[tracing::instrument(skip_all)]
    pub async fn create_supplier(
        &self,
        ctx: &Ctx,
        input: &SupplierInput,
    ) -> Result<SupplierView, AppError> {
        ctx.require(Permission::PartsManage)?;
        let mut errs = FieldErrors::new();
        let code = errs.take(OrgCode::parse("code", &input.code));
        let v = match input.parse() {
            Ok(v) if errs.is_empty() => v,
            Ok(_) => return Err(AppError::Validation(errs)),
            Err(mut e) => {
                e.0.extend(errs.0);
                return Err(AppError::Validation(e));
            }
        };
        let code = code.ok_or(AppError::Validation(FieldErrors::new()))?;
        let now = time::to_db(self.now())?;
        let mut tx = self.db.begin().await?;
        if store::find_supplier(tx.conn(), code.as_str())
            .await?
            .is_some()
        {
            return Err(AppError::conflict_on("code", "code_taken"));
        }
        let row = v.new_row(code.as_str().into(), now);
        store::insert_supplier(tx.conn(), &row).await?;
        let view = supplier_view(row);
        let after = crate::administration::audit::audit_value(&view)?;
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::Supplier,
            &view.id,
            AuditAction::Create,
            None,
            Some(after),
        )
        .await?;
        tx.commit().await?;
        Ok(view)
    }

    #[tracing::instrument(skip_all)]
    pub async fn update_supplier(
        &self,
        ctx: &Ctx,
        code: &str,
        input: &SupplierInput,
    ) -> Result<SupplierView, AppError> {
        ctx.require(Permission::PartsManage)?;
        let v = input.parse()?;
        let Some(expected) = input.version else {
            return Err(AppError::invalid(FieldError::new("version", "required")));
        };
        let mut tx = self.db.begin().await?;
        let old = store::find_supplier(tx.conn(), &code.to_uppercase())
            .await?
            .ok_or(AppError::NotFound("supplier"))?;
        if old.version != expected {
            return Err(AppError::StaleVersion {
                current: old.version,
            });
        }
        let before = crate::administration::audit::audit_value(&supplier_view(old.clone()))?;
        let row = v.updated_row(old, time::to_db(self.now())?);
        if !store::update_supplier(tx.conn(), &row, expected).await? {
            return Err(AppError::StaleVersion {
                current: expected + 1,
            });
        }
        let view = supplier_view(row);
        let after = crate::administration::audit::audit_value(&view)?;
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::Supplier,
            &view.id,
            AuditAction::Update,
            Some(before),
            Some(after),
        )
        .await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Suppliers by code after `after`, `limit` at a time (exports).
    pub async fn suppliers_after(
        &self,
        ctx: &Ctx,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<SupplierView>, AppError> {
        ctx.require(Permission::PartsRead)?;
        let rows = store::suppliers_after(self.db.pool(), after, limit).await?;
        Ok(rows.into_iter().map(supplier_view).collect())
    }

    #[tracing::instrument(skip_all)]
    pub async fn list_suppliers(&self, ctx: &Ctx) -> Result<Vec<SupplierView>, AppError> {
        ctx.require(Permission::PartsRead)?;
        let rows = store::list_suppliers(self.db.pool()).await?;
        Ok(rows.into_iter().map(supplier_view).collect())
    }
}
