//! Serving the built app: compressed, revalidated on every load (file names carry no
//! hash, and the service worker needs to see a new version as soon as it is deployed),
//! and index.html for any client-side route.

use crate::AppState;
use axum::http::{header, HeaderValue};
use axum::response::Html;
use axum::Router;
use std::path::PathBuf;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

const NOT_BUILT: &str = "<!doctype html><meta charset=utf-8><title>Salesdesk</title>\
<p>The browser app is not built. Run <code>cargo xtask run</code>.</p>";

pub fn router(dist: Option<PathBuf>) -> Router<AppState> {
    let Some(dist) = dist.filter(|d| d.join("index.html").is_file()) else {
        return Router::new().fallback(|| async { Html(NOT_BUILT) });
    };
    // Compressed once, at build time, at the best quality (`xtask dist` writes `.br` and
    // `.gz` beside each file), and sent as they are: no CPU per download.
    let index = ServeFile::new(dist.join("index.html")).precompressed_br().precompressed_gzip();
    let serve = ServeDir::new(&dist).precompressed_br().precompressed_gzip().fallback(index);
    Router::new()
        .fallback_service(serve)
        .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-cache")))
}
