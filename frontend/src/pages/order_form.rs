//! The phone-order form: the paper list, faster. Header above a grid of lines; Enter
//! moves on, lookups complete from a few characters, Ctrl+Enter saves. Whatever is typed
//! is kept as a draft (草稿) on the device until it is saved or discarded.

use crate::components::{focus_id, focus_next, focus_soon, show_url, LookupInput, Suggestion};
use crate::drafts::{self, Draft};
use crate::i18n::{self, use_i18n, Lang};
use crate::state::{now_ms, use_ctx};
use crate::sync;
use common::desk::customer::{CustomerView, ProductView, StationView};
use common::desk::order::{
    self, edit_effect, offered_steps, FieldError, LineDraft, OrderDraft, OrderView, PaymentTerms, Problem, Warning,
};
use common::desk::search::lookup;
use common::desk::time::{format_local, local_date, Date};
use common::engine::ids::RecordId;
use common::engine::record::Kind;
use common::engine::workflow::{EditEffect, Refusal};
use common::Fen;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};
use wasm_bindgen::JsCast;

/// One row of the grid, each cell its own signal so typing re-renders only that cell.
#[derive(Clone, Copy)]
struct Row {
    key: u64,
    product: RwSignal<Option<RecordId>>,
    model: RwSignal<String>,
    name: RwSignal<String>,
    quantity: RwSignal<String>,
    unit: RwSignal<String>,
    price: RwSignal<String>,
}

impl Row {
    fn new(key: u64, d: LineDraft) -> Row {
        Row {
            key,
            product: RwSignal::new(d.product),
            model: RwSignal::new(d.model),
            name: RwSignal::new(d.name),
            quantity: RwSignal::new(d.quantity),
            unit: RwSignal::new(d.unit),
            price: RwSignal::new(d.unit_price),
        }
    }
    fn draft(&self) -> LineDraft {
        LineDraft {
            product: self.product.get(),
            model: self.model.get(),
            name: self.name.get(),
            quantity: self.quantity.get(),
            unit: self.unit.get(),
            unit_price: self.price.get(),
        }
    }
}

/// `lines.2.quantity` → `f-lines-2-quantity`: the id of the box an error belongs to.
fn field_id(field: &str) -> String {
    format!("f-{}", field.replace('.', "-"))
}

/// The grid row a box belongs to, from its id (`f-lines-2-quantity` → 2).
fn row_of(id: &str) -> Option<usize> {
    id.strip_prefix("f-lines-")?.split('-').next()?.parse().ok()
}

/// The form: a new order, a draft (`?draft=`), or an existing order to edit or correct.
/// Rebuilt blank whenever a new order is asked for (F2, Ctrl+Shift+Enter).
#[component]
pub fn OrderForm() -> impl IntoView {
    let ctx = use_ctx();
    let params = use_params_map();
    let query = use_query_map();
    move || {
        ctx.new_order.track();
        // Editing and correcting a saved order are the full app's (`/orders/{id}/edit` loads it):
        // the core a phone downloads first takes new orders.
        let editing = params
            .with_untracked(|p| p.get("id"))
            .and_then(|s| RecordId::parse(&s).ok())
            .filter(|_| cfg!(feature = "full"));
        let asked = query.with_untracked(|q| q.get("draft"));
        // F2 or Ctrl+Shift+Enter asked for a blank order: whatever the address says.
        let blank = ctx.take_blank_request() && editing.is_none();
        let from_draft = if blank { None } else { asked.as_deref().and_then(drafts::load) };
        let existing = editing.and_then(|id| ctx.replica.with_untracked(|r| r.get(Kind::ORDER, id).cloned()));
        let (draft, restored) = match (from_draft, editing) {
            (Some(d), _) => (d, true),
            (None, Some(id)) => match drafts::for_order(id) {
                Some(d) => (d, true),
                None => {
                    let start = existing.as_ref().map(|s| OrderDraft::from_view(&OrderView::from_record(s)));
                    (Draft::new(Some(id), start.unwrap_or_default()), false)
                }
            },
            (None, None) => (Draft::new(None, OrderDraft::default()), false),
        };
        if editing.is_none() {
            show_url(&if restored { format!("/orders/new?draft={}", draft.id) } else { "/orders/new".into() });
        }
        view! { <FormBody draft=draft restored=restored existing=existing/> }
    }
}

/// What saving this form may do, for this person and this order.
#[derive(Clone, PartialEq)]
enum Mode {
    New,
    Edit,
    /// A shipped order: only a manager's 更正, with a reason.
    Correction,
    /// Nothing this person may save (the reason).
    Locked(Refusal),
}

#[component]
fn FormBody(draft: Draft, restored: bool, existing: Option<common::engine::record::RecordState>) -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let navigate = use_navigate();
    // Said again here so that the compiler sees it and leaves the edit and correction modes
    // out of the core.
    let existing = existing.filter(|_| cfg!(feature = "full"));
    let editing = draft.editing;
    let role = ctx.actor().map(|a| a.role);
    let mode = match (&existing, role) {
        (None, _) if editing.is_some() => Mode::Locked(Refusal::new("invalid", "not on this device")),
        (None, Some(r)) if !order::may_take_orders(r) => {
            Mode::Locked(Refusal::new("forbidden", "this role does not take orders"))
        }
        (None, _) => Mode::New,
        (Some(s), Some(r)) if offered_steps(s, r).contains(&"correct") => Mode::Correction,
        (Some(s), Some(r)) => {
            let guarded = edit_effect(s, r, order::WORKFLOW.guarded);
            let other = edit_effect(s, r, &[order::field::NOTES]);
            match (guarded, other) {
                (Err(e), Err(_)) => Mode::Locked(e),
                _ => Mode::Edit,
            }
        }
        (Some(_), None) => Mode::Locked(Refusal::new("forbidden", "not logged in")),
    };
    let number = existing.as_ref().map(|s| s.get_str(order::field::NUMBER).to_string()).unwrap_or_default();
    let locked = matches!(mode, Mode::Locked(_));
    let start = draft.order.clone();
    let current = StoredValue::new(draft);

    let customer = RwSignal::new(start.customer);
    let customer_name = RwSignal::new(start.customer_name.clone());
    let phone = RwSignal::new(start.phone.clone());
    let address = RwSignal::new(start.address.clone());
    let station = RwSignal::new(start.station.clone());
    let contract = RwSignal::new(start.station_contract.clone());
    let delivery = RwSignal::new(start.delivery_date.clone());
    let payment = RwSignal::new(start.payment.clone());
    let notes = RwSignal::new(start.notes.clone());
    let read_back = RwSignal::new(start.read_back);
    let reason = RwSignal::new(String::new());
    let next_key = StoredValue::new(0u64);
    // Rows belong to the form, not to the row component that asked for a new one (which
    // would take them along when it is removed).
    let form_owner = StoredValue::new_local(Owner::current());
    let new_row = move |d: LineDraft| {
        let k = next_key.get_value();
        next_key.set_value(k + 1);
        match form_owner.get_value() {
            Some(owner) => owner.with(|| Row::new(k, d)),
            None => Row::new(k, d),
        }
    };
    let mut initial: Vec<Row> = start.lines.iter().filter(|l| !l.is_blank()).cloned().map(new_row).collect();
    initial.push(new_row(LineDraft::default()));
    let rows = RwSignal::new(initial);
    // Set by a save that found problems, cleared by one that saves: from then on each field
    // shows what is still wrong with it, so a field put right loses its message at once.
    let tried = RwSignal::new(false);
    let refusal: RwSignal<Option<Refusal>> = RwSignal::new(match &mode {
        Mode::Locked(r) => Some(r.clone()),
        _ => None,
    });
    let warnings: RwSignal<Vec<Warning>> = RwSignal::new(Vec::new());
    let reading_back = RwSignal::new(false);
    // One key shows the order in speaking order and marks it as read back.
    let read_back_now = move || {
        read_back.set(true);
        reading_back.set(true);
        focus_soon("read-back-done");
    };
    let and_then_new = StoredValue::new(false);

    // The grid always ends in one blank row, ready for the next product.
    let ensure_blank_tail = move || {
        let needs = rows.with_untracked(|r| r.last().is_none_or(|last| !last.draft().is_blank()));
        if needs {
            rows.update(|r| r.push(new_row(LineDraft::default())));
        }
    };

    let form_draft = move || OrderDraft {
        customer: customer.get(),
        customer_name: customer_name.get(),
        phone: phone.get(),
        address: address.get(),
        station: station.get(),
        station_contract: contract.get(),
        delivery_date: delivery.get(),
        payment: payment.get(),
        notes: notes.get(),
        lines: rows.with(|r| r.iter().map(Row::draft).collect()),
        read_back: read_back.get(),
    };
    let total = Memo::new(move |_| form_draft().total());

    // Every keystroke is kept on the device: the draft is the outside world here.
    Effect::new(move |_| {
        let order = form_draft();
        let mut d = current.get_value();
        if d.order == order {
            return;
        }
        d.order = order;
        d.updated_ms = now_ms();
        if d.has_content() || drafts::load(&d.id).is_some() {
            let first = drafts::load(&d.id).is_none();
            // A full store keeps the draft in this tab only: making room is for Save to do
            // (it would drop the customers being looked up while typing).
            match drafts::save(&d) {
                Ok(()) => {
                    if first && d.editing.is_none() {
                        show_url(&format!("/orders/new?draft={}", d.id));
                    }
                    ctx.drafts_changed();
                }
                Err(crate::storage::SaveError::Quota) => {}
                Err(e) => ctx.report_save_error(&e),
            }
        }
        current.set_value(d);
    });

    let customers = Memo::new(move |_| ctx.customers());
    let products = Memo::new(move |_| {
        ctx.pinyin.track();
        ctx.replica.with(|r| r.all(Kind::PRODUCT).map(ProductView::from_record).collect::<Vec<_>>())
    });
    let stations = Memo::new(move |_| {
        ctx.replica.with(|r| r.all(Kind::STATION).map(StationView::from_record).collect::<Vec<_>>())
    });
    let is_new_customer = move || {
        let name = customer_name.get();
        customer.get().is_none()
            && !name.trim().is_empty()
            && customers.with(|cs| !cs.iter().any(|c| c.name == name.trim()))
    };

    let suggest_customers = Callback::new(move |q: String| {
        customers.with(|cs| {
            lookup(cs, &q, 8, |c: &CustomerView| vec![&c.name, &c.phone, &c.initials, &c.contact])
                .into_iter()
                .map(|c| Suggestion {
                    text: format!("{} · {} · {}", c.name, c.phone, c.contact),
                    key: c.id.to_string(),
                })
                .collect()
        })
    });
    let pick_customer = Callback::new(move |key: String| {
        let found = customers.with_untracked(|cs| cs.iter().find(|c| c.id.to_string() == key).cloned());
        if let Some(c) = found {
            customer.set(Some(c.id));
            customer_name.set(c.name);
            phone.set(c.phone);
            address.set(c.address);
            station.set(c.station);
            contract.set(c.station_contract);
            if let Some(p) = c.payment {
                payment.set(p.code().to_string());
            }
        }
    });
    // Typing over the name unlinks the customer picked before.
    let typed_customer = Callback::new(move |()| customer.set(None));
    // A known customer's phones (main and other contacts) and addresses, to pick from.
    let alternatives = Memo::new(move |_| {
        let Some(id) = customer.get() else { return (Vec::new(), Vec::new()) };
        let Some(c) = ctx.replica.with(|r| r.get(Kind::CUSTOMER, id).map(CustomerView::from_record)) else {
            return (Vec::new(), Vec::new());
        };
        let phones = std::iter::once((c.contact.clone(), c.phone.clone()))
            .chain(c.contacts.iter().map(|x| (x.name.clone(), x.phone.clone())))
            .filter(|(_, p)| !p.is_empty())
            .collect::<Vec<_>>();
        let addresses =
            std::iter::once(c.address.clone()).chain(c.addresses).filter(|a| !a.is_empty()).collect::<Vec<_>>();
        (phones, addresses)
    });
    let suggest_stations = Callback::new(move |q: String| {
        stations.with(|ss| {
            lookup(ss, &q, 8, |s: &StationView| vec![&s.name, &s.phone])
                .into_iter()
                .map(|s| Suggestion {
                    text: format!("{} · {} · {}", s.name, s.phone, s.contract),
                    key: s.id.to_string(),
                })
                .collect()
        })
    });
    // The member number belongs to the station: another station brings its own.
    let pick_station = Callback::new(move |key: String| {
        if let Some(s) = stations.with_untracked(|ss| ss.iter().find(|s| s.id.to_string() == key).cloned()) {
            station.set(s.name);
            contract.set(s.contract);
        }
    });

    let saving = RwSignal::new(false);
    let form_ref = NodeRef::<leptos::html::Form>::new();
    let offset = ctx.offset_minutes();
    let existing_view = existing.as_ref().map(OrderView::from_record);
    // Constant in the core (no saved order is edited there), so its view code leaves it.
    let correcting = cfg!(feature = "full") && mode == Mode::Correction;
    // What keeps the form from saving: the draft's problems and, for a correction, its reason.
    let problems = move |d: &OrderDraft| {
        let mut errs = d.validate().err().unwrap_or_default();
        if correcting && reason.with(|r| r.trim().is_empty()) {
            errs.push(FieldError::new("reason", Problem::Required));
        }
        errs
    };
    let errors = Memo::new(move |_| {
        if tried.get() {
            problems(&form_draft().normalized(local_date(now_ms(), offset)))
        } else {
            Vec::new()
        }
    });
    let existing_for_save = existing.clone();
    let mode_for_save = mode.clone();
    let reset_blank = move || {
        ctx.request_blank_order();
    };
    let save = move |confirmed: bool| {
        if saving.get_untracked() || matches!(mode_for_save, Mode::Locked(_)) {
            return;
        }
        let today = local_date(now_ms(), offset);
        let d = form_draft().normalized(today);
        delivery.set(d.delivery_date.clone());
        let errs = problems(&d);
        if let Some(first) = errs.first() {
            let id = if first.field == "reason" { "f-reason".to_string() } else { field_id(&first.field) };
            tried.set(true);
            focus_id(&id);
            return;
        }
        tried.set(false);
        let Ok(fields) = d.validate() else { return };
        if let (Some(state), Some(role), Mode::Edit) = (&existing_for_save, role, &mode_for_save) {
            if let Err(r) = edit_effect(state, role, &fields.changed(state)) {
                refusal.set(Some(r));
                return;
            }
        }
        if !confirmed {
            let mut found = ctx.replica.with_untracked(|r| {
                let others: Vec<OrderView> = r.all(Kind::ORDER).map(OrderView::from_record).collect();
                fields.warnings(today, now_ms(), &others, editing)
            });
            found.extend(credit_warning(ctx, &fields, editing));
            if !found.is_empty() {
                warnings.set(found);
                focus_soon("confirm-save");
                return;
            }
        }
        warnings.set(Vec::new());
        saving.set(true);
        let correction = correcting.then(|| reason.get_untracked().trim().to_string());
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            let result = ctx.save_order(editing, fields, correction).await;
            saving.set(false);
            match result {
                Ok(id) => {
                    drafts::discard(&current.get_value().id);
                    ctx.drafts_changed();
                    sync::kick(ctx);
                    if and_then_new.get_value() {
                        reset_blank();
                    } else {
                        navigate(&format!("/orders/{id}"), Default::default());
                    }
                }
                Err(e) => ctx.report_save_error(&e),
            }
        });
    };
    let save_k = save.clone();
    let save_b = save.clone();
    let save_c = save.clone();
    let delete_row = move |index: usize| {
        rows.update(|r| {
            if index + 1 < r.len() {
                r.remove(index);
            }
        });
        ensure_blank_tail();
        focus_soon_owned(format!("f-lines-{index}-model"));
    };
    let keydown = move |ev: web_sys::KeyboardEvent| {
        let target = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok());
        let target_id = target.as_ref().map(|t| t.id()).unwrap_or_default();
        let ctrl = ev.ctrl_key() || ev.meta_key();
        match ev.key().as_str() {
            "Enter" if ctrl => {
                ev.prevent_default();
                and_then_new.set_value(ev.shift_key());
                save_k(!warnings.get_untracked().is_empty() && target_id == "confirm-save");
            }
            "Delete" if ctrl => {
                if let Some(index) = row_of(&target_id) {
                    ev.prevent_default();
                    delete_row(index);
                }
            }
            "F4" => {
                ev.prevent_default();
                read_back_now();
            }
            "Escape" if !warnings.get_untracked().is_empty() => {
                warnings.set(Vec::new());
            }
            "Enter" if !ev.shift_key() && !ev.alt_key() => {
                let Some(target) = target else { return };
                if !matches!(target.tag_name().as_str(), "INPUT" | "SELECT") {
                    return;
                }
                ev.prevent_default();
                // A known customer fills the header: straight on to what it cannot know.
                if target_id == "f-customer_name" && customer.get_untracked().is_some() {
                    focus_id("f-delivery_date");
                    return;
                }
                // An empty model in the last, blank row: the lines are done.
                let last = rows.with_untracked(Vec::len).saturating_sub(1);
                if target_id == format!("f-lines-{last}-model") && rows.with_untracked(|r| r[last].draft().is_blank()) {
                    focus_id("f-notes");
                    return;
                }
                if let Some(form) = form_ref.get_untracked() {
                    focus_next(&form, &target);
                }
            }
            _ => {}
        }
    };

    let error_for = move |field: &'static str| {
        Signal::derive(move || {
            errors.with(|e| e.iter().find(|e| e.field == field).map(|e| i18n::problem_text(i.lang(), e)))
        })
    };
    let invalid =
        move |field: &'static str| Signal::derive(move || errors.with(|e| e.iter().any(|e| e.field == field)));
    let title = match (&mode, existing.is_some()) {
        (Mode::Correction, _) => ("更正订单", "Correct order"),
        (_, true) => ("修改订单", "Edit order"),
        _ => ("新建订单", "New order"),
    };
    let discard = move |_| {
        drafts::discard(&current.get_value().id);
        ctx.drafts_changed();
        let to = match editing {
            Some(id) => format!("/orders/{id}"),
            None => "/orders".into(),
        };
        use_navigate()(&to, Default::default());
    };
    let guarded_effect = existing.as_ref().zip(role).map(|(s, r)| edit_effect(s, r, order::WORKFLOW.guarded));
    let sends_back = match &guarded_effect {
        Some(Ok(EditEffect::SendsBack(steps))) if cfg!(feature = "full") => Some(steps.clone()),
        _ => None,
    };
    // May change the phone and notes, not what the approvals hold.
    let only_other = cfg!(feature = "full") && mode == Mode::Edit && matches!(guarded_effect, Some(Err(_)));
    focus_soon("f-customer_name");

    view! {
        <section class="order-form">
            <div class="page-head">
                <h1>{move || i.t(title.0, title.1)}" "<span class="mono">{number.clone()}</span></h1>
                <p class="hint" id="form-keys">{move || i.t(
                    "Enter 下一项 · ↑↓ 选择 · Ctrl+Enter 保存 · Ctrl+Shift+Enter 保存并新建 · Ctrl+Delete 删除本行 · F4 复述 · F2 新订单",
                    "Enter next field · ↑↓ choose · Ctrl+Enter save · Ctrl+Shift+Enter save and start another · Ctrl+Delete remove line · F4 read back · F2 new order",
                )}</p>
            </div>
            {restored.then(|| view! { <p class="notice" role="status">{i.s("已恢复上次未保存的内容(草稿)。", "Restored what was typed and not saved (draft).")}</p> })}
            {move || refusal.get().map(|r| view! {
                <div class="notice refused" role="alert" data-refused=r.code>
                    {move || i18n::refusal(i.lang(), r.code)}
                </div>
            })}
            {only_other.then(|| view! {
                <p class="notice" role="note" data-only-other="">{i.s(
                    "这张订单已经审核:你现在只能修改客户电话和备注;其他内容请经理修改。",
                    "This order has been audited: you may change the customer phone and the notes; anything else, ask a manager.",
                )}</p>
            })}
            {sends_back.map(|steps| view! {
                <p class="notice" role="note">{move || {
                    let names: Vec<&str> = steps.iter().map(|s| i18n::step(i.lang(), s)).collect();
                    if i.lang() == Lang::Zh {
                        format!("这张订单已{}。改动客户、商品、金额、货站、地址或日期后,需要重新{}。", names.join("、"), names.join("、"))
                    } else {
                        format!("This order has had its {}. Changing customer, lines, station, address or dates sends it back for {} again.", names.join(", "), names.join(", "))
                    }
                }}</p>
            })}
            <form node_ref=form_ref novalidate on:keydown=keydown on:submit=move |ev| { ev.prevent_default(); and_then_new.set_value(false); save_b(false); }>
                <div class="grid-header">
                    <div class="field wide">
                        <label for="f-customer_name">{i.s("客户", "Customer")}
                            <Show when=is_new_customer>
                                " "<span class="tag new-customer">{i.s("新客户", "New customer")}</span>
                            </Show>
                        </label>
                        <LookupInput id="f-customer_name" value=customer_name suggest=suggest_customers on_pick=pick_customer on_input=typed_customer
                            invalid=invalid("customer_name") described_by="f-customer_name-err"/>
                        <ErrorText id="f-customer_name-err" text=error_for("customer_name")/>
                    </div>
                    <TextField id="f-phone" label=("客户电话", "Customer phone") value=phone kind="tel" invalid=invalid("phone") error=error_for("phone")/>
                    <TextField id="f-address" label=("送货地址", "Delivery address") value=address kind="text" invalid=invalid("address") error=error_for("address")/>
                    // The picked customer's other phones and addresses: one press puts one in its box.
                    {move || {
                        let (phones, addresses) = alternatives.get();
                        (phones.len() + addresses.len() > 2).then(|| view! {
                            <div class="alternatives" role="group" aria-label=i.s("客户的其他电话和地址", "The customer's other phones and addresses")>
                                {phones.into_iter().map(|(who, p)| {
                                    let label = format!("{who} {p}").trim().to_string();
                                    view! { <button type="button" class="chip alt-phone" data-phone=p.clone() on:click=move |_| phone.set(p.clone())>{label}</button> }
                                }).collect_view()}
                                {addresses.into_iter().map(|a| {
                                    let shown = a.clone();
                                    view! { <button type="button" class="chip alt-address" on:click=move |_| address.set(a.clone())>{shown}</button> }
                                }).collect_view()}
                            </div>
                        })
                    }}
                    <div class="field">
                        <label for="f-station">{i.s("货站", "Freight station")}</label>
                        <LookupInput id="f-station" value=station suggest=suggest_stations on_pick=pick_station invalid=invalid("station") described_by="f-station-err"/>
                        <ErrorText id="f-station-err" text=error_for("station")/>
                    </div>
                    <TextField id="f-station_contract" label=("合同号/会员号", "Contract / member no.") value=contract kind="text" invalid=invalid("station_contract") error=error_for("station_contract")/>
                    <div class="field">
                        <label for="f-delivery_date">{i.s("要货日期", "Delivery date")}</label>
                        <input id="f-delivery_date" type="text" autocomplete="off"
                            placeholder=i.s("今天 / 明天 / +3 / 12-05", "today / tomorrow / +3 / 12-05")
                            aria-invalid=move || invalid("delivery_date").get().to_string() aria-describedby="f-delivery_date-err"
                            prop:value=delivery on:input=move |ev| delivery.set(event_target_value(&ev))
                            on:blur=move |_| {
                                if let Some(d) = Date::from_input(&delivery.get_untracked(), local_date(now_ms(), offset)) {
                                    delivery.set(d.to_string());
                                }
                            }/>
                        <ErrorText id="f-delivery_date-err" text=error_for("delivery_date")/>
                    </div>
                    <div class="field">
                        <label for="f-payment">{i.s("结款方式", "Payment terms")}</label>
                        <select id="f-payment" aria-invalid=move || invalid("payment").get().to_string() aria-describedby="f-payment-err"
                            data-enter-skip=move || (!payment.get().is_empty()).then_some("")
                            prop:value=payment on:change=move |ev| payment.set(event_target_value(&ev))>
                            <option value="">{i.s("请选择", "Choose")}</option>
                            {PaymentTerms::ALL.into_iter().map(|p| view! {
                                <option value=p.code() selected=move || payment.get() == p.code()>{move || i18n::payment(i.lang(), p)}</option>
                            }).collect_view()}
                        </select>
                        <ErrorText id="f-payment-err" text=error_for("payment")/>
                    </div>
                </div>

                <table class="lines">
                    <caption>{i.s("商品明细", "Lines")}</caption>
                    <thead><tr>
                        <th scope="col">"#"</th>
                        <th scope="col">{i.s("型号", "Model")}</th>
                        <th scope="col">{i.s("名称", "Name")}</th>
                        <th scope="col" class="num">{i.s("数量", "Qty")}</th>
                        <th scope="col">{i.s("单位", "Unit")}</th>
                        <th scope="col" class="num">{i.s("单价", "Unit price")}</th>
                        <th scope="col" class="num">{i.s("金额", "Amount")}</th>
                        <th scope="col"><span class="sr-only">{i.s("删除", "Remove")}</span></th>
                    </tr></thead>
                    <tbody>
                        <For each=move || rows.get() key=|r| r.key let:row>
                            <LineRow row=row rows=rows errors=errors products=products on_change=Callback::new(move |()| ensure_blank_tail())/>
                        </For>
                    </tbody>
                </table>
                <ErrorText id="f-lines-err" text=error_for("lines")/>
                <p class="total">
                    {i.s("合计", "Total")}": "<strong class="num" data-total=move || total.get().0.to_string()>{move || total.get().to_string()}</strong>
                    " "<span class="capital">{move || total.get().to_capital()}</span>
                </p>
                <div class="field wide">
                    <label for="f-notes">{i.s("备注", "Notes")}" "<span class="muted">{move || format!("({}/{})", notes.with(|n| n.chars().count()), order::MAX_NOTES)}</span></label>
                    <textarea id="f-notes" rows="2" aria-invalid=move || invalid("notes").get().to_string() aria-describedby="f-notes-err"
                        prop:value=notes on:input=move |ev| notes.set(event_target_value(&ev))></textarea>
                    <ErrorText id="f-notes-err" text=error_for("notes")/>
                </div>
                {correcting.then(|| view! {
                    <div class="field wide">
                        <label for="f-reason">{i.s("更正原因(必填,记入经过)", "Reason for the correction (required, kept in the history)")}</label>
                        <input id="f-reason" aria-invalid=move || invalid("reason").get().to_string() aria-describedby="f-reason-err"
                            prop:value=reason on:input=move |ev| reason.set(event_target_value(&ev))/>
                        <ErrorText id="f-reason-err" text=error_for("reason")/>
                    </div>
                })}
                <Show when=move || !warnings.with(Vec::is_empty)>
                    <div class="notice confirm" role="alertdialog" aria-labelledby="confirm-title">
                        <div>
                            <strong id="confirm-title">{i.s("请确认:", "Please confirm:")}</strong>
                            <ul>{move || warnings.get().into_iter().map(|w| view! { <li>{move || warning_text(i.lang(), &w)}</li> }).collect_view()}</ul>
                            {move || warnings.with(|ws| ws.iter().any(|w| matches!(w, Warning::OverCredit { .. }))).then(|| {
                                let age = ctx.sync.with_untracked(|s| s.last_ok_ms).map(|t| now_ms().saturating_sub(t) / 60_000);
                                view! { <p class="hint" id="balance-age">{move || match (age, i.lang()) {
                                    (Some(m), Lang::Zh) if m < 60 => format!("余额截至 {m} 分钟前(本机上次同步)"),
                                    (Some(m), Lang::Zh) => format!("余额截至 {} 小时前(本机上次同步)", m / 60),
                                    (Some(m), Lang::En) if m < 60 => format!("Balance as of {m} minutes ago (this device's last sync)"),
                                    (Some(m), Lang::En) => format!("Balance as of {} hours ago (this device's last sync)", m / 60),
                                    (None, Lang::Zh) => "余额以本机上次同步为准".to_string(),
                                    (None, Lang::En) => "Balance as of this device's last sync".to_string(),
                                }}</p> }
                            })}
                        </div>
                        <div class="actions">
                            <button type="button" id="confirm-save" class="primary" on:click={
                                let save_c = save_c.clone();
                                move |_| save_c(true)
                            }>{i.s("仍然保存 (Ctrl+Enter)", "Save anyway (Ctrl+Enter)")}</button>
                            <button type="button" on:click=move |_| warnings.set(Vec::new())>{i.s("返回修改 (Esc)", "Go back (Esc)")}</button>
                        </div>
                    </div>
                </Show>
                <div class="actions">
                    <button type="submit" class="primary" id="save" disabled=move || saving.get() || locked>
                        {i.s("保存", "Save")}
                    </button>
                    <button type="button" id="read-back" on:click=move |_| read_back_now()>
                        {i.s("复述 (F4)", "Read back (F4)")}
                    </button>
                    <button type="button" class="quiet" id="discard" on:click=discard>
                        {move || if editing.is_some() { i.t("放弃修改", "Discard changes") } else { i.t("放弃草稿", "Discard draft") }}
                    </button>
                    <Show when=move || read_back.get()>
                        <span class="tag read-back-done">{i.s("已复述", "Read back")}</span>
                    </Show>
                    <p class="field-error" role="alert" id="form-errors" hidden=move || errors.with(Vec::is_empty)>
                        {move || {
                            let n = errors.with(Vec::len);
                            if i.lang() == Lang::Zh { format!("无法保存:有 {n} 处需要修改(已标红)。") } else { format!("Not saved: {n} fields need attention (marked in red).") }
                        }}
                    </p>
                </div>
            </form>
            <Show when=move || reading_back.get()>
                <ReadBack draft=Signal::derive(form_draft) on_close=Callback::new(move |()| {
                    reading_back.set(false);
                    focus_soon("save");
                })/>
            </Show>
            {existing_view.map(|o| view! { <p class="muted">{i.s("开单时间", "Taken at")}" "{o.created.map(|c| format_local(c.wall_ms, offset)).unwrap_or_default()}</p> })}
        </section>
    }
}

fn focus_soon_owned(id: String) {
    request_animation_frame(move || {
        focus_id(&id);
    });
}

/// A credit order that takes the customer over their limit, from what this device
/// knows (the balance as of its last sync; the server checks again at the audit). A
/// customer first typed for a new order is created with no credit, so any credit order
/// is over (an edit that keeps its customer's name keeps the order's customer as it was).
fn credit_warning(ctx: crate::state::Ctx, fields: &order::OrderFields, editing: Option<RecordId>) -> Option<Warning> {
    let (limit, exposure) = match fields.customer.or_else(|| ctx.customer_named(&fields.customer_name)) {
        Some(c) => ctx.credit_of(c, editing.unwrap_or(RecordId(uuid_nil())))?,
        None if editing.is_none() => (common::desk::customer::NEW_CUSTOMER_CREDIT, Fen(0)),
        None => return None,
    };
    let mut this = OrderView::from_record(&common::engine::record::RecordState::new(
        Kind::ORDER,
        RecordId(uuid_nil()),
        common::engine::ids::OfficeCode::parse("HQ").ok()?,
    ));
    this.payment = Some(fields.payment);
    this.total = fields.total();
    common::desk::payments::over_credit(&this, Some(limit), exposure)
        .map(|(exposure, limit)| Warning::OverCredit { exposure, limit })
}

fn uuid_nil() -> uuid::Uuid {
    uuid::Uuid::nil()
}

fn warning_text(lang: Lang, w: &Warning) -> String {
    match (w, lang) {
        (Warning::PastDeliveryDate, Lang::Zh) => "要货日期已经过了。".into(),
        (Warning::PastDeliveryDate, Lang::En) => "The delivery date has passed.".into(),
        (Warning::LargeTotal, Lang::Zh) => format!("合计超过 {},请核对数量和单价。", order::LARGE_TOTAL),
        (Warning::LargeTotal, Lang::En) => {
            format!("The total is above {}: check quantities and prices.", order::LARGE_TOTAL)
        }
        (Warning::Duplicate(n), Lang::Zh) => format!("几分钟前这个客户刚下过同样的订单({n})。"),
        (Warning::Duplicate(n), Lang::En) => format!("The same order for this customer was taken minutes ago ({n})."),
        (Warning::OverCredit { exposure, limit }, Lang::Zh) => {
            format!("超出信用额度:客户已欠及已审核未发货 {exposure},额度 {limit}。保存后收银审核前需经理放行。")
        }
        (Warning::OverCredit { exposure, limit }, Lang::En) => format!(
            "Over the credit limit: the customer owes or has approved {exposure} against a limit of {limit}. Once saved, a manager must let it go before the cashier's audit."
        ),
    }
}

/// The order in the order it is spoken back to the customer, large enough to read aloud.
#[component]
fn ReadBack(draft: Signal<OrderDraft>, on_close: Callback<()>) -> impl IntoView {
    let i = use_i18n();
    let keydown = move |ev: web_sys::KeyboardEvent| {
        if matches!(ev.key().as_str(), "Escape" | "F4") {
            ev.prevent_default();
            on_close.run(());
        }
    };
    let lines = move || {
        draft.with(|d| {
            d.lines
                .iter()
                .filter(|l| !l.is_blank())
                .map(|l| {
                    let price = Fen::parse(&l.unit_price).map(|p| p.to_string()).unwrap_or_default();
                    if i.lang() == Lang::Zh {
                        format!("{} {},{} {},单价 {}", l.model, l.name, l.quantity, l.unit, price)
                    } else {
                        format!("{} {}, {} {}, at {} each", l.model, l.name, l.quantity, l.unit, price)
                    }
                })
                .collect::<Vec<_>>()
        })
    };
    view! {
        <div class="read-back" role="dialog" aria-modal="true" aria-labelledby="read-back-title" on:keydown=keydown>
            <h2 id="read-back-title">{i.s("向客户复述", "Read it back to the customer")}</h2>
            <ol class="speak">{move || lines().into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ol>
            <p class="speak">{move || {
                let d = draft.get();
                let total = d.total();
                if i.lang() == Lang::Zh { format!("合计 {},{}", total, total.to_capital()) } else { format!("Total {total}") }
            }}</p>
            <p class="speak">{move || {
                let d = draft.get();
                let pay = PaymentTerms::parse(&d.payment).map(|p| i18n::payment(i.lang(), p)).unwrap_or_default();
                if i.lang() == Lang::Zh {
                    format!("货站 {} {},要货日期 {},{}", d.station, d.station_contract, d.delivery_date, pay)
                } else {
                    format!("Station {} {}, delivery {}, {}", d.station, d.station_contract, d.delivery_date, pay)
                }
            }}</p>
            <div class="actions">
                <button type="button" class="primary" id="read-back-done" on:click=move |_| on_close.run(())>{i.s("复述完毕 (F4 / Esc)", "Done (F4 / Esc)")}</button>
            </div>
        </div>
    }
}

#[component]
fn ErrorText(id: &'static str, text: Signal<Option<String>>) -> impl IntoView {
    view! { <p class="field-error" id=id role="alert" hidden=move || text.with(Option::is_none)>{move || text.get().unwrap_or_default()}</p> }
}

#[component]
fn TextField(
    id: &'static str,
    label: (&'static str, &'static str),
    value: RwSignal<String>,
    kind: &'static str,
    invalid: Signal<bool>,
    error: Signal<Option<String>>,
) -> impl IntoView {
    let i = use_i18n();
    let err_id = format!("{id}-err");
    view! {
        <div class="field">
            <label for=id>{move || i.t(label.0, label.1)}</label>
            <input id=id type=kind aria-invalid=move || invalid.get().to_string() aria-describedby=err_id.clone()
                prop:value=value on:input=move |ev| value.set(event_target_value(&ev))/>
            <p class="field-error" id=err_id role="alert" hidden=move || error.with(Option::is_none)>{move || error.get().unwrap_or_default()}</p>
        </div>
    }
}

/// Selects a number box's text when it gets focus, so typing replaces it.
fn select_on_focus(ev: web_sys::FocusEvent) {
    if let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) {
        input.select();
    }
}

#[component]
fn LineRow(
    row: Row,
    rows: RwSignal<Vec<Row>>,
    errors: Memo<Vec<FieldError>>,
    products: Memo<Vec<ProductView>>,
    on_change: Callback<()>,
) -> impl IntoView {
    let i = use_i18n();
    let index = Memo::new(move |_| rows.with(|r| r.iter().position(|x| x.key == row.key).unwrap_or(0)));
    let id = move |col: &str| format!("f-lines-{}-{col}", index.get());
    let err = move |col: &'static str| {
        move || {
            errors.with(|e| {
                e.iter()
                    .find(|e| e.field == format!("lines.{}.{col}", index.get()))
                    .map(|e| i18n::problem_text(i.lang(), e))
            })
        }
    };
    let invalid = move |col: &'static str| {
        Signal::derive(move || errors.with(|e| e.iter().any(|e| e.field == format!("lines.{}.{col}", index.get()))))
    };
    let suggest = Callback::new(move |q: String| {
        products.with(|ps| {
            lookup(ps, &q, 8, |p: &ProductView| vec![&p.model, &p.name, &p.initials])
                .into_iter()
                .map(|p| Suggestion {
                    // A new product is said so, for the desk to mention on the phone.
                    text: format!(
                        "{}{} {} {}/{}",
                        if p.is_new { i.t("【新品】", "[new] ") } else { "" },
                        p.model,
                        p.name,
                        p.price,
                        p.unit
                    ),
                    key: p.id.to_string(),
                })
                .collect()
        })
    });
    let pick = Callback::new(move |key: String| {
        if let Some(p) = products.with_untracked(|ps| ps.iter().find(|p| p.id.to_string() == key).cloned()) {
            row.product.set(Some(p.id));
            row.model.set(p.model);
            row.name.set(p.name);
            row.unit.set(p.unit);
            row.price.set(p.price.to_plain());
            on_change.run(());
        }
    });
    // Typing a model by hand unlinks the catalogue product.
    let typed = Callback::new(move |()| {
        row.product.set(None);
        on_change.run(());
    });
    let amount = move || {
        let d = row.draft();
        d.amount().map(|a: Fen| a.to_string()).unwrap_or_default()
    };
    let cell = move |col: &'static str,
                     value: RwSignal<String>,
                     class: &'static str,
                     skip: bool,
                     label: (&'static str, &'static str)| {
        let err_id = move || format!("{}-err", id(col));
        let numeric = class == "num";
        view! {
            <td class=class data-label=move || i.t(label.0, label.1)>
                <input id=move || id(col) type="text" class=class inputmode=if numeric { "decimal" } else { "text" }
                    autocomplete="off" placeholder=move || i.t(label.0, label.1)
                    aria-label=move || format!("{} {}", i.t(label.0, label.1), index.get() + 1)
                    aria-invalid=move || invalid(col).get().to_string()
                    aria-describedby=err_id
                    data-enter-skip=skip.then_some("")
                    prop:value=value
                    on:focus=move |ev| if numeric { select_on_focus(ev) }
                    on:input=move |ev| { value.set(event_target_value(&ev)); on_change.run(()); }/>
                <span class="field-error" id=err_id role="alert" hidden=move || err(col)().is_none()>{move || err(col)().unwrap_or_default()}</span>
            </td>
        }
    };
    let remove = move |_| rows.update(|r| r.retain(|x| x.key != row.key));
    view! {
        <tr>
            <td class="rownum">{move || index.get() + 1}</td>
            <td data-label=move || i.t("型号", "Model")>
                <LookupInput id=Signal::derive(move || id("model")) value=row.model suggest=suggest on_pick=pick on_input=typed invalid=invalid("model")
                    label=Signal::derive(move || format!("{} {}", i.t("型号", "Model"), index.get() + 1))/>
                <span class="field-error" role="alert" hidden=move || err("model")().is_none()>{move || err("model")().unwrap_or_default()}</span>
            </td>
            {cell("name", row.name, "", true, ("名称", "Name"))}
            {cell("quantity", row.quantity, "num", false, ("数量", "Quantity"))}
            {cell("unit", row.unit, "short", true, ("单位", "Unit"))}
            {cell("unit_price", row.price, "num", false, ("单价", "Unit price"))}
            <td class="num amount" data-label=move || i.t("金额", "Amount")>{amount}</td>
            <td>
                <button type="button" class="quiet remove" tabindex="-1" on:click=remove
                    aria-label=move || i18n::remove_line(i.lang(), index.get() + 1)>"×"</button>
            </td>
        </tr>
    }
}
