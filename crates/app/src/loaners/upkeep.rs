//! Looking after the pool between loans: a loaner in repair goes back to the pool when it
//! is fixed; one available or in repair is retired by hand. Each is one transaction with
//! its history entry and audit row.

use super::LoanerDetail;
use crate::{AppError, Ctx};
use aftersales_domain::audit::{AuditAction, AuditEntity};
use aftersales_domain::loaners::{self as rules, LoanerAction, LoanerEventKind, LoanerStatus};
use aftersales_domain::{FieldError, FieldErrors, Permission};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

/// Where to move a loaner that is not on loan.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LoanerStatusChange {
    /// `available` (a loaner in repair is fixed) or `retired` (out of the pool for good).
    #[schema(pattern = "^(available|retired)$")]
    pub to: String,
    /// Why (what was repaired, why it is retired).
    #[schema(max_length = 1000)]
    pub note: Option<String>,
}

pub(crate) struct ValidStatusChange {
    action: LoanerAction,
    note: Option<String>,
}

impl LoanerStatusChange {
    pub(crate) fn parse(&self) -> Result<ValidStatusChange, FieldErrors> {
        let mut errs = FieldErrors::new();
        let action = errs.take(match LoanerStatus::parse(self.to.trim()) {
            Some(LoanerStatus::Available) => Ok(LoanerAction::Repaired),
            Some(LoanerStatus::Retired) => Ok(LoanerAction::Retire),
            _ => Err(FieldError::new("to", "invalid_choice")),
        });
        let note = errs.take(rules::parse_opt_text(
            "note",
            self.note.as_deref(),
            rules::MAX_NOTE_CHARS,
        ));
        errs.finish(|| {
            Some(ValidStatusChange {
                action: action?,
                note: note?,
            })
        })
    }
}

impl crate::App {
    /// Moves a loaner that is not on loan: back to the pool after its repair, or out of it.
    #[tracing::instrument(skip_all, fields(loaner = %id))]
    pub async fn set_loaner_status(
        &self,
        ctx: &Ctx,
        id: &str,
        input: &LoanerStatusChange,
    ) -> Result<LoanerDetail, AppError> {
        let scope = self.loaner_scope(ctx, Permission::LoanersManage)?;
        let v = input.parse()?;
        let mut tx = self.db.begin().await?;
        let l = self.loaner_in_scope(tx.conn(), &scope, id.trim()).await?;
        let after = self.loaner_step(&l, v.action)?;
        self.save_loaner_step(&mut tx, &l, after).await?;
        let kind = match v.action {
            LoanerAction::Repaired => LoanerEventKind::Repaired,
            _ => LoanerEventKind::Retired,
        };
        self.loaner_history(
            &mut tx,
            ctx,
            &l.id,
            None,
            kind,
            Some(json!({ "note": v.note })),
        )
        .await?;
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::Loaner,
            &l.id,
            AuditAction::Update,
            Some(json!({ "status": l.status })),
            Some(json!({ "status": after.as_str(), "note": v.note })),
        )
        .await?;
        let view = self.loaner_detail_in(&mut tx, &l.id).await?;
        tx.commit().await?;
        Ok(view)
    }
}
