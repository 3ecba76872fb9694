//! A record packed for the wire (docs/sync-protocol.md, section 7, "Packed records"): the
//! raw DEFLATE ([`super::deflate`]) of its canonical JSON, in base64 (RFC 4648, the
//! standard alphabet, padded). A record's JSON repeats its stamp in every field, so packed
//! it is about 45% of the size: a hundred devices syncing at once move, and read, half
//! the bytes, and a branch's slow line carries half as much.
//!
//! Base64 by hand, not the `base64` crate: these few lines are all the browser app needs
//! of it, and its download has little room.

use super::deflate;
use std::borrow::Cow;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `json` packed: base64 of its raw DEFLATE.
pub fn pack(json: &[u8]) -> String {
    to_base64(&deflate::compress(json))
}

/// The JSON a packed record holds; `None` if `text` is not base64 of valid DEFLATE, or
/// not UTF-8 inside.
pub fn unpack(text: &str) -> Option<String> {
    String::from_utf8(deflate::inflate(&from_base64(text)?)?).ok()
}

/// A record's JSON as a pull page sent it (`sent`, the array element's own text): an object
/// as it is, or a string unpacked. `None` for a string that is not a packed record. (The
/// server's packed strings are base64 in quotes, never escaped.)
pub fn read_sent(sent: &str) -> Option<Cow<'_, str>> {
    match sent.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        Some(packed) => unpack(packed).map(Cow::Owned),
        None => Some(Cow::Borrowed(sent)),
    }
}

fn to_base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            let c = if i <= chunk.len() { ALPHABET[(n >> (18 - 6 * i) & 63) as usize] } else { b'=' };
            out.push(char::from(c));
        }
    }
    out
}

fn from_base64(text: &str) -> Option<Vec<u8>> {
    let body = text.as_bytes();
    if !body.len().is_multiple_of(4) {
        return None;
    }
    let body = body.strip_suffix(b"==").or_else(|| body.strip_suffix(b"=")).unwrap_or(body);
    let mut bytes = Vec::with_capacity(body.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for &c in body {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = acc << 6 | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            bytes.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An order as the server stores it: the bench's sample, written by one change.
    fn order_json() -> String {
        use crate::desk::order::OrderDraft;
        use crate::engine::hlc::Clock;
        use crate::engine::ids::{ChangeId, OfficeCode, RecordId};
        use crate::engine::record::{Change, Kind, RecordState};
        let mut values = OrderDraft::sample(7).validate().unwrap().to_values();
        values.insert("number".into(), serde_json::json!("FS-261128-03-0007"));
        let id = RecordId::new_v7(1_780_000_000_000, [1; 10]);
        let office = OfficeCode::parse("FS").unwrap();
        let mut state = RecordState::new(Kind::ORDER, id, office.clone());
        let set = state.writes_for(&values);
        let ts = Clock::new(0x7001).tick(1_780_000_000_000);
        let id2 = ChangeId::new_v7(1_780_000_000_000, [2; 10]);
        let change = Change {
            id: id2,
            seq: 1,
            kind: Kind::ORDER,
            record: id,
            office,
            ts,
            by: "fs_clerk".into(),
            set,
            event: None,
        };
        state.apply(&change).unwrap();
        state.canonical_json()
    }

    #[test]
    fn a_packed_order_unpacks_to_the_same_json_at_under_half_its_size() {
        let json = order_json();
        let packed = pack(json.as_bytes());
        assert_eq!(unpack(&packed).as_deref(), Some(json.as_str()));
        assert!(packed.len() * 2 < json.len(), "{} packed from {}", packed.len(), json.len());
        assert!(packed.bytes().all(|c| ALPHABET.contains(&c) || c == b'='));
    }

    #[test]
    fn a_page_element_is_read_as_sent_or_unpacked() {
        let json = order_json();
        assert_eq!(read_sent(&json), Some(Cow::Borrowed(json.as_str())), "an object as it is");
        let sent = serde_json::to_string(&pack(json.as_bytes())).unwrap();
        assert_eq!(read_sent(&sent).as_deref(), Some(json.as_str()), "a string unpacked");
        assert_eq!(read_sent("\"not packed\""), None);
    }

    #[test]
    fn every_length_round_trips_through_the_padding() {
        for n in 0..40 {
            let json: String = (0..n).map(|i| char::from(b'a' + (i * 7 % 26) as u8)).collect();
            assert_eq!(unpack(&pack(json.as_bytes())).as_deref(), Some(json.as_str()), "length {n}");
        }
    }

    #[test]
    fn text_that_is_not_a_packed_record_is_refused_not_misread() {
        for bad in ["", "A", "AB=C", "!!!!", "QUJD", "{\"id\":1}"] {
            assert_eq!(unpack(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn base64_is_rfc_4648s_with_its_padding() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, coded) in cases {
            assert_eq!(to_base64(plain.as_bytes()), coded);
            assert_eq!(from_base64(coded).as_deref(), Some(plain.as_bytes()));
        }
        assert_eq!(to_base64(&[0xfb, 0xff]), "+/8=");
    }
}
