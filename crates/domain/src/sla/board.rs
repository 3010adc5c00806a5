//! The SLA board's reading of a request's clocks (docs/sla.md, "The SLA board"): the clocks
//! as the last computation kept them (`sla_status.clocks`), re-judged against "now", so a
//! clock that ran past its warning or due time since then shows so without a recomputation.

use super::{ClockState, Milestone};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// One clock as the last computation kept it for the board.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptClock {
    pub milestone: Milestone,
    pub state: ClockState,
    pub due_at: Option<Timestamp>,
    pub warn_at: Option<Timestamp>,
    pub met_at: Option<Timestamp>,
    /// The breach acknowledged (absent in rows kept before issue 13).
    #[serde(default)]
    pub acknowledged: Option<super::Acknowledgement>,
}

/// Where a live clock stands on the board, from the least to the most urgent (the order
/// of the variants is that urgency: a row shows its worst clock).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BoardState {
    /// Held by a wait.
    Paused,
    Running,
    /// Past the warning share of its target (80 %).
    Warning,
    /// Past due and not met.
    Breached,
}

impl BoardState {
    pub const ALL: &'static [BoardState] = &[
        BoardState::Paused,
        BoardState::Running,
        BoardState::Warning,
        BoardState::Breached,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BoardState::Paused => "paused",
            BoardState::Running => "running",
            BoardState::Warning => "warning",
            BoardState::Breached => "breached",
        }
    }
}

impl std::fmt::Display for BoardState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl KeptClock {
    /// The clock's state now, whatever the last computation said: a running clock past
    /// its due time is breached, past its warning time a warning. `None` for a clock that
    /// is not on the board (met, pending, not required, cancelled, or breached and met
    /// late).
    pub fn board_state(&self, now: Timestamp) -> Option<BoardState> {
        let past = |t: Option<Timestamp>| t.is_some_and(|t| t <= now);
        match self.state {
            ClockState::Running if past(self.due_at) => Some(BoardState::Breached),
            ClockState::Running if past(self.warn_at) => Some(BoardState::Warning),
            ClockState::Running => Some(BoardState::Running),
            ClockState::Paused => Some(BoardState::Paused),
            s if s.is_open_breach(self.met_at) => Some(BoardState::Breached),
            ClockState::Breached
            | ClockState::Pending
            | ClockState::Met
            | ClockState::NotRequired
            | ClockState::Cancelled => None,
        }
    }
}

/// How well the promise was kept over a period (the manager's home, issue 13; the KPI
/// issue deepens it): milestones met on time, and milestones missed — met after their due
/// time, or still unmet past it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attainment {
    pub on_time: u32,
    pub late: u32,
}

impl Attainment {
    /// The share met on time, in whole per cent (rounded down); `None` when nothing fell
    /// due in the period.
    pub fn percent(&self) -> Option<u32> {
        let total = self.on_time + self.late;
        (total > 0).then(|| self.on_time * 100 / total)
    }
}

impl KeptClock {
    /// Whether the clock was kept, and when that was decided, as of `now`: met (on time
    /// when met by its due time) at its met time; missed at its due time when still unmet
    /// past it. `None` while it may still be kept, or when nothing was promised (not
    /// required, cancelled, pending, paused).
    pub fn verdict(&self, now: Timestamp) -> Option<(bool, Timestamp)> {
        match (self.met_at, self.due_at) {
            (Some(met), due) => Some((due.is_none_or(|d| met <= d), met)),
            (None, Some(due)) if due <= now => match self.state {
                ClockState::Running | ClockState::Breached => Some((false, due)),
                ClockState::Paused
                | ClockState::Pending
                | ClockState::Met
                | ClockState::NotRequired
                | ClockState::Cancelled => None,
            },
            (None, _) => None,
        }
    }
}

/// The clocks decided in `[from, to)` as of `now`, kept and missed.
pub fn attainment<'a>(
    clocks: impl IntoIterator<Item = &'a KeptClock>,
    from: Timestamp,
    to: Timestamp,
    now: Timestamp,
) -> Attainment {
    let mut a = Attainment::default();
    for (kept, at) in clocks.into_iter().filter_map(|c| c.verdict(now)) {
        if at >= from && at < to {
            if kept {
                a.on_time += 1;
            } else {
                a.late += 1;
            }
        }
    }
    a
}

/// How a request stands against its promise, for the request list's SLA column (issue 13,
/// defect 17): breached when any milestone was missed (still unmet past its due time, or
/// met late), at risk when a live clock is past its warning time, else on time. Not
/// stored: judged from the kept clocks against "now" each time it is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaStanding {
    OnTime,
    AtRisk,
    Breached,
}

impl SlaStanding {
    pub const ALL: &'static [SlaStanding] = &[
        SlaStanding::OnTime,
        SlaStanding::AtRisk,
        SlaStanding::Breached,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SlaStanding::OnTime => "on_time",
            SlaStanding::AtRisk => "at_risk",
            SlaStanding::Breached => "breached",
        }
    }

    /// The standing of a request with these clocks now; `None` when it has no clock that
    /// counts (no rule applied, or every milestone not required or cancelled).
    pub fn of(clocks: &[KeptClock], now: Timestamp) -> Option<SlaStanding> {
        clocks
            .iter()
            .filter_map(|c| match c.state {
                ClockState::Breached => Some(SlaStanding::Breached),
                ClockState::Met => Some(SlaStanding::OnTime),
                ClockState::Running | ClockState::Paused => Some(match c.board_state(now)? {
                    BoardState::Breached => SlaStanding::Breached,
                    BoardState::Warning => SlaStanding::AtRisk,
                    BoardState::Running | BoardState::Paused => SlaStanding::OnTime,
                }),
                // Not started yet (diagnosis before arrival): on time so far.
                ClockState::Pending => Some(SlaStanding::OnTime),
                ClockState::NotRequired | ClockState::Cancelled => None,
            })
            .max()
    }
}

impl std::fmt::Display for SlaStanding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().expect("instant")
    }

    fn clock(state: ClockState, met: bool) -> KeptClock {
        KeptClock {
            milestone: Milestone::Arrival,
            state,
            due_at: Some(at("2026-12-07T10:00:00Z")),
            warn_at: Some(at("2026-12-07T09:00:00Z")),
            met_at: met.then(|| at("2026-12-07T11:00:00Z")),
            acknowledged: None,
        }
    }

    #[test]
    fn a_request_stands_by_its_worst_clock() {
        let now = at("2026-12-07T09:30:00Z");
        let met = KeptClock {
            met_at: Some(at("2026-12-07T08:00:00Z")),
            ..clock(ClockState::Met, false)
        };
        assert_eq!(SlaStanding::of(&[], now), None);
        assert_eq!(
            SlaStanding::of(&[clock(ClockState::NotRequired, false)], now),
            None
        );
        assert_eq!(
            SlaStanding::of(std::slice::from_ref(&met), now),
            Some(SlaStanding::OnTime)
        );
        let running = clock(ClockState::Running, false);
        assert_eq!(
            SlaStanding::of(&[met.clone(), running.clone()], at("2026-12-07T08:30:00Z")),
            Some(SlaStanding::OnTime)
        );
        assert_eq!(
            SlaStanding::of(&[met.clone(), running.clone()], now),
            Some(SlaStanding::AtRisk),
            "past the warning time"
        );
        assert_eq!(
            SlaStanding::of(&[met.clone(), running], at("2026-12-07T10:00:00Z")),
            Some(SlaStanding::Breached),
            "past due, not yet recomputed"
        );
        assert_eq!(
            SlaStanding::of(&[met, clock(ClockState::Breached, true)], now),
            Some(SlaStanding::Breached),
            "met late stays a breach"
        );
        assert_eq!(
            SlaStanding::of(&[clock(ClockState::Paused, false)], now),
            Some(SlaStanding::OnTime),
            "a held clock is not at risk"
        );
    }

    #[test]
    fn a_running_clock_is_rejudged_against_now() {
        let c = clock(ClockState::Running, false);
        assert_eq!(
            c.board_state(at("2026-12-07T08:59:59Z")),
            Some(BoardState::Running)
        );
        assert_eq!(
            c.board_state(at("2026-12-07T09:00:00Z")),
            Some(BoardState::Warning)
        );
        assert_eq!(
            c.board_state(at("2026-12-07T10:00:00Z")),
            Some(BoardState::Breached)
        );
    }

    #[test]
    fn only_live_clocks_are_on_the_board() {
        let now = at("2026-12-07T12:00:00Z");
        assert_eq!(
            clock(ClockState::Paused, false).board_state(now),
            Some(BoardState::Paused)
        );
        assert_eq!(
            clock(ClockState::Breached, false).board_state(now),
            Some(BoardState::Breached)
        );
        // Met late: the breach is history, not a live clock.
        assert_eq!(clock(ClockState::Breached, true).board_state(now), None);
        for s in [
            ClockState::Pending,
            ClockState::Met,
            ClockState::NotRequired,
            ClockState::Cancelled,
        ] {
            assert_eq!(clock(s, false).board_state(now), None, "{s:?}");
        }
    }

    #[test]
    fn the_worst_clock_is_the_greatest() {
        let mut states = BoardState::ALL.to_vec();
        states.reverse();
        assert_eq!(states.iter().max(), Some(&BoardState::Breached));
        assert_eq!(states.iter().min(), Some(&BoardState::Paused));
    }

    #[test]
    fn kept_clocks_read_back_as_the_app_writes_them() {
        let text = r#"{"milestone":"arrival","state":"running","due_at":"2026-12-07T10:00:00.000000Z","warn_at":null,"met_at":null}"#;
        let c: KeptClock = serde_json::from_str(text).expect("kept clock");
        assert_eq!(c.milestone, Milestone::Arrival);
        assert_eq!(c.state, ClockState::Running);
        assert_eq!(c.due_at, Some(at("2026-12-07T10:00:00Z")));
        let names: Vec<String> = BoardState::ALL
            .iter()
            .map(|s| {
                serde_json::to_value(s)
                    .expect("name")
                    .as_str()
                    .unwrap_or("")
                    .to_owned()
            })
            .collect();
        let texts: Vec<&str> = BoardState::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(names, texts);
    }

    #[test]
    fn attainment_counts_what_was_decided_in_the_period() {
        let now = at("2026-12-07T12:00:00Z");
        let day = (at("2026-12-07T00:00:00Z"), at("2026-12-08T00:00:00Z"));
        let met_late = clock(ClockState::Breached, true); // met 11:00, due 10:00
        let mut met_on_time = clock(ClockState::Met, true);
        met_on_time.due_at = Some(at("2026-12-07T11:30:00Z"));
        let missed_open = clock(ClockState::Running, false); // due 10:00, unmet at 12:00
        let mut not_yet = clock(ClockState::Running, false);
        not_yet.due_at = Some(at("2026-12-07T13:00:00Z"));
        let paused = clock(ClockState::Paused, false);
        let mut yesterday = clock(ClockState::Met, true);
        yesterday.met_at = Some(at("2026-12-06T09:00:00Z"));
        let all = [
            met_late,
            met_on_time,
            missed_open,
            not_yet,
            paused,
            yesterday,
        ];
        let a = attainment(&all, day.0, day.1, now);
        assert_eq!(
            a,
            Attainment {
                on_time: 1,
                late: 2
            }
        );
        assert_eq!(a.percent(), Some(33));
        // The day before holds only yesterday's clock, met on time.
        let before = attainment(&all, at("2026-12-06T00:00:00Z"), day.0, now);
        assert_eq!(
            before,
            Attainment {
                on_time: 1,
                late: 0
            }
        );
        assert_eq!(before.percent(), Some(100));
        assert_eq!(Attainment::default().percent(), None);
    }
}
