//! Payments received (回款): a record of their own per payment, allocated to orders, and
//! confirmed by a cashier or a manager. What an order has been paid, and so whether a
//! prepay (款到发货) order may go to logistics, is derived from the confirmed payments that
//! name it, the same way on every device and on the server.

use crate::desk::money::Fen;
use crate::desk::order::{check_text, FieldError, OrderView, PaymentTerms, Problem};
use crate::desk::permissions::Role;
use crate::desk::time::Date;
use crate::engine::hlc::Hlc;
use crate::engine::ids::{OfficeCode, RecordId};
use crate::engine::record::RecordState;
use crate::engine::workflow::{self, EditRow, Progress, StepKind, StepSpec, Workflow};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The largest single payment: ¥100,000,000.
pub const MAX_PAYMENT: Fen = Fen(10_000_000_000);
pub const MAX_ALLOCATIONS: usize = 200;

pub mod field {
    pub const CUSTOMER: &str = "customer";
    pub const CUSTOMER_NAME: &str = "customer_name";
    pub const AMOUNT: &str = "amount";
    pub const DATE: &str = "date";
    pub const METHOD: &str = "method";
    pub const REFERENCE: &str = "reference";
    pub const NOTES: &str = "notes";
    pub const ALLOCATIONS: &str = "allocations";
    pub const ALL: [&str; 8] = [CUSTOMER, CUSTOMER_NAME, AMOUNT, DATE, METHOD, REFERENCE, NOTES, ALLOCATIONS];
    pub const REQUIRED: [&str; 4] = [CUSTOMER_NAME, AMOUNT, DATE, METHOD];
}

/// How the money came.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// 银行转账
    Transfer,
    /// 现金
    Cash,
    /// 承兑汇票
    Bill,
}

impl Method {
    pub const ALL: [Method; 3] = [Method::Transfer, Method::Cash, Method::Bill];

    pub fn code(self) -> &'static str {
        match self {
            Method::Transfer => "transfer",
            Method::Cash => "cash",
            Method::Bill => "bill",
        }
    }

    pub fn parse(s: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.code() == s)
    }
}

/// Part of a payment set against one order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Allocation {
    pub order: RecordId,
    #[serde(default)]
    pub order_number: String,
    pub amount: Fen,
}

const CLERK: &str = Role::Clerk.code();
const CASHIER: &str = Role::Cashier.code();
const MANAGER: &str = Role::Manager.code();
const ADMIN: &str = Role::Admin.code();

/// Who records a payment: the desk and the cashier; who confirms it: the cashier, a manager.
pub const RECORDERS: &[Role] = &[Role::Clerk, Role::Cashier, Role::Manager, Role::Admin];

/// A payment's steps: 确认 by the cashier holds its amount and allocations; changing them
/// afterwards (a manager only) sends it back for confirming again.
pub const PAYMENT_WORKFLOW: Workflow = Workflow {
    guarded: &[field::CUSTOMER, field::AMOUNT, field::DATE, field::METHOD, field::ALLOCATIONS],
    steps: &[StepSpec { code: "confirm", kind: StepKind::Approval, after: &[], who: &[CASHIER, MANAGER, ADMIN] }],
    edits: &[
        EditRow { stage: "", guarded: &[CLERK, CASHIER, MANAGER, ADMIN], other: &[CLERK, CASHIER, MANAGER, ADMIN] },
        EditRow { stage: "confirm", guarded: &[MANAGER, ADMIN], other: &[CLERK, CASHIER, MANAGER, ADMIN] },
    ],
    fixed: false,
};

fn check_fen(value: &Value, positive: bool) -> Result<(), Problem> {
    let n = value.as_i64().ok_or(Problem::WrongType)?;
    if positive && n <= 0 {
        Err(Problem::MustBePositive)
    } else if n < 0 {
        Err(Problem::Negative)
    } else if n > MAX_PAYMENT.0 {
        Err(Problem::TooLarge)
    } else {
        Ok(())
    }
}

/// A payment's allocations arriving in a change: each to an order once, each positive, and
/// together no more than `amount` (when known).
pub fn check_allocations(value: &Value, amount: Option<Fen>) -> Result<Vec<Allocation>, FieldError> {
    let at = |path: String, p: Problem| FieldError::new(path, p);
    let items = value.as_array().ok_or_else(|| at(field::ALLOCATIONS.into(), Problem::WrongType))?;
    if items.len() > MAX_ALLOCATIONS {
        return Err(at(field::ALLOCATIONS.into(), Problem::TooLarge).with_limit(MAX_ALLOCATIONS));
    }
    let mut out: Vec<Allocation> = Vec::new();
    for (i, raw) in items.iter().enumerate() {
        let a: Allocation =
            serde::Deserialize::deserialize(raw).map_err(|_| at(format!("allocations.{i}"), Problem::WrongType))?;
        if a.amount.0 <= 0 {
            return Err(at(format!("allocations.{i}.amount"), Problem::MustBePositive));
        }
        if out.iter().any(|o| o.order == a.order) {
            return Err(at(format!("allocations.{i}.order"), Problem::Taken));
        }
        out.push(a);
    }
    let total = allocated(&out);
    if amount.is_some_and(|amount| total > amount) {
        return Err(at(field::ALLOCATIONS.into(), Problem::TooLarge).with_limit(amount.map_or(0, |a| a.0)));
    }
    Ok(out)
}

pub fn allocated(allocations: &[Allocation]) -> Fen {
    allocations.iter().fold(Fen::ZERO, |a, b| a.checked_add(b.amount).unwrap_or(a))
}

pub fn check_payment_field(name: &str, value: &Value) -> Result<(), Problem> {
    match name {
        field::CUSTOMER => crate::desk::order::check_link(value, true),
        field::CUSTOMER_NAME => check_text(value, 100, true),
        field::AMOUNT => check_fen(value, true),
        field::DATE => {
            let s = value.as_str().ok_or(Problem::WrongType)?;
            Date::parse(s).map(|_| ()).ok_or(Problem::InvalidDate)
        }
        field::METHOD => value.as_str().and_then(Method::parse).map(|_| ()).ok_or(Problem::UnknownChoice),
        field::REFERENCE => check_text(value, 60, false),
        field::NOTES => check_text(value, 500, false),
        field::ALLOCATIONS => check_allocations(value, None).map(|_| ()).map_err(|e| e.problem),
        _ => Err(Problem::UnknownField),
    }
}

pub fn check_payment_deep(name: &str, value: &Value) -> Option<Result<(), FieldError>> {
    (name == field::ALLOCATIONS).then(|| check_allocations(value, None).map(|_| ()))
}

/// A payment as the screens show it.
#[derive(Clone, Debug, PartialEq)]
pub struct PaymentView {
    pub id: RecordId,
    pub office: OfficeCode,
    pub customer: Option<RecordId>,
    pub customer_name: String,
    pub amount: Fen,
    pub date: Option<Date>,
    pub method: Option<Method>,
    pub reference: String,
    pub notes: String,
    pub allocations: Vec<Allocation>,
    pub created: Option<Hlc>,
    /// Confirmed by the cashier, and still as confirmed.
    pub confirmed: bool,
    pub progress: Progress,
}

impl PaymentView {
    pub fn from_record(state: &RecordState) -> PaymentView {
        let progress = workflow::progress(&PAYMENT_WORKFLOW, state);
        PaymentView {
            id: state.id,
            office: state.office.clone(),
            customer: RecordId::parse(state.get_str(field::CUSTOMER)).ok(),
            customer_name: state.get_str(field::CUSTOMER_NAME).to_string(),
            amount: Fen(state.get(field::AMOUNT).and_then(Value::as_i64).unwrap_or(0)),
            date: Date::parse(state.get_str(field::DATE)),
            method: Method::parse(state.get_str(field::METHOD)),
            reference: state.get_str(field::REFERENCE).to_string(),
            notes: state.get_str(field::NOTES).to_string(),
            allocations: state
                .get(field::ALLOCATIONS)
                .and_then(|v| serde::Deserialize::deserialize(v).ok())
                .unwrap_or_default(),
            created: state.created(),
            confirmed: progress.counts("confirm"),
            progress,
        }
    }

    /// What is not set against any order (on account).
    pub fn unallocated(&self) -> Fen {
        Fen(self.amount.0 - allocated(&self.allocations).0)
    }
}

/// What confirmed payments have paid towards `order`.
pub fn paid<'a>(order: RecordId, payments: impl IntoIterator<Item = &'a PaymentView>) -> Fen {
    payments
        .into_iter()
        .filter(|p| p.confirmed)
        .flat_map(|p| p.allocations.iter())
        .filter(|a| a.order == order)
        .fold(Fen::ZERO, |a, b| a.checked_add(b.amount).unwrap_or(a))
}

/// What is still open on an order: its total less what has been paid towards it (never
/// below zero).
pub fn open_amount(order: &OrderView, paid: Fen) -> Fen {
    Fen((order.total.0 - paid.0).max(0))
}

/// A prepay (款到发货) order goes to logistics only once confirmed payments cover it, or a
/// manager has let it go without (recorded, with a reason).
pub fn prepay_blocks(order: &OrderView, paid: Fen, overridden: bool) -> bool {
    order.payment == Some(PaymentTerms::Prepay) && paid < order.total && !overridden
}

/// Spreads `amount` over `open` orders (each with its open amount), oldest first: never
/// more than an order's open amount, never more than the payment.
pub fn allocate_oldest_first(amount: Fen, open: &[(RecordId, String, Fen)]) -> Vec<Allocation> {
    let mut left = amount.0.max(0);
    let mut out = Vec::new();
    for (order, number, due) in open {
        if left == 0 {
            break;
        }
        let take = left.min(due.0.max(0));
        if take > 0 {
            out.push(Allocation { order: *order, order_number: number.clone(), amount: Fen(take) });
            left -= take;
        }
    }
    out
}

/// What a person types to record a payment.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PaymentDraft {
    pub customer: Option<RecordId>,
    pub customer_name: String,
    pub amount: String,
    pub date: String,
    pub method: String,
    pub reference: String,
    pub notes: String,
    /// (order, number, amount as typed, what is open on it).
    pub allocations: Vec<(RecordId, String, String, Fen)>,
}

impl PaymentDraft {
    /// Every problem at once: the amount, the date, the method; each allocation positive,
    /// within what is open on its order; all of them within the payment.
    pub fn validate(&self, today: Date) -> Result<BTreeMap<String, Value>, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = self.customer_name.trim();
        if name.is_empty() {
            errors.push(FieldError::new(field::CUSTOMER_NAME, Problem::Required));
        }
        let amount = match Fen::parse(&self.amount) {
            Ok(a) if a.0 <= 0 => {
                errors.push(FieldError::new(field::AMOUNT, Problem::MustBePositive));
                Fen::ZERO
            }
            Ok(a) if a > MAX_PAYMENT => {
                errors.push(FieldError::new(field::AMOUNT, Problem::TooLarge));
                Fen::ZERO
            }
            Ok(a) => a,
            Err(e) => {
                errors.push(FieldError::new(field::AMOUNT, crate::desk::order::money_problem(e)));
                Fen::ZERO
            }
        };
        let date = Date::from_input(&self.date, today).or_else(|| Date::parse(self.date.trim()));
        if date.is_none() {
            errors.push(FieldError::new(field::DATE, Problem::InvalidDate));
        }
        let method = Method::parse(self.method.trim());
        if method.is_none() {
            errors.push(FieldError::new(field::METHOD, Problem::Required));
        }
        if self.reference.trim().chars().count() > 60 {
            errors.push(FieldError::new(field::REFERENCE, Problem::TooLong).with_limit(60));
        }
        let mut allocations = Vec::new();
        for (i, (order, number, typed, open)) in self.allocations.iter().enumerate() {
            if typed.trim().is_empty() {
                continue;
            }
            match Fen::parse(typed) {
                Ok(a) if a.0 <= 0 => continue,
                Ok(a) if a > *open => {
                    errors.push(FieldError::new(format!("allocations.{i}"), Problem::TooLarge).with_limit(open.0))
                }
                Ok(a) => allocations.push(Allocation { order: *order, order_number: number.clone(), amount: a }),
                Err(e) => {
                    errors.push(FieldError::new(format!("allocations.{i}"), crate::desk::order::money_problem(e)))
                }
            }
        }
        if allocated(&allocations) > amount && amount.0 > 0 {
            errors.push(FieldError::new(field::ALLOCATIONS, Problem::TooLarge).with_limit(amount.0));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut m = BTreeMap::new();
        m.insert(field::CUSTOMER.into(), json!(self.customer.map(|c| c.to_string()).unwrap_or_default()));
        m.insert(field::CUSTOMER_NAME.into(), json!(name));
        m.insert(field::AMOUNT.into(), json!(amount.0));
        m.insert(field::DATE.into(), json!(date.map(|d| d.to_string()).unwrap_or_default()));
        m.insert(field::METHOD.into(), json!(method.map(Method::code).unwrap_or_default()));
        m.insert(field::REFERENCE.into(), json!(self.reference.trim()));
        m.insert(field::NOTES.into(), json!(self.notes.trim()));
        m.insert(field::ALLOCATIONS.into(), serde_json::to_value(&allocations).unwrap_or(Value::Null));
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn id(n: u128) -> RecordId {
        RecordId(uuid::Uuid::from_u128(n))
    }

    proptest! {
        /// Allocations never exceed the payment nor what is open on any order, and use all
        /// of the payment that the open orders can take.
        #[test]
        fn oldest_first_allocation_never_overpays(amount in 0i64..10_000_000, dues in prop::collection::vec(0i64..5_000_000, 0..20)) {
            let open: Vec<(RecordId, String, Fen)> =
                dues.iter().enumerate().map(|(i, d)| (id(i as u128 + 1), format!("N{i}"), Fen(*d))).collect();
            let out = allocate_oldest_first(Fen(amount), &open);
            let total = allocated(&out);
            prop_assert!(total <= Fen(amount));
            for a in &out {
                let due = open.iter().find(|o| o.0 == a.order).map(|o| o.2).unwrap();
                prop_assert!(a.amount <= due && a.amount.0 > 0);
            }
            let capacity: i64 = dues.iter().sum();
            prop_assert_eq!(total.0, amount.min(capacity));
            prop_assert!(check_allocations(&serde_json::to_value(&out).unwrap(), Some(Fen(amount))).is_ok());
        }
    }

    proptest! {
        /// What a customer owes for shipped goods is what those orders total less what was
        /// paid towards them: never negative, and the overdue part is within it.
        #[test]
        fn the_balance_adds_up(totals in prop::collection::vec((1i64..1_000_000, 0i64..1_200_000, 0u8..3, 0i64..90), 0..12)) {
            use crate::desk::order::{OrderDraft, Status};
            let today = Date::parse("2026-11-29").unwrap();
            let mut orders = Vec::new();
            let mut pays = Vec::new();
            let mut expected = (0i64, 0i64, 0i64);
            for (n, (total, pay, stage, age)) in totals.iter().enumerate() {
                let state = RecordState::new(crate::engine::record::Kind::ORDER, id(n as u128 + 1), OfficeCode::parse("FS").unwrap());
                let mut o = OrderView::from_record(&state);
                o.lines = OrderDraft::sample(1).validate().unwrap().lines;
                o.total = Fen(*total);
                o.status = [Status::Shipped, Status::Audited, Status::Entered][*stage as usize];
                let paid = (*pay).min(*total);
                if paid > 0 {
                    let mut p = PaymentView::from_record(&RecordState::new(crate::engine::record::Kind::new("payment"), id(1000 + n as u128), OfficeCode::parse("FS").unwrap()));
                    p.amount = Fen(*pay);
                    p.confirmed = true;
                    p.allocations = vec![Allocation { order: o.id, order_number: String::new(), amount: Fen(paid) }];
                    pays.push(p);
                }
                let open = total - paid;
                match stage {
                    0 => { expected.0 += open; if *age > 30 { expected.2 += open; } }
                    1 => expected.1 += open,
                    _ => {}
                }
                orders.push((o, today.plus_days(-age)));
            }
            let views: Vec<OrderView> = orders.iter().map(|(o, _)| o.clone()).collect();
            let b = balance(&views, &pays, |id| orders.iter().find(|(o, _)| o.id == id).map(|(_, d)| *d), today, 30);
            prop_assert_eq!((b.receivable.0, b.committed.0, b.overdue.0), expected);
            prop_assert!(b.overdue <= b.receivable && b.receivable.0 >= 0);
            let on_account: i64 = pays.iter().map(|p| p.unallocated().0).sum();
            prop_assert_eq!(b.on_account.0, on_account);
        }
    }

    #[test]
    fn arrived_unpaid_pay_on_arrival_orders_are_chased_oldest_first() {
        use crate::desk::order::Status;
        let today = Date::parse("2026-11-29").unwrap();
        let fs = OfficeCode::parse("FS").unwrap();
        let order = |n: u128, terms: PaymentTerms, status: Status, total: i64| {
            let mut o =
                OrderView::from_record(&RecordState::new(crate::engine::record::Kind::ORDER, id(n), fs.clone()));
            o.number = format!("N{n}");
            o.payment = Some(terms);
            o.status = status;
            o.total = Fen(total);
            o
        };
        let orders = [
            order(1, PaymentTerms::OnArrival, Status::Shipped, 10_000),
            order(2, PaymentTerms::OnArrival, Status::Shipped, 20_000),
            order(3, PaymentTerms::Monthly, Status::Shipped, 30_000),
            order(4, PaymentTerms::OnArrival, Status::Audited, 40_000),
            order(5, PaymentTerms::OnArrival, Status::Shipped, 50_000),
            order(6, PaymentTerms::OnArrival, Status::PartlyShipped, 60_000),
        ];
        // 1 arrived last week, 2 yesterday, 5 is still on the road, 6 arrived but is paid.
        let arrived = |o: RecordId| match o {
            x if x == id(1) => Some(today.plus_days(-7)),
            x if x == id(2) => Some(today.plus_days(-1)),
            x if x == id(5) => Some(today.plus_days(2)),
            x if x == id(6) => Some(today),
            _ => Some(today.plus_days(-3)),
        };
        let mut p =
            PaymentView::from_record(&RecordState::new(crate::engine::record::Kind::new("payment"), id(99), fs));
        p.confirmed = true;
        p.amount = Fen(60_000);
        p.allocations = vec![Allocation { order: id(6), order_number: "N6".into(), amount: Fen(60_000) }];
        let list = chase_list(
            &orders,
            &[p],
            arrived,
            |o| if o.id == id(1) { "fs_sales".into() } else { String::new() },
            today,
        );
        let numbers: Vec<&str> = list.iter().map(|c| c.number.as_str()).collect();
        assert_eq!(numbers, vec!["N1", "N2"]);
        assert_eq!((list[0].salesperson.as_str(), list[0].open), ("fs_sales", Fen(10_000)));
    }

    #[test]
    fn allocations_over_the_payment_or_twice_to_an_order_are_refused() {
        let two = json!([{"order": id(1), "amount": 600}, {"order": id(2), "amount": 500}]);
        assert_eq!(check_allocations(&two, Some(Fen(1000))).unwrap_err().field, "allocations");
        assert!(check_allocations(&two, Some(Fen(1100))).is_ok());
        let twice = json!([{"order": id(1), "amount": 1}, {"order": id(1), "amount": 1}]);
        assert_eq!(check_allocations(&twice, None).unwrap_err().field, "allocations.1.order");
        let zero = json!([{"order": id(1), "amount": 0}]);
        assert_eq!(check_allocations(&zero, None).unwrap_err().problem, Problem::MustBePositive);
    }

    #[test]
    fn the_payment_form_names_each_wrong_box_and_keeps_allocations_within_what_is_open() {
        let today = Date::parse("2026-11-29").unwrap();
        let draft = PaymentDraft {
            customer_name: "美居".into(),
            amount: "1,000".into(),
            date: "今天".into(),
            method: "transfer".into(),
            allocations: vec![
                (id(1), "A".into(), "800".into(), Fen(70_000)),
                (id(2), "B".into(), "300".into(), Fen(50_000)),
            ],
            ..PaymentDraft::default()
        };
        let errors = draft.validate(today).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["allocations.0"], "800 is more than the 700 open on A");
        let mut ok = draft.clone();
        ok.allocations[0].2 = "700".into();
        let values = ok.validate(today).unwrap();
        assert_eq!(values["amount"], json!(100_000));
        assert_eq!(check_allocations(&values["allocations"], Some(Fen(100_000))).unwrap().len(), 2);
        let mut over = ok.clone();
        over.amount = "900".into();
        assert_eq!(over.validate(today).unwrap_err()[0].field, "allocations");
    }
}

/// Where a customer stands, from their orders, the payments set against them and when
/// the goods left: what they owe for goods shipped, what is approved but not yet shipped,
/// and what of what they owe is older than `overdue_days` from the first shipment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Balance {
    /// 应收: open amounts of orders whose goods (some or all) have left.
    pub receivable: Fen,
    /// 已审核未发货: open amounts of audited orders not yet shipped.
    pub committed: Fen,
    /// 逾期: receivable older than the days allowed.
    pub overdue: Fen,
    /// Payments not set against any order (on account).
    pub on_account: Fen,
}

/// Credit terms: the goods leave before the money comes.
pub fn on_credit(terms: Option<PaymentTerms>) -> bool {
    matches!(terms, Some(PaymentTerms::Monthly | PaymentTerms::OnArrival))
}

/// A credit order over the customer's limit: what they owe already (unpaid shipped orders
/// and approved orders not yet shipped, this one aside) plus this order, against the limit.
/// `None` when it fits, the order is not on credit, or the customer has no limit set.
pub fn over_credit(order: &OrderView, limit: Option<Fen>, exposure: Fen) -> Option<(Fen, Fen)> {
    let limit = limit?;
    if !on_credit(order.payment) {
        return None;
    }
    let after = exposure.checked_add(order.total).unwrap_or(Fen(i64::MAX));
    (after > limit).then_some((exposure, limit))
}

/// What a customer owes or is committed to (receivable + approved not yet shipped), from
/// their orders other than `except`.
pub fn exposure<'a>(
    orders: impl IntoIterator<Item = &'a OrderView>,
    payments: &[PaymentView],
    except: RecordId,
) -> Fen {
    use crate::desk::order::Status;
    let paid_of = crate::desk::ageing::paid_by_order(payments);
    orders
        .into_iter()
        .filter(|o| o.id != except)
        .filter(|o| matches!(o.status, Status::Audited | Status::HandedOver | Status::PartlyShipped | Status::Shipped))
        .map(|o| open_amount(o, paid_of.get(&o.id).copied().unwrap_or(Fen::ZERO)))
        .fold(Fen::ZERO, |a, b| a.checked_add(b).unwrap_or(a))
}

/// A customer's [`Balance`] on `today`. `shipped_on`: the date an order's goods first left.
pub fn balance<'a>(
    orders: impl IntoIterator<Item = &'a OrderView>,
    payments: &[PaymentView],
    shipped_on: impl Fn(RecordId) -> Option<Date>,
    today: Date,
    overdue_days: i64,
) -> Balance {
    use crate::desk::order::Status;
    let mut b = Balance::default();
    let add = |a: Fen, x: Fen| a.checked_add(x).unwrap_or(a);
    // One pass over the payments, not one per order.
    let paid_of = crate::desk::ageing::paid_by_order(payments);
    for o in orders {
        let open = open_amount(o, paid_of.get(&o.id).copied().unwrap_or(Fen::ZERO));
        match o.status {
            Status::Shipped | Status::PartlyShipped => {
                b.receivable = add(b.receivable, open);
                if shipped_on(o.id).is_some_and(|d| d.plus_days(overdue_days) < today) {
                    b.overdue = add(b.overdue, open);
                }
            }
            Status::Audited | Status::HandedOver => b.committed = add(b.committed, open),
            _ => {}
        }
    }
    b.on_account = payments.iter().filter(|p| p.confirmed).fold(Fen::ZERO, |a, p| add(a, p.unallocated()));
    b
}

/// One order to chase for its money (货到付款, arrived and unpaid).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chase {
    pub order: RecordId,
    pub number: String,
    pub customer: String,
    /// The owning salesperson (the customer's), empty if none.
    pub salesperson: String,
    /// When the goods arrived (signed for), or were expected to.
    pub arrived: Date,
    pub open: Fen,
}

/// Pay-on-arrival orders whose goods have arrived — signed for, or due by their expected
/// arrival — and are not paid: oldest arrival first. `arrived_on`: the order's arrival as
/// the shipments say; `owner`: a customer's salesperson.
pub fn chase_list<'a>(
    orders: impl IntoIterator<Item = &'a OrderView>,
    payments: &[PaymentView],
    arrived_on: impl Fn(RecordId) -> Option<Date>,
    owner: impl Fn(&OrderView) -> String,
    today: Date,
) -> Vec<Chase> {
    use crate::desk::order::Status;
    let paid_of = crate::desk::ageing::paid_by_order(payments);
    let mut out: Vec<Chase> = orders
        .into_iter()
        .filter(|o| o.payment == Some(PaymentTerms::OnArrival))
        .filter(|o| matches!(o.status, Status::Shipped | Status::PartlyShipped))
        .filter_map(|o| {
            let arrived = arrived_on(o.id).filter(|d| *d <= today)?;
            let open = open_amount(o, paid_of.get(&o.id).copied().unwrap_or(Fen::ZERO));
            (open.0 > 0).then(|| Chase {
                order: o.id,
                number: o.number.clone(),
                customer: o.customer_name.clone(),
                salesperson: owner(o),
                arrived,
                open,
            })
        })
        .collect();
    crate::sort::sort_by(&mut out, |a, b| (a.arrived, &a.number).cmp(&(b.arrived, &b.number)));
    out
}

/// When an order's goods arrived, from its shipments: the latest receipt date when every
/// shipment is signed for, else the latest expected arrival (goods still on the road are
/// not yet due).
pub fn arrival(shipments: &[&crate::desk::shipping::ShipmentView]) -> Option<Date> {
    use crate::desk::shipping::ShipAction;
    let signed: Vec<Option<Date>> = shipments
        .iter()
        .map(|s| {
            s.receipt.as_ref().and_then(|r| match &r.action {
                ShipAction::Receipt { date, .. } => Date::parse(date),
                _ => None,
            })
        })
        .collect();
    if !signed.is_empty() && signed.iter().all(Option::is_some) {
        return signed.into_iter().flatten().max();
    }
    shipments.iter().map(|s| s.expected_arrival).collect::<Option<Vec<Date>>>()?.into_iter().max()
}
