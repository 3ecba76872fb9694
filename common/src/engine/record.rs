//! The merge engine: records as state-based CRDTs.
//!
//! A record is a map of fields plus a set of events. Each field is a multi-value
//! register: every write is a *version* named by its HLC timestamp and lists the versions
//! it replaces (the ones its writer could see). The live versions ("heads") are those no
//! known version replaces; one head is the value, several heads with different values are
//! a conflict that stays visible until someone writes a value replacing all of them.
//! Events (status actions) are a grow-only set keyed by timestamp.
//!
//! Merging two states is set union followed by dropping replaced heads, so it is
//! commutative, associative and idempotent: any delivery order, any duplication, the
//! same result. Nothing a person wrote disappears without a later write that saw it.

use crate::engine::hlc::Hlc;
use crate::engine::ids::{ChangeId, OfficeCode, RecordId};
use crate::engine::sorted_map::SortedMap;
use crate::from_map;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// A kind of record (`order`, `customer`, ...): a short lower-case code. The engine treats
/// kinds alike; the domain declares which exist and what their fields and steps are.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Kind {
    /// ASCII `[a-z_]`, zero-padded: byte order is the code's alphabetical order.
    code: [u8; 16],
}

impl Kind {
    /// A kind from a code fixed in the source; a bad code fails the build.
    pub const fn new(code: &str) -> Kind {
        let b = code.as_bytes();
        assert!(!b.is_empty() && b.len() <= 16, "a kind code has 1 to 16 characters");
        let mut out = [0u8; 16];
        let mut i = 0;
        while i < b.len() {
            assert!(b[i] == b'_' || b[i].is_ascii_lowercase(), "a kind code is made of a-z and _");
            out[i] = b[i];
            i += 1;
        }
        Kind { code: out }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        let ok = (1..=16).contains(&s.len()) && s.bytes().all(|b| b == b'_' || b.is_ascii_lowercase());
        ok.then(|| Kind::new(s))
    }

    pub fn as_str(&self) -> &str {
        let n = self.code.iter().position(|b| *b == 0).unwrap_or(16);
        std::str::from_utf8(&self.code[..n]).unwrap_or("")
    }
}

impl std::fmt::Debug for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Kind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Kind, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Kind::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("{s:?} is not a kind of record")))
    }
}

// The structs a record is made of list their fields in the alphabetical order of their
// JSON keys, so that serde writes them in canonical order (RFC 8785) without a detour
// through `Value`: storing, sending and hashing a record stays one serialisation.

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FieldState {
    /// Versions known to be replaced; kept so that a late copy cannot come back to life.
    #[serde(rename = "r", skip_serializing_if = "BTreeSet::is_empty")]
    pub replaced: BTreeSet<Hlc>,
    /// Live versions: written and not replaced by any version known here. Usually one.
    #[serde(rename = "v")]
    pub heads: SortedMap<Hlc, Value>,
}

from_map!(FieldState, "a field's versions", false, { replaced: "r" or Default::default(), heads: "v" });

impl FieldState {
    fn add(&mut self, ts: Hlc, value: &Value, replaces: &[Hlc]) {
        self.replaced.extend(replaces.iter().copied().filter(|r| *r != ts));
        if !self.replaced.contains(&ts) {
            insert_version(&mut self.heads, ts, value);
        }
        self.prune();
    }

    fn merge(&mut self, other: &FieldState) {
        self.replaced.extend(other.replaced.iter().copied());
        for (ts, value) in &other.heads {
            if !self.replaced.contains(ts) {
                insert_version(&mut self.heads, *ts, value);
            }
        }
        self.prune();
    }

    fn prune(&mut self) {
        let replaced = &self.replaced;
        self.heads.retain(|ts, _| !replaced.contains(ts));
    }

    /// The value everyone agrees to show: the head with the greatest timestamp.
    pub fn winner(&self) -> Option<(&Hlc, &Value)> {
        self.heads.iter().next_back()
    }

    /// Several live versions with different values: a conflict for a person to settle.
    pub fn is_conflict(&self) -> bool {
        let mut values = self.heads.values();
        match values.next() {
            Some(first) => values.any(|v| v != first),
            None => false,
        }
    }
}

/// Two copies of one version never differ unless a client forged one; the larger (by its
/// JSON text) wins so that even then every replica picks the same.
fn insert_version(heads: &mut SortedMap<Hlc, Value>, ts: Hlc, value: &Value) {
    let keep_existing = match heads.get(&ts) {
        Some(existing) if existing == value => true,
        Some(existing) => {
            let (old, new) = (existing.to_string(), value.to_string());
            old >= new
        }
        None => false,
    };
    if !keep_existing {
        heads.insert(ts, value.clone());
    }
}

/// A step taken on a record, as a change carries it: which step, its details (a stamp,
/// a waybill, a reason), the values of the kind's guarded fields it approves, and the
/// steps already on the record, as the person saw them (see [`crate::engine::workflow`]).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct StepWrite {
    pub step: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub data: BTreeMap<String, Value>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub approved: BTreeMap<String, Value>,
    /// The timestamps of the record's steps its author's screen showed: a step that is
    /// impossible from what its author saw is refused; one that meets a step made
    /// elsewhere meanwhile is concurrent. Kept on the change, not in the record.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub seen: Vec<Hlc>,
}

from_map!(StepWrite, "a step", true, {
    step: "step",
    data: "data" or Default::default(),
    approved: "approved" or Default::default(),
    seen: "seen" or Default::default(),
});

/// A step as a record keeps it: the step and who took it. Its timestamp is its key in
/// [`RecordState::events`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Event {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub approved: BTreeMap<String, Value>,
    pub by: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub data: BTreeMap<String, Value>,
    pub step: String,
}

from_map!(Event, "a step taken", false, {
    approved: "approved" or Default::default(),
    by: "by",
    data: "data" or Default::default(),
    step: "step",
});

impl Event {
    pub fn new(write: &StepWrite, by: &str) -> Event {
        Event {
            step: write.step.clone(),
            data: write.data.clone(),
            approved: write.approved.clone(),
            by: by.to_string(),
        }
    }
}

/// Who made a change and when it reached the server, as the server saw it; written only
/// by the server, keyed by the change's timestamp in [`RecordState::log`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LogEntry {
    /// The user name (log-in).
    pub by: String,
    /// The device's number within its office.
    pub device: u32,
    /// The person's name as people know it.
    pub name: String,
    /// ... and the value written over it (fields set for the first time are in neither).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub new: BTreeMap<String, Value>,
    pub office: OfficeCode,
    /// Each field the change wrote that had a value before: that value ...
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub old: BTreeMap<String, Value>,
    /// Server time (UTC ms) when the change was stored.
    pub received_ms: u64,
    pub role: String,
}

from_map!(LogEntry, "a history entry", false, {
    by: "by",
    device: "device",
    name: "name",
    new: "new" or Default::default(),
    office: "office",
    old: "old" or Default::default(),
    received_ms: "received_ms",
    role: "role",
});

/// One record as every replica stores it, server and devices alike.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RecordState {
    #[serde(skip_serializing_if = "SortedMap::is_empty")]
    pub events: SortedMap<Hlc, Event>,
    pub fields: SortedMap<String, FieldState>,
    pub id: RecordId,
    pub kind: Kind,
    /// Who made each stored change, and when the server got it (the history).
    #[serde(skip_serializing_if = "SortedMap::is_empty")]
    pub log: SortedMap<Hlc, LogEntry>,
    pub office: OfficeCode,
}

from_map!(RecordState, "a record", false, {
    events: "events" or Default::default(),
    fields: "fields" or Default::default(),
    id: "id",
    kind: "kind",
    log: "log" or Default::default(),
    office: "office",
});

/// A write of one field inside a change: the new value and the versions it replaces.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FieldWrite {
    pub value: Value,
    pub replaces: Vec<Hlc>,
}

from_map!(FieldWrite, "a field write", true, { value: "value", replaces: "replaces" or Default::default() });

/// One person's edit of one record: the unit of sync. Header fields, lines and a status
/// action made together travel and apply together.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Change {
    pub id: ChangeId,
    /// Position in the sending client's stream: 1, 2, 3, ... with no gaps.
    pub seq: u64,
    pub kind: Kind,
    pub record: RecordId,
    pub office: OfficeCode,
    pub ts: Hlc,
    /// The user name of whoever made the change; the server checks it is the session's.
    pub by: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub set: BTreeMap<String, FieldWrite>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<StepWrite>,
}

from_map!(Change, "a change", true, {
    id: "id",
    seq: "seq",
    kind: "kind",
    record: "record",
    office: "office",
    ts: "ts",
    by: "by",
    set: "set" or Default::default(),
    event: "event" or None,
});

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    #[error("change is for {got}, not for this record {expected}")]
    WrongRecord { expected: String, got: String },
    #[error("record belongs to office {stored}; a change cannot move it to {got}")]
    OfficeMismatch { stored: OfficeCode, got: OfficeCode },
}

/// A field with several live values, for the person who settles it.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldConflict {
    pub field: String,
    /// Oldest first; the last one is what is currently shown.
    pub versions: Vec<(Hlc, Value)>,
}

/// Inserts `value` at `key` unless an entry that sorts first by `order` is there: a merge
/// that gives the same result in any order.
fn keep_first<V: Clone, O: Ord>(map: &mut SortedMap<Hlc, V>, key: Hlc, value: &V, order: impl Fn(&V) -> O) {
    match map.get_mut(&key) {
        Some(mine) if order(value) < order(mine) => *mine = value.clone(),
        Some(_) => {}
        None => {
            map.insert(key, value.clone());
        }
    }
}

impl RecordState {
    pub fn new(kind: Kind, id: RecordId, office: OfficeCode) -> RecordState {
        RecordState {
            kind,
            id,
            office,
            fields: SortedMap::default(),
            events: SortedMap::default(),
            log: SortedMap::default(),
        }
    }

    /// A record as it stands after `change`, starting from nothing.
    pub fn from_change(change: &Change) -> RecordState {
        let mut state = RecordState::new(change.kind, change.record, change.office.clone());
        state.apply_unchecked(change);
        state
    }

    fn check_same(&self, kind: Kind, id: RecordId, office: &OfficeCode) -> Result<(), MergeError> {
        if kind != self.kind || id != self.id {
            return Err(MergeError::WrongRecord {
                expected: format!("{}/{}", self.kind.as_str(), self.id),
                got: format!("{}/{}", kind.as_str(), id),
            });
        }
        if *office != self.office {
            return Err(MergeError::OfficeMismatch { stored: self.office.clone(), got: office.clone() });
        }
        Ok(())
    }

    pub fn apply(&mut self, change: &Change) -> Result<(), MergeError> {
        self.check_same(change.kind, change.record, &change.office)?;
        self.apply_unchecked(change);
        Ok(())
    }

    fn apply_unchecked(&mut self, change: &Change) {
        for (name, write) in &change.set {
            self.fields.or_default(name.as_str()).add(change.ts, &write.value, &write.replaces);
        }
        if let Some(step) = &change.event {
            self.events.or_insert_with(change.ts, || Event::new(step, &change.by));
        }
    }

    /// Folds another replica's copy of this record into ours.
    pub fn merge(&mut self, other: &RecordState) -> Result<(), MergeError> {
        self.check_same(other.kind, other.id, &other.office)?;
        for (name, field) in &other.fields {
            self.fields.or_default(name.as_str()).merge(field);
        }
        for (ts, event) in &other.events {
            keep_first(&mut self.events, *ts, event, |e| serde_json::to_string(e).unwrap_or_default());
        }
        for (ts, entry) in &other.log {
            self.note(*ts, entry.clone());
        }
        Ok(())
    }

    /// Notes the server's history entry for the change stamped `ts`. A change stored twice
    /// (sent again to a server restored from a backup) keeps the entry of its first arrival,
    /// so replicas agree whichever copy they met first.
    pub fn note(&mut self, ts: Hlc, entry: LogEntry) {
        keep_first(&mut self.log, ts, &entry, |e| (e.received_ms, serde_json::to_string(e).unwrap_or_default()));
    }

    pub fn get(&self, field: &str) -> Option<&Value> {
        self.fields.get(field).and_then(|f| f.winner()).map(|(_, v)| v)
    }

    pub fn get_str(&self, field: &str) -> &str {
        self.get(field).and_then(Value::as_str).unwrap_or("")
    }

    /// The earliest timestamp in the record: when it was created.
    pub fn created(&self) -> Option<Hlc> {
        let fields = self.fields.values().flat_map(|f| f.heads.keys().chain(f.replaced.iter()));
        fields.chain(self.events.keys()).min().copied()
    }

    pub fn conflicts(&self) -> Vec<FieldConflict> {
        self.fields
            .iter()
            .filter(|(_, f)| f.is_conflict())
            .map(|(name, f)| FieldConflict {
                field: name.clone(),
                versions: f.heads.iter().map(|(t, v)| (*t, v.clone())).collect(),
            })
            .collect()
    }

    /// The writes that take this record to `values`: only fields whose shown value differs,
    /// or that are in conflict (writing settles the conflict), each replacing every head
    /// this replica sees.
    pub fn writes_for(&self, values: &BTreeMap<String, Value>) -> BTreeMap<String, FieldWrite> {
        crate::sort::map_of(
            values
                .iter()
                .filter(|(name, value)| match self.fields.get(name.as_str()) {
                    Some(f) => f.is_conflict() || f.winner().map(|(_, v)| v) != Some(*value),
                    None => true,
                })
                .map(|(name, value)| {
                    let replaces =
                        self.fields.get(name.as_str()).map(|f| f.heads.keys().copied().collect()).unwrap_or_default();
                    (name.clone(), FieldWrite { value: value.clone(), replaces })
                }),
        )
    }

    /// The state as canonical JSON (RFC 8785, [`crate::engine::canonical`]): what the
    /// server stores and sends, and what the digest is computed over. The structs' fields
    /// are in key order and every map is sorted, so serde writes it canonically as it is
    /// (keys are ASCII: field names, timestamps, ids); a test holds this against the
    /// general canonicaliser.
    pub fn canonical_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A stable 64-bit digest of the whole state (FNV-1a-64 over its canonical JSON), equal
    /// on every replica that holds the same state.
    pub fn digest(&self) -> u64 {
        fnv1a(self.canonical_json().as_bytes())
    }
}

impl RecordState {
    /// The top half of [`RecordState::digest`]: small enough that a database can sum
    /// millions of them in a 64-bit integer.
    pub fn digest32(&self) -> u32 {
        (self.digest() >> 32) as u32
    }
}

/// [`RecordState::digest32`] of a state already serialised (as the server stores it).
pub fn digest32_of_json(json: &[u8]) -> u32 {
    (fnv1a(json) >> 32) as u32
}

pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ts(wall_ms: u64, node: u64) -> Hlc {
        Hlc { wall_ms, counter: 0, node }
    }

    fn office(code: &str) -> OfficeCode {
        OfficeCode::parse(code).unwrap()
    }

    const REC: RecordId = RecordId(uuid::Uuid::from_u128(1));
    const ORDER: Kind = Kind::new("order");

    fn change(at: Hlc, base: &RecordState, values: &[(&str, Value)]) -> Change {
        let values: BTreeMap<String, Value> = values.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
        Change {
            id: ChangeId(uuid::Uuid::from_u128(u128::from(at.wall_ms) << 16 | u128::from(at.node))),
            seq: 1,
            kind: ORDER,
            record: REC,
            office: office("GZ"),
            ts: at,
            by: "tester".into(),
            set: base.writes_for(&values),
            event: None,
        }
    }

    fn empty() -> RecordState {
        RecordState::new(ORDER, REC, office("GZ"))
    }

    /// One case of the table below: two replicas start from `base`, each applies its own
    /// edits without seeing the other's, then they exchange states both ways.
    struct Case {
        name: &'static str,
        a: Vec<(&'static str, Value)>,
        b: Vec<(&'static str, Value)>,
        shown: Vec<(&'static str, Value)>,
        conflicts: Vec<&'static str>,
    }

    fn check(case: Case) {
        let base_change =
            change(ts(1, 9), &empty(), &[("phone", json!("1")), ("notes", json!("")), ("address", json!("x"))]);
        let base = RecordState::from_change(&base_change);
        let mut a = base.clone();
        a.apply(&change(ts(10, 1), &base, &case.a)).unwrap();
        let mut b = base.clone();
        b.apply(&change(ts(20, 2), &base, &case.b)).unwrap();
        let mut ab = a.clone();
        ab.merge(&b).unwrap();
        let mut ba = b.clone();
        ba.merge(&a).unwrap();
        assert_eq!(ab, ba, "{}: merge must commute", case.name);
        assert_eq!(ab.digest(), ba.digest(), "{}", case.name);
        for (field, value) in &case.shown {
            assert_eq!(ab.get(field), Some(value), "{}: field {field}", case.name);
        }
        let conflicts: Vec<String> = ab.conflicts().into_iter().map(|c| c.field).collect();
        assert_eq!(conflicts, case.conflicts, "{}", case.name);
    }

    #[test]
    fn concurrent_edits_merge_per_field() {
        let cases = vec![
            Case {
                name: "different fields both stand",
                a: vec![("phone", json!("2"))],
                b: vec![("notes", json!("call first"))],
                shown: vec![("phone", json!("2")), ("notes", json!("call first"))],
                conflicts: vec![],
            },
            Case {
                name: "same field, same value: no conflict",
                a: vec![("phone", json!("3"))],
                b: vec![("phone", json!("3"))],
                shown: vec![("phone", json!("3"))],
                conflicts: vec![],
            },
            Case {
                name: "same field, different values: later wins and the conflict is kept",
                a: vec![("phone", json!("4"))],
                b: vec![("phone", json!("5"))],
                shown: vec![("phone", json!("5"))],
                conflicts: vec!["phone"],
            },
            Case {
                name: "one side edits, the other does nothing",
                a: vec![("address", json!("y"))],
                b: vec![],
                shown: vec![("address", json!("y")), ("phone", json!("1"))],
                conflicts: vec![],
            },
            Case {
                name: "a new field on each side",
                a: vec![("station", json!("德邦"))],
                b: vec![("delivery_date", json!("2026-12-01"))],
                shown: vec![("station", json!("德邦")), ("delivery_date", json!("2026-12-01"))],
                conflicts: vec![],
            },
            Case {
                name: "two conflicts and one clean field",
                a: vec![("phone", json!("a")), ("notes", json!("n1")), ("address", json!("z"))],
                b: vec![("phone", json!("b")), ("notes", json!("n2"))],
                shown: vec![("address", json!("z")), ("notes", json!("n2"))],
                conflicts: vec!["notes", "phone"],
            },
        ];
        for case in cases {
            check(case);
        }
    }

    #[test]
    fn a_write_that_saw_the_conflict_settles_it_everywhere() {
        let base = RecordState::from_change(&change(ts(1, 9), &empty(), &[("phone", json!("1"))]));
        let mut a = base.clone();
        a.apply(&change(ts(10, 1), &base, &[("phone", json!("A"))])).unwrap();
        let mut b = base.clone();
        b.apply(&change(ts(20, 2), &base, &[("phone", json!("B"))])).unwrap();
        a.merge(&b).unwrap();
        assert_eq!(a.conflicts().len(), 1);
        // Settling picks the older value; it becomes the only head.
        let settle = change(ts(30, 1), &a, &[("phone", json!("A"))]);
        assert!(settle.set.contains_key("phone"), "settling writes even an equal value");
        a.apply(&settle).unwrap();
        assert!(a.conflicts().is_empty());
        assert_eq!(a.get("phone"), Some(&json!("A")));
        // A late, duplicated copy of the old state changes nothing.
        b.merge(&a).unwrap();
        b.merge(&base).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn a_sequential_overwrite_is_not_a_conflict() {
        let base = RecordState::from_change(&change(ts(1, 9), &empty(), &[("phone", json!("1"))]));
        let mut a = base.clone();
        a.apply(&change(ts(10, 1), &base, &[("phone", json!("2"))])).unwrap();
        let next = change(ts(5, 2), &a, &[("phone", json!("3"))]); // clock behind, but saw "2"
        let mut b = a.clone();
        b.apply(&next).unwrap();
        assert_eq!(b.get("phone"), Some(&json!("3")));
        assert!(b.conflicts().is_empty());
    }

    #[test]
    fn a_change_cannot_move_a_record_to_another_office() {
        let mut state = RecordState::from_change(&change(ts(1, 9), &empty(), &[("phone", json!("1"))]));
        let mut forged = change(ts(2, 9), &state, &[("phone", json!("2"))]);
        forged.office = office("FS");
        assert!(matches!(state.apply(&forged), Err(MergeError::OfficeMismatch { .. })));
        assert_eq!(state.get("phone"), Some(&json!("1")));
    }

    mod laws {
        use super::*;
        use proptest::prelude::*;

        /// Random writes to a few fields with a few values, each replacing a random
        /// subset of earlier writes (what its writer happened to have seen).
        fn changes() -> impl Strategy<Value = Vec<Change>> {
            proptest::collection::vec((0..3usize, 0..3u8, any::<u64>(), any::<bool>()), 1..12).prop_map(|specs| {
                let mut out: Vec<Change> = Vec::new();
                for (i, (field, value, seen, event)) in specs.into_iter().enumerate() {
                    let name = ["phone", "notes", "address"][field];
                    let ts = Hlc { wall_ms: 100 + (seen % 7), counter: i as u16, node: (seen % 3) + 1 };
                    let replaces: Vec<Hlc> = out
                        .iter()
                        .filter(|c| c.set.contains_key(name))
                        .filter(|c| seen >> (c.ts.counter % 60) & 1 == 1)
                        .map(|c| c.ts)
                        .collect();
                    let mut set = BTreeMap::new();
                    set.insert(name.to_string(), FieldWrite { value: json!(format!("v{value}")), replaces });
                    let event = event.then(|| StepWrite { step: "review".into(), ..Default::default() });
                    out.push(Change {
                        id: ChangeId(uuid::Uuid::from_u128(i as u128 + 1)),
                        seq: i as u64 + 1,
                        kind: ORDER,
                        record: REC,
                        office: office("GZ"),
                        ts,
                        by: "t".into(),
                        set,
                        event,
                    });
                }
                out
            })
        }

        fn state_of(changes: &[Change], mask: u32) -> RecordState {
            let mut s = empty();
            for (i, c) in changes.iter().enumerate() {
                if mask >> (i % 32) & 1 == 1 {
                    s.apply(c).unwrap();
                }
            }
            s
        }

        fn merged(a: &RecordState, b: &RecordState) -> RecordState {
            let mut m = a.clone();
            m.merge(b).unwrap();
            m
        }

        proptest! {
            #[test]
            fn merge_is_commutative_associative_and_idempotent(cs in changes(), ma in any::<u32>(), mb in any::<u32>(), mc in any::<u32>()) {
                let (a, b, c) = (state_of(&cs, ma), state_of(&cs, mb), state_of(&cs, mc));
                prop_assert_eq!(merged(&a, &b), merged(&b, &a));
                prop_assert_eq!(merged(&merged(&a, &b), &c), merged(&a, &merged(&b, &c)));
                prop_assert_eq!(merged(&a, &a), a.clone());
                prop_assert_eq!(merged(&merged(&a, &b), &b), merged(&a, &b));
            }

            #[test]
            fn any_delivery_order_gives_the_same_state(cs in changes(), seed in any::<u64>()) {
                let mut shuffled = cs.clone();
                let n = shuffled.len();
                for i in (1..n).rev() {
                    shuffled.swap(i, (seed.rotate_left(i as u32) % (i as u64 + 1)) as usize);
                }
                shuffled.push(shuffled[0].clone()); // and a duplicate
                prop_assert_eq!(state_of(&cs, u32::MAX), state_of(&shuffled, u32::MAX));
            }
        }
    }

    #[test]
    fn kinds_are_short_lower_case_codes_that_sort_like_their_names() {
        assert_eq!(Kind::parse("order"), Some(ORDER));
        assert_eq!(ORDER.as_str(), "order");
        assert_eq!(Kind::parse(""), None);
        assert_eq!(Kind::parse("Order"), None);
        assert_eq!(Kind::parse("a_kind_with_a_long_name"), None);
        assert!(Kind::new("customer") < ORDER && ORDER < Kind::new("order_line"));
        assert_eq!(serde_json::to_string(&ORDER).unwrap(), "\"order\"");
        assert!(serde_json::from_str::<Kind>("\"or der\"").is_err());
    }

    /// docs/sync-protocol.md's worked example: the record (keys in any order, spaced),
    /// its canonical bytes and its digest.
    #[test]
    fn the_documented_worked_example_of_a_digest_holds() {
        let record = r#"{"kind": "order", "id": "0193a1b2-c3d4-7000-8000-00000000abcd", "office": "FS",
 "fields": {
   "number": {"v": {"0193a1b2c3d4-0000-00000000000000a1": "FS-261129-03-007"}},
   "phone": {"v": {"0193a1b2c3e0-0001-00000000000000a1": "0757-2233 4455"}, "r": ["0193a1b2c3d4-0000-00000000000000a1"]},
   "lines": {"v": {"0193a1b2c3d4-0000-00000000000000a1": [{"unit_price": 12850, "quantity": 12, "name": "单把手面盆龙头", "model": "AJ-8801", "unit": "个"}]}}
 },
 "events": {"0193a1b2c3f0-0000-00000000000000b2": {"by": "fs_cashier", "step": "audit", "data": {"stamp": "paid"},
   "approved": {"lines": [{"model": "AJ-8801", "name": "单把手面盆龙头", "quantity": 12, "unit": "个", "unit_price": 12850}]}}},
 "log": {"0193a1b2c3f0-0000-00000000000000b2": {"received_ms": 1795950000000, "by": "fs_cashier", "name": "王芳", "role": "cashier", "office": "FS", "device": 3}}
}"#;
        let canonical = r#"{"events":{"0193a1b2c3f0-0000-00000000000000b2":{"approved":{"lines":[{"model":"AJ-8801","name":"单把手面盆龙头","quantity":12,"unit":"个","unit_price":12850}]},"by":"fs_cashier","data":{"stamp":"paid"},"step":"audit"}},"fields":{"lines":{"v":{"0193a1b2c3d4-0000-00000000000000a1":[{"model":"AJ-8801","name":"单把手面盆龙头","quantity":12,"unit":"个","unit_price":12850}]}},"number":{"v":{"0193a1b2c3d4-0000-00000000000000a1":"FS-261129-03-007"}},"phone":{"r":["0193a1b2c3d4-0000-00000000000000a1"],"v":{"0193a1b2c3e0-0001-00000000000000a1":"0757-2233 4455"}}},"id":"0193a1b2-c3d4-7000-8000-00000000abcd","kind":"order","log":{"0193a1b2c3f0-0000-00000000000000b2":{"by":"fs_cashier","device":3,"name":"王芳","office":"FS","received_ms":1795950000000,"role":"cashier"}},"office":"FS"}"#;
        let state: RecordState = serde_json::from_str(record).unwrap();
        assert_eq!(state.canonical_json(), canonical);
        assert_eq!(format!("{:016x}", state.digest()), "001933fabccd12f9");
        assert_eq!(state.digest32(), 0x001933fa);
        // The canonical form does not depend on how the record was written.
        let value: Value = serde_json::from_str(record).unwrap();
        assert_eq!(String::from_utf8(crate::engine::canonical::to_vec(&value)).unwrap(), canonical);
    }

    #[test]
    fn state_survives_a_json_round_trip() {
        let state = RecordState::from_change(&change(ts(1, 9), &empty(), &[("phone", json!("1"))]));
        let text = serde_json::to_string(&state).unwrap();
        assert_eq!(serde_json::from_str::<RecordState>(&text).unwrap(), state);
    }
}
