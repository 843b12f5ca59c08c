//! Integration tests: they run the real `lineage` binary, plus property tests
//! of the library (one test binary, see Cargo.toml).

mod check_formats;
mod cli;
mod dedup;
mod errors;
mod json;
mod pairs;
mod passages;
mod props;
mod util;
