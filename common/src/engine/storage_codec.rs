//! How values are written into a browser's localStorage. Quotas count UTF-16 units and
//! record JSON repeats its field names, timestamps and catalogue text, so values go in
//! compressed: raw DEFLATE (`engine::deflate`) of the JSON, its bytes packed fifteen bits to a
//! UTF-16 unit (every unit a valid, non-surrogate character). Records are stored many to
//! a value (see the frontend's `storage` packs), so one order's customer, product names
//! and keys are shared with its neighbours' instead of repeated.
//!
//! Three forms read, by their first character:
//! - `^`: this codec (layout 4 on).
//! - `~`: lz-string's `compressToUTF16` (layouts 2 and 3): read only, for the migration,
//!   and only with the `older-stores` feature (the full app's; the core reads none).
//! - anything else: plain JSON (layout 1).

use super::deflate;
use serde::de::DeserializeOwned;
use serde::Serialize;

// Room: `engine::deflate` writes the fixed Huffman codes only. Measured on the bench's
// 10,000 orders in Chromium (docs/benchmarks.md): miniz_oxide at level 3, with codes fitted
// to each pack, stored 67 UTF-16 units per order; this codec 75 (about 70,000 orders fit),
// for 9.8 KB brotli less of the app's download (the general compressor and inflater).

const MARK: char = '^';
/// Units hold 15 bits each, offset so that none is a control character.
const OFFSET: u32 = 0x20;

pub fn encode<T: Serialize>(value: &T) -> String {
    encode_json(&serde_json::to_vec(value).unwrap_or_default())
}

/// JSON already written (records passed on as the server sent them), compressed.
pub fn encode_json(json: &[u8]) -> String {
    let packed = deflate::compress(json);
    let mut out = String::with_capacity(2 + packed.len() * 8 / 15 * 3);
    out.push(MARK);
    to_units(&packed, &mut out);
    out
}

/// What layouts 2 and 3 wrote (lz-string): for tests that make a previous version's storage.
#[cfg(feature = "older-stores")]
pub fn encode_layout3<T: Serialize>(value: &T) -> String {
    let json = serde_json::to_string(value).unwrap_or_default();
    format!("~{}", lz_str::compress_to_utf16(json.as_str()))
}

pub fn decode<T: DeserializeOwned>(stored: &str) -> Option<T> {
    // From `&str`, as everything else is read, in one place: one compiled reader per type.
    serde_json::from_str(&decode_text(stored)?).ok()
}

/// The JSON text a stored value holds, whichever form it was written in.
pub fn decode_text(stored: &str) -> Option<std::borrow::Cow<'_, str>> {
    use std::borrow::Cow;
    if let Some(body) = stored.strip_prefix(MARK) {
        return String::from_utf8(deflate::inflate(&from_units(body)?)?).ok().map(Cow::Owned);
    }
    match stored.strip_prefix('~') {
        #[cfg(feature = "older-stores")]
        Some(packed) => String::from_utf16(&lz_str::decompress_from_utf16(packed)?).ok().map(Cow::Owned),
        #[cfg(not(feature = "older-stores"))]
        Some(_) => None,
        None => Some(Cow::Borrowed(stored)),
    }
}

/// Bytes as 15-bit units. The first unit says whether the last byte is padding ('1') or
/// not ('0'): 8·n bits rarely fill the last unit exactly.
fn to_units(bytes: &[u8], out: &mut String) {
    let bits = bytes.len() * 8;
    let units = bits.div_ceil(15);
    let padding_byte = units * 15 / 8 > bytes.len();
    out.push(if padding_byte { '1' } else { '0' });
    let (mut acc, mut have) = (0u32, 0u32);
    for &b in bytes {
        acc = ((acc << 8) | u32::from(b)) & 0x3F_FFFF;
        have += 8;
        if have >= 15 {
            have -= 15;
            push_unit(out, (acc >> have) & 0x7FFF);
        }
    }
    if have > 0 {
        push_unit(out, (acc << (15 - have)) & 0x7FFF);
    }
}

fn push_unit(out: &mut String, v: u32) {
    // 0x20..=0x801F: below the surrogates (0xD800), so always a char.
    out.push(char::from_u32(v + OFFSET).unwrap_or(' '));
}

fn from_units(body: &str) -> Option<Vec<u8>> {
    let mut chars = body.chars();
    let padding_byte = match chars.next()? {
        '0' => false,
        '1' => true,
        _ => return None,
    };
    let mut out = Vec::with_capacity(body.len() / 3 * 15 / 8 + 1);
    let (mut acc, mut have) = (0u32, 0u32);
    for c in chars {
        let v = (c as u32).checked_sub(OFFSET).filter(|v| *v <= 0x7FFF)?;
        acc = ((acc << 15) | v) & 0x3F_FFFF;
        have += 15;
        while have >= 8 {
            have -= 8;
            out.push((acc >> have) as u8);
        }
    }
    if padding_byte {
        out.pop();
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ids::ChangeId;
    use crate::engine::record::{Change, Kind, RecordState};
    use crate::{OfficeCode, RecordId};
    use proptest::prelude::*;

    fn state() -> RecordState {
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
        RecordState::from_change(&change)
    }

    #[test]
    fn records_round_trip_and_both_older_forms_still_read() {
        let state = state();
        let packed = encode(&state);
        assert!(packed.starts_with('^'));
        assert_eq!(decode::<RecordState>(&packed), Some(state.clone()));
        // What miniz_oxide wrote until 2026-12-06 (codes fitted to the data).
        let json = serde_json::to_vec(&state).unwrap();
        let mut earlier = String::from("^");
        to_units(&miniz_oxide::deflate::compress_to_vec(&json, 3), &mut earlier);
        assert_eq!(decode::<RecordState>(&earlier), Some(state.clone()));
        // Layouts 2 and 3 wrote lz-string (read with `older-stores`); layout 1 plain JSON.
        let json = serde_json::to_string(&state).unwrap();
        #[cfg(feature = "older-stores")]
        assert_eq!(decode::<RecordState>(&encode_layout3(&state)), Some(state.clone()));
        assert_eq!(decode::<RecordState>(&json), Some(state));
        assert_eq!(decode::<RecordState>("~garbage"), None);
        assert_eq!(decode::<RecordState>("^0garbage"), None);
        assert_eq!(decode::<RecordState>("^"), None);
        assert_eq!(decode::<RecordState>("{}"), None);
    }

    #[test]
    fn many_records_to_a_value_take_far_fewer_units_than_one_each() {
        let many: Vec<RecordState> = (0..200u128)
            .map(|n| {
                let mut s = state();
                s.id = RecordId(uuid::Uuid::from_u128(1000 + n));
                s
            })
            .collect();
        let one_each: usize = many.iter().map(|s| encode(s).encode_utf16().count()).sum();
        let together = encode(&many).encode_utf16().count();
        assert!(together * 4 < one_each, "{together} units together vs {one_each} one each");
    }

    #[test]
    fn values_that_compress_far_more_than_ten_to_one_still_read_back_whole() {
        // Outgrows the first buffer several times over.
        let notes = "先打电话".repeat(50_000);
        let packed = encode(&notes);
        let units = packed.encode_utf16().count();
        assert!(units * 100 < notes.len(), "{units} units for {} bytes", notes.len());
        assert_eq!(decode::<String>(&packed), Some(notes));
        // A stream cut short is refused, not padded.
        let cut: String = packed.chars().take(packed.chars().count() / 2).collect();
        assert_eq!(decode::<String>(&cut), None);
    }

    proptest! {
        #[test]
        fn any_text_reads_back(text in ".{0,300}", repeat in 1usize..400) {
            let text = text.repeat(repeat);
            let packed = encode(&text);
            prop_assert_eq!(decode::<String>(&packed), Some(text));
        }

        #[test]
        fn any_bytes_survive_the_units(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut s = String::new();
            to_units(&bytes, &mut s);
            prop_assert!(s.chars().skip(1).all(|c| (0x20..0xD800).contains(&(c as u32))));
            prop_assert_eq!(from_units(&s), Some(bytes));
        }
    }
}
