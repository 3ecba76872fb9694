//! Seeded, deterministic simulation of Salesdesk's sync (proptest, with shrinking).
//!
//! Two to eight replicas — head office, branches, phones — edit random fields of random
//! orders and act on them, while the network between them and the server reorders,
//! duplicates and drops messages, replicas are partitioned away and restarted (losing what
//! was in flight, keeping what was stored), device clocks are off by up to a day, and the
//! server is put back to an earlier backup (losing what it acknowledged since, which the
//! devices then send back).
//! The server runs the real push rules (`common::engine::push::process_push`) over memory.
//! After everything heals and every replica has synced, we check:
//! - convergence: every replica holds exactly the server's state (equal digests) for every
//!   record it may see, and nothing else;
//! - no lost edit: each field's live versions are exactly the applied writes that no
//!   applied write replaced (computed independently from the server's log), so every
//!   acknowledged write is either live or was seen and replaced by a later one, and
//!   concurrent different values stay visible as conflicts;
//! - no silent skip: every change a replica made was applied or is still listed as refused,
//!   with its reason.
//!
//! `SIM_CASES=100000 cargo test -p common --release --test simulation` runs far more;
//! `SIM_SEED=n` picks another seed.

use common::desk::kinds::DeskRules;
use common::desk::order::{Action, LineDraft, OrderDraft, OrderView, PaymentStamp, Status, WORKFLOW};
use common::desk::permissions::{Actor, Role};
use common::engine::hlc::Hlc;
use common::engine::ids::{ChangeId, ClientId, OfficeCode, RecordId};
use common::engine::push::{process_push, process_recovery, Author, Store};
use common::engine::record::{Change, Kind, RecordState};
use common::engine::replica::Replica;
use common::engine::wire::{
    ChangeResult, Outcome, PullResponse, PushResponse, PushedChange, RecoverRequest, ScopeDigest, PROTOCOL_VERSION,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::convert::Infallible;

const DAY_MS: i64 = 24 * 3600 * 1000;
/// 2026-11-28 in China: the day of the order numbers the replicas give.
const START_MS: u64 = 1_795_860_000_000;
const OFFICES: [&str; 3] = ["HQ", "BA", "BB"];

// ---------------------------------------------------------------- the server, in memory

#[derive(Default, Clone)]
struct MemServer {
    records: BTreeMap<(Kind, RecordId), (u64, RecordState)>,
    next_seq: u64,
    last_seq: HashMap<ClientId, u64>,
    settled: HashMap<(ClientId, u64), ChangeResult>,
    ids: BTreeSet<ChangeId>,
    applied: Vec<Change>,
    /// Each applied change with the record as it stood just before, and the author's role.
    history: Vec<(Change, Option<RecordState>, Role)>,
    unique: BTreeMap<(Kind, String, String), RecordId>,
    /// The record the push rules loaded last: the state the next logged change met.
    loaded: Option<RecordState>,
    role: Option<Role>,
}

impl Store for MemServer {
    type Error = Infallible;
    fn last_seq(&mut self, client: ClientId) -> Result<u64, Infallible> {
        Ok(self.last_seq.get(&client).copied().unwrap_or(0))
    }
    fn set_last_seq(&mut self, client: ClientId, seq: u64) -> Result<(), Infallible> {
        self.last_seq.insert(client, seq);
        Ok(())
    }
    fn settled(&mut self, client: ClientId, seq: u64, id: ChangeId) -> Result<Option<ChangeResult>, Infallible> {
        Ok(self.settled.get(&(client, seq)).filter(|r| r.id == id).cloned())
    }
    fn change_id_exists(&mut self, id: ChangeId) -> Result<bool, Infallible> {
        Ok(self.ids.contains(&id))
    }
    fn load(&mut self, kind: Kind, id: RecordId) -> Result<Option<RecordState>, Infallible> {
        self.loaded = self.records.get(&(kind, id)).map(|(_, s)| s.clone());
        Ok(self.loaded.clone())
    }
    fn save(&mut self, state: &RecordState) -> Result<(), Infallible> {
        self.next_seq += 1;
        self.records.insert((state.kind, state.id), (self.next_seq, state.clone()));
        Ok(())
    }
    fn unique_owner(&mut self, kind: Kind, field: &str, value: &str) -> Result<Option<RecordId>, Infallible> {
        Ok(self.unique.get(&(kind, field.to_string(), value.to_string())).copied())
    }
    fn claim_unique(&mut self, kind: Kind, field: &str, value: &str, record: RecordId) -> Result<(), Infallible> {
        self.unique.insert((kind, field.to_string(), value.to_string()), record);
        Ok(())
    }
    fn log(&mut self, client: ClientId, pushed: &PushedChange, result: &ChangeResult) -> Result<(), Infallible> {
        let PushedChange::Change(change) = pushed else {
            self.settled.insert((client, pushed.seq()), result.clone());
            return Ok(());
        };
        self.ids.insert(change.id);
        self.settled.insert((client, change.seq), result.clone());
        if result.outcome == Outcome::Applied {
            self.applied.push(change.clone());
            self.history.push((change.clone(), self.loaded.take(), self.role.unwrap_or(Role::Admin)));
        }
        Ok(())
    }
}

struct Server {
    store: MemServer,
    clock: common::engine::hlc::Clock,
    /// The store's identity: a new one on each restore.
    identity: u64,
    backup: Option<MemServer>,
    /// Changes applied since the backup when it was put back.
    lost: BTreeSet<ChangeId>,
}

impl Server {
    fn push(&mut self, actor: &Actor, device: u32, req: &common::engine::wire::PushRequest, now: u64) -> PushResponse {
        let author = Author {
            username: actor.username.clone(),
            name: actor.username.clone(),
            role: actor.role.code().into(),
            office: actor.office.clone(),
            device,
        };
        let req = common::engine::wire::IncomingPush::from(req.clone());
        self.store.role = Some(actor.role);
        match process_push(&mut self.store, &DeskRules::for_actor(actor, device), &author, &req, &mut self.clock, now) {
            Ok(r) => PushResponse { store: Some(self.store_id()), ..r },
            Err(never) => match never {},
        }
    }

    fn store_id(&self) -> String {
        format!("store-{}", self.identity)
    }

    /// Puts the backup back. What happened since is lost to the store, but not to the
    /// oracle (`applied`, `history`): every acknowledged change must come back.
    fn restore(&mut self) {
        let Some(backup) = self.backup.clone() else { return };
        let applied = std::mem::take(&mut self.store.applied);
        let history = std::mem::take(&mut self.store.history);
        self.lost.extend(applied[backup.applied.len()..].iter().map(|c| c.id));
        self.store = MemServer { applied, history, ..backup };
        self.identity += 1;
    }

    fn recover(&mut self, actor: &Actor, device: u32, req: &RecoverRequest) -> bool {
        if req.store != self.store_id() {
            return false;
        }
        let id = self.store_id();
        let may_write = |r: &RecordState| actor.may_write(r.kind, &r.office);
        match process_recovery(&mut self.store, &DeskRules::for_actor(actor, device), may_write, req, &id) {
            Ok(resp) => resp.refused.is_empty() || panic!("recovery refused {:?}", resp.refused),
            Err(never) => match never {},
        }
    }

    fn pull(&self, actor: &Actor, cursor: u64, limit: usize) -> PullResponse {
        let mut rows: Vec<&(u64, RecordState)> =
            self.store.records.values().filter(|(seq, s)| *seq > cursor && actor.can_read(s.kind, &s.office)).collect();
        rows.sort_by_key(|(seq, _)| *seq);
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next = rows.last().map(|(seq, _)| *seq).unwrap_or(cursor);
        PullResponse {
            protocol: PROTOCOL_VERSION,
            records: rows.into_iter().map(|(_, s)| s.clone()).collect(),
            cursor: next,
            more,
            server_time: self.clock.last,
            store: Some(self.store_id()),
            total: None,
            digest: (!more).then(|| {
                ScopeDigest::of(
                    self.store.records.values().map(|(_, s)| s).filter(|s| actor.can_read(s.kind, &s.office)),
                )
            }),
        }
    }
}

// ---------------------------------------------------------------- replicas and network

struct Node {
    actor: Actor,
    replica: Replica,
    skew_ms: i64,
    epoch: u64,
    partitioned: bool,
    made: Vec<ChangeId>,
    /// Changes this device was told were applied.
    acked: BTreeSet<ChangeId>,
    created: u32,
}

impl Node {
    fn now(&self, global: u64) -> u64 {
        (global as i64 + self.skew_ms) as u64
    }

    fn on_push(&mut self, resp: &PushResponse, now: u64) -> common::engine::replica::PushEffects {
        let waiting: BTreeSet<ChangeId> = self.replica.outbox.keys().copied().collect();
        let fx = self.replica.on_push(resp, now);
        for r in &resp.results {
            if r.outcome == Outcome::Applied && waiting.contains(&r.id) {
                self.acked.insert(r.id);
            }
        }
        fx
    }
}

#[derive(Clone, Debug)]
enum Msg {
    Push {
        node: usize,
        epoch: u64,
        req: common::engine::wire::PushRequest,
    },
    PushResp {
        node: usize,
        epoch: u64,
        resp: PushResponse,
    },
    /// `store`: the store the device's cursor counts in, when it asked.
    Pull {
        node: usize,
        epoch: u64,
        cursor: u64,
        store: Option<String>,
    },
    PullResp {
        node: usize,
        epoch: u64,
        resp: PullResponse,
        store: Option<String>,
    },
}

impl Msg {
    fn node(&self) -> usize {
        match self {
            Msg::Push { node, .. }
            | Msg::PushResp { node, .. }
            | Msg::Pull { node, .. }
            | Msg::PullResp { node, .. } => *node,
        }
    }
}

#[derive(Clone, Debug)]
struct NodeSpec {
    office: usize,
    role: Role,
    skew_ms: i64,
}

#[derive(Clone, Debug)]
enum Op {
    Create(usize),
    Edit { node: usize, pick: usize, field: usize, value: u8 },
    Act { node: usize, pick: usize, action: u8 },
    Settle { node: usize, pick: usize },
    Sync(usize),
    Deliver(usize),
    Duplicate(usize),
    Drop(usize),
    Restart(usize),
    Partition(usize),
    Tick(u32),
    Backup,
    Restore,
}

const FIELDS: [&str; 5] = ["phone", "notes", "address", "station", "lines"];

fn field_value(field: &str, v: u8) -> Value {
    let v = v % 3;
    match field {
        "phone" => json!(format!("138 0000 000{v}")),
        "lines" => {
            json!([{"model": format!("AJ-880{v}"), "name": "龙头", "quantity": 1 + i64::from(v), "unit": "个", "unit_price": 12800}])
        }
        other => json!(format!("{other}-{v}")),
    }
}

fn action(a: u8) -> Action {
    match a % 10 {
        0 | 5 => Action::Review,
        1 | 6 => Action::Audit { stamp: PaymentStamp::Collect },
        2 => Action::hand_over("王五"),
        3 => Action::Ship { waybill: "DB123".into(), packages: 2, shipment: None },
        4 => Action::Void { reason: "客户取消".into() },
        7 => Action::Unvoid,
        8 => Action::ConfirmVoid,
        _ => Action::Correct { reason: "实发数量".into() },
    }
}

struct World {
    server: Server,
    nodes: Vec<Node>,
    net: Vec<Msg>,
    global_ms: u64,
    rand: u64,
}

impl World {
    fn new(specs: &[NodeSpec]) -> World {
        let nodes = specs
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let office = OfficeCode::parse(OFFICES[s.office]).unwrap();
                let actor = Actor { username: format!("user{i}"), role: s.role, is_hq: s.office == 0, office };
                let client = ClientId(uuid::Uuid::from_u128(0xC000 + i as u128));
                Node {
                    actor,
                    replica: Replica::new(client, 0x100 + i as u64),
                    skew_ms: s.skew_ms,
                    epoch: 0,
                    partitioned: false,
                    made: Vec::new(),
                    acked: BTreeSet::new(),
                    created: 0,
                }
            })
            .collect();
        World {
            server: Server {
                store: MemServer::default(),
                clock: common::engine::hlc::Clock::new(0xFFFF),
                identity: 1,
                backup: None,
                lost: BTreeSet::new(),
            },
            nodes,
            net: Vec::new(),
            global_ms: START_MS,
            rand: 1,
        }
    }

    fn random(&mut self) -> [u8; 10] {
        self.rand += 1;
        // Bytes 2..10 carry 62 bits into a UUIDv7: the counter goes there, big-endian.
        let mut b = [0u8; 10];
        b[2..].copy_from_slice(&self.rand.to_be_bytes());
        b
    }

    fn visible_orders(&self, n: usize) -> Vec<RecordId> {
        self.nodes[n].replica.all(Kind::ORDER).map(|s| s.id).collect()
    }

    fn edit(&mut self, n: usize, id: RecordId, values: BTreeMap<String, Value>, action: Option<Action>) {
        let random = self.random();
        let now = self.nodes[n].now(self.global_ms);
        let node = &mut self.nodes[n];
        let office = node.actor.office.clone();
        let by = node.actor.username.clone();
        // A step approves the order as this device shows it.
        let event = action.map(|a| a.to_write(node.replica.get(Kind::ORDER, id)));
        if let Some(c) = node.replica.edit(Kind::ORDER, id, &office, &values, event, &by, now, random) {
            node.made.push(c.id);
        }
    }

    fn step(&mut self, op: &Op) {
        let len = self.nodes.len();
        match *op {
            Op::Create(n) => {
                let n = n % len;
                self.nodes[n].created += 1;
                let node = &self.nodes[n];
                let number = format!("{}-261128-{:02}-{:03}", node.actor.office, n + 1, node.created);
                let draft = OrderDraft {
                    customer_name: "美居建材".into(),
                    payment: "monthly".into(),
                    lines: vec![LineDraft {
                        model: "AJ-8801".into(),
                        quantity: "2".into(),
                        unit_price: "128".into(),
                        ..Default::default()
                    }],
                    ..Default::default()
                };
                let mut values = draft.validate().unwrap().to_values();
                values.insert("number".into(), json!(number));
                let id = RecordId(common::engine::ids::uuid_v7(self.global_ms, self.random()));
                self.edit(n, id, values, None);
            }
            Op::Edit { node, pick, field, value } => {
                let n = node % len;
                let orders = self.visible_orders(n);
                if let Some(id) = orders.get(pick % orders.len().max(1)) {
                    let f = FIELDS[field % FIELDS.len()];
                    self.edit(n, *id, [(f.to_string(), field_value(f, value))].into(), None);
                }
            }
            Op::Act { node, pick, action: a } => {
                let n = node % len;
                let orders = self.visible_orders(n);
                if let Some(id) = orders.get(pick % orders.len().max(1)) {
                    let act = action(a);
                    // A correction changes the lines as it corrects them.
                    let values = match act {
                        Action::Correct { .. } => [("lines".to_string(), field_value("lines", a / 9))].into(),
                        _ => BTreeMap::new(),
                    };
                    self.edit(n, *id, values, Some(act));
                }
            }
            Op::Settle { node, pick } => {
                let n = node % len;
                let conflicted: Vec<(RecordId, String, Value)> = self.nodes[n]
                    .replica
                    .all(Kind::ORDER)
                    .flat_map(|s| s.conflicts().into_iter().map(move |c| (s.id, c.field, c.versions[0].1.clone())))
                    .collect();
                if let Some((id, field, value)) = conflicted.get(pick % conflicted.len().max(1)).cloned() {
                    self.edit(n, id, [(field, value)].into(), None);
                }
            }
            Op::Sync(n) => {
                let n = n % len;
                let node = &self.nodes[n];
                if node.partitioned {
                    return;
                }
                let node = &mut self.nodes[n];
                node.replica.assign_seqs();
                if let Some(req) = node.replica.push_request(20) {
                    self.net.push(Msg::Push { node: n, epoch: node.epoch, req });
                }
                let store = node.replica.meta.store.clone();
                self.net.push(Msg::Pull { node: n, epoch: node.epoch, cursor: node.replica.meta.cursor, store });
            }
            Op::Deliver(i) => {
                if !self.net.is_empty() {
                    let m = self.net.remove(i % self.net.len());
                    self.deliver(m);
                }
            }
            Op::Duplicate(i) => {
                if !self.net.is_empty() {
                    let m = self.net[i % self.net.len()].clone();
                    self.net.push(m);
                }
            }
            Op::Drop(i) => {
                if !self.net.is_empty() {
                    self.net.remove(i % self.net.len());
                }
            }
            Op::Restart(n) => {
                // What was stored survives; what was in flight for it is lost.
                let n = n % len;
                let r = &self.nodes[n].replica;
                let reloaded = Replica::from_parts(
                    r.meta.clone(),
                    r.confirmed.values().cloned().collect(),
                    r.outbox.values().cloned().collect(),
                    r.refused.values().cloned().collect(),
                );
                self.nodes[n].replica = reloaded;
                self.nodes[n].epoch += 1;
            }
            Op::Partition(n) => {
                let n = n % len;
                self.nodes[n].partitioned = !self.nodes[n].partitioned;
            }
            Op::Tick(ms) => self.global_ms += u64::from(ms),
            Op::Backup => self.server.backup = Some(self.server.store.clone()),
            Op::Restore => self.server.restore(),
        }
    }

    /// Whether node `n` may fold in an answer from store `theirs`: yes if it is its store
    /// (or its first); if the server's store changed, the node sends back what it holds
    /// first and then may; an answer from a store that is no longer the server's is stale.
    fn accept_store(&mut self, n: usize, theirs: Option<&str>) -> bool {
        let replica = &mut self.nodes[n].replica;
        replica.adopt_store(theirs);
        let Some(new) = replica.store_changed(theirs) else { return true };
        if new != self.server.store_id() {
            return false;
        }
        for req in self.nodes[n].replica.recovery_requests(&new, 7) {
            if !self.server.recover(&self.nodes[n].actor, n as u32 + 1, &req) {
                return false;
            }
        }
        self.nodes[n].replica.recovered(&new);
        // The answer was from the store before this device's records went back in.
        false
    }

    fn deliver(&mut self, m: Msg) {
        let n = m.node();
        if self.nodes[n].partitioned {
            return;
        }
        let global = self.global_ms;
        match m {
            Msg::Push { epoch, req, .. } => {
                let resp = self.server.push(&self.nodes[n].actor, n as u32 + 1, &req, global);
                self.net.push(Msg::PushResp { node: n, epoch, resp });
            }
            Msg::Pull { epoch, cursor, store, .. } => {
                let resp = self.server.pull(&self.nodes[n].actor, cursor, 3);
                self.net.push(Msg::PullResp { node: n, epoch, resp, store });
            }
            Msg::PushResp { epoch, resp, .. }
                if epoch == self.nodes[n].epoch && self.accept_store(n, resp.store.as_deref()) =>
            {
                let now = self.nodes[n].now(global);
                self.nodes[n].on_push(&resp, now);
            }
            Msg::PullResp { epoch, resp, store, .. } if epoch == self.nodes[n].epoch => {
                // Asked with a cursor of another store (before this device recovered): the
                // page does not follow on from its cursor now.
                let asked_elsewhere = store.is_some() && store != self.nodes[n].replica.meta.store;
                if !asked_elsewhere && self.accept_store(n, resp.store.as_deref()) {
                    let now = self.nodes[n].now(global);
                    self.nodes[n].replica.on_pull(&resp, now);
                }
            }
            _ => {} // an answer to a request from before a restart: nobody is listening
        }
    }

    /// The network heals; every message still in flight arrives; every replica syncs fully.
    fn heal(&mut self) {
        for node in &mut self.nodes {
            node.partitioned = false;
        }
        while !self.net.is_empty() {
            let m = self.net.remove(0);
            self.deliver(m);
        }
        for _round in 0..3 {
            for n in 0..self.nodes.len() {
                self.global_ms += 10;
                let global = self.global_ms;
                self.nodes[n].replica.assign_seqs();
                while let Some(req) = self.nodes[n].replica.push_request(20) {
                    let resp = self.server.push(&self.nodes[n].actor, n as u32 + 1, &req, global);
                    if !self.accept_store(n, resp.store.as_deref()) {
                        continue;
                    }
                    assert!(resp.gap.is_none(), "a replica's outbox skipped a sequence number: {:?}", resp.gap);
                    let now = self.nodes[n].now(global);
                    let fx = self.nodes[n].on_push(&resp, now);
                    assert!(!fx.settled.is_empty(), "a push settled nothing");
                }
                loop {
                    let cursor = self.nodes[n].replica.meta.cursor;
                    let page = self.server.pull(&self.nodes[n].actor, cursor, 3);
                    if !self.accept_store(n, page.store.as_deref()) {
                        continue;
                    }
                    let now = self.nodes[n].now(global);
                    self.nodes[n].replica.on_pull(&page, now);
                    if !page.more {
                        break;
                    }
                }
            }
        }
    }

    fn check(&self) -> Result<(), String> {
        let server = &self.server.store;
        // No lost edit: live versions are exactly the applied writes nobody replaced.
        let mut writes: BTreeMap<(RecordId, String), (BTreeSet<Hlc>, BTreeSet<Hlc>)> = BTreeMap::new();
        let mut events: BTreeMap<RecordId, BTreeSet<Hlc>> = BTreeMap::new();
        for c in &server.applied {
            for (f, w) in &c.set {
                let e = writes.entry((c.record, f.clone())).or_default();
                e.0.insert(c.ts);
                e.1.extend(w.replaces.iter().copied());
            }
            if c.event.is_some() {
                events.entry(c.record).or_default().insert(c.ts);
            }
        }
        // After a restore, a change applied since the backup that no device heard of as
        // applied may be gone (its device sends it again, and it may be refused then), and
        // so may its replacing of older versions. What must hold: no live version that was
        // never written, and every write of a change that survived or that a device was
        // told was applied is live or was replaced.
        let restored = !self.server.lost.is_empty();
        let kept = |c: &Change| !self.server.lost.contains(&c.id) || self.nodes.iter().any(|n| n.acked.contains(&c.id));
        for ((id, field), (written, replaced)) in &writes {
            let state = &server.records.get(&(Kind::ORDER, *id)).ok_or("applied change without a record")?.1;
            let Some(fs) = state.fields.get(field) else {
                if restored {
                    continue;
                }
                return Err(format!("field {field} missing"));
            };
            let live: BTreeSet<Hlc> = fs.heads.keys().copied().collect();
            let expected: BTreeSet<Hlc> = written.difference(replaced).copied().collect();
            if !restored && live != expected {
                return Err(format!("record {id} field {field}: live {live:?} but expected {expected:?}"));
            }
            if !live.is_subset(written) {
                return Err(format!("record {id} field {field}: live {live:?} were never written"));
            }
            let distinct: BTreeSet<String> = fs.heads.values().map(|v| v.to_string()).collect();
            if distinct.len() > 1 && !state.conflicts().iter().any(|c| &c.field == field) {
                return Err(format!("record {id} field {field}: different live values but no conflict shown"));
            }
        }
        for c in server.applied.iter().filter(|c| kept(c)) {
            let Some((_, state)) = server.records.get(&(c.kind, c.record)) else {
                return Err(format!("acknowledged change {} lost its record", c.id));
            };
            for f in c.set.keys() {
                let live = state.fields.get(f).is_some_and(|fs| fs.heads.contains_key(&c.ts));
                if !live && !writes[&(c.record, f.clone())].1.contains(&c.ts) {
                    return Err(format!("acknowledged write of {f} by change {} is lost", c.id));
                }
            }
            if c.event.is_some() && !state.events.contains_key(&c.ts) {
                return Err(format!("acknowledged step of change {} is lost", c.id));
            }
        }
        for (id, evs) in &events {
            let state = &server.records[&(Kind::ORDER, *id)].1;
            let have: BTreeSet<Hlc> = state.events.keys().copied().collect();
            if (!restored && &have != evs) || !have.is_subset(evs) {
                return Err(format!("record {id}: events {have:?} but applied {evs:?}"));
            }
        }
        check_approvals(server)?;
        let applied: BTreeSet<ChangeId> = server.applied.iter().map(|c| c.id).collect();
        for (i, node) in self.nodes.iter().enumerate() {
            let r = &node.replica;
            if !r.outbox.is_empty() {
                return Err(format!("node {i} still has {} unsynced changes", r.outbox.len()));
            }
            // No silent skip.
            let refused: BTreeSet<ChangeId> = r.refused.values().map(|x| x.change.id).collect();
            for id in &node.made {
                if !applied.contains(id) && !refused.contains(id) {
                    return Err(format!("node {i}: change {id} vanished: neither applied nor listed as refused"));
                }
            }
            if r.refused.values().any(|x| x.message.is_empty() || x.code.is_empty()) {
                return Err(format!("node {i}: a refusal without a reason"));
            }
            // Convergence, and every replica derives the same status.
            for s in r.all(Kind::ORDER) {
                let theirs = server.records.get(&(Kind::ORDER, s.id)).map(|(_, t)| OrderView::from_record(t).status);
                if theirs != Some(OrderView::from_record(s).status) {
                    return Err(format!("node {i} shows another status than the server for {}", s.id));
                }
            }
            let mine: BTreeMap<RecordId, u64> = r.all(Kind::ORDER).map(|s| (s.id, s.digest())).collect();
            let theirs: BTreeMap<RecordId, u64> = server
                .records
                .values()
                .filter(|(_, s)| s.kind == Kind::ORDER && node.actor.can_read(s.kind, &s.office))
                .map(|(_, s)| (s.id, s.digest()))
                .collect();
            if mine != theirs {
                return Err(format!("node {i} ({:?} {}) diverged from the server", node.actor.role, node.actor.office));
            }
            let page = self.server.pull(&node.actor, r.meta.cursor, 1000);
            if page.digest != Some(r.scope_digest()) {
                return Err(format!(
                    "node {i}: scope digest {:?} differs from the server's {:?}",
                    r.scope_digest(),
                    page.digest
                ));
            }
        }
        Ok(())
    }
}

/// The fields an approval holds, and who may still change them at each stage, written
/// here independently of `common::desk::order::WORKFLOW`.
const GUARDED: [&str; 8] =
    ["customer", "customer_name", "lines", "payment", "station", "station_contract", "address", "delivery_date"];

fn may_change_approved(status: Status, role: Role) -> bool {
    use Role::*;
    match status {
        Status::Entered => matches!(role, Clerk | Reviewer | Salesperson | Manager | Admin),
        Status::Reviewed => matches!(role, Clerk | Reviewer | Manager | Admin),
        Status::Audited | Status::HandedOver => matches!(role, Manager | Admin),
        Status::PartlyShipped | Status::Shipped | Status::Voided => false,
    }
}

fn guarded_values(state: &RecordState) -> BTreeMap<&'static str, Value> {
    GUARDED.iter().map(|f| (*f, state.get(f).cloned().unwrap_or(Value::Null))).collect()
}

fn approved_values(approved: &BTreeMap<String, Value>) -> BTreeMap<&'static str, Value> {
    GUARDED.iter().map(|f| (*f, approved.get(*f).cloned().unwrap_or(Value::Null))).collect()
}

/// Approvals hold, in whatever order the server got things: replaying the server's log,
/// no approval was stored for values the record did not hold, no edit of approved values
/// passed a stage whose table forbids it, and every approval such an edit undid is shown
/// as sent back. At the end, every step that counts approved exactly what the order holds.
fn check_approvals(server: &MemServer) -> Result<(), String> {
    for (change, before, role) in &server.history {
        if change.kind != Kind::ORDER {
            continue;
        }
        let Some(before) = before else { continue };
        let mut after = before.clone();
        let _ = after.apply(change);
        let view_before = OrderView::from_record(before);
        let view_after = OrderView::from_record(&after);
        if let Some(step) = &change.event {
            if matches!(step.step.as_str(), "review" | "audit" | "hand_over")
                && approved_values(&step.approved) != guarded_values(before)
            {
                return Err(format!("a {} was stored that approved values the order did not hold", step.step));
            }
        }
        let correction = change.event.as_ref().is_some_and(|e| e.step == "correct");
        let touched = GUARDED.iter().any(|f| change.set.get(*f).is_some_and(|w| before.get(f) != Some(&w.value)));
        if touched && !correction {
            if !may_change_approved(view_before.status, *role) {
                return Err(format!(
                    "a {role:?} changed approved values of an order that was {:?}",
                    view_before.status
                ));
            }
            for step in view_before.progress.counting.keys() {
                if !view_after.progress.counts(step) && !view_after.needs_again().contains(step) {
                    return Err(format!("an edit undid the {step} step without showing it as sent back"));
                }
            }
        }
    }
    for (_, state) in server.records.values().filter(|(_, s)| s.kind == Kind::ORDER) {
        // What is stored, sent and hashed is the canonical JSON of RFC 8785.
        let general = common::engine::canonical::to_vec(&serde_json::to_value(state).unwrap());
        if state.canonical_json().as_bytes() != general.as_slice() {
            return Err(format!("record {} is not stored in canonical form", state.id));
        }
        let view = OrderView::from_record(state);
        for (step, at) in &view.progress.counting {
            let event = &state.events[at];
            if WORKFLOW.step(step).is_some_and(|s| s.after.len() < 2)
                && approved_values(&event.approved) != guarded_values(state)
            {
                return Err(format!("{step} counts but approved other values than the order holds"));
            }
        }
    }
    Ok(())
}

fn node_spec() -> impl Strategy<Value = NodeSpec> {
    let roles = prop_oneof![
        4 => Just(Role::Clerk),
        2 => Just(Role::Manager),
        2 => Just(Role::Salesperson),
        2 => Just(Role::Cashier),
        1 => Just(Role::Reviewer),
        1 => Just(Role::Logistics),
    ];
    (0..3usize, roles, -DAY_MS..=DAY_MS).prop_map(|(office, role, skew_ms)| NodeSpec { office, role, skew_ms })
}

fn op() -> impl Strategy<Value = Op> {
    let i = 0..64usize;
    prop_oneof![
        3 => i.clone().prop_map(Op::Create),
        8 => (i.clone(), i.clone(), i.clone(), any::<u8>()).prop_map(|(node, pick, field, value)| Op::Edit { node, pick, field, value }),
        5 => (i.clone(), i.clone(), any::<u8>()).prop_map(|(node, pick, action)| Op::Act { node, pick, action }),
        1 => (i.clone(), i.clone()).prop_map(|(node, pick)| Op::Settle { node, pick }),
        5 => i.clone().prop_map(Op::Sync),
        8 => i.clone().prop_map(Op::Deliver),
        1 => i.clone().prop_map(Op::Duplicate),
        1 => i.clone().prop_map(Op::Drop),
        1 => i.clone().prop_map(Op::Restart),
        1 => i.clone().prop_map(Op::Partition),
        2 => (0..120_000u32).prop_map(Op::Tick),
        1 => Just(Op::Backup),
        1 => Just(Op::Restore),
    ]
}

fn scenario() -> impl Strategy<Value = (Vec<NodeSpec>, Vec<Op>)> {
    // Node 0 is always a head-office manager, so someone sees everything.
    let hq = Just(NodeSpec { office: 0, role: Role::Manager, skew_ms: 0 });
    (
        (hq, proptest::collection::vec(node_spec(), 1..=7)).prop_map(|(h, mut rest)| {
            rest.insert(0, h);
            rest
        }),
        proptest::collection::vec(op(), 1..80),
    )
}

fn run(specs: &[NodeSpec], ops: &[Op]) -> Result<(), String> {
    let mut world = World::new(specs);
    for op in ops {
        world.step(op);
    }
    world.heal();
    world.check()
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

#[test]
fn replicas_converge_and_lose_nothing_under_a_hostile_network() {
    let cases = env_u64("SIM_CASES").unwrap_or(10_000) as u32;
    let seed = env_u64("SIM_SEED").unwrap_or(0x5a1e_5de5);
    let config = Config { cases, rng_seed: RngSeed::Fixed(seed), failure_persistence: None, ..Config::default() };
    let mut runner = TestRunner::new(config);
    let result =
        runner.run(&scenario(), |(specs, ops)| run(&specs, &ops).map_err(proptest::test_runner::TestCaseError::fail));
    if let Err(e) = result {
        panic!("simulation failed (seed {seed}); smallest failing case:\n{e}");
    }
}

#[test]
fn a_concurrent_edit_of_one_field_by_two_offices_is_kept_as_a_conflict() {
    // The same scenario by hand: HQ and a branch edit the same order's phone while apart.
    let specs = [
        NodeSpec { office: 0, role: Role::Manager, skew_ms: 0 },
        NodeSpec { office: 1, role: Role::Clerk, skew_ms: -DAY_MS },
    ];
    let mut w = World::new(&specs);
    w.step(&Op::Create(1));
    w.heal();
    w.step(&Op::Edit { node: 0, pick: 0, field: 0, value: 1 });
    w.step(&Op::Edit { node: 1, pick: 0, field: 0, value: 2 });
    w.heal();
    w.check().unwrap();
    let state = &w.server.store.records.values().next().unwrap().1;
    let conflicts = state.conflicts();
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    assert_eq!(conflicts[0].field, "phone");
    assert_eq!(conflicts[0].versions.len(), 2);
    // Settling it is an edit like any other, and everyone agrees afterwards.
    w.step(&Op::Settle { node: 1, pick: 0 });
    w.heal();
    w.check().unwrap();
    assert!(w.server.store.records.values().next().unwrap().1.conflicts().is_empty());
}
