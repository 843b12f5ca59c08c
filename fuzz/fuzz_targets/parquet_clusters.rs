//! Parquet cluster files (`dedup --from-parquet`).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = std::env::temp_dir().join(format!(
        "lineage-fuzz-clusters-{}.parquet",
        std::process::id()
    ));
    std::fs::write(&path, data).unwrap();
    let _ = lineage::store::parquet::read_cluster_assignments(&path);
});
