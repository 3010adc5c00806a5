//! The service record (DOMAIN.md R-DSP-7): filled in on site, photos, the customer's
//! signature or the reason they declined (never forced), its content hash, addenda after
//! signing.

use super::{Who, WorkOrderView, note};
use crate::service::requests::required_notes;
use crate::service::requests::{opt_ts, ts};
use crate::{AppError, Ctx, Principal};
use aftersales_domain::installed_base::{parse_opt_text, parse_text};
use aftersales_domain::service::{RequestEvent, Signing};
use aftersales_domain::{FieldError, FieldErrors, Permission};
use aftersales_store::service::{self as store, RecordRow};
use aftersales_store::{Conn, StoreError, time};
use base64::Engine;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

/// The largest photo accepted, and how many a work order keeps.
pub const MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;
pub const MAX_PHOTOS: usize = 20;
/// The largest signature image accepted.
pub const MAX_SIGNATURE_BYTES: usize = 1024 * 1024;

/// A part used on the visit (the parts issue connects it to stock).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PartUsed {
    #[schema(max_length = 64, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub part_no: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub name: String,
    #[serde(deserialize_with = "crate::schema::int")]
    #[schema(minimum = 1, maximum = 999)]
    pub qty: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RecordView {
    pub fault_cause_code: Option<String>,
    pub diagnosis: Option<String>,
    pub action_taken: Option<String>,
    pub notes: Option<String>,
    pub parts: Vec<PartUsed>,
    pub labor_minutes: Option<i64>,
    pub test_run_done: Option<bool>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub follow_up_due_at: Option<Timestamp>,
    pub customer_trained: Option<bool>,
    pub rating_quality: Option<i64>,
    pub rating_attitude: Option<i64>,
    /// Signed, or signing declined: the record no longer changes.
    pub locked: bool,
    pub has_signature: bool,
    pub signer_name: Option<String>,
    pub signature_declined_reason: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub signed_at: Option<Timestamp>,
    /// SHA-256 of the record as signed (hex); the QR code's verification link carries it.
    pub content_hash: Option<String>,
    pub version: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PhotoView {
    pub id: String,
    pub content_type: String,
    pub size: i64,
    pub caption: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AddendumView {
    pub body: String,
    pub by_name: String,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
}

/// The service record as the engineer fills it in; saved any number of times until signed.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct RecordInput {
    /// The record's version as read; 0 for the first save.
    #[serde(deserialize_with = "crate::schema::int")]
    #[schema(minimum = 0)]
    pub version: i64,
    #[schema(max_length = 32, pattern = r"^[A-Za-z0-9_.-]*$")]
    pub fault_cause_code: Option<String>,
    #[schema(
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub diagnosis: Option<String>,
    #[schema(
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub action_taken: Option<String>,
    #[schema(
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub notes: Option<String>,
    #[serde(default)]
    #[schema(max_items = 50)]
    pub parts: Vec<PartUsed>,
    #[serde(default, deserialize_with = "crate::schema::opt_int")]
    #[schema(minimum = 0, maximum = 1440)]
    pub labor_minutes: Option<i64>,
    pub test_run_done: Option<bool>,
    pub customer_trained: Option<bool>,
    #[serde(default, deserialize_with = "crate::schema::opt_int")]
    #[schema(minimum = 1, maximum = 5)]
    pub rating_quality: Option<i64>,
    #[serde(default, deserialize_with = "crate::schema::opt_int")]
    #[schema(minimum = 1, maximum = 5)]
    pub rating_attitude: Option<i64>,
}

/// The customer's signature (a PNG, as a `data:image/png;base64,…` URL or plain base64),
/// or the reason they declined to sign. Never both.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct SignatureInput {
    #[schema(max_length = 1500000)]
    pub signature_png: Option<String>,
    #[schema(max_length = 50, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub signer_name: Option<String>,
    #[schema(
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub declined_reason: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct AddendumInput {
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub body: String,
}

fn hex_sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A record whose every field is well-formed ([`RecordInput::parse`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ValidRecord {
    pub fault_cause_code: Option<String>,
    pub diagnosis: Option<String>,
    pub action_taken: Option<String>,
    pub notes: Option<String>,
    pub parts: Vec<PartUsed>,
    pub labor_minutes: Option<i64>,
    pub test_run_done: Option<bool>,
    pub customer_trained: Option<bool>,
    pub rating_quality: Option<i64>,
    pub rating_attitude: Option<i64>,
}

/// `v` within `min..=max`, else `out_of_range` on `field`.
fn in_range(field: &str, v: Option<i64>, min: i64, max: i64, errs: &mut FieldErrors) {
    if v.is_some_and(|v| !(min..=max).contains(&v)) {
        errs.push(
            FieldError::new(field, "out_of_range")
                .with("min", min)
                .with("max", max),
        );
    }
}

impl RecordInput {
    /// Every field checked on its own, all errors at once (a part's errors are named
    /// `parts[i].name`, `parts[i].part_no`, `parts[i].qty`).
    pub fn parse(&self) -> Result<ValidRecord, FieldErrors> {
        let mut errs = FieldErrors::new();
        let e = &mut errs;
        let cause = e.take(parse_opt_text(
            "fault_cause_code",
            self.fault_cause_code.as_deref(),
            32,
        ));
        let diagnosis = note("diagnosis", self.diagnosis.as_deref(), e);
        let action_taken = note("action_taken", self.action_taken.as_deref(), e);
        let notes = note("notes", self.notes.as_deref(), e);
        if self.parts.len() > 50 {
            e.push(FieldError::new("parts", "too_many").with("max", 50));
        }
        let mut parts = Vec::new();
        for (i, p) in self.parts.iter().enumerate() {
            let name = e.take(parse_text(&format!("parts[{i}].name"), &p.name, 100));
            let no = e.take(parse_opt_text(
                &format!("parts[{i}].part_no"),
                p.part_no.as_deref(),
                64,
            ));
            in_range(&format!("parts[{i}].qty"), Some(p.qty), 1, 999, e);
            if let (Some(name), Some(no)) = (name, no) {
                parts.push(PartUsed {
                    part_no: no,
                    name,
                    qty: p.qty,
                });
            }
        }
        in_range("labor_minutes", self.labor_minutes, 0, 1440, e);
        in_range("rating_quality", self.rating_quality, 1, 5, e);
        in_range("rating_attitude", self.rating_attitude, 1, 5, e);
        errs.finish(|| {
            Some(ValidRecord {
                fault_cause_code: cause?,
                diagnosis: diagnosis?,
                action_taken: action_taken?,
                notes: notes?,
                parts,
                labor_minutes: self.labor_minutes,
                test_run_done: self.test_run_done,
                customer_trained: self.customer_trained,
                rating_quality: self.rating_quality,
                rating_attitude: self.rating_attitude,
            })
        })
    }
}

/// A signature or the reason it was declined, well-formed ([`SignatureInput::parse`]); that
/// exactly one is given is the use-case's (a conflict, not a malformed field).
#[derive(Debug, Clone, PartialEq)]
pub struct ValidSignature {
    /// The PNG's bytes, checked to be one.
    pub png: Option<Vec<u8>>,
    pub signer_name: Option<String>,
    pub declined_reason: Option<String>,
}

/// A signature image: a `data:image/png;base64,…` URL or plain base64 of a PNG of at most
/// [`MAX_SIGNATURE_BYTES`] and 4000 × 4000 pixels.
fn signature_png(s: &str) -> Result<Vec<u8>, FieldError> {
    let invalid = || FieldError::new("signature_png", "invalid_image");
    let b64 = s.strip_prefix("data:image/png;base64,").unwrap_or(s);
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|_| invalid())?;
    if bytes.len() > MAX_SIGNATURE_BYTES {
        return Err(
            FieldError::new("signature_png", "too_large").with("max", MAX_SIGNATURE_BYTES as i64)
        );
    }
    if crate::service::images::image_type(&bytes) != Some("image/png")
        || !crate::service::images::png_ok(&bytes, 4000, 4000 * 4000)
    {
        return Err(invalid());
    }
    Ok(bytes)
}

impl SignatureInput {
    pub fn parse(&self) -> Result<ValidSignature, FieldErrors> {
        let mut errs = FieldErrors::new();
        let declined = note(
            "declined_reason",
            self.declined_reason.as_deref(),
            &mut errs,
        );
        let signer = errs.take(parse_opt_text(
            "signer_name",
            self.signer_name.as_deref(),
            50,
        ));
        let png = match self
            .signature_png
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => Some(None),
            Some(s) => errs.take(signature_png(s)).map(Some),
        };
        errs.finish(|| {
            Some(ValidSignature {
                png: png?,
                signer_name: signer?,
                declined_reason: declined?,
            })
        })
    }
}

impl AddendumInput {
    /// The addendum's text (required).
    pub fn parse(&self) -> Result<String, FieldErrors> {
        required_notes("body", &self.body)
    }
}

/// The canonical content of a record, hashed at signing and at verification.
pub(crate) fn record_content(
    wo_number: &str,
    r: &RecordRow,
    photo_hashes: &[String],
) -> serde_json::Value {
    serde_json::json!({
        "work_order": wo_number,
        "fault_cause_code": r.fault_cause_code,
        "diagnosis": r.diagnosis,
        "action_taken": r.action_taken,
        "notes": r.notes,
        "parts": serde_json::from_str::<serde_json::Value>(&r.parts_json).unwrap_or(serde_json::Value::Null),
        "labor_minutes": r.labor_minutes,
        "test_run_done": r.test_run_done,
        "customer_trained": r.customer_trained,
        "rating_quality": r.rating_quality,
        "rating_attitude": r.rating_attitude,
        "photos": photo_hashes,
        "signature_sha256": r.signature_png.as_deref().map(hex_sha256),
        "signer_name": r.signer_name,
        "signature_declined_reason": r.signature_declined_reason,
        "signed_at": r.signed_at,
    })
}

pub(crate) fn content_hash(content: &serde_json::Value) -> String {
    hex_sha256(content.to_string().as_bytes())
}

impl crate::App {
    /// Saves the service record as the engineer fills it in (on site, before signing).
    #[tracing::instrument(skip_all)]
    pub async fn save_record(
        &self,
        ctx: &Ctx,
        key: &str,
        input: &RecordInput,
    ) -> Result<WorkOrderView, AppError> {
        ctx.require(Permission::FieldWork)?;
        let rec = input.parse()?;
        let mut c = self.change_order(ctx, key, None, Who::Field).await?;
        if !c.from.is_on_site() {
            return Err(AppError::Conflict("illegal_transition"));
        }
        let existing = store::get_record(c.tx.conn(), &c.before.id).await?;
        let current = existing.as_ref().map_or(0, |x| x.version);
        if current != input.version {
            return Err(AppError::StaleVersion { current });
        }
        if existing.as_ref().is_some_and(is_locked) {
            return Err(AppError::Conflict("record_locked"));
        }
        let parts = rec.parts.len() as i64;
        let row = new_record_row(&c.before.id, rec, current + 1, self.now())?;
        match existing {
            None => store::insert_record(c.tx.conn(), &row).await?,
            Some(_) => {
                if !store::update_record(c.tx.conn(), &row, current).await? {
                    return Err(AppError::StaleVersion { current });
                }
            }
        }
        let event = RequestEvent::RecordSaved {
            record_version: row.version,
            parts,
        };
        self.commit_order_change(ctx, c, event, None).await
    }

    /// Adds a photo (JPEG, PNG or WebP, by content) to an order not yet completed.
    #[tracing::instrument(skip_all)]
    pub async fn add_photo(
        &self,
        ctx: &Ctx,
        key: &str,
        bytes: &[u8],
        caption: Option<&str>,
    ) -> Result<PhotoView, AppError> {
        ctx.require(Permission::FieldWork)?;
        if bytes.len() > MAX_PHOTO_BYTES {
            return Err(AppError::invalid(
                FieldError::new("photo", "too_large").with("max", MAX_PHOTO_BYTES as i64),
            ));
        }
        // Decoded in full (off the async threads): what is kept is an image and nothing
        // else, so it can be served back as one.
        let owned = bytes.to_vec();
        let checked =
            tokio::task::spawn_blocking(move || crate::service::images::check_photo(&owned))
                .await
                .map_err(|e| AppError::Internal(format!("checking a photo: {e}")))?;
        let (content_type, kept) = match checked {
            Ok(t) => t,
            Err(crate::service::images::ImageProblem::UnknownType) => {
                return Err(AppError::BadFile("unsupported_image_type"));
            }
            Err(crate::service::images::ImageProblem::Corrupt) => {
                return Err(AppError::invalid(FieldError::new("photo", "corrupt_image")));
            }
        };
        let bytes = &bytes[..kept];
        let caption = parse_opt_text("caption", caption, 200).map_err(AppError::invalid)?;
        let mut c = self.change_order(ctx, key, None, Who::Field).await?;
        if c.from.is_terminal() {
            return Err(AppError::Conflict("illegal_transition"));
        }
        let order = c.before.id.clone();
        // Photos are part of the signed record: none are added after signing.
        if store::get_record(c.tx.conn(), &order)
            .await?
            .is_some_and(|r| r.signed_at.is_some())
        {
            return Err(AppError::Conflict("record_locked"));
        }
        if store::photos_of(c.tx.conn(), &order).await?.len() >= MAX_PHOTOS {
            return Err(AppError::conflict_on("photo", "too_many"));
        }
        let meta = store::PhotoMeta {
            id: uuid::Uuid::now_v7().to_string(),
            work_order_id: order,
            content_type: content_type.into(),
            size: bytes.len() as i64,
            caption,
            by_id: ctx.actor().map(|a| a.id.to_string()),
            at: time::to_db(self.now())?,
        };
        store::insert_photo(c.tx.conn(), &meta, bytes).await?;
        let added = RequestEvent::PhotoAdded {
            photo_id: meta.id.clone(),
            size: meta.size,
            sha256: hex_sha256(bytes),
        };
        self.save_order_change(ctx, &mut c, added, None).await?;
        c.tx.commit().await?;
        Ok(PhotoView {
            at: ts("work_order_photos.at", &meta.at)?,
            id: meta.id,
            content_type: meta.content_type,
            size: meta.size,
            caption: meta.caption,
        })
    }

    /// A photo's bytes, for those who may see the order.
    #[tracing::instrument(skip_all)]
    pub async fn photo(
        &self,
        ctx: &Ctx,
        key: &str,
        photo_id: &str,
    ) -> Result<(String, Vec<u8>), AppError> {
        let mut conn = self.db.acquire().await?;
        let (w, _) = self.load_order(&mut conn, ctx, key).await?;
        store::photo_bytes(&mut *conn, &w.id, photo_id.trim())
            .await
            .map_err(|e| match e {
                StoreError::NotFound => AppError::NotFound("photo"),
                e => e.into(),
            })
    }

    /// The customer signs the saved record on the engineer's screen, or declines with a
    /// reason (a signature is never forced, R-DSP-7). Either way the record is locked and
    /// its content hash fixed.
    #[tracing::instrument(skip_all)]
    pub async fn sign_record(
        &self,
        ctx: &Ctx,
        key: &str,
        input: &SignatureInput,
    ) -> Result<WorkOrderView, AppError> {
        ctx.require(Permission::FieldWork)?;
        let ValidSignature {
            png,
            signer_name: signer,
            declined_reason: declined,
        } = input.parse()?;
        match (&png, &declined) {
            (Some(_), Some(_)) => {
                return Err(AppError::conflict_on(
                    "declined_reason",
                    "signature_or_reason",
                ));
            }
            (None, None) => {
                return Err(AppError::conflict_on("signature_png", "required"));
            }
            _ => {}
        }
        let mut c = self.change_order(ctx, key, None, Who::Field).await?;
        if !c.from.is_on_site() {
            return Err(AppError::Conflict("illegal_transition"));
        }
        let Some(rec) = store::get_record(c.tx.conn(), &c.before.id).await? else {
            return Err(AppError::Conflict("record_missing"));
        };
        if is_locked(&rec) {
            return Err(AppError::Conflict("record_locked"));
        }
        let mut after = rec.clone();
        after.signature_png = png;
        // A signature names its signer: the one given, else the request's contact.
        after.signer_name = signer
            .or_else(|| (after.signature_png.is_some()).then(|| c.request.contact_name.clone()));
        after.signature_declined_reason = declined.clone();
        after.signed_at = Some(time::to_db(self.now())?);
        let photo_hashes = self.photo_hashes(c.tx.conn(), &c.before.id).await?;
        let content = record_content(&c.before.number, &after, &photo_hashes);
        after.content_hash = Some(content_hash(&content));
        after.version = rec.version + 1;
        after.updated_at = time::to_db(self.now())?;
        if !store::update_record(c.tx.conn(), &after, rec.version).await? {
            return Err(AppError::StaleVersion {
                current: rec.version,
            });
        }
        let signing = Signing {
            signer_name: after.signer_name.clone(),
            reason: declined.clone(),
            content_hash: after.content_hash.clone(),
        };
        let event = if declined.is_some() {
            RequestEvent::SignatureDeclined(signing)
        } else {
            RequestEvent::RecordSigned(signing)
        };
        self.commit_order_change(ctx, c, event, None).await
    }

    pub(crate) async fn photo_hashes(
        &self,
        conn: &mut Conn,
        work_order_id: &str,
    ) -> Result<Vec<String>, AppError> {
        let mut out = Vec::new();
        for p in store::photos_of(&mut *conn, work_order_id).await? {
            let (_, bytes) = store::photo_bytes(&mut *conn, work_order_id, &p.id).await?;
            out.push(hex_sha256(&bytes));
        }
        Ok(out)
    }

    /// A correction after signing, kept beside the original (which never changes).
    #[tracing::instrument(skip_all)]
    pub async fn add_addendum(
        &self,
        ctx: &Ctx,
        key: &str,
        input: &AddendumInput,
    ) -> Result<WorkOrderView, AppError> {
        if ctx.require(Permission::FieldWork).is_err() {
            ctx.require(Permission::RequestsManage)?;
        }
        let body = input.parse()?;
        // Those who manage requests may add one too (within their scope); an engineer on
        // the order they hold.
        let who = if ctx.require(Permission::RequestsManage).is_ok() {
            Who::RequestManager
        } else {
            Who::Field
        };
        let mut c = self.change_order(ctx, key, None, who).await?;
        let Some(rec) = store::get_record(c.tx.conn(), &c.before.id).await? else {
            return Err(AppError::Conflict("record_missing"));
        };
        if !is_locked(&rec) {
            return Err(AppError::Conflict("record_not_signed"));
        }
        let (by_id, by_name) = match &ctx.principal {
            Principal::User(a) => (Some(a.id.to_string()), a.display_name.clone()),
            Principal::System(n) => (None, format!("system:{n}")),
        };
        let row = store::AddendumRow {
            id: uuid::Uuid::now_v7().to_string(),
            work_order_id: c.before.id.clone(),
            body: body.clone(),
            by_id,
            by_name,
            at: time::to_db(self.now())?,
        };
        store::insert_addendum(c.tx.conn(), &row).await?;
        let event = RequestEvent::Addendum { body };
        self.commit_order_change(ctx, c, event, None).await
    }
}

pub(super) fn record_view(r: &RecordRow) -> Result<RecordView, AppError> {
    Ok(RecordView {
        fault_cause_code: r.fault_cause_code.clone(),
        diagnosis: r.diagnosis.clone(),
        action_taken: r.action_taken.clone(),
        notes: r.notes.clone(),
        parts: match serde_json::from_str(&r.parts_json) {
            Ok(p) => p,
            // A damaged list (a damaged database) still lets the order open; what was
            // signed stays checkable through the record's hash.
            Err(e) => {
                tracing::warn!(work_order = %r.work_order_id, error = %e, "unreadable parts list shown as empty");
                Vec::new()
            }
        },
        labor_minutes: r.labor_minutes,
        test_run_done: r.test_run_done.map(|v| v != 0),
        follow_up_due_at: opt_ts(
            "service_records.follow_up_due_at",
            r.follow_up_due_at.as_deref(),
        )?,
        customer_trained: r.customer_trained.map(|v| v != 0),
        rating_quality: r.rating_quality,
        rating_attitude: r.rating_attitude,
        locked: is_locked(r),
        has_signature: r.signature_png.is_some(),
        signer_name: r.signer_name.clone(),
        signature_declined_reason: r.signature_declined_reason.clone(),
        signed_at: opt_ts("service_records.signed_at", r.signed_at.as_deref())?,
        content_hash: r.content_hash.clone(),
        version: r.version,
    })
}

/// Signed, or signing declined: the record no longer changes.
fn is_locked(r: &RecordRow) -> bool {
    r.signed_at.is_some() || r.signature_declined_reason.is_some()
}

/// The record's row as the engineer saved it (`version`), not yet signed.
fn new_record_row(
    work_order_id: &str,
    rec: ValidRecord,
    version: i64,
    now: Timestamp,
) -> Result<RecordRow, AppError> {
    Ok(RecordRow {
        work_order_id: work_order_id.to_owned(),
        fault_cause_code: rec.fault_cause_code,
        diagnosis: rec.diagnosis,
        action_taken: rec.action_taken,
        notes: rec.notes,
        parts_json: serde_json::to_string(&rec.parts)
            .map_err(|e| AppError::Internal(e.to_string()))?,
        labor_minutes: rec.labor_minutes,
        test_run_done: rec.test_run_done.map(i64::from),
        follow_up_due_at: None,
        customer_trained: rec.customer_trained.map(i64::from),
        rating_quality: rec.rating_quality,
        rating_attitude: rec.rating_attitude,
        signature_png: None,
        signer_name: None,
        signature_declined_reason: None,
        signed_at: None,
        content_hash: None,
        version,
        updated_at: time::to_db(now)?,
    })
}
