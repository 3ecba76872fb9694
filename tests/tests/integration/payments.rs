//! Payments received over HTTP against the real server: a prepay (款到发货) order goes to
//! logistics only once confirmed payments cover it, or a manager lets it go.

use crate::helpers::*;
use common::desk::money::Fen;
use common::desk::order::{Action, MoneyRule, PaymentStamp};
use common::desk::payments::{PaymentDraft, PAYMENT_WORKFLOW};
use common::desk::time::local_date;
use common::engine::ids::RecordId;
use common::engine::record::{Change, Kind};
use common::engine::wire::Outcome;
use std::collections::BTreeMap;

/// An FS order of 3 × ¥128.00 = ¥384.00 for 美居建材, on prepay, reviewed and stamped.
pub(crate) async fn prepay_order(base: &str, seq: u32) -> (RecordId, String) {
    let mut clerk = login(base, "fs_clerk").await;
    let number = clerk.number(seq);
    let mut values = order_values(&number, "美居建材", 3);
    values.insert("payment".into(), serde_json::json!("prepay"));
    let id = RecordId::new_v7(now_ms(), random10());
    let office = clerk.office();
    let c = clerk.change(Kind::ORDER, id, &office, None, values);
    clerk.push(vec![c]).await;
    assert_eq!(step_as(base, "fs_reviewer", id, Action::Review).await, None);
    assert_eq!(step_as(base, "fs_cashier", id, Action::Audit { stamp: PaymentStamp::Paid }).await, None);
    (id, number)
}

/// A payment of `amount` (yuan) set against `orders` (id, number, yuan), as `who` records it.
fn payment(d: &mut Device, amount: &str, orders: &[(RecordId, &str, &str)]) -> Change {
    let draft = PaymentDraft {
        customer_name: "美居建材".into(),
        amount: amount.into(),
        date: local_date(now_ms(), 480).to_string(),
        method: "transfer".into(),
        reference: "BOC-2026-001".into(),
        allocations: orders.iter().map(|(o, n, a)| (*o, n.to_string(), a.to_string(), Fen(100_000_000))).collect(),
        ..PaymentDraft::default()
    };
    let values = draft.validate(local_date(now_ms(), 480)).unwrap();
    let office = d.office();
    d.change(Kind::PAYMENT, RecordId::new_v7(now_ms(), random10()), &office, None, values)
}

async fn applied(d: &Device, c: Change) -> Result<(), String> {
    let r = d.push(vec![c]).await.results.remove(0);
    match r.outcome {
        Outcome::Applied => Ok(()),
        Outcome::Refused => Err(r.code.unwrap_or_default()),
    }
}

#[tokio::test]
async fn a_prepay_order_goes_to_logistics_only_once_a_confirmed_payment_covers_it() {
    let app = spawn_app().await;
    let base = app.url("");
    let (order, _) = prepay_order(&base, 1).await;
    let (other, _) = prepay_order(&base, 2).await;
    assert_eq!(step_as(&base, "fs_logistics", order, Action::hand_over("王五")).await.as_deref(), Some("unpaid"));
    let ship = Action::Ship { waybill: "DB-1".into(), packages: 1, shipment: None };
    assert_eq!(step_as(&base, "fs_logistics", order, ship.clone()).await.as_deref(), Some("unpaid"));

    // ¥500 received, set against both orders: ¥384 and ¥116. Not yet confirmed: still blocked.
    let mut clerk = login(&base, "fs_clerk").await;
    let (n1, n2) = (clerk.number(1), clerk.number(2));
    let p = payment(&mut clerk, "500", &[(order, &n1, "384"), (other, &n2, "116")]);
    let pid = p.record;
    assert_eq!(applied(&clerk, p).await, Ok(()));
    assert_eq!(step_as(&base, "fs_logistics", order, Action::hand_over("王五")).await.as_deref(), Some("unpaid"));

    // Set against more than the payment: refused, nothing stored.
    let too_much = payment(&mut clerk, "100", &[(order, &n1, "100")]);
    let mut too_much = too_much;
    too_much.set.get_mut("allocations").unwrap().value =
        serde_json::json!([{"order": order, "order_number": n1, "amount": 20_000}]);
    assert_eq!(applied(&clerk, too_much).await, Err("invalid".into()));

    // The cashier confirms: the first order is covered and goes; the second is not.
    let mut cashier = login(&base, "fs_cashier").await;
    let held = cashier.pull_all().await.into_iter().find(|r| r.id == pid).unwrap();
    let mut confirm = cashier.change(Kind::PAYMENT, pid, &held.office, Some(&held), BTreeMap::new());
    confirm.event = Some(PAYMENT_WORKFLOW.step_write(Some(&held), "confirm", BTreeMap::new()));
    assert_eq!(applied(&cashier, confirm).await, Ok(()));
    assert_eq!(step_as(&base, "fs_logistics", order, Action::hand_over("王五")).await, None);
    assert_eq!(step_as(&base, "fs_logistics", order, ship.clone()).await, None);
    assert_eq!(step_as(&base, "fs_logistics", other, Action::hand_over("王五")).await.as_deref(), Some("unpaid"));

    // A manager lets the second go, with a reason: recorded, and it goes.
    let no_reason = Action::Override { rule: MoneyRule::Prepay, reason: " ".into() };
    assert_eq!(step_as(&base, "fs_manager", other, no_reason).await.as_deref(), Some("invalid"));
    let by_clerk = Action::Override { rule: MoneyRule::Prepay, reason: "老客户".into() };
    assert_eq!(step_as(&base, "fs_clerk", other, by_clerk).await.as_deref(), Some("forbidden"));
    let let_go = Action::Override { rule: MoneyRule::Prepay, reason: "老客户,月底结清".into() };
    assert_eq!(step_as(&base, "fs_manager", other, let_go).await, None);
    assert_eq!(step_as(&base, "fs_logistics", other, Action::hand_over("王五")).await, None);
}

#[tokio::test]
async fn a_customers_terms_and_credit_are_a_managers_to_set_and_a_new_customer_starts_on_prepay() {
    let app = spawn_app().await;
    let base = app.url("");
    let mut clerk = login(&base, "fs_clerk").await;
    let known = clerk.pull_all().await.into_iter().find(|r| r.kind == Kind::CUSTOMER).unwrap();
    let set = |f: &str, v: serde_json::Value| BTreeMap::from([(f.to_string(), v)]);
    for (field, value) in [
        ("credit_limit", serde_json::json!(5_000_000)),
        ("payment", serde_json::json!("monthly")),
        ("class", serde_json::json!("A")),
        ("salesperson", serde_json::json!("fs_salesperson")),
    ] {
        let c = clerk.change(Kind::CUSTOMER, known.id, &known.office, Some(&known), set(field, value));
        assert_eq!(applied(&clerk, c).await, Err("forbidden".into()), "a clerk set {field}");
    }
    // The desk still keeps the rest: a phone number.
    let c = clerk.change(
        Kind::CUSTOMER,
        known.id,
        &known.office,
        Some(&known),
        set("phone", serde_json::json!("0757-8888 0000")),
    );
    assert_eq!(applied(&clerk, c).await, Ok(()));
    let mut manager = login(&base, "fs_manager").await;
    let known = manager.pull_all().await.into_iter().find(|r| r.id == known.id).unwrap();
    let mut terms = set("credit_limit", serde_json::json!(5_000_000));
    terms.insert("payment".into(), serde_json::json!("monthly"));
    let c = manager.change(Kind::CUSTOMER, known.id, &known.office, Some(&known), terms);
    assert_eq!(applied(&manager, c).await, Ok(()));

    // A customer first typed by the desk: prepay and no credit, nothing else.
    let office = clerk.office();
    let new_one = |payment: &str, credit: i64| {
        let mut v = set("name", serde_json::json!("华北建新"));
        v.insert("payment".into(), serde_json::json!(payment));
        v.insert("credit_limit".into(), serde_json::json!(credit));
        v
    };
    let c = clerk.change(Kind::CUSTOMER, RecordId::new_v7(now_ms(), random10()), &office, None, new_one("monthly", 0));
    assert_eq!(applied(&clerk, c).await, Err("forbidden".into()));
    let c = clerk.change(Kind::CUSTOMER, RecordId::new_v7(now_ms(), random10()), &office, None, new_one("prepay", 100));
    assert_eq!(applied(&clerk, c).await, Err("forbidden".into()));
    let c = clerk.change(Kind::CUSTOMER, RecordId::new_v7(now_ms(), random10()), &office, None, new_one("prepay", 0));
    assert_eq!(applied(&clerk, c).await, Ok(()));
}

#[tokio::test]
async fn a_credit_order_over_the_customers_limit_waits_at_the_cashier_for_a_manager() {
    let app = spawn_app().await;
    let base = app.url("");
    // The manager gives a customer ¥500 of credit, monthly.
    let mut manager = login(&base, "fs_manager").await;
    let customer = manager.pull_all().await.into_iter().find(|r| r.kind == Kind::CUSTOMER).unwrap();
    let mut terms = BTreeMap::from([("credit_limit".to_string(), serde_json::json!(50_000))]);
    terms.insert("payment".into(), serde_json::json!("monthly"));
    let c = manager.change(Kind::CUSTOMER, customer.id, &customer.office, Some(&customer), terms);
    assert_eq!(applied(&manager, c).await, Ok(()));

    // Two monthly orders of ¥384 for them: the first fits, the second goes over.
    let mut clerk = login(&base, "fs_clerk").await;
    let mut ids = Vec::new();
    for seq in 1..=2 {
        let mut values = order_values(&clerk.number(seq), customer.get_str("name"), 3);
        values.insert("customer".into(), serde_json::json!(customer.id));
        let id = RecordId::new_v7(now_ms(), random10());
        let office = clerk.office();
        let c = clerk.change(Kind::ORDER, id, &office, None, values);
        assert_eq!(applied(&clerk, c).await, Ok(()));
        assert_eq!(step_as(&base, "fs_reviewer", id, Action::Review).await, None);
        ids.push(id);
    }
    let paid = || Action::Audit { stamp: PaymentStamp::Receivable };
    assert_eq!(step_as(&base, "fs_cashier", ids[0], paid()).await, None);
    assert_eq!(step_as(&base, "fs_cashier", ids[1], paid()).await.as_deref(), Some("over_credit"));
    // A manager lets it go, with a reason; then the cashier stamps it.
    let let_go = Action::Override { rule: MoneyRule::Credit, reason: "月底回款".into() };
    assert_eq!(step_as(&base, "fs_manager", ids[1], let_go).await, None);
    assert_eq!(step_as(&base, "fs_cashier", ids[1], paid()).await, None);
}
