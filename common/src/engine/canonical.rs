//! JSON in its one canonical form (RFC 8785, the JSON Canonicalization Scheme), so that
//! any client can compute a record's digest from the document alone: no whitespace;
//! object keys sorted by their UTF-16 code units; strings with only `"`, `\` and control
//! characters escaped (`\b \t \n \f \r` by name, the rest as `\u00xx`); integers in
//! plain decimal. Records hold no fractional numbers; one is written as ECMAScript
//! would (shortest round-trip form).

use serde_json::Value;

/// The canonical bytes of `value`.
pub fn to_vec(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    write(&mut out, value);
    out
}

fn write(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => out.extend_from_slice(i.to_string().as_bytes()),
            (None, Some(u)) => out.extend_from_slice(u.to_string().as_bytes()),
            _ => out.extend_from_slice(es_number(&n.to_string()).as_bytes()),
        },
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(out, item);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            crate::sort::sort_by(&mut keys, |a, b| a.encode_utf16().cmp(b.encode_utf16()));
            out.push(b'{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(out, k);
                out.push(b':');
                write(out, &map[k]);
            }
            out.push(b'}');
        }
    }
}

fn write_string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    for c in s.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\u{08}' => out.extend_from_slice(b"\\b"),
            '\t' => out.extend_from_slice(b"\\t"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\u{0c}' => out.extend_from_slice(b"\\f"),
            '\r' => out.extend_from_slice(b"\\r"),
            c if (c as u32) < 0x20 => out.extend_from_slice(format!("\\u{:04x}", c as u32).as_bytes()),
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out.push(b'"');
}

/// A fractional number as ECMAScript's `Number.prototype.toString` writes it, from the
/// shortest round-trip digits serde_json writes (in whichever notation it chose): the
/// formatter is already in every build that writes JSON, where `core`'s `{:e}` would
/// bring its own.
fn es_number(written: &str) -> String {
    let (negative, s) = match written.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, written),
    };
    let (mantissa, exp) = match s.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.trim_start_matches('+').parse::<i32>().unwrap_or(0)),
        None => (s, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all = format!("{int}{frac}");
    let leading = all.len() - all.trim_start_matches('0').len();
    let digits = all.trim_matches('0').to_string();
    if digits.is_empty() {
        return "0".into();
    }
    // The value is 0.`digits` × 10^n.
    let n = int.len() as i32 - leading as i32 + exp;
    let k = digits.len() as i32;
    let body = if (1..=21).contains(&n) && k <= n {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if (1..=21).contains(&n) {
        format!("{}.{}", &digits[..n as usize], &digits[n as usize..])
    } else if (-5..=0).contains(&n) {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let e = n - 1;
        let sign = if e < 0 { '-' } else { '+' };
        let m = if k == 1 { digits.clone() } else { format!("{}.{}", &digits[..1], &digits[1..]) };
        format!("{m}e{sign}{}", e.abs())
    };
    if negative {
        format!("-{body}")
    } else {
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn canon(v: Value) -> String {
        String::from_utf8(to_vec(&v)).unwrap()
    }

    #[test]
    fn keys_sort_by_utf16_and_nothing_is_spaced() {
        assert_eq!(canon(json!({"b": 1, "a": [true, null, "x"], "A": {}})), r#"{"A":{},"a":[true,null,"x"],"b":1}"#);
        // U+1F600 is a surrogate pair (D83D DE00) in UTF-16, so it sorts before U+E000,
        // though its UTF-8 bytes (F0 ..) sort after U+E000's (EE ..).
        assert_eq!(canon(json!({"\u{E000}": 2, "\u{1F600}": 1})), "{\"\u{1F600}\":1,\"\u{E000}\":2}");
    }

    #[test]
    fn strings_escape_only_what_json_requires() {
        assert_eq!(
            canon(json!("美居 \"quoted\" \\ \n\t\u{1}\u{7f}")),
            "\"美居 \\\"quoted\\\" \\\\ \\n\\t\\u0001\u{7f}\""
        );
    }

    #[test]
    fn numbers_are_written_as_ecmascript_writes_them() {
        assert_eq!(
            canon(json!([0, -12, 12850, 1.5, 0.000001, 1e21, 1e-7, 123456789012345680000.0])),
            "[0,-12,12850,1.5,0.000001,1e+21,1e-7,123456789012345680000]"
        );
        let cases = [
            (-0.5, "-0.5"),
            (0.1 + 0.2, "0.30000000000000004"),
            (123.456, "123.456"),
            (1.5e-7, "1.5e-7"),
            (1e20, "100000000000000000000"),
            (2.5e21, "2.5e+21"),
            (-1.25e-9, "-1.25e-9"),
            (f64::MAX, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
            (-0.0, "0"),
        ];
        for (f, es) in cases {
            assert_eq!(canon(json!(f)), es, "{f:e}");
        }
    }
}
