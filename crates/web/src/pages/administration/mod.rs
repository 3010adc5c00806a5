//! Running the system: the audit trail, imports and background jobs.

pub(crate) mod audit;
pub(crate) mod imports;
pub(crate) mod jobs;
