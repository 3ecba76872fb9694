//! The printed four-part order form (销售单四联), from the device's own data, so it prints
//! offline. On pin-feed carbonless paper (241 mm, in halves) it prints once and the four
//! coloured layers are the copies, named in the footer; on A4 (or A5) each copy is its
//! own page, named and colour-banded. Each press of 打印 is recorded on the order; every
//! one after the first marks the page 重印 with its count.

use crate::i18n::{self, Lang};
use crate::state::use_ctx;
use crate::sync;
use common::desk::admin::Paper;
use common::desk::order::{Action, OrderView, PrintForm, WORKFLOW};
use common::desk::time::{format_local, local_date};
use common::engine::ids::RecordId;
use common::engine::record::{Kind, RecordState};
use common::engine::workflow;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

/// One copy of the form: its name and its colour.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Copy {
    pub code: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    pub colour_zh: &'static str,
}

pub const ORDER_COPIES: [Copy; 4] = [
    Copy { code: "picking", zh: "备货联", en: "Picking copy", colour_zh: "白" },
    Copy { code: "cashier", zh: "收银联", en: "Cashier copy", colour_zh: "黄" },
    Copy { code: "customer", zh: "客户联", en: "Customer copy", colour_zh: "粉" },
    Copy { code: "stub", zh: "仓库存根联", en: "Warehouse stub", colour_zh: "绿" },
];

/// Pin-feed paper prints once: its layers are the copies.
fn one_print(paper: Paper) -> bool {
    matches!(paper, Paper::Form241Half | Paper::Form241Third)
}

/// Who took a step that counts on the order, by name.
fn taker(state: &RecordState, order: &OrderView, step: &str) -> String {
    order.progress.counting.get(step).and_then(|at| state.log.get(at)).map(|l| l.name.clone()).unwrap_or_default()
}

#[component]
pub fn PrintOrder() -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let params = use_params_map();
    let query = use_query_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id")).and_then(|s| RecordId::parse(&s).ok()));
    let state = Memo::new(move |_| id.get().and_then(|id| ctx.replica.with(|r| r.get(Kind::ORDER, id).cloned())));
    let office_paper = ctx.session.with_untracked(|s| s.as_ref().map(|s| s.user.office.paper).unwrap_or_default());
    let paper =
        RwSignal::new(query.with_untracked(|q| q.get("paper")).and_then(|p| Paper::parse(&p)).unwrap_or(office_paper));
    // The reprint number of the press just made (what went to the printer), else of the next press.
    let pressed: RwSignal<Option<usize>> = RwSignal::new(None);
    let prints =
        move || state.with(|s| s.as_ref().map(|s| OrderView::from_record(s).prints(s, PrintForm::Order)).unwrap_or(0));
    let may_print = move || {
        let role = ctx.actor().map(|a| a.role);
        state.with(|s| s.as_ref().zip(role).is_some_and(|(s, r)| workflow::may_take(&WORKFLOW, s, r.code(), "print")))
    };
    let press = move || {
        let Some(id) = id.get_untracked() else { return };
        let before = prints();
        match ctx.act(id, Action::Print { form: PrintForm::Order, paper: paper.get_untracked() }) {
            Ok(()) => {
                pressed.set(Some(before));
                sync::kick(ctx);
                // The page shows its reprint mark before the printer sees it.
                request_animation_frame(|| {
                    if let Some(w) = web_sys::window() {
                        let _ = w.print();
                    }
                });
            }
            Err(e) => ctx.report_save_error(&e),
        }
    };
    // 复核并打印 arrives here asking to print at once.
    if query.with_untracked(|q| q.get("then").as_deref() == Some("print")) {
        request_animation_frame(move || {
            if may_print() {
                press();
            }
        });
    }
    let back = move || id.get().map(|id| format!("/orders/{id}")).unwrap_or_else(|| "/orders".into());
    view! {
        <div class="print-screen">
            <div class="print-toolbar" role="toolbar" aria-label=i.s("打印", "Print")>
                <A href=back attr:class="button">{i.s("返回订单", "Back to the order")}</A>
                <label for="print-paper">{i.s("打印纸", "Paper")}</label>
                <select id="print-paper" on:change=move |ev| paper.set(Paper::parse(&event_target_value(&ev)).unwrap_or_default())
                    prop:value=move || paper.get().code()>
                    {Paper::ALL.into_iter().map(|p| view! { <option value=p.code()>{move || crate::pages::admin::paper_label(i.lang(), p)}</option> }).collect_view()}
                </select>
                <button type="button" id="print-now" class="primary" disabled=move || !may_print() on:click=move |_| press()>
                    {i.s("打印", "Print")}</button>
                <span class="muted" id="print-count" data-prints=prints>{move || match (prints(), i.lang()) {
                    (0, Lang::Zh) => "尚未打印过".to_string(),
                    (0, Lang::En) => "Not printed yet".to_string(),
                    (n, Lang::Zh) => format!("已打印 {n} 次"),
                    (n, Lang::En) => format!("Printed {n} times"),
                }}</span>
                {move || (!may_print()).then(|| view! { <span class="hint" role="status">{i.s("复核后才能打印。", "It can be printed once reviewed.")}</span> })}
            </div>
            {move || state.get().map(|s| {
                let reprint = pressed.get().unwrap_or_else(prints);
                view! { <OrderSheets state=s paper=paper.get() reprint=reprint/> }
            })}
            {move || state.with(Option::is_none).then(|| view! { <p>{i.s("这台设备上没有这张订单。", "This device does not hold the order.")}</p> })}
        </div>
    }
}

/// The form's pages: one per copy, or one for all on pin-feed paper. `reprint`: how many
/// times it was printed before (0: the first print).
#[component]
fn OrderSheets(state: RecordState, paper: Paper, reprint: usize) -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let offset = ctx.offset_minutes();
    let order = OrderView::from_record(&state);
    let company = ctx
        .session
        .with_untracked(|s| {
            s.as_ref().map(|s| if s.company.is_empty() { s.user.office.name.clone() } else { s.company.clone() })
        })
        .unwrap_or_default();
    let created = order.created.map(|c| local_date(c.wall_ms, offset).to_string()).unwrap_or_default();
    let printed_at = format_local(crate::state::now_ms(), offset);
    let clerk = state.log.values().next().map(|l| l.name.clone()).unwrap_or_default();
    let reviewer = taker(&state, &order, "review");
    let cashier = taker(&state, &order, "audit");
    let sheets: Vec<Option<Copy>> =
        if one_print(paper) { vec![None] } else { ORDER_COPIES.iter().copied().map(Some).collect() };
    let order = StoredValue::new(order);
    let paper_class = format!("sheets paper-{}", paper.code());
    view! {
        <div class=paper_class data-paper=paper.code()>
            {sheets.into_iter().map(|copy| {
                let o = order.get_value();
                let stamp = o.stamp;
                let (company, created, printed_at) = (company.clone(), created.clone(), printed_at.clone());
                let (clerk, reviewer, cashier) = (clerk.clone(), reviewer.clone(), cashier.clone());
                let copy_class = copy.map(|c| format!("sheet copy-{}", c.code)).unwrap_or_else(|| "sheet all-copies".into());
                view! {
                    <section class=copy_class data-copy=copy.map(|c| c.zh).unwrap_or("")>
                        {copy.map(|c| view! { <div class="copy-band">{move || if i.lang() == Lang::Zh { format!("{}({})", c.zh, c.colour_zh) } else { format!("{} ({})", c.en, c.zh) }}</div> })}
                        <header class="form-head">
                            <div class="company">{company}</div>
                            <div class="form-title">{i.s("销 售 单", "Sales order")}</div>
                            {(reprint > 0).then(|| view! { <div class="reprint" data-reprint=reprint>{move || if i.lang() == Lang::Zh { format!("重印(第 {reprint} 次)") } else { format!("REPRINT (no. {reprint})") }}</div> })}
                            <div class="form-no">{i.s("单号 ", "No. ")}<span class="mono">{o.number.clone()}</span></div>
                        </header>
                        <table class="form-facts">
                            <tbody>
                                <tr>
                                    <th scope="row">{i.s("客户", "Customer")}</th><td>{o.customer_name.clone()}</td>
                                    <th scope="row">{i.s("日期", "Date")}</th><td>{created}</td>
                                </tr>
                                <tr>
                                    <th scope="row">{i.s("电话", "Phone")}</th><td>{o.phone.clone()}</td>
                                    <th scope="row">{i.s("结款", "Terms")}</th><td>{move || o.payment.map(|p| i18n::payment(i.lang(), p)).unwrap_or_default()}</td>
                                </tr>
                                <tr>
                                    <th scope="row">{i.s("地址", "Address")}</th><td>{o.address.clone()}</td>
                                    <th scope="row">{i.s("要货日期", "Deliver by")}</th><td>{o.delivery_date.clone()}</td>
                                </tr>
                                <tr>
                                    <th scope="row">{i.s("货站", "Station")}</th><td>{o.station.clone()}</td>
                                    <th scope="row">{i.s("合同号", "Contract no.")}</th><td class="mono">{o.station_contract.clone()}</td>
                                </tr>
                            </tbody>
                        </table>
                        <table class="form-lines">
                            <thead><tr>
                                <th scope="col">{i.s("序", "#")}</th>
                                <th scope="col">{i.s("型号", "Model")}</th>
                                <th scope="col">{i.s("名称", "Name")}</th>
                                <th scope="col" class="num">{i.s("数量", "Qty")}</th>
                                <th scope="col">{i.s("单位", "Unit")}</th>
                                <th scope="col" class="num">{i.s("单价", "Price")}</th>
                                <th scope="col" class="num">{i.s("金额", "Amount")}</th>
                            </tr></thead>
                            <tbody>
                                {o.lines.iter().enumerate().map(|(n, l)| view! {
                                    <tr>
                                        <td>{n + 1}</td>
                                        <td class="mono">{l.model.clone()}</td>
                                        <td>{l.name.clone()}</td>
                                        <td class="num">{l.quantity}</td>
                                        <td>{l.unit.clone()}</td>
                                        <td class="num">{l.unit_price.to_string()}</td>
                                        <td class="num">{l.amount().map(|a| a.to_string()).unwrap_or_default()}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                        <div class="form-total">
                            <span>{i.s("合计(大写):", "Total in words: ")}<strong class="capital" data-capital=o.total.to_capital()>{o.total.to_capital()}</strong></span>
                            <span>{i.s("小写:¥", "Total: ¥")}<strong class="num" data-total=o.total.0.to_string()>{o.total.to_string()}</strong></span>
                        </div>
                        <div class="form-foot">
                            <div class="sign"><span>{i.s("开单", "Clerk")}</span><span class="sign-box">{clerk}</span></div>
                            <div class="sign"><span>{i.s("复核", "Reviewer")}</span><span class="sign-box">{reviewer}</span></div>
                            <div class="sign"><span>{i.s("收银", "Cashier")}</span><span class="sign-box">{cashier}</span></div>
                            <div class="stamp-box" data-stamp=stamp.map(common::desk::order::stamp_code).unwrap_or("")>
                                {match stamp {
                                    Some(s) => view! { <span class="stamp">{move || i18n::stamp(i.lang(), s)}</span> }.into_any(),
                                    None => view! { <span class="muted">{i.s("收银盖章", "Cashier's stamp")}</span> }.into_any(),
                                }}
                            </div>
                        </div>
                        <footer class="copy-names">
                            {match copy {
                                Some(c) => view! { <span>{move || if i.lang() == Lang::Zh { format!("{}({})", c.zh, c.colour_zh) } else { format!("{} ({})", c.en, c.zh) }}</span> }.into_any(),
                                None => view! { <span>{move || ORDER_COPIES.iter().enumerate().map(|(n, c)| if i.lang() == Lang::Zh {
                                    format!("第{}联 {}({})", ["一", "二", "三", "四"][n], c.zh, c.colour_zh)
                                } else {
                                    format!("{}: {} ({})", n + 1, c.en, c.zh)
                                }).collect::<Vec<_>>().join("  ")}</span> }.into_any(),
                            }}
                            <span class="muted">{i.s(" 打印于 ", " printed ")}{printed_at}</span>
                        </footer>
                    </section>
                }
            }).collect_view()}
        </div>
    }
}
