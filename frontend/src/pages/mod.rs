//! One module per screen.

#[cfg(feature = "full")]
pub mod admin;
#[cfg(feature = "full")]
pub mod catalogue;
#[cfg(feature = "full")]
pub mod customer;
#[cfg(feature = "full")]
pub mod customers;
pub mod login;
#[cfg(feature = "full")]
pub mod order_detail;
pub mod order_form;
pub mod orders;
#[cfg(feature = "full")]
pub mod payments;
#[cfg(feature = "full")]
pub mod print;
#[cfg(feature = "full")]
pub mod reconciliation;
#[cfg(feature = "full")]
pub mod reports;
#[cfg(feature = "full")]
pub mod settings;
#[cfg(feature = "full")]
pub mod setup;
#[cfg(feature = "full")]
pub mod shipping;
#[cfg(feature = "full")]
pub mod stock;

use crate::i18n::use_i18n;
use leptos::prelude::*;
use leptos_router::components::A;

/// In the core app, a screen only the full app has: load the page again, and `boot.js`
/// starts the full app for this address (from the service worker's cache when offline).
#[cfg(not(feature = "full"))]
#[component]
pub fn ElsewhereInFullApp() -> impl IntoView {
    let i = use_i18n();
    let to = leptos_router::hooks::use_location();
    let (path, search, hash) = (to.pathname.get_untracked(), to.search.get_untracked(), to.hash.get_untracked());
    let with = |mark: &str, s: String| if s.is_empty() || s.starts_with(mark) { s } else { format!("{mark}{s}") };
    let target = format!("{path}{}{}", with("?", search), with("#", hash));
    if let Some(w) = web_sys::window() {
        // The router may not have put the new address in the bar yet: go there.
        let _ = if w.location().pathname().ok().as_deref() == Some(path.as_str()) {
            w.location().reload()
        } else {
            w.location().assign(&target)
        };
    }
    view! { <main class="narrow"><p class="muted" role="status">{i.s("正在打开…", "Opening…")}</p></main> }
}

/// The core hands what only the full app does (upgrading storage an older version wrote,
/// recovering after the server was restored from a backup) to the full app: `/upgrade` is
/// not a core address, so `boot.js` starts the full app (from the service worker's cache
/// when offline), which does it as it loads and then shows the screen that was open.
#[cfg(not(feature = "full"))]
pub fn open_in_full_app() {
    let Some(w) = web_sys::window() else { return };
    let l = w.location();
    let here = format!("{}{}", l.pathname().unwrap_or_default(), l.search().unwrap_or_default());
    let _ = l.replace(&format!("/upgrade?to={}", js_sys::encode_uri_component(&here)));
}

/// Where the full app lands when the core hands it work (see `open_in_full_app`; the
/// storage upgrade is done as the app loads, by `Ctx::load`, the recovery by the sync loop):
/// on the screen that was open.
#[cfg(feature = "full")]
#[component]
pub fn Upgraded() -> impl IntoView {
    let to = leptos_router::hooks::use_query_map().get_untracked().get("to");
    let to = to.filter(|t| is_own_screen(t)).unwrap_or_else(|| "/orders".to_string());
    let replace = leptos_router::NavigateOptions { replace: true, ..Default::default() };
    view! { <leptos_router::components::Redirect path=to options=replace/> }
}

/// An address of this app's own screens (so `?to=` cannot send anyone elsewhere, or back
/// to `/upgrade`).
#[cfg(feature = "full")]
fn is_own_screen(to: &str) -> bool {
    to.starts_with('/') && !to.starts_with("//") && !to.contains('\\') && !to.starts_with("/upgrade")
}

#[component]
pub fn NotFound() -> impl IntoView {
    let i = use_i18n();
    view! {
        <main class="narrow">
            <h1>{i.s("没有这个页面", "No such page")}</h1>
            <A href="/orders">{i.s("回到订单", "Back to orders")}</A>
        </main>
    }
}

/// This tab stands aside: another tab is in use, and without Web Locks (not HTTPS) two
/// tabs could give the same order number twice.
#[component]
pub fn OtherTab() -> impl IntoView {
    let i = crate::state::use_ctx().i18n;
    let here = move |_| {
        crate::locks::OneTab::claim();
        if let Some(w) = web_sys::window() {
            let _ = w.location().reload();
        }
    };
    view! {
        <main class="narrow other-tab">
            <h1>{i.s("已在另一个标签页中打开", "Open in another tab")}</h1>
            <p>{i.s(
                "本系统通过不安全的地址(http)访问,浏览器无法协调多个标签页,同时使用可能产生重复的订单号。请在另一个标签页继续,或在这里继续使用(另一个标签页将停止)。使用 HTTPS 地址可同时打开多个标签页。",
                "This address is not secure (plain http), so the browser cannot coordinate tabs, and two tabs at once could give the same order number twice. Carry on in the other tab, or use this one instead (the other stops). Over HTTPS several tabs can be open at once.")}</p>
            <button type="button" class="primary" on:click=here>{i.s("在这里使用", "Use this tab")}</button>
        </main>
    }
}
