//! Running the system: the first start, the audit trail, background jobs, imports and
//! exports.

pub(crate) mod audit;
pub(crate) mod bootstrap;
pub(crate) mod export;
pub(crate) mod import;
pub(crate) mod jobs;
