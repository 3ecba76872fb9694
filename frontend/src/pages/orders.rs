use crate::components::StatusLabel;
use crate::i18n;
use crate::state::use_ctx;
use common::desk::order::{OrderView, Status};
use common::desk::search::OrderFilter;
use common::desk::time::{format_local, Date};
use common::engine::record::Kind;
use common::engine::replica::SyncMark;
use leptos::prelude::*;
use leptos_router::components::A;

/// The words for a record's sync mark.
pub fn sync_mark_text(mark: SyncMark, i: crate::i18n::I18n) -> &'static str {
    match mark {
        SyncMark::Synced => i.t("已同步", "Synced"),
        SyncMark::Pending => i.t("仅存本机,待同步", "On this device, not synced"),
        SyncMark::Refused => i.t("被服务器拒绝", "Refused by the server"),
    }
}

/// Rows rendered at first, and added by each "show more".
const PAGE: usize = 200;

#[component]
pub fn OrderList() -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let text = RwSignal::new(String::new());
    let status = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let offset = ctx.offset_minutes();
    // A desk scrolls through today's orders, not ten thousand rows: render a page at a time.
    let shown = RwSignal::new(PAGE);
    let rows = Memo::new(move |_| {
        let filter = OrderFilter {
            text: text.get(),
            status: Status::parse(&status.get()),
            from: Date::parse(&from.get()),
            to: Date::parse(&to.get()),
        };
        ctx.replica.with(|r| {
            let mut v: Vec<(OrderView, SyncMark)> = r
                .all(Kind::ORDER)
                .map(OrderView::from_record)
                .filter(|o| filter.accepts(o, offset))
                .map(|o| {
                    let mark = r.sync_mark(Kind::ORDER, o.id);
                    (o, mark)
                })
                .collect();
            v.sort_by_key(|o| std::cmp::Reverse(o.0.created));
            v
        })
    });
    view! {
        <section>
            <div class="page-head">
                <h1>{move || i.t("订单", "Orders")}</h1>
                <A href="/orders/new" attr:class="button primary">{move || i.t("新建订单", "New order")}</A>
            </div>
            <form class="filters" role="search" on:submit=|ev| ev.prevent_default()>
                <div class="filter wide">
                    <label for="q">{move || i.t("搜索", "Search")}</label>
                    <input id="q" type="search" placeholder=move || i.t("单号、客户或电话", "Number, customer or phone")
                        prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev))/>
                </div>
                <div class="filter">
                    <label for="status">{move || i.t("状态", "Status")}</label>
                    <select id="status" on:change=move |ev| status.set(event_target_value(&ev))>
                        <option value="">{move || i.t("全部", "All")}</option>
                        {Status::ALL.into_iter().map(|s| view! { <option value=s.code()>{move || i18n::status(i.lang(), s)}</option> }).collect_view()}
                    </select>
                </div>
                <div class="filter">
                    <label for="from">{move || i.t("从", "From")}</label>
                    <input id="from" type="date" prop:value=move || from.get() on:input=move |ev| from.set(event_target_value(&ev))/>
                </div>
                <div class="filter">
                    <label for="to">{move || i.t("到", "To")}</label>
                    <input id="to" type="date" prop:value=move || to.get() on:input=move |ev| to.set(event_target_value(&ev))/>
                </div>
            </form>
            <Show when=move || !rows.with(Vec::is_empty) fallback=move || view! { <p class="muted empty">{move || i.t("没有订单。", "No orders.")}</p> }>
                <table class="list orders">
                    <thead>
                        <tr>
                            <th scope="col">{move || i.t("单号", "Number")}</th>
                            <th scope="col">{move || i.t("日期", "Date")}</th>
                            <th scope="col">{move || i.t("客户", "Customer")}</th>
                            <th scope="col">{move || i.t("电话", "Phone")}</th>
                            <th scope="col" class="num">{move || i.t("金额", "Amount")}</th>
                            <th scope="col">{move || i.t("状态", "Status")}</th>
                            <th scope="col">{move || i.t("同步", "Sync")}</th>
                        </tr>
                    </thead>
                    <tbody>
                        <For each=move || rows.with(|r| r.iter().take(shown.get()).cloned().collect::<Vec<_>>()) key=|(o, m)| (o.id, o.number.clone(), o.total, o.status, *m, o.customer_name.clone()) let:row>
                            <OrderRow order=row.0 mark=row.1 offset=offset/>
                        </For>
                    </tbody>
                </table>
                <p class="list-foot">
                    <span class="muted">{move || format!("{} {}", rows.with(Vec::len), i.t("张订单", "orders"))}</span>
                    <Show when=move || { shown.get() < rows.with(Vec::len) }>
                        <button type="button" on:click=move |_| shown.update(|n| *n += PAGE)>
                            {move || format!("{} ({})", i.t("显示更多", "Show more"), rows.with(Vec::len) - shown.get())}
                        </button>
                    </Show>
                </p>
            </Show>
        </section>
    }
}

#[component]
fn OrderRow(order: OrderView, mark: SyncMark, offset: i32) -> impl IntoView {
    let i = crate::i18n::use_i18n();
    let href = format!("/orders/{}", order.id);
    let date = order.created.map(|c| format_local(c.wall_ms, offset)).unwrap_or_default();
    let conflict = order.has_conflict();
    let number = order.number.clone();
    let number_attr = order.number.clone();
    view! {
        <tr data-sync=mark.code() data-number=number_attr>
            <td data-label=move || i.t("单号", "Number")><A href=href>{number}</A></td>
            <td data-label=move || i.t("日期", "Date")>{date}</td>
            <td data-label=move || i.t("客户", "Customer")>{order.customer_name.clone()}</td>
            <td data-label=move || i.t("电话", "Phone")>{order.phone.clone()}</td>
            <td data-label=move || i.t("金额", "Amount") class="num">{order.total.to_string()}</td>
            <td data-label=move || i.t("状态", "Status")>
                <StatusLabel status=order.status/>
                {conflict.then(|| view! { <span class="status status-conflict">{move || i.t("有冲突", "Conflict")}</span> })}
            </td>
            <td data-label=move || i.t("同步", "Sync")><span class=format!("sync-mark sync-{}", mark.code())>{move || sync_mark_text(mark, i)}</span></td>
        </tr>
    }
}
