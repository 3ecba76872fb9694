//! Running it: one server per data directory (a lock that names its holder), consistent
//! backups while it runs (SQLite's online backup API), restores that give the store a new
//! identity, and a check of everything stored.

use crate::error::AppError;
use common::engine::record::{digest32_of_json, RecordState};
use rusqlite::{params, Connection, OpenFlags};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

pub const DB_FILE: &str = "salesdesk.sqlite3";
const LOCK_FILE: &str = "salesdesk.lock";

pub fn db_path(data_dir: &Path) -> PathBuf {
    data_dir.join(DB_FILE)
}

/// The data directory, held by this process for as long as the value lives.
pub struct DataLock {
    _file: std::fs::File,
}

/// Takes the data directory for this process: a second server (or a restore while a
/// server runs) is refused, naming the holder.
pub fn lock(data_dir: &Path, holder: &str) -> Result<DataLock, AppError> {
    std::fs::create_dir_all(data_dir)
        .map_err(|e| AppError::internal(format!("cannot create {}: {e}", data_dir.display())))?;
    let path = data_dir.join(LOCK_FILE);
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| AppError::internal(format!("cannot open {}: {e}", path.display())))?;
    if file.try_lock().is_err() {
        let mut who = String::new();
        let _ = file.read_to_string(&mut who);
        return Err(AppError::new(
            axum::http::StatusCode::CONFLICT,
            "data_in_use",
            format!("{} is in use by another Salesdesk process: {}", data_dir.display(), who.trim()),
        ));
    }
    let _ = file.set_len(0);
    let _ = file.rewind();
    let _ = writeln!(file, "pid {} — {holder}", std::process::id());
    let _ = file.flush();
    Ok(DataLock { _file: file })
}

/// A consistent copy of the database into `to`, taken while the server may be writing.
pub fn backup(data_dir: &Path, to: &Path) -> Result<(), AppError> {
    let from = db_path(data_dir);
    if !from.is_file() {
        return Err(AppError::bad_request("no_database", format!("no database at {}", from.display())));
    }
    let src = Connection::open_with_flags(&from, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    src.busy_timeout(std::time::Duration::from_secs(30))?;
    let _ = std::fs::remove_file(to);
    let mut dst = Connection::open(to)?;
    {
        let b = rusqlite::backup::Backup::new(&src, &mut dst)?;
        b.run_to_completion(256, std::time::Duration::from_millis(5), None)?;
    }
    dst.execute_batch("PRAGMA journal_mode = DELETE;")?;
    Ok(())
}

/// Puts a backup back (the server must be stopped: the caller holds the data lock). The
/// store gets a new identity, so devices know to send back what it has lost.
pub fn restore(data_dir: &Path, from: &Path) -> Result<String, AppError> {
    if !from.is_file() {
        return Err(AppError::bad_request("no_backup", format!("no backup at {}", from.display())));
    }
    let src = Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let target = db_path(data_dir);
    let mut dst = Connection::open(&target)?;
    {
        let b = rusqlite::backup::Backup::new(&src, &mut dst)?;
        b.run_to_completion(256, std::time::Duration::from_millis(5), None)?;
    }
    let identity = new_identity(&dst)?;
    Ok(identity)
}

/// A fresh random identity for the store (after a restore, or at its creation).
pub fn new_identity(conn: &Connection) -> Result<String, AppError> {
    let id = uuid::Uuid::from_bytes(rand::random()).to_string();
    conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('store_id', ?1)", params![id])?;
    Ok(id)
}

/// What `check` found.
#[derive(Debug, Default)]
pub struct CheckReport {
    pub records: usize,
    /// SQLite's own verdict (`ok`, or what it found).
    pub integrity: Vec<String>,
    /// Records whose stored text no longer matches their stored digest (damaged), or
    /// does not read as a record.
    pub damaged: Vec<String>,
    /// Scopes whose running digest totals differ from the records (office, catalogue).
    pub scopes: Vec<String>,
}

impl CheckReport {
    pub fn is_ok(&self) -> bool {
        self.integrity == ["ok"] && self.damaged.is_empty() && self.scopes.is_empty()
    }
}

/// SQLite's integrity check, every record's text against its stored digest, and every
/// scope's running total against the records.
pub fn check(conn: &Connection) -> Result<CheckReport, AppError> {
    let mut report = CheckReport::default();
    {
        let mut stmt = conn.prepare("PRAGMA integrity_check")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        report.integrity = rows.collect::<rusqlite::Result<_>>()?;
    }
    let mut totals: std::collections::BTreeMap<(String, bool), (i64, i64)> = Default::default();
    {
        let mut stmt = conn.prepare("SELECT kind, id, office, state, digest FROM records")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let (kind, id, office, text, digest): (String, String, String, String, i64) =
                (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?);
            report.records += 1;
            let readable = serde_json::from_str::<RecordState>(&text).is_ok();
            if !readable || i64::from(digest32_of_json(text.as_bytes())) != digest {
                report.damaged.push(format!("{kind}/{id}"));
            }
            let e = totals.entry((office, kind == "product" || kind == "station")).or_default();
            *e = (e.0 + 1, e.1 + digest);
        }
    }
    let mut stmt = conn.prepare("SELECT office, catalogue, count, sum FROM scope_digests")?;
    let stored: Vec<(String, bool, i64, i64)> =
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?.collect::<rusqlite::Result<_>>()?;
    for (office, catalogue, count, sum) in &stored {
        let have = totals.remove(&(office.clone(), *catalogue)).unwrap_or((0, 0));
        if have != (*count, *sum) {
            report.scopes.push(format!("{office}{}", if *catalogue { " (catalogue)" } else { "" }));
        }
    }
    for ((office, catalogue), _) in totals {
        report.scopes.push(format!("{office}{} (no running total)", if catalogue { " (catalogue)" } else { "" }));
    }
    Ok(report)
}
