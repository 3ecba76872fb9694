//! The device's durable store: localStorage, one key per record and per outbox entry,
//! so every save is a single small write and nothing is rewritten wholesale.
//!
//! Keys (schema version 1, prefix `sd1:`):
//! - `sd1:meta`: client id, clock, next seq, pull cursor
//! - `sd1:session`: token and user of whoever logged in
//! - `sd1:counter`: this device's order-number counter
//! - `sd1:lang`: chosen language
//! - `sd1:r:{kind}:{id}`: a record as the server confirmed it
//! - `sd1:o:{seq}`: a change waiting to be pushed
//! - `sd1:x:{seq}`: a change the server refused, with its reason

use common::numbering::NumberCounter;
use common::record::{Change, RecordState};
use common::replica::{Refused, Replica, ReplicaMeta};
use common::wire::LoginResponse;
use gloo_storage::errors::StorageError;
use gloo_storage::{LocalStorage, Storage};
use serde::de::DeserializeOwned;
use serde::Serialize;

pub const SCHEMA_VERSION: u32 = 1;
const META: &str = "sd1:meta";
const SESSION: &str = "sd1:session";
const COUNTER: &str = "sd1:counter";
const LANG: &str = "sd1:lang";
const SCHEMA: &str = "sd:schema";

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

fn record_key(state: &RecordState) -> String {
    format!("sd1:r:{}:{}", state.kind.as_str(), state.id)
}

fn outbox_key(seq: u64) -> String {
    format!("sd1:o:{seq:012}")
}

fn refused_key(seq: u64) -> String {
    format!("sd1:x:{seq:012}")
}

fn all_keys() -> Vec<String> {
    let raw = LocalStorage::raw();
    let n = raw.length().unwrap_or(0);
    (0..n).filter_map(|i| raw.key(i).ok().flatten()).collect()
}

/// Loads the replica, or `None` if this browser has none yet (or it was wiped).
pub fn load_replica() -> Option<Replica> {
    let meta: ReplicaMeta = get(META)?;
    let mut confirmed = Vec::new();
    let mut outbox = Vec::new();
    let mut refused = Vec::new();
    for key in all_keys() {
        if key.starts_with("sd1:r:") {
            if let Some(r) = get::<RecordState>(&key) {
                confirmed.push(r);
            }
        } else if key.starts_with("sd1:o:") {
            if let Some(c) = get::<Change>(&key) {
                outbox.push(c);
            }
        } else if let Some(seq) = key.strip_prefix("sd1:x:").and_then(|s| s.parse::<u64>().ok()) {
            if let Some(r) = get::<Refused>(&key) {
                refused.push((seq, r));
            }
        }
    }
    Some(Replica::from_parts(meta, confirmed, outbox, refused))
}

pub fn save_meta(meta: &ReplicaMeta) -> Result<(), SaveError> {
    put(SCHEMA, &SCHEMA_VERSION)?;
    put(META, meta)
}

/// A new change: the outbox entry first, then the counters, so that a crash in between
/// loses nothing (loading recomputes `next_seq` from the outbox).
pub fn save_change(change: &Change, meta: &ReplicaMeta) -> Result<(), SaveError> {
    put(&outbox_key(change.seq), change)?;
    save_meta(meta)
}

pub fn save_record(state: &RecordState) -> Result<(), SaveError> {
    put(&record_key(state), state)
}

pub fn save_refused(seq: u64, r: &Refused) -> Result<(), SaveError> {
    put(&refused_key(seq), r)
}

pub fn remove_outbox(seq: u64) {
    LocalStorage::delete(outbox_key(seq));
}

pub fn remove_refused(seq: u64) {
    LocalStorage::delete(refused_key(seq));
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

/// Drops every confirmed record (they can be pulled again), keeping the outbox and
/// refusals. Used at log-out so the next person on this computer starts clean.
pub fn forget_records() {
    for key in all_keys() {
        if key.starts_with("sd1:r:") {
            LocalStorage::delete(&key);
        }
    }
    if let Some(mut meta) = get::<ReplicaMeta>(META) {
        meta.cursor = 0;
        let _ = save_meta(&meta);
    }
}
