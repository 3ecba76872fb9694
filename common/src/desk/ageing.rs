//! Receivables ageing (应收账龄): what customers owe for goods that have left, in four
//! buckets by the days since the goods first left (0–30, 31–60, 61–90, over 90), summed
//! by office, salesperson or customer. The same orders and payments give the same table on
//! every device and on the server, and the buckets add up to the customers' receivable
//! ([`crate::desk::payments::Balance::receivable`]).

use std::collections::{BTreeMap, HashMap};

use crate::desk::money::Fen;
use crate::desk::order::{OrderView, Status};
use crate::desk::payments::{open_amount, PaymentView};
use crate::desk::time::Date;
use crate::engine::ids::RecordId;

/// The buckets' upper bounds in days (the last is open-ended).
pub const BUCKET_DAYS: [i64; 3] = [30, 60, 90];
/// How many buckets: 0–30, 31–60, 61–90, over 90.
pub const BUCKETS: usize = 4;

/// The bucket for an amount whose goods left `days` ago (a date in the future counts as
/// today's).
pub fn bucket(days: i64) -> usize {
    BUCKET_DAYS.iter().position(|&upper| days <= upper).unwrap_or(BUCKETS - 1)
}

/// One order still owed for, aged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Aged {
    pub order: RecordId,
    pub number: String,
    pub office: String,
    pub customer: Option<RecordId>,
    pub customer_name: String,
    /// The customer's owning salesperson, empty if none.
    pub salesperson: String,
    /// When its goods first left.
    pub shipped: Date,
    pub days: i64,
    pub open: Fen,
}

impl Aged {
    pub fn bucket(&self) -> usize {
        bucket(self.days)
    }
}

/// What confirmed payments have paid towards each order, in one pass (ageing 100,000
/// orders cannot afford a scan of the payments per order).
pub fn paid_by_order<'a>(payments: impl IntoIterator<Item = &'a PaymentView>) -> HashMap<RecordId, Fen> {
    let mut out: HashMap<RecordId, Fen> = HashMap::new();
    for a in payments.into_iter().filter(|p| p.confirmed).flat_map(|p| p.allocations.iter()) {
        let e = out.entry(a.order).or_insert(Fen::ZERO);
        *e = e.checked_add(a.amount).unwrap_or(*e);
    }
    out
}

/// The shipped (or partly shipped) orders with something still open on `today`, oldest
/// shipment first. `shipped_on`: when an order's goods first left (an order with no dated
/// shipment is aged from today); `owner`: the customer's salesperson.
pub fn aged_orders<'a>(
    orders: impl IntoIterator<Item = &'a OrderView>,
    paid: &HashMap<RecordId, Fen>,
    shipped_on: impl Fn(RecordId) -> Option<Date>,
    owner: impl Fn(&OrderView) -> String,
    today: Date,
) -> Vec<Aged> {
    let mut out: Vec<Aged> = orders
        .into_iter()
        .filter(|o| matches!(o.status, Status::Shipped | Status::PartlyShipped))
        .filter_map(|o| {
            let open = open_amount(o, paid.get(&o.id).copied().unwrap_or(Fen::ZERO));
            if open.0 <= 0 {
                return None;
            }
            let shipped = shipped_on(o.id).unwrap_or(today);
            Some(Aged {
                order: o.id,
                number: o.number.clone(),
                office: o.office.to_string(),
                customer: o.customer,
                customer_name: o.customer_name.clone(),
                salesperson: owner(o),
                shipped,
                days: (today.days() - shipped.days()).max(0),
                open,
            })
        })
        .collect();
    crate::sort::sort_by(&mut out, |a, b| (a.shipped, &a.number).cmp(&(b.shipped, &b.number)));
    out
}

/// One line of the ageing table: the amounts per bucket and their total.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AgeingRow {
    /// What the line is of: an office code, a salesperson, a customer's name.
    pub key: String,
    pub buckets: [Fen; BUCKETS],
    pub total: Fen,
    /// How many orders.
    pub orders: usize,
}

impl AgeingRow {
    fn add(&mut self, a: &Aged) {
        let b = &mut self.buckets[a.bucket()];
        *b = b.checked_add(a.open).unwrap_or(*b);
        self.total = self.total.checked_add(a.open).unwrap_or(self.total);
        self.orders += 1;
    }

    /// Over 30 days: what a salesperson has to chase.
    pub fn overdue(&self) -> Fen {
        self.buckets[1..].iter().fold(Fen::ZERO, |a, b| a.checked_add(*b).unwrap_or(a))
    }
}

/// What the table is summed by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum By {
    Office,
    Salesperson,
    Customer,
}

impl By {
    pub fn code(self) -> &'static str {
        match self {
            By::Office => "office",
            By::Salesperson => "salesperson",
            By::Customer => "customer",
        }
    }

    pub fn parse(s: &str) -> Option<By> {
        [By::Office, By::Salesperson, By::Customer].into_iter().find(|b| b.code() == s)
    }
}

/// The ageing table: one row per office, salesperson or customer (by name), largest total
/// first, then the grand total.
pub fn ageing(aged: &[Aged], by: By) -> (Vec<AgeingRow>, AgeingRow) {
    let mut rows: BTreeMap<&str, AgeingRow> = BTreeMap::new();
    let mut total = AgeingRow::default();
    for a in aged {
        let key = match by {
            By::Office => a.office.as_str(),
            By::Salesperson => a.salesperson.as_str(),
            By::Customer => a.customer_name.as_str(),
        };
        rows.entry(key).or_insert_with(|| AgeingRow { key: key.to_string(), ..Default::default() }).add(a);
        total.add(a);
    }
    let mut rows: Vec<AgeingRow> = rows.into_values().collect();
    crate::sort::sort_by(&mut rows, |a, b| b.total.cmp(&a.total).then_with(|| a.key.cmp(&b.key)));
    (rows, total)
}

/// A salesperson's orders owed for more than 30 days, oldest first: their list to chase.
pub fn overdue_of<'a>(aged: &'a [Aged], salesperson: &str) -> Vec<&'a Aged> {
    aged.iter().filter(|a| a.salesperson == salesperson && a.bucket() > 0).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desk::order::{LineDraft, OrderDraft};
    use crate::desk::payments::{balance, Allocation};
    use crate::engine::ids::OfficeCode;
    use crate::engine::record::{Kind, RecordState};
    use proptest::prelude::*;

    fn id(n: u128) -> RecordId {
        RecordId(uuid::Uuid::from_u128(n))
    }

    fn day(n: i64) -> Date {
        Date::parse("2026-01-01").unwrap().plus_days(n)
    }

    /// An order of `yuan` at `office` for customer `c`, in `status`.
    fn order(n: u128, office: &str, c: u128, yuan: u32, status: Status) -> OrderView {
        let draft = OrderDraft {
            customer_name: format!("客户{c}"),
            payment: "monthly".into(),
            lines: vec![LineDraft {
                model: "A".into(),
                name: "a".into(),
                quantity: "1".into(),
                unit_price: yuan.to_string(),
                ..Default::default()
            }],
            ..Default::default()
        };
        let mut o = OrderView::from_record(&RecordState::new(Kind::ORDER, id(n), OfficeCode::parse(office).unwrap()));
        o.lines = draft.validate().unwrap().lines;
        o.total = Fen(i64::from(yuan) * 100);
        o.number = format!("N{n}");
        o.customer = Some(id(1000 + c));
        o.customer_name = format!("客户{c}");
        o.status = status;
        o
    }

    fn payment(n: u128, to: &[(u128, i64)], confirmed: bool) -> PaymentView {
        let mut p =
            PaymentView::from_record(&RecordState::new(Kind::new("payment"), id(n), OfficeCode::parse("FS").unwrap()));
        p.allocations = to
            .iter()
            .map(|(o, fen)| Allocation { order: id(*o), order_number: String::new(), amount: Fen(*fen) })
            .collect();
        p.amount = Fen(to.iter().map(|(_, f)| f).sum());
        p.confirmed = confirmed;
        p
    }

    #[test]
    fn buckets_are_0_to_30_31_to_60_61_to_90_and_over_90_days() {
        let cases = [(0, 0), (30, 0), (31, 1), (60, 1), (61, 2), (90, 2), (91, 3), (4000, 3)];
        for (days, want) in cases {
            assert_eq!(bucket(days), want, "{days} days");
        }
    }

    #[test]
    fn an_order_is_aged_from_its_first_shipment_less_what_has_been_paid() {
        let orders = [
            order(1, "FS", 1, 100, Status::Shipped),
            order(2, "FS", 1, 50, Status::PartlyShipped),
            order(3, "HQ", 2, 70, Status::Audited),
            order(4, "HQ", 2, 30, Status::Shipped),
        ];
        let pays =
            [payment(10, &[(1, 4_000)], true), payment(11, &[(2, 5_000)], true), payment(12, &[(4, 3_000)], false)];
        let shipped = |o: RecordId| {
            [(id(1), day(0)), (id(2), day(50)), (id(4), day(95))].into_iter().find(|(i, _)| *i == o).map(|(_, d)| d)
        };
        let aged = aged_orders(
            &orders,
            &paid_by_order(&pays),
            shipped,
            |o| if o.office.as_str() == "FS" { "王".into() } else { String::new() },
            day(100),
        );
        // Order 2 is paid in full, order 3 has not shipped; the unconfirmed payment counts nothing.
        assert_eq!(
            aged.iter().map(|a| (a.number.as_str(), a.days, a.open.0)).collect::<Vec<_>>(),
            vec![("N1", 100, 6_000), ("N4", 5, 3_000)]
        );
        let (rows, total) = ageing(&aged, By::Office);
        assert_eq!(rows[0].key, "FS");
        assert_eq!(rows[0].buckets, [Fen(0), Fen(0), Fen(0), Fen(6_000)]);
        assert_eq!(rows[1].buckets, [Fen(3_000), Fen(0), Fen(0), Fen(0)]);
        assert_eq!(total.total, Fen(9_000));
        assert_eq!(overdue_of(&aged, "王").len(), 1);
        assert!(overdue_of(&aged, "").is_empty(), "head office's order is 5 days old");
    }

    fn status() -> impl Strategy<Value = Status> {
        prop::sample::select(vec![
            Status::Entered,
            Status::Audited,
            Status::PartlyShipped,
            Status::Shipped,
            Status::Voided,
        ])
    }

    proptest! {
        /// Whatever the orders, payments and dates (orders from two offices), every way of
        /// summing the table gives the same total, each row's buckets add up to its total,
        /// and the total is the customers' receivable as their balance computes it.
        #[test]
        fn ageing_buckets_sum_to_the_balance(
            orders in prop::collection::vec((0u128..2, 0u128..4, 1u32..500, status(), 0i64..200), 1..30),
            pays in prop::collection::vec((0usize..30, 0i64..60_000, any::<bool>()), 0..30),
        ) {
            let views: Vec<OrderView> = orders.iter().enumerate()
                .map(|(n, (office, c, yuan, s, _))| order(n as u128, if *office == 0 { "FS" } else { "HQ" }, *c, *yuan, *s))
                .collect();
            let payments: Vec<PaymentView> = pays.iter().enumerate()
                .map(|(n, (o, fen, ok))| payment(500 + n as u128, &[((*o % views.len()) as u128, *fen)], *ok))
                .collect();
            let today = day(200);
            let shipped_on = |o: RecordId| orders.iter().enumerate().find(|(n, _)| id(*n as u128) == o).map(|(_, x)| day(x.4));
            let aged = aged_orders(&views, &paid_by_order(&payments), shipped_on, |o| o.office.to_string(), today);
            let want = balance(&views, &payments, shipped_on, today, 30).receivable;
            let over_30 = balance(&views, &payments, shipped_on, today, 30).overdue;
            for by in [By::Office, By::Salesperson, By::Customer] {
                let (rows, total) = ageing(&aged, by);
                prop_assert_eq!(total.total, want);
                prop_assert_eq!(total.overdue(), over_30);
                let sum = rows.iter().fold(Fen::ZERO, |a, r| a.checked_add(r.total).unwrap());
                prop_assert_eq!(sum, want);
                for r in rows.iter().chain([&total]) {
                    let b = r.buckets.iter().fold(Fen::ZERO, |a, x| a.checked_add(*x).unwrap());
                    prop_assert_eq!(b, r.total);
                }
            }
        }
    }
}
