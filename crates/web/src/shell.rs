//! What every page shares: the shell (navigation, user, language), the signed-in user
//! extractor, form errors, choices and banners, the message page and page errors, safe
//! redirects, and times as people here read them.

use crate::AppState;
use crate::i18n::Tr;
use crate::request::{Htmx, SESSION_COOKIE, cookie, locale_of, request_id_of};
use aftersales_app::{Actor, AppError, Ctx};
use aftersales_domain::{FieldErrors, Locale, Permission, Role};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// The CSRF token of this request (put there by the CSRF layer), for the forms.
#[derive(Clone, Debug)]
pub struct CsrfToken(pub String);

/// A link of the navigation.
#[derive(Clone)]
pub struct NavItem {
    pub href: &'static str,
    pub label: String,
    pub current: bool,
}

/// An area of the menu (front office, dispatch, installed base, …) and its links.
#[derive(Clone)]
pub struct NavGroup {
    /// The area's name in the markup (`nav-g-front`).
    pub key: &'static str,
    pub label: String,
    pub items: Vec<NavItem>,
}

impl NavGroup {
    /// The current page lies in this area.
    pub fn current(&self) -> bool {
        self.items.iter().any(|i| i.current)
    }

    /// An area of one link is shown as that link.
    pub fn single(&self) -> Option<&NavItem> {
        match self.items.as_slice() {
            [one] => Some(one),
            _ => None,
        }
    }
}

#[derive(Clone)]
pub struct ShellUser {
    pub display_name: String,
    pub role_label: String,
}

/// What every page's frame needs: language, CSRF token, the user and their navigation.
#[derive(Clone)]
pub struct Shell {
    pub tr: Tr,
    pub csrf: String,
    pub user: Option<ShellUser>,
    pub nav: Vec<NavGroup>,
    /// The current path and query, URL-encoded, for the language links to come back to.
    pub back: String,
    pub role: String,
}

/// Where a role lands (`/`): its work (issue 13). `None`: the home page itself (the
/// figures of a manager or an admin; the account page of the warehouse until it has work).
pub fn home_of(role: Role) -> Option<&'static str> {
    match role {
        Role::Agent => Some("/console"),
        Role::Dispatcher => Some("/dispatch"),
        Role::Engineer | Role::Partner => Some("/m"),
        Role::Customer => Some("/portal"),
        Role::Admin | Role::Manager | Role::Warehouse => None,
    }
}

/// The pages a role may open, by area, in menu order (permission decided by `Role::can`):
/// (area, its links as (path, name's key)); an area's name is `nav.group.<area>`. Areas
/// without a link are left out.
pub type NavArea = (&'static str, Vec<(&'static str, &'static str)>);

pub fn nav_for(role: Role) -> Vec<NavArea> {
    let mut groups = vec![];
    let mut group = |key: &'static str, links: &[(bool, &'static str, &'static str)]| {
        let items: Vec<_> = links
            .iter()
            .filter(|(may, _, _)| *may)
            .map(|(_, href, label)| (*href, *label))
            .collect();
        if !items.is_empty() {
            groups.push((key, items));
        }
    };
    let can = |p| role.can(p);
    group(
        "front",
        &[
            (can(Permission::RequestsIntake), "/console", "console.nav"),
            (can(Permission::RequestsManage), "/requests", "requests.nav"),
            (
                can(Permission::Reconcile),
                "/reconciliation",
                "nav.reconciliation",
            ),
        ],
    );
    group(
        "dispatch",
        &[
            (can(Permission::Dispatch), "/dispatch", "dispatch.nav"),
            (can(Permission::Dispatch), "/sla", "sla.nav"),
            (
                can(Permission::UnitCalendarsManage) || can(Permission::Dispatch),
                "/admin/calendars",
                "sla.calendars_nav",
            ),
            (
                can(Permission::FeeSchedulesManage),
                "/fee-schedules",
                "fees.nav",
            ),
        ],
    );
    group(
        "field",
        &[
            (can(Permission::FieldWork), "/m", "engineer.nav"),
            (can(Permission::FieldWork), "/m/van", "van.nav"),
            // The cash in hand and its hand-over (docs/charges.md): the engineer's own,
            // and the managers who confirm it.
            (
                can(Permission::FieldWork) || can(Permission::CashConfirm),
                "/cash",
                "cash.nav",
            ),
        ],
    );
    group("portal", &[(role.is_customer(), "/portal", "portal.nav")]);
    group(
        "installed_base",
        &[
            (
                can(Permission::CustomersRead),
                "/customers",
                "nav.customers",
            ),
            (can(Permission::UnitsRead), "/units", "nav.units"),
            (can(Permission::UnitsRead), "/contracts", "nav.contracts"),
            (can(Permission::ProductsRead), "/products", "nav.products"),
            (
                can(Permission::ProductsRead),
                "/warranty-policies",
                "nav.policies",
            ),
            (can(Permission::ImportData), "/imports", "io.nav"),
        ],
    );
    group(
        "parts",
        &[
            (can(Permission::StockRead), "/stock", "stock.nav"),
            (can(Permission::StockRead), "/stock/counts", "stocktake.nav"),
            (
                can(Permission::StockRead),
                "/requisitions",
                "requisitions.nav",
            ),
            (can(Permission::PartsRead), "/parts", "parts.nav"),
            (can(Permission::LoanersManage), "/loaners", "loaners.nav"),
            (can(Permission::StockMove), "/defect-returns", "defects.nav"),
            (can(Permission::QualityRead), "/quality", "quality.nav"),
        ],
    );
    group(
        "network",
        &[
            (can(Permission::OrgRead), "/org-units", "nav.org_units"),
            (can(Permission::UsersRead), "/admin/users", "nav.users"),
            (
                can(Permission::CertificationsRead),
                "/certifications",
                "network.nav",
            ),
        ],
    );
    group(
        "system",
        &[
            // Admins read the whole trail, managers their subtree's (issue 13, defect 11).
            (can(Permission::AuditReadUnits), "/admin/audit", "nav.audit"),
            (can(Permission::JobsManage), "/admin/jobs", "nav.jobs"),
        ],
    );
    group(
        "account",
        &[
            (true, "/me/password", "nav.password"),
            // API tokens are for staff's and partners' integrations, not the portal's users.
            (can(Permission::OwnTokens), "/me/tokens", "nav.tokens"),
        ],
    );
    groups
}

/// Who acted, as the reader says it: a person by their name (data), the system's own
/// processes (the app names them `system:<process>`) as "系统" / "System".
pub fn actor_words(tr: impl std::borrow::Borrow<Tr>, name: impl AsRef<str>) -> String {
    let name = name.as_ref();
    if aftersales_domain::user::is_system_actor(name) {
        tr.borrow().t("common.system").to_owned()
    } else {
        name.to_owned()
    }
}

/// The bell of the top bar, drawn (an emoji would need a font the reader may not have).
pub const BELL_SVG: &str = "<svg class=\"icon\" aria-hidden=\"true\" viewBox=\"0 0 24 24\" width=\"18\" height=\"18\"><path fill=\"currentColor\" d=\"M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1Z\"/></svg>";

pub fn encode_component(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

impl Shell {
    /// A frame without a user, navigation or form token (error pages outside a session).
    pub fn bare(tr: Tr) -> Self {
        Shell {
            tr,
            csrf: String::new(),
            user: None,
            nav: Vec::new(),
            back: "/".into(),
            role: String::new(),
        }
    }

    pub fn new(parts: &Parts, actor: Option<&Actor>) -> Self {
        let tr = Tr::new(locale_of(&parts.headers));
        let csrf = parts
            .extensions
            .get::<CsrfToken>()
            .map(|c| c.0.clone())
            .unwrap_or_default();
        let path = parts.uri.path();
        let back = encode_component(
            parts
                .uri
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/"),
        );
        let (user, nav, role) = match actor {
            Some(a) => (
                Some(ShellUser {
                    display_name: a.display_name.clone(),
                    role_label: tr.t_dyn(&format!("role.{}", a.role)),
                }),
                nav_for(a.role)
                    .into_iter()
                    .map(|(key, links)| NavGroup {
                        key,
                        label: tr.t_dyn(&format!("nav.group.{key}")),
                        items: links
                            .into_iter()
                            .map(|(href, label)| NavItem {
                                href,
                                label: tr.t_dyn(label),
                                current: href == path || path.starts_with(&format!("{href}/")),
                            })
                            .collect(),
                    })
                    .collect(),
                a.role.as_str().to_owned(),
            ),
            None => (None, Vec::new(), String::new()),
        };
        Shell {
            tr,
            csrf,
            user,
            nav,
            back,
            role,
        }
    }
}

/// A signed-in user of the pages (session cookie). Without a valid session the request is
/// sent to the login page.
pub struct WebUser {
    pub ctx: Ctx,
    pub actor: Actor,
    pub shell: Shell,
    pub token: String,
}

impl WebUser {
    pub fn tr(&self) -> Tr {
        self.shell.tr
    }
}

impl FromRequestParts<AppState> for WebUser {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Self::Rejection> {
        let to_login = |parts: &Parts| {
            let next = parts
                .uri
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/");
            let target = if next == "/" {
                "/login".to_owned()
            } else {
                format!("/login?next={}", encode_component(next))
            };
            redirect_for(Htmx::of(&parts.headers), &target)
        };
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE).map(str::to_owned) else {
            return Err(to_login(parts));
        };
        match s.app.authenticate_session(&token).await {
            Ok(actor) => {
                let shell = Shell::new(parts, Some(&actor));
                if let Some(slot) = parts.extensions.get::<ShellSlot>() {
                    slot.put(shell.clone());
                }
                let ctx = Ctx::user(actor.clone(), request_id_of(&parts.headers));
                Ok(WebUser {
                    ctx,
                    actor,
                    shell,
                    token,
                })
            }
            Err(AppError::Unauthenticated) => Err(to_login(parts)),
            Err(e) => Err(PageError::new(e, Tr::new(locale_of(&parts.headers))).into_response()),
        }
    }
}

/// A choice of a select box.
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// A language of the switcher in the top bar.
pub struct Language {
    pub code: &'static str,
    pub name: &'static str,
    pub current: bool,
}

impl Shell {
    /// The languages of the switcher, the page's own marked current.
    pub fn languages(&self) -> Vec<Language> {
        Locale::ALL
            .into_iter()
            .map(|l| Language {
                code: l.as_str(),
                name: l.own_name(),
                current: l == self.tr.locale,
            })
            .collect()
    }
}

/// One option of a select over a closed vocabulary: its name, its words and whether it is
/// the current value (templates ask the flag, never compare names).
pub struct Pick {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Pick {
    /// Every name with its words from the catalog (`{words}.{name}`), `current` selected.
    pub fn all(tr: Tr, names: &[&'static str], words: &str, current: Option<&str>) -> Vec<Pick> {
        names
            .iter()
            .map(|v| Pick {
                value: (*v).to_owned(),
                label: tr.t_dyn(&format!("{words}.{v}")),
                selected: current == Some(*v),
            })
            .collect()
    }
}

/// A message above a form.
pub enum Banner {
    None,
    Notice(String),
    Alert(String),
}

impl Banner {
    /// The banner as the templates take it: (alert, notice).
    pub fn split(self) -> (Option<String>, Option<String>) {
        match self {
            Banner::None => (None, None),
            Banner::Notice(n) => (None, Some(n)),
            Banner::Alert(a) => (Some(a), None),
        }
    }
}

/// Field errors as sentences, by field name, for the templates.
#[derive(Default)]
pub struct FormErrors(pub BTreeMap<String, String>);

impl FormErrors {
    /// A stale edit: someone saved the record in between; said beside the version.
    pub fn stale(tr: Tr) -> Self {
        let mut m = BTreeMap::new();
        m.insert("version".to_owned(), tr.t("error.stale_version").to_owned());
        Self(m)
    }

    pub fn from_fields(e: &FieldErrors, tr: Tr) -> Self {
        let mut m = BTreeMap::new();
        for f in &e.0 {
            m.entry(f.field.clone())
                .or_insert_with(|| tr.field_error(f));
        }
        FormErrors(m)
    }

    pub fn of(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "message.html")]
pub struct MessagePage {
    pub shell: Shell,
    pub title: String,
    pub message: String,
    pub kind: &'static str,
}

/// An error shown as a page, in the frame of the signed-in user (their navigation) when
/// there is one. Handlers return it with `?` (`From<AppError>`): [`error_pages`] then puts
/// it in the frame the request's [`WebUser`] had, or a bare one in the request's language.
pub struct PageError {
    error: AppError,
    /// Boxed: the frame is large, and the error travels in every page handler's `Result`.
    shell: Option<Box<Shell>>,
}

impl PageError {
    /// The error in a bare frame (no user, no navigation) in the given language.
    pub fn new(error: AppError, tr: Tr) -> Self {
        Self {
            error,
            shell: Some(Box::new(Shell::bare(tr))),
        }
    }
}

impl From<AppError> for PageError {
    fn from(error: AppError) -> Self {
        Self { error, shell: None }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self.shell {
            Some(shell) => error_page(&self.error, *shell),
            None => {
                let mut r = crate::problem::status_of(&self.error).into_response();
                r.extensions_mut()
                    .insert(UnrenderedPage(Arc::new(self.error)));
                r
            }
        }
    }
}

/// A page error waiting for its frame (see [`error_pages`]).
#[derive(Clone)]
struct UnrenderedPage(Arc<AppError>);

/// The frame of the request's signed-in user, kept by [`WebUser`] for [`error_pages`].
#[derive(Clone, Default)]
struct ShellSlot(Arc<Mutex<Option<Shell>>>);

impl ShellSlot {
    fn put(&self, shell: Shell) {
        if let Ok(mut s) = self.0.lock() {
            *s = Some(shell);
        }
    }

    fn take(&self) -> Option<Shell> {
        self.0.lock().ok().and_then(|mut s| s.take())
    }
}

/// The layer of the pages that renders the errors their handlers return with `?`: in the
/// frame of the request's signed-in user, else in a bare one in the request's language.
pub async fn error_pages(mut req: Request, next: Next) -> Response {
    let slot = ShellSlot::default();
    req.extensions_mut().insert(slot.clone());
    let tr = Tr::new(locale_of(req.headers()));
    let mut resp = next.run(req).await;
    match resp.extensions_mut().remove::<UnrenderedPage>() {
        Some(UnrenderedPage(error)) => {
            error_page(&error, slot.take().unwrap_or_else(|| Shell::bare(tr)))
        }
        None => resp,
    }
}

/// The message page of an error (a sign-in for an expired session).
fn error_page(error: &AppError, shell: Shell) -> Response {
    if matches!(error, AppError::Unauthenticated) {
        return redirect("/login").into_response();
    }
    let status = crate::problem::status_of(error);
    if let AppError::Internal(cause) = error {
        tracing::error!(cause = %cause, "internal error on a page");
    }
    let tr = shell.tr;
    let title = tr.t_dyn(&format!("status.{}", status.as_u16()));
    let title = if title.starts_with("status.") {
        status.to_string()
    } else {
        title
    };
    let page = MessagePage {
        shell,
        title,
        message: tr.t_error(error.code()),
        kind: "error",
    };
    (status, page).into_response()
}

/// The page of an unknown path.
pub fn not_found_page(locale: Locale) -> Response {
    PageError::new(AppError::NotFound("page"), Tr::new(locale)).into_response()
}

/// The one rule for where the pages send a browser back to (`back`, `next`, and every
/// redirect the pages answer, through [`redirect`]): only a path of this site. A target is
/// refused — and `/` used instead — unless it starts with a single `/` and, as given and
/// after each of up to three rounds of percent-decoding (a proxy or a browser may decode
/// once more), it holds no control character (0x00–0x1F, 0x7F), no whitespace and no
/// backslash anywhere, and its path (before `?` or `#`) has no empty, `.` or `..` segment
/// (so neither `//host` nor `/\host` nor `/%2F/host`) and no Unicode whitespace. A scheme
/// (`https:evil`) or an authority cannot pass the first rule. What passes is printable
/// ASCII: bytes above 0x7F are percent-encoded, so the header is always valid.
pub fn safe_back(back: Option<&str>) -> String {
    back.and_then(local_target)
        .unwrap_or_else(|| "/".to_owned())
}

/// Longest target followed; longer ones are not a page of ours.
const MAX_TARGET: usize = 2048;

fn local_target(b: &str) -> Option<String> {
    if b.len() > MAX_TARGET {
        return None;
    }
    let mut cur = b.as_bytes().to_vec();
    for round in 0.. {
        if !target_form_is_local(&cur, round == 0) {
            return None;
        }
        let next = percent_decode(&cur);
        if next == cur {
            break;
        }
        if round == 3 {
            // Still encoded after three rounds: nobody links like that.
            return None;
        }
        cur = next;
    }
    let mut out = String::with_capacity(b.len());
    for &c in b.as_bytes() {
        if c.is_ascii() {
            out.push(c as char);
        } else {
            out.push_str(&format!("%{c:02X}"));
        }
    }
    Some(out)
}

/// One form (as given, or decoded) of a target: see [`safe_back`]. `raw` is the form as
/// given, where even a space in the query is refused (a browser sends it encoded).
fn target_form_is_local(t: &[u8], raw: bool) -> bool {
    if t.first() != Some(&b'/') {
        return false;
    }
    if t.iter().any(|&c| c < 0x20 || c == 0x7F || c == b'\\') {
        return false;
    }
    if raw && t.contains(&b' ') {
        return false;
    }
    let end = t
        .iter()
        .position(|&c| c == b'?' || c == b'#')
        .unwrap_or(t.len());
    let path = String::from_utf8_lossy(&t[..end]);
    if path.chars().any(char::is_whitespace) {
        return false;
    }
    // Every segment has a name (a trailing slash aside), and none is a dot segment.
    let segs: Vec<&str> = path[1..].split('/').collect();
    let last = segs.len() - 1;
    segs.iter()
        .enumerate()
        .all(|(i, seg)| (i == last || !seg.is_empty()) && *seg != "." && *seg != "..")
}

fn percent_decode(s: &[u8]) -> Vec<u8> {
    crate::request::percent_decode(s, false)
}

/// A redirect of the pages (303 See Other), always to a target [`safe_back`] accepts.
pub fn redirect(target: &str) -> Redirect {
    Redirect::to(&safe_back(Some(target)))
}

/// A redirect that htmx follows too: to htmx, `HX-Redirect` (a followed 303 would swap the
/// target's whole page into the element); to a browser, [`redirect`].
pub fn redirect_for(htmx: Htmx, target: &str) -> Response {
    if !htmx.request {
        return redirect(target).into_response();
    }
    let mut r = StatusCode::OK.into_response();
    if let Ok(v) = HeaderValue::from_str(&safe_back(Some(target))) {
        r.headers_mut().insert("hx-redirect", v);
    }
    r
}

/// A time as people here read it: `2026-11-22 14:30` in the site's zone (see
/// [`crate::site`]: templates call this without any state at hand).
pub fn fmt_time(t: impl std::borrow::Borrow<jiff::Timestamp>) -> String {
    crate::site::get().minute_text(*t.borrow())
}

/// A posted row field, `list.i.field` (`contacts.0.name`): its list, row and field, for a
/// row at most `max` (a form never posts more; more is ignored).
pub fn row_field(key: &str, max: usize) -> Option<(&str, usize, &str)> {
    let mut parts = key.splitn(3, '.');
    let (Some(list), Some(i), Some(field)) = (parts.next(), parts.next(), parts.next()) else {
        return None;
    };
    let i = i.parse::<usize>().ok().filter(|i| *i <= max)?;
    Some((list, i, field))
}

#[cfg(test)]
mod row_field_tests {
    #[test]
    fn rows_are_read_and_bounded() {
        assert_eq!(
            super::row_field("plan.2.kind", 20),
            Some(("plan", 2, "kind"))
        );
        assert_eq!(super::row_field("plan.21.kind", 20), None);
        assert_eq!(super::row_field("plan.x.kind", 20), None);
        assert_eq!(super::row_field("plan.2", 20), None);
        assert_eq!(super::row_field("notes", 20), None);
    }
}
