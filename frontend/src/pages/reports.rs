//! Reports: receivables ageing (应收账龄) by office, salesperson or customer, computed on
//! this device from what it holds (offline too, as of its last sync) with the same
//! `common` functions the server's export uses; the export itself needs a connection.

use crate::excel::ExportButton;
use crate::state::{now_ms, use_ctx};
use common::desk::ageing::{ageing, AgeingRow, By};
use common::desk::books::Books;
use common::desk::time::local_date;
use common::engine::record::Kind;
use leptos::prelude::*;

/// Everything the money side reads, from this device's records.
pub fn books(ctx: crate::state::Ctx) -> Books {
    ctx.replica.with(|r| {
        let kinds = [Kind::ORDER, Kind::SHIPMENT, Kind::STATION_LOG, Kind::PAYMENT, Kind::CUSTOMER, Kind::OPENING];
        Books::read(kinds.into_iter().flat_map(|k| r.all(k)))
    })
}

const BUCKET_LABELS: [(&str, &str); 4] =
    [("0–30 天", "0–30 days"), ("31–60 天", "31–60 days"), ("61–90 天", "61–90 days"), ("90 天以上", "Over 90 days")];

#[component]
pub fn ReportsPage() -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let is_hq = ctx.actor().is_some_and(|a| a.is_hq);
    let by = RwSignal::new(if is_hq { By::Office } else { By::Salesperson });
    let today = local_date(now_ms(), ctx.offset_minutes());
    let aged = Memo::new(move |_| books(ctx).aged(today));
    let table = Memo::new(move |_| aged.with(|a| ageing(a, by.get())));
    let choices: Vec<(By, &str, &str)> = [
        (By::Office, "按机构", "By office"),
        (By::Salesperson, "按业务员", "By salesperson"),
        (By::Customer, "按客户", "By customer"),
    ]
    .into_iter()
    .filter(|(b, _, _)| is_hq || *b != By::Office)
    .collect();
    let first_header = move || match by.get() {
        By::Office => i.t("机构", "Office"),
        By::Salesperson => i.t("业务员", "Salesperson"),
        By::Customer => i.t("客户", "Customer"),
    };
    let line = move |r: AgeingRow, total: bool| {
        let key = if total {
            i.t("合计", "Total").to_string()
        } else if r.key.is_empty() {
            i.t("(未指定)", "(none)").to_string()
        } else {
            r.key.clone()
        };
        view! {
            <tr class:totals=total data-key=r.key.clone()>
                <th scope="row">{key}</th>
                {r.buckets.iter().enumerate().map(|(n, b)| {
                    let late = n > 0 && b.0 > 0;
                    view! {
                        <td class="num" class:late=late data-bucket=n data-fen=b.0 data-label=i.s(BUCKET_LABELS[n].0, BUCKET_LABELS[n].1)>{b.to_string()}</td>
                    }
                }).collect_view()}
                <td class="num" data-total=r.total.0 data-label=i.s("合计", "Total")>{r.total.to_string()}</td>
                <td class="num" data-label=i.s("订单数", "Orders")>{r.orders}</td>
            </tr>
        }
    };
    view! {
        <section class="reports-page">
            <div class="page-head">
                <h1>{i.s("应收账龄", "Receivables ageing")}</h1>
                <ExportButton id="export-ageing"
                    path=Signal::derive(move || format!("ageing.xlsx?by={}", by.get().code()))
                    filename=Signal::derive(move || format!("ageing-{}-{}.xlsx", by.get().code(), today.compact()))/>
            </div>
            <p class="muted">{i.s(
                "已发货未收的金额,按第一次发货起的天数分段;按本机最近一次同步的数据计算。",
                "What is owed for goods that have left, by days since they first left; from this device's data as of its last sync.")}
                " " {format!("({today})")}</p>
            <div class="tabs" role="tablist" aria-label=i.s("汇总方式", "Summed by")>
                {choices.into_iter().map(|(b, zh, en)| view! {
                    <button type="button" role="tab" id=format!("by-{}", b.code())
                        aria-selected=move || (by.get() == b).to_string()
                        class:active=move || by.get() == b
                        on:click=move |_| by.set(b)>{i.s(zh, en)}</button>
                }).collect_view()}
            </div>
            <table class="list ageing">
                <thead><tr>
                    <th scope="col">{first_header}</th>
                    {BUCKET_LABELS.iter().map(|(zh, en)| view! { <th scope="col" class="num">{i.s(zh, en)}</th> }).collect_view()}
                    <th scope="col" class="num">{i.s("合计", "Total")}</th>
                    <th scope="col" class="num">{i.s("订单数", "Orders")}</th>
                </tr></thead>
                <tbody>
                    {move || {
                        let (rows, total) = table.get();
                        let empty = rows.is_empty();
                        view! {
                            {rows.into_iter().map(|r| line(r, false)).collect_view()}
                            {(!empty).then(|| line(total, true))}
                        }
                    }}
                </tbody>
            </table>
            {move || table.with(|(rows, _)| rows.is_empty()).then(|| view! { <p class="muted">{i.s("没有应收款。", "Nothing is owed.")}</p> })}
            <CashReport/>
            <crate::pages::stock::StockCount/>
        </section>
    }
}

/// The offices head office can pick in a report: every office this device has customers
/// or `kind` records of (every office keeps customers), and the person's own.
pub fn known_offices(ctx: crate::state::Ctx, kind: Kind, own: &str) -> Vec<String> {
    let mut v: Vec<String> =
        ctx.replica.with(|r| r.all(Kind::CUSTOMER).chain(r.all(kind)).map(|s| s.office.to_string()).collect());
    v.push(own.to_string());
    common::sort::sort(&mut v);
    v.dedup();
    v
}

/// 日资金报表: the office's money day by day (this month so far), and the form for a day.
#[component]
pub fn CashReport() -> impl IntoView {
    use common::desk::cash::{day_id, day_values, report, DayView};
    use common::desk::payments::Method;
    use common::engine::ids::OfficeCode;
    let ctx = use_ctx();
    let i = ctx.i18n;
    let actor = ctx.actor();
    let is_hq = actor.as_ref().is_some_and(|a| a.is_hq);
    let may = actor.as_ref().is_some_and(|a| common::desk::cash::KEEPERS.contains(&a.role));
    let own = actor.as_ref().map(|a| a.office.to_string()).unwrap_or_default();
    let office = RwSignal::new(own.clone());
    let today = local_date(now_ms(), ctx.offset_minutes());
    let first = common::desk::time::Date::new(today.year, today.month, 1).unwrap_or(today);
    let offices = Memo::new(move |_| known_offices(ctx, Kind::CASH_DAY, &own));
    let rows = Memo::new(move |_| {
        let days: Vec<DayView> = ctx.replica.with(|r| r.all(Kind::CASH_DAY).map(DayView::from_record).collect());
        report(&days, &ctx.payments(), &office.get(), first, today)
    });
    let (date, opening, paid_out, notes) = (
        RwSignal::new(today.to_string()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let problem = RwSignal::new(None::<(String, &'static str, &'static str)>);
    let saved = RwSignal::new(None::<String>);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(d) = common::desk::time::Date::from_input(&date.get_untracked(), today) else {
            problem.set(Some(("cash-date".into(), "日期不对", "Not a date")));
            return;
        };
        match day_values(d, &opening.get_untracked(), &paid_out.get_untracked(), &notes.get_untracked()) {
            Ok(values) => {
                problem.set(None);
                let Ok(o) = OfficeCode::parse(&office.get_untracked()) else { return };
                match ctx.save_in(Some(o.clone()), Kind::CASH_DAY, day_id(&o, d), values) {
                    Ok(()) => {
                        opening.set(String::new());
                        paid_out.set(String::new());
                        notes.set(String::new());
                        saved.set(Some(d.to_string()));
                        crate::sync::kick(ctx);
                    }
                    Err(e) => ctx.report_save_error(&e),
                }
            }
            Err((field, _)) => {
                problem.set(Some((format!("cash-{field}"), "请填写金额(不能为负数)", "Type an amount (not negative)")))
            }
        }
    };
    let err = move |id: &'static str| move || problem.get().filter(|(f, _, _)| f == id).map(|(_, zh, en)| i.t(zh, en));
    let invalid = move |id: &'static str| move || problem.get().is_some_and(|(f, _, _)| f == id).to_string();
    view! {
        <section class="cash-report" aria-labelledby="cash-h">
            <div class="page-head">
                <h2 id="cash-h">{i.s("日资金报表", "Daily cash report")}</h2>
                <ExportButton id="export-cash"
                    path=Signal::derive(move || format!("cash.xlsx?office={}&from={first}&to={today}", office.get()))
                    filename=Signal::derive(move || format!("cash-{}-{}.xlsx", office.get(), today.compact()))/>
            </div>
            {is_hq.then(|| view! {
                <div class="filter">
                    <label for="cash-office">{i.s("机构", "Office")}</label>
                    <select id="cash-office" on:change=move |ev| office.set(event_target_value(&ev))>
                        {move || offices.get().into_iter().map(|o| {
                            let selected = o == office.get_untracked();
                            view! { <option value=o.clone() selected=selected>{o.clone()}</option> }
                        }).collect_view()}
                    </select>
                </div>
            })}
            <div class="table-scroll">
            <table class="list cash">
                <thead><tr>
                    <th scope="col">{i.s("日期", "Date")}</th>
                    <th scope="col" class="num">{i.s("期初", "Opening")}</th>
                    {Method::ALL.into_iter().map(|m| {
                        let (zh, en) = common::desk::labels::method(m);
                        view! { <th scope="col" class="num">{i.s(zh, en)}</th> }
                    }).collect_view()}
                    <th scope="col" class="num">{i.s("支出", "Paid out")}</th>
                    <th scope="col" class="num">{i.s("期末", "Closing")}</th>
                    <th scope="col">{i.s("备注", "Notes")}</th>
                </tr></thead>
                <tbody>
                    {move || rows.get().into_iter().rev().map(|d| view! {
                        <tr data-date=d.date.to_string() data-closing=d.closing.0>
                            <th scope="row">{d.date.to_string()}</th>
                            <td class="num" class:muted=d.carried data-label=i.s("期初", "Opening")>{d.opening.to_string()}</td>
                            {d.received.iter().enumerate().map(|(n, f)| {
                                let (zh, en) = common::desk::labels::method(Method::ALL[n]);
                                view! { <td class="num" data-label=i.s(zh, en)>{f.to_string()}</td> }
                            }).collect_view()}
                            <td class="num" data-label=i.s("支出", "Paid out")>{d.paid_out.to_string()}</td>
                            <td class="num" data-label=i.s("期末", "Closing")><strong>{d.closing.to_string()}</strong></td>
                            <td data-label=i.s("备注", "Notes")>{d.notes.clone()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            </div>
            <p class="muted">{i.s(
                "收入来自当天已确认的回款;期初未填写时接上一天的期末。",
                "Money in is the confirmed payments dated that day; a day without an opening carries the day before's closing.")}</p>
            {may.then(|| view! {
                <form class="cash-day" on:submit=save aria-labelledby="cash-form-h">
                    <h3 id="cash-form-h">{move || match i.lang() {
                        crate::i18n::Lang::Zh => format!("填写 {} 的当天资金", office.get()),
                        crate::i18n::Lang::En => format!("Fill in a day for {}", office.get()),
                    }}</h3>
                    <div class="field">
                        <label for="cash-date">{i.s("日期", "Date")}</label>
                        <input id="cash-date" prop:value=move || date.get() aria-invalid=invalid("cash-date")
                            on:input=move |ev| date.set(event_target_value(&ev))/>
                        <span class="field-error">{err("cash-date")}</span>
                    </div>
                    <div class="field">
                        <label for="cash-opening">{i.s("期初(留空则接上一天)", "Opening (blank: carried over)")}</label>
                        <input id="cash-opening" inputmode="decimal" prop:value=move || opening.get() aria-invalid=invalid("cash-opening")
                            on:input=move |ev| opening.set(event_target_value(&ev))/>
                        <span class="field-error">{err("cash-opening")}</span>
                    </div>
                    <div class="field">
                        <label for="cash-paid_out">{i.s("当天支出", "Paid out that day")}</label>
                        <input id="cash-paid_out" inputmode="decimal" prop:value=move || paid_out.get() aria-invalid=invalid("cash-paid_out")
                            on:input=move |ev| paid_out.set(event_target_value(&ev))/>
                        <span class="field-error">{err("cash-paid_out")}</span>
                    </div>
                    <div class="field">
                        <label for="cash-notes">{i.s("备注", "Notes")}</label>
                        <input id="cash-notes" prop:value=move || notes.get() on:input=move |ev| notes.set(event_target_value(&ev))/>
                    </div>
                    <button type="submit" id="cash-save" class="primary">{i.s("保存当天资金", "Save the day")}</button>
                    <p class="muted" role="status">{move || saved.get().map(|d| match i.lang() {
                        crate::i18n::Lang::Zh => format!("已保存 {d}。"),
                        crate::i18n::Lang::En => format!("Saved {d}."),
                    })}</p>
                </form>
            })}
        </section>
    }
}
