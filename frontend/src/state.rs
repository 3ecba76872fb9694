//! The app's shared state and the operations screens call. Each operation changes the
//! in-memory replica and writes it to localStorage before it returns: when a screen says
//! "saved", the change is on the device.

use crate::i18n::{I18n, Lang};
use crate::storage::{self, SaveError};
use common::desk::account::LoginResponse;
use common::desk::customer::{CustomerFields, CustomerView};
use common::desk::listing::{Listing, Row};
use common::desk::order::{field, Action, OrderFields, OrderView};
use common::desk::payments::PaymentView;
use common::desk::permissions::Actor;
use common::desk::shipping::{
    summarize, LogView, ShipAction, ShipmentFields, ShipmentView, Shipping, SHIPMENT_WORKFLOW, STATION_LOG_WORKFLOW,
};
use common::desk::time::local_date;
use common::engine::ids::{ChangeId, ClientId, OfficeCode, RecordId};
use common::engine::record::{Kind, StepWrite};
use common::engine::replica::{Replica, ReplicaMeta};
use leptos::prelude::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;

thread_local! {
    /// The server's clock minus this device's (ms), measured at the last contact.
    static OFFSET_MS: std::cell::Cell<i64> = const { std::cell::Cell::new(0) };
    /// Another tab wrote to storage while this one was still reading it: read it again.
    static STORE_MOVED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// Bumped at each change of the replica; the list index is written once it rests.
    static INDEX_TICK: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// This device's clock, as it reads.
pub fn device_now_ms() -> u64 {
    js_sys::Date::now() as u64
}

/// The time by this device's clock corrected by the offset measured at its last contact
/// with the server: what it stamps changes with and shows. A wrong device clock neither
/// misdates the desk's work nor gets it refused.
pub fn now_ms() -> u64 {
    (device_now_ms() as i64 + OFFSET_MS.with(std::cell::Cell::get)).max(0) as u64
}

/// The device's clock is this far off the server's: say so (the desk's times are corrected).
pub const CLOCK_OFF_MS: i64 = 2 * 60 * 1000;

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    let crypto = web_sys::window().and_then(|w| w.crypto().ok());
    match crypto {
        Some(c) if c.get_random_values_with_u8_array(&mut buf).is_ok() => {}
        // No crypto (very old browser): fall back to Math.random, still unique enough with the time prefix.
        _ => buf.iter_mut().for_each(|b| *b = (js_sys::Math::random() * 256.0) as u8),
    }
    buf
}

/// Where sync stands, apart from how many changes wait (that is the outbox's length).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SyncState {
    pub running: bool,
    /// The last attempt could not reach the server.
    pub offline: bool,
    /// The last attempt reached the server but failed; the reason, in English and Chinese.
    pub error: Option<(String, String)>,
    /// Another tab of this browser syncs; this one follows it through storage events.
    pub follower: bool,
    /// Sync rounds finished since the app opened (0: not yet known to be in step).
    pub rounds: u32,
    /// When this device last finished a sync (its clock, UTC ms): what balances and
    /// limits it shows are as of then.
    pub last_ok_ms: Option<u64>,
    /// A long pull is under way: records held so far, of how many in all.
    pub progress: Option<(u64, u64)>,
}

#[derive(Clone, Copy)]
pub struct Ctx {
    pub replica: RwSignal<Replica>,
    pub session: RwSignal<Option<LoginResponse>>,
    pub sync: RwSignal<SyncState>,
    pub i18n: I18n,
    /// A message for the whole app (storage full, ...), as (中文, English).
    pub notice: RwSignal<Option<(String, String)>>,
    /// Who was logged in when the session ended: the log-in form offers the name again.
    pub last_user: RwSignal<String>,
    /// Another tab is the one in use (browsers without Web Locks keep to one tab).
    pub elsewhere: RwSignal<bool>,
    /// Bumped whenever this tab stores or drops a draft, so lists of drafts follow.
    pub drafts: RwSignal<u64>,
    /// Bumped when a blank new order is asked for (F2, save and start another).
    pub new_order: RwSignal<u64>,
    blank_requested: RwSignal<bool>,
    /// The menu's late-calls count, kept per shipment version (see `LateCalls`).
    late_calls: StoredValue<common::desk::shipping::LateCalls>,
    /// Set once the pinyin table is installed: lookups by initials follow it.
    pub pinyin: RwSignal<bool>,
    /// Every record has been read from storage. Until then (an open at the order list with
    /// a list index) the list shows the stored rows and the other screens wait.
    pub loaded: RwSignal<bool>,
    /// The list index's rows, while the records are being read and the list's own rows
    /// derived from them.
    early_rows: RwSignal<Option<Vec<Row>>>,
    /// The order list's rows, derived once per version of each order.
    listing: StoredValue<Listing>,
}

pub fn use_ctx() -> Ctx {
    expect_context::<Ctx>()
}

/// A replica for a browser that has none (first visit, or its storage was wiped).
fn fresh_replica() -> Replica {
    let random = random_bytes::<18>();
    let mut id = [0u8; 10];
    id.copy_from_slice(&random[..10]);
    let mut node = [0u8; 8];
    node.copy_from_slice(&random[10..]);
    let r = Replica::new(ClientId::new_v7(now_ms(), id), u64::from_le_bytes(node));
    let _ = storage::save_meta(&r.meta);
    r
}

/// Readies a replica read from storage for this tab.
fn prepared(mut replica: Replica, session: Option<&LoginResponse>) -> Replica {
    // Every tab stamps its own versions: two tabs must never issue the same timestamp.
    replica.meta.clock.node = u64::from_le_bytes(random_bytes::<8>());
    OFFSET_MS.with(|o| o.set(replica.meta.offset_ms));
    // Storage from before owners were noted belongs to whoever was logged in.
    if replica.meta.owner.is_none() {
        replica.meta.owner = session.map(|s| s.user.username.clone());
    }
    replica
}

/// Whether `path` is the order list's address: the screen an open may show from the list
/// index before the records are read; every other screen waits for them.
pub fn is_order_list(path: &str) -> bool {
    path == "/" || path == "/orders"
}

/// Runs `step` until it says there is no more, a few milliseconds at a time, the page free
/// between (to draw, and to take the person's typing).
async fn in_slices(mut step: impl FnMut() -> bool) {
    loop {
        gloo_timers::future::TimeoutFuture::new(0).await;
        let started = device_now_ms();
        loop {
            if !step() {
                return;
            }
            if device_now_ms() >= started + 8 {
                break;
            }
        }
    }
}

/// A user-timing mark (`performance.mark`), seen in the browser's profiler and by tests.
fn mark(name: &str) {
    if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
        let _ = p.mark(name);
    }
}

impl Ctx {
    /// The app's state, read from storage. Opened at the order list, logged in, with a list
    /// index that matches the store, the records are left to a [`storage::Loader`] (returned,
    /// for [`Ctx::read_rest`]): the list shows at once from the index.
    pub fn load() -> (Ctx, Option<storage::Loader>) {
        #[cfg(feature = "full")]
        storage::migrate();
        let lang = Lang::parse(&storage::load_lang().unwrap_or_default());
        let mut session = storage::load_session();
        let path = web_sys::window().and_then(|w| w.location().pathname().ok()).unwrap_or_default();
        let early = if session.is_some() && is_order_list(&path) { storage::load_list_index() } else { None };
        let loader = early.as_ref().and_then(|_| storage::Loader::start());
        let replica = match &loader {
            Some(l) => l.meta_only(),
            None => storage::load_replica().unwrap_or_else(|| {
                // Wiped or new: an old session belongs to a device id that is gone.
                session = None;
                storage::clear_session();
                fresh_replica()
            }),
        };
        let replica = prepared(replica, session.as_ref());
        let early = early.filter(|_| loader.is_some());
        if early.is_some() {
            // For tools and tests: this open showed the stored rows (see `read_rest`).
            mark("salesdesk:list-from-index");
        }
        let ctx = Ctx {
            replica: RwSignal::new(replica),
            session: RwSignal::new(session),
            sync: RwSignal::new(SyncState { last_ok_ms: storage::load_last_sync(), ..SyncState::default() }),
            i18n: I18n(RwSignal::new(lang)),
            notice: RwSignal::new(None),
            last_user: RwSignal::new(String::new()),
            elsewhere: RwSignal::new(false),
            drafts: RwSignal::new(0),
            new_order: RwSignal::new(0),
            blank_requested: RwSignal::new(false),
            late_calls: StoredValue::new(Default::default()),
            pinyin: RwSignal::new(common::desk::pinyin::has_table()),
            loaded: RwSignal::new(loader.is_none()),
            early_rows: RwSignal::new(early),
            listing: StoredValue::new(Listing::default()),
        };
        (ctx, loader)
    }

    /// Reads the records the list index stood in for, a few packs at a time (the person can
    /// type between them), runs `then`, and derives the list's own rows likewise.
    pub fn read_rest(self, mut loader: storage::Loader, then: impl FnOnce() + 'static) {
        leptos::task::spawn_local(async move {
            in_slices(|| loader.step()).await;
            let replica = if STORE_MOVED.with(|m| m.replace(false)) {
                storage::load_replica().unwrap_or_else(|| loader.finish())
            } else {
                loader.finish()
            };
            let replica = self.session.with_untracked(|s| prepared(replica, s.as_ref()));
            self.replica.set(replica);
            self.loaded.set(true);
            mark("salesdesk:records-read");
            then();
            // The list keeps the stored rows until its own are derived, a slice at a time.
            in_slices(|| {
                self.replica.with_untracked(|r| self.listing.try_update_value(|l| !l.warm(r, 250)) == Some(true))
            })
            .await;
            self.early_rows.set(None);
        });
    }

    /// The list's own rows, derived from `r` (once per version of each order).
    fn derived_rows(&self, r: &Replica) -> Vec<Row> {
        self.listing.try_update_value(|l| l.rows(r)).unwrap_or_default()
    }

    /// The order list's rows: every order, newest first (the list index's while the records
    /// are still being read).
    pub fn list_rows(&self) -> Vec<Row> {
        if let Some(rows) = self.early_rows.with(Clone::clone) {
            return rows;
        }
        self.replica.with(|r| self.derived_rows(r))
    }

    /// The replica moved: store the list index once it has rested a second (or when the
    /// page goes, see [`Ctx::store_list_index`]).
    pub fn list_index_soon(self) {
        let tick = INDEX_TICK.with(|t| {
            t.set(t.get() + 1);
            t.get()
        });
        leptos::task::spawn_local(async move {
            gloo_timers::future::TimeoutFuture::new(1_000).await;
            if INDEX_TICK.with(std::cell::Cell::get) == tick {
                self.store_list_index();
            }
        });
    }

    /// Stores the list index now, unless the one stored is current (see
    /// `storage::save_list_index`).
    pub fn store_list_index(self) {
        if self.loaded.get_untracked() {
            self.replica.with_untracked(|r| storage::save_list_index(r, || self.derived_rows(r)));
        }
    }

    /// The session's token, for the server's API; `None` when logged out.
    pub fn token(&self) -> Option<String> {
        self.session.with_untracked(|s| s.as_ref().map(|s| s.token.clone()))
    }

    /// Fetches the pinyin-initials table (`/pinyin.txt`, from the service worker's cache
    /// when offline) once the app runs, so it is not part of the download a phone waits
    /// for before the first screen; until it is in, Han names give no initials. Tried again when the
    /// browser comes back online.
    pub fn fetch_pinyin(&self) {
        if self.pinyin.get_untracked() {
            return;
        }
        let ready = self.pinyin;
        leptos::task::spawn_local(async move {
            let Ok(resp) = reqwest::get(format!("{}/pinyin.txt", crate::sync::origin())).await else { return };
            let Ok(text) = resp.text().await else { return };
            if common::desk::pinyin::install(text.into_bytes()) {
                ready.set(true);
            }
        });
    }

    /// The server's time as just heard (log-in, push, pull): measure this device's clock
    /// against it. Kept in the counters once it moves by more than a second.
    pub fn heard_server_time(&self, server_time: common::engine::hlc::Hlc) {
        let offset = server_time.wall_ms as i64 - device_now_ms() as i64;
        let changed = self.replica.with_untracked(|r| (r.meta.offset_ms - offset).abs() > 1000);
        OFFSET_MS.with(|o| o.set(offset));
        if changed {
            self.replica.update(|r| r.meta.offset_ms = offset);
        }
    }

    /// Gets this browser ready for `username` to log in: someone else's unsynced work is
    /// set aside under their name (pushed when they log in again, never as anyone else),
    /// and `username`'s own, set aside earlier, comes back. Returns the device id to log
    /// in with: each person has their own.
    pub fn prepare_for(&self, username: &str) -> Result<ClientId, SaveError> {
        let (owner, busy) =
            self.replica.with_untracked(|r| (r.meta.owner.clone(), !r.outbox.is_empty() || !r.refused.is_empty()));
        if owner.as_deref() == Some(username) {
            return Ok(self.replica.with_untracked(|r| r.meta.client));
        }
        if owner.is_some() || busy {
            self.replica.with_untracked(|r| storage::park(owner.as_deref().unwrap_or("?"), r))?;
            self.start_afresh(username)?;
        } else if storage::parked_owners().iter().any(|(o, _)| o == username) {
            self.start_afresh(username)?;
        }
        Ok(self.replica.with_untracked(|r| r.meta.client))
    }

    /// This browser, ready for `username`: their work set aside earlier, under their own
    /// device id, or a new device id. Confirmed records are pulled again.
    fn start_afresh(&self, username: &str) -> Result<(), SaveError> {
        storage::clear_session();
        self.session.set(None);
        let replica = match storage::unpark(username) {
            Some(p) => {
                let meta = ReplicaMeta { cursor: 0, complete: true, ..p.meta };
                for c in &p.outbox {
                    storage::save_change(c)?;
                }
                for x in &p.refused {
                    storage::save_refused(x)?;
                }
                Replica::from_parts(meta, Vec::new(), p.outbox, p.refused)
            }
            None => fresh_replica(),
        };
        storage::save_meta(&replica.meta)?;
        OFFSET_MS.with(|o| o.set(replica.meta.offset_ms));
        self.replica.set(replica);
        Ok(())
    }

    /// The server says this device id is someone else's: set aside what waits here and
    /// start afresh with a new one.
    pub fn new_device_id(&self, username: &str) -> Result<ClientId, SaveError> {
        let owner = self.replica.with_untracked(|r| r.meta.owner.clone()).unwrap_or_else(|| "?".into());
        self.replica.with_untracked(|r| storage::park(&owner, r))?;
        storage::unpark(username);
        self.start_afresh(username)?;
        Ok(self.replica.with_untracked(|r| r.meta.client))
    }

    /// `session` logged in on this browser: note whose device id this is, number after
    /// what the server already settled, take back work set aside earlier, and set the
    /// clock. What others left waiting here is named in the returned notice.
    pub fn logged_in(&self, session: &LoginResponse) -> Result<Option<(String, String)>, SaveError> {
        let me = session.user.username.clone();
        self.heard_server_time(session.server_time);
        self.replica.update(|r| {
            r.meta.owner = Some(me.clone());
            r.settled_through(session.last_seq);
            let _ = r.meta.clock.observe(session.server_time, now_ms());
        });
        self.replica.with_untracked(|r| storage::save_meta(&r.meta))?;
        storage::save_session(session)?;
        let others: Vec<(String, usize)> = storage::parked_owners().into_iter().filter(|(o, _)| *o != me).collect();
        Ok((!others.is_empty()).then(|| {
            let list = |sep: &str, unit: &str| {
                others.iter().map(|(o, n)| format!("{o} ({n}{unit})")).collect::<Vec<_>>().join(sep)
            };
            (
                format!("本机还有其他人未同步的修改:{}。他们登录时会自动同步,不会以你的名义发送。", list("、", " 条")),
                format!("Others' unsynced changes wait on this device: {}. They sync when those people log in, never in your name.", list(", ", "")),
            )
        }))
    }

    /// Another tab wrote to storage: fold what it wrote into this tab's replica.
    pub fn apply_storage_event(&self, key: Option<String>, new_value: Option<String>) {
        use storage::Incoming;
        if !self.loaded.get_untracked() {
            // Still reading storage: it is read again, whole, once the first reading ends.
            STORE_MOVED.with(|m| m.set(true));
            return;
        }
        match storage::parse_event(key, new_value) {
            Incoming::Meta(m) => {
                OFFSET_MS.with(|o| o.set(m.offset_ms));
                self.replica.update(|r| r.follow_counters(&m));
            }
            Incoming::Pack(n, states) => {
                storage::heard_pack(n, Some(&states));
                self.replica.update(|r| {
                    for state in states {
                        r.put_confirmed(state);
                    }
                });
            }
            Incoming::PackGone(n) => storage::heard_pack(n, None),
            Incoming::Record(state) => self.replica.update(|r| {
                r.put_confirmed(state);
            }),
            Incoming::RecordGone(kind, id) => self.replica.update(|r| r.evict_confirmed((kind, id))),
            Incoming::Outbox(change) => {
                self.replica.update(|r| r.put_outbox(change));
                crate::sync::kick(*self);
            }
            Incoming::OutboxGone(id) => self.replica.update(|r| r.drop_outbox(id)),
            Incoming::Refused(x) => self.replica.update(|r| r.put_refused(x)),
            Incoming::RefusedGone(id) => self.replica.update(|r| {
                r.dismiss_refused(id);
            }),
            Incoming::Session => self.session.set(storage::load_session()),
            Incoming::Cleared => {
                // The browser or another tab emptied storage. What this tab holds in memory,
                // unsynced changes above all, goes back at once.
                let result = self
                    .replica
                    .with_untracked(|r| self.session.with_untracked(|s| storage::rewrite_all(r, s.as_ref())));
                match result {
                    Ok(()) => self.notice.set(Some((
                        "本机存储被清除了;这个窗口里的数据(包括未同步的修改)已经重新保存。".into(),
                        "This browser's storage was cleared; what this tab held, unsynced changes included, has been saved again.".into(),
                    ))),
                    Err(e) => self.report_save_error(&e),
                }
            }
            Incoming::Other => {}
        }
    }

    pub fn set_lang(&self, lang: Lang) {
        self.i18n.0.set(lang);
        storage::save_lang(lang.code());
    }

    pub fn actor(&self) -> Option<Actor> {
        self.session.with(|s| {
            s.as_ref().map(|s| Actor {
                username: s.user.username.clone(),
                role: s.user.role,
                office: s.user.office.code.clone(),
                is_hq: s.user.office.is_hq,
            })
        })
    }

    pub fn offset_minutes(&self) -> i32 {
        self.session
            .with_untracked(|s| s.as_ref().map(|s| s.user.office.utc_offset_minutes))
            .unwrap_or(common::desk::time::DEFAULT_OFFSET_MINUTES)
    }

    pub fn pending(&self) -> usize {
        self.replica.with(|r| r.outbox.len())
    }

    pub fn report_save_error(&self, e: &SaveError) {
        let msg = match e {
            SaveError::Quota => (
                "浏览器存储已满,本次修改没有保存。请先联网同步,再重试。".to_string(),
                "The browser's storage is full; this change was not saved. Sync while online, then retry.".to_string(),
            ),
            SaveError::Other(t) => (format!("保存失败:{t}"), format!("Could not save: {t}")),
        };
        self.notice.set(Some(msg));
    }

    /// Frees room in a full localStorage by dropping synced records in the order
    /// `Replica::eviction_candidates` gives (they stay on the server). Returns how many.
    fn free_space(&self) -> usize {
        // Records are stored a pack at a time: free about a pack's worth.
        const BATCH: usize = common::engine::packs::PACK_RECORDS;
        let victims = self.replica.with_untracked(|r| r.eviction_candidates(BATCH, common::desk::kinds::eviction_rank));
        if !victims.is_empty() {
            // Best effort: what could not be written again is on the server, and the
            // device no longer claims to hold everything (`complete` below).
            let _ = self.replica.with_untracked(|r| storage::remove_records(&victims, r));
            self.replica.update(|r| {
                for key in &victims {
                    r.evict_confirmed(*key);
                }
                r.meta.complete = false;
            });
            let _ = self.replica.with_untracked(|r| storage::save_meta(&r.meta));
        }
        victims.len()
    }

    /// Runs a storage write; when storage is full, frees room (synced records only) and
    /// tries again. The person is told what was removed.
    pub fn with_room<T>(&self, write: impl Fn() -> Result<T, SaveError>) -> Result<T, SaveError> {
        let mut evicted = 0;
        let result = loop {
            match write() {
                // The list index is only a cache: it goes before any record does.
                Err(SaveError::Quota) if storage::drop_list_index() => {}
                Err(SaveError::Quota) => match self.free_space() {
                    0 => break Err(SaveError::Quota),
                    n => evicted += n,
                },
                other => break other,
            }
        };
        if evicted > 0 && result.is_ok() {
            self.notice.set(Some((
                format!("浏览器存储已满:为保存这次修改,已从本机移除 {evicted} 条已同步的旧记录(服务器上都还在)。"),
                format!(
                    "Browser storage was full: to save this change, {evicted} older synced records were removed from this device (the server still has them)."
                ),
            )));
        }
        result
    }

    /// Records one edit (and maybe a status action) of a record, durably. On a storage
    /// failure nothing changes, in memory or on disk.
    fn edit(
        &self,
        kind: Kind,
        id: RecordId,
        values: BTreeMap<String, Value>,
        event: Option<StepWrite>,
    ) -> Result<(), SaveError> {
        self.edit_in(None, kind, id, values, event)
    }

    /// [`Ctx::edit`], a new record going to `office` (else this person's office): a shipment
    /// or a return belongs to its order's office, which head office may not share.
    fn edit_in(
        &self,
        office: Option<OfficeCode>,
        kind: Kind,
        id: RecordId,
        values: BTreeMap<String, Value>,
        event: Option<StepWrite>,
    ) -> Result<(), SaveError> {
        let Some(session) = self.session.get_untracked() else {
            return Err(SaveError::Other("not logged in".into()));
        };
        let (office, by) = (office.unwrap_or(session.user.office.code), session.user.username);
        let change = self
            .replica
            .try_update(|r| r.edit(kind, id, &office, &values, event, &by, now_ms(), random_bytes()))
            .flatten();
        let Some(change) = change else { return Ok(()) };
        self.with_room(|| storage::save_change(&change)).inspect_err(|_| self.replica.update(|r| r.retract(&change)))
    }

    /// Saves a product or freight station from the catalogue screen (a new one when `id`
    /// is none); it syncs like any record.
    pub fn save_catalogue(
        &self,
        kind: Kind,
        id: Option<RecordId>,
        values: BTreeMap<String, Value>,
    ) -> Result<RecordId, SaveError> {
        let id = id.unwrap_or_else(|| RecordId::new_v7(now_ms(), random_bytes()));
        self.edit(kind, id, values, None).map(|()| id)
    }

    /// Saves an order from the form: a new one gets a number from this device's counter.
    /// A customer typed in by name only becomes a new customer record. `correction`: the
    /// reason of a manager's 更正 of a shipped order (the only way to change one).
    pub async fn save_order(
        &self,
        existing: Option<RecordId>,
        mut fields: OrderFields,
        correction: Option<String>,
    ) -> Result<RecordId, SaveError> {
        let Some(session) = self.session.get_untracked() else {
            return Err(SaveError::Other("not logged in".into()));
        };
        // An edit that leaves the customer's name alone leaves the customer link alone too
        // (changing it would send an approved order back for nothing).
        let same_customer = existing.and_then(|id| self.replica.with_untracked(|r| r.get(Kind::ORDER, id).cloned()));
        if let Some(order) = same_customer.filter(|o| o.get_str(field::CUSTOMER_NAME) == fields.customer_name) {
            fields.customer = order.get(field::CUSTOMER).and_then(Value::as_str).and_then(|c| RecordId::parse(c).ok());
        } else if fields.customer.is_none() {
            fields.customer = match self.customer_named(&fields.customer_name) {
                Some(id) => Some(id),
                None => {
                    let id = RecordId::new_v7(now_ms(), random_bytes());
                    self.edit(Kind::CUSTOMER, id, CustomerFields::from_order(&fields).new_values(), None)?;
                    Some(id)
                }
            };
        }
        let mut values = fields.to_values();
        let id = match existing {
            Some(id) => id,
            None => {
                // The counter is shared by this browser's tabs: one at a time reads, bumps and
                // saves it, and it is saved before use, so a number is never issued twice.
                let ctx = *self;
                let (office, device, offset) =
                    (session.user.office.code.clone(), session.device_no, session.user.office.utc_offset_minutes);
                let given: Vec<String> = self
                    .replica
                    .with_untracked(|r| r.all(Kind::ORDER).map(|s| s.get_str(field::NUMBER).to_string()).collect());
                let number = crate::locks::exclusive("salesdesk-order-number", move || {
                    let mut counter = storage::load_counter();
                    let today = local_date(now_ms(), offset);
                    counter.skip_given(&office, device, today, given.iter().map(String::as_str));
                    let number = counter.next(&office, device, today);
                    ctx.with_room(|| storage::save_counter(&counter)).map(|()| number)
                })
                .await?;
                values.insert(field::NUMBER.to_string(), json!(number.format()));
                RecordId::new_v7(now_ms(), random_bytes())
            }
        };
        // Only the full app corrects a saved order (the core's form takes new ones).
        let step = correction
            .filter(|_| cfg!(feature = "full"))
            .map(|reason| self.replica.with_untracked(|r| Action::Correct { reason }.to_write(r.get(Kind::ORDER, id))));
        self.edit(Kind::ORDER, id, values, step)?;
        Ok(id)
    }

    /// Takes a step on an order: it approves the order as this screen shows it.
    pub fn act(&self, id: RecordId, action: Action) -> Result<(), SaveError> {
        let step = self.replica.with_untracked(|r| action.to_write(r.get(Kind::ORDER, id)));
        self.edit(Kind::ORDER, id, BTreeMap::new(), Some(step))
    }

    /// Records a shipment of an order, durably: for the order's first, its 发货 step
    /// first (it closes the order), then the shipment record with its waybills and lines.
    pub fn ship(&self, fields: ShipmentFields) -> Result<RecordId, SaveError> {
        let id = RecordId::new_v7(now_ms(), random_bytes());
        let order = fields.order;
        let (shipped, order_office) = self.replica.with_untracked(|r| {
            let s = r.get(Kind::ORDER, order);
            (s.is_some_and(|s| OrderView::from_record(s).progress.fact.is_some()), s.map(|s| s.office.clone()))
        });
        if !shipped {
            self.act(order, fields.ship_action(id))?;
        }
        // Goods head office sends to a branch are the branch's to expect.
        let office = match (&fields.to_branch, self.actor()) {
            (Some(b), Some(me)) if me.is_hq && order_office.as_ref() == Some(&me.office) && *b != me.office => {
                Some(b.clone())
            }
            _ => order_office,
        };
        self.edit_in(office, Kind::SHIPMENT, id, fields.to_values(), None)?;
        Ok(id)
    }

    /// A step on a shipment or a station-log entry (a call, a receipt, a print, a correction
    /// with the corrected `values`).
    pub fn ship_step(
        &self,
        kind: Kind,
        id: RecordId,
        action: ShipAction,
        values: BTreeMap<String, Value>,
    ) -> Result<(), SaveError> {
        let wf = if kind == Kind::SHIPMENT { &SHIPMENT_WORKFLOW } else { &STATION_LOG_WORKFLOW };
        let step = self.replica.with_untracked(|r| action.to_write(wf, r.get(kind, id)));
        self.edit(kind, id, values, Some(step))
    }

    /// Logs a freight station's call (an arrival or a return), in the office of the order
    /// it names, if any.
    pub fn log_station_call(&self, values: BTreeMap<String, Value>) -> Result<RecordId, SaveError> {
        let id = RecordId::new_v7(now_ms(), random_bytes());
        let order = values.get("order").and_then(Value::as_str).and_then(|o| RecordId::parse(o).ok());
        let office =
            order.and_then(|o| self.replica.with_untracked(|r| r.get(Kind::ORDER, o).map(|s| s.office.clone())));
        self.edit_in(office, Kind::STATION_LOG, id, values, None).map(|()| id)
    }

    /// Every shipment on this device, tracked.
    /// Shipments whose morning call is late (the badge on 发货 in the menu).
    pub fn overdue_calls(&self) -> usize {
        let offset = self.offset_minutes();
        let now = now_ms();
        let (hour, _) = self.office_rules();
        self.replica.with(|r| self.late_calls.try_update_value(|c| c.count(r, now, offset, hour)).unwrap_or(0))
    }

    /// This office's hour for the morning calls and days to wait for a receipt.
    pub fn office_rules(&self) -> (u32, u32) {
        self.session
            .with_untracked(|s| s.as_ref().map(|s| (s.user.office.notice_hour, s.user.office.receipt_days)))
            .unwrap_or((
                common::desk::shipping::DEFAULT_NOTICE_HOUR,
                common::desk::shipping::DEFAULT_RECEIPT_DAYS as u32,
            ))
    }

    /// Whether this person keeps the office's list of stations (the 产品与物流 screen).
    pub fn keeps_stations(&self) -> bool {
        use common::desk::permissions::Role;
        self.actor().is_some_and(|a| {
            if a.is_hq {
                matches!(a.role, Role::Manager | Role::Admin)
            } else {
                matches!(a.role, Role::Clerk | Role::Manager | Role::Admin)
            }
        })
    }

    pub fn shipments(&self) -> Vec<ShipmentView> {
        self.replica.with(|r| r.all(Kind::SHIPMENT).map(ShipmentView::from_record).collect())
    }

    /// Every station-log entry on this device, tracked.
    pub fn station_log(&self) -> Vec<LogView> {
        self.replica.with(|r| r.all(Kind::STATION_LOG).map(LogView::from_record).collect())
    }

    /// What an order shipped, has still to ship and got back, tracked.
    pub fn shipping_of(&self, order: &OrderView) -> (Shipping, Vec<ShipmentView>) {
        let shipments: Vec<ShipmentView> = self.shipments().into_iter().filter(|s| s.order == Some(order.id)).collect();
        let log: Vec<LogView> = self.station_log().into_iter().filter(|e| e.order == Some(order.id)).collect();
        (summarize(order, &shipments, &log), shipments)
    }

    /// An order as the lists show it: 部分发货 while goods are still to ship.
    pub fn order_view(&self, state: &common::engine::record::RecordState) -> OrderView {
        let mut view = OrderView::from_record(state);
        if view.progress.fact.is_some() {
            let (shipping, _) = self.shipping_of(&view);
            view.apply_shipping(&shipping);
        }
        view
    }

    /// A customer's credit limit, if one is set, and what they owe or are committed to
    /// besides order `except`, as this device knows it (its last sync; the server checks
    /// again at the audit). Exposure counts partly and wholly shipped alike, so the
    /// shipments need not be read.
    pub fn credit_of(
        &self,
        customer: RecordId,
        except: RecordId,
    ) -> Option<(common::desk::money::Fen, common::desk::money::Fen)> {
        let limit = self
            .replica
            .with_untracked(|r| r.get(Kind::CUSTOMER, customer).map(common::desk::customer::CustomerView::from_record))?
            .credit_limit?;
        let orders: Vec<OrderView> = self.replica.with_untracked(|r| {
            let openings = r.all(Kind::OPENING).map(|s| common::desk::opening::Opening::from_record(s).as_order());
            r.all(Kind::ORDER)
                .map(OrderView::from_record)
                .chain(openings)
                .filter(|o| o.customer == Some(customer))
                .collect()
        });
        Some((limit, common::desk::payments::exposure(&orders, &self.payments(), except)))
    }

    /// Every payment on this device, tracked.
    pub fn payments(&self) -> Vec<PaymentView> {
        self.replica.with(|r| r.all(Kind::PAYMENT).map(PaymentView::from_record).collect())
    }

    /// What confirmed payments have paid towards an order, tracked.
    pub fn paid_for(&self, order: RecordId) -> common::desk::money::Fen {
        common::desk::payments::paid(order, &self.payments())
    }

    /// Records a payment (in `office`, else this person's), durably.
    pub fn record_payment(
        &self,
        office: Option<OfficeCode>,
        values: BTreeMap<String, Value>,
    ) -> Result<RecordId, SaveError> {
        let id = RecordId::new_v7(now_ms(), random_bytes());
        self.edit_in(office, Kind::PAYMENT, id, values, None).map(|()| id)
    }

    /// The cashier's 确认 of a payment as this screen shows it.
    pub fn payment_step(&self, id: RecordId) -> Result<(), SaveError> {
        let step = self.replica.with_untracked(|r| {
            common::desk::payments::PAYMENT_WORKFLOW.step_write(r.get(Kind::PAYMENT, id), "confirm", BTreeMap::new())
        });
        self.edit(Kind::PAYMENT, id, BTreeMap::new(), Some(step))
    }

    /// Writes a record of `kind` (new or not) in `office` (else this person's), durably:
    /// a statement sent, a day's money.
    pub fn save_in(
        &self,
        office: Option<OfficeCode>,
        kind: Kind,
        id: RecordId,
        values: BTreeMap<String, Value>,
    ) -> Result<(), SaveError> {
        self.edit_in(office, kind, id, values, None)
    }

    /// Writes several fields of a record at once (a customer's details).
    pub fn settle_many(&self, kind: Kind, id: RecordId, values: BTreeMap<String, Value>) -> Result<(), SaveError> {
        self.edit(kind, id, values, None)
    }

    /// Settles a conflict by writing the chosen value over every live one.
    pub fn settle(&self, kind: Kind, id: RecordId, field: &str, value: Value) -> Result<(), SaveError> {
        let mut values = BTreeMap::new();
        values.insert(field.to_string(), value);
        self.edit(kind, id, values, None)
    }

    /// Drops every confirmed record, on the device and in memory; the next sync pulls
    /// them again from the beginning. Unsynced changes stay.
    pub fn forget_records(&self) {
        storage::forget_records();
        self.replica.update(|r| r.forget_confirmed());
    }

    pub fn dismiss_refused(&self, id: ChangeId) {
        self.replica.update(|r| {
            r.dismiss_refused(id);
        });
        storage::remove_refused(id);
    }

    /// The customer a name typed at order entry is: one whose name is exactly that.
    pub fn customer_named(&self, name: &str) -> Option<RecordId> {
        self.replica.with_untracked(|r| {
            r.all(Kind::CUSTOMER).map(CustomerView::from_record).find(|c| c.name == name).map(|c| c.id)
        })
    }

    pub fn customers(&self) -> Vec<CustomerView> {
        self.pinyin.track();
        self.replica.with(|r| r.all(Kind::CUSTOMER).map(CustomerView::from_record).collect())
    }

    /// The contract / member number the catalogue has for a station, by name.
    pub fn station_contract(&self, name: &str) -> Option<String> {
        self.replica.with_untracked(|r| {
            r.all(Kind::STATION).find(|s| s.get_str("name") == name).map(|s| s.get_str("contract").to_string())
        })
    }

    /// A blank new order, now: the form (open or about to open) starts afresh; what was
    /// typed before stays a draft.
    pub fn request_blank_order(&self) {
        self.blank_requested.set(true);
        self.new_order.update(|n| *n += 1);
    }

    /// Whether a blank order was asked for (once).
    pub fn take_blank_request(&self) -> bool {
        let asked = self.blank_requested.get_untracked();
        if asked {
            self.blank_requested.set(false);
        }
        asked
    }

    /// Drafts changed in this tab: lists of them follow.
    pub fn drafts_changed(&self) {
        self.drafts.update(|n| *n += 1);
    }
}
