//! Finding things while the customer is still talking: lookups by a few characters of a
//! name, model, phone number or pinyin initials, and the order list's filter.

use crate::desk::order::{OrderView, Status};
use crate::desk::time::{local_date, Date};

/// Lower-case, without spaces, dashes or brackets, so `0757-2233 4455` matches `07572233`.
pub fn normalize(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace() && !"-()（）".contains(*c)).flat_map(char::to_lowercase).collect()
}

/// How well `query` matches any of `haystacks`: `None` for no match, lower is better
/// (0 = a haystack starts with it, 1 = contains it). Every word of the query must match.
pub fn score(query: &str, haystacks: &[&str]) -> Option<u8> {
    let hay: Vec<String> = haystacks.iter().map(|h| normalize(h)).collect();
    let one = |term: &str| {
        hay.iter()
            .filter_map(|h| {
                if h.starts_with(term) {
                    Some(0)
                } else if h.contains(term) {
                    Some(1)
                } else {
                    None
                }
            })
            .min()
    };
    // Typed with spaces but meant as one run (`0757 2233`): try the whole first.
    let whole = normalize(query);
    if let Some(s) = one(&whole) {
        return Some(s);
    }
    let mut best = 0;
    for term in query.split_whitespace().map(normalize).filter(|t| !t.is_empty()) {
        let s = one(&term)?;
        best = best.max(s);
    }
    Some(best)
}

/// The best `limit` matches of `query` among `items`, best first, stable within a score.
pub fn lookup<'a, T>(items: &'a [T], query: &str, limit: usize, keys: impl Fn(&T) -> Vec<&str>) -> Vec<&'a T> {
    if query.trim().is_empty() {
        return Vec::new();
    }
    let mut hits: Vec<(u8, usize, &T)> =
        items.iter().enumerate().filter_map(|(i, t)| score(query, &keys(t)).map(|s| (s, i, t))).collect();
    hits.sort_by_key(|(s, i, _)| (*s, *i));
    hits.into_iter().take(limit).map(|(_, _, t)| t).collect()
}

/// The order list's search box and filters.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OrderFilter {
    /// Matches the order number, customer name or phone.
    pub text: String,
    pub status: Option<Status>,
    /// Inclusive range of the day the order was taken, in the office's zone.
    pub from: Option<Date>,
    pub to: Option<Date>,
}

impl OrderFilter {
    pub fn accepts(&self, order: &OrderView, offset_minutes: i32) -> bool {
        if let Some(st) = self.status {
            if order.status != st {
                return false;
            }
        }
        if self.from.is_some() || self.to.is_some() {
            let Some(created) = order.created else {
                return false;
            };
            let day = local_date(created.wall_ms, offset_minutes);
            if self.from.is_some_and(|f| day < f) || self.to.is_some_and(|t| day > t) {
                return false;
            }
        }
        self.text.trim().is_empty() || score(&self.text, &[&order.number, &order.customer_name, &order.phone]).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_names_phones_and_initials() {
        assert_eq!(score("美居", &["佛山市顺德区美居建材"]), Some(1));
        assert_eq!(score("0757 2233", &["0757-2233-4455"]), Some(0));
        assert_eq!(score("fsmj", &["佛山美居", "FSMJ"]), Some(0));
        assert_eq!(score("aj 88", &["AJ-8801", "面盆龙头"]), Some(0));
        assert_eq!(score("xyz", &["AJ-8801"]), None);
    }

    #[test]
    fn the_order_filter_matches_text_status_and_local_dates() {
        use crate::engine::hlc::Hlc;
        use crate::engine::ids::{ChangeId, OfficeCode, RecordId};
        use crate::engine::record::{Change, Kind, RecordState};
        let office = OfficeCode::parse("FS").unwrap();
        let id = RecordId(uuid::Uuid::from_u128(1));
        let values = [
            ("number".to_string(), serde_json::json!("FS-261128-01-001")),
            ("customer_name".to_string(), serde_json::json!("佛山市美居建材商行")),
            ("phone".to_string(), serde_json::json!("0757-2233 4455")),
        ]
        .into();
        // 2026-11-28T20:30Z: already the 29th in Shanghai.
        let ts = Hlc { wall_ms: 1_795_897_800_000, counter: 0, node: 1 };
        let change = Change {
            id: ChangeId(uuid::Uuid::from_u128(2)),
            seq: 1,
            kind: Kind::ORDER,
            record: id,
            office: office.clone(),
            ts,
            by: "u".into(),
            set: RecordState::new(Kind::ORDER, id, office).writes_for(&values),
            event: None,
        };
        let order = OrderView::from_record(&RecordState::from_change(&change));
        let day = |s| Date::parse(s);
        let f = |text: &str, status, from, to| OrderFilter { text: text.into(), status, from: day(from), to: day(to) };
        assert!(f("美居", None, "", "").accepts(&order, 480));
        assert!(f("22334455", None, "", "").accepts(&order, 480));
        assert!(f("261128-01", Some(Status::Entered), "", "").accepts(&order, 480));
        assert!(!f("", Some(Status::Shipped), "", "").accepts(&order, 480));
        assert!(f("", None, "2026-11-29", "2026-11-29").accepts(&order, 480));
        assert!(!f("", None, "2026-11-29", "2026-11-29").accepts(&order, 0), "in UTC it is still the 28th");
        assert!(!f("恒发", None, "", "").accepts(&order, 480));
    }

    #[test]
    fn lookup_puts_prefix_matches_first() {
        let items = ["XAJ-1", "AJ-2", "BB", "AJ-3"];
        let found = lookup(&items, "aj", 10, |s| vec![*s]);
        assert_eq!(found, vec![&"AJ-2", &"AJ-3", &"XAJ-1"]);
        assert!(lookup(&items, " ", 10, |s| vec![*s]).is_empty());
        assert_eq!(lookup(&items, "aj", 1, |s| vec![*s]).len(), 1);
    }
}
