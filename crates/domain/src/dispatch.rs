//! Dispatch suggestions (R-DSP-1, R-ORG-3): for one job, which engineers to send, best
//! first, each with the reasons a dispatcher reads on the board.
//!
//! Pure: the caller gathers the job and the candidates (their unit's coverage or its
//! precomputed match from [`crate::coverage::responsible_units`], certifications, the load
//! on the day of the work, the last known position) and [`suggest`] ranks them. For many
//! engineers of few units, rank the units once with `responsible_units` and pass each
//! engineer's [`match_in`] that ranking as [`Coverage::Known`].
//!
//! # Who may take a job: [`eligibility`] (hard exclusions)
//! One rule, used by the suggestions here and by the assignment of a work order (the app
//! refuses what it would not suggest). Someone **may not take** a job when:
//! - they do no field work (`not_a_technician`: neither an engineer nor a partner's
//!   technician), their account is inactive (`inactive`), or they are not on duty that day
//!   (`off_duty`);
//! - they are a partner's technician and their unit does not cover the job's place: a
//!   partner works the territory it was contracted for (`outside_territory`);
//! - the job names a product line and they are not certified for it on the **day of the
//!   work** ([`Job::work_day`]: the appointment's start day, else today) — R-ORG-3, "only
//!   trained, certified people may be dispatched". The code says why, from
//!   [`crate::certification::standing`]: `not_certified` (nothing on record),
//!   `in_training` (trainee only), `certificate_not_yet_valid`, `certificate_expired`.
//!
//! A partner's technician outside their territory is not a candidate at all: [`suggest`]
//! leaves them out of the answer. Every other excluded candidate is still returned,
//! **after** every eligible one, ordered by name,
//! with `rank` and `score` empty and every exclusion stated (a dispatcher asking "why not
//! Wang?" gets the answer). A job without a product line checks no certification (there
//! is nothing to check against) and says so in a `no_product_line` reason.
//!
//! # Order of the eligible (lexicographic)
//! 1. **Coverage match** of the candidate's unit for the job's region: district > city >
//!    province > none (the most specific of the unit's own regions that contains the
//!    place, as in `coverage.rs`; a unit answers for its own coverage only).
//! 2. **Load** on the day: fewer open assigned orders first, then fewer booked minutes.
//! 3. **Distance** (haversine, mean earth radius) from the last known position to the site,
//!    nearer first, compared in 10 m steps; when the site has coordinates, a candidate
//!    without a known position comes after every candidate with one (a total order needs a
//!    side; an unknown position cannot be promised to be near). Without site coordinates
//!    nobody has a distance and this step ties everyone.
//! 4. **Name** (code point order), then the engineer's id: ties are broken, never left to
//!    the input's order, so the same input always gives the same list.
//!
//! Certification is not a step of the order but a gate: an uncertified engineer is
//! excluded, so is never above a certified one.
//!
//! # The score
//! `score` packs steps 1–3 into one number so that a higher score ranks higher and equal
//! scores are ordered by step 4; only its order means anything:
//! `coverage (0–3) × 10¹³ + (99 − orders) × 10¹¹ + (1440 − minutes) × 10⁷ + d`, where `d`
//! is 0 without a distance and `9 999 999 − distance in 10 m` (at least 1) with one. Orders
//! count up to 99 and minutes up to 1440 (a whole day); more ranks like the cap.
//!
//! Decisions: the **priority** does not change the order (an urgent job needs the same
//! certified, covering, least-loaded, nearest person; the SLA rules use the priority for
//! clocks and escalation). The load is the caller's for the day of the work; positions
//! older than the caller trusts are passed as unknown.
//!
//! Over 1,200 lines, about half of them table tests of the ranking; the rules themselves are
//! one concept (who to send and why) and read best in one place.

pub mod booking;

use crate::certification::{CertLevel, Certification, Standing, standing};
use crate::coverage::Responsible;
use crate::region::{RegionCode, RegionLevel};
use crate::service::Priority;
use crate::warranty::Reason;
use crate::{OrgUnitId, Permission, Role, UserId};
use jiff::civil::{Date, DateTime};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// Mean earth radius (IUGG), km.
const EARTH_RADIUS_KM: f64 = 6371.0088;
const MAX_ORDERS: u64 = 99;
const MAX_MINUTES: u64 = 1440;
const DISTANCE_SLOTS: u64 = 9_999_999;

/// A WGS-84 position in degrees; always finite and in range.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct GeoPoint {
    lat: f64,
    lon: f64,
}

impl GeoPoint {
    /// `None` unless latitude is within ±90 and longitude within ±180 (and both finite).
    pub fn new(lat: f64, lon: f64) -> Option<GeoPoint> {
        let ok = lat.is_finite()
            && lon.is_finite()
            && (-90.0..=90.0).contains(&lat)
            && (-180.0..=180.0).contains(&lon);
        ok.then_some(GeoPoint { lat, lon })
    }

    pub fn lat(self) -> f64 {
        self.lat
    }

    pub fn lon(self) -> f64 {
        self.lon
    }
}

/// Great-circle distance in km (haversine formula).
pub fn haversine_km(a: GeoPoint, b: GeoPoint) -> f64 {
    let (p1, p2) = (a.lat.to_radians(), b.lat.to_radians());
    let dp = p2 - p1;
    let dl = (b.lon - a.lon).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

/// How specifically the candidate's unit covers the job's place; ordered worst to best.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CoverageMatch {
    None,
    Province,
    City,
    District,
}

impl CoverageMatch {
    pub const ALL: [CoverageMatch; 4] = [
        CoverageMatch::None,
        CoverageMatch::Province,
        CoverageMatch::City,
        CoverageMatch::District,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CoverageMatch::None => "none",
            CoverageMatch::Province => "province",
            CoverageMatch::City => "city",
            CoverageMatch::District => "district",
        }
    }

    fn points(self) -> u64 {
        match self {
            CoverageMatch::None => 0,
            CoverageMatch::Province => 1,
            CoverageMatch::City => 2,
            CoverageMatch::District => 3,
        }
    }

    fn reason(self) -> Reason {
        match self {
            CoverageMatch::District => Reason::new(
                "covers_district",
                "覆盖该区县",
                "Their unit covers the district",
            ),
            CoverageMatch::City => {
                Reason::new("covers_city", "覆盖该地市", "Their unit covers the city")
            }
            CoverageMatch::Province => Reason::new(
                "covers_province",
                "覆盖该省份",
                "Their unit covers the province",
            ),
            CoverageMatch::None => Reason::new(
                "outside_coverage",
                "不在本单位覆盖范围内",
                "Outside their unit's coverage",
            ),
        }
    }
}

impl From<RegionLevel> for CoverageMatch {
    /// The level of a [`crate::coverage::Responsible`]'s `matched` region.
    fn from(level: RegionLevel) -> CoverageMatch {
        match level {
            RegionLevel::District => CoverageMatch::District,
            RegionLevel::City => CoverageMatch::City,
            RegionLevel::Province => CoverageMatch::Province,
        }
    }
}

/// The most specific of `unit_regions` that contains `place`, as its match.
pub fn coverage_match(place: RegionCode, unit_regions: &[RegionCode]) -> CoverageMatch {
    unit_regions
        .iter()
        .filter(|r| r.contains(place))
        .map(|r| CoverageMatch::from(r.level()))
        .max()
        .unwrap_or(CoverageMatch::None)
}

/// The match of `unit` in a ranking of [`crate::coverage::responsible_units`] for the
/// job's region: the level of its matched region, `None` when it is not listed (it does
/// not cover the place, or it is inactive).
pub fn match_in(ranking: &[Responsible], unit: OrgUnitId) -> CoverageMatch {
    ranking
        .iter()
        .find(|r| r.unit == unit)
        .map_or(CoverageMatch::None, |r| CoverageMatch::from(r.level))
}

/// A candidate's coverage: the regions their unit covers, or a match already computed
/// (e.g. from `coverage::responsible_units` for many engineers of one unit).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Coverage {
    Regions(Vec<RegionCode>),
    Known(CoverageMatch),
}

impl Coverage {
    fn for_place(&self, place: RegionCode) -> CoverageMatch {
        match self {
            Coverage::Regions(regions) => coverage_match(place, regions),
            Coverage::Known(m) => *m,
        }
    }
}

/// The appointment window agreed with the customer, in local civil time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub start: DateTime,
    pub end: DateTime,
}

/// The job to staff.
#[derive(Clone, Debug, PartialEq)]
pub struct Job {
    /// The site's region (usually a district).
    pub region: RegionCode,
    /// The unit's product line (`product_models.product_line`), when the job has a unit.
    pub product_line: Option<String>,
    pub site: Option<GeoPoint>,
    pub priority: Priority,
    pub window: Option<Window>,
    /// Today, in the service's time zone.
    pub today: Date,
}

impl Job {
    /// The day certifications are checked on and the load counts for: the appointment's
    /// start day, else today.
    pub fn work_day(&self) -> Date {
        self.window.map_or(self.today, |w| w.start.date())
    }
}

/// The candidate's work on the day of the job.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Load {
    /// Open work orders assigned to them.
    pub open_orders: u32,
    /// Minutes of appointments already booked.
    pub booked_minutes: u32,
}

/// One engineer who could go.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    pub engineer: UserId,
    pub name: String,
    pub role: Role,
    pub unit: OrgUnitId,
    pub coverage: Coverage,
    pub certifications: Vec<Certification>,
    pub load: Load,
    /// The last known position, if recent enough for the caller.
    pub position: Option<GeoPoint>,
    /// The account is active.
    pub active: bool,
    /// Working that day (not on leave, not off shift).
    pub on_duty: bool,
}

/// One line of the answer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Suggestion {
    pub engineer: UserId,
    pub name: String,
    pub unit: OrgUnitId,
    /// 1 for the best; `None` when excluded.
    pub rank: Option<usize>,
    /// Higher ranks higher (see the module documentation); `None` when excluded.
    pub score: Option<u64>,
    pub coverage: CoverageMatch,
    pub load: Load,
    pub distance_km: Option<f64>,
    /// Why they rank where they do: certification, coverage, load, distance.
    pub reasons: Vec<Reason>,
    /// Why they may not be sent; empty for the eligible.
    pub exclusions: Vec<Reason>,
}

impl Suggestion {
    pub fn is_eligible(&self) -> bool {
        self.exclusions.is_empty()
    }
}

/// Someone who would take a job, as [`eligibility`] reads them.
#[derive(Clone, Copy, Debug)]
pub struct Assignee<'a> {
    pub role: Role,
    /// The account is active.
    pub active: bool,
    /// Working on the day of the work (not on leave, not off shift).
    pub on_duty: bool,
    /// How their unit's coverage matches the job's place.
    pub coverage: CoverageMatch,
    pub certifications: &'a [Certification],
}

/// Why someone may not take a job (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ineligible {
    /// Neither an engineer nor a partner's technician.
    NotTechnician,
    Inactive,
    OffDuty,
    /// A partner's technician whose unit does not cover the job's place.
    OutsideTerritory,
    /// Not certified for the job's product line on the day of the work.
    NotCertified(Standing),
}

/// Whether someone may take a job on its day of work, and why not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Eligibility {
    /// The day judged: [`Job::work_day`].
    pub day: Date,
    /// The job's product line (trimmed), when it names one.
    pub product_line: Option<String>,
    /// Their standing for that product line on the day; `None` without a product line
    /// (nothing to check against).
    pub standing: Option<Standing>,
    /// Empty when they may take it; else every reason, in the order of the module
    /// documentation.
    pub exclusions: Vec<Ineligible>,
}

impl Eligibility {
    pub fn is_eligible(&self) -> bool {
        self.exclusions.is_empty()
    }
}

/// Whether `who` may take `job` on the day of the work (R-DSP-1, R-ORG-3): the one rule of
/// suggestion and assignment.
pub fn eligibility(job: &Job, who: &Assignee<'_>) -> Eligibility {
    let day = job.work_day();
    let mut exclusions = Vec::new();
    let technician = who.role.can(Permission::FieldWork);
    if !technician {
        exclusions.push(Ineligible::NotTechnician);
    }
    if !who.active {
        exclusions.push(Ineligible::Inactive);
    }
    if !who.on_duty {
        exclusions.push(Ineligible::OffDuty);
    }
    if who.role == Role::Partner && who.coverage == CoverageMatch::None {
        exclusions.push(Ineligible::OutsideTerritory);
    }
    let product_line = job
        .product_line
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty());
    let standing = product_line.map(|line| standing(who.certifications, line, day));
    if let Some(s) = standing
        && !matches!(s, Standing::Certified { .. })
    {
        exclusions.push(Ineligible::NotCertified(s));
    }
    Eligibility {
        day,
        product_line: product_line.map(str::to_owned),
        standing,
        exclusions,
    }
}

/// Ranks `candidates` for `job`: the eligible best first, then the excluded by name; a
/// partner's technician outside their territory is left out (see the module
/// documentation for the rules).
pub fn suggest(job: &Job, candidates: &[Candidate]) -> Vec<Suggestion> {
    let day = job.work_day();
    let mut out: Vec<Suggestion> = candidates
        .iter()
        .filter_map(|c| assess(job, day, c))
        .collect();
    out.sort_by(order);
    let mut rank = 0;
    for s in &mut out {
        if s.is_eligible() {
            rank += 1;
            s.rank = Some(rank);
        }
    }
    out
}

fn order(a: &Suggestion, b: &Suggestion) -> Ordering {
    // Eligible first; among them the higher score; then name and id for everyone.
    b.is_eligible()
        .cmp(&a.is_eligible())
        .then_with(|| b.score.cmp(&a.score))
        .then_with(|| a.name.cmp(&b.name))
        .then_with(|| a.engineer.cmp(&b.engineer))
}

fn assess(job: &Job, day: Date, c: &Candidate) -> Option<Suggestion> {
    let coverage = c.coverage.for_place(job.region);
    let verdict = eligibility(
        job,
        &Assignee {
            role: c.role,
            active: c.active,
            on_duty: c.on_duty,
            coverage,
            certifications: &c.certifications,
        },
    );
    let mut reasons = Vec::new();
    let mut exclusions = Vec::new();
    for why in &verdict.exclusions {
        exclusions.push(match why {
            Ineligible::NotTechnician => Reason::new(
                "not_a_technician",
                "不是服务工程师或服务商技术人员",
                "Neither an engineer nor a partner's technician",
            ),
            Ineligible::Inactive => Reason::new("inactive", "账号已停用", "Account deactivated"),
            Ineligible::OffDuty => {
                let (zh, en) = on_day(job, day);
                Reason::new(
                    "off_duty",
                    format!("{zh}不在岗"),
                    format!("Not on duty {en}"),
                )
            }
            // Not a candidate at all: a partner works its own territory only.
            Ineligible::OutsideTerritory => return None,
            Ineligible::NotCertified(standing) => not_certified(
                verdict.product_line.as_deref().unwrap_or(""),
                *standing,
                day,
            ),
        });
    }
    match (&verdict.product_line, verdict.standing) {
        (Some(line), Some(Standing::Certified { level, until })) => {
            reasons.push(certified(line, level, until));
        }
        (Some(_), _) => {}
        (None, _) => reasons.push(Reason::new(
            "no_product_line",
            "未指定产品线，未核对上岗证",
            "No product line given; certification not checked",
        )),
    }
    reasons.push(coverage.reason());
    reasons.push(load_reason(job, day, c.load));
    let distance_km = job.site.zip(c.position).map(|(s, p)| haversine_km(s, p));
    match distance_km {
        Some(km) => reasons.push(Reason::new(
            "distance",
            format!("距离约 {km:.1} km"),
            format!("About {km:.1} km away"),
        )),
        None if job.site.is_some() => reasons.push(Reason::new(
            "position_unknown",
            "位置未知",
            "Position unknown",
        )),
        None => {}
    }
    let score = exclusions
        .is_empty()
        .then(|| score(coverage, c.load, distance_km));
    Some(Suggestion {
        engineer: c.engineer,
        name: c.name.clone(),
        unit: c.unit,
        rank: None,
        score,
        coverage,
        load: c.load,
        distance_km,
        reasons,
        exclusions,
    })
}

fn score(coverage: CoverageMatch, load: Load, distance_km: Option<f64>) -> u64 {
    let orders = MAX_ORDERS - u64::from(load.open_orders).min(MAX_ORDERS);
    let minutes = MAX_MINUTES - u64::from(load.booked_minutes).min(MAX_MINUTES);
    let near = distance_km.map_or(0, |km| {
        // In 10 m steps; the cast saturates and the earth is ~2 million steps around.
        let steps = (km * 100.0).round() as u64;
        DISTANCE_SLOTS - steps.min(DISTANCE_SLOTS - 1)
    });
    coverage.points() * 10_000_000_000_000 + orders * 100_000_000_000 + minutes * 10_000_000 + near
}

/// "今日"/"today", or the date when the work is on another day.
fn on_day(job: &Job, day: Date) -> (String, String) {
    if day == job.today {
        ("今日".into(), "today".into())
    } else {
        (format!("{day} "), format!("on {day}"))
    }
}

fn certified(line: &str, level: CertLevel, until: Option<Date>) -> Reason {
    let senior = level == CertLevel::Senior;
    let (zh, en) = match until {
        Some(d) => (format!("有效至 {d}"), format!("valid until {d}")),
        None => ("长期有效".to_owned(), "does not expire".to_owned()),
    };
    let (zh_level, en_level) = if senior {
        ("高级，", "senior, ")
    } else {
        ("", "")
    };
    Reason::new(
        "certified",
        format!("持{line}上岗证（{zh_level}{zh}）"),
        format!("Certified for {line} ({en_level}{en})"),
    )
}

fn not_certified(line: &str, why: Standing, day: Date) -> Reason {
    match why {
        Standing::TraineeOnly => Reason::new(
            "in_training",
            format!("{line}仍在培训中，未上岗，不可派工"),
            format!("Still in training for {line}; may not be dispatched"),
        ),
        Standing::NotYetValid { from } => Reason::new(
            "certificate_not_yet_valid",
            format!("{line}上岗证自 {from} 起生效，{day} 不可派工"),
            format!("Certified for {line} only from {from}; may not be dispatched on {day}"),
        ),
        Standing::Expired { last_day } => Reason::new(
            "certificate_expired",
            format!("{line}上岗证已过期（有效至 {last_day}），不可派工"),
            format!(
                "Certificate for {line} expired (valid until {last_day}); may not be dispatched"
            ),
        ),
        Standing::None | Standing::Certified { .. } => Reason::new(
            "not_certified",
            format!("未持{line}上岗证，不可派工"),
            format!("Not certified for {line}; may not be dispatched"),
        ),
    }
}

/// "2小时15分" / "2 h 15 min" (docs/UX: durations).
fn duration(minutes: u32) -> (String, String) {
    let (h, m) = (minutes / 60, minutes % 60);
    match (h, m) {
        (0, m) => (format!("{m}分"), format!("{m} min")),
        (h, 0) => (format!("{h}小时"), format!("{h} h")),
        (h, m) => (format!("{h}小时{m}分"), format!("{h} h {m} min")),
    }
}

fn load_reason(job: &Job, day: Date, load: Load) -> Reason {
    let (zh_day, en_day) = on_day(job, day);
    let Load {
        open_orders: n,
        booked_minutes: minutes,
    } = load;
    if n == 0 && minutes == 0 {
        return Reason::new(
            "load",
            format!("{zh_day}尚无工单"),
            format!("No jobs {en_day}"),
        );
    }
    let jobs = if n == 1 { "job" } else { "jobs" };
    let mut zh = format!("{zh_day}已有 {n} 单");
    let mut en = format!("{n} {jobs} {en_day}");
    if minutes > 0 {
        let (dz, de) = duration(minutes);
        zh.push_str(&format!("，已约 {dz}"));
        en.push_str(&format!(", {de} booked"));
    }
    Reason::new("load", zh, en)
}

/// How soon a job waiting for an engineer is in danger, for the dispatcher's board.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitRisk {
    /// Within the first half of its target.
    Ok,
    /// Half of the target or more has passed.
    AtRisk,
    /// Waited longer than its target.
    Late,
}

impl WaitRisk {
    pub fn as_str(self) -> &'static str {
        match self {
            WaitRisk::Ok => "ok",
            WaitRisk::AtRisk => "at_risk",
            WaitRisk::Late => "late",
        }
    }
}

impl std::fmt::Display for WaitRisk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Minutes a job of this priority may wait for dispatch before it is late. A placeholder
/// until the service-level issue brings its clocks (working calendars, contracts):
/// urgent 30 min, high 2 h, normal 4 h, low 24 h.
pub fn dispatch_target_minutes(priority: Priority) -> i64 {
    match priority {
        Priority::Urgent => 30,
        Priority::High => 120,
        Priority::Normal => 240,
        Priority::Low => 1440,
    }
}

/// The risk of a job that has waited `waited_minutes` (from the work order's creation) for
/// an engineer: late from its target on, at risk from half of it.
pub fn wait_risk(priority: Priority, waited_minutes: i64) -> WaitRisk {
    let target = dispatch_target_minutes(priority);
    if waited_minutes >= target {
        WaitRisk::Late
    } else if waited_minutes.saturating_mul(2) >= target {
        WaitRisk::AtRisk
    } else {
        WaitRisk::Ok
    }
}

#[cfg(test)]
mod tests;
