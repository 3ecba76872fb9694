//! Two languages: Simplified Chinese by default, English one click away. Texts sit at
//! their call sites as (中文, English) pairs, so a screen reads as what it shows.

use common::desk::money::Fen;
use common::desk::order::{FieldError, OrderLine, PaymentStamp, PaymentTerms, Problem, Status};
use common::desk::permissions::Role;
use leptos::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }
    pub fn parse(s: &str) -> Lang {
        if s == "en" {
            Lang::En
        } else {
            Lang::Zh
        }
    }
}

/// The current language, shared through context.
#[derive(Clone, Copy)]
pub struct I18n(pub RwSignal<Lang>);

impl I18n {
    /// Reactive: call inside a closure in `view!` so it re-renders on switch.
    pub fn t(self, zh: &'static str, en: &'static str) -> &'static str {
        match self.0.get() {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
    /// The same as a piece of view or an attribute: one signal type for every text, so
    /// a screen's hundreds of labels share one piece of rendering code (the app is smaller).
    pub fn s(self, zh: &'static str, en: &'static str) -> Signal<&'static str> {
        Signal::derive(move || self.t(zh, en))
    }

    pub fn lang(self) -> Lang {
        self.0.get()
    }
}

pub fn use_i18n() -> I18n {
    expect_context::<I18n>()
}

pub fn status(lang: Lang, s: Status) -> &'static str {
    let (zh, en) = common::desk::labels::status(s);
    pick(lang, zh, en)
}

pub fn payment(lang: Lang, p: PaymentTerms) -> &'static str {
    let (zh, en) = common::desk::labels::terms(p);
    pick(lang, zh, en)
}

pub fn stamp(lang: Lang, s: PaymentStamp) -> &'static str {
    let (zh, en) = common::desk::labels::stamp(s);
    pick(lang, zh, en)
}

pub fn role(lang: Lang, r: Role) -> &'static str {
    let (zh, en) = common::desk::labels::role(r);
    pick(lang, zh, en)
}

/// A field's problem in words, stating the limit where there is one ("最多 500 字").
pub fn problem_text(lang: Lang, e: &FieldError) -> String {
    let quantity = e.field.ends_with(".quantity");
    match (e.problem, e.limit, lang) {
        (Problem::TooLong, Some(n), Lang::Zh) => format!("最多 {n} 字"),
        (Problem::TooLong, Some(n), Lang::En) => format!("At most {n} characters"),
        (
            Problem::MustBePositive | Problem::TooLarge | Problem::NotAWholeNumber | Problem::NotANumber,
            Some(n),
            Lang::Zh,
        ) if quantity => {
            format!("数量须为 1–{} 的整数", group(n))
        }
        (
            Problem::MustBePositive | Problem::TooLarge | Problem::NotAWholeNumber | Problem::NotANumber,
            Some(n),
            Lang::En,
        ) if quantity => {
            format!("Quantity must be a whole number 1–{}", group(n))
        }
        (p, _, lang) => problem(lang, p).to_string(),
    }
}

/// 1000000 → 1,000,000.
fn group(n: i64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (k, c) in digits.chars().enumerate() {
        if k > 0 && (digits.len() - k).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub fn problem(lang: Lang, p: Problem) -> &'static str {
    let (zh, en) = match p {
        Problem::Required => ("必填", "Required"),
        Problem::TooLong => ("太长了", "Too long"),
        Problem::NotANumber => ("请输入数字", "Enter a number"),
        Problem::NotAWholeNumber => ("请输入整数", "Enter a whole number"),
        Problem::MustBePositive => ("数量必须大于零", "Must be more than zero"),
        Problem::Negative => ("不能为负数", "Cannot be negative"),
        Problem::TooManyDecimals => ("最多两位小数", "At most two decimals"),
        Problem::TooLarge => ("数值太大", "Too large"),
        Problem::InvalidDate => (
            "日期无效:可填 今天、明天、+3、12-05 或 2026-12-05",
            "Not a date: try today, tomorrow, +3, 12-05 or 2026-12-05",
        ),
        Problem::InvalidPhone => ("电话号码无效", "Not a phone number"),
        Problem::NoLines => ("至少需要一行商品", "Add at least one line"),
        Problem::LineWithoutProduct => ("这一行没有商品", "This line has no product"),
        Problem::UnknownChoice => ("请选择一项", "Choose one of the options"),
        Problem::WrongType => ("格式不对", "Wrong format"),
        Problem::UnknownField => ("未知字段", "Unknown field"),
        Problem::Taken => ("已被另一条记录使用", "Already used by another record"),
    };
    pick(lang, zh, en)
}

/// A step's name: 复核, 收银审核, ...
pub fn step(lang: Lang, code: &str) -> &'static str {
    let (zh, en) = match code {
        "review" => ("复核", "review"),
        "audit" => ("收银审核", "cashier audit"),
        "hand_over" => ("交物流", "hand-over to logistics"),
        "ship" => ("发货", "shipment"),
        "void" => ("作废", "void"),
        "unvoid" => ("撤销作废", "void withdrawn"),
        "confirm_void" => ("确认作废并通知物流拦截", "void confirmed, logistics to intercept"),
        "correct" => ("更正", "correction"),
        "print" => ("打印", "print"),
        "notify" => ("发货通知", "shipment call"),
        "receipt" => ("签收", "receipt"),
        "override" => ("经理放行", "let go by a manager"),
        "confirm" => ("确认收款", "payment confirmed"),
        _ => ("其他操作", "other step"),
    };
    pick(lang, zh, en)
}

/// An order field's name as people call it (客户电话, not `phone`).
/// A catalogue record's field, by name.
pub fn catalogue_field(lang: Lang, name: &str) -> &'static str {
    let (zh, en) = match name {
        "model" => ("型号", "Model"),
        "name" => ("名称", "Name"),
        "unit" => ("单位", "Unit"),
        "price" => ("单价", "Price"),
        "initials" => ("拼音首字母", "Pinyin initials"),
        "is_new" => ("新品", "New product"),
        "phone" => ("电话", "Phone"),
        "contract" => ("合同号", "Contract no."),
        "station" => ("货站", "Freight station"),
        "station_phone" => ("货站电话", "Station phone"),
        "station_contract" => ("合同号", "Contract no."),
        "ship_date" => ("发货日期", "Ship date"),
        "expected_arrival" => ("预计到货", "Expected arrival"),
        "waybills" => ("运单", "Waybills"),
        "lines" => ("数量", "Quantities"),
        "direct" => ("直发", "Direct"),
        "full_name" => ("全称", "Full name"),
        "to_branch" => ("发往分公司", "To branch"),
        "notes" => ("备注", "Notes"),
        "packages" => ("件数", "Packages"),
        "freight" => ("运费", "Freight"),
        "date" => ("日期", "Date"),
        "contact" => ("联系人", "Contact"),
        "address" => ("地址", "Address"),
        "payment" => ("结款方式", "Payment terms"),
        "credit_limit" => ("信用额度", "Credit limit"),
        "class" => ("等级", "Class"),
        "salesperson" => ("业务员", "Salesperson"),
        "contacts" => ("其他联系人", "Other contacts"),
        "addresses" => ("其他送货地址", "Other addresses"),
        _ => ("其他", "Other"),
    };
    pick(lang, zh, en)
}

pub fn field(lang: Lang, name: &str) -> &'static str {
    let (zh, en) = match name {
        "number" => ("单号", "Order number"),
        "customer" => ("客户档案", "Customer record"),
        "customer_name" => ("客户", "Customer"),
        "phone" => ("客户电话", "Customer phone"),
        "address" => ("送货地址", "Delivery address"),
        "lines" => ("商品明细", "Lines"),
        "station" => ("货站", "Freight station"),
        "station_contract" => ("合同号/会员号", "Contract / member no."),
        "delivery_date" => ("要货日期", "Delivery date"),
        "payment" => ("结款方式", "Payment terms"),
        "notes" => ("备注", "Notes"),
        "read_back" => ("已复述", "Read back"),
        _ => ("其他", "Other"),
    };
    pick(lang, zh, en)
}

/// A field's value as people read it: lines as "AJ-8801 ×3 @¥22.00", terms by name.
pub fn show_value(lang: Lang, field: &str, v: &serde_json::Value) -> String {
    use serde_json::Value;
    match (field, v) {
        (_, Value::Null) => pick(lang, "(空)", "(empty)").to_string(),
        ("lines", _) => match <Vec<OrderLine> as serde::Deserialize>::deserialize(v) {
            Ok(lines) => lines
                .iter()
                .map(|l| format!("{} {} ×{} @{}", l.model, l.name, l.quantity, l.unit_price))
                .collect::<Vec<_>>()
                .join(";"),
            Err(_) => v.to_string(),
        },
        ("payment", Value::String(s)) => {
            PaymentTerms::parse(s).map(|p| payment(lang, p).to_string()).unwrap_or_default()
        }
        ("customer", Value::String(_)) => pick(lang, "(客户档案)", "(customer record)").to_string(),
        (_, Value::String(s)) if s.is_empty() => pick(lang, "(空)", "(empty)").to_string(),
        (_, Value::String(s)) => s.clone(),
        (_, Value::Number(n)) if field == "price" => Fen(n.as_i64().unwrap_or(0)).to_string(),
        (_, other) => other.to_string(),
    }
}

/// Why the server refused a change, by its code.
pub fn refusal(lang: Lang, code: &str) -> &'static str {
    let (zh, en) = match code {
        "locked" => (
            "这张订单已经过复核或审核,你的角色现在不能再改它;请联系内勤或经理。",
            "This order has been reviewed or audited; your role can no longer change it. Ask the desk or a manager.",
        ),
        "closed" => (
            "订单已发货或已作废,不能再修改;需要更正请经理操作。",
            "The order is shipped or voided and can no longer be edited; a manager can correct it.",
        ),
        "approved_changed" => (
            "你确认时看到的订单已被别人修改,请重新查看后再操作。",
            "The order changed after you looked at it; look again, then act.",
        ),
        "not_ready" => ("前一步还没有完成。", "The step before this one is not done yet."),
        "forbidden" => ("你的角色或所在办公室不能做这件事。", "Your role or office may not do this."),
        "invalid" => ("内容不符合要求。", "Something in it is not valid."),
        "incomplete" => ("缺少必填内容。", "Something required is missing."),
        "clock_ahead" => {
            ("这台设备的时间不对,请校准时间后重试。", "This device's clock is wrong; set it right and retry.")
        }
        "office_mismatch" => ("记录属于另一个办公室。", "The record belongs to another office."),
        "nothing_to_settle" => ("已经没有需要处理的冲突。", "There is no longer anything to settle."),
        "unpaid" => (
            "款到发货的订单,收款确认前不能交物流或发货;需要先发货请经理放行。",
            "A prepay order goes to logistics once the payment is confirmed; a manager can let it go earlier.",
        ),
        "not_found" => ("服务器上没有这张订单。", "The server does not have this order."),
        "over_credit" => (
            "这张月结/货到付款订单超出客户的信用额度,需经理放行后才能收银审核。",
            "This credit order takes the customer over their limit; a manager must let it go before the cashier's audit.",
        ),
        "duplicate_id" | "seq_reused" => ("同一修改被重复发送。", "The same change was sent twice."),
        _ => ("服务器拒绝了这次修改。", "The server refused this change."),
    };
    pick(lang, zh, en)
}

/// The name a screen reader gives a line's remove button.
pub fn remove_line(lang: Lang, n: usize) -> String {
    match lang {
        Lang::Zh => format!("删除第 {n} 行"),
        Lang::En => format!("Remove line {n}"),
    }
}

pub fn pick(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

/// How a fetch from the server went (an order this device no longer holds, or a search of
/// the server's older orders).
pub fn fetched(lang: Lang, f: &crate::sync::Fetched) -> String {
    use crate::sync::Fetched;
    match (f, lang) {
        (Fetched::Asking, Lang::Zh) => "正在向服务器查找…".into(),
        (Fetched::Asking, Lang::En) => "Asking the server…".into(),
        (Fetched::Found(0, _), Lang::Zh) => "服务器上没有更多符合的订单。".into(),
        (Fetched::Found(0, _), Lang::En) => "The server has no more matching orders.".into(),
        (Fetched::Found(n, false), Lang::Zh) => format!("从服务器取回了 {n} 张较早的订单。"),
        (Fetched::Found(1, false), Lang::En) => "Brought back 1 older order from the server.".into(),
        (Fetched::Found(n, false), Lang::En) => format!("Brought back {n} older orders from the server."),
        (Fetched::Found(n, true), Lang::Zh) => format!("从服务器取回了 {n} 张;符合的还有更多,请多输入几个字缩小范围。"),
        (Fetched::Found(n, true), Lang::En) => {
            format!("Brought back {n} from the server; more match: type more to narrow the search.")
        }
        (Fetched::Offline, Lang::Zh) => "连不上服务器:联网后再试。".into(),
        (Fetched::Offline, Lang::En) => "Cannot reach the server: try again when online.".into(),
        (Fetched::Failed(_, m), Lang::Zh) => format!("服务器没有给出结果:{m}"),
        (Fetched::Failed(m, _), Lang::En) => format!("The server gave no answer: {m}"),
    }
}
