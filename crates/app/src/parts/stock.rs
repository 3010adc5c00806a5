//! Stock (issue 14, points 2 and 7): locations, posting a move to the ledger, what is on hand,
//! the ledger with running balances, and valuation at cost.
//!
//! A move is written in one transaction with the balances of the locations it joins (see
//! `aftersales_store::parts::stock`): the balance is locked, the domain decides whether the
//! quantity is there and what it is worth, then the move, its entries and the new balances
//! are written. A refused move writes nothing.

use super::{StockScope, stored};
use crate::{AppError, Ctx};
use aftersales_domain::audit::{AuditAction, AuditEntity};
use aftersales_domain::installed_base::{parse_opt_notes, parse_opt_text, parse_text};
use aftersales_domain::parts::{
    Balance, Condition, LocationKind, MoveKind, Qty, Side, Uom, value_of,
};
use aftersales_domain::{FieldError, FieldErrors, OrgCode, Permission, Role};
use aftersales_store::parts::catalog::{PartRow, find_part};
use aftersales_store::parts::stock::{self as store, BalanceKey, Held, LocationRow};
use aftersales_store::{network, time};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A move as sent: `POST /api/v1/stock/moves`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewMove {
    #[schema(value_type = crate::schema::MoveKindName)]
    pub kind: String,
    /// The part number.
    #[schema(max_length = 40)]
    pub part: String,
    /// `new` unless said; a defective part taken back is `defective`.
    #[schema(value_type = Option<crate::schema::ConditionName>)]
    pub condition: Option<String>,
    /// How many, in the part's unit of measure: whole for counted units, at most three
    /// decimals otherwise; more than 0 and at most 1,000,000.
    #[schema(value_type = f64, minimum = 0.001, maximum = 1000000)]
    pub qty: serde_json::Value,
    /// The location's code; the virtual end of a move (supplier, customer, scrap, count
    /// difference, in transit) may be left out. An engineer's issue comes from their van.
    #[schema(max_length = 32)]
    pub from: Option<String>,
    #[schema(max_length = 32)]
    pub to: Option<String>,
    /// A receipt's cost per unit of measure in fen (the part's cost when absent).
    #[serde(default, deserialize_with = "crate::schema::opt_int")]
    #[schema(minimum = 0, maximum = 1000000000)]
    pub unit_cost_fen: Option<i64>,
    /// The serial number, for a serial-numbered part (then the quantity is 1).
    #[schema(max_length = 64)]
    pub serial: Option<String>,
    /// The work order's number (issue, return, defective part taken back).
    #[schema(max_length = 32)]
    pub work_order: Option<String>,
    /// A delivery note, a shipment, a count sheet.
    #[schema(max_length = 64)]
    pub reference: Option<String>,
    /// Why (scrap and count differences).
    #[schema(max_length = 200)]
    pub reason: Option<String>,
    #[schema(max_length = 500)]
    pub note: Option<String>,
}

/// A move of the ledger.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MoveView {
    pub id: String,
    pub at: String,
    #[schema(value_type = crate::schema::MoveKindName)]
    pub kind: MoveKind,
    pub part: String,
    #[schema(value_type = crate::schema::UomName)]
    pub uom: Uom,
    #[schema(value_type = crate::schema::ConditionName)]
    pub condition: Condition,
    pub qty: f64,
    pub from: String,
    pub to: String,
    /// What the quantity cost, in fen, fixed when the move was written.
    pub value_fen: i64,
    pub serial: Option<String>,
    pub work_order: Option<String>,
    pub reference: Option<String>,
    pub reason: Option<String>,
    pub actor_name: String,
    pub note: Option<String>,
    /// With a location asked: the balance there after this move.
    pub balance_after: Option<f64>,
}

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

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LocationView {
    pub id: String,
    pub code: String,
    pub name: String,
    #[schema(value_type = crate::schema::LocationKindName)]
    pub kind: LocationKind,
    /// The keeping unit's id.
    pub org_unit_id: Option<String>,
    /// A van's engineer's id.
    pub user_id: Option<String>,
    pub active: bool,
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

/// Whose permission a move is posted under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Authority {
    /// The caller's own: the role matrix and their scope decide (the moves API).
    Caller,
    /// A use-case that checked its own permission and posts in the caller's name.
    UseCase,
}

/// A move that passed its rules and found what it names.
struct Posting {
    kind: MoveKind,
    part: PartRow,
    condition: Condition,
    qty: Qty,
    from: (LocationRow, LocationKind),
    to: (LocationRow, LocationKind),
    serial: Option<String>,
    work_order_id: Option<String>,
    reference: Option<String>,
    reason: Option<String>,
    note: Option<String>,
    unit_cost_fen: Option<i64>,
}

fn kind_of(l: &LocationRow) -> Result<LocationKind, AppError> {
    stored("stock_locations.kind", &l.kind, LocationKind::parse)
}

fn location_view(l: LocationRow) -> Result<LocationView, AppError> {
    Ok(LocationView {
        kind: kind_of(&l)?,
        id: l.id,
        code: l.code,
        name: l.name,
        org_unit_id: l.org_unit_id,
        user_id: l.user_id,
        active: l.active != 0,
    })
}

fn qty_f64(q: i64) -> f64 {
    Qty(q).as_f64()
}

fn upper(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_uppercase)
}

impl crate::App {
    /// Resolves one end of a move: the location named, or the virtual one of its kind.
    async fn move_end(
        &self,
        c: &mut aftersales_store::Conn,
        field: &str,
        code: Option<String>,
        side: Side,
    ) -> Result<(LocationRow, LocationKind), AppError> {
        let code = match (code, side) {
            (Some(c), _) => c,
            (None, Side::Exactly(k)) => k.virtual_code().unwrap_or_default().to_owned(),
            (None, Side::Physical) => {
                return Err(AppError::invalid(FieldError::new(field, "required")));
            }
        };
        if code.chars().count() > 32 {
            return Err(AppError::invalid(
                FieldError::new(field, "too_long").with("max", 32),
            ));
        }
        let l = store::find_location(&mut *c, &code)
            .await?
            .ok_or_else(|| AppError::conflict_on(field, "unknown_location"))?;
        let k = kind_of(&l)?;
        Ok((l, k))
    }

    /// Parses a move, finds what it names and, under the caller's own authority, checks
    /// they may post it.
    async fn posting(
        &self,
        ctx: &Ctx,
        input: &NewMove,
        authority: Authority,
    ) -> Result<Posting, AppError> {
        if authority == Authority::UseCase {
            return self.parse_move(ctx, input, None).await;
        }
        // Who may post at all, before anything is read: the warehouse, field staff on their
        // own orders, managers settling count differences.
        let scope = StockScope::of(ctx)?;
        if ![
            Permission::StockMove,
            Permission::FieldWork,
            Permission::StockApprove,
        ]
        .into_iter()
        .any(|p| ctx.can(p))
        {
            return Err(AppError::Forbidden);
        }
        self.parse_move(ctx, input, Some(scope)).await
    }

    /// Parses a move and finds what it names; with a scope (the caller's own authority),
    /// checks who may post it.
    async fn parse_move(
        &self,
        ctx: &Ctx,
        input: &NewMove,
        scope: Option<StockScope>,
    ) -> Result<Posting, AppError> {
        let actor = ctx.actor();
        let field_work = scope.is_some() && !ctx.can(Permission::StockMove);
        let mut errs = FieldErrors::new();
        let kind = errs.take(
            MoveKind::parse(input.kind.trim())
                .ok_or_else(|| FieldError::new("kind", "invalid_choice")),
        );
        let condition = match input.condition.as_deref().map(str::trim) {
            None | Some("") if kind == Some(MoveKind::DefectiveIn) => Some(Condition::Defective),
            None | Some("") => Some(Condition::New),
            Some(c) => errs.take(
                Condition::parse(c).ok_or_else(|| FieldError::new("condition", "invalid_choice")),
            ),
        };
        let serial = errs.take(parse_opt_text("serial", input.serial.as_deref(), 64));
        let reference = errs.take(parse_opt_text("reference", input.reference.as_deref(), 64));
        let reason = errs.take(parse_opt_text("reason", input.reason.as_deref(), 200));
        let note = errs.take(parse_opt_notes("note", input.note.as_deref(), 500));
        let unit_cost_fen = errs.take(
            input
                .unit_cost_fen
                .map(|v| aftersales_domain::parts::check_fen("unit_cost_fen", v))
                .transpose(),
        );
        let part_no = errs.take(aftersales_domain::parts::parse_part_no("part", &input.part));
        if let Some(w) = &input.work_order
            && w.chars().count() > 32
        {
            errs.push(FieldError::new("work_order", "too_long").with("max", 32));
        }
        let mut c = self.db.acquire().await?;
        let part = match &part_no {
            Some(p) => match find_part(&mut *c, p).await? {
                Some(r) => Some(r),
                None => {
                    errs.push(FieldError::new("part", "unknown_part"));
                    None
                }
            },
            None => None,
        };
        let uom = part
            .as_ref()
            .map(|p| stored("parts.uom", &p.uom, Uom::parse))
            .transpose()?;
        let qty = uom.and_then(|u| errs.take(Qty::parse_json("qty", &input.qty, u)));
        if !errs.is_empty() {
            return Err(AppError::Validation(errs));
        }
        let (Some(kind), Some(condition), Some(part), Some(qty)) = (kind, condition, part, qty)
        else {
            return Err(AppError::Validation(errs));
        };
        let (serial, reference, reason, note, unit_cost_fen) = (
            serial.flatten(),
            reference.flatten(),
            reason.flatten(),
            note.flatten(),
            unit_cost_fen.flatten(),
        );
        if part.serialized != 0 {
            if serial.is_none() {
                return Err(AppError::invalid(FieldError::new("serial", "required")));
            }
            if qty != Qty::units(1) {
                return Err(AppError::invalid(FieldError::new("qty", "one_per_serial")));
            }
        }
        let (from_side, to_side) = kind.route();
        // An engineer's own work: from or to their own van unless they name another place.
        let van = match (field_work, actor) {
            (true, Some(a)) => store::van_of(&mut *c, &a.id.to_string())
                .await?
                .map(|l| l.code),
            _ => None,
        };
        let from_code = upper(&input.from).or_else(|| {
            (field_work && from_side == Side::Physical)
                .then(|| van.clone())
                .flatten()
        });
        let to_code = upper(&input.to).or_else(|| {
            (field_work && to_side == Side::Physical)
                .then_some(van)
                .flatten()
        });
        let from = self.move_end(&mut c, "from", from_code, from_side).await?;
        let to = self.move_end(&mut c, "to", to_code, to_side).await?;
        if from.0.id == to.0.id {
            return Err(AppError::invalid(FieldError::new("to", "same_location")));
        }
        let work_order = match upper(&input.work_order) {
            Some(n) => Some(
                aftersales_store::service::get_work_order(&mut *c, &n)
                    .await
                    .map_err(|e| match e {
                        aftersales_store::StoreError::NotFound => {
                            AppError::conflict_on("work_order", "unknown_work_order")
                        }
                        e => e.into(),
                    })?,
            ),
            None => None,
        };
        kind.check(
            from.1,
            to.1,
            condition,
            work_order.is_some(),
            reason.is_some(),
        )
        .map_err(AppError::invalid)?;
        // Who may post this one.
        if let Some(scope) = scope {
            self.may_post(
                ctx,
                &scope,
                kind,
                field_work,
                work_order.as_ref(),
                [&from, &to],
            )?;
        }
        if let Some(s) = &serial {
            let at = store::serial_at(&mut *c, &part.id, s).await?;
            let here = at.as_ref().is_some_and(|(l, _)| *l == from.0.id);
            if from.1.holds_stock() && !here {
                return Err(AppError::conflict_on("serial", "serial_not_here"));
            }
            if !from.1.holds_stock() && at.as_ref().is_some_and(|(l, _)| l != &from.0.id) {
                return Err(AppError::conflict_on("serial", "serial_in_stock"));
            }
        }
        Ok(Posting {
            kind,
            part,
            condition,
            qty,
            from,
            to,
            serial,
            work_order_id: work_order.map(|w| w.id),
            reference,
            reason,
            note,
            unit_cost_fen,
        })
    }

    /// Whether the caller may post this move under their own authority.
    fn may_post(
        &self,
        ctx: &Ctx,
        scope: &StockScope,
        kind: MoveKind,
        field_work: bool,
        work_order: Option<&aftersales_store::service::WorkOrderRow>,
        ends: [&(LocationRow, LocationKind); 2],
    ) -> Result<(), AppError> {
        let actor = ctx.actor();
        let me = actor.map(|a| a.id.to_string());
        if kind.needs_approval() {
            ctx.require(Permission::StockApprove)?;
        } else if field_work {
            ctx.require(Permission::FieldWork)?;
            let own_order =
                work_order.is_some_and(|w| w.engineer_id.is_some() && w.engineer_id == me);
            if !kind.needs_work_order() || !own_order {
                return Err(AppError::Forbidden);
            }
        }
        for (l, k) in ends {
            let mine = match actor.map(|a| a.role) {
                // An engineer posts at their own van; a partner at their own unit's places.
                Some(Role::Engineer) if field_work => !k.is_physical() || l.user_id == me,
                _ => scope.allows(l, *k),
            };
            if !mine {
                return Err(AppError::Forbidden);
            }
        }
        Ok(())
    }

    /// Posts a move in the caller's transaction for a use-case that checked its own
    /// permission (a shipment sent or received, a requisition picked): the move's rules
    /// hold, the role matrix of the moves API does not.
    pub(crate) async fn post_move_in(
        &self,
        tx: &mut aftersales_store::Tx,
        ctx: &Ctx,
        input: &NewMove,
    ) -> Result<MoveView, AppError> {
        let p = self.posting(ctx, input, Authority::UseCase).await?;
        self.write_move(tx, ctx, &p).await
    }

    /// Posts a move to the ledger (`POST /api/v1/stock/moves`).
    #[tracing::instrument(skip_all)]
    pub async fn post_move(&self, ctx: &Ctx, input: &NewMove) -> Result<MoveView, AppError> {
        let p = self.posting(ctx, input, Authority::Caller).await?;
        let mut tx = self.db.begin().await?;
        let view = self.write_move(&mut tx, ctx, &p).await?;
        self.after_issue(
            &mut tx,
            &view,
            p.work_order_id.as_deref(),
            &p.part,
            &p.from.0,
        )
        .await?;
        if p.kind.needs_reason() {
            let after = crate::administration::audit::audit_value(&view)?;
            self.audit(
                &mut tx,
                ctx,
                AuditEntity::StockMove,
                &view.id,
                AuditAction::Post,
                None,
                Some(after),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(view)
    }

    /// Writes a checked move with its entries and balances in the caller's transaction.
    async fn write_move(
        &self,
        tx: &mut aftersales_store::Tx,
        ctx: &Ctx,
        p: &Posting,
    ) -> Result<MoveView, AppError> {
        let now = self.now();
        let at = time::to_db(now)?;
        let key = |l: &LocationRow| BalanceKey {
            location_id: l.id.clone(),
            part_id: p.part.id.clone(),
            condition: p.condition.as_str().into(),
        };
        let (fk, tk) = (key(&p.from.0), key(&p.to.0));
        let held =
            store::lock_balances(tx.conn(), self.db.backend(), &[fk.clone(), tk.clone()], &at)
                .await?;
        let bal = |h: Held| Balance {
            on_hand: Qty(h.on_hand),
            value_fen: h.value_fen,
        };
        let (from_b, to_b) = (bal(held[0]), bal(held[1]));
        let value = if p.from.1.holds_stock() {
            from_b
                .outflow_value(p.qty)
                .map_err(|i| AppError::InsufficientStock {
                    on_hand: i.on_hand.display(),
                })?
        } else if p.condition == Condition::Defective {
            0
        } else {
            value_of(p.qty, p.unit_cost_fen.unwrap_or(p.part.cost_fen))
        };
        let (actor_id, actor_name) = ctx.event_actor();
        let row = store::MoveRow {
            id: uuid::Uuid::now_v7().to_string(),
            at: at.clone(),
            kind: p.kind.as_str().into(),
            part_id: p.part.id.clone(),
            condition: p.condition.as_str().into(),
            qty: p.qty.0,
            from_location_id: p.from.0.id.clone(),
            to_location_id: p.to.0.id.clone(),
            value_fen: value,
            serial: p.serial.clone(),
            work_order_id: p.work_order_id.clone(),
            reference: p.reference.clone(),
            reason: p.reason.clone(),
            approved_by: p.kind.needs_approval().then(|| actor_id.clone()).flatten(),
            actor_id,
            actor_name: actor_name.clone(),
            note: p.note.clone(),
        };
        store::insert_move(tx.conn(), &row).await?;
        let mut after_here = None;
        for (k, b, sign, holds) in [
            (&fk, from_b, -1, p.from.1.holds_stock()),
            (&tk, to_b, 1, p.to.1.holds_stock()),
        ] {
            if !holds {
                continue;
            }
            let nb = if sign < 0 {
                b.take(p.qty, value)
            } else {
                b.add(p.qty, value)
            };
            store::insert_entry(
                tx.conn(),
                &store::EntryRow {
                    move_id: row.id.clone(),
                    location_id: k.location_id.clone(),
                    part_id: k.part_id.clone(),
                    condition: k.condition.clone(),
                    at: at.clone(),
                    delta: sign * p.qty.0,
                    value_delta: sign * value,
                    balance_after: nb.on_hand.0,
                    value_after: nb.value_fen,
                },
            )
            .await?;
            store::set_balance(
                tx.conn(),
                k,
                Held {
                    on_hand: nb.on_hand.0,
                    value_fen: nb.value_fen,
                },
                &at,
            )
            .await?;
            after_here.get_or_insert(nb.on_hand);
        }
        if let Some(s) = &p.serial {
            store::put_serial(
                tx.conn(),
                &p.part.id,
                s,
                &p.to.0.id,
                p.condition.as_str(),
                &at,
            )
            .await?;
        }
        Ok(MoveView {
            id: row.id,
            at,
            kind: p.kind,
            part: p.part.part_no.clone(),
            uom: stored("parts.uom", &p.part.uom, Uom::parse)?,
            condition: p.condition,
            qty: p.qty.as_f64(),
            from: p.from.0.code.clone(),
            to: p.to.0.code.clone(),
            value_fen: value,
            serial: p.serial.clone(),
            work_order: None,
            reference: p.reference.clone(),
            reason: p.reason.clone(),
            actor_name,
            note: p.note.clone(),
            balance_after: after_here.map(Qty::as_f64),
        })
    }

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
    async fn readable_location(&self, ctx: &Ctx, code: &str) -> Result<LocationRow, AppError> {
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
            Some(_) => Some(String::new()),
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
}
