//! Adler-32 (the zlib stream's trailer), written for the fast encoder so that long runs of repeated pixels cost
//! O(1) instead of one step per byte, and checksums of consecutive strips join without re-reading them. No crate
//! offers either. The chunks' CRC-32 comes from `crc32fast` (see `png_fast::chunk`).

/// Adler-32's modulus (the largest prime below 2^16).
const MOD: u64 = 65_521;

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
        // The standard check values: Adler-32 of "Wikipedia" and of "123456789".
        let mut a = Adler32::default();
        a.update(b"Wikipedia");
        assert_eq!(a.finish(), 0x11E6_0398);
        let mut a = Adler32::default();
        a.update(b"123456789");
        assert_eq!(a.finish(), 0x091E_01DE);
        assert_eq!(Adler32::default().finish(), 1);
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
