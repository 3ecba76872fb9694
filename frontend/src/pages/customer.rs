//! One customer: what the desk keeps about them (terms and credit set by a manager), and
//! their orders, shipments and payments with where they stand: owed for goods shipped,
//! approved but not yet shipped, overdue, paid on account.

use crate::components::StatusLabel;
use crate::i18n::{self, Lang};
use crate::state::{now_ms, use_ctx};
use common::desk::customer::CustomerView;
use common::desk::order::OrderView;
use common::desk::payments::{self, balance};
use common::desk::shipping::ShipmentView;
use common::desk::time::{format_local, local_date, Date};
use common::engine::ids::RecordId;
use common::engine::record::Kind;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

/// Receivables older than this many days from the first shipment are overdue.
pub const OVERDUE_DAYS: i64 = 30;

#[component]
pub fn CustomerPage() -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let offset = ctx.offset_minutes();
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id")).and_then(|s| RecordId::parse(&s).ok()));
    let customer = Memo::new(move |_| {
        let id = id.get()?;
        ctx.replica.with(|r| r.get(Kind::CUSTOMER, id).map(CustomerView::from_record))
    });
    // Their orders (by the customer record, or by name for orders typed before it existed),
    // shipments and payments, oldest first.
    let data = Memo::new(move |_| {
        let Some(c) = customer.get() else { return Default::default() };
        // Read once (shipping grouped by order): a customer with thousands of orders opens
        // in a moment, not in minutes.
        let books = crate::pages::reports::books(ctx);
        let mine = |id: Option<RecordId>, name: &str| id == Some(c.id) || (id.is_none() && name == c.name);
        let mut orders: Vec<OrderView> = books
            .orders
            .into_iter()
            .filter(|o| o.office.as_str() == c.office && mine(o.customer, &o.customer_name))
            .collect();
        common::sort::sort_by_key(&mut orders, |o| o.created);
        let ids: std::collections::HashSet<RecordId> = orders.iter().map(|o| o.id).collect();
        let mut shipments: Vec<ShipmentView> =
            books.shipments.into_iter().filter(|s| s.order.is_some_and(|o| ids.contains(&o))).collect();
        common::sort::sort_by_key(&mut shipments, |s| (s.ship_date, s.created));
        let mut pays: Vec<payments::PaymentView> =
            books.payments.into_iter().filter(|p| mine(p.customer, &p.customer_name)).collect();
        common::sort::sort_by_key(&mut pays, |p| (p.date, p.created));
        (orders, shipments, pays)
    });
    let today = local_date(now_ms(), offset);
    // The customer's opening balance (期初应收), owed like a shipped order from its date.
    let openings = Memo::new(move |_| {
        let Some(c) = customer.get() else { return Vec::new() };
        ctx.replica.with(|r| {
            r.all(Kind::OPENING)
                .map(common::desk::opening::Opening::from_record)
                .filter(|o| o.customer == Some(c.id) || (o.customer.is_none() && o.customer_name == c.name))
                .collect::<Vec<_>>()
        })
    });
    let figures = Memo::new(move |_| {
        let openings = openings.get();
        data.with(|(orders, shipments, pays)| {
            let mut first: std::collections::HashMap<RecordId, Date> =
                openings.iter().filter_map(|x| x.as_of.map(|d| (x.id, d))).collect();
            for s in shipments {
                if let (Some(o), Some(d)) = (s.order, s.ship_date) {
                    first.entry(o).and_modify(|e| *e = (*e).min(d)).or_insert(d);
                }
            }
            let first_shipped = |o: RecordId| first.get(&o).copied();
            let docs: Vec<OrderView> = orders.iter().cloned().chain(openings.iter().map(|o| o.as_order())).collect();
            balance(&docs, pays, first_shipped, today, OVERDUE_DAYS)
        })
    });
    let editing = RwSignal::new(false);
    let may_edit = ctx
        .actor()
        .is_some_and(|a| common::desk::kinds::spec(Kind::CUSTOMER).is_some_and(|s| s.editors.contains(&a.role)));
    view! {
        <section class="customer-page">
            {move || customer.get().map(|c| {
                let terms = c.payment;
                let limit = c.credit_limit;
                view! {
                    <div class="page-head">
                        <h1 data-customer=c.name.clone()>{c.name.clone()}</h1>
                        <A href="/customers" attr:class="button">{i.s("全部客户", "All customers")}</A>
                    </div>
                    <dl class="facts">
                        <dt>{i.s("全称", "Full name")}</dt><dd>{c.full_name.clone()}</dd>
                        <dt>{i.s("联系人", "Contact")}</dt><dd>{c.contact.clone()}" "{c.phone.clone()}</dd>
                        {(!c.contacts.is_empty()).then(|| view! {
                            <dt>{i.s("其他联系人", "Other contacts")}</dt>
                            <dd class="contacts">{c.contacts.iter().map(|x| view! { <span class="contact">{x.name.clone()}" "{x.phone.clone()}</span><br/> }).collect_view()}</dd>
                        })}
                        <dt>{i.s("地址", "Address")}</dt><dd>{c.address.clone()}</dd>
                        {(!c.addresses.is_empty()).then(|| view! {
                            <dt>{i.s("其他送货地址", "Other addresses")}</dt>
                            <dd class="addresses">{c.addresses.iter().map(|a| view! { <span>{a.clone()}</span><br/> }).collect_view()}</dd>
                        })}
                        <dt>{i.s("货站", "Freight station")}</dt><dd>{c.station.clone()}" "{c.station_contract.clone()}</dd>
                        <dt>{i.s("结款方式", "Payment terms")}</dt><dd data-terms=terms.map(|t| t.code()).unwrap_or("")>{move || terms.map(|p| i18n::payment(i.lang(), p)).unwrap_or_default()}</dd>
                        <dt>{i.s("信用额度", "Credit limit")}</dt><dd data-credit=limit.map(|l| l.0.to_string()).unwrap_or_default()>{move || match limit {
                            Some(l) => l.to_string(),
                            None => i.t("未设", "not set").to_string(),
                        }}</dd>
                        <dt>{i.s("等级", "Class")}</dt><dd>{c.class.clone()}</dd>
                        <dt>{i.s("业务员", "Salesperson")}</dt><dd>{c.salesperson.clone()}</dd>
                        <dt>{i.s("备注", "Notes")}</dt><dd class="notes">{c.notes.clone()}</dd>
                    </dl>
                }
            })}
            {move || customer.with(Option::is_none).then(|| view! { <p>{i.s("这台设备上没有这位客户。", "This device does not hold the customer.")}</p> })}
            {move || (may_edit && customer.get().is_some()).then(|| view! {
                <button type="button" id="edit-customer" on:click=move |_| editing.set(true)>{i.s("修改客户", "Change customer")}</button>
            })}
            {move || id.get().map(|id| {
                let first = Date::new(today.year, today.month, 1).unwrap_or(today);
                let last_month_end = first.plus_days(-1);
                let last_month = Date::new(last_month_end.year, last_month_end.month, 1).unwrap_or(last_month_end);
                view! {
                    <A href=format!("/customers/{id}/statement?from={first}&to={today}") attr:class="button" attr:id="statement-this-month">{i.s("本月对账单", "This month's statement")}</A>
                    " "
                    <A href=format!("/customers/{id}/statement?from={last_month}&to={last_month_end}") attr:class="button" attr:id="statement-last-month">{i.s("上月对账单", "Last month's statement")}</A>
                    " "
                    <crate::excel::ExportButton id="export-statement"
                        path=format!("statement.xlsx?customer={id}&from={first}&to={today}")
                        filename=format!("statement-{}-{}.xlsx", first.compact(), today.compact())/>
                }
            })}
            {move || (editing.get()).then(|| customer.get_untracked().map(|c| view! {
                <crate::pages::customers::CustomerEditor customer=c on_done=Callback::new(move |_| editing.set(false))/>
            }))}
            <div class="figures" role="group" aria-label=i.s("往来", "Account")>
                <div class="figure"><span>{i.s("应收(已发货未收)", "Owed for goods shipped")}</span><strong data-receivable=move || figures.get().receivable.0>{move || figures.get().receivable.to_string()}</strong></div>
                <div class="figure"><span>{i.s("已审核未发货", "Approved, not yet shipped")}</span><strong data-committed=move || figures.get().committed.0>{move || figures.get().committed.to_string()}</strong></div>
                <div class="figure"><span>{move || if i.lang() == Lang::Zh { format!("逾期(发货超过 {OVERDUE_DAYS} 天)") } else { format!("Overdue (over {OVERDUE_DAYS} days)") }}</span><strong class="warn" data-overdue=move || figures.get().overdue.0>{move || figures.get().overdue.to_string()}</strong></div>
                <div class="figure"><span>{i.s("预收(未冲抵)", "Paid on account")}</span><strong data-on-account=move || figures.get().on_account.0>{move || figures.get().on_account.to_string()}</strong></div>
            </div>
            {move || openings.get().into_iter().map(|o| {
                let date = o.as_of.map(|d| d.to_string()).unwrap_or_default();
                view! {
                    <p class="muted opening-balance" data-opening-balance=o.amount.0>
                        {i.s("期初应收(启用前旧账)", "Opening balance (from the old books)")}" "{o.amount.to_string()}
                        {move || if i.lang() == Lang::Zh { format!(",截至 {date}") } else { format!(", as of {date}") }}
                    </p>
                }
            }).collect_view()}
            {move || customer.get().map(|c| view! { <crate::pages::reconciliation::Reconciliations customer=c/> })}
            <h2>{i.s("订单", "Orders")}</h2>
            <table class="list customer-orders">
                <thead><tr>
                    <th scope="col">{i.s("单号", "Number")}</th>
                    <th scope="col">{i.s("日期", "Date")}</th>
                    <th scope="col">{i.s("状态", "Status")}</th>
                    <th scope="col" class="num">{i.s("金额", "Amount")}</th>
                    <th scope="col" class="num">{i.s("已收", "Paid")}</th>
                    <th scope="col" class="num">{i.s("未收", "Open")}</th>
                </tr></thead>
                <tbody>
                    {move || { let (orders, _, pays) = data.get(); let paid_of = common::desk::ageing::paid_by_order(&pays); orders.into_iter().map(|o| {
                        let paid = paid_of.get(&o.id).copied().unwrap_or(common::desk::money::Fen::ZERO);
                        let open = payments::open_amount(&o, paid);
                        let (key, number) = (o.number.clone(), o.number.clone());
                        view! {
                            <tr data-number=key>
                                <td data-label=i.s("单号", "Number")><A href=format!("/orders/{}", o.id)>{number}</A></td>
                                <td data-label=i.s("日期", "Date")>{o.created.map(|c| format_local(c.wall_ms, offset)).unwrap_or_default()}</td>
                                <td data-label=i.s("状态", "Status")><StatusLabel status=o.status/></td>
                                <td data-label=i.s("金额", "Amount") class="num">{o.total.to_string()}</td>
                                <td data-label=i.s("已收", "Paid") class="num" data-paid=paid.0>{paid.to_string()}</td>
                                <td data-label=i.s("未收", "Open") class="num" data-open=open.0>{open.to_string()}</td>
                            </tr>
                        }
                    }).collect_view() }}
                </tbody>
            </table>
            <h2>{i.s("发货", "Shipments")}</h2>
            <ul class="plain customer-shipments">
                {move || { let (_, shipments, _) = data.get(); shipments.into_iter().map(|s| view! {
                    <li>{s.ship_date.map(|d| d.to_string()).unwrap_or_default()}" "{s.order_number.clone()}" · "{s.station.clone()}" · "
                        {s.waybills.iter().map(|w| w.number.clone()).collect::<Vec<_>>().join(", ")}</li>
                }).collect_view() }}
            </ul>
            <h2>{i.s("回款", "Payments")}</h2>
            <ul class="plain customer-payments">
                {move || { let (_, _, pays) = data.get(); pays.into_iter().map(|p| view! {
                    <li data-payment=p.reference.clone()>{p.date.map(|d| d.to_string()).unwrap_or_default()}" "<strong>{p.amount.to_string()}</strong>" "
                        {p.reference.clone()}" "
                        {if p.confirmed { i.s("已确认", "confirmed") } else { i.s("待确认", "awaiting the cashier") }}</li>
                }).collect_view() }}
            </ul>
            {move || id.get().map(|id| view! { <CustomerHistory id=id/> })}
        </section>
    }
}

/// Who created the customer and who changed what, old → new, like an order's history.
#[component]
fn CustomerHistory(id: RecordId) -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let offset = ctx.offset_minutes();
    let entries = move || {
        let mut entries = ctx.replica.with(|r| {
            let pending = r.pending_for(Kind::CUSTOMER, id);
            common::desk::history::history(r.confirmed.get(&(Kind::CUSTOMER, id)), &pending)
        });
        crate::pages::order_detail::name_my_entries(ctx, entries.iter_mut());
        entries
    };
    view! {
        <h2>{i.s("修改记录", "History")}</h2>
        <ol class="history customer-history">
            {move || entries().into_iter().map(|e| view! {
                <crate::pages::order_detail::HistoryLine entry=e offset=offset catalogue=true/>
            }).collect_view()}
        </ol>
    }
}
