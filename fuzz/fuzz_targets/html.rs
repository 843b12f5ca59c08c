//! Web pages: main-text extraction, charset and nesting handling.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = lineage::source::html::read_html("fuzz.html", data.to_vec());
});
