//! The catalogue: head office keeps the products and freight stations; a branch adds and
//! keeps its own local carriers. Edits are records like orders: saved on the device,
//! synced to every device, with their history.

use crate::i18n;
use crate::state::use_ctx;
use common::desk::customer::{ProductForm, ProductView, StationForm, StationView};
use common::desk::history::history;
use common::desk::order::{FieldError, Problem};
use common::desk::permissions::Role;
use common::desk::search::lookup;
use common::engine::ids::RecordId;
use common::engine::record::Kind;
use leptos::prelude::*;

/// Who may keep what: head office's managers and admins everything; at a branch its
/// clerks, managers and admins their own stations.
pub fn keeps_products(ctx: &crate::state::Ctx) -> bool {
    ctx.actor().is_some_and(|a| a.is_hq && matches!(a.role, Role::Manager | Role::Admin))
}

fn keeps_stations(ctx: &crate::state::Ctx) -> bool {
    ctx.keeps_stations()
}

/// A text box of a catalogue form with its error beneath.
fn text_field(
    id: &'static str,
    label: Signal<&'static str>,
    value: RwSignal<String>,
    errors: RwSignal<Vec<FieldError>>,
    field: &'static str,
) -> impl IntoView {
    let i = use_ctx().i18n;
    let err = move || errors.with(|es| es.iter().find(|e| e.field == field).cloned());
    let err_id = format!("{id}-err");
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input id=id aria-invalid=move || err().is_some().to_string() aria-describedby=err_id.clone()
                prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))/>
            <p class="field-error" id=err_id role="alert" hidden=move || err().is_none()>
                {move || err().map(|e| i18n::problem_text(i.lang(), &e)).unwrap_or_default()}
            </p>
        </div>
    }
}

#[component]
pub fn CataloguePage() -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    view! {
        <section class="admin catalogue">
            <h1>{i.s("产品与物流", "Catalogue")}</h1>
            <p class="hint">{i.s(
                "修改先存在本机,联网后同步到所有设备;每条记录都有修改经过。",
                "Changes are saved on this device first and reach every device by sync; each record keeps its history.")}</p>
            {move || keeps_products(&ctx).then(|| view! { <Products/> })}
            {move || keeps_stations(&ctx).then(|| view! { <Stations/> })}
            {move || (!keeps_products(&ctx) && !keeps_stations(&ctx)).then(|| view! {
                <p>{i.s("你的角色不维护产品和物流站。", "Your role does not keep the catalogue.")}</p>
            })}
        </section>
    }
}

/// A station's arrivals and returns from the freight-station log, newest first.
fn station_calls(id: RecordId) -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let name = ctx.replica.with_untracked(|r| r.get(Kind::STATION, id).map(|s| s.get_str("name").to_string()));
    let mut calls: Vec<common::desk::shipping::LogView> =
        ctx.station_log().into_iter().filter(|e| Some(&e.station) == name.as_ref()).collect();
    common::sort::sort_by_key(&mut calls, |e| std::cmp::Reverse((e.date, e.created)));
    view! {
        <h4>{i.s("进返货记录", "Arrivals and returns")}</h4>
        {calls.is_empty().then(|| view! { <p class="muted">{i.s("还没有记录。", "None yet.")}</p> })}
        <ul class="station-calls">
            {calls.into_iter().map(|e| {
                let kind = e.kind;
                view! {
                    <li data-kind=kind.map(|k| k.code()).unwrap_or_default()>
                        {e.date.map(|d| d.to_string()).unwrap_or_default()}" "
                        {move || match kind {
                            Some(common::desk::shipping::LogKind::Arrival) => i.t("到货", "arrival"),
                            _ => i.t("返货", "return"),
                        }}
                        {format!(" · {} · {} · {}", e.packages, e.freight, e.order_number)}
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

/// The history of one catalogue record, newest last.
fn record_history(kind: Kind, id: RecordId) -> impl IntoView {
    let ctx = use_ctx();
    let offset = ctx.offset_minutes();
    let entries = ctx.replica.with(|r| {
        let pending = r.pending_for(kind, id);
        history(r.confirmed.get(&(kind, id)), &pending)
    });
    view! {
        <ol class="history">
            {entries.into_iter().map(|e| view! { <crate::pages::order_detail::HistoryLine entry=e offset=offset catalogue=true/> }).collect_view()}
        </ol>
    }
}

#[component]
fn Products() -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let query = RwSignal::new(String::new());
    let editing: RwSignal<Option<Option<RecordId>>> = RwSignal::new(None);
    let (model, name, unit, price, initials) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let is_new = RwSignal::new(false);
    let errors: RwSignal<Vec<FieldError>> = RwSignal::new(Vec::new());
    let saved = RwSignal::new(false);
    let products = Memo::new(move |_| {
        let mut ps: Vec<ProductView> =
            ctx.replica.with(|r| r.all(Kind::PRODUCT).map(ProductView::from_record).collect());
        common::sort::sort_by(&mut ps, |a, b| a.model.cmp(&b.model));
        ps
    });
    let open = move |p: Option<&ProductView>| {
        let f = p.map(ProductForm::from_view).unwrap_or_default();
        model.set(f.model);
        name.set(f.name);
        unit.set(f.unit);
        price.set(f.price);
        initials.set(f.initials);
        is_new.set(f.is_new);
        errors.set(Vec::new());
        saved.set(false);
        editing.set(Some(p.map(|p| p.id)));
        focus_soon("p-model");
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let form = ProductForm {
            model: model.get_untracked(),
            name: name.get_untracked(),
            unit: unit.get_untracked(),
            price: price.get_untracked(),
            initials: initials.get_untracked(),
            is_new: is_new.get_untracked(),
        };
        let me = editing.get_untracked().flatten();
        let taken = products.with_untracked(|ps| {
            ps.iter().any(|p| Some(p.id) != me && p.model.trim().eq_ignore_ascii_case(form.model.trim()))
        });
        let checked = match form.validate() {
            Err(mut es) if taken => {
                es.retain(|e| e.field != "model");
                es.insert(0, FieldError::new("model", Problem::Taken));
                Err(es)
            }
            Ok(_) if taken => Err(vec![FieldError::new("model", Problem::Taken)]),
            other => other,
        };
        match checked {
            Err(es) => {
                focus_first_error(&es, "p-");
                errors.set(es);
            }
            Ok(values) => match ctx.save_catalogue(Kind::PRODUCT, me, values) {
                Ok(id) => {
                    errors.set(Vec::new());
                    saved.set(true);
                    editing.set(Some(Some(id)));
                    // The list shows what was just saved.
                    query.set(form.model.trim().to_string());
                }
                Err(e) => ctx.report_save_error(&e),
            },
        }
    };
    let shown = move || {
        let q = query.get();
        let ps = products.get();
        if q.trim().is_empty() {
            ps.into_iter().take(50).collect::<Vec<_>>()
        } else {
            lookup(&ps, &q, 50, |p: &ProductView| vec![&p.model, &p.name, &p.initials]).into_iter().cloned().collect()
        }
    };
    view! {
        <div class="page-head">
            <h2>{i.s("产品", "Products")}</h2>
            <crate::excel::ExportButton id="export-products" path="products.xlsx" filename="products.xlsx"/>
        </div>
        {keeps_products(&ctx).then(|| view! { <crate::excel::ImportPanel target=common::desk::import::Target::Products/> })}
        <div class="filters">
            <label for="product-search">{i.s("查找产品", "Find a product")}</label>
            <input id="product-search" type="search" prop:value=move || query.get()
                on:input=move |ev| query.set(event_target_value(&ev))/>
            <button type="button" id="new-product" on:click=move |_| open(None)>{i.s("新增产品", "New product")}</button>
        </div>
        {move || editing.get().map(|id| view! {
            <div class="catalogue-editor">
            <h3>{if id.is_some() { i.s("修改产品", "Change product") } else { i.s("新增产品", "New product") }}</h3>
            <form class="inline-form" on:submit=save novalidate aria-label=i.s("产品", "Product")>
                {text_field("p-model", i.s("型号", "Model"), model, errors, "model")}
                {text_field("p-name", i.s("名称", "Name"), name, errors, "name")}
                {text_field("p-unit", i.s("单位", "Unit"), unit, errors, "unit")}
                {text_field("p-price", i.s("单价(元)", "Price (yuan)"), price, errors, "price")}
                {text_field("p-initials", i.s("拼音首字母(查找用,留空按名称)", "Pinyin initials (for lookups; blank: from the name)"), initials, errors, "initials")}
                <div class="field">
                    <label><input type="checkbox" id="p-is_new" prop:checked=move || is_new.get()
                        on:change=move |ev| is_new.set(event_target_checked(&ev))/>{i.s(" 新品(开单时提示)", " New product (flagged at order entry)")}</label>
                </div>
                <button type="submit" class="primary">{i.s("保存产品", "Save product")}</button>
                <button type="button" on:click=move |_| editing.set(None)>{i.s("关闭", "Close")}</button>
            </form>
            {move || saved.get().then(|| view! { <p role="status">{i.s("已保存,将同步到所有设备。", "Saved; it will reach every device by sync.")}</p> })}
            {id.map(|id| view! { <h4>{i.s("经过", "History")}</h4> {record_history(Kind::PRODUCT, id)} })}
            </div>
        })}
        <table class="list products">
            <thead><tr>
                <th>{i.s("型号", "Model")}</th><th>{i.s("名称", "Name")}</th><th>{i.s("单位", "Unit")}</th>
                <th class="num">{i.s("单价", "Price")}</th><th><span class="sr-only">{i.s("操作", "Actions")}</span></th>
            </tr></thead>
            <tbody>
                {move || shown().into_iter().map(|p| {
                    let p2 = p.clone();
                    view! {
                        <tr data-model=p.model.clone()>
                            <td data-label=i.s("型号", "Model")>{p.model.clone()}{p.is_new.then(|| view! { " " <span class="tag new-product">{i.s("新品", "New")}</span> })}</td>
                            <td data-label=i.s("名称", "Name")>{p.name.clone()}</td>
                            <td data-label=i.s("单位", "Unit")>{p.unit.clone()}</td>
                            <td data-label=i.s("单价", "Price") class="num">{p.price.to_string()}</td>
                            <td><button type="button" class="quiet" on:click=move |_| open(Some(&p2))>{i.s("编辑", "Edit")}</button></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn Stations() -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let editing: RwSignal<Option<Option<RecordId>>> = RwSignal::new(None);
    let (name, phone, contract) =
        (RwSignal::new(String::new()), RwSignal::new(String::new()), RwSignal::new(String::new()));
    let errors: RwSignal<Vec<FieldError>> = RwSignal::new(Vec::new());
    let saved = RwSignal::new(false);
    let mine = move |s: &StationView| ctx.actor().is_some_and(|a| a.is_hq || s.office == a.office.as_str());
    let stations = Memo::new(move |_| {
        let mut ss: Vec<StationView> =
            ctx.replica.with(|r| r.all(Kind::STATION).map(StationView::from_record).collect());
        common::sort::sort_by(&mut ss, |a, b| (a.office != "HQ", &a.name).cmp(&(b.office != "HQ", &b.name)));
        ss
    });
    let open = move |s: Option<&StationView>| {
        let f = s.map(StationForm::from_view).unwrap_or_default();
        name.set(f.name);
        phone.set(f.phone);
        contract.set(f.contract);
        errors.set(Vec::new());
        saved.set(false);
        editing.set(Some(s.map(|s| s.id)));
        focus_soon("s-name");
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let form = StationForm {
            name: name.get_untracked(),
            phone: phone.get_untracked(),
            contract: contract.get_untracked(),
        };
        match form.validate() {
            Err(es) => errors.set(es),
            Ok(values) => match ctx.save_catalogue(Kind::STATION, editing.get_untracked().flatten(), values) {
                Ok(id) => {
                    errors.set(Vec::new());
                    saved.set(true);
                    editing.set(Some(Some(id)));
                }
                Err(e) => ctx.report_save_error(&e),
            },
        }
    };
    view! {
        <div class="page-head">
            <h2>{i.s("物流站", "Freight stations")}</h2>
            <crate::excel::ExportButton id="export-stations" path="stations.xlsx" filename="stations.xlsx"/>
        </div>
        <div class="filters">
            <button type="button" id="new-station" on:click=move |_| open(None)>{i.s("新增物流站", "New station")}</button>
        </div>
        {move || editing.get().map(|id| view! {
            <div class="catalogue-editor">
            <h3>{if id.is_some() { i.s("修改物流站", "Change station") } else { i.s("新增物流站", "New station") }}</h3>
            <form class="inline-form" on:submit=save novalidate aria-label=i.s("物流站", "Freight station")>
                {text_field("s-name", i.s("名称", "Name"), name, errors, "name")}
                {text_field("s-phone", i.s("电话", "Phone"), phone, errors, "phone")}
                {text_field("s-contract", i.s("合同号 / 会员号", "Contract / member number"), contract, errors, "contract")}
                <button type="submit" class="primary">{i.s("保存物流站", "Save station")}</button>
                <button type="button" on:click=move |_| editing.set(None)>{i.s("关闭", "Close")}</button>
            </form>
            {move || saved.get().then(|| view! { <p role="status">{i.s("已保存,将同步到所有设备。", "Saved; it will reach every device by sync.")}</p> })}
            {id.map(|id| view! { <h4>{i.s("经过", "History")}</h4> {record_history(Kind::STATION, id)} })}
            {id.map(station_calls)}
            </div>
        })}
        <table class="list stations">
            <thead><tr>
                <th>{i.s("名称", "Name")}</th><th>{i.s("电话", "Phone")}</th><th>{i.s("合同号", "Contract")}</th>
                <th>{i.s("机构", "Office")}</th><th><span class="sr-only">{i.s("操作", "Actions")}</span></th>
            </tr></thead>
            <tbody>
                {move || stations.get().into_iter().map(|s| {
                    let s2 = s.clone();
                    let editable = mine(&s);
                    view! {
                        <tr data-station=s.name.clone()>
                            <td data-label=i.s("名称", "Name")>{s.name.clone()}</td>
                            <td data-label=i.s("电话", "Phone")>{s.phone.clone()}</td>
                            <td data-label=i.s("合同号", "Contract")>{s.contract.clone()}</td>
                            <td data-label=i.s("机构", "Office")>{s.office.clone()}</td>
                            <td>{editable.then(|| view! {
                                <button type="button" class="quiet" on:click=move |_| open(Some(&s2))>{i.s("编辑", "Edit")}</button>
                            })}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

fn focus_soon(id: &'static str) {
    leptos::task::spawn_local(async move {
        gloo_timers::future::TimeoutFuture::new(0).await;
        focus_now(id);
    });
}

fn focus_now(id: &str) {
    use wasm_bindgen::JsCast;
    let el = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id(id));
    if let Some(h) = el.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
        let _ = h.focus();
    }
}

/// Puts the cursor in the first field that needs correcting.
fn focus_first_error(errors: &[FieldError], prefix: &'static str) {
    if let Some(e) = errors.first() {
        focus_now(&format!("{prefix}{}", e.field));
    }
}
