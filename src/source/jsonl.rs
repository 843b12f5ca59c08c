//! JSON Lines input: one document per line, fields chosen by the caller.
//!
//! Each line is an object; the text comes from `text_field` (default
//! `text`), the id from `id_field` (default `id`, a string or a number; when
//! absent the id is `FILE:LINE`), and title, url and date from their fields
//! when present. A bad line is an [`Error::Malformed`] naming the file and
//! line; the other lines are still read. Lines stream from any
//! [`BufRead`], so memory is bounded by the longest line.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::{Error, Result};
use crate::source::{Document, Metadata};

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
}

impl<R: BufRead> JsonlReader<R> {
    /// A reader over `reader`; `path` names the input in ids and errors.
    pub fn new(reader: R, path: &Path, fields: JsonlFields) -> Self {
        JsonlReader {
            reader,
            path: path.to_path_buf(),
            fields,
            line: 0,
            buf: Vec::new(),
        }
    }

    fn parse(&self, bytes: &[u8]) -> Result<Document> {
        parse_record(&self.path, self.line, bytes, &self.fields)
    }
}

/// Parses one JSON Lines record: `bytes` is line `line` of `path` (which
/// name the document in its default id and in errors). Callers that read
/// lines themselves (to parse a batch in parallel) use this; it is what
/// [`JsonlReader`] does with each line.
pub fn parse_record(
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
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| malformed(format!("not valid JSON: {e}")))?;
    let Value::Object(mut map) = value else {
        return Err(malformed("expected a JSON object".into()));
    };
    match map.get(&fields.text) {
        Some(Value::String(_)) => {}
        Some(_) => {
            return Err(malformed(format!(
                "field '{}' is not a string",
                fields.text
            )))
        }
        None => {
            return Err(malformed(format!(
                "no '{}' field (choose one with --text-field)",
                fields.text
            )))
        }
    }
    let id = match map.get(&fields.id) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => {
            return Err(malformed(format!(
                "field '{}' is not a string or number",
                fields.id
            )))
        }
        None => format!("{}:{}", path.display(), line),
    };
    let field = |name: &str| match map.get(name) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let meta = Metadata {
        title: field(&fields.title),
        url: field(&fields.url),
        date: field(&fields.date),
    };
    // Checked above to be a string; moved out rather than copied.
    let text = match map.remove(&fields.text) {
        Some(Value::String(s)) => s,
        _ => String::new(),
    };
    let mut doc = Document::new(id, text);
    doc.meta = meta;
    Ok(doc)
}

impl<R: BufRead> Iterator for JsonlReader<R> {
    type Item = Result<Document>;

    fn next(&mut self) -> Option<Result<Document>> {
        loop {
            self.buf.clear();
            self.line += 1;
            match self.reader.read_until(b'\n', &mut self.buf) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(source) => {
                    return Some(Err(Error::Read {
                        path: self.path.clone(),
                        source,
                    }))
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
}
