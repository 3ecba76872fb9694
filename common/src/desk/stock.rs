//! 月度盘点差异: a branch's stock count for a month — per product what the books say
//! (账面数), what was counted (实盘数), the difference and why — reported to head office.
//! The branch keeps one record per month; the id is the office and the month, so two
//! devices filling in the same month meet in one record. Its `lines` are one value: two
//! devices writing different lines at once are a visible conflict, as any field is.

use crate::desk::money::Fen;
use crate::desk::order::{check_text, FieldError, Problem};
use crate::desk::permissions::Role;
use crate::desk::time::Date;
use crate::engine::ids::{OfficeCode, RecordId};
use crate::engine::record::RecordState;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub mod field {
    /// `YYYY-MM`.
    pub const MONTH: &str = "month";
    pub const LINES: &str = "lines";
    /// `YYYY-MM-DD` the branch reported the count to head office, or "".
    pub const REPORTED_ON: &str = "reported_on";
    pub const NOTES: &str = "notes";
    pub const ALL: [&str; 4] = [MONTH, LINES, REPORTED_ON, NOTES];
    pub const REQUIRED: [&str; 1] = [MONTH];
}

/// Who counts and writes it up: the desk, logistics (the warehouse), managers.
pub const KEEPERS: &[Role] = &[Role::Clerk, Role::Logistics, Role::Manager, Role::Admin];

pub const MAX_LINES: usize = 500;
/// The most of one product a count may say.
pub const MAX_QUANTITY: i64 = 100_000_000;
pub const MAX_MODEL: usize = 60;
pub const MAX_NAME: usize = 100;
pub const MAX_REASON: usize = 200;
pub const MAX_NOTES: usize = 500;

/// The keys of a line: `name` and `reason` may be left out, the others are required.
pub const LINE_KEYS: [&str; 5] = ["model", "name", "expected", "counted", "reason"];
pub const LINE_REQUIRED: [&str; 3] = ["model", "expected", "counted"];

/// A calendar month.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    pub year: i32,
    /// 1–12.
    pub month: u32,
}

impl Month {
    /// `YYYY-MM`.
    pub fn parse(s: &str) -> Option<Month> {
        let b = s.as_bytes();
        if b.len() != 7 || b[4] != b'-' || !b.iter().enumerate().all(|(i, c)| i == 4 || c.is_ascii_digit()) {
            return None;
        }
        let year: i32 = s[0..4].parse().ok()?;
        let month: u32 = s[5..7].parse().ok()?;
        ((1..=12).contains(&month) && year >= 1).then_some(Month { year, month })
    }

    pub fn of(d: Date) -> Month {
        Month { year: d.year, month: d.month }
    }

    pub fn previous(self) -> Month {
        if self.month == 1 {
            Month { year: self.year - 1, month: 12 }
        } else {
            Month { year: self.year, month: self.month - 1 }
        }
    }

    /// `202611`, for file names.
    pub fn compact(self) -> String {
        format!("{:04}{:02}", self.year, self.month)
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// The record of `office`'s count for `month`: the same id on every device. High 64 bits
/// `0x5700_C000_0000_0000 | (year × 12 + month)`, low 64 the office code's bytes.
pub fn count_id(office: &OfficeCode, month: Month) -> RecordId {
    let mut code = [0u8; 8];
    code[..office.as_str().len()].copy_from_slice(office.as_str().as_bytes());
    let index = (month.year as u64).wrapping_mul(12).wrapping_add(u64::from(month.month)) & 0xFFFF_FFFF;
    let high = 0x5700_C000_0000_0000u64 | index;
    RecordId(uuid::Uuid::from_u64_pair(high, u64::from_be_bytes(code)))
}

/// One product counted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountLine {
    pub model: String,
    #[serde(default)]
    pub name: String,
    /// 账面数: what the books say the branch holds.
    pub expected: i64,
    /// 实盘数: what was counted.
    pub counted: i64,
    /// Why they differ (required when they do).
    #[serde(default)]
    pub reason: String,
}

impl CountLine {
    /// 差异: counted − expected; over is positive, short negative.
    pub fn difference(&self) -> i64 {
        self.counted - self.expected
    }
}

/// The `lines` of a count arriving in a change, key by key: the first problem, named
/// down to its line and key (`lines.2.counted`). Each model once; quantities whole and
/// 0–[`MAX_QUANTITY`]; a line whose count differs from the books gives a reason.
pub fn check_lines(value: &Value) -> Result<Vec<CountLine>, FieldError> {
    let at = |path: String, p: Problem| FieldError::new(path, p);
    let items = value.as_array().ok_or_else(|| at(field::LINES.into(), Problem::WrongType))?;
    if items.len() > MAX_LINES {
        return Err(at(field::LINES.into(), Problem::TooLarge).with_limit(MAX_LINES));
    }
    let mut out: Vec<CountLine> = Vec::with_capacity(items.len());
    for (i, raw) in items.iter().enumerate() {
        let obj = raw.as_object().ok_or_else(|| at(format!("lines.{i}"), Problem::WrongType))?;
        if let Some(key) = obj.keys().find(|k| !LINE_KEYS.contains(&k.as_str())) {
            return Err(at(format!("lines.{i}.{key}"), Problem::UnknownField));
        }
        if let Some(key) = LINE_REQUIRED.iter().find(|k| !obj.contains_key(**k)) {
            return Err(at(format!("lines.{i}.{key}"), Problem::Required));
        }
        for key in LINE_KEYS {
            let ok = match (key, obj.get(key)) {
                (_, None) => true,
                ("expected" | "counted", Some(v)) => v.as_i64().is_some(),
                (_, Some(v)) => v.is_string(),
            };
            if !ok {
                return Err(at(format!("lines.{i}.{key}"), Problem::WrongType));
            }
        }
        let line: CountLine =
            serde::Deserialize::deserialize(raw).map_err(|_| at(format!("lines.{i}"), Problem::WrongType))?;
        let mut errors = Vec::new();
        check_line(&mut errors, i, &line);
        if let Some(e) = errors.into_iter().next() {
            return Err(e);
        }
        if out.iter().any(|o| o.model.trim() == line.model.trim()) {
            return Err(at(format!("lines.{i}.model"), Problem::Taken));
        }
        out.push(line);
    }
    Ok(out)
}

/// Every rule of one line, the form's and the server's, as errors at `lines.{i}.…`.
fn check_line(errors: &mut Vec<FieldError>, i: usize, line: &CountLine) {
    let at = |key: &str, p: Problem| FieldError::new(format!("lines.{i}.{key}"), p);
    if line.model.trim().is_empty() {
        errors.push(at("model", Problem::Required));
    } else if line.model.chars().count() > MAX_MODEL {
        errors.push(at("model", Problem::TooLong).with_limit(MAX_MODEL));
    }
    if line.name.chars().count() > MAX_NAME {
        errors.push(at("name", Problem::TooLong).with_limit(MAX_NAME));
    }
    for (key, n) in [("expected", line.expected), ("counted", line.counted)] {
        if n < 0 {
            errors.push(at(key, Problem::Negative));
        } else if n > MAX_QUANTITY {
            errors.push(at(key, Problem::TooLarge).with_limit(MAX_QUANTITY));
        }
    }
    if line.reason.chars().count() > MAX_REASON {
        errors.push(at("reason", Problem::TooLong).with_limit(MAX_REASON));
    } else if line.difference() != 0 && line.reason.trim().is_empty() {
        errors.push(at("reason", Problem::Required));
    }
}

pub fn check_field(name: &str, value: &Value) -> Result<(), Problem> {
    match name {
        field::MONTH => value.as_str().and_then(Month::parse).map(|_| ()).ok_or(Problem::InvalidDate),
        field::LINES => check_lines(value).map(|_| ()).map_err(|e| e.problem),
        field::REPORTED_ON => match value.as_str() {
            Some("") => Ok(()),
            Some(s) => Date::parse(s).map(|_| ()).ok_or(Problem::InvalidDate),
            None => Err(Problem::WrongType),
        },
        field::NOTES => check_text(value, MAX_NOTES, false),
        _ => Err(Problem::UnknownField),
    }
}

/// The fields checked deeper, naming the line and key: `lines`.
pub fn check_deep(name: &str, value: &Value) -> Option<Result<(), FieldError>> {
    (name == field::LINES).then(|| check_lines(value).map(|_| ()))
}

/// What the office wrote for a month.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CountView {
    pub office: String,
    pub month: Option<Month>,
    pub lines: Vec<CountLine>,
    /// When the branch reported it to head office.
    pub reported_on: Option<Date>,
    pub notes: String,
}

impl CountView {
    pub fn from_record(r: &RecordState) -> CountView {
        CountView {
            office: r.office.to_string(),
            month: Month::parse(r.get_str(field::MONTH)),
            lines: r.get(field::LINES).and_then(|v| serde::Deserialize::deserialize(v).ok()).unwrap_or_default(),
            reported_on: Date::parse(r.get_str(field::REPORTED_ON)),
            notes: r.get_str(field::NOTES).to_string(),
        }
    }

    pub fn summary(&self) -> CountSummary {
        summarize(&self.lines)
    }
}

/// A count in brief: how many lines differ, and by how much over and short.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CountSummary {
    pub lines: usize,
    /// Lines whose count differs from the books.
    pub differing: usize,
    /// 盘盈: the sum of the differences above zero.
    pub over: i64,
    /// 盘亏: the sum of the differences below zero, as a positive number.
    pub short: i64,
}

pub fn summarize(lines: &[CountLine]) -> CountSummary {
    let mut s = CountSummary { lines: lines.len(), ..CountSummary::default() };
    for d in lines.iter().map(CountLine::difference).filter(|d| *d != 0) {
        s.differing += 1;
        if d > 0 {
            s.over = s.over.saturating_add(d);
        } else {
            s.short = s.short.saturating_add(-d);
        }
    }
    s
}

/// One row of the count as typed: every box a string.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LineDraft {
    pub model: String,
    pub name: String,
    pub expected: String,
    pub counted: String,
    pub reason: String,
}

impl LineDraft {
    pub fn is_blank(&self) -> bool {
        [&self.model, &self.name, &self.expected, &self.counted, &self.reason].iter().all(|s| s.trim().is_empty())
    }

    pub fn from_line(l: &CountLine) -> LineDraft {
        LineDraft {
            model: l.model.clone(),
            name: l.name.clone(),
            expected: l.expected.to_string(),
            counted: l.counted.to_string(),
            reason: l.reason.clone(),
        }
    }

    /// The difference shown live while typing, once both quantities are whole numbers.
    pub fn difference(&self) -> Option<i64> {
        Some(Fen::parse_whole(&self.counted)? - Fen::parse_whole(&self.expected)?)
    }
}

fn quantity(errors: &mut Vec<FieldError>, path: String, typed: &str) -> i64 {
    let typed = typed.trim();
    if typed.is_empty() {
        errors.push(FieldError::new(path, Problem::Required));
        return 0;
    }
    match Fen::parse_whole(typed) {
        Some(n) => n,
        None => {
            let p = if Fen::parse(typed).is_ok() { Problem::NotAWholeNumber } else { Problem::NotANumber };
            errors.push(FieldError::new(path, p));
            0
        }
    }
}

/// The typed rows as the record's `lines`, or every problem at once named by the row as
/// shown (`lines.3.reason`: the fourth row, blank rows counted). Blank rows are skipped;
/// quantities are whole numbers ≥ 0; a row whose count differs from the books needs a
/// reason; each model once.
pub fn lines_value(rows: &[LineDraft]) -> Result<Value, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut lines: Vec<CountLine> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for (i, row) in rows.iter().enumerate().filter(|(_, r)| !r.is_blank()) {
        let before = errors.len();
        let expected = quantity(&mut errors, format!("lines.{i}.expected"), &row.expected);
        let counted = quantity(&mut errors, format!("lines.{i}.counted"), &row.counted);
        let line = CountLine {
            model: row.model.trim().to_string(),
            name: row.name.trim().to_string(),
            expected,
            counted,
            reason: row.reason.trim().to_string(),
        };
        // Every problem of the row at once; a box that did not parse keeps that one, and
        // a difference is not judged until both quantities parse.
        let unparsed: Vec<String> = errors[before..].iter().map(|e| e.field.clone()).collect();
        let mut rules = Vec::new();
        check_line(&mut rules, i, &line);
        errors.extend(
            rules
                .into_iter()
                .filter(|e| !unparsed.contains(&e.field) && (unparsed.is_empty() || !e.field.ends_with(".reason"))),
        );
        if !line.model.is_empty() {
            if seen.contains(&line.model) {
                errors.push(FieldError::new(format!("lines.{i}.model"), Problem::Taken));
            }
            seen.push(line.model.clone());
        }
        lines.push(line);
    }
    if lines.len() > MAX_LINES {
        errors.push(FieldError::new(field::LINES, Problem::TooLarge).with_limit(MAX_LINES));
    }
    if errors.is_empty() {
        Ok(serde_json::to_value(&lines).unwrap_or(Value::Null))
    } else {
        Err(errors)
    }
}

/// A month's count as typed: the month, its lines and notes (reported, if `reported_on`
/// is given: the day the branch reports it to head office).
pub fn count_values(
    month: Month,
    rows: &[LineDraft],
    notes: &str,
    reported_on: Option<Date>,
) -> Result<BTreeMap<String, Value>, Vec<FieldError>> {
    let lines = lines_value(rows);
    let notes = notes.trim();
    let mut errors = lines.as_ref().err().cloned().unwrap_or_default();
    if notes.chars().count() > MAX_NOTES {
        errors.push(FieldError::new(field::NOTES, Problem::TooLong).with_limit(MAX_NOTES));
    }
    let lines = match lines {
        Ok(l) if errors.is_empty() => l,
        _ => return Err(errors),
    };
    let mut v = BTreeMap::from([
        (field::MONTH.to_string(), json!(month.to_string())),
        (field::LINES.to_string(), lines),
        (field::NOTES.to_string(), json!(notes)),
    ]);
    if let Some(d) = reported_on {
        v.insert(field::REPORTED_ON.to_string(), json!(d.to_string()));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::hlc::Hlc;
    use crate::engine::record::{Change, Kind};

    fn row(model: &str, expected: &str, counted: &str, reason: &str) -> LineDraft {
        LineDraft {
            model: model.into(),
            name: format!("{model} 名称"),
            expected: expected.into(),
            counted: counted.into(),
            reason: reason.into(),
        }
    }

    fn month(s: &str) -> Month {
        Month::parse(s).unwrap()
    }

    fn problems(e: Vec<FieldError>) -> Vec<(String, Problem)> {
        e.into_iter().map(|e| (e.field, e.problem)).collect()
    }

    #[test]
    fn a_typed_count_round_trips_through_a_record_with_its_differences() {
        let fs = OfficeCode::parse("FS").unwrap();
        let m = month("2026-11");
        let rows = [
            row("AJ-8801", "120", "118", " 破损 "),
            LineDraft::default(),
            row("AJ-2002", "１,000", "1000", ""),
            row("JS-77", "5", "8", "上月少登记"),
        ];
        let values = count_values(m, &rows, " 月底盘点 ", Some(Date::parse("2026-12-01").unwrap())).unwrap();
        for (name, v) in &values {
            assert_eq!(
                check_deep(name, v).unwrap_or_else(|| check_field(name, v).map_err(|p| FieldError::new(name, p))),
                Ok(())
            );
        }
        let id = count_id(&fs, m);
        let mut r = RecordState::new(Kind::new("stock_count"), id, fs.clone());
        let set = r.writes_for(&values);
        let change = Change {
            id: crate::engine::ids::ChangeId(uuid::Uuid::from_u128(1)),
            seq: 1,
            kind: r.kind,
            record: id,
            office: fs,
            ts: Hlc { wall_ms: 1_000, counter: 0, node: 1 },
            by: "fs_clerk".into(),
            set,
            event: None,
        };
        r.apply(&change).unwrap();
        let view = CountView::from_record(&r);
        assert_eq!(view.month, Some(m));
        assert_eq!(view.reported_on, Date::parse("2026-12-01"));
        assert_eq!(view.notes, "月底盘点");
        let got: Vec<(&str, i64, i64, i64, &str)> = view
            .lines
            .iter()
            .map(|l| (l.model.as_str(), l.expected, l.counted, l.difference(), l.reason.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![("AJ-8801", 120, 118, -2, "破损"), ("AJ-2002", 1000, 1000, 0, ""), ("JS-77", 5, 8, 3, "上月少登记")],
            "the blank row is skipped; full-width digits and grouping are read"
        );
        assert_eq!(view.summary(), CountSummary { lines: 3, differing: 2, over: 3, short: 2 });
        let back: Vec<LineDraft> = view.lines.iter().map(LineDraft::from_line).collect();
        assert_eq!(back[0].difference(), Some(-2));
        assert_eq!(lines_value(&back).unwrap(), values[field::LINES]);
    }

    #[test]
    fn a_difference_needs_a_reason_and_quantities_are_whole_numbers_not_below_zero() {
        let e = problems(lines_value(&[row("A", "10", "9", ""), row("B", "3", "3", "")]).unwrap_err());
        assert_eq!(e, vec![("lines.0.reason".into(), Problem::Required)], "no difference, no reason needed");
        let e = problems(
            lines_value(&[
                row("A", "1.5", "", ""),
                row("B", "-1", "2", "x"),
                row("", "1", "1", ""),
                row("C", "abc", "1", ""),
            ])
            .unwrap_err(),
        );
        assert_eq!(
            e,
            vec![
                ("lines.0.expected".into(), Problem::NotAWholeNumber),
                ("lines.0.counted".into(), Problem::Required),
                ("lines.1.expected".into(), Problem::Negative),
                ("lines.2.model".into(), Problem::Required),
                ("lines.3.expected".into(), Problem::NotANumber),
            ],
            "a reason is not asked for until both quantities read"
        );
        // The server's rule names the line and key the same way.
        let v = json!([{"model": "A", "expected": 10, "counted": 10}, {"model": "B", "expected": 4, "counted": 3, "reason": " "}]);
        assert_eq!(check_lines(&v).unwrap_err(), FieldError::new("lines.1.reason", Problem::Required));
        let v = json!([{"model": "A", "expected": 10, "counted": 1.5}]);
        assert_eq!(check_lines(&v).unwrap_err(), FieldError::new("lines.0.counted", Problem::WrongType));
        let v = json!([{"model": "A", "expected": 10, "counted": 10, "colour": "red"}]);
        assert_eq!(check_lines(&v).unwrap_err(), FieldError::new("lines.0.colour", Problem::UnknownField));
        let v = json!([{"model": "A", "counted": 10}]);
        assert_eq!(check_lines(&v).unwrap_err(), FieldError::new("lines.0.expected", Problem::Required));
        assert_eq!(check_lines(&json!([])), Ok(vec![]), "a month may have nothing to count yet");
        assert_eq!(check_field(field::LINES, &json!({})), Err(Problem::WrongType));
    }

    #[test]
    fn each_model_is_counted_once() {
        let e = problems(lines_value(&[row("AJ-1", "1", "1", ""), row(" AJ-1 ", "2", "2", "")]).unwrap_err());
        assert_eq!(e, vec![("lines.1.model".into(), Problem::Taken)]);
        let v = json!([{"model": "AJ-1", "expected": 1, "counted": 1}, {"model": "AJ-1", "expected": 2, "counted": 2}]);
        assert_eq!(check_lines(&v).unwrap_err(), FieldError::new("lines.1.model", Problem::Taken));
        let many: Vec<Value> =
            (0..=MAX_LINES).map(|n| json!({"model": format!("M{n}"), "expected": 0, "counted": 0})).collect();
        assert_eq!(check_lines(&json!(many)).unwrap_err().problem, Problem::TooLarge);
    }

    #[test]
    fn one_record_per_office_and_month() {
        let fs = OfficeCode::parse("FS").unwrap();
        let sz = OfficeCode::parse("SZ").unwrap();
        let nov = month("2026-11");
        assert_eq!(count_id(&fs, nov), count_id(&fs, month("2026-11")));
        assert_ne!(count_id(&fs, nov), count_id(&fs, nov.previous()));
        assert_ne!(count_id(&fs, nov), count_id(&sz, nov));
        assert_ne!(count_id(&fs, month("2026-12")), count_id(&fs, month("2027-01")));
        assert_ne!(
            count_id(&fs, nov),
            crate::desk::cash::day_id(&fs, Date::parse("2026-11-01").unwrap()),
            "not a day's money record"
        );
        assert_eq!(month("2027-01").previous(), month("2026-12"));
        assert_eq!(Month::of(Date::parse("2026-11-30").unwrap()).to_string(), "2026-11");
        for bad in ["2026-13", "2026-1", "2026/11", "26-11", "2026-00", "２026-11"] {
            assert_eq!(Month::parse(bad), None, "{bad}");
        }
        assert_eq!(check_field(field::MONTH, &json!("2026-11")), Ok(()));
        assert_eq!(check_field(field::REPORTED_ON, &json!("")), Ok(()));
        assert_eq!(check_field(field::REPORTED_ON, &json!("2026-12-32")), Err(Problem::InvalidDate));
        assert_eq!(check_field("opening", &json!(1)), Err(Problem::UnknownField));
    }
}
