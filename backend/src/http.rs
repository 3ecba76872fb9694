//! The HTTP edge, for a server facing branch offices over the open network: connections
//! that cannot starve one another (a cap per address and in all, a deadline for request
//! headers, which also closes idle connections), security headers on every answer, JSON
//! errors for odd paths and wrong methods, and one log line per request (never a token).

use crate::error::AppError;
use axum::extract::{ConnectInfo, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tower::Service;

/// What one client may hold of the server.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// How long a client may take to send a request's headers, and to send the next one
    /// on an idle connection: then the connection is closed.
    pub header_timeout: Duration,
    /// Connections open at once, in all and from one address: well below the usual limit
    /// of 1,024 open files, so that one client cannot take them all.
    pub max_connections: usize,
    pub max_per_address: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { header_timeout: Duration::from_secs(10), max_connections: 768, max_per_address: 96 }
    }
}
/// Longest path, and longest segment of one, the server reads.
pub const MAX_PATH: usize = 2048;
pub const MAX_SEGMENT: usize = 200;

/// The content security policy: the app's own files and its wasm, nothing else.
pub const CSP: &str =
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'self'; form-action 'self'";

/// Who the client is: the peer address, or what a trusted reverse proxy says it is.
pub fn client_ip(req: &Request, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip())?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let forwarded = req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
    // The proxy appends the address it saw: the last one is the one it vouches for.
    forwarded.and_then(|f| f.rsplit(',').next()).and_then(|ip| ip.trim().parse().ok()).or(Some(peer))
}

/// Who made the request, filled in by the session check for the log line.
#[derive(Clone, Default)]
pub struct Who(pub Arc<Mutex<Option<(String, String)>>>);

impl Who {
    pub fn set(&self, user: &str, office: &str) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some((user.to_string(), office.to_string()));
    }
}

/// Odd paths are answered at once, as JSON; then headers on every answer; then the log line.
pub async fn edge(mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let who = Who::default();
    req.extensions_mut().insert(who.clone());
    let too_long = path.len() > MAX_PATH || path.split('/').any(|s| s.len() > MAX_SEGMENT);
    let mut resp = if too_long {
        AppError::new(StatusCode::URI_TOO_LONG, "uri_too_long", "the address is too long").into_response()
    } else {
        next.run(req).await
    };
    secure(&mut resp, path.starts_with("/api/"));
    let status = resp.status().as_u16();
    let (user, office) = who.0.lock().unwrap_or_else(|p| p.into_inner()).clone().unwrap_or_default();
    // The path only (a query never carries a secret here, but it is noise); never a header.
    let shown: String = path.chars().take(120).collect();
    tracing::info!(
        target: "salesdesk::request",
        method = %method,
        path = %shown,
        status,
        user = %user,
        office = %office,
        ms = started.elapsed().as_millis() as u64,
    );
    resp
}

fn secure(resp: &mut Response, api: bool) {
    let h = resp.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("SAMEORIGIN"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if api {
        // Answers (the log-in's token above all) are never kept by a cache.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// A method the path does not take: JSON, like every other error.
pub async fn method_not_allowed() -> AppError {
    AppError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "this address does not take that method")
}

/// Counts connections per address, and in all.
#[derive(Default)]
struct Counts {
    total: usize,
    by_ip: HashMap<IpAddr, usize>,
}

struct Slot {
    counts: Arc<Mutex<Counts>>,
    ip: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut c = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        c.total -= 1;
        if let Some(n) = c.by_ip.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                c.by_ip.remove(&self.ip);
            }
        }
    }
}

fn take_slot(counts: &Arc<Mutex<Counts>>, ip: IpAddr, limits: Limits) -> Option<Slot> {
    let mut c = counts.lock().unwrap_or_else(|p| p.into_inner());
    let mine = c.by_ip.get(&ip).copied().unwrap_or(0);
    if c.total >= limits.max_connections || mine >= limits.max_per_address {
        return None;
    }
    c.total += 1;
    *c.by_ip.entry(ip).or_default() += 1;
    Some(Slot { counts: counts.clone(), ip })
}

/// Serves `app` until `shutdown` completes, with the limits above.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let counts = Arc::new(Mutex::new(Counts::default()));
    let mut make = app.into_make_service_with_connect_info::<SocketAddr>();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                // Out of file descriptors, say: wait a moment rather than spin.
                Err(_) => { tokio::time::sleep(Duration::from_millis(50)).await; continue; }
            },
            () = &mut shutdown => return Ok(()),
        };
        let Some(slot) = take_slot(&counts, peer.ip(), limits) else {
            drop(stream);
            continue;
        };
        let Ok(svc) = make.call(peer).await;
        tokio::spawn(async move {
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout).max_buf_size(64 * 1024);
            let conn = http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(svc));
            let _ = conn.await;
            drop(slot);
        });
    }
}
