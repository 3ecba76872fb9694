//! The desk in headless Chromium, several people each in a browser of their own:
//! approvals that hold, refusals a person can act on, drafts, and the keyboard measured.

use crate::browser::{log_in, show_orders, take_order_with_keyboard, Rig};
use crate::helpers::*;
use common::desk::order::{Action, OrderView, PaymentStamp, Status};
use common::engine::ids::RecordId;
use common::engine::record::{Kind, RecordState};
use std::collections::BTreeMap;
use tests::webdriver::{Browser, CONTROL, ENTER};

/// An order taken at the FS branch through the API: 3 × AJ-8801 at ¥128.00.
pub(crate) async fn order_taken(base: &str) -> (Device, RecordId) {
    let mut clerk = login(base, "fs_clerk").await;
    let order = clerk.new_order(1);
    let id = order.record;
    clerk.push(vec![order]).await;
    (clerk, id)
}

/// `who` takes `action` on the order as the server holds it now.
pub(crate) async fn step(base: &str, who: &str, id: RecordId, action: Action) {
    let mut d = login(base, who).await;
    let seen: RecordState = d.order(id).await;
    let mut c = d.change(Kind::ORDER, id, &seen.office, Some(&seen), BTreeMap::new());
    c.event = Some(action.to_write(Some(&seen)));
    let r = d.push(vec![c]).await;
    assert_eq!(r.results[0].outcome, common::engine::wire::Outcome::Applied, "{who}: {:?}", r.results[0]);
}

/// Puts `text` in place of a box's content, from the keyboard.
async fn retype(b: &Browser, id: &str, text: &str) {
    b.wait_for(&format!("#{id}"), 10).await;
    b.script(&format!("const e = document.getElementById('{id}'); e.focus(); e.select(); return true")).await;
    b.keys(text).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewed_order_is_locked_for_a_salesperson_and_a_clerks_change_sends_it_back_for_review() {
    let Rig { tmp, server: _server, base, driver } = Rig::start().await;
    let (api, id) = order_taken(&base).await;

    // The reviewer reviews it in their browser.
    let reviewer = driver.session(&tmp.path().join("reviewer"), 1280, 900).await;
    log_in(&reviewer, &base, "fs_reviewer").await;
    reviewer.goto(&format!("{base}/orders/{id}")).await;
    reviewer.click(&reviewer.wait_for("#step-review", 30).await).await;
    reviewer.wait_for(".order-detail .page-head [data-status='reviewed']", 10).await;
    reviewer.wait_for(".order-detail [data-sync='synced']", 30).await;

    // A salesperson, on a phone: the order is closed to them, and the page says why.
    let mut more = login(&base, "fs_clerk").await;
    let others: Vec<_> = (2..=8).map(|n| more.new_order(n)).collect();
    more.push(others).await;
    let phone = driver.session(&tmp.path().join("phone"), 360, 740).await;
    log_in(&phone, &base, "fs_salesperson").await;
    // Orders are compact cards there: a screen shows at least six.
    phone.wait_for(&format!("table.orders tr[data-number='{}']", more.number(8)), 30).await;
    let fits = phone.script("return Array.from(document.querySelectorAll('table.orders tbody tr')).filter((r) => r.getBoundingClientRect().bottom <= window.innerHeight).length").await;
    assert!(fits.as_u64().unwrap_or(0) >= 6, "{fits} cards on the first screen");
    phone.goto(&format!("{base}/orders/{id}")).await;
    phone.wait_for(".order-detail [data-locked='locked']", 30).await;
    assert!(phone.find("#edit-order").await.is_none(), "no Edit button for a locked order");
    phone.goto(&format!("{base}/orders/{id}/edit")).await;
    phone.wait_for(".order-form .notice.refused[data-refused='locked']", 30).await;
    assert_eq!(phone.attr(&phone.wait_for("#save", 5).await, "disabled").await.as_deref(), Some("true"));
    phone.snapshot("locked-for-salesperson-360").await;

    // A clerk may change it: it goes back for review, visibly, old → new.
    let clerk = driver.session(&tmp.path().join("clerk"), 1280, 900).await;
    log_in(&clerk, &base, "fs_clerk").await;
    clerk.goto(&format!("{base}/orders/{id}")).await;
    clerk.click(&clerk.wait_for("#edit-order", 30).await).await;
    retype(&clerk, "f-lines-0-quantity", "30").await;
    clerk.keys(&format!("{CONTROL}{ENTER}{CONTROL}")).await;
    clerk.wait_for_text(".notice.sent-back[data-sent-back='review']", &["已改,需重新复核", "×3 ", "×30 "], 10).await;
    clerk.wait_for(".order-detail .page-head .status-sent-back", 5).await;

    // Every browser shows the same once synced, and so does the server.
    reviewer.wait_for(".notice.sent-back[data-sent-back='review']", 60).await;
    reviewer.wait_for("#step-review", 5).await;
    let view = OrderView::from_record(&api.order(id).await);
    assert_eq!(view.status, Status::Entered);
    assert_eq!(view.needs_again(), vec!["review"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_made_offline_that_arrives_after_the_cashiers_stamp_is_refused_in_front_of_its_maker() {
    let Rig { tmp, server: _server, base, driver } = Rig::start().await;
    let (api, id) = order_taken(&base).await;
    let before = OrderView::from_record(&api.order(id).await).total;

    // The salesperson's phone loses its signal and changes the quantity.
    let phone = driver.session(&tmp.path().join("phone"), 360, 740).await;
    log_in(&phone, &base, "fs_salesperson").await;
    phone.goto(&format!("{base}/orders/{id}")).await;
    phone.wait_for("#edit-order", 30).await;
    phone.set_offline(true).await;
    phone.click(&phone.wait_for("#edit-order", 5).await).await;
    retype(&phone, "f-lines-0-quantity", "60").await;
    phone.keys(&format!("{CONTROL}{ENTER}{CONTROL}")).await;
    phone.wait_for(".order-detail [data-sync='pending']", 10).await;

    // Meanwhile the desk reviews it and the cashier stamps 取款.
    step(&base, "fs_reviewer", id, Action::Review).await;
    step(&base, "fs_cashier", id, Action::Audit { stamp: PaymentStamp::Paid }).await;

    // Back online: the change is refused, and the phone says so, with the reason.
    phone.set_offline(false).await;
    phone.wait_for_text(".order-detail .notice.refused[data-refused='locked']", &["服务器拒绝", "不能再改"], 60).await;
    phone.wait_for(".refused-badge[data-refused='1']", 10).await;
    phone.wait_for(".order-detail .page-head [data-status='audited']", 30).await;
    phone.wait_for(&format!(".order-detail [data-total='{}']", before.0), 10).await;
    phone.snapshot("refused-after-stamp-360").await;

    let view = OrderView::from_record(&api.order(id).await);
    assert_eq!((view.status, view.stamp, view.total), (Status::Audited, Some(PaymentStamp::Paid), before));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shipped_order_cannot_be_edited_only_corrected_by_a_manager_with_a_reason() {
    let Rig { tmp, server: _server, base, driver } = Rig::start().await;
    let (api, id) = order_taken(&base).await;
    step(&base, "hq_admin", id, Action::Review).await;
    step(&base, "hq_admin", id, Action::Audit { stamp: PaymentStamp::Paid }).await;
    step(&base, "fs_logistics", id, Action::Ship { waybill: "DB-77".into(), packages: 3, shipment: None }).await;

    let clerk = driver.session(&tmp.path().join("clerk"), 1280, 900).await;
    log_in(&clerk, &base, "fs_clerk").await;
    clerk.goto(&format!("{base}/orders/{id}")).await;
    clerk.wait_for(".order-detail [data-locked='closed']", 30).await;
    assert!(clerk.find("#edit-order").await.is_none());
    clerk.wait_for_text("[data-waybill='DB-77']", &["DB-77", "3 件"], 5).await;
    clerk.goto(&format!("{base}/orders/{id}/edit")).await;
    clerk.wait_for(".order-form .notice.refused[data-refused='closed']", 30).await;
    assert_eq!(clerk.attr(&clerk.wait_for("#save", 5).await, "disabled").await.as_deref(), Some("true"));

    // A manager corrects it: a reason is required, and the history keeps it.
    let manager = driver.session(&tmp.path().join("manager"), 1280, 900).await;
    log_in(&manager, &base, "fs_manager").await;
    manager.goto(&format!("{base}/orders/{id}")).await;
    manager.click(&manager.wait_for("#correct-order", 30).await).await;
    retype(&manager, "f-lines-0-quantity", "2").await;
    manager.keys(&format!("{CONTROL}{ENTER}{CONTROL}")).await;
    manager.wait_for_text("#f-reason-err", &["必填"], 5).await;
    manager.keys("实发 2 个").await;
    manager.keys(&format!("{CONTROL}{ENTER}{CONTROL}")).await;
    manager.wait_for_text("section.order-detail > ol.history", &["更正", "实发 2 个"], 10).await;
    manager.wait_for(".order-detail [data-sync='synced']", 30).await;
    let view = OrderView::from_record(&api.order(id).await);
    assert_eq!((view.status, view.lines[0].quantity), (Status::Shipped, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_new_order_stays_openable_counted_in_red_and_can_be_copied() {
    let Rig { tmp, server: _server, base, driver } = Rig::start().await;
    // A phone whose clock jumps three days ahead after it last heard from the server: the
    // server refuses what it stamps before it hears from the server again.
    let b = driver.session(&tmp.path().join("fast-clock"), 1280, 900).await;
    b.on_every_page(
        "{ const real = Date.now.bind(Date); Date.now = () => real() + Number(localStorage.getItem('test:skew') || 0); }",
    )
    .await;
    log_in(&b, &base, "fs_clerk").await;
    b.script("localStorage.setItem('test:skew', String(3 * 86400000)); return true").await;
    let number = take_order_with_keyboard(&b).await;

    b.wait_for(".refused-badge[data-refused='1']", 60).await;
    b.wait_for_text(".order-detail .notice.refused[data-refused='clock_ahead']", &["时间"], 30).await;
    b.wait_for(".order-detail .status-refused", 5).await;
    let page = b.body_text().await;
    assert!(page.contains(&number) && page.contains("AJ-8801"), "everything typed is still there");

    show_orders(&b).await;
    b.click(&b.wait_for(&format!("tr.refused-row[data-number='{number}'] a"), 10).await).await;
    b.click(&b.wait_for("#copy-refused", 10).await).await;
    let customer = b.prop(&b.wait_for("#f-customer_name", 10).await, "value").await.unwrap_or_default();
    assert!(customer.contains("美居"), "the copy holds the customer: {customer}");
    assert_eq!(b.prop(&b.wait_for("#f-lines-0-model", 5).await, "value").await.as_deref(), Some("AJ-8801"));

    // Having heard the server's time, the phone says its clock is off and corrects its
    // stamps by it: the copy saves and reaches the server, clock still wrong.
    b.wait_for_text(".notice.clock-off", &["快", "72 小时"], 10).await;
    b.keys(&format!("{CONTROL}{ENTER}{CONTROL}")).await;
    b.wait_for(".order-detail [data-number]", 10).await;
    b.wait_for(".order-detail [data-sync='synced']", 60).await;
    let fs = login(&base, "fs_clerk").await;
    assert_eq!(fs.orders().await.len(), 1, "the copy is on the server; the refused original is not");

    // Dealt with: dismissed, it leaves the badge and the list.
    show_orders(&b).await;
    b.click(&b.wait_for(&format!("tr.refused-row[data-number='{number}'] a"), 10).await).await;
    b.click(&b.wait_for(".notice.refused button", 10).await).await;
    b.wait_until("the refusal to be dismissed", "!document.querySelector('.refused-badge')", 10).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_typed_order_survives_a_reload_as_a_draft_and_a_form_that_cannot_save_says_why() {
    let Rig { tmp, server: _server, base, driver } = Rig::start().await;
    let b = driver.session(&tmp.path().join("clerk"), 1280, 900).await;
    log_in(&b, &base, "fs_clerk").await;
    b.keys(tests::keyboard::F2).await;
    b.wait_for("#f-customer_name", 10).await;
    b.keys("城东新客户").await;
    b.wait_for(".tag.new-customer", 5).await;
    b.click(&b.wait_for("#f-lines-0-model", 5).await).await;
    b.keys("AJ-8801").await;
    b.wait_until("the draft to be stored", "location.search.startsWith('?draft=')", 10).await;

    b.refresh().await;
    b.wait_for(".order-form .notice[role='status']", 30).await;
    assert_eq!(b.prop(&b.wait_for("#f-customer_name", 5).await, "value").await.as_deref(), Some("城东新客户"));
    assert_eq!(b.prop(&b.wait_for("#f-lines-0-model", 5).await, "value").await.as_deref(), Some("AJ-8801"));

    // Notes over the limit: Save says why, beside the box, with the limit.
    b.script(&format!(
        "const n = document.getElementById('f-notes'); n.value = '{}'; n.dispatchEvent(new Event('input', {{bubbles: true}})); return true",
        "备".repeat(620)
    ))
    .await;
    b.click(&b.wait_for("#save", 5).await).await;
    b.wait_for_text("#f-notes-err", &["最多 500 字"], 5).await;
    b.wait_for("#form-errors:not([hidden])", 5).await;
    // Put right, the box loses its message as it is typed, not at the next save.
    b.script(
        "const n = document.getElementById('f-notes'); n.value = '先打电话'; n.dispatchEvent(new Event('input', {bubbles: true})); return true",
    )
    .await;
    b.wait_until(
        "the notes' message to go once they are short enough",
        "document.getElementById('f-notes-err').hidden && document.getElementById('f-notes').getAttribute('aria-invalid') === 'false'",
        5,
    )
    .await;

    show_orders(&b).await;
    b.click(&b.wait_for("button#drafts", 5).await).await;
    b.wait_for_text("li.draft", &["城东新客户"], 5).await;
    // Discarding asks once more: one press only arms the button.
    b.click(&b.wait_for("li.draft button", 5).await).await;
    b.wait_for_text("li.draft button", &["再点一次放弃"], 5).await;
    assert!(b.find("li.draft").await.is_some(), "one press discarded the draft");
    b.click(&b.wait_for("li.draft button", 5).await).await;
    b.wait_until("the draft to be discarded", "!document.querySelector('li.draft')", 5).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draft_the_previous_version_kept_is_still_listed_and_opens_with_what_was_typed() {
    use common::desk::order::{LineDraft, OrderDraft};
    let Rig { tmp, server: _server, base, driver } = Rig::start().await;
    let b = driver.session(&tmp.path().join("clerk"), 1280, 900).await;
    log_in(&b, &base, "fs_clerk").await;
    // How drafts were kept until 2026-12-06: a JSON object of the draft's fields.
    let order = OrderDraft {
        customer_name: "旧版草稿客户".into(),
        notes: "下午再打".into(),
        lines: vec![LineDraft { model: "AJ-8801".into(), quantity: "3".into(), ..Default::default() }],
        ..Default::default()
    };
    let id = RecordId(uuid::Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001)).to_string();
    let old =
        serde_json::json!({"id": id, "editing": null, "updated_ms": now_ms(), "order": order, "owner": "fs_clerk"});
    b.script(&format!("localStorage.setItem('sd1:d:{id}', {}); return true", serde_json::json!(old.to_string()))).await;

    // Opened again: the small app hands the store to the full app, which keeps the draft
    // again in this version's form and shows the list asked for.
    b.goto(&format!("{base}/orders")).await;
    b.click(&b.wait_for("button#drafts", 30).await).await;
    b.wait_for_text("li.draft", &["旧版草稿客户"], 30).await;
    let kept = b.script(&format!("return localStorage.getItem('sd1:d:{id}')")).await;
    assert!(kept.as_str().is_some_and(|v| v.starts_with("[\"d1\"")), "kept again in this version's form: {kept}");
    b.click(&b.wait_for("li.draft a.open", 5).await).await;
    b.wait_for(".order-form", 30).await;
    assert_eq!(b.prop(&b.wait_for("#f-customer_name", 5).await, "value").await.as_deref(), Some("旧版草稿客户"));
    assert_eq!(b.prop(&b.wait_for("#f-lines-0-model", 5).await, "value").await.as_deref(), Some("AJ-8801"));
    assert_eq!(b.prop(&b.wait_for("#f-notes", 5).await, "value").await.as_deref(), Some("下午再打"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_five_line_phone_order_takes_at_most_seventy_keys_with_no_mouse() {
    let Rig { tmp, server: _server, base, driver } = Rig::start().await;
    let b = driver.session(&tmp.path().join("clerk"), 1280, 900).await;
    log_in(&b, &base, "fs_clerk").await;
    // From anywhere in the app.
    b.goto(&format!("{base}/customers")).await;
    b.wait_for("#cq", 30).await;
    let (keys, number) = tests::keyboard::five_line_order(&b).await;
    assert!(keys <= 70, "{keys} keys");
    b.wait_for(".order-detail [data-sync='synced']", 30).await;
    let fs = login(&base, "fs_clerk").await;
    let order = fs.orders().await.into_iter().find(|o| o.get_str("number") == number).unwrap();
    let view = OrderView::from_record(&order);
    let got: Vec<(String, i64)> = view.lines.iter().map(|l| (l.model.clone(), l.quantity)).collect();
    let want: Vec<(String, i64)> =
        tests::keyboard::LINES.iter().map(|(m, q, _)| (format!("AJ-{m}"), q.parse().unwrap())).collect();
    assert_eq!(got, want);
    assert_eq!(view.lines[2].unit_price.0, 1700, "the changed price");
    assert!(view.customer_name.contains("美居"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clerk_works_the_form_and_the_list_from_the_keyboard_alone() {
    use tests::keyboard::F2;
    const F4: &str = "\u{E034}";
    const DELETE: &str = "\u{E017}";
    const SHIFT: &str = "\u{E008}";
    const DOWN: &str = "\u{E015}";
    let Rig { tmp, server: _server, base, driver } = Rig::start().await;
    let b = driver.session(&tmp.path().join("clerk"), 1280, 900).await;
    log_in(&b, &base, "fs_clerk").await;
    let active = |id: &'static str| format!("document.activeElement && document.activeElement.id === '{id}'");

    b.keys(F2).await;
    b.wait_until("the customer box to have focus", &active("f-customer_name"), 10).await;
    b.keys("mj").await;
    b.wait_for("#f-customer_name-list li", 5).await;
    b.keys(ENTER).await;
    b.wait_until("the delivery date to have focus", &active("f-delivery_date"), 5).await;
    b.keys(&format!("明天{ENTER}")).await;
    let tomorrow = common::desk::time::local_date(now_ms(), 480).plus_days(1).to_string();
    assert_eq!(b.prop(&b.wait_for("#f-delivery_date", 5).await, "value").await.as_deref(), Some(tomorrow.as_str()));
    for (n, model) in ["8801", "6602"].into_iter().enumerate() {
        b.wait_until("the line's model box", &active(["f-lines-0-model", "f-lines-1-model"][n]), 5).await;
        b.keys(model).await;
        b.wait_for(&format!("#f-lines-{n}-model-list li"), 5).await;
        b.keys(&format!("{ENTER}3{ENTER}{ENTER}")).await;
    }
    // Ctrl+Delete removes the line the cursor is on.
    b.script("document.getElementById('f-lines-1-quantity').focus(); return true").await;
    b.keys(&format!("{CONTROL}{DELETE}{CONTROL}")).await;
    b.wait_until("the second line to be gone", "document.getElementById('f-lines-1-model').value === ''", 5).await;
    // Enter in the empty last line goes on to 备注.
    b.script("document.getElementById('f-lines-1-model').focus(); return true").await;
    b.keys(ENTER).await;
    b.wait_until("the notes to have focus", &active("f-notes"), 5).await;
    // F4 shows the order in speaking order and marks it read back; F4 again closes it.
    b.keys(F4).await;
    b.wait_for_text(".read-back", &["AJ-8801", "合计", "¥384.00"], 5).await;
    b.wait_for(".tag.read-back-done", 5).await;
    b.keys(F4).await;
    b.wait_until("the read-back to close", "!document.querySelector('.read-back')", 5).await;
    // Ctrl+Shift+Enter saves and starts a blank order at once.
    b.script("document.getElementById('f-notes').focus(); return true").await;
    b.keys(&format!("{CONTROL}{SHIFT}{ENTER}{SHIFT}{CONTROL}")).await;
    b.wait_until("a blank order", "document.getElementById('f-customer_name').value === '' && document.getElementById('f-lines-0-model').value === ''", 10).await;
    b.wait_until("the customer box to have focus again", &active("f-customer_name"), 5).await;

    let fs = login(&base, "fs_clerk").await;
    let saved = fs.orders().await;
    assert_eq!(saved.len(), 1);
    let view = OrderView::from_record(&saved[0]);
    assert!(view.read_back && view.delivery_date == tomorrow && view.lines.len() == 1, "{view:?}");

    // The list: ↓ from the search box into the rows, Enter opens.
    let mut more = login(&base, "fs_clerk").await;
    let another = more.new_order(101);
    more.push(vec![another]).await;
    show_orders(&b).await;
    b.wait_for(&format!("tr[data-number='{}']", more.number(101)), 30).await;
    b.click(&b.wait_for("#q", 5).await).await;
    b.keys(&format!("{DOWN}{DOWN}")).await;
    let second = b.script("return document.activeElement.textContent").await;
    b.keys(ENTER).await;
    let number = b.text(&b.wait_for(".order-detail [data-number]", 10).await).await;
    assert_eq!(Some(number.as_str()), second.as_str(), "the second row opened");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_void_needs_a_reason_and_a_second_press_and_one_that_met_a_shipment_is_settled_by_a_manager() {
    let Rig { tmp, server: _server, base, driver } = Rig::start().await;
    // An order voided at the desk in the browser: a reason first, then a second press.
    let (_, plain) = order_taken(&base).await;
    let clerk = driver.session(&tmp.path().join("clerk"), 1280, 900).await;
    log_in(&clerk, &base, "fs_clerk").await;
    clerk.goto(&format!("{base}/orders/{plain}")).await;
    clerk.click(&clerk.wait_for(".danger-zone summary", 30).await).await;
    clerk.click(&clerk.wait_for("#void", 5).await).await;
    clerk.wait_for_text("#void-reason-err", &["作废原因"], 5).await;
    clerk.keys("客户取消").await;
    clerk.click(&clerk.wait_for("#void", 5).await).await;
    clerk.click(&clerk.wait_for("#void-confirm", 5).await).await;
    clerk.wait_for(".order-detail .page-head [data-status='voided']", 10).await;
    clerk.wait_for_text("dl.facts", &["客户取消"], 5).await;

    // Another order: shipped at head office while the branch, not knowing, voids it.
    let mut fs = login(&base, "fs_clerk").await;
    let order = fs.new_order(201);
    let id = order.record;
    fs.push(vec![order]).await;
    step(&base, "hq_admin", id, Action::Review).await;
    step(&base, "hq_admin", id, Action::Audit { stamp: PaymentStamp::Paid }).await;
    let seen = fs.order(id).await;
    let mut void = fs.change(Kind::ORDER, id, &seen.office, Some(&seen), BTreeMap::new());
    void.event = Some(Action::Void { reason: "客户不要了".into() }.to_write(Some(&seen)));
    step(&base, "fs_logistics", id, Action::Ship { waybill: "DB-9".into(), packages: 1, shipment: None }).await;
    fs.push(vec![void]).await;

    // The clerk sees the clash and who settles it; the manager gets the two choices.
    clerk.goto(&format!("{base}/orders/{id}")).await;
    clerk.wait_for_text("[data-conflict='void_and_ship']", &["作废", "发货", "需要经理处理"], 30).await;
    assert!(clerk.find("#confirm-void").await.is_none());
    let manager = driver.session(&tmp.path().join("manager"), 1280, 900).await;
    log_in(&manager, &base, "fs_manager").await;
    manager.goto(&format!("{base}/orders/{id}")).await;
    manager.wait_for("#unvoid", 30).await;
    manager.click(&manager.wait_for("#confirm-void", 5).await).await;
    manager.wait_for(".order-detail .page-head [data-status='voided']", 10).await;
    manager
        .wait_until("the clash to be settled", "!document.querySelector(\"[data-conflict='void_and_ship']\")", 10)
        .await;
    manager.wait_for(".order-detail [data-sync='synced']", 30).await;
    let view = OrderView::from_record(&fs.order(id).await);
    assert_eq!(view.status, Status::Voided);
    assert!(view.progress.conflicts.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_persons_unsynced_work_stays_theirs_when_someone_else_logs_in_on_the_same_browser() {
    let Rig { tmp, server: _server, base, driver } = Rig::start().await;
    let b = driver.session(&tmp.path().join("shared-pc"), 1280, 900).await;
    log_in(&b, &base, "fs_clerk").await;
    // The full app first: opening another build while emulating a lost signal races
    // Chromium re-applying the emulation to the new page (a real outage has no such gap).
    b.goto(&format!("{base}/customers")).await;
    b.wait_for("nav.main-nav", 30).await;
    // Offline, the branch clerk takes an order, then leaves the desk.
    b.set_offline(true).await;
    let number = take_order_with_keyboard(&b).await;
    b.wait_for(".order-detail [data-sync='pending']", 10).await;
    for _ in 0..2 {
        b.click(&b.wait_for("header.top button.quiet:last-of-type", 5).await).await;
    }
    b.wait_for("#username", 10).await;
    b.set_offline(false).await;

    // Someone from another office logs in on the same browser: told, not given the work.
    log_in(&b, &base, "sz_clerk").await;
    b.wait_for_text("main .notice", &["fs_clerk", "1 条"], 10).await;
    assert!(b.find(&format!("tr[data-number='{number}']")).await.is_none());
    let fs = login(&base, "fs_clerk").await;
    assert!(fs.orders().await.is_empty(), "nothing was pushed in the other person's name");

    // The clerk comes back: the order goes out, theirs.
    for _ in 0..2 {
        if b.find("#username").await.is_none() {
            b.click(&b.wait_for("header.top button.quiet:last-of-type", 5).await).await;
        }
    }
    log_in(&b, &base, "fs_clerk").await;
    show_orders(&b).await;
    b.wait_for(&format!("tr[data-number='{number}'][data-sync='synced']"), 60).await;
    let orders = fs.orders().await;
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0].log.values().next().map(|l| l.by.as_str()), Some("fs_clerk"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_whose_storage_went_back_in_time_keeps_its_new_work() {
    let Rig { tmp, server: _server, base, driver } = Rig::start().await;
    let b = driver.session(&tmp.path().join("restored"), 1280, 900).await;
    log_in(&b, &base, "fs_clerk").await;
    let first = take_order_with_keyboard(&b).await;
    b.wait_for(".order-detail [data-sync='synced']", 30).await;
    // A copy of this browser's storage, taken now...
    b.script("window.name = JSON.stringify(Object.assign({}, localStorage)); return true").await;
    let second = take_order_with_keyboard(&b).await;
    b.wait_for(".order-detail [data-sync='synced']", 30).await;
    // ...is put back later: the device has forgotten its second order and numbers its
    // next change as if it were new.
    b.script("const saved = JSON.parse(window.name); localStorage.clear(); for (const [k, v] of Object.entries(saved)) localStorage.setItem(k, v); return true").await;
    b.refresh().await;
    show_orders(&b).await;
    b.wait_for(&format!("tr[data-number='{second}']"), 30).await;
    let third = take_order_with_keyboard(&b).await;
    b.wait_for(".order-detail [data-sync='synced']", 60).await;
    assert!(b.find(".refused-badge").await.is_none(), "nothing refused");
    let fs = login(&base, "fs_clerk").await;
    let mut numbers: Vec<String> = fs.orders().await.iter().map(|o| o.get_str("number").to_string()).collect();
    numbers.sort();
    let mut want = vec![first, second, third];
    want.sort();
    assert_eq!(numbers, want, "three orders, three numbers");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_server_is_restored_from_a_backup_the_browser_sends_back_the_order_it_lost() {
    let Rig { tmp, mut server, base, driver } = Rig::start().await;
    let data = tmp.path().join("data");
    let backup = tmp.path().join("backup.sqlite");
    let b = driver.session(&tmp.path().join("profile"), 1280, 900).await;
    log_in(&b, &base, "fs_clerk").await;
    let first = take_order_with_keyboard(&b).await;
    b.wait_for(".order-detail [data-sync='synced']", 30).await;
    let out = crate::ops::salesdesk(&["backup", backup.to_str().unwrap()], &data);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let second = take_order_with_keyboard(&b).await;
    b.wait_for(".order-detail [data-sync='synced']", 30).await;

    // The server goes back to the backup, which has not heard of the second order.
    server.kill();
    let out = crate::ops::salesdesk(&["restore", backup.to_str().unwrap()], &data);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    server.restart().await;
    let numbers = |orders: Vec<RecordState>| {
        let mut n: Vec<String> = orders.iter().map(|o| o.get_str("number").to_string()).collect();
        n.sort();
        n
    };
    assert_eq!(numbers(login(&base, "fs_clerk").await.orders().await), vec![first.clone()]);

    // On the order list (the small core app), the next sync finds the server restored: the
    // recovery is done by the full app, on the same screen, and the order goes back.
    show_orders(&b).await;
    b.script("dispatchEvent(new Event('online')); return true").await;
    let fs = login(&base, "fs_clerk").await;
    let mut want = vec![first, second];
    want.sort();
    for _ in 0..60 {
        if numbers(fs.orders().await) == want {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    assert_eq!(numbers(fs.orders().await), want, "the server has the order it had lost");
    b.wait_for("#q", 10).await;
    let path = b.script("return location.pathname").await;
    assert_eq!(path.as_str(), Some("/orders"), "still on the order list");
    assert!(b.find(".refused-badge").await.is_none(), "nothing refused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_order_list_a_phone_opens_first_exports_its_orders_to_excel_through_the_full_app() {
    use calamine::{Data, Reader};
    let Rig { tmp, server: _server, base, driver } = Rig::start().await;
    let mut clerk = login(&base, "fs_clerk").await;
    let order = clerk.new_order(7);
    clerk.push(vec![order]).await;
    let number = clerk.number(7);
    let b = driver.session(&tmp.path().join("phone"), 360, 800).await;
    log_in(&b, &base, "fs_clerk").await;
    show_orders(&b).await;
    b.wait_for(&format!("tr[data-number='{number}']"), 30).await;
    let downloads = tmp.path().join("downloads");
    b.allow_downloads(&downloads).await;
    b.click_on("#export-orders", 10).await;
    let file = b.wait_for_download(&downloads, ".xlsx", 30).await;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&file).unwrap();
    let sheet: Vec<Vec<Data>> = wb.worksheet_range_at(0).unwrap().unwrap().rows().map(<[Data]>::to_vec).collect();
    assert!(sheet.iter().any(|r| r.contains(&Data::String(number.clone()))), "{number} not in {sheet:?}");
    // The address is the list's again: a reload shows the list and exports nothing more.
    b.wait_until("the list's address", "location.pathname === '/orders'", 10).await;
    b.wait_for(&format!("tr[data-number='{number}']"), 30).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_list_shows_its_newest_fifty_orders_and_the_rest_a_page_at_a_time() {
    let Rig { tmp, server: _server, base, driver } = Rig::start().await;
    let mut clerk = login(&base, "fs_clerk").await;
    let orders: Vec<_> = (1..=60).map(|n| clerk.new_order(n)).collect();
    clerk.push(orders).await;
    let b = driver.session(&tmp.path().join("desk"), 1280, 900).await;
    log_in(&b, &base, "fs_clerk").await;
    let rows = "return document.querySelectorAll('table.orders:not(.refused-list) tbody tr[data-number]').length";
    b.wait_for(&format!("table.orders tr[data-number='{}']", clerk.number(60)), 30).await;
    assert_eq!(b.script(rows).await.as_u64(), Some(50), "the first page of rows");
    let oldest = format!("table.orders tr[data-number='{}']", clerk.number(1));
    assert!(b.find(&oldest).await.is_none(), "the oldest waits for the next page");
    let more = b.wait_for(".list-foot button", 5).await;
    let label = b.text(&more).await;
    assert!(label.starts_with("显示更多"), "{label}");
    b.click(&more).await;
    b.wait_for(&oldest, 10).await;
    assert!(b.script(rows).await.as_u64().unwrap_or(0) > 50, "the next page came");
}

/// Whether this page's open showed the order list from the stored rows (the list index)
/// rather than from the records (the app marks it with `performance.mark`).
async fn opened_from_index(b: &Browser) -> bool {
    b.script("return performance.getEntriesByName('salesdesk:list-from-index').length === 1").await.as_bool()
        == Some(true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_order_list_opens_offline_from_its_stored_rows_and_never_from_stale_ones() {
    let Rig { tmp, mut server, base, driver } = Rig::start().await;
    let mut clerk = login(&base, "fs_clerk").await;
    let orders = (1..=3).map(|n| clerk.new_order(n)).collect();
    clerk.push(orders).await;
    let b = crate::browser::branch_clerk_ready_offline(&driver, &tmp.path().join("desk"), &base).await;
    let row = |n: &str| format!("table.orders tr[data-number='{n}']");
    b.wait_for(&row(&clerk.number(3)), 30).await;
    // Stored beside the records once they rest (or when the page goes).
    b.wait_until("the list index to be stored", "localStorage.getItem('sd1:lt') !== null", 15).await;
    server.kill();

    // Offline, the list shows at once from the stored rows; the records follow.
    b.goto(&format!("{base}/orders")).await;
    for n in 1..=3 {
        b.wait_for(&row(&clerk.number(n)), 30).await;
    }
    assert!(opened_from_index(&b).await, "the list came from its index");
    b.wait_until("the records read", "performance.getEntriesByName('salesdesk:records-read').length === 1", 30).await;

    // An order taken here, offline: the next open shows it, waiting to sync.
    let number = take_order_with_keyboard(&b).await;
    b.goto(&format!("{base}/orders")).await;
    b.wait_for(&format!("{}[data-sync='pending']", row(&number)), 30).await;
    b.wait_for(&row(&clerk.number(1)), 30).await;

    // An order written where this app did not see it (by an older version of the app in
    // another tab, say, which knows nothing of the index): the index no longer matches,
    // so the list is read from the records, and stored anew for the next open.
    let other = clerk.new_order(4);
    b.script(&format!(
        "localStorage.setItem('sd1:o:{}', {}); return true",
        other.id,
        serde_json::to_string(&serde_json::to_string(&other).unwrap()).unwrap()
    ))
    .await;
    b.goto(&format!("{base}/orders")).await;
    b.wait_for(&format!("{}[data-sync='pending']", row(&clerk.number(4))), 30).await;
    assert!(!opened_from_index(&b).await, "a stale index was not used");
    let stale = b.script("return localStorage.getItem('sd1:lt')").await;
    b.wait_until(
        "the index stored again",
        &format!("localStorage.getItem('sd1:lt') !== null && localStorage.getItem('sd1:lt') !== {stale}"),
        15,
    )
    .await;
    b.goto(&format!("{base}/orders")).await;
    b.wait_for(&format!("{}[data-sync='pending']", row(&clerk.number(4))), 30).await;
    b.wait_for(&format!("{}[data-sync='pending']", row(&number)), 30).await;
    assert!(opened_from_index(&b).await, "the index was stored again");

    // Logging out leaves nothing of the list for the next person at this computer.
    b.wait_until("the records read", "performance.getEntriesByName('salesdesk:records-read').length === 1", 30).await;
    b.script(
        "[...document.querySelectorAll('header.top button')].find((x) => x.innerText === '退出').click(); return true",
    )
    .await;
    b.script(
        "[...document.querySelectorAll('header.top button')].find((x) => x.innerText === '退出')?.click(); return true",
    )
    .await;
    b.wait_for("#username", 30).await;
    assert_eq!(b.script("return localStorage.getItem('sd1:li')").await, serde_json::Value::Null);
}
