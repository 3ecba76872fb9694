//! What states, terms, stamps, roles and methods are called, in (中文, English): one
//! table for the screens and for the server's spreadsheets, so an export reads as the
//! app does.

use crate::desk::order::{PaymentStamp, PaymentTerms, Status};
use crate::desk::payments::Method;
use crate::desk::permissions::Role;

/// What a kind of record is called.
pub fn kind(k: crate::engine::record::Kind) -> (&'static str, &'static str) {
    use crate::engine::record::Kind;
    match k {
        Kind::ORDER => ("订单", "Orders"),
        Kind::CUSTOMER => ("客户", "Customers"),
        Kind::PRODUCT => ("产品", "Products"),
        Kind::STATION => ("物流站", "Stations"),
        Kind::SHIPMENT => ("发货", "Shipments"),
        Kind::STATION_LOG => ("物流站记录", "Station log"),
        Kind::PAYMENT => ("收款", "Payments"),
        Kind::RECONCILIATION => ("对账", "Statements sent"),
        Kind::CASH_DAY => ("日资金报表", "Cash days"),
        Kind::OPENING => ("期初余额", "Opening balances"),
        Kind::STOCK_COUNT => ("盘点", "Stock counts"),
        _ => ("其他", "Other"),
    }
}

pub fn status(s: Status) -> (&'static str, &'static str) {
    match s {
        Status::Entered => ("已录入", "Entered"),
        Status::Reviewed => ("已复核", "Reviewed"),
        Status::Audited => ("已审核", "Audited"),
        Status::HandedOver => ("已交物流", "With logistics"),
        Status::PartlyShipped => ("部分发货", "Partly shipped"),
        Status::Shipped => ("已发货", "Shipped"),
        Status::Voided => ("已作废", "Voided"),
    }
}

pub fn terms(p: PaymentTerms) -> (&'static str, &'static str) {
    match p {
        PaymentTerms::Prepay => ("款到发货", "Prepay"),
        PaymentTerms::OnArrival => ("货到付款", "Pay on arrival"),
        PaymentTerms::Monthly => ("月结", "Monthly"),
        PaymentTerms::Cash => ("现款", "Cash"),
    }
}

/// Terms from what a person or a spreadsheet calls them: the code, 中文 or English.
pub fn parse_terms(s: &str) -> Option<PaymentTerms> {
    let s = s.trim();
    PaymentTerms::parse(s).or_else(|| {
        PaymentTerms::ALL.into_iter().find(|p| {
            let (zh, en) = terms(*p);
            zh == s || en.eq_ignore_ascii_case(s)
        })
    })
}

pub fn stamp(s: PaymentStamp) -> (&'static str, &'static str) {
    match s {
        PaymentStamp::Collect => ("代收", "Collect on delivery"),
        PaymentStamp::Receivable => ("外地应收", "Out-of-town receivable"),
        PaymentStamp::Paid => ("取款", "Paid"),
    }
}

pub fn role(r: Role) -> (&'static str, &'static str) {
    match r {
        Role::Clerk => ("内勤", "Clerk"),
        Role::Reviewer => ("复核", "Reviewer"),
        Role::Cashier => ("收银", "Cashier"),
        Role::Logistics => ("物流", "Logistics"),
        Role::Salesperson => ("业务员", "Salesperson"),
        Role::Manager => ("经理", "Manager"),
        Role::Admin => ("管理员", "Administrator"),
    }
}

pub fn method(m: Method) -> (&'static str, &'static str) {
    match m {
        Method::Transfer => ("银行转账", "Bank transfer"),
        Method::Cash => ("现金", "Cash"),
        Method::Bill => ("承兑汇票", "Acceptance bill"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_are_read_back_from_their_code_and_either_name() {
        for p in PaymentTerms::ALL {
            let (zh, en) = terms(p);
            assert_eq!(parse_terms(p.code()), Some(p));
            assert_eq!(parse_terms(zh), Some(p));
            assert_eq!(parse_terms(&en.to_uppercase()), Some(p));
        }
        assert_eq!(parse_terms("赊账"), None);
    }
}
