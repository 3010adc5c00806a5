//! The service record (DOMAIN.md R-DSP-7): filled in on site, photos, the customer's
//! signature or the reason they declined (never forced), its content hash, addenda after
//! signing.

use super::{Who, WorkOrderView, note};
use crate::service::requests::required_notes;
use crate::service::requests::{opt_ts, ts};
use crate::{AppError, Ctx};
use aftersales_domain::installed_base::{parse_opt_text, parse_text};
use aftersales_domain::service::record::{RecordFill, awaits_center, record_gaps};
use aftersales_domain::service::{CodeKind, RequestEvent, Signing};
use aftersales_domain::{FieldError, FieldErrors, Permission, UnitId};
use aftersales_store::service::{self as store, CenterCompletionRow, RecordRow, RequestRow};
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
    /// The engineer says no part was used.
    pub no_parts: bool,
    /// Fault cause and action are completed at the center (reference 003): the customer's
    /// copy leaves them off.
    pub cause_at_center: bool,
    /// Everything the customer signs for is there (docs/service-flow.md, "What a filled
    /// record is"): the record may be offered for signature.
    pub filled: bool,
    /// Marked "completed at the center" and not completed yet.
    pub awaits_center: bool,
    /// Fault cause and action as completed at the center, after signing.
    pub center: Option<CenterCompletionView>,
}

/// Fault cause and action of a record marked "completed at the center", as completed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CenterCompletionView {
    pub fault_cause_code: String,
    pub diagnosis: Option<String>,
    pub action_taken: String,
    pub by_name: String,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
}

/// Fault cause and action of a record marked "completed at the center", completed later the
/// same day by the office or the engineer.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct CenterCompletionInput {
    /// A fault-cause code of the catalog for the unit's product line.
    #[schema(min_length = 1, max_length = 32)]
    pub fault_cause_code: Option<String>,
    #[schema(
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub diagnosis: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub action_taken: Option<String>,
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
    /// A fault-cause code of the catalog for the unit's product line
    /// (`GET /api/v1/catalog/codes?kind=cause&product_line=…`).
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
    /// No part was used (instead of listing parts; not both).
    #[serde(default)]
    pub no_parts: bool,
    /// Fault cause and action are completed at the center (reference 003): they may be left
    /// blank, are left off the customer's copy, and are completed the same day.
    #[serde(default)]
    pub cause_at_center: bool,
    /// The engineer offers the record for signature: a record that is not filled is refused
    /// (`record_incomplete`, every gap at once). Without it the record is saved as a draft.
    #[serde(default)]
    pub ready: bool,
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
    pub no_parts: bool,
    pub cause_at_center: bool,
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
                no_parts: self.no_parts,
                cause_at_center: self.cause_at_center,
            })
        })
    }

    /// What decides whether the record as given is filled.
    pub fn fill(&self) -> RecordFill<'_> {
        RecordFill {
            fault_cause_code: self.fault_cause_code.as_deref(),
            action_taken: self.action_taken.as_deref(),
            parts: self.parts.len(),
            no_parts: self.no_parts,
            labor_minutes: self.labor_minutes,
            test_run_done: self.test_run_done,
            cause_at_center: self.cause_at_center,
        }
    }
}

/// What decides whether a stored record is filled.
fn fill_of(r: &RecordRow) -> RecordFill<'_> {
    RecordFill {
        fault_cause_code: r.fault_cause_code.as_deref(),
        action_taken: r.action_taken.as_deref(),
        parts: serde_json::from_str::<Vec<serde_json::Value>>(&r.parts_json).map_or(0, |p| p.len()),
        no_parts: r.no_parts != 0,
        labor_minutes: r.labor_minutes,
        test_run_done: r.test_run_done.map(|v| v != 0),
        cause_at_center: r.cause_at_center != 0,
    }
}

/// Adds the errors of `more` on fields `errs` does not name yet.
fn merge(errs: &mut FieldErrors, more: FieldErrors) {
    for e in more.0 {
        if !errs.0.iter().any(|x| x.field == e.field) {
            errs.push(e);
        }
    }
}

impl CenterCompletionInput {
    /// Cause code and action required, diagnosis optional; all errors at once.
    pub fn parse(&self) -> Result<(String, Option<String>, String), FieldErrors> {
        let mut errs = FieldErrors::new();
        let code = match errs.take(parse_opt_text(
            "fault_cause_code",
            self.fault_cause_code.as_deref(),
            32,
        )) {
            Some(None) => {
                errs.push(FieldError::new("fault_cause_code", "required"));
                None
            }
            other => other.flatten(),
        };
        let diagnosis = note("diagnosis", self.diagnosis.as_deref(), &mut errs);
        let action = match note("action_taken", self.action_taken.as_deref(), &mut errs) {
            Some(None) => {
                errs.push(FieldError::new("action_taken", "required"));
                None
            }
            other => other.flatten(),
        };
        errs.finish(|| Some((code?, diagnosis?, action?)))
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
pub(crate) fn signature_png(s: &str) -> Result<Vec<u8>, FieldError> {
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
    let mut content = serde_json::json!({
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
    });
    // Added only when set, so records signed before these existed keep their hashes.
    if r.no_parts != 0 {
        content["no_parts"] = serde_json::Value::Bool(true);
    }
    if r.cause_at_center != 0 {
        // Left off the customer's copy: not what the customer signed.
        if let Some(o) = content.as_object_mut() {
            for k in ["fault_cause_code", "diagnosis", "action_taken"] {
                o.remove(k);
            }
        }
        content["cause_at_center"] = serde_json::Value::Bool(true);
    }
    content
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
        let rec = self.valid_record(c.tx.conn(), &c.request, input).await?;
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

    /// The errors saving `input` would answer, every one at once, without saving: the
    /// phone's form asks when it has refused fields of its own (hours, ratings).
    #[tracing::instrument(skip_all)]
    pub async fn check_record(
        &self,
        ctx: &Ctx,
        key: &str,
        input: &RecordInput,
    ) -> Result<(), AppError> {
        ctx.require(Permission::FieldWork)?;
        let mut conn = self.db.acquire().await?;
        let (_, r) = self.load_order(&mut conn, ctx, key).await?;
        self.valid_record(&mut conn, &r, input).await.map(|_| ())
    }

    /// The record as given, with every error at once: the fields' own, a cause code not in
    /// the catalog, and (offered for signature) every gap of the record.
    async fn valid_record(
        &self,
        conn: &mut Conn,
        request: &RequestRow,
        input: &RecordInput,
    ) -> Result<ValidRecord, AppError> {
        let parsed = input.parse();
        let mut errs = parsed.as_ref().err().cloned().unwrap_or_default();
        // The code is checked whenever it is well-formed itself, whatever the other fields.
        if let Ok(Some(code)) =
            parse_opt_text("fault_cause_code", input.fault_cause_code.as_deref(), 32)
            && !self.cause_in_catalog(conn, request, &code).await?
        {
            errs.push(FieldError::new("fault_cause_code", "not_in_catalog"));
        }
        let gaps = if input.ready {
            record_gaps(&input.fill())
        } else {
            FieldErrors::new()
        };
        match parsed {
            Ok(rec) if errs.is_empty() && gaps.is_empty() => Ok(rec),
            Ok(_) if errs.is_empty() => Err(AppError::Incomplete("record_incomplete", gaps)),
            _ => {
                merge(&mut errs, gaps);
                Err(AppError::Validation(errs))
            }
        }
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
        // Never put to the customer blank (signed or declined alike).
        let gaps = record_gaps(&fill_of(&rec));
        if !gaps.is_empty() {
            return Err(AppError::Incomplete("record_incomplete", gaps));
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

    /// Whether `code` is an active fault-cause code of the catalog for the request's unit's
    /// product line (or for every line); any active cause code when no unit is known.
    pub(crate) async fn cause_in_catalog(
        &self,
        conn: &mut Conn,
        request: &RequestRow,
        code: &str,
    ) -> Result<bool, AppError> {
        use aftersales_store::installed_base::{products, units};
        let Some(row) =
            aftersales_store::service::catalog::get(&mut *conn, CodeKind::Cause.as_str(), code)
                .await?
        else {
            return Ok(false);
        };
        let line = match request.unit_id.as_deref().map(str::parse::<UnitId>) {
            Some(Ok(u)) => {
                let unit = units::get(&mut *conn, u).await?;
                Some(
                    products::get_product(&mut *conn, unit.product_id)
                        .await?
                        .product_line,
                )
            }
            _ => None,
        };
        Ok(row.active != 0
            && (row.product_line.is_empty() || line.is_none_or(|l| l == row.product_line)))
    }

    /// Completes fault cause and action of a signed record the engineer marked "completed
    /// at the center" (reference 003): by the office (those who reconcile, within their
    /// scope) or the engineer who holds the order. Kept beside the signed record, which never
    /// changes; once.
    #[tracing::instrument(skip_all)]
    pub async fn complete_record_at_center(
        &self,
        ctx: &Ctx,
        key: &str,
        input: &CenterCompletionInput,
    ) -> Result<WorkOrderView, AppError> {
        let office = ctx.require(Permission::Reconcile).is_ok();
        if !office {
            ctx.require(Permission::FieldWork)?;
        }
        let who = if office { Who::Dispatcher } else { Who::Field };
        let mut c = self.change_order(ctx, key, None, who).await?;
        let parsed = input.parse();
        let mut errs = parsed.as_ref().err().cloned().unwrap_or_default();
        if let Ok(Some(code)) =
            parse_opt_text("fault_cause_code", input.fault_cause_code.as_deref(), 32)
            && !self
                .cause_in_catalog(c.tx.conn(), &c.request, &code)
                .await?
        {
            errs.push(FieldError::new("fault_cause_code", "not_in_catalog"));
        }
        let (code, diagnosis, action) = match parsed {
            Ok(v) if errs.is_empty() => v,
            _ => return Err(AppError::Validation(errs)),
        };
        let order = c.before.id.clone();
        let Some(rec) = store::get_record(c.tx.conn(), &order).await? else {
            return Err(AppError::Conflict("record_missing"));
        };
        if rec.cause_at_center == 0 {
            return Err(AppError::Conflict("not_for_the_center"));
        }
        if !is_locked(&rec) {
            return Err(AppError::Conflict("record_not_signed"));
        }
        if store::center_completion_of(c.tx.conn(), &order)
            .await?
            .is_some()
        {
            return Err(AppError::Conflict("completed_at_center"));
        }
        let (by_id, by_name) = ctx.event_actor();
        let row = CenterCompletionRow {
            work_order_id: order,
            fault_cause_code: code.clone(),
            diagnosis: diagnosis.clone(),
            action_taken: action.clone(),
            by_id,
            by_name,
            at: time::to_db(self.now())?,
        };
        store::insert_center_completion(c.tx.conn(), &row).await?;
        // On the request's timeline as an addendum (the event log's kinds are a closed
        // vocabulary; this is a completion kept beside the signed record, like one).
        let body = [Some(code), diagnosis, Some(action)]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · ");
        self.commit_order_change(ctx, c, RequestEvent::Addendum { body }, None)
            .await
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
        let (by_id, by_name) = ctx.event_actor();
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

pub(super) fn record_view(
    r: &RecordRow,
    center: Option<CenterCompletionRow>,
) -> Result<RecordView, AppError> {
    let center = match center {
        Some(c) => Some(CenterCompletionView {
            at: ts("record_center_completions.at", &c.at)?,
            fault_cause_code: c.fault_cause_code,
            diagnosis: c.diagnosis,
            action_taken: c.action_taken,
            by_name: c.by_name,
        }),
        None => None,
    };
    Ok(RecordView {
        no_parts: r.no_parts != 0,
        cause_at_center: r.cause_at_center != 0,
        filled: record_gaps(&fill_of(r)).is_empty(),
        awaits_center: awaits_center(r.cause_at_center != 0, center.is_some()),
        center,
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
        no_parts: i64::from(rec.no_parts),
        cause_at_center: i64::from(rec.cause_at_center),
    })
}
