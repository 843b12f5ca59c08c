//! RSS, Atom and JSON Feed files.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = lineage::source::feed::read_feed(std::path::Path::new("fuzz.rss"), data);
});
