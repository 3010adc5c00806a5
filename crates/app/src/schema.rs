//! What the OpenAPI document says about input, where the Rust types alone cannot: the
//! allowed values of text fields, and integers that JSON may write as `3.0`.

use serde::{Deserialize, Deserializer};
use utoipa::ToSchema;

/// The roles, as the API spells them.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum RoleName {
    Admin,
    Agent,
    Dispatcher,
    Engineer,
    Warehouse,
    Manager,
    Partner,
    Customer,
}

/// The languages of the product.
#[derive(ToSchema)]
#[allow(dead_code)]
pub enum LocaleName {
    #[schema(rename = "zh-CN")]
    ZhCn,
    #[schema(rename = "en")]
    En,
}

/// The kinds of organization units.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum OrgKindName {
    Center,
    Branch,
    Station,
    Partner,
    Warehouse,
}

/// The SLA milestones.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum MilestoneName {
    Response,
    Arrival,
    Diagnosis,
    Resolution,
    Loaner,
}

/// Where a milestone's clock stands.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum ClockStateName {
    Pending,
    Running,
    Paused,
    Met,
    Breached,
    NotRequired,
    Cancelled,
}

/// Where a live clock stands on the SLA board.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum BoardStateName {
    Paused,
    Running,
    Warning,
    Breached,
}

/// How a request stands against its service levels (the request list's SLA column).
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum SlaStandingName {
    OnTime,
    AtRisk,
    Breached,
}

/// How near a certification is to its end.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum ExpiryName {
    Never,
    Valid,
    Soon,
    Expired,
}

/// How soon a job waiting for an engineer is in danger.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum WaitRiskName {
    Ok,
    AtRisk,
    Late,
}

/// What a booking window runs into (`domain::dispatch::booking::ConflictKind`).
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum ConflictKindName {
    Overlap,
    TravelTooShort,
    OffDay,
    OutsideShift,
}

/// Where a column of an imported file goes.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum ColumnSourceName {
    Mapping,
    Default,
    Ignored,
    Unknown,
}

/// What the customer search matched.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum SearchMatchName {
    Phone,
    Serial,
    Name,
}

/// Where a notification in the bell's list stands.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum InboxStatusName {
    Unread,
    Read,
}

/// Where a background job stands.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum JobStatusName {
    Pending,
    Running,
    Done,
    Parked,
}

/// The kinds of special days.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum DayKindName {
    Holiday,
    Workday,
}

/// A non-blank line of text (no control characters).
#[derive(ToSchema)]
#[schema(
    value_type = String,
    min_length = 1,
    pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
)]
#[allow(dead_code)]
pub struct RequiredLine(String);

/// An instant of a filter, read by the one bounded rule (the offset is checked on the text,
/// before it is lost in the instant).
pub fn bounded_instant<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<jiff::Timestamp>, D::Error> {
    let Some(s) = Option::<String>::deserialize(d)? else {
        return Ok(None);
    };
    aftersales_domain::bounds::parse_instant("instant", &s)
        .map(Some)
        .map_err(|_| {
            serde::de::Error::custom(
                "an RFC 3339 instant of the years 2000–2100 with an offset from −12:00 to +14:00",
            )
        })
}

/// An integer that JSON may also write with a zero fraction (`2.0`), as JSON Schema's
/// `integer` allows.
pub fn int<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let n = serde_json::Number::deserialize(d)?;
    to_int(&n).ok_or_else(|| serde::de::Error::custom(format!("expected an integer, got {n}")))
}

pub fn opt_int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Option::<serde_json::Number>::deserialize(d)? {
        None => Ok(None),
        Some(n) => to_int(&n)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("expected an integer, got {n}"))),
    }
}

fn to_int(n: &serde_json::Number) -> Option<i64> {
    n.as_i64().or_else(|| {
        n.as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
            .map(|f| f as i64)
    })
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize)]
    struct V {
        #[serde(deserialize_with = "super::int")]
        v: i64,
    }

    #[test]
    fn integers_may_carry_a_zero_fraction_but_not_more() {
        let ok = |s: &str| serde_json::from_str::<V>(s).map(|v| v.v).ok();
        assert_eq!(ok(r#"{"v": 3}"#), Some(3));
        assert_eq!(ok(r#"{"v": -80.0}"#), Some(-80));
        assert_eq!(ok(r#"{"v": 1.5}"#), None);
        assert_eq!(ok(r#"{"v": "3"}"#), None);
    }
}

/// How a part of a job is charged.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum ChargeName {
    Free,
    CostPrice,
    ListPrice,
}

/// From which day a warranty runs.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum StartBasisName {
    SaleDate,
    InstallationDate,
    DayAfterAcceptance,
}

/// The reported cause of a fault.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum CauseName {
    NormalFailure,
    Misuse,
    ImproperMaintenance,
    ForceMajeure,
    UnauthorizedModification,
    DamageByOthers,
}

#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum CustomerKindName {
    Individual,
    Company,
}

/// How exclusions are charged: never free.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum ExclusionChargeName {
    CostPrice,
    ListPrice,
}

/// A phone number as typed: digits with spaces, `+`, `-` and brackets; 5–20 digits.
#[derive(ToSchema)]
#[schema(value_type = String, pattern = r"^[ +()-]*([0-9][ +()-]*){5,20}$", max_length = 40)]
#[allow(dead_code)]
pub struct PhoneText(String);

/// A contact a contract promises: a phone call or a visit.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum InspectionKindName {
    Call,
    Visit,
}

/// A UUID, written with hyphens.
#[derive(ToSchema)]
#[schema(value_type = String, format = Uuid, pattern = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
#[allow(dead_code)]
pub struct UuidText(String);

/// A GB/T 2260 region code: six digits.
#[derive(ToSchema)]
#[schema(value_type = String, pattern = r"^[0-9]{6}$", example = "210102")]
#[allow(dead_code)]
pub struct RegionCodeText(String);

/// The levels of an engineer's record for a product line.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum CertLevelName {
    Trainee,
    Certified,
    Senior,
}

/// What a service request asks for.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum RequestKindName {
    Repair,
    Installation,
    Maintenance,
    Inspection,
    Consultation,
    ReturnExchange,
    Complaint,
}

/// How a request came in.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum ChannelName {
    Phone,
    Fax,
    Email,
    Portal,
    Onsite,
    Partner,
    Api,
    Alarm,
}

#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum PriorityName {
    Low,
    Normal,
    High,
    Urgent,
}

#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum RequestStatusName {
    Open,
    InProgress,
    Resolved,
    Closed,
    Cancelled,
}

/// Remote help or a visit.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum TriageName {
    Remote,
    Onsite,
}

#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum WoStatusName {
    Pending,
    Dispatched,
    Accepted,
    Scheduled,
    EnRoute,
    Arrived,
    InService,
    Waiting,
    Completed,
    Cancelled,
}

/// Why a work order waits.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum WaitReasonName {
    Customer,
    Parts,
    QuotePayment,
}

/// How a visit ended.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum OutcomeName {
    Fixed,
    Depot,
    NotFixed,
}

/// A closed vocabulary of text, its values taken from the domain's enum.
pub(crate) fn text_enum<'a>(
    description: &str,
    values: impl IntoIterator<Item = &'a str>,
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .description(Some(description))
        .enum_values(Some(values))
        .build()
        .into()
}

/// The kinds of events of a request's log (the domain's `EventKind`).
pub struct EventKindName;

impl utoipa::PartialSchema for EventKindName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use aftersales_domain::service::EventKind;
        text_enum(
            "What happened to the request or one of its work orders.",
            EventKind::ALL.iter().map(|k| k.as_str()),
        )
    }
}

impl ToSchema for EventKindName {}

/// A status an event records: the request's (`open` … `cancelled`) for an event of the
/// request, the work order's (`pending` … `cancelled`) for an event of a work order.
pub struct EventStatusName;

impl utoipa::PartialSchema for EventStatusName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use aftersales_domain::service::{RequestStatus, WoStatus};
        let mut names: Vec<&str> = RequestStatus::ALL.iter().map(|s| s.as_str()).collect();
        for w in WoStatus::ALL {
            if !names.contains(&w.as_str()) {
                names.push(w.as_str());
            }
        }
        text_enum(
            "A request's status for an event of the request, a work order's for an event of a work order.",
            names,
        )
    }
}

impl ToSchema for EventStatusName {}

/// A step of a work order taken through `/transition`.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum TransitionName {
    Depart,
    Arrive,
    Start,
    Wait,
    Resume,
    Cancel,
}

/// What a call-back to the customer found.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum CallbackOutcomeName {
    /// The customer confirms the visit as recorded.
    Confirmed,
    /// Something differs from the record (notes required).
    Discrepancy,
    /// Nobody answered.
    Unreachable,
}

/// The key-part categories of spare parts.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum PartCategoryName {
    Motor,
    Compressor,
    Axle,
    Frame,
    ControlBoard,
    Sensor,
    Electrical,
    Mechanical,
    Consumable,
    Other,
}

/// Units of measure of spare parts.
#[derive(ToSchema)]
#[allow(dead_code)]
pub enum UomName {
    #[schema(rename = "pcs")]
    Pcs,
    #[schema(rename = "set")]
    Set,
    #[schema(rename = "pair")]
    Pair,
    #[schema(rename = "m")]
    M,
    #[schema(rename = "kg")]
    Kg,
    #[schema(rename = "l")]
    L,
}

/// The condition stock is kept in.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum ConditionName {
    New,
    Refurbished,
    Defective,
}

/// The kinds of stock location.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum LocationKindName {
    Warehouse,
    Store,
    PartnerStore,
    Van,
    InTransit,
    Supplier,
    Customer,
    Scrap,
    Adjustment,
}

/// The kinds of stock move.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum MoveKindName {
    Receipt,
    Transfer,
    TransferOut,
    TransferIn,
    Issue,
    Return,
    DefectiveIn,
    Scrap,
    CountGain,
    CountLoss,
    TransitLoss,
    TransitGain,
}
/// Where a loaner stands (the domain's `LoanerStatus`).
pub struct LoanerStatusName;

impl utoipa::PartialSchema for LoanerStatusName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use aftersales_domain::loaners::LoanerStatus;
        text_enum(
            "available, on loan, in repair (came back damaged) or retired.",
            LoanerStatus::ALL.iter().map(|k| k.as_str()),
        )
    }
}

impl ToSchema for LoanerStatusName {}

/// The state a loaner came back in (the domain's `ReturnCondition`).
pub struct ReturnConditionName;

impl utoipa::PartialSchema for ReturnConditionName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use aftersales_domain::loaners::ReturnCondition;
        text_enum(
            "What the inspection at the return found.",
            ReturnCondition::ALL.iter().map(|k| k.as_str()),
        )
    }
}

impl ToSchema for ReturnConditionName {}

/// The kinds of entries of a loaner's history (the domain's `LoanerEventKind`).
pub struct LoanerEventKindName;

impl utoipa::PartialSchema for LoanerEventKindName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use aftersales_domain::loaners::LoanerEventKind;
        text_enum(
            "What happened to the loaner.",
            LoanerEventKind::ALL.iter().map(|k| k.as_str()),
        )
    }
}

impl ToSchema for LoanerEventKindName {}

/// Where a requisition stands.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum CountStatusName {
    Counting,
    Submitted,
    Approved,
    Cancelled,
}

#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum RequisitionStatusName {
    Submitted,
    Approved,
    Rejected,
    Shipped,
    Received,
    Cancelled,
}

/// How soon requisitioned parts are needed.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum RequisitionPriorityName {
    Monthly,
    Urgent,
}

/// What a received shipment line found.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum DiscrepancyName {
    None,
    Short,
    Over,
    WrongPart,
}

/// A part number as the catalog takes it: 1–40 letters, digits, `-`, `_`, `.` or `/` (the
/// domain's `parse_part_no`; lower case is read as upper).
pub struct PartNumberText;

impl utoipa::PartialSchema for PartNumberText {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .description(Some("A part number."))
            .min_length(Some(1))
            .max_length(Some(40))
            .pattern(Some(r"^[A-Za-z0-9._/-]{1,40}$"))
            .build()
            .into()
    }
}

impl ToSchema for PartNumberText {}
