//! Order numbers people read out on the phone: `GZ-261128-03-007`: office, date (yymmdd),
//! the device's number within its office (given by the server when the device first logs
//! in), and the device's own sequence for the day. Two devices offline at the same time
//! have different device numbers, so they can never issue the same order number.

use crate::desk::time::Date;
use crate::engine::ids::OfficeCode;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderNumber {
    pub office: OfficeCode,
    pub date: String,
    pub device: u32,
    pub seq: u32,
}

impl OrderNumber {
    pub fn format(&self) -> String {
        format!("{}-{}-{:02}-{:03}", self.office, self.date, self.device, self.seq)
    }

    /// The day the number was given, if its `yymmdd` is a real one (20yy).
    pub fn day(&self) -> Option<Date> {
        let d = |r: std::ops::Range<usize>| self.date.get(r).and_then(|s| s.parse::<u32>().ok());
        Date::new(2000 + d(0..2)? as i32, d(2..4)?, d(4..6)?)
    }

    pub fn parse(s: &str) -> Option<OrderNumber> {
        let mut parts = s.split('-');
        let (office, date, device, seq) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let digits =
            |t: &str, min: usize, max: usize| (min..=max).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit());
        if parts.next().is_some() || !digits(date, 6, 6) || !digits(device, 2, 4) || !digits(seq, 3, 6) {
            return None;
        }
        Some(OrderNumber {
            office: OfficeCode::parse(office).ok()?,
            date: date.to_string(),
            device: device.parse().ok()?,
            seq: seq.parse().ok()?,
        })
    }
}

/// A device's counter, kept on the device beside its records.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumberCounter {
    /// The day (yymmdd) the counter counts for; a new day starts again at 1.
    pub date: String,
    pub last: u32,
}

impl NumberCounter {
    /// The next number for this device on `today` (in the office's zone).
    pub fn next(&mut self, office: &OfficeCode, device: u32, today: Date) -> OrderNumber {
        let date = today.compact();
        if self.date != date {
            self.date = date.clone();
            self.last = 0;
        }
        self.last += 1;
        OrderNumber { office: office.clone(), date, device, seq: self.last }
    }

    /// Moves past every number in `given` that this device gave today: a device whose
    /// storage went back in time (restored from an older copy) learns from the orders it
    /// pulls which numbers are taken, and never gives one twice.
    pub fn skip_given<'a>(
        &mut self,
        office: &OfficeCode,
        device: u32,
        today: Date,
        given: impl IntoIterator<Item = &'a str>,
    ) {
        let date = today.compact();
        let highest = given
            .into_iter()
            .filter_map(OrderNumber::parse)
            .filter(|n| n.office == *office && n.device == device && n.date == date)
            .map(|n| n.seq)
            .max();
        if let Some(h) = highest {
            if self.date != date {
                self.date = date;
                self.last = 0;
            }
            self.last = self.last.max(h);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gz() -> OfficeCode {
        OfficeCode::parse("GZ").unwrap()
    }

    #[test]
    fn a_counter_that_went_back_in_time_skips_the_numbers_already_given() {
        let today = Date::parse("2026-11-29").unwrap();
        let mut c = NumberCounter::default();
        c.next(&gz(), 3, today);
        // Numbers given since (and one of another device, and one of yesterday).
        let given = ["GZ-261129-03-002", "GZ-261129-03-005", "GZ-261129-04-009", "GZ-261128-03-011"];
        c.skip_given(&gz(), 3, today, given);
        assert_eq!(c.next(&gz(), 3, today).format(), "GZ-261129-03-006");
    }

    #[test]
    fn numbers_count_up_per_day_and_restart_the_next_day() {
        let mut c = NumberCounter::default();
        let day1 = Date::parse("2026-11-28").unwrap();
        let day2 = Date::parse("2026-11-29").unwrap();
        assert_eq!(c.next(&gz(), 3, day1).format(), "GZ-261128-03-001");
        assert_eq!(c.next(&gz(), 3, day1).format(), "GZ-261128-03-002");
        assert_eq!(c.next(&gz(), 3, day2).format(), "GZ-261129-03-001");
    }

    #[test]
    fn two_offline_devices_never_issue_the_same_number() {
        let day = Date::parse("2026-11-28").unwrap();
        let (mut a, mut b) = (NumberCounter::default(), NumberCounter::default());
        let from_a: Vec<String> = (0..500).map(|_| a.next(&gz(), 1, day).format()).collect();
        let from_b: Vec<String> = (0..500).map(|_| b.next(&gz(), 2, day).format()).collect();
        assert!(from_a.iter().all(|n| !from_b.contains(n)));
    }

    #[test]
    fn numbers_parse_back() {
        let n = OrderNumber::parse("GZ-261128-03-007").unwrap();
        assert_eq!((n.device, n.seq), (3, 7));
        assert_eq!(n.format(), "GZ-261128-03-007");
        for bad in ["", "GZ-261128-03", "gz-261128-03-007", "GZ-2611-03-007", "GZ-261128-x3-007"] {
            assert_eq!(OrderNumber::parse(bad), None, "{bad}");
        }
    }
}
