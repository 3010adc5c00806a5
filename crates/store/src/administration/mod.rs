//! Running the system: the audit trail, background jobs, import batches.

pub mod audit;
pub mod imports;
pub mod jobs;
