//! Paper, printed from the device's own data so it prints offline: the four-part order
//! form (销售单四联), the three-part local delivery note (送货单), a shipment's goods-received
//! confirmation letter (收货确认函) and packing list (装箱清单), the freight station's
//! two-part note (货站进返货单), and the day's picking list (备货单).
//!
//! On pin-feed carbonless paper (241 mm, in halves or thirds) a form prints once and its
//! coloured layers are the copies, named in the footer; on A4 or A5 each copy is its own
//! page, named and colour-banded. Each press of 打印 is recorded on the record it prints;
//! every one after the first marks the page 重印 with its count.

use crate::i18n::{self, Lang};
use crate::state::{now_ms, use_ctx};
use crate::sync;
use common::desk::admin::Paper;
use common::desk::order::{Action, OrderView, PrintForm, Status, WORKFLOW};
use common::desk::shipping::{
    self, LogKind, LogView, ShipAction, ShipmentView, SHIPMENT_WORKFLOW, STATION_LOG_WORKFLOW,
};
use common::desk::time::{format_local, local_date, Date};
use common::engine::ids::RecordId;
use common::engine::record::{Kind, RecordState};
use common::engine::workflow;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};
use std::collections::BTreeMap;

/// One copy of a form: its name and its colour.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Copy {
    pub code: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    pub colour_zh: &'static str,
}

impl Copy {
    /// The band's colour class: the colour of the copy's layer.
    fn colour_class(self) -> &'static str {
        match self.colour_zh {
            "黄" => "band-yellow",
            "粉" => "band-pink",
            "绿" => "band-green",
            _ => "band-white",
        }
    }
}

pub const ORDER_COPIES: [Copy; 4] = [
    Copy { code: "picking", zh: "备货联", en: "Picking copy", colour_zh: "白" },
    Copy { code: "cashier", zh: "收银联", en: "Cashier copy", colour_zh: "黄" },
    Copy { code: "customer", zh: "客户联", en: "Customer copy", colour_zh: "粉" },
    Copy { code: "stub", zh: "仓库存根联", en: "Warehouse stub", colour_zh: "绿" },
];

pub const DELIVERY_COPIES: [Copy; 3] = [
    Copy { code: "stub", zh: "存根联", en: "Stub", colour_zh: "白" },
    Copy { code: "customer", zh: "客户联", en: "Customer copy", colour_zh: "粉" },
    Copy { code: "receipt", zh: "回单联", en: "Receipt to bring back", colour_zh: "黄" },
];

pub const STATION_NOTE_COPIES: [Copy; 2] = [
    Copy { code: "stub", zh: "存根联", en: "Stub", colour_zh: "白" },
    Copy { code: "warehouse", zh: "仓库联", en: "Warehouse copy", colour_zh: "黄" },
];

const ONE_COPY: [Copy; 0] = [];

/// Pin-feed paper prints once: its layers are the copies.
fn one_print(paper: Paper) -> bool {
    matches!(paper, Paper::Form241Half | Paper::Form241Third)
}

/// Who took a step that counts on the order, by name.
fn taker(state: &RecordState, order: &OrderView, step: &str) -> String {
    order.progress.counting.get(step).and_then(|at| state.log.get(at)).map(|l| l.name.clone()).unwrap_or_default()
}

/// The company's name for the form's header (the office's if none was set up).
fn company() -> String {
    use_ctx()
        .session
        .with_untracked(|s| {
            s.as_ref().map(|s| if s.company.is_empty() { s.user.office.name.clone() } else { s.company.clone() })
        })
        .unwrap_or_default()
}

fn copy_label(lang: Lang, c: Copy) -> String {
    match lang {
        Lang::Zh => format!("{}({})", c.zh, c.colour_zh),
        Lang::En => format!("{} ({})", c.en, c.zh),
    }
}

/// The print screen around a document: paper, the 打印 button and the count of presses.
/// `record` stores a press (true if stored); `sheets` draws the pages for a paper and a
/// reprint number.
#[component]
fn PrintScreen(
    back: String,
    #[prop(into)] prints: Signal<usize>,
    #[prop(into)] may_print: Signal<bool>,
    why_not: (&'static str, &'static str),
    record: Callback<Paper, bool>,
    sheets: Callback<(Paper, usize), AnyView>,
    #[prop(optional)] auto: bool,
) -> impl IntoView {
    let ctx = use_ctx();
    let i = ctx.i18n;
    let query = use_query_map();
    let office_paper = ctx.session.with_untracked(|s| s.as_ref().map(|s| s.user.office.paper).unwrap_or_default());
    let paper =
        RwSignal::new(query.with_untracked(|q| q.get("paper")).and_then(|p| Paper::parse(&p)).unwrap_or(office_paper));
    // The reprint number of the press just made (what went to the printer), else of the next press.
    let pressed: RwSignal<Option<usize>> = RwSignal::new(None);
    let press = move || {
        let before = prints.get_untracked();
        if record.run(paper.get_untracked()) {
            pressed.set(Some(before));
            sync::kick(ctx);
            // The page shows its reprint mark before the printer sees it.
            request_animation_frame(|| {
                if let Some(w) = web_sys::window() {
                    let _ = w.print();
                }
            });
        }
    };
    if auto {
        request_animation_frame(move || {
            if may_print.get_untracked() {
                press();
            }
        });
    }
    view! {
        <div class="print-screen">
            <div class="print-toolbar" role="toolbar" aria-label=i.s("打印", "Print")>
                <A href=back attr:class="button">{i.s("返回", "Back")}</A>
                <label for="print-paper">{i.s("打印纸", "Paper")}</label>
                <select id="print-paper" on:change=move |ev| { paper.set(Paper::parse(&event_target_value(&ev)).unwrap_or_default()); pressed.set(None); }
                    prop:value=move || paper.get().code()>
                    {Paper::ALL.into_iter().map(|p| view! { <option value=p.code()>{move || crate::pages::admin::paper_label(i.lang(), p)}</option> }).collect_view()}
                </select>
                <button type="button" id="print-now" class="primary" disabled=move || !may_print.get() on:click=move |_| press()>
                    {i.s("打印", "Print")}</button>
                <span class="muted" id="print-count" data-prints=move || prints.get()>{move || match (prints.get(), i.lang()) {
                    (0, Lang::Zh) => "尚未打印过".to_string(),
                    (0, Lang::En) => "Not printed yet".to_string(),
                    (n, Lang::Zh) => format!("已打印 {n} 次"),
                    (n, Lang::En) => format!("Printed {n} times"),
                }}</span>
                {move || (!may_print.get()).then(|| view! { <span class="hint" role="status">{move || i.t(why_not.0, why_not.1)}</span> })}
            </div>
            {move || sheets.run((paper.get(), pressed.get().unwrap_or_else(|| prints.get())))}
        </div>
    }
}

/// A document's pages: one per copy (or one for all on pin-feed paper; one if the document
/// has a single copy), each with the header, `body`, and the copy names in the footer.
fn sheets_view(
    paper: Paper,
    copies: &'static [Copy],
    reprint: usize,
    title: (&'static str, &'static str),
    number: (&'static str, &'static str, String),
    body: impl Fn() -> AnyView,
) -> AnyView {
    let i = use_ctx().i18n;
    let offset = use_ctx().offset_minutes();
    let company = company();
    let printed_at = format_local(now_ms(), offset);
    let pages: Vec<Option<Copy>> =
        if copies.is_empty() || one_print(paper) { vec![None] } else { copies.iter().copied().map(Some).collect() };
    view! {
        <div class=format!("sheets paper-{}", paper.code()) data-paper=paper.code()>
            {pages.into_iter().map(|copy| {
                let class = copy
                    .map(|c| format!("sheet copy-{} {}", c.code, c.colour_class()))
                    .unwrap_or_else(|| "sheet all-copies".into());
                let (company, (number_zh, number_en, number), printed_at) = (company.clone(), number.clone(), printed_at.clone());
                view! {
                    <section class=class data-copy=copy.map(|c| c.zh).unwrap_or("")>
                        {copy.map(|c| view! { <div class="copy-band">{move || copy_label(i.lang(), c)}</div> })}
                        <header class="form-head">
                            <div class="company">{company}</div>
                            <div class="form-title">{move || i.t(title.0, title.1)}</div>
                            {(reprint > 0).then(|| view! { <div class="reprint" data-reprint=reprint>{move || if i.lang() == Lang::Zh { format!("重印(第 {reprint} 次)") } else { format!("REPRINT (no. {reprint})") }}</div> })}
                            <div class="form-no">{(!number.is_empty()).then(|| view! { {move || i.t(number_zh, number_en)}" "<span class="mono">{number.clone()}</span> })}</div>
                        </header>
                        {body()}
                        <footer class="copy-names">
                            {match copy {
                                Some(c) => view! { <span>{move || copy_label(i.lang(), c)}</span> }.into_any(),
                                None if copies.is_empty() => ().into_any(),
                                None => view! { <span>{move || copies.iter().enumerate().map(|(n, c)| if i.lang() == Lang::Zh {
                                    format!("第{}联 {}", ["一", "二", "三", "四"][n.min(3)], copy_label(Lang::Zh, *c))
                                } else {
                                    format!("{}: {}", n + 1, copy_label(Lang::En, *c))
                                }).collect::<Vec<_>>().join("  ")}</span> }.into_any(),
                            }}
                            <span class="muted">{i.s(" 打印于 ", " printed ")}{printed_at}</span>
                        </footer>
                    </section>
                }
            }).collect_view()}
        </div>
    }
    .into_any()
}

fn id_param() -> Memo<Option<RecordId>> {
    let params = use_params_map();
    Memo::new(move |_| params.with(|p| p.get("id")).and_then(|s| RecordId::parse(&s).ok()))
}

/// `/orders/:id/print?doc=order|delivery`: the order form, or the local delivery note.
#[component]
pub fn PrintOrder() -> impl IntoView {
    let ctx = use_ctx();
    let query = use_query_map();
    let id = id_param();
    let form = match query.with_untracked(|q| q.get("doc")).as_deref() {
        Some("delivery") => PrintForm::Delivery,
        _ => PrintForm::Order,
    };
    let state = Memo::new(move |_| id.get().and_then(|id| ctx.replica.with(|r| r.get(Kind::ORDER, id).cloned())));
    let prints = Signal::derive(move || {
        state.with(|s| s.as_ref().map(|s| OrderView::from_record(s).prints(s, form)).unwrap_or(0))
    });
    let may_print = Signal::derive(move || {
        let role = ctx.actor().map(|a| a.role);
        state.with(|s| s.as_ref().zip(role).is_some_and(|(s, r)| workflow::may_take(&WORKFLOW, s, r.code(), "print")))
    });
    let record = Callback::new(move |paper: Paper| {
        let Some(id) = id.get_untracked() else { return false };
        match ctx.act(id, Action::Print { form, paper }) {
            Ok(()) => true,
            Err(e) => {
                ctx.report_save_error(&e);
                false
            }
        }
    });
    let sheets = Callback::new(move |(paper, reprint): (Paper, usize)| match state.get() {
        Some(s) if form == PrintForm::Delivery => delivery_sheets(s, paper, reprint),
        Some(s) => order_sheets(s, paper, reprint),
        None => not_here(),
    });
    // 复核并打印 arrives here asking to print at once.
    let auto = query.with_untracked(|q| q.get("then").as_deref() == Some("print"));
    let back = id.get_untracked().map(|id| format!("/orders/{id}")).unwrap_or_else(|| "/orders".into());
    view! {
        <PrintScreen back=back prints=prints may_print=may_print why_not=("复核后才能打印。", "It can be printed once reviewed.")
            record=record sheets=sheets auto=auto/>
    }
}

fn not_here() -> AnyView {
    let i = use_ctx().i18n;
    view! { <p>{i.s("这台设备上没有这条记录。", "This device does not hold the record.")}</p> }.into_any()
}

/// The order's facts, as both the order form and the delivery note show them.
fn order_facts(o: &OrderView, date: String) -> AnyView {
    let i = use_ctx().i18n;
    let payment = o.payment;
    view! {
        <table class="form-facts">
            <tbody>
                <tr>
                    <th scope="row">{i.s("客户", "Customer")}</th><td>{o.customer_name.clone()}</td>
                    <th scope="row">{i.s("日期", "Date")}</th><td>{date}</td>
                </tr>
                <tr>
                    <th scope="row">{i.s("电话", "Phone")}</th><td>{o.phone.clone()}</td>
                    <th scope="row">{i.s("结款", "Terms")}</th><td>{move || payment.map(|p| i18n::payment(i.lang(), p)).unwrap_or_default()}</td>
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
    }
    .into_any()
}

/// The order's lines with prices and the total in figures and in capitals.
fn order_lines(o: &OrderView) -> AnyView {
    let i = use_ctx().i18n;
    view! {
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
            <span>{i.s("小写:", "Total: ")}<strong class="num" data-total=o.total.0.to_string()>{o.total.to_string()}</strong></span>
        </div>
    }
    .into_any()
}

fn sign(label: (&'static str, &'static str), name: String) -> AnyView {
    let i = use_ctx().i18n;
    view! { <div class="sign"><span>{move || i.t(label.0, label.1)}</span><span class="sign-box">{name}</span></div> }
        .into_any()
}

/// 销售单四联.
fn order_sheets(state: RecordState, paper: Paper, reprint: usize) -> AnyView {
    let i = use_ctx().i18n;
    let offset = use_ctx().offset_minutes();
    let o = OrderView::from_record(&state);
    let date = o.created.map(|c| local_date(c.wall_ms, offset).to_string()).unwrap_or_default();
    let clerk = state.log.values().next().map(|l| l.name.clone()).unwrap_or_default();
    let (reviewer, cashier) = (taker(&state, &o, "review"), taker(&state, &o, "audit"));
    let number = ("单号", "No.", o.number.clone());
    sheets_view(paper, &ORDER_COPIES, reprint, ("销 售 单", "Sales order"), number, move || {
        let stamp = o.stamp;
        view! {
            {order_facts(&o, date.clone())}
            {order_lines(&o)}
            <div class="form-foot">
                {sign(("开单", "Clerk"), clerk.clone())}
                {sign(("复核", "Reviewer"), reviewer.clone())}
                {sign(("收银", "Cashier"), cashier.clone())}
                <div class="stamp-box" data-stamp=stamp.map(common::desk::order::stamp_code).unwrap_or("")>
                    {match stamp {
                        Some(s) => view! { <span class="stamp">{move || i18n::stamp(i.lang(), s)}</span> }.into_any(),
                        None => view! { <span class="muted">{i.s("收银盖章", "Cashier's stamp")}</span> }.into_any(),
                    }}
                </div>
            </div>
        }
        .into_any()
    })
}

/// 送货单三联: for goods the company delivers itself; the customer signs the receipt copy.
fn delivery_sheets(state: RecordState, paper: Paper, reprint: usize) -> AnyView {
    let offset = use_ctx().offset_minutes();
    let o = OrderView::from_record(&state);
    let today = local_date(now_ms(), offset).to_string();
    let number = ("订单号", "Order no.", o.number.clone());
    sheets_view(paper, &DELIVERY_COPIES, reprint, ("送 货 单", "Delivery note"), number, move || {
        view! {
            {order_facts(&o, today.clone())}
            {order_lines(&o)}
            <div class="form-foot">
                {sign(("送货人", "Delivered by"), String::new())}
                {sign(("客户签收", "Received by (customer)"), String::new())}
                {sign(("日期", "Date"), String::new())}
            </div>
        }
        .into_any()
    })
}

/// `/shipments/:id/print?doc=letter|packing`: the goods-received confirmation letter, or
/// the packing list that goes in a branch's box (内有清单).
#[component]
pub fn PrintShipment() -> impl IntoView {
    let ctx = use_ctx();
    let query = use_query_map();
    let id = id_param();
    let form: &'static str = match query.with_untracked(|q| q.get("doc")).as_deref() {
        Some("packing") => "packing",
        _ => "letter",
    };
    let state = Memo::new(move |_| id.get().and_then(|id| ctx.replica.with(|r| r.get(Kind::SHIPMENT, id).cloned())));
    let prints = Signal::derive(move || state.with(|s| s.as_ref().map(|s| shipping::prints(s, form)).unwrap_or(0)));
    let may_print = Signal::derive(move || {
        let role = ctx.actor().map(|a| a.role);
        state.with(|s| {
            s.as_ref().zip(role).is_some_and(|(s, r)| workflow::may_take(&SHIPMENT_WORKFLOW, s, r.code(), "print"))
        })
    });
    let record = Callback::new(move |_paper: Paper| {
        let Some(id) = id.get_untracked() else { return false };
        match ctx.ship_step(Kind::SHIPMENT, id, ShipAction::Print { form: form.into() }, BTreeMap::new()) {
            Ok(()) => true,
            Err(e) => {
                ctx.report_save_error(&e);
                false
            }
        }
    });
    let sheets = Callback::new(move |(paper, reprint): (Paper, usize)| match state.get() {
        Some(s) => shipment_sheets(ShipmentView::from_record(&s), form, paper, reprint),
        None => not_here(),
    });
    let back = state
        .get_untracked()
        .map(|s| ShipmentView::from_record(&s))
        .and_then(|s| s.order.filter(|o| ctx.replica.with_untracked(|r| r.get(Kind::ORDER, *o).is_some())))
        .map(|o| format!("/orders/{o}"))
        .unwrap_or_else(|| "/shipments".into());
    view! {
        <PrintScreen back=back prints=prints may_print=may_print why_not=("你的角色不能打印这份单据。", "Your role does not print this paper.")
            record=record sheets=sheets/>
    }
}

fn shipment_lines(s: &ShipmentView) -> AnyView {
    let i = use_ctx().i18n;
    view! {
        <table class="form-lines">
            <thead><tr>
                <th scope="col">{i.s("序", "#")}</th>
                <th scope="col">{i.s("型号", "Model")}</th>
                <th scope="col">{i.s("名称", "Name")}</th>
                <th scope="col" class="num">{i.s("数量", "Qty")}</th>
            </tr></thead>
            <tbody>
                {s.lines.iter().enumerate().map(|(n, l)| view! {
                    <tr><td>{n + 1}</td><td class="mono">{l.model.clone()}</td><td>{l.name.clone()}</td><td class="num">{l.quantity}</td></tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

fn shipment_sheets(s: ShipmentView, form: &'static str, paper: Paper, reprint: usize) -> AnyView {
    let i = use_ctx().i18n;
    let title = if form == "packing" {
        ("装箱清单(内有清单)", "Packing list (in the box)")
    } else {
        ("收货确认函", "Goods-received confirmation")
    };
    let number = ("订单号", "Order no.", s.order_number.clone());
    sheets_view(paper, &ONE_COPY, reprint, title, number, move || {
        let waybills =
            s.waybills.iter().map(|w| format!("{} × {}", w.number, w.packages)).collect::<Vec<_>>().join(", ");
        let name = if s.direct && !s.full_name.is_empty() { s.full_name.clone() } else { s.customer_name.clone() };
        let date = s.ship_date.map(|d| d.to_string()).unwrap_or_default();
        let expected = s.expected_arrival.map(|d| d.to_string()).unwrap_or_default();
        let to = s.to_branch.as_ref().map(|b| b.to_string()).unwrap_or_default();
        view! {
            <table class="form-facts">
                <tbody>
                    <tr>
                        <th scope="row">{if form == "packing" { i.s("收货分公司", "To branch") } else { i.s("致", "To") }}</th>
                        <td>{if form == "packing" { to.clone() } else { name.clone() }}</td>
                        <th scope="row">{i.s("发货日期", "Shipped")}</th><td>{date.clone()}</td>
                    </tr>
                    <tr>
                        <th scope="row">{i.s("货站", "Station")}</th><td>{s.station.clone()}" "{s.station_phone.clone()}</td>
                        <th scope="row">{i.s("预计到货", "Expected")}</th><td>{expected.clone()}</td>
                    </tr>
                    <tr>
                        <th scope="row">{i.s("运单 × 件数", "Waybills × packages")}</th><td colspan="3">{waybills.clone()}</td>
                    </tr>
                </tbody>
            </table>
            {shipment_lines(&s)}
            {if form == "packing" {
                view! {
                    <p class="letter">{i.s("本箱内有清单。收货后请逐项清点,如有短缺或破损,请当日告知总部物流。",
                        "This box holds its packing list. Count every line on arrival and tell head office logistics the same day of anything short or broken.")}</p>
                    <div class="form-foot">
                        {sign(("装箱", "Packed by"), String::new())}
                        {sign(("点二遍", "Counted twice by"), String::new())}
                        {sign(("分公司收货", "Received at branch"), String::new())}
                    </div>
                }.into_any()
            } else {
                view! {
                    <p class="letter">{i.s("上列货物已于上述日期发出。收到货物后,请核对品名与数量,签字盖章后将本函寄回或传真回我公司。谢谢!",
                        "The goods above left on the date shown. On receipt, please check names and quantities, then sign, stamp and return this letter to us. Thank you.")}</p>
                    <div class="form-foot">
                        {sign(("收货单位(盖章)", "Received by (stamp)"), String::new())}
                        {sign(("签收人", "Signed"), String::new())}
                        {sign(("日期", "Date"), String::new())}
                    </div>
                }.into_any()
            }}
        }
        .into_any()
    })
}

/// `/station-log/:id/print`: the freight station's two-part note, for the warehouse
/// supervisor's signature.
#[component]
pub fn PrintStationNote() -> impl IntoView {
    let ctx = use_ctx();
    let id = id_param();
    let state = Memo::new(move |_| id.get().and_then(|id| ctx.replica.with(|r| r.get(Kind::STATION_LOG, id).cloned())));
    let prints =
        Signal::derive(move || state.with(|s| s.as_ref().map(|s| shipping::prints(s, "station_note")).unwrap_or(0)));
    let may_print = Signal::derive(move || {
        let role = ctx.actor().map(|a| a.role);
        state.with(|s| {
            s.as_ref().zip(role).is_some_and(|(s, r)| workflow::may_take(&STATION_LOG_WORKFLOW, s, r.code(), "print"))
        })
    });
    let record = Callback::new(move |_paper: Paper| {
        let Some(id) = id.get_untracked() else { return false };
        match ctx.ship_step(Kind::STATION_LOG, id, ShipAction::Print { form: "station_note".into() }, BTreeMap::new()) {
            Ok(()) => true,
            Err(e) => {
                ctx.report_save_error(&e);
                false
            }
        }
    });
    let sheets = Callback::new(move |(paper, reprint): (Paper, usize)| match state.get() {
        Some(s) => station_sheets(LogView::from_record(&s), paper, reprint),
        None => not_here(),
    });
    view! {
        <PrintScreen back="/shipments".to_string() prints=prints may_print=may_print
            why_not=("你的角色不能打印这份单据。", "Your role does not print this paper.") record=record sheets=sheets/>
    }
}

fn station_sheets(e: LogView, paper: Paper, reprint: usize) -> AnyView {
    let i = use_ctx().i18n;
    let title = match e.kind {
        Some(LogKind::Arrival) => ("货站到货单", "Station arrival note"),
        _ => ("货站返货单", "Station return note"),
    };
    sheets_view(
        paper,
        &STATION_NOTE_COPIES,
        reprint,
        title,
        ("订单号", "Order no.", e.order_number.clone()),
        move || {
            view! {
            <table class="form-facts">
                <tbody>
                    <tr>
                        <th scope="row">{i.s("货站", "Station")}</th><td>{e.station.clone()}</td>
                        <th scope="row">{i.s("电话", "Phone")}</th><td>{e.station_phone.clone()}</td>
                    </tr>
                    <tr>
                        <th scope="row">{i.s("日期", "Date")}</th><td>{e.date.map(|d| d.to_string()).unwrap_or_default()}</td>
                        <th scope="row">{i.s("件数", "Packages")}</th><td>{e.packages}</td>
                    </tr>
                    <tr>
                        <th scope="row">{i.s("运费", "Freight")}</th><td colspan="3">{e.freight.to_string()}</td>
                    </tr>
                    <tr><th scope="row">{i.s("备注", "Notes")}</th><td colspan="3">{e.notes.clone()}</td></tr>
                </tbody>
            </table>
            {(!e.lines.is_empty()).then(|| view! {
                <table class="form-lines">
                    <thead><tr>
                        <th scope="col">{i.s("型号", "Model")}</th>
                        <th scope="col">{i.s("名称", "Name")}</th>
                        <th scope="col" class="num">{i.s("退回数量", "Qty returned")}</th>
                    </tr></thead>
                    <tbody>
                        {e.lines.iter().map(|l| view! { <tr><td class="mono">{l.model.clone()}</td><td>{l.name.clone()}</td><td class="num">{l.quantity}</td></tr> }).collect_view()}
                    </tbody>
                </table>
            })}
            <div class="form-foot">
                {sign(("经办", "Logged by"), String::new())}
                {sign(("仓库主管签字", "Warehouse supervisor"), String::new())}
            </div>
        }
        .into_any()
        },
    )
}

/// (model, name, quantity to pick).
type PickLine = (String, String, i64);

/// `/picking/print?date=YYYY-MM-DD`: the day's picking list for the warehouse: every
/// line still to ship of the orders audited (or handed over) by that day.
#[component]
pub fn PrintPicking() -> impl IntoView {
    let ctx = use_ctx();
    let query = use_query_map();
    let offset = ctx.offset_minutes();
    let day = query
        .with_untracked(|q| q.get("date"))
        .and_then(|d| Date::parse(&d))
        .unwrap_or_else(|| local_date(now_ms(), offset));
    let sheets = Callback::new(move |(paper, _): (Paper, usize)| {
        // Read once, shipping grouped by order.
        let rows: Vec<OrderView> = crate::pages::reports::books(ctx)
            .orders
            .into_iter()
            .filter(|o| matches!(o.status, Status::Audited | Status::HandedOver | Status::PartlyShipped))
            .filter(|o| o.created.is_some_and(|c| local_date(c.wall_ms, offset) <= day))
            .collect();
        let rows: Vec<(OrderView, Vec<PickLine>)> = rows
            .into_iter()
            .map(|o| {
                let (shipping, _) = ctx.shipping_of(&o);
                let lines = o
                    .lines
                    .iter()
                    .zip(shipping.lines.iter().map(|l| l.remaining).chain(std::iter::repeat(i64::MAX)))
                    .map(|(l, remaining)| (l.model.clone(), l.name.clone(), remaining.min(l.quantity)))
                    .filter(|(_, _, q)| *q > 0)
                    .collect();
                (o, lines)
            })
            .filter(|(_, lines): &(OrderView, Vec<_>)| !lines.is_empty())
            .collect();
        let i = ctx.i18n;
        sheets_view(
            paper,
            &ONE_COPY,
            0,
            ("备货单", "Picking list"),
            ("日期", "Date", day.to_string()),
            move || {
                view! {
                <table class="form-lines picking">
                    <thead><tr>
                        <th scope="col">{i.s("订单", "Order")}</th>
                        <th scope="col">{i.s("客户", "Customer")}</th>
                        <th scope="col">{i.s("货站", "Station")}</th>
                        <th scope="col">{i.s("型号", "Model")}</th>
                        <th scope="col">{i.s("名称", "Name")}</th>
                        <th scope="col" class="num">{i.s("待发", "To pick")}</th>
                    </tr></thead>
                    <tbody>
                        {rows.iter().flat_map(|(o, lines)| lines.iter().map(move |(model, name, q)| view! {
                            <tr data-order=o.number.clone()>
                                <td class="mono">{o.number.clone()}</td><td>{o.customer_name.clone()}</td><td>{o.station.clone()}</td>
                                <td class="mono">{model.clone()}</td><td>{name.clone()}</td><td class="num">{*q}</td>
                            </tr>
                        })).collect_view()}
                    </tbody>
                </table>
                {rows.is_empty().then(|| view! { <p>{i.s("没有要备的货。", "Nothing to pick.")}</p> })}
            }
            .into_any()
            },
        )
    });
    view! {
        <PrintScreen back="/shipments".to_string() prints=Signal::derive(|| 0) may_print=Signal::derive(|| true)
            why_not=("", "") record=Callback::new(|_| true) sheets=sheets/>
    }
}

/// `/customers/:id/statement?from=YYYY-MM-DD&to=YYYY-MM-DD`: the customer's statement
/// (对账单) for the period, on A4, to print or save as a PDF and send.
#[component]
pub fn PrintStatement() -> impl IntoView {
    let ctx = use_ctx();
    let query = use_query_map();
    let id = id_param();
    let offset = ctx.offset_minutes();
    let today = local_date(now_ms(), offset);
    let from = query
        .with_untracked(|q| q.get("from"))
        .and_then(|d| Date::parse(&d))
        .unwrap_or_else(|| Date::new(today.year, today.month, 1).unwrap_or(today));
    let to = query.with_untracked(|q| q.get("to")).and_then(|d| Date::parse(&d)).unwrap_or(today);
    let sheets = Callback::new(move |(paper, _): (Paper, usize)| {
        let i = ctx.i18n;
        let Some(customer) = id.get().and_then(|id| {
            ctx.replica.with(|r| r.get(Kind::CUSTOMER, id).map(common::desk::customer::CustomerView::from_record))
        }) else {
            return not_here();
        };
        // The same books and selection as the server's .xlsx export of this statement.
        let st = crate::pages::reports::books(ctx).statement_of(&customer, from, to);
        let name = if customer.full_name.is_empty() { customer.name.clone() } else { customer.full_name.clone() };
        sheets_view(
            paper,
            &ONE_COPY,
            0,
            ("对 账 单", "Statement of account"),
            ("期间", "Period", format!("{from} — {to}")),
            move || {
                let st = st.clone();
                view! {
                <table class="form-facts">
                    <tbody>
                        <tr><th scope="row">{i.s("客户", "Customer")}</th><td colspan="3">{name.clone()}</td></tr>
                        <tr>
                            <th scope="row">{i.s("期初余额", "Brought forward")}</th><td class="num" data-opening=st.opening.0>{st.opening.to_string()}</td>
                            <th scope="row">{i.s("期末余额", "Carried forward")}</th><td class="num" data-closing=st.closing.0>{st.closing.to_string()}</td>
                        </tr>
                    </tbody>
                </table>
                <table class="form-lines statement">
                    <thead><tr>
                        <th scope="col">{i.s("日期", "Date")}</th>
                        <th scope="col">{i.s("摘要", "Item")}</th>
                        <th scope="col">{i.s("单据", "Document")}</th>
                        <th scope="col" class="num">{i.s("借方(应收)", "Debit")}</th>
                        <th scope="col" class="num">{i.s("贷方(收回)", "Credit")}</th>
                        <th scope="col" class="num">{i.s("余额", "Balance")}</th>
                    </tr></thead>
                    <tbody>
                        {st.rows.iter().map(|r| {
                            let kind = r.kind;
                            view! {
                                <tr>
                                    <td>{r.date.to_string()}</td>
                                    <td>{move || match kind {
                                        common::desk::statement::RowKind::Opening => i.t(common::desk::opening::LABEL.0, common::desk::opening::LABEL.1),
                                        common::desk::statement::RowKind::Delivery => i.t("发货", "Delivery"),
                                        common::desk::statement::RowKind::Return => i.t("退货", "Return"),
                                        common::desk::statement::RowKind::Payment => i.t("回款", "Payment"),
                                    }}</td>
                                    <td class="mono">{r.document.clone()}</td>
                                    <td class="num">{(r.debit.0 != 0).then(|| r.debit.to_string())}</td>
                                    <td class="num">{(r.credit.0 != 0).then(|| r.credit.to_string())}</td>
                                    <td class="num">{r.balance.to_string()}</td>
                                </tr>
                            }
                        }).collect_view()}
                        <tr class="totals">
                            <td colspan="3">{i.s("本期合计", "Period total")}</td>
                            <td class="num" data-debits=st.debits.0>{st.debits.to_string()}</td>
                            <td class="num" data-credits=st.credits.0>{st.credits.to_string()}</td>
                            <td class="num">{st.closing.to_string()}</td>
                        </tr>
                    </tbody>
                </table>
                <p class="letter">{i.s("请核对上列往来。如无异议,请签字盖章后寄回或传真回我公司;如有出入,请注明。",
                    "Please check the items above. If they are right, sign, stamp and return this statement; if not, note what differs.")}</p>
                <div class="form-foot">
                    {sign(("客户确认(盖章)", "Confirmed by the customer (stamp)"), String::new())}
                    {sign(("日期", "Date"), String::new())}
                </div>
            }
            .into_any()
            },
        )
    });
    let back = id.get_untracked().map(|id| format!("/customers/{id}")).unwrap_or_else(|| "/customers".into());
    view! {
        <PrintScreen back=back prints=Signal::derive(|| 0) may_print=Signal::derive(|| true)
            why_not=("", "") record=Callback::new(|_| true) sheets=sheets/>
    }
}
