//! Server ingest: pushes applied through the real push path (auth'd actor, validation,
//! merge, change log, one transaction per push) side by side with a plain batched SQLite
//! upsert of the same record rows. The ratio is the figure (docs/benchmarks.md).

use backend::auth::CurrentUser;
use common::desk::account::{OfficeInfo, UserInfo};
use common::desk::order::OrderDraft;
use common::desk::permissions::{Actor, Role};
use common::engine::hlc::{Clock, Hlc};
use common::engine::ids::{ChangeId, ClientId, OfficeCode, RecordId};
use common::engine::record::{Change, Kind, RecordState};
use common::engine::wire::{IncomingPush, PushRequest, PushedChange, PROTOCOL_VERSION};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use serde_json::json;

const CHANGES: usize = 1_000;
const PER_PUSH: usize = 100;

fn office() -> OfficeCode {
    OfficeCode::parse("FS").unwrap()
}

fn user(client: ClientId) -> CurrentUser {
    let office_info = OfficeInfo {
        code: office(),
        name: "佛山分公司".into(),
        is_hq: false,
        utc_offset_minutes: 480,
        paper: Default::default(),
        notice_hour: 10,
        receipt_days: 7,
    };
    CurrentUser {
        actor: Actor { username: "fs_clerk".into(), role: Role::Clerk, office: office(), is_hq: false },
        info: UserInfo {
            username: "fs_clerk".into(),
            display_name: "x".into(),
            role: Role::Clerk,
            office: office_info,
        },
        client,
        device_no: 1,
        session: Default::default(),
    }
}

/// 2026-11-28 in China: the day of the order numbers.
const NOW_MS: u64 = 1_795_860_000_000;

fn orders(client_n: u128) -> Vec<Change> {
    let mut clock = Clock::new(7);
    (0..CHANGES)
        .map(|n| {
            let draft = OrderDraft::sample(n);
            let mut values = draft.validate().unwrap().to_values();
            values.insert("number".into(), json!(format!("FS-261128-01-{n:04}")));
            let id = RecordId(uuid::Uuid::from_u128((client_n << 64) | (n as u128 + 1)));
            let ts: Hlc = clock.tick(NOW_MS + n as u64);
            Change {
                id: ChangeId(uuid::Uuid::from_u128((client_n << 64) | (n as u128 + 1))),
                seq: n as u64 + 1,
                kind: Kind::ORDER,
                record: id,
                office: office(),
                ts,
                by: "fs_clerk".into(),
                set: RecordState::new(Kind::ORDER, id, office()).writes_for(&values),
                event: None,
            }
        })
        .collect()
}

/// The pushes of one device, as the server has them after parsing the requests.
fn pushes(round: u128) -> Vec<(CurrentUser, IncomingPush)> {
    let client = ClientId(uuid::Uuid::from_u128(round));
    let who = user(client);
    orders(round)
        .chunks(PER_PUSH)
        .map(|batch| {
            (
                who.clone(),
                IncomingPush::from(PushRequest {
                    protocol: PROTOCOL_VERSION,
                    client,
                    changes: batch.to_vec(),
                    pull: None,
                }),
            )
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
                (dir, state, pushes(round))
            },
            |(dir, state, pushes)| {
                state.db.with(|inner| {
                    for push in pushes.chunks(1) {
                        for result in
                            backend::sync::apply_pushes(inner, push).unwrap_or_else(|e| panic!("{}", e.message)).0
                        {
                            result.unwrap_or_else(|e| panic!("{}", e.message));
                        }
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
    // The same pushes through the same rules over a map in memory: how much of the push
    // path is the rules (validation, merge, serialisation) rather than SQLite.
    g.bench_function("push_rules_in_memory", |b| {
        b.iter_batched(
            || {
                round += 1;
                pushes(round)
            },
            |pushes| {
                let mut store = MemStore::default();
                let mut clock = Clock::new(1);
                for (who, req) in &pushes {
                    common::engine::push::process_push(
                        &mut store,
                        &common::desk::kinds::DeskRules::for_actor(&who.actor, who.device_no),
                        &who.author(),
                        req,
                        &mut clock,
                        NOW_MS,
                    )
                    .unwrap();
                }
                store
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

/// A store that keeps what the SQLite one keeps, serialised the same way, in memory.
#[derive(Default)]
struct MemStore {
    last: std::collections::HashMap<ClientId, u64>,
    records: std::collections::HashMap<(Kind, RecordId), String>,
    log: std::collections::HashMap<ChangeId, String>,
    unique: std::collections::HashMap<(Kind, String, String), RecordId>,
}

impl common::engine::push::Store for MemStore {
    type Error = std::convert::Infallible;
    fn last_seq(&mut self, client: ClientId) -> Result<u64, Self::Error> {
        Ok(self.last.get(&client).copied().unwrap_or(0))
    }
    fn set_last_seq(&mut self, client: ClientId, seq: u64) -> Result<(), Self::Error> {
        self.last.insert(client, seq);
        Ok(())
    }
    fn settled(
        &mut self,
        _: ClientId,
        _: u64,
        _: ChangeId,
    ) -> Result<Option<common::engine::wire::ChangeResult>, Self::Error> {
        Ok(None)
    }
    fn change_id_exists(&mut self, id: ChangeId) -> Result<bool, Self::Error> {
        Ok(self.log.contains_key(&id))
    }
    fn load(&mut self, kind: Kind, id: RecordId) -> Result<Option<RecordState>, Self::Error> {
        Ok(self.records.get(&(kind, id)).map(|t| serde_json::from_str(t).unwrap()))
    }
    fn save(&mut self, state: &RecordState) -> Result<(), Self::Error> {
        let text = serde_json::to_string(state).unwrap();
        let _ = common::engine::record::digest32_of_json(text.as_bytes());
        self.records.insert((state.kind, state.id), text);
        Ok(())
    }
    fn log(
        &mut self,
        _: ClientId,
        change: &PushedChange,
        r: &common::engine::wire::ChangeResult,
    ) -> Result<(), Self::Error> {
        if let PushedChange::Change(c) = change {
            self.log.insert(r.id, serde_json::to_string(c).unwrap());
        }
        Ok(())
    }
    fn unique_owner(&mut self, kind: Kind, field: &str, value: &str) -> Result<Option<RecordId>, Self::Error> {
        Ok(self.unique.get(&(kind, field.to_string(), value.to_string())).copied())
    }
    fn claim_unique(&mut self, kind: Kind, field: &str, value: &str, record: RecordId) -> Result<(), Self::Error> {
        self.unique.insert((kind, field.to_string(), value.to_string()), record);
        Ok(())
    }
}

criterion_group!(benches, ingest);
criterion_main!(benches);
