//! One module per screen.

pub mod admin;
pub mod catalogue;
pub mod customer;
pub mod customers;
pub mod login;
pub mod order_detail;
pub mod order_form;
pub mod orders;
pub mod payments;
pub mod print;
pub mod reconciliation;
pub mod reports;
pub mod settings;
pub mod setup;
pub mod shipping;
pub mod stock;

use crate::i18n::use_i18n;
use leptos::prelude::*;
use leptos_router::components::A;

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
