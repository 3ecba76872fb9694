//! End to end in headless Chromium: the built app, the real server binary, real profiles.

use crate::helpers::*;
use common::engine::record::Kind;
use serde_json::json;
use std::path::PathBuf;
use tests::webdriver::{Browser, Driver, ARROW_DOWN, CONTROL, ENTER};

pub(crate) fn dist_dir() -> PathBuf {
    let dist = std::env::var("SALESDESK_DIST").map(PathBuf::from).unwrap_or_else(|_| workspace_root().join("dist"));
    assert!(
        dist.join("index.html").is_file(),
        "no built app in {}: run `cargo xtask test` (or `cargo xtask dist` first)",
        dist.display()
    );
    dist
}

/// Puts `text` in place of a box's content.
pub(crate) async fn retype(b: &Browser, id: &str, text: &str) {
    let e = b.wait_for(&format!("#{id}"), 10).await;
    b.script(&format!("const e = document.getElementById('{id}'); e.focus(); e.select(); return true")).await;
    b.type_into(&e, text).await;
}

/// The service worker controls the page and holds the app shell, so it opens offline.
pub(crate) async fn wait_offline_ready(b: &Browser) {
    b.wait_until(
        "the service worker to cache the app",
        // Both apps: the core (log-in, list, form) and the full one (every other screen).
        "navigator.serviceWorker.ready.then(() => caches.keys()).then((ks) => Promise.all(ks.map((k) => caches.open(k).then((c) => Promise.all([c.match('/salesdesk_bg.wasm'), c.match('/salesdesk_full_bg.wasm')]))))).then((rs) => !!navigator.serviceWorker.controller && rs.some(([core, full]) => !!core && !!full))",
        30,
    )
    .await;
}

/// The real server binary over a fresh database, serving the built app, and a chromedriver.
pub(crate) struct Rig {
    pub tmp: tempfile::TempDir,
    pub server: ServerProcess,
    pub base: String,
    pub driver: Driver,
}

impl Rig {
    pub(crate) async fn start() -> Rig {
        let dist = dist_dir();
        let tmp = tempfile::tempdir().unwrap();
        let server = ServerProcess::start(free_port(), &tmp.path().join("data"), Some(&dist)).await;
        let base = server.base();
        Rig { tmp, server, base, driver: Driver::start().await }
    }
}

/// A branch clerk's browser that has logged in once and can open the app with no server.
pub(crate) async fn branch_clerk_ready_offline(driver: &Driver, profile: &std::path::Path, base: &str) -> Browser {
    let b = driver.session(profile, 1280, 900).await;
    log_in(&b, base, "fs_clerk").await;
    wait_offline_ready(&b).await;
    b
}

/// Logs in as `user`. The app puts the cursor in the first box once the screen is drawn,
/// and WebKit may draw it well after the box exists: typing before would lose letters to
/// that move, so each step waits for the app to be where a person would see it.
pub(crate) async fn log_in(b: &Browser, base: &str, user: &str) {
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

/// Takes a two-line phone order with the keyboard alone; returns its number. Each step
/// waits for the cursor to move rather than expecting it at once: a key can return before
/// what the app does on the next frame (in WebKit always, in Chromium under load), and the
/// form's first focus may come after the boxes are there.
pub(crate) async fn take_order_with_keyboard(b: &Browser) -> String {
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
    b.snapshot("order-form").await;
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

/// Something at the server's address that takes connections and never answers (a branch
/// link that hangs rather than fails): the first line of each request it was sent.
async fn hanging_link(port: u16) -> std::sync::Arc<std::sync::Mutex<Vec<String>>> {
    use tokio::io::AsyncReadExt;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.expect("the server's port, free again");
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let log = log.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.contains(&b'\n') {
                    match conn.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let line = String::from_utf8_lossy(&head).lines().next().unwrap_or("").to_string();
                log.lock().unwrap().push(line);
                // Never answers; the connection ends with the test.
                std::future::pending::<()>().await;
            });
        }
    });
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_opens_from_the_device_without_waiting_on_a_branch_link_that_hangs() {
    let Rig { tmp, mut server, base, driver } = Rig::start().await;
    let b = branch_clerk_ready_offline(&driver, &tmp.path().join("profile"), &base).await;
    let port: u16 = base.rsplit(':').next().unwrap().parse().unwrap();

    server.kill();
    let seen = hanging_link(port).await;
    b.goto(&format!("{base}/orders")).await;
    b.wait_for(".order-list #q", 30).await;
    b.goto(&format!("{base}/orders/new")).await;
    b.wait_for("#f-customer_name", 30).await;

    // The page and the app came from the device: nothing of them was asked of the link
    // (the browser's own check for a newer worker, and sync, may be waiting on it).
    let asked: Vec<String> = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|line| !line.starts_with("GET /sw.js") && !line.contains(" /api/"))
        .cloned()
        .collect();
    assert!(asked.is_empty(), "the app waited on the network for {asked:?}");
    b.close().await;
}

/// A copy of the built app as a later deploy: the same app under another build id, its page
/// marked so a test can tell which one it was served.
fn later_deploy(dist: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(dist).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        // The changed files are served as written, not from their compressed copies.
        if !name.starts_with("index.html") && !name.starts_with("sw.js") {
            std::fs::copy(&path, to.join(&name)).unwrap();
        }
    }
    let index = std::fs::read_to_string(dist.join("index.html")).unwrap();
    let index = index.replace("<head>", "<head>\n  <meta name=\"deploy\" content=\"later\">");
    std::fs::write(to.join("index.html"), index).unwrap();
    let sw = std::fs::read_to_string(dist.join("sw.js")).unwrap();
    let sw = sw.replacen("const VERSION = '", "const VERSION = 'later-", 1);
    assert!(sw.contains("'later-"), "sw.js names its build");
    std::fs::write(to.join("sw.js"), sw).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deploy_reaches_a_device_that_opens_the_app_from_its_cache() {
    let Rig { tmp, mut server, base, driver } = Rig::start().await;
    let b = branch_clerk_ready_offline(&driver, &tmp.path().join("profile"), &base).await;
    let port: u16 = base.rsplit(':').next().unwrap().parse().unwrap();
    let before = b.script("return caches.keys().then((ks) => ks.join(','))").await;

    // The server is updated in place: same data, a later build of the app.
    server.kill();
    let later = tmp.path().join("later-dist");
    later_deploy(&dist_dir(), &later);
    let _server = ServerProcess::start(port, &tmp.path().join("data"), Some(&later)).await;

    // Opened again: the app comes from the device's cache at once, and the browser finds
    // the new worker, which fetches the new build and replaces the old cache.
    b.refresh().await;
    b.wait_for(".sync-badge", 30).await;
    b.wait_until(
        "the later build to replace the cached one",
        &format!(
            "caches.keys().then((ks) => ks.length === 1 && ks[0].startsWith('salesdesk-later-') && ks[0] !== {before})"
        ),
        60,
    )
    .await;
    // The next open is the later build, from the device.
    b.refresh().await;
    b.wait_for("meta[name='deploy'][content='later']", 30).await;
    b.wait_for(".sync-badge[data-sync='synced']", 30).await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_taken_offline_at_a_branch_reaches_head_office_but_not_another_branch() {
    let Rig { tmp, mut server, base, driver } = Rig::start().await;

    // The branch clerk logs in once while the server is up.
    let branch_profile = tmp.path().join("branch-profile");
    let b = branch_clerk_ready_offline(&driver, &branch_profile, &base).await;

    // The server goes away; the phone rings.
    server.kill();
    let number = take_order_with_keyboard(&b).await;
    assert!(number.starts_with("FS-"), "{number}");
    b.wait_for(".order-detail [data-sync='pending']", 10).await;
    b.wait_for(".sync-badge[data-sync='offline']", 20).await;

    // A reload with no server: the app opens from the service worker, the order is there.
    b.refresh().await;
    b.wait_for(".order-detail [data-sync='pending']", 30).await;
    b.goto(&format!("{base}/orders")).await;
    b.wait_for(&format!("tr[data-number='{number}'][data-sync='pending']"), 30).await;

    // Closing and reopening the browser loses nothing either.
    b.close().await;
    let b = driver.session(&branch_profile, 1280, 900).await;
    b.goto(&format!("{base}/orders")).await;
    b.wait_for(&format!("tr[data-number='{number}'][data-sync='pending']"), 30).await;

    // The server comes back; the order syncs with no one touching anything.
    server.restart().await;
    b.wait_for(&format!("tr[data-number='{number}'][data-sync='synced']"), 60).await;
    b.wait_for(".sync-badge[data-sync='synced']", 30).await;
    // The list's rows speak the language chosen, their phone-layout labels too.
    let row_says = |words: [&str; 2]| {
        format!(
            "(() => {{ const r = document.querySelector(\"tr[data-number='{number}']\"); \
             return !!r && r.innerText.includes('{}') && !!r.querySelector('td[data-label=\"{}\"]'); }})()",
            words[0], words[1]
        )
    };
    b.wait_until("the row in Chinese", &row_says(["已同步", "客户"]), 10).await;
    b.click(&b.wait_for("button.lang", 5).await).await;
    b.wait_until("the row in English", &row_says(["Synced", "Customer"]), 10).await;
    b.click(&b.wait_for("button.lang", 5).await).await;
    b.wait_until("the row in Chinese again", &row_says(["已同步", "客户"]), 10).await;

    // Head office sees it, with the same number and lines.
    let hq = driver.session(&tmp.path().join("hq-profile"), 1280, 900).await;
    log_in(&hq, &base, "hq_clerk").await;
    let row = hq.wait_for(&format!("tr[data-number='{number}'] a"), 30).await;
    hq.click(&row).await;
    hq.wait_for(".lines-view tr.line", 10).await;
    let lines = hq.find_all(".lines-view tr.line").await;
    assert_eq!(lines.len(), 2);
    let first = hq.text(&lines[0]).await;
    assert!(first.contains("AJ-8801") && first.contains("12"), "{first}");
    let second = hq.text(&lines[1]).await;
    assert!(second.contains("AJ-1202") && second.contains('5'), "{second}");
    let total = hq.text(&hq.wait_for(".order-detail .total", 5).await).await;
    hq.snapshot("order-detail-hq").await;
    // 12 × ¥128.00 (AJ-8801) + 5 × ¥28.50 (AJ-1202, the second 三角阀 offered).
    assert!(total.contains("¥1,678.50") && total.contains("壹仟陆佰柒拾捌元伍角整"), "{total}");

    // Another branch does not, even after a full sync.
    let sz = driver.session(&tmp.path().join("sz-profile"), 360, 740).await;
    log_in(&sz, &base, "sz_clerk").await;
    assert!(sz.find(&format!("tr[data-number='{number}']")).await.is_none());
    assert!(!sz.body_text().await.contains(&number));

    // On a phone-width screen nothing needs sideways scrolling.
    assert_eq!(sz.script("return document.documentElement.clientWidth").await.as_u64(), Some(360));
    for path in ["/orders", "/orders/new", "/customers"] {
        sz.click(&sz.wait_for(&format!("nav a[href='{path}']"), 5).await).await;
        sz.wait_until(&format!("{path} to render"), &format!("location.pathname === '{path}'"), 5).await;
        let wide = sz.script("return document.documentElement.scrollWidth").await.as_u64().unwrap_or(9999);
        assert!(wide <= 360, "{path} is {wide}px wide at 360px");
        sz.snapshot(&format!("phone{}", path.replace('/', "-"))).await;
    }
    // An empty form says what is missing, beside each field.
    sz.click(&sz.wait_for("nav a[href='/orders/new']", 5).await).await;
    sz.click(&sz.wait_for("button[type=submit]", 5).await).await;
    let err = sz.text(&sz.wait_for("#f-customer_name-err:not([hidden])", 5).await).await;
    assert_eq!(err, "必填");
    let err = sz.text(&sz.wait_for("#f-lines-err:not([hidden])", 5).await).await;
    assert_eq!(err, "至少需要一行商品");
    assert_eq!(sz.active_id().await, "f-customer_name", "focus goes to the first problem");
    // English is one click away.
    sz.click(&sz.wait_for("button.lang", 5).await).await;
    sz.wait_until("English labels", "document.body.innerText.includes('Customers')", 5).await;

    // And the server holds exactly one copy.
    let fs = login(&base, "fs_clerk").await;
    let stored: Vec<_> = fs.orders().await.into_iter().filter(|o| o.get_str("number") == number).collect();
    assert_eq!(stored.len(), 1);
}

pub(crate) async fn show_orders(b: &Browser) {
    b.click(&b.wait_for("nav a[href='/orders']", 10).await).await;
    b.wait_for("#q", 10).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_tabs_of_one_browser_take_orders_offline_and_both_sync() {
    let Rig { tmp, mut server, base, driver } = Rig::start().await;
    let b = branch_clerk_ready_offline(&driver, &tmp.path().join("profile"), &base).await;
    let first_tab = b.window_handle().await;

    server.kill();
    let n1 = take_order_with_keyboard(&b).await;
    let second_tab = b.new_tab().await;
    b.switch_to(&second_tab).await;
    b.goto(&format!("{base}/orders")).await;
    b.wait_for(&format!("tr[data-number='{n1}'][data-sync='pending']"), 30).await;
    let n2 = take_order_with_keyboard(&b).await;
    assert_ne!(n1, n2, "the two tabs share one number counter");

    // A customer first typed at order entry is found by the pinyin initials of its name:
    // the table the app fetches once it runs came, in this tab opened offline, from the
    // service worker's cache.
    type_order_for_a_new_customer(&b).await;
    save_confirming(&b).await;
    b.click_on("nav a[href='/orders/new']", 10).await;
    type_in(&b, "f-customer_name", "mmjc", "mmjc").await;
    b.wait_until(
        "某某建材 offered for its initials",
        "[...document.querySelectorAll('.suggestions li')].some((li) => li.textContent.includes('某某建材'))",
        10,
    )
    .await;

    b.switch_to(&first_tab).await;
    show_orders(&b).await;
    b.wait_for(&format!("tr[data-number='{n2}'][data-sync='pending']"), 10).await;

    server.restart().await;
    for tab in [&first_tab, &second_tab] {
        b.switch_to(tab).await;
        show_orders(&b).await;
        for n in [&n1, &n2] {
            b.wait_for(&format!("tr[data-number='{n}'][data-sync='synced']"), 60).await;
        }
    }
    let fs = login(&base, "fs_clerk").await;
    let numbers: Vec<String> = fs.orders().await.iter().map(|o| o.get_str("number").to_string()).collect();
    assert_eq!(numbers.iter().filter(|n| **n == n1).count(), 1);
    assert_eq!(numbers.iter().filter(|n| **n == n2).count(), 1);
    assert!(b.find(".sync-mark.sync-refused").await.is_none(), "nothing was refused");
}

/// Presses Save; when the form asks to confirm (the same order minutes after another),
/// confirms. Returns once the order is saved or a notice says why it is not.
async fn save_confirming(b: &Browser) {
    const DONE: &str = "!!document.querySelector('.order-detail') || !!document.querySelector('.notice:not(.confirm)')";
    b.click(&b.wait_for("button[type=submit]", 5).await).await;
    b.wait_until("the save to finish or ask", &format!("{DONE} || !!document.querySelector('#confirm-save')"), 10)
        .await;
    if let Some(confirm) = b.find("#confirm-save").await {
        b.click(&confirm).await;
        b.wait_until("the save to finish", DONE, 10).await;
    }
}

/// Fills the origin's localStorage with junk until nothing more fits.
const FILL_STORAGE: &str = "let i = 0; for (const size of [200000, 20000, 2000, 200, 20, 2]) { const chunk = 'x'.repeat(size); try { for (;;) { localStorage.setItem('junk' + (i++), chunk); } } catch (e) {} } return i";
const FREE_STORAGE: &str = "Object.keys(localStorage).filter((k) => k.startsWith('junk')).forEach((k) => localStorage.removeItem(k)); return true";
const OUTBOX_SIZE: &str = "return Object.keys(localStorage).filter((k) => k.startsWith('sd1:o:')).length";

/// Fills the order form for a customer the device does not know (no lookup needed).
async fn type_order_for_a_new_customer(b: &Browser) {
    b.click(&b.wait_for("nav a[href='/orders/new']", 10).await).await;
    let customer = b.wait_for("#f-customer_name", 10).await;
    b.click(&customer).await;
    b.keys("某某建材").await;
    b.click(&b.wait_for("#f-lines-0-model", 5).await).await;
    b.keys("AJ-9901").await;
    b.click(&b.wait_for("#f-lines-0-quantity", 5).await).await;
    b.keys("1").await;
    b.click(&b.wait_for("#f-lines-0-unit_price", 5).await).await;
    b.keys("10").await;
    b.click(&b.wait_for("#f-payment", 5).await).await;
    b.keys("款").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_storage_evicts_synced_records_and_never_unsynced_changes() {
    let Rig { tmp, mut server, base, driver } = Rig::start().await;
    let b = branch_clerk_ready_offline(&driver, &tmp.path().join("profile"), &base).await;
    server.kill();
    let n1 = take_order_with_keyboard(&b).await;

    // Storage full: saving still works, by dropping synced records, and the clerk is told.
    b.script(FILL_STORAGE).await;
    let n2 = take_order_with_keyboard(&b).await;
    let notice = b.text(&b.wait_for(".notice", 5).await).await;
    assert!(notice.contains("已同步的旧记录"), "{notice}");

    // Keep filling until nothing synced is left to drop: the save is refused, loudly,
    // the form keeps what was typed, and the unsynced orders are all still stored.
    // Records go a pack at a time: one eviction may free room for several more orders.
    let mut saved = 2;
    let mut refused = false;
    for _ in 0..8 {
        b.script(FILL_STORAGE).await;
        type_order_for_a_new_customer(&b).await;
        save_confirming(&b).await;
        // The eviction notice can show before the saved order opens: wait for either end.
        b.wait_until(
            "the order to open or the save to be refused",
            "!!document.querySelector('.order-detail') || Array.from(document.querySelectorAll('.notice')).some((n) => n.textContent.includes('没有保存'))",
            10,
        )
        .await;
        if b.find(".order-detail").await.is_none() {
            let notice = b.wait_for_text(".notice:not(.confirm)", &["没有保存"], 5).await;
            assert!(notice.contains("存储已满") && notice.contains("没有保存"), "{notice}");
            let typed = b.prop(&b.find("#f-customer_name").await.unwrap(), "value").await;
            assert_eq!(typed.as_deref(), Some("某某建材"), "the form keeps what was typed");
            refused = true;
            break;
        }
        saved += 1;
    }
    assert!(refused, "storage never ran out of evictable records");
    let outbox = b.script(OUTBOX_SIZE).await.as_u64().unwrap();
    assert_eq!(outbox, saved, "every unsynced change is still stored");

    // Room again: the same form saves; back online, everything syncs.
    b.script(FREE_STORAGE).await;
    save_confirming(&b).await;
    b.wait_for(".order-detail [data-number]", 10).await;
    server.restart().await;
    show_orders(&b).await;
    for n in [&n1, &n2] {
        b.wait_for(&format!("tr[data-number='{n}'][data-sync='synced']"), 60).await;
    }
    b.wait_for(".sync-badge[data-sync='synced']", 60).await;

    // Full again, now that those orders are synced: they are the first to go, and the
    // server still has them.
    b.script(FILL_STORAGE).await;
    type_order_for_a_new_customer(&b).await;
    save_confirming(&b).await;
    b.wait_for(".order-detail [data-number]", 10).await;
    b.wait_for_text(".notice", &["已同步的旧记录"], 10).await;
    b.script(FREE_STORAGE).await;
    let fs = login(&base, "fs_clerk").await;
    let mut orders = fs.orders().await;
    orders.sort_by_key(|o| o.created());
    let (searched, opened, offline) = (&orders[0], &orders[1], &orders[2]);
    let number = |o: &common::engine::record::RecordState| o.get_str("number").to_string();
    // Searched for in the list: not on the device, so the list offers the server's orders.
    show_orders(&b).await;
    b.click(&b.wait_for("#q", 10).await).await;
    b.keys(&number(searched)).await;
    let ask = b.wait_for("#search-server", 10).await;
    assert!(b.find(&format!("tr[data-number='{}']", number(searched))).await.is_none(), "dropped from the device");
    b.click(&ask).await;
    b.wait_for(&format!("tr[data-number='{}'][data-sync='synced']", number(searched)), 30).await;
    b.wait_for_text(".server-search [role='status']", &["取回了 1 张"], 10).await;
    // Opened by its address (a link kept elsewhere): fetched, then shown.
    b.goto(&format!("{base}/orders/{}", opened.id)).await;
    b.wait_for(&format!(".order-detail [data-number='{}']", number(opened)), 30).await;
    // With no server, the page says where the order is instead of that it does not exist.
    server.kill();
    b.goto(&format!("{base}/orders/{}", offline.id)).await;
    b.wait_for_text(".not-on-device h1", &["这张订单不在本机"], 30).await;
    server.restart().await;
    b.click(&b.wait_for(".not-on-device button", 10).await).await;
    b.wait_for(&format!(".order-detail [data-number='{}']", number(offline)), 30).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cleared_storage_is_rebuilt_and_unsynced_work_in_another_tab_survives() {
    let Rig { tmp, mut server, base, driver } = Rig::start().await;
    let b = branch_clerk_ready_offline(&driver, &tmp.path().join("profile"), &base).await;
    let first_tab = b.window_handle().await;
    server.kill();
    let n1 = take_order_with_keyboard(&b).await;

    // Another tab clears the site's storage (as "clear browsing data" does).
    let second_tab = b.new_tab().await;
    b.switch_to(&second_tab).await;
    b.goto(&format!("{base}/orders")).await;
    b.wait_for(&format!("tr[data-number='{n1}']"), 30).await;
    b.script("localStorage.clear(); return true").await;

    // The tab that still holds the unsynced order writes it back at once.
    b.switch_to(&first_tab).await;
    let notice = b.text(&b.wait_for(".notice", 10).await).await;
    assert!(notice.contains("清除"), "{notice}");
    assert!(b.script(OUTBOX_SIZE).await.as_u64().unwrap() >= 1);
    server.restart().await;
    show_orders(&b).await;
    b.wait_for(&format!("tr[data-number='{n1}'][data-sync='synced']"), 60).await;

    // A browser whose storage is wiped with no tab to restore it: log in again, and a
    // pull rebuilds everything from the server.
    b.switch_to(&second_tab).await;
    b.close_tab().await;
    b.switch_to(&first_tab).await;
    b.script("localStorage.clear(); return true").await;
    b.refresh().await;
    log_in(&b, &base, "fs_clerk").await;
    b.wait_for(&format!("tr[data-number='{n1}'][data-sync='synced']"), 30).await;
    assert_eq!(held(&b, &base, "customer").await, 10, "the office's customers are back on the device");

    // The records lost behind the app's back (the meta with the cursor kept): the scope
    // digest no longer matches the server's, and the next sync pulls everything again.
    b.script("Object.keys(localStorage).filter((k) => k.startsWith('sd1:p:')).forEach((k) => localStorage.removeItem(k)); return true").await;
    b.refresh().await;
    b.wait_until("the lost customers to be pulled again", &held_is("customer", 10), 30).await;

    // Storage written by the previous version (plain JSON, layout 1, sync protocol 1)
    // with a review waiting in its outbox: upgraded on load (the core hands it to the full
    // app, which lands on the screen asked for), nothing in the outbox lost.
    let mut fs = login(&base, "fs_clerk").await;
    let order = fs.orders().await.into_iter().find(|o| o.get_str("number") == n1).unwrap();
    let waiting =
        fs.change(Kind::ORDER, order.id, &order.office, Some(&order), [("notes".into(), json!("旧版本里改的"))].into());
    let mut v1 = serde_json::to_value(&waiting).unwrap();
    v1["seq"] = json!(0);
    v1["event"] = json!({"type": "review"});
    b.script(&format!(
        "localStorage.setItem('sd1:o:1', {}); localStorage.setItem('sd:schema', '1'); return true",
        serde_json::json!(v1.to_string())
    ))
    .await;
    b.goto(&format!("{base}/orders/new")).await;
    b.wait_until("the storage to be upgraded", "localStorage.getItem('sd:schema') === '4'", 30).await;
    b.wait_for("#f-customer_name", 30).await;
    let path = b.script("return location.pathname").await;
    assert_eq!(path.as_str(), Some("/orders/new"), "the upgrade ends on the screen that was opened");
    show_orders(&b).await;
    b.wait_for(&format!("tr[data-number='{n1}'][data-sync='synced']"), 30).await;
    let upgraded = fs.order(order.id).await;
    assert_eq!(upgraded.get_str("notes"), "旧版本里改的", "the waiting edit reached the server");
    assert!(upgraded.events.values().any(|e| e.step == "review" && e.by == "fs_clerk"), "and so did the review");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_sync_on_a_slow_network_counts_its_progress_while_the_clerk_takes_an_order() {
    let Rig { tmp, server: _server, base, driver } = Rig::start().await;
    // A branch with three thousand orders already: three pages of a pull.
    let mut fs = login(&base, "fs_clerk").await;
    let orders: Vec<_> = (1..=3000).map(|k| fs.new_order(k)).collect();
    for batch in orders.chunks(500) {
        fs.push(batch.to_vec()).await;
    }
    // A new laptop on a weak line: the first sync takes tens of seconds.
    let b = driver.session(&tmp.path().join("profile"), 1280, 900).await;
    // Pages of a thousand orders: several seconds each, so the count is seen between them.
    b.set_throughput(30_000).await;
    b.goto(&format!("{base}/login")).await;
    b.type_into(&b.wait_for("#username", 30).await, "fs_clerk").await;
    b.type_into(&b.wait_for("#password", 5).await, PASSWORD).await;
    b.click(&b.wait_for("button[type=submit]", 5).await).await;
    let badge = b.wait_for_text(".sync-badge", &["正在下载记录"], 60).await;
    let (have, total) = badge
        .rsplit_once(' ')
        .and_then(|(left, total)| {
            Some((left.split_whitespace().rev().nth(1)?.parse::<u64>().ok()?, total.parse::<u64>().ok()?))
        })
        .unwrap_or_else(|| panic!("no count in {badge:?}"));
    assert!(total >= 3000 && have < total, "{badge}");

    // Meanwhile the phone rings: the form works with what has arrived (the customers and
    // the catalogue come first), and the order is saved on the device.
    let number = take_order_with_keyboard(&b).await;
    b.set_offline(false).await;
    b.wait_for(".sync-badge[data-sync='synced']", 120).await;
    assert_eq!(held(&b, &base, "order").await, 3001, "every order arrived, the new one included");
    show_orders(&b).await;
    b.wait_for(&format!("tr[data-number='{number}'][data-sync='synced']"), 30).await;
    let on_server = fs.orders().await.into_iter().filter(|o| o.get_str("number") == number).count();
    assert_eq!(on_server, 1);
}

/// How many records of `kind` this browser holds, as its settings page says.
async fn held(b: &Browser, base: &str, kind: &str) -> u64 {
    b.goto(&format!("{base}/settings")).await;
    let dd = b.wait_for(&format!("dd[data-held='{kind}']"), 30).await;
    b.text(&dd).await.trim().parse().unwrap()
}

/// A condition for `wait_until` on the settings page: it counts `n` records of `kind`.
fn held_is(kind: &str, n: u64) -> String {
    format!("document.querySelector(\"dd[data-held='{kind}']\")?.textContent.trim() === '{n}'")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_stored_one_to_a_key_by_the_previous_version_move_into_packs_and_read_offline() {
    let Rig { tmp, mut server, base, driver } = Rig::start().await;
    let mut fs = login(&base, "fs_clerk").await;
    let orders: Vec<_> = (1..=3).map(|k| fs.new_order(k)).collect();
    fs.push(orders).await;
    let b = driver.session(&tmp.path().join("profile"), 1280, 900).await;
    log_in(&b, &base, "fs_clerk").await;
    b.wait_for(&format!("tr[data-number='{}'][data-sync='synced']", fs.number(3)), 30).await;
    let before: Vec<(&str, u64)> =
        vec![("order", held(&b, &base, "order").await), ("customer", held(&b, &base, "customer").await)];
    assert_eq!(before, [("order", 3), ("customer", 10)]);

    // What the previous version kept: every record under a key of its own, lz-string
    // compressed (layout 3). Written from the server's own copies of this office's records.
    let page = fs.pull_page(0, 1000).await;
    assert!(!page.more);
    let singles: serde_json::Map<String, serde_json::Value> = page
        .records
        .iter()
        .map(|r| {
            let key = format!("sd1:r:{}:{}", r.kind.as_str(), r.id);
            (key, json!(common::engine::storage_codec::encode_layout3(r)))
        })
        .collect();
    b.script(&format!(
        "Object.keys(localStorage).filter((k) => k.startsWith('sd1:p:')).forEach((k) => localStorage.removeItem(k));
         for (const [k, v] of Object.entries({})) localStorage.setItem(k, v);
         localStorage.setItem('sd:schema', '3'); return true",
        serde_json::Value::Object(singles)
    ))
    .await;

    // Opened again with the server gone: everything shown comes from the moved records.
    server.kill();
    b.refresh().await;
    b.wait_until("the storage to be upgraded", "localStorage.getItem('sd:schema') === '4'", 30).await;
    let left = b.script("return Object.keys(localStorage).filter((k) => k.startsWith('sd1:r:')).length").await;
    assert_eq!(left.as_u64(), Some(0), "no record is left under a key of its own");
    let packs = b.script("return Object.keys(localStorage).filter((k) => k.startsWith('sd1:p:')).length").await;
    assert!(packs.as_u64().unwrap() >= 1);
    let after: Vec<(&str, u64)> =
        vec![("order", held(&b, &base, "order").await), ("customer", held(&b, &base, "customer").await)];
    assert_eq!(after, before);
    show_orders(&b).await;
    b.wait_for(&format!("tr[data-number='{}'][data-sync='synced']", fs.number(2)), 30).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_change_the_previous_version_compressed_otherwise_still_reaches_the_server() {
    let Rig { tmp, server: _server, base, driver } = Rig::start().await;
    let mut fs = login(&base, "fs_clerk").await;
    let order = fs.new_order(1);
    fs.push(vec![order.clone()]).await;
    let b = driver.session(&tmp.path().join("profile"), 1280, 900).await;
    log_in(&b, &base, "fs_clerk").await;
    let number = fs.number(1);
    b.wait_for(&format!("tr[data-number='{number}'][data-sync='synced']"), 30).await;

    // A store already in layout 4 whose outbox still holds an edit made under layout 3,
    // lz-string-compressed (the upgrade to 4 moved only records), not yet sequenced.
    let seen = fs.orders().await.remove(0);
    let mut waiting =
        fs.change(Kind::ORDER, order.record, &seen.office, Some(&seen), [("notes".into(), json!("升级前改的"))].into());
    waiting.seq = 0;
    let key = format!("sd1:o:{}", waiting.id);
    b.script(&format!(
        "localStorage.setItem({}, {}); return true",
        json!(key),
        json!(common::engine::storage_codec::encode_layout3(&waiting))
    ))
    .await;

    // The small app cannot read it and hands the store to the full app, which rewrites
    // it, lands on the screen asked for, and pushes the edit.
    b.goto(&format!("{base}/orders/new")).await;
    b.wait_for("#f-customer_name", 30).await;
    let path = b.script("return location.pathname").await;
    assert_eq!(path.as_str(), Some("/orders/new"), "the upgrade ends on the screen that was opened");
    // Pushed and acknowledged: the outbox entry goes.
    b.wait_until("the waiting change to be pushed", &format!("localStorage.getItem({}) === null", json!(key)), 30)
        .await;
    assert_eq!(fs.order(order.record).await.get_str("notes"), "升级前改的", "the waiting edit reached the server");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_same_field_conflict_is_shown_and_settled_with_one_click() {
    let Rig { tmp, server: _server, base, driver } = Rig::start().await;
    // An order, then two offices change its phone number without seeing each other.
    let mut fs = login(&base, "fs_clerk").await;
    let mut hq = login(&base, "hq_manager").await;
    let order = fs.new_order(1);
    fs.push(vec![order.clone()]).await;
    let seen = fs.orders().await.remove(0);
    let office = seen.office.clone();
    let mine =
        fs.change(Kind::ORDER, order.record, &office, Some(&seen), [("phone".into(), json!("138 0000 1111"))].into());
    let theirs =
        hq.change(Kind::ORDER, order.record, &office, Some(&seen), [("phone".into(), json!("139 0000 2222"))].into());
    fs.push(vec![mine]).await;
    hq.push(vec![theirs]).await;

    let b = driver.session(&tmp.path().join("profile"), 1280, 900).await;
    log_in(&b, &base, "fs_clerk").await;
    b.click(&b.wait_for(&format!("tr[data-number='{}'] a", fs.number(1)), 30).await).await;
    b.wait_for(".conflicts", 10).await;
    let choices = b.find_all(".conflict[data-field='phone'] button.choice").await;
    assert_eq!(choices.len(), 2, "both phone numbers are offered");
    // Which comes first depends on the clocks: pick by what it says.
    let keep = b.wait_for(".conflict[data-field='phone'] button.choice[data-value='138 0000 1111']", 5).await;
    let label = b.text(&keep).await;
    assert!(label.contains("138 0000 1111") && label.contains("FS"), "the value, who wrote it and from where: {label}");
    assert!(
        b.text(&b.wait_for(".conflict[data-field='phone']", 5).await).await.contains("客户电话"),
        "the field by its name"
    );
    b.click(&keep).await;
    b.wait_until("the conflict to be settled", "!document.querySelector('.conflicts')", 10).await;
    b.wait_for(".order-detail [data-sync='synced']", 30).await;

    let stored = fs.orders().await.remove(0);
    assert!(stored.conflicts().is_empty(), "settled on the server too");
    assert_eq!(stored.get_str("phone"), "138 0000 1111");
}

/// Live (not zombie) processes whose command line names `marker`.
fn processes_naming(marker: &str) -> usize {
    let Ok(dir) = std::fs::read_dir("/proc") else { return 0 };
    dir.filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().bytes().all(|b| b.is_ascii_digit()))
        .filter(|e| {
            let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
            let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
            let zombie = stat.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with('Z'));
            !zombie && String::from_utf8_lossy(&cmd).contains(marker)
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_browser_outlives_its_test_even_one_that_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let profile = tmp.path().join("must-not-outlive-its-test");
    let marker = profile.to_string_lossy().to_string();
    let during = marker.clone();
    let failed = tokio::spawn(async move {
        let driver = Driver::start().await;
        let b = driver.session(&profile, 800, 600).await;
        b.goto("about:blank").await;
        assert!(processes_naming(&during) > 0, "the browser runs during the test");
        panic!("a test that fails with its browser open");
    })
    .await;
    assert!(failed.is_err());
    // Killed at once; the kernel may take a moment to reap them.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while processes_naming(&marker) > 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(processes_naming(&marker), 0, "a Chromium of this test was left running");
}
