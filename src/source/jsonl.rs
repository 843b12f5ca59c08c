//! JSON Lines input: one document per line, fields chosen by the caller.
//!
//! Each line is an object; the text comes from `text_field` (default
//! `text`), the id from `id_field` (default `id`, a string or a number; when
//! absent the id is `FILE:LINE`), and title, url and date from their fields
//! when present. A bad line is an [`Error::Malformed`] naming the file and
//! line; the other lines are still read. Lines stream from any
//! [`BufRead`], so memory is bounded by the longest line, and a line longer
//! than the limit per document ([`DEFAULT_MAX_DOC_BYTES`] unless set) is
//! skipped without being held: it is an [`Error::TooLarge`] for that line.
//! A line with no end after `ENDLESS` times the limit (`/dev/zero`) ends
//! the input.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use serde::de::{
    DeserializeSeed, Deserializer, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde_json::value::RawValue;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::source::{Document, Metadata, DEFAULT_MAX_DOC_BYTES};

mod fast;

/// Which JSON fields hold what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonlFields {
    /// Field holding the document id.
    pub id: String,
    /// Field holding the text.
    pub text: String,
    /// Field holding the title.
    pub title: String,
    /// Field holding the link.
    pub url: String,
    /// Field holding the publish date.
    pub date: String,
}

impl JsonlFields {
    /// Whether a field names a nested value: a dotted path (`meta.body`)
    /// or a JSON pointer (`/meta/body`).
    fn nested(&self) -> bool {
        [&self.id, &self.text, &self.title, &self.url, &self.date]
            .iter()
            .any(|f| f.contains('.') || f.starts_with('/'))
    }
}

/// The value `name` names in `record`: a JSON pointer (`/meta/body`), a
/// top-level key (`meta.body` when the record has that key), or a dotted
/// path (`meta.body` inside `meta`).
fn lookup<'v>(record: &'v Value, name: &str) -> Option<&'v Value> {
    if name.starts_with('/') {
        return record.pointer(name);
    }
    if let Some(v) = record.get(name) {
        return Some(v);
    }
    name.split('.').try_fold(record, |v, key| v.get(key))
}

fn not_a_string(field: &str) -> String {
    format!("field '{field}' is not a string")
}

fn no_text_field(field: &str) -> String {
    format!("no '{field}' field (choose one with --text-field)")
}

/// [`parse_record_serde`] for nested fields: the whole record as a value,
/// each field looked up by [`lookup`].
fn parse_record_nested(
    path: &Path,
    line: usize,
    bytes: &[u8],
    fields: &JsonlFields,
) -> Result<Document> {
    let malformed = |message: String| Error::Malformed {
        path: path.to_path_buf(),
        line,
        message,
    };
    let record: Value =
        serde_json::from_slice(bytes).map_err(|e| malformed(format!("not valid JSON: {e}")))?;
    if !record.is_object() {
        return Err(malformed("expected a JSON object".into()));
    }
    let text = match lookup(&record, &fields.text) {
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(malformed(not_a_string(&fields.text))),
        None => return Err(malformed(no_text_field(&fields.text))),
    };
    let scalar = |name: &str| match lookup(&record, name) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let id = match lookup(&record, &fields.id) {
        Some(Value::String(_) | Value::Number(_)) | None => {
            scalar(&fields.id).unwrap_or_else(|| format!("{}:{}", path.display(), line))
        }
        Some(_) => {
            return Err(malformed(format!(
                "field '{}' is not a string or number",
                fields.id
            )))
        }
    };
    let mut doc = Document::new(id, text);
    doc.meta = Metadata {
        title: scalar(&fields.title),
        url: scalar(&fields.url),
        date: scalar(&fields.date),
    };
    Ok(doc)
}

impl Default for JsonlFields {
    fn default() -> Self {
        JsonlFields {
            id: "id".into(),
            text: "text".into(),
            title: "title".into(),
            url: "url".into(),
            date: "date".into(),
        }
    }
}

/// Streams documents out of a JSON Lines reader.
pub struct JsonlReader<R> {
    reader: R,
    path: PathBuf,
    fields: JsonlFields,
    line: usize,
    buf: Vec<u8>,
    limit: u64,
    ended: bool,
}

impl<R: BufRead> JsonlReader<R> {
    /// A reader over `reader`; `path` names the input in ids and errors.
    /// Records longer than [`DEFAULT_MAX_DOC_BYTES`] are skipped.
    pub fn new(reader: R, path: &Path, fields: JsonlFields) -> Self {
        JsonlReader {
            reader,
            path: path.to_path_buf(),
            fields,
            line: 0,
            buf: Vec::new(),
            limit: DEFAULT_MAX_DOC_BYTES,
            ended: false,
        }
    }

    /// Skips records longer than `limit` bytes instead.
    pub fn with_limit(mut self, limit: u64) -> Self {
        self.limit = limit;
        self
    }

    /// The line the last record came from, as read: untrimmed, with its
    /// line end when it had one (empty before the first record).
    pub fn raw_line(&self) -> &[u8] {
        &self.buf
    }

    fn parse(&self, bytes: &[u8]) -> Result<Document> {
        parse_record(&self.path, self.line, bytes, &self.fields)
    }
}

/// Parses one JSON Lines record: `bytes` is line `line` of `path` (which
/// name the document in its default id and in errors). Callers that read
/// lines themselves (to parse a batch in parallel) use this; it is what
/// [`JsonlReader`] does with each line.
pub(crate) fn parse_record(
    path: &Path,
    line: usize,
    bytes: &[u8],
    fields: &JsonlFields,
) -> Result<Document> {
    parse_record_reusing(path, line, bytes, fields, &mut None)
}

/// [`parse_record`], decoding the text into `spare` when it holds a
/// buffer (a previous document's text that is done with), which saves an
/// allocation per record. The document is the same either way.
pub(crate) fn parse_record_reusing(
    path: &Path,
    line: usize,
    bytes: &[u8],
    fields: &JsonlFields,
    spare: &mut Option<String>,
) -> Result<Document> {
    if fields.nested() {
        return parse_record_nested(path, line, bytes, fields);
    }
    let fast = fast::parse_reusing(bytes, fields, spare);
    if let Some(doc) = fast.and_then(|f| from_fast(path, line, f)) {
        return Ok(doc);
    }
    parse_record_serde(path, line, bytes, fields)
}

/// The document of a record read by the fast path, or `None` when the
/// record is an error (which the serde_json path then reports).
fn from_fast(path: &Path, line: usize, fast: fast::Fast) -> Option<Document> {
    use fast::Scalar;
    let Some(Scalar::Str(text)) = fast.text else {
        return None;
    };
    let id = match fast.id {
        Some(Scalar::Str(s) | Scalar::Int(s)) => s,
        Some(Scalar::Other) => return None,
        None => format!("{}:{}", path.display(), line),
    };
    let field = |v: Option<Scalar>| match v {
        Some(Scalar::Str(s) | Scalar::Int(s)) => Some(s),
        _ => None,
    };
    let mut doc = Document::new(id, text);
    doc.meta = Metadata {
        title: field(fast.title),
        url: field(fast.url),
        date: field(fast.date),
    };
    Some(doc)
}

/// [`parse_record`] by serde_json: any valid JSON, and the error messages.
fn parse_record_serde(
    path: &Path,
    line: usize,
    bytes: &[u8],
    fields: &JsonlFields,
) -> Result<Document> {
    let malformed = |message: String| Error::Malformed {
        path: path.to_path_buf(),
        line,
        message,
    };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let record = RecordSeed { fields }
        .deserialize(&mut de)
        .and_then(|r| de.end().map(|()| r))
        .map_err(|e| malformed(format!("not valid JSON: {e}")))?;
    let Some(mut record) = record else {
        return Err(malformed("expected a JSON object".into()));
    };
    let text = match record.text {
        Some(raw) if raw.get().starts_with('"') => unescape(raw.get())
            .ok_or_else(|| malformed(format!("not valid JSON: bad escape in '{}'", fields.text)))?,
        Some(_) => return Err(malformed(not_a_string(&fields.text))),
        None => return Err(malformed(no_text_field(&fields.text))),
    };
    let id = match record.id.take() {
        Some(Value::String(s)) => s,
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => {
            return Err(malformed(format!(
                "field '{}' is not a string or number",
                fields.id
            )))
        }
        None => format!("{}:{}", path.display(), line),
    };
    let field = |v: Option<Value>| match v {
        Some(Value::String(s)) => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let meta = Metadata {
        title: field(record.title),
        url: field(record.url),
        date: field(record.date),
    };
    let mut doc = Document::new(id, text);
    doc.meta = meta;
    Ok(doc)
}

/// Decodes a JSON string literal (quotes included) that the parser has
/// already validated; `None` for a lone surrogate, which serde_json rejects
/// too. The text is copied once, in runs between escapes.
fn unescape(raw: &str) -> Option<String> {
    let body = raw.get(1..raw.len().checked_sub(1)?)?;
    let bytes = body.as_bytes();
    let mut out = String::with_capacity(body.len());
    let mut pos = 0;
    while let Some(found) = memchr::memchr(b'\\', &bytes[pos..]) {
        let at = pos + found;
        out.push_str(body.get(pos..at)?);
        let (c, len) = match *bytes.get(at + 1)? {
            b'"' => ('"', 2),
            b'\\' => ('\\', 2),
            b'/' => ('/', 2),
            b'b' => ('\u{8}', 2),
            b'f' => ('\u{c}', 2),
            b'n' => ('\n', 2),
            b'r' => ('\r', 2),
            b't' => ('\t', 2),
            b'u' => fast::unicode_escape(body, at)?,
            _ => return None,
        };
        out.push(c);
        pos = at + len;
    }
    out.push_str(body.get(pos..)?);
    Some(out)
}

/// The fields of one record that lineage reads; other fields are skipped
/// without being built (parsing a whole `Value` map per line cost a third
/// of corpus sketching), and the text is kept as its raw JSON literal and
/// decoded in one pass. Measured again for the restructure: on Reuters
/// records with a nested `meta` object holding 4 KB of unread HTML (which
/// the fast path hands here), sketching with a `Value` map instead took
/// 1.40x as long at one thread and 1.51x at two, so this visitor stays. A repeated key keeps its last value, as a map
/// would.
#[derive(Default)]
struct Record<'de> {
    text: Option<&'de RawValue>,
    id: Option<Value>,
    title: Option<Value>,
    url: Option<Value>,
    date: Option<Value>,
}

/// Deserialises a [`Record`]; `None` when the line is JSON but not an
/// object.
struct RecordSeed<'a> {
    fields: &'a JsonlFields,
}

impl<'de> DeserializeSeed<'de> for RecordSeed<'_> {
    type Value = Option<Record<'de>>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

/// Which of the wanted fields a key names (one key can name several).
struct KeySeed<'a> {
    fields: &'a JsonlFields,
}

const TEXT: u8 = 1;
const ID: u8 = 2;
const TITLE: u8 = 4;
const URL: u8 = 8;
const DATE: u8 = 16;

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = u8;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<u8, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for KeySeed<'_> {
    type Value = u8;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: serde::de::Error>(self, key: &str) -> std::result::Result<u8, E> {
        let f = self.fields;
        let mut which = 0;
        for (name, bit) in [
            (&f.text, TEXT),
            (&f.id, ID),
            (&f.title, TITLE),
            (&f.url, URL),
            (&f.date, DATE),
        ] {
            if key == name.as_str() {
                which |= bit;
            }
        }
        Ok(which)
    }
}

impl<'de> Visitor<'de> for RecordSeed<'_> {
    type Value = Option<Record<'de>>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut record = Record::default();
        while let Some(which) = map.next_key_seed(KeySeed {
            fields: self.fields,
        })? {
            if which == 0 {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            let raw: &'de RawValue = map.next_value()?;
            if which & TEXT != 0 {
                record.text = Some(raw);
                if which == TEXT {
                    continue;
                }
            }
            let value: Value = serde_json::from_str(raw.get()).map_err(A::Error::custom)?;
            for (bit, slot) in [
                (ID, &mut record.id),
                (TITLE, &mut record.title),
                (URL, &mut record.url),
                (DATE, &mut record.date),
            ] {
                if which & bit != 0 {
                    *slot = Some(value.clone());
                }
            }
        }
        Ok(Some(record))
    }

    fn visit_seq<A: SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_bool<E>(self, _: bool) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_i64<E>(self, _: i64) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_u64<E>(self, _: u64) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_f64<E>(self, _: f64) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_str<E>(self, _: &str) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E>(self) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }
}

/// How many times the limit per document a line may run on, unended,
/// before the rest of the input is given up: an endless stream with no
/// line break (`/dev/zero`) ends in about a second instead of never.
pub(crate) const ENDLESS: u64 = 16;

/// What [`read_line`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Line {
    /// The end of the input.
    End,
    /// A line of this many bytes (with its `\n`) was appended.
    Read(usize),
    /// A line longer than the limit was skipped (nothing appended); this
    /// many bytes were read.
    TooLong(u64),
    /// No line end in [`ENDLESS`] times the limit; the reader stopped.
    Endless,
}

/// Reads one line (with its `\n`) into `buf`, like `BufRead::read_until`
/// with memchr's SIMD search, but never holds more than `limit` bytes of
/// it: a longer line is read on to its end and dropped.
pub(crate) fn read_line<R: BufRead + ?Sized>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    limit: u64,
) -> std::io::Result<Line> {
    let start = buf.len();
    let mut read = 0u64;
    let mut skipping = false;
    loop {
        let available = match reader.fill_buf() {
            Ok(available) => available,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                buf.truncate(start);
                return Err(e);
            }
        };
        if available.is_empty() {
            return Ok(match (skipping, read) {
                (true, _) => Line::TooLong(read),
                (false, 0) => Line::End,
                (false, _) => Line::Read(buf.len() - start),
            });
        }
        let (done, used) = match memchr::memchr(b'\n', available) {
            Some(i) => (true, i + 1),
            None => (false, available.len()),
        };
        read += used as u64;
        let content = read - u64::from(done);
        if !skipping && content > limit {
            skipping = true;
            buf.truncate(start);
        }
        if !skipping {
            buf.extend_from_slice(&available[..used]);
        }
        reader.consume(used);
        if done {
            return Ok(if skipping {
                Line::TooLong(read)
            } else {
                Line::Read(buf.len() - start)
            });
        }
        if read > limit.saturating_mul(ENDLESS) {
            return Ok(Line::Endless);
        }
    }
}

impl<R: BufRead> Iterator for JsonlReader<R> {
    type Item = Result<Document>;

    fn next(&mut self) -> Option<Result<Document>> {
        loop {
            if self.ended {
                return None;
            }
            self.buf.clear();
            self.line += 1;
            let too_large = || Error::TooLarge {
                path: self.path.clone(),
                line: Some(self.line),
                limit: self.limit,
            };
            match read_line(&mut self.reader, &mut self.buf, self.limit) {
                Ok(Line::End) => return None,
                Ok(Line::Read(_)) => {}
                Ok(Line::TooLong(_)) => return Some(Err(too_large())),
                Ok(Line::Endless) => {
                    self.ended = true;
                    return Some(Err(too_large()));
                }
                Err(source) => {
                    self.ended = true;
                    return Some(Err(Error::Read {
                        path: self.path.clone(),
                        source,
                    }));
                }
            }
            let line = self.buf.trim_ascii();
            if line.is_empty() {
                continue;
            }
            return Some(self.parse(line));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_fields_by_path_or_pointer() {
        let line = br#"{"meta": {"body": "the text", "id": 7, "links": ["u"]}, "a.b": "literal"}"#;
        let fields = |text: &str, id: &str| JsonlFields {
            text: text.into(),
            id: id.into(),
            ..JsonlFields::default()
        };
        let doc = parse_record(Path::new("x"), 1, line, &fields("meta.body", "meta.id")).unwrap();
        assert_eq!((doc.id.as_str(), doc.text.as_str()), ("7", "the text"));
        let doc = parse_record(Path::new("x"), 1, line, &fields("/meta/body", "id")).unwrap();
        assert_eq!((doc.id.as_str(), doc.text.as_str()), ("x:1", "the text"));
        let doc = parse_record(Path::new("x"), 1, line, &fields("a.b", "id")).unwrap();
        assert_eq!(doc.text, "literal");
        let err = parse_record(Path::new("x"), 2, line, &fields("meta.links", "id")).unwrap_err();
        assert!(
            err.to_string().contains("'meta.links' is not a string"),
            "{err}"
        );
        let err = parse_record(Path::new("x"), 2, line, &fields("meta.none", "id")).unwrap_err();
        assert!(err.to_string().contains("no 'meta.none' field"), "{err}");
    }

    #[test]
    fn a_line_over_the_limit_is_skipped_without_being_held() {
        // A small buffer, so that lines cross buffer boundaries.
        let input = b"short\n0123456789abcdef\nlast";
        let mut reader = std::io::BufReader::with_capacity(4, &input[..]);
        let mut buf = Vec::new();
        assert_eq!(read_line(&mut reader, &mut buf, 10).unwrap(), Line::Read(6));
        assert_eq!(buf, b"short\n");
        buf.clear();
        assert_eq!(
            read_line(&mut reader, &mut buf, 10).unwrap(),
            Line::TooLong(17)
        );
        assert!(buf.is_empty());
        assert_eq!(read_line(&mut reader, &mut buf, 10).unwrap(), Line::Read(4));
        assert_eq!(buf, b"last");
        buf.clear();
        assert_eq!(read_line(&mut reader, &mut buf, 10).unwrap(), Line::End);
        // Exactly the limit, with or without its line end, is read.
        let mut reader = &b"0123456789\n0123456789"[..];
        assert_eq!(
            read_line(&mut reader, &mut buf, 10).unwrap(),
            Line::Read(11)
        );
        assert_eq!(
            read_line(&mut reader, &mut buf, 10).unwrap(),
            Line::Read(10)
        );
    }

    #[test]
    fn an_endless_line_ends_the_input() {
        let mut zeros = std::io::BufReader::new(std::io::repeat(0));
        let mut buf = Vec::new();
        assert_eq!(
            read_line(&mut zeros, &mut buf, 1000).unwrap(),
            Line::Endless
        );
        assert!(buf.is_empty());
        let docs: Vec<_> = JsonlReader::new(
            std::io::BufReader::new(std::io::repeat(b'x')),
            Path::new("zero"),
            JsonlFields::default(),
        )
        .with_limit(1000)
        .collect();
        assert_eq!(docs.len(), 1);
        assert!(matches!(
            docs[0],
            Err(Error::TooLarge {
                line: Some(1),
                limit: 1000,
                ..
            })
        ));
    }

    #[test]
    fn reads_fields_and_reports_bad_lines() {
        let text = "{\"id\": 7, \"text\": \"hello world\", \"date\": \"2020-01-01\"}\n\nnot json\n{\"text\": \"no id\"}\n{\"id\": \"x\"}\n";
        let docs: Vec<_> = JsonlReader::new(
            text.as_bytes(),
            Path::new("in.jsonl"),
            JsonlFields::default(),
        )
        .collect();
        assert_eq!(docs.len(), 4);
        let first = docs[0].as_ref().unwrap();
        assert_eq!(first.id, "7");
        assert_eq!(first.meta.date.as_deref(), Some("2020-01-01"));
        assert!(matches!(docs[1], Err(Error::Malformed { line: 3, .. })));
        assert_eq!(docs[2].as_ref().unwrap().id, "in.jsonl:4");
        assert!(matches!(docs[3], Err(Error::Malformed { line: 5, .. })));
    }

    proptest::proptest! {
        #[test]
        fn unescape_matches_serde_json(text in "\\PC{0,40}", ascii in "[ -~\t\n]{0,40}") {
            for s in [&text, &ascii] {
                let literal = serde_json::to_string(s).unwrap();
                proptest::prop_assert_eq!(unescape(&literal), Some(s.clone()));
                // Escape everything as \uXXXX as well.
                let mut escaped = String::from("\"");
                for unit in s.encode_utf16() {
                    escaped.push_str(&format!("\\u{unit:04x}"));
                }
                escaped.push('"');
                let serde: String = serde_json::from_str(&escaped).unwrap();
                proptest::prop_assert_eq!(unescape(&escaped), Some(serde));
            }
        }
    }

    /// A random JSON value of the kinds records hold (rendered by hand, so
    /// that odd spacing and escapes appear), with occasional damage.
    fn json_value() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        prop_oneof![
            "\\PC{0,12}".prop_map(|s| serde_json::to_string(&s).unwrap()),
            "[a-z \\\\\"\n\t\u{1}é😀]{0,12}".prop_map(|s| serde_json::to_string(&s).unwrap()),
            "\"(\\\\u[0-9a-fA-F]{4}|[a-z\\\\/\"]){0,4}\"",
            any::<i64>().prop_map(|n| n.to_string()),
            any::<f64>().prop_map(|f| serde_json::to_string(&f).unwrap()),
            "-?(0|[1-9][0-9]{0,22})(\\.[0-9]{1,3})?([eE][-+]?[0-9]{1,2})?",
            Just("true".to_string()),
            Just("null".to_string()),
            Just("[1, {\"text\": \"x\"}]".to_string()),
            Just("-0".to_string()),
            Just("01".to_string()),
        ]
    }

    fn json_record() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let key = prop_oneof![
            Just("text"),
            Just("id"),
            Just("title"),
            Just("url"),
            Just("date"),
            Just("other"),
            Just("t\\u0065xt"),
        ];
        let space = prop_oneof![Just(""), Just(" "), Just("\t "), Just("\r\n")];
        proptest::collection::vec((key, json_value(), space), 0..5).prop_map(|fields| {
            let body: Vec<String> = fields
                .into_iter()
                .map(|(k, v, sp)| format!("{sp}\"{k}\"{sp}:{sp}{v}{sp}"))
                .collect();
            format!("{{{}}}", body.join(","))
        })
    }

    proptest::proptest! {
        #[test]
        fn fast_path_agrees_with_serde(
            record in json_record(),
            cut in 0usize..200,
            flip in proptest::option::of((0usize..200, 0u8..128)),
        ) {
            let fields = JsonlFields::default();
            let path = Path::new("r.jsonl");
            let mut bytes = record.into_bytes();
            if let Some((at, byte)) = flip {
                if at < bytes.len() {
                    bytes[at] = byte;
                }
            }
            for bytes in [&bytes[..], &bytes[..cut.min(bytes.len())]] {
                let serde = parse_record_serde(path, 3, bytes, &fields);
                let fast = fast::parse(bytes, &fields).and_then(|f| from_fast(path, 3, f));
                if let Some(doc) = fast {
                    proptest::prop_assert_eq!(Some(&doc), serde.as_ref().ok(), "{:?}", String::from_utf8_lossy(bytes));
                }
                let got = parse_record(path, 3, bytes, &fields).map_err(|e| e.to_string());
                proptest::prop_assert_eq!(got, serde.map_err(|e| e.to_string()));
            }
        }
    }

    #[test]
    fn fast_path_takes_flat_records() {
        let fields = JsonlFields::default();
        let line =
            br#"{"id": 12, "text": "a\nb \u00e9\ud83d\ude00", "date": "2020-01-01", "n": [1]}"#;
        assert!(
            fast::parse(line, &fields).is_none(),
            "nested values go to serde"
        );
        let line = br#" {"id": 12, "text": "a\nb \u00e9\ud83d\ude00", "date": "2020-01-01", "x": 1.5e3, "y": null} "#;
        let doc = from_fast(Path::new("f"), 1, fast::parse(line, &fields).unwrap()).unwrap();
        assert_eq!(doc.text, "a\nb é😀");
        assert_eq!(doc.id, "12");
        assert_eq!(doc.meta.date.as_deref(), Some("2020-01-01"));
    }

    #[test]
    fn record_parsing_edge_cases() {
        let fields = JsonlFields::default();
        let parse = |s: &str| parse_record(Path::new("f.jsonl"), 9, s.as_bytes(), &fields);
        let err = |s: &str| parse(s).unwrap_err().to_string();
        assert!(err("[1, 2]").contains("expected a JSON object"));
        assert!(err("\"text\"").contains("expected a JSON object"));
        assert!(err("{\"text\": 1}").contains("field 'text' is not a string"));
        assert!(err("{\"text\": \"a\"} x").contains("not valid JSON"));
        assert!(err("{\"text\": \"a\", \"id\": [1]}").contains("not a string or number"));
        let doc = parse(
            "{\"text\": \"first\", \"x\": {\"deep\": [1, {\"text\": 2}]}, \"text\": \"a\\nb\\u00e9\", \"id\": 3.5, \"date\": 2020}",
        )
        .unwrap();
        assert_eq!(doc.text, "a\nbé");
        assert_eq!(doc.id, "3.5");
        assert_eq!(doc.meta.date.as_deref(), Some("2020"));
        assert!(err("{\"text\": \"\\ud800 lone\"}").contains("not valid JSON"));
        let doc = parse("{\"text\": \"\\ud83d\\ude00 \\\" \\\\ \\/ \\t\\b\\f\\r\"}").unwrap();
        assert_eq!(doc.text, "😀 \" \\ / \t\u{8}\u{c}\r");
        let same_field = JsonlFields {
            title: "text".into(),
            ..JsonlFields::default()
        };
        let doc = parse_record(Path::new("f"), 1, b"{\"text\": \"t\"}", &same_field).unwrap();
        assert_eq!(
            (doc.text.as_str(), doc.meta.title.as_deref()),
            ("t", Some("t"))
        );
    }
}
