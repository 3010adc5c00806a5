//! The service network and its people: org units, users, certifications, coverage regions.

pub mod certifications;
pub mod coverage;
pub mod org;
pub mod users;
