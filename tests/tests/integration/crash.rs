//! kill -9 in the middle of a storm of concurrent pushes: every push the server
//! acknowledged is stored, exactly once, and the rest arrive when clients retry.

use crate::helpers::*;
use common::engine::record::Change;
use common::engine::wire::Outcome;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

const DEVICES: usize = 30;
const ORDERS_PER_ROUND: usize = 12;
const ROUNDS: usize = 4;

/// Pushes `pending` a few at a time until done or the server is gone; returns what was acknowledged.
async fn push_until_dead(device: &mut Device, pending: &mut Vec<Change>, progress: &AtomicUsize) -> Vec<String> {
    let mut acked = Vec::new();
    while !pending.is_empty() {
        let batch: Vec<Change> = pending.iter().take(3).cloned().collect();
        let req = common::engine::wire::PushRequest {
            protocol: common::engine::wire::PROTOCOL_VERSION,
            client: device.client,
            changes: batch,
            pull: None,
        };
        let Ok(resp) = device
            .http
            .post(format!("{}/api/sync/push", device.base))
            .bearer_auth(device.token())
            .json(&req)
            .send()
            .await
        else {
            return acked;
        };
        let status = resp.status();
        let Ok(text) = resp.text().await else { return acked };
        let Ok(body) = serde_json::from_str::<common::engine::wire::PushResponse>(&text) else {
            // Cut off mid-answer by the kill; anything else is a server bug.
            assert!(status.is_success() || text.is_empty(), "push answered {status}: {text}");
            return acked;
        };
        for r in &body.results {
            assert_eq!(r.outcome, Outcome::Applied, "{r:?}");
            if let Some(pos) = pending.iter().position(|c| c.id == r.id) {
                acked.push(pending.remove(pos).set["number"].value.as_str().unwrap().to_string());
                progress.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    acked
}

async fn stored_numbers(base: &str) -> BTreeMap<String, usize> {
    let hq = login(base, "hq_admin").await;
    let mut counts = BTreeMap::new();
    for o in hq.orders().await {
        *counts.entry(o.get_str("number").to_string()).or_insert(0) += 1;
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_acknowledged_push_survives_kill_minus_nine_exactly_once() {
    let tmp = tempfile::tempdir().unwrap();
    let mut server = ServerProcess::start(free_port(), &tmp.path().join("data"), None).await;
    let base = server.base();
    let users = ["fs_clerk", "sz_clerk", "hq_clerk"];
    let mut devices = Vec::new();
    for i in 0..DEVICES {
        devices.push((login(&base, users[i % 3]).await, Vec::<Change>::new()));
    }
    let mut acked_all: BTreeSet<String> = BTreeSet::new();
    let mut made: BTreeSet<String> = BTreeSet::new();
    for round in 0..ROUNDS {
        for (device, pending) in devices.iter_mut() {
            for k in 0..ORDERS_PER_ROUND {
                let seq = (round * ORDERS_PER_ROUND + k + 1) as u32;
                made.insert(device.number(seq));
                pending.push(device.new_order(seq));
            }
        }
        let progress = Arc::new(AtomicUsize::new(0));
        let waiting: usize = devices.iter().map(|(_, p)| p.len()).sum();
        let tasks: Vec<_> = devices
            .drain(..)
            .map(|(mut d, mut p)| {
                let progress = progress.clone();
                tokio::spawn(async move {
                    let acked = push_until_dead(&mut d, &mut p, &progress).await;
                    (d, p, acked)
                })
            })
            .collect();
        // Let the storm build, then pull the plug part-way through: no shutdown, no flush.
        let cut = waiting * (2 + round) / 10;
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while progress.load(Ordering::Relaxed) < cut && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        server.kill();
        for t in tasks {
            let (d, p, acked) = t.await.unwrap();
            acked_all.extend(acked);
            devices.push((d, p));
        }
        server.restart().await;
        let stored = stored_numbers(&base).await;
        for n in &acked_all {
            assert_eq!(
                stored.get(n),
                Some(&1),
                "acknowledged order {n} must be stored exactly once after kill -9 (round {round})"
            );
        }
        assert!(stored.values().all(|c| *c == 1), "no order is stored twice");
    }
    assert!(
        !acked_all.is_empty() && acked_all.len() < made.len(),
        "the kills landed mid-storm ({} of {} acked)",
        acked_all.len(),
        made.len()
    );
    // Everyone retries what was never acknowledged, replaying changes the server may already have.
    for (device, pending) in devices.iter_mut() {
        let acked = push_until_dead(device, pending, &AtomicUsize::new(0)).await;
        assert!(pending.is_empty(), "server is up, everything goes through");
        acked_all.extend(acked);
    }
    let stored = stored_numbers(&base).await;
    assert_eq!(stored.keys().cloned().collect::<BTreeSet<_>>(), made, "every order arrived");
    assert!(stored.values().all(|c| *c == 1), "exactly once");
}
