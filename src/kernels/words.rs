//! AVX-512 twins of the word hash and the five-word combine of
//! [`super::hash`], on plain slices, and [`WordKernels`](imp::WordKernels),
//! the proof that this processor runs them.

/// AVX-512 twins of the word hash and the five-word combine: the same
/// results, eight 64-bit lanes at a time. Word lengths jump between
/// xxh3's three short formulas at random; a lane computes all three and
/// masks pick one, as the scalar code does with conditional moves.
#[cfg(target_arch = "x86_64")]
pub(crate) mod imp {
    use std::arch::x86_64::*;

    use crate::kernels::hash::{xxh3_word, MIX};

    /// Proof that this processor runs the kernels (AVX-512 F, DQ and BW):
    /// only [`Kernels::get`](crate::kernels::Kernels::get) makes one, so
    /// its methods can call them.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) struct WordKernels(pub(in crate::kernels) ());

    impl WordKernels {
        /// [`xxh3_words`]: the hashes of the whole blocks of eight words.
        pub(crate) fn xxh3_words(
            self,
            lower: &[u8],
            starts: &[u32],
            ends: &[u32],
            out: &mut [u64],
        ) -> usize {
            // SAFETY: a `WordKernels` exists only where `Kernels::get`
            // found the features.
            unsafe { xxh3_words(lower, starts, ends, out) }
        }

        /// [`combine5`]: the hashes of the whole blocks of eight windows.
        pub(crate) fn combine5(self, seed: u64, units: &[u64], out: &mut [u64]) -> usize {
            // SAFETY: as in `xxh3_words`.
            unsafe { combine5(seed, units, out) }
        }
    }

    /// MurmurHash3's finaliser ([`crate::kernels::hash::fmix64`]) of each 64-bit lane.
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
    /// the rest). `lower` is laid out as in [`crate::kernels::hash::hash_words`]; a block
    /// with a word that would read outside it, or that is reversed, stops
    /// the kernel. Words longer than 16 bytes are rare and hashed by
    /// [`xxh3_word`] after their block.
    ///
    /// # Safety
    ///
    /// The processor must support AVX-512 F, DQ and BW ([`WordKernels`]).
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
    /// The processor must support AVX-512 F and DQ ([`WordKernels`]).
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

/// Without x86-64, the kernels never run: `WordKernels` has no value.
#[cfg(not(target_arch = "x86_64"))]
pub(crate) mod imp {
    /// Never made (see the x86-64 version).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum WordKernels {}

    impl WordKernels {
        pub(crate) fn xxh3_words(self, _: &[u8], _: &[u32], _: &[u32], _: &mut [u64]) -> usize {
            match self {}
        }

        pub(crate) fn combine5(self, _: u64, _: &[u64], _: &mut [u64]) -> usize {
            match self {}
        }
    }
}
