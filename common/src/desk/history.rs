//! A record's history as people read it: who did what, when, from which office and
//! device, whether it was done offline and when it reached the server, and for edits the
//! old and new values. Built from the record's server-written log and steps, plus this
//! device's changes still waiting to be synced.

use crate::desk::order::Action;
use crate::desk::shipping::ShipAction;
use crate::engine::hlc::Hlc;
use crate::engine::ids::OfficeCode;
use crate::engine::record::{Change, RecordState};
use serde_json::Value;

/// A change that reached the server this long after it was made was made offline.
pub const OFFLINE_AFTER_MS: u64 = 2 * 60 * 1000;

#[derive(Clone, Debug, PartialEq)]
pub struct Edit {
    pub field: String,
    pub old: Value,
    pub new: Value,
}

/// Where a change is: on the server (since when), or still only on this device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    Server {
        received_ms: u64,
        offline: bool,
    },
    ThisDevice,
    /// Stored before the server kept histories: who and when are known, not how it travelled.
    Unknown,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// When it was made (the maker's clock).
    pub at: Hlc,
    pub username: String,
    /// The person's name and role code, and office and device number, where known.
    pub name: Option<String>,
    pub role: Option<String>,
    pub office: Option<OfficeCode>,
    pub device: Option<u32>,
    pub place: Place,
    /// The change that created the record (开单).
    pub created: bool,
    pub step: Option<Action>,
    /// A step of a shipment or a station-log entry (a call, a receipt, a print).
    pub ship_step: Option<ShipAction>,
    pub edits: Vec<Edit>,
}

/// The record's history, oldest first. `pending`: this device's unsynced changes to it.
pub fn history(state: Option<&RecordState>, pending: &[&Change]) -> Vec<Entry> {
    let mut out = Vec::new();
    let created = state.and_then(RecordState::created);
    if let Some(s) = state {
        let mut stamps: Vec<Hlc> = s.log.keys().chain(s.events.keys()).copied().collect();
        if let Some(c) = created {
            stamps.push(c);
        }
        crate::sort::sort(&mut stamps);
        stamps.dedup();
        for at in stamps {
            let log = s.log.get(&at);
            let event = s.events.get(&at);
            let username = log.map(|l| l.by.clone()).or_else(|| event.map(|e| e.by.clone())).unwrap_or_default();
            let edits = log
                .map(|l| {
                    l.new
                        .iter()
                        .map(|(f, new)| Edit {
                            field: f.clone(),
                            old: l.old.get(f).cloned().unwrap_or(Value::Null),
                            new: new.clone(),
                        })
                        .collect()
                })
                .unwrap_or_default();
            out.push(Entry {
                at,
                username,
                name: log.map(|l| l.name.clone()),
                role: log.map(|l| l.role.clone()),
                office: log.map(|l| l.office.clone()),
                device: log.map(|l| l.device),
                place: match log {
                    Some(l) => Place::Server {
                        received_ms: l.received_ms,
                        offline: l.received_ms.saturating_sub(at.wall_ms) > OFFLINE_AFTER_MS,
                    },
                    None => Place::Unknown,
                },
                created: Some(at) == created,
                step: event.and_then(|e| Action::from_event(e).ok()),
                ship_step: event.and_then(|e| ShipAction::from_event(e).ok()),
                edits,
            });
        }
    }
    // This device's waiting changes, each against the record as it stood just before.
    let mut seen = state.cloned();
    let mut mine: Vec<&&Change> = pending.iter().collect();
    crate::sort::sort_by_key(&mut mine, |c| (c.ts, c.id));
    for c in mine {
        let edits = c
            .set
            .iter()
            .filter_map(|(f, w)| {
                let old = seen.as_ref().and_then(|s| s.get(f)).cloned()?;
                (old != w.value).then(|| Edit { field: f.clone(), old, new: w.value.clone() })
            })
            .collect();
        out.push(Entry {
            at: c.ts,
            username: c.by.clone(),
            name: None,
            role: None,
            office: None,
            device: None,
            place: Place::ThisDevice,
            created: seen.is_none(),
            step: c.event.as_ref().and_then(|e| Action::from_write(e).ok()),
            ship_step: c.event.as_ref().and_then(|e| ShipAction::from_parts(&e.step, &e.data).ok()),
            edits,
        });
        match &mut seen {
            Some(s) => {
                let _ = s.apply(c);
            }
            None => seen = Some(RecordState::from_change(c)),
        }
    }
    crate::sort::sort_by_key(&mut out, |e| e.at);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ids::{ChangeId, RecordId};
    use crate::engine::record::{FieldWrite, Kind, LogEntry};
    use serde_json::json;
    use std::collections::BTreeMap;

    fn at(ms: u64) -> Hlc {
        Hlc { wall_ms: ms, counter: 0, node: 1 }
    }

    fn change(ms: u64, field: &str, value: Value) -> Change {
        Change {
            id: ChangeId(uuid::Uuid::from_u128(u128::from(ms))),
            seq: 0,
            kind: Kind::ORDER,
            record: RecordId(uuid::Uuid::from_u128(9)),
            office: OfficeCode::parse("FS").unwrap(),
            ts: at(ms),
            by: "fs_clerk".into(),
            set: [(field.to_string(), FieldWrite { value, replaces: vec![] })].into(),
            event: None,
        }
    }

    fn entry(received_ms: u64, old: &[(&str, Value)], new: &[(&str, Value)]) -> LogEntry {
        let map = |p: &[(&str, Value)]| p.iter().map(|(k, v)| (k.to_string(), v.clone())).collect::<BTreeMap<_, _>>();
        LogEntry {
            by: "fs_clerk".into(),
            name: "王芳".into(),
            role: "clerk".into(),
            office: OfficeCode::parse("FS").unwrap(),
            device: 3,
            received_ms,
            old: map(old),
            new: map(new),
        }
    }

    #[test]
    fn each_change_says_who_when_where_and_what_it_replaced() {
        let first = change(1_000, "notes", json!("a"));
        let mut s = RecordState::from_change(&first);
        s.log.insert(at(1_000), entry(1_500, &[], &[]));
        let second = change(10_000, "notes", json!("b"));
        s.apply(&second).unwrap();
        // Made offline: it reached the server an hour later.
        s.log.insert(at(10_000), entry(3_610_000, &[("notes", json!("a"))], &[("notes", json!("b"))]));
        let waiting = change(20_000, "notes", json!("c"));
        let h = history(Some(&s), &[&waiting]);
        assert_eq!(h.len(), 3);
        assert!(h[0].created && h[0].name.as_deref() == Some("王芳") && h[0].device == Some(3));
        assert_eq!(h[0].place, Place::Server { received_ms: 1_500, offline: false });
        assert_eq!(h[1].place, Place::Server { received_ms: 3_610_000, offline: true });
        assert_eq!(h[1].edits, vec![Edit { field: "notes".into(), old: json!("a"), new: json!("b") }]);
        assert_eq!(h[2].place, Place::ThisDevice);
        assert_eq!(h[2].edits, vec![Edit { field: "notes".into(), old: json!("b"), new: json!("c") }]);
    }

    #[test]
    fn an_order_only_on_this_device_is_created_here() {
        let c = change(5, "notes", json!("x"));
        let h = history(None, &[&c]);
        assert!(h[0].created && h[0].edits.is_empty() && h[0].place == Place::ThisDevice);
    }
}
