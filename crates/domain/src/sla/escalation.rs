//! The escalation ladder (R-SLA-4, R-SLA-1; docs/sla.md, "The escalation ladder"): given a
//! request's clocks at "now", the ladder's minutes and what the ladder already did (read
//! from the request's events), which steps are due now and when the next one can be.
//!
//! A pure function: the app persists each step as an event, tells the people it names, and
//! arms a check at [`LadderPlan::next_check`]. Every step is keyed by milestone (and step
//! number), never by the due time: a check run twice does nothing twice, and a due time
//! that moves (a pause, a new priority) neither repeats a warning nor loses an
//! acknowledgement.

use super::{ClockState, Milestone, MilestoneClock};
use crate::access::Role;
use crate::locale::Locale;
use jiff::{SignedDuration, Timestamp};

/// How many steps the ladder has after a breach.
pub const STEPS: usize = 3;

/// Where a step looks for the people it tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// The responsible unit, else the nearest unit above it with someone in the role.
    Nearest,
    /// The root of the network (the service center).
    Root,
}

/// One step of the ladder after a breach: 1 is the breach itself, 2 and 3 escalations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LadderStep {
    pub number: u8,
    /// Who is told; where nobody holds the role, the request's owner.
    pub role: Role,
    pub reach: Reach,
    /// When the step falls due: the due time plus the ladder's minutes up to this step.
    pub at: Timestamp,
}

impl LadderStep {
    /// Who the step tells, in words: 调度员 / dispatcher, 服务站经理 / station manager,
    /// 服务中心负责人 / service center head.
    pub fn label(&self, locale: Locale) -> &'static str {
        match (self.number, locale) {
            (1, Locale::ZhCn) => "调度员",
            (1, Locale::En) => "dispatcher",
            (2, Locale::ZhCn) => "服务站经理",
            (2, Locale::En) => "station manager",
            (_, Locale::ZhCn) => "服务中心负责人",
            (_, Locale::En) => "service center head",
        }
    }
}

/// Who step `number` (1-based) tells, and where they are looked for.
fn audience(number: u8) -> (Role, Reach) {
    match number {
        1 => (Role::Dispatcher, Reach::Nearest),
        2 => (Role::Manager, Reach::Nearest),
        _ => (Role::Manager, Reach::Root),
    }
}

/// What the ladder already did for a request, as its events record it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LadderMark {
    /// The owner was warned (`sla_warning`).
    Warned(Milestone),
    /// A step was taken: 1 `sla_breached`, 2 and 3 `sla_escalated`.
    Stepped(Milestone, u8),
    /// Someone acknowledged the breach (`sla_acknowledged`): the ladder stops climbing.
    Acknowledged(Milestone),
    /// The emergency plan was opened (`emergency_plan_opened`).
    EmergencyPlanOpened(Milestone),
}

/// One thing due now, with the clock's due time it is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LadderAction {
    /// The warning share of a running target is used up: the owner is warned.
    Warn {
        milestone: Milestone,
        due_at: Timestamp,
        warn_at: Timestamp,
    },
    /// A step of the ladder after a breach.
    Step {
        milestone: Milestone,
        due_at: Timestamp,
        step: LadderStep,
    },
    /// A missed resolution opens the emergency plan (and a loaner is proposed); the owner
    /// and the station managers are told.
    EmergencyPlan {
        milestone: Milestone,
        due_at: Timestamp,
    },
}

/// What a check does now, and when the next check is needed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LadderPlan {
    /// In the order of the clocks (by milestone); per clock a warning, or the steps in
    /// order and then the emergency plan.
    pub actions: Vec<LadderAction>,
    /// The next instant after `now` at which something can fall due (a warning, a due
    /// time, the next step); none while every clock is met, paused or at its last step.
    pub next_check: Option<Timestamp>,
}

/// The steps due at `now` for a request's `clocks` (computed at `now`), with `minutes` of
/// the ladder (before step 1, then between steps; negative counts as 0) and the `done`
/// marks of its events. The caller checks first that the request is still open: a
/// resolved or cancelled request keeps its clocks, but nobody is warned or told any more.
pub fn due_now(
    clocks: &[MilestoneClock],
    minutes: [i64; STEPS],
    done: &[LadderMark],
    now: Timestamp,
) -> LadderPlan {
    let mut plan = LadderPlan::default();
    let mut next: Vec<Timestamp> = vec![];
    for k in clocks {
        let Some(due) = k.due_at else { continue };
        let m = k.milestone;
        match k.state {
            ClockState::Running => {
                if let Some(w) = k.warn_at {
                    if w > now {
                        next.push(w);
                    } else if !done.contains(&LadderMark::Warned(m)) {
                        plan.actions.push(LadderAction::Warn {
                            milestone: m,
                            due_at: due,
                            warn_at: w,
                        });
                    }
                }
                next.push(due);
            }
            // Met late: the breach stays on the record, nobody is told any more.
            ClockState::Breached if k.met_at.is_none() => {
                let acknowledged = done.contains(&LadderMark::Acknowledged(m));
                let mut at = due;
                for (i, gap) in minutes.iter().enumerate() {
                    let number = i as u8 + 1;
                    at += SignedDuration::from_mins((*gap).max(0));
                    // An acknowledgement stops the climb; the breach itself is still told.
                    if number > 1 && acknowledged {
                        break;
                    }
                    if at > now {
                        next.push(at);
                        break;
                    }
                    if done.contains(&LadderMark::Stepped(m, number)) {
                        continue;
                    }
                    let (role, reach) = audience(number);
                    plan.actions.push(LadderAction::Step {
                        milestone: m,
                        due_at: due,
                        step: LadderStep {
                            number,
                            role,
                            reach,
                            at,
                        },
                    });
                }
                if m == Milestone::Resolution && !done.contains(&LadderMark::EmergencyPlanOpened(m))
                {
                    plan.actions.push(LadderAction::EmergencyPlan {
                        milestone: m,
                        due_at: due,
                    });
                }
            }
            _ => {}
        }
    }
    plan.next_check = next.into_iter().filter(|t| *t > now).min();
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{Calendar, Hours, SpecialDays};
    use crate::sla::{PauseRecord, SlaState, Target, clocks};
    use jiff::tz::TimeZone;

    const LADDER: [i64; STEPS] = [0, 30, 60];

    fn t0() -> Timestamp {
        "2026-03-02T02:00:00Z".parse().expect("instant")
    }

    fn at(minutes: i64) -> Timestamp {
        t0() + SignedDuration::from_mins(minutes)
    }

    fn just_before(t: Timestamp) -> Timestamp {
        t - SignedDuration::from_secs(1)
    }

    /// A request filed at t0 with a 60-minute response target and a 120-minute resolution
    /// target on a 7×24 calendar: warnings at 48 and 96 minutes, due at 60 and 120.
    fn state() -> SlaState {
        SlaState {
            created: Some(t0()),
            ..SlaState::default()
        }
    }

    fn clocks_at(s: &SlaState, now: Timestamp) -> Vec<MilestoneClock> {
        let cal = Calendar {
            name: "7×24".into(),
            tz: TimeZone::UTC,
            hours: Hours::Always,
            special: SpecialDays::default(),
        };
        let targets = [
            Target {
                milestone: Milestone::Response,
                minutes: 60,
                calendar: "7x24".into(),
            },
            Target {
                milestone: Milestone::Resolution,
                minutes: 120,
                calendar: "7x24".into(),
            },
        ];
        clocks(s, &targets, |_| Some(&cal), 80, now).expect("clocks")
    }

    /// The plan at `now` with `done` marks, the response clock only.
    fn response_plan(now: Timestamp, done: &[LadderMark]) -> LadderPlan {
        let c: Vec<MilestoneClock> = clocks_at(&state(), now)
            .into_iter()
            .filter(|c| c.milestone == Milestone::Response)
            .collect();
        due_now(&c, LADDER, done, now)
    }

    fn steps(p: &LadderPlan) -> Vec<u8> {
        p.actions
            .iter()
            .filter_map(|a| match a {
                LadderAction::Step { step, .. } => Some(step.number),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_warning_falls_due_at_its_instant_not_a_second_before_and_only_once() {
        // Just before 80 % of the target: nothing yet, the next check at the warning.
        let p = response_plan(just_before(at(48)), &[]);
        assert_eq!(p.actions, vec![]);
        assert_eq!(p.next_check, Some(at(48)));
        // At it: the warning, and the next check at the due time.
        let p = response_plan(at(48), &[]);
        assert_eq!(
            p.actions,
            vec![LadderAction::Warn {
                milestone: Milestone::Response,
                due_at: at(60),
                warn_at: at(48),
            }]
        );
        assert_eq!(p.next_check, Some(at(60)));
        // After it, once recorded: nothing again, still waiting for the due time.
        let p = response_plan(at(50), &[LadderMark::Warned(Milestone::Response)]);
        assert_eq!(p.actions, vec![]);
        assert_eq!(p.next_check, Some(at(60)));
        // A warning not yet recorded when the check comes late is still given.
        let p = response_plan(at(59), &[]);
        assert_eq!(p.actions.len(), 1);
    }

    #[test]
    fn a_breach_is_step_one_at_the_due_time_then_the_ladder_climbs_by_its_minutes() {
        let warned = LadderMark::Warned(Milestone::Response);
        let p = response_plan(just_before(at(60)), &[warned]);
        assert_eq!((steps(&p), p.next_check), (vec![], Some(at(60))));
        // At the due time: step 1, the dispatchers of the responsible unit (and up).
        let p = response_plan(at(60), &[warned]);
        assert_eq!(
            p.actions,
            vec![LadderAction::Step {
                milestone: Milestone::Response,
                due_at: at(60),
                step: LadderStep {
                    number: 1,
                    role: Role::Dispatcher,
                    reach: Reach::Nearest,
                    at: at(60),
                },
            }]
        );
        assert_eq!(p.next_check, Some(at(90)));
        let one = LadderMark::Stepped(Milestone::Response, 1);
        let p = response_plan(just_before(at(90)), &[warned, one]);
        assert_eq!((steps(&p), p.next_check), (vec![], Some(at(90))));
        // 30 minutes later the station managers, 60 more the center head at the root.
        let p = response_plan(at(90), &[warned, one]);
        assert_eq!((steps(&p), p.next_check), (vec![2], Some(at(150))));
        let two = LadderMark::Stepped(Milestone::Response, 2);
        let p = response_plan(at(150), &[warned, one, two]);
        assert_eq!(steps(&p), vec![3]);
        let LadderAction::Step { step, .. } = p.actions[0] else {
            panic!("{p:?}")
        };
        assert_eq!(
            (step.role, step.reach, step.label(Locale::En)),
            (Role::Manager, Reach::Root, "service center head")
        );
        assert_eq!(p.next_check, None, "the ladder has no fourth step");
        // A check that comes late takes every step due, once each.
        let p = response_plan(at(200), &[warned]);
        assert_eq!((steps(&p), p.next_check), (vec![1, 2, 3], None));
        let three = LadderMark::Stepped(Milestone::Response, 3);
        let p = response_plan(at(200), &[warned, one, two, three]);
        assert_eq!(p, LadderPlan::default());
    }

    #[test]
    fn an_acknowledgement_stops_the_climb_but_not_the_breach_itself() {
        let ack = LadderMark::Acknowledged(Milestone::Response);
        let one = LadderMark::Stepped(Milestone::Response, 1);
        let p = response_plan(at(200), &[one, ack]);
        assert_eq!(p, LadderPlan::default());
        // Acknowledged before step 1 fell due (a ladder that waits before it): step 1
        // still comes, nothing after it.
        let c = clocks_at(&state(), at(65));
        let response: Vec<MilestoneClock> = c
            .into_iter()
            .filter(|c| c.milestone == Milestone::Response)
            .collect();
        let p = due_now(&response, [10, 30, 60], &[ack], at(65));
        assert_eq!((steps(&p), p.next_check), (vec![], Some(at(70))));
        let p = due_now(&response, [10, 30, 60], &[ack], at(70));
        assert_eq!((steps(&p), p.next_check), (vec![1], None));
    }

    #[test]
    fn a_missed_resolution_opens_the_emergency_plan_once() {
        let s = state();
        let before = clocks_at(&s, just_before(at(120)));
        let p = due_now(&before, LADDER, &[], just_before(at(120)));
        assert!(
            !p.actions
                .iter()
                .any(|a| matches!(a, LadderAction::EmergencyPlan { .. })),
            "{p:?}"
        );
        let now = at(120);
        let done = [
            LadderMark::Warned(Milestone::Response),
            LadderMark::Stepped(Milestone::Response, 1),
            LadderMark::Stepped(Milestone::Response, 2),
            LadderMark::Warned(Milestone::Resolution),
        ];
        let p = due_now(&clocks_at(&s, now), LADDER, &done, now);
        let plan_for = |p: &LadderPlan| -> Vec<(Milestone, &'static str)> {
            p.actions
                .iter()
                .map(|a| match a {
                    LadderAction::Warn { milestone, .. } => (*milestone, "warn"),
                    LadderAction::Step { milestone, .. } => (*milestone, "step"),
                    LadderAction::EmergencyPlan { milestone, .. } => (*milestone, "plan"),
                })
                .collect()
        };
        // Clocks in milestone order; for the resolution its step 1, then the plan.
        assert_eq!(
            plan_for(&p),
            vec![
                (Milestone::Resolution, "step"),
                (Milestone::Resolution, "plan")
            ]
        );
        // The response's step 3 and the resolution's step 2 both fall at 150: the next
        // check is then.
        assert_eq!(p.next_check, Some(at(150)));
        let mut done = done.to_vec();
        done.push(LadderMark::Stepped(Milestone::Resolution, 1));
        done.push(LadderMark::EmergencyPlanOpened(Milestone::Resolution));
        let p = due_now(&clocks_at(&s, at(121)), LADDER, &done, at(121));
        assert_eq!(p.actions, vec![], "the plan is opened once");
    }

    #[test]
    fn met_and_paused_clocks_need_nothing() {
        // Met in time, or met late (the breach stays on the record): nothing to tell.
        let mut s = state();
        s.contacted = Some(at(70));
        let c: Vec<MilestoneClock> = clocks_at(&s, at(100))
            .into_iter()
            .filter(|c| c.milestone == Milestone::Response)
            .collect();
        assert_eq!(c[0].state, ClockState::Breached);
        assert_eq!(due_now(&c, LADDER, &[], at(100)), LadderPlan::default());
        // Paused (a wait without an end): no due time, no check armed for it.
        let mut s = state();
        s.pauses.push(PauseRecord {
            from: at(10),
            to: None,
            reason: Some(crate::service::WaitReason::Parts),
            by: "engineer".into(),
        });
        let c = clocks_at(&s, at(100));
        assert!(c.iter().all(|c| c.state == ClockState::Paused), "{c:?}");
        assert_eq!(due_now(&c, LADDER, &[], at(100)), LadderPlan::default());
    }
}
