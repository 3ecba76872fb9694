//! Excel in: customers and products from an .xlsx (or .xls) or a .csv (UTF-8, or the
//! GB18030 that Chinese Excel writes). Online only, and all or nothing: the file is read
//! into rows (`common::desk::import`), each row becomes a change from the person
//! importing, and the changes go through the same push rules as a device's in one
//! transaction — committed only if every row passes, and only when asked (`commit=true`);
//! otherwise the answer is the preview, with every problem by row number.

use std::io::Cursor;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use calamine::{Data, Reader};
use common::desk::customer::CustomerView;
use common::desk::import::{parse, ImportReport, Parsed, RowError, Target};
use common::desk::kinds::spec;
use common::engine::ids::{ChangeId, ClientId, OfficeCode, RecordId};
use common::engine::record::{Change, FieldWrite, Kind};
use common::engine::wire::{IncomingPush, Outcome, PushedChange, PROTOCOL_VERSION};
use rusqlite::{params, Connection};
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::db::{now_ms, Inner};
use crate::error::AppError;
use crate::extract::ApiQuery;
use crate::AppState;

/// Most rows in one file.
pub const MAX_ROWS: usize = 20_000;
/// Rows shown back in a preview.
const PREVIEW_ROWS: usize = 20;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportParams {
    /// Write it (all rows or none); without it, only the preview.
    #[serde(default)]
    pub commit: bool,
    /// The office the customers belong to (head office may import for a branch).
    pub office: Option<String>,
    /// The import's id, chosen by the browser when the file is picked: a retried commit
    /// writes nothing twice.
    pub id: Option<String>,
}

/// The file's first sheet as rows of text, spreadsheet row 1 first.
pub fn read_table(bytes: &[u8]) -> Result<Vec<Vec<String>>, AppError> {
    let unreadable = |why: String| AppError::bad_request("unreadable_file", why).with_field("file");
    let spreadsheet = bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]);
    if spreadsheet {
        let mut wb = calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
            .map_err(|e| unreadable(format!("not a spreadsheet Excel can open: {e}")))?;
        let range = wb
            .worksheet_range_at(0)
            .ok_or_else(|| unreadable("the workbook has no sheet".into()))?
            .map_err(|e| unreadable(format!("the first sheet cannot be read: {e}")))?;
        let (top, left) = range.start().unwrap_or((0, 0));
        let mut out: Vec<Vec<String>> = vec![Vec::new(); top as usize];
        for row in range.rows() {
            let mut cells = vec![String::new(); left as usize];
            cells.extend(row.iter().map(cell_text));
            out.push(cells);
        }
        return Ok(out);
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t.trim_start_matches('\u{feff}').to_string(),
        Err(_) => {
            let (t, _, bad) = encoding_rs::GB18030.decode(bytes);
            if bad {
                return Err(unreadable("neither an Excel file nor text in UTF-8 or GB18030".into()));
            }
            t.into_owned()
        }
    };
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| unreadable(format!("not a CSV file: {e}")))?;
        out.push(record.iter().map(str::to_string).collect());
    }
    Ok(out)
}

/// A cell as the person sees it: whole numbers without a decimal point (phone numbers
/// typed as numbers), dates as YYYY-MM-DD.
fn cell_text(c: &Data) -> String {
    match c {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(n) => n.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => format!("{:.2}", f).trim_end_matches('0').trim_end_matches('.').to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => {
            let base = common::desk::time::Date::new(1899, 12, 30).expect("a real date");
            base.plus_days(d.as_f64().floor() as i64).to_string()
        }
        Data::Error(e) => format!("#{e:?}"),
    }
}

fn kind_of(target: Target) -> Kind {
    match target {
        Target::Customers => Kind::CUSTOMER,
        Target::Products => Kind::PRODUCT,
        Target::Openings => Kind::OPENING,
    }
}

/// `POST /api/import/{target}` with the file as the body.
pub async fn import(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(target): Path<String>,
    ApiQuery(q): ApiQuery<ImportParams>,
    body: Bytes,
) -> Result<(StatusCode, Json<ImportReport>), AppError> {
    let target = Target::parse(&target)
        .ok_or_else(|| AppError::not_found(format!("cannot import {target}; customers, products or openings")))?;
    let kind = kind_of(target);
    let editors = spec(kind).map(|s| s.editors).unwrap_or_default();
    if !editors.contains(&user.actor.role) || (kind.is_catalogue() && !user.actor.is_hq) {
        return Err(AppError::forbidden(format!("a {} may not add {}", user.actor.role.code(), target.code())));
    }
    let office = match q.office.as_deref() {
        None => user.actor.office.clone(),
        Some(code) => {
            let o = OfficeCode::parse(code).map_err(|_| {
                AppError::bad_request("invalid_query", "office must be an office code").with_field("office")
            })?;
            if o != user.actor.office && !user.actor.is_hq {
                return Err(AppError::forbidden("only head office imports for another office"));
            }
            o
        }
    };
    let office = if kind.is_catalogue() { user.actor.office.clone() } else { office };
    let id = match (&q.id, q.commit) {
        (Some(id), _) => ClientId::parse(id)
            .map_err(|_| AppError::bad_request("invalid_query", "id must be a UUID").with_field("id"))?,
        (None, false) => ClientId::new_v7(now_ms(), rand::random()),
        (None, true) => {
            return Err(AppError::bad_request("invalid_query", "a commit needs the import's id").with_field("id"))
        }
    };
    if body.is_empty() {
        return Err(AppError::bad_request("unreadable_file", "no file was sent").with_field("file"));
    }
    let table = read_table(&body)?;
    if table.len() > MAX_ROWS + 1 {
        return Err(AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_rows",
            format!("at most {MAX_ROWS} rows per file, this one has {}", table.len() - 1),
        ));
    }
    let commit = q.commit;
    let report = state
        .db
        .call(move |inner| {
            let known: bool = inner.conn.query_row(
                "SELECT EXISTS(SELECT 1 FROM offices WHERE code = ?1)",
                params![office.as_str()],
                |r| r.get(0),
            )?;
            if !known {
                return Err(
                    AppError::bad_request("invalid_query", format!("there is no office {office}")).with_field("office")
                );
            }
            if commit {
                if let Some(done) = already_written(&inner.conn, id, target)? {
                    return Ok(done);
                }
            }
            let customers = customer_ids(&inner.conn, &office)?;
            let existing = existing_keys(&inner.conn, target, &office, &customers)?;
            let parsed = parse(target, &table, |k| existing.contains(k), |name| customers.get(name).cloned());
            write(inner, &user, target, &office, id, parsed, commit)
        })
        .await?;
    let status = if report.error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, Json(report)))
}

/// A commit retried (its answer lost on the way): what the first one wrote.
fn already_written(conn: &Connection, id: ClientId, target: Target) -> Result<Option<ImportReport>, AppError> {
    use rusqlite::OptionalExtension;
    let last: Option<u64> = conn
        .prepare_cached("SELECT last_seq FROM clients WHERE client = ?1")?
        .query_row(params![id.to_string()], |r| r.get(0))
        .optional()?;
    Ok(last.filter(|n| *n > 0).map(|n| ImportReport {
        target: Some(target),
        count: n as usize,
        written: true,
        ..Default::default()
    }))
}

/// The office's customers: name → id.
fn customer_ids(conn: &Connection, office: &OfficeCode) -> Result<std::collections::HashMap<String, String>, AppError> {
    let mut out = std::collections::HashMap::new();
    let mut stmt = conn.prepare_cached("SELECT state FROM records WHERE kind = 'customer' AND office = ?1")?;
    for text in stmt.query_map(params![office.as_str()], |r| r.get::<_, String>(0))? {
        if let Ok(s) = serde_json::from_str::<common::engine::record::RecordState>(&text?) {
            let c = CustomerView::from_record(&s);
            out.insert(c.name, c.id.to_string());
        }
    }
    Ok(out)
}

/// What rows may not repeat: the office's customers' names, the catalogue's models.
fn existing_keys(
    conn: &Connection,
    target: Target,
    office: &OfficeCode,
    customers: &std::collections::HashMap<String, String>,
) -> Result<std::collections::HashSet<String>, AppError> {
    let mut out = std::collections::HashSet::new();
    match target {
        Target::Customers => out.extend(customers.keys().cloned()),
        Target::Openings => {
            let mut stmt = conn.prepare_cached("SELECT state FROM records WHERE kind = 'opening' AND office = ?1")?;
            for text in stmt.query_map(params![office.as_str()], |r| r.get::<_, String>(0))? {
                if let Ok(s) = serde_json::from_str(&text?) {
                    out.insert(common::desk::opening::Opening::from_record(&s).customer_name);
                }
            }
        }
        Target::Products => {
            let mut stmt =
                conn.prepare_cached("SELECT value FROM unique_values WHERE kind = 'product' AND field = 'model'")?;
            for v in stmt.query_map([], |r| r.get::<_, String>(0))? {
                out.insert(v?);
            }
        }
    }
    Ok(out)
}

/// A row's record and change ids, from the import's id: the same file committed twice
/// (a retry) is the same changes, settled once.
fn ids_for(import: ClientId, n: usize) -> (RecordId, ChangeId) {
    let base = import.0.as_u128();
    let record = uuid::Uuid::from_u128(base ^ ((n as u128 + 1) << 16));
    let change = uuid::Uuid::from_u128(base ^ ((n as u128 + 1) << 40));
    (RecordId(record), ChangeId(change))
}

/// Runs the rows through the push rules in one transaction; commits only when asked and
/// every row passed.
fn write(
    inner: &mut Inner,
    user: &CurrentUser,
    target: Target,
    office: &OfficeCode,
    import: ClientId,
    parsed: Parsed,
    commit: bool,
) -> Result<ImportReport, AppError> {
    let Parsed { rows, mut errors, columns, ignored } = parsed;
    let now = now_ms();
    let Inner { conn, clock, uniques } = inner;
    let tx = conn.transaction()?;
    let mut written = false;
    if errors.is_empty() && !rows.is_empty() {
        let changes: Vec<PushedChange> = rows
            .iter()
            .enumerate()
            .map(|(n, r)| {
                let (record, id) = ids_for(import, n);
                let set = r
                    .values
                    .iter()
                    .map(|(k, v)| (k.clone(), FieldWrite { value: v.clone(), replaces: vec![] }))
                    .collect();
                PushedChange::Change(Change {
                    id,
                    seq: n as u64 + 1,
                    kind: kind_of(target),
                    record,
                    office: office.clone(),
                    ts: clock.tick(now),
                    by: user.actor.username.clone(),
                    set,
                    event: None,
                })
            })
            .collect();
        let req = IncomingPush { protocol: PROTOCOL_VERSION, client: import, changes, pull: None };
        let stations = crate::sync::station_contracts(&tx)?;
        let (resp, claims) = crate::sync::push_in(&tx, &stations, uniques, user, &req, clock, now)?;
        for r in resp.results.iter().filter(|r| r.outcome == Outcome::Refused) {
            let Some(row) = rows.get(r.seq as usize - 1) else { continue };
            let code = r.code.clone().unwrap_or_else(|| "refused".into());
            let message = format!("row {}: {}", row.row, r.message.clone().unwrap_or_else(|| code.clone()));
            errors.push(RowError { row: row.row, column: String::new(), error: None, code: Some(code), message });
        }
        if errors.is_empty() && commit {
            tx.prepare_cached("INSERT OR REPLACE INTO meta(key, value) VALUES ('clock_last', ?1)")?
                .execute(params![clock.last.encode()])?;
            tx.commit()?;
            uniques.absorb(claims);
            written = true;
            tracing::info!(target = target.code(), rows = rows.len(), office = office.as_str(), "imported");
        }
    }
    // Anything not committed is rolled back when `tx` drops here.
    errors.sort_by_key(|e| e.row);
    let refused = (!errors.is_empty()).then(|| errors[0].message.clone());
    Ok(ImportReport {
        target: Some(target),
        count: if errors.is_empty() { rows.len() } else { 0 },
        rows: rows.into_iter().take(PREVIEW_ROWS).collect(),
        error: refused.as_ref().map(|_| "import_refused".to_string()),
        message: refused.map(|m| format!("nothing was imported: {m}")),
        errors,
        columns,
        ignored,
        written,
    })
}
