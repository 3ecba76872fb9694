//! The newest record states, in memory, in pull order: a device that is nearly up to
//! date (every device syncing in a loop) is answered from here, without a database read,
//! a blocking thread, or hashing each stored text again to check it.
//!
//! The writer publishes what it committed, under its own lock, after the commit: so the
//! tail never holds what is not durable, and holds states in the order of their seqs.
//! After every write the writer compares the store's newest seq with the tail's; any
//! write that did not publish (a path that forgot to) empties the tail, which then starts
//! again from the store's newest seq, and pulls from before it go to the database.

use common::engine::wire::ScopeDigest;
use serde::Serialize;
use serde_json::value::RawValue;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

/// How much record text the tail keeps; the oldest states leave first. (The states sent
/// packed are kept packed too, about half as much again.)
const MAX_BYTES: usize = 32 * 1024 * 1024;

/// A record as an answer sends it, shared by every answer that sends it: JSON sent as it
/// is (its stored text, or already packed when read from the database for a device that
/// reads packed records, docs/sync-protocol.md section 7), or a state of the tail, packed
/// when first sent so.
#[derive(Clone)]
pub enum Shared {
    Text(Arc<RawValue>),
    Packed(Arc<Kept>),
}

#[cfg(test)]
impl Shared {
    /// Its stored text (of a state not packed).
    fn text(&self) -> &str {
        match self {
            Shared::Text(t) => t.get(),
            Shared::Packed(k) => k.text.get(),
        }
    }
}

impl Serialize for Shared {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Shared::Text(t) => t.serialize(s),
            // Packed by the first answer that sends it, outside the tail's lock (as the
            // answer is written), and kept for every device after it.
            Shared::Packed(k) => k.packed.get_or_init(|| packed_json(k.text.get())).serialize(s),
        }
    }
}

/// A state in the tail: its stored text, and the same packed once a device asks for it.
pub struct Kept {
    text: Arc<RawValue>,
    packed: std::sync::OnceLock<Box<RawValue>>,
}

/// A record's text packed, as a JSON string quoted once here: base64 needs no escapes, so
/// answers copy it as it is instead of checking each character again.
pub fn packed_json(text: &str) -> Box<RawValue> {
    let packed = common::engine::packed::pack(text.as_bytes());
    RawValue::from_string(format!("\"{packed}\"")).unwrap_or_else(|_| unreachable!("base64 is a JSON string's text"))
}

/// One state written, as stored.
pub struct Written {
    pub seq: u64,
    pub kind: String,
    pub id: String,
    pub office: String,
    pub text: Arc<RawValue>,
}

/// What one transaction wrote: its states, and how each scope's digest totals moved.
#[derive(Default)]
pub struct Published {
    pub states: Vec<Written>,
    pub totals: BTreeMap<(String, bool), (i64, i64)>,
}

impl Published {
    pub fn append(&mut self, other: Published) {
        self.states.extend(other.states);
        for (scope, (count, sum)) in other.totals {
            let e = self.totals.entry(scope).or_default();
            e.0 += count;
            e.1 = e.1.wrapping_add(sum);
        }
    }
}

struct Entry {
    seq: u64,
    /// The record has a newer state further on: this one is not sent.
    superseded: bool,
    catalogue_kind: bool,
    key: Arc<(String, String)>,
    office: String,
    text: Arc<Kept>,
}

/// Who is asking: the scope of a pull.
pub struct Scope<'a> {
    pub is_hq: bool,
    pub office: &'a str,
}

impl Scope<'_> {
    fn sees(&self, office: &str, catalogue: bool) -> bool {
        self.is_hq || catalogue || office == self.office
    }
}

/// A pull answered from the tail.
pub struct Answer {
    pub records: Vec<Shared>,
    /// The records' length in JSON (about, when packed), to size the answer's buffer once.
    pub bytes: usize,
    pub cursor: u64,
    pub more: bool,
    /// The scope's totals (before damaged records are taken out): the digest on a last
    /// page, the count for a progress bar on the others.
    pub totals: ScopeDigest,
}

pub struct Tail {
    /// Every state with a seq above `start` is here: a cursor at or above it can be answered.
    start: u64,
    /// The store's newest seq.
    last: u64,
    entries: VecDeque<Entry>,
    /// Each record's newest seq here: older entries of it are marked superseded, as the
    /// store keeps only the newest.
    latest: HashMap<Arc<(String, String)>, u64>,
    bytes: usize,
    /// The scope digest totals, as in the `scope_digests` table.
    totals: BTreeMap<(String, bool), (i64, i64)>,
    /// How much record text it keeps.
    max_bytes: usize,
}

impl Default for Tail {
    fn default() -> Tail {
        Tail::with_room(MAX_BYTES)
    }
}

impl Tail {
    pub fn with_room(max_bytes: usize) -> Tail {
        Tail {
            start: 0,
            last: 0,
            entries: VecDeque::new(),
            latest: HashMap::new(),
            bytes: 0,
            totals: BTreeMap::new(),
            max_bytes,
        }
    }

    /// Empty, at the store's newest seq, with its totals.
    pub fn reset(&mut self, last: u64, totals: BTreeMap<(String, bool), (i64, i64)>) {
        *self = Tail { start: last, last, totals, ..Tail::with_room(self.max_bytes) };
    }

    pub fn last(&self) -> u64 {
        self.last
    }

    /// Adds what a committed transaction wrote. States out of order empty the tail (the
    /// caller then resets it from the store).
    pub fn publish(&mut self, published: Published) -> bool {
        for w in published.states {
            if w.seq <= self.last {
                return false;
            }
            self.last = w.seq;
            let key = Arc::new((w.kind, w.id));
            if let Some(older) = self.latest.insert(key.clone(), w.seq) {
                let at = self.entries.partition_point(|e| e.seq < older);
                if let Some(e) = self.entries.get_mut(at).filter(|e| e.seq == older) {
                    e.superseded = true;
                }
            }
            self.bytes += w.text.get().len();
            let catalogue_kind = matches!(key.0.as_str(), "product" | "station");
            self.entries.push_back(Entry {
                seq: w.seq,
                superseded: false,
                catalogue_kind,
                key,
                office: w.office,
                text: Arc::new(Kept { text: w.text, packed: std::sync::OnceLock::new() }),
            });
        }
        for (scope, (count, sum)) in published.totals {
            let e = self.totals.entry(scope).or_default();
            e.0 += count;
            e.1 = e.1.wrapping_add(sum);
        }
        while self.bytes > self.max_bytes {
            let Some(old) = self.entries.pop_front() else { break };
            self.bytes -= old.text.text.get().len();
            self.start = old.seq;
            if self.latest.get(&old.key) == Some(&old.seq) {
                self.latest.remove(&old.key);
            }
        }
        true
    }

    /// The states after `cursor` that `scope` sees, at most `limit`; `None` if the tail no
    /// longer reaches back to `cursor` (or `cursor` is from the future): ask the store.
    /// `packed`: the asking device reads packed records.
    pub fn pull(&self, scope: &Scope<'_>, cursor: u64, limit: usize, packed: bool) -> Option<Answer> {
        if cursor < self.start || cursor > self.last {
            return None;
        }
        // Entries hold consecutive positions in seq order: skip to the first after `cursor`.
        let from = self.entries.partition_point(|e| e.seq <= cursor);
        let mut records = Vec::new();
        let mut bytes = 0;
        let mut next = cursor;
        let mut more = false;
        for e in self.entries.range(from..) {
            if e.superseded || !scope.sees(&e.office, e.catalogue_kind) {
                continue;
            }
            if records.len() == limit {
                more = true;
                break;
            }
            let json = e.text.text.get().len();
            if packed {
                records.push(Shared::Packed(e.text.clone()));
                // Packed JSON is about 45% of its text, in quotes.
                bytes += json / 2 + 3;
            } else {
                records.push(Shared::Text(e.text.text.clone()));
                bytes += json + 1;
            }
            next = e.seq;
        }
        let (mut count, mut sum) = (0i64, 0i64);
        for ((office, catalogue), (c, s)) in &self.totals {
            if scope.sees(office, *catalogue) {
                count += c;
                sum = sum.wrapping_add(*s);
            }
        }
        let totals = ScopeDigest { count: count as u64, sum: sum as u64 };
        // Read to the end: what the scope does not see up to the newest seq is behind it
        // too, so a branch's cursor keeps up with the store's (and stays within the tail).
        if !more {
            next = next.max(self.last);
        }
        Some(Answer { records, bytes, cursor: next, more, totals })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(seq: u64, kind: &str, id: &str, office: &str) -> Written {
        let text = RawValue::from_string(format!(r#"{{"id":"{id}","seq":{seq}}}"#)).unwrap();
        Written { seq, kind: kind.into(), id: id.into(), office: office.into(), text: Arc::from(text) }
    }

    fn ids(a: &Answer) -> Vec<String> {
        a.records.iter().map(|r| r.text().to_string()).collect()
    }

    #[test]
    fn a_pull_gets_each_records_newest_state_in_scope_and_stops_at_the_limit() {
        let mut tail = Tail::default();
        tail.reset(10, BTreeMap::from([(("FS".to_string(), false), (3, 30))]));
        let states = vec![
            written(11, "order", "a", "FS"),
            written(12, "order", "b", "SZ"),
            written(13, "product", "p", "HQ"),
            written(14, "order", "a", "FS"),
        ];
        let totals = BTreeMap::from([(("FS".to_string(), false), (1, 5)), (("SZ".to_string(), false), (1, 7))]);
        assert!(tail.publish(Published { states, totals }));
        let fs = Scope { is_hq: false, office: "FS" };
        let a = tail.pull(&fs, 10, 100, false).unwrap();
        assert_eq!(ids(&a), [r#"{"id":"p","seq":13}"#, r#"{"id":"a","seq":14}"#]);
        assert_eq!((a.cursor, a.more), (14, false));
        assert_eq!(a.totals, ScopeDigest { count: 4, sum: 35 });
        let hq = Scope { is_hq: true, office: "HQ" };
        let a = tail.pull(&hq, 10, 2, false).unwrap();
        assert_eq!(ids(&a), [r#"{"id":"b","seq":12}"#, r#"{"id":"p","seq":13}"#]);
        assert_eq!((a.cursor, a.more), (13, true));
        let a = tail.pull(&hq, 13, 2, false).unwrap();
        assert_eq!((ids(&a).len(), a.cursor, a.more), (1, 14, false));
        // Up to date: nothing, the cursor stays.
        let a = tail.pull(&fs, 14, 2, false).unwrap();
        assert_eq!((a.records.len(), a.cursor, a.more), (0, 14, false));
        // From before the tail, or from the future: the store answers.
        assert!(tail.pull(&fs, 9, 2, false).is_none());
        assert!(tail.pull(&fs, 15, 2, false).is_none());
        // Out of order: refused.
        assert!(!tail.publish(Published { states: vec![written(14, "order", "c", "FS")], ..Default::default() }));
    }

    #[test]
    fn a_packed_pull_sends_each_state_as_a_string_packed_once_for_every_device() {
        let mut tail = Tail::default();
        tail.reset(0, BTreeMap::new());
        assert!(tail.publish(Published { states: vec![written(1, "order", "a", "FS")], ..Default::default() }));
        let fs = Scope { is_hq: false, office: "FS" };
        let json = |a: &Answer| serde_json::to_string(&a.records).unwrap();
        let plain = tail.pull(&fs, 0, 10, false).unwrap();
        assert_eq!(json(&plain), r#"[{"id":"a","seq":1}]"#);
        let (first, second) = (tail.pull(&fs, 0, 10, true).unwrap(), tail.pull(&fs, 0, 10, true).unwrap());
        let sent: Vec<String> = serde_json::from_str(&json(&first)).unwrap();
        assert_eq!(common::engine::packed::unpack(&sent[0]).as_deref(), Some(r#"{"id":"a","seq":1}"#));
        assert_eq!(json(&second), json(&first));
        let (Shared::Packed(a), Shared::Packed(b)) = (&first.records[0], &second.records[0]) else {
            panic!("not packed")
        };
        let (a, b) = (a.packed.get().unwrap(), b.packed.get().unwrap());
        assert!(std::ptr::eq(a, b), "packed once, kept for the next device");
    }

    #[test]
    fn the_oldest_states_leave_first_and_pulls_from_before_them_go_to_the_store() {
        let one = written(1, "order", "a", "FS").text.get().len();
        let mut tail = Tail::with_room(3 * one);
        tail.reset(0, BTreeMap::new());
        let states = vec![
            written(1, "order", "a", "FS"),
            written(2, "order", "b", "FS"),
            written(3, "order", "a", "FS"),
            written(4, "order", "c", "FS"),
        ];
        assert!(tail.publish(Published { states, ..Default::default() }));
        let fs = Scope { is_hq: false, office: "FS" };
        assert!(tail.pull(&fs, 0, 10, false).is_none(), "seq 1 has left");
        let a = tail.pull(&fs, 1, 10, false).unwrap();
        assert_eq!(ids(&a), [r#"{"id":"b","seq":2}"#, r#"{"id":"a","seq":3}"#, r#"{"id":"c","seq":4}"#]);
        assert_eq!(a.bytes, ids(&a).iter().map(|r| r.len() + 1).sum::<usize>());
    }
}
