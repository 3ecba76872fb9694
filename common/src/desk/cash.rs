//! 日资金报表: a branch's money for each day — what it had at the start, what came in by
//! method (from the confirmed payments dated that day), what it paid out, and what it had
//! at the end — sent to head office, where the desk checks it with finance. The branch
//! keeps one record per day (its opening and what it paid out); the id is the office and
//! the date, so two devices filling in the same day meet in one record.

use crate::desk::money::Fen;
use crate::desk::order::{check_text, Problem};
use crate::desk::payments::{Method, PaymentView};
use crate::desk::permissions::Role;
use crate::desk::time::Date;
use crate::engine::ids::{OfficeCode, RecordId};
use crate::engine::record::RecordState;
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub mod field {
    pub const DATE: &str = "date";
    /// What the office had at the start of the day (fen).
    pub const OPENING: &str = "opening";
    /// What it paid out that day (fen).
    pub const PAID_OUT: &str = "paid_out";
    pub const NOTES: &str = "notes";
    pub const ALL: [&str; 4] = [DATE, OPENING, PAID_OUT, NOTES];
    pub const REQUIRED: [&str; 1] = [DATE];
}

/// Who fills in the day: the desk, the cashier, managers.
pub const KEEPERS: &[Role] = &[Role::Clerk, Role::Cashier, Role::Manager, Role::Admin];

pub fn check_field(name: &str, value: &Value) -> Result<(), Problem> {
    match name {
        field::DATE => value.as_str().and_then(Date::parse).map(|_| ()).ok_or(Problem::InvalidDate),
        field::OPENING | field::PAID_OUT => match value.as_i64() {
            Some(n) if n < 0 => Err(Problem::Negative),
            Some(n) if n > crate::desk::money::MAX_FEN => Err(Problem::TooLarge),
            Some(_) => Ok(()),
            None => Err(Problem::WrongType),
        },
        field::NOTES => check_text(value, 500, false),
        _ => Err(Problem::UnknownField),
    }
}

/// The record of `office`'s `date`: the same id on every device.
pub fn day_id(office: &OfficeCode, date: Date) -> RecordId {
    let mut code = [0u8; 8];
    code[..office.as_str().len()].copy_from_slice(office.as_str().as_bytes());
    let high = 0xCA5D_0000_0000_0000u64 | (date.days() as u64 & 0xFFFF_FFFF);
    RecordId(uuid::Uuid::from_u64_pair(high, u64::from_be_bytes(code)))
}

/// What the office wrote for a day.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DayView {
    pub office: String,
    pub date: Option<Date>,
    pub opening: Option<Fen>,
    pub paid_out: Fen,
    pub notes: String,
}

impl DayView {
    pub fn from_record(r: &RecordState) -> DayView {
        DayView {
            office: r.office.to_string(),
            date: Date::parse(r.get_str(field::DATE)),
            opening: r.get(field::OPENING).and_then(Value::as_i64).map(Fen),
            paid_out: Fen(r.get(field::PAID_OUT).and_then(Value::as_i64).unwrap_or(0)),
            notes: r.get_str(field::NOTES).to_string(),
        }
    }
}

/// One line of the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CashDay {
    pub date: Date,
    pub office: String,
    pub opening: Fen,
    /// Received by method, in [`Method::ALL`]'s order (transfer, cash, acceptance bill).
    pub received: [Fen; 3],
    pub paid_out: Fen,
    pub closing: Fen,
    /// The opening was not written for this day: it is the day before's closing.
    pub carried: bool,
    pub notes: String,
}

impl CashDay {
    pub fn received_total(&self) -> Fen {
        self.received.iter().fold(Fen::ZERO, |a, b| a.checked_add(*b).unwrap_or(a))
    }
}

/// `office`'s report for each day from `from` to `to`: the opening written for the day,
/// or else the day before's closing; what confirmed payments of the office dated that
/// day brought, by method; what was paid out; and the closing (opening + received −
/// paid out). Days before `from` count only to carry the balance forward.
pub fn report(days: &[DayView], payments: &[PaymentView], office: &str, from: Date, to: Date) -> Vec<CashDay> {
    let written: BTreeMap<Date, &DayView> =
        days.iter().filter(|d| d.office == office).filter_map(|d| d.date.map(|x| (x, d))).collect();
    let mut received: BTreeMap<Date, [Fen; 3]> = BTreeMap::new();
    for p in payments.iter().filter(|p| p.confirmed && p.office.as_str() == office) {
        let (Some(date), Some(method)) = (p.date, p.method) else { continue };
        let slot = Method::ALL.iter().position(|m| *m == method).unwrap_or(0);
        let e = received.entry(date).or_insert([Fen::ZERO; 3]);
        e[slot] = e[slot].checked_add(p.amount).unwrap_or(e[slot]);
    }
    let first = written.keys().chain(received.keys()).copied().min().map_or(from, |d| d.min(from));
    let mut out = Vec::new();
    let mut balance = Fen::ZERO;
    let mut day = first;
    while day <= to {
        let w = written.get(&day);
        let opening = w.and_then(|w| w.opening);
        let r = received.get(&day).copied().unwrap_or([Fen::ZERO; 3]);
        let paid_out = w.map_or(Fen::ZERO, |w| w.paid_out);
        let start = opening.unwrap_or(balance);
        let income = r.iter().fold(Fen::ZERO, |a, b| a.checked_add(*b).unwrap_or(a));
        balance = Fen(start.0.saturating_add(income.0).saturating_sub(paid_out.0));
        if day >= from {
            out.push(CashDay {
                date: day,
                office: office.to_string(),
                opening: start,
                received: r,
                paid_out,
                closing: balance,
                carried: opening.is_none(),
                notes: w.map(|w| w.notes.clone()).unwrap_or_default(),
            });
        }
        day = day.plus_days(1);
    }
    out
}

/// A day's values as typed (yuan): the opening (blank: carried from the day before), what
/// was paid out and a note. A blank box writes nothing, so what another device wrote for
/// the same day stands.
pub fn day_values(
    date: Date,
    opening: &str,
    paid_out: &str,
    notes: &str,
) -> Result<BTreeMap<String, Value>, (String, Problem)> {
    let money = |name: &str, text: &str| -> Result<Option<i64>, (String, Problem)> {
        if text.trim().is_empty() {
            return Ok(None);
        }
        let fen = Fen::parse(text).map_err(|_| (name.to_string(), Problem::NotANumber))?;
        check_field(name, &json!(fen.0)).map_err(|p| (name.to_string(), p))?;
        Ok(Some(fen.0))
    };
    let mut v = BTreeMap::from([(field::DATE.to_string(), json!(date.to_string()))]);
    if let Some(o) = money(field::OPENING, opening)? {
        v.insert(field::OPENING.to_string(), json!(o));
    }
    if let Some(p) = money(field::PAID_OUT, paid_out)? {
        v.insert(field::PAID_OUT.to_string(), json!(p));
    }
    check_text(&json!(notes.trim()), 500, false).map_err(|p| (field::NOTES.to_string(), p))?;
    if !notes.trim().is_empty() {
        v.insert(field::NOTES.to_string(), json!(notes.trim()));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::record::Kind;

    fn day(n: i64) -> Date {
        Date::parse("2026-11-01").unwrap().plus_days(n)
    }

    fn pay(n: u128, office: &str, d: i64, fen: i64, method: Method, confirmed: bool) -> PaymentView {
        let r = RecordState::new(
            Kind::new("payment"),
            RecordId(uuid::Uuid::from_u128(n)),
            OfficeCode::parse(office).unwrap(),
        );
        let mut p = PaymentView::from_record(&r);
        p.date = Some(day(d));
        p.amount = Fen(fen);
        p.method = Some(method);
        p.confirmed = confirmed;
        p
    }

    fn written(office: &str, d: i64, opening: Option<i64>, paid_out: i64) -> DayView {
        DayView {
            office: office.into(),
            date: Some(day(d)),
            opening: opening.map(Fen),
            paid_out: Fen(paid_out),
            notes: String::new(),
        }
    }

    #[test]
    fn each_day_opens_with_what_was_written_or_the_day_befores_closing() {
        let days =
            [written("FS", 0, Some(100_000), 20_000), written("FS", 2, None, 5_000), written("SZ", 0, Some(1), 0)];
        let pays = [
            pay(1, "FS", 0, 50_000, Method::Cash, true),
            pay(2, "FS", 0, 300_000, Method::Transfer, true),
            pay(3, "FS", 1, 7_000, Method::Bill, true),
            pay(4, "FS", 1, 9_999, Method::Cash, false),
            pay(5, "SZ", 1, 8_888, Method::Cash, true),
        ];
        let r = report(&days, &pays, "FS", day(0), day(2));
        let got: Vec<(i64, [i64; 3], i64, i64, bool)> =
            r.iter().map(|d| (d.opening.0, d.received.map(|f| f.0), d.paid_out.0, d.closing.0, d.carried)).collect();
        assert_eq!(
            got,
            vec![
                (100_000, [300_000, 50_000, 0], 20_000, 430_000, false),
                (430_000, [0, 0, 7_000], 0, 437_000, true),
                (437_000, [0, 0, 0], 5_000, 432_000, true),
            ],
            "unconfirmed payments and another office's count nothing"
        );
        // A report starting later still carries the balance from before.
        assert_eq!(report(&days, &pays, "FS", day(2), day(2))[0].opening, Fen(437_000));
    }

    #[test]
    fn one_record_per_office_and_day_and_typed_money_is_checked() {
        let fs = OfficeCode::parse("FS").unwrap();
        assert_eq!(day_id(&fs, day(3)), day_id(&fs, day(3)));
        assert_ne!(day_id(&fs, day(3)), day_id(&fs, day(4)));
        assert_ne!(day_id(&fs, day(3)), day_id(&OfficeCode::parse("SZ").unwrap(), day(3)));
        let v = day_values(day(0), "1,000.50", "", " 买胶带 ").unwrap();
        assert_eq!((v[field::OPENING].clone(), v[field::NOTES].clone()), (json!(100_050), json!("买胶带")));
        assert!(!v.contains_key(field::PAID_OUT), "a blank box writes nothing over another device's");
        assert!(!day_values(day(0), "", "5", "").unwrap().contains_key(field::OPENING), "blank opening: carried");
        assert_eq!(day_values(day(0), "-5", "", "").unwrap_err(), (field::OPENING.to_string(), Problem::Negative));
        assert_eq!(day_values(day(0), "", "abc", "").unwrap_err().1, Problem::NotANumber);
    }
}
