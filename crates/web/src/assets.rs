//! Static assets, embedded in the binary: nothing is fetched from the internet.

use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

const FILES: &[(&str, &str, &[u8])] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/app.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/app.js"),
    ),
    (
        "field.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/field.js"),
    ),
    (
        "scan.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/scan.js"),
    ),
    (
        "picker.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/picker.js"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_bytes!("../assets/favicon.svg"),
    ),
    (
        "htmx.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/htmx.min.js"),
    ),
];

pub fn router() -> Router<crate::AppState> {
    Router::new()
        .route("/assets/{file}", axum::routing::get(asset))
        // Browsers ask for it whatever the page says; the same icon, not a 404 per page.
        .route(
            "/favicon.ico",
            axum::routing::get(|| asset(Path("favicon.svg".to_owned()))),
        )
}

async fn asset(Path(file): Path<String>) -> Response {
    match FILES.iter().find(|(name, _, _)| *name == file) {
        Some((_, mime, bytes)) => (
            [
                (header::CONTENT_TYPE, *mime),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            *bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
