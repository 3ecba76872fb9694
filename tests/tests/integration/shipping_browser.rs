//! Shipping in headless Chromium: an order reviewed, stamped, shipped in two lots (the
//! first partial), called about the next morning, partly returned through the station
//! log, and head office seeing each step with who and when: once with each person in a
//! browser of their own, once with a branch offline throughout that syncs at the end.

use crate::browser::{log_in, retype, Rig};
use crate::desk_browser::order_taken;
use crate::helpers::*;
use common::desk::order::{OrderView, Status};
use common::desk::shipping::{summarize, LogView, ShipmentView};
use common::desk::time::local_date;
use common::engine::record::Kind;
use tests::webdriver::{Browser, ENTER};

/// Goes to a screen by its menu link, as a person would (and as works offline).
async fn menu(b: &Browser, href: &str) {
    b.click_on(&format!("nav.main-nav a[href='{href}']"), 10).await;
}

/// Opens the order from the list by its number.
async fn open_order(b: &Browser, number: &str) {
    menu(b, "/orders").await;
    b.click_on("button[role='tab']#all", 10).await;
    b.click_on(&format!("tr[data-number='{number}'] a"), 30).await;
    b.wait_for(&format!(".order-detail [data-number='{number}']"), 10).await;
}

async fn review(b: &Browser) {
    b.click_on("#step-review", 30).await;
    b.wait_for(".order-detail .page-head [data-status='reviewed']", 10).await;
}

async fn stamp(b: &Browser) {
    b.wait_for("#stamp option[value='paid']", 30).await;
    b.script("const s = document.querySelector('#stamp'); s.value = 'paid'; s.dispatchEvent(new Event('change', {bubbles: true}));").await;
    b.click_on("#step-audit", 5).await;
    b.wait_for(".order-detail .page-head [data-status='audited']", 10).await;
}

/// Records a shipment of `qty` of the order's line on `date`, under one waybill.
async fn ship(b: &Browser, waybill: &str, packages: &str, qty: &str, date: &str) {
    b.click_on("#new-shipment", 30).await;
    if b.prop(&b.wait_for("#sh-station", 5).await, "value").await.unwrap_or_default().is_empty() {
        retype(b, "sh-station", "德邦物流").await;
    }
    retype(b, "sh-ship_date", date).await;
    retype(b, "sh-waybills-0-number", waybill).await;
    retype(b, "sh-waybills-0-packages", packages).await;
    retype(b, "sh-lines-0", qty).await;
    retype(b, "sh-expected_arrival", "+3").await;
    b.click_on("#sh-save", 5).await;
    b.wait_for(&format!(".shipment-card[data-shipment='{waybill}']"), 10).await;
}

/// On the 发货 screen: every call about `number` made, telling 陈老板 — about both
/// shipments in one go (`at_once`), or one by one.
async fn call_about(b: &Browser, number: &str, at_once: bool) {
    menu(b, "/shipments").await;
    let call = format!(".call[data-order='{number}']");
    // Shipped two days ago and not called: late, in red, and counted in the menu.
    b.wait_for(&format!("{call}[data-overdue='true']"), 30).await;
    b.wait_for("nav #late-calls", 5).await;
    assert_eq!(b.find_all(&format!("{call} .shipment-card")).await.len(), 2, "one call for the order's two shipments");
    if at_once {
        b.click_on(&format!("{call} .notify-all"), 5).await;
        retype(b, "n-spoke_to", "陈老板").await;
        retype(b, "n-said", "两票德邦,三天到").await;
        b.script("document.querySelector('#n-spoke_to').form.requestSubmit()").await;
        b.wait_until("the call to leave the list", "!document.querySelector('#n-spoke_to')", 10).await;
    }
    while let Some(open) = b.find(&format!("{call} .notify-open")).await {
        b.click(&open).await;
        retype(b, "n-spoke_to", "陈老板").await;
        retype(b, "n-said", "两票德邦,三天到").await;
        b.script("document.querySelector('#n-spoke_to').form.requestSubmit()").await;
        b.wait_until("the call to leave the list", "!document.querySelector('#n-spoke_to')", 10).await;
    }
    assert!(b.find(&call).await.is_none(), "a called shipment stays on the list");
}

/// On the 发货 screen: 德邦物流 calls, one of the order's line came back.
async fn log_return(b: &Browser, number: &str) {
    menu(b, "/shipments").await;
    b.click_on("#new-station-call", 10).await;
    retype(b, "lg-station", "德邦物流").await;
    // Enter (picking the suggestion) moves on; it does not save a half-filled call.
    b.keys(ENTER).await;
    assert_eq!(b.active_id().await, "lg-station_phone");
    assert!(b.find("table.station-log tr[data-kind]").await.is_none(), "Enter saved the call");
    retype(b, "lg-packages", "1").await;
    // The station's phone comes from the catalogue.
    b.wait_until("the station's phone", "document.querySelector('#lg-station_phone').value === '0757-8223 1001'", 5)
        .await;
    retype(b, "lg-freight", "15").await;
    retype(b, "lg-order_number", number).await;
    retype(b, "lg-lines-0", "1").await;
    // The station names the shipment: the first one.
    let first = b
        .script("return Array.from(document.querySelectorAll('#lg-shipment option')).find((o) => o.textContent.includes('DB-1')).value")
        .await;
    let first = first.as_str().unwrap_or_default().to_string();
    b.script(&format!("const s = document.querySelector('#lg-shipment'); s.value = '{first}'; s.dispatchEvent(new Event('change', {{bubbles: true}}));")).await;
    b.click_on("#lg-save", 5).await;
    b.wait_for("table.station-log tr[data-kind='return'][data-log='德邦物流']", 10).await;
}

/// The order's page shows 3 ordered, 3 shipped, 1 returned, with both shipments.
async fn order_shows_it_all(b: &Browser, number: &str) {
    open_order(b, number).await;
    b.wait_for(".order-detail .page-head [data-status='shipped']", 30).await;
    b.wait_for("tr[data-line='AJ-8801'] [data-shipped='3']", 30).await;
    b.wait_for("tr[data-line='AJ-8801'] [data-returned='1']", 30).await;
    b.wait_for(".shipment-card[data-shipment='DB-1'][data-notified='true']", 10).await;
    b.wait_for(".shipment-card[data-shipment='DB-2'][data-notified='true']", 10).await;
}

/// Head office's view: each step with who took it and when.
async fn head_office_sees(driver: &tests::webdriver::Driver, profile: &std::path::Path, base: &str, number: &str) {
    let hq = driver.session(profile, 1280, 900).await;
    log_in(&hq, base, "hq_admin").await;
    order_shows_it_all(&hq, number).await;
    // One history for the order, its shipments, the calls and the return, each with who.
    let history = hq
        .wait_for_text(
            "section.order-detail > ol.history",
            &["复核", "收银审核", "发货单 DB-1", "发货单 DB-2", "发货通知:告知 陈老板", "货站返货 德邦物流", "发货"],
            10,
        )
        .await;
    assert!(history.contains("FS"), "the history names the branch: {history}");
    assert!(history.contains("物流") || history.contains("经理"), "who shipped: {history}");
    let card = hq.wait_for_text(".shipment-card[data-shipment='DB-1']", &["发货人", "已通知", "陈老板"], 10).await;
    assert!(card.contains("DB-1 × 1 件") && card.contains("预计到货"), "{card}");
    menu(&hq, "/shipments").await;
    hq.wait_for_text("table.station-log tr[data-kind='return']", &[number, "AJ-8801 × 1", "15.00"], 30).await;
    hq.close().await;
}

/// What the server holds in the end: the order shipped in full, one back.
async fn server_holds_it(base: &str, id: common::engine::ids::RecordId) {
    let all = login(base, "hq_admin").await.pull_all().await;
    let order = OrderView::from_record(all.iter().find(|r| r.id == id).unwrap());
    let shipments: Vec<ShipmentView> =
        all.iter().filter(|r| r.kind == Kind::SHIPMENT).map(ShipmentView::from_record).collect();
    let log: Vec<LogView> = all.iter().filter(|r| r.kind == Kind::STATION_LOG).map(LogView::from_record).collect();
    let s = summarize(&order, &shipments, &log);
    assert_eq!(order.status, Status::Shipped);
    assert_eq!((s.shipments, s.lines[0].shipped, s.lines[0].remaining, s.lines[0].returned), (2, 3, 0, 1));
    assert!(shipments.iter().all(|s| s.notified.is_some()), "both calls reached the server");
    let first = shipments.iter().find(|s| s.waybills[0].number == "DB-1").map(|s| s.id);
    assert_eq!(log[0].shipment, first, "the return names the shipment it came from");
}

/// The clerk prints the order's form from another device (a press recorded on the order).
async fn print_elsewhere(base: &str, id: common::engine::ids::RecordId) {
    use common::desk::order::{Action, Paper, PrintForm};
    let mut d = login(base, "fs_clerk").await;
    let seen = d.order(id).await;
    let mut c = d.change(Kind::ORDER, id, &seen.office, Some(&seen), Default::default());
    c.event = Some(Action::Print { form: PrintForm::Order, paper: Paper::A4 }.to_write(Some(&seen)));
    let r = d.push(vec![c]).await;
    assert_eq!(r.results[0].outcome, common::engine::wire::Outcome::Applied, "{:?}", r.results[0]);
}

fn two_days_ago() -> String {
    local_date(now_ms(), 480).plus_days(-2).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_shipped_in_two_lots_is_called_about_partly_returned_and_head_office_sees_who_did_each_step() {
    let Rig { tmp, server: _server, base, driver } = Rig::start().await;
    let (clerk_api, id) = order_taken(&base).await;
    let number = clerk_api.number(1);
    let person = |name: &str| tmp.path().join(name);

    let reviewer = driver.session(&person("reviewer"), 1280, 900).await;
    log_in(&reviewer, &base, "fs_reviewer").await;
    open_order(&reviewer, &number).await;
    review(&reviewer).await;
    reviewer.wait_for(".order-detail [data-sync='synced']", 30).await;
    reviewer.close().await;

    let cashier = driver.session(&person("cashier"), 1280, 900).await;
    log_in(&cashier, &base, "fs_cashier").await;
    open_order(&cashier, &number).await;
    stamp(&cashier).await;
    cashier.wait_for(".order-detail [data-sync='synced']", 30).await;
    cashier.close().await;

    // Logistics ships two of three on Friday, the last one after.
    let logistics = driver.session(&person("logistics"), 1280, 900).await;
    log_in(&logistics, &base, "fs_logistics").await;
    open_order(&logistics, &number).await;
    // 交物流: who received the copies (and counts twice), and which copies.
    logistics.click_on("#step-hand_over", 30).await;
    logistics.wait_for_text("#received-by-err", &["必填"], 5).await;
    retype(&logistics, "received-by", "王五").await;
    // Meanwhile the desk prints the order elsewhere: the page redraws when that arrives,
    // and what was typed in the box stays.
    print_elsewhere(&base, id).await;
    logistics.wait_for_text("section.order-detail > ol.history", &["打印"], 60).await;
    let kept = logistics.prop(&logistics.wait_for("#received-by", 5).await, "value").await;
    assert_eq!(kept.as_deref(), Some("王五"), "a sync landing wiped what was typed");
    logistics.click_on("#step-hand_over", 5).await;
    logistics.wait_for(".order-detail .page-head [data-status='handed_over']", 10).await;
    ship(&logistics, "DB-1", "1", "2", &two_days_ago()).await;
    logistics.wait_for(".order-detail .page-head [data-status='partly_shipped']", 10).await;
    logistics.wait_for("tr[data-line='AJ-8801'] [data-remaining='1']", 10).await;
    // The form will not send more than is left.
    logistics.click_on("#new-shipment", 10).await;
    retype(&logistics, "sh-station", "德邦物流").await;
    retype(&logistics, "sh-waybills-0-number", "DB-9").await;
    retype(&logistics, "sh-waybills-0-packages", "1").await;
    retype(&logistics, "sh-lines-0", "2").await;
    logistics.click_on("#sh-save", 5).await;
    logistics.wait_for_text(".ship-line .field-error", &["超过待发数量", "还可发 1"], 5).await;
    assert_eq!(logistics.active_id().await, "sh-lines-0", "the cursor goes to the quantity to correct");
    logistics.click_on("#sh-cancel", 5).await;
    ship(&logistics, "DB-2", "1", "1", &two_days_ago()).await;
    logistics.wait_for("tr[data-line='AJ-8801'] [data-remaining='0']", 10).await;
    logistics.wait_for(".sync-badge[data-sync='synced']", 30).await;
    logistics.close().await;

    // The next morning the clerk works the call list, and later logs the station's call.
    let clerk = driver.session(&person("clerk"), 390, 844).await;
    log_in(&clerk, &base, "fs_clerk").await;
    call_about(&clerk, &number, true).await;
    log_return(&clerk, &number).await;
    order_shows_it_all(&clerk, &number).await;
    clerk.wait_for(".sync-badge[data-sync='synced']", 30).await;
    clerk.snapshot("order-shipped-returned-390").await;
    clerk.close().await;

    // The salesperson, on a phone, sees when the goods should arrive.
    let sales = driver.session(&person("sales"), 360, 740).await;
    log_in(&sales, &base, "fs_salesperson").await;
    open_order(&sales, &number).await;
    let expected = local_date(now_ms(), 480).plus_days(3).to_string();
    sales.wait_for(&format!(".shipment-card[data-shipment='DB-2'] [data-expected='{expected}']"), 30).await;
    sales.close().await;

    head_office_sees(&driver, &person("hq"), &base, &number).await;
    let hq = driver.session(&person("hq-again"), 1280, 900).await;
    log_in(&hq, &base, "hq_admin").await;
    open_order(&hq, &number).await;
    hq.wait_for_text("section.order-detail > ol.history", &["交物流:王五 点收 备货联、客户联、仓库存根联"], 10).await;
    hq.close().await;
    server_holds_it(&base, id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_branch_offline_throughout_ships_calls_and_logs_a_return_and_head_office_sees_it_all_after_one_sync() {
    let Rig { tmp, server: _server, base, driver } = Rig::start().await;
    let (clerk_api, id) = order_taken(&base).await;
    let number = clerk_api.number(1);

    // The branch manager's desk has the order, then the line drops for the whole day.
    let branch = driver.session(&tmp.path().join("branch"), 1280, 900).await;
    log_in(&branch, &base, "fs_manager").await;
    open_order(&branch, &number).await;
    branch.set_offline(true).await;
    review(&branch).await;
    stamp(&branch).await;
    ship(&branch, "DB-1", "1", "2", &two_days_ago()).await;
    branch.wait_for(".order-detail .page-head [data-status='partly_shipped']", 10).await;
    ship(&branch, "DB-2", "1", "1", &two_days_ago()).await;
    call_about(&branch, &number, false).await;
    log_return(&branch, &number).await;
    order_shows_it_all(&branch, &number).await;
    branch.wait_for(".order-detail [data-sync='pending']", 5).await;
    // Nothing reached the server while offline.
    let seen = login(&base, "hq_admin").await.order(id).await;
    assert_eq!(OrderView::from_record(&seen).status, Status::Entered);

    branch.set_offline(false).await;
    branch.wait_for(".sync-badge[data-sync='synced']", 60).await;
    branch.close().await;
    head_office_sees(&driver, &tmp.path().join("hq"), &base, &number).await;
    server_holds_it(&base, id).await;
}
