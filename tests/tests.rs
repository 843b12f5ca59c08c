//! Integration tests: they run the real `lineage` binary, plus property tests
//! of the library (one test binary, see Cargo.toml).

mod archive;
mod charsets;
mod check;
mod check_formats;
mod cli;
mod dedup;
mod dedup_output;
mod errors;
mod extract;
mod html;
mod inputs;
mod json;
mod limits;
mod offsets;
mod pairs;
mod parquet;
mod passages;
mod props;
mod safe_writes;
mod summaries;
mod util;
mod verbosity;
mod walk;
