//! Absurd values on every operation that takes them, generated from the OpenAPI document
//! (issue 11), so a new endpoint is covered without a new test: every date, date-time and
//! number a body, a query or a path takes is tried with values no service record can hold
//! (years -1000, 0, 1900 and 9999, the 30th of February, an offset of 25 hours, numbers
//! near the limits of 64-bit integers and doubles). Dates and bodies must be refused with a
//! 4xx problem; nothing may answer 5xx; and nothing may be written.

use crate::both;
use crate::helpers::TestApp;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

both!(absurd_dates_and_numbers_on_every_operation_are_refused_and_write_nothing);

const DATES: &[&str] = &[
    "-001000-01-01",
    "0000-01-01",
    "1900-01-01",
    "9999-12-31",
    "2026-02-30",
];
const INSTANTS: &[&str] = &[
    "-001000-01-01T00:00:00Z",
    "0000-01-01T00:00:00Z",
    "1900-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "2026-12-01T08:00:00+25:00",
];

fn numbers() -> Vec<Value> {
    vec![
        json!(1e308),
        json!(-1e308),
        json!(i64::MAX),
        json!(i64::MIN),
        json!(1_000_000_000_000_000_i64),
    ]
}

/// A schema with its `$ref` followed (and the first of `allOf`/`oneOf`/`anyOf`).
fn resolve<'a>(doc: &'a Value, s: &'a Value) -> &'a Value {
    let mut s = s;
    for _ in 0..8 {
        if let Some(r) = s["$ref"].as_str() {
            let name = r.trim_start_matches("#/components/schemas/");
            s = &doc["components"]["schemas"][name];
            continue;
        }
        if let Some(first) = ["allOf", "oneOf", "anyOf"].iter().find_map(|k| {
            s[*k]
                .as_array()
                .and_then(|a| a.iter().find(|x| x["type"] != "null"))
        }) {
            s = first;
            continue;
        }
        break;
    }
    s
}

fn types(s: &Value) -> Vec<&str> {
    match &s["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// What kind of absurd value a leaf takes, if any.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Target {
    Date,
    Instant,
    Number,
}

fn target_of(s: &Value) -> Option<Target> {
    match s["format"].as_str() {
        Some("date") => return Some(Target::Date),
        Some("date-time") => return Some(Target::Instant),
        _ => {}
    }
    let t = types(s);
    (t.contains(&"integer") || t.contains(&"number")).then_some(Target::Number)
}

/// A plausible value for a schema, every property filled (so each leaf can be replaced),
/// arrays with one element; fields named like the ids of the records at hand get them.
fn sample(doc: &Value, s: &Value, depth: usize, ids: &Map<String, Value>) -> Value {
    let s = resolve(doc, s);
    if let Some(e) = s["enum"]
        .as_array()
        .and_then(|e| e.iter().find(|v| !v.is_null()))
    {
        return e.clone();
    }
    let t = types(s);
    if t.contains(&"object") || s["properties"].is_object() {
        let mut m = Map::new();
        if depth < 5 {
            for (k, p) in s["properties"].as_object().into_iter().flatten() {
                let v = ids
                    .get(k)
                    .cloned()
                    .unwrap_or_else(|| sample(doc, p, depth + 1, ids));
                m.insert(k.clone(), v);
            }
        }
        return Value::Object(m);
    }
    if t.contains(&"array") {
        return if depth < 5 {
            json!([sample(doc, &s["items"], depth + 1, ids)])
        } else {
            json!([])
        };
    }
    if t.contains(&"integer") || t.contains(&"number") {
        return s["minimum"]
            .as_f64()
            .map_or(json!(1), |m| json!(m.max(1.0) as i64));
    }
    if t.contains(&"boolean") {
        return json!(false);
    }
    match s["format"].as_str() {
        Some("date") => json!("2026-06-01"),
        Some("date-time") => json!("2026-06-01T08:00:00+08:00"),
        Some("uuid") => json!(uuid::Uuid::nil().to_string()),
        _ => json!("x"),
    }
}

/// Paths (as lists of keys and indexes) of every leaf that takes an absurd value.
fn leaves(
    doc: &Value,
    s: &Value,
    at: Vec<Value>,
    depth: usize,
    out: &mut Vec<(Vec<Value>, Target)>,
) {
    let s = resolve(doc, s);
    if let Some(t) = target_of(s) {
        if s["enum"].is_null() {
            out.push((at, t));
        }
        return;
    }
    if depth >= 5 {
        return;
    }
    for (k, p) in s["properties"].as_object().into_iter().flatten() {
        let mut next = at.clone();
        next.push(json!(k));
        leaves(doc, p, next, depth + 1, out);
    }
    if types(s).contains(&"array") {
        let mut next = at;
        next.push(json!(0));
        leaves(doc, &s["items"], next, depth + 1, out);
    }
}

fn set(v: &mut Value, at: &[Value], new: Value) {
    let mut cur = v;
    for k in at {
        cur = match k {
            Value::String(s) => &mut cur[s.as_str()],
            Value::Number(n) => &mut cur[n.as_u64().unwrap_or(0) as usize],
            _ => return,
        };
    }
    *cur = new;
}

fn absurd(t: Target) -> Vec<Value> {
    match t {
        Target::Date => DATES.iter().map(|d| json!(d)).collect(),
        Target::Instant => INSTANTS.iter().map(|d| json!(d)).collect(),
        Target::Number => numbers(),
    }
}

fn query_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Row counts (and the sum of versions, which every update raises) of every table but
/// the ones a refused request may touch (none of them business data).
async fn fingerprint(app: &TestApp) -> BTreeMap<String, (i64, i64)> {
    let pool = app.app.db().pool();
    let tables: Vec<(String,)> = if app.backend == "sqlite" {
        sqlx::query_as("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '%_fts%' AND name NOT LIKE '_sqlx%'")
            .fetch_all(pool)
            .await
            .expect("tables")
    } else {
        sqlx::query_as("SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' AND table_name NOT LIKE '_sqlx%'")
            .fetch_all(pool)
            .await
            .expect("tables")
    };
    let mut out = BTreeMap::new();
    for (t,) in tables {
        if ["login_failures", "sessions", "api_tokens", "jobs"].contains(&t.as_str()) {
            continue;
        }
        let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {t}")))
            .fetch_one(pool)
            .await
            .expect("count");
        let v: i64 = match sqlx::query_as::<_, (Option<i64>,)>(sqlx::AssertSqlSafe(format!(
            "SELECT CAST(SUM(version) AS BIGINT) FROM {t}"
        )))
        .fetch_one(pool)
        .await
        {
            Ok((v,)) => v.unwrap_or(0),
            Err(_) => 0,
        };
        out.insert(t, (n, v));
    }
    out
}

/// Waits until the server's job worker has run every job that is due: what the setup
/// enqueued (its SLA work) writes at its own time, not because of a refused request.
async fn jobs_settled(app: &TestApp, admin: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let (_, running) = app.get("/api/v1/admin/jobs?status=running", admin).await;
        let (_, pending) = app.get("/api/v1/admin/jobs?status=pending", admin).await;
        let now = jiff::Timestamp::now();
        let due = pending["items"].as_array().into_iter().flatten().any(|j| {
            j["due_at"]
                .as_str()
                .and_then(|d| d.parse::<jiff::Timestamp>().ok())
                .is_some_and(|d| d <= now)
        });
        let busy = running["items"].as_array().is_none_or(|r| !r.is_empty());
        if !due && !busy {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "on {}: jobs still due: {pending} {running}",
            app.backend
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// A real id for each path parameter: the first item of the collection the path names
/// up to that parameter (its `id`, `key`, `code` or `number`).
async fn fill_path(app: &TestApp, token: &str, path: &str, day: &str) -> String {
    let mut out = String::new();
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        if seg.starts_with('{') {
            if seg == "{day}" {
                out.push('/');
                out.push_str(day);
                continue;
            }
            let (s, b) = app.get(&out, token).await;
            let first = if s == 200 {
                b["items"].get(0).or_else(|| b.get(0)).cloned()
            } else {
                None
            };
            let id = first
                .and_then(|f| {
                    ["id", "key", "code", "number"]
                        .iter()
                        .find_map(|k| f[*k].as_str().map(str::to_owned))
                })
                .unwrap_or_else(|| uuid::Uuid::nil().to_string());
            out.push('/');
            out.push_str(&id);
        } else {
            out.push('/');
            out.push_str(seg);
        }
    }
    out
}

async fn absurd_dates_and_numbers_on_every_operation_are_refused_and_write_nothing(app: TestApp) {
    // Records to act on: a customer with a unit, a request with a pending work order.
    let w = crate::dispatch_ui::world(&app).await;
    crate::dispatch_ui::pending_order(&app, &w, "normal").await;
    let admin = app.token("admin").await;
    let mut ids = Map::new();
    ids.insert("customer_id".into(), w.customer["id"].clone());
    ids.insert("unit_id".into(), w.unit["id"].clone());
    ids.insert("site_id".into(), w.customer["sites"][0]["id"].clone());
    ids.insert("engineer_id".into(), json!(w.engineer_id));
    ids.insert("org_unit_id".into(), json!(app.unit_id("SY-HP").await));
    ids.insert("product_code".into(), json!("KT"));
    let (s, doc) = app.get("/api/openapi.json", &admin).await;
    assert_eq!(s, 200);
    jobs_settled(&app, &admin).await;
    let before = fingerprint(&app).await;
    let mut tried = 0usize;
    let mut refused_by_field = 0usize;
    let mut failures = Vec::new();
    let paths = doc["paths"].as_object().expect("paths").clone();
    for (path, item) in &paths {
        // Sign-in and the test clock are not about stored values.
        if path.contains("/auth/") || path.contains("test-clock") {
            continue;
        }
        for (method, op) in item.as_object().into_iter().flatten() {
            if !["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                continue;
            }
            let params: Vec<&Value> = op["parameters"].as_array().into_iter().flatten().collect();
            // Path dates and query values: each alone.
            let mut cases: Vec<(String, Option<Value>, String, Target)> = Vec::new();
            for p in &params {
                let name = p["name"].as_str().unwrap_or_default();
                let Some(t) = target_of(resolve(&doc, &p["schema"])) else {
                    continue;
                };
                for v in absurd(t) {
                    let text = query_text(&v);
                    match p["in"].as_str() {
                        Some("path") if t == Target::Date => {
                            let url = fill_path(&app, &admin, path, &enc(&text)).await;
                            cases.push((url, None, name.to_owned(), t));
                        }
                        Some("query") => {
                            let base = fill_path(&app, &admin, path, "2026-10-01").await;
                            cases.push((
                                format!("{base}?{name}={}", enc(&text)),
                                None,
                                name.to_owned(),
                                t,
                            ));
                        }
                        _ => {}
                    }
                }
            }
            // Body leaves: each alone, in an otherwise plausible body.
            let body_schema = &op["requestBody"]["content"]["application/json"]["schema"];
            if !body_schema.is_null() {
                let base_body = sample(&doc, body_schema, 0, &ids);
                let mut found = Vec::new();
                leaves(&doc, body_schema, Vec::new(), 0, &mut found);
                let url = fill_path(&app, &admin, path, "2026-10-01").await;
                for (at, t) in found {
                    for v in absurd(t) {
                        let mut b = base_body.clone();
                        set(&mut b, &at, v);
                        let field = at.iter().map(query_text).collect::<Vec<_>>().join(".");
                        cases.push((url.clone(), Some(b), field, t));
                    }
                }
            }
            for (url, body, field, t) in cases {
                tried += 1;
                let m = method.to_uppercase();
                let (s, b) = app.send(&m, &url, &admin, body.clone()).await;
                let what = format!(
                    "{m} {url} [{field}] {}",
                    body.as_ref().map(Value::to_string).unwrap_or_default()
                );
                if s >= 500 {
                    failures.push(format!("{what}: {s} {b}"));
                } else if (200..300).contains(&s)
                    && (body.is_some() || t != Target::Number)
                    && m != "GET"
                {
                    failures.push(format!("{what}: accepted {s} {b}"));
                } else if (200..300).contains(&s) && t != Target::Number {
                    failures.push(format!("{what}: a filter accepted {s}"));
                }
                let leaf = field.rsplit('.').next().unwrap_or(&field);
                let named = b.to_string().contains(&format!("\"{leaf}\""))
                    || b["detail"].as_str().is_some_and(|d| d.contains(leaf));
                if s == 422 && named {
                    refused_by_field += 1;
                } else if s == 422 && t != Target::Number && body.is_some() {
                    // Refused for another field while this date passed its own check.
                    failures.push(format!("{what}: 422 without naming {leaf}: {b}"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {tried} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        refused_by_field * 4 >= tried,
        "only {refused_by_field} of {tried} cases reached the field's own check"
    );
    let after = fingerprint(&app).await;
    let changed: Vec<_> = before
        .iter()
        .filter(|(k, v)| after.get(*k) != Some(*v))
        .map(|(k, v)| format!("{k}: {v:?} -> {:?}", after.get(k)))
        .collect();
    assert!(
        changed.is_empty(),
        "written by refused requests: {changed:?}"
    );
}
