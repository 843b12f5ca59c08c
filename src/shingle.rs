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
//! (lower-case, [`for_each_ascii_word`], xxh3) without building the normalised text,
//! its offset map or the token list.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use rust_stemmers::{Algorithm, Stemmer};
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64;

use crate::error::{Error, Result};
use crate::sketch::{Signature, Sketcher};
use crate::tokenize::{ascii_lowercase_into, for_each_ascii_word, words, Tokenized, WordScratch};

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
    spans: Vec<(u32, u32)>,
    units: Vec<u64>,
    hashes: Vec<u64>,
}

impl RawShingler {
    /// A shingler for `params` (checked).
    pub fn new(params: ShingleParams) -> Result<RawShingler> {
        params.validate()?;
        Ok(RawShingler {
            params,
            lower: Vec::new(),
            words: WordScratch::default(),
            spans: Vec::new(),
            units: Vec::new(),
            hashes: Vec::new(),
        })
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
            self.hashes
                .extend(self.units.windows(5).map(|w| combine_n::<5>(seed, w)));
        } else {
            self.hashes
                .extend(self.units.windows(size).map(|w| combine(seed, w)));
        }
        &self.hashes
    }

    /// The signature of `text`'s raw shingles and their number, without
    /// keeping the shingle hashes: the same signature as
    /// `sketcher.sketch(self.shingle(text))`, one pass fewer.
    pub fn sketch(&mut self, text: &str, sketcher: &Sketcher) -> (Signature, usize) {
        self.words_of(text);
        self.hashes.clear();
        let (seed, size) = (self.params.seed, self.params.raw_size);
        let units = &self.units;
        if units.len() < size {
            let one = (!units.is_empty()).then(|| combine(seed, units));
            (sketcher.sketch(one), one.iter().len())
        } else if size == 5 {
            let hashes = units.windows(5).map(|w| combine_n::<5>(seed, w));
            (sketcher.sketch(hashes), units.len() - 4)
        } else {
            let hashes = units.windows(size).map(|w| combine(seed, w));
            (sketcher.sketch(hashes), units.len() + 1 - size)
        }
    }

    /// The token hashes of `text` into `self.units`.
    fn words_of(&mut self, text: &str) {
        self.units.clear();
        self.lower.clear();
        // Eight bytes before the text and 24 after keep the hash's reads
        // in one window (see `xxh3_word`).
        self.lower.extend_from_slice(&[0; 8]);
        if ascii_lowercase_into(text.as_bytes(), &mut self.lower) {
            // ASCII normalisation only lower-cases and folds white space, and
            // white space never sits inside a word, so the words of the
            // lower-cased bytes are the normalised tokens.
            // Find the words first, then hash them in a second tight loop:
            // two simple loops run faster than one that does both.
            let spans = &mut self.spans;
            spans.clear();
            for_each_ascii_word(&self.lower[8..], &mut self.words, |word| {
                spans.push((word.start as u32, word.end as u32));
            });
            self.lower.extend_from_slice(&[0; 24]);
            let lower = &self.lower;
            self.units.extend(
                spans.iter().map(|&(start, end)| {
                    xxh3_word(lower, start as usize + 8, (end - start) as usize)
                }),
            );
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

    /// The hashes of the last text given to [`shingle`](Self::shingle) (empty
    /// after [`sketch`](Self::sketch)).
    pub fn hashes(&self) -> &[u64] {
        &self.hashes
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
    use crate::tokenize::tokenize;

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
            include_str!("../samples/original.txt"),
            include_str!("../samples/rewrite.txt"),
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

    #[test]
    fn fused_sketch_matches_shingle_then_sketch() {
        let sketcher = Sketcher::new(crate::sketch::SketchParams::default()).unwrap();
        let texts = [
            "",
            "one two",
            "The  State Dept. said it's 3.14 U.S. dlrs and more words here",
            include_str!("../samples/original.txt"),
        ];
        for size in [1, 2, 5, 7] {
            let params = ShingleParams {
                raw_size: size,
                ..ShingleParams::default()
            };
            let mut shingler = RawShingler::new(params).unwrap();
            for text in texts {
                let hashes = shingler.shingle(text).to_vec();
                let expected = (sketcher.sketch(hashes.iter().copied()), hashes.len());
                assert_eq!(
                    shingler.sketch(text, &sketcher),
                    expected,
                    "{size} {text:?}"
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
