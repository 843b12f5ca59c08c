//! [`DocFingerprint`]: what the corpus keeps of one document, its
//! signature with the counts and metadata that dedup and the stores need.

use super::{Signature, SketchParams, EMPTY_SLOT};

/// The fingerprint of one document.
///
/// # Examples
///
/// ```
/// use lineage::pipeline::sketch;
/// use lineage::sketch::SketchParams;
/// use lineage::Document;
///
/// let params = SketchParams::default();
/// let text = "the quick brown fox jumps over the lazy dog";
/// let docs = sketch(&[Document::new("a", text), Document::new("b", text)], params, true)?;
/// assert_eq!((docs[0].tokens, docs[0].shingles), (9, 5));
/// assert_eq!(docs[0].signature(params).jaccard(&docs[1].signature(params))?, 1.0);
/// # Ok::<(), lineage::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocFingerprint {
    /// Document id (path or record id).
    pub id: String,
    /// Publish date as the input gave it, if known.
    pub date: Option<String>,
    /// Length of the text in bytes.
    pub bytes: u64,
    /// Number of words.
    pub tokens: u64,
    /// Number of raw shingles, repeats included.
    pub shingles: u64,
    /// The `num_perm` signature slots.
    pub slots: Vec<u32>,
    /// Sorted distinct raw shingle hashes, when kept.
    pub shingle_set: Option<Vec<u64>>,
}

impl DocFingerprint {
    /// Whether the document had no shingles (its signature is all empty).
    pub(crate) fn is_empty(&self) -> bool {
        self.slots.iter().all(|&s| s == EMPTY_SLOT)
    }

    /// The signature with the parameters it was computed with.
    pub fn signature(&self, params: SketchParams) -> Signature {
        Signature {
            params,
            slots: self.slots.clone(),
        }
    }
}
