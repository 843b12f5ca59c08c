//! Stage 2: words with byte offsets, and sentences.
//!
//! In: a document text. Out: [`Tokenized`], the normalised text (stage 1),
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

use std::ops::Range;

use unicode_segmentation::UnicodeSegmentation;

use crate::normalize::{normalize, Normalized};

/// One token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    /// Start byte in the original text.
    pub start: u32,
    /// End byte (exclusive) in the original text.
    pub end: u32,
    /// Start byte in the normalised text.
    pub norm_start: u32,
    /// End byte (exclusive) in the normalised text.
    pub norm_end: u32,
    /// Index of the sentence the token belongs to.
    pub sentence: u32,
}

impl Token {
    /// The token's range in the original text.
    pub fn span(&self) -> Range<usize> {
        self.start as usize..self.end as usize
    }

    /// The token's range in the normalised text.
    pub fn norm_span(&self) -> Range<usize> {
        self.norm_start as usize..self.norm_end as usize
    }
}

/// One sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sentence {
    /// Start byte in the original text.
    pub start: u32,
    /// End byte (exclusive, trailing white space trimmed) in the original text.
    pub end: u32,
    /// Index of the sentence's first token.
    pub first_token: u32,
    /// Index one past the sentence's last token.
    pub end_token: u32,
}

impl Sentence {
    /// The sentence's range in the original text.
    pub fn span(&self) -> Range<usize> {
        self.start as usize..self.end as usize
    }

    /// The indices of the sentence's tokens.
    pub fn tokens(&self) -> Range<usize> {
        self.first_token as usize..self.end_token as usize
    }
}

/// A tokenised document.
#[derive(Debug, Clone)]
pub struct Tokenized<'a> {
    /// The normalised text the tokens index into.
    pub normalized: Normalized<'a>,
    /// Tokens in text order.
    pub tokens: Vec<Token>,
    /// Sentences in text order; every token belongs to exactly one.
    pub sentences: Vec<Sentence>,
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
pub fn is_unspaced_script(c: char) -> bool {
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
    let normalized = normalize(text);
    let mut tokens = Vec::with_capacity(text.len() / 5);
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
    let sentences = assign_sentences(text, &mut tokens);
    Tokenized {
        normalized,
        tokens,
        sentences,
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

    #[test]
    fn empty_text_has_no_tokens() {
        let t = tokenize("  ... !! ");
        assert!(t.tokens.is_empty());
        assert!(t.sentences.is_empty());
    }
}
