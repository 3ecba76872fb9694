//! 对账: a statement sent to a customer, and what they answered — confirmed (with their
//! confirmation letter, 对账函, noted when it comes back) or disputed, with why. A record
//! of its own per statement sent, kept with the balance it showed, so a later change to
//! the books of that period shows against what the customer agreed to.

use crate::desk::money::Fen;
use crate::desk::order::{check_text, Problem};
use crate::desk::permissions::Role;
use crate::desk::time::Date;
use crate::engine::hlc::Hlc;
use crate::engine::ids::{OfficeCode, RecordId};
use crate::engine::record::RecordState;
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub mod field {
    pub const CUSTOMER: &str = "customer";
    pub const CUSTOMER_NAME: &str = "customer_name";
    pub const FROM: &str = "from";
    pub const TO: &str = "to";
    /// The balance carried forward as sent (fen).
    pub const CLOSING: &str = "closing";
    pub const STATE: &str = "state";
    pub const SENT_ON: &str = "sent_on";
    pub const ANSWERED_ON: &str = "answered_on";
    /// The customer's confirmation letter (对账函) came back signed.
    pub const LETTER: &str = "letter";
    pub const NOTES: &str = "notes";
    pub const ALL: [&str; 10] =
        [CUSTOMER, CUSTOMER_NAME, FROM, TO, CLOSING, STATE, SENT_ON, ANSWERED_ON, LETTER, NOTES];
    pub const REQUIRED: [&str; 6] = [CUSTOMER_NAME, FROM, TO, CLOSING, STATE, SENT_ON];
}

/// Who sends statements and records the answers: the desk, the cashier, managers.
pub const KEEPERS: &[Role] = &[Role::Clerk, Role::Cashier, Role::Manager, Role::Admin];

/// Where a statement stands with the customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// 已发出: sent, no answer yet.
    Sent,
    /// 已确认: the customer agrees.
    Confirmed,
    /// 有异议: the customer disputes it (the notes say why).
    Disputed,
}

impl State {
    pub const ALL: [State; 3] = [State::Sent, State::Confirmed, State::Disputed];

    pub fn code(self) -> &'static str {
        match self {
            State::Sent => "sent",
            State::Confirmed => "confirmed",
            State::Disputed => "disputed",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|x| x.code() == s)
    }

    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            State::Sent => ("已发出", "Sent"),
            State::Confirmed => ("已确认", "Confirmed"),
            State::Disputed => ("有异议", "Disputed"),
        }
    }
}

fn check_date(value: &Value, required: bool) -> Result<(), Problem> {
    match value.as_str() {
        Some("") if !required => Ok(()),
        Some(s) => Date::parse(s).map(|_| ()).ok_or(Problem::InvalidDate),
        None => Err(Problem::WrongType),
    }
}

pub fn check_field(name: &str, value: &Value) -> Result<(), Problem> {
    match name {
        field::CUSTOMER => crate::desk::order::check_link(value, false),
        field::CUSTOMER_NAME => check_text(value, 100, true),
        field::FROM | field::TO | field::SENT_ON => check_date(value, true),
        field::ANSWERED_ON => check_date(value, false),
        field::CLOSING => match value.as_i64() {
            Some(n) if n.abs() <= crate::desk::money::MAX_FEN => Ok(()),
            Some(_) => Err(Problem::TooLarge),
            None => Err(Problem::WrongType),
        },
        field::STATE => value.as_str().and_then(State::parse).map(|_| ()).ok_or(Problem::UnknownChoice),
        field::LETTER => value.as_bool().map(|_| ()).ok_or(Problem::WrongType),
        field::NOTES => check_text(value, 500, false),
        _ => Err(Problem::UnknownField),
    }
}

/// A statement sent, as the screens show it.
#[derive(Clone, Debug, PartialEq)]
pub struct Sent {
    pub id: RecordId,
    pub office: OfficeCode,
    pub customer: Option<RecordId>,
    pub customer_name: String,
    pub from: Option<Date>,
    pub to: Option<Date>,
    pub closing: Fen,
    pub state: State,
    pub sent_on: Option<Date>,
    pub answered_on: Option<Date>,
    pub letter: bool,
    pub notes: String,
    pub created: Option<Hlc>,
}

impl Sent {
    pub fn from_record(r: &RecordState) -> Sent {
        let date = |f: &str| Date::parse(r.get_str(f));
        Sent {
            id: r.id,
            office: r.office.clone(),
            customer: RecordId::parse(r.get_str(field::CUSTOMER)).ok(),
            customer_name: r.get_str(field::CUSTOMER_NAME).to_string(),
            from: date(field::FROM),
            to: date(field::TO),
            closing: Fen(r.get(field::CLOSING).and_then(Value::as_i64).unwrap_or(0)),
            state: State::parse(r.get_str(field::STATE)).unwrap_or(State::Sent),
            sent_on: date(field::SENT_ON),
            answered_on: date(field::ANSWERED_ON),
            letter: r.get(field::LETTER).and_then(Value::as_bool).unwrap_or(false),
            notes: r.get_str(field::NOTES).to_string(),
            created: r.created(),
        }
    }

    /// What the books say now differs from what was sent (a payment or a shipment of the
    /// period recorded or corrected afterwards): `Some(now)` when it does.
    pub fn changed_since(&self, closing_now: Fen) -> Option<Fen> {
        (closing_now != self.closing).then_some(closing_now)
    }
}

/// The values of a statement being sent on `today`, with the balance it shows.
pub fn sent_values(
    customer: RecordId,
    customer_name: &str,
    from: Date,
    to: Date,
    closing: Fen,
    today: Date,
) -> BTreeMap<String, Value> {
    BTreeMap::from([
        (field::CUSTOMER.to_string(), json!(customer.to_string())),
        (field::CUSTOMER_NAME.to_string(), json!(customer_name)),
        (field::FROM.to_string(), json!(from.to_string())),
        (field::TO.to_string(), json!(to.to_string())),
        (field::CLOSING.to_string(), json!(closing.0)),
        (field::STATE.to_string(), json!(State::Sent.code())),
        (field::SENT_ON.to_string(), json!(today.to_string())),
    ])
}

/// The customer's answer, as written on `today`: a dispute needs its reason.
pub fn answer_values(state: State, letter: bool, notes: &str, today: Date) -> Result<BTreeMap<String, Value>, Problem> {
    if state == State::Disputed && notes.trim().is_empty() {
        return Err(Problem::Required);
    }
    check_text(&json!(notes.trim()), 500, false)?;
    Ok(BTreeMap::from([
        (field::STATE.to_string(), json!(state.code())),
        (field::ANSWERED_ON.to_string(), json!(today.to_string())),
        (field::LETTER.to_string(), json!(letter)),
        (field::NOTES.to_string(), json!(notes.trim())),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::record::Kind;

    #[test]
    fn a_sent_statement_reads_back_and_notices_when_the_books_moved() {
        let today = Date::parse("2026-12-03").unwrap();
        let (from, to) = (Date::parse("2026-11-01").unwrap(), Date::parse("2026-11-30").unwrap());
        let id = RecordId(uuid::Uuid::from_u128(7));
        let values = sent_values(id, "美居建材", from, to, Fen(26_800), today);
        for (k, v) in &values {
            assert_eq!(check_field(k, v), Ok(()), "{k}");
        }
        let office = OfficeCode::parse("FS").unwrap();
        let mut r = RecordState::new(Kind::new("reconciliation"), id, office.clone());
        let change = crate::engine::record::Change {
            id: crate::engine::ids::ChangeId(uuid::Uuid::from_u128(8)),
            seq: 1,
            kind: r.kind,
            record: id,
            office,
            ts: Hlc { wall_ms: 1, counter: 0, node: 1 },
            by: "fs_clerk".into(),
            set: r.writes_for(&values),
            event: None,
        };
        r.apply(&change).unwrap();
        let s = Sent::from_record(&r);
        assert_eq!((s.state, s.closing, s.from, s.to), (State::Sent, Fen(26_800), Some(from), Some(to)));
        assert_eq!(s.changed_since(Fen(26_800)), None);
        assert_eq!(s.changed_since(Fen(20_000)), Some(Fen(20_000)));
    }

    #[test]
    fn a_dispute_needs_its_reason_and_the_state_is_one_of_three() {
        let today = Date::parse("2026-12-03").unwrap();
        assert_eq!(answer_values(State::Disputed, false, "  ", today), Err(Problem::Required));
        let v = answer_values(State::Disputed, false, "12-05 的货没收到", today).unwrap();
        assert_eq!(v[field::STATE], json!("disputed"));
        let v = answer_values(State::Confirmed, true, "", today).unwrap();
        assert_eq!((v[field::LETTER].clone(), v[field::ANSWERED_ON].clone()), (json!(true), json!("2026-12-03")));
        assert_eq!(check_field(field::STATE, &json!("lost")), Err(Problem::UnknownChoice));
        assert_eq!(check_field(field::SENT_ON, &json!("2026-13-01")), Err(Problem::InvalidDate));
        assert_eq!(check_field(field::ANSWERED_ON, &json!("")), Ok(()));
    }
}
