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
            http.timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout)
                .max_header_size(32 * 1024)
                .max_buf_size(64 * 1024);
            let io = JsonParseErrors::new(TokioIo::new(stream));
            let conn = http.serve_connection(io, TowerToHyperService::new(svc));
            let _ = conn.await;
            drop(slot);
        });
    }
}

/// What hyper answers by itself to a request it cannot read (400, 414, 431), with an empty
/// body: rewritten on the way out into the JSON error every other answer has. The app never
/// sends an error without a body, so an empty one with these statuses is always hyper's.
fn json_parse_error(head: &[u8]) -> Option<Vec<u8>> {
    let (status, code, message) = match head.get(..13)? {
        b"HTTP/1.1 400 " => (400, "bad_request", "the request could not be read as HTTP"),
        b"HTTP/1.1 414 " => (414, "uri_too_long", "the address is too long"),
        b"HTTP/1.1 431 " => (431, "headers_too_large", "the request's headers are too large"),
        _ => return None,
    };
    let empty = head.ends_with(b"\r\n\r\n") && head.windows(21).any(|w| w == b"\r\ncontent-length: 0\r\n");
    if !empty {
        return None;
    }
    let reason = axum::http::StatusCode::from_u16(status).ok()?.canonical_reason().unwrap_or("");
    let body = serde_json::to_string(&common::engine::wire::ErrorBody {
        error: code.into(),
        message: message.into(),
        field: None,
    })
    .ok()?;
    Some(
        format!(
            "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
             connection: close\r\ncache-control: no-store\r\nx-content-type-options: nosniff\r\n\
             content-security-policy: {CSP}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

/// The connection's IO, with [`json_parse_error`] applied to what hyper writes.
struct JsonParseErrors<T> {
    inner: T,
    pending: Vec<u8>,
    at: usize,
}

impl<T> JsonParseErrors<T> {
    fn new(inner: T) -> JsonParseErrors<T> {
        JsonParseErrors { inner, pending: Vec::new(), at: 0 }
    }
}

impl<T: hyper::rt::Write + Unpin> JsonParseErrors<T> {
    fn drain(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<std::io::Result<()>> {
        while self.at < self.pending.len() {
            match std::pin::Pin::new(&mut self.inner).poll_write(cx, &self.pending[self.at..]) {
                std::task::Poll::Ready(Ok(0)) => {
                    return std::task::Poll::Ready(Err(std::io::ErrorKind::WriteZero.into()));
                }
                std::task::Poll::Ready(Ok(n)) => self.at += n,
                std::task::Poll::Ready(Err(e)) => return std::task::Poll::Ready(Err(e)),
                std::task::Poll::Pending => return std::task::Poll::Pending,
            }
        }
        self.pending.clear();
        self.at = 0;
        std::task::Poll::Ready(Ok(()))
    }

    /// `head` taken whole if it is one of hyper's own answers, its JSON version written in
    /// its place (flush and shutdown write out what is left of it); `None` otherwise.
    fn replaced(
        &mut self,
        cx: &mut std::task::Context<'_>,
        head: &[u8],
    ) -> Option<std::task::Poll<std::io::Result<usize>>> {
        self.pending = json_parse_error(head)?;
        Some(match self.drain(cx) {
            std::task::Poll::Ready(Err(e)) => std::task::Poll::Ready(Err(e)),
            _ => std::task::Poll::Ready(Ok(head.len())),
        })
    }
}

impl<T: hyper::rt::Read + Unpin> hyper::rt::Read for JsonParseErrors<T> {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<T: hyper::rt::Write + Unpin> hyper::rt::Write for JsonParseErrors<T> {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        std::task::ready!(this.drain(cx))?;
        if let Some(done) = this.replaced(cx, buf) {
            return done;
        }
        std::pin::Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    // Vectored: hyper then hands a body to the socket as it is, instead of copying it into
    // its own buffer first (a pull page of 54 orders is about 80 KB).
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_write_vectored(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        std::task::ready!(this.drain(cx))?;
        // hyper's own answers have an empty body: their head is the first slice, whole.
        if let Some(done) = bufs.iter().find(|b| !b.is_empty()).and_then(|head| this.replaced(cx, head)) {
            return done;
        }
        std::pin::Pin::new(&mut this.inner).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let this = self.get_mut();
        std::task::ready!(this.drain(cx))?;
        std::pin::Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let this = self.get_mut();
        std::task::ready!(this.drain(cx))?;
        std::pin::Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hypers_empty_parse_errors_become_json_and_the_apps_answers_are_untouched() {
        let hyper_431 = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        let out = String::from_utf8(json_parse_error(hyper_431).unwrap()).unwrap();
        assert!(out.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"), "{out}");
        let body: common::engine::wire::ErrorBody =
            serde_json::from_str(out.split("\r\n\r\n").nth(1).unwrap()).unwrap();
        assert_eq!(body.error, "headers_too_large");
        let app_414 = b"HTTP/1.1 414 URI Too Long\r\ncontent-type: application/json\r\ncontent-length: 60\r\n\r\n";
        assert_eq!(json_parse_error(app_414), None);
        assert_eq!(json_parse_error(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"), None);
    }
}
