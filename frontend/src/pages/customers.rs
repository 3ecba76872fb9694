//! Customers: the list, searchable by name, phone or pinyin initials, and a small editor
//! for what the desk keeps about each (including 全称, the full legal name a direct
//! shipment bears).

use crate::i18n;
use crate::state::use_ctx;
use crate::sync;
use common::desk::customer::{check_customer_field, CustomerView};
use common::desk::money::Fen;
use common::desk::order::FieldError;
use common::desk::order::PaymentTerms;
use common::desk::permissions::Role;
use common::desk::search::score;
use common::engine::ids::RecordId;
use common::engine::record::Kind;
use leptos::prelude::*;
use leptos_router::components::A;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The boxes of the editor: (field, 中文, English).
const BOXES: [(&str, &str, &str); 7] = [
    ("name", "名称", "Name"),
    ("full_name", "全称(直发时货上写)", "Full legal name (on direct shipments)"),
    ("contact", "联系人", "Contact"),
    ("phone", "电话", "Phone"),
    ("address", "地址", "Address"),
    ("station", "货站", "Freight station"),
    ("station_contract", "合同号 / 会员号", "Contract / member no."),
];

#[component]
pub fn CustomerList() -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let q = RwSignal::new(String::new());
    let editing: RwSignal<Option<CustomerView>> = RwSignal::new(None);
    let may_edit = ctx
        .actor()
        .is_some_and(|a| common::desk::kinds::spec(Kind::CUSTOMER).is_some_and(|s| s.editors.contains(&a.role)));
    let keeps_openings = ctx.actor().is_some_and(|a| common::desk::opening::KEEPERS.contains(&a.role));
    let rows = Memo::new(move |_| {
        let q = q.get();
        let mut v: Vec<CustomerView> = ctx
            .customers()
            .into_iter()
            .filter(|c| q.trim().is_empty() || score(&q, &[&c.name, &c.phone, &c.initials, &c.full_name]).is_some())
            .collect();
        common::sort::sort_by(&mut v, |a, b| a.name.cmp(&b.name));
        v
    });
    view! {
        <section>
            <div class="page-head">
                <h1>{i.s("客户", "Customers")}</h1>
                <crate::excel::ExportButton id="export-customers" path="customers.xlsx" filename="customers.xlsx"/>
            </div>
            {may_edit.then(|| view! { <crate::excel::ImportPanel target=common::desk::import::Target::Customers/> })}
            {keeps_openings.then(|| view! { <crate::excel::ImportPanel target=common::desk::import::Target::Openings/> })}
            <form class="filters" role="search" on:submit=|ev| ev.prevent_default()>
                <div class="filter wide">
                    <label for="cq">{i.s("搜索", "Search")}</label>
                    <input id="cq" type="search" placeholder=i.s("名称、电话或拼音首字母", "Name, phone or pinyin initials")
                    prop:value=move || q.get() on:input=move |ev| q.set(event_target_value(&ev))/>
                </div>
            </form>
            {move || editing.get().map(|c| view! { <CustomerEditor customer=c on_done=Callback::new(move |_| editing.set(None))/> })}
            <table class="list">
                <thead><tr>
                    <th scope="col">{i.s("名称", "Name")}</th>
                    <th scope="col">{i.s("全称", "Full name")}</th>
                    <th scope="col">{i.s("联系人", "Contact")}</th>
                    <th scope="col">{i.s("电话", "Phone")}</th>
                    <th scope="col">{i.s("地址", "Address")}</th>
                    <th scope="col">{i.s("货站", "Freight station")}</th>
                    {may_edit.then(|| view! { <th scope="col"><span class="sr-only">{i.s("操作", "Actions")}</span></th> })}
                </tr></thead>
                <tbody>
                    <For each=move || rows.get() key=|c| (c.id, c.name.clone(), c.phone.clone(), c.address.clone(), c.full_name.clone()) let:c>
                        {
                            let shown = c.clone();
                            let key = c.name.clone();
                            view! {
                                <tr data-customer=key>
                                    <td data-label=i.s("名称", "Name")><A href=format!("/customers/{}", c.id)>{c.name}</A></td>
                                    <td data-label=i.s("全称", "Full name")>{c.full_name}</td>
                                    <td data-label=i.s("联系人", "Contact")>{c.contact}</td>
                                    <td data-label=i.s("电话", "Phone")>{c.phone}</td>
                                    <td data-label=i.s("地址", "Address")>{c.address}</td>
                                    <td data-label=i.s("货站", "Freight station")>{c.station}</td>
                                    {may_edit.then(|| view! {
                                        <td><button type="button" class="quiet edit-customer" on:click=move |_| {
                                            editing.set(Some(shown.clone()));
                                            crate::components::focus_soon("c-name");
                                        }>{i.s("修改", "Edit")}</button></td>
                                    })}
                                </tr>
                            }
                        }
                    </For>
                </tbody>
            </table>
        </section>
    }
}

/// What the desk keeps about one customer; saved on the device, synced like any record.
#[component]
pub fn CustomerEditor(customer: CustomerView, on_done: Callback<()>) -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let id: RecordId = customer.id;
    let start = |f: &str| match f {
        "name" => customer.name.clone(),
        "full_name" => customer.full_name.clone(),
        "contact" => customer.contact.clone(),
        "phone" => customer.phone.clone(),
        "address" => customer.address.clone(),
        "station" => customer.station.clone(),
        _ => customer.station_contract.clone(),
    };
    let boxes: Vec<(&'static str, &'static str, &'static str, RwSignal<String>)> =
        BOXES.iter().map(|(f, zh, en)| (*f, *zh, *en, RwSignal::new(start(f)))).collect();
    let boxes = StoredValue::new(boxes);
    let errors = RwSignal::new(Vec::<FieldError>::new());
    // Terms, credit, class and owner: a manager's to set.
    let manager = ctx.actor().is_some_and(|a| matches!(a.role, Role::Manager | Role::Admin));
    let terms = RwSignal::new(customer.payment.map(|p| p.code()).unwrap_or("prepay").to_string());
    let credit = RwSignal::new(customer.credit_limit.map(Fen::to_plain).unwrap_or_default());
    let class = RwSignal::new(customer.class.clone());
    let salesperson = RwSignal::new(customer.salesperson.clone());
    let notes = RwSignal::new(customer.notes.clone());
    let contacts = RwSignal::new(
        customer
            .contacts
            .iter()
            .map(|c| format!("{} {}", c.name, c.phone).trim().to_string())
            .collect::<Vec<_>>()
            .join("\n"),
    );
    let addresses = RwSignal::new(customer.addresses.join("\n"));
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut values: BTreeMap<String, Value> = boxes
            .with_value(|bs| bs.iter().map(|(f, _, _, v)| (f.to_string(), json!(v.get_untracked().trim()))).collect());
        values.insert("notes".into(), json!(notes.get_untracked().trim()));
        let mut es: Vec<FieldError> = Vec::new();
        // Others at the customer and other addresses: one per line.
        match common::desk::customer::parse_contacts(&contacts.get_untracked()) {
            Ok(list) => {
                values.insert("contacts".into(), json!(list));
            }
            Err(mut e) => {
                e.field = "contacts".into();
                es.push(e);
            }
        }
        match common::desk::customer::parse_addresses(&addresses.get_untracked()) {
            Ok(list) => {
                values.insert("addresses".into(), json!(list));
            }
            Err(mut e) => {
                e.field = "addresses".into();
                es.push(e);
            }
        }
        if manager {
            values.insert("payment".into(), json!(terms.get_untracked()));
            values.insert("class".into(), json!(class.get_untracked()));
            values.insert("salesperson".into(), json!(salesperson.get_untracked().trim()));
            // Left empty: no limit is set (and one already set stays).
            match Fen::parse(&credit.get_untracked()) {
                Ok(f) => {
                    values.insert("credit_limit".into(), json!(f.0));
                }
                Err(common::desk::money::MoneyError::Empty) => {}
                Err(e) => es.push(FieldError::new("credit_limit", common::desk::order::money_problem(e))),
            }
        }
        let es: Vec<FieldError> = es
            .into_iter()
            .chain(
                values
                    .iter()
                    .filter_map(|(f, v)| check_customer_field(f, v).err().map(|p| FieldError::new(f.clone(), p))),
            )
            .collect();
        if let Some(e) = es.first() {
            let _ = crate::components::focus_id(&format!("c-{}", e.field));
            errors.set(es);
            return;
        }
        match ctx.settle_many(Kind::CUSTOMER, id, values) {
            Ok(()) => {
                sync::kick(ctx);
                on_done.run(());
            }
            Err(e) => ctx.report_save_error(&e),
        }
    };
    view! {
        <form class="customer-editor shipment-form" on:submit=save novalidate aria-label=i.s("修改客户", "Change customer")>
            <h2>{i.s("修改客户", "Change customer")}</h2>
            <div class="grid-2">
                {boxes.get_value().into_iter().map(|(f, zh, en, v)| {
                    let id = format!("c-{f}");
                    let err = move || errors.with(|es| es.iter().find(|e| e.field == f).map(|e| i18n::problem_text(i.lang(), e)));
                    view! {
                        <span class="field">
                            <label for=id.clone()>{move || i.t(zh, en)}</label>
                            <input id=id aria-invalid=move || err().is_some().to_string() prop:value=move || v.get()
                                on:input=move |ev| v.set(event_target_value(&ev))/>
                            <span class="field-error" role="alert">{err}</span>
                        </span>
                    }
                }).collect_view()}
            </div>
            <div class="grid-2">
                {[("contacts", "其他联系人(每行一个:姓名 电话)", "Other contacts (one a line: name phone)", contacts),
                  ("addresses", "其他送货地址(每行一个)", "Other delivery addresses (one a line)", addresses)]
                    .into_iter().map(|(f, zh, en, v)| {
                    let id = format!("c-{f}");
                    let err = move || errors.with(|es| es.iter().find(|e| e.field == f).map(|e| i18n::problem_text(i.lang(), e)));
                    view! {
                        <span class="field">
                            <label for=id.clone()>{move || i.t(zh, en)}</label>
                            <textarea id=id rows="3" aria-invalid=move || err().is_some().to_string() prop:value=move || v.get()
                                on:input=move |ev| v.set(event_target_value(&ev))></textarea>
                            <span class="field-error" role="alert">{err}</span>
                        </span>
                    }
                }).collect_view()}
            </div>
            <div class="grid-2">
                <span class="field">
                    <label for="c-notes">{i.s("备注", "Notes")}</label>
                    <input id="c-notes" prop:value=move || notes.get() on:input=move |ev| notes.set(event_target_value(&ev))/>
                </span>
            </div>
            {manager.then(|| view! {
                <fieldset class="managed grid-2">
                    <legend>{i.s("经理设置", "Set by a manager")}</legend>
                    <span class="field">
                        <label for="c-payment">{i.s("结款方式", "Payment terms")}</label>
                        <select id="c-payment" on:change=move |ev| terms.set(event_target_value(&ev)) prop:value=move || terms.get()>
                            {PaymentTerms::ALL.into_iter().map(|p| view! { <option value=p.code()>{move || i18n::payment(i.lang(), p)}</option> }).collect_view()}
                        </select>
                    </span>
                    <span class="field">
                        <label for="c-credit_limit">{i.s("信用额度(元)", "Credit limit (yuan)")}</label>
                        <input id="c-credit_limit" inputmode="decimal" prop:value=move || credit.get() on:input=move |ev| credit.set(event_target_value(&ev))
                            aria-invalid=move || errors.with(|es| es.iter().any(|e| e.field == "credit_limit")).to_string()/>
                        <span class="field-error" role="alert">{move || errors.with(|es| es.iter().find(|e| e.field == "credit_limit").map(|e| i18n::problem_text(i.lang(), e)))}</span>
                    </span>
                    <span class="field">
                        <label for="c-class">{i.s("等级", "Class")}</label>
                        <select id="c-class" on:change=move |ev| class.set(event_target_value(&ev)) prop:value=move || class.get()>
                            <option value="">{i.s("未分级", "None")}</option>
                            <option value="A">"A"</option><option value="B">"B"</option><option value="C">"C"</option>
                        </select>
                    </span>
                    <span class="field">
                        <label for="c-salesperson">{i.s("业务员(用户名)", "Salesperson (user name)")}</label>
                        <input id="c-salesperson" prop:value=move || salesperson.get() on:input=move |ev| salesperson.set(event_target_value(&ev))/>
                    </span>
                </fieldset>
            })}
            <div class="actions">
                <button type="submit" id="c-save" class="primary">{i.s("保存客户", "Save customer")}</button>
                <button type="button" on:click=move |_| on_done.run(())>{i.s("取消", "Cancel")}</button>
            </div>
        </form>
    }
}
