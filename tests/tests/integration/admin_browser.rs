//! A company's first day, in headless Chromium: set up from the command line, the admin
//! adds a branch and a clerk, the clerk takes an order on a phone, and when the admin
//! disables the clerk the phone asks for a log-in and keeps the unsynced order.

use crate::browser::{dist_dir, log_in};
use crate::helpers::*;
use tests::webdriver::{Browser, Driver, CONTROL, ENTER};

async fn log_in_as(b: &Browser, base: &str, user: &str, password: &str) {
    b.goto(&format!("{base}/login")).await;
    let name = b.wait_for("#username", 30).await;
    b.script("document.querySelector('#username').value = ''").await;
    b.type_into(&name, user).await;
    b.type_into(&b.wait_for("#password", 5).await, password).await;
    b.click(&b.wait_for("button[type=submit]", 5).await).await;
    b.wait_for(".sync-badge[data-sync='synced']", 30).await;
}

async fn fill(b: &Browser, css: &str, text: &str) {
    let e = b.wait_for(css, 10).await;
    b.type_into(&e, text).await;
}

/// Picks an option of a select by its value, as a person choosing it would.
async fn choose(b: &Browser, select: &str, value: &str) {
    b.wait_for(&format!("{select} option[value='{value}']"), 10).await;
    b.script(&format!(
        "const s = document.querySelector(\"{select}\"); s.value = '{value}'; s.dispatchEvent(new Event('change', {{bubbles: true}}));"
    ))
    .await;
}

/// A one-line order typed in full (a new installation has no catalogue yet).
async fn type_order(b: &Browser) {
    b.click(&b.wait_for("nav a[href='/orders/new']", 10).await).await;
    fill(b, "#f-customer_name", "美居建材").await;
    fill(b, "#f-phone", "0757-1234 5678").await;
    choose(b, "#f-payment", "prepay").await;
    fill(b, "#f-lines-0-model", "AJ-8801").await;
    fill(b, "#f-lines-0-name", "面盆龙头").await;
    fill(b, "#f-lines-0-quantity", "3").await;
    fill(b, "#f-lines-0-unit_price", "128").await;
    b.keys(&format!("{CONTROL}{ENTER}{CONTROL}")).await;
    b.wait_until(
        "the order to be saved or a confirmation asked",
        "document.querySelector('.order-detail [data-number]') || document.querySelector('#confirm-save')",
        10,
    )
    .await;
    if b.find("#confirm-save").await.is_some() {
        b.click(&b.wait_for("#confirm-save", 5).await).await;
    }
    b.wait_for(".order-detail [data-number]", 10).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_company_sets_up_a_branch_and_a_clerk_whose_order_survives_being_disabled() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let out = std::process::Command::new(tests::process::salesdesk_bin())
        .args(["init", "--company", "安居卫浴", "--office-code", "HQ", "--office-name", "总部"])
        .args(["--admin", "boss", "--admin-name", "陈总", "--data"])
        .arg(&data)
        .env("SALESDESK_ADMIN_PASSWORD", "boss-pass-2026")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let dist = dist_dir();
    let server = ServerProcess::start_plain(free_port(), &data, Some(&dist)).await;
    let base = server.base();
    let driver = Driver::start().await;

    // The admin, at a desk: a branch office, then a clerk in it.
    let admin = driver.session(&tmp.path().join("admin"), 1280, 900).await;
    log_in_as(&admin, &base, "boss", "boss-pass-2026").await;
    admin.click(&admin.wait_for("nav a[href='/admin']", 10).await).await;
    fill(&admin, "#f-office-code", "GZ").await;
    fill(&admin, "#f-office-name", "广州分公司").await;
    choose(&admin, "#f-office-paper", "form241_third").await;
    admin.click(&admin.wait_for("button.primary[type=submit]", 5).await).await;
    admin.wait_for_text("table.list", &["广州分公司"], 10).await;
    fill(&admin, "#f-new-username", "gz_li").await;
    fill(&admin, "#f-new-display_name", "李娜").await;
    choose(&admin, "#f-new-office", "GZ").await;
    choose(&admin, "#f-new-role", "clerk").await;
    fill(&admin, "#f-new-password", "gz-li-pass").await;
    admin.script("document.querySelector('#f-new-password').form.requestSubmit()").await;
    admin.wait_for("tr[data-user='gz_li']", 10).await;
    admin.snapshot("admin-users").await;

    // The clerk, on a phone: logs in, goes out of signal, takes an order.
    let phone = driver.session(&tmp.path().join("phone"), 390, 844).await;
    log_in_as(&phone, &base, "gz_li", "gz-li-pass").await;
    // The full app first: opening another build while emulating a lost signal races
    // Chromium re-applying the emulation to the new page (a real outage has no such gap).
    phone.goto(&format!("{base}/customers")).await;
    phone.wait_for("nav.main-nav", 30).await;
    phone.set_offline(true).await;
    type_order(&phone).await;
    let number = phone.text(&phone.wait_for(".order-detail [data-number]", 5).await).await;
    assert!(number.starts_with("GZ-"), "{number}");

    // Meanwhile the admin disables the clerk.
    admin.refresh().await;
    admin.click(&admin.wait_for("tr[data-user='gz_li'] button", 10).await).await;
    admin.click(&admin.wait_for("#f-edit-active", 5).await).await;
    admin.script("document.querySelector('#f-edit-active').form.requestSubmit()").await;
    admin.wait_for_text("tr[data-user='gz_li']", &["已停用"], 10).await;

    // Back in signal: the next sync asks for a log-in, and the order is still on the phone.
    phone.set_offline(false).await;
    phone.script("window.dispatchEvent(new Event('online'))").await;
    let said = phone.wait_for_text("main.login [role=alert]", &["重新登录"], 30).await;
    let waiting = phone.script("return Object.keys(localStorage).filter((k) => k.startsWith('sd1:o:')).length").await;
    let waiting = waiting.as_u64().unwrap();
    // The order, and the new customer it brought.
    assert!(waiting >= 1, "the unsynced order was discarded");
    assert!(said.contains(&format!("{waiting} 条未同步")), "it does not say what it keeps: {said}");
    phone.snapshot("signed-out-keeps-order").await;
    // The name is offered again; with the account disabled the log-in is refused.
    let offered = phone.prop(&phone.wait_for("#username", 5).await, "value").await.unwrap_or_default();
    assert_eq!(offered, "gz_li");

    // Enabled again, the clerk logs in and the order goes out.
    admin.click(&admin.wait_for("#f-edit-active", 5).await).await;
    admin.script("document.querySelector('#f-edit-active').form.requestSubmit()").await;
    admin.wait_for_text("tr[data-user='gz_li']", &["正常"], 10).await;
    log_in_as(&phone, &base, "gz_li", "gz-li-pass").await;
    phone.wait_until("the order to sync", "Object.keys(localStorage).every((k) => !k.startsWith('sd1:o:'))", 30).await;
    let http = reqwest::Client::new();
    let login: serde_json::Value = http
        .post(format!("{base}/api/login"))
        .json(&serde_json::json!({"username": "boss", "password": "boss-pass-2026", "client": new_client()}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pull: serde_json::Value = http
        .get(format!("{base}/api/sync/pull"))
        .bearer_auth(login["token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let numbers: Vec<&str> = pull["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["fields"]["number"]["v"].as_object()?.values().next()?.as_str())
        .collect();
    assert_eq!(numbers, vec![number.as_str()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_web_locks_the_app_keeps_to_one_tab_and_says_why() {
    let dist = dist_dir();
    let tmp = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(free_port(), &tmp.path().join("data"), Some(&dist)).await;
    let base = server.base();
    let driver = Driver::start().await;
    let b = driver.session(&tmp.path().join("profile"), 1280, 900).await;
    // As on a plain-HTTP address on a LAN: the browser offers no Web Locks.
    let no_locks = "Object.defineProperty(Navigator.prototype, 'locks', { get: () => undefined });";
    b.on_every_page(no_locks).await;
    log_in(&b, &base, "fs_clerk").await;
    let first = b.window_handle().await;
    let second = b.new_tab().await;
    b.switch_to(&second).await;
    b.on_every_page(no_locks).await;
    b.goto(&format!("{base}/orders")).await;
    b.wait_for_text(".other-tab", &["另一个标签页"], 30).await;
    assert!(b.find("nav.main-nav").await.is_none(), "the second tab can be used alongside the first");
    b.click(&b.wait_for(".other-tab button", 5).await).await;
    b.wait_for("nav.main-nav", 30).await;
    b.switch_to(&first).await;
    b.wait_for(".other-tab", 30).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_office_adds_a_new_product_that_order_entry_flags_and_a_branch_adds_its_own_carrier() {
    let dist = dist_dir();
    let tmp = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(free_port(), &tmp.path().join("data"), Some(&dist)).await;
    let base = server.base();
    let driver = Driver::start().await;

    let hq = driver.session(&tmp.path().join("hq"), 1280, 900).await;
    log_in(&hq, &base, "hq_manager").await;
    hq.click(&hq.wait_for("nav a[href='/catalogue']", 10).await).await;
    hq.click(&hq.wait_for("#new-product", 10).await).await;
    fill(&hq, "#p-model", "AJ-9901").await;
    fill(&hq, "#p-name", "恒温花洒套装").await;
    fill(&hq, "#p-unit", "套").await;
    fill(&hq, "#p-price", "１２８０").await;
    fill(&hq, "#p-initials", "hwhs").await;
    hq.click(&hq.wait_for("#p-is_new", 5).await).await;
    hq.script("document.querySelector('#p-model').form.requestSubmit()").await;
    hq.wait_for_text("tr[data-model='AJ-9901']", &["新品", "¥1,280.00"], 10).await;
    // The same model twice is refused at once, beside the field.
    hq.click(&hq.wait_for("#new-product", 10).await).await;
    fill(&hq, "#p-model", "aj-9901").await;
    fill(&hq, "#p-name", "重复").await;
    fill(&hq, "#p-price", "1").await;
    hq.script("document.querySelector('#p-model').form.requestSubmit()").await;
    hq.wait_for_text("#p-model-err", &["已被另一条记录使用"], 5).await;
    assert_eq!(hq.active_id().await, "p-model", "the cursor is not where the correction goes");
    hq.wait_for(".sync-badge[data-sync='synced']", 30).await;

    // A branch clerk's order entry finds it, flagged as new.
    let fs = driver.session(&tmp.path().join("fs"), 390, 844).await;
    log_in(&fs, &base, "fs_clerk").await;
    fs.click(&fs.wait_for("nav a[href='/orders/new']", 10).await).await;
    fs.click(&fs.wait_for("#f-lines-0-model", 10).await).await;
    fs.keys("hwhs").await;
    fs.wait_for_text(".suggestions li", &["【新品】", "AJ-9901"], 10).await;

    // The clerk adds the branch's own carrier; head office sees it, marked as FS's.
    fs.goto(&format!("{base}/catalogue")).await;
    assert!(fs.find("#product-search").await.is_none(), "a branch clerk was offered the products");
    fs.click(&fs.wait_for("#new-station", 10).await).await;
    fill(&fs, "#s-name", "顺心本地物流").await;
    fill(&fs, "#s-phone", "12").await;
    fs.script("document.querySelector('#s-name').form.requestSubmit()").await;
    fs.wait_for_text("#s-phone-err", &["电话号码无效"], 5).await;
    fs.script("document.querySelector('#s-phone').value = ''").await;
    fill(&fs, "#s-phone", "0757-8888 1234").await;
    fs.script("document.querySelector('#s-name').form.requestSubmit()").await;
    fs.wait_for_text("tr[data-station='顺心本地物流']", &["FS"], 10).await;
    fs.wait_for(".sync-badge[data-sync='synced']", 30).await;
    hq.refresh().await;
    hq.wait_for_text("tr[data-station='顺心本地物流']", &["FS"], 30).await;
    // Its history names who added it.
    fs.click(&fs.wait_for("tr[data-station='顺心本地物流'] button", 5).await).await;
    fs.wait_for_text(".catalogue-editor ol.history", &["内勤"], 10).await;
}
