//! Byte scans of ASCII text: whether it is ASCII, the bit masks of word
//! and joiner bytes in 64-byte blocks, lower-casing 16 bytes at a time
//! (SSE2, in every x86-64 processor, with portable twins that the tests
//! compare), and the AVX-512 kernels of the word finder.

/// Whether every byte is ASCII, 64 bytes per step.
pub(crate) fn is_ascii(bytes: &[u8]) -> bool {
    let mut chunks = bytes.chunks_exact(64);
    for chunk in chunks.by_ref() {
        let block: &[u8; 64] = chunk.try_into().unwrap_or(&[0; 64]);
        let mut words = [0u64; 8];
        for (w, b) in words.iter_mut().zip(block.chunks_exact(8)) {
            *w = u64::from_le_bytes(b.try_into().unwrap_or([0; 8]));
        }
        if words.iter().fold(0, |a, &w| a | w) & 0x8080_8080_8080_8080 != 0 {
            return false;
        }
    }
    chunks.remainder().is_ascii()
}

/// `bytes` as a `str` when every byte is ASCII ([`is_ascii`], 64 bytes a
/// step, faster than validating UTF-8), else `None`.
pub(crate) fn ascii_str(bytes: &[u8]) -> Option<&str> {
    // SAFETY: every byte is ASCII, and ASCII is valid UTF-8.
    is_ascii(bytes).then(|| unsafe { std::str::from_utf8_unchecked(bytes) })
}

/// Bit masks of one 64-byte block: word bytes (letters, digits, `_`) and
/// bytes that may join two words (`.` `'` `:` `,` `;`). The portable
/// version; [`block_masks`] uses SSE2 where available and the tests compare
/// the two.
#[cfg(any(test, not(target_arch = "x86_64")))]
#[inline]
pub(crate) fn block_masks_scalar(block: &[u8; 64]) -> (u64, u64) {
    let mut word = 0u64;
    let mut joiner = 0u64;
    for (i, &b) in block.iter().enumerate() {
        let lower = b | 0x20;
        let is_word = lower.wrapping_sub(b'a') < 26 || b.wrapping_sub(b'0') < 10 || b == b'_';
        let is_joiner = b == b'.' || b == b'\'' || b == b':' || b == b',' || b == b';';
        word |= u64::from(is_word) << i;
        joiner |= u64::from(is_joiner) << i;
    }
    (word, joiner)
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
pub(crate) fn block_masks(block: &[u8; 64]) -> (u64, u64) {
    block_masks_scalar(block)
}

/// SSE2 (part of every x86-64 CPU) version of [`block_masks_scalar`]: 16
/// bytes per step, about 1.5 instructions a byte instead of 30.
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn block_masks(block: &[u8; 64]) -> (u64, u64) {
    use std::arch::x86_64::*;
    let mut word = 0u64;
    let mut joiner = 0u64;
    for (k, lane) in block.chunks_exact(16).enumerate() {
        // SAFETY: `lane` is 16 readable bytes (a chunk of the 64-byte
        // block); `_mm_loadu_si128` has no alignment requirement; SSE2 is
        // always enabled on x86_64.
        let (w, j) = unsafe {
            let v = _mm_loadu_si128(lane.as_ptr().cast::<__m128i>());
            let in_range = |x: __m128i, lo: i8, len: i8| {
                // (x - lo) as unsigned <= len - 1, via min.
                let d = _mm_sub_epi8(x, _mm_set1_epi8(lo));
                _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(len - 1)), d)
            };
            let letter = in_range(_mm_or_si128(v, _mm_set1_epi8(0x20)), b'a' as i8, 26);
            let digit = in_range(v, b'0' as i8, 10);
            let under = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'_' as i8));
            let w = _mm_or_si128(_mm_or_si128(letter, digit), under);
            let eq = |c: u8| _mm_cmpeq_epi8(v, _mm_set1_epi8(c as i8));
            let j = _mm_or_si128(
                _mm_or_si128(
                    _mm_or_si128(eq(b'.'), eq(b'\'')),
                    _mm_or_si128(eq(b':'), eq(b',')),
                ),
                eq(b';'),
            );
            (_mm_movemask_epi8(w) as u16, _mm_movemask_epi8(j) as u16)
        };
        word |= u64::from(w) << (16 * k);
        joiner |= u64::from(j) << (16 * k);
    }
    (word, joiner)
}

/// Sixteen bytes lower-cased (ASCII letters only) and the OR of the input
/// bytes: the portable version of [`lower16`].
#[cfg(any(test, not(target_arch = "x86_64")))]
#[inline]
pub(crate) fn lower16_scalar(lane: &[u8; 16]) -> ([u8; 16], u8) {
    let mut out = *lane;
    out.make_ascii_lowercase();
    (out, lane.iter().fold(0, |a, &b| a | b))
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
pub(crate) fn lower16(lane: &[u8; 16]) -> ([u8; 16], u8) {
    lower16_scalar(lane)
}

/// SSE2 version of [`lower16_scalar`]; the returned OR only tells whether
/// a byte had its high bit set (0x80) or not (0).
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn lower16(lane: &[u8; 16]) -> ([u8; 16], u8) {
    use std::arch::x86_64::*;
    let mut out = [0u8; 16];
    // SAFETY: `lane` and `out` are 16 bytes each; unaligned loads and
    // stores have no alignment requirement; SSE2 is always enabled on
    // x86_64.
    let high = unsafe {
        let v = _mm_loadu_si128(lane.as_ptr().cast::<__m128i>());
        // Unsigned (v - 'A') <= 25, via min.
        let d = _mm_sub_epi8(v, _mm_set1_epi8(b'A' as i8));
        let upper = _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(25)), d);
        let lower = _mm_or_si128(v, _mm_and_si128(upper, _mm_set1_epi8(0x20)));
        _mm_storeu_si128(out.as_mut_ptr().cast::<__m128i>(), lower);
        _mm_movemask_epi8(v)
    };
    (out, if high != 0 { 0x80 } else { 0 })
}

/// Position of the first `", `\\` or control character (< 0x20): the
/// portable version, which [`find_special`] must agree with.
#[cfg(any(test, not(target_arch = "x86_64")))]
pub(crate) fn find_special_scalar(bytes: &[u8]) -> Option<usize> {
    bytes
        .iter()
        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
}

#[cfg(not(target_arch = "x86_64"))]
pub(crate) fn find_special(bytes: &[u8]) -> Option<usize> {
    find_special_scalar(bytes)
}

/// SSE2 (part of every x86-64 CPU) version of [`find_special_scalar`], 16
/// bytes a step: JSON strings are long runs between escapes (the JSON Lines
/// fast path looks for the end of a string with it).
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn find_special(bytes: &[u8]) -> Option<usize> {
    use std::arch::x86_64::*;
    let mut chunks = bytes.chunks_exact(16);
    let mut base = 0;
    for chunk in chunks.by_ref() {
        // SAFETY: `chunk` is 16 readable bytes; `_mm_loadu_si128` has no
        // alignment requirement; SSE2 is always enabled on x86_64.
        let mask = unsafe {
            let v = _mm_loadu_si128(chunk.as_ptr().cast::<__m128i>());
            let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
            let slash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
            // Unsigned c <= 0x1f, via min.
            let control = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v);
            _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, slash), control))
        };
        if mask != 0 {
            return Some(base + mask.trailing_zeros() as usize);
        }
        base += 16;
    }
    chunks
        .remainder()
        .iter()
        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
        .map(|i| base + i)
}

/// AVX-512 kernels of the ASCII word finder: lower-casing with the word
/// masks in one pass, and the word bounds compressed out of the masks.
#[cfg(target_arch = "x86_64")]
pub(crate) mod avx512 {
    /// Proof that this processor runs the kernels (AVX-512 F, BW and
    /// VBMI2): only [`Kernels::get`](crate::kernels::Kernels::get) makes
    /// one.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) struct AsciiKernels(pub(in crate::kernels) ());

    impl AsciiKernels {
        /// [`lower_masks`]: `text` lower-cased onto `out`, its masks into
        /// `words` and `joiners`; (all ASCII, had an underscore).
        pub(crate) fn lower_masks(
            self,
            text: &[u8],
            out: &mut Vec<u8>,
            words: &mut Vec<u64>,
            joiners: &mut Vec<u64>,
        ) -> (bool, bool) {
            // SAFETY: an `AsciiKernels` exists only where `Kernels::get`
            // found the features.
            unsafe { lower_masks(text, out, words, joiners) }
        }

        /// [`word_bounds`]: the starts and ends of the runs of word bits.
        pub(crate) fn word_bounds(self, words: &[u64], starts: &mut Vec<u32>, ends: &mut Vec<u32>) {
            // SAFETY: as in `lower_masks`.
            unsafe { word_bounds(words, starts, ends) }
        }
    }

    /// The starts and ends of the runs of word bits in `words` (the masks of
    /// consecutive 64-byte blocks) appended to `starts` and `ends`, in order; a run still
    /// open after the last block gets no end. A start is a word bit after a
    /// non-word bit, an end a non-word bit after a word bit; VBMI2's byte
    /// compress packs the positions of a block's starts (at most 32, as two
    /// are never adjacent), then they are widened to `u32` sixteen at a time.
    ///
    /// # Safety
    ///
    /// The processor must support AVX-512 F, BW and VBMI2.
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi2")]
    unsafe fn word_bounds(words: &[u64], starts: &mut Vec<u32>, ends: &mut Vec<u32>) {
        use std::arch::x86_64::*;
        let iota = _mm512_set_epi8(
            63, 62, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42,
            41, 40, 39, 38, 37, 36, 35, 34, 33, 32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20,
            19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0,
        );
        // Appends the positions of the set bits of `bits` (at most 32, none
        // adjacent) plus `base`.
        let push = |bits: u64, base: u32, out: &mut Vec<u32>| {
            if bits == 0 {
                return;
            }
            let count = (bits.count_ones() as usize).min(32);
            out.reserve(32);
            let len = out.len();
            let spare = out.spare_capacity_mut();
            let packed = _mm512_maskz_compress_epi8(bits, iota);
            let base = _mm512_set1_epi32(base as i32);
            let low = _mm512_add_epi32(_mm512_cvtepu8_epi32(_mm512_castsi512_si128(packed)), base);
            let high = _mm512_add_epi32(
                _mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32::<1>(packed)),
                base,
            );
            if let Some(slots) = spare.get_mut(..32) {
                // SAFETY: `slots` is 32 u32 of spare capacity (reserved just
                // above), 128 writable bytes; no alignment is required.
                unsafe {
                    _mm512_storeu_si512(slots.as_mut_ptr().cast(), low);
                    _mm512_storeu_si512(slots.as_mut_ptr().add(16).cast(), high);
                }
                // SAFETY: the first `count` (<= 32) of them were just written.
                unsafe { out.set_len(len + count) };
            }
        };
        let mut carry = 0u64;
        for (k, &w) in words.iter().enumerate() {
            let prev = (w << 1) | carry;
            carry = w >> 63;
            let base = (k * 64) as u32;
            push(w & !prev, base, starts);
            push(!w & prev, base, ends);
        }
    }

    /// Appends `text` lower-cased to `out` and the word and joiner masks of
    /// every 64 bytes to `words` and `joiners` (cleared first; the same masks
    /// as [`super::block_masks`]), stopping at the first block with a
    /// non-ASCII byte; returns whether there was none, and whether the text
    /// had an underscore.
    ///
    /// # Safety
    ///
    /// The processor must support AVX-512 F and BW.
    #[target_feature(enable = "avx512f,avx512bw")]
    unsafe fn lower_masks(
        text: &[u8],
        out: &mut Vec<u8>,
        words: &mut Vec<u64>,
        joiners: &mut Vec<u64>,
    ) -> (bool, bool) {
        use std::arch::x86_64::*;
        words.clear();
        joiners.clear();
        let mut underscore = false;
        let splat = |b: u8| _mm512_set1_epi8(b as i8);
        out.reserve(text.len());
        let first = out.len();
        let dst = out.spare_capacity_mut();
        let mut written = 0;
        let mut ascii = true;
        for (chunk, slot) in text.chunks(64).zip(dst.chunks_mut(64)) {
            let n = chunk.len().min(slot.len());
            let keep = u64::MAX >> (64 - n);
            // SAFETY: the masked load reads only the `n` bytes of `chunk`, and
            // the masked store writes only the first `n` of `slot` (spare
            // capacity, so writing it is allowed); no alignment is required.
            let v = unsafe { _mm512_maskz_loadu_epi8(keep, chunk.as_ptr().cast()) };
            if _mm512_movepi8_mask(v) != 0 {
                ascii = false;
                break;
            }
            let upper = _mm512_cmplt_epu8_mask(_mm512_sub_epi8(v, splat(b'A')), splat(26));
            let lower = _mm512_mask_add_epi8(v, upper, v, splat(0x20));
            unsafe { _mm512_mask_storeu_epi8(slot.as_mut_ptr().cast(), keep, lower) };
            written += n;
            let letter = _mm512_cmplt_epu8_mask(_mm512_sub_epi8(lower, splat(b'a')), splat(26));
            let digit = _mm512_cmplt_epu8_mask(_mm512_sub_epi8(v, splat(b'0')), splat(10));
            let under = _mm512_cmpeq_epi8_mask(v, splat(b'_'));
            underscore |= under != 0;
            let eq = |c: u8| _mm512_cmpeq_epi8_mask(v, splat(c));
            words.push(letter | digit | under);
            joiners.push(eq(b'.') | eq(b'\'') | eq(b':') | eq(b',') | eq(b';'));
        }
        // SAFETY: the first `written` bytes of the spare capacity were all
        // written by the stores above (chunk after chunk, from the start).
        unsafe { out.set_len(first + written) };
        (ascii && written == text.len(), underscore)
    }
}
