//! The key of an LSH band: a multiply chain over the band's rows, then
//! MurmurHash3's finaliser, and its AVX-512 kernel that keys eight bands at
//! once, one 64-bit lane each.

use super::hash::fmix64;

/// Multiplier of each step of a band key's chain.
pub(crate) const BAND_MIX: u64 = 0x9E37_79B9_7F4A_7C15;

/// The key of band `band` over its rows `slots`: one multiply chain, then
/// [`fmix64`]. `lsh::band_key`, `lsh::band_keys_into` and, lane by lane,
/// the AVX-512 kernel compute it.
#[inline]
pub(crate) fn band_chain(band: usize, slots: impl Iterator<Item = u32>) -> u64 {
    let mut h = band_seed(band);
    for slot in slots {
        h = (h ^ u64::from(slot)).wrapping_mul(BAND_MIX);
        h ^= h >> 29;
    }
    fmix64(h)
}

/// The first hash state of band `band`'s key.
#[inline]
pub(crate) fn band_seed(band: usize) -> u64 {
    (band as u64).wrapping_mul(BAND_MIX) ^ 0x6C73_685F_6B65_7921
}

#[cfg(target_arch = "x86_64")]
pub(crate) use avx512::BandKernels;

/// Without x86-64 the kernel never runs: `BandKernels` has no value.
#[cfg(not(target_arch = "x86_64"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BandKernels {}

#[cfg(not(target_arch = "x86_64"))]
impl BandKernels {
    pub(crate) fn band_blocks(self, _: &[u32], _: usize, _: usize, _: &mut Vec<u64>) -> usize {
        match self {}
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::{band_seed, BAND_MIX};
    use crate::kernels::fmix64_lanes;

    /// Proof that this processor runs [`band_blocks`] (AVX-512 F and DQ):
    /// only [`Kernels::get`](crate::kernels::Kernels::get) makes one.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) struct BandKernels(pub(in crate::kernels) ());

    impl BandKernels {
        /// [`band_blocks`]: the keys of the whole blocks of eight bands.
        pub(crate) fn band_blocks(
            self,
            slots: &[u32],
            rows: usize,
            bands: usize,
            out: &mut Vec<u64>,
        ) -> usize {
            if bands < AVX512_LANES {
                return 0;
            }
            // SAFETY: a `BandKernels` exists only where `Kernels::get`
            // found the features.
            unsafe { band_blocks(slots, rows, bands, out) }
        }
    }

    /// Bands keyed at once by [`band_blocks`].
    const AVX512_LANES: usize = 8;

    /// The keys of the whole blocks of eight bands of a signature, appended to
    /// `out`; returns how many bands it keyed. Each 64-bit lane of one AVX-512
    /// register runs one band's chain of [`band_chain`], fed by an 8-slot gather
    /// per row (`rows` slots per band, `bands` bands). At 9 x 13: see
    /// `cargo bench --bench lsh -- lsh_band_keys`.
    ///
    /// # Safety
    ///
    /// The processor must support AVX-512 F and DQ.
    #[target_feature(enable = "avx512f,avx512dq,avx2")]
    unsafe fn band_blocks(slots: &[u32], rows: usize, bands: usize, out: &mut Vec<u64>) -> usize {
        use std::arch::x86_64::*;
        // Gather indices are i32: the last lane's, 7 * rows + row, must fit,
        // so bands of more rows than that (never seen: K is at most 65,536)
        // are left to the scalar path.
        let fits = rows
            .checked_mul(AVX512_LANES)
            .is_some_and(|span| i32::try_from(span).is_ok());
        let (true, Ok(stride)) = (fits, i32::try_from(rows)) else {
            return 0;
        };
        // Lane l reads slot l * rows + row of the block.
        let lanes = _mm256_mullo_epi32(
            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
            _mm256_set1_epi32(stride),
        );
        let golden = _mm512_set1_epi64(BAND_MIX as i64);
        let mut band = 0;
        while band + AVX512_LANES <= bands {
            let Some(block) = slots.get(band * rows..(band + AVX512_LANES) * rows) else {
                break;
            };
            let seeds: [u64; AVX512_LANES] = std::array::from_fn(|lane| band_seed(band + lane));
            // SAFETY: `seeds` is 64 readable bytes; unaligned loads are fine.
            let mut h = unsafe { _mm512_loadu_si512(seeds.as_ptr().cast()) };
            for row in 0..rows {
                // SAFETY: lane l reads block[l * rows + row], and l < 8, row <
                // rows, so every read is inside `block` (8 * rows slots).
                let s =
                    unsafe { _mm256_i32gather_epi32::<4>(block.as_ptr().add(row).cast(), lanes) };
                h = _mm512_mullo_epi64(_mm512_xor_si512(h, _mm512_cvtepu32_epi64(s)), golden);
                h = _mm512_xor_si512(h, _mm512_srli_epi64::<29>(h));
            }
            h = fmix64_lanes(h);
            let mut keys = [0u64; AVX512_LANES];
            // SAFETY: `keys` is 64 writable bytes; unaligned stores are fine.
            unsafe { _mm512_storeu_si512(keys.as_mut_ptr().cast(), h) };
            out.extend_from_slice(&keys);
            band += AVX512_LANES;
        }
        band
    }
}
