//! Stage 3: shingles, hashed.
//!
//! In: a [`Tokenized`] document. Out: [`Shingles`], one 64-bit hash per
//! position for each of two views of the text:
//!
//! * **raw** word k-grams (default k = 5): every token, as normalised. A shared
//!   raw shingle is five words in a row in both texts, which is verbatim
//!   evidence; 5 is the size used by classic near-duplicate detection
//!   (Broder's shingling, datasketch and text-dedup defaults), so Jaccard on
//!   this view is comparable with theirs.
//! * **content** word k-grams (default k = 2): stop words (NLTK's English list)
//!   dropped and the rest reduced to their Snowball stems, so "stepping down"
//!   and "step down", "reports claimed" and "report claims" meet. Pairs of
//!   content words survive rewording far better than 5-grams yet are rare
//!   enough by chance that two texts on the same topic share few of them;
//!   single words would not be (on Clough & Stevenson, unrelated answers on
//!   the same topic share most of their content words).
//!
//! Each token is hashed once with xxh3 (seedless, so caches and stop-word
//! tables are shared); a shingle hash mixes its k token hashes with the seed
//! in O(k) = O(1) multiply-rotate steps, never re-hashing strings. A text with
//! fewer than k units yields one shingle of all of them, so short texts still
//! compare.
//!
//! Corpus sketching needs only the raw hashes, not offsets or sentences:
//! [`RawShingler`] computes exactly the hashes of [`raw_shingles`] into buffers
//! it reuses, and on ASCII text goes straight from the bytes to the hashes
//! (lower-case, [`crate::text::tokenize::lowercase_ascii_words`], xxh3) without building the normalised text,
//! its offset map or the token list.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use rust_stemmers::{Algorithm, Stemmer};
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64;

use crate::error::{Error, Result};
use crate::text::tokenize::{lowercase_ascii_words, words, Tokenized, WordBounds, WordScratch};

/// Which view of the text a shingle sequence was built from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum View {
    /// Every token, as normalised.
    Raw,
    /// Stemmed content words (stop words dropped).
    Content,
}

/// Shingling parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShingleParams {
    /// Words per raw shingle.
    pub raw_size: usize,
    /// Content words per content shingle.
    pub content_size: usize,
    /// Seed mixed into every shingle hash.
    pub seed: u64,
}

impl Default for ShingleParams {
    fn default() -> Self {
        ShingleParams {
            raw_size: 5,
            content_size: 2,
            seed: 42,
        }
    }
}

impl ShingleParams {
    /// Checks that both sizes are at least 1.
    pub fn validate(&self) -> Result<()> {
        if self.raw_size == 0 || self.content_size == 0 || self.raw_size > 32 {
            return Err(Error::InvalidParam(format!(
                "shingle sizes must be between 1 and 32 (raw {}, content {})",
                self.raw_size, self.content_size
            )));
        }
        Ok(())
    }
}

/// The shingles of one view of a document, in text order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shingles {
    /// The view they were built from.
    pub view: View,
    /// Units per shingle.
    pub size: usize,
    /// `units[i]` is the token index of the view's i-th unit (every token for
    /// the raw view, content words only for the content view).
    pub units: Vec<u32>,
    /// `hashes[j]` covers units `j..j + size` (or all units when there are
    /// fewer than `size`).
    pub hashes: Vec<u64>,
}

impl Shingles {
    /// Token range (first, last inclusive) covered by shingle `j`.
    pub fn token_range(&self, j: usize) -> Option<(usize, usize)> {
        let first = *self.units.get(j)?;
        let last_unit = (j + self.size).min(self.units.len()).checked_sub(1)?;
        Some((first as usize, self.units[last_unit] as usize))
    }

    /// The distinct hashes, sorted: the set that exact scores compare.
    pub fn set(&self) -> Vec<u64> {
        let mut set = self.hashes.clone();
        set.sort_unstable();
        set.dedup();
        set
    }
}

/// Hash of one normalised token (seedless).
#[inline]
pub fn token_hash(token: &str) -> u64 {
    xxh3_64(token.as_bytes())
}

const MIX: u64 = 0x9E37_79B9_7F4A_7C15;

/// Little-endian `u64` at `at`, 0 when out of bounds.
#[inline(always)]
fn read64(bytes: &[u8], at: usize) -> u64 {
    bytes
        .get(at..at.wrapping_add(8))
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map_or(0, u64::from_le_bytes)
}

/// Little-endian `u32` at `at`, 0 when out of bounds.
#[inline(always)]
fn read32(bytes: &[u8], at: usize) -> u64 {
    bytes
        .get(at..at.wrapping_add(4))
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map_or(0, |b| u64::from(u32::from_le_bytes(b)))
}

/// `xxh3_64(&bytes[at..at + len])` for `1 <= len <= 16` (the words of
/// natural text), without branching on the length: xxh3 has three formulas
/// for 1-3, 4-8 and 9-16 bytes, and word lengths jump between them at
/// random, which a branch predictor cannot follow. All three are computed
/// (their reads may reach up to 8 bytes around the word; a read out of
/// `bytes` gives 0 and is only ever used by a formula that is not
/// selected) and the right one picked by conditional moves. Longer words
/// go to `xxh3_64`. The constants are xxh3's default secret folded as in
/// `xxhash-rust`; the tests compare with `xxh3_64` for every length.
#[inline(always)]
fn xxh3_word(bytes: &[u8], at: usize, len: usize) -> u64 {
    if !(1..=16).contains(&len) {
        return bytes.get(at..at + len).map_or(0, xxh3_64);
    }
    // With 8 bytes before the word and 24 after its start, all reads fall
    // in one 32-byte window and need no bounds checks of their own.
    let window = at
        .checked_sub(8)
        .and_then(|from| bytes.get(from..from + 32))
        .and_then(|w| <&[u8; 32]>::try_from(w).ok());
    match window {
        Some(window) => xxh3_short(window, 8, len),
        None => xxh3_short(bytes, at, len),
    }
}

/// The three short formulas of xxh3 and the select (see [`xxh3_word`]).
#[inline(always)]
fn xxh3_short(bytes: &[u8], at: usize, len: usize) -> u64 {
    use std::hint::select_unpredictable;
    let end = at + len;
    let n = len as u64;
    // 1 to 3 bytes: first, middle and last byte, then xxh64's avalanche.
    let byte = |i: usize| u64::from(bytes.get(i).copied().unwrap_or(0));
    let combo = (byte(at) << 16) | (byte(at + (len >> 1)) << 24) | byte(end - 1) | (n << 8);
    let mut small = combo ^ 0x8727_5a9b;
    small ^= small >> 33;
    small = small.wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    small ^= small >> 29;
    small = small.wrapping_mul(0x1656_67B1_9E37_79F9);
    small ^= small >> 32;
    // 4 to 8 bytes: first and last four, then rrmxmx.
    let keyed = (read32(bytes, end.saturating_sub(4)).wrapping_add(read32(bytes, at) << 32))
        ^ 0xc73a_b174_c5ec_d5a2;
    let mut mid = keyed ^ keyed.rotate_left(49) ^ keyed.rotate_left(24);
    mid = mid.wrapping_mul(0x9FB2_1C65_1E98_DF25);
    mid ^= (mid >> 35).wrapping_add(n);
    mid = mid.wrapping_mul(0x9FB2_1C65_1E98_DF25);
    mid ^= mid >> 28;
    // 9 to 16 bytes: first and last eight, folded 128-bit product.
    let lo = read64(bytes, at) ^ 0x6782_737b_ea42_39b9;
    let hi = read64(bytes, end.saturating_sub(8)) ^ 0xaf56_bc3b_0996_523a;
    let product = u128::from(lo) * u128::from(hi);
    let mut large = n
        .wrapping_add(lo.swap_bytes())
        .wrapping_add(hi)
        .wrapping_add((product as u64) ^ ((product >> 64) as u64));
    large ^= large >> 37;
    large = large.wrapping_mul(0x1656_6791_9E37_79F9);
    large ^= large >> 32;
    select_unpredictable(len > 8, large, select_unpredictable(len >= 4, mid, small))
}

/// The xxh3 hashes of the words `bounds` of `lower` (the lower-cased text
/// with 8 zero bytes before it and 24 after), appended to `out`: eight
/// words at a time by [`simd::xxh3_words`] where the processor allows, the
/// rest by [`xxh3_word`]. Both give `xxh3_64` of each word.
fn hash_words(lower: &[u8], bounds: &WordBounds, kernels: Option<Kernels>, out: &mut Vec<u64>) {
    let (starts, ends) = (&bounds.starts, &bounds.ends);
    let first = out.len();
    out.resize(first + bounds.len(), 0);
    let out = &mut out[first..];
    let done = kernels.map_or(0, |k| k.xxh3_words(lower, starts, ends, out));
    for (hash, (&start, &end)) in out.iter_mut().zip(starts.iter().zip(ends)).skip(done) {
        *hash = xxh3_word(lower, start as usize + 8, end.wrapping_sub(start) as usize);
    }
}

/// The hashes of every window of five `units` (`combine` of each), in
/// order, into `out` (cleared first): eight windows at a time by
/// [`simd::combine5`] where the processor allows.
fn combine5_into(seed: u64, units: &[u64], kernels: Option<Kernels>, out: &mut Vec<u64>) {
    out.clear();
    let windows = units.len().saturating_sub(4);
    out.resize(windows, 0);
    let done = kernels.map_or(0, |k| k.combine5(seed, units, out));
    for (hash, window) in out.iter_mut().zip(units.windows(5)).skip(done) {
        *hash = combine_n::<5>(seed, window);
    }
}

/// AVX-512 twins of the word hash and the five-word combine: the same
/// results, eight 64-bit lanes at a time. Word lengths jump between
/// xxh3's three short formulas at random; a lane computes all three and
/// masks pick one, as the scalar code does with conditional moves.
#[cfg(target_arch = "x86_64")]
pub(crate) mod simd {
    use std::arch::x86_64::*;

    use super::{xxh3_word, MIX};

    /// Proof that this processor runs the kernels (AVX-512 F, DQ and BW):
    /// only [`Kernels::detect`] makes one, so its methods can call them.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) struct Kernels(());

    impl Kernels {
        /// The kernels, when this processor has their features.
        pub(crate) fn detect() -> Option<Kernels> {
            let found = is_x86_feature_detected!("avx512f")
                && is_x86_feature_detected!("avx512dq")
                && is_x86_feature_detected!("avx512bw");
            found.then_some(Kernels(()))
        }

        /// [`xxh3_words`]: the hashes of the whole blocks of eight words.
        pub(super) fn xxh3_words(
            self,
            lower: &[u8],
            starts: &[u32],
            ends: &[u32],
            out: &mut [u64],
        ) -> usize {
            // SAFETY: a `Kernels` exists only where `detect` found the
            // features.
            unsafe { xxh3_words(lower, starts, ends, out) }
        }

        /// [`combine5`]: the hashes of the whole blocks of eight windows.
        pub(super) fn combine5(self, seed: u64, units: &[u64], out: &mut [u64]) -> usize {
            // SAFETY: as in `xxh3_words`.
            unsafe { combine5(seed, units, out) }
        }
    }

    /// MurmurHash3's finaliser ([`super::fmix64`]) of each 64-bit lane.
    #[inline]
    #[target_feature(enable = "avx512f,avx512dq")]
    pub(crate) fn fmix64_lanes(mut h: __m512i) -> __m512i {
        h = _mm512_xor_si512(h, _mm512_srli_epi64::<33>(h));
        h = _mm512_mullo_epi64(h, splat(0xff51_afd7_ed55_8ccd));
        h = _mm512_xor_si512(h, _mm512_srli_epi64::<33>(h));
        h = _mm512_mullo_epi64(h, splat(0xc4ce_b9fe_1a85_ec53));
        _mm512_xor_si512(h, _mm512_srli_epi64::<33>(h))
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    fn splat(x: u64) -> __m512i {
        _mm512_set1_epi64(x as i64)
    }

    /// `xxh3_64` of the words of whole blocks of eight (`starts[i]` to
    /// `ends[i]`) into the front of `out`; returns how many words it hashed (the caller hashes
    /// the rest). `lower` is laid out as in [`super::hash_words`]; a block
    /// with a word that would read outside it, or that is reversed, stops
    /// the kernel. Words longer than 16 bytes are rare and hashed by
    /// [`xxh3_word`] after their block.
    ///
    /// # Safety
    ///
    /// The processor must support AVX-512 F, DQ and BW ([`Kernels`]).
    #[target_feature(enable = "avx512f,avx512dq,avx512bw")]
    unsafe fn xxh3_words(lower: &[u8], starts: &[u32], ends: &[u32], out: &mut [u64]) -> usize {
        // Gathers read 8 bytes at `start + 8` and at `end`: both must end
        // inside `lower`, so `end + 16 <= lower.len()` with start <= end.
        let Some(limit) = lower.len().checked_sub(16) else {
            return 0;
        };
        let limit = splat(limit as u64);
        let low32 = splat(0xFFFF_FFFF);
        let byte = splat(0xFF);
        // Reverses the bytes of each 64-bit lane.
        let swap = _mm512_set_epi8(
            8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0,
            1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
            11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7,
        );
        let base = lower.as_ptr().cast::<i64>();
        let mut done = 0;
        while let (Some(first), Some(last), Some(dst)) = (
            starts.get(done..done + 8),
            ends.get(done..done + 8),
            out.get_mut(done..done + 8),
        ) {
            // SAFETY: `first` and `last` are 8 u32 each, 32 readable bytes;
            // no alignment is required.
            let (start, end) = unsafe {
                (
                    _mm512_cvtepu32_epi64(_mm256_loadu_si256(first.as_ptr().cast())),
                    _mm512_cvtepu32_epi64(_mm256_loadu_si256(last.as_ptr().cast())),
                )
            };
            let ordered = _mm512_cmple_epu64_mask(start, end);
            let inside = _mm512_cmple_epu64_mask(end, limit);
            if ordered & inside != 0xFF {
                break;
            }
            let n = _mm512_sub_epi64(end, start);
            // SAFETY: every lane reads [start + 8, start + 16) and
            // [end, end + 8), and start <= end <= lower.len() - 16 was
            // checked just above for all eight lanes.
            let (a, b) = unsafe {
                (
                    _mm512_i64gather_epi64::<1>(_mm512_add_epi64(start, splat(8)), base),
                    _mm512_i64gather_epi64::<1>(end, base),
                )
            };
            // 1 to 3 bytes: first, middle and last byte, xxh64's avalanche.
            let mid_byte = _mm512_srlv_epi64(a, _mm512_slli_epi64::<3>(_mm512_srli_epi64::<1>(n)));
            let last_byte =
                _mm512_srlv_epi64(a, _mm512_slli_epi64::<3>(_mm512_sub_epi64(n, splat(1))));
            let combo = _mm512_or_si512(
                _mm512_or_si512(
                    _mm512_slli_epi64::<16>(_mm512_and_si512(a, byte)),
                    _mm512_slli_epi64::<24>(_mm512_and_si512(mid_byte, byte)),
                ),
                _mm512_or_si512(_mm512_and_si512(last_byte, byte), _mm512_slli_epi64::<8>(n)),
            );
            let mut small = _mm512_xor_si512(combo, splat(0x8727_5a9b));
            small = _mm512_xor_si512(small, _mm512_srli_epi64::<33>(small));
            small = _mm512_mullo_epi64(small, splat(0xC2B2_AE3D_27D4_EB4F));
            small = _mm512_xor_si512(small, _mm512_srli_epi64::<29>(small));
            small = _mm512_mullo_epi64(small, splat(0x1656_67B1_9E37_79F9));
            small = _mm512_xor_si512(small, _mm512_srli_epi64::<32>(small));
            // 4 to 8 bytes: first and last four, rrmxmx.
            let last4 = _mm512_and_si512(
                _mm512_srlv_epi64(a, _mm512_slli_epi64::<3>(_mm512_sub_epi64(n, splat(4)))),
                low32,
            );
            let keyed = _mm512_xor_si512(
                _mm512_add_epi64(last4, _mm512_slli_epi64::<32>(a)),
                splat(0xc73a_b174_c5ec_d5a2),
            );
            let mut mid = _mm512_ternarylogic_epi64::<0x96>(
                keyed,
                _mm512_rol_epi64::<49>(keyed),
                _mm512_rol_epi64::<24>(keyed),
            );
            mid = _mm512_mullo_epi64(mid, splat(0x9FB2_1C65_1E98_DF25));
            mid = _mm512_xor_si512(mid, _mm512_add_epi64(_mm512_srli_epi64::<35>(mid), n));
            mid = _mm512_mullo_epi64(mid, splat(0x9FB2_1C65_1E98_DF25));
            mid = _mm512_xor_si512(mid, _mm512_srli_epi64::<28>(mid));
            // 9 to 16 bytes: first and last eight, folded 128-bit product.
            let lo = _mm512_xor_si512(a, splat(0x6782_737b_ea42_39b9));
            let hi = _mm512_xor_si512(b, splat(0xaf56_bc3b_0996_523a));
            let fold = mul128_fold(lo, hi);
            let mut large = _mm512_add_epi64(
                _mm512_add_epi64(n, _mm512_shuffle_epi8(lo, swap)),
                _mm512_add_epi64(hi, fold),
            );
            large = _mm512_xor_si512(large, _mm512_srli_epi64::<37>(large));
            large = _mm512_mullo_epi64(large, splat(0x1656_6791_9E37_79F9));
            large = _mm512_xor_si512(large, _mm512_srli_epi64::<32>(large));
            let at_least_4 = _mm512_cmpge_epu64_mask(n, splat(4));
            let over_8 = _mm512_cmpgt_epu64_mask(n, splat(8));
            let hash = _mm512_mask_blend_epi64(
                over_8,
                _mm512_mask_blend_epi64(at_least_4, small, mid),
                large,
            );
            // SAFETY: `dst` is 8 writable u64.
            unsafe { _mm512_storeu_si512(dst.as_mut_ptr().cast(), hash) };
            // Empty words (never produced) and long ones: the scalar hash.
            let mut odd =
                _mm512_cmpgt_epu64_mask(n, splat(16)) | _mm512_cmpeq_epu64_mask(n, splat(0));
            while odd != 0 {
                let lane = odd.trailing_zeros() as usize;
                odd &= odd - 1;
                if let (Some(slot), Some(&s), Some(&e)) =
                    (dst.get_mut(lane), first.get(lane), last.get(lane))
                {
                    *slot = xxh3_word(lower, s as usize + 8, (e - s) as usize);
                }
            }
            done += 8;
        }
        done
    }

    /// The 128-bit product of each lane pair, high half xor low half
    /// (xxh3's `mul128_fold64`), from four 32 x 32 -> 64 products.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn mul128_fold(a: __m512i, b: __m512i) -> __m512i {
        let low32 = splat(0xFFFF_FFFF);
        let a_hi = _mm512_srli_epi64::<32>(a);
        let b_hi = _mm512_srli_epi64::<32>(b);
        let ll = _mm512_mul_epu32(a, b);
        let lh = _mm512_mul_epu32(a, b_hi);
        let hl = _mm512_mul_epu32(a_hi, b);
        let hh = _mm512_mul_epu32(a_hi, b_hi);
        // The middle column with the carry out of the low word: under
        // 3 * 2^32, no overflow.
        let cross = _mm512_add_epi64(
            _mm512_add_epi64(_mm512_srli_epi64::<32>(ll), _mm512_and_si512(lh, low32)),
            _mm512_and_si512(hl, low32),
        );
        let low = _mm512_or_si512(_mm512_and_si512(ll, low32), _mm512_slli_epi64::<32>(cross));
        let high = _mm512_add_epi64(
            _mm512_add_epi64(hh, _mm512_srli_epi64::<32>(lh)),
            _mm512_add_epi64(_mm512_srli_epi64::<32>(hl), _mm512_srli_epi64::<32>(cross)),
        );
        _mm512_xor_si512(low, high)
    }

    /// `combine` of the windows of five `units` starting at 0, 8, 16, ...
    /// into the front of `out`, eight at a time; returns how many windows
    /// it hashed (the caller hashes the rest).
    ///
    /// # Safety
    ///
    /// The processor must support AVX-512 F and DQ ([`Kernels`]).
    #[target_feature(enable = "avx512f,avx512dq")]
    unsafe fn combine5(seed: u64, units: &[u64], out: &mut [u64]) -> usize {
        let first = splat(seed ^ 5u64.wrapping_mul(MIX));
        let mix = splat(MIX);
        let mut done = 0;
        // Windows done..done + 8 read units done..done + 12.
        while let (Some(span), Some(dst)) =
            (units.get(done..done + 12), out.get_mut(done..done + 8))
        {
            let mut h = first;
            for shift in 0..5 {
                // SAFETY: span[shift..shift + 8] is inside `span` (shift
                // <= 4, 12 units): 64 readable bytes.
                let t = unsafe { _mm512_loadu_si512(span.as_ptr().add(shift).cast()) };
                h = _mm512_mullo_epi64(_mm512_xor_si512(_mm512_rol_epi64::<27>(h), t), mix);
            }
            h = fmix64_lanes(h);
            // SAFETY: `dst` is 8 writable u64.
            unsafe { _mm512_storeu_si512(dst.as_mut_ptr().cast(), h) };
            done += 8;
        }
        done
    }
}

/// Without x86-64, the kernels never run: `Kernels` has no value.
#[cfg(not(target_arch = "x86_64"))]
mod simd {
    /// Never made (see the x86-64 version).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum Kernels {}

    impl Kernels {
        pub(crate) fn detect() -> Option<Kernels> {
            None
        }

        pub(super) fn xxh3_words(self, _: &[u8], _: &[u32], _: &[u32], _: &mut [u64]) -> usize {
            match self {}
        }

        pub(super) fn combine5(self, _: u64, _: &[u64], _: &mut [u64]) -> usize {
            match self {}
        }
    }
}

use simd::Kernels;

/// Finaliser of MurmurHash3: spreads every input bit over the output.
#[inline]
pub fn fmix64(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// Combines a window of token hashes and the seed into one shingle hash.
/// Order matters: "a b" and "b a" differ.
#[inline]
pub fn combine(seed: u64, window: &[u64]) -> u64 {
    let mut h = seed ^ (window.len() as u64).wrapping_mul(MIX);
    for &t in window {
        h = (h.rotate_left(27) ^ t).wrapping_mul(MIX);
    }
    fmix64(h)
}

/// [`combine`] for windows of a size known at compile time (so the loop
/// unrolls); `window` holds at least `N` hashes, of which the first `N`
/// count.
#[inline]
fn combine_n<const N: usize>(seed: u64, window: &[u64]) -> u64 {
    let window = &window[..N.min(window.len())];
    let mut h = seed ^ (window.len() as u64).wrapping_mul(MIX);
    for &t in window {
        h = (h.rotate_left(27) ^ t).wrapping_mul(MIX);
    }
    fmix64(h)
}

fn windows_to_hashes(seed: u64, unit_hashes: &[u64], size: usize) -> Vec<u64> {
    if unit_hashes.is_empty() {
        return Vec::new();
    }
    if unit_hashes.len() < size {
        return vec![combine(seed, unit_hashes)];
    }
    unit_hashes
        .windows(size)
        .map(|w| combine(seed, w))
        .collect()
}

/// Raw shingles of a tokenised document.
pub fn raw_shingles(doc: &Tokenized<'_>, params: &ShingleParams) -> Shingles {
    let unit_hashes: Vec<u64> = (0..doc.tokens.len())
        .map(|i| token_hash(doc.token_text(i)))
        .collect();
    Shingles {
        view: View::Raw,
        size: params.raw_size,
        units: (0..doc.tokens.len() as u32).collect(),
        hashes: windows_to_hashes(params.seed, &unit_hashes, params.raw_size),
    }
}

/// Raw shingle hashes of one text after another, with buffers reused across
/// texts: the hashes equal `raw_shingles(&tokenize(text), params).hashes`.
#[derive(Debug, Clone)]
pub struct RawShingler {
    params: ShingleParams,
    lower: Vec<u8>,
    words: WordScratch,
    /// Where the words of the lower-cased text start and end.
    bounds: WordBounds,
    units: Vec<u64>,
    hashes: Vec<u64>,
    /// The AVX-512 hashing kernels, when the processor has them and they
    /// were not turned off ([`RawShingler::portable`]); the tokenising
    /// kernel checks its own features too.
    simd: Option<Kernels>,
}

impl RawShingler {
    /// A shingler for `params` (checked).
    pub fn new(params: ShingleParams) -> Result<RawShingler> {
        params.validate()?;
        Ok(RawShingler {
            params,
            lower: Vec::new(),
            words: WordScratch::default(),
            bounds: WordBounds::default(),
            units: Vec::new(),
            hashes: Vec::new(),
            simd: Kernels::detect(),
        })
    }

    /// The same shingler on the portable code path only (the AVX-512
    /// kernels compute the same hashes; tests compare the two).
    pub fn portable(mut self) -> RawShingler {
        self.simd = None;
        self
    }

    /// The parameters.
    pub fn params(&self) -> &ShingleParams {
        &self.params
    }

    /// The raw shingle hashes of `text`, in text order (valid until the next
    /// call).
    pub fn shingle(&mut self, text: &str) -> &[u64] {
        self.words_of(text);
        let (seed, size) = (self.params.seed, self.params.raw_size);
        self.hashes.clear();
        if self.units.len() < size {
            if !self.units.is_empty() {
                self.hashes.push(combine(seed, &self.units));
            }
        } else if size == 5 {
            // The default size, unrolled: same hashes as `combine`.
            combine5_into(seed, &self.units, self.simd, &mut self.hashes);
        } else {
            self.hashes
                .extend(self.units.windows(size).map(|w| combine(seed, w)));
        }
        &self.hashes
    }

    /// The token hashes of `text` into `self.units`.
    fn words_of(&mut self, text: &str) {
        self.units.clear();
        self.lower.clear();
        // Eight bytes before the text and 24 after keep the hash's reads
        // in one window (see `xxh3_word`).
        self.lower.extend_from_slice(&[0; 8]);
        // ASCII normalisation only lower-cases and folds white space, and
        // white space never sits inside a word, so the words of the
        // lower-cased bytes are the normalised tokens.
        // Find the words first, then hash them in a second tight loop:
        // two simple loops run faster than one that does both.
        let ascii = lowercase_ascii_words(
            text.as_bytes(),
            &mut self.lower,
            &mut self.words,
            self.simd.is_some(),
            &mut self.bounds,
        );
        if ascii {
            self.lower.extend_from_slice(&[0; 24]);
            hash_words(&self.lower, &self.bounds, self.simd, &mut self.units);
        } else {
            // Shingles need the words only, not the sentences.
            let (normalized, tokens) = words(text);
            self.units.extend(
                tokens
                    .iter()
                    .map(|t| token_hash(normalized.text.get(t.norm_span()).unwrap_or(""))),
            );
        }
    }

    /// Number of tokens of the last text shingled.
    pub fn token_count(&self) -> usize {
        self.units.len()
    }
}

/// Content-word shingles of a tokenised document.
pub fn content_shingles(doc: &Tokenized<'_>, params: &ShingleParams) -> Shingles {
    let mut units = Vec::with_capacity(doc.tokens.len() / 2);
    let mut unit_hashes = Vec::with_capacity(doc.tokens.len() / 2);
    for i in 0..doc.tokens.len() {
        if let Some(stem) = content_term(doc.token_text(i)) {
            units.push(i as u32);
            unit_hashes.push(stem);
        }
    }
    Shingles {
        view: View::Content,
        size: params.content_size,
        hashes: windows_to_hashes(params.seed, &unit_hashes, params.content_size),
        units,
    }
}

fn stop_words() -> &'static HashSet<u64> {
    static STOP: OnceLock<HashSet<u64>> = OnceLock::new();
    STOP.get_or_init(|| {
        stop_words::lookup("en")
            .unwrap_or(&[])
            .iter()
            .map(|w| token_hash(w))
            .collect()
    })
}

thread_local! {
    /// Per-thread Snowball stemmer and memo of token hash -> stem hash
    /// (`None` for stop words): stemming dominates the content view, and
    /// natural text repeats its words.
    static STEMS: RefCell<(Stemmer, HashMap<u64, Option<u64>>)> =
        RefCell::new((Stemmer::create(Algorithm::English), HashMap::new()));
}

const STEM_CACHE_LIMIT: usize = 1 << 20;

/// The stem hash of a normalised token, or `None` for a stop word.
pub fn content_term(token: &str) -> Option<u64> {
    let hash = token_hash(token);
    STEMS.with(|cell| {
        let mut guard = cell.borrow_mut();
        let (stemmer, cache) = &mut *guard;
        if let Some(&hit) = cache.get(&hash) {
            return hit;
        }
        let term = if stop_words().contains(&hash) {
            None
        } else {
            Some(token_hash(&stemmer.stem(token)))
        };
        if cache.len() >= STEM_CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(hash, term);
        term
    })
}

/// The stem of a normalised token as text, or `None` for a stop word (for
/// display and tests; scoring uses [`content_term`]).
pub fn stem(token: &str) -> Option<String> {
    if stop_words().contains(&token_hash(token)) {
        return None;
    }
    Some(Stemmer::create(Algorithm::English).stem(token).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::tokenize::tokenize;

    #[test]
    fn word_hash_is_xxh3() {
        let text: Vec<u8> = (0..200u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for at in 0..60 {
            for len in 1..=40 {
                let want = xxh3_64(&text[at..at + len]);
                assert_eq!(xxh3_word(&text, at, len), want, "at {at} len {len}");
                // No bytes around the word to over-read.
                let alone = text[at..at + len].to_vec();
                assert_eq!(xxh3_word(&alone, 0, len), want, "len {len} alone");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn word_hash_is_xxh3_anywhere(
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 1..48),
            cut in 0usize..48,
        ) {
            let at = cut % bytes.len();
            for len in 1..=bytes.len() - at {
                proptest::prop_assert_eq!(
                    xxh3_word(&bytes, at, len),
                    xxh3_64(&bytes[at..at + len])
                );
            }
        }
    }

    #[test]
    fn raw_shingles_count_and_ranges() {
        let doc = tokenize("one two three four five six seven");
        let s = raw_shingles(&doc, &ShingleParams::default());
        assert_eq!(s.hashes.len(), 3);
        assert_eq!(s.token_range(2), Some((2, 6)));
    }

    #[test]
    fn short_text_yields_one_shingle() {
        let doc = tokenize("two words");
        assert_eq!(
            raw_shingles(&doc, &ShingleParams::default()).hashes.len(),
            1
        );
        assert!(raw_shingles(&tokenize(""), &ShingleParams::default())
            .hashes
            .is_empty());
    }

    #[test]
    fn case_and_quotes_do_not_change_hashes() {
        let p = ShingleParams::default();
        let a = raw_shingles(&tokenize("Patel’s comments were in stark contrast"), &p);
        let b = raw_shingles(&tokenize("patel's COMMENTS were in  stark contrast"), &p);
        assert_eq!(a.hashes, b.hashes);
    }

    #[test]
    fn content_view_survives_inflection_and_stopwords() {
        let p = ShingleParams::default();
        let a = content_shingles(&tokenize("in exchange for him stepping down"), &p);
        let b = content_shingles(&tokenize("in exchange for stepping down"), &p);
        assert_eq!(a.set(), b.set());
        assert_eq!(stem("stepping").as_deref(), Some("step"));
        assert_eq!(stem("the"), None);
    }

    fn reference(text: &str, params: &ShingleParams) -> (Vec<u64>, usize) {
        let doc = tokenize(text);
        (raw_shingles(&doc, params).hashes, doc.tokens.len())
    }

    #[test]
    fn shingler_matches_raw_shingles() {
        let texts = [
            "",
            "one",
            "The  State\t\tDept.\r\nSaid it's 3.14 U.S. dlrs",
            include_str!("../../samples/original.txt"),
            include_str!("../../samples/rewrite.txt"),
            "東京都に住む Café ﬁne",
        ];
        for size in [1, 2, 5] {
            let params = ShingleParams {
                raw_size: size,
                ..ShingleParams::default()
            };
            let mut shingler = RawShingler::new(params).unwrap();
            for text in texts {
                let got = shingler.shingle(text).to_vec();
                assert_eq!((got, shingler.token_count()), reference(text, &params));
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn shingler_matches_raw_shingles_on_random_text(
            ascii in proptest::string::string_regex("[ -~\t\n]{0,120}").unwrap(),
            any in "\\PC{0,60}",
        ) {
            let params = ShingleParams::default();
            let mut shingler = RawShingler::new(params).unwrap();
            for text in [&ascii, &any] {
                let got = shingler.shingle(text).to_vec();
                proptest::prop_assert_eq!((got, shingler.token_count()), reference(text, &params));
            }
        }
    }

    proptest::proptest! {
        /// Texts of many words of every length from 1 to 24 bytes, so that
        /// the AVX-512 kernels (blocks of eight words and eight windows)
        /// see all three short xxh3 formulas and the long words they leave
        /// to the scalar hash: both paths give the reference hashes.
        #[test]
        fn kernels_match_the_portable_path(
            words in proptest::collection::vec("[a-zA-Z0-9]{1,24}|[a-z]{1,3}'[a-z]{1,3}", 0..200),
            seps in proptest::collection::vec("[ ,.;\n]{1,3}", 200),
            seed in proptest::num::u64::ANY,
        ) {
            let text: String = words
                .iter()
                .zip(&seps)
                .map(|(w, s)| format!("{w}{s}"))
                .collect();
            let params = ShingleParams { seed, ..ShingleParams::default() };
            let mut fast = RawShingler::new(params).unwrap();
            let mut portable = RawShingler::new(params).unwrap().portable();
            let expected = reference(&text, &params);
            proptest::prop_assert_eq!((fast.shingle(&text).to_vec(), fast.token_count()), expected.clone());
            proptest::prop_assert_eq!((portable.shingle(&text).to_vec(), portable.token_count()), expected);
        }
    }

    #[test]
    fn seed_and_order_matter() {
        assert_ne!(combine(1, &[1, 2]), combine(2, &[1, 2]));
        assert_ne!(combine(1, &[1, 2]), combine(1, &[2, 1]));
    }
}
