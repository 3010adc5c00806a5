//! The agent's search box at scale: latency of `App::search_customers` (p50/p95/p99/max per
//! kind of query and overall) on a generated installed base of, by default, 100,000
//! customers and 300,000 units, on SQLite or PostgreSQL. See `bench/search/README.md`.
//!
//! ```text
//! CARGO_TARGET_DIR=$HOME/.cache/aftersales/target cargo run --release -p aftersales \
//!     --example search_bench -- --backend sqlite --customers 100000 --units 300000 --queries 500
//! ```
//!
//! The database is new (a temporary SQLite file, or a new PostgreSQL database on the
//! server at `--pg-url`, dropped at the end). Rows are written through the store crate's
//! insert functions in large transactions, not through the use-cases (those also write an
//! audit row per change, far too slow for 400,000 records). Every id, name, number and
//! query comes from a fixed-seed generator, so two runs with the same arguments search
//! the same data with the same queries and must return the same hits: the report prints
//! a digest of all hits to prove it (across backends, and before/after a change of the
//! search queries or indexes).

use aftersales_app::{App, AppConfig, Ctx, Db, DbOptions, OWN_MANUFACTURER, SystemClock};
use aftersales_domain::installed_base::{Phone, Serial};
use aftersales_domain::{CustomerId, ProductId, UnitId};
use aftersales_store::installed_base::customers::{
    self as customer_store, ContactRow, CustomerRecord,
};
use aftersales_store::installed_base::customers::{PhoneRow, SiteRow};
use aftersales_store::installed_base::products::{self as product_store, ProductRecord};
use aftersales_store::installed_base::units::{self as unit_store, UnitRecord};
use anyhow::{Context, Result};
use clap::Parser;
use common::{BackendArg, Machine, Rng, Target, after_load, after_load_step, finish};
use common::{command_line, db_size, git_state, loadavg, percentile, server_version};
use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;

/// Latency of the agent's search box at scale.
#[derive(Parser, Debug)]
#[command(name = "search_bench")]
struct Args {
    #[arg(long, value_enum, default_value = "sqlite")]
    backend: BackendArg,
    /// Customers to generate.
    #[arg(long, default_value_t = 100_000)]
    customers: usize,
    /// Units to generate (about half at companies).
    #[arg(long, default_value_t = 300_000)]
    units: usize,
    /// Measured queries.
    #[arg(long, default_value_t = 500)]
    queries: usize,
    /// Queries run first and not measured (other queries than the measured ones).
    #[arg(long, default_value_t = 30)]
    warmup: usize,
    /// Customers (or units) written per transaction while loading.
    #[arg(long, default_value_t = 5_000)]
    batch: usize,
    /// Seed of the data and query generator.
    #[arg(long, default_value_t = 0x5EED_5EA2_C400)]
    seed: u64,
    /// The PostgreSQL server: a new database is created there and dropped at the end.
    #[arg(
        long,
        env = "AFTERSALES_TEST_PG_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    pg_url: String,
    /// Where to append the results (default: bench/search/REPORT.md of the workspace).
    #[arg(long)]
    report: Option<PathBuf>,
    /// Print the results only; write nothing to the report.
    #[arg(long)]
    no_report: bool,
    /// A line to put in the report's section (e.g. "before the search indexes").
    #[arg(long)]
    note: Option<String>,
    /// Keep the database at the end (and print where it is).
    #[arg(long)]
    keep: bool,
}

/// The target of the SQLite run.
const TARGET_P95_MS: f64 = 50.0;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let args = Args::parse();
    let command = command_line("search_bench");
    let date = jiff::Timestamp::now()
        .strftime("%Y-%m-%d %H:%M:%S UTC")
        .to_string();
    eprintln!("search_bench: generating the data (seed {:#x})…", args.seed);
    let t = Instant::now();
    let plan = plan(&args);
    eprintln!(
        "  {} customers, {} contacts, {} phones, {} sites, {} units in {:.1} s",
        plan.customers.len(),
        plan.contacts(),
        plan.phones(),
        plan.sites(),
        plan.units.len(),
        t.elapsed().as_secs_f64()
    );

    let target = Target::create("search-bench", args.backend, &args.pg_url).await?;
    let section = run(&args, &plan, &target.url)
        .await
        .map(|r| report(&args, &command, &date, &r));
    finish(
        "search_bench",
        target,
        args.keep,
        section,
        (args.report.clone(), args.no_report),
        ("search", "Search box benchmark"),
    )
    .await
}

// ---------------------------------------------------------------------------------------
// The database

struct Results {
    server: String,
    phones: usize,
    load: LoadStats,
    db_bytes: u64,
    /// Per query: kind, text, milliseconds, hits.
    samples: Vec<(Kind, String, f64, usize)>,
    digest: u64,
    /// The 1-minute load average before and after the queries.
    load_avg: (String, String),
    machine: Machine,
}

struct LoadStats {
    customers: Duration,
    units: Duration,
    after: Duration,
    rows: usize,
}

async fn run(args: &Args, plan: &Plan, url: &str) -> Result<Results> {
    let db = Db::connect(url, &DbOptions::default())
        .await
        .context("connect")?;
    db.migrate().await.context("migrate")?;
    let server = server_version(&db, args.backend).await?;

    eprintln!(
        "search_bench: loading into {} ({server})…",
        args.backend.name()
    );
    let load = load(&db, plan, args).await?;
    let db_bytes = db_size(&db, args.backend, url).await?;
    eprintln!(
        "  loaded {} rows: customers {:.1} s, units {:.1} s, {} {:.1} s; {:.1} MiB",
        load.rows,
        load.customers.as_secs_f64(),
        load.units.as_secs_f64(),
        after_load_step(args.backend),
        load.after.as_secs_f64(),
        db_bytes as f64 / 1_048_576.0
    );

    let app = App::new(db.clone(), Arc::new(SystemClock), AppConfig::default());
    let ctx = Ctx::system("bench");
    let mut rng = Rng::new(args.seed ^ 0xA11CE);
    let warmup = queries(plan, &mut rng, args.warmup);
    let measured = queries(plan, &mut rng, args.queries);
    eprintln!(
        "search_bench: {} warm-up and {} measured queries…",
        warmup.len(),
        measured.len()
    );
    let load_before = loadavg();
    for (_, q) in &warmup {
        app.search_customers(&ctx, q, 10)
            .await
            .with_context(|| format!("search {q:?}"))?;
    }
    let mut samples = Vec::new();
    let mut digest = Fnv::new();
    for (kind, q) in measured {
        let t = Instant::now();
        let hits = app
            .search_customers(&ctx, &q, 10)
            .await
            .with_context(|| format!("search {q:?}"))?;
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        digest.write(q.as_bytes());
        for h in &hits {
            digest.write(b"\t");
            digest.write(h.number.as_bytes());
            digest.write(h.matched.as_str().as_bytes());
        }
        digest.write(b"\n");
        samples.push((kind, q, ms, hits.len()));
    }
    let load_after = loadavg();
    db.close().await;
    Ok(Results {
        load_avg: (load_before, load_after),
        server,
        phones: plan.phones(),
        load,
        db_bytes,
        samples,
        digest: digest.0,
        machine: Machine::read(),
    })
}

/// Writes the plan in transactions of `--batch` customers (with their contacts, phones and
/// sites) or units.
async fn load(db: &Db, plan: &Plan, args: &Args) -> Result<LoadStats> {
    let batch = args.batch.max(1);
    let mut rows = 0;
    let t = Instant::now();
    let mut tx = db.begin().await?;
    for p in &plan.products {
        product_store::insert_product(tx.conn(), p).await?;
        rows += 1;
    }
    tx.commit().await?;
    for (i, chunk) in plan.customers.chunks(batch).enumerate() {
        let mut tx = db.begin().await?;
        for c in chunk {
            customer_store::insert(tx.conn(), &c.rec).await?;
            for k in &c.contacts {
                customer_store::insert_contact(tx.conn(), k).await?;
            }
            for p in &c.phones {
                customer_store::insert_phone(tx.conn(), p).await?;
            }
            for s in &c.sites {
                customer_store::insert_site(tx.conn(), s).await?;
            }
            rows += 1 + c.contacts.len() + c.phones.len() + c.sites.len();
        }
        tx.commit().await?;
        progress("customers", (i + 1) * batch, plan.customers.len(), t);
    }
    let customers = t.elapsed();
    let t = Instant::now();
    for (i, chunk) in plan.units.chunks(batch).enumerate() {
        let mut tx = db.begin().await?;
        for u in chunk {
            unit_store::insert(tx.conn(), u).await?;
        }
        rows += chunk.len();
        tx.commit().await?;
        progress("units", (i + 1) * batch, plan.units.len(), t);
    }
    let units = t.elapsed();
    // What the server would do on its own soon after a bulk load (autovacuum), or what
    // SQLite does on its own at the next checkpoint; SQLite is never ANALYZEd by the app,
    // so it is not here either.
    let t = Instant::now();
    after_load(db, args.backend).await?;
    Ok(LoadStats {
        customers,
        units,
        after: t.elapsed(),
        rows,
    })
}

fn progress(what: &str, done: usize, total: usize, since: Instant) {
    let done = done.min(total);
    if done == total || done.is_multiple_of(50_000) {
        eprintln!(
            "  {what}: {done}/{total} ({:.1} s)",
            since.elapsed().as_secs_f64()
        );
    }
}

// ---------------------------------------------------------------------------------------
// The data

// Names with the initials of their pinyin, as the app's `pinyin_initials` gives them
// (this crate does not depend on `pinyin`; the lists were checked against it, including
// its readings of 曾 → c and 长 → z).

const SURNAMES: &[(&str, &str)] = &[
    ("王", "w"),
    ("李", "l"),
    ("张", "z"),
    ("刘", "l"),
    ("陈", "c"),
    ("杨", "y"),
    ("黄", "h"),
    ("赵", "z"),
    ("吴", "w"),
    ("周", "z"),
    ("徐", "x"),
    ("孙", "s"),
    ("马", "m"),
    ("朱", "z"),
    ("胡", "h"),
    ("郭", "g"),
    ("何", "h"),
    ("高", "g"),
    ("林", "l"),
    ("罗", "l"),
    ("郑", "z"),
    ("梁", "l"),
    ("谢", "x"),
    ("宋", "s"),
    ("唐", "t"),
    ("许", "x"),
    ("韩", "h"),
    ("冯", "f"),
    ("邓", "d"),
    ("曹", "c"),
    ("彭", "p"),
    ("曾", "c"),
    ("肖", "x"),
    ("田", "t"),
    ("董", "d"),
    ("袁", "y"),
    ("潘", "p"),
    ("于", "y"),
    ("蒋", "j"),
    ("蔡", "c"),
    ("杜", "d"),
    ("叶", "y"),
    ("程", "c"),
    ("苏", "s"),
    ("魏", "w"),
    ("吕", "l"),
    ("丁", "d"),
    ("任", "r"),
    ("沈", "s"),
    ("姚", "y"),
    ("卢", "l"),
    ("姜", "j"),
    ("崔", "c"),
    ("钟", "z"),
    ("谭", "t"),
    ("陆", "l"),
    ("范", "f"),
    ("金", "j"),
    ("石", "s"),
    ("贾", "j"),
    ("夏", "x"),
    ("付", "f"),
    ("方", "f"),
    ("白", "b"),
    ("邹", "z"),
    ("孟", "m"),
    ("熊", "x"),
    ("秦", "q"),
    ("邱", "q"),
    ("江", "j"),
    ("尹", "y"),
    ("薛", "x"),
    ("闫", "y"),
    ("段", "d"),
    ("雷", "l"),
    ("侯", "h"),
    ("龙", "l"),
    ("史", "s"),
    ("陶", "t"),
    ("贺", "h"),
    ("顾", "g"),
    ("毛", "m"),
    ("郝", "h"),
    ("邵", "s"),
    ("万", "w"),
    ("常", "c"),
    ("关", "g"),
    ("佟", "t"),
    ("那", "n"),
    ("富", "f"),
];

const GIVEN_NAMES: &[(&str, &str)] = &[
    ("伟", "w"),
    ("芳", "f"),
    ("娜", "n"),
    ("秀英", "xy"),
    ("敏", "m"),
    ("静", "j"),
    ("丽", "l"),
    ("强", "q"),
    ("磊", "l"),
    ("军", "j"),
    ("洋", "y"),
    ("勇", "y"),
    ("艳", "y"),
    ("杰", "j"),
    ("娟", "j"),
    ("涛", "t"),
    ("明", "m"),
    ("超", "c"),
    ("秀兰", "xl"),
    ("霞", "x"),
    ("平", "p"),
    ("刚", "g"),
    ("桂英", "gy"),
    ("建华", "jh"),
    ("建国", "jg"),
    ("玉兰", "yl"),
    ("志强", "zq"),
    ("海燕", "hy"),
    ("红梅", "hm"),
    ("文博", "wb"),
    ("子涵", "zh"),
    ("浩然", "hr"),
    ("雨桐", "yt"),
    ("晓东", "xd"),
    ("春生", "cs"),
    ("丽华", "lh"),
    ("国庆", "gq"),
    ("金凤", "jf"),
    ("淑珍", "sz"),
    ("宏伟", "hw"),
    ("立新", "lx"),
    ("振华", "zh"),
    ("晓燕", "xy"),
    ("凤英", "fy"),
    ("德福", "df"),
    ("玉珍", "yz"),
    ("长青", "zq"),
    ("宝山", "bs"),
    ("秀梅", "xm"),
    ("海波", "hb"),
    ("春雨", "cy"),
    ("冬梅", "dm"),
    ("铁柱", "tz"),
    ("永刚", "yg"),
    ("雪莹", "xy"),
    ("思远", "sy"),
    ("佳怡", "jy"),
    ("俊杰", "jj"),
    ("欣然", "xr"),
    ("一鸣", "ym"),
    ("淑芬", "sf"),
    ("国华", "gh"),
    ("桂兰", "gl"),
    ("德胜", "ds"),
    ("丽娟", "lj"),
    ("树林", "sl"),
    ("玉梅", "ym"),
    ("成", "c"),
    ("鹏", "p"),
    ("博", "b"),
    ("岩", "y"),
    ("爽", "s"),
    ("丹", "d"),
    ("旭", "x"),
    ("志刚", "zg"),
    ("秀珍", "xz"),
    ("建军", "jj"),
    ("婷婷", "tt"),
    ("小红", "xh"),
    ("云飞", "yf"),
    ("振宇", "zy"),
    ("美玲", "ml"),
    ("子轩", "zx"),
    ("梓萱", "zx"),
    ("宇航", "yh"),
    ("诗涵", "sh"),
    ("明辉", "mh"),
    ("海龙", "hl"),
    ("凤兰", "fl"),
    ("玉华", "yh"),
];

/// Trade names (字号) of companies.
const TRADE_NAMES: &[(&str, &str)] = &[
    ("鑫达", "xd"),
    ("华锐", "hr"),
    ("恒信", "hx"),
    ("东方", "df"),
    ("金桥", "jq"),
    ("北方", "bf"),
    ("新世纪", "xsj"),
    ("宏远", "hy"),
    ("天成", "tc"),
    ("盛京", "sj"),
    ("海天", "ht"),
    ("辽河", "lh"),
    ("永安", "ya"),
    ("瑞丰", "rf"),
    ("嘉和", "jh"),
    ("中立", "zl"),
    ("博远", "by"),
    ("远航", "yh"),
    ("利民", "lm"),
    ("兴业", "xy"),
    ("富华", "fh"),
    ("长城", "zc"),
    ("诚信", "cx"),
    ("聚源", "jy"),
    ("华晨", "hc"),
    ("万通", "wt"),
    ("德润", "dr"),
    ("安泰", "at"),
    ("银河", "yh"),
    ("启明", "qm"),
    ("同创", "tc"),
    ("鼎盛", "ds"),
];

/// (usual name's part, its initials, full name's part, its initials)
const BUSINESSES: &[(&str, &str, &str, &str)] = &[
    ("物业", "wy", "物业管理有限公司", "wyglyxgs"),
    ("精密机械", "jmjx", "精密机械有限公司", "jmjxyxgs"),
    ("汽车零部件", "qclbj", "汽车零部件有限公司", "qclbjyxgs"),
    ("食品", "sp", "食品有限公司", "spyxgs"),
    ("制药", "zy", "制药有限公司", "zyyxgs"),
    ("酒店", "jd", "酒店管理有限公司", "jdglyxgs"),
    ("商贸", "sm", "商贸有限公司", "smyxgs"),
];

/// A district: GB/T 2260 code, city (and its initials), district, area code, local
/// number length, streets.
struct District {
    code: &'static str,
    city: &'static str,
    city_initials: &'static str,
    district: &'static str,
    area: &'static str,
    local_len: u32,
    streets: &'static [&'static str],
}

const DISTRICTS: &[District] = &[
    District {
        code: "210102",
        city: "沈阳",
        city_initials: "sy",
        district: "和平区",
        area: "024",
        local_len: 8,
        streets: &["南京北街", "中华路", "太原北街", "三好街"],
    },
    District {
        code: "210106",
        city: "沈阳",
        city_initials: "sy",
        district: "铁西区",
        area: "024",
        local_len: 8,
        streets: &["兴华南街", "北二中路", "建设西路", "重工街"],
    },
    District {
        code: "210202",
        city: "大连",
        city_initials: "dl",
        district: "中山区",
        area: "0411",
        local_len: 8,
        streets: &["人民路", "中山路", "鲁迅路", "友好路"],
    },
    District {
        code: "210213",
        city: "大连",
        city_initials: "dl",
        district: "金州区",
        area: "0411",
        local_len: 8,
        streets: &["斯大林路", "金马路", "五一路"],
    },
    District {
        code: "210302",
        city: "鞍山",
        city_initials: "as",
        district: "铁东区",
        area: "0412",
        local_len: 7,
        streets: &["二道街", "胜利南路", "园林路"],
    },
    District {
        code: "210802",
        city: "营口",
        city_initials: "yk",
        district: "站前区",
        area: "0417",
        local_len: 7,
        streets: &["渤海大街", "新兴大街", "学府路"],
    },
    District {
        code: "211103",
        city: "盘锦",
        city_initials: "pj",
        district: "兴隆台区",
        area: "0427",
        local_len: 7,
        streets: &["兴隆台街", "石油大街", "泰山路"],
    },
];

const TITLES: &[&str] = &[
    "设备科长",
    "采购",
    "设备主管",
    "总经理",
    "工程部经理",
    "厂长",
];

/// (code, name, product line, serial key, bought by households)
const PRODUCTS: &[(&str, &str, &str, &str, bool)] = &[
    ("KT-2P", "2匹壁挂式空调", "空调", "KT2P", true),
    ("KT-5P", "5匹柜式空调", "空调", "KT5P", true),
    ("JSQ-400", "400G家用净水器", "水处理设备", "JSQ400", true),
    (
        "SC-20T",
        "20吨/时反渗透纯水设备",
        "水处理设备",
        "SC20T",
        false,
    ),
    ("DT-1000", "1000kg乘客电梯", "电梯", "DT1000", false),
    ("CNC-650", "VMC650立式加工中心", "数控机床", "CNC650", false),
];

const MOBILE_PREFIXES: &[&str] = &[
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155",
    "156", "158", "159", "180", "182", "183", "185", "186", "187", "188", "189",
];

/// No generated phone contains this, so queries with it are sure misses.
const NEVER_IN_PHONES: &str = "4567";

struct PlannedCustomer {
    rec: CustomerRecord,
    contacts: Vec<ContactRow>,
    phones: Vec<PhoneRow>,
    sites: Vec<SiteRow>,
    /// Pinyin initials of the name (and of the company's full name).
    initials: Vec<String>,
    /// For companies: the trade name and the city.
    trade: Option<(&'static str, &'static str)>,
}

struct Plan {
    products: Vec<ProductRecord>,
    customers: Vec<PlannedCustomer>,
    units: Vec<UnitRecord>,
}

impl Plan {
    fn contacts(&self) -> usize {
        self.customers.iter().map(|c| c.contacts.len()).sum()
    }
    fn phones(&self) -> usize {
        self.customers.iter().map(|c| c.phones.len()).sum()
    }
    fn sites(&self) -> usize {
        self.customers.iter().map(|c| c.sites.len()).sum()
    }
}

/// What `customers.rs::search_text` writes: lower-case name and company, then the pinyin
/// initials of each, space-separated.
fn search_text(name: &str, company: Option<&str>, initials: &[String]) -> String {
    let mut t = name.to_lowercase();
    if let Some(c) = company {
        t.push(' ');
        t.push_str(&c.to_lowercase());
    }
    let initials = initials.join(" ");
    if !initials.trim().is_empty() {
        t.push(' ');
        t.push_str(&initials);
    }
    t
}

struct PhoneGen {
    used: HashSet<String>,
}

impl PhoneGen {
    fn fresh(&mut self, rng: &mut Rng, make: impl Fn(&mut Rng) -> String) -> String {
        loop {
            let n = make(rng);
            let digits = Phone::digits_of(&n);
            if !digits.contains(NEVER_IN_PHONES) && self.used.insert(digits) {
                return n;
            }
        }
    }

    /// 11 digits, written `13800138000`, `138 0013 8000` or `138-0013-8000`.
    fn mobile(&mut self, rng: &mut Rng) -> String {
        self.fresh(rng, |rng| {
            let d = format!("{}{:08}", rng.pick(MOBILE_PREFIXES), rng.below(100_000_000));
            match rng.below(10) {
                0 => format!("{} {} {}", &d[..3], &d[3..7], &d[7..]),
                1 => format!("{}-{}-{}", &d[..3], &d[3..7], &d[7..]),
                _ => d,
            }
        })
    }

    /// `024-23456789`, `0412-5123456`.
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

fn date_text(rng: &mut Rng, year: i64) -> String {
    format!("{year}-{:02}-{:02}", 1 + rng.below(12), 1 + rng.below(28))
}

fn plan(args: &Args) -> Plan {
    let mut rng = Rng::new(args.seed);
    let now = jiff::Timestamp::now();
    let products: Vec<ProductRecord> = PRODUCTS
        .iter()
        .map(|(code, name, line, _, _)| ProductRecord {
            id: ProductId(rng.uuid()),
            code: (*code).into(),
            name: (*name).into(),
            product_line: (*line).into(),
            maintenance_interval_months: Some(12),
            policy_id: None,
            version: 1,
            created_at: now,
            updated_at: now,
        })
        .collect();
    let mut phones = PhoneGen {
        used: HashSet::new(),
    };
    let person = |rng: &mut Rng| {
        let (s, si) = rng.pick(SURNAMES);
        let (g, gi) = rng.pick(GIVEN_NAMES);
        (format!("{s}{g}"), format!("{si}{gi}"))
    };

    let mut customers = Vec::with_capacity(args.customers);
    for n in 1..=args.customers {
        let id = CustomerId(rng.uuid());
        let cid = id.to_string();
        let d = rng.pick(DISTRICTS);
        let is_company = rng.chance(15);
        let street = rng.pick(d.streets);
        let no = 1 + rng.below(360);
        let (name, company, initials, trade, contacts_named) = if is_company {
            let (t, ti) = rng.pick(TRADE_NAMES);
            let (bs, bsi, bf, bfi) = rng.pick(BUSINESSES);
            let contacts: Vec<(String, Option<String>)> = (0..1 + rng.below(2))
                .map(|_| (person(&mut rng).0, Some((*rng.pick(TITLES)).to_owned())))
                .collect();
            (
                format!("{t}{bs}"),
                Some(format!("{}{t}{bf}", d.city)),
                vec![
                    format!("{ti}{bsi}"),
                    format!("{}{ti}{bfi}", d.city_initials),
                ],
                Some((*t, d.city)),
                contacts,
            )
        } else {
            let (name, ini) = person(&mut rng);
            (name.clone(), None, vec![ini], None, vec![(name, None)])
        };
        let address = if is_company {
            format!("{}市{}{street}{no}号", d.city, d.district)
        } else {
            format!(
                "{}市{}{street}{no}号{}单元{}0{}室",
                d.city,
                d.district,
                1 + rng.below(6),
                1 + rng.below(18),
                1 + rng.below(4)
            )
        };
        let rec = CustomerRecord {
            id,
            number: format!("CU{n:06}"),
            kind: if is_company { "company" } else { "individual" }.into(),
            search_text: search_text(&name, company.as_deref(), &initials),
            name,
            company,
            region_code: Some(d.code.into()),
            notes: None,
            // Completeness plays no part in search; every generated record has a site and
            // a region, and all but 1 % a phone (not tracked here).
            complete_pct: 100,
            missing: String::new(),
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let mut contacts = Vec::new();
        let mut phone_rows = Vec::new();
        // 1 % left no phone; persons have a mobile and sometimes a landline; each contact
        // of a company a mobile, the first one sometimes the office landline.
        let no_phone = rng.chance(1);
        for (i, (cname, title)) in contacts_named.into_iter().enumerate() {
            let kid = rng.uuid().to_string();
            if !no_phone {
                let mut numbers = vec![phones.mobile(&mut rng)];
                if i == 0 && rng.chance(if is_company { 40 } else { 15 }) {
                    numbers.push(phones.landline(&mut rng, d));
                }
                for number in numbers {
                    phone_rows.push(PhoneRow {
                        id: rng.uuid().to_string(),
                        customer_id: cid.clone(),
                        contact_id: Some(kid.clone()),
                        digits: Phone::digits_of(&number),
                        number,
                        position: phone_rows.len() as i64 + 1,
                    });
                }
            }
            contacts.push(ContactRow {
                id: kid,
                customer_id: cid.clone(),
                name: cname,
                title,
                is_primary: i64::from(i == 0),
                position: i as i64,
            });
        }
        let sites = vec![SiteRow {
            id: rng.uuid().to_string(),
            customer_id: cid,
            label: if is_company { "厂区" } else { "主地址" }.into(),
            address,
            region_code: Some(d.code.into()),
            latitude: None,
            longitude: None,
            position: 0,
        }];
        customers.push(PlannedCustomer {
            rec,
            contacts,
            phones: phone_rows,
            sites,
            initials,
            trade,
        });
    }

    let companies: Vec<usize> = (0..customers.len())
        .filter(|i| customers[*i].trade.is_some())
        .collect();
    let persons: Vec<usize> = (0..customers.len())
        .filter(|i| customers[*i].trade.is_none())
        .collect();
    // Running numbers per (model, year), and serials of other makers never twice.
    let mut next: Vec<u64> = vec![0; PRODUCTS.len() * 10];
    let mut third: HashSet<String> = HashSet::new();
    let mut units = Vec::with_capacity(args.units);
    for _ in 0..args.units {
        // Half the units are at companies, 2 % are in stock (no owner).
        let owner = if rng.chance(2) {
            None
        } else if (rng.chance(50) && !companies.is_empty()) || persons.is_empty() {
            companies.get(rng.below(companies.len())).copied()
        } else {
            persons.get(rng.below(persons.len())).copied()
        };
        let household = owner.is_none_or(|i| customers[i].trade.is_none());
        let models: Vec<usize> = (0..PRODUCTS.len())
            .filter(|m| PRODUCTS[*m].4 == household || (!household && PRODUCTS[*m].0 == "KT-5P"))
            .collect();
        let m = *rng.pick(&models);
        let year = 2017 + rng.below(10) as i64;
        let (manufacturer, serial) = match rng.below(100) {
            0 => (OWN_MANUFACTURER.to_owned(), None),
            1..=5 => {
                let maker = if rng.chance(50) { "格力" } else { "美的" };
                let s = loop {
                    let s = if maker == "格力" {
                        format!("GL{:02}{:09}", year % 100, rng.below(1_000_000_000))
                    } else {
                        format!(
                            "MD{year}{:02}{:08}",
                            1 + rng.below(12),
                            rng.below(100_000_000)
                        )
                    };
                    if third.insert(s.clone()) {
                        break s;
                    }
                };
                (maker.to_owned(), Some(s))
            }
            _ => {
                let slot = &mut next[m * 10 + (year - 2017) as usize];
                *slot = if *slot == 0 {
                    100 + rng.below(400) as u64
                } else {
                    *slot + 1 + rng.below(3) as u64
                };
                (
                    OWN_MANUFACTURER.to_owned(),
                    Some(format!("{}-{year}-{:06}", PRODUCTS[m].3, *slot)),
                )
            }
        };
        let sale = date_text(&mut rng, year);
        units.push(UnitRecord {
            id: UnitId(rng.uuid()),
            third_party: manufacturer != OWN_MANUFACTURER,
            manufacturer,
            serial_norm: serial.as_deref().map(Serial::normalize),
            serial,
            product_id: products[m].id,
            customer_id: owner.map(|i| customers[i].rec.id),
            site_id: owner.map(|i| customers[i].sites[0].id.clone()),
            manufacture_date: None,
            ship_date: None,
            installation_date: Some(sale.clone()),
            sale_date: Some(sale),
            acceptance_date: None,
            dealer: None,
            oem: false,
            version: 1,
            created_at: now,
            updated_at: now,
        });
    }
    Plan {
        products,
        customers,
        units,
    }
}

// ---------------------------------------------------------------------------------------
// The queries

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    PhoneDigits,
    PhoneTyped,
    Surname,
    FullName,
    Initials,
    Company,
    SerialPrefix,
    SerialTail,
    CustomerNumber,
    Miss,
}

impl Kind {
    /// Every kind with its share of the queries, in percent.
    const MIX: &[(Kind, usize)] = &[
        (Kind::PhoneDigits, 20),
        (Kind::PhoneTyped, 10),
        (Kind::Surname, 8),
        (Kind::FullName, 12),
        (Kind::Initials, 10),
        (Kind::Company, 6),
        (Kind::SerialPrefix, 12),
        (Kind::SerialTail, 4),
        (Kind::CustomerNumber, 8),
        (Kind::Miss, 10),
    ];

    fn label(self) -> &'static str {
        match self {
            Kind::PhoneDigits => "phone, 4–8 digits",
            Kind::PhoneTyped => "phone, typed (+86, spaces, dashes)",
            Kind::Surname => "surname (1 character)",
            Kind::FullName => "full name",
            Kind::Initials => "pinyin initials",
            Kind::Company => "company name",
            Kind::SerialPrefix => "serial prefix (5–10 chars)",
            Kind::SerialTail => "serial tail (4–8 chars)",
            Kind::CustomerNumber => "customer number",
            Kind::Miss => "miss (nothing matches)",
        }
    }
}

/// `n` queries in the proportions of `Kind::MIX`, shuffled.
fn queries(plan: &Plan, rng: &mut Rng, n: usize) -> Vec<(Kind, String)> {
    let mut kinds = Vec::with_capacity(n);
    for (k, share) in Kind::MIX {
        kinds.extend(std::iter::repeat_n(*k, n * share / 100));
    }
    while kinds.len() < n {
        kinds.push(Kind::PhoneDigits);
    }
    rng.shuffle(&mut kinds);
    kinds
        .into_iter()
        .map(|k| (k, query(plan, rng, k)))
        .collect()
}

fn query(plan: &Plan, rng: &mut Rng, kind: Kind) -> String {
    let customers = &plan.customers;
    let any = |rng: &mut Rng| &customers[rng.below(customers.len())];
    let any_phone = |rng: &mut Rng| loop {
        let c = &customers[rng.below(customers.len())];
        if !c.phones.is_empty() {
            return c.phones[rng.below(c.phones.len())].digits.clone();
        }
    };
    match kind {
        Kind::PhoneDigits => {
            let d = any_phone(rng);
            let len = 4 + rng.below(5);
            // What callers read out first: the start or the end, else anywhere.
            let start = match rng.below(3) {
                0 => 0,
                1 => d.len() - len,
                _ => rng.below(d.len() - len + 1),
            };
            d[start..start + len].to_owned()
        }
        Kind::PhoneTyped => {
            let d = any_phone(rng);
            let mobile = d.len() == 11 && d.starts_with('1');
            match rng.below(3) {
                0 if mobile => format!("+86 {} {} {}", &d[..3], &d[3..7], &d[7..]),
                1 if mobile => format!("{}-{}-{}", &d[..3], &d[3..7], &d[7..]),
                _ => {
                    let start = rng.below(d.len() - 6);
                    format!("{} {}", &d[start..start + 4], &d[start + 4..start + 7])
                }
            }
        }
        Kind::Surname => rng.pick(SURNAMES).0.to_owned(),
        Kind::FullName => loop {
            let c = any(rng);
            if c.trade.is_none() {
                return c.rec.name.clone();
            }
        },
        Kind::Initials => {
            let c = any(rng);
            let i = rng.pick(&c.initials);
            // The whole, or as far as the agent typed (at least 2 letters).
            let len = 2 + rng.below(i.len().saturating_sub(1).max(1));
            i[..len.min(i.len())].to_owned()
        }
        Kind::Company => loop {
            let c = any(rng);
            if let Some((trade, city)) = c.trade {
                return match rng.below(3) {
                    0 => trade.to_owned(),
                    1 => format!("{city}{trade}"),
                    _ => c.rec.name.clone(),
                };
            }
        },
        Kind::SerialPrefix => loop {
            let u = &plan.units[rng.below(plan.units.len())];
            if let Some(s) = &u.serial {
                let len = (5 + rng.below(6)).min(s.len());
                let p = &s[..len];
                return match rng.below(3) {
                    0 => p.to_lowercase(),
                    1 => Serial::normalize(p),
                    _ => p.to_owned(),
                };
            }
        },
        Kind::SerialTail => loop {
            let u = &plan.units[rng.below(plan.units.len())];
            if let Some(s) = &u.serial {
                let len = (4 + rng.below(5)).min(s.len());
                return s[s.len() - len..].to_owned();
            }
        },
        Kind::CustomerNumber => {
            let c = any(rng);
            if rng.chance(30) {
                c.rec.number.to_lowercase()
            } else {
                c.rec.number.clone()
            }
        }
        Kind::Miss => {
            let misses = [
                "没有这个人".to_owned(),
                "欧阳不存在".to_owned(),
                "xqzv".to_owned(),
                format!("1{NEVER_IN_PHONES}"),
                format!("139 {NEVER_IN_PHONES} 00"),
                "ZZX-9Q".to_owned(),
                "张三丰".to_owned(),
                "上海市浦东".to_owned(),
            ];
            rng.pick(&misses).clone()
        }
    }
}

// ---------------------------------------------------------------------------------------
// The report

struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

fn stats_row(label: &str, samples: &[&(Kind, String, f64, usize)]) -> String {
    let mut ms: Vec<f64> = samples.iter().map(|s| s.2).collect();
    ms.sort_by(f64::total_cmp);
    let hits: usize = samples.iter().map(|s| s.3).sum();
    format!(
        "| {label} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} |",
        ms.len(),
        hits as f64 / ms.len().max(1) as f64,
        percentile(&ms, 50.0),
        percentile(&ms, 95.0),
        percentile(&ms, 99.0),
        ms.last().copied().unwrap_or(f64::NAN),
    )
}

fn report(args: &Args, command: &str, date: &str, r: &Results) -> String {
    let mut s = String::new();
    let all: Vec<&(Kind, String, f64, usize)> = r.samples.iter().collect();
    let mut sorted: Vec<f64> = all.iter().map(|s| s.2).collect();
    sorted.sort_by(f64::total_cmp);
    let p95 = percentile(&sorted, 95.0);
    let _ = writeln!(
        s,
        "## {date} — {}, {} customers, {} units, {} queries\n",
        args.backend.name(),
        args.customers,
        args.units,
        args.queries
    );
    if let Some(note) = &args.note {
        let _ = writeln!(s, "{note}\n");
    }
    let _ = writeln!(s, "- Command: `{command}`");
    let _ = writeln!(
        s,
        "- Machine: {} cores (nproc), {} RAM, {}; {}; {}",
        r.machine.nproc, r.machine.memory, r.machine.cpu, r.machine.kernel, r.server
    );
    let _ = writeln!(
        s,
        "- Code: {}",
        git_state(&["crates/store/src/customers.rs", "crates/store/migrations"])
    );
    let _ = writeln!(
        s,
        "- Load: {} rows ({} customers, {} phones, {} units) in {:.1} s: customers {:.1} s, \
         units {:.1} s, {} {:.1} s; {} per transaction",
        r.load.rows,
        args.customers,
        r.phones,
        args.units,
        (r.load.customers + r.load.units + r.load.after).as_secs_f64(),
        r.load.customers.as_secs_f64(),
        r.load.units.as_secs_f64(),
        after_load_step(args.backend),
        r.load.after.as_secs_f64(),
        args.batch
    );
    let _ = writeln!(
        s,
        "- Database size: {:.1} MiB",
        r.db_bytes as f64 / 1_048_576.0
    );
    let _ = writeln!(
        s,
        "- Queries: `App::search_customers(&Ctx::system(\"bench\"), q, 10)`, one at a time, \
         after {} warm-up queries; hits digest `{:016x}`; 1-minute load average {} before, {} after",
        args.warmup, r.digest, r.load_avg.0, r.load_avg.1
    );
    if args.backend == BackendArg::Sqlite {
        let _ = writeln!(
            s,
            "- Target p95 < {TARGET_P95_MS:.0} ms: **{}** (p95 {p95:.1} ms)",
            if p95 < TARGET_P95_MS {
                "met"
            } else {
                "not met"
            }
        );
    }
    let _ = writeln!(
        s,
        "\n| kind | n | hits/query | p50 ms | p95 ms | p99 ms | max ms |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|");
    for (kind, _) in Kind::MIX {
        let of_kind: Vec<&(Kind, String, f64, usize)> =
            r.samples.iter().filter(|x| x.0 == *kind).collect();
        if !of_kind.is_empty() {
            let _ = writeln!(s, "{}", stats_row(kind.label(), &of_kind));
        }
    }
    let _ = writeln!(s, "{}", stats_row("**all**", &all));
    let mut slowest: Vec<&(Kind, String, f64, usize)> = r.samples.iter().collect();
    slowest.sort_by(|a, b| b.2.total_cmp(&a.2));
    let _ = writeln!(
        s,
        "\nSlowest: {}",
        slowest
            .iter()
            .take(5)
            .map(|x| format!("`{}` {:.1} ms", x.1, x.2))
            .collect::<Vec<_>>()
            .join(", ")
    );
    s
}
