//! Hostile HTTP: slow and hoarding clients (header and idle timeouts, the connection cap),
//! the browser security headers on every kind of answer, framework rejections as problem
//! documents (a chunked body over the limit, a path that is not UTF-8), uploaded images that
//! go on with HTML, the `Host` header and the record's verification link, and the job worker
//! outliving failing claims.

use crate::both;
use crate::helpers::TestApp;
use crate::service_flow::{PNG, World, act, on_site, png_data_url, world};
use crate::web::Browser;
use aftersales_jobs::{Handlers, NewJob, WorkerOptions};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

both!(
    half_headers_are_cut_after_the_header_timeout_and_healthz_answers_meanwhile,
    connections_over_the_cap_wait_and_are_served_once_others_close,
    a_stalled_body_is_cut_after_the_idle_timeout_but_a_slow_handler_is_not,
    every_kind_of_answer_carries_the_security_headers,
    hsts_only_when_served_over_https,
    a_chunked_body_over_the_limit_and_a_non_utf8_path_are_problems,
    images_that_go_on_after_their_end_are_refused_or_cut_and_photos_are_served_inert,
    a_foreign_host_never_reaches_the_verification_link,
    the_worker_keeps_going_after_claims_fail,
);

/// A second server on the test's app with its own limits and settings; it stops when the
/// returned sender is dropped.
async fn serve_limited(
    app: &TestApp,
    web: aftersales_web::WebConfig,
    opts: aftersales_web::ServeOptions,
) -> (String, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let router = aftersales_web::router(app.app.clone(), web);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = aftersales_web::serve_with(listener, router, opts, async {
            let _ = rx.await;
        })
        .await;
    });
    (addr, tx)
}

fn limits(header_ms: u64, idle_ms: u64, cap: usize) -> aftersales_web::ServeOptions {
    aftersales_web::ServeOptions {
        header_read_timeout: Duration::from_millis(header_ms),
        idle_timeout: Duration::from_millis(idle_ms),
        max_connections: cap,
    }
}

/// Waits until the server closes `s` (end of stream or reset); how long that took, or
/// `None` if it stayed open for `limit`.
async fn closed_within(s: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let t = Instant::now();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(limit.saturating_sub(t.elapsed()), s.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(t.elapsed()),
            Ok(Ok(_)) => {} // an answer (408, 400): keep reading until it closes
        }
    }
}

/// One request on a fresh connection: the status line's code, or `None` if nothing came
/// within `limit`.
async fn status_of(addr: &str, request: &str, limit: Duration) -> Option<u16> {
    let fut = async {
        let mut s = TcpStream::connect(addr).await.ok()?;
        s.write_all(request.as_bytes()).await.ok()?;
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = s.read(&mut buf).await.ok()?;
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
            if out.windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
        let head = String::from_utf8_lossy(&out);
        head.split(' ').nth(1)?.parse().ok()
    };
    tokio::time::timeout(limit, fut).await.ok().flatten()
}

const HEALTHZ: &str = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";

async fn half_headers_are_cut_after_the_header_timeout_and_healthz_answers_meanwhile(app: TestApp) {
    let (addr, _stop) = serve_limited(
        &app,
        aftersales_web::WebConfig::default(),
        limits(800, 30_000, 64),
    )
    .await;
    let mut slow = Vec::new();
    for _ in 0..40 {
        let mut s = TcpStream::connect(&addr).await.expect("connect");
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            .await
            .expect("half a header");
        slow.push(s);
    }
    // The server answers others while they hang.
    assert_eq!(
        status_of(&addr, HEALTHZ, Duration::from_secs(2)).await,
        Some(200)
    );
    // A client that keeps dribbling bytes does not keep its connection either.
    let mut dribbler = TcpStream::connect(&addr).await.expect("connect");
    dribbler.write_all(b"GET / HTTP/1.1\r\n").await.expect("w");
    let drip = tokio::spawn(async move {
        for _ in 0..40 {
            if dribbler.write_all(b"X-A: b\r\n").await.is_err() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    });
    for s in &mut slow {
        let took = closed_within(s, Duration::from_secs(4)).await;
        assert!(
            took.is_some(),
            "on {}: a half-sent header kept its connection",
            app.backend
        );
    }
    assert!(
        drip.await.expect("dribbler"),
        "on {}: a dribbling client kept its connection",
        app.backend
    );
    assert_eq!(
        status_of(&addr, HEALTHZ, Duration::from_secs(2)).await,
        Some(200)
    );
}

async fn connections_over_the_cap_wait_and_are_served_once_others_close(app: TestApp) {
    let (addr, _stop) = serve_limited(
        &app,
        aftersales_web::WebConfig::default(),
        limits(1500, 30_000, 4),
    )
    .await;
    let mut hogs = Vec::new();
    for _ in 0..4 {
        let mut s = TcpStream::connect(&addr).await.expect("connect");
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x")
            .await
            .expect("w");
        hogs.push(s);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    // At the cap: the next connection is not served while the four hold their places ...
    assert_eq!(
        status_of(&addr, HEALTHZ, Duration::from_millis(400)).await,
        None,
        "on {}: a fifth connection was served over a cap of four",
        app.backend
    );
    // ... and is served once one of them closes (the client gives up here) ...
    drop(hogs.pop());
    let t = Instant::now();
    assert_eq!(
        status_of(&addr, HEALTHZ, Duration::from_secs(1)).await,
        Some(200)
    );
    assert!(t.elapsed() < Duration::from_millis(900));
    // ... or once the header timeout has cut the slow ones: /healthz is never starved.
    let mut more = Vec::new();
    for _ in 0..6 {
        let mut s = TcpStream::connect(&addr).await.expect("connect");
        let _ = s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x").await;
        more.push(s);
    }
    assert_eq!(
        status_of(&addr, HEALTHZ, Duration::from_secs(6)).await,
        Some(200),
        "on {}: /healthz starved behind slow connections",
        app.backend
    );
}

async fn a_stalled_body_is_cut_after_the_idle_timeout_but_a_slow_handler_is_not(app: TestApp) {
    let (addr, _stop) = serve_limited(
        &app,
        aftersales_web::WebConfig::default(),
        limits(5_000, 700, 16),
    )
    .await;
    let mut s = TcpStream::connect(&addr).await.expect("connect");
    s.write_all(
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"user",
    )
    .await
    .expect("w");
    let took = closed_within(&mut s, Duration::from_secs(4)).await;
    assert!(
        took.is_some_and(|d| d >= Duration::from_millis(500)),
        "on {}: a stalled body was not cut after the idle timeout: {took:?}",
        app.backend
    );
    // A complete request whose answer takes longer than the idle timeout is not cut: the
    // time the server computes does not count (a PDF of nothing here is quick, so use a
    // list while the database is busy enough: just check an ordinary request still works
    // on a kept-alive connection).
    let mut s = TcpStream::connect(&addr).await.expect("connect");
    for _ in 0..2 {
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .await
            .expect("w");
        let mut buf = [0u8; 1024];
        let n = s.read(&mut buf).await.expect("read");
        assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    }
}

fn header<'a>(h: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

async fn every_kind_of_answer_carries_the_security_headers(app: TestApp) {
    let token = app.token("admin").await;
    for (path, auth, status) in [
        ("/login", false, 200),               // a page
        ("/api/v1/users", true, 200),         // an API answer
        ("/api/v1/users", false, 401),        // an API error
        ("/assets/app.js", false, 200),       // an asset
        ("/assets/nope.js", false, 404),      // a missing asset
        ("/api/v1/no-such-thing", true, 404), // the API's fallback
        ("/no-such-page", false, 404),        // the pages' fallback
        ("/healthz", false, 200),
        ("/api/openapi.json", false, 200),
    ] {
        let mut r = app.http.get(app.url(path));
        if auth {
            r = r.bearer_auth(&token);
        }
        let r = r.send().await.expect("request");
        assert_eq!(r.status().as_u16(), status, "{path}");
        let h = r.headers();
        let csp = header(h, "content-security-policy");
        for d in [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "object-src 'none'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ] {
            assert!(csp.contains(d), "{path}: CSP {csp:?} lacks {d}");
        }
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
            "{path}: {csp}"
        );
        assert_eq!(header(h, "x-frame-options"), "DENY", "{path}");
        assert_eq!(header(h, "x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header(h, "referrer-policy"), "same-origin", "{path}");
        assert!(
            header(h, "permissions-policy").contains("geolocation=(self)"),
            "{path}"
        );
        assert!(h.get("strict-transport-security").is_none(), "{path}");
    }
    // A method the route does not take, and a body over the limit: headers too.
    let r = app
        .http
        .delete(app.url("/healthz"))
        .send()
        .await
        .expect("delete");
    assert_eq!(r.status(), 405);
    assert_eq!(header(r.headers(), "x-frame-options"), "DENY");
}

async fn hsts_only_when_served_over_https(app: TestApp) {
    for (web, hsts) in [
        (aftersales_web::WebConfig::default(), false),
        (
            aftersales_web::WebConfig {
                secure_cookies: true,
                ..aftersales_web::WebConfig::default()
            },
            true,
        ),
        (
            aftersales_web::WebConfig {
                public_url: Some("https://service.example.com".into()),
                ..aftersales_web::WebConfig::default()
            },
            true,
        ),
    ] {
        let (addr, _stop) = serve_limited(&app, web, limits(5_000, 5_000, 16)).await;
        let r = app
            .http
            .get(format!("http://{addr}/login"))
            .send()
            .await
            .expect("login page");
        let v = header(r.headers(), "strict-transport-security").to_owned();
        assert_eq!(!v.is_empty(), hsts, "{v}");
        if hsts {
            assert!(v.starts_with("max-age="), "{v}");
        }
    }
}

async fn a_chunked_body_over_the_limit_and_a_non_utf8_path_are_problems(app: TestApp) {
    let token = app.token("admin").await;
    // 2 MiB and a bit, in chunks, without a Content-Length.
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut s = TcpStream::connect(&addr).await.expect("connect");
    s.write_all(
        format!(
            "POST /api/v1/service-requests HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nAccept-Language: en\r\n\r\n"
        )
        .as_bytes(),
    )
    .await
    .expect("head");
    let chunk = vec![b' '; 64 * 1024];
    let writer = tokio::spawn(async move {
        let (mut rd, mut wr) = s.into_split();
        for _ in 0..34 {
            if wr
                .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                .await
                .is_err()
                || wr.write_all(&chunk).await.is_err()
                || wr.write_all(b"\r\n").await.is_err()
            {
                break;
            }
        }
        let _ = wr.write_all(b"0\r\n\r\n").await;
        let mut out = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), rd.read_to_end(&mut out)).await;
        out
    });
    let out = writer.await.expect("writer");
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    let lower = text.to_ascii_lowercase();
    assert!(
        lower.contains("content-type: application/problem+json"),
        "{text}"
    );
    assert!(text.contains("\"code\":\"payload_too_large\""), "{text}");

    // A path whose escapes are not UTF-8, on an API route and elsewhere.
    for path in ["/api/v1/users/%FF", "/api/v1/work-orders/%C0%AF/record"] {
        let r = app
            .http
            .get(app.url(path))
            .bearer_auth(&token)
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), 400, "{path}");
        assert_eq!(
            header(r.headers(), "content-type"),
            "application/problem+json",
            "{path}"
        );
        let b: Value = r.json().await.expect("json");
        assert_eq!(b["code"], "invalid_path", "{path}: {b}");
    }
    let r = app
        .http
        .get(app.url("/customers/%FF"))
        .send()
        .await
        .expect("page");
    assert_eq!(r.status(), 400);
    assert!(header(r.headers(), "content-type").starts_with("text/html"));
}

fn jpeg(w: u16, h: u16) -> Vec<u8> {
    let mut out = Vec::new();
    let px: Vec<u8> = (0..usize::from(w) * usize::from(h) * 3)
        .map(|i| (i * 37 % 251) as u8)
        .collect();
    jpeg_encoder::Encoder::new(&mut out, 85)
        .encode(&px, w, h, jpeg_encoder::ColorType::Rgb)
        .expect("jpeg");
    out
}

fn webp(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let px: Vec<u8> = (0..(w * h * 3) as usize)
        .map(|i| (i * 13 % 256) as u8)
        .collect();
    image_webp::WebPEncoder::new(&mut out)
        .encode(&px, w, h, image_webp::ColorType::Rgb8)
        .expect("webp");
    out
}

async fn upload(app: &TestApp, w: &World, id: &str, ct: &str, body: Vec<u8>) -> (u16, Value) {
    let r = app
        .http
        .post(app.url(&format!("/api/v1/work-orders/{id}/photos")))
        .bearer_auth(&w.engineer)
        .header("content-type", ct)
        .header("accept-language", "en")
        .body(body)
        .send()
        .await
        .expect("upload");
    crate::helpers::split(r).await
}

async fn images_that_go_on_after_their_end_are_refused_or_cut_and_photos_are_served_inert(
    app: TestApp,
) {
    let w = world(&app).await;
    let (_, o) = on_site(&app, &w).await;
    let id = o["id"].as_str().expect("id").to_owned();
    let html = b"<html><body><script>alert(document.cookie)</script></body></html>".to_vec();
    let (jpg, wbp) = (jpeg(16, 8), webp(6, 4));
    for (ct, good) in [
        ("image/png", PNG.to_vec()),
        ("image/jpeg", jpg.clone()),
        ("image/webp", wbp.clone()),
    ] {
        // Followed by HTML; cut short; damaged inside (its type is kept, its data broken).
        let mut trailing = good.clone();
        trailing.extend_from_slice(&html);
        let cut = good[..good.len() * 2 / 3].to_vec();
        let mut damaged = good.clone();
        let mid = damaged.len() / 2;
        for b in &mut damaged[mid..mid + 6] {
            *b ^= 0x5A;
        }
        let mut bad = vec![("cut", cut)];
        // A phone appends data after a JPEG's end (a motion photo's video): the picture is
        // kept and the rest cut off; a PNG or WebP must end where it says.
        if ct == "image/jpeg" {
            let (s, p) = upload(&app, &w, &id, ct, trailing).await;
            assert_eq!(s, 201, "{ct} trailing: {p}");
            let served = app
                .http
                .get(app.url(&format!(
                    "/api/v1/work-orders/{id}/photos/{}",
                    p["id"].as_str().expect("photo id")
                )))
                .bearer_auth(&w.dispatcher)
                .send()
                .await
                .expect("photo")
                .bytes()
                .await
                .expect("bytes");
            assert_eq!(served.as_ref(), good.as_slice(), "the HTML is cut off");
        } else {
            bad.push(("trailing", trailing));
        }
        // A PNG's chunks carry checksums, so damage inside is certain to show.
        if ct == "image/png" {
            bad.push(("damaged", damaged));
        }
        for (what, bytes) in bad {
            let (s, b) = upload(&app, &w, &id, ct, bytes).await;
            assert_eq!(
                (s, b["code"].as_str(), b["errors"][0]["field"].as_str()),
                (422, Some("validation_failed"), Some("photo")),
                "{ct} {what}: {b}"
            );
            assert_eq!(b["errors"][0]["code"], "corrupt_image", "{ct} {what}: {b}");
        }
        let (s, p) = upload(&app, &w, &id, ct, good.clone()).await;
        assert_eq!(s, 201, "{ct}: {p}");
        let pid = p["id"].as_str().expect("photo id");
        let r = app
            .http
            .get(app.url(&format!("/api/v1/work-orders/{id}/photos/{pid}")))
            .bearer_auth(&w.dispatcher)
            .send()
            .await
            .expect("photo");
        assert_eq!(r.status(), 200);
        let h = r.headers().clone();
        assert_eq!(header(&h, "content-type"), ct);
        assert_eq!(header(&h, "x-content-type-options"), "nosniff");
        let disp = header(&h, "content-disposition");
        assert!(
            disp.starts_with("inline; filename=\"photo-") && disp.contains(pid),
            "{disp}"
        );
        assert!(header(&h, "content-security-policy").contains("sandbox"));
        assert_eq!(r.bytes().await.expect("bytes").as_ref(), good.as_slice());
    }
    // HTML that calls itself a PNG is no image at all.
    let mut fake = PNG[..8].to_vec();
    fake.extend_from_slice(&html);
    let (s, b) = upload(&app, &w, &id, "image/png", fake).await;
    assert_eq!(s, 422, "{b}");
    // The signature too: a PNG followed by HTML is refused.
    let mut sig = PNG.to_vec();
    sig.extend_from_slice(&html);
    use base64::Engine;
    let url = format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(&sig)
    );
    let (s, b) = act(
        &app,
        &w.engineer,
        &id,
        "signature",
        json!({"signature_png": url, "signer_name": "张伟"}),
    )
    .await;
    assert_eq!(
        (
            s,
            b["errors"][0]["field"].as_str(),
            b["errors"][0]["code"].as_str()
        ),
        (422, Some("signature_png"), Some("invalid_image")),
        "{b}"
    );
    // Nothing refused was kept: the three good photos and the cut JPEG (its stored size
    // that of the picture alone), the record unsigned.
    let (_, o) = app
        .get(&format!("/api/v1/work-orders/{id}"), &w.engineer)
        .await;
    let photos = o["photos"].as_array().expect("photos");
    assert_eq!(photos.len(), 4, "{o}");
    let jpegs: Vec<i64> = photos
        .iter()
        .filter(|p| p["content_type"] == "image/jpeg")
        .map(|p| p["size"].as_i64().expect("size"))
        .collect();
    assert_eq!(jpegs, vec![jpg.len() as i64; 2], "{o}");
}

/// Fills in, signs and completes an order on site; its id.
async fn signed_order(app: &TestApp, w: &World) -> String {
    let (_, o) = on_site(app, w).await;
    let id = o["id"].as_str().expect("id").to_owned();
    let (s, b) = app
        .send("PUT", &format!("/api/v1/work-orders/{id}/record"), &w.engineer, Some(json!({
            "version": 0, "fault_cause_code": "C-AC-CAP", "diagnosis": "启动电容损坏", "action_taken": "更换启动电容",
            "parts": [{"part_no": "C-35UF", "name": "启动电容", "qty": 1}], "labor_minutes": 75,
            "test_run_done": true, "customer_trained": true, "rating_quality": 5, "rating_attitude": 4})))
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = act(
        app,
        &w.engineer,
        &id,
        "signature",
        json!({"signature_png": png_data_url(), "signer_name": "张伟"}),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    id
}

async fn a_foreign_host_never_reaches_the_verification_link(app: TestApp) {
    let w = world(&app).await;
    let id = signed_order(&app, &w).await;
    let b = Browser::new(&app, "en");
    b.login("dispatcher").await;
    let path = format!("/work-orders/{id}/record");
    let own = app.base.trim_start_matches("http://").to_owned();
    for (headers, expect) in [
        (vec![("host", "evil.example")], "href=\"/verify/".to_owned()),
        (
            vec![
                ("host", "evil.example:8080"),
                ("x-forwarded-host", "evil.example"),
            ],
            "href=\"/verify/".to_owned(),
        ),
        (
            vec![("host", own.as_str()), ("x-forwarded-host", "evil.example")],
            format!("href=\"http://{own}/verify/"),
        ),
        (
            vec![("host", "localhost")],
            "href=\"http://localhost/verify/".to_owned(),
        ),
    ] {
        let (s, _, body) = b.raw("GET", &path, &headers, Vec::new()).await;
        let html = String::from_utf8_lossy(&body);
        assert_eq!(s, 200, "{headers:?}");
        assert!(
            !html.contains("evil.example"),
            "{headers:?}: the foreign host was printed"
        );
        assert!(
            html.contains(&expect),
            "{headers:?}: no {expect} in the page"
        );
    }
    // With a public URL, that is the link, whatever the Host says.
    let (addr, _stop) = serve_limited(
        &app,
        aftersales_web::WebConfig {
            public_url: Some("https://service.example.com/".into()),
            ..aftersales_web::WebConfig::default()
        },
        limits(5_000, 5_000, 16),
    )
    .await;
    let r = reqwest::Client::new()
        .get(format!("http://{addr}/api/v1/work-orders/{id}/record.pdf"))
        .bearer_auth(&w.dispatcher)
        .header("host", "evil.example")
        .send()
        .await
        .expect("pdf");
    assert_eq!(r.status(), 200);
    assert_eq!(
        header(r.headers(), "content-security-policy"),
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    );
}

async fn the_worker_keeps_going_after_claims_fail(app: TestApp) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let mut handlers = Handlers::new();
    handlers.register("test.after_failure", move |_app, job| {
        let tx = tx.clone();
        async move {
            let _ = tx.send(job.key.clone());
            Ok(())
        }
    });
    let opts = WorkerOptions {
        poll_interval: Duration::from_millis(50),
        ..WorkerOptions::default()
    };
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(aftersales_jobs::run(
        app.app.clone(),
        handlers,
        opts,
        stop_rx,
    ));
    // The jobs table goes away for a while: every claim fails with a database error.
    app.raw_execute("ALTER TABLE jobs RENAME TO jobs_away")
        .await
        .expect("rename away");
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(
        !worker.is_finished(),
        "the worker stopped on a failing claim"
    );
    app.raw_execute("ALTER TABLE jobs_away RENAME TO jobs")
        .await
        .expect("rename back");
    let job = NewJob::new(
        "test.after_failure",
        "after-failure:1",
        json!({}),
        app.app.now(),
    );
    assert!(app.app.arm_job(&job).await.expect("arm"));
    let got = tokio::time::timeout(Duration::from_secs(15), rx.recv()).await;
    assert_eq!(
        got.ok().flatten().as_deref(),
        Some("after-failure:1"),
        "on {}: the worker did not run a job after its claims had failed",
        app.backend
    );
    let _ = stop_tx.send(true);
    tokio::time::timeout(Duration::from_secs(10), worker)
        .await
        .expect("worker stops")
        .expect("worker task");
}
