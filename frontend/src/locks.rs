//! Web Locks (`navigator.locks`): how tabs of one browser take turns. Browsers without
//! them (old Safari) run as a single tab would.

use crate::state::device_now_ms;
use js_sys::{Function, Promise, Reflect};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

fn lock_manager() -> Option<(JsValue, Function)> {
    let window = web_sys::window()?;
    let locks = Reflect::get(&window.navigator(), &JsValue::from_str("locks")).ok()?;
    if locks.is_undefined() || locks.is_null() {
        return None;
    }
    let request = Reflect::get(&locks, &JsValue::from_str("request")).ok()?.dyn_into::<Function>().ok()?;
    Some((locks, request))
}

/// Takes the lock `name` for good (until the tab closes) and then calls `on_granted`.
/// False if the browser has no Web Locks.
pub fn hold_forever(name: &str, on_granted: impl FnOnce() + 'static) -> bool {
    let Some((locks, request)) = lock_manager() else { return false };
    let granted = Closure::once_into_js(move |_lock: JsValue| -> JsValue {
        on_granted();
        Promise::new(&mut |_, _| {}).into()
    });
    request.call2(&locks, &JsValue::from_str(name), &granted).is_ok()
}

/// Runs `f` while holding the lock `name`, so no other tab runs its own `f` under the
/// same name at the same time (a read-modify-write of shared storage, say).
pub async fn exclusive<R: 'static>(name: &str, f: impl FnOnce() -> R + 'static) -> R {
    let job = Rc::new(RefCell::new(Some(f)));
    let result: Rc<RefCell<Option<R>>> = Rc::new(RefCell::new(None));
    if let Some((locks, request)) = lock_manager() {
        let (job2, result2) = (job.clone(), result.clone());
        let granted = Closure::once_into_js(move |_lock: JsValue| -> JsValue {
            if let Some(f) = job2.borrow_mut().take() {
                *result2.borrow_mut() = Some(f());
            }
            JsValue::UNDEFINED
        });
        if let Ok(promise) = request.call2(&locks, &JsValue::from_str(name), &granted) {
            let _ = wasm_bindgen_futures::JsFuture::from(Promise::from(promise)).await;
        }
    }
    // No Web Locks, or the request failed: this tab is on its own.
    if let Some(f) = job.borrow_mut().take() {
        return f();
    }
    let out = result.borrow_mut().take();
    out.unwrap_or_else(|| unreachable!("the lock callback ran the job"))
}

/// Whether this browser gives tabs Web Locks: only on a secure origin (HTTPS, or
/// localhost). Without them the app keeps to one tab (see [`OneTab`]).
pub fn has_web_locks() -> bool {
    lock_manager().is_some()
}

/// One tab at a time, for browsers without Web Locks (a plain-HTTP address on a LAN):
/// two tabs would hand out the same change seqs and order numbers. The tab in use writes
/// its id and the time to `sd1:tab` every two seconds; another tab that finds a fresh
/// entry that is not its own stays out of the way until the person moves to it.
pub struct OneTab;

const TAB_KEY: &str = "sd1:tab";
/// An entry older than this is a closed tab's.
const STALE_MS: u64 = 6_000;

thread_local! {
    /// This tab's id, kept in session storage so that it survives the tab's reloads.
    static TAB_ID: String = {
        let session = web_sys::window().and_then(|w| w.session_storage().ok().flatten());
        let kept = session.as_ref().and_then(|s| s.get_item("sd:tab-id").ok().flatten());
        kept.unwrap_or_else(|| {
            let id = format!("{:016x}", u64::from_le_bytes(crate::state::random_bytes::<8>()));
            if let Some(s) = &session {
                let _ = s.set_item("sd:tab-id", &id);
            }
            id
        })
    };
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

impl OneTab {
    /// Whether another tab is in use now (so this one must not be).
    pub fn other_in_use() -> bool {
        let Some(s) = storage() else { return false };
        let Some(v) = s.get_item(TAB_KEY).ok().flatten() else { return false };
        let mut parts = v.split(' ');
        let (id, at) = (parts.next().unwrap_or(""), parts.next().and_then(|t| t.parse::<u64>().ok()).unwrap_or(0));
        // Whole milliseconds, so no float formatting or parsing is compiled in for them.
        TAB_ID.with(|me| id != me) && device_now_ms().saturating_sub(at) < STALE_MS
    }

    /// This tab is the one in use (now, and on every heartbeat).
    pub fn claim() {
        if let Some(s) = storage() {
            let _ = TAB_ID.with(|me| s.set_item(TAB_KEY, &format!("{me} {}", device_now_ms())));
        }
    }

    /// Keeps the claim fresh; calls `lost` once another tab has taken over.
    pub fn keep(lost: impl Fn() + 'static) {
        leptos::task::spawn_local(async move {
            loop {
                gloo_timers::future::TimeoutFuture::new(2_000).await;
                if OneTab::other_in_use() {
                    lost();
                    return;
                }
                OneTab::claim();
            }
        });
    }
}
