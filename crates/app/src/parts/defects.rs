//! Old for new (R-PRT-3) and defect analysis (R-PRT-4), issue 14 points 4-6 (docs/defects.md).
//!
//! A part issued on a work order records the unit's warranty decision on the service date
//! (free or chargeable). A free one opens an obligation to bring the defective part back:
//! the engineer hands it in (van → in transit, defective), the warehouse receives it (in
//! transit → the warehouse) with a failure code and the unit's batch, which closes it. A
//! job per obligation charges the responsible unit once when it falls overdue. Received
//! failures feed the defect report and the quality alert.

use super::stored;
use super::{MoveView, NewMove};
use crate::notifications::{same, users_as_recipients};
use crate::{AppError, Ctx};
use aftersales_domain::audit::{AuditAction, AuditEntity};
use aftersales_domain::parts::defects::{self as rules, PartCharge, ReturnStatus};
use aftersales_domain::parts::{Condition, LocationKind, Qty};
use aftersales_domain::warranty::{Cause, ChargeBasis};
use aftersales_domain::{FieldError, Permission, Role};
use aftersales_store::administration::jobs::{self as job_store, NewJob};
use aftersales_store::parts::catalog::PartRow;
use aftersales_store::parts::defects::{self as store, ReturnFilter, ReturnRow};
use aftersales_store::parts::stock::{self as stock_store, LocationRow};
use aftersales_store::{Tx, time};
use jiff::{SignedDuration, ToSpan};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The job that charges an obligation once it is overdue.
pub const DEFECT_OVERDUE: &str = "defects.overdue";

/// An obligation to bring a defective part back.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DefectReturnView {
    pub id: String,
    /// `DR` and a number.
    pub number: String,
    #[schema(value_type = String)]
    pub status: ReturnStatus,
    pub part: String,
    pub part_name_zh: String,
    pub part_name_en: String,
    pub qty: f64,
    /// The serial of the part issued, when serial-numbered.
    pub serial: Option<String>,
    pub work_order: String,
    pub engineer_name: Option<String>,
    pub van: String,
    pub responsible_unit: Option<String>,
    pub due_on: String,
    /// Past due and not received.
    pub overdue: bool,
    /// Charged to the responsible unit when it fell overdue, in fen.
    pub charged_fen: Option<i64>,
    pub failure_code: Option<String>,
    pub batch: Option<String>,
    pub product_model: Option<String>,
    pub created_at: String,
    pub handed_in_at: Option<String>,
    pub received_at: Option<String>,
    pub version: i64,
}

/// Filters of `GET /api/v1/defect-returns`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema, utoipa::IntoParams)]
pub struct DefectReturnQuery {
    /// `open`, `handed_in` or `received`.
    pub status: Option<String>,
    /// A work order's number.
    pub work_order: Option<String>,
}

/// The engineer hands the defective part in.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct HandInInput {
    /// The defective part's own serial, for a serial-numbered part not yet in the van.
    #[schema(max_length = 64)]
    pub serial: Option<String>,
}

/// The warehouse receives it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct DefectReceiveInput {
    /// A failure code of the catalog fitting the part's category.
    #[schema(max_length = 32)]
    pub failure_code: String,
    /// The receiving warehouse's location code (the first central warehouse when absent).
    #[schema(max_length = 32)]
    pub location: Option<String>,
}

fn view(r: ReturnRow, today: jiff::civil::Date) -> Result<DefectReturnView, AppError> {
    let status = stored("defect_returns.status", &r.status, ReturnStatus::parse)?;
    let due: jiff::civil::Date = r
        .due_on
        .parse()
        .map_err(|_| AppError::Internal(format!("defect_returns.due_on {:?}", r.due_on)))?;
    Ok(DefectReturnView {
        overdue: r.overdue_at.is_some() || rules::is_overdue(status, due, today),
        status,
        id: r.id,
        number: r.number,
        part: r.part_no,
        part_name_zh: r.part_name_zh,
        part_name_en: r.part_name_en,
        qty: Qty(r.qty).as_f64(),
        serial: r.serial,
        work_order: r.work_order_number,
        engineer_name: r.engineer_name,
        van: r.van_code,
        responsible_unit: r.responsible_unit_name,
        due_on: r.due_on,
        charged_fen: r.charged_fen,
        failure_code: r.failure_code,
        batch: r.batch,
        product_model: r.product_code,
        created_at: r.created_at,
        handed_in_at: r.handed_in_at,
        received_at: r.received_at,
        version: r.version,
    })
}

impl crate::App {
    /// After an issue is written (in its transaction): the charge fact, and for a free
    /// part the obligation to bring the defective one back, with its overdue job.
    pub(crate) async fn after_issue(
        &self,
        tx: &mut Tx,
        view: &MoveView,
        work_order_id: Option<&str>,
        part: &PartRow,
        from: &LocationRow,
    ) -> Result<(), AppError> {
        let Some(wo_id) = work_order_id else {
            return Ok(());
        };
        if view.kind != aftersales_domain::parts::MoveKind::Issue {
            return Ok(());
        }
        let wo = aftersales_store::service::get_work_order(tx.conn(), wo_id).await?;
        let req = aftersales_store::service::get_request(tx.conn(), &wo.request_id).await?;
        let today = self.today();
        // The unit's warranty decision on the service date; no unit: chargeable.
        let (charge, class) = match &req.unit_id {
            Some(id) => {
                let uid = id
                    .parse()
                    .map_err(|_| AppError::Internal(format!("service_requests.unit_id {id:?}")))?;
                let u = aftersales_store::installed_base::units::get(tx.conn(), uid).await?;
                let w = self
                    .warranty_of_on(tx.conn(), &u, today, Cause::NormalFailure)
                    .await?;
                let free = w.decision.in_warranty && w.decision.coverage.parts == ChargeBasis::Free;
                (
                    if free {
                        PartCharge::Free
                    } else {
                        PartCharge::Chargeable
                    },
                    Some(format!("{:?}", w.decision.class)),
                )
            }
            None => (PartCharge::Chargeable, None),
        };
        let now = self.now();
        let at = time::to_db(now)?;
        let issue = store::IssueRow {
            id: uuid::Uuid::now_v7().to_string(),
            move_id: view.id.clone(),
            work_order_id: wo.id.clone(),
            part_id: part.id.clone(),
            qty: (view.qty * Qty::SCALE as f64).round() as i64,
            serial: view.serial.clone(),
            unit_id: req.unit_id.clone(),
            charge: charge.as_str().into(),
            warranty_class: class,
            decided_on: today.to_string(),
            at: at.clone(),
        };
        store::insert_issue(tx.conn(), &issue).await?;
        if charge != PartCharge::Free {
            return Ok(());
        }
        let n = aftersales_store::counters::next(tx.conn(), "defect_return").await?;
        let due = today.saturating_add(self.cfg.defects.return_days.days());
        let ret = store::NewReturn {
            id: uuid::Uuid::now_v7().to_string(),
            number: format!("DR{}{n:05}", today.strftime("%Y%m")),
            issue_id: issue.id.clone(),
            work_order_id: wo.id.clone(),
            part_id: part.id.clone(),
            qty: issue.qty,
            serial: issue.serial.clone(),
            unit_id: issue.unit_id.clone(),
            engineer_id: from.user_id.clone().or(wo.engineer_id.clone()),
            van_location_id: from.id.clone(),
            responsible_unit_id: wo.org_unit_id.clone().or(from.org_unit_id.clone()),
            due_on: due.to_string(),
            created_at: at,
        };
        store::insert_return(tx.conn(), &ret).await?;
        // Checked the day after the due date (and again daily until it is settled).
        let check = now
            .checked_add(SignedDuration::from_hours(
                24 * (self.cfg.defects.return_days + 1),
            ))
            .unwrap_or(now);
        job_store::arm(
            tx.conn(),
            &NewJob::new(
                DEFECT_OVERDUE,
                format!("defects:overdue:{}", ret.id),
                serde_json::json!({ "return_id": ret.id }),
                check,
            ),
            now,
        )
        .await?;
        Ok(())
    }

    /// The `defects.overdue` job: an owed obligation past its due date is marked overdue and
    /// charged once to the responsible unit at the part's list price.
    #[tracing::instrument(skip_all)]
    pub async fn run_defect_overdue(&self, return_id: &str) -> Result<(), AppError> {
        let ctx = Ctx::system("defects.overdue");
        let mut tx = self.db.begin().await?;
        let Some(r) = store::return_by_id(tx.conn(), return_id).await? else {
            return Ok(());
        };
        let v = view(r.clone(), self.today())?;
        if !v.status.is_owed() || r.overdue_at.is_some() {
            return Ok(());
        }
        let now = self.now();
        if !v.overdue {
            // Not yet (a clock moved back, a time zone): look again tomorrow.
            let next = now
                .checked_add(SignedDuration::from_hours(24))
                .unwrap_or(now);
            job_store::arm(
                tx.conn(),
                &NewJob::new(
                    DEFECT_OVERDUE,
                    format!("defects:overdue:{return_id}:{}", self.today()),
                    serde_json::json!({ "return_id": return_id }),
                    next,
                ),
                now,
            )
            .await?;
            tx.commit().await?;
            return Ok(());
        }
        let amount = rules::overdue_charge_fen(r.list_price_fen, r.qty);
        let at = time::to_db(now)?;
        if store::charge_overdue(tx.conn(), &r.id, r.responsible_unit_id.clone(), amount, &at)
            .await?
        {
            self.audit(
                &mut tx,
                &ctx,
                AuditEntity::DefectReturn,
                &r.id,
                AuditAction::Charge,
                None,
                Some(serde_json::json!({
                    "number": r.number, "amount_fen": amount,
                    "org_unit_id": r.responsible_unit_id,
                })),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The filter of the caller's obligations: engineers and partner technicians their
    /// own, the warehouse and admins all, others their subtree's.
    fn return_scope(&self, ctx: &Ctx) -> Result<ReturnFilter, AppError> {
        ctx.require(Permission::StockRead)?;
        let Some(a) = ctx.actor() else {
            return Ok(ReturnFilter::default());
        };
        Ok(match a.role {
            Role::Admin | Role::Warehouse => ReturnFilter::default(),
            Role::Engineer | Role::Partner => ReturnFilter {
                engineer_id: Some(a.id.to_string()),
                ..ReturnFilter::default()
            },
            _ => ReturnFilter {
                unit_path: Some(a.org_path.clone().ok_or(AppError::Forbidden)?),
                ..ReturnFilter::default()
            },
        })
    }

    /// Obligations the caller may see, newest first (`GET /api/v1/defect-returns`).
    #[tracing::instrument(skip_all)]
    pub async fn defect_returns(
        &self,
        ctx: &Ctx,
        q: &DefectReturnQuery,
    ) -> Result<Vec<DefectReturnView>, AppError> {
        let mut f = self.return_scope(ctx)?;
        if let Some(s) = q.status.as_deref().filter(|s| !s.is_empty()) {
            let s = ReturnStatus::parse(s)
                .ok_or_else(|| AppError::invalid(FieldError::new("status", "invalid_choice")))?;
            f.status = Some(s.as_str().into());
        }
        if let Some(n) = q
            .work_order
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            if n.chars().count() > 32 {
                return Err(AppError::invalid(
                    FieldError::new("work_order", "too_long").with("max", 32),
                ));
            }
            f.work_order_id = Some(
                match aftersales_store::service::get_work_order(self.db.pool(), &n.to_uppercase())
                    .await
                {
                    Ok(w) => w.id,
                    Err(aftersales_store::StoreError::NotFound) => String::new(),
                    Err(e) => return Err(e.into()),
                },
            );
        }
        let today = self.today();
        store::list_returns(self.db.pool(), &f, 500)
            .await?
            .into_iter()
            .map(|r| view(r, today))
            .collect()
    }

    /// One obligation the caller may see.
    async fn visible_return(
        &self,
        ctx: &Ctx,
        tx: &mut Tx,
        number: &str,
    ) -> Result<ReturnRow, AppError> {
        let scope = self.return_scope(ctx)?;
        let number = number.trim().to_uppercase();
        if number.chars().count() > 32 {
            return Err(AppError::NotFound("defect_return"));
        }
        let r = store::return_by_number(tx.conn(), &number)
            .await?
            .ok_or(AppError::NotFound("defect_return"))?;
        let ok = scope
            .engineer_id
            .as_ref()
            .is_none_or(|e| r.engineer_id.as_ref() == Some(e))
            && scope.unit_path.as_ref().is_none_or(|p| {
                r.responsible_unit_path
                    .as_deref()
                    .is_some_and(|rp| rp.starts_with(p.as_str()))
            });
        if !ok {
            return Err(AppError::NotFound("defect_return"));
        }
        Ok(r)
    }

    /// The engineer hands in the defective part of their own obligation: taken back into the
    /// van first when it is not there yet, then shipped to the warehouse (van → in transit).
    #[tracing::instrument(skip_all)]
    pub async fn hand_in_defect(
        &self,
        ctx: &Ctx,
        number: &str,
        input: &HandInInput,
    ) -> Result<DefectReturnView, AppError> {
        ctx.require(Permission::FieldWork)?;
        let serial = aftersales_domain::installed_base::parse_opt_text(
            "serial",
            input.serial.as_deref(),
            64,
        )
        .map_err(AppError::invalid)?;
        let mut tx = self.db.begin().await?;
        let r = self.visible_return(ctx, &mut tx, number).await?;
        let me = ctx.actor().map(|a| a.id.to_string());
        if r.engineer_id.is_none() || r.engineer_id != me {
            return Err(AppError::Forbidden);
        }
        let status = stored("defect_returns.status", &r.status, ReturnStatus::parse)?;
        if !status.can_hand_in() {
            return Err(AppError::Conflict("not_open"));
        }
        let qty = serde_json::json!(Qty(r.qty).as_f64());
        let held = stock_store::balance(
            tx.conn(),
            &stock_store::BalanceKey {
                location_id: r.van_location_id.clone(),
                part_id: r.part_id.clone(),
                condition: Condition::Defective.as_str().into(),
            },
        )
        .await?
        .on_hand;
        let mv = |kind: &str, from: Option<String>, to: Option<String>| NewMove {
            kind: kind.into(),
            part: r.part_no.clone(),
            condition: Some(Condition::Defective.as_str().into()),
            qty: qty.clone(),
            from,
            to,
            unit_cost_fen: None,
            serial: serial.clone(),
            // Only the part taken out of the unit names the order; the shipment names the
            // obligation.
            work_order: (kind == "defective_in").then(|| r.work_order_number.clone()),
            reference: Some(r.number.clone()),
            reason: None,
            note: None,
        };
        if held < r.qty {
            // Taken out of the unit now: into the van, then on its way, in one transaction.
            self.post_move_in(
                &mut tx,
                ctx,
                &mv("defective_in", None, Some(r.van_code.clone())),
            )
            .await?;
        }
        self.post_move_in(
            &mut tx,
            ctx,
            &mv(
                "transfer_out",
                Some(r.van_code.clone()),
                LocationKind::InTransit.virtual_code().map(str::to_owned),
            ),
        )
        .await?;
        let at = time::to_db(self.now())?;
        if !store::hand_in(tx.conn(), &r.id, r.version, &at).await? {
            return Err(AppError::Conflict("not_open"));
        }
        let after = store::return_by_id(tx.conn(), &r.id)
            .await?
            .ok_or(AppError::NotFound("defect_return"))?;
        let v = view(after, self.today())?;
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::DefectReturn,
            &v.id,
            AuditAction::Update,
            Some(serde_json::json!({"status": status.as_str()})),
            Some(crate::administration::audit::audit_value(&v)?),
        )
        .await?;
        tx.commit().await?;
        Ok(v)
    }

    /// The warehouse receives a handed-in defective part with a failure code: in transit →
    /// the warehouse; the unit's batch is recorded; the obligation closes.
    #[tracing::instrument(skip_all)]
    pub async fn receive_defect(
        &self,
        ctx: &Ctx,
        number: &str,
        input: &DefectReceiveInput,
    ) -> Result<DefectReturnView, AppError> {
        ctx.require(Permission::StockMove)?;
        let code = input.failure_code.trim().to_uppercase();
        if code.is_empty() {
            return Err(AppError::invalid(FieldError::new(
                "failure_code",
                "required",
            )));
        }
        if code.chars().count() > 32 {
            return Err(AppError::invalid(
                FieldError::new("failure_code", "too_long").with("max", 32),
            ));
        }
        let mut tx = self.db.begin().await?;
        let r = self.visible_return(ctx, &mut tx, number).await?;
        let status = stored("defect_returns.status", &r.status, ReturnStatus::parse)?;
        if !status.can_receive() {
            return Err(AppError::Conflict("not_handed_in"));
        }
        let fc = store::find_failure_code(tx.conn(), &code)
            .await?
            .filter(|f| f.active != 0)
            .ok_or_else(|| AppError::conflict_on("failure_code", "unknown_failure_code"))?;
        if fc.category.as_ref().is_some_and(|c| *c != r.category) {
            return Err(AppError::conflict_on("failure_code", "wrong_category"));
        }
        let location = match input
            .location
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(l) => l.to_uppercase(),
            None => stock_store::list_locations(tx.conn())
                .await?
                .into_iter()
                .find(|l| l.kind == LocationKind::Warehouse.as_str() && l.active != 0)
                .map(|l| l.code)
                .ok_or_else(|| AppError::conflict_on("location", "unknown_location"))?,
        };
        self.post_move_in(
            &mut tx,
            ctx,
            &NewMove {
                kind: "transfer_in".into(),
                part: r.part_no.clone(),
                condition: Some(Condition::Defective.as_str().into()),
                qty: serde_json::json!(Qty(r.qty).as_f64()),
                from: LocationKind::InTransit.virtual_code().map(str::to_owned),
                to: Some(location),
                unit_cost_fen: None,
                serial: None,
                work_order: None,
                reference: Some(r.number.clone()),
                reason: None,
                note: None,
            },
        )
        .await?;
        let batch = match &r.unit_id {
            Some(id) => {
                let uid = id
                    .parse()
                    .map_err(|_| AppError::Internal(format!("defect_returns.unit_id {id:?}")))?;
                let u = aftersales_store::installed_base::units::get(tx.conn(), uid).await?;
                let made = u.manufacture_date.as_deref().and_then(|d| d.parse().ok());
                rules::batch_of(made, u.serial.as_deref())
            }
            None => None,
        };
        let now = self.now();
        let at = time::to_db(now)?;
        let receipt = store::Receipt {
            at: &at,
            by: ctx.actor().map(|a| a.id.to_string()),
            failure_code_id: &fc.id,
            batch,
        };
        if !store::receive(tx.conn(), &r.id, r.version, &receipt).await? {
            return Err(AppError::Conflict("not_handed_in"));
        }
        let after = store::return_by_id(tx.conn(), &r.id)
            .await?
            .ok_or(AppError::NotFound("defect_return"))?;
        let v = view(after, self.today())?;
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::DefectReturn,
            &v.id,
            AuditAction::Receive,
            Some(serde_json::json!({"status": status.as_str()})),
            Some(crate::administration::audit::audit_value(&v)?),
        )
        .await?;
        self.quality_check(&mut tx, &r, now).await?;
        tx.commit().await?;
        Ok(v)
    }

    /// Raises a quality alert when the part's failures in the window reach the threshold and
    /// no alert of it was raised within the window.
    async fn quality_check(
        &self,
        tx: &mut Tx,
        r: &ReturnRow,
        now: jiff::Timestamp,
    ) -> Result<(), AppError> {
        let since = time::to_db(
            now.checked_sub(SignedDuration::from_hours(
                24 * self.cfg.defects.alert_window_days,
            ))
            .unwrap_or(now),
        )?;
        let n = store::failures_since(tx.conn(), &r.part_id, &since).await?;
        if !self.cfg.defects.raises_alert(n)
            || store::alerted_since(tx.conn(), &r.part_id, &since).await?
        {
            return Ok(());
        }
        let id = uuid::Uuid::now_v7().to_string();
        store::insert_alert(tx.conn(), &id, &r.part_id, n, &since, &time::to_db(now)?).await?;
        let ids = store::quality_recipients(tx.conn()).await?;
        let link = self.link("/quality");
        for to in users_as_recipients(tx.conn(), &ids).await? {
            self.notify(
                tx,
                &to,
                "quality_alert",
                None,
                Some(&link),
                &[
                    (
                        "part",
                        format!("{} {}", r.part_no, r.part_name_zh),
                        format!("{} {}", r.part_no, r.part_name_en),
                    ),
                    same("failures", n.to_string()),
                    same("days", self.cfg.defects.alert_window_days.to_string()),
                ],
            )
            .await?;
        }
        Ok(())
    }
}
