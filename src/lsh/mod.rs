//! Stage 5: locality-sensitive hashing of MinHash signatures by banding.
//!
//! In: signatures of `num_perm` slots. Out: for each signature, one key per
//! band; two documents whose keys agree in at least one band become a
//! candidate pair ([`crate::lsh::candidates`]).
//!
//! With `b` bands of `r` rows, a pair of Jaccard similarity `s` agrees on a
//! band with probability `s^r`, and becomes a candidate with probability
//! `1 - (1 - s^r)^b`, an S-curve. [`optimal_params`] picks `b` and `r`
//! (`b * r <= num_perm`) for a threshold `t` the way datasketch's
//! `MinHashLSH` does (`_optimal_param`): it minimises
//! `w_fp * FP(t) + w_fn * FN(t)`, where `FP(t)` is the area under the curve
//! below `t` (pairs below the threshold that become candidates) and `FN(t)`
//! the area above the curve from `t` to 1 (pairs above it that do not).
//! Both areas are integrals of polynomials of degree `b * r <= num_perm`,
//! which Gauss-Legendre quadrature with `num_perm / 2 + 1` nodes gives
//! exactly, up to rounding, for `num_perm <= 2048` (datasketch approximates
//! them with `scipy.integrate.quad`; larger signatures use the 1025-node
//! rule, see `MAX_NODES`). Ties go to the first `(b, r)` in datasketch's
//! search order, so the choices agree with datasketch's (the tests pin
//! values computed with datasketch 2.0.0).

pub mod candidates;

use rayon::prelude::*;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::kernels::bands::band_chain;
use crate::kernels::Kernels;

/// Bands and rows of an LSH index.
///
/// # Examples
///
/// ```
/// use lineage::lsh::LshParams;
///
/// let params = LshParams { bands: 16, rows_per_band: 8 };
/// assert!(params.candidate_probability(0.9) > 0.99);
/// assert!(params.candidate_probability(0.3) < 0.01);
/// ```
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
    pub(crate) fn validate(&self, num_perm: usize) -> Result<()> {
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
///
/// # Examples
///
/// ```
/// use lineage::lsh::LshWeights;
///
/// assert_eq!(LshWeights::default(), LshWeights::recall(0.95));
/// assert_eq!(LshWeights::EQUAL, LshWeights::recall(0.5));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LshWeights {
    /// Weight of false positives (candidates below the threshold).
    pub false_positive: f64,
    /// Weight of false negatives (pairs above the threshold missed).
    pub false_negative: f64,
}

impl LshWeights {
    /// datasketch's weights: both errors count the same.
    pub const EQUAL: LshWeights = LshWeights {
        false_positive: 0.5,
        false_negative: 0.5,
    };

    /// False negatives weighed `recall`, false positives `1 - recall`.
    pub fn recall(recall: f64) -> LshWeights {
        LshWeights {
            false_positive: 1.0 - recall,
            false_negative: recall,
        }
    }
}

impl Default for LshWeights {
    /// Every candidate is verified exactly, so a missed pair costs more
    /// than an extra candidate: false negatives weigh 0.95 (datasketch:
    /// 0.5, [`LshWeights::EQUAL`]). On the Reuters bodies at 0.8 this picks
    /// 16 bands x 8 rows: 615 candidates, no exact pair missed
    /// (datasketch's 9 x 13 misses 5%).
    fn default() -> Self {
        LshWeights::recall(0.95)
    }
}

/// Gauss-Legendre nodes and weights on `[-1, 1]`: `n` nodes integrate
/// every polynomial of degree up to `2n - 1` exactly. The candidate curve
/// `1 - (1 - s^r)^b` is a polynomial of degree `b * r`, so
/// [`nodes_for_degree`] nodes give both areas exactly, up to rounding.
#[derive(Debug, Clone)]
struct GaussLegendre {
    /// `(node, weight)` pairs, nodes ascending.
    points: Vec<(f64, f64)>,
}

/// Most nodes of a rule: exact up to degree 2048 (`num_perm <= 2048`).
/// Larger signatures get this rule too, no longer exact but, on curves this
/// smooth, far more accurate than the gaps between choices; it keeps the
/// search to seconds at the largest `num_perm` (the rule costs `O(n^2)`
/// to build and the search `O(n * num_perm * log num_perm)`).
const MAX_NODES: usize = 1025;

/// Nodes that integrate a polynomial of degree `degree` exactly (up to
/// [`MAX_NODES`]).
fn nodes_for_degree(degree: usize) -> usize {
    (degree / 2 + 1).min(MAX_NODES)
}

/// Above this many slots the search runs its row counts in parallel.
const PARALLEL_SEARCH_FROM: usize = 512;

impl GaussLegendre {
    /// The `n`-point rule, nodes found by Newton's method on the Legendre
    /// polynomial `P_n` from the usual Chebyshev-like first guesses.
    fn new(n: usize) -> GaussLegendre {
        let n = n.max(1);
        let mut points = vec![(0.0, 0.0); n];
        let nf = n as f64;
        // P_n(x) and P_n'(x) by the three-term recurrence.
        let legendre = |x: f64| {
            let (mut before, mut p) = (1.0, x);
            for k in 2..=n {
                let k = k as f64;
                let next = ((2.0 * k - 1.0) * x * p - (k - 1.0) * before) / k;
                before = p;
                p = next;
            }
            let derivative = nf * (x * p - before) / (x * x - 1.0);
            (p, derivative)
        };
        for i in 0..n.div_ceil(2) {
            let mut x = (std::f64::consts::PI * (i as f64 + 0.75) / (nf + 0.5)).cos();
            for _ in 0..100 {
                let (p, derivative) = legendre(x);
                let step = p / derivative;
                x -= step;
                if step.abs() <= 1e-16 {
                    break;
                }
            }
            let (_, derivative) = legendre(x);
            let weight = 2.0 / ((1.0 - x * x) * derivative * derivative);
            points[i] = (-x, weight);
            points[n - 1 - i] = (x, weight);
        }
        GaussLegendre { points }
    }

    /// The rule's nodes and weights moved to `[a, b]`.
    fn on(&self, a: f64, b: f64) -> Vec<(f64, f64)> {
        let half = (b - a) / 2.0;
        let mid = (a + b) / 2.0;
        self.points
            .iter()
            .map(|&(x, w)| (mid + half * x, half * w))
            .collect()
    }
}

/// Area under the candidate curve below `threshold`.
pub fn false_positive_probability(threshold: f64, params: LshParams) -> f64 {
    let rule = GaussLegendre::new(nodes_for_degree(params.bands * params.rows_per_band));
    rule.on(0.0, threshold.clamp(0.0, 1.0))
        .iter()
        .map(|&(s, w)| w * params.candidate_probability(s))
        .sum()
}

/// Area above the candidate curve from `threshold` to 1.
pub fn false_negative_probability(threshold: f64, params: LshParams) -> f64 {
    let rule = GaussLegendre::new(nodes_for_degree(params.bands * params.rows_per_band));
    rule.on(threshold.clamp(0.0, 1.0), 1.0)
        .iter()
        .map(|&(s, w)| w * (1.0 - params.candidate_probability(s)))
        .sum()
}

/// The bands and rows that minimise the weighted false positive and false
///
/// # Examples
///
/// ```
/// use lineage::lsh::{optimal_params, LshWeights};
///
/// let params = optimal_params(0.8, 128, LshWeights::default())?;
/// assert_eq!((params.bands, params.rows_per_band), (16, 8));
/// assert!(optimal_params(1.0, 128, LshWeights::EQUAL).is_err());
/// # Ok::<(), lineage::Error>(())
/// ```
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
    // One rule exact for every (b, r) with b * r <= num_perm; the errors
    // are computed a row count at a time, b ascending, then scanned in
    // datasketch's order: b outer, r inner, first minimum.
    let rule = GaussLegendre::new(nodes_for_degree(num_perm));
    let below = rule.on(0.0, threshold);
    let above = rule.on(threshold, 1.0);
    let errors = |rows_per_band| errors_for_rows(&below, &above, num_perm, rows_per_band, weights);
    let by_rows: Vec<Vec<f64>> = if num_perm >= PARALLEL_SEARCH_FROM {
        (1..=num_perm).into_par_iter().map(errors).collect()
    } else {
        (1..=num_perm).map(errors).collect()
    };
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

/// The weighted error of `b` bands of `rows_per_band` rows for every
/// `b` in `1..=num_perm / rows_per_band`, index `b - 1`, from the nodes
/// and weights of `[0, t]` (`below`) and `[t, 1]` (`above`).
///
/// `(1 - s^r)^b` is kept per node as a running product over `b`, so each
/// `(b, r)` costs one multiplication per node.
fn errors_for_rows(
    below: &[(f64, f64)],
    above: &[(f64, f64)],
    num_perm: usize,
    rows_per_band: usize,
    weights: LshWeights,
) -> Vec<f64> {
    let max_bands = num_perm / rows_per_band;
    let r = rows_per_band as i32;
    // Per node: (1 - s^r), the running (1 - s^r)^b and the weight.
    let start = |points: &[(f64, f64)]| -> Vec<(f64, f64, f64)> {
        points
            .iter()
            .map(|&(s, w)| {
                let miss = 1.0 - s.powi(r);
                (miss, 1.0, w)
            })
            .collect()
    };
    let mut low = start(below);
    let mut high = start(above);
    let mut errors = Vec::with_capacity(max_bands);
    for _ in 0..max_bands {
        let mut fp = 0.0;
        for (miss, power, w) in &mut low {
            *power *= *miss;
            fp += *w * (1.0 - *power);
        }
        let mut fn_ = 0.0;
        for (miss, power, w) in &mut high {
            *power *= *miss;
            fn_ += *w * *power;
        }
        errors.push(weights.false_positive * fp + weights.false_negative * fn_);
    }
    errors
}

/// Key of band `band` of a signature: a mix of its rows and the band index,
/// so equal rows in different bands never collide by construction.
#[inline]
pub fn band_key(slots: &[u32], params: LshParams, band: usize) -> u64 {
    let start = band * params.rows_per_band;
    band_chain(
        band,
        slots[start..start + params.rows_per_band].iter().copied(),
    )
}

/// The keys of every band of a signature, in band order, appended to
/// `out`: the same keys as [`band_key`] for each band.
///
/// On x86-64 processors with AVX-512 (detected once, `kernels::cpu`), blocks of
/// eight bands are keyed at once, one 64-bit lane per band
/// (`kernels::bands`); the other bands, or all of them elsewhere,
/// one after the other (`band_keys_from`).
pub fn band_keys_into(slots: &[u32], params: LshParams, out: &mut Vec<u64>) {
    let first = Kernels::get().bands().map_or(0, |k| {
        k.band_blocks(slots, params.rows_per_band, params.bands, out)
    });
    band_keys_from(slots, params, first, out);
}

/// The keys of bands `first..` of a signature, appended to `out`, one band
/// after the other: the out-of-order core overlaps their independent
/// multiply chains by itself. (Keying eight bands in lockstep in scalar
/// code measured 40% slower: 148 against 105 ns a signature at 9 x 13,
/// `cargo bench --bench lsh -- lsh_band_keys`.)
fn band_keys_from(slots: &[u32], params: LshParams, first: usize, out: &mut Vec<u64>) {
    let rows = params.rows_per_band;
    for band in first..params.bands {
        // Slots past the end of a short signature read as 0 rather than
        // panic; the callers never pass one.
        let band_rows = slots
            .get(band * rows..(band + 1) * rows)
            .unwrap_or_default();
        let padded = (0..rows).map(|row| band_rows.get(row).copied().unwrap_or(0));
        out.push(band_chain(band, padded));
    }
}

/// The bands and rows [`dedup`](crate::corpus::dedup::dedup) uses for `threshold` when none are given:
/// [`optimal_params`], with a threshold of 1 (no S-curve to fit) taken as
/// 0.99. `lineage sketch` records the same choice in Parquet sketches.
pub(crate) fn lsh_params_for(
    threshold: f64,
    num_perm: usize,
    weights: LshWeights,
) -> Result<LshParams> {
    optimal_params(threshold.min(0.99), num_perm, weights)
}

/// The fewest equal slots out of `num_perm` for which a pair passes
/// signature verification at `threshold`: the smallest `e` with
/// `e as f64 / num_perm as f64 >= threshold`, the very comparison
/// [`dedup`](crate::corpus::dedup::dedup) makes, so a job elsewhere can compare integers and agree
/// exactly. `num_perm + 1` when no count passes.
pub(crate) fn min_equal_slots(threshold: f64, num_perm: usize) -> usize {
    (0..=num_perm)
        .find(|&e| e as f64 / num_perm.max(1) as f64 >= threshold)
        .unwrap_or(num_perm + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn band_keys_at_once_equal_one_by_one(
            slots in proptest::collection::vec(proptest::num::u32::ANY, 1..200),
            bands in 1usize..40,
            rows in 1usize..20,
        ) {
            let bands = bands.min(slots.len());
            let rows = rows.min(slots.len() / bands).max(1);
            let p = LshParams { bands, rows_per_band: rows };
            let mut at_once = Vec::new();
            band_keys_into(&slots, p, &mut at_once);
            let one_by_one: Vec<u64> = (0..bands).map(|b| band_key(&slots, p, b)).collect();
            proptest::prop_assert_eq!(&at_once, &one_by_one);
            // The scalar path alone, whatever the processor.
            let mut scalar = Vec::new();
            band_keys_from(&slots, p, 0, &mut scalar);
            proptest::prop_assert_eq!(scalar, one_by_one);
        }
    }

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
            let got = optimal_params(t, k, LshWeights::EQUAL).unwrap();
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
            for w in [LshWeights::EQUAL, recall] {
                let (want, want_error) = plain_search(t, k, w);
                assert_eq!(optimal_params(t, k, w).unwrap(), want, "{t} {k} {w:?}");
                let rule = GaussLegendre::new(nodes_for_degree(k));
                let (below, above) = (rule.on(0.0, t), rule.on(t, 1.0));
                let got_error = errors_for_rows(&below, &above, k, want.rows_per_band, w);
                assert!((got_error[want.bands - 1] - want_error).abs() < 1e-13);
            }
        }
        // Every (b, r) of a small K.
        let rule = GaussLegendre::new(nodes_for_degree(20));
        let (below, above) = (rule.on(0.0, 0.8), rule.on(0.8, 1.0));
        for rows_per_band in 1..=20 {
            let fast = errors_for_rows(&below, &above, 20, rows_per_band, LshWeights::EQUAL);
            for (i, got) in fast.iter().enumerate() {
                let p = br(i + 1, rows_per_band);
                let want = 0.5 * false_positive_probability(0.8, p)
                    + 0.5 * false_negative_probability(0.8, p);
                assert!((got - want).abs() < 1e-13, "{p:?}: {got} {want}");
            }
        }
    }

    /// The rule integrates polynomials up to degree 2n - 1 exactly, and
    /// the areas of known curves come out in closed form.
    #[test]
    fn gauss_legendre_is_exact_on_polynomials() {
        for n in [1, 2, 3, 8, 65, 129] {
            let rule = GaussLegendre::new(n);
            for degree in 0..2 * n {
                let got: f64 = rule
                    .on(0.0, 1.0)
                    .iter()
                    .map(|&(s, w)| w * s.powi(degree as i32))
                    .sum();
                let want = 1.0 / (degree as f64 + 1.0);
                assert!(
                    (got - want).abs() < 1e-13,
                    "n {n} degree {degree}: {got} {want}"
                );
            }
        }
        // b bands of one row: FN = integral over [t, 1] of (1 - s)^b.
        let (t, b) = (0.8f64, 7);
        let want = (1.0 - t).powi(b + 1) / f64::from(b + 1);
        let got = false_negative_probability(t, br(b as usize, 1));
        assert!((got - want).abs() < 1e-15, "{got} {want}");
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

    /// Past the exact rule's size the search still gives bands that fit,
    /// near the same S-curve as at K = 2048 scaled up.
    #[test]
    fn large_signatures_get_fitting_params() {
        for k in [2048, 4096] {
            let p = optimal_params(0.8, k, LshWeights::EQUAL).unwrap();
            p.validate(k).unwrap();
            assert!(p.bands * p.rows_per_band > k / 2, "{k}: {p:?}");
        }
    }

    #[test]
    fn bad_thresholds_are_errors() {
        assert!(optimal_params(0.0, 128, LshWeights::EQUAL).is_err());
        assert!(optimal_params(1.0, 128, LshWeights::EQUAL).is_err());
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

    #[test]
    fn min_equal_slots_matches_the_float_comparison() {
        for k in [1, 7, 64, 128, 256] {
            for t in [0.1, 0.5, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0] {
                let e = min_equal_slots(t, k);
                assert!(e as f64 / k as f64 >= t || e == k + 1);
                assert!(e == 0 || ((e - 1) as f64 / k as f64) < t);
            }
        }
        assert_eq!(min_equal_slots(0.8, 128), 103);
    }
}
