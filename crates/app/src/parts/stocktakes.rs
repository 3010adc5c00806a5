//! Stocktaking (issue 14 point 7, docs/parts.md "Stocktaking"): a count sheet per location.
//!
//! The warehouse (`StockMove`, within its `StockScope`) opens a sheet for a location — a
//! line for every balance there and every part with a reorder point there (serial-numbered
//! parts are counted by serial, not here) — enters counted quantities (a part not on the
//! sheet adds a line), and submits. A manager (`StockApprove`, within their scope, not the
//! one who submitted unless an admin) approves, which posts one `count_gain` / `count_loss`
//! per differing line through `post_move_in` in ONE transaction, or rejects it back to
//! counting. Each line's difference is counted − the book quantity when it was counted, so
//! moves posted after the count are kept (`aftersales_domain::parts::stocktakes`).

use super::{StockScope, stored};
use crate::administration::audit::audit_value;
use crate::{AppError, Ctx, NewMove};
use aftersales_domain::audit::{AuditAction, AuditEntity};
use aftersales_domain::installed_base::{parse_opt_notes, parse_text};
use aftersales_domain::parts::stocktakes::{
    CountAction, CountDifference, CountStatus, may_approve,
};
use aftersales_domain::parts::{
    Balance, Condition, LocationKind, MoveKind, Qty, Uom, parse_part_no, value_of,
};
use aftersales_domain::{FieldError, FieldErrors, Permission, Role};
use aftersales_store::parts::catalog::{PartRow, find_part, part_by_id};
use aftersales_store::parts::stock::{self as stock, BalanceKey, LocationRow};
use aftersales_store::parts::stocktakes::{self as store, CountLineRow, CountRow, Step};
use aftersales_store::{Conn, time};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The most lines one sheet carries, and one request enters.
const MAX_LINES: usize = 2000;
const MAX_ENTRIES: usize = 500;
/// How many counts a list shows.
const LIST_LIMIT: i64 = 200;

/// Open a count sheet: `POST /api/v1/stock/counts`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewCount {
    /// The location's code (a warehouse, store, partner store or van).
    #[schema(max_length = 32)]
    pub location: String,
    #[schema(max_length = 500)]
    pub note: Option<String>,
}

/// One counted quantity.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CountEntry {
    /// The part number; a part not yet on the sheet adds a line.
    #[schema(max_length = 40)]
    pub part: String,
    /// `new` unless said.
    #[schema(value_type = Option<crate::schema::ConditionName>)]
    pub condition: Option<String>,
    /// What is on the shelf, in the part's unit of measure: 0 to 1,000,000, whole for
    /// counted units, at most three decimals otherwise.
    #[schema(value_type = f64, minimum = 0, maximum = 1000000)]
    pub qty: serde_json::Value,
}

/// Counted quantities: `PUT /api/v1/stock/counts/{number}/lines`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct CountLinesInput {
    #[serde(default)]
    pub lines: Vec<CountEntry>,
}

/// A manager's decision: approve (note optional) or reject (`reason` required).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct CountDecision {
    #[schema(max_length = 200)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CountLineView {
    pub line: i64,
    pub part: String,
    pub name_zh: String,
    pub name_en: String,
    #[schema(value_type = crate::schema::UomName)]
    pub uom: Uom,
    #[schema(value_type = crate::schema::ConditionName)]
    pub condition: Condition,
    /// What was found; absent until counted.
    pub counted: Option<f64>,
    /// The book quantity when it was counted.
    pub book: Option<f64>,
    /// Counted − book (positive: a gain).
    pub difference: Option<f64>,
    /// The difference's value at the location's average cost (the part's cost when none is
    /// on hand), in fen; signed like the difference.
    pub difference_value_fen: Option<i64>,
    pub counted_by_name: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CountView {
    pub number: String,
    #[schema(value_type = crate::schema::CountStatusName)]
    pub status: CountStatus,
    pub location: String,
    pub location_name: String,
    pub note: Option<String>,
    pub decision_note: Option<String>,
    pub opened_by_name: String,
    pub opened_at: String,
    pub submitted_by_name: Option<String>,
    pub submitted_at: Option<String>,
    pub decided_by_name: Option<String>,
    pub decided_at: Option<String>,
    pub version: i64,
    pub lines_total: i64,
    pub lines_counted: i64,
    /// The value of all gains and of all losses, in fen (both positive).
    pub gain_value_fen: i64,
    pub loss_value_fen: i64,
    pub lines: Vec<CountLineView>,
}

type Place = (LocationRow, LocationKind);

impl crate::App {
    async fn count_place(&self, c: &mut Conn, id: &str) -> Result<Place, AppError> {
        let l = stock::location_by_id(&mut *c, id)
            .await?
            .ok_or_else(|| AppError::Internal(format!("location {id} missing")))?;
        let k = stored("stock_locations.kind", &l.kind, LocationKind::parse)?;
        Ok((l, k))
    }

    /// A count the caller's scope reads, else not found.
    async fn count_in_scope(
        &self,
        c: &mut Conn,
        scope: &StockScope,
        number: &str,
    ) -> Result<(CountRow, Place), AppError> {
        let r = store::find_count(&mut *c, number.trim())
            .await?
            .ok_or(AppError::NotFound("stock_count"))?;
        let p = self.count_place(c, &r.location_id).await?;
        if !scope.allows(&p.0, p.1) {
            return Err(AppError::NotFound("stock_count"));
        }
        Ok((r, p))
    }

    async fn count_view(&self, c: &mut Conn, r: CountRow) -> Result<CountView, AppError> {
        let (loc, _) = self.count_place(c, &r.location_id).await?;
        let mut lines = Vec::new();
        let (mut gain, mut loss, mut counted_n) = (0i64, 0i64, 0i64);
        for l in store::count_lines(&mut *c, &r.id).await? {
            let p = part_by_id(&mut *c, &l.part_id)
                .await?
                .ok_or_else(|| AppError::Internal(format!("part {} missing", l.part_id)))?;
            let condition = stored(
                "stock_count_lines.condition",
                &l.condition,
                Condition::parse,
            )?;
            let (mut difference, mut value) = (None, None);
            if let (Some(counted), Some(book)) = (l.counted, l.book) {
                counted_n += 1;
                let d = CountDifference::of(Qty(counted), Qty(book)).signed();
                let held = stock::balance(
                    &mut *c,
                    &BalanceKey {
                        location_id: r.location_id.clone(),
                        part_id: p.id.clone(),
                        condition: l.condition.clone(),
                    },
                )
                .await?;
                let v = signed_value(d, unit_cost(&p, condition, held));
                if v > 0 {
                    gain += v;
                } else {
                    loss -= v;
                }
                difference = Some(d.as_f64());
                value = Some(v);
            }
            lines.push(CountLineView {
                line: l.line_no,
                uom: stored("parts.uom", &p.uom, Uom::parse)?,
                part: p.part_no,
                name_zh: p.name_zh,
                name_en: p.name_en,
                condition,
                counted: l.counted.map(|q| Qty(q).as_f64()),
                book: l.book.map(|q| Qty(q).as_f64()),
                difference,
                difference_value_fen: value,
                counted_by_name: l.counted_by_name,
            });
        }
        Ok(CountView {
            number: r.number,
            status: stored("stock_counts.status", &r.status, CountStatus::parse)?,
            location: loc.code,
            location_name: loc.name,
            note: r.note,
            decision_note: r.decision_note,
            opened_by_name: r.opened_by_name,
            opened_at: r.opened_at,
            submitted_by_name: r.submitted_by_name,
            submitted_at: r.submitted_at,
            decided_by_name: r.decided_by_name,
            decided_at: r.decided_at,
            version: r.version,
            lines_total: lines.len() as i64,
            lines_counted: counted_n,
            gain_value_fen: gain,
            loss_value_fen: loss,
            lines,
        })
    }

    /// The counts of the locations the caller reads, newest first
    /// (`GET /api/v1/stock/counts`).
    #[tracing::instrument(skip_all)]
    pub async fn list_counts(
        &self,
        ctx: &Ctx,
        status: Option<&str>,
    ) -> Result<Vec<CountView>, AppError> {
        let scope = StockScope::of(ctx)?;
        let status =
            match status.map(str::trim).filter(|s| !s.is_empty()) {
                Some(s) => Some(CountStatus::parse(s).ok_or_else(|| {
                    AppError::invalid(FieldError::new("status", "invalid_choice"))
                })?),
                None => None,
            };
        let mut c = self.db.acquire().await?;
        let rows = store::list_counts(&mut *c, status.map(|s| s.as_str()), LIST_LIMIT).await?;
        let mut out = Vec::new();
        for r in rows {
            let (l, k) = self.count_place(&mut c, &r.location_id).await?;
            if scope.allows(&l, k) {
                out.push(self.count_view(&mut c, r).await?);
            }
        }
        Ok(out)
    }

    /// One count sheet (`GET /api/v1/stock/counts/{number}`).
    #[tracing::instrument(skip_all)]
    pub async fn get_count(&self, ctx: &Ctx, number: &str) -> Result<CountView, AppError> {
        let scope = StockScope::of(ctx)?;
        let mut c = self.db.acquire().await?;
        let (r, _) = self.count_in_scope(&mut c, &scope, number).await?;
        self.count_view(&mut c, r).await
    }

    /// Opens a count sheet for a location (`POST /api/v1/stock/counts`); one open count per
    /// location.
    #[tracing::instrument(skip_all)]
    pub async fn open_count(&self, ctx: &Ctx, input: &NewCount) -> Result<CountView, AppError> {
        ctx.require(Permission::StockMove)?;
        let scope = StockScope::of(ctx)?;
        let mut errs = FieldErrors::new();
        let code = errs.take(parse_text("location", &input.location, 32));
        let note = errs.take(parse_opt_notes("note", input.note.as_deref(), 500));
        if !errs.is_empty() {
            return Err(AppError::Validation(errs));
        }
        let (Some(code), Some(note)) = (code, note) else {
            return Err(AppError::Validation(errs));
        };
        let mut tx = self.db.begin().await?;
        let l = stock::find_location(tx.conn(), &code.to_uppercase())
            .await?
            .ok_or_else(|| AppError::conflict_on("location", "unknown_location"))?;
        let k = stored("stock_locations.kind", &l.kind, LocationKind::parse)?;
        if !k.is_physical() || l.active == 0 {
            return Err(AppError::invalid(FieldError::new(
                "location",
                "invalid_location",
            )));
        }
        if !scope.allows(&l, k) {
            return Err(AppError::Forbidden);
        }
        if store::open_count_at(tx.conn(), &l.id).await?.is_some() {
            return Err(AppError::conflict_on("location", "count_open"));
        }
        let parts = store::sheet_parts(tx.conn(), &l.id).await?;
        let now = time::to_db(self.now())?;
        let (actor_id, actor_name) = ctx.event_actor();
        let row = CountRow {
            id: uuid::Uuid::now_v7().to_string(),
            number: self.next_number(&mut tx, "SC").await?,
            location_id: l.id.clone(),
            status: CountStatus::Counting.as_str().to_owned(),
            note,
            decision_note: None,
            opened_by: actor_id,
            opened_by_name: actor_name,
            opened_at: now.clone(),
            submitted_by: None,
            submitted_by_name: None,
            submitted_at: None,
            decided_by_name: None,
            decided_at: None,
            version: 1,
            updated_at: now,
        };
        store::insert_count(tx.conn(), &row)
            .await
            .map_err(|e| match e {
                // Another clerk opened one first (the partial unique index).
                aftersales_store::StoreError::Constraint(_) => {
                    AppError::conflict_on("location", "count_open")
                }
                e => e.into(),
            })?;
        for (i, (part_id, condition)) in parts.iter().take(MAX_LINES).enumerate() {
            store::insert_line(
                tx.conn(),
                &CountLineRow {
                    count_id: row.id.clone(),
                    line_no: i as i64 + 1,
                    part_id: part_id.clone(),
                    condition: condition.clone(),
                    counted: None,
                    book: None,
                    counted_by_name: None,
                    counted_at: None,
                },
            )
            .await?;
        }
        let view = self.count_view(tx.conn(), row.clone()).await?;
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::StockCount,
            &row.id,
            AuditAction::Create,
            None,
            Some(audit_value(&view)?),
        )
        .await?;
        tx.commit().await?;
        Ok(view)
    }

    /// The first step of every change: permission, scope, and the state machine's consent.
    async fn count_step(
        &self,
        ctx: &Ctx,
        number: &str,
        action: CountAction,
        permission: Permission,
    ) -> Result<(CountRow, Place, CountStatus, CountStatus), AppError> {
        ctx.require(permission)?;
        let scope = StockScope::of(ctx)?;
        let mut c = self.db.acquire().await?;
        let (r, p) = self.count_in_scope(&mut c, &scope, number).await?;
        let from = stored("stock_counts.status", &r.status, CountStatus::parse)?;
        let to = from
            .step(action)
            .map_err(|_| AppError::Conflict("illegal_transition"))?;
        Ok((r, p, from, to))
    }

    /// Enters counted quantities (`PUT /api/v1/stock/counts/{number}/lines`): each beside the
    /// book quantity of that moment; a count entered again replaces the earlier one.
    #[tracing::instrument(skip_all)]
    pub async fn enter_counts(
        &self,
        ctx: &Ctx,
        number: &str,
        input: &CountLinesInput,
    ) -> Result<CountView, AppError> {
        let (r, _, from, _) = self
            .count_step(ctx, number, CountAction::Enter, Permission::StockMove)
            .await?;
        let mut errs = FieldErrors::new();
        if input.lines.is_empty() {
            errs.push(FieldError::new("lines", "required"));
        } else if input.lines.len() > MAX_ENTRIES {
            errs.push(FieldError::new("lines", "too_many").with("max", MAX_ENTRIES as i64));
        }
        let mut c = self.db.acquire().await?;
        let mut entries: Vec<(PartRow, Condition, Qty)> = Vec::new();
        for (i, e) in input.lines.iter().take(MAX_ENTRIES).enumerate() {
            let field = format!("lines[{i}].part");
            let condition = match e.condition.as_deref().map(str::trim) {
                None | Some("") => Some(Condition::New),
                Some(s) => errs.take(Condition::parse(s).ok_or_else(|| {
                    FieldError::new(format!("lines[{i}].condition"), "invalid_choice")
                })),
            };
            let Some(no) = errs.take(parse_part_no(&field, &e.part)) else {
                continue;
            };
            let Some(p) = find_part(&mut *c, &no).await? else {
                errs.push(FieldError::new(field, "unknown_part"));
                continue;
            };
            if p.serialized != 0 {
                errs.push(FieldError::new(field, "serialized_not_supported"));
                continue;
            }
            let uom = stored("parts.uom", &p.uom, Uom::parse)?;
            let qty = errs.take(Qty::parse_json_level(
                &format!("lines[{i}].qty"),
                &e.qty,
                uom,
            ));
            let (Some(condition), Some(qty)) = (condition, qty) else {
                continue;
            };
            if entries
                .iter()
                .any(|(q, k, _)| q.id == p.id && *k == condition)
            {
                errs.push(FieldError::new(field, "duplicate"));
                continue;
            }
            entries.push((p, condition, qty));
        }
        drop(c);
        if !errs.is_empty() {
            return Err(AppError::Validation(errs));
        }
        let mut tx = self.db.begin().await?;
        let at = time::to_db(self.now())?;
        // Guard the status inside the write, so a count submitted meanwhile is not changed.
        if !store::step_count(
            tx.conn(),
            &r.id,
            from.as_str(),
            from.as_str(),
            &Step::default(),
            &at,
        )
        .await?
        {
            return Err(AppError::Conflict("illegal_transition"));
        }
        let mut lines = store::count_lines(tx.conn(), &r.id).await?;
        let (_, by) = ctx.event_actor();
        for (p, condition, qty) in &entries {
            let line_no = match lines
                .iter()
                .find(|l| l.part_id == p.id && l.condition == condition.as_str())
            {
                Some(l) => l.line_no,
                None => {
                    if lines.len() >= MAX_LINES {
                        return Err(AppError::invalid(
                            FieldError::new("lines", "too_many").with("max", MAX_LINES as i64),
                        ));
                    }
                    let l = CountLineRow {
                        count_id: r.id.clone(),
                        line_no: lines.iter().map(|l| l.line_no).max().unwrap_or(0) + 1,
                        part_id: p.id.clone(),
                        condition: condition.as_str().to_owned(),
                        counted: None,
                        book: None,
                        counted_by_name: None,
                        counted_at: None,
                    };
                    store::insert_line(tx.conn(), &l).await?;
                    let n = l.line_no;
                    lines.push(l);
                    n
                }
            };
            let book = stock::balance(
                tx.conn(),
                &BalanceKey {
                    location_id: r.location_id.clone(),
                    part_id: p.id.clone(),
                    condition: condition.as_str().to_owned(),
                },
            )
            .await?;
            store::set_counted(tx.conn(), &r.id, line_no, qty.0, book.on_hand, &by, &at).await?;
        }
        let r = store::find_count(tx.conn(), &r.number)
            .await?
            .ok_or(AppError::NotFound("stock_count"))?;
        let view = self.count_view(tx.conn(), r).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Submits a count for approval: every line counted (`lines[i].qty` names the first
    /// ones missing).
    #[tracing::instrument(skip_all)]
    pub async fn submit_count(&self, ctx: &Ctx, number: &str) -> Result<CountView, AppError> {
        let (r, _, from, to) = self
            .count_step(ctx, number, CountAction::Submit, Permission::StockMove)
            .await?;
        let mut tx = self.db.begin().await?;
        let lines = store::count_lines(tx.conn(), &r.id).await?;
        let mut errs = FieldErrors::new();
        if lines.is_empty() {
            errs.push(FieldError::new("lines", "required"));
        }
        for (i, l) in lines.iter().enumerate() {
            if l.counted.is_none() {
                errs.push(FieldError::new(format!("lines[{i}].qty"), "not_counted"));
            }
        }
        if !errs.is_empty() {
            return Err(AppError::Validation(errs));
        }
        let (id, name) = ctx.event_actor();
        let step = Step {
            submitted: Some((id.as_deref(), &name)),
            ..Step::default()
        };
        self.finish_count(tx, ctx, &r, (from, to), &step, AuditAction::Update)
            .await
    }

    /// Cancels a count still being counted.
    #[tracing::instrument(skip_all)]
    pub async fn cancel_count(&self, ctx: &Ctx, number: &str) -> Result<CountView, AppError> {
        let (r, _, from, to) = self
            .count_step(ctx, number, CountAction::Cancel, Permission::StockMove)
            .await?;
        let tx = self.db.begin().await?;
        let (_, name) = ctx.event_actor();
        let step = Step {
            decided_by_name: Some(&name),
            ..Step::default()
        };
        self.finish_count(tx, ctx, &r, (from, to), &step, AuditAction::Close)
            .await
    }

    /// Rejects a submitted count back to counting, with a reason.
    #[tracing::instrument(skip_all)]
    pub async fn reject_count(
        &self,
        ctx: &Ctx,
        number: &str,
        input: &CountDecision,
    ) -> Result<CountView, AppError> {
        let (r, _, from, to) = self
            .count_step(ctx, number, CountAction::Reject, Permission::StockApprove)
            .await?;
        let reason = parse_text("reason", input.reason.as_deref().unwrap_or(""), 200)
            .map_err(AppError::invalid)?;
        let tx = self.db.begin().await?;
        let (_, name) = ctx.event_actor();
        let step = Step {
            decided_by_name: Some(&name),
            decision_note: Some(&reason),
            ..Step::default()
        };
        self.finish_count(tx, ctx, &r, (from, to), &step, AuditAction::Reject)
            .await
    }

    /// Approves a submitted count: one `count_gain` / `count_loss` per differing line, all in
    /// this one transaction; a loss more than the book now holds refuses the whole approval
    /// (`insufficient_stock`) and writes nothing.
    #[tracing::instrument(skip_all)]
    pub async fn approve_count(
        &self,
        ctx: &Ctx,
        number: &str,
        input: &CountDecision,
    ) -> Result<CountView, AppError> {
        let (r, place, from, to) = self
            .count_step(ctx, number, CountAction::Approve, Permission::StockApprove)
            .await?;
        let note =
            parse_opt_notes("reason", input.reason.as_deref(), 200).map_err(AppError::invalid)?;
        let me = ctx.actor().map(|a| a.id.to_string());
        let admin = ctx.actor().is_none_or(|a| a.role == Role::Admin);
        if !may_approve(r.submitted_by.as_deref(), me.as_deref(), admin) {
            return Err(AppError::Conflict("own_count"));
        }
        let mut tx = self.db.begin().await?;
        let (_, name) = ctx.event_actor();
        let step = Step {
            decided_by_name: Some(&name),
            decision_note: note.as_deref(),
            ..Step::default()
        };
        let at = time::to_db(self.now())?;
        let before = audit_value(&self.count_view(tx.conn(), r.clone()).await?)?;
        if !store::step_count(tx.conn(), &r.id, from.as_str(), to.as_str(), &step, &at).await? {
            return Err(AppError::Conflict("illegal_transition"));
        }
        for l in store::count_lines(tx.conn(), &r.id).await? {
            let (Some(counted), Some(book)) = (l.counted, l.book) else {
                return Err(AppError::Conflict("illegal_transition"));
            };
            let (kind, qty) = match CountDifference::of(Qty(counted), Qty(book)) {
                CountDifference::None => continue,
                CountDifference::Gain(q) => (MoveKind::CountGain, q),
                CountDifference::Loss(q) => (MoveKind::CountLoss, q),
            };
            let p = part_by_id(tx.conn(), &l.part_id)
                .await?
                .ok_or_else(|| AppError::Internal(format!("part {} missing", l.part_id)))?;
            let condition = stored(
                "stock_count_lines.condition",
                &l.condition,
                Condition::parse,
            )?;
            let held = stock::balance(
                tx.conn(),
                &BalanceKey {
                    location_id: r.location_id.clone(),
                    part_id: p.id.clone(),
                    condition: l.condition.clone(),
                },
            )
            .await?;
            let gain = kind == MoveKind::CountGain;
            let input = NewMove {
                kind: kind.as_str().to_owned(),
                part: p.part_no.clone(),
                condition: Some(l.condition.clone()),
                qty: serde_json::Value::String(qty.display()),
                from: (!gain).then(|| place.0.code.clone()),
                to: gain.then(|| place.0.code.clone()),
                // A gain comes in at the location's average cost (the part's when empty).
                unit_cost_fen: gain.then(|| unit_cost(&p, condition, held)),
                serial: None,
                work_order: None,
                reference: Some(r.number.clone()),
                reason: Some(format!("stocktake {}", r.number)),
                note: None,
            };
            self.post_move_in(&mut tx, ctx, &input)
                .await
                .map_err(|e| match e {
                    // Name the line that cannot be posted.
                    AppError::Validation(_) | AppError::FieldConflict(_) => {
                        AppError::conflict_on(&format!("lines[{}]", l.line_no - 1), "not_postable")
                    }
                    e => e,
                })?;
        }
        let r2 = store::find_count(tx.conn(), &r.number)
            .await?
            .ok_or(AppError::NotFound("stock_count"))?;
        let view = self.count_view(tx.conn(), r2).await?;
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::StockCount,
            &r.id,
            AuditAction::Approve,
            Some(before),
            Some(audit_value(&view)?),
        )
        .await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Writes a step guarded by the status it starts from, audits it and commits.
    async fn finish_count(
        &self,
        mut tx: aftersales_store::Tx,
        ctx: &Ctx,
        r: &CountRow,
        (from, to): (CountStatus, CountStatus),
        step: &Step<'_>,
        action: AuditAction,
    ) -> Result<CountView, AppError> {
        let at = time::to_db(self.now())?;
        let before = audit_value(&self.count_view(tx.conn(), r.clone()).await?)?;
        if !store::step_count(tx.conn(), &r.id, from.as_str(), to.as_str(), step, &at).await? {
            return Err(AppError::Conflict("illegal_transition"));
        }
        let r2 = store::find_count(tx.conn(), &r.number)
            .await?
            .ok_or(AppError::NotFound("stock_count"))?;
        let view = self.count_view(tx.conn(), r2).await?;
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::StockCount,
            &r.id,
            action,
            Some(before),
            Some(audit_value(&view)?),
        )
        .await?;
        tx.commit().await?;
        Ok(view)
    }
}

/// The cost of one unit at a location: its moving average, or the part's cost when none is
/// on hand; a defective part is worth nothing (as when it is taken back).
fn unit_cost(p: &PartRow, condition: Condition, held: stock::Held) -> i64 {
    if condition == Condition::Defective {
        return 0;
    }
    let b = Balance {
        on_hand: Qty(held.on_hand),
        value_fen: held.value_fen,
    };
    if b.on_hand.0 > 0 {
        b.unit_cost_fen()
    } else {
        p.cost_fen
    }
}

fn signed_value(d: Qty, unit_fen: i64) -> i64 {
    let v = value_of(Qty(d.0.abs()), unit_fen);
    if d.0 < 0 { -v } else { v }
}
