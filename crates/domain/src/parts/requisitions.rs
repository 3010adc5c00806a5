//! Requisitions and shipments (issue 14 point 3, R-PRT-2 and R-PRT-5): a store, a partner or
//! an engineer asks for parts; the warehouse approves and ships them through transit; the
//! receiver counts what arrived. The difference between shipped and counted is kept on the
//! shipment's line and feeds the parts-issue-accuracy figure (target ≥ 98 %).
//!
//! Decisions where the issue is silent (docs/requisitions.md):
//! - A requisition moves submitted → approved | rejected → shipped → received, and may be
//!   cancelled only while submitted; every other step is refused (`illegal_transition`).
//! - A line's discrepancy is decided from the shipped and counted quantities alone, unless
//!   the receiver says the goods are another part (`wrong_part`): then nothing of the shipped
//!   part is taken in.
//! - The accuracy figure is the share of received shipment lines without a discrepancy; with
//!   no received line in the period there is no figure (not 100 %).

use super::Qty;
use crate::Locale;
use serde::{Deserialize, Serialize};

vocabulary!(
    /// Where a requisition stands.
    RequisitionStatus {
        Submitted = "submitted", "已提交", "Submitted";
        Approved = "approved", "已批准", "Approved";
        Rejected = "rejected", "已驳回", "Rejected";
        Shipped = "shipped", "已发货", "Shipped";
        Received = "received", "已收货", "Received";
        Cancelled = "cancelled", "已取消", "Cancelled";
    }
);

vocabulary!(
    /// How soon the parts are needed: the monthly replenishment or an urgent order (whose
    /// freight is charged to the requesting unit).
    Priority {
        Monthly = "monthly", "月度补货", "Monthly";
        Urgent = "urgent", "紧急", "Urgent";
    }
);

vocabulary!(
    /// What a received shipment line found against what was shipped.
    Discrepancy {
        None = "none", "无差异", "None";
        Short = "short", "短少", "Short";
        Over = "over", "多收", "Over";
        WrongPart = "wrong_part", "错发", "Wrong part";
    }
);

vocabulary!(
    /// What is done to a requisition.
    RequisitionAction {
        Approve = "approve", "批准", "Approve";
        Reject = "reject", "驳回", "Reject";
        Ship = "ship", "发货", "Ship";
        Receive = "receive", "收货", "Receive";
        Cancel = "cancel", "取消", "Cancel";
    }
);

/// A step the state machine refuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IllegalStep {
    pub from: RequisitionStatus,
    pub action: RequisitionAction,
}

impl RequisitionStatus {
    /// The status after `action`, or the refusal.
    pub fn step(self, action: RequisitionAction) -> Result<RequisitionStatus, IllegalStep> {
        use RequisitionAction as A;
        use RequisitionStatus as S;
        match (self, action) {
            (S::Submitted, A::Approve) => Ok(S::Approved),
            (S::Submitted, A::Reject) => Ok(S::Rejected),
            (S::Submitted, A::Cancel) => Ok(S::Cancelled),
            (S::Approved, A::Ship) => Ok(S::Shipped),
            (S::Shipped, A::Receive) => Ok(S::Received),
            (from, action) => Err(IllegalStep { from, action }),
        }
    }

    /// Nothing more happens to it.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            RequisitionStatus::Rejected
                | RequisitionStatus::Received
                | RequisitionStatus::Cancelled
        )
    }
}

impl Discrepancy {
    /// What a line found: counted against shipped, or the wrong part altogether.
    pub fn of(shipped: Qty, counted: Qty, wrong_part: bool) -> Discrepancy {
        if wrong_part {
            Discrepancy::WrongPart
        } else if counted < shipped {
            Discrepancy::Short
        } else if counted > shipped {
            Discrepancy::Over
        } else {
            Discrepancy::None
        }
    }
}

/// What a received line does to the stock of the shipped part, all in one transaction:
/// `transit_gain` (surplus into transit), then `transfer_in` (transit → receiver), then
/// `transit_loss` (the shortfall, or all of it for a wrong part, written off transit).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ReceiptMoves {
    pub gain: Qty,
    pub transfer_in: Qty,
    pub loss: Qty,
}

impl ReceiptMoves {
    pub fn of(shipped: Qty, counted: Qty, wrong_part: bool) -> ReceiptMoves {
        if wrong_part {
            return ReceiptMoves {
                loss: shipped,
                ..ReceiptMoves::default()
            };
        }
        ReceiptMoves {
            gain: Qty((counted.0 - shipped.0).max(0)),
            transfer_in: counted,
            loss: Qty((shipped.0 - counted.0).max(0)),
        }
    }
}

/// The parts-issue-accuracy figure in percent (two decimals), from the received lines and
/// those without a discrepancy; `None` when nothing was received.
pub fn accuracy_percent(received_lines: i64, accurate_lines: i64) -> Option<f64> {
    if received_lines <= 0 {
        return None;
    }
    let basis_points = (accurate_lines.clamp(0, received_lines) * 10_000) / received_lines;
    Some(basis_points as f64 / 100.0)
}

/// The accuracy target of R-PRT-5, in percent.
pub const ACCURACY_TARGET: f64 = 98.0;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_machine_goes_forward_only() {
        use RequisitionAction as A;
        use RequisitionStatus as S;
        assert_eq!(S::Submitted.step(A::Approve), Ok(S::Approved));
        assert_eq!(S::Submitted.step(A::Reject), Ok(S::Rejected));
        assert_eq!(S::Submitted.step(A::Cancel), Ok(S::Cancelled));
        assert_eq!(S::Approved.step(A::Ship), Ok(S::Shipped));
        assert_eq!(S::Shipped.step(A::Receive), Ok(S::Received));
        for s in S::ALL {
            for a in A::ALL {
                let ok = s.step(*a).is_ok();
                if s.is_final() {
                    assert!(!ok, "{s:?} {a:?}");
                }
            }
        }
        assert!(S::Approved.step(A::Cancel).is_err());
        assert!(S::Submitted.step(A::Ship).is_err());
        assert!(S::Shipped.step(A::Approve).is_err());
    }

    #[test]
    fn discrepancies_and_their_moves() {
        let (ten, nine, eleven) = (Qty::units(10), Qty::units(9), Qty::units(11));
        assert_eq!(Discrepancy::of(ten, nine, false), Discrepancy::Short);
        assert_eq!(Discrepancy::of(ten, eleven, false), Discrepancy::Over);
        assert_eq!(Discrepancy::of(ten, ten, false), Discrepancy::None);
        assert_eq!(Discrepancy::of(ten, ten, true), Discrepancy::WrongPart);
        assert_eq!(
            ReceiptMoves::of(ten, nine, false),
            ReceiptMoves {
                gain: Qty::ZERO,
                transfer_in: nine,
                loss: Qty::units(1)
            }
        );
        assert_eq!(
            ReceiptMoves::of(ten, eleven, false),
            ReceiptMoves {
                gain: Qty::units(1),
                transfer_in: eleven,
                loss: Qty::ZERO
            }
        );
        assert_eq!(
            ReceiptMoves::of(ten, nine, true),
            ReceiptMoves {
                gain: Qty::ZERO,
                transfer_in: Qty::ZERO,
                loss: ten
            }
        );
    }

    #[test]
    fn accuracy_is_the_share_of_lines_without_discrepancy() {
        assert_eq!(accuracy_percent(0, 0), None);
        assert_eq!(accuracy_percent(1, 1), Some(100.0));
        assert_eq!(accuracy_percent(1, 0), Some(0.0));
        assert_eq!(accuracy_percent(50, 49), Some(98.0));
        assert_eq!(accuracy_percent(3, 2), Some(66.66));
    }

    #[test]
    fn words_exist_in_both_languages() {
        for d in Discrepancy::ALL {
            assert!(!d.words(Locale::En).is_empty());
            assert_eq!(Discrepancy::parse(d.as_str()), Some(*d));
        }
    }
}
