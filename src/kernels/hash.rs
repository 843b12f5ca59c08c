//! The hashes every stage shares: xxh3 of a short word without branches,
//! the shingle combine of a window of word hashes, MurmurHash3's finaliser;
//! and the loops that run them over a text's words, with the AVX-512 twins
//! of `words` where the processor allows.

use xxhash_rust::xxh3::xxh3_64;

use super::words::imp::WordKernels;

pub(crate) const MIX: u64 = 0x9E37_79B9_7F4A_7C15;

/// Hashes document positions (the per-query tallies of retrieval) and
/// id hashes (the ids an archive writer added). At 1M documents a query's
/// words touch millions of postings, and SipHash, the standard map's
/// DoS-resistant default, took most of the time; the keys come from the
/// archive, not from an attacker. Fibonacci hashing: odd-constant
/// multiplication spreads consecutive positions.
#[derive(Default)]
pub(crate) struct MulHasher(u64);

impl std::hash::Hasher for MulHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8 | u64::from(b)).wrapping_mul(MIX);
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.0 = u64::from(n).wrapping_mul(MIX);
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n.wrapping_mul(MIX);
    }
}

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
pub(crate) fn xxh3_word(bytes: &[u8], at: usize, len: usize) -> u64 {
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
pub(crate) fn combine(seed: u64, window: &[u64]) -> u64 {
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

/// The xxh3 hashes of the words `starts[i]..ends[i]` of `lower` (the lower-cased text
/// with 8 zero bytes before it and 24 after), appended to `out`: eight
/// words at a time by the AVX-512 kernel where the processor allows, the
/// rest by [`xxh3_word`]. Both give `xxh3_64` of each word.
pub(crate) fn hash_words(
    lower: &[u8],
    starts: &[u32],
    ends: &[u32],
    kernels: Option<WordKernels>,
    out: &mut Vec<u64>,
) {
    let first = out.len();
    out.resize(first + starts.len().min(ends.len()), 0);
    let out = &mut out[first..];
    let done = kernels.map_or(0, |k| k.xxh3_words(lower, starts, ends, out));
    for (hash, (&start, &end)) in out.iter_mut().zip(starts.iter().zip(ends)).skip(done) {
        *hash = xxh3_word(lower, start as usize + 8, end.wrapping_sub(start) as usize);
    }
}

/// The hashes of every window of five `units` (`combine` of each), in
/// order, into `out` (cleared first): eight windows at a time by
/// the AVX-512 kernel where the processor allows.
pub(crate) fn combine5_into(
    seed: u64,
    units: &[u64],
    kernels: Option<WordKernels>,
    out: &mut Vec<u64>,
) {
    out.clear();
    let windows = units.len().saturating_sub(4);
    out.resize(windows, 0);
    let done = kernels.map_or(0, |k| k.combine5(seed, units, out));
    for (hash, window) in out.iter_mut().zip(units.windows(5)).skip(done) {
        *hash = combine_n::<5>(seed, window);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn seed_and_order_matter() {
        assert_ne!(combine(1, &[1, 2]), combine(2, &[1, 2]));
        assert_ne!(combine(1, &[1, 2]), combine(1, &[2, 1]));
    }
}
