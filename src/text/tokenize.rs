//! Stage 2: words with byte offsets, and sentences.
//!
//! In: a document text. Out: [`Tokenized`], the normalised text (stage 2, [`super::normalize`]),
//! its tokens and its sentences. Words follow Unicode word segmentation
//! (UAX #29) on the normalised text, so `can't`, `3.14` and `u.s` are one
//! token each and punctuation is dropped. Scripts written without spaces
//! (Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar) become overlapping
//! character bigrams, the usual unit for CJK retrieval. Sentences follow
//! UAX #29 sentence segmentation on the original text (case matters there:
//! "election. Patel" ends a sentence, "election. patel" would not).
//!
//! Every token carries its range in the normalised text (what is hashed) and
//! in the original text (what is reported).
//!
//! Fast path: on ASCII text, words come from `ascii_words`, a byte scanner
//! that implements the ASCII subset of the UAX #29 word rules and yields the
//! same words at the same offsets as the Unicode segmenter (the tests compare
//! the two on samples and on random ASCII strings).

use std::ops::Range;

use unicode_segmentation::UnicodeSegmentation;

use crate::kernels::ascii::{block_masks, lower16};
use crate::kernels::Kernels;
use crate::text::normalize::{normalize, Normalized};

/// One token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    /// Start byte in the original text.
    pub start: u32,
    /// End byte (exclusive) in the original text.
    pub end: u32,
    /// Start byte in the normalised text.
    pub(crate) norm_start: u32,
    /// End byte (exclusive) in the normalised text.
    pub(crate) norm_end: u32,
    /// Index of the sentence the token belongs to.
    pub(crate) sentence: u32,
}

impl Token {
    /// The token's range in the original text.
    pub fn span(&self) -> Range<usize> {
        self.start as usize..self.end as usize
    }

    /// The token's range in the normalised text.
    pub(crate) fn norm_span(&self) -> Range<usize> {
        self.norm_start as usize..self.norm_end as usize
    }
}

/// One sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sentence {
    /// Start byte in the original text.
    pub(crate) start: u32,
    /// End byte (exclusive, trailing white space trimmed) in the original text.
    pub(crate) end: u32,
    /// Index of the sentence's first token.
    pub(crate) first_token: u32,
    /// Index one past the sentence's last token.
    pub(crate) end_token: u32,
}

impl Sentence {
    /// The sentence's range in the original text.
    pub fn span(&self) -> Range<usize> {
        self.start as usize..self.end as usize
    }

    /// The indices of the sentence's tokens.
    pub(crate) fn tokens(&self) -> Range<usize> {
        self.first_token as usize..self.end_token as usize
    }
}

/// A tokenised document.
#[derive(Debug, Clone)]
pub struct Tokenized<'a> {
    /// The normalised text the tokens index into.
    pub(crate) normalized: Normalized<'a>,
    /// Tokens in text order.
    pub tokens: Vec<Token>,
    /// Sentences in text order; every token belongs to exactly one.
    pub(crate) sentences: Vec<Sentence>,
}

impl Tokenized<'_> {
    /// The normalised form of token `index`.
    pub fn token_text(&self, index: usize) -> &str {
        self.tokens
            .get(index)
            .and_then(|t| self.normalized.text.get(t.norm_span()))
            .unwrap_or("")
    }
}

/// Whether `c` belongs to a script written without spaces between words.
pub(crate) fn is_unspaced_script(c: char) -> bool {
    matches!(c as u32,
        0x0E00..=0x0EFF     // Thai, Lao
        | 0x1000..=0x109F   // Myanmar
        | 0x1780..=0x17FF   // Khmer
        | 0x3040..=0x30FF   // Hiragana, Katakana
        | 0x31F0..=0x31FF   // Katakana phonetic extensions
        | 0x3400..=0x4DBF   // CJK extension A
        | 0x4E00..=0x9FFF   // CJK unified ideographs
        | 0xF900..=0xFAFF   // CJK compatibility ideographs
        | 0x20000..=0x3134F // CJK extensions B..G
    )
}

/// Tokenises `text`: normalise, segment words, segment sentences.
pub fn tokenize(text: &str) -> Tokenized<'_> {
    let (normalized, mut tokens) = words(text);
    let sentences = assign_sentences(text, &mut tokens);
    Tokenized {
        normalized,
        tokens,
        sentences,
    }
}

/// The normalised text and the tokens of [`tokenize`], without sentence
/// segmentation (every token's `sentence` is 0): what shingling needs.
pub fn words(text: &str) -> (Normalized<'_>, Vec<Token>) {
    let normalized = normalize(text);
    let mut tokens = Vec::with_capacity(text.len() / 5);
    if normalized.text.is_ascii() {
        for word in ascii_words(normalized.text.as_bytes()) {
            push_token(&normalized, word, &mut tokens);
        }
        return (normalized, tokens);
    }
    let mut run: Vec<(usize, usize)> = Vec::new();
    for (start, word) in normalized.text.unicode_word_indices() {
        let end = start + word.len();
        let unspaced = word.chars().next().is_some_and(is_unspaced_script);
        if !unspaced {
            flush_bigrams(&normalized, &mut run, &mut tokens);
            push_token(&normalized, start..end, &mut tokens);
            continue;
        }
        if run.last().is_some_and(|&(_, last_end)| last_end != start) {
            flush_bigrams(&normalized, &mut run, &mut tokens);
        }
        run.extend(
            word.char_indices()
                .map(|(i, c)| (start + i, start + i + c.len_utf8())),
        );
    }
    flush_bigrams(&normalized, &mut run, &mut tokens);
    (normalized, tokens)
}

const OTHER: u8 = 0;
const LETTER: u8 = 1;
const DIGIT: u8 = 2;
const UNDERSCORE: u8 = 4;

/// Word-break class of every byte: letters (ALetter), digits (Numeric) and
/// `_` (ExtendNumLet) join into words; everything else (white space,
/// punctuation, controls, non-ASCII bytes) separates them.
static CLASS: [u8; 256] = {
    let mut table = [OTHER; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = if c.is_ascii_alphabetic() {
            LETTER
        } else if c.is_ascii_digit() {
            DIGIT
        } else if c == b'_' {
            UNDERSCORE
        } else {
            OTHER
        };
        b += 1;
    }
    table
};

/// Whether `mid` joins `prev` and `next` into one word: `.` `'` `:` between
/// letters (UAX #29 WB6/WB7: MidLetter and MidNumLetQ), `.` `'` `,` `;`
/// between digits (WB11/WB12: MidNum and MidNumLetQ).
#[inline]
fn joins(mid: u8, prev: u8, next: u8) -> bool {
    match mid {
        b'.' | b'\'' => {
            let (p, n) = (CLASS[prev as usize], CLASS[next as usize]);
            p == n && (p == LETTER || p == DIGIT)
        }
        b':' => CLASS[prev as usize] == LETTER && CLASS[next as usize] == LETTER,
        b',' | b';' => CLASS[prev as usize] == DIGIT && CLASS[next as usize] == DIGIT,
        _ => false,
    }
}

/// The words of an ASCII text as byte ranges: the segments of UAX #29 word
/// segmentation that contain a letter or digit, exactly as
/// `unicode_word_indices` yields them for ASCII input. Bytes outside ASCII
/// separate words; callers use this on ASCII text only.
pub(crate) fn ascii_words(bytes: &[u8]) -> AsciiWords<'_> {
    AsciiWords { bytes, pos: 0 }
}

/// Iterator returned by [`ascii_words`].
#[derive(Debug, Clone)]
pub(crate) struct AsciiWords<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Iterator for AsciiWords<'_> {
    type Item = Range<usize>;

    #[inline]
    fn next(&mut self) -> Option<Range<usize>> {
        let bytes = self.bytes;
        let n = bytes.len();
        let mut i = self.pos;
        loop {
            while i < n && CLASS[bytes[i] as usize] == OTHER {
                i += 1;
            }
            if i >= n {
                self.pos = n;
                return None;
            }
            let start = i;
            // A run of underscores alone is a segment without a letter or
            // digit, which is not a word.
            let mut alnum = CLASS[bytes[i] as usize] != UNDERSCORE;
            i += 1;
            while i < n {
                let class = CLASS[bytes[i] as usize];
                if class != OTHER {
                    alnum |= class != UNDERSCORE;
                    i += 1;
                } else if i + 1 < n && joins(bytes[i], bytes[i - 1], bytes[i + 1]) {
                    // The byte after the joiner is a letter or digit.
                    alnum = true;
                    i += 2;
                } else {
                    break;
                }
            }
            if alnum {
                self.pos = i;
                return Some(start..i);
            }
        }
    }
}

/// Appends `text` lower-cased to `out` when it is all ASCII and returns
/// true; returns false (with `out` holding a partial copy) otherwise. One
/// pass instead of three (`is_ascii`, copy, `make_ascii_lowercase`).
pub(crate) fn ascii_lowercase_into(text: &[u8], out: &mut Vec<u8>) -> bool {
    out.reserve(text.len());
    let mut chunks = text.chunks_exact(16);
    let mut high = 0u8;
    for chunk in chunks.by_ref() {
        let lane: &[u8; 16] = chunk.try_into().unwrap_or(&[0; 16]);
        let (lower, bits) = lower16(lane);
        out.extend_from_slice(&lower);
        high |= bits;
    }
    for &b in chunks.remainder() {
        high |= b;
        out.push(b.to_ascii_lowercase());
    }
    high < 0x80
}

/// Buffers reused by [`for_each_ascii_word`] and `lowercase_ascii_words`.
#[derive(Debug, Clone, Default)]
pub struct WordScratch {
    words: Vec<u64>,
    joiners: Vec<u64>,
    /// Whether the text had an underscore (set by the AVX-512 pass only).
    #[cfg(target_arch = "x86_64")]
    underscore: bool,
}

/// Calls `f` with every word of an ASCII text, in order: the same ranges
/// as `ascii_words`, found 64 bytes at a time with bit masks (words are
/// the runs of word bytes plus the joiners that sit between two matching
/// letters or digits). This is the hot loop of corpus sketching.
pub fn for_each_ascii_word(bytes: &[u8], scratch: &mut WordScratch, f: impl FnMut(Range<usize>)) {
    block_masks_into(bytes, scratch);
    words_from_masks(bytes, scratch, f);
}

/// Where the words of a text start and end (byte offsets, `starts[i]..ends[i]`
/// is word `i`), as two lists: the AVX-512 code writes and reads them
/// eight or sixteen at a time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct WordBounds {
    /// First byte of each word.
    pub(crate) starts: Vec<u32>,
    /// One past the last byte of each word.
    pub(crate) ends: Vec<u32>,
}

impl WordBounds {
    /// Number of words.
    pub(crate) fn len(&self) -> usize {
        self.starts.len().min(self.ends.len())
    }
}

/// Appends `text` lower-cased to `out` and puts the words of it in
/// `bounds` (offsets into the appended bytes), as [`ascii_lowercase_into`]
/// then [`for_each_ascii_word`] would, when `text` is all ASCII and under
/// 4 GiB (offsets are `u32`); returns false (with `out` holding a partial
/// copy and `bounds` unspecified) otherwise, and the caller takes the
/// Unicode path.
///
/// With `kernels` that run AVX-512 BW and VBMI2,
/// one pass per 64 bytes lower-cases, checks for non-ASCII and computes
/// the word and joiner masks (`kernels::ascii`), and the word bounds
/// are compressed out of the masks sixteen at a time;
/// otherwise the two portable passes run.
pub(crate) fn lowercase_ascii_words(
    text: &[u8],
    out: &mut Vec<u8>,
    scratch: &mut WordScratch,
    kernels: Kernels,
    bounds: &mut WordBounds,
) -> bool {
    let start = out.len();
    bounds.starts.clear();
    bounds.ends.clear();
    if u32::try_from(text.len()).is_err() {
        return false;
    }
    #[cfg(target_arch = "x86_64")]
    if let Some(kernels) = kernels.ascii() {
        let (ascii, underscore) =
            kernels.lower_masks(text, out, &mut scratch.words, &mut scratch.joiners);
        scratch.underscore = underscore;
        if !ascii {
            return false;
        }
        let bytes = out.get(start..).unwrap_or_default();
        let blocks = bytes.len().div_ceil(64).min(scratch.words.len());
        join_words(bytes, scratch, blocks);
        kernels.word_bounds(
            scratch.words.get(..blocks).unwrap_or_default(),
            &mut bounds.starts,
            &mut bounds.ends,
        );
        if bounds.ends.len() < bounds.starts.len() {
            // A word runs to the end of the text.
            bounds.ends.push(bytes.len() as u32);
        }
        if scratch.underscore {
            drop_underscore_runs(bytes, bounds);
        }
        return true;
    }
    let _ = kernels;
    if !ascii_lowercase_into(text, out) {
        return false;
    }
    for_each_ascii_word(out.get(start..).unwrap_or_default(), scratch, |word| {
        bounds.starts.push(word.start as u32);
        bounds.ends.push(word.end as u32);
    });
    true
}

/// Removes the words made of underscores only (runs of word bytes
/// without a letter or digit are not words).
#[cfg(target_arch = "x86_64")]
fn drop_underscore_runs(bytes: &[u8], bounds: &mut WordBounds) {
    let mut kept = 0;
    for i in 0..bounds.len() {
        let (start, end) = (bounds.starts[i], bounds.ends[i]);
        let word = bytes.get(start as usize..end as usize).unwrap_or_default();
        if word.iter().any(|&b| b != b'_') {
            bounds.starts[kept] = start;
            bounds.ends[kept] = end;
            kept += 1;
        }
    }
    bounds.starts.truncate(kept);
    bounds.ends.truncate(kept);
}

/// The word and joiner masks of every 64-byte block of `bytes` (the last
/// one padded with zeros) into `scratch`.
fn block_masks_into(bytes: &[u8], scratch: &mut WordScratch) {
    scratch.words.clear();
    scratch.joiners.clear();
    let mut chunks = bytes.chunks_exact(64);
    for chunk in chunks.by_ref() {
        let block: &[u8; 64] = chunk.try_into().unwrap_or(&[0; 64]);
        let (w, j) = block_masks(block);
        scratch.words.push(w);
        scratch.joiners.push(j);
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        let mut block = [0u8; 64];
        block[..tail.len()].copy_from_slice(tail);
        let (w, j) = block_masks(&block);
        scratch.words.push(w);
        scratch.joiners.push(j);
    }
}

/// Makes the joiners with a word byte on both sides that the exact rule
/// accepts part of the word runs, in the first `blocks` masks.
fn join_words(bytes: &[u8], scratch: &mut WordScratch, blocks: usize) {
    for k in 0..blocks {
        let w = scratch.words[k];
        let before = (w << 1) | scratch.words.get(k.wrapping_sub(1)).map_or(0, |p| p >> 63);
        let after = (w >> 1) | scratch.words.get(k + 1).map_or(0, |q| q << 63);
        let mut candidates = scratch.joiners[k] & before & after;
        while candidates != 0 {
            let bit = candidates.trailing_zeros() as usize;
            candidates &= candidates - 1;
            let i = k * 64 + bit;
            // Both neighbours are word bytes, so 1 <= i < n - 1.
            if joins(bytes[i], bytes[i - 1], bytes[i + 1]) {
                scratch.words[k] |= 1 << bit;
            }
        }
    }
}

/// Calls `f` with every word of `bytes` given the masks of its blocks in
/// `scratch` (see [`for_each_ascii_word`]).
fn words_from_masks(bytes: &[u8], scratch: &mut WordScratch, mut f: impl FnMut(Range<usize>)) {
    let n = bytes.len();
    let blocks = n.div_ceil(64).min(scratch.words.len());
    join_words(bytes, scratch, blocks);
    // Runs of ones are the segments; a run of underscores alone is not a
    // word.
    let mut emit = |start: usize, end: usize| {
        if bytes[start] != b'_' || bytes[start..end].iter().any(|&b| b != b'_') {
            f(start..end);
        }
    };
    // A run starts where a word bit follows a non-word bit and ends (one
    // past its last byte) where a non-word bit follows a word bit; the two
    // kinds of events alternate.
    let mut run_start: Option<usize> = None;
    let mut carry = 0u64;
    for (k, &w) in scratch.words.iter().take(blocks).enumerate() {
        let prev = (w << 1) | carry;
        carry = w >> 63;
        let mut events = (w & !prev) | (!w & prev);
        while events != 0 {
            let at = k * 64 + events.trailing_zeros() as usize;
            events &= events - 1;
            match run_start.take() {
                None => run_start = Some(at),
                Some(start) => emit(start, at),
            }
        }
    }
    if let Some(start) = run_start {
        emit(start, n);
    }
}

fn push_token(normalized: &Normalized<'_>, norm: Range<usize>, tokens: &mut Vec<Token>) {
    let orig = normalized.original_range(norm.clone());
    tokens.push(Token {
        start: orig.start as u32,
        end: orig.end as u32,
        norm_start: norm.start as u32,
        norm_end: norm.end as u32,
        sentence: 0,
    });
}

/// Emits the character bigrams of a run of unspaced-script characters (a
/// lone character stays a unigram).
fn flush_bigrams(
    normalized: &Normalized<'_>,
    run: &mut Vec<(usize, usize)>,
    tokens: &mut Vec<Token>,
) {
    match run.len() {
        0 => {}
        1 => push_token(normalized, run[0].0..run[0].1, tokens),
        _ => {
            for pair in run.windows(2) {
                push_token(normalized, pair[0].0..pair[1].1, tokens);
            }
        }
    }
    run.clear();
}

/// Segments the original text into sentences and tags every token with its
/// sentence; sentences without tokens are dropped.
fn assign_sentences(text: &str, tokens: &mut [Token]) -> Vec<Sentence> {
    let mut sentences = Vec::new();
    let mut next = 0usize;
    for (start, sentence) in text.split_sentence_bound_indices() {
        let end = start + sentence.trim_end().len();
        let first = next;
        while next < tokens.len() && (tokens[next].start as usize) < start + sentence.len() {
            next += 1;
        }
        if next == first {
            continue;
        }
        let index = sentences.len() as u32;
        for token in &mut tokens[first..next] {
            token.sentence = index;
        }
        // A token can straddle a boundary only through normalisation quirks;
        // keep the sentence end at least at its last token's end.
        let end = end.max(tokens[next - 1].end as usize);
        sentences.push(Sentence {
            start: start as u32,
            end: end as u32,
            first_token: first as u32,
            end_token: next as u32,
        });
    }
    // Tokens past the last boundary (cannot happen with UAX #29, which covers
    // the whole text) join the last sentence.
    if next < tokens.len() {
        let index = sentences.len().saturating_sub(1) as u32;
        for token in &mut tokens[next..] {
            token.sentence = index;
        }
        if let Some(last) = sentences.last_mut() {
            last.end_token = tokens.len() as u32;
            last.end = last.end.max(tokens[tokens.len() - 1].end);
        }
    }
    sentences
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::ascii::{block_masks_scalar, lower16_scalar};

    fn words(text: &str) -> Vec<String> {
        let t = tokenize(text);
        (0..t.tokens.len())
            .map(|i| t.token_text(i).to_string())
            .collect()
    }

    #[test]
    fn words_are_normalised_and_keep_offsets() {
        let text = "Patel’s comments, 3.14 U.S. officials can't";
        let t = tokenize(text);
        let got: Vec<&str> = t.tokens.iter().map(|tok| &text[tok.span()]).collect();
        assert_eq!(
            got,
            ["Patel’s", "comments", "3.14", "U.S", "officials", "can't"]
        );
        assert_eq!(t.token_text(0), "patel's");
    }

    #[test]
    fn cjk_becomes_bigrams() {
        assert_eq!(
            words("東京都に住む"),
            ["東京", "京都", "都に", "に住", "住む"]
        );
        assert_eq!(words("漢 字"), ["漢", "字"]);
    }

    #[test]
    fn sentences_split_on_case_sensitive_text() {
        let text = "We have not made offers since this election. Patel's comments were clear.\nHEADLINE HERE\nNext one.";
        let t = tokenize(text);
        let spans: Vec<&str> = t.sentences.iter().map(|s| &text[s.span()]).collect();
        assert_eq!(
            spans,
            [
                "We have not made offers since this election.",
                "Patel's comments were clear.",
                "HEADLINE HERE",
                "Next one."
            ]
        );
        assert_eq!(t.tokens[8].sentence, 1);
    }

    /// The words of the general (table-driven) UAX #29 segmenter, which
    /// `split_word_bound_indices` always uses, even on ASCII input.
    fn uax29_words(text: &str) -> Vec<Range<usize>> {
        text.split_word_bound_indices()
            .filter(|(_, w)| w.chars().any(char::is_alphanumeric))
            .map(|(i, w)| i..i + w.len())
            .collect()
    }

    fn fast_words(text: &str) -> Vec<Range<usize>> {
        ascii_words(text.as_bytes()).collect()
    }

    fn mask_words(text: &str) -> Vec<Range<usize>> {
        let mut out = Vec::new();
        for_each_ascii_word(text.as_bytes(), &mut WordScratch::default(), |r| {
            out.push(r)
        });
        out
    }

    fn crate_words(text: &str) -> Vec<Range<usize>> {
        text.unicode_word_indices()
            .map(|(i, w)| i..i + w.len())
            .collect()
    }

    const ASCII_SAMPLES: &[&str] = &[
        "",
        "a",
        "_",
        "__a__ b_1 _ __",
        "Patel's comments, 3.14 U.S. officials can't",
        "e.g. http://x.org/a_b?c=1,000;2 1,000,000.50 a.1 1.a a..b a:b 1:2 1;2 a;b",
        "it's 'quoted' '' a'b' 1'2 x.'y '.' 12.5% $1,750 -- dlrs/tonne",
        "line one\r\nline two\n\ttabbed\x0b\x0cform \"dq\" (paren) [b] {c}",
        "Reuter\n&#3; 2.27 times New York May, June/July at 4,400 and 4,415",
        "end.",
        ".start",
        "a.",
        "1,",
        "..1..a..",
    ];

    #[test]
    fn block_masks_match_the_scalar_twin() {
        let mut block = [0u8; 64];
        for start in (0..=255u8).step_by(64) {
            for (i, b) in block.iter_mut().enumerate() {
                *b = start.wrapping_add(i as u8);
            }
            assert_eq!(block_masks(&block), block_masks_scalar(&block));
        }
        let text = b"Reuter's 1,750.5 dlrs; e.g. A:B __x__ [Z] `a` {z} @0 /9 ~ end.......";
        block.copy_from_slice(&text[..64]);
        assert_eq!(block_masks(&block), block_masks_scalar(&block));
    }

    #[test]
    fn ascii_words_match_uax29_on_samples() {
        for text in ASCII_SAMPLES {
            assert_eq!(fast_words(text), uax29_words(text), "{text:?}");
            assert_eq!(fast_words(text), crate_words(text), "{text:?}");
            assert_eq!(mask_words(text), uax29_words(text), "{text:?}");
        }
        let original = include_str!("../../samples/original.txt");
        let rewrite = include_str!("../../samples/rewrite.txt");
        for text in [original, rewrite] {
            // The samples hold curly quotes and dashes: blank them out.
            let ascii: String = text
                .chars()
                .map(|c| if c.is_ascii() { c } else { ' ' })
                .collect();
            assert_eq!(fast_words(&ascii), uax29_words(&ascii));
            assert_eq!(mask_words(&ascii), uax29_words(&ascii));
            assert!(fast_words(&ascii).len() > 100);
        }
    }

    #[test]
    fn ascii_fast_path_gives_the_unicode_paths_tokens() {
        for text in ASCII_SAMPLES {
            let fast = tokenize(text);
            // Same normalisation, words from the general segmenter.
            let normalized = normalize(text);
            let mut slow = Vec::new();
            for word in uax29_words(&normalized.text) {
                push_token(&normalized, word, &mut slow);
            }
            assign_sentences(text, &mut slow);
            assert_eq!(fast.tokens, slow, "{text:?}");
        }
    }

    #[test]
    fn ascii_lowercase_into_matches_std() {
        let bytes: Vec<u8> = (0..=255u8).cycle().take(600).collect();
        for start in 0..130 {
            for end in [
                start,
                start + 1,
                start + 15,
                start + 16,
                start + 17,
                start + 300,
            ] {
                let s = &bytes[start..end.min(bytes.len())];
                let mut out = b"x".to_vec();
                let ascii = ascii_lowercase_into(s, &mut out);
                assert_eq!(ascii, s.is_ascii());
                assert_eq!(crate::kernels::ascii::is_ascii(s), s.is_ascii());
                if ascii {
                    assert_eq!(&out[1..], s.to_ascii_lowercase().as_slice());
                }
            }
        }
        for b in 0..=255u8 {
            let lane = [b; 16];
            let (lower, high) = lower16(&lane);
            let (want, want_high) = lower16_scalar(&lane);
            assert_eq!(lower, want);
            assert_eq!(high >= 0x80, want_high >= 0x80);
        }
    }

    proptest::proptest! {
        #[test]
        fn ascii_words_match_uax29_on_random_ascii(
            text in proptest::string::string_regex("[ -~\t\r\n\x0b\x0c\x01]{0,80}").unwrap()
        ) {
            proptest::prop_assert_eq!(fast_words(&text), uax29_words(&text));
            proptest::prop_assert_eq!(mask_words(&text), uax29_words(&text));
        }

        #[test]
        fn ascii_words_match_uax29_on_wordy_ascii(
            text in proptest::string::string_regex("[aZ9_.,;:' \n\r-]{0,200}").unwrap()
        ) {
            proptest::prop_assert_eq!(fast_words(&text), uax29_words(&text));
            proptest::prop_assert_eq!(mask_words(&text), uax29_words(&text));
        }

        /// The AVX-512 pass (where the processor has it) and the portable
        /// passes give the same bytes, words and verdict, across 64-byte
        /// blocks and with a non-ASCII byte anywhere.
        #[test]
        fn lowercase_ascii_words_paths_agree(
            pieces in proptest::collection::vec("[aZq9_.,;:' \n\r-]|9[.,;']9|[aZ][.:'][aZ]|__|[a-z]{8,70}", 0..150),
            accent in proptest::option::of(0usize..300),
        ) {
            let mut text = pieces.concat();
            if let Some(at) = accent {
                text.insert(at.min(text.len()), 'é');
            }
            let run_on = |bytes: &[u8], simd: bool| {
                let kernels = if simd { Kernels::get() } else { Kernels::PORTABLE };
                let mut out = b"pad".to_vec();
                let mut bounds = WordBounds::default();
                let ascii = lowercase_ascii_words(
                    bytes,
                    &mut out,
                    &mut WordScratch::default(),
                    kernels,
                    &mut bounds,
                );
                let words: Vec<Range<usize>> = bounds
                    .starts
                    .iter()
                    .zip(&bounds.ends)
                    .map(|(&s, &e)| s as usize..e as usize)
                    .collect();
                (ascii, if ascii { Some((out, words)) } else { None })
            };
            let run = |simd: bool| run_on(text.as_bytes(), simd);
            let portable = run(false);
            proptest::prop_assert_eq!(portable.0, text.is_ascii());
            if let Some((_, words)) = &portable.1 {
                proptest::prop_assert_eq!(words, &uax29_words(&text.to_ascii_lowercase()));
            }
            proptest::prop_assert_eq!(run(true), portable);
            // Cut to whole 64-byte blocks, so that a word often runs to
            // the very end of the last block.
            let whole = &text.as_bytes()[..text.len() / 64 * 64];
            proptest::prop_assert_eq!(run_on(whole, true), run_on(whole, false));
        }
    }

    #[test]
    fn empty_text_has_no_tokens() {
        let t = tokenize("  ... !! ");
        assert!(t.tokens.is_empty());
        assert!(t.sentences.is_empty());
    }
}
