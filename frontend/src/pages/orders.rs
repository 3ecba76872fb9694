//! The order list a desk works from: work queues with counts (待复核, 待收银审核, ...),
//! refused orders in red until dismissed, unsaved drafts, search and filters. ↑/↓ move
//! through the rows, Enter opens one. On a phone each order is one compact card.

use crate::components::StatusLabel;
use crate::drafts;
use crate::i18n::{self, I18n, Lang};
use crate::state::use_ctx;
use common::desk::listing::{rows_changed, ListRow};
use common::desk::order::{OrderDraft, OrderView, Status};
use common::desk::search::{OrderFilter, Queue};
use common::desk::time::{format_local, Date};
use common::engine::ids::OfficeCode;
use common::engine::record::Kind;
use common::engine::replica::SyncMark;
use leptos::prelude::*;
use leptos_router::components::A;
use wasm_bindgen::JsCast;

/// Searching the server for orders this device dropped, and exporting the list, are the
/// full app's: the core links to these addresses, which are not the core's, so `boot.js`
/// starts the full app there and its order list does it on arrival (`?q=` carries the
/// search). Both need the server, and the core a phone downloads first stays small.
const FIND: &str = "/orders/find";
const EXPORT: &str = "/orders/export";

/// The words for a record's sync mark.
pub fn sync_mark_text(mark: SyncMark, i: I18n) -> &'static str {
    sync_mark_text_in(mark, i.lang())
}

fn sync_mark_text_in(mark: SyncMark, lang: Lang) -> &'static str {
    let (zh, en) = match mark {
        SyncMark::Synced => ("已同步", "Synced"),
        SyncMark::Pending => ("仅存本机,待同步", "Not synced yet"),
        SyncMark::Refused => ("被服务器拒绝", "Refused by the server"),
    };
    i18n::pick(lang, zh, en)
}

fn queue_label(i: I18n, q: Queue) -> &'static str {
    match q {
        Queue::All => i.t("全部", "All"),
        Queue::ToReview => i.t("待复核", "To review"),
        Queue::ToAudit => i.t("待收银审核", "To audit"),
        Queue::ToHandOver => i.t("待交物流", "To hand over"),
        Queue::ToShip => i.t("待发货", "To ship"),
    }
}

/// Which list is showing: a work queue, the refused orders, or the drafts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tab {
    Queue(Queue),
    Refused,
    Drafts,
}

/// Rows rendered at first, and added by each "show more".
const PAGE: usize = 50;

/// ↑/↓ between the rows' links (↓ from the search box enters the list), so the list is
/// worked from the keyboard. Boxes where the arrows mean something keep them.
fn move_between_rows(ev: web_sys::KeyboardEvent) {
    let step: i32 = match ev.key().as_str() {
        "ArrowDown" => 1,
        "ArrowUp" => -1,
        _ => return,
    };
    let target = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok());
    if target.is_some_and(|t| t.tag_name() == "SELECT" || t.get_attribute("type").as_deref() == Some("date")) {
        return;
    }
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return };
    let Ok(list) = doc.query_selector_all("table.orders tbody a.open") else { return };
    let links: Vec<web_sys::HtmlElement> =
        (0..list.length()).filter_map(|k| list.item(k)).filter_map(|n| n.dyn_into().ok()).collect();
    if links.is_empty() {
        return;
    }
    ev.prevent_default();
    let active = doc.active_element();
    let at = links.iter().position(|l| active.as_ref().is_some_and(|a| a == l.unchecked_ref::<web_sys::Element>()));
    let next = match at {
        Some(n) => (n as i32 + step).clamp(0, links.len() as i32 - 1) as usize,
        None if step > 0 => 0,
        None => links.len() - 1,
    };
    let _ = links[next].focus();
}

#[component]
pub fn OrderList() -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let actor = ctx.actor();
    let actor_role = actor.clone();
    let is_hq = actor.as_ref().is_some_and(|a| a.is_hq);
    let tab = RwSignal::new(Tab::Queue(actor_role.map(|a| Queue::for_role(a.role)).unwrap_or_default()));
    let asked = leptos_router::hooks::use_query_map().with_untracked(|q| q.get("q")).unwrap_or_default();
    let landing = leptos_router::hooks::use_location().pathname.get_untracked();
    // Opened to search the server or to export: done once, and the address is the list's
    // again (a reload does not do it twice).
    let start_search = StoredValue::new(landing == FIND);
    if landing == FIND || landing == EXPORT {
        let q = js_sys::encode_uri_component(&asked);
        crate::components::show_url(&if asked.is_empty() { "/orders".into() } else { format!("/orders?q={q}") });
    }
    let text = RwSignal::new(asked);
    let status = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let office = RwSignal::new(String::new());
    let offset = ctx.offset_minutes();
    let more_filters = RwSignal::new(false);
    // A desk scrolls through today's orders, not ten thousand rows: render a page at a time.
    let shown = RwSignal::new(PAGE);
    // Rows derived once per version of each order (see `common::desk::listing`): a new
    // order pulled, or one reviewed, re-derives one row, not ten thousand.
    let views = Memo::new_with_compare(move |_| ctx.list_rows(), rows_changed);
    let filter = move |queue: Queue| OrderFilter {
        text: text.get(),
        status: Status::parse(&status.get()),
        queue,
        office: OfficeCode::parse(&office.get()).ok(),
        from: Date::parse(&from.get()),
        to: Date::parse(&to.get()),
    };
    let counts = Memo::new(move |_| {
        views.with(|v| Queue::ALL.map(|q| (q, v.iter().filter(|o| q == Queue::All || q.accepts(o)).count())))
    });
    let rows = Memo::new(move |_| {
        let Tab::Queue(q) = tab.get() else { return Vec::new() };
        let f = filter(q);
        let f = f.prepare();
        views.with(|v| v.iter().filter(|o| f.accepts(o, offset)).cloned().collect::<Vec<_>>())
    });
    let refused = Memo::new(move |_| {
        ctx.replica.with(|r| {
            r.with_refusals(Kind::ORDER)
                .iter()
                .map(|s| {
                    let code = r.refused_for(Kind::ORDER, s.id).first().map(|x| x.code.clone()).unwrap_or_default();
                    (OrderView::from_record(s), code)
                })
                .collect::<Vec<_>>()
        })
    });
    let draft_list = Memo::new(move |_| {
        ctx.drafts.track();
        drafts::list()
    });
    let tab_button = move |t: Tab, label: Signal<String>, id: &'static str| {
        view! {
            <button type="button" role="tab" id=id class="tab" aria-selected=move || (tab.get() == t).to_string()
                on:click=move |_| { tab.set(t); shown.set(PAGE); }>{label}</button>
        }
    };
    view! {
        <section class="order-list" on:keydown=move_between_rows>
            <div class="page-head">
                <h1>{i.s("订单", "Orders")}</h1>
                {export_button(i, landing == EXPORT)}
                {actor.as_ref().is_some_and(|a| common::desk::order::may_take_orders(a.role)).then(|| view! {
                    <A href="/orders/new" attr:class="button primary">{i.s("新建订单 (F2)", "New order (F2)")}</A>
                })}
            </div>
            <div class="tabs" role="tablist" aria-label=i.s("工作队列", "Work queues")>
                {Queue::ALL.into_iter().map(|q| {
                    let label = Signal::derive(move || {
                        let n = counts.with(|c| c.iter().find(|(x, _)| *x == q).map(|(_, n)| *n).unwrap_or(0));
                        format!("{} {n}", queue_label(i, q))
                    });
                    tab_button(Tab::Queue(q), label, q.code())
                }).collect_view()}
                {tab_button(Tab::Refused, Signal::derive(move || format!("{} {}", i.t("被拒绝", "Refused"), refused.with(Vec::len))), "refused")}
                {tab_button(Tab::Drafts, Signal::derive(move || format!("{} {}", i.t("草稿", "Drafts"), draft_list.with(Vec::len))), "drafts")}
            </div>
            <form class="filters" class:open=move || more_filters.get() role="search" on:submit=|ev| ev.prevent_default()>
                <div class="filter wide">
                    <label for="q">{i.s("搜索", "Search")}</label>
                    <input id="q" type="search" placeholder=i.s("单号、客户或电话", "Number, customer or phone")
                        prop:value=text on:input=move |ev| text.set(event_target_value(&ev))/>
                </div>
                <button type="button" class="quiet phone-only" aria-expanded=move || more_filters.get().to_string()
                    on:click=move |_| more_filters.update(|v| *v = !*v)>{i.s("更多筛选", "More filters")}</button>
                <div class="filter secondary">
                    <label for="status">{i.s("状态", "Status")}</label>
                    <select id="status" on:change=move |ev| status.set(event_target_value(&ev))>
                        <option value="">{i.s("全部", "All")}</option>
                        {Status::ALL.into_iter().map(|s| view! { <option value=s.code()>{move || i18n::status(i.lang(), s)}</option> }).collect_view()}
                    </select>
                </div>
                {is_hq.then(|| view! {
                    <div class="filter secondary">
                        <label for="office">{i.s("办公室", "Office")}</label>
                        <input id="office" placeholder="FS" prop:value=office on:input=move |ev| office.set(event_target_value(&ev).trim().to_ascii_uppercase())/>
                    </div>
                })}
                <div class="filter secondary">
                    <label for="from">{i.s("从", "From")}</label>
                    <input id="from" type="date" prop:value=from on:input=move |ev| from.set(event_target_value(&ev))/>
                </div>
                <div class="filter secondary">
                    <label for="to">{i.s("到", "To")}</label>
                    <input id="to" type="date" prop:value=to on:input=move |ev| to.set(event_target_value(&ev))/>
                </div>
            </form>
            <Show when=move || tab.get() == Tab::Drafts>
                <DraftList drafts=draft_list/>
            </Show>
            <Show when=move || matches!(tab.get(), Tab::Queue(Queue::All) | Tab::Refused) && !refused.with(Vec::is_empty)>
                <table class="list orders refused-list">
                    <caption>{i.s("被服务器拒绝的订单或修改(打开看原因,处理后点“知道了”)", "Orders or changes the server refused (open one for the reason; dismiss once dealt with)")}</caption>
                    <tbody>
                        <For each=move || refused.get() key=|(o, code)| (o.id, code.clone()) let:row>
                            <tr class="refused-row" data-sync="refused" data-number=row.0.number.clone()>
                                <td data-label=i.s("单号", "Number")><a class="open" href=format!("/orders/{}", row.0.id)>{row.0.number.clone()}</a></td>
                                <td data-label=i.s("客户", "Customer")>{row.0.customer_name.clone()}</td>
                                <td data-label=i.s("金额", "Amount") class="num">{row.0.total.to_string()}</td>
                                <td data-label=i.s("原因", "Reason")><span class="status status-refused">{i.s("被拒绝", "Refused")}</span>" "{move || i18n::refusal(i.lang(), &row.1)}</td>
                            </tr>
                        </For>
                    </tbody>
                </table>
            </Show>
            <Show when=move || matches!(tab.get(), Tab::Queue(_))>
                <Show when=move || !rows.with(Vec::is_empty) fallback=move || view! { <p class="muted empty">{i.s("没有订单。", "No orders.")}</p> }>
                    <table class="list orders">
                        <thead>
                            <tr>
                                <th scope="col">{i.s("单号", "Number")}</th>
                                <th scope="col" class="wide-only">{i.s("日期", "Date")}</th>
                                {is_hq.then(|| view! { <th scope="col" class="wide-only">{i.s("办公室", "Office")}</th> })}
                                <th scope="col">{i.s("客户", "Customer")}</th>
                                <th scope="col" class="wide-only">{i.s("电话", "Phone")}</th>
                                <th scope="col" class="num">{i.s("金额", "Amount")}</th>
                                <th scope="col">{i.s("状态", "Status")}</th>
                                <th scope="col" class="wide-only">{i.s("收银章 / 运单", "Stamp / waybill")}</th>
                                <th scope="col">{i.s("同步", "Sync")}</th>
                            </tr>
                        </thead>
                        <tbody>
                            // A row's text is fixed when it is built (no signal per cell: a page of
                            // rows builds in half the time); the language is in the key, so
                            // switching it builds the rows again.
                            <For each=move || { let lang = i.lang(); rows.with(|r| r.iter().take(shown.get()).map(|row| (lang, row.clone())).collect::<Vec<_>>()) }
                                key=|(lang, row)| (*lang, row.clone())
                                let:row>
                                <OrderRow order=row.1 lang=row.0 offset=offset is_hq=is_hq/>
                            </For>
                        </tbody>
                    </table>
                    <p class="list-foot">
                        <span class="muted">{move || { let n = rows.with(Vec::len); format!("{n} {}", i.t("张订单", if n == 1 { "order" } else { "orders" })) }}</span>
                        <Show when=move || { shown.get() < rows.with(Vec::len) }>
                            <button type="button" on:click=move |_| shown.update(|n| *n += PAGE)>
                                {move || format!("{} ({})", i.t("显示更多", "Show more"), rows.with(Vec::len) - shown.get())}
                            </button>
                        </Show>
                    </p>
                </Show>
                // Older synced orders may have been dropped from this device to make room.
                <Show when=move || !text.with(|t| t.trim().is_empty()) && !ctx.replica.with(|r| r.meta.complete)>
                    <ServerSearch text=text start=start_search/>
                </Show>
            </Show>
        </section>
    }
}

/// 导出 Excel: the file itself, or in the core the way to the full app, which makes it.
#[cfg(feature = "full")]
fn export_button(_: I18n, start: bool) -> impl IntoView {
    view! { <crate::excel::ExportButton id="export-orders" path="orders.xlsx" filename="orders.xlsx" start=start/> }
}

#[cfg(not(feature = "full"))]
fn export_button(i: I18n, _: bool) -> impl IntoView {
    view! { <a class="button" id="export-orders" href=EXPORT>{i.s("导出 Excel", "Export to Excel")}</a> }
}

fn dropped_notice(i: I18n) -> impl IntoView {
    view! {
        <span class="muted">{i.s("本机存储满时移除过较早的已同步订单(服务器上都还在)。", "Older synced orders were removed from this device when its storage was full (the server keeps them).")}</span>
    }
}

/// This device dropped older synced orders when its storage was full (the server keeps
/// them): the search can ask the server too, and what it finds comes back to the list.
#[cfg(feature = "full")]
#[component]
fn ServerSearch(text: RwSignal<String>, start: StoredValue<bool>) -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let fetched = RwSignal::new(None::<crate::sync::Fetched>);
    let search = move || {
        let q = text.get_untracked().trim().to_string();
        fetched.set(Some(crate::sync::Fetched::Asking));
        leptos::task::spawn_local(async move {
            let got = crate::sync::fetch_records(ctx, Kind::ORDER, crate::sync::Wanted::Orders(q)).await;
            fetched.set(Some(got));
        });
    };
    if start.get_value() {
        start.set_value(false);
        search();
    }
    view! {
        <div class="server-search">
            <p>
                {dropped_notice(i)}
                " "
                <button type="button" id="search-server" on:click=move |_| search()
                    disabled=move || fetched.with(|f| f == &Some(crate::sync::Fetched::Asking))>
                    {i.s("在服务器上查找", "Search the server")}
                </button>
            </p>
            <p role="status">{move || fetched.with(|f| f.as_ref().map(|f| i18n::fetched(i.lang(), f)))}</p>
        </div>
    }
}

/// The same in the core: the full app searches (see [`FIND`]).
#[cfg(not(feature = "full"))]
#[component]
fn ServerSearch(text: RwSignal<String>, start: StoredValue<bool>) -> impl IntoView {
    let _ = start;
    let i = use_ctx().i18n;
    let href =
        move || format!("{FIND}?q={}", js_sys::encode_uri_component(text.with(|t| t.trim().to_string()).as_str()));
    view! {
        <div class="server-search">
            <p>
                {dropped_notice(i)}
                " "
                <a class="button" id="search-server" href=href>{i.s("在服务器上查找", "Search the server")}</a>
            </p>
        </div>
    }
}

#[component]
fn DraftList(drafts: Memo<Vec<drafts::Draft>>) -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let offset = ctx.offset_minutes();
    let summary = move |d: &OrderDraft| {
        let lines = d.lines.iter().filter(|l| !l.is_blank()).count();
        format!(
            "{} · {lines} {} · {}",
            if d.customer_name.trim().is_empty() { "—" } else { d.customer_name.trim() },
            i.t("行", if lines == 1 { "line" } else { "lines" }),
            d.total()
        )
    };
    view! {
        <Show when=move || !drafts.with(Vec::is_empty) fallback=move || view! { <p class="muted empty">{i.s("没有草稿。", "No drafts.")}</p> }>
            <ul class="drafts">
                <For each=move || drafts.get() key=|d| (d.id.clone(), d.updated_ms) let:d>
                    {
                        let href = match d.editing {
                            Some(id) => format!("/orders/{id}/edit"),
                            None => format!("/orders/new?draft={}", d.id),
                        };
                        let id = d.id.clone();
                        // A slip of the finger must not lose what was typed: the first press asks.
                        let armed = RwSignal::new(false);
                        view! {
                            <li class="draft" data-draft=d.id.clone()>
                                <a class="open" href=href>{summary(&d.order)}</a>
                                " "<span class="muted">{format_local(d.updated_ms, offset)}</span>
                                {d.editing.is_some().then(|| view! { " "<span class="tag">{i.s("修改中", "Editing")}</span> })}
                                " "<button type="button" class="quiet" class:danger=armed on:click=move |_| {
                                    if armed.get_untracked() { drafts::discard(&id); ctx.drafts_changed(); } else { armed.set(true) }
                                }>
                                    {move || if armed.get() { i.t("再点一次放弃", "Press again to discard") } else { i.t("放弃", "Discard") }}
                                </button>
                            </li>
                        }
                    }
                </For>
            </ul>
        </Show>
    }
}

#[component]
fn OrderRow(order: std::sync::Arc<ListRow>, lang: Lang, offset: i32, is_hq: bool) -> impl IntoView {
    let t = |zh, en| i18n::pick(lang, zh, en);
    let href = format!("/orders/{}", order.id);
    let date = order.created.map(|c| format_local(c.wall_ms, offset)).unwrap_or_default();
    let (conflict, again, mark) = (order.conflict, order.again, order.mark);
    let number = order.number.clone();
    let stamp = order.stamp.map(|s| i18n::stamp(lang, s));
    let shipment = order.shipment.clone().map(|(w, p)| match lang {
        Lang::Zh => format!("{w} · {p} 件"),
        Lang::En => format!("{w} · {p} pkg"),
    });
    view! {
        <tr data-sync=mark.code() data-number=order.number.clone() data-status=order.status.code()>
            <td class="c-num" data-label=t("单号", "Number")><A href=href attr:class="open">{number}</A></td>
            <td class="wide-only" data-label=t("日期", "Date")>{date}</td>
            {is_hq.then(|| view! { <td class="wide-only" data-label=t("办公室", "Office")>{order.office.to_string()}</td> })}
            <td class="c-cust" data-label=t("客户", "Customer")>{order.customer_name.clone()}</td>
            <td class="wide-only" data-label=t("电话", "Phone")>{order.phone.clone()}</td>
            <td data-label=t("金额", "Amount") class="num c-amt">{order.total.to_string()}</td>
            <td class="c-status" data-label=t("状态", "Status")>
                <StatusLabel status=order.status again=again/>
                {conflict.then(|| view! { " "<span class="status status-conflict">{t("有冲突", "Conflict")}</span> })}
            </td>
            <td class="wide-only" data-label=t("收银章 / 运单", "Stamp / waybill")>
                {stamp.map(|s| view! { <span class="tag stamp">{s}</span> })}
                {shipment.map(|w| view! { " "<span class="waybill">{w}</span> })}
            </td>
            <td class="c-sync" data-label=t("同步", "Sync")><span class=format!("sync-mark sync-{}", mark.code())>{sync_mark_text_in(mark, lang)}</span></td>
        </tr>
    }
}
