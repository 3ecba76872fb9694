//! Starting servers and speaking the API the way a client does.

use common::desk::account::LoginResponse;
use common::desk::order::{LineDraft, OrderDraft};
use common::engine::hlc::Hlc;
use common::engine::ids::{ChangeId, ClientId, OfficeCode, RecordId};
use common::engine::record::{Change, Kind, RecordState};
use common::engine::wire::{PullResponse, PushRequest, PushResponse, PROTOCOL_VERSION};
use serde_json::Value;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};
pub use tests::process::{free_port, workspace_root, ServerProcess};

pub const PASSWORD: &str = backend::demo::DEMO_PASSWORD;

pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64
}

static COUNTER: AtomicU64 = AtomicU64::new(1);

/// Distinct ids across the whole test binary (tests run in parallel).
pub fn random10() -> [u8; 10] {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let t = now_ms();
    // UUIDv7 keeps 12 bits of bytes 0..2 and 62 of bytes 2..10: the counter goes last,
    // big-endian, where every bit of it survives.
    let mut b = [0u8; 10];
    b[0] = std::process::id() as u8;
    b[1] = t as u8;
    b[2..].copy_from_slice(&n.to_be_bytes());
    b
}

pub fn new_client() -> ClientId {
    ClientId::new_v7(now_ms(), random10())
}

/// A server started in this process on a loopback port, over a fresh SQLite file.
pub struct TestApp {
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    _dir: tempfile::TempDir,
}

pub async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    spawn_app_in(dir).await
}

pub async fn spawn_app_in(dir: tempfile::TempDir) -> TestApp {
    spawn_app_with(dir, backend::http::Limits::default()).await
}

/// A server with other connection limits (short timeouts, small caps).
pub async fn spawn_app_with(dir: tempfile::TempDir, limits: backend::http::Limits) -> TestApp {
    let state = backend::open_state(dir.path(), None, true).unwrap_or_else(|e| panic!("{}", e.message));
    serve_state(dir, state, limits).await
}

/// A server over an empty database: no demo data, nobody to log in as.
pub async fn spawn_empty_app() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let state = backend::open_state(dir.path(), None, false).unwrap_or_else(|e| panic!("{}", e.message));
    serve_state(dir, state, backend::http::Limits::default()).await
}

/// A server that believes `X-Forwarded-For` from these reverse proxies.
pub async fn spawn_trusting_app(proxies: Vec<std::net::IpAddr>) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut state = backend::open_state(dir.path(), None, true).unwrap_or_else(|e| panic!("{}", e.message));
    state.trusted_proxies = std::sync::Arc::new(proxies);
    serve_state(dir, state, backend::http::Limits::default()).await
}

async fn serve_state(dir: tempfile::TempDir, state: backend::AppState, limits: backend::http::Limits) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(
        async move { backend::http::serve(listener, backend::app(state), limits, std::future::pending()).await },
    );
    TestApp { addr, http: reqwest::Client::new(), _dir: dir }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

/// A logged-in device: a user, a client id, and its next change seq.
pub struct Device {
    pub base: String,
    pub http: reqwest::Client,
    pub login: LoginResponse,
    pub client: ClientId,
    pub next_seq: u64,
    pub clock: common::engine::hlc::Clock,
}

pub async fn login(base: &str, username: &str) -> Device {
    let client = new_client();
    let http = reqwest::Client::new();
    let resp = http
        .post(format!("{base}/api/login"))
        .json(&serde_json::json!({"username": username, "password": PASSWORD, "client": client}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "log-in of {username}");
    let login: LoginResponse = resp.json().await.unwrap();
    let node = u64::from_le_bytes(random10()[..8].try_into().unwrap());
    Device { base: base.to_string(), http, login, client, next_seq: 1, clock: common::engine::hlc::Clock::new(node) }
}

pub fn office(code: &str) -> OfficeCode {
    OfficeCode::parse(code).unwrap()
}

pub fn order_values(number: &str, customer: &str, qty: u32) -> BTreeMap<String, Value> {
    let draft = OrderDraft {
        customer_name: customer.into(),
        phone: "0757-1234 5678".into(),
        payment: "monthly".into(),
        lines: vec![LineDraft {
            model: "AJ-8801".into(),
            name: "面盆龙头".into(),
            quantity: qty.to_string(),
            unit: "个".into(),
            unit_price: "128.00".into(),
            ..Default::default()
        }],
        ..Default::default()
    };
    let mut values = draft.validate().unwrap().to_values();
    values.insert("number".into(), Value::String(number.into()));
    values
}

impl Device {
    pub fn token(&self) -> &str {
        &self.login.token
    }

    pub fn office(&self) -> OfficeCode {
        self.login.user.office.code.clone()
    }

    /// A change setting `values` on a record, as a client that saw `base` would make it.
    pub fn change(
        &mut self,
        kind: Kind,
        id: RecordId,
        office: &OfficeCode,
        base: Option<&RecordState>,
        values: BTreeMap<String, Value>,
    ) -> Change {
        let set = match base {
            Some(b) => b.writes_for(&values),
            None => RecordState::new(kind, id, office.clone()).writes_for(&values),
        };
        let ts: Hlc = self.clock.tick(now_ms());
        let seq = self.next_seq;
        self.next_seq += 1;
        Change {
            id: ChangeId::new_v7(now_ms(), random10()),
            seq,
            kind,
            record: id,
            office: office.clone(),
            ts,
            by: self.login.user.username.clone(),
            set,
            event: None,
        }
    }

    /// This device's order number `seq` of today: its office, today in the office's zone,
    /// its device number.
    pub fn number(&self, seq: u32) -> String {
        let today = common::desk::time::local_date(now_ms(), self.login.user.office.utc_offset_minutes);
        format!("{}-{}-{:02}-{seq:03}", self.office(), today.compact(), self.login.device_no)
    }

    /// A new order numbered `seq` (see [`Device::number`]).
    pub fn new_order(&mut self, seq: u32) -> Change {
        let id = RecordId::new_v7(now_ms(), random10());
        let office = self.office();
        let number = self.number(seq);
        self.change(Kind::ORDER, id, &office, None, order_values(&number, "美居建材", 3))
    }

    pub async fn push_raw(&self, body: &PushRequest) -> reqwest::Response {
        self.http
            .post(format!("{}/api/sync/push", self.base))
            .bearer_auth(self.token())
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn push(&self, changes: Vec<Change>) -> PushResponse {
        let resp =
            self.push_raw(&PushRequest { protocol: PROTOCOL_VERSION, client: self.client, changes, pull: None }).await;
        let status = resp.status();
        let text = resp.text().await.unwrap();
        assert!(status == 200 || status == 409, "push answered {status}: {text}");
        serde_json::from_str(&text).unwrap()
    }

    /// Everything this device may see, following every page.
    pub async fn pull_all(&self) -> Vec<RecordState> {
        let mut cursor = 0;
        let mut out = Vec::new();
        loop {
            let page = self.pull_page(cursor, 100).await;
            out.extend(page.records);
            cursor = page.cursor;
            if !page.more {
                return out;
            }
        }
    }

    /// One page of a pull.
    pub async fn pull_page(&self, cursor: u64, limit: u32) -> PullResponse {
        let url = format!("{}/api/sync/pull?cursor={cursor}&limit={limit}", self.base);
        self.http.get(url).bearer_auth(self.token()).send().await.unwrap().json().await.unwrap()
    }

    pub async fn orders(&self) -> Vec<RecordState> {
        self.pull_all().await.into_iter().filter(|r| r.kind == Kind::ORDER).collect()
    }

    /// One order as the server holds it now.
    pub async fn order(&self, id: RecordId) -> RecordState {
        self.orders().await.into_iter().find(|r| r.id == id).unwrap_or_else(|| panic!("order {id} not on the server"))
    }
}

/// `who` takes `action` on the order as the server holds it now; the refusal code, if any.
pub async fn step_as(base: &str, who: &str, id: RecordId, action: common::desk::order::Action) -> Option<String> {
    let mut d = login(base, who).await;
    let seen = d.order(id).await;
    let mut c = d.change(Kind::ORDER, id, &seen.office, Some(&seen), BTreeMap::new());
    c.event = Some(action.to_write(Some(&seen)));
    d.push(vec![c]).await.results.remove(0).code
}

/// GET `/api/sync/records` as `device`: the status and the JSON answer.
pub async fn fetch(device: &Device, query: &str) -> (u16, serde_json::Value) {
    let resp = device
        .http
        .get(format!("{}/api/sync/records?{query}", device.base))
        .bearer_auth(device.token())
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

pub fn fetched_numbers(body: &serde_json::Value) -> Vec<String> {
    let records: Vec<RecordState> = serde_json::from_value(body["records"].clone()).unwrap();
    let mut v: Vec<String> = records.iter().map(|r| r.get_str("number").to_string()).collect();
    v.sort();
    v
}

pub fn urlencode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}
