//! 期初应收: what a customer already owed when the company started on Salesdesk, imported
//! from its old books. One record per customer (`opening`), kept by managers. It counts
//! as a receivable from its date: on the statement (a 期初 row), in the balance, the
//! credit exposure and the ageing, and payments are set against it like an order's
//! (`allocations` naming its id). The figures treat it as a shipped document through
//! [`Opening::as_order`], so every calculation meets it the same way.

use crate::desk::money::{Fen, MAX_FEN};
use crate::desk::order::{check_text, OrderView, Problem, Status};
use crate::desk::permissions::Role;
use crate::desk::time::Date;
use crate::engine::ids::{OfficeCode, RecordId};
use crate::engine::record::{Kind, RecordState};
use serde_json::Value;

pub mod field {
    pub const CUSTOMER: &str = "customer";
    pub const CUSTOMER_NAME: &str = "customer_name";
    /// What they owed (fen; negative: they had paid ahead).
    pub const AMOUNT: &str = "amount";
    /// The day the old books were closed.
    pub const AS_OF: &str = "as_of";
    pub const NOTES: &str = "notes";
    pub const ALL: [&str; 5] = [CUSTOMER, CUSTOMER_NAME, AMOUNT, AS_OF, NOTES];
    pub const REQUIRED: [&str; 3] = [CUSTOMER_NAME, AMOUNT, AS_OF];
}

/// Who keeps opening balances: managers and admins.
pub const KEEPERS: &[Role] = &[Role::Manager, Role::Admin];

/// What the statement and the order lists call it.
pub const LABEL: (&str, &str) = ("期初余额", "Opening balance");

pub fn check_field(name: &str, value: &Value) -> Result<(), Problem> {
    match name {
        field::CUSTOMER => crate::desk::order::check_link(value, false),
        field::CUSTOMER_NAME => check_text(value, 100, true),
        field::AMOUNT => match value.as_i64() {
            Some(0) => Err(Problem::MustBePositive),
            Some(n) if n.abs() > MAX_FEN => Err(Problem::TooLarge),
            Some(_) => Ok(()),
            None => Err(Problem::WrongType),
        },
        field::AS_OF => value.as_str().and_then(Date::parse).map(|_| ()).ok_or(Problem::InvalidDate),
        field::NOTES => check_text(value, 500, false),
        _ => Err(Problem::UnknownField),
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Opening {
    pub id: RecordId,
    pub office: OfficeCode,
    pub customer: Option<RecordId>,
    pub customer_name: String,
    pub amount: Fen,
    pub as_of: Option<Date>,
    pub notes: String,
}

impl Opening {
    pub fn from_record(r: &RecordState) -> Opening {
        Opening {
            id: r.id,
            office: r.office.clone(),
            customer: RecordId::parse(r.get_str(field::CUSTOMER)).ok(),
            customer_name: r.get_str(field::CUSTOMER_NAME).to_string(),
            amount: Fen(r.get(field::AMOUNT).and_then(Value::as_i64).unwrap_or(0)),
            as_of: Date::parse(r.get_str(field::AS_OF)),
            notes: r.get_str(field::NOTES).to_string(),
        }
    }

    /// The opening balance as a document the figures know: shipped (owed) from its date,
    /// for its amount, numbered 期初余额. Payments name its id to be set against it.
    pub fn as_order(&self) -> OrderView {
        let mut o = OrderView::from_record(&RecordState::new(Kind::ORDER, self.id, self.office.clone()));
        o.number = format!("{} {}", LABEL.0, self.as_of.map(|d| d.to_string()).unwrap_or_default());
        o.customer = self.customer;
        o.customer_name = self.customer_name.clone();
        o.total = self.amount;
        o.status = Status::Shipped;
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desk::payments::{balance, open_amount, paid, Allocation, PaymentView};
    use serde_json::json;

    #[test]
    fn an_opening_balance_is_owed_from_its_date_and_paid_like_an_order() {
        let id = RecordId(uuid::Uuid::from_u128(1));
        let fs = OfficeCode::parse("FS").unwrap();
        let o = Opening {
            id,
            office: fs.clone(),
            customer: None,
            customer_name: "美居建材".into(),
            amount: Fen(1_000_000),
            as_of: Date::parse("2026-09-30"),
            notes: String::new(),
        };
        let doc = o.as_order();
        let mut p =
            PaymentView::from_record(&RecordState::new(Kind::new("payment"), RecordId(uuid::Uuid::from_u128(2)), fs));
        p.confirmed = true;
        p.amount = Fen(400_000);
        p.allocations = vec![Allocation { order: id, order_number: doc.number.clone(), amount: Fen(400_000) }];
        assert_eq!(open_amount(&doc, paid(id, [&p])), Fen(600_000));
        let today = Date::parse("2026-11-29").unwrap();
        let b = balance([&doc], &[p], |_| o.as_of, today, 30);
        assert_eq!((b.receivable, b.overdue), (Fen(600_000), Fen(600_000)), "owed since September: overdue");
    }

    #[test]
    fn its_fields_are_checked() {
        assert_eq!(check_field(field::AMOUNT, &json!(0)), Err(Problem::MustBePositive));
        assert_eq!(check_field(field::AMOUNT, &json!(-500)), Ok(()), "a customer who had paid ahead");
        assert_eq!(check_field(field::AS_OF, &json!("2026-02-30")), Err(Problem::InvalidDate));
        assert_eq!(check_field(field::CUSTOMER_NAME, &json!("")), Err(Problem::Required));
    }
}
