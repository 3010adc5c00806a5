//! The HTTP surface of aftersales: the JSON API under `/api/v1` (bearer tokens, problem+json
//! errors, OpenAPI at `/api/openapi.json`), the server-rendered pages (session cookie, CSRF,
//! zh-CN and English), health, readiness and Prometheus metrics.

mod api;
mod assets;
mod client;
mod csrf;
mod extract;
pub mod i18n;
pub mod io;
mod metrics;
mod openapi;
mod pages;
mod problem;
mod records;
mod request;
mod security;
mod server;
mod shell;
pub mod site;
mod when;

use aftersales_app::App;
use axum::Router;
use axum::http::{HeaderName, Request};
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

pub use metrics::Metrics;
pub use server::{ServeOptions, serve_with};

/// Settings of the web layer.
#[derive(Clone, Debug, Default)]
pub struct WebConfig {
    /// Mark cookies `Secure` (the site is served over TLS, directly or behind a proxy).
    pub secure_cookies: bool,
    /// The address customers reach the site at (`https://service.example.com`), for links
    /// printed on documents (the record's QR code). Without it, the request's own host, but
    /// only when it names this machine (see [`security::trusted_base_url`]).
    pub public_url: Option<String>,
    /// The address the server is bound to: a `Host` naming it is believed without a
    /// `public_url`.
    pub bind: Option<std::net::SocketAddr>,
    /// The company printed on documents' headers, and its contact line.
    pub company_name: Option<String>,
    pub company_contact: Option<String>,
    /// The header a reverse proxy puts the client's address in (e.g. `x-forwarded-for`),
    /// for the login throttle; unset: the connection's peer address.
    pub client_ip_header: Option<String>,
}

#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub cfg: Arc<WebConfig>,
    pub metrics: Arc<Metrics>,
    pub openapi_json: Arc<String>,
}

pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Builds the whole application router.
pub fn router(app: App, cfg: WebConfig) -> Router {
    let (api_router, openapi) = api::router();
    let openapi_json = serde_json::to_string_pretty(&openapi).unwrap_or_else(|_| "{}".into());
    let state = AppState {
        app,
        cfg: Arc::new(cfg),
        metrics: Arc::new(Metrics::default()),
        openapi_json: Arc::new(openapi_json),
    };
    // One line per answered request (status and latency), inside the request's span, so
    // it carries the request id like every other line logged while serving it.
    let trace = TraceLayer::new_for_http()
        .make_span_with(|req: &Request<_>| {
            let id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("http", method = %req.method(), path = %req.uri().path(), request_id = %id)
        })
        .on_response(tower_http::trace::DefaultOnResponse::new().level(tracing::Level::INFO));
    Router::new()
        .merge(api_router)
        .merge(pages::router(state.clone()))
        .merge(assets::router())
        .route("/api/openapi.json", axum::routing::get(openapi::serve))
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        .route("/readyz", axum::routing::get(readyz))
        .route("/metrics", axum::routing::get(metrics::serve))
        .fallback(not_found)
        .layer(axum::middleware::from_fn(reject_bad_paths))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            problem::api_error_bodies,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            problem::panic_response,
        ))
        // Uploads take up to 20 MiB, every other body 2 MiB (enforced by `io::body_limit`,
        // so the extractors' own default limit is lifted).
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(axum::middleware::from_fn(io::body_limit))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(trace)
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        // Outermost: every answer, whatever made it, carries the security headers.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::headers,
        ))
        .with_state(state)
}

/// Unknown paths: problem+json under `/api`, the page of errors elsewhere.
async fn not_found(req: Request<axum::body::Body>) -> axum::response::Response {
    if request::is_api(req.uri().path()) {
        return problem::not_found(&req);
    }
    shell::not_found_page(request::locale_of(req.headers()))
}

/// Refuses a path whose percent-escapes do not decode to UTF-8 (`/api/v1/users/%FF`)
/// before any route sees it: 400 `invalid_path` (problem+json under `/api`, the page of
/// errors elsewhere).
async fn reject_bad_paths(
    req: Request<axum::body::Body>,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if problem::path_is_utf8(req.uri().path()) {
        return next.run(req).await;
    }
    if request::is_api(req.uri().path()) {
        return problem::invalid_path(&req);
    }
    let mut r = shell::not_found_page(request::locale_of(req.headers()));
    *r.status_mut() = axum::http::StatusCode::BAD_REQUEST;
    r
}

async fn readyz(
    axum::extract::State(s): axum::extract::State<AppState>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    match s.app.ready().await {
        Ok(()) => "ready".into_response(),
        Err(e) => {
            tracing::error!(error = %e, "database not reachable");
            (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "database not reachable",
            )
                .into_response()
        }
    }
}

/// Serves until `shutdown` resolves, then finishes the requests in flight; with the
/// default limits ([`ServeOptions`]).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, router, ServeOptions::default(), shutdown).await
}

/// The OpenAPI document, for tests and tools.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api::router().1
}
