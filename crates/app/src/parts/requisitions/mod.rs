//! Requisitions and shipments (issue 14 points 3 and 4, docs/requisitions.md).
//!
//! A requisition is raised for one's own van or store (`PartsRequest`, within the caller's
//! `StockScope`), approved or rejected and shipped by the warehouse (`StockMove`), and
//! received by whoever may ask for parts there. Shipping posts `transfer_out` moves into
//! transit and receiving posts `transfer_in` of the counted quantity, with `transit_loss` or
//! `transit_gain` for the difference, all through `post_move_in` in the use-case's single
//! transaction: a refused move (not enough on hand) leaves nothing written.

mod shipments;

use super::{StockScope, stored};
use crate::administration::audit::audit_value;
use crate::{AppError, Ctx, NewMove};
use aftersales_domain::audit::{AuditAction, AuditEntity};
use aftersales_domain::installed_base::{parse_opt_notes, parse_opt_text, parse_text};
use aftersales_domain::parts::requisitions::{
    Discrepancy, Priority, RequisitionAction, RequisitionStatus,
};
use aftersales_domain::parts::{LocationKind, MoveKind, Qty, Uom, parse_part_no};
use aftersales_domain::{FieldError, FieldErrors, Permission, Role};
use aftersales_store::parts::catalog::{PartRow, find_part, part_by_id};
use aftersales_store::parts::requisitions::{
    self as store, RequisitionLineRow, RequisitionRow, ShipmentRow,
};
use aftersales_store::parts::stock::{LocationRow, list_locations, location_by_id};
use aftersales_store::{Conn, time};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The most lines one requisition carries.
const MAX_LINES: usize = 50;
/// The accuracy figure's period, in days.
const ACCURACY_DAYS: i64 = 90;
/// How many requisitions or shipments a list shows.
const LIST_LIMIT: i64 = 200;

/// A line as sent.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewRequisitionLine {
    #[schema(max_length = 40)]
    pub part: String,
    /// In the part's unit of measure, more than 0 and at most 1,000,000.
    #[schema(value_type = f64, minimum = 0.001, maximum = 1000000)]
    pub qty: serde_json::Value,
}

/// A requisition as sent: `POST /api/v1/requisitions`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewRequisition {
    /// The requesting location's code (one's own van or store).
    #[schema(max_length = 32)]
    pub requesting: String,
    /// The supplying location's code; the central warehouse when left out.
    #[schema(max_length = 32)]
    pub supplying: Option<String>,
    /// `monthly` unless said.
    #[schema(value_type = Option<crate::schema::RequisitionPriorityName>)]
    pub priority: Option<String>,
    /// The work order the parts are needed for.
    #[schema(max_length = 32)]
    pub work_order: Option<String>,
    #[schema(max_length = 500)]
    pub note: Option<String>,
    #[serde(default)]
    pub lines: Vec<NewRequisitionLine>,
}

/// A quantity for one line (approved, shipped or counted).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct LineQty {
    /// The line's number (1, 2, …).
    pub line: i64,
    #[schema(value_type = f64, minimum = 0, maximum = 1000000)]
    pub qty: serde_json::Value,
    /// On receipt: the goods are another part than the one shipped.
    #[serde(default)]
    pub wrong_part: bool,
}

/// Approve: per line the quantity granted (the requested one when a line is left out).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ApproveInput {
    #[serde(default)]
    pub lines: Vec<LineQty>,
    #[schema(max_length = 500)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct RejectInput {
    /// Why (required).
    #[schema(max_length = 200)]
    pub reason: Option<String>,
}

/// Ship an approved requisition.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ShipInput {
    /// The carrier (required).
    #[schema(max_length = 60)]
    pub carrier: Option<String>,
    #[schema(max_length = 64)]
    pub tracking_no: Option<String>,
    /// Urgent freight in fen, charged to the requesting unit (urgent requisitions only).
    #[serde(default, deserialize_with = "crate::schema::opt_int")]
    #[schema(minimum = 0, maximum = 1000000000)]
    pub freight_fen: Option<i64>,
    /// Per line what is shipped (the approved quantity when left out).
    #[serde(default)]
    pub lines: Vec<LineQty>,
}

/// Receive a shipment: every line's counted quantity.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ReceiveInput {
    #[serde(default)]
    pub lines: Vec<LineQty>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RequisitionLineView {
    pub line: i64,
    pub part: String,
    pub name_zh: String,
    pub name_en: String,
    #[schema(value_type = crate::schema::UomName)]
    pub uom: Uom,
    /// The discontinued part asked for, when its successor was taken instead.
    pub requested_part: Option<String>,
    pub qty_requested: f64,
    pub qty_approved: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ShipmentLineView {
    pub line: i64,
    pub part: String,
    pub qty_shipped: f64,
    pub qty_received: Option<f64>,
    #[schema(value_type = Option<crate::schema::DiscrepancyName>)]
    pub discrepancy: Option<Discrepancy>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ShipmentView {
    pub number: String,
    pub requisition: String,
    /// The requesting location's code.
    pub to: String,
    pub carrier: String,
    pub tracking_no: Option<String>,
    pub freight_fen: i64,
    pub shipped_at: String,
    pub shipped_by_name: String,
    pub received_at: Option<String>,
    pub received_by_name: Option<String>,
    pub lines: Vec<ShipmentLineView>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RequisitionView {
    pub number: String,
    #[schema(value_type = crate::schema::RequisitionStatusName)]
    pub status: RequisitionStatus,
    #[schema(value_type = crate::schema::RequisitionPriorityName)]
    pub priority: Priority,
    pub requesting: String,
    pub requesting_name: String,
    pub supplying: String,
    pub supplying_name: String,
    pub work_order: Option<String>,
    pub note: Option<String>,
    pub decision_note: Option<String>,
    pub requested_by_name: String,
    pub decided_by_name: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub lines: Vec<RequisitionLineView>,
    pub shipment: Option<ShipmentView>,
}

/// The parts-issue-accuracy figure (R-PRT-5).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AccuracyView {
    pub days: i64,
    /// Received shipment lines in the period.
    pub received_lines: i64,
    /// Of those, the lines without a discrepancy.
    pub accurate_lines: i64,
    /// In percent; absent with no received line.
    pub percent: Option<f64>,
    pub target: f64,
    pub below_target: bool,
}

/// A location with its kind.
type Place = (LocationRow, LocationKind);

fn place(l: LocationRow) -> Result<Place, AppError> {
    let k = stored("stock_locations.kind", &l.kind, LocationKind::parse)?;
    Ok((l, k))
}

fn move_input(kind: MoveKind, part: &str, qty: Qty) -> NewMove {
    NewMove {
        kind: kind.as_str().to_owned(),
        part: part.to_owned(),
        condition: None,
        qty: serde_json::Value::String(qty.display()),
        from: None,
        to: None,
        unit_cost_fen: None,
        serial: None,
        work_order: None,
        reference: None,
        reason: None,
        note: None,
    }
}

/// A line quantity that may be zero (nothing approved, shipped or arrived).
fn qty_or_zero(field: &str, v: &serde_json::Value, uom: Uom) -> Result<Qty, FieldError> {
    let zero = match v {
        serde_json::Value::Number(n) => n.as_f64() == Some(0.0),
        serde_json::Value::String(s) => s.trim().parse::<f64>().ok() == Some(0.0),
        _ => false,
    };
    if zero {
        Ok(Qty::ZERO)
    } else {
        Qty::parse_json(field, v, uom)
    }
}

fn uom_of(p: &PartRow) -> Result<Uom, AppError> {
    stored("parts.uom", &p.uom, Uom::parse)
}

/// Per line number the quantity sent for it, each line at most once and known.
fn line_quantities<'a>(
    given: &'a [LineQty],
    lines: &[(i64, Uom)],
    errs: &mut FieldErrors,
) -> Vec<(i64, Qty, &'a LineQty)> {
    let mut out: Vec<(i64, Qty, &LineQty)> = Vec::new();
    for (i, g) in given.iter().enumerate() {
        let Some((_, uom)) = lines.iter().find(|(n, _)| *n == g.line) else {
            errs.push(FieldError::new(format!("lines[{i}].line"), "unknown_line"));
            continue;
        };
        if out.iter().any(|(n, _, _)| *n == g.line) {
            errs.push(FieldError::new(format!("lines[{i}].line"), "duplicate"));
            continue;
        }
        if let Some(q) = errs.take(qty_or_zero(&format!("lines[{i}].qty"), &g.qty, *uom)) {
            out.push((g.line, q, g));
        }
    }
    out
}

impl crate::App {
    async fn requisition_row(
        &self,
        c: &mut Conn,
        number: &str,
    ) -> Result<RequisitionRow, AppError> {
        store::find_requisition(&mut *c, number.trim())
            .await?
            .ok_or(AppError::NotFound("requisition"))
    }

    async fn place_by_id(&self, c: &mut Conn, id: &str) -> Result<Place, AppError> {
        let l = location_by_id(&mut *c, id)
            .await?
            .ok_or_else(|| AppError::Internal(format!("location {id} missing")))?;
        place(l)
    }

    async fn part_row(&self, c: &mut Conn, id: &str) -> Result<PartRow, AppError> {
        part_by_id(&mut *c, id)
            .await?
            .ok_or_else(|| AppError::Internal(format!("part {id} missing")))
    }

    /// A requisition as read, with its lines and shipment.
    async fn requisition_view(
        &self,
        c: &mut Conn,
        r: RequisitionRow,
    ) -> Result<RequisitionView, AppError> {
        let (req, _) = self.place_by_id(c, &r.requesting_location_id).await?;
        let (sup, _) = self.place_by_id(c, &r.supplying_location_id).await?;
        let mut lines = Vec::new();
        for l in store::requisition_lines(&mut *c, &r.id).await? {
            let p = self.part_row(c, &l.part_id).await?;
            let asked = match &l.requested_part_id {
                Some(id) => Some(self.part_row(c, id).await?.part_no),
                None => None,
            };
            lines.push(RequisitionLineView {
                line: l.line_no,
                uom: uom_of(&p)?,
                part: p.part_no,
                name_zh: p.name_zh,
                name_en: p.name_en,
                requested_part: asked,
                qty_requested: Qty(l.qty_requested).as_f64(),
                qty_approved: l.qty_approved.map(|q| Qty(q).as_f64()),
            });
        }
        let shipment = match store::shipment_of(&mut *c, &r.id).await? {
            Some(s) => Some(self.shipment_view(c, s, &r.number, &req.code).await?),
            None => None,
        };
        let work_order = match &r.work_order_id {
            Some(id) => Some(
                aftersales_store::service::get_work_order(&mut *c, id)
                    .await?
                    .number,
            ),
            None => None,
        };
        Ok(RequisitionView {
            number: r.number,
            status: stored("requisitions.status", &r.status, RequisitionStatus::parse)?,
            priority: stored("requisitions.priority", &r.priority, Priority::parse)?,
            requesting: req.code,
            requesting_name: req.name,
            supplying: sup.code,
            supplying_name: sup.name,
            work_order,
            note: r.note,
            decision_note: r.decision_note,
            requested_by_name: r.requested_by_name,
            decided_by_name: r.decided_by_name,
            created_at: r.created_at,
            updated_at: r.updated_at,
            lines,
            shipment,
        })
    }

    async fn shipment_view(
        &self,
        c: &mut Conn,
        s: ShipmentRow,
        requisition: &str,
        to: &str,
    ) -> Result<ShipmentView, AppError> {
        let mut lines = Vec::new();
        for l in store::shipment_lines(&mut *c, &s.id).await? {
            let p = self.part_row(c, &l.part_id).await?;
            lines.push(ShipmentLineView {
                line: l.line_no,
                part: p.part_no,
                qty_shipped: Qty(l.qty_shipped).as_f64(),
                qty_received: l.qty_received.map(|q| Qty(q).as_f64()),
                discrepancy: l
                    .discrepancy
                    .as_deref()
                    .map(|d| stored("shipment_lines.discrepancy", d, Discrepancy::parse))
                    .transpose()?,
            });
        }
        Ok(ShipmentView {
            number: s.number,
            requisition: requisition.to_owned(),
            to: to.to_owned(),
            carrier: s.carrier,
            tracking_no: s.tracking_no,
            freight_fen: s.freight_fen,
            shipped_at: s.shipped_at,
            shipped_by_name: s.shipped_by_name,
            received_at: s.received_at,
            received_by_name: s.received_by_name,
            lines,
        })
    }

    /// Whether the caller's scope reads either end of the requisition.
    async fn sees(
        &self,
        c: &mut Conn,
        scope: &StockScope,
        r: &RequisitionRow,
    ) -> Result<bool, AppError> {
        let (a, ak) = self.place_by_id(c, &r.requesting_location_id).await?;
        let (b, bk) = self.place_by_id(c, &r.supplying_location_id).await?;
        Ok(
            (ak.is_physical() && scope.allows(&a, ak))
                || (bk.is_physical() && scope.allows(&b, bk)),
        )
    }

    /// The requisitions the caller may read, newest first (`GET /api/v1/requisitions`).
    #[tracing::instrument(skip_all)]
    pub async fn list_requisitions(
        &self,
        ctx: &Ctx,
        status: Option<&str>,
    ) -> Result<Vec<RequisitionView>, AppError> {
        let scope = StockScope::of(ctx)?;
        let status =
            match status.map(str::trim).filter(|s| !s.is_empty()) {
                Some(s) => Some(RequisitionStatus::parse(s).ok_or_else(|| {
                    AppError::invalid(FieldError::new("status", "invalid_choice"))
                })?),
                None => None,
            };
        let mut c = self.db.acquire().await?;
        let rows =
            store::list_requisitions(&mut *c, status.map(|s| s.as_str()), LIST_LIMIT).await?;
        let mut out = Vec::new();
        for r in rows {
            if self.sees(&mut c, &scope, &r).await? {
                out.push(self.requisition_view(&mut c, r).await?);
            }
        }
        Ok(out)
    }

    /// One requisition (`GET /api/v1/requisitions/{number}`); one the caller may not read is
    /// not found.
    #[tracing::instrument(skip_all)]
    pub async fn get_requisition(
        &self,
        ctx: &Ctx,
        number: &str,
    ) -> Result<RequisitionView, AppError> {
        let scope = StockScope::of(ctx)?;
        let mut c = self.db.acquire().await?;
        let r = self.requisition_row(&mut c, number).await?;
        if !self.sees(&mut c, &scope, &r).await? {
            return Err(AppError::NotFound("requisition"));
        }
        self.requisition_view(&mut c, r).await
    }

    /// Raises a requisition for one's own van or store (`POST /api/v1/requisitions`).
    /// Reads as one use-case from parsing to commit (~120 lines): each line resolves its part
    /// (a discontinued one to its successor) before anything is written.
    #[tracing::instrument(skip_all)]
    pub async fn create_requisition(
        &self,
        ctx: &Ctx,
        input: &NewRequisition,
    ) -> Result<RequisitionView, AppError> {
        ctx.require(Permission::PartsRequest)?;
        let scope = StockScope::of(ctx)?;
        let mut errs = FieldErrors::new();
        let priority = match input.priority.as_deref().map(str::trim) {
            None | Some("") => Some(Priority::Monthly),
            Some(p) => errs.take(
                Priority::parse(p).ok_or_else(|| FieldError::new("priority", "invalid_choice")),
            ),
        };
        let note = errs.take(parse_opt_notes("note", input.note.as_deref(), 500));
        let requesting = errs.take(parse_text("requesting", &input.requesting, 32));
        let supplying = errs.take(parse_opt_text("supplying", input.supplying.as_deref(), 32));
        let work_order = errs.take(parse_opt_text(
            "work_order",
            input.work_order.as_deref(),
            32,
        ));
        if input.lines.is_empty() {
            errs.push(FieldError::new("lines", "required"));
        } else if input.lines.len() > MAX_LINES {
            errs.push(FieldError::new("lines", "too_many").with("max", MAX_LINES as i64));
        }
        let mut c = self.db.acquire().await?;
        let mut lines: Vec<(PartRow, Option<String>, Qty)> = Vec::new();
        for (i, l) in input.lines.iter().take(MAX_LINES).enumerate() {
            let field = format!("lines[{i}].part");
            let Some(no) = errs.take(parse_part_no(&field, &l.part)) else {
                continue;
            };
            let Some(mut p) = find_part(&mut *c, &no).await? else {
                errs.push(FieldError::new(field, "unknown_part"));
                continue;
            };
            // A discontinued part: its equivalent-or-better successor instead (a chain of
            // successors is followed a few steps).
            let mut asked = None;
            for _ in 0..5 {
                if p.discontinued == 0 {
                    break;
                }
                let Some(next) = p.successor_id.clone() else {
                    break;
                };
                asked.get_or_insert_with(|| p.id.clone());
                p = self.part_row(&mut c, &next).await?;
            }
            if p.discontinued != 0 {
                errs.push(FieldError::new(field, "discontinued"));
                continue;
            }
            if p.serialized != 0 {
                errs.push(FieldError::new(field, "serialized_not_supported"));
                continue;
            }
            let uom = uom_of(&p)?;
            if let Some(q) = errs.take(Qty::parse_json(&format!("lines[{i}].qty"), &l.qty, uom)) {
                lines.push((p, asked, q));
            }
        }
        if !errs.is_empty() {
            return Err(AppError::Validation(errs));
        }
        let (Some(priority), Some(requesting)) = (priority, requesting) else {
            return Err(AppError::Validation(errs));
        };
        let find = |code: String| async move {
            aftersales_store::parts::stock::find_location(self.db.pool(), &code.to_uppercase())
                .await
        };
        let req = find(requesting)
            .await?
            .ok_or_else(|| AppError::conflict_on("requesting", "unknown_location"))?;
        let req = place(req)?;
        if !req.1.is_physical() || req.0.active == 0 {
            return Err(AppError::invalid(FieldError::new(
                "requesting",
                "invalid_location",
            )));
        }
        if !scope.allows(&req.0, req.1) {
            return Err(AppError::Forbidden);
        }
        let sup = match supplying.flatten() {
            Some(code) => find(code)
                .await?
                .ok_or_else(|| AppError::conflict_on("supplying", "unknown_location"))?,
            None => list_locations(&mut *c)
                .await?
                .into_iter()
                .find(|l| {
                    l.active != 0 && LocationKind::parse(&l.kind) == Some(LocationKind::Warehouse)
                })
                .ok_or_else(|| AppError::conflict_on("supplying", "unknown_location"))?,
        };
        let sup = place(sup)?;
        if !sup.1.is_physical() || sup.0.active == 0 {
            return Err(AppError::invalid(FieldError::new(
                "supplying",
                "invalid_location",
            )));
        }
        if sup.0.id == req.0.id {
            return Err(AppError::invalid(FieldError::new(
                "supplying",
                "same_location",
            )));
        }
        let wo = match work_order.flatten() {
            Some(n) => Some(
                aftersales_store::service::get_work_order(&mut *c, &n.to_uppercase())
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
        // An engineer asks for their own jobs only.
        if let (Some(w), Some(a)) = (&wo, ctx.actor())
            && a.role == Role::Engineer
            && w.engineer_id.as_deref() != Some(a.id.to_string().as_str())
        {
            return Err(AppError::Forbidden);
        }
        drop(c);
        let mut tx = self.db.begin().await?;
        let now = time::to_db(self.now())?;
        let (actor_id, actor_name) = ctx.event_actor();
        let row = RequisitionRow {
            id: uuid::Uuid::now_v7().to_string(),
            number: self.next_number(&mut tx, "RQ").await?,
            requesting_location_id: req.0.id.clone(),
            supplying_location_id: sup.0.id.clone(),
            priority: priority.as_str().to_owned(),
            status: RequisitionStatus::Submitted.as_str().to_owned(),
            work_order_id: wo.map(|w| w.id),
            note: note.flatten(),
            decision_note: None,
            requested_by: actor_id,
            requested_by_name: actor_name,
            decided_by_name: None,
            created_at: now.clone(),
            updated_at: now,
        };
        store::insert_requisition(tx.conn(), &row).await?;
        for (i, (p, asked, q)) in lines.iter().enumerate() {
            store::insert_requisition_line(
                tx.conn(),
                &RequisitionLineRow {
                    requisition_id: row.id.clone(),
                    line_no: i as i64 + 1,
                    part_id: p.id.clone(),
                    requested_part_id: asked.clone(),
                    qty_requested: q.0,
                    qty_approved: None,
                },
            )
            .await?;
        }
        let view = self.requisition_view(tx.conn(), row.clone()).await?;
        let after = audit_value(&view)?;
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::Requisition,
            &row.id,
            AuditAction::Create,
            None,
            Some(after),
        )
        .await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Opens a step of a requisition by the warehouse: permission, scope over the supplying
    /// location, and the state machine's consent.
    async fn warehouse_step(
        &self,
        ctx: &Ctx,
        number: &str,
        action: RequisitionAction,
    ) -> Result<(RequisitionRow, RequisitionStatus, RequisitionStatus), AppError> {
        ctx.require(Permission::StockMove)?;
        let scope = StockScope::of(ctx)?;
        let mut c = self.db.acquire().await?;
        let r = self.requisition_row(&mut c, number).await?;
        let (sup, k) = self.place_by_id(&mut c, &r.supplying_location_id).await?;
        if !scope.allows(&sup, k) {
            return Err(AppError::NotFound("requisition"));
        }
        let from = stored("requisitions.status", &r.status, RequisitionStatus::parse)?;
        let to = from
            .step(action)
            .map_err(|_| AppError::Conflict("illegal_transition"))?;
        Ok((r, from, to))
    }

    /// Writes a step guarded by the status it starts from, so two clerks cannot both ship.
    async fn write_step(
        &self,
        tx: &mut aftersales_store::Tx,
        ctx: &Ctx,
        r: &RequisitionRow,
        (from, to): (RequisitionStatus, RequisitionStatus),
        decision_note: Option<&str>,
    ) -> Result<(), AppError> {
        let decided = decision_note.map(|_| ctx.event_actor().1);
        let at = time::to_db(self.now())?;
        if !store::step_requisition(
            tx.conn(),
            &r.id,
            from.as_str(),
            to.as_str(),
            decision_note,
            decided.as_deref(),
            &at,
        )
        .await?
        {
            return Err(AppError::Conflict("illegal_transition"));
        }
        Ok(())
    }

    /// Approves a submitted requisition, per line the quantity granted.
    #[tracing::instrument(skip_all)]
    pub async fn approve_requisition(
        &self,
        ctx: &Ctx,
        number: &str,
        input: &ApproveInput,
    ) -> Result<RequisitionView, AppError> {
        let (r, from, to) = self
            .warehouse_step(ctx, number, RequisitionAction::Approve)
            .await?;
        let mut errs = FieldErrors::new();
        let note = errs
            .take(parse_opt_notes("note", input.note.as_deref(), 500))
            .flatten();
        let mut c = self.db.acquire().await?;
        let rows = store::requisition_lines(&mut *c, &r.id).await?;
        let mut uoms = Vec::new();
        for l in &rows {
            uoms.push((
                l.line_no,
                uom_of(&self.part_row(&mut c, &l.part_id).await?)?,
            ));
        }
        drop(c);
        let given = line_quantities(&input.lines, &uoms, &mut errs);
        let mut granted = Vec::new();
        for l in &rows {
            let q = match given.iter().find(|(n, _, _)| *n == l.line_no) {
                Some((_, q, _)) if q.0 > l.qty_requested => {
                    errs.push(FieldError::new(
                        format!("lines[{}].qty", l.line_no - 1),
                        "more_than_requested",
                    ));
                    continue;
                }
                Some((_, q, _)) => *q,
                None => Qty(l.qty_requested),
            };
            granted.push((l.line_no, q));
        }
        if errs.is_empty() && granted.iter().all(|(_, q)| q.0 == 0) {
            errs.push(FieldError::new("lines", "nothing_approved"));
        }
        if !errs.is_empty() {
            return Err(AppError::Validation(errs));
        }
        let mut tx = self.db.begin().await?;
        let before = audit_value(&self.requisition_view(tx.conn(), r.clone()).await?)?;
        self.write_step(
            &mut tx,
            ctx,
            &r,
            (from, to),
            Some(note.as_deref().unwrap_or("")),
        )
        .await?;
        for (n, q) in granted {
            store::set_approved_qty(tx.conn(), &r.id, n, q.0).await?;
        }
        self.finish_step(tx, ctx, &r.id, AuditAction::Approve, before)
            .await
    }

    /// Audits a step with the view before and after it, and commits.
    async fn finish_step(
        &self,
        mut tx: aftersales_store::Tx,
        ctx: &Ctx,
        id: &str,
        action: AuditAction,
        before: serde_json::Value,
    ) -> Result<RequisitionView, AppError> {
        let r = store::requisition_by_id(tx.conn(), id)
            .await?
            .ok_or(AppError::NotFound("requisition"))?;
        let view = self.requisition_view(tx.conn(), r).await?;
        let after = audit_value(&view)?;
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::Requisition,
            id,
            action,
            Some(before),
            Some(after),
        )
        .await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Withdraws a requisition still waiting for the warehouse (`POST
    /// /api/v1/requisitions/{number}/cancel`): by whoever may ask for parts for the
    /// requesting place. Audited as `close`, the status after it saying `cancelled`.
    #[tracing::instrument(skip_all)]
    pub async fn cancel_requisition(
        &self,
        ctx: &Ctx,
        number: &str,
    ) -> Result<RequisitionView, AppError> {
        ctx.require(Permission::PartsRequest)?;
        let scope = StockScope::of(ctx)?;
        let mut c = self.db.acquire().await?;
        let r = self.requisition_row(&mut c, number).await?;
        let (req, k) = self.place_by_id(&mut c, &r.requesting_location_id).await?;
        if !scope.allows(&req, k) {
            return Err(AppError::NotFound("requisition"));
        }
        drop(c);
        let from = stored("requisitions.status", &r.status, RequisitionStatus::parse)?;
        let to = from
            .step(RequisitionAction::Cancel)
            .map_err(|_| AppError::Conflict("illegal_transition"))?;
        let mut tx = self.db.begin().await?;
        let before = audit_value(&self.requisition_view(tx.conn(), r.clone()).await?)?;
        self.write_step(&mut tx, ctx, &r, (from, to), None).await?;
        self.finish_step(tx, ctx, &r.id, AuditAction::Close, before)
            .await
    }

    /// Rejects a submitted requisition, with a reason.
    #[tracing::instrument(skip_all)]
    pub async fn reject_requisition(
        &self,
        ctx: &Ctx,
        number: &str,
        input: &RejectInput,
    ) -> Result<RequisitionView, AppError> {
        let (r, from, to) = self
            .warehouse_step(ctx, number, RequisitionAction::Reject)
            .await?;
        let reason = parse_text("reason", input.reason.as_deref().unwrap_or(""), 200)
            .map_err(AppError::invalid)?;
        let mut tx = self.db.begin().await?;
        let before = audit_value(&self.requisition_view(tx.conn(), r.clone()).await?)?;
        self.write_step(&mut tx, ctx, &r, (from, to), Some(&reason))
            .await?;
        self.finish_step(tx, ctx, &r.id, AuditAction::Reject, before)
            .await
    }
}
