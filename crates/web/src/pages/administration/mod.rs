//! Running the system: imports and background jobs.

pub(crate) mod imports;
pub(crate) mod jobs;
