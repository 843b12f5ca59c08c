//! A whole input file as the CLI opens it: gzip and zstd sniffing, the
//! per-document limit, format detection from the first bytes, charset
//! decoding, then the format's reader (text, JSON Lines, HTML, feed).
#![no_main]
use libfuzzer_sys::fuzz_target;
use lineage::source::input::{read_file, InputOptions};
use lineage::source::walk::InputPath;

fuzz_target!(|data: &[u8]| {
    let path = std::env::temp_dir().join(format!("lineage-fuzz-input-{}", std::process::id()));
    std::fs::write(&path, data).unwrap();
    let options = InputOptions {
        max_doc_bytes: 1 << 20,
        ..InputOptions::default()
    };
    let file = InputPath { path, walked: true };
    let _ = read_file(&file, &options);
});
