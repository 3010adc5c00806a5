//! The service flow (DOMAIN.md sections 4 and 5, R-REQ-*, R-DSP-*, R-REC-*): service
//! requests from every channel (device alarms included), work orders and dispatch, the
//! visit's signed record and its verification, the symptom and cause catalog, the
//! customer portal's view of it all, and a customer's or a unit's service history.

pub(crate) mod alarms;
pub(crate) mod booking;
pub(crate) mod catalog;
pub(crate) mod dispatch;
pub(crate) mod history;
pub(crate) mod images;
pub(crate) mod portal;
pub(crate) mod records;
pub(crate) mod requests;
pub(crate) mod transfer;
pub(crate) mod work_orders;
