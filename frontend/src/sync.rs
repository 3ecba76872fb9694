//! Talking to the server: log-in, and the sync loop that pushes the outbox and pulls
//! what changed, by itself, whenever the server can be reached.

use crate::state::{now_ms, Ctx, SyncState};
use crate::storage::{self, SaveError};
use common::desk::account::{LoginRequest, LoginResponse};
use common::engine::ids::ClientId;
use common::engine::wire::{ErrorBody, PushResponse, ScopeDigest, MAX_PULL_LIMIT, PACKED_RECORDS};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::cell::Cell;

/// Changes per push: small enough to stay far below the server's body limit.
const PUSH_BATCH: usize = 100;

pub fn origin() -> String {
    web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default()
}

#[derive(Debug)]
pub enum SyncError {
    /// The server could not be reached.
    Offline,
    /// The session is no longer accepted.
    Auth,
    /// The server answered with an error (English, Chinese).
    Server(String, String),
    Storage(SaveError),
    /// The server's store is not the one this device's records came from (it was restored
    /// from a backup): send them back first.
    StoreChanged(String),
}

/// An answer's JSON body. Read as text and parsed from `&str` rather than with
/// `Response::json` (which parses bytes): every reader in the app is then compiled for
/// one kind of input, not two (a sixth of the app's JSON code, docs/benchmarks.md).
pub async fn read_json<T: serde::de::DeserializeOwned>(resp: reqwest::Response) -> Result<T, String> {
    let text = resp.text().await.map_err(|e| e.to_string())?;
    serde_json::from_str(&text).map_err(|e| e.to_string())
}

async fn error_of(resp: reqwest::Response) -> SyncError {
    let status = resp.status().as_u16();
    if status == 401 {
        return SyncError::Auth;
    }
    match read_json::<ErrorBody>(resp).await {
        Ok(e) if e.error == "unsupported_protocol" => {
            reload_for_new_version();
            SyncError::Server(e.message.clone(), "服务器已升级,正在更新本应用…".into())
        }
        Ok(e) => SyncError::Server(e.message.clone(), format!("服务器拒绝了请求:{}", e.message)),
        Err(_) => SyncError::Server(format!("server answered {status}"), format!("服务器返回 {status}")),
    }
}

/// The server speaks a newer protocol: reload, so the service worker fetches the new app
/// (which brings this device's storage, outbox included, up to date). At most once a
/// minute, so a server that is older than the app cannot make it reload in a loop.
fn reload_for_new_version() {
    let Some(w) = web_sys::window() else { return };
    let Ok(Some(session)) = w.session_storage() else { return };
    let last: u64 = session.get_item("sd:reloaded").ok().flatten().and_then(|s| s.parse().ok()).unwrap_or(0);
    let now = crate::state::device_now_ms();
    if now.saturating_sub(last) > 60_000 {
        let _ = session.set_item("sd:reloaded", &now.to_string());
        // boot.js fetches the new app first: the page's files come from the worker's cache.
        match js_sys::Reflect::get(&w, &"salesdeskUpdate".into())
            .ok()
            .and_then(|f| wasm_bindgen::JsCast::dyn_into::<js_sys::Function>(f).ok())
        {
            Some(update) => {
                let _ = update.call0(&w);
            }
            None => {
                let _ = w.location().reload();
            }
        }
    }
}

pub enum LoginError {
    Offline,
    BadCredentials,
    /// The device id is another person's: log in with a new one.
    ClientInUse,
    Other(String),
}

pub async fn login(username: String, password: String, client: ClientId) -> Result<LoginResponse, LoginError> {
    let resp = reqwest::Client::new()
        .post(format!("{}/api/login", origin()))
        .json(&LoginRequest { username, password, client })
        .send()
        .await
        .map_err(|_| LoginError::Offline)?;
    match resp.status().as_u16() {
        200 => read_json(resp).await.map_err(|e| LoginError::Other(e.to_string())),
        401 => Err(LoginError::BadCredentials),
        409 => Err(LoginError::ClientInUse),
        _ => Err(LoginError::Other(read_json::<ErrorBody>(resp).await.map(|e| e.message).unwrap_or_default())),
    }
}

pub async fn logout(token: String) {
    let _ = reqwest::Client::new().post(format!("{}/api/logout", origin())).bearer_auth(token).send().await;
}

/// Gives the outbox's new changes their seqs and stores them before anything is pushed,
/// so a reload can never hand the same seq to another change.
fn sequence(ctx: Ctx) -> Result<(), SyncError> {
    // Screens are told only when something was numbered (every round passes here).
    let fresh = ctx
        .replica
        .try_maybe_update(|r| {
            let fresh = r.assign_seqs();
            (!fresh.is_empty(), fresh)
        })
        .unwrap_or_default();
    if fresh.is_empty() {
        return Ok(());
    }
    for change in &fresh {
        ctx.with_room(|| storage::save_change(change)).map_err(SyncError::Storage)?;
    }
    ctx.replica.with_untracked(|r| ctx.with_room(|| storage::save_meta(&r.meta))).map_err(SyncError::Storage)
}

/// Checks the store an answer came from: takes it if this device has none yet; an error
/// if it is another one (see [`recover`]).
fn check_store(ctx: Ctx, theirs: Option<&str>) -> Result<(), SyncError> {
    // Screens are told only when it takes one: every page of a pull passes here, and a
    // notice per page derived the order list again each time.
    let took = ctx.replica.try_maybe_update(|r| {
        let took = r.adopt_store(theirs);
        (took, took)
    });
    if took.unwrap_or(false) {
        ctx.replica.with_untracked(|r| storage::save_meta(&r.meta)).map_err(SyncError::Storage)?;
    }
    match ctx.replica.with_untracked(|r| r.store_changed(theirs)) {
        Some(new) => Err(SyncError::StoreChanged(new)),
        None => Ok(()),
    }
}

/// The server was restored from a backup: send back every record this device holds, so
/// that nothing acknowledged since the backup is lost; then pull everything again.
#[cfg(feature = "full")]
async fn recover(ctx: Ctx, token: &str, store: &str) -> Result<(), SyncError> {
    use common::engine::wire::{RecoverResponse, MAX_RECOVER_RECORDS};
    let client = reqwest::Client::new();
    let requests = ctx.replica.with_untracked(|r| r.recovery_requests(store, MAX_RECOVER_RECORDS));
    web_sys::console::warn_1(&"the server was restored from a backup: sending back what this device holds".into());
    for req in requests {
        let resp = client
            .post(format!("{}/api/sync/recover", origin()))
            .bearer_auth(token)
            .json(&req)
            .send()
            .await
            .map_err(|_| SyncError::Offline)?;
        if resp.status().as_u16() != 200 {
            return Err(error_of(resp).await);
        }
        let body: RecoverResponse =
            read_json(resp).await.map_err(|e| SyncError::Server(e.to_string(), e.to_string()))?;
        for r in &body.refused {
            web_sys::console::warn_1(&format!("not taken back: {} {}: {}", r.kind, r.id, r.message).into());
        }
    }
    ctx.replica.update(|r| r.recovered(store));
    ctx.replica.with_untracked(|r| storage::save_meta(&r.meta)).map_err(SyncError::Storage)
}

/// Pushes everything waiting. The push that carries the last of it asks for the pull's
/// first page too: returned (with the cursor it was asked from) for [`pull_all`].
async fn push_all(ctx: Ctx, token: &str) -> Result<Option<(u64, String)>, SyncError> {
    let client = reqwest::Client::new();
    sequence(ctx)?;
    let mut page = None;
    loop {
        let Some((mut req, cursor, waiting)) =
            ctx.replica.with_untracked(|r| r.push_request(PUSH_BATCH).map(|q| (q, r.meta.cursor, r.outbox.len())))
        else {
            return Ok(page);
        };
        if req.changes.len() >= waiting {
            req.pull = Some(common::engine::wire::PullAsk { cursor, pending: 0 });
        }
        let resp = client
            .post(format!("{}/api/sync/push", origin()))
            .bearer_auth(token)
            .header(PACKED_RECORDS.0, PACKED_RECORDS.1)
            .json(&req)
            .send()
            .await
            .map_err(|_| SyncError::Offline)?;
        let status = resp.status().as_u16();
        if status != 200 && status != 409 {
            return Err(error_of(resp).await);
        }
        let mut body: PushResponse =
            read_json(resp).await.map_err(|e| SyncError::Server(e.to_string(), e.to_string()))?;
        // Only the page of the last push holds: an earlier one predates the pushes after it.
        page = body.page.take().map(|p| (cursor, String::from(Box::<str>::from(p.0))));
        ctx.heard_server_time(body.server_time);
        check_store(ctx, body.store.as_deref())?;
        let fx = ctx.replica.try_update(|r| r.on_push(&body, now_ms())).unwrap_or_default();
        // Confirmed records first, then forget the outbox entries: a crash in between
        // only means a change is applied twice, which changes nothing.
        if !fx.confirmed.is_empty() {
            let states: Vec<&_> = fx.confirmed.iter().collect();
            ctx.with_room(|| storage::save_records(&states)).map_err(SyncError::Storage)?;
            ctx.replica.with_untracked(storage::compact);
        }
        for refused in &fx.newly_refused {
            storage::save_refused(refused).map_err(SyncError::Storage)?;
        }
        // Renumbered after the server's last: stored with the counters before they go again.
        for change in &fx.renumbered {
            ctx.with_room(|| storage::save_change(change)).map_err(SyncError::Storage)?;
        }
        for id in &fx.settled {
            storage::remove_outbox(*id);
        }
        ctx.replica.with_untracked(|r| storage::save_meta(&r.meta)).map_err(SyncError::Storage)?;
        if let Some(gap) = body.gap {
            return Err(SyncError::Server(
                format!("the server expected change {} but got {}", gap.expected, gap.got),
                format!("服务器缺少第 {} 条修改(收到第 {} 条)", gap.expected, gap.got),
            ));
        }
        if fx.settled.is_empty() && fx.renumbered.is_empty() {
            return Ok(page);
        }
    }
}

/// What to fetch outside the pull.
pub enum Wanted {
    /// Records by id (an order opened that this device no longer holds).
    Ids(Vec<common::engine::ids::RecordId>),
    /// The server's orders matching a search, as the order list matches.
    Orders(String),
}

/// How a fetch from the server went, for the screen that asked.
#[derive(Clone, Debug, PartialEq)]
pub enum Fetched {
    Asking,
    /// How many records came that this device did not hold, and whether a search found
    /// more than the server sends at once.
    Found(usize, bool),
    Offline,
    /// Why not, as (English, 中文).
    Failed(String, String),
}

/// Records the pull will not bring again: synced records this device dropped when its
/// storage was full (the server keeps them). Merged like pulled ones (the cursor stays),
/// and stored if there is room and this is the syncing tab: otherwise they are held for this
/// visit only (the server has them; nothing unsynced is ever dropped to make room for them).
pub async fn fetch_records(ctx: Ctx, kind: common::engine::record::Kind, wanted: Wanted) -> Fetched {
    let Some(token) = ctx.token() else {
        return Fetched::Offline;
    };
    let query = match &wanted {
        Wanted::Ids(ids) => format!("ids={}", ids.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")),
        Wanted::Orders(q) => format!("q={}", String::from(js_sys::encode_uri_component(q))),
    };
    let asked = reqwest::Client::new()
        .get(format!("{}/api/sync/records?kind={kind}&{query}", origin()))
        .bearer_auth(token)
        .send()
        .await;
    let resp = match asked {
        Ok(r) if r.status().as_u16() == 200 => r,
        Ok(r) => {
            return match error_of(r).await {
                SyncError::Offline => Fetched::Offline,
                SyncError::Server(en, zh) => Fetched::Failed(en, zh),
                SyncError::Auth => {
                    session_ended(ctx);
                    Fetched::Failed("log in again.".into(), "请重新登录。".into())
                }
                SyncError::Storage(_) | SyncError::StoreChanged(_) => Fetched::Failed(String::new(), String::new()),
            }
        }
        Err(_) => return Fetched::Offline,
    };
    let body: common::engine::wire::FetchResponse = match read_json(resp).await {
        Ok(b) => b,
        Err(e) => return Fetched::Failed(e.clone(), e),
    };
    ctx.heard_server_time(body.server_time);
    let more = body.more;
    let mut new = 0;
    let merged = ctx
        .replica
        .try_update(|r| {
            body.records
                .into_iter()
                .map(|s| {
                    new += usize::from(r.get(s.kind, s.id).is_none());
                    r.put_confirmed(s)
                })
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    // Packs are numbered by the syncing tab, the one that writes confirmed records: another
    // tab holds what it fetched for the visit.
    if LEADER.with(Cell::get) {
        let refs: Vec<&common::engine::record::RecordState> = merged.iter().collect();
        match storage::save_records(&refs) {
            Ok(()) => ctx.replica.with_untracked(storage::compact),
            Err(SaveError::Quota) => {}
            Err(e) => ctx.report_save_error(&e),
        }
    }
    Fetched::Found(new, more)
}

/// One page of a pull as it arrived: its text, parsed later where it is stored.
async fn fetch_page(token: String, cursor: u64, pending: usize) -> Result<String, SyncError> {
    // What waits here is shown to admins with this device's last sync.
    let resp = reqwest::Client::new()
        .get(format!("{}/api/sync/pull?cursor={cursor}&limit={MAX_PULL_LIMIT}&pending={pending}", origin()))
        .bearer_auth(token)
        .header(PACKED_RECORDS.0, PACKED_RECORDS.1)
        .send()
        .await
        .map_err(|_| SyncError::Offline)?;
    if resp.status().as_u16() != 200 {
        return Err(error_of(resp).await);
    }
    // As bytes: a page of thousands of records is not decoded into the page's UTF-16 only
    // to be encoded back into UTF-8 for the app.
    let bytes = resp.bytes().await.map_err(|_| SyncError::Offline)?;
    String::from_utf8(Vec::from(bytes)).map_err(bad_answer)
}

/// [`common::engine::wire::PullResponse`] with each record's JSON kept as sent, so that a record new to this
/// device is stored as the server wrote it instead of being written out again.
struct SentPage {
    records: Vec<Box<serde_json::value::RawValue>>,
    cursor: u64,
    more: bool,
    server_time: common::engine::hlc::Hlc,
    digest: Option<ScopeDigest>,
    store: Option<String>,
    total: Option<u64>,
}

common::from_map!(SentPage, "a pull answer", false, {
    records: "records",
    cursor: "cursor",
    more: "more",
    server_time: "server_time",
    digest: "digest" or None,
    store: "store" or None,
    total: "total" or None,
});

fn bad_answer(e: impl std::fmt::Display) -> SyncError {
    SyncError::Server(format!("unreadable answer: {e}"), format!("服务器的回答无法读取:{e}"))
}

/// Starts fetching a page now, to be awaited later: the next page comes over the network
/// while this one is stored.
async fn prefetch(
    token: &str,
    cursor: u64,
    pending: usize,
) -> futures_channel::oneshot::Receiver<Result<String, SyncError>> {
    let (tx, rx) = futures_channel::oneshot::channel();
    let token = token.to_string();
    spawn_local(async move {
        let _ = tx.send(fetch_page(token, cursor, pending).await);
    });
    // Let the spawned task run up to its request before this one goes back to work.
    let _ = wasm_bindgen_futures::JsFuture::from(js_sys::Promise::resolve(&wasm_bindgen::JsValue::UNDEFINED)).await;
    rx
}

thread_local! {
    /// Records were folded in without telling the screens (see `pull_all`).
    static UNSHOWN: Cell<bool> = const { Cell::new(false) };
}

/// Pulls to the end. A first sync brings thousands of records in pages of up to
/// [`MAX_PULL_LIMIT`]: each page is stored as one pack before the cursor moves, the next
/// page is already on its way meanwhile, and the screens are told of new records at most
/// once a second (and at the end), not once per page; the badge counts what has arrived.
/// `first`: the first page already here (from the push), with the cursor it was asked from.
async fn pull_all(ctx: Ctx, token: &str, first: Option<(u64, String)>) -> Result<Option<ScopeDigest>, SyncError> {
    let pending = || ctx.replica.with_untracked(|r| r.outbox.len());
    let (mut asked, mut next) = match first {
        Some((cursor, text)) => {
            let (tx, rx) = futures_channel::oneshot::channel();
            let _ = tx.send(Ok(text));
            (cursor, Some(rx))
        }
        None => {
            let at = ctx.replica.with_untracked(|r| r.meta.cursor);
            (at, Some(prefetch(token, at, pending()).await))
        }
    };
    let mut shown_at = 0.0;
    loop {
        let Some(coming) = next.take() else { return Ok(None) };
        let text = coming.await.unwrap_or(Err(SyncError::Offline))?;
        let page: SentPage = serde_json::from_str(&text).map_err(bad_answer)?;
        // The replica moved meanwhile (its records were forgotten): ask again from there.
        let at = ctx.replica.with_untracked(|r| r.meta.cursor);
        if at != asked {
            asked = at;
            next = Some(prefetch(token, at, pending()).await);
            continue;
        }
        ctx.heard_server_time(page.server_time);
        check_store(ctx, page.store.as_deref())?;
        if page.more {
            asked = page.cursor;
            next = Some(prefetch(token, page.cursor, pending()).await);
        }
        let now = js_sys::Date::now();
        let SentPage { records: sent, cursor, server_time, more, total, digest, .. } = page;
        // Packed or not, each record is stored and hashed as the server wrote it.
        let texts = sent
            .iter()
            .map(|r| {
                common::engine::packed::read_sent(r.get()).ok_or_else(|| bad_answer("a packed record does not unpack"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let records =
            texts.iter().map(|t| serde_json::from_str(t)).collect::<Result<Vec<_>, _>>().map_err(bad_answer)?;
        // The screens hear of new records at most once a second, and at the end of a pull
        // that held some back; an empty page (an idle device's long poll) tells no one.
        let (arrived, held_back) = (!records.is_empty(), UNSHOWN.with(Cell::get));
        let tell = (arrived || held_back) && (!more || now - shown_at >= 1000.0);
        if tell {
            shown_at = now;
        }
        UNSHOWN.with(|u| u.set(!tell && (held_back || arrived)));
        let keys = ctx
            .replica
            .try_maybe_update(|r| (tell, r.take_page(records, cursor, server_time, now_ms())))
            .unwrap_or_default();
        if !keys.is_empty() {
            ctx.with_room(|| {
                ctx.replica.with_untracked(|r| {
                    let items: Vec<storage::Stored<'_>> = keys
                        .iter()
                        .zip(&texts)
                        .filter_map(|((key, new), text)| match new {
                            true => Some(storage::Stored::Sent(*key, text)),
                            false => r.confirmed.get(key).map(storage::Stored::State),
                        })
                        .collect();
                    storage::save_stored(&items)
                })
            })
            .map_err(SyncError::Storage)?;
            ctx.replica.with_untracked(storage::compact);
        }
        // The cursor moves on disk only once the page's records are there.
        ctx.replica.with_untracked(|r| storage::save_meta(&r.meta)).map_err(SyncError::Storage)?;
        let progress = total.filter(|_| more).map(|t| (ctx.replica.with_untracked(|r| r.confirmed.len() as u64), t));
        if ctx.sync.with_untracked(|s| s.progress) != progress {
            ctx.sync.update(|s| s.progress = progress);
        }
        if !more {
            return Ok(digest);
        }
    }
}

/// Screens not yet told of records folded in during a pull that ended early are told now.
fn show_unshown(ctx: Ctx) {
    if UNSHOWN.with(|u| u.replace(false)) {
        ctx.replica.notify();
    }
}

/// After a full pull with nothing waiting: does this device hold exactly the server's
/// records? If not (storage lost some keys, or a bug), forget them and pull all again.
async fn verify_and_repair(ctx: Ctx, token: &str, server: Option<ScopeDigest>) -> Result<(), SyncError> {
    let Some(server) = server else { return Ok(()) };
    let (idle, complete, mine) =
        ctx.replica.with_untracked(|r| (r.outbox.is_empty(), r.meta.complete, r.scope_digest()));
    if !idle || !complete || mine == server {
        return Ok(());
    }
    web_sys::console::warn_1(
        &format!("local records differ from the server's ({mine:?} vs {server:?}); pulling everything again").into(),
    );
    ctx.forget_records();
    pull_all(ctx, token, None).await.map(|_| ())
}

thread_local! {
    static RUNNING: Cell<bool> = const { Cell::new(false) };
    /// This tab holds the sync lock: it alone sequences, pushes and pulls.
    static LEADER: Cell<bool> = const { Cell::new(false) };
}

/// One round of push then pull. Concurrent calls collapse into the one running; tabs
/// that are not the leader leave it to the leader, which hears of their changes through
/// `storage` events.
pub async fn sync_now(ctx: Ctx) {
    if !LEADER.with(Cell::get) || ctx.elsewhere.get_untracked() {
        return;
    }
    let Some(token) = ctx.token() else { return };
    if RUNNING.with(|r| r.replace(true)) {
        return;
    }
    ctx.sync.update(|s| s.running = true);
    let round = || async {
        let first = push_all(ctx, &token).await?;
        let digest = pull_all(ctx, &token, first).await?;
        verify_and_repair(ctx, &token, digest).await
    };
    let result = match round().await {
        #[cfg(feature = "full")]
        Err(SyncError::StoreChanged(store)) => match recover(ctx, &token, &store).await {
            Ok(()) => round().await,
            Err(e) => Err(e),
        },
        // The recovery is the full app's to make (a server restored from a backup is rare):
        // the core opens the same screen there (a draft being typed is kept on the device).
        #[cfg(not(feature = "full"))]
        Err(SyncError::StoreChanged(store)) => {
            crate::pages::open_in_full_app();
            Err(SyncError::StoreChanged(store))
        }
        other => other,
    };
    RUNNING.with(|r| r.set(false));
    show_unshown(ctx);
    let state = match result {
        Ok(()) => {
            let now = crate::state::now_ms();
            storage::save_last_sync(now);
            SyncState { last_ok_ms: Some(now), ..SyncState::default() }
        }
        Err(SyncError::Offline) => SyncState { offline: true, ..Default::default() },
        Err(SyncError::Auth) => {
            session_ended(ctx);
            SyncState::default()
        }
        Err(SyncError::Server(en, zh)) => SyncState { error: Some((en, zh)), ..Default::default() },
        Err(SyncError::StoreChanged(_)) => SyncState {
            error: Some((
                "The server was restored from a backup again; retrying.".into(),
                "服务器刚从备份恢复,正在重试。".into(),
            )),
            ..Default::default()
        },
        Err(SyncError::Storage(e)) => {
            ctx.report_save_error(&e);
            SyncState { error: Some(("Storage is full.".into(), "存储已满。".into())), ..Default::default() }
        }
    };
    let (rounds, last_ok_ms) = ctx.sync.with_untracked(|s| (s.rounds, s.last_ok_ms));
    ctx.sync.set(SyncState { rounds: rounds + 1, last_ok_ms: state.last_ok_ms.or(last_ok_ms), ..state });
}

/// The server no longer accepts this session (signed out by an admin, password reset,
/// account disabled, expired): ask for a log-in, keeping everything on the device. The
/// same person logging in again carries on where they were, unsynced changes included.
fn session_ended(ctx: Ctx) {
    let pending = ctx.pending();
    let who = ctx.session.with_untracked(|s| s.as_ref().map(|s| s.user.username.clone())).unwrap_or_default();
    storage::clear_session();
    ctx.last_user.set(who);
    ctx.session.set(None);
    ctx.notice.set(Some((
        format!("登录已失效(可能已被管理员退出或修改了密码),请重新登录。本机 {pending} 条未同步的修改都还在,登录后会自动同步。"),
        format!("Your session has ended (an administrator may have signed this device out or changed your password). Log in again: the {pending} changes not yet synced are kept on this device and sync after you log in."),
    )));
}

pub fn kick(ctx: Ctx) {
    spawn_local(sync_now(ctx));
}

thread_local! {
    /// The server refused `wait` (it is older than the long poll): poll every few seconds.
    static NO_LONG_POLL: Cell<bool> = const { Cell::new(false) };
}

/// How long the server may hold a pull that has nothing new (its limit is 25 s).
const LONG_POLL_S: u32 = 20;

/// Waits until the server has something new for this device, or `LONG_POLL_S` passed
/// (a long poll: one request held open instead of one every few seconds). What it
/// answers is not kept: the sync round that follows pulls it properly. False if it could
/// not ask (offline, an older server, logged out): then the caller waits a while instead.
async fn news(ctx: Ctx) -> bool {
    if NO_LONG_POLL.with(Cell::get) {
        return false;
    }
    let Some(token) = ctx.token() else { return false };
    let cursor = ctx.replica.with_untracked(|r| r.meta.cursor);
    let asked = reqwest::Client::new()
        .get(format!("{}/api/sync/pull?cursor={cursor}&limit=1&wait={LONG_POLL_S}", origin()))
        .bearer_auth(token)
        .send()
        .await;
    match asked.map(|r| r.status().as_u16()) {
        Ok(200) => true,
        Ok(400) => {
            NO_LONG_POLL.with(|n| n.set(true));
            false
        }
        _ => false,
    }
}

/// Once this tab holds the sync lock (Web Locks: one tab per browser profile at a time;
/// when it closes, the next tab takes over), runs forever: sync now; while changes wait,
/// again every two seconds; when nothing waits, as soon as the server has something new
/// (a long poll; every ten seconds if the server cannot be asked). A change made here
/// starts a sync at once by itself (`kick`). Browsers without Web Locks have one tab sync.
pub fn start_loop(ctx: Ctx) {
    let become_leader = move || {
        LEADER.with(|l| l.set(true));
        ctx.sync.update(|s| s.follower = false);
        spawn_local(async move {
            loop {
                sync_now(ctx).await;
                let idle = ctx.replica.with_untracked(|r| r.outbox.is_empty());
                let synced = ctx.sync.with_untracked(|s| s.error.is_none() && !s.offline);
                if idle && synced && news(ctx).await {
                    // At most a round a second however busy the office: what others
                    // change meanwhile comes in the same pull.
                    gloo_timers::future::TimeoutFuture::new(1_000).await;
                    continue;
                }
                gloo_timers::future::TimeoutFuture::new(if idle { 10_000 } else { 2_000 }).await;
            }
        });
    };
    if !crate::locks::hold_forever("salesdesk-sync", become_leader) {
        become_leader();
    }
    // The lock comes a moment later even when no other tab holds it: until then this tab
    // shows that it is about to sync, not another tab's (unknown) state as synced.
    spawn_local(async move {
        gloo_timers::future::TimeoutFuture::new(1_000).await;
        if !LEADER.with(Cell::get) {
            ctx.sync.update(|s| s.follower = true);
        }
    });
}
