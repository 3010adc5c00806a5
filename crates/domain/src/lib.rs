//! Pure types and rules of aftersales.
//!
//! Nothing here does I/O, async or SQL: values are parsed at the edge into these types
//! (parse, don't validate) and the rules are plain functions over them, so they carry most
//! of the unit and property tests.

pub mod access;
pub mod audit;
pub mod bounds;
pub mod calendar;
pub mod certification;
pub mod charges;
pub mod coverage;
pub mod dispatch;
pub mod holidays;
pub mod ids;
pub mod import;
pub mod installed_base;
pub mod jobs;
pub mod loaners;
pub mod locale;
pub mod notifications;
pub mod org;
pub mod parts;
pub mod region;
pub mod returns;
pub mod service;
pub mod sla;
pub mod user;
pub mod validation;
pub mod warranty;

pub use access::{Permission, Role};
pub use ids::{
    CertificationId, CustomerId, EventId, JobId, LoanId, LoanerId, OrgUnitId, ProductId, RequestId,
    TokenId, UnitId, UserId, WorkOrderId,
};
pub use locale::Locale;
pub use org::{OrgCode, OrgUnitKind, OrgUnitName};
pub use user::{DisplayName, Password, Username};
pub use validation::{FieldError, FieldErrors};
