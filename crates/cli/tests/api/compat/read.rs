//! Reads every service request of a database back the way people and integrations see it,
//! into one JSON value: for each request (by number) the request (`GET
//! /api/v1/service-requests/{id}`), its events (`…/events`), its SLA (`…/sla`) in Chinese
//! and English, the timeline of its page (`/requests/{id}`) in words in both languages as
//! the admin sees it, and the customer-safe timeline of the portal (`/portal/requests/{id}`)
//! as the demo customer sees it (or the status the portal answers for requests not theirs).
//!
//! Shared by the compatibility test (`compat.rs`) and the generator that made its fixture
//! (`crates/cli/examples/compat_fixture.rs`), so both read in exactly the same way.

use serde_json::{Map, Value, json};

/// The instant everything is read at (the SLA's `computed_at`, ages and clocks depend on it).
pub const READ_AT: &str = "2026-12-01T06:00:00Z";

const LANGS: [&str; 2] = ["zh-CN", "en"];

/// Reads everything back from the server at `base`, signing in as `admin` with
/// `admin_password` and as the demo `customer` with `demo_password`.
pub async fn read_back(base: &str, admin_password: &str, demo_password: &str) -> Value {
    let api = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let token = api_token(&api, base, "admin", admin_password).await;
    let mut pages = Vec::new();
    for lang in LANGS {
        pages.push((lang, signed_in(base, lang, "admin", admin_password).await));
    }
    let portal = signed_in(base, "zh-CN", "customer", demo_password).await;

    // Every request, following the cursor.
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = "/api/v1/service-requests?limit=100".to_owned();
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page = api_get(&api, base, &path, &token, "zh-CN").await;
        for r in page["items"].as_array().expect("items") {
            ids.push((
                r["number"].as_str().expect("number").to_owned(),
                r["id"].as_str().expect("id").to_owned(),
            ));
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    ids.sort();

    let mut requests = Vec::new();
    for (number, id) in &ids {
        let request = api_get(
            &api,
            base,
            &format!("/api/v1/service-requests/{id}"),
            &token,
            "zh-CN",
        )
        .await;
        let events = api_get(
            &api,
            base,
            &format!("/api/v1/service-requests/{id}/events"),
            &token,
            "zh-CN",
        )
        .await;
        let mut sla = Map::new();
        let mut timeline = Map::new();
        for (lang, page) in &pages {
            sla.insert(
                (*lang).to_owned(),
                api_get(
                    &api,
                    base,
                    &format!("/api/v1/service-requests/{id}/sla"),
                    &token,
                    lang,
                )
                .await,
            );
            let (status, html) = page_get(page, base, &format!("/requests/{id}"), lang).await;
            assert_eq!(status, 200, "the page of {number} in {lang}: {html}");
            timeline.insert((*lang).to_owned(), timeline_of(&html));
        }
        let (status, html) =
            page_get(&portal, base, &format!("/portal/requests/{id}"), "zh-CN").await;
        let portal_view = if status == 200 {
            json!({"status": status, "timeline": timeline_of(&html)})
        } else {
            json!({"status": status})
        };
        requests.push(json!({
            "number": number,
            "request": request,
            "events": events,
            "sla": sla,
            "timeline": timeline,
            "portal": portal_view,
        }));
    }
    json!({"read_at": READ_AT, "requests": requests})
}

pub async fn api_token(api: &reqwest::Client, base: &str, user: &str, password: &str) -> String {
    let r = api
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": user, "password": password}))
        .send()
        .await
        .expect("login request");
    assert_eq!(r.status(), 200, "API login of {user}");
    r.json::<Value>().await.expect("json")["token"]
        .as_str()
        .expect("token")
        .to_owned()
}

pub async fn api_get(
    api: &reqwest::Client,
    base: &str,
    path: &str,
    token: &str,
    lang: &str,
) -> Value {
    let r = api
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .header("accept-language", lang)
        .send()
        .await
        .expect("request");
    let status = r.status().as_u16();
    let text = r.text().await.expect("body");
    assert_eq!(status, 200, "GET {path}: {text}");
    serde_json::from_str(&text).expect("JSON")
}

/// A browser-like client signed in through the login form.
pub async fn signed_in(base: &str, lang: &str, user: &str, password: &str) -> reqwest::Client {
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let (_, html) = page_get(&http, base, "/login", lang).await;
    let start = html
        .find("name=\"csrf-token\" content=\"")
        .expect("csrf meta")
        + 27;
    let csrf = html[start..].split('"').next().expect("token").to_owned();
    let r = http
        .post(format!("{base}/login"))
        .header("accept-language", lang)
        .form(&[
            ("_csrf", csrf.as_str()),
            ("username", user),
            ("password", password),
            ("next", "/"),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), 303, "page login of {user}");
    http
}

pub async fn page_get(http: &reqwest::Client, base: &str, path: &str, lang: &str) -> (u16, String) {
    let r = http
        .get(format!("{base}{path}"))
        .header("accept-language", lang)
        .send()
        .await
        .expect("request");
    (r.status().as_u16(), r.text().await.expect("text"))
}

/// The page's timeline (`<ol id="timeline">`): each entry's kind (`data-kind`) and its
/// text without the markup, white space collapsed, entities decoded.
fn timeline_of(html: &str) -> Value {
    let start = html.find("id=\"timeline\"").expect("a timeline");
    let end = start + html[start..].find("</ol>").expect("the timeline's end");
    let items = html[start..end]
        .split("<li")
        .skip(1)
        .map(|li| {
            let kind = li
                .split_once("data-kind=\"")
                .and_then(|(_, rest)| rest.split_once('"'))
                .map(|(k, _)| k.to_owned())
                .unwrap_or_default();
            let mut text = String::new();
            // The split leaves the rest of the <li …> tag at the start.
            let mut in_tag = true;
            for c in li.chars() {
                match c {
                    '<' => in_tag = true,
                    '>' => in_tag = false,
                    c if !in_tag => text.push(c),
                    _ => {}
                }
            }
            let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
            json!({"kind": kind, "text": decode_entities(&text)})
        })
        .collect();
    Value::Array(items)
}

fn decode_entities(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}
