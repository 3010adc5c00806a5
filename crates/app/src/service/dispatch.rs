//! Dispatch from real data (R-DSP-1, R-ORG-3): who to send to one work order, best first
//! with the reasons (`domain::dispatch::suggest`), and the dispatcher's board (work waiting
//! for an engineer, engineers with their day). Also the engineer's own day for the phone
//! pages. See docs/service-flow.md, "Dispatcher board".
//!
//! Candidates: active engineers and partner technicians (enabled accounts). A manager sees
//! the technicians of their subtree only. Who may take the job is one domain rule,
//! `domain::dispatch::eligibility`, read on the day of the work for the suggestions here
//! and for the assignment (`work_orders::assignment`) alike, from the same facts
//! ([`crate::App::dispatch_job`]): a partner technician only where their partner unit
//! covers the job's place (a partner works the territory it was contracted for); staff
//! engineers everywhere, ranked by coverage. Nobody is off duty: there are no shifts yet.

use crate::network::coverage::{ReasonView, RegionView};
use crate::service::requests::{NamedRef, stored};
use crate::service::work_orders::{WorkOrderView, waiting_of};
use crate::{AppError, Ctx, Principal};
use aftersales_domain::certification::{Certification, Standing, standing};
use aftersales_domain::coverage::{self as coverage_rules, Responsible};
use aftersales_domain::dispatch::{
    self as rules, Candidate, Coverage, CoverageMatch, GeoPoint, Job, Load, WaitRisk, Window,
};
use aftersales_domain::region::RegionCode;
use aftersales_domain::service::{Priority, WaitReason, WoAction, WoStatus, wo_transition};
use aftersales_domain::warranty::Reason;
use aftersales_domain::{CustomerId, OrgUnitId, Permission, Role, UnitId, UserId};
use aftersales_store::network::users::{self as user_store, TechnicianRow};
use aftersales_store::service::{self as store, RequestRow, WorkOrderRow};
use aftersales_store::{
    Conn, installed_base::customers as customer_store, network::coverage as coverage_store, time,
};
use aftersales_store::{
    installed_base::products as product_store, installed_base::units as unit_store,
    network::certifications as cert_store,
};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use utoipa::ToSchema;

/// The pending orders the board shows at most (oldest first within a priority).
pub const BOARD_MAX_JOBS: i64 = 200;

/// A work order as a link: enough to act on it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WorkOrderRef {
    pub id: String,
    pub number: String,
    #[schema(value_type = crate::schema::WoStatusName)]
    pub status: WoStatus,
    pub version: i64,
}

/// One candidate engineer for a work order.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SuggestionView {
    /// The engineer: id, user name (`code`) and display name.
    pub engineer: NamedRef,
    /// `engineer` or `partner` (a partner's technician).
    #[schema(value_type = crate::schema::RoleName)]
    pub role: Role,
    pub org_unit: Option<NamedRef>,
    /// 1 for the best; null when excluded.
    pub rank: Option<i64>,
    /// Higher ranks higher; only its order means anything. Null when excluded.
    pub score: Option<i64>,
    /// May be sent (no exclusion).
    pub eligible: bool,
    /// How specifically their unit covers the place: `district`, `city`, `province`, `none`.
    pub coverage: String,
    /// Open orders they hold on the day of the work.
    pub open_orders: i64,
    /// Minutes of appointments booked that day.
    pub booked_minutes: i64,
    /// From their last position today, when known and the site has coordinates.
    pub distance_km: Option<f64>,
    /// Why they rank where they do (certification, coverage, load, distance).
    pub reasons: Vec<ReasonView>,
    /// Why they may not be sent; empty for the eligible.
    pub exclusions: Vec<ReasonView>,
    /// They hold the order now (a reassignment).
    pub current: bool,
}

/// The candidates for one work order: the eligible best first, then the excluded by name.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SuggestionsView {
    pub work_order: WorkOrderRef,
    /// The unit's product line (certificates are checked against it), if the job has a unit.
    pub product_line: Option<String>,
    /// The site's region, if the request has one (without it nobody covers the place).
    pub region: Option<RegionView>,
    /// The day certificates and load are judged on: the appointment's day, else today.
    #[schema(value_type = String, format = Date)]
    pub work_day: Date,
    pub items: Vec<SuggestionView>,
    /// Always null: the list comes whole.
    pub next_cursor: Option<String>,
}

/// A work order waiting for an engineer (or the one selected on the board).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BoardJob {
    pub id: String,
    pub number: String,
    #[schema(value_type = crate::schema::WoStatusName)]
    pub status: WoStatus,
    /// What a waiting order waits for.
    #[schema(value_type = Option<crate::schema::WaitReasonName>)]
    pub waiting_reason: Option<WaitReason>,
    pub version: i64,
    #[schema(value_type = crate::schema::PriorityName)]
    pub priority: String,
    pub request: NamedRef,
    pub customer: NamedRef,
    pub address: String,
    pub region_code: Option<String>,
    pub region_name: Option<String>,
    pub product_line: Option<String>,
    pub product_name: Option<String>,
    pub symptom: String,
    pub engineer: Option<NamedRef>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// Minutes since the work order was created.
    pub waited_minutes: i64,
    /// Minutes it may wait for dispatch by its priority (until the SLA clocks come).
    pub target_minutes: i64,
    /// `ok`, `at_risk` (half the target passed) or `late`.
    #[schema(value_type = crate::schema::WaitRiskName)]
    pub risk: WaitRisk,
    /// The agreed appointment, else the window the customer asked for.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub window_start: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub window_end: Option<Timestamp>,
    /// Whether the window is agreed (an appointment) or only the customer's wish.
    pub window_agreed: bool,
}

/// One of an engineer's orders of the day, a block on their timeline.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BoardBlock {
    pub id: String,
    pub number: String,
    #[schema(value_type = crate::schema::WoStatusName)]
    pub status: WoStatus,
    /// What a waiting order waits for.
    #[schema(value_type = Option<crate::schema::WaitReasonName>)]
    pub waiting_reason: Option<WaitReason>,
    pub version: i64,
    pub customer_name: String,
    /// Null for an order not yet scheduled.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub starts_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub ends_at: Option<Timestamp>,
    /// Still open to reassignment (not yet on the way).
    pub reassignable: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BoardEngineer {
    pub engineer: NamedRef,
    /// `engineer` or `partner`.
    #[schema(value_type = crate::schema::RoleName)]
    pub role: Role,
    pub org_unit: Option<NamedRef>,
    /// Product lines they are certified for on the day.
    pub product_lines: Vec<String>,
    pub open_orders: i64,
    pub booked_minutes: i64,
    /// Their orders that day by appointment (unscheduled open orders last). For a
    /// manager, an order of a unit outside their subtree counts in `open_orders` and
    /// `booked_minutes` but is not listed.
    pub orders: Vec<BoardBlock>,
}

/// The dispatcher's board for one day.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BoardView {
    #[schema(value_type = String, format = Date)]
    pub day: Date,
    /// Pending orders: the most urgent first, then the longest waiting.
    pub unassigned: Vec<BoardJob>,
    pub engineers: Vec<BoardEngineer>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BoardQuery {
    /// The day of the timelines (`YYYY-MM-DD`, in the site's time zone); today by default.
    /// Years 2000–2100 (as written); an instant needs a UTC offset from −12:00 to +14:00.
    #[param(value_type = Option<String>, format = Date, pattern = r"^$|^(20[0-9]{2}|2100)-")]
    pub day: Option<String>,
}

fn reason_view(r: &Reason) -> ReasonView {
    ReasonView {
        code: r.code.to_owned(),
        zh: r.zh.clone(),
        en: r.en.clone(),
    }
}

/// A stored instant of a board or a suggestion: an unreadable one (a damaged database) is
/// logged and read as absent, so the board still opens (an order without its window).
fn instant(s: Option<&str>) -> Option<Timestamp> {
    let s = s?;
    match s.parse::<Timestamp>() {
        Ok(t) => Some(t),
        Err(e) => {
            tracing::warn!(value = s, error = %e, "unreadable stored instant read as absent");
            None
        }
    }
}

fn status_of(w: &WorkOrderRow) -> Option<WoStatus> {
    WoStatus::parse(&w.status)
}

/// An engineer's load on the day `[from, to)` from the orders they hold: open orders with
/// an appointment starting that day, not yet scheduled (work in hand), or — when the day
/// is today (`today_from == from`) — scheduled earlier and still open; booked minutes are
/// the parts of that day's appointments within the day. Finished orders do not count.
pub(crate) fn load_on(
    orders: &[&WorkOrderRow],
    from: Timestamp,
    to: Timestamp,
    today_from: Timestamp,
) -> Load {
    let mut load = Load::default();
    for w in orders {
        if !status_of(w).is_some_and(WoStatus::is_assigned) {
            continue;
        }
        let start = instant(w.appointment_start.as_deref());
        let end = instant(w.appointment_end.as_deref());
        let that_day = start.is_some_and(|s| s >= from && s < to);
        let counts = match start {
            None => true,
            Some(s) => that_day || (s < from && from == today_from),
        };
        if counts {
            load.open_orders += 1;
        }
        if that_day {
            load.booked_minutes = load.booked_minutes.saturating_add(booked(start, end, to));
        }
    }
    load
}

/// Minutes of an appointment `[start, end)` booked on a day ending at `to` (none without
/// both ends).
fn booked(start: Option<Timestamp>, end: Option<Timestamp>, to: Timestamp) -> u32 {
    match (start, end) {
        (Some(s), Some(e)) => {
            let minutes = (e.min(to).as_second() - s.as_second()).max(0) / 60;
            u32::try_from(minutes).unwrap_or(u32::MAX)
        }
        _ => 0,
    }
}

/// A work order's job as the dispatch rules read it, for suggestion and assignment alike.
pub(crate) struct DispatchJob {
    pub job: Job,
    /// The site's region, when the request has a readable one.
    pub region: Option<RegionCode>,
    /// The unit's product line and model name, when the request has a unit.
    pub product: Option<(String, String)>,
    /// The units answering for the region, best first (empty without a region).
    ranking: Vec<Responsible>,
}

impl DispatchJob {
    /// How an engineer's unit covers the job's place.
    pub fn coverage_of(&self, unit: Option<OrgUnitId>) -> CoverageMatch {
        unit.map_or(CoverageMatch::None, |u| rules::match_in(&self.ranking, u))
    }
}

/// The product line and model name of a request's unit.
async fn product_of(conn: &mut Conn, r: &RequestRow) -> Result<Option<(String, String)>, AppError> {
    let Some(Ok(unit)) = r.unit_id.as_deref().map(str::parse::<UnitId>) else {
        return Ok(None);
    };
    let u = unit_store::get(&mut *conn, unit).await?;
    let p = product_store::get_product(&mut *conn, u.product_id).await?;
    Ok(Some((p.product_line, p.name)))
}

fn tech_ref(t: &TechnicianRow) -> (NamedRef, Option<NamedRef>) {
    let unit = match (&t.org_unit_id, &t.org_code, &t.org_name) {
        (Some(id), Some(code), Some(name)) => Some(NamedRef {
            id: id.clone(),
            code: code.clone(),
            name: name.clone(),
        }),
        _ => None,
    };
    (
        NamedRef {
            id: t.id.clone(),
            code: t.username.clone(),
            name: t.display_name.clone(),
        },
        unit,
    )
}

impl crate::App {
    /// Whose technicians the caller sees: a manager their subtree's, others everyone's.
    fn technician_scope(ctx: &Ctx) -> Result<Option<String>, AppError> {
        match &ctx.principal {
            Principal::User(a) if a.role == Role::Manager => {
                a.org_path.clone().map(Some).ok_or(AppError::Forbidden)
            }
            _ => Ok(None),
        }
    }

    /// The job of a work order as the dispatch rules read it: the site's region and
    /// position, the unit's product line, the priority, the appointment (its day is the day
    /// of the work), today, and the units answering for the region.
    pub(crate) async fn dispatch_job(
        &self,
        conn: &mut Conn,
        w: &WorkOrderRow,
        r: &RequestRow,
    ) -> Result<DispatchJob, AppError> {
        let now = self.now();
        let today = self.site().date(now);
        let region = r
            .region_code
            .as_deref()
            .and_then(|c| RegionCode::parse("region_code", c).ok());
        let product = product_of(&mut *conn, r).await?;
        let window = match (
            instant(w.appointment_start.as_deref()),
            instant(w.appointment_end.as_deref()),
        ) {
            (Some(s), Some(e)) => Some(Window {
                start: self.site().local(s).datetime(),
                end: self.site().local(e).datetime(),
            }),
            _ => None,
        };
        // Without a region every coverage is given as "none" below, so the job's region
        // is not read; any code of the table stands in.
        let place = region.or_else(|| RegionCode::from_u32(110000));
        let Some(place) = place else {
            return Err(AppError::Internal("region table without 110000".into()));
        };
        let job = Job {
            region: place,
            product_line: product.as_ref().map(|p| p.0.clone()),
            site: r
                .latitude
                .zip(r.longitude)
                .and_then(|(a, b)| GeoPoint::new(a, b)),
            priority: Priority::parse(&w.priority).unwrap_or(Priority::Normal),
            window,
            today,
        };
        let ranking = match region {
            Some(rc) => {
                let rows = coverage_store::all(&mut *conn).await?;
                coverage_rules::responsible_units(rc, &crate::network::coverage::group(&rows)?)
            }
            None => Vec::new(),
        };
        Ok(DispatchJob {
            job,
            region,
            product,
            ranking,
        })
    }

    /// Every candidate engineer for a work order, ranked with reasons; the excluded last
    /// with why (R-DSP-1, R-ORG-3). Dispatchers, managers (their subtree) and admins.
    #[tracing::instrument(skip_all)]
    pub async fn suggest_engineers(
        &self,
        ctx: &Ctx,
        key: &str,
    ) -> Result<SuggestionsView, AppError> {
        ctx.require(Permission::Dispatch)?;
        let scope = Self::technician_scope(ctx)?;
        let mut conn = self.db.acquire().await?;
        let (w, r) = self.load_order(&mut conn, ctx, key).await?;
        let dj = self.dispatch_job(&mut conn, &w, &r).await?;
        let job = &dj.job;
        let (day, today) = (job.work_day(), job.today);
        let (from, to) = self.site().day_bounds(day)?;
        let (today_from, _) = self.site().day_bounds(today)?;
        let techs = user_store::active_technicians(&mut *conn, scope.as_deref()).await?;
        let orders =
            store::engineer_orders(&mut *conn, None, &time::to_db(from)?, &time::to_db(to)?)
                .await?;
        let positions: HashMap<String, (f64, f64)> =
            store::last_positions(&mut *conn, &time::to_db(today_from)?)
                .await?
                .into_iter()
                .map(|(id, lat, lon, _)| (id, (lat, lon)))
                .collect();
        let mut candidates = Vec::new();
        let mut info: HashMap<UserId, &TechnicianRow> = HashMap::new();
        for t in &techs {
            let Ok(uid) = t.id.parse::<UserId>() else {
                continue;
            };
            let unit = t
                .org_unit_id
                .as_deref()
                .and_then(|u| u.parse::<OrgUnitId>().ok());
            let role = Role::parse(&t.role)
                .ok_or_else(|| AppError::Internal(format!("role {}", t.role)))?;
            let mine: Vec<&WorkOrderRow> = orders
                .iter()
                .filter(|o| o.engineer_id.as_deref() == Some(t.id.as_str()) && o.id != w.id)
                .collect();
            candidates.push(Candidate {
                engineer: uid,
                name: t.display_name.clone(),
                role,
                unit: unit.unwrap_or(OrgUnitId(uuid::Uuid::nil())),
                coverage: Coverage::Known(dj.coverage_of(unit)),
                certifications: self.certifications_of(&mut conn, uid).await?,
                load: load_on(&mine, from, to, today_from),
                position: positions
                    .get(&t.id)
                    .and_then(|(lat, lon)| GeoPoint::new(*lat, *lon)),
                active: true,
                on_duty: true,
            });
            info.insert(uid, t);
        }
        let items = rules::suggest(job, &candidates)
            .into_iter()
            .filter_map(|s| info.get(&s.engineer).map(|t| (s, t)))
            .map(|(s, t)| -> Result<SuggestionView, AppError> {
                let (engineer, org_unit) = tech_ref(t);
                Ok(SuggestionView {
                    current: w.engineer_id.as_deref() == Some(t.id.as_str()),
                    engineer,
                    role: stored("users.role", &t.role, Role::parse)?,
                    org_unit,
                    rank: s.rank.map(|r| r as i64),
                    score: s.score.and_then(|x| i64::try_from(x).ok()),
                    eligible: s.is_eligible(),
                    coverage: s.coverage.as_str().to_owned(),
                    open_orders: i64::from(s.load.open_orders),
                    booked_minutes: i64::from(s.load.booked_minutes),
                    distance_km: s.distance_km.map(|d| (d * 10.0).round() / 10.0),
                    reasons: s.reasons.iter().map(reason_view).collect(),
                    exclusions: s.exclusions.iter().map(reason_view).collect(),
                })
            })
            .collect::<Result<Vec<_>, AppError>>()?;
        Ok(SuggestionsView {
            work_order: WorkOrderRef {
                id: w.id.clone(),
                number: w.number.clone(),
                status: stored("work_orders.status", &w.status, WoStatus::parse)?,
                version: w.version,
            },
            product_line: dj.product.map(|p| p.0),
            region: dj.region.map(RegionView::of),
            work_day: day,
            items,
            next_cursor: None,
        })
    }

    /// A work order as the board shows it.
    async fn board_job(
        &self,
        conn: &mut Conn,
        customers: &mut HashMap<String, String>,
        w: &WorkOrderRow,
    ) -> Result<BoardJob, AppError> {
        let r = store::get_request(&mut *conn, &w.request_id).await?;
        let customer = self.customer_name(conn, customers, &r.customer_id).await?;
        let product = product_of(conn, &r).await?;
        self.board_job_with(conn, w, &r, customer, product).await
    }

    /// A work order as the board shows it, from its request, customer and product loaded
    /// by the caller.
    async fn board_job_with(
        &self,
        conn: &mut Conn,
        w: &WorkOrderRow,
        r: &RequestRow,
        customer: String,
        product: Option<(String, String)>,
    ) -> Result<BoardJob, AppError> {
        let created = time::from_db("work_orders.created_at", &w.created_at)?;
        let waited = (self.now().as_second() - created.as_second()) / 60;
        let priority = Priority::parse(&w.priority).unwrap_or(Priority::Normal);
        let (window_start, window_end, agreed) = match (
            instant(w.appointment_start.as_deref()),
            instant(w.appointment_end.as_deref()),
        ) {
            (Some(s), e) => (Some(s), e, true),
            _ => (
                instant(r.preferred_from.as_deref()),
                instant(r.preferred_to.as_deref()),
                false,
            ),
        };
        Ok(BoardJob {
            id: w.id.clone(),
            number: w.number.clone(),
            status: stored("work_orders.status", &w.status, WoStatus::parse)?,
            waiting_reason: waiting_of(w)?,
            version: w.version,
            priority: priority.as_str().to_owned(),
            request: NamedRef {
                id: r.id.clone(),
                code: r.number.clone(),
                name: r.symptom.clone(),
            },
            customer: NamedRef {
                id: r.customer_id.clone(),
                code: String::new(),
                name: customer,
            },
            address: r.address.clone(),
            region_name: r
                .region_code
                .as_deref()
                .and_then(|c| RegionCode::parse("r", c).ok())
                .map(|c| c.full_name()),
            region_code: r.region_code.clone(),
            product_line: product.as_ref().map(|p| p.0.clone()),
            product_name: product.map(|p| p.1),
            symptom: r.symptom.clone(),
            engineer: match w.engineer_id.as_deref() {
                Some(e) => Some(self.user_ref(conn, e).await?),
                None => None,
            },
            created_at: created,
            waited_minutes: waited.max(0),
            target_minutes: rules::dispatch_target_minutes(priority),
            risk: rules::wait_risk(priority, waited),
            window_start,
            window_end,
            window_agreed: agreed,
        })
    }

    async fn customer_name(
        &self,
        conn: &mut Conn,
        cache: &mut HashMap<String, String>,
        id: &str,
    ) -> Result<String, AppError> {
        if let Some(n) = cache.get(id) {
            return Ok(n.clone());
        }
        let cid: CustomerId = id
            .parse()
            .map_err(|_| AppError::Internal("customer id".into()))?;
        let name = customer_store::get(&mut *conn, cid).await?.name;
        cache.insert(id.to_owned(), name.clone());
        Ok(name)
    }

    /// One work order as a board job (the one selected on the board, whatever its state).
    #[tracing::instrument(skip_all)]
    pub async fn board_job_of(&self, ctx: &Ctx, key: &str) -> Result<BoardJob, AppError> {
        ctx.require(Permission::Dispatch)?;
        let mut conn = self.db.acquire().await?;
        let (w, _) = self.load_order(&mut conn, ctx, key).await?;
        self.board_job(&mut conn, &mut HashMap::new(), &w).await
    }

    /// The dispatcher's board: pending work orders (the most urgent, then the longest
    /// waiting, first) and the engineers in scope with their day (R-DSP-1).
    #[tracing::instrument(skip_all)]
    pub async fn dispatch_board(&self, ctx: &Ctx, q: &BoardQuery) -> Result<BoardView, AppError> {
        ctx.require(Permission::Dispatch)?;
        let scope = Self::technician_scope(ctx)?;
        let today = self.today();
        let day = match q.day.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => today,
            Some(d) => {
                aftersales_domain::bounds::parse_service_day("day", d).map_err(AppError::invalid)?
            }
        };
        let (from, to) = self.site().day_bounds(day)?;
        let (today_from, _) = self.site().day_bounds(today)?;
        let mut conn = self.db.acquire().await?;
        // A job handed to another unit shows on the boards of that unit's people (and
        // below it) only; admins see every board (service/transfer.rs).
        let viewer = match &ctx.principal {
            Principal::User(a) if a.role != Role::Admin => a.org_path.clone(),
            _ => None,
        };
        let unassigned = self
            .board_unassigned(&mut conn, scope.as_deref(), viewer)
            .await?;
        // Everything the engineers' rows show, loaded a few queries at a time rather than
        // a few per engineer: a board holds thousands of orders. The orders they show (with
        // the customer's name) and the open orders that count, aggregated by the database.
        let techs = user_store::active_technicians(&mut *conn, scope.as_deref()).await?;
        let (from_s, to_s) = (time::to_db(from)?, time::to_db(to)?);
        let shown = store::board_orders(&mut *conn, &from_s, &to_s).await?;
        let mut open_counts: HashMap<String, i64> =
            store::engineer_open_counts(&mut *conn, &from_s, &to_s, from == today_from)
                .await?
                .into_iter()
                .collect();
        let tech_ids: Vec<String> = techs.iter().map(|t| t.id.clone()).collect();
        let mut certs_of: HashMap<String, Vec<Certification>> = HashMap::new();
        for h in cert_store::for_users(&mut conn, &tech_ids).await? {
            certs_of
                .entry(h.cert.user_id.to_string())
                .or_default()
                .push(crate::service::work_orders::as_rule(h));
        }
        let mut by_engineer: BTreeMap<&str, Vec<&store::BoardOrderRow>> = BTreeMap::new();
        for o in &shown {
            by_engineer
                .entry(o.engineer_id.as_str())
                .or_default()
                .push(o);
        }
        let mut engineers = Vec::new();
        for t in &techs {
            engineers.push(board_engineer(
                t,
                by_engineer.remove(t.id.as_str()).unwrap_or_default(),
                open_counts.remove(&t.id).unwrap_or(0),
                &certs_of.remove(&t.id).unwrap_or_default(),
                (day, to),
                scope.as_deref(),
            )?);
        }
        Ok(BoardView {
            day,
            unassigned,
            engineers,
        })
    }

    /// The pending orders the board shows (within `scope`): the most urgent first, then the
    /// longest waiting. Loaded a few queries at a time, not a few per job.
    async fn board_unassigned(
        &self,
        conn: &mut Conn,
        scope: Option<&str>,
        viewer: Option<String>,
    ) -> Result<Vec<BoardJob>, AppError> {
        let filter = store::WorkOrderFilter {
            statuses: Some(vec![WoStatus::Pending.as_str().to_owned()]),
            org_path_prefix: scope.map(str::to_owned),
            handed_visible_to: viewer,
            ..Default::default()
        };
        let pending =
            store::list_work_orders(self.db.pool(), &filter, None, BOARD_MAX_JOBS).await?;
        let request_ids: Vec<String> = pending.items.iter().map(|w| w.request_id.clone()).collect();
        let requests: HashMap<String, RequestRow> = store::requests_by_ids(conn, &request_ids)
            .await?
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect();
        let customer_of: HashMap<String, String> =
            store::customer_names_of_requests(conn, &request_ids)
                .await?
                .into_iter()
                .collect();
        let unit_ids: Vec<String> = requests
            .values()
            .filter_map(|r| r.unit_id.clone())
            .collect();
        let product_of_unit: HashMap<String, (String, String)> =
            store::products_of_units(conn, &unit_ids)
                .await?
                .into_iter()
                .map(|(u, line, name)| (u, (line, name)))
                .collect();
        let mut unassigned = Vec::new();
        for w in &pending.items {
            let r = requests
                .get(&w.request_id)
                .ok_or_else(|| AppError::Internal(format!("request of {}", w.number)))?;
            let customer = customer_of.get(&r.id).cloned().unwrap_or_default();
            let product = r
                .unit_id
                .as_ref()
                .and_then(|u| product_of_unit.get(u))
                .cloned();
            unassigned.push(self.board_job_with(conn, w, r, customer, product).await?);
        }
        unassigned.sort_by(|a, b| {
            let p = |j: &BoardJob| Priority::parse(&j.priority).map_or(0, |p| p as u8);
            p(b).cmp(&p(a))
                .then(a.created_at.cmp(&b.created_at))
                .then(a.number.cmp(&b.number))
        });
        Ok(unassigned)
    }

    /// The engineer's (or partner technician's) own orders for the phone: every open order
    /// they hold and those they completed today, by appointment (unscheduled after the
    /// scheduled, completed last).
    #[tracing::instrument(skip_all)]
    pub async fn engineer_day(&self, ctx: &Ctx) -> Result<Vec<WorkOrderView>, AppError> {
        ctx.require(Permission::FieldWork)?;
        let Some(me) = ctx.actor().map(|a| a.id.to_string()) else {
            return Err(AppError::Forbidden);
        };
        let (from, to) = self.site().day_bounds(self.today())?;
        let mut conn = self.db.acquire().await?;
        let mut rows = store::engineer_orders(
            &mut *conn,
            Some(&me),
            &time::to_db(from)?,
            &time::to_db(to)?,
        )
        .await?;
        // Stable: the store's order (appointment, unscheduled last, number) within each part.
        rows.sort_by_key(|w| w.status == WoStatus::Completed.as_str());
        let mut out = Vec::new();
        for w in &rows {
            let r = store::get_request(&mut *conn, &w.request_id).await?;
            out.push(self.work_order_view(&mut conn, w, &r).await?);
        }
        Ok(out)
    }
}

/// One engineer's row of the board for `day` (ending at `to`): the product lines they are
/// certified for that day, their load, and the orders a caller of `scope` may see.
fn board_engineer(
    t: &TechnicianRow,
    mine: Vec<&store::BoardOrderRow>,
    open_orders: i64,
    certs: &[Certification],
    (day, to): (Date, Timestamp),
    scope: Option<&str>,
) -> Result<BoardEngineer, AppError> {
    let mut lines: Vec<String> = certs
        .iter()
        .filter(|c| {
            matches!(
                standing(certs, &c.product_line, day),
                Standing::Certified { .. }
            )
        })
        .map(|c| c.product_line.clone())
        .collect();
    lines.sort();
    lines.dedup();
    let mut blocks = Vec::new();
    // Booked minutes: the day's open orders (the day's orders are all shown).
    let mut booked_minutes: u32 = 0;
    for o in mine {
        let start = instant(o.appointment_start.as_deref());
        let end = instant(o.appointment_end.as_deref());
        let status = stored("work_orders.status", &o.status, WoStatus::parse)?;
        if status.is_assigned() && start.is_some() {
            booked_minutes = booked_minutes.saturating_add(booked(start, end, to));
        }
        // An engineer of the subtree may hold an order of another unit: it counts in
        // their load, but its number, customer and window stay with that unit.
        let visible = match (scope, &o.org_path) {
            (None, _) => true,
            (Some(p), Some(op)) => op.starts_with(p),
            (Some(_), None) => false,
        };
        if !visible {
            continue;
        }
        blocks.push(BoardBlock {
            id: o.id.clone(),
            number: o.number.clone(),
            status,
            waiting_reason: crate::service::requests::stored_opt(
                "work_orders.waiting_reason",
                o.waiting_reason.as_deref(),
                WaitReason::parse,
            )?,
            version: o.version,
            customer_name: o.customer_name.clone(),
            starts_at: start,
            ends_at: end,
            // Held by an engineer and still open to reassignment (the state machine's).
            reassignable: wo_transition(status, WoAction::Dispatch, None).is_ok(),
        });
    }
    let (engineer, org_unit) = tech_ref(t);
    Ok(BoardEngineer {
        engineer,
        role: stored("users.role", &t.role, Role::parse)?,
        org_unit,
        product_lines: lines,
        open_orders,
        booked_minutes: i64::from(booked_minutes),
        orders: blocks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(status: &str, start: Option<&str>, end: Option<&str>) -> WorkOrderRow {
        WorkOrderRow {
            id: "w".into(),
            number: "WO".into(),
            request_id: "r".into(),
            org_unit_id: None,
            engineer_id: Some("e".into()),
            status: status.into(),
            waiting_reason: None,
            resume_status: None,
            priority: "normal".into(),
            appointment_start: start
                .map(|s| time::to_db(s.parse().expect("instant")).expect("storable")),
            appointment_end: end
                .map(|s| time::to_db(s.parse().expect("instant")).expect("storable")),
            outcome: None,
            loaner_left: 0,
            created_at: "2026-11-30T00:00:00.000000Z".into(),
            dispatched_at: None,
            accepted_at: None,
            en_route_at: None,
            arrived_at: None,
            started_at: None,
            completed_at: None,
            cancelled_at: None,
            updated_at: "2026-11-30T00:00:00.000000Z".into(),
            version: 1,
        }
    }

    #[test]
    fn the_load_of_a_day_counts_its_appointments_and_the_work_in_hand() {
        let day = |d: &str| {
            crate::Site::default()
                .day_bounds(d.parse().expect("date"))
                .expect("bounds")
        };
        let (from, to) = day("2026-11-30");
        // Local times (+08:00): 09:00–11:00 and 14:00–15:30 that day; one open order not
        // yet scheduled; one scheduled the day before and still open (waiting for parts);
        // one the next day; one finished; one running past midnight (22:00–02:00).
        let orders = [
            order(
                "scheduled",
                Some("2026-11-30T09:00:00+08:00"),
                Some("2026-11-30T11:00:00+08:00"),
            ),
            order(
                "accepted",
                Some("2026-11-30T14:00:00+08:00"),
                Some("2026-11-30T15:30:00+08:00"),
            ),
            order("dispatched", None, None),
            order(
                "waiting",
                Some("2026-11-29T09:00:00+08:00"),
                Some("2026-11-29T10:00:00+08:00"),
            ),
            order(
                "scheduled",
                Some("2026-12-01T09:00:00+08:00"),
                Some("2026-12-01T10:00:00+08:00"),
            ),
            order(
                "completed",
                Some("2026-11-30T07:00:00+08:00"),
                Some("2026-11-30T08:00:00+08:00"),
            ),
            order(
                "scheduled",
                Some("2026-11-30T22:00:00+08:00"),
                Some("2026-12-01T02:00:00+08:00"),
            ),
        ];
        let refs: Vec<&WorkOrderRow> = orders.iter().collect();
        // Seen as today: the overdue open order counts.
        assert_eq!(
            load_on(&refs, from, to, from),
            Load {
                open_orders: 5,
                booked_minutes: 120 + 90 + 120
            }
        );
        // Seen from the day before (today is the 29th): the 30th's own orders and the
        // unscheduled one; the 29th's order is not "overdue" on another day.
        let (today_from, _) = day("2026-11-29");
        assert_eq!(
            load_on(&refs, from, to, today_from),
            Load {
                open_orders: 4,
                booked_minutes: 330
            }
        );
        // The next day: its own order, the one that began the night before does not count
        // (it starts on the 30th), and the unscheduled one.
        let (f2, t2) = day("2026-12-01");
        assert_eq!(
            load_on(&refs, f2, t2, from),
            Load {
                open_orders: 2,
                booked_minutes: 60
            }
        );
        assert_eq!(load_on(&[], from, to, from), Load::default());
    }
}
