//! The front office's request pages (docs/service-flow.md "Pages"): the agent console
//! (who is calling, what they own and what happened before, the new request), the list of
//! requests with filters, and a request's page with its work orders, timeline in words and
//! the actions the caller may take.
//!
//! This file holds what the pages share: the words and colors of statuses, the warranty
//! warning, typed times read as instants, who may list requests. `timeline` says the
//! events in words, `console` is the agent's console, `list` the list of requests, `page`
//! one request and its actions.

mod console;
mod list;
mod page;
mod timeline;

pub use console::{console, file_request, new_caller};
pub use list::list;
pub use page::{action, request};
pub use timeline::{ack_text, at, customer_event_text, event_text};

use crate::i18n::Tr;
use crate::shell::WebUser;
use aftersales_app::WarrantyView;
use aftersales_domain::service::{RequestStatus, WaitReason, WoStatus};
use aftersales_domain::{Permission, Role};

// ---------------------------------------------------------------------------------------
// Words and colors shared by the pages

/// The request status as service centers say it (新建, 处理中, …).
pub fn request_status_label(tr: Tr, status: RequestStatus) -> String {
    tr.t_dyn(&format!("requests.status.{}", status.as_str()))
}

/// The work order status as service centers say it; waiting says what for (待配件,
/// 待客户确认, 待报价付款). One vocabulary everywhere: [`super::wo_fmt::status_label`].
pub fn wo_status_label(tr: Tr, status: WoStatus, waiting: Option<WaitReason>) -> String {
    super::wo_fmt::status_label(tr, status, waiting)
}

/// The unfinished statuses (open, in progress) as one value of the status filter
/// (`open,in_progress`): the list offers it, the console looks for a unit's other requests
/// with it.
fn unfinished_statuses() -> String {
    RequestStatus::ALL
        .iter()
        .filter(|s| s.is_active())
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

pub use crate::shell::Pick;

/// The CSS class of a status badge (a request's or a work order's): one color per status
/// (with the name beside it, never the color alone).
pub fn status_class(status: &impl std::fmt::Display) -> String {
    format!("badge st st-{status}")
}

/// "保修已过期 2026-03-01（配件:按成本价收费, 人工费:免费, 上门费:按标准价收费）".
fn warranty_warning(
    tr: Tr,
    in_warranty: bool,
    end: Option<String>,
    parts: &str,
    labor: &str,
    travel: &str,
) -> Option<String> {
    if in_warranty {
        return None;
    }
    // "配件：收费" / "Parts: charged", in the catalogs' punctuation.
    let term = |what: &str, how: &str| {
        tr.f(
            "warranty.term",
            &[
                ("what", tr.t_dyn(&format!("warranty.{what}")).as_str()),
                ("how", tr.t_dyn(&format!("warranty.charge.{how}")).as_str()),
            ],
        )
    };
    let terms = tr.f(
        "warranty.terms",
        &[
            ("parts", &term("parts", parts)),
            ("labor", &term("labor", labor)),
            ("travel", &term("travel", travel)),
        ],
    );
    Some(match end {
        Some(end) => tr.f(
            "console.warranty_expired",
            &[("end", &end), ("terms", &terms)],
        ),
        None => tr.f("console.warranty_none", &[("terms", &terms)]),
    })
}

fn warning_of_view(tr: Tr, w: &WarrantyView) -> Option<String> {
    let c = &w.decision.coverage;
    warranty_warning(
        tr,
        w.decision.in_warranty,
        w.decision.end.map(|d| d.to_string()),
        c.parts.as_str(),
        c.labor.as_str(),
        c.travel.as_str(),
    )
}

/// The same warning from the decision stored with a request (JSON of the warranty view).
fn warning_of_stored(tr: Tr, v: &serde_json::Value) -> Option<String> {
    let d = v.get("decision")?;
    let text = |p: &str| {
        d.pointer(p)
            .and_then(|x| x.as_str())
            .unwrap_or("list_price")
            .to_owned()
    };
    warranty_warning(
        tr,
        d.get("in_warranty")?.as_bool()?,
        d.get("end").and_then(|e| e.as_str()).map(str::to_owned),
        &text("/coverage/parts"),
        &text("/coverage/labor"),
        &text("/coverage/travel"),
    )
}

fn opt(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// A date-and-time picker's value (`YYYY-MM-DD HH:MM`, the site's wall time; see
/// `crate::when`) as an RFC 3339 instant; anything else goes through as typed (the
/// use-case says what is wrong with it).
pub(super) fn local_instant(s: &str) -> Option<String> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let tz = crate::site::get().tz().clone();
    match crate::when::date_time(s) {
        Some(dt) => dt
            .to_zoned(tz)
            .ok()
            .map(|z| z.timestamp().to_string())
            .or_else(|| Some(s.to_owned())),
        None => Some(s.to_owned()),
    }
}

/// A local day's start (or the next day's start) as an RFC 3339 instant.
fn day_bound(s: &str, next: bool) -> Option<String> {
    let d = crate::when::date(s)?;
    let d = if next { d.tomorrow().ok()? } else { d };
    let tz = crate::site::get().tz().clone();
    d.to_zoned(tz).ok().map(|z| z.timestamp().to_string())
}

fn can_list(u: &WebUser) -> bool {
    u.actor.role.can(Permission::RequestsRead) && u.actor.role != Role::Customer
}
