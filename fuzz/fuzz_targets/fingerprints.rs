//! The native fingerprint file (`sketch -o`, `dedup FILE`).
#![no_main]
use libfuzzer_sys::fuzz_target;
use lineage::store::fingerprints::FingerprintReader;

fuzz_target!(|data: &[u8]| {
    if let Ok(reader) = FingerprintReader::new(data, std::path::Path::new("fuzz.lfp")) {
        for doc in reader {
            let _ = doc;
        }
    }
});
