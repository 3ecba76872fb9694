//! One order: what was taken, where it stands, and the next step in the desk's workflow.

use crate::components::StatusLabel;
use crate::i18n::{self, Lang};
use crate::pages::orders::sync_mark_text;
use crate::state::use_ctx;
use crate::sync;
use common::desk::order::{Action, OrderLine, OrderView, PaymentStamp, Status};
use common::desk::time::format_local;
use common::engine::ids::RecordId;
use common::engine::record::Kind;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use serde_json::Value;

fn action_text(lang: Lang, a: &Action) -> String {
    let zh = lang == Lang::Zh;
    match a {
        Action::Review => (if zh { "复核" } else { "Reviewed" }).to_string(),
        Action::Audit { stamp } => {
            format!("{}:{}", if zh { "收银审核" } else { "Cashier audit" }, i18n::stamp(lang, *stamp))
        }
        Action::HandOver => (if zh { "交物流" } else { "Handed to logistics" }).to_string(),
        Action::Ship { waybill, packages } => {
            if zh {
                format!("发货 运单号 {waybill} 共 {packages} 件")
            } else {
                format!("Shipped, waybill {waybill}, {packages} packages")
            }
        }
        Action::Void { reason } => format!("{} {reason}", if zh { "作废" } else { "Voided" }),
    }
}

/// A conflicting value, shown as people would read it.
fn show_value(v: &Value) -> String {
    if let Ok(lines) = serde_json::from_value::<Vec<OrderLine>>(v.clone()) {
        return lines
            .iter()
            .map(|l| format!("{} {}×{}", l.model, l.quantity, l.unit_price))
            .collect::<Vec<_>>()
            .join("; ");
    }
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[component]
pub fn OrderDetail() -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id")).and_then(|s| RecordId::parse(&s).ok()));
    let order = Memo::new(move |_| {
        id.get().and_then(|id| ctx.replica.with(|r| r.get(Kind::ORDER, id).map(OrderView::from_record)))
    });
    let offset = ctx.offset_minutes();
    view! {
        <Show when=move || order.with(Option::is_some) fallback=move || view! {
            <section><h1>{move || i.t("找不到这张订单", "Order not found")}</h1><A href="/orders">{move || i.t("回到订单", "Back to orders")}</A></section>
        }>
            {move || order.get().map(|o| view! { <OrderPage order=o offset=offset/> })}
        </Show>
    }
}

#[component]
fn OrderPage(order: OrderView, offset: i32) -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let id = order.id;
    let mark = move || ctx.replica.with(|r| r.sync_mark(Kind::ORDER, id));
    let refused = move || {
        ctx.replica.with(|r| {
            r.refused_for(Kind::ORDER, id).into_iter().map(|x| (x.change.id, x.message.clone())).collect::<Vec<_>>()
        })
    };
    let events = ctx.replica.with_untracked(|r| {
        r.get(Kind::ORDER, id)
            .map(|s| s.events.iter().map(|(t, e)| (*t, e.clone())).collect::<Vec<_>>())
            .unwrap_or_default()
    });
    let created = order.created.map(|c| format_local(c.wall_ms, offset)).unwrap_or_default();
    let payment = order.payment;
    let edit_href = format!("/orders/{id}/edit");
    let can_edit = ctx.actor().is_some_and(|a| a.can_edit(Kind::ORDER))
        && matches!(order.status, Status::Entered | Status::Reviewed);
    let lines = order.lines.clone();
    let field_conflicts = order.field_conflicts.clone();
    let status_conflicts = order.status_conflicts.clone();
    view! {
        <section class="order-detail">
            <div class="page-head">
                <h1><span class="mono" data-number=order.number.clone()>{order.number.clone()}</span>" "<StatusLabel status=order.status/></h1>
                <span class=move || format!("sync-mark sync-{}", mark().code()) data-sync=move || mark().code()>{move || sync_mark_text(mark(), i)}</span>
            </div>
            {move || refused().into_iter().map(|(seq, msg)| view! {
                <div class="notice refused" role="alert">
                    <span>{move || i.t("服务器拒绝了一次修改:", "The server refused a change: ")}{msg.clone()}</span>
                    <button type="button" class="quiet" on:click=move |_| ctx.dismiss_refused(seq)>{move || i.t("知道了", "Dismiss")}</button>
                </div>
            }).collect_view()}
            {(!field_conflicts.is_empty() || !status_conflicts.is_empty()).then(|| view! {
                <div class="conflicts" role="region" aria-label=move || i.t("冲突", "Conflicts")>
                    <h2>{move || i.t("两处同时修改,需要确认", "Edited in two places at once: please settle")}</h2>
                    {field_conflicts.iter().map(|c| {
                        let field = c.field.clone();
                        view! {
                            <div class="conflict">
                                <strong>{field.clone()}</strong>
                                {c.versions.iter().map(|(_, v)| {
                                    let v2 = v.clone();
                                    let field = field.clone();
                                    view! {
                                        <button type="button" on:click=move |_| {
                                            match ctx.settle(Kind::ORDER, id, &field, v2.clone()) {
                                                Ok(()) => sync::kick(ctx),
                                                Err(e) => ctx.report_save_error(&e),
                                            }
                                        }>{move || i.t("采用:", "Keep: ")}{show_value(v)}</button>
                                    }
                                }).collect_view()}
                            </div>
                        }
                    }).collect_view()}
                    {status_conflicts.iter().map(|c| {
                        let text = format!("{} ({})", action_text(i.lang(), &c.action), c.by);
                        let then = c.status_then;
                        view! { <p>{move || i.t("无法执行的操作:", "Could not apply: ")}{text.clone()}" — "{move || i18n::status(i.lang(), then)}</p> }
                    }).collect_view()}
                </div>
            })}
            <dl class="facts">
                <dt>{move || i.t("客户", "Customer")}</dt><dd>{order.customer_name.clone()}</dd>
                <dt>{move || i.t("电话", "Phone")}</dt><dd>{order.phone.clone()}</dd>
                <dt>{move || i.t("送货地址", "Delivery address")}</dt><dd>{order.address.clone()}</dd>
                <dt>{move || i.t("货站", "Freight station")}</dt><dd>{order.station.clone()}" "{order.station_contract.clone()}</dd>
                <dt>{move || i.t("要货日期", "Delivery date")}</dt><dd>{order.delivery_date.clone()}</dd>
                <dt>{move || i.t("结款方式", "Payment terms")}</dt><dd>{move || payment.map(|p| i18n::payment(i.lang(), p)).unwrap_or_default()}</dd>
                <dt>{move || i.t("开单时间", "Taken at")}</dt><dd>{created.clone()}</dd>
                <dt>{move || i.t("备注", "Notes")}</dt><dd>{order.notes.clone()}</dd>
            </dl>
            <table class="list lines-view">
                <thead><tr>
                    <th scope="col">{move || i.t("型号", "Model")}</th>
                    <th scope="col">{move || i.t("名称", "Name")}</th>
                    <th scope="col" class="num">{move || i.t("数量", "Qty")}</th>
                    <th scope="col">{move || i.t("单位", "Unit")}</th>
                    <th scope="col" class="num">{move || i.t("单价", "Unit price")}</th>
                    <th scope="col" class="num">{move || i.t("金额", "Amount")}</th>
                </tr></thead>
                <tbody>
                    {lines.into_iter().map(|l| {
                        let amount = l.amount().map(|a| a.to_string()).unwrap_or_default();
                        view! {
                            <tr class="line">
                                <td data-label=move || i.t("型号", "Model")>{l.model}</td>
                                <td data-label=move || i.t("名称", "Name")>{l.name}</td>
                                <td data-label=move || i.t("数量", "Qty") class="num">{l.quantity}</td>
                                <td data-label=move || i.t("单位", "Unit")>{l.unit}</td>
                                <td data-label=move || i.t("单价", "Unit price") class="num">{l.unit_price.to_string()}</td>
                                <td data-label=move || i.t("金额", "Amount") class="num">{amount}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            <p class="total">{move || i.t("合计", "Total")}": "<strong class="num">{order.total.to_string()}</strong>" "<span class="capital">{order.total.to_capital()}</span></p>
            <div class="actions">
                {can_edit.then(|| view! { <A href=edit_href attr:class="button">{move || i.t("修改", "Edit")}</A> })}
                <Actions id=id status=order.status/>
            </div>
            <h2>{move || i.t("经过", "History")}</h2>
            <ol class="history">
                <li>{created}" "{move || i.t("开单", "Order taken")}</li>
                {events.into_iter().map(|(t, e)| {
                    let when = format_local(t.wall_ms, offset);
                    view! { <li>{when}" "{move || action_text(i.lang(), &e.action)}" · "{e.by.clone()}</li> }
                }).collect_view()}
            </ol>
        </section>
    }
}

/// The workflow buttons this person may press on an order in this status.
#[component]
fn Actions(id: RecordId, status: Status) -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let Some(actor) = ctx.actor() else {
        return ().into_any();
    };
    let possible = |a: &Action| actor.can_act(a) && status.after(a).is_some();
    let run = move |a: Action| match ctx.act(id, a) {
        Ok(()) => sync::kick(ctx),
        Err(e) => ctx.report_save_error(&e),
    };
    let stamp = RwSignal::new("collect".to_string());
    let waybill = RwSignal::new(String::new());
    let packages = RwSignal::new("1".to_string());
    let reason = RwSignal::new(String::new());
    let review = possible(&Action::Review);
    let audit = possible(&Action::Audit { stamp: PaymentStamp::Paid });
    let hand_over = possible(&Action::HandOver);
    let ship = possible(&Action::Ship { waybill: String::new(), packages: 0 });
    let void = possible(&Action::Void { reason: String::new() });
    view! {
        {review.then(|| view! { <button type="button" on:click=move |_| run(Action::Review)>{move || i.t("复核无误", "Mark reviewed")}</button> })}
        {audit.then(|| view! {
            <span class="inline-form">
                <label for="stamp">{move || i.t("收银章", "Payment stamp")}</label>
                <select id="stamp" on:change=move |ev| stamp.set(event_target_value(&ev))>
                    <option value="collect">{move || i18n::stamp(i.lang(), PaymentStamp::Collect)}</option>
                    <option value="receivable">{move || i18n::stamp(i.lang(), PaymentStamp::Receivable)}</option>
                    <option value="paid">{move || i18n::stamp(i.lang(), PaymentStamp::Paid)}</option>
                </select>
                <button type="button" on:click=move |_| {
                    let s = match stamp.get_untracked().as_str() { "paid" => PaymentStamp::Paid, "receivable" => PaymentStamp::Receivable, _ => PaymentStamp::Collect };
                    run(Action::Audit { stamp: s })
                }>{move || i.t("审核盖章", "Audit and stamp")}</button>
            </span>
        })}
        {hand_over.then(|| view! { <button type="button" on:click=move |_| run(Action::HandOver)>{move || i.t("交物流", "Hand to logistics")}</button> })}
        {ship.then(|| view! {
            <span class="inline-form">
                <label for="waybill">{move || i.t("运单号", "Waybill")}</label>
                <input id="waybill" prop:value=move || waybill.get() on:input=move |ev| waybill.set(event_target_value(&ev))/>
                <label for="packages">{move || i.t("件数", "Packages")}</label>
                <input id="packages" class="short" inputmode="numeric" prop:value=move || packages.get() on:input=move |ev| packages.set(event_target_value(&ev))/>
                <button type="button" on:click=move |_| run(Action::Ship { waybill: waybill.get_untracked().trim().to_string(), packages: packages.get_untracked().trim().parse().unwrap_or(0) })>
                    {move || i.t("登记发货", "Register shipment")}
                </button>
            </span>
        })}
        {void.then(|| view! {
            <span class="inline-form">
                <label for="reason">{move || i.t("作废原因", "Reason to void")}</label>
                <input id="reason" prop:value=move || reason.get() on:input=move |ev| reason.set(event_target_value(&ev))/>
                <button type="button" class="danger" on:click=move |_| run(Action::Void { reason: reason.get_untracked().trim().to_string() })>{move || i.t("作废", "Void")}</button>
            </span>
        })}
    }
    .into_any()
}
