//! Triage (DOMAIN.md R-REQ-3, R-REQ-5): the request's one owner, its priority, remote help
//! first or a visit (a work order waiting for dispatch), another visit.

use super::ServiceRequestView;
use super::{not_found, opt_id, request_status_of, text_note};
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
    pub async fn change_request_owner(
        &self,
        ctx: &Ctx,
        key: &str,
        input: &OwnerChange,
    ) -> Result<ServiceRequestView, AppError> {
        ctx.require(Permission::RequestsManage)?;
        let (owner, note) = input.parse()?;
        let (mut tx, r) = self
            .request_for_change(ctx, key, Some(input.version))
            .await?;
        if request_status_of(&r)?.is_final() {
            return Err(AppError::Conflict("illegal_transition"));
        }
        let u = user_store::get(tx.conn(), owner)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => AppError::conflict_on("owner_id", "unknown_user"),
                e => e.into(),
            })?;
        if u.disabled || !u.role.can(Permission::RequestsManage) {
            return Err(AppError::conflict_on("owner_id", "cannot_own_requests"));
        }
        let mut after = r.clone();
        after.owner_id = owner.to_string();
        self.save_request(&mut tx, &r, &mut after).await?;
        self.event(
            &mut tx,
            ctx,
            &r.id,
            None,
            RequestEvent::OwnerChanged {
                from: r
                    .owner_id
                    .parse()
                    .map_err(|_| AppError::Internal(format!("owner id {}", r.owner_id)))?,
                to: owner,
                to_name: u.display_name,
                note,
            },
            None,
        )
        .await?;
        let v = self.request_view(tx.conn(), &after).await?;
        tx.commit().await?;
        Ok(v)
    }

    /// Changes a request's priority, with the reason: the SLA rule is chosen again and every
    /// clock recomputed from the start (pauses stay, they are events); its open work orders
    /// take the new priority.
    pub async fn change_request_priority(
        &self,
        ctx: &Ctx,
        key: &str,
        input: &PriorityChange,
    ) -> Result<ServiceRequestView, AppError> {
        ctx.require(Permission::RequestsManage)?;
        let (priority, note) = input.parse()?;
        let (mut tx, r) = self
            .request_for_change(ctx, key, Some(input.version))
            .await?;
        if !request_status_of(&r)?.is_active() {
            return Err(AppError::Conflict("illegal_transition"));
        }
        let before = Priority::parse(&r.priority)
            .ok_or_else(|| AppError::Internal(format!("request priority {}", r.priority)))?;
        if before == priority {
            return Err(AppError::conflict_on("priority", "unchanged"));
        }
        let mut after = r.clone();
        after.priority = priority.as_str().to_owned();
        self.save_request(&mut tx, &r, &mut after).await?;
        store::set_open_orders_priority(tx.conn(), &r.id, priority.as_str(), &after.updated_at)
            .await?;
        self.event(
            &mut tx,
            ctx,
            &r.id,
            None,
            RequestEvent::PriorityChanged {
                from: before,
                to: priority,
                note: Some(note),
            },
            None,
        )
        .await?;
        let v = self.request_view(tx.conn(), &after).await?;
        tx.commit().await?;
        Ok(v)
    }

    /// Triage (R-REQ-5): remote help first (a follow-up is due in 2 hours), or a visit (a
    /// work order waiting for dispatch).
    pub async fn triage_request(
        &self,
        ctx: &Ctx,
        key: &str,
        input: &TriageInput,
    ) -> Result<ServiceRequestView, AppError> {
        ctx.require(Permission::RequestsManage)?;
        let (mode, note) = input.parse()?;
        let (mut tx, r) = self
            .request_for_change(ctx, key, Some(input.version))
            .await?;
        let action = match mode {
            Triage::Remote => RequestAction::TriageRemote,
            Triage::Onsite => RequestAction::TriageOnsite,
        };
        let to = Self::step(&r, action)?;
        let mut after = r.clone();
        after.status = to.as_str().into();
        after.triage = Some(mode.as_str().into());
        let now = self.now();
        let from_status = request_status_of(&r)?;
        match mode {
            Triage::Remote => {
                let due = now + jiff::SignedDuration::from_hours(2);
                after.follow_up_due_at = Some(time::to_db(due)?);
                self.save_request(&mut tx, &r, &mut after).await?;
                self.event(
                    &mut tx,
                    ctx,
                    &r.id,
                    None,
                    RequestEvent::TriagedRemote {
                        from_status,
                        note,
                        follow_up_due_at: Some(due),
                    },
                    None,
                )
                .await?;
            }
            Triage::Onsite => {
                self.save_request(&mut tx, &r, &mut after).await?;
                self.event(
                    &mut tx,
                    ctx,
                    &r.id,
                    None,
                    RequestEvent::TriagedOnsite {
                        from_status,
                        note: note.clone(),
                    },
                    None,
                )
                .await?;
                self.open_work_order(
                    &mut tx,
                    ctx,
                    &after,
                    after.org_unit_id.clone(),
                    note.as_deref(),
                )
                .await?;
            }
        }
        let v = self.request_view(tx.conn(), &after).await?;
        tx.commit().await?;
        Ok(v)
    }

    /// The outcome of remote help: solved resolves the request; not solved sends someone.
    pub async fn remote_outcome(
        &self,
        ctx: &Ctx,
        key: &str,
        input: &RemoteOutcome,
    ) -> Result<ServiceRequestView, AppError> {
        ctx.require(Permission::RequestsManage)?;
        let note = input.parse()?;
        let (mut tx, r) = self
            .request_for_change(ctx, key, Some(input.version))
            .await?;
        if r.triage.as_deref().and_then(Triage::parse) != Some(Triage::Remote)
            || request_status_of(&r)? != RequestStatus::InProgress
        {
            return Err(AppError::Conflict("illegal_transition"));
        }
        let mut after = r.clone();
        if input.solved {
            let to = Self::step(&r, RequestAction::Resolve)?;
            after.status = to.as_str().into();
            after.resolved_at = Some(time::to_db(self.now())?);
            self.save_request(&mut tx, &r, &mut after).await?;
            self.event(
                &mut tx,
                ctx,
                &r.id,
                None,
                RequestEvent::RemoteSolved {
                    from_status: request_status_of(&r)?,
                    note,
                },
                None,
            )
            .await?;
        } else {
            after.triage = Some(Triage::Onsite.as_str().into());
            self.save_request(&mut tx, &r, &mut after).await?;
            self.event(
                &mut tx,
                ctx,
                &r.id,
                None,
                RequestEvent::RemoteFailed { note: note.clone() },
                None,
            )
            .await?;
            self.open_work_order(
                &mut tx,
                ctx,
                &after,
                after.org_unit_id.clone(),
                note.as_deref(),
            )
            .await?;
        }
        let v = self.request_view(tx.conn(), &after).await?;
        tx.commit().await?;
        Ok(v)
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
    pub async fn add_visit(
        &self,
        ctx: &Ctx,
        key: &str,
        input: &NewVisit,
    ) -> Result<ServiceRequestView, AppError> {
        ctx.require(Permission::Dispatch)?;
        let (org, note) = input.parse()?;
        let scope = self.request_scope(ctx).await?;
        let mut tx = self.db.begin().await?;
        let r = store::get_request(tx.conn(), key.trim())
            .await
            .map_err(not_found)?;
        self.check_request_scope(tx.conn(), &scope, &r).await?;
        if r.version != input.version {
            return Err(AppError::StaleVersion { current: r.version });
        }
        if let Some(o) = org {
            org_store::get(tx.conn(), o).await.map_err(|e| match e {
                StoreError::NotFound => AppError::conflict_on("org_unit_id", "unknown_org_unit"),
                e => e.into(),
            })?;
        }
        let mut after = r.clone();
        match request_status_of(&r)? {
            RequestStatus::Open => {
                after.status = RequestStatus::InProgress.as_str().into();
                after.triage = Some(Triage::Onsite.as_str().into());
            }
            RequestStatus::InProgress => {}
            _ => return Err(AppError::Conflict("illegal_transition")),
        }
        self.save_request(&mut tx, &r, &mut after).await?;
        self.open_work_order(
            &mut tx,
            ctx,
            &after,
            org.map(|o| o.to_string()),
            note.as_deref(),
        )
        .await?;
        let v = self.request_view(tx.conn(), &after).await?;
        tx.commit().await?;
        Ok(v)
    }
}
