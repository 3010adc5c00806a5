//! The pages: who may open which page, CSRF on every form, errors beside the field in the
//! user's language, embedded assets.

use crate::both;
use crate::helpers::{ADMIN_PASSWORD, DEMO_PASSWORD, TestApp};

const ALL: &[&str] = &[
    "admin",
    "agent",
    "dispatcher",
    "engineer",
    "warehouse",
    "manager",
    "partner",
    "customer",
];

/// (page, roles that may open it)
const PAGES: &[(&str, &[&str])] = &[
    // API tokens are for staff's and partners' integrations (issue 13: not customers).
    (
        "/me/tokens",
        &[
            "admin",
            "agent",
            "dispatcher",
            "engineer",
            "warehouse",
            "manager",
            "partner",
        ],
    ),
    ("/me/password", ALL),
    ("/admin/users", &["admin", "manager"]),
    ("/admin/users/new", &["admin"]),
    // Managers: their subtree's trail (issue 13, defect 11).
    ("/admin/audit", &["admin", "manager"]),
    ("/admin/jobs", &["admin"]),
    (
        "/org-units",
        &[
            "admin",
            "agent",
            "dispatcher",
            "engineer",
            "warehouse",
            "manager",
            "partner",
        ],
    ),
    (
        "/certifications",
        &["admin", "dispatcher", "engineer", "manager", "partner"],
    ),
    (
        "/customers",
        &[
            "admin",
            "agent",
            "dispatcher",
            "engineer",
            "warehouse",
            "manager",
        ],
    ),
    (
        "/customers/incomplete",
        &[
            "admin",
            "agent",
            "dispatcher",
            "engineer",
            "warehouse",
            "manager",
        ],
    ),
    (
        "/customers/new",
        &["admin", "agent", "dispatcher", "manager"],
    ),
    // Requests (docs/service-flow.md "Pages").
    ("/console", &["admin", "agent", "dispatcher", "manager"]),
    (
        "/requests",
        &[
            "admin",
            "agent",
            "dispatcher",
            "engineer",
            "manager",
            "partner",
        ],
    ),
    ("/portal", &["customer"]),
    ("/portal/requests/new", &["customer"]),
    ("/dispatch", &["admin", "dispatcher", "manager"]),
    ("/m", &["engineer", "partner"]),
];

/// A browser-like client: keeps cookies, does not follow redirects.
pub(crate) struct Browser {
    http: reqwest::Client,
    base: String,
    lang: &'static str,
}

impl Browser {
    pub(crate) fn new(app: &TestApp, lang: &'static str) -> Self {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Browser {
            http,
            base: app.base.clone(),
            lang,
        }
    }

    pub(crate) async fn get(&self, path: &str) -> (u16, String, Option<String>) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .header("accept-language", self.lang)
            .send()
            .await
            .expect("request");
        let status = r.status().as_u16();
        let location = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        (status, r.text().await.expect("text"), location)
    }

    pub(crate) async fn post(
        &self,
        path: &str,
        form: &[(&str, &str)],
    ) -> (u16, String, Option<String>) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("accept-language", self.lang)
            .form(form)
            .send()
            .await
            .expect("request");
        let status = r.status().as_u16();
        let location = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        (status, r.text().await.expect("text"), location)
    }

    /// Any request with the session cookie: (status, content type, body).
    pub(crate) async fn raw(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> (u16, String, Vec<u8>) {
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut b = self
            .http
            .request(m, format!("{}{path}", self.base))
            .header("accept-language", self.lang)
            .body(body);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let r = b.send().await.expect("request");
        let status = r.status().as_u16();
        let ct = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        (status, ct, r.bytes().await.expect("body").to_vec())
    }

    /// The CSRF token of a page (from its meta tag).
    pub(crate) async fn csrf(&self, path: &str) -> String {
        let (_, html, _) = self.get(path).await;
        let start = html
            .find("name=\"csrf-token\" content=\"")
            .expect("csrf meta")
            + 27;
        html[start..].split('"').next().expect("token").to_owned()
    }

    pub(crate) async fn login(&self, user: &str) {
        let pw = if user == "admin" {
            ADMIN_PASSWORD
        } else {
            DEMO_PASSWORD
        };
        self.login_with(user, pw).await
    }

    /// Signs in with a password of the test's own (a user it created).
    pub(crate) async fn login_with(&self, user: &str, pw: &str) {
        let csrf = self.csrf("/login").await;
        let (status, _, location) = self
            .post(
                "/login",
                &[
                    ("_csrf", &csrf),
                    ("username", user),
                    ("password", pw),
                    ("next", "/"),
                ],
            )
            .await;
        assert_eq!(
            (status, location.as_deref()),
            (303, Some("/")),
            "login of {user}"
        );
    }
}

both!(
    every_role_opens_exactly_its_pages_and_strangers_go_to_login,
    forms_without_the_csrf_token_are_refused,
    a_wrong_password_shows_the_error_in_the_pages_language,
    form_errors_appear_beside_the_field_in_the_users_language,
    a_session_cookie_is_httponly_and_samesite,
    assets_are_embedded,
    the_audit_page_filters_by_actor_and_day,
    an_agent_creates_and_edits_a_customer_in_forms_and_sees_what_changed,
    an_agent_transfers_a_unit_and_the_history_keeps_both_owners,
    the_catalog_says_policies_in_words_and_units_filter_by_serial_and_model,
    the_contracts_page_shows_where_each_stands_and_the_renewal_list,
);

async fn every_role_opens_exactly_its_pages_and_strangers_go_to_login(app: TestApp) {
    let stranger = Browser::new(&app, "zh-CN");
    for (page, _) in [("/", ALL)].iter().chain(PAGES) {
        let (status, _, location) = stranger.get(page).await;
        assert_eq!(status, 303, "{page}");
        assert!(
            location.as_deref().is_some_and(|l| l.starts_with("/login")),
            "{page} -> {location:?}"
        );
    }
    let mut failures = Vec::new();
    for role in ALL {
        let b = Browser::new(&app, "zh-CN");
        b.login(role).await;
        for (page, allowed) in PAGES {
            let (status, html, _) = b.get(page).await;
            let expected = if allowed.contains(role) { 200 } else { 403 };
            if status != expected || (expected == 403 && !html.contains("您没有执行此操作的权限"))
            {
                failures.push(format!("{role} {page}: {status}, expected {expected}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Home is each role's work (issue 13): the front desk, dispatch, the field and the
    // portal are sent there; managers, admins and the warehouse have a page of their own.
    for (role, home) in [
        ("agent", Some("/console")),
        ("dispatcher", Some("/dispatch")),
        ("engineer", Some("/m")),
        ("partner", Some("/m")),
        ("customer", Some("/portal")),
        ("manager", None),
        ("admin", None),
        ("warehouse", None),
    ] {
        let b = Browser::new(&app, "zh-CN");
        b.login(role).await;
        let (status, _, location) = b.get("/").await;
        match home {
            Some(h) => assert_eq!((status, location.as_deref()), (303, Some(h)), "{role}"),
            None => assert_eq!(status, 200, "{role}"),
        }
    }
}

async fn forms_without_the_csrf_token_are_refused(app: TestApp) {
    let b = Browser::new(&app, "en");
    b.login("admin").await;
    let (status, _, _) = b.post("/logout", &[]).await;
    assert_eq!(status, 403);
    let (status, html, _) = b
        .post(
            "/admin/users",
            &[("_csrf", "forged"), ("username", "evil"), ("role", "admin")],
        )
        .await;
    assert_eq!(status, 403);
    assert!(html.contains("The form expired"), "{html}");
    assert!(
        app.app
            .find_user_by_username("evil")
            .await
            .expect("lookup")
            .is_none()
    );
    // Still signed in: the refused logout did nothing.
    assert_eq!(b.get("/me/password").await.0, 200);
}

async fn a_wrong_password_shows_the_error_in_the_pages_language(app: TestApp) {
    for (lang, text, html_lang) in [
        ("zh-CN", "用户名或密码错误", "zh-CN"),
        ("en-US,en", "Wrong username or password", "en"),
    ] {
        let b = Browser::new(&app, lang);
        let csrf = b.csrf("/login").await;
        let (status, html, _) = b
            .post(
                "/login",
                &[
                    ("_csrf", &csrf),
                    ("username", "agent"),
                    ("password", "wrong-password"),
                ],
            )
            .await;
        assert_eq!(status, 401);
        assert!(html.contains(&format!("lang=\"{html_lang}\"")));
        assert!(
            html.contains("id=\"login-error\"") && html.contains(text),
            "{lang}: {html}"
        );
    }
}

async fn form_errors_appear_beside_the_field_in_the_users_language(app: TestApp) {
    for (lang, text) in [
        ("zh-CN", "至少 3 个字符。"),
        ("en", "At least 3 characters."),
    ] {
        let b = Browser::new(&app, lang);
        b.login("admin").await;
        let csrf = b.csrf("/admin/users/new").await;
        let (status, html, _) = b
            .post(
                "/admin/users",
                &[
                    ("_csrf", &csrf),
                    ("username", "ab"),
                    ("display_name", "短名"),
                    ("role", "agent"),
                    ("password", "long-enough-pw"),
                    ("locale", "zh-CN"),
                ],
            )
            .await;
        assert_eq!(status, 422);
        let at = html
            .find("id=\"username-error\"")
            .expect("error beside the user name field");
        assert!(
            html[at..].starts_with(&format!("id=\"username-error\">{text}")),
            "{}",
            &html[at..at + 80]
        );
        assert!(html.contains("value=\"短名\""), "what was typed is kept");
    }
}

async fn a_session_cookie_is_httponly_and_samesite(app: TestApp) {
    let b = Browser::new(&app, "zh-CN");
    let csrf = b.csrf("/login").await;
    let r = b
        .http
        .post(format!("{}/login", app.base))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("username", "agent"),
            ("password", DEMO_PASSWORD),
        ])
        .send()
        .await
        .expect("request");
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("as_session="))
        .expect("session cookie")
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "plain http here; Secure comes with secure_cookies"
    );
}

async fn assets_are_embedded(app: TestApp) {
    for (path, ty) in [
        ("/assets/htmx.min.js", "text/javascript"),
        ("/assets/app.css", "text/css"),
        ("/assets/app.js", "text/javascript"),
        ("/assets/field.js", "text/javascript"),
    ] {
        let r = app.http.get(app.url(path)).send().await.expect("request");
        assert_eq!(r.status(), 200, "{path}");
        assert!(
            r.headers()["content-type"]
                .to_str()
                .expect("ascii")
                .starts_with(ty)
        );
        assert!(r.bytes().await.expect("body").len() > 500);
    }
    let (_, html, _) = Browser::new(&app, "zh-CN").get("/login").await;
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "nothing loaded from the internet"
    );
}

async fn the_audit_page_filters_by_actor_and_day(app: TestApp) {
    let b = Browser::new(&app, "en");
    b.login("admin").await;
    let today = jiff::Zoned::now()
        .with_time_zone(jiff::tz::TimeZone::fixed(jiff::tz::offset(8)))
        .date()
        .to_string();
    let (status, html, _) = b
        .get(&format!(
            "/admin/audit?actor=admin&filtered=1&from={today}&to={today}"
        ))
        .await;
    assert_eq!(status, 200);
    assert!(
        html.matches("<span class=\"audit-deed\">signed in</span>")
            .count()
            >= 1,
        "today's sign-in is listed when sign-ins are shown"
    );
    let (_, html, _) = b
        .get("/admin/audit?actor=admin&from=2001-01-01&to=2001-01-02")
        .await;
    assert!(html.contains("Nothing matches."), "nothing in 2001");
    let (_, html, _) = b.get("/admin/audit?from=yesterday").await;
    assert!(
        html.contains("The query parameters are invalid."),
        "a bad date is explained"
    );
}

async fn an_agent_creates_and_edits_a_customer_in_forms_and_sees_what_changed(app: TestApp) {
    let b = Browser::new(&app, "zh-CN");
    b.login("agent").await;
    let csrf = b.csrf("/customers/new").await;
    // A bad phone: the error sits beside the contact's phone field, what was typed stays.
    let (status, html, _) = b
        .post(
            "/customers/new",
            &[
                ("_csrf", &csrf),
                ("version", "0"),
                ("kind", "individual"),
                ("name", "周芷若"),
                ("contacts.0.id", ""),
                ("contacts.0.name", "周芷若"),
                ("contacts.0.title", ""),
                ("contacts.0.phones", "138 0013 8000, 电话"),
                ("sites.0.id", ""),
                ("sites.0.label", ""),
                ("sites.0.address", "沈阳市和平区太原街2号"),
                ("sites.0.region_code", "210102"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    let at = html
        .find("id=\"contacts-0-phones\"")
        .expect("the phones field");
    let near = &html[at..at + 600];
    assert!(
        near.contains("class=\"field-error\">电话号码只能包含数字"),
        "{near}"
    );
    assert!(html.contains("value=\"周芷若\""), "what was typed is kept");

    let (status, _, location) = b
        .post(
            "/customers/new",
            &[
                ("_csrf", &csrf),
                ("version", "0"),
                ("kind", "individual"),
                ("name", "周芷若"),
                ("contacts.0.name", "周芷若"),
                ("contacts.0.phones", "138 0013 8000"),
                ("sites.0.address", "沈阳市和平区太原街2号"),
                ("sites.0.region_code", "210102"),
                // The spare empty row of the form is ignored.
                ("contacts.1.name", ""),
                ("contacts.1.phones", ""),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let location = location.expect("redirect to the record");
    let id = location
        .trim_start_matches("/customers/")
        .split('?')
        .next()
        .expect("id")
        .to_owned();
    let (status, html, _) = b.get(&location).await;
    assert_eq!(status, 200);
    assert!(html.contains("已保存"), "saved notice");
    assert!(html.contains("138 0013 8000"));

    // The edit form comes filled in; change the name and the phone.
    let (status, html, _) = b.get(&format!("/customers/{id}/edit")).await;
    assert_eq!(status, 200);
    assert!(html.contains("value=\"周芷若\""));
    let field = |name: &str| -> String {
        let at = html
            .find(&format!("name=\"{name}\" value=\""))
            .unwrap_or_else(|| panic!("{name} in the form"));
        let rest = &html[at + name.len() + 15..];
        rest.split('"').next().expect("value").to_owned()
    };
    let (contact_id, site_id, version) = (
        field("contacts.0.id"),
        field("sites.0.id"),
        field("version"),
    );
    assert_eq!(version, "1");
    let (status, _, location) = b
        .post(
            &format!("/customers/{id}/edit"),
            &[
                ("_csrf", &csrf),
                ("version", &version),
                ("kind", "individual"),
                ("name", "周芷若（新）"),
                ("contacts.0.id", &contact_id),
                ("contacts.0.name", "周芷若"),
                ("contacts.0.phones", "139 1111 2222"),
                ("sites.0.id", &site_id),
                ("sites.0.address", "沈阳市和平区太原街2号"),
                ("sites.0.region_code", "210102"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (_, html, _) = b.get(&location.expect("back to the record")).await;
    assert!(
        html.contains("修改客户档案"),
        "the history names the change"
    );
    assert!(
        html.contains("姓名/名称: 周芷若 → 周芷若（新）"),
        "the history shows the old and new name"
    );
    assert!(
        html.contains("− 联系人 周芷若 138 0013 8000")
            && html.contains("+ 联系人 周芷若 139 1111 2222"),
        "the history shows the phone change"
    );

    // Saving the same old version again is refused and shows the current record.
    let (status, html, _) = b
        .post(
            &format!("/customers/{id}/edit"),
            &[
                ("_csrf", &csrf),
                ("version", "1"),
                ("kind", "individual"),
                ("name", "过期的修改"),
            ],
        )
        .await;
    assert_eq!(status, 409);
    assert!(html.contains("该记录已被他人修改"));
    assert!(html.contains("value=\"周芷若（新）\""));
}

async fn an_agent_transfers_a_unit_and_the_history_keeps_both_owners(app: TestApp) {
    use serde_json::json;
    let admin = app.token("admin").await;
    let (st, b) = app
        .send("POST", "/api/v1/warranty-policies", &admin, Some(json!({"code": "P1", "name": "一年",
            "version": {"effective_from": "2020-01-01", "months": 12, "start_basis": "sale_date",
            "in_warranty": {"parts": "free", "labor": "free", "travel": "free"}, "after": [], "exclusion_charge": "cost_price"}})))
        .await;
    assert_eq!(st, 201, "{b}");
    let (st, b) = app
        .send("POST", "/api/v1/products", &admin, Some(json!({"code": "M1", "name": "测试机", "product_line": "测试", "policy_code": "P1"})))
        .await;
    assert_eq!(st, 201, "{b}");
    let agent = app.token("agent").await;
    let mut ids = Vec::new();
    for (name, phone) in [("甲方", "13811112222"), ("乙方", "13933334444")] {
        let (st, c) = app
            .send("POST", "/api/v1/customers", &agent, Some(json!({"kind": "individual", "name": name,
                "contacts": [{"name": name, "phones": [phone]}],
                "sites": [{"label": "家", "address": format!("{name}的家"), "region_code": "210102"}]})))
            .await;
        assert_eq!(st, 201, "{c}");
        ids.push(c);
    }
    let (st, unit) = app
        .send(
            "POST",
            "/api/v1/units",
            &agent,
            Some(json!({"serial": "M1-0001", "product_code": "M1",
            "customer_id": ids[0]["id"], "sale_date": "2025-01-01"})),
        )
        .await;
    assert_eq!(st, 201, "{unit}");
    let uid = unit["id"].as_str().expect("id").to_owned();

    // An engineer may read the unit but not move it.
    let e = Browser::new(&app, "zh-CN");
    e.login("engineer").await;
    let (status, _, _) = e.get(&format!("/units/{uid}/transfer")).await;
    assert_eq!(status, 403);

    let b = Browser::new(&app, "zh-CN");
    b.login("agent").await;
    let (status, html, _) = b.get(&format!("/units/{uid}/transfer?q=3333")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("乙方"),
        "the new owner is found by phone digits"
    );
    let to = ids[1]["id"].as_str().expect("id");
    let (status, html, _) = b
        .get(&format!("/units/{uid}/transfer?customer_id={to}"))
        .await;
    assert_eq!(status, 200);
    assert!(
        html.contains("乙方的家"),
        "the new owner's sites to choose from"
    );
    let csrf = b.csrf(&format!("/units/{uid}/transfer")).await;
    let site = ids[1]["sites"][0]["id"].as_str().expect("site");
    // A bad date is shown beside its field; nothing moves.
    let (status, html, _) = b
        .post(
            &format!("/units/{uid}/transfer"),
            &[
                ("_csrf", &csrf),
                ("version", "1"),
                ("customer_id", to),
                ("site_id", site),
                ("since", "2026-13-01"),
                ("note", ""),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(html.contains("id=\"since-error\""), "error beside the date");
    let (status, _, location) = b
        .post(
            &format!("/units/{uid}/transfer"),
            &[
                ("_csrf", &csrf),
                ("version", "1"),
                ("customer_id", to),
                ("site_id", site),
                ("since", "2026-06-01"),
                ("note", "二手转让"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (_, html, _) = b.get(&location.expect("back to the unit")).await;
    let at = html.find("id=\"ownerships\"").expect("ownership history");
    let hist = &html[at..];
    assert!(
        hist.contains("2026-06-01") && hist.contains("乙方") && hist.contains("二手转让"),
        "{hist}"
    );
    assert!(
        hist.contains("甲方"),
        "the first owner stays in the history"
    );
}

async fn the_catalog_says_policies_in_words_and_units_filter_by_serial_and_model(app: TestApp) {
    use serde_json::json;
    let admin = app.token("admin").await;
    let (st, b) = app
        .send("POST", "/api/v1/warranty-policies", &admin, Some(json!({"code": "LIFE3", "name": "三年保修终身服务",
            "version": {"effective_from": "2020-01-01", "months": 36, "start_basis": "day_after_acceptance",
            "in_warranty": {"parts": "free", "labor": "free", "travel": "free"},
            "after": [{"from_month": 36, "coverage": {"parts": "cost_price", "labor": "free", "travel": "list_price"}}],
            "exclusion_charge": "cost_price"}})))
        .await;
    assert_eq!(st, 201, "{b}");
    for (code, name) in [("KT-5P", "柜机"), ("JSQ", "净水器")] {
        let (st, b) = app
            .send("POST", "/api/v1/products", &admin, Some(json!({"code": code, "name": name, "product_line": "测试", "policy_code": "LIFE3"})))
            .await;
        assert_eq!(st, 201, "{b}");
    }
    let agent = app.token("agent").await;
    for (serial, product) in [
        ("KT-2024-0001", "KT-5P"),
        ("KT-2024-0002", "KT-5P"),
        ("JS-2024-0001", "JSQ"),
    ] {
        let (st, b) = app
            .send(
                "POST",
                "/api/v1/units",
                &agent,
                Some(json!({"serial": serial, "product_code": product, "sale_date": "2024-05-01"})),
            )
            .await;
        assert_eq!(st, 201, "{b}");
    }
    let b = Browser::new(&app, "zh-CN");
    b.login("agent").await;
    let (status, html, _) = b.get("/warranty-policies/LIFE3").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("36 个月，自验收签字次日起算。"),
        "the version in words"
    );
    assert!(
        html.contains("第 4 年起: 配件 按成本价收费 · 人工费 免费 · 上门费 按标准价收费"),
        "year 4 onwards in words"
    );
    let (_, html, _) = b.get("/units?serial=kt2024").await;
    assert!(html.contains("KT-2024-0001") && html.contains("KT-2024-0002"));
    assert!(!html.contains("JS-2024-0001"), "filtered by serial prefix");
    let (_, html, _) = b.get("/units?product=JSQ").await;
    assert!(html.contains("JS-2024-0001") && !html.contains("KT-2024-0001"));
    let en = Browser::new(&app, "en");
    en.login("agent").await;
    let (_, html, _) = en.get("/warranty-policies/LIFE3").await;
    assert!(
        html.contains("From year 4: Parts charged at cost price"),
        "English too"
    );
}

async fn the_contracts_page_shows_where_each_stands_and_the_renewal_list(app: TestApp) {
    app.app.load_demo().await.expect("demo");
    let b = Browser::new(&app, "zh-CN");
    b.login("manager").await;
    let (status, html, _) = b.get("/contracts").await;
    assert_eq!(status, 200);
    for state in ["有效", "即将到期", "已到期", "未生效"] {
        assert!(html.contains(state), "{state}");
    }
    assert!(
        html.contains("每 3 个月上门巡检"),
        "the inspection plan in words"
    );
    let (_, html, _) = b.get("/contracts?expiring=30").await;
    assert_eq!(
        html.matches("<tr>").count(),
        2,
        "the header and the one contract ending within 30 days"
    );
    assert!(html.contains("即将到期") && !html.contains("已到期"));
}
