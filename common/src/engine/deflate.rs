//! Raw DEFLATE (RFC 1951), small enough to ship in the app's download.
//!
//! - [`compress`]: one block of the fixed Huffman codes, LZ77 matches found through hash
//!   chains with one step of lazy matching. A general-purpose compressor (miniz_oxide, which
//!   the app used until 2026-12-06) also builds codes fitted to the data and packs records
//!   somewhat denser, at several times the code (see `storage_codec`).
//! - [`inflate`]: any raw DEFLATE, stored, fixed and dynamic blocks alike: what miniz_oxide
//!   wrote on devices before reads back.

/// DEFLATE's window: how far back a match may reach.
const WINDOW: usize = 1 << 15;
/// The most hash bits: chains' heads for inputs of 16 KB and more.
const HASH_BITS: u32 = 15;
const MIN_MATCH: usize = 3;
const MAX_MATCH: usize = 258;
/// Candidates tried per position: records repeat field names and values a few hundred
/// bytes apart, so the first candidates are nearly always the best.
const MAX_CHAIN: u32 = 32;
/// A match this long is taken without looking for a longer one one byte on.
const LAZY_ENOUGH: usize = 32;
const NONE: u32 = u32::MAX;

const LEN_BASE: [u16; 29] =
    [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LEN_EXTRA: [u8; 29] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
    8193, 12289, 16385, 24577,
];
const DIST_EXTRA: [u8; 30] =
    [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];

/// Bits out, least significant first, as DEFLATE packs them.
struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    fn put(&mut self, value: u32, len: u32) {
        self.acc |= u64::from(value) << self.n;
        self.n += len;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    /// A Huffman code: sent from its most significant bit.
    fn code(&mut self, code: u32, len: u32) {
        self.put(code.reverse_bits() >> (32 - len), len);
    }

    /// A literal byte, a length code or the end of the block, in the fixed code.
    fn symbol(&mut self, sym: u32) {
        match sym {
            0..=143 => self.code(0x30 + sym, 8),
            144..=255 => self.code(0x190 + sym - 144, 9),
            256..=279 => self.code(sym - 256, 7),
            _ => self.code(0xC0 + sym - 280, 8),
        }
    }

    fn matched(&mut self, len: usize, dist: usize) {
        let l = LEN_BASE.iter().rposition(|&b| usize::from(b) <= len).unwrap_or(0);
        self.symbol(257 + l as u32);
        self.put((len - usize::from(LEN_BASE[l])) as u32, u32::from(LEN_EXTRA[l]));
        let d = DIST_BASE.iter().rposition(|&b| usize::from(b) <= dist).unwrap_or(0);
        self.code(d as u32, 5);
        self.put((dist - usize::from(DIST_BASE[d])) as u32, u32::from(DIST_EXTRA[d]));
    }
}

/// Positions seen, by the hash of the three bytes that start there.
struct Chains {
    head: Vec<u32>,
    prev: Vec<u32>,
    bits: u32,
}

impl Chains {
    /// Tables sized to `len`: a record of a kilobyte is packed with 8 KB of heads, not
    /// the 256 KB (filled, then mostly unread) a whole window's tables take.
    fn for_input(len: usize) -> Chains {
        let bits = (usize::BITS - len.leading_zeros()).clamp(8, HASH_BITS);
        Chains { head: vec![NONE; 1 << bits], prev: vec![NONE; len.min(WINDOW)], bits }
    }

    fn hash(&self, input: &[u8], at: usize) -> usize {
        let v = u32::from(input[at]) | u32::from(input[at + 1]) << 8 | u32::from(input[at + 2]) << 16;
        (v.wrapping_mul(0x9E37_79B1) >> (32 - self.bits)) as usize
    }

    fn insert(&mut self, input: &[u8], at: usize) {
        if at + MIN_MATCH <= input.len() {
            let h = self.hash(input, at);
            self.prev[at % WINDOW] = self.head[h];
            self.head[h] = at as u32;
        }
    }

    /// The longest earlier match for what starts at `at` (not yet inserted): (length, distance).
    fn longest(&self, input: &[u8], at: usize) -> (usize, usize) {
        let (mut best, mut dist) = (0, 0);
        if at + MIN_MATCH > input.len() {
            return (best, dist);
        }
        let limit = (input.len() - at).min(MAX_MATCH);
        let mut candidate = self.head[self.hash(input, at)];
        for _ in 0..MAX_CHAIN {
            if candidate == NONE {
                break;
            }
            let c = candidate as usize;
            // Chains are overwritten as the window moves on: older and in reach, or done.
            if c >= at || at - c > WINDOW {
                break;
            }
            if input[c + best.min(limit - 1)] == input[at + best.min(limit - 1)] {
                let len = input[c..c + limit].iter().zip(&input[at..at + limit]).take_while(|(a, b)| a == b).count();
                if len > best {
                    (best, dist) = (len, at - c);
                    if len == limit {
                        break;
                    }
                }
            }
            candidate = self.prev[c % WINDOW];
        }
        if best < MIN_MATCH {
            (0, 0)
        } else {
            (best, dist)
        }
    }
}

/// `input` as raw DEFLATE.
pub fn compress(input: &[u8]) -> Vec<u8> {
    let mut bits = Bits { out: Vec::with_capacity(input.len() / 6 + 16), acc: 0, n: 0 };
    // The last block (1), of the fixed codes (01).
    bits.put(0b011, 3);
    let mut chains = Chains::for_input(input.len());
    let mut at = 0;
    while at < input.len() {
        let (len, dist) = chains.longest(input, at);
        chains.insert(input, at);
        if len == 0 {
            bits.symbol(u32::from(input[at]));
            at += 1;
            continue;
        }
        // One step lazy: a longer match one byte on is worth a literal first.
        if len < LAZY_ENOUGH && chains.longest(input, at + 1).0 > len {
            bits.symbol(u32::from(input[at]));
            at += 1;
            continue;
        }
        bits.matched(len, dist);
        for p in at + 1..at + len {
            chains.insert(input, p);
        }
        at += len;
    }
    bits.symbol(256);
    if bits.n > 0 {
        bits.out.push(bits.acc as u8);
    }
    bits.out
}

/// Bits in, least significant first. Reads past the end see zeros, and fail once they
/// would be consumed.
struct Input<'a> {
    data: &'a [u8],
    at: usize,
    acc: u64,
    n: u32,
    /// Zero bytes added past the end.
    over: u32,
}

impl Input<'_> {
    fn peek(&mut self, k: u32) -> u32 {
        while self.n < k {
            match self.data.get(self.at) {
                Some(&b) => {
                    self.acc |= u64::from(b) << self.n;
                    self.at += 1;
                }
                None => self.over += 1,
            }
            self.n += 8;
        }
        (self.acc & ((1 << k) - 1)) as u32
    }

    fn consume(&mut self, k: u32) -> Option<()> {
        self.acc >>= k;
        self.n -= k;
        (self.over * 8 <= self.n).then_some(())
    }

    fn bits(&mut self, k: u32) -> Option<u32> {
        let v = self.peek(k);
        self.consume(k)?;
        Some(v)
    }
}

/// Codes of up to this many bits are decoded by one table lookup; longer ones (rare
/// symbols) bit by bit.
const FAST: u32 = 9;

/// A canonical Huffman code, from its code lengths.
struct Code {
    /// Codes of each length.
    counts: [u16; 16],
    /// Symbols in code order.
    symbols: Vec<u16>,
    /// By the next `FAST` bits: the symbol and its length (`len << 9 | sym`), or 0 for
    /// a longer code.
    fast: Vec<u16>,
}

impl Code {
    fn new(lengths: &[u8]) -> Option<Code> {
        let mut counts = [0u16; 16];
        for &l in lengths {
            counts[usize::from(l)] += 1;
        }
        counts[0] = 0;
        // Over-subscribed lengths are no code (incomplete ones are allowed: one distance).
        let mut left = 1i32;
        for &c in &counts[1..] {
            left = left * 2 - i32::from(c);
            if left < 0 {
                return None;
            }
        }
        let mut offsets = [0u16; 16];
        for len in 1..15 {
            offsets[len + 1] = offsets[len] + counts[len];
        }
        let mut symbols = vec![0u16; lengths.len()];
        for (sym, &l) in lengths.iter().enumerate() {
            if l != 0 {
                symbols[usize::from(offsets[usize::from(l)])] = sym as u16;
                offsets[usize::from(l)] += 1;
            }
        }
        let mut fast = vec![0u16; 1 << FAST];
        let (mut code, mut index) = (0u32, 0usize);
        for len in 1..=FAST {
            for _ in 0..counts[len as usize] {
                let sym = symbols[index];
                let mut slot = (code.reverse_bits() >> (32 - len)) as usize;
                while slot < fast.len() {
                    fast[slot] = (len as u16) << 9 | sym;
                    slot += 1 << len;
                }
                code += 1;
                index += 1;
            }
            code <<= 1;
        }
        Some(Code { counts, symbols, fast })
    }

    fn decode(&self, input: &mut Input<'_>) -> Option<u16> {
        let bits = input.peek(15);
        let e = self.fast[(bits & ((1 << FAST) - 1)) as usize];
        if e != 0 {
            input.consume(u32::from(e >> 9))?;
            return Some(e & 0x1FF);
        }
        // Canonical decoding, one bit at a time (as zlib's `puff`).
        let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
        for len in 1..16 {
            code |= ((bits >> (len - 1)) & 1) as i32;
            let count = i32::from(self.counts[len]);
            if code - count < first {
                input.consume(len as u32)?;
                return self.symbols.get((index + code - first) as usize).copied();
            }
            index += count;
            first = (first + count) << 1;
            code <<= 1;
        }
        None
    }
}

/// The code lengths' own code's lengths come in this order.
const ORDER: [usize; 19] = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/// Raw DEFLATE undone; `None` if it is not valid DEFLATE.
pub fn inflate(packed: &[u8]) -> Option<Vec<u8>> {
    let mut input = Input { data: packed, at: 0, acc: 0, n: 0, over: 0 };
    let mut out = Vec::with_capacity(packed.len().saturating_mul(12));
    loop {
        let last = input.bits(1)?;
        match input.bits(2)? {
            0 => {
                // Stored: whole bytes, after the rest of this one.
                input.consume(input.n % 8)?;
                let len = input.bits(16)?;
                if input.bits(16)? != !len & 0xFFFF {
                    return None;
                }
                for _ in 0..len {
                    out.push(input.bits(8)? as u8);
                }
            }
            1 => {
                let (lit, dist) = fixed_codes();
                inflate_block(&mut input, &mut out, lit, dist)?;
            }
            2 => {
                let hlit = input.bits(5)? as usize + 257;
                let hdist = input.bits(5)? as usize + 1;
                let hclen = input.bits(4)? as usize + 4;
                let mut cl = [0u8; 19];
                for &k in &ORDER[..hclen] {
                    cl[k] = input.bits(3)? as u8;
                }
                let cl = Code::new(&cl)?;
                let mut lengths = Vec::with_capacity(hlit + hdist);
                while lengths.len() < hlit + hdist {
                    let (value, times) = match cl.decode(&mut input)? {
                        16 => (*lengths.last()?, 3 + input.bits(2)?),
                        17 => (0, 3 + input.bits(3)?),
                        18 => (0, 11 + input.bits(7)?),
                        l => (l as u8, 1),
                    };
                    lengths.extend(std::iter::repeat_n(value, times as usize));
                }
                if lengths.len() != hlit + hdist || lengths[256] == 0 {
                    return None;
                }
                let (lit, dist) = (Code::new(&lengths[..hlit])?, Code::new(&lengths[hlit..])?);
                inflate_block(&mut input, &mut out, &lit, &dist)?;
            }
            _ => return None,
        }
        if last == 1 {
            return Some(out);
        }
    }
}

/// The fixed codes (literals and lengths, distances), built once: a record packed alone
/// is one short block of them, and building them was half the time of unpacking it.
fn fixed_codes() -> &'static (Code, Code) {
    static FIXED: std::sync::OnceLock<(Code, Code)> = std::sync::OnceLock::new();
    FIXED.get_or_init(|| {
        let mut lengths = [8u8; 288];
        lengths[144..256].fill(9);
        lengths[256..280].fill(7);
        let complete = "the fixed code's lengths are complete";
        (Code::new(&lengths).expect(complete), Code::new(&[5; 30]).expect(complete))
    })
}

/// One block's symbols, through its codes, to its end.
fn inflate_block(input: &mut Input<'_>, out: &mut Vec<u8>, lit: &Code, dist: &Code) -> Option<()> {
    loop {
        let sym = usize::from(lit.decode(input)?);
        if sym < 256 {
            out.push(sym as u8);
            continue;
        }
        if sym == 256 {
            return Some(());
        }
        let l = sym - 257;
        let len = usize::from(*LEN_BASE.get(l)?) + input.bits(u32::from(LEN_EXTRA[l]))? as usize;
        let d = usize::from(dist.decode(input)?);
        let back = usize::from(*DIST_BASE.get(d)?) + input.bits(u32::from(DIST_EXTRA[d]))? as usize;
        let start = out.len().checked_sub(back)?;
        if back >= len {
            out.extend_from_within(start..start + len);
        } else {
            for k in 0..len {
                out.push(out[start + k]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn inflated(packed: &[u8]) -> Vec<u8> {
        miniz_oxide::inflate::decompress_to_vec(packed).expect("valid DEFLATE")
    }

    #[test]
    fn empty_input_is_one_empty_block() {
        assert_eq!(inflated(&compress(b"")), b"");
    }

    #[test]
    fn repeats_near_and_far_read_back_and_shrink() {
        let mut text = Vec::new();
        for i in 0..2000 {
            text.extend_from_slice(format!("{{\"kind\":\"order\",\"n\":{i},\"customer\":\"华东五金\"}}").as_bytes());
        }
        let packed = compress(&text);
        assert_eq!(inflated(&packed), text);
        assert!(packed.len() * 8 < text.len(), "{} of {}", packed.len(), text.len());
    }

    #[test]
    fn longest_matches_and_farthest_distances_read_back() {
        // Runs longer than 258 bytes, matches exactly 32768 back, and every length code.
        let mut text = vec![b'a'; 1000];
        let block: Vec<u8> = (0..WINDOW).map(|i| (i * 7 % 251) as u8).collect();
        text.extend_from_slice(&block);
        text.extend_from_slice(&block);
        for len in 3..=258 {
            text.extend(std::iter::repeat_n(b'x', len));
            text.push(b'|');
        }
        assert_eq!(inflated(&compress(&text)), text);
    }

    #[test]
    fn what_miniz_oxide_wrote_at_every_level_inflates_back() {
        // Level 0 writes stored blocks, 1 its fast path, others dynamic codes; devices hold
        // packs miniz_oxide wrote before 2026-12-06.
        let mut text = Vec::new();
        for i in 0..3000u32 {
            text.extend_from_slice(format!("{{\"n\":{i},\"h\":{}}}", i.wrapping_mul(2_654_435_761)).as_bytes());
        }
        for level in [0, 1, 3, 6, 9] {
            let packed = miniz_oxide::deflate::compress_to_vec(&text, level);
            assert_eq!(inflate(&packed).as_deref(), Some(&text[..]), "level {level}");
        }
    }

    #[test]
    fn truncated_or_damaged_input_is_refused_not_misread() {
        let text = b"{\"kind\":\"order\",\"lines\":[{\"sku\":\"A-1\"},{\"sku\":\"A-2\"}]}".repeat(50);
        let packed = miniz_oxide::deflate::compress_to_vec(&text, 6);
        for cut in [0, 1, packed.len() / 2, packed.len() - 1] {
            assert_eq!(inflate(&packed[..cut]), None, "cut at {cut}");
        }
        // Block type 3 does not exist.
        assert_eq!(inflate(&[0b111]), None);
    }

    proptest! {
        #[test]
        fn any_bytes_read_back(bytes in proptest::collection::vec(0u8..4, 0..3000), noise in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut input = bytes;
            input.extend(noise);
            let packed = compress(&input);
            prop_assert_eq!(inflate(&packed), Some(input.clone()));
            prop_assert_eq!(inflated(&packed), input);
        }

        #[test]
        fn any_bytes_miniz_oxide_compressed_inflate_back(bytes in proptest::collection::vec(0u8..6, 0..3000), level in 0u8..10) {
            let packed = miniz_oxide::deflate::compress_to_vec(&bytes, level);
            prop_assert_eq!(inflate(&packed), Some(bytes));
        }
    }
}
