use crate::state::use_ctx;
use common::desk::customer::CustomerView;
use common::desk::search::score;
use leptos::prelude::*;

#[component]
pub fn CustomerList() -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let q = RwSignal::new(String::new());
    let rows = Memo::new(move |_| {
        let q = q.get();
        let mut v: Vec<CustomerView> = ctx
            .customers()
            .into_iter()
            .filter(|c| q.trim().is_empty() || score(&q, &[&c.name, &c.phone, &c.initials]).is_some())
            .collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    });
    view! {
        <section>
            <h1>{i.s("客户", "Customers")}</h1>
            <form class="filters" role="search" on:submit=|ev| ev.prevent_default()>
                <div class="filter wide">
                    <label for="cq">{i.s("搜索", "Search")}</label>
                    <input id="cq" type="search" placeholder=i.s("名称、电话或拼音首字母", "Name, phone or pinyin initials")
                    prop:value=move || q.get() on:input=move |ev| q.set(event_target_value(&ev))/>
                </div>
            </form>
            <table class="list">
                <thead><tr>
                    <th scope="col">{i.s("名称", "Name")}</th>
                    <th scope="col">{i.s("联系人", "Contact")}</th>
                    <th scope="col">{i.s("电话", "Phone")}</th>
                    <th scope="col">{i.s("地址", "Address")}</th>
                    <th scope="col">{i.s("货站", "Freight station")}</th>
                </tr></thead>
                <tbody>
                    <For each=move || rows.get() key=|c| (c.id, c.name.clone(), c.phone.clone(), c.address.clone()) let:c>
                        <tr>
                            <td data-label=i.s("名称", "Name")>{c.name}</td>
                            <td data-label=i.s("联系人", "Contact")>{c.contact}</td>
                            <td data-label=i.s("电话", "Phone")>{c.phone}</td>
                            <td data-label=i.s("地址", "Address")>{c.address}</td>
                            <td data-label=i.s("货站", "Freight station")>{c.station}</td>
                        </tr>
                    </For>
                </tbody>
            </table>
        </section>
    }
}
