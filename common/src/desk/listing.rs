//! The order list's rows, derived once per version of each record instead of from every
//! record on every change: a first sync brings ten thousand orders and then one more
//! every few seconds, and deriving an order (its steps, what still holds, its lines) is
//! the costly part of showing the list. An order's row is derived again only when the
//! order, one of its shipments, or the station log moved (see `Replica::version`).
//!
//! The rows are also written to the device as a list index ([`index_text`], read back by
//! [`parse_index`]): opened again, the app shows the list from it before it has read the
//! records themselves, the costly part of an offline open of ten thousand orders.

use crate::desk::money::Fen;
use crate::desk::order::{OrderView, PaymentStamp, Status, WORKFLOW};
use crate::desk::shipping::{summarize, LogView, ShipmentView};
use crate::engine::hlc::Hlc;
use crate::engine::ids::{OfficeCode, RecordId};
use crate::engine::record::{Kind, RecordState};
use crate::engine::replica::{Replica, SyncMark};
use std::collections::HashMap;
use std::sync::Arc;

/// What the order list shows of an order, and filters it by.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ListRow {
    pub id: RecordId,
    pub office: OfficeCode,
    pub number: String,
    pub customer_name: String,
    pub phone: String,
    pub total: Fen,
    pub status: Status,
    /// The step an edit after it sent the order back for (已改,需重新复核).
    pub again: Option<&'static str>,
    /// Two versions of a field, or two steps, clash.
    pub conflict: bool,
    pub stamp: Option<PaymentStamp>,
    /// The waybills and package count of its shipments.
    pub shipment: Option<(String, u32)>,
    pub created: Option<Hlc>,
    /// The number, customer name and phone as the search compares them.
    pub search: String,
    pub mark: SyncMark,
}

impl ListRow {
    pub fn of(o: &OrderView, mark: SyncMark) -> ListRow {
        ListRow {
            id: o.id,
            office: o.office.clone(),
            number: o.number.clone(),
            customer_name: o.customer_name.clone(),
            phone: o.phone.clone(),
            total: o.total,
            status: o.status,
            again: o.needs_again().first().copied(),
            conflict: o.has_conflict(),
            stamp: o.stamp,
            shipment: o.shipment.clone(),
            created: o.created,
            search: o.search.clone(),
            mark,
        }
    }
}

/// One row, shared: the list, its filters and its pages hold it without copying.
pub type Row = Arc<ListRow>;

/// What a row was derived from: the order's version, then its shipments' and the
/// station log's (only for orders with shipments), and its sync mark.
type Stamp = (u64, Vec<u64>, SyncMark);

/// Whether a list of rows differs from the one before: by identity, since a row that was
/// not derived again is the same allocation (comparing ten thousand orders field by field
/// would cost more than it saves). For `Memo::new_with_compare`.
pub fn rows_changed(old: Option<&Vec<Row>>, new: Option<&Vec<Row>>) -> bool {
    match (old, new) {
        (Some(a), Some(b)) => a.len() != b.len() || a.iter().zip(b).any(|(x, y)| !Arc::ptr_eq(x, y)),
        (None, None) => false,
        _ => true,
    }
}

#[derive(Default)]
pub struct Listing {
    rows: HashMap<RecordId, (Stamp, Row)>,
}

/// What an order's row is derived from beside the order: its shipments and the station
/// log, gathered once for a whole pass over the orders.
struct Sources<'r> {
    r: &'r Replica,
    shipments: HashMap<RecordId, Vec<&'r RecordState>>,
    log_version: u64,
    log: Option<Vec<LogView>>,
}

impl<'r> Sources<'r> {
    fn of(r: &'r Replica) -> Sources<'r> {
        let mut shipments: HashMap<RecordId, Vec<&RecordState>> = HashMap::new();
        for s in r.all(Kind::SHIPMENT) {
            if let Ok(order) = RecordId::parse(s.get_str(crate::desk::shipping::field::ORDER)) {
                shipments.entry(order).or_default().push(s);
            }
        }
        let log_version =
            r.all(Kind::STATION_LOG).fold(0u64, |a, s| a.wrapping_mul(1_000_003).wrapping_add(r.version(s.kind, s.id)));
        Sources { r, shipments, log_version, log: None }
    }

    fn stamp(&self, order: &RecordState) -> Stamp {
        let r = self.r;
        (
            r.version(Kind::ORDER, order.id),
            self.shipments
                .get(&order.id)
                .map(|l| l.iter().map(|x| r.version(x.kind, x.id)).chain([self.log_version]).collect())
                .unwrap_or_default(),
            r.sync_mark(Kind::ORDER, order.id),
        )
    }

    fn row(&mut self, order: &RecordState, mark: SyncMark) -> Row {
        let mut o = OrderView::from_record(order);
        if let Some(list) = self.shipments.get(&order.id) {
            let r = self.r;
            let log = self.log.get_or_insert_with(|| r.all(Kind::STATION_LOG).map(LogView::from_record).collect());
            let views: Vec<ShipmentView> = list.iter().map(|x| ShipmentView::from_record(x)).collect();
            o.apply_shipping(&summarize(&o, &views, log.iter()));
        }
        Arc::new(ListRow::of(&o, mark))
    }
}

impl Listing {
    /// Every order of the replica, newest first, re-deriving only what moved.
    pub fn rows(&mut self, r: &Replica) -> Vec<Row> {
        let mut sources = Sources::of(r);
        let mut rows = HashMap::with_capacity(self.rows.len());
        let mut out: Vec<Row> = Vec::with_capacity(self.rows.len());
        for s in r.all(Kind::ORDER) {
            let stamp = sources.stamp(s);
            let row = match self.rows.remove(&s.id) {
                Some((was, row)) if was == stamp => row,
                _ => sources.row(s, stamp.2),
            };
            out.push(row.clone());
            rows.insert(s.id, (stamp, row));
        }
        self.rows = rows;
        crate::sort::sort_by_key(&mut out, |o| std::cmp::Reverse(o.created));
        out
    }

    /// Derives at most `budget` of the rows not derived yet; whether every row now is (so
    /// that [`Listing::rows`] costs little). A list of ten thousand orders is derived a
    /// slice at a time this way while the app stays responsive.
    pub fn warm(&mut self, r: &Replica, mut budget: usize) -> bool {
        let mut sources = Sources::of(r);
        for s in r.all(Kind::ORDER) {
            let stamp = sources.stamp(s);
            if self.rows.get(&s.id).is_some_and(|(was, _)| *was == stamp) {
                continue;
            }
            if budget == 0 {
                return false;
            }
            budget -= 1;
            let row = sources.row(s, stamp.2);
            self.rows.insert(s.id, (stamp, row));
        }
        true
    }
}

/// The rows as the list index stores them: a line per row, its fields apart by tabs. A
/// tab or line break inside a name is stored as a space (the index only stands in for the
/// rows until they are derived again from the records); the search text is not stored but
/// worked out again from the number, name and phone.
pub fn index_text(rows: &[Row]) -> String {
    let mut out = String::with_capacity(rows.len() * 120);
    for r in rows {
        let (waybill, packages) = r.shipment.as_ref().map(|(w, p)| (w.as_str(), *p)).unwrap_or(("", 0));
        out.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            r.id,
            r.office.as_str(),
            flat(&r.number),
            flat(&r.customer_name),
            flat(&r.phone),
            flat(waybill),
            r.shipment.is_some() as u8,
            packages,
            r.total.0,
            r.status.code(),
            r.again.unwrap_or(""),
            r.conflict as u8,
            r.stamp.map(PaymentStamp::code).unwrap_or(""),
            r.created.map(|c| c.to_string()).unwrap_or_default(),
            r.mark.code(),
        ));
    }
    out
}

fn flat(s: &str) -> String {
    s.replace(['\t', '\n'], " ")
}

/// The rows [`index_text`] wrote; `None` if any line is not one of its rows (the caller
/// then reads the records instead).
pub fn parse_index(text: &str) -> Option<Vec<Row>> {
    let mut rows = Vec::new();
    for line in text.lines() {
        rows.push(Arc::new(parse_row(line)?));
    }
    Some(rows)
}

fn parse_row(line: &str) -> Option<ListRow> {
    let f: Vec<&str> = line.split('\t').collect();
    let [id, office, number, name, phone, waybill, shipped, packages, total, status, again, conflict, stamp, created, mark] =
        f[..]
    else {
        return None;
    };
    // One integer reader for both numbers (a smaller download than two).
    let packages: i64 = packages.parse().ok()?;
    let (number, customer_name, phone) = (number.to_string(), name.to_string(), phone.to_string());
    Some(ListRow {
        id: RecordId::parse(id).ok()?,
        office: OfficeCode::parse(office).ok()?,
        search: crate::desk::order::search_of(&number, &customer_name, &phone),
        number,
        customer_name,
        phone,
        shipment: (shipped == "1").then(|| (waybill.to_string(), packages as u32)),
        total: Fen(total.parse().ok()?),
        status: Status::parse(status)?,
        again: match again {
            "" => None,
            step => Some(WORKFLOW.step(step)?.code),
        },
        conflict: conflict == "1",
        stamp: match stamp {
            "" => None,
            code => Some(PaymentStamp::parse(code)?),
        },
        created: match created {
            "" => None,
            hlc => Some(Hlc::parse(hlc).ok()?),
        },
        mark: SyncMark::parse(mark)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desk::order::OrderDraft;
    use crate::engine::hlc::Hlc;
    use crate::engine::ids::{ChangeId, ClientId, OfficeCode};
    use crate::engine::record::Change;

    fn order(n: u128, minute: u64) -> RecordState {
        let office = OfficeCode::parse("FS").unwrap();
        let id = RecordId(uuid::Uuid::from_u128(n));
        let mut values = OrderDraft::sample(n as usize).validate().unwrap().to_values();
        values.insert("number".into(), serde_json::json!(format!("FS-261129-01-{n:03}")));
        let change = Change {
            id: ChangeId(uuid::Uuid::from_u128(10_000 + n)),
            seq: 1,
            kind: Kind::ORDER,
            record: id,
            office: office.clone(),
            ts: Hlc { wall_ms: minute * 60_000, counter: 0, node: 1 },
            by: "fs_clerk".into(),
            set: RecordState::new(Kind::ORDER, id, office).writes_for(&values),
            event: None,
        };
        RecordState::from_change(&change)
    }

    #[test]
    fn rows_are_newest_first_and_only_what_moved_is_derived_again() {
        let mut r = Replica::new(ClientId(uuid::Uuid::from_u128(1)), 1);
        r.take_page((1..=3).map(|n| order(n, n as u64)).collect(), 3, Hlc::ZERO, 0);
        let mut listing = Listing::default();
        let first = listing.rows(&r);
        let numbers: Vec<&str> = first.iter().map(|o| o.number.as_str()).collect();
        assert_eq!(numbers, ["FS-261129-01-003", "FS-261129-01-002", "FS-261129-01-001"]);

        // This device reviews order 2: only its row is new.
        let wf = &crate::desk::order::WORKFLOW;
        let step = wf.step_write(r.get(Kind::ORDER, first[1].id), "review", Default::default());
        let office = OfficeCode::parse("FS").unwrap();
        r.edit(Kind::ORDER, first[1].id, &office, &Default::default(), Some(step), "fs_reviewer", 10 * 60_000, [1; 10])
            .unwrap();
        let second = listing.rows(&r);
        assert!(Arc::ptr_eq(&first[0], &second[0]), "order 3 was not derived again");
        assert!(Arc::ptr_eq(&first[2], &second[2]), "nor order 1");
        assert!(!Arc::ptr_eq(&first[1], &second[1]));
        assert_eq!(second[1].status, Status::Reviewed);
        assert_eq!(second[1].mark, SyncMark::Pending);
        assert_eq!(first[1].mark, SyncMark::Synced);
        assert!(rows_changed(Some(&first), Some(&second)));
        assert!(!rows_changed(Some(&second), Some(&listing.rows(&r))), "nothing moved");
    }

    #[test]
    fn a_list_warmed_a_slice_at_a_time_is_the_list_derived_at_once() {
        let mut r = Replica::new(ClientId(uuid::Uuid::from_u128(1)), 1);
        r.take_page((1..=5).map(|n| order(n, n as u64)).collect(), 5, Hlc::ZERO, 0);
        let mut warmed = Listing::default();
        assert!(!warmed.warm(&r, 2), "two of five");
        assert!(!warmed.warm(&r, 2), "four of five");
        assert!(warmed.warm(&r, 2), "all five");
        assert!(warmed.warm(&r, 0), "nothing left to derive");
        let rows = warmed.rows(&r);
        assert_eq!(rows, Listing::default().rows(&r));
        assert!(Arc::ptr_eq(&rows[0], &warmed.rows(&r)[0]), "derived once");
    }

    fn row(n: u128) -> ListRow {
        let mut r = Replica::new(ClientId(uuid::Uuid::from_u128(1)), 1);
        r.take_page(vec![order(n, n as u64)], 1, Hlc::ZERO, 0);
        Arc::unwrap_or_clone(Listing::default().rows(&r).remove(0))
    }

    #[test]
    fn the_list_index_gives_back_every_row_it_was_written_from() {
        let plain = row(1);
        let mut odd = row(2);
        odd.customer_name = "佛山 美居\\店 二楼".into();
        odd.phone = "\\t".into();
        odd.shipment = Some(("SF1001, SF1002".into(), 3));
        odd.again = Some("review");
        odd.conflict = true;
        odd.stamp = Some(PaymentStamp::Receivable);
        odd.status = Status::PartlyShipped;
        odd.total = Fen(-123_456);
        odd.mark = SyncMark::Refused;
        odd.search = crate::desk::order::search_of(&odd.number, &odd.customer_name, &odd.phone);
        let mut bare = row(3);
        bare.created = None;
        bare.shipment = Some((String::new(), 0));
        let rows: Vec<Row> = [plain, odd, bare].into_iter().map(Arc::new).collect();
        let text = index_text(&rows);
        assert_eq!(text.lines().count(), 3);
        assert_eq!(parse_index(&text).expect("it reads back"), rows);
        // A tab or a line break typed into a name cannot split a row: it reads back as a space.
        let mut split = row(4);
        split.customer_name = "佛山\t美居\n二楼".into();
        let back = parse_index(&index_text(&[Arc::new(split.clone())])).expect("one row");
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].customer_name, "佛山 美居 二楼");
        assert_eq!(back[0].number, split.number);
        assert_eq!(parse_index("").expect("no orders"), Vec::<Row>::new());
    }

    #[test]
    fn a_damaged_list_index_is_not_read_at_all() {
        let text = index_text(&[Arc::new(row(1))]);
        assert!(parse_index(&text).is_some());
        for broken in [
            text.replacen("entered", "sideways", 1),
            text.replacen("\t", "", 1),
            text[..text.rfind('\t').unwrap()].to_string(),
            format!("{text}not a row\n"),
        ] {
            assert_eq!(parse_index(&broken), None, "{broken:?}");
        }
    }
}
