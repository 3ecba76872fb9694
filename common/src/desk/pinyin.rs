//! Pinyin initials of what people type, for lookups: 华北建新 → `hbjx`, so a customer or
//! product typed in at the desk is found by its initials like the demo's.
//!
//! The table is one ASCII byte per character of CJK Unified Ideographs U+4E00..=U+9FFF
//! (20,992 characters, rows of 64 and a newline: 21,320 bytes raw, 11.4 KB alone with
//! `brotli -q 11`). The block is ordered by radical, not sound, so runs are short and the
//! letters' own entropy (4.3 bits each, 11.0 KB in all) is the floor for any encoding of
//! it: one byte each, left to the server's brotli, is as small as it gets. Measured on the
//! built app (wasm-release, wasm-opt -Oz): +13.2 KB brotli, +22.2 KB raw. It is generated
//! by `cargo xtask gen-pinyin` from the `pinyin` crate (version pinned in
//! xtask/Cargo.toml) and checked in: `common` does not depend on that crate.
//!
//! - Each Han character gives the first letter of its first (most common) reading in the
//!   crate, except 行 → `h` (商行, 车行) and 长 → `c` (长沙, 长城), chosen in the
//!   generator. Other characters read two ways keep the crate's first reading (重 → `z`,
//!   厦 → `s`, 乐 → `l`), except in the few place names of [`WORDS`] (重庆 → `cq`).
//! - ASCII letters and digits are kept, lower-cased; full-width ones (ＡＪ８８) too, as
//!   their ASCII selves; 〇 is `l` (líng).
//! - Everything else is dropped: spaces, punctuation, brackets, characters outside the
//!   table (the rare ones of the extension blocks), other scripts.
//!
//! So `AJ-8801 三角阀` → `aj8801sjf`, and `（佛山）美居建材商行` → `fsmjjcsh`.
//!
//! The table is compiled in with the `pinyin-table` feature (on by default: the server,
//! the tests). The browser app builds without it and [`install`]s the same file, fetched
//! as `/pinyin.txt` once its first screen shows, so the download a phone waits for is
//! smaller; until then Han characters give no initials (as if outside the table).

/// Generated: see the module's documentation. Never edit by hand.
#[cfg(feature = "pinyin-table")]
const TABLE: &[u8] = include_bytes!("pinyin_initials.txt");

#[cfg(not(feature = "pinyin-table"))]
static INSTALLED: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();

#[cfg(feature = "pinyin-table")]
fn table() -> &'static [u8] {
    TABLE
}

#[cfg(not(feature = "pinyin-table"))]
fn table() -> &'static [u8] {
    INSTALLED.get().map(Vec::as_slice).unwrap_or_default()
}

/// Whether initials of Han characters can be given (the table is compiled in or installed).
pub fn has_table() -> bool {
    !table().is_empty()
}

/// Whether `bytes` has the table's shape: one byte for every character of the block, in
/// rows of [`ROW`] each ending in a newline.
pub fn is_table(bytes: &[u8]) -> bool {
    bytes.len() == (LAST - FIRST + 1) as usize / ROW * (ROW + 1)
        && bytes.chunks(ROW + 1).all(|row| row[ROW] == b'\n' && row[..ROW].iter().all(|b| *b != b'\n'))
}

/// Installs the table fetched at run time (`pinyin_initials.txt` as served); refused
/// (`false`) unless it has the table's shape. A table compiled in stays as it is.
pub fn install(bytes: Vec<u8>) -> bool {
    if !is_table(&bytes) {
        return false;
    }
    #[cfg(not(feature = "pinyin-table"))]
    let _ = INSTALLED.set(bytes);
    true
}
const FIRST: u32 = 0x4E00;
const LAST: u32 = 0x9FFF;
/// Characters per row of the table (each row ends with a newline).
const ROW: usize = 64;

/// Place names whose characters are read otherwise than the table says.
const WORDS: &[(&str, &str)] = &[("重庆", "cq"), ("厦门", "xm"), ("番禺", "py"), ("西藏", "xz"), ("乐清", "yq")];

/// The pinyin initial of one Han character (lower-case), if the table has one.
pub fn han_initial(c: char) -> Option<char> {
    let code = u32::from(c);
    if !(FIRST..=LAST).contains(&code) {
        return None;
    }
    let i = (code - FIRST) as usize;
    match table().get(i / ROW * (ROW + 1) + i % ROW) {
        Some(&b) if b.is_ascii_lowercase() => Some(char::from(b)),
        _ => None,
    }
}

/// What one character adds to the initials, if anything.
fn key(c: char) -> Option<char> {
    match c {
        'a'..='z' | '0'..='9' => Some(c),
        'A'..='Z' => Some(c.to_ascii_lowercase()),
        // Full-width digits and letters: U+FF10.. are '0'.., U+FF21.. 'A'.., U+FF41.. 'a'...
        '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ' => {
            char::from_u32(u32::from(c) - 0xFEE0).map(|a| a.to_ascii_lowercase())
        }
        '〇' => Some('l'),
        _ => han_initial(c),
    }
}

/// The pinyin initials of `s`: see the module's documentation for what is kept.
pub fn initials(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if let Some((word, keys)) = WORDS.iter().find(|(w, _)| rest.starts_with(w)) {
            out.push_str(keys);
            rest = &rest[word.len()..];
            continue;
        }
        out.extend(key(c));
        rest = &rest[c.len_utf8()..];
    }
    out
}

#[cfg(all(test, not(feature = "pinyin-table")))]
mod without_the_table {
    use super::*;

    #[test]
    fn han_characters_give_initials_once_the_served_table_is_installed() {
        assert!(!has_table());
        assert_eq!(initials("AJ-8801 三角阀"), "aj8801", "letters and digits need no table");
        assert!(!install(b"<!doctype html>".to_vec()));
        assert!(!has_table(), "a page that is not the table is not installed");
        assert!(install(include_bytes!("pinyin_initials.txt").to_vec()));
        assert!(has_table());
        assert_eq!(initials("AJ-8801 三角阀"), "aj8801sjf");
    }
}

#[cfg(all(test, feature = "pinyin-table"))]
mod tests {
    use super::*;

    #[test]
    fn han_names_give_their_initials() {
        assert_eq!(initials("华北建新"), "hbjx");
        assert_eq!(initials("三角阀"), "sjf");
        assert_eq!(initials("美居建材"), "mjjc");
        assert_eq!(initials("不锈钢编织软管"), "bxgbzrg");
    }

    #[test]
    fn letters_and_digits_stay_and_the_rest_goes() {
        assert_eq!(initials("AJ-8801 三角阀"), "aj8801sjf");
        assert_eq!(initials("（佛山）美居建材，商行!"), "fsmjjcsh");
        assert_eq!(initials("ＡＪ８８ 龙头"), "aj88lt");
        assert_eq!(initials("〇二号仓"), "lehc");
        assert_eq!(initials("  ·、。—— "), "");
        assert_eq!(initials("Café 😀"), "caf");
        assert_eq!(initials(""), "");
    }

    #[test]
    fn the_table_covers_the_whole_block_and_nothing_past_it() {
        assert!(is_table(TABLE));
        assert!(has_table());
        assert!(install(TABLE.to_vec()), "the served file installs");
        assert!(!install(TABLE[1..].to_vec()), "a cut file does not");
        assert!(!install(b"<!doctype html>".to_vec()), "nor a page that is not it");
        assert_eq!(han_initial('一'), Some('y'));
        assert_eq!(han_initial('\u{9FA5}'), Some('y'), "龥, the last of the original block");
        assert_eq!(han_initial('\u{4DFF}'), None);
        assert_eq!(han_initial('\u{A000}'), None);
        assert_eq!(han_initial('a'), None);
    }

    #[test]
    fn characters_read_two_ways_take_the_reading_names_use() {
        assert_eq!(initials("五金商行"), "wjsh");
        assert_eq!(initials("长城建材"), "ccjc");
        assert_eq!(initials("重庆长江水暖"), "cqcjsn");
        assert_eq!(initials("厦门"), "xm");
        assert_eq!(initials("番禺区"), "pyq");
        // Elsewhere the table's single reading stands, right or wrong.
        assert_eq!(initials("重型"), "zx");
        assert_eq!(initials("大厦"), "ds");
    }

    /// The demo's initials were written by hand; what is computed agrees with every one.
    #[test]
    fn computed_initials_agree_with_the_demos() {
        for (name, hand) in [
            ("美居建材商行", "mjjcsh"),
            ("恒发水暖批发部", "hfsnpfb"),
            ("金鑫五金店", "jxwjd"),
            ("华美装饰工程公司", "hmzsgcgs"),
            ("宏达建材城", "hdjcc"),
            ("新时代卫浴馆", "xsdwyg"),
            ("众诚水电安装部", "zcsdazb"),
            ("佳家乐装修队", "jjlzxd"),
            ("利民五金水暖", "lmwjsn"),
            ("安居房产开发公司", "ajfckfgs"),
            ("单把手面盆龙头", "dbsmplt"),
            ("恒温淋浴花洒", "hwlyhs"),
            ("不锈钢编织软管", "bxgbzrg"),
            ("防臭地漏", "fcdl"),
            ("连体座便器", "ltzbq"),
            ("台上盆", "tsp"),
            ("厨房水槽", "cfsc"),
            ("角阀", "jf"),
            ("浴室柜组合", "ysgzh"),
        ] {
            assert_eq!(initials(name), hand, "{name}");
        }
    }
}
