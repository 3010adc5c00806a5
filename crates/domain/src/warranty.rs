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
mod tests {
    use super::*;
    use jiff::ToSpan;
    use serde::de::IntoDeserializer;
    use serde::de::value::Error as DeError;

    use ChargeBasis::{CostPrice, Free, ListPrice};
    use StartBasis::{DayAfterAcceptance, InstallationDate, SaleDate};
    use WarrantyClass::{A, B};

    fn d(s: &str) -> Date {
        s.parse().expect("a valid test date")
    }

    /// One of our units with a serial and no dates yet.
    fn ours() -> UnitFacts {
        UnitFacts {
            has_serial: true,
            made_by_us: true,
            ..UnitFacts::default()
        }
    }

    fn sold_on(s: &str) -> UnitFacts {
        UnitFacts {
            sale_date: Some(d(s)),
            ..ours()
        }
    }

    fn policy(months: u32, start_basis: StartBasis) -> PolicyVersion {
        PolicyVersion {
            effective_from: d("2000-01-01"),
            months,
            start_basis,
            in_warranty: Coverage::FREE,
            after: Vec::new(),
            exclusion_charge: CostPrice,
        }
    }

    fn cov(parts: ChargeBasis, labor: ChargeBasis, travel: ChargeBasis) -> Coverage {
        Coverage {
            parts,
            labor,
            travel,
        }
    }

    fn after(from_month: u32, until_month: Option<u32>, coverage: Coverage) -> AfterTerm {
        AfterTerm {
            from_month,
            until_month,
            coverage,
        }
    }

    /// "Years 1–3 parts and labor free; from year 4 parts at cost price, labor free".
    fn lifetime_policy() -> PolicyVersion {
        PolicyVersion {
            after: vec![after(36, None, cov(CostPrice, Free, Free))],
            ..policy(36, DayAfterAcceptance)
        }
    }

    /// Parts and labor free, travel as the warranty says.
    fn contract(start: &str, end: &str) -> ContractCover {
        ContractCover {
            start: d(start),
            end: d(end),
            parts: Some(Free),
            labor: Some(Free),
            travel: None,
        }
    }

    fn resolve_normal(unit: &UnitFacts, p: &PolicyVersion, on: &str) -> WarrantyDecision {
        resolve(unit, Some(p), None, d(on), Cause::NormalFailure)
    }

    fn codes(decision: &WarrantyDecision) -> Vec<&'static str> {
        decision.reasons.iter().map(|r| r.code).collect()
    }

    fn reason<'a>(decision: &'a WarrantyDecision, code: &str) -> &'a Reason {
        decision
            .reasons
            .iter()
            .find(|r| r.code == code)
            .unwrap_or_else(|| panic!("no {code} among {:?}", codes(decision)))
    }

    // ---- R-WAR-2: start, end, and the days around them --------------------------------

    #[test]
    fn the_last_day_in_and_the_first_day_out_follow_each_start_basis() {
        let sold = sold_on("2025-03-15");
        let installed = UnitFacts {
            installation_date: Some(d("2025-04-01")),
            sale_date: Some(d("2025-03-01")),
            ..ours()
        };
        let accepted = UnitFacts {
            acceptance_date: Some(d("2025-05-10")),
            installation_date: Some(d("2025-05-01")),
            sale_date: Some(d("2025-03-01")),
            ..ours()
        };
        #[rustfmt::skip]
        let table = [
            // basis, months, unit, service date, in warranty, start, last day in
            (SaleDate, 12, sold, "2025-03-15", true, "2025-03-15", "2026-03-14"),
            (SaleDate, 12, sold, "2026-03-14", true, "2025-03-15", "2026-03-14"),
            (SaleDate, 12, sold, "2026-03-15", false, "2025-03-15", "2026-03-14"),
            (SaleDate, 24, installed, "2027-02-28", true, "2025-03-01", "2027-02-28"),
            (SaleDate, 24, installed, "2027-03-01", false, "2025-03-01", "2027-02-28"),
            (InstallationDate, 18, installed, "2026-09-30", true, "2025-04-01", "2026-09-30"),
            (InstallationDate, 18, installed, "2026-10-01", false, "2025-04-01", "2026-09-30"),
            // 验收签字次日: signed on 05-10, the warranty starts on 05-11.
            (DayAfterAcceptance, 36, accepted, "2025-05-11", true, "2025-05-11", "2028-05-10"),
            (DayAfterAcceptance, 36, accepted, "2028-05-10", true, "2025-05-11", "2028-05-10"),
            (DayAfterAcceptance, 36, accepted, "2028-05-11", false, "2025-05-11", "2028-05-10"),
        ];
        for (basis, months, unit, on, in_warranty, start, end) in table {
            let decision = resolve_normal(&unit, &policy(months, basis), on);
            let case = format!("{basis} {months} months on {on}");
            assert_eq!(decision.in_warranty, in_warranty, "{case}");
            assert_eq!(decision.start, Some(d(start)), "{case}");
            assert_eq!(decision.end, Some(d(end)), "{case}");
            let (class, code) = if in_warranty {
                (A, "in_warranty")
            } else {
                (B, "out_of_warranty")
            };
            assert_eq!(decision.class, class, "{case}");
            assert!(decision.has_reason(code), "{case}: {:?}", codes(&decision));
            assert!(!decision.has_reason("start_fallback"), "{case}");
        }
    }

    #[test]
    fn month_arithmetic_clamps_to_the_end_of_the_month() {
        #[rustfmt::skip]
        let table = [
            // start, months, last day in
            ("2025-01-31", 1, "2025-02-27"),
            ("2024-01-31", 1, "2024-02-28"), // leap year: 02-29 is the first day out
            ("2024-02-29", 12, "2025-02-27"),
            ("2023-03-31", 11, "2024-02-28"),
            ("2025-03-31", 1, "2025-04-29"),
            ("2025-01-15", 1, "2025-02-14"),
            ("2025-12-31", 18, "2027-06-29"),
        ];
        for (start, months, end) in table {
            assert_eq!(
                warranty_end(d(start), months),
                Some(d(end)),
                "{start} + {months}"
            );
            let unit = sold_on(start);
            let p = policy(months, SaleDate);
            assert!(
                resolve_normal(&unit, &p, end).in_warranty,
                "{start}: {end} is in"
            );
            let next = d(end).tomorrow().expect("a next day");
            let out = resolve(&unit, Some(&p), None, next, Cause::NormalFailure);
            assert!(!out.in_warranty, "{start}: {next} is out");
            // The first day out is exactly month `months`, so after-terms line up with it.
            assert_eq!(months_since(d(start), next), months, "{start}: {next}");
            assert_eq!(months_since(d(start), d(end)), months - 1, "{start}: {end}");
        }
    }

    #[test]
    fn a_unit_sold_a_year_ago_is_out_of_warranty_the_next_day() {
        let unit = sold_on("2024-06-01");
        let p = policy(12, SaleDate);
        assert!(resolve_normal(&unit, &p, "2025-05-31").in_warranty);

        let decision = resolve_normal(&unit, &p, "2025-06-01");

        assert!(!decision.in_warranty);
        assert_eq!(decision.class, B);
        assert_eq!(decision.coverage, Coverage::LIST_PRICE);
    }

    #[test]
    fn a_missing_basis_date_falls_back_to_the_next_documented_date_and_says_so() {
        let sale = Some(d("2025-03-01"));
        let ship = Some(d("2025-02-20"));
        let made = Some(d("2025-01-10"));
        let installed = Some(d("2025-03-05"));
        let unit = |sale_date, ship_date, manufacture_date, installation_date| UnitFacts {
            sale_date,
            ship_date,
            manufacture_date,
            installation_date,
            ..ours()
        };
        #[rustfmt::skip]
        let table = [
            // basis, unit (sale, ship, made, installed), start used
            (InstallationDate, unit(sale, ship, None, None), "2025-03-01"),
            (InstallationDate, unit(None, ship, made, None), "2025-02-20"),
            // Falling back from acceptance, the installation date is used as is (no +1 day).
            (DayAfterAcceptance, unit(sale, None, None, installed), "2025-03-05"),
            (DayAfterAcceptance, unit(sale, ship, None, None), "2025-03-01"),
            (DayAfterAcceptance, unit(None, ship, None, None), "2025-02-20"),
            (SaleDate, unit(None, ship, None, None), "2025-02-20"),
            // The manufacture date (by the serial) is the last resort.
            (SaleDate, unit(None, None, made, installed), "2025-01-10"),
            (DayAfterAcceptance, unit(None, None, made, None), "2025-01-10"),
        ];
        for (basis, unit, start) in table {
            let decision = resolve_normal(&unit, &policy(12, basis), "2025-06-01");
            assert_eq!(decision.start, Some(d(start)), "{basis} {unit:?}");
            assert!(decision.has_reason("start_fallback"), "{basis} {unit:?}");
            assert!(decision.in_warranty, "{basis} {unit:?}");
        }
    }

    #[test]
    fn the_fallback_reason_names_the_date_used() {
        let decision = resolve_normal(
            &sold_on("2025-03-01"),
            &policy(12, InstallationDate),
            "2025-06-01",
        );

        let fallback = reason(&decision, "start_fallback");
        assert_eq!(
            fallback.zh,
            "缺少安装日期，改按销售日期 2025-03-01 起算保修"
        );
        assert_eq!(
            fallback.en,
            "No installation date on record: the warranty starts from the sale date 2025-03-01"
        );
    }

    #[test]
    fn a_unit_with_no_date_at_all_is_out_of_warranty() {
        for basis in StartBasis::ALL {
            let decision = resolve_normal(&ours(), &policy(12, basis), "2025-06-01");
            assert!(!decision.in_warranty, "{basis}");
            assert_eq!(decision.class, B);
            assert_eq!((decision.start, decision.end), (None, None));
            assert_eq!(decision.coverage, Coverage::LIST_PRICE);
            assert!(decision.has_reason("no_start_date"));
        }
    }

    #[test]
    fn a_defect_before_the_warranty_starts_is_the_makers_and_counts_as_in_warranty() {
        let unit = UnitFacts {
            sale_date: Some(d("2025-05-01")),
            installation_date: Some(d("2025-06-01")),
            ..ours()
        };

        let decision = resolve_normal(&unit, &policy(12, InstallationDate), "2025-05-20");

        assert!(decision.in_warranty);
        assert_eq!(decision.class, A);
        assert_eq!(decision.coverage, Coverage::FREE);
        assert!(decision.has_reason("before_start"));
    }

    #[test]
    fn the_in_warranty_reason_names_the_end_the_basis_and_the_start() {
        let decision = resolve_normal(&sold_on("2025-03-15"), &policy(12, SaleDate), "2025-10-01");

        let in_warranty = reason(&decision, "in_warranty");
        assert_eq!(
            in_warranty.zh,
            "保修期至 2026-03-14（按销售日期 2025-03-15 起算 12 个月）"
        );
        assert_eq!(
            in_warranty.en,
            "In warranty until 2026-03-14 (12 months from the sale date 2025-03-15)"
        );
        let charges = decision.reasons.last().expect("a charges reason");
        assert_eq!(charges.code, "charges");
        assert_eq!(
            charges.zh,
            "A 类，本次收费：配件免费，人工费免费，上门费免费"
        );
        assert_eq!(
            charges.en,
            "Class A; charges for this job: parts free, labor free, travel free"
        );
    }

    #[test]
    fn in_the_period_a_normal_failure_costs_what_the_policy_says() {
        let p = PolicyVersion {
            in_warranty: cov(Free, Free, ListPrice),
            ..policy(12, SaleDate)
        };

        let decision = resolve_normal(&sold_on("2025-03-15"), &p, "2025-04-01");

        assert_eq!(decision.class, A);
        assert_eq!(decision.coverage, cov(Free, Free, ListPrice));
    }

    // ---- R-WAR-1: what follows the period ----------------------------------------------

    #[test]
    fn from_year_four_parts_are_at_cost_and_labor_stays_free() {
        let unit = UnitFacts {
            acceptance_date: Some(d("2025-05-10")),
            ..ours()
        };
        let p = lifetime_policy();
        #[rustfmt::skip]
        let table = [
            // service date, in warranty, coverage
            ("2025-05-11", true, Coverage::FREE),
            ("2028-05-10", true, Coverage::FREE),           // last day of year 3
            ("2028-05-11", false, cov(CostPrice, Free, Free)), // first day of year 4
            ("2035-01-01", false, cov(CostPrice, Free, Free)),
        ];
        for (on, in_warranty, coverage) in table {
            let decision = resolve_normal(&unit, &p, on);
            assert_eq!(decision.in_warranty, in_warranty, "{on}");
            assert_eq!(decision.coverage, coverage, "{on}");
            assert_eq!(decision.has_reason("after_term"), !in_warranty, "{on}");
        }

        let year_four = resolve_normal(&unit, &p, "2028-05-11");
        let term = reason(&year_four, "after_term");
        assert_eq!(
            term.zh,
            "自保修起始日 2025-05-11 起已满 36 个月，适用保修期后的服务条款（第 4 年起）：\
             配件按成本价收取，人工费免费，上门费免费"
        );
        assert_eq!(
            term.en,
            "36 full months since the warranty start 2025-05-11: the after-warranty term \
             (from year 4) applies: parts at cost price, labor free, travel free"
        );
    }

    #[test]
    fn after_the_warranty_parts_are_at_cost_travel_is_charged_and_labor_is_free() {
        let p = PolicyVersion {
            after: vec![after(12, None, cov(CostPrice, Free, ListPrice))],
            ..policy(12, SaleDate)
        };
        let unit = sold_on("2025-03-15");
        assert_eq!(
            resolve_normal(&unit, &p, "2026-03-14").coverage,
            Coverage::FREE
        );

        let decision = resolve_normal(&unit, &p, "2026-03-15");

        assert_eq!(decision.class, B);
        assert_eq!(decision.coverage, cov(CostPrice, Free, ListPrice));
    }

    #[test]
    fn a_bounded_after_term_ends_before_its_until_month_and_list_price_follows() {
        let p = PolicyVersion {
            after: vec![after(12, Some(36), cov(Free, ListPrice, ListPrice))],
            ..policy(12, SaleDate)
        };
        let unit = sold_on("2025-01-01");

        // Month 35 (2027-12-01..2027-12-31) is the last month of the term; month 36 is not.
        let last_month = resolve_normal(&unit, &p, "2027-12-31");
        let after_it = resolve_normal(&unit, &p, "2028-01-01");

        assert_eq!(last_month.coverage, cov(Free, ListPrice, ListPrice));
        assert!(
            reason(&last_month, "after_term")
                .zh
                .contains("第 2 至第 3 年")
        );
        assert_eq!(after_it.coverage, Coverage::LIST_PRICE);
        assert!(after_it.has_reason("no_after_term"));
    }

    #[test]
    fn of_overlapping_after_terms_the_one_starting_latest_applies() {
        let p = PolicyVersion {
            after: vec![
                after(60, None, Coverage::LIST_PRICE),
                after(12, None, cov(CostPrice, Free, Free)),
            ],
            ..policy(12, SaleDate)
        };
        let unit = sold_on("2020-01-01");

        let year_five = resolve_normal(&unit, &p, "2024-12-31");
        let year_six = resolve_normal(&unit, &p, "2025-01-01");

        assert_eq!(year_five.coverage, cov(CostPrice, Free, Free));
        assert_eq!(year_six.coverage, Coverage::LIST_PRICE);
    }

    #[test]
    fn out_of_warranty_without_an_after_term_everything_is_at_list_price() {
        let decision = resolve_normal(&sold_on("2020-01-01"), &policy(12, SaleDate), "2025-01-01");

        assert_eq!(decision.coverage, Coverage::LIST_PRICE);
        assert!(decision.has_reason("no_after_term"));
    }

    #[test]
    fn a_zero_month_policy_has_no_period_only_its_after_terms() {
        let p = PolicyVersion {
            after: vec![after(0, None, cov(CostPrice, Free, ListPrice))],
            ..policy(0, SaleDate)
        };
        let unit = sold_on("2025-03-15");
        for on in ["2025-03-01", "2025-03-15", "2026-01-01"] {
            let decision = resolve_normal(&unit, &p, on);
            assert!(!decision.in_warranty, "{on}");
            assert_eq!(decision.end, None);
            assert_eq!(decision.coverage, cov(CostPrice, Free, ListPrice), "{on}");
        }
    }

    // ---- R-WAR-3 and R-WAR-4: classes and exclusions -----------------------------------

    #[test]
    fn each_exclusion_is_charged_at_cost_in_warranty_and_never_cheaper_out_of_it() {
        let p = PolicyVersion {
            after: vec![after(12, None, cov(CostPrice, Free, ListPrice))],
            ..policy(12, SaleDate)
        };
        let unit = sold_on("2025-03-15");
        for cause in Cause::ALL.into_iter().filter(|c| c.is_exclusion()) {
            let inside = resolve(&unit, Some(&p), None, d("2026-03-14"), cause);
            assert_eq!(inside.class, B, "{cause}");
            assert!(inside.in_warranty, "{cause}: the period still runs");
            assert_eq!(inside.coverage, Coverage::all(CostPrice), "{cause}");
            let exclusion = reason(&inside, "exclusion");
            assert!(exclusion.zh.starts_with(cause.zh()), "{}", exclusion.zh);
            assert!(exclusion.zh.contains("虽在保修期内"), "{}", exclusion.zh);
            assert!(exclusion.en.starts_with(cause.en()), "{}", exclusion.en);

            let outside = resolve(&unit, Some(&p), None, d("2026-03-15"), cause);
            assert_eq!(outside.class, B, "{cause}");
            assert!(!outside.in_warranty, "{cause}");
            // Labor is free after the warranty for a normal failure, but not for misuse.
            assert_eq!(
                outside.coverage,
                cov(CostPrice, CostPrice, ListPrice),
                "{cause}"
            );
            assert!(outside.has_reason("exclusion"), "{cause}");
        }
    }

    #[test]
    fn the_same_failure_without_an_exclusion_is_class_a_and_free() {
        let decision = resolve_normal(&sold_on("2025-03-15"), &policy(12, SaleDate), "2026-03-14");

        assert_eq!(decision.class, A);
        assert_eq!(decision.coverage, Coverage::FREE);
        assert!(!decision.has_reason("exclusion"));
    }

    #[test]
    fn misuse_in_warranty_is_charged_at_the_policys_exclusion_charge() {
        let p = PolicyVersion {
            exclusion_charge: ListPrice,
            ..policy(12, SaleDate)
        };

        let decision = resolve(
            &sold_on("2025-03-15"),
            Some(&p),
            None,
            d("2025-04-01"),
            Cause::Misuse,
        );

        assert_eq!(decision.coverage, Coverage::LIST_PRICE);
        assert_eq!(
            reason(&decision, "exclusion").zh,
            "使用不当不属于保修范围，虽在保修期内，\
             配件按收费标准收取，人工费按收费标准收取，上门费按收费标准收取"
        );
    }

    #[test]
    fn a_policy_that_makes_exclusions_free_is_read_as_cost_price() {
        let p = PolicyVersion {
            exclusion_charge: Free,
            ..policy(12, SaleDate)
        };

        let decision = resolve(
            &sold_on("2025-03-15"),
            Some(&p),
            None,
            d("2025-04-01"),
            Cause::ForceMajeure,
        );

        assert_eq!(decision.coverage, Coverage::all(CostPrice));
        assert!(decision.has_reason("exclusion_charge_raised"));
    }

    #[test]
    fn a_unit_without_a_serial_gets_no_warranty_service() {
        let unit = UnitFacts {
            has_serial: false,
            ..sold_on("2025-03-15")
        };

        let decision = resolve_normal(&unit, &policy(12, SaleDate), "2025-04-01");

        assert!(!decision.in_warranty);
        assert_eq!(decision.class, B);
        assert_eq!(decision.coverage, Coverage::LIST_PRICE);
        assert_eq!((decision.start, decision.end), (None, None));
        assert_eq!(codes(&decision), ["no_serial", "charges"]);
    }

    #[test]
    fn a_contract_still_sets_the_charges_of_a_unit_without_a_serial() {
        let unit = UnitFacts {
            has_serial: false,
            ..sold_on("2025-03-15")
        };
        let c = contract("2025-01-01", "2025-12-31");

        let decision = resolve(
            &unit,
            Some(&policy(12, SaleDate)),
            Some(&c),
            d("2025-04-01"),
            Cause::NormalFailure,
        );

        assert!(decision.covered_by_contract);
        assert!(decision.in_warranty);
        assert_eq!(decision.class, A);
        assert_eq!(decision.coverage, cov(Free, Free, ListPrice));
        let no_serial = reason(&decision, "no_serial");
        assert!(
            no_serial.zh.contains("服务合同仍按合同约定收费"),
            "{}",
            no_serial.zh
        );
        assert!(decision.has_reason("contract"));
    }

    #[test]
    fn a_third_party_product_is_class_c_and_charged_at_list_price_even_in_its_period() {
        let unit = UnitFacts {
            made_by_us: false,
            ..sold_on("2025-03-15")
        };
        for cause in Cause::ALL {
            let decision = resolve(
                &unit,
                Some(&policy(12, SaleDate)),
                None,
                d("2025-04-01"),
                cause,
            );
            assert_eq!(decision.class, WarrantyClass::C, "{cause}");
            assert!(!decision.in_warranty, "{cause}");
            assert_eq!(decision.coverage, Coverage::LIST_PRICE, "{cause}");
            assert!(decision.has_reason("third_party"), "{cause}");
        }
    }

    #[test]
    fn a_contract_on_a_third_party_product_sets_its_charges_but_it_stays_class_c() {
        let unit = UnitFacts {
            made_by_us: false,
            ..ours()
        };
        let c = contract("2025-01-01", "2025-12-31");

        let decision = resolve(&unit, None, Some(&c), d("2025-04-01"), Cause::NormalFailure);

        assert_eq!(decision.class, WarrantyClass::C);
        assert!(!decision.in_warranty);
        assert!(decision.covered_by_contract);
        assert_eq!(decision.coverage, cov(Free, Free, ListPrice));
    }

    #[test]
    fn an_oem_unit_is_our_product_and_gets_its_warranty() {
        let unit = UnitFacts {
            oem: true,
            ..sold_on("2025-03-15")
        };

        let decision = resolve_normal(&unit, &policy(12, SaleDate), "2026-03-14");

        assert_eq!(decision.class, A);
        assert!(decision.in_warranty);
    }

    #[test]
    fn a_model_without_a_policy_is_out_of_warranty() {
        let decision = resolve(
            &sold_on("2025-03-15"),
            None,
            None,
            d("2025-04-01"),
            Cause::NormalFailure,
        );

        assert_eq!(decision.class, B);
        assert!(!decision.in_warranty);
        assert_eq!(decision.coverage, Coverage::LIST_PRICE);
        assert!(decision.has_reason("no_policy"));
    }

    // ---- Service contracts -------------------------------------------------------------

    #[test]
    fn a_contract_covers_from_its_first_day_to_its_last_day_inclusive() {
        let unit = sold_on("2020-01-01");
        let p = policy(12, SaleDate);
        let c = contract("2025-01-01", "2025-12-31");
        let by_contract = cov(Free, Free, ListPrice);
        #[rustfmt::skip]
        let table = [
            // service date, covered, class, coverage, reason
            ("2024-12-31", false, B, Coverage::LIST_PRICE, "contract_not_started"),
            ("2025-01-01", true, A, by_contract, "contract"), // starting that day
            ("2025-07-01", true, A, by_contract, "contract"),
            ("2025-12-31", true, A, by_contract, "contract"), // ending that day
            ("2026-01-01", false, B, Coverage::LIST_PRICE, "contract_expired"),
        ];
        for (on, covered, class, coverage, code) in table {
            let decision = resolve(&unit, Some(&p), Some(&c), d(on), Cause::NormalFailure);
            assert_eq!(decision.covered_by_contract, covered, "{on}");
            assert_eq!(decision.in_warranty, covered, "{on}");
            assert_eq!(decision.class, class, "{on}");
            assert_eq!(decision.coverage, coverage, "{on}");
            assert!(decision.has_reason(code), "{on}: {:?}", codes(&decision));
        }

        let active = resolve(
            &unit,
            Some(&p),
            Some(&c),
            d("2025-07-01"),
            Cause::NormalFailure,
        );
        let terms = reason(&active, "contract");
        assert_eq!(
            terms.zh,
            "服务合同有效（2025-01-01 至 2025-12-31）：配件免费，人工费免费"
        );
        assert_eq!(
            terms.en,
            "Service contract active (2025-01-01 to 2025-12-31): parts free, labor free"
        );
    }

    #[test]
    fn a_contract_only_replaces_the_items_it_names() {
        let p = PolicyVersion {
            in_warranty: cov(Free, Free, ListPrice),
            ..policy(12, SaleDate)
        };
        let c = ContractCover {
            parts: None,
            labor: None,
            travel: Some(Free),
            ..contract("2025-01-01", "2025-12-31")
        };

        let decision = resolve(
            &sold_on("2025-03-15"),
            Some(&p),
            Some(&c),
            d("2025-04-01"),
            Cause::NormalFailure,
        );

        assert_eq!(decision.coverage, Coverage::FREE);
        assert!(decision.covered_by_contract);
    }

    #[test]
    fn misuse_under_a_contract_is_still_class_b_but_the_contract_sets_the_charges() {
        let c = contract("2025-01-01", "2025-12-31");
        let out_of_period = sold_on("2020-01-01");

        let decision = resolve(
            &out_of_period,
            Some(&policy(12, SaleDate)),
            Some(&c),
            d("2025-04-01"),
            Cause::Misuse,
        );

        assert_eq!(decision.class, B);
        assert!(
            !decision.in_warranty,
            "a contract puts only normal failures in warranty"
        );
        assert!(decision.covered_by_contract);
        assert_eq!(decision.coverage, cov(Free, Free, ListPrice));
    }

    // ---- Policy versions ----------------------------------------------------------------

    #[test]
    fn a_policy_change_applies_to_units_sold_from_its_date_and_never_rewrites_the_past() {
        let old = PolicyVersion {
            effective_from: d("2020-01-01"),
            ..policy(12, SaleDate)
        };
        let new = PolicyVersion {
            effective_from: d("2024-07-01"),
            ..policy(24, SaleDate)
        };
        // Newest first on purpose: the order of the slice must not matter.
        let versions = [new, old];
        let unit = |sale: Option<&str>, ship: Option<&str>, made: Option<&str>| UnitFacts {
            sale_date: sale.map(d),
            ship_date: ship.map(d),
            manufacture_date: made.map(d),
            ..ours()
        };
        #[rustfmt::skip]
        let table = [
            // unit (sale, ship, manufacture), months of the version chosen
            (unit(Some("2024-06-30"), None, None), 12),
            (unit(Some("2024-07-01"), None, None), 24), // sold on the effective date
            (unit(Some("2025-01-01"), None, None), 24),
            // The sale date decides even when the unit shipped after the change.
            (unit(Some("2024-06-30"), Some("2024-07-05"), None), 12),
            (unit(None, Some("2024-07-02"), Some("2024-06-01")), 24),
            (unit(None, None, Some("2024-06-01")), 12),
            // Before every version, or with no date: the earliest version.
            (unit(Some("2019-05-01"), None, None), 12),
            (unit(None, None, None), 12),
        ];
        for (unit, months) in table {
            let chosen = select_version(&versions, &unit).expect("a version");
            assert_eq!(chosen.months, months, "{unit:?}");
        }
        assert_eq!(select_version(&[], &ours()), None);
    }

    #[test]
    fn of_two_versions_with_the_same_date_the_later_one_listed_wins() {
        let versions = [policy(12, SaleDate), policy(18, SaleDate)];

        let dated = select_version(&versions, &sold_on("2025-01-01")).expect("a version");
        let undated = select_version(&versions, &ours()).expect("a version");

        assert_eq!(dated.months, 18);
        assert_eq!(undated.months, 18);
    }

    // ---- Names and edges -----------------------------------------------------------------

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
        check(&ChargeBasis::ALL, ChargeBasis::as_str, ChargeBasis::parse);
        check(&StartBasis::ALL, StartBasis::as_str, StartBasis::parse);
        check(&Cause::ALL, Cause::as_str, Cause::parse);
        check(
            &WarrantyClass::ALL,
            WarrantyClass::as_str,
            WarrantyClass::parse,
        );
        assert_eq!(WarrantyClass::parse("a"), None);
    }

    #[test]
    fn resolving_near_the_end_of_the_calendar_does_not_panic() {
        let unit = UnitFacts {
            acceptance_date: Some(Date::MAX),
            ..ours()
        };

        let decision = resolve_normal(&unit, &policy(600, DayAfterAcceptance), "9999-12-31");

        assert!(decision.in_warranty);
        assert_eq!(decision.end, Some(Date::MAX));
        assert_eq!(warranty_end(d("2025-01-01"), u32::MAX), Some(Date::MAX));
        // -9999-01-01 to 9999-12-31: 19,998 years and 11 months.
        assert_eq!(months_since(Date::MIN, Date::MAX), 19_998 * 12 + 11);
    }

    // ---- Properties ----------------------------------------------------------------------

    mod properties {
        use super::*;
        use proptest::collection::vec;
        use proptest::option::of;
        use proptest::prelude::*;
        use proptest::sample::select;

        fn date() -> impl Strategy<Value = Date> {
            (0i64..15_000).prop_map(|n| {
                d("2000-01-01")
                    .checked_add(n.days())
                    .expect("within the calendar")
            })
        }

        fn charge() -> impl Strategy<Value = ChargeBasis> {
            select(ChargeBasis::ALL.to_vec())
        }

        fn coverage() -> impl Strategy<Value = Coverage> {
            (charge(), charge(), charge()).prop_map(|(p, l, t)| cov(p, l, t))
        }

        fn cause() -> impl Strategy<Value = Cause> {
            select(Cause::ALL.to_vec())
        }

        fn exclusion() -> impl Strategy<Value = Cause> {
            select(Cause::ALL[1..].to_vec())
        }

        fn after_term() -> impl Strategy<Value = AfterTerm> {
            (0u32..120, of(1u32..80), coverage())
                .prop_map(|(from, length, c)| after(from, length.map(|l| from + l), c))
        }

        fn policy() -> impl Strategy<Value = PolicyVersion> {
            (
                date(),
                0u32..=120,
                select(StartBasis::ALL.to_vec()),
                coverage(),
                vec(after_term(), 0..3),
                charge(),
            )
                .prop_map(
                    |(
                        effective_from,
                        months,
                        start_basis,
                        in_warranty,
                        after,
                        exclusion_charge,
                    )| {
                        PolicyVersion {
                            effective_from,
                            months,
                            start_basis,
                            in_warranty,
                            after,
                            exclusion_charge,
                        }
                    },
                )
        }

        fn unit() -> impl Strategy<Value = UnitFacts> {
            let dates = (of(date()), of(date()), of(date()), of(date()), of(date()));
            (any::<bool>(), any::<bool>(), any::<bool>(), dates).prop_map(
                |(has_serial, made_by_us, oem, (made, ship, sale, installed, accepted))| {
                    UnitFacts {
                        has_serial,
                        made_by_us,
                        oem,
                        manufacture_date: made,
                        ship_date: ship,
                        sale_date: sale,
                        installation_date: installed,
                        acceptance_date: accepted,
                    }
                },
            )
        }

        fn contract() -> impl Strategy<Value = ContractCover> {
            (
                date(),
                0i64..2_000,
                of(charge()),
                of(charge()),
                of(charge()),
            )
                .prop_map(|(start, length, parts, labor, travel)| ContractCover {
                    start,
                    end: start.saturating_add(length.days()),
                    parts,
                    labor,
                    travel,
                })
        }

        proptest! {
            #[test]
            fn without_a_serial_a_unit_is_never_in_warranty_from_its_period(
                unit in unit(),
                p in of(policy()),
                c in of(contract()),
                on in date(),
                cause in cause(),
            ) {
                let unit = UnitFacts { has_serial: false, ..unit };
                let decision = resolve(&unit, p.as_ref(), c.as_ref(), on, cause);
                if !c.is_some_and(|c| c.is_active(on)) {
                    prop_assert!(!decision.in_warranty);
                    prop_assert_ne!(decision.class, A);
                }
                prop_assert_eq!(decision.start, None);
            }

            #[test]
            fn a_later_service_date_never_turns_out_of_warranty_into_in_warranty(
                unit in unit(),
                p in policy(),
                on in date(),
                later_by in 0i64..5_000,
                cause in cause(),
            ) {
                let later = on.saturating_add(later_by.days());
                let first = resolve(&unit, Some(&p), None, on, cause);
                let second = resolve(&unit, Some(&p), None, later, cause);
                prop_assert!(first.in_warranty || !second.in_warranty);
            }

            #[test]
            fn a_longer_policy_never_ends_earlier(
                unit in unit(),
                p in policy(),
                extra in 1u32..60,
                on in date(),
                cause in cause(),
            ) {
                let longer = PolicyVersion { months: p.months + extra, ..p.clone() };
                let short = resolve(&unit, Some(&p), None, on, cause);
                let long = resolve(&unit, Some(&longer), None, on, cause);
                if let Some(short_end) = short.end {
                    let long_end = long.end.expect("a longer policy has an end too");
                    prop_assert!(long_end >= short_end);
                }
                prop_assert!(!short.in_warranty || long.in_warranty);
            }

            #[test]
            fn class_c_is_exactly_the_products_not_made_by_us(
                unit in unit(),
                p in of(policy()),
                c in of(contract()),
                on in date(),
                cause in cause(),
            ) {
                let decision = resolve(&unit, p.as_ref(), c.as_ref(), on, cause);
                prop_assert_eq!(decision.class == WarrantyClass::C, !unit.made_by_us);
            }

            #[test]
            fn an_exclusion_is_never_free_unless_a_contract_says_so(
                unit in unit(),
                p in of(policy()),
                c in of(contract()),
                on in date(),
                cause in exclusion(),
            ) {
                let decision = resolve(&unit, p.as_ref(), c.as_ref(), on, cause);
                let active = c.filter(|c| c.is_active(on));
                let contract_frees = |item: fn(&ContractCover) -> Option<ChargeBasis>| {
                    active.as_ref().and_then(item) == Some(Free)
                };
                if !contract_frees(|c| c.parts) {
                    prop_assert_ne!(decision.coverage.parts, Free);
                }
                if !contract_frees(|c| c.labor) {
                    prop_assert_ne!(decision.coverage.labor, Free);
                }
                if !contract_frees(|c| c.travel) {
                    prop_assert_ne!(decision.coverage.travel, Free);
                }
                prop_assert_ne!(decision.class, A);
            }

            #[test]
            fn class_a_means_in_warranty_with_a_normal_failure_on_our_product(
                unit in unit(),
                p in of(policy()),
                c in of(contract()),
                on in date(),
                cause in cause(),
            ) {
                let decision = resolve(&unit, p.as_ref(), c.as_ref(), on, cause);
                prop_assert_eq!(
                    decision.class == A,
                    unit.made_by_us && decision.in_warranty && cause == Cause::NormalFailure
                );
                prop_assert_eq!(decision.reasons.last().map(|r| r.code), Some("charges"));
            }

            #[test]
            fn whenever_in_warranty_a_normal_failure_is_class_a_at_the_policys_coverage(
                unit in unit(),
                p in policy(),
                on in date(),
            ) {
                let decision = resolve(&unit, Some(&p), None, on, Cause::NormalFailure);
                if decision.in_warranty {
                    prop_assert_eq!(decision.coverage, p.in_warranty);
                    prop_assert_eq!(decision.class, A);
                    prop_assert!(on <= decision.end.expect("an end when in warranty"));
                }
            }

            #[test]
            fn the_chosen_version_is_the_latest_one_not_after_the_units_date(
                versions in vec(policy(), 1..5),
                unit in unit(),
            ) {
                let chosen = select_version(&versions, &unit).expect("a version");
                let reference = unit.sale_date.or(unit.ship_date).or(unit.manufacture_date);
                match reference {
                    Some(r) if versions.iter().any(|v| v.effective_from <= r) => {
                        prop_assert!(chosen.effective_from <= r);
                        prop_assert!(versions
                            .iter()
                            .filter(|v| v.effective_from <= r)
                            .all(|v| v.effective_from <= chosen.effective_from));
                    }
                    _ => prop_assert!(versions
                        .iter()
                        .all(|v| v.effective_from >= chosen.effective_from)),
                }
            }
        }
    }
}
