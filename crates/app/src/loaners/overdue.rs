//! The overdue alert (docs/loaners.md): lending a loaner arms a `loaner.overdue` job for
//! the first instant of the day after its expected return (the site's calendar). The job
//! tells the loaner's owner — the warehouse keepers and managers of the owning unit, or of
//! the nearest unit above it that has any — once: the loan's `overdue_alert_sent_at` is
//! set in the same transaction as the messages, only where it is still empty, so a job run
//! twice tells nobody twice. A loan returned before the day has its job cancelled.

use crate::notifications::{keepers_of, same};
use crate::{AppError, Ctx};
use aftersales_domain::audit::{AuditAction, AuditEntity};
use aftersales_domain::loaners::{self as rules, LoanerEventKind};
use aftersales_store::administration::jobs::{self as job_store, NewJob};
use aftersales_store::loaners as store;
use aftersales_store::{StoreError, time};
use jiff::civil::Date;
use serde_json::json;

/// The job kind that checks one loan for being overdue.
pub const LOANER_OVERDUE: &str = "loaner.overdue";

impl crate::App {
    /// Runs the overdue check of one loan (the `loaner.overdue` job).
    #[tracing::instrument(skip_all, fields(loan = %loan_id))]
    pub async fn run_loaner_overdue(&self, loan_id: &str) -> Result<(), AppError> {
        let ctx = Ctx::system("loaners");
        let mut tx = self.db.begin().await?;
        let loan = match store::get_loan(tx.conn(), loan_id).await {
            Ok(l) => l,
            // A loan that does not exist has nothing to tell.
            Err(StoreError::NotFound) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        if loan.returned_at.is_some() || loan.overdue_alert_sent_at.is_some() {
            return Ok(());
        }
        let expected: Date = loan.expected_return.parse().map_err(|_| {
            AppError::Internal(format!(
                "loans.expected_return holds {:?}",
                loan.expected_return
            ))
        })?;
        let now = self.now();
        if !rules::is_overdue(expected, false, self.today()) {
            // Run early (a clock set back): check again when the day comes.
            let (due, _) = self.site().day_bounds(rules::overdue_from(expected))?;
            job_store::arm(
                tx.conn(),
                &NewJob::new(
                    LOANER_OVERDUE,
                    format!("loan:{}:overdue:again", loan.id),
                    json!({ "loan_id": loan.id }),
                    due,
                ),
                now,
            )
            .await?;
            tx.commit().await?;
            return Ok(());
        }
        if !store::mark_overdue_alert(tx.conn(), &loan.id, &time::to_db(now)?).await? {
            return Ok(());
        }
        let loaner = store::get_loaner(tx.conn(), &loan.loaner_id).await?;
        let to = keepers_of(tx.conn(), &loaner.owner_unit_id).await?;
        let link = self.link(&format!("/loaners/{}", loaner.id));
        let params = [
            same("serial", loaner.serial.clone()),
            same("model", loaner.model.clone()),
            same("customer", loan.customer_name.clone()),
            same("number", loan.request_number.clone()),
            same("due", loan.expected_return.clone()),
            same("link", link.clone()),
        ];
        for t in &to {
            self.notify(
                &mut tx,
                t,
                "loaner_overdue",
                Some(&loan.request_id),
                Some(&link),
                &params,
            )
            .await?;
        }
        let names: Vec<String> = to.iter().map(|t| t.name.clone()).collect();
        self.loaner_history(
            &mut tx,
            &ctx,
            &loaner.id,
            Some(&loan.id),
            LoanerEventKind::OverdueAlerted,
            Some(json!({ "request_number": loan.request_number,
                "expected_return": loan.expected_return, "to": names })),
        )
        .await?;
        self.audit(
            &mut tx,
            &ctx,
            AuditEntity::Loaner,
            &loaner.id,
            AuditAction::Update,
            None,
            Some(json!({ "loan_id": loan.id, "overdue_alert_sent_at": time::to_db(now)? })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
