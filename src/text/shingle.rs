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
//! `RawShingler` computes exactly the hashes of [`raw_shingles`] into buffers
//! it reuses, and on ASCII text goes straight from the bytes to the hashes
//! (lower-case, `crate::text::tokenize::lowercase_ascii_words`, xxh3) without building the normalised text,
//! its offset map or the token list.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::hash::BuildHasherDefault;
use std::sync::OnceLock;

use rust_stemmers::{Algorithm, Stemmer};
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64;

use crate::error::{Error, Result};
use crate::kernels::hash::{combine, combine5_into, hash_words, MulHasher};
use crate::kernels::Kernels;
use crate::text::tokenize::{lowercase_ascii_words, words, Tokenized, WordBounds, WordScratch};

/// Which view of the text a shingle sequence was built from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum View {
    /// Every token, as normalised.
    Raw,
    /// Stemmed content words (stop words dropped).
    Content,
}

/// Shingling parameters.
///
/// # Examples
///
/// ```
/// use lineage::text::shingle::{raw_shingles, ShingleParams};
/// use lineage::text::tokenize::tokenize;
///
/// let params = ShingleParams { raw_size: 3, ..ShingleParams::default() };
/// params.validate()?;
/// let shingles = raw_shingles(&tokenize("One two three four."), &params);
/// assert_eq!(shingles.hashes.len(), 2);
/// # Ok::<(), lineage::Error>(())
/// ```
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
    pub(crate) view: View,
    /// Units per shingle.
    pub(crate) size: usize,
    /// `units[i]` is the token index of the view's i-th unit (every token for
    /// the raw view, content words only for the content view).
    pub(crate) units: Vec<u32>,
    /// `hashes[j]` covers units `j..j + size` (or all units when there are
    /// fewer than `size`).
    pub hashes: Vec<u64>,
}

impl Shingles {
    /// Token range (first, last inclusive) covered by shingle `j`.
    pub(crate) fn token_range(&self, j: usize) -> Option<(usize, usize)> {
        let first = *self.units.get(j)?;
        let last_unit = (j + self.size).min(self.units.len()).checked_sub(1)?;
        Some((first as usize, self.units[last_unit] as usize))
    }

    /// The distinct hashes, sorted: the set that exact scores compare.
    pub(crate) fn set(&self) -> Vec<u64> {
        let mut set = self.hashes.clone();
        set.sort_unstable();
        set.dedup();
        set
    }
}

/// Hash of one normalised token (seedless).
#[inline]
pub(crate) fn token_hash(token: &str) -> u64 {
    xxh3_64(token.as_bytes())
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
pub(crate) struct RawShingler {
    params: ShingleParams,
    lower: Vec<u8>,
    words: WordScratch,
    /// Where the words of the lower-cased text start and end.
    bounds: WordBounds,
    units: Vec<u64>,
    hashes: Vec<u64>,
    /// The SIMD kernels this processor runs, unless turned off
    /// ([`RawShingler::portable`]).
    kernels: Kernels,
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
            kernels: Kernels::get(),
        })
    }

    /// The same shingler on the portable code path only (the AVX-512
    /// kernels compute the same hashes; tests compare the two).
    #[cfg(test)]
    fn portable(mut self) -> RawShingler {
        self.kernels = Kernels::PORTABLE;
        self
    }

    /// The raw shingle hashes of `text`, in text order (valid until the next
    /// call).
    pub(crate) fn shingle(&mut self, text: &str) -> &[u64] {
        self.words_of(text);
        let (seed, size) = (self.params.seed, self.params.raw_size);
        self.hashes.clear();
        if self.units.len() < size {
            if !self.units.is_empty() {
                self.hashes.push(combine(seed, &self.units));
            }
        } else if size == 5 {
            // The default size, unrolled: same hashes as `combine`.
            combine5_into(seed, &self.units, self.kernels.words(), &mut self.hashes);
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
            self.kernels,
            &mut self.bounds,
        );
        if ascii {
            self.lower.extend_from_slice(&[0; 24]);
            hash_words(
                &self.lower,
                &self.bounds.starts,
                &self.bounds.ends,
                self.kernels.words(),
                &mut self.units,
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
    pub(crate) fn token_count(&self) -> usize {
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

/// Maps keyed by token hashes: the keys are xxh3 values already, so
/// SipHash (the standard maps' default) is wasted work; it took a tenth of
/// the content view's time.
type TokenMap<V> = HashMap<u64, V, BuildHasherDefault<MulHasher>>;
type TokenSet = HashSet<u64, BuildHasherDefault<MulHasher>>;

fn stop_words() -> &'static TokenSet {
    static STOP: OnceLock<TokenSet> = OnceLock::new();
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
    static STEMS: RefCell<(Stemmer, TokenMap<Option<u64>>)> =
        RefCell::new((Stemmer::create(Algorithm::English), TokenMap::default()));
}

const STEM_CACHE_LIMIT: usize = 1 << 20;

/// The stem hash of a normalised token, or `None` for a stop word.
pub(crate) fn content_term(token: &str) -> Option<u64> {
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
/// display and tests; scoring uses `content_term`).
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
}
