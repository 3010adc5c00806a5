//! Booking a visit (R-DSP-1, R-DSP-2, R-DSP-4): the window a dispatcher gives with an
//! assignment, its bounds, and what it runs into on the engineer's day.
//!
//! Pure: the caller gathers the engineer's other bookings (open orders with an appointment
//! around the window), the site's and the bookings' positions, and the working intervals of
//! the engineer's calendar on the window's day; [`conflicts`] says what is wrong, and the
//! dispatcher decides (a warning, never a refusal by itself).
//!
//! # A window's bounds ([`check_window`])
//! The end is after the start (`before_start` on `ends_at`); it lasts at least
//! [`MIN_WINDOW_MINUTES`] (`too_short`) and at most [`MAX_WINDOW_MINUTES`] (`too_long`) — a
//! visit is a part of one working day, not a week; it does not start before the current
//! minute's start (`in_past`: a visit is booked ahead, what happened is recorded by the
//! engineer's steps). Years are bounded by the parser of the instants (2000–2100).
//!
//! # Conflicts ([`conflicts`]), in this order
//! 1. **Overlap** with another booking of the engineer: `[start, end)` intervals that share
//!    a minute (touching ends do not overlap). A booking without an end counts as
//!    [`DEFAULT_VISIT_MINUTES`] long.
//! 2. **Travel time too short** between consecutive sites: the booking that ends last before
//!    the window starts and the one that starts first after the window ends (overlapping
//!    ones are already reported), when both sites have coordinates. The time needed is
//!    the straight-line (haversine) distance × [`ROAD_FACTOR`] (roads are not straight) at
//!    [`TRAVEL_KMH`] (city traffic), plus [`EARLY_MINUTES`] (R-DSP-4: arrive 5–10 minutes
//!    early), rounded up to the minute. A gap shorter than that is a conflict. Without
//!    coordinates on either side nothing is said (the data do not allow it).
//! 3. **Outside the engineer's working hours**: the caller passes the working intervals of
//!    the engineer's calendar on the window's day (`None`: no calendar, nothing checked).
//!    No interval at all is a day off (`off_day`: a weekend or a holiday of the calendar);
//!    otherwise the window must lie inside one interval (`outside_shift`, with the day's
//!    first start and last end as the shift).

use super::{GeoPoint, haversine_km};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// The shortest window a dispatcher may book.
pub const MIN_WINDOW_MINUTES: i64 = 15;
/// The longest window: 12 hours.
pub const MAX_WINDOW_MINUTES: i64 = 12 * 60;
/// How long a booking without an end is taken to last.
pub const DEFAULT_VISIT_MINUTES: i64 = 60;
/// Road distance over straight-line distance.
pub const ROAD_FACTOR: f64 = 1.4;
/// Average speed between sites, km/h.
pub const TRAVEL_KMH: f64 = 30.0;
/// Minutes to be early at the next site (R-DSP-4).
pub const EARLY_MINUTES: i64 = 10;

/// A window the dispatcher may not book, with the field it is reported on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowError {
    /// The end is not after the start (`ends_at`).
    BeforeStart,
    /// Shorter than [`MIN_WINDOW_MINUTES`] (`ends_at`).
    TooShort,
    /// Longer than [`MAX_WINDOW_MINUTES`] (`ends_at`).
    TooLong,
    /// It starts before now (`starts_at`).
    InPast,
}

impl WindowError {
    /// The field the error is reported beside.
    pub fn field(self) -> &'static str {
        match self {
            WindowError::InPast => "starts_at",
            _ => "ends_at",
        }
    }

    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            WindowError::BeforeStart => "before_start",
            WindowError::TooShort => "window_too_short",
            WindowError::TooLong => "window_too_long",
            WindowError::InPast => "in_past",
        }
    }
}

/// Whether `[start, end)` may be booked at `now` (see the module documentation).
pub fn check_window(start: Timestamp, end: Timestamp, now: Timestamp) -> Result<(), WindowError> {
    let minutes = (end.as_second() - start.as_second()) / 60;
    if end <= start {
        Err(WindowError::BeforeStart)
    } else if minutes < MIN_WINDOW_MINUTES {
        Err(WindowError::TooShort)
    } else if minutes > MAX_WINDOW_MINUTES {
        Err(WindowError::TooLong)
    } else if start.as_second() < now.as_second() - now.as_second().rem_euclid(60) {
        Err(WindowError::InPast)
    } else {
        Ok(())
    }
}

/// Another booking of the engineer.
#[derive(Clone, Debug, PartialEq)]
pub struct Booked {
    /// The work order's number.
    pub number: String,
    pub start: Timestamp,
    /// `None`: taken as [`DEFAULT_VISIT_MINUTES`] long.
    pub end: Option<Timestamp>,
    pub site: Option<GeoPoint>,
}

impl Booked {
    fn end(&self) -> Timestamp {
        self.end.unwrap_or_else(|| {
            Timestamp::from_second(self.start.as_second() + DEFAULT_VISIT_MINUTES * 60)
                .unwrap_or(self.start)
        })
    }
}

/// The kind of a conflict (a closed vocabulary; the words are the page's).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictKind {
    Overlap,
    TravelTooShort,
    OffDay,
    OutsideShift,
}

impl ConflictKind {
    pub const ALL: [ConflictKind; 4] = [
        ConflictKind::Overlap,
        ConflictKind::TravelTooShort,
        ConflictKind::OffDay,
        ConflictKind::OutsideShift,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ConflictKind::Overlap => "overlap",
            ConflictKind::TravelTooShort => "travel_too_short",
            ConflictKind::OffDay => "off_day",
            ConflictKind::OutsideShift => "outside_shift",
        }
    }

    pub fn parse(s: &str) -> Option<ConflictKind> {
        ConflictKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl std::fmt::Display for ConflictKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a window runs into.
#[derive(Clone, Debug, PartialEq)]
pub enum Conflict {
    /// It shares time with another booking.
    Overlap {
        number: String,
        start: Timestamp,
        end: Timestamp,
    },
    /// Too little time to travel between it and the booking `number` (`after`: that booking
    /// comes after the window).
    TravelTooShort {
        number: String,
        after: bool,
        gap_minutes: i64,
        needed_minutes: i64,
        km: f64,
    },
    /// No working time that day.
    OffDay,
    /// Not inside one of the day's working intervals; the shift is the day's first start
    /// and last end.
    OutsideShift {
        shift_start: Timestamp,
        shift_end: Timestamp,
    },
}

impl Conflict {
    pub fn kind(&self) -> ConflictKind {
        match self {
            Conflict::Overlap { .. } => ConflictKind::Overlap,
            Conflict::TravelTooShort { .. } => ConflictKind::TravelTooShort,
            Conflict::OffDay => ConflictKind::OffDay,
            Conflict::OutsideShift { .. } => ConflictKind::OutsideShift,
        }
    }
}

/// Minutes needed to go `km` (straight line) between two sites and be early (see the
/// module documentation).
pub fn travel_minutes(km: f64) -> i64 {
    let minutes = km.max(0.0) * ROAD_FACTOR / TRAVEL_KMH * 60.0;
    // Capped: the earth is about 20,000 km around at most.
    (minutes.ceil().min(1_000_000.0) as i64) + EARLY_MINUTES
}

/// Everything the window `[start, end)` at `site` runs into on the engineer's day (see the
/// module documentation for the rules and the order). `booked` are the engineer's other
/// bookings in any order (the order being booked left out); `working` the working
/// intervals of their calendar on the window's day, `None` when they have no calendar.
pub fn conflicts(
    (start, end): (Timestamp, Timestamp),
    site: Option<GeoPoint>,
    booked: &[Booked],
    working: Option<&[(Timestamp, Timestamp)]>,
) -> Vec<Conflict> {
    let mut out = Vec::new();
    let mut sorted: Vec<&Booked> = booked.iter().collect();
    sorted.sort_by(|a, b| {
        a.start
            .cmp(&b.start)
            .then_with(|| a.end().cmp(&b.end()))
            .then_with(|| a.number.cmp(&b.number))
    });
    for b in &sorted {
        if b.start < end && start < b.end() {
            out.push(Conflict::Overlap {
                number: b.number.clone(),
                start: b.start,
                end: b.end(),
            });
        }
    }
    let before = sorted
        .iter()
        .filter(|b| b.end() <= start)
        .max_by(|a, b| a.end().cmp(&b.end()).then_with(|| a.start.cmp(&b.start)));
    let after = sorted.iter().find(|b| b.start >= end);
    for (other, is_after) in [(before, false), (after, true)] {
        let Some(other) = other else { continue };
        let Some(km) = site.zip(other.site).map(|(a, b)| haversine_km(a, b)) else {
            continue;
        };
        let gap = if is_after {
            other.start.as_second() - end.as_second()
        } else {
            start.as_second() - other.end().as_second()
        } / 60;
        let needed = travel_minutes(km);
        if gap < needed {
            out.push(Conflict::TravelTooShort {
                number: other.number.clone(),
                after: is_after,
                gap_minutes: gap,
                needed_minutes: needed,
                km: (km * 10.0).round() / 10.0,
            });
        }
    }
    if let Some(working) = working {
        match (working.first(), working.last()) {
            (Some(first), Some(last)) => {
                if !working.iter().any(|&(a, b)| a <= start && end <= b) {
                    out.push(Conflict::OutsideShift {
                        shift_start: first.0,
                        shift_end: last.1,
                    });
                }
            }
            _ => out.push(Conflict::OffDay),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An instant of 2026-12-01 (Asia/Shanghai, +08:00) at `hh:mm`.
    fn at(hm: &str) -> Timestamp {
        format!("2026-12-01T{hm}:00+08:00")
            .parse()
            .expect("instant")
    }

    fn booked(number: &str, from: &str, to: Option<&str>, site: Option<GeoPoint>) -> Booked {
        Booked {
            number: number.into(),
            start: at(from),
            end: to.map(at),
            site,
        }
    }

    fn kinds(c: &[Conflict]) -> Vec<ConflictKind> {
        c.iter().map(Conflict::kind).collect()
    }

    #[test]
    fn a_window_is_bounded() {
        let now = at("08:00");
        assert_eq!(check_window(at("09:00"), at("11:00"), now), Ok(()));
        assert_eq!(
            check_window(at("11:00"), at("09:00"), now),
            Err(WindowError::BeforeStart)
        );
        assert_eq!(
            check_window(at("09:00"), at("09:00"), now),
            Err(WindowError::BeforeStart)
        );
        assert_eq!(
            check_window(at("09:00"), at("09:14"), now),
            Err(WindowError::TooShort)
        );
        assert_eq!(check_window(at("09:00"), at("09:15"), now), Ok(()));
        assert_eq!(check_window(at("08:00"), at("20:00"), now), Ok(()));
        assert_eq!(
            check_window(at("08:00"), at("20:01"), now),
            Err(WindowError::TooLong)
        );
        // The current minute may be booked; the one before may not.
        let now = at("08:00")
            .checked_add(jiff::SignedDuration::from_secs(30))
            .expect("t");
        assert_eq!(check_window(at("08:00"), at("09:00"), now), Ok(()));
        assert_eq!(
            check_window(at("07:59"), at("09:00"), now),
            Err(WindowError::InPast)
        );
        assert_eq!(WindowError::InPast.field(), "starts_at");
        assert_eq!(WindowError::TooLong.field(), "ends_at");
    }

    #[test]
    fn overlaps_are_found_and_touching_ends_are_not() {
        let day = [
            booked("WO1", "09:00", Some("10:00"), None),
            booked("WO2", "10:30", Some("11:30"), None),
            booked("WO3", "13:00", None, None),
            booked("WO4", "05:00", Some("06:00"), None),
        ];
        // Touches WO1's end and WO2's start: nothing.
        assert!(conflicts((at("10:00"), at("10:30")), None, &day, None).is_empty());
        // Across WO1 and WO2.
        let c = conflicts((at("09:30"), at("11:00")), None, &day, None);
        assert_eq!(
            c,
            vec![
                Conflict::Overlap {
                    number: "WO1".into(),
                    start: at("09:00"),
                    end: at("10:00")
                },
                Conflict::Overlap {
                    number: "WO2".into(),
                    start: at("10:30"),
                    end: at("11:30")
                },
            ]
        );
        // A booking without an end lasts an hour: 13:30 is inside it, 14:00 is not.
        assert_eq!(
            kinds(&conflicts((at("13:30"), at("14:30")), None, &day, None)),
            vec![ConflictKind::Overlap]
        );
        assert!(conflicts((at("14:00"), at("15:00")), None, &day, None).is_empty());
        // Inside a booking entirely, and a booking inside the window entirely.
        assert_eq!(
            conflicts((at("05:15"), at("05:45")), None, &day, None).len(),
            1
        );
        assert_eq!(
            conflicts((at("04:00"), at("07:00")), None, &day, None).len(),
            1
        );
    }

    #[test]
    fn travel_time_between_consecutive_sites_is_checked() {
        // Tianjin, Heping district and about 11 km east of it.
        let here = GeoPoint::new(39.117, 117.195);
        let there = GeoPoint::new(39.117, 117.322);
        let km = haversine_km(here.expect("p"), there.expect("p"));
        assert!((10.5..11.5).contains(&km), "{km}");
        // 11 km × 1.4 at 30 km/h ≈ 31 min, + 10 early = 41.
        let needed = travel_minutes(km);
        assert_eq!(needed, 41);
        let day = [
            booked("WO1", "09:00", Some("10:00"), there),
            booked("WO2", "12:00", Some("13:00"), there),
            booked("WO3", "15:00", Some("16:00"), None),
        ];
        // 20 minutes after WO1, 60 before WO2: too short after WO1 only.
        let c = conflicts((at("10:20"), at("11:00")), here, &day, None);
        assert_eq!(
            c,
            vec![Conflict::TravelTooShort {
                number: "WO1".into(),
                after: false,
                gap_minutes: 20,
                needed_minutes: 41,
                km: (km * 10.0).round() / 10.0,
            }]
        );
        // 41 minutes after WO1 is enough; 30 before WO2 is not.
        let c = conflicts((at("10:41"), at("11:30")), here, &day, None);
        assert_eq!(kinds(&c), vec![ConflictKind::TravelTooShort]);
        assert!(
            matches!(&c[0], Conflict::TravelTooShort { number, after: true, gap_minutes: 30, .. } if number == "WO2")
        );
        // The same site needs only the early minutes.
        assert!(conflicts((at("10:10"), at("11:00")), there, &day, None).is_empty());
        assert_eq!(
            kinds(&conflicts((at("10:05"), at("11:00")), there, &day, None)),
            vec![ConflictKind::TravelTooShort]
        );
        // Without the site's position, or the other's, nothing is said.
        assert!(conflicts((at("10:00"), at("11:00")), None, &day, None).is_empty());
        assert!(conflicts((at("16:00"), at("17:00")), here, &day, None).is_empty());
        // Only the neighbours count: after WO3 (no position) WO2 is not the one before.
        assert!(conflicts((at("16:05"), at("17:00")), here, &day, None).is_empty());
    }

    #[test]
    fn working_hours_are_the_calendars() {
        let shift = [(at("09:00"), at("12:00")), (at("13:00"), at("19:30"))];
        assert!(conflicts((at("09:00"), at("11:00")), None, &[], Some(&shift)).is_empty());
        assert!(conflicts((at("13:00"), at("19:30")), None, &[], Some(&shift)).is_empty());
        for (a, b) in [("08:00", "10:00"), ("11:30", "13:30"), ("19:00", "20:00")] {
            assert_eq!(
                conflicts((at(a), at(b)), None, &[], Some(&shift)),
                vec![Conflict::OutsideShift {
                    shift_start: at("09:00"),
                    shift_end: at("19:30")
                }],
                "{a}–{b}"
            );
        }
        assert_eq!(
            conflicts((at("10:00"), at("11:00")), None, &[], Some(&[])),
            vec![Conflict::OffDay]
        );
        // No calendar: nothing checked.
        assert!(conflicts((at("03:00"), at("04:00")), None, &[], None).is_empty());
    }

    #[test]
    fn every_conflict_is_reported_in_order() {
        let p = GeoPoint::new(39.0, 117.0);
        let q = GeoPoint::new(39.5, 117.0);
        let day = [
            booked("WO9", "08:00", Some("09:00"), q),
            booked("WO8", "08:30", Some("09:30"), None),
        ];
        let c = conflicts(
            (at("09:00"), at("10:00")),
            p,
            &day,
            Some(&[(at("09:30"), at("18:00"))]),
        );
        assert_eq!(
            kinds(&c),
            vec![
                ConflictKind::Overlap,
                ConflictKind::TravelTooShort,
                ConflictKind::OutsideShift
            ]
        );
        for k in ConflictKind::ALL {
            assert_eq!(ConflictKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(ConflictKind::parse("nope"), None);
    }
}
