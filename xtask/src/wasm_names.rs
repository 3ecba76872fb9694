//! Renames a wasm module's functions (its `name` section only) so that wasm-opt's
//! `--reorder-functions-by-name` lays out alike functions side by side: the copies one
//! generic function gets for each type (a view's `build`, a type's `drop_in_place`) are
//! near-identical, and brotli shares more of them when they are neighbours. Measured on the
//! core: 6.4 KB brotli less than wasm-opt's own order (docs/benchmarks.md). The names go
//! when wasm-opt writes the module; the code is untouched. Also drops exports nothing
//! calls ([`without_exports`]), so that wasm-opt drops the code only they reached.

type Result<T> = std::result::Result<T, String>;

fn leb(b: &[u8], at: &mut usize) -> Result<u64> {
    let (mut value, mut shift) = (0u64, 0);
    loop {
        let byte = *b.get(*at).ok_or("wasm ends inside a number")?;
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return Ok(value);
        }
        shift += 7;
        if shift > 63 {
            return Err("wasm number too long".into());
        }
    }
}

fn put_leb(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn name_at<'a>(b: &'a [u8], at: &mut usize) -> Result<&'a [u8]> {
    let len = leb(b, at)? as usize;
    let s = b.get(*at..*at + len).ok_or("wasm ends inside a name")?;
    *at += len;
    Ok(s)
}

/// Skips an import's limits (table or memory): flags, minimum, maximum if flagged.
fn skip_limits(b: &[u8], at: &mut usize) -> Result<()> {
    let flags = leb(b, at)?;
    leb(b, at)?;
    if flags & 1 != 0 {
        leb(b, at)?;
    }
    Ok(())
}

/// How many functions the module imports (they come first in the index space).
fn imported_functions(section: &[u8]) -> Result<u64> {
    let mut at = 0;
    let mut functions = 0;
    for _ in 0..leb(section, &mut at)? {
        name_at(section, &mut at)?;
        name_at(section, &mut at)?;
        let kind = *section.get(at).ok_or("wasm ends inside an import")?;
        at += 1;
        match kind {
            0 => {
                leb(section, &mut at)?;
                functions += 1;
            }
            1 => {
                at += 1; // the element type
                skip_limits(section, &mut at)?;
            }
            2 => skip_limits(section, &mut at)?,
            3 => at += 2, // value type, mutability
            4 => {
                at += 1;
                leb(section, &mut at)?;
            }
            _ => return Err(format!("unknown import kind {kind}")),
        }
    }
    Ok(functions)
}

/// The sort key: the name without its hash and generic arguments, then the body's size,
/// then the index (names must stay distinct).
fn key(name: &str, size: u64, index: u64) -> String {
    let name = name.rsplit_once("::h").filter(|(_, h)| h.len() == 16).map_or(name, |(n, _)| n);
    let bare = match (name.find('<'), name.rfind('>')) {
        (Some(open), Some(close)) if open < close => format!("{}<>{}", &name[..open], &name[close + 1..]),
        _ => name.to_string(),
    };
    format!("{bare}~{size:08}~{index}")
}

/// The module with its function names replaced by [`key`]s.
pub fn names_for_layout(wasm: &[u8]) -> Result<Vec<u8>> {
    let sections = sections(wasm)?;
    let imports = match sections.iter().find(|(id, _)| *id == 2) {
        Some((_, s)) => imported_functions(s)?,
        None => 0,
    };
    let mut sizes = std::collections::HashMap::new();
    if let Some((_, code)) = sections.iter().find(|(id, _)| *id == 10) {
        let mut at = 0;
        for k in 0..leb(code, &mut at)? {
            let len = leb(code, &mut at)?;
            sizes.insert(imports + k, len);
            at += len as usize;
        }
    }
    let mut out = Vec::new();
    let mut renamed = false;
    for (id, body) in sections {
        let mut at = 0;
        let new_body = if id == 0 && name_at(body, &mut at)? == b"name" {
            let mut new = body[..at].to_vec();
            while at < body.len() {
                let sub = body[at];
                at += 1;
                let len = leb(body, &mut at)? as usize;
                let content = body.get(at..at + len).ok_or("wasm ends inside the name section")?;
                at += len;
                new.push(sub);
                if sub != 1 {
                    put_leb(&mut new, len as u64);
                    new.extend_from_slice(content);
                    continue;
                }
                let mut names = Vec::new();
                let mut c = 0;
                let count = leb(content, &mut c)?;
                put_leb(&mut names, count);
                for _ in 0..count {
                    let index = leb(content, &mut c)?;
                    let name = String::from_utf8_lossy(name_at(content, &mut c)?).into_owned();
                    let k = key(&name, sizes.get(&index).copied().unwrap_or(0), index);
                    put_leb(&mut names, index);
                    put_leb(&mut names, k.len() as u64);
                    names.extend_from_slice(k.as_bytes());
                }
                put_leb(&mut new, names.len() as u64);
                new.extend_from_slice(&names);
                renamed = true;
            }
            new
        } else {
            body.to_vec()
        };
        out.push((id, new_body));
    }
    if !renamed {
        return Err("the wasm has no function names to order by".into());
    }
    Ok(module_of(out))
}

/// A module's sections in order, each its id and body.
fn sections(wasm: &[u8]) -> Result<Vec<(u8, &[u8])>> {
    if wasm.get(..8) != Some(b"\0asm\x01\0\0\0".as_slice()) {
        return Err("not a wasm module".into());
    }
    let mut sections = Vec::new();
    let mut at = 8;
    while at < wasm.len() {
        let id = wasm[at];
        at += 1;
        let len = leb(wasm, &mut at)? as usize;
        sections.push((id, wasm.get(at..at + len).ok_or("wasm ends inside a section")?));
        at += len;
    }
    Ok(sections)
}

/// The module made of these sections.
fn module_of(sections: Vec<(u8, Vec<u8>)>) -> Vec<u8> {
    let mut out = b"\0asm\x01\0\0\0".to_vec();
    for (id, body) in sections {
        out.push(id);
        put_leb(&mut out, body.len() as u64);
        out.extend_from_slice(&body);
    }
    out
}

/// The module without the exports `drop` picks (wasm-opt then drops the code only they
/// reached), and how many went.
pub fn without_exports(wasm: &[u8], drop: impl Fn(&str) -> bool) -> Result<(Vec<u8>, usize)> {
    let mut out = Vec::new();
    let mut dropped = 0;
    for (id, body) in sections(wasm)? {
        if id != 7 {
            out.push((id, body.to_vec()));
            continue;
        }
        let mut at = 0;
        let mut kept = Vec::new();
        let mut left = 0;
        for _ in 0..leb(body, &mut at)? {
            let start = at;
            let name = String::from_utf8_lossy(name_at(body, &mut at)?).into_owned();
            at += 1; // the export's kind
            leb(body, &mut at)?;
            if drop(&name) {
                dropped += 1;
            } else {
                kept.extend_from_slice(body.get(start..at).ok_or("wasm ends inside an export")?);
                left += 1;
            }
        }
        let mut new = Vec::new();
        put_leb(&mut new, left);
        new.extend_from_slice(&kept);
        out.push((id, new));
    }
    Ok((module_of(out), dropped))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A module of one export section: each export a function of that index.
    fn module(exports: &[(&str, u64)]) -> Vec<u8> {
        let mut section = Vec::new();
        put_leb(&mut section, exports.len() as u64);
        for (name, index) in exports {
            put_leb(&mut section, name.len() as u64);
            section.extend_from_slice(name.as_bytes());
            section.push(0);
            put_leb(&mut section, *index);
        }
        module_of(vec![(7, section)])
    }

    #[test]
    fn only_the_exports_picked_are_dropped() {
        let wasm = module(&[
            ("main", 200),
            ("intounderlyingsource_pull", 201),
            ("memory", 202),
            ("__wbg_intounderlyingsink_free", 203),
        ]);
        let (out, n) = without_exports(&wasm, |name| name.contains("intounderlying")).unwrap();
        assert_eq!(n, 2);
        assert_eq!(out, module(&[("main", 200), ("memory", 202)]));
        assert_eq!(without_exports(&wasm, |_| false).unwrap(), (wasm.clone(), 0));
    }

    #[test]
    fn alike_functions_get_alike_keys_ordered_by_size() {
        let a = key("core::ptr::drop_in_place<tachys::Foo<u8>>::h0123456789abcdef", 120, 7);
        let b = key("core::ptr::drop_in_place<alloc::Vec<Bar>>::hfedcba9876543210", 80, 9);
        assert_eq!(a, "core::ptr::drop_in_place<>~00000120~7");
        assert!(b < a, "the smaller copy first: {b} {a}");
        assert_eq!(key("main", 5, 1), "main~00000005~1");
    }
}
