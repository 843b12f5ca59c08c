//! Stage 4: MinHash signatures by one-permutation hashing.
//!
//! In: shingle hashes (stage 3). Out: a [`Signature`] of `num_perm` u32 slots
//! whose slot-wise agreement estimates the Jaccard similarity of two shingle
//! sets.
//!
//! Scheme: one-permutation hashing (Li, Owen & Zhang 2012) with optimal
//! densification (Shrivastava, ICML 2017). Each shingle hash is mixed once;
//! its high 32 bits pick one of `num_perm` bins and its low 32 bits compete
//! for that bin's minimum. Bins left empty (short documents) borrow the value
//! of a bin chosen by a seeded probe sequence, which keeps the estimator
//! unbiased with the variance of classic MinHash. One hash per shingle instead
//! of `num_perm` makes sketching an order of magnitude faster than K separate
//! hash functions (see `benches/pipeline.rs`).
//!
//! A signature carries its [`SketchParams`]; comparing two signatures built
//! with different parameters is an error, never a silent 0.

mod doc;

pub use doc::DocFingerprint;

use std::sync::OnceLock;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
#[cfg(target_arch = "x86_64")]
use crate::kernels::densify::{plane_position, PlaneProbes, PLANE_BLOCK};
use crate::kernels::hash::fmix64;
#[cfg(target_arch = "x86_64")]
use crate::kernels::Kernels;
use crate::text::shingle::ShingleParams;

/// How the signature was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scheme {
    /// One-permutation hashing with optimal densification (Shrivastava 2017).
    OnePermutationDensified,
}

/// Parameters a signature is computed with; two signatures compare only when
/// all of them are equal.
///
/// # Examples
///
/// ```
/// use lineage::sketch::SketchParams;
///
/// let params = SketchParams { num_perm: 256, ..SketchParams::default() };
/// params.validate()?;
/// assert!(SketchParams { num_perm: 0, ..params }.validate().is_err());
/// # Ok::<(), lineage::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SketchParams {
    /// Number of slots (bins), K.
    pub num_perm: usize,
    /// Words per shingle of the hashed view.
    pub shingle_size: usize,
    /// Seed of the slot hash.
    pub seed: u64,
    /// Sketching scheme.
    pub scheme: Scheme,
}

impl Default for SketchParams {
    fn default() -> Self {
        // The shingle size and seed are the shingler's, recorded here.
        let shingle = ShingleParams::default();
        SketchParams {
            num_perm: 128,
            shingle_size: shingle.raw_size,
            seed: shingle.seed,
            scheme: Scheme::OnePermutationDensified,
        }
    }
}

impl SketchParams {
    /// Checks `num_perm` is usable.
    pub fn validate(&self) -> Result<()> {
        if self.num_perm == 0 || self.num_perm > 1 << 16 {
            return Err(Error::InvalidParam(format!(
                "num_perm must be between 1 and 65536, got {}",
                self.num_perm
            )));
        }
        Ok(())
    }

    fn describe(&self) -> String {
        format!(
            "num_perm={} shingle_size={} seed={} scheme={:?}",
            self.num_perm, self.shingle_size, self.seed, self.scheme
        )
    }
}

pub(crate) use crate::kernels::EMPTY_SLOT;

/// A MinHash signature with the parameters that made it.
///
/// # Examples
///
/// Signatures of different parameters do not compare:
///
/// ```
/// use lineage::sketch::{SketchParams, Sketcher};
///
/// let a = Sketcher::new(SketchParams::default())?.sketch(0..1000);
/// let b = Sketcher::new(SketchParams { seed: 7, ..SketchParams::default() })?.sketch(0..1000);
/// assert_eq!(a.jaccard(&a)?, 1.0);
/// assert!(a.jaccard(&b).is_err());
/// # Ok::<(), lineage::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    /// Parameters used.
    pub params: SketchParams,
    /// `num_perm` slot values.
    pub slots: Vec<u32>,
}

impl Signature {
    /// Whether the signature is that of a document without shingles.
    pub fn is_empty(&self) -> bool {
        self.slots.iter().all(|&s| s == EMPTY_SLOT)
    }

    /// Estimated Jaccard similarity: the share of equal slots. Two empty
    /// documents estimate 0 (nothing is shared). Different parameters are an
    /// error.
    pub fn jaccard(&self, other: &Signature) -> Result<f64> {
        if self.params != other.params || self.slots.len() != other.slots.len() {
            return Err(Error::ParamsMismatch {
                left: self.params.describe(),
                right: other.params.describe(),
            });
        }
        if self.is_empty() || other.is_empty() || self.slots.is_empty() {
            return Ok(0.0);
        }
        let equal = self
            .slots
            .iter()
            .zip(&other.slots)
            .filter(|(a, b)| a == b)
            .count();
        Ok(equal as f64 / self.slots.len() as f64)
    }
}

/// Builds signatures with fixed parameters.
///
/// # Examples
///
/// Two sets of shingle hashes that share a third of their union:
///
/// ```
/// use lineage::sketch::{SketchParams, Sketcher};
///
/// let sketcher = Sketcher::new(SketchParams::default())?;
/// let (a, b) = (sketcher.sketch(0..1000), sketcher.sketch(500..1500));
/// assert_eq!(a.slots.len(), 128);
/// assert!((a.jaccard(&b)? - 1.0 / 3.0).abs() < 0.15);
/// # Ok::<(), lineage::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Sketcher {
    params: SketchParams,
    key: u64,
    /// First probes of every bin for densification, built on first use.
    probes: OnceLock<Vec<u16>>,
    /// The first [`SMALL_PROBE_DEPTH`] probes as bytes for the usual
    /// `num_perm <= 256`, four per bin in a word.
    packed_probes: OnceLock<Vec<[u32; 256]>>,
    /// The first [`SMALL_PROBE_DEPTH`] probes as byte-plane positions for
    /// the AVX-512 densification.
    #[cfg(target_arch = "x86_64")]
    plane_probes: OnceLock<PlaneProbes>,
    /// The SIMD kernels this processor runs.
    #[cfg(target_arch = "x86_64")]
    kernels: Kernels,
}

impl Sketcher {
    /// A sketcher for `params`.
    pub fn new(params: SketchParams) -> Result<Sketcher> {
        params.validate()?;
        Ok(Sketcher {
            key: fmix64(params.seed ^ 0x6C69_6E65_6167_6521),
            params,
            probes: OnceLock::new(),
            packed_probes: OnceLock::new(),
            #[cfg(target_arch = "x86_64")]
            plane_probes: OnceLock::new(),
            #[cfg(target_arch = "x86_64")]
            kernels: Kernels::get(),
        })
    }

    /// The parameters.
    pub fn params(&self) -> &SketchParams {
        &self.params
    }

    /// Signature of a sequence of shingle hashes (duplicates do not matter).
    pub fn sketch<I: IntoIterator<Item = u64>>(&self, hashes: I) -> Signature {
        let k = self.params.num_perm as u64;
        let mut mins = vec![EMPTY_SLOT; self.params.num_perm];
        for h in hashes {
            // One multiply-xorshift suffices: shingle hashes are already
            // avalanche-mixed; the key makes slots depend on the seed.
            let x = (h ^ self.key).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            let x = x ^ (x >> 31);
            let bin = (((x >> 32) * k) >> 32) as usize;
            let value = x as u32;
            if let Some(slot) = mins.get_mut(bin) {
                // A conditional move: whether a shingle lowers its bin's
                // minimum is unpredictable.
                *slot = (*slot).min(value);
            }
        }
        self.densify(&mut mins);
        Signature {
            params: self.params,
            slots: mins,
        }
    }

    /// Signatures of many documents' hashes in parallel, in input order.
    pub fn sketch_many(&self, docs: &[Vec<u64>]) -> Vec<Signature> {
        docs.par_iter()
            .map(|hashes| self.sketch(hashes.iter().copied()))
            .collect()
    }

    /// Bin probed by attempt `attempt` (1, 2, ...) of empty bin `bin`.
    #[inline]
    fn probe(&self, bin: usize, attempt: u64) -> usize {
        let k = self.params.num_perm as u64;
        let probe = fmix64(self.key ^ ((bin as u64) << 32) ^ attempt);
        (((probe >> 32) * k) >> 32) as usize
    }

    /// The value of the first filled bin of `original` that bin `bin`
    /// probes past the [`SMALL_PROBE_DEPTH`] probes of the tables
    /// (documents of a shingle or two; `original` has a filled bin).
    fn deep_probe(&self, original: &[u32; 256], bin: usize) -> u32 {
        let mut attempt = SMALL_PROBE_DEPTH as u64 + 1;
        loop {
            let value = original
                .get(self.probe(bin, attempt))
                .copied()
                .unwrap_or(EMPTY_SLOT);
            if value != EMPTY_SLOT {
                return value;
            }
            attempt += 1;
        }
    }

    /// The first [`PROBE_DEPTH`] probes of every bin, computed once: the
    /// probe sequence depends on the seed only, not on the document.
    fn probe_table(&self) -> &[u16] {
        self.probes.get_or_init(|| {
            let k = self.params.num_perm;
            let mut table = Vec::with_capacity(k * PROBE_DEPTH);
            for bin in 0..k {
                for attempt in 1..=PROBE_DEPTH as u64 {
                    // num_perm <= 65536, so every bin index fits in u16.
                    table.push(self.probe(bin, attempt) as u16);
                }
            }
            table
        })
    }

    /// The first [`SMALL_PROBE_DEPTH`] probes of every bin for
    /// `num_perm <= 256`, as bytes packed four per bin in a `u32` (byte `d`
    /// of `table[r][bin]` is attempt `4r + d + 1` of `bin`): one load gives
    /// a bin its next four probes, and a byte indexes an array of 256
    /// without bounds checks. The probe sequence depends on the seed only,
    /// not on the document, so this is computed once.
    fn packed_probe_table(&self) -> &[[u32; 256]] {
        self.packed_probes.get_or_init(|| {
            (0..SMALL_PROBE_DEPTH as u64 / 4)
                .map(|round| {
                    let mut packed = [0u32; 256];
                    for (bin, word) in packed.iter_mut().enumerate().take(self.params.num_perm) {
                        // num_perm <= 256 here, so every bin fits in a byte.
                        let bytes = [1, 2, 3, 4].map(|d| self.probe(bin, 4 * round + d) as u8);
                        *word = u32::from_le_bytes(bytes);
                    }
                    packed
                })
                .collect()
        })
    }

    /// Densification for `num_perm <= 256`. On x86-64 processors with
    /// AVX-512 F, BW and VBMI (detected once, `kernels::cpu`), 64 bins at a time in
    /// byte planes (`kernels::densify`); elsewhere one
    /// empty bin after the other ([`Sketcher::densify_small_scalar`]). Both
    /// give the same slots, and both leave `mins` as it is when no bin, or
    /// every bin, is empty.
    fn densify_small(&self, mins: &mut [u32]) {
        #[cfg(target_arch = "x86_64")]
        if let Some(kernels) = self.kernels.densify() {
            if mins.len() == self.params.num_perm && mins.len() <= 4 * PLANE_BLOCK {
                let table = self.plane_probe_table();
                return kernels
                    .densify(table, mins, |original, bin| self.deep_probe(original, bin));
            }
        }
        self.densify_small_scalar(mins)
    }

    /// Densification for `num_perm <= 256`, without data-dependent
    /// branches: whether a probed bin is empty is a coin toss that a branch
    /// predictor loses (the median Reuters body fills only 91 of 128
    /// bins). The empty bins are found from a bit mask; each reads the
    /// values of its next four probes at once (independent loads, indexed
    /// by bytes into an array of 256, so without bounds checks) and keeps
    /// the first filled one by conditional moves. Bins whose four probes
    /// were all empty (under 1% at the median fill) go into a list for the
    /// next four, and so on.
    fn densify_small_scalar(&self, mins: &mut [u32]) {
        // Bit `i % 64` of `empty[i / 64]`: bin `i` was empty.
        let mut empty = [0u64; 4];
        for (word, chunk) in empty.iter_mut().zip(mins.chunks(64)) {
            *word = empty_mask(chunk);
        }
        // No bin empty, or none filled to copy from: nothing to do.
        let empties: u32 = empty.iter().map(|w| w.count_ones()).sum();
        if empties == 0 || empties as usize == mins.len() {
            return;
        }
        let mut original = [EMPTY_SLOT; 256];
        if let Some(head) = original.get_mut(..mins.len()) {
            head.copy_from_slice(mins);
        }
        // Values are read from `original` only, so the empty bins of
        // `mins` can be filled in place. The first round walks the mask
        // (a separate pending list for it measured 15% slower in
        // `oph-short-docs`); the bins still empty after their first four
        // probes go to `pending`.
        let rows = self.packed_probe_table();
        let mut pending = [0u8; 256];
        let mut count = 0usize;
        let first: &[u32; 256] = rows.first().unwrap_or(&[0; 256]);
        for (w, &bits) in empty.iter().enumerate() {
            let mut bits = bits;
            while bits != 0 {
                let i = ((w << 6) | bits.trailing_zeros() as usize) & 255;
                bits &= bits - 1;
                let value = first_filled(&original, first[i]);
                if let Some(slot) = mins.get_mut(i) {
                    *slot = value;
                }
                // count <= number of empty bins so far < 256.
                pending[count & 255] = i as u8;
                count += usize::from(value == EMPTY_SLOT);
            }
        }
        // The next four probes of the bins still empty, until none is.
        let mut next = [0u8; 256];
        for row in rows.iter().skip(1) {
            if count == 0 {
                break;
            }
            let mut still = 0usize;
            for &i in pending.iter().take(count) {
                let i = usize::from(i);
                let value = first_filled(&original, row[i]);
                if let Some(slot) = mins.get_mut(i) {
                    *slot = value;
                }
                // still <= p < count <= 256.
                next[still & 255] = i as u8;
                still += usize::from(value == EMPTY_SLOT);
            }
            std::mem::swap(&mut pending, &mut next);
            count = still;
        }
        // Beyond the table (documents of a shingle or two): compute probes.
        for &i in pending.iter().take(count) {
            let i = usize::from(i);
            let value = self.deep_probe(&original, i);
            if let Some(slot) = mins.get_mut(i) {
                *slot = value;
            }
        }
    }

    /// Optimal densification: an empty bin `i` takes the value of the first
    /// non-empty bin in its seeded probe sequence `h(i, 1), h(i, 2), ...`.
    fn densify(&self, mins: &mut [u32]) {
        let k = mins.len();
        if k <= 256 {
            // It finds the empty bins itself, and returns if none is, or
            // if every bin is.
            return self.densify_small(mins);
        }
        let filled = mins.iter().filter(|&&m| m != EMPTY_SLOT).count();
        if filled == 0 || filled == k {
            return;
        }
        // Only bins filled before densification are ever copied from, and
        // their values do not change, so `mins[j] != EMPTY_SLOT` can be
        // read as "was filled" only for them: keep a copy of the flags.
        let mut stack = [false; 256];
        let mut heap = Vec::new();
        let full: &mut [bool] = if k <= stack.len() {
            &mut stack[..k]
        } else {
            heap.resize(k, false);
            &mut heap
        };
        for (f, &m) in full.iter_mut().zip(mins.iter()) {
            *f = m != EMPTY_SLOT;
        }
        let full: &[bool] = full;
        let table = self.probe_table();
        for (i, probes) in table.chunks_exact(PROBE_DEPTH).enumerate().take(k) {
            if full[i] {
                continue;
            }
            let j = match probes.iter().map(|&j| j as usize).find(|&j| full[j]) {
                Some(j) => j,
                None => {
                    let mut attempt = PROBE_DEPTH as u64 + 1;
                    loop {
                        let j = self.probe(i, attempt);
                        if full[j] {
                            break j;
                        }
                        attempt += 1;
                    }
                }
            };
            mins[i] = mins[j];
        }
    }
}

#[cfg(target_arch = "x86_64")]
impl Sketcher {
    /// The [`PlaneProbes`] of this seed and `num_perm`, computed once
    /// (the probe sequence depends on the seed only, not on the document).
    fn plane_probe_table(&self) -> &PlaneProbes {
        self.plane_probes.get_or_init(|| {
            let k = self.params.num_perm;
            let blocks = k.div_ceil(PLANE_BLOCK).min(4);
            let mut valid = [0u64; 4];
            let mut rows: [Vec<[[u8; PLANE_BLOCK]; 4]>; 4] = Default::default();
            for (c, (valid, rows)) in valid.iter_mut().zip(&mut rows).enumerate().take(blocks) {
                *rows = vec![[[0; PLANE_BLOCK]; 4]; SMALL_PROBE_DEPTH / 4];
                for x in 0..PLANE_BLOCK {
                    let bin = plane_position(PLANE_BLOCK * c + x);
                    if bin >= k {
                        continue;
                    }
                    *valid |= 1 << x;
                    for (r, row) in rows.iter_mut().enumerate() {
                        for (d, attempts) in row.iter_mut().enumerate() {
                            let attempt = (4 * r + d + 1) as u64;
                            // num_perm <= 256 here, so every position fits
                            // in a byte.
                            attempts[x] = plane_position(self.probe(bin, attempt)) as u8;
                        }
                    }
                }
            }
            PlaneProbes {
                blocks,
                valid,
                rows,
            }
        })
    }
}

/// The value of the first filled bin among the four probes packed in
/// `probes` (byte 0 first), or [`EMPTY_SLOT`]: four independent loads and
/// three conditional moves.
#[inline(always)]
fn first_filled(original: &[u32; 256], probes: u32) -> u32 {
    let mut value = EMPTY_SLOT;
    for &j in probes.to_le_bytes().iter().rev() {
        let v = original[usize::from(j)];
        value = std::hint::select_unpredictable(v != EMPTY_SLOT, v, value);
    }
    value
}

/// Bit `b` set for every `chunk[b] == EMPTY_SLOT` (at most 64 slots).
#[inline]
fn empty_mask(chunk: &[u32]) -> u64 {
    #[cfg(target_arch = "x86_64")]
    if let Ok(chunk) = <&[u32; 64]>::try_from(chunk) {
        return crate::kernels::densify::empty_mask64(chunk);
    }
    chunk
        .iter()
        .enumerate()
        .fold(0, |bits, (b, &m)| bits | u64::from(m == EMPTY_SLOT) << b)
}

/// Probes per bin kept in [`Sketcher`]'s table.
const PROBE_DEPTH: usize = 16;

/// Probes per bin kept in the packed byte table for `num_perm <= 256` (16 KiB):
/// deep enough that documents of a handful of shingles rarely compute a
/// probe.
const SMALL_PROBE_DEPTH: usize = 64;

#[cfg(test)]
mod tests {
    use super::*;

    fn set(range: std::ops::Range<u64>) -> Vec<u64> {
        range.map(fmix64).collect()
    }

    #[test]
    fn identical_sets_estimate_one() {
        let s = Sketcher::new(SketchParams::default()).unwrap();
        let a = s.sketch(set(0..500));
        assert_eq!(a.jaccard(&a).unwrap(), 1.0);
    }

    #[test]
    fn estimate_is_close_to_exact() {
        let s = Sketcher::new(SketchParams::default()).unwrap();
        // |A ∩ B| = 500, |A ∪ B| = 1500: J = 1/3.
        let a = s.sketch(set(0..1000));
        let b = s.sketch(set(500..1500));
        let est = a.jaccard(&b).unwrap();
        assert!((est - 1.0 / 3.0).abs() < 0.15, "estimate {est}");
    }

    #[test]
    fn short_documents_are_densified() {
        let s = Sketcher::new(SketchParams::default()).unwrap();
        let a = s.sketch(set(0..3));
        assert!(a.slots.iter().all(|&v| v != EMPTY_SLOT));
        assert!(s.sketch(std::iter::empty()).is_empty());
    }

    /// The densification as first written (probe hashes computed every
    /// time): the table-driven one must give the same slots.
    fn densify_reference(s: &Sketcher, mins: &mut [u32]) {
        let k = mins.len();
        let filled = mins.iter().filter(|&&m| m != EMPTY_SLOT).count();
        if filled == 0 || filled == k {
            return;
        }
        let original = mins.to_vec();
        for (i, slot) in mins.iter_mut().enumerate() {
            if *slot != EMPTY_SLOT {
                continue;
            }
            let mut attempt = 1u64;
            loop {
                let j = s.probe(i, attempt);
                if original[j] != EMPTY_SLOT {
                    *slot = original[j];
                    break;
                }
                attempt += 1;
            }
        }
    }

    #[test]
    fn table_densification_matches_the_reference() {
        for num_perm in [1, 7, 128, 200, 256, 257, 1000] {
            let s = Sketcher::new(SketchParams {
                num_perm,
                ..SketchParams::default()
            })
            .unwrap();
            for n in [1u64, 2, 3, 5, 10, 20, 50, 90, 150, 400] {
                let sig = s.sketch(set(n * 1000..n * 1001));
                let mut raw = vec![EMPTY_SLOT; num_perm];
                for h in set(n * 1000..n * 1001) {
                    let x = (h ^ s.key).wrapping_mul(0x9E37_79B9_7F4A_7C15);
                    let x = x ^ (x >> 31);
                    let bin = (((x >> 32) * num_perm as u64) >> 32) as usize;
                    raw[bin] = raw[bin].min(x as u32);
                }
                densify_reference(&s, &mut raw);
                assert_eq!(sig.slots, raw, "num_perm {num_perm}, {n} shingles");
            }
        }
    }

    proptest::proptest! {
        /// Every fill level, including the rare bins whose first packed
        /// probes are all empty, gives the reference's slots.
        #[test]
        fn densification_matches_the_reference_at_any_fill(
            num_perm in 1usize..=300,
            start in 0u64..1 << 40,
            n in 1u64..400,
        ) {
            let s = Sketcher::new(SketchParams { num_perm, ..SketchParams::default() }).unwrap();
            let hashes = set(start..start + n);
            let mut raw = vec![EMPTY_SLOT; num_perm];
            for &h in &hashes {
                let x = (h ^ s.key).wrapping_mul(0x9E37_79B9_7F4A_7C15);
                let x = x ^ (x >> 31);
                let bin = (((x >> 32) * num_perm as u64) >> 32) as usize;
                raw[bin] = raw[bin].min(x as u32);
            }
            densify_reference(&s, &mut raw);
            proptest::prop_assert_eq!(s.sketch(hashes).slots, raw);
        }
    }

    /// The bins of `hashes` before densification, as [`Sketcher::sketch`]
    /// fills them.
    fn raw_bins(s: &Sketcher, hashes: &[u64]) -> Vec<u32> {
        let k = s.params.num_perm;
        let mut raw = vec![EMPTY_SLOT; k];
        for &h in hashes {
            let x = (h ^ s.key).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            let x = x ^ (x >> 31);
            let bin = (((x >> 32) * k as u64) >> 32) as usize;
            raw[bin] = raw[bin].min(x as u32);
        }
        raw
    }

    /// `raw` densified by the scalar path and, if the processor has
    /// AVX-512 F, BW and VBMI, by the AVX-512 path (else the scalar one
    /// again), for `num_perm <= 256`.
    fn scalar_and_avx512(s: &Sketcher, raw: &[u32]) -> (Vec<u32>, Vec<u32>) {
        let mut scalar = raw.to_vec();
        let mut avx512 = raw.to_vec();
        s.densify_small_scalar(&mut scalar);
        // The kernel where the processor has its features, else scalar.
        s.densify_small(&mut avx512);
        (scalar, avx512)
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn plane_positions_are_their_own_inverse() {
        for bin in 0..256 {
            assert!(plane_position(bin) < 256);
            assert_eq!(plane_position(plane_position(bin)), bin);
            assert_eq!(plane_position(bin) / 64, bin / 64);
        }
    }

    proptest::proptest! {
        /// The AVX-512 densification gives the scalar one's slots for
        /// documents of 0 to 400 shingles.
        #[test]
        fn avx512_densification_matches_the_scalar_one(
            num_perm in proptest::sample::select(vec![1usize, 7, 64, 128, 200, 256]),
            seed in proptest::num::u64::ANY,
            hashes in proptest::collection::vec(proptest::num::u64::ANY, 0..400),
        ) {
            let s = Sketcher::new(SketchParams { num_perm, seed, ..SketchParams::default() }).unwrap();
            let (scalar, avx512) = scalar_and_avx512(&s, &raw_bins(&s, &hashes));
            proptest::prop_assert_eq!(scalar, avx512);
        }

        /// The same at any fill and any `num_perm <= 256`, with some bins
        /// holding `u32::MAX` (read as empty by both paths).
        #[test]
        fn avx512_densification_matches_the_scalar_one_at_any_fill(
            num_perm in 1usize..=256,
            seed in proptest::num::u64::ANY,
            fill in 0u32..=100,
            slots in proptest::collection::vec(
                (
                    0u32..100,
                    proptest::prop_oneof![
                        1 => proptest::strategy::Just(u32::MAX),
                        9 => proptest::num::u32::ANY,
                    ],
                ),
                256,
            ),
        ) {
            let s = Sketcher::new(SketchParams { num_perm, seed, ..SketchParams::default() }).unwrap();
            let raw: Vec<u32> = slots
                .iter()
                .take(num_perm)
                .map(|&(coin, value)| if coin < fill { value } else { EMPTY_SLOT })
                .collect();
            let (scalar, avx512) = scalar_and_avx512(&s, &raw);
            proptest::prop_assert_eq!(scalar, avx512);
        }
    }

    #[test]
    fn different_params_are_an_error() {
        let a = Sketcher::new(SketchParams::default())
            .unwrap()
            .sketch(set(0..10));
        let b = Sketcher::new(SketchParams {
            seed: 7,
            ..SketchParams::default()
        })
        .unwrap()
        .sketch(set(0..10));
        assert!(matches!(a.jaccard(&b), Err(Error::ParamsMismatch { .. })));
    }
}
