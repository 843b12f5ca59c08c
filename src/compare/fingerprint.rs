//! [`Fingerprint`]: stages 1-4 of one document of a pair (normalise,
//! tokenise, shingle both views, sketch).

use super::Config;
use crate::error::Result;
use crate::sketch::{Signature, Sketcher};
use crate::source::{Document, Warning};
use crate::text::shingle::{content_shingles, content_term, raw_shingles, Shingles};
use crate::text::tokenize::{tokenize, Tokenized};

/// Stages 1-4 of one document.
///
/// # Examples
///
/// Fingerprint each document once, then [`compare`](crate::compare::compare)
/// them (what [`score_pair`](crate::score_pair) does):
///
/// ```
/// use lineage::compare::{compare, Fingerprint};
/// use lineage::{Config, Document};
///
/// let config = Config::default();
/// let source = Document::new("s", "the quick brown fox jumps over the lazy dog by the river bank");
/// let excerpt = Document::new("d", "the quick brown fox jumps over the lazy dog");
/// let (s, d) = (Fingerprint::new(&source, &config)?, Fingerprint::new(&excerpt, &config)?);
/// let report = compare(&d, &s, &config)?;
/// assert_eq!(report.containment, 1.0);
/// assert!(report.reverse_containment < 1.0);
/// # Ok::<(), lineage::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Fingerprint<'a> {
    /// The document.
    pub(crate) doc: &'a Document,
    /// Its tokens and sentences.
    pub(crate) tokens: Tokenized<'a>,
    /// Raw shingles in text order.
    pub(crate) raw: Shingles,
    /// Content shingles in text order.
    pub(crate) content: Shingles,
    /// Stem hash of each content unit (`content_terms[i]` belongs to token
    /// `content.units[i]`), for alignment.
    pub(crate) content_terms: Vec<u64>,
    /// Distinct raw shingles, sorted.
    pub(crate) raw_set: Vec<u64>,
    /// Distinct content shingles, sorted.
    pub content_set: Vec<u64>,
    /// MinHash signature of the raw shingles.
    pub(crate) signature: Signature,
    /// Reading problems plus [`Warning::Empty`] for a document without words.
    pub(crate) warnings: Vec<Warning>,
}

impl<'a> Fingerprint<'a> {
    /// Runs stages 1-4 on `doc`.
    pub fn new(doc: &'a Document, config: &Config) -> Result<Fingerprint<'a>> {
        let sketcher = Sketcher::new(config.sketch_params())?;
        let tokens = tokenize(&doc.text);
        let raw = raw_shingles(&tokens, &config.shingle);
        let content = content_shingles(&tokens, &config.shingle);
        let content_terms = content
            .units
            .iter()
            .map(|&u| content_term(tokens.token_text(u as usize)).unwrap_or(0))
            .collect();
        let signature = sketcher.sketch(raw.hashes.iter().copied());
        let mut warnings = doc.warnings.clone();
        if tokens.tokens.is_empty() {
            warnings.push(Warning::Empty);
        }
        Ok(Fingerprint {
            doc,
            raw_set: raw.set(),
            content_set: content.set(),
            tokens,
            raw,
            content,
            content_terms,
            signature,
            warnings,
        })
    }
}
