//! Who may do what. Roles are the ones of R-ORG-2; a permission is one kind of action.
//! The matrix is a pure function so it is tested here exhaustively, and every use-case in
//! the `app` crate asks it before touching anything. Organization scope (which records of
//! a permitted kind a user may see) is decided in `app` with the user's unit.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Agent,
    Dispatcher,
    Engineer,
    Warehouse,
    Manager,
    Partner,
    Customer,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Admin,
        Role::Agent,
        Role::Dispatcher,
        Role::Engineer,
        Role::Warehouse,
        Role::Manager,
        Role::Partner,
        Role::Customer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Agent => "agent",
            Role::Dispatcher => "dispatcher",
            Role::Engineer => "engineer",
            Role::Warehouse => "warehouse",
            Role::Manager => "manager",
            Role::Partner => "partner",
            Role::Customer => "customer",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Partner technicians and the manufacturer's engineers hold certifications.
    pub fn holds_certifications(self) -> bool {
        matches!(self, Role::Engineer | Role::Partner)
    }

    /// A partner's technician (a service partner's, not the manufacturer's own).
    pub fn is_partner(self) -> bool {
        self == Role::Partner
    }

    /// A customer's account on the portal.
    pub fn is_customer(self) -> bool {
        self == Role::Customer
    }

    /// Staff of the manufacturer's own network (not partners, not customers).
    pub fn is_staff(self) -> bool {
        !matches!(self, Role::Partner | Role::Customer)
    }

    pub fn can(self, p: Permission) -> bool {
        use Permission::*;
        match p {
            // Everyone signed in manages their own profile.
            OwnProfile => true,
            // Personal API tokens are for the integrations of staff and partners; a
            // portal customer has none (issue 13: not in their menu, refused by the API).
            OwnTokens => !self.is_customer(),
            // The service network is read by staff and by partners (their own subtree).
            OrgRead => self.is_staff() || self == Role::Partner,
            OrgManage => self == Role::Admin,
            // Managers read the users of their own subtree; only admins change accounts.
            UsersRead => matches!(self, Role::Admin | Role::Manager),
            UsersManage => self == Role::Admin,
            AuditRead => self == Role::Admin,
            // The trail of the records of one's own subtree (requests, work orders,
            // customers, units, certifications, units of the network), not sign-ins nor
            // user administration: managers (issue 13, defect 11); admins read it all.
            AuditReadUnits => matches!(self, Role::Admin | Role::Manager),
            // Background jobs: seeing the parked ones with their errors, retrying them.
            JobsManage => self == Role::Admin,
            // Service levels (docs/sla.md, "Who keeps them"). Those who read requests read
            // the calendars, the special days, the rules and a request's clocks (each
            // request within their scope); customers do not.
            SlaRead => matches!(
                self,
                Role::Admin
                    | Role::Agent
                    | Role::Dispatcher
                    | Role::Engineer
                    | Role::Manager
                    | Role::Partner
            ),
            // The calendars, the national schedule and the rules hold for the whole
            // network: only admins change them (and any unit's days and overrides).
            CalendarsManage => self == Role::Admin,
            // A unit's own special days and calendar overrides: admins, and managers for
            // the units of their own subtree (the subtree is checked in `app`).
            UnitCalendarsManage => matches!(self, Role::Admin | Role::Manager),
            // The installed base: staff read it; the front office (agents, dispatchers,
            // managers) keeps it; admins set up products and warranty policies. Partners
            // and customers get their own scoped views later.
            CustomersRead | UnitsRead => self.is_staff(),
            CustomersManage | UnitsManage => {
                matches!(
                    self,
                    Role::Admin | Role::Agent | Role::Dispatcher | Role::Manager
                )
            }
            ProductsRead => self.is_staff() || self == Role::Partner,
            ProductsManage => self == Role::Admin,
            // The GB/T 2260 table is reference data every signed-in user may look up.
            RegionsRead => true,
            // Engineers' certifications (R-ORG-3): dispatchers read them to dispatch,
            // managers read and keep them for their subtree, engineers read their own,
            // partners their own unit's. Only the manufacturer records them (上岗).
            CertificationsRead => matches!(
                self,
                Role::Admin | Role::Dispatcher | Role::Manager | Role::Engineer | Role::Partner
            ),
            CertificationsManage => matches!(self, Role::Admin | Role::Manager),
            // Bulk import from files: the front office, and only for the kinds of record
            // the role may also create one by one (checked together in `app`).
            ImportData => matches!(
                self,
                Role::Admin | Role::Agent | Role::Dispatcher | Role::Manager
            ),
            // The service flow (docs/service-flow.md). Everyone but the warehouse reads
            // requests, each within their scope (a customer their own, an engineer those
            // with an order of theirs, a partner or manager their subtree's).
            RequestsRead => self != Role::Warehouse,
            RequestsCreate => matches!(
                self,
                Role::Admin | Role::Agent | Role::Dispatcher | Role::Manager | Role::Customer
            ),
            // The desk: filing a request for any customer (the agent console, API
            // clients). Without it, a customer files for their own record only.
            RequestsIntake => matches!(
                self,
                Role::Admin | Role::Agent | Role::Dispatcher | Role::Manager
            ),
            RequestsManage => matches!(
                self,
                Role::Admin | Role::Agent | Role::Dispatcher | Role::Manager
            ),
            Dispatch => matches!(self, Role::Admin | Role::Dispatcher | Role::Manager),
            // Handing a job nobody here may take to another station or a partner covering
            // the place (issue 13, defect 6): those who dispatch.
            DispatchTransfer => matches!(self, Role::Admin | Role::Dispatcher | Role::Manager),
            // Field work on the orders assigned to oneself: engineers and partner technicians.
            FieldWork => matches!(self, Role::Engineer | Role::Partner),
            Reconcile => matches!(self, Role::Admin | Role::Dispatcher | Role::Manager),
            // The figures of the service (the manager's home; KPIs), within one's scope.
            FiguresRead => matches!(self, Role::Admin | Role::Manager),
            // Spare parts (docs/parts.md). The catalog is read by staff and partners (who
            // order and fit parts); the warehouse and admins keep it.
            PartsRead => self.is_staff() || self == Role::Partner,
            PartsManage => matches!(self, Role::Admin | Role::Warehouse),
            // Stock: the warehouse and admins everywhere; managers and dispatchers their
            // subtree's; engineers their own van; partners their own store (scope in `app`).
            StockRead => self != Role::Customer && self != Role::Agent,
            // Receipts, transfers and write-offs at any location: the warehouse and admins.
            // Engineers and partner technicians post the moves of their own work orders
            // from their own van or store (FieldWork, checked in `app`).
            StockMove => matches!(self, Role::Admin | Role::Warehouse),
            // A count difference is approved by a manager (or an admin), never by the clerk
            // who counted.
            StockApprove => matches!(self, Role::Admin | Role::Manager),
            // Loaner units (R-PRT-6, docs/loaners.md): the front office reads the pool to
            // promise one on the phone; the warehouse, dispatchers and managers keep it
            // (register, issue against a request, take back), each within their scope
            // (warehouse keepers and managers their unit's subtree).
            LoanersRead => matches!(
                self,
                Role::Admin | Role::Agent | Role::Dispatcher | Role::Warehouse | Role::Manager
            ),
            LoanersManage => matches!(
                self,
                Role::Admin | Role::Dispatcher | Role::Warehouse | Role::Manager
            ),
            // Asking for parts (a requisition) for one's own stock: stations' and partners'
            // staff and engineers for their own van, store or unit (scope in `app`); the
            // warehouse supplies and does not ask.
            PartsRequest => matches!(
                self,
                Role::Admin | Role::Dispatcher | Role::Manager | Role::Engineer | Role::Partner
            ),
            // The defect report and quality alerts (R-PRT-4): quality control is the
            // managers', the warehouse that classifies the failures, and admins.
            QualityRead => matches!(self, Role::Admin | Role::Manager | Role::Warehouse),
            // Charges (docs/charges.md). The fee schedule is the network's: admins keep
            // it; staff and partners who price work read it.
            FeeSchedulesRead => matches!(
                self,
                Role::Admin
                    | Role::Agent
                    | Role::Dispatcher
                    | Role::Engineer
                    | Role::Manager
                    | Role::Partner
            ),
            FeeSchedulesManage => self == Role::Admin,
            // A work order's charges and quotes, each within the caller's scope of
            // requests: the front office, managers, and the engineer or partner
            // technician on the job. Quotes are made by the same people.
            ChargesRead | QuotesManage => matches!(
                self,
                Role::Admin
                    | Role::Agent
                    | Role::Dispatcher
                    | Role::Engineer
                    | Role::Manager
                    | Role::Partner
            ),
            // Letting paid work go on without confirmation or payment: a manager (or an
            // admin), with a reason, audited on the timeline.
            ChargesOverride => matches!(self, Role::Admin | Role::Manager),
            // Recording a payment: the engineer on site (cash, POS, a QR payment), the
            // front office (a bank transfer), managers and admins.
            PaymentsRecord => matches!(
                self,
                Role::Admin
                    | Role::Agent
                    | Role::Dispatcher
                    | Role::Engineer
                    | Role::Manager
                    | Role::Partner
            ),
            // Refunds, invoice numbers and confirming the cash engineers hand over: the
            // accounts of a station are kept by its manager (there is no separate
            // accounting role; docs/charges.md), and admins.
            PaymentsManage | CashConfirm => matches!(self, Role::Admin | Role::Manager),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Permission {
    OwnProfile,
    OwnTokens,
    OrgRead,
    OrgManage,
    UsersRead,
    UsersManage,
    AuditRead,
    AuditReadUnits,
    JobsManage,
    SlaRead,
    CalendarsManage,
    UnitCalendarsManage,
    CustomersRead,
    CustomersManage,
    ProductsRead,
    ProductsManage,
    UnitsRead,
    UnitsManage,
    RegionsRead,
    CertificationsRead,
    CertificationsManage,
    ImportData,
    RequestsRead,
    RequestsCreate,
    RequestsIntake,
    RequestsManage,
    Dispatch,
    DispatchTransfer,
    FieldWork,
    Reconcile,
    FiguresRead,
    PartsRead,
    PartsManage,
    StockRead,
    StockMove,
    StockApprove,
    LoanersRead,
    LoanersManage,
    PartsRequest,
    QualityRead,
    FeeSchedulesRead,
    FeeSchedulesManage,
    ChargesRead,
    QuotesManage,
    ChargesOverride,
    PaymentsRecord,
    PaymentsManage,
    CashConfirm,
}

impl Permission {
    pub const ALL: [Permission; 48] = [
        Permission::OwnProfile,
        Permission::OwnTokens,
        Permission::OrgRead,
        Permission::OrgManage,
        Permission::UsersRead,
        Permission::UsersManage,
        Permission::AuditRead,
        Permission::AuditReadUnits,
        Permission::JobsManage,
        Permission::SlaRead,
        Permission::CalendarsManage,
        Permission::UnitCalendarsManage,
        Permission::CustomersRead,
        Permission::CustomersManage,
        Permission::ProductsRead,
        Permission::ProductsManage,
        Permission::UnitsRead,
        Permission::UnitsManage,
        Permission::RegionsRead,
        Permission::CertificationsRead,
        Permission::CertificationsManage,
        Permission::ImportData,
        Permission::RequestsRead,
        Permission::RequestsCreate,
        Permission::RequestsIntake,
        Permission::RequestsManage,
        Permission::Dispatch,
        Permission::DispatchTransfer,
        Permission::FieldWork,
        Permission::Reconcile,
        Permission::FiguresRead,
        Permission::PartsRead,
        Permission::PartsManage,
        Permission::StockRead,
        Permission::StockMove,
        Permission::StockApprove,
        Permission::LoanersRead,
        Permission::LoanersManage,
        Permission::PartsRequest,
        Permission::QualityRead,
        Permission::FeeSchedulesRead,
        Permission::FeeSchedulesManage,
        Permission::ChargesRead,
        Permission::QuotesManage,
        Permission::ChargesOverride,
        Permission::PaymentsRecord,
        Permission::PaymentsManage,
        Permission::CashConfirm,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_names() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn engineers_and_partners_hold_certifications() {
        let holders: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| r.holds_certifications())
            .collect();
        assert_eq!(holders, vec![Role::Engineer, Role::Partner]);
        assert!(Role::Partner.is_partner() && !Role::Engineer.is_partner());
        assert!(Role::Customer.is_customer() && !Role::Agent.is_customer());
    }

    const STAFF: &[Role] = &[
        Role::Admin,
        Role::Agent,
        Role::Dispatcher,
        Role::Engineer,
        Role::Warehouse,
        Role::Manager,
    ];
    const FRONT_OFFICE: &[Role] = &[Role::Admin, Role::Agent, Role::Dispatcher, Role::Manager];

    #[test]
    fn the_permission_matrix_is_what_the_docs_promise() {
        const PRICERS: &[Role] = &[
            Role::Admin,
            Role::Agent,
            Role::Dispatcher,
            Role::Engineer,
            Role::Manager,
            Role::Partner,
        ];
        use Permission::*;
        // (permission, roles that hold it)
        let expected: &[(Permission, &[Role])] = &[
            (OwnProfile, &Role::ALL),
            (
                OwnTokens,
                &[
                    Role::Admin,
                    Role::Agent,
                    Role::Dispatcher,
                    Role::Engineer,
                    Role::Warehouse,
                    Role::Manager,
                    Role::Partner,
                ],
            ),
            (
                OrgRead,
                &[
                    Role::Admin,
                    Role::Agent,
                    Role::Dispatcher,
                    Role::Engineer,
                    Role::Warehouse,
                    Role::Manager,
                    Role::Partner,
                ],
            ),
            (OrgManage, &[Role::Admin]),
            (UsersRead, &[Role::Admin, Role::Manager]),
            (UsersManage, &[Role::Admin]),
            (AuditRead, &[Role::Admin]),
            (AuditReadUnits, &[Role::Admin, Role::Manager]),
            (JobsManage, &[Role::Admin]),
            (
                SlaRead,
                &[
                    Role::Admin,
                    Role::Agent,
                    Role::Dispatcher,
                    Role::Engineer,
                    Role::Manager,
                    Role::Partner,
                ],
            ),
            (CalendarsManage, &[Role::Admin]),
            (UnitCalendarsManage, &[Role::Admin, Role::Manager]),
            (CustomersRead, STAFF),
            (UnitsRead, STAFF),
            (CustomersManage, FRONT_OFFICE),
            (UnitsManage, FRONT_OFFICE),
            (
                ProductsRead,
                &[
                    Role::Admin,
                    Role::Agent,
                    Role::Dispatcher,
                    Role::Engineer,
                    Role::Warehouse,
                    Role::Manager,
                    Role::Partner,
                ],
            ),
            (ProductsManage, &[Role::Admin]),
            (RegionsRead, &Role::ALL),
            (
                CertificationsRead,
                &[
                    Role::Admin,
                    Role::Dispatcher,
                    Role::Engineer,
                    Role::Manager,
                    Role::Partner,
                ],
            ),
            (CertificationsManage, &[Role::Admin, Role::Manager]),
            (ImportData, FRONT_OFFICE),
            (
                RequestsRead,
                &[
                    Role::Admin,
                    Role::Agent,
                    Role::Dispatcher,
                    Role::Engineer,
                    Role::Manager,
                    Role::Partner,
                    Role::Customer,
                ],
            ),
            (
                RequestsCreate,
                &[
                    Role::Admin,
                    Role::Agent,
                    Role::Dispatcher,
                    Role::Manager,
                    Role::Customer,
                ],
            ),
            (RequestsIntake, FRONT_OFFICE),
            (RequestsManage, FRONT_OFFICE),
            (Dispatch, &[Role::Admin, Role::Dispatcher, Role::Manager]),
            (
                DispatchTransfer,
                &[Role::Admin, Role::Dispatcher, Role::Manager],
            ),
            (FieldWork, &[Role::Engineer, Role::Partner]),
            (Reconcile, &[Role::Admin, Role::Dispatcher, Role::Manager]),
            (FiguresRead, &[Role::Admin, Role::Manager]),
            (
                PartsRead,
                &[
                    Role::Admin,
                    Role::Agent,
                    Role::Dispatcher,
                    Role::Engineer,
                    Role::Warehouse,
                    Role::Manager,
                    Role::Partner,
                ],
            ),
            (PartsManage, &[Role::Admin, Role::Warehouse]),
            (
                StockRead,
                &[
                    Role::Admin,
                    Role::Dispatcher,
                    Role::Engineer,
                    Role::Warehouse,
                    Role::Manager,
                    Role::Partner,
                ],
            ),
            (StockMove, &[Role::Admin, Role::Warehouse]),
            (StockApprove, &[Role::Admin, Role::Manager]),
            (
                LoanersRead,
                &[
                    Role::Admin,
                    Role::Agent,
                    Role::Dispatcher,
                    Role::Warehouse,
                    Role::Manager,
                ],
            ),
            (
                LoanersManage,
                &[
                    Role::Admin,
                    Role::Dispatcher,
                    Role::Warehouse,
                    Role::Manager,
                ],
            ),
            (
                PartsRequest,
                &[
                    Role::Admin,
                    Role::Dispatcher,
                    Role::Manager,
                    Role::Engineer,
                    Role::Partner,
                ],
            ),
            (QualityRead, &[Role::Admin, Role::Manager, Role::Warehouse]),
            (FeeSchedulesRead, PRICERS),
            (FeeSchedulesManage, &[Role::Admin]),
            (ChargesRead, PRICERS),
            (QuotesManage, PRICERS),
            (ChargesOverride, &[Role::Admin, Role::Manager]),
            (PaymentsRecord, PRICERS),
            (PaymentsManage, &[Role::Admin, Role::Manager]),
            (CashConfirm, &[Role::Admin, Role::Manager]),
        ];
        assert_eq!(expected.len(), Permission::ALL.len());
        for (p, holders) in expected {
            for r in Role::ALL {
                assert_eq!(r.can(*p), holders.contains(&r), "{r} / {p:?}");
            }
        }
    }
}
