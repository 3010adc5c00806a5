//! Loaner units (备用机, R-PRT-6, R-DSP-5, R-SLA-1; docs/loaners.md): the pool, lending a
//! loaner against a service request, taking it back with an inspection, and the alert to
//! its owner when a loan is overdue. The rules are the domain's (`domain::loaners`); here
//! the views, the queries and the caller's scope, shared by the use-cases of `lending.rs`
//! and the overdue check of `overdue.rs`.
//!
//! Scope: admins, agents and dispatchers see the whole pool; warehouse keepers and
//! managers the loaners owned by their unit's subtree. A loaner outside the scope does not
//! exist (404).

mod lending;
mod overdue;
mod upkeep;

pub use lending::{IssueLoaner, NewLoaner, ReturnLoaner};
pub use overdue::LOANER_OVERDUE;
pub use upkeep::LoanerStatusChange;

use crate::service::requests::{stored, stored_id};
use crate::{AppError, Ctx, Page, Principal, cursor};
use aftersales_domain::loaners::{self as rules, LoanerEventKind, LoanerStatus, ReturnCondition};
use aftersales_domain::{CustomerId, LoanId, LoanerId, OrgUnitId, Permission, RequestId, Role};
use aftersales_store::loaners::{self as store, LoanRow, LoanerEventRow, LoanerFilter, LoanerRow};
use aftersales_store::{Conn, StoreError, time};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A loaner of the pool, as lists and its page show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LoanerView {
    #[schema(value_type = String, format = Uuid)]
    pub id: LoanerId,
    /// The loaner's serial (机身编码), upper case without spaces or hyphens.
    pub serial: String,
    /// Its product model.
    pub model: String,
    #[schema(value_type = String, format = Uuid)]
    pub owner_unit_id: OrgUnitId,
    pub owner_name: String,
    #[schema(value_type = crate::schema::LoanerStatusName)]
    pub status: LoanerStatus,
    /// What goes with it (charger, remote…).
    pub accessories: Vec<String>,
    pub note: Option<String>,
    pub version: i64,
    /// The loan out now, if it is on loan.
    pub current_loan: Option<LoanView>,
    /// Whether the loan out now is past its expected return (the site's calendar).
    pub overdue: bool,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

/// One lending of a loaner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LoanView {
    #[schema(value_type = String, format = Uuid)]
    pub id: LoanId,
    #[schema(value_type = String, format = Uuid)]
    pub loaner_id: LoanerId,
    #[schema(value_type = String, format = Uuid)]
    pub request_id: RequestId,
    pub request_number: String,
    #[schema(value_type = String, format = Uuid)]
    pub customer_id: CustomerId,
    pub customer_name: String,
    #[schema(value_type = String, format = DateTime)]
    pub issued_at: Timestamp,
    pub issued_by_name: String,
    /// The day it is due back (the site's calendar).
    #[schema(value_type = String, format = Date)]
    pub expected_return: Date,
    pub note: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub returned_at: Option<Timestamp>,
    pub returned_by_name: Option<String>,
    #[schema(value_type = Option<crate::schema::ReturnConditionName>)]
    pub condition: Option<ReturnCondition>,
    pub accessories_complete: Option<bool>,
    pub inspection_note: Option<String>,
    /// When the owner was told it is overdue (once per loan).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub overdue_alert_sent_at: Option<Timestamp>,
    /// Out and past its expected return today.
    pub overdue: bool,
}

/// An entry of a loaner's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LoanerEventView {
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub actor_name: String,
    #[schema(value_type = crate::schema::LoanerEventKindName)]
    pub kind: LoanerEventKind,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub loan_id: Option<LoanId>,
    /// The facts of the entry (the request's number, the condition…).
    #[schema(value_type = Option<Object>)]
    pub data: Option<serde_json::Value>,
}

/// A loaner with its loans and its history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LoanerDetail {
    #[serde(flatten)]
    pub loaner: LoanerView,
    /// Newest first.
    pub loans: Vec<LoanView>,
    /// Oldest first; never rewritten.
    pub history: Vec<LoanerEventView>,
}

/// What a list of loaners is narrowed to.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LoanerQuery {
    /// Only loaners in this status (the page's form sends it empty for any).
    #[param(value_type = Option<crate::schema::LoanerStatusName>)]
    pub status: Option<String>,
    /// Only the loaners this unit owns.
    #[param(value_type = Option<String>, format = Uuid)]
    pub owner: Option<String>,
    /// Only loaners out past their expected return.
    pub overdue: Option<bool>,
    #[param(pattern = r"^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
    /// 1–200, 50 by default.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// Whose loaners the caller sees: all, or a subtree's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LoanerScope {
    All,
    Subtree(String),
}

impl LoanerScope {
    pub(crate) fn allows(&self, path: &str) -> bool {
        match self {
            LoanerScope::All => true,
            LoanerScope::Subtree(p) => path.starts_with(p.as_str()),
        }
    }
}

fn loaner_missing(e: StoreError) -> AppError {
    match e {
        StoreError::NotFound => AppError::NotFound("loaner"),
        e => e.into(),
    }
}

impl crate::App {
    /// The caller's scope over loaners, after checking `p`.
    pub(crate) fn loaner_scope(&self, ctx: &Ctx, p: Permission) -> Result<LoanerScope, AppError> {
        ctx.require(p)?;
        Ok(match &ctx.principal {
            Principal::System(_) => LoanerScope::All,
            Principal::User(a) => match a.role {
                Role::Admin | Role::Agent | Role::Dispatcher => LoanerScope::All,
                _ => LoanerScope::Subtree(a.org_path.clone().ok_or(AppError::Forbidden)?),
            },
        })
    }

    /// A loaner the scope shows (else 404).
    pub(crate) async fn loaner_in_scope(
        &self,
        conn: &mut Conn,
        scope: &LoanerScope,
        id: &str,
    ) -> Result<LoanerRow, AppError> {
        let l = store::get_loaner(&mut *conn, id)
            .await
            .map_err(loaner_missing)?;
        if !scope.allows(&l.owner_path) {
            return Err(AppError::NotFound("loaner"));
        }
        Ok(l)
    }

    pub(crate) fn loan_view(&self, n: &LoanRow) -> Result<LoanView, AppError> {
        let expected_return: Date = n.expected_return.parse().map_err(|_| {
            AppError::Internal(format!(
                "loans.expected_return holds {:?}",
                n.expected_return
            ))
        })?;
        let returned_at = time::opt_from_db("loans.returned_at", n.returned_at.as_deref())?;
        Ok(LoanView {
            id: stored_id("loans.id", &n.id)?,
            loaner_id: stored_id("loans.loaner_id", &n.loaner_id)?,
            request_id: stored_id("loans.request_id", &n.request_id)?,
            request_number: n.request_number.clone(),
            customer_id: stored_id("loans.customer_id", &n.customer_id)?,
            customer_name: n.customer_name.clone(),
            issued_at: time::from_db("loans.issued_at", &n.issued_at)?,
            issued_by_name: n.issued_by_name.clone(),
            expected_return,
            note: n.note.clone(),
            returned_at,
            returned_by_name: n.returned_by_name.clone(),
            condition: n
                .condition
                .as_deref()
                .map(|c| stored("loans.condition", c, ReturnCondition::parse))
                .transpose()?,
            accessories_complete: n.accessories_complete.map(|v| v != 0),
            inspection_note: n.inspection_note.clone(),
            overdue_alert_sent_at: time::opt_from_db(
                "loans.overdue_alert_sent_at",
                n.overdue_alert_sent_at.as_deref(),
            )?,
            overdue: rules::is_overdue(expected_return, returned_at.is_some(), self.today()),
        })
    }

    pub(crate) async fn loaner_view(
        &self,
        conn: &mut Conn,
        l: &LoanerRow,
    ) -> Result<LoanerView, AppError> {
        let status = stored("loaners.status", &l.status, LoanerStatus::parse)?;
        let current_loan = if status == LoanerStatus::OnLoan {
            store::loans_of_loaner(&mut *conn, &l.id)
                .await?
                .into_iter()
                .find(|n| n.returned_at.is_none())
                .map(|n| self.loan_view(&n))
                .transpose()?
        } else {
            None
        };
        let accessories: Vec<String> = serde_json::from_str(&l.accessories)
            .map_err(|e| AppError::Internal(format!("loaners.accessories unreadable: {e}")))?;
        Ok(LoanerView {
            id: stored_id("loaners.id", &l.id)?,
            serial: l.serial.clone(),
            model: l.model.clone(),
            owner_unit_id: stored_id("loaners.owner_unit_id", &l.owner_unit_id)?,
            owner_name: l.owner_name.clone(),
            status,
            accessories,
            note: l.note.clone(),
            version: l.version,
            overdue: current_loan.as_ref().is_some_and(|n| n.overdue),
            current_loan,
            created_at: time::from_db("loaners.created_at", &l.created_at)?,
            updated_at: time::from_db("loaners.updated_at", &l.updated_at)?,
        })
    }

    fn loaner_event_view(&self, e: &LoanerEventRow) -> Result<LoanerEventView, AppError> {
        Ok(LoanerEventView {
            at: time::from_db("loaner_events.at", &e.at)?,
            actor_name: e.actor_name.clone(),
            kind: stored("loaner_events.kind", &e.kind, LoanerEventKind::parse)?,
            loan_id: e
                .loan_id
                .as_deref()
                .map(|s| stored_id("loaner_events.loan_id", s))
                .transpose()?,
            data: e
                .data
                .as_deref()
                .map(serde_json::from_str)
                .transpose()
                .map_err(|e| AppError::Internal(format!("loaner_events.data unreadable: {e}")))?,
        })
    }

    /// The pool, by serial, within the caller's scope.
    #[tracing::instrument(skip_all)]
    pub async fn list_loaners(
        &self,
        ctx: &Ctx,
        q: &LoanerQuery,
    ) -> Result<Page<LoanerView>, AppError> {
        let scope = self.loaner_scope(ctx, Permission::LoanersRead)?;
        let mut errs = aftersales_domain::FieldErrors::new();
        let status = match q.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => errs.take(
                LoanerStatus::parse(s)
                    .ok_or_else(|| aftersales_domain::FieldError::new("status", "invalid_choice")),
            ),
            None => None,
        };
        let owner = match q.owner.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => errs.take(
                s.parse::<OrgUnitId>()
                    .map_err(|_| aftersales_domain::FieldError::new("owner", "invalid_id")),
            ),
            None => None,
        };
        let limit = errs.take(aftersales_domain::bounds::check_int(
            "limit",
            q.limit.unwrap_or(50),
            1,
            200,
        ));
        let after = cursor::decode(q.cursor.as_deref())?;
        errs.into_result()?;
        let limit = limit.unwrap_or(50);
        let f = LoanerFilter {
            status: status.map(|s| s.as_str().to_owned()),
            owner_unit_id: owner.map(|o| o.to_string()),
            path_prefix: match scope {
                LoanerScope::All => None,
                LoanerScope::Subtree(p) => Some(p),
            },
            overdue_before: q.overdue.unwrap_or(false).then(|| self.today().to_string()),
            after_serial: after,
            limit,
        };
        let mut conn = self.db.acquire().await?;
        let rows = store::list_loaners(&mut *conn, &f).await?;
        let more = rows.len() as i64 > limit;
        let mut items = Vec::with_capacity(rows.len());
        for l in rows.iter().take(limit as usize) {
            items.push(self.loaner_view(&mut conn, l).await?);
        }
        let next_cursor = more
            .then(|| items.last().map(|l: &LoanerView| cursor::encode(&l.serial)))
            .flatten();
        Ok(Page { items, next_cursor })
    }

    /// One loaner with its loans and its history.
    #[tracing::instrument(skip_all, fields(loaner = %id))]
    pub async fn get_loaner(&self, ctx: &Ctx, id: &str) -> Result<LoanerDetail, AppError> {
        let scope = self.loaner_scope(ctx, Permission::LoanersRead)?;
        let mut conn = self.db.acquire().await?;
        let l = self.loaner_in_scope(&mut conn, &scope, id.trim()).await?;
        let loaner = self.loaner_view(&mut conn, &l).await?;
        let loans = store::loans_of_loaner(&mut *conn, &l.id)
            .await?
            .iter()
            .map(|n| self.loan_view(n))
            .collect::<Result<_, _>>()?;
        let history = store::events_of(&mut *conn, &l.id)
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

    /// The loaners out now against a request the caller may read (the request page's
    /// line). Empty for callers who do not read loaners.
    #[tracing::instrument(skip_all)]
    pub async fn loaners_on_request(
        &self,
        ctx: &Ctx,
        request_id: &str,
    ) -> Result<Vec<(LoanView, String)>, AppError> {
        let scope = self.request_scope(ctx).await?;
        let mut conn = self.db.acquire().await?;
        let r = aftersales_store::service::get_request(&mut *conn, request_id)
            .await
            .map_err(crate::service::requests::not_found)?;
        self.check_request_scope(&mut conn, &scope, &r).await?;
        let mut out = vec![];
        for n in store::open_loans_of_request(&mut *conn, &r.id).await? {
            let serial = store::get_loaner(&mut *conn, &n.loaner_id).await?.serial;
            out.push((self.loan_view(&n)?, serial));
        }
        Ok(out)
    }
}
