//! 月度盘点差异 on 报表: a branch types its month's stock count — per product the books'
//! quantity, the counted one and why they differ — saves it on the device (it syncs like
//! any record) and reports it to head office; head office picks an office and reads it.

use crate::components::{focus_id, LookupInput, Suggestion};
use crate::excel::ExportButton;
use crate::i18n::{self, I18n, Lang};
use crate::state::{now_ms, use_ctx};
use common::desk::customer::ProductView;
use common::desk::order::{FieldError, Problem};
use common::desk::search::lookup;
use common::desk::stock::{count_id, count_values, summarize, CountLine, CountView, LineDraft, Month, KEEPERS};
use common::desk::time::local_date;
use common::engine::ids::OfficeCode;
use common::engine::record::Kind;
use leptos::prelude::*;

/// One typed row, each box its own signal.
#[derive(Clone, Copy)]
struct Row {
    key: u64,
    model: RwSignal<String>,
    name: RwSignal<String>,
    expected: RwSignal<String>,
    counted: RwSignal<String>,
    reason: RwSignal<String>,
}

impl Row {
    fn new(key: u64, d: LineDraft) -> Row {
        Row {
            key,
            model: RwSignal::new(d.model),
            name: RwSignal::new(d.name),
            expected: RwSignal::new(d.expected),
            counted: RwSignal::new(d.counted),
            reason: RwSignal::new(d.reason),
        }
    }

    fn draft(&self) -> LineDraft {
        LineDraft {
            model: self.model.get(),
            name: self.name.get(),
            expected: self.expected.get(),
            counted: self.counted.get(),
            reason: self.reason.get(),
        }
    }
}

/// A problem in words; a difference without a reason and a model twice said plainly.
fn problem_text(lang: Lang, e: &FieldError) -> String {
    match e.problem {
        Problem::Required if e.field.ends_with(".reason") => {
            i18n::pick(lang, "有差异时请填写原因", "Give a reason for the difference").to_string()
        }
        Problem::Taken if e.field.ends_with(".model") => {
            i18n::pick(lang, "这个型号已在另一行", "This model is on another line").to_string()
        }
        Problem::NotAWholeNumber | Problem::NotANumber | Problem::Negative => {
            i18n::pick(lang, "请填写 0 或正整数", "Type a whole number, 0 or more").to_string()
        }
        _ => i18n::problem_text(lang, e),
    }
}

fn difference_text(d: i64) -> String {
    if d > 0 {
        format!("+{d}")
    } else {
        d.to_string()
    }
}

/// The count's lines, read-only, with their differences.
fn lines_table(i: I18n, lines: Vec<CountLine>) -> impl IntoView {
    view! {
        <div class="table-scroll">
        <table class="list stock-count">
            <thead><tr>
                <th scope="col">{i.s("型号", "Model")}</th>
                <th scope="col">{i.s("名称", "Name")}</th>
                <th scope="col" class="num">{i.s("账面数", "Expected")}</th>
                <th scope="col" class="num">{i.s("实盘数", "Counted")}</th>
                <th scope="col" class="num">{i.s("差异", "Difference")}</th>
                <th scope="col">{i.s("原因", "Reason")}</th>
            </tr></thead>
            <tbody>
                {lines.into_iter().map(|l| {
                    let d = l.difference();
                    view! {
                        <tr data-model=l.model.clone() data-difference=d>
                            <td data-label=i.s("型号", "Model")>{l.model.clone()}</td>
                            <td data-label=i.s("名称", "Name")>{l.name.clone()}</td>
                            <td class="num" data-label=i.s("账面数", "Expected")>{l.expected}</td>
                            <td class="num" data-label=i.s("实盘数", "Counted")>{l.counted}</td>
                            <td class="num" class:late=d != 0 data-label=i.s("差异", "Difference")>{difference_text(d)}</td>
                            <td data-label=i.s("原因", "Reason")>{l.reason.clone()}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        </div>
    }
}

/// 月度盘点差异: this or last month's count of the office (a branch's own; any at head office).
#[component]
pub fn StockCount() -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let actor = ctx.actor();
    let is_hq = actor.as_ref().is_some_and(|a| a.is_hq);
    let may = actor.as_ref().is_some_and(|a| KEEPERS.contains(&a.role));
    let own = actor.as_ref().map(|a| a.office.to_string()).unwrap_or_default();
    let today = local_date(now_ms(), ctx.offset_minutes());
    let this_month = Month::of(today);
    let office = RwSignal::new(own.clone());
    let month = RwSignal::new(this_month);
    let own_for_offices = own.clone();
    let offices = Memo::new(move |_| crate::pages::reports::known_offices(ctx, Kind::STOCK_COUNT, &own_for_offices));
    let count = Memo::new(move |_| {
        let m = month.get();
        let o = OfficeCode::parse(&office.get()).ok()?;
        ctx.replica.with(|r| r.get(Kind::STOCK_COUNT, count_id(&o, m)).map(CountView::from_record))
    });
    let own_for_edit = own.clone();
    let editable = Memo::new(move |_| may && office.get() == own_for_edit);
    let products = Memo::new(move |_| {
        ctx.replica.with(|r| r.all(Kind::PRODUCT).map(ProductView::from_record).collect::<Vec<_>>())
    });

    // The form: loaded from the month's record when the month or office is chosen.
    let next_key = StoredValue::new(0u64);
    let new_row = move |d: LineDraft| {
        let key = next_key.get_value();
        next_key.set_value(key + 1);
        Row::new(key, d)
    };
    let rows = RwSignal::new(Vec::<Row>::new());
    let notes = RwSignal::new(String::new());
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let saved = RwSignal::new(None::<(&'static str, &'static str)>);
    let load = move || {
        let view = count.get_untracked();
        let mut list: Vec<Row> = view
            .as_ref()
            .map(|v| v.lines.iter().map(|l| new_row(LineDraft::from_line(l))).collect())
            .unwrap_or_default();
        if list.is_empty() {
            list.push(new_row(LineDraft::default()));
        }
        rows.set(list);
        notes.set(view.map(|v| v.notes).unwrap_or_default());
        errors.set(Vec::new());
        saved.set(None);
    };
    load();

    let summary = Memo::new(move |_| {
        if editable.get() {
            // As typed: each row by its difference (none until both quantities read).
            let lines: Vec<CountLine> = rows
                .get()
                .iter()
                .map(Row::draft)
                .filter(|d| !d.is_blank())
                .map(|d| CountLine { expected: 0, counted: d.difference().unwrap_or(0), ..CountLine::default() })
                .collect();
            summarize(&lines)
        } else {
            count.get().map(|c| c.summary()).unwrap_or_default()
        }
    });

    let submit = move |report: bool| {
        let drafts: Vec<LineDraft> = rows.get_untracked().iter().map(Row::draft).collect();
        let m = month.get_untracked();
        match count_values(m, &drafts, &notes.get_untracked(), report.then_some(today)) {
            Ok(values) => {
                errors.set(Vec::new());
                let Ok(o) = OfficeCode::parse(&office.get_untracked()) else { return };
                match ctx.save_in(Some(o.clone()), Kind::STOCK_COUNT, count_id(&o, m), values) {
                    Ok(()) => {
                        saved.set(Some(if report {
                            ("已保存并上报总部。", "Saved and reported to head office.")
                        } else {
                            ("已保存。", "Saved.")
                        }));
                        crate::sync::kick(ctx);
                    }
                    Err(e) => ctx.report_save_error(&e),
                }
            }
            Err(e) => {
                saved.set(None);
                if let Some(first) = e.first() {
                    let id = format!("stock-{}", first.field.replace('.', "-"));
                    focus_id(&id);
                }
                errors.set(e);
            }
        }
    };

    let pick_month = move |ev: leptos::ev::Event| {
        if let Some(m) = Month::parse(&event_target_value(&ev)) {
            month.set(m);
            load();
        }
    };
    let pick_office = move |ev: leptos::ev::Event| {
        office.set(event_target_value(&ev));
        load();
    };
    let add_row = move |_| {
        let row = new_row(LineDraft::default());
        rows.update(|r| r.push(row));
        let n = rows.with_untracked(Vec::len) - 1;
        request_animation_frame(move || {
            focus_id(&format!("stock-lines-{n}-model"));
        });
    };
    let reported = move || {
        count.get().map(|c| match c.reported_on {
            Some(d) => format!("{} {d}", i.t("已上报总部:", "Reported to head office:")),
            None => i.t("尚未上报总部。", "Not yet reported to head office.").to_string(),
        })
    };

    view! {
        <section class="stock-report" aria-labelledby="stock-h">
            <div class="page-head">
                <h2 id="stock-h">{i.s("月度盘点差异", "Monthly stock count")}</h2>
                <ExportButton id="export-stock"
                    path=Signal::derive(move || format!("stock.xlsx?office={}&month={}", office.get(), month.get()))
                    filename=Signal::derive(move || format!("stock-{}-{}.xlsx", office.get(), month.get().compact()))/>
            </div>
            <div class="filters">
                {is_hq.then(|| view! {
                    <div class="filter">
                        <label for="stock-office">{i.s("机构", "Office")}</label>
                        <select id="stock-office" on:change=pick_office>
                            {move || offices.get().into_iter().map(|o| {
                                let selected = o == office.get_untracked();
                                view! { <option value=o.clone() selected=selected>{o.clone()}</option> }
                            }).collect_view()}
                        </select>
                    </div>
                })}
                <div class="filter">
                    <label for="stock-month">{i.s("月份", "Month")}</label>
                    <select id="stock-month" on:change=pick_month>
                        <option value=this_month.to_string() selected=true>
                            {i.s("本月", "This month")}" ("{this_month.to_string()}")"</option>
                        <option value=this_month.previous().to_string()>
                            {i.s("上月", "Last month")}" ("{this_month.previous().to_string()}")"</option>
                    </select>
                </div>
            </div>
            <p class="muted" data-reported=move || count.get().and_then(|c| c.reported_on).map(|d| d.to_string()).unwrap_or_default()>
                {reported}
            </p>
            <p class="stock-summary" aria-live="polite">
                {move || {
                    let s = summary.get();
                    format!(
                        "{} {} / {} · {} {} · {} {}",
                        i.t("有差异", "Differing lines"), s.differing, s.lines,
                        i.t("盘盈", "Over"), s.over,
                        i.t("盘亏", "Short"), s.short,
                    )
                }}
            </p>
            {move || (!editable.get()).then(|| match count.get() {
                Some(c) if !c.lines.is_empty() => view! {
                    <div>
                        {lines_table(i, c.lines.clone())}
                        {(!c.notes.is_empty()).then(|| view! { <p>{i.s("备注:", "Notes: ")}{c.notes.clone()}</p> })}
                    </div>
                }.into_any(),
                _ => view! { <p class="muted">{i.s("这个月还没有盘点。", "No count for this month.")}</p> }.into_any(),
            })}
            <Show when=move || editable.get()>
                <form class="stock-form" on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); submit(false); }>
                    <div class="table-scroll">
                    <table class="list stock-lines">
                        <caption class="sr-only">{i.s("盘点明细", "Count lines")}</caption>
                        <thead><tr>
                            <th scope="col">"#"</th>
                            <th scope="col">{i.s("型号", "Model")}</th>
                            <th scope="col">{i.s("名称", "Name")}</th>
                            <th scope="col" class="num">{i.s("账面数", "Expected")}</th>
                            <th scope="col" class="num">{i.s("实盘数", "Counted")}</th>
                            <th scope="col" class="num">{i.s("差异", "Difference")}</th>
                            <th scope="col">{i.s("原因", "Reason")}</th>
                            <th scope="col"><span class="sr-only">{i.s("删除", "Remove")}</span></th>
                        </tr></thead>
                        <tbody>
                            <For each=move || rows.get() key=|r| r.key let:row>
                                <CountRow row=row rows=rows errors=errors products=products/>
                            </For>
                        </tbody>
                    </table>
                    </div>
                    <button type="button" id="stock-add" on:click=add_row>{i.s("加一行", "Add a line")}</button>
                    <div class="field">
                        <label for="stock-notes">{i.s("备注", "Notes")}</label>
                        <input id="stock-notes" prop:value=move || notes.get()
                            aria-invalid=move || errors.with(|e| e.iter().any(|e| e.field == "notes")).to_string()
                            aria-describedby="stock-notes-err"
                            on:input=move |ev| notes.set(event_target_value(&ev))/>
                        <span class="field-error" id="stock-notes-err" role="alert">
                            {move || errors.with(|e| e.iter().find(|e| e.field == "notes").map(|e| problem_text(i.lang(), e)))}
                        </span>
                    </div>
                    <p class="field-error" role="alert" hidden=move || errors.with(Vec::is_empty)>
                        {i.s("请先改正标红的格子。", "Correct the boxes marked in red first.")}
                    </p>
                    <div class="actions">
                        <button type="submit" id="stock-save" class="primary">{i.s("保存", "Save")}</button>
                        " "
                        // Head office's own count is not reported to itself.
                        {(!is_hq).then(|| view! {
                            <button type="button" id="stock-report" on:click=move |_| submit(true)>{i.s("上报总部", "Report to head office")}</button>
                        })}
                    </div>
                    <p class="muted" role="status">{move || saved.get().map(|(zh, en)| i.t(zh, en))}</p>
                </form>
            </Show>
        </section>
    }
}

#[component]
fn CountRow(
    row: Row,
    rows: RwSignal<Vec<Row>>,
    errors: RwSignal<Vec<FieldError>>,
    products: Memo<Vec<ProductView>>,
) -> impl IntoView {
    let i = use_ctx().i18n;
    let index = Memo::new(move |_| rows.with(|r| r.iter().position(|x| x.key == row.key).unwrap_or(0)));
    let id = move |col: &str| format!("stock-lines-{}-{col}", index.get());
    let err = move |col: &'static str| {
        move || {
            errors.with(|e| {
                e.iter().find(|e| e.field == format!("lines.{}.{col}", index.get())).map(|e| problem_text(i.lang(), e))
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
                .map(|p| Suggestion { text: format!("{} {}", p.model, p.name), key: p.id.to_string() })
                .collect()
        })
    });
    let pick = Callback::new(move |key: String| {
        if let Some(p) = products.with_untracked(|ps| ps.iter().find(|p| p.id.to_string() == key).cloned()) {
            row.model.set(p.model);
            row.name.set(p.name);
        }
    });
    // A model typed in full that the catalogue has: its name.
    let typed = Callback::new(move |()| {
        let model = row.model.get_untracked();
        let model = model.trim();
        let found = products.with_untracked(|ps| {
            ps.iter().find(|p| !model.is_empty() && p.model.eq_ignore_ascii_case(model)).map(|p| p.name.clone())
        });
        if let Some(name) = found {
            row.name.set(name);
        }
    });
    let cell = move |col: &'static str, value: RwSignal<String>, numeric: bool, label: (&'static str, &'static str)| {
        let err_id = format!("stock-row-{}-{col}-err", row.key);
        view! {
            <td class:num=numeric data-label=i.s(label.0, label.1)>
                <div>
                    <input id=move || id(col) type="text" autocomplete="off"
                        inputmode=if numeric { "numeric" } else { "text" }
                        aria-label=move || format!("{} {}", i.t(label.0, label.1), index.get() + 1)
                        aria-invalid=move || invalid(col).get().to_string()
                        aria-describedby=err_id.clone()
                        prop:value=move || value.get()
                        on:input=move |ev| value.set(event_target_value(&ev))/>
                    <span class="field-error" id=err_id role="alert" hidden=move || err(col)().is_none()>
                        {move || err(col)().unwrap_or_default()}
                    </span>
                </div>
            </td>
        }
    };
    let difference = move || row.draft().difference().map(difference_text).unwrap_or_default();
    let remove = move |_| rows.update(|r| r.retain(|x| x.key != row.key));
    view! {
        <tr data-row=move || index.get()>
            <td class="rownum" data-label="#">{move || index.get() + 1}</td>
            <td data-label=i.s("型号", "Model")>
                <div>
                    <LookupInput id=Signal::derive(move || id("model")) value=row.model suggest=suggest on_pick=pick
                        on_input=typed invalid=invalid("model")
                        described_by=format!("stock-row-{}-model-err", row.key)
                        label=Signal::derive(move || format!("{} {}", i.t("型号", "Model"), index.get() + 1))/>
                    <span class="field-error" id=format!("stock-row-{}-model-err", row.key) role="alert" hidden=move || err("model")().is_none()>
                        {move || err("model")().unwrap_or_default()}
                    </span>
                </div>
            </td>
            {cell("name", row.name, false, ("名称", "Name"))}
            {cell("expected", row.expected, true, ("账面数", "Expected"))}
            {cell("counted", row.counted, true, ("实盘数", "Counted"))}
            <td class="num" data-label=i.s("差异", "Difference") data-difference=difference>{difference}</td>
            {cell("reason", row.reason, false, ("原因", "Reason"))}
            <td>
                <button type="button" class="quiet remove" on:click=remove
                    aria-label=move || crate::i18n::remove_line(i.lang(), index.get() + 1)>"×"</button>
            </td>
        </tr>
    }
}
