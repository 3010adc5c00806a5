//! Service calendars (R-ORG-4, R-SLA-3): when a promise's clock runs.
//!
//! A calendar is either 7×24 or weekly working hours (per weekday, one or more spans of the
//! local day), in one time zone, with a set of special days: holidays (no work) and make-up
//! workdays (调休上班: a weekend day that is worked). Special days are data, loaded from the
//! official annual notice (see [`crate::holidays`]); nothing here derives them from a formula.
//!
//! [`Calendar::add_working_time`] walks the working time from a start instant, skipping what
//! is not working time and what is paused, and says where the target is reached, with a
//! trace of every reason the due time is where it is.

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Minutes in a day; a span may end at 24:00.
pub const DAY_MINUTES: u16 = 24 * 60;

/// How far a walk looks ahead before it gives up (a calendar with no working time at all).
const HORIZON_DAYS: i32 = 800;

/// A span of the local day, `[start, end)` in minutes after midnight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub start: u16,
    pub end: u16,
}

impl Span {
    pub fn new(start: u16, end: u16) -> Result<Span, CalendarError> {
        if start >= end || end > DAY_MINUTES {
            return Err(CalendarError::BadSpan { start, end });
        }
        Ok(Span { start, end })
    }

    /// Parses `09:00-19:30` (also `–` or `~` between, `24:00` as an end).
    pub fn parse(s: &str) -> Result<Span, CalendarError> {
        let bad = || CalendarError::BadSpanText(s.to_owned());
        let (a, b) = s
            .split_once(['-', '–', '~'])
            .ok_or_else(bad)
            .map(|(a, b)| (a.trim(), b.trim()))?;
        let start = parse_hhmm(a).ok_or_else(bad)?;
        let end = parse_hhmm(b).ok_or_else(bad)?;
        Span::new(start, end).map_err(|_| bad())
    }

    pub fn minutes(self) -> u16 {
        self.end - self.start
    }
}

impl std::fmt::Display for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:02}:{:02}–{:02}:{:02}",
            self.start / 60,
            self.start % 60,
            self.end / 60,
            self.end % 60
        )
    }
}

fn parse_hhmm(s: &str) -> Option<u16> {
    let (h, m) = s.split_once(':')?;
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(h) || h.len() > 2 || m.len() != 2 || !digits(m) {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    if m >= 60 || h > 24 || (h == 24 && m != 0) {
        return None;
    }
    Some(h * 60 + m)
}

/// What a special day is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// 放假: not worked, even on a weekday.
    Holiday,
    /// 调休上班: worked, even on a weekend day.
    Workday,
}

impl DayKind {
    pub const ALL: &'static [DayKind] = &[DayKind::Holiday, DayKind::Workday];

    pub fn as_str(self) -> &'static str {
        match self {
            DayKind::Holiday => "holiday",
            DayKind::Workday => "workday",
        }
    }

    pub fn parse(s: &str) -> Option<DayKind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "holiday" | "休" | "放假" | "off" => Some(DayKind::Holiday),
            "workday" | "班" | "上班" | "补班" | "work" => Some(DayKind::Workday),
            _ => None,
        }
    }
}

impl std::fmt::Display for DayKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One special day: a holiday or a make-up workday, with the festival it belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecialDay {
    pub date: Date,
    pub kind: DayKind,
    /// The festival, as the notice names it ("春节").
    pub name: String,
}

/// The special days of a calendar, one per date.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecialDays(BTreeMap<Date, SpecialDay>);

impl SpecialDays {
    /// Builds the set; a date listed twice is an error (a notice never says both).
    pub fn new(days: impl IntoIterator<Item = SpecialDay>) -> Result<SpecialDays, CalendarError> {
        let mut map = BTreeMap::new();
        for d in days {
            if let Some(prev) = map.insert(d.date, d.clone())
                && prev != d
            {
                return Err(CalendarError::DuplicateDate(d.date));
            }
        }
        Ok(SpecialDays(map))
    }

    pub fn get(&self, date: Date) -> Option<&SpecialDay> {
        self.0.get(&date)
    }

    pub fn iter(&self) -> impl Iterator<Item = &SpecialDay> {
        self.0.values()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds or replaces days (a later source, such as a unit's override, wins per date).
    pub fn overlay(&mut self, other: &SpecialDays) {
        for d in other.iter() {
            self.0.insert(d.date, d.clone());
        }
    }
}

/// When a calendar's clock runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Hours {
    /// 7×24: every instant counts; special days do not apply.
    Always,
    /// Working hours per weekday, Monday first. A make-up workday is worked with the hours
    /// of the first weekday (Monday to Friday) that has any.
    Weekly { days: [Vec<Span>; 7] },
}

impl Hours {
    /// The same spans on the given weekdays (Monday = 0), none on the others.
    pub fn weekly(weekdays: &[usize], spans: &[Span]) -> Hours {
        let mut days: [Vec<Span>; 7] = Default::default();
        for &w in weekdays {
            if w < 7 {
                days[w] = spans.to_vec();
            }
        }
        Hours::Weekly { days }
    }

    /// Checks that each day's spans are ordered and do not overlap, and that some day has
    /// working time.
    pub fn validate(&self) -> Result<(), CalendarError> {
        if let Hours::Weekly { days } = self {
            for spans in days {
                for w in spans.windows(2) {
                    if w[1].start < w[0].end {
                        return Err(CalendarError::OverlappingSpans);
                    }
                }
                for s in spans {
                    Span::new(s.start, s.end)?;
                }
            }
            if days.iter().all(|d| d.is_empty()) {
                return Err(CalendarError::NoWorkingTime);
            }
        }
        Ok(())
    }
}

/// A calendar: hours, special days and a time zone.
#[derive(Clone, Debug, PartialEq)]
pub struct Calendar {
    /// How the trace names it ("工作日 09:00–19:30").
    pub name: String,
    pub tz: TimeZone,
    pub hours: Hours,
    pub special: SpecialDays,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("a span must start before it ends, within the day: {start}..{end}")]
    BadSpan { start: u16, end: u16 },
    #[error("not a span of the day (HH:MM-HH:MM): {0}")]
    BadSpanText(String),
    #[error("spans of one day overlap")]
    OverlappingSpans,
    #[error("the calendar has no working time")]
    NoWorkingTime,
    #[error("{0} is listed twice")]
    DuplicateDate(Date),
    #[error("no working time within {HORIZON_DAYS} days")]
    BeyondHorizon,
}

/// A span of time the clock does not run, `[from, to)`; `to` is `None` while it lasts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pause {
    pub from: Timestamp,
    pub to: Option<Timestamp>,
    /// Why (a waiting reason such as `customer`, `parts`, `quote_payment`).
    pub reason: String,
}

impl Pause {
    fn end(&self) -> Timestamp {
        self.to.unwrap_or(Timestamp::MAX)
    }
}

/// One reason in a due time's trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "step")]
pub enum TraceStep {
    /// The clock started (`working` says whether that instant was working time; when not,
    /// `counts_from` is the first working instant after it).
    Started {
        at: Timestamp,
        calendar: String,
        working: bool,
        counts_from: Option<Timestamp>,
    },
    /// A make-up workday on the way was counted.
    MakeupCounted { date: Date, name: String },
    /// Holidays on the way were skipped (a run of consecutive days of one festival).
    HolidaysSkipped { from: Date, to: Date, name: String },
    /// Days without working hours (weekends) on the way were skipped.
    RestDaysSkipped { from: Date, to: Date },
    /// The customer asked for a visit window (the arrival clock): `moved` when it starts
    /// after the rule's due time and the due time became its end (`sla::customer_window`).
    CustomerWindow {
        from: Timestamp,
        to: Option<Timestamp>,
        moved: bool,
    },
    /// A pause; `working_seconds` is how much working time it took out.
    Paused {
        from: Timestamp,
        to: Option<Timestamp>,
        reason: String,
        working_seconds: i64,
    },
}

/// The outcome of a walk through working time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Walk {
    /// Where the target is reached; `None` while a pause without end holds the clock.
    pub due: Option<Timestamp>,
    /// Working time still to run when the walk stopped at an open pause.
    pub remaining_seconds: i64,
    pub trace: Vec<TraceStep>,
}

/// What a local day is in a calendar.
#[derive(Clone, Debug, PartialEq, Eq)]
enum DayIs<'a> {
    Always,
    Regular(&'a [Span]),
    Makeup(&'a [Span], &'a str),
    Holiday(&'a str),
}

impl Calendar {
    /// A 7×24 calendar.
    pub fn always(name: impl Into<String>, tz: TimeZone) -> Calendar {
        Calendar {
            name: name.into(),
            tz,
            hours: Hours::Always,
            special: SpecialDays::default(),
        }
    }

    fn day(&self, date: Date) -> DayIs<'_> {
        let days = match &self.hours {
            Hours::Always => return DayIs::Always,
            Hours::Weekly { days } => days,
        };
        let own = &days[weekday_index(date.weekday())];
        match self.special.get(date) {
            Some(d) if d.kind == DayKind::Holiday => DayIs::Holiday(&d.name),
            Some(d) => {
                let spans = days[..5]
                    .iter()
                    .find(|s| !s.is_empty())
                    .map(|s| s.as_slice())
                    .unwrap_or(&[]);
                DayIs::Makeup(spans, &d.name)
            }
            None => DayIs::Regular(own),
        }
    }

    /// Working intervals of a local date, as instants, in order.
    fn intervals(&self, date: Date) -> Vec<(Timestamp, Timestamp)> {
        let spans: &[Span] = match self.day(date) {
            DayIs::Always => &[Span {
                start: 0,
                end: DAY_MINUTES,
            }],
            DayIs::Regular(s) | DayIs::Makeup(s, _) => s,
            DayIs::Holiday(_) => &[],
        };
        spans
            .iter()
            .filter_map(|s| {
                let a = self.local_instant(date, s.start)?;
                let b = self.local_instant(date, s.end)?;
                (a < b).then_some((a, b))
            })
            .collect()
    }

    /// The instant of a local date and minute (24:00 is the next day's midnight). A wall
    /// time skipped by a daylight-saving change resolves to the instant after the gap; one
    /// that occurs twice resolves to the first.
    fn local_instant(&self, date: Date, minute: u16) -> Option<Timestamp> {
        let (date, minute) = if minute >= DAY_MINUTES {
            (date.tomorrow().ok()?, minute - DAY_MINUTES)
        } else {
            (date, minute)
        };
        let dt = date.at((minute / 60) as i8, (minute % 60) as i8, 0, 0);
        self.tz
            .to_ambiguous_zoned(dt)
            .compatible()
            .ok()
            .map(|z| z.timestamp())
    }

    /// The working intervals of a local date, as instants, in order (none on a day off;
    /// the whole day for 7×24). Read by the dispatcher's booking check as the shift.
    pub fn working_intervals(&self, date: Date) -> Vec<(Timestamp, Timestamp)> {
        self.intervals(date)
    }

    pub fn local_date(&self, at: Timestamp) -> Date {
        at.to_zoned(self.tz.clone()).date()
    }

    /// Is `at` working time?
    pub fn is_working(&self, at: Timestamp) -> bool {
        let date = self.local_date(at);
        // A span never crosses midnight, so the day of `at` holds the interval if any.
        self.intervals(date).iter().any(|&(a, b)| a <= at && at < b)
    }

    /// Walks `target` of working time from `start`, not counting paused time. Pauses may
    /// overlap and come in any order. The answer depends on nothing but the arguments.
    pub fn add_working_time(
        &self,
        start: Timestamp,
        target: SignedDuration,
        pauses: &[Pause],
    ) -> Result<Walk, CalendarError> {
        let pauses = merge_pauses(pauses, start);
        let mut remaining = if target.is_negative() {
            SignedDuration::ZERO
        } else {
            target
        };
        let mut trace = vec![];
        let mut rest_run: Option<(Date, Date)> = None;
        let mut holiday_run: Option<(Date, Date, String)> = None;
        let mut started_noted = false;
        let mut pause_work: Vec<i64> = vec![0; pauses.len()];
        let mut due: Option<Timestamp> = None;
        let mut blocked = false;

        let first = self.local_date(start);
        let mut date = first;
        let mut days = 0;
        'walk: loop {
            if days > HORIZON_DAYS {
                return Err(CalendarError::BeyondHorizon);
            }
            let intervals = self.intervals(date);
            let counted = intervals.iter().any(|&(_, b)| b > start);
            // Notes about the kind of day, once working time is being looked for.
            if date != first || !counted {
                match self.day(date) {
                    DayIs::Holiday(name) => {
                        flush_rest(&mut rest_run, &mut trace);
                        match &mut holiday_run {
                            Some((_, to, n)) if n == name => *to = date,
                            _ => {
                                flush_holidays(&mut holiday_run, &mut trace);
                                holiday_run = Some((date, date, name.to_owned()));
                            }
                        }
                    }
                    DayIs::Regular([]) => {
                        flush_holidays(&mut holiday_run, &mut trace);
                        match &mut rest_run {
                            Some((_, to)) => *to = date,
                            None => rest_run = Some((date, date)),
                        }
                    }
                    DayIs::Makeup(spans, name) if !spans.is_empty() && counted => {
                        flush_holidays(&mut holiday_run, &mut trace);
                        flush_rest(&mut rest_run, &mut trace);
                        trace.push(TraceStep::MakeupCounted {
                            date,
                            name: name.to_owned(),
                        });
                    }
                    _ => {
                        if counted {
                            flush_holidays(&mut holiday_run, &mut trace);
                            flush_rest(&mut rest_run, &mut trace);
                        }
                    }
                }
            } else if let DayIs::Makeup(_, name) = self.day(date) {
                trace.push(TraceStep::MakeupCounted {
                    date,
                    name: name.to_owned(),
                });
            }
            for (a, b) in intervals {
                let a = a.max(start);
                if a >= b {
                    continue;
                }
                if !started_noted {
                    started_noted = true;
                    let working = self.is_working(start);
                    trace.insert(
                        0,
                        TraceStep::Started {
                            at: start,
                            calendar: self.name.clone(),
                            working,
                            counts_from: (!working).then_some(a),
                        },
                    );
                }
                // The interval minus the pauses, piece by piece.
                let mut cursor = a;
                for (i, p) in pauses.iter().enumerate() {
                    if p.end() <= cursor || p.from >= b {
                        continue;
                    }
                    if p.from > cursor
                        && let Some(t) = take(&mut remaining, cursor, p.from)
                    {
                        due = Some(t);
                        break 'walk;
                    }
                    let overlap_end = p.end().min(b);
                    pause_work[i] += overlap_end
                        .duration_since(p.from.max(cursor))
                        .as_secs()
                        .max(0);
                    if p.to.is_none() {
                        blocked = true;
                        break 'walk;
                    }
                    cursor = overlap_end;
                    if cursor >= b {
                        break;
                    }
                }
                if cursor < b
                    && let Some(t) = take(&mut remaining, cursor, b)
                {
                    due = Some(t);
                    break 'walk;
                }
            }
            date = match date.tomorrow() {
                Ok(d) => d,
                Err(_) => return Err(CalendarError::BeyondHorizon),
            };
            days += 1;
        }
        flush_holidays(&mut holiday_run, &mut trace);
        flush_rest(&mut rest_run, &mut trace);
        if !started_noted {
            trace.insert(
                0,
                TraceStep::Started {
                    at: start,
                    calendar: self.name.clone(),
                    working: self.is_working(start),
                    counts_from: None,
                },
            );
        }
        let end = due.unwrap_or(Timestamp::MAX);
        for (i, p) in pauses.iter().enumerate() {
            if p.from < end && (pause_work[i] > 0 || p.from >= start) {
                trace.push(TraceStep::Paused {
                    from: p.from,
                    to: p.to,
                    reason: p.reason.clone(),
                    working_seconds: pause_work[i],
                });
            }
        }
        Ok(Walk {
            due: if blocked { None } else { due },
            remaining_seconds: if blocked { remaining.as_secs() } else { 0 },
            trace,
        })
    }
}

/// Counts working time from `a` to `b` against `remaining`; the instant it runs out, if it
/// does within the piece. Exact to the nanosecond, so walking in legs lands where one walk
/// does.
fn take(remaining: &mut SignedDuration, a: Timestamp, b: Timestamp) -> Option<Timestamp> {
    let len = b.duration_since(a);
    if *remaining <= len {
        let t = a + *remaining;
        *remaining = SignedDuration::ZERO;
        return Some(t);
    }
    *remaining -= len;
    None
}

fn flush_rest(run: &mut Option<(Date, Date)>, trace: &mut Vec<TraceStep>) {
    if let Some((from, to)) = run.take() {
        trace.push(TraceStep::RestDaysSkipped { from, to });
    }
}

fn flush_holidays(run: &mut Option<(Date, Date, String)>, trace: &mut Vec<TraceStep>) {
    if let Some((from, to, name)) = run.take() {
        trace.push(TraceStep::HolidaysSkipped { from, to, name });
    }
}

/// Sorts pauses, drops what ends before `start`, and merges overlaps (keeping the first
/// reason of a merged run).
fn merge_pauses(pauses: &[Pause], start: Timestamp) -> Vec<Pause> {
    let mut ps: Vec<Pause> = pauses
        .iter()
        .filter(|p| p.end() > start && p.end() > p.from)
        .cloned()
        .collect();
    ps.sort_by_key(|p| p.from);
    let mut out: Vec<Pause> = vec![];
    for p in ps {
        if let Some(last) = out.last_mut()
            && p.from <= last.end()
        {
            if p.end() > last.end() {
                last.to = p.to;
            }
            continue;
        }
        out.push(p);
    }
    out
}

pub fn weekday_index(w: Weekday) -> usize {
    w.to_monday_zero_offset() as usize
}
