//! Server-rendered pages: askama templates, htmx for partial updates, a session cookie and
//! CSRF-checked forms. Handlers only gather what a page shows and call use-cases; what the
//! user may do is decided in the `app` layer.

mod accounts;
mod administration;
mod charges;
mod home;
mod installed_base;
mod loaners;
mod network;
mod parts;
pub(crate) mod service;
mod sla;

use accounts::{account, auth};
use administration::{audit, imports, jobs};
use installed_base::{
    catalog, contract_pages, customer_form, customers, policies, product_pages, unit_transfer,
};
use network::{coverage, org, users};
use service::{dispatch, mobile, portal, records, requests, work_order};

use crate::AppState;
use crate::shell::redirect;
use aftersales_domain::Locale;
use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};

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
        .route("/admin/users", get(users::users).post(users::create_user))
        .route("/admin/users/new", get(users::new_user))
        .route(
            "/admin/users/{id}",
            get(users::edit_user).post(users::update_user),
        )
        .route("/admin/users/{id}/password", post(users::reset_password))
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
        .route("/admin/audit", get(audit::audit))
        .route("/admin/jobs", get(jobs::jobs))
        .route("/sla", get(sla::board))
        .route("/admin/calendars", get(sla::calendars))
        .route("/fee-schedules", get(charges::schedules::schedules))
        .route(
            "/fee-schedules/new",
            get(charges::schedules::new_schedule).post(charges::schedules::add_schedule),
        )
        .route("/fee-schedules/{id}", get(charges::schedules::schedule))
        .route("/admin/calendars/days", post(sla::day))
        .route("/admin/calendars/rules", post(sla::save_rule))
        .route("/admin/calendars/{key}", post(sla::save_calendar))
        .route("/admin/calendars/import", post(sla::import))
        .route("/notifications", get(sla::notifications))
        .route("/notifications/read", post(sla::read))
        .route("/notifications/bell", get(sla::bell))
        .route("/admin/jobs/{id}/retry", post(jobs::retry))
        .route("/org-units", get(org::org_units).post(org::create_org_unit))
        .route("/org-units/{id}", get(coverage::org_unit))
        .route("/org-units/{id}/regions/add", post(coverage::add_region))
        .route(
            "/org-units/{id}/regions/remove",
            post(coverage::remove_region),
        )
        .route("/regions.json", get(coverage::regions_json))
        .route("/certifications", get(coverage::certifications))
        .route(
            "/users/{id}/certifications",
            get(coverage::user_certifications).post(coverage::add_certification),
        )
        .route(
            "/users/{id}/certifications/{cert}",
            post(coverage::update_certification),
        )
        .route(
            "/users/{id}/certifications/{cert}/remove",
            post(coverage::remove_certification),
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
        .route("/work-orders/{id}", get(work_order::work_order))
        .route("/work-orders/{id}/record", get(records::record_page))
        .route("/work-orders/{id}/record.pdf", get(records::record_pdf))
        .route("/verify/{number}/{hash}", get(records::verify))
        .route("/q/{token}", get(charges::link::show))
        .route("/q/{token}/pdf", get(charges::link::pdf))
        .route("/q/{token}/{action}", post(charges::link::answer))
        .route("/r/{receipt}", get(charges::payments::verify))
        .route(
            "/receipts/{receipt}/pdf",
            get(charges::payments::receipt_pdf),
        )
        .route(
            "/m/orders/{id}/payments",
            get(charges::payments::phone).post(charges::payments::record),
        )
        .route("/cash", get(charges::payments::cash))
        .route("/cash/hand-over", post(charges::payments::hand_over))
        .route("/cash/{id}/confirm", post(charges::payments::confirm))
        .route("/reconciliation", get(records::reconciliation))
        .route("/reconciliation/{id}/callback", post(records::callback))
        .route("/reconciliation/{id}/center", post(records::center))
        .route("/units", get(catalog::units))
        .route("/products", get(catalog::products))
        .route(
            "/products/new",
            get(product_pages::new_product).post(product_pages::create_product),
        )
        .route("/products/{id}", get(product_pages::product))
        .route(
            "/products/{id}/edit",
            get(product_pages::edit_product).post(product_pages::update_product),
        )
        .route("/warranty-policies", get(policies::policies))
        .route(
            "/warranty-policies/new",
            get(policies::new_policy).post(policies::create_policy),
        )
        .route("/warranty-policies/{code}", get(policies::policy))
        .route(
            "/warranty-policies/{code}/versions/new",
            get(policies::new_version).post(policies::add_version),
        )
        .route("/contracts", get(catalog::contracts))
        .route(
            "/contracts/new",
            get(contract_pages::new_contract).post(contract_pages::create_contract),
        )
        .route("/contracts/{id}", get(contract_pages::contract))
        .route(
            "/contracts/{id}/edit",
            get(contract_pages::edit_contract).post(contract_pages::update_contract),
        )
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
        .route("/dispatch/escalate", post(dispatch::escalate))
        .route("/dispatch/transfer", post(dispatch::transfer))
        .route("/loaners", get(loaners::list).post(loaners::register))
        .route("/loaners/labels.pdf", get(parts::labels::loaners))
        .route("/loaners/{id}", get(loaners::loaner))
        .route("/loaners/{id}/issue", post(loaners::issue))
        .route("/loaners/{id}/return", post(loaners::take_back))
        .route("/loaners/{id}/status", post(loaners::set_status))
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
        .route("/m/orders/{id}/quote", post(mobile::send_quote))
        .route("/m/orders/{id}/quote/sign", post(mobile::sign_quote))
        .route("/m/orders/{id}/addenda", post(mobile::addendum))
        .route("/m/orders/{id}/record/center", post(mobile::center))
        .route("/stock", get(parts::stock::stock))
        .route(
            "/stock/locations/{code}/labels.pdf",
            get(parts::labels::location),
        )
        .route("/stock/moves", post(parts::stock::post_move))
        .route("/stock/ledger", get(parts::stock::ledger))
        .route(
            "/stock/counts",
            get(parts::stocktakes::list).post(parts::stocktakes::open),
        )
        .route("/stock/counts/{number}", get(parts::stocktakes::show))
        .route(
            "/stock/counts/{number}/lines",
            post(parts::stocktakes::save),
        )
        .route(
            "/stock/counts/{number}/cancel",
            post(parts::stocktakes::cancel),
        )
        .route(
            "/stock/counts/{number}/approve",
            post(parts::stocktakes::approve),
        )
        .route(
            "/stock/counts/{number}/reject",
            post(parts::stocktakes::reject),
        )
        .route(
            "/requisitions",
            get(parts::requisitions::list).post(parts::requisitions::create),
        )
        .route("/requisitions/new", get(parts::requisitions::new_form))
        .route(
            "/requisitions/{number}/cancel",
            post(parts::requisitions::cancel),
        )
        .route("/requisitions/{number}", get(parts::requisitions::show))
        .route(
            "/requisitions/{number}/approve",
            post(parts::requisitions::approve),
        )
        .route(
            "/requisitions/{number}/reject",
            post(parts::requisitions::reject),
        )
        .route(
            "/requisitions/{number}/ship",
            post(parts::requisitions::ship),
        )
        .route(
            "/requisitions/{number}/receive",
            post(parts::requisitions::receive),
        )
        .route("/parts", get(parts::catalog::parts))
        .route("/parts/labels.pdf", get(parts::labels::parts))
        .route("/parts/{part_no}", get(parts::catalog::part))
        .route("/m/van", get(parts::van::van))
        .route("/m/orders/{id}/issue", post(parts::van::issue))
        .route("/m/defects", get(parts::defects::mobile))
        .route("/m/defects/{number}/hand-in", post(parts::defects::hand_in))
        .route("/defect-returns", get(parts::defects::warehouse))
        .route(
            "/failure-codes",
            get(parts::defects::codes).post(parts::defects::create_code),
        )
        .route("/failure-codes/{code}", post(parts::defects::update_code))
        .route(
            "/defect-returns/{number}/receive",
            post(parts::defects::receive),
        )
        .route("/quality", get(parts::defects::quality))
        .route_layer(axum::middleware::from_fn(crate::shell::error_pages))
        .route_layer(axum::middleware::from_fn_with_state(
            state,
            crate::csrf::layer,
        ))
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
        crate::request::LANG_COOKIE,
        locale.as_str()
    );
    if let Ok(v) = HeaderValue::from_str(&c) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

#[derive(serde::Deserialize)]
struct LangQuery {
    to: String,
    back: Option<String>,
}
