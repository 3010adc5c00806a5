//! The service network: org units, users, the audit trail, coverage and certifications.

pub(crate) mod admin;
pub(crate) mod coverage;
