//! One order: what was taken, where it stands, what changed after an approval, and the
//! next step in the desk's workflow. An order the server refused still opens here, as it
//! was typed, with the reason.

use crate::components::StatusLabel;
use crate::i18n::{self, I18n, Lang};
use crate::pages::orders::sync_mark_text;
use crate::state::use_ctx;
use crate::sync;
use common::desk::history::{history, Entry, Place};
use common::desk::order::{self, edit_effect, offered_steps, Action, OrderView, PaymentStamp, PaymentTerms};
use common::desk::permissions::Role;
use common::desk::time::format_local;
use common::engine::ids::RecordId;
use common::engine::record::{Kind, RecordState};
use common::engine::workflow::{Diff, EditEffect, StepConflict};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};

/// A copy of the four-part form by name.
pub fn copy_name(lang: Lang, code: &str) -> &'static str {
    match code {
        "picking" => i18n::pick(lang, "备货联", "picking copy"),
        "cashier" => i18n::pick(lang, "收银联", "cashier copy"),
        "customer" => i18n::pick(lang, "客户联", "customer copy"),
        "stub" => i18n::pick(lang, "仓库存根联", "warehouse stub"),
        _ => "",
    }
}

/// A step as the history and buttons name it.
pub fn action_text(lang: Lang, a: &Action) -> String {
    let zh = lang == Lang::Zh;
    let name = i18n::step(lang, a.code());
    let mut chars = name.chars();
    let step: String = chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default();
    match a {
        Action::Audit { stamp } if zh => format!("{step}:{}", i18n::stamp(lang, *stamp)),
        Action::Audit { stamp } => format!("{step}: {}", i18n::stamp(lang, *stamp)),
        Action::Ship { waybill, packages, .. } => {
            if zh {
                format!("{step} 运单号 {waybill} 共 {packages} 件")
            } else {
                format!("{step}: waybill {waybill}, {packages} packages")
            }
        }
        Action::Override { rule: order::MoneyRule::Prepay, reason } if zh => format!("经理放行(款未到):{reason}"),
        Action::Override { rule: order::MoneyRule::Prepay, reason } => {
            format!("Let go by a manager (unpaid): {reason}")
        }
        Action::Override { reason, .. } if zh => format!("经理放行(超信用额度):{reason}"),
        Action::Override { reason, .. } => format!("Let go by a manager (over the credit limit): {reason}"),
        Action::Void { reason } | Action::Correct { reason } if zh => format!("{step}:{reason}"),
        Action::Void { reason } | Action::Correct { reason } => format!("{step}: {reason}"),
        Action::HandOver { received_by, copies } if !received_by.is_empty() => {
            let names: Vec<&str> = copies.iter().map(|c| copy_name(lang, c)).collect();
            if zh {
                format!("{step}:{received_by} 点收 {}", names.join("、"))
            } else {
                format!("{step}: received by {received_by}, {}", names.join(", "))
            }
        }
        _ => step.to_string(),
    }
}

/// "王芳 · 内勤 · FS · 设备 3", from what the history knows of a person.
fn who_text(lang: Lang, e: &Entry) -> String {
    let mut parts = vec![e.name.clone().unwrap_or_else(|| e.username.clone())];
    if let Some(r) = e.role.as_deref().and_then(Role::parse) {
        parts.push(i18n::role(lang, r).to_string());
    }
    if let Some(o) = &e.office {
        parts.push(o.to_string());
    }
    if let Some(d) = e.device.filter(|d| *d > 0) {
        parts.push(if lang == Lang::Zh { format!("设备 {d}") } else { format!("device {d}") });
    }
    parts.join(" · ")
}

fn diff_text(lang: Lang, d: &Diff) -> String {
    format!(
        "{}:{} → {}",
        i18n::field(lang, &d.field),
        i18n::show_value(lang, &d.field, &d.approved),
        i18n::show_value(lang, &d.field, &d.now)
    )
}

#[component]
pub fn OrderDetail() -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id")).and_then(|s| RecordId::parse(&s).ok()));
    // The order as this device shows it, or as its refused changes had it.
    // What has been paid towards it is part of what the page shows (a prepay order's
    // steps wait for it), so a payment arriving redraws the page too.
    let found = Memo::new(move |_| {
        let id = id.get()?;
        let paid = ctx.paid_for(id);
        ctx.replica.with(|r| match r.get(Kind::ORDER, id) {
            Some(s) => Some((s.clone(), false, paid)),
            None => r.refused_record(Kind::ORDER, id).map(|s| (s, true, paid)),
        })
    });
    view! {
        <Show when=move || found.with(Option::is_some) fallback=move || match id.get() {
            Some(id) => view! { <NotOnDevice id=id/> }.into_any(),
            None => view! { <section><h1>{i.s("找不到这张订单", "Order not found")}</h1><A href="/orders">{i.s("回到订单", "Back to orders")}</A></section> }.into_any(),
        }>
            <section class="order-detail">
                // What is typed in the step boxes lives as long as the order is open, not as
                // long as one drawing of the page: a sync redraws it.
                {move || id.get().map(|_| {
                    provide_context(Typed::new());
                    view! { {move || found.get().map(|(state, refused_only, _)| view! { <OrderPage state=state refused_only=refused_only/> })} }
                })}
                // Apart from the page above, which is drawn again whenever the order's record
                // changes: a shipment form being typed in survives a sync.
                {move || id.get().map(|id| view! { <crate::pages::shipping::ShippingPanel id=id/> })}
                {move || id.get().map(|id| view! { <OrderHistory id=id/> })}
            </section>
        </Show>
    }
}

/// An order this device does not hold: synced orders are dropped from a full device (the
/// server keeps them), so it is fetched; once it arrives the page shows it.
#[component]
fn NotOnDevice(id: RecordId) -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let fetched = RwSignal::new(crate::sync::Fetched::Asking);
    let fetch = move || {
        fetched.set(crate::sync::Fetched::Asking);
        leptos::task::spawn_local(async move {
            let got = crate::sync::fetch_records(ctx, Kind::ORDER, crate::sync::Wanted::Ids(vec![id])).await;
            fetched.set(got);
        });
    };
    fetch();
    view! {
        <section class="not-on-device">
            {move || match fetched.get() {
                crate::sync::Fetched::Asking => view! {
                    <p role="status">{i.s("这张订单不在本机,正在从服务器取回…", "This order is not on this device: fetching it from the server…")}</p>
                }.into_any(),
                crate::sync::Fetched::Found(..) => view! {
                    <h1>{i.s("找不到这张订单", "Order not found")}</h1>
                }.into_any(),
                crate::sync::Fetched::Offline => view! {
                    <h1>{i.s("这张订单不在本机", "This order is not on this device")}</h1>
                    <p>{i.s(
                        "存储满时,较早的已同步订单会从本机移除(服务器上都还在)。联网后就能打开。",
                        "When storage is full, older synced orders are removed from this device (the server keeps them). It opens once you are online.",
                    )}</p>
                    <button type="button" on:click=move |_| fetch()>{i.s("重试", "Try again")}</button>
                }.into_any(),
                crate::sync::Fetched::Failed(en, zh) => view! {
                    <h1>{i.s("找不到这张订单", "Order not found")}</h1>
                    <p class="muted">{move || if i.lang() == Lang::Zh { zh.clone() } else { en.clone() }}</p>
                }.into_any(),
            }}
            <p><A href="/orders">{i.s("回到订单", "Back to orders")}</A></p>
        </section>
    }
}

/// What a person has typed into the order's small step boxes.
#[derive(Clone, Copy)]
struct Typed {
    receiver: RwSignal<String>,
    copies: RwSignal<Vec<&'static str>>,
    void_reason: RwSignal<String>,
    let_go_reason: RwSignal<String>,
    credit_reason: RwSignal<String>,
}

impl Typed {
    fn new() -> Typed {
        Typed {
            receiver: RwSignal::new(String::new()),
            copies: RwSignal::new(vec!["picking", "customer", "stub"]),
            void_reason: RwSignal::new(String::new()),
            let_go_reason: RwSignal::new(String::new()),
            credit_reason: RwSignal::new(String::new()),
        }
    }

    fn here() -> Typed {
        use_context::<Typed>().unwrap_or_else(Typed::new)
    }
}

#[component]
fn OrderPage(state: RecordState, refused_only: bool) -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let offset = ctx.offset_minutes();
    let order = ctx.order_view(&state);
    let id = order.id;
    let mark = move || ctx.replica.with(|r| r.sync_mark(Kind::ORDER, id));
    let role = ctx.actor().map(|a| a.role);
    let created = order.created.map(|c| format_local(c.wall_ms, offset)).unwrap_or_default();
    let edit_href = format!("/orders/{id}/edit");
    // Roles that never edit orders (cashier, logistics) are not told that they cannot.
    let edit = role
        .filter(|r| !refused_only && order::may_take_orders(*r))
        .map(|r| edit_effect(&state, r, order::WORKFLOW.guarded));
    let correction_allowed = !refused_only && role.is_some_and(|r| offered_steps(&state, r).contains(&"correct"));
    let may_print = !refused_only
        && role.is_some_and(|r| common::engine::workflow::may_take(&order::WORKFLOW, &state, r.code(), "print"));
    let lines = order.lines.clone();
    let sent_back = order.progress.sent_back.clone();
    let sent_back_codes = sent_back.iter().map(|s| s.step).collect::<Vec<_>>().join(" ");
    let needs_again = order.needs_again();
    let payment = order.payment;
    view! {
            <div class="page-head">
                <h1>
                    <span class="mono" data-number=order.number.clone()>{order.number.clone()}</span>" "
                    {if refused_only {
                        view! { <span class="status status-refused">{i.s("被拒绝", "Refused")}</span> }.into_any()
                    } else {
                        let again = needs_again.first().copied();
                        let state = state.clone();
                        // Shipments recorded after the page opened move it on (部分发货 → 已发货).
                        (move || view! { <StatusLabel status=ctx.order_view(&state).status again=again/> }).into_any()
                    }}
                </h1>
                <span class=move || format!("sync-mark sync-{}", mark().code()) data-sync=move || mark().code()>{move || sync_mark_text(mark(), i)}</span>
            </div>
            <Refusals id=id refused_only=refused_only state=state.clone()/>
            {(!sent_back.is_empty()).then(|| view! {
                <div class="notice sent-back" role="alert" data-sent-back=sent_back_codes.clone()>
                    {sent_back.iter().map(|s| {
                        let by = state.log.get(&s.at).map(|l| l.name.clone()).unwrap_or_else(|| s.by.clone());
                        let (step, diffs) = (s.step, s.diffs.clone());
                        let when = format_local(s.at.wall_ms, offset);
                        view! {
                            <div>
                                <strong>{move || if i.lang() == Lang::Zh {
                                    format!("已改,需重新{}", i18n::step(i.lang(), step))
                                } else {
                                    format!("Changed after {}: needs it again", i18n::step(i.lang(), step))
                                }}</strong>
                                " "<span class="muted">{format!("({by}, {when})")}</span>
                                <ul class="diffs">
                                    {diffs.into_iter().map(|d| view! { <li>{move || diff_text(i.lang(), &d)}</li> }).collect_view()}
                                </ul>
                            </div>
                        }
                    }).collect_view()}
                </div>
            })}
            <Conflicts state=state.clone() role=role offset=offset/>
            <dl class="facts">
                <dt>{i.s("客户", "Customer")}</dt><dd>{order.customer_name.clone()}</dd>
                <dt>{i.s("客户电话", "Customer phone")}</dt><dd>{order.phone.clone()}</dd>
                <dt>{i.s("送货地址", "Delivery address")}</dt><dd>{order.address.clone()}</dd>
                <dt>{i.s("货站", "Freight station")}</dt><dd>{order.station.clone()}" "{order.station_contract.clone()}</dd>
                <dt>{i.s("要货日期", "Delivery date")}</dt><dd>{order.delivery_date.clone()}</dd>
                <dt>{i.s("结款方式", "Payment terms")}</dt><dd>{move || payment.map(|p| i18n::payment(i.lang(), p)).unwrap_or_default()}</dd>
                {order.stamp.map(|s| view! {
                    <dt>{i.s("收银章", "Payment stamp")}</dt><dd data-stamp=format!("{s:?}")><strong>{move || i18n::stamp(i.lang(), s)}</strong></dd>
                })}
                {let state = state.clone(); move || ctx.order_view(&state).shipment.map(|(waybill, packages)| view! {
                    <dt>{i.s("运单号 / 件数", "Waybill / packages")}</dt>
                    <dd data-waybill=waybill.clone()>{waybill.clone()}" · "{move || match (i.lang(), packages) {
                        (Lang::Zh, n) => format!("{n} 件"),
                        (Lang::En, 1) => "1 package".to_string(),
                        (Lang::En, n) => format!("{n} packages"),
                    }}</dd>
                })}
                {order.void_reason.clone().map(|r| view! { <dt>{i.s("作废原因", "Reason voided")}</dt><dd>{r}</dd> })}
                <dt>{i.s("开单时间", "Taken at")}</dt><dd>{created.clone()}</dd>
                {order.read_back.then(|| view! { <dt>{i.s("复述", "Read back")}</dt><dd data-read-back="">{i.s("已向客户复述", "Read back to the customer")}</dd> })}
                <dt>{i.s("备注", "Notes")}</dt><dd class="notes">{order.notes.clone()}</dd>
            </dl>
            <table class="list lines-view">
                <thead><tr>
                    <th scope="col">{i.s("型号", "Model")}</th>
                    <th scope="col">{i.s("名称", "Name")}</th>
                    <th scope="col" class="num">{i.s("数量", "Qty")}</th>
                    <th scope="col">{i.s("单位", "Unit")}</th>
                    <th scope="col" class="num">{i.s("单价", "Unit price")}</th>
                    <th scope="col" class="num">{i.s("金额", "Amount")}</th>
                </tr></thead>
                <tbody>
                    {lines.into_iter().map(|l| {
                        let amount = l.amount().map(|a| a.to_string()).unwrap_or_default();
                        view! {
                            <tr class="line">
                                <td data-label=i.s("型号", "Model")>{l.model}</td>
                                <td data-label=i.s("名称", "Name")>{l.name}</td>
                                <td data-label=i.s("数量", "Qty") class="num">{l.quantity}</td>
                                <td data-label=i.s("单位", "Unit")>{l.unit}</td>
                                <td data-label=i.s("单价", "Unit price") class="num">{l.unit_price.to_string()}</td>
                                <td data-label=i.s("金额", "Amount") class="num">{amount}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            <p class="total">{i.s("合计", "Total")}": "<strong class="num" data-total=order.total.0.to_string()>{order.total.to_string()}</strong>" "<span class="capital">{order.total.to_capital()}</span></p>
            <div class="actions">
                {match edit {
                    Some(Ok(effect)) => {
                        let hint = match effect {
                            EditEffect::SendsBack(steps) => Some(steps),
                            EditEffect::Allowed => None,
                        };
                        view! {
                            <A href=edit_href.clone() attr:class="button" attr:id="edit-order">{i.s("修改", "Edit")}</A>
                            {hint.map(|steps| view! {
                                <span class="hint">{move || {
                                    let names: Vec<&str> = steps.iter().map(|s| i18n::step(i.lang(), s)).collect();
                                    if i.lang() == Lang::Zh { format!("修改后需重新{}", names.join("、")) } else { format!("Editing sends it back for {}", names.join(", ")) }
                                }}</span>
                            })}
                        }.into_any()
                    }
                    Some(Err(refusal)) => view! {
                        <span class="hint" data-locked=refusal.code>{move || i18n::refusal(i.lang(), refusal.code)}</span>
                    }.into_any(),
                    None => ().into_any(),
                }}
                {correction_allowed.then(|| view! {
                    <A href=format!("/orders/{id}/edit") attr:class="button" attr:id="correct-order">{i.s("更正", "Correct")}</A>
                })}
                {(!refused_only).then(|| view! { <Steps state=state.clone()/> })}
                {may_print.then(|| view! {
                    <A href=format!("/orders/{id}/print") attr:class="button" attr:id="print-order">{i.s("打印销售单", "Print the order form")}</A>
                    <A href=format!("/orders/{id}/print?doc=delivery") attr:class="button" attr:id="print-delivery">{i.s("打印送货单", "Print a delivery note")}</A>
                })}
            </div>
            {(!refused_only).then(|| view! { <VoidBox state=state.clone()/> })}
    }
}

/// The order's history with its shipments' and station calls', each step with who and
/// when, in one list that follows what is recorded while the page is open.
#[component]
fn OrderHistory(id: RecordId) -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let offset = ctx.offset_minutes();
    let entries = move || {
        let own = ctx.replica.with(|r| {
            // A new order the server refused has no confirmed record: only this device's changes.
            let pending = r.pending_for(Kind::ORDER, id);
            history(r.confirmed.get(&(Kind::ORDER, id)), &pending)
        });
        let mut entries: Vec<(Option<(String, String)>, Entry)> = own
            .into_iter()
            // The 发货 step of the first shipment is told by that shipment's own line.
            .filter(|e| !matches!(e.step, Some(Action::Ship { shipment: Some(_), .. })))
            .map(|e| (None, e))
            .collect();
        entries.extend(related_history(ctx, id));
        common::sort::sort_by_key(&mut entries, |(_, e)| e.at);
        name_my_entries(ctx, entries.iter_mut().map(|(_, e)| e));
        entries
    };
    view! {
        <h2>{i.s("经过", "History")}</h2>
        <ol class="history">
            {move || entries().into_iter().map(|(subject, e)| {
                let catalogue = subject.is_some();
                view! { <HistoryLine entry=e offset=offset catalogue=catalogue subject=subject/> }
            }).collect_view()}
        </ol>
    }
}

/// Names what waits on this device: it was done by whoever is logged in here.
pub fn name_my_entries<'a>(ctx: crate::state::Ctx, entries: impl Iterator<Item = &'a mut Entry>) {
    let Some(me) = ctx.session.get_untracked() else { return };
    for e in entries.filter(|e| e.place == Place::ThisDevice && e.username == me.user.username) {
        e.name = Some(me.user.display_name.clone());
        e.role = Some(me.user.role.code().to_string());
        e.office = Some(me.user.office.code.clone());
        e.device = Some(me.device_no);
    }
}

/// The history of the shipments and station-log entries naming order `id`, each line
/// labelled with what it is about.
fn related_history(ctx: crate::state::Ctx, id: RecordId) -> Vec<(Option<(String, String)>, Entry)> {
    use common::desk::shipping::{LogKind, LogView, ShipmentView};
    ctx.replica.with(|r| {
        let mut out = Vec::new();
        let mut add = |kind: Kind, rid: RecordId, label: (String, String)| {
            let pending = r.pending_for(kind, rid);
            for e in history(r.confirmed.get(&(kind, rid)), &pending) {
                out.push((Some(label.clone()), e));
            }
        };
        for s in r.all(Kind::SHIPMENT).map(ShipmentView::from_record).filter(|s| s.order == Some(id)) {
            let numbers = s.waybills.iter().map(|w| w.number.as_str()).collect::<Vec<_>>().join(", ");
            let what = s.lines.iter().map(|l| format!("{} × {}", l.model, l.quantity)).collect::<Vec<_>>().join(", ");
            add(Kind::SHIPMENT, s.id, (format!("发货单 {numbers}({what}):"), format!("Shipment {numbers} ({what}):")));
        }
        for e in r.all(Kind::STATION_LOG).map(LogView::from_record).filter(|e| e.order == Some(id)) {
            let what = e.lines.iter().map(|l| format!("{} × {}", l.model, l.quantity)).collect::<Vec<_>>().join(", ");
            let what_zh = if what.is_empty() { String::new() } else { format!("({what})") };
            let what_en = if what.is_empty() { String::new() } else { format!(" ({what})") };
            let label = match e.kind {
                Some(LogKind::Arrival) => (format!("货站到货 {}:", e.station), format!("Arrival at {}:", e.station)),
                _ => (format!("货站返货 {}{what_zh}:", e.station), format!("Return via {}{what_en}:", e.station)),
            };
            add(Kind::STATION_LOG, e.id, label);
        }
        out
    })
}

/// What the server refused on this order, with the reason, until dismissed. A refused
/// new order can be copied into a new one, nothing typed lost.
#[component]
fn Refusals(id: RecordId, refused_only: bool, state: RecordState) -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let navigate = use_navigate();
    let refused = move || {
        ctx.replica.with(|r| {
            r.refused_for(Kind::ORDER, id)
                .into_iter()
                .map(|x| (x.change.id, x.code.clone(), x.message.clone()))
                .collect::<Vec<_>>()
        })
    };
    let copy = move |_| {
        let draft = common::desk::order::OrderDraft::from_view(&OrderView::from_record(&state));
        match crate::drafts::start(draft) {
            Ok(d) => navigate(&format!("/orders/new?draft={}", d), Default::default()),
            Err(e) => ctx.report_save_error(&e),
        }
    };
    view! {
        {move || refused().into_iter().map(|(change, code, msg)| {
            let code2 = code.clone();
            view! {
                <div class="notice refused" role="alert" data-refused=code.clone()>
                    <span>
                        <strong>{i.s("服务器拒绝了这次修改:", "The server refused this change: ")}</strong>
                        {move || i18n::refusal(i.lang(), &code2)}
                        <span class="muted">" (" {msg.clone()} ")"</span>
                    </span>
                    <button type="button" class="quiet" on:click=move |_| ctx.dismiss_refused(change)>{i.s("知道了", "Dismiss")}</button>
                </div>
            }
        }).collect_view()}
        {refused_only.then(|| view! {
            <p class="actions"><button type="button" id="copy-refused" on:click=copy>{i.s("复制为新订单", "Copy into a new order")}</button></p>
        })}
    }
}

/// Same-field conflicts and clashes of steps, each with who wrote what and the choices.
#[component]
fn Conflicts(state: RecordState, role: Option<Role>, offset: i32) -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let order = OrderView::from_record(&state);
    if !order.has_conflict() {
        return ().into_any();
    }
    let id = order.id;
    let manager = role.is_some_and(|r| offered_steps(&state, r).contains(&"unvoid"));
    let who = |at: &common::engine::hlc::Hlc| {
        let e = state.log.get(at);
        let name = e.map(|e| e.name.clone()).unwrap_or_default();
        let office = e.map(|e| e.office.to_string()).unwrap_or_default();
        (name, office, format_local(at.wall_ms, offset))
    };
    let run = move |a: Action| match ctx.act(id, a) {
        Ok(()) => sync::kick(ctx),
        Err(e) => ctx.report_save_error(&e),
    };
    view! {
        <div class="conflicts" role="region" aria-label=i.s("冲突", "Conflicts")>
            <h2>{i.s("两处同时修改,需要确认", "Changed in two places at once: please settle")}</h2>
            {order.field_conflicts.iter().map(|c| {
                let field = c.field.clone();
                let label_field = field.clone();
                view! {
                    <div class="conflict" data-field=field.clone()>
                        <strong>{move || i18n::field(i.lang(), &label_field)}</strong>
                        {c.versions.iter().map(|(at, v)| {
                            let (name, office, when) = who(at);
                            let value = v.clone();
                            let field = field.clone();
                            let shown_field = field.clone();
                            let shown = v.clone();
                            view! {
                                <button type="button" class="choice" data-value=i18n::show_value(Lang::Zh, &field, v) on:click=move |_| {
                                    match ctx.settle(Kind::ORDER, id, &field, value.clone()) {
                                        Ok(()) => sync::kick(ctx),
                                        Err(e) => ctx.report_save_error(&e),
                                    }
                                }>
                                    {i.s("采用:", "Keep: ")}<strong>{move || i18n::show_value(i.lang(), &shown_field, &shown)}</strong>
                                    <span class="muted">{format!(" — {name} · {office} · {when}")}</span>
                                </button>
                            }
                        }).collect_view()}
                    </div>
                }
            }).collect_view()}
            {order.progress.conflicts.iter().map(|c| match c.clone() {
                StepConflict::CancelledAndFact { cancel_by, cancel_at, fact_by, fact_at, .. } => {
                    let (void_when, ship_when) = (format_local(cancel_at.wall_ms, offset), format_local(fact_at.wall_ms, offset));
                    view! {
                        <div class="conflict step-conflict" data-conflict="void_and_ship">
                            <p>{move || if i.lang() == Lang::Zh {
                                format!("{cancel_by} 于 {void_when} 作废了订单,而 {fact_by} 于 {ship_when} 已登记发货。")
                            } else {
                                format!("{cancel_by} voided the order at {void_when}, while {fact_by} registered it shipped at {ship_when}.")
                            }}</p>
                            {if manager {
                                view! {
                                    <button type="button" id="unvoid" on:click=move |_| run(Action::Unvoid)>{i.s("撤销作废(订单按已发货处理)", "Withdraw the void (the order stands as shipped)")}</button>
                                    <button type="button" id="confirm-void" class="danger" on:click=move |_| run(Action::ConfirmVoid)>{i.s("确认作废并通知物流拦截", "Confirm the void and have logistics intercept")}</button>
                                }.into_any()
                            } else {
                                view! { <p class="hint">{i.s("需要经理处理。", "A manager settles this.")}</p> }.into_any()
                            }}
                        </div>
                    }.into_any()
                }
                StepConflict::FactDiffers { by, at, diffs, before_ready, .. } => {
                    let when = format_local(at.wall_ms, offset);
                    view! {
                        <div class="conflict step-conflict" data-conflict="shipped_differs">
                            <p>{move || match (i.lang() == Lang::Zh, before_ready) {
                                (true, true) => format!("{by} 于 {when} 登记发货时,订单尚未(或不再)审核。"),
                                (true, false) => format!("{by} 于 {when} 发货后订单被修改:"),
                                (false, true) => format!("{by} registered the shipment at {when} before the order was (or while it was no longer) audited."),
                                (false, false) => format!("The order changed after {by} shipped it at {when}:"),
                            }}</p>
                            <ul class="diffs">{diffs.into_iter().map(|d| view! { <li>{move || diff_text(i.lang(), &d)}</li> }).collect_view()}</ul>
                            <p class="hint">{i.s("经理用“更正”写明原因后解决。", "A manager settles it with a correction and its reason.")}</p>
                        </div>
                    }.into_any()
                }
            }).collect_view()}
        </div>
    }
    .into_any()
}

/// The workflow steps this person may take now (never 作废: that sits apart).
#[component]
fn Steps(state: RecordState) -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let Some(actor) = ctx.actor() else {
        return ().into_any();
    };
    let order = OrderView::from_record(&state);
    let id = order.id;
    let offered = offered_steps(&state, actor.role);
    // 款到发货: nothing goes to logistics before the money has come (or a manager lets it go).
    let blocked = crate::pages::shipping::prepay_blocked(ctx, &state);
    // 信用额度: the cashier does not stamp a credit order over the customer's limit until a
    // manager lets it go.
    let over_credit = crate::pages::payments::credit_blocked(ctx, &state);
    let has = |s: &str| {
        offered.contains(&s)
            && !(blocked && matches!(s, "hand_over" | "ship"))
            && !(over_credit.is_some() && s == "audit")
    };
    let typed = Typed::here();
    let credit_reason = typed.credit_reason;
    let credit_missing = RwSignal::new(false);
    let (paid, total) = (ctx.paid_for(id), order.total);
    let may_let_go = blocked && matches!(actor.role, Role::Manager | Role::Admin);
    let let_go_reason = typed.let_go_reason;
    let let_go_missing = RwSignal::new(false);
    let run = move |a: Action| match ctx.act(id, a) {
        Ok(()) => sync::kick(ctx),
        Err(e) => ctx.report_save_error(&e),
    };
    let navigate = use_navigate();
    let receiver = typed.receiver;
    let receiver_missing = RwSignal::new(false);
    let copies = typed.copies;
    let hand_over = move || {
        let who = receiver.get_untracked().trim().to_string();
        if who.is_empty() {
            receiver_missing.set(true);
            let _ = crate::components::focus_id("received-by");
            return;
        }
        receiver_missing.set(false);
        let mut chosen: Vec<String> = copies.get_untracked().into_iter().map(String::from).collect();
        common::sort::sort_by_key(&mut chosen, |c| order::HAND_OVER_COPIES.iter().position(|x| x == c));
        run(Action::HandOver { received_by: who, copies: chosen });
    };
    let stamp = RwSignal::new(order::default_stamp(order.payment));
    let collect_needs_contract = order::collect_needs_contract(&order, ctx.station_contract(&order.station).as_deref());
    view! {
        {has("review").then(|| view! {
            <button type="button" id="step-review" class="primary" on:click=move |_| run(Action::Review)>{i.s("复核无误", "Mark reviewed")}</button>
            <button type="button" id="review-and-print" on:click=move |_| {
                run(Action::Review);
                navigate(&format!("/orders/{id}/print?then=print"), Default::default());
            }>{i.s("复核并打印", "Review and print")}</button>
        })}
        {has("audit").then(|| view! {
            <span class="inline-form">
                <label for="stamp">{i.s("收银章", "Payment stamp")}</label>
                <select id="stamp" on:change=move |ev| stamp.set(match event_target_value(&ev).as_str() {
                    "paid" => PaymentStamp::Paid, "receivable" => PaymentStamp::Receivable, _ => PaymentStamp::Collect })>
                    {[PaymentStamp::Collect, PaymentStamp::Receivable, PaymentStamp::Paid].into_iter().map(|s| view! {
                        <option value=order::stamp_code(s) selected=move || stamp.get() == s>{move || i18n::stamp(i.lang(), s)}</option>
                    }).collect_view()}
                </select>
                <button type="button" id="step-audit" class="primary"
                    disabled=move || collect_needs_contract && stamp.get() == PaymentStamp::Collect
                    on:click=move |_| run(Action::Audit { stamp: stamp.get_untracked() })>{i.s("审核盖章", "Audit and stamp")}</button>
                {collect_needs_contract.then(|| view! {
                    <span class="field-error" hidden=move || stamp.get() != PaymentStamp::Collect>
                        {i.s("代收需要货站的合同号/会员号:请先在订单里填上。", "Collect on delivery needs the station's contract / member number: add it to the order first.")}
                    </span>
                })}
            </span>
        })}
        {over_credit.map(|(owed, limit)| view! {
            <div class="notice warn credit-blocked" role="status" data-blocked="credit">
                <span>{move || if i.lang() == Lang::Zh {
                    format!("超出信用额度:客户已欠及已审核未发货 {owed},额度 {limit},本单 {total}。经理放行后才能收银审核。")
                } else {
                    format!("Over the credit limit: the customer owes or has approved {owed} against a limit of {limit}; this order is {total}. The cashier's audit waits for a manager.")
                }}</span>
                {matches!(actor.role, Role::Manager | Role::Admin).then(|| view! {
                    <span class="inline-form">
                        <span class="field">
                            <label for="credit-reason">{i.s("放行原因", "Reason to let it go")}</label>
                            <input id="credit-reason" aria-invalid=move || credit_missing.get().to_string()
                                prop:value=move || credit_reason.get() on:input=move |ev| credit_reason.set(event_target_value(&ev))/>
                            <span class="field-error" role="alert" hidden=move || !credit_missing.get()>{i.s("必填", "Required")}</span>
                        </span>
                        <button type="button" id="credit-let-go" on:click=move |_| {
                            let reason = credit_reason.get_untracked().trim().to_string();
                            if reason.is_empty() {
                                credit_missing.set(true);
                                let _ = crate::components::focus_id("credit-reason");
                            } else {
                                run(Action::Override { rule: order::MoneyRule::Credit, reason });
                            }
                        }>{i.s("经理放行(超额度)", "Let it go over the limit (manager)")}</button>
                    </span>
                })}
            </div>
        })}
        {blocked.then(|| view! {
            <div class="notice warn prepay-blocked" role="status" data-blocked="prepay">
                <span>{move || if i.lang() == Lang::Zh {
                    format!("款到发货:已确认收款 {paid},应收 {total}。收款确认后才能交物流、发货。")
                } else {
                    format!("Prepay: {paid} of {total} confirmed as received. It goes to logistics once paid.")
                }}</span>
                {may_let_go.then(|| view! {
                    <span class="inline-form">
                        <span class="field">
                            <label for="let-go-reason">{i.s("放行原因", "Reason to let it go")}</label>
                            <input id="let-go-reason" aria-invalid=move || let_go_missing.get().to_string()
                                prop:value=move || let_go_reason.get() on:input=move |ev| let_go_reason.set(event_target_value(&ev))/>
                            <span class="field-error" role="alert" hidden=move || !let_go_missing.get()>{i.s("必填", "Required")}</span>
                        </span>
                        <button type="button" id="let-go" on:click=move |_| {
                            let reason = let_go_reason.get_untracked().trim().to_string();
                            if reason.is_empty() {
                                let_go_missing.set(true);
                                let _ = crate::components::focus_id("let-go-reason");
                            } else {
                                run(Action::Override { rule: order::MoneyRule::Prepay, reason });
                            }
                        }>{i.s("经理放行", "Let it go (manager)")}</button>
                    </span>
                })}
            </div>
        })}
        {has("hand_over").then(|| view! {
            <span class="inline-form hand-over-form">
                <span class="field">
                    <label for="received-by">{i.s("物流接收人(点二遍人员)", "Received at logistics by (who counts twice)")}</label>
                    <input id="received-by" aria-invalid=move || receiver_missing.get().to_string() aria-describedby="received-by-err"
                        prop:value=move || receiver.get() on:input=move |ev| receiver.set(event_target_value(&ev))/>
                    <span class="field-error" id="received-by-err" role="alert" hidden=move || !receiver_missing.get()>{i.s("必填", "Required")}</span>
                </span>
                <fieldset class="copies">
                    <legend>{i.s("交出的联", "Copies handed over")}</legend>
                    {["picking", "customer", "stub"].into_iter().map(|c| view! {
                        <label><input type="checkbox" id=format!("copy-{c}") prop:checked=move || copies.with(|cs| cs.contains(&c))
                            on:change=move |ev| { let on = event_target_checked(&ev); copies.update(|cs| { cs.retain(|x| *x != c); if on { cs.push(c); } }); }/>
                            {move || " ".to_string() + copy_name(i.lang(), c)}</label>
                    }).collect_view()}
                </fieldset>
                <button type="button" id="step-hand_over" on:click=move |_| hand_over()>{i.s("交物流", "Hand to logistics")}</button>
            </span>
        })}
    }
    .into_any()
}

/// 作废, apart from the other buttons: it needs a reason and a second press to confirm.
#[component]
fn VoidBox(state: RecordState) -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let Some(actor) = ctx.actor() else {
        return ().into_any();
    };
    if !offered_steps(&state, actor.role).contains(&"void") {
        return ().into_any();
    }
    let id = state.id;
    let reason = Typed::here().void_reason;
    let confirming = RwSignal::new(false);
    let error = RwSignal::new(false);
    let ask = move |_| {
        if reason.get_untracked().trim().is_empty() {
            error.set(true);
            let _ = crate::components::focus_id("void-reason");
        } else {
            error.set(false);
            confirming.set(true);
            let _ = crate::components::focus_id("void-confirm");
        }
    };
    let confirm = move |_| {
        match ctx.act(id, Action::Void { reason: reason.get_untracked().trim().to_string() }) {
            Ok(()) => sync::kick(ctx),
            Err(e) => ctx.report_save_error(&e),
        }
        confirming.set(false);
    };
    view! {
        <details class="danger-zone">
            <summary>{i.s("作废这张订单…", "Void this order…")}</summary>
            <div class="field">
                <label for="void-reason">{i.s("作废原因(必填)", "Reason (required)")}</label>
                <input id="void-reason" aria-invalid=move || error.get().to_string() aria-describedby="void-reason-err"
                    prop:value=move || reason.get() on:input=move |ev| reason.set(event_target_value(&ev))/>
                <span class="field-error" id="void-reason-err" role="alert" hidden=move || !error.get()>{i.s("请写明作废原因", "Give a reason to void")}</span>
            </div>
            <Show when=move || confirming.get() fallback=move || view! {
                <button type="button" class="danger" id="void" on:click=ask>{i.s("作废", "Void")}</button>
            }>
                <p role="alert">{i.s("确定作废?作废后不能再修改。", "Void it? A voided order can no longer be edited.")}</p>
                <button type="button" class="danger" id="void-confirm" on:click=confirm>{i.s("确认作废", "Yes, void it")}</button>
                <button type="button" on:click=move |_| confirming.set(false)>{i.s("取消", "Cancel")}</button>
            </Show>
        </details>
    }
    .into_any()
}

#[component]
pub fn HistoryLine(
    entry: Entry,
    offset: i32,
    /// A product's or station's history: its own words for creating and for its fields.
    #[prop(optional)]
    catalogue: bool,
    /// What the line is about, when not the page's own record (发货单 DB-1), in 中文 and English.
    #[prop(default = None)]
    subject: Option<(String, String)>,
) -> impl IntoView {
    let i: I18n = crate::i18n::use_i18n();
    let when = format_local(entry.at.wall_ms, offset);
    let place = entry.place;
    let created = entry.created;
    let step = entry.step.clone();
    let ship_step = entry.ship_step.clone();
    let edits = entry.edits.clone();
    let who = move || who_text(i.lang(), &entry);
    view! {
        <li data-place=match place { Place::ThisDevice => "device", Place::Server { offline: true, .. } => "offline", _ => "server" }>
            <span class="when">{when}</span>" "
            {subject.map(|(zh, en)| view! { <span class="subject">{move || if i.lang() == Lang::Zh { zh.clone() } else { en.clone() }}</span>" " })}
            <strong>{move || {
                let mut what: Vec<String> = Vec::new();
                if created {
                    what.push(if catalogue { i.t("新建", "Created") } else { i.t("开单", "Order taken") }.to_string());
                }
                match (&step, &ship_step) {
                    (Some(a), _) => what.push(action_text(i.lang(), a)),
                    (None, Some(a)) => what.push(crate::pages::shipping::ship_action_text(i.lang(), a)),
                    _ => {}
                }
                if what.is_empty() { what.push(i.t("修改", "Edited").to_string()); }
                what.join(" · ")
            }}</strong>
            " · "<span class="who">{who}</span>
            " "<span class="muted place">{move || match place {
                Place::ThisDevice => i.t("(仅存本机,待同步)", "(on this device, not synced)").to_string(),
                Place::Server { received_ms, offline: true } => if i.lang() == Lang::Zh {
                    format!("(离线修改,{} 到达服务器)", format_local(received_ms, offset))
                } else {
                    format!("(made offline; reached the server {})", format_local(received_ms, offset))
                },
                _ => String::new(),
            }}</span>
            {(!edits.is_empty()).then(|| view! {
                <ul class="diffs">{edits.iter().map(|e| {
                    let d = Diff { field: e.field.clone(), approved: e.old.clone(), now: e.new.clone() };
                    view! { <li>{move || if catalogue { catalogue_diff(i.lang(), &d) } else { diff_text(i.lang(), &d) }}</li> }
                }).collect_view()}</ul>
            })}
        </li>
    }
}

/// "单价:¥18.00 → ¥19.50", for a catalogue record.
fn catalogue_diff(lang: Lang, d: &Diff) -> String {
    let show = |v: &serde_json::Value| match (d.field.as_str(), v) {
        ("price" | "freight" | "credit_limit", serde_json::Value::Number(n)) => {
            common::desk::money::Fen(n.as_i64().unwrap_or(0)).to_string()
        }
        ("payment", serde_json::Value::String(t)) if PaymentTerms::parse(t).is_some() => {
            PaymentTerms::parse(t).map(|p| crate::i18n::payment(lang, p)).unwrap_or_default().to_string()
        }
        ("contacts" | "addresses", serde_json::Value::Array(items)) => items
            .iter()
            .map(|x| match x {
                serde_json::Value::String(a) => a.clone(),
                c => format!(
                    "{} {}",
                    c.get("name").and_then(|v| v.as_str()).unwrap_or(""),
                    c.get("phone").and_then(|v| v.as_str()).unwrap_or("")
                )
                .trim()
                .to_string(),
            })
            .collect::<Vec<_>>()
            .join("; "),
        ("waybills" | "lines", serde_json::Value::Array(items)) => items
            .iter()
            .map(|x| {
                let name = x.get("number").or_else(|| x.get("model")).and_then(|v| v.as_str()).unwrap_or("");
                let n =
                    x.get("packages").or_else(|| x.get("quantity")).and_then(serde_json::Value::as_i64).unwrap_or(0);
                format!("{name} × {n}")
            })
            .collect::<Vec<_>>()
            .join(", "),
        (_, serde_json::Value::Bool(b)) => {
            if *b { crate::i18n::pick(lang, "是", "yes") } else { crate::i18n::pick(lang, "否", "no") }.to_string()
        }
        (_, serde_json::Value::String(s)) if s.is_empty() => crate::i18n::pick(lang, "(空)", "(empty)").to_string(),
        (_, serde_json::Value::String(s)) => s.clone(),
        (_, other) => other.to_string(),
    };
    format!("{}:{} → {}", crate::i18n::catalogue_field(lang, &d.field), show(&d.approved), show(&d.now))
}
