//! The authorisation matrix: every role × office × kind of change, checked against a
//! table written here independently of `common::desk::permissions` and the order's
//! workflow. Each step is tried on an order of each office standing where that step is
//! due (a review on a new order, an audit on a reviewed one, ...).

use crate::helpers::*;
use common::desk::order::{Action, PaymentStamp};
use common::engine::record::{Kind, RecordState};
use common::engine::wire::Outcome;
use serde_json::json;
use std::collections::BTreeMap;

const OFFICES: [&str; 3] = ["HQ", "FS", "SZ"];
const ROLES: [&str; 6] = ["clerk", "reviewer", "cashier", "logistics", "salesperson", "manager"];

fn may_edit(role: &str, office: &str, kind: Kind, target: &str) -> bool {
    match kind {
        Kind::PRODUCT => office == "HQ" && matches!(role, "manager" | "admin"),
        // Head office keeps every station; a branch adds and keeps its own local carriers.
        Kind::STATION if office == "HQ" => matches!(role, "manager" | "admin"),
        Kind::STATION => target == office && matches!(role, "clerk" | "manager" | "admin"),
        _ => {
            (office == "HQ" || office == target)
                && matches!(role, "clerk" | "reviewer" | "salesperson" | "manager" | "admin")
        }
    }
}

fn may_act(role: &str, office: &str, target: &str, action: &Action) -> bool {
    let allowed: &[&str] = match action {
        Action::Review => &["clerk", "reviewer", "manager", "admin"],
        Action::Audit { .. } => &["cashier", "manager", "admin"],
        Action::HandOver { .. } => &["clerk", "logistics", "manager", "admin"],
        Action::Ship { .. } => &["logistics", "manager", "admin"],
        Action::Void { .. } => &["clerk", "manager", "admin"],
        other => panic!("not in this table: {other:?}"),
    };
    (office == "HQ" || office == target) && allowed.contains(&role)
}

#[tokio::test]
async fn every_role_and_office_may_do_exactly_what_the_table_says() {
    let app = spawn_app().await;
    let base = app.url("");
    let admin = login(&base, "hq_admin").await;
    let mut admin = admin;
    // Per office: one order to edit, and one per step standing where that step is due.
    let mut orders: BTreeMap<(&str, &str), RecordState> = BTreeMap::new();
    for (n, office) in OFFICES.into_iter().enumerate() {
        let mut clerk = login(&base, &format!("{}_clerk", office.to_lowercase())).await;
        let due: [(&str, &[Action]); 6] = [
            ("edit", &[]),
            ("review", &[]),
            ("void", &[]),
            ("audit", &[Action::Review]),
            ("hand_over", &[Action::Review, Action::Audit { stamp: PaymentStamp::Collect }]),
            ("ship", &[Action::Review, Action::Audit { stamp: PaymentStamp::Collect }]),
        ];
        for (k, (what, before)) in due.into_iter().enumerate() {
            let order = clerk.new_order((n * 10 + k + 1) as u32);
            let (id, office_code) = (order.record, order.office.clone());
            assert_eq!(clerk.push(vec![order]).await.results[0].outcome, Outcome::Applied);
            for step in before {
                let state = admin.order(id).await;
                let mut c = admin.change(Kind::ORDER, id, &office_code, Some(&state), BTreeMap::new());
                c.event = Some(step.to_write(Some(&state)));
                assert_eq!(admin.push(vec![c]).await.results[0].outcome, Outcome::Applied, "{what}: {step:?}");
            }
            orders.insert((office, what), admin.order(id).await);
        }
    }
    let everything = admin.pull_all().await;
    let customer = |office: &str| {
        everything.iter().find(|r| r.kind == Kind::CUSTOMER && r.office.as_str() == office).unwrap().clone()
    };
    let product = everything.iter().find(|r| r.kind == Kind::PRODUCT).unwrap().clone();
    let station = everything.iter().find(|r| r.kind == Kind::STATION).unwrap().clone();
    let actions = [
        Action::Review,
        Action::Audit { stamp: PaymentStamp::Collect },
        Action::hand_over("王五"),
        Action::Ship { waybill: "W1".into(), packages: 1, shipment: None },
        Action::Void { reason: "x".into() },
    ];

    let mut users: Vec<String> =
        OFFICES.iter().flat_map(|o| ROLES.iter().map(move |r| format!("{}_{r}", o.to_lowercase()))).collect();
    users.push("hq_admin".into());
    let mut checked = 0;
    for user in &users {
        let mut d = login(&base, user).await;
        let (office, role) = (d.office().to_string(), d.login.user.role.code().to_string());
        let mut expect = |what: String, allowed: bool, outcome: &Outcome| {
            assert_eq!(*outcome == Outcome::Applied, allowed, "{user} ({role} at {office}): {what}");
            checked += 1;
        };
        for target in OFFICES {
            let order = &orders[&(target, "edit")];
            let c = d.change(
                Kind::ORDER,
                order.id,
                &order.office,
                Some(order),
                [("notes".to_string(), json!(format!("by {user}")))].into(),
            );
            let r = d.push(vec![c]).await;
            expect(
                format!("edit an order of {target}"),
                may_edit(&role, &office, Kind::ORDER, target),
                &r.results[0].outcome,
            );
            let id = common::engine::ids::RecordId::new_v7(now_ms(), random10());
            let local = [
                ("name".to_string(), json!(format!("{user} 本地物流"))),
                ("phone".to_string(), json!("0757 8888 1234")),
            ];
            let c = d.change(Kind::STATION, id, &crate::helpers::office(target), None, local.into());
            let r = d.push(vec![c]).await;
            expect(
                format!("add a station of {target}"),
                may_edit(&role, &office, Kind::STATION, target),
                &r.results[0].outcome,
            );
            let cust = customer(target);
            let c = d.change(
                Kind::CUSTOMER,
                cust.id,
                &cust.office,
                Some(&cust),
                [("contact".to_string(), json!(format!("by {user}")))].into(),
            );
            let r = d.push(vec![c]).await;
            expect(
                format!("edit a customer of {target}"),
                may_edit(&role, &office, Kind::CUSTOMER, target),
                &r.results[0].outcome,
            );
            for action in &actions {
                let order = &orders[&(target, action.code())];
                let mut c = d.change(Kind::ORDER, order.id, &order.office, Some(order), BTreeMap::new());
                c.event = Some(action.to_write(Some(order)));
                let r = d.push(vec![c]).await;
                expect(
                    format!("{} an order of {target}", action.code()),
                    may_act(&role, &office, target, action),
                    &r.results[0].outcome,
                );
            }
        }
        for (kind, rec, field) in [(Kind::PRODUCT, &product, "name"), (Kind::STATION, &station, "phone")] {
            let value = if field == "phone" { json!("0757 1234 5678") } else { json!(format!("by {user}")) };
            let c = d.change(kind, rec.id, &rec.office, Some(rec), [(field.to_string(), value)].into());
            let r = d.push(vec![c]).await;
            expect(
                format!("edit the {} catalogue", kind.as_str()),
                may_edit(&role, &office, kind, "HQ"),
                &r.results[0].outcome,
            );
        }
        // Reading: own office (all offices for head office), and the catalogue.
        for r in d.pull_all().await {
            let visible =
                r.kind == Kind::PRODUCT || r.kind == Kind::STATION || office == "HQ" || r.office.as_str() == office;
            assert!(visible, "{user} was sent a {} of {}", r.kind.as_str(), r.office);
        }
    }
    assert_eq!(checked, users.len() * (3 * 8 + 2));
}
