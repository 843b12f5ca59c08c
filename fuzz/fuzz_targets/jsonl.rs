//! JSON Lines records, through the streaming reader the CLI uses.
#![no_main]
use libfuzzer_sys::fuzz_target;
use lineage::source::jsonl::{JsonlFields, JsonlReader};

fuzz_target!(|data: &[u8]| {
    let reader = JsonlReader::new(
        data,
        std::path::Path::new("fuzz.jsonl"),
        JsonlFields::default(),
    );
    for record in reader {
        let _ = record;
    }
});
