//! Files lineage writes and reads back.
//!
//! - [`atomic`]: replace a file safely (temp file, fsync, rename,
//!   permissions kept, links followed, a writer lock).
//! - [`fingerprints`]: the native fingerprint file of `lineage sketch`.
//! - [`parquet`]: the same fingerprints, and dedup clusters, as Parquet for
//!   Spark.

pub mod atomic;
pub mod fingerprints;
pub mod parquet;
