//! Excel in and out, online: the server builds and reads the workbooks (so the app stays
//! small); this fetches a workbook with the session and hands it to the browser as a
//! download, and sends a picked file for a preview or an import.

use crate::admin_api::ApiError;
use crate::state::use_ctx;
use crate::sync::origin;
use common::desk::import::ImportReport;
use common::engine::wire::ErrorBody;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// The session's token (from `ctx`, which tasks can carry: `use_ctx` is not there once a
/// task runs).
fn token(ctx: crate::state::Ctx) -> String {
    ctx.token().unwrap_or_default()
}

async fn server_error(resp: reqwest::Response) -> ApiError {
    let status = resp.status().as_u16();
    let e = crate::sync::read_json::<ErrorBody>(resp).await.unwrap_or(ErrorBody {
        error: "http".into(),
        message: format!("the server answered {status}"),
        field: None,
    });
    ApiError::Server { code: e.error, message: e.message, field: e.field }
}

/// Fetches `/api/export/{path}` and saves it under `filename` (the server's name when
/// it gives one).
pub async fn download(token: String, path: String, filename: String) -> Result<(), ApiError> {
    let resp = reqwest::Client::new()
        .get(format!("{}/api/export/{path}", origin()))
        .bearer_auth(token)
        .send()
        .await
        .map_err(|_| ApiError::Offline)?;
    if !resp.status().is_success() {
        return Err(server_error(resp).await);
    }
    let bytes = resp.bytes().await.map_err(|_| ApiError::Offline)?;
    save(&bytes, &filename);
    Ok(())
}

/// Hands `bytes` to the browser as a download.
fn save(bytes: &[u8], filename: &str) {
    let array = js_sys::Uint8Array::from(bytes);
    let parts = js_sys::Array::of1(&array);
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    let Ok(blob) = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options) else { return };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else { return };
    let document = web_sys::window().and_then(|w| w.document());
    if let Some(a) =
        document.and_then(|d| d.create_element("a").ok()).and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok())
    {
        a.set_href(&url);
        a.set_download(filename);
        a.click();
    }
    // The click has started the download; the URL may go once it has been read.
    leptos::task::spawn_local(async move {
        gloo_timers::future::TimeoutFuture::new(60_000).await;
        let _ = web_sys::Url::revoke_object_url(&url);
    });
}

/// Sends a file for `target` (customers / products): a preview, or with `commit` and the
/// import's `id`, the import itself. The report comes back with refusals too (422).
pub async fn upload(token: String, target: &str, query: String, bytes: Vec<u8>) -> Result<ImportReport, ApiError> {
    let resp = reqwest::Client::new()
        .post(format!("{}/api/import/{target}?{query}", origin()))
        .bearer_auth(token)
        .body(bytes)
        .send()
        .await
        .map_err(|_| ApiError::Offline)?;
    let status = resp.status().as_u16();
    if status == 200 || status == 422 {
        let text = resp.text().await.map_err(|_| ApiError::Offline)?;
        if let Ok(report) = serde_json::from_str::<ImportReport>(&text) {
            return Ok(report);
        }
        let e: ErrorBody = serde_json::from_str(&text).unwrap_or(ErrorBody {
            error: "http".into(),
            message: format!("the server answered {status}"),
            field: None,
        });
        return Err(ApiError::Server { code: e.error, message: e.message, field: e.field });
    }
    Err(server_error(resp).await)
}

/// The bytes of the file picked in `input`, if any.
pub async fn picked_file(input: &web_sys::HtmlInputElement) -> Option<(String, Vec<u8>)> {
    let file = input.files()?.get(0)?;
    let buffer = wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await.ok()?;
    Some((file.name(), js_sys::Uint8Array::new(&buffer).to_vec()))
}

/// A button that downloads an export: `path` is `orders.xlsx?...` (the language is added).
#[component]
pub fn ExportButton(
    /// The export and its query, e.g. `ageing.xlsx?by=office`.
    #[prop(into)]
    path: Signal<String>,
    /// The file's name as saved.
    #[prop(into)]
    filename: Signal<String>,
    /// Tells the button apart when a page has several.
    id: &'static str,
    /// Export at once, as if pressed (the page was opened to export).
    #[prop(optional)]
    start: bool,
) -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let busy = RwSignal::new(false);
    let problem = RwSignal::new(None::<(String, String)>);
    let export = move || {
        let lang = if i.lang() == crate::i18n::Lang::En { "en" } else { "zh" };
        let p = path.get_untracked();
        let sep = if p.contains('?') { '&' } else { '?' };
        let full = format!("{p}{sep}lang={lang}");
        let name = filename.get_untracked();
        let token = token(ctx);
        busy.set(true);
        problem.set(None);
        leptos::task::spawn_local(async move {
            let result = download(token, full, name).await;
            busy.set(false);
            problem.set(result.err().map(|e| match e {
                ApiError::Offline => (
                    "导出需要联网:连上服务器后再试。".to_string(),
                    "Exporting needs a connection: try again once online.".to_string(),
                ),
                e => e.text(),
            }));
        });
    };
    if start {
        export();
    }
    view! {
        <span class="export">
            <button type="button" id=id class="secondary" on:click=move |_| export() disabled=move || busy.get()>
                {move || if busy.get() { i.t("正在导出…", "Exporting…") } else { i.t("导出 Excel", "Export to Excel") }}
            </button>
            {move || problem.get().map(|(zh, en)| {
                view! { <span class="field-error" role="alert">{move || if i.lang() == crate::i18n::Lang::En { en.clone() } else { zh.clone() }}</span> }
            })}
        </span>
    }
}

/// What a refused row says, in the reader's language.
fn row_reason(lang: crate::i18n::Lang, e: &common::desk::import::RowError) -> String {
    use crate::i18n::{pick, Lang};
    use common::desk::order::Problem;
    match (&e.error, e.code.as_deref()) {
        (Some(fe), Some("repeated")) => match lang {
            Lang::Zh => format!("与第 {} 行重复", fe.limit.unwrap_or(0)),
            Lang::En => format!("the same as row {}", fe.limit.unwrap_or(0)),
        },
        (_, Some("exists")) => pick(lang, "系统里已有", "already stored").to_string(),
        (_, Some("unknown_customer")) => {
            pick(lang, "本机构没有这个客户(先建客户或导入客户)", "no such customer at this office (add or import it first)")
                .to_string()
        }
        (Some(fe), _) if fe.field == "payment" && fe.problem == Problem::UnknownChoice => {
            pick(lang, "须为 款到发货、货到付款、月结 或 现款", "must be prepay, pay on arrival, monthly or cash").to_string()
        }
        (Some(fe), _) => crate::i18n::problem_text(lang, fe),
        (None, Some("forbidden")) => pick(
            lang,
            "没有权限:结款方式、信用额度、等级和业务员由经理设置(新客户为款到发货、无信用额度)",
            "Not allowed: terms, credit limit, class and salesperson are a manager's to set (new customers start on prepay, no credit)",
        )
        .to_string(),
        _ => e.message.clone(),
    }
}

/// A value of the preview as people read it: money in yuan, terms by name.
fn preview_text(lang: crate::i18n::Lang, field: &str, v: &serde_json::Value) -> String {
    match (field, v) {
        ("credit_limit" | "price" | "amount", serde_json::Value::Number(n)) => {
            common::desk::money::Fen(n.as_i64().unwrap_or(0)).to_string()
        }
        ("payment", serde_json::Value::String(t)) => common::desk::order::PaymentTerms::parse(t)
            .map(|p| crate::i18n::payment(lang, p).to_string())
            .unwrap_or_default(),
        (_, serde_json::Value::String(s)) => s.clone(),
        (_, other) => other.to_string(),
    }
}

/// 从 Excel 导入: pick a file, see what would be written and every problem by row, then
/// write it all at once (online; nothing is written while a row is wrong).
#[component]
pub fn ImportPanel(target: common::desk::import::Target) -> impl IntoView {
    use common::desk::import::{template, template_en, Target};
    use common::engine::ids::ClientId;
    let ctx = use_ctx();
    let i = ctx.i18n;
    let is_hq = ctx.actor().is_some_and(|a| a.is_hq);
    let code = target.code();
    let file_id = format!("import-file-{code}");
    let office = RwSignal::new(String::new());
    let file: RwSignal<Option<(String, Vec<u8>)>, LocalStorage> = RwSignal::new_local(None);
    let report: RwSignal<Option<ImportReport>> = RwSignal::new(None);
    let import_id = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let problem = RwSignal::new(None::<(String, String)>);
    let query = move |commit: bool| {
        let mut q = Vec::new();
        if commit {
            q.push(format!("commit=true&id={}", import_id.get_untracked()));
        }
        let o = office.get_untracked();
        if !o.is_empty() && target != Target::Products {
            q.push(format!("office={o}"));
        }
        q.join("&")
    };
    let send = move |commit: bool| {
        let Some((_, bytes)) = file.get_untracked() else { return };
        let q = query(commit);
        let token = token(ctx);
        busy.set(true);
        problem.set(None);
        leptos::task::spawn_local(async move {
            match upload(token, code, q, bytes).await {
                Ok(r) => {
                    if r.written {
                        crate::sync::kick(ctx);
                    }
                    report.set(Some(r));
                }
                Err(e) => problem.set(Some(match e {
                    ApiError::Offline => (
                        "导入需要联网:连上服务器后再试。".to_string(),
                        "Importing needs a connection: try again once online.".to_string(),
                    ),
                    e => e.text(),
                })),
            }
            busy.set(false);
        });
    };
    let picked = move |ev: leptos::ev::Event| {
        let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else { return };
        report.set(None);
        leptos::task::spawn_local(async move {
            let f = picked_file(&input).await;
            // A new file is a new import: its commit may be retried, never doubled.
            import_id.set(ClientId::new_v7(crate::state::now_ms(), crate::state::random_bytes()).to_string());
            let has = f.is_some();
            file.set(f);
            if has {
                send(false);
            }
        });
    };
    let (columns, columns_en) = (template(target).join(", "), template_en(target).join(", "));
    view! {
        <details class="import-panel" id=format!("import-{code}")>
            <summary>{match target {
                Target::Openings => i.s("从 Excel 导入期初应收", "Import opening balances from Excel"),
                _ => i.s("从 Excel 导入", "Import from Excel"),
            }}</summary>
            <p class="muted">
                {i.s("第一行是表头,可用的列:", "The first row holds the headers; the columns read: ")}
                <span class="mono">{move || if i.lang() == crate::i18n::Lang::En { columns_en.clone() } else { columns.clone() }}</span>
                {i.s("。支持 .xlsx、.xls、.csv。先预览,全部无误才写入。", ". .xlsx, .xls or .csv. You see a preview first; nothing is written unless every row is right.")}
            </p>
            {(is_hq && target != Target::Products).then(|| view! {
                <div class="field">
                    <label for=format!("import-office-{code}")>{i.s("导入到机构", "Into office")}</label>
                    <input id=format!("import-office-{code}") placeholder=i.s("留空为本机构,如 FS", "Empty for your own, e.g. FS")
                        prop:value=move || office.get()
                        on:input=move |ev| { office.set(event_target_value(&ev).trim().to_uppercase()); report.set(None); }/>
                </div>
            })}
            <div class="field">
                <label for=file_id.clone()>{i.s("选择文件", "File")}</label>
                <input type="file" id=file_id accept=".xlsx,.xls,.csv" on:change=picked/>
            </div>
            {move || problem.get().map(|(zh, en)| view! {
                <p class="notice refused" role="alert">{move || if i.lang() == crate::i18n::Lang::En { en.clone() } else { zh.clone() }}</p>
            })}
            {move || busy.get().then(|| view! { <p class="muted" role="status">{i.s("正在处理…", "Working…")}</p> })}
            {move || report.get().map(|r| import_report(r, send))}
        </details>
    }
}

fn import_report(r: ImportReport, send: impl Fn(bool) + Copy + 'static) -> impl IntoView {
    let i = use_ctx().i18n;
    let lang = move || i.lang();
    let n = r.count;
    let error_count = r.errors.len();
    let ignored = r.ignored.join(", ");
    let fields: Vec<String> = r.columns.iter().map(|(_, f)| f.clone()).collect();
    let heads: Vec<String> = r.columns.iter().map(|(h, _)| h.clone()).collect();
    view! {
        <div class="import-report" data-written=r.written.to_string() data-errors=error_count>
            {(!ignored.is_empty()).then(|| view! {
                <p class="muted">{i.s("未导入的列:", "Columns not imported: ")}{ignored.clone()}</p>
            })}
            {if r.written {
                view! {
                    <p class="notice ok" role="status">{move || match lang() {
                        crate::i18n::Lang::Zh => format!("已导入 {n} 行。"),
                        crate::i18n::Lang::En => format!("{n} rows imported."),
                    }}</p>
                }.into_any()
            } else if !r.errors.is_empty() {
                let count = r.errors.len();
                view! {
                    <div>
                        <p class="notice refused" role="alert">{move || match lang() {
                            crate::i18n::Lang::Zh => format!("发现 {count} 处问题,没有导入任何数据。改正文件后重新选择。"),
                            crate::i18n::Lang::En => format!("{count} problems found; nothing was imported. Correct the file and pick it again."),
                        }}</p>
                        <table class="list import-errors">
                            <thead><tr>
                                <th scope="col">{i.s("行", "Row")}</th>
                                <th scope="col">{i.s("列", "Column")}</th>
                                <th scope="col">{i.s("原因", "Reason")}</th>
                            </tr></thead>
                            <tbody>
                                {r.errors.into_iter().map(|e| {
                                    let reason = e.clone();
                                    view! {
                                        <tr data-row=e.row>
                                            <td data-label=i.s("行", "Row")>{e.row}</td>
                                            <td data-label=i.s("列", "Column")>{e.column.clone()}</td>
                                            <td data-label=i.s("原因", "Reason")>{move || row_reason(lang(), &reason)}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            } else {
                view! {
                    <div>
                        <p class="muted">{move || match lang() {
                            crate::i18n::Lang::Zh => format!("将导入 {n} 行(下面是前几行):"),
                            crate::i18n::Lang::En => format!("{n} rows to import (the first few below):"),
                        }}</p>
                        <div class="table-scroll">
                            <table class="list import-preview">
                                <thead><tr>
                                    <th scope="col">{i.s("行", "Row")}</th>
                                    {heads.into_iter().map(|h| view! { <th scope="col">{h}</th> }).collect_view()}
                                </tr></thead>
                                <tbody>
                                    {r.rows.into_iter().map(|row| view! {
                                        <tr>
                                            <td>{row.row}</td>
                                            {fields.iter().map(|f| {
                                                let v = row.values.get(f).cloned().unwrap_or(serde_json::Value::String(String::new()));
                                                let f = f.clone();
                                                let money = matches!(f.as_str(), "credit_limit" | "price" | "amount");
                                                view! { <td class:num=money>{move || preview_text(lang(), &f, &v)}</td> }
                                            }).collect_view()}
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                        <button type="button" class="primary" id="import-commit" on:click=move |_| send(true)>
                            {move || match lang() {
                                crate::i18n::Lang::Zh => format!("导入这 {n} 行"),
                                crate::i18n::Lang::En => format!("Import these {n} rows"),
                            }}
                        </button>
                    </div>
                }.into_any()
            }}
        </div>
    }
}
