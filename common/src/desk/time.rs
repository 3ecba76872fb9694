//! Calendar arithmetic without a time-zone database. Times are stored as UTC
//! milliseconds; an office shows them at its fixed offset (China has one zone, +08:00,
//! and no daylight saving).

/// Asia/Shanghai, the default office zone, in minutes east of UTC.
pub const DEFAULT_OFFSET_MINUTES: i32 = 8 * 60;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// `YYYY-MM-DD`, refusing impossible dates such as 2026-02-30.
    pub fn parse(s: &str) -> Option<Date> {
        let s = s.trim();
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let year: i32 = s[0..4].parse().ok()?;
        let month: u32 = s[5..7].parse().ok()?;
        let day: u32 = s[8..10].parse().ok()?;
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date { year, month, day })
    }

    /// A date from year, month and day, if it exists.
    pub fn new(year: i32, month: u32, day: u32) -> Option<Date> {
        ((1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month)).then_some(Date {
            year,
            month,
            day,
        })
    }

    /// Days since 1970-01-01.
    pub fn days(&self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let mp = (i64::from(self.month) + 9) % 12;
        let doy = (153 * mp + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    pub fn plus_days(&self, n: i64) -> Date {
        civil_from_days(self.days() + n)
    }

    /// A date as the desk types it, relative to `today`: `今天` / `明天` / `后天` (or
    /// `jt`, `mt`, `ht`, `today`, `tomorrow`), `+3` (in three days), `12-05`, `12/5`,
    /// `12.5` or `1205` (the next such day, this year or next), `2026-12-05`,
    /// `2026/12/5`, full-width digits too. `None` if it is none of these.
    pub fn from_input(input: &str, today: Date) -> Option<Date> {
        let s = crate::desk::money::half_width(input).trim().to_ascii_lowercase();
        let relative = match s.as_str() {
            "今天" | "今" | "jt" | "today" => Some(0),
            "明天" | "明" | "mt" | "tomorrow" => Some(1),
            "后天" | "后" | "ht" => Some(2),
            _ => s.strip_prefix('+').and_then(|n| n.trim().parse::<i64>().ok()).filter(|n| (0..=3650).contains(n)),
        };
        if let Some(n) = relative {
            return Some(today.plus_days(n));
        }
        let parts: Vec<&str> = s.split(['-', '/', '.', '年', '月', '日']).filter(|p| !p.is_empty()).collect();
        let num = |p: &str| p.parse::<u32>().ok();
        match parts[..] {
            [y, m, d] if y.len() == 4 => Date::new(y.parse().ok()?, num(m)?, num(d)?),
            [md] if md.len() == 4 && md.bytes().all(|b| b.is_ascii_digit()) => {
                next_month_day(today, num(&md[..2])?, num(&md[2..])?)
            }
            [m, d] => next_month_day(today, num(m)?, num(d)?),
            _ => None,
        }
    }

    /// `yymmdd`, for order numbers.
    pub fn compact(&self) -> String {
        format!("{:02}{:02}{:02}", self.year.rem_euclid(100), self.month, self.day)
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// `month`-`day` on or after `today`: this year's, or next year's once this year's is past.
fn next_month_day(today: Date, month: u32, day: u32) -> Option<Date> {
    match Date::new(today.year, month, day) {
        Some(d) if d >= today => Some(d),
        _ => Date::new(today.year + 1, month, day),
    }
}

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

/// Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> Date {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
    Date { year, month, day }
}

/// Date and `HH:MM` of a UTC instant in a zone `offset_minutes` east of UTC.
pub fn local(unix_ms: u64, offset_minutes: i32) -> (Date, u32, u32) {
    let secs = (unix_ms / 1000) as i64 + i64::from(offset_minutes) * 60;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    (civil_from_days(days), (rem / 3600) as u32, ((rem % 3600) / 60) as u32)
}

pub fn local_date(unix_ms: u64, offset_minutes: i32) -> Date {
    local(unix_ms, offset_minutes).0
}

/// `2026-11-28 15:04` in the office's zone.
pub fn format_local(unix_ms: u64, offset_minutes: i32) -> String {
    let (d, h, m) = local(unix_ms, offset_minutes);
    format!("{d} {h:02}:{m:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_evening_is_the_next_morning_in_shanghai() {
        // 2026-11-28T20:30:00Z
        let ms = 1_795_897_800_000;
        assert_eq!(format_local(ms, 0), "2026-11-28 20:30");
        assert_eq!(format_local(ms, DEFAULT_OFFSET_MINUTES), "2026-11-29 04:30");
        assert_eq!(local_date(0, 0), Date { year: 1970, month: 1, day: 1 });
    }

    #[test]
    fn the_desk_types_dates_the_short_way() {
        let today = Date::parse("2026-11-29").unwrap();
        for (input, expected) in [
            ("今天", "2026-11-29"),
            ("明天", "2026-11-30"),
            ("后天", "2026-12-01"),
            ("mt", "2026-11-30"),
            ("+3", "2026-12-02"),
            ("＋３", "2026-12-02"),
            ("12-05", "2026-12-05"),
            ("12/5", "2026-12-05"),
            ("1205", "2026-12-05"),
            ("1-3", "2027-01-03"),
            ("11-29", "2026-11-29"),
            ("2026-12-05", "2026-12-05"),
            ("2027/1/8", "2027-01-08"),
            ("12月5日", "2026-12-05"),
        ] {
            assert_eq!(Date::from_input(input, today).map(|d| d.to_string()).as_deref(), Some(expected), "{input}");
        }
        for bad in ["", "下周", "2-30", "13-01", "+x", "2026-02-29"] {
            assert_eq!(Date::from_input(bad, today), None, "{bad}");
        }
    }

    #[test]
    fn days_count_from_1970_both_ways() {
        for s in ["1970-01-01", "2000-02-29", "2026-11-29", "2100-03-01"] {
            let d = Date::parse(s).unwrap();
            assert_eq!(civil_from_days(d.days()), d);
        }
        assert_eq!(Date::parse("1970-01-02").unwrap().days(), 1);
    }

    #[test]
    fn parses_only_real_dates() {
        assert_eq!(Date::parse("2024-02-29").map(|d| d.to_string()), Some("2024-02-29".into()));
        for bad in ["2026-02-29", "2026-13-01", "2026-1-1", "20261128", "", "2026-11-31"] {
            assert_eq!(Date::parse(bad), None, "{bad}");
        }
        assert_eq!(Date::parse("2026-11-28").unwrap().compact(), "261128");
    }
}
