//! Deflate (RFC 1951) output for the fast PNG encoder: a token list (literals and matches found by the caller)
//! written as one block with Huffman codes fitted to that list, plus the empty stored block that byte-aligns a
//! segment so that independently written segments can be concatenated.

/// Match lengths 3..=258: base length of each length symbol 257..=285 and its number of extra bits (RFC 1951 3.2.5).
const LEN_BASE: [u16; 29] =
    [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LEN_EXTRA: [u8; 29] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
/// Distances 1..=32768: base distance of each distance symbol 0..=29 and its number of extra bits.
const DIST_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
    8193, 12289, 16385, 24577,
];
const DIST_EXTRA: [u8; 30] =
    [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
/// The order in which the code-length code's lengths are stored (most likely used first, so the tail can be cut).
const CL_ORDER: [usize; 19] = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
const END_OF_BLOCK: usize = 256;
/// Set on a token that is a match; literals are the byte value alone.
const MATCH: u32 = 1 << 31;

/// Index of the last table entry whose base is <= `v`.
fn symbol_index(base: &[u16], v: u16) -> usize {
    base.partition_point(|&b| b <= v) - 1
}

/// The distance symbol of `dist` without a search: distances 1..=4 have one symbol each, then every power of two
/// is split into two symbols (the bit below the leading one picks the half).
#[inline]
fn dist_symbol(dist: u16) -> usize {
    if dist <= 4 {
        return dist as usize - 1;
    }
    let d = dist as u32 - 1;
    let k = 31 - d.leading_zeros();
    (2 * k + ((d >> (k - 1)) & 1)) as usize
}

/// Literals and matches in stream order, with the symbol counts the Huffman codes are built from.
pub struct Tokens {
    items: Vec<u32>,
    lit_freq: [u32; 286],
    dist_freq: [u32; 30],
    /// Length symbol index (0..29) for every match length 0..=258, so counting a match needs no search.
    len_sym: [u8; 259],
}

impl Default for Tokens {
    fn default() -> Self {
        let mut len_sym = [0u8; 259];
        for (len, s) in len_sym.iter_mut().enumerate().skip(3) {
            *s = symbol_index(&LEN_BASE, len as u16) as u8;
        }
        // 258 has its own symbol (285); 227..=257 share 284.
        Tokens { items: Vec::new(), lit_freq: [0; 286], dist_freq: [0; 30], len_sym }
    }
}

impl Tokens {
    /// An empty list with room for `n` tokens.
    pub fn with_capacity(n: usize) -> Self {
        let mut t = Tokens::default();
        t.items.reserve(n);
        t
    }

    /// One literal byte.
    #[inline]
    pub fn literal(&mut self, byte: u8) {
        self.items.push(byte as u32);
        self.lit_freq[byte as usize] += 1;
    }

    /// A copy of `len` (3..=258) bytes from `dist` (1..=32768) bytes back.
    #[inline]
    pub fn matched(&mut self, len: u16, dist: u16) {
        debug_assert!((3..=258).contains(&len) && (1..=32768).contains(&dist));
        self.items.push(MATCH | (dist as u32) << 9 | len as u32);
        self.lit_freq[257 + self.len_sym[len as usize] as usize] += 1;
        self.dist_freq[dist_symbol(dist)] += 1;
    }

    /// `len` bytes (any length >= 3) repeating the `dist` bytes before them, as matches of at most 258 bytes.
    pub fn repeat(&mut self, mut len: usize, dist: u16) {
        debug_assert!(len >= 3);
        while len > 0 {
            let mut take = len.min(258);
            // Never leave a tail of 1 or 2 bytes: matches are at least 3 long.
            if (1..3).contains(&(len - take)) {
                take = len - 3;
            }
            self.matched(take as u16, dist);
            len -= take;
        }
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.items.len()
    }
}

/// Deflate's bit order: values are packed from the least significant bit of each byte up.
pub struct BitWriter {
    out: Vec<u8>,
    acc: u64,
    bits: u32,
}

impl BitWriter {
    /// An empty writer with room for `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> Self {
        BitWriter { out: Vec::with_capacity(capacity), acc: 0, bits: 0 }
    }

    /// Appends the low `count` (<= 32) bits of `value`.
    #[inline]
    pub fn put(&mut self, value: u32, count: u32) {
        self.acc |= (value as u64) << self.bits;
        self.bits += count;
        if self.bits >= 32 {
            self.out.extend_from_slice(&(self.acc as u32).to_le_bytes());
            self.acc >>= 32;
            self.bits -= 32;
        }
    }

    /// Pads with zero bits to a byte boundary and returns the bytes.
    pub fn finish(mut self) -> Vec<u8> {
        while self.bits > 0 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.bits = self.bits.saturating_sub(8);
        }
        self.out
    }
}

/// Huffman code lengths (at most `limit` bits) for symbol counts; unused symbols get 0. With a single used symbol
/// it gets length 1 (deflate allows that one incomplete code).
pub fn code_lengths(freqs: &[u32], limit: u32) -> Vec<u8> {
    let mut lengths = vec![0u8; freqs.len()];
    // Sorted by count, then symbol, so ties resolve the same way on every run.
    let mut leaves: Vec<(u32, u16)> =
        freqs.iter().enumerate().filter(|(_, &f)| f > 0).map(|(s, &f)| (f, s as u16)).collect();
    leaves.sort_unstable();
    let n = leaves.len();
    match n {
        0 => return lengths,
        1 => {
            lengths[leaves[0].1 as usize] = 1;
            return lengths;
        }
        _ => {}
    }
    // Huffman's merge with two queues: the leaves in order and the merged nodes, which come out in order too.
    // Nodes 0..n are leaves, n..2n-1 merged; every parent has a larger index than its children.
    let mut weight: Vec<u64> = leaves.iter().map(|&(f, _)| f as u64).collect();
    weight.resize(2 * n - 1, 0);
    let mut parent = vec![0usize; 2 * n - 1];
    let (mut next_leaf, mut next_node) = (0, n);
    for k in n..2 * n - 1 {
        let mut pick = || {
            let take_leaf = next_leaf < n && (next_node >= k || weight[next_leaf] <= weight[next_node]);
            if take_leaf {
                next_leaf += 1;
                next_leaf - 1
            } else {
                next_node += 1;
                next_node - 1
            }
        };
        let (a, b) = (pick(), pick());
        weight[k] = weight[a] + weight[b];
        parent[a] = k;
        parent[b] = k;
    }
    let mut depth = vec![0u32; 2 * n - 1];
    for k in (0..2 * n - 2).rev() {
        depth[k] = depth[parent[k]] + 1;
    }
    let max_depth = depth[..n].iter().copied().max().unwrap_or(0) as usize;
    let mut count = vec![0u32; max_depth.max(limit as usize) + 1];
    for &d in &depth[..n] {
        count[d as usize] += 1;
    }
    // Too-long codes: the classic adjustment (JPEG, Annex K.3) keeps the code complete. Two leaves at the deepest
    // level i become one leaf at i-1, and a leaf at a shallower level j becomes an internal node with two leaves.
    for i in (limit as usize + 1..=max_depth).rev() {
        while count[i] > 0 {
            let mut j = i - 2;
            while count[j] == 0 {
                j -= 1;
            }
            count[i] -= 2;
            count[i - 1] += 1;
            count[j + 1] += 2;
            count[j] -= 1;
        }
    }
    // The most frequent symbols get the shortest codes.
    let mut len = 1;
    for &(_, sym) in leaves.iter().rev() {
        while count[len] == 0 {
            len += 1;
        }
        count[len] -= 1;
        lengths[sym as usize] = len as u8;
    }
    lengths
}

/// Canonical codes for the lengths (RFC 1951 3.2.2), bit-reversed for the LSB-first writer.
fn canonical_codes(lengths: &[u8]) -> Vec<u16> {
    let mut count = [0u16; 16];
    for &l in lengths {
        count[l as usize] += 1;
    }
    count[0] = 0;
    let mut next = [0u16; 16];
    let mut code = 0u16;
    for bits in 1..16 {
        code = (code + count[bits - 1]) << 1;
        next[bits] = code;
    }
    lengths
        .iter()
        .map(|&l| {
            if l == 0 {
                return 0;
            }
            let c = next[l as usize];
            next[l as usize] += 1;
            c.reverse_bits() >> (16 - l)
        })
        .collect()
}

/// Run-length coding of the code lengths with symbols 16 (repeat previous 3-6 times), 17 (3-10 zeros) and 18
/// (11-138 zeros): (symbol, extra bits value).
fn code_length_symbols(lengths: &[u8]) -> Vec<(u8, u8)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < lengths.len() {
        let v = lengths[i];
        let run = lengths[i..].iter().take_while(|&&x| x == v).count();
        let mut left = run;
        if v == 0 {
            while left >= 11 {
                let n = left.min(138);
                out.push((18, (n - 11) as u8));
                left -= n;
            }
            if left >= 3 {
                out.push((17, (left - 3) as u8));
                left = 0;
            }
        } else {
            out.push((v, 0));
            left -= 1;
            while left >= 3 {
                let n = left.min(6);
                out.push((16, (n - 3) as u8));
                left -= n;
            }
        }
        out.extend(std::iter::repeat_n((v, 0), left));
        i += run;
    }
    out
}

/// Writes `tokens` plus end-of-block as one block with Huffman codes built for them.
pub fn write_block(w: &mut BitWriter, tokens: &Tokens, last: bool) {
    let mut lit_freq = tokens.lit_freq;
    lit_freq[END_OF_BLOCK] += 1;
    let mut dist_freq = tokens.dist_freq;
    // Some decoders reject a distance code with fewer than two codes; two dummy counts cost nothing.
    for f in dist_freq.iter_mut().take(2) {
        *f = (*f).max(1);
    }
    let lit_len = code_lengths(&lit_freq, 15);
    let dist_len = code_lengths(&dist_freq, 15);
    let hlit = 257.max(lit_len.iter().rposition(|&l| l > 0).map_or(0, |p| p + 1));
    let hdist = 1.max(dist_len.iter().rposition(|&l| l > 0).map_or(0, |p| p + 1));
    let mut all = lit_len[..hlit].to_vec();
    all.extend_from_slice(&dist_len[..hdist]);
    let cl_syms = code_length_symbols(&all);
    let mut cl_freq = [0u32; 19];
    for &(s, _) in &cl_syms {
        cl_freq[s as usize] += 1;
    }
    let cl_len = code_lengths(&cl_freq, 7);
    let cl_code = canonical_codes(&cl_len);
    let hclen = 4.max(CL_ORDER.iter().rposition(|&s| cl_len[s] > 0).map_or(0, |p| p + 1));

    w.put(last as u32, 1);
    w.put(2, 2); // dynamic Huffman codes
    w.put((hlit - 257) as u32, 5);
    w.put((hdist - 1) as u32, 5);
    w.put((hclen - 4) as u32, 4);
    for &s in &CL_ORDER[..hclen] {
        w.put(cl_len[s] as u32, 3);
    }
    for &(s, extra) in &cl_syms {
        w.put(cl_code[s as usize] as u32, cl_len[s as usize] as u32);
        match s {
            16 => w.put(extra as u32, 2),
            17 => w.put(extra as u32, 3),
            18 => w.put(extra as u32, 7),
            _ => {}
        }
    }

    let lit_code = canonical_codes(&lit_len);
    let dist_code = canonical_codes(&dist_len);
    // Each literal and each match length as one (bits, count) pair: code and extra bits together, so a token is
    // at most two writes.
    let literal: Vec<(u32, u32)> = (0..256).map(|s| (lit_code[s] as u32, lit_len[s] as u32)).collect();
    let mut length = [(0u32, 0u32); 259];
    for (len, slot) in length.iter_mut().enumerate().skip(3) {
        let ls = tokens.len_sym[len] as usize;
        let (code, n) = (lit_code[257 + ls] as u32, lit_len[257 + ls] as u32);
        *slot = (code | ((len as u32 - LEN_BASE[ls] as u32) << n), n + LEN_EXTRA[ls] as u32);
    }
    for &t in &tokens.items {
        if t & MATCH == 0 {
            let (bits, n) = literal[t as usize];
            w.put(bits, n);
        } else {
            let (bits, n) = length[(t & 0x1FF) as usize];
            w.put(bits, n);
            let dist = ((t >> 9) & 0xFFFF) as u16;
            let ds = dist_symbol(dist);
            let n = dist_len[ds] as u32;
            w.put(dist_code[ds] as u32 | ((dist - DIST_BASE[ds]) as u32) << n, n + DIST_EXTRA[ds] as u32);
        }
    }
    w.put(lit_code[END_OF_BLOCK] as u32, lit_len[END_OF_BLOCK] as u32);
}

/// A non-final empty stored block: its header is followed by padding to a byte boundary and LEN = 0, NLEN =
/// 0xFFFF, so the segment ends byte-aligned (zlib's "sync flush") and the next segment can start a new block.
pub fn write_sync_flush(w: BitWriter) -> Vec<u8> {
    let mut w = w;
    w.put(0, 3);
    let mut out = w.finish();
    out.extend_from_slice(&[0, 0, 0xFF, 0xFF]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Kraft sum in units of 2^-15: a complete code sums to exactly 2^15.
    fn kraft(lengths: &[u8]) -> u32 {
        lengths.iter().filter(|&&l| l > 0).map(|&l| 1u32 << (15 - l)).sum()
    }

    #[test]
    fn code_lengths_are_complete_and_limited() {
        // Fibonacci counts make the deepest possible Huffman tree: 30 symbols would need 29 bits unlimited.
        let mut fib = vec![1u32, 1];
        while fib.len() < 30 {
            let n = fib[fib.len() - 1] + fib[fib.len() - 2];
            fib.push(n);
        }
        for (freqs, limit) in [(fib.clone(), 15), (fib.clone(), 7), (vec![5, 0, 0, 9, 1, 1, 1], 15), (vec![3; 286], 15)]
        {
            let l = code_lengths(&freqs, limit);
            assert!(l.iter().all(|&x| x as u32 <= limit), "{l:?}");
            assert_eq!(kraft(&l), 1 << 15, "{l:?}");
            for (f, len) in freqs.iter().zip(&l) {
                assert_eq!(*f == 0, *len == 0);
            }
        }
        // 16 Fibonacci counts need exactly 15 bits (the limit is reached, not exceeded); 30 need the adjustment.
        assert_eq!(code_lengths(&fib[..16], 15).iter().max(), Some(&15));
        assert_eq!(code_lengths(&fib, 15).iter().max(), Some(&15));
        assert_eq!(code_lengths(&[0, 7, 0], 15), vec![0, 1, 0]);
        assert_eq!(code_lengths(&[0, 0], 15), vec![0, 0]);
        // Two equal symbols, four equal symbols: the textbook answers.
        assert_eq!(code_lengths(&[4, 4], 15), vec![1, 1]);
        assert_eq!(code_lengths(&[1, 1, 1, 1], 15), vec![2, 2, 2, 2]);
        assert_eq!(code_lengths(&[8, 4, 2, 1, 1], 15), vec![1, 2, 3, 4, 4]);
    }

    #[test]
    fn canonical_codes_follow_the_rfc_example() {
        // RFC 1951 3.2.2: lengths (3, 3, 3, 3, 3, 2, 4, 4) give codes 010, 011, 100, 101, 110, 00, 1110, 1111.
        let codes = canonical_codes(&[3, 3, 3, 3, 3, 2, 4, 4]);
        let expected: [(u16, u8); 8] =
            [(0b010, 3), (0b011, 3), (0b100, 3), (0b101, 3), (0b110, 3), (0b00, 2), (0b1110, 4), (0b1111, 4)];
        for (c, (e, l)) in codes.iter().zip(expected) {
            assert_eq!(*c, e.reverse_bits() >> (16 - l));
        }
    }

    #[test]
    fn code_length_runs_round_trip() {
        let lengths: Vec<u8> =
            [vec![0; 140], vec![8; 10], vec![0; 5], vec![7], vec![0; 2], vec![9; 3], vec![0; 11]].concat();
        let mut back = Vec::new();
        for (s, extra) in code_length_symbols(&lengths) {
            match s {
                16 => back.extend(std::iter::repeat_n(*back.last().unwrap(), extra as usize + 3)),
                17 => back.extend(std::iter::repeat_n(0, extra as usize + 3)),
                18 => back.extend(std::iter::repeat_n(0, extra as usize + 11)),
                v => back.push(v),
            }
        }
        assert_eq!(back, lengths);
    }

    #[test]
    fn distance_symbols_match_the_table() {
        for dist in 1..=32768u16 {
            assert_eq!(dist_symbol(dist), symbol_index(&DIST_BASE, dist), "distance {dist}");
        }
    }

    #[test]
    fn long_repeats_split_into_valid_matches() {
        for len in [3usize, 258, 259, 260, 261, 516, 517, 1000] {
            let mut t = Tokens::default();
            t.repeat(len, 3);
            let lens: Vec<usize> = t.items.iter().map(|&x| (x & 0x1FF) as usize).collect();
            assert_eq!(lens.iter().sum::<usize>(), len);
            assert!(lens.iter().all(|l| (3..=258).contains(l)), "{len}: {lens:?}");
        }
    }
}
