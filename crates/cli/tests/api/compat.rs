//! Databases made by an older binary open in this one and read back the same (issue 12).
//!
//! `tests/fixtures/compat/` holds a SQLite database and a PostgreSQL dump made by the code
//! of commit c538bd8 (before the typed event log) with the demo data and every kind of
//! event the service flow recorded then, and what that code read back from them: every
//! request, its events, its SLA and its timeline in words (see `compat/read.rs` and the
//! fixture's README). Here each is opened as the binary opens a database (this binary's
//! migrations run over it), read back the same way with the clock at the same instant, and
//! compared whole. Nothing is normalized: the clock stands still, and the ids, numbers and
//! times are the stored ones.

mod read;

use crate::helpers::{ADMIN_PASSWORD, DEMO_PASSWORD, TestApp, fresh_pg_database, temp_dir};
use aftersales_app::ManualClock;
use serde_json::Value;
use std::io::{Read as _, Write as _};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/compat")
        .join(name);
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(file)
        .read_to_end(&mut out)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    out
}

fn expected(name: &str) -> Value {
    serde_json::from_slice(&fixture(name)).expect("expected JSON")
}

fn read_clock() -> Option<Arc<ManualClock>> {
    Some(Arc::new(ManualClock::new(
        read::READ_AT.parse().expect("an instant"),
    )))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_database_made_by_c538bd8_reads_back_the_same() {
    let dir = temp_dir();
    std::fs::write(dir.join("aftersales.db"), fixture("demo.sqlite.gz")).expect("copy");
    let app = TestApp::sqlite_existing(dir, read_clock()).await;
    let got = read::read_back(&app.base, ADMIN_PASSWORD, DEMO_PASSWORD).await;
    same(&expected("expected.sqlite.json.gz"), &got);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_database_made_by_c538bd8_reads_back_the_same() {
    let (name, url) = fresh_pg_database().await;
    // The plain-SQL dump, restored as an operator would: psql, stopping at the first error.
    let mut psql = Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "--dbname", &url])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("psql (PostgreSQL's client) runs");
    psql.stdin
        .take()
        .expect("stdin")
        .write_all(&fixture("demo.postgres.sql.gz"))
        .expect("restore");
    assert!(psql.wait().expect("psql").success(), "the dump restores");
    let app = TestApp::postgres_existing(name, read_clock()).await;
    let got = read::read_back(&app.base, ADMIN_PASSWORD, DEMO_PASSWORD).await;
    same(&expected("expected.postgres.json.gz"), &got);
}

/// Exact equality; on a difference, the first few differing places by path.
fn same(expected: &Value, got: &Value) {
    let mut diffs = Vec::new();
    diff("", expected, got, &mut diffs);
    assert!(
        diffs.is_empty(),
        "{} difference(s) from what c538bd8 read back, the first:\n{}",
        diffs.len(),
        diffs
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert_eq!(expected, got);
}

fn diff(path: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                match y.get(k) {
                    Some(w) => diff(&format!("{path}.{k}"), v, w, out),
                    None => out.push(format!("{path}.{k}: missing (was {v})")),
                }
            }
            for (k, w) in y {
                if !x.contains_key(k) {
                    out.push(format!("{path}.{k}: new (is {w})"));
                }
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                out.push(format!("{path}: {} items, was {}", y.len(), x.len()));
            }
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                diff(&format!("{path}[{i}]"), v, w, out);
            }
        }
        _ if a != b => out.push(format!("{path}: {b}, was {a}")),
        _ => {}
    }
}
