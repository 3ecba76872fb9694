//! Approvals that hold, with the UI bypassed: the server refuses or visibly sends back
//! every change of what a 复核, 收银审核, 交物流 or 发货 approved, whatever order it arrives in.

use crate::helpers::*;
use common::desk::order::{Action, OrderView, PaymentStamp, Status};
use common::engine::record::{Change, Kind, RecordState};
use common::engine::wire::Outcome;
use serde_json::{json, Value};
use std::collections::BTreeMap;

fn lines(quantity: i64, price_fen: i64) -> Value {
    json!([{"model": "AJ-8801", "name": "面盆龙头", "quantity": quantity, "unit": "个", "unit_price": price_fen}])
}

impl Device {
    /// A step on `seen` (the order as this device shows it).
    fn step(&mut self, seen: &RecordState, action: Action) -> Change {
        let mut c = self.change(Kind::ORDER, seen.id, &seen.office, Some(seen), BTreeMap::new());
        c.event = Some(action.to_write(Some(seen)));
        c
    }

    fn edit(&mut self, seen: &RecordState, field: &str, value: Value) -> Change {
        self.change(Kind::ORDER, seen.id, &seen.office, Some(seen), [(field.to_string(), value)].into())
    }

    async fn try_step(&mut self, seen: &RecordState, action: Action) -> Option<String> {
        let c = self.step(seen, action);
        self.send(c).await
    }

    async fn try_edit(&mut self, seen: &RecordState, field: &str, value: Value) -> Option<String> {
        let c = self.edit(seen, field, value);
        self.send(c).await
    }

    /// Pushes one change; the code it was refused with, if it was.
    async fn send(&self, c: Change) -> Option<String> {
        let r = self.push(vec![c]).await.results.remove(0);
        match r.outcome {
            Outcome::Applied => None,
            Outcome::Refused => Some(r.code.unwrap_or_default()),
        }
    }
}

/// A branch clerk's new order, and the head-office admin who sees it.
async fn taken(base: &str) -> (Device, RecordState) {
    let mut clerk = login(base, "fs_clerk").await;
    let order = clerk.new_order(1);
    let id = order.record;
    assert_eq!(clerk.send(order).await, None);
    let state = clerk.order(id).await;
    (clerk, state)
}

#[tokio::test]
async fn a_salesperson_cannot_change_a_reviewed_order_and_a_clerks_change_sends_it_back_for_review() {
    let app = spawn_app().await;
    let base = app.url("");
    let (mut clerk, order) = taken(&base).await;
    let mut reviewer = login(&base, "fs_reviewer").await;
    assert_eq!(reviewer.try_step(&order, Action::Review).await, None);
    let reviewed = reviewer.order(order.id).await;
    assert_eq!(OrderView::from_record(&reviewed).status, Status::Reviewed);

    let mut sales = login(&base, "fs_salesperson").await;
    assert_eq!(sales.try_edit(&reviewed, "lines", lines(30, 500)).await.as_deref(), Some("locked"));
    assert_eq!(sales.try_edit(&reviewed, "notes", json!("客户要加急")).await.as_deref(), Some("locked"));
    assert_eq!(OrderView::from_record(&sales.order(order.id).await).status, Status::Reviewed, "nothing moved");

    assert_eq!(clerk.try_edit(&reviewed, "lines", lines(30, 500)).await, None);
    let view = OrderView::from_record(&clerk.order(order.id).await);
    assert_eq!(view.status, Status::Entered);
    let back = &view.progress.sent_back[0];
    assert_eq!((back.step, back.diffs[0].field.as_str()), ("review", "lines"));
    assert_eq!(
        (back.diffs[0].approved[0]["quantity"].clone(), back.diffs[0].now[0]["quantity"].clone()),
        (json!(3), json!(30))
    );
}

#[tokio::test]
async fn an_offline_change_that_arrives_after_the_cashiers_stamp_is_refused_and_the_stamp_holds() {
    let app = spawn_app().await;
    let base = app.url("");
    let (_clerk, order) = taken(&base).await;
    // The salesperson's phone saw the order as taken and changes it offline.
    let mut phone = login(&base, "fs_salesperson").await;
    let offline = phone.edit(&order, "lines", lines(60, 12800));
    let mut reviewer = login(&base, "fs_reviewer").await;
    assert_eq!(reviewer.try_step(&order, Action::Review).await, None);
    let mut cashier = login(&base, "fs_cashier").await;
    let reviewed = cashier.order(order.id).await;
    assert_eq!(cashier.try_step(&reviewed, Action::Audit { stamp: PaymentStamp::Paid }).await, None);

    assert_eq!(phone.send(offline).await.as_deref(), Some("locked"));
    let view = OrderView::from_record(&phone.order(order.id).await);
    assert_eq!((view.status, view.stamp, view.total.0), (Status::Audited, Some(PaymentStamp::Paid), 38_400));
}

#[tokio::test]
async fn an_offline_change_that_arrives_first_makes_the_review_made_on_the_old_order_refused() {
    let app = spawn_app().await;
    let base = app.url("");
    let (_clerk, order) = taken(&base).await;
    let mut reviewer = login(&base, "fs_reviewer").await;
    let review_of_old = reviewer.step(&order, Action::Review);
    let mut phone = login(&base, "fs_salesperson").await;
    assert_eq!(phone.try_edit(&order, "lines", lines(60, 12800)).await, None);
    assert_eq!(reviewer.send(review_of_old).await.as_deref(), Some("approved_changed"));
    assert_eq!(OrderView::from_record(&reviewer.order(order.id).await).status, Status::Entered);
}

#[tokio::test]
async fn a_shipped_order_refuses_every_edit_even_its_notes_and_takes_a_managers_correction() {
    let app = spawn_app().await;
    let base = app.url("");
    let (mut clerk, order) = taken(&base).await;
    let mut admin = login(&base, "hq_admin").await;
    for action in [
        Action::Review,
        Action::Audit { stamp: PaymentStamp::Collect },
        Action::Ship { waybill: "DB-77".into(), packages: 3, shipment: None },
    ] {
        let now = admin.order(order.id).await;
        assert_eq!(admin.try_step(&now, action).await, None);
    }
    let shipped = clerk.order(order.id).await;
    assert_eq!(OrderView::from_record(&shipped).shipment, Some(("DB-77".to_string(), 3)));
    assert_eq!(clerk.try_edit(&shipped, "lines", lines(99, 12800)).await.as_deref(), Some("closed"));
    let mut sales = login(&base, "fs_salesperson").await;
    assert_eq!(sales.try_edit(&shipped, "notes", json!("改备注")).await.as_deref(), Some("closed"));
    let mut manager = login(&base, "fs_manager").await;
    assert_eq!(manager.try_edit(&shipped, "lines", lines(2, 12800)).await.as_deref(), Some("closed"));

    let mut correction = manager.edit(&shipped, "lines", lines(2, 12800));
    correction.event = Some(Action::Correct { reason: "实发 2 个".into() }.to_write(Some(&shipped)));
    assert_eq!(manager.send(correction).await, None);
    let after = manager.order(order.id).await;
    let view = OrderView::from_record(&after);
    assert_eq!((view.status, view.total.0), (Status::Shipped, 25_600));
    let entry = after.log.values().last().unwrap();
    assert_eq!((entry.role.as_str(), entry.office.as_str()), ("manager", "FS"));
    assert_eq!(entry.old.get("lines"), Some(&lines(3, 12800)), "the history keeps the old value");
}

#[tokio::test]
async fn shipping_needs_a_waybill_and_packages_and_voiding_needs_a_reason() {
    let app = spawn_app().await;
    let base = app.url("");
    let (mut clerk, order) = taken(&base).await;
    assert_eq!(clerk.try_step(&order, Action::Void { reason: "  ".into() }).await.as_deref(), Some("invalid"));
    let mut admin = login(&base, "hq_admin").await;
    for action in [Action::Review, Action::Audit { stamp: PaymentStamp::Collect }] {
        let now = admin.order(order.id).await;
        assert_eq!(admin.try_step(&now, action).await, None);
    }
    let audited = admin.order(order.id).await;
    let no_waybill = admin.step(&audited, Action::Ship { waybill: String::new(), packages: 1, shipment: None });
    assert_eq!(admin.send(no_waybill).await.as_deref(), Some("invalid"));
    let no_packages = admin.step(&audited, Action::Ship { waybill: "DB-1".into(), packages: 0, shipment: None });
    assert_eq!(admin.send(no_packages).await.as_deref(), Some("invalid"));
    // A step's details are checked key by key: an unknown one is named.
    let mut odd = admin.step(&audited, Action::hand_over("王五"));
    odd.event.as_mut().unwrap().data.insert("colour".into(), json!("red"));
    let r = admin.push(vec![odd]).await.results.remove(0);
    assert_eq!(r.code.as_deref(), Some("invalid"));
    assert!(r.message.unwrap_or_default().contains("colour"));
}

#[tokio::test]
async fn the_history_says_who_made_each_change_from_which_device_and_when_it_reached_the_server() {
    let app = spawn_app().await;
    let base = app.url("");
    let before = now_ms();
    let (clerk, order) = taken(&base).await;
    let entry = order.log.values().next().expect("taking the order is in the history");
    assert_eq!(entry.by, "fs_clerk");
    assert_eq!(entry.name, clerk.login.user.display_name);
    assert_eq!((entry.role.as_str(), entry.office.as_str()), ("clerk", "FS"));
    assert_eq!(entry.device, clerk.login.device_no);
    assert!(entry.received_ms >= before && entry.received_ms <= now_ms());
}

#[tokio::test]
async fn a_database_written_under_protocol_1_opens_with_its_orders_steps_and_who_took_them() {
    let dir = tempfile::tempdir().unwrap();
    {
        // A server of the previous version: schema 4, demo data, one audited order.
        let mut conn = backend::db::open_connection(&dir.path().join("salesdesk.sqlite3")).unwrap();
        backend::db::migrate_to(&mut conn, 4).unwrap();
        let mut inner =
            backend::db::Inner { conn, clock: common::engine::hlc::Clock::new(1), uniques: Default::default() };
        backend::demo::seed_if_empty(&mut inner).unwrap();
        let (ts0, ts1, ts2) = (
            "0193a1b2c3d4-0000-0000000000000001",
            "0193a1b2c3d5-0000-0000000000000002",
            "0193a1b2c3d6-0000-0000000000000003",
        );
        let id = "0193a1b2-c3d4-7000-8000-00000000abcd";
        let v1 = json!({
            "kind": "order", "id": id, "office": "FS",
            "fields": {
                "number": {"v": {ts0: "FS-261128-01-001"}},
                "customer_name": {"v": {ts0: "美居"}},
                "payment": {"v": {ts0: "on_arrival"}},
                "lines": {"v": {ts0: lines(3, 2200)}}
            },
            "events": {
                ts1: {"action": {"type": "review"}, "by": "fs_reviewer"},
                ts2: {"action": {"type": "audit", "stamp": "paid"}, "by": "fs_cashier"}
            }
        });
        inner
            .conn
            .execute(
                "INSERT INTO records(kind, id, office, state, seq, digest) VALUES ('order', ?1, 'FS', ?2, 1000, 0)",
                rusqlite::params![id, v1.to_string()],
            )
            .unwrap();
        let body = json!({"id": "0193a1b2-c3d5-7000-8000-000000000001", "seq": 1, "kind": "order", "record": id,
            "office": "FS", "ts": ts1, "by": "fs_reviewer", "event": {"type": "review"}});
        inner
            .conn
            .execute(
                "INSERT INTO changes(id, client, seq, username, kind, record, outcome, body, received_ms)
                 VALUES ('0193a1b2-c3d5-7000-8000-000000000001', 'c1', 1, 'fs_reviewer', 'order', ?1, 'applied', ?2, 1764400000000)",
                rusqlite::params![id, body.to_string()],
            )
            .unwrap();
    }
    let app = spawn_app_in(dir).await;
    let admin = login(&app.url(""), "hq_admin").await;
    let order = admin.orders().await.into_iter().find(|o| o.get_str("number") == "FS-261128-01-001").unwrap();
    let view = OrderView::from_record(&order);
    assert_eq!((view.status, view.stamp), (Status::Audited, Some(PaymentStamp::Paid)));
    // Its search text was filled when the file was brought up to date: a search finds it.
    let (status, found) = fetch(&admin, &format!("kind=order&q={}", urlencode("美居"))).await;
    assert_eq!((status, fetched_numbers(&found)), (200, vec!["FS-261128-01-001".to_string()]), "{found}");
    let review = order.log.values().next().expect("the review is in the history");
    assert_eq!(
        (review.by.as_str(), review.role.as_str(), review.received_ms),
        ("fs_reviewer", "reviewer", 1764400000000)
    );
    // Everything this user sees adds up to the digest the server sends.
    let all = admin.pull_all().await;
    let last = admin.pull_page(0, 1000).await;
    assert_eq!(last.digest, Some(common::engine::wire::ScopeDigest::of(all.iter())));
}
