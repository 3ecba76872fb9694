//! End to end in WebKit, Safari's engine (as on the salespeople's iPhones): WebKitGTK's
//! MiniBrowser through WebKitWebDriver, on a virtual display, against the real server binary.

use crate::browser::dist_dir;
use crate::helpers::*;
use tests::webdriver::{Browser, Driver, ARROW_DOWN, CONTROL, ENTER};

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

/// Logs in as `user`. The app puts the cursor in the first box once the screen is drawn,
/// and WebKit may draw it well after the box exists: typing before would lose letters to
/// that move, so each step waits for the app to be where a person would see it.
async fn log_in(b: &Browser, base: &str, user: &str) {
    b.goto(&format!("{base}/login")).await;
    b.wait_for("#username", 30).await;
    wait_focus(b, "username", "the cursor in the user name").await;
    type_in(b, "username", user, user).await;
    type_in(b, "password", PASSWORD, PASSWORD).await;
    b.click_on("button[type=submit]", 5).await;
    b.wait_for(".sync-badge[data-sync='synced']", 30).await;
}

/// Waits until the box `id` has the keyboard.
async fn wait_focus(b: &Browser, id: &str, why: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let now = b.active_id().await;
        if now == id {
            return;
        }
        if std::time::Instant::now() > deadline {
            let fields = b
                .script(
                    "return Array.from(document.querySelectorAll('input')).map((e) => e.id + '=' + e.value).join(' ')",
                )
                .await;
            panic!("timed out waiting for {why}: the cursor is in {now:?}, not {id:?}; boxes: {fields}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Types into the box `id` (WebDriver focuses it first) and waits until it holds `value`.
async fn type_in(b: &Browser, id: &str, text: &str, value: &str) {
    let e = b.wait_for(&format!("#{id}"), 10).await;
    b.type_into(&e, text).await;
    b.wait_until(
        &format!("{id} to read {value:?}"),
        &format!(
            "document.getElementById('{id}') && document.getElementById('{id}').value === {}",
            serde_json::json!(value)
        ),
        10,
    )
    .await;
}

/// Presses keys in the box `id`, which has the keyboard.
async fn press(b: &Browser, id: &str, keys: &str) {
    let e = b.wait_for(&format!("#{id}"), 10).await;
    b.type_into(&e, keys).await;
}

/// The two-line phone order of `browser::take_order_with_keyboard`, taken with the keyboard
/// alone, but waiting for each move of the cursor rather than expecting it at once: in
/// WebKit a key returns before what the app does on the next frame (the cursor moving on),
/// and the form's first focus may come after the boxes are there.
/// Returns the order's number.
async fn take_order_with_keyboard(b: &Browser) -> String {
    b.click_on("nav a[href='/orders/new']", 10).await;
    wait_focus(b, "f-customer_name", "the new order's cursor in the customer box").await;
    type_in(b, "f-customer_name", "美居", "美居").await;
    b.wait_for(".suggestions li", 5).await;
    press(b, "f-customer_name", ENTER).await;
    wait_focus(b, "f-delivery_date", "Enter to pick the customer and jump past what it filled").await;
    b.wait_until("the customer's phone filled in", "document.getElementById('f-phone').value.length > 5", 5).await;

    type_in(b, "f-lines-0-model", "AJ-8801", "AJ-8801").await;
    b.wait_for(".suggestions li", 5).await;
    press(b, "f-lines-0-model", ENTER).await;
    wait_focus(b, "f-lines-0-quantity", "Enter after the product to go to the quantity").await;
    type_in(b, "f-lines-0-quantity", "12", "12").await;
    press(b, "f-lines-0-quantity", ENTER).await;
    wait_focus(b, "f-lines-0-unit_price", "Enter after the quantity to go to the price").await;
    press(b, "f-lines-0-unit_price", ENTER).await;
    wait_focus(b, "f-lines-1-model", "Enter after the price to go to a new line").await;
    type_in(b, "f-lines-1-model", "sjf", "sjf").await; // pinyin initials of 三角阀
    b.wait_until("two or more 三角阀 offered", "document.querySelectorAll('.suggestions li').length >= 2", 5).await;
    press(b, "f-lines-1-model", ARROW_DOWN).await;
    press(b, "f-lines-1-model", ENTER).await;
    wait_focus(b, "f-lines-1-quantity", "Enter after the second product to go to its quantity").await;
    type_in(b, "f-lines-1-quantity", "5", "5").await;
    press(b, "f-lines-1-quantity", &format!("{CONTROL}{ENTER}{CONTROL}")).await;
    // The same order for the same customer minutes after another is asked about first.
    b.wait_until(
        "the order to be saved or a confirmation asked",
        "document.querySelector('.order-detail [data-number]') || document.querySelector('#confirm-save')",
        10,
    )
    .await;
    if b.find("#confirm-save").await.is_some() {
        wait_focus(b, "confirm-save", "the cursor on the confirmation").await;
        b.keys(&format!("{CONTROL}{ENTER}{CONTROL}")).await;
    }
    b.text(&b.wait_for(".order-detail [data-number]", 10).await).await
}
