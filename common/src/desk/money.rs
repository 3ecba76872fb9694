//! Money as integer fen (分). Never a float: parsing and formatting are done on digits.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An amount in fen (1 yuan = 100 fen). Negative amounts exist (refunds, returns), so
/// "must not be negative" is a validation rule of the field, not of the type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fen(pub i64);

/// Largest amount we accept anywhere: one hundred billion yuan. Keeps every product of
/// quantity × price and every sum far from i64 overflow and within the capital-numeral range.
pub const MAX_FEN: i64 = 100_000_000_000 * 100;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("amount is empty")]
    Empty,
    #[error("not an amount: {0:?}")]
    Invalid(String),
    #[error("at most two decimals (fen)")]
    TooManyDecimals,
    #[error("amount too large")]
    TooLarge,
}

/// What a Chinese input method types in full width, as ASCII: digits, `．`, `，`, `－`,
/// `＋`, and the ideographic space.
pub fn half_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            '．' | '。' => '.',
            '，' => ',',
            '－' => '-',
            '＋' => '+',
            '\u{3000}' => ' ',
            other => other,
        })
        .collect()
}

impl Fen {
    pub const ZERO: Fen = Fen(0);

    pub fn from_yuan(yuan: i64) -> Fen {
        Fen(yuan * 100)
    }

    /// Parses what a person types for a price: `12`, `12.5`, `1,234.50`, `¥8.00`, `-3`,
    /// and the same typed with a Chinese input method (`１２．５`, `￥1，234`).
    pub fn parse(input: &str) -> Result<Fen, MoneyError> {
        let half = half_width(input);
        let s = half.trim();
        let s = s.strip_prefix('¥').or_else(|| s.strip_prefix('￥')).unwrap_or(s).trim();
        if s.is_empty() {
            return Err(MoneyError::Empty);
        }
        let (negative, s) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let (int_part, frac_part) = match s.split_once('.') {
            Some((i, f)) => (i, f),
            None => (s, ""),
        };
        let int_digits: String = int_part.chars().filter(|c| *c != ',').collect();
        let invalid = || MoneyError::Invalid(input.to_string());
        if int_digits.is_empty() && frac_part.is_empty() {
            return Err(invalid());
        }
        if !int_digits.chars().all(|c| c.is_ascii_digit()) || !frac_part.chars().all(|c| c.is_ascii_digit()) {
            return Err(invalid());
        }
        if frac_part.len() > 2 {
            return Err(MoneyError::TooManyDecimals);
        }
        if int_digits.len() > 15 {
            return Err(MoneyError::TooLarge);
        }
        let yuan: i64 = if int_digits.is_empty() { 0 } else { int_digits.parse().map_err(|_| invalid())? };
        let mut frac: i64 = if frac_part.is_empty() { 0 } else { frac_part.parse().map_err(|_| invalid())? };
        if frac_part.len() == 1 {
            frac *= 10;
        }
        let total = yuan.checked_mul(100).and_then(|v| v.checked_add(frac)).ok_or(MoneyError::TooLarge)?;
        if total > MAX_FEN {
            return Err(MoneyError::TooLarge);
        }
        Ok(Fen(if negative { -total } else { total }))
    }

    /// A whole number as a person types it: `12`, `1,200`, `１２`.
    pub fn parse_whole(input: &str) -> Option<i64> {
        let s: String = half_width(input).trim().chars().filter(|c| *c != ',').collect();
        s.parse().ok()
    }

    /// `quantity × self`, refusing overflow and amounts beyond [`MAX_FEN`].
    pub fn times(self, quantity: i64) -> Result<Fen, MoneyError> {
        match self.0.checked_mul(quantity) {
            Some(v) if v.abs() <= MAX_FEN => Ok(Fen(v)),
            _ => Err(MoneyError::TooLarge),
        }
    }

    pub fn checked_add(self, other: Fen) -> Result<Fen, MoneyError> {
        match self.0.checked_add(other.0) {
            Some(v) if v.abs() <= MAX_FEN => Ok(Fen(v)),
            _ => Err(MoneyError::TooLarge),
        }
    }

    /// Plain yuan with two decimals, no symbol or separators: `1234.50`. For input fields.
    pub fn to_plain(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let v = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", v / 100, v % 100)
    }

    /// The amount in Chinese capital numerals (大写), as written on invoices and forms.
    pub fn to_capital(self) -> String {
        const D: [char; 10] = ['零', '壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖'];
        let v = self.0.unsigned_abs();
        let (yuan, jiao, fen) = (v / 100, ((v / 10) % 10) as usize, (v % 10) as usize);
        let mut s = String::new();
        if self.0 < 0 {
            s.push('负');
        }
        if yuan > 0 {
            s.push_str(&integer_capital(yuan));
            s.push('元');
        }
        if jiao == 0 && fen == 0 {
            if yuan == 0 {
                s.push_str("零元");
            }
            s.push('整');
            return s;
        }
        if jiao > 0 {
            s.push(D[jiao]);
            s.push('角');
        } else if yuan > 0 {
            s.push('零');
        }
        if fen > 0 {
            s.push(D[fen]);
            s.push('分');
        } else {
            s.push('整');
        }
        s
    }
}

fn integer_capital(n: u64) -> String {
    const D: [char; 10] = ['零', '壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖'];
    const UNIT: [&str; 4] = ["", "拾", "佰", "仟"];
    const GROUP: [&str; 4] = ["", "万", "亿", "万亿"];
    let digits: Vec<usize> = n.to_string().bytes().map(|b| (b - b'0') as usize).collect();
    let len = digits.len();
    let mut out = String::new();
    let mut zero_pending = false;
    let mut group_nonzero = false;
    for (idx, &d) in digits.iter().enumerate() {
        let pos = len - 1 - idx;
        if d == 0 {
            zero_pending = true;
        } else {
            if zero_pending && !out.is_empty() {
                out.push('零');
            }
            zero_pending = false;
            group_nonzero = true;
            out.push(D[d]);
            out.push_str(UNIT[pos % 4]);
        }
        if pos.is_multiple_of(4) && pos > 0 {
            if group_nonzero {
                out.push_str(GROUP[(pos / 4).min(3)]);
            }
            group_nonzero = false;
        }
    }
    out
}

/// `¥1,234.50`, the way amounts are shown in lists and on forms.
impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0.unsigned_abs();
        let yuan = (v / 100).to_string();
        let mut grouped = String::with_capacity(yuan.len() + yuan.len() / 3);
        for (i, c) in yuan.chars().enumerate() {
            if i > 0 && (yuan.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        let sign = if self.0 < 0 { "-" } else { "" };
        write!(f, "{sign}¥{grouped}.{:02}", v % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_people_type() {
        for (input, fen) in [
            ("12", 1200),
            ("12.5", 1250),
            ("12.05", 1205),
            ("1,234.50", 123450),
            ("¥8.00", 800),
            ("￥ 0.5", 50),
            (".5", 50),
            ("-3", -300),
            ("  7  ", 700),
            ("0", 0),
            ("１２．５", 1250),
            ("￥1，234．50", 123450),
            ("¥1,234.50", 123450),
        ] {
            assert_eq!(Fen::parse(input), Ok(Fen(fen)), "{input}");
        }
    }

    #[test]
    fn whole_numbers_come_in_either_width_and_with_grouping() {
        assert_eq!(Fen::parse_whole("１２"), Some(12));
        assert_eq!(Fen::parse_whole("1,200"), Some(1200));
        assert_eq!(Fen::parse_whole(" 7 "), Some(7));
        assert_eq!(Fen::parse_whole("1.5"), None);
    }

    #[test]
    fn refuses_what_is_not_money() {
        assert_eq!(Fen::parse(""), Err(MoneyError::Empty));
        assert_eq!(Fen::parse("¥"), Err(MoneyError::Empty));
        assert_eq!(Fen::parse("1.234"), Err(MoneyError::TooManyDecimals));
        assert!(matches!(Fen::parse("12a"), Err(MoneyError::Invalid(_))));
        assert!(matches!(Fen::parse("1e5"), Err(MoneyError::Invalid(_))));
        assert!(matches!(Fen::parse("."), Err(MoneyError::Invalid(_))));
        assert!(matches!(Fen::parse("--1"), Err(MoneyError::Invalid(_))));
        assert_eq!(Fen::parse("99999999999999999"), Err(MoneyError::TooLarge));
    }

    #[test]
    fn formats_with_grouping_and_two_decimals() {
        assert_eq!(Fen(123450).to_string(), "¥1,234.50");
        assert_eq!(Fen(5).to_string(), "¥0.05");
        assert_eq!(Fen(100_000_000).to_string(), "¥1,000,000.00");
        assert_eq!(Fen(-99).to_string(), "-¥0.99");
        assert_eq!(Fen(123450).to_plain(), "1234.50");
    }

    #[test]
    fn multiplication_refuses_overflow() {
        assert_eq!(Fen(250).times(4), Ok(Fen(1000)));
        assert_eq!(Fen(i64::MAX / 2).times(3), Err(MoneyError::TooLarge));
        assert_eq!(Fen(MAX_FEN).checked_add(Fen(1)), Err(MoneyError::TooLarge));
    }

    // Grouped by 万 (10^4), as the numerals read.
    #[allow(clippy::inconsistent_digit_grouping)]
    #[test]
    fn writes_chinese_capital_numerals() {
        for (fen, text) in [
            (0, "零元整"),
            (100, "壹元整"),
            (123450, "壹仟贰佰叁拾肆元伍角整"),
            (105, "壹元零伍分"),
            (50, "伍角整"),
            (5, "伍分"),
            (1010_00, "壹仟零壹拾元整"),
            (10_0000_00, "壹拾万元整"),
            (10_0100_00, "壹拾万零壹佰元整"),
            (1_0000_0001_00, "壹亿零壹元整"),
            (10_0000_1000_00, "壹拾亿零壹仟元整"),
            (-250, "负贰元伍角整"),
        ] {
            assert_eq!(Fen(fen).to_capital(), text, "{fen}");
        }
    }
}
