//! The HTTP API's request and response bodies: a contract between the frontend, the
//! backend and any other client (see docs/sync-protocol.md). Kept apart from SQL rows
//! and UI state; change them only together with the protocol version.

use crate::engine::hlc::Hlc;
use crate::engine::ids::{ChangeId, ClientId, RecordId};
use crate::engine::record::{Change, Kind, RecordState};
use crate::from_map;
use serde::{Deserialize, Serialize};

/// Bumped on any incompatible change of the sync bodies. The server refuses others.
pub const PROTOCOL_VERSION: u32 = 2;
/// The request header (name, value) by which a device says it reads packed records
/// ([`crate::engine::packed`]): a pull's page may then send any record as a string, its
/// canonical JSON packed. A header, not a parameter, so that servers before it (which
/// refuse unknown parameters) simply send whole states.
pub const PACKED_RECORDS: (&str, &str) = ("x-salesdesk-records", "packed");
/// Most changes one push may carry; a client sends more in several pushes.
pub const MAX_PUSH_CHANGES: usize = 500;
/// Largest page of a pull, and the default.
pub const MAX_PULL_LIMIT: u32 = 1000;
pub const DEFAULT_PULL_LIMIT: u32 = 500;
/// Most records one recovery request may carry.
pub const MAX_RECOVER_RECORDS: usize = 200;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    pub protocol: u32,
    /// Must be the device the session logged in with.
    pub client: ClientId,
    /// In `seq` order, starting at or before the first one the server has not seen.
    pub changes: Vec<Change>,
    /// Also the pull's first page, in the answer (see [`PushResponse::page`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull: Option<PullAsk>,
}

/// A pull asked for with a push: what `GET /api/sync/pull?cursor=…&pending=…` asks, so
/// that a device with something to send syncs in one request, not two.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PullAsk {
    pub cursor: u64,
    /// How many changes the device still has waiting once this push is settled.
    #[serde(default)]
    pub pending: u32,
}

/// A push as the server reads it: the same JSON as [`PushRequest`], but a change that
/// does not parse (an unknown key, a wrong type, a bad id or stamp) is kept as
/// [`PushedChange::Malformed`] and refused by itself, so it never blocks the changes after it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncomingPush {
    pub protocol: u32,
    pub client: ClientId,
    pub changes: Vec<PushedChange>,
    #[serde(default)]
    pub pull: Option<PullAsk>,
}

impl From<PushRequest> for IncomingPush {
    fn from(r: PushRequest) -> IncomingPush {
        IncomingPush {
            protocol: r.protocol,
            client: r.client,
            changes: r.changes.into_iter().map(PushedChange::Change).collect(),
            pull: r.pull,
        }
    }
}

/// One change of a push, as the server reads it.
#[derive(Clone, Debug, PartialEq)]
pub enum PushedChange {
    Change(Change),
    /// Not a change the server can read. Its `seq` could be read, so it is settled (refused
    /// `malformed`, with `problem` naming the key) and the device moves on.
    Malformed {
        seq: u64,
        id: Option<ChangeId>,
        problem: String,
        raw: serde_json::Value,
    },
}

impl PushedChange {
    pub fn seq(&self) -> u64 {
        match self {
            PushedChange::Change(c) => c.seq,
            PushedChange::Malformed { seq, .. } => *seq,
        }
    }

    pub fn id(&self) -> Option<ChangeId> {
        match self {
            PushedChange::Change(c) => Some(c.id),
            PushedChange::Malformed { id, .. } => *id,
        }
    }
}

impl<'de> Deserialize<'de> for PushedChange {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<PushedChange, D::Error> {
        // Read straight from its text: building a `Value` first cost a push's handler about
        // a tenth of the server's CPU at 100 clients syncing at once. The `Value` is built
        // only for a change that does not parse, to settle it.
        let text = <Box<serde_json::value::RawValue>>::deserialize(d)?;
        if let Ok(c) = serde_json::from_str::<Change>(text.get()) {
            return Ok(PushedChange::Change(c));
        }
        let raw: serde_json::Value = serde_json::from_str(text.get()).map_err(serde::de::Error::custom)?;
        match Change::deserialize(&raw) {
            Ok(c) => Ok(PushedChange::Change(c)),
            Err(e) => {
                let Some(seq) = raw.get("seq").and_then(serde_json::Value::as_u64).filter(|s| *s > 0) else {
                    return Err(serde::de::Error::custom(format!(
                        "a change without a readable seq (a whole number from 1) cannot be settled: {e}"
                    )));
                };
                let id = raw.get("id").and_then(serde_json::Value::as_str).and_then(|s| ChangeId::parse(s).ok());
                Ok(PushedChange::Malformed { seq, id, problem: e.to_string(), raw })
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Stored (now or by an earlier copy of this push).
    Applied,
    /// Will never be stored; `code` and `message` say why. The client keeps it visible.
    Refused,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChangeResult {
    pub id: ChangeId,
    pub seq: u64,
    pub outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

from_map!(ChangeResult, "a change's result", false, {
    id: "id",
    seq: "seq",
    outcome: "outcome",
    code: "code" or None,
    message: "message" or None,
});

/// The push skipped ahead: the server expected `expected` and nothing from `got` on was applied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Gap {
    pub expected: u64,
    pub got: u64,
}

from_map!(Gap, "a gap", false, { expected: "expected", got: "got" });

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PushResponse {
    pub protocol: u32,
    /// Every change of this client up to this seq is settled (applied or refused) and durable.
    pub acked_through: u64,
    pub results: Vec<ChangeResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gap: Option<Gap>,
    pub server_time: Hlc,
    /// The identity of the server's store (see [`RecoverRequest`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
    /// The pull page [`PushRequest::pull`] asked for, as the pull would answer it, after
    /// this push's commit. Absent when not asked, after a gap, or when the server would
    /// have to read it from its database (the device then pulls as usual).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<RawJson>,
}

from_map!(PushResponse, "a push answer", false, {
    protocol: "protocol",
    acked_through: "acked_through",
    results: "results",
    gap: "gap" or None,
    server_time: "server_time",
    store: "store" or None,
    page: "page" or None,
});

/// A JSON value kept as it was sent (a pull page inside a push answer: read by the same
/// code as a pull's, and its records stored as written).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RawJson(pub Box<serde_json::value::RawValue>);

impl PartialEq for RawJson {
    fn eq(&self, other: &RawJson) -> bool {
        self.0.get() == other.0.get()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PullResponse {
    pub protocol: u32,
    /// Whole record states changed since the request's cursor, oldest change first.
    pub records: Vec<RecordState>,
    /// Pass back as `cursor` for the next page / next pull.
    pub cursor: u64,
    /// More pages are waiting; pull again at once.
    pub more: bool,
    pub server_time: Hlc,
    /// On the last page (`more` false): the digest of everything this user may see, as
    /// of this page. A client holding all of it computes the same; if not, it re-pulls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<ScopeDigest>,
    /// The identity of the server's store (see [`RecoverRequest`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
    /// On a page with more to come: how many records this user may read in all, so that a
    /// device's first sync can show how far it has got. Added in protocol 2; optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
}

/// `GET /api/sync/records`: records fetched outside the pull, by id or by a search (a
/// device whose storage was full dropped its oldest synced records; the server keeps
/// them). The client merges them like pulled records; its cursor does not move.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FetchResponse {
    pub protocol: u32,
    /// The records asked for that this user may read (others, and unknown ids, are left out).
    pub records: Vec<RecordState>,
    /// A search found more than `limit`: the newest are sent.
    pub more: bool,
    pub server_time: Hlc,
}

from_map!(FetchResponse, "a fetch answer", false, {
    protocol: "protocol",
    records: "records",
    more: "more" or false,
    server_time: "server_time",
});

/// Most ids one fetch names, and most records one search returns.
pub const MAX_FETCH: usize = 100;

/// The server's store was restored from a backup (its identity, `store` in every push
/// and pull answer, changed): it may have lost changes it had acknowledged, which this
/// device still holds in its confirmed records. Before anything else, the device sends
/// every confirmed record back (in requests of at most [`MAX_RECOVER_RECORDS`]); the
/// server merges each into its own (field versions, steps and history are unions, so
/// sending what it already has changes nothing). Then the device pulls from cursor 0.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecoverRequest {
    pub protocol: u32,
    pub client: ClientId,
    /// The store identity the device is recovering into: refused if it changed again.
    pub store: String,
    /// This device's changes up to this seq are settled (in its confirmed records or
    /// refused); its outbox starts after it. The server raises its count to it.
    pub settled_through: u64,
    pub records: Vec<RecordState>,
}

/// A record the server would not take back, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoverRefusal {
    pub kind: Kind,
    pub id: RecordId,
    pub code: String,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecoverResponse {
    pub protocol: u32,
    pub store: String,
    /// Records the server did not hold in full and now does.
    pub restored: u64,
    pub refused: Vec<RecoverRefusal>,
    /// The server's count of this device's settled changes, after the request.
    pub last_seq: u64,
}

/// An order-independent digest of a set of records: how many, and the wrapping sum of
/// each record's 32-bit digest ([`RecordState::digest32`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ScopeDigest {
    pub count: u64,
    pub sum: u64,
}

from_map!(ScopeDigest, "a digest", false, { count: "count", sum: "sum" });

impl ScopeDigest {
    pub fn of<'a>(states: impl IntoIterator<Item = &'a RecordState>) -> ScopeDigest {
        states.into_iter().fold(ScopeDigest::default(), |d, s| ScopeDigest {
            count: d.count + 1,
            sum: d.sum.wrapping_add(u64::from(s.digest32())),
        })
    }
}

/// Every error the API returns: a machine-readable code and a sentence for people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ErrorBody {
    pub error: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

from_map!(ErrorBody, "an error", false, { error: "error", message: "message", field: "field" or None });

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
    pub version: String,
    pub protocol: u32,
}
