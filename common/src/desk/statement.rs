//! A customer's statement (对账单) for a period: the balance brought forward, then one row
//! per delivery (debit), return and payment (credits) with a running balance, and the
//! balance carried forward. Built from the records every device and the server hold, so
//! it reads the same everywhere.

use crate::desk::money::Fen;
use crate::desk::order::OrderView;
use crate::desk::payments::PaymentView;
use crate::desk::shipping::{LineQty, LogKind, LogView, ShipmentView};
use crate::desk::time::Date;
use crate::engine::ids::RecordId;

/// What a row of the statement records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RowKind {
    /// 期初: what was owed when the company started on Salesdesk (an opening balance).
    Opening,
    /// 发货: goods delivered, owed.
    Delivery,
    /// 退货: goods that came back.
    Return,
    /// 回款: money received.
    Payment,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub date: Date,
    pub kind: RowKind,
    /// The document: the order number and waybills, the station, the bank slip.
    pub document: String,
    pub debit: Fen,
    pub credit: Fen,
    /// The balance after this row.
    pub balance: Fen,
    /// Orders by id, for ordering rows of one day the same way everywhere.
    pub record: RecordId,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    pub from: Date,
    pub to: Date,
    pub opening: Fen,
    pub rows: Vec<Row>,
    pub debits: Fen,
    pub credits: Fen,
    pub closing: Fen,
}

/// What `lines` of an order are worth at the order's prices (a line that is now another
/// product counts nothing: the order was corrected after, and the shipment shows apart).
fn worth(order: &OrderView, lines: &[LineQty]) -> Fen {
    lines
        .iter()
        .filter_map(|q| order.lines.get(q.line).filter(|l| l.model == q.model).map(|l| (l, q.quantity)))
        .filter_map(|(l, n)| l.unit_price.times(n).ok())
        .fold(Fen::ZERO, |a, b| a.checked_add(b).unwrap_or(a))
}

/// The statement of one customer's `orders` between `from` and `to` (both included):
/// their shipments are the deliveries, their station returns the returns, and `payments`
/// (the customer's, confirmed) the money received.
pub fn statement(
    orders: &[OrderView],
    shipments: &[ShipmentView],
    log: &[LogView],
    payments: &[PaymentView],
    from: Date,
    to: Date,
) -> Statement {
    fold(rows(orders, shipments, log, payments), from, to)
}

/// The rows, undated order and balance not yet worked out, of what `statement` reads.
pub fn rows(orders: &[OrderView], shipments: &[ShipmentView], log: &[LogView], payments: &[PaymentView]) -> Vec<Row> {
    // By id: a customer with thousands of orders has thousands of shipments to place.
    let by_id: std::collections::HashMap<RecordId, &OrderView> = orders.iter().map(|o| (o.id, o)).collect();
    let order_of = |id: Option<RecordId>| id.and_then(|id| by_id.get(&id).copied());
    let mut all: Vec<Row> = Vec::new();
    for s in shipments {
        let (Some(order), Some(date)) = (order_of(s.order), s.ship_date) else { continue };
        let waybills: Vec<&str> = s.waybills.iter().map(|w| w.number.as_str()).collect();
        all.push(Row {
            date,
            kind: RowKind::Delivery,
            document: format!("{} {}", order.number, waybills.join(",")),
            debit: worth(order, &s.lines),
            credit: Fen::ZERO,
            balance: Fen::ZERO,
            record: s.id,
        });
    }
    for e in log.iter().filter(|e| e.kind == Some(LogKind::Return)) {
        let (Some(order), Some(date)) = (order_of(e.order), e.date) else { continue };
        all.push(Row {
            date,
            kind: RowKind::Return,
            document: format!("{} {}", order.number, e.station),
            debit: Fen::ZERO,
            credit: worth(order, &e.lines),
            balance: Fen::ZERO,
            record: e.id,
        });
    }
    for p in payments.iter().filter(|p| p.confirmed) {
        let Some(date) = p.date else { continue };
        all.push(Row {
            date,
            kind: RowKind::Payment,
            document: p.reference.clone(),
            debit: Fen::ZERO,
            credit: p.amount,
            balance: Fen::ZERO,
            record: p.id,
        });
    }
    all
}

/// The opening balances (期初应收) of a customer as rows: owed (or, negative, paid ahead)
/// from their date.
pub fn opening_rows(openings: &[crate::desk::opening::Opening]) -> Vec<Row> {
    openings
        .iter()
        .filter_map(|o| {
            let date = o.as_of?;
            Some(Row {
                date,
                kind: RowKind::Opening,
                document: if o.notes.is_empty() { crate::desk::opening::LABEL.0.to_string() } else { o.notes.clone() },
                debit: Fen(o.amount.0.max(0)),
                credit: Fen((-o.amount.0).max(0)),
                balance: Fen::ZERO,
                record: o.id,
            })
        })
        .collect()
}

/// The statement of `all` rows between `from` and `to` (both included): rows before
/// `from` make the balance brought forward.
pub fn fold(mut all: Vec<Row>, from: Date, to: Date) -> Statement {
    crate::sort::sort_by_key(&mut all, |r| (r.date, r.kind, r.record));
    let add = |a: Fen, b: Fen| a.checked_add(b).unwrap_or(a);
    let sub = |a: Fen, b: Fen| Fen(a.0.saturating_sub(b.0));
    let mut opening = Fen::ZERO;
    for r in all.iter().filter(|r| r.date < from) {
        opening = sub(add(opening, r.debit), r.credit);
    }
    let (mut balance, mut debits, mut credits) = (opening, Fen::ZERO, Fen::ZERO);
    let mut rows = Vec::new();
    for mut r in all.into_iter().filter(|r| r.date >= from && r.date <= to) {
        balance = sub(add(balance, r.debit), r.credit);
        debits = add(debits, r.debit);
        credits = add(credits, r.credit);
        r.balance = balance;
        rows.push(r);
    }
    Statement { from, to, opening, rows, debits, credits, closing: balance }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desk::order::{LineDraft, OrderDraft};
    use crate::desk::payments::Allocation;
    use crate::desk::shipping::Waybill;
    use crate::engine::ids::OfficeCode;
    use crate::engine::record::{Kind, RecordState};
    use proptest::prelude::*;

    fn id(n: u128) -> RecordId {
        RecordId(uuid::Uuid::from_u128(n))
    }

    fn day(n: i64) -> Date {
        Date::parse("2026-01-01").unwrap().plus_days(n)
    }

    /// An order of two lines (¥10.00 and ¥2.50 each) at `office`.
    fn order(n: u128, office: &str) -> OrderView {
        let draft = OrderDraft {
            customer_name: "美居".into(),
            payment: "monthly".into(),
            lines: vec![
                LineDraft {
                    model: "A".into(),
                    name: "a".into(),
                    quantity: "100".into(),
                    unit_price: "10".into(),
                    ..Default::default()
                },
                LineDraft {
                    model: "B".into(),
                    name: "b".into(),
                    quantity: "100".into(),
                    unit_price: "2.50".into(),
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let mut o = OrderView::from_record(&RecordState::new(Kind::ORDER, id(n), OfficeCode::parse(office).unwrap()));
        o.lines = draft.validate().unwrap().lines;
        o.number = format!("N{n}");
        o
    }

    fn blank<T>(kind: &str, n: u128, make: fn(&RecordState) -> T) -> T {
        make(&RecordState::new(Kind::new(kind), id(n), OfficeCode::parse("FS").unwrap()))
    }

    /// (kind 0 delivery / 1 return / 2 payment, order 0–2, line, quantity or amount, day)
    fn event() -> impl Strategy<Value = (u8, usize, usize, i64, i64)> {
        (0u8..3, 0usize..3, 0usize..2, 1i64..50, 0i64..90)
    }

    proptest! {
        /// Opening + debits − credits = closing, every row's balance follows from the one
        /// before, and two consecutive periods chain (one's closing is the next one's
        /// opening), whatever the records and whichever office (FS or head office) made them.
        #[test]
        fn statements_reconcile(events in prop::collection::vec(event(), 0..40), split in 1i64..89) {
            let orders = vec![order(1, "FS"), order(2, "FS"), order(3, "HQ")];
            let (mut shipments, mut log, mut pays) = (Vec::new(), Vec::new(), Vec::new());
            for (n, (kind, o, line, q, d)) in events.iter().enumerate() {
                let n = n as u128 + 100;
                let model = orders[*o].lines[*line].model.clone();
                let lines = vec![LineQty { line: *line, model, name: String::new(), quantity: *q }];
                match kind {
                    0 => {
                        let mut s = blank("shipment", n, ShipmentView::from_record);
                        s.order = Some(orders[*o].id);
                        s.ship_date = Some(day(*d));
                        s.waybills = vec![Waybill { number: format!("W{n}"), packages: 1 }];
                        s.lines = lines;
                        shipments.push(s);
                    }
                    1 => {
                        let mut e = blank("station_log", n, LogView::from_record);
                        e.kind = Some(LogKind::Return);
                        e.order = Some(orders[*o].id);
                        e.date = Some(day(*d));
                        e.lines = lines;
                        log.push(e);
                    }
                    _ => {
                        let mut p = blank("payment", n, PaymentView::from_record);
                        p.amount = Fen(q * 1_000);
                        p.date = Some(day(*d));
                        p.confirmed = !n.is_multiple_of(5);
                        p.allocations = vec![Allocation { order: orders[*o].id, order_number: String::new(), amount: Fen(q * 1_000) }];
                        pays.push(p);
                    }
                }
            }
            let whole = statement(&orders, &shipments, &log, &pays, day(0), day(89));
            prop_assert_eq!(whole.opening, Fen::ZERO);
            prop_assert_eq!(whole.closing.0, whole.opening.0 + whole.debits.0 - whole.credits.0);
            let mut running = whole.opening;
            for r in &whole.rows {
                running = Fen(running.0 + r.debit.0 - r.credit.0);
                prop_assert_eq!(r.balance, running);
            }
            let first = statement(&orders, &shipments, &log, &pays, day(0), day(split - 1));
            let second = statement(&orders, &shipments, &log, &pays, day(split), day(89));
            prop_assert_eq!(first.closing, second.opening);
            prop_assert_eq!(second.closing, whole.closing);
            prop_assert_eq!(first.rows.len() + second.rows.len(), whole.rows.len());
            // The same records in another order give the same statement.
            shipments.reverse();
            pays.reverse();
            log.reverse();
            prop_assert_eq!(statement(&orders, &shipments, &log, &pays, day(0), day(89)), whole);
        }
    }

    #[test]
    fn a_delivery_is_worth_its_lines_at_the_orders_prices_and_a_payment_credits_its_amount() {
        let orders = vec![order(1, "FS")];
        let mut s = blank("shipment", 10, ShipmentView::from_record);
        s.order = Some(id(1));
        s.ship_date = Some(day(3));
        s.lines = vec![
            LineQty { line: 0, model: "A".into(), name: String::new(), quantity: 3 },
            LineQty { line: 1, model: "B".into(), name: String::new(), quantity: 4 },
        ];
        let mut p = blank("payment", 11, PaymentView::from_record);
        p.amount = Fen(2_000);
        p.date = Some(day(5));
        p.confirmed = true;
        p.reference = "BOC-1".into();
        let st = statement(&orders, &[s], &[], &[p], day(1), day(30));
        assert_eq!(st.rows.len(), 2);
        assert_eq!((st.rows[0].debit, st.rows[0].balance), (Fen(4_000), Fen(4_000)));
        assert_eq!(
            (st.rows[1].credit, st.rows[1].balance, st.rows[1].document.as_str()),
            (Fen(2_000), Fen(2_000), "BOC-1")
        );
        assert_eq!(st.closing, Fen(2_000));
    }
}
