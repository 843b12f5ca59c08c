//! Apache Parquet input: a table of texts, one document per row.
//!
//! Corpora often ship as Parquet (Hugging Face datasets, Spark and pandas
//! exports). The columns are named as for JSON Lines ([`JsonlFields`]):
//! the text column (`text` by default) must hold strings; the id column
//! (`id`), when the file has it, strings or integers, else the id is
//! `FILE:ROW` (1-based, as `FILE:LINE` for JSON Lines); title, link and
//! date columns are read when present. A name reaches into struct columns
//! by a dotted path (`meta.body`) or a JSON pointer (`/meta/body`). Only
//! the named columns are decoded, row group by row group.
//!
//! A file that is not Parquet, or has no text column, is one
//! [`Error::BadTable`]; a row whose text is missing or not a string is an
//! [`Error::Malformed`] for that row (its `line` the row number), and one
//! longer than the limit an [`Error::TooLarge`]: the other rows are read.
//! Parquet is read by seeking to its footer, so it must be a file, not
//! standard input or a compressed stream.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use parquet::file::reader::FileReader;
use parquet::record::{Field, Row};
use parquet::schema::types::Type;

use crate::error::{Error, Result};
use crate::source::jsonl::JsonlFields;
use crate::source::untrusted;
use crate::source::{Document, Metadata};

/// Whether the file at `path` starts with the Parquet magic bytes.
pub(crate) fn has_parquet_magic(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 4];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && &head == b"PAR1"
}

/// A column name as the path of names into nested struct columns:
/// `/a/b` and `a.b` are `["a", "b"]`, a plain name is itself. A dotted
/// name that is also a top-level column (`a.b` as one name) is that
/// column, as for JSON Lines.
fn column_path(name: &str, top_level: &[&str]) -> Vec<String> {
    if let Some(pointer) = name.strip_prefix('/') {
        return pointer
            .split('/')
            .map(|p| p.replace("~1", "/").replace("~0", "~"))
            .collect();
    }
    if top_level.contains(&name) || !name.contains('.') {
        return vec![name.to_string()];
    }
    name.split('.').map(String::from).collect()
}

/// The value at `path` in `row`, if any (a null is none).
fn lookup<'r>(row: &'r Row, path: &[String]) -> Option<&'r Field> {
    let (first, rest) = path.split_first()?;
    let (_, field) = row.get_column_iter().find(|(name, _)| *name == first)?;
    match (field, rest.is_empty()) {
        (Field::Null, _) => None,
        (field, true) => Some(field),
        (Field::Group(inner), false) => lookup(inner, rest),
        _ => None,
    }
}

/// A scalar as text: strings as they are, numbers and dates as Parquet
/// prints them; `None` for lists, maps, structs and bytes that are not
/// UTF-8.
fn scalar(field: &Field) -> Option<String> {
    match field {
        Field::Str(s) => Some(s.clone()),
        Field::Bytes(b) => std::str::from_utf8(b.data()).ok().map(String::from),
        Field::Group(_) | Field::ListInternal(_) | Field::MapInternal(_) | Field::Null => None,
        other => Some(other.to_string()),
    }
}

/// Whether the file at `path` is Parquet but not a sketch that
/// `lineage sketch` wrote (whose metadata names lineage's parameters): a
/// table of documents to read.
pub fn is_document_table(path: &Path) -> bool {
    if !has_parquet_magic(path) {
        return false;
    }
    let damaged = |message| Error::BadTable {
        path: path.to_path_buf(),
        message,
    };
    let Ok(reader) = untrusted::guarded(|| untrusted::open(path, damaged), damaged) else {
        // Damaged: the sketch reader says why, in its own words.
        return false;
    };
    !reader
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .is_some_and(|kv| kv.iter().any(|kv| kv.key.starts_with("lineage.")))
}

/// The columns the fields name, as paths into the schema.
struct Columns {
    text: Vec<String>,
    id: Vec<String>,
    title: Vec<String>,
    url: Vec<String>,
    date: Vec<String>,
}

/// Reads every row of the Parquet file at `path` as a document (or the
/// error for that row), in row order. `limit` is the longest text read.
pub(crate) fn read_table(path: &Path, fields: &JsonlFields, limit: u64) -> Vec<Result<Document>> {
    let damaged = |message| Error::BadTable {
        path: path.to_path_buf(),
        message,
    };
    match untrusted::guarded(|| read_rows(path, fields, limit), damaged) {
        Ok(rows) => rows,
        Err(err) => vec![Err(err)],
    }
}

fn read_rows(path: &Path, fields: &JsonlFields, limit: u64) -> Result<Vec<Result<Document>>> {
    let bad = |message: String| Error::BadTable {
        path: path.to_path_buf(),
        message,
    };
    let reader = untrusted::open(path, bad)?;
    let schema = reader.metadata().file_metadata().schema();
    let top_level: Vec<&str> = schema.get_fields().iter().map(|f| f.name()).collect();
    let columns = Columns {
        text: column_path(&fields.text, &top_level),
        id: column_path(&fields.id, &top_level),
        title: column_path(&fields.title, &top_level),
        url: column_path(&fields.url, &top_level),
        date: column_path(&fields.date, &top_level),
    };
    if !top_level.contains(&columns.text[0].as_str()) {
        return Err(bad(format!(
            "no column '{}' for the text (columns: {})",
            fields.text,
            top_level.join(", ")
        )));
    }
    // Decode only the top-level columns the fields name.
    let named = [
        &columns.text,
        &columns.id,
        &columns.title,
        &columns.url,
        &columns.date,
    ];
    let wanted: Vec<Arc<Type>> = schema
        .get_fields()
        .iter()
        .filter(|f| named.iter().any(|p| p[0] == f.name()))
        .cloned()
        .collect();
    let projection = Type::group_type_builder(schema.name())
        .with_fields(wanted)
        .build()
        .map_err(|e| bad(e.to_string()))?;
    let rows = reader
        .get_row_iter(Some(projection))
        .map_err(|e| bad(e.to_string()))?;
    let mut out = Vec::new();
    for (n, row) in rows.enumerate() {
        let line = n + 1;
        match row {
            Ok(row) => out.push(document(path, line, &row, &columns, fields, limit)),
            // A damaged page: the rows after it cannot be told apart.
            Err(e) => {
                out.push(Err(bad(format!("row {line}: {e}"))));
                break;
            }
        }
    }
    Ok(out)
}

fn document(
    path: &Path,
    line: usize,
    row: &Row,
    columns: &Columns,
    fields: &JsonlFields,
    limit: u64,
) -> Result<Document> {
    let malformed = |message: String| Error::Malformed {
        path: path.to_path_buf(),
        line,
        message,
    };
    let text = match lookup(row, &columns.text) {
        Some(Field::Str(s)) => s,
        Some(_) => {
            return Err(malformed(format!(
                "column '{}' is not a string",
                fields.text
            )))
        }
        None => return Err(malformed(format!("no text in column '{}'", fields.text))),
    };
    if text.len() as u64 > limit {
        return Err(Error::TooLarge {
            path: path.to_path_buf(),
            line: Some(line),
            limit,
        });
    }
    let id = lookup(row, &columns.id)
        .and_then(scalar)
        .unwrap_or_else(|| format!("{}:{line}", path.display()));
    let meta = |p: &[String]| lookup(row, p).and_then(scalar);
    let mut doc = Document::new(id, text.clone());
    doc.meta = Metadata {
        title: meta(&columns.title),
        url: meta(&columns.url),
        date: meta(&columns.date),
    };
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_paths() {
        let top = ["text", "a.b"];
        assert_eq!(column_path("text", &top), ["text"]);
        assert_eq!(column_path("a.b", &top), ["a.b"]);
        assert_eq!(column_path("meta.body", &top), ["meta", "body"]);
        assert_eq!(column_path("/meta/body", &top), ["meta", "body"]);
        assert_eq!(column_path("/x~1y", &top), ["x/y"]);
    }

    #[test]
    fn a_file_that_is_not_parquet_is_one_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.parquet");
        std::fs::write(&path, "not parquet at all").unwrap();
        let rows = read_table(&path, &JsonlFields::default(), 1 << 20);
        assert!(
            matches!(rows[..], [Err(Error::BadTable { .. })]),
            "{rows:?}"
        );
    }

    /// A table of one text column whose page is in `encoding`, written by
    /// the `parquet` crate.
    fn table_in(path: &Path, encoding: parquet::basic::Encoding) {
        use parquet::data_type::{ByteArray, ByteArrayType};
        use parquet::file::properties::WriterProperties;
        use parquet::file::writer::SerializedFileWriter;
        let schema = Arc::new(
            parquet::schema::parser::parse_message_type(
                "message m { required binary text (UTF8); }",
            )
            .unwrap(),
        );
        let props = WriterProperties::builder()
            .set_dictionary_enabled(false)
            .set_encoding(encoding)
            .build();
        let mut writer =
            SerializedFileWriter::new(File::create(path).unwrap(), schema, Arc::new(props))
                .unwrap();
        let mut group = writer.next_row_group().unwrap();
        let mut column = group.next_column().unwrap().unwrap();
        let texts = [ByteArray::from("one text"), ByteArray::from("another text")];
        column
            .typed::<ByteArrayType>()
            .write_batch(&texts, None, None)
            .unwrap();
        column.close().unwrap();
        group.close().unwrap();
        writer.close().unwrap();
    }

    #[test]
    fn pages_the_decoder_cannot_bound_are_refused_by_name() {
        use parquet::basic::Encoding;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        table_in(&path, Encoding::PLAIN);
        assert!(is_document_table(&path));
        let rows = read_table(&path, &JsonlFields::default(), 1 << 20);
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(rows[1].as_ref().unwrap().text, "another text");
        // The crate's decoder of these sizes a buffer by a count in the
        // page's data: a damaged count asked for 25 GB (fuzz/).
        table_in(&path, Encoding::DELTA_BYTE_ARRAY);
        let rows = read_table(&path, &JsonlFields::default(), 1 << 20);
        match &rows[..] {
            [Err(Error::BadTable { message, .. })] => {
                assert!(message.contains("DELTA_BYTE_ARRAY"), "{message}")
            }
            other => panic!("{other:?}"),
        }
    }
}
