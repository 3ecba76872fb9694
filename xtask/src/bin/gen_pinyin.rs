//! `cargo xtask gen-pinyin`: writes `common/src/desk/pinyin_initials.txt`, the table behind
//! `common::desk::pinyin::initials`, from the `pinyin` crate (version pinned in
//! xtask/Cargo.toml; its data is mozillazg's pinyin-data, from Unihan).
//!
//! One ASCII byte per code point of CJK Unified Ideographs U+4E00..=U+9FFF, in rows of
//! 64 followed by a newline (so a diff shows which rows changed): the first letter of the
//! character's first reading, or `.` when the crate knows none. Run by hand, never by the
//! build: the table is checked in, and `common` does not depend on the crate.

use pinyin::{ToPinyin, ToPinyinMulti};
use std::path::Path;
use std::process::Command;

const FIRST: u32 = 0x4E00;
const LAST: u32 = 0x9FFF;
const ROW: u32 = 64;

/// Characters whose first reading in the crate is not the one they mostly have in the
/// names of shops, companies and fittings. Each must be among the crate's own readings.
const OVERRIDES: &[(char, char, &str)] = &[
    ('行', 'h', "háng: 商行, 车行, 五金行, 银行 (the crate says xíng first)"),
    ('长', 'c', "cháng: 长沙, 长春, 长城, 加长 (the crate says zhǎng first)"),
];

fn letter(plain: &str) -> Option<u8> {
    match plain.chars().next()? {
        c @ 'a'..='z' => Some(c as u8),
        'ê' => Some(b'e'),
        _ => None,
    }
}

fn main() -> Result<(), String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().ok_or("no workspace root")?;
    let out = root.join("common/src/desk/pinyin_initials.txt");
    let mut table = Vec::with_capacity(((LAST - FIRST + 1) + (LAST - FIRST + 1) / ROW) as usize);
    let (mut known, mut unknown) = (0, 0);
    for code in FIRST..=LAST {
        let c = char::from_u32(code).ok_or("not a char")?;
        let byte = match OVERRIDES.iter().find(|(o, _, _)| *o == c) {
            Some((_, l, why)) => {
                let readings: Vec<u8> =
                    c.to_pinyin_multi().into_iter().flatten().filter_map(|p| letter(p.plain())).collect();
                if !readings.contains(&(*l as u8)) {
                    return Err(format!("override {c} → {l} ({why}) is none of the crate's readings"));
                }
                *l as u8
            }
            None => match c.to_pinyin() {
                Some(p) => letter(p.plain()).ok_or_else(|| format!("{c}: unexpected reading {}", p.plain()))?,
                None => b'.',
            },
        };
        if byte == b'.' {
            unknown += 1;
        } else {
            known += 1;
        }
        table.push(byte);
        if (code - FIRST + 1).is_multiple_of(ROW) {
            table.push(b'\n');
        }
    }
    std::fs::write(&out, &table).map_err(|e| format!("{}: {e}", out.display()))?;
    let brotli = Command::new("brotli")
        .args(["-q", "11", "-c"])
        .arg(&out)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| format!("{} bytes", o.stdout.len()))
        .unwrap_or_else(|| "? (no brotli on PATH)".into());
    println!(
        "wrote {}: {known} characters with a reading, {unknown} without; {} bytes raw, brotli -q 11: {brotli}",
        out.display(),
        table.len()
    );
    Ok(())
}
