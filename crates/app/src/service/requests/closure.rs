//! The end of a request: resolved by hand, closed, cancelled with its open work orders,
//! reopened within the window as a new linked request (R-KPI-1).

use super::ServiceRequestView;
use super::{RequestChange, required_notes, text_note, ts};
use crate::service::work_orders::status_of;
use crate::{AppError, Ctx};
use aftersales_domain::service::{
    self as rules, Creation, RequestAction, RequestEvent, RequestStatus, Resolution, WoStatus,
};
use aftersales_domain::{FieldErrors, Permission};
use aftersales_store::service::{self as store, RequestRow, WorkOrderRow};
use aftersales_store::time;
use serde::Deserialize;
use utoipa::ToSchema;

/// A version and a note: the body of most request actions.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct RequestNote {
    #[serde(deserialize_with = "crate::schema::int")]
    #[schema(minimum = 1)]
    pub version: i64,
    #[schema(
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct CancelInput {
    #[serde(deserialize_with = "crate::schema::int")]
    #[schema(minimum = 1)]
    pub version: i64,
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub reason: String,
}

impl RequestNote {
    /// The note.
    pub fn parse(&self) -> Result<Option<String>, FieldErrors> {
        let mut errs = FieldErrors::new();
        let note = text_note("note", self.note.as_deref(), &mut errs);
        errs.finish(|| note)
    }
}

impl CancelInput {
    /// Why (required).
    pub fn parse(&self) -> Result<String, FieldErrors> {
        required_notes("reason", &self.reason)
    }
}

impl crate::App {
    /// Marks the work done by hand (no open work order may remain).
    #[tracing::instrument(skip_all)]
    pub async fn resolve_request(
        &self,
        ctx: &Ctx,
        key: &str,
        input: &RequestNote,
    ) -> Result<ServiceRequestView, AppError> {
        ctx.require(Permission::RequestsManage)?;
        let note = input.parse()?;
        let mut c = self
            .change_request(ctx, Permission::RequestsManage, key, input.version)
            .await?;
        c.step(RequestAction::Resolve)?;
        for w in store::work_orders_of_request(c.tx.conn(), &c.before.id).await? {
            if !status_of(&w)?.is_terminal() {
                return Err(AppError::Conflict("open_work_orders"));
            }
        }
        c.after.resolved_at = Some(time::to_db(self.now())?);
        let event = RequestEvent::Resolved {
            from_status: c.from,
            how: Resolution::ByHand { note },
        };
        self.commit_request_change(ctx, c, event).await
    }

    #[tracing::instrument(skip_all)]
    pub async fn close_request(
        &self,
        ctx: &Ctx,
        key: &str,
        input: &RequestNote,
    ) -> Result<ServiceRequestView, AppError> {
        ctx.require(Permission::RequestsManage)?;
        let note = input.parse()?;
        let mut c = self
            .change_request(ctx, Permission::RequestsManage, key, input.version)
            .await?;
        c.step(RequestAction::Close)?;
        c.after.closed_at = Some(time::to_db(self.now())?);
        let event = RequestEvent::Closed {
            from_status: c.from,
            note,
        };
        self.commit_request_change(ctx, c, event).await
    }

    /// Cancels a request with a reason, and its open work orders with it.
    #[tracing::instrument(skip_all)]
    pub async fn cancel_request(
        &self,
        ctx: &Ctx,
        key: &str,
        input: &CancelInput,
    ) -> Result<ServiceRequestView, AppError> {
        ctx.require(Permission::RequestsManage)?;
        let reason = input.parse()?;
        let mut c = self
            .change_request(ctx, Permission::RequestsManage, key, input.version)
            .await?;
        c.step(RequestAction::Cancel)?;
        let now = time::to_db(self.now())?;
        for w in store::work_orders_of_request(c.tx.conn(), &c.before.id).await? {
            let from = status_of(&w)?;
            if from.is_terminal() {
                continue;
            }
            let after = WorkOrderRow {
                status: WoStatus::Cancelled.as_str().into(),
                cancelled_at: Some(now.clone()),
                updated_at: now.clone(),
                version: w.version + 1,
                ..w.clone()
            };
            if !store::update_work_order(c.tx.conn(), &after, w.version).await? {
                return Err(AppError::StaleVersion {
                    current: c.before.version,
                });
            }
            let event = RequestEvent::WorkOrderCancelled {
                from_status: from,
                reason: reason.clone(),
            };
            self.event(&mut c.tx, ctx, &c.before.id, Some(&w.id), event, None)
                .await?;
        }
        let event = RequestEvent::Cancelled {
            from_status: c.from,
            reason,
        };
        self.commit_request_change(ctx, c, event).await
    }

    /// Reopens a resolved (or closed) request within the window, as a new request linked to
    /// it (R-KPI-1 counts repeat repairs by this link).
    #[tracing::instrument(skip_all)]
    pub async fn reopen_request(
        &self,
        ctx: &Ctx,
        key: &str,
        input: &RequestNote,
    ) -> Result<ServiceRequestView, AppError> {
        ctx.require(Permission::RequestsManage)?;
        let note = input.parse()?;
        let RequestChange {
            mut tx,
            before: r,
            from,
            ..
        } = self
            .change_request(ctx, Permission::RequestsManage, key, input.version)
            .await?;
        let Some(resolved_at) = r.resolved_at.as_deref() else {
            return Err(AppError::Conflict("illegal_transition"));
        };
        if !from.is_done() {
            return Err(AppError::Conflict("illegal_transition"));
        }
        let now = self.now();
        let resolved_on = self
            .site()
            .date(ts("service_requests.resolved_at", resolved_at)?);
        if !rules::may_reopen(
            resolved_on,
            self.site().date(now),
            self.cfg.reopen_window_days,
        ) {
            return Err(AppError::Conflict("reopen_window_passed"));
        }
        let owner = match ctx.actor() {
            Some(a) => a.id.to_string(),
            None => r.owner_id.clone(),
        };
        let number = self.next_number(&mut tx, "SR").await?;
        let row = RequestRow {
            id: uuid::Uuid::now_v7().to_string(),
            number,
            status: RequestStatus::Open.as_str().into(),
            triage: None,
            owner_id: owner,
            reopened_from: Some(r.id.clone()),
            follow_up_due_at: None,
            created_by: ctx.actor().map(|a| a.id.to_string()),
            created_at: time::to_db(now)?,
            updated_at: time::to_db(now)?,
            resolved_at: None,
            closed_at: None,
            version: 1,
            ..r.clone()
        };
        store::insert_request(tx.conn(), &row).await?;
        self.event(
            &mut tx,
            ctx,
            &row.id,
            None,
            RequestEvent::Created(Creation::Reopen {
                number: row.number.clone(),
                reopens: r.number.clone(),
                note: note.clone(),
            }),
            None,
        )
        .await?;
        self.event(
            &mut tx,
            ctx,
            &r.id,
            None,
            RequestEvent::Reopened {
                as_number: row.number.clone(),
                note,
            },
            None,
        )
        .await?;
        let v = self.request_view(tx.conn(), &row).await?;
        tx.commit().await?;
        Ok(v)
    }
}
