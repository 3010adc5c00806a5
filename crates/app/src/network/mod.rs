//! The service network and its people (DOMAIN.md section 1, R-ORG-*): org units, user
//! accounts, engineers' certifications, and the regions each unit covers.

pub(crate) mod certifications;
pub(crate) mod coverage;
pub(crate) mod org;
pub(crate) mod users;

use crate::AppError;
use aftersales_domain::OrgUnitId;
use aftersales_store::{Conn, network::org as org_store};

/// The ids of a unit and the units above it, the root first.
pub(crate) async fn unit_chain(
    conn: &mut Conn,
    unit: Option<&str>,
) -> Result<Vec<String>, AppError> {
    let Some(id) = unit.and_then(|u| u.parse::<OrgUnitId>().ok()) else {
        return Ok(vec![]);
    };
    match org_store::get(&mut *conn, id).await {
        Ok(o) => Ok(o
            .path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()),
        Err(aftersales_store::StoreError::NotFound) => Ok(vec![]),
        Err(e) => Err(e.into()),
    }
}
