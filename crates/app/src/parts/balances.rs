//! What is on hand (issue 14, points 2 and 7): stock locations, balances, the ledger with
//! running balances, and valuation at cost, each within the reader's scope.

use super::{LocationView, MoveView, StockScope, kind_of, location_view, qty_f64, stored, upper};
use crate::{AppError, Ctx};
use aftersales_domain::audit::{AuditAction, AuditEntity};
use aftersales_domain::installed_base::parse_text;
use aftersales_domain::parts::{Condition, LocationKind, MoveKind, Qty, Uom};
use aftersales_domain::{FieldError, FieldErrors, OrgCode, Permission};
use aftersales_store::parts::catalog::find_part;
use aftersales_store::parts::stock::{self as store, LocationRow};
use aftersales_store::{network, time};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a location holds of a part in one condition.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BalanceView {
    pub location: String,
    pub location_name: String,
    #[schema(value_type = crate::schema::LocationKindName)]
    pub location_kind: LocationKind,
    pub part: String,
    pub name_zh: String,
    pub name_en: String,
    #[schema(value_type = crate::schema::UomName)]
    pub uom: Uom,
    #[schema(value_type = crate::schema::ConditionName)]
    pub condition: Condition,
    pub on_hand: f64,
    /// At moving-average cost, in fen.
    pub value_fen: i64,
    pub reorder_point: Option<f64>,
    /// At or below the reorder point (new stock only).
    pub low: bool,
}

/// A new location: a warehouse, a store, a partner's store or an engineer's van.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewLocation {
    #[schema(min_length = 1, max_length = 32, pattern = r"^[A-Za-z0-9-]{1,32}$")]
    pub code: String,
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    #[schema(value_type = crate::schema::LocationKindName)]
    pub kind: String,
    /// The keeping unit's code (for a van: the engineer's own unit, when left out).
    #[schema(max_length = 32)]
    pub org_unit: Option<String>,
    /// A van's engineer (user name).
    #[schema(max_length = 64)]
    pub user: Option<String>,
}

/// Stock at one location, at cost.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LocationValue {
    pub location: String,
    pub name: String,
    #[schema(value_type = crate::schema::LocationKindName)]
    pub kind: LocationKind,
    /// How many balances (part and condition) are above zero.
    pub lines: i64,
    pub value_fen: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Valuation {
    pub locations: Vec<LocationValue>,
    pub total_fen: i64,
}

/// Filters of `GET /api/v1/stock/balances`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct BalanceQuery {
    /// A location's code.
    pub location: Option<String>,
    /// A part number.
    pub part: Option<String>,
    /// Only balances at or below their reorder point.
    #[serde(default)]
    pub low: bool,
}

/// A part's reorder point and quantity at a location, in its unit of measure.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ReorderInput {
    /// At or below this, new stock is low: the keepers are told once.
    #[schema(value_type = f64, minimum = 0, maximum = 1000000)]
    pub reorder_point: serde_json::Value,
    /// What to order when low.
    #[schema(value_type = f64, minimum = 0.001, maximum = 1000000)]
    pub reorder_qty: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReorderView {
    pub location: String,
    pub part: String,
    pub reorder_point: f64,
    pub reorder_qty: f64,
}

/// Filters of `GET /api/v1/stock/moves`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct LedgerQuery {
    pub location: Option<String>,
    pub part: Option<String>,
    pub kind: Option<String>,
    pub work_order: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

impl crate::App {
    /// The locations the caller may read, by code.
    #[tracing::instrument(skip_all)]
    pub async fn stock_locations(&self, ctx: &Ctx) -> Result<Vec<LocationView>, AppError> {
        let scope = StockScope::of(ctx)?;
        let mut out = Vec::new();
        for l in store::list_locations(self.db.pool()).await? {
            if scope.allows(&l, kind_of(&l)?) {
                out.push(location_view(l)?);
            }
        }
        Ok(out)
    }

    /// The ids of the locations the caller may read (`None`: all).
    async fn readable_locations(&self, ctx: &Ctx) -> Result<Option<Vec<String>>, AppError> {
        let scope = StockScope::of(ctx)?;
        if scope == StockScope::All {
            return Ok(None);
        }
        let mut ids = Vec::new();
        for l in store::list_locations(self.db.pool()).await? {
            if scope.allows(&l, kind_of(&l)?) {
                ids.push(l.id);
            }
        }
        Ok(Some(ids))
    }

    /// A location the caller may read, by code.
    pub(crate) async fn readable_location(
        &self,
        ctx: &Ctx,
        code: &str,
    ) -> Result<LocationRow, AppError> {
        let scope = StockScope::of(ctx)?;
        let code = code.trim().to_uppercase();
        if code.chars().count() > 32 {
            return Err(AppError::NotFound("location"));
        }
        let l = store::find_location(self.db.pool(), &code)
            .await?
            .ok_or(AppError::NotFound("location"))?;
        if !scope.allows(&l, kind_of(&l)?) {
            return Err(AppError::NotFound("location"));
        }
        Ok(l)
    }

    #[tracing::instrument(skip_all)]
    pub async fn create_stock_location(
        &self,
        ctx: &Ctx,
        input: &NewLocation,
    ) -> Result<LocationView, AppError> {
        ctx.require(Permission::StockMove)?;
        let mut errs = FieldErrors::new();
        let code = errs.take(OrgCode::parse("code", &input.code));
        let name = errs.take(parse_text("name", &input.name, 100));
        let kind = errs.take(
            LocationKind::parse(input.kind.trim())
                .filter(|k| k.is_physical())
                .ok_or_else(|| FieldError::new("kind", "invalid_choice")),
        );
        let (Some(code), Some(name), Some(kind)) = (code, name, kind) else {
            return Err(AppError::Validation(errs));
        };
        let mut tx = self.db.begin().await?;
        let mut user_id = None;
        let mut unit_id = None;
        if kind == LocationKind::Van {
            let Some(u) = input
                .user
                .as_deref()
                .map(str::trim)
                .filter(|u| !u.is_empty())
            else {
                return Err(AppError::invalid(FieldError::new("user", "required")));
            };
            let user = network::users::find_by_username(tx.conn(), u)
                .await?
                .filter(|u| u.role.holds_certifications())
                .ok_or_else(|| AppError::conflict_on("user", "not_a_van_holder"))?;
            if store::van_of(tx.conn(), &user.id.to_string())
                .await?
                .is_some()
            {
                return Err(AppError::conflict_on("user", "has_a_van"));
            }
            user_id = Some(user.id.to_string());
            unit_id = user.org_unit_id.map(|i| i.to_string());
        }
        if let Some(u) = upper(&input.org_unit) {
            let unit = network::org::find_by_code(tx.conn(), &u)
                .await?
                .ok_or_else(|| AppError::conflict_on("org_unit", "unknown_unit"))?;
            unit_id = Some(unit.id.to_string());
        }
        let Some(unit_id) = unit_id else {
            return Err(AppError::invalid(FieldError::new("org_unit", "required")));
        };
        if store::find_location(tx.conn(), code.as_str())
            .await?
            .is_some()
        {
            return Err(AppError::conflict_on("code", "code_taken"));
        }
        let row = LocationRow {
            id: uuid::Uuid::now_v7().to_string(),
            code: code.as_str().into(),
            name,
            kind: kind.as_str().into(),
            org_unit_id: Some(unit_id),
            user_id,
            active: 1,
            created_at: time::to_db(self.now())?,
            org_path: None,
        };
        store::insert_location(tx.conn(), &row).await?;
        let view = location_view(row)?;
        let after = crate::administration::audit::audit_value(&view)?;
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::StockLocation,
            &view.id,
            AuditAction::Create,
            None,
            Some(after),
        )
        .await?;
        tx.commit().await?;
        Ok(view)
    }

    /// What is on hand, by location and part (`GET /api/v1/stock/balances`).
    #[tracing::instrument(skip_all)]
    pub async fn stock_balances(
        &self,
        ctx: &Ctx,
        q: &BalanceQuery,
    ) -> Result<Vec<BalanceView>, AppError> {
        let locations = self.readable_locations(ctx).await?;
        let location_id = match q.location.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(code) => Some(self.readable_location(ctx, code).await?.id),
            None => None,
        };
        let part_id = match q.part.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(p) => Some(
                find_part(self.db.pool(), &p.trim().to_uppercase())
                    .await?
                    .ok_or(AppError::NotFound("part"))?
                    .id,
            ),
            None => None,
        };
        let f = store::BalanceFilter {
            location_id,
            part_id,
            locations,
            low_only: q.low,
            include_zero: false,
        };
        let rows = store::balances(self.db.pool(), &f, 2000).await?;
        rows.into_iter()
            .map(|r| {
                let condition = stored("stock_balances.condition", &r.condition, Condition::parse)?;
                Ok(BalanceView {
                    low: condition == Condition::New
                        && r.reorder_point.is_some_and(|p| r.on_hand <= p),
                    location_kind: stored(
                        "stock_locations.kind",
                        &r.location_kind,
                        LocationKind::parse,
                    )?,
                    uom: stored("parts.uom", &r.uom, Uom::parse)?,
                    condition,
                    on_hand: qty_f64(r.on_hand),
                    reorder_point: r.reorder_point.map(qty_f64),
                    location: r.location_code,
                    location_name: r.location_name,
                    part: r.part_no,
                    name_zh: r.name_zh,
                    name_en: r.name_en,
                    value_fen: r.value_fen,
                })
            })
            .collect()
    }

    /// The ledger, newest first (`GET /api/v1/stock/moves`); with a location, each move
    /// carries the running balance there.
    #[tracing::instrument(skip_all)]
    pub async fn stock_ledger(
        &self,
        ctx: &Ctx,
        q: &LedgerQuery,
    ) -> Result<crate::Page<MoveView>, AppError> {
        let limit = crate::cursor::limit(q.limit)?;
        let before = crate::cursor::decode(q.cursor.as_deref())?.map(|k| match k.split_once('|') {
            Some((a, b)) => (a.to_owned(), b.to_owned()),
            None => (k, String::new()),
        });
        let kind = match q.kind.as_deref().filter(|s| !s.is_empty()) {
            Some(k) => Some(
                MoveKind::parse(k)
                    .ok_or_else(|| AppError::invalid(FieldError::new("kind", "invalid_choice")))?,
            ),
            None => None,
        };
        let location_id = match q.location.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(code) => Some(self.readable_location(ctx, code).await?.id),
            None => {
                // The whole ledger is the warehouse's (and admins').
                if StockScope::of(ctx)? != StockScope::All {
                    return Err(AppError::invalid(FieldError::new("location", "required")));
                }
                None
            }
        };
        let part_id = match q.part.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(p) => Some(
                find_part(self.db.pool(), &p.trim().to_uppercase())
                    .await?
                    .ok_or(AppError::NotFound("part"))?
                    .id,
            ),
            None => None,
        };
        let work_order_id = match upper(&q.work_order) {
            Some(n) if n.chars().count() <= 32 => {
                match aftersales_store::service::get_work_order(self.db.pool(), &n).await {
                    Ok(w) => Some(w.id),
                    Err(aftersales_store::StoreError::NotFound) => Some(String::new()),
                    Err(e) => return Err(e.into()),
                }
            }
            Some(_) => {
                return Err(AppError::invalid(
                    FieldError::new("work_order", "too_long").with("max", 32),
                ));
            }
            None => None,
        };
        let f = store::LedgerFilter {
            part_id,
            location_id,
            kind: kind.map(|k| k.as_str().to_owned()),
            work_order_id,
            before,
        };
        let page = store::ledger(self.db.pool(), &f, limit).await?;
        let items = page
            .items
            .into_iter()
            .map(|r| {
                Ok(MoveView {
                    kind: stored("stock_moves.kind", &r.kind, MoveKind::parse)?,
                    uom: stored("parts.uom", &r.uom, Uom::parse)?,
                    condition: stored("stock_moves.condition", &r.condition, Condition::parse)?,
                    qty: qty_f64(r.qty),
                    balance_after: r.balance_after.map(qty_f64),
                    id: r.id,
                    at: r.at,
                    part: r.part_no,
                    from: r.from_code,
                    to: r.to_code,
                    value_fen: r.value_fen,
                    serial: r.serial,
                    work_order: r.work_order_number,
                    reference: r.reference,
                    reason: r.reason,
                    actor_name: r.actor_name,
                    note: r.note,
                })
            })
            .collect::<Result<Vec<_>, AppError>>()?;
        Ok(crate::Page {
            items,
            next_cursor: page.next.map(|k| crate::cursor::encode(&k)),
        })
    }

    /// Stock at cost per location the caller may read, and in total.
    #[tracing::instrument(skip_all)]
    pub async fn stock_valuation(&self, ctx: &Ctx) -> Result<Valuation, AppError> {
        let readable = self.readable_locations(ctx).await?;
        let mut locations = Vec::new();
        let mut total_fen = 0i64;
        for r in store::valuation(self.db.pool()).await? {
            if readable
                .as_ref()
                .is_some_and(|ids| !ids.contains(&r.location_id))
            {
                continue;
            }
            total_fen = total_fen.saturating_add(r.value_fen);
            locations.push(LocationValue {
                kind: stored("stock_locations.kind", &r.kind, LocationKind::parse)?,
                location: r.code,
                name: r.name,
                lines: r.lines,
                value_fen: r.value_fen,
            });
        }
        Ok(Valuation {
            locations,
            total_fen,
        })
    }

    /// Sets a part's reorder point and quantity at a location (the warehouse's).
    #[tracing::instrument(skip_all)]
    pub async fn set_reorder_point(
        &self,
        ctx: &Ctx,
        location: &str,
        part_no: &str,
        input: &ReorderInput,
    ) -> Result<ReorderView, AppError> {
        ctx.require(Permission::StockMove)?;
        let l = self.readable_location(ctx, location).await?;
        let part = find_part(self.db.pool(), &part_no.trim().to_uppercase())
            .await?
            .ok_or(AppError::NotFound("part"))?;
        let uom = stored("parts.uom", &part.uom, Uom::parse)?;
        let mut errs = FieldErrors::new();
        // Zero is a point (alert when empty); the quantity to order is more than zero.
        let point = errs.take(Qty::parse_json_level(
            "reorder_point",
            &input.reorder_point,
            uom,
        ));
        let qty = errs.take(Qty::parse_json("reorder_qty", &input.reorder_qty, uom));
        let (point, qty) = errs.finish(|| Some((point?, qty?)))?;
        let mut tx = self.db.begin().await?;
        store::set_reorder_point(
            tx.conn(),
            &l.id,
            &part.id,
            point.0,
            qty.0,
            &time::to_db(self.now())?,
        )
        .await?;
        let view = ReorderView {
            location: l.code,
            part: part.part_no,
            reorder_point: point.as_f64(),
            reorder_qty: qty.as_f64(),
        };
        let after = crate::administration::audit::audit_value(&view)?;
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::ReorderPoint,
            &format!("{}:{}", l.id, part.id),
            AuditAction::Put,
            None,
            Some(after),
        )
        .await?;
        tx.commit().await?;
        Ok(view)
    }
}
