//! Parquet sketches (`sketch --format parquet`, `dedup FILE.parquet`),
//! through a file as the CLI reads them.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = std::env::temp_dir().join(format!("lineage-fuzz-{}.parquet", std::process::id()));
    std::fs::write(&path, data).unwrap();
    let _ = lineage::store::parquet::read_parquet_sketch(&path);
});
