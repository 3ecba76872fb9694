//! The books: the money side of a set of records (an office's, or all of them at head
//! office) read once, so a statement, the ageing or a list is computed the same way by the
//! server's exports and by the browser's screens.

use std::collections::HashMap;

use crate::desk::ageing::{aged_orders, paid_by_order, Aged};
use crate::desk::customer::CustomerView;
use crate::desk::opening::Opening;
use crate::desk::order::OrderView;
use crate::desk::payments::PaymentView;
use crate::desk::payments::{arrival, chase_list, Chase};
use crate::desk::shipping::{summarize, LogView, ShipmentView};
use crate::desk::statement::{fold, opening_rows, rows, Statement};
use crate::desk::time::Date;
use crate::engine::ids::RecordId;
use crate::engine::record::{Kind, RecordState};

#[derive(Clone, Debug, Default)]
pub struct Books {
    /// With their shipping applied (部分发货 while goods are still to ship).
    pub orders: Vec<OrderView>,
    pub shipments: Vec<ShipmentView>,
    pub log: Vec<LogView>,
    pub payments: Vec<PaymentView>,
    pub customers: Vec<CustomerView>,
    /// 期初应收: what customers owed when the company started.
    pub openings: Vec<Opening>,
}

impl Books {
    /// Reads `records` of any kinds (others are passed over).
    pub fn read<'a>(records: impl IntoIterator<Item = &'a RecordState>) -> Books {
        let mut b = Books::default();
        let mut orders = Vec::new();
        for r in records {
            match r.kind {
                k if k == Kind::ORDER => orders.push(OrderView::from_record(r)),
                k if k == Kind::SHIPMENT => b.shipments.push(ShipmentView::from_record(r)),
                k if k == Kind::STATION_LOG => b.log.push(LogView::from_record(r)),
                k if k == Kind::PAYMENT => b.payments.push(PaymentView::from_record(r)),
                k if k == Kind::CUSTOMER => b.customers.push(CustomerView::from_record(r)),
                k if k == Kind::OPENING => b.openings.push(Opening::from_record(r)),
                _ => {}
            }
        }
        let mut ships: HashMap<RecordId, Vec<&ShipmentView>> = HashMap::new();
        for s in &b.shipments {
            if let Some(o) = s.order {
                ships.entry(o).or_default().push(s);
            }
        }
        let mut logs: HashMap<RecordId, Vec<&LogView>> = HashMap::new();
        for e in &b.log {
            if let Some(o) = e.order {
                logs.entry(o).or_default().push(e);
            }
        }
        for o in &mut orders {
            if o.progress.fact.is_some() {
                let s = ships.get(&o.id).map(Vec::as_slice).unwrap_or_default().iter().copied();
                let l = logs.get(&o.id).map(Vec::as_slice).unwrap_or_default().iter().copied();
                let shipping = summarize(o, s, l);
                o.apply_shipping(&shipping);
            }
        }
        b.orders = orders;
        b
    }

    /// When each order's goods first left (an opening balance: its date).
    pub fn first_shipped(&self) -> HashMap<RecordId, Date> {
        let mut out: HashMap<RecordId, Date> =
            self.openings.iter().filter_map(|o| o.as_of.map(|d| (o.id, d))).collect();
        for s in &self.shipments {
            if let (Some(o), Some(d)) = (s.order, s.ship_date) {
                out.entry(o).and_modify(|e| *e = (*e).min(d)).or_insert(d);
            }
        }
        out
    }

    /// The customer's statement for `from`..=`to`: their orders (by id, or by name for
    /// orders typed before the customer was known), what shipped and came back on them,
    /// and their payments.
    pub fn statement_of(&self, customer: &CustomerView, from: Date, to: Date) -> Statement {
        let mine =
            |id: Option<RecordId>, name: &str| id == Some(customer.id) || (id.is_none() && name == customer.name);
        let orders: Vec<OrderView> =
            self.orders.iter().filter(|o| mine(o.customer, &o.customer_name)).cloned().collect();
        let ids: std::collections::HashSet<RecordId> = orders.iter().map(|o| o.id).collect();
        let on_mine = |o: Option<RecordId>| o.is_some_and(|o| ids.contains(&o));
        let shipments: Vec<ShipmentView> = self.shipments.iter().filter(|s| on_mine(s.order)).cloned().collect();
        let log: Vec<LogView> = self.log.iter().filter(|e| on_mine(e.order)).cloned().collect();
        let pays: Vec<PaymentView> =
            self.payments.iter().filter(|p| mine(p.customer, &p.customer_name)).cloned().collect();
        let openings: Vec<Opening> =
            self.openings.iter().filter(|o| mine(o.customer, &o.customer_name)).cloned().collect();
        let mut all = rows(&orders, &shipments, &log, &pays);
        all.extend(opening_rows(&openings));
        fold(all, from, to)
    }

    /// The orders and the opening balances as documents owed for (see
    /// [`Opening::as_order`]): what balances, exposure and ageing run over.
    pub fn documents(&self) -> Vec<OrderView> {
        self.orders.iter().cloned().chain(self.openings.iter().map(Opening::as_order)).collect()
    }

    /// Who owns the customer of a document: the salesperson of its customer record, or of
    /// the customer of that name (orders typed before the customer was known).
    fn owner_lookup(&self) -> impl Fn(&OrderView) -> String + '_ {
        let owners: HashMap<RecordId, &str> = self.customers.iter().map(|c| (c.id, c.salesperson.as_str())).collect();
        let by_name: HashMap<&str, &str> =
            self.customers.iter().map(|c| (c.name.as_str(), c.salesperson.as_str())).collect();
        move |o: &OrderView| {
            o.customer
                .and_then(|c| owners.get(&c))
                .or_else(|| by_name.get(o.customer_name.as_str()))
                .map(|s| s.to_string())
                .unwrap_or_default()
        }
    }

    /// Every order still owed for, aged on `today`, with its customer's salesperson.
    pub fn aged(&self, today: Date) -> Vec<Aged> {
        let first = self.first_shipped();
        aged_orders(
            &self.documents(),
            &paid_by_order(&self.payments),
            |o| first.get(&o).copied(),
            self.owner_lookup(),
            today,
        )
    }

    /// 催款: the pay-on-arrival orders arrived and unpaid on `today`, with their customer's
    /// salesperson ([`chase_list`]), each order's shipments found once.
    pub fn chase(&self, today: Date) -> Vec<Chase> {
        let mut ships: HashMap<RecordId, Vec<&ShipmentView>> = HashMap::new();
        for s in &self.shipments {
            if let Some(o) = s.order {
                ships.entry(o).or_default().push(s);
            }
        }
        let arrived_on = |id: RecordId| arrival(ships.get(&id).map(Vec::as_slice).unwrap_or_default());
        chase_list(&self.orders, &self.payments, arrived_on, self.owner_lookup(), today)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desk::money::Fen;
    use crate::engine::ids::OfficeCode;

    #[test]
    fn an_opening_balance_is_brought_forward_and_aged_from_its_date() {
        let fs = OfficeCode::parse("FS").unwrap();
        let mut c = CustomerView::from_record(&RecordState::new(
            Kind::CUSTOMER,
            RecordId(uuid::Uuid::from_u128(9)),
            fs.clone(),
        ));
        c.name = "美居建材".into();
        c.salesperson = "fs_salesperson".into();
        let opening = Opening {
            id: RecordId(uuid::Uuid::from_u128(1)),
            office: fs,
            customer: Some(c.id),
            customer_name: c.name.clone(),
            amount: Fen(250_000),
            as_of: Date::parse("2026-08-31"),
            notes: String::new(),
        };
        let books = Books { customers: vec![c.clone()], openings: vec![opening], ..Default::default() };
        let (from, to) = (Date::parse("2026-11-01").unwrap(), Date::parse("2026-11-30").unwrap());
        let st = books.statement_of(&c, from, to);
        assert_eq!((st.opening, st.closing, st.rows.len()), (Fen(250_000), Fen(250_000), 0));
        let sept = books.statement_of(&c, Date::parse("2026-08-01").unwrap(), Date::parse("2026-08-31").unwrap());
        assert_eq!(sept.rows[0].kind, crate::desk::statement::RowKind::Opening);
        let aged = books.aged(to);
        assert_eq!(
            (aged.len(), aged[0].open, aged[0].bucket(), aged[0].salesperson.as_str()),
            (1, Fen(250_000), 3, "fs_salesperson"),
            "91 days: over 90"
        );
    }
}
