//! The `aftersales` binary: the command line over the composition root (`lib.rs`).

use aftersales::{Config, Server, describe, open_app, redact_url};
use aftersales_app::{Backend, Ctx, NewUser, UserPatch};
use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use std::io::BufRead;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "aftersales",
    version,
    about = "After-sales service management (售后服务管理系统)"
)]
struct Cli {
    /// A TOML configuration file (AFTERSALES_* environment variables override it).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web UI and the API (applies migrations first).
    Serve {
        /// Also load the demo service network and one demo user per role.
        #[arg(long)]
        demo: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Load the demo data and exit (safe to repeat).
    Demo,
    /// Manage user accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Import customers, units or products from a CSV or Excel file: the same checks, the
    /// same modes and the same audit trail as the API. A dry run unless told otherwise.
    Import {
        #[arg(value_enum)]
        kind: KindArg,
        /// The file (.csv in UTF-8/GBK, .xlsx or .xls).
        file: PathBuf,
        /// A JSON file mapping the file's headers to fields: {"手机": "phone", …}.
        #[arg(long)]
        mapping: Option<PathBuf>,
        /// The sheet of a workbook (default: the first).
        #[arg(long)]
        sheet: Option<String>,
        /// Check every row and write nothing (the default).
        #[arg(long, conflicts_with_all = ["strict", "lenient"])]
        dry_run: bool,
        /// Import every row or, if any row fails, none.
        #[arg(long, conflicts_with = "lenient")]
        strict: bool,
        /// Import the good rows; with --rejects, write the bad ones to a CSV file.
        #[arg(long)]
        lenient: bool,
        /// Where to write the rejected rows (CSV, UTF-8 with BOM).
        #[arg(long)]
        rejects: Option<PathBuf>,
    },
    /// Make a consistent copy of the database while it is in use.
    Backup {
        /// The file to write (must not exist).
        #[arg(long)]
        to: PathBuf,
    },
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum KindArg {
    Customers,
    Units,
    Products,
    Parts,
    Suppliers,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user. The password is read from standard input, or generated and printed.
    Add {
        username: String,
        #[arg(long)]
        role: String,
        #[arg(long)]
        display_name: Option<String>,
        /// The code of the user's organization unit (e.g. SY-HP).
        #[arg(long)]
        org: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a user's password (from standard input, or generated and printed).
    Passwd {
        username: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable a user: their sessions and tokens end at once.
    Disable { username: String },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let cfg = Config::load(cli.config.as_deref())?;
    init_logging(&cfg);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(run(cli.command, cfg))
}

fn init_logging(cfg: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(&cfg.log_level))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // A use-case (every public `App` function is a span) logs a line when it closes, with
    // its time and, in the span list, the HTTP request (and its id) or the job it ran in:
    // a slow request in the logs names its use-case.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_writer(std::io::stderr);
    if cfg.log_format == "json" {
        builder
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .init();
    } else {
        builder.init();
    }
}

fn read_password(from_stdin: bool) -> anyhow::Result<(String, bool)> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        Ok((line.trim_end_matches(['\r', '\n']).to_owned(), false))
    } else {
        let mut b = [0u8; 12];
        for (i, x) in uuid_bytes().iter().take(12).enumerate() {
            b[i] = *x;
        }
        let alphabet = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        Ok((
            b.iter()
                .map(|x| alphabet[usize::from(*x) % alphabet.len()] as char)
                .collect(),
            true,
        ))
    }
}

fn uuid_bytes() -> [u8; 16] {
    *uuid::Uuid::new_v4().as_bytes()
}

async fn run(cmd: Command, cfg: Config) -> anyhow::Result<()> {
    // The web's helpers write times (pages, exports) in the site's zone: set once, here,
    // at start, for every command (the zone was checked when the configuration loaded).
    aftersales_web::site::init(&cfg.site()?);
    match cmd {
        Command::Serve { demo } => serve(cfg, demo).await,
        Command::Migrate => {
            let app = open_app(&cfg).await?;
            println!("migrations applied to {}", redact_url(&cfg.database_url()));
            app.db().close().await;
            Ok(())
        }
        Command::Demo => {
            let app = open_app(&cfg).await?;
            let s = app.load_demo().await?;
            println!(
                "demo data: {} org units ({} with coverage regions), {} users, {} certifications, {} warranty policies, {} products, {} customers, {} units, {} contracts, {} service requests, {} symptom/cause codes and {} loaners created{}",
                s.org_units_created,
                s.units_with_regions,
                s.users_created,
                s.certifications_created,
                s.policies_created,
                s.products_created,
                s.customers_created,
                s.units_created,
                s.contracts_created,
                s.requests_created,
                s.catalog_codes_created,
                s.loaners_created,
                if s.portal_account_linked {
                    "; the `customer` account now acts for its customer record"
                } else {
                    ""
                }
            );
            Ok(())
        }
        Command::User { command } => user(cfg, command).await,
        Command::Backup { to } => backup(cfg, to).await,
        Command::Import {
            kind,
            file,
            mapping,
            sheet,
            dry_run: _,
            strict,
            lenient,
            rejects,
        } => {
            let mode = if strict {
                aftersales_app::ImportMode::Strict
            } else if lenient {
                aftersales_app::ImportMode::Lenient
            } else {
                aftersales_app::ImportMode::DryRun
            };
            import(cfg, kind, file, mapping, sheet, mode, rejects).await
        }
    }
}

async fn serve(cfg: Config, demo: bool) -> anyhow::Result<()> {
    let admin_password_configured = cfg.admin_password.is_some();
    let server = Server::build(cfg).await?;
    if let Some(generated) = server.generated_admin_password() {
        println!("================================================================");
        println!(" Created the administrator account:  admin / {generated}");
        println!(" This password is shown only once. Change it after signing in.");
        println!("================================================================");
    }
    if demo {
        let s = server.app().load_demo().await?;
        println!("!!! DEMO DATA — not for production use !!!");
        println!(
            "    demo data created now: {} org units ({} with coverage regions), {} warranty policies, {} products, {} customers, {} units, {} contracts, {} certifications, {} service requests, {} symptom/cause codes, {} loaners",
            s.org_units_created,
            s.units_with_regions,
            s.policies_created,
            s.products_created,
            s.customers_created,
            s.units_created,
            s.contracts_created,
            s.certifications_created,
            s.requests_created,
            s.catalog_codes_created,
            s.loaners_created
        );
        println!(
            "    demo users (password '{}'):",
            aftersales_app::DEMO_PASSWORD
        );
        for (name, role) in &s.accounts {
            println!("      {name:<12} {role}");
        }
        if admin_password_configured {
            println!("      admin        admin (password from AFTERSALES_ADMIN_PASSWORD)");
        }
    }
    server.run(shutdown_signal()).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

async fn user(cfg: Config, cmd: UserCommand) -> anyhow::Result<()> {
    let app = open_app(&cfg).await?;
    let ctx = Ctx::system("cli");
    match cmd {
        UserCommand::Add {
            username,
            role,
            display_name,
            org,
            password_stdin,
        } => {
            let org_unit_id = match org {
                Some(code) => Some(
                    app.find_org_unit_by_code(&code)
                        .await?
                        .with_context(|| format!("no organization unit with code {code}"))?
                        .id
                        .to_string(),
                ),
                None => None,
            };
            let (password, generated) = read_password(password_stdin)?;
            let input = NewUser {
                display_name: display_name.unwrap_or_else(|| username.clone()),
                username,
                role,
                org_unit_id,
                password: password.clone(),
                locale: None,
            };
            let u = app
                .create_user(&ctx, &input, None)
                .await
                .map_err(describe)?;
            println!("created user {} ({})", u.username, u.role);
            if generated {
                println!("password: {password}");
            }
        }
        UserCommand::Passwd {
            username,
            password_stdin,
        } => {
            let u = app
                .find_user_by_username(&username)
                .await?
                .with_context(|| format!("no user {username}"))?;
            let (password, generated) = read_password(password_stdin)?;
            app.reset_password(&ctx, u.id, &password, None)
                .await
                .map_err(describe)?;
            println!(
                "password of {} changed; their sessions and API tokens have ended",
                u.username
            );
            if generated {
                println!("password: {password}");
            }
        }
        UserCommand::Disable { username } => {
            let u = app
                .find_user_by_username(&username)
                .await?
                .with_context(|| format!("no user {username}"))?;
            let patch = UserPatch {
                version: u.version,
                disabled: Some(true),
                ..Default::default()
            };
            app.update_user(&ctx, u.id, &patch)
                .await
                .map_err(describe)?;
            println!("user {} disabled", u.username);
        }
    }
    app.db().close().await;
    Ok(())
}

async fn backup(cfg: Config, to: PathBuf) -> anyhow::Result<()> {
    let url = cfg.database_url();
    match Backend::from_url(&url) {
        Some(Backend::Sqlite) => {
            let app = open_app(&cfg).await?;
            app.db()
                .backup_sqlite(&to)
                .await
                .with_context(|| format!("backup to {} failed", to.display()))?;
            println!("backup written to {}", to.display());
            app.db().close().await;
            Ok(())
        }
        Some(Backend::Postgres) => {
            if to.exists() {
                bail!("{} already exists", to.display());
            }
            let status = std::process::Command::new("pg_dump")
                .arg("--format=custom")
                .arg("--file")
                .arg(&to)
                .arg(&url)
                .status();
            match status {
                Ok(s) if s.success() => {
                    println!(
                        "backup written to {} (pg_dump custom format; restore with pg_restore)",
                        to.display()
                    );
                    Ok(())
                }
                Ok(s) => bail!("pg_dump failed ({s})"),
                Err(_) => bail!(
                    "pg_dump was not found. For PostgreSQL, back up with the PostgreSQL tools: \
                     pg_dump --format=custom --file {} \"$DATABASE_URL\" (Debian package postgresql-client)",
                    to.display()
                ),
            }
        }
        None => bail!("unsupported database URL {}", redact_url(&url)),
    }
}

/// `aftersales import`: the import use-case, as the system, with a report on the terminal.
async fn import(
    cfg: Config,
    kind: KindArg,
    file: PathBuf,
    mapping: Option<PathBuf>,
    sheet: Option<String>,
    mode: aftersales_app::ImportMode,
    rejects: Option<PathBuf>,
) -> anyhow::Result<()> {
    use aftersales_app::{ImportKind, ImportMode, ImportRequest};
    let bytes = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
    let mapping = match mapping {
        Some(p) => {
            let text = std::fs::read_to_string(&p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            let m: std::collections::BTreeMap<String, Option<String>> = serde_json::from_str(&text)
                .with_context(|| {
                    format!("{} is not a JSON object of header → field", p.display())
                })?;
            m.into_iter()
                .map(|(k, v)| (k, v.unwrap_or_default()))
                .collect()
        }
        None => Default::default(),
    };
    let kind = match kind {
        KindArg::Customers => ImportKind::Customers,
        KindArg::Units => ImportKind::Units,
        KindArg::Products => ImportKind::Products,
        KindArg::Parts => ImportKind::Parts,
        KindArg::Suppliers => ImportKind::Suppliers,
    };
    let app = open_app(&cfg).await?;
    let ctx = Ctx::system("cli");
    let req = ImportRequest {
        kind,
        mode,
        action: aftersales_app::ImportAction::Create,
        bytes,
        file_name: file.file_name().map(|n| n.to_string_lossy().into_owned()),
        sheet,
        mapping,
    };
    let report = app.import(&ctx, &req).await.map_err(describe)?;
    let locale = if std::env::var("LANG").is_ok_and(|l| l.starts_with("zh")) {
        aftersales_domain::Locale::ZhCn
    } else {
        aftersales_domain::Locale::En
    };
    let tr = aftersales_web::i18n::Tr::new(locale);
    for c in report.columns.iter().filter(|c| c.source.is_unknown()) {
        println!(
            "column {:?} is not imported (not recognized; map it with --mapping)",
            c.column
        );
    }
    for f in &report.missing_fields {
        println!("no column is mapped to the required field {f}");
    }
    for e in &report.errors {
        println!(
            "row {}, {} ({}): {} — {}",
            e.row,
            e.column.as_deref().unwrap_or("-"),
            e.field,
            e.code,
            aftersales_web::io::row_message(tr, e)
        );
    }
    println!(
        "{} rows: {} valid, {} with errors; {} created ({} ms, {})",
        report.total_rows,
        report.valid_rows,
        report.invalid_rows,
        report.created,
        report.duration_ms,
        mode.as_str()
    );
    if let (Some(path), Some(batch)) = (rejects, report.batch_id.as_deref()) {
        let r = app.import_rejects(&ctx, batch).await.map_err(describe)?;
        let mut header: Vec<aftersales_sheets::Out> = r
            .headers
            .iter()
            .map(|h| aftersales_sheets::Out::Text(h.clone()))
            .collect();
        header.push(aftersales_sheets::Out::Text(tr.t_dyn("io.rejects.row")));
        header.push(aftersales_sheets::Out::Text(tr.t_dyn("io.rejects.errors")));
        let mut rows = vec![header];
        for row in &r.rows {
            let mut cells: Vec<aftersales_sheets::Out> = row
                .cells
                .iter()
                .map(|c| aftersales_sheets::Out::Text(c.clone()))
                .collect();
            cells.push(aftersales_sheets::Out::Int(i64::from(row.row)));
            cells.push(aftersales_sheets::Out::Text(
                row.errors
                    .iter()
                    .map(|e| {
                        format!(
                            "{}: {}",
                            e.column.as_deref().unwrap_or(&e.field),
                            aftersales_web::io::row_message(tr, e)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            ));
            rows.push(cells);
        }
        let mut bytes = aftersales_sheets::csv_bom().to_vec();
        bytes.extend(aftersales_sheets::csv_rows(&rows));
        std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
        println!("rejected rows written to {}", path.display());
    }
    app.db().close().await;
    if mode == ImportMode::Strict && report.batch_id.is_none() {
        bail!(
            "strict import refused: {} rows have errors; nothing was imported",
            report.invalid_rows
        );
    }
    Ok(())
}
