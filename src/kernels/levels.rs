//! Price levels: classic floor pivot points, confirmed swing highs and lows, and Heikin-Ashi candles.

use super::blocks::Ring;
use super::catalogue::Runner;
use super::{Kernel, KernelError, Params};

pub fn dispatch<R: Runner>(name: &str, p: &Params, r: &mut R) -> Result<Option<R::Out>, KernelError> {
    Ok(Some(match name {
        "pivot_points" => r.run(PivotPoints::default()),
        "swing_highs" | "swing_lows" => {
            let left = p.int_at_least("left", 0)?;
            let right = p.int_at_least("right", 0)?;
            r.run(Swing { ring: Ring::new(left + right + 1), right, lows: name == "swing_lows" })
        }
        "heikin_ashi" => r.run(HeikinAshi::default()),
        _ => return Ok(None),
    }))
}

/// Classic floor pivots from the previous bar's high, low and close: `pp = (H + L + C) / 3`, `r1 = 2pp - L`,
/// `s1 = 2pp - H`, `r2 = pp + (H - L)`, `s2 = pp - (H - L)`, `r3 = H + 2(pp - L)`, `s3 = L - 2(H - pp)`.
#[derive(Default, Clone, serde::Serialize, serde::Deserialize)]
struct PivotPoints {
    prev: Option<[f64; 3]>,
}
impl Kernel<3, 7> for PivotPoints {
    #[inline(always)]
    fn step(&mut self, x: [f64; 3]) -> [f64; 7] {
        let Some([h, l, c]) = self.prev.replace(x) else { return [f64::NAN; 7] };
        let pp = (h + l + c) / 3.0;
        let range = h - l;
        [pp, 2.0 * pp - l, pp + range, h + 2.0 * (pp - l), 2.0 * pp - h, pp - range, l - 2.0 * (h - pp)]
    }
}

/// Swing highs (lows): 1 at row `i` when bar `i - right` had a high strictly above (low strictly below) every other
/// bar of the `left + right + 1` bars centred on it, else 0. The swing is reported on the bar that confirms it,
/// `right` bars after the swing bar; the first `left + right` rows are warm-up.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Swing {
    ring: Ring,
    right: usize,
    lows: bool,
}
impl Kernel<2, 1> for Swing {
    #[inline(always)]
    fn step(&mut self, [h, l]: [f64; 2]) -> [f64; 1] {
        self.ring.push(if self.lows { -l } else { h });
        if !self.ring.is_full() {
            return [f64::NAN];
        }
        let centre = self.ring.ago(self.right).expect("the window is full");
        let others_below = (0..self.ring.capacity())
            .filter(|&k| k != self.right)
            .all(|k| self.ring.ago(k).expect("the window is full") < centre);
        [if others_below { 1.0 } else { 0.0 }]
    }
}

/// Heikin-Ashi candles: `ha_close = (o + h + l + c) / 4`, `ha_open = (previous ha_open + previous ha_close) / 2`
/// (the first `(o + c) / 2`), `ha_high = max(h, ha_open, ha_close)`, `ha_low = min(l, ha_open, ha_close)`.
#[derive(Default, Clone, serde::Serialize, serde::Deserialize)]
struct HeikinAshi {
    prev: Option<(f64, f64)>,
}
impl Kernel<4, 4> for HeikinAshi {
    #[inline(always)]
    fn step(&mut self, [o, h, l, c]: [f64; 4]) -> [f64; 4] {
        // Scaled before summing, so prices near f64::MAX do not overflow to inf. Scaling by a power of two commutes
        // with rounding, so these are the bits of `(o + h + l + c) / 4` whenever that is finite (and not subnormal).
        let ha_close = o * 0.25 + h * 0.25 + l * 0.25 + c * 0.25;
        let ha_open = match self.prev {
            None => o * 0.5 + c * 0.5,
            Some((po, pc)) => po * 0.5 + pc * 0.5,
        };
        self.prev = Some((ha_open, ha_close));
        [ha_open, h.max(ha_open).max(ha_close), l.min(ha_open).min(ha_close), ha_close]
    }
}

#[cfg(test)]
mod tests {
    use crate::kernels::catalogue::compute;

    const N: f64 = f64::NAN;

    fn same(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x.is_nan() && y.is_nan()) || (x - y).abs() < 1e-12)
    }

    #[test]
    fn pivots_use_the_previous_bar() {
        let (h, l, c) = ([12.0, 20.0], [6.0, 10.0], [9.0, 15.0]);
        let out = compute("pivot_points", &[], &[&h, &l, &c]).unwrap();
        let got: Vec<f64> = out.iter().map(|o| o[1]).collect();
        // pp 9, range 6
        assert!(same(&got, &[9.0, 12.0, 15.0, 18.0, 6.0, 3.0, 0.0]), "{got:?}");
        assert!(out.iter().all(|o| o[0].is_nan()));
    }

    #[test]
    fn swings_are_reported_when_confirmed_and_need_a_strict_extreme() {
        let h = [1.0, 3.0, 2.0, 2.0, 5.0, 5.0, 1.0, 0.0];
        let l = h;
        let out = compute("swing_highs", &[("left", 1.0), ("right", 1.0)], &[&h, &l]).unwrap();
        // bar 1 (3 > 1, 2) confirmed at row 2; bars 4/5 tie, so neither is a swing high.
        assert!(same(&out[0], &[N, N, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0]));
        let out = compute("swing_lows", &[("left", 2.0), ("right", 1.0)], &[&h, &l]).unwrap();
        // bar 6 (1 < 5, 5 and 0? no) -> none; bar 2 (2 < 3, 1? no) -> none
        assert!(same(&out[0], &[N, N, N, 0.0, 0.0, 0.0, 0.0, 0.0]));
        let out = compute("swing_lows", &[("left", 1.0), ("right", 0.0)], &[&h, &l]).unwrap();
        assert!(same(&out[0], &[N, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0]));
    }

    #[test]
    fn heikin_ashi_recursion() {
        let (o, h, l, c) = ([1.0, 2.0], [3.0, 4.0], [0.5, 1.0], [2.0, 3.0]);
        let out = compute("heikin_ashi", &[], &[&o, &h, &l, &c]).unwrap();
        assert!(same(&out[0], &[1.5, (1.5 + 1.625) / 2.0]));
        assert!(same(&out[3], &[1.625, 2.5]));
        assert!(same(&out[1], &[3.0, 4.0]));
        assert!(same(&out[2], &[0.5, 1.0]));
    }
}
