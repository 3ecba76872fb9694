//! Hybrid logical clocks (Kulkarni et al., 2014).
//!
//! A timestamp is (wall milliseconds, counter, node). If change e happened before f, then
//! `hlc(e) < hlc(f)`, whatever the devices' clocks say; the node makes every timestamp
//! unique, so timestamps double as version ids in the merge engine. A remote timestamp
//! too far in the future is refused instead of dragging everyone's clock forward.

use crate::from_map;
use serde::{Deserialize, Serialize};
use std::fmt;

/// How far ahead of our own clock a timestamp may be before it is refused. Device
/// clocks here are often off by hours and sometimes by a day; more than this is a
/// broken clock, and trusting it would make its edits win every merge for days.
pub const MAX_FUTURE_MS: u64 = 36 * 60 * 60 * 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hlc {
    pub wall_ms: u64,
    pub counter: u16,
    pub node: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HlcError {
    #[error("timestamp {0:?} is not a hybrid logical clock value")]
    Malformed(String),
    #[error(
        "timestamp is {ahead_ms} ms ahead of this clock (limit {MAX_FUTURE_MS} ms): check the device's date and time"
    )]
    TooFarAhead { ahead_ms: u64 },
}

impl Hlc {
    pub const ZERO: Hlc = Hlc { wall_ms: 0, counter: 0, node: 0 };

    /// Fixed-width hex, so that string order equals time order: `wwwwwwwwwwww-cccc-nnnnnnnnnnnnnnnn`.
    pub fn encode(&self) -> String {
        self.encoded().into()
    }

    /// [`Hlc::encode`] without allocating: every record carries dozens of these, and
    /// storing or sending ten thousand records writes and reads them by the million.
    fn encoded(&self) -> EncodedHlc {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = [b'-'; 34];
        let mut put = |at: usize, width: usize, v: u64| {
            for i in 0..width {
                out[at + i] = HEX[((v >> (4 * (width - 1 - i))) & 0xF) as usize];
            }
        };
        put(0, 12, self.wall_ms);
        put(13, 4, u64::from(self.counter));
        put(18, 16, self.node);
        EncodedHlc(out)
    }

    pub fn parse(s: &str) -> Result<Hlc, HlcError> {
        let bad = || HlcError::Malformed(s.to_string());
        let b = s.as_bytes();
        if b.len() != 34 || b[12] != b'-' || b[17] != b'-' {
            return Err(bad());
        }
        // Lower-case hex only: the encoding is canonical, so equal stamps are equal strings.
        let field = |range: std::ops::Range<usize>| {
            b[range].iter().try_fold(0u64, |acc, &c| match c {
                b'0'..=b'9' => Some(acc << 4 | u64::from(c - b'0')),
                b'a'..=b'f' => Some(acc << 4 | u64::from(c - b'a' + 10)),
                _ => None,
            })
        };
        match (field(0..12), field(13..17), field(18..34)) {
            (Some(wall_ms), Some(counter), Some(node)) => Ok(Hlc { wall_ms, counter: counter as u16, node }),
            _ => Err(bad()),
        }
    }

    /// Refuses a timestamp more than [`MAX_FUTURE_MS`] ahead of `now_ms`.
    pub fn check_not_too_far_ahead(&self, now_ms: u64) -> Result<(), HlcError> {
        if self.wall_ms > now_ms.saturating_add(MAX_FUTURE_MS) {
            return Err(HlcError::TooFarAhead { ahead_ms: self.wall_ms - now_ms });
        }
        Ok(())
    }
}

/// An encoded stamp on the stack: 34 ASCII bytes.
struct EncodedHlc([u8; 34]);

impl EncodedHlc {
    fn as_str(&self) -> &str {
        // Only ASCII hex digits and dashes are ever written.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl From<EncodedHlc> for String {
    fn from(e: EncodedHlc) -> String {
        e.as_str().to_string()
    }
}

impl fmt::Display for Hlc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.encoded().as_str())
    }
}

impl Serialize for Hlc {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.encoded().as_str())
    }
}

impl<'de> Deserialize<'de> for Hlc {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Hlc::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// One node's clock. The caller passes physical time in: `common` reads no clock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Clock {
    pub node: u64,
    pub last: Hlc,
}

from_map!(Clock, "a clock", false, { node: "node", last: "last" });

impl Clock {
    pub fn new(node: u64) -> Clock {
        Clock { node, last: Hlc { node, ..Hlc::ZERO } }
    }

    /// A timestamp for a local event, greater than every timestamp this clock has issued or seen.
    pub fn tick(&mut self, now_ms: u64) -> Hlc {
        let next = if now_ms > self.last.wall_ms {
            Hlc { wall_ms: now_ms, counter: 0, node: self.node }
        } else {
            self.bump(self.last.wall_ms, self.last.counter)
        };
        self.last = next;
        next
    }

    /// Takes in a timestamp received from elsewhere, so the next tick orders after it.
    pub fn observe(&mut self, remote: Hlc, now_ms: u64) -> Result<(), HlcError> {
        remote.check_not_too_far_ahead(now_ms)?;
        if remote.wall_ms > self.last.wall_ms
            || (remote.wall_ms == self.last.wall_ms && remote.counter > self.last.counter)
        {
            self.last = Hlc { wall_ms: remote.wall_ms, counter: remote.counter, node: self.node };
        }
        Ok(())
    }

    fn bump(&self, wall_ms: u64, counter: u16) -> Hlc {
        match counter.checked_add(1) {
            Some(c) => Hlc { wall_ms, counter: c, node: self.node },
            // 65,536 events in one millisecond: borrow a millisecond rather than wrap.
            None => Hlc { wall_ms: wall_ms + 1, counter: 0, node: self.node },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_round_trips_and_sorts_like_time() {
        let a = Hlc { wall_ms: 1_764_316_800_000, counter: 3, node: 0xabcdef };
        let b = Hlc { wall_ms: 1_764_316_800_001, counter: 0, node: 1 };
        assert_eq!(Hlc::parse(&a.encode()), Ok(a));
        assert!(a < b && a.encode() < b.encode());
        assert_eq!(serde_json::to_string(&a).unwrap(), format!("\"{}\"", a.encode()));
    }

    proptest::proptest! {
        #[test]
        fn every_stamp_round_trips_through_its_text(wall_ms in 0u64..(1 << 48), counter: u16, node: u64) {
            let t = Hlc { wall_ms, counter, node };
            let text = t.encode();
            proptest::prop_assert_eq!(text.clone(), format!("{wall_ms:012x}-{counter:04x}-{node:016x}"));
            proptest::prop_assert_eq!(Hlc::parse(&text), Ok(t));
            proptest::prop_assert_eq!(t.to_string(), text);
        }
    }

    #[test]
    fn malformed_timestamps_are_refused() {
        for s in [
            "",
            "1-2-3",
            "00000000000g-0000-0000000000000000",
            "000000000000-0000-0000000000000000-1",
            "00000000000A-0000-0000000000000000",
            "000000000000+0000-0000000000000000",
            "000000000000-0000-000000000000000é",
        ] {
            assert!(Hlc::parse(s).is_err(), "{s}");
        }
    }

    #[test]
    fn ticks_increase_even_when_the_clock_goes_backwards() {
        let mut c = Clock::new(7);
        let t1 = c.tick(1000);
        let t2 = c.tick(999);
        let t3 = c.tick(1000);
        assert!(t1 < t2 && t2 < t3);
    }

    #[test]
    fn observing_a_later_remote_orders_our_next_event_after_it() {
        // Our clock is a day behind the sender's: causality still holds.
        let day = 24 * 3600 * 1000;
        let mut sender = Clock::new(1);
        let sent = sender.tick(10 * day);
        let mut receiver = Clock::new(2);
        receiver.observe(sent, 9 * day).unwrap();
        assert!(receiver.tick(9 * day) > sent);
    }

    #[test]
    fn a_timestamp_too_far_ahead_is_refused_and_not_adopted() {
        let mut c = Clock::new(1);
        let far = Hlc { wall_ms: 1000 + MAX_FUTURE_MS + 1, counter: 0, node: 2 };
        assert!(matches!(c.observe(far, 1000), Err(HlcError::TooFarAhead { .. })));
        assert_eq!(c.tick(1000).wall_ms, 1000);
        let day_ahead = Hlc { wall_ms: 1000 + 24 * 3600 * 1000, counter: 0, node: 2 };
        assert!(c.observe(day_ahead, 1000).is_ok());
    }
}
