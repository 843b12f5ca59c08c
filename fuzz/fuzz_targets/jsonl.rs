//! JSON Lines records, through the streaming reader the CLI uses, with
//! top-level fields and with nested ones (dotted path, JSON pointer).
#![no_main]
use libfuzzer_sys::fuzz_target;
use lineage::source::jsonl::{JsonlFields, JsonlReader};

fuzz_target!(|data: &[u8]| {
    let path = std::path::Path::new("fuzz.jsonl");
    for record in JsonlReader::new(data, path, JsonlFields::default()).with_limit(1 << 16) {
        let _ = record;
    }
    let nested = JsonlFields {
        text: "meta.body".into(),
        id: "/meta/id".into(),
        ..JsonlFields::default()
    };
    for record in JsonlReader::new(data, path, nested) {
        let _ = record;
    }
});
