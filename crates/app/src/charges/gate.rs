//! The start gate (R-FEE-3: quote, confirm, pay, then work; docs/charges.md "The gate"): a
//! work order with chargeable items enters "in service" only once its newest quote is
//! confirmed and, where the schedule says pay first, paid. A manager may let the work go
//! on with a reason; the override is kept (append-only) and written on the timeline.

use super::pricing::GateView;
use crate::{AppError, Ctx};
use aftersales_domain::FieldError;
use aftersales_domain::Permission;
use aftersales_domain::audit::{AuditAction, AuditEntity};
use aftersales_domain::charges::NoSerialPolicy;
use aftersales_domain::installed_base::parse_opt_notes;
use aftersales_domain::service::RequestEvent;
use aftersales_store::charges::quotes::{self as store, OverrideRow};
use aftersales_store::service::{RequestRow, WorkOrderRow};
use aftersales_store::time;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

/// A manager's reason to let paid work go on.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ChargesOverrideInput {
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*\S[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub reason: String,
}

impl crate::App {
    /// A unit of ours without a serial (机身编码): served or refused as the fee schedule in
    /// force says (seed 004: 凡是无机身编码的我司产品，一律不提供售后服务). Refused, the
    /// agent reads why beside the unit: `no_serial_no_service`.
    pub(crate) async fn serve_without_serial(
        &self,
        unit: &aftersales_store::installed_base::units::UnitRecord,
    ) -> Result<(), AppError> {
        if unit.serial_norm.is_some() || unit.third_party {
            return Ok(());
        }
        let mut conn = self.db.acquire().await?;
        match self.fee_schedule_on(&mut conn, self.today()).await? {
            Some((_, s)) if s.no_serial == NoSerialPolicy::Refuse => {
                Err(AppError::conflict_on("unit_id", "no_serial_no_service"))
            }
            _ => Ok(()),
        }
    }

    /// Refuses entering "in service" while the gate is closed: 409 with
    /// `quote_not_confirmed` or `payment_required`.
    pub(crate) async fn check_start_gate(
        &self,
        conn: &mut aftersales_store::Conn,
        w: &WorkOrderRow,
        r: &RequestRow,
    ) -> Result<(), AppError> {
        match self.gate_verdict(conn, w, r).await?.1 {
            Some(refused) => Err(AppError::Conflict(refused.code())),
            None => Ok(()),
        }
    }

    /// Lets paid work go on without confirmation or payment, with a reason (a manager's
    /// decision, on the timeline and in the audit trail). Refused when the gate is open.
    #[tracing::instrument(skip_all)]
    pub async fn override_charges(
        &self,
        ctx: &Ctx,
        key: &str,
        input: &ChargesOverrideInput,
    ) -> Result<GateView, AppError> {
        ctx.require(Permission::ChargesOverride)?;
        let reason = parse_opt_notes("reason", Some(&input.reason), 2000)
            .map_err(AppError::invalid)?
            .ok_or_else(|| AppError::invalid(FieldError::new("reason", "required")))?;
        let mut tx = self.db.begin().await?;
        let (w, r) = self.load_order(tx.conn(), ctx, key).await?;
        let Some(refused) = self.gate_verdict(tx.conn(), &w, &r).await?.1 else {
            return Err(AppError::Conflict("override_not_needed"));
        };
        let (by_id, by_name) = ctx.event_actor();
        let row = OverrideRow {
            id: uuid::Uuid::now_v7().to_string(),
            work_order_id: w.id.clone(),
            refused: refused.code().into(),
            reason: reason.clone(),
            by_id,
            by_name,
            at: time::to_db(self.now())?,
        };
        store::insert_override(tx.conn(), &row).await?;
        let event = RequestEvent::ChargesOverridden {
            refused,
            reason: reason.clone(),
        };
        self.event(&mut tx, ctx, &r.id, Some(&w.id), event, None)
            .await?;
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::WorkOrder,
            &w.id,
            AuditAction::Override,
            None,
            Some(json!({"refused": refused.code(), "reason": reason})),
        )
        .await?;
        let view = self.gate_of(tx.conn(), &w, &r).await?;
        tx.commit().await?;
        Ok(view)
    }
}
