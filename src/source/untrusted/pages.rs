//! Page sizes of an untrusted Parquet file, checked before the `parquet`
//! crate decodes it.
//!
//! In: the file and the column chunks its footer lists. Out: `Ok` when
//! every page header of every chunk can be read, lies inside its chunk,
//! claims no more uncompressed bytes than its compressed bytes can expand
//! to, uses an encoding whose decoder sizes its memory by the page, and
//! (a dictionary page) claims no more values than its bytes can hold; else
//! a message for [`Error::Corrupt`](crate::Error::Corrupt).
//!
//! Why: the crate trusts the counts it reads. It fills a buffer of a page
//! header's uncompressed size (up to 2 GiB) before it decompresses the
//! page, so one damaged header in a file of a few kilobytes costs a
//! gigabyte of memory (found by `fuzz/` on the cluster-file reader); it
//! sizes a dictionary by the count in the dictionary page's header; and
//! its `DELTA_LENGTH_BYTE_ARRAY` and `DELTA_BYTE_ARRAY` decoders size a
//! buffer by a 64-bit count inside the page's data (a 7 KB file asked for
//! 25 GB, found by `fuzz/` on the sketch reader). Neither lineage nor
//! Spark's default writer uses those two encodings, so their pages are
//! refused by name. The crate keeps its page header reader private, so
//! the headers (Thrift compact protocol) are walked here: the sizes, the
//! encoding and the dictionary's count are read, everything else is
//! skipped.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

/// How far a page may expand when decompressed. Snappy, the one codec this
/// build reads, expands at most about 21 times (a 3-byte copy of 64
/// bytes), and an uncompressed page does not expand at all.
const MAX_EXPANSION: u64 = 32;
/// Slack for tiny pages, whose headers and run lengths dominate.
const EXPANSION_SLACK: u64 = 64 << 10;
/// Longest page header read (statistics may hold long minimum and maximum
/// values); a longer one is treated as damage.
const MAX_HEADER: usize = 16 << 20;
/// Deepest nesting of Thrift structures skipped.
const MAX_DEPTH: u32 = 32;
/// Page encodings (Parquet's `Encoding` enum) whose decoders in the crate
/// size a buffer by a count read from the page's data, unchecked.
const UNBOUNDED_ENCODINGS: &[(i64, &str)] =
    &[(6, "DELTA_LENGTH_BYTE_ARRAY"), (7, "DELTA_BYTE_ARRAY")];

/// Checks the pages of every column chunk `(start, length)` of `file`, a
/// file of `file_len` bytes.
pub(crate) fn check(
    file: &mut File,
    file_len: u64,
    chunks: impl IntoIterator<Item = (u64, u64)>,
) -> Result<(), String> {
    let mut window = Vec::new();
    for (start, len) in chunks {
        let end = start
            .checked_add(len)
            .filter(|&end| end <= file_len)
            .ok_or_else(|| {
                format!(
                    "damaged page: a column chunk ({start}+{len}) lies past the end of the file"
                )
            })?;
        let mut at = start;
        while at < end {
            let page = read_header(file, at, end, &mut window)?;
            let data_end = at
                .checked_add(page.header_len)
                .and_then(|p| p.checked_add(page.compressed))
                .filter(|&p| p <= end)
                .ok_or_else(|| {
                    format!("damaged page: the page at byte {at} runs past its column chunk")
                })?;
            if page.uncompressed > page.compressed * MAX_EXPANSION + EXPANSION_SLACK {
                return Err(format!(
                    "damaged page: the page at byte {at} claims {} bytes from {} compressed bytes",
                    page.uncompressed, page.compressed
                ));
            }
            if let Some((_, name)) = UNBOUNDED_ENCODINGS
                .iter()
                .find(|(code, _)| page.encoding == Some(*code))
            {
                return Err(format!(
                    "the page at byte {at} is {name}-encoded, which lineage does not read \
                     (rewrite it with plain or dictionary encoding, the defaults of \
                     pyarrow and Spark)"
                ));
            }
            // Every value takes at least one bit.
            if page.dictionary_values > page.uncompressed.saturating_mul(8) {
                return Err(format!(
                    "damaged page: the dictionary page at byte {at} claims {} values in {} bytes",
                    page.dictionary_values, page.uncompressed
                ));
            }
            at = data_end;
        }
    }
    Ok(())
}

/// Checks that the footer (the file's metadata, Thrift compact) can be
/// walked: every list claims no more elements than there are bytes left,
/// structures nest at most [`MAX_DEPTH`] deep. The `parquet` crate skips a
/// list of booleans without reading a byte per element, so one that claims
/// 2^31 of them in an 8 KB file held it for seconds (found by
/// `fuzz/`); a file that is not Parquet at all is left to the crate to
/// name.
pub(crate) fn check_footer(file: &mut File, file_len: u64) -> Result<(), String> {
    if file_len < 12 {
        return Ok(());
    }
    let mut tail = [0u8; 8];
    file.seek(SeekFrom::Start(file_len - 8))
        .and_then(|_| file.read_exact(&mut tail))
        .map_err(|e| format!("cannot read the footer: {e}"))?;
    if &tail[4..] != b"PAR1" {
        return Ok(());
    }
    let len = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
    if len + 8 > file_len {
        return Ok(());
    }
    let mut footer = vec![0u8; len as usize];
    file.seek(SeekFrom::Start(file_len - 8 - len))
        .and_then(|_| file.read_exact(&mut footer))
        .map_err(|e| format!("cannot read the footer: {e}"))?;
    let mut c = Compact {
        bytes: &footer,
        at: 0,
    };
    c.skip(12, 0)
        .ok_or_else(|| "the footer (file metadata) is damaged".to_string())
}

/// What one page's header claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PageSizes {
    header_len: u64,
    uncompressed: u64,
    compressed: u64,
    /// The values' encoding (Parquet's `Encoding` enum), for data and
    /// dictionary pages.
    encoding: Option<i64>,
    /// The values a dictionary page holds (0 for other pages).
    dictionary_values: u64,
}

/// Reads the header at `at`, with a window that grows until the header
/// fits (or reaches the end of the chunk or [`MAX_HEADER`]).
fn read_header(
    file: &mut File,
    at: u64,
    end: u64,
    window: &mut Vec<u8>,
) -> Result<PageSizes, String> {
    let available = usize::try_from(end - at).unwrap_or(usize::MAX);
    let mut want = available.min(4096);
    loop {
        window.resize(want, 0);
        file.seek(SeekFrom::Start(at))
            .and_then(|_| file.read_exact(window))
            .map_err(|e| format!("damaged page: cannot read the page at byte {at}: {e}"))?;
        match parse_header(window) {
            Some(page) => return Ok(page),
            None if want < available && want < MAX_HEADER => {
                want = (want * 4).min(available).min(MAX_HEADER)
            }
            None => {
                return Err(format!(
                    "damaged page: the page header at byte {at} cannot be read"
                ))
            }
        }
    }
}

/// Parses a Thrift compact `PageHeader`: field 2 is the uncompressed size,
/// field 3 the compressed size (both i32); field 5 (a data page), 7 (a
/// dictionary page) and 8 (a version 2 data page) are structures holding
/// the encoding (field 2, or 4 in version 2) and, for the dictionary, the
/// number of values (field 1). `None` when the bytes end first or are not
/// a header.
fn parse_header(bytes: &[u8]) -> Option<PageSizes> {
    let mut c = Compact { bytes, at: 0 };
    let (mut uncompressed, mut compressed) = (None, None);
    let (mut encoding, mut dictionary_values) = (None, 0);
    let mut fields = Fields::default();
    while let Some((id, kind)) = fields.next(&mut c)? {
        match (id, kind) {
            (2, 5) => uncompressed = Some(zigzag(c.varint()?)),
            (3, 5) => compressed = Some(zigzag(c.varint()?)),
            (5 | 7 | 8, 12) => {
                let encoding_field = if id == 8 { 4 } else { 2 };
                let mut inner = Fields::default();
                while let Some((inner_id, kind)) = inner.next(&mut c)? {
                    match (inner_id, kind) {
                        (1, 5) if id == 7 => {
                            dictionary_values = u64::try_from(zigzag(c.varint()?)).ok()?
                        }
                        (field, 5) if field == encoding_field => {
                            encoding = Some(zigzag(c.varint()?))
                        }
                        _ => c.skip(kind, 1)?,
                    }
                }
            }
            _ => c.skip(kind, 0)?,
        }
    }
    let size = |v: Option<i64>| v.and_then(|v| u64::try_from(v).ok());
    Some(PageSizes {
        header_len: c.at as u64,
        uncompressed: size(uncompressed)?,
        compressed: size(compressed)?,
        encoding,
        dictionary_values,
    })
}

/// The field headers of one Thrift compact structure, in turn.
#[derive(Default)]
struct Fields {
    last: i16,
}

impl Fields {
    /// The next field's id and compact type; `Some(None)` at the
    /// structure's end, `None` when the bytes end or are not a field.
    fn next(&mut self, c: &mut Compact) -> Option<Option<(i16, u8)>> {
        let head = c.byte()?;
        if head == 0 {
            return Some(None);
        }
        let id = match head >> 4 {
            0 => i16::try_from(zigzag(c.varint()?)).ok()?,
            delta => self.last.checked_add(i16::from(delta))?,
        };
        self.last = id;
        Some(Some((id, head & 0x0f)))
    }
}

fn zigzag(n: u64) -> i64 {
    ((n >> 1) as i64) ^ -((n & 1) as i64)
}

/// A cursor over Thrift compact protocol bytes.
struct Compact<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Compact<'_> {
    fn byte(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.at)?;
        self.at += 1;
        Some(b)
    }

    fn varint(&mut self) -> Option<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    fn advance(&mut self, n: u64) -> Option<()> {
        let n = usize::try_from(n).ok()?;
        if n > self.bytes.len() - self.at {
            return None;
        }
        self.at += n;
        Some(())
    }

    /// Skips one value of compact type `kind`.
    fn skip(&mut self, kind: u8, depth: u32) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        match kind {
            // Booleans in a field header carry their value in the type.
            1 | 2 => Some(()),
            3 => self.advance(1),
            4..=6 => self.varint().map(drop),
            7 => self.advance(8),
            8 => {
                let len = self.varint()?;
                self.advance(len)
            }
            9 | 10 => {
                let head = self.byte()?;
                let element = head & 0x0f;
                let count = match u64::from(head >> 4) {
                    15 => self.varint()?,
                    n => n,
                };
                self.elements(count, &[element], depth)
            }
            11 => {
                let count = self.varint()?;
                if count == 0 {
                    return Some(());
                }
                let kinds = self.byte()?;
                self.elements(count, &[kinds >> 4, kinds & 0x0f], depth)
            }
            12 => {
                let mut fields = Fields::default();
                while let Some((_, kind)) = fields.next(self)? {
                    self.skip(kind, depth + 1)?;
                }
                Some(())
            }
            _ => None,
        }
    }

    /// Skips `count` elements of a list, set or map (each of `kinds` per
    /// element); a boolean element is one byte.
    fn elements(&mut self, count: u64, kinds: &[u8], depth: u32) -> Option<()> {
        // Every element takes at least one byte: a count beyond what is
        // left is damage, not a long loop.
        if count > (self.bytes.len() - self.at) as u64 {
            return None;
        }
        for _ in 0..count {
            for &kind in kinds {
                match kind {
                    1 | 2 => self.advance(1)?,
                    kind => self.skip(kind, depth + 1)?,
                }
            }
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_footer_claiming_more_elements_than_bytes_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.parquet");
        let write = |footer: &[u8]| {
            let mut bytes = b"PAR1".to_vec();
            bytes.extend_from_slice(footer);
            bytes.extend_from_slice(&(footer.len() as u32).to_le_bytes());
            bytes.extend_from_slice(b"PAR1");
            std::fs::write(&path, &bytes).unwrap();
            bytes.len() as u64
        };
        // Field 1, a list of 2^31 - 1 booleans, in a few bytes.
        let len = write(&[0x19, 0xf1, 0xff, 0xff, 0xff, 0xff, 0x07, 0x00]);
        let err = check_footer(&mut File::open(&path).unwrap(), len).unwrap_err();
        assert!(err.contains("footer"), "{err}");
        // A list of two booleans, one byte each, then the end: fine.
        let len = write(&[0x19, 0x21, 0x01, 0x02, 0x00]);
        check_footer(&mut File::open(&path).unwrap(), len).unwrap();
    }

    /// A data page header as the `parquet` crate writes it: type 0, sizes,
    /// and a data page header struct (field 5) with a nested statistics
    /// struct holding a binary.
    fn header(uncompressed: i32, compressed: i32) -> Vec<u8> {
        data_header(uncompressed, compressed, 0)
    }

    /// An i32 as Thrift compact writes it: zigzag, then a varint.
    fn push_i32(out: &mut Vec<u8>, v: i32) {
        let mut n = ((v << 1) ^ (v >> 31)) as u32;
        while n >= 0x80 {
            out.push((n as u8 & 0x7f) | 0x80);
            n >>= 7;
        }
        out.push(n as u8);
    }

    /// Type and sizes, the start of every page header.
    fn sizes(kind: i32, uncompressed: i32, compressed: i32) -> Vec<u8> {
        let mut out = vec![0x15];
        push_i32(&mut out, kind);
        for v in [uncompressed, compressed] {
            out.push(0x15);
            push_i32(&mut out, v);
        }
        out
    }

    /// [`header`] with the values in `encoding`.
    fn data_header(uncompressed: i32, compressed: i32, encoding: i32) -> Vec<u8> {
        let mut out = sizes(0, uncompressed, compressed);
        out.push(0x2c); // field 5, struct
        out.extend([0x15, 0x04]); // num_values 2
        out.push(0x15);
        push_i32(&mut out, encoding);
        out.extend([0x15, 0x06, 0x15, 0x06]); // level encodings
        out.extend([0x1c, 0x18, 0x03, b'a', b'b', b'c', 0x00]); // statistics { binary }
        out.push(0x00); // end of data page header
        out.push(0x00); // end of page header
        out
    }

    /// A dictionary page header (field 7) of `values` values, plain.
    fn dictionary_header(uncompressed: i32, compressed: i32, values: i32) -> Vec<u8> {
        let mut out = sizes(2, uncompressed, compressed);
        out.push(0x4c); // field 7 (after 3: delta 4), struct
        out.push(0x15);
        push_i32(&mut out, values);
        out.extend([0x15, 0x00, 0x00]); // plain, end of dictionary header
        out.push(0x00);
        out
    }

    /// `check` of one page of `header` followed by `data` bytes.
    fn check_page(header: &[u8], data: usize) -> Result<(), String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.parquet");
        let mut bytes = header.to_vec();
        bytes.resize(header.len() + data, 0);
        std::fs::write(&path, &bytes).unwrap();
        let len = bytes.len() as u64;
        check(&mut File::open(&path).unwrap(), len, [(0, len)])
    }

    #[test]
    fn reads_the_encoding_and_the_dictionary_size() {
        let page = parse_header(&data_header(100, 10, 8)).unwrap();
        assert_eq!((page.encoding, page.dictionary_values), (Some(8), 0));
        let page = parse_header(&dictionary_header(100, 10, 7)).unwrap();
        assert_eq!((page.encoding, page.dictionary_values), (Some(0), 7));
    }

    #[test]
    fn pages_whose_decoder_trusts_a_count_in_the_data_are_refused() {
        // Found by fuzz/ on the sketch reader: the id column's page turned
        // DELTA_LENGTH_BYTE_ARRAY, and the crate asked for 25 GB.
        for (code, name) in [(6, "DELTA_LENGTH_BYTE_ARRAY"), (7, "DELTA_BYTE_ARRAY")] {
            let err = check_page(&data_header(10, 10, code), 10).unwrap_err();
            assert!(err.contains(name) && err.contains("byte 0"), "{err}");
        }
        for code in [0, 2, 3, 5, 8] {
            check_page(&data_header(10, 10, code), 10).unwrap();
        }
    }

    #[test]
    fn a_dictionary_claiming_more_values_than_bits_is_refused() {
        let err = check_page(&dictionary_header(10, 10, 1 << 30), 10).unwrap_err();
        assert!(
            err.contains("claims 1073741824 values in 10 bytes"),
            "{err}"
        );
        check_page(&dictionary_header(10, 10, 80), 10).unwrap();
    }

    #[test]
    fn reads_the_sizes_and_the_header_length() {
        let bytes = header(1000, 300);
        let page = parse_header(&bytes).unwrap();
        assert_eq!(page.uncompressed, 1000);
        assert_eq!(page.compressed, 300);
        assert_eq!(page.header_len, bytes.len() as u64);
        // Cut short: not a header (the caller reads more).
        assert_eq!(parse_header(&bytes[..bytes.len() - 1]), None);
    }

    #[test]
    fn refuses_damaged_headers() {
        assert_eq!(parse_header(&[0x15, 0x00, 0x0f]), None);
        // A list claiming more elements than there are bytes.
        assert_eq!(parse_header(&[0x19, 0xf5, 0xff, 0xff, 0xff, 0x0f]), None);
        // Negative sizes.
        assert_eq!(parse_header(&header(-5, 10)), None);
    }

    #[test]
    fn a_page_claiming_a_gigabyte_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.parquet");
        let mut bytes = header(1 << 30, 10);
        let header_len = bytes.len() as u64;
        bytes.extend([0u8; 10]);
        std::fs::write(&path, &bytes).unwrap();
        let mut file = File::open(&path).unwrap();
        let err = check(&mut file, bytes.len() as u64, [(0, header_len + 10)]).unwrap_err();
        assert!(err.contains("claims 1073741824 bytes"), "{err}");
        let mut ok = header(100, 10);
        let len = ok.len() as u64 + 10;
        ok.extend([0u8; 10]);
        std::fs::write(&path, &ok).unwrap();
        let mut file = File::open(&path).unwrap();
        check(&mut file, len, [(0, len)]).unwrap();
        let err = check(&mut file, len, [(0, len + 1)]).unwrap_err();
        assert!(err.contains("past the end"), "{err}");
    }
}
