//! An order being typed, as a device keeps it (the frontend's `drafts`): a flat list of
//! strings rather than a JSON object. The app reads it with the reader of string lists it
//! carries anyway, not one reader per struct (docs/benchmarks.md: the download).
//!
//! The form's ten header values (customer id or empty, name, phone, address, station,
//! station contract, delivery date, payment, notes, read back: `1` or empty), then six per
//! line (product id or empty, model, name, quantity, unit, unit price).

use crate::desk::order::{LineDraft, OrderDraft};
use crate::engine::ids::RecordId;

const HEADER: usize = 10;
const LINE: usize = 6;

fn id_text(id: Option<RecordId>) -> String {
    id.map(|i| i.to_string()).unwrap_or_default()
}

/// An id, or none for an empty string; `Err` for anything else.
fn id_of(s: &str) -> Result<Option<RecordId>, ()> {
    if s.is_empty() {
        Ok(None)
    } else {
        RecordId::parse(s).map(Some).map_err(|_| ())
    }
}

impl OrderDraft {
    /// Appends this draft's strings to `out`.
    pub fn push_strings(&self, out: &mut Vec<String>) {
        out.push(id_text(self.customer));
        for s in [
            &self.customer_name,
            &self.phone,
            &self.address,
            &self.station,
            &self.station_contract,
            &self.delivery_date,
            &self.payment,
            &self.notes,
        ] {
            out.push(s.clone());
        }
        out.push(if self.read_back { "1" } else { "" }.into());
        for l in &self.lines {
            out.push(id_text(l.product));
            for s in [&l.model, &l.name, &l.quantity, &l.unit, &l.unit_price] {
                out.push(s.clone());
            }
        }
    }

    /// The draft `push_strings` wrote; `None` if these strings are not one.
    pub fn from_strings(parts: &[String]) -> Option<OrderDraft> {
        if parts.len() < HEADER || !(parts.len() - HEADER).is_multiple_of(LINE) {
            return None;
        }
        let s = |k: usize| parts[k].clone();
        let lines = parts[HEADER..]
            .chunks(LINE)
            .map(|l| {
                Some(LineDraft {
                    product: id_of(&l[0]).ok()?,
                    model: l[1].clone(),
                    name: l[2].clone(),
                    quantity: l[3].clone(),
                    unit: l[4].clone(),
                    unit_price: l[5].clone(),
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(OrderDraft {
            customer: id_of(&parts[0]).ok()?,
            customer_name: s(1),
            phone: s(2),
            address: s(3),
            station: s(4),
            station_contract: s(5),
            delivery_date: s(6),
            payment: s(7),
            notes: s(8),
            lines,
            read_back: match parts[9].as_str() {
                "1" => true,
                "" => false,
                _ => return None,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn strings(d: &OrderDraft) -> Vec<String> {
        let mut v = Vec::new();
        d.push_strings(&mut v);
        v
    }

    #[test]
    fn a_typed_draft_reads_back_whole() {
        let mut d = OrderDraft::sample(3);
        d.customer = Some(RecordId(uuid::Uuid::from_u128(7)));
        d.lines[1].product = Some(RecordId(uuid::Uuid::from_u128(9)));
        d.notes = "先打电话, \"急\"\n下午送".into();
        d.read_back = true;
        assert_eq!(OrderDraft::from_strings(&strings(&d)), Some(d.clone()));
        // As stored: a JSON list of strings.
        let json = serde_json::to_string(&strings(&d)).unwrap();
        let back: Vec<String> = serde_json::from_str(&json).unwrap();
        assert_eq!(OrderDraft::from_strings(&back), Some(d));
        assert_eq!(OrderDraft::from_strings(&strings(&OrderDraft::default())), Some(OrderDraft::default()));
    }

    #[test]
    fn strings_that_are_not_a_draft_are_refused() {
        let good = strings(&OrderDraft::sample(1));
        let cases: Vec<(&str, Vec<String>)> = vec![
            ("too short", good[..HEADER - 1].to_vec()),
            ("a line cut short", good[..good.len() - 1].to_vec()),
            ("a customer id that is not one", [vec!["x".to_string()], good[1..].to_vec()].concat()),
            ("read back neither 1 nor empty", [good[..9].to_vec(), vec!["yes".into()], good[10..].to_vec()].concat()),
        ];
        for (what, parts) in cases {
            assert_eq!(OrderDraft::from_strings(&parts), None, "{what}");
        }
    }

    proptest! {
        #[test]
        fn any_draft_reads_back(
            texts in proptest::collection::vec(".{0,12}", 8),
            lines in proptest::collection::vec((proptest::option::of(any::<u128>()), proptest::collection::vec(".{0,8}", 5)), 0..6),
            customer in proptest::option::of(any::<u128>()),
            read_back in any::<bool>(),
        ) {
            let d = OrderDraft {
                customer: customer.map(|c| RecordId(uuid::Uuid::from_u128(c))),
                customer_name: texts[0].clone(),
                phone: texts[1].clone(),
                address: texts[2].clone(),
                station: texts[3].clone(),
                station_contract: texts[4].clone(),
                delivery_date: texts[5].clone(),
                payment: texts[6].clone(),
                notes: texts[7].clone(),
                lines: lines
                    .into_iter()
                    .map(|(p, t)| LineDraft {
                        product: p.map(|p| RecordId(uuid::Uuid::from_u128(p))),
                        model: t[0].clone(),
                        name: t[1].clone(),
                        quantity: t[2].clone(),
                        unit: t[3].clone(),
                        unit_price: t[4].clone(),
                    })
                    .collect(),
                read_back,
            };
            prop_assert_eq!(OrderDraft::from_strings(&strings(&d)), Some(d));
        }
    }
}
