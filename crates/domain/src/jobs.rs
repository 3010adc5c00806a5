//! Durable background jobs (docs/operations.md, "Background jobs"): where a job stands. The
//! queue itself (claims, leases, retries) is the store's and the jobs crate's.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a job stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Waiting for its due time (or for a retry after a failed attempt).
    Pending,
    /// Claimed by a worker, until `locked_until`.
    Running,
    Done,
    /// Failed `max_attempts` times (or failed permanently): waits for an admin's retry.
    Parked,
}

impl JobStatus {
    /// In the order admins see them: what needs attention first.
    pub const ALL: [JobStatus; 4] = [
        JobStatus::Parked,
        JobStatus::Running,
        JobStatus::Pending,
        JobStatus::Done,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::Running => "running",
            JobStatus::Done => "done",
            JobStatus::Parked => "parked",
        }
    }

    pub fn parse(s: &str) -> Option<JobStatus> {
        JobStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Parked: it waits for an admin's retry.
    pub fn is_parked(self) -> bool {
        self == JobStatus::Parked
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_back_by_their_names() {
        for s in JobStatus::ALL {
            assert_eq!(JobStatus::parse(s.as_str()), Some(s));
            let json = serde_json::to_value(s).expect("name");
            assert_eq!(json.as_str(), Some(s.as_str()));
        }
        assert_eq!(JobStatus::parse("failed"), None);
        assert!(JobStatus::Parked.is_parked() && !JobStatus::Done.is_parked());
    }
}
