//! `--pairs` and labelled `eval` list files.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let path = std::path::Path::new("fuzz.tsv");
    let _ = lineage::source::list::parse_list(path, &text, 2);
    let _ = lineage::source::list::parse_list(path, &text, 3);
});
