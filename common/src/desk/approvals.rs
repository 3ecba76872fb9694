//! Tests of the order workflow: approvals that hold. Orders are taken through the real
//! push rules ([`crate::engine::push::validate_change`] with [`DeskRules`]) step by step;
//! every case says what a person sees afterwards.

use crate::desk::kinds::DeskRules;
use crate::desk::order::{offered_steps, Action, LineDraft, OrderDraft, OrderView, PaymentStamp, Status};
use crate::desk::permissions::{Actor, Role};
use crate::engine::hlc::Hlc;
use crate::engine::ids::{ChangeId, OfficeCode, RecordId};
use crate::engine::push::{validate_change, Author};
use crate::engine::record::{Change, Kind, RecordState};
use crate::engine::workflow::{Cancelled, StepConflict};
use serde_json::{json, Value};
use std::collections::BTreeMap;

const ID: RecordId = RecordId(uuid::Uuid::from_u128(42));
/// 2026-11-29, in the morning in China: the day of the order numbers below.
const NOW_MS: u64 = 1_795_950_000_000;

fn office() -> OfficeCode {
    OfficeCode::parse("FS").unwrap()
}

/// An order at one office, and the clock of whoever touches it next.
struct Desk {
    state: Option<RecordState>,
    tick: u64,
}

/// The catalogue has a member number for 德邦物流.
struct Catalogue;

impl crate::desk::kinds::DeskLookup for Catalogue {
    fn station_contract(&self, name: &str) -> Option<String> {
        (name == "德邦物流").then(|| "DB-6601".to_string())
    }
}

/// What one person does to the order, as their device would send it.
#[derive(Clone)]
enum Do {
    Take,
    Edit(&'static str, Value),
    Step(Action),
    Correct(&'static str, &'static str, Value),
}

fn lines(quantity: i64, price_fen: i64) -> Value {
    json!([{"model": "AJ-8801", "name": "面盆龙头", "quantity": quantity, "unit": "个", "unit_price": price_fen}])
}

fn new_order_values() -> BTreeMap<String, Value> {
    let draft = OrderDraft {
        customer_name: "佛山美居".into(),
        payment: "on_arrival".into(),
        station: "德邦物流".into(),
        lines: vec![LineDraft {
            model: "AJ-8801".into(),
            name: "面盆龙头".into(),
            quantity: "3".into(),
            unit: "个".into(),
            unit_price: "22".into(),
            ..Default::default()
        }],
        ..Default::default()
    };
    let mut v = draft.validate().unwrap().to_values();
    v.insert("number".into(), json!("FS-261129-01-001"));
    v
}

impl Desk {
    fn new() -> Desk {
        Desk { state: None, tick: 0 }
    }

    /// The change `role` makes seeing `seen` (the order as their screen shows it).
    fn change(&mut self, role: Role, what: &Do, seen: Option<&RecordState>) -> Change {
        self.tick += 1;
        let blank = RecordState::new(Kind::ORDER, ID, office());
        let base = seen.unwrap_or(&blank);
        let one = |f: &str, v: &Value| base.writes_for(&[(f.to_string(), v.clone())].into());
        let (set, event) = match what {
            Do::Take => (base.writes_for(&new_order_values()), None),
            Do::Edit(f, v) => (one(f, v), None),
            Do::Step(a) => (BTreeMap::new(), Some(a.to_write(seen))),
            Do::Correct(reason, f, v) => {
                (one(f, v), Some(Action::Correct { reason: reason.to_string() }.to_write(seen)))
            }
        };
        Change {
            id: ChangeId(uuid::Uuid::from_u128(u128::from(self.tick))),
            seq: self.tick,
            kind: Kind::ORDER,
            record: ID,
            office: office(),
            ts: Hlc { wall_ms: NOW_MS + self.tick * 1000, counter: 0, node: self.tick },
            by: role.code().to_string(),
            set,
            event,
        }
    }

    /// Sends a change to the server's rules; on success the order moves on.
    fn send(&mut self, role: Role, change: &Change) -> Result<(), String> {
        let actor = Actor { username: role.code().into(), role, office: office(), is_hq: false };
        let author = Author {
            username: actor.username.clone(),
            name: "某人".into(),
            role: role.code().into(),
            office: office(),
            device: 1,
        };
        let rules = DeskRules { actor: &actor, device: 1, lookup: &Catalogue };
        match validate_change(&rules, &author, change, self.state.clone(), change.ts.wall_ms) {
            Ok(s) => {
                self.state = Some(s);
                Ok(())
            }
            Err(r) => Err(r.code.unwrap_or_default()),
        }
    }

    /// `role` does `what`, having seen the order as it is now.
    fn by(&mut self, role: Role, what: Do) -> Result<(), String> {
        let seen = self.state.clone();
        let c = self.change(role, &what, seen.as_ref());
        self.send(role, &c)
    }

    fn view(&self) -> OrderView {
        OrderView::from_record(self.state.as_ref().unwrap())
    }
}

fn review() -> Do {
    Do::Step(Action::Review)
}
fn audit() -> Do {
    Do::Step(Action::Audit { stamp: PaymentStamp::Paid })
}
fn hand_over() -> Do {
    Do::Step(Action::hand_over("王五"))
}
fn ship() -> Do {
    Do::Step(Action::Ship { waybill: "DB-1".into(), packages: 2, shipment: None })
}
fn void() -> Do {
    Do::Step(Action::Void { reason: "客户取消".into() })
}

use Role::*;

/// One case: steps taken in order, each `Ok` or refused with a code; then what shows.
struct Case {
    name: &'static str,
    steps: Vec<(Role, Do, Result<(), &'static str>)>,
    status: Status,
    sent_back: Vec<&'static str>,
}

fn check(case: Case) {
    let mut desk = Desk::new();
    desk.by(Clerk, Do::Take).unwrap();
    for (i, (role, what, expected)) in case.steps.into_iter().enumerate() {
        let got = desk.by(role, what);
        assert_eq!(got, expected.map_err(str::to_string), "{}: step {}", case.name, i + 1);
    }
    let v = desk.view();
    assert_eq!(v.status, case.status, "{}", case.name);
    assert_eq!(v.needs_again(), case.sent_back, "{}", case.name);
}

#[test]
fn approvals_hold_step_by_step() {
    let cases = vec![
        Case {
            name: "a reviewed order is 已复核",
            steps: vec![(Reviewer, review(), Ok(()))],
            status: Status::Reviewed,
            sent_back: vec![],
        },
        Case {
            name: "a salesperson may not change a reviewed order",
            steps: vec![(Reviewer, review(), Ok(())), (Salesperson, Do::Edit("lines", lines(30, 500)), Err("locked"))],
            status: Status::Reviewed,
            sent_back: vec![],
        },
        Case {
            name: "a salesperson may not change a reviewed order's notes either",
            steps: vec![(Reviewer, review(), Ok(())), (Salesperson, Do::Edit("notes", json!("改")), Err("locked"))],
            status: Status::Reviewed,
            sent_back: vec![],
        },
        Case {
            name: "a clerk's change of a reviewed order sends it back for review",
            steps: vec![(Reviewer, review(), Ok(())), (Clerk, Do::Edit("lines", lines(30, 500)), Ok(()))],
            status: Status::Entered,
            sent_back: vec!["review"],
        },
        Case {
            name: "a clerk may not change what the cashier audited",
            steps: vec![
                (Reviewer, review(), Ok(())),
                (Cashier, audit(), Ok(())),
                (Clerk, Do::Edit("lines", lines(30, 500)), Err("locked")),
            ],
            status: Status::Audited,
            sent_back: vec![],
        },
        Case {
            name: "a manager's change after the audit sends it back for review and audit",
            steps: vec![
                (Reviewer, review(), Ok(())),
                (Cashier, audit(), Ok(())),
                (Manager, Do::Edit("delivery_date", json!("2026-12-05")), Ok(())),
            ],
            status: Status::Entered,
            sent_back: vec!["review", "audit"],
        },
        Case {
            name: "notes and phone are not what an approval holds: the audit stands",
            steps: vec![
                (Reviewer, review(), Ok(())),
                (Cashier, audit(), Ok(())),
                (Clerk, Do::Edit("notes", json!("下午送")), Ok(())),
                (Clerk, Do::Edit("phone", json!("0757-8888 1234")), Ok(())),
            ],
            status: Status::Audited,
            sent_back: vec![],
        },
        Case {
            name: "once reviewed again, the changed order is 已复核 and the audit is still owed",
            steps: vec![
                (Reviewer, review(), Ok(())),
                (Cashier, audit(), Ok(())),
                (Manager, Do::Edit("lines", lines(6, 2200)), Ok(())),
                (Reviewer, review(), Ok(())),
            ],
            status: Status::Reviewed,
            sent_back: vec!["audit"],
        },
        Case {
            name: "changed back to what was approved, the approvals count again",
            steps: vec![
                (Reviewer, review(), Ok(())),
                (Cashier, audit(), Ok(())),
                (Manager, Do::Edit("lines", lines(6, 2200)), Ok(())),
                (Manager, Do::Edit("lines", lines(3, 2200)), Ok(())),
            ],
            status: Status::Audited,
            sent_back: vec![],
        },
        Case {
            name: "the cashier audits only a reviewed order",
            steps: vec![(Cashier, audit(), Err("not_ready"))],
            status: Status::Entered,
            sent_back: vec![],
        },
        Case {
            name: "代收 needs the station's member number on the order; 取款 does not",
            steps: vec![
                (Reviewer, review(), Ok(())),
                (Cashier, Do::Step(Action::Audit { stamp: PaymentStamp::Collect }), Err("invalid")),
                (Cashier, audit(), Ok(())),
            ],
            status: Status::Audited,
            sent_back: vec![],
        },
        Case {
            name: "with the member number on the order, 代收 passes",
            steps: vec![
                (Clerk, Do::Edit("station_contract", json!("DB-6601")), Ok(())),
                (Reviewer, review(), Ok(())),
                (Cashier, Do::Step(Action::Audit { stamp: PaymentStamp::Collect }), Ok(())),
            ],
            status: Status::Audited,
            sent_back: vec![],
        },
        Case {
            name: "a clerk may not audit",
            steps: vec![(Reviewer, review(), Ok(())), (Clerk, audit(), Err("forbidden"))],
            status: Status::Reviewed,
            sent_back: vec![],
        },
        Case {
            name: "a cashier never edits an order",
            steps: vec![(Cashier, Do::Edit("notes", json!("x")), Err("locked"))],
            status: Status::Entered,
            sent_back: vec![],
        },
        Case {
            name: "nothing edits a shipped order, not even its notes, not even a manager",
            steps: vec![
                (Reviewer, review(), Ok(())),
                (Cashier, audit(), Ok(())),
                (Logistics, hand_over(), Ok(())),
                (Logistics, ship(), Ok(())),
                (Manager, Do::Edit("lines", lines(30, 2200)), Err("closed")),
                (Salesperson, Do::Edit("notes", json!("x")), Err("closed")),
            ],
            status: Status::Shipped,
            sent_back: vec![],
        },
        Case {
            name: "a shipped order is corrected by a manager's 更正 with a reason",
            steps: vec![
                (Reviewer, review(), Ok(())),
                (Cashier, audit(), Ok(())),
                (Logistics, ship(), Ok(())),
                (Clerk, Do::Correct("少发一件", "lines", lines(2, 2200)), Err("forbidden")),
                (Manager, Do::Correct("", "lines", lines(2, 2200)), Err("invalid")),
                (Manager, Do::Correct("少发一件", "lines", lines(2, 2200)), Ok(())),
            ],
            status: Status::Shipped,
            sent_back: vec![],
        },
        Case {
            name: "shipping needs a waybill and at least one package",
            steps: vec![
                (Reviewer, review(), Ok(())),
                (Cashier, audit(), Ok(())),
                (
                    Logistics,
                    Do::Step(Action::Ship { waybill: " ".into(), packages: 2, shipment: None }),
                    Err("invalid"),
                ),
                (
                    Logistics,
                    Do::Step(Action::Ship { waybill: "DB-1".into(), packages: 0, shipment: None }),
                    Err("invalid"),
                ),
            ],
            status: Status::Audited,
            sent_back: vec![],
        },
        Case {
            name: "voiding needs a reason, and a voided order takes no edits",
            steps: vec![
                (Clerk, Do::Step(Action::Void { reason: "".into() }), Err("invalid")),
                (Clerk, void(), Ok(())),
                (Clerk, Do::Edit("notes", json!("x")), Err("closed")),
                (Reviewer, review(), Err("closed")),
            ],
            status: Status::Voided,
            sent_back: vec![],
        },
        Case {
            name: "a plain void cannot be withdrawn: only a void that met a shipment is settled",
            steps: vec![(Clerk, void(), Ok(())), (Manager, Do::Step(Action::Unvoid), Err("nothing_to_settle"))],
            status: Status::Voided,
            sent_back: vec![],
        },
    ];
    for case in cases {
        check(case);
    }
}

/// The edit table, every stage × role: `G` may change what approvals hold (sending the
/// order back if a step counts), `O` only phone and notes, `-` nothing. Written here
/// independently of `WORKFLOW`.
#[test]
fn the_edit_table_stage_by_stage() {
    let roles = [Clerk, Reviewer, Cashier, Logistics, Salesperson, Manager, Admin];
    #[rustfmt::skip]
    let table: [(&str, [&str; 7]); 6] = [
        //  stage          clerk reviewer cashier logistics salesperson manager admin
        ("entered",     ["G", "G", "-", "-", "G", "G", "G"]),
        ("reviewed",    ["G", "G", "-", "-", "-", "G", "G"]),
        ("audited",     ["O", "O", "-", "-", "-", "G", "G"]),
        ("handed_over", ["O", "O", "-", "-", "-", "G", "G"]),
        ("shipped",     ["-", "-", "-", "-", "-", "-", "-"]),
        ("voided",      ["-", "-", "-", "-", "-", "-", "-"]),
    ];
    for (stage, row) in table {
        for (role, may) in roles.iter().zip(row) {
            let at_stage = || {
                let mut d = Desk::new();
                d.by(Clerk, Do::Take).unwrap();
                let path: &[(Role, Do)] = match stage {
                    "entered" => &[],
                    "reviewed" => &[(Reviewer, review())],
                    "audited" => &[(Reviewer, review()), (Cashier, audit())],
                    "handed_over" => &[(Reviewer, review()), (Cashier, audit()), (Logistics, hand_over())],
                    "shipped" => &[(Reviewer, review()), (Cashier, audit()), (Logistics, ship())],
                    _ => &[(Clerk, void())],
                };
                for (r, d2) in path {
                    d.by(*r, d2.clone()).unwrap();
                }
                assert_eq!(d.view().status.code(), stage);
                d
            };
            let mut d = at_stage();
            let guarded = d.by(*role, Do::Edit("lines", lines(9, 100)));
            assert_eq!(guarded.is_ok(), may == "G", "{stage} × {role:?}: changing the lines");
            if guarded.is_ok() && stage != "entered" {
                assert_eq!(d.view().status, Status::Entered, "{stage} × {role:?}: sent back");
                assert!(d.view().needs_again().contains(&"review"), "{stage} × {role:?}: shown as sent back");
            }
            let mut d = at_stage();
            let other = d.by(*role, Do::Edit("notes", json!("请下午送")));
            assert_eq!(other.is_ok(), may != "-", "{stage} × {role:?}: changing the notes");
            assert_eq!(d.view().status.code(), stage, "{stage} × {role:?}: notes change no approval");
        }
    }
}

#[test]
fn an_edit_made_offline_before_the_review_arrives_after_the_cashiers_stamp_and_is_refused() {
    // The salesperson's phone saw the order as taken; reviewer and cashier act meanwhile.
    let mut desk = Desk::new();
    desk.by(Clerk, Do::Take).unwrap();
    let seen_by_phone = desk.state.clone();
    let offline = desk.change(Salesperson, &Do::Edit("lines", lines(60, 2200)), seen_by_phone.as_ref());
    desk.by(Reviewer, review()).unwrap();
    desk.by(Cashier, audit()).unwrap();
    assert_eq!(desk.send(Salesperson, &offline), Err("locked".to_string()));
    let v = desk.view();
    assert_eq!((v.status, v.total.0, v.stamp), (Status::Audited, 6600, Some(PaymentStamp::Paid)));
}

#[test]
fn an_edit_that_arrives_before_the_review_makes_the_stale_review_and_audit_refused() {
    let mut desk = Desk::new();
    desk.by(Clerk, Do::Take).unwrap();
    let seen = desk.state.clone();
    let review_seen = desk.change(Reviewer, &review(), seen.as_ref());
    desk.by(Salesperson, Do::Edit("lines", lines(60, 2200))).unwrap();
    assert_eq!(desk.send(Reviewer, &review_seen), Err("approved_changed".to_string()));
    assert_eq!(desk.view().status, Status::Entered);
    assert_eq!(desk.view().total.0, 132_000, "the edit stands, unapproved");
}

#[test]
fn a_shipment_that_crossed_an_edit_is_kept_and_shown_until_a_manager_corrects() {
    let mut desk = Desk::new();
    desk.by(Clerk, Do::Take).unwrap();
    desk.by(Reviewer, review()).unwrap();
    desk.by(Cashier, audit()).unwrap();
    let seen_by_warehouse = desk.state.clone();
    let shipped = desk.change(Logistics, &ship(), seen_by_warehouse.as_ref());
    desk.by(Manager, Do::Edit("lines", lines(4, 2200))).unwrap();
    assert_eq!(desk.send(Logistics, &shipped), Ok(()), "goods that left are never refused");
    let v = desk.view();
    assert_eq!(v.status, Status::Shipped);
    match &v.progress.conflicts[..] {
        [StepConflict::FactDiffers { step: "ship", diffs, before_ready: true, .. }] => {
            assert_eq!(diffs[0].field, "lines");
            assert_eq!(diffs[0].approved, lines(3, 2200));
        }
        other => panic!("expected the shipment to be shown as differing: {other:?}"),
    }
    assert!(offered_steps(desk.state.as_ref().unwrap(), Manager).contains(&"correct"));
    desk.by(Manager, Do::Correct("按实际发货 3 个", "lines", lines(3, 2200))).unwrap();
    assert!(desk.view().progress.conflicts.is_empty());
}

#[test]
fn a_void_that_meets_a_shipment_offers_withdrawing_it_or_confirming_it_with_an_intercept() {
    let setup = || {
        let mut desk = Desk::new();
        desk.by(Clerk, Do::Take).unwrap();
        desk.by(Reviewer, review()).unwrap();
        desk.by(Cashier, audit()).unwrap();
        let seen = desk.state.clone();
        let voided = desk.change(Clerk, &void(), seen.as_ref());
        desk.by(Logistics, ship()).unwrap();
        desk.send(Clerk, &voided).unwrap();
        desk
    };
    let desk = setup();
    let v = desk.view();
    assert_eq!(v.status, Status::Shipped);
    assert!(matches!(v.progress.cancelled, Cancelled::Contested { .. }));
    assert!(matches!(v.progress.conflicts[0], StepConflict::CancelledAndFact { .. }));
    let state = desk.state.clone().unwrap();
    assert_eq!(offered_steps(&state, Manager), vec!["unvoid", "confirm_void", "correct"]);
    assert_eq!(offered_steps(&state, Clerk), Vec::<&str>::new());

    let mut withdrawn = setup();
    withdrawn.by(Manager, Do::Step(Action::Unvoid)).unwrap();
    assert_eq!(withdrawn.view().status, Status::Shipped);
    assert!(withdrawn.view().progress.conflicts.is_empty());

    let mut confirmed = setup();
    confirmed.by(Manager, Do::Step(Action::ConfirmVoid)).unwrap();
    assert_eq!(confirmed.view().status, Status::Voided);
    assert!(matches!(confirmed.view().progress.cancelled, Cancelled::OverFact { .. }));
    assert_eq!(confirmed.view().void_reason.as_deref(), Some("客户取消"));
}

#[test]
fn a_step_impossible_from_what_its_author_saw_is_refused_and_a_concurrent_one_is_not() {
    let mut desk = Desk::new();
    desk.by(Clerk, Do::Take).unwrap();
    let as_taken = desk.state.clone();
    // Shipping an order one saw as just taken is a mistake, whatever happened since.
    let blind_ship = desk.change(Logistics, &ship(), as_taken.as_ref());
    desk.by(Reviewer, review()).unwrap();
    desk.by(Cashier, audit()).unwrap();
    assert_eq!(desk.send(Logistics, &blind_ship), Err("not_ready".to_string()));
    // A second review by someone who saw the first changes nothing: refused, with why.
    assert_eq!(desk.by(Reviewer, review()), Err("already_done".to_string()));
    // Two reviews made at once, neither seeing the other, are both fine.
    let mut twins = Desk::new();
    twins.by(Clerk, Do::Take).unwrap();
    let seen = twins.state.clone();
    let a = twins.change(Reviewer, &review(), seen.as_ref());
    let b = twins.change(Clerk, &review(), seen.as_ref());
    assert_eq!((twins.send(Reviewer, &a), twins.send(Clerk, &b)), (Ok(()), Ok(())));
    // Voiding an order one saw shipped is refused; one made before the shipment arrived
    // was concurrent, and becomes the conflict a manager settles.
    let mut d = Desk::new();
    d.by(Clerk, Do::Take).unwrap();
    d.by(Reviewer, review()).unwrap();
    d.by(Cashier, audit()).unwrap();
    d.by(Logistics, ship()).unwrap();
    assert_eq!(d.by(Clerk, void()), Err("closed".to_string()));
}

#[test]
fn the_steps_offered_are_the_ones_the_server_would_take() {
    let mut desk = Desk::new();
    desk.by(Clerk, Do::Take).unwrap();
    let offered = |d: &Desk, r: Role| offered_steps(d.state.as_ref().unwrap(), r);
    assert_eq!(offered(&desk, Clerk), vec!["review", "void"]);
    assert_eq!(offered(&desk, Cashier), Vec::<&str>::new());
    desk.by(Reviewer, review()).unwrap();
    assert_eq!(offered(&desk, Cashier), vec!["audit"]);
    assert_eq!(offered(&desk, Clerk), vec!["void"], "a counting review is not offered again");
    desk.by(Cashier, audit()).unwrap();
    assert_eq!(offered(&desk, Logistics), vec!["hand_over", "ship"]);
    desk.by(Logistics, ship()).unwrap();
    assert_eq!(offered(&desk, Logistics), Vec::<&str>::new());
    assert_eq!(offered(&desk, Manager), vec!["correct"]);
}

#[test]
fn the_history_names_who_changed_what_and_the_old_value() {
    let mut desk = Desk::new();
    desk.by(Clerk, Do::Take).unwrap();
    desk.by(Clerk, Do::Edit("lines", lines(5, 2200))).unwrap();
    let state = desk.state.unwrap();
    let entries: Vec<_> = state.log.values().collect();
    assert_eq!(entries.len(), 2);
    assert!(entries[0].old.is_empty(), "taking the order replaces nothing");
    assert_eq!(entries[1].old.get("lines"), Some(&lines(3, 2200)));
    assert_eq!((entries[1].role.as_str(), entries[1].name.as_str()), ("clerk", "某人"));
}
