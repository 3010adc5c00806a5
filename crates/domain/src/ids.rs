//! Opaque identifiers. Internal ids are UUIDv7 (time-ordered, distribution-friendly: no
//! global counter); people see human numbers instead.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

id_type!(
    /// A user account.
    UserId
);
id_type!(
    /// A unit of the service network (center, branch, station, partner, warehouse).
    OrgUnitId
);
id_type!(
    /// A personal API token.
    TokenId
);
id_type!(
    /// A customer record.
    CustomerId
);
id_type!(
    /// A product model.
    ProductId
);
id_type!(
    /// A serial-numbered unit of the installed base.
    UnitId
);
id_type!(
    /// An engineer's skill or certification for one product line.
    CertificationId
);
id_type!(
    /// A service request (报修单).
    RequestId
);
id_type!(
    /// A work order (派工单) of a service request.
    WorkOrderId
);
id_type!(
    /// An entry of a request's event log.
    EventId
);
id_type!(
    /// A background job.
    JobId
);
id_type!(
    /// A loaner unit of the pool (备用机).
    LoanerId
);
id_type!(
    /// One lending of a loaner to a customer.
    LoanId
);
