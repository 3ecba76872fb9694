//! Round trips with 100 clients syncing at once, against the release server on loopback,
//! without a browser: 10,000 orders ingested first, then each client pushes one change,
//! asking for the pull's first page in the push's answer as the app does, and pulls on
//! while the page says more, in a loop. Prints `RESULT name value` lines for `cargo xtask bench`:
//! the round trip's p50 and p99, and the server's CPU time per round trip (user + system,
//! from /proc on Linux).

use common::desk::account::LoginResponse;
use common::desk::order::OrderDraft;
use common::engine::hlc::Clock;
use common::engine::ids::{ChangeId, ClientId, RecordId};
use common::engine::record::{Change, Kind, RecordState};
use common::engine::wire::{Outcome, PullAsk, PushRequest, PushResponse, PACKED_RECORDS, PROTOCOL_VERSION};
use serde_json::json;
use std::time::Instant;
use tests::process::{free_port, ServerProcess};

// The 100 devices share the machine's two cores with the server: simulated with the
// server's allocator, they take less of the processor the server is measured on.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ORDERS: usize = 10_000;
const DEVICES: usize = 20;
const CLIENTS: usize = 100;
// Two hundred each (20,000 in all, the store growing from 10,000 orders to 30,000): the
// machine's speed drifts within seconds, and a longer run shows less of one moment (the
// p50 of each third of the run is reported beside it); and a store past the writer's
// page cache (64 MB) is measured too, where a cache shared by all connections made the
// writer read the same pages from the file again for every push (2026-12-07).
const ROUND_TRIPS: usize = 200;

struct Dev {
    http: reqwest::Client,
    base: String,
    login: LoginResponse,
    client: ClientId,
    clock: Clock,
    seq: u64,
    n: u128,
}

async fn login(base: &str, user: &str, n: u128) -> Dev {
    let client = ClientId(uuid::Uuid::from_u128(0xB000_0000 + n));
    // Each device from its own loopback address, as devices in the branches are: the
    // server caps connections per address (96) below the 100 clients here.
    let from = std::net::Ipv4Addr::new(127, 0, 1 + (n / 250) as u8, 1 + (n % 250) as u8);
    // The server closes a connection idle for 10 s: a device does not reuse one that old.
    let http = reqwest::Client::builder()
        .local_address(std::net::IpAddr::V4(from))
        .pool_idle_timeout(std::time::Duration::from_secs(5))
        .build()
        .unwrap();
    let login: LoginResponse = http
        .post(format!("{base}/api/login"))
        .json(&json!({"username": user, "password": "demo1234", "client": client}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    Dev { http, base: base.into(), login, client, clock: Clock::new(0x7000 + n as u64), seq: 0, n }
}

/// Records packed, as the app reads them (BENCH_UNPACKED: whole states, as before
/// 2026-12-07, to compare).
fn packed() -> &'static str {
    if std::env::var("BENCH_UNPACKED").is_ok() {
        "no"
    } else {
        PACKED_RECORDS.1
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64
}

impl Dev {
    fn order(&mut self, k: usize) -> Change {
        let draft = OrderDraft::sample(k);
        let mut values = draft.validate().unwrap().to_values();
        values.insert(
            "number".into(),
            json!(format!("{}-261128-{:02}-{:04}", self.login.user.office.code, self.login.device_no, k)),
        );
        self.seq += 1;
        // Time-ordered ids, as the app makes them (UUIDv7): new records go to the end of the
        // store's indexes, not to a hundred places in them.
        let unique = |tag: u8| {
            let mut r = [0u8; 10];
            r[..2].copy_from_slice(&(self.n as u16).to_be_bytes());
            r[2] = tag;
            r[3..].copy_from_slice(&self.seq.to_be_bytes()[1..]);
            r
        };
        let id = RecordId::new_v7(now_ms(), unique(0));
        let office = self.login.user.office.code.clone();
        Change {
            id: ChangeId::new_v7(now_ms(), unique(1)),
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

    /// `req` sent; it must be answered 200.
    async fn send(&self, req: &PushRequest) -> reqwest::Response {
        let resp = self
            .http
            .post(format!("{}/api/sync/push", self.base))
            .bearer_auth(&self.login.token)
            .header(PACKED_RECORDS.0, packed())
            .json(req)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        resp
    }

    async fn push(&self, changes: Vec<Change>) -> PushResponse {
        let req = PushRequest { protocol: PROTOCOL_VERSION, client: self.client, changes, pull: None };
        let resp: PushResponse = self.send(&req).await.json().await.unwrap();
        if let Some(r) = resp.results.iter().find(|r| r.outcome != Outcome::Applied) {
            panic!("a change was refused: {r:?}");
        }
        resp
    }

    /// One change pushed with the pull asked for in the same request, as the app syncs:
    /// the first page comes in the push's answer.
    async fn push_asking(&self, change: Change, cursor: u64) -> Option<Page> {
        let req = PushRequest {
            protocol: PROTOCOL_VERSION,
            client: self.client,
            changes: vec![change],
            // BENCH_SEPARATE_PULL: the push alone, then the pull (as before 2026-12-06), to compare.
            pull: std::env::var("BENCH_SEPARATE_PULL").is_err().then_some(PullAsk { cursor, pending: 0 }),
        };
        let answer: PushAnswer = self.send(&req).await.json().await.unwrap();
        assert!(answer.results.iter().all(|r| r.outcome == Outcome::Applied), "a change was refused");
        answer.page
    }

    async fn pull(&self, cursor: u64, limit: u32) -> Page {
        let resp = self
            .http
            .get(format!("{}/api/sync/pull?cursor={cursor}&limit={limit}", self.base))
            .bearer_auth(&self.login.token)
            .header(PACKED_RECORDS.0, packed())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        resp.json().await.unwrap()
    }

    /// Pulls until nothing more is waiting: the new cursor, and how many records came.
    async fn pull_to_end(&self, mut cursor: u64) -> (u64, usize) {
        let mut records = 0;
        loop {
            let page = self.pull(cursor, 500).await;
            records += page.records.len();
            cursor = page.cursor;
            if !page.more {
                return (cursor, records);
            }
        }
    }
}

/// What the benchmark reads of a push's answer that carries a pull page.
#[derive(serde::Deserialize)]
struct PushAnswer {
    results: Vec<common::engine::wire::ChangeResult>,
    page: Option<Page>,
}

/// What the benchmark reads of a pull: the records are counted, not kept (a device would
/// merge them, on its own processor; here its work would take the server's).
#[derive(serde::Deserialize)]
struct Page {
    records: Vec<serde::de::IgnoredAny>,
    cursor: u64,
    more: bool,
}

fn percentile(v: &mut [f64], q: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() - 1) as f64 * q).round() as usize]
}

/// A process's CPU time so far (user + system), in clock ticks of 10 ms, from /proc.
fn cpu_ticks(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The name (field 2) may hold spaces: count from the closing parenthesis.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// How many read calls a process has made so far (`syscr` in /proc: read, pread and the
/// like; not a socket's recv): a server whose page cache holds what pushes touch makes
/// about one per push, the checkpointer's.
fn read_calls(pid: &str) -> Option<u64> {
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).ok()?;
    io.lines().find_map(|l| l.strip_prefix("syscr:")).and_then(|v| v.trim().parse().ok())
}

#[tokio::main]
async fn main() {
    let dist = std::env::var("SALESDESK_DIST").ok();
    let tmp = tempfile::tempdir().unwrap();
    let server =
        ServerProcess::start(free_port(), &tmp.path().join("data"), dist.as_deref().map(std::path::Path::new)).await;
    let base = server.base();
    let pid = server.pid().to_string();

    // Ingest: 10,000 orders from 20 devices, pushes of 500, devices in parallel.
    let mut devs = Vec::new();
    for n in 0..DEVICES {
        devs.push(login(&base, "fs_clerk", n as u128 + 1).await);
    }
    let tasks: Vec<_> = devs
        .into_iter()
        .map(|mut d| {
            tokio::spawn(async move {
                let per = ORDERS / DEVICES;
                let changes: Vec<Change> = (0..per).map(|k| d.order(k)).collect();
                for batch in changes.chunks(500) {
                    d.push(batch.to_vec()).await;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }

    // 100 clients syncing at once: each round trip is a push of one change that brings the pull's page.
    // A person keeps at most 20 sessions: ten devices each for twelve clerks, four per office.
    let admin = login(&base, "hq_admin", 1999).await;
    for office in ["fs", "sz", "hq"] {
        for u in 0..CLIENTS.div_ceil(30) {
            let new = json!({"username": format!("{office}_bench{u}"), "display_name": format!("{office} bench {u}"),
                "role": "clerk", "office": office.to_uppercase(), "password": "demo1234"});
            let resp = admin.http.post(format!("{base}/api/admin/users")).bearer_auth(&admin.login.token).json(&new);
            assert_eq!(resp.send().await.unwrap().status(), 201);
        }
    }
    let mut clients = Vec::new();
    for n in 0..CLIENTS {
        let user = format!("{}_bench{}", ["fs", "sz", "hq"][n % 3], n / 30);
        clients.push(login(&base, &user, 2000 + n as u128).await);
    }
    // Every device starts up to date, so each round trip carries what the others pushed.
    let mut cursors = Vec::new();
    for d in &clients {
        cursors.push(d.pull_to_end(0).await.0);
    }
    let (server_before, client_before, reads_before) = (cpu_ticks(&pid), cpu_ticks("self"), read_calls(&pid));
    eprintln!("round trips start (server {pid})");
    let started = Instant::now();
    // More for profiling: BENCH_ROUND_TRIPS.
    let round_trips = std::env::var("BENCH_ROUND_TRIPS").ok().and_then(|n| n.parse().ok()).unwrap_or(ROUND_TRIPS);
    let tasks: Vec<_> = clients
        .into_iter()
        .zip(cursors)
        .map(|(mut d, mut cursor)| {
            tokio::spawn(async move {
                let (mut times, mut pulled) = (Vec::new(), 0);
                for k in 0..round_trips {
                    let c = d.order(5_000 + k);
                    let t = Instant::now();
                    let page = d.push_asking(c, cursor).await;
                    let pushed = t.elapsed().as_secs_f64() * 1000.0;
                    let (next, n) = match page {
                        Some(p) if !p.more => (p.cursor, p.records.len()),
                        Some(p) => {
                            let (next, n) = d.pull_to_end(p.cursor).await;
                            (next, n + p.records.len())
                        }
                        None => d.pull_to_end(cursor).await,
                    };
                    times.push((t.elapsed().as_secs_f64() * 1000.0, pushed));
                    pulled += n;
                    cursor = next;
                }
                (times, pulled)
            })
        })
        .collect();
    let (mut all, mut pushes, mut pulled) = (Vec::new(), Vec::new(), 0);
    let mut thirds = [Vec::new(), Vec::new(), Vec::new()];
    for t in tasks {
        let (times, n) = t.await.unwrap();
        all.extend(times.iter().map(|t| t.0));
        pushes.extend(times.iter().map(|t| t.1));
        for (k, t) in times.iter().enumerate() {
            thirds[(k * 3 / times.len()).min(2)].push(t.0);
        }
        pulled += n;
    }
    let mut by_third: Vec<f64> = thirds.iter_mut().map(|t| percentile(t, 0.5)).collect();
    by_third.sort_by(|a, b| a.total_cmp(b));
    let wall = started.elapsed().as_secs_f64();
    let trips = all.len() as f64;
    println!("RESULT concurrent_round_trip_p50_ms {:.1}", percentile(&mut all, 0.5));
    println!("RESULT concurrent_round_trip_p99_ms {:.1}", percentile(&mut all, 0.99));
    println!("RESULT concurrent_round_trip_p50_thirds_ms {:.1}–{:.1}", by_third[0], by_third[2]);
    println!("RESULT concurrent_push_p50_ms {:.1}", percentile(&mut pushes, 0.5));
    println!("RESULT concurrent_round_trips_per_s {:.0}", trips / wall);
    println!("RESULT concurrent_records_per_pull {:.1}", pulled as f64 / trips);
    // Clock ticks are 10 ms on Linux (USER_HZ = 100).
    if let (Some(a), Some(b)) = (server_before, cpu_ticks(&pid)) {
        println!("RESULT concurrent_server_cpu_ms_per_round_trip {:.2}", (b - a) as f64 * 10.0 / trips);
    }
    if let (Some(a), Some(b)) = (reads_before, read_calls(&pid)) {
        println!("RESULT concurrent_server_file_reads_per_round_trip {:.1}", (b - a) as f64 / trips);
    }
    if let (Some(a), Some(b)) = (client_before, cpu_ticks("self")) {
        println!("RESULT concurrent_bench_client_cpu_ms_per_round_trip {:.2}", (b - a) as f64 * 10.0 / trips);
    }
}
