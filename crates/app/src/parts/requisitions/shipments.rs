//! Shipping an approved requisition and receiving it with counted quantities; the list of
//! shipments and the parts-issue-accuracy figure (R-PRT-5).

use super::{
    ACCURACY_DAYS, AccuracyView, LIST_LIMIT, Place, ReceiveInput, RequisitionView, ShipInput,
    ShipmentView, line_quantities, move_input, uom_of,
};
use crate::administration::audit::audit_value;
use crate::parts::{StockScope, stored};
use crate::{AppError, Ctx};
use aftersales_domain::audit::{AuditAction, AuditEntity};
use aftersales_domain::installed_base::{parse_opt_text, parse_text};
use aftersales_domain::parts::requisitions::{
    ACCURACY_TARGET, Discrepancy, Priority, ReceiptMoves, RequisitionAction, RequisitionStatus,
    accuracy_percent,
};
use aftersales_domain::parts::{LocationKind, MoveKind, Qty, check_fen};
use aftersales_domain::{FieldError, FieldErrors, Permission};
use aftersales_store::parts::requisitions::{self as store, ShipmentLineRow, ShipmentRow};
use aftersales_store::time;

impl crate::App {
    /// Ships an approved requisition: `transfer_out` of each line's quantity from the
    /// supplying location into transit, the shipment's number as the moves' reference, and
    /// urgent freight charged to the requesting unit; one transaction.
    #[tracing::instrument(skip_all)]
    pub async fn ship_requisition(
        &self,
        ctx: &Ctx,
        number: &str,
        input: &ShipInput,
    ) -> Result<RequisitionView, AppError> {
        let (r, from, to) = self
            .warehouse_step(ctx, number, RequisitionAction::Ship)
            .await?;
        let mut errs = FieldErrors::new();
        let carrier = errs.take(parse_text(
            "carrier",
            input.carrier.as_deref().unwrap_or(""),
            60,
        ));
        let tracking = errs
            .take(parse_opt_text(
                "tracking_no",
                input.tracking_no.as_deref(),
                64,
            ))
            .flatten();
        let freight = errs
            .take(
                input
                    .freight_fen
                    .map(|v| check_fen("freight_fen", v))
                    .transpose(),
            )
            .flatten()
            .unwrap_or(0);
        let priority = stored("requisitions.priority", &r.priority, Priority::parse)?;
        if freight > 0 && priority != Priority::Urgent {
            errs.push(FieldError::new("freight_fen", "only_urgent"));
        }
        let mut c = self.db.acquire().await?;
        let rows = store::requisition_lines(&mut *c, &r.id).await?;
        let mut parts = Vec::new();
        for l in &rows {
            let p = self.part_row(&mut c, &l.part_id).await?;
            parts.push((l.line_no, uom_of(&p)?, p));
        }
        let (sup, _) = self.place_by_id(&mut c, &r.supplying_location_id).await?;
        let (req, _) = self.place_by_id(&mut c, &r.requesting_location_id).await?;
        drop(c);
        let uoms: Vec<_> = parts.iter().map(|(n, u, _)| (*n, *u)).collect();
        let given = line_quantities(&input.lines, &uoms, &mut errs);
        let mut shipped = Vec::new();
        for (l, (_, _, p)) in rows.iter().zip(&parts) {
            let approved = l.qty_approved.unwrap_or(0);
            let q = match given.iter().find(|(n, _, _)| *n == l.line_no) {
                Some((_, q, _)) if q.0 > approved => {
                    errs.push(FieldError::new(
                        format!("lines[{}].qty", l.line_no - 1),
                        "more_than_approved",
                    ));
                    continue;
                }
                Some((_, q, _)) => *q,
                None => Qty(approved),
            };
            if q.0 > 0 {
                shipped.push((l.line_no, p, q));
            }
        }
        if errs.is_empty() && shipped.is_empty() {
            errs.push(FieldError::new("lines", "nothing_shipped"));
        }
        let (true, Some(carrier)) = (errs.is_empty(), carrier) else {
            return Err(AppError::Validation(errs));
        };
        let mut tx = self.db.begin().await?;
        let before = audit_value(&self.requisition_view(tx.conn(), r.clone()).await?)?;
        self.write_step(&mut tx, ctx, &r, (from, to), None).await?;
        let (_, actor_name) = ctx.event_actor();
        let ship = ShipmentRow {
            id: uuid::Uuid::now_v7().to_string(),
            number: self.next_number(&mut tx, "SH").await?,
            requisition_id: r.id.clone(),
            carrier,
            tracking_no: tracking,
            freight_fen: freight,
            charged_unit_id: (freight > 0).then(|| req.org_unit_id.clone()).flatten(),
            shipped_at: time::to_db(self.now())?,
            shipped_by_name: actor_name,
            received_at: None,
            received_by_name: None,
        };
        store::insert_shipment(tx.conn(), &ship).await?;
        for (n, p, q) in &shipped {
            store::insert_shipment_line(
                tx.conn(),
                &ShipmentLineRow {
                    shipment_id: ship.id.clone(),
                    line_no: *n,
                    part_id: p.id.clone(),
                    qty_shipped: q.0,
                    qty_received: None,
                    discrepancy: None,
                },
            )
            .await?;
            let mut m = move_input(MoveKind::TransferOut, &p.part_no, *q);
            m.from = Some(sup.code.clone());
            m.reference = Some(ship.number.clone());
            self.post_move_in(&mut tx, ctx, &m).await?;
        }
        let sv = self
            .shipment_view(tx.conn(), ship.clone(), &r.number, &req.code)
            .await?;
        let after = audit_value(&sv)?;
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::Shipment,
            &ship.id,
            AuditAction::Ship,
            None,
            Some(after),
        )
        .await?;
        if freight > 0 {
            let charge = serde_json::json!({
                "freight_fen": freight,
                "org_unit_id": ship.charged_unit_id,
                "requisition": r.number,
            });
            self.audit(
                &mut tx,
                ctx,
                AuditEntity::Shipment,
                &ship.id,
                AuditAction::Charge,
                None,
                Some(charge),
            )
            .await?;
        }
        self.finish_step(tx, ctx, &r.id, AuditAction::Ship, before)
            .await
    }

    /// Receives a shipment with every line's counted quantity (`POST
    /// /api/v1/shipments/{number}/receive`): what arrived goes into the requesting location,
    /// a shortfall is written off transit and a surplus comes in through it, and each line
    /// keeps its discrepancy. Parts for a work order received at the engineer's van tell the
    /// engineer and the order's dispatchers.
    #[tracing::instrument(skip_all)]
    pub async fn receive_shipment(
        &self,
        ctx: &Ctx,
        number: &str,
        input: &ReceiveInput,
    ) -> Result<RequisitionView, AppError> {
        if !ctx.can(Permission::PartsRequest) && !ctx.can(Permission::StockMove) {
            return Err(AppError::Forbidden);
        }
        let scope = StockScope::of(ctx)?;
        let mut c = self.db.acquire().await?;
        let ship = store::find_shipment(&mut *c, number.trim())
            .await?
            .ok_or(AppError::NotFound("shipment"))?;
        let r = store::requisition_by_id(&mut *c, &ship.requisition_id)
            .await?
            .ok_or(AppError::NotFound("requisition"))?;
        let req: Place = self.place_by_id(&mut c, &r.requesting_location_id).await?;
        if !scope.allows(&req.0, req.1) {
            return Err(AppError::NotFound("shipment"));
        }
        let from = stored("requisitions.status", &r.status, RequisitionStatus::parse)?;
        let to = from
            .step(RequisitionAction::Receive)
            .map_err(|_| AppError::Conflict("illegal_transition"))?;
        let rows = store::shipment_lines(&mut *c, &ship.id).await?;
        let mut parts = Vec::new();
        for l in &rows {
            let p = self.part_row(&mut c, &l.part_id).await?;
            parts.push((l.line_no, uom_of(&p)?, p));
        }
        drop(c);
        let mut errs = FieldErrors::new();
        let uoms: Vec<_> = parts.iter().map(|(n, u, _)| (*n, *u)).collect();
        let given = line_quantities(&input.lines, &uoms, &mut errs);
        let mut counted = Vec::new();
        for (l, (_, _, p)) in rows.iter().zip(&parts) {
            match given.iter().find(|(n, _, _)| *n == l.line_no) {
                Some((_, q, g)) => counted.push((l, p, *q, g.wrong_part)),
                None => errs.push(FieldError::new("lines", "missing_line").with("line", l.line_no)),
            }
        }
        if !errs.is_empty() {
            return Err(AppError::Validation(errs));
        }
        let mut tx = self.db.begin().await?;
        let before = audit_value(&self.requisition_view(tx.conn(), r.clone()).await?)?;
        let (_, actor_name) = ctx.event_actor();
        let at = time::to_db(self.now())?;
        if !store::mark_received(tx.conn(), &ship.id, &at, &actor_name).await? {
            return Err(AppError::Conflict("illegal_transition"));
        }
        self.write_step(&mut tx, ctx, &r, (from, to), None).await?;
        for (l, p, q, wrong) in &counted {
            let shipped = Qty(l.qty_shipped);
            let d = Discrepancy::of(shipped, *q, *wrong);
            let m = ReceiptMoves::of(shipped, *q, *wrong);
            let reason = format!("{} {}", ship.number, d.as_str());
            for (kind, qty) in [
                (MoveKind::TransitGain, m.gain),
                (MoveKind::TransferIn, m.transfer_in),
                (MoveKind::TransitLoss, m.loss),
            ] {
                if qty.0 == 0 {
                    continue;
                }
                let mut mv = move_input(kind, &p.part_no, qty);
                mv.reference = Some(ship.number.clone());
                if kind == MoveKind::TransferIn {
                    mv.to = Some(req.0.code.clone());
                } else {
                    mv.reason = Some(reason.clone());
                }
                self.post_move_in(&mut tx, ctx, &mv).await?;
            }
            let received = if *wrong { Qty::ZERO } else { *q };
            store::set_line_received(tx.conn(), &ship.id, l.line_no, received.0, d.as_str())
                .await?;
        }
        let done = store::find_shipment(tx.conn(), &ship.number)
            .await?
            .ok_or(AppError::NotFound("shipment"))?;
        let sv = self
            .shipment_view(tx.conn(), done, &r.number, &req.0.code)
            .await?;
        let after = audit_value(&sv)?;
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::Shipment,
            &ship.id,
            AuditAction::Receive,
            None,
            Some(after),
        )
        .await?;
        if let (Some(wo), LocationKind::Van) = (&r.work_order_id, req.1) {
            self.tell_parts_arrived(&mut tx, ctx, wo, req.0.user_id.as_deref(), &r.number)
                .await?;
        }
        self.finish_step(tx, ctx, &r.id, AuditAction::Receive, before)
            .await
    }

    /// The shipments the caller may read, newest first (`GET /api/v1/shipments`); `open`:
    /// only those not yet received.
    #[tracing::instrument(skip_all)]
    pub async fn list_shipments(
        &self,
        ctx: &Ctx,
        open: bool,
    ) -> Result<Vec<ShipmentView>, AppError> {
        let scope = StockScope::of(ctx)?;
        let mut c = self.db.acquire().await?;
        let mut out = Vec::new();
        for s in store::list_shipments(&mut *c, open, LIST_LIMIT).await? {
            let r = store::requisition_by_id(&mut *c, &s.requisition_id)
                .await?
                .ok_or(AppError::NotFound("requisition"))?;
            if !self.sees(&mut c, &scope, &r).await? {
                continue;
            }
            let (req, _) = self.place_by_id(&mut c, &r.requesting_location_id).await?;
            out.push(self.shipment_view(&mut c, s, &r.number, &req.code).await?);
        }
        Ok(out)
    }

    /// The parts-issue-accuracy figure over the last 90 days (`GET
    /// /api/v1/shipments/accuracy`): the share of received shipment lines without a
    /// discrepancy, network-wide (the warehouse's figure).
    #[tracing::instrument(skip_all)]
    pub async fn shipment_accuracy(&self, ctx: &Ctx) -> Result<AccuracyView, AppError> {
        StockScope::of(ctx)?;
        let since = self
            .now()
            .checked_sub(jiff::SignedDuration::from_hours(24 * ACCURACY_DAYS))
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let (all, ok) = store::accuracy_counts(
            self.db.pool(),
            &time::to_db(since)?,
            Discrepancy::None.as_str(),
        )
        .await?;
        let percent = accuracy_percent(all, ok);
        Ok(AccuracyView {
            days: ACCURACY_DAYS,
            received_lines: all,
            accurate_lines: ok,
            percent,
            target: ACCURACY_TARGET,
            below_target: percent.is_some_and(|p| p < ACCURACY_TARGET),
        })
    }
}
