// The floor: the fixed stack (Leptos CSR, leptos_router, reqwest, serde_json, gloo-storage)
// doing the least a log-in + list + form app does: routes, a form, a fetch of JSON, storage.
use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;
use serde::{Deserialize, Serialize};
use gloo_storage::Storage;

#[derive(Serialize, Deserialize, Clone, Debug, Default)]
struct Row { id: String, number: String, customer: String, total: i64, lines: Vec<Line> }
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
struct Line { model: String, quantity: i64, unit_price: i64 }
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
struct Page { records: Vec<Row>, cursor: u64, more: bool }

async fn fetch() -> Result<Page, String> {
    let r = reqwest::Client::new().get("/api/sync/pull").bearer_auth("x").send().await.map_err(|e| e.to_string())?;
    let t = r.text().await.map_err(|e| e.to_string())?;
    serde_json::from_str(&t).map_err(|e| e.to_string())
}
async fn push(row: Row) -> Result<String, String> {
    let r = reqwest::Client::new().post("/api/sync/push").json(&row).send().await.map_err(|e| e.to_string())?;
    r.text().await.map_err(|e| e.to_string())
}

#[component]
fn List() -> impl IntoView {
    let rows = RwSignal::new(gloo_storage::LocalStorage::get::<Vec<Row>>("rows").unwrap_or_default());
    let text = RwSignal::new(String::new());
    let shown = move || rows.get().into_iter().filter(|r| r.customer.contains(&text.get())).collect::<Vec<_>>();
    leptos::task::spawn_local(async move { if let Ok(p) = fetch().await { let _ = gloo_storage::LocalStorage::set("rows", &p.records); rows.set(p.records); } });
    view! {
        <input prop:value=text on:input=move |e| text.set(event_target_value(&e))/>
        <table><For each=shown key=|r: &Row| r.id.clone() let:r>
            <tr><td>{r.number.clone()}</td><td>{r.customer.clone()}</td><td>{r.total}</td></tr>
        </For></table>
    }
}

#[component]
fn Form() -> impl IntoView {
    let customer = RwSignal::new(String::new());
    let model = RwSignal::new(String::new());
    let msg = RwSignal::new(String::new());
    let save = move |_| { let row = Row { customer: customer.get(), lines: vec![Line { model: model.get(), quantity: 1, unit_price: 1 }], ..Default::default() };
        leptos::task::spawn_local(async move { msg.set(push(row).await.unwrap_or_else(|e| e)); }); };
    view! {
        <label>"Customer"<input prop:value=customer on:input=move |e| customer.set(event_target_value(&e))/></label>
        <label>"Model"<input prop:value=model on:input=move |e| model.set(event_target_value(&e))/></label>
        <Show when=move || !msg.get().is_empty()><p>{move || msg.get()}</p></Show>
        <button on:click=save>"Save"</button>
    }
}

#[component]
fn Login() -> impl IntoView {
    let user = RwSignal::new(String::new());
    view! { <input prop:value=user on:input=move |e| user.set(event_target_value(&e))/><a href="/orders">"Go"</a> }
}

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(|| view! {
        <Router><Routes fallback=|| "404">
            <Route path=path!("/login") view=Login/>
            <Route path=path!("/orders") view=List/>
            <Route path=path!("/orders/new") view=Form/>
        </Routes></Router>
    });
}
