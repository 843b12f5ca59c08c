//! Stage 5: locality-sensitive hashing of MinHash signatures by banding.
//!
//! In: signatures of `num_perm` slots. Out: for each signature, one key per
//! band; two documents whose keys agree in at least one band become a
//! candidate pair ([`crate::candidates`]).
//!
//! With `b` bands of `r` rows, a pair of Jaccard similarity `s` agrees on a
//! band with probability `s^r`, and becomes a candidate with probability
//! `1 - (1 - s^r)^b`, an S-curve. [`optimal_params`] picks `b` and `r`
//! (`b * r <= num_perm`) for a threshold `t` the way datasketch's
//! `MinHashLSH` does (`_optimal_param`): it minimises
//! `w_fp * FP(t) + w_fn * FN(t)`, where `FP(t)` is the area under the curve
//! below `t` (pairs below the threshold that become candidates) and `FN(t)`
//! the area above the curve from `t` to 1 (pairs above it that do not).
//! Both areas are integrated numerically (composite Simpson; datasketch uses
//! `scipy.integrate.quad`), and ties go to the first `(b, r)` in the same
//! search order, so the choices agree with datasketch's (the tests pin
//! values computed with datasketch 2.0.0).

use rayon::prelude::*;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::shingle::fmix64;

/// Bands and rows of an LSH index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LshParams {
    /// Number of bands, b.
    pub bands: usize,
    /// Signature slots per band, r.
    pub rows_per_band: usize,
}

impl LshParams {
    /// Probability that a pair of Jaccard similarity `s` becomes a candidate.
    pub fn candidate_probability(&self, s: f64) -> f64 {
        1.0 - (1.0 - s.powi(self.rows_per_band as i32)).powi(self.bands as i32)
    }

    /// Checks the bands fit in a signature of `num_perm` slots.
    pub fn validate(&self, num_perm: usize) -> Result<()> {
        if self.bands == 0 || self.rows_per_band == 0 || self.bands * self.rows_per_band > num_perm
        {
            return Err(Error::InvalidParam(format!(
                "{} bands x {} rows do not fit in {num_perm} signature slots",
                self.bands, self.rows_per_band
            )));
        }
        Ok(())
    }
}

/// Weights of the two errors that [`optimal_params`] minimises.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LshWeights {
    /// Weight of false positives (candidates below the threshold).
    pub false_positive: f64,
    /// Weight of false negatives (pairs above the threshold missed).
    pub false_negative: f64,
}

impl Default for LshWeights {
    /// datasketch's default: both errors count the same.
    fn default() -> Self {
        LshWeights {
            false_positive: 0.5,
            false_negative: 0.5,
        }
    }
}

/// Intervals of the composite Simpson rule (even). The integrands are
/// polynomials of degree `b * r <= num_perm`; 2048 intervals put the error
/// far below the gaps between neighbouring choices.
const SIMPSON_INTERVALS: usize = 2048;

fn simpson(f: impl Fn(f64) -> f64, a: f64, b: f64) -> f64 {
    if b <= a {
        return 0.0;
    }
    let n = SIMPSON_INTERVALS;
    let h = (b - a) / n as f64;
    let mut sum = f(a) + f(b);
    for i in 1..n {
        let x = a + h * i as f64;
        sum += if i % 2 == 1 { 4.0 * f(x) } else { 2.0 * f(x) };
    }
    sum * h / 3.0
}

/// Area under the candidate curve below `threshold`.
pub fn false_positive_probability(threshold: f64, params: LshParams) -> f64 {
    simpson(|s| params.candidate_probability(s), 0.0, threshold)
}

/// Area above the candidate curve from `threshold` to 1.
pub fn false_negative_probability(threshold: f64, params: LshParams) -> f64 {
    simpson(|s| 1.0 - params.candidate_probability(s), threshold, 1.0)
}

/// The bands and rows that minimise the weighted false positive and false
/// negative probabilities for `threshold` (see the module docs).
pub fn optimal_params(threshold: f64, num_perm: usize, weights: LshWeights) -> Result<LshParams> {
    if !(threshold > 0.0 && threshold < 1.0) {
        return Err(Error::InvalidParam(format!(
            "LSH threshold must be between 0 and 1 (exclusive), got {threshold}"
        )));
    }
    if num_perm == 0 {
        return Err(Error::InvalidParam("num_perm must be at least 1".into()));
    }
    // The errors of every (b, r), computed by rows so that each grid
    // point's s^r is computed once for all b (and the rows in parallel),
    // then scanned in datasketch's order: b outer, r inner, first minimum.
    // The arithmetic is the same as `false_positive_probability` and
    // `false_negative_probability`, so the errors are bit for bit theirs
    // (`fast_search_matches_the_plain_loop` checks it).
    let grids = SimpsonGrids::new(threshold);
    let by_rows: Vec<Vec<f64>> = (1..=num_perm)
        .into_par_iter()
        .map(|rows_per_band| errors_for_rows(&grids, num_perm, rows_per_band, weights))
        .collect();
    let mut best = LshParams {
        bands: 1,
        rows_per_band: 1,
    };
    let mut min_error = f64::INFINITY;
    for bands in 1..=num_perm {
        for rows_per_band in 1..=num_perm / bands {
            let error = by_rows[rows_per_band - 1][bands - 1];
            if error < min_error {
                min_error = error;
                best = LshParams {
                    bands,
                    rows_per_band,
                };
            }
        }
    }
    Ok(best)
}

/// The Simpson grids of `[0, t]` and `[t, 1]`, computed once for every
/// `(b, r)`.
struct SimpsonGrids {
    threshold: f64,
    /// The points of `[0, t]`.
    below: Vec<f64>,
    /// The points of `[t, 1]`.
    above: Vec<f64>,
}

impl SimpsonGrids {
    fn new(threshold: f64) -> SimpsonGrids {
        SimpsonGrids {
            threshold,
            below: simpson_grid(0.0, threshold),
            above: simpson_grid(threshold, 1.0),
        }
    }
}

/// The points at which `simpson` evaluates its integrand, computed as it
/// computes them, in grid order (`a`, the inner points, `b`).
fn simpson_grid(a: f64, b: f64) -> Vec<f64> {
    if b <= a {
        return Vec::new();
    }
    let h = (b - a) / SIMPSON_INTERVALS as f64;
    let mut xs = Vec::with_capacity(SIMPSON_INTERVALS + 1);
    xs.push(a);
    xs.extend((1..SIMPSON_INTERVALS).map(|i| a + h * i as f64));
    xs.push(b);
    xs
}

/// The weighted error of `b` bands of `rows_per_band` rows for every
/// `b` in `1..=num_perm / rows_per_band`, index `b - 1`.
fn errors_for_rows(
    grids: &SimpsonGrids,
    num_perm: usize,
    rows_per_band: usize,
    weights: LshWeights,
) -> Vec<f64> {
    let max_bands = num_perm / rows_per_band;
    let t = grids.threshold;
    let power = |x: &f64| x.powi(rows_per_band as i32);
    let below: Vec<f64> = grids.below.iter().map(power).collect();
    let above: Vec<f64> = grids.above.iter().map(power).collect();
    let fp = integrals_for_bands(&below, 0.0, t, max_bands, false);
    let fn_ = integrals_for_bands(&above, t, 1.0, max_bands, true);
    fp.iter()
        .zip(&fn_)
        .map(|(fp, fn_)| weights.false_positive * fp + weights.false_negative * fn_)
        .collect()
}

/// `simpson` over `[a, b]` of the candidate probability (of one minus it,
/// with `complement`), for every band count in `1..=max_bands`, index
/// `bands - 1`, given `s^r` at the grid points: the same grid, the same
/// order of additions and the same powers as `simpson` with
/// [`LshParams::candidate_probability`].
///
/// The costly part is `(1 - s^r)^bands` for every band count. `powi`
/// multiplies the squares `x, x^2, x^4, ..` of the set bits of the exponent
/// in ascending order, so `x^bands` is `x^(bands without its top bit)`
/// times the top bit's square: one multiplication per band count, bit for
/// bit what `powi` returns, done a block of band counts `[2^k, 2^(k+1))` at
/// a time so that the loops vectorise.
fn integrals_for_bands(
    s_to_r: &[f64],
    a: f64,
    b: f64,
    max_bands: usize,
    complement: bool,
) -> Vec<f64> {
    let n = SIMPSON_INTERVALS;
    if s_to_r.len() != n + 1 {
        return vec![0.0; max_bands];
    }
    let mut powers = vec![1.0; max_bands + 1];
    let mut eval = |s_r: f64, values: &mut [f64]| {
        let mut square = 1.0 - s_r;
        let mut low = 1;
        while low <= max_bands {
            let high = (2 * low).min(max_bands + 1);
            let (done, rest) = powers.split_at_mut(low);
            for (p, &q) in rest[..high - low].iter_mut().zip(&done[..high - low]) {
                *p = q * square;
            }
            square *= square;
            low *= 2;
        }
        if complement {
            for (v, &p) in values.iter_mut().zip(&powers[1..]) {
                *v = 1.0 - (1.0 - p);
            }
        } else {
            for (v, &p) in values.iter_mut().zip(&powers[1..]) {
                *v = 1.0 - p;
            }
        }
    };
    let h = (b - a) / n as f64;
    let mut sums = vec![0.0; max_bands];
    let mut values = vec![0.0; max_bands];
    eval(s_to_r[0], &mut sums);
    eval(s_to_r[n], &mut values);
    for (sum, v) in sums.iter_mut().zip(&values) {
        *sum += v;
    }
    for (i, &s_r) in s_to_r.iter().enumerate().take(n).skip(1) {
        eval(s_r, &mut values);
        let weight = if i % 2 == 1 { 4.0 } else { 2.0 };
        for (sum, v) in sums.iter_mut().zip(&values) {
            *sum += weight * v;
        }
    }
    sums.iter().map(|sum| sum * h / 3.0).collect()
}

/// Key of band `band` of a signature: a mix of its rows and the band index,
/// so equal rows in different bands never collide by construction.
#[inline]
pub fn band_key(slots: &[u32], params: LshParams, band: usize) -> u64 {
    let start = band * params.rows_per_band;
    let mut h = (band as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x6C73_685F_6B65_7921;
    for &slot in &slots[start..start + params.rows_per_band] {
        h = (h ^ u64::from(slot)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        h ^= h >> 29;
    }
    fmix64(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn br(bands: usize, rows_per_band: usize) -> LshParams {
        LshParams {
            bands,
            rows_per_band,
        }
    }

    /// Values of `datasketch.lsh._optimal_param(t, k, 0.5, 0.5)` computed
    /// with datasketch 2.0.0 (benches/peers venv), as (bands, rows).
    #[test]
    fn matches_datasketch_choices() {
        let cases = [
            (0.3, 128, br(37, 3)),
            (0.5, 128, br(25, 5)),
            (0.7, 128, br(14, 9)),
            (0.8, 128, br(9, 13)),
            (0.85, 128, br(8, 16)),
            (0.9, 128, br(5, 25)),
            (0.95, 128, br(3, 42)),
            (0.8, 256, br(17, 15)),
            (0.8, 64, br(5, 11)),
        ];
        for (t, k, want) in cases {
            let got = optimal_params(t, k, LshWeights::default()).unwrap();
            assert_eq!(got, want, "threshold {t}, num_perm {k}");
        }
    }

    /// The search as first written: every (b, r) through the public
    /// integrals.
    fn plain_search(threshold: f64, num_perm: usize, weights: LshWeights) -> (LshParams, f64) {
        let mut best = br(1, 1);
        let mut min_error = f64::INFINITY;
        for bands in 1..=num_perm {
            for rows_per_band in 1..=num_perm / bands {
                let params = br(bands, rows_per_band);
                let error = weights.false_positive * false_positive_probability(threshold, params)
                    + weights.false_negative * false_negative_probability(threshold, params);
                if error < min_error {
                    min_error = error;
                    best = params;
                }
            }
        }
        (best, min_error)
    }

    #[test]
    fn fast_search_matches_the_plain_loop() {
        let recall = LshWeights {
            false_positive: 1.0 - 0.95,
            false_negative: 0.95,
        };
        for (t, k) in [(0.8, 128), (0.5, 64), (0.9, 100), (0.99, 32), (0.3, 16)] {
            for w in [LshWeights::default(), recall] {
                let (want, want_error) = plain_search(t, k, w);
                assert_eq!(optimal_params(t, k, w).unwrap(), want, "{t} {k} {w:?}");
                let grids = SimpsonGrids::new(t);
                let got_error = errors_for_rows(&grids, k, want.rows_per_band, w)[want.bands - 1];
                assert_eq!(got_error.to_bits(), want_error.to_bits());
            }
        }
        // Every (b, r) of a small K, bit for bit.
        let grids = SimpsonGrids::new(0.8);
        for rows_per_band in 1..=20 {
            let fast = errors_for_rows(&grids, 20, rows_per_band, LshWeights::default());
            for (i, got) in fast.iter().enumerate() {
                let p = br(i + 1, rows_per_band);
                let want = 0.5 * false_positive_probability(0.8, p)
                    + 0.5 * false_negative_probability(0.8, p);
                assert_eq!(got.to_bits(), want.to_bits(), "{p:?}");
            }
        }
    }

    #[test]
    fn integrals_are_probabilities() {
        let p = br(9, 13);
        let fp = false_positive_probability(0.8, p);
        let fn_ = false_negative_probability(0.8, p);
        assert!(fp > 0.0 && fp < 0.8 && fn_ > 0.0 && fn_ < 0.2, "{fp} {fn_}");
        // One band of one row is the identity: area t^2/2 below t.
        let fp1 = false_positive_probability(0.5, br(1, 1));
        assert!((fp1 - 0.125).abs() < 1e-12);
    }

    #[test]
    fn bad_thresholds_are_errors() {
        assert!(optimal_params(0.0, 128, LshWeights::default()).is_err());
        assert!(optimal_params(1.0, 128, LshWeights::default()).is_err());
        assert!(br(10, 13).validate(128).is_err());
    }

    #[test]
    fn band_keys_depend_on_rows_and_band() {
        let a: Vec<u32> = (0..8).collect();
        let mut b = a.clone();
        b[5] = 99;
        let p = br(2, 4);
        assert_eq!(band_key(&a, p, 0), band_key(&b, p, 0));
        assert_ne!(band_key(&a, p, 1), band_key(&b, p, 1));
        let same = vec![7u32; 8];
        assert_ne!(band_key(&same, p, 0), band_key(&same, p, 1));
    }
}
