//! How values are written into a browser's localStorage. Quotas count UTF-16 units and
//! record JSON repeats its field names, timestamps and catalogue text, so values go in
//! compressed: raw DEFLATE (miniz_oxide) of the JSON, its bytes packed fifteen bits to a
//! UTF-16 unit (every unit a valid, non-surrogate character). Records are stored many to
//! a value (see the frontend's `storage` packs), so one order's customer, product names
//! and keys are shared with its neighbours' instead of repeated.
//!
//! Three forms read, by their first character:
//! - `^`: this codec (layout 4 on).
//! - `~`: lz-string's `compressToUTF16` (layouts 2 and 3): read only, for the migration.
//! - anything else: plain JSON (layout 1).

use serde::de::DeserializeOwned;
use serde::Serialize;

/// How hard DEFLATE works, for single values (fast) and for packs of records (dense).
/// Measured on packs of 500 realistic orders (natively; the browser's wasm is slower):
/// level 1 stores 101 UTF-16 units per order in 1.2 ms per pack, 2: 76 in 1.8 ms, 3: 65 in
/// 2.5 ms, 6: 61 in 4.4 ms. Packs take 3: a first sync of 10,000 orders compresses them
/// all, and 6 cost nearly twice the CPU for 6% less room (~80,000 orders still fit).
pub const LEVEL_FAST: u8 = 1;
pub const LEVEL_DENSE: u8 = 3;

const MARK: char = '^';
/// Units hold 15 bits each, offset so that none is a control character.
const OFFSET: u32 = 0x20;

pub fn encode<T: Serialize>(value: &T) -> String {
    encode_at(value, LEVEL_FAST)
}

/// The same, choosing DEFLATE's level.
pub fn encode_at<T: Serialize>(value: &T, level: u8) -> String {
    encode_json(&serde_json::to_vec(value).unwrap_or_default(), level)
}

/// JSON already written (records passed on as the server sent them), compressed.
pub fn encode_json(json: &[u8], level: u8) -> String {
    let packed = miniz_oxide::deflate::compress_to_vec(json, level);
    let mut out = String::with_capacity(2 + packed.len() * 8 / 15 * 3);
    out.push(MARK);
    to_units(&packed, &mut out);
    out
}

/// What layouts 2 and 3 wrote (lz-string): for tests that make a previous version's storage.
pub fn encode_layout3<T: Serialize>(value: &T) -> String {
    let json = serde_json::to_string(value).unwrap_or_default();
    format!("~{}", lz_str::compress_to_utf16(json.as_str()))
}

pub fn decode<T: DeserializeOwned>(stored: &str) -> Option<T> {
    // From `&str`, as everything else is read, in one place: one compiled reader per type.
    serde_json::from_str(&decode_text(stored)?).ok()
}

/// The JSON text a stored value holds, whichever form it was written in.
fn decode_text(stored: &str) -> Option<std::borrow::Cow<'_, str>> {
    use std::borrow::Cow;
    if let Some(body) = stored.strip_prefix(MARK) {
        return String::from_utf8(inflate(&from_units(body)?)?).ok().map(Cow::Owned);
    }
    match stored.strip_prefix('~') {
        Some(packed) => String::from_utf16(&lz_str::decompress_from_utf16(packed)?).ok().map(Cow::Owned),
        None => Some(Cow::Borrowed(stored)),
    }
}

/// Raw DEFLATE undone, through a 32 KB window (DEFLATE's own) appended to the output:
/// each byte is copied once. miniz_oxide's `decompress_to_vec` starts at twice the input
/// and doubles, zero-filling and copying each time, and packs of records inflate fifteen
/// to twenty times.
fn inflate(packed: &[u8]) -> Option<Vec<u8>> {
    use miniz_oxide::inflate::core::{decompress, DecompressorOxide};
    use miniz_oxide::inflate::TINFLStatus;
    const WINDOW: usize = 32 * 1024;
    let mut window = vec![0u8; WINDOW];
    let mut out = Vec::with_capacity(packed.len().saturating_mul(16));
    let mut state = Box::<DecompressorOxide>::default();
    let (mut input, mut at) = (packed, 0);
    loop {
        // No flags: raw DEFLATE, all input given, the window wrapping.
        let (status, read, wrote) = decompress(&mut state, input, &mut window, at, 0);
        out.extend_from_slice(&window[at..at + wrote]);
        at = (at + wrote) % WINDOW;
        input = input.get(read..)?;
        match status {
            TINFLStatus::Done => return Some(out),
            TINFLStatus::HasMoreOutput => {}
            _ => return None,
        }
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
        assert_eq!(decode::<RecordState>(&encode_at(&state, LEVEL_DENSE)), Some(state.clone()));
        // Layouts 2 and 3 wrote lz-string; layout 1 plain JSON.
        let json = serde_json::to_string(&state).unwrap();
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
        let together = encode_at(&many, LEVEL_DENSE).encode_utf16().count();
        assert!(together * 4 < one_each, "{together} units together vs {one_each} one each");
    }

    #[test]
    fn values_that_compress_far_more_than_ten_to_one_still_read_back_whole() {
        // Outgrows the first buffer several times over.
        let notes = "先打电话".repeat(50_000);
        let packed = encode(&notes);
        assert!(packed.len() * 100 < notes.len(), "{} units for {} bytes", packed.len(), notes.len());
        assert_eq!(decode::<String>(&packed), Some(notes));
        // A stream cut short is refused, not padded.
        let cut: String = packed.chars().take(packed.chars().count() / 2).collect();
        assert_eq!(decode::<String>(&cut), None);
    }

    proptest! {
        #[test]
        fn any_text_at_either_level_reads_back(text in ".{0,300}", repeat in 1usize..400, dense in any::<bool>()) {
            let text = text.repeat(repeat);
            let packed = encode_at(&text, if dense { LEVEL_DENSE } else { LEVEL_FAST });
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
