//! The archive reader (`check`, `index add`, `index stats`, `index
//! verify`), through files as the CLI reads them. The first byte chooses
//! what the rest of the input is: a manifest (or a lineage 0.1 index) at
//! the archive's path, or a segment file named by a sound manifest, which
//! is then verified, described and searched.
#![no_main]
use libfuzzer_sys::fuzz_target;
use lineage::archive::disk::{segments_dir, Archive};
use lineage::archive::retrieve::RetrievalOptions;

/// A manifest naming one segment of `seg`'s bytes, copying what the
/// manifest must agree on (parameters, documents, size, footer checksum)
/// from the segment itself, so that the segment's own checks are reached.
fn manifest_for(seg: &[u8]) -> Vec<u8> {
    let at = |r: std::ops::Range<usize>| seg.get(r.clone()).map_or(vec![0; r.len()], <[u8]>::to_vec);
    let mut m = vec![0x89, b'L', b'N', b'G', b'A', b'R', b'C', b'\n'];
    m.extend(at(8..32)); // version (1, as the segment's), flags, parameters
    m.extend(0u32.to_le_bytes());
    m.extend(2u64.to_le_bytes()); // next sequence number
    m.extend(1u32.to_le_bytes()); // one segment
    m.extend(1u64.to_le_bytes()); // its sequence number
    m.extend(at(32..36)); // documents
    m.extend((seg.len() as u64).to_le_bytes());
    let n = seg.len();
    m.extend(at(n.saturating_sub(16)..n.saturating_sub(8)));
    let sum = xxhash_rust::xxh3::xxh3_64(&m);
    m.extend(sum.to_le_bytes());
    m
}

fuzz_target!(|data: &[u8]| {
    let Some((&choice, data)) = data.split_first() else {
        return;
    };
    let path = std::env::temp_dir().join(format!("lineage-fuzz-{}.idx", std::process::id()));
    if choice % 2 == 0 {
        std::fs::write(&path, data).unwrap();
    } else {
        let dir = segments_dir(&path);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("0000000001.seg"), data).unwrap();
        std::fs::write(&path, manifest_for(data)).unwrap();
    }
    if let Ok(archive) = Archive::open(&path) {
        let _ = archive.stats();
        let _ = archive.verify();
        let options = RetrievalOptions {
            min_distinctive: 0.0,
            ..RetrievalOptions::default()
        };
        let keys: Vec<u64> = data
            .chunks_exact(8)
            .take(64)
            .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
            .collect();
        if let Ok(found) = archive.candidates(&keys, &options, None) {
            for c in found {
                let _ = archive.record(c.doc);
            }
        }
        for doc in 0..archive.len().min(4) as u32 {
            let _ = archive.record(doc);
        }
    }
});
