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
        let kinds = [Kind::ORDER, Kind::SHIPMENT, Kind::STATION_LOG, Kind::PAYMENT, Kind::CUSTOMER];
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
        </section>
    }
}
