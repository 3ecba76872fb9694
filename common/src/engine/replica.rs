//! A device's replica: what a browser (or any client) keeps, and the rules for building
//! changes, pushing them and folding in what the server sends. Plain data, so the same
//! code runs in the browser, in tests and in the simulation.
//!
//! The replica keeps two things apart, as Replicache does: `confirmed`, the records as
//! the server last described them, and `outbox`, this device's changes the server has not
//! settled yet. What screens show is `confirmed` with the outbox applied on top, so a
//! change the server refuses drops out of the view but stays listed, with its reason, in
//! `refused` until a person deals with it.

use crate::engine::hlc::{Clock, Hlc};
use crate::engine::ids::{ChangeId, ClientId, OfficeCode, RecordId};
use crate::engine::record::{Change, Kind, RecordState, StepWrite};
use crate::engine::wire::{
    Outcome, PullResponse, PushRequest, PushResponse, RecoverRequest, ScopeDigest, PROTOCOL_VERSION,
};
use crate::from_map;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

pub type Key = (Kind, RecordId);

/// How far a record has travelled, for the mark shown beside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SyncMark {
    /// The server has everything this device did to it.
    Synced,
    /// Changes made here are waiting to be pushed.
    Pending,
    /// The server refused a change to it; the reason is in `refused`.
    Refused,
}

impl SyncMark {
    pub fn code(self) -> &'static str {
        match self {
            SyncMark::Synced => "synced",
            SyncMark::Pending => "pending",
            SyncMark::Refused => "refused",
        }
    }

    pub fn parse(code: &str) -> Option<SyncMark> {
        [SyncMark::Synced, SyncMark::Pending, SyncMark::Refused].into_iter().find(|m| m.code() == code)
    }
}

/// A change the server will never store, with its reason.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Refused {
    pub change: Change,
    pub code: String,
    pub message: String,
}

from_map!(Refused, "a refused change", false, { change: "change", code: "code", message: "message" });

/// Counters that must survive reloads. Only the syncing tab (the leader) writes them.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReplicaMeta {
    pub client: ClientId,
    pub clock: Clock,
    /// The seq the next change pushed gets.
    pub next_seq: u64,
    /// The pull cursor: everything up to here has been received.
    pub cursor: u64,
    /// Every record of this device's scope is here (none evicted to make room), so the
    /// scope digest must match the server's. (Stores written before it: true.)
    pub complete: bool,
    /// Whose device id this is: the person who logged in with it (it is theirs alone).
    pub owner: Option<String>,
    /// The server's clock minus this device's, measured at the last contact (ms): the
    /// device stamps and shows times by its own clock corrected by this.
    pub offset_ms: i64,
    /// The identity of the server's store this device's records came from: when the
    /// server answers with another, it was restored from a backup (see [`RecoverRequest`]).
    pub store: Option<String>,
}

from_map!(ReplicaMeta, "a device's counters", false, {
    client: "client",
    clock: "clock",
    next_seq: "next_seq",
    cursor: "cursor",
    complete: "complete" or true,
    owner: "owner" or None,
    offset_ms: "offset_ms" or 0,
    store: "store" or None,
});

#[derive(Clone, Debug, PartialEq)]
pub struct Replica {
    pub meta: ReplicaMeta,
    pub confirmed: BTreeMap<Key, RecordState>,
    /// This device's unsettled changes, by id. A change gets its `seq` (≥ 1) only when the
    /// syncing tab is about to push it ([`Replica::assign_seqs`]); until then it is 0, so
    /// several tabs can add changes without ever handing out the same seq.
    pub outbox: BTreeMap<ChangeId, Change>,
    pub refused: BTreeMap<ChangeId, Refused>,
    /// The records this device has changed and the server has not settled, as `confirmed`
    /// with the outbox applied. What people see is this over `confirmed` (a few dozen
    /// records over ten thousand: not a second copy of everything).
    overlay: BTreeMap<Key, RecordState>,
    /// When each record as shown last changed (see [`Replica::version`]).
    versions: std::collections::HashMap<Key, u64>,
    /// The version of every record not in `versions`: bumped when everything is rebuilt.
    base_version: u64,
    next_version: u64,
}

/// What a push response changed, for the caller to persist in this order:
/// write `confirmed` records, then refusals, then the `renumbered` outbox entries (and
/// the counters), then forget the `settled` ones.
#[derive(Debug, Default, PartialEq)]
pub struct PushEffects {
    pub confirmed: Vec<RecordState>,
    pub newly_refused: Vec<Refused>,
    /// Changes whose seq the server had settled for another change (this device's storage
    /// went back in time): given fresh seqs, to push again.
    pub renumbered: Vec<Change>,
    pub settled: Vec<ChangeId>,
}

impl Replica {
    pub fn new(client: ClientId, node: u64) -> Replica {
        let meta = ReplicaMeta {
            client,
            clock: Clock::new(node),
            next_seq: 1,
            cursor: 0,
            complete: true,
            owner: None,
            offset_ms: 0,
            store: None,
        };
        Replica::from_parts(meta, Vec::new(), Vec::new(), Vec::new())
    }

    /// Rebuilds a replica from what storage held. Tolerates a crash between writing
    /// sequenced outbox entries and the counters: `next_seq` never falls back onto a used seq.
    pub fn from_parts(
        mut meta: ReplicaMeta,
        confirmed: Vec<RecordState>,
        outbox: Vec<Change>,
        refused: Vec<Refused>,
    ) -> Replica {
        let outbox = crate::sort::map_of(outbox.into_iter().map(|c| (c.id, c)));
        let refused = crate::sort::map_of(refused.into_iter().map(|r| (r.change.id, r)));
        let highest = outbox.values().map(|c| c.seq).chain(refused.values().map(|r| r.change.seq)).max().unwrap_or(0);
        meta.next_seq = meta.next_seq.max(highest + 1);
        let confirmed = crate::sort::map_of(confirmed.into_iter().map(|s| ((s.kind, s.id), s)));
        let mut r = Replica {
            meta,
            confirmed,
            outbox,
            refused,
            overlay: BTreeMap::new(),
            versions: Default::default(),
            base_version: 0,
            next_version: 1,
        };
        r.rebuild_view();
        r
    }

    fn rebuild_view(&mut self) {
        let mut overlay: BTreeMap<Key, RecordState> = BTreeMap::new();
        for change in self.pending_in_order() {
            let key = (change.kind, change.record);
            match overlay.entry(key) {
                std::collections::btree_map::Entry::Occupied(mut e) => {
                    let _ = e.get_mut().apply(change);
                }
                std::collections::btree_map::Entry::Vacant(e) => {
                    let state = match self.confirmed.get(&key) {
                        Some(s) => {
                            let mut s = s.clone();
                            let _ = s.apply(change);
                            s
                        }
                        None => RecordState::from_change(change),
                    };
                    e.insert(state);
                }
            }
        }
        self.overlay = overlay;
        self.versions.clear();
        self.base_version = self.next_version;
        self.next_version += 1;
    }

    /// A number that changes whenever the record as shown changes (and stays put while it
    /// does not): screens keep what they derived from a record until it moves.
    pub fn version(&self, kind: Kind, id: RecordId) -> u64 {
        self.versions.get(&(kind, id)).copied().unwrap_or(self.base_version)
    }

    /// Outbox changes in the order they were made (seq, then timestamp for unsequenced ones).
    fn pending_in_order(&self) -> Vec<&Change> {
        let mut v: Vec<&Change> = self.outbox.values().collect();
        sort_pending(&mut v);
        v
    }

    fn refresh_key(&mut self, key: Key) {
        self.versions.insert(key, self.next_version);
        self.next_version += 1;
        let mut mine: Vec<&Change> = self.outbox.values().filter(|c| (c.kind, c.record) == key).collect();
        if mine.is_empty() {
            self.overlay.remove(&key);
            return;
        }
        sort_pending(&mut mine);
        let mut state = self.confirmed.get(&key).cloned();
        for change in mine {
            match &mut state {
                Some(s) => {
                    let _ = s.apply(change);
                }
                None => state = Some(RecordState::from_change(change)),
            }
        }
        match state {
            Some(s) => self.overlay.insert(key, s),
            None => self.overlay.remove(&key),
        };
    }

    pub fn get(&self, kind: Kind, id: RecordId) -> Option<&RecordState> {
        let key = (kind, id);
        self.overlay.get(&key).or_else(|| self.confirmed.get(&key))
    }

    fn shown(&self, key: &Key) -> bool {
        self.overlay.contains_key(key) || self.confirmed.contains_key(key)
    }

    /// Every record of `kind` as shown, in id order.
    pub fn all(&self, kind: Kind) -> impl Iterator<Item = &RecordState> {
        let range = (kind, RecordId(uuid::Uuid::nil()))..=(kind, RecordId(uuid::Uuid::max()));
        Merged {
            confirmed: self.confirmed.range(range.clone()).peekable(),
            overlay: self.overlay.range(range).peekable(),
        }
    }

    /// The record has changes this device made that the server has not settled.
    pub fn is_pending(&self, kind: Kind, id: RecordId) -> bool {
        self.outbox.values().any(|c| c.kind == kind && c.record == id)
    }

    /// A refusal outranks waiting changes: it needs a person.
    pub fn sync_mark(&self, kind: Kind, id: RecordId) -> SyncMark {
        if self.refused.values().any(|r| r.change.kind == kind && r.change.record == id) {
            SyncMark::Refused
        } else if self.is_pending(kind, id) {
            SyncMark::Pending
        } else {
            SyncMark::Synced
        }
    }

    /// Which confirmed records to drop first when the device's storage is full: never one
    /// with unsynced changes; by `rank` of their kind (lowest first: the domain says which
    /// kinds matter least offline), oldest first within a rank.
    pub fn eviction_candidates(&self, max: usize, rank: impl Fn(Kind) -> u8) -> Vec<Key> {
        let pending = crate::sort::set_of(self.outbox.values().map(|c| (c.kind, c.record)));
        let mut v: Vec<(u8, Option<Hlc>, Key)> = self
            .confirmed
            .iter()
            .filter(|(k, _)| !pending.contains(k))
            .map(|(k, s)| (rank(k.0), s.created(), *k))
            .collect();
        crate::sort::sort(&mut v);
        v.into_iter().take(max).map(|(_, _, k)| k).collect()
    }

    pub fn refused_for(&self, kind: Kind, id: RecordId) -> Vec<&Refused> {
        let mut v: Vec<&Refused> =
            self.refused.values().filter(|r| r.change.kind == kind && r.change.record == id).collect();
        crate::sort::sort_by_key(&mut v, |r| (r.change.ts, r.change.id));
        v
    }

    /// A record that exists only in refused changes (a new order the server refused), as
    /// those changes had it: so a person can still open it, copy it, or let it go.
    pub fn refused_record(&self, kind: Kind, id: RecordId) -> Option<RecordState> {
        if self.shown(&(kind, id)) {
            return None;
        }
        let mut state: Option<RecordState> = None;
        for r in self.refused_for(kind, id) {
            match &mut state {
                Some(s) => {
                    let _ = s.apply(&r.change);
                }
                None => state = Some(RecordState::from_change(&r.change)),
            }
        }
        state
    }

    /// Every record of `kind` with a refusal waiting to be seen: as shown here, or (a
    /// refused new record) as its refused changes had it.
    pub fn with_refusals(&self, kind: Kind) -> Vec<RecordState> {
        let ids = crate::sort::set_of(self.refused.values().filter(|r| r.change.kind == kind).map(|r| r.change.record));
        ids.into_iter().filter_map(|id| self.get(kind, id).cloned().or_else(|| self.refused_record(kind, id))).collect()
    }

    /// This device's unsynced changes to one record, oldest first.
    pub fn pending_for(&self, kind: Kind, id: RecordId) -> Vec<&Change> {
        let mut v: Vec<&Change> = self.outbox.values().filter(|c| c.kind == kind && c.record == id).collect();
        sort_pending(&mut v);
        v
    }

    /// Records a person's edit: the values that differ from what this device shows, and
    /// optionally a status action, as one change in the outbox. `None` if nothing changed.
    /// The caller must persist the returned change before telling the person it is saved.
    #[allow(clippy::too_many_arguments)]
    pub fn edit(
        &mut self,
        kind: Kind,
        id: RecordId,
        office: &OfficeCode,
        values: &BTreeMap<String, Value>,
        event: Option<StepWrite>,
        by: &str,
        now_ms: u64,
        random: [u8; 10],
    ) -> Option<Change> {
        let current = self.get(kind, id);
        let set = match current {
            Some(s) => s.writes_for(values),
            None => RecordState::new(kind, id, office.clone()).writes_for(values),
        };
        if set.is_empty() && event.is_none() {
            return None;
        }
        let office = current.map(|s| s.office.clone()).unwrap_or_else(|| office.clone());
        let ts = self.meta.clock.tick(now_ms);
        let change = Change {
            id: ChangeId::new_v7(now_ms, random),
            seq: 0,
            kind,
            record: id,
            office,
            ts,
            by: by.to_string(),
            set,
            event,
        };
        self.outbox.insert(change.id, change.clone());
        self.refresh_key((kind, id));
        Some(change)
    }

    /// Takes back a change just made by [`Replica::edit`] when storing it failed, so that
    /// memory never claims more than the device holds.
    pub fn retract(&mut self, change: &Change) {
        if self.outbox.get(&change.id).is_some_and(|c| c.seq == 0) {
            self.outbox.remove(&change.id);
            self.refresh_key((change.kind, change.record));
        }
    }

    /// Gives every unsequenced outbox change the next seq, in the order they were made.
    /// Only the one syncing tab calls this; the caller persists the returned changes and
    /// the counters before pushing them.
    pub fn assign_seqs(&mut self) -> Vec<Change> {
        let mut fresh: Vec<(Hlc, ChangeId)> =
            self.outbox.values().filter(|c| c.seq == 0).map(|c| (c.ts, c.id)).collect();
        crate::sort::sort(&mut fresh);
        let mut out = Vec::with_capacity(fresh.len());
        for (_, id) in fresh {
            if let Some(c) = self.outbox.get_mut(&id) {
                c.seq = self.meta.next_seq;
                self.meta.next_seq += 1;
                out.push(c.clone());
            }
        }
        out
    }

    /// The next push: up to `max` sequenced outbox changes in seq order.
    pub fn push_request(&self, max: usize) -> Option<PushRequest> {
        let mut changes: Vec<&Change> = self.outbox.values().filter(|c| c.seq > 0).collect();
        if changes.is_empty() {
            return None;
        }
        crate::sort::sort_by_key(&mut changes, |c| c.seq);
        let changes = changes.into_iter().take(max).cloned().collect();
        Some(PushRequest { protocol: PROTOCOL_VERSION, client: self.meta.client, changes, pull: None })
    }

    fn observe(&mut self, server_time: Hlc, now_ms: u64) {
        // A server clock far ahead is the server's problem to report; we keep ours.
        let _ = self.meta.clock.observe(server_time, now_ms);
    }

    /// Folds in a push response. Applied changes move into `confirmed` (the server did
    /// exactly that merge); refused ones move to `refused`. Anything else stays queued.
    pub fn on_push(&mut self, resp: &PushResponse, now_ms: u64) -> PushEffects {
        self.observe(resp.server_time, now_ms);
        // Stamped by a clock that ran far ahead: nothing of those stamps was stored, so the
        // clock starts again from the server's time (else it stays ahead, and every later
        // change is refused, until real time catches up with it).
        if resp.results.iter().any(|r| r.code.as_deref() == Some("clock_ahead")) {
            let node = self.meta.clock.node;
            self.meta.clock.last = Hlc { node, ..resp.server_time };
        }
        let mut fx = PushEffects::default();
        for result in &resp.results {
            let Some(change) = self.outbox.get(&result.id).filter(|c| c.seq == result.seq).cloned() else {
                continue;
            };
            if result.code.as_deref() == Some("seq_reused") {
                // Not refused: the seq was, by a change this device no longer remembers.
                let seq = self.meta.next_seq.max(resp.acked_through + 1);
                self.meta.next_seq = seq + 1;
                if let Some(c) = self.outbox.get_mut(&change.id) {
                    c.seq = seq;
                    fx.renumbered.push(c.clone());
                }
                continue;
            }
            match result.outcome {
                Outcome::Applied => {
                    let key = (change.kind, change.record);
                    let state = match self.confirmed.get_mut(&key) {
                        Some(s) => {
                            let _ = s.apply(&change);
                            s.clone()
                        }
                        None => {
                            let s = RecordState::from_change(&change);
                            self.confirmed.insert(key, s.clone());
                            s
                        }
                    };
                    fx.confirmed.push(state);
                }
                Outcome::Refused => {
                    let refused = Refused {
                        change: change.clone(),
                        code: result.code.clone().unwrap_or_default(),
                        message: result.message.clone().unwrap_or_default(),
                    };
                    self.refused.insert(change.id, refused.clone());
                    fx.newly_refused.push(refused);
                }
            }
            self.outbox.remove(&change.id);
            fx.settled.push(change.id);
            self.refresh_key((change.kind, change.record));
        }
        fx
    }

    /// Folds in a page of a pull; returns the records to persist (merged confirmed states).
    pub fn on_pull(&mut self, resp: &PullResponse, now_ms: u64) -> Vec<RecordState> {
        let keys = self.take_page(resp.records.clone(), resp.cursor, resp.server_time, now_ms);
        keys.iter().filter_map(|(k, _)| self.confirmed.get(k).cloned()).collect()
    }

    /// [`Replica::on_pull`] taking the page's records: no copies made. Returns the keys of
    /// the records to persist (their merged states are in `confirmed`), each with whether
    /// the record was new here (so what is stored is exactly what the server sent).
    pub fn take_page(
        &mut self,
        records: Vec<RecordState>,
        cursor: u64,
        server_time: Hlc,
        now_ms: u64,
    ) -> Vec<(Key, bool)> {
        self.observe(server_time, now_ms);
        let keys = records.into_iter().map(|incoming| self.merge_confirmed(incoming)).collect();
        self.meta.cursor = cursor;
        keys
    }

    /// Merges a record state into the confirmed copy (from a pull, or another tab).
    pub fn put_confirmed(&mut self, incoming: RecordState) -> RecordState {
        let (key, _) = self.merge_confirmed(incoming);
        self.confirmed[&key].clone()
    }

    fn merge_confirmed(&mut self, incoming: RecordState) -> (Key, bool) {
        let key = (incoming.kind, incoming.id);
        let new = match self.confirmed.get_mut(&key) {
            Some(s) => {
                if s.merge(&incoming).is_err() {
                    // A record never changes office; if the server says otherwise, it wins.
                    *s = incoming;
                }
                false
            }
            None => {
                self.confirmed.insert(key, incoming);
                true
            }
        };
        self.refresh_key(key);
        (key, new)
    }

    /// Drops a confirmed record from this device (it stays on the server).
    pub fn evict_confirmed(&mut self, key: Key) {
        self.confirmed.remove(&key);
        self.refresh_key(key);
    }

    /// The syncing tab stored its counters: follow them (never moving `next_seq` back),
    /// keeping this tab's own clock.
    pub fn follow_counters(&mut self, theirs: &ReplicaMeta) {
        self.meta.next_seq = self.meta.next_seq.max(theirs.next_seq);
        self.meta.cursor = theirs.cursor;
        self.meta.complete = theirs.complete;
        self.meta.offset_ms = theirs.offset_ms;
        self.meta.owner = theirs.owner.clone();
        self.meta.store = theirs.store.clone();
    }

    /// The server says it settled this device's changes up to `last_seq`: number the
    /// next ones after it (this device's storage may have gone back in time).
    pub fn settled_through(&mut self, last_seq: u64) {
        self.meta.next_seq = self.meta.next_seq.max(last_seq + 1);
    }

    /// Another tab added or sequenced an outbox change.
    pub fn put_outbox(&mut self, change: Change) {
        let key = (change.kind, change.record);
        if change.seq >= self.meta.next_seq {
            self.meta.next_seq = change.seq + 1;
        }
        self.outbox.insert(change.id, change);
        self.refresh_key(key);
    }

    /// Another tab settled an outbox change.
    pub fn drop_outbox(&mut self, id: ChangeId) {
        if let Some(c) = self.outbox.remove(&id) {
            self.refresh_key((c.kind, c.record));
        }
    }

    pub fn put_refused(&mut self, r: Refused) {
        self.refused.insert(r.change.id, r);
    }

    /// Forgets every confirmed record and starts pulling from the beginning again.
    pub fn forget_confirmed(&mut self) {
        self.confirmed.clear();
        self.meta.cursor = 0;
        self.meta.complete = true;
        self.rebuild_view();
    }

    /// The digest of everything confirmed here, to compare with the server's.
    pub fn scope_digest(&self) -> ScopeDigest {
        ScopeDigest::of(self.confirmed.values())
    }

    /// What a server answer says of its store: `Some(new)` if it is not the one this
    /// device's records came from, and they must be sent back first. A device that never
    /// heard of a store takes the first one it hears of ([`Replica::adopt_store`]).
    pub fn store_changed(&self, theirs: Option<&str>) -> Option<String> {
        match (&self.meta.store, theirs) {
            (Some(mine), Some(theirs)) if mine != theirs => Some(theirs.to_string()),
            _ => None,
        }
    }

    /// Takes the server's store identity if this device has none yet; true if it did.
    pub fn adopt_store(&mut self, theirs: Option<&str>) -> bool {
        match (&self.meta.store, theirs) {
            (None, Some(theirs)) => {
                self.meta.store = Some(theirs.to_string());
                true
            }
            _ => false,
        }
    }

    /// Everything confirmed here, for a server restored from a backup, in requests of at
    /// most `max` records. The server counts this device's changes as settled up to the
    /// first one still in the outbox.
    pub fn recovery_requests(&self, store: &str, max: usize) -> Vec<RecoverRequest> {
        let first_pending = self.outbox.values().map(|c| c.seq).filter(|s| *s > 0).min();
        let settled_through = first_pending.map_or(self.meta.next_seq.saturating_sub(1), |s| s - 1);
        let records: Vec<&RecordState> = self.confirmed.values().collect();
        let request = |chunk: &[&RecordState]| RecoverRequest {
            protocol: PROTOCOL_VERSION,
            client: self.meta.client,
            store: store.to_string(),
            settled_through,
            records: chunk.iter().map(|r| (*r).clone()).collect(),
        };
        if records.is_empty() {
            return vec![request(&[])];
        }
        records.chunks(max.max(1)).map(request).collect()
    }

    /// The server has taken back what this device held: it is now this device's store,
    /// and everything is pulled again from the start (the server's order began anew).
    pub fn recovered(&mut self, store: &str) {
        self.meta.store = Some(store.to_string());
        self.meta.cursor = 0;
    }

    /// A person has read a refusal and let it go.
    pub fn dismiss_refused(&mut self, id: ChangeId) -> Option<Refused> {
        self.refused.remove(&id)
    }
}

fn sort_pending(changes: &mut [&Change]) {
    crate::sort::sort_by_key(changes, |c| (if c.seq == 0 { u64::MAX } else { c.seq }, c.ts, c.id));
}

/// Records as shown: the overlay's copy where there is one, else the confirmed one; both
/// ranges are in key order, so one pass merges them.
struct Merged<'a, C: Iterator<Item = (&'a Key, &'a RecordState)>, O: Iterator<Item = (&'a Key, &'a RecordState)>> {
    confirmed: std::iter::Peekable<C>,
    overlay: std::iter::Peekable<O>,
}

impl<'a, C, O> Iterator for Merged<'a, C, O>
where
    C: Iterator<Item = (&'a Key, &'a RecordState)>,
    O: Iterator<Item = (&'a Key, &'a RecordState)>,
{
    type Item = &'a RecordState;

    fn next(&mut self) -> Option<&'a RecordState> {
        match (self.confirmed.peek(), self.overlay.peek()) {
            (Some((c, _)), Some((o, _))) if c < o => self.confirmed.next().map(|(_, s)| s),
            (Some((c, _)), Some((o, _))) if c == o => {
                self.confirmed.next();
                self.overlay.next().map(|(_, s)| s)
            }
            (_, Some(_)) => self.overlay.next().map(|(_, s)| s),
            (Some(_), None) => self.confirmed.next().map(|(_, s)| s),
            (None, None) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::wire::ChangeResult;
    use serde_json::json;

    fn gz() -> OfficeCode {
        OfficeCode::parse("GZ").unwrap()
    }

    fn values(pairs: &[(&str, Value)]) -> BTreeMap<String, Value> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
    }

    fn replica() -> Replica {
        Replica::new(ClientId(uuid::Uuid::from_u128(7)), 7)
    }

    const ID: RecordId = RecordId(uuid::Uuid::from_u128(99));
    const ORDER: Kind = Kind::new("order");
    const CUSTOMER: Kind = Kind::new("customer");
    const PRODUCT: Kind = Kind::new("product");

    /// Orders go first, then customers, the catalogue last.
    fn rank(kind: Kind) -> u8 {
        [ORDER, CUSTOMER].iter().position(|k| *k == kind).unwrap_or(2) as u8
    }

    #[test]
    fn an_edit_is_visible_at_once_and_waits_in_the_outbox() {
        let mut r = replica();
        let c = r.edit(CUSTOMER, ID, &gz(), &values(&[("name", json!("美居"))]), None, "u", 1000, [1; 10]).unwrap();
        assert_eq!(c.seq, 0, "sequenced only when about to be pushed");
        assert!(r.push_request(10).is_none());
        assert_eq!(r.assign_seqs()[0].seq, 1);
        assert_eq!(r.push_request(10).unwrap().changes[0].id, c.id);
        assert_eq!(r.get(CUSTOMER, ID).unwrap().get_str("name"), "美居");
        assert!(r.is_pending(CUSTOMER, ID));
        assert!(
            r.edit(CUSTOMER, ID, &gz(), &values(&[("name", json!("美居"))]), None, "u", 1001, [2; 10]).is_none(),
            "no-op edits make no change"
        );
    }

    fn confirmed(kind: Kind, n: u128, name: &str) -> RecordState {
        let id = RecordId(uuid::Uuid::from_u128(n));
        let change = Change {
            id: ChangeId(uuid::Uuid::from_u128(1000 + n)),
            seq: 1,
            kind,
            record: id,
            office: gz(),
            ts: Hlc { wall_ms: 10, counter: 0, node: 1 },
            by: "x".into(),
            set: RecordState::new(kind, id, gz()).writes_for(&values(&[("name", json!(name))])),
            event: None,
        };
        RecordState::from_change(&change)
    }

    #[test]
    fn records_show_in_id_order_with_this_device_s_edits_over_the_confirmed_copies() {
        let mut r = replica();
        r.take_page((1..=4).map(|n| confirmed(CUSTOMER, n * 10, "confirmed")).collect(), 4, Hlc::ZERO, 1000);
        r.put_confirmed(confirmed(ORDER, 15, "an order"));
        let id = |n: u128| RecordId(uuid::Uuid::from_u128(n));
        let v_20 = r.version(CUSTOMER, id(20));
        let v_30 = r.version(CUSTOMER, id(30));
        r.edit(CUSTOMER, id(20), &gz(), &values(&[("name", json!("edited"))]), None, "u", 2000, [1; 10]).unwrap();
        r.edit(CUSTOMER, id(25), &gz(), &values(&[("name", json!("new"))]), None, "u", 2001, [2; 10]).unwrap();
        let shown: Vec<(u128, &str)> = r.all(CUSTOMER).map(|s| (s.id.0.as_u128(), s.get_str("name"))).collect();
        assert_eq!(shown, [(10, "confirmed"), (20, "edited"), (25, "new"), (30, "confirmed"), (40, "confirmed")]);
        assert_eq!(r.all(ORDER).count(), 1);
        assert_ne!(r.version(CUSTOMER, id(20)), v_20, "an edited record has a new version");
        assert_eq!(r.version(CUSTOMER, id(30)), v_30, "an untouched one keeps its own");
        let v_25 = r.version(CUSTOMER, id(25));
        r.take_page(vec![confirmed(CUSTOMER, 30, "pulled")], 5, Hlc::ZERO, 3000);
        assert_ne!(r.version(CUSTOMER, id(30)), v_30, "a pulled change moves it");
        assert_eq!(r.version(CUSTOMER, id(25)), v_25);
        r.forget_confirmed();
        let shown: Vec<u128> = r.all(CUSTOMER).map(|s| s.id.0.as_u128()).collect();
        assert_eq!(shown, [20, 25], "this device's edits stay shown");
        assert_ne!(r.version(CUSTOMER, id(25)), v_25, "everything rebuilt has a new version");
    }

    #[test]
    fn a_refused_change_leaves_the_view_but_stays_listed_with_its_reason() {
        let mut r = replica();
        r.edit(CUSTOMER, ID, &gz(), &values(&[("name", json!("A"))]), None, "u", 1000, [1; 10]).unwrap();
        r.edit(CUSTOMER, ID, &gz(), &values(&[("name", json!("B"))]), None, "u", 1001, [2; 10]).unwrap();
        let sequenced = r.assign_seqs();
        let (c1, c2) = (&sequenced[0], &sequenced[1]);
        let resp = PushResponse {
            protocol: 1,
            acked_through: 2,
            results: vec![
                ChangeResult { id: c1.id, seq: 1, outcome: Outcome::Applied, code: None, message: None },
                ChangeResult {
                    id: c2.id,
                    seq: 2,
                    outcome: Outcome::Refused,
                    code: Some("forbidden".into()),
                    message: Some("no".into()),
                },
            ],
            gap: None,
            server_time: Hlc::ZERO,
            store: None,
            page: None,
        };
        let fx = r.on_push(&resp, 2000);
        assert_eq!(fx.settled, vec![c1.id, c2.id]);
        assert_eq!(r.get(CUSTOMER, ID).unwrap().get_str("name"), "A");
        assert!(!r.is_pending(CUSTOMER, ID));
        assert_eq!(r.refused_for(CUSTOMER, ID)[0].message, "no");
        assert_eq!(r.sync_mark(CUSTOMER, ID), SyncMark::Refused);
        assert!(r.refused_record(CUSTOMER, ID).is_none(), "the record exists: it is shown as it is");
    }

    #[test]
    fn a_clock_that_ran_ahead_starts_again_from_the_servers_time_once_refused() {
        const DAY: u64 = 86_400_000;
        let mut r = replica();
        let now = 1_790_000_000_000;
        let c =
            r.edit(CUSTOMER, ID, &gz(), &values(&[("name", json!("A"))]), None, "u", now + 3 * DAY, [1; 10]).unwrap();
        let c = r.assign_seqs().into_iter().find(|x| x.id == c.id).unwrap();
        let server_time = Hlc { wall_ms: now, counter: 0, node: 1 };
        let refusal = ChangeResult {
            id: c.id,
            seq: c.seq,
            outcome: Outcome::Refused,
            code: Some("clock_ahead".into()),
            message: Some("ahead".into()),
        };
        let resp = PushResponse {
            protocol: PROTOCOL_VERSION,
            acked_through: 1,
            results: vec![refusal],
            gap: None,
            server_time,
            store: None,
            page: None,
        };
        r.on_push(&resp, now);
        // The device's clock is right again: its next change is stamped now, not days ahead.
        let next =
            r.edit(CUSTOMER, ID, &gz(), &values(&[("name", json!("B"))]), None, "u", now + 1000, [2; 10]).unwrap();
        assert_eq!(next.ts.wall_ms, now + 1000);
    }

    #[test]
    fn a_device_whose_storage_went_back_in_time_renumbers_its_new_changes_and_loses_none() {
        let mut r = replica();
        // The server settled seqs 1..=3 of this device before its storage was restored
        // from an older copy; the device now hands out seq 1 again.
        let c = r.edit(CUSTOMER, ID, &gz(), &values(&[("name", json!("A"))]), None, "u", 1000, [1; 10]).unwrap();
        let c = r.assign_seqs().into_iter().find(|x| x.id == c.id).unwrap();
        assert_eq!(c.seq, 1);
        let reused = ChangeResult {
            id: c.id,
            seq: 1,
            outcome: Outcome::Refused,
            code: Some("seq_reused".into()),
            message: Some("used".into()),
        };
        let resp = PushResponse {
            protocol: PROTOCOL_VERSION,
            acked_through: 3,
            results: vec![reused],
            gap: None,
            server_time: Hlc::ZERO,
            store: None,
            page: None,
        };
        let fx = r.on_push(&resp, 2000);
        assert!(fx.settled.is_empty() && fx.newly_refused.is_empty(), "not refused, not forgotten");
        assert_eq!(fx.renumbered.iter().map(|c| c.seq).collect::<Vec<_>>(), vec![4]);
        assert_eq!(r.push_request(10).unwrap().changes[0].seq, 4);
        assert_eq!(r.meta.next_seq, 5);
        // Told at log-in instead, it numbers after the server's last at once.
        let mut fresh = replica();
        fresh.settled_through(9);
        fresh.edit(CUSTOMER, ID, &gz(), &values(&[("name", json!("B"))]), None, "u", 1000, [2; 10]).unwrap();
        assert_eq!(fresh.assign_seqs()[0].seq, 10);
    }

    #[test]
    fn a_refused_new_record_can_still_be_opened_as_it_was_typed() {
        let mut r = replica();
        let c = r.edit(CUSTOMER, ID, &gz(), &values(&[("name", json!("新客户"))]), None, "u", 1000, [1; 10]).unwrap();
        let c = r.assign_seqs().into_iter().find(|x| x.id == c.id).unwrap();
        let refusal = ChangeResult {
            id: c.id,
            seq: c.seq,
            outcome: Outcome::Refused,
            code: Some("forbidden".into()),
            message: Some("no".into()),
        };
        let resp = PushResponse {
            protocol: PROTOCOL_VERSION,
            acked_through: 1,
            results: vec![refusal],
            gap: None,
            server_time: Hlc::ZERO,
            store: None,
            page: None,
        };
        r.on_push(&resp, 2000);
        assert!(r.get(CUSTOMER, ID).is_none());
        assert_eq!(r.refused_record(CUSTOMER, ID).unwrap().get_str("name"), "新客户");
        assert_eq!(r.with_refusals(CUSTOMER).len(), 1);
        r.dismiss_refused(c.id);
        assert!(r.refused_record(CUSTOMER, ID).is_none());
    }

    #[test]
    fn a_full_store_drops_old_synced_orders_first_and_never_unsynced_records() {
        let mut r = replica();
        let order = |n: u128| RecordId(uuid::Uuid::from_u128(1000 + n));
        let mk = |kind: Kind, id: RecordId, ms: u64| {
            let mut s = RecordState::new(kind, id, gz());
            s.fields.or_default("name").heads.insert(Hlc { wall_ms: ms, counter: 0, node: 1 }, json!("x"));
            s
        };
        r.put_confirmed(mk(PRODUCT, RecordId(uuid::Uuid::from_u128(1)), 1));
        r.put_confirmed(mk(CUSTOMER, RecordId(uuid::Uuid::from_u128(2)), 2));
        r.put_confirmed(mk(ORDER, order(1), 30));
        r.put_confirmed(mk(ORDER, order(2), 10));
        r.put_confirmed(mk(ORDER, order(3), 20));
        assert_eq!(r.sync_mark(ORDER, order(3)), SyncMark::Synced);
        r.edit(ORDER, order(3), &gz(), &values(&[("notes", json!("改"))]), None, "u", 40, [1; 10]).unwrap();
        assert_eq!(r.sync_mark(ORDER, order(3)), SyncMark::Pending);
        let keys: Vec<RecordId> = r.eviction_candidates(10, rank).into_iter().map(|(_, id)| id).collect();
        assert_eq!(
            keys,
            vec![order(2), order(1), RecordId(uuid::Uuid::from_u128(2)), RecordId(uuid::Uuid::from_u128(1))]
        );
        assert_eq!(r.eviction_candidates(1, rank).len(), 1);
    }

    #[test]
    fn reloading_never_reuses_a_sequence_number() {
        let mut r = replica();
        r.edit(CUSTOMER, ID, &gz(), &values(&[("name", json!("A"))]), None, "u", 1000, [1; 10]).unwrap();
        let c = r.assign_seqs().remove(0);
        // The sequenced outbox entry was written but the counters were not (a crash in between).
        let stale_meta = ReplicaMeta { next_seq: 1, ..r.meta.clone() };
        let reloaded = Replica::from_parts(stale_meta, vec![], vec![c], vec![]);
        assert_eq!(reloaded.meta.next_seq, 2);
        assert_eq!(reloaded.get(CUSTOMER, ID).unwrap().get_str("name"), "A");
    }

    #[test]
    fn changes_made_in_two_tabs_get_distinct_seqs_from_the_tab_that_syncs() {
        // Two tabs load the same stored replica; each adds a change; storage events
        // carry each tab's change to the other; only the leader sequences.
        let mut leader = replica();
        let mut other = leader.clone();
        other.meta.clock.node = 8;
        let a = leader.edit(CUSTOMER, ID, &gz(), &values(&[("name", json!("A"))]), None, "u", 1000, [1; 10]).unwrap();
        let b =
            other.edit(CUSTOMER, ID, &gz(), &values(&[("phone", json!("12345"))]), None, "u", 1000, [2; 10]).unwrap();
        assert_ne!(a.ts, b.ts, "tabs have their own clock node, so versions never collide");
        leader.put_outbox(b.clone());
        other.put_outbox(a.clone());
        let sequenced = leader.assign_seqs();
        for c in &sequenced {
            other.put_outbox(c.clone());
        }
        let seqs: Vec<u64> = sequenced.iter().map(|c| c.seq).collect();
        assert_eq!(seqs, vec![1, 2]);
        assert_eq!(other.meta.next_seq, 3, "the other tab learns the counter from the sequenced changes");
        assert_eq!(leader.get(CUSTOMER, ID), other.get(CUSTOMER, ID));
    }

    #[test]
    fn a_pull_keeps_local_unsynced_edits_on_top() {
        let mut r = replica();
        r.edit(CUSTOMER, ID, &gz(), &values(&[("name", json!("mine"))]), None, "u", 5000, [1; 10]).unwrap();
        let mut server = RecordState::new(CUSTOMER, ID, gz());
        let other = Change {
            id: ChangeId(uuid::Uuid::from_u128(5)),
            seq: 1,
            kind: CUSTOMER,
            record: ID,
            office: gz(),
            ts: Hlc { wall_ms: 4000, counter: 0, node: 1 },
            by: "x".into(),
            set: RecordState::new(CUSTOMER, ID, gz())
                .writes_for(&values(&[("name", json!("theirs")), ("phone", json!("12345"))])),
            event: None,
        };
        server.apply(&other).unwrap();
        let resp = PullResponse {
            protocol: 1,
            records: vec![server],
            cursor: 10,
            more: false,
            server_time: Hlc::ZERO,
            digest: None,
            store: None,
            total: None,
        };
        r.on_pull(&resp, 6000);
        let shown = r.get(CUSTOMER, ID).unwrap();
        assert_eq!(shown.get_str("phone"), "12345");
        assert_eq!(shown.get_str("name"), "mine", "the later local edit shows");
        assert_eq!(shown.conflicts().len(), 1, "and the concurrent server value is kept as a conflict");
        assert_eq!(r.meta.cursor, 10);
    }
}
