//! The archive index loader (`check`, `index add`, `index stats`), through
//! a file as the CLI reads it.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = std::env::temp_dir().join(format!("lineage-fuzz-{}.idx", std::process::id()));
    std::fs::write(&path, data).unwrap();
    if let Ok(index) = lineage::archive::index::Index::load(&path) {
        let _ = index.stats(data.len() as u64);
    }
});
