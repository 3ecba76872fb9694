//! 回款: record a payment received, set it against the customer's open orders (oldest
//! first unless changed), and the cashier's confirmation; the list of payments.

use crate::i18n::{self, Lang};
use crate::state::{now_ms, use_ctx};
use crate::sync;
use common::desk::money::Fen;
use common::desk::order::{FieldError, OrderView, Problem, Status};
use common::desk::payments::{self, allocate_oldest_first, Method, PaymentDraft, PaymentView, PAYMENT_WORKFLOW};
use common::desk::time::{format_local, local_date};
use common::engine::ids::RecordId;
use common::engine::record::Kind;
use common::engine::workflow;
use leptos::prelude::*;
use leptos_router::components::A;

/// Where a document owed for links to, and what it is called (中文, English): an order's
/// page and number, or for an opening balance (期初应收) the customer's page.
pub fn document_link(ctx: crate::state::Ctx, id: RecordId, number: &str) -> (String, String, String) {
    let opening =
        ctx.replica.with_untracked(|r| r.get(Kind::OPENING, id).map(common::desk::opening::Opening::from_record));
    match opening {
        Some(o) => {
            let date = o.as_of.map(|d| d.to_string()).unwrap_or_default();
            let (zh, en) = common::desk::opening::LABEL;
            let href = o.customer.map(|c| format!("/customers/{c}")).unwrap_or_else(|| "/customers".into());
            (href, format!("{zh} {date}"), format!("{en} {date}"))
        }
        None => (format!("/orders/{id}"), number.to_string(), number.to_string()),
    }
}

fn method_label(lang: Lang, m: Method) -> &'static str {
    let (zh, en) = common::desk::labels::method(m);
    i18n::pick(lang, zh, en)
}

/// The customer's orders with money still open on them, oldest first:
/// (order, number, open amount).
fn open_orders(ctx: crate::state::Ctx, customer: &str) -> Vec<(RecordId, String, Fen)> {
    let name = customer.trim();
    if name.is_empty() {
        return Vec::new();
    }
    let paid = ctx.payments();
    // The opening balance (期初应收) first: it is the oldest debt.
    let mut orders: Vec<OrderView> = ctx.replica.with_untracked(|r| {
        let openings = r.all(Kind::OPENING).map(|s| common::desk::opening::Opening::from_record(s).as_order());
        r.all(Kind::ORDER)
            .map(OrderView::from_record)
            .chain(openings)
            .filter(|o| o.customer_name == name && o.status != Status::Voided)
            .collect()
    });
    common::sort::sort_by_key(&mut orders, |o| o.created);
    orders
        .into_iter()
        .map(|o| {
            let open = payments::open_amount(&o, payments::paid(o.id, &paid));
            (o.id, o.number, open)
        })
        .filter(|(_, _, open)| open.0 > 0)
        .collect()
}

#[component]
pub fn PaymentsPage() -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let offset = ctx.offset_minutes();
    let may_record = ctx.actor().is_some_and(|a| payments::RECORDERS.contains(&a.role));
    let list = Memo::new(move |_| {
        let mut ps = ctx.payments();
        common::sort::sort_by_key(&mut ps, |p| std::cmp::Reverse((p.date, p.created)));
        ps
    });
    let open = RwSignal::new(false);
    view! {
        <section class="payments-page">
            <div class="page-head">
                <h1>{i.s("回款", "Payments received")}</h1>
                <crate::excel::ExportButton id="export-payments" path="payments.xlsx" filename="payments.xlsx"/>
            </div>
            {may_record.then(|| view! {
                <button type="button" id="new-payment" class="primary" on:click=move |_| { open.set(true); crate::components::focus_soon("pay-customer_name"); }>
                    {i.s("登记回款", "Record a payment")}</button>
            })}
            {move || open.get().then(|| view! { <PaymentForm on_done=Callback::new(move |_| open.set(false))/> })}
            <table class="list payments">
                <thead><tr>
                    <th scope="col">{i.s("日期", "Date")}</th>
                    <th scope="col">{i.s("客户", "Customer")}</th>
                    <th scope="col" class="num">{i.s("金额", "Amount")}</th>
                    <th scope="col">{i.s("方式", "Method")}</th>
                    <th scope="col">{i.s("凭证号", "Reference")}</th>
                    <th scope="col">{i.s("冲抵订单", "Set against")}</th>
                    <th scope="col">{i.s("确认", "Confirmed")}</th>
                </tr></thead>
                <tbody>
                    {move || list.get().into_iter().map(|p| view! { <PaymentRow p=p offset=offset/> }).collect_view()}
                </tbody>
            </table>
            {move || list.with(Vec::is_empty).then(|| view! { <p class="muted empty">{i.s("还没有回款。", "No payments yet.")}</p> })}
        </section>
    }
}

#[component]
fn PaymentRow(p: PaymentView, offset: i32) -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let id = p.id;
    let may_confirm = !p.confirmed
        && ctx.actor().is_some_and(|a| {
            ctx.replica.with_untracked(|r| {
                r.get(Kind::PAYMENT, id)
                    .is_some_and(|s| workflow::may_take(&PAYMENT_WORKFLOW, s, a.role.code(), "confirm"))
            })
        });
    let confirm = move |_| match ctx.payment_step(id) {
        Ok(()) => sync::kick(ctx),
        Err(e) => ctx.report_save_error(&e),
    };
    let method = p.method;
    let made = p.created.map(|c| format_local(c.wall_ms, offset)).unwrap_or_default();
    let allocations: Vec<(RecordId, String, Fen)> =
        p.allocations.iter().map(|a| (a.order, a.order_number.clone(), a.amount)).collect();
    let unallocated = p.unallocated();
    view! {
        <tr data-payment=p.reference.clone() data-confirmed=p.confirmed.to_string()>
            <td data-label=i.s("日期", "Date")>{p.date.map(|d| d.to_string()).unwrap_or_default()}<span class="muted">{format!(" {made}")}</span></td>
            <td data-label=i.s("客户", "Customer")>{p.customer_name.clone()}</td>
            <td data-label=i.s("金额", "Amount") class="num">{p.amount.to_string()}</td>
            <td data-label=i.s("方式", "Method")>{move || method.map(|m| method_label(i.lang(), m)).unwrap_or_default()}</td>
            <td data-label=i.s("凭证号", "Reference")>{p.reference.clone()}</td>
            <td data-label=i.s("冲抵订单", "Set against")>
                {allocations.into_iter().map(|(o, n, a)| {
                    let (href, zh, en) = document_link(ctx, o, &n);
                    view! { <span class="allocation"><A href=href>{move || if i.lang() == Lang::Zh { zh.clone() } else { en.clone() }}</A>{format!(" {a}")}</span>" " }
                }).collect_view()}
                {(unallocated.0 > 0).then(|| view! { <span class="muted">{move || if i.lang() == Lang::Zh { format!("未冲抵 {unallocated}") } else { format!("{unallocated} on account") }}</span> })}
            </td>
            <td data-label=i.s("确认", "Confirmed")>
                {if p.confirmed {
                    view! { <span class="ok">{i.s("已确认", "Confirmed")}</span> }.into_any()
                } else if may_confirm {
                    view! { <button type="button" class="confirm-payment" on:click=confirm>{i.s("确认收款", "Confirm")}</button> }.into_any()
                } else {
                    view! { <span class="warn">{i.s("待收银确认", "Awaiting the cashier")}</span> }.into_any()
                }}
            </td>
        </tr>
    }
}

/// One open order in the payment form: (order, number, open amount, the amount typed).
type AllocationBox = (RecordId, String, Fen, RwSignal<String>);

/// Record a payment: who paid, how much, when, how; then how it is set against the
/// customer's open orders (oldest first, each box editable).
#[component]
fn PaymentForm(on_done: Callback<()>) -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let today = local_date(now_ms(), ctx.offset_minutes());
    let customer = RwSignal::new(String::new());
    let amount = RwSignal::new(String::new());
    let date = RwSignal::new(today.to_string());
    let method = RwSignal::new("transfer".to_string());
    let reference = RwSignal::new(String::new());
    let notes = RwSignal::new(String::new());
    let errors = RwSignal::new(Vec::<FieldError>::new());
    // One box per open order of the customer, filled oldest first from the amount.
    let boxes: RwSignal<Vec<AllocationBox>> = RwSignal::new(Vec::new());
    let spread = move || {
        let open = open_orders(ctx, &customer.get_untracked());
        let total = Fen::parse(&amount.get_untracked()).unwrap_or(Fen::ZERO);
        let given = allocate_oldest_first(total, &open);
        boxes.set(
            open.into_iter()
                .map(|(o, n, due)| {
                    let a = given.iter().find(|g| g.order == o).map(|g| g.amount.to_plain()).unwrap_or_default();
                    (o, n, due, RwSignal::new(a))
                })
                .collect(),
        );
    };
    let customers = ctx.customers();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let name = customer.get_untracked();
        let known = ctx.customers().into_iter().find(|c| c.name == name.trim());
        let draft = PaymentDraft {
            customer: known.as_ref().map(|c| c.id),
            customer_name: name,
            amount: amount.get_untracked(),
            date: date.get_untracked(),
            method: method.get_untracked(),
            reference: reference.get_untracked(),
            notes: notes.get_untracked(),
            allocations: boxes.with_untracked(|bs| {
                bs.iter().map(|(o, n, due, v)| (*o, n.clone(), v.get_untracked(), *due)).collect()
            }),
        };
        match draft.validate(today) {
            Err(es) => {
                if let Some(e) = es.first() {
                    let _ = crate::components::focus_id(&format!("pay-{}", e.field.replace('.', "-")));
                }
                errors.set(es);
            }
            Ok(values) => {
                // The payment belongs where the customer's orders are.
                let office = boxes
                    .with_untracked(|bs| bs.first().map(|b| b.0))
                    .and_then(|o| ctx.replica.with_untracked(|r| r.get(Kind::ORDER, o).map(|s| s.office.clone())));
                match ctx.record_payment(office, values) {
                    Ok(_) => {
                        sync::kick(ctx);
                        on_done.run(());
                    }
                    Err(e) => ctx.report_save_error(&e),
                }
            }
        }
    };
    let err = move |f: String| {
        move || {
            errors.with(|es| {
                es.iter().find(|e| e.field == f).map(|e| match (e.problem, e.limit) {
                    (Problem::TooLarge, Some(limit)) if f.starts_with("allocations.") => match i.lang() {
                        Lang::Zh => format!("超过该单未收金额({})", Fen(limit)),
                        Lang::En => format!("More than is open on it ({})", Fen(limit)),
                    },
                    (Problem::TooLarge, Some(limit)) if f == "allocations" => match i.lang() {
                        Lang::Zh => format!("冲抵合计超过回款金额({})", Fen(limit)),
                        Lang::En => format!("Set against more than the payment ({})", Fen(limit)),
                    },
                    _ => i18n::problem_text(i.lang(), e),
                })
            })
        }
    };
    let text_box = move |id: &'static str, f: &'static str, label: Signal<&'static str>, v: RwSignal<String>| {
        view! {
            <span class="field">
                <label for=id>{label}</label>
                <input id=id prop:value=move || v.get() on:input=move |ev| v.set(event_target_value(&ev))
                    aria-invalid=move || err(f.to_string())().is_some().to_string()/>
                <span class="field-error" role="alert">{err(f.to_string())}</span>
            </span>
        }
    };
    view! {
        <form class="shipment-form payment-form" on:submit=save novalidate aria-label=i.s("登记回款", "Record a payment")>
            <div class="grid-2">
                <span class="field">
                    <label for="pay-customer_name">{i.s("客户", "Customer")}</label>
                    <input id="pay-customer_name" list="pay-customers" prop:value=move || customer.get()
                        on:input=move |ev| customer.set(event_target_value(&ev)) on:change=move |_| spread()
                        aria-invalid=move || err("customer_name".into())().is_some().to_string()/>
                    <datalist id="pay-customers">
                        {customers.into_iter().map(|c| view! { <option value=c.name.clone()></option> }).collect_view()}
                    </datalist>
                    <span class="field-error" role="alert">{err("customer_name".into())}</span>
                </span>
                <span class="field">
                    <label for="pay-amount">{i.s("金额(元)", "Amount (yuan)")}</label>
                    <input id="pay-amount" inputmode="decimal" prop:value=move || amount.get()
                        on:input=move |ev| amount.set(event_target_value(&ev)) on:change=move |_| spread()
                        aria-invalid=move || err("amount".into())().is_some().to_string()/>
                    <span class="field-error" role="alert">{err("amount".into())}</span>
                </span>
                {text_box("pay-date", "date", i.s("日期", "Date"), date)}
                <span class="field">
                    <label for="pay-method">{i.s("方式", "Method")}</label>
                    <select id="pay-method" on:change=move |ev| method.set(event_target_value(&ev)) prop:value=move || method.get()>
                        {Method::ALL.into_iter().map(|m| view! { <option value=m.code()>{move || method_label(i.lang(), m)}</option> }).collect_view()}
                    </select>
                </span>
                {text_box("pay-reference", "reference", i.s("银行凭证号", "Bank slip reference"), reference)}
                {text_box("pay-notes", "notes", i.s("备注", "Notes"), notes)}
            </div>
            <fieldset class="allocations">
                <legend>{i.s("冲抵订单(默认按最早的订单)", "Set against orders (oldest first unless changed)")}</legend>
                {move || boxes.with(Vec::is_empty).then(|| view! { <p class="muted">{i.s("这位客户没有未收款的订单;回款记为预收。", "This customer has no open orders: the payment stays on account.")}</p> })}
                {move || boxes.get().into_iter().enumerate().map(|(n, (_, number, due, v))| {
                    let id = format!("pay-allocations-{n}");
                    let key = number.clone();
                    view! {
                        <span class="field allocation-box" data-order=key>
                            <label for=id.clone()>{move || if i.lang() == Lang::Zh { format!("{number}(未收 {due})") } else { format!("{number} ({due} open)") }}</label>
                            <input id=id class="short" inputmode="decimal" prop:value=move || v.get() on:input=move |ev| v.set(event_target_value(&ev))/>
                            <span class="field-error" role="alert">{err(format!("allocations.{n}"))}</span>
                        </span>
                    }
                }).collect_view()}
                <span class="field-error" role="alert">{err("allocations".into())}</span>
            </fieldset>
            <div class="actions">
                <button type="submit" id="pay-save" class="primary">{i.s("保存回款", "Save payment")}</button>
                <button type="button" on:click=move |_| on_done.run(())>{i.s("取消", "Cancel")}</button>
            </div>
        </form>
    }
}

/// A credit order (月结, 货到付款) that takes its customer over their limit, as this device
/// knows it, and not let go by a manager: (what they owe already, the limit).
pub fn credit_blocked(ctx: crate::state::Ctx, state: &common::engine::record::RecordState) -> Option<(Fen, Fen)> {
    let order = OrderView::from_record(state);
    if OrderView::overridden(state, common::desk::order::MoneyRule::Credit) {
        return None;
    }
    let (limit, exposure) = ctx.credit_of(order.customer?, order.id)?;
    payments::over_credit(&order, Some(limit), exposure)
}

/// 催款: pay-on-arrival orders that have arrived and are not paid, per owning salesperson
/// (a salesperson sees their own customers'), oldest first; and each customer's overdue.
#[component]
pub fn CollectionsPage() -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let me = ctx.actor();
    let only_mine = me.as_ref().is_some_and(|a| a.role == common::desk::permissions::Role::Salesperson);
    let my_name = me.map(|a| a.username).unwrap_or_default();
    let today = local_date(now_ms(), ctx.offset_minutes());
    let me_too = my_name.clone();
    let rows = Memo::new(move |_| {
        let list = crate::pages::reports::books(ctx).chase(today);
        list.into_iter().filter(|c| !only_mine || c.salesperson == me_too).collect::<Vec<_>>()
    });
    let overdue = Memo::new(move |_| {
        let aged = crate::pages::reports::books(ctx).aged(today);
        let mut v: Vec<common::desk::ageing::Aged> =
            aged.into_iter().filter(|a| a.bucket() > 0 && (!only_mine || a.salesperson == my_name)).collect();
        common::sort::sort_by(&mut v, |a, b| (&a.salesperson, a.shipped).cmp(&(&b.salesperson, b.shipped)));
        v
    });
    view! {
        <section class="collections-page">
            <div class="page-head">
                <h1>{i.s("催款", "Collections")}</h1>
                <crate::excel::ExportButton id="export-collections" path="collections.xlsx" filename="collections.xlsx"/>
            </div>
            <p class="muted">{move || if only_mine {
                i.t("你的客户里,货到付款、货已到而未收款的订单,到货最早的在前。", "Your customers' pay-on-arrival orders that have arrived and are unpaid, the earliest arrival first.")
            } else {
                i.t("货到付款、货已到而未收款的订单,按业务员,到货最早的在前。", "Pay-on-arrival orders that have arrived and are unpaid, by salesperson, the earliest arrival first.")
            }}</p>
            <table class="list collections">
                <thead><tr>
                    <th scope="col">{i.s("业务员", "Salesperson")}</th>
                    <th scope="col">{i.s("到货", "Arrived")}</th>
                    <th scope="col">{i.s("客户", "Customer")}</th>
                    <th scope="col">{i.s("单号", "Number")}</th>
                    <th scope="col" class="num">{i.s("未收", "Open")}</th>
                </tr></thead>
                <tbody>
                    {move || rows.get().into_iter().map(|c| {
                        let days = today.days() - c.arrived.days();
                        let key = c.number.clone();
                        view! {
                            <tr data-number=key>
                                <td data-label=i.s("业务员", "Salesperson")>{c.salesperson.clone()}</td>
                                <td data-label=i.s("到货", "Arrived")>{c.arrived.to_string()}
                                    <span class="muted">{move || if i.lang() == Lang::Zh { format!("({days} 天)") } else { format!(" ({days} days)") }}</span></td>
                                <td data-label=i.s("客户", "Customer")>{c.customer.clone()}</td>
                                <td data-label=i.s("单号", "Number")><A href=format!("/orders/{}", c.order)>{c.number.clone()}</A></td>
                                <td data-label=i.s("未收", "Open") class="num" data-open=c.open.0>{c.open.to_string()}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            {move || rows.with(Vec::is_empty).then(|| view! { <p class="muted">{i.s("没有要催的款。", "Nothing to chase.")}</p> })}
            <h2>{i.s("逾期应收(发货超过 30 天)", "Overdue (shipped over 30 days ago)")}</h2>
            <table class="list overdue">
                <thead><tr>
                    <th scope="col">{i.s("业务员", "Salesperson")}</th>
                    <th scope="col">{i.s("发货", "Shipped")}</th>
                    <th scope="col">{i.s("客户", "Customer")}</th>
                    <th scope="col">{i.s("单号", "Number")}</th>
                    <th scope="col" class="num">{i.s("未收", "Open")}</th>
                </tr></thead>
                <tbody>
                    {move || overdue.get().into_iter().map(|a| {
                        let days = a.days;
                        let number = a.number.clone();
                        view! {
                            <tr data-number=number>
                                <td data-label=i.s("业务员", "Salesperson")>{a.salesperson.clone()}</td>
                                <td data-label=i.s("发货", "Shipped")>{a.shipped.to_string()}
                                    <span class="late">{move || if i.lang() == Lang::Zh { format!("({days} 天)") } else { format!(" ({days} days)") }}</span></td>
                                <td data-label=i.s("客户", "Customer")>{a.customer_name.clone()}</td>
                                <td data-label=i.s("单号", "Number")>{
                                    let (href, zh, en) = document_link(ctx, a.order, &a.number);
                                    view! { <A href=href>{move || if i.lang() == Lang::Zh { zh.clone() } else { en.clone() }}</A> }
                                }</td>
                                <td data-label=i.s("未收", "Open") class="num" data-open=a.open.0>{a.open.to_string()}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            {move || overdue.with(Vec::is_empty).then(|| view! { <p class="muted">{i.s("没有逾期的应收款。", "Nothing overdue.")}</p> })}
        </section>
    }
}
