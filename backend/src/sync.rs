//! Push and pull: the server side of docs/sync-protocol.md.

use crate::auth::CurrentUser;
use crate::db::{now_ms, Inner};
use crate::error::AppError;
use crate::extract::{ApiJson, ApiQuery};
use crate::tail::{Published, Shared, Written};
use crate::uniques::{Claims, Uniques};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use common::desk::kinds::{DeskLookup, DeskRules};
use common::desk::money::Fen;
use common::desk::payments::{self, PaymentView};
use common::engine::ids::{ChangeId, ClientId, OfficeCode, RecordId};
use common::engine::push::{process_push, process_recovery, Store};
use common::engine::record::{Kind, RecordState};
use common::engine::wire::{
    ChangeResult, FetchResponse, IncomingPush, Outcome, PushResponse, PushedChange, RecoverRequest, RecoverResponse,
    ScopeDigest, DEFAULT_PULL_LIMIT, MAX_FETCH, MAX_PULL_LIMIT, MAX_PUSH_CHANGES, MAX_RECOVER_RECORDS, PACKED_RECORDS,
    PROTOCOL_VERSION,
};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

fn check_protocol(v: u32) -> Result<(), AppError> {
    if v != PROTOCOL_VERSION {
        return Err(AppError::bad_request(
            "unsupported_protocol",
            format!("this server speaks sync protocol {PROTOCOL_VERSION}, the request used {v}; reload the app to update it"),
        ));
    }
    Ok(())
}

/// Whether a stored record's text is what was written: its digest, stored beside it,
/// still matches. A flipped bit that SQLite's own checks miss is caught here.
pub fn intact(text: &str, digest: i64) -> bool {
    i64::from(common::engine::record::digest32_of_json(text.as_bytes())) == digest
}

fn damaged(kind: &str, id: &str) -> AppError {
    tracing::error!(kind, id, "stored record is damaged (its text no longer matches its digest): not used; run `salesdesk check`, and restore it from a backup or a device");
    AppError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "record_damaged",
        format!("the server's copy of {kind} {id} is damaged; nothing was stored, your change waits on this device"),
    )
}

/// A stored record and its digest.
fn load_record(tx: &Connection, kind: Kind, id: &str) -> Result<Option<(RecordState, i64)>, AppError> {
    let row: Option<(String, i64)> = tx
        .prepare_cached("SELECT state, digest FROM records WHERE kind = ?1 AND id = ?2")?
        .query_row(params![kind.as_str(), id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    if let Some((t, digest)) = &row {
        if !intact(t, *digest) {
            return Err(damaged(kind.as_str(), id));
        }
    }
    match row {
        Some((t, digest)) => serde_json::from_str(&t)
            .map(|s| Some((s, digest)))
            .map_err(|e| AppError::internal(format!("stored record unreadable: {e}"))),
        None => Ok(None),
    }
}

/// Writes record states inside one transaction (or savepoint): hands out pull seqs and
/// keeps the per-scope digest totals in memory, written once by [`RecordWriter::finish`],
/// and what it wrote, for the tail of pulls once committed.
#[derive(Default)]
pub struct RecordWriter {
    next_seq: Option<u64>,
    totals: std::collections::BTreeMap<(String, bool), (i64, i64)>,
    written: Vec<Written>,
}

/// An order's search text, kept beside it (`order_search`) at the order's newest seq.
pub(crate) fn index_order_search(tx: &Connection, id: &str, seq: u64, state: &RecordState) -> Result<(), AppError> {
    tx.prepare_cached(
        "INSERT INTO order_search(id, office, seq, hay) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(id) DO UPDATE SET office = excluded.office, seq = excluded.seq, hay = excluded.hay",
    )?
    .execute(params![id, state.office.as_str(), seq, common::desk::order::search_text(state)])?;
    Ok(())
}

impl RecordWriter {
    /// Stores a record's new state at the end of the pull order. `old_digest`: the stored
    /// digest if the caller just read it (`Some(None)`: known to be new).
    pub fn store(
        &mut self,
        tx: &Connection,
        state: &RecordState,
        old_digest: Option<Option<i64>>,
    ) -> Result<u64, AppError> {
        let seq = match self.next_seq {
            Some(s) => s,
            None => tx.prepare_cached("SELECT COALESCE(MAX(seq), 0) + 1 FROM records")?.query_row([], |r| r.get(0))?,
        };
        self.next_seq = Some(seq + 1);
        let (kind, id) = (state.kind.as_str(), state.id.to_string());
        let old: Option<i64> = match old_digest {
            Some(known) => known,
            None => tx
                .prepare_cached("SELECT digest FROM records WHERE kind = ?1 AND id = ?2")?
                .query_row(params![kind, id], |r| r.get(0))
                .optional()?,
        };
        let text = state.canonical_json();
        let digest = i64::from(common::engine::record::digest32_of_json(text.as_bytes()));
        tx.prepare_cached(
            "INSERT INTO records(kind, id, office, state, seq, digest) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT(kind, id) DO UPDATE SET state = excluded.state, seq = excluded.seq, digest = excluded.digest",
        )?
        .execute(params![kind, id, state.office.as_str(), text, seq, digest])?;
        if state.kind == Kind::ORDER {
            index_order_search(tx, &id, seq, state)?;
        }
        let text = RawValue::from_string(text).map_err(AppError::internal)?;
        self.written.push(Written {
            seq,
            kind: kind.to_string(),
            id,
            office: state.office.as_str().to_string(),
            text: text.into(),
        });
        // The scope digests move by this record's difference, so reading them stays O(1).
        let entry = self.totals.entry((state.office.as_str().to_string(), state.kind.is_catalogue())).or_default();
        match old {
            Some(old) => entry.1 += digest - old,
            None => *entry = (entry.0 + 1, entry.1 + digest),
        }
        Ok(seq)
    }

    /// Writes the scope totals; returns what was written, for [`crate::db::Db::call_publishing`].
    pub fn finish(self, tx: &Connection) -> Result<Published, AppError> {
        write_totals(tx, &self.totals)?;
        Ok(Published { states: self.written, totals: self.totals })
    }

    /// A writer that goes on from where `before` (of the same transaction) stopped: the
    /// seq is read once per group of pushes, not once per push.
    fn after(before: Option<u64>) -> RecordWriter {
        RecordWriter { next_seq: before, ..RecordWriter::default() }
    }

    /// What was written, with its scope totals left for the caller to write (once for a
    /// group of pushes: see [`apply_pushes`]).
    fn unfinished(self) -> Published {
        Published { states: self.written, totals: self.totals }
    }
}

/// The scope digests moved by `totals`.
fn write_totals(
    tx: &Connection,
    totals: &std::collections::BTreeMap<(String, bool), (i64, i64)>,
) -> Result<(), AppError> {
    for ((office, catalogue), (count, delta)) in totals {
        tx.prepare_cached(
            "INSERT INTO scope_digests(office, catalogue, count, sum) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(office, catalogue) DO UPDATE SET count = count + excluded.count, sum = sum + excluded.sum",
        )?
        .execute(params![office, catalogue, count, delta])?;
    }
    Ok(())
}

/// The push rules of `common::engine::push` over one SQLite transaction.
struct SqlStore<'a> {
    tx: &'a Connection,
    now: u64,
    /// Who pushed: the change log names them even for a change that could not be read.
    username: &'a str,
    /// The digest of the record last loaded, saved again right after.
    loaded: Option<((Kind, RecordId), Option<i64>)>,
    writer: RecordWriter,
    /// Unique values claimed, as committed, and by earlier pushes of this transaction.
    committed: &'a Uniques,
    earlier: Option<&'a Claims>,
    /// Claimed by this push (joins `committed` once the transaction commits).
    claims: Claims,
}

impl Store for SqlStore<'_> {
    type Error = AppError;

    fn last_seq(&mut self, client: ClientId) -> Result<u64, AppError> {
        let last: Option<u64> = self
            .tx
            .prepare_cached("SELECT last_seq FROM clients WHERE client = ?1")?
            .query_row(params![client.to_string()], |r| r.get(0))
            .optional()?;
        Ok(last.unwrap_or(0))
    }

    fn set_last_seq(&mut self, client: ClientId, seq: u64) -> Result<(), AppError> {
        self.tx
            .prepare_cached(
                "INSERT INTO clients(client, last_seq) VALUES (?1, ?2)
                 ON CONFLICT(client) DO UPDATE SET last_seq = excluded.last_seq",
            )?
            .execute(params![client.to_string(), seq])?;
        Ok(())
    }

    fn settled(&mut self, client: ClientId, seq: u64, id: ChangeId) -> Result<Option<ChangeResult>, AppError> {
        // Through the change's id (`changes_by_id`): the log has no (client, seq) index.
        let row: Option<(String, Option<String>, Option<String>)> = self
            .tx
            .prepare_cached("SELECT outcome, code, message FROM changes WHERE id = ?1 AND client = ?2 AND seq = ?3")?
            .query_row(params![id.to_string(), client.to_string(), seq], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        let Some((outcome, code, message)) = row else { return Ok(None) };
        let outcome = if outcome == "applied" { Outcome::Applied } else { Outcome::Refused };
        Ok(Some(ChangeResult { id, seq, outcome, code, message }))
    }

    fn change_id_exists(&mut self, id: ChangeId) -> Result<bool, AppError> {
        let sql = "SELECT EXISTS(SELECT 1 FROM changes WHERE id = ?1)";
        Ok(self.tx.prepare_cached(sql)?.query_row(params![id.to_string()], |r| r.get(0))?)
    }

    fn load(&mut self, kind: Kind, id: RecordId) -> Result<Option<RecordState>, AppError> {
        let found = load_record(self.tx, kind, &id.to_string())?;
        self.loaded = Some(((kind, id), found.as_ref().map(|(_, d)| *d)));
        Ok(found.map(|(s, _)| s))
    }

    fn save(&mut self, state: &RecordState) -> Result<(), AppError> {
        let known = self.loaded.take().filter(|(key, _)| *key == (state.kind, state.id)).map(|(_, d)| d);
        self.writer.store(self.tx, state, known).map(|_| ())
    }

    fn unique_owner(&mut self, kind: Kind, field: &str, value: &str) -> Result<Option<RecordId>, AppError> {
        Ok(self
            .claims
            .owner(kind, field, value)
            .or_else(|| self.earlier.and_then(|c| c.owner(kind, field, value)))
            .or_else(|| self.committed.owner(kind, field, value)))
    }

    fn claim_unique(&mut self, kind: Kind, field: &str, value: &str, record: RecordId) -> Result<(), AppError> {
        // Appended (see `uniques.rs`): looked up in memory, read from here at start.
        self.tx
            .prepare_cached("INSERT INTO unique_values(kind, field, value, record) VALUES (?1, ?2, ?3, ?4)")?
            .execute(params![kind.as_str(), field, value, record.to_string()])?;
        self.claims.claim(kind, field, value, record);
        Ok(())
    }

    fn log(&mut self, client: ClientId, pushed: &PushedChange, result: &ChangeResult) -> Result<(), AppError> {
        let (kind, record, body) = match pushed {
            PushedChange::Change(c) => (
                c.kind.as_str().to_string(),
                c.record.to_string(),
                serde_json::to_string(c).map_err(AppError::internal)?,
            ),
            PushedChange::Malformed { raw, .. } => {
                let text = |k: &str| raw.get(k).and_then(serde_json::Value::as_str).unwrap_or("").to_string();
                (text("kind"), text("record"), raw.to_string())
            }
        };
        let outcome = match result.outcome {
            Outcome::Applied => "applied",
            Outcome::Refused => "refused",
        };
        self.tx
            .prepare_cached(
                "INSERT INTO changes(id, client, seq, username, kind, record, outcome, code, message, body, received_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?
            .execute(params![
                result.id.to_string(),
                client.to_string(),
                result.seq,
                self.username,
                kind,
                record,
                outcome,
                result.code,
                result.message,
                body,
                self.now
            ],
        )?;
        Ok(())
    }
}

/// Freight stations' contract / member numbers by name, for the 代收 rule.
/// What the desk's rules consult, read from the store inside the push's transaction.
struct SqlLookup<'c> {
    conn: &'c Connection,
    stations: &'c std::collections::BTreeMap<String, String>,
}

impl DeskLookup for SqlLookup<'_> {
    fn station_contract(&self, name: &str) -> Option<String> {
        self.stations.get(name).cloned()
    }

    fn order(&self, id: RecordId) -> Option<RecordState> {
        load_record(self.conn, Kind::ORDER, &id.to_string()).ok().flatten().map(|(s, _)| s)
    }

    fn paid_for(&self, office: &OfficeCode, order: RecordId) -> Fen {
        paid_towards(self.conn, office, order)
    }

    fn credit_of(&self, office: &OfficeCode, customer: RecordId, order: RecordId) -> Option<(Fen, Fen)> {
        credit(self.conn, office, customer, order)
    }
}

/// What the office's confirmed payments have paid towards `order`, as every device
/// computes it (`common::desk::payments::paid`). A payment that cannot be read pays nothing.
fn paid_towards(tx: &Connection, office: &OfficeCode, order: RecordId) -> Fen {
    // A payment set against the order names it: only those are read.
    let views: Vec<PaymentView> =
        office_records(tx, Kind::PAYMENT, office, Some(order)).iter().map(PaymentView::from_record).collect();
    payments::paid(order, &views)
}

/// The office's records of `kind`, as stored (one that cannot be read is left out); with
/// `naming`, only those whose text may name that record, found by SQLite before any is
/// parsed: the rules run on the one writer, and a year of a branch's orders parsed for
/// every 收银审核 held up every push behind it. The caller still checks what it needs.
fn office_records(tx: &Connection, kind: Kind, office: &OfficeCode, naming: Option<RecordId>) -> Vec<RecordState> {
    // An id's last twelve hex digits, in lower case, are in its text in every form a
    // device may have written it (hyphenated, simple, braced, urn; any case).
    let needle = naming.map(|id| id.0.simple().to_string()[20..].to_string());
    let sql =
        "SELECT state FROM records WHERE kind = ?1 AND office = ?2 AND (?3 IS NULL OR instr(lower(state), ?3) > 0)";
    let Ok(mut stmt) = tx.prepare_cached(sql) else {
        return Vec::new();
    };
    let Ok(rows) = stmt.query_map(params![kind.as_str(), office.as_str(), needle], |r| r.get::<_, String>(0)) else {
        return Vec::new();
    };
    rows.filter_map(Result::ok).filter_map(|t| serde_json::from_str::<RecordState>(&t).ok()).collect()
}

/// A customer's credit limit, if one is set, and what they owe or are committed to
/// besides `order`, as every device computes it (`common::desk::payments::exposure`).
fn credit(tx: &Connection, office: &OfficeCode, customer: RecordId, order: RecordId) -> Option<(Fen, Fen)> {
    let record = load_record(tx, Kind::CUSTOMER, &customer.to_string()).ok().flatten()?.0;
    let limit = Fen(record.get("credit_limit").and_then(serde_json::Value::as_i64)?);
    // The customer's orders and opening balances name it; payments are all read, as one
    // may be set against its orders without naming it.
    let orders: Vec<common::desk::order::OrderView> = office_records(tx, Kind::ORDER, office, Some(customer))
        .iter()
        .map(common::desk::order::OrderView::from_record)
        .chain(
            office_records(tx, Kind::OPENING, office, Some(customer))
                .iter()
                .map(|r| common::desk::opening::Opening::from_record(r).as_order()),
        )
        .filter(|o| o.customer == Some(customer))
        .collect();
    let pays: Vec<PaymentView> =
        office_records(tx, Kind::PAYMENT, office, None).iter().map(PaymentView::from_record).collect();
    Some((limit, payments::exposure(&orders, &pays, order)))
}

pub(crate) fn station_contracts(tx: &Connection) -> Result<std::collections::BTreeMap<String, String>, AppError> {
    let mut stmt = tx.prepare_cached("SELECT state FROM records WHERE kind = 'station'")?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    let mut out = std::collections::BTreeMap::new();
    for text in rows {
        let s: RecordState = serde_json::from_str(&text?).map_err(AppError::internal)?;
        out.insert(s.get_str("name").to_string(), s.get_str("contract").to_string());
    }
    Ok(out)
}

/// One push by `user` through the push rules, written into `tx` (committed by the caller,
/// who then adds the claims returned to `uniques`).
pub(crate) fn push_in(
    tx: &Connection,
    stations: &std::collections::BTreeMap<String, String>,
    uniques: &Uniques,
    user: &CurrentUser,
    req: &IncomingPush,
    clock: &mut common::engine::hlc::Clock,
    now: u64,
) -> Result<(PushResponse, Claims), AppError> {
    let pushing = Pushing { tx, stations, committed: uniques, earlier: None, now };
    let (resp, writer, claims) = pushing.push(user, req, clock, RecordWriter::default())?;
    writer.finish(tx)?;
    Ok((resp, claims))
}

/// Where pushes are written: the transaction (or savepoint), what it reads, and the
/// unique values claimed before it.
struct Pushing<'a> {
    tx: &'a Connection,
    stations: &'a std::collections::BTreeMap<String, String>,
    committed: &'a Uniques,
    earlier: Option<&'a Claims>,
    now: u64,
}

impl<'a> Pushing<'a> {
    /// The push rules' store for `user`'s writes, through `writer`.
    fn store(&self, user: &'a CurrentUser, writer: RecordWriter) -> SqlStore<'a> {
        SqlStore {
            tx: self.tx,
            now: self.now,
            username: &user.actor.username,
            loaded: None,
            writer,
            committed: self.committed,
            earlier: self.earlier,
            claims: Claims::default(),
        }
    }

    /// What the desk's rules consult, from this transaction.
    fn lookup(&self) -> SqlLookup<'a> {
        SqlLookup { conn: self.tx, stations: self.stations }
    }

    /// One push through the rules with `writer`, returned with what it wrote (its scope
    /// totals not written) and the values it claimed.
    fn push(
        &self,
        user: &'a CurrentUser,
        req: &IncomingPush,
        clock: &mut common::engine::hlc::Clock,
        writer: RecordWriter,
    ) -> Result<(PushResponse, RecordWriter, Claims), AppError> {
        let mut store = self.store(user, writer);
        let lookup = self.lookup();
        let rules = DeskRules { actor: &user.actor, device: user.device_no, lookup: &lookup };
        let resp = process_push(&mut store, &rules, &user.author(), req, clock, self.now)?;
        Ok((resp, store.writer, store.claims))
    }
}

/// Applies several pushes in one transaction, each in its own savepoint (one failing
/// leaves the others whole), with one commit — one fsync — for all of them. Returns
/// each push's answer, and what was written (committed).
pub fn apply_pushes(
    inner: &mut Inner,
    work: &[(CurrentUser, IncomingPush)],
) -> Result<(Vec<Result<PushResponse, AppError>>, Published), AppError> {
    let now = now_ms();
    let Inner { conn, clock, uniques } = inner;
    let mut tx = conn.transaction()?;
    let mut out = Vec::with_capacity(work.len());
    let mut written = Published::default();
    let mut claimed = Claims::default();
    let stations = station_contracts(&tx)?;
    let mut next_seq = None;
    for (user, req) in work {
        let sp = tx.savepoint()?;
        let pushing = Pushing { tx: &sp, stations: &stations, committed: uniques, earlier: Some(&claimed), now };
        match pushing.push(user, req, clock, RecordWriter::after(next_seq)) {
            Ok((resp, w, claims)) => {
                sp.commit()?;
                out.push(Ok(resp));
                next_seq = w.next_seq.or(next_seq);
                written.append(w.unfinished());
                claimed.append(claims);
            }
            // Dropping the savepoint rolls back this push alone.
            Err(e) => out.push(Err(e)),
        }
    }
    // The scope digests once for the group: one row per office, not one write per push.
    write_totals(&tx, &written.totals)?;
    tx.prepare_cached("INSERT OR REPLACE INTO meta(key, value) VALUES ('clock_last', ?1)")?
        .execute(params![clock.last.encode()])?;
    tx.commit()?;
    uniques.absorb(claimed);
    Ok((out, written))
}

/// Most pushes committed together: every device of a busy company syncing at once (a
/// hundred single changes) goes in one commit.
const GROUP_MAX: usize = 256;
/// Most changes committed together: a group of large pushes (first uploads of 500) stops
/// here, so that one transaction stays short for the pushes behind it.
const GROUP_MAX_CHANGES: usize = 2_000;

struct PushJob {
    user: CurrentUser,
    req: IncomingPush,
    reply: tokio::sync::oneshot::Sender<Result<PushResponse, AppError>>,
}

/// Group commit: pushes that arrive while one transaction is being written wait and go
/// into the next together, so a hundred devices syncing at once cost a few fsyncs, not
/// a hundred. Each is still acknowledged only after its commit.
#[derive(Clone)]
pub struct PushQueue(tokio::sync::mpsc::UnboundedSender<PushJob>);

impl PushQueue {
    pub fn start(db: crate::db::Db) -> PushQueue {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<PushJob>();
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut changes = first.req.changes.len();
                let mut jobs = vec![first];
                while jobs.len() < GROUP_MAX && changes < GROUP_MAX_CHANGES {
                    match rx.try_recv() {
                        Ok(j) => {
                            changes += j.req.changes.len();
                            jobs.push(j);
                        }
                        Err(_) => break,
                    }
                }
                let (work, replies): (Vec<_>, Vec<_>) = jobs.into_iter().map(|j| ((j.user, j.req), j.reply)).unzip();
                match db.call_publishing(move |inner| apply_pushes(inner, &work)).await {
                    Ok(results) => {
                        for (result, reply) in results.into_iter().zip(replies) {
                            let _ = reply.send(result);
                        }
                    }
                    Err(e) => {
                        for reply in replies {
                            let _ = reply.send(Err(AppError::new(e.status, e.code, e.message.clone())));
                        }
                    }
                }
            }
        });
        PushQueue(tx)
    }

    async fn push(&self, user: CurrentUser, req: IncomingPush) -> Result<PushResponse, AppError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.0.send(PushJob { user, req, reply }).map_err(|_| AppError::internal("push queue stopped"))?;
        answer.await.map_err(|_| AppError::internal("push dropped"))?
    }
}

pub async fn push(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: axum::http::HeaderMap,
    ApiJson(req): ApiJson<IncomingPush>,
) -> Result<axum::response::Response, AppError> {
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
    if req.changes.windows(2).any(|w| w[1].seq() <= w[0].seq()) {
        return Err(AppError::bad_request("unordered", "changes must be in increasing seq order"));
    }
    let ask = req.pull;
    let who = ask.map(|_| user.clone());
    let queue = state.pushes.get_or_init(|| PushQueue::start(state.db.clone()));
    let mut resp = queue.push(user, req).await?;
    resp.store = Some(state.db.store_id().to_string());
    if resp.gap.is_some() {
        return Ok((StatusCode::CONFLICT, Json(resp)).into_response());
    }
    // The pull asked for with the push, from what was committed (its own changes too),
    // when memory can answer it: one request for the device's whole round.
    let (Some(ask), Some(who)) = (ask, who) else { return Ok(Json(resp).into_response()) };
    note_seen(&state, &who, Some(ask.pending)).await?;
    let Some(answer) = tail_answer(&state, &who, ask.cursor, DEFAULT_PULL_LIMIT, reads_packed(&headers)) else {
        return Ok(Json(resp).into_response());
    };
    let bytes = answer.bytes;
    let page = page_of(&state, &who, answer);
    let mut body = Vec::with_capacity(bytes + 1024);
    serde_json::to_writer(&mut body, &PushAnswer { resp: &resp, page }).map_err(AppError::internal)?;
    Ok(([(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// A push's answer with the pull page it asked for (the page's records passed through as
/// stored, not parsed again).
#[derive(Serialize)]
struct PushAnswer<'a> {
    #[serde(flatten)]
    resp: &'a PushResponse,
    page: PullPage,
}

/// The newest states in memory from `cursor` that `user` may read, if memory holds all
/// of them (see `tail.rs`).
fn tail_answer(
    state: &AppState,
    user: &CurrentUser,
    cursor: u64,
    limit: u32,
    packed: bool,
) -> Option<crate::tail::Answer> {
    let scope = crate::tail::Scope { is_hq: user.actor.is_hq, office: user.actor.office.as_str() };
    state.db.pull_tail(&scope, cursor, limit as usize, packed)
}

/// The device reads packed records (it sent [`PACKED_RECORDS`]'s header): pages from
/// memory send them packed.
fn reads_packed(headers: &axum::http::HeaderMap) -> bool {
    headers.get(PACKED_RECORDS.0).is_some_and(|v| v.as_bytes() == PACKED_RECORDS.1.as_bytes())
}

/// A pull page from the tail's answer: the scope's digest on the last page, the count on others.
fn page_of(state: &AppState, user: &CurrentUser, a: crate::tail::Answer) -> PullPage {
    let totals = served_digest(a.totals, user, &state.damaged);
    let (digest, total) = if a.more { (None, Some(totals.count)) } else { (Some(totals), None) };
    PullPage {
        protocol: PROTOCOL_VERSION,
        records: a.records,
        cursor: a.cursor,
        more: a.more,
        server_time: state.db.server_time(),
        digest,
        store: state.db.store_id().to_string(),
        total,
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PullParams {
    #[serde(default)]
    pub cursor: u64,
    pub limit: Option<u32>,
    /// How many changes the device has waiting (shown to admins with its last sync).
    pub pending: Option<u32>,
    /// Seconds to hold an answer that would be empty until something new is committed
    /// (at most [`MAX_PULL_WAIT_S`]): a long poll, for devices with nothing to push.
    pub wait: Option<u32>,
}

/// Longest a pull waits for something new: well inside the usual 60 s proxy timeouts.
pub const MAX_PULL_WAIT_S: u32 = 25;

/// Damaged records met while serving pulls, kept out of the scope digests sent: by key,
/// their office, whether catalogue, and the digest the totals count for them.
pub type Damaged = std::sync::Arc<std::sync::Mutex<std::collections::BTreeMap<(String, String), (String, bool, i64)>>>;

/// A pull page read from the database; `packed`: the device reads packed records (each
/// is packed here, not kept: these pages are a first sync, or a device far behind).
#[allow(clippy::too_many_arguments)]
pub fn read_pull(
    conn: &rusqlite::Connection,
    server_time: common::engine::hlc::Hlc,
    user: &CurrentUser,
    cursor: u64,
    limit: u32,
    packed: bool,
    store: &str,
    known_damaged: &Damaged,
) -> Result<PullPage, AppError> {
    let max_seq: u64 = conn.prepare_cached("SELECT COALESCE(MAX(seq), 0) FROM records")?.query_row([], |r| r.get(0))?;
    // A cursor from the future means this database was restored from an older copy: start over.
    let cursor = if cursor > max_seq { 0 } else { cursor };
    let mut stmt = conn.prepare_cached(
        "SELECT seq, state, digest, kind, id, office FROM records
         WHERE seq > ?1 AND (?2 OR office = ?3 OR kind IN ('product', 'station'))
         ORDER BY seq LIMIT ?4",
    )?;
    let rows = stmt.query_map(params![cursor, user.actor.is_hq, user.actor.office.as_str(), limit + 1], |r| {
        Ok((r.get::<_, u64>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?, r.get::<_, String>(3)?)).and_then(
            |(seq, text, digest, kind)| Ok((seq, text, digest, kind, r.get::<_, String>(4)?, r.get::<_, String>(5)?)),
        )
    })?;
    let mut records = Vec::new();
    let mut next = cursor;
    let mut more = false;
    for row in rows {
        let (seq, text, digest, kind, id, office) = row?;
        if records.len() == limit as usize {
            more = true;
            break;
        }
        if !intact(&text, digest) {
            // Not served as data: logged, and left out of the digest too, so that devices
            // do not pull everything again and again for a record nobody can have.
            let _ = damaged(&kind, &id);
            let catalogue = Kind::parse(&kind).is_some_and(Kind::is_catalogue);
            known_damaged.lock().unwrap_or_else(|p| p.into_inner()).insert((kind, id), (office, catalogue, digest));
            next = seq;
            continue;
        }
        // Stored states are sent as stored (or packed): no parse and re-serialise per record.
        let raw = match packed {
            true => crate::tail::packed_json(&text),
            false => {
                RawValue::from_string(text).map_err(|e| AppError::internal(format!("stored record unreadable: {e}")))?
            }
        };
        records.push(Shared::Text(raw.into()));
        next = seq;
    }
    // Read to the end: the records up to the newest that this user does not see are behind
    // the cursor too (a branch's cursor keeps up, and its next pull is answered from memory).
    if !more {
        next = next.max(max_seq);
    }
    // The scope's totals: a progress count while more is to come, the digest at the end.
    let (digest, total) = {
        let (count, sum): (i64, i64) = conn
            .prepare_cached(
                "SELECT COALESCE(SUM(count), 0), COALESCE(SUM(sum), 0) FROM scope_digests WHERE ?1 OR office = ?2 OR catalogue",
            )?
            .query_row(params![user.actor.is_hq, user.actor.office.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let digest = served_digest(ScopeDigest { count: count as u64, sum: sum as u64 }, user, known_damaged);
        if more {
            (None, Some(digest.count))
        } else {
            (Some(digest), None)
        }
    };
    Ok(PullPage {
        protocol: PROTOCOL_VERSION,
        records,
        cursor: next,
        more,
        server_time,
        digest,
        store: store.to_string(),
        total,
    })
}

/// A scope's digest as sent: without the damaged records met, which are not served.
fn served_digest(mut digest: ScopeDigest, user: &CurrentUser, known_damaged: &Damaged) -> ScopeDigest {
    for (office, catalogue, d) in known_damaged.lock().unwrap_or_else(|p| p.into_inner()).values() {
        if *catalogue || user.actor.is_hq || office == user.actor.office.as_str() {
            digest.count = digest.count.saturating_sub(1);
            digest.sum = digest.sum.wrapping_sub(*d as u64);
        }
    }
    digest
}

/// [`common::engine::wire::PullResponse`] as the server writes it: the same JSON, with each
/// record's stored text passed through.
#[derive(Serialize)]
pub struct PullPage {
    protocol: u32,
    records: Vec<Shared>,
    cursor: u64,
    more: bool,
    server_time: common::engine::hlc::Hlc,
    #[serde(skip_serializing_if = "Option::is_none")]
    digest: Option<ScopeDigest>,
    store: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    total: Option<u64>,
}

pub async fn pull(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: axum::http::HeaderMap,
    ApiQuery(p): ApiQuery<PullParams>,
) -> Result<axum::response::Response, AppError> {
    let limit = p.limit.unwrap_or(DEFAULT_PULL_LIMIT);
    if limit == 0 || limit > MAX_PULL_LIMIT {
        return Err(AppError::bad_request("invalid_query", format!("limit must be between 1 and {MAX_PULL_LIMIT}"))
            .with_field("limit"));
    }
    let wait = p.wait.unwrap_or(0);
    if wait > MAX_PULL_WAIT_S {
        return Err(AppError::bad_request("invalid_query", format!("wait is at most {MAX_PULL_WAIT_S} seconds"))
            .with_field("wait"));
    }
    note_seen(&state, &user, p.pending).await?;
    // Nearly up to date (as every device syncing often is): from memory, as committed.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(wait.into());
    // Watched before the first look, so nothing committed in between is missed.
    let mut newest = state.db.watch_newest();
    let packed = reads_packed(&headers);
    while let Some(a) = tail_answer(&state, &user, p.cursor, limit, packed) {
        if a.records.is_empty() && !a.more && tokio::time::Instant::now() < deadline {
            tokio::select! {
                changed = newest.changed() => if changed.is_ok() { continue },
                () = tokio::time::sleep_until(deadline) => continue,
            }
        }
        // Written once into a buffer of the right size (not grown, and copied, as it fills).
        let mut body = Vec::with_capacity(a.bytes + 512);
        serde_json::to_writer(&mut body, &page_of(&state, &user, a)).map_err(AppError::internal)?;
        let json = [(axum::http::header::CONTENT_TYPE, "application/json")];
        return Ok((json, body).into_response());
    }
    let store = state.db.store_id().to_string();
    let server_time = state.db.server_time();
    let damaged = state.damaged.clone();
    let resp = state
        .db
        .read(move |conn| read_pull(conn, server_time, &user, p.cursor, limit, packed, &store, &damaged))
        .await?;
    Ok(Json(resp).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FetchParams {
    pub kind: String,
    /// Comma-separated record ids.
    pub ids: Option<String>,
    /// A search among orders: number, customer name or phone, as the order list matches.
    pub q: Option<String>,
    pub limit: Option<u32>,
}

/// What a fetch asks for.
enum Fetch {
    Ids(Vec<RecordId>),
    Search(String),
}

/// Longest search text.
const MAX_FETCH_QUERY: usize = 100;

/// Records outside the pull (see [`FetchResponse`]): a device whose storage was full
/// dropped its oldest synced orders, and fetches one when it is opened, or searches the
/// server's orders for older ones. Only what this user may read is sent.
pub async fn records(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(p): ApiQuery<FetchParams>,
) -> Result<Json<FetchResponse>, AppError> {
    let bad = |field: &'static str, message: &str| AppError::bad_request("invalid_query", message).with_field(field);
    let kind = Kind::parse(&p.kind)
        .filter(|k| common::desk::kinds::spec(*k).is_some())
        .ok_or_else(|| bad("kind", "unknown kind of record"))?;
    let limit = p.limit.unwrap_or(50) as usize;
    if limit == 0 || limit > MAX_FETCH {
        return Err(bad("limit", &format!("limit must be between 1 and {MAX_FETCH}")));
    }
    let fetch = match (p.ids, p.q) {
        (Some(ids), None) => {
            let ids = ids
                .split(',')
                .map(|s| RecordId::parse(s.trim()))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| bad("ids", "ids are record ids (UUIDs), separated by commas"))?;
            if ids.is_empty() || ids.len() > MAX_FETCH {
                return Err(bad("ids", &format!("between 1 and {MAX_FETCH} ids")));
            }
            Fetch::Ids(ids)
        }
        (None, Some(q)) => {
            let q = q.trim().to_string();
            if kind != Kind::ORDER {
                return Err(bad("q", "the server searches orders only"));
            }
            if q.is_empty() || q.chars().count() > MAX_FETCH_QUERY {
                return Err(bad("q", &format!("a search text of 1 to {MAX_FETCH_QUERY} characters")));
            }
            Fetch::Search(q)
        }
        _ => return Err(bad("ids", "give either ids or q")),
    };
    let server_time = state.db.server_time();
    let (records, more) = state.db.read(move |conn| read_fetch(conn, &user, kind, &fetch, limit)).await?;
    Ok(Json(FetchResponse { protocol: PROTOCOL_VERSION, records, more, server_time }))
}

fn read_fetch(
    conn: &Connection,
    user: &CurrentUser,
    kind: Kind,
    fetch: &Fetch,
    limit: usize,
) -> Result<(Vec<RecordState>, bool), AppError> {
    let readable = |office: &str| kind.is_catalogue() || user.actor.is_hq || office == user.actor.office.as_str();
    let parse = |text: &str, digest: i64, id: &str| -> Result<Option<RecordState>, AppError> {
        if !intact(text, digest) {
            let _ = damaged(kind.as_str(), id);
            return Ok(None);
        }
        serde_json::from_str(text).map(Some).map_err(|e| AppError::internal(format!("stored record unreadable: {e}")))
    };
    let mut out = Vec::new();
    match fetch {
        Fetch::Ids(ids) => {
            let mut stmt =
                conn.prepare_cached("SELECT state, digest, office FROM records WHERE kind = ?1 AND id = ?2")?;
            for id in ids {
                let row = stmt
                    .query_row(params![kind.as_str(), id.to_string()], |r| {
                        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?))
                    })
                    .optional()?;
                if let Some((text, digest, _)) = row.filter(|(_, _, office)| readable(office)) {
                    out.extend(parse(&text, digest, &id.to_string())?);
                }
            }
            Ok((out, false))
        }
        Fetch::Search(q) => {
            // Matched as the order list matches (separators and case aside), on each
            // order's search text kept beside it (`order_search`), newest change first;
            // only the orders found are read and parsed.
            let query = common::desk::search::TextQuery::new(q);
            let mut found = Vec::new();
            {
                // Head office reads every row, a branch its own: the table in seq order,
                // newest first, with no index to look rows up through.
                let office = (!user.actor.is_hq).then(|| user.actor.office.as_str());
                let mut stmt = conn.prepare_cached(
                    "SELECT id, hay FROM order_search WHERE ?1 IS NULL OR office = ?1 ORDER BY seq DESC",
                )?;
                let mut rows = stmt.query(params![office])?;
                while let Some(r) = rows.next()? {
                    let hay: String = r.get(1)?;
                    if query.matches(&hay) {
                        found.push(r.get::<_, String>(0)?);
                    }
                }
            }
            let mut stmt = conn.prepare_cached("SELECT state, digest FROM records WHERE kind = ?1 AND id = ?2")?;
            for id in found {
                let row = stmt
                    .query_row(params![kind.as_str(), id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
                    .optional()?;
                let Some((text, digest)) = row else { continue };
                let Some(state) = parse(&text, digest, &id)? else { continue };
                if out.len() == limit {
                    return Ok((out, true));
                }
                out.push(state);
            }
            Ok((out, false))
        }
    }
}

/// A device sends back what a server restored from a backup may have lost (see
/// `RecoverRequest` in docs/sync-protocol.md). Runs on the writer, in one transaction.
pub async fn recover(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(req): ApiJson<RecoverRequest>,
) -> Result<Json<RecoverResponse>, AppError> {
    check_protocol(req.protocol)?;
    if req.client != user.client {
        return Err(AppError::forbidden(
            "this session belongs to another device; recover from the device that logged in",
        ));
    }
    if req.records.len() > MAX_RECOVER_RECORDS {
        return Err(AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_records",
            format!("at most {MAX_RECOVER_RECORDS} records per request, got {}", req.records.len()),
        ));
    }
    let store_id = state.db.store_id().to_string();
    if req.store != store_id {
        return Err(AppError::new(
            StatusCode::CONFLICT,
            "store_changed",
            "the server's store changed again; pull to learn its identity, then send your records back to it",
        ));
    }
    let resp = state
        .db
        .call_publishing(move |inner| {
            let now = now_ms();
            let Inner { conn, uniques, .. } = inner;
            let tx = conn.transaction()?;
            let stations = station_contracts(&tx)?;
            let pushing = Pushing { tx: &tx, stations: &stations, committed: uniques, earlier: None, now };
            let mut store = pushing.store(&user, RecordWriter::default());
            let lookup = pushing.lookup();
            let rules = DeskRules { actor: &user.actor, device: user.device_no, lookup: &lookup };
            let actor = &user.actor;
            let may_write = |r: &RecordState| actor.may_write(r.kind, &r.office);
            let resp = process_recovery(&mut store, &rules, may_write, &req, &store_id)?;
            let (writer, claims) = (store.writer, store.claims);
            let written = writer.finish(&tx)?;
            tx.commit()?;
            uniques.absorb(claims);
            if resp.restored > 0 || !resp.refused.is_empty() {
                tracing::warn!(
                    user = %user.actor.username,
                    client = %req.client,
                    restored = resp.restored,
                    refused = resp.refused.len(),
                    "a device sent back records the restored store had lost"
                );
            }
            Ok((resp, written))
        })
        .await?;
    Ok(Json(resp))
}

/// Notes when a session's device synced, and what it had waiting: written at most once a
/// minute per session (or when the count changes), so pulls stay reads.
async fn note_seen(state: &AppState, user: &CurrentUser, pending: Option<u32>) -> Result<(), AppError> {
    let now = now_ms();
    let pending = pending.unwrap_or(user.session.pending);
    if now.saturating_sub(user.session.last_seen_ms) < 60_000 && pending == user.session.pending {
        return Ok(());
    }
    let hash = user.session.token_hash.clone();
    // Touches no account: cached sessions stay, this one's copy is brought up to date.
    state
        .db
        .call_quiet(move |inner| {
            inner.conn.execute(
                "UPDATE sessions SET last_seen_ms = ?2, pending = ?3 WHERE token_hash = ?1",
                params![hash, now, pending],
            )?;
            Ok(())
        })
        .await?;
    crate::auth::noted(&state.db, &user.session.token_hash, now, pending);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::desk::account::{OfficeInfo, UserInfo};
    use common::desk::order::OrderDraft;
    use common::desk::permissions::{Actor, Role};
    use common::engine::hlc::Clock;
    use common::engine::wire::PushRequest;

    fn clerk(client: ClientId, device_no: u32) -> CurrentUser {
        let office = OfficeCode::parse("FS").unwrap();
        let info = OfficeInfo {
            code: office.clone(),
            name: "佛山分公司".into(),
            is_hq: false,
            utc_offset_minutes: 480,
            paper: Default::default(),
            notice_hour: 10,
            receipt_days: 7,
        };
        CurrentUser {
            actor: Actor { username: "fs_clerk".into(), role: Role::Clerk, office: office.clone(), is_hq: false },
            info: UserInfo { username: "fs_clerk".into(), display_name: "x".into(), role: Role::Clerk, office: info },
            client,
            device_no,
            session: Default::default(),
        }
    }

    /// A push of one new order numbered `number` by device `n`.
    fn push_of(n: u128, number: &str) -> (CurrentUser, IncomingPush) {
        let client = ClientId(uuid::Uuid::from_u128(n));
        let office = OfficeCode::parse("FS").unwrap();
        let mut values = OrderDraft::sample(n as usize).validate().unwrap().to_values();
        values.insert("number".into(), serde_json::json!(number));
        let record = RecordId(uuid::Uuid::from_u128(n << 64 | 1));
        let change = common::engine::record::Change {
            id: ChangeId(uuid::Uuid::from_u128(n << 64 | 2)),
            seq: 1,
            kind: Kind::ORDER,
            record,
            office: office.clone(),
            ts: Clock::new(n as u64).tick(now_ms()),
            by: "fs_clerk".into(),
            set: RecordState::new(Kind::ORDER, record, office).writes_for(&values),
            event: None,
        };
        let req = PushRequest { protocol: PROTOCOL_VERSION, client, changes: vec![change], pull: None };
        (clerk(client, 1), IncomingPush::from(req))
    }

    fn outcomes(answers: &[Result<PushResponse, AppError>]) -> Vec<(Outcome, Option<String>)> {
        answers
            .iter()
            .map(|a| a.as_ref().map(|r| (r.results[0].outcome.clone(), r.results[0].code.clone())).unwrap())
            .collect()
    }

    #[test]
    fn a_customers_orders_are_found_in_whatever_form_their_id_was_written_and_no_others() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::Db::open(&dir.path().join("salesdesk.db")).unwrap();
        let office = OfficeCode::parse("FS").unwrap();
        let customer = RecordId(uuid::Uuid::from_u128(0x0193_a1b2_c3d4_7000_8000_0000_00ab_cdefu128));
        let other = RecordId(uuid::Uuid::from_u128(0x0193_a1b2_c3d4_7000_8000_0000_0000_0001u128));
        let forms = [
            customer.to_string(),
            customer.to_string().to_uppercase(),
            format!("{{{}}}", customer.0.simple()),
            customer.0.urn().to_string(),
            other.to_string(),
        ];
        let found = db.with(|inner| {
            let tx = inner.conn.transaction().unwrap();
            let mut writer = RecordWriter::default();
            for (n, form) in forms.iter().enumerate() {
                let id = RecordId(uuid::Uuid::from_u128(n as u128 + 1));
                let mut values = OrderDraft::sample(n).validate().unwrap().to_values();
                values.insert("customer".into(), serde_json::json!(form));
                let mut state = RecordState::new(Kind::ORDER, id, office.clone());
                let change = common::engine::record::Change {
                    id: ChangeId(uuid::Uuid::from_u128(n as u128 + 100)),
                    seq: 1,
                    kind: Kind::ORDER,
                    record: id,
                    office: office.clone(),
                    ts: Clock::new(1).tick(now_ms()),
                    by: "fs_clerk".into(),
                    set: state.writes_for(&values),
                    event: None,
                };
                state.apply(&change).unwrap();
                writer.store(&tx, &state, Some(None)).unwrap();
            }
            let named = office_records(&tx, Kind::ORDER, &office, Some(customer));
            let mut ids: Vec<u128> = named.iter().map(|s| s.id.0.as_u128()).collect();
            ids.sort_unstable();
            ids
        });
        assert_eq!(found, [1, 2, 3, 4], "every form of the customer's id, not the other customer's order");
    }

    #[test]
    fn a_number_claimed_earlier_in_the_same_commit_or_before_a_restart_is_refused_to_another_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("salesdesk.db");
        let db = crate::db::Db::open(&path).unwrap();
        let applied = (Outcome::Applied, None);
        let twin = (Outcome::Refused, Some("duplicate".to_string()));
        // Two devices giving one number in one group commit: the first holds it.
        let group = [push_of(1, "FS-261128-01-0001"), push_of(2, "FS-261128-01-0001"), push_of(3, "FS-261128-01-0002")];
        let (answers, _) = db.with(|inner| apply_pushes(inner, &group)).unwrap();
        assert_eq!(outcomes(&answers), [applied.clone(), twin.clone(), applied.clone()]);
        // A later commit sees the committed claims.
        let (answers, _) = db.with(|inner| apply_pushes(inner, &[push_of(4, "FS-261128-01-0002")])).unwrap();
        assert_eq!(outcomes(&answers), std::slice::from_ref(&twin));
        drop(db);
        // And so does the store opened again, from the claims on disk.
        let db = crate::db::Db::open(&path).unwrap();
        let (answers, _) = db
            .with(|inner| apply_pushes(inner, &[push_of(5, "FS-261128-01-0001"), push_of(6, "FS-261128-01-0003")]))
            .unwrap();
        assert_eq!(outcomes(&answers), [twin, applied]);
        assert_eq!(db.with(|inner| inner.uniques.len()), 3);
    }
}
