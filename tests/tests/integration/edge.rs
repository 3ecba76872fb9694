//! The server as seen from the open network: odd requests get JSON errors, password
//! guessing is throttled, answers carry security headers, idle and excess connections
//! cannot starve other clients, and one data directory has one server.

use crate::helpers::*;
use common::engine::wire::ErrorBody;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn error_body(resp: reqwest::Response) -> ErrorBody {
    let text = resp.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not a JSON error ({e}): {text:?}"))
}

/// Reads until the server closes the connection (or `limit` passes: then the test fails).
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> Vec<u8> {
    let mut got = Vec::new();
    let read = async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(limit, read).await.expect("the server kept the connection open");
    got
}

#[tokio::test]
async fn a_path_with_a_very_long_segment_gets_a_json_414_not_a_server_error() {
    let app = spawn_app().await;
    for path in
        [format!("/{}", "a".repeat(300)), format!("/api/{}", "b".repeat(256)), format!("/x/{}", "c/".repeat(1500))]
    {
        let resp = app.http.get(app.url(&path)).send().await.unwrap();
        assert_eq!(resp.status(), 414, "{}", &path[..20]);
        assert_eq!(error_body(resp).await.error, "uri_too_long");
    }
    // An unknown address of ordinary length is a JSON 404.
    let resp = app.http.get(app.url(&format!("/api/{}", "d".repeat(150)))).send().await.unwrap();
    assert_eq!(resp.status(), 404);
    assert_eq!(error_body(resp).await.error, "not_found");
}

#[tokio::test]
async fn a_wrong_method_gets_a_json_405() {
    let app = spawn_app().await;
    let resp = app.http.get(app.url("/api/login")).send().await.unwrap();
    assert_eq!(resp.status(), 405);
    assert_eq!(error_body(resp).await.error, "method_not_allowed");
    let resp = app.http.delete(app.url("/api/sync/pull")).send().await.unwrap();
    assert_eq!(resp.status(), 405);
    assert_eq!(error_body(resp).await.error, "method_not_allowed");
}

#[tokio::test]
async fn oversized_headers_and_unreadable_requests_get_json_errors() {
    let app = spawn_app().await;
    let resp = app.http.get(app.url("/api/health")).header("x-big", "a".repeat(100_000)).send().await.unwrap();
    assert_eq!(resp.status(), 431);
    assert_eq!(error_body(resp).await.error, "headers_too_large");

    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    stream.write_all(b"THIS IS NOT HTTP\r\n\r\n").await.unwrap();
    let answer = String::from_utf8_lossy(&read_until_closed(&mut stream, Duration::from_secs(30)).await).to_string();
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
    let body: ErrorBody = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {answer}"));
    assert_eq!(body.error, "bad_request");
}

async fn try_login(app: &TestApp, user: &str, password: &str) -> reqwest::Response {
    app.http
        .post(app.url("/api/login"))
        .json(&serde_json::json!({"username": user, "password": password, "client": new_client()}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn guessing_a_password_locks_the_user_out_with_429_but_not_their_open_sessions() {
    let app = spawn_app().await;
    let base = format!("http://{}", app.addr);
    let device = login(&base, "sz_clerk").await;
    for _ in 0..5 {
        let resp = try_login(&app, "sz_clerk", "guess-123").await;
        assert_eq!(resp.status(), 401);
    }
    // Locked now: even the right password waits.
    let resp = try_login(&app, "sz_clerk", PASSWORD).await;
    assert_eq!(resp.status(), 429);
    let retry: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=30).contains(&retry), "Retry-After {retry}");
    assert_eq!(error_body(resp).await.error, "too_many_attempts");
    // The device that was already logged in carries on.
    let me = app.http.get(app.url("/api/me")).bearer_auth(device.token()).send().await.unwrap();
    assert_eq!(me.status(), 200);
    // Another user is not affected.
    assert_eq!(try_login(&app, "fs_clerk", PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn an_address_guessing_many_user_names_is_locked_and_a_forged_forwarded_for_does_not_help() {
    let app = spawn_app().await;
    for i in 0..20 {
        let resp = app
            .http
            .post(app.url("/api/login"))
            .header("x-forwarded-for", format!("10.0.0.{i}"))
            .json(&serde_json::json!({"username": format!("nobody{i}"), "password": "x", "client": new_client()}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 401);
    }
    let resp = try_login(&app, "fs_clerk", PASSWORD).await;
    assert_eq!(resp.status(), 429, "the server believed X-Forwarded-For from a peer that is not a proxy");
    assert!(resp.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_address_is_the_one_locked() {
    let app = spawn_trusting_app(vec!["127.0.0.1".parse().unwrap()]).await;
    let attempt = |from: &'static str, user: String, password: &'static str| {
        app.http
            .post(app.url("/api/login"))
            .header("x-forwarded-for", from)
            .json(&serde_json::json!({"username": user, "password": password, "client": new_client()}))
            .send()
    };
    for i in 0..20 {
        assert_eq!(attempt("203.0.113.9", format!("nobody{i}"), "x").await.unwrap().status(), 401);
    }
    assert_eq!(attempt("203.0.113.9", "fs_clerk".into(), PASSWORD).await.unwrap().status(), 429);
    // Everyone else comes through the same proxy and is not locked out.
    assert_eq!(attempt("198.51.100.7", "fs_clerk".into(), PASSWORD).await.unwrap().status(), 200);
}

#[tokio::test]
async fn every_answer_carries_security_headers_and_api_answers_are_never_cached() {
    let app = spawn_app().await;
    let login = try_login(&app, "fs_clerk", PASSWORD).await;
    assert_eq!(login.status(), 200);
    let page = app.http.get(app.url("/")).send().await.unwrap();
    let wrong = app.http.get(app.url("/api/nothing-here")).send().await.unwrap();
    for resp in [&login, &page, &wrong] {
        let h = resp.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'self'"), "{csp}");
        assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval'"), "{csp}");
        assert!(csp.contains("object-src 'none'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'self'"), "{csp}");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["x-frame-options"], "SAMEORIGIN");
        assert_eq!(h["referrer-policy"], "no-referrer");
    }
    assert_eq!(login.headers()["cache-control"], "no-store");
    assert_eq!(wrong.headers()["cache-control"], "no-store");
}

fn short_limits() -> backend::http::Limits {
    backend::http::Limits { header_timeout: Duration::from_secs(1), max_connections: 64, max_per_address: 4 }
}

#[tokio::test]
async fn an_idle_or_half_sent_connection_is_closed_after_the_header_timeout() {
    let app = spawn_app_with(tempfile::tempdir().unwrap(), short_limits()).await;
    let mut idle = TcpStream::connect(app.addr).await.unwrap();
    let mut half = TcpStream::connect(app.addr).await.unwrap();
    half.write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    // A keep-alive connection that answered once and then went quiet.
    let mut quiet = TcpStream::connect(app.addr).await.unwrap();
    quiet.write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    for stream in [&mut idle, &mut half, &mut quiet] {
        read_until_closed(stream, Duration::from_secs(30)).await;
    }
}

#[tokio::test]
async fn one_address_holding_many_connections_does_not_starve_another() {
    let limits = backend::http::Limits { header_timeout: Duration::from_secs(600), ..short_limits() };
    let app = spawn_app_with(tempfile::tempdir().unwrap(), limits).await;
    let mut held = Vec::new();
    for _ in 0..limits.max_per_address {
        held.push(TcpStream::connect(app.addr).await.unwrap());
    }
    // The first few are being served; they answer.
    held[0].write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let mut buf = [0u8; 12];
    held[0].read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"HTTP/1.1 200");
    // One more from the same address is turned away at once...
    let mut extra = TcpStream::connect(app.addr).await.unwrap();
    let _ = extra.write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let answer = read_until_closed(&mut extra, Duration::from_secs(30)).await;
    assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer));
    // ...while another address is served.
    let other =
        reqwest::Client::builder().local_address("127.0.0.2".parse::<std::net::IpAddr>().unwrap()).build().unwrap();
    let resp = other.get(app.url("/api/health")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    drop(held);
}

#[tokio::test]
async fn a_second_server_on_the_same_data_directory_refuses_to_start_naming_the_first() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let first = ServerProcess::start(free_port(), &data, None).await;
    let out = std::process::Command::new(tests::process::salesdesk_bin())
        .args(["serve", "--addr", &format!("127.0.0.1:{}", free_port()), "--data"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(!out.status.success(), "the second server started");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("pid {}", first.pid())), "{err}");
    // The first one is still serving.
    let resp = reqwest::get(format!("{}/api/health", first.base())).await.unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn the_app_is_served_precompressed_with_brotli_and_gzip() {
    let dist = workspace_root().join("dist");
    let wasm = dist.join("salesdesk_bg.wasm");
    assert!(wasm.exists(), "run `cargo xtask dist` first (cargo xtask test does)");
    let dir = tempfile::tempdir().unwrap();
    let state = backend::open_state(dir.path(), Some(dist.clone()), true).unwrap_or_else(|e| panic!("{}", e.message));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(backend::http::serve(listener, backend::app(state), Default::default(), std::future::pending()));
    let http = reqwest::Client::new();
    for (encoding, ext) in [("br", "br"), ("gzip", "gz")] {
        let resp = http
            .get(format!("http://{addr}/salesdesk_bg.wasm"))
            .header("accept-encoding", encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-encoding"], encoding);
        assert_eq!(resp.headers()["content-type"], "application/wasm");
        let body = resp.bytes().await.unwrap();
        let stored = std::fs::read(dist.join(format!("salesdesk_bg.wasm.{ext}"))).unwrap();
        assert_eq!(body.len(), stored.len(), "{encoding} is not the file made at build time");
        assert!(body.len() < std::fs::metadata(&wasm).unwrap().len() as usize / 2);
    }
}
