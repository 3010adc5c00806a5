//! The warranty resolver (R-WAR-1..4): given what we know about a unit, the policy version
//! of its model, an optional service contract, the service date and the cause of the
//! failure, it decides the job's class (A/B/C), whether the unit is in warranty, and how
//! parts, labor (人工费) and travel (上门费) are charged, with every reason spelled out in
//! zh-CN and English so the agent can read it to the customer.
//!
//! The sources (reference documents behind DOMAIN.md §3) say: warranty follows the serial
//! (保修期限以产品机身编码为准, 无机身编码的一律不提供售后服务); the period starts from the sale
//! date, the installation/acceptance date, or the day after acceptance is signed
//! (验收签字次日); A = 保修期内免除原材料及维修费用, B = 超过保修期收取人工及零配件费用,
//! C = 非我司生产、代为检修, 费用均由客户负责; misuse, improper maintenance or storage and
//! force majeure are excluded even in warranty and charged at cost (收取相应成本费用); after
//! the period, "lifetime service" terms such as 第四年起收取材料成本费、免人工 or
//! 收取零部件成本费和远程上门费、免收人工费 apply.
//!
//! Decisions taken where the sources are silent (each has a test):
//! - **Dates.** The warranty ends on `start + months − 1 day`, month arithmetic clamping to
//!   the month's end (start 2025-01-31, 1 month → last day 2025-02-27). A policy of 0 months
//!   has no warranty period at all, only its after-terms.
//! - **Missing start date.** The policy's basis date is preferred; without it we step back
//!   through the unit's life: installation → sale → ship → manufacture date (for the
//!   day-after-acceptance basis: acceptance + 1 day → installation → sale → ship →
//!   manufacture; for the sale-date basis: sale → ship → manufacture), and say so
//!   (`start_fallback`). The manufacture date is the last resort
//!   because the sources make the serial the authority (以产品机身编码为准) and it is never
//!   later than any other date, so the fallback can only shorten the warranty, never stretch
//!   it. With no date at all the unit is out of warranty (`no_start_date`).
//! - **Service before the start** (e.g. a defect found before installation) is in warranty:
//!   a defect before the clock started is the maker's (`before_start`).
//! - **Months since the start** are whole months: the largest `m` with `start + m months ≤
//!   on`, so the first day out of a 36-month warranty is month 36, the start of year 4. When
//!   several after-terms cover that month, the one starting latest wins (the most specific
//!   stage), whatever their order in the list.
//! - **Exclusions** (R-WAR-4) cost at least `exclusion_charge` and never less than a normal
//!   failure would cost on that day: each item is the dearer of the two. So in warranty they
//!   cost "at cost", and out of warranty they never become cheaper than the after-term. An
//!   exclusion is never free: a policy saying `free` is read as cost price
//!   (`exclusion_charge_raised`); only a contract that says so makes it free.
//! - **Contracts.** An active contract (`start ≤ on ≤ end`, both inclusive) replaces each item
//!   it names, for any cause (it is the contract's own words), sets `covered_by_contract`,
//!   and makes a normal failure `in_warranty` and class A even without a serial. A contract
//!   also sets the charges of a third-party product (integrators do maintain others'
//!   equipment under contract), but such a job stays class C and never `in_warranty`.
//!   Inactive contracts are mentioned (`contract_expired`, `contract_not_started`).
//! - **Class** is C iff the product is not ours; otherwise A iff in warranty (period or
//!   active contract) with a normal failure; otherwise B.
//! - **Policy versions.** A change applies to units sold from its date, never rewrites the
//!   past: the version with the latest `effective_from` not after the unit's sale date (else
//!   ship, else manufacture date). A unit dated before every version gets the earliest one
//!   (the first version recorded stands for the policy that was in force before records
//!   began); an undated unit gets the earliest too. Equal dates: the later in the list wins.
//!
//! Over 1,200 lines, most of them table tests over the source documents' cases; the resolver
//! is one decision and reads best beside its tests.

use jiff::Span;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::fmt;

/// How one item of a job (parts, labor or travel) is charged.
///
/// The order is from cheapest to dearest, so `max` picks the dearer of two charges.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChargeBasis {
    /// 免费
    Free,
    /// 按成本价收取
    CostPrice,
    /// 按收费标准收取
    ListPrice,
}

impl ChargeBasis {
    pub const ALL: [ChargeBasis; 3] = [
        ChargeBasis::Free,
        ChargeBasis::CostPrice,
        ChargeBasis::ListPrice,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChargeBasis::Free => "free",
            ChargeBasis::CostPrice => "cost_price",
            ChargeBasis::ListPrice => "list_price",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The service center's words, as they follow an item: 配件免费, 人工费按成本价收取.
    pub fn zh(self) -> &'static str {
        match self {
            ChargeBasis::Free => "免费",
            ChargeBasis::CostPrice => "按成本价收取",
            ChargeBasis::ListPrice => "按收费标准收取",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            ChargeBasis::Free => "free",
            ChargeBasis::CostPrice => "at cost price",
            ChargeBasis::ListPrice => "at list price",
        }
    }
}

impl fmt::Display for ChargeBasis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How each item of a job is charged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Coverage {
    pub parts: ChargeBasis,
    pub labor: ChargeBasis,
    pub travel: ChargeBasis,
}

impl Coverage {
    /// Everything free: the usual in-warranty coverage (包修包换).
    pub const FREE: Coverage = Coverage::all(ChargeBasis::Free);
    /// Everything at list price: out of warranty with no after-term, or a third-party product.
    pub const LIST_PRICE: Coverage = Coverage::all(ChargeBasis::ListPrice);

    pub const fn all(basis: ChargeBasis) -> Coverage {
        Coverage {
            parts: basis,
            labor: basis,
            travel: basis,
        }
    }

    /// Item by item, the dearer of the two.
    pub fn dearer(self, other: Coverage) -> Coverage {
        Coverage {
            parts: self.parts.max(other.parts),
            labor: self.labor.max(other.labor),
            travel: self.travel.max(other.travel),
        }
    }

    /// "配件免费，人工费免费，上门费按收费标准收取"
    pub fn zh(self) -> String {
        format!(
            "配件{}，人工费{}，上门费{}",
            self.parts.zh(),
            self.labor.zh(),
            self.travel.zh()
        )
    }

    /// "parts free, labor free, travel at list price"
    pub fn en(self) -> String {
        format!(
            "parts {}, labor {}, travel {}",
            self.parts.en(),
            self.labor.en(),
            self.travel.en()
        )
    }
}

/// Which date starts the warranty period (R-WAR-2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StartBasis {
    /// 销售日期
    SaleDate,
    /// 安装日期
    InstallationDate,
    /// 验收签字次日
    DayAfterAcceptance,
}

impl StartBasis {
    pub const ALL: [StartBasis; 3] = [
        StartBasis::SaleDate,
        StartBasis::InstallationDate,
        StartBasis::DayAfterAcceptance,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StartBasis::SaleDate => "sale_date",
            StartBasis::InstallationDate => "installation_date",
            StartBasis::DayAfterAcceptance => "day_after_acceptance",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.as_str() == s)
    }

    pub fn zh(self) -> &'static str {
        match self {
            StartBasis::SaleDate => "销售日期",
            StartBasis::InstallationDate => "安装日期",
            StartBasis::DayAfterAcceptance => "验收签字次日",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            StartBasis::SaleDate => "the sale date",
            StartBasis::InstallationDate => "the installation date",
            StartBasis::DayAfterAcceptance => "the day after acceptance is signed",
        }
    }
}

impl fmt::Display for StartBasis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stage after the warranty period: from `from_month` (months since warranty start, e.g.
/// 36 = start of year 4) on, until `until_month` (exclusive, None = for the unit's life).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AfterTerm {
    pub from_month: u32,
    pub until_month: Option<u32>,
    pub coverage: Coverage,
}

impl AfterTerm {
    fn covers(&self, month: u32) -> bool {
        self.from_month <= month && self.until_month.is_none_or(|until| month < until)
    }

    /// "第 4 年起" / "from year 4"; "第 25 至第 36 个月" / "months 25–36".
    fn stage_words(&self) -> (String, String) {
        let from = self.from_month;
        match self.until_month {
            None if from.is_multiple_of(12) => (
                format!("第 {} 年起", from / 12 + 1),
                format!("from year {}", from / 12 + 1),
            ),
            None => (
                format!("第 {} 个月起", from + 1),
                format!("from month {}", from + 1),
            ),
            Some(until) if from.is_multiple_of(12) && until.is_multiple_of(12) => (
                format!("第 {} 至第 {} 年", from / 12 + 1, until / 12),
                format!("years {}–{}", from / 12 + 1, until / 12),
            ),
            Some(until) => (
                format!("第 {} 至第 {} 个月", from + 1, until),
                format!("months {}–{}", from + 1, until),
            ),
        }
    }
}

/// One version of a warranty policy, effective for units sold from `effective_from`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PolicyVersion {
    pub effective_from: Date,
    /// Length of the warranty period; 0 = no period, only the after-terms.
    pub months: u32,
    pub start_basis: StartBasis,
    /// Charges for a normal failure within the period.
    pub in_warranty: Coverage,
    /// Stages after the period ("lifetime service"); months not covered are at list price.
    pub after: Vec<AfterTerm>,
    /// The least an exclusion (R-WAR-4) costs; `free` is read as cost price.
    pub exclusion_charge: ChargeBasis,
}

/// The version that applies to a unit: the latest `effective_from` on or before the unit's
/// sale date (else ship date, else manufacture date). A change applies to units sold from
/// that date and never rewrites the past. A unit dated before every version, or not dated
/// at all, gets the earliest version. `None` only when there is no version.
pub fn select_version<'a>(
    versions: &'a [PolicyVersion],
    unit: &UnitFacts,
) -> Option<&'a PolicyVersion> {
    let earliest = versions.iter().reduce(|best, v| {
        // `<=` so that with equal dates the later one in the list (a correction) wins.
        if v.effective_from <= best.effective_from {
            v
        } else {
            best
        }
    });
    let Some(reference) = unit.sale_date.or(unit.ship_date).or(unit.manufacture_date) else {
        return earliest;
    };
    versions
        .iter()
        .filter(|v| v.effective_from <= reference)
        .reduce(|best, v| {
            if v.effective_from >= best.effective_from {
                v
            } else {
                best
            }
        })
        .or(earliest)
}

/// What is known about one unit (one serial number).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UnitFacts {
    /// Warranty follows the serial (机身编码); without one there is no warranty service.
    pub has_serial: bool,
    /// false = a third-party product (class C).
    pub made_by_us: bool,
    pub oem: bool,
    pub manufacture_date: Option<Date>,
    pub ship_date: Option<Date>,
    pub sale_date: Option<Date>,
    pub installation_date: Option<Date>,
    /// The day the acceptance certificate was signed (验收签字).
    pub acceptance_date: Option<Date>,
}

/// A service contract (服务合同) on the unit. Each `None` keeps what the warranty says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ContractCover {
    pub start: Date,
    /// Last day covered, inclusive.
    pub end: Date,
    pub parts: Option<ChargeBasis>,
    pub labor: Option<ChargeBasis>,
    pub travel: Option<ChargeBasis>,
}

impl ContractCover {
    /// Both ends inclusive: a contract starting today covers today's job.
    pub fn is_active(&self, on: Date) -> bool {
        self.start <= on && on <= self.end
    }

    fn apply(&self, base: Coverage) -> Coverage {
        Coverage {
            parts: self.parts.unwrap_or(base.parts),
            labor: self.labor.unwrap_or(base.labor),
            travel: self.travel.unwrap_or(base.travel),
        }
    }

    fn terms_words(&self) -> (String, String) {
        let items = [
            ("配件", "parts", self.parts),
            ("人工费", "labor", self.labor),
            ("上门费", "travel", self.travel),
        ];
        let named: Vec<_> = items
            .iter()
            .filter_map(|(zh, en, c)| c.map(|c| (*zh, *en, c)))
            .collect();
        if named.is_empty() {
            return (
                "合同未另行约定收费，按保修条款".to_owned(),
                "the contract sets no charges, the warranty terms apply".to_owned(),
            );
        }
        let zh: Vec<String> = named
            .iter()
            .map(|(zh, _, c)| format!("{zh}{}", c.zh()))
            .collect();
        let en: Vec<String> = named
            .iter()
            .map(|(_, en, c)| format!("{en} {}", c.en()))
            .collect();
        (zh.join("，"), en.join(", "))
    }
}

/// What caused the failure, as found at intake or depot inspection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    NormalFailure,
    /// 使用不当
    Misuse,
    /// 维护或保管不当 (improper maintenance or storage)
    ImproperMaintenance,
    /// 不可抗力
    ForceMajeure,
    /// 擅自改动设计
    UnauthorizedModification,
    /// 非本公司人员造成的损坏
    DamageByOthers,
}

impl Cause {
    pub const ALL: [Cause; 6] = [
        Cause::NormalFailure,
        Cause::Misuse,
        Cause::ImproperMaintenance,
        Cause::ForceMajeure,
        Cause::UnauthorizedModification,
        Cause::DamageByOthers,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Cause::NormalFailure => "normal_failure",
            Cause::Misuse => "misuse",
            Cause::ImproperMaintenance => "improper_maintenance",
            Cause::ForceMajeure => "force_majeure",
            Cause::UnauthorizedModification => "unauthorized_modification",
            Cause::DamageByOthers => "damage_by_others",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// One of the R-WAR-4 exclusions, charged even in warranty.
    pub fn is_exclusion(self) -> bool {
        self != Cause::NormalFailure
    }

    pub fn zh(self) -> &'static str {
        match self {
            Cause::NormalFailure => "正常故障",
            Cause::Misuse => "使用不当",
            Cause::ImproperMaintenance => "维护或保管不当",
            Cause::ForceMajeure => "不可抗力",
            Cause::UnauthorizedModification => "擅自改动设计",
            Cause::DamageByOthers => "非本公司人员造成的损坏",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Cause::NormalFailure => "A normal failure",
            Cause::Misuse => "Misuse",
            Cause::ImproperMaintenance => "Improper maintenance or storage",
            Cause::ForceMajeure => "Force majeure",
            Cause::UnauthorizedModification => "Unauthorized modification of the design",
            Cause::DamageByOthers => "Damage by non-company staff",
        }
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The job's class at intake and depot inspection (R-WAR-3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum WarrantyClass {
    /// In warranty with a normal failure: parts and labor free.
    A,
    /// Out of warranty, or an exclusion: charged.
    B,
    /// Not our product, repaired on the customer's behalf: all costs charged.
    C,
}

impl WarrantyClass {
    pub const ALL: [WarrantyClass; 3] = [WarrantyClass::A, WarrantyClass::B, WarrantyClass::C];

    pub fn as_str(self) -> &'static str {
        match self {
            WarrantyClass::A => "A",
            WarrantyClass::B => "B",
            WarrantyClass::C => "C",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl fmt::Display for WarrantyClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a decision came out the way it did: a stable code for programs and tests, and a
/// full sentence in each language, naming the dates, for people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reason {
    pub code: &'static str,
    pub zh: String,
    pub en: String,
}

impl Reason {
    pub fn new(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Reason {
        Reason {
            code,
            zh: zh.into(),
            en: en.into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WarrantyDecision {
    pub class: WarrantyClass,
    /// In warranty by the period, or by an active contract for a normal failure.
    pub in_warranty: bool,
    pub start: Option<Date>,
    /// Last day in warranty, inclusive.
    pub end: Option<Date>,
    /// How each of parts, labor and travel is charged for this job.
    pub coverage: Coverage,
    pub covered_by_contract: bool,
    pub reasons: Vec<Reason>,
}

impl WarrantyDecision {
    /// Whether a reason with this code is among the reasons.
    pub fn has_reason(&self, code: &str) -> bool {
        self.reasons.iter().any(|r| r.code == code)
    }
}

/// Which date the warranty was counted from, when it is not the policy's own basis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StartSource {
    Basis(StartBasis),
    Installation,
    Sale,
    Ship,
    Manufacture,
}

impl StartSource {
    fn zh(self) -> &'static str {
        match self {
            StartSource::Basis(b) => b.zh(),
            StartSource::Installation => "安装日期",
            StartSource::Sale => "销售日期",
            StartSource::Ship => "发货日期",
            StartSource::Manufacture => "出厂日期（机身编码）",
        }
    }

    fn en(self) -> &'static str {
        match self {
            StartSource::Basis(b) => b.en(),
            StartSource::Installation => "the installation date",
            StartSource::Sale => "the sale date",
            StartSource::Ship => "the ship date",
            StartSource::Manufacture => "the manufacture date (from the serial)",
        }
    }
}

/// The warranty start for a basis, falling back through the later-documented dates.
fn warranty_start(unit: &UnitFacts, basis: StartBasis) -> Option<(Date, StartSource)> {
    let own = match basis {
        StartBasis::SaleDate => unit.sale_date,
        StartBasis::InstallationDate => unit.installation_date,
        // 验收签字次日: the day after; an acceptance on 9999-12-31 simply starts that day.
        StartBasis::DayAfterAcceptance => unit
            .acceptance_date
            .map(|d| d.tomorrow().unwrap_or(Date::MAX)),
    };
    if let Some(d) = own {
        return Some((d, StartSource::Basis(basis)));
    }
    let chain: &[(Option<Date>, StartSource)] = match basis {
        StartBasis::SaleDate => &[
            (unit.ship_date, StartSource::Ship),
            (unit.manufacture_date, StartSource::Manufacture),
        ],
        StartBasis::InstallationDate | StartBasis::DayAfterAcceptance => &[
            (unit.installation_date, StartSource::Installation),
            (unit.sale_date, StartSource::Sale),
            (unit.ship_date, StartSource::Ship),
            (unit.manufacture_date, StartSource::Manufacture),
        ],
    };
    chain.iter().find_map(|(d, source)| d.map(|d| (d, *source)))
}

/// `date + months`, clamping to the month's end and saturating at the calendar's ends.
pub(crate) fn add_months(date: Date, months: i64) -> Date {
    match Span::new().try_months(months) {
        Ok(span) => date.saturating_add(span),
        Err(_) if months > 0 => Date::MAX,
        Err(_) => Date::MIN,
    }
}

/// The last day in warranty: `start + months − 1 day`. `None` for a 0-month policy.
pub fn warranty_end(start: Date, months: u32) -> Option<Date> {
    if months == 0 {
        return None;
    }
    let first_day_out = add_months(start, i64::from(months));
    if first_day_out == Date::MAX {
        // Saturated: the warranty outlasts the calendar.
        return Some(Date::MAX);
    }
    Some(first_day_out.yesterday().unwrap_or(Date::MIN))
}

/// Whole months from `start` to `on`: the largest `m` with `start + m months ≤ on` (0 when
/// `on` is before `start`). The first day out of an n-month warranty is month n.
pub fn months_since(start: Date, on: Date) -> u32 {
    if on <= start {
        return 0;
    }
    let guess = (i64::from(on.year()) - i64::from(start.year())) * 12
        + (i64::from(on.month()) - i64::from(start.month()));
    let whole = if add_months(start, guess) > on {
        guess - 1
    } else {
        guess
    };
    u32::try_from(whole.max(0)).unwrap_or(u32::MAX)
}

/// What the warranty alone (without a contract) gives on the service date.
struct ByWarranty {
    in_period: bool,
    start: Option<Date>,
    end: Option<Date>,
    /// What a normal failure costs on that day.
    normal: Coverage,
    /// The least each item of an exclusion costs.
    exclusion_floor: ChargeBasis,
}

impl ByWarranty {
    /// No warranty at all: everything at list price.
    const NONE: ByWarranty = ByWarranty {
        in_period: false,
        start: None,
        end: None,
        normal: Coverage::LIST_PRICE,
        exclusion_floor: ChargeBasis::CostPrice,
    };
}

/// Decides class, warranty status and charges for one job (R-WAR-2..4). See the module doc
/// for the decisions taken where the sources are silent.
pub fn resolve(
    unit: &UnitFacts,
    policy: Option<&PolicyVersion>,
    contract: Option<&ContractCover>,
    on: Date,
    cause: Cause,
) -> WarrantyDecision {
    let mut reasons = Vec::new();
    let active_contract = contract.filter(|c| c.is_active(on));

    let warranty = if !unit.made_by_us {
        reasons.push(Reason::new(
            "third_party",
            "非本公司生产的产品（C 类），代为检修，所产生的费用均由客户承担",
            "Not a product of ours (class C): repaired on the customer's behalf, all costs \
             charged to the customer",
        ));
        ByWarranty::NONE
    } else if !unit.has_serial {
        let (zh, en) = if active_contract.is_some() {
            (
                "无机身编码，不提供保修服务；服务合同仍按合同约定收费",
                "No serial number: no warranty service; the service contract still sets the \
                 charges",
            )
        } else {
            (
                "无机身编码，不提供保修服务，按收费标准收费",
                "No serial number: no warranty service, everything at list price",
            )
        };
        reasons.push(Reason::new("no_serial", zh, en));
        ByWarranty::NONE
    } else if let Some(policy) = policy {
        by_policy(unit, policy, on, &mut reasons)
    } else {
        reasons.push(Reason::new(
            "no_policy",
            "该型号未设保修政策，按保修期外处理，按收费标准收费",
            "No warranty policy for this model: out of warranty, everything at list price",
        ));
        ByWarranty::NONE
    };

    let mut coverage = warranty.normal;
    if unit.made_by_us && cause.is_exclusion() {
        coverage = warranty
            .normal
            .dearer(Coverage::all(warranty.exclusion_floor));
        let (zh_when, en_when) = if warranty.in_period {
            ("虽在保修期内，", ", even though the unit is in warranty")
        } else {
            ("", "")
        };
        reasons.push(Reason::new(
            "exclusion",
            format!("{}不属于保修范围，{zh_when}{}", cause.zh(), coverage.zh()),
            format!(
                "{} is excluded from the warranty{en_when}: {}",
                cause.en(),
                coverage.en()
            ),
        ));
        if unit.has_serial && policy.is_some_and(|p| p.exclusion_charge == ChargeBasis::Free) {
            reasons.push(Reason::new(
                "exclusion_charge_raised",
                "保修政策将除外情形设为免费；除外情形至少按成本价收取，除非服务合同另有约定",
                "The policy sets exclusions as free; an exclusion costs at least the cost price \
                 unless a service contract says otherwise",
            ));
        }
    }

    match (contract, active_contract) {
        (_, Some(c)) => {
            coverage = c.apply(coverage);
            let (terms_zh, terms_en) = c.terms_words();
            reasons.push(Reason::new(
                "contract",
                format!("服务合同有效（{} 至 {}）：{terms_zh}", c.start, c.end),
                format!(
                    "Service contract active ({} to {}): {terms_en}",
                    c.start, c.end
                ),
            ));
        }
        (Some(c), None) if on > c.end => reasons.push(Reason::new(
            "contract_expired",
            format!("服务合同已于 {} 到期，不再适用", c.end),
            format!(
                "The service contract ended on {} and no longer applies",
                c.end
            ),
        )),
        (Some(c), None) => reasons.push(Reason::new(
            "contract_not_started",
            format!("服务合同自 {} 起生效，本次服务时尚未生效", c.start),
            format!(
                "The service contract starts on {}; it does not apply yet",
                c.start
            ),
        )),
        (None, None) => {}
    }

    let covered_by_contract = active_contract.is_some();
    let normal_failure = cause == Cause::NormalFailure;
    // A third-party product is never in warranty, whatever contract it is under.
    let in_warranty =
        unit.made_by_us && (warranty.in_period || (covered_by_contract && normal_failure));
    let class = if !unit.made_by_us {
        WarrantyClass::C
    } else if in_warranty && normal_failure {
        WarrantyClass::A
    } else {
        WarrantyClass::B
    };

    reasons.push(Reason::new(
        "charges",
        format!("{} 类，本次收费：{}", class.as_str(), coverage.zh()),
        format!(
            "Class {}; charges for this job: {}",
            class.as_str(),
            coverage.en()
        ),
    ));

    WarrantyDecision {
        class,
        in_warranty,
        start: warranty.start,
        end: warranty.end,
        coverage,
        covered_by_contract,
        reasons,
    }
}

/// The warranty of one of our serial-numbered units under its policy version.
fn by_policy(
    unit: &UnitFacts,
    policy: &PolicyVersion,
    on: Date,
    reasons: &mut Vec<Reason>,
) -> ByWarranty {
    let exclusion_floor = policy.exclusion_charge.max(ChargeBasis::CostPrice);
    reasons.push(Reason::new(
        "policy_version",
        format!(
            "适用 {} 起生效的保修政策：保修 {} 个月，按{}起算",
            policy.effective_from,
            policy.months,
            policy.start_basis.zh()
        ),
        format!(
            "Warranty policy effective from {}: {} months from {}",
            policy.effective_from,
            policy.months,
            policy.start_basis.en()
        ),
    ));

    let Some((start, source)) = warranty_start(unit, policy.start_basis) else {
        reasons.push(Reason::new(
            "no_start_date",
            "没有销售、安装、验收、发货或出厂日期，无法确定保修起始日，按保修期外处理",
            "No sale, installation, acceptance, ship or manufacture date on record: the \
             warranty start cannot be set, so the unit is treated as out of warranty",
        ));
        return ByWarranty {
            exclusion_floor,
            ..ByWarranty::NONE
        };
    };
    if !matches!(source, StartSource::Basis(_)) {
        let (wanted_zh, wanted_en) = match policy.start_basis {
            StartBasis::SaleDate => ("销售日期", "sale date"),
            StartBasis::InstallationDate => ("安装日期", "installation date"),
            StartBasis::DayAfterAcceptance => ("验收签字日期", "acceptance date"),
        };
        reasons.push(Reason::new(
            "start_fallback",
            format!("缺少{wanted_zh}，改按{} {start} 起算保修", source.zh()),
            format!(
                "No {wanted_en} on record: the warranty starts from {} {start}",
                source.en()
            ),
        ));
    }

    let end = warranty_end(start, policy.months);
    let months = policy.months;
    let span_zh = format!("按{} {start} 起算 {months} 个月", source.zh());
    let span_en = format!("{months} months from {} {start}", source.en());
    let in_period = match end {
        None => {
            reasons.push(Reason::new(
                "out_of_warranty",
                "该保修政策不含保修期（0 个月），按保修期外处理",
                "This policy has no warranty period (0 months): out of warranty",
            ));
            false
        }
        Some(end) if on <= end => {
            reasons.push(Reason::new(
                "in_warranty",
                format!("保修期至 {end}（{span_zh}）"),
                format!("In warranty until {end} ({span_en})"),
            ));
            if on < start {
                reasons.push(Reason::new(
                    "before_start",
                    format!(
                        "服务日期 {on} 早于保修起始日 {start}：起算前出现的故障由厂家负责，\
                         按保修期内处理"
                    ),
                    format!(
                        "The service date {on} is before the warranty start {start}: a defect \
                         before the start is the maker's, so it counts as in warranty"
                    ),
                ));
            }
            true
        }
        Some(end) => {
            reasons.push(Reason::new(
                "out_of_warranty",
                format!("已过保修期：保修期至 {end}（{span_zh}）"),
                format!("Out of warranty: the warranty ended on {end} ({span_en})"),
            ));
            false
        }
    };

    let normal = if in_period {
        policy.in_warranty
    } else {
        after_warranty(policy, start, on, reasons)
    };
    ByWarranty {
        in_period,
        start: Some(start),
        end,
        normal,
        exclusion_floor,
    }
}

/// What a normal failure costs after the period: the after-term covering the month, or
/// list price.
fn after_warranty(
    policy: &PolicyVersion,
    start: Date,
    on: Date,
    reasons: &mut Vec<Reason>,
) -> Coverage {
    let month = months_since(start, on);
    let term = policy
        .after
        .iter()
        .filter(|t| t.covers(month))
        // `>=` so that of equal starts the later one listed wins, as with versions.
        .reduce(|best, t| {
            if t.from_month >= best.from_month {
                t
            } else {
                best
            }
        });
    let Some(term) = term else {
        reasons.push(Reason::new(
            "no_after_term",
            format!(
                "自保修起始日 {start} 起已满 {month} 个月，无适用的保修期后服务条款：\
                 配件、人工费、上门费均按收费标准收取"
            ),
            format!(
                "{month} full months since the warranty start {start} and no after-warranty \
                 term: parts, labor and travel at list price"
            ),
        ));
        return Coverage::LIST_PRICE;
    };
    let (stage_zh, stage_en) = term.stage_words();
    reasons.push(Reason::new(
        "after_term",
        format!(
            "自保修起始日 {start} 起已满 {month} 个月，适用保修期后的服务条款（{stage_zh}）：{}",
            term.coverage.zh()
        ),
        format!(
            "{month} full months since the warranty start {start}: the after-warranty term \
             ({stage_en}) applies: {}",
            term.coverage.en()
        ),
    ));
    term.coverage
}

#[cfg(test)]
mod tests;
