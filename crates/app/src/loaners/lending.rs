//! Registering a loaner, lending it against a service request, taking it back with an
//! inspection. Each is one transaction: the loaner's row, its loan, its history entry, the
//! request's event (for lending and return) and the audit row commit together or not at
//! all.

use super::{LoanerDetail, LoanerScope, overdue::LOANER_OVERDUE};
use crate::{AppError, Ctx, Idempotency};
use aftersales_domain::audit::{AuditAction, AuditEntity};
use aftersales_domain::loaners::{
    self as rules, LoanerAction, LoanerEventKind, LoanerStatus, ReturnCondition,
};
use aftersales_domain::service::{LoanerBack, LoanerLent, RequestEvent, RequestStatus};
use aftersales_domain::{FieldError, FieldErrors, LoanId, LoanerId, OrgUnitId, Permission};
use aftersales_store::administration::jobs::{self as job_store, NewJob};
use aftersales_store::loaners::{self as store, LoanRow, LoanerEventRow, LoanerRow};
use aftersales_store::network::org as org_store;
use aftersales_store::service as service_store;
use aftersales_store::{StoreError, Tx, time};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

/// A loaner to add to the pool.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct NewLoaner {
    /// Letters and digits (spaces and hyphens are dropped), at most 40.
    #[schema(max_length = 60)]
    pub serial: String,
    /// The product model, at most 100 characters.
    #[schema(max_length = 100)]
    pub model: String,
    /// The owning unit; the caller's own unit when left out.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub owner_unit_id: Option<String>,
    /// At most 20, each at most 60 characters.
    #[serde(default)]
    pub accessories: Vec<String>,
    #[schema(max_length = 1000)]
    pub note: Option<String>,
}

pub(crate) struct ValidLoaner {
    serial: String,
    model: String,
    owner: Option<OrgUnitId>,
    accessories: Vec<String>,
    note: Option<String>,
}

impl NewLoaner {
    pub(crate) fn parse(&self) -> Result<ValidLoaner, FieldErrors> {
        let mut errs = FieldErrors::new();
        let serial = errs.take(rules::parse_serial("serial", &self.serial));
        let model = errs.take(rules::parse_text(
            "model",
            &self.model,
            rules::MAX_MODEL_CHARS,
        ));
        let owner = match self
            .owner_unit_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(s) => errs
                .take(
                    s.parse::<OrgUnitId>()
                        .map_err(|_| FieldError::new("owner_unit_id", "invalid_id")),
                )
                .map(Some),
            None => Some(None),
        };
        let accessories = errs.take(rules::parse_accessories("accessories", &self.accessories));
        let note = errs.take(rules::parse_opt_text(
            "note",
            self.note.as_deref(),
            rules::MAX_NOTE_CHARS,
        ));
        errs.finish(|| {
            Some(ValidLoaner {
                serial: serial?,
                model: model?,
                owner: owner?,
                accessories: accessories?,
                note: note?,
            })
        })
    }
}

/// Lending a loaner to the customer of a request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IssueLoaner {
    /// The request's number (`SR…`) or id.
    #[schema(max_length = 64)]
    pub request: String,
    /// The day it is due back: from today to 365 days ahead (the site's calendar).
    #[schema(format = Date, pattern = r"^(20[0-9]{2}|2100)-")]
    pub expected_return: String,
    #[schema(max_length = 1000)]
    pub note: Option<String>,
}

pub(crate) struct ValidIssue {
    request: String,
    expected_return: Date,
    note: Option<String>,
}

impl IssueLoaner {
    pub(crate) fn parse(&self, today: Date) -> Result<ValidIssue, FieldErrors> {
        let mut errs = FieldErrors::new();
        let request = errs.take(rules::parse_text("request", &self.request, 64).map(|s| {
            if s.to_ascii_uppercase().starts_with("SR") {
                s.to_ascii_uppercase()
            } else {
                s
            }
        }));
        let expected_return = errs.take(
            aftersales_domain::bounds::parse_service_day("expected_return", &self.expected_return)
                .and_then(|d| rules::check_expected_return("expected_return", d, today)),
        );
        let note = errs.take(rules::parse_opt_text(
            "note",
            self.note.as_deref(),
            rules::MAX_NOTE_CHARS,
        ));
        errs.finish(|| {
            Some(ValidIssue {
                request: request?,
                expected_return: expected_return?,
                note: note?,
            })
        })
    }
}

/// Taking a loaner back, with what the inspection found.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReturnLoaner {
    /// `good` (back to the pool), `damaged` (to repair) or `unusable` (retired).
    #[schema(value_type = crate::schema::ReturnConditionName)]
    pub condition: String,
    /// Whether every accessory came back.
    pub accessories_complete: bool,
    /// What the inspection found, what is missing.
    #[schema(max_length = 1000)]
    pub note: Option<String>,
}

pub(crate) struct ValidReturn {
    condition: ReturnCondition,
    accessories_complete: bool,
    note: Option<String>,
}

impl ReturnLoaner {
    pub(crate) fn parse(&self) -> Result<ValidReturn, FieldErrors> {
        let mut errs = FieldErrors::new();
        let condition = errs.take(
            ReturnCondition::parse(self.condition.trim())
                .ok_or_else(|| FieldError::new("condition", "invalid_choice")),
        );
        let note = errs.take(rules::parse_opt_text(
            "note",
            self.note.as_deref(),
            rules::MAX_NOTE_CHARS,
        ));
        errs.finish(|| {
            Some(ValidReturn {
                condition: condition?,
                accessories_complete: self.accessories_complete,
                note: note?,
            })
        })
    }
}

impl crate::App {
    /// Adds a loaner to the pool, owned by a unit of the caller's scope.
    #[tracing::instrument(skip_all)]
    pub async fn register_loaner(
        &self,
        ctx: &Ctx,
        input: &NewLoaner,
        idem: Option<&Idempotency>,
    ) -> Result<LoanerDetail, AppError> {
        let scope = self.loaner_scope(ctx, Permission::LoanersManage)?;
        if let Some(v) = self.idem_replay(ctx, idem).await? {
            return Ok(v);
        }
        let v = input.parse()?;
        let owner = match v.owner.or_else(|| ctx.actor().and_then(|a| a.org_unit_id)) {
            Some(o) => o,
            None => {
                return Err(AppError::invalid(FieldError::new(
                    "owner_unit_id",
                    "required",
                )));
            }
        };
        let r = async {
            let mut tx = self.db.begin().await?;
            self.idem_claim(&mut tx, ctx, idem).await?;
            let unit = match org_store::get(tx.conn(), owner).await {
                Ok(u) if scope.allows(&u.path) => u,
                Ok(_) | Err(StoreError::NotFound) => {
                    return Err(AppError::invalid(FieldError::new(
                        "owner_unit_id",
                        "unknown_org_unit",
                    )));
                }
                Err(e) => return Err(e.into()),
            };
            let now = time::to_db(self.now())?;
            let row = LoanerRow {
                id: LoanerId::new().to_string(),
                serial: v.serial.clone(),
                model: v.model.clone(),
                owner_unit_id: unit.id.to_string(),
                status: LoanerStatus::Available.as_str().to_owned(),
                accessories: serde_json::to_string(&v.accessories)
                    .map_err(|e| AppError::Internal(e.to_string()))?,
                note: v.note.clone(),
                version: 1,
                created_at: now.clone(),
                updated_at: now,
                owner_name: unit.name.clone(),
                owner_path: unit.path.clone(),
            };
            store::insert_loaner(tx.conn(), &row)
                .await
                .map_err(|e| match e {
                    StoreError::Constraint(_) => {
                        AppError::conflict_on("serial", "loaner_serial_taken")
                    }
                    e => e.into(),
                })?;
            self.loaner_history(
                &mut tx,
                ctx,
                &row.id,
                None,
                LoanerEventKind::Registered,
                None,
            )
            .await?;
            self.audit(
                &mut tx,
                ctx,
                AuditEntity::Loaner,
                &row.id,
                AuditAction::Create,
                None,
                Some(json!({
                    "serial": row.serial, "model": row.model, "owner_unit_id": row.owner_unit_id,
                    "status": row.status, "accessories": v.accessories, "note": row.note,
                })),
            )
            .await?;
            let view = self.loaner_detail_in(&mut tx, &row.id).await?;
            self.idem_complete(&mut tx, ctx, idem, &view).await?;
            tx.commit().await?;
            Ok(view)
        }
        .await;
        match r {
            Ok(v) => Ok(v),
            Err(e) => self.idem_replay_after_race(ctx, idem, e).await,
        }
    }

    /// Lends an available loaner to the customer of an open request: the loan, the
    /// request's `loaner_issued` event (its "loaner by" milestone is met) and the timer of
    /// the overdue alert, in one transaction.
    #[tracing::instrument(skip_all, fields(loaner = %id))]
    pub async fn issue_loaner(
        &self,
        ctx: &Ctx,
        id: &str,
        input: &IssueLoaner,
    ) -> Result<LoanerDetail, AppError> {
        let scope = self.loaner_scope(ctx, Permission::LoanersManage)?;
        let v = input.parse(self.today())?;
        let mut tx = self.db.begin().await?;
        let l = self.loaner_in_scope(tx.conn(), &scope, id.trim()).await?;
        let r = match service_store::get_request(tx.conn(), &v.request).await {
            Ok(r) => r,
            Err(StoreError::NotFound) => {
                return Err(AppError::invalid(FieldError::new(
                    "request",
                    "unknown_request",
                )));
            }
            Err(e) => return Err(e.into()),
        };
        let status = crate::service::requests::request_status_of(&r)?;
        if !matches!(status, RequestStatus::Open | RequestStatus::InProgress) {
            return Err(AppError::Conflict("request_not_open"));
        }
        let after = self.loaner_step(&l, LoanerAction::Issue)?;
        let now = self.now();
        let (actor_id, actor_name) = ctx.event_actor();
        let loan = LoanRow {
            id: LoanId::new().to_string(),
            loaner_id: l.id.clone(),
            request_id: r.id.clone(),
            customer_id: r.customer_id.clone(),
            issued_at: time::to_db(now)?,
            issued_by: actor_id,
            issued_by_name: actor_name,
            expected_return: v.expected_return.to_string(),
            note: v.note.clone(),
            returned_at: None,
            returned_by: None,
            returned_by_name: None,
            condition: None,
            accessories_complete: None,
            inspection_note: None,
            overdue_alert_sent_at: None,
            request_number: r.number.clone(),
            customer_name: String::new(),
        };
        self.save_loaner_step(&mut tx, &l, after).await?;
        store::insert_loan(tx.conn(), &loan)
            .await
            .map_err(|e| match e {
                StoreError::Constraint(_) => AppError::Conflict("loaner_not_available"),
                e => e.into(),
            })?;
        let facts = json!({
            "request_number": r.number, "expected_return": loan.expected_return, "note": loan.note,
        });
        self.loaner_history(
            &mut tx,
            ctx,
            &l.id,
            Some(&loan.id),
            LoanerEventKind::Issued,
            Some(facts.clone()),
        )
        .await?;
        let event = RequestEvent::LoanerIssued(LoanerLent {
            loaner_id: crate::service::requests::stored_id("loaners.id", &l.id)?,
            loan_id: crate::service::requests::stored_id("loans.id", &loan.id)?,
            serial: l.serial.clone(),
            model: l.model.clone(),
            expected_return: v.expected_return,
        });
        self.event(&mut tx, ctx, &r.id, None, event, None).await?;
        let (due, _) = self
            .site()
            .day_bounds(rules::overdue_from(v.expected_return))?;
        job_store::arm(
            tx.conn(),
            &NewJob::new(
                LOANER_OVERDUE,
                format!("loan:{}:overdue", loan.id),
                json!({ "loan_id": loan.id }),
                due,
            ),
            now,
        )
        .await?;
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::Loaner,
            &l.id,
            AuditAction::Issue,
            Some(json!({ "status": l.status })),
            Some(
                json!({ "status": after.as_str(), "loan_id": loan.id, "request_id": r.id,
                "expected_return": loan.expected_return }),
            ),
        )
        .await?;
        let view = self.loaner_detail_in(&mut tx, &l.id).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Takes a loaner back with its inspection: the loan completed, the loaner where its
    /// condition sends it, the request's `loaner_returned` event.
    #[tracing::instrument(skip_all, fields(loaner = %id))]
    pub async fn return_loaner(
        &self,
        ctx: &Ctx,
        id: &str,
        input: &ReturnLoaner,
    ) -> Result<LoanerDetail, AppError> {
        let scope = self.loaner_scope(ctx, Permission::LoanersManage)?;
        let v = input.parse()?;
        let mut tx = self.db.begin().await?;
        let l = self.loaner_in_scope(tx.conn(), &scope, id.trim()).await?;
        let after = self.loaner_step(&l, LoanerAction::Return(v.condition))?;
        let mut loan = store::loans_of_loaner(tx.conn(), &l.id)
            .await?
            .into_iter()
            .find(|n| n.returned_at.is_none())
            .ok_or_else(|| AppError::Internal(format!("loaner {} on loan without a loan", l.id)))?;
        let (actor_id, actor_name) = ctx.event_actor();
        loan.returned_at = Some(time::to_db(self.now())?);
        loan.returned_by = actor_id;
        loan.returned_by_name = Some(actor_name);
        loan.condition = Some(v.condition.as_str().to_owned());
        loan.accessories_complete = Some(i64::from(v.accessories_complete));
        loan.inspection_note = v.note.clone();
        self.save_loaner_step(&mut tx, &l, after).await?;
        if !store::complete_loan(tx.conn(), &loan).await? {
            return Err(AppError::Conflict("loaner_not_on_loan"));
        }
        let facts = json!({
            "request_number": loan.request_number, "condition": v.condition.as_str(),
            "accessories_complete": v.accessories_complete, "note": v.note,
        });
        self.loaner_history(
            &mut tx,
            ctx,
            &l.id,
            Some(&loan.id),
            LoanerEventKind::Returned,
            Some(facts),
        )
        .await?;
        let event = RequestEvent::LoanerReturned(LoanerBack {
            loaner_id: crate::service::requests::stored_id("loaners.id", &l.id)?,
            loan_id: crate::service::requests::stored_id("loans.id", &loan.id)?,
            serial: l.serial.clone(),
            condition: v.condition,
            accessories_complete: v.accessories_complete,
        });
        self.event(&mut tx, ctx, &loan.request_id, None, event, None)
            .await?;
        job_store::cancel(tx.conn(), &format!("loan:{}:overdue", loan.id)).await?;
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::Loaner,
            &l.id,
            AuditAction::Return,
            Some(json!({ "status": l.status })),
            Some(json!({ "status": after.as_str(), "loan_id": loan.id,
                "condition": v.condition.as_str(), "accessories_complete": v.accessories_complete })),
        )
        .await?;
        let view = self.loaner_detail_in(&mut tx, &l.id).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// The loaner's status after `action`, or the domain's refusal as a 409.
    pub(crate) fn loaner_step(
        &self,
        l: &LoanerRow,
        action: LoanerAction,
    ) -> Result<LoanerStatus, AppError> {
        let status =
            crate::service::requests::stored("loaners.status", &l.status, LoanerStatus::parse)?;
        status
            .step(action)
            .map_err(|refusal| AppError::Conflict(refusal.code()))
    }

    pub(crate) async fn save_loaner_step(
        &self,
        tx: &mut Tx,
        l: &LoanerRow,
        after: LoanerStatus,
    ) -> Result<(), AppError> {
        let at = time::to_db(self.now())?;
        if !store::set_status(tx.conn(), &l.id, after.as_str(), l.version, &at).await? {
            return Err(AppError::StaleVersion {
                current: l.version + 1,
            });
        }
        Ok(())
    }

    /// Appends an entry to a loaner's history, in the caller's transaction.
    pub(crate) async fn loaner_history(
        &self,
        tx: &mut Tx,
        ctx: &Ctx,
        loaner_id: &str,
        loan_id: Option<&str>,
        kind: LoanerEventKind,
        data: Option<serde_json::Value>,
    ) -> Result<(), AppError> {
        let (actor_id, actor_name) = ctx.event_actor();
        store::insert_event(
            tx.conn(),
            &LoanerEventRow {
                id: uuid::Uuid::now_v7().to_string(),
                loaner_id: loaner_id.to_owned(),
                loan_id: loan_id.map(str::to_owned),
                at: time::to_db(self.now())?,
                actor_id,
                actor_name,
                kind: kind.as_str().to_owned(),
                data: data.map(|d| d.to_string()),
            },
        )
        .await?;
        Ok(())
    }

    /// The loaner as it stands inside the transaction (what the caller is answered).
    pub(crate) async fn loaner_detail_in(
        &self,
        tx: &mut Tx,
        id: &str,
    ) -> Result<LoanerDetail, AppError> {
        let l = self
            .loaner_in_scope(tx.conn(), &LoanerScope::All, id)
            .await?;
        let loaner = self.loaner_view(tx.conn(), &l).await?;
        let loans = store::loans_of_loaner(tx.conn(), id)
            .await?
            .iter()
            .map(|n| self.loan_view(n))
            .collect::<Result<_, _>>()?;
        let history = store::events_of(tx.conn(), id)
            .await?
            .iter()
            .map(|e| self.loaner_event_view(e))
            .collect::<Result<_, _>>()?;
        Ok(LoanerDetail {
            loaner,
            loans,
            history,
        })
    }
}
