//! One module per screen.

pub mod customers;
pub mod login;
pub mod order_detail;
pub mod order_form;
pub mod orders;
pub mod settings;

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

/// An area of the navigation whose screens come in a later release: said plainly.
#[component]
pub fn Later(area: &'static str) -> impl IntoView {
    let i = use_i18n();
    let title = move || match area {
        "shipments" => i.t("发货", "Shipments"),
        _ => i.t("报表", "Reports"),
    };
    view! {
        <section>
            <h1>{title}</h1>
            <p class="muted">{i.s("此功能将在后续版本开放。", "This area arrives in a later release.")}</p>
        </section>
    }
}
