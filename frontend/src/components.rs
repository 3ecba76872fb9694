//! Pieces every screen uses: the shell (header, navigation, sync badge), status labels,
//! and the keyboard-driven lookup box.

use crate::i18n::{self, Lang};
use crate::state::use_ctx;
use crate::storage;
use common::desk::order::Status;
use leptos::prelude::*;
use leptos_router::components::{Redirect, A};
use leptos_router::hooks::{use_location, use_navigate};
use wasm_bindgen::JsCast;

/// Every signed-in screen: header with office, user, sync state and language; navigation.
#[component]
pub fn Shell(children: ChildrenFn) -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let logged_in = move || ctx.session.with(Option::is_some);
    let navigate = use_navigate();
    // Unsynced work stays on the device under its owner's name and syncs at their next
    // log-in; the first press says so, the second logs out.
    let warned = RwSignal::new(false);
    let logout = move |_| {
        // Until every record is read the outbox is not known: the warning could not be given.
        if !ctx.loaded.get_untracked() {
            return;
        }
        let pending = ctx.pending();
        if pending > 0 && !warned.get_untracked() {
            warned.set(true);
            ctx.notice.set(Some((
                format!("还有 {pending} 条修改未同步:它们会留在这台设备上,你下次登录时自动同步,不会以别人的名义发送。再点一次“退出”即退出。"),
                format!("{pending} changes are not synced yet: they stay on this device and sync when you next log in, never in anyone else's name. Press Log out again to log out."),
            )));
            return;
        }
        if let Some(s) = ctx.session.get_untracked() {
            leptos::task::spawn_local(crate::sync::logout(s.token));
        }
        // A shared computer: the next person must not see this office's records.
        ctx.forget_records();
        storage::clear_session();
        ctx.session.set(None);
        navigate("/login", Default::default());
    };
    let who = move || {
        ctx.session.with(|s| {
            s.as_ref()
                .map(|s| {
                    format!("{} · {} · {}", s.user.office.name, s.user.display_name, i18n::role(i.lang(), s.user.role))
                })
                .unwrap_or_default()
        })
    };
    let dismiss = move |_| ctx.notice.set(None);
    // The order list shows from the list index while the records are read (`Ctx::load`);
    // every other screen waits for them.
    let on_list = crate::state::is_order_list(&use_location().pathname.get_untracked());
    // F2 starts a new order from anywhere (browsers keep Ctrl+N for themselves).
    let new_order = use_navigate();
    let f2 = window_event_listener(leptos::ev::keydown, move |ev| {
        let takes_orders = ctx.actor().is_some_and(|a| common::desk::order::may_take_orders(a.role));
        if ev.key() == "F2" && takes_orders {
            ev.prevent_default();
            ctx.request_blank_order();
            new_order("/orders/new", Default::default());
        }
    });
    on_cleanup(move || f2.remove());
    let body = move || {
        let children = children.clone();
        move || (on_list || ctx.loaded.get()).then(|| children())
    };
    view! {
        <Show when=logged_in fallback=|| view! { <Redirect path="/login"/> }>
            <header class="top">
                <A href="/orders" attr:class="brand">{i.s("销售内勤工作台", "Salesdesk")}</A>
                <span class="who">{who}</span>
                <SyncBadge/>
                <LangSwitch/>
                <button type="button" class="quiet" on:click=logout.clone()>{i.s("退出", "Log out")}</button>
            </header>
            <nav class="main-nav" aria-label=i.s("主菜单", "Main menu")>
                <A href="/orders">{i.s("订单", "Orders")}</A>
                {move || ctx.actor().is_some_and(|a| common::desk::order::may_take_orders(a.role)).then(|| view! {
                    <A href="/orders/new">{i.s("新建订单", "New order")}</A>
                })}
                <A href="/customers">{i.s("客户", "Customers")}</A>
                <A href="/payments">{i.s("回款", "Payments")}</A>
                <A href="/collections">{i.s("催款", "Collections")}</A>
                <A href="/shipments">{i.s("发货", "Shipments")}
                    {move || match ctx.overdue_calls() {
                        0 => None,
                        n => Some(view! { <span class="badge danger" id="late-calls" data-count=n
                            aria-label=move || if i.lang() == crate::i18n::Lang::Zh { format!("{n} 个发货通知已超时") } else { format!("{n} shipment calls late") }>{n}</span> }),
                    }}
                </A>
                <A href="/reports">{i.s("报表", "Reports")}</A>
                {move || ctx.keeps_stations().then(|| view! {
                    <A href="/catalogue">{i.s("产品与物流", "Catalogue")}</A>
                })}
                {move || ctx.actor().is_some_and(|a| common::desk::admin::may_manage_users_of(&a, &a.office)).then(|| view! {
                    <A href="/admin">{i.s("管理", "Admin")}</A>
                })}
                <A href="/settings">{i.s("设置", "Settings")}</A>
            </nav>
            <main>
                <ClockNotice/>
                {move || ctx.notice.get().map(|(zh, en)| view! {
                    <div class="notice" role="alert">
                        <span>{if i.lang() == Lang::Zh { zh } else { en }}</span>
                        <button type="button" class="quiet" on:click=dismiss>{i.t("知道了", "Dismiss")}</button>
                    </div>
                })}
                {body()}
            </main>
        </Show>
    }
}

/// Says plainly when this device's clock is off the server's (the desk's times are
/// corrected, but the person should know, and put it right).
#[component]
fn ClockNotice() -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let offset = move || ctx.replica.with(|r| r.meta.offset_ms);
    let text = move || {
        let off = offset();
        let minutes = off.unsigned_abs() / 60_000;
        let (h, m) = (minutes / 60, minutes % 60);
        let ahead = off < 0;
        if i.lang() == Lang::Zh {
            format!(
                "本机时钟比服务器{}约 {h} 小时 {m} 分。开单和经过的时间已按服务器时间记录;请校准本机时间。",
                if ahead { "快" } else { "慢" }
            )
        } else {
            format!(
                "This device's clock is about {h} h {m} min {} the server's. Times are recorded by the server's clock; please set this device's clock right.",
                if ahead { "ahead of" } else { "behind" }
            )
        }
    };
    view! {
        <Show when=move || { offset().abs() > crate::state::CLOCK_OFF_MS }>
            <div class="notice clock-off" role="alert" data-clock-off="">{text}</div>
        </Show>
    }
}

/// Where this device's changes stand: synced, N waiting, offline, or an error; and how
/// many the server refused (red until each is dismissed).
#[component]
pub fn SyncBadge() -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let refused = move || ctx.replica.with(|r| r.refused.len());
    let state = move || {
        let pending = ctx.pending();
        let s = ctx.sync.get();
        let lang = i.lang();
        let text = |zh: String, en: String| if lang == Lang::Zh { zh } else { en };
        if !ctx.loaded.get() {
            // The list shows from its index while the records (and the outbox) are read.
            ("syncing", text("正在读取本机数据…".into(), "Reading this device's records…".into()))
        } else if let Some((have, total)) = s.progress {
            // A first sync: how far it has got (the form works meanwhile).
            let have = have.min(total);
            ("syncing", text(format!("正在下载记录 {have} / {total}"), format!("Downloading records {have} / {total}")))
        } else if s.rounds == 0 && !s.follower && ctx.session.with(Option::is_some) {
            ("syncing", text(format!("同步中… · {pending} 条待同步"), format!("Syncing… · {pending} waiting")))
        } else if let Some((en, zh)) = s.error {
            (
                "error",
                text(format!("同步出错 · {pending} 条待同步:{zh}"), format!("Sync error · {pending} waiting: {en}")),
            )
        } else if s.offline {
            ("offline", text(format!("离线 · {pending} 条待同步"), format!("Offline · {pending} waiting")))
        } else if pending > 0 {
            ("pending", text(format!("{pending} 条待同步"), format!("{pending} waiting")))
        } else {
            ("synced", text("已同步".into(), "Synced".into()))
        }
    };
    view! {
        <span class="sync-badge" role="status" aria-live="polite" data-sync=move || state().0>
            {move || state().1}
        </span>
        <Show when=move || { refused() > 0 }>
            <A href="/orders" attr:class="refused-badge" attr:data-refused=move || refused().to_string()>
                {move || if i.lang() == Lang::Zh { format!("{} 条被拒绝", refused()) } else { format!("{} refused", refused()) }}
            </A>
        </Show>
    }
}

#[component]
pub fn LangSwitch() -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let toggle = move |_| ctx.set_lang(if i.lang() == Lang::Zh { Lang::En } else { Lang::Zh });
    view! {
        <button type="button" class="lang quiet" on:click=toggle aria-label="切换语言 / Switch language">
            {move || if i.lang() == Lang::Zh { "English" } else { "中文" }}
        </button>
    }
}

/// The order's status as a short coloured label; an order sent back by an edit after a
/// step says so (已改,需重新复核) instead of a plain 已录入.
#[component]
pub fn StatusLabel(status: Status, #[prop(default = None)] again: Option<&'static str>) -> impl IntoView {
    let i = crate::i18n::use_i18n();
    let class = match again {
        Some(_) => "status status-sent-back".to_string(),
        None => format!("status status-{}", status.code()),
    };
    let text = move || match again {
        Some(step) if i.lang() == Lang::Zh => format!("已改,需重新{}", i18n::step(i.lang(), step)),
        Some(step) => format!("Changed: {} again", i18n::step(i.lang(), step)),
        None => i18n::status(i.lang(), status).to_string(),
    };
    view! { <span class=class data-status=status.code()>{text}</span> }
}

/// Focuses the element with this id, if there is one. `false` if not found.
pub fn focus_id(id: &str) -> bool {
    let el = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id(id));
    match el.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
        Some(el) => el.focus().is_ok(),
        None => false,
    }
}

/// Focuses an element once the screen has been drawn (after navigation, say).
pub fn focus_soon(id: &'static str) {
    request_animation_frame(move || {
        focus_id(id);
    });
}

/// One suggestion in a lookup: what it shows, and the key handed to `on_pick`.
#[derive(Clone, Debug, PartialEq)]
pub struct Suggestion {
    pub text: String,
    pub key: String,
}

/// A text box that completes from a few typed characters. Arrows move through the
/// suggestions, Enter picks (and the form's Enter handling then moves on), Escape closes.
#[component]
pub fn LookupInput(
    #[prop(into)] id: Signal<String>,
    value: RwSignal<String>,
    suggest: Callback<String, Vec<Suggestion>>,
    on_pick: Callback<String>,
    /// Called after each keystroke changes the value.
    #[prop(optional)]
    on_input: Option<Callback<()>>,
    #[prop(optional, into)] invalid: Signal<bool>,
    #[prop(optional, into)] described_by: Option<String>,
    /// An accessible name, when no `<label for>` points at this box.
    #[prop(optional, into)]
    label: Option<Signal<String>>,
    #[prop(optional)] autofocus: bool,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let active = RwSignal::new(0usize);
    let items = Memo::new(move |_| if open.get() { suggest.run(value.get()) } else { Vec::new() });
    let list_id = move || format!("{}-list", id.get());
    let option_id = move |n: usize| format!("{}-opt-{n}", id.get());
    let showing = move || open.get() && !items.with(Vec::is_empty);
    let pick = move |n: usize| {
        if let Some(s) = items.get_untracked().get(n) {
            on_pick.run(s.key.clone());
        }
        open.set(false);
    };
    let keydown = move |ev: web_sys::KeyboardEvent| {
        let n = items.with_untracked(Vec::len);
        match ev.key().as_str() {
            "ArrowDown" => {
                ev.prevent_default();
                if !open.get_untracked() {
                    open.set(true);
                    active.set(0);
                } else if n > 0 {
                    active.update(|a| *a = (*a + 1) % n);
                }
            }
            "ArrowUp" if n > 0 => {
                ev.prevent_default();
                active.update(|a| *a = (*a + n - 1) % n);
            }
            "Enter" if open.get_untracked() && n > 0 => pick(active.get_untracked()),
            "Escape" => open.set(false),
            _ => {}
        }
    };
    view! {
        <div class="lookup">
            <input
                id=move || id.get()
                type="text"
                autocomplete="off"
                role="combobox"
                autofocus=autofocus
                aria-label=move || label.map(|l| l.get())
                // A line's box has no visible label on a phone, where the table's head is hidden.
                placeholder=move || label.map(|l| l.get())
                aria-autocomplete="list"
                aria-controls=list_id
                aria-expanded=move || showing().to_string()
                aria-activedescendant=move || if showing() { option_id(active.get()) } else { String::new() }
                aria-invalid=move || invalid.get().to_string()
                aria-describedby=described_by
                prop:value=value
                on:input=move |ev| {
                    value.set(event_target_value(&ev));
                    open.set(true);
                    active.set(0);
                    if let Some(cb) = on_input {
                        cb.run(());
                    }
                }
                on:keydown=keydown
                on:blur=move |_| open.set(false)
            />
            <Show when=showing>
                <ul class="suggestions" role="listbox" id=list_id>
                    {move || items.get().into_iter().enumerate().map(|(n, s)| {
                        view! {
                            <li
                                role="option"
                                id=move || option_id(n)
                                aria-selected=move || (active.get() == n).to_string()
                                class:active=move || active.get() == n
                                // mousedown, not click: it comes before the input's blur.
                                on:mousedown=move |ev| { ev.prevent_default(); pick(n); }
                            >{s.text}</li>
                        }
                    }).collect_view()}
                </ul>
            </Show>
        </div>
    }
}

/// Moves focus to the next field of `form` after `current`, as Tab would, but skipping
/// fields marked `data-enter-skip` (filled in by a lookup, rarely changed).
pub fn focus_next(form: &web_sys::Element, current: &web_sys::Element) {
    let Ok(list) = form.query_selector_all(
        "input:not([data-enter-skip]):not([disabled]), select:not([data-enter-skip]), textarea, button[type=submit]",
    ) else {
        return;
    };
    let nodes: Vec<web_sys::Element> =
        (0..list.length()).filter_map(|k| list.item(k)).filter_map(|n| n.dyn_into().ok()).collect();
    if let Some(pos) = nodes.iter().position(|n| n == current) {
        if let Some(next) = nodes.get(pos + 1).and_then(|n| n.dyn_ref::<web_sys::HtmlElement>()) {
            let _ = next.focus();
        }
    }
}

/// The address bar shows `url` without the router noticing: a reload opens what is shown
/// (the form's draft; the order list once the full app has done what it was opened for).
pub fn show_url(url: &str) {
    if let Some(h) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(url));
    }
}
