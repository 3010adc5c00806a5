//! Cash hand-over (R-FEE-3; docs/charges.md "Cash hand-over"): the cash each
//! engineer collected and still holds (older than a day flagged), the engineer handing it
//! over, and the station's manager confirming the counted sum, the difference recorded.
//!
//! Scope: whoever records payments sees and hands over their own cash; managers and admins
//! (`CashConfirm`) see everyone's and confirm.

use super::payments::{PaymentView, payment_view};
use crate::{AppError, Ctx};
use aftersales_domain::audit::{AuditAction, AuditEntity};
use aftersales_domain::charges::{MAX_DOCUMENT_FEN, yuan};
use aftersales_domain::{FieldError, FieldErrors, Permission};
use aftersales_store::charges::handovers::{self as store, HandoverRow};
use aftersales_store::charges::payments as payment_store;
use aftersales_store::time;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

/// Cash held longer than this is flagged: it should have been handed over the same day.
pub const CASH_HELD_WARN_SECS: i64 = 24 * 3600;
pub const MAX_HANDOVER_NOTE_CHARS: usize = 1000;

/// The cash one engineer holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CashHolding {
    pub engineer_id: String,
    pub engineer_name: String,
    /// Net of cash refunds, in fen.
    pub total_fen: i64,
    pub total_yuan: String,
    /// Whether some of it was collected more than a day ago.
    pub overdue: bool,
    pub payments: Vec<HeldPayment>,
}

/// One cash payment not yet handed over.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HeldPayment {
    #[serde(flatten)]
    pub payment: PaymentView,
    /// Collected more than a day ago.
    pub overdue: bool,
}

/// A hand-over of cash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HandoverView {
    #[schema(format = Uuid)]
    pub id: String,
    pub engineer_id: String,
    pub engineer_name: String,
    #[schema(value_type = String, format = DateTime)]
    pub handed_at: Timestamp,
    /// The sum of the payments handed over, in fen.
    pub expected_fen: i64,
    pub expected_yuan: String,
    /// What the manager counted (once confirmed).
    pub counted_fen: Option<i64>,
    /// Counted minus expected (negative: cash missing).
    pub difference_fen: Option<i64>,
    pub confirmed_by_name: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub confirmed_at: Option<Timestamp>,
    pub note: Option<String>,
}

fn handover_view(h: &HandoverRow) -> Result<HandoverView, AppError> {
    Ok(HandoverView {
        id: h.id.clone(),
        engineer_id: h.engineer_id.clone(),
        engineer_name: h.engineer_name.clone(),
        handed_at: time::from_db("cash_handovers.handed_at", &h.handed_at)?,
        expected_fen: h.expected_fen,
        expected_yuan: yuan(h.expected_fen),
        counted_fen: h.counted_fen,
        difference_fen: h.difference_fen,
        confirmed_by_name: h.confirmed_by_name.clone(),
        confirmed_at: h
            .confirmed_at
            .as_deref()
            .map(|t| time::from_db("cash_handovers.confirmed_at", t))
            .transpose()?,
        note: h.note.clone(),
    })
}

/// An engineer handing over the cash they hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct NewHandover {
    #[schema(max_length = 1000)]
    pub note: Option<String>,
}

/// A manager's count of a hand-over.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HandoverConfirm {
    /// Whole fen counted, 0 ..= 10,000,000,000.
    #[schema(value_type = i64, minimum = 0, maximum = 10_000_000_000_i64)]
    pub counted_fen: serde_json::Value,
    #[schema(max_length = 1000)]
    pub note: Option<String>,
}

fn parse_note(v: Option<&str>) -> Result<Option<String>, FieldError> {
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) if s.chars().count() > MAX_HANDOVER_NOTE_CHARS => {
            Err(FieldError::new("note", "too_long"))
        }
        Some(s) => Ok(Some(s.to_owned())),
    }
}

impl crate::App {
    /// The cash each engineer holds (the caller's own unless they confirm hand-overs),
    /// those holding cash longer than a day first.
    #[tracing::instrument(skip_all)]
    pub async fn cash_held(&self, ctx: &Ctx) -> Result<Vec<CashHolding>, AppError> {
        ctx.require(Permission::PaymentsRecord)?;
        let me = ctx.event_actor().0;
        let only = if ctx.can(Permission::CashConfirm) {
            None
        } else {
            Some(me.ok_or(AppError::Forbidden)?)
        };
        let mut conn = self.db.acquire().await?;
        let rows = payment_store::cash_held(&mut *conn, only.as_deref()).await?;
        let now = self.now();
        let mut out: Vec<CashHolding> = Vec::new();
        for p in rows {
            let Some(by) = p.collected_by.clone() else {
                continue;
            };
            let view = payment_view(&p, None)?;
            let overdue = now.duration_since(view.collected_at).as_secs() > CASH_HELD_WARN_SECS;
            match out.last_mut().filter(|h| h.engineer_id == by) {
                Some(h) => {
                    h.total_fen += p.amount_fen;
                    h.overdue |= overdue;
                    h.payments.push(HeldPayment {
                        payment: view,
                        overdue,
                    });
                }
                None => out.push(CashHolding {
                    engineer_id: by,
                    engineer_name: p.collected_by_name.clone(),
                    total_fen: p.amount_fen,
                    total_yuan: String::new(),
                    overdue,
                    payments: vec![HeldPayment {
                        payment: view,
                        overdue,
                    }],
                }),
            }
        }
        for h in &mut out {
            h.total_yuan = yuan(h.total_fen);
        }
        out.sort_by(|a, b| {
            b.overdue
                .cmp(&a.overdue)
                .then(a.engineer_name.cmp(&b.engineer_name))
        });
        Ok(out)
    }

    /// The caller hands over every cash payment they hold (409 `nothing_to_hand_over`).
    #[tracing::instrument(skip_all)]
    pub async fn hand_over_cash(
        &self,
        ctx: &Ctx,
        input: &NewHandover,
    ) -> Result<HandoverView, AppError> {
        ctx.require(Permission::PaymentsRecord)?;
        let note = parse_note(input.note.as_deref()).map_err(AppError::invalid)?;
        let (me, name) = ctx.event_actor();
        let me = me.ok_or(AppError::Forbidden)?;
        let mut tx = self.db.begin().await?;
        let id = uuid::Uuid::now_v7().to_string();
        let mut row = HandoverRow {
            id: id.clone(),
            engineer_id: me.clone(),
            engineer_name: name,
            handed_at: time::to_db(self.now())?,
            expected_fen: 0,
            counted_fen: None,
            difference_fen: None,
            confirmed_by: None,
            confirmed_by_name: None,
            confirmed_at: None,
            note,
        };
        store::insert(tx.conn(), &row).await?;
        if payment_store::hand_over_cash(tx.conn(), &me, &id).await? == 0 {
            return Err(AppError::Conflict("nothing_to_hand_over"));
        }
        // Summed after the rows were taken, so a payment written meanwhile is either in
        // the hand-over and the sum, or in neither.
        row.expected_fen = payment_store::sum_of_handover(tx.conn(), &id).await?;
        store::set_expected(tx.conn(), &id, row.expected_fen).await?;
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::CashHandover,
            &id,
            AuditAction::HandOver,
            None,
            Some(json!({ "expected_fen": row.expected_fen })),
        )
        .await?;
        tx.commit().await?;
        handover_view(&row)
    }

    /// Hand-overs, newest first (the caller's own unless they confirm hand-overs).
    #[tracing::instrument(skip_all)]
    pub async fn cash_handovers(&self, ctx: &Ctx) -> Result<Vec<HandoverView>, AppError> {
        ctx.require(Permission::PaymentsRecord)?;
        let only = if ctx.can(Permission::CashConfirm) {
            None
        } else {
            Some(ctx.event_actor().0.ok_or(AppError::Forbidden)?)
        };
        let mut conn = self.db.acquire().await?;
        store::list(&mut *conn, only.as_deref(), 200)
            .await?
            .iter()
            .map(handover_view)
            .collect()
    }

    /// A manager confirms a hand-over with the counted sum, once (409 `already_confirmed`);
    /// the difference is recorded.
    #[tracing::instrument(skip_all)]
    pub async fn confirm_handover(
        &self,
        ctx: &Ctx,
        id: &str,
        input: &HandoverConfirm,
    ) -> Result<HandoverView, AppError> {
        ctx.require(Permission::CashConfirm)?;
        let mut errs = FieldErrors::new();
        let counted = errs.take(match input.counted_fen.as_i64() {
            None => Err(FieldError::new("counted_fen", "not_an_integer")),
            Some(n) if n < 0 => Err(FieldError::new("counted_fen", "out_of_range")
                .with("min", 0)
                .with("max", MAX_DOCUMENT_FEN)),
            Some(n) if n > MAX_DOCUMENT_FEN => Err(FieldError::new("counted_fen", "out_of_range")
                .with("min", 0)
                .with("max", MAX_DOCUMENT_FEN)),
            Some(n) => Ok(n),
        });
        let note = errs.take(parse_note(input.note.as_deref()));
        let (counted, note) = errs.finish(|| Some((counted?, note?)))?;
        let mut tx = self.db.begin().await?;
        let h = store::get(tx.conn(), id.trim())
            .await
            .map_err(|e| match e {
                aftersales_store::StoreError::NotFound => AppError::NotFound("cash_handover"),
                e => e.into(),
            })?;
        let (by, by_name) = ctx.event_actor();
        let row = HandoverRow {
            counted_fen: Some(counted),
            difference_fen: Some(counted - h.expected_fen),
            confirmed_by: by,
            confirmed_by_name: Some(by_name),
            confirmed_at: Some(time::to_db(self.now())?),
            note: note.or_else(|| h.note.clone()),
            ..h.clone()
        };
        if !store::confirm(tx.conn(), &row).await? {
            return Err(AppError::Conflict("already_confirmed"));
        }
        self.audit(
            &mut tx,
            ctx,
            AuditEntity::CashHandover,
            &h.id,
            AuditAction::Confirm,
            Some(json!({ "expected_fen": h.expected_fen })),
            Some(json!({ "counted_fen": counted, "difference_fen": row.difference_fen })),
        )
        .await?;
        tx.commit().await?;
        handover_view(&row)
    }
}
