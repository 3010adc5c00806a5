//! The site's local time: the one time zone in which "today" is decided, a day starts and
//! ends (the dispatch board's day, a work order's day) and times are shown to people.
//! One setting (`AppConfig::site`, `site_time_zone` in the configuration), read through
//! [`crate::App::site`]; the web's pages read the same value (see `aftersales_web::site`).
//!
//! Calendars of the SLA area have zones of their own (a calendar, or a unit's override);
//! a calendar that names none gets the site's.

use crate::AppError;
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};

/// The zone of a site that names none: mainland China (UTC+8 all year).
pub const DEFAULT_SITE_TIME_ZONE: &str = "Asia/Shanghai";

/// A name that is not a zone of the tz database.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a time zone of the tz database (an IANA name such as Europe/Berlin)")]
pub struct UnknownTimeZone(pub String);

/// The site's time zone, with the name it was configured by.
#[derive(Clone, Debug)]
pub struct Site {
    name: String,
    tz: TimeZone,
}

impl Site {
    /// The site in the zone named `zone` (an IANA name). The default zone also works on a
    /// machine without a tz database (as the fixed offset +08:00, which it has kept since
    /// 1991); any other name must be found in it.
    pub fn new(zone: &str) -> Result<Site, UnknownTimeZone> {
        let zone = zone.trim();
        match TimeZone::get(zone) {
            Ok(tz) => Ok(Site {
                name: zone.to_owned(),
                tz,
            }),
            Err(_) if zone == DEFAULT_SITE_TIME_ZONE => Ok(Site {
                name: zone.to_owned(),
                tz: TimeZone::fixed(jiff::tz::offset(8)),
            }),
            Err(_) => Err(UnknownTimeZone(zone.to_owned())),
        }
    }

    /// The zone's name as configured (`Asia/Shanghai`).
    pub fn time_zone(&self) -> &str {
        &self.name
    }

    pub fn tz(&self) -> &TimeZone {
        &self.tz
    }

    /// An instant on the site's wall clock.
    pub fn local(&self, t: Timestamp) -> Zoned {
        t.to_zoned(self.tz.clone())
    }

    /// The site's date at an instant ("today" at `now`).
    pub fn date(&self, t: Timestamp) -> Date {
        self.local(t).date()
    }

    /// An instant as people here read it: `2026-11-22 14:30`.
    pub fn minute_text(&self, t: Timestamp) -> String {
        self.local(t).strftime("%Y-%m-%d %H:%M").to_string()
    }

    /// A wall time of the site as an instant (a time skipped by a change of offset
    /// resolves to the instant after the gap, one that occurs twice to the first).
    pub fn instant(&self, dt: DateTime) -> Option<Timestamp> {
        dt.to_zoned(self.tz.clone()).ok().map(|z| z.timestamp())
    }

    /// The instants bounding a local day: its start and the next day's start.
    pub fn day_bounds(&self, day: Date) -> Result<(Timestamp, Timestamp), AppError> {
        let start = |d: Date| {
            d.to_zoned(self.tz.clone())
                .map(|z| z.timestamp())
                .map_err(|e| AppError::Internal(format!("day bounds: {e}")))
        };
        let next = day
            .tomorrow()
            .map_err(|e| AppError::Internal(format!("day bounds: {e}")))?;
        Ok((start(day)?, start(next)?))
    }
}

impl Default for Site {
    fn default() -> Self {
        Site::new(DEFAULT_SITE_TIME_ZONE).unwrap_or_else(|_| Site {
            name: DEFAULT_SITE_TIME_ZONE.to_owned(),
            tz: TimeZone::fixed(jiff::tz::offset(8)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    #[test]
    fn the_default_site_is_utc_plus_8_and_days_turn_at_its_midnight() {
        let s = Site::default();
        assert_eq!(s.time_zone(), DEFAULT_SITE_TIME_ZONE);
        // 15:59 UTC is 23:59 in Shanghai, 16:00 UTC the next day.
        assert_eq!(s.date(ts("2026-03-01T15:59:00Z")).to_string(), "2026-03-01");
        assert_eq!(s.date(ts("2026-03-01T16:00:00Z")).to_string(), "2026-03-02");
        assert_eq!(
            s.minute_text(ts("2026-03-01T06:30:00Z")),
            "2026-03-01 14:30"
        );
        let (a, b) = s
            .day_bounds("2026-03-02".parse().expect("date"))
            .expect("bounds");
        assert_eq!(
            (a, b),
            (ts("2026-03-01T16:00:00Z"), ts("2026-03-02T16:00:00Z"))
        );
    }

    #[test]
    fn another_zone_moves_today_and_the_day_bounds() {
        let s = Site::new("Europe/Berlin").expect("zone");
        assert_eq!(s.time_zone(), "Europe/Berlin");
        // 22:30 UTC on 1 March is 23:30 that day in Berlin (UTC+1), 06:30 on 2 March in
        // Shanghai.
        assert_eq!(s.date(ts("2026-03-01T22:30:00Z")).to_string(), "2026-03-01");
        assert_eq!(
            Site::default().date(ts("2026-03-01T22:30:00Z")).to_string(),
            "2026-03-02"
        );
        // The day of the change to summer time has 23 hours.
        let (a, b) = s
            .day_bounds("2026-03-29".parse().expect("date"))
            .expect("bounds");
        assert_eq!(
            (a, b),
            (ts("2026-03-28T23:00:00Z"), ts("2026-03-29T22:00:00Z"))
        );
        assert_eq!(
            s.instant("2026-03-29T02:30".parse().expect("wall time")),
            Some(ts("2026-03-29T01:30:00Z")),
            "a skipped wall time is the instant after the gap"
        );
    }

    #[test]
    fn an_unknown_zone_is_refused_by_name() {
        let e = Site::new("Mars/Olympus").expect_err("unknown");
        assert_eq!(e, UnknownTimeZone("Mars/Olympus".into()));
        assert!(e.to_string().contains("Mars/Olympus"));
        assert!(Site::new("").is_err());
    }
}
