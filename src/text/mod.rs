//! Stage 2 and 3: text into words, and words into shingles.
//!
//! - [`normalize`]: NFKC, case folding, unified quotes and dashes.
//! - [`tokenize`]: words with byte offsets into the original text, sentences.
//! - [`shingle`]: raw word n-grams and stemmed content-word bigrams, hashed
//!   with xxh3, with an ASCII fast path for corpora.

pub mod normalize;
pub mod shingle;
pub mod tokenize;
