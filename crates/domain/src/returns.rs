//! Returns and exchanges (退换货): what an end customer may ask for (R-WAR-5) and how a
//! dealer's return is settled (R-WAR-6). Both are pure decisions over facts the caller has
//! established (inspection result, dates, approval); charges for a repair itself come from
//! [`crate::warranty::resolve`].
//!
//! End customers (产品售后服务政策, 成品部分), all by the serial's manufacture date:
//! - within 1 month, no visible damage, accessories complete, a quality defect confirmed by
//!   the service department → free exchange (免费更换) or free refund (免费退货);
//! - over 1 month with a quality defect → free replacement of the faulty component
//!   (免费更换存在问题的元件或配件);
//! - within 1 month, no defect, unused and intact (未使用过且保存完好) → exchange for a
//!   same-type product at the same price or paying the difference (等价或补差价更换), or a
//!   depreciated refund (折旧退货), all freight paid by the customer;
//! - OEM products are never returned, only repaired (OEM产品出厂后恕不接受退货);
//! - visible damage (deformed or rusted casing, scratched or discolored panels, oxidized
//!   boards) voids a return.
//!
//! Dealers (售后服务协议, 退货的规定和程序):
//! - 开箱不良: a defect found within 7 days of the dealer receiving the goods;
//!   品质不良: a quality defect within 15 days of the sale to the consumer. Either way the
//!   dealer repairs first at the manufacturer's cost; what cannot be repaired may be returned
//!   with the manufacturer's confirmation, freight paid by the manufacturer.
//! - Other returns in warranty: return freight and refurbishment parts on the dealer
//!   (deducted from its service fund); the repaired goods travel back at the manufacturer's
//!   cost. Out of warranty: freight both ways and parts on the dealer.
//! - Every return needs prior written approval with a list; unapproved, dirty or incomplete
//!   returns may be refused. (The quantity counted is what the manufacturer received: that
//!   belongs to the receiving step, not to this decision.)
//!
//! Decisions taken where the sources are silent (each has a test):
//! - **Day counting.** "Within 1 month of manufacture": the last day in is the manufacture
//!   date + 1 calendar month (clamped to the month's end: 01-31 → 02-28). "Within 7 days of
//!   receiving" and "within 15 days of sale": day 0 is the receiving or sale date, day 7 and
//!   day 15 are the last days in. A service date before the reference date (bad data or a
//!   defect noticed on delivery) counts as inside the window.
//! - **Without a manufacture date** the 1-month window cannot be proven, so the unit is
//!   treated as past it (returns are decided by the serial).
//! - **Customer options** are what the customer may choose from; the first is the one the
//!   sources name first. A defective unit within the window may also just be repaired, so
//!   `ReplaceComponent` is offered alongside exchange and refund. When no return or exchange
//!   applies the only option is `RepairOnly` (regular repair service), so the list is never
//!   empty. A confirmed defect still gets its faulty component replaced when damage or
//!   missing accessories void the return (the defect is still the maker's; whether the
//!   damage is an exclusion is the warranty resolver's call). "Intact" (保存完好) means no
//!   visible damage and accessories complete; "used" does not matter when there is a defect.
//! - **Customer freight**: the manufacturer pays when a quality defect is confirmed (the
//!   fault is its own, as with dealers), the customer otherwise; OEM units likewise.
//! - **Dealer category precedence**: dead on arrival, then early defect, then in warranty,
//!   then out of warranty. Without a quality defect a return is never DOA or early defect.
//!   A return without a sale date cannot be an early defect.
//! - **Dealer remedies**: DOA and early defect: repair at the manufacturer's cost, or return
//!   it to the manufacturer; other in warranty: return to the manufacturer with freight and
//!   refurbishment parts on the dealer; out of warranty: repair charged to the dealer, or
//!   return to the manufacturer, all on the dealer. A return not approved, or not clean and
//!   complete, is `accepted: false`, but the category and remedies are still filled in so
//!   the dealer sees what it would get once approved and properly packed.

use crate::warranty::{Reason, add_months};
use jiff::civil::Date;
use jiff::{Span, ToSpan};
use serde::{Deserialize, Serialize};
use std::fmt;

/// End customers may return or exchange within this many months of manufacture.
pub const CUSTOMER_RETURN_MONTHS: i64 = 1;
/// Dead on arrival: found within this many days of the dealer receiving the goods.
pub const DEAD_ON_ARRIVAL_DAYS: i64 = 7;
/// Early quality defect: within this many days of the sale to the consumer.
pub const EARLY_DEFECT_DAYS: i64 = 15;

/// The last day an end customer may return or exchange: manufacture date + 1 month.
pub fn customer_return_last_day(manufacture_date: Date) -> Date {
    add_months(manufacture_date, CUSTOMER_RETURN_MONTHS)
}

/// The last day a dealer may report a unit dead on arrival: received + 7 days.
pub fn dead_on_arrival_last_day(received: Date) -> Date {
    received.saturating_add(DEAD_ON_ARRIVAL_DAYS.days())
}

/// The last day of the early-defect window: sold + 15 days.
pub fn early_defect_last_day(sold: Date) -> Date {
    sold.saturating_add(EARLY_DEFECT_DAYS.days())
}

/// Day number of `on` counted from `from` (day 0), never negative.
fn day_number(from: Date, on: Date) -> i32 {
    from.until(on).map_or(0, |s: Span| s.get_days()).max(0)
}

/// What an end customer brings back, as established by the service department.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CustomerReturnFacts {
    /// By the serial (机身编码).
    pub manufacture_date: Option<Date>,
    pub oem: bool,
    /// Confirmed by the after-sales service department's test (经售后服务部检测).
    pub quality_defect_confirmed: bool,
    /// Deformed/rusted casing, scratched/discolored panels, oxidized boards.
    pub visible_damage: bool,
    pub accessories_complete: bool,
    pub used: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnOption {
    /// 免费退货
    Refund,
    /// 免费更换
    Exchange,
    /// 免费更换存在问题的元件或配件
    ReplaceComponent,
    /// Same type, customer pays the difference (等价或补差价更换).
    PaidExchange,
    /// 折旧退货
    DepreciatedRefund,
    /// 只提供常规维修服务
    RepairOnly,
}

impl ReturnOption {
    pub const ALL: [ReturnOption; 6] = [
        ReturnOption::Refund,
        ReturnOption::Exchange,
        ReturnOption::ReplaceComponent,
        ReturnOption::PaidExchange,
        ReturnOption::DepreciatedRefund,
        ReturnOption::RepairOnly,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReturnOption::Refund => "refund",
            ReturnOption::Exchange => "exchange",
            ReturnOption::ReplaceComponent => "replace_component",
            ReturnOption::PaidExchange => "paid_exchange",
            ReturnOption::DepreciatedRefund => "depreciated_refund",
            ReturnOption::RepairOnly => "repair_only",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == s)
    }
}

impl fmt::Display for ReturnOption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Payer {
    Manufacturer,
    Customer,
    Dealer,
}

impl Payer {
    pub const ALL: [Payer; 3] = [Payer::Manufacturer, Payer::Customer, Payer::Dealer];

    pub fn as_str(self) -> &'static str {
        match self {
            Payer::Manufacturer => "manufacturer",
            Payer::Customer => "customer",
            Payer::Dealer => "dealer",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    pub fn zh(self) -> &'static str {
        match self {
            Payer::Manufacturer => "厂家",
            Payer::Customer => "客户",
            Payer::Dealer => "经销商",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Payer::Manufacturer => "the manufacturer",
            Payer::Customer => "the customer",
            Payer::Dealer => "the dealer",
        }
    }
}

impl fmt::Display for Payer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CustomerReturnDecision {
    /// What the customer may choose from; never empty.
    pub options: Vec<ReturnOption>,
    pub freight_paid_by: Payer,
    pub reasons: Vec<Reason>,
}

impl CustomerReturnDecision {
    pub fn has_reason(&self, code: &str) -> bool {
        self.reasons.iter().any(|r| r.code == code)
    }
}

/// What an end customer may ask for on `on` (R-WAR-5). See the module doc.
pub fn customer_return(f: &CustomerReturnFacts, on: Date) -> CustomerReturnDecision {
    use ReturnOption::*;
    let mut reasons = Vec::new();
    let defect = f.quality_defect_confirmed;
    let freight_paid_by = if defect {
        Payer::Manufacturer
    } else {
        Payer::Customer
    };
    let freight_reason = |reasons: &mut Vec<Reason>| {
        reasons.push(Reason::new(
            "freight",
            format!(
                "运费由{}承担{}",
                freight_paid_by.zh(),
                if defect {
                    "（产品质量问题）"
                } else {
                    ""
                }
            ),
            format!(
                "Freight is paid by {}{}",
                freight_paid_by.en(),
                if defect { " (a quality defect)" } else { "" }
            ),
        ));
    };

    if f.oem {
        reasons.push(Reason::new(
            "oem_no_return",
            "OEM 产品出厂后不接受退换货，只提供常规维修服务",
            "OEM products are never returned or exchanged once shipped; only regular repair service",
        ));
        freight_reason(&mut reasons);
        return CustomerReturnDecision {
            options: vec![RepairOnly],
            freight_paid_by,
            reasons,
        };
    }

    let within = match f.manufacture_date {
        None => {
            reasons.push(Reason::new(
                "no_manufacture_date",
                "无法从机身编码确定出厂日期，不适用出厂 1 个月内退换货",
                "No manufacture date from the serial: the 1-month return window cannot apply",
            ));
            false
        }
        Some(made) => {
            let last = customer_return_last_day(made);
            if on <= last {
                reasons.push(Reason::new(
                    "within_return_window",
                    format!("出厂日期 {made}（以机身编码为准），{on} 在出厂 1 个月内（至 {last}）"),
                    format!(
                        "Manufactured on {made} (by the serial): {on} is within 1 month of manufacture (until {last})"
                    ),
                ));
                true
            } else {
                reasons.push(Reason::new(
                    "return_window_passed",
                    format!(
                        "出厂日期 {made}（以机身编码为准），{on} 已超过出厂 1 个月（最后一天为 {last}）"
                    ),
                    format!(
                        "Manufactured on {made} (by the serial): {on} is more than 1 month after manufacture (the last day was {last})"
                    ),
                ));
                false
            }
        }
    };

    // Why a return inside the window is void; only said when it matters.
    let condition_reasons = |reasons: &mut Vec<Reason>, with_used: bool| {
        if f.visible_damage {
            reasons.push(Reason::new(
                "visible_damage",
                "外观有损坏（机壳变形、生锈，面板划花、变色，线路板氧化等），不接受退货",
                "Visible damage (deformed or rusted casing, scratched or discolored panels, oxidized boards): no return",
            ));
        }
        if !f.accessories_complete {
            reasons.push(Reason::new(
                "accessories_incomplete",
                "配件不齐全，不接受退换货",
                "Accessories incomplete: no return or exchange",
            ));
        }
        if with_used && f.used {
            reasons.push(Reason::new(
                "used",
                "无质量问题且已使用过，不接受退换货",
                "No quality defect and already used: no return or exchange",
            ));
        }
    };
    let intact = !f.visible_damage && f.accessories_complete;

    let options = if defect && within && intact {
        reasons.push(Reason::new(
            "defect_refund_or_exchange",
            "经售后服务部检测确认为产品质量问题，外观无损坏且配件齐全：可免费更换或免费退货，也可只更换故障元件",
            "Quality defect confirmed, no visible damage and accessories complete: free exchange or free refund, or just the faulty component replaced",
        ));
        vec![Exchange, Refund, ReplaceComponent]
    } else if defect {
        if within {
            condition_reasons(&mut reasons, false);
        }
        reasons.push(Reason::new(
            "replace_component",
            "存在质量问题：免费更换存在问题的元件或配件（收费以保修判定为准）",
            "Quality defect: the faulty component or accessory is replaced free of charge (the warranty decision sets any charges)",
        ));
        vec![ReplaceComponent]
    } else if within && intact && !f.used {
        reasons.push(Reason::new(
            "no_defect_unused",
            "无质量问题，未使用过且保存完好：可等价或补差价更换同类型产品，或折旧退货，所有货运费用由客户承担",
            "No quality defect, unused and intact: exchange for a same-type product paying any difference, or a depreciated refund; the customer pays all freight",
        ));
        vec![PaidExchange, DepreciatedRefund]
    } else {
        if within {
            condition_reasons(&mut reasons, true);
        }
        reasons.push(Reason::new(
            "repair_only",
            "无质量问题，不予退换货，可提供常规维修服务",
            "No quality defect: no return or exchange; regular repair service is available",
        ));
        vec![RepairOnly]
    };

    freight_reason(&mut reasons);
    CustomerReturnDecision {
        options,
        freight_paid_by,
        reasons,
    }
}

/// A dealer's return or repair return (返修), as reported and inspected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DealerReturnFacts {
    pub received_by_dealer: Date,
    /// The sale to the consumer, by the product's receipt (产品回执单) and sales record.
    pub sold_to_consumer: Option<Date>,
    /// Damage not caused in transport, or a quality problem.
    pub quality_defect: bool,
    pub in_warranty: bool,
    /// Prior written approval with a detailed list (书面申请并附详细清单, 经准许).
    pub approved: bool,
    /// Packed completely, clean, accessories complete.
    pub clean_and_complete: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DealerCategory {
    /// 开箱不良
    DeadOnArrival,
    /// 品质不良 (within 15 days of sale)
    EarlyDefect,
    OtherInWarranty,
    OutOfWarranty,
}

impl DealerCategory {
    pub const ALL: [DealerCategory; 4] = [
        DealerCategory::DeadOnArrival,
        DealerCategory::EarlyDefect,
        DealerCategory::OtherInWarranty,
        DealerCategory::OutOfWarranty,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DealerCategory::DeadOnArrival => "dead_on_arrival",
            DealerCategory::EarlyDefect => "early_defect",
            DealerCategory::OtherInWarranty => "other_in_warranty",
            DealerCategory::OutOfWarranty => "out_of_warranty",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl fmt::Display for DealerCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DealerRemedy {
    /// The dealer repairs it; the manufacturer pays (维修费用由甲方承担).
    RepairAtManufacturerCost,
    /// Back to the manufacturer (退货/返修), on the payers the decision names.
    ReturnToManufacturer,
    /// Repaired with everything charged to the dealer.
    RepairChargedToDealer,
}

impl DealerRemedy {
    pub const ALL: [DealerRemedy; 3] = [
        DealerRemedy::RepairAtManufacturerCost,
        DealerRemedy::ReturnToManufacturer,
        DealerRemedy::RepairChargedToDealer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DealerRemedy::RepairAtManufacturerCost => "repair_at_manufacturer_cost",
            DealerRemedy::ReturnToManufacturer => "return_to_manufacturer",
            DealerRemedy::RepairChargedToDealer => "repair_charged_to_dealer",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl fmt::Display for DealerRemedy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DealerReturnDecision {
    pub category: DealerCategory,
    /// What the dealer may do, in the order the agreement names them.
    pub remedies: Vec<DealerRemedy>,
    /// Who pays the freight to the manufacturer.
    pub freight_paid_by: Payer,
    /// Who pays repair or refurbishment parts.
    pub parts_paid_by: Payer,
    /// Always true: every return needs prior written approval with a list.
    pub approval_required: bool,
    /// Approved, clean and complete; otherwise the manufacturer may refuse the goods.
    pub accepted: bool,
    pub reasons: Vec<Reason>,
}

impl DealerReturnDecision {
    pub fn has_reason(&self, code: &str) -> bool {
        self.reasons.iter().any(|r| r.code == code)
    }
}

/// How a dealer's return reported on `on` is settled (R-WAR-6). See the module doc.
pub fn dealer_return(f: &DealerReturnFacts, on: Date) -> DealerReturnDecision {
    use DealerRemedy::*;
    let mut reasons = Vec::new();
    let received = f.received_by_dealer;

    let doa_last = dead_on_arrival_last_day(received);
    let dead_on_arrival = f.quality_defect && on <= doa_last;
    let early_defect = f.quality_defect
        && !dead_on_arrival
        && f.sold_to_consumer
            .is_some_and(|sold| on <= early_defect_last_day(sold));

    if f.quality_defect {
        let day = day_number(received, on);
        if dead_on_arrival {
            reasons.push(Reason::new(
                "dead_on_arrival",
                format!(
                    "经销商收货日 {received}，{on} 为收货后第 {day} 天（开箱不良期限 7 天，至 {doa_last}），属开箱不良"
                ),
                format!(
                    "Received by the dealer on {received}: {on} is day {day} after receipt (the dead-on-arrival window is 7 days, until {doa_last}), so it is dead on arrival"
                ),
            ));
        } else {
            reasons.push(Reason::new(
                "dead_on_arrival_window_passed",
                format!(
                    "经销商收货日 {received}，{on} 为收货后第 {day} 天，已超过开箱不良 7 天期限（至 {doa_last}）"
                ),
                format!(
                    "Received by the dealer on {received}: {on} is day {day} after receipt, past the 7-day dead-on-arrival window (until {doa_last})"
                ),
            ));
            match f.sold_to_consumer {
                None => reasons.push(Reason::new(
                    "no_sale_date",
                    "未售出或无销售日期（以产品回执单和销售记录为准），不适用售出 15 天内品质不良",
                    "Not sold or no sale date (by the receipt and sales record): the 15-day early-defect rule cannot apply",
                )),
                Some(sold) => {
                    let last = early_defect_last_day(sold);
                    let day = day_number(sold, on);
                    if early_defect {
                        reasons.push(Reason::new(
                            "early_defect",
                            format!(
                                "售给顾客日期 {sold}，{on} 为售出后第 {day} 天（品质不良期限 15 天，至 {last}），属品质不良"
                            ),
                            format!(
                                "Sold to the consumer on {sold}: {on} is day {day} after the sale (the early-defect window is 15 days, until {last}), so it is an early quality defect"
                            ),
                        ));
                    } else {
                        reasons.push(Reason::new(
                            "early_defect_window_passed",
                            format!(
                                "售给顾客日期 {sold}，{on} 为售出后第 {day} 天，已超过品质不良 15 天期限（至 {last}）"
                            ),
                            format!(
                                "Sold to the consumer on {sold}: {on} is day {day} after the sale, past the 15-day early-defect window (until {last})"
                            ),
                        ));
                    }
                }
            }
        }
    } else {
        reasons.push(Reason::new(
            "no_quality_defect",
            "未发现质量问题，不属开箱不良或品质不良",
            "No quality defect: neither dead on arrival nor an early defect",
        ));
    }

    let (category, remedies, freight_paid_by, parts_paid_by) = if dead_on_arrival || early_defect {
        reasons.push(Reason::new(
            "repair_at_manufacturer_cost",
            "经销商先行维修，维修费用由厂家承担；维修不了的，经厂家确认可申请退货，运费由厂家承担",
            "The dealer repairs it first at the manufacturer's cost; if it cannot be repaired it may be returned with the manufacturer's confirmation, freight paid by the manufacturer",
        ));
        let category = if dead_on_arrival {
            DealerCategory::DeadOnArrival
        } else {
            DealerCategory::EarlyDefect
        };
        (
            category,
            vec![RepairAtManufacturerCost, ReturnToManufacturer],
            Payer::Manufacturer,
            Payer::Manufacturer,
        )
    } else if f.in_warranty {
        reasons.push(Reason::new(
            "other_in_warranty",
            "保修期内的其他退货或返修：返回运费和产品翻新配件费由经销商承担，从专项维修费用中扣除；修好后发回经销商的运费由厂家承担",
            "Other return or repair in warranty: the return freight and refurbishment parts are on the dealer, deducted from its service fund; the manufacturer pays the freight back to the dealer",
        ));
        (
            DealerCategory::OtherInWarranty,
            vec![ReturnToManufacturer],
            Payer::Dealer,
            Payer::Dealer,
        )
    } else {
        reasons.push(Reason::new(
            "out_of_warranty",
            "保修期外的退货或返修：往返运费和产品翻新配件费均由经销商承担，从专项维修费用中扣除",
            "Return or repair out of warranty: freight both ways and refurbishment parts are on the dealer, deducted from its service fund",
        ));
        (
            DealerCategory::OutOfWarranty,
            vec![RepairChargedToDealer, ReturnToManufacturer],
            Payer::Dealer,
            Payer::Dealer,
        )
    };

    if f.approved {
        reasons.push(Reason::new(
            "approved",
            "已事先书面申请并附详细清单，经厂家准许",
            "Applied for in writing beforehand with a detailed list, and approved by the manufacturer",
        ));
    } else {
        reasons.push(Reason::new(
            "not_approved",
            "未经厂家事先书面准许（须先书面申请并附详细清单）：厂家可拒收，由此造成的损失由经销商自行承担",
            "Not approved in writing beforehand (apply in writing with a detailed list first): the manufacturer may refuse it, at the dealer's loss",
        ));
    }
    if !f.clean_and_complete {
        reasons.push(Reason::new(
            "not_clean_or_complete",
            "货物包装不完整、零乱不整洁或配件残缺不全：厂家可拒收",
            "Goods not completely packed, not clean, or with accessories missing: the manufacturer may refuse them",
        ));
    }

    DealerReturnDecision {
        category,
        remedies,
        freight_paid_by,
        parts_paid_by,
        approval_required: true,
        accepted: f.approved && f.clean_and_complete,
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde::de::IntoDeserializer;
    use serde::de::value::Error as DeError;

    use DealerCategory::{DeadOnArrival, EarlyDefect, OtherInWarranty, OutOfWarranty};
    use DealerRemedy::{RepairAtManufacturerCost, RepairChargedToDealer, ReturnToManufacturer};
    use Payer::{Customer, Dealer, Manufacturer};
    use ReturnOption::{
        DepreciatedRefund, Exchange, PaidExchange, Refund, RepairOnly, ReplaceComponent,
    };

    fn d(s: &str) -> Date {
        s.parse().expect("a valid test date")
    }

    fn brought_back(made: &str) -> CustomerReturnFacts {
        CustomerReturnFacts {
            manufacture_date: Some(d(made)),
            oem: false,
            quality_defect_confirmed: true,
            visible_damage: false,
            accessories_complete: true,
            used: true,
        }
    }

    fn reason<'a>(reasons: &'a [Reason], code: &str) -> &'a Reason {
        reasons
            .iter()
            .find(|r| r.code == code)
            .unwrap_or_else(|| panic!("no {code} among {reasons:?}"))
    }

    // ---- R-WAR-5: end customers --------------------------------------------------------

    #[test]
    fn a_customer_return_is_decided_by_the_month_since_manufacture_and_the_units_state() {
        // Made 2025-03-10: 2025-04-10 is the last day within 1 month, 04-11 the first after.
        let (last_in, first_out) = ("2025-04-10", "2025-04-11");
        let free: &[ReturnOption] = &[Exchange, Refund, ReplaceComponent];
        let component: &[ReturnOption] = &[ReplaceComponent];
        let paid: &[ReturnOption] = &[PaidExchange, DepreciatedRefund];
        let repair: &[ReturnOption] = &[RepairOnly];
        #[rustfmt::skip]
        let table = [
            // service date, defect, visible damage, accessories complete, used → options, freight
            (last_in, true, false, true, false, free, Manufacturer),
            (last_in, true, false, true, true, free, Manufacturer),
            (last_in, true, false, false, false, component, Manufacturer),
            (last_in, true, false, false, true, component, Manufacturer),
            (last_in, true, true, true, false, component, Manufacturer),
            (last_in, true, true, true, true, component, Manufacturer),
            (last_in, true, true, false, false, component, Manufacturer),
            (last_in, true, true, false, true, component, Manufacturer),
            (last_in, false, false, true, false, paid, Customer),
            (last_in, false, false, true, true, repair, Customer),
            (last_in, false, false, false, false, repair, Customer),
            (last_in, false, false, false, true, repair, Customer),
            (last_in, false, true, true, false, repair, Customer),
            (last_in, false, true, true, true, repair, Customer),
            (last_in, false, true, false, false, repair, Customer),
            (last_in, false, true, false, true, repair, Customer),
            (first_out, true, false, true, false, component, Manufacturer),
            (first_out, true, false, true, true, component, Manufacturer),
            (first_out, true, false, false, false, component, Manufacturer),
            (first_out, true, false, false, true, component, Manufacturer),
            (first_out, true, true, true, false, component, Manufacturer),
            (first_out, true, true, true, true, component, Manufacturer),
            (first_out, true, true, false, false, component, Manufacturer),
            (first_out, true, true, false, true, component, Manufacturer),
            (first_out, false, false, true, false, repair, Customer),
            (first_out, false, false, true, true, repair, Customer),
            (first_out, false, false, false, false, repair, Customer),
            (first_out, false, false, false, true, repair, Customer),
            (first_out, false, true, true, false, repair, Customer),
            (first_out, false, true, true, true, repair, Customer),
            (first_out, false, true, false, false, repair, Customer),
            (first_out, false, true, false, true, repair, Customer),
        ];
        for (on, defect, damage, accessories, used, options, freight) in table {
            let facts = CustomerReturnFacts {
                quality_defect_confirmed: defect,
                visible_damage: damage,
                accessories_complete: accessories,
                used,
                ..brought_back("2025-03-10")
            };
            let case = format!(
                "{on} defect={defect} damage={damage} accessories={accessories} used={used}"
            );

            let decision = customer_return(&facts, d(on));

            assert_eq!(decision.options, options, "{case}");
            assert_eq!(decision.freight_paid_by, freight, "{case}");
            let window = if on == last_in {
                "within_return_window"
            } else {
                "return_window_passed"
            };
            assert!(decision.has_reason(window), "{case}");
            // Inside the window, whatever voids the return is named.
            let voided = on == last_in && options != free && options != paid;
            assert_eq!(
                decision.has_reason("visible_damage"),
                voided && damage,
                "{case}"
            );
            assert_eq!(
                decision.has_reason("accessories_incomplete"),
                voided && !accessories,
                "{case}"
            );
        }
    }

    #[test]
    fn the_return_window_reason_names_the_manufacture_date_and_the_last_day() {
        let decision = customer_return(&brought_back("2025-03-10"), d("2025-04-11"));

        let passed = reason(&decision.reasons, "return_window_passed");
        assert_eq!(
            passed.zh,
            "出厂日期 2025-03-10（以机身编码为准），2025-04-11 已超过出厂 1 个月（最后一天为 2025-04-10）"
        );
        assert_eq!(
            passed.en,
            "Manufactured on 2025-03-10 (by the serial): 2025-04-11 is more than 1 month after \
             manufacture (the last day was 2025-04-10)"
        );
    }

    #[test]
    fn the_one_month_window_clamps_to_the_end_of_a_short_month() {
        assert_eq!(customer_return_last_day(d("2025-01-31")), d("2025-02-28"));
        assert_eq!(customer_return_last_day(d("2024-01-31")), d("2024-02-29"));
        let facts = brought_back("2025-01-31");

        assert_eq!(
            customer_return(&facts, d("2025-02-28")).options,
            [Exchange, Refund, ReplaceComponent]
        );
        assert_eq!(
            customer_return(&facts, d("2025-03-01")).options,
            [ReplaceComponent]
        );
    }

    #[test]
    fn a_unit_brought_back_on_its_manufacture_day_is_within_the_month() {
        let decision = customer_return(&brought_back("2025-03-10"), d("2025-03-10"));

        assert_eq!(decision.options, [Exchange, Refund, ReplaceComponent]);
    }

    #[test]
    fn an_oem_product_is_never_returned_only_repaired() {
        for defect in [true, false] {
            let facts = CustomerReturnFacts {
                oem: true,
                quality_defect_confirmed: defect,
                used: false,
                ..brought_back("2025-03-10")
            };

            let decision = customer_return(&facts, d("2025-03-11"));

            assert_eq!(decision.options, [RepairOnly], "defect={defect}");
            assert!(decision.has_reason("oem_no_return"));
            let freight = if defect { Manufacturer } else { Customer };
            assert_eq!(decision.freight_paid_by, freight, "defect={defect}");
        }
    }

    #[test]
    fn without_a_manufacture_date_there_is_no_return_window() {
        let defective = CustomerReturnFacts {
            manufacture_date: None,
            ..brought_back("2025-03-10")
        };
        let unused = CustomerReturnFacts {
            quality_defect_confirmed: false,
            used: false,
            ..defective
        };

        let repaired = customer_return(&defective, d("2025-03-11"));
        let kept = customer_return(&unused, d("2025-03-11"));

        assert_eq!(repaired.options, [ReplaceComponent]);
        assert!(repaired.has_reason("no_manufacture_date"));
        assert_eq!(kept.options, [RepairOnly]);
        assert_eq!(kept.freight_paid_by, Customer);
    }

    #[test]
    fn an_unused_intact_unit_without_a_defect_may_be_exchanged_paying_the_difference() {
        let facts = CustomerReturnFacts {
            quality_defect_confirmed: false,
            used: false,
            ..brought_back("2025-03-10")
        };

        let decision = customer_return(&facts, d("2025-03-20"));

        assert_eq!(decision.options, [PaidExchange, DepreciatedRefund]);
        assert_eq!(decision.freight_paid_by, Customer);
        let reason = reason(&decision.reasons, "no_defect_unused");
        assert!(reason.zh.contains("折旧退货"), "{}", reason.zh);
        assert!(
            reason.zh.contains("所有货运费用由客户承担"),
            "{}",
            reason.zh
        );
    }

    // ---- R-WAR-6: dealers ----------------------------------------------------------------

    fn dealer(received: &str, sold: Option<&str>) -> DealerReturnFacts {
        DealerReturnFacts {
            received_by_dealer: d(received),
            sold_to_consumer: sold.map(d),
            quality_defect: true,
            in_warranty: true,
            approved: true,
            clean_and_complete: true,
        }
    }

    #[test]
    fn dead_on_arrival_runs_to_day_7_after_receipt_and_early_defect_to_day_15_after_sale() {
        #[rustfmt::skip]
        let table = [
            // received, sold, reported on, defect, in warranty → category
            ("2025-03-01", None, "2025-03-01", true, true, DeadOnArrival),  // day 0
            ("2025-03-01", None, "2025-03-08", true, true, DeadOnArrival),  // day 7
            ("2025-03-01", None, "2025-03-09", true, true, OtherInWarranty), // day 8
            ("2025-03-01", None, "2025-03-09", true, false, OutOfWarranty),
            // Sold within the 7 days: dead on arrival comes first.
            ("2025-03-01", Some("2025-03-03"), "2025-03-08", true, true, DeadOnArrival),
            ("2025-01-01", Some("2025-03-01"), "2025-03-01", true, true, EarlyDefect), // day 0
            ("2025-01-01", Some("2025-03-01"), "2025-03-16", true, true, EarlyDefect), // day 15
            ("2025-01-01", Some("2025-03-01"), "2025-03-17", true, true, OtherInWarranty), // day 16
            ("2025-01-01", Some("2025-03-01"), "2025-03-17", true, false, OutOfWarranty),
            // Without a quality defect neither window applies.
            ("2025-03-01", Some("2025-03-02"), "2025-03-03", false, true, OtherInWarranty),
            ("2025-03-01", Some("2025-03-02"), "2025-03-03", false, false, OutOfWarranty),
        ];
        for (received, sold, on, quality_defect, in_warranty, category) in table {
            let facts = DealerReturnFacts {
                quality_defect,
                in_warranty,
                ..dealer(received, sold)
            };
            let decision = dealer_return(&facts, d(on));
            assert_eq!(
                decision.category, category,
                "received {received}, sold {sold:?}, on {on}"
            );
        }
    }

    #[test]
    fn each_dealer_category_has_its_remedies_and_payers() {
        #[rustfmt::skip]
        let table = [
            // category, remedies, freight, parts
            (DeadOnArrival, vec![RepairAtManufacturerCost, ReturnToManufacturer], Manufacturer, Manufacturer),
            (EarlyDefect, vec![RepairAtManufacturerCost, ReturnToManufacturer], Manufacturer, Manufacturer),
            (OtherInWarranty, vec![ReturnToManufacturer], Dealer, Dealer),
            (OutOfWarranty, vec![RepairChargedToDealer, ReturnToManufacturer], Dealer, Dealer),
        ];
        let facts_for = |category| match category {
            DeadOnArrival => (dealer("2025-03-01", None), "2025-03-05"),
            EarlyDefect => (dealer("2025-01-01", Some("2025-03-01")), "2025-03-05"),
            OtherInWarranty => (dealer("2025-01-01", Some("2025-02-01")), "2025-03-05"),
            OutOfWarranty => (
                DealerReturnFacts {
                    in_warranty: false,
                    ..dealer("2023-01-01", Some("2023-02-01"))
                },
                "2025-03-05",
            ),
        };
        for (category, remedies, freight, parts) in table {
            let (facts, on) = facts_for(category);
            let decision = dealer_return(&facts, d(on));
            assert_eq!(decision.category, category);
            assert_eq!(decision.remedies, remedies, "{category}");
            assert_eq!(decision.freight_paid_by, freight, "{category}");
            assert_eq!(decision.parts_paid_by, parts, "{category}");
            assert!(decision.approval_required, "{category}");
            assert!(decision.accepted, "{category}");
        }
    }

    #[test]
    fn the_dealer_window_reasons_count_the_days() {
        let day_7 = dealer_return(&dealer("2025-03-01", None), d("2025-03-08"));
        let day_8 = dealer_return(&dealer("2025-03-01", None), d("2025-03-09"));
        let early = dealer_return(&dealer("2025-01-01", Some("2025-03-01")), d("2025-03-16"));

        assert_eq!(
            reason(&day_7.reasons, "dead_on_arrival").zh,
            "经销商收货日 2025-03-01，2025-03-08 为收货后第 7 天（开箱不良期限 7 天，至 2025-03-08），属开箱不良"
        );
        assert!(
            reason(&day_8.reasons, "dead_on_arrival_window_passed")
                .en
                .contains("day 8")
        );
        assert!(day_8.has_reason("no_sale_date"));
        assert_eq!(
            reason(&early.reasons, "early_defect").en,
            "Sold to the consumer on 2025-03-01: 2025-03-16 is day 15 after the sale (the \
             early-defect window is 15 days, until 2025-03-16), so it is an early quality defect"
        );
    }

    #[test]
    fn every_dealer_return_needs_approval_and_clean_complete_goods() {
        #[rustfmt::skip]
        let table = [
            // approved, clean and complete → accepted, reasons
            (true, true, true, &["approved"][..]),
            (false, true, false, &["not_approved"][..]),
            (true, false, false, &["approved", "not_clean_or_complete"][..]),
            (false, false, false, &["not_approved", "not_clean_or_complete"][..]),
        ];
        for (approved, clean_and_complete, accepted, expected) in table {
            let facts = DealerReturnFacts {
                approved,
                clean_and_complete,
                ..dealer("2025-03-01", None)
            };

            let decision = dealer_return(&facts, d("2025-03-05"));

            let case = format!("approved={approved} clean={clean_and_complete}");
            assert_eq!(decision.accepted, accepted, "{case}");
            assert!(decision.approval_required, "{case}");
            for code in expected {
                assert!(decision.has_reason(code), "{case}: {code}");
            }
            // What it would get once approved and properly packed is still shown.
            assert_eq!(decision.category, DeadOnArrival, "{case}");
            assert_eq!(
                decision.remedies,
                [RepairAtManufacturerCost, ReturnToManufacturer]
            );
        }
    }

    #[test]
    fn a_date_before_the_reference_date_counts_as_inside_the_window() {
        let customer = customer_return(&brought_back("2025-03-10"), d("2025-03-09"));
        let dealer = dealer_return(&dealer("2025-03-01", None), d("2025-02-28"));

        assert_eq!(customer.options, [Exchange, Refund, ReplaceComponent]);
        assert_eq!(dealer.category, DeadOnArrival);
        assert!(
            reason(&dealer.reasons, "dead_on_arrival")
                .zh
                .contains("第 0 天")
        );
    }

    // ---- Names ---------------------------------------------------------------------------

    #[test]
    fn every_enum_parses_its_own_name_and_serde_uses_the_same_name() {
        fn check<T>(all: &[T], as_str: fn(T) -> &'static str, parse: fn(&str) -> Option<T>)
        where
            T: Copy + PartialEq + fmt::Debug + for<'de> Deserialize<'de>,
        {
            for &v in all {
                let name = as_str(v);
                assert_eq!(parse(name), Some(v), "{name}");
                let de = T::deserialize(IntoDeserializer::<DeError>::into_deserializer(name))
                    .expect("serde knows the name");
                assert_eq!(de, v, "{name}");
            }
            assert_eq!(parse("nonsense"), None);
        }
        check(
            &ReturnOption::ALL,
            ReturnOption::as_str,
            ReturnOption::parse,
        );
        check(&Payer::ALL, Payer::as_str, Payer::parse);
        check(
            &DealerCategory::ALL,
            DealerCategory::as_str,
            DealerCategory::parse,
        );
        check(
            &DealerRemedy::ALL,
            DealerRemedy::as_str,
            DealerRemedy::parse,
        );
    }

    // ---- Properties ----------------------------------------------------------------------

    mod properties {
        use super::*;
        use jiff::ToSpan;
        use proptest::option::of;
        use proptest::prelude::*;

        fn date() -> impl Strategy<Value = Date> {
            (0i64..15_000).prop_map(|n| d("2000-01-01").saturating_add(n.days()))
        }

        fn customer_facts() -> impl Strategy<Value = CustomerReturnFacts> {
            (of(date()), any::<[bool; 5]>()).prop_map(
                |(manufacture_date, [oem, defect, damage, accessories, used])| {
                    CustomerReturnFacts {
                        manufacture_date,
                        oem,
                        quality_defect_confirmed: defect,
                        visible_damage: damage,
                        accessories_complete: accessories,
                        used,
                    }
                },
            )
        }

        fn dealer_facts() -> impl Strategy<Value = DealerReturnFacts> {
            (date(), of(0i64..400), any::<[bool; 4]>()).prop_map(
                |(received, sold_after, [defect, in_warranty, approved, clean])| {
                    DealerReturnFacts {
                        received_by_dealer: received,
                        sold_to_consumer: sold_after.map(|n| received.saturating_add(n.days())),
                        quality_defect: defect,
                        in_warranty,
                        approved,
                        clean_and_complete: clean,
                    }
                },
            )
        }

        const RETURNS: [ReturnOption; 4] = [Refund, Exchange, PaidExchange, DepreciatedRefund];

        proptest! {
            #[test]
            fn a_customer_always_has_at_least_one_option(f in customer_facts(), on in date()) {
                prop_assert!(!customer_return(&f, on).options.is_empty());
            }

            #[test]
            fn an_oem_product_is_never_returned_or_exchanged(f in customer_facts(), on in date()) {
                let decision = customer_return(&CustomerReturnFacts { oem: true, ..f }, on);
                prop_assert_eq!(decision.options, vec![RepairOnly]);
            }

            #[test]
            fn visible_damage_voids_every_return(f in customer_facts(), on in date()) {
                let decision = customer_return(&CustomerReturnFacts { visible_damage: true, ..f }, on);
                prop_assert!(decision.options.iter().all(|o| !RETURNS.contains(o)));
            }

            #[test]
            fn once_the_month_is_over_a_return_never_comes_back(
                f in customer_facts(),
                on in date(),
                later_by in 0i64..2_000,
            ) {
                let first = customer_return(&f, on);
                let later = customer_return(&f, on.saturating_add(later_by.days()));
                let returnable = |o: &[ReturnOption]| o.iter().any(|o| RETURNS.contains(o));
                prop_assert!(returnable(&first.options) || !returnable(&later.options));
            }

            #[test]
            fn a_dealer_return_is_accepted_exactly_when_approved_clean_and_complete(
                f in dealer_facts(),
                on in date(),
            ) {
                let decision = dealer_return(&f, on);
                prop_assert!(decision.approval_required);
                prop_assert_eq!(decision.accepted, f.approved && f.clean_and_complete);
            }

            #[test]
            fn the_manufacturer_pays_only_for_dead_on_arrival_and_early_defects(
                f in dealer_facts(),
                on in date(),
            ) {
                let decision = dealer_return(&f, on);
                let early = matches!(decision.category, DeadOnArrival | EarlyDefect);
                prop_assert!(!early || f.quality_defect);
                prop_assert_eq!(decision.freight_paid_by == Manufacturer, early);
                prop_assert_eq!(decision.parts_paid_by == Manufacturer, early);
            }
        }
    }
}
