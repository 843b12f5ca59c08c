//! The archive: an index of documents that only grows, and `check` of new
//! documents against it.
//!
//! - [`index`]: the archived records, the inverted lists and retrieval.
//! - [`check`]: candidates from the index, verified and aligned into
//!   findings, with a baseline of accepted findings.

pub mod baseline;
pub mod check;
pub mod index;
