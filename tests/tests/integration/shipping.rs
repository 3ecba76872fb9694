//! Shipments and the station log over HTTP against the real server: whose records they
//! are, who may read and write them, and the rules the server holds them to.

use crate::helpers::*;
use common::desk::order::{Action, OrderView, PaymentStamp};
use common::desk::shipping::{ShipAction, ShipmentDraft, ShipmentView, Shipping, SHIPMENT_WORKFLOW};
use common::desk::time::local_date;
use common::engine::ids::{OfficeCode, RecordId};
use common::engine::record::{Change, Kind, RecordState};
use common::engine::wire::Outcome;
use std::collections::BTreeMap;

/// An order of `who`'s office (3 × AJ-8801), reviewed, stamped and shipped by its 发货 step.
async fn shipped_order(base: &str, who: &str) -> RecordState {
    let mut d = login(base, who).await;
    let order = d.new_order(1);
    let id = order.record;
    d.push(vec![order]).await;
    for a in [
        Action::Review,
        Action::Audit { stamp: PaymentStamp::Paid },
        Action::Ship { waybill: "DB-1".into(), packages: 1, shipment: None },
    ] {
        assert_eq!(step_as(base, "hq_admin", id, a).await, None);
    }
    login(base, "hq_admin").await.order(id).await
}

/// A shipment of 2 of the order's line, recorded by `who` in `office`, to `to_branch`.
fn shipment(d: &mut Device, order: &RecordState, office: &OfficeCode, to_branch: &str) -> Change {
    let view = OrderView::from_record(order);
    let today = local_date(now_ms(), 480);
    let mut draft = ShipmentDraft::for_order(&view, &Shipping::default(), today, "");
    draft.station = "德邦物流".into();
    draft.waybills = vec![("DB-2".into(), "1".into())];
    draft.quantities = vec!["2".into()];
    draft.to_branch = to_branch.into();
    let fields = draft.validate(&view, today).unwrap();
    d.change(Kind::SHIPMENT, RecordId::new_v7(now_ms(), random10()), office, None, fields.to_values())
}

/// The record `id` as `d` pulls it.
async fn held(d: &Device, id: RecordId) -> RecordState {
    d.pull_all().await.into_iter().find(|r| r.id == id).unwrap()
}

async fn outcome(d: &Device, c: Change) -> Result<(), String> {
    let r = d.push(vec![c]).await.results.remove(0);
    match r.outcome {
        Outcome::Applied => Ok(()),
        Outcome::Refused => Err(r.code.unwrap_or_default()),
    }
}

#[tokio::test]
async fn a_shipment_belongs_to_its_orders_office_whoever_records_it() {
    let app = spawn_app().await;
    let base = app.url("");
    let order = shipped_order(&base, "fs_clerk").await;
    let mut hq = login(&base, "hq_logistics").await;
    // Recorded at head office under head office's code: refused, it is FS's order.
    let wrong = shipment(&mut hq, &order, &office("HQ"), "");
    assert_eq!(outcome(&hq, wrong).await, Err("forbidden".into()));
    let right = shipment(&mut hq, &order, &office("FS"), "");
    let id = right.record;
    assert_eq!(outcome(&hq, right).await, Ok(()));
    // The branch sees it; another branch neither sees it nor may add to it.
    let fs = login(&base, "fs_clerk").await;
    assert!(fs.pull_all().await.iter().any(|r| r.id == id));
    let mut sz = login(&base, "sz_logistics").await;
    assert!(!sz.pull_all().await.iter().any(|r| r.id == id));
    let theirs = shipment(&mut sz, &order, &office("FS"), "");
    assert_eq!(outcome(&sz, theirs).await, Err("forbidden".into()));
}

#[tokio::test]
async fn goods_head_office_sends_to_a_branch_are_the_branchs_to_expect_without_showing_it_the_order() {
    let app = spawn_app().await;
    let base = app.url("");
    let order = shipped_order(&base, "hq_admin").await;
    let mut hq = login(&base, "hq_logistics").await;
    let to_fs = shipment(&mut hq, &order, &office("FS"), "FS");
    let id = to_fs.record;
    assert_eq!(outcome(&hq, to_fs).await, Ok(()));
    let fs = login(&base, "fs_clerk").await;
    let seen = fs.pull_all().await;
    let s = seen.iter().find(|r| r.id == id).map(ShipmentView::from_record).expect("the branch sees what is coming");
    assert_eq!(s.to_branch, Some(office("FS")));
    assert_eq!(s.lines[0].quantity, 2, "the packing list travels with the shipment");
    assert!(!seen.iter().any(|r| r.id == order.id), "the branch does not see head office's order");
    // Only head office sends goods that way, and only to the branch the record is for.
    let mut fs_logistics = login(&base, "fs_logistics").await;
    let claim = shipment(&mut fs_logistics, &order, &office("FS"), "FS");
    assert_eq!(outcome(&fs_logistics, claim).await, Err("forbidden".into()));
    let elsewhere = shipment(&mut hq, &order, &office("SZ"), "FS");
    assert_eq!(outcome(&hq, elsewhere).await, Err("forbidden".into()));
}

#[tokio::test]
async fn the_desk_records_the_call_and_the_receipt_and_only_a_manager_corrects_a_shipment() {
    let app = spawn_app().await;
    let base = app.url("");
    let order = shipped_order(&base, "fs_clerk").await;
    let mut logistics = login(&base, "fs_logistics").await;
    let c = shipment(&mut logistics, &order, &office("FS"), "");
    let id = c.record;
    assert_eq!(outcome(&logistics, c).await, Ok(()));
    let mut clerk = login(&base, "fs_clerk").await;
    let s = held(&clerk, id).await;
    let mut call = clerk.change(Kind::SHIPMENT, id, &office("FS"), Some(&s), BTreeMap::new());
    call.event = Some(
        ShipAction::Notify { spoke_to: "陈老板".into(), said: String::new() }.to_write(&SHIPMENT_WORKFLOW, Some(&s)),
    );
    assert_eq!(outcome(&clerk, call).await, Ok(()));
    let s = held(&clerk, id).await;
    let mut blank = clerk.change(Kind::SHIPMENT, id, &office("FS"), Some(&s), BTreeMap::new());
    blank.event =
        Some(ShipAction::Notify { spoke_to: " ".into(), said: String::new() }.to_write(&SHIPMENT_WORKFLOW, Some(&s)));
    assert_eq!(outcome(&clerk, blank).await, Err("invalid".into()), "whom the desk told is required");
    let mut receipt = clerk.change(Kind::SHIPMENT, id, &office("FS"), Some(&s), BTreeMap::new());
    let today = local_date(now_ms(), 480).to_string();
    receipt.event = Some(
        ShipAction::Receipt { date: today, signer: "陈老板".into(), letter: true }
            .to_write(&SHIPMENT_WORKFLOW, Some(&s)),
    );
    assert_eq!(outcome(&clerk, receipt).await, Ok(()));
    // A plain edit is refused; so is a clerk's correction; a manager's, with a reason, stands.
    let s = held(&clerk, id).await;
    let station = |v: &str| BTreeMap::from([("station".to_string(), serde_json::json!(v))]);
    let edit = clerk.change(Kind::SHIPMENT, id, &office("FS"), Some(&s), station("中通"));
    assert_eq!(outcome(&clerk, edit).await, Err("closed".into()));
    let mut by_clerk = clerk.change(Kind::SHIPMENT, id, &office("FS"), Some(&s), station("中通"));
    by_clerk.event = Some(ShipAction::Correct { reason: "写错".into() }.to_write(&SHIPMENT_WORKFLOW, Some(&s)));
    assert_eq!(outcome(&clerk, by_clerk).await, Err("forbidden".into()));
    let mut manager = login(&base, "fs_manager").await;
    let mut fix = manager.change(Kind::SHIPMENT, id, &office("FS"), Some(&s), station("中通"));
    fix.event = Some(ShipAction::Correct { reason: "写错货站".into() }.to_write(&SHIPMENT_WORKFLOW, Some(&s)));
    assert_eq!(outcome(&manager, fix).await, Ok(()));
    let view = ShipmentView::from_record(&held(&manager, id).await);
    assert_eq!((view.station.as_str(), view.corrections), ("中通", 1));
    assert!(view.receipt.is_some() && view.stale_notice.is_some(), "the call was about the old station: call again");
}

#[tokio::test]
async fn a_hand_over_names_who_received_which_copies_and_nothing_else() {
    let app = spawn_app().await;
    let base = app.url("");
    let mut d = login(&base, "fs_clerk").await;
    let order = d.new_order(1);
    let id = order.record;
    d.push(vec![order]).await;
    assert_eq!(step_as(&base, "fs_reviewer", id, Action::Review).await, None);
    assert_eq!(step_as(&base, "fs_cashier", id, Action::Audit { stamp: PaymentStamp::Paid }).await, None);
    let odd = Action::HandOver { received_by: "王五".into(), copies: vec!["picking".into(), "poster".into()] };
    assert_eq!(step_as(&base, "fs_logistics", id, odd).await.as_deref(), Some("invalid"));
    let long = Action::HandOver { received_by: "王".repeat(41), copies: vec![] };
    assert_eq!(step_as(&base, "fs_logistics", id, long).await.as_deref(), Some("invalid"));
    assert_eq!(step_as(&base, "fs_logistics", id, Action::hand_over("王五")).await, None);
    let held = login(&base, "hq_admin").await.order(id).await;
    let event = held.events.values().find(|e| e.step == "hand_over").unwrap();
    assert_eq!(Action::from_event(event).unwrap(), Action::hand_over("王五"));
    assert_eq!(OrderView::from_record(&held).status, common::desk::order::Status::HandedOver);
}
