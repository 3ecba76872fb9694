//! Salesdesk's browser app: Leptos, rendered on the client, working from localStorage.
//! Built twice: the full app, and (without the `full` feature) the small core a phone
//! downloads first. Shared modules hold code only the full app calls.
#![cfg_attr(not(feature = "full"), allow(dead_code))]

mod admin_api;
mod components;
mod drafts;
mod excel;
mod i18n;
mod locks;
mod pages;
mod state;
mod storage;
mod sync;

use components::Shell;
use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;
use state::Ctx;
use wasm_bindgen::prelude::*;

#[component]
fn App() -> impl IntoView {
    let (ctx, rest) = Ctx::load();
    provide_context(ctx);
    provide_context(ctx.i18n);
    // The page's language attribute follows the switch (screen readers, fonts).
    Effect::new(move |_| {
        let lang = ctx.i18n.lang();
        if let Some(el) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
            let _ = el.set_attribute("lang", lang.code());
        }
    });
    listen_to_outside_world(ctx);
    one_tab_without_web_locks(ctx);
    match rest {
        None => sync::start_loop(ctx),
        Some(loader) => ctx.read_rest(loader, move || sync::start_loop(ctx)),
    }
    // The list index follows the replica (written once it rests: see `Ctx::list_index_soon`).
    Effect::new(move |_| {
        ctx.replica.track();
        if ctx.loaded.get() {
            ctx.list_index_soon();
        }
    });
    ctx.fetch_pinyin();
    view! {
        <Show when=move || !ctx.elsewhere.get() fallback=|| view! { <pages::OtherTab/> }>
        <Router>
            {routes()}
        </Router>
        </Show>
    }
}

/// The core app's screens; any other address is the full app's (the page loads again,
/// and `boot.js` picks the full app for it). `/`, the order list too, is taken in the
/// fallback: each route is a type of its own, with its own copy of the router's matching.
#[cfg(not(feature = "full"))]
fn routes() -> impl IntoView {
    let elsewhere = || {
        if leptos_router::hooks::use_location().pathname.get_untracked() == "/" {
            view! { <Shell><pages::orders::OrderList/></Shell> }.into_any()
        } else {
            view! { <pages::ElsewhereInFullApp/> }.into_any()
        }
    };
    view! {
        <Routes fallback=elsewhere>
            <Route path=path!("/login") view=pages::login::LoginPage/>
            <Route path=path!("/orders") view=|| view! { <Shell><pages::orders::OrderList/></Shell> }/>
            <Route path=path!("/orders/new") view=|| view! { <Shell><pages::order_form::OrderForm/></Shell> }/>
        </Routes>
    }
}

#[cfg(feature = "full")]
fn routes() -> impl IntoView {
    view! {
            <Routes fallback=|| view! { <pages::NotFound/> }>
                <Route path=path!("/login") view=pages::login::LoginPage/>
                <Route path=path!("/setup") view=pages::setup::SetupPage/>
                <Route path=path!("/upgrade") view=pages::Upgraded/>
                <Route path=path!("/admin") view=|| view! { <Shell><pages::admin::AdminPage/></Shell> }/>
                <Route path=path!("/catalogue") view=|| view! { <Shell><pages::catalogue::CataloguePage/></Shell> }/>
                <Route path=path!("/") view=|| view! { <Shell><pages::orders::OrderList/></Shell> }/>
                <Route path=path!("/orders") view=|| view! { <Shell><pages::orders::OrderList/></Shell> }/>
                <Route path=path!("/orders/new") view=|| view! { <Shell><pages::order_form::OrderForm/></Shell> }/>
                // The core's order list hands these two to the full app (pages::orders::FIND).
                <Route path=path!("/orders/find") view=|| view! { <Shell><pages::orders::OrderList/></Shell> }/>
                <Route path=path!("/orders/export") view=|| view! { <Shell><pages::orders::OrderList/></Shell> }/>
                <Route path=path!("/orders/:id/edit") view=|| view! { <Shell><pages::order_form::OrderForm/></Shell> }/>
                <Route path=path!("/orders/:id/print") view=pages::print::PrintOrder/>
                <Route path=path!("/shipments/:id/print") view=pages::print::PrintShipment/>
                <Route path=path!("/station-log/:id/print") view=pages::print::PrintStationNote/>
                <Route path=path!("/picking/print") view=pages::print::PrintPicking/>
                <Route path=path!("/orders/:id") view=|| view! { <Shell><pages::order_detail::OrderDetail/></Shell> }/>
                <Route path=path!("/collections") view=|| view! { <Shell><pages::payments::CollectionsPage/></Shell> }/>
                <Route path=path!("/payments") view=|| view! { <Shell><pages::payments::PaymentsPage/></Shell> }/>
                <Route path=path!("/customers/:id/statement") view=pages::print::PrintStatement/>
                <Route path=path!("/customers/:id") view=|| view! { <Shell><pages::customer::CustomerPage/></Shell> }/>
                <Route path=path!("/customers") view=|| view! { <Shell><pages::customers::CustomerList/></Shell> }/>
                <Route path=path!("/shipments") view=|| view! { <Shell><pages::shipping::ShipmentsPage/></Shell> }/>
                <Route path=path!("/reports") view=|| view! { <Shell><pages::reports::ReportsPage/></Shell> }/>
                <Route path=path!("/settings") view=|| view! { <Shell><pages::settings::Settings/></Shell> }/>
            </Routes>
    }
}

/// On an address that is not a secure origin (plain HTTP on a LAN) browsers give no Web
/// Locks, which keep two tabs from handing out the same change seqs and order numbers:
/// there the app is used in one tab at a time.
fn one_tab_without_web_locks(ctx: Ctx) {
    if locks::has_web_locks() {
        return;
    }
    if locks::OneTab::other_in_use() {
        ctx.elsewhere.set(true);
        return;
    }
    locks::OneTab::claim();
    locks::OneTab::keep(move || ctx.elsewhere.set(true));
}

/// Browser events that concern sync: coming back online, and other tabs writing.
fn listen_to_outside_world(ctx: Ctx) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let online = Closure::<dyn Fn()>::new(move || {
        ctx.fetch_pinyin();
        sync::kick(ctx)
    });
    let _ = window.add_event_listener_with_callback("online", online.as_ref().unchecked_ref());
    online.forget();
    let storage = Closure::<dyn Fn(web_sys::StorageEvent)>::new(move |e: web_sys::StorageEvent| {
        if e.key().is_none_or(|k| k.starts_with("sd1:")) {
            ctx.apply_storage_event(e.key(), e.new_value());
        }
    });
    let _ = window.add_event_listener_with_callback("storage", storage.as_ref().unchecked_ref());
    storage.forget();
    // Leaving the page (a reload, a link to the full app, the tab closed): the list index
    // is brought up to date now rather than lost with the page's timers.
    let leaving = Closure::<dyn Fn()>::new(move || ctx.store_list_index());
    let _ = window.add_event_listener_with_callback("pagehide", leaving.as_ref().unchecked_ref());
    leaving.forget();
}

fn main() {
    console_error_panic_hook::set_once();
    #[cfg(not(feature = "full"))]
    if storage::is_older() {
        pages::open_in_full_app();
        return;
    }
    leptos::mount::mount_to_body(App);
}
