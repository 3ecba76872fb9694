//! Time from navigation to a usable order form in headless Chromium, online and offline
//! (service worker), against the release server; and the keys a five-line phone order
//! takes with no mouse. Prints `RESULT name value` lines for `cargo xtask bench`.

use std::time::Duration;
use tests::process::{free_port, ServerProcess};
use tests::webdriver::Driver;

const RUNS: usize = 15;

/// Milliseconds from navigation start until the customer box of the form is in the page.
const FORM_READY_JS: &str = "return new Promise((resolve) => { const t = () => document.getElementById('f-customer_name') ? resolve(performance.now()) : requestAnimationFrame(t); t(); })";

fn stats(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(|a, b| a.total_cmp(b));
    let p = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    (p(0.5), p(0.9))
}

#[tokio::main]
async fn main() {
    let dist = std::env::var("SALESDESK_DIST").expect("SALESDESK_DIST: run through `cargo xtask bench`");
    let tmp = tempfile::tempdir().unwrap();
    let mut server =
        ServerProcess::start(free_port(), &tmp.path().join("data"), Some(std::path::Path::new(&dist))).await;
    let base = server.base();
    let driver = Driver::start().await;
    let b = driver.session(&tmp.path().join("profile"), 1280, 900).await;
    b.goto(&format!("{base}/login")).await;
    b.type_into(&b.wait_for("#username", 30).await, "fs_clerk").await;
    b.type_into(&b.wait_for("#password", 5).await, "demo1234").await;
    b.click(&b.wait_for("button[type=submit]", 5).await).await;
    b.wait_for(".sync-badge[data-sync='synced']", 30).await;
    b.wait_until(
        "service worker",
        "navigator.serviceWorker.ready.then(() => !!navigator.serviceWorker.controller)",
        30,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    b.goto(&format!("{base}/customers")).await;
    b.wait_for("#cq", 30).await;
    let (keys, _) = tests::keyboard::five_line_order(&b).await;
    println!("RESULT order_keys_five_lines {keys}");
    for (mode, online) in [("online", true), ("offline", false)] {
        if !online {
            server.kill();
        }
        let mut times = Vec::new();
        for _ in 0..RUNS {
            b.goto(&format!("{base}/orders/new")).await;
            let ms = b.script(FORM_READY_JS).await.as_f64().expect("timing");
            times.push(ms);
        }
        let (p50, p90) = stats(times);
        println!("RESULT form_ready_{mode}_p50_ms {p50:.0}");
        println!("RESULT form_ready_{mode}_p90_ms {p90:.0}");
    }
    b.close().await;
}
