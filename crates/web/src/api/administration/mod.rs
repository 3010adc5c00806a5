//! Running the system over HTTP: the audit trail, background jobs, imports and exports.

pub(crate) mod audit;
pub(crate) mod io;
pub(crate) mod jobs;
