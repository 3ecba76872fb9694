//! The order list's rows, derived once per version of each record instead of from every
//! record on every change: a first sync brings ten thousand orders and then one more
//! every few seconds, and deriving an order (its steps, what still holds, its lines) is
//! the costly part of showing the list. An order's row is derived again only when the
//! order, one of its shipments, or the station log moved (see `Replica::version`).

use crate::desk::order::OrderView;
use crate::desk::shipping::{summarize, LogView, ShipmentView};
use crate::engine::ids::RecordId;
use crate::engine::record::{Kind, RecordState};
use crate::engine::replica::{Replica, SyncMark};
use std::collections::HashMap;
use std::sync::Arc;

/// One row: the order as shown, shared (the list, its filters and its pages hold it
/// without copying), and how far it has travelled.
pub type Row = (Arc<OrderView>, SyncMark);

/// What a row was derived from: the order's version, then its shipments' and the
/// station log's (only for orders with shipments).
type Stamp = (u64, Vec<u64>);

/// Whether a list of rows differs from the one before: by identity, since a row that was
/// not derived again is the same allocation (comparing ten thousand orders field by field
/// would cost more than it saves). For `Memo::new_with_compare`.
pub fn rows_changed(old: Option<&Vec<Row>>, new: Option<&Vec<Row>>) -> bool {
    match (old, new) {
        (Some(a), Some(b)) => {
            a.len() != b.len() || a.iter().zip(b).any(|(x, y)| !Arc::ptr_eq(&x.0, &y.0) || x.1 != y.1)
        }
        (None, None) => false,
        _ => true,
    }
}

#[derive(Default)]
pub struct Listing {
    rows: HashMap<RecordId, (Stamp, Arc<OrderView>)>,
}

impl Listing {
    /// Every order of the replica, newest first, re-deriving only what moved.
    pub fn rows(&mut self, r: &Replica) -> Vec<Row> {
        let mut shipments: HashMap<RecordId, Vec<&RecordState>> = HashMap::new();
        for s in r.all(Kind::SHIPMENT) {
            if let Ok(order) = RecordId::parse(s.get_str(crate::desk::shipping::field::ORDER)) {
                shipments.entry(order).or_default().push(s);
            }
        }
        let log_version =
            r.all(Kind::STATION_LOG).fold(0u64, |a, s| a.wrapping_mul(1_000_003).wrapping_add(r.version(s.kind, s.id)));
        let mut log: Option<Vec<LogView>> = None;
        let mut rows = HashMap::with_capacity(self.rows.len());
        let mut out: Vec<Row> = Vec::with_capacity(self.rows.len());
        for s in r.all(Kind::ORDER) {
            let mine = shipments.get(&s.id);
            let stamp: Stamp = (
                r.version(Kind::ORDER, s.id),
                mine.map(|l| l.iter().map(|x| r.version(x.kind, x.id)).chain([log_version]).collect())
                    .unwrap_or_default(),
            );
            let view = match self.rows.remove(&s.id) {
                Some((was, view)) if was == stamp => view,
                _ => {
                    let mut o = OrderView::from_record(s);
                    if let Some(list) = mine {
                        let log =
                            log.get_or_insert_with(|| r.all(Kind::STATION_LOG).map(LogView::from_record).collect());
                        let views: Vec<ShipmentView> = list.iter().map(|x| ShipmentView::from_record(x)).collect();
                        o.apply_shipping(&summarize(&o, &views, log.iter()));
                    }
                    Arc::new(o)
                }
            };
            out.push((view.clone(), r.sync_mark(Kind::ORDER, s.id)));
            rows.insert(s.id, (stamp, view));
        }
        self.rows = rows;
        crate::sort::sort_by_key(&mut out, |(o, _)| std::cmp::Reverse(o.created));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desk::order::{OrderDraft, Status};
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
        let numbers: Vec<&str> = first.iter().map(|(o, _)| o.number.as_str()).collect();
        assert_eq!(numbers, ["FS-261129-01-003", "FS-261129-01-002", "FS-261129-01-001"]);

        // This device reviews order 2: only its row is new.
        let wf = &crate::desk::order::WORKFLOW;
        let step = wf.step_write(r.get(Kind::ORDER, first[1].0.id), "review", Default::default());
        let office = OfficeCode::parse("FS").unwrap();
        r.edit(
            Kind::ORDER,
            first[1].0.id,
            &office,
            &Default::default(),
            Some(step),
            "fs_reviewer",
            10 * 60_000,
            [1; 10],
        )
        .unwrap();
        let second = listing.rows(&r);
        assert!(Arc::ptr_eq(&first[0].0, &second[0].0), "order 3 was not derived again");
        assert!(Arc::ptr_eq(&first[2].0, &second[2].0), "nor order 1");
        assert!(!Arc::ptr_eq(&first[1].0, &second[1].0));
        assert_eq!(second[1].0.status, Status::Reviewed);
        assert_eq!(second[1].1, SyncMark::Pending);
        assert_eq!(first[1].1, SyncMark::Synced);
        assert!(rows_changed(Some(&first), Some(&second)));
        assert!(!rows_changed(Some(&second), Some(&listing.rows(&r))), "nothing moved");
    }
}
