//! The first sync of `bench_sync`, in WebKit (Safari's engine, as on iPhones): the release
//! server on loopback, 10,000 realistic orders ingested over HTTP, then a fresh WebKitGTK
//! MiniBrowser logs in as `fs_clerk` and syncs them all. Also how much localStorage WebKit
//! and Chromium give one origin, measured by filling a fresh one, and so how many orders
//! fit in each. Prints `RESULT name value` lines.
//!
//! `SALESDESK_BIN=target/release/salesdesk SALESDESK_DIST=dist cargo run --release -p tests --bin bench_webkit`

use serde_json::json;
use std::time::{Duration, Instant};
use tests::process::{free_port, ServerProcess};
use tests::webdriver::{Browser, Driver};

const ORDERS: usize = 10_000;
const DEVICES: usize = 20;

/// Fills this origin's (empty) localStorage with values of one character repeated
/// (`arguments[0]`) until it is refused, halving the piece each time down to one character;
/// the UTF-16 code units it took (keys and values), then empties it again.
const FILL: &str = r#"
localStorage.clear();
let total = 0, i = 0, size = 1 << 20;
const junk = (n) => arguments[0].repeat(n);
while (size >= 1) {
  const k = 'j' + i;
  try {
    localStorage.setItem(k, junk(size));
    total += k.length + size;
    i += 1;
  } catch (e) {
    if (e.name !== 'QuotaExceededError' && e.code !== 22) throw e;
    size = Math.floor(size / 2);
  }
}
const counted = Object.keys(localStorage).reduce((n, k) => n + k.length + localStorage.getItem(k).length, 0);
localStorage.clear();
return counted === total ? total : -1;
"#;

/// [`FILL`] with values of `c`.
async fn fill(b: &Browser, c: &str) -> u64 {
    let body = format!("const args = [{}]; return (function () {{ {FILL} }}).apply(null, args);", json!(c));
    let v = b.script(&body).await;
    v.as_u64().unwrap_or_else(|| panic!("filling localStorage gave {v}"))
}

/// What one origin's localStorage holds, in UTF-16 units: values of `wide` characters
/// (beyond Latin-1, as the app's packs: fifteen bits to a unit from U+0020 up) and of
/// `x`s. WebKit counts bytes, one per unit of a string all in Latin-1 and two otherwise
/// (keys Latin-1 here); Chromium counts two bytes per unit whatever the text.
async fn localstorage_units(b: &Browser, base: &str) -> (u64, u64) {
    // A page of the origin that runs no app: nothing else writes to its storage.
    b.goto(&format!("{base}/api/health")).await;
    let wide = fill(b, "\u{4e00}").await;
    let latin1 = fill(b, "x").await;
    (wide, latin1)
}

#[tokio::main]
async fn main() {
    let dist = std::env::var("SALESDESK_DIST").expect("SALESDESK_DIST: the built app (`cargo xtask dist`)");
    let tmp = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(free_port(), &tmp.path().join("data"), Some(std::path::Path::new(&dist))).await;
    let base = server.base();

    // 10,000 orders from 20 devices, pushes of 500, devices in parallel (as bench_sync).
    let secs = tests::ingest::ingest(&base, ORDERS, DEVICES).await;
    eprintln!("ingested {ORDERS} orders in {secs:.1} s");

    let driver = Driver::start_webkit().await;
    let b = driver.webkit_session(1280, 900).await;
    b.goto(&format!("{base}/login")).await;
    b.wait_for("#username", 30).await;
    // The app moves the cursor to the user name once drawn; typing before would lose letters.
    b.wait_until(
        "the cursor in the user name",
        "document.activeElement && document.activeElement.id === 'username'",
        30,
    )
    .await;
    b.type_into(&b.wait_for("#username", 5).await, "fs_clerk").await;
    b.type_into(&b.wait_for("#password", 5).await, "demo1234").await;
    b.wait_until(
        "the log-in form filled",
        "document.getElementById('username').value === 'fs_clerk' && document.getElementById('password').value === 'demo1234'",
        10,
    )
    .await;
    let submit = b.wait_for("button[type=submit]", 5).await;
    let started = Instant::now();
    b.click(&submit).await;
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let done = b.script("return document.querySelector(\".sync-badge[data-sync='synced']\") !== null && document.querySelectorAll('tr[data-number]').length > 0").await;
        if done.as_bool() == Some(true) {
            break;
        }
        assert!(Instant::now() < deadline, "no first sync in WebKit after 600 s: {}", b.body_text().await);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!("RESULT first_sync_webkit_ms {:.0}", started.elapsed().as_secs_f64() * 1000.0);

    // What the device holds, as its settings page counts it, and what that takes.
    b.goto(&format!("{base}/settings")).await;
    let held: u64 = b.text(&b.wait_for("dd[data-held='order']", 30).await).await.trim().parse().unwrap_or(0);
    println!("RESULT webkit_orders_held {held}");
    let used = b
        .script("let n = 0; for (const k of Object.keys(localStorage)) if (k.startsWith('sd1:p:')) n += k.length + localStorage.getItem(k).length; return n")
        .await
        .as_u64()
        .unwrap_or(0);
    let per = used.checked_div(held).unwrap_or(0);
    println!("RESULT webkit_stored_chars_per_order {per}");
    // WebKit's own count: a key or value is one byte per unit if all of it is Latin-1, else two.
    let bytes = b
        .script("const size = (s) => (/[^\\u0000-\\u00ff]/.test(s) ? 2 : 1) * s.length; let n = 0; for (const k of Object.keys(localStorage)) if (k.startsWith('sd1:p:')) n += size(k) + size(localStorage.getItem(k)); return n")
        .await
        .as_u64()
        .unwrap_or(0);
    let per_bytes = bytes.checked_div(held).unwrap_or(0);
    println!("RESULT webkit_stored_bytes_per_order {per_bytes}");
    b.close().await;

    // localStorage per origin: a fresh WebKit session starts with its storage empty.
    let fresh = driver.webkit_session(1280, 900).await;
    let (webkit, webkit_latin1) = localstorage_units(&fresh, &base).await;
    println!("RESULT webkit_localstorage_units {webkit}");
    println!("RESULT webkit_localstorage_units_latin1 {webkit_latin1}");
    // The app's packs are beyond Latin-1: the first figure is theirs.
    if let Some(fit) = webkit.checked_div(per) {
        println!("RESULT webkit_orders_fitting {fit}");
    }
    fresh.close().await;
    drop(driver);

    // The same in Chromium, on a fresh profile.
    let chromium = Driver::start().await;
    let c = chromium.session(&tmp.path().join("chromium-profile"), 1280, 900).await;
    let (units, units_latin1) = localstorage_units(&c, &base).await;
    println!("RESULT chromium_localstorage_units {units}");
    println!("RESULT chromium_localstorage_units_latin1 {units_latin1}");
    if let Some(fit) = units.checked_div(per) {
        println!("RESULT chromium_orders_fitting {fit}");
    }
    c.close().await;
}
