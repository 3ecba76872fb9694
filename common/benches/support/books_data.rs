//! A branch's (or several branches') books as the people at the desk make them, for the
//! statement and ageing benchmarks: customers kept by a manager, orders typed by a clerk,
//! reviewed, audited by the cashier, handed to logistics and shipped (the 发货 step and its
//! shipment record), signed for, a few returned, and about half paid by weekly payments
//! the clerk records and the cashier confirms.
//!
//! Every change is built the way the screens build it (the drafts' `validate`, the typed
//! steps' `to_write` over the record as its maker sees it) and goes through the server's
//! own rules (`validate_change` with `DeskRules`), which stamp each record's history, so
//! the states are those the server would store. Deterministic: the same plan gives the
//! same records. No clock, no randomness source: `now_ms` and `today` are passed in.
//!
//! Shared by `common/benches/books.rs`, `backend/benches/books.rs` and
//! `tests/src/bin/bench_books.rs` (included with `#[path]`); each uses part of it.
#![allow(dead_code)]

use common::desk::customer::CustomerView;
use common::desk::kinds::{DeskLookup, DeskRules};
use common::desk::money::Fen;
use common::desk::order::{Action, LineDraft, OrderDraft, OrderView, PaymentStamp};
use common::desk::payments::{PaymentDraft, PAYMENT_WORKFLOW};
use common::desk::permissions::{Actor, Role};
use common::desk::shipping::{ShipAction, ShipmentDraft, Shipping, SHIPMENT_WORKFLOW};
use common::desk::time::Date;
use common::engine::hlc::Hlc;
use common::engine::ids::{ChangeId, OfficeCode, RecordId};
use common::engine::push::{validate_change, Author};
use common::engine::record::{Change, Kind, RecordState, StepWrite};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

/// What to make.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Branch office codes; each has its own people and customers.
    pub offices: Vec<&'static str>,
    pub customers_per_office: usize,
    /// Orders in all, spread evenly over the days and at random over the customers.
    pub orders: usize,
    /// The days the orders span, ending yesterday.
    pub days: i64,
    /// The office's today (the data ends the day before).
    pub today: Date,
    /// The server's time when the changes arrive (no change is stamped after it).
    pub now_ms: u64,
    /// The device number each office's clerk has (the server gives it at log-in; it is
    /// part of every order number); 1 if not given.
    pub clerk_device: BTreeMap<String, u32>,
    /// Keep every change (to push them over HTTP) beside the resulting states.
    pub keep_changes: bool,
    pub seed: u64,
}

impl Plan {
    /// One customer of one branch (FS) with `orders` orders over a year.
    pub fn one_customer(orders: usize, today: Date, now_ms: u64) -> Plan {
        Plan {
            offices: vec!["FS"],
            customers_per_office: 1,
            orders,
            days: 365,
            today,
            now_ms,
            clerk_device: BTreeMap::new(),
            keep_changes: false,
            seed: 1,
        }
    }

    /// `orders` orders over 100 customers of two branches (FS, SZ), over a year.
    pub fn two_branches(orders: usize, today: Date, now_ms: u64) -> Plan {
        Plan { offices: vec!["FS", "SZ"], customers_per_office: 50, ..Plan::one_customer(orders, today, now_ms) }
    }
}

/// Someone at a branch, with their own device (clock node, change sequence).
#[derive(Clone, Debug)]
pub struct Person {
    pub username: String,
    pub name: String,
    pub role: Role,
    pub office: OfficeCode,
    pub device: u32,
    pub node: u64,
    pub seq: u64,
}

impl Person {
    pub fn actor(&self) -> Actor {
        Actor { username: self.username.clone(), role: self.role, office: self.office.clone(), is_hq: false }
    }

    fn author(&self) -> Author {
        Author {
            username: self.username.clone(),
            name: self.name.clone(),
            role: self.role.code().into(),
            office: self.office.clone(),
            device: self.device,
        }
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub struct Counts {
    pub customers: usize,
    pub orders: usize,
    pub shipments: usize,
    pub receipts: usize,
    pub returns: usize,
    pub payments: usize,
    pub allocations: usize,
    pub changes: usize,
}

pub struct Data {
    pub people: Vec<Person>,
    /// Every change in the order it was made (person index, change), if kept: grouped by
    /// step, so one person's changes come in long runs (pushes of hundreds).
    pub changes: Vec<(usize, Change)>,
    /// The records as the server stores them.
    pub states: Vec<RecordState>,
    /// (id, office, name) of every customer, in the order made.
    pub customers: Vec<(RecordId, OfficeCode, String)>,
    pub counts: Counts,
}

impl Data {
    pub fn customer_view(&self, n: usize) -> CustomerView {
        let id = self.customers[n].0;
        let state = self.states.iter().find(|s| s.kind == Kind::CUSTOMER && s.id == id).expect("customer");
        CustomerView::from_record(state)
    }
}

/// splitmix64: deterministic and good enough to pick products and days.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// (model, name, unit, price in fen): the demo catalogue's sanitary ware.
const PRODUCTS: [(&str, &str, &str, i64); 12] = [
    ("AJ-8801", "单把手面盆龙头", "个", 12_800),
    ("AJ-8803", "单把手面盆龙头", "个", 14_850),
    ("AJ-6602", "恒温淋浴花洒", "套", 47_050),
    ("AJ-1201", "三角阀", "个", 1_800),
    ("AJ-1505", "不锈钢编织软管", "根", 900),
    ("AJ-3101", "防臭地漏", "个", 3_500),
    ("AJ-7001", "连体座便器", "台", 98_000),
    ("AJ-5203", "台上盆", "个", 28_000),
    ("AJ-4002", "厨房水槽", "个", 33_050),
    ("AJ-2301", "角阀", "个", 2_200),
    ("AJ-9508", "浴室柜组合", "套", 172_000),
    ("AJ-1203", "三角阀", "个", 2_000),
];

const STATIONS: [(&str, &str, &str); 4] = [
    ("德邦物流", "0757-8223 1001", "DB-6601"),
    ("安能物流", "0757-8223 1002", "AN-2290"),
    ("顺丰快运", "95338", "SF-88123"),
    ("天地华宇", "0757-8223 1007", "TD-3021"),
];

const CUSTOMER_NAMES: [&str; 10] = [
    "美居建材商行",
    "恒发水暖批发部",
    "金鑫五金店",
    "华美装饰工程公司",
    "宏达建材城",
    "新时代卫浴馆",
    "众诚水电安装部",
    "佳家乐装修队",
    "利民五金水暖",
    "安居房产开发公司",
];

const SALESPEOPLE: [&str; 8] = ["王芳", "李伟", "张敏", "刘静", "陈强", "杨磊", "黄娜", "周杰"];

const ROLES: [(Role, &str); 5] = [
    (Role::Clerk, "内勤"),
    (Role::Reviewer, "复核"),
    (Role::Cashier, "收银"),
    (Role::Logistics, "物流"),
    (Role::Manager, "经理"),
];

/// Local midnight of `day` at +08:00, in UTC milliseconds.
fn midnight_ms(day: Date) -> u64 {
    (day.days() * 86_400_000 - 8 * 3_600_000) as u64
}

fn yuan(f: Fen) -> String {
    format!("{}.{:02}", f.0 / 100, f.0 % 100)
}

/// The server's store while the data is made: the rules consult it for the order a
/// shipment or a return names.
#[derive(Default)]
struct Store {
    records: HashMap<RecordId, RecordState>,
}

impl DeskLookup for Store {
    fn order(&self, id: RecordId) -> Option<RecordState> {
        self.records.get(&id).filter(|s| s.kind == Kind::ORDER).cloned()
    }
}

struct Maker {
    plan: Plan,
    /// Which office of the plan: part of every id made, so offices made apart never clash.
    office_n: u128,
    people: Vec<Person>,
    store: Store,
    changes: Vec<(usize, Change)>,
    /// Stamps given per (person, day, hour): each change gets its own second.
    stamps: HashMap<(usize, i64, u64), u64>,
    next_id: u128,
    counts: Counts,
}

impl Maker {
    fn person(&self, office: &OfficeCode, role: Role) -> usize {
        self.people.iter().position(|p| p.office == *office && p.role == role).expect("person")
    }

    fn new_id(&mut self, kind: u128) -> RecordId {
        self.next_id += 1;
        RecordId(uuid::Uuid::from_u128(
            (0x5D_B00C << 104)
                | (u128::from(self.plan.seed) << 76)
                | (self.office_n << 68)
                | (kind << 64)
                | self.next_id,
        ))
    }

    /// A time on `day` at `hour` (office time) for `who`, never after `now_ms`.
    fn stamp(&mut self, who: usize, day: Date, hour: u64) -> Hlc {
        let n = self.stamps.entry((who, day.days(), hour)).or_insert(0);
        *n += 1;
        let wall = midnight_ms(day) + hour * 3_600_000 + *n * 1_000;
        Hlc { wall_ms: wall.min(self.plan.now_ms), counter: 0, node: self.people[who].node }
    }

    /// One change by `who`, through the server's rules; panics if they refuse it (the
    /// data must be what the desk could really make).
    fn make(
        &mut self,
        who: usize,
        kind: Kind,
        record: RecordId,
        ts: Hlc,
        values: BTreeMap<String, Value>,
        event: Option<StepWrite>,
    ) {
        let person = &mut self.people[who];
        person.seq += 1;
        let office = person.office.clone();
        let existing = self.store.records.remove(&record);
        let set = match &existing {
            Some(s) => s.writes_for(&values),
            None => RecordState::new(kind, record, office.clone()).writes_for(&values),
        };
        let change = Change {
            id: ChangeId(uuid::Uuid::from_u128(
                (0xC4A6 << 112)
                    | (u128::from(self.plan.seed) << 84)
                    | (self.office_n << 76)
                    | self.counts.changes as u128,
            )),
            seq: person.seq,
            kind,
            record,
            office,
            ts,
            by: person.username.clone(),
            set,
            event,
        };
        self.counts.changes += 1;
        let person = &self.people[who];
        let actor = person.actor();
        let rules = DeskRules { actor: &actor, device: person.device, lookup: &self.store };
        let state = validate_change(&rules, &person.author(), &change, existing, self.plan.now_ms)
            .unwrap_or_else(|r| panic!("the rules refused a {kind} change: {:?} {:?}", r.code, r.message));
        self.store.records.insert(record, state);
        if self.plan.keep_changes {
            self.changes.push((who, change));
        }
    }

    fn step(
        &mut self,
        who: usize,
        kind: Kind,
        record: RecordId,
        ts: Hlc,
        write: impl FnOnce(&RecordState) -> StepWrite,
    ) {
        let event = write(&self.store.records[&record]);
        self.make(who, kind, record, ts, BTreeMap::new(), Some(event));
    }
}

/// One order as made: who it is for and when things happened to it.
struct Made {
    id: RecordId,
    customer: usize,
    day: Date,
    shipped: Date,
    shipment: RecordId,
    total: Fen,
    pay: bool,
}

/// The books of every office of the plan, each made on its own thread (the offices'
/// records are independent), then put together: people and changes office by office.
pub fn generate(plan: &Plan) -> Data {
    let parts: Vec<Data> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..plan.offices.len()).map(|o| scope.spawn(move || generate_office(plan, o))).collect();
        handles.into_iter().map(|h| h.join().expect("generating an office's books")).collect()
    });
    let mut all = Data {
        people: Vec::new(),
        changes: Vec::new(),
        states: Vec::new(),
        customers: Vec::new(),
        counts: Counts::default(),
    };
    for part in parts {
        let offset = all.people.len();
        all.people.extend(part.people);
        all.changes.extend(part.changes.into_iter().map(|(who, c)| (who + offset, c)));
        all.states.extend(part.states);
        all.customers.extend(part.customers);
        let (a, b) = (&mut all.counts, part.counts);
        a.customers += b.customers;
        a.orders += b.orders;
        a.shipments += b.shipments;
        a.receipts += b.receipts;
        a.returns += b.returns;
        a.payments += b.payments;
        a.allocations += b.allocations;
        a.changes += b.changes;
    }
    all
}

/// One branch's books: `plan.offices[o]`, its share of the orders.
fn generate_office(plan: &Plan, o: usize) -> Data {
    let code = plan.offices[o];
    let mut rng = Rng(plan.seed ^ (o as u64) << 32);
    let yesterday = plan.today.plus_days(-1);
    let first = plan.today.plus_days(-plan.days);
    let n_offices = plan.offices.len();
    let orders = plan.orders / n_offices + usize::from(o < plan.orders % n_offices);
    let mut people = Vec::new();
    {
        for (r, (role, label)) in ROLES.iter().enumerate() {
            let device = if *role == Role::Clerk { plan.clerk_device.get(code).copied().unwrap_or(1) } else { 1 };
            people.push(Person {
                username: format!("{}_{}", code.to_lowercase(), role.code()),
                name: format!("{code}{label} {}", SALESPEOPLE[(o * 5 + r) % SALESPEOPLE.len()]),
                role: *role,
                office: OfficeCode::parse(code).expect("office code"),
                device,
                node: 0x5D00 + (o * 16 + r) as u64,
                seq: 0,
            });
        }
    }
    let mut m = Maker {
        plan: plan.clone(),
        office_n: o as u128,
        people,
        store: Store::default(),
        changes: Vec::new(),
        stamps: HashMap::new(),
        next_id: 0,
        counts: Counts::default(),
    };

    // Customers, kept by each branch's manager: monthly terms, an owning salesperson.
    let mut customers: Vec<(RecordId, OfficeCode, String, usize)> = Vec::new();
    {
        let office = OfficeCode::parse(code).expect("office code");
        let manager = m.person(&office, Role::Manager);
        for c in 0..plan.customers_per_office {
            let id = m.new_id(1);
            let name = match c {
                c if c < CUSTOMER_NAMES.len() => format!("{code}{}", CUSTOMER_NAMES[c]),
                c => format!("{code}{}{}", CUSTOMER_NAMES[c % CUSTOMER_NAMES.len()], c / CUSTOMER_NAMES.len()),
            };
            let station = STATIONS[c % STATIONS.len()];
            let values: BTreeMap<String, Value> = [
                ("name", json!(name)),
                ("phone", json!(format!("13{}{:08}", 5 + o, 12_340_000 + c * 1_111))),
                (
                    "contact",
                    json!(format!("{}先生", SALESPEOPLE[c % SALESPEOPLE.len()].chars().next().unwrap_or('王'))),
                ),
                ("address", json!(format!("佛山市顺德区大良街道{}号", 10 + c * 7))),
                ("station", json!(station.0)),
                ("station_contract", json!(station.2)),
                ("payment", json!("monthly")),
                ("salesperson", json!(SALESPEOPLE[(o * 4 + c % 4) % SALESPEOPLE.len()])),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
            let ts = m.stamp(manager, first.plus_days(-1), 9);
            m.make(manager, Kind::CUSTOMER, id, ts, values, None);
            customers.push((id, office.clone(), name, o));
            m.counts.customers += 1;
        }
    }

    // Orders, typed by each branch's clerk, evenly over the days.
    let mut made: Vec<Made> = Vec::with_capacity(orders);
    let mut numbers: HashMap<(usize, i64), u32> = HashMap::new();
    for k in 0..orders {
        let day = first.plus_days((k as i64 * plan.days) / orders as i64);
        let c = rng.below(customers.len() as u64) as usize;
        let (customer, office, name, o) = customers[c].clone();
        let station = STATIONS[c % STATIONS.len()];
        let lines: Vec<LineDraft> = (0..2 + rng.below(4))
            .map(|_| {
                let (model, pname, unit, price) = PRODUCTS[rng.below(PRODUCTS.len() as u64) as usize];
                LineDraft {
                    product: None,
                    model: model.into(),
                    name: pname.into(),
                    quantity: (1 + rng.below(40)).to_string(),
                    unit: unit.into(),
                    unit_price: yuan(Fen(price)),
                }
            })
            .collect();
        let draft = OrderDraft {
            customer: Some(customer),
            customer_name: name.clone(),
            phone: format!("13{}{:08}", 5 + o, 12_340_000 + c * 1_111),
            address: format!("佛山市顺德区大良街道{}号", 10 + c * 7),
            station: station.0.into(),
            station_contract: station.2.into(),
            delivery_date: day.plus_days(2).to_string(),
            payment: "monthly".into(),
            notes: String::new(),
            lines,
            read_back: false,
        };
        let fields = draft.validate().unwrap_or_else(|e| panic!("order draft: {e:?}"));
        let clerk = m.person(&office, Role::Clerk);
        let seq = numbers.entry((o, day.days())).or_insert(0);
        *seq += 1;
        let number = format!("{}-{}-{:02}-{:03}", office, day.compact(), m.people[clerk].device, seq);
        let mut values = fields.to_values();
        values.insert("number".into(), json!(number));
        let id = m.new_id(0);
        let ts = m.stamp(clerk, day, 9);
        m.make(clerk, Kind::ORDER, id, ts, values, None);
        let shipped = day.plus_days(rng.below(3) as i64).min(yesterday);
        made.push(Made {
            id,
            customer: c,
            day,
            shipped,
            shipment: RecordId(uuid::Uuid::nil()),
            total: fields.total(),
            pay: rng.chance(55),
        });
        m.counts.orders += 1;
    }

    // 复核, 审核, 交物流, 发货: each by its own person, in runs.
    for (role, hour) in [(Role::Reviewer, 10), (Role::Cashier, 11), (Role::Logistics, 13)] {
        for o in &made {
            let office = &customers[o.customer].1;
            let who = m.person(office, role);
            let ts = m.stamp(who, o.day, hour);
            let action = match role {
                Role::Reviewer => Action::Review,
                Role::Cashier => Action::Audit { stamp: PaymentStamp::Receivable },
                _ => Action::hand_over("仓库 老陈"),
            };
            m.step(who, Kind::ORDER, o.id, ts, |s| action.to_write(Some(s)));
        }
    }
    // The shipment form: everything left to ship, one waybill; the 发货 step names it.
    let mut shipments: Vec<(RecordId, BTreeMap<String, Value>, Date, usize)> = Vec::new();
    for (n, o) in made.iter_mut().enumerate() {
        let office = customers[o.customer].1.clone();
        let who = m.person(&office, Role::Logistics);
        let view = OrderView::from_record(&m.store.records[&o.id]);
        let station = STATIONS[o.customer % STATIONS.len()];
        let mut draft = ShipmentDraft::for_order(&view, &Shipping::default(), o.shipped, station.1);
        draft.waybills = vec![(format!("{}{:07}", &station.2[..2], n + 1), (1 + n % 6).to_string())];
        draft.quantities = view.lines.iter().map(|l| l.quantity.to_string()).collect();
        let fields = draft.validate(&view, o.shipped).unwrap_or_else(|e| panic!("shipment draft: {e:?}"));
        let shipment = m.new_id(2);
        o.shipment = shipment;
        let ts = m.stamp(who, o.shipped, 15);
        let action = fields.ship_action(shipment);
        m.step(who, Kind::ORDER, o.id, ts, |s| action.to_write(Some(s)));
        shipments.push((shipment, fields.to_values(), o.shipped, who));
    }
    for (id, values, day, who) in shipments {
        let ts = m.stamp(who, day, 16);
        m.make(who, Kind::SHIPMENT, id, ts, values, None);
        m.counts.shipments += 1;
    }
    // 签收: the customer confirms receipt two days later (if that day has come).
    for o in &made {
        let signed = o.shipped.plus_days(2);
        if signed > yesterday {
            continue;
        }
        let office = customers[o.customer].1.clone();
        let who = m.person(&office, Role::Clerk);
        let ts = m.stamp(who, signed, 10);
        let receipt =
            ShipAction::Receipt { date: signed.to_string(), signer: "收货人 李先生".into(), letter: false };
        m.step(who, Kind::SHIPMENT, o.shipment, ts, |s| receipt.to_write(&SHIPMENT_WORKFLOW, Some(s)));
        m.counts.receipts += 1;
    }
    // 返货: one order in forty sends one piece of its first line back.
    for (n, o) in made.iter().enumerate() {
        let back = o.shipped.plus_days(4);
        if !n.is_multiple_of(40) || back > yesterday {
            continue;
        }
        let office = customers[o.customer].1.clone();
        let who = m.person(&office, Role::Clerk);
        let view = OrderView::from_record(&m.store.records[&o.id]);
        let line = &view.lines[0];
        let station = STATIONS[o.customer % STATIONS.len()];
        let values: BTreeMap<String, Value> = [
            ("kind", json!("return")),
            ("station", json!(station.0)),
            ("station_phone", json!(station.1)),
            ("packages", json!(1)),
            ("freight", json!(1_500)),
            ("order", json!(o.id)),
            ("order_number", json!(view.number)),
            ("shipment", json!(o.shipment)),
            ("lines", json!([{"line": 0, "model": line.model, "name": line.name, "quantity": 1}])),
            ("date", json!(back.to_string())),
            ("notes", json!("破损退回")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let id = m.new_id(3);
        let ts = m.stamp(who, back, 12);
        m.make(who, Kind::STATION_LOG, id, ts, values, None);
        m.counts.returns += 1;
    }
    // 回款: each customer pays weekly for the chosen orders shipped at least 30 days
    // before; the clerk records the payment against them, the cashier confirms it.
    let mut payments: Vec<(RecordId, Date, usize)> = Vec::new();
    for (c, (customer, office, name, _)) in customers.iter().enumerate() {
        let mine: Vec<&Made> = made.iter().filter(|o| o.customer == c && o.pay).collect();
        let clerk = m.person(office, Role::Clerk);
        let mut next = 0;
        let mut payday = first.plus_days(30 + (c % 7) as i64);
        while payday <= yesterday && next < mine.len() {
            let due: Vec<&Made> =
                mine[next..].iter().take_while(|o| o.shipped.plus_days(30) <= payday).take(200).copied().collect();
            if !due.is_empty() {
                next += due.len();
                let amount = due.iter().fold(Fen::ZERO, |a, o| a.checked_add(o.total).unwrap_or(a));
                let draft = PaymentDraft {
                    customer: Some(*customer),
                    customer_name: name.clone(),
                    amount: yuan(amount),
                    date: payday.to_string(),
                    method: "transfer".into(),
                    reference: format!("BOC-{}-{:05}", payday.compact(), m.counts.payments + 1),
                    notes: String::new(),
                    allocations: due
                        .iter()
                        .map(|o| {
                            let number = m.store.records[&o.id].get_str("number").to_string();
                            (o.id, number, yuan(o.total), o.total)
                        })
                        .collect(),
                };
                let values = draft.validate(plan.today).unwrap_or_else(|e| panic!("payment draft: {e:?}"));
                let id = m.new_id(4);
                let ts = m.stamp(clerk, payday, 10);
                m.make(clerk, Kind::PAYMENT, id, ts, values, None);
                payments.push((id, payday, m.person(office, Role::Cashier)));
                m.counts.payments += 1;
                m.counts.allocations += due.len();
            }
            payday = payday.plus_days(7);
        }
    }
    for (id, day, cashier) in payments {
        let ts = m.stamp(cashier, day, 14);
        m.step(cashier, Kind::PAYMENT, id, ts, |s| PAYMENT_WORKFLOW.step_write(Some(s), "confirm", BTreeMap::new()));
    }

    let Maker { people, store, changes, counts, .. } = m;
    let mut states: Vec<RecordState> = store.records.into_values().collect();
    states.sort_by_key(|s| (s.kind.as_str().to_string(), s.id));
    Data {
        people,
        changes,
        states,
        customers: customers.into_iter().map(|(id, office, name, _)| (id, office, name)).collect(),
        counts,
    }
}
