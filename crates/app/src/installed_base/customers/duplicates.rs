//! Likely duplicates: other records that share a phone, or the same name at the same
//! address. A warning on the record and in the create answer, never a refusal (imports are
//! stricter, see `administration::import`).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DuplicateHint {
    pub id: String,
    pub number: String,
    /// `phone` or `name_address`.
    pub matched: String,
}
