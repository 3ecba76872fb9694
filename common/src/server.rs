//! The server's side of a push, as a plain function over a storage trait, so the backend
//! (SQLite) and the simulation (memory) run exactly the same rules.

use crate::customer;
use crate::hlc::Clock;
use crate::ids::{ChangeId, ClientId};
use crate::permissions::Actor;
use crate::record::{Change, Kind, RecordState};
use crate::wire::{ChangeResult, Gap, Outcome, PushRequest, PushResponse, PROTOCOL_VERSION};
use crate::RecordId;

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
    fn log(&mut self, client: ClientId, change: &Change, by: &str, result: &ChangeResult) -> Result<(), Self::Error>;
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

/// Checks one change against the rules and the stored record: the merged state to store,
/// or the refusal to send back.
pub fn validate_change(
    actor: &Actor,
    change: &Change,
    existing: Option<RecordState>,
    now_ms: u64,
) -> Result<RecordState, ChangeResult> {
    if let Err(e) = change.ts.check_not_too_far_ahead(now_ms) {
        return Err(refused(change, "clock_ahead", e.to_string()));
    }
    if let Err(e) = actor.authorize(change) {
        return Err(refused(change, "forbidden", e.to_string()));
    }
    let (fields, required) = customer::fields(change.kind);
    for (name, write) in &change.set {
        if !fields.contains(&name.as_str()) {
            return Err(refused(
                change,
                "invalid",
                format!("{name} is not a field of a {} record", change.kind.as_str()),
            ));
        }
        if let Err(p) = customer::check_field(change.kind, name, &write.value) {
            return Err(refused(change, "invalid", format!("{name} {}", p.message())));
        }
    }
    match existing {
        Some(mut state) => match state.apply(change) {
            Ok(()) => Ok(state),
            Err(e) => Err(refused(change, "office_mismatch", e.to_string())),
        },
        None => match required.iter().find(|f| !change.set.contains_key(**f)) {
            Some(missing) => {
                Err(refused(change, "incomplete", format!("a new {} record needs {missing}", change.kind.as_str())))
            }
            None => Ok(RecordState::from_change(change)),
        },
    }
}

/// Processes a push: repeats are answered as the first time, the next expected change is
/// validated and merged (applied or refused, either way settled), and a change that skips
/// ahead stops the batch with a gap. The caller has checked protocol, client and size.
pub fn process_push<S: Store>(
    store: &mut S,
    actor: &Actor,
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
            match validate_change(actor, change, existing, now_ms) {
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
        store.log(client, change, &actor.username, &result)?;
        last = change.seq;
        results.push(result);
    }
    store.set_last_seq(client, last)?;
    let server_time = clock.tick(now_ms);
    Ok(PushResponse { protocol: PROTOCOL_VERSION, acked_through: last, results, gap, server_time })
}
