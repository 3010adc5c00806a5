use aftersales_domain::{FieldError, FieldErrors};
use aftersales_store::StoreError;
use thiserror::Error;

/// What can go wrong in a use-case. Each variant has a stable `code` that clients may rely
/// on; the web layer maps variants to HTTP status in one place and translates the code.
#[derive(Debug, Error)]
pub enum AppError {
    #[error("authentication required")]
    Unauthenticated,
    #[error("wrong user name or password")]
    InvalidCredentials,
    /// A signed request (a device alarm) whose signature or timestamp is refused; the
    /// code says which (`invalid_signature`, `stale_timestamp`, `alarms_disabled`).
    #[error("signature refused: {0}")]
    BadSignature(&'static str),
    #[error("not allowed")]
    Forbidden,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("invalid input")]
    Validation(FieldErrors),
    /// Well-formed input that the current state refuses, field by field (a taken user
    /// name, a parent that does not exist or cannot hold this kind of unit).
    #[error("conflict with the current state")]
    FieldConflict(FieldErrors),
    /// A rule refused the change; the code says which (e.g. `last_admin`).
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// Well-formed input that is not complete enough for the step asked, field by field;
    /// the code says which step (`record_incomplete`: a service record offered for
    /// signature while blank, docs/service-flow.md).
    #[error("incomplete: {0}")]
    Incomplete(&'static str, FieldErrors),
    /// A move would take a balance below zero; `on_hand` is what is there, in the part's
    /// unit of measure.
    #[error("insufficient stock: {on_hand} on hand")]
    InsufficientStock { on_hand: String },
    #[error("the record was changed by someone else (now version {current})")]
    StaleVersion { current: i64 },
    #[error("idempotency key reused with a different request")]
    IdempotencyKeyReused,
    #[error("too many attempts")]
    RateLimited { retry_after_secs: u64 },
    /// An uploaded file that cannot be read as a table; the code says why
    /// (`unsupported_file_type`, `empty_file`, `no_header`, `too_many_rows`, …).
    #[error("unreadable file: {0}")]
    BadFile(&'static str),
    /// A fault of ours; the cause is logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn invalid(e: FieldError) -> Self {
        AppError::Validation(e.into())
    }

    /// A field whose value the current state refuses.
    pub fn conflict_on(field: &str, code: &'static str) -> Self {
        AppError::FieldConflict(FieldError::new(field, code).into())
    }

    /// The field errors of `Validation` and `FieldConflict`.
    pub fn field_errors(&self) -> Option<&FieldErrors> {
        match self {
            AppError::Validation(e) | AppError::FieldConflict(e) | AppError::Incomplete(_, e) => {
                Some(e)
            }
            _ => None,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated => "unauthenticated",
            AppError::InvalidCredentials => "invalid_credentials",
            AppError::BadSignature(code) => code,
            AppError::Forbidden => "forbidden",
            AppError::NotFound(_) => "not_found",
            AppError::Validation(_) => "validation_failed",
            AppError::FieldConflict(_) => "conflict",
            AppError::Conflict(code) => code,
            AppError::Incomplete(code, _) => code,
            AppError::StaleVersion { .. } => "stale_version",
            AppError::InsufficientStock { .. } => "insufficient_stock",
            AppError::IdempotencyKeyReused => "idempotency_key_reused",
            AppError::RateLimited { .. } => "too_many_attempts",
            AppError::BadFile(code) => code,
            AppError::Internal(_) => "internal",
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound("record"),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<FieldErrors> for AppError {
    fn from(e: FieldErrors) -> Self {
        AppError::Validation(e)
    }
}
