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
    ("/", ALL),
    ("/me/tokens", ALL),
    ("/me/password", ALL),
    ("/admin/users", &["admin", "manager"]),
    ("/admin/users/new", &["admin"]),
    ("/admin/audit", &["admin"]),
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
        let csrf = self.csrf("/login").await;
        let pw = if user == "admin" {
            ADMIN_PASSWORD
        } else {
            DEMO_PASSWORD
        };
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
);

async fn every_role_opens_exactly_its_pages_and_strangers_go_to_login(app: TestApp) {
    let stranger = Browser::new(&app, "zh-CN");
    for (page, _) in PAGES {
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
    assert_eq!(b.get("/").await.0, 200);
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
            "/admin/audit?actor=admin&action=login&from={today}&to={today}"
        ))
        .await;
    assert_eq!(status, 200);
    assert!(
        html.matches("<td data-label=\"Action\">login</td>").count() >= 1,
        "today's login is listed"
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
