//! The device's durable store: localStorage. Confirmed records go many to a key (packs),
//! written as each sync page or push answer arrives, so a first sync is a few large writes
//! and records share one compression context; what the person types (outbox) is one small
//! write per change.
//!
//! Keys (prefix `sd1:`; layout version in `sd:schema`):
//! - `sd1:meta`: client id, clock, next seq, pull cursor
//! - `sd1:session`: token and user of whoever logged in
//! - `sd1:counter`: this device's order-number counter
//! - `sd1:lang`: chosen language
//! - `sd1:p:{n}`: a pack: records as the server confirmed them, written together. A record
//!   written again goes into a newer pack; the copy in the older one is garbage, dropped when
//!   packs are compacted (see [`compact`]). On load, copies of one record are merged.
//! - `sd1:r:{kind}:{id}`: one record (layouts 1–3): still read, moved into packs by [`migrate`]
//! - `sd1:o:{change id}`: a change waiting to be pushed (seq 0 until the syncing tab sequences it)
//! - `sd1:x:{change id}`: a change the server refused, with its reason
//! - `sd1:d:{draft id}`: an order being typed and not saved yet (see `drafts`)
//! - `sd1:li`: the order list's rows (`common::desk::listing::index_text`), compressed: a
//!   cache, shown at an offline open while the records are read, and the first thing
//!   dropped when storage is full
//! - `sd1:lt`: which store the list index was made from: the `sd1:w` it saw, then a hash
//!   of the record, outbox and refusal keys
//! - `sd1:w`: a value written anew just before each write of records, changes or refusals
//!   (see [`records_changing`]), so that a list index made before is seen to be stale
//!
//! Several tabs share these keys. Any tab may add outbox entries; only the tab holding the
//! sync lock (the leader) sequences and pushes them and writes packs, refusals and
//! `sd1:meta`; the others follow through `storage` events (see `apply_storage_event`).

use common::desk::account::LoginResponse;
use common::desk::listing::{self, Row};
use common::desk::numbering::NumberCounter;
use common::engine::ids::{ChangeId, RecordId};
use common::engine::packs::{Key, PackIndex, PACK_RECORDS};
use common::engine::record::{Change, Kind, RecordState};
use common::engine::replica::{Refused, Replica, ReplicaMeta};
use common::engine::storage_codec;
use gloo_storage::errors::StorageError;
use gloo_storage::{LocalStorage, Storage};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::cell::RefCell;
use std::collections::BTreeMap;

/// The layout version of this device's storage. 1: records and changes as plain JSON,
/// outbox keyed by seq. 2: compressed values, outbox and refusals keyed by change id.
/// 3: sync protocol 2's records and changes (steps that hold what they approved).
/// 4: confirmed records in packs; values DEFLATE-compressed (`storage_codec`).
pub const SCHEMA_VERSION: u32 = 4;
const PACK: &str = "sd1:p:";

thread_local! {
    /// Which pack holds each confirmed record's newest copy (this tab's view of storage).
    static PACKS: RefCell<PackIndex> = RefCell::new(PackIndex::default());
}
const META: &str = "sd1:meta";
const SESSION: &str = "sd1:session";
const COUNTER: &str = "sd1:counter";
const LANG: &str = "sd1:lang";
const SCHEMA: &str = "sd:schema";
const LIST: &str = "sd1:li";
const LIST_AT: &str = "sd1:lt";
const WRITTEN: &str = "sd1:w";

thread_local! {
    /// The `sd1:w` this tab's replica matches: read at load, then each one it writes.
    /// Another tab's write changes `sd1:w`, and this tab then leaves the list index alone.
    static MATCHES: RefCell<String> = const { RefCell::new(String::new()) };
}

#[derive(Debug, Clone, PartialEq)]
pub enum SaveError {
    /// The browser's storage is full: nothing was written.
    Quota,
    Other(String),
}

impl From<StorageError> for SaveError {
    fn from(e: StorageError) -> SaveError {
        let text = e.to_string();
        if text.contains("Quota") || text.contains("quota") {
            SaveError::Quota
        } else {
            SaveError::Other(text)
        }
    }
}

fn put<T: Serialize>(key: &str, value: &T) -> Result<(), SaveError> {
    LocalStorage::set(key, value).map_err(SaveError::from)
}

fn get<T: DeserializeOwned>(key: &str) -> Option<T> {
    LocalStorage::get(key).ok()
}

/// Records and changes, the bulk of what is stored, go in compressed (`common::engine::storage_codec`).
fn put_packed<T: Serialize>(key: &str, value: &T) -> Result<(), SaveError> {
    put_raw(key, &storage_codec::encode(value))
}

fn put_raw(key: &str, value: &str) -> Result<(), SaveError> {
    LocalStorage::raw().set_item(key, value).map_err(|e| {
        let name = js_sys::Reflect::get(&e, &"name".into()).ok().and_then(|n| n.as_string()).unwrap_or_default();
        if name == "QuotaExceededError" {
            SaveError::Quota
        } else {
            SaveError::Other(format!("{name}: {e:?}"))
        }
    })
}

fn get_packed<T: DeserializeOwned>(key: &str) -> Option<T> {
    storage_codec::decode(&LocalStorage::raw().get_item(key).ok()??)
}

fn outbox_key(id: ChangeId) -> String {
    format!("sd1:o:{id}")
}

fn refused_key(id: ChangeId) -> String {
    format!("sd1:x:{id}")
}

pub(crate) fn all_keys() -> Vec<String> {
    let raw = LocalStorage::raw();
    let n = raw.length().unwrap_or(0);
    (0..n).filter_map(|i| raw.key(i).ok().flatten()).collect()
}

/// The layout this device's storage is in: 0 for an empty store.
pub fn layout() -> u32 {
    get(SCHEMA).unwrap_or(if get::<ReplicaMeta>(META).is_some() { 1 } else { 0 })
}

/// Whether an older version of the app wrote this device's storage. The core reads only
/// this version's layout and leaves the upgrade to the full app, which carries the readers
/// of every earlier one.
#[cfg(not(feature = "full"))]
pub fn is_older() -> bool {
    (1..SCHEMA_VERSION).contains(&layout()) || left_from_older()
}

/// Whether the upgrade to layout 4 left values an older version wrote: records it could
/// not move into packs (the store was full), lz-string-compressed waiting changes,
/// refusals and parked work (the core reads no lz-string), and drafts kept as JSON
/// objects (before 2026-12-06; see `drafts`). The full app rewrites them.
#[cfg(not(feature = "full"))]
fn left_from_older() -> bool {
    let raw = LocalStorage::raw();
    let value_starts = |k: &str, c: char| raw.get_item(k).ok().flatten().is_some_and(|v| v.starts_with(c));
    all_keys().iter().any(|k| {
        k.starts_with("sd1:r:")
            || (is_small_value(k) && value_starts(k, '~'))
            || (k.starts_with(crate::drafts::PREFIX) && value_starts(k, '{'))
    })
}

/// A waiting change, a refusal or parked work: values written one to a key.
fn is_small_value(key: &str) -> bool {
    key.starts_with("sd1:o:") || key.starts_with("sd1:x:") || key.starts_with(PARKED)
}

/// Brings storage written by an older version of the app up to [`SCHEMA_VERSION`].
/// Returns the version found (0 for an empty store). A newer layout is left untouched.
#[cfg(feature = "full")]
pub fn migrate() -> u32 {
    let found = layout();
    if found == 0 || found > SCHEMA_VERSION {
        return found;
    }
    if found < 2 {
        compress_and_key_by_id();
    }
    if found < 3 {
        to_protocol_2();
    }
    // At layout 4 too: what an earlier upgrade left (see `left_from_older`).
    into_packs();
    recompress_lz_values();
    crate::drafts::rewrite_older();
    if found < SCHEMA_VERSION {
        let _ = put(SCHEMA, &SCHEMA_VERSION);
    }
    found
}

/// Waiting changes, refusals and parked work still in lz-string (layouts 2 and 3 wrote
/// them so, and the upgrade to 4 moved only records) are written again in this codec.
#[cfg(feature = "full")]
fn recompress_lz_values() {
    let raw = LocalStorage::raw();
    for key in all_keys().into_iter().filter(|k| is_small_value(k)) {
        let Some(value) = raw.get_item(&key).ok().flatten().filter(|v| v.starts_with('~')) else { continue };
        if let Some(v) = storage_codec::decode::<Value>(&value) {
            let _ = put_packed(&key, &v);
        }
    }
}

/// Layout 1 → 2: compress values, and key outbox entries and refusals by change id.
fn compress_and_key_by_id() {
    let raw = LocalStorage::raw();
    for key in all_keys() {
        let Some(value) = raw.get_item(&key).ok().flatten() else { continue };
        if !value.starts_with('{') {
            continue;
        }
        let Some(v) = storage_codec::decode::<Value>(&value) else { continue };
        let id = |v: &Value| v.get("id").and_then(Value::as_str).and_then(|s| ChangeId::parse(s).ok());
        let new_key = if key.starts_with("sd1:r:") {
            Some(key.clone())
        } else if key.starts_with("sd1:o:") {
            id(&v).map(outbox_key)
        } else if key.starts_with("sd1:x:") {
            v.get("change").and_then(id).map(refused_key)
        } else {
            None
        };
        if let Some(new_key) = new_key {
            if put_packed(&new_key, &v).is_ok() && new_key != key {
                let _ = raw.remove_item(&key);
            }
        }
    }
}

/// Layout 2 → 3 (sync protocol 1 → 2): waiting changes are rewritten in protocol 2's
/// shape, a step approving the order as this device shows it; refusals likewise; the
/// confirmed records are dropped and pulled again (the server rewrote its own), so
/// nothing unsynced is lost and nothing stale is kept.
fn to_protocol_2() {
    use common::desk::upgrade::{change_from_v1, record_from_v1};
    let mut seen: BTreeMap<(String, String), RecordState> = BTreeMap::new();
    let mut waiting: Vec<(String, Value)> = Vec::new();
    for key in all_keys() {
        let Some(v) = get_packed::<Value>(&key) else { continue };
        if key.starts_with("sd1:r:") {
            if let Some(state) = record_from_v1(v) {
                seen.insert((state.kind.to_string(), state.id.to_string()), state);
            }
            LocalStorage::delete(&key);
        } else if key.starts_with(PACK) {
            // Packs came after protocol 2, but a store may be marked older than it is.
            for v in v.as_array().cloned().unwrap_or_default() {
                if let Some(state) = record_from_v1(v) {
                    seen.insert((state.kind.to_string(), state.id.to_string()), state);
                }
            }
            LocalStorage::delete(&key);
        } else if key.starts_with("sd1:o:") {
            waiting.push((key, v));
        } else if key.starts_with("sd1:x:") {
            let (Some(change), Some(code), Some(message)) = (
                v.get("change").cloned(),
                v.get("code").and_then(Value::as_str),
                v.get("message").and_then(Value::as_str),
            ) else {
                continue;
            };
            if let Some(change) = change_from_v1(change, None) {
                let _ = put_packed(&key, &Refused { change, code: code.into(), message: message.into() });
            }
        }
    }
    // In the order they were made, each against the record as it then stood here.
    let order_of = |v: &Value| {
        let seq = v.get("seq").and_then(Value::as_u64).filter(|s| *s > 0).unwrap_or(u64::MAX);
        (seq, v.get("ts").and_then(Value::as_str).unwrap_or_default().to_string())
    };
    common::sort::sort_by_key(&mut waiting, |(_, v)| order_of(v));
    for (key, v) in waiting {
        let record = (
            v.get("kind").and_then(Value::as_str).unwrap_or_default().to_string(),
            v.get("record").and_then(Value::as_str).unwrap_or_default().to_string(),
        );
        let Some(change) = change_from_v1(v, seen.get(&record)) else { continue };
        match seen.get_mut(&record) {
            Some(s) => {
                let _ = s.apply(&change);
            }
            None => {
                seen.insert(record, RecordState::from_change(&change));
            }
        }
        let _ = put_packed(&key, &change);
    }
    if let Some(mut meta) = get::<ReplicaMeta>(META) {
        meta.cursor = 0;
        meta.complete = true;
        let _ = put(META, &meta);
    }
}

/// Layout 3 → 4: records kept one to a key move into packs, a pack's worth at a time
/// (written, then the single keys removed: a crash in between leaves two copies of the
/// same state, which load merges). If storage fills up, the rest stay as they are, and
/// are moved the next time the full app starts (the core hands such a store to it).
fn into_packs() {
    let singles: Vec<String> = all_keys().into_iter().filter(|k| k.starts_with("sd1:r:")).collect();
    for chunk in singles.chunks(PACK_RECORDS) {
        let states: Vec<RecordState> = chunk.iter().filter_map(|k| get_packed(k)).collect();
        if save_records(&states.iter().collect::<Vec<_>>()).is_err() {
            return;
        }
        for key in chunk {
            LocalStorage::delete(key);
        }
    }
}

fn pack_number(key: &str) -> Option<u64> {
    key.strip_prefix(PACK)?.parse().ok()
}

fn pack_key(n: u64) -> String {
    format!("{PACK}{n}")
}

/// Every pack's number, in the order written.
fn pack_numbers() -> Vec<u64> {
    let mut v: Vec<u64> = all_keys().iter().filter_map(|k| pack_number(k)).collect();
    common::sort::sort(&mut v);
    v
}

/// Folds one stored copy of a record into those read so far (copies of one record in two
/// packs, or a pack and a single key, are merged like any two replicas' copies).
fn merge_into(all: &mut BTreeMap<Key, RecordState>, state: RecordState) {
    match all.entry((state.kind, state.id)) {
        std::collections::btree_map::Entry::Occupied(mut e) => {
            if e.get_mut().merge(&state).is_err() {
                *e.get_mut() = state;
            }
        }
        std::collections::btree_map::Entry::Vacant(e) => {
            e.insert(state);
        }
    }
}

/// Loads the replica, or `None` if this browser has none yet (or it was wiped).
pub fn load_replica() -> Option<Replica> {
    let mut loader = Loader::start()?;
    while loader.step() {}
    Some(loader.finish())
}

/// Reads the replica a pack at a time, so that the app can take input between packs (see
/// `Ctx::load`): [`Loader::step`] until it says there is no more, then [`Loader::finish`].
pub struct Loader {
    meta: ReplicaMeta,
    packs: Vec<u64>,
    confirmed: BTreeMap<Key, RecordState>,
    index: PackIndex,
}

impl Loader {
    pub fn start() -> Option<Loader> {
        let meta: ReplicaMeta = get(META)?;
        MATCHES.with(|m| *m.borrow_mut() = written());
        let mut packs = pack_numbers();
        packs.reverse();
        Some(Loader { meta, packs, confirmed: BTreeMap::new(), index: PackIndex::default() })
    }

    /// The replica without its records: what the screens have while the packs are read.
    pub fn meta_only(&self) -> Replica {
        Replica::from_parts(self.meta.clone(), Vec::new(), Vec::new(), Vec::new())
    }

    /// Reads the next pack; `false` once every pack has been read.
    pub fn step(&mut self) -> bool {
        let Some(n) = self.packs.pop() else { return false };
        // A pack that cannot be read is skipped: its records are pulled again after the
        // digest check finds them missing.
        let stored = LocalStorage::raw().get_item(&pack_key(n)).ok().flatten();
        if let Some(states) = stored.and_then(|s| storage_codec::decode::<Vec<RecordState>>(&s)) {
            self.index.wrote(n, states.iter().map(|s| (s.kind, s.id)));
            for s in states {
                merge_into(&mut self.confirmed, s);
            }
        }
        true
    }

    pub fn finish(self) -> Replica {
        let Loader { meta, mut confirmed, index, .. } = self;
        let mut outbox = Vec::new();
        let mut refused = Vec::new();
        PACKS.with(|p| *p.borrow_mut() = index);
        for key in all_keys() {
            if key.starts_with("sd1:r:") {
                if let Some(r) = get_packed::<RecordState>(&key) {
                    merge_into(&mut confirmed, r);
                }
            } else if key.starts_with("sd1:o:") {
                if let Some(c) = get_packed::<Change>(&key) {
                    outbox.push(c);
                }
            } else if key.starts_with("sd1:x:") {
                if let Some(r) = get_packed::<Refused>(&key) {
                    refused.push(r);
                }
            }
        }
        Replica::from_parts(meta, confirmed.into_values().collect(), outbox, refused)
    }
}

/// A key holding records, a waiting change or a refusal (what the list index is made from).
fn is_record_key(key: &str) -> bool {
    key.starts_with(PACK) || key.starts_with("sd1:r:") || key.starts_with("sd1:o:") || key.starts_with("sd1:x:")
}

fn written() -> String {
    LocalStorage::raw().get_item(WRITTEN).ok().flatten().unwrap_or_default()
}

/// Records, changes or refusals are about to be written or removed: a list index made
/// before no longer matches them (written first: if the write after fails or the tab
/// dies, the index is stale, never wrongly current).
fn records_changing() {
    let token = format!("{:x}", u64::from_le_bytes(crate::state::random_bytes::<8>()));
    if put_raw(WRITTEN, &token).is_err() {
        LocalStorage::delete(LIST_AT);
    }
    MATCHES.with(|m| *m.borrow_mut() = token);
}

/// What the list index is checked against: the last `sd1:w`, and the keys of the records,
/// changes and refusals (an app from before the index writes no `sd1:w`, but any write of
/// it adds or removes one of these).
fn store_mark(written: &str) -> String {
    // FNV-1a of each key, summed (so in any order): a change of keys, not an adversary, is
    // what it tells apart.
    let hash = all_keys()
        .iter()
        .filter(|k| is_record_key(k))
        .map(|k| common::engine::record::fnv1a(k.as_bytes()))
        .fold(0u64, u64::wrapping_add);
    format!("{written} {hash:x}")
}

/// The order list's rows as last stored, if they still match the store.
pub fn load_list_index() -> Option<Vec<Row>> {
    let raw = LocalStorage::raw();
    let at = raw.get_item(LIST_AT).ok()??;
    if at != store_mark(&written()) {
        return None;
    }
    listing::parse_index(&storage_codec::decode_text(&raw.get_item(LIST).ok()??)?)
}

/// Stores the list's rows beside the records, unless what is stored is current already or
/// the store holds what this tab's `replica` does not: another tab wrote since (then it is
/// that tab's to write), or an app from before the index did. Best effort: when storage is
/// full there is no index, and the app reads the records.
pub fn save_list_index(replica: &Replica, rows: impl FnOnce() -> Vec<Row>) {
    let now = written();
    if MATCHES.with(|m| *m.borrow() != now) {
        return;
    }
    let mark = store_mark(&now);
    let raw = LocalStorage::raw();
    if raw.get_item(LIST_AT).ok().flatten().as_deref() == Some(mark.as_str()) {
        return;
    }
    // Every record, change and refusal stored is one this tab holds, and no more.
    let known = |key: &str| match (pack_number(key), key.strip_prefix("sd1:o:"), key.strip_prefix("sd1:x:")) {
        (Some(n), ..) => PACKS.with(|p| p.borrow().holds(n)),
        (_, Some(id), _) => ChangeId::parse(id).is_ok_and(|id| replica.outbox.contains_key(&id)),
        (.., Some(id)) => ChangeId::parse(id).is_ok_and(|id| replica.refused.contains_key(&id)),
        _ => !key.starts_with("sd1:r:"),
    };
    let keys = all_keys();
    let held = PACKS.with(|p| p.borrow().pack_count()) + replica.outbox.len() + replica.refused.len();
    if !keys.iter().all(|k| known(k)) || keys.iter().filter(|k| is_record_key(k)).count() != held {
        return;
    }
    LocalStorage::delete(LIST_AT);
    if put_raw(LIST, &storage_codec::encode_json(listing::index_text(&rows()).as_bytes())).is_ok() {
        let _ = put_raw(LIST_AT, &mark);
    }
}

/// Drops the list index (to make room, or for the next person at this computer); whether
/// there was one.
pub fn drop_list_index() -> bool {
    let had = LocalStorage::raw().get_item(LIST).ok().flatten().is_some();
    LocalStorage::delete(LIST_AT);
    LocalStorage::delete(LIST);
    had
}

pub fn save_meta(meta: &ReplicaMeta) -> Result<(), SaveError> {
    put(SCHEMA, &SCHEMA_VERSION)?;
    put(META, meta)
}

/// A new or newly sequenced outbox change.
pub fn save_change(change: &Change) -> Result<(), SaveError> {
    records_changing();
    put_packed(&outbox_key(change.id), change)
}

/// A confirmed record to store: its state, or (new from a pull) the JSON the server sent,
/// stored as sent rather than written out again.
pub enum Stored<'a> {
    State(&'a RecordState),
    Sent(Key, &'a str),
}

impl Stored<'_> {
    fn key(&self) -> Key {
        match self {
            Stored::State(s) => (s.kind, s.id),
            Stored::Sent(k, _) => *k,
        }
    }
}

/// Confirmed records, as the newest copies: one new pack per [`PACK_RECORDS`]. Copies in
/// older packs become garbage; packs left with nothing live are deleted.
pub fn save_records(states: &[&RecordState]) -> Result<(), SaveError> {
    save_stored(&states.iter().map(|s| Stored::State(s)).collect::<Vec<_>>())
}

pub fn save_stored(items: &[Stored<'_>]) -> Result<(), SaveError> {
    records_changing();
    let raw = LocalStorage::raw();
    for chunk in items.chunks(PACK_RECORDS) {
        let mut n = PACKS.with(|p| p.borrow().next_number());
        // Never over a pack this tab has not heard of (written by another version of the app).
        while raw.get_item(&pack_key(n)).ok().flatten().is_some() {
            n += 1;
        }
        let mut json = String::with_capacity(chunk.len() * 1500);
        json.push('[');
        for (k, item) in chunk.iter().enumerate() {
            if k > 0 {
                json.push(',');
            }
            match item {
                Stored::State(s) => json.push_str(&serde_json::to_string(s).unwrap_or_default()),
                Stored::Sent(_, text) => json.push_str(text),
            }
        }
        json.push(']');
        put_raw(&pack_key(n), &storage_codec::encode_json(json.as_bytes()))?;
        PACKS.with(|p| p.borrow_mut().wrote(n, chunk.iter().map(Stored::key)));
    }
    drop_empty_packs();
    Ok(())
}

fn drop_empty_packs() {
    let empty = PACKS.with(|p| p.borrow().empty());
    for n in empty {
        LocalStorage::delete(pack_key(n));
        PACKS.with(|p| p.borrow_mut().gone(n));
    }
}

/// Merges small packs and packs mostly garbage, when enough have built up (see
/// `PackIndex::compaction`): their live records are written anew, then they go. Best
/// effort: if storage is full it is tried again after the next write.
pub fn compact(replica: &Replica) {
    let Some(chosen) = PACKS.with(|p| p.borrow().compaction()) else { return };
    let keys: Vec<Key> = PACKS.with(|p| {
        let p = p.borrow();
        chosen.iter().flat_map(|n| p.live_in(*n)).collect()
    });
    let states: Vec<&RecordState> = keys.iter().filter_map(|k| replica.confirmed.get(k)).collect();
    if save_records(&states).is_ok() {
        for n in chosen {
            LocalStorage::delete(pack_key(n));
            PACKS.with(|p| p.borrow_mut().gone(n));
        }
    }
}

/// Drops records from the device (they stay on the server) to free room: each pack
/// holding one is deleted and what else it held live is written again, smaller.
pub fn remove_records(victims: &[Key], replica: &Replica) -> Result<(), SaveError> {
    records_changing();
    let victims = common::sort::set_of(victims.iter().copied());
    let packs = PACKS.with(|p| common::sort::set_of(victims.iter().filter_map(|k| p.borrow().home_of(k))));
    for key in &victims {
        LocalStorage::delete(format!("sd1:r:{}:{}", key.0.as_str(), key.1));
    }
    for n in packs {
        let keep: Vec<&RecordState> = PACKS
            .with(|p| p.borrow().live_in(n))
            .into_iter()
            .filter(|k| !victims.contains(k))
            .filter_map(|k| replica.confirmed.get(&k))
            .collect();
        // Deleted first: storage is full.
        LocalStorage::delete(pack_key(n));
        PACKS.with(|p| p.borrow_mut().gone(n));
        save_records(&keep)?;
    }
    Ok(())
}

/// Another tab wrote pack `n` holding `states`, or deleted it: follow, so that this tab
/// knows where records are if it becomes the one that writes.
pub fn heard_pack(n: u64, states: Option<&[RecordState]>) {
    PACKS.with(|p| match states {
        Some(states) => p.borrow_mut().wrote(n, states.iter().map(|s| (s.kind, s.id))),
        None => p.borrow_mut().gone(n),
    });
}

pub fn save_refused(r: &Refused) -> Result<(), SaveError> {
    records_changing();
    put_packed(&refused_key(r.change.id), r)
}

pub fn remove_outbox(id: ChangeId) {
    records_changing();
    LocalStorage::delete(outbox_key(id));
}

pub fn remove_refused(id: ChangeId) {
    records_changing();
    LocalStorage::delete(refused_key(id));
}

/// Everything this tab holds, written back: after another tab or the browser cleared
/// storage, so that unsynced work this tab still has in memory is not lost.
pub fn rewrite_all(replica: &Replica, session: Option<&LoginResponse>) -> Result<(), SaveError> {
    save_meta(&replica.meta)?;
    if let Some(s) = session {
        save_session(s)?;
    }
    for c in replica.outbox.values() {
        save_change(c)?;
    }
    for r in replica.refused.values() {
        save_refused(r)?;
    }
    PACKS.with(|p| p.borrow_mut().clear());
    let all: Vec<&RecordState> = replica.confirmed.values().collect();
    save_records(&all)
}

/// What a `storage` event from another tab means for this tab's replica.
pub enum Incoming {
    Meta(ReplicaMeta),
    /// A pack written, with its number.
    Pack(u64, Vec<RecordState>),
    PackGone(u64),
    Record(RecordState),
    RecordGone(Kind, RecordId),
    Outbox(Change),
    OutboxGone(ChangeId),
    Refused(Refused),
    RefusedGone(ChangeId),
    Session,
    /// The whole store was cleared.
    Cleared,
    Other,
}

fn parse<T: DeserializeOwned>(v: &Option<String>) -> Option<T> {
    v.as_deref().and_then(storage_codec::decode)
}

pub fn parse_event(key: Option<String>, new_value: Option<String>) -> Incoming {
    let Some(key) = key else { return Incoming::Cleared };
    if key == META {
        return parse(&new_value).map(Incoming::Meta).unwrap_or(Incoming::Other);
    }
    if key == SESSION {
        return Incoming::Session;
    }
    if let Some(n) = pack_number(&key) {
        return match parse(&new_value) {
            Some(states) => Incoming::Pack(n, states),
            None if new_value.is_none() => Incoming::PackGone(n),
            None => Incoming::Other,
        };
    }
    if let Some(rest) = key.strip_prefix("sd1:r:") {
        return match parse(&new_value) {
            Some(state) => Incoming::Record(state),
            None => rest
                .split_once(':')
                .and_then(|(k, id)| Some(Incoming::RecordGone(Kind::parse(k)?, RecordId::parse(id).ok()?)))
                .unwrap_or(Incoming::Other),
        };
    }
    if let Some(id) = key.strip_prefix("sd1:o:") {
        return match parse(&new_value) {
            Some(c) => Incoming::Outbox(c),
            None => ChangeId::parse(id).map(Incoming::OutboxGone).unwrap_or(Incoming::Other),
        };
    }
    if let Some(id) = key.strip_prefix("sd1:x:") {
        return match parse(&new_value) {
            Some(r) => Incoming::Refused(r),
            None => ChangeId::parse(id).map(Incoming::RefusedGone).unwrap_or(Incoming::Other),
        };
    }
    Incoming::Other
}

pub fn load_session() -> Option<LoginResponse> {
    get(SESSION)
}

pub fn save_session(s: &LoginResponse) -> Result<(), SaveError> {
    put(SESSION, s)
}

pub fn clear_session() {
    LocalStorage::delete(SESSION);
}

pub fn load_counter() -> NumberCounter {
    get(COUNTER).unwrap_or_default()
}

pub fn save_counter(c: &NumberCounter) -> Result<(), SaveError> {
    put(COUNTER, c)
}

pub fn load_lang() -> Option<String> {
    get(LANG)
}

pub fn save_lang(lang: &str) {
    let _ = put(LANG, &lang);
}

/// One person's unsynced work, set aside while someone else uses this browser: their
/// device id and counters, their waiting changes and their refusals. Pushed when they
/// log in again; never pushed as anyone else.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Parked {
    pub meta: ReplicaMeta,
    pub outbox: Vec<Change>,
    pub refused: Vec<Refused>,
}

common::from_map!(Parked, "parked work", false, { meta: "meta", outbox: "outbox", refused: "refused" });

const PARKED: &str = "sd1:parked:";

/// Sets `replica`'s unsynced work aside under its owner, and clears this browser's
/// records, outbox and refusals for the next person.
pub fn park(owner: &str, replica: &Replica) -> Result<(), SaveError> {
    let parked = Parked {
        meta: replica.meta.clone(),
        outbox: replica.outbox.values().cloned().collect(),
        refused: replica.refused.values().cloned().collect(),
    };
    if !parked.outbox.is_empty() || !parked.refused.is_empty() {
        put_packed(&format!("{PARKED}{owner}"), &parked)?;
    }
    records_changing();
    drop_list_index();
    for key in all_keys() {
        if is_record_key(&key) {
            LocalStorage::delete(&key);
        }
    }
    PACKS.with(|p| p.borrow_mut().clear());
    Ok(())
}

/// `owner`'s work set aside earlier, taken back out of storage.
pub fn unpark(owner: &str) -> Option<Parked> {
    let key = format!("{PARKED}{owner}");
    let parked = get_packed::<Parked>(&key)?;
    LocalStorage::delete(&key);
    Some(parked)
}

/// Whose work waits here, set aside, and how many changes of each.
pub fn parked_owners() -> Vec<(String, usize)> {
    all_keys()
        .into_iter()
        .filter_map(|k| {
            let owner = k.strip_prefix(PARKED)?.to_string();
            let p = get_packed::<Parked>(&k)?;
            Some((owner, p.outbox.len() + p.refused.len()))
        })
        .collect()
}

/// Drops every confirmed record (they can be pulled again), keeping the outbox and
/// refusals. Used at log-out so the next person on this computer starts clean.
pub fn forget_records() {
    records_changing();
    drop_list_index();
    for key in all_keys() {
        if key.starts_with("sd1:r:") || key.starts_with(PACK) {
            LocalStorage::delete(&key);
        }
    }
    PACKS.with(|p| p.borrow_mut().clear());
    if let Some(mut meta) = get::<ReplicaMeta>(META) {
        meta.cursor = 0;
        let _ = save_meta(&meta);
    }
}

/// What this origin's localStorage holds, in UTF-16 units (keys and values): what the
/// browser's quota counts (Chromium: 5,242,880).
pub fn used_units() -> u64 {
    let raw = LocalStorage::raw();
    all_keys()
        .iter()
        .map(|k| {
            k.encode_utf16().count() as u64
                + raw.get_item(k).ok().flatten().map_or(0, |v| v.encode_utf16().count() as u64)
        })
        .sum()
}

/// When this device last finished a sync (UTC ms): balances it shows are as of then.
pub fn save_last_sync(ms: u64) {
    let _ = LocalStorage::set("sd1:last_sync", ms);
}

pub fn load_last_sync() -> Option<u64> {
    LocalStorage::get("sd1:last_sync").ok()
}
