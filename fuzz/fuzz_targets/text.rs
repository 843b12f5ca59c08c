//! The normaliser and tokenizer on arbitrary UTF-8, and the text reader
//! (binary detection, UTF-16, lossy decoding) on arbitrary bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = lineage::source::Document::from_bytes("fuzz.txt", data.to_vec());
    let text = String::from_utf8_lossy(data);
    let normalized = lineage::text::normalize::normalize(&text);
    for i in 0..=normalized.text.len() {
        let _ = normalized.original_offset(i);
    }
    let (_, tokens) = lineage::text::tokenize::words(&text);
    for token in &tokens {
        assert!(
            text.get(token.span()).is_some(),
            "token span off a char boundary"
        );
    }
    let _ = lineage::text::tokenize::tokenize(&text);
    let mut scratch = lineage::text::tokenize::WordScratch::default();
    lineage::text::tokenize::for_each_ascii_word(data, &mut scratch, |range| {
        assert!(range.end <= data.len());
    });
});
