//! The audit trail's vocabulary (R-REC-1, docs/operations.md "The audit trail"): which kind of
//! record an entry is about and what was done to it. Both are stored as text with a CHECK in
//! both schemas; the names are those the trail has always written, so the audit API reads the
//! same.

use serde::{Deserialize, Serialize};
use std::fmt;

crate::service::named_enum!(
    /// The kind of record an audit entry is about.
    AuditEntity {
        User => "user",
        ApiToken => "api_token",
        OrgUnit => "org_unit",
        Certification => "certification",
        Customer => "customer",
        Unit => "unit",
        Product => "product",
        WarrantyPolicy => "warranty_policy",
        Contract => "contract",
        /// A service request (SR). Its changes are kept in the request's event log, which
        /// the audit page merges in.
        ServiceRequest => "service_request",
        /// A work order (WO), with its request's event log as above.
        WorkOrder => "work_order",
        SlaRule => "sla_rule",
        Calendar => "calendar",
        /// One scope's special days as a whole (an import of the national schedule).
        SpecialDays => "special_days",
        /// One special day of a scope (`scope:YYYY-MM-DD`).
        SpecialDay => "special_day",
        /// A unit's own calendar for a calendar key (`key:org unit id`).
        CalendarOverride => "calendar_override",
        Job => "job",
        ImportBatch => "import_batch",
        /// A spare part of the catalog.
        Part => "part",
        Supplier => "supplier",
        StockLocation => "stock_location",
        /// A stock move (its own row is the ledger; the trail says who posted it).
        StockMove => "stock_move",
        /// A part's reorder point at a location (`location id:part id`).
        ReorderPoint => "reorder_point",
        /// A loaner unit of the pool (docs/loaners.md).
        Loaner => "loaner",
        /// A request for parts from a store, a partner or an engineer.
        Requisition => "requisition",
        Shipment => "shipment",
        /// A defective part owed back under old-for-new (R-PRT-3).
        DefectReturn => "defect_return",
        FailureCode => "failure_code",
        /// A stocktaking count sheet.
        StockCount => "stock_count",
        /// A version of the fee schedule (docs/charges.md).
        FeeSchedule => "fee_schedule",
        /// A quote (QT…), one entry per version.
        Quote => "quote",
        /// A payment or refund; its receipt (RC…) is part of it.
        Payment => "payment",
        /// Cash an engineer handed to accounting.
        CashHandover => "cash_handover",
    }
);

crate::service::named_enum!(
    /// What was done to the record.
    AuditAction {
        Create => "create",
        Update => "update",
        /// Created by an import (the entry's `after` names the batch).
        Import => "import",
        Put => "put",
        Delete => "delete",
        Remove => "remove",
        Disable => "disable",
        Enable => "enable",
        Login => "login",
        Logout => "logout",
        ChangePassword => "change_password",
        ResetPassword => "reset_password",
        LinkCustomer => "link_customer",
        SetContact => "set_contact",
        SetRegions => "set_regions",
        SetTier => "set_tier",
        Transfer => "transfer",
        AddVersion => "add_version",
        Revoke => "revoke",
        Retry => "retry",
        /// A job nobody may be sent on, handed to the manager (issue 13, defect 6).
        Escalate => "escalate",
        /// A stock move written to the ledger.
        Post => "post",
        /// A part or a loaner given out (a loaner lent against a request).
        Issue => "issue",
        /// Taken back (a loaner, with its inspection).
        Return => "return",
        Inspect => "inspect",
        Approve => "approve",
        Reject => "reject",
        Ship => "ship",
        Receive => "receive",
        Close => "close",
        /// Charged to a unit (an overdue defective part, urgent freight).
        Charge => "charge",
        /// A quote confirmed (by the customer's link or signature).
        Confirm => "confirm",
        Decline => "decline",
        /// A manager let paid work go on without confirmation or payment.
        Override => "override",
        Refund => "refund",
        /// The invoice (发票) number recorded on a payment.
        Invoice => "invoice",
        /// Cash handed over to accounting.
        HandOver => "hand_over",
    }
);

impl AuditAction {
    /// Signing in and out: many a day, and seldom what a reader of the trail looks for, so
    /// the audit page hides them unless asked.
    pub const SIGN_INS: &'static [AuditAction] = &[AuditAction::Login, AuditAction::Logout];

    pub fn is_sign_in(self) -> bool {
        AuditAction::SIGN_INS.contains(&self)
    }
}

impl AuditEntity {
    /// The kinds of record a manager reads in the trail of their subtree (issue 13, defect
    /// 11): the work of their units and what it touches. Never sign-ins, users, tokens, nor
    /// what holds for the whole network (products, policies, rules, calendars, jobs,
    /// imports). Which records of these kinds lie in a subtree is the store's query.
    pub const IN_UNIT_SCOPE: &'static [AuditEntity] = &[
        AuditEntity::ServiceRequest,
        AuditEntity::WorkOrder,
        AuditEntity::Customer,
        AuditEntity::Unit,
        AuditEntity::Certification,
        AuditEntity::OrgUnit,
    ];

    pub fn in_unit_scope(self) -> bool {
        AuditEntity::IN_UNIT_SCOPE.contains(&self)
    }

    /// Kept in the service event log rather than in `audit_log`: the audit page reads these
    /// from there.
    pub fn in_event_log(self) -> bool {
        matches!(self, AuditEntity::ServiceRequest | AuditEntity::WorkOrder)
    }
}

/// A snapshot's field that a reader of the trail never needs (ids, versions, stamps,
/// secrets): left out of the field-level changes. Ids are shown as links to the record, never
/// as text.
pub fn is_internal_field(key: &str) -> bool {
    key == "id"
        || key.ends_with("_id")
        || key.ends_with("_ids")
        || matches!(
            key,
            "version" | "created_at" | "updated_at" | "password_hash" | "search_text" | "batch"
        )
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_manager_s_trail_holds_the_work_not_accounts() {
        use super::AuditEntity::*;
        for k in [
            ServiceRequest,
            WorkOrder,
            Customer,
            Unit,
            Certification,
            OrgUnit,
        ] {
            assert!(k.in_unit_scope(), "{k}");
        }
        for k in [
            User,
            ApiToken,
            Product,
            WarrantyPolicy,
            SlaRule,
            Calendar,
            Job,
            ImportBatch,
        ] {
            assert!(!k.in_unit_scope(), "{k}");
        }
    }

    use super::*;

    #[test]
    fn names_read_back_and_serialize_as_stored() {
        for e in AuditEntity::ALL {
            assert_eq!(AuditEntity::parse(e.as_str()), Some(*e));
            assert_eq!(serde_json::to_value(e).ok(), Some(e.as_str().into()));
        }
        for a in AuditAction::ALL {
            assert_eq!(AuditAction::parse(a.as_str()), Some(*a));
            assert_eq!(serde_json::to_value(a).ok(), Some(a.as_str().into()));
        }
        assert_eq!(AuditEntity::parse("forged"), None);
        assert_eq!(AuditAction::parse("Login"), None);
    }

    #[test]
    fn only_signing_in_and_out_are_sign_ins() {
        let sign_ins: Vec<_> = AuditAction::ALL.iter().filter(|a| a.is_sign_in()).collect();
        assert_eq!(sign_ins, [&AuditAction::Login, &AuditAction::Logout]);
    }

    #[test]
    fn ids_versions_and_secrets_are_internal_names_are_not() {
        for k in [
            "id",
            "org_unit_id",
            "version",
            "password_hash",
            "updated_at",
        ] {
            assert!(is_internal_field(k), "{k}");
        }
        for k in ["name", "display_name", "role", "phones", "identity"] {
            assert!(!is_internal_field(k), "{k}");
        }
    }
}
