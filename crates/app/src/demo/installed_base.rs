//! The demo installed base: warranty policies (R-WAR-1), product models, about 200 customers
//! (R-CUS-1..3) and 500 serial-numbered units (R-WAR-2) in Liaoning, in Chinese.
//!
//! Everything comes from a fixed-seed generator and fixed dates, never the clock, so every
//! demo database holds the same records (only ids and timestamps differ). The whole plan is
//! built in memory first, then written through the use-cases, so the audit trail shows it.
//!
//! Safe to run again: policies and products are looked up by code; the customers and units
//! are skipped when the first demo unit's serial is already on file (the first customer and
//! its units are written first, so a second run never creates a second copy of them).
//!
//! Over 1,200 lines on purpose: it is data (names, addresses, models) written as code so the
//! demo needs no files; splitting it would only scatter one table.

use crate::{
    AfterTermDto, AppError, CoverageDto, Ctx, DemoSummary, NewContact, NewCustomer, NewPolicy,
    NewProduct, NewSite, NewUnit, PolicyVersionDto,
};
use aftersales_domain::installed_base::Serial;
use aftersales_store::{
    installed_base::products as product_store, installed_base::units as unit_store,
};
use jiff::civil::{Date, date};
use std::collections::HashSet;

/// A small xorshift64* generator with a fixed seed: the same numbers on every machine.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) const SEED: u64 = 0x5EED_2026_0A17_E5A1;

    pub(crate) fn new(seed: u64) -> Self {
        // xorshift never leaves zero.
        Self(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        // The top bits are the best ones of xorshift64*.
        ((self.next_u64() >> 11) % n as u64) as usize
    }

    /// A number in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below(usize::try_from(hi - lo + 1).unwrap_or(1)) as i64
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }

    /// `(item, weight)` pairs.
    fn weighted<'a, T>(&mut self, xs: &'a [(T, usize)]) -> &'a T {
        let total: usize = xs.iter().map(|(_, w)| w).sum();
        let mut n = self.below(total);
        for (x, w) in xs {
            if n < *w {
                return x;
            }
            n -= w;
        }
        &xs[xs.len() - 1].0
    }

    fn shuffle<T>(&mut self, xs: &mut [T]) {
        for i in (1..xs.len()).rev() {
            let j = self.below(i + 1);
            xs.swap(i, j);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Policies and product models

const FREE: &str = "free";
const COST: &str = "cost_price";
const LIST: &str = "list_price";

fn cov(parts: &str, labor: &str, travel: &str) -> CoverageDto {
    CoverageDto {
        parts: parts.into(),
        labor: labor.into(),
        travel: travel.into(),
    }
}

fn version(
    effective_from: &str,
    months: u32,
    start_basis: &str,
    in_warranty: CoverageDto,
    after: Vec<AfterTermDto>,
    note: &str,
) -> PolicyVersionDto {
    PolicyVersionDto {
        effective_from: effective_from.into(),
        months: months.into(),
        start_basis: start_basis.into(),
        in_warranty,
        after,
        exclusion_charge: COST.into(),
        note: Some(note.into()),
    }
}

fn after_from(month: u32, coverage: CoverageDto) -> Vec<AfterTermDto> {
    vec![AfterTermDto {
        from_month: month.into(),
        months: None,
        coverage,
    }]
}

/// The demo's warranty policies, one version each, effective 2018-01-01.
pub(crate) fn policies() -> Vec<NewPolicy> {
    vec![
        NewPolicy {
            code: "STD12".into(),
            name: "一年保修".into(),
            version: version(
                "2018-01-01",
                12,
                "sale_date",
                cov(FREE, FREE, FREE),
                Vec::new(),
                "自销售日期起保修一年，保修期内配件、人工、上门均免费；保修期满后按标准价格收费。",
            ),
        },
        NewPolicy {
            code: "INST18".into(),
            name: "安装后18个月保修".into(),
            version: version(
                "2018-01-01",
                18,
                "installation_date",
                cov(FREE, FREE, LIST),
                Vec::new(),
                "自安装日期起保修18个月，配件和人工免费，上门费按标准收取。",
            ),
        },
        NewPolicy {
            code: "LIFE3".into(),
            name: "三年保修、终身服务".into(),
            version: version(
                "2018-01-01",
                36,
                "sale_date",
                cov(FREE, FREE, FREE),
                after_from(36, cov(COST, FREE, LIST)),
                "三年内配件、人工、上门全免；第4年起终身服务：配件按成本价，人工免费，上门费按标准收取。",
            ),
        },
        NewPolicy {
            code: "ACC24".into(),
            name: "验收后两年保修".into(),
            version: version(
                "2018-01-01",
                24,
                "day_after_acceptance",
                cov(FREE, FREE, FREE),
                after_from(24, cov(COST, FREE, LIST)),
                "自验收签字次日起保修两年；期满后配件按成本价，人工免费，上门费按标准收取。",
            ),
        },
    ]
}

pub(crate) const ACC24_V2_FROM: &str = "2025-01-01";

/// The second version of ACC24: units sold from 2025 get three years.
pub(crate) fn acc24_2025() -> PolicyVersionDto {
    version(
        ACC24_V2_FROM,
        36,
        "day_after_acceptance",
        cov(FREE, FREE, FREE),
        after_from(36, cov(COST, FREE, LIST)),
        "2025年起销售的设备：自验收签字次日起保修三年；期满后配件按成本价，人工免费，上门费按标准收取。",
    )
}

/// (code, name, product line, maintenance interval in months, policy)
pub(crate) const PRODUCTS: &[(&str, &str, &str, i64, &str)] = &[
    ("KT-2P", "2匹壁挂式空调", "空调", 12, "STD12"),
    ("KT-5P", "5匹柜式空调", "空调", 6, "LIFE3"),
    ("JSQ-400", "400G家用净水器", "水处理设备", 6, "STD12"),
    ("SC-20T", "20吨/时反渗透纯水设备", "水处理设备", 3, "ACC24"),
    ("DT-1000", "1000kg乘客电梯", "电梯", 1, "ACC24"),
    ("CNC-650", "VMC650立式加工中心", "数控机床", 6, "INST18"),
];

pub(crate) fn products() -> Vec<NewProduct> {
    PRODUCTS
        .iter()
        .map(|(code, name, line, months, policy)| NewProduct {
            code: (*code).into(),
            name: (*name).into(),
            product_line: (*line).into(),
            maintenance_interval_months: Some(*months),
            policy_code: Some((*policy).into()),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Places, names and dealers

struct District {
    code: &'static str,
    city: &'static str,
    district: &'static str,
    /// Area code and length of local numbers.
    area: &'static str,
    local_len: u32,
    dealer: &'static str,
    streets: &'static [&'static str],
    /// How often a customer lives here.
    weight: usize,
}

const SY_DEALER: &str = "沈阳恒通机电";
const DL_DEALER: &str = "大连华信设备";
const AS_DEALER: &str = "鞍山宏达";

/// Real GB/T 2260 district codes of Liaoning (checked by a test).
const DISTRICTS: &[District] = &[
    District {
        code: "210102",
        city: "沈阳市",
        district: "和平区",
        area: "024",
        local_len: 8,
        dealer: SY_DEALER,
        streets: &["南京北街", "中华路", "太原北街", "三好街", "南五马路"],
        weight: 14,
    },
    District {
        code: "210103",
        city: "沈阳市",
        district: "沈河区",
        area: "024",
        local_len: 8,
        dealer: SY_DEALER,
        streets: &["青年大街", "北站路", "大西路", "小河沿路"],
        weight: 10,
    },
    District {
        code: "210106",
        city: "沈阳市",
        district: "铁西区",
        area: "024",
        local_len: 8,
        dealer: SY_DEALER,
        streets: &["兴华南街", "北二中路", "建设西路", "重工街", "保工南街"],
        weight: 12,
    },
    District {
        code: "210112",
        city: "沈阳市",
        district: "浑南区",
        area: "024",
        local_len: 8,
        dealer: SY_DEALER,
        streets: &["浑南中路", "世纪路", "创新路", "全运路"],
        weight: 10,
    },
    District {
        code: "210202",
        city: "大连市",
        district: "中山区",
        area: "0411",
        local_len: 8,
        dealer: DL_DEALER,
        streets: &["人民路", "中山路", "鲁迅路", "解放街", "友好路"],
        weight: 12,
    },
    District {
        code: "210213",
        city: "大连市",
        district: "金州区",
        area: "0411",
        local_len: 8,
        dealer: DL_DEALER,
        streets: &["斯大林路", "金马路", "五一路", "南山路"],
        weight: 9,
    },
    District {
        code: "210302",
        city: "鞍山市",
        district: "铁东区",
        area: "0412",
        local_len: 7,
        dealer: AS_DEALER,
        streets: &["二道街", "胜利南路", "五一路", "园林路", "建国南路"],
        weight: 9,
    },
    District {
        code: "210802",
        city: "营口市",
        district: "站前区",
        area: "0417",
        local_len: 7,
        dealer: AS_DEALER,
        streets: &["渤海大街", "金牛山大街", "新兴大街", "学府路"],
        weight: 6,
    },
    District {
        code: "210804",
        city: "营口市",
        district: "鲅鱼圈区",
        area: "0417",
        local_len: 7,
        dealer: AS_DEALER,
        streets: &["平安大街", "黄河路", "新港大街", "青龙山大街"],
        weight: 5,
    },
    District {
        code: "211103",
        city: "盘锦市",
        district: "兴隆台区",
        area: "0427",
        local_len: 7,
        dealer: AS_DEALER,
        streets: &["兴隆台街", "石油大街", "惠宾大街", "泰山路"],
        weight: 7,
    },
    District {
        code: "211104",
        city: "盘锦市",
        district: "大洼区",
        area: "0427",
        local_len: 7,
        dealer: AS_DEALER,
        streets: &["向海大道", "建设街", "新立大街"],
        weight: 4,
    },
];

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "杜", "叶", "程", "苏", "魏", "吕", "丁", "任",
    "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "范", "金", "石", "贾", "夏", "付", "方", "白",
    "邹", "孟", "熊", "秦", "邱", "江", "尹", "薛", "闫", "段", "雷", "侯", "龙", "史", "陶", "贺",
    "顾", "毛", "郝", "邵", "万", "常", "关", "佟", "那", "富",
];

const GIVEN_NAMES: &[&str] = &[
    "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
    "涛", "明", "超", "秀兰", "霞", "平", "刚", "桂英", "建华", "建国", "玉兰", "志强", "海燕",
    "红梅", "文博", "子涵", "浩然", "雨桐", "晓东", "春生", "丽华", "国庆", "金凤", "淑珍", "宏伟",
    "立新", "振华", "晓燕", "凤英", "德福", "玉珍", "长青", "宝山", "秀梅", "海波", "春雨", "冬梅",
    "铁柱", "永刚", "雪莹", "思远", "佳怡", "俊杰", "欣然", "一鸣", "淑芬", "国华", "桂兰", "德胜",
    "丽娟", "树林", "玉梅", "成", "鹏", "博", "岩", "爽", "丹", "旭",
];

/// Trade names (字号) of demo companies.
const TRADE_NAMES: &[&str] = &[
    "鑫达",
    "华锐",
    "恒信",
    "东方",
    "金桥",
    "北方",
    "新世纪",
    "宏远",
    "天成",
    "盛京",
    "海天",
    "辽河",
    "永安",
    "瑞丰",
    "嘉和",
    "中立",
    "博远",
    "远航",
    "利民",
    "兴业",
    "富华",
    "长城",
    "诚信",
    "聚源",
    "华晨",
    "万通",
    "德润",
    "安泰",
    "银河",
    "启明",
    "同创",
    "鼎盛",
];

/// What a company does, and the models it buys (each once or more).
struct Industry {
    business: &'static str,
    sites: &'static [&'static str],
    models: &'static [(&'static str, usize)],
}

const INDUSTRIES: &[Industry] = &[
    Industry {
        business: "物业管理有限公司",
        sites: &["小区", "写字楼"],
        models: &[("DT-1000", 6), ("KT-5P", 3)],
    },
    Industry {
        business: "精密机械有限公司",
        sites: &["厂区", "二号厂房"],
        models: &[("CNC-650", 6), ("KT-5P", 2)],
    },
    Industry {
        business: "汽车零部件有限公司",
        sites: &["厂区", "机加车间"],
        models: &[("CNC-650", 5), ("SC-20T", 1), ("KT-5P", 2)],
    },
    Industry {
        business: "食品有限公司",
        sites: &["厂区", "仓库"],
        models: &[("SC-20T", 4), ("KT-5P", 3)],
    },
    Industry {
        business: "制药有限公司",
        sites: &["厂区", "研发楼"],
        models: &[("SC-20T", 5), ("KT-5P", 2), ("DT-1000", 1)],
    },
    Industry {
        business: "酒店管理有限公司",
        sites: &["酒店", "分店"],
        models: &[("KT-5P", 4), ("DT-1000", 3), ("SC-20T", 1)],
    },
    Industry {
        business: "商贸有限公司",
        sites: &["门店", "仓库"],
        models: &[("KT-5P", 5), ("KT-2P", 3)],
    },
];

const TITLES: &[&str] = &[
    "设备科长",
    "采购",
    "设备主管",
    "总经理",
    "工程部经理",
    "厂长",
    "物业经理",
    "办公室主任",
];

/// Household models and how often individuals own them.
const HOUSEHOLD_MODELS: &[(&str, usize)] = &[("KT-2P", 45), ("JSQ-400", 30), ("KT-5P", 25)];

/// Sale years and how many units were sold in each (recent years sell more).
const SALE_YEARS: &[(i16, usize)] = &[
    (2018, 6),
    (2019, 7),
    (2020, 7),
    (2021, 9),
    (2022, 10),
    (2023, 12),
    (2024, 14),
    (2025, 17),
    (2026, 16),
];

/// The last sale day: installations (≤ 20 days later) are all in the past by late 2026.
const LAST_SALE: Date = date(2026, 10, 31);
/// Acceptances after this day are not signed yet in the demo.
const LAST_ACCEPTANCE: Date = date(2026, 11, 20);

const INDIVIDUALS: usize = 168;
const COMPANIES: usize = 30;
const DUPLICATE_PAIRS: usize = 2;
pub(crate) const UNITS: usize = 500;
const THIRD_PARTY_UNITS: usize = 20;
const OEM_UNITS: usize = 20;
const UNITS_WITHOUT_SERIAL: usize = 10;
/// Of each kind of gap: no phone, no site, no region.
const INCOMPLETE_EACH: usize = 5;

// ---------------------------------------------------------------------------------------
// Generators

/// Mobile and landline numbers, never the same twice.
pub(crate) struct Phones {
    used: HashSet<String>,
}

impl Phones {
    pub(crate) fn new() -> Self {
        Self {
            used: HashSet::new(),
        }
    }

    fn fresh(&mut self, rng: &mut Rng, make: impl Fn(&mut Rng) -> String) -> String {
        loop {
            let n = make(rng);
            let digits: String = n.chars().filter(char::is_ascii_digit).collect();
            // "4567" reads as made up (and the browser tests type it to find their own
            // customer); skip it.
            if !digits.contains("4567") && self.used.insert(digits) {
                return n;
            }
        }
    }

    /// 11 digits: 13x, 15x or 18x.
    pub(crate) fn mobile(&mut self, rng: &mut Rng) -> String {
        self.fresh(rng, |rng| {
            let prefix = *rng.pick(&[
                "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
                "155", "156", "158", "159", "180", "182", "183", "185", "186", "187", "188", "189",
            ]);
            format!("{prefix}{:08}", rng.below(100_000_000))
        })
    }

    /// `024-23456789`, `0412-5123456`: the area code and a local number not starting with 0/1.
    fn landline(&mut self, rng: &mut Rng, d: &District) -> String {
        self.fresh(rng, |rng| {
            let rest = 10usize.pow(d.local_len - 1);
            format!(
                "{}-{}{:0width$}",
                d.area,
                2 + rng.below(7),
                rng.below(rest),
                width = (d.local_len - 1) as usize
            )
        })
    }
}

/// Serial numbers per maker's scheme, never the same twice.
pub(crate) struct Serials {
    next: Vec<(String, u64)>,
    used: HashSet<String>,
}

impl Serials {
    pub(crate) fn new() -> Self {
        Self {
            next: Vec::new(),
            used: HashSet::new(),
        }
    }

    /// Ours: `KT5P-2023-000123` (model without dash, year made, running number).
    pub(crate) fn own(&mut self, rng: &mut Rng, model: &str, year: i16) -> String {
        let key: String = model.chars().filter(|c| *c != '-').collect();
        let step = 1 + rng.below(37) as u64;
        let n = match self.next.iter_mut().find(|(k, _)| *k == key) {
            Some((_, n)) => {
                *n += step;
                *n
            }
            None => {
                let n = 100 + rng.below(400) as u64;
                self.next.push((key.clone(), n));
                n
            }
        };
        let s = format!("{key}-{year}-{n:06}");
        self.used.insert(Serial::normalize(&s));
        s
    }

    /// 格力: `GL` + two-digit year + 9 digits; 美的: `MD` + year + month + 8 digits.
    pub(crate) fn third_party(&mut self, rng: &mut Rng, maker: &str, made: Date) -> String {
        loop {
            let s = if maker == "格力" {
                format!("GL{:02}{:09}", made.year() % 100, rng.below(1_000_000_000))
            } else {
                format!(
                    "MD{}{:02}{:08}",
                    made.year(),
                    made.month(),
                    rng.below(100_000_000)
                )
            };
            if self.used.insert(Serial::normalize(&s)) {
                return s;
            }
        }
    }
}

fn person_name(rng: &mut Rng) -> String {
    format!("{}{}", rng.pick(SURNAMES), rng.pick(GIVEN_NAMES))
}

fn days(d: Date, n: i64) -> Date {
    d.saturating_add(jiff::SignedDuration::from_hours(24 * n))
}

fn street_address(rng: &mut Rng, d: &District, home: bool) -> String {
    let street = rng.pick(d.streets);
    let no = rng.range(1, 360);
    if home {
        format!(
            "{}{}{street}{no}号{}单元{}0{}室",
            d.city,
            d.district,
            rng.range(1, 6),
            rng.range(1, 18),
            rng.range(1, 4)
        )
    } else {
        format!("{}{}{street}{no}号", d.city, d.district)
    }
}

fn site(label: Option<&str>, address: String, d: &District) -> NewSite {
    NewSite {
        label: label.map(str::to_owned),
        address,
        region_code: Some(d.code.to_owned()),
        latitude: None,
        longitude: None,
    }
}

/// One unit to register, its owner's site by position.
#[derive(Debug, Clone)]
pub(crate) struct PlannedUnit {
    pub unit: NewUnit,
    pub site: Option<usize>,
}

#[derive(Debug, Clone)]
pub(crate) struct PlannedCustomer {
    pub customer: NewCustomer,
    pub units: Vec<PlannedUnit>,
}

/// What a customer buys (before units are generated).
struct Draft {
    customer: NewCustomer,
    district: usize,
    models: &'static [(&'static str, usize)],
    company: bool,
    units: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum UnitKind {
    Own,
    Oem,
    ThirdParty,
    NoSerial,
}

fn weighted_district(rng: &mut Rng) -> usize {
    let total: usize = DISTRICTS.iter().map(|d| d.weight).sum();
    let mut n = rng.below(total);
    for (i, d) in DISTRICTS.iter().enumerate() {
        if n < d.weight {
            return i;
        }
        n -= d.weight;
    }
    0
}

fn individual(rng: &mut Rng, phones: &mut Phones, name: String) -> Draft {
    let di = weighted_district(rng);
    let d = &DISTRICTS[di];
    let mut numbers = vec![phones.mobile(rng)];
    if rng.chance(20) {
        numbers.push(phones.landline(rng, d));
    }
    let mut sites = vec![site(None, street_address(rng, d, true), d)];
    if rng.chance(12) {
        let other = &DISTRICTS[weighted_district(rng)];
        sites.push(site(
            Some("老房子"),
            street_address(rng, other, true),
            other,
        ));
    }
    Draft {
        customer: NewCustomer {
            kind: "individual".into(),
            name: name.clone(),
            company: None,
            region_code: Some(d.code.into()),
            notes: None,
            contacts: vec![NewContact {
                name,
                title: None,
                phones: numbers,
            }],
            sites,
        },
        district: di,
        models: HOUSEHOLD_MODELS,
        company: false,
        units: 1,
    }
}

fn company(rng: &mut Rng, phones: &mut Phones, trade: &str) -> Draft {
    let di = weighted_district(rng);
    let d = &DISTRICTS[di];
    let ind = rng.pick(INDUSTRIES);
    let full = format!("{}{trade}{}", d.city.trim_end_matches('市'), ind.business);
    let short = format!(
        "{trade}{}",
        ind.business
            .trim_end_matches("有限公司")
            .trim_end_matches("管理")
    );
    let mut contacts = Vec::new();
    let mut titles: Vec<&str> = TITLES.to_vec();
    rng.shuffle(&mut titles);
    for title in titles.iter().take(1 + rng.below(3)) {
        let mut numbers = vec![phones.mobile(rng)];
        if rng.chance(50) {
            numbers.push(phones.landline(rng, d));
        }
        contacts.push(NewContact {
            name: person_name(rng),
            title: Some((*title).into()),
            phones: numbers,
        });
    }
    let mut sites = vec![site(Some(ind.sites[0]), street_address(rng, d, false), d)];
    if rng.chance(35) {
        sites.push(site(Some(ind.sites[1]), street_address(rng, d, false), d));
    }
    Draft {
        customer: NewCustomer {
            kind: "company".into(),
            name: short,
            company: Some(full),
            region_code: Some(d.code.into()),
            notes: None,
            contacts,
            sites,
        },
        district: di,
        models: ind.models,
        company: true,
        units: 3,
    }
}

fn sale_date(rng: &mut Rng) -> Date {
    let year = *rng.weighted(SALE_YEARS);
    let start = date(year, 1, 1);
    let end = if year == LAST_SALE.year() {
        LAST_SALE
    } else {
        date(year, 12, 31)
    };
    let span = i64::from(end.day_of_year() - start.day_of_year());
    days(start, rng.range(0, span))
}

fn has_acceptance(model: &str) -> bool {
    PRODUCTS
        .iter()
        .any(|(code, _, _, _, policy)| *code == model && *policy == "ACC24")
}

/// The whole demo installed base, the same on every call.
pub(crate) fn plan() -> Vec<PlannedCustomer> {
    let mut rng = Rng::new(Rng::SEED);
    let mut phones = Phones::new();
    let mut serials = Serials::new();

    // Customers. The first is the demo `customer` user's person.
    let mut drafts: Vec<Draft> = Vec::new();
    for i in 0..INDIVIDUALS {
        let name = if i == 0 {
            "孙建国".to_owned()
        } else {
            person_name(&mut rng)
        };
        drafts.push(individual(&mut rng, &mut phones, name));
    }
    let mut trades: Vec<&str> = TRADE_NAMES.to_vec();
    rng.shuffle(&mut trades);
    for trade in trades.iter().take(COMPANIES) {
        drafts.push(company(&mut rng, &mut phones, trade));
    }

    // Gaps, for the "incomplete records" list: never the first customer.
    let mut order: Vec<usize> = (1..drafts.len()).collect();
    rng.shuffle(&mut order);
    let mut gaps = order.into_iter();
    for _ in 0..INCOMPLETE_EACH {
        if let Some(i) = gaps.next() {
            for c in &mut drafts[i].customer.contacts {
                c.phones.clear();
            }
            drafts[i].customer.notes = Some("客户未留电话，来电时请补登。".into());
        }
        if let Some(i) = gaps.next() {
            drafts[i].customer.sites.clear();
        }
        if let Some(i) = gaps.next() {
            drafts[i].customer.region_code = None;
            for s in &mut drafts[i].customer.sites {
                s.region_code = None;
            }
        }
    }
    // Likely duplicates: the same person registered again with the same phone and another
    // spelling of the address (without the city; one also writes 3-502 for 3单元502室).
    let complete: Vec<usize> = (1..INDIVIDUALS)
        .filter(|i| {
            let c = &drafts[*i].customer;
            c.region_code.is_some()
                && !c.sites.is_empty()
                && c.contacts.iter().any(|k| !k.phones.is_empty())
        })
        .collect();
    for k in 0..DUPLICATE_PAIRS {
        let Some(&i) = complete.get(10 + k * 37) else {
            continue;
        };
        let mut again = drafts[i].customer.clone();
        let d = &DISTRICTS[drafts[i].district];
        for s in &mut again.sites {
            s.address = s.address.trim_start_matches(d.city).to_owned();
            if k == 1 {
                s.address = s.address.replace("单元", "-").replace('室', "");
            }
        }
        again.contacts.truncate(1);
        for c in &mut again.contacts {
            c.phones.truncate(1);
        }
        again.notes = Some("电话报修时新建的档案".into());
        drafts.push(Draft {
            customer: again,
            district: drafts[i].district,
            models: HOUSEHOLD_MODELS,
            company: false,
            units: 1,
        });
    }

    // Records were opened over the years in no particular order: mix persons and companies
    // (the first stays first).
    rng.shuffle(&mut drafts[1..]);

    // How many units each owns: 1 per person and 3 per company to start, then the rest
    // mostly to companies (a person has at most 3).
    let mut total: usize = drafts.iter().map(|d| d.units).sum();
    let companies: Vec<usize> = (0..drafts.len()).filter(|i| drafts[*i].company).collect();
    while total < UNITS {
        let i = if rng.chance(75) {
            companies[rng.below(companies.len())]
        } else {
            rng.below(drafts.len())
        };
        let cap = if drafts[i].company { 20 } else { 3 };
        if drafts[i].units < cap {
            drafts[i].units += 1;
            total += 1;
        }
    }

    // Which units are special: OEM only at companies; third-party and serial-less anywhere
    // but the very first unit (the marker of a loaded demo).
    let slots: Vec<(usize, usize)> = drafts
        .iter()
        .enumerate()
        .flat_map(|(i, d)| (0..d.units).map(move |j| (i, j)))
        .collect();
    let mut kinds = vec![UnitKind::Own; slots.len()];
    let mut free: Vec<usize> = (1..slots.len()).collect();
    rng.shuffle(&mut free);
    let mut oem = 0;
    let mut third = 0;
    let mut bare = 0;
    for s in free {
        let at_company = drafts[slots[s].0].company;
        if oem < OEM_UNITS && at_company {
            kinds[s] = UnitKind::Oem;
            oem += 1;
        } else if third < THIRD_PARTY_UNITS {
            kinds[s] = UnitKind::ThirdParty;
            third += 1;
        } else if bare < UNITS_WITHOUT_SERIAL {
            kinds[s] = UnitKind::NoSerial;
            bare += 1;
        }
    }

    // The units, customer by customer. Companies often buy several of a model at once.
    let mut out = Vec::with_capacity(drafts.len());
    let mut k = 0;
    for d in &drafts {
        let district = &DISTRICTS[d.district];
        let mut units = Vec::with_capacity(d.units);
        let mut last: Option<(&str, Date)> = None;
        for _ in 0..d.units {
            let kind = kinds[k];
            k += 1;
            let (model, sold) = match last {
                Some(batch) if d.company && kind != UnitKind::ThirdParty && rng.chance(40) => batch,
                _ => {
                    let model = if kind == UnitKind::ThirdParty {
                        *rng.pick(&["KT-2P", "KT-5P"])
                    } else {
                        *rng.weighted(d.models)
                    };
                    (model, sale_date(&mut rng))
                }
            };
            if kind != UnitKind::ThirdParty {
                last = Some((model, sold));
            }
            let made = days(sold, -rng.range(20, 120));
            let shipped = days(sold, -rng.range(2, 12));
            let installed = days(sold, rng.range(3, 20));
            let accepted = if has_acceptance(model) && kind != UnitKind::ThirdParty {
                // Some of this year's are still waiting for the acceptance signature.
                let pending = sold.year() == LAST_SALE.year() && rng.chance(30);
                Some(days(installed, rng.range(5, 30)))
                    .filter(|a| !pending && *a <= LAST_ACCEPTANCE)
            } else {
                None
            };
            let maker = match kind {
                UnitKind::ThirdParty => Some(if rng.chance(50) { "格力" } else { "美的" }),
                _ => None,
            };
            let serial = match (kind, maker) {
                (UnitKind::NoSerial, _) => None,
                (UnitKind::ThirdParty, Some(m)) => Some(serials.third_party(&mut rng, m, made)),
                _ => Some(serials.own(&mut rng, model, made.year())),
            };
            let dealer = (kind != UnitKind::ThirdParty && rng.chance(55))
                .then(|| district.dealer.to_owned());
            let site = match d.customer.sites.len() {
                0 => None,
                n => Some(rng.below(n)),
            };
            units.push(PlannedUnit {
                unit: NewUnit {
                    serial,
                    manufacturer: maker.map(str::to_owned),
                    product_code: model.into(),
                    customer_id: None,
                    site_id: None,
                    manufacture_date: Some(made.to_string()),
                    ship_date: Some(shipped.to_string()),
                    sale_date: Some(sold.to_string()),
                    installation_date: Some(installed.to_string()),
                    acceptance_date: accepted.map(|a| a.to_string()),
                    dealer,
                    oem: kind == UnitKind::Oem,
                    third_party: kind == UnitKind::ThirdParty,
                },
                site,
            });
        }
        out.push(PlannedCustomer {
            customer: d.customer.clone(),
            units,
        });
    }
    out
}

impl crate::App {
    /// Loads the demo policies, product models, customers and units. What exists stays.
    pub(crate) async fn load_demo_installed_base(
        &self,
        s: &mut DemoSummary,
    ) -> Result<(), AppError> {
        let ctx = Ctx::system("demo");
        let pool = self.db.pool();
        for p in policies() {
            if product_store::find_policy_by_code(pool, &p.code)
                .await?
                .is_none()
            {
                self.create_policy(&ctx, &p).await?;
                s.policies_created += 1;
            }
        }
        if let Some(acc) = product_store::find_policy_by_code(pool, "ACC24").await?
            && !product_store::versions(pool, &acc.id)
                .await?
                .iter()
                .any(|v| v.effective_from == ACC24_V2_FROM)
        {
            self.add_policy_version(&ctx, "ACC24", &acc24_2025())
                .await?;
        }
        for p in products() {
            if self.find_product_by_code(&p.code).await?.is_none() {
                self.create_product(&ctx, &p).await?;
                s.products_created += 1;
            }
        }
        let plan = plan();
        let marker = plan
            .first()
            .and_then(|c| c.units.first())
            .and_then(|u| u.unit.serial.as_deref());
        if let Some(serial) = marker
            && !unit_store::by_serial(pool, &Serial::normalize(serial))
                .await?
                .is_empty()
        {
            return Ok(());
        }
        for c in &plan {
            let view = self.create_customer(&ctx, &c.customer, None).await?;
            s.customers_created += 1;
            for u in &c.units {
                let mut input = u.unit.clone();
                input.customer_id = Some(view.id.to_string());
                input.site_id = u
                    .site
                    .and_then(|i| view.sites.get(i))
                    .map(|site| site.id.clone());
                self.create_unit(&ctx, &input, None).await?;
                s.units_created += 1;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aftersales_domain::installed_base::Phone;
    use aftersales_domain::region::RegionCode;
    use std::collections::HashMap;

    #[test]
    fn the_generator_repeats_itself_for_a_seed_and_differs_between_seeds() {
        let a: Vec<u64> = {
            let mut r = Rng::new(Rng::SEED);
            (0..1000).map(|_| r.next_u64()).collect()
        };
        let b: Vec<u64> = {
            let mut r = Rng::new(Rng::SEED);
            (0..1000).map(|_| r.next_u64()).collect()
        };
        assert_eq!(a, b);
        let mut c = Rng::new(Rng::SEED + 1);
        assert_ne!(a[0], c.next_u64());
        let mut z = Rng::new(0);
        assert_ne!(z.next_u64(), 0, "a zero seed still moves");
        let mut r = Rng::new(7);
        for n in [1, 2, 3, 10, 1000] {
            for _ in 0..200 {
                assert!(r.below(n) < n);
            }
        }
        assert_eq!(r.below(0), 0);
        // Every value of a small range shows up.
        let mut seen = [false; 6];
        for _ in 0..200 {
            seen[r.below(6)] = true;
        }
        assert!(seen.iter().all(|s| *s));
    }

    #[test]
    fn the_plan_is_the_same_every_time() {
        let a = format!("{:?}", plan());
        let b = format!("{:?}", plan());
        assert_eq!(a, b);
    }

    #[test]
    fn generated_phones_and_serials_are_valid_and_never_repeat() {
        let mut rng = Rng::new(Rng::SEED);
        let mut phones = Phones::new();
        let mut seen = HashSet::new();
        for _ in 0..5000 {
            let m = phones.mobile(&mut rng);
            assert_eq!(m.len(), 11, "{m}");
            assert!(["13", "15", "18"].iter().any(|p| m.starts_with(p)), "{m}");
            assert!(Phone::parse("p", &m).is_ok(), "{m}");
            assert!(seen.insert(m));
        }
        for d in DISTRICTS {
            for _ in 0..200 {
                let l = phones.landline(&mut rng, d);
                assert!(l.starts_with(&format!("{}-", d.area)), "{l}");
                assert!(Phone::parse("p", &l).is_ok(), "{l}");
                assert!(seen.insert(l));
            }
        }
        let mut serials = Serials::new();
        let mut seen = HashSet::new();
        for i in 0..3000 {
            let (model, _, _, _, _) = PRODUCTS[i % PRODUCTS.len()];
            let s = serials.own(&mut rng, model, 2018 + (i % 9) as i16);
            assert!(Serial::parse("s", &s).is_ok(), "{s}");
            assert!(seen.insert(Serial::normalize(&s)), "{s}");
        }
        for i in 0..2000 {
            let maker = if i % 2 == 0 { "格力" } else { "美的" };
            let s = serials.third_party(&mut rng, maker, date(2020, 5, 1));
            assert!(Serial::parse("s", &s).is_ok(), "{s}");
            assert!(seen.insert(Serial::normalize(&s)), "{s}");
        }
        assert_eq!(
            Serials::new().own(&mut Rng::new(1), "KT-5P", 2023).len(),
            "KT5P-2023-000123".len()
        );
    }

    #[test]
    fn the_plan_has_the_promised_shape() {
        let p = plan();
        assert_eq!(p.len(), INDIVIDUALS + COMPANIES + DUPLICATE_PAIRS);
        let kinds = |k: &str| p.iter().filter(|c| c.customer.kind == k).count();
        assert_eq!(kinds("individual"), INDIVIDUALS + DUPLICATE_PAIRS);
        assert_eq!(kinds("company"), COMPANIES);
        let units: Vec<&NewUnit> = p
            .iter()
            .flat_map(|c| c.units.iter().map(|u| &u.unit))
            .collect();
        assert_eq!(units.len(), UNITS);
        assert_eq!(units.iter().filter(|u| u.oem).count(), OEM_UNITS);
        assert_eq!(
            units.iter().filter(|u| u.third_party).count(),
            THIRD_PARTY_UNITS
        );
        assert_eq!(
            units.iter().filter(|u| u.serial.is_none()).count(),
            UNITS_WITHOUT_SERIAL
        );
        assert!(
            p[0].units[0].unit.serial.is_some(),
            "the marker has a serial"
        );

        // Serials are unique and valid; own ones follow the model's scheme.
        let mut seen = HashSet::new();
        for u in &units {
            if let Some(s) = &u.serial {
                assert!(Serial::parse("s", s).is_ok(), "{s}");
                assert!(seen.insert(Serial::normalize(s)), "{s}");
                if !u.third_party {
                    let key: String = u.product_code.chars().filter(|c| *c != '-').collect();
                    assert!(s.starts_with(&format!("{key}-")), "{s}");
                }
            }
            assert!(PRODUCTS.iter().any(|p| p.0 == u.product_code));
            let d = |s: &Option<String>| s.as_deref().map(|s| s.parse::<Date>().expect("date"));
            let sold = d(&u.sale_date).expect("sold");
            let installed = d(&u.installation_date).expect("installed");
            assert!(date(2018, 1, 1) <= sold && sold <= LAST_SALE);
            let gap = (installed - sold).get_days();
            assert!((3..=20).contains(&gap), "{gap}");
            if let Some(a) = d(&u.acceptance_date) {
                assert!(has_acceptance(&u.product_code) && a > installed);
            }
            if u.third_party {
                assert!(matches!(u.manufacturer.as_deref(), Some("格力" | "美的")));
            }
        }
        // Some units of every year, and some of each policy inside and outside the period.
        for y in 2018..=2026 {
            assert!(units.iter().any(|u| {
                u.sale_date
                    .as_deref()
                    .is_some_and(|s| s.starts_with(&y.to_string()))
            }));
        }
        assert!(
            units
                .iter()
                .any(|u| has_acceptance(&u.product_code) && u.acceptance_date.is_none())
        );

        // Phones: unique except for the two planted duplicate pairs.
        let mut count: HashMap<String, usize> = HashMap::new();
        for c in &p {
            let mut mine = HashSet::new();
            for k in &c.customer.contacts {
                for n in &k.phones {
                    let ph = Phone::parse("p", n).expect("phone");
                    if mine.insert(ph.digits().to_owned()) {
                        *count.entry(ph.digits().to_owned()).or_default() += 1;
                    }
                }
            }
        }
        assert!(count.values().all(|n| *n <= 2));
        assert_eq!(count.values().filter(|n| **n == 2).count(), DUPLICATE_PAIRS);

        // Region codes are real districts and the address names them.
        for d in DISTRICTS {
            let r = RegionCode::parse("r", d.code).expect(d.code);
            assert_eq!(r.name(), d.district);
            assert!(r.full_name().contains(d.city), "{}", r.full_name());
        }
        for c in &p {
            for s in &c.customer.sites {
                if let Some(code) = &s.region_code {
                    let d = DISTRICTS.iter().find(|d| d.code == code).expect("district");
                    assert!(s.address.contains(d.district), "{}", s.address);
                }
            }
        }
        // The incomplete records.
        let no_phone = p
            .iter()
            .filter(|c| c.customer.contacts.iter().all(|k| k.phones.is_empty()))
            .count();
        let no_site = p.iter().filter(|c| c.customer.sites.is_empty()).count();
        let no_region = p
            .iter()
            .filter(|c| {
                c.customer.region_code.is_none()
                    && c.customer.sites.iter().all(|s| s.region_code.is_none())
            })
            .count();
        assert_eq!((no_phone, no_site, no_region), (5, 5, 5));
        // Company names are unique.
        let names: HashSet<&str> = p
            .iter()
            .filter_map(|c| c.customer.company.as_deref())
            .collect();
        assert_eq!(names.len(), COMPANIES);
    }
}
