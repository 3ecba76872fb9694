//! Server ingest: pushes applied through the real push path (auth'd actor, validation,
//! merge, change log, one transaction per push) side by side with a plain batched SQLite
//! upsert of the same record rows. The ratio is the figure (docs/benchmarks.md).

use backend::auth::CurrentUser;
use common::hlc::{Clock, Hlc};
use common::ids::{ChangeId, ClientId, OfficeCode, RecordId};
use common::order::OrderDraft;
use common::permissions::{Actor, Role};
use common::record::{Change, Kind, RecordState};
use common::wire::{OfficeInfo, PushRequest, UserInfo, PROTOCOL_VERSION};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use serde_json::json;

const CHANGES: usize = 1_000;
const PER_PUSH: usize = 100;

fn office() -> OfficeCode {
    OfficeCode::parse("FS").unwrap()
}

fn user(client: ClientId) -> CurrentUser {
    let office_info =
        OfficeInfo { code: office(), name: "佛山分公司".into(), is_hq: false, utc_offset_minutes: 480 };
    CurrentUser {
        actor: Actor { username: "fs_clerk".into(), role: Role::Clerk, office: office(), is_hq: false },
        info: UserInfo {
            username: "fs_clerk".into(),
            display_name: "x".into(),
            role: Role::Clerk,
            office: office_info,
        },
        client,
    }
}

fn orders(client_n: u128) -> Vec<Change> {
    let mut clock = Clock::new(7);
    (0..CHANGES)
        .map(|n| {
            let draft = OrderDraft::sample(n);
            let mut values = draft.validate().unwrap().to_values();
            values.insert("number".into(), json!(format!("FS-261128-01-{n:04}")));
            let id = RecordId(uuid::Uuid::from_u128((client_n << 64) | (n as u128 + 1)));
            let ts: Hlc = clock.tick(1_790_000_000_000 + n as u64);
            Change {
                id: ChangeId(uuid::Uuid::from_u128((client_n << 64) | (n as u128 + 1))),
                seq: n as u64 + 1,
                kind: Kind::Order,
                record: id,
                office: office(),
                ts,
                by: "fs_clerk".into(),
                set: RecordState::new(Kind::Order, id, office()).writes_for(&values),
                event: None,
            }
        })
        .collect()
}

fn ingest(c: &mut Criterion) {
    let mut g = c.benchmark_group("ingest");
    g.throughput(Throughput::Elements(CHANGES as u64));
    g.sample_size(10);
    let mut round: u128 = 0;
    g.bench_function("push_path", |b| {
        b.iter_batched(
            || {
                round += 1;
                let dir = tempfile::tempdir().unwrap();
                let state = backend::open_state(dir.path(), None, false).unwrap_or_else(|e| panic!("{}", e.message));
                let client = ClientId(uuid::Uuid::from_u128(round));
                (dir, state, client, orders(round))
            },
            |(dir, state, client, changes)| {
                let who = user(client);
                state.db.with(|inner| {
                    for batch in changes.chunks(PER_PUSH) {
                        let req = PushRequest { protocol: PROTOCOL_VERSION, client, changes: batch.to_vec() };
                        backend::sync::apply_push(inner, &who, &req).unwrap_or_else(|e| panic!("{}", e.message));
                    }
                });
                dir
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function("plain_upsert", |b| {
        b.iter_batched(
            || {
                round += 1;
                let dir = tempfile::tempdir().unwrap();
                let state = backend::open_state(dir.path(), None, false).unwrap_or_else(|e| panic!("{}", e.message));
                // The same records the push path ends up with, in memory.
                let rows: Vec<RecordState> = orders(round).iter().map(RecordState::from_change).collect();
                (dir, state, rows)
            },
            |(dir, state, rows)| {
                // What a server that trusted every client would do: serialise, upsert, commit.
                state.db.with(|inner| {
                    for (i, batch) in rows.chunks(PER_PUSH).enumerate() {
                        let tx = inner.conn.transaction().unwrap();
                        {
                            let mut upsert = tx
                                .prepare_cached(
                                    "INSERT INTO records(kind, id, office, state, seq, digest) VALUES ('order', ?1, 'FS', ?2, ?3, 0)
                                     ON CONFLICT(kind, id) DO UPDATE SET state = excluded.state, seq = excluded.seq",
                                )
                                .unwrap();
                            for (j, record) in batch.iter().enumerate() {
                                let text = serde_json::to_string(record).unwrap();
                                upsert.execute(rusqlite::params![record.id.to_string(), text, (i * PER_PUSH + j) as i64]).unwrap();
                            }
                        }
                        tx.commit().unwrap();
                    }
                });
                dir
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, ingest);
criterion_main!(benches);
