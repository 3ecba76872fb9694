//! Merge-engine throughput: applying pushed changes to records, and folding whole record
//! states together (what a pull does). Reported in docs/benchmarks.md by `cargo xtask bench`.

use common::desk::order::OrderDraft;
use common::engine::hlc::Hlc;
use common::engine::ids::{ChangeId, OfficeCode, RecordId};
use common::engine::record::{Change, Kind, RecordState};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use serde_json::{json, Value};
use std::collections::BTreeMap;

const N: u64 = 1_000;

fn order_values(n: u64) -> BTreeMap<String, Value> {
    let draft = OrderDraft::sample(n as usize);
    let mut v = draft.validate().unwrap().to_values();
    v.insert("number".into(), json!(format!("FS-261128-01-{n:03}")));
    v
}

/// `N` orders created, then each edited once by another office: 2N changes.
fn changes() -> Vec<Change> {
    let office = OfficeCode::parse("FS").unwrap();
    let mut out = Vec::new();
    for n in 0..N {
        let id = RecordId(uuid::Uuid::from_u128(u128::from(n) + 1));
        let empty = RecordState::new(Kind::ORDER, id, office.clone());
        let create = Change {
            id: ChangeId(uuid::Uuid::from_u128(u128::from(n) << 1 | 1)),
            seq: n + 1,
            kind: Kind::ORDER,
            record: id,
            office: office.clone(),
            ts: Hlc { wall_ms: 1_000 + n, counter: 0, node: 1 },
            by: "fs_clerk".into(),
            set: empty.writes_for(&order_values(n)),
            event: None,
        };
        let created = RecordState::from_change(&create);
        let mut edit_values = BTreeMap::new();
        edit_values.insert("notes".to_string(), json!("先打电话再送"));
        edit_values.insert("phone".to_string(), json!("139 0000 0000"));
        let edit = Change {
            id: ChangeId(uuid::Uuid::from_u128(u128::from(n) << 1)),
            seq: n + 1,
            ts: Hlc { wall_ms: 5_000 + n, counter: 0, node: 2 },
            by: "hq_clerk".into(),
            set: created.writes_for(&edit_values),
            ..create.clone()
        };
        out.push(create);
        out.push(edit);
    }
    out
}

fn apply_changes(c: &mut Criterion) {
    let changes = changes();
    let mut g = c.benchmark_group("merge");
    g.throughput(Throughput::Elements(changes.len() as u64));
    g.bench_function("apply_changes", |b| {
        b.iter(|| {
            let mut records: BTreeMap<RecordId, RecordState> = BTreeMap::new();
            for ch in &changes {
                match records.get_mut(&ch.record) {
                    Some(s) => s.apply(ch).unwrap(),
                    None => {
                        records.insert(ch.record, RecordState::from_change(ch));
                    }
                }
            }
            records
        })
    });
    // Two replicas each holding every record, one side behind: fold one into the other.
    let mut ahead: Vec<RecordState> = Vec::new();
    let mut behind: Vec<RecordState> = Vec::new();
    for pair in changes.chunks(2) {
        let created = RecordState::from_change(&pair[0]);
        let mut edited = created.clone();
        edited.apply(&pair[1]).unwrap();
        behind.push(created);
        ahead.push(edited);
    }
    g.throughput(Throughput::Elements(ahead.len() as u64));
    g.bench_function("merge_states", |b| {
        b.iter_batched(
            || behind.clone(),
            |mut mine| {
                for (m, theirs) in mine.iter_mut().zip(&ahead) {
                    m.merge(theirs).unwrap();
                }
                mine
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

/// Packing records (what the server sends a device reading packed records, and what a
/// device stores) and unpacking them again.
fn pack_records(c: &mut Criterion) {
    let texts: Vec<String> =
        changes().iter().step_by(2).map(|ch| RecordState::from_change(ch).canonical_json()).collect();
    let packed: Vec<String> = texts.iter().map(|t| common::engine::packed::pack(t.as_bytes())).collect();
    let mut g = c.benchmark_group("merge");
    g.throughput(Throughput::Elements(texts.len() as u64));
    g.bench_function("pack_records", |b| {
        b.iter(|| texts.iter().map(|t| common::engine::packed::pack(t.as_bytes()).len()).sum::<usize>())
    });
    g.bench_function("unpack_records", |b| {
        b.iter(|| packed.iter().map(|p| common::engine::packed::unpack(p).map_or(0, |t| t.len())).sum::<usize>())
    });
    g.finish();
}

criterion_group!(benches, apply_changes, pack_records);
criterion_main!(benches);
