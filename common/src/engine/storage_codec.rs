//! How records are written into a browser's localStorage: their JSON, LZ-compressed into
//! valid UTF-16 (lz-string's `compressToUTF16`). Quotas count UTF-16 units, and a
//! record's JSON repeats its timestamps and line keys, so this roughly triples how many
//! orders a device can hold. A leading `~` marks the compressed form; plain JSON (as
//! written before compression existed) still reads.

use serde::de::DeserializeOwned;
use serde::Serialize;

pub fn encode<T: Serialize>(value: &T) -> String {
    let json = serde_json::to_string(value).unwrap_or_default();
    let mut out = String::with_capacity(json.len() / 2);
    out.push('~');
    out.push_str(&lz_str::compress_to_utf16(json.as_str()));
    out
}

pub fn decode<T: DeserializeOwned>(stored: &str) -> Option<T> {
    match stored.strip_prefix('~') {
        Some(packed) => {
            let wide = lz_str::decompress_from_utf16(packed)?;
            serde_json::from_str(&String::from_utf16(&wide).ok()?).ok()
        }
        None => serde_json::from_str(stored).ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ids::ChangeId;
    use crate::engine::record::{Change, Kind, RecordState};
    use crate::{OfficeCode, RecordId};

    #[test]
    fn records_round_trip_and_old_plain_json_still_reads() {
        let office = OfficeCode::parse("FS").unwrap();
        let id = RecordId(uuid::Uuid::from_u128(5));
        let values = [
            ("customer_name".to_string(), serde_json::json!("佛山市美居建材商行")),
            ("notes".to_string(), serde_json::json!("先打电话")),
        ]
        .into();
        let change = Change {
            id: ChangeId(uuid::Uuid::from_u128(1)),
            seq: 0,
            kind: Kind::ORDER,
            record: id,
            office: office.clone(),
            ts: crate::Hlc { wall_ms: 1, counter: 0, node: 2 },
            by: "u".into(),
            set: RecordState::new(Kind::ORDER, id, office).writes_for(&values),
            event: None,
        };
        let state = RecordState::from_change(&change);
        let packed = encode(&state);
        assert!(packed.starts_with('~'));
        assert_eq!(decode::<RecordState>(&packed), Some(state.clone()));
        assert_eq!(decode::<RecordState>(&serde_json::to_string(&state).unwrap()), Some(state));
        assert_eq!(decode::<RecordState>("~garbage"), None);
        assert_eq!(decode::<RecordState>("{}"), None);
    }
}
