//! Signing in: sessions, bearer and personal API tokens, and password hashing.

pub(crate) mod auth;
pub(crate) mod passwords;
