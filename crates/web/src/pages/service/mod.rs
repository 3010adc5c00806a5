//! The service flow: the agent console and requests, the dispatch board, the engineer's phone, records, the customer portal.

pub(crate) mod dispatch;
pub(crate) mod mobile;
pub(crate) mod portal;
pub(crate) mod records;
pub(crate) mod requests;
pub(crate) mod wo_fmt;
pub(crate) mod work_order;
