//! End to end in WebKit, Safari's engine (as on the salespeople's iPhones): WebKitGTK's
//! MiniBrowser through WebKitWebDriver, on a virtual display, against the real server binary.

use crate::browser::{dist_dir, log_in, take_order_with_keyboard};
use crate::helpers::*;
use tests::webdriver::{Browser, Driver};

/// The service worker controls the page and its caches hold the page and every
/// WebAssembly module the page loaded, so the app opens with no server.
async fn wait_offline_ready(b: &Browser) {
    b.wait_until(
        "the service worker to cache the app",
        "navigator.serviceWorker.ready.then(() => { \
           const wasm = performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname).filter((p) => p.endsWith('.wasm')); \
           return wasm.length > 0 && !!navigator.serviceWorker.controller && \
             Promise.all(['/index.html'].concat(wasm).map((p) => caches.match(p))).then((rs) => rs.every((r) => !!r)); \
         })",
        30,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_webkit_an_order_taken_offline_survives_a_reload_and_syncs_when_the_server_returns() {
    let dist = dist_dir();
    let tmp = tempfile::tempdir().unwrap();
    let mut server = ServerProcess::start(free_port(), &tmp.path().join("data"), Some(&dist)).await;
    let base = server.base();
    let driver = Driver::start_webkit().await;

    // The branch clerk logs in while the server is up; the app is kept for offline use.
    let b = driver.webkit_session(1280, 900).await;
    log_in(&b, &base, "fs_clerk").await;
    wait_offline_ready(&b).await;

    // The server goes away; an order is taken all the same, and waits to be sent.
    server.kill();
    let number = take_order_with_keyboard(&b).await;
    assert!(number.starts_with("FS-"), "{number}");
    b.wait_for(".order-detail [data-sync='pending']", 10).await;
    b.wait_for(".sync-badge[data-sync='offline']", 20).await;

    // A reload with no server: the service worker serves the app, the order is still there.
    b.refresh().await;
    b.wait_for(".order-detail [data-sync='pending']", 30).await;
    b.goto(&format!("{base}/orders")).await;
    b.wait_for(&format!("tr[data-number='{number}'][data-sync='pending']"), 30).await;

    // The server comes back; the order syncs with no one touching anything.
    server.restart().await;
    b.wait_for(&format!("tr[data-number='{number}'][data-sync='synced']"), 60).await;
    b.wait_for(".sync-badge[data-sync='synced']", 30).await;

    // The server holds exactly one copy of it, as it was taken.
    let fs = login(&base, "fs_clerk").await;
    let stored: Vec<_> = fs.orders().await.into_iter().filter(|o| o.get_str("number") == number).collect();
    assert_eq!(stored.len(), 1, "the server holds {number} once");
    let lines = serde_json::to_string(&stored[0].get("lines")).unwrap();
    assert!(lines.contains("AJ-8801") && lines.contains("AJ-1202"), "{lines}");
}
