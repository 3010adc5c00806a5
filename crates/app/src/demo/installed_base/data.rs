//! The demo installed base's data: warranty policies and product models, the districts of
//! Liaoning with their streets, dealers and phone area codes, names, trade names,
//! industries, sale years and how many of each kind of record the plan makes.
//!
//! Long on purpose: it is tables written as code; the generator is in `generate`.

use crate::{AfterTermDto, CoverageDto, NewPolicy, NewProduct, PolicyVersionDto};
use jiff::civil::{Date, date};

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
pub(super) fn policies() -> Vec<NewPolicy> {
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

pub(super) const ACC24_V2_FROM: &str = "2025-01-01";

/// The second version of ACC24: units sold from 2025 get three years.
pub(super) fn acc24_2025() -> PolicyVersionDto {
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

pub(super) fn products() -> Vec<NewProduct> {
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

pub(super) struct District {
    pub(super) code: &'static str,
    pub(super) city: &'static str,
    pub(super) district: &'static str,
    /// Area code and length of local numbers.
    pub(super) area: &'static str,
    pub(super) local_len: u32,
    pub(super) dealer: &'static str,
    pub(super) streets: &'static [&'static str],
    /// How often a customer lives here.
    pub(super) weight: usize,
}

const SY_DEALER: &str = "沈阳恒通机电";
const DL_DEALER: &str = "大连华信设备";
const AS_DEALER: &str = "鞍山宏达";

/// Real GB/T 2260 district codes of Liaoning (checked by a test).
pub(super) const DISTRICTS: &[District] = &[
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

pub(super) const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "杜", "叶", "程", "苏", "魏", "吕", "丁", "任",
    "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "范", "金", "石", "贾", "夏", "付", "方", "白",
    "邹", "孟", "熊", "秦", "邱", "江", "尹", "薛", "闫", "段", "雷", "侯", "龙", "史", "陶", "贺",
    "顾", "毛", "郝", "邵", "万", "常", "关", "佟", "那", "富",
];

pub(super) const GIVEN_NAMES: &[&str] = &[
    "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
    "涛", "明", "超", "秀兰", "霞", "平", "刚", "桂英", "建华", "建国", "玉兰", "志强", "海燕",
    "红梅", "文博", "子涵", "浩然", "雨桐", "晓东", "春生", "丽华", "国庆", "金凤", "淑珍", "宏伟",
    "立新", "振华", "晓燕", "凤英", "德福", "玉珍", "长青", "宝山", "秀梅", "海波", "春雨", "冬梅",
    "铁柱", "永刚", "雪莹", "思远", "佳怡", "俊杰", "欣然", "一鸣", "淑芬", "国华", "桂兰", "德胜",
    "丽娟", "树林", "玉梅", "成", "鹏", "博", "岩", "爽", "丹", "旭",
];

/// Trade names (字号) of demo companies.
pub(super) const TRADE_NAMES: &[&str] = &[
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
pub(super) struct Industry {
    pub(super) business: &'static str,
    pub(super) sites: &'static [&'static str],
    pub(super) models: &'static [(&'static str, usize)],
}

pub(super) const INDUSTRIES: &[Industry] = &[
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

pub(super) const TITLES: &[&str] = &[
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
pub(super) const HOUSEHOLD_MODELS: &[(&str, usize)] =
    &[("KT-2P", 45), ("JSQ-400", 30), ("KT-5P", 25)];

/// Sale years and how many units were sold in each (recent years sell more).
pub(super) const SALE_YEARS: &[(i16, usize)] = &[
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
pub(super) const LAST_SALE: Date = date(2026, 10, 31);
/// Acceptances after this day are not signed yet in the demo.
pub(super) const LAST_ACCEPTANCE: Date = date(2026, 11, 20);

pub(super) const INDIVIDUALS: usize = 168;
pub(super) const COMPANIES: usize = 30;
pub(super) const DUPLICATE_PAIRS: usize = 2;
pub(super) const UNITS: usize = 500;
pub(super) const THIRD_PARTY_UNITS: usize = 20;
pub(super) const OEM_UNITS: usize = 20;
pub(super) const UNITS_WITHOUT_SERIAL: usize = 10;
/// Of each kind of gap: no phone, no site, no region.
pub(super) const INCOMPLETE_EACH: usize = 5;
