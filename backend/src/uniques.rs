//! The values records hold in unique fields (an order's number, a product's model), looked
//! up in memory and kept on disk in `unique_values` in the order they were claimed.
//!
//! Why not a key in SQLite: a hundred devices each number their own orders, so a sorted
//! key on the number has a run per device, and every commit of a group of pushes wrote one
//! page of it per device (half the commit's pages; the lookups were a tenth of the
//! writer's time). Appended in claim order, a group's claims share the table's last page.
//!
//! Claims are never released. The writer's transaction sees its own claims through
//! [`Claims`]; they join the committed set only once the commit has succeeded, so a push
//! rolled back (its savepoint) or a failed commit leaves nothing claimed in memory either.

use crate::error::AppError;
use common::engine::ids::RecordId;
use common::engine::record::Kind;
use rusqlite::Connection;
use std::collections::HashMap;

/// Claimed values by (kind, field), each naming the record that holds it.
#[derive(Default)]
pub struct Uniques {
    fields: Vec<((Kind, String), HashMap<String, RecordId>)>,
}

impl Uniques {
    /// Every claim stored; the first claim of a value holds it.
    pub fn load(conn: &Connection) -> Result<Uniques, AppError> {
        let mut out = Uniques::default();
        let mut stmt = conn.prepare("SELECT kind, field, value, record FROM unique_values ORDER BY rowid")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let (kind, field, value, record): (String, String, String, String) =
                (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?);
            let unreadable = || AppError::internal(format!("unique value {kind}.{field} {value:?} is unreadable"));
            let kind = Kind::parse(&kind).ok_or_else(unreadable)?;
            let record = RecordId::parse(&record).map_err(|_| unreadable())?;
            out.insert(kind, &field, &value, record);
        }
        Ok(out)
    }

    /// The record holding `value` in `field`, if one does.
    pub fn owner(&self, kind: Kind, field: &str, value: &str) -> Option<RecordId> {
        let (_, values) = self.fields.iter().find(|((k, f), _)| *k == kind && f == field)?;
        values.get(value).copied()
    }

    /// `record` holds `value`, unless a record already does.
    fn insert(&mut self, kind: Kind, field: &str, value: &str, record: RecordId) {
        let at = match self.fields.iter().position(|((k, f), _)| *k == kind && f == field) {
            Some(at) => at,
            None => {
                self.fields.push(((kind, field.to_string()), HashMap::new()));
                self.fields.len() - 1
            }
        };
        self.fields[at].1.entry(value.to_string()).or_insert(record);
    }

    /// Takes in claims just committed.
    pub fn absorb(&mut self, claims: Claims) {
        for (kind, field, value, record) in claims.made {
            self.insert(kind, &field, &value, record);
        }
    }

    pub fn len(&self) -> usize {
        self.fields.iter().map(|(_, v)| v.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Claims made inside a transaction, not yet committed: looked up before the committed set.
#[derive(Default)]
pub struct Claims {
    /// In the order made, to be taken in by the committed set.
    made: Vec<(Kind, String, String, RecordId)>,
    /// The same, for look-ups.
    held: Uniques,
}

impl Claims {
    pub fn owner(&self, kind: Kind, field: &str, value: &str) -> Option<RecordId> {
        self.held.owner(kind, field, value)
    }

    /// Notes a claim (the caller has written it into the transaction).
    pub fn claim(&mut self, kind: Kind, field: &str, value: &str, record: RecordId) {
        self.held.insert(kind, field, value, record);
        self.made.push((kind, field.to_string(), value.to_string(), record));
    }

    /// Claims made after `self`'s (a later push of the same transaction).
    pub fn append(&mut self, later: Claims) {
        for (kind, field, value, record) in later.made {
            self.claim(kind, &field, &value, record);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u128) -> RecordId {
        RecordId(uuid::Uuid::from_u128(n))
    }

    #[test]
    fn the_first_stored_claim_of_a_value_holds_it_and_kinds_and_fields_are_apart() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE unique_values (kind TEXT NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL, record TEXT NOT NULL);",
        )
        .unwrap();
        for (kind, field, value, record) in [
            ("order", "number", "FS-261207-01-0001", id(1)),
            ("order", "number", "FS-261207-01-0001", id(2)),
            ("product", "model", "FS-261207-01-0001", id(3)),
        ] {
            conn.execute(
                "INSERT INTO unique_values VALUES (?1, ?2, ?3, ?4)",
                rusqlite::params![kind, field, value, record.to_string()],
            )
            .unwrap();
        }
        let u = Uniques::load(&conn).unwrap();
        assert_eq!(u.owner(Kind::ORDER, "number", "FS-261207-01-0001"), Some(id(1)));
        assert_eq!(u.owner(Kind::PRODUCT, "model", "FS-261207-01-0001"), Some(id(3)));
        assert_eq!(u.owner(Kind::ORDER, "model", "FS-261207-01-0001"), None);
        assert_eq!(u.owner(Kind::ORDER, "number", "FS-261207-01-0002"), None);
        assert_eq!(u.len(), 2);
    }

    #[test]
    fn claims_join_the_committed_set_only_when_absorbed_and_the_first_stays() {
        let mut committed = Uniques::default();
        let mut group = Claims::default();
        group.claim(Kind::ORDER, "number", "A", id(1));
        let mut later = Claims::default();
        later.claim(Kind::ORDER, "number", "B", id(2));
        group.append(later);
        assert_eq!(group.owner(Kind::ORDER, "number", "B"), Some(id(2)));
        assert_eq!(committed.owner(Kind::ORDER, "number", "A"), None, "not before the commit");
        committed.absorb(group);
        assert_eq!(committed.owner(Kind::ORDER, "number", "A"), Some(id(1)));
        let mut again = Claims::default();
        again.claim(Kind::ORDER, "number", "A", id(9));
        committed.absorb(again);
        assert_eq!(committed.owner(Kind::ORDER, "number", "A"), Some(id(1)));
    }
}
