//! What the benchmarks share: a fresh database to load, a seeded generator, the machine's
//! facts, percentiles and the report file. Each benchmark uses part of it.
#![allow(dead_code)]

use anyhow::{Context, Result};
use std::io::Write as _;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendArg {
    Sqlite,
    Postgres,
}

impl BackendArg {
    pub fn name(self) -> &'static str {
        match self {
            BackendArg::Sqlite => "sqlite",
            BackendArg::Postgres => "postgres",
        }
    }
}

/// `a` as a POSIX shell reads it back: quoted unless plain.
pub fn shell_quoted(a: &str) -> String {
    if !a.is_empty()
        && a.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c))
    {
        a.to_owned()
    } else {
        format!("'{}'", a.replace('\'', "'\\''"))
    }
}

/// The command line that ran this example, to put in its report.
pub fn command_line(example: &str) -> String {
    format!(
        "cargo run --release -p aftersales --example {example} -- {}",
        std::env::args()
            .skip(1)
            .map(|a| shell_quoted(&a))
            .collect::<Vec<_>>()
            .join(" ")
    )
}

/// A fresh database: a temporary SQLite file, or a new PostgreSQL database.
pub struct Target {
    pub url: String,
    dir: Option<PathBuf>,
    pg_name: Option<String>,
    pg_url: String,
    tool: &'static str,
}

impl Target {
    /// `tool` names the directory or database (`aftersales-{tool}-…`, `as_bench_…`).
    pub async fn create(tool: &'static str, backend: BackendArg, pg_url: &str) -> Result<Target> {
        let tag = uuid::Uuid::new_v4().simple().to_string();
        match backend {
            BackendArg::Sqlite => {
                let dir = std::env::temp_dir().join(format!("aftersales-{tool}-{tag}"));
                std::fs::create_dir_all(&dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
                Ok(Target {
                    url: format!("sqlite://{}", dir.join("aftersales.db").display()),
                    dir: Some(dir),
                    pg_name: None,
                    pg_url: pg_url.to_owned(),
                    tool,
                })
            }
            BackendArg::Postgres => {
                use sqlx::Connection;
                sqlx::any::install_default_drivers();
                let name = format!("as_bench_{tag}");
                let mut c = sqlx::AnyConnection::connect(pg_url)
                    .await
                    .with_context(|| format!("PostgreSQL is not reachable at {pg_url}"))?;
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut c)
                    .await
                    .context("CREATE DATABASE")?;
                c.close().await.ok();
                // The same server and parameters (`?sslmode=…`, `?options=…`), the new
                // database.
                let (path, params) = match pg_url.split_once('?') {
                    Some((p, q)) => (p, format!("?{q}")),
                    None => (pg_url, String::new()),
                };
                let base = path
                    .rsplit_once('/')
                    .map(|(b, _)| b.to_owned())
                    .context("the PostgreSQL URL names no database")?;
                Ok(Target {
                    url: format!("{base}/{name}{params}"),
                    dir: None,
                    pg_name: Some(name),
                    pg_url: pg_url.to_owned(),
                    tool,
                })
            }
        }
    }

    pub async fn destroy(&self) {
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some(name) = &self.pg_name {
            use sqlx::Connection;
            let tool = self.tool;
            match sqlx::AnyConnection::connect(&self.pg_url).await {
                Ok(mut c) => {
                    if let Err(e) = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut c)
                    .await
                    {
                        eprintln!("{tool}: could not drop database {name}: {e}");
                    }
                    c.close().await.ok();
                }
                Err(e) => eprintln!("{tool}: could not drop database {name}: {e}"),
            }
        }
    }
}

/// The server's name and version.
pub async fn server_version(db: &aftersales_app::Db, backend: BackendArg) -> Result<String> {
    let sql = match backend {
        BackendArg::Sqlite => "SELECT 'SQLite ' || sqlite_version()",
        BackendArg::Postgres => "SELECT 'PostgreSQL ' || current_setting('server_version')",
    };
    let (v,): (String,) = sqlx::query_as(sql).fetch_one(db.pool()).await?;
    Ok(v)
}

/// The database's size on disk (SQLite: the file and its WAL).
pub async fn db_size(db: &aftersales_app::Db, backend: BackendArg, url: &str) -> Result<u64> {
    match backend {
        BackendArg::Sqlite => {
            let path = url.trim_start_matches("sqlite://");
            let mut n = 0;
            for suffix in ["", "-wal"] {
                if let Ok(m) = std::fs::metadata(format!("{path}{suffix}")) {
                    n += m.len();
                }
            }
            Ok(n)
        }
        BackendArg::Postgres => {
            let (n,): (i64,) = sqlx::query_as("SELECT pg_database_size(current_database())")
                .fetch_one(db.pool())
                .await?;
            Ok(u64::try_from(n).unwrap_or(0))
        }
    }
}

/// What the server does on its own soon after a bulk load (autovacuum), or what SQLite
/// does at the next checkpoint. SQLite is never ANALYZEd by the app, so not here either.
pub async fn after_load(db: &aftersales_app::Db, backend: BackendArg) -> Result<()> {
    let sql = match backend {
        BackendArg::Sqlite => "PRAGMA wal_checkpoint(TRUNCATE)",
        BackendArg::Postgres => "VACUUM ANALYZE",
    };
    sqlx::query(sql).execute(db.pool()).await?;
    Ok(())
}

pub fn after_load_step(backend: BackendArg) -> &'static str {
    match backend {
        BackendArg::Sqlite => "WAL checkpoint",
        BackendArg::Postgres => "VACUUM ANALYZE",
    }
}

/// A small xorshift64* generator with a fixed seed: the same data on every machine.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        ((self.next_u64() >> 11) % n as u64) as usize
    }

    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }

    pub fn uuid(&mut self) -> uuid::Uuid {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.next_u64().to_le_bytes());
        b[8..].copy_from_slice(&self.next_u64().to_le_bytes());
        uuid::Builder::from_random_bytes(b).into_uuid()
    }

    pub fn shuffle<T>(&mut self, xs: &mut [T]) {
        for i in (1..xs.len()).rev() {
            let j = self.below(i + 1);
            xs.swap(i, j);
        }
    }
}

pub struct Machine {
    pub nproc: String,
    pub memory: String,
    pub cpu: String,
    pub kernel: String,
}

impl Machine {
    pub fn read() -> Machine {
        let cmd = |c: &str, a: &[&str]| {
            std::process::Command::new(c)
                .args(a)
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        };
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory = meminfo
            .lines()
            .find(|l| l.starts_with("MemTotal:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or_else(
                || "unknown".to_owned(),
                |kb| format!("{:.1} GiB", kb / 1_048_576.0),
            );
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map_or_else(|| "unknown".to_owned(), |(_, v)| v.trim().to_owned());
        Machine {
            nproc: cmd("nproc", &[]).unwrap_or_else(|| {
                std::thread::available_parallelism()
                    .map_or_else(|_| "unknown".to_owned(), |n| n.to_string())
            }),
            memory,
            cpu,
            kernel: cmd("uname", &["-sr"]).unwrap_or_else(|| "unknown".to_owned()),
        }
    }
}

/// The 1-minute load average (other work on the machine skews the figures).
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Nearest-rank percentile of sorted values.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The commit, and which of `watched` (paths of the workspace) were uncommitted.
pub fn git_state(watched: &[&str]) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let git = |a: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(&root)
            .args(a)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim_end().to_owned())
    };
    let Some(head) = git(&["rev-parse", "--short", "HEAD"]) else {
        return "unknown".into();
    };
    let mut a = vec!["status", "--porcelain", "--"];
    a.extend_from_slice(watched);
    let dirty = git(&a).unwrap_or_default();
    if dirty.is_empty() {
        head
    } else {
        let files: Vec<&str> = dirty.lines().map(|l| l.get(3..).unwrap_or(l)).collect();
        format!("{head} + uncommitted: {}", files.join(", "))
    }
}

/// The workspace's `rel` (e.g. `bench/flow/REPORT.md`).
pub fn workspace_path(rel: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root).join(rel)
}

/// Appends `section` to the report at `path`, starting the file with `header` if new.
pub fn append_report(path: &Path, header: &str, section: &str) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let new = !path.exists();
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))?;
    if new {
        writeln!(f, "{header}")?;
    }
    writeln!(f, "{section}")?;
    Ok(())
}

/// The end of a benchmark run: keeps the database (`keep`, printing where it is) or drops
/// it, then prints the report's section and appends it to `report` (default: the
/// workspace's `bench/{dir}/REPORT.md`, started with `title`) unless `no_report`.
pub async fn finish(
    tool: &str,
    target: Target,
    keep: bool,
    section: Result<String>,
    (report, no_report): (Option<PathBuf>, bool),
    (dir, title): (&str, &str),
) -> Result<()> {
    if keep {
        eprintln!("{tool}: kept the database at {}", target.url);
    } else {
        target.destroy().await;
    }
    let section = section?;
    println!("{section}");
    if !no_report {
        let path = report.unwrap_or_else(|| workspace_path(&format!("bench/{dir}/REPORT.md")));
        let header = format!(
            "# {title}: results\n\nOne section per run of \
             `crates/cli/examples/{tool}.rs`, newest last. How to run it and what it \
             measures: [README.md](README.md).\n"
        );
        append_report(&path, &header, &section)?;
        eprintln!("{tool}: appended to {}", path.display());
    }
    Ok(())
}
