//! The phone-order form: the paper list, faster. Header above a grid of lines; Enter
//! moves on, lookups complete from a few characters, Ctrl+Enter saves.

use crate::components::{focus_next, LookupInput, Suggestion};
use crate::i18n::{self, use_i18n};
use crate::state::use_ctx;
use crate::sync;
use common::desk::customer::{CustomerView, ProductView, StationView};
use common::desk::money::Fen;
use common::desk::order::{FieldError, LineDraft, OrderDraft, OrderView, PaymentTerms};
use common::desk::search::lookup;
use common::engine::ids::RecordId;
use common::engine::record::Kind;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map};
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

#[component]
pub fn OrderForm() -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let params = use_params_map();
    let editing: Option<RecordId> = params.with_untracked(|p| p.get("id")).and_then(|s| RecordId::parse(&s).ok());
    let existing =
        editing.and_then(|id| ctx.replica.with_untracked(|r| r.get(Kind::ORDER, id).map(OrderView::from_record)));
    let start = existing.as_ref().map(OrderDraft::from_view).unwrap_or_default();

    let customer = RwSignal::new(start.customer);
    let customer_name = RwSignal::new(start.customer_name.clone());
    let phone = RwSignal::new(start.phone.clone());
    let address = RwSignal::new(start.address.clone());
    let station = RwSignal::new(start.station.clone());
    let contract = RwSignal::new(start.station_contract.clone());
    let delivery = RwSignal::new(start.delivery_date.clone());
    let payment = RwSignal::new(start.payment.clone());
    let notes = RwSignal::new(start.notes.clone());
    let next_key = StoredValue::new(0u64);
    let new_row = move |d: LineDraft| {
        let k = next_key.get_value();
        next_key.set_value(k + 1);
        Row::new(k, d)
    };
    let mut initial: Vec<Row> = start.lines.iter().cloned().map(new_row).collect();
    initial.push(new_row(LineDraft::default()));
    let rows = RwSignal::new(initial);
    let errors: RwSignal<Vec<FieldError>> = RwSignal::new(Vec::new());

    // The grid always ends in one blank row, ready for the next product.
    let ensure_blank_tail = move || {
        let needs = rows.with_untracked(|r| r.last().is_none_or(|last| !last.draft().is_blank()));
        if needs {
            rows.update(|r| r.push(new_row(LineDraft::default())));
        }
    };

    let draft = move || OrderDraft {
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
    };
    let total = Memo::new(move |_| draft().total());

    let customers = Memo::new(move |_| ctx.customers());
    let products = Memo::new(move |_| {
        ctx.replica.with(|r| r.all(Kind::PRODUCT).map(ProductView::from_record).collect::<Vec<_>>())
    });
    let stations = Memo::new(move |_| {
        ctx.replica.with(|r| r.all(Kind::STATION).map(StationView::from_record).collect::<Vec<_>>())
    });

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
    let suggest_stations = Callback::new(move |q: String| {
        stations.with(|ss| {
            lookup(ss, &q, 8, |s: &StationView| vec![&s.name, &s.phone])
                .into_iter()
                .map(|s| Suggestion { text: format!("{} · {}", s.name, s.phone), key: s.id.to_string() })
                .collect()
        })
    });
    let pick_station = Callback::new(move |key: String| {
        if let Some(s) = stations.with_untracked(|ss| ss.iter().find(|s| s.id.to_string() == key).cloned()) {
            station.set(s.name);
            if contract.get_untracked().is_empty() {
                contract.set(s.contract);
            }
        }
    });

    let navigate = use_navigate();
    let saving = RwSignal::new(false);
    let form_ref = NodeRef::<leptos::html::Form>::new();
    let save = move || {
        let d = draft();
        match d.validate() {
            Err(errs) => {
                let first = errs.first().map(|e| field_id(&e.field));
                errors.set(errs);
                if let Some(id) = first {
                    let el = web_sys::window().and_then(|w| w.document()).and_then(|doc| doc.get_element_by_id(&id));
                    if let Some(el) = el.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
                        let _ = el.focus();
                    }
                }
            }
            Ok(fields) => {
                errors.set(Vec::new());
                if saving.get_untracked() {
                    return;
                }
                saving.set(true);
                let navigate = navigate.clone();
                leptos::task::spawn_local(async move {
                    let result = ctx.save_order(editing, fields).await;
                    saving.set(false);
                    match result {
                        Ok(id) => {
                            sync::kick(ctx);
                            navigate(&format!("/orders/{id}"), Default::default());
                        }
                        Err(e) => ctx.report_save_error(&e),
                    }
                });
            }
        }
    };
    let save2 = save.clone();
    let keydown = move |ev: web_sys::KeyboardEvent| {
        if ev.key() != "Enter" {
            return;
        }
        if ev.ctrl_key() || ev.meta_key() {
            ev.prevent_default();
            save2();
            return;
        }
        let Some(target) = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else {
            return;
        };
        if matches!(target.tag_name().as_str(), "INPUT" | "SELECT") {
            ev.prevent_default();
            if let Some(form) = form_ref.get_untracked() {
                focus_next(&form, &target);
            }
        }
    };

    let error_for = move |field: &'static str| {
        move || errors.with(|e| e.iter().find(|e| e.field == field).map(|e| i18n::problem(i.lang(), e.problem)))
    };
    let invalid =
        move |field: &'static str| Signal::derive(move || errors.with(|e| e.iter().any(|e| e.field == field)));
    let title = if existing.is_some() { ("修改订单", "Edit order") } else { ("新建订单", "New order") };
    let number = existing.as_ref().map(|o| o.number.clone()).unwrap_or_default();

    view! {
        <section class="order-form">
            <div class="page-head">
                <h1>{move || i.t(title.0, title.1)}" "<span class="mono">{number.clone()}</span></h1>
                <p class="hint">{move || i.t("Enter 下一项 · ↑↓ 选择 · Ctrl+Enter 保存", "Enter next field · ↑↓ choose · Ctrl+Enter save")}</p>
            </div>
            <form node_ref=form_ref novalidate on:keydown=keydown on:submit=move |ev| { ev.prevent_default(); save(); }>
                <div class="grid-header">
                    <div class="field wide">
                        <label for="f-customer_name">{move || i.t("客户", "Customer")}</label>
                        <LookupInput id="f-customer_name" value=customer_name suggest=suggest_customers on_pick=pick_customer
                            invalid=invalid("customer_name") described_by="f-customer_name-err" autofocus=true/>
                        <ErrorText id="f-customer_name-err" text=Signal::derive(error_for("customer_name"))/>
                    </div>
                    <TextField id="f-phone" label=("电话", "Phone") value=phone kind="tel" invalid=invalid("phone") error=Signal::derive(error_for("phone"))/>
                    <TextField id="f-address" label=("送货地址", "Delivery address") value=address kind="text" invalid=invalid("address") error=Signal::derive(error_for("address"))/>
                    <div class="field">
                        <label for="f-station">{move || i.t("货站", "Freight station")}</label>
                        <LookupInput id="f-station" value=station suggest=suggest_stations on_pick=pick_station invalid=invalid("station")/>
                    </div>
                    <TextField id="f-station_contract" label=("合同号/会员号", "Contract / member no.") value=contract kind="text" invalid=invalid("station_contract") error=Signal::derive(error_for("station_contract"))/>
                    <TextField id="f-delivery_date" label=("要货日期", "Delivery date") value=delivery kind="date" invalid=invalid("delivery_date") error=Signal::derive(error_for("delivery_date"))/>
                    <div class="field">
                        <label for="f-payment">{move || i.t("结款方式", "Payment terms")}</label>
                        <select id="f-payment" aria-invalid=move || invalid("payment").get().to_string() aria-describedby="f-payment-err"
                            prop:value=move || payment.get() on:change=move |ev| payment.set(event_target_value(&ev))>
                            <option value="">{move || i.t("请选择", "Choose")}</option>
                            {PaymentTerms::ALL.into_iter().map(|p| view! {
                                <option value=p.code() selected=move || payment.get() == p.code()>{move || i18n::payment(i.lang(), p)}</option>
                            }).collect_view()}
                        </select>
                        <ErrorText id="f-payment-err" text=Signal::derive(error_for("payment"))/>
                    </div>
                </div>

                <table class="lines">
                    <caption>{move || i.t("商品明细", "Lines")}</caption>
                    <thead><tr>
                        <th scope="col">"#"</th>
                        <th scope="col">{move || i.t("型号", "Model")}</th>
                        <th scope="col">{move || i.t("名称", "Name")}</th>
                        <th scope="col" class="num">{move || i.t("数量", "Qty")}</th>
                        <th scope="col">{move || i.t("单位", "Unit")}</th>
                        <th scope="col" class="num">{move || i.t("单价", "Unit price")}</th>
                        <th scope="col" class="num">{move || i.t("金额", "Amount")}</th>
                        <th scope="col"><span class="sr-only">{move || i.t("删除", "Remove")}</span></th>
                    </tr></thead>
                    <tbody>
                        <For each=move || rows.get() key=|r| r.key let:row>
                            <LineRow row=row rows=rows errors=errors products=products on_change=Callback::new(move |()| ensure_blank_tail())/>
                        </For>
                    </tbody>
                </table>
                <ErrorText id="f-lines-err" text=Signal::derive(error_for("lines"))/>
                <p class="total">
                    {move || i.t("合计", "Total")}": "<strong class="num" data-total=move || total.get().0.to_string()>{move || total.get().to_string()}</strong>
                    " "<span class="capital">{move || total.get().to_capital()}</span>
                </p>
                <div class="field wide">
                    <label for="f-notes">{move || i.t("备注", "Notes")}</label>
                    <textarea id="f-notes" rows="2" prop:value=move || notes.get() on:input=move |ev| notes.set(event_target_value(&ev))></textarea>
                </div>
                <div class="actions">
                    <button type="submit" class="primary" disabled=move || saving.get()>{move || i.t("保存", "Save")}</button>
                </div>
            </form>
        </section>
    }
}

#[component]
fn ErrorText(id: &'static str, text: Signal<Option<&'static str>>) -> impl IntoView {
    view! { <p class="field-error" id=id role="alert" hidden=move || text.get().is_none()>{move || text.get().unwrap_or_default()}</p> }
}

#[component]
fn TextField(
    id: &'static str,
    label: (&'static str, &'static str),
    value: RwSignal<String>,
    kind: &'static str,
    invalid: Signal<bool>,
    error: Signal<Option<&'static str>>,
) -> impl IntoView {
    let i = use_i18n();
    let err_id = format!("{id}-err");
    view! {
        <div class="field">
            <label for=id>{move || i.t(label.0, label.1)}</label>
            <input id=id type=kind aria-invalid=move || invalid.get().to_string() aria-describedby=err_id.clone()
                prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))/>
            <p class="field-error" id=err_id role="alert" hidden=move || error.get().is_none()>{move || error.get().unwrap_or_default()}</p>
        </div>
    }
}

#[component]
fn LineRow(
    row: Row,
    rows: RwSignal<Vec<Row>>,
    errors: RwSignal<Vec<FieldError>>,
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
                    .map(|e| i18n::problem(i.lang(), e.problem))
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
                    text: format!("{} {} {}/{}", p.model, p.name, p.price, p.unit),
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
        view! {
            <td class=class>
                <input id=move || id(col) type="text" class=class inputmode=if class == "num" { "decimal" } else { "text" }
                    aria-label=move || format!("{} {}", i.t(label.0, label.1), index.get() + 1)
                    aria-invalid=move || invalid(col).get().to_string()
                    aria-describedby=err_id
                    data-enter-skip=skip.then_some("")
                    prop:value=move || value.get()
                    on:input=move |ev| { value.set(event_target_value(&ev)); on_change.run(()); }/>
                <span class="field-error" id=err_id role="alert" hidden=move || err(col)().is_none()>{move || err(col)().unwrap_or_default()}</span>
            </td>
        }
    };
    let remove = move |_| rows.update(|r| r.retain(|x| x.key != row.key));
    view! {
        <tr>
            <td class="rownum">{move || index.get() + 1}</td>
            <td>
                <LookupInput id=Signal::derive(move || id("model")) value=row.model suggest=suggest on_pick=pick on_input=typed invalid=invalid("model")
                    label=Signal::derive(move || format!("{} {}", i.t("型号", "Model"), index.get() + 1))/>
                <span class="field-error" role="alert" hidden=move || err("model")().is_none()>{move || err("model")().unwrap_or_default()}</span>
            </td>
            {cell("name", row.name, "", true, ("名称", "Name"))}
            {cell("quantity", row.quantity, "num", false, ("数量", "Quantity"))}
            {cell("unit", row.unit, "short", true, ("单位", "Unit"))}
            {cell("unit_price", row.price, "num", false, ("单价", "Unit price"))}
            <td class="num amount">{amount}</td>
            <td>
                <button type="button" class="quiet remove" tabindex="-1" on:click=remove
                    aria-label=move || format!("{} {}", i.t("删除第几行", "Remove line"), index.get() + 1)>"×"</button>
            </td>
        </tr>
    }
}
