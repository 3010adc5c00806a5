//! Service levels: a request's clocks, the SLA board, acknowledgements, calendars and
//! special days, rules; notifications (the bell); the test clock.

use crate::AppState;
use crate::extract::Path;
use crate::extract::{ApiCtx, AppJson, AppQuery};
use crate::problem::ApiError;
use aftersales_app::{
    CalendarInput, CalendarView, Inbox, OverrideInput, OverrideView, PriorityChange, RequestSla,
    RuleView, ServiceRequestView, SlaBoardQuery, SlaBoardRow, SpecialDayView, SpecialDaysImport,
    TierInput, UserContactInput,
};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A request's promise: the rule that applies and why, and each milestone's clock
/// (`due_at`, `met_at`, `paused_seconds`, `state`, `trace`), computed from its events now.
#[utoipa::path(get, path = "/api/v1/service-requests/{id}/sla", tag = "sla",
    params(("id" = String, Path, description = "Request id or number (`SR…`)")),
    responses((status = 200, description = "The clocks.", body = RequestSla)))]
pub async fn request_sla(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
) -> Result<Json<RequestSla>, ApiError> {
    Ok(Json(s.app.request_sla(&c.ctx, &id, c.locale).await?))
}

/// Acknowledging a breach.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AckInput {
    /// The breached milestone (`response`, `arrival`, `diagnosis`, `resolution`, `loaner`).
    #[schema(value_type = aftersales_app::schema::MilestoneName)]
    pub milestone: String,
    pub note: Option<String>,
}

/// Acknowledge a breach: the escalation ladder stops climbing for it (an event on the
/// timeline).
#[utoipa::path(post, path = "/api/v1/service-requests/{id}/sla/acknowledge", tag = "sla", request_body = AckInput,
    params(("id" = String, Path, description = "Request id or number")),
    responses(
        (status = 204, description = "Acknowledged."),
        (status = 409, description = "The milestone is not breached (`not_breached`) or was acknowledged (`already_acknowledged`).", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn acknowledge(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    body: AppJson<AckInput>,
) -> Result<StatusCode, ApiError> {
    s.app
        .acknowledge_breach(
            &c.ctx,
            &id,
            &body.value.milestone,
            body.value.note.as_deref(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The SLA board: open requests by time to their next breach, with each open clock.
#[utoipa::path(get, path = "/api/v1/sla/board", tag = "sla", params(SlaBoardQuery),
    responses((status = 200, description = "The rows, the nearest due time first.", body = Vec<SlaBoardRow>)))]
pub async fn board(
    State(s): State<AppState>,
    c: ApiCtx,
    AppQuery(q): AppQuery<SlaBoardQuery>,
) -> Result<Json<Vec<SlaBoardRow>>, ApiError> {
    crate::api::not_empty(&[
        ("org_unit_id", q.org_unit_id.as_deref(), "invalid_id"),
        ("engineer_id", q.engineer_id.as_deref(), "invalid_id"),
        ("milestone", q.milestone.as_deref(), "invalid_choice"),
    ])?;
    Ok(Json(s.app.sla_board(&c.ctx, &q, c.locale).await?))
}

/// The calendars.
#[utoipa::path(get, path = "/api/v1/calendars", tag = "sla",
    responses((status = 200, description = "Every calendar.", body = Vec<CalendarView>)))]
pub async fn calendars(
    State(s): State<AppState>,
    c: ApiCtx,
) -> Result<Json<Vec<CalendarView>>, ApiError> {
    Ok(Json(s.app.list_calendars(&c.ctx).await?))
}

/// Change a calendar (with its version): names, time zone, 7×24 or weekly hours, whether
/// holidays apply.
#[utoipa::path(put, path = "/api/v1/calendars/{key}", tag = "sla", request_body = CalendarInput,
    params(("key" = String, Path, description = "Calendar key, e.g. `workdays`")),
    responses((status = 200, description = "The calendar.", body = CalendarView)))]
pub async fn update_calendar(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(key): Path<String>,
    body: AppJson<CalendarInput>,
) -> Result<Json<CalendarView>, ApiError> {
    Ok(Json(
        s.app.update_calendar(&c.ctx, &key, &body.value).await?,
    ))
}

/// Which special days.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DaysQuery {
    /// A unit's own days; absent: the national schedule.
    #[param(value_type = Option<String>, format = Uuid)]
    pub org_unit_id: Option<String>,
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
}

impl DaysQuery {
    fn check(&self) -> Result<(), aftersales_app::AppError> {
        crate::api::not_empty(&[("org_unit_id", self.org_unit_id.as_deref(), "invalid_id")])
    }
}

/// Holidays and make-up workdays: the national schedule or a unit's own.
#[utoipa::path(get, path = "/api/v1/special-days", tag = "sla", params(DaysQuery),
    responses(
        (status = 200, description = "The days, by date.", body = Vec<SpecialDayView>),
        (status = 404, description = "No such unit (`org_unit_id`).", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn special_days(
    State(s): State<AppState>,
    c: ApiCtx,
    AppQuery(q): AppQuery<DaysQuery>,
) -> Result<Json<Vec<SpecialDayView>>, ApiError> {
    q.check()?;
    Ok(Json(
        s.app
            .special_days(&c.ctx, q.org_unit_id.as_deref(), q.year)
            .await?,
    ))
}

/// One day's kind and name.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DayInput {
    /// `holiday` or `workday` (调休上班).
    #[schema(value_type = aftersales_app::schema::DayKindName)]
    pub kind: String,
    /// The festival, e.g. `春节`.
    #[schema(value_type = aftersales_app::schema::RequiredLine, max_length = 50)]
    pub name: String,
}

/// Set one day (national, or a unit's own with `org_unit_id`).
#[utoipa::path(put, path = "/api/v1/special-days/{day}", tag = "sla", request_body = DayInput,
    params(("day" = String, Path, description = "YYYY-MM-DD"), DaysQuery),
    responses(
        (status = 200, description = "The day.", body = SpecialDayView),
        (status = 404, description = "No such unit (`org_unit_id`).", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn put_special_day(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(day): Path<String>,
    AppQuery(q): AppQuery<DaysQuery>,
    body: AppJson<DayInput>,
) -> Result<Json<SpecialDayView>, ApiError> {
    q.check()?;
    Ok(Json(
        s.app
            .put_special_day(
                &c.ctx,
                q.org_unit_id.as_deref(),
                &day,
                &body.value.kind,
                &body.value.name,
            )
            .await?,
    ))
}

/// Remove one day.
#[utoipa::path(delete, path = "/api/v1/special-days/{day}", tag = "sla",
    params(("day" = String, Path, description = "YYYY-MM-DD"), DaysQuery),
    responses(
        (status = 204, description = "Removed."),
        (status = 404, description = "No such unit (`org_unit_id`).", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete_special_day(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(day): Path<String>,
    AppQuery(q): AppQuery<DaysQuery>,
) -> Result<StatusCode, ApiError> {
    q.check()?;
    s.app
        .delete_special_day(&c.ctx, q.org_unit_id.as_deref(), &day)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// How an imported schedule is named.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// A unit's own days; absent: the national schedule.
    #[param(value_type = Option<String>, format = Uuid)]
    pub org_unit_id: Option<String>,
    /// The file's name; its extension (`.toml`, `.csv`, `.ics`) says the format.
    pub file_name: Option<String>,
}

/// Load a year's schedule from a file (the body: TOML typed like the official notice, CSV
/// `date,kind,name`, or ICS). The years in the file are replaced; a file with any problem
/// changes nothing and every problem is listed with its line.
#[utoipa::path(post, path = "/api/v1/special-days/import", tag = "sla", params(ImportQuery),
    request_body(content = String, content_type = "text/plain"),
    responses(
        (status = 200, description = "What was loaded.", body = SpecialDaysImport),
        (status = 404, description = "No such unit (`org_unit_id`).", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn import_special_days(
    State(s): State<AppState>,
    c: ApiCtx,
    AppQuery(q): AppQuery<ImportQuery>,
    body: Bytes,
) -> Result<Json<SpecialDaysImport>, ApiError> {
    crate::api::not_empty(&[("org_unit_id", q.org_unit_id.as_deref(), "invalid_id")])?;
    Ok(Json(
        s.app
            .import_special_days(
                &c.ctx,
                q.org_unit_id.as_deref(),
                q.file_name.as_deref().unwrap_or(""),
                &body,
            )
            .await?,
    ))
}

/// The rules that choose a request's targets.
#[utoipa::path(get, path = "/api/v1/sla/rules", tag = "sla",
    responses((status = 200, description = "Every rule.", body = Vec<RuleView>)))]
pub async fn rules(State(s): State<AppState>, c: ApiCtx) -> Result<Json<Vec<RuleView>>, ApiError> {
    Ok(Json(s.app.list_sla_rules(&c.ctx).await?))
}

/// Create a rule (no `id`) or change one (`id` and `version`).
#[utoipa::path(post, path = "/api/v1/sla/rules", tag = "sla", request_body = RuleView,
    responses((status = 200, description = "The rule.", body = RuleView)))]
pub async fn save_rule(
    State(s): State<AppState>,
    c: ApiCtx,
    body: AppJson<RuleView>,
) -> Result<Json<RuleView>, ApiError> {
    Ok(Json(s.app.save_sla_rule(&c.ctx, &body.value).await?))
}

/// The caller's notifications (the bell), newest first, with the unread count.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications",
    responses((status = 200, description = "The bell.", body = Inbox)))]
pub async fn inbox(State(s): State<AppState>, c: ApiCtx) -> Result<Json<Inbox>, ApiError> {
    Ok(Json(s.app.inbox(&c.ctx, 50).await?))
}

/// Which notifications to mark read.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ReadInput {
    /// One notification; absent: all of the caller's.
    pub id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReadResult {
    pub marked: u64,
}

/// Mark one or all of the caller's notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/read", tag = "notifications", request_body = ReadInput,
    responses(
        (status = 200, description = "How many were marked.", body = ReadResult),
        (status = 404, description = "No such notification of the caller's.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn mark_read(
    State(s): State<AppState>,
    c: ApiCtx,
    body: AppJson<ReadInput>,
) -> Result<Json<ReadResult>, ApiError> {
    Ok(s.app
        .mark_notifications_read(&c.ctx, body.value.id.as_deref())
        .await
        .map(|marked| Json(ReadResult { marked }))?)
}

/// Set a user's e-mail address and phone for notifications (admins, or oneself).
#[utoipa::path(put, path = "/api/v1/users/{id}/contact", tag = "users", request_body = UserContactInput,
    params(("id" = String, Path, description = "User id")),
    responses((status = 200, description = "The addresses.", body = UserContactInput)))]
pub async fn user_contact(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    body: AppJson<UserContactInput>,
) -> Result<Json<UserContactInput>, ApiError> {
    let id = crate::api::parse_id(&id, "user")?;
    Ok(Json(s.app.set_user_contact(&c.ctx, id, &body.value).await?))
}

/// The server's time.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClockState {
    #[schema(value_type = String, format = DateTime)]
    pub now: jiff::Timestamp,
    /// True when the server runs on a test clock.
    pub test_clock: bool,
}

/// The server's time, and whether it is a test clock.
#[utoipa::path(get, path = "/api/v1/test-clock", tag = "sla",
    responses((status = 200, description = "Now.", body = ClockState)))]
pub async fn clock(State(s): State<AppState>, c: ApiCtx) -> Result<Json<ClockState>, ApiError> {
    let _ = &c;
    Ok(Json(ClockState {
        now: s.app.now(),
        test_clock: s.app.has_test_clock(),
    }))
}

/// How far to move the test clock.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AdvanceInput {
    pub minutes: i64,
}

/// Move the test clock forward (admins; only on a server started with
/// `AFTERSALES_TEST_CLOCK`): what became due runs.
#[utoipa::path(post, path = "/api/v1/test-clock/advance", tag = "sla", request_body = AdvanceInput,
    responses(
        (status = 200, description = "The new now.", body = ClockState),
        (status = 404, description = "The server does not run on a test clock.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn advance_clock(
    State(s): State<AppState>,
    c: ApiCtx,
    body: AppJson<AdvanceInput>,
) -> Result<Json<ClockState>, ApiError> {
    let now = s.app.advance_test_clock(&c.ctx, body.value.minutes)?;
    Ok(Json(ClockState {
        now,
        test_clock: true,
    }))
}

/// The units' own zones or hours for a calendar.
#[utoipa::path(get, path = "/api/v1/calendars/{key}/overrides", tag = "sla",
    params(("key" = String, Path, description = "Calendar key")),
    responses((status = 200, description = "The overrides.", body = Vec<OverrideView>)))]
pub async fn overrides(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(key): Path<String>,
) -> Result<Json<Vec<OverrideView>>, ApiError> {
    Ok(Json(s.app.calendar_overrides(&c.ctx, &key).await?))
}

/// Set a unit's own time zone or hours for a calendar (it holds for the units below too,
/// unless they have their own).
#[utoipa::path(put, path = "/api/v1/calendars/{key}/overrides/{org_unit_id}", tag = "sla", request_body = OverrideInput,
    params(("key" = String, Path, description = "Calendar key"), ("org_unit_id" = String, Path, format = Uuid, description = "Org unit id")),
    responses((status = 200, description = "The override.", body = OverrideView)))]
pub async fn put_override(
    State(s): State<AppState>,
    c: ApiCtx,
    Path((key, unit)): Path<(String, String)>,
    body: AppJson<OverrideInput>,
) -> Result<Json<OverrideView>, ApiError> {
    Ok(Json(
        s.app
            .put_calendar_override(&c.ctx, &key, &unit, &body.value)
            .await?,
    ))
}

/// Remove a unit's override: the calendar's own zone and hours hold again.
#[utoipa::path(delete, path = "/api/v1/calendars/{key}/overrides/{org_unit_id}", tag = "sla",
    params(("key" = String, Path, description = "Calendar key"), ("org_unit_id" = String, Path, format = Uuid, description = "Org unit id")),
    responses((status = 204, description = "Removed.")))]
pub async fn delete_override(
    State(s): State<AppState>,
    c: ApiCtx,
    Path((key, unit)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    s.app.delete_calendar_override(&c.ctx, &key, &unit).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Change a request's priority, with the reason: its SLA rule is chosen again and its
/// clocks recomputed (an event on the timeline); its open work orders follow.
#[utoipa::path(post, path = "/api/v1/service-requests/{id}/priority", tag = "service", request_body = PriorityChange,
    params(("id" = String, Path, description = "Request id or number")),
    responses(
        (status = 200, description = "The request.", body = ServiceRequestView),
        (status = 409, description = "The same priority (`unchanged`), or the request is finished.", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn change_priority(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    body: AppJson<PriorityChange>,
) -> Result<Json<ServiceRequestView>, ApiError> {
    Ok(Json(
        s.app
            .change_request_priority(&c.ctx, &id, &body.value)
            .await?,
    ))
}

/// Set a customer's tier for the SLA rules (`vip`, `key`, …; empty clears it). Open
/// requests are rechecked.
#[utoipa::path(put, path = "/api/v1/customers/{id}/tier", tag = "customers", request_body = TierInput,
    params(("id" = String, Path, description = "Customer id")),
    responses((status = 200, description = "The tier.", body = TierInput)))]
pub async fn customer_tier(
    State(s): State<AppState>,
    c: ApiCtx,
    Path(id): Path<String>,
    body: AppJson<TierInput>,
) -> Result<Json<TierInput>, ApiError> {
    Ok(Json(
        s.app.set_customer_tier(&c.ctx, &id, &body.value).await?,
    ))
}
