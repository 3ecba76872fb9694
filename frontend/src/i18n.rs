//! Two languages: Simplified Chinese by default, English one click away. Texts sit at
//! their call sites as (中文, English) pairs, so a screen reads as what it shows.

use common::desk::order::{PaymentStamp, PaymentTerms, Problem, Status};
use common::desk::permissions::Role;
use leptos::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
    pub fn lang(self) -> Lang {
        self.0.get()
    }
}

pub fn use_i18n() -> I18n {
    expect_context::<I18n>()
}

pub fn status(lang: Lang, s: Status) -> &'static str {
    let (zh, en) = match s {
        Status::Entered => ("已录入", "Entered"),
        Status::Reviewed => ("已复核", "Reviewed"),
        Status::Audited => ("已审核", "Audited"),
        Status::HandedOver => ("已交物流", "With logistics"),
        Status::Shipped => ("已发货", "Shipped"),
        Status::Voided => ("已作废", "Voided"),
    };
    pick(lang, zh, en)
}

pub fn payment(lang: Lang, p: PaymentTerms) -> &'static str {
    let (zh, en) = match p {
        PaymentTerms::Prepay => ("款到发货", "Prepay"),
        PaymentTerms::OnArrival => ("货到付款", "Pay on arrival"),
        PaymentTerms::Monthly => ("月结", "Monthly"),
        PaymentTerms::Cash => ("现款", "Cash"),
    };
    pick(lang, zh, en)
}

pub fn stamp(lang: Lang, s: PaymentStamp) -> &'static str {
    let (zh, en) = match s {
        PaymentStamp::Collect => ("代收", "Collect on delivery"),
        PaymentStamp::Receivable => ("外地应收", "Out-of-town receivable"),
        PaymentStamp::Paid => ("取款", "Paid"),
    };
    pick(lang, zh, en)
}

pub fn role(lang: Lang, r: Role) -> &'static str {
    let (zh, en) = match r {
        Role::Clerk => ("内勤", "Clerk"),
        Role::Reviewer => ("复核", "Reviewer"),
        Role::Cashier => ("收银", "Cashier"),
        Role::Logistics => ("物流", "Logistics"),
        Role::Salesperson => ("业务员", "Salesperson"),
        Role::Manager => ("经理", "Manager"),
        Role::Admin => ("管理员", "Administrator"),
    };
    pick(lang, zh, en)
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
        Problem::InvalidDate => ("日期无效", "Not a valid date"),
        Problem::InvalidPhone => ("电话号码无效", "Not a phone number"),
        Problem::NoLines => ("至少需要一行商品", "Add at least one line"),
        Problem::LineWithoutProduct => ("这一行没有商品", "This line has no product"),
        Problem::UnknownChoice => ("请选择一项", "Choose one of the options"),
        Problem::WrongType => ("格式不对", "Wrong format"),
        Problem::UnknownField => ("未知字段", "Unknown field"),
    };
    pick(lang, zh, en)
}

fn pick(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}
