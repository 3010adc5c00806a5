//! The site's time zone as the web writes times for people: pages, exports, documents.
//!
//! The value is the app's one setting ([`aftersales_app::App::site`], `site_time_zone` in
//! the configuration). Handlers that hold the state read it there (`s.app.site()`); the
//! free helpers that write times without any state at hand — [`crate::shell::fmt_time`],
//! which templates call, the work orders' times on the board and the phone, exported
//! cells, printed records — read the copy the binary keeps here once at start ([`init`],
//! first thing of every command, from the same configuration the app is built from).
//! Process-wide: a process serves one site. Until it is set (the tests' servers, built in
//! one process with different settings) the helpers use the default site; a second `init`
//! with another zone keeps the first and logs an error.

use aftersales_app::Site;
use std::sync::OnceLock;

static SITE: OnceLock<Site> = OnceLock::new();
static DEFAULT: OnceLock<Site> = OnceLock::new();

/// Keeps the app's site for the helpers; called once by the binary at start.
pub fn init(site: &Site) {
    let kept = SITE.get_or_init(|| site.clone());
    if kept.time_zone() != site.time_zone() {
        tracing::error!(
            kept = kept.time_zone(),
            refused = site.time_zone(),
            "one process serves one site: the web keeps writing times in the first zone"
        );
    }
}

/// The site as the helpers write times in it (the default until [`init`]).
pub fn get() -> &'static Site {
    SITE.get()
        .unwrap_or_else(|| DEFAULT.get_or_init(Site::default))
}
