//! The server's side of a push, as a plain function over a storage trait and the kinds'
//! rules, so the backend (SQLite) and the simulation (memory) run exactly the same code.

use crate::engine::hlc::Clock;
use crate::engine::ids::{ChangeId, ClientId, OfficeCode, RecordId};
use crate::engine::record::{Change, Kind, LogEntry, RecordState};
use crate::engine::wire::{
    ChangeResult, Gap, IncomingPush, Outcome, PushResponse, PushedChange, RecoverRefusal, RecoverRequest,
    RecoverResponse, PROTOCOL_VERSION,
};
use crate::engine::workflow::Refusal;

/// What a kind of record allows: the domain's side of a push. `existing` is the record as
/// the server holds it when the change arrives (`None`: the change creates it).
pub trait Rules {
    fn check(&self, change: &Change, existing: Option<&RecordState>, now_ms: u64) -> Result<(), Refusal>;
    /// Fields whose values no two records of `kind` may share (an order's number).
    fn unique_fields(&self, kind: Kind) -> &'static [&'static str];
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
    /// How this client's change `id`, settled as its `seq`, was answered; `None` if this
    /// client settled no change `id` at that seq.
    fn settled(&mut self, client: ClientId, seq: u64, id: ChangeId) -> Result<Option<ChangeResult>, Self::Error>;
    fn change_id_exists(&mut self, id: ChangeId) -> Result<bool, Self::Error>;
    fn load(&mut self, kind: Kind, id: RecordId) -> Result<Option<RecordState>, Self::Error>;
    /// Stores a record's new state and moves it to the end of the pull order.
    fn save(&mut self, state: &RecordState) -> Result<(), Self::Error>;
    /// Keeps the change and its outcome: the audit trail, and the answer to repeats.
    fn log(&mut self, client: ClientId, change: &PushedChange, result: &ChangeResult) -> Result<(), Self::Error>;
    /// The record of `kind` holding `value` in a unique `field`, if any.
    fn unique_owner(&mut self, kind: Kind, field: &str, value: &str) -> Result<Option<RecordId>, Self::Error>;
    /// Notes that `record` holds `value` in a unique `field`.
    fn claim_unique(&mut self, kind: Kind, field: &str, value: &str, record: RecordId) -> Result<(), Self::Error>;
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
    if let Some(name) = change.set.iter().find(|(_, w)| w.replaces.contains(&change.ts)).map(|(n, _)| n) {
        return Err(refused(
            change,
            "invalid",
            format!("the write of {name} lists its own version among those it replaces"),
        ));
    }
    if change.event.is_none() && change.set.is_empty() {
        return Err(refused(change, "invalid", "the change neither sets a field nor takes a step".into()));
    }
    if let Err(r) = rules.check(change, existing.as_ref(), now_ms) {
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
    state.note(
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

/// One readable change: refused, or stored with its history entry and its unique values.
fn apply_one<S: Store, R: Rules>(
    store: &mut S,
    rules: &R,
    author: &Author,
    change: &Change,
    now_ms: u64,
) -> Result<ChangeResult, S::Error> {
    if store.change_id_exists(change.id)? {
        return Ok(refused(change, "duplicate_id", "another device already sent a change with this id".into()));
    }
    let existing = store.load(change.kind, change.record)?;
    let state = match validate_change(rules, author, change, existing, now_ms) {
        Ok(state) => state,
        Err(r) => return Ok(r),
    };
    let mut claims = Vec::new();
    for field in rules.unique_fields(change.kind) {
        let Some(value) = change.set.get(*field).and_then(|w| w.value.as_str()) else { continue };
        match store.unique_owner(change.kind, field, value)? {
            Some(owner) if owner != change.record => {
                return Ok(refused(change, "duplicate", format!("{field} {value} is already used by another record")));
            }
            Some(_) => {}
            None => claims.push((*field, value)),
        }
    }
    // The server's clock does not follow devices' stamps: one fast device clock must not
    // move the time every other device is told.
    store.save(&state)?;
    for (field, value) in claims {
        store.claim_unique(change.kind, field, value, change.record)?;
    }
    Ok(ChangeResult { id: change.id, seq: change.seq, outcome: Outcome::Applied, code: None, message: None })
}

/// Processes a push: repeats are answered as the first time, the next expected change is
/// validated and merged (applied or refused, either way settled; a change that cannot be
/// read is refused `malformed`), and a change that skips ahead stops the batch with a gap.
/// The caller has checked protocol, client and size.
pub fn process_push<S: Store, R: Rules>(
    store: &mut S,
    rules: &R,
    author: &Author,
    req: &IncomingPush,
    clock: &mut Clock,
    now_ms: u64,
) -> Result<PushResponse, S::Error> {
    let client = req.client;
    let mut last = store.last_seq(client)?;
    let mut results = Vec::with_capacity(req.changes.len());
    let mut gap = None;
    for pushed in &req.changes {
        let (seq, id) = (pushed.seq(), pushed.id().unwrap_or(ChangeId(uuid::Uuid::nil())));
        if seq <= last {
            // A repeat is known by its id: a change without a readable one cannot be.
            let settled = match pushed.id() {
                Some(id) => store.settled(client, seq, id)?,
                None => None,
            };
            let result = match settled {
                Some(r) => r,
                None => ChangeResult {
                    id,
                    seq,
                    outcome: Outcome::Refused,
                    code: Some("seq_reused".into()),
                    message: Some(format!("sequence {seq} of this device was already used by another change")),
                },
            };
            results.push(result);
            continue;
        }
        if seq != last + 1 {
            gap = Some(Gap { expected: last + 1, got: seq });
            break;
        }
        let result = match pushed {
            PushedChange::Malformed { problem, .. } => ChangeResult {
                id,
                seq,
                outcome: Outcome::Refused,
                code: Some("malformed".into()),
                message: Some(format!("this change cannot be read: {problem}")),
            },
            PushedChange::Change(change) => apply_one(store, rules, author, change, now_ms)?,
        };
        store.log(client, pushed, &result)?;
        last = seq;
        results.push(result);
    }
    store.set_last_seq(client, last)?;
    let server_time = clock.tick(now_ms);
    Ok(PushResponse {
        protocol: PROTOCOL_VERSION,
        acked_through: last,
        results,
        gap,
        server_time,
        store: None,
        page: None,
    })
}

/// Takes back what a device holds after the store was restored from a backup (see
/// [`RecoverRequest`]): each record the sender may write is merged into the stored one
/// (a union: nothing stored is lost or overwritten), its unique values claimed again;
/// then the sender's settled count is raised to what it says it has settled. The caller
/// has checked protocol, client and store identity.
pub fn process_recovery<S: Store, R: Rules>(
    store: &mut S,
    rules: &R,
    may_write: impl Fn(&RecordState) -> bool,
    req: &RecoverRequest,
    store_id: &str,
) -> Result<RecoverResponse, S::Error> {
    let mut restored = 0;
    let mut refused = Vec::new();
    let mut refuse = |r: &RecordState, code: &str, message: String| {
        refused.push(RecoverRefusal { kind: r.kind, id: r.id, code: code.into(), message });
    };
    'records: for sent in &req.records {
        let existing = store.load(sent.kind, sent.id)?;
        let mut merged = existing.clone().unwrap_or_else(|| RecordState::new(sent.kind, sent.id, sent.office.clone()));
        if let Err(e) = merged.merge(sent) {
            refuse(sent, "office_mismatch", e.to_string());
            continue;
        }
        // What the server still holds (the catalogue a branch only reads, say) is no news.
        if existing.as_ref() == Some(&merged) {
            continue;
        }
        if !may_write(sent) {
            refuse(
                sent,
                "forbidden",
                format!("{} records of office {} are not yours to restore", sent.kind, sent.office),
            );
            continue;
        }
        let mut claims = Vec::new();
        for field in rules.unique_fields(sent.kind) {
            let Some(value) = merged.get(field).and_then(|v| v.as_str()) else { continue };
            match store.unique_owner(sent.kind, field, value)? {
                Some(owner) if owner != sent.id => {
                    refuse(sent, "duplicate", format!("{field} {value} is already used by another record"));
                    continue 'records;
                }
                Some(_) => {}
                None => claims.push((*field, value.to_string())),
            }
        }
        store.save(&merged)?;
        for (field, value) in claims {
            store.claim_unique(sent.kind, field, &value, sent.id)?;
        }
        restored += 1;
    }
    let mut last = store.last_seq(req.client)?;
    if req.settled_through > last {
        last = req.settled_through;
        store.set_last_seq(req.client, last)?;
    }
    Ok(RecoverResponse { protocol: PROTOCOL_VERSION, store: store_id.to_string(), restored, refused, last_seq: last })
}
