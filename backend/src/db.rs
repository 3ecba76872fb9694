//! The SQLite file: opening it durably, migrating its schema, and running blocking work
//! off the async threads. One connection behind a mutex: SQLite serialises writers
//! anyway, and a single writer keeps each push one short transaction.

use crate::error::AppError;
use crate::tail::{Published, Tail};
use crate::uniques::Uniques;
use common::engine::hlc::{Clock, Hlc};
pub use rusqlite::Connection;
use rusqlite::{params, OptionalExtension};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// Schema versions, applied in order; `PRAGMA user_version` records how far a file is.
/// Most are SQL; some rewrite data in code.
enum Migration {
    Sql(&'static str),
    Code(fn(&rusqlite::Transaction<'_>) -> Result<(), AppError>),
}

const MIGRATIONS: &[Migration] = &[
    Migration::Sql(
        r#"
CREATE TABLE offices (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    is_hq INTEGER NOT NULL,
    utc_offset_minutes INTEGER NOT NULL
);
CREATE TABLE users (
    username TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    office TEXT NOT NULL REFERENCES offices(code),
    active INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL REFERENCES users(username),
    client TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL
);
-- Per device: the last change sequence settled, so repeats are skipped and gaps refused.
CREATE TABLE clients (
    client TEXT PRIMARY KEY,
    last_seq INTEGER NOT NULL DEFAULT 0
);
-- A device's number within an office; part of every order number it issues.
CREATE TABLE device_numbers (
    client TEXT NOT NULL,
    office TEXT NOT NULL REFERENCES offices(code),
    device_no INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    PRIMARY KEY (client, office),
    UNIQUE (office, device_no)
);
-- Current merged state of every record; seq is the pull cursor (bumped on each change).
CREATE TABLE records (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    office TEXT NOT NULL,
    state TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX records_by_seq ON records(seq);
CREATE INDEX records_by_office_seq ON records(office, seq);
-- Every change ever settled, applied or refused: idempotency and audit trail.
CREATE TABLE changes (
    id TEXT PRIMARY KEY,
    client TEXT NOT NULL,
    seq INTEGER NOT NULL,
    username TEXT NOT NULL,
    kind TEXT NOT NULL,
    record TEXT NOT NULL,
    outcome TEXT NOT NULL,
    code TEXT,
    message TEXT,
    body TEXT NOT NULL,
    received_ms INTEGER NOT NULL,
    UNIQUE (client, seq)
);
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"#,
    ),
    Migration::Sql(
        r#"
-- A change id sent again by another device is refused, and that refusal is logged too:
-- ids are looked up, not unique; (client, seq) stays the key.
CREATE TABLE changes_v2 (
    id TEXT NOT NULL,
    client TEXT NOT NULL,
    seq INTEGER NOT NULL,
    username TEXT NOT NULL,
    kind TEXT NOT NULL,
    record TEXT NOT NULL,
    outcome TEXT NOT NULL,
    code TEXT,
    message TEXT,
    body TEXT NOT NULL,
    received_ms INTEGER NOT NULL,
    PRIMARY KEY (client, seq)
);
INSERT INTO changes_v2 SELECT id, client, seq, username, kind, record, outcome, code, message, body, received_ms FROM changes;
DROP TABLE changes;
ALTER TABLE changes_v2 RENAME TO changes;
CREATE INDEX changes_by_id ON changes(id);
"#,
    ),
    Migration::Sql(
        r#"
-- Each record's 32-bit digest, summed per scope so a client can tell it holds everything.
ALTER TABLE records ADD COLUMN digest INTEGER NOT NULL DEFAULT -1;
"#,
    ),
    Migration::Sql(
        r#"
-- Running totals of record digests per office (catalogue apart), kept by every store,
-- so a pull's scope digest is a lookup, not a scan.
CREATE TABLE scope_digests (
    office TEXT NOT NULL,
    catalogue INTEGER NOT NULL,
    count INTEGER NOT NULL,
    sum INTEGER NOT NULL,
    PRIMARY KEY (office, catalogue)
);
"#,
    ),
    // 5: protocol 1's records in protocol 2's shape.
    Migration::Code(crate::upgrade::records_to_protocol_2),
    Migration::Sql(
        r#"
-- A device id belongs to the user (and office) who first used it.
ALTER TABLE clients ADD COLUMN username TEXT;
ALTER TABLE clients ADD COLUMN office TEXT;
-- Values no two records of a kind may share (an order's number), and who holds each.
CREATE TABLE unique_values (
    kind TEXT NOT NULL,
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (kind, field, value)
);
"#,
    ),
    // 7: the order numbers already given (the first holder keeps a number given twice).
    Migration::Code(crate::upgrade::claim_order_numbers),
    Migration::Sql(
        r#"
-- The paper an office prints orders on.
ALTER TABLE offices ADD COLUMN paper TEXT NOT NULL DEFAULT 'a4';
-- When each session's device last synced, and what it said was waiting then.
ALTER TABLE sessions ADD COLUMN last_seen_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;
CREATE INDEX sessions_by_user ON sessions(username);
"#,
    ),
    // 9: product models are unique, like order numbers.
    Migration::Code(crate::upgrade::claim_unique_values),
    Migration::Sql(
        r#"
-- By when an office's desk calls about yesterday's shipments, and how long it waits for a receipt.
ALTER TABLE offices ADD COLUMN notice_hour INTEGER NOT NULL DEFAULT 10;
ALTER TABLE offices ADD COLUMN receipt_days INTEGER NOT NULL DEFAULT 7;
"#,
    ),
    // 11: what a search of orders matches, beside each order (filled from those stored).
    Migration::Code(crate::upgrade::index_order_search),
    Migration::Sql(
        r#"
-- The change log in the order changes arrive (its rowid), without its (client, seq) key:
-- a hundred devices pushing at once each wrote a page of that index into every commit.
-- A repeated change is found through its id (`changes_by_id`), then its client and seq.
CREATE TABLE changes_v3 (
    id TEXT NOT NULL,
    client TEXT NOT NULL,
    seq INTEGER NOT NULL,
    username TEXT NOT NULL,
    kind TEXT NOT NULL,
    record TEXT NOT NULL,
    outcome TEXT NOT NULL,
    code TEXT,
    message TEXT,
    body TEXT NOT NULL,
    received_ms INTEGER NOT NULL
);
INSERT INTO changes_v3 SELECT id, client, seq, username, kind, record, outcome, code, message, body, received_ms
    FROM changes ORDER BY rowid;
DROP TABLE changes;
ALTER TABLE changes_v3 RENAME TO changes;
CREATE INDEX changes_by_id ON changes(id);
-- Looked up by their key on every push: one b-tree each, not a table and its key's index.
CREATE TABLE unique_values_v2 (
    kind TEXT NOT NULL,
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (kind, field, value)
) WITHOUT ROWID;
INSERT INTO unique_values_v2 SELECT kind, field, value, record FROM unique_values;
DROP TABLE unique_values;
ALTER TABLE unique_values_v2 RENAME TO unique_values;
CREATE TABLE clients_v2 (
    client TEXT PRIMARY KEY,
    last_seq INTEGER NOT NULL DEFAULT 0,
    username TEXT,
    office TEXT
) WITHOUT ROWID;
INSERT INTO clients_v2 SELECT client, last_seq, username, office FROM clients;
DROP TABLE clients;
ALTER TABLE clients_v2 RENAME TO clients;
"#,
    ),
    Migration::Sql(
        r#"
-- Unique values in the order they are claimed (their rowid), without their key: each
-- device's run of order numbers wrote a page of it into every commit. The server looks
-- them up in memory, loaded from here (backend/src/uniques.rs).
CREATE TABLE unique_values_v3 (
    kind TEXT NOT NULL,
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    record TEXT NOT NULL
);
INSERT INTO unique_values_v3 SELECT kind, field, value, record FROM unique_values;
DROP TABLE unique_values;
ALTER TABLE unique_values_v3 RENAME TO unique_values;
"#,
    ),
];

pub struct Inner {
    pub conn: Connection,
    pub clock: Clock,
    /// The unique values claimed, as committed (see `uniques.rs`).
    pub uniques: Uniques,
}

/// The writer (one connection, with the server clock) and a few reader connections: with
/// WAL, reads (sessions, pulls) never wait behind a writer's fsync, nor behind each other.
#[derive(Clone)]
pub struct Db {
    inner: Arc<Mutex<Inner>>,
    readers: Arc<Readers>,
    /// The server clock's latest timestamp, for answers that write nothing.
    last: Arc<Mutex<Hlc>>,
    /// The store's identity: new when it is created and on each restore from a backup.
    store_id: Arc<str>,
    /// The newest record states, for pulls (see [`crate::tail`]).
    tail: Arc<RwLock<Tail>>,
    /// Moves on every write but pushes and sync notes: sessions cached before it moved are
    /// read again (a log-out, a password changed, an account disabled, an office edited).
    auth_generation: Arc<AtomicU64>,
    /// Sessions checked, by token hash: the generation they were read at, the person, and
    /// when the session expires.
    pub(crate) sessions: Arc<crate::auth::SessionCache>,
    /// The tail's newest seq, for pulls waiting for something new.
    newest: Arc<tokio::sync::watch::Sender<u64>>,
}

/// Reader connections: a read takes whichever is free.
struct Readers {
    conns: Vec<Mutex<Connection>>,
    next: AtomicUsize,
}

/// How many reader connections: reads of different requests run side by side.
const READERS: usize = 4;

/// The database opened only to read it (checks, while a server may run).
pub fn open_read_only(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    Ok(conn)
}

pub fn open_connection(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    // WAL + synchronous=FULL: a commit is on disk (fsync'd) before we answer.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Each push of a group runs in a savepoint whose journal (the pages it changes that the
    // group changed before) spills to a temporary file past 64 KB: kept in memory instead,
    // that file's writes were four times the WAL's.
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    Ok(conn)
}

/// The newest schema version.
pub const SCHEMA_VERSION: usize = MIGRATIONS.len();

pub fn migrate(conn: &mut Connection) -> Result<(), AppError> {
    migrate_to(conn, SCHEMA_VERSION)
}

/// Brings the file up to `target` (tests start from older versions).
pub fn migrate_to(conn: &mut Connection, target: usize) -> Result<(), AppError> {
    let version: usize = conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))? as usize;
    for (i, migration) in MIGRATIONS.iter().enumerate().take(target).skip(version) {
        let tx = conn.transaction()?;
        match migration {
            Migration::Sql(sql) => tx.execute_batch(sql)?,
            Migration::Code(f) => f(&tx)?,
        }
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

/// Records stored before digests existed get theirs.
fn backfill_digests(conn: &mut Connection) -> Result<(), AppError> {
    let tx = conn.transaction()?;
    let rows: Vec<(String, String, String)> = {
        let mut stmt = tx.prepare("SELECT kind, id, state FROM records WHERE digest < 0")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    for (kind, id, text) in rows {
        let state: common::engine::record::RecordState = serde_json::from_str(&text).map_err(AppError::internal)?;
        tx.execute("UPDATE records SET digest = ?3 WHERE kind = ?1 AND id = ?2", params![kind, id, state.digest32()])?;
    }
    let totals: i64 = tx.query_row("SELECT COUNT(*) FROM scope_digests", [], |r| r.get(0))?;
    if totals == 0 {
        tx.execute(
            "INSERT INTO scope_digests(office, catalogue, count, sum)
             SELECT office, kind IN ('product', 'station'), COUNT(*), SUM(digest) FROM records GROUP BY 1, 2",
            [],
        )?;
    }
    tx.commit()?;
    Ok(())
}

fn load_clock(conn: &Connection) -> rusqlite::Result<Clock> {
    let node: Option<String> =
        conn.query_row("SELECT value FROM meta WHERE key = 'clock_node'", [], |r| r.get(0)).optional()?;
    let node = match node.and_then(|n| u64::from_str_radix(&n, 16).ok()) {
        Some(n) => n,
        None => {
            let n: u64 = rand::random();
            conn.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('clock_node', ?1)",
                params![format!("{n:016x}")],
            )?;
            n
        }
    };
    let mut clock = Clock::new(node);
    // Never issue a timestamp below one already stored, even if the machine's clock went back.
    let last: Option<String> =
        conn.query_row("SELECT value FROM meta WHERE key = 'clock_last'", [], |r| r.get(0)).optional()?;
    if let Some(last) = last.and_then(|s| Hlc::parse(&s).ok()) {
        clock.last = Hlc { node, ..last };
    }
    Ok(clock)
}

/// How often the checkpointer copies what the WAL holds into the database file.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(200);

/// Copies the WAL into the database file from a thread and connection of its own, every
/// [`CHECKPOINT_EVERY`], while the store is open (`writer` alive). Passive: it never waits
/// for the writer nor holds it up, and a commit is durable in the WAL before it is
/// answered either way.
fn start_checkpointer(conn: Connection, writer: std::sync::Weak<Mutex<Inner>>) {
    let spawned = std::thread::Builder::new().name("checkpointer".into()).spawn(move || loop {
        std::thread::sleep(CHECKPOINT_EVERY);
        if writer.strong_count() == 0 {
            return;
        }
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!("checkpoint: {e}");
        }
    });
    if let Err(e) = spawned {
        // The writer's own checkpoints (at 10,000 pages) still bound the WAL.
        tracing::warn!("checkpointer not started: {e}");
    }
}

impl Db {
    pub fn open(path: &Path) -> Result<Db, AppError> {
        let mut conn = open_connection(path)?;
        // The writer reads the pages each push touches (records, their indexes, the change
        // log): kept in its own cache (64 MB at most) rather than read again from the file.
        // Its own: SQLite is built without SQLITE_ENABLE_MEMORY_MANAGEMENT (.cargo/config.toml),
        // under which all connections shared one cache and the writer lost its pages to it.
        conn.pragma_update(None, "cache_size", -65536)?;
        // Checkpoints are the checkpointer's (below), off the writer: run at a commit, one
        // stalled every push behind it while it copied pages and synced the file. This
        // bound stays only in case that thread falls far behind (40 MB of WAL).
        conn.pragma_update(None, "wal_autocheckpoint", 10_000)?;
        migrate(&mut conn)?;
        backfill_digests(&mut conn)?;
        let clock = load_clock(&conn)?;
        let store_id: Option<String> =
            conn.query_row("SELECT value FROM meta WHERE key = 'store_id'", [], |r| r.get(0)).optional()?;
        let store_id = match store_id {
            Some(id) => id,
            None => crate::ops::new_identity(&conn)?,
        };
        let conns = (0..READERS).map(|_| open_connection(path).map(Mutex::new)).collect::<Result<_, _>>()?;
        let last = Arc::new(Mutex::new(clock.last));
        let mut tail = Tail::default();
        reset_tail(&conn, &mut tail)?;
        let uniques = Uniques::load(&conn)?;
        let inner = Arc::new(Mutex::new(Inner { conn, clock, uniques }));
        start_checkpointer(open_connection(path)?, Arc::downgrade(&inner));
        Ok(Db {
            inner,
            readers: Arc::new(Readers { conns, next: AtomicUsize::new(0) }),
            last,
            store_id: store_id.into(),
            tail: Arc::new(RwLock::new(tail)),
            auth_generation: Arc::new(AtomicU64::new(0)),
            sessions: Default::default(),
            newest: Arc::new(tokio::sync::watch::Sender::new(0)),
        })
    }

    /// Runs `f` on the writer, on a blocking thread: for writes that may touch accounts or
    /// sessions (their cached copies are read again afterwards).
    pub async fn call<R, F>(&self, f: F) -> Result<R, AppError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Inner) -> Result<R, AppError> + Send + 'static,
    {
        self.run(true, move |inner| f(inner).map(|r| (r, Published::default()))).await
    }

    /// [`Db::call`] for writes that touch no account, session office or device number
    /// (pushes, a device's last sync): cached sessions stay.
    pub async fn call_quiet<R, F>(&self, f: F) -> Result<R, AppError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Inner) -> Result<R, AppError> + Send + 'static,
    {
        self.run(false, move |inner| f(inner).map(|r| (r, Published::default()))).await
    }

    /// [`Db::call_quiet`] for a transaction that wrote record states: `f` commits, and
    /// returns what it wrote, which goes to the tail for pulls.
    pub async fn call_publishing<R, F>(&self, f: F) -> Result<R, AppError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Inner) -> Result<(R, Published), AppError> + Send + 'static,
    {
        self.run(false, f).await
    }

    async fn run<R, F>(&self, accounts: bool, f: F) -> Result<R, AppError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Inner) -> Result<(R, Published), AppError> + Send + 'static,
    {
        let db = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = db.inner.lock().unwrap_or_else(|p| p.into_inner());
            let result = f(&mut guard);
            *db.last.lock().unwrap_or_else(|p| p.into_inner()) = guard.clock.last;
            let result = result.map(|(r, published)| {
                db.after_write(&guard.conn, published);
                r
            });
            if result.is_err() {
                db.after_write(&guard.conn, Published::default());
            }
            if accounts {
                db.auth_generation.fetch_add(1, Ordering::AcqRel);
            }
            result
        })
        .await
        .map_err(AppError::internal)?
    }

    /// Under the writer's lock, after its transaction: the tail takes what was committed,
    /// and starts again from the store if anything else wrote records.
    fn after_write(&self, conn: &Connection, published: Published) {
        let mut tail = self.tail.write().unwrap_or_else(|p| p.into_inner());
        let in_order = tail.publish(published);
        let newest: rusqlite::Result<u64> = conn
            .prepare_cached("SELECT COALESCE(MAX(seq), 0) FROM records")
            .and_then(|mut s| s.query_row([], |r| r.get(0)));
        if !in_order || newest.as_ref().ok() != Some(&tail.last()) {
            if let Err(e) = reset_tail(conn, &mut tail) {
                tracing::error!("cannot read the store's newest records: {}", e.message);
                // An empty tail past every cursor answers nothing: pulls go to the store.
                tail.reset(u64::MAX, BTreeMap::new());
            }
        }
        let last = tail.last();
        self.newest.send_if_modified(|n| std::mem::replace(n, last) != last);
    }

    /// Told whenever new record states are committed (see `wait` in docs/sync-protocol.md).
    pub fn watch_newest(&self) -> tokio::sync::watch::Receiver<u64> {
        self.newest.subscribe()
    }

    /// A pull answered from the tail, if it reaches back to `cursor`.
    pub fn pull_tail(
        &self,
        scope: &crate::tail::Scope<'_>,
        cursor: u64,
        limit: usize,
        packed: bool,
    ) -> Option<crate::tail::Answer> {
        self.tail.read().unwrap_or_else(|p| p.into_inner()).pull(scope, cursor, limit, packed)
    }

    /// The generation of accounts and sessions now (see [`Db::call`]).
    pub fn auth_generation(&self) -> u64 {
        self.auth_generation.load(Ordering::Acquire)
    }

    /// Runs a read-only `f` on a reader connection, on a blocking thread.
    pub async fn read<R, F>(&self, f: F) -> Result<R, AppError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R, AppError> + Send + 'static,
    {
        let readers = self.readers.clone();
        tokio::task::spawn_blocking(move || {
            let n = readers.conns.len();
            let first = readers.next.fetch_add(1, Ordering::Relaxed) % n;
            let free = (0..n).find_map(|i| readers.conns[(first + i) % n].try_lock().ok());
            let conn = match free {
                Some(c) => c,
                None => readers.conns[first].lock().unwrap_or_else(|p| p.into_inner()),
            };
            f(&conn)
        })
        .await
        .map_err(AppError::internal)?
    }

    pub fn store_id(&self) -> &str {
        &self.store_id
    }

    /// The server's time now, for answers that write nothing: never behind its clock's
    /// last stamp, and never behind the wall clock (an idle server's last stamp is old, and
    /// devices measure their clocks against this).
    pub fn server_time(&self) -> Hlc {
        let last = *self.last.lock().unwrap_or_else(|p| p.into_inner());
        let now = now_ms();
        if now > last.wall_ms {
            Hlc { wall_ms: now, counter: 0, node: last.node }
        } else {
            last
        }
    }

    /// For start-up work (migrations, demo data) outside the runtime.
    pub fn with<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        let mut guard = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let r = f(&mut guard);
        self.after_write(&guard.conn, Published::default());
        self.auth_generation.fetch_add(1, Ordering::AcqRel);
        r
    }
}

/// The tail emptied at the store's newest seq, with the store's scope totals.
fn reset_tail(conn: &Connection, tail: &mut Tail) -> Result<(), AppError> {
    let newest: u64 = conn.prepare_cached("SELECT COALESCE(MAX(seq), 0) FROM records")?.query_row([], |r| r.get(0))?;
    let mut stmt = conn.prepare_cached("SELECT office, catalogue, count, sum FROM scope_digests")?;
    let totals = stmt
        .query_map([], |r| {
            Ok(((r.get::<_, String>(0)?, r.get::<_, bool>(1)?), (r.get::<_, i64>(2)?, r.get::<_, i64>(3)?)))
        })?
        .collect::<rusqlite::Result<BTreeMap<_, _>>>()?;
    tail.reset(newest, totals);
    Ok(())
}

impl Inner {
    /// A server timestamp, persisted so restarts never go backwards.
    pub fn tick(&mut self) -> rusqlite::Result<Hlc> {
        let t = self.clock.tick(now_ms());
        self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('clock_last', ?1)", params![t.encode()])?;
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_change_log_unique_values_and_devices_keep_every_row_through_their_rebuild() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = open_connection(&dir.path().join("t.sqlite3")).unwrap();
        migrate_to(&mut conn, 11).unwrap();
        let change = |id: &str, client: &str, seq: u64| {
            conn.execute(
                "INSERT INTO changes(id, client, seq, username, kind, record, outcome, code, message, body, received_ms)
                 VALUES (?1, ?2, ?3, 'fs_clerk', 'order', 'r1', 'refused', 'invalid', 'no', '{}', 5)",
                params![id, client, seq],
            )
            .unwrap();
        };
        change("c2", "b", 1);
        change("c1", "a", 1);
        change("c3", "a", 2);
        conn.execute("INSERT INTO unique_values VALUES ('order', 'number', 'FS-1', 'r1')", []).unwrap();
        conn.execute("INSERT INTO clients(client, last_seq, username, office) VALUES ('a', 2, 'fs_clerk', 'FS')", [])
            .unwrap();
        migrate(&mut conn).unwrap();

        let rows = |sql: &str| -> Vec<String> {
            let mut stmt = conn.prepare(sql).unwrap();
            stmt.query_map([], |r| r.get::<_, String>(0)).unwrap().map(Result::unwrap).collect()
        };
        assert_eq!(
            rows("SELECT id || ' ' || client || ' ' || seq || ' ' || code FROM changes ORDER BY rowid"),
            ["c2 b 1 invalid", "c1 a 1 invalid", "c3 a 2 invalid"],
            "every change, in the order it arrived"
        );
        assert_eq!(rows("SELECT name FROM pragma_index_list('changes')"), ["changes_by_id"]);
        assert_eq!(rows("SELECT value || ' ' || record FROM unique_values"), ["FS-1 r1"]);
        assert_eq!(
            rows("SELECT client || ' ' || last_seq || ' ' || username || ' ' || office FROM clients"),
            ["a 2 fs_clerk FS"]
        );
    }
}
