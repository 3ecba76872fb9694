//! Running the server: backup while devices push, restore, and devices sending back what
//! the restored store lost; `check` finding a damaged record, which is then not served.

use crate::helpers::*;
use common::engine::ids::RecordId;
use common::engine::record::Kind;
use common::engine::replica::Replica;
use common::engine::wire::{PushResponse, RecoverResponse, MAX_RECOVER_RECORDS};
use serde_json::json;
use std::collections::BTreeSet;
use std::path::Path;

/// A device that syncs the way the app does: the common replica, over HTTP.
struct Phone {
    d: Device,
    replica: Replica,
    made: u32,
}

impl Phone {
    async fn login(base: &str, user: &str) -> Phone {
        let d = login(base, user).await;
        let node = u64::from_le_bytes(random10()[..8].try_into().unwrap());
        Phone { replica: Replica::new(d.client, node), d, made: 0 }
    }

    /// A new order; returns its number.
    fn new_order(&mut self) -> (RecordId, String) {
        self.made += 1;
        let number = self.d.number(self.made);
        let id = RecordId::new_v7(now_ms(), random10());
        let values = order_values(&number, "美居建材", 2);
        let by = self.d.login.user.username.clone();
        self.replica.edit(Kind::ORDER, id, &self.d.office(), &values, None, &by, now_ms(), random10()).unwrap();
        (id, number)
    }

    fn set_notes(&mut self, id: RecordId, notes: &str) {
        let office = self.replica.get(Kind::ORDER, id).unwrap().office.clone();
        let by = self.d.login.user.username.clone();
        let values = [("notes".to_string(), json!(notes))].into();
        self.replica.edit(Kind::ORDER, id, &office, &values, None, &by, now_ms(), random10()).unwrap();
    }

    /// Push everything, pull everything; after a restore, send back what we hold first.
    async fn sync(&mut self) {
        for _ in 0..3 {
            match self.round().await {
                None => return,
                Some(store) => self.recover(&store).await,
            }
        }
        panic!("the store kept changing");
    }

    /// One round; `Some(store)` if the server's store is not the one we know.
    async fn round(&mut self) -> Option<String> {
        self.replica.assign_seqs();
        while let Some(req) = self.replica.push_request(100) {
            let resp = self.d.push_raw(&req).await;
            let status = resp.status();
            let text = resp.text().await.unwrap();
            assert!(status == 200 || status == 409, "push answered {status}: {text}");
            let resp: PushResponse = serde_json::from_str(&text).unwrap();
            self.replica.adopt_store(resp.store.as_deref());
            if let Some(store) = self.replica.store_changed(resp.store.as_deref()) {
                return Some(store);
            }
            assert_eq!(resp.gap, None);
            let fx = self.replica.on_push(&resp, now_ms());
            assert!(fx.newly_refused.is_empty(), "{:?}", fx.newly_refused);
        }
        loop {
            let page = self.d.pull_page(self.replica.meta.cursor, 100).await;
            self.replica.adopt_store(page.store.as_deref());
            if let Some(store) = self.replica.store_changed(page.store.as_deref()) {
                return Some(store);
            }
            self.replica.on_pull(&page, now_ms());
            if !page.more {
                assert_eq!(page.digest, Some(self.replica.scope_digest()), "the device differs from the server");
                return None;
            }
        }
    }

    async fn recover(&mut self, store: &str) {
        for req in self.replica.recovery_requests(store, MAX_RECOVER_RECORDS) {
            let resp = self
                .d
                .http
                .post(format!("{}/api/sync/recover", self.d.base))
                .bearer_auth(self.d.token())
                .json(&req)
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 200);
            let body: RecoverResponse = resp.json().await.unwrap();
            assert!(body.refused.is_empty(), "{:?}", body.refused);
        }
        self.replica.recovered(store);
    }
}

pub(crate) fn salesdesk(args: &[&str], data: &Path) -> std::process::Output {
    let out = std::process::Command::new(tests::process::salesdesk_bin())
        .args(args)
        .arg("--data")
        .arg(data)
        .output()
        .unwrap();
    out
}

/// Every order number, and each order's notes, as a fresh head-office log-in sees them.
async fn server_orders(base: &str) -> BTreeSet<(String, String)> {
    let hq = login(base, "hq_admin").await;
    hq.orders().await.iter().map(|o| (o.get_str("number").to_string(), o.get_str("notes").to_string())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_restore_from_backup_devices_send_back_every_change_the_server_had_lost() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let backup_file = tmp.path().join("backup.sqlite");
    let mut server = ServerProcess::start(free_port(), &data, None).await;
    let base = server.base();
    let mut gz = Phone::login(&base, "sz_clerk").await;
    let mut fs = Phone::login(&base, "fs_clerk").await;
    let mut hq = Phone::login(&base, "hq_admin").await;
    let (first, _) = gz.new_order();
    gz.new_order();
    fs.new_order();
    gz.sync().await;
    fs.sync().await;

    // A backup taken while a device keeps pushing.
    let backing_up = {
        let data = data.clone();
        let file = backup_file.clone();
        tokio::task::spawn_blocking(move || salesdesk(&["backup", file.to_str().unwrap()], &data))
    };
    let mut pushed = 0;
    while pushed < 3 || !backing_up.is_finished() {
        gz.new_order();
        gz.sync().await;
        pushed += 1;
    }
    let out = backing_up.await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // More after the backup: new orders, and head office's edit of one made before.
    fs.new_order();
    fs.sync().await;
    gz.new_order();
    gz.sync().await;
    hq.sync().await;
    hq.set_notes(first, "加急,周五前发");
    hq.sync().await;
    gz.sync().await;
    let before = server_orders(&base).await;
    assert!(before.iter().any(|(_, notes)| notes == "加急,周五前发"));

    server.kill();
    let out = salesdesk(&["restore", backup_file.to_str().unwrap()], &data);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    server.restart().await;
    let lost = server_orders(&base).await;
    assert!(lost.len() < before.len() && lost != before, "the restore lost nothing: the test proves nothing");

    // Each device notices the new store on its next sync and sends back what it holds.
    for phone in [&mut gz, &mut fs, &mut hq] {
        phone.sync().await;
    }
    assert_eq!(server_orders(&base).await, before, "every acknowledged change is back");
    // And work carries on: new orders get numbers nobody used, nothing is refused.
    gz.new_order();
    gz.sync().await;
    fs.sync().await;
    assert_eq!(server_orders(&base).await.len(), before.len() + 1);
    let check = salesdesk(&["check"], &data);
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stdout));
}

#[tokio::test]
async fn check_finds_a_flipped_bit_in_a_stored_order_which_is_then_not_served() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut server = ServerProcess::start(free_port(), &data, None).await;
    let base = server.base();
    let mut gz = login(&base, "sz_clerk").await;
    let mut damaged = gz.new_order(1);
    damaged.set.get_mut("notes").unwrap().value = json!("ZZQX-notes-to-damage");
    let kept = gz.new_order(2);
    let damaged_id = damaged.record;
    gz.push(vec![damaged, kept.clone()]).await;
    let hq = login(&base, "hq_admin").await;
    let digest_before = hq.pull_page(0, 1000).await.digest.unwrap();
    server.kill();

    // One bit flipped on disk, inside the notes: SQLite's own check does not see it.
    {
        let conn = rusqlite::Connection::open(backend::ops::db_path(&data)).unwrap();
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).unwrap();
    }
    let path = backend::ops::db_path(&data);
    let mut bytes = std::fs::read(&path).unwrap();
    // Every copy: the record, and the change log's copy of the change that wrote it.
    let at: Vec<usize> = bytes.windows(4).enumerate().filter(|(_, w)| *w == b"ZZQX").map(|(i, _)| i).collect();
    assert!(!at.is_empty(), "the notes are in the file");
    for i in at {
        bytes[i + 2] ^= 0x01; // 'Q' becomes 'P'
    }
    std::fs::write(&path, bytes).unwrap();

    let out = salesdesk(&["check"], &data);
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "check passed a damaged record: {report}");
    assert!(report.contains(&damaged_id.to_string()), "check does not name the record: {report}");
    assert!(report.contains("integrity: ok"), "{report}");

    server.restart().await;
    let hq = login(&base, "hq_admin").await;
    let page = hq.pull_page(0, 1000).await;
    let ids: Vec<RecordId> = page.records.iter().map(|r| r.id).collect();
    assert!(!ids.contains(&damaged_id), "the damaged order was served as data");
    assert!(ids.contains(&kept.record));
    assert!(!page.records.iter().any(|r| r.get_str("notes").contains("ZZPX")));
    // The digest counts what is served, so devices do not pull everything again and again.
    let served = common::engine::wire::ScopeDigest::of(page.records.iter());
    assert_eq!(page.digest, Some(served));
    assert_eq!(served.count + 1, digest_before.count);
    // A change to it is not merged onto the damage: it waits on the device.
    let mut gz = login(&base, "sz_clerk").await;
    gz.next_seq = 1;
    let office = gz.office();
    let edit = gz.change(Kind::ORDER, damaged_id, &office, None, [("notes".to_string(), json!("x"))].into());
    let resp = gz
        .push_raw(&common::engine::wire::PushRequest {
            protocol: common::engine::wire::PROTOCOL_VERSION,
            client: gz.client,
            changes: vec![edit],
            pull: None,
        })
        .await;
    assert_eq!(resp.status(), 503);
    let log = std::fs::read_to_string(data.join("server.log")).unwrap();
    assert!(log.contains("damaged") && log.contains(&damaged_id.to_string()), "no log line names it");
}
