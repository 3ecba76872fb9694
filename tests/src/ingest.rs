//! A branch's devices for the benchmarks: each logs in over HTTP, types realistic orders
//! (`crate::orders`) and pushes them, as the app would; `ingest` fills a server with
//! 10,000 of them from 20 devices at once.

use common::desk::account::LoginResponse;
use common::engine::hlc::Clock;
use common::engine::ids::{ChangeId, ClientId, RecordId};
use common::engine::record::{Change, Kind, RecordState};
use common::engine::wire::{PullResponse, PushRequest, PushResponse, PROTOCOL_VERSION};
use serde_json::json;
use std::time::Instant;

pub struct Dev {
    http: reqwest::Client,
    base: String,
    pub login: LoginResponse,
    client: ClientId,
    clock: Clock,
    seq: u64,
    n: u128,
    rng: crate::orders::Rng,
}

/// Device `n` of `user` (password `demo1234`), logged in.
pub async fn login(base: &str, user: &str, n: u128) -> Dev {
    let client = ClientId(uuid::Uuid::from_u128(0xB000_0000 + n));
    let http = reqwest::Client::new();
    let login: LoginResponse = http
        .post(format!("{base}/api/login"))
        .json(&json!({"username": user, "password": "demo1234", "client": client}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    Dev {
        http,
        base: base.into(),
        login,
        client,
        clock: Clock::new(0x7000 + n as u64),
        seq: 0,
        n,
        rng: crate::orders::Rng::new(n as u64),
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64
}

impl Dev {
    /// A new realistic order, the `k`th of this device.
    pub fn order(&mut self, k: usize) -> Change {
        let draft = crate::orders::realistic_order(&mut self.rng);
        let mut values = draft.validate().unwrap().to_values();
        values.insert("number".into(), json!(format!("FS-261128-{:02}-{:04}", self.n, k)));
        self.seq += 1;
        let id = RecordId(uuid::Uuid::from_u128((self.n << 96) | u128::from(self.seq)));
        let office = self.login.user.office.code.clone();
        Change {
            id: ChangeId(uuid::Uuid::from_u128((self.n << 96) | (1 << 64) | u128::from(self.seq))),
            seq: self.seq,
            kind: Kind::ORDER,
            record: id,
            office: office.clone(),
            ts: self.clock.tick(now_ms()),
            by: self.login.user.username.clone(),
            set: RecordState::new(Kind::ORDER, id, office).writes_for(&values),
            event: None,
        }
    }

    pub async fn push(&self, changes: Vec<Change>) -> PushResponse {
        let req = PushRequest { protocol: PROTOCOL_VERSION, client: self.client, changes, pull: None };
        let resp = self
            .http
            .post(format!("{}/api/sync/push", self.base))
            .bearer_auth(&self.login.token)
            .json(&req)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        resp.json().await.unwrap()
    }

    pub async fn pull(&self, cursor: u64, limit: u32) -> PullResponse {
        self.http
            .get(format!("{}/api/sync/pull?cursor={cursor}&limit={limit}", self.base))
            .bearer_auth(&self.login.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

/// `orders` realistic orders from `devices` branch clerks in parallel, pushes of 500; the
/// seconds it took.
pub async fn ingest(base: &str, orders: usize, devices: usize) -> f64 {
    let mut devs = Vec::new();
    for n in 0..devices {
        devs.push(login(base, "fs_clerk", n as u128 + 1).await);
    }
    let started = Instant::now();
    let tasks: Vec<_> = devs
        .into_iter()
        .map(|mut d| {
            tokio::spawn(async move {
                let changes: Vec<Change> = (0..orders / devices).map(|k| d.order(k)).collect();
                for batch in changes.chunks(500) {
                    d.push(batch.to_vec()).await;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    started.elapsed().as_secs_f64()
}
