//! Payments in headless Chromium: a prepay order held back from logistics until the
//! cashier records and confirms a payment, one payment set against two orders, and a
//! manager letting an unpaid one go with a reason.

use crate::browser::{log_in, retype, Rig};
use crate::helpers::*;
use crate::payments::prepay_order;
use common::desk::order::{Action, PaymentStamp};
use common::engine::ids::RecordId;
use common::engine::record::{Kind, RecordState};
use std::collections::BTreeMap;
use tests::webdriver::{Browser, CONTROL, ENTER};

async fn open_order(b: &Browser, base: &str, id: RecordId) {
    b.goto(&format!("{base}/orders/{id}")).await;
    b.wait_for(".order-detail .page-head [data-status]", 30).await;
}

/// On the 回款 screen: ¥500 from `customer` under `reference`, offered against the orders
/// numbered `n1` (¥384.00) and `n2` (the ¥116.00 left), oldest first; not yet saved.
async fn record_500_over_two(cashier: &Browser, customer: &str, reference: &str, n1: &str, n2: &str) {
    cashier.click_on("nav.main-nav a[href='/payments']", 10).await;
    cashier.click_on("#new-payment", 10).await;
    retype(cashier, "pay-customer_name", customer).await;
    retype(cashier, "pay-amount", "500").await;
    retype(cashier, "pay-reference", reference).await;
    let box_of = |n: &str| format!(".allocation-box[data-order='{n}'] input");
    cashier
        .wait_until(
            "the payment spread oldest first",
            &format!(
                "document.querySelector(\"{}\")?.value === '384.00' && document.querySelector(\"{}\")?.value === '116.00'",
                box_of(n1),
                box_of(n2)
            ),
            10,
        )
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prepay_order_waits_for_the_money_a_payment_covers_two_orders_and_a_manager_lets_one_go() {
    let Rig { tmp, server: _server, base, driver } = Rig::start().await;
    let (first, n1) = prepay_order(&base, 1).await;
    let (second, n2) = prepay_order(&base, 2).await;

    // Logistics is told why it cannot hand the order over, and is not offered to.
    let logistics = driver.session(&tmp.path().join("logistics"), 1280, 900).await;
    log_in(&logistics, &base, "fs_logistics").await;
    open_order(&logistics, &base, first).await;
    logistics.wait_for_text(".prepay-blocked", &["款到发货", "¥0.00", "¥384.00"], 10).await;
    assert!(logistics.find("#step-hand_over").await.is_none() && logistics.find("#new-shipment").await.is_none());

    // The cashier records ¥500, set against both orders oldest first, and confirms it.
    let cashier = driver.session(&tmp.path().join("cashier"), 1280, 900).await;
    log_in(&cashier, &base, "fs_cashier").await;
    record_500_over_two(&cashier, "美居建材", "BOC-1129-01", &n1, &n2).await;
    cashier.click_on("#pay-save", 5).await;
    cashier
        .wait_for_text("tr[data-payment='BOC-1129-01']", &["¥500.00", &n1, "¥384.00", &n2, "¥116.00", "确认收款"], 10)
        .await;
    cashier.click_on("tr[data-payment='BOC-1129-01'] .confirm-payment", 10).await;
    cashier.wait_for("tr[data-payment='BOC-1129-01'][data-confirmed='true']", 10).await;
    cashier.wait_for(".sync-badge[data-sync='synced']", 30).await;

    // The first is covered: it goes to logistics. The second (¥116 of ¥384) waits.
    open_order(&logistics, &base, first).await;
    retype(&logistics, "received-by", "王五").await;
    logistics.click_on("#step-hand_over", 30).await;
    logistics.wait_for(".order-detail .page-head [data-status='handed_over']", 10).await;
    open_order(&logistics, &base, second).await;
    logistics.wait_for_text(".prepay-blocked", &["¥116.00", "¥384.00"], 10).await;

    // A manager lets the second go: a reason is required and the history keeps it.
    let manager = driver.session(&tmp.path().join("manager"), 1280, 900).await;
    log_in(&manager, &base, "fs_manager").await;
    open_order(&manager, &base, second).await;
    manager.click_on("#let-go", 10).await;
    manager.wait_for("#let-go-reason[aria-invalid='true']", 5).await;
    retype(&manager, "let-go-reason", "老客户,月底结清").await;
    manager.click_on("#let-go", 5).await;
    manager.wait_for_text("section.order-detail > ol.history", &["经理放行", "老客户,月底结清"], 10).await;
    assert!(manager.find(".prepay-blocked").await.is_none());
    manager.wait_for(".sync-badge[data-sync='synced']", 30).await;
    open_order(&logistics, &base, second).await;
    logistics.wait_for("#step-hand_over", 30).await;

    // Terms and credit are the manager's to set, on the customer's page.
    manager.click_on("nav.main-nav a[href='/customers']", 10).await;
    manager.click_on("tr[data-customer='佛山市美居建材商行'] td a", 30).await;
    manager.wait_for("h1[data-customer='佛山市美居建材商行']", 10).await;
    manager.click_on("#edit-customer", 10).await;
    retype(&manager, "c-credit_limit", "50000").await;
    retype(&manager, "c-contacts", "陈会计 0757-8888 1234").await;
    manager.script("const s = document.querySelector('#c-payment'); s.value = 'monthly'; s.dispatchEvent(new Event('change', {bubbles: true}));").await;
    manager.click_on("#c-save", 5).await;
    manager.wait_for("dd[data-credit='5000000']", 10).await;
    manager.wait_for("dd[data-terms='monthly']", 10).await;
    // The customer's history says who set what, old → new.
    manager.wait_for_text("ol.customer-history", &["结款方式", "款到发货 → 月结", "黄芳"], 10).await;
    manager.wait_for("[data-receivable]", 5).await;
    // A clerk keeps the rest of the customer, not the terms.
    let clerk = driver.session(&tmp.path().join("clerk"), 390, 844).await;
    log_in(&clerk, &base, "fs_clerk").await;
    clerk.click_on("nav.main-nav a[href='/customers']", 10).await;
    clerk.click_on("tr[data-customer='佛山市美居建材商行'] td a", 30).await;
    clerk.click_on("#edit-customer", 10).await;
    clerk.wait_for("#c-full_name", 5).await;
    assert!(clerk.find("#c-credit_limit").await.is_none() && clerk.find("#c-payment").await.is_none());

    // Over the limit at entry: 500 × ¥128 = ¥64,000 against ¥50,000 of credit. The form
    // says so, with how old the balance it knows is, before it saves.
    clerk.click_on("nav a[href='/orders/new']", 10).await;
    clerk.click_on("#f-customer_name", 10).await;
    clerk.keys("美居建材商行").await;
    clerk.wait_for(".suggestions li", 5).await;
    clerk.keys(ENTER).await;
    clerk.wait_until("the customer's terms", "document.querySelector('#f-payment').value === 'monthly'", 10).await;
    // The customer's other contact is one press away.
    clerk.click_on(".alt-phone[data-phone='0757-8888 1234']", 10).await;
    clerk
        .wait_until("the other phone in its box", "document.querySelector('#f-phone').value === '0757-8888 1234'", 5)
        .await;
    clerk.click_on("#f-lines-0-model", 5).await;
    clerk.keys("AJ-8801").await;
    clerk.wait_for(".suggestions li", 5).await;
    clerk.keys(ENTER).await;
    clerk.keys("500").await;
    clerk.keys(&format!("{CONTROL}{ENTER}{CONTROL}")).await;
    clerk.wait_for_text(".notice.confirm", &["超出信用额度", "¥50,000.00"], 10).await;
    clerk.wait_for_text("#balance-age", &["余额截至"], 5).await;
    clerk.click_on("#confirm-save", 5).await;
    clerk.wait_for(".order-detail [data-number]", 10).await;
    let path = clerk.script("return window.location.pathname").await;
    let over = RecordId::parse(path.as_str().unwrap_or_default().trim_start_matches("/orders/")).unwrap();
    clerk.click_on("#step-review", 10).await;
    clerk.wait_for(".order-detail .page-head [data-status='reviewed']", 10).await;
    clerk.wait_for(".sync-badge[data-sync='synced']", 30).await;
    // A customer first typed at entry has no credit: a pay-on-arrival order for them is
    // asked about at the save too, not only found out at the cashier.
    clerk.click_on("nav a[href='/orders/new']", 10).await;
    clerk.click_on("#f-customer_name", 10).await;
    clerk.keys("顺德新开五金店").await;
    clerk.wait_for_text("label[for='f-customer_name']", &["新客户"], 5).await;
    clerk
        .script(
            "const s = document.querySelector('#f-payment'); s.value = 'on_arrival'; \
             s.dispatchEvent(new Event('change', {bubbles: true}));",
        )
        .await;
    clerk.click_on("#f-lines-0-model", 5).await;
    clerk.keys("AJ-8801").await;
    clerk.wait_for(".suggestions li", 5).await;
    clerk.keys(ENTER).await;
    clerk.keys("2").await;
    clerk.keys(&format!("{CONTROL}{ENTER}{CONTROL}")).await;
    clerk.wait_for_text(".notice.confirm", &["超出信用额度", "额度 ¥0.00"], 10).await;
    assert!(clerk.find(".order-detail [data-number]").await.is_none(), "saved before it was confirmed");
    clerk.click_on("#confirm-save", 5).await;
    clerk.wait_for(".order-detail [data-number]", 10).await;
    clerk.close().await;

    // At the cashier: not offered the stamp, told why.
    open_order(&cashier, &base, over).await;
    cashier.wait_for_text(".credit-blocked", &["超出信用额度", "¥50,000.00"], 30).await;
    assert!(cashier.find("#step-audit").await.is_none(), "the cashier was offered to stamp it");
    // The manager lets it go, with a reason kept in the history; then the cashier stamps.
    open_order(&manager, &base, over).await;
    retype(&manager, "credit-reason", "老客户,下月初回款").await;
    manager.click_on("#credit-let-go", 10).await;
    manager.wait_for_text("section.order-detail > ol.history", &["超信用额度", "老客户,下月初回款"], 10).await;
    manager.wait_for(".sync-badge[data-sync='synced']", 30).await;
    open_order(&cashier, &base, over).await;
    cashier.click_on("#step-audit", 30).await;
    cashier.wait_for(".order-detail .page-head [data-status='audited']", 10).await;
    for b in [logistics, cashier, manager] {
        b.close().await;
    }
}

/// An order of 3 × ¥128.00 for the stored `customer`, on `terms`, taken by `clerk`.
async fn credit_order(clerk: &mut Device, customer: &RecordState, seq: u32, terms: &str) -> (RecordId, String) {
    let number = clerk.number(seq);
    let mut values = order_values(&number, customer.get_str("name"), 3);
    values.insert("customer".into(), serde_json::json!(customer.id));
    values.insert("payment".into(), serde_json::json!(terms));
    let id = RecordId::new_v7(now_ms(), random10());
    let office = clerk.office();
    let c = clerk.change(Kind::ORDER, id, &office, None, values);
    clerk.push(vec![c]).await;
    (id, number)
}

/// Reviews, stamps and ships the whole order today under `waybill` as the manager; the
/// shipment's id.
async fn approve_and_ship(manager: &mut Device, id: RecordId, waybill: &str) -> RecordId {
    use common::desk::shipping::{ShipmentDraft, Shipping};
    for a in [Action::Review, Action::Audit { stamp: PaymentStamp::Collect }] {
        let seen = manager.order(id).await;
        let mut c = manager.change(Kind::ORDER, id, &seen.office, Some(&seen), BTreeMap::new());
        c.event = Some(a.to_write(Some(&seen)));
        manager.push(vec![c]).await;
    }
    let today = common::desk::time::local_date(now_ms(), 480);
    let seen = manager.order(id).await;
    let view = common::desk::order::OrderView::from_record(&seen);
    let mut draft = ShipmentDraft::for_order(&view, &Shipping::default(), today, "");
    draft.station = "德邦物流".into();
    draft.waybills = vec![(waybill.into(), "1".into())];
    draft.quantities = vec!["3".into()];
    let fields = draft.validate(&view, today).unwrap();
    let sid = RecordId::new_v7(now_ms(), random10());
    let mut ship = manager.change(Kind::ORDER, id, &seen.office, Some(&seen), BTreeMap::new());
    ship.event = Some(fields.ship_action(sid).to_write(Some(&seen)));
    let record = manager.change(Kind::SHIPMENT, sid, &seen.office, None, fields.to_values());
    let r = manager.push(vec![ship, record]).await;
    assert!(r.results.iter().all(|x| x.outcome == common::engine::wire::Outcome::Applied), "{:?}", r.results);
    sid
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_salesperson_sees_on_the_phone_which_arrived_pay_on_arrival_orders_to_chase() {
    use common::desk::shipping::{ShipAction, SHIPMENT_WORKFLOW};
    let Rig { tmp, server: _server, base, driver } = Rig::start().await;
    // The manager makes the salesperson the owner of a customer.
    let mut manager = login(&base, "fs_manager").await;
    let customer = manager.pull_all().await.into_iter().find(|r| r.kind == Kind::CUSTOMER).unwrap();
    let owner = BTreeMap::from([("salesperson".to_string(), serde_json::json!("fs_salesperson"))]);
    let c = manager.change(Kind::CUSTOMER, customer.id, &customer.office, Some(&customer), owner);
    manager.push(vec![c]).await;

    // A pay-on-arrival order of theirs, shipped and signed for yesterday, unpaid.
    let mut clerk = login(&base, "fs_clerk").await;
    let (id, number) = credit_order(&mut clerk, &customer, 1, "on_arrival").await;
    let sid = approve_and_ship(&mut manager, id, "DB-5").await;
    let today = common::desk::time::local_date(now_ms(), 480);
    let held = manager.pull_all().await.into_iter().find(|r| r.id == sid).unwrap();
    let mut receipt = manager.change(Kind::SHIPMENT, sid, &held.office, Some(&held), BTreeMap::new());
    let yesterday = today.plus_days(-1).to_string();
    receipt.event = Some(
        ShipAction::Receipt { date: yesterday.clone(), signer: "陈老板".into(), letter: false }
            .to_write(&SHIPMENT_WORKFLOW, Some(&held)),
    );
    let r = manager.push(vec![receipt]).await;
    assert!(r.results.iter().all(|x| x.outcome == common::engine::wire::Outcome::Applied), "{:?}", r.results);

    // On the salesperson's phone: the order to chase, with what is open and since when.
    let phone = driver.session(&tmp.path().join("sales"), 360, 740).await;
    log_in(&phone, &base, "fs_salesperson").await;
    phone.click_on("nav.main-nav a[href='/collections']", 10).await;
    phone
        .wait_for_text(&format!("tr[data-number='{number}']"), &[&yesterday, "¥384.00", customer.get_str("name")], 30)
        .await;
    phone.close().await;

    // The month's statement, from the customer's page: the delivery, and what is owed.
    let desk = driver.session(&tmp.path().join("desk"), 1280, 900).await;
    log_in(&desk, &base, "fs_manager").await;
    desk.goto(&format!("{base}/customers/{}", customer.id)).await;
    desk.wait_for("[data-receivable='38400']", 30).await;
    desk.click_on("#statement-this-month", 10).await;
    desk.wait_for("[data-closing]", 10).await;
    let number_of = |v: Option<String>| v.unwrap_or_default().parse::<i64>().unwrap();
    let opening = number_of(desk.attr(&desk.wait_for("[data-opening]", 5).await, "data-opening").await);
    let closing = number_of(desk.attr(&desk.wait_for("[data-closing]", 5).await, "data-closing").await);
    let debits = number_of(desk.attr(&desk.wait_for("[data-debits]", 5).await, "data-debits").await);
    let credits = number_of(desk.attr(&desk.wait_for("[data-credits]", 5).await, "data-credits").await);
    assert_eq!(opening + debits - credits, closing, "the statement reconciles");
    assert_eq!(closing, 38_400, "owed: the one delivery");
    desk.wait_for_text("table.statement", &["发货", &number, "DB-5", "¥384.00"], 5).await;
    desk.close().await;
}

/// Money on the screen (`¥1,234.50`, or empty) in fen.
fn fen_of(text: &str) -> i64 {
    if text.trim().is_empty() {
        0
    } else {
        common::desk::money::Fen::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}")).0
    }
}

/// Money in a workbook's cell (yuan, a number) in fen; an empty cell is 0.
fn fen_in(cell: &calamine::Data) -> i64 {
    match cell {
        calamine::Data::Float(f) => (f * 100.0).round() as i64,
        calamine::Data::Int(n) => n * 100,
        calamine::Data::Empty => 0,
        other => panic!("not money: {other:?}"),
    }
}

fn date_in(cell: &calamine::Data) -> String {
    match cell {
        calamine::Data::DateTime(d) => {
            let base = common::desk::time::Date::new(1899, 12, 30).unwrap();
            base.plus_days(d.as_f64().floor() as i64).to_string()
        }
        other => panic!("not a date: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_set_against_two_shipped_orders_is_on_the_months_statement_and_its_xlsx_matches_the_screen() {
    use calamine::{Data, Reader};
    let Rig { tmp, server: _server, base, driver } = Rig::start().await;
    let mut manager = login(&base, "fs_manager").await;
    let customer = manager.pull_all().await.into_iter().find(|r| r.kind == Kind::CUSTOMER).unwrap();
    let name = customer.get_str("name").to_string();
    let mut clerk = login(&base, "fs_clerk").await;
    let (first, n1) = credit_order(&mut clerk, &customer, 1, "monthly").await;
    let (second, n2) = credit_order(&mut clerk, &customer, 2, "monthly").await;
    approve_and_ship(&mut manager, first, "DB-11").await;
    approve_and_ship(&mut manager, second, "DB-12").await;

    // The cashier records ¥500 set against both, oldest first, and confirms it.
    let cashier = driver.session(&tmp.path().join("cashier"), 1280, 900).await;
    log_in(&cashier, &base, "fs_cashier").await;
    record_500_over_two(&cashier, &name, "ICBC-1129-07", &n1, &n2).await;
    cashier.click_on("#pay-save", 5).await;
    cashier.click_on("tr[data-payment='ICBC-1129-07'] .confirm-payment", 10).await;
    cashier.wait_for("tr[data-payment='ICBC-1129-07'][data-confirmed='true']", 10).await;
    cashier.wait_for(".sync-badge[data-sync='synced']", 30).await;
    cashier.close().await;

    // The month's statement: the two deliveries and the payment; ¥268.00 still owed.
    let desk = driver.session(&tmp.path().join("desk"), 1280, 900).await;
    log_in(&desk, &base, "fs_manager").await;
    desk.goto(&format!("{base}/customers/{}", customer.id)).await;
    desk.wait_for("[data-receivable='26800']", 30).await;
    desk.click_on("#statement-this-month", 10).await;
    desk.wait_for_text("table.statement", &[&n1, &n2, "DB-11", "DB-12", "ICBC-1129-07", "¥500.00"], 10).await;
    let closing = desk.attr(&desk.wait_for("[data-closing]", 5).await, "data-closing").await;
    assert_eq!(closing.as_deref(), Some("26800"));
    let screen = desk
        .script(
            "return Array.from(document.querySelectorAll('table.statement tbody tr:not(.totals)'))
               .map((tr) => Array.from(tr.cells).map((td) => td.textContent.trim()))",
        )
        .await;
    let screen: Vec<Vec<String>> = serde_json::from_value(screen).unwrap();
    assert_eq!(screen.len(), 3, "two deliveries and a payment: {screen:?}");

    // Exported, the workbook says the same, with numbers as numbers and dates as dates.
    let downloads = tmp.path().join("downloads");
    desk.allow_downloads(&downloads).await;
    desk.goto(&format!("{base}/customers/{}", customer.id)).await;
    desk.click_on("#export-statement", 30).await;
    let file = desk.wait_for_download(&downloads, ".xlsx", 30).await;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&file).unwrap();
    let sheet: Vec<Vec<Data>> = wb.worksheet_range_at(0).unwrap().unwrap().rows().map(<[Data]>::to_vec).collect();
    let fact = |label: &str| {
        sheet.iter().find(|r| r[0] == Data::String(label.into())).unwrap_or_else(|| panic!("no {label}: {sheet:?}"))[1]
            .clone()
    };
    assert_eq!(fen_in(&fact("期初余额")), 0);
    assert_eq!(fen_in(&fact("期末余额")), 26_800);
    let head = sheet.iter().position(|r| r[0] == Data::String("日期".into())).expect("the header row");
    let rows: Vec<&Vec<Data>> = sheet[head + 1..].iter().filter(|r| matches!(r[0], Data::DateTime(_))).collect();
    assert_eq!(rows.len(), screen.len(), "{sheet:?}");
    for (cells, shown) in rows.iter().zip(&screen) {
        assert_eq!(date_in(&cells[0]), shown[0], "date");
        assert_eq!(cells[1], Data::String(shown[1].clone()), "item");
        assert_eq!(cells[2], Data::String(shown[2].clone()), "document");
        assert_eq!(fen_in(&cells[3]), fen_of(&shown[3]), "debit of {shown:?}");
        assert_eq!(fen_in(&cells[4]), fen_of(&shown[4]), "credit of {shown:?}");
        assert_eq!(fen_in(&cells[5]), fen_of(&shown[5]), "balance of {shown:?}");
    }
    assert_eq!(fen_in(&rows[2][4]), 50_000, "the payment, a number of yuan");

    // The statement goes out: recorded with the balance it showed; the customer disputes
    // it (a reason is required), and a later shipment in the period shows against it.
    desk.script("const s = document.querySelector('#recon-period'); s.value = '0'; s.dispatchEvent(new Event('change', {bubbles: true}));").await;
    desk.click_on("#recon-send", 10).await;
    desk.wait_for_text("tr[data-state='sent']", &["¥268.00", "已发出"], 10).await;
    desk.click_on("tr[data-state='sent'] .recon-dispute", 5).await;
    desk.wait_for_text(".reconciliations .field-error", &["原因"], 5).await;
    let reason = desk.wait_for("tr[data-state='sent'] .recon-reason", 5).await;
    desk.type_into(&reason, "DB-12 少一箱").await;
    desk.click_on("tr[data-state='sent'] .recon-dispute", 5).await;
    desk.wait_for_text("tr[data-state='disputed']", &["有异议", "DB-12 少一箱"], 10).await;
    let (third, _) = credit_order(&mut clerk, &customer, 3, "monthly").await;
    approve_and_ship(&mut manager, third, "DB-13").await;
    desk.wait_for_text("tr[data-state='disputed'] .recon-moved", &["账目有变动", "¥652.00"], 60).await;

    // The day's money: the ¥500 transfer came in; opening ¥1,000, ¥50 paid out.
    desk.click_on("nav.main-nav a[href='/reports']", 10).await;
    retype(&desk, "cash-opening", "1000").await;
    retype(&desk, "cash-paid_out", "-5").await;
    desk.click_on("#cash-save", 5).await;
    desk.wait_for("#cash-paid_out[aria-invalid='true']", 5).await;
    retype(&desk, "cash-paid_out", "50").await;
    desk.click_on("#cash-save", 5).await;
    let today = common::desk::time::local_date(now_ms(), 480).to_string();
    desk.wait_for(&format!("table.cash tr[data-date='{today}'][data-closing='145000']"), 10).await;
    desk.wait_for(".sync-badge[data-sync='synced']", 30).await;
    desk.close().await;
    let (status, cells) = crate::excel::export(&manager, &format!("cash.xlsx?from={today}&to={today}")).await;
    assert_eq!(status, 200);
    let row = cells.iter().find(|r| matches!(r[0], Data::DateTime(_))).expect("today's row");
    let fen: Vec<i64> = row[2..8].iter().map(fen_in).collect();
    assert_eq!(fen, vec![100_000, 50_000, 0, 0, 5_000, 145_000], "opening, transfer, cash, bill, paid out, closing");
}
