//! Tests of shipments and the station log: quantities derived from records made at two
//! offices at once, offline, merged in any order; the rules the server runs on them.

use crate::desk::kinds::DeskRules;
use crate::desk::order::{Action, LineDraft, OrderDraft, OrderView, PaymentStamp, Status};
use crate::desk::permissions::{Actor, Role};
use crate::desk::shipping::{
    self, notice_list, summarize, unconfirmed, LateCalls, LogView, ShipAction, ShipmentDraft, ShipmentView, Shipping,
    SHIPMENT_WORKFLOW,
};
use crate::desk::time::Date;
use crate::engine::hlc::Hlc;
use crate::engine::ids::{ChangeId, ClientId, OfficeCode, RecordId};
use crate::engine::push::{validate_change, Author};
use crate::engine::record::{Change, Kind, RecordState, StepWrite};
use crate::engine::replica::Replica;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// 2026-11-29, a Sunday, 19:00 in China.
const NOW_MS: u64 = 1_795_950_000_000;
const ORDER: RecordId = RecordId(uuid::Uuid::from_u128(7));

fn fs() -> OfficeCode {
    OfficeCode::parse("FS").unwrap()
}

fn today() -> Date {
    Date::parse("2026-11-29").unwrap()
}

/// One person at one office (`hq`: head office staff working on FS's records).
struct Person {
    role: Role,
    hq: bool,
    tick: u64,
    node: u64,
}

impl Person {
    fn new(role: Role, hq: bool, node: u64) -> Person {
        Person { role, hq, tick: 0, node }
    }

    fn actor(&self) -> Actor {
        let office = if self.hq { OfficeCode::parse("HQ").unwrap() } else { fs() };
        Actor { username: format!("{}{}", self.role.code(), self.node), role: self.role, office, is_hq: self.hq }
    }

    fn change(
        &mut self,
        kind: Kind,
        record: RecordId,
        seen: Option<&RecordState>,
        values: BTreeMap<String, Value>,
        event: Option<StepWrite>,
    ) -> Change {
        self.tick += 1;
        let blank = RecordState::new(kind, record, fs());
        Change {
            id: ChangeId(uuid::Uuid::from_u128(u128::from(self.node * 1000 + self.tick))),
            seq: self.tick,
            kind,
            record,
            office: fs(),
            ts: Hlc { wall_ms: NOW_MS + self.tick * 1000, counter: 0, node: self.node },
            by: self.actor().username,
            set: seen.unwrap_or(&blank).writes_for(&values),
            event,
        }
    }

    /// Runs `change` through the server's rules against `existing`, with `order` as the
    /// order the server holds.
    fn send(
        &self,
        change: &Change,
        existing: Option<&RecordState>,
        order: &RecordState,
    ) -> Result<RecordState, String> {
        let actor = self.actor();
        let author = Author {
            username: actor.username.clone(),
            name: "某人".into(),
            role: self.role.code().into(),
            office: actor.office.clone(),
            device: 1,
        };
        let rules = DeskRules { actor: &actor, device: 1, lookup: &TheOrder(order) };
        validate_change(&rules, &author, change, existing.cloned(), change.ts.wall_ms)
            .map_err(|r| r.code.unwrap_or_default())
    }
}

/// The server holds one order.
struct TheOrder<'a>(&'a RecordState);

impl crate::desk::kinds::DeskLookup for TheOrder<'_> {
    fn order(&self, id: RecordId) -> Option<RecordState> {
        (id == self.0.id).then(|| self.0.clone())
    }
}

/// An FS order of two lines (10 basins, 4 taps), audited and shipped (the 发货 step of its
/// first shipment), as the server holds it.
fn shipped_order() -> RecordState {
    let draft = OrderDraft {
        customer_name: "佛山美居".into(),
        payment: "monthly".into(),
        station: "德邦物流".into(),
        lines: vec![
            LineDraft {
                model: "AJ-8801".into(),
                name: "面盆".into(),
                quantity: "10".into(),
                unit_price: "100".into(),
                ..Default::default()
            },
            LineDraft {
                model: "AJ-9901".into(),
                name: "龙头".into(),
                quantity: "4".into(),
                unit_price: "50".into(),
                ..Default::default()
            },
        ],
        ..Default::default()
    };
    let mut values = draft.validate().unwrap().to_values();
    values.insert("number".into(), json!("FS-261129-01-001"));
    let mut clerk = Person::new(Role::Clerk, false, 1);
    let mut manager = Person::new(Role::Manager, false, 2);
    let c = clerk.change(Kind::ORDER, ORDER, None, values, None);
    let mut state = clerk.send(&c, None, &RecordState::new(Kind::ORDER, ORDER, fs())).unwrap();
    for a in [
        Action::Review,
        Action::Audit { stamp: PaymentStamp::Paid },
        Action::Ship { waybill: "DB-1".into(), packages: 1, shipment: None },
    ] {
        let c = manager.change(Kind::ORDER, ORDER, Some(&state), BTreeMap::new(), Some(a.to_write(Some(&state))));
        state = manager.send(&c, Some(&state), &state).unwrap();
    }
    state
}

/// A shipment of `qty` (line → quantity) as `person` records it.
fn ship(person: &mut Person, order: &RecordState, id: u128, qty: &[(usize, i64)]) -> Result<RecordState, String> {
    let view = OrderView::from_record(order);
    let mut draft = ShipmentDraft::for_order(&view, &Shipping::default(), today(), "");
    draft.waybills = vec![(format!("DB-{id}"), "2".into())];
    draft.quantities = vec![String::new(); view.lines.len()];
    for (line, q) in qty {
        draft.quantities[*line] = q.to_string();
    }
    let fields = draft.validate(&view, today()).map_err(|e| format!("{e:?}"))?;
    let rid = RecordId(uuid::Uuid::from_u128(id));
    let c = person.change(Kind::SHIPMENT, rid, None, fields.to_values(), None);
    person.send(&c, None, order)
}

fn correct(
    person: &mut Person,
    order: &RecordState,
    s: &RecordState,
    qty: &[(usize, i64)],
) -> Result<RecordState, String> {
    let view = OrderView::from_record(order);
    let lines: Vec<Value> = qty
        .iter()
        .map(|(l, q)| json!({"line": l, "model": view.lines[*l].model, "name": view.lines[*l].name, "quantity": q}))
        .collect();
    let event = ShipAction::Correct { reason: "点错数量".into() }.to_write(&SHIPMENT_WORKFLOW, Some(s));
    let c = person.change(Kind::SHIPMENT, s.id, Some(s), [("lines".to_string(), json!(lines))].into(), Some(event));
    person.send(&c, Some(s), order)
}

fn merged(a: &RecordState, b: &RecordState) -> RecordState {
    let mut m = a.clone();
    m.merge(b).unwrap();
    m
}

/// A return logged by `person`: `qty` of the order's lines came back.
fn log_return(person: &mut Person, order: &RecordState, id: u128, qty: &[(usize, i64)]) -> Result<RecordState, String> {
    let view = OrderView::from_record(order);
    let lines: Vec<Value> = qty
        .iter()
        .map(|(l, q)| json!({"line": l, "model": view.lines[*l].model, "name": view.lines[*l].name, "quantity": q}))
        .collect();
    let values: BTreeMap<String, Value> = [
        ("kind", json!("return")),
        ("station", json!("德邦物流")),
        ("station_phone", json!("0757-1234 5678")),
        ("packages", json!(1)),
        ("freight", json!(1500)),
        ("order", json!(order.id)),
        ("order_number", json!(view.number)),
        ("lines", json!(lines)),
        ("date", json!("2026-11-30")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let c = person.change(Kind::STATION_LOG, RecordId(uuid::Uuid::from_u128(id)), None, values, None);
    person.send(&c, None, order)
}

/// (shipped, remaining, returned) per line.
fn quantities(order: &RecordState, shipments: &[&RecordState], log: &[&RecordState]) -> Vec<(i64, i64, i64)> {
    let views: Vec<ShipmentView> = shipments.iter().map(|s| ShipmentView::from_record(s)).collect();
    let log: Vec<LogView> = log.iter().map(|s| LogView::from_record(s)).collect();
    summarize(&OrderView::from_record(order), &views, &log)
        .lines
        .iter()
        .map(|l| (l.shipped, l.remaining, l.returned))
        .collect()
}

#[test]
fn a_partial_shipment_leaves_the_rest_to_ship_and_the_order_shows_partly_shipped() {
    let order = shipped_order();
    let mut logistics = Person::new(Role::Logistics, false, 3);
    let first = ship(&mut logistics, &order, 100, &[(0, 6), (1, 4)]).unwrap();
    assert_eq!(quantities(&order, &[&first], &[]), vec![(6, 4, 0), (4, 0, 0)]);
    let mut view = OrderView::from_record(&order);
    let summary = summarize(&view, &[ShipmentView::from_record(&first)], &[]);
    view.apply_shipping(&summary);
    assert_eq!(view.status, Status::PartlyShipped);
    // The rest leaves: the order is shipped.
    let second = ship(&mut logistics, &order, 101, &[(0, 4)]).unwrap();
    let summary = summarize(&view, &[first, second].iter().map(ShipmentView::from_record).collect::<Vec<_>>(), &[]);
    let mut view = OrderView::from_record(&order);
    view.apply_shipping(&summary);
    assert_eq!(view.status, Status::Shipped);
    assert!(summary.complete() && summary.over_shipped.is_empty());
}

#[test]
fn two_offices_shipping_the_same_goods_offline_both_count_and_the_excess_shows() {
    let order = shipped_order();
    let mut branch = Person::new(Role::Logistics, false, 3);
    let mut hq = Person::new(Role::Logistics, true, 4);
    let at_branch = ship(&mut branch, &order, 100, &[(0, 6)]).unwrap();
    let at_hq = ship(&mut hq, &order, 200, &[(0, 6), (1, 4)]).unwrap();
    // Whatever order the server and each device learn of them in, the totals agree.
    let a = quantities(&order, &[&at_branch, &at_hq], &[]);
    let b = quantities(&order, &[&at_hq, &at_branch], &[]);
    assert_eq!(a, b);
    assert_eq!(a, vec![(12, 0, 0), (4, 0, 0)]);
    let views = [ShipmentView::from_record(&at_branch), ShipmentView::from_record(&at_hq)];
    assert_eq!(summarize(&OrderView::from_record(&order), &views, &[]).over_shipped, vec![0]);
}

#[test]
fn concurrent_corrections_of_one_shipment_give_one_answer_everywhere_and_show_the_conflict() {
    let order = shipped_order();
    let mut logistics = Person::new(Role::Logistics, false, 3);
    let s = ship(&mut logistics, &order, 100, &[(0, 6)]).unwrap();
    let mut branch_manager = Person::new(Role::Manager, false, 5);
    let mut hq_manager = Person::new(Role::Manager, true, 6);
    let at_branch = correct(&mut branch_manager, &order, &s, &[(0, 5)]).unwrap();
    let at_hq = correct(&mut hq_manager, &order, &s, &[(0, 7)]).unwrap();
    let one = merged(&at_branch, &at_hq);
    let other = merged(&at_hq, &at_branch);
    assert_eq!(one, other);
    let q = quantities(&order, &[&one], &[]);
    assert!(q == vec![(5, 5, 0), (0, 4, 0)] || q == vec![(7, 3, 0), (0, 4, 0)], "{q:?}");
    let view = ShipmentView::from_record(&one);
    assert!(view.conflict, "two corrections at once are shown for someone to settle");
    assert_eq!(view.corrections, 2);
}

#[test]
fn a_return_logged_at_the_branch_while_head_office_corrects_the_shipment_counts_both() {
    let order = shipped_order();
    let mut logistics = Person::new(Role::Logistics, false, 3);
    let s = ship(&mut logistics, &order, 100, &[(0, 10), (1, 4)]).unwrap();
    let mut clerk = Person::new(Role::Clerk, false, 7);
    let back = log_return(&mut clerk, &order, 300, &[(1, 2)]).unwrap();
    let mut hq_manager = Person::new(Role::Manager, true, 6);
    let corrected = correct(&mut hq_manager, &order, &s, &[(0, 9), (1, 4)]).unwrap();
    assert_eq!(quantities(&order, &[&corrected], &[&back]), vec![(9, 1, 0), (4, 0, 2)]);
    let views = [ShipmentView::from_record(&corrected)];
    let summary = summarize(&OrderView::from_record(&order), &views, &[LogView::from_record(&back)]);
    assert!(summary.returned_any() && summary.partial());
}

#[test]
fn a_shipment_is_a_fact_corrected_only_by_a_manager_with_a_reason() {
    let order = shipped_order();
    let mut logistics = Person::new(Role::Logistics, false, 3);
    let s = ship(&mut logistics, &order, 100, &[(0, 6)]).unwrap();
    // A plain edit afterwards is refused, even by the person who made it.
    let c = logistics.change(Kind::SHIPMENT, s.id, Some(&s), [("station".to_string(), json!("中通"))].into(), None);
    assert_eq!(logistics.send(&c, Some(&s), &order), Err("closed".into()));
    // Logistics may not correct; a manager may, and must give a reason.
    assert_eq!(correct(&mut logistics, &order, &s, &[(0, 5)]), Err("forbidden".into()));
    let mut manager = Person::new(Role::Manager, false, 5);
    let no_reason = ShipAction::Correct { reason: " ".into() }.to_write(&SHIPMENT_WORKFLOW, Some(&s));
    let c = manager.change(Kind::SHIPMENT, s.id, Some(&s), BTreeMap::new(), Some(no_reason));
    assert_eq!(manager.send(&c, Some(&s), &order), Err("invalid".into()));
    assert!(correct(&mut manager, &order, &s, &[(0, 5)]).is_ok());
}

#[test]
fn the_server_refuses_shipments_that_do_not_fit_their_order() {
    let order = shipped_order();
    let mut logistics = Person::new(Role::Logistics, false, 3);
    let mut clerk = Person::new(Role::Clerk, false, 7);
    assert_eq!(ship(&mut clerk, &order, 100, &[(0, 1)]), Err("forbidden".into()), "clerks do not ship");
    // Before the order's 发货 step.
    let mut unshipped = order.clone();
    unshipped.events.retain(|_, e| e.step != "ship");
    assert_eq!(ship(&mut logistics, &unshipped, 101, &[(0, 1)]), Err("not_ready".into()));
    // A line the order does not have.
    let view = OrderView::from_record(&order);
    let fields = {
        let mut d = ShipmentDraft::for_order(&view, &Shipping::default(), today(), "");
        d.waybills = vec![("DB-9".into(), "1".into())];
        d.quantities = vec!["1".into(), String::new()];
        d.validate(&view, today()).unwrap()
    };
    let mut values = fields.to_values();
    values.insert("lines".into(), json!([{"line": 5, "model": "X", "quantity": 1}]));
    let c = logistics.change(Kind::SHIPMENT, RecordId(uuid::Uuid::from_u128(102)), None, values.clone(), None);
    assert_eq!(logistics.send(&c, None, &order), Err("invalid".into()));
    // 直发 without the customer's full name.
    values = fields.to_values();
    values.insert("direct".into(), json!(true));
    let c = logistics.change(Kind::SHIPMENT, RecordId(uuid::Uuid::from_u128(103)), None, values, None);
    assert_eq!(logistics.send(&c, None, &order), Err("invalid".into()));
    // Another office's order.
    let mut other = order.clone();
    other.office = OfficeCode::parse("GZ").unwrap();
    assert_eq!(ship(&mut logistics, &other, 104, &[(0, 1)]), Err("forbidden".into()));
}

#[test]
fn the_shipment_form_names_every_wrong_box_at_once() {
    let order = OrderView::from_record(&shipped_order());
    let draft = ShipmentDraft {
        station: String::new(),
        ship_date: "13-45".into(),
        waybills: vec![("DB-1".into(), "0".into()), ("DB-1".into(), "2".into()), (String::new(), "x".into())],
        quantities: vec!["-1".into(), "1.5".into()],
        direct: true,
        ..ShipmentDraft::default()
    };
    let errors = draft.validate(&order, today()).unwrap_err();
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    for f in [
        "station",
        "ship_date",
        "waybills.0.packages",
        "waybills.1.number",
        "waybills.2.number",
        "waybills.2.packages",
        "lines.0",
        "lines.1",
        "full_name",
    ] {
        assert!(fields.contains(&f), "{f} missing from {fields:?}");
    }
}

#[test]
fn the_morning_list_keeps_saturdays_shipments_until_someone_calls_and_a_correction_puts_it_back() {
    let order = shipped_order();
    let mut logistics = Person::new(Role::Logistics, false, 3);
    let mut saturday = ship(&mut logistics, &order, 100, &[(0, 1)]).unwrap();
    saturday.fields.get_mut("ship_date").unwrap().heads.values_mut().for_each(|v| *v = json!("2026-11-28"));
    let friday_state = {
        let mut s = ship(&mut logistics, &order, 101, &[(0, 1)]).unwrap();
        s.fields.get_mut("ship_date").unwrap().heads.values_mut().for_each(|v| *v = json!("2026-11-27"));
        s
    };
    let views = [ShipmentView::from_record(&saturday), ShipmentView::from_record(&friday_state)];
    let list: Vec<RecordId> = notice_list(&views).iter().map(|s| s.id).collect();
    assert_eq!(list, vec![friday_state.id, saturday.id], "oldest first");
    // Monday 09:00 in China: Saturday's is overdue (due Sunday 10:00).
    let monday_9 = 1_796_000_400_000 - 1_000; // 2026-11-30 08:59:59 +08:00
    assert!(views[0].notice_overdue(monday_9, 480, 10));
    // Called: off the list. Corrected afterwards: back on it, the old call shown.
    let mut clerk = Person::new(Role::Clerk, false, 7);
    let call = ShipAction::Notify { spoke_to: "陈老板".into(), said: "两件,德邦".into() };
    let c = clerk.change(
        Kind::SHIPMENT,
        friday_state.id,
        Some(&friday_state),
        BTreeMap::new(),
        Some(call.to_write(&SHIPMENT_WORKFLOW, Some(&friday_state))),
    );
    let called = clerk.send(&c, Some(&friday_state), &order).unwrap();
    let views = [ShipmentView::from_record(&saturday), ShipmentView::from_record(&called)];
    assert_eq!(notice_list(&views).len(), 1);
    assert_eq!(views[1].notified.as_ref().map(|n| n.action.clone()), Some(call));
    let mut manager = Person::new(Role::Manager, false, 5);
    manager.tick = 10; // later that morning
    let corrected = correct(&mut manager, &order, &called, &[(0, 2)]).unwrap();
    let view = ShipmentView::from_record(&corrected);
    assert!(view.notified.is_none() && view.stale_notice.is_some());
    // A shipment a week old, never signed for nor returned, is listed.
    let old = [ShipmentView::from_record(&saturday)];
    assert_eq!(unconfirmed(&old, &[], today().plus_days(8), shipping::DEFAULT_RECEIPT_DAYS).len(), 1);
    assert!(unconfirmed(&old, &[], today().plus_days(3), shipping::DEFAULT_RECEIPT_DAYS).is_empty());
}

#[test]
fn the_form_will_not_ship_more_than_is_left_and_the_order_lists_every_waybill() {
    let order = shipped_order();
    let mut logistics = Person::new(Role::Logistics, false, 3);
    let first = ship(&mut logistics, &order, 100, &[(0, 6)]).unwrap();
    let view = OrderView::from_record(&order);
    let so_far = summarize(&view, &[ShipmentView::from_record(&first)], &[]);
    let mut draft = ShipmentDraft::for_order(&view, &so_far, today(), "");
    assert_eq!(draft.quantities, vec!["4".to_string(), "4".to_string()], "the form offers what is left");
    draft.station = "德邦物流".into();
    draft.waybills = vec![("DB-2".into(), "1".into())];
    draft.quantities = vec!["5".into(), String::new()];
    let errors = draft.validate_against(&view, &so_far, today()).unwrap_err();
    assert_eq!((errors[0].field.as_str(), errors[0].limit), ("lines.0", Some(4)));
    draft.quantities = vec!["4".into(), "4".into()];
    let second = draft.validate_against(&view, &so_far, today()).unwrap();
    let mut c = logistics.change(Kind::SHIPMENT, RecordId(uuid::Uuid::from_u128(101)), None, second.to_values(), None);
    c.ts.wall_ms += 60_000;
    let second = logistics.send(&c, None, &order).unwrap();
    let all = [ShipmentView::from_record(&first), ShipmentView::from_record(&second)];
    let mut view = OrderView::from_record(&order);
    view.apply_shipping(&summarize(&view, &all, &[]));
    assert_eq!(view.status, Status::Shipped);
    assert_eq!(view.shipment, Some(("DB-100, DB-2".to_string(), 3)));
}

#[test]
fn the_late_calls_badge_counts_as_the_morning_list_does_and_follows_a_call_made_on_the_device() {
    let order = shipped_order();
    let mut logistics = Person::new(Role::Logistics, false, 3);
    let dated = |mut s: RecordState, day: &str| {
        s.fields.get_mut("ship_date").unwrap().heads.values_mut().for_each(|v| *v = json!(day));
        s
    };
    let friday = dated(ship(&mut logistics, &order, 101, &[(0, 1)]).unwrap(), "2026-11-27");
    let saturday = dated(ship(&mut logistics, &order, 100, &[(0, 1)]).unwrap(), "2026-11-28");
    let sunday = dated(ship(&mut logistics, &order, 102, &[(0, 1)]).unwrap(), "2026-11-29");
    let mut r = Replica::new(ClientId(uuid::Uuid::from_u128(9)), 9);
    r.take_page(vec![friday.clone(), saturday, sunday], 3, Hlc::ZERO, 0);
    let monday_9 = 1_796_000_400_000 - 1_000; // 2026-11-30 08:59:59 +08:00
    let by_views = |r: &Replica| {
        r.all(Kind::SHIPMENT).filter(|s| ShipmentView::from_record(s).notice_overdue(monday_9, 480, 10)).count()
    };
    let mut badge = LateCalls::default();
    assert_eq!((badge.count(&r, monday_9, 480, 10), by_views(&r)), (2, 2), "Friday's and Saturday's");
    // This device calls about Friday's: one left.
    let call = ShipAction::Notify { spoke_to: "陈老板".into(), said: String::new() };
    r.edit(
        Kind::SHIPMENT,
        friday.id,
        &fs(),
        &BTreeMap::new(),
        Some(call.to_write(&SHIPMENT_WORKFLOW, Some(&friday))),
        "fs_clerk",
        monday_9,
        [2; 10],
    )
    .unwrap();
    assert_eq!((badge.count(&r, monday_9, 480, 10), by_views(&r)), (1, 1));
    // Later in the morning Sunday's is late too: the time moves, not the records.
    let monday_10 = monday_9 + 3_601_000; // 10:00:00
    assert_eq!(badge.count(&r, monday_10, 480, 10), 2);
}
