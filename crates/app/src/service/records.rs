//! After the visit: the signed record's verification (the QR code's page, public), the
//! signature image for print, and the information clerk's daily reconciliation with its
//! random call-backs (R-DSP-7, R-DSP-8).

use crate::service::requests::{opt_ts, stored, stored_opt, ts};
use crate::service::work_orders::{content_hash, record_content, status_of, waiting_of};
use crate::{AppError, Ctx, Principal};
use aftersales_domain::installed_base::parse_opt_notes;
use aftersales_domain::service::{CallbackOutcome, Outcome, RequestEvent, WaitReason, WoStatus};
use aftersales_domain::{FieldError, OrgUnitId, Permission, Role};
use aftersales_store::service::reconciliation as store;
use aftersales_store::service::{self as flow, WorkOrderRow};
use aftersales_store::{StoreError, network::org as org_store, time};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

/// What the verification page may show of a record to anyone holding its QR code: enough to
/// recognize it, nothing more (no phone, no address).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RecordVerification {
    /// The stored record is signed, unchanged since, and carries this hash.
    pub genuine: bool,
    pub work_order_number: String,
    pub request_number: String,
    pub customer_name: String,
    pub unit: Option<String>,
    pub engineer_name: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub signed_at: Option<Timestamp>,
    /// The customer declined to sign (the record was locked with the reason).
    pub declined: bool,
    /// Corrections added after signing (they never change the signed content).
    pub addenda: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CallbackView {
    /// `confirmed`, `discrepancy` or `unreachable`.
    #[schema(value_type = crate::schema::CallbackOutcomeName)]
    pub outcome: CallbackOutcome,
    pub notes: Option<String>,
    pub by_name: String,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
}

/// A visit as the clerk reconciles it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReconLine {
    pub work_order_id: String,
    pub number: String,
    pub request_number: String,
    pub customer_name: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub engineer_name: Option<String>,
    #[schema(value_type = crate::schema::WoStatusName)]
    pub status: WoStatus,
    /// What a waiting order waits for.
    #[schema(value_type = Option<crate::schema::WaitReasonName>)]
    pub waiting_reason: Option<WaitReason>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub appointment_start: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub completed_at: Option<Timestamp>,
    #[schema(value_type = Option<crate::schema::OutcomeName>)]
    pub outcome: Option<Outcome>,
    /// Signed by the customer on the engineer's screen.
    pub signed: bool,
    /// When the record was signed (or signing declined).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub signed_at: Option<Timestamp>,
    pub signature_declined_reason: Option<String>,
    pub callbacks: Vec<CallbackView>,
}

/// One day's reconciliation (R-DSP-8).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReconciliationView {
    #[schema(value_type = String, format = Date)]
    pub day: String,
    /// Every visit completed that day.
    pub completed: Vec<ReconLine>,
    /// Completed without the customer's signature (declined, with the reason).
    pub not_signed: Vec<ReconLine>,
    /// Booked for that day but not reported back (neither completed nor cancelled).
    pub not_reported: Vec<ReconLine>,
    /// The day's random sample of completed visits to call back: the same sample all day.
    pub sample: Vec<ReconLine>,
    /// Records signed by the end of the day whose fault cause and action were marked
    /// "completed at the center" and are not completed yet: every one, earlier days' too,
    /// oldest first (they are due the day they were signed).
    pub center_pending: Vec<ReconLine>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct CallbackInput {
    #[schema(value_type = crate::schema::CallbackOutcomeName)]
    pub outcome: String,
    #[schema(
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReconciliationQuery {
    /// The local day (`YYYY-MM-DD`, in the site's time zone); today when absent.
    /// Years 2000–2100 (as written); an instant needs a UTC offset from −12:00 to +14:00.
    #[param(value_type = Option<String>, format = Date, pattern = r"^$|^(20[0-9]{2}|2100)-")]
    pub day: Option<String>,
}

/// How many of `n` completed visits are called back: a tenth, at least 3, at most 20.
pub fn sample_size(n: usize) -> usize {
    n.min(n.div_ceil(10).clamp(3, 20))
}

/// The day's sample: the visits whose hash with the day sorts first, so the sample is fixed
/// for a day and cannot be known before it.
fn sample_of(day: &str, lines: &[ReconLine]) -> Vec<ReconLine> {
    let mut keyed: Vec<(String, &ReconLine)> = lines
        .iter()
        .map(|l| {
            (
                hex::encode(Sha256::digest(format!("{day}|{}", l.work_order_id))),
                l,
            )
        })
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    keyed
        .into_iter()
        .take(sample_size(lines.len()))
        .map(|(_, l)| l.clone())
        .collect()
}

impl crate::App {
    /// The image of a signed record's signature, for print (same visibility as the order).
    #[tracing::instrument(skip_all)]
    pub async fn record_signature(
        &self,
        ctx: &Ctx,
        key: &str,
    ) -> Result<Option<Vec<u8>>, AppError> {
        let view = self.get_work_order(ctx, key).await?;
        Ok(flow::get_record(self.db.pool(), &view.id)
            .await?
            .and_then(|r| r.signature_png))
    }

    /// Checks a record against the hash in its QR code. Anyone may ask (the page is public);
    /// the answer says only whether it is genuine and what the record is about.
    #[tracing::instrument(skip_all)]
    pub async fn verify_record(
        &self,
        number: &str,
        hash: &str,
    ) -> Result<RecordVerification, AppError> {
        let mut conn = self.db.acquire().await?;
        let w = flow::get_work_order(&mut *conn, number.trim())
            .await
            .map_err(|e| match e {
                StoreError::NotFound => AppError::NotFound("work_order"),
                e => e.into(),
            })?;
        if !w.number.eq_ignore_ascii_case(number.trim()) {
            // Only numbers are accepted here, never internal ids.
            return Err(AppError::NotFound("work_order"));
        }
        let r = flow::get_request(&mut *conn, &w.request_id).await?;
        let rec = flow::get_record(&mut *conn, &w.id).await?;
        let req = self.request_view(&mut conn, &r).await?;
        // Only the holder of the signed copy (its hash, printed in the QR code) learns
        // anything about the record: a wrong hash reads exactly as an unknown number, so the
        // sequential numbers cannot be walked to list who was served.
        let (genuine, signed_at, declined) = match &rec {
            Some(rec)
                if rec.signed_at.is_some()
                    && rec
                        .content_hash
                        .as_deref()
                        .is_some_and(|stored| stored.eq_ignore_ascii_case(hash.trim())) =>
            {
                let photos = self.photo_hashes(&mut conn, &w.id).await?;
                let now_hash = content_hash(&record_content(&w.number, rec, &photos));
                (
                    rec.content_hash.as_deref() == Some(now_hash.as_str()),
                    opt_ts("service_records.signed_at", rec.signed_at.as_deref())?,
                    rec.signature_declined_reason.is_some(),
                )
            }
            _ => return Err(AppError::NotFound("work_order")),
        };
        Ok(RecordVerification {
            genuine,
            work_order_number: w.number.clone(),
            request_number: req.number,
            customer_name: req.customer.name,
            unit: req.unit.map(|u| {
                format!("{} {}", u.product_name, u.serial.unwrap_or_default())
                    .trim()
                    .to_owned()
            }),
            engineer_name: match w.engineer_id.as_deref() {
                Some(e) => Some(self.user_ref(&mut conn, e).await?.name),
                None => None,
            },
            signed_at,
            declined,
            addenda: flow::addenda_of(&mut *conn, &w.id).await?.len() as i64,
        })
    }

    /// The subtree a manager reconciles; everyone else with the right sees all.
    fn recon_scope(&self, ctx: &Ctx) -> Result<Option<String>, AppError> {
        ctx.require(Permission::Reconcile)?;
        Ok(match &ctx.principal {
            Principal::User(a) if a.role == Role::Manager => {
                Some(a.org_path.clone().ok_or(AppError::Forbidden)?)
            }
            _ => None,
        })
    }

    async fn recon_line(
        &self,
        conn: &mut aftersales_store::Conn,
        w: &WorkOrderRow,
    ) -> Result<ReconLine, AppError> {
        let r = flow::get_request(&mut *conn, &w.request_id).await?;
        let c = aftersales_store::installed_base::customers::get(
            &mut *conn,
            r.customer_id
                .parse()
                .map_err(|_| AppError::Internal("customer id".into()))?,
        )
        .await?;
        let rec = flow::get_record(&mut *conn, &w.id).await?;
        let callbacks = store::callbacks_of(&mut *conn, &w.id)
            .await?
            .into_iter()
            .map(|c| {
                Ok(CallbackView {
                    at: ts("callbacks.at", &c.at)?,
                    outcome: stored("callbacks.outcome", &c.outcome, CallbackOutcome::parse)?,
                    notes: c.notes,
                    by_name: c.by_name,
                })
            })
            .collect::<Result<Vec<_>, AppError>>()?;
        Ok(ReconLine {
            work_order_id: w.id.clone(),
            number: w.number.clone(),
            request_number: r.number,
            customer_name: c.name,
            contact_name: r.contact_name,
            contact_phone: r.contact_phone,
            engineer_name: match w.engineer_id.as_deref() {
                Some(e) => Some(self.user_ref(conn, e).await?.name),
                None => None,
            },
            status: status_of(w)?,
            waiting_reason: waiting_of(w)?,
            appointment_start: opt_ts(
                "work_orders.appointment_start",
                w.appointment_start.as_deref(),
            )?,
            completed_at: opt_ts("work_orders.completed_at", w.completed_at.as_deref())?,
            outcome: stored_opt("work_orders.outcome", w.outcome.as_deref(), Outcome::parse)?,
            signed: rec
                .as_ref()
                .is_some_and(|r| r.signature_png.is_some() && r.signed_at.is_some()),
            signed_at: opt_ts(
                "service_records.signed_at",
                rec.as_ref().and_then(|r| r.signed_at.as_deref()),
            )?,
            signature_declined_reason: rec.and_then(|r| r.signature_declined_reason),
            callbacks,
        })
    }

    async fn in_recon_scope(
        &self,
        conn: &mut aftersales_store::Conn,
        scope: &Option<String>,
        w: &WorkOrderRow,
    ) -> Result<bool, AppError> {
        let Some(prefix) = scope else { return Ok(true) };
        Ok(
            match w.org_unit_id.as_deref().map(str::parse::<OrgUnitId>) {
                Some(Ok(o)) => match org_store::get(&mut *conn, o).await {
                    Ok(u) => u.path.starts_with(prefix.as_str()),
                    // A unit since removed lies in nobody's subtree.
                    Err(StoreError::NotFound) => false,
                    Err(e) => return Err(e.into()),
                },
                _ => false,
            },
        )
    }

    /// The day's reconciliation: completed visits, those not signed, those booked but not
    /// reported back, and the day's sample to call back.
    #[tracing::instrument(skip_all)]
    pub async fn reconciliation(
        &self,
        ctx: &Ctx,
        day: Option<&str>,
    ) -> Result<ReconciliationView, AppError> {
        let scope = self.recon_scope(ctx)?;
        let day = match day.map(str::trim).filter(|d| !d.is_empty()) {
            Some(d) => {
                aftersales_domain::bounds::parse_service_day("day", d).map_err(AppError::invalid)?
            }
            None => self.today(),
        };
        let (from, to) = self.site().day_bounds(day)?;
        let (from, to) = (time::to_db(from)?, time::to_db(to)?);
        let mut conn = self.db.acquire().await?;
        let mut completed = Vec::new();
        for w in store::completed_between(&mut *conn, &from, &to).await? {
            if self.in_recon_scope(&mut conn, &scope, &w).await? {
                completed.push(self.recon_line(&mut conn, &w).await?);
            }
        }
        let mut not_reported = Vec::new();
        for w in store::booked_not_done(&mut *conn, &from, &to).await? {
            if self.in_recon_scope(&mut conn, &scope, &w).await? {
                not_reported.push(self.recon_line(&mut conn, &w).await?);
            }
        }
        let mut center_pending = Vec::new();
        for w in store::center_pending(&mut *conn, &to).await? {
            if self.in_recon_scope(&mut conn, &scope, &w).await? {
                center_pending.push(self.recon_line(&mut conn, &w).await?);
            }
        }
        let day_text = day.to_string();
        Ok(ReconciliationView {
            center_pending,
            not_signed: completed.iter().filter(|l| !l.signed).cloned().collect(),
            sample: sample_of(&day_text, &completed),
            day: day_text,
            completed,
            not_reported,
        })
    }

    /// Records the outcome of a call-back to the customer of a completed visit.
    #[tracing::instrument(skip_all)]
    pub async fn record_callback(
        &self,
        ctx: &Ctx,
        key: &str,
        input: &CallbackInput,
    ) -> Result<CallbackView, AppError> {
        let scope = self.recon_scope(ctx)?;
        let outcome = CallbackOutcome::parse(input.outcome.trim())
            .ok_or_else(|| AppError::invalid(FieldError::new("outcome", "invalid_choice")))?;
        let notes =
            parse_opt_notes("notes", input.notes.as_deref(), 2000).map_err(AppError::invalid)?;
        if outcome == CallbackOutcome::Discrepancy && notes.is_none() {
            return Err(AppError::conflict_on("notes", "required"));
        }
        let mut tx = self.db.begin().await?;
        let w = flow::get_work_order(tx.conn(), key.trim())
            .await
            .map_err(|e| match e {
                StoreError::NotFound => AppError::NotFound("work_order"),
                e => e.into(),
            })?;
        if !self.in_recon_scope(tx.conn(), &scope, &w).await? {
            return Err(AppError::NotFound("work_order"));
        }
        if WoStatus::parse(&w.status) != Some(WoStatus::Completed) {
            return Err(AppError::Conflict("illegal_transition"));
        }
        let now = self.now();
        let (by_id, by_name) = ctx.event_actor();
        let row = store::CallbackRow {
            id: uuid::Uuid::now_v7().to_string(),
            work_order_id: w.id.clone(),
            day: self.site().date(now).to_string(),
            outcome: outcome.as_str().to_owned(),
            notes: notes.clone(),
            by_id,
            by_name: by_name.clone(),
            at: time::to_db(now)?,
        };
        store::insert_callback(tx.conn(), &row).await?;
        self.event(
            &mut tx,
            ctx,
            &w.request_id,
            Some(&w.id),
            RequestEvent::Callback {
                outcome,
                notes: notes.clone(),
            },
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(CallbackView {
            outcome,
            notes,
            by_name,
            at: now,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tenth_is_called_back_at_least_three_at_most_twenty() {
        assert_eq!(sample_size(0), 0);
        assert_eq!(sample_size(2), 2);
        assert_eq!(sample_size(3), 3);
        assert_eq!(sample_size(29), 3);
        assert_eq!(sample_size(31), 4);
        assert_eq!(sample_size(200), 20);
        assert_eq!(sample_size(5000), 20);
    }
}
