//! Unsaved orders (草稿). Every order being typed is kept on this device as it is typed,
//! one key each (`sd1:d:{id}`), so leaving the page, a reload or a crash loses nothing;
//! it stays listed until it is saved or discarded. Drafts never sync: they are not orders
//! yet. Each is its typist's: on a shared browser one person's drafts are not another's.
//!
//! Kept as a JSON list of strings: [`FORM`], the draft's id, the order it changes (or
//! empty), when it was last typed in (ms), whose it is (or empty), then the form
//! (`common::desk::draft_strings`). Until 2026-12-06 a JSON object of `Draft`'s fields:
//! the core hands a store holding one to the full app, which rewrites it
//! ([`rewrite_older`]).

use crate::state::{now_ms, random_bytes};
use crate::storage::SaveError;
use common::desk::order::OrderDraft;
use common::engine::ids::RecordId;
use gloo_storage::{LocalStorage, Storage};

pub const PREFIX: &str = "sd1:d:";
const FORM: &str = "d1";

#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "full", derive(serde::Deserialize))]
pub struct Draft {
    pub id: String,
    /// The order being changed; `None` for a new order.
    pub editing: Option<RecordId>,
    pub updated_ms: u64,
    pub order: OrderDraft,
    /// Whose draft it is (the user name).
    #[cfg_attr(feature = "full", serde(default))]
    pub owner: Option<String>,
}

impl Draft {
    pub fn new(editing: Option<RecordId>, order: OrderDraft) -> Draft {
        Draft {
            id: RecordId::new_v7(now_ms(), random_bytes()).to_string(),
            editing,
            updated_ms: now_ms(),
            order,
            owner: current_user(),
        }
    }

    /// Worth keeping: something was typed.
    pub fn has_content(&self) -> bool {
        let o = &self.order;
        !o.customer_name.trim().is_empty() || !o.notes.trim().is_empty() || o.lines.iter().any(|l| !l.is_blank())
    }

    fn to_strings(&self) -> Vec<String> {
        let mut v = vec![
            FORM.to_string(),
            self.id.clone(),
            self.editing.map(|e| e.to_string()).unwrap_or_default(),
            self.updated_ms.to_string(),
            self.owner.clone().unwrap_or_default(),
        ];
        self.order.push_strings(&mut v);
        v
    }

    fn from_strings(v: &[String]) -> Option<Draft> {
        let [form, id, editing, updated_ms, owner, order @ ..] = v else { return None };
        if form != FORM {
            return None;
        }
        Some(Draft {
            id: id.clone(),
            editing: if editing.is_empty() { None } else { Some(RecordId::parse(editing).ok()?) },
            updated_ms: updated_ms.parse().ok()?,
            owner: (!owner.is_empty()).then(|| owner.clone()),
            order: OrderDraft::from_strings(order)?,
        })
    }
}

pub fn save(d: &Draft) -> Result<(), SaveError> {
    LocalStorage::set(format!("{PREFIX}{}", d.id), d.to_strings()).map_err(SaveError::from)
}

fn read(key: &str) -> Option<Draft> {
    Draft::from_strings(&LocalStorage::get::<Vec<String>>(key).ok()?)
}

/// Drafts an earlier version kept as JSON objects, kept again in this form.
#[cfg(feature = "full")]
pub fn rewrite_older() {
    for key in crate::storage::all_keys().into_iter().filter(|k| k.starts_with(PREFIX)) {
        let older = LocalStorage::raw().get_item(&key).ok().flatten().is_some_and(|v| v.starts_with('{'));
        if let Some(d) = older.then(|| LocalStorage::get::<Draft>(&key).ok()).flatten() {
            let _ = save(&d);
        }
    }
}

/// A new draft holding `order` (a copy of a refused one, say), stored; its id.
pub fn start(order: OrderDraft) -> Result<String, SaveError> {
    let d = Draft::new(None, order);
    save(&d)?;
    Ok(d.id)
}

/// Who is logged in on this browser, from the stored session.
fn current_user() -> Option<String> {
    crate::storage::load_session().map(|s| s.user.username)
}

/// A draft of whoever is logged in.
pub fn load(id: &str) -> Option<Draft> {
    read(&format!("{PREFIX}{id}")).filter(|d| d.owner.is_none() || d.owner == current_user())
}

pub fn discard(id: &str) {
    LocalStorage::delete(format!("{PREFIX}{id}"));
}

/// Every draft of whoever is logged in on this device, the most recent first.
pub fn list() -> Vec<Draft> {
    let raw = LocalStorage::raw();
    let n = raw.length().unwrap_or(0);
    let me = current_user();
    let mut v: Vec<Draft> = (0..n)
        .filter_map(|i| raw.key(i).ok().flatten())
        .filter(|k| k.starts_with(PREFIX))
        .filter_map(|k| read(&k))
        .filter(|d| d.owner.is_none() || d.owner == me)
        .collect();
    common::sort::sort_by_key(&mut v, |d: &Draft| std::cmp::Reverse(d.updated_ms));
    v
}

/// The unsaved edit of an existing order, if one was left.
pub fn for_order(id: RecordId) -> Option<Draft> {
    list().into_iter().find(|d| d.editing == Some(id))
}
