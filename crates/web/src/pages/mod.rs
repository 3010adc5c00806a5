//! Server-rendered pages: askama templates, htmx for partial updates, a session cookie and
//! CSRF-checked forms. Handlers only gather what a page shows and call use-cases; what the
//! user may do is decided in the `app` layer.

mod account;
mod admin;
mod auth;
mod catalog;
mod customer_form;
mod customers;
mod dispatch;
mod home;
mod imports;
mod jobs;
mod mobile;
mod network;
mod portal;
mod records;
pub mod requests;
mod sla;
mod unit_transfer;
mod wo_fmt;

use crate::AppState;
use crate::csrf::CsrfToken;
use crate::extract::{SESSION_COOKIE, cookie, locale_of, request_id_of};
use crate::i18n::Tr;
use aftersales_app::{Actor, AppError, Ctx};
use aftersales_domain::{FieldErrors, Locale, Permission, Role};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post, put};
use std::collections::BTreeMap;

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(home::home))
        .route("/login", get(auth::login_form).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/lang", get(switch_lang))
        .route(
            "/me/password",
            get(account::password_form).post(account::change_password),
        )
        .route(
            "/me/tokens",
            get(account::tokens).post(account::create_token),
        )
        .route("/me/tokens/{id}/revoke", post(account::revoke_token))
        .route("/admin/users", get(admin::users).post(admin::create_user))
        .route("/admin/users/new", get(admin::new_user))
        .route(
            "/admin/users/{id}",
            get(admin::edit_user).post(admin::update_user),
        )
        .route("/admin/users/{id}/password", post(admin::reset_password))
        .route(
            "/admin/users/{id}/customer",
            get(portal::admin_link_page).post(portal::admin_link),
        )
        .route(
            "/console",
            get(requests::console).post(requests::file_request),
        )
        .route("/console/customers", post(requests::new_caller))
        .route("/requests", get(requests::list))
        .route("/requests/{id}", get(requests::request))
        .route("/requests/{id}/{action}", post(requests::action))
        .route("/portal", get(portal::home))
        .route(
            "/portal/requests/new",
            get(portal::new_request).post(portal::file_request),
        )
        .route("/portal/requests/{id}", get(portal::request))
        .route("/admin/audit", get(admin::audit))
        .route("/admin/jobs", get(jobs::jobs))
        .route("/sla", get(sla::board))
        .route("/admin/calendars", get(sla::calendars))
        .route("/admin/calendars/days", post(sla::day))
        .route("/admin/calendars/rules", post(sla::save_rule))
        .route("/admin/calendars/{key}", post(sla::save_calendar))
        .route("/admin/calendars/import", post(sla::import))
        .route("/notifications", get(sla::notifications))
        .route("/notifications/read", post(sla::read))
        .route("/notifications/bell", get(sla::bell))
        .route("/admin/jobs/{id}/retry", post(jobs::retry))
        .route(
            "/org-units",
            get(admin::org_units).post(admin::create_org_unit),
        )
        .route("/org-units/{id}", get(network::org_unit))
        .route("/org-units/{id}/regions/add", post(network::add_region))
        .route(
            "/org-units/{id}/regions/remove",
            post(network::remove_region),
        )
        .route("/regions.json", get(network::regions_json))
        .route("/certifications", get(network::certifications))
        .route(
            "/users/{id}/certifications",
            get(network::user_certifications).post(network::add_certification),
        )
        .route(
            "/users/{id}/certifications/{cert}",
            post(network::update_certification),
        )
        .route(
            "/users/{id}/certifications/{cert}/remove",
            post(network::remove_certification),
        )
        .route("/customers", get(customers::search))
        .route(
            "/customers/new",
            get(customer_form::new_customer).post(customer_form::create_customer),
        )
        .route("/customers/incomplete", get(customer_form::incomplete))
        .route("/customers/{id}", get(customers::customer))
        .route(
            "/customers/{id}/edit",
            get(customer_form::edit_customer).post(customer_form::update_customer),
        )
        .route("/work-orders/{id}/record", get(records::record_page))
        .route("/work-orders/{id}/record.pdf", get(records::record_pdf))
        .route("/verify/{number}/{hash}", get(records::verify))
        .route("/reconciliation", get(records::reconciliation))
        .route("/reconciliation/{id}/callback", post(records::callback))
        .route("/units", get(catalog::units))
        .route("/products", get(catalog::products))
        .route("/contracts", get(catalog::contracts))
        .route("/units/{id}", get(customers::unit))
        .route(
            "/units/{id}/transfer",
            get(unit_transfer::transfer_form).post(unit_transfer::transfer),
        )
        .route("/imports", get(imports::page).post(imports::upload))
        .route("/imports/{id}/rejects", get(imports::rejects))
        .route("/exports/{list}", get(imports::export))
        .route("/dispatch", get(dispatch::board))
        .route("/dispatch/assign", post(dispatch::assign))
        .route("/m", get(mobile::home))
        .route("/m/orders/{id}", get(mobile::order))
        .route("/m/orders/{id}/accept", post(mobile::accept))
        .route("/m/orders/{id}/decline", post(mobile::decline))
        .route("/m/orders/{id}/appointment", post(mobile::appointment))
        .route("/m/orders/{id}/transition", post(mobile::transition))
        .route("/m/orders/{id}/record", post(mobile::save_record))
        .route("/m/orders/{id}/record/draft", put(mobile::record_draft))
        .route("/m/orders/{id}/photos", post(mobile::add_photo))
        .route("/m/orders/{id}/photos/{photo_id}", get(mobile::photo))
        .route("/m/orders/{id}/signature", post(mobile::sign))
        .route("/m/orders/{id}/complete", post(mobile::complete))
        .route("/m/orders/{id}/addenda", post(mobile::addendum))
        .route_layer(axum::middleware::from_fn_with_state(
            state,
            crate::csrf::layer,
        ))
}

/// A link of the navigation.
pub struct NavItem {
    pub href: &'static str,
    pub label: String,
    pub current: bool,
}

pub struct ShellUser {
    pub display_name: String,
    pub role_label: String,
}

/// What every page's frame needs: language, CSRF token, the user and their navigation.
pub struct Shell {
    pub tr: Tr,
    pub csrf: String,
    pub user: Option<ShellUser>,
    pub nav: Vec<NavItem>,
    /// The current path and query, URL-encoded, for the language links to come back to.
    pub back: String,
    pub role: String,
}

/// The pages a role may open, in menu order (permission decided by `Role::can`).
pub fn nav_for(role: Role) -> Vec<(&'static str, &'static str)> {
    let mut v = vec![("/", "nav.home")];
    if role.can(Permission::RequestsManage) {
        v.push(("/console", "console.nav"));
        v.push(("/requests", "requests.nav"));
    }
    if role == Role::Customer {
        v.push(("/portal", "portal.nav"));
    }
    if role.can(Permission::Dispatch) {
        v.push(("/dispatch", "dispatch.nav"));
        v.push(("/sla", "sla.nav"));
    }
    if role.can(Permission::FieldWork) {
        v.push(("/m", "engineer.nav"));
    }
    if role.can(Permission::CustomersRead) {
        v.push(("/customers", "nav.customers"));
    }
    if role.can(Permission::UnitsRead) {
        v.push(("/units", "nav.units"));
    }
    if role.can(Permission::UnitsRead) {
        v.push(("/contracts", "nav.contracts"));
    }
    if role.can(Permission::ProductsRead) {
        v.push(("/products", "nav.products"));
    }
    if role.can(Permission::ImportData) {
        v.push(("/imports", "io.nav"));
    }
    if role.can(Permission::UsersRead) {
        v.push(("/admin/users", "nav.users"));
    }
    if role.can(Permission::OrgRead) {
        v.push(("/org-units", "nav.org_units"));
    }
    if role.can(Permission::CertificationsRead) {
        v.push(("/certifications", "network.nav"));
    }
    if role.can(Permission::Reconcile) {
        v.push(("/reconciliation", "nav.reconciliation"));
    }
    if role.can(Permission::AuditRead) {
        v.push(("/admin/audit", "nav.audit"));
    }
    if role.can(Permission::JobsManage) {
        v.push(("/admin/jobs", "nav.jobs"));
    }
    if role.can(Permission::SlaManage) || role.can(Permission::Dispatch) {
        v.push(("/admin/calendars", "sla.calendars_nav"));
    }
    v.push(("/me/tokens", "nav.tokens"));
    v.push(("/me/password", "nav.password"));
    v
}

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
                    .map(|(href, key)| NavItem {
                        href,
                        label: tr.t_dyn(key),
                        current: href == path
                            || (href != "/" && path.starts_with(&format!("{href}/"))),
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
            if parts.headers.contains_key("hx-request") {
                let mut r = StatusCode::OK.into_response();
                if let Ok(v) = HeaderValue::from_str(&target) {
                    r.headers_mut().insert("hx-redirect", v);
                }
                r
            } else {
                redirect(&target).into_response()
            }
        };
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE).map(str::to_owned) else {
            return Err(to_login(parts));
        };
        match s.app.authenticate_session(&token).await {
            Ok(actor) => {
                let shell = Shell::new(parts, Some(&actor));
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

/// Field errors as sentences, by field name, for the templates.
#[derive(Default)]
pub struct FormErrors(pub BTreeMap<String, String>);

impl FormErrors {
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

/// An error shown as a page.
pub struct PageError {
    error: AppError,
    tr: Tr,
    shell: Option<Shell>,
}

impl PageError {
    pub fn new(error: AppError, tr: Tr) -> Self {
        Self {
            error,
            tr,
            shell: None,
        }
    }

    pub fn for_user(error: AppError, u: WebUser) -> Self {
        Self {
            error,
            tr: u.shell.tr,
            shell: Some(u.shell),
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if matches!(self.error, AppError::Unauthenticated) {
            return redirect("/login").into_response();
        }
        let status = crate::problem::status_of(&self.error);
        if let AppError::Internal(cause) = &self.error {
            tracing::error!(cause = %cause, "internal error on a page");
        }
        let tr = self.tr;
        let shell = self.shell.unwrap_or_else(|| Shell::bare(tr));
        let title = tr.t_dyn(&format!("status.{}", status.as_u16()));
        let title = if title.starts_with("status.") {
            status.to_string()
        } else {
            title
        };
        let page = MessagePage {
            shell,
            title,
            message: tr.t_error(self.error.code()),
            kind: "error",
        };
        (status, page).into_response()
    }
}

pub async fn not_found_page(locale: Locale, _headers: &HeaderMap) -> Response {
    PageError::new(AppError::NotFound("page"), Tr::new(locale)).into_response()
}

#[derive(serde::Deserialize)]
pub struct LangQuery {
    to: String,
    back: Option<String>,
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
    crate::extract::percent_decode(s, false)
}

/// A redirect of the pages (303 See Other), always to a target [`safe_back`] accepts.
pub fn redirect(target: &str) -> Redirect {
    Redirect::to(&safe_back(Some(target)))
}

/// Stores nothing but the language: `back` may hold any character, and whatever is not a
/// safe path of this site (NUL and other control characters included) falls back to `/`,
/// so axum's own query reader is used here rather than the one that refuses NUL.
async fn switch_lang(
    s: axum::extract::State<AppState>,
    axum::extract::Query(q): axum::extract::Query<LangQuery>,
) -> Response {
    let locale = Locale::from_tag(&q.to).unwrap_or_default();
    let mut r = redirect(q.back.as_deref().unwrap_or("/")).into_response();
    let secure = if s.cfg.secure_cookies { "; Secure" } else { "" };
    let c = format!(
        "{}={}; Path=/; Max-Age=31536000; SameSite=Lax{secure}",
        crate::extract::LANG_COOKIE,
        locale.as_str()
    );
    if let Ok(v) = HeaderValue::from_str(&c) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

/// A time as people here read it: `2026-11-22 14:30` in the site's zone (Asia/Shanghai,
/// UTC+8 all year; the fixed offset is the fallback where no tz database is installed).
pub fn fmt_time(t: impl std::borrow::Borrow<jiff::Timestamp>) -> String {
    let t = *t.borrow();
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai")
        .unwrap_or_else(|_| jiff::tz::TimeZone::fixed(jiff::tz::offset(8)));
    t.to_zoned(tz).strftime("%Y-%m-%d %H:%M").to_string()
}
