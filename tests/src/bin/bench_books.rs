//! Statements and ageing in the browser, on a branch's own data: the records of one
//! customer's year (`common/benches/support/books_data.rs`: orders typed, reviewed,
//! audited, handed over, shipped with their shipment records, signed for, a few returned,
//! about half paid) pushed over HTTP by the branch's people through the real push path,
//! then synced into Chromium by the branch's manager; then the time until the statement
//! and the ageing table are on the screen, computed by the app from the device's replica.
//! Prints `RESULT name value` lines for `cargo xtask bench`.
//!
//! The customer has `ORDERS` orders, not the 5,000 of the native benchmarks: 5,000 such
//! orders with their shipments and payments are about 8.4 million UTF-16 units as a
//! device stores them, more than Chromium's 10 MiB of localStorage (5,242,880 units), so
//! no browser holds them (`cargo bench -p common --bench books` prints that size).

#[path = "../../../common/benches/support/books_data.rs"]
mod books_data;

use books_data::{generate, Plan};
use common::desk::account::LoginResponse;
use common::desk::time::{local_date, Date};
use common::engine::ids::ClientId;
use common::engine::record::{Change, Kind};
use common::engine::wire::{Outcome, PushRequest, PushResponse, PROTOCOL_VERSION};
use serde_json::json;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use tests::process::{free_port, ServerProcess};
use tests::webdriver::{Browser, Driver};

/// Orders of the one customer: what a device can hold with room to spare.
/// `BENCH_BOOKS_ORDERS` overrides it (to try the benchmark quickly, or to see a larger
/// replica fail).
const ORDERS: usize = 2_500;
const RUNS: usize = 5;
/// How long the customer's page is waited for (more when the browser is too busy to
/// answer: at 2,500 orders it answers after about four minutes).
const PATIENCE: Duration = Duration::from_secs(180);

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64
}

struct Device {
    http: reqwest::Client,
    base: String,
    login: LoginResponse,
    client: ClientId,
}

async fn login(base: &str, user: &str, n: u128) -> Device {
    let client = ClientId(uuid::Uuid::from_u128(0xB00C_5000 + n));
    let http = reqwest::Client::new();
    let resp = http
        .post(format!("{base}/api/login"))
        .json(&json!({"username": user, "password": "demo1234", "client": client}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "log-in of {user}");
    Device { http, base: base.into(), login: resp.json().await.unwrap(), client }
}

impl Device {
    async fn push(&self, changes: Vec<Change>) {
        let n = changes.len();
        let req = PushRequest { protocol: PROTOCOL_VERSION, client: self.client, changes, pull: None };
        let resp = self
            .http
            .post(format!("{}/api/sync/push", self.base))
            .bearer_auth(&self.login.token)
            .json(&req)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let resp: PushResponse = resp.json().await.unwrap();
        assert!(resp.gap.is_none(), "{:?}", resp.gap);
        assert_eq!(resp.results.len(), n);
        if let Some(r) = resp.results.iter().find(|r| r.outcome != Outcome::Applied) {
            panic!("{} refused a change: {:?} {:?}", self.login.user.username, r.code, r.message);
        }
    }
}

/// Milliseconds from navigation start until `css` is in the page.
fn loaded_js(css: &str) -> String {
    format!(
        "return new Promise((resolve) => {{ const t = () => document.querySelector({css:?}) ? resolve(performance.now()) : requestAnimationFrame(t); t(); }})"
    )
}

/// Milliseconds from a click on a link to `href` (followed by the app's router, as its
/// own links are: no page load) until `css` is in the page, caught by a mutation observer
/// as it is inserted.
fn click_js(href: &str, css: &str) -> String {
    format!(
        "return new Promise((resolve) => {{
            let done = false;
            window.__benchNoReload = true;
            const a = document.createElement('a');
            a.href = {href:?};
            document.body.appendChild(a);
            const t0 = performance.now();
            const check = () => {{ if (!done && document.querySelector({css:?})) {{ done = true; obs.disconnect(); resolve(performance.now() - t0); }} }};
            const obs = new MutationObserver(check);
            obs.observe(document.body, {{ childList: true, subtree: true }});
            a.click();
            const poll = () => {{ check(); if (!done) requestAnimationFrame(poll); }};
            requestAnimationFrame(poll);
            setTimeout(() => {{ if (!done) {{ done = true; obs.disconnect(); resolve(-1); }} }}, 25000);
        }})"
    )
}

fn p50(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[(v.len() - 1) / 2]
}

/// The median of `RUNS` loads of `url` until `css` is in the page.
async fn full_loads(b: &Browser, url: &str, css: &str) -> f64 {
    let mut times = Vec::new();
    for _ in 0..RUNS {
        let started = Instant::now();
        b.goto(url).await;
        let gone = started.elapsed();
        times.push(b.script(&loaded_js(css)).await.as_f64().expect("timing"));
        eprintln!("{url}: loaded after {gone:.1?}, {css} after {:.1?}", started.elapsed());
    }
    p50(times)
}

/// The median of `RUNS` in-app navigations from the customer list to `href`.
async fn clicks(b: &Browser, base: &str, href: &str, css: &str) -> f64 {
    let mut times = Vec::new();
    for _ in 0..RUNS {
        // From another screen of the full app (the order list is the core's).
        b.goto(&format!("{base}/customers")).await;
        b.wait_for("nav.main-nav", 30).await;
        let ms = b.script(&click_js(href, css)).await.as_f64().expect("timing");
        if ms < 0.0 {
            let url = b.script("return location.href").await;
            panic!("{css} did not appear after following {href}: at {url}, page text {}", b.body_text().await);
        }
        let same_page = b.script("return window.__benchNoReload === true").await;
        assert_eq!(same_page.as_bool(), Some(true), "following {href} loaded the page again");
        times.push(ms);
    }
    p50(times)
}

#[tokio::main]
async fn main() {
    let dist = std::env::var("SALESDESK_DIST").expect("SALESDESK_DIST: run through `cargo xtask bench`");
    let tmp = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(free_port(), &tmp.path().join("data"), Some(std::path::Path::new(&dist))).await;
    let base = server.base();

    // The branch's people, each on a device of their own.
    let roles = ["clerk", "reviewer", "cashier", "logistics", "manager"];
    let mut devices = BTreeMap::new();
    for (n, role) in roles.iter().enumerate() {
        let user = format!("fs_{role}");
        devices.insert(user.clone(), login(&base, &user, n as u128).await);
    }
    let now = now_ms();
    let today = local_date(now, 480);
    let orders = std::env::var("BENCH_BOOKS_ORDERS").ok().and_then(|n| n.parse().ok()).unwrap_or(ORDERS);
    let mut plan = Plan::one_customer(orders, today, now);
    plan.keep_changes = true;
    plan.clerk_device.insert("FS".into(), devices["fs_clerk"].login.device_no);
    let data = generate(&plan);
    let customer = data.customers[0].0;
    eprintln!("data: {:?}", data.counts);

    // Pushed as each person's device would: their changes in order, 500 at a time.
    let started = Instant::now();
    let mut runs: Vec<(usize, Vec<Change>)> = Vec::new();
    for (who, change) in data.changes {
        match runs.last_mut() {
            Some((w, batch)) if *w == who && batch.len() < 500 => batch.push(change),
            _ => runs.push((who, vec![change])),
        }
    }
    for (who, batch) in runs {
        devices[&data.people[who].username].push(batch).await;
    }
    eprintln!("pushed {} changes in {:.1?}", data.counts.changes, started.elapsed());

    // The manager's browser: log in on a fresh profile, wait until everything is held.
    let driver = Driver::start().await;
    let b = driver.session(&tmp.path().join("profile"), 1280, 900).await;
    b.goto(&format!("{base}/login")).await;
    b.type_into(&b.wait_for("#username", 30).await, "fs_manager").await;
    b.type_into(&b.wait_for("#password", 5).await, "demo1234").await;
    let started = Instant::now();
    b.click(&b.wait_for("button[type=submit]", 5).await).await;
    b.wait_for(".sync-badge[data-sync='synced']", 300).await;
    // Everything held, as the settings page counts it.
    b.goto(&format!("{base}/settings")).await;
    let held =
        |kind: Kind| format!("document.querySelector(\"dd[data-held='{}']\")?.textContent.trim()", kind.as_str());
    b.wait_until(
        "the first sync",
        &format!(
            "{} === '{}' && {} === '{}'",
            held(Kind::ORDER),
            data.counts.orders,
            held(Kind::SHIPMENT),
            data.counts.shipments
        ),
        300,
    )
    .await;
    eprintln!("first sync into the browser: {:.1?}", started.elapsed());
    let stored = b
        .script("let n = 0; for (const k of Object.keys(localStorage)) n += k.length + localStorage.getItem(k).length; return n")
        .await;
    println!("RESULT books_browser_orders {}", data.counts.orders);
    println!("RESULT books_browser_records {}", data.states.len());
    println!("RESULT books_browser_stored_units {}", stored.as_u64().unwrap_or(0));

    let first = Date::new(today.year, today.month, 1).unwrap();
    let month = format!("{base}/customers/{customer}/statement?from={first}&to={today}");
    let year = format!("{base}/customers/{customer}/statement?from={}&to={today}", today.plus_days(-365));
    let statement = "table.statement tr.totals";
    let ageing = "table.ageing tr.totals";
    // What any page costs with this replica: the app loaded and the records read.
    let form = full_loads(&b, &format!("{base}/orders/new"), "#f-customer_name").await;
    println!("RESULT books_browser_form_load_ms {form:.0}");
    let load_month = full_loads(&b, &month, statement).await;
    println!("RESULT books_browser_statement_month_load_ms {load_month:.0}");
    let load_year = full_loads(&b, &year, statement).await;
    println!("RESULT books_browser_statement_year_load_ms {load_year:.0}");
    let load_ageing = full_loads(&b, &format!("{base}/reports"), ageing).await;
    println!("RESULT books_browser_ageing_load_ms {load_ageing:.0}");
    let rows = b.script("return document.querySelectorAll('table.ageing tbody tr').length").await;
    eprintln!("ageing rows on screen: {rows}");
    // In the app, from the customer list: what the statement's button and the 报表 tab cost.
    let month_path = format!("/customers/{customer}/statement?from={first}&to={today}");
    let click_month = clicks(&b, &base, &month_path, statement).await;
    println!("RESULT books_browser_statement_month_click_ms {click_month:.0}");
    let year_path = format!("/customers/{customer}/statement?from={}&to={today}", today.plus_days(-365));
    let click_year = clicks(&b, &base, &year_path, statement).await;
    println!("RESULT books_browser_statement_year_click_ms {click_year:.0}");
    let click_ageing = clicks(&b, &base, "/reports", ageing).await;
    println!("RESULT books_browser_ageing_click_ms {click_ageing:.0}");
    b.goto(&year).await;
    b.wait_for(statement, 30).await;
    let shown = b.script("return document.querySelectorAll('table.statement tbody tr').length").await;
    println!("RESULT books_browser_statement_year_rows {}", shown.as_u64().unwrap_or(0));
    // The customer's page (where the statement's buttons are), loaded once: from the
    // navigation until its list of orders is on the screen, timed from here (the page
    // keeps the browser busy: no script of ours could run), given up after `PATIENCE`.
    let started = Instant::now();
    b.goto(&format!("{base}/customers/{customer}")).await;
    let shown = loop {
        if b.find("table.customer-orders tr[data-number]").await.is_some() {
            break Some(started.elapsed());
        }
        if started.elapsed() > PATIENCE {
            break None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    match shown {
        Some(t) => println!("RESULT books_browser_customer_page_ms {}", t.as_millis()),
        None => println!("RESULT books_browser_customer_page_ms more than {}", PATIENCE.as_millis()),
    }
    b.close().await;
    drop(server);
}
