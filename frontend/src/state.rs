//! The app's shared state and the operations screens call. Each operation changes the
//! in-memory replica and writes it to localStorage before it returns: when a screen says
//! "saved", the change is on the device.

use crate::i18n::{I18n, Lang};
use crate::storage::{self, SaveError};
use common::customer::CustomerView;
use common::ids::{ClientId, RecordId};
use common::order::{field, Action, OrderFields};
use common::permissions::Actor;
use common::record::Kind;
use common::replica::Replica;
use common::time::local_date;
use common::wire::LoginResponse;
use leptos::prelude::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

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
}

#[derive(Clone, Copy)]
pub struct Ctx {
    pub replica: RwSignal<Replica>,
    pub session: RwSignal<Option<LoginResponse>>,
    pub sync: RwSignal<SyncState>,
    pub i18n: I18n,
    /// A message for the whole app (storage full, ...), as (中文, English).
    pub notice: RwSignal<Option<(String, String)>>,
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

impl Ctx {
    pub fn load() -> Ctx {
        let lang = Lang::parse(&storage::load_lang().unwrap_or_default());
        let mut session = storage::load_session();
        let replica = storage::load_replica().unwrap_or_else(|| {
            // Wiped or new: an old session belongs to a device id that is gone.
            session = None;
            storage::clear_session();
            fresh_replica()
        });
        Ctx {
            replica: RwSignal::new(replica),
            session: RwSignal::new(session),
            sync: RwSignal::new(SyncState::default()),
            i18n: I18n(RwSignal::new(lang)),
            notice: RwSignal::new(None),
        }
    }

    /// Another tab wrote to storage: take its view of things.
    pub fn reload_from_storage(&self) {
        if let Some(r) = storage::load_replica() {
            self.replica.set(r);
        }
        self.session.set(storage::load_session());
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
            .unwrap_or(common::time::DEFAULT_OFFSET_MINUTES)
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

    /// Records one edit (and maybe a status action) of a record, durably. On a storage
    /// failure nothing changes, in memory or on disk.
    fn edit(
        &self,
        kind: Kind,
        id: RecordId,
        values: BTreeMap<String, Value>,
        event: Option<Action>,
    ) -> Result<(), SaveError> {
        let Some(session) = self.session.get_untracked() else {
            return Err(SaveError::Other("not logged in".into()));
        };
        let (office, by) = (session.user.office.code, session.user.username);
        self.replica
            .try_update(|r| {
                let Some(change) = r.edit(kind, id, &office, &values, event, &by, now_ms(), random_bytes()) else {
                    return Ok(());
                };
                storage::save_change(&change, &r.meta).inspect_err(|_| r.retract_last(&change))
            })
            .unwrap_or(Ok(()))
    }

    /// Saves an order from the form: a new one gets a number from this device's counter.
    /// A customer typed in by name only becomes a new customer record.
    pub fn save_order(&self, existing: Option<RecordId>, mut fields: OrderFields) -> Result<RecordId, SaveError> {
        let Some(session) = self.session.get_untracked() else {
            return Err(SaveError::Other("not logged in".into()));
        };
        if fields.customer.is_none() {
            let id = RecordId::new_v7(now_ms(), random_bytes());
            let mut values = BTreeMap::new();
            values.insert("name".to_string(), json!(fields.customer_name));
            values.insert("phone".to_string(), json!(fields.phone));
            values.insert("address".to_string(), json!(fields.address));
            values.insert("station".to_string(), json!(fields.station));
            values.insert("station_contract".to_string(), json!(fields.station_contract));
            values.insert("payment".to_string(), json!(fields.payment.code()));
            self.edit(Kind::Customer, id, values, None)?;
            fields.customer = Some(id);
        }
        let mut values = fields.to_values();
        let id = match existing {
            Some(id) => id,
            None => {
                let mut counter = storage::load_counter();
                let today = local_date(now_ms(), session.user.office.utc_offset_minutes);
                let number = counter.next(&session.user.office.code, session.device_no, today);
                // The counter is saved first: a number is never issued twice, at worst skipped.
                storage::save_counter(&counter)?;
                values.insert(field::NUMBER.to_string(), json!(number.format()));
                RecordId::new_v7(now_ms(), random_bytes())
            }
        };
        self.edit(Kind::Order, id, values, None)?;
        Ok(id)
    }

    pub fn act(&self, id: RecordId, action: Action) -> Result<(), SaveError> {
        self.edit(Kind::Order, id, BTreeMap::new(), Some(action))
    }

    /// Settles a conflict by writing the chosen value over every live one.
    pub fn settle(&self, kind: Kind, id: RecordId, field: &str, value: Value) -> Result<(), SaveError> {
        let mut values = BTreeMap::new();
        values.insert(field.to_string(), value);
        self.edit(kind, id, values, None)
    }

    pub fn dismiss_refused(&self, seq: u64) {
        self.replica.update(|r| {
            r.dismiss_refused(seq);
        });
        storage::remove_refused(seq);
    }

    pub fn customers(&self) -> Vec<CustomerView> {
        self.replica.with(|r| r.all(Kind::Customer).map(CustomerView::from_record).collect())
    }
}
