//! The server's statement and ageing exports, whole: `GET /api/export/statement.xlsx` and
//! `ageing.xlsx` through the real router in-process (`backend::app` with tower's
//! `oneshot`: no socket), as a logged-in user: the session check, every record the user
//! may read taken from SQLite and parsed from JSON, the books, the statement or the
//! ageing, and the workbook's bytes. The stores are made once, outside the timed part: the
//! demo set-up (offices, users, catalogue), then the records of
//! `common/benches/support/books_data.rs` (made through the push rules, with their
//! history) written the way the demo seed writes records. Reported in docs/benchmarks.md
//! by `cargo xtask bench`.

#[path = "../../common/benches/support/books_data.rs"]
mod books_data;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use backend::AppState;
use books_data::{generate, Data, Plan};
use common::desk::time::{local_date, Date};
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use tower::ServiceExt;

/// A store on disk with `data` in it, and a session token for `user`.
struct Store {
    _dir: tempfile::TempDir,
    state: AppState,
}

/// Head office's ageing by salesperson.
const AGEING: &str = "ageing.xlsx?by=salesperson";

fn now_ms() -> u64 {
    backend::db::now_ms()
}

fn today() -> Date {
    local_date(now_ms(), 480)
}

/// A fresh demo store with `data`'s records written in one transaction, as the demo seed
/// writes its own (and their unique values claimed, as it does).
fn store(data: &Data) -> Store {
    let dir = tempfile::tempdir().unwrap();
    let state = backend::open_state(dir.path(), None, true).unwrap_or_else(|e| panic!("{}", e.message));
    let started = Instant::now();
    state.db.with(|inner| {
        let tx = inner.conn.transaction().unwrap();
        let mut writer = backend::sync::RecordWriter::default();
        for s in &data.states {
            writer.store(&tx, s, Some(None)).unwrap_or_else(|e| panic!("{}", e.message));
        }
        writer.finish(&tx).unwrap_or_else(|e| panic!("{}", e.message));
        backend::upgrade::claim_unique_values(&tx).unwrap_or_else(|e| panic!("{}", e.message));
        tx.commit().unwrap();
    });
    let db = backend::ops::db_path(dir.path());
    let size = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0)
        + std::fs::metadata(db.with_extension("db-wal")).map(|m| m.len()).unwrap_or(0);
    let json: usize = state.db.with(|inner| {
        inner.conn.query_row("SELECT SUM(LENGTH(CAST(state AS BLOB))) FROM records", [], |r| r.get(0)).unwrap()
    });
    eprintln!(
        "store: {} records written in {:.1?}; {:.1} MB of record JSON, database {:.1} MB",
        data.states.len(),
        started.elapsed(),
        json as f64 / 1e6,
        size as f64 / 1e6
    );
    Store { _dir: dir, state }
}

async fn login(state: &AppState, username: &str) -> String {
    let body = serde_json::json!({"username": username, "password": backend::demo::DEMO_PASSWORD,
        "client": uuid::Uuid::from_u128(0xB00C_0000 + u128::from(common::engine::record::fnv1a(username.as_bytes())))});
    let req = Request::post("/api/login")
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let resp = backend::app(state.clone()).oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "log-in of {username}");
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    v["token"].as_str().unwrap().to_string()
}

/// One export, start to last byte: the workbook's size.
async fn export(state: &AppState, token: &str, path: &str) -> usize {
    let req = Request::get(format!("/api/export/{path}"))
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let resp = backend::app(state.clone()).oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
    assert_eq!(status, StatusCode::OK, "{path}: {}", String::from_utf8_lossy(&bytes));
    bytes.len()
}

fn exports(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let today = today();
    let month = format!("from={}&to={today}", Date::new(today.year, today.month, 1).unwrap());
    let year = format!("from={}&to={today}", today.plus_days(-365));

    // A branch whose one customer has 5,000 orders over the year.
    let one = OnceLock::new();
    let one = || {
        one.get_or_init(|| {
            let started = Instant::now();
            let data = generate(&Plan::one_customer(5_000, today, now_ms()));
            eprintln!("statement data: {:?}, made in {:.1?}", data.counts, started.elapsed());
            let store = store(&data);
            let token = rt.block_on(login(&store.state, "fs_manager"));
            let customer = data.customers[0].0;
            for (name, period) in [("month", &month), ("year", &year)] {
                let path = format!("statement.xlsx?customer={customer}&{period}");
                eprintln!(
                    "the {name}'s statement: {} bytes of .xlsx",
                    rt.block_on(export(&store.state, &token, &path))
                );
            }
            (store, token, customer)
        })
    };
    let mut g = c.benchmark_group("books_export");
    // Seconds-long iterations: ten samples of one iteration each, criterion's least.
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(6));
    for (id, period) in [("statement_5000_month", &month), ("statement_5000_year", &year)] {
        g.bench_function(id, |b| {
            let (store, token, customer) = one();
            let path = format!("statement.xlsx?customer={customer}&{period}");
            b.iter(|| rt.block_on(export(&store.state, token, &path)))
        });
    }

    // Two branches, 100,000 orders over 100 customers; head office's ageing of them all.
    let big = OnceLock::new();
    let big = || {
        big.get_or_init(|| {
            let started = Instant::now();
            let data = generate(&Plan::two_branches(100_000, today, now_ms()));
            eprintln!("ageing data: {:?}, made in {:.1?}", data.counts, started.elapsed());
            let store = store(&data);
            let hq = rt.block_on(login(&store.state, "hq_manager"));
            let fs = rt.block_on(login(&store.state, "fs_manager"));
            let bytes = rt.block_on(export(&store.state, &hq, AGEING));
            eprintln!("the ageing: {bytes} bytes of .xlsx");
            (store, hq, fs, data.customers[0].0)
        })
    };
    g.measurement_time(Duration::from_secs(60));
    g.bench_function("ageing_100k", |b| {
        let (store, hq, _, _) = big();
        b.iter(|| rt.block_on(export(&store.state, hq, AGEING)))
    });
    // A statement reads every record of the branch, whoever it is for: one customer's
    // (about 1,000 orders) in a branch of 50,000.
    g.measurement_time(Duration::from_secs(30));
    g.bench_function("statement_in_50k_branch_month", |b| {
        let (store, _, fs, customer) = big();
        let path = format!("statement.xlsx?customer={customer}&{month}");
        b.iter(|| rt.block_on(export(&store.state, fs, &path)))
    });
    // A search of the server's orders that finds nothing (an order number not given): every
    // order in the branch's scope is looked at. Run in the same group, on the same store.
    g.measurement_time(Duration::from_secs(10));
    g.bench_function("search_50k_branch_nothing_found", |b| {
        let (store, _, fs, _) = big();
        b.iter(|| {
            let found = rt.block_on(get_json(&store.state, fs, "/api/sync/records?kind=order&q=FS-000101-99-999"));
            assert_eq!(found["records"].as_array().map(Vec::len), Some(0), "{found}");
        })
    });
    g.finish();
}

/// A GET of the API, start to last byte, read as JSON.
async fn get_json(state: &AppState, token: &str, uri: &str) -> serde_json::Value {
    let req = Request::get(uri).header("authorization", format!("Bearer {token}")).body(Body::empty()).unwrap();
    let resp = backend::app(state.clone()).oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
    assert_eq!(status, StatusCode::OK, "{uri}: {}", String::from_utf8_lossy(&bytes));
    serde_json::from_slice(&bytes).unwrap()
}

criterion_group!(benches, exports);
criterion_main!(benches);
