//! Identifiers. Record and change ids are made on the client (UUIDv7), so a retried
//! request names the same thing and is recognised as a repeat.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("not a valid id: {0:?}")]
    Invalid(String),
    #[error("office code must be 2 to 8 capital letters or digits, got {0:?}")]
    Office(String),
}

/// A UUIDv7 from a millisecond timestamp and ten random bytes the caller supplies
/// (the browser's crypto, or the OS); `common` itself has no source of randomness.
pub fn uuid_v7(unix_ms: u64, random: [u8; 10]) -> Uuid {
    uuid::Builder::from_unix_timestamp_millis(unix_ms, &random).into_uuid()
}

macro_rules! uuid_id {
    ($name:ident, $doc:literal) => {
        #[doc = $doc]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            pub fn parse(s: &str) -> Result<Self, IdError> {
                Uuid::parse_str(s.trim()).map($name).map_err(|_| IdError::Invalid(s.to_string()))
            }
            pub fn new_v7(unix_ms: u64, random: [u8; 10]) -> Self {
                $name(uuid_v7(unix_ms, random))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }
    };
}

uuid_id!(RecordId, "The id of a synced record (order, customer, product, station).");
uuid_id!(ChangeId, "The id of one change; the idempotency key of a push.");
uuid_id!(ClientId, "One device (browser profile); changes carry it with a per-client sequence.");

/// An office's short code: `HQ`, `GZ`, `FS`. Every record belongs to exactly one office.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct OfficeCode(String);

impl OfficeCode {
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let ok = (2..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        if ok {
            Ok(OfficeCode(s.to_string()))
        } else {
            Err(IdError::Office(s.to_string()))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for OfficeCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        OfficeCode::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for OfficeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v7_ids_sort_by_time() {
        let a = RecordId::new_v7(1_000, [9; 10]);
        let b = RecordId::new_v7(2_000, [0; 10]);
        assert!(a < b);
        assert_eq!(a.0.get_version_num(), 7);
        assert_eq!(RecordId::parse(&a.to_string()), Ok(a));
    }

    #[test]
    fn office_codes_are_short_capitals() {
        assert!(OfficeCode::parse("HQ").is_ok());
        assert!(OfficeCode::parse("GZ01").is_ok());
        assert!(OfficeCode::parse("gz").is_err());
        assert!(OfficeCode::parse("H").is_err());
        assert!(OfficeCode::parse("HQ-1").is_err());
        assert!(serde_json::from_str::<OfficeCode>("\"x\"").is_err());
    }

    #[test]
    fn bad_ids_are_refused() {
        assert!(RecordId::parse("not-a-uuid").is_err());
    }
}
