//! Push and pull: the server side of docs/sync-protocol.md.

use crate::auth::CurrentUser;
use crate::db::{now_ms, Inner};
use crate::error::AppError;
use crate::extract::{ApiJson, ApiQuery};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use common::customer;
use common::record::{Change, Kind, RecordState};
use common::wire::{
    ChangeResult, Gap, Outcome, PullResponse, PushRequest, PushResponse, DEFAULT_PULL_LIMIT, MAX_PULL_LIMIT,
    MAX_PUSH_CHANGES, PROTOCOL_VERSION,
};
use rusqlite::{params, OptionalExtension, Transaction};
use serde::Deserialize;

fn check_protocol(v: u32) -> Result<(), AppError> {
    if v != PROTOCOL_VERSION {
        return Err(AppError::bad_request(
            "unsupported_protocol",
            format!("this server speaks sync protocol {PROTOCOL_VERSION}, the request used {v}; reload the app to update it"),
        ));
    }
    Ok(())
}

/// Why a change is refused for good: a code and a sentence, kept with the change.
struct Refusal {
    code: &'static str,
    message: String,
}

fn refuse(code: &'static str, message: impl Into<String>) -> Refusal {
    Refusal { code, message: message.into() }
}

fn load_record(tx: &Transaction<'_>, kind: Kind, id: &str) -> Result<Option<RecordState>, AppError> {
    let text: Option<String> = tx
        .query_row("SELECT state FROM records WHERE kind = ?1 AND id = ?2", params![kind.as_str(), id], |r| r.get(0))
        .optional()?;
    match text {
        Some(t) => {
            serde_json::from_str(&t).map(Some).map_err(|e| AppError::internal(format!("stored record unreadable: {e}")))
        }
        None => Ok(None),
    }
}

/// Validates `change` against the rules and the stored record; the merged state if it may be stored.
fn merge_change(
    tx: &Transaction<'_>,
    user: &CurrentUser,
    change: &Change,
    now: u64,
) -> Result<Result<RecordState, Refusal>, AppError> {
    if let Err(e) = change.ts.check_not_too_far_ahead(now) {
        return Ok(Err(refuse("clock_ahead", e.to_string())));
    }
    if let Err(e) = user.actor.authorize(change) {
        return Ok(Err(refuse("forbidden", e.to_string())));
    }
    let (fields, required) = customer::fields(change.kind);
    for (name, write) in &change.set {
        if !fields.contains(&name.as_str()) {
            return Ok(Err(refuse("invalid", format!("{name} is not a field of a {} record", change.kind.as_str()))));
        }
        if let Err(p) = customer::check_field(change.kind, name, &write.value) {
            return Ok(Err(refuse("invalid", format!("{name} {}", p.message()))));
        }
    }
    let existing = load_record(tx, change.kind, &change.record.to_string())?;
    let state = match existing {
        Some(mut state) => {
            if let Err(e) = state.apply(change) {
                return Ok(Err(refuse("office_mismatch", e.to_string())));
            }
            state
        }
        None => {
            if let Some(missing) = required.iter().find(|f| !change.set.contains_key(**f)) {
                return Ok(Err(refuse("incomplete", format!("a new {} record needs {missing}", change.kind.as_str()))));
            }
            RecordState::from_change(change)
        }
    };
    Ok(Ok(state))
}

pub fn store_record(tx: &Transaction<'_>, state: &RecordState) -> Result<u64, AppError> {
    let seq: u64 = tx.query_row("SELECT COALESCE(MAX(seq), 0) + 1 FROM records", [], |r| r.get(0))?;
    let text = serde_json::to_string(state).map_err(AppError::internal)?;
    tx.execute(
        "INSERT INTO records(kind, id, office, state, seq) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(kind, id) DO UPDATE SET state = excluded.state, seq = excluded.seq",
        params![state.kind.as_str(), state.id.to_string(), state.office.as_str(), text, seq],
    )?;
    Ok(seq)
}

/// Applies a push in one transaction: repeats are answered from the log, the next
/// expected change is validated and merged, anything after a gap is left untouched.
pub fn apply_push(inner: &mut Inner, user: &CurrentUser, req: &PushRequest) -> Result<PushResponse, AppError> {
    let now = now_ms();
    let client = req.client.to_string();
    let tx = inner.conn.transaction()?;
    tx.execute("INSERT OR IGNORE INTO clients(client, last_seq) VALUES (?1, 0)", params![client])?;
    let mut last: u64 =
        tx.query_row("SELECT last_seq FROM clients WHERE client = ?1", params![client], |r| r.get(0))?;
    let mut results = Vec::with_capacity(req.changes.len());
    let mut gap = None;
    let mut latest_ts = None;
    for change in &req.changes {
        if change.seq <= last {
            // Settled before: answer as we did then, if it is the same change.
            let stored: Option<(String, String, Option<String>, Option<String>)> = tx
                .query_row(
                    "SELECT id, outcome, code, message FROM changes WHERE client = ?1 AND seq = ?2",
                    params![client, change.seq],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()?;
            let result = match stored {
                Some((id, outcome, code, message)) if id == change.id.to_string() => ChangeResult {
                    id: change.id,
                    seq: change.seq,
                    outcome: if outcome == "applied" { Outcome::Applied } else { Outcome::Refused },
                    code,
                    message,
                },
                _ => ChangeResult {
                    id: change.id,
                    seq: change.seq,
                    outcome: Outcome::Refused,
                    code: Some("seq_reused".into()),
                    message: Some(format!("sequence {} of this device was already used by another change", change.seq)),
                },
            };
            results.push(result);
            continue;
        }
        if change.seq != last + 1 {
            gap = Some(Gap { expected: last + 1, got: change.seq });
            break;
        }
        let id_taken: bool =
            tx.query_row("SELECT EXISTS(SELECT 1 FROM changes WHERE id = ?1)", params![change.id.to_string()], |r| {
                r.get(0)
            })?;
        let outcome = if id_taken {
            Err(refuse("duplicate_id", "another device already sent a change with this id"))
        } else {
            merge_change(&tx, user, change, now)?
        };
        let (outcome_text, code, message) = match &outcome {
            Ok(state) => {
                store_record(&tx, state)?;
                latest_ts = latest_ts.max(Some(change.ts));
                ("applied", None, None)
            }
            Err(r) => ("refused", Some(r.code), Some(r.message.clone())),
        };
        let body = serde_json::to_string(change).map_err(AppError::internal)?;
        tx.execute(
            "INSERT INTO changes(id, client, seq, username, kind, record, outcome, code, message, body, received_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                change.id.to_string(),
                client,
                change.seq,
                user.actor.username,
                change.kind.as_str(),
                change.record.to_string(),
                outcome_text,
                code,
                message,
                body,
                now
            ],
        )?;
        last = change.seq;
        results.push(ChangeResult {
            id: change.id,
            seq: change.seq,
            outcome: if outcome.is_ok() { Outcome::Applied } else { Outcome::Refused },
            code: code.map(str::to_string),
            message,
        });
    }
    tx.execute("UPDATE clients SET last_seq = ?2 WHERE client = ?1", params![client, last])?;
    if let Some(ts) = latest_ts {
        // Already checked not to be too far ahead.
        let _ = inner.clock.observe(ts, now);
    }
    let server_time = inner.clock.tick(now);
    tx.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('clock_last', ?1)", params![server_time.encode()])?;
    tx.commit()?;
    Ok(PushResponse { protocol: PROTOCOL_VERSION, acked_through: last, results, gap, server_time })
}

pub async fn push(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(req): ApiJson<PushRequest>,
) -> Result<(StatusCode, Json<PushResponse>), AppError> {
    check_protocol(req.protocol)?;
    if req.client != user.client {
        return Err(AppError::forbidden("this session belongs to another device; push from the device that logged in"));
    }
    if req.changes.len() > MAX_PUSH_CHANGES {
        return Err(AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_changes",
            format!("at most {MAX_PUSH_CHANGES} changes per push, got {}", req.changes.len()),
        ));
    }
    if req.changes.windows(2).any(|w| w[1].seq <= w[0].seq) {
        return Err(AppError::bad_request("unordered", "changes must be in increasing seq order"));
    }
    let resp = state.db.call(move |inner| apply_push(inner, &user, &req)).await?;
    let status = if resp.gap.is_some() { StatusCode::CONFLICT } else { StatusCode::OK };
    Ok((status, Json(resp)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PullParams {
    #[serde(default)]
    pub cursor: u64,
    pub limit: Option<u32>,
}

pub fn read_pull(inner: &Inner, user: &CurrentUser, cursor: u64, limit: u32) -> Result<PullResponse, AppError> {
    let max_seq: u64 = inner.conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM records", [], |r| r.get(0))?;
    // A cursor from the future means this database was restored from an older copy: start over.
    let cursor = if cursor > max_seq { 0 } else { cursor };
    let mut stmt = inner.conn.prepare_cached(
        "SELECT seq, state FROM records
         WHERE seq > ?1 AND (?2 OR office = ?3 OR kind IN ('product', 'station'))
         ORDER BY seq LIMIT ?4",
    )?;
    let rows = stmt.query_map(params![cursor, user.actor.is_hq, user.actor.office.as_str(), limit + 1], |r| {
        Ok((r.get::<_, u64>(0)?, r.get::<_, String>(1)?))
    })?;
    let mut records = Vec::new();
    let mut next = cursor;
    let mut more = false;
    for row in rows {
        let (seq, text) = row?;
        if records.len() == limit as usize {
            more = true;
            break;
        }
        records.push(
            serde_json::from_str(&text).map_err(|e| AppError::internal(format!("stored record unreadable: {e}")))?,
        );
        next = seq;
    }
    Ok(PullResponse { protocol: PROTOCOL_VERSION, records, cursor: next, more, server_time: inner.clock.last })
}

pub async fn pull(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(p): ApiQuery<PullParams>,
) -> Result<Json<PullResponse>, AppError> {
    let limit = p.limit.unwrap_or(DEFAULT_PULL_LIMIT);
    if limit == 0 || limit > MAX_PULL_LIMIT {
        return Err(AppError::bad_request("invalid_query", format!("limit must be between 1 and {MAX_PULL_LIMIT}"))
            .with_field("limit"));
    }
    let resp = state.db.call(move |inner| read_pull(inner, &user, p.cursor, limit)).await?;
    Ok(Json(resp))
}
