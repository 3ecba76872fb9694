//! Schema version 5: stored records rewritten from sync protocol 1's shape to protocol
//! 2's (`common::desk::upgrade`), with a history (`log`) rebuilt from the change log:
//! who made each applied change, from which device, and when it reached the server. (Old
//! values were not recorded before protocol 2; history shows them from then on.)

use crate::error::AppError;
use common::engine::hlc::Hlc;
use common::engine::ids::OfficeCode;
use common::engine::record::{LogEntry, RecordState};
use rusqlite::params;
use serde_json::Value;

pub fn records_to_protocol_2(tx: &rusqlite::Transaction<'_>) -> Result<(), AppError> {
    let rows: Vec<(String, String, String)> = {
        let mut stmt = tx.prepare("SELECT kind, id, state FROM records")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut history = tx.prepare(
        "SELECT c.body, c.username, c.received_ms, COALESCE(u.display_name, c.username), COALESCE(u.role, ''),
                COALESCE(u.office, ''), COALESCE(d.device_no, 0)
         FROM changes c
         LEFT JOIN users u ON u.username = c.username
         LEFT JOIN device_numbers d ON d.client = c.client AND d.office = u.office
         WHERE c.kind = ?1 AND c.record = ?2 AND c.outcome = 'applied'",
    )?;
    for (kind, id, text) in rows {
        let value: Value = serde_json::from_str(&text).map_err(AppError::internal)?;
        let mut state: RecordState = common::desk::upgrade::record_from_v1(value)
            .ok_or_else(|| AppError::internal(format!("record {kind}/{id} cannot be read as protocol 1 or 2")))?;
        let entries = history.query_map(params![kind, id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, u64>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, u32>(6)?,
            ))
        })?;
        for entry in entries {
            let (body, by, received_ms, name, role, office, device) = entry?;
            let ts = serde_json::from_str::<Value>(&body)
                .ok()
                .and_then(|b| b.get("ts").and_then(Value::as_str).and_then(|t| Hlc::parse(t).ok()));
            let (Some(ts), Ok(office)) = (ts, OfficeCode::parse(&office)) else { continue };
            state.log.or_insert_with(ts, || LogEntry {
                by,
                name,
                role,
                office,
                device,
                received_ms,
                old: Default::default(),
                new: Default::default(),
            });
        }
        let text = state.canonical_json();
        let digest = i64::from(common::engine::record::digest32_of_json(text.as_bytes()));
        tx.execute(
            "UPDATE records SET state = ?3, digest = ?4 WHERE kind = ?1 AND id = ?2",
            params![kind, id, text, digest],
        )?;
    }
    tx.execute("DELETE FROM scope_digests", [])?;
    tx.execute(
        "INSERT INTO scope_digests(office, catalogue, count, sum)
         SELECT office, kind IN ('product', 'station'), COUNT(*), SUM(digest) FROM records GROUP BY 1, 2",
        [],
    )?;
    Ok(())
}

/// Schema version 7: the order numbers given before numbers were kept unique, claimed in
/// the order the records were stored (a number given twice stays with its first holder).
pub fn claim_order_numbers(tx: &rusqlite::Transaction<'_>) -> Result<(), AppError> {
    claim_stored(tx, "order", "number")
}

/// Schema version 9: product models are unique too; the models already in the catalogue
/// are claimed (a model given twice stays with its first holder). Also run after the demo
/// data is seeded. Idempotent.
pub fn claim_unique_values(tx: &rusqlite::Transaction<'_>) -> Result<(), AppError> {
    claim_order_numbers(tx)?;
    claim_stored(tx, "product", "model")
}

/// Claims `field` of each stored record of `kind` whose value no record holds yet, in the
/// order the records were stored. The claims already made are read first, not left to a
/// key: `unique_values` has none since schema 13.
fn claim_stored(tx: &rusqlite::Transaction<'_>, kind: &str, field: &str) -> Result<(), AppError> {
    let mut claimed: std::collections::HashSet<String> = {
        let mut stmt = tx.prepare("SELECT value FROM unique_values WHERE kind = ?1 AND field = ?2")?;
        let rows = stmt.query_map(params![kind, field], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let rows: Vec<(String, String)> = {
        let mut stmt = tx.prepare("SELECT id, state FROM records WHERE kind = ?1 ORDER BY seq")?;
        let rows = stmt.query_map(params![kind], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    for (id, text) in rows {
        let state: RecordState = serde_json::from_str(&text).map_err(AppError::internal)?;
        let value = state.get_str(field);
        if !value.is_empty() && claimed.insert(value.to_string()) {
            tx.execute(
                "INSERT INTO unique_values(kind, field, value, record) VALUES (?1, ?2, ?3, ?4)",
                params![kind, field, value, id],
            )?;
        }
    }
    Ok(())
}

/// Schema version 11: each order's search text (number, customer name, phone, as the
/// order list matches them) in a table of its own, kept by [`crate::sync::RecordWriter`],
/// so a search of the server's orders reads those short texts and parses only the orders
/// it sends. Filled here from the orders already stored.
pub fn index_order_search(tx: &rusqlite::Transaction<'_>) -> Result<(), AppError> {
    tx.execute_batch(
        // Keyed by the order's seq (its rowid), so a search reads the table newest first,
        // start to end, with no index lookups; the id, unique, finds an order's row again.
        "CREATE TABLE order_search (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            office TEXT NOT NULL,
            hay TEXT NOT NULL
        );",
    )?;
    let rows: Vec<(String, u64, String)> = {
        let mut stmt = tx.prepare("SELECT id, seq, state FROM records WHERE kind = 'order'")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    for (id, seq, text) in rows {
        // An order that cannot be read is not found by a search (nor sent by one).
        let Ok(state) = serde_json::from_str::<RecordState>(&text) else { continue };
        crate::sync::index_order_search(tx, &id, seq, &state)?;
    }
    Ok(())
}
