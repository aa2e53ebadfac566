//! The two checksums a PNG needs: CRC-32 (every chunk) and Adler-32 (the zlib stream), written for the fast
//! encoder so that long runs of repeated pixels cost O(1) instead of one step per byte.

/// Adler-32's modulus (the largest prime below 2^16).
const MOD: u64 = 65_521;

/// Eight 256-entry tables for CRC-32 (polynomial 0xEDB88320, reflected), so the loop consumes 8 bytes per step.
static CRC_TABLES: [[u32; 256]; 8] = crc_tables();

const fn crc_tables() -> [[u32; 256]; 8] {
    let mut t = [[0u32; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            k += 1;
        }
        t[0][i] = c;
        i += 1;
    }
    // t[k][i] is the CRC of byte i followed by k zero bytes: lets one step fold 8 input bytes.
    let mut k = 1;
    while k < 8 {
        let mut i = 0;
        while i < 256 {
            let prev = t[k - 1][i];
            t[k][i] = (prev >> 8) ^ t[0][(prev & 0xFF) as usize];
            i += 1;
        }
        k += 1;
    }
    t
}

/// A running CRC-32 (the one in PNG chunks, zip and gzip).
#[derive(Debug, Clone, Copy)]
pub struct Crc32(u32);

impl Default for Crc32 {
    fn default() -> Self {
        Crc32(0xFFFF_FFFF)
    }
}

impl Crc32 {
    /// Feeds bytes.
    pub fn update(&mut self, data: &[u8]) {
        let t = &CRC_TABLES;
        let mut c = self.0;
        let mut chunks = data.chunks_exact(8);
        for ch in &mut chunks {
            let lo = c ^ u32::from_le_bytes([ch[0], ch[1], ch[2], ch[3]]);
            c = t[7][(lo & 0xFF) as usize]
                ^ t[6][((lo >> 8) & 0xFF) as usize]
                ^ t[5][((lo >> 16) & 0xFF) as usize]
                ^ t[4][(lo >> 24) as usize]
                ^ t[3][ch[4] as usize]
                ^ t[2][ch[5] as usize]
                ^ t[1][ch[6] as usize]
                ^ t[0][ch[7] as usize];
        }
        for &b in chunks.remainder() {
            c = (c >> 8) ^ t[0][((c ^ b as u32) & 0xFF) as usize];
        }
        self.0 = c;
    }

    /// The checksum of everything fed so far.
    pub fn finish(self) -> u32 {
        !self.0
    }
}

/// CRC-32 of one buffer.
#[cfg(test)]
pub fn crc32(data: &[u8]) -> u32 {
    let mut c = Crc32::default();
    c.update(data);
    c.finish()
}

/// A running Adler-32 (the zlib trailer): `a` = 1 + sum of bytes, `b` = sum of the successive `a`s, both mod 65521.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Adler32 {
    a: u32,
    b: u32,
    /// Bytes fed, needed to join checksums of consecutive pieces.
    len: u64,
}

impl Default for Adler32 {
    fn default() -> Self {
        Adler32 { a: 1, b: 0, len: 0 }
    }
}

impl Adler32 {
    /// Feeds bytes one at a time (for the few literal bytes; runs go through [`Adler32::repeat`]).
    pub fn update(&mut self, data: &[u8]) {
        // 5552 bytes is the longest stretch whose sums cannot overflow u32 before the modulo (zlib's NMAX).
        let (mut a, mut b) = (self.a, self.b);
        for chunk in data.chunks(5552) {
            for &x in chunk {
                a += x as u32;
                b += a;
            }
            a %= MOD as u32;
            b %= MOD as u32;
        }
        self.a = a;
        self.b = b;
        self.len += data.len() as u64;
    }

    /// Feeds `pattern` repeated `times` times in O(pattern length): block m (0-based) starts from `a + m*S`, so
    /// the `b` gained is `times*k*a + k*S*times*(times-1)/2 + times*W`, with `S` the pattern's sum, `k` its length
    /// and `W = sum (k - j) * pattern[j]`. A run of zero bytes is the case S = W = 0: `a` stays, `b += k*times*a`.
    pub fn repeat(&mut self, pattern: &[u8], times: u64) {
        let k = pattern.len() as u64;
        let s: u64 = pattern.iter().map(|&x| x as u64).sum();
        let w: u64 = pattern.iter().enumerate().map(|(j, &x)| (k - j as u64) * x as u64).sum();
        let (a, n) = (self.a as u64, times % MOD);
        // n(n-1)/2 taken before the modulo keeps the division exact; times < 2^32 keeps it in range.
        let pairs = (times as u128 * (times as u128).saturating_sub(1) / 2 % MOD as u128) as u64;
        let b = self.b as u64 + n * k % MOD * a % MOD + k * s % MOD * pairs % MOD + n * w % MOD;
        self.a = ((a + n * s) % MOD) as u32;
        self.b = (b % MOD) as u32;
        self.len += k * times;
    }

    /// The checksum of `self`'s bytes followed by `next`'s bytes (each started from a fresh `Adler32`).
    pub fn combine(self, next: Adler32) -> Adler32 {
        // Feeding next's bytes after ours adds (a - 1) to each of its `a` steps: `a` grows by next.a - 1 and `b`
        // by next.b + next.len * (a - 1).
        let n = next.len % MOD;
        let a = (self.a as u64 + next.a as u64 + MOD - 1) % MOD;
        let b = (self.b as u64 + next.b as u64 + n * ((self.a as u64 + MOD - 1) % MOD)) % MOD;
        Adler32 { a: a as u32, b: b as u32, len: self.len + next.len }
    }

    /// The 32-bit checksum (`b << 16 | a`).
    pub fn finish(self) -> u32 {
        (self.b << 16) | self.a
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::tests::noise;

    fn naive_adler(data: &[u8]) -> u32 {
        let (mut a, mut b) = (1u64, 0u64);
        for &x in data {
            a = (a + x as u64) % MOD;
            b = (b + a) % MOD;
        }
        ((b << 16) | a) as u32
    }

    #[test]
    fn check_values() {
        // The standard check values: CRC-32 and Adler-32 of "123456789", and of "Wikipedia" for Adler-32.
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
        let mut a = Adler32::default();
        a.update(b"Wikipedia");
        assert_eq!(a.finish(), 0x11E6_0398);
        let mut a = Adler32::default();
        a.update(b"123456789");
        assert_eq!(a.finish(), 0x091E_01DE);
        assert_eq!(Adler32::default().finish(), 1);
        // The IEND chunk's CRC, as every PNG ends with it.
        assert_eq!(crc32(b"IEND"), 0xAE42_6082);
    }

    #[test]
    fn crc_in_pieces_equals_crc_of_the_whole() {
        let data = noise(10_007, 3);
        let whole = crc32(&data);
        for split in [0, 1, 7, 8, 9, 5000, 10_007] {
            let mut c = Crc32::default();
            c.update(&data[..split]);
            c.update(&data[split..]);
            assert_eq!(c.finish(), whole, "split at {split}");
        }
        // A bitwise reference, one bit at a time.
        let mut r = 0xFFFF_FFFFu32;
        for &b in &data {
            r ^= b as u32;
            for _ in 0..8 {
                r = if r & 1 != 0 { 0xEDB8_8320 ^ (r >> 1) } else { r >> 1 };
            }
        }
        assert_eq!(whole, !r);
    }

    #[test]
    fn adler_long_input_and_max_bytes() {
        // All-0xFF input is the worst case for the deferred modulo.
        for data in [vec![0xFFu8; 100_000], noise(70_001, 9)] {
            let mut a = Adler32::default();
            a.update(&data);
            assert_eq!(a.finish(), naive_adler(&data));
        }
    }

    #[test]
    fn adler_repeat_equals_feeding_the_bytes() {
        for (pattern, times) in [
            (&[0u8, 0, 0][..], 1u64),
            (&[0, 0, 0], 5000),
            (&[0], 1),
            (&[0xFF, 0xFF, 0xFF, 0xFF], 70_000),
            (&[1, 2, 3], 86),
            (&[200, 7, 99, 250], 16_384),
            (&[9, 9, 9], 0),
        ] {
            let mut prefix = Adler32::default();
            prefix.update(b"some prefix so that a != 1");
            let mut fast = prefix;
            fast.repeat(pattern, times);
            let mut slow = prefix;
            slow.update(&pattern.repeat(times as usize));
            assert_eq!(fast, slow, "pattern {pattern:?} x {times}");
        }
    }

    #[test]
    fn adler_combine_equals_the_whole() {
        let data = noise(20_000, 5);
        let whole = naive_adler(&data);
        for split in [0, 1, 5552, 12_345, 20_000] {
            let (mut x, mut y) = (Adler32::default(), Adler32::default());
            x.update(&data[..split]);
            y.update(&data[split..]);
            assert_eq!(x.combine(y).finish(), whole, "split at {split}");
        }
        // Three pieces, joined left to right.
        let (mut x, mut y, mut z) = (Adler32::default(), Adler32::default(), Adler32::default());
        x.update(&data[..100]);
        y.update(&data[100..15_000]);
        z.update(&data[15_000..]);
        assert_eq!(x.combine(y).combine(z).finish(), whole);
    }
}
