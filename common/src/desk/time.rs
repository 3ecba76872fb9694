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
    fn parses_only_real_dates() {
        assert_eq!(Date::parse("2024-02-29").map(|d| d.to_string()), Some("2024-02-29".into()));
        for bad in ["2026-02-29", "2026-13-01", "2026-1-1", "20261128", "", "2026-11-31"] {
            assert_eq!(Date::parse(bad), None, "{bad}");
        }
        assert_eq!(Date::parse("2026-11-28").unwrap().compact(), "261128");
    }
}
