//! The service network: users, org units, coverage and certifications.

pub(crate) mod coverage;
pub(crate) mod org;
pub(crate) mod users;
