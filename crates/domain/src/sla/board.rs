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
        }
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
}
