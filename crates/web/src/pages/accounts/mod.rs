//! Signing in and the caller's own account.

pub(crate) mod account;
pub(crate) mod auth;
