//! The service network and its people (DOMAIN.md section 1, R-ORG-*): org units, user
//! accounts, engineers' certifications, and the regions each unit covers.

pub(crate) mod certifications;
pub(crate) mod coverage;
pub(crate) mod org;
pub(crate) mod users;
