//! Stocktaking (issue 14 point 7, docs/parts.md "Stocktaking"): a count sheet per location,
//! counted on a phone or typed in, the differences posted as `count_gain` / `count_loss`
//! once a manager approves.
//!
//! Decisions (docs/parts.md):
//! - A count moves counting → submitted → approved; a rejected count goes back to counting;
//!   a count still being counted may be cancelled. Approved and cancelled are final.
//! - Each line keeps the book quantity **at the moment its count was entered**; the
//!   difference is counted − that book quantity, and is posted at approval onto whatever
//!   the book says then. A move posted after the shelf was counted (and before approval) is
//!   therefore kept, and one posted before it is in the count and in the book alike.
//! - Whoever submitted a count does not approve it (four eyes), unless an admin.

use super::Qty;
use crate::Locale;
use serde::{Deserialize, Serialize};

vocabulary!(
    /// Where a count sheet stands.
    CountStatus {
        Counting = "counting", "盘点中", "Counting";
        Submitted = "submitted", "待审批", "Submitted";
        Approved = "approved", "已批准", "Approved";
        Cancelled = "cancelled", "已取消", "Cancelled";
    }
);

vocabulary!(
    /// What is done to a count sheet.
    CountAction {
        Enter = "enter", "录入", "Enter counts";
        Submit = "submit", "提交", "Submit";
        Approve = "approve", "批准", "Approve";
        Reject = "reject", "驳回", "Reject";
        Cancel = "cancel", "取消", "Cancel";
    }
);

/// A step the state machine refuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IllegalCountStep {
    pub from: CountStatus,
    pub action: CountAction,
}

impl CountStatus {
    /// The status after `action`, or the refusal.
    pub fn step(self, action: CountAction) -> Result<CountStatus, IllegalCountStep> {
        use CountAction as A;
        use CountStatus as S;
        match (self, action) {
            (S::Counting, A::Enter) => Ok(S::Counting),
            (S::Counting, A::Submit) => Ok(S::Submitted),
            (S::Counting, A::Cancel) => Ok(S::Cancelled),
            (S::Submitted, A::Approve) => Ok(S::Approved),
            (S::Submitted, A::Reject) => Ok(S::Counting),
            (from, action) => Err(IllegalCountStep { from, action }),
        }
    }

    /// Still open: at most one open count per location.
    pub fn is_open(self) -> bool {
        matches!(self, CountStatus::Counting | CountStatus::Submitted)
    }
}

/// What a counted line does to the books: counted − book when counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CountDifference {
    None,
    /// Found more than the books (盘盈): a `count_gain` of this much.
    Gain(Qty),
    /// Found less (盘亏): a `count_loss` of this much.
    Loss(Qty),
}

impl CountDifference {
    pub fn of(counted: Qty, book: Qty) -> CountDifference {
        match counted.0 - book.0 {
            0 => CountDifference::None,
            d if d > 0 => CountDifference::Gain(Qty(d)),
            d => CountDifference::Loss(Qty(-d)),
        }
    }

    /// Signed, in thousandths (gain positive).
    pub fn signed(self) -> Qty {
        match self {
            CountDifference::None => Qty::ZERO,
            CountDifference::Gain(q) => q,
            CountDifference::Loss(q) => Qty(-q.0),
        }
    }
}

/// Whether `approver` may approve a count `submitter` submitted: not their own, unless an
/// admin.
pub fn may_approve(submitter: Option<&str>, approver: Option<&str>, is_admin: bool) -> bool {
    is_admin || submitter.is_none() || submitter != approver
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_machine() {
        use CountAction as A;
        use CountStatus as S;
        assert_eq!(S::Counting.step(A::Submit), Ok(S::Submitted));
        assert_eq!(S::Submitted.step(A::Approve), Ok(S::Approved));
        assert_eq!(S::Submitted.step(A::Reject), Ok(S::Counting));
        assert_eq!(S::Counting.step(A::Cancel), Ok(S::Cancelled));
        assert!(S::Counting.step(A::Approve).is_err());
        assert!(S::Submitted.step(A::Enter).is_err());
        assert!(S::Submitted.step(A::Cancel).is_err());
        for a in A::ALL {
            assert!(S::Approved.step(*a).is_err());
            assert!(S::Cancelled.step(*a).is_err());
        }
        assert!(S::Counting.is_open() && S::Submitted.is_open());
        assert!(!S::Approved.is_open() && !S::Cancelled.is_open());
    }

    #[test]
    fn differences_are_counted_minus_book() {
        let q = Qty::units;
        assert_eq!(CountDifference::of(q(7), q(7)), CountDifference::None);
        assert_eq!(CountDifference::of(q(9), q(7)), CountDifference::Gain(q(2)));
        assert_eq!(CountDifference::of(q(0), q(7)), CountDifference::Loss(q(7)));
        assert_eq!(
            CountDifference::of(Qty(1500), Qty(1750)),
            CountDifference::Loss(Qty(250))
        );
        assert_eq!(CountDifference::of(q(0), q(3)).signed(), Qty(-3000));
    }

    #[test]
    fn four_eyes_unless_admin() {
        assert!(!may_approve(Some("a"), Some("a"), false));
        assert!(may_approve(Some("a"), Some("a"), true));
        assert!(may_approve(Some("a"), Some("b"), false));
    }

    #[test]
    fn words_exist_in_both_languages() {
        for s in CountStatus::ALL {
            assert!(!s.words(Locale::En).is_empty() && !s.words(Locale::ZhCn).is_empty());
            assert_eq!(CountStatus::parse(s.as_str()), Some(*s));
        }
    }
}
