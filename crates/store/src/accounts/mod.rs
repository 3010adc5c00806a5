//! Signing in: sessions, API tokens, the login throttle, and the server's own secrets.

pub mod secrets;
pub mod sessions;
pub mod throttle;
pub mod tokens;
