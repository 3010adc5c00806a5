//! Imports at scale: the time `App::import` takes for a 10,000-row customers XLSX and a
//! 10,000-row units XLSX (dry run, then strict), on SQLite or PostgreSQL, and optionally for
//! a customers file converted from CSV by LibreOffice. See `bench/import/README.md`.
//!
//! ```text
//! cargo run --release -p aftersales --example import_bench -- --backend sqlite --rows 10000
//! ```
//!
//! The database is new (a temporary SQLite file, or a new PostgreSQL database at
//! `--pg-url`, dropped at the end). The files are generated with a fixed seed: Chinese
//! names, mobile numbers (half of them stored as numbers, as ERPs export them), addresses
//! with GB/T 2260 codes, serials, dates as date cells. The import goes through the same
//! use-case the API and the page call, with its checks, audit rows and batch row.

use aftersales_app::{
    App, AppConfig, Ctx, Db, DbOptions, ImportKind, ImportMode, ImportRequest, NewPolicy,
    NewProduct, PolicyVersionDto, SystemClock,
};
use aftersales_sheets::{Out, XlsxSheet, csv_rows};
use anyhow::{Context, Result, bail};
use clap::{Parser, ValueEnum};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum BackendArg {
    Sqlite,
    Postgres,
}

/// Time of 10,000-row imports.
#[derive(Parser, Debug)]
#[command(name = "import_bench")]
struct Args {
    #[arg(long, value_enum, default_value = "sqlite")]
    backend: BackendArg,
    /// Rows per file.
    #[arg(long, default_value_t = 10_000)]
    rows: usize,
    /// Also import a customers file converted from CSV by LibreOffice (`soffice`).
    #[arg(long)]
    libreoffice: bool,
    #[arg(
        long,
        env = "AFTERSALES_TEST_PG_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    pg_url: String,
    /// Where to append the results (default: bench/import/REPORT.md of the workspace).
    #[arg(long)]
    report: Option<PathBuf>,
    #[arg(long)]
    no_report: bool,
}

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &'a [&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "欧阳", "司马",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀英", "桂英", "建华", "志强", "海燕",
];
/// (region code, city and district as written in an address)
const DISTRICTS: &[(&str, &str)] = &[
    ("210102", "沈阳市和平区"),
    ("210103", "沈阳市沈河区"),
    ("210106", "沈阳市铁西区"),
    ("210202", "大连市中山区"),
    ("110105", "北京市朝阳区"),
    ("310115", "上海市浦东新区"),
    ("440305", "深圳市南山区"),
    ("510107", "成都市武侯区"),
];
const STREETS: &[&str] = &[
    "南京北街",
    "中山路",
    "人民路",
    "解放大路",
    "黄河大街",
    "建设路",
    "青年大街",
    "北二中路",
];
const DEALERS: &[&str] = &["沈阳百联家电", "大连国美", "北京苏宁", "上海永乐", ""];

fn customers_sheet(rng: &mut Rng, n: usize, phone_base: u64) -> (Vec<String>, Vec<Vec<Out>>) {
    let headers = [
        "客户名称",
        "客户类型",
        "公司",
        "联系人",
        "手机",
        "地址",
        "行政区划代码",
        "备注",
    ]
    .map(String::from)
    .to_vec();
    let mut rows = Vec::with_capacity(n);
    for i in 0..n {
        let name = format!("{}{}", rng.pick(SURNAMES), rng.pick(GIVEN));
        let (code, district) = DISTRICTS[rng.below(DISTRICTS.len())];
        let company = rng.below(5) == 0;
        let phone = phone_base + i as u64;
        rows.push(vec![
            Out::Text(if company {
                format!("{district}{}机电有限公司{i}", rng.pick(STREETS))
            } else {
                name.clone()
            }),
            Out::Text(if company { "企业" } else { "个人" }.into()),
            if company {
                Out::Text(format!("{district}{}机电有限公司{i}", rng.pick(STREETS)))
            } else {
                Out::Empty
            },
            Out::Text(name),
            // Half the numbers as numbers, as ERPs export them.
            if i % 2 == 0 {
                Out::Int(phone as i64)
            } else {
                Out::Text(format!(
                    "{} {:04} {:04}",
                    phone / 100_000_000,
                    phone / 10_000 % 10_000,
                    phone % 10_000
                ))
            },
            Out::Text(format!(
                "{district}{}{}号",
                rng.pick(STREETS),
                phone % 100_000_000
            )),
            Out::Int(code.parse().unwrap_or(0)),
            Out::Empty,
        ]);
    }
    (headers, rows)
}

fn units_sheet(rng: &mut Rng, n: usize, phone_base: u64) -> (Vec<String>, Vec<Vec<Out>>) {
    let headers = [
        "机身编码",
        "型号",
        "客户电话",
        "销售日期",
        "安装日期",
        "经销商",
        "OEM",
    ]
    .map(String::from)
    .to_vec();
    let mut rows = Vec::with_capacity(n);
    for i in 0..n {
        let sale = jiff::civil::date(2021, 1, 1)
            .checked_add(jiff::Span::new().days(rng.below(1400) as i64))
            .unwrap_or(jiff::civil::date(2023, 1, 1));
        let install = sale
            .checked_add(jiff::Span::new().days(rng.below(20) as i64))
            .unwrap_or(sale);
        rows.push(vec![
            Out::Text(format!("KT5P-{}-{:06}", sale.year(), i)),
            Out::Text(if i % 3 == 0 { "KT-3P" } else { "KT-5P" }.into()),
            Out::Int((phone_base + rng.below(n) as u64) as i64),
            Out::Date(sale),
            Out::Date(install),
            Out::Text(rng.pick(DEALERS).into()),
            Out::Text(if i % 10 == 0 { "是" } else { "否" }.into()),
        ]);
    }
    (headers, rows)
}

fn xlsx(name: &str, headers: &[String], rows: &[Vec<Out>]) -> Result<Vec<u8>> {
    let widths = vec![16.0; headers.len()];
    let mut s = XlsxSheet::new(name, headers, &widths).map_err(anyhow::Error::msg)?;
    for r in rows {
        s.write_row(r).map_err(anyhow::Error::msg)?;
    }
    s.finish().map_err(anyhow::Error::msg)
}

/// One timed import.
struct Run {
    label: String,
    file_bytes: usize,
    rows: u64,
    created: u64,
    invalid: u64,
    ms: f64,
}

async fn timed(
    app: &App,
    label: &str,
    kind: ImportKind,
    mode: ImportMode,
    bytes: &[u8],
) -> Result<Run> {
    let req = ImportRequest {
        kind,
        mode,
        action: aftersales_app::ImportAction::Create,
        bytes: bytes.to_vec(),
        file_name: Some(format!("{label}.xlsx")),
        sheet: None,
        mapping: Default::default(),
    };
    let t = Instant::now();
    let r = app
        .import(&Ctx::system("bench"), &req)
        .await
        .map_err(|e| anyhow::anyhow!("{label}: {e} ({})", e.code()))?;
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    if r.invalid_rows > 0 {
        eprintln!(
            "{label}: first errors: {:?}",
            &r.errors[..r.errors.len().min(5)]
        );
    }
    let run = Run {
        label: label.to_owned(),
        file_bytes: bytes.len(),
        rows: r.total_rows,
        created: r.created,
        invalid: r.invalid_rows,
        ms,
    };
    eprintln!(
        "  {:<40} {:>6} rows  {:>6} created  {:>5} invalid  {:>9.0} ms",
        run.label, run.rows, run.created, run.invalid, run.ms
    );
    Ok(run)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let args = Args::parse();
    let command = format!(
        "cargo run --release -p aftersales --example import_bench -- {}",
        std::env::args().skip(1).collect::<Vec<_>>().join(" ")
    );
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let (url, dir, pg_name) = match args.backend {
        BackendArg::Sqlite => {
            let dir = std::env::temp_dir().join(format!("aftersales-import-bench-{tag}"));
            std::fs::create_dir_all(&dir)?;
            (
                format!("sqlite://{}", dir.join("aftersales.db").display()),
                Some(dir),
                None,
            )
        }
        BackendArg::Postgres => {
            use sqlx::Connection;
            sqlx::any::install_default_drivers();
            let name = format!("as_import_bench_{tag}");
            let mut c = sqlx::AnyConnection::connect(&args.pg_url)
                .await
                .with_context(|| format!("PostgreSQL is not reachable at {}", args.pg_url))?;
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut c)
                .await?;
            c.close().await.ok();
            let base = args
                .pg_url
                .rsplit_once('/')
                .map(|(b, _)| b.to_owned())
                .context("the PostgreSQL URL names no database")?;
            (format!("{base}/{name}"), None, Some(name))
        }
    };
    let result = run(&args, &url).await;
    if let Some(d) = dir {
        let _ = std::fs::remove_dir_all(d);
    }
    if let Some(name) = pg_name {
        use sqlx::Connection;
        if let Ok(mut c) = sqlx::AnyConnection::connect(&args.pg_url).await {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut c)
            .await;
        }
    }
    let (runs, server, lo_version) = result?;
    let section = report(&args, &command, &runs, &server, lo_version.as_deref());
    println!("{section}");
    if !args.no_report {
        let path = args.report.clone().unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/import/REPORT.md")
        });
        let new = !path.exists();
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)?;
        if new {
            writeln!(
                f,
                "# Import benchmark: results\n\nOne section per run of \
                 `crates/cli/examples/import_bench.rs`, newest last. How to run it and what it \
                 measures: [README.md](README.md).\n"
            )?;
        }
        writeln!(f, "{section}")?;
        eprintln!("appended to {}", path.display());
    }
    Ok(())
}

async fn run(args: &Args, url: &str) -> Result<(Vec<Run>, String, Option<String>)> {
    let db = Db::connect(url, &DbOptions::default()).await?;
    db.migrate().await?;
    let server: String = match args.backend {
        BackendArg::Sqlite => {
            let v: String = sqlx::query_scalar("SELECT sqlite_version()")
                .fetch_one(db.pool())
                .await?;
            format!("SQLite {v}")
        }
        BackendArg::Postgres => sqlx::query_scalar::<_, String>("SELECT version()")
            .fetch_one(db.pool())
            .await?
            .split(" on ")
            .next()
            .unwrap_or_default()
            .to_owned(),
    };
    let app = App::new(db, Arc::new(SystemClock), AppConfig::default());
    let ctx = Ctx::system("bench");
    let version = |months| PolicyVersionDto {
        effective_from: "2020-01-01".into(),
        months,
        start_basis: "sale_date".into(),
        in_warranty: aftersales_app::CoverageDto {
            parts: "free".into(),
            labor: "free".into(),
            travel: "free".into(),
        },
        after: Vec::new(),
        exclusion_charge: "cost_price".into(),
        note: None,
    };
    app.create_policy(
        &ctx,
        &NewPolicy {
            code: "Y3".into(),
            name: "三年保修".into(),
            version: version(36),
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("policy: {e}"))?;
    for (code, name) in [("KT-5P", "5匹柜式空调"), ("KT-3P", "3匹柜式空调")] {
        app.create_product(
            &ctx,
            &NewProduct {
                code: code.into(),
                name: name.into(),
                product_line: "空调".into(),
                maintenance_interval_months: Some(6),
                policy_code: Some("Y3".into()),
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("product: {e}"))?;
    }
    let n = args.rows;
    let mut rng = Rng(0x1A4B_0C7D_2E3F_4051);
    let base = 139_0000_0000u64;
    let t = Instant::now();
    let (ch, cr) = customers_sheet(&mut rng, n, base);
    let customers = xlsx("客户", &ch, &cr)?;
    let (uh, ur) = units_sheet(&mut rng, n, base);
    let units = xlsx("设备", &uh, &ur)?;
    eprintln!(
        "import_bench: {n}-row files written in {:.1} s ({} KiB and {} KiB)",
        t.elapsed().as_secs_f64(),
        customers.len() / 1024,
        units.len() / 1024
    );
    let mut runs = Vec::new();
    runs.push(
        timed(
            &app,
            "customers XLSX, dry run",
            ImportKind::Customers,
            ImportMode::DryRun,
            &customers,
        )
        .await?,
    );
    runs.push(
        timed(
            &app,
            "customers XLSX, strict",
            ImportKind::Customers,
            ImportMode::Strict,
            &customers,
        )
        .await?,
    );
    runs.push(
        timed(
            &app,
            "units XLSX, dry run",
            ImportKind::Units,
            ImportMode::DryRun,
            &units,
        )
        .await?,
    );
    runs.push(
        timed(
            &app,
            "units XLSX, strict",
            ImportKind::Units,
            ImportMode::Strict,
            &units,
        )
        .await?,
    );
    // The same customers again: every row is a likely duplicate, nothing is written.
    runs.push(
        timed(
            &app,
            "customers XLSX again, lenient (all rejected)",
            ImportKind::Customers,
            ImportMode::Lenient,
            &customers,
        )
        .await?,
    );
    let mut lo_version = None;
    if args.libreoffice {
        let (h, rows) = customers_sheet(&mut rng, n, base + 10_000_000);
        let dir = std::env::temp_dir().join(format!(
            "aftersales-import-bench-lo-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir)?;
        let mut csv = csv_rows(&[h.into_iter().map(Out::Text).collect()]);
        csv.extend(csv_rows(&rows));
        std::fs::write(dir.join("customers.csv"), csv)?;
        let t = Instant::now();
        let out = std::process::Command::new("soffice")
            .arg("--headless")
            .arg(format!(
                "-env:UserInstallation=file://{}/profile",
                dir.display()
            ))
            .args([
                "--infilter=CSV:44,34,76,1",
                "--convert-to",
                "xlsx",
                "--outdir",
            ])
            .arg(&dir)
            .arg(dir.join("customers.csv"))
            .output()
            .context("running soffice")?;
        if !out.status.success() {
            bail!("soffice failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        eprintln!(
            "  LibreOffice converted the CSV in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        let bytes = std::fs::read(dir.join("customers.xlsx"))?;
        runs.push(
            timed(
                &app,
                "customers XLSX by LibreOffice, strict",
                ImportKind::Customers,
                ImportMode::Strict,
                &bytes,
            )
            .await?,
        );
        lo_version = std::process::Command::new("soffice")
            .arg("--version")
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
        let _ = std::fs::remove_dir_all(dir);
    }
    app.db().close().await;
    Ok((runs, server, lo_version))
}

fn report(args: &Args, command: &str, runs: &[Run], server: &str, lo: Option<&str>) -> String {
    let cmd = |c: &str, a: &[&str]| {
        std::process::Command::new(c)
            .args(a)
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default()
    };
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default();
    let mem = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| format!("{:.1} GiB", kb / 1_048_576.0))
        .unwrap_or_default();
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_owned))
        .unwrap_or_default();
    let date = jiff::Timestamp::now()
        .strftime("%Y-%m-%d %H:%M:%S UTC")
        .to_string();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let head = cmd(
        "git",
        &[
            "-C",
            &root.to_string_lossy(),
            "rev-parse",
            "--short",
            "HEAD",
        ],
    );
    let mut s = String::new();
    let backend = match args.backend {
        BackendArg::Sqlite => "sqlite",
        BackendArg::Postgres => "postgres",
    };
    let _ = writeln!(s, "## {date} — {backend}, {} rows per file\n", args.rows);
    let _ = writeln!(s, "- Command: `{command}`");
    let _ = writeln!(
        s,
        "- Machine: {} cores (nproc), {mem} RAM, {cpu}; {}; {server}",
        cmd("nproc", &[]),
        cmd("uname", &["-sr"])
    );
    let _ = writeln!(
        s,
        "- Code: {head}; 1-minute load average at the end: {load}"
    );
    if let Some(lo) = lo {
        let _ = writeln!(s, "- LibreOffice: {lo}");
    }
    let _ = writeln!(
        s,
        "- Each figure is one call of `App::import` (read the file, map, validate every row, check against the database, write in one transaction with an audit row per record), wall clock.\n"
    );
    let _ = writeln!(
        s,
        "| import | file | rows | created | rejected | seconds | rows/s |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|");
    for r in runs {
        let _ = writeln!(
            s,
            "| {} | {} KiB | {} | {} | {} | {:.2} | {:.0} |",
            r.label,
            r.file_bytes / 1024,
            r.rows,
            r.created,
            r.invalid,
            r.ms / 1000.0,
            r.rows as f64 / (r.ms / 1000.0)
        );
    }
    s
}
