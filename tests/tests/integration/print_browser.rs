//! The printed order form as Chromium prints it to PDF (DevTools `Page.printToPDF`), read
//! back with poppler: the copies, the paper size, the amount in capitals, nothing of the
//! app's chrome, and reprints marked.

use crate::browser::{log_in, Rig};
use crate::desk_browser::step;
use crate::helpers::*;
use common::desk::order::{Action, LineDraft, OrderDraft, PaymentStamp};
use common::engine::ids::RecordId;
use common::engine::record::Kind;
use std::path::Path;
use std::process::Command;
use tests::webdriver::Browser;

/// An FS order of one line at `price` (yuan, as typed), reviewed and stamped 代收 / 取款.
async fn reviewed_order(base: &str, seq: u32, price: &str) -> RecordId {
    let mut clerk = login(base, "fs_clerk").await;
    let draft = OrderDraft {
        customer_name: "佛山美居建材".into(),
        phone: "0757-1234 5678".into(),
        payment: "monthly".into(),
        station: "德邦物流".into(),
        station_contract: "DB-6601".into(),
        lines: vec![LineDraft {
            model: "AJ-8801".into(),
            name: "面盆龙头".into(),
            quantity: "1".into(),
            unit: "个".into(),
            unit_price: price.into(),
            ..Default::default()
        }],
        ..Default::default()
    };
    let mut values = draft.validate().unwrap().to_values();
    values.insert("number".into(), serde_json::Value::String(clerk.number(seq)));
    let id = RecordId::new_v7(now_ms(), random10());
    let office = clerk.office();
    let c = clerk.change(Kind::ORDER, id, &office, None, values);
    clerk.push(vec![c]).await;
    step(base, "fs_reviewer", id, Action::Review).await;
    step(base, "fs_cashier", id, Action::Audit { stamp: PaymentStamp::Paid }).await;
    id
}

/// Prints the page to PDF and reads it back: (its text, each page's size in points).
async fn printed(b: &Browser, dir: &Path, name: &str) -> (String, Vec<(f64, f64)>) {
    let pdf = dir.join(format!("{name}.pdf"));
    std::fs::write(&pdf, b.print_pdf().await).unwrap();
    let text = Command::new("pdftotext").args(["-layout"]).arg(&pdf).arg("-").output().expect("pdftotext");
    assert!(text.status.success(), "pdftotext failed on {}", pdf.display());
    let info = Command::new("pdfinfo").args(["-f", "1", "-l", "99"]).arg(&pdf).output().expect("pdfinfo");
    let info = String::from_utf8_lossy(&info.stdout).to_string();
    // "Page    1 size: 595.276 x 841.89 pts (A4)"
    let sizes = info
        .lines()
        .filter(|l| l.starts_with("Page") && l.contains(" size: "))
        .map(|l| {
            let dims: Vec<f64> =
                l.split(" size: ").nth(1).unwrap_or("").split_whitespace().filter_map(|w| w.parse().ok()).collect();
            (dims[0], dims[1])
        })
        .collect();
    (String::from_utf8_lossy(&text.stdout).to_string(), sizes)
}

fn mm(points: f64) -> f64 {
    points / 72.0 * 25.4
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_order_form_prints_as_four_named_copies_on_a4_or_one_pin_feed_page_and_reprints_say_so() {
    let Rig { tmp, server: _server, base, driver } = Rig::start().await;
    let big = reviewed_order(&base, 1, "1000100.05").await;
    let small = reviewed_order(&base, 2, "0.50").await;
    let b = driver.session(&tmp.path().join("clerk"), 1280, 900).await;
    // The print dialog is the browser's; here each press is counted and the test prints
    // the page itself, as the dialog would.
    b.on_every_page("window.__prints = 0; window.print = () => { window.__prints += 1; };").await;
    log_in(&b, &base, "fs_clerk").await;

    // A4: four pages, each a named copy, the amount in capitals, none of the app around it.
    b.goto(&format!("{base}/orders/{big}/print?paper=a4")).await;
    b.wait_for_text(".sheets[data-paper='a4'] .copy-stub", &["仓库存根联"], 30).await;
    b.click_on("#print-now:not([disabled])", 10).await;
    b.wait_for("#print-count[data-prints='1']", 10).await;
    b.wait_until("the browser asked to print", "window.__prints === 1", 10).await;
    let (text, sizes) = printed(&b, tmp.path(), "a4").await;
    assert_eq!(sizes.len(), 4, "one A4 page per copy: {sizes:?}\n{text}");
    for (w, h) in &sizes {
        assert!((mm(*w) - 210.0).abs() < 1.0 && (mm(*h) - 297.0).abs() < 1.0, "not A4: {w} x {h}");
    }
    let pages: Vec<&str> = text.split('\u{c}').collect();
    for (page, copy) in pages.iter().zip(["备货联", "收银联", "客户联", "仓库存根联"]) {
        assert!(page.contains(copy), "page without its copy name {copy}: {page}");
        assert!(page.contains("壹佰万零壹佰元零伍分"), "amount in capitals missing: {page}");
        assert!(page.contains("1,000,100.05") || page.contains("1000100.05"), "amount in figures missing: {page}");
        assert!(page.contains("佛山美居建材") && page.contains("AJ-8801") && page.contains("DB-6601"), "{page}");
        assert!(page.contains("取款"), "the cashier's stamp is printed: {page}");
    }
    for chrome in ["返回订单", "退出", "主菜单", "已同步", "尚未打印过", "已打印"] {
        assert!(!text.contains(chrome), "the app's own {chrome} was printed:\n{text}");
    }
    assert!(!text.contains("重印"), "a first print is not a reprint:\n{text}");

    // Pressed again: a reprint, numbered, and the count is on the order for every device.
    b.click_on("#print-now", 10).await;
    b.wait_for("#print-count[data-prints='2']", 10).await;
    let (text, _) = printed(&b, tmp.path(), "a4-again").await;
    assert!(text.contains("重印(第 1 次)"), "reprint not marked:\n{text}");
    b.click_on(".print-toolbar a", 5).await;
    b.wait_for(".order-detail [data-sync='synced']", 30).await;
    let server = login(&base, "hq_admin").await.order(big).await;
    assert_eq!(server.events.values().filter(|e| e.step == "print").count(), 2, "the presses reached the server");

    // Pin-feed paper 241 mm wide, in halves: one page for all four layers, named below.
    b.goto(&format!("{base}/orders/{small}/print?paper=form241_half")).await;
    b.wait_for(".sheets[data-paper='form241_half'] .all-copies", 30).await;
    b.click_on("#print-now:not([disabled])", 10).await;
    b.wait_for("#print-count[data-prints='1']", 10).await;
    let (text, sizes) = printed(&b, tmp.path(), "pinfeed").await;
    assert_eq!(sizes.len(), 1, "pin-feed prints once: {sizes:?}\n{text}");
    let (w, h) = sizes[0];
    assert!((mm(w) - 241.0).abs() < 1.0 && (mm(h) - 140.0).abs() < 1.0, "not 241 × 140 mm: {} x {}", mm(w), mm(h));
    for copy in ["备货联", "收银联", "客户联", "仓库存根联"] {
        assert!(text.contains(copy), "copy name {copy} missing from the footer:\n{text}");
    }
    assert!(text.contains("伍角整"), "0.50 in capitals:\n{text}");
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_not_yet_reviewed_cannot_be_printed() {
    let Rig { tmp, server: _server, base, driver } = Rig::start().await;
    let (_clerk, id) = crate::desk_browser::order_taken(&base).await;
    let b = driver.session(&tmp.path().join("clerk"), 1280, 900).await;
    log_in(&b, &base, "fs_clerk").await;
    b.goto(&format!("{base}/orders/{id}/print")).await;
    b.wait_for_text(".print-toolbar [role='status']", &["复核后才能打印"], 30).await;
    assert_eq!(b.attr(&b.wait_for("#print-now", 5).await, "disabled").await.as_deref(), Some("true"));

    // 复核并打印: the clerk who reviews prints in the same press.
    b.on_every_page("window.__prints = 0; window.print = () => { window.__prints += 1; };").await;
    b.goto(&format!("{base}/orders/{id}")).await;
    b.click_on("#review-and-print", 30).await;
    b.wait_for(".sheets[data-paper='a4'] .copy-picking", 10).await;
    b.wait_for("#print-count[data-prints='1']", 10).await;
    b.wait_until("the browser asked to print", "window.__prints === 1", 10).await;
    b.click_on(".print-toolbar a", 5).await;
    b.wait_for(".order-detail .page-head [data-status='reviewed']", 10).await;
    b.wait_for_text("section.order-detail > ol.history", &["复核", "打印"], 10).await;
    b.close().await;
}

/// Ships the order by the API as FS logistics: its 发货 step, then a direct shipment of
/// its one line bearing `full_name`; and logs a return of it at 德邦物流. The ids.
async fn shipped_and_returned(base: &str, order: RecordId, full_name: &str) -> (RecordId, RecordId) {
    use common::desk::shipping::{ShipmentDraft, Shipping};
    let mut d = login(base, "fs_logistics").await;
    let state = d.order(order).await;
    let view = common::desk::order::OrderView::from_record(&state);
    let today = common::desk::time::local_date(now_ms(), 480);
    let mut draft = ShipmentDraft::for_order(&view, &Shipping::default(), today, "0757-8223 1001");
    draft.station = "德邦物流".into();
    draft.waybills = vec![("DB-31".into(), "2".into())];
    draft.quantities = vec!["1".into()];
    draft.direct = true;
    draft.full_name = full_name.into();
    let fields = draft.validate(&view, today).unwrap();
    let shipment = RecordId::new_v7(now_ms(), random10());
    let mut ship = d.change(Kind::ORDER, order, &state.office, Some(&state), Default::default());
    ship.event = Some(fields.ship_action(shipment).to_write(Some(&state)));
    let record = d.change(Kind::SHIPMENT, shipment, &state.office, None, fields.to_values());
    let entry = RecordId::new_v7(now_ms(), random10());
    let values = serde_json::json!({
        "kind": "return", "station": "德邦物流", "station_phone": "0757-8223 1001", "packages": 1,
        "freight": 1500, "order": order, "order_number": view.number, "date": today.to_string(),
        "lines": [{"line": 0, "model": "AJ-8801", "name": "面盆龙头", "quantity": 1}]
    });
    let values = values.as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let log = d.change(Kind::STATION_LOG, entry, &state.office, None, values);
    let r = d.push(vec![ship, record, log]).await;
    assert!(r.results.iter().all(|x| x.outcome == common::engine::wire::Outcome::Applied), "{:?}", r.results);
    (shipment, entry)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_direct_shipments_letter_bears_the_full_name_and_the_station_note_prints_two_copies() {
    let Rig { tmp, server: _server, base, driver } = Rig::start().await;
    let order = reviewed_order(&base, 1, "128.00").await;
    let (shipment, entry) = shipped_and_returned(&base, order, "佛山市美居建材有限公司").await;
    let b = driver.session(&tmp.path().join("clerk"), 1280, 900).await;
    b.on_every_page("window.print = () => {};").await;
    log_in(&b, &base, "fs_clerk").await;

    // The customer's 全称 is kept on the customer, from the customers screen.
    b.click_on("nav.main-nav a[href='/customers']", 10).await;
    b.click_on("tr[data-customer='佛山市华美装饰工程公司'] .edit-customer", 30).await;
    let full = b.wait_for("#c-full_name", 5).await;
    b.type_into(&full, "佛山市华美装饰工程有限公司").await;
    b.click_on("#c-save", 5).await;
    b.wait_for_text("tr[data-customer='佛山市华美装饰工程公司']", &["佛山市华美装饰工程有限公司"], 10).await;
    b.wait_for(".sync-badge[data-sync='synced']", 30).await;

    // The goods-received confirmation letter of a direct shipment is addressed by full name.
    b.goto(&format!("{base}/shipments/{shipment}/print?doc=letter&paper=a4")).await;
    b.click_on("#print-now:not([disabled])", 30).await;
    b.wait_for("#print-count[data-prints='1']", 10).await;
    let (text, sizes) = printed(&b, tmp.path(), "letter").await;
    assert_eq!(sizes.len(), 1, "{text}");
    for needle in ["收货确认函", "佛山市美居建材有限公司", "DB-31 × 2", "AJ-8801", "签收人"] {
        assert!(text.contains(needle), "{needle} missing from the letter:\n{text}");
    }

    // The station's return note: two copies on A4, for the warehouse supervisor to sign.
    b.goto(&format!("{base}/station-log/{entry}/print?paper=a4")).await;
    b.click_on("#print-now:not([disabled])", 30).await;
    b.wait_for("#print-count[data-prints='1']", 10).await;
    let (text, sizes) = printed(&b, tmp.path(), "station-note").await;
    assert_eq!(sizes.len(), 2, "two copies: {sizes:?}\n{text}");
    let pages: Vec<&str> = text.split('\u{c}').collect();
    for (page, copy) in pages.iter().zip(["存根联", "仓库联"]) {
        for needle in [copy, "货站返货单", "德邦物流", "15.00", "仓库主管签字"] {
            assert!(page.contains(needle), "{needle} missing from the station note:\n{page}");
        }
    }
    b.close().await;
}
