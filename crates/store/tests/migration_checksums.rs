//! Applied migrations are never edited (issue 12): `migrations/CHECKSUMS` lists the SHA-256
//! of every migration file of both trees, and this test fails when a listed file's content
//! changed, a listed file is gone, or a file is not listed. A new migration is listed with
//! `scripts/migration-checksums --add`, which never rewrites a listed line. It also checks
//! the house rule that both trees have the same migrations, by number and name.
//!
//! What it cannot tell: an edit made before the list existed. Migration 0009 was edited
//! once after it was created (issue 12); the list records its content of today.

use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn migrations() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations")
}

/// path ("sqlite/0001_foundation.sql") → SHA-256 in hex, as listed.
fn listed() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(migrations().join("CHECKSUMS")).expect("CHECKSUMS");
    let mut out = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let (sum, path) = line
            .split_once("  ")
            .unwrap_or_else(|| panic!("CHECKSUMS line {}: not \"sha256  path\": {line}", n + 1));
        assert!(
            sum.len() == 64 && sum.bytes().all(|b| b.is_ascii_hexdigit()),
            "CHECKSUMS line {}: not a SHA-256: {sum}",
            n + 1
        );
        assert!(
            out.insert(path.to_owned(), sum.to_ascii_lowercase())
                .is_none(),
            "CHECKSUMS lists {path} twice"
        );
    }
    out
}

/// path → SHA-256 in hex of every migration file of both trees.
fn on_disk() -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for tree in ["sqlite", "postgres"] {
        for entry in std::fs::read_dir(migrations().join(tree)).expect("migration tree") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "sql") {
                let name = path.file_name().expect("name").to_string_lossy();
                let bytes = std::fs::read(&path).expect("migration");
                out.insert(
                    format!("{tree}/{name}"),
                    hex::encode(Sha256::digest(&bytes)),
                );
            }
        }
    }
    out
}

#[test]
fn every_migration_is_listed_with_its_checksum_and_none_was_edited() {
    let listed = listed();
    let disk = on_disk();
    assert!(disk.len() >= 24, "the migrations were found");
    let mut wrong = Vec::new();
    for (path, sum) in &listed {
        match disk.get(path) {
            None => wrong.push(format!(
                "{path}: listed but gone (a migration is never removed)"
            )),
            Some(now) if now != sum => wrong.push(format!(
                "{path}: edited (listed {sum}, now {now}); migrations are append-only: undo \
                 the edit and write a new migration"
            )),
            Some(_) => {}
        }
    }
    for path in disk.keys() {
        if !listed.contains_key(path) {
            wrong.push(format!(
                "{path}: not listed (a new migration? run scripts/migration-checksums --add)"
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "crates/store/migrations/CHECKSUMS:\n  {}",
        wrong.join("\n  ")
    );
}

#[test]
fn both_trees_have_the_same_migrations() {
    let disk = on_disk();
    let names = |tree: &str| -> BTreeSet<String> {
        disk.keys()
            .filter_map(|p| p.strip_prefix(&format!("{tree}/")))
            .map(str::to_owned)
            .collect()
    };
    let (lite, post) = (names("sqlite"), names("postgres"));
    assert_eq!(
        lite.symmetric_difference(&post).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "a migration in one tree only (the same number and name in both)"
    );
}
