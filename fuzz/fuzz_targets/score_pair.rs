//! The whole pair pipeline (shingles, sketch, alignment, condensation,
//! verdict) on two arbitrary texts: the bytes before the first NUL are
//! DERIVED, the rest SOURCE.
#![no_main]
use libfuzzer_sys::fuzz_target;
use lineage::pipeline::{score_pair, Config};
use lineage::source::Document;

fuzz_target!(|data: &[u8]| {
    let cut = data.iter().position(|&b| b == 0).unwrap_or(data.len() / 2);
    let derived = String::from_utf8_lossy(&data[..cut]);
    let source = String::from_utf8_lossy(&data[(cut + 1).min(data.len())..]);
    let derived = Document::new("derived", derived.as_ref());
    let source = Document::new("source", source.as_ref());
    if let Ok(report) = score_pair(&derived, &source, &Config::default()) {
        assert!((0.0..=1.0).contains(&report.score), "score out of range");
        for passage in &report.passages {
            assert!(derived.text.get(passage.derived.clone()).is_some());
            assert!(source.text.get(passage.source.range()).is_some());
        }
    }
});
