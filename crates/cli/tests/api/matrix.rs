//! Role × route: every API operation, tried by every role. Allowed roles must get past the
//! permission check (any answer but 401/403); the others get a 403 problem with the code
//! `forbidden`. Write operations are sent with input that fails validation *after* the
//! permission check, so the matrix changes nothing. The same table is checked against the
//! OpenAPI document: every operation there is here, and the other way round.

use crate::both;
use crate::helpers::TestApp;
use serde_json::{Value, json};
use std::collections::BTreeSet;

const ALL: &[&str] = &[
    "admin",
    "agent",
    "dispatcher",
    "engineer",
    "warehouse",
    "manager",
    "partner",
    "customer",
];
const STAFF_AND_PARTNER: &[&str] = &[
    "admin",
    "agent",
    "dispatcher",
    "engineer",
    "warehouse",
    "manager",
    "partner",
];
const STAFF: &[&str] = &[
    "admin",
    "agent",
    "dispatcher",
    "engineer",
    "warehouse",
    "manager",
];
const FRONT_OFFICE: &[&str] = &["admin", "agent", "dispatcher", "manager"];
const PARTS_MANAGE: &[&str] = &["admin", "warehouse"];
const STOCK_APPROVE: &[&str] = &["admin", "manager"];
const STOCK_READ: &[&str] = &[
    "admin",
    "dispatcher",
    "engineer",
    "warehouse",
    "manager",
    "partner",
];
const PARTS_REQUEST: &[&str] = &["admin", "dispatcher", "engineer", "manager", "partner"];
const REQ_READ: &[&str] = &[
    "admin",
    "agent",
    "dispatcher",
    "engineer",
    "manager",
    "partner",
    "customer",
];
const HISTORY: &[&str] = &["admin", "agent", "dispatcher", "engineer", "manager"];
const REQ_CREATE: &[&str] = &["admin", "agent", "dispatcher", "manager", "customer"];
const DISPATCHERS: &[&str] = &["admin", "dispatcher", "manager"];
const FIELD: &[&str] = &["engineer", "partner"];
/// Those who price work and read its charges (docs/charges.md).
const PRICERS: &[&str] = &[
    "admin",
    "agent",
    "dispatcher",
    "engineer",
    "manager",
    "partner",
];
/// SLA data of the whole network (calendars, rules, the national schedule) and of units
/// outside a manager's subtree (the matrix names HQ): admins only. Managers keep their own
/// subtree's days and overrides (tests/api/sla.rs).
const SLA_MANAGE: &[&str] = &["admin"];
const FIELD_OR_DISPATCH: &[&str] = &["admin", "dispatcher", "engineer", "manager", "partner"];
const FIELD_OR_MANAGE: &[&str] = &[
    "admin",
    "agent",
    "dispatcher",
    "engineer",
    "manager",
    "partner",
];
const WO_LIST: &[&str] = &[
    "admin",
    "agent",
    "dispatcher",
    "engineer",
    "manager",
    "partner",
];
/// Who reads the loaner pool, and who keeps it (docs/loaners.md).
const LOANERS_READ: &[&str] = &["admin", "agent", "dispatcher", "warehouse", "manager"];
const LOANERS_MANAGE: &[&str] = &["admin", "dispatcher", "warehouse", "manager"];
/// Who reads the fee schedule (docs/charges.md): staff who price work and partners;
/// admins keep it.
const FEE_SCHEDULES_READ: &[&str] = PRICERS;
/// Who records payments and sees their own cash (docs/charges.md), and who refunds,
/// records invoices and confirms hand-overs.
const PAYMENTS_RECORD: &[&str] = PRICERS;
const PAYMENTS_MANAGE: &[&str] = &["admin", "manager"];
/// Who reads engineers' certifications (each within their scope).
const CERT_READERS: &[&str] = &["admin", "dispatcher", "engineer", "manager", "partner"];

struct Case {
    method: &'static str,
    /// The path as in the OpenAPI document.
    template: &'static str,
    allowed: &'static [&'static str],
}

/// The expected matrix. Written out by hand on purpose: it is the specification the code
/// is held to, not derived from it.
const CASES: &[Case] = &[
    Case {
        method: "POST",
        template: "/api/v1/auth/logout",
        allowed: ALL,
    },
    Case {
        method: "GET",
        template: "/api/v1/me",
        allowed: ALL,
    },
    Case {
        method: "POST",
        template: "/api/v1/me/password",
        allowed: ALL,
    },
    Case {
        method: "GET",
        template: "/api/v1/me/tokens",
        allowed: STAFF_AND_PARTNER, // no tokens for customers (issue 13)
    },
    Case {
        method: "POST",
        template: "/api/v1/me/tokens",
        allowed: STAFF_AND_PARTNER, // no tokens for customers (issue 13)
    },
    Case {
        method: "DELETE",
        template: "/api/v1/me/tokens/{id}",
        allowed: STAFF_AND_PARTNER, // no tokens for customers (issue 13)
    },
    Case {
        method: "GET",
        template: "/api/v1/users",
        allowed: &["admin", "manager"],
    },
    Case {
        method: "POST",
        template: "/api/v1/users",
        allowed: &["admin"],
    },
    Case {
        method: "GET",
        template: "/api/v1/users/{id}",
        allowed: &["admin", "manager"],
    },
    Case {
        method: "PATCH",
        template: "/api/v1/users/{id}",
        allowed: &["admin"],
    },
    Case {
        method: "POST",
        template: "/api/v1/users/{id}/password",
        allowed: &["admin"],
    },
    Case {
        method: "GET",
        template: "/api/v1/org-units",
        allowed: STAFF_AND_PARTNER,
    },
    Case {
        method: "POST",
        template: "/api/v1/org-units",
        allowed: &["admin"],
    },
    Case {
        method: "GET",
        template: "/api/v1/org-units/{id}",
        allowed: STAFF_AND_PARTNER,
    },
    Case {
        method: "PATCH",
        template: "/api/v1/org-units/{id}",
        allowed: &["admin"],
    },
    Case {
        method: "GET",
        template: "/api/v1/audit",
        allowed: &["admin"],
    },
    Case {
        method: "GET",
        template: "/api/v1/admin/jobs",
        allowed: &["admin"],
    },
    Case {
        method: "POST",
        template: "/api/v1/admin/jobs/{id}/retry",
        allowed: &["admin"],
    },
    Case {
        method: "GET",
        template: "/api/v1/service-requests/{id}/sla",
        allowed: FIELD_OR_MANAGE,
    },
    Case {
        method: "POST",
        template: "/api/v1/service-requests/{id}/sla/acknowledge",
        allowed: DISPATCHERS,
    },
    Case {
        method: "POST",
        template: "/api/v1/service-requests/{id}/priority",
        allowed: FRONT_OFFICE,
    },
    Case {
        method: "GET",
        template: "/api/v1/sla/board",
        allowed: FIELD_OR_MANAGE,
    },
    Case {
        method: "GET",
        template: "/api/v1/calendars",
        allowed: FIELD_OR_MANAGE,
    },
    Case {
        method: "PUT",
        template: "/api/v1/calendars/{key}",
        allowed: SLA_MANAGE,
    },
    Case {
        method: "GET",
        template: "/api/v1/calendars/{key}/overrides",
        allowed: FIELD_OR_MANAGE,
    },
    Case {
        method: "PUT",
        template: "/api/v1/calendars/{key}/overrides/{org_unit_id}",
        allowed: SLA_MANAGE,
    },
    Case {
        method: "DELETE",
        template: "/api/v1/calendars/{key}/overrides/{org_unit_id}",
        allowed: SLA_MANAGE,
    },
    Case {
        method: "GET",
        template: "/api/v1/special-days",
        allowed: FIELD_OR_MANAGE,
    },
    Case {
        method: "PUT",
        template: "/api/v1/special-days/{day}",
        allowed: SLA_MANAGE,
    },
    Case {
        method: "DELETE",
        template: "/api/v1/special-days/{day}",
        allowed: SLA_MANAGE,
    },
    Case {
        method: "POST",
        template: "/api/v1/special-days/import",
        allowed: SLA_MANAGE,
    },
    Case {
        method: "GET",
        template: "/api/v1/sla/rules",
        allowed: FIELD_OR_MANAGE,
    },
    Case {
        method: "POST",
        template: "/api/v1/sla/rules",
        allowed: SLA_MANAGE,
    },
    Case {
        method: "GET",
        template: "/api/v1/notifications",
        allowed: ALL,
    },
    Case {
        method: "POST",
        template: "/api/v1/notifications/read",
        allowed: ALL,
    },
    // The engineer's own addresses (the path names the engineer); others' only admins.
    Case {
        method: "PUT",
        template: "/api/v1/users/{id}/contact",
        allowed: &["admin", "engineer"],
    },
    Case {
        method: "PUT",
        template: "/api/v1/customers/{id}/tier",
        allowed: FRONT_OFFICE,
    },
    Case {
        method: "GET",
        template: "/api/v1/test-clock",
        allowed: ALL,
    },
    Case {
        method: "POST",
        template: "/api/v1/test-clock/advance",
        allowed: &["admin"],
    },
    Case {
        method: "GET",
        template: "/api/v1/warranty-policies",
        allowed: STAFF_AND_PARTNER,
    },
    Case {
        method: "POST",
        template: "/api/v1/warranty-policies",
        allowed: &["admin"],
    },
    Case {
        method: "POST",
        template: "/api/v1/warranty-policies/{code}/versions",
        allowed: &["admin"],
    },
    Case {
        method: "GET",
        template: "/api/v1/warranty-policies/{code}",
        allowed: STAFF_AND_PARTNER,
    },
    Case {
        method: "GET",
        template: "/api/v1/products",
        allowed: STAFF_AND_PARTNER,
    },
    Case {
        method: "GET",
        template: "/api/v1/products/{id}",
        allowed: STAFF_AND_PARTNER,
    },
    Case {
        method: "PUT",
        template: "/api/v1/products/{id}",
        allowed: &["admin"],
    },
    Case {
        method: "POST",
        template: "/api/v1/products",
        allowed: &["admin"],
    },
    Case {
        method: "GET",
        template: "/api/v1/customers",
        allowed: STAFF,
    },
    Case {
        method: "POST",
        template: "/api/v1/customers",
        allowed: FRONT_OFFICE,
    },
    Case {
        method: "GET",
        template: "/api/v1/customers/{id}",
        allowed: STAFF,
    },
    Case {
        method: "PUT",
        template: "/api/v1/customers/{id}",
        allowed: FRONT_OFFICE,
    },
    Case {
        method: "GET",
        template: "/api/v1/customers/incomplete",
        allowed: STAFF,
    },
    Case {
        method: "GET",
        template: "/api/v1/customers/completeness",
        allowed: STAFF,
    },
    Case {
        method: "GET",
        template: "/api/v1/customers/by-phone",
        allowed: STAFF,
    },
    // A service history: the record and its requests (the warehouse reads no requests).
    Case {
        method: "GET",
        template: "/api/v1/customers/{id}/history",
        allowed: HISTORY,
    },
    Case {
        method: "GET",
        template: "/api/v1/units/{serial}/history",
        allowed: HISTORY,
    },
    Case {
        method: "GET",
        template: "/api/v1/search",
        allowed: STAFF,
    },
    Case {
        method: "GET",
        template: "/api/v1/units",
        allowed: STAFF,
    },
    Case {
        method: "POST",
        template: "/api/v1/units",
        allowed: FRONT_OFFICE,
    },
    Case {
        method: "GET",
        template: "/api/v1/units/{serial}",
        allowed: STAFF,
    },
    Case {
        method: "GET",
        template: "/api/v1/units/{serial}/warranty",
        allowed: STAFF,
    },
    Case {
        method: "GET",
        template: "/api/v1/contracts",
        allowed: STAFF,
    },
    Case {
        method: "POST",
        template: "/api/v1/contracts",
        allowed: FRONT_OFFICE,
    },
    Case {
        method: "GET",
        template: "/api/v1/contracts/{id}",
        allowed: STAFF,
    },
    Case {
        method: "PUT",
        template: "/api/v1/contracts/{id}",
        allowed: FRONT_OFFICE,
    },
    Case {
        method: "POST",
        template: "/api/v1/units/{serial}/transfer",
        allowed: FRONT_OFFICE,
    },
    Case {
        method: "GET",
        template: "/api/v1/regions",
        allowed: ALL,
    },
    Case {
        method: "GET",
        template: "/api/v1/org-units/covering",
        allowed: STAFF_AND_PARTNER,
    },
    Case {
        method: "GET",
        template: "/api/v1/org-units/{id}/regions",
        allowed: STAFF_AND_PARTNER,
    },
    Case {
        method: "PUT",
        template: "/api/v1/org-units/{id}/regions",
        allowed: &["admin"],
    },
    Case {
        method: "GET",
        template: "/api/v1/users/{id}/certifications",
        allowed: CERT_READERS,
    },
    Case {
        method: "POST",
        template: "/api/v1/users/{id}/certifications",
        allowed: &["admin", "manager"],
    },
    Case {
        method: "PATCH",
        template: "/api/v1/users/{id}/certifications/{cert_id}",
        allowed: &["admin", "manager"],
    },
    Case {
        method: "DELETE",
        template: "/api/v1/users/{id}/certifications/{cert_id}",
        allowed: &["admin", "manager"],
    },
    Case {
        method: "GET",
        template: "/api/v1/certifications",
        allowed: CERT_READERS,
    },
    // Imports: ImportData and the right to create the kind one by one.
    Case {
        method: "POST",
        template: "/api/v1/imports/customers",
        allowed: FRONT_OFFICE,
    },
    Case {
        method: "POST",
        template: "/api/v1/imports/units",
        allowed: FRONT_OFFICE,
    },
    Case {
        method: "POST",
        template: "/api/v1/imports/products",
        allowed: &["admin"],
    },
    // The parts catalog: its manager (the warehouse is not front office).
    Case {
        method: "POST",
        template: "/api/v1/imports/parts",
        allowed: PARTS_MANAGE,
    },
    Case {
        method: "POST",
        template: "/api/v1/imports/suppliers",
        allowed: PARTS_MANAGE,
    },
    Case {
        method: "GET",
        template: "/api/v1/imports/{id}/rejects",
        allowed: &["admin", "agent", "dispatcher", "manager", "warehouse"],
    },
    // Exports: the permission of reading the list.
    Case {
        method: "GET",
        template: "/api/v1/exports/customers",
        allowed: STAFF,
    },
    Case {
        method: "GET",
        template: "/api/v1/exports/units",
        allowed: STAFF,
    },
    Case {
        method: "GET",
        template: "/api/v1/exports/products",
        allowed: STAFF_AND_PARTNER,
    },
    Case {
        method: "GET",
        template: "/api/v1/exports/parts",
        allowed: PARTS_MANAGE,
    },
    Case {
        method: "GET",
        template: "/api/v1/exports/suppliers",
        allowed: PARTS_MANAGE,
    },
    Case {
        method: "GET",
        template: "/api/v1/exports/warranty-policies",
        allowed: STAFF_AND_PARTNER,
    },
    Case {
        method: "GET",
        template: "/api/v1/exports/contracts",
        allowed: STAFF,
    },
    Case {
        method: "GET",
        template: "/api/v1/exports/org-units",
        allowed: STAFF_AND_PARTNER,
    },
    Case {
        method: "GET",
        template: "/api/v1/exports/users",
        allowed: &["admin", "manager"],
    },
    Case {
        method: "GET",
        template: "/api/v1/exports/audit",
        allowed: &["admin"],
    },
    // The service flow (docs/service-flow.md).
    Case {
        method: "GET",
        template: "/api/v1/work-orders/{id}/record.pdf",
        allowed: REQ_READ,
    },
    Case {
        method: "GET",
        template: "/api/v1/reconciliation",
        allowed: DISPATCHERS,
    },
    Case {
        method: "POST",
        template: "/api/v1/work-orders/{id}/callbacks",
        allowed: DISPATCHERS,
    },
    Case {
        method: "POST",
        template: "/api/v1/service-requests",
        allowed: REQ_CREATE,
    },
    Case {
        method: "GET",
        template: "/api/v1/service-requests",
        allowed: REQ_READ,
    },
    Case {
        method: "GET",
        template: "/api/v1/service-requests/{id}",
        allowed: REQ_READ,
    },
    Case {
        method: "GET",
        template: "/api/v1/service-requests/{id}/events",
        allowed: REQ_READ,
    },
    Case {
        method: "POST",
        template: "/api/v1/service-requests/{id}/owner",
        allowed: FRONT_OFFICE,
    },
    Case {
        method: "POST",
        template: "/api/v1/service-requests/{id}/triage",
        allowed: FRONT_OFFICE,
    },
    Case {
        method: "POST",
        template: "/api/v1/service-requests/{id}/remote-outcome",
        allowed: FRONT_OFFICE,
    },
    Case {
        method: "POST",
        template: "/api/v1/service-requests/{id}/resolve",
        allowed: FRONT_OFFICE,
    },
    Case {
        method: "POST",
        template: "/api/v1/service-requests/{id}/close",
        allowed: FRONT_OFFICE,
    },
    Case {
        method: "POST",
        template: "/api/v1/service-requests/{id}/cancel",
        allowed: FRONT_OFFICE,
    },
    Case {
        method: "POST",
        template: "/api/v1/service-requests/{id}/reopen",
        allowed: FRONT_OFFICE,
    },
    Case {
        method: "POST",
        template: "/api/v1/service-requests/{id}/work-orders",
        allowed: DISPATCHERS,
    },
    Case {
        method: "GET",
        template: "/api/v1/work-orders",
        allowed: WO_LIST,
    },
    Case {
        method: "GET",
        template: "/api/v1/work-orders/{id}",
        allowed: REQ_READ,
    },
    Case {
        method: "POST",
        template: "/api/v1/work-orders/{id}/dispatch",
        allowed: DISPATCHERS,
    },
    Case {
        method: "POST",
        template: "/api/v1/work-orders/{id}/booking-check",
        allowed: DISPATCHERS,
    },
    Case {
        method: "POST",
        template: "/api/v1/work-orders/{id}/escalate",
        allowed: DISPATCHERS,
    },
    Case {
        method: "GET",
        template: "/api/v1/work-orders/{id}/transfer-targets",
        allowed: DISPATCHERS,
    },
    Case {
        method: "POST",
        template: "/api/v1/work-orders/{id}/transfer",
        allowed: DISPATCHERS,
    },
    Case {
        method: "POST",
        template: "/api/v1/work-orders/{id}/accept",
        allowed: FIELD,
    },
    Case {
        method: "POST",
        template: "/api/v1/work-orders/{id}/decline",
        allowed: FIELD,
    },
    Case {
        method: "POST",
        template: "/api/v1/work-orders/{id}/appointment",
        allowed: FIELD_OR_DISPATCH,
    },
    Case {
        method: "POST",
        template: "/api/v1/work-orders/{id}/transition",
        allowed: FIELD_OR_DISPATCH,
    },
    Case {
        method: "PUT",
        template: "/api/v1/work-orders/{id}/record",
        allowed: FIELD,
    },
    Case {
        method: "POST",
        template: "/api/v1/work-orders/{id}/signature",
        allowed: FIELD,
    },
    Case {
        method: "POST",
        template: "/api/v1/work-orders/{id}/complete",
        allowed: FIELD,
    },
    Case {
        method: "POST",
        template: "/api/v1/work-orders/{id}/addenda",
        allowed: FIELD_OR_MANAGE,
    },
    Case {
        method: "POST",
        template: "/api/v1/work-orders/{id}/record/center",
        allowed: FIELD_OR_DISPATCH,
    },
    Case {
        method: "POST",
        template: "/api/v1/work-orders/{id}/photos",
        allowed: FIELD,
    },
    Case {
        method: "GET",
        template: "/api/v1/work-orders/{id}/photos/{photo_id}",
        allowed: REQ_READ,
    },
    // Intake (docs/service-flow.md): the catalog, and portal accounts' customer records.
    Case {
        method: "GET",
        template: "/api/v1/catalog/codes",
        allowed: STAFF_AND_PARTNER,
    },
    Case {
        method: "PUT",
        template: "/api/v1/users/{id}/customer",
        allowed: &["admin"],
    },
    // Dispatch (docs/service-flow.md, "Dispatcher board"): a manager within their subtree.
    Case {
        method: "GET",
        template: "/api/v1/work-orders/{id}/suggestions",
        allowed: DISPATCHERS,
    },
    Case {
        method: "GET",
        template: "/api/v1/dispatch/board",
        allowed: DISPATCHERS,
    },
    // Spare parts and stock (issue 14, docs/parts.md).
    Case {
        method: "GET",
        template: "/api/v1/parts",
        allowed: STAFF_AND_PARTNER,
    },
    Case {
        method: "POST",
        template: "/api/v1/parts",
        allowed: PARTS_MANAGE,
    },
    Case {
        method: "GET",
        template: "/api/v1/parts/{part_no}",
        allowed: STAFF_AND_PARTNER,
    },
    // Labels (docs/labels.md): part labels for whoever reads the catalog, bin labels for
    // stock readers, loaner labels for loaner readers.
    Case {
        method: "GET",
        template: "/api/v1/parts/labels",
        allowed: STAFF_AND_PARTNER,
    },
    Case {
        method: "GET",
        template: "/api/v1/stock/locations/{code}/labels",
        allowed: STOCK_READ,
    },
    Case {
        method: "GET",
        template: "/api/v1/loaners/labels",
        allowed: LOANERS_READ,
    },
    Case {
        method: "PUT",
        template: "/api/v1/parts/{part_no}",
        allowed: PARTS_MANAGE,
    },
    Case {
        method: "GET",
        template: "/api/v1/suppliers",
        allowed: STAFF_AND_PARTNER,
    },
    Case {
        method: "POST",
        template: "/api/v1/suppliers",
        allowed: PARTS_MANAGE,
    },
    Case {
        method: "PUT",
        template: "/api/v1/suppliers/{code}",
        allowed: PARTS_MANAGE,
    },
    Case {
        method: "GET",
        template: "/api/v1/stock/locations",
        allowed: STOCK_READ,
    },
    Case {
        method: "POST",
        template: "/api/v1/stock/locations",
        allowed: PARTS_MANAGE,
    },
    Case {
        method: "GET",
        template: "/api/v1/stock/balances",
        allowed: STOCK_READ,
    },
    Case {
        method: "GET",
        template: "/api/v1/stock/moves",
        allowed: STOCK_READ,
    },
    // The warehouse; engineers and partners on their own orders; managers settling counts.
    Case {
        method: "POST",
        template: "/api/v1/stock/moves",
        allowed: &["admin", "engineer", "warehouse", "manager", "partner"],
    },
    Case {
        method: "GET",
        template: "/api/v1/stock/valuation",
        allowed: STOCK_READ,
    },
    Case {
        method: "PUT",
        template: "/api/v1/stock/locations/{code}/reorder-points/{part_no}",
        allowed: PARTS_MANAGE,
    },
    // Loaners (docs/loaners.md): warehouse keepers and managers within their subtree.
    Case {
        method: "GET",
        template: "/api/v1/loaners",
        allowed: LOANERS_READ,
    },
    Case {
        method: "POST",
        template: "/api/v1/loaners",
        allowed: LOANERS_MANAGE,
    },
    Case {
        method: "GET",
        template: "/api/v1/loaners/{id}",
        allowed: LOANERS_READ,
    },
    Case {
        method: "POST",
        template: "/api/v1/loaners/{id}/issue",
        allowed: LOANERS_MANAGE,
    },
    Case {
        method: "POST",
        template: "/api/v1/loaners/{id}/return",
        allowed: LOANERS_MANAGE,
    },
    Case {
        method: "POST",
        template: "/api/v1/loaners/{id}/status",
        allowed: LOANERS_MANAGE,
    },
    // Payments, receipts and cash hand-over (docs/charges.md).
    Case {
        method: "GET",
        template: "/api/v1/payments",
        allowed: PAYMENTS_RECORD,
    },
    Case {
        method: "POST",
        template: "/api/v1/payments",
        allowed: PAYMENTS_RECORD,
    },
    Case {
        method: "POST",
        template: "/api/v1/payments/{receipt}/refund",
        allowed: PAYMENTS_MANAGE,
    },
    Case {
        method: "PUT",
        template: "/api/v1/payments/{receipt}/invoice",
        allowed: PAYMENTS_MANAGE,
    },
    Case {
        method: "GET",
        template: "/api/v1/receipts/{receipt}/pdf",
        allowed: PAYMENTS_RECORD,
    },
    Case {
        method: "GET",
        template: "/api/v1/cash-handovers",
        allowed: PAYMENTS_RECORD,
    },
    Case {
        method: "POST",
        template: "/api/v1/cash-handovers",
        allowed: PAYMENTS_RECORD,
    },
    Case {
        method: "GET",
        template: "/api/v1/cash-handovers/held",
        allowed: PAYMENTS_RECORD,
    },
    Case {
        method: "POST",
        template: "/api/v1/cash-handovers/{id}/confirm",
        allowed: PAYMENTS_MANAGE,
    },
    // Requisitions and shipments (docs/requisitions.md): stations, partners and engineers
    // ask; the warehouse approves, rejects and ships; the receiving side receives.
    Case {
        method: "GET",
        template: "/api/v1/requisitions",
        allowed: STOCK_READ,
    },
    Case {
        method: "POST",
        template: "/api/v1/requisitions",
        allowed: PARTS_REQUEST,
    },
    Case {
        method: "GET",
        template: "/api/v1/requisitions/{number}",
        allowed: STOCK_READ,
    },
    Case {
        method: "POST",
        template: "/api/v1/requisitions/{number}/approve",
        allowed: PARTS_MANAGE,
    },
    Case {
        method: "POST",
        template: "/api/v1/requisitions/{number}/reject",
        allowed: PARTS_MANAGE,
    },
    Case {
        method: "POST",
        template: "/api/v1/requisitions/{number}/ship",
        allowed: PARTS_MANAGE,
    },
    Case {
        method: "POST",
        template: "/api/v1/requisitions/{number}/cancel",
        allowed: PARTS_REQUEST,
    },
    Case {
        method: "GET",
        template: "/api/v1/shipments",
        allowed: STOCK_READ,
    },
    Case {
        method: "GET",
        template: "/api/v1/shipments/accuracy",
        allowed: STOCK_READ,
    },
    Case {
        method: "POST",
        template: "/api/v1/shipments/{number}/receive",
        allowed: STOCK_READ,
    },
    // Stocktaking (docs/parts.md): the warehouse opens, counts and submits; a manager
    // approves or rejects; whoever reads stock reads the sheets of their scope.
    Case {
        method: "GET",
        template: "/api/v1/stock/counts",
        allowed: STOCK_READ,
    },
    Case {
        method: "POST",
        template: "/api/v1/stock/counts",
        allowed: PARTS_MANAGE,
    },
    Case {
        method: "GET",
        template: "/api/v1/stock/counts/{number}",
        allowed: STOCK_READ,
    },
    Case {
        method: "PUT",
        template: "/api/v1/stock/counts/{number}/lines",
        allowed: PARTS_MANAGE,
    },
    Case {
        method: "POST",
        template: "/api/v1/stock/counts/{number}/submit",
        allowed: PARTS_MANAGE,
    },
    Case {
        method: "POST",
        template: "/api/v1/stock/counts/{number}/cancel",
        allowed: PARTS_MANAGE,
    },
    Case {
        method: "POST",
        template: "/api/v1/stock/counts/{number}/approve",
        allowed: STOCK_APPROVE,
    },
    Case {
        method: "POST",
        template: "/api/v1/stock/counts/{number}/reject",
        allowed: STOCK_APPROVE,
    },
    // Old for new: everyone who reads stock sees their scope's obligations; the engineer
    // hands in their own; the warehouse receives; quality control reads the report.
    Case {
        method: "GET",
        template: "/api/v1/defect-returns",
        allowed: STOCK_READ,
    },
    Case {
        method: "POST",
        template: "/api/v1/defect-returns/{number}/hand-in",
        allowed: &["engineer", "partner"],
    },
    Case {
        method: "POST",
        template: "/api/v1/defect-returns/{number}/receive",
        allowed: PARTS_MANAGE,
    },
    Case {
        method: "GET",
        template: "/api/v1/defect-returns/report",
        allowed: &["admin", "warehouse", "manager"],
    },
    Case {
        method: "GET",
        template: "/api/v1/failure-codes",
        allowed: &[
            "admin",
            "agent",
            "dispatcher",
            "engineer",
            "warehouse",
            "manager",
            "partner",
        ],
    },
    Case {
        method: "POST",
        template: "/api/v1/failure-codes",
        allowed: PARTS_MANAGE,
    },
    Case {
        method: "PUT",
        template: "/api/v1/failure-codes/{code}",
        allowed: PARTS_MANAGE,
    },
    // Charges (docs/charges.md): those who price work read a work order's charges and
    // make quotes; a manager (or an admin) overrides the start gate.
    Case {
        method: "GET",
        template: "/api/v1/work-orders/{id}/charges",
        allowed: PRICERS,
    },
    Case {
        method: "POST",
        template: "/api/v1/work-orders/{id}/charges/override",
        allowed: STOCK_APPROVE,
    },
    Case {
        method: "GET",
        template: "/api/v1/quotes",
        allowed: PRICERS,
    },
    Case {
        method: "POST",
        template: "/api/v1/quotes",
        allowed: PRICERS,
    },
    Case {
        method: "GET",
        template: "/api/v1/quotes/{number}",
        allowed: PRICERS,
    },
    Case {
        method: "POST",
        template: "/api/v1/quotes/{number}/confirm",
        allowed: PRICERS,
    },
    Case {
        method: "POST",
        template: "/api/v1/quotes/{number}/decline",
        allowed: PRICERS,
    },
    Case {
        method: "GET",
        template: "/api/v1/quotes/{number}/pdf",
        allowed: PRICERS,
    },
    // Fee schedules (docs/charges.md): read by those who price work, kept by admins.
    Case {
        method: "GET",
        template: "/api/v1/fee-schedules",
        allowed: FEE_SCHEDULES_READ,
    },
    Case {
        method: "POST",
        template: "/api/v1/fee-schedules",
        allowed: &["admin"],
    },
    Case {
        method: "GET",
        template: "/api/v1/fee-schedules/current",
        allowed: FEE_SCHEDULES_READ,
    },
    Case {
        method: "GET",
        template: "/api/v1/fee-schedules/{id}",
        allowed: FEE_SCHEDULES_READ,
    },
];

/// Public operations, reachable without a token.
/// Device alarms authenticate with an HMAC signature instead of a token (tested in
/// `requests_ui`).
const PUBLIC: &[(&str, &str)] = &[("POST", "/api/v1/auth/login"), ("POST", "/api/v1/alarms")];

/// A request for the case that is harmless if it gets through.
fn body_for(c: &Case) -> Option<Value> {
    match (c.method, c.template) {
        ("POST", "/api/v1/me/password") => {
            Some(json!({"current_password": "x", "new_password": "short"}))
        }
        ("POST", "/api/v1/me/tokens") => Some(json!({"name": ""})),
        ("POST", "/api/v1/users") => {
            Some(json!({"username": "x", "display_name": "", "role": "nobody", "password": "1"}))
        }
        ("PATCH", "/api/v1/users/{id}") => Some(json!({"version": 0, "role": "nobody"})),
        ("POST", "/api/v1/users/{id}/password") => Some(json!({"password": "1"})),
        ("PUT", "/api/v1/users/{id}/customer") => Some(json!({"customer_id": "x"})),
        ("POST", "/api/v1/org-units") => Some(json!({"kind": "nowhere", "code": "", "name": ""})),
        ("PATCH", "/api/v1/org-units/{id}") => Some(json!({"version": 0, "code": "不行"})),
        ("POST", "/api/v1/warranty-policies") => {
            Some(json!({"code": "", "name": "", "version": bad_version()}))
        }
        ("POST", "/api/v1/warranty-policies/{code}/versions") => Some(bad_version()),
        ("POST", "/api/v1/products") => Some(json!({"code": "", "name": "", "product_line": ""})),
        ("PUT", "/api/v1/products/{id}") => {
            Some(json!({"version": 1, "name": "", "product_line": ""}))
        }
        ("PUT", "/api/v1/contracts/{id}") => {
            Some(json!({"version": 1, "start_date": "x", "end_date": "x", "service_level": ""}))
        }
        ("POST", "/api/v1/customers") => Some(json!({"kind": "alien", "name": ""})),
        ("PUT", "/api/v1/customers/{id}") => {
            Some(json!({"version": 1, "kind": "alien", "name": ""}))
        }
        ("POST", "/api/v1/units/{serial}/transfer") => {
            Some(json!({"version": 1, "customer_id": "x"}))
        }
        ("POST", "/api/v1/contracts") => Some(
            json!({"customer_id": "x", "start_date": "x", "end_date": "x", "service_level": ""}),
        ),
        ("POST", "/api/v1/units") => Some(json!({"product_code": "", "serial": "不行"})),
        ("POST", "/api/v1/service-requests") => {
            Some(json!({"customer_id": "x", "kind": "nope", "symptom": ""}))
        }
        ("POST", "/api/v1/service-requests/{id}/owner") => {
            Some(json!({"version": 1, "owner_id": "x"}))
        }
        ("POST", "/api/v1/service-requests/{id}/triage") => {
            Some(json!({"version": 1, "mode": "nope"}))
        }
        ("POST", "/api/v1/service-requests/{id}/cancel") => {
            Some(json!({"version": 1, "reason": ""}))
        }
        ("POST", "/api/v1/service-requests/{id}/work-orders") => {
            Some(json!({"version": 1, "org_unit_id": "x"}))
        }
        ("POST", "/api/v1/work-orders/{id}/dispatch") => {
            Some(json!({"version": 1, "engineer_id": "x"}))
        }
        ("POST", "/api/v1/work-orders/{id}/booking-check") => {
            Some(json!({"engineer_id": "x", "starts_at": "x", "ends_at": "y"}))
        }
        // Passes the body's schema: allowed roles escalate (a bell entry, nothing else).
        ("POST", "/api/v1/work-orders/{id}/escalate") => Some(json!({})),
        // Refused on its fields (a blank reason, not an id): nothing is handed over.
        ("POST", "/api/v1/work-orders/{id}/transfer") => {
            Some(json!({"version": 1, "org_unit_id": "x", "reason": ""}))
        }
        ("POST", "/api/v1/work-orders/{id}/decline") => Some(json!({"version": 1, "reason": ""})),
        ("POST", "/api/v1/work-orders/{id}/appointment") => {
            Some(json!({"version": 1, "starts_at": "x", "ends_at": "y", "customer_agreed": true}))
        }
        ("POST", "/api/v1/work-orders/{id}/transition") => {
            Some(json!({"version": 1, "action": "fly"}))
        }
        ("PUT", "/api/v1/work-orders/{id}/record") => {
            Some(json!({"version": 0, "rating_quality": 9}))
        }
        ("POST", "/api/v1/work-orders/{id}/signature") => Some(json!({})),
        ("POST", "/api/v1/work-orders/{id}/complete") => {
            Some(json!({"version": 1, "outcome": "magic"}))
        }
        ("POST", "/api/v1/work-orders/{id}/addenda") => Some(json!({"body": ""})),
        ("POST", "/api/v1/work-orders/{id}/record/center") => {
            Some(json!({"fault_cause_code": "", "action_taken": ""}))
        }
        ("POST", "/api/v1/work-orders/{id}/callbacks") => Some(json!({"outcome": "maybe"})),
        ("POST", "/api/v1/service-requests/{id}/remote-outcome") => {
            Some(json!({"version": 1, "solved": true, "note": "\u{1}"}))
        }
        (
            "POST",
            "/api/v1/service-requests/{id}/resolve"
            | "/api/v1/service-requests/{id}/close"
            | "/api/v1/service-requests/{id}/reopen",
        ) => Some(json!({"version": 1, "note": "\u{1}"})),
        ("POST", "/api/v1/work-orders/{id}/accept") => {
            Some(json!({"version": 1, "latitude": 99.0, "longitude": 0.0}))
        }
        ("PUT", "/api/v1/org-units/{id}/regions") => {
            Some(json!({"version": 0, "regions": ["21a102"]}))
        }
        ("POST", "/api/v1/users/{id}/certifications") => {
            Some(json!({"product_line": "", "level": "guru"}))
        }
        ("PATCH", "/api/v1/users/{id}/certifications/{cert_id}") => {
            Some(json!({"version": 0, "level": "guru"}))
        }
        ("POST", "/api/v1/service-requests/{id}/sla/acknowledge") => {
            Some(json!({"milestone": "lunch"}))
        }
        ("PUT", "/api/v1/calendars/{key}") => Some(
            json!({"name_zh": "", "name_en": "", "always": false, "weekly": [], "observes_holidays": true, "version": 1}),
        ),
        ("PUT", "/api/v1/special-days/{day}") => Some(json!({"kind": "nope", "name": ""})),
        ("PUT", "/api/v1/calendars/{key}/overrides/{org_unit_id}") => {
            Some(json!({"time_zone": "Mars/Olympus"}))
        }
        ("POST", "/api/v1/sla/rules") => Some(json!({"name": "", "targets": []})),
        ("POST", "/api/v1/service-requests/{id}/priority") => {
            Some(json!({"version": 1, "priority": "asap", "note": ""}))
        }
        ("POST", "/api/v1/notifications/read") => Some(json!({"id": "nope"})),
        ("PUT", "/api/v1/users/{id}/contact") => Some(json!({"email": "nope"})),
        ("PUT", "/api/v1/customers/{id}/tier") => Some(json!({"tier": "v i p"})),
        ("POST", "/api/v1/test-clock/advance") => Some(json!({"minutes": 0})),
        ("POST", "/api/v1/parts") => Some(json!({"part_no": "", "name_zh": "", "name_en": "",
            "category": "x", "cost_fen": -1, "list_price_fen": -1})),
        ("PUT", "/api/v1/parts/{part_no}") => {
            Some(json!({"version": 1, "name_zh": "", "name_en": "",
            "category": "x", "cost_fen": -1, "list_price_fen": -1}))
        }
        ("POST", "/api/v1/suppliers") => Some(json!({"code": "", "name": ""})),
        ("PUT", "/api/v1/suppliers/{code}") => Some(json!({"version": 1, "name": ""})),
        ("POST", "/api/v1/stock/locations") => Some(json!({"code": "", "name": "", "kind": "x"})),
        ("POST", "/api/v1/stock/moves") => Some(json!({"kind": "x", "part": "", "qty": 0})),
        ("PUT", "/api/v1/stock/locations/{code}/reorder-points/{part_no}") => {
            Some(json!({"reorder_point": -1, "reorder_qty": 0}))
        }
        ("POST", "/api/v1/loaners") => Some(json!({"serial": "", "model": ""})),
        ("POST", "/api/v1/payments") => {
            Some(json!({"work_order": "WONOPE", "amount_fen": 1.5, "method": "barter"}))
        }
        ("POST", "/api/v1/payments/{receipt}/refund") => {
            Some(json!({"amount_fen": -1, "reason": ""}))
        }
        ("PUT", "/api/v1/payments/{receipt}/invoice") => {
            Some(json!({"invoice_no": "", "invoice_type": "x"}))
        }
        ("POST", "/api/v1/cash-handovers") => Some(json!({})),
        ("POST", "/api/v1/cash-handovers/{id}/confirm") => Some(json!({"counted_fen": -5})),
        ("POST", "/api/v1/loaners/{id}/issue") => {
            Some(json!({"request": "", "expected_return": "x"}))
        }
        ("POST", "/api/v1/loaners/{id}/return") => {
            Some(json!({"condition": "x", "accessories_complete": true}))
        }
        ("POST", "/api/v1/loaners/{id}/status") => Some(json!({"to": "on_loan"})),
        ("POST", "/api/v1/work-orders/{id}/charges/override") => Some(json!({"reason": ""})),
        ("POST", "/api/v1/quotes") => Some(json!({"work_order": ""})),
        ("POST", "/api/v1/quotes/{number}/confirm")
        | ("POST", "/api/v1/quotes/{number}/decline") => {
            Some(json!({"version": 1, "signature_png": "not base64"}))
        }
        ("POST", "/api/v1/requisitions") => Some(json!({"requesting": "", "lines": []})),
        ("POST", "/api/v1/requisitions/{number}/approve")
        | ("POST", "/api/v1/requisitions/{number}/reject")
        | ("POST", "/api/v1/requisitions/{number}/ship")
        | ("POST", "/api/v1/shipments/{number}/receive") => Some(json!({})),
        ("POST", "/api/v1/stock/counts") => Some(json!({"location": ""})),
        ("PUT", "/api/v1/stock/counts/{number}/lines") => Some(json!({"lines": []})),
        ("POST", "/api/v1/stock/counts/{number}/approve")
        | ("POST", "/api/v1/stock/counts/{number}/reject") => Some(json!({})),
        ("POST", "/api/v1/defect-returns/{number}/hand-in") => Some(json!({})),
        ("POST", "/api/v1/defect-returns/{number}/receive") => {
            Some(json!({"failure_code": "NOPE"}))
        }
        ("PUT", "/api/v1/failure-codes/{code}") => {
            Some(json!({"name_zh": "", "name_en": "", "active": true}))
        }
        ("POST", "/api/v1/failure-codes") => {
            Some(json!({"code": "", "name_zh": "", "name_en": ""}))
        }
        ("POST", "/api/v1/fee-schedules") => Some(bad_fee_schedule()),
        _ => None,
    }
}

/// A fee schedule of the right shape that fails validation (the day and the currency).
fn bad_fee_schedule() -> Value {
    json!({"effective_from": "someday", "currency": "XXX",
        "labor": {"rates": [], "minimum_minutes": 60, "step_minutes": 30},
        "travel": {"same_city_fen": 0, "same_province_fen": 0, "other_province_fen": 0},
        "surcharges": {"urgent": "0", "night": "0", "holiday": "0",
            "night_from_hour": 20, "night_until_hour": 8},
        "vat": "0.13", "pay_first": true, "no_serial": "refuse", "quote_valid_days": 7})
}

/// A policy version with every value wrong, but of the right shape.
fn bad_version() -> Value {
    json!({"effective_from": "someday", "months": 1, "start_basis": "never",
        "in_warranty": {"parts": "x", "labor": "x", "travel": "x"}, "exclusion_charge": "x"})
}

both!(
    every_role_gets_exactly_the_api_operations_of_the_matrix,
    every_operation_is_in_the_openapi_document_and_the_matrix
);

async fn every_role_gets_exactly_the_api_operations_of_the_matrix(app: TestApp) {
    let user_id = app.user_id("engineer").await;
    let unit_id = app.unit_id("HQ").await;
    let mut failures = Vec::new();
    let mut checked = 0;
    for role in ALL {
        for c in CASES {
            // Logout ends the token it is sent with: use a token of its own.
            let token = app.token(role).await;
            let path = c
                .template
                .replace("/users/{id}", &format!("/users/{user_id}"))
                .replace("/org-units/{id}", &format!("/org-units/{unit_id}"))
                .replace("/tokens/{id}", &format!("/tokens/{}", uuid::Uuid::now_v7()))
                .replace(
                    "/customers/{id}",
                    &format!("/customers/{}", uuid::Uuid::now_v7()),
                )
                .replace(
                    "/products/{id}",
                    &format!("/products/{}", uuid::Uuid::now_v7()),
                )
                .replace(
                    "/contracts/{id}",
                    &format!("/contracts/{}", uuid::Uuid::now_v7()),
                )
                .replace(
                    "/service-requests/{id}",
                    &format!("/service-requests/{}", uuid::Uuid::now_v7()),
                )
                .replace(
                    "/work-orders/{id}",
                    &format!("/work-orders/{}", uuid::Uuid::now_v7()),
                )
                .replace("{photo_id}", &uuid::Uuid::now_v7().to_string())
                .replace(
                    "/imports/{id}",
                    &format!("/imports/{}", uuid::Uuid::now_v7()),
                )
                .replace("{cert_id}", &uuid::Uuid::now_v7().to_string())
                .replace("/jobs/{id}", &format!("/jobs/{}", uuid::Uuid::now_v7()))
                .replace(
                    "/loaners/{id}",
                    &format!("/loaners/{}", uuid::Uuid::now_v7()),
                )
                .replace(
                    "/fee-schedules/{id}",
                    &format!("/fee-schedules/{}", uuid::Uuid::now_v7()),
                )
                .replace(
                    "/cash-handovers/{id}",
                    &format!("/cash-handovers/{}", uuid::Uuid::now_v7()),
                )
                .replace("{receipt}", "RC000000000000")
                .replace("{key}", "workdays")
                .replace("{org_unit_id}", &unit_id)
                .replace("{day}", "2026-02-30")
                .replace("{code}", "NOPE")
                .replace("{serial}", "NOSUCH")
                .replace("{part_no}", "NOPE")
                .replace("{number}", "NOPE");
            let path = match c.template {
                "/api/v1/search" => format!("{path}?q=zz"),
                "/api/v1/customers/by-phone" => format!("{path}?phone=13800138000"),
                "/api/v1/org-units/covering" => format!("{path}?region=210102"),
                "/api/v1/catalog/codes" => format!("{path}?kind=nope"),
                "/api/v1/payments" => format!("{path}?work_order=WONOPE"),
                _ => path,
            };
            let (status, body) = app.send(c.method, &path, &token, body_for(c)).await;
            let allowed = c.allowed.contains(role);
            let ok = if allowed {
                status != 401 && status != 403 && status < 500
            } else {
                status == 403 && body["code"] == "forbidden"
            };
            checked += 1;
            if !ok {
                failures.push(format!(
                    "{role} {} {path}: {status} {body} (allowed: {allowed})",
                    c.method
                ));
            }
        }
    }
    assert_eq!(checked, ALL.len() * CASES.len());
    assert!(
        failures.is_empty(),
        "matrix violations on {}:\n{}",
        app.backend,
        failures.join("\n")
    );
}

async fn every_operation_is_in_the_openapi_document_and_the_matrix(app: TestApp) {
    let r = app
        .http
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 200);
    let doc: Value = r.json().await.expect("json");
    assert!(
        doc["openapi"].as_str().expect("version").starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let mut in_doc = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["get", "post", "put", "patch", "delete"] {
            if let Some(op) = item.get(method) {
                in_doc.insert((method.to_uppercase(), path.clone()));
                for status in ["400", "500"] {
                    assert!(
                        op["responses"].get(status).is_some(),
                        "{method} {path} lacks {status}"
                    );
                }
            }
        }
    }
    let mut in_matrix: BTreeSet<(String, String)> = CASES
        .iter()
        .map(|c| (c.method.to_owned(), c.template.to_owned()))
        .collect();
    in_matrix.extend(
        PUBLIC
            .iter()
            .map(|(m, p)| ((*m).to_owned(), (*p).to_owned())),
    );
    assert_eq!(
        in_doc, in_matrix,
        "the OpenAPI document and the route matrix differ"
    );

    // And every documented operation is really routed (not the 404 fallback).
    let admin = app.token("admin").await;
    for (method, path) in &in_doc {
        let concrete = path
            .replace("{id}", &uuid::Uuid::now_v7().to_string())
            .replace("{cert_id}", &uuid::Uuid::now_v7().to_string())
            .replace("{key}", "nope")
            .replace("{org_unit_id}", &uuid::Uuid::now_v7().to_string())
            .replace("{day}", "2026-02-30")
            .replace("{code}", "NOPE")
            .replace("{serial}", "NOSUCH");
        let (status, body) = app.send(method, &concrete, &admin, Some(json!({}))).await;
        let fell_through = status == 404 && body["code"] == "not_found" && !path.contains('{');
        assert!(
            !fell_through && status != 405,
            "{method} {path} is documented but not routed: {status} {body}"
        );
    }
}
