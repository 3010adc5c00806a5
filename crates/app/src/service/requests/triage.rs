//! Triage (DOMAIN.md R-REQ-3, R-REQ-5): the request's one owner, its priority, remote help
//! first or a visit (a work order waiting for dispatch), another visit.

use super::ServiceRequestView;
use super::{opt_id, stored, stored_id, stored_opt, text_note};
use crate::{AppError, Ctx};
use aftersales_domain::service::{
    Priority, RequestAction, RequestEvent, RequestStatus, Triage, WoStatus,
};
use aftersales_domain::{FieldError, FieldErrors, OrgUnitId, Permission, UserId};
use aftersales_store::service::{self as store, RequestRow, WorkOrderRow};
use aftersales_store::{StoreError, Tx, network::org as org_store};
use aftersales_store::{network::users as user_store, time};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct OwnerChange {
    #[serde(deserialize_with = "crate::schema::int")]
    #[schema(minimum = 1)]
    pub version: i64,
    #[schema(value_type = String, format = Uuid)]
    pub owner_id: String,
    #[schema(
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub note: Option<String>,
}

/// A new priority for a request, with the reason (R-SLA-3: its clocks are recomputed).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct PriorityChange {
    #[serde(deserialize_with = "crate::schema::int")]
    #[schema(minimum = 1)]
    pub version: i64,
    #[schema(value_type = crate::schema::PriorityName)]
    pub priority: String,
    /// Why (required).
    #[schema(
        value_type = String,
        required = true,
        min_length = 1,
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct TriageInput {
    #[serde(deserialize_with = "crate::schema::int")]
    #[schema(minimum = 1)]
    pub version: i64,
    /// `remote` (phone guidance or a remote session) or `onsite` (a visit).
    #[schema(value_type = crate::schema::TriageName)]
    pub mode: String,
    #[schema(
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct RemoteOutcome {
    #[serde(deserialize_with = "crate::schema::int")]
    #[schema(minimum = 1)]
    pub version: i64,
    /// Whether remote help solved it; if not, a work order is created.
    pub solved: bool,
    #[schema(
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewVisit {
    #[serde(deserialize_with = "crate::schema::int")]
    #[schema(minimum = 1)]
    pub version: i64,
    /// The unit to do it; the request's responsible unit when absent.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub org_unit_id: Option<String>,
    #[schema(
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub note: Option<String>,
}

impl OwnerChange {
    /// The new owner and the note.
    pub fn parse(&self) -> Result<(UserId, Option<String>), FieldErrors> {
        let mut errs = FieldErrors::new();
        let owner = errs.take(
            self.owner_id
                .trim()
                .parse::<UserId>()
                .map_err(|_| FieldError::new("owner_id", "invalid_id")),
        );
        let note = text_note("note", self.note.as_deref(), &mut errs);
        errs.finish(|| Some((owner?, note?)))
    }
}

impl PriorityChange {
    /// The new priority and why (required).
    pub fn parse(&self) -> Result<(Priority, String), FieldErrors> {
        let mut errs = FieldErrors::new();
        let priority = errs.take(
            Priority::parse(self.priority.trim())
                .ok_or_else(|| FieldError::new("priority", "invalid_choice")),
        );
        let note = text_note("note", self.note.as_deref(), &mut errs);
        if matches!(note, Some(None)) {
            errs.push(FieldError::new("note", "required"));
        }
        errs.finish(|| Some((priority?, note??)))
    }
}

impl TriageInput {
    /// Remote help or a visit, and the note.
    pub fn parse(&self) -> Result<(Triage, Option<String>), FieldErrors> {
        let mut errs = FieldErrors::new();
        let mode = errs.take(
            Triage::parse(self.mode.trim())
                .ok_or_else(|| FieldError::new("mode", "invalid_choice")),
        );
        let note = text_note("note", self.note.as_deref(), &mut errs);
        errs.finish(|| Some((mode?, note?)))
    }
}

impl RemoteOutcome {
    /// The note.
    pub fn parse(&self) -> Result<Option<String>, FieldErrors> {
        let mut errs = FieldErrors::new();
        let note = text_note("note", self.note.as_deref(), &mut errs);
        errs.finish(|| note)
    }
}

impl NewVisit {
    /// The unit to do it, if named, and the note.
    pub fn parse(&self) -> Result<(Option<OrgUnitId>, Option<String>), FieldErrors> {
        let mut errs = FieldErrors::new();
        let org = opt_id::<OrgUnitId>("org_unit_id", self.org_unit_id.as_deref(), &mut errs);
        let note = text_note("note", self.note.as_deref(), &mut errs);
        errs.finish(|| Some((org?, note?)))
    }
}

impl crate::App {
    /// Hands a request to another owner: an explicit, recorded act (R-REQ-3).
    #[tracing::instrument(skip_all)]
    pub async fn change_request_owner(
        &self,
        ctx: &Ctx,
        key: &str,
        input: &OwnerChange,
    ) -> Result<ServiceRequestView, AppError> {
        ctx.require(Permission::RequestsManage)?;
        let (owner, note) = input.parse()?;
        let mut c = self
            .change_request(ctx, Permission::RequestsManage, key, input.version)
            .await?;
        if c.from.is_final() {
            return Err(AppError::Conflict("illegal_transition"));
        }
        let u = user_store::get(c.tx.conn(), owner)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => AppError::conflict_on("owner_id", "unknown_user"),
                e => e.into(),
            })?;
        if u.disabled || !u.role.can(Permission::RequestsManage) {
            return Err(AppError::conflict_on("owner_id", "cannot_own_requests"));
        }
        c.after.owner_id = owner.to_string();
        let event = RequestEvent::OwnerChanged {
            from: stored_id("service_requests.owner_id", &c.before.owner_id)?,
            to: owner,
            to_name: u.display_name,
            note,
        };
        self.commit_request_change(ctx, c, event).await
    }

    /// Changes a request's priority, with the reason: the SLA rule is chosen again and every
    /// clock recomputed from the start (pauses stay, they are events); its open work orders
    /// take the new priority.
    #[tracing::instrument(skip_all)]
    pub async fn change_request_priority(
        &self,
        ctx: &Ctx,
        key: &str,
        input: &PriorityChange,
    ) -> Result<ServiceRequestView, AppError> {
        ctx.require(Permission::RequestsManage)?;
        let (priority, note) = input.parse()?;
        let mut c = self
            .change_request(ctx, Permission::RequestsManage, key, input.version)
            .await?;
        if !c.from.is_active() {
            return Err(AppError::Conflict("illegal_transition"));
        }
        let before = stored(
            "service_requests.priority",
            &c.before.priority,
            Priority::parse,
        )?;
        if before == priority {
            return Err(AppError::conflict_on("priority", "unchanged"));
        }
        c.after.priority = priority.as_str().to_owned();
        let event = RequestEvent::PriorityChanged {
            from: before,
            to: priority,
            note: Some(note),
        };
        self.save_request_change(ctx, &mut c, event).await?;
        store::set_open_orders_priority(
            c.tx.conn(),
            &c.before.id,
            priority.as_str(),
            &c.after.updated_at,
        )
        .await?;
        self.finish_request_change(c).await
    }

    /// Triage (R-REQ-5): remote help first (a follow-up is due in 2 hours), or a visit (a
    /// work order waiting for dispatch).
    #[tracing::instrument(skip_all)]
    pub async fn triage_request(
        &self,
        ctx: &Ctx,
        key: &str,
        input: &TriageInput,
    ) -> Result<ServiceRequestView, AppError> {
        ctx.require(Permission::RequestsManage)?;
        let (mode, note) = input.parse()?;
        let mut c = self
            .change_request(ctx, Permission::RequestsManage, key, input.version)
            .await?;
        c.step(match mode {
            Triage::Remote => RequestAction::TriageRemote,
            Triage::Onsite => RequestAction::TriageOnsite,
        })?;
        c.after.triage = Some(mode.as_str().into());
        match mode {
            Triage::Remote => {
                let due = self.now() + jiff::SignedDuration::from_hours(2);
                c.after.follow_up_due_at = Some(time::to_db(due)?);
                let event = RequestEvent::TriagedRemote {
                    from_status: c.from,
                    note,
                    follow_up_due_at: Some(due),
                };
                self.commit_request_change(ctx, c, event).await
            }
            Triage::Onsite => {
                let event = RequestEvent::TriagedOnsite {
                    from_status: c.from,
                    note: note.clone(),
                };
                self.save_request_change(ctx, &mut c, event).await?;
                let org_unit = c.after.org_unit_id.clone();
                self.open_work_order(&mut c.tx, ctx, &c.after, org_unit, note.as_deref())
                    .await?;
                self.finish_request_change(c).await
            }
        }
    }

    /// The outcome of remote help: solved resolves the request; not solved sends someone.
    #[tracing::instrument(skip_all)]
    pub async fn remote_outcome(
        &self,
        ctx: &Ctx,
        key: &str,
        input: &RemoteOutcome,
    ) -> Result<ServiceRequestView, AppError> {
        ctx.require(Permission::RequestsManage)?;
        let note = input.parse()?;
        let mut c = self
            .change_request(ctx, Permission::RequestsManage, key, input.version)
            .await?;
        let triage = stored_opt(
            "service_requests.triage",
            c.before.triage.as_deref(),
            Triage::parse,
        )?;
        if triage != Some(Triage::Remote) || c.from != RequestStatus::InProgress {
            return Err(AppError::Conflict("illegal_transition"));
        }
        if input.solved {
            c.step(RequestAction::Resolve)?;
            c.after.resolved_at = Some(time::to_db(self.now())?);
            let event = RequestEvent::RemoteSolved {
                from_status: c.from,
                note,
            };
            return self.commit_request_change(ctx, c, event).await;
        }
        c.after.triage = Some(Triage::Onsite.as_str().into());
        let event = RequestEvent::RemoteFailed { note: note.clone() };
        self.save_request_change(ctx, &mut c, event).await?;
        let org_unit = c.after.org_unit_id.clone();
        self.open_work_order(&mut c.tx, ctx, &c.after, org_unit, note.as_deref())
            .await?;
        self.finish_request_change(c).await
    }

    /// Creates a work order for a request, `pending` in `org_unit`, in the transaction.
    pub(crate) async fn open_work_order(
        &self,
        tx: &mut Tx,
        ctx: &Ctx,
        r: &RequestRow,
        org_unit: Option<String>,
        note: Option<&str>,
    ) -> Result<WorkOrderRow, AppError> {
        let now = time::to_db(self.now())?;
        let number = self.next_number(tx, "WO").await?;
        let w = WorkOrderRow {
            id: uuid::Uuid::now_v7().to_string(),
            number,
            request_id: r.id.clone(),
            org_unit_id: org_unit.or_else(|| r.org_unit_id.clone()),
            engineer_id: None,
            status: WoStatus::Pending.as_str().into(),
            waiting_reason: None,
            resume_status: None,
            priority: r.priority.clone(),
            appointment_start: None,
            appointment_end: None,
            outcome: None,
            loaner_left: 0,
            created_at: now.clone(),
            dispatched_at: None,
            accepted_at: None,
            en_route_at: None,
            arrived_at: None,
            started_at: None,
            completed_at: None,
            cancelled_at: None,
            updated_at: now,
            version: 1,
        };
        store::insert_work_order(tx.conn(), &w).await?;
        self.event(
            tx,
            ctx,
            &r.id,
            Some(&w.id),
            RequestEvent::WorkOrderCreated {
                number: w.number.clone(),
                org_unit_id: w
                    .org_unit_id
                    .as_deref()
                    .map(str::parse)
                    .transpose()
                    .map_err(|_| AppError::Internal("org unit id".into()))?,
                note: note.map(str::to_owned),
            },
            None,
        )
        .await?;
        Ok(w)
    }

    /// Another visit for a request already in progress.
    #[tracing::instrument(skip_all)]
    pub async fn add_visit(
        &self,
        ctx: &Ctx,
        key: &str,
        input: &NewVisit,
    ) -> Result<ServiceRequestView, AppError> {
        ctx.require(Permission::Dispatch)?;
        let (org, note) = input.parse()?;
        let mut c = self
            .change_request(ctx, Permission::Dispatch, key, input.version)
            .await?;
        if let Some(o) = org {
            org_store::get(c.tx.conn(), o).await.map_err(|e| match e {
                StoreError::NotFound => AppError::conflict_on("org_unit_id", "unknown_org_unit"),
                e => e.into(),
            })?;
        }
        match c.from {
            RequestStatus::Open => {
                c.after.status = RequestStatus::InProgress.as_str().into();
                c.after.triage = Some(Triage::Onsite.as_str().into());
            }
            RequestStatus::InProgress => {}
            _ => return Err(AppError::Conflict("illegal_transition")),
        }
        // No event of the request's own: the work order's creation says it all.
        self.save_request_row(&mut c).await?;
        let org = org.map(|o| o.to_string());
        self.open_work_order(&mut c.tx, ctx, &c.after, org, note.as_deref())
            .await?;
        self.finish_request_change(c).await
    }
}
