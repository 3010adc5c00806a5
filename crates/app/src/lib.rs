//! Use-cases of aftersales: one function per user intent. Each checks the caller's
//! permission and organization scope first, then runs one transaction that writes the
//! change and its audit row together. The web UI, the API, the CLI and the jobs all come
//! in through here; nothing above this layer writes SQL or decides a business rule.

mod accounts;
mod administration;
mod charges;
mod clock;
mod ctx;
mod demo;
mod error;
mod idempotency;
mod installed_base;
mod kpis;
mod loaners;
mod network;
mod notifications;
mod parts;
pub mod schema;
mod service;
mod site;
mod sla;

pub use accounts::auth::{LoginOutcome, NewToken, TokenView};
pub use accounts::passwords::PasswordCost;
pub use administration::audit::{
    AuditQuery, AuditView, FieldChange, TrailActor, TrailDeed, TrailEntry, TrailQuery,
    TrailSubject, field_changes,
};
pub use administration::export::{ExportCell, ExportFilter, ExportList, ExportPage};
pub use administration::import::{
    ColumnMap, FieldInfo, ImportAction, ImportFileInfo, ImportKind, ImportMode, ImportRejects,
    ImportReport, ImportRequest, PREVIEW_ROWS, PreviewRow, RejectedRow, RowError, normalize_header,
};
pub use administration::jobs::{
    Backoff, DEFAULT_MAX_ATTEMPTS, Failed, Job, JobCount, JobQuery, JobStatus, JobView,
    MAX_ERROR_CHARS, NewJob,
};
pub use charges::gate::ChargesOverrideInput;
pub use charges::handovers::{
    CASH_HELD_WARN_SECS, CashHolding, HandoverConfirm, HandoverView, HeldPayment, NewHandover,
};
pub use charges::link::{PublicQuote, payer_words};
pub use charges::payments::{
    InvoiceInput, InvoiceType, NewPayment, PaymentMethodName, PaymentView, RefundInput,
};
pub use charges::pricing::{
    ChargeReasonView, ChargesQuery, ChargesView, GateView, LineView, PayerTotalView,
    RecordedCostView, TotalsView,
};
pub use charges::provider::{PaymentProvider, ProviderError, TestProvider, Verified};
pub use charges::quotes::{
    NewQuoteInput, PlannedPartInput, QuoteAnswerInput, QuoteDetail, QuoteIssued, QuoteQuery,
    QuoteView,
};
pub use charges::receipts::ReceiptCheck;
pub use charges::{
    FeeScheduleInput, FeeScheduleVersionView, LaborInput, LaborRateInput, PartnerInput,
    SurchargesInput, TravelBandInput, TravelInput,
};
pub use clock::{Clock, ManualClock, SystemClock};
pub use ctx::{Actor, Ctx, Principal};
pub use demo::{DEMO_PASSWORD, DemoSummary};
pub use error::AppError;
pub use idempotency::Idempotency;
pub use installed_base::contracts::{
    ContractEdit, ContractQuery, ContractView, InspectionStep, NewContract,
};
pub use installed_base::customers::{
    CALLER_NAME_MAX, COMPLETENESS_TARGET_PERCENT, Completeness, CompletenessSummary, ContactEdit,
    ContactView, CustomerEdit, CustomerView, DuplicateHint, IncompleteView, MissingCount,
    NewCaller, NewContact, NewCustomer, NewSite, PhoneView, SearchHit, SiteEdit, SiteView,
};
pub use installed_base::products::{
    AfterTermDto, CoverageDto, NewPolicy, NewProduct, PolicyVersionDto, PolicyView, ProductEdit,
    ProductView,
};
pub use installed_base::units::{
    NewUnit, OWN_MANUFACTURER, OwnershipView, UnitOwner, UnitProduct, UnitQuery, UnitTransfer,
    UnitView, WarrantyQuery, WarrantyView,
};
pub use kpis::{BacklogBand, HomeFigures};
pub use loaners::{
    IssueLoaner, LOANER_OVERDUE, LoanView, LoanerDetail, LoanerEventView, LoanerQuery,
    LoanerStatusChange, LoanerView, NewLoaner, ReturnLoaner,
};
pub use network::certifications::{
    CertHolderView, CertificationPatch, CertificationQuery, CertificationView, NewCertification,
};
pub use network::coverage::{
    CoveragePut, CoverageView, CoveringView, OverlapView, ReasonView, RegionView, ResponsibleView,
    UnitCoverageSummary,
};
pub use network::org::{NewOrgUnit, OrgUnitPatch, OrgUnitView};
pub use network::users::{NewUser, UserPatch, UserQuery, UserView};
pub use notifications::{Inbox, NOTIFY_DELIVER, NotificationView, Outgoing, UserContactInput};
pub use parts::balances::{
    BalanceQuery, BalanceView, LedgerQuery, LocationValue, NewLocation, ReorderInput, ReorderView,
    Valuation,
};
pub use parts::catalog::{PartInput, PartView, SupplierInput, SupplierView};
pub use parts::defects::{
    DEFECT_OVERDUE, DefectReceiveInput, DefectReturnQuery, DefectReturnView, HandInInput,
};
pub use parts::labels::{LabelPrint, MAX_BIN_CHARS, MAX_LABEL_COPIES, MAX_LABEL_ITEMS};
pub use parts::low_stock::STOCK_LOW;
pub use parts::quality::{
    DefectReport, DefectReportQuery, DefectReportRow, FailureCodeInput, FailureCodeUpdate,
    FailureCodeView, QualityAlertView,
};
pub use parts::requisitions::{
    AccuracyView, ApproveInput, LineQty, NewRequisition, NewRequisitionLine, ReceiveInput,
    RejectInput, RequisitionLineView, RequisitionView, ShipInput, ShipmentLineView, ShipmentView,
};
pub use parts::stocktakes::{
    CountDecision, CountEntry, CountLineView, CountLinesInput, CountView, NewCount,
};
pub use parts::{LocationView, MoveView, NewMove};
pub use service::alarms::{ALARM_CLOCK_SKEW_SECS, AlarmInput, AlarmResult, alarm_signature};
pub use service::booking::{
    BookingCheckInput, BookingCheckView, ConflictView, EscalationInput, EscalationView,
    SHIFT_CALENDAR,
};
pub use service::catalog::{CatalogCode, CodeQuery};
pub use service::dispatch::{
    BOARD_MAX_JOBS, BoardBlock, BoardEngineer, BoardJob, BoardQuery, BoardView, SuggestionView,
    SuggestionsView, WorkOrderRef,
};
pub use service::history::{HISTORY_LIMIT, HistoryEntry, HistoryVisit, ServiceHistory};
pub use service::portal::{PortalOverview, PortalUnit, UserCustomerInput, UserCustomerLink};
pub use service::records::{
    CallbackInput, CallbackView, ReconLine, ReconciliationQuery, ReconciliationView,
    RecordVerification, sample_size,
};
pub use service::requests::{
    CancelInput, IntakeWarning, NamedRef, NewServiceRequest, NewVisit, OwnerChange, PriorityChange,
    RemoteOutcome, RequestEventView, RequestNote, RequestQuery, RequestUnit, ServiceRequestView,
    TriageInput, WorkOrderLine,
};
pub use service::transfer::{TransferInput, TransferTarget, TransferView};
pub use service::work_orders::{
    AddendumInput, AddendumView, AppointmentInput, AppointmentView, CenterCompletionInput,
    CenterCompletionView, CompleteInput, DeclineInput, DispatchInput, MAX_PHOTO_BYTES, PartUsed,
    PhotoView, PositionInput, RecordInput, RecordView, SignatureInput, TransitionInput,
    WorkOrderQuery, WorkOrderRequest, WorkOrderView,
};
pub use site::{DEFAULT_SITE_TIME_ZONE, Site, UnknownTimeZone};
pub use sla::board::{BoardClock, SlaBoardQuery, SlaBoardRow};
pub use sla::calendars::{
    CalendarInput, CalendarView, OverrideInput, OverrideView, SpecialDayView, SpecialDaysImport,
};
pub use sla::clocks::{ClockView, FactsView, PauseView, RequestSla, RuleChoice};
pub use sla::escalation::{SLA_CHECK, SLA_RECALC};
pub use sla::rules::{RuleView, TargetView, TierInput};

/// Initials of the pinyin of the Chinese characters in `s` (张伟 → zw), for search.
pub(crate) fn pinyin_initials(s: &str) -> String {
    use pinyin::ToPinyin;
    s.chars()
        .filter_map(|c| c.to_pinyin().map(|p| p.first_letter().to_owned()))
        .collect()
}

pub use aftersales_store::{Backend, Db, DbOptions, StoreError};

use std::sync::Arc;
use std::time::Duration;

/// Settings of the application layer.
#[derive(Clone, Debug)]
pub struct AppConfig {
    /// Old for new and the quality alert (docs/defects.md).
    pub defects: aftersales_domain::parts::defects::DefectRules,
    pub web_session_ttl: Duration,
    pub api_login_ttl: Duration,
    /// Failed logins allowed per user name and client address within `login_window`
    /// before 429 (see docs/decisions.md, "Login throttle").
    pub login_max_failures: i64,
    /// Failed logins allowed per client address, whatever the user names, per window.
    pub login_max_failures_per_address: i64,
    /// Failed logins allowed per user name from all addresses together, per window; past
    /// it only addresses the user signed in from before may try.
    pub login_max_failures_per_account: i64,
    pub login_window: Duration,
    pub password_cost: PasswordCost,
    /// How many days after its resolution a request may be reopened (as a linked request).
    pub reopen_window_days: i64,
    /// The secret shared with the monitoring center: alarms are signed with it
    /// (HMAC-SHA256). Unset: every alarm is refused.
    pub alarm_secret: Option<String>,
    /// An alarm for a unit whose open request was filed or heard from an alarm within this
    /// time attaches to that request instead of filing another.
    pub alarm_merge_window: Duration,
    /// The user name that owns requests filed by alarms (else the first active dispatcher).
    pub alarm_owner: Option<String>,
    /// Whether e-mail can be sent (an SMTP server is configured): users with an address
    /// get their notifications by e-mail too.
    pub email_enabled: bool,
    /// Whether SMS go out (an SMS webhook is configured): customers are told about their
    /// requests at the contact's phone.
    pub sms_enabled: bool,
    /// The SLA escalation ladder after a breach: minutes before the dispatcher, then the
    /// station manager, then the center head are told, each counted from the step before,
    /// unless someone acknowledged the breach.
    pub sla_ladder_minutes: [i64; 3],
    /// The address of the web UI as users reach it, for links in e-mails.
    pub public_url: Option<String>,
    /// The site's time zone: where "today" is decided, days start and end, and times are
    /// shown (default Asia/Shanghai; `site_time_zone` in the configuration).
    pub site: Site,
}

impl Default for AppConfig {
    fn default() -> Self {
        Self {
            web_session_ttl: Duration::from_secs(12 * 3600),
            api_login_ttl: Duration::from_secs(24 * 3600),
            login_max_failures: 5,
            login_max_failures_per_address: 20,
            login_max_failures_per_account: 100,
            login_window: Duration::from_secs(15 * 60),
            password_cost: PasswordCost::default(),
            reopen_window_days: 30,
            alarm_secret: None,
            alarm_merge_window: Duration::from_secs(24 * 3600),
            defects: aftersales_domain::parts::defects::DefectRules::default(),
            alarm_owner: None,
            email_enabled: false,
            sms_enabled: false,
            sla_ladder_minutes: [0, 30, 60],
            public_url: None,
            site: Site::default(),
        }
    }
}

/// The application: the database, the clock and the settings. Cheap to clone.
#[derive(Clone)]
pub struct App {
    db: Db,
    clock: Arc<dyn Clock>,
    cfg: Arc<AppConfig>,
    /// Wakes this process's job worker when a job is armed due now (see `jobs`).
    jobs_wake: Arc<tokio::sync::Notify>,
    /// The test clock, when the server runs on one (tests and demos move it forward).
    test_clock: Option<Arc<ManualClock>>,
    /// Passwords checked by `login` since start (bounded by the throttle).
    login_checks: Arc<std::sync::atomic::AtomicU64>,
    /// The CSRF key, read from the database once.
    csrf_key: Arc<tokio::sync::OnceCell<String>>,
    /// Checks payment references (docs/charges.md); the test adapter by default.
    payment_provider: Arc<dyn charges::provider::PaymentProvider>,
    /// The key that signs receipt verification links, read from the database once.
    receipt_key: Arc<tokio::sync::OnceCell<String>>,
}

impl App {
    pub fn new(db: Db, clock: Arc<dyn Clock>, cfg: AppConfig) -> Self {
        Self {
            db,
            clock,
            cfg: Arc::new(cfg),
            jobs_wake: Arc::new(tokio::sync::Notify::new()),
            test_clock: None,
            login_checks: Arc::default(),
            csrf_key: Arc::default(),
            payment_provider: Arc::new(charges::provider::TestProvider),
            receipt_key: Arc::default(),
        }
    }

    /// The same app checking payments with `provider` (a real gateway's adapter).
    pub fn with_payment_provider(
        mut self,
        provider: Arc<dyn charges::provider::PaymentProvider>,
    ) -> Self {
        self.payment_provider = provider;
        self
    }

    /// An app whose time is a test clock that only moves when told to
    /// ([`App::advance_test_clock`]). Never for production: deadlines follow it.
    pub fn with_test_clock(db: Db, clock: Arc<ManualClock>, cfg: AppConfig) -> Self {
        let mut app = App::new(db, clock.clone(), cfg);
        app.test_clock = Some(clock);
        app
    }

    /// Whether time comes from a test clock.
    pub fn has_test_clock(&self) -> bool {
        self.test_clock.is_some()
    }

    /// Moves the test clock forward (admins only) and wakes the job worker, so what
    /// became due runs. Not found when the server runs on real time.
    pub fn advance_test_clock(&self, ctx: &Ctx, minutes: i64) -> Result<jiff::Timestamp, AppError> {
        ctx.require(aftersales_domain::Permission::UsersManage)?;
        let Some(c) = &self.test_clock else {
            return Err(AppError::NotFound("test_clock"));
        };
        if !(1..=60 * 24 * 366).contains(&minutes) {
            return Err(AppError::invalid(
                aftersales_domain::FieldError::new("minutes", "out_of_range")
                    .with("min", 1)
                    .with("max", 60 * 24 * 366),
            ));
        }
        c.advance(jiff::SignedDuration::from_mins(minutes));
        self.wake_jobs();
        Ok(self.now())
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn now(&self) -> jiff::Timestamp {
        self.clock.now()
    }

    /// The site's time zone and what is read in it ([`AppConfig::site`]).
    pub fn site(&self) -> &Site {
        &self.cfg.site
    }

    /// Today on the site's calendar.
    pub fn today(&self) -> jiff::civil::Date {
        self.cfg.site.date(self.now())
    }

    /// Is the database reachable?
    #[tracing::instrument(skip_all)]
    pub async fn ready(&self) -> Result<(), AppError> {
        self.db.ping().await.map_err(AppError::from)
    }

    /// Removes what has expired: sessions, old failed-login counts, idempotency keys older
    /// than a day, background jobs done more than 30 days ago. None of these is a record
    /// of the service; the audit trail is untouched.
    #[tracing::instrument(skip_all)]
    pub async fn housekeeping(&self) -> Result<u64, AppError> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut n = aftersales_store::accounts::sessions::delete_expired(tx.conn(), now).await?;
        let window = jiff::SignedDuration::try_from(self.cfg.login_window).unwrap_or_default();
        n += aftersales_store::accounts::throttle::delete_before(tx.conn(), now - window).await?;
        n += aftersales_store::accounts::throttle::forget_addresses_before(
            tx.conn(),
            now - jiff::SignedDuration::from_hours(24 * accounts::auth::LOGIN_KNOWN_ADDRESS_DAYS),
        )
        .await?;
        n += aftersales_store::idempotency::delete_before(
            tx.conn(),
            now - jiff::SignedDuration::from_hours(24),
        )
        .await?;
        n += aftersales_store::administration::jobs::delete_done_before(
            tx.conn(),
            now - jiff::SignedDuration::from_hours(24 * 30),
        )
        .await?;
        tx.commit().await?;
        Ok(n)
    }
}

/// The default and the maximum page size of lists.
pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

/// A page of a list: `next_cursor` continues it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// Cursors are opaque to clients: base64url of the store's continuation key.
pub(crate) mod cursor {
    use crate::AppError;
    use aftersales_domain::FieldError;
    use base64::Engine;
    use base64::alphabet;
    use base64::engine::DecodePaddingMode;
    use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE_NO_PAD};

    pub fn encode(key: &str) -> String {
        URL_SAFE_NO_PAD.encode(key.as_bytes())
    }

    /// Any string of base64url characters is a cursor: it continues after whatever key it
    /// spells, so a cursor from an older page stays usable. Other characters are refused.
    pub fn decode(c: Option<&str>) -> Result<Option<String>, AppError> {
        let Some(c) = c.filter(|c| !c.is_empty()) else {
            return Ok(None);
        };
        if !c
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(AppError::invalid(FieldError::new(
                "cursor",
                "invalid_cursor",
            )));
        }
        // A length of 4n+1 cannot be base64; its last character carries no whole byte.
        let c = if c.len() % 4 == 1 {
            &c[..c.len() - 1]
        } else {
            c
        };
        let engine = GeneralPurpose::new(
            &alphabet::URL_SAFE,
            GeneralPurposeConfig::new()
                .with_decode_allow_trailing_bits(true)
                .with_decode_padding_mode(DecodePaddingMode::Indifferent),
        );
        let bytes = engine
            .decode(c)
            .map_err(|_| AppError::invalid(FieldError::new("cursor", "invalid_cursor")))?;
        // A key is text the store compares with its columns. Bytes that are not UTF-8, and
        // NUL (which PostgreSQL refuses in text outright), become U+FFFD: the cursor still
        // names a position, and NUL never reaches the database. (Refusing them would turn
        // away cursors the documented pattern allows.)
        let key = String::from_utf8_lossy(&bytes).replace('\0', "\u{FFFD}");
        Ok(Some(key))
    }

    pub fn limit(l: Option<i64>) -> Result<i64, AppError> {
        match l {
            None => Ok(crate::DEFAULT_LIMIT),
            Some(n) if (1..=crate::MAX_LIMIT).contains(&n) => Ok(n),
            Some(_) => Err(AppError::invalid(
                FieldError::new("limit", "out_of_range")
                    .with("min", 1)
                    .with("max", crate::MAX_LIMIT),
            )),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn cursors_round_trip_and_any_base64url_text_is_one() {
            let k = "/01a2-uuid/子单位/";
            assert_eq!(
                decode(Some(&encode(k))).expect("decodes").as_deref(),
                Some(k)
            );
            assert_eq!(decode(Some("")).expect("empty"), None);
            for odd in ["a", "ab", "abc", "abcde", "-_-_-"] {
                assert!(decode(Some(odd)).is_ok(), "{odd}");
            }
            assert!(decode(Some("not base64!")).is_err());
            assert!(decode(Some("%%%")).is_err());
            // NUL never reaches the database, yet the cursor is still a position.
            for ctl in ["AA", "AAAA", "MjAyNnwA", "T_AAv5b", &encode("2026|\0x")] {
                let key = decode(Some(ctl)).expect(ctl).expect("a key");
                assert!(!key.contains('\0'), "{ctl}");
            }
            assert_eq!(
                decode(Some(&encode("2026|\0x"))).expect("decodes"),
                Some("2026|\u{FFFD}x".to_owned())
            );
        }
    }
}
