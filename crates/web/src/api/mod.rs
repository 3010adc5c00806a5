//! The JSON API under `/api/v1`. Every handler: authenticate (bearer), call one use-case,
//! answer JSON or a problem. No business rule and no SQL here.

mod administration;
mod auth;
mod charges;
mod defects;
mod installed_base;
pub(crate) mod labels;
mod loaners;
mod network;
mod parts;
mod requisitions;
mod service;
mod sla;
mod stocktakes;

use administration::{audit, io, jobs};
use installed_base::customers;
use network::{org, users};
use service::intake;

use crate::AppState;
use aftersales_app::AppError;
use axum::Router;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut doc) = OpenApiRouter::with_openapi(crate::openapi::ApiDoc::openapi())
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(auth::change_password))
        .routes(routes!(auth::list_tokens, auth::create_token))
        .routes(routes!(auth::revoke_token))
        .routes(routes!(users::list, users::create))
        .routes(routes!(users::get, users::update))
        .routes(routes!(users::reset_password))
        .routes(routes!(org::list, org::create))
        .routes(routes!(org::get, org::update))
        .routes(routes!(audit::list))
        .routes(routes!(jobs::list))
        .routes(routes!(jobs::retry))
        .routes(routes!(
            installed_base::list_policies,
            installed_base::create_policy
        ))
        .routes(routes!(installed_base::add_policy_version))
        .routes(routes!(installed_base::catalog::get_policy))
        .routes(routes!(
            installed_base::catalog::get_product,
            installed_base::catalog::update_product
        ))
        .routes(routes!(
            installed_base::list_products,
            installed_base::create_product
        ))
        .routes(routes!(
            installed_base::list_customers,
            installed_base::create_customer
        ))
        .routes(routes!(
            installed_base::get_customer,
            customers::update_customer
        ))
        .routes(routes!(customers::incomplete))
        .routes(routes!(customers::by_phone))
        .routes(routes!(customers::history))
        .routes(routes!(customers::unit_history))
        .routes(routes!(customers::completeness))
        .routes(routes!(installed_base::search))
        .routes(routes!(
            installed_base::list_units,
            installed_base::create_unit
        ))
        .routes(routes!(installed_base::get_unit))
        .routes(routes!(installed_base::warranty))
        .routes(routes!(installed_base::transfer_unit))
        .routes(routes!(
            installed_base::list_contracts,
            installed_base::create_contract
        ))
        .routes(routes!(
            installed_base::get_contract,
            installed_base::catalog::update_contract
        ))
        .routes(routes!(network::regions))
        .routes(routes!(network::covering))
        .routes(routes!(network::get_regions, network::put_regions))
        .routes(routes!(network::list_user_certs, network::add_cert))
        .routes(routes!(network::update_cert, network::remove_cert))
        .routes(routes!(network::list_certs))
        .routes(routes!(io::import_customers))
        .routes(routes!(io::import_units))
        .routes(routes!(io::import_products))
        .routes(routes!(io::import_parts))
        .routes(routes!(io::import_suppliers))
        .routes(routes!(io::rejects))
        .routes(routes!(io::export_customers))
        .routes(routes!(io::export_units))
        .routes(routes!(io::export_products))
        .routes(routes!(io::export_parts))
        .routes(routes!(io::export_suppliers))
        .routes(routes!(io::export_policies))
        .routes(routes!(io::export_contracts))
        .routes(routes!(io::export_org_units))
        .routes(routes!(io::export_users))
        .routes(routes!(io::export_audit))
        .routes(routes!(service::create_request, service::list_requests))
        .routes(routes!(service::get_request))
        .routes(routes!(service::request_events))
        .routes(routes!(service::change_owner))
        .routes(routes!(service::triage))
        .routes(routes!(service::remote_outcome))
        .routes(routes!(service::resolve))
        .routes(routes!(service::close))
        .routes(routes!(service::cancel))
        .routes(routes!(service::reopen))
        .routes(routes!(service::add_visit))
        .routes(routes!(service::list_orders))
        .routes(routes!(service::get_order))
        .routes(routes!(service::dispatch))
        .routes(routes!(service::accept))
        .routes(routes!(service::decline))
        .routes(routes!(service::appointment))
        .routes(routes!(service::transition))
        .routes(routes!(service::save_record))
        .routes(routes!(service::sign))
        .routes(routes!(service::complete))
        .routes(routes!(service::addendum))
        .routes(routes!(service::center_record))
        .routes(routes!(service::add_photo))
        .routes(routes!(service::photo))
        .routes(routes!(service::record_pdf))
        .routes(routes!(service::reconciliation))
        .routes(routes!(service::callback))
        .routes(routes!(intake::alarm))
        .routes(routes!(intake::codes))
        .routes(routes!(intake::link_customer))
        .routes(routes!(service::suggestions))
        .routes(routes!(service::booking_check))
        .routes(routes!(service::escalate))
        .routes(routes!(service::transfer_targets))
        .routes(routes!(service::transfer))
        .routes(routes!(service::board))
        .routes(routes!(sla::request_sla))
        .routes(routes!(sla::acknowledge))
        .routes(routes!(sla::change_priority))
        .routes(routes!(sla::board))
        .routes(routes!(parts::list_parts, parts::create_part))
        .routes(routes!(labels::part_labels))
        .routes(routes!(labels::location_labels))
        .routes(routes!(labels::loaner_labels))
        .routes(routes!(parts::get_part, parts::update_part))
        .routes(routes!(parts::list_suppliers, parts::create_supplier))
        .routes(routes!(parts::update_supplier))
        .routes(routes!(parts::list_locations, parts::create_location))
        .routes(routes!(parts::balances))
        .routes(routes!(parts::ledger, parts::post_move))
        .routes(routes!(parts::valuation))
        .routes(routes!(parts::set_reorder_point))
        .routes(routes!(
            requisitions::list_requisitions,
            requisitions::create_requisition
        ))
        .routes(routes!(requisitions::get_requisition))
        .routes(routes!(requisitions::approve_requisition))
        .routes(routes!(requisitions::reject_requisition))
        .routes(routes!(requisitions::cancel_requisition))
        .routes(routes!(requisitions::ship_requisition))
        .routes(routes!(requisitions::list_shipments))
        .routes(routes!(requisitions::accuracy))
        .routes(routes!(requisitions::receive_shipment))
        .routes(routes!(stocktakes::list_counts, stocktakes::open_count))
        .routes(routes!(stocktakes::get_count))
        .routes(routes!(stocktakes::enter_counts))
        .routes(routes!(stocktakes::submit_count))
        .routes(routes!(stocktakes::cancel_count))
        .routes(routes!(stocktakes::approve_count))
        .routes(routes!(stocktakes::reject_count))
        .routes(routes!(defects::list))
        .routes(routes!(defects::report))
        .routes(routes!(defects::hand_in))
        .routes(routes!(defects::receive))
        .routes(routes!(
            defects::failure_codes,
            defects::create_failure_code
        ))
        .routes(routes!(defects::update_failure_code))
        .routes(routes!(sla::calendars))
        .routes(routes!(sla::update_calendar))
        .routes(routes!(sla::overrides))
        .routes(routes!(sla::put_override, sla::delete_override))
        .routes(routes!(sla::special_days))
        .routes(routes!(sla::put_special_day, sla::delete_special_day))
        .routes(routes!(sla::import_special_days))
        .routes(routes!(sla::rules, sla::save_rule))
        .routes(routes!(sla::inbox))
        .routes(routes!(sla::mark_read))
        .routes(routes!(sla::user_contact))
        .routes(routes!(sla::customer_tier))
        .routes(routes!(sla::clock))
        .routes(routes!(sla::advance_clock))
        .routes(routes!(loaners::list, loaners::register))
        .routes(routes!(loaners::get))
        .routes(routes!(loaners::issue))
        .routes(routes!(loaners::take_back))
        .routes(routes!(loaners::set_status))
        .routes(routes!(charges::quotes::charges))
        .routes(routes!(charges::quotes::override_gate))
        .routes(routes!(charges::quotes::list, charges::quotes::create))
        .routes(routes!(charges::quotes::get))
        .routes(routes!(charges::quotes::confirm))
        .routes(routes!(charges::quotes::decline))
        .routes(routes!(charges::quotes::pdf))
        .routes(routes!(charges::schedules::list, charges::schedules::add))
        .routes(routes!(charges::schedules::current))
        .routes(routes!(charges::schedules::get))
        .routes(routes!(charges::payments::list, charges::payments::record))
        .routes(routes!(charges::payments::refund))
        .routes(routes!(charges::payments::invoice))
        .routes(routes!(charges::payments::receipt_pdf))
        .routes(routes!(charges::payments::held))
        .routes(routes!(
            charges::payments::handovers,
            charges::payments::hand_over
        ))
        .routes(routes!(charges::payments::confirm))
        .split_for_parts();
    crate::openapi::finish(&mut doc);
    (router, doc)
}

/// Parses an id from the path; a malformed id is simply "not found".
pub(crate) fn parse_id<T: std::str::FromStr>(s: &str, what: &'static str) -> Result<T, AppError> {
    s.parse().map_err(|_| AppError::NotFound(what))
}

/// Query parameters documented as ids or dates must not be empty on the API (the pages'
/// forms send empty fields for "any", which the use-cases read as absent).
pub(crate) fn not_empty(params: &[(&str, Option<&str>, &'static str)]) -> Result<(), AppError> {
    for (field, v, code) in params {
        if v.is_some_and(|v| v.trim().is_empty()) {
            return Err(AppError::invalid(aftersales_domain::FieldError::new(
                *field, code,
            )));
        }
    }
    Ok(())
}
