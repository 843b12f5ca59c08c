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
use crate::kernels::hash::fmix64;
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

/// Value of a bin no shingle fell into (before densification) and of every
/// slot of an empty document.
pub const EMPTY_SLOT: u32 = u32::MAX;

/// A MinHash signature with the parameters that made it.
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
    /// AVX-512 F, BW and VBMI (checked at run time), 64 bins at a time in
    /// byte planes ([`Sketcher::densify_small_avx512`]); elsewhere one
    /// empty bin after the other ([`Sketcher::densify_small_scalar`]). Both
    /// give the same slots, and both leave `mins` as it is when no bin, or
    /// every bin, is empty.
    fn densify_small(&self, mins: &mut [u32]) {
        #[cfg(target_arch = "x86_64")]
        if is_x86_feature_detected!("avx512f")
            && is_x86_feature_detected!("avx512bw")
            && is_x86_feature_detected!("avx512vbmi")
        {
            // SAFETY: the processor has the features the function is
            // compiled for, checked just above.
            return unsafe { self.densify_small_avx512(mins) };
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

/// Bins of one byte-plane block: the lanes of one AVX-512 byte vector.
#[cfg(target_arch = "x86_64")]
const PLANE_BLOCK: usize = 64;

/// Position of bin `bin` in the byte planes of
/// [`Sketcher::densify_small_avx512`], and (the map is its own inverse) the
/// bin at a position: in each block of 64 bins, bin `64c + 16q + 4l + i`
/// (`q`, `l`, `i` < 4) sits at `64c + 16l + 4q + i`. That is the order in
/// which in-lane byte shuffles and 32/64-bit unpacks turn four vectors of
/// 16 slots into four byte planes, and 8/16-bit unpacks turn them back.
#[cfg(target_arch = "x86_64")]
fn plane_position(bin: usize) -> usize {
    (bin & !63) | ((bin >> 2) & 3) << 4 | ((bin >> 4) & 3) << 2 | (bin & 3)
}

/// The first [`SMALL_PROBE_DEPTH`] probes of every bin for
/// `num_perm <= 256`, laid out for [`Sketcher::densify_small_avx512`]:
/// lane `x` of block `c` is the bin at plane position `64c + x`, and its
/// probes are given as plane positions too (below 256, so bytes).
#[cfg(target_arch = "x86_64")]
#[derive(Debug, Clone)]
struct PlaneProbes {
    /// Blocks of 64 bins, `ceil(num_perm / 64)`: 1 to 4.
    blocks: usize,
    /// Bit `x` of `valid[c]`: position `64c + x` holds a bin below
    /// `num_perm` (the others are padding).
    valid: [u64; 4],
    /// `rows[c][r][d][x]`: the plane position of attempt `4r + d + 1` of
    /// the bin at position `64c + x` (0 for padding).
    rows: [Vec<[[u8; PLANE_BLOCK]; 4]>; 4],
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

    /// [`Sketcher::densify_small_scalar`] with AVX-512, 64 bins at a time.
    ///
    /// The slots are split into four byte planes (byte `j` of every slot,
    /// bins in [`plane_position`] order) of two or four registers each, so
    /// one `VPERMI2B` reads byte `j` of the bins probed by 64 lanes at
    /// once (a byte indexes 128 bytes; for `num_perm > 128`, a blend on
    /// the index's top bit picks between two such lookups). A lane's bin
    /// is empty when its four bytes are all `0xFF` ([`EMPTY_SLOT`]). For
    /// each block of 64 bins, the empty ones (a mask) take the looked-up
    /// values of their probes in probe order, four probes a row, each by
    /// a masked byte blend; only bins still empty after a row go on to the
    /// next (about one bin in 500 at the median Reuters fill). Values are
    /// read from the planes of the original slots only. Bins still empty
    /// after [`SMALL_PROBE_DEPTH`] probes (documents of a shingle or two)
    /// compute their next probes as the scalar path does.
    ///
    /// # Safety
    ///
    /// The processor must support AVX-512 F, BW and VBMI.
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
    unsafe fn densify_small_avx512(&self, mins: &mut [u32]) {
        if mins.len() != self.params.num_perm || mins.len() > 4 * PLANE_BLOCK {
            // Never the case: `densify` passes `num_perm <= 256` slots.
            return self.densify_small_scalar(mins);
        }
        let table = self.plane_probe_table();
        if table.blocks <= 2 {
            densify_planes::<2>(self, table, mins);
        } else {
            densify_planes::<4>(self, table, mins);
        }
    }
}

/// The body of [`Sketcher::densify_small_avx512`] for up to `64 * B` bins
/// (`B` is 2 or 4 registers per byte plane); `mins` has at most that many
/// slots and `table` is the sketcher's [`PlaneProbes`].
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
fn densify_planes<const B: usize>(sketcher: &Sketcher, table: &PlaneProbes, mins: &mut [u32]) {
    use std::arch::x86_64::*;
    let k = mins.len();
    // values[b]: the four byte planes of block b's slots as densified so
    // far (all EMPTY_SLOT bytes past the end); pending[b]: its bins still
    // empty (none past the end). Every loop runs to the constant B, so
    // that the registers are not indexed at run time.
    let mut values: [[__m512i; 4]; B] = std::array::from_fn(|b| block_planes(mins, b));
    let mut pending: [u64; B] = std::array::from_fn(|b| {
        let valid = table.valid.get(b).copied().unwrap_or(0);
        values.get(b).map_or(0, |v| all_empty(v) & valid)
    });
    // planes[j][b]: byte j of the original slots of block b, read by the
    // lookups.
    let planes: [[__m512i; B]; 4] = std::array::from_fn(|j| {
        std::array::from_fn(|b| {
            values
                .get(b)
                .and_then(|v| v.get(j))
                .copied()
                .unwrap_or(_mm512_set1_epi8(-1))
        })
    });
    // No bin empty, or none filled to copy from: nothing to do.
    let some_empty = pending.iter().fold(0, |any, &p| any | p);
    let valid = table.valid.iter().chain(std::iter::repeat(&0));
    let some_filled = pending
        .iter()
        .zip(valid)
        .fold(0, |any, (&p, &v)| any | (p ^ v));
    if some_empty == 0 || some_filled == 0 {
        return;
    }
    // The first row of probes for every block, then further rows for the
    // blocks with bins still empty.
    let mut left = 0u64;
    for ((values, pending), rows) in values.iter_mut().zip(&mut pending).zip(&table.rows) {
        if let Some(row) = rows.first() {
            probe_row::<B>(&planes, row, values, pending);
        }
        left |= *pending;
    }
    let mut row = 1;
    while left != 0 && row < SMALL_PROBE_DEPTH / 4 {
        left = 0;
        for ((values, pending), rows) in values.iter_mut().zip(&mut pending).zip(&table.rows) {
            if *pending != 0 {
                if let Some(probes) = rows.get(row) {
                    probe_row::<B>(&planes, probes, values, pending);
                }
                left |= *pending;
            }
        }
        row += 1;
    }
    // Bins still empty past the table read the original slots: keep them.
    let original = (left != 0).then(|| {
        let mut original = [EMPTY_SLOT; 256];
        for (o, &m) in original.iter_mut().zip(mins.iter()) {
            *o = m;
        }
        original
    });
    for (b, values) in values.iter().enumerate() {
        let start = PLANE_BLOCK * b;
        if start >= k {
            break;
        }
        // A whole block is written in place, the last one through a copy.
        match mins.get_mut(start..start + PLANE_BLOCK) {
            Some(block) => {
                if let Ok(block) = <&mut [u32; PLANE_BLOCK]>::try_from(block) {
                    from_planes(values, block);
                }
            }
            None => {
                let mut slots = [EMPTY_SLOT; PLANE_BLOCK];
                from_planes(values, &mut slots);
                let tail = mins.get_mut(start..).unwrap_or_default();
                for (m, &s) in tail.iter_mut().zip(&slots) {
                    *m = s;
                }
            }
        }
    }
    let Some(original) = original else {
        return;
    };
    // Beyond the table (documents of a shingle or two): compute probes.
    for (b, &bits) in pending.iter().enumerate() {
        let mut bits = bits;
        while bits != 0 {
            let bin = plane_position(PLANE_BLOCK * b + bits.trailing_zeros() as usize);
            bits &= bits - 1;
            let value = sketcher.deep_probe(&original, bin);
            if let Some(slot) = mins.get_mut(bin) {
                *slot = value;
            }
        }
    }
}

/// The four byte planes ([`to_planes`]) of block `b` of `mins` (slots
/// `64b..64b + 64`), the slots past the end read as [`EMPTY_SLOT`].
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw")]
fn block_planes(mins: &[u32], b: usize) -> [std::arch::x86_64::__m512i; 4] {
    let start = PLANE_BLOCK * b;
    // A whole block is read in place, a partial one through a padded copy.
    let mut padded = [EMPTY_SLOT; PLANE_BLOCK];
    let block = match mins.get(start..start + PLANE_BLOCK) {
        Some(block) => block,
        None => {
            let tail = mins.get(start..).unwrap_or_default();
            for (p, &m) in padded.iter_mut().zip(tail) {
                *p = m;
            }
            &padded
        }
    };
    match <&[u32; PLANE_BLOCK]>::try_from(block) {
        Ok(block) => to_planes(block),
        Err(_) => [std::arch::x86_64::_mm512_set1_epi8(-1); 4],
    }
}

/// One row of four probes for the 64 bins of a block: each bin of
/// `pending` takes, in probe order, the value of the first probed bin
/// that is filled (masked byte blends into the four planes of `values`)
/// and leaves `pending`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
fn probe_row<const B: usize>(
    planes: &[[std::arch::x86_64::__m512i; B]; 4],
    row: &[[u8; PLANE_BLOCK]; 4],
    values: &mut [std::arch::x86_64::__m512i; 4],
    pending: &mut u64,
) {
    use std::arch::x86_64::*;
    for probes in row {
        // SAFETY: `probes` is 64 readable bytes; `_mm512_loadu_si512` has
        // no alignment requirement.
        let index = unsafe { _mm512_loadu_si512(probes.as_ptr().cast()) };
        let found = lookup::<B>(planes, index);
        let empty = all_empty(&found);
        let take = *pending & !empty;
        for (value, found) in values.iter_mut().zip(found) {
            *value = _mm512_mask_mov_epi8(*value, take, found);
        }
        *pending &= empty;
    }
}

/// The four planes of the bins at the plane positions in the bytes of
/// `index`: one `VPERMI2B` per plane of two registers (128 positions), two
/// and a blend on the index's top bit per plane of four (256).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
fn lookup<const B: usize>(
    planes: &[[std::arch::x86_64::__m512i; B]; 4],
    index: std::arch::x86_64::__m512i,
) -> [std::arch::x86_64::__m512i; 4] {
    use std::arch::x86_64::*;
    let high = _mm512_movepi8_mask(index);
    planes.map(|plane| match plane.as_slice() {
        [p0, p1, p2, p3] => _mm512_mask_mov_epi8(
            _mm512_permutex2var_epi8(*p0, index, *p1),
            high,
            _mm512_permutex2var_epi8(*p2, index, *p3),
        ),
        [p0, p1, ..] => _mm512_permutex2var_epi8(*p0, index, *p1),
        _ => _mm512_set1_epi8(-1),
    })
}

/// Bit `x` set for every lane `x` whose four plane bytes are all `0xFF`:
/// an [`EMPTY_SLOT`].
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw")]
fn all_empty(planes: &[std::arch::x86_64::__m512i; 4]) -> u64 {
    use std::arch::x86_64::*;
    let [p0, p1, p2, p3] = *planes;
    // 0x80: the AND of the three inputs.
    let three = _mm512_ternarylogic_epi32::<0x80>(p0, p1, p2);
    _mm512_cmpeq_epi8_mask(_mm512_and_si512(three, p3), _mm512_set1_epi8(-1))
}

/// The four byte planes of 64 slots, bins in [`plane_position`] order:
/// byte `j` of slot `16q + 4l + i` goes to byte `16l + 4q + i` of plane
/// `j`. An in-lane byte shuffle gathers each slot quartet's bytes by
/// plane; 32- and 64-bit unpacks transpose the quartets across the four
/// vectors.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw")]
fn to_planes(slots: &[u32; PLANE_BLOCK]) -> [std::arch::x86_64::__m512i; 4] {
    use std::arch::x86_64::*;
    // Byte 4j + i of each 128-bit lane from byte 4i + j.
    let by_plane = _mm512_set4_epi32(0x0f0b_0703, 0x0e0a_0602, 0x0d09_0501, 0x0c08_0400);
    let s: [__m512i; 4] = std::array::from_fn(|q| {
        // SAFETY: slots 16q..16q + 16 of the 64 are 64 readable bytes;
        // `_mm512_loadu_si512` has no alignment requirement.
        let v = unsafe { _mm512_loadu_si512(slots.as_ptr().add(16 * q).cast()) };
        _mm512_shuffle_epi8(v, by_plane)
    });
    let t0 = _mm512_unpacklo_epi32(s[0], s[1]);
    let t1 = _mm512_unpackhi_epi32(s[0], s[1]);
    let t2 = _mm512_unpacklo_epi32(s[2], s[3]);
    let t3 = _mm512_unpackhi_epi32(s[2], s[3]);
    [
        _mm512_unpacklo_epi64(t0, t2),
        _mm512_unpackhi_epi64(t0, t2),
        _mm512_unpacklo_epi64(t1, t3),
        _mm512_unpackhi_epi64(t1, t3),
    ]
}

/// The 64 slots of four byte planes, the inverse of [`to_planes`]:
/// interleaving planes 0 and 1, 2 and 3 byte by byte, then the two
/// results word by word, gives slots in bin order.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw")]
fn from_planes(planes: &[std::arch::x86_64::__m512i; 4], slots: &mut [u32; PLANE_BLOCK]) {
    use std::arch::x86_64::*;
    let [p0, p1, p2, p3] = *planes;
    let low01 = _mm512_unpacklo_epi8(p0, p1);
    let high01 = _mm512_unpackhi_epi8(p0, p1);
    let low23 = _mm512_unpacklo_epi8(p2, p3);
    let high23 = _mm512_unpackhi_epi8(p2, p3);
    let out = [
        _mm512_unpacklo_epi16(low01, low23),
        _mm512_unpackhi_epi16(low01, low23),
        _mm512_unpacklo_epi16(high01, high23),
        _mm512_unpackhi_epi16(high01, high23),
    ];
    for (q, v) in out.into_iter().enumerate() {
        // SAFETY: slots 16q..16q + 16 of the 64 are 64 writable bytes;
        // `_mm512_storeu_si512` has no alignment requirement.
        unsafe { _mm512_storeu_si512(slots.as_mut_ptr().add(16 * q).cast(), v) };
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
        return empty_mask_sse2(chunk);
    }
    chunk
        .iter()
        .enumerate()
        .fold(0, |bits, (b, &m)| bits | u64::from(m == EMPTY_SLOT) << b)
}

/// [`empty_mask`] of 64 slots, four per SSE2 compare and move-mask.
#[cfg(target_arch = "x86_64")]
#[inline]
fn empty_mask_sse2(chunk: &[u32; 64]) -> u64 {
    use std::arch::x86_64::*;
    let mut bits = 0u64;
    for (k, four) in chunk.chunks_exact(4).enumerate() {
        // SAFETY: `four` is 16 readable bytes; `_mm_loadu_si128` has no
        // alignment requirement; SSE2 is always enabled on x86_64.
        let mask = unsafe {
            let v = _mm_loadu_si128(four.as_ptr().cast::<__m128i>());
            let eq = _mm_cmpeq_epi32(v, _mm_set1_epi32(-1));
            _mm_movemask_ps(_mm_castsi128_ps(eq))
        };
        bits |= u64::from(mask as u32 & 0xf) << (4 * k);
    }
    bits
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
        #[cfg(target_arch = "x86_64")]
        if is_x86_feature_detected!("avx512f")
            && is_x86_feature_detected!("avx512bw")
            && is_x86_feature_detected!("avx512vbmi")
        {
            // SAFETY: the processor has the features, checked just above.
            unsafe { s.densify_small_avx512(&mut avx512) };
            return (scalar, avx512);
        }
        s.densify_small_scalar(&mut avx512);
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
