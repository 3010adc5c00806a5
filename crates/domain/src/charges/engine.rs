//! The pricing engine (R-FEE-2): from the warranty decision (how parts, labor and travel are
//! charged, and why), the fee schedule in force and the facts of the job (time worked,
//! travel, parts issued, when it happened) it produces itemized lines, each with **who
//! pays** and **why**, and the totals in integer fen. Pure: the app gathers the facts.
//!
//! Decisions (each has a test in `tests/charges.rs`):
//! - **Who pays.** An item the decision makes free is paid by the contract when an active
//!   contract covers the job, else by the warranty (the manufacturer) — also when an
//!   after-term makes it free ("year 4 on: labor free"). An item charged at cost or at list
//!   price is the customer's. Internal work (the company's own equipment, demos, a re-do
//!   of our own fault) is the company's, every line. Urgent freight (R-PRT-2) is the
//!   requesting unit's: a partner's when a partner asked, else internal.
//! - **What a free line is worth.** Free lines carry their cost (parts at cost, labor at
//!   the internal hourly cost, travel at its fee), so the cost of free and contract work is
//!   known for the warranty-cost KPI (R-FEE-1); the customer owes none of it.
//! - **Labor** is charged for the time worked rounded up to the schedule's step (per
//!   started half hour), at least the minimum; the amount is `rate × minutes / 60`, rounded
//!   half up. The line's quantity is the hours to three decimals, for reading.
//! - **Surcharges** (urgent, night, holiday) are percentages of the labor line, paid by
//!   whoever pays the labor: a free visit stays free on a holiday. A holiday is a statutory
//!   day off of the SLA calendar ([`holiday_on`]); a make-up workday (调休上班) or a plain
//!   weekend is not.
//! - **Travel**: by distance band when the distance is known, else by region class; a
//!   partner's flat fee replaces both. No visit (remote help, depot), no travel line.
//! - **VAT** is charged on what the customer pays, **per document**: the sum of the
//!   customer's lines (net) times the rate, rounded half up once. Lines are net of VAT. So
//!   a document's VAT never differs from its rate by more than half a fen, whatever the
//!   number of lines. Amounts paid by warranty, contract or the company carry no VAT (they
//!   are costs, not sales); a partner's are invoiced in the partner settlement.
//! - **Totals** are sums of lines: by payer, and the customer's net + VAT = gross.

use super::money::{Rate, apply_rate, prorate};
use super::schedule::FeeSchedule;
use crate::calendar::{DayKind, SpecialDays};
use crate::parts::{Qty, value_of};
use crate::region::RegionClass;
use crate::warranty::{ChargeBasis, Reason, WarrantyDecision};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::fmt;

crate::service::named_enum!(
    /// Who pays a line (R-FEE-1).
    Payer {
        /// 保修: the manufacturer, under the warranty (or an after-term that makes it free).
        Warranty => "warranty",
        /// 服务合同
        Contract => "contract",
        /// 客户
        Customer => "customer",
        /// 服务商 (urgent freight it asked for, a part it kept)
        Partner => "partner",
        /// 公司内部
        Internal => "internal",
    }
);

crate::service::named_enum!(
    /// What a line is for.
    LineKind {
        Labor => "labor",
        Travel => "travel",
        Part => "part",
        Surcharge => "surcharge",
        Freight => "freight",
    }
);

crate::service::named_enum!(
    /// The service type of a job, from its lines (R-FEE-1).
    ServiceType {
        /// 免费 (保修): nothing for the customer, the warranty pays.
        Free => "free",
        /// 合同: a contract pays, the customer nothing.
        Contract => "contract",
        /// 有偿: the customer pays something.
        Paid => "paid",
        /// 内部
        Internal => "internal",
    }
);

/// How the site is reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Travel {
    /// No visit (remote help, a depot repair).
    None,
    Region(RegionClass),
    Distance {
        km: u32,
    },
}

/// One part issued (or planned, on a quote).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartFact {
    pub part_no: String,
    pub name_zh: String,
    pub name_en: String,
    pub qty: Qty,
    pub cost_fen: i64,
    pub list_fen: i64,
}

/// Freight of an urgent requisition, charged to whoever asked (R-PRT-2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Freight {
    pub fen: i64,
    /// The requesting unit is a partner (else one of ours: internal).
    pub by_partner: bool,
}

/// The facts of one job, as it stands or as quoted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobFacts {
    /// Internal work: the company pays every line.
    pub internal: bool,
    /// The product line, for the labor rate.
    pub skill: String,
    /// Time worked (or estimated), in minutes; 0 = no labor line.
    pub labor_minutes: u32,
    pub travel: Travel,
    pub parts: Vec<PartFact>,
    pub urgent: bool,
    pub night: bool,
    /// The statutory holiday the work falls on (its festival's name), if any.
    pub holiday: Option<String>,
    pub urgent_freight: Option<Freight>,
    /// The partner doing the work (its org code), for its overrides.
    pub partner: Option<String>,
}

/// One line of a priced job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Line {
    pub kind: LineKind,
    /// The part number, the skill, the region class or the surcharge's name.
    pub code: String,
    pub description_zh: String,
    pub description_en: String,
    /// Units of measure; hours for labor (to three decimals).
    pub qty: Qty,
    pub unit_fen: i64,
    pub amount_fen: i64,
    pub basis: ChargeBasis,
    pub payer: Payer,
    pub reason: Reason,
}

/// What one payer owes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PayerTotal {
    pub payer: Payer,
    pub amount_fen: i64,
}

/// The totals of a priced job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Every payer with a line, in the order of [`Payer::ALL`].
    pub by_payer: Vec<PayerTotal>,
    /// The customer's lines, net of VAT.
    pub customer_net_fen: i64,
    pub vat_rate: Rate,
    pub customer_vat_fen: i64,
    /// What the customer is asked to pay.
    pub customer_gross_fen: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Priced {
    pub lines: Vec<Line>,
    pub totals: Totals,
    pub service_type: ServiceType,
}

impl Priced {
    /// Anything for the customer to pay: the job needs a confirmed quote (R-FEE-3).
    pub fn chargeable(&self) -> bool {
        self.totals.customer_gross_fen > 0
    }
}

/// Why pricing could not be done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PriceError {
    /// The schedule has no labor rate for this skill and no default.
    NoLaborRate,
}

/// The festival whose statutory holiday falls on `date` (for [`JobFacts::holiday`]): its
/// name for a day off (放假), `None` for an ordinary day and for a make-up workday (调休上班),
/// which is worked and charged as any other.
pub fn holiday_on(days: &SpecialDays, date: Date) -> Option<String> {
    days.get(date)
        .filter(|d| d.kind == DayKind::Holiday)
        .map(|d| d.name.clone())
}

/// Billed minutes: rounded up to the step, at least the minimum; 0 stays 0.
pub fn billed_minutes(schedule: &FeeSchedule, minutes: u32) -> u32 {
    if minutes == 0 {
        return 0;
    }
    let step = schedule.labor.step_minutes.max(1);
    let stepped = minutes.div_ceil(step).saturating_mul(step);
    stepped.max(schedule.labor.minimum_minutes)
}

/// The travel fee for the way the site is reached, before who pays.
pub fn travel_fee(
    schedule: &FeeSchedule,
    travel: Travel,
    partner: Option<&str>,
) -> Option<(String, i64)> {
    if travel == Travel::None {
        return None;
    }
    if let Some(flat) = schedule.partner(partner).and_then(|p| p.travel_fen) {
        return Some(("partner".into(), flat));
    }
    let t = &schedule.travel;
    match travel {
        Travel::None => None,
        Travel::Region(class) => Some((class.as_str().into(), t.by_class(class))),
        Travel::Distance { km } => match t.bands.iter().find(|b| km <= b.up_to_km) {
            Some(b) => Some((format!("{km}km"), b.fee_fen)),
            None => match t.bands.last() {
                Some(last) => {
                    let beyond = i64::from(km - last.up_to_km);
                    Some((
                        format!("{km}km"),
                        last.fee_fen
                            .saturating_add(beyond.saturating_mul(t.per_km_beyond_fen)),
                    ))
                }
                // Without bands a distance is read as the same city.
                None => Some((format!("{km}km"), t.same_city_fen)),
            },
        },
    }
}

/// Prices a job. See the module doc for the rules.
pub fn price(
    schedule: &FeeSchedule,
    decision: &WarrantyDecision,
    facts: &JobFacts,
) -> Result<Priced, PriceError> {
    let ctx = Context { decision, facts };
    let mut lines = Vec::new();
    let partner = facts.partner.as_deref();

    if facts.labor_minutes > 0 {
        let rate = schedule
            .labor_rate(&facts.skill, partner)
            .ok_or(PriceError::NoLaborRate)?;
        let minutes = billed_minutes(schedule, facts.labor_minutes);
        let basis = decision.coverage.labor;
        let unit = match basis {
            ChargeBasis::ListPrice => rate.rate_fen_per_hour,
            ChargeBasis::CostPrice | ChargeBasis::Free => rate.internal_cost_fen_per_hour,
        };
        let amount = prorate(unit, i64::from(minutes), 60);
        let (payer, reason) = ctx.who_pays(Item::Labor, basis);
        lines.push(Line {
            kind: LineKind::Labor,
            code: if facts.skill.is_empty() {
                "labor".into()
            } else {
                facts.skill.clone()
            },
            description_zh: format!(
                "人工费（{minutes} 分钟，按每 {} 分钟计）",
                schedule.labor.step_minutes
            ),
            description_en: format!(
                "Labor ({minutes} min, per started {} min)",
                schedule.labor.step_minutes
            ),
            qty: Qty(prorate(Qty::SCALE, i64::from(minutes), 60)),
            unit_fen: unit,
            amount_fen: amount,
            basis,
            payer,
            reason: reason.clone(),
        });
        let s = &schedule.surcharges;
        let holiday_words = facts.holiday.as_deref().unwrap_or_default();
        for (on, name, rate, zh, en) in [
            (
                facts.urgent,
                "urgent",
                s.urgent,
                "加急服务费".to_owned(),
                "Urgent service".to_owned(),
            ),
            (
                facts.night,
                "night",
                s.night,
                "夜间服务费".to_owned(),
                "Night work".to_owned(),
            ),
            (
                facts.holiday.is_some(),
                "holiday",
                s.holiday,
                format!("节假日服务费（{holiday_words}）"),
                format!("Holiday work ({holiday_words})"),
            ),
        ] {
            if !on || rate == Rate::ZERO {
                continue;
            }
            lines.push(Line {
                kind: LineKind::Surcharge,
                code: name.into(),
                description_zh: format!("{zh}，人工费的 {}", rate.percent()),
                description_en: format!("{en}, {} of labor", rate.percent()),
                qty: Qty::units(1),
                unit_fen: apply_rate(amount, rate),
                amount_fen: apply_rate(amount, rate),
                basis,
                payer,
                reason: reason.clone(),
            });
        }
    }

    if let Some((code, fee)) = travel_fee(schedule, facts.travel, partner) {
        let basis = decision.coverage.travel;
        let (payer, reason) = ctx.who_pays(Item::Travel, basis);
        lines.push(Line {
            kind: LineKind::Travel,
            code,
            description_zh: "上门费".into(),
            description_en: "Travel".into(),
            qty: Qty::units(1),
            unit_fen: fee,
            amount_fen: fee,
            basis,
            payer,
            reason,
        });
    }

    for p in &facts.parts {
        let basis = decision.coverage.parts;
        let unit = match basis {
            ChargeBasis::ListPrice => p.list_fen,
            ChargeBasis::CostPrice | ChargeBasis::Free => p.cost_fen,
        };
        let (payer, reason) = ctx.who_pays(Item::Parts, basis);
        lines.push(Line {
            kind: LineKind::Part,
            code: p.part_no.clone(),
            description_zh: p.name_zh.clone(),
            description_en: p.name_en.clone(),
            qty: p.qty,
            unit_fen: unit,
            amount_fen: value_of(p.qty, unit),
            basis,
            payer,
            reason,
        });
    }

    if let Some(f) = facts.urgent_freight {
        let payer = if f.by_partner {
            Payer::Partner
        } else {
            Payer::Internal
        };
        lines.push(Line {
            kind: LineKind::Freight,
            code: "urgent_freight".into(),
            description_zh: "加急运费".into(),
            description_en: "Urgent freight".into(),
            qty: Qty::units(1),
            unit_fen: f.fen,
            amount_fen: f.fen,
            basis: ChargeBasis::ListPrice,
            payer,
            reason: Reason::new(
                "urgent_freight",
                "紧急备件的运费由申请单位承担",
                "Freight of an urgent requisition is paid by the unit that asked for it",
            ),
        });
    }

    let totals = totals(&lines, schedule.vat);
    let service_type = service_type(facts.internal, &totals);
    Ok(Priced {
        lines,
        totals,
        service_type,
    })
}

/// Sums lines by payer, and the customer's VAT per document.
pub fn totals(lines: &[Line], vat: Rate) -> Totals {
    let by_payer: Vec<PayerTotal> = Payer::ALL
        .iter()
        .filter(|p| lines.iter().any(|l| l.payer == **p))
        .map(|&payer| PayerTotal {
            payer,
            amount_fen: lines
                .iter()
                .filter(|l| l.payer == payer)
                .map(|l| l.amount_fen)
                .fold(0i64, i64::saturating_add),
        })
        .collect();
    let customer_net_fen = by_payer
        .iter()
        .find(|t| t.payer == Payer::Customer)
        .map_or(0, |t| t.amount_fen);
    let customer_vat_fen = apply_rate(customer_net_fen, vat);
    Totals {
        by_payer,
        customer_net_fen,
        vat_rate: vat,
        customer_vat_fen,
        customer_gross_fen: customer_net_fen.saturating_add(customer_vat_fen),
    }
}

/// Free, contract, paid or internal, from who pays (R-FEE-1).
pub fn service_type(internal: bool, totals: &Totals) -> ServiceType {
    let has = |p: Payer| {
        totals
            .by_payer
            .iter()
            .any(|t| t.payer == p && t.amount_fen > 0)
    };
    if internal {
        ServiceType::Internal
    } else if totals.customer_net_fen > 0 {
        ServiceType::Paid
    } else if has(Payer::Contract) {
        ServiceType::Contract
    } else {
        ServiceType::Free
    }
}

#[derive(Clone, Copy)]
enum Item {
    Parts,
    Labor,
    Travel,
}

impl Item {
    fn words(self) -> (&'static str, &'static str) {
        match self {
            Item::Parts => ("配件", "parts"),
            Item::Labor => ("人工费", "labor"),
            Item::Travel => ("上门费", "travel"),
        }
    }
}

struct Context<'a> {
    decision: &'a WarrantyDecision,
    facts: &'a JobFacts,
}

impl Context<'_> {
    fn who_pays(&self, item: Item, basis: ChargeBasis) -> (Payer, Reason) {
        let (zh, en) = item.words();
        let d = self.decision;
        if self.facts.internal {
            return (
                Payer::Internal,
                Reason::new(
                    "internal",
                    format!("内部工作，{zh}由公司承担"),
                    format!("Internal work: {en} paid by the company"),
                ),
            );
        }
        match basis {
            ChargeBasis::Free if d.covered_by_contract => (
                Payer::Contract,
                Reason::new(
                    "contract",
                    format!("服务合同承担{zh}"),
                    format!("The service contract covers {en}"),
                ),
            ),
            ChargeBasis::Free if d.in_warranty => (
                Payer::Warranty,
                Reason::new(
                    "in_warranty",
                    format!("保修期内，{zh}免费"),
                    format!("In warranty: {en} free"),
                ),
            ),
            ChargeBasis::Free => (
                Payer::Warranty,
                Reason::new(
                    "after_term",
                    format!("保修期外，按终身服务条款{zh}免费"),
                    format!("Out of warranty, the lifetime-service terms make {en} free"),
                ),
            ),
            charged => {
                let (bzh, ben) = (charged.zh(), charged.en());
                let reason = if d.has_reason("third_party") {
                    Reason::new(
                        "third_party",
                        format!("非本公司产品（C 类），{zh}{bzh}"),
                        format!("Not our product (class C): {en} {ben}"),
                    )
                } else if d.has_reason("no_serial") && !d.covered_by_contract {
                    Reason::new(
                        "no_serial",
                        format!("无机身编码，不享受保修，{zh}{bzh}"),
                        format!("No serial number, no warranty: {en} {ben}"),
                    )
                } else if d.has_reason("exclusion") {
                    Reason::new(
                        "exclusion",
                        format!("故障原因不属于保修范围，{zh}{bzh}"),
                        format!("The cause is excluded from the warranty: {en} {ben}"),
                    )
                } else if d.covered_by_contract {
                    Reason::new(
                        "contract_terms",
                        format!("按服务合同约定，{zh}{bzh}"),
                        format!("By the service contract: {en} {ben}"),
                    )
                } else if d.in_warranty {
                    Reason::new(
                        "policy_terms",
                        format!("按保修政策，保修期内{zh}{bzh}"),
                        format!("By the warranty policy, in warranty: {en} {ben}"),
                    )
                } else {
                    Reason::new(
                        "out_of_warranty",
                        format!("保修期外，{zh}{bzh}"),
                        format!("Out of warranty: {en} {ben}"),
                    )
                };
                (Payer::Customer, reason)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::SpecialDay;

    fn d(s: &str) -> Date {
        s.parse().expect("date")
    }

    #[test]
    fn only_a_day_off_is_a_holiday() {
        let day = |date: &str, kind, name: &str| SpecialDay {
            date: d(date),
            kind,
            name: name.into(),
        };
        let days = SpecialDays::new([
            day("2026-10-02", DayKind::Holiday, "国庆节"),
            day("2026-10-10", DayKind::Workday, "国庆节"),
        ])
        .expect("days");
        assert_eq!(
            holiday_on(&days, d("2026-10-02")).as_deref(),
            Some("国庆节")
        );
        assert_eq!(holiday_on(&days, d("2026-10-10")), None);
        assert_eq!(holiday_on(&days, d("2026-10-11")), None);
        assert_eq!(holiday_on(&SpecialDays::default(), d("2026-10-02")), None);
    }
}
