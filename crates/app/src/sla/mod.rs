//! Service levels (R-ORG-4, R-SLA-1..4; docs/sla.md): a request's clocks from its event
//! log under the rule that fits it, the calendars they count in, and their admin.
//!
//! Nothing about a clock is stored as truth: `request_sla` computes it afresh from the
//! events, the rules and the calendars. `sla_status` keeps the last computation of each
//! request only so the SLA board can sort thousands of requests by their next due time.
//!
//! The folder follows docs/sla.md: `calendars` (calendars, special days, per-unit
//! overrides), `rules` (rules, their admin, customer tiers), `clocks` (a request's clocks
//! from its event log), `board` (the SLA board), `escalation` (the ladder and its jobs),
//! `defaults` (what an empty database starts with). This file holds what they share and
//! imports none of them.

pub(crate) mod board;
pub(crate) mod calendars;
pub(crate) mod clocks;
pub(crate) mod defaults;
pub(crate) mod escalation;
pub(crate) mod rules;

use crate::AppError;
use aftersales_domain::calendar::Hours;
use jiff::tz::TimeZone;

fn internal(what: &str, e: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("{what}: {e}"))
}

fn zone(name: &str) -> Result<TimeZone, AppError> {
    TimeZone::get(name).map_err(|e| internal("time zone", e))
}

fn parse_hours(json: &str) -> Result<Hours, AppError> {
    serde_json::from_str(json).map_err(|e| internal("calendar hours", e))
}
