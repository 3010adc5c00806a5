//! The login page and signing out.

use crate::AppState;
use crate::request::{SESSION_COOKIE, cookie, request_id_of};
use crate::shell::{PageError, Shell, WebUser, safe_back};
use aftersales_app::AppError;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

#[derive(Template, WebTemplate)]
#[template(path = "accounts/login.html")]
pub struct LoginPage {
    pub shell: Shell,
    pub error: Option<String>,
    pub username: String,
    pub next: String,
}

#[derive(Deserialize, Default)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn login_form(
    State(s): State<AppState>,
    Query(q): Query<NextQuery>,
    req: Request,
) -> Response {
    let (parts, _) = req.into_parts();
    // Already signed in: go on.
    if let Some(t) = cookie(&parts.headers, SESSION_COOKIE)
        && s.app.authenticate_session(t).await.is_ok()
    {
        return crate::shell::redirect(q.next.as_deref().unwrap_or("/")).into_response();
    }
    LoginPage {
        shell: Shell::new(&parts, None),
        error: None,
        username: String::new(),
        next: safe_back(q.next.as_deref()),
    }
    .into_response()
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoginForm {
    username: String,
    password: String,
    next: String,
}

pub async fn login(State(s): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let req = Request::from_parts(parts.clone(), body);
    let Ok(Form(f)) = Form::<LoginForm>::from_request(req, &s).await else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let shell = Shell::new(&parts, None);
    let tr = shell.tr;
    // Decided before signing in: nothing after a session exists can fail on it.
    let next = safe_back(Some(&f.next));
    let client = crate::client::client_ip(&parts, s.cfg.client_ip_header.as_deref());
    match s
        .app
        .login(
            &f.username,
            &f.password,
            true,
            client,
            request_id_of(&parts.headers),
        )
        .await
    {
        Ok(out) => {
            let mut r = crate::shell::redirect(&next).into_response();
            let secure = if s.cfg.secure_cookies { "; Secure" } else { "" };
            let max_age = out.expires_at.duration_since(s.app.now()).as_secs().max(0);
            let c = format!(
                "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}",
                out.token
            );
            // The CSRF token now binds to the new session; the pre-session secret is
            // replaced too, so nothing seen before signing in is of use after it.
            let (_, csrf) = crate::csrf::fresh_pre_session_cookie(s.cfg.secure_cookies);
            for c in [c, csrf] {
                match HeaderValue::from_str(&c) {
                    Ok(v) => {
                        r.headers_mut().append(header::SET_COOKIE, v);
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "a cookie is not a header value");
                        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
                    }
                }
            }
            r
        }
        Err(e) => {
            let retry_after = match &e {
                AppError::RateLimited { retry_after_secs } => Some(*retry_after_secs),
                _ => None,
            };
            let (status, msg) = match &e {
                AppError::InvalidCredentials => {
                    (StatusCode::UNAUTHORIZED, tr.t_error("invalid_credentials"))
                }
                AppError::RateLimited { retry_after_secs } => (
                    StatusCode::TOO_MANY_REQUESTS,
                    tr.f(
                        "login.throttled",
                        &[("minutes", &retry_after_secs.div_ceil(60).to_string())],
                    ),
                ),
                other => {
                    if let AppError::Internal(c) = other {
                        tracing::error!(cause = %c, "login failed with an internal error");
                    }
                    (crate::problem::status_of(other), tr.t_error(other.code()))
                }
            };
            let page = LoginPage {
                shell,
                error: Some(msg),
                username: f.username,
                next,
            };
            let mut r = (status, page).into_response();
            if let Some(secs) = retry_after {
                r.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            r
        }
    }
}

use axum::extract::FromRequest;

pub async fn logout(State(s): State<AppState>, u: WebUser) -> Result<Response, PageError> {
    s.app.logout(&u.ctx, &u.token).await?;
    let mut r = crate::shell::redirect("/login").into_response();
    let c = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    if let Ok(v) = HeaderValue::from_str(&c) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(r)
}
