//! The composition root of aftersales: the one place that turns a [`Config`] into a
//! running server — the application over its database, the router of the web layer, the
//! job worker with the mailer and the SMS webhook, housekeeping, and the defaults a fresh
//! database needs. The binary (`main.rs`) and the integration tests both start the server
//! through [`Server::build`], so what is wired here is what the tests see.

pub mod config;
mod server;

pub use config::{Config, Embedded, Secret, redact_url};
pub use server::{Server, describe, open_app};
