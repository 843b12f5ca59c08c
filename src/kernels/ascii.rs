//! Byte scans over whole machine words.

/// Whether every byte is ASCII, 64 bytes per step.
pub fn is_ascii(bytes: &[u8]) -> bool {
    let mut chunks = bytes.chunks_exact(64);
    for chunk in chunks.by_ref() {
        let block: &[u8; 64] = chunk.try_into().unwrap_or(&[0; 64]);
        let mut words = [0u64; 8];
        for (w, b) in words.iter_mut().zip(block.chunks_exact(8)) {
            *w = u64::from_le_bytes(b.try_into().unwrap_or([0; 8]));
        }
        if words.iter().fold(0, |a, &w| a | w) & 0x8080_8080_8080_8080 != 0 {
            return false;
        }
    }
    chunks.remainder().is_ascii()
}
