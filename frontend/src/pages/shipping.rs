//! Shipping on an order (what left, what is still to ship, what came back, each shipment
//! with its waybills, call and receipt) and the shipment form; the 发货 screen with the
//! morning notice calls, the unconfirmed shipments and the freight-station log.

use crate::i18n::{self, Lang};
use crate::state::{now_ms, use_ctx};
use crate::sync;
use common::desk::customer::CustomerView;
use common::desk::money::Fen;
use common::desk::order::{FieldError, OrderView, Problem};
use common::desk::shipping::{
    self, notice_list, unconfirmed, LogKind, ShipAction, ShipmentDraft, ShipmentView, Shipping, SHIPMENT_WORKFLOW,
};
use common::desk::time::{format_local, local_date, Date};
use common::engine::ids::RecordId;
use common::engine::record::{Kind, RecordState};
use common::engine::workflow;
use leptos::prelude::*;
use leptos_router::components::A;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Enter in a box moves to the next one, as on the order form (picking a suggestion with
/// Enter must not save a half-filled form); Ctrl+Enter saves.
fn enter_moves_on(ev: leptos::ev::KeyboardEvent) {
    use wasm_bindgen::JsCast;
    if ev.key() != "Enter" || ev.ctrl_key() || ev.meta_key() {
        return;
    }
    let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else { return };
    if matches!(input.type_().as_str(), "submit" | "button" | "checkbox" | "radio") {
        return;
    }
    ev.prevent_default();
    let Some(form) = input.closest("form").ok().flatten() else { return };
    let Ok(all) = form.query_selector_all("input:not([disabled]), select:not([disabled]), button:not([disabled])")
    else {
        return;
    };
    let nodes: Vec<web_sys::Node> = (0..all.length()).filter_map(|k| all.item(k)).collect();
    if let Some(at) = nodes.iter().position(|n| n.is_same_node(Some(&input))) {
        if let Some(next) = nodes.get(at + 1).and_then(|n| n.clone().dyn_into::<web_sys::HtmlElement>().ok()) {
            let _ = next.focus();
        }
    }
}

fn focus(id: &str) {
    let _ = crate::components::focus_id(id);
}

fn today() -> Date {
    local_date(now_ms(), use_ctx().offset_minutes())
}

/// "DB-1 × 2 件, DB-2 × 1 件"
fn waybills_text(lang: Lang, s: &ShipmentView) -> String {
    s.waybills
        .iter()
        .map(|w| match lang {
            Lang::Zh => format!("{} × {} 件", w.number, w.packages),
            Lang::En => format!("{} × {}", w.number, w.packages),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A person's name for `username`: the logged-in person's own, else the user name (the
/// server's log names everyone else once synced).
fn display_name(username: &str) -> String {
    use_ctx()
        .session
        .with_untracked(|s| s.as_ref().filter(|s| s.user.username == username).map(|s| s.user.display_name.clone()))
        .unwrap_or_else(|| username.to_string())
}

/// Who made a record (its first log entry), as the history names them; a record not yet
/// synced was made here, by whoever is logged in.
fn made_by(state: Option<&RecordState>) -> String {
    match state.and_then(|s| s.log.values().next()) {
        Some(l) => l.name.clone(),
        None => {
            use_ctx().session.with_untracked(|s| s.as_ref().map(|s| s.user.display_name.clone())).unwrap_or_default()
        }
    }
}

/// A shipment's or station-log step as the history names it.
pub fn ship_action_text(lang: Lang, a: &ShipAction) -> String {
    let zh = lang == Lang::Zh;
    match a {
        ShipAction::Notify { spoke_to, said } => match zh {
            true => {
                format!("发货通知:告知 {spoke_to}{}", if said.is_empty() { String::new() } else { format!("({said})") })
            }
            false => format!(
                "Customer told: {spoke_to}{}",
                if said.is_empty() { String::new() } else { format!(" ({said})") }
            ),
        },
        ShipAction::Receipt { date, signer, letter } => match zh {
            true => format!("签收:{date} {signer}{}", if *letter { ",确认函已回" } else { "" }),
            false => format!("Received: {date} by {signer}{}", if *letter { ", letter back" } else { "" }),
        },
        ShipAction::Correct { reason } => format!("{}:{reason}", i18n::pick(lang, "更正", "Correction")),
        ShipAction::Print { .. } => i18n::pick(lang, "打印", "Printed").to_string(),
    }
}

/// The history of a shipment (made, called about, signed for, corrected), oldest first.
fn shipment_history(id: RecordId) -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let offset = ctx.offset_minutes();
    let mut entries = ctx.replica.with_untracked(|r| {
        let pending = r.pending_for(Kind::SHIPMENT, id);
        common::desk::history::history(r.confirmed.get(&(Kind::SHIPMENT, id)), &pending)
    });
    crate::pages::order_detail::name_my_entries(ctx, entries.iter_mut());
    view! {
        <details class="shipment-history">
            <summary>{i.s("经过", "History")}</summary>
            <ol class="history">
                {entries.into_iter().map(|e| view! { <crate::pages::order_detail::HistoryLine entry=e offset=offset catalogue=true/> }).collect_view()}
            </ol>
        </details>
    }
}

/// The shipping part of an order: quantities, shipments, and the form for the next one.
#[component]
pub fn ShippingPanel(id: RecordId) -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let Some(actor) = ctx.actor() else { return ().into_any() };
    // Read from the replica here, not passed in: the panel (and a form being typed in it)
    // lives on while the order's record changes under it (a sync, another step).
    let order = Memo::new(move |_| ctx.replica.with(|r| r.get(Kind::ORDER, id).map(OrderView::from_record)));
    let shipping = Memo::new(move |_| order.with(|o| o.as_ref().map(|o| ctx.shipping_of(o)).unwrap_or_default()));
    let open = RwSignal::new(false);
    let can_ship = move || {
        shipping::SHIPPERS.contains(&actor.role)
            && order.with(|o| match o {
                Some(o) if o.progress.fact.is_some() => o.void_reason.is_none(),
                Some(_) => ctx.replica.with(|r| {
                    r.get(Kind::ORDER, id).is_some_and(|s| {
                        workflow::may_take(&common::desk::order::WORKFLOW, s, actor.role.code(), "ship")
                            && !prepay_blocked(ctx, s)
                    })
                }),
                None => false,
            })
    };
    let shown = Memo::new(move |_| order.with(|o| o.as_ref().is_some_and(|o| o.progress.fact.is_some())) || can_ship());
    view! {
        <Show when=move || shown.get()>
        <section class="shipping" aria-labelledby="shipping-h">
            <h2 id="shipping-h">{i.s("发货", "Shipping")}</h2>
            {move || {
                let (s, list) = shipping.get();
                (!list.is_empty()).then(|| order.get().map(|o| view! { <ShippedTable order=o shipping=s/> }))
            }}
            <div class="shipment-list">
                {move || {
                    let (_, mut list) = shipping.get();
                    common::sort::sort_by_key(&mut list, |s| (s.ship_date, s.created));
                    list.into_iter().map(|s| view! { <ShipmentCard shipment=s on_order_page=true/> }).collect_view()
                }}
            </div>
            {move || (can_ship() && !open.get() && !shipping.with(|(s, _)| s.complete())).then(|| view! {
                <button type="button" id="new-shipment" class="primary" on:click=move |_| { open.set(true); focus_soon("sh-station"); }>
                    {move || if shipping.with(|(s, _)| s.any_shipped()) { i.t("再发一批", "Ship more") } else { i.t("登记发货", "Register shipment") }}
                </button>
            })}
            {move || open.get().then(|| order.get_untracked().map(|o| view! {
                <ShipmentForm order=o shipping=shipping.get_untracked().0 correcting=None on_done=Callback::new(move |_| open.set(false))/>
            }))}
        </section>
        </Show>
    }
    .into_any()
}

/// A prepay order not yet covered by confirmed payments, and not let go by a manager.
pub fn prepay_blocked(ctx: crate::state::Ctx, state: &RecordState) -> bool {
    let view = OrderView::from_record(state);
    common::desk::payments::prepay_blocks(
        &view,
        ctx.paid_for(view.id),
        OrderView::overridden(state, common::desk::order::MoneyRule::Prepay),
    )
}

fn focus_soon(id: &'static str) {
    crate::components::focus_soon(id);
}

/// Ordered, shipped, still to ship and returned, per line.
#[component]
fn ShippedTable(order: OrderView, shipping: Shipping) -> impl IntoView {
    let i = use_ctx().i18n;
    let over = shipping.over_shipped.clone();
    view! {
        {(!over.is_empty()).then(|| view! {
            <p class="notice warn" role="alert" data-over-shipped="">{i.s(
                "发出的数量超过了订购数量(可能两处同时发了同一批货):请核对,由经理更正。",
                "More has shipped than was ordered (two places may have shipped the same goods): check, and have a manager correct it.")}</p>
        })}
        <table class="list shipped-table">
            <thead><tr>
                <th scope="col">{i.s("型号", "Model")}</th>
                <th scope="col">{i.s("名称", "Name")}</th>
                <th scope="col" class="num">{i.s("订购", "Ordered")}</th>
                <th scope="col" class="num">{i.s("已发", "Shipped")}</th>
                <th scope="col" class="num">{i.s("待发", "To ship")}</th>
                <th scope="col" class="num">{i.s("退回", "Returned")}</th>
            </tr></thead>
            <tbody>
                {order.lines.iter().zip(shipping.lines.iter()).enumerate().map(|(n, (l, q))| view! {
                    <tr data-line=l.model.clone() class:over=over.contains(&n)>
                        <td data-label=i.s("型号", "Model")>{l.model.clone()}</td>
                        <td data-label=i.s("名称", "Name")>{l.name.clone()}</td>
                        <td data-label=i.s("订购", "Ordered") class="num">{q.ordered}</td>
                        <td data-label=i.s("已发", "Shipped") class="num" data-shipped=q.shipped>{q.shipped}</td>
                        <td data-label=i.s("待发", "To ship") class="num" data-remaining=q.remaining>{q.remaining}</td>
                        <td data-label=i.s("退回", "Returned") class="num" data-returned=q.returned>{q.returned}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// One shipment: where it went, its waybills, the call and the receipt, and what may be
/// done with it now.
#[component]
pub fn ShipmentCard(
    shipment: ShipmentView,
    /// On the order's own page the link back to it is left out.
    #[prop(optional)]
    on_order_page: bool,
) -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let offset = ctx.offset_minutes();
    let role = ctx.actor().map(|a| a.role);
    let id = shipment.id;
    let state = ctx.replica.with_untracked(|r| r.get(Kind::SHIPMENT, id).cloned());
    let by = made_by(state.as_ref());
    let may = |step: &str| {
        role.zip(state.as_ref()).is_some_and(|(r, s)| workflow::may_take(&SHIPMENT_WORKFLOW, s, r.code(), step))
    };
    // Signed for: nothing left to tell, nothing more to sign.
    let open_ends = shipment.receipt.is_none();
    let (may_notify, may_receipt, may_correct) =
        (may("notify") && open_ends && shipment.notified.is_none(), may("receipt") && open_ends, may("correct"));
    let form = RwSignal::new(None::<&'static str>);
    let s = StoredValue::new(shipment.clone());
    let when = |n: &shipping::Noted| format_local(n.at.wall_ms, offset);
    let notified = shipment.notified.clone().map(|n| {
        let text = match &n.action {
            ShipAction::Notify { spoke_to, said } => (spoke_to.clone(), said.clone()),
            _ => Default::default(),
        };
        let who = state
            .as_ref()
            .and_then(|st| st.log.get(&n.at))
            .map(|l| l.name.clone())
            .unwrap_or_else(|| display_name(&n.by));
        (who, when(&n), text)
    });
    let receipt = shipment.receipt.clone().map(|n| match n.action {
        ShipAction::Receipt { date, signer, letter } => (date, signer, letter),
        _ => Default::default(),
    });
    let order_link = shipment.order.filter(|_| !on_order_page).map(|o| format!("/orders/{o}"));
    let first_waybill = shipment.waybills.first().map(|w| w.number.clone()).unwrap_or_default();
    let all_waybills = shipment.waybills.iter().map(|w| w.number.clone()).collect::<Vec<_>>().join(" ");
    view! {
        <article class="shipment-card" data-shipment=first_waybill
            data-notified=shipment.notified.is_some().to_string()>
            <header>
                <strong>{shipment.ship_date.map(|d| d.to_string()).unwrap_or_default()}</strong>" "
                {shipment.station.clone()}
                {(!shipment.station_phone.is_empty()).then(|| format!(" ☎ {}", shipment.station_phone))}
                {(!shipment.station_contract.is_empty()).then(|| format!(" · {}", shipment.station_contract))}
                {order_link.map(|href| view! { " · " <A href=href>{shipment.order_number.clone()}</A> })}
            </header>
            <p class="waybills" data-waybills=all_waybills>
                {i.s("运单:", "Waybills: ")}{move || waybills_text(i.lang(), &s.get_value())}
                {move || match (i.lang(), s.with_value(ShipmentView::packages)) {
                    (Lang::Zh, n) => format!(" · 共 {n} 件"),
                    (Lang::En, 1) => " · 1 package".to_string(),
                    (Lang::En, n) => format!(" · {n} packages"),
                }}
            </p>
            <p class="muted">
                {let lines: Vec<String> = shipment.lines.iter().map(|l| format!("{} {} × {}", l.model, l.name, l.quantity)).collect();
                 move || lines.join(if i.lang() == Lang::Zh { ";" } else { "; " })}
            </p>
            {shipment.expected_arrival.map(|d| view! { <p data-expected=d.to_string()>{i.s("预计到货:", "Expected: ")}{d.to_string()}</p> })}
            {shipment.direct.then(|| view! { <p>{i.s("直发,全称:", "Direct, full name: ")}<strong>{shipment.full_name.clone()}</strong></p> })}
            {shipment.to_branch.clone().map(|b| view! { <p class="packing">{i.s("发往分公司 ", "To branch ")}{b.to_string()}{i.s(",箱内有清单", "; packing list in the box (内有清单)")}</p> })}
            <p class="muted">{i.s("发货人:", "Shipped by: ")}{by}
                {(shipment.corrections > 0).then(|| if i.lang() == Lang::Zh { format!(" · 已更正 {} 次", shipment.corrections) } else { format!(" · corrected {} times", shipment.corrections) })}
            </p>
            {shipment.conflict.then(|| view! { <p class="notice warn" role="alert">{i.s("两处同时更正了这批发货,请经理核对后再更正一次。", "Two corrections crossed: a manager should check and correct it once more.")}</p> })}
            <p class="notified">
                {match notified {
                    Some((who, at, (spoke_to, said))) => view! {
                        <span class="ok">{move || if i.lang() == Lang::Zh { format!("已通知:{who} 于 {at} 告知 {spoke_to}") } else { format!("Told: {who} called {spoke_to} at {at}") }}
                            {(!said.is_empty()).then_some(move || if i.lang() == Lang::Zh { format!("({said})") } else { format!(" ({said})") })}</span>
                    }.into_any(),
                    None if shipment.stale_notice.is_some() => view! { <span class="warn">{i.s("更正后尚未重新通知客户", "Corrected since the customer was told: call again")}</span> }.into_any(),
                    None => view! { <span class="warn">{i.s("尚未通知客户", "Customer not yet told")}</span> }.into_any(),
                }}
            </p>
            {receipt.map(|(date, signer, letter)| { let shown = date.clone(); view! {
                <p class="ok" data-receipt=shown>{move || if i.lang() == Lang::Zh {
                    format!("已签收:{date},{signer}{}", if letter { ",确认函已回" } else { "" })
                } else {
                    format!("Received {date} by {signer}{}", if letter { "; confirmation letter back" } else { "" })
                }}</p>
            }})}
            <div class="actions">
                {may_notify.then(|| view! { <button type="button" class="notify-open" on:click=move |_| { form.set(Some("notify")); focus_soon("n-spoke_to"); }>{i.s("记下已通知", "Record the call")}</button> })}
                {may_receipt.then(|| view! { <button type="button" class="receipt-open" on:click=move |_| { form.set(Some("receipt")); focus_soon("r-signer"); }>{i.s("签收", "Receipt")}</button> })}
                {may_correct.then(|| view! { <button type="button" class="correct-open" on:click=move |_| form.set(Some("correct"))>{i.s("更正", "Correct")}</button> })}
                <A href=format!("/shipments/{id}/print?doc=letter") attr:class="button print-letter">{i.s("收货确认函", "Confirmation letter")}</A>
                {shipment.to_branch.is_some().then(|| view! { <A href=format!("/shipments/{id}/print?doc=packing") attr:class="button print-packing">{i.s("装箱清单", "Packing list")}</A> })}
            </div>
            {shipment_history(id)}
            {move || match form.get() {
                Some("notify") => view! { <NotifyForm ids=vec![id] on_done=Callback::new(move |_| form.set(None))/> }.into_any(),
                Some("receipt") => view! { <ReceiptForm id=id on_done=Callback::new(move |_| form.set(None))/> }.into_any(),
                Some("correct") => {
                    let sv = s.get_value();
                    let order = sv.order.and_then(|o| ctx.replica.with_untracked(|r| r.get(Kind::ORDER, o).map(OrderView::from_record)));
                    match order {
                        Some(o) => view! { <ShipmentForm order=o shipping=Shipping::default() correcting=Some(sv) on_done=Callback::new(move |_| form.set(None))/> }.into_any(),
                        None => view! { <p class="hint">{i.s("这台设备上没有这张订单。", "This device does not hold the order.")}</p> }.into_any(),
                    }
                }
                _ => ().into_any(),
            }}
        </article>
    }
}

/// A text box with its label and its error, for the small forms here.
fn boxed(
    id: &'static str,
    label: Signal<&'static str>,
    value: RwSignal<String>,
    errors: RwSignal<Vec<FieldError>>,
    field: String,
) -> impl IntoView {
    let i = use_ctx().i18n;
    let f2 = field.clone();
    let err = Memo::new(move |_| errors.with(|es| es.iter().find(|e| e.field == f2).cloned()));
    let err2 = err;
    let err_id = format!("{id}-err");
    view! {
        <span class="field">
            <label for=id>{label}</label>
            <input id=id aria-invalid=move || err.with(Option::is_some).to_string() aria-describedby=err_id.clone()
                prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))/>
            <span class="field-error" id=err_id role="alert" hidden=move || err2.with(Option::is_none)>
                {move || err2.get().map(|e| i18n::problem_text(i.lang(), &e)).unwrap_or_default()}
            </span>
        </span>
    }
}

fn one_error(field: &str, p: Problem) -> Vec<FieldError> {
    vec![FieldError::new(field, p)]
}

/// 发货通知: whom the desk spoke to and what was said.
#[component]
fn NotifyForm(#[prop(into)] ids: Vec<RecordId>, on_done: Callback<()>) -> impl IntoView {
    let ids = StoredValue::new(ids);
    let ctx = use_ctx();
    let i = ctx.i18n;
    let spoke_to = RwSignal::new(String::new());
    let said = RwSignal::new(String::new());
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let a = ShipAction::Notify {
            spoke_to: spoke_to.get_untracked().trim().into(),
            said: said.get_untracked().trim().into(),
        };
        match ShipAction::from_parts(a.code(), &a.data()) {
            Err(e) => {
                focus(&format!("n-{}", e.field));
                errors.set(vec![e]);
            }
            Ok(a) => {
                // One call can cover several shipments of an order: each records it.
                let saved = ids.with_value(|ids| {
                    ids.iter().try_for_each(|id| ctx.ship_step(Kind::SHIPMENT, *id, a.clone(), BTreeMap::new()))
                });
                match saved {
                    Ok(()) => {
                        sync::kick(ctx);
                        on_done.run(());
                    }
                    Err(e) => ctx.report_save_error(&e),
                }
            }
        }
    };
    view! {
        <form class="inline-form notify-form" on:submit=save novalidate aria-label=i.s("发货通知", "Shipment call")>
            {boxed("n-spoke_to", i.s("告知了谁", "Spoke to"), spoke_to, errors, "spoke_to".into())}
            {boxed("n-said", i.s("说了什么", "What was said"), said, errors, "said".into())}
            <button type="submit" class="primary">{i.s("记下已通知", "Record the call")}</button>
            <button type="button" on:click=move |_| on_done.run(())>{i.s("取消", "Cancel")}</button>
        </form>
    }
}

/// 签收: when, who signed, whether the confirmation letter came back.
#[component]
fn ReceiptForm(id: RecordId, on_done: Callback<()>) -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let date = RwSignal::new(today().to_string());
    let signer = RwSignal::new(String::new());
    let letter = RwSignal::new(false);
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let typed = date.get_untracked();
        let day = Date::from_input(&typed, today()).or_else(|| Date::parse(typed.trim()));
        let a = ShipAction::Receipt {
            date: day.map(|d| d.to_string()).unwrap_or(typed),
            signer: signer.get_untracked().trim().into(),
            letter: letter.get_untracked(),
        };
        match ShipAction::from_parts(a.code(), &a.data()) {
            Err(e) => {
                focus(&format!("r-{}", e.field));
                errors.set(vec![e]);
            }
            Ok(a) => match ctx.ship_step(Kind::SHIPMENT, id, a, BTreeMap::new()) {
                Ok(()) => {
                    sync::kick(ctx);
                    on_done.run(());
                }
                Err(e) => ctx.report_save_error(&e),
            },
        }
    };
    view! {
        <form class="inline-form receipt-form" on:submit=save novalidate aria-label=i.s("签收", "Receipt")>
            {boxed("r-date", i.s("签收日期", "Date received"), date, errors, "date".into())}
            {boxed("r-signer", i.s("签收人", "Signed by"), signer, errors, "signer".into())}
            <span class="field">
                <label><input type="checkbox" id="r-letter" prop:checked=move || letter.get()
                    on:change=move |ev| letter.set(event_target_checked(&ev))/>{i.s(" 收货确认函已回", " Confirmation letter back")}</label>
            </span>
            <button type="submit" class="primary">{i.s("记下签收", "Record the receipt")}</button>
            <button type="button" on:click=move |_| on_done.run(())>{i.s("取消", "Cancel")}</button>
        </form>
    }
}

/// The shipment form: station, dates, waybills with their packages, and how much of each
/// line leaves now. `correcting`: a manager's 更正 of that shipment, with a reason.
#[component]
pub fn ShipmentForm(
    order: OrderView,
    shipping: Shipping,
    correcting: Option<ShipmentView>,
    on_done: Callback<()>,
) -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let stations = ctx.replica.with_untracked(|r| {
        r.all(Kind::STATION).map(common::desk::customer::StationView::from_record).collect::<Vec<_>>()
    });
    let station_phone =
        |name: &str| stations.iter().find(|s| s.name == name).map(|s| s.phone.clone()).unwrap_or_default();
    let customer: Option<CustomerView> = order
        .customer
        .and_then(|c| ctx.replica.with_untracked(|r| r.get(Kind::CUSTOMER, c).map(CustomerView::from_record)));
    let mut start = ShipmentDraft::for_order(&order, &shipping, today(), &station_phone(&order.station));
    if let Some(s) = &correcting {
        start = ShipmentDraft {
            station: s.station.clone(),
            station_phone: s.station_phone.clone(),
            station_contract: s.station_contract.clone(),
            ship_date: s.ship_date.map(|d| d.to_string()).unwrap_or_default(),
            expected_arrival: s.expected_arrival.map(|d| d.to_string()).unwrap_or_default(),
            waybills: s.waybills.iter().map(|w| (w.number.clone(), w.packages.to_string())).collect(),
            quantities: (0..order.lines.len())
                .map(|n| s.lines.iter().find(|q| q.line == n).map(|q| q.quantity.to_string()).unwrap_or_default())
                .collect(),
            direct: s.direct,
            full_name: s.full_name.clone(),
            to_branch: s.to_branch.as_ref().map(|b| b.to_string()).unwrap_or_default(),
            notes: s.notes.clone(),
        };
    } else if let Some(c) = &customer {
        start.full_name = c.full_name.clone();
    }
    let station = RwSignal::new(start.station.clone());
    let phone = RwSignal::new(start.station_phone.clone());
    let contract = RwSignal::new(start.station_contract.clone());
    let ship_date = RwSignal::new(start.ship_date.clone());
    let expected = RwSignal::new(start.expected_arrival.clone());
    let waybills: Vec<(RwSignal<String>, RwSignal<String>)> =
        start.waybills.iter().map(|(n, p)| (RwSignal::new(n.clone()), RwSignal::new(p.clone()))).collect();
    let waybills = RwSignal::new(waybills);
    let quantities: Vec<RwSignal<String>> = start.quantities.iter().map(|q| RwSignal::new(q.clone())).collect();
    let quantities = StoredValue::new(quantities);
    let direct = RwSignal::new(start.direct);
    let full_name = RwSignal::new(start.full_name.clone());
    let to_branch = RwSignal::new(start.to_branch.clone());
    let notes = RwSignal::new(start.notes.clone());
    let reason = RwSignal::new(String::new());
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let is_correction = correcting.is_some();
    let shipping_so_far = StoredValue::new(shipping.clone());
    let correcting_id = correcting.as_ref().map(|s| s.id);
    let order = StoredValue::new(order);
    let stations = StoredValue::new(stations);
    let add_waybill = move |_| {
        waybills.update(|w| w.push((RwSignal::new(String::new()), RwSignal::new(String::new()))));
        let n = waybills.with_untracked(Vec::len) - 1;
        request_animation_frame(move || focus(&format!("sh-waybills-{n}-number")));
    };
    let on_station = move |ev| {
        let name = event_target_value(&ev);
        if let Some(s) = stations.with_value(|ss| ss.iter().find(|s| s.name == name).cloned()) {
            phone.set(s.phone.clone());
            contract.set(s.contract.clone());
        }
        station.set(name);
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let draft = ShipmentDraft {
            station: station.get_untracked(),
            station_phone: phone.get_untracked(),
            station_contract: contract.get_untracked(),
            ship_date: ship_date.get_untracked(),
            expected_arrival: expected.get_untracked(),
            waybills: waybills
                .with_untracked(|w| w.iter().map(|(n, p)| (n.get_untracked(), p.get_untracked())).collect()),
            quantities: quantities.with_value(|qs| qs.iter().map(|q| q.get_untracked()).collect()),
            direct: direct.get_untracked(),
            full_name: full_name.get_untracked(),
            to_branch: to_branch.get_untracked(),
            notes: notes.get_untracked(),
        };
        let checked = order.with_value(|o| match is_correction {
            true => draft.validate(o, today()),
            false => draft.validate_against(o, &shipping_so_far.get_value(), today()),
        });
        let reason_text = reason.get_untracked().trim().to_string();
        let checked = match checked {
            Err(mut es) => {
                if is_correction && reason_text.is_empty() {
                    es.push(FieldError::new("reason", Problem::Required));
                }
                Err(es)
            }
            Ok(_) if is_correction && reason_text.is_empty() => Err(one_error("reason", Problem::Required)),
            ok => ok,
        };
        match checked {
            Err(es) => {
                if let Some(e) = es.first() {
                    let target = match e.field.as_str() {
                        "lines" => "sh-lines-0".to_string(),
                        f => format!("sh-{}", f.replace('.', "-")),
                    };
                    focus(&target);
                }
                errors.set(es);
            }
            Ok(fields) => {
                let result = match correcting_id {
                    Some(id) => {
                        let mut values = fields.to_values();
                        // What the correction changes; the order it belongs to never does.
                        values.remove(shipping::field::ORDER);
                        let values = ctx.replica.with_untracked(|r| match r.get(Kind::SHIPMENT, id) {
                            Some(s) => values.into_iter().filter(|(k, v)| s.get(k) != Some(v)).collect(),
                            None => values,
                        });
                        ctx.ship_step(Kind::SHIPMENT, id, ShipAction::Correct { reason: reason_text }, values)
                    }
                    None => ctx.ship(fields).map(|_| ()),
                };
                match result {
                    Ok(()) => {
                        sync::kick(ctx);
                        on_done.run(());
                    }
                    Err(e) => ctx.report_save_error(&e),
                }
            }
        }
    };
    let err_of = move |f: String| {
        move || {
            errors.with(|es| {
                es.iter().find(|e| e.field == f).map(|e| match (e.problem, e.limit, f.starts_with("lines")) {
                    (Problem::TooLarge, Some(left), true) => match i.lang() {
                        Lang::Zh => format!("超过待发数量(还可发 {left})"),
                        Lang::En => format!("More than is left to ship ({left} left)"),
                    },
                    (Problem::NoLines, _, true) => {
                        i.t("请填写本次发货的数量", "Enter how many of a line leave now").to_string()
                    }
                    _ => i18n::problem_text(i.lang(), e),
                })
            })
        }
    };
    let lines = order.with_value(|o| o.lines.clone());
    view! {
        <form class="shipment-form" on:submit=save on:keydown=enter_moves_on novalidate aria-label=i.s("发货单", "Shipment")>
            <h3>{if is_correction { i.s("更正这批发货", "Correct this shipment") } else { i.s("登记发货", "Register shipment") }}</h3>
            <div class="grid-2">
                <span class="field">
                    <label for="sh-station">{i.s("货站", "Freight station")}</label>
                    <input id="sh-station" list="sh-stations" prop:value=move || station.get() on:change=on_station
                        on:input=move |ev| station.set(event_target_value(&ev))
                        aria-invalid=move || err_of("station".into())().is_some().to_string() aria-describedby="sh-station-err"/>
                    <datalist id="sh-stations">
                        {stations.get_value().into_iter().map(|s| view! { <option value=s.name.clone()>{s.phone.clone()}</option> }).collect_view()}
                    </datalist>
                    <span class="field-error" id="sh-station-err" role="alert">{err_of("station".into())}</span>
                </span>
                {boxed("sh-station_phone", i.s("货站电话", "Station phone"), phone, errors, "station_phone".into())}
                {boxed("sh-station_contract", i.s("合同号 / 会员号", "Contract / member no."), contract, errors, "station_contract".into())}
                {boxed("sh-ship_date", i.s("发货日期", "Ship date"), ship_date, errors, "ship_date".into())}
                {boxed("sh-expected_arrival", i.s("预计到货(如 +3、12-05)", "Expected arrival (e.g. +3, 12-05)"), expected, errors, "expected_arrival".into())}
            </div>
            <fieldset class="waybills">
                <legend>{i.s("运单", "Waybills")}</legend>
                {move || waybills.get().into_iter().enumerate().map(|(n, (number, packages))| {
                    let (nid, pid) = (format!("sh-waybills-{n}-number"), format!("sh-waybills-{n}-packages"));
                    let (ne, pe) = (err_of(format!("waybills.{n}.number")), err_of(format!("waybills.{n}.packages")));
                    let (ne2, pe2) = (ne.clone(), pe.clone());
                    view! {
                        <div class="waybill-row">
                            <span class="field">
                                <label for=nid.clone()>{move || if i.lang() == Lang::Zh { format!("运单号 {}", n + 1) } else { format!("Waybill {}", n + 1) }}</label>
                                <input id=nid.clone() class="waybill-number" prop:value=move || number.get() on:input=move |ev| number.set(event_target_value(&ev))
                                    aria-invalid=move || ne().is_some().to_string()/>
                                <span class="field-error" role="alert">{ne2}</span>
                            </span>
                            <span class="field">
                                <label for=pid.clone()>{i.s("件数", "Packages")}</label>
                                <input id=pid.clone() class="short waybill-packages" inputmode="numeric" prop:value=move || packages.get() on:input=move |ev| packages.set(event_target_value(&ev))
                                    aria-invalid=move || pe().is_some().to_string()/>
                                <span class="field-error" role="alert">{pe2}</span>
                            </span>
                            {(n > 0).then(|| view! {
                                <button type="button" class="quiet remove-waybill" on:click=move |_| waybills.update(|w| { if n < w.len() { w.remove(n); } })
                                    aria-label=move || if i.lang() == Lang::Zh { format!("删除运单 {}", n + 1) } else { format!("Remove waybill {}", n + 1) }>"×"</button>
                            })}
                        </div>
                    }
                }).collect_view()}
                <button type="button" id="sh-add-waybill" on:click=add_waybill>{i.s("加一张运单", "Add a waybill")}</button>
                <span class="field-error" role="alert">{err_of("waybills".into())}</span>
            </fieldset>
            <fieldset class="ship-lines">
                <legend>{i.s("本次发货数量(留空为不发)", "Quantities leaving now (blank: none)")}</legend>
                {lines.into_iter().enumerate().map(|(n, l)| {
                    let q = quantities.with_value(|qs| qs[n]);
                    let id = format!("sh-lines-{n}");
                    let e = err_of(format!("lines.{n}"));
                    let e2 = e.clone();
                    let remaining = shipping.lines.get(n).map(|x| x.remaining);
                    view! {
                        <span class="field ship-line" data-model=l.model.clone()>
                            <label for=id.clone()>{format!("{} {}", l.model, l.name)}
                                {remaining.filter(|_| !is_correction).map(|r| view! { <span class="muted">{move || if i.lang() == Lang::Zh { format!("(待发 {r})") } else { format!(" ({r} to ship)") }}</span> })}
                            </label>
                            <input id=id class="short" inputmode="numeric" prop:value=move || q.get() on:input=move |ev| q.set(event_target_value(&ev))
                                aria-invalid=move || e().is_some().to_string()/>
                            <span class="field-error" role="alert">{e2}</span>
                        </span>
                    }
                }).collect_view()}
                <span class="field-error" role="alert">{err_of("lines".into())}</span>
            </fieldset>
            <div class="grid-2">
                <span class="field">
                    <label><input type="checkbox" id="sh-direct" prop:checked=move || direct.get()
                        on:change=move |ev| direct.set(event_target_checked(&ev))/>{i.s(" 直发(货上写客户全称)", " Direct (the goods bear the customer's full name)")}</label>
                </span>
                {move || direct.get().then(|| boxed("sh-full_name", i.s("客户全称", "Customer's full legal name"), full_name, errors, "full_name".into()))}
                {boxed("sh-to_branch", i.s("发往分公司(代码,箱内放清单)", "To a branch (its code; packing list in the box)"), to_branch, errors, "to_branch".into())}
                {boxed("sh-notes", i.s("备注", "Notes"), notes, errors, "notes".into())}
                {is_correction.then(|| boxed("sh-reason", i.s("更正原因", "Reason for the correction"), reason, errors, "reason".into()))}
            </div>
            <div class="actions">
                <button type="submit" id="sh-save" class="primary">{if is_correction { i.s("保存更正", "Save the correction") } else { i.s("保存发货", "Save shipment") }}</button>
                <button type="button" id="sh-cancel" on:click=move |_| on_done.run(())>{i.s("取消", "Cancel")}</button>
            </div>
        </form>
    }
}

/// The 发货 screen: the morning calls, shipments not yet signed for, the station log.
#[component]
pub fn ShipmentsPage() -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let offset = ctx.offset_minutes();
    let shipments = Memo::new(move |_| ctx.shipments());
    let log = Memo::new(move |_| ctx.station_log());
    let now = now_ms();
    let (hour, days) = ctx.office_rules();
    // The calls to make, one per order (all its shipments not yet told), oldest first.
    let calls = Memo::new(move |_| {
        shipments.with(|s| {
            let mut groups: Vec<Vec<ShipmentView>> = Vec::new();
            for one in notice_list(s) {
                match groups.iter_mut().find(|g| one.order.is_some() && g[0].order == one.order) {
                    Some(g) => g.push(one.clone()),
                    None => groups.push(vec![one.clone()]),
                }
            }
            groups
        })
    });
    let group_form: RwSignal<Option<usize>> = RwSignal::new(None);
    let late = Memo::new(move |_| {
        log.with(|l| {
            shipments.with(|s| unconfirmed(s, l, today(), i64::from(days)).into_iter().cloned().collect::<Vec<_>>())
        })
    });
    let overdue = move |s: &ShipmentView| s.notice_overdue(now, offset, hour);
    view! {
        <section class="shipments-page">
            <div class="page-head">
                <h1>{i.s("发货", "Shipments")}</h1>
                <crate::excel::ExportButton id="export-shipments" path="shipments.xlsx" filename="shipments.xlsx"/>
            </div>
            <h2 id="calls-h">{i.s("发货通知(每天上午)", "Shipment calls (each morning)")}
                " "<span class="count" data-count=move || calls.with(Vec::len)>{move || calls.with(Vec::len)}</span></h2>
            <p class="muted">{move || if i.lang() == Lang::Zh {
                format!("尚未通知客户的发货,最早的在前;发货次日 {hour}:00 前未通知的标红。")
            } else {
                format!("Shipments whose customer has not been told, oldest first; red when not called by {hour}:00 the day after.")
            }}</p>
            <div class="call-list" aria-labelledby="calls-h">
                {move || calls.get().into_iter().enumerate().map(|(n, group)| {
                    let late = group.iter().any(overdue);
                    let first = group[0].clone();
                    let ids: Vec<RecordId> = group.iter().map(|s| s.id).collect();
                    let several = ids.len() > 1;
                    view! {
                        <div class="call" class:overdue=late data-overdue=late.to_string() data-order=first.order_number.clone()>
                            <p class="call-head">
                                <strong>{first.customer_name.clone()}</strong>" "
                                <a href=format!("tel:{}", first.phone)>{first.phone.clone()}</a>
                                {late.then(|| view! { " "<span class="badge danger">{i.s("已超时", "Late")}</span> })}
                                {several.then(|| view! {
                                    " "<button type="button" class="notify-all" on:click=move |_| { group_form.set(Some(n)); focus_soon("n-spoke_to"); }>
                                        {move || if i.lang() == Lang::Zh { format!("一次告知这 {} 批", ids.len()) } else { format!("Tell about all {} at once", ids.len()) }}
                                    </button>
                                })}
                            </p>
                            {move || (group_form.get() == Some(n)).then(|| {
                                let ids: Vec<RecordId> = calls.with_untracked(|c| c.get(n).map(|g| g.iter().map(|s| s.id).collect()).unwrap_or_default());
                                view! { <NotifyForm ids=ids on_done=Callback::new(move |_| group_form.set(None))/> }
                            })}
                            {group.into_iter().map(|s| view! { <ShipmentCard shipment=s/> }).collect_view()}
                        </div>
                    }
                }).collect_view()}
                {move || calls.with(Vec::is_empty).then(|| view! { <p class="muted">{i.s("没有要打的电话。", "No calls to make.")}</p> })}
            </div>
            <h2 id="late-h">{move || if i.lang() == Lang::Zh {
                format!("发出 {days} 天仍未签收")
            } else {
                format!("Not signed for {days} days after leaving")
            }}</h2>
            <div class="late-list" aria-labelledby="late-h">
                {move || late.get().into_iter().map(|s| view! { <ShipmentCard shipment=s/> }).collect_view()}
                {move || late.with(Vec::is_empty).then(|| view! { <p class="muted">{i.s("没有。", "None.")}</p> })}
            </div>
            <p><A href="/picking/print" attr:class="button" attr:id="print-picking">{i.s("打印今日备货单", "Print today's picking list")}</A></p>
            <StationLog/>
        </section>
    }
}

/// 货站进返货: log a station's call (an arrival or a return), and the log itself.
#[component]
fn StationLog() -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let offset = ctx.offset_minutes();
    let may_log = ctx.actor().is_some_and(|a| shipping::STATION_LOGGERS.contains(&a.role));
    let log = Memo::new(move |_| {
        let mut l = ctx.station_log();
        common::sort::sort_by_key(&mut l, |e| std::cmp::Reverse(e.created));
        l
    });
    let open = RwSignal::new(false);
    view! {
        <h2 id="log-h">{i.s("货站进返货", "Freight-station log")}</h2>
        {may_log.then(|| view! {
            <button type="button" id="new-station-call" on:click=move |_| { open.set(true); focus_soon("lg-station"); }>{i.s("记录货站来电", "Log a station's call")}</button>
        })}
        {move || open.get().then(|| view! { <StationCallForm on_done=Callback::new(move |_| open.set(false))/> })}
        <table class="list station-log" aria-labelledby="log-h">
            <thead><tr>
                <th scope="col">{i.s("日期", "Date")}</th>
                <th scope="col">{i.s("类别", "Kind")}</th>
                <th scope="col">{i.s("货站", "Station")}</th>
                <th scope="col" class="num">{i.s("件数", "Packages")}</th>
                <th scope="col" class="num">{i.s("运费", "Freight")}</th>
                <th scope="col">{i.s("订单", "Order")}</th>
                <th scope="col">{i.s("退回", "Returned")}</th>
                <th scope="col">{i.s("登记", "Logged")}</th>
            </tr></thead>
            <tbody>
                {move || log.get().into_iter().map(|e| {
                    let kind = e.kind;
                    let logged = e.created.map(|c| format_local(c.wall_ms, offset)).unwrap_or_default();
                    view! {
                        <tr data-log=e.station.clone() data-kind=kind.map(LogKind::code).unwrap_or_default()>
                            <td data-label=i.s("日期", "Date")>{e.date.map(|d| d.to_string()).unwrap_or_default()}</td>
                            <td data-label=i.s("类别", "Kind")>{move || match kind { Some(LogKind::Arrival) => i.t("到货", "Arrival"), Some(LogKind::Return) => i.t("返货", "Return"), None => "" }}</td>
                            <td data-label=i.s("货站", "Station")>{e.station.clone()}" "{e.station_phone.clone()}</td>
                            <td data-label=i.s("件数", "Packages") class="num">{e.packages}</td>
                            <td data-label=i.s("运费", "Freight") class="num">{e.freight.to_string()}</td>
                            <td data-label=i.s("订单", "Order")>{e.order.map(|o| view! { <A href=format!("/orders/{o}")>{e.order_number.clone()}</A> })}</td>
                            <td data-label=i.s("退回", "Returned")>{let lines: Vec<String> = e.lines.iter().map(|l| format!("{} × {}", l.model, l.quantity)).collect(); move || lines.join(if i.lang() == Lang::Zh { ";" } else { "; " })}</td>
                            <td data-label=i.s("登记", "Logged")>{logged}" "<A href=format!("/station-log/{}/print", e.id) attr:class="print-note">{i.s("打印两联单", "Print the note")}</A></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// A station's call: arrival or return, station and phone, packages, freight charge, and
/// the order (by its number) and what of it came back.
#[component]
fn StationCallForm(on_done: Callback<()>) -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let kind = RwSignal::new(LogKind::Return);
    let station = RwSignal::new(String::new());
    let phone = RwSignal::new(String::new());
    let packages = RwSignal::new(String::new());
    let freight = RwSignal::new(String::new());
    let number = RwSignal::new(String::new());
    let date = RwSignal::new(today().to_string());
    let notes = RwSignal::new(String::new());
    let errors = RwSignal::new(Vec::<FieldError>::new());
    // The order named by its number, with a box per line for what came back.
    let order = Memo::new(move |_| {
        let n = number.get();
        let n = n.trim();
        if n.is_empty() {
            return None;
        }
        ctx.replica.with(|r| r.all(Kind::ORDER).map(OrderView::from_record).find(|o| o.number.eq_ignore_ascii_case(n)))
    });
    let back: RwSignal<BTreeMap<usize, RwSignal<String>>> = RwSignal::new(BTreeMap::new());
    // Which of the order's shipments it concerns, if the station says.
    let shipment: RwSignal<String> = RwSignal::new(String::new());
    let order_shipments = Memo::new(move |_| order.get().map(|o| ctx.shipping_of(&o).1).unwrap_or_default());
    let stations = ctx.replica.with_untracked(|r| {
        r.all(Kind::STATION).map(common::desk::customer::StationView::from_record).collect::<Vec<_>>()
    });
    let stations = StoredValue::new(stations);
    let on_station = move |ev| {
        let name = event_target_value(&ev);
        if let Some(s) = stations.with_value(|ss| ss.iter().find(|s| s.name == name).cloned()) {
            phone.set(s.phone);
        }
        station.set(name);
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut es = Vec::new();
        let station_v = station.get_untracked().trim().to_string();
        if station_v.is_empty() {
            es.push(FieldError::new("station", Problem::Required));
        }
        let phone_v = phone.get_untracked().trim().to_string();
        if !phone_v.is_empty() && !common::desk::order::is_phone(&phone_v) {
            es.push(FieldError::new("station_phone", Problem::InvalidPhone));
        }
        // A station calls about goods: at least one package.
        let packages_v = match packages.get_untracked().trim() {
            "" => {
                es.push(FieldError::new("packages", Problem::Required));
                0
            }
            p => p.parse::<i64>().ok().filter(|n| (1..=i64::from(shipping::MAX_PACKAGES)).contains(n)).unwrap_or_else(
                || {
                    es.push(FieldError::new("packages", Problem::MustBePositive));
                    0
                },
            ),
        };
        let freight_v = match freight.get_untracked().trim() {
            "" => Fen::ZERO,
            f => Fen::parse(f).unwrap_or_else(|e| {
                es.push(FieldError::new("freight", common::desk::order::money_problem(e)));
                Fen::ZERO
            }),
        };
        let typed_date = date.get_untracked();
        let day = Date::from_input(&typed_date, today()).or_else(|| Date::parse(typed_date.trim()));
        if day.is_none() {
            es.push(FieldError::new("date", Problem::InvalidDate));
        }
        let o = order.get_untracked();
        if !number.get_untracked().trim().is_empty() && o.is_none() {
            es.push(FieldError::new("order_number", Problem::UnknownChoice));
        }
        let mut lines = Vec::new();
        if let Some(o) = &o {
            for (n, q) in back.get_untracked() {
                let t = q.get_untracked();
                let t = t.trim();
                if t.is_empty() {
                    continue;
                }
                match Fen::parse_whole(t) {
                    Some(q) if q > 0 && q <= common::desk::order::MAX_QUANTITY => {
                        let l = &o.lines[n];
                        lines.push(json!({"line": n, "model": l.model, "name": l.name, "quantity": q}));
                    }
                    _ => es.push(FieldError::new(format!("lines.{n}"), Problem::NotAWholeNumber)),
                }
            }
        }
        if kind.get_untracked() == LogKind::Return
            && o.is_some()
            && lines.is_empty()
            && !es.iter().any(|e| e.field.starts_with("lines"))
        {
            es.push(FieldError::new("lines", Problem::NoLines));
        }
        if let Some(e) = es.first() {
            focus(&format!("lg-{}", e.field.replace('.', "-")));
            errors.set(es);
            return;
        }
        let mut values: BTreeMap<String, Value> = BTreeMap::new();
        values.insert("kind".into(), json!(kind.get_untracked().code()));
        values.insert("station".into(), json!(station_v));
        values.insert("station_phone".into(), json!(phone_v));
        values.insert("packages".into(), json!(packages_v));
        values.insert("freight".into(), json!(freight_v.0));
        values.insert("date".into(), json!(day.map(|d| d.to_string()).unwrap_or_default()));
        values.insert("notes".into(), json!(notes.get_untracked().trim()));
        if let Some(o) = &o {
            values.insert("order".into(), json!(o.id));
            values.insert("order_number".into(), json!(o.number));
            values.insert("lines".into(), Value::Array(lines));
            let chosen = shipment.get_untracked();
            if order_shipments.with_untracked(|ss| ss.iter().any(|s| s.id.to_string() == chosen)) {
                values.insert("shipment".into(), json!(chosen));
            }
        }
        match ctx.log_station_call(values) {
            Ok(_) => {
                sync::kick(ctx);
                on_done.run(());
            }
            Err(e) => ctx.report_save_error(&e),
        }
    };
    let err_of = move |f: String| {
        move || errors.with(|es| es.iter().find(|e| e.field == f).map(|e| i18n::problem_text(i.lang(), e)))
    };
    view! {
        <form class="station-call-form" on:submit=save on:keydown=enter_moves_on novalidate aria-label=i.s("货站来电", "Station's call")>
            <fieldset>
                <legend>{i.s("类别", "Kind")}</legend>
                <label><input type="radio" name="lg-kind" id="lg-kind-return" prop:checked=move || kind.get() == LogKind::Return on:change=move |_| kind.set(LogKind::Return)/>{i.s(" 返货", " Return")}</label>
                " "
                <label><input type="radio" name="lg-kind" id="lg-kind-arrival" prop:checked=move || kind.get() == LogKind::Arrival on:change=move |_| kind.set(LogKind::Arrival)/>{i.s(" 到货", " Arrival")}</label>
            </fieldset>
            <div class="grid-2">
                <span class="field">
                    <label for="lg-station">{i.s("货站", "Freight station")}</label>
                    <input id="lg-station" list="lg-stations" prop:value=move || station.get() on:change=on_station on:input=move |ev| station.set(event_target_value(&ev))/>
                    <datalist id="lg-stations">
                        {stations.get_value().into_iter().map(|s| view! { <option value=s.name.clone()>{s.phone.clone()}</option> }).collect_view()}
                    </datalist>
                    <span class="field-error" role="alert">{err_of("station".into())}</span>
                </span>
                {boxed("lg-station_phone", i.s("货站电话", "Station phone"), phone, errors, "station_phone".into())}
                {boxed("lg-packages", i.s("件数", "Packages"), packages, errors, "packages".into())}
                {boxed("lg-freight", i.s("运费(元)", "Freight charge (yuan)"), freight, errors, "freight".into())}
                {boxed("lg-date", i.s("日期", "Date"), date, errors, "date".into())}
                {boxed("lg-order_number", i.s("订单号(知道的话)", "Order number (if known)"), number, errors, "order_number".into())}
            </div>
            {move || order.get().map(|o| view! {
                <fieldset class="return-lines">
                    <legend>{move || if kind.get() == LogKind::Return { i.t("退回数量", "Quantities returned") } else { i.t("订单", "Order") }}</legend>
                    <p class="muted">{o.customer_name.clone()}</p>
                    {move || (!order_shipments.with(Vec::is_empty)).then(|| view! {
                        <span class="field">
                            <label for="lg-shipment">{i.s("哪一批发货(知道的话)", "Which shipment (if known)")}</label>
                            <select id="lg-shipment" on:change=move |ev| shipment.set(event_target_value(&ev)) prop:value=move || shipment.get()>
                                <option value="">{i.s("不确定", "Not known")}</option>
                                {order_shipments.get().into_iter().map(|s| {
                                    let label = format!("{} {}", s.ship_date.map(|d| d.to_string()).unwrap_or_default(),
                                        s.waybills.iter().map(|w| w.number.as_str()).collect::<Vec<_>>().join(", "));
                                    view! { <option value=s.id.to_string()>{label}</option> }
                                }).collect_view()}
                            </select>
                        </span>
                    })}
                    {move || (kind.get() == LogKind::Return).then(|| o.lines.iter().enumerate().map(|(n, l)| {
                        let sig = back.with_untracked(|b| b.get(&n).copied()).unwrap_or_else(|| {
                            let s = RwSignal::new(String::new());
                            back.update_untracked(|b| { b.insert(n, s); });
                            s
                        });
                        let id = format!("lg-lines-{n}");
                        view! {
                            <span class="field">
                                <label for=id.clone()>{let (m, nm, q) = (l.model.clone(), l.name.clone(), l.quantity); move || if i.lang() == Lang::Zh { format!("{m} {nm}(订 {q})") } else { format!("{m} {nm} ({q} ordered)") }}</label>
                                <input id=id class="short" inputmode="numeric" prop:value=move || sig.get() on:input=move |ev| sig.set(event_target_value(&ev))/>
                                <span class="field-error" role="alert">{err_of(format!("lines.{n}"))}</span>
                            </span>
                        }
                    }).collect_view())}
                    <span class="field-error" role="alert">{err_of("lines".into())}</span>
                </fieldset>
            })}
            {boxed("lg-notes", i.s("备注", "Notes"), notes, errors, "notes".into())}
            <div class="actions">
                <button type="submit" id="lg-save" class="primary">{i.s("保存", "Save")}</button>
                <button type="button" on:click=move |_| on_done.run(())>{i.s("取消", "Cancel")}</button>
            </div>
        </form>
    }
}
