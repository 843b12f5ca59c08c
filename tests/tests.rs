//! Integration tests: they run the real `lineage` binary.

mod cli;
mod dedup;
mod util;
