//! Salesdesk's server: a thin layer that authenticates, checks permissions, merges what
//! offices push into SQLite, and serves the built browser app. The rules themselves
//! live in `common`.

pub mod admin;
pub mod auth;
pub mod db;
pub mod demo;
pub mod error;
pub mod excel;
pub mod extract;
pub mod http;
pub mod import;
pub mod ops;
pub mod setup;
pub mod statics;
pub mod sync;
pub mod tail;
pub mod throttle;
pub mod uniques;
pub mod upgrade;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::{Json, Router};
use common::engine::wire::{Health, PROTOCOL_VERSION};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Largest request body: a full push of 500 orders fits several times over.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub db: db::Db,
    /// The built frontend (index.html, wasm, js, sw.js), if any.
    pub dist: Option<PathBuf>,
    /// Started with the first push (it needs the async runtime).
    pub pushes: std::sync::Arc<std::sync::OnceLock<sync::PushQueue>>,
    /// Wrong log-ins, by user and by address.
    pub throttle: std::sync::Arc<std::sync::Mutex<throttle::Throttle>>,
    /// Reverse proxies whose X-Forwarded-For is believed.
    pub trusted_proxies: std::sync::Arc<Vec<std::net::IpAddr>>,
    /// Damaged records met while serving (see `sync::read_pull`).
    pub damaged: sync::Damaged,
}

pub struct Config {
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    pub dist: Option<PathBuf>,
    pub demo: bool,
    /// Reverse proxies whose X-Forwarded-For is believed.
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

async fn health() -> Json<Health> {
    Json(Health { status: "ok".into(), version: env!("CARGO_PKG_VERSION").into(), protocol: PROTOCOL_VERSION })
}

async fn api_not_found() -> error::AppError {
    error::AppError::not_found("no such API endpoint")
}

/// The whole HTTP surface, for the binary and for in-process tests.
pub fn app(state: AppState) -> Router {
    let api = Router::new()
        .route("/health", get(health))
        .route("/login", post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/me", get(auth::me))
        .route("/setup", get(setup::status).post(setup::run))
        .route("/me/password", post(admin::change_password))
        .route("/admin/offices", get(admin::offices))
        .route("/admin/offices/{code}", axum::routing::put(admin::put_office))
        .route("/admin/users", get(admin::users).post(admin::add_user))
        .route("/admin/users/{username}", axum::routing::patch(admin::patch_user))
        .route("/admin/users/{username}/devices/{client}", axum::routing::delete(admin::sign_out_device))
        .route("/export/{file}", get(excel::export))
        .route("/import/{target}", post(import::import))
        .route("/sync/push", post(sync::push))
        .route("/sync/pull", get(sync::pull))
        .route("/sync/recover", post(sync::recover))
        .route("/sync/records", get(sync::records))
        .fallback(api_not_found)
        .method_not_allowed_fallback(http::method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES));
    Router::new()
        .nest("/api", api)
        .merge(statics::router(state.dist.clone()))
        .layer(axum::middleware::from_fn(http::edge))
        .with_state(state)
}

/// Opens (creating and migrating) the database under `data_dir`, seeding demo data if asked and empty.
pub fn open_state(data_dir: &std::path::Path, dist: Option<PathBuf>, demo: bool) -> Result<AppState, error::AppError> {
    std::fs::create_dir_all(data_dir)
        .map_err(|e| error::AppError::internal(format!("cannot create {}: {e}", data_dir.display())))?;
    let db = db::Db::open(&ops::db_path(data_dir))?;
    if demo {
        db.with(demo::seed_if_empty)?;
    }
    Ok(AppState {
        db,
        dist,
        pushes: Default::default(),
        throttle: Default::default(),
        trusted_proxies: Default::default(),
        damaged: Default::default(),
    })
}

pub async fn serve(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    // One server per data directory; the lock names the holder to the next one.
    let _lock = ops::lock(&config.data_dir, &format!("salesdesk serve on {}", config.addr)).map_err(|e| e.message)?;
    let mut state = open_state(&config.data_dir, config.dist.clone(), config.demo).map_err(|e| e.message)?;
    state.trusted_proxies = std::sync::Arc::new(config.trusted_proxies);
    let listener = tokio::net::TcpListener::bind(config.addr).await?;
    tracing::info!("Salesdesk listening on http://{}", listener.local_addr()?);
    http::serve(listener, app(state), http::Limits::default(), shutdown_signal()).await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
