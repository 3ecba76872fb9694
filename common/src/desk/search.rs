//! Finding things while the customer is still talking: lookups by a few characters of a
//! name, model, phone number or pinyin initials, and the order list's filter.

use crate::desk::listing::ListRow;
use crate::desk::order::Status;
use crate::desk::permissions::Role;
use crate::desk::time::{local_date, Date};
use crate::engine::ids::OfficeCode;

/// Lower-case, without spaces, dashes or brackets, so `0757-2233 4455` matches `07572233`;
/// what an input method types in full width as its ASCII (`０７５７` matches `0757`).
pub fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    normalize_into(&mut out, s);
    out
}

/// [`normalize`], appended to `out`.
fn normalize_into(out: &mut String, s: &str) {
    out.extend(s.chars().map(fold).filter(|c| !c.is_whitespace() && !"-()（）".contains(*c)));
}

/// One character as search compares it: full-width ASCII as ASCII, then lower case for the
/// alphabets names are written in here (Latin with Latin-1's accents, Greek, Cyrillic).
/// A table of our own, so the app does not carry std's case tables for every script.
fn fold(c: char) -> char {
    let c = match c {
        '！'..='～' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        other => other,
    };
    let lower = match c {
        'A'..='Z' | 'À'..='Þ' if c != '×' => c as u32 + 0x20,
        'Α'..='Ω' | 'А'..='Я' => c as u32 + 0x20,
        'Ѐ'..='Џ' => c as u32 + 0x50,
        _ => return c,
    };
    char::from_u32(lower).unwrap_or(c)
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
    crate::sort::sort_by_key(&mut hits, |(s, i, _)| (*s, *i));
    hits.into_iter().take(limit).map(|(_, _, t)| t).collect()
}

/// `haystacks` normalized once for [`TextQuery::matches`], one line each (a normalized
/// term holds no line break, so it cannot match across two of them).
pub fn searchable(haystacks: &[&str]) -> String {
    // One string, written once: a list derives this for every order.
    let mut out = String::with_capacity(haystacks.iter().map(|h| h.len() + 1).sum());
    for (k, h) in haystacks.iter().enumerate() {
        if k > 0 {
            out.push('\n');
        }
        normalize_into(&mut out, h);
    }
    out
}

/// A search box's text, normalized once for matching many records as [`score`] does.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TextQuery {
    whole: String,
    terms: Vec<String>,
    blank: bool,
}

impl TextQuery {
    pub fn new(text: &str) -> TextQuery {
        TextQuery {
            whole: normalize(text),
            terms: text.split_whitespace().map(normalize).filter(|t| !t.is_empty()).collect(),
            blank: text.trim().is_empty(),
        }
    }

    /// Whether [`score`] would find the query in the haystacks `searchable` made into `hay`.
    pub fn matches(&self, hay: &str) -> bool {
        self.blank || hay.contains(&self.whole) || self.terms.iter().all(|t| hay.contains(t.as_str()))
    }
}

/// A desk's work queue: the orders waiting for one step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Queue {
    #[default]
    All,
    /// 待复核: entered, or sent back by a change.
    ToReview,
    /// 待收银审核
    ToAudit,
    /// 待交物流
    ToHandOver,
    /// 待发货: audited, handed over or not.
    ToShip,
}

impl Queue {
    pub const ALL: [Queue; 5] = [Queue::All, Queue::ToReview, Queue::ToAudit, Queue::ToHandOver, Queue::ToShip];

    pub fn code(self) -> &'static str {
        match self {
            Queue::All => "all",
            Queue::ToReview => "to_review",
            Queue::ToAudit => "to_audit",
            Queue::ToHandOver => "to_hand_over",
            Queue::ToShip => "to_ship",
        }
    }

    pub fn accepts(self, order: &ListRow) -> bool {
        match self {
            Queue::All => true,
            Queue::ToReview => order.status == Status::Entered,
            Queue::ToAudit => order.status == Status::Reviewed,
            Queue::ToHandOver => order.status == Status::Audited,
            Queue::ToShip => matches!(order.status, Status::Audited | Status::HandedOver | Status::PartlyShipped),
        }
    }

    /// The queue a person starts from: the step their role takes.
    pub fn for_role(role: Role) -> Queue {
        match role {
            Role::Reviewer => Queue::ToReview,
            Role::Cashier => Queue::ToAudit,
            Role::Logistics => Queue::ToShip,
            _ => Queue::All,
        }
    }
}

/// The order list's search box and filters.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OrderFilter {
    /// Matches the order number, customer name or phone.
    pub text: String,
    pub status: Option<Status>,
    pub queue: Queue,
    /// Head office looks at one office's orders (or all).
    pub office: Option<OfficeCode>,
    /// Inclusive range of the day the order was taken, in the office's zone.
    pub from: Option<Date>,
    pub to: Option<Date>,
}

impl OrderFilter {
    /// Whether the list shows `order`. Over many orders, [`OrderFilter::prepare`] once.
    pub fn accepts(&self, order: &ListRow, offset_minutes: i32) -> bool {
        self.prepare().accepts(order, offset_minutes)
    }

    /// The filter with its text normalized once, for a whole list.
    pub fn prepare(&self) -> PreparedFilter<'_> {
        PreparedFilter { filter: self, text: TextQuery::new(&self.text) }
    }
}

/// An [`OrderFilter`] ready to run over a list (see [`OrderFilter::prepare`]).
pub struct PreparedFilter<'a> {
    filter: &'a OrderFilter,
    text: TextQuery,
}

impl PreparedFilter<'_> {
    pub fn accepts(&self, order: &ListRow, offset_minutes: i32) -> bool {
        let f = self.filter;
        if !f.queue.accepts(order) || f.office.as_ref().is_some_and(|o| *o != order.office) {
            return false;
        }
        if let Some(st) = f.status {
            if order.status != st {
                return false;
            }
        }
        if f.from.is_some() || f.to.is_some() {
            let Some(created) = order.created else {
                return false;
            };
            let day = local_date(created.wall_ms, offset_minutes);
            if f.from.is_some_and(|from| day < from) || f.to.is_some_and(|to| day > to) {
                return false;
            }
        }
        self.text.matches(&order.search)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn a_prepared_query_matches_exactly_what_score_finds(
            query in "[ a-c0-2Ａ（）-]{0,6}",
            hay in proptest::collection::vec("[ a-dA-C0-3（）-]{0,8}", 3),
        ) {
            let haystacks: Vec<&str> = hay.iter().map(String::as_str).collect();
            prop_assert_eq!(TextQuery::new(&query).matches(&searchable(&haystacks)), score(&query, &haystacks).is_some());
        }

        #[test]
        fn the_searchable_text_is_each_haystack_normalized_one_per_line(
            hay in proptest::collection::vec("[ a-dA-CÀ-ÅΑ-Γ0-3（）Ａ-Ｃ\n-]{0,8}", 0..4),
        ) {
            let haystacks: Vec<&str> = hay.iter().map(String::as_str).collect();
            let each: Vec<String> = haystacks.iter().map(|h| normalize(h)).collect();
            prop_assert_eq!(searchable(&haystacks), each.join("\n"));
        }
    }

    #[test]
    fn matches_names_phones_and_initials() {
        assert_eq!(score("美居", &["佛山市顺德区美居建材"]), Some(1));
        assert_eq!(score("0757 2233", &["0757-2233-4455"]), Some(0));
        assert_eq!(score("fsmj", &["佛山美居", "FSMJ"]), Some(0));
        assert_eq!(score("aj 88", &["AJ-8801", "面盆龙头"]), Some(0));
        assert_eq!(score("xyz", &["AJ-8801"]), None);
    }

    #[test]
    fn full_width_typing_and_capitals_of_other_alphabets_match() {
        assert_eq!(score("０７５７　２２３３", &["0757-2233-4455"]), Some(0));
        assert_eq!(score("ＡＪ－８８", &["aj-8801"]), Some(0));
        assert_eq!(score("café", &["CAFÉ ÀLA"]), Some(0));
        assert_eq!(score("москва", &["МОСКВА"]), Some(0));
        assert_eq!(score("ёж", &["ЁЖ"]), Some(0));
        assert_eq!(score("αβ", &["ΑΒΓ"]), Some(0));
        assert_eq!(score("×", &["÷"]), None);
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
        let order = crate::desk::order::OrderView::from_record(&RecordState::from_change(&change));
        let order = ListRow::of(&order, crate::engine::replica::SyncMark::Synced);
        let day = |s| Date::parse(s);
        let f = |text: &str, status, from, to| OrderFilter {
            text: text.into(),
            status,
            from: day(from),
            to: day(to),
            ..Default::default()
        };
        assert!(f("美居", None, "", "").accepts(&order, 480));
        assert!(f("22334455", None, "", "").accepts(&order, 480));
        assert!(f("261128-01", Some(Status::Entered), "", "").accepts(&order, 480));
        assert!(!f("", Some(Status::Shipped), "", "").accepts(&order, 480));
        assert!(f("", None, "2026-11-29", "2026-11-29").accepts(&order, 480));
        assert!(!f("", None, "2026-11-29", "2026-11-29").accepts(&order, 0), "in UTC it is still the 28th");
        assert!(!f("恒发", None, "", "").accepts(&order, 480));
        let queue = |q| OrderFilter { queue: q, ..Default::default() };
        assert!(queue(Queue::ToReview).accepts(&order, 480), "a new order waits for review");
        assert!(!queue(Queue::ToAudit).accepts(&order, 480));
        let office = |o: &str| OrderFilter { office: OfficeCode::parse(o).ok(), ..Default::default() };
        assert!(office("FS").accepts(&order, 480) && !office("SZ").accepts(&order, 480));
        assert_eq!(Queue::for_role(Role::Cashier), Queue::ToAudit);
    }

    /// A customer typed at order entry has no stored initials; its name's are computed
    /// when read, so the order form's lookup finds it by them. Stored ones still count.
    #[test]
    fn a_customer_without_initials_is_found_by_its_names() {
        use crate::desk::customer::{CustomerFields, CustomerView};
        use crate::desk::order::OrderDraft;
        use crate::engine::hlc::Hlc;
        use crate::engine::ids::{ChangeId, OfficeCode, RecordId};
        use crate::engine::record::{Change, Kind, RecordState};
        let customer = |n: u128, values: std::collections::BTreeMap<String, serde_json::Value>| {
            let (id, office) = (RecordId(uuid::Uuid::from_u128(n)), OfficeCode::parse("FS").unwrap());
            let set = RecordState::new(Kind::CUSTOMER, id, office.clone()).writes_for(&values);
            let change = Change {
                id: ChangeId(uuid::Uuid::from_u128(100 + n)),
                seq: 1,
                kind: Kind::CUSTOMER,
                record: id,
                office,
                ts: Hlc::ZERO,
                by: "fs_clerk".into(),
                set,
                event: None,
            };
            CustomerView::from_record(&RecordState::from_change(&change))
        };
        let typed = OrderDraft { customer_name: "华北建新".into(), ..OrderDraft::sample(1) };
        let values = CustomerFields::from_order(&typed.validate().unwrap()).new_values();
        assert!(!values.contains_key("initials"));
        let demo = [("name", "佛山美居"), ("initials", "fsmj")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), serde_json::json!(v)))
            .collect();
        let customers = [customer(1, demo), customer(2, values)];
        fn keys(c: &CustomerView) -> Vec<&str> {
            vec![&c.name, &c.phone, &c.initials]
        }
        let found = lookup(&customers, "hbjx", 8, keys);
        assert_eq!(found.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["华北建新"]);
        assert_eq!(customers[1].initials, "hbjx");
        assert_eq!(lookup(&customers, "fsmj", 8, keys)[0].name, "佛山美居", "stored initials are kept");
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
