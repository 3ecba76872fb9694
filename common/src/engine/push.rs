//! The server's side of a push, as a plain function over a storage trait and the kinds'
//! rules, so the backend (SQLite) and the simulation (memory) run exactly the same code.

use crate::engine::hlc::Clock;
use crate::engine::ids::{ChangeId, ClientId, OfficeCode, RecordId};
use crate::engine::record::{Change, Kind, LogEntry, RecordState};
use crate::engine::wire::{ChangeResult, Gap, Outcome, PushRequest, PushResponse, PROTOCOL_VERSION};
use crate::engine::workflow::Refusal;

/// What a kind of record allows: the domain's side of a push. `existing` is the record as
/// the server holds it when the change arrives (`None`: the change creates it).
pub trait Rules {
    fn check(&self, change: &Change, existing: Option<&RecordState>) -> Result<(), Refusal>;
}

/// The person behind a push, as the server knows them from their session: what the
/// record's history shows for each change they make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Author {
    pub username: String,
    pub name: String,
    pub role: String,
    pub office: OfficeCode,
    pub device: u32,
}

/// What the server stores. Every method runs inside one transaction per push: the caller
/// commits after [`process_push`] returns and before it answers.
pub trait Store {
    type Error;
    /// The last seq settled (applied or refused) for this client; 0 if none.
    fn last_seq(&mut self, client: ClientId) -> Result<u64, Self::Error>;
    fn set_last_seq(&mut self, client: ClientId, seq: u64) -> Result<(), Self::Error>;
    /// How a settled change of this client was answered.
    fn settled(&mut self, client: ClientId, seq: u64) -> Result<Option<ChangeResult>, Self::Error>;
    fn change_id_exists(&mut self, id: ChangeId) -> Result<bool, Self::Error>;
    fn load(&mut self, kind: Kind, id: RecordId) -> Result<Option<RecordState>, Self::Error>;
    /// Stores a record's new state and moves it to the end of the pull order.
    fn save(&mut self, state: &RecordState) -> Result<(), Self::Error>;
    /// Keeps the change and its outcome: the audit trail, and the answer to repeats.
    fn log(&mut self, client: ClientId, change: &Change, result: &ChangeResult) -> Result<(), Self::Error>;
}

fn refused(change: &Change, code: &str, message: String) -> ChangeResult {
    ChangeResult {
        id: change.id,
        seq: change.seq,
        outcome: Outcome::Refused,
        code: Some(code.into()),
        message: Some(message),
    }
}

/// Checks one change against the rules and the stored record: the merged state to store
/// (with the change's history entry), or the refusal to send back.
pub fn validate_change<R: Rules>(
    rules: &R,
    author: &Author,
    change: &Change,
    existing: Option<RecordState>,
    now_ms: u64,
) -> Result<RecordState, ChangeResult> {
    if let Err(e) = change.ts.check_not_too_far_ahead(now_ms) {
        return Err(refused(change, "clock_ahead", e.to_string()));
    }
    if change.by != author.username {
        return Err(refused(
            change,
            "forbidden",
            format!("the change says it was made by {:?}, but you are logged in as {:?}", change.by, author.username),
        ));
    }
    if let Some(state) = &existing {
        if state.office != change.office {
            return Err(refused(
                change,
                "office_mismatch",
                format!("record belongs to office {}; a change cannot move it to {}", state.office, change.office),
            ));
        }
    }
    if change.event.is_none() && change.set.is_empty() {
        return Err(refused(change, "invalid", "the change neither sets a field nor takes a step".into()));
    }
    if let Err(r) = rules.check(change, existing.as_ref()) {
        return Err(refused(change, r.code, r.message));
    }
    let (mut old, mut new) = (std::collections::BTreeMap::new(), std::collections::BTreeMap::new());
    let mut state = match existing {
        Some(state) => {
            for (name, write) in &change.set {
                if let Some(v) = state.get(name) {
                    old.insert(name.clone(), v.clone());
                    new.insert(name.clone(), write.value.clone());
                }
            }
            state
        }
        None => RecordState::new(change.kind, change.record, change.office.clone()),
    };
    // Same kind, id and office: checked above.
    let _ = state.apply(change);
    state.log.insert(
        change.ts,
        LogEntry {
            by: author.username.clone(),
            name: author.name.clone(),
            role: author.role.clone(),
            office: author.office.clone(),
            device: author.device,
            received_ms: now_ms,
            old,
            new,
        },
    );
    Ok(state)
}

/// Processes a push: repeats are answered as the first time, the next expected change is
/// validated and merged (applied or refused, either way settled), and a change that skips
/// ahead stops the batch with a gap. The caller has checked protocol, client and size.
pub fn process_push<S: Store, R: Rules>(
    store: &mut S,
    rules: &R,
    author: &Author,
    req: &PushRequest,
    clock: &mut Clock,
    now_ms: u64,
) -> Result<PushResponse, S::Error> {
    let client = req.client;
    let mut last = store.last_seq(client)?;
    let mut results = Vec::with_capacity(req.changes.len());
    let mut gap = None;
    for change in &req.changes {
        if change.seq <= last {
            let result = match store.settled(client, change.seq)? {
                Some(r) if r.id == change.id => r,
                _ => refused(
                    change,
                    "seq_reused",
                    format!("sequence {} of this device was already used by another change", change.seq),
                ),
            };
            results.push(result);
            continue;
        }
        if change.seq != last + 1 {
            gap = Some(Gap { expected: last + 1, got: change.seq });
            break;
        }
        let result = if store.change_id_exists(change.id)? {
            refused(change, "duplicate_id", "another device already sent a change with this id".into())
        } else {
            let existing = store.load(change.kind, change.record)?;
            match validate_change(rules, author, change, existing, now_ms) {
                Ok(state) => {
                    store.save(&state)?;
                    // Checked above not to be too far ahead.
                    let _ = clock.observe(change.ts, now_ms);
                    ChangeResult {
                        id: change.id,
                        seq: change.seq,
                        outcome: Outcome::Applied,
                        code: None,
                        message: None,
                    }
                }
                Err(r) => r,
            }
        };
        store.log(client, change, &result)?;
        last = change.seq;
        results.push(result);
    }
    store.set_last_seq(client, last)?;
    let server_time = clock.tick(now_ms);
    Ok(PushResponse { protocol: PROTOCOL_VERSION, acked_through: last, results, gap, server_time })
}
