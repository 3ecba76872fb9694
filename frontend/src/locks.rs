//! Web Locks (`navigator.locks`): how tabs of one browser take turns. Browsers without
//! them (old Safari) run as a single tab would.

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
