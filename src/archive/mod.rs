//! The archive: documents that only grow in number, and `check` of new
//! documents against them.
//!
//! - [`index`]: what is kept per document, and an index in memory.
//! - `segment`: one immutable segment file: records and inverted lists.
//! - [`disk`]: the archive on disk: a manifest naming segments, written
//!   under a lock, read through memory maps.
//! - [`retrieve`]: candidates from the inverted lists.
//! - [`check`]: candidates verified and aligned into findings, with a
//!   baseline of accepted findings.

pub mod baseline;
pub mod check;
pub mod disk;
pub mod index;
pub mod retrieve;
pub(crate) mod segment;
