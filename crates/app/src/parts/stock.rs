//! Posting a move to the ledger (issue 14, point 2).
//!
//! A move is written in one transaction with the balances of the locations it joins (see
//! `aftersales_store::parts::stock`): the balance is locked, the domain decides whether the
//! quantity is there and what it is worth, then the move, its entries and the new balances
//! are written. A refused move writes nothing.

use super::{MoveView, NewMove, StockScope, kind_of, stored, upper};
use crate::{AppError, Ctx};
use aftersales_domain::audit::{AuditAction, AuditEntity};
use aftersales_domain::installed_base::{parse_opt_notes, parse_opt_text};
use aftersales_domain::parts::{
    Balance, Condition, LocationKind, MoveKind, Qty, Side, Uom, value_of,
};
use aftersales_domain::{FieldError, FieldErrors, Permission, Role};
use aftersales_store::parts::catalog::{PartRow, find_part};
use aftersales_store::parts::stock::{self as store, BalanceKey, Held, LocationRow};
use aftersales_store::time;

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

    /// Parses a move, finds what it names and checks the caller may post it under their own
    /// authority (the moves API: the role matrix and their scope decide). A use-case that
    /// checked its own permission posts through [`Self::post_move_in`] instead.
    async fn posting(&self, ctx: &Ctx, input: &NewMove) -> Result<Posting, AppError> {
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
        // Read on a connection of its own, outside the writers' queue: what could change
        // before the write (a serial's place) is checked again inside it.
        let mut c = self.db.acquire().await?;
        self.parse_move(&mut c, ctx, input, Some(scope)).await
    }

    /// Parses a move and finds what it names; with a scope (the caller's own authority),
    /// checks who may post it.
    async fn parse_move(
        &self,
        c: &mut aftersales_store::Conn,
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
        let from = self.move_end(c, "from", from_code, from_side).await?;
        let to = self.move_end(c, "to", to_code, to_side).await?;
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
            serial_may_leave(c, &part.id, s, &from).await?;
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
        // Read in the use-case's transaction, so a move it wrote before counts.
        let p = self.parse_move(tx.conn(), ctx, input, None).await?;
        self.write_move(tx, ctx, &p).await
    }

    /// Posts a move to the ledger (`POST /api/v1/stock/moves`).
    #[tracing::instrument(skip_all)]
    pub async fn post_move(&self, ctx: &Ctx, input: &NewMove) -> Result<MoveView, AppError> {
        let p = self.posting(ctx, input).await?;
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
        if let Some(s) = &p.serial {
            // Again inside the transaction: another move of this serial may have gone first.
            serial_may_leave(tx.conn(), &p.part.id, s, &p.from).await?;
        }
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
            if sign < 0 && p.condition == Condition::New {
                self.arm_low_stock(tx, k, b.on_hand, nb.on_hand, &row.id)
                    .await?;
            }
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
}

/// A serial leaves a stock-holding place only from where it is, and comes from outside
/// (a supplier, a customer) only when no place holds it.
async fn serial_may_leave(
    c: &mut aftersales_store::Conn,
    part_id: &str,
    serial: &str,
    from: &(LocationRow, LocationKind),
) -> Result<(), AppError> {
    let at = store::serial_at(&mut *c, part_id, serial).await?;
    let here = at.as_ref().is_some_and(|(l, _)| *l == from.0.id);
    if from.1.holds_stock() && !here {
        return Err(AppError::conflict_on("serial", "serial_not_here"));
    }
    if !from.1.holds_stock() && at.is_some() && !here {
        return Err(AppError::conflict_on("serial", "serial_in_stock"));
    }
    Ok(())
}
