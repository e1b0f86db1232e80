//! The backup file's lines. Each is one JSON object with exactly one of these keys:
//!
//! ```text
//! {"backup": {"format": "aistudio-backup", "version": 1, "database": "...", "created_at": "..."}}
//! {"collection": {"name": "users", "indexes": [<index specification>, ...]}}
//! {"document": <the document in canonical Extended JSON>}      (belongs to the last collection)
//! {"end": {"collections": 12, "documents": 3456}}
//! ```

use std::io::{BufRead, Write};

use mongodb::bson::{Bson, Document};
use serde_json::{Value, json};

use super::{BackupError, BackupSummary};

/// The header's `format`.
pub(super) const FORMAT: &str = "aistudio-backup";
/// The header's `version`.
pub(super) const VERSION: u64 = 1;

/// One line of a backup file.
#[derive(Debug)]
pub(super) enum Line {
    /// The header, first.
    Header,
    /// A collection starts: its name and index specifications.
    Collection {
        name: String,
        indexes: Vec<Document>,
    },
    /// A document of the current collection.
    Document(Document),
    /// The trailer, last.
    End(BackupSummary),
}

fn to_json(document: Document) -> Value {
    Bson::Document(document).into_canonical_extjson()
}

fn to_document(value: Value, what: &str) -> Result<Document, BackupError> {
    match Bson::try_from(value) {
        Ok(Bson::Document(document)) => Ok(document),
        Ok(_) => Err(BackupError::Format(format!("{what} is not a document"))),
        Err(e) => Err(BackupError::Format(format!("{what}: {e}"))),
    }
}

/// Writes `value` and a newline.
fn write_value(out: &mut impl Write, value: &Value) -> Result<(), BackupError> {
    serde_json::to_writer(&mut *out, value).map_err(std::io::Error::from)?;
    out.write_all(b"\n")?;
    Ok(())
}

/// Writes the header.
pub(super) fn write_header(out: &mut impl Write, database: &str) -> Result<(), BackupError> {
    let created_at = chrono::Utc::now().to_rfc3339();
    let header = json!({ "format": FORMAT, "version": VERSION, "database": database, "created_at": created_at });
    write_value(out, &json!({ "backup": header }))
}

/// Writes the line that starts collection `name`.
pub(super) fn write_collection(
    out: &mut impl Write,
    name: &str,
    indexes: Vec<Document>,
) -> Result<(), BackupError> {
    let indexes: Vec<Value> = indexes.into_iter().map(to_json).collect();
    write_value(
        out,
        &json!({ "collection": { "name": name, "indexes": indexes } }),
    )
}

/// Writes one document of the current collection.
pub(super) fn write_document(out: &mut impl Write, document: Document) -> Result<(), BackupError> {
    write_value(out, &json!({ "document": to_json(document) }))
}

/// Writes the trailer.
pub(super) fn write_end(out: &mut impl Write, summary: BackupSummary) -> Result<(), BackupError> {
    write_value(
        out,
        &json!({ "end": { "collections": summary.collections, "documents": summary.documents } }),
    )
}

/// Parses line number `number` (from 1).
pub(super) fn parse(text: &str, number: u64) -> Result<Line, BackupError> {
    let at = |message: String| BackupError::Format(format!("line {number}: {message}"));
    let value: Value = serde_json::from_str(text).map_err(|e| at(e.to_string()))?;
    let Value::Object(object) = value else {
        return Err(at("not a JSON object".into()));
    };
    if object.len() != 1 {
        return Err(at("expected exactly one key".into()));
    }
    let Some((key, body)) = object.into_iter().next() else {
        return Err(at("expected exactly one key".into()));
    };
    match key.as_str() {
        "backup" => {
            if body["format"] != FORMAT {
                return Err(at(format!("format is not {FORMAT}")));
            }
            if body["version"] != VERSION {
                return Err(at(format!(
                    "version {} is not supported (this program reads version {VERSION})",
                    body["version"]
                )));
            }
            Ok(Line::Header)
        }
        "collection" => {
            let name = body["name"]
                .as_str()
                .filter(|n| !n.is_empty())
                .ok_or_else(|| at("collection without a name".into()))?
                .to_string();
            let indexes = match body.get("indexes") {
                Some(Value::Array(specs)) => specs
                    .iter()
                    .map(|spec| to_document(spec.clone(), "an index specification"))
                    .collect::<Result<_, _>>()
                    .map_err(|e| at(e.to_string()))?,
                _ => return Err(at("collection without its indexes".into())),
            };
            Ok(Line::Collection { name, indexes })
        }
        "document" => Ok(Line::Document(
            to_document(body, "the document").map_err(|e| at(e.to_string()))?,
        )),
        "end" => {
            let count = |field: &str| {
                body[field]
                    .as_u64()
                    .ok_or_else(|| at(format!("end without {field}")))
            };
            Ok(Line::End(BackupSummary {
                collections: count("collections")?,
                documents: count("documents")?,
            }))
        }
        other => Err(at(format!("unknown line kind {other:?}"))),
    }
}

/// Reads a backup's lines in order, checking that the file is complete: a header first,
/// documents only inside a collection, a trailer last whose counts match what was read.
pub(super) struct Reader<R> {
    lines: std::io::Lines<R>,
    number: u64,
    read: BackupSummary,
    ended: Option<BackupSummary>,
}

impl<R: BufRead> Reader<R> {
    /// Reads the (already decompressed) lines of `input`.
    pub(super) fn new(input: R) -> Self {
        Self {
            lines: input.lines(),
            number: 0,
            read: BackupSummary {
                collections: 0,
                documents: 0,
            },
            ended: None,
        }
    }

    /// The next line, or `None` after the trailer once the whole file was checked.
    pub(super) fn next_line(&mut self) -> Result<Option<Line>, BackupError> {
        let Some(text) = self.lines.next().transpose()? else {
            return self.finish().map(|_| None);
        };
        self.number += 1;
        let number = self.number;
        if self.ended.is_some() {
            return Err(BackupError::Format(format!(
                "line {number}: data after the end"
            )));
        }
        let line = parse(&text, number)?;
        match (&line, number) {
            (Line::Header, 1) => {}
            (_, 1) => return Err(BackupError::Format("the header is missing".into())),
            (Line::Header, _) => {
                return Err(BackupError::Format(format!("line {number}: second header")));
            }
            (Line::Collection { .. }, _) => self.read.collections += 1,
            (Line::Document(_), _) if self.read.collections == 0 => {
                return Err(BackupError::Format(format!(
                    "line {number}: a document outside any collection"
                )));
            }
            (Line::Document(_), _) => self.read.documents += 1,
            (Line::End(expected), _) => self.ended = Some(*expected),
        }
        Ok(Some(line))
    }

    fn finish(&self) -> Result<BackupSummary, BackupError> {
        match self.ended {
            Some(expected) if expected == self.read => Ok(self.read),
            Some(expected) => Err(BackupError::Format(format!(
                "the end says {} collections and {} documents, the file holds {} and {}",
                expected.collections,
                expected.documents,
                self.read.collections,
                self.read.documents
            ))),
            None => Err(BackupError::Format(format!(
                "the file ends after line {} without its end line (truncated?)",
                self.number
            ))),
        }
    }
}

/// Reads and checks the whole of `input`; what it holds.
pub(super) fn check(input: impl BufRead) -> Result<BackupSummary, BackupError> {
    let mut reader = Reader::new(input);
    while reader.next_line()?.is_some() {}
    reader.finish()
}

#[cfg(test)]
mod tests {
    use mongodb::bson::{Binary, DateTime, doc, spec::BinarySubtype};

    use super::*;

    fn backup(lines: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
        let mut out = Vec::new();
        lines(&mut out);
        out
    }

    #[test]
    fn every_bson_type_used_round_trips() {
        let original = doc! {
            "_id": "u1",
            "at": DateTime::from_millis(1_700_000_000_123),
            "n": 3_i64,
            "i": 2_i32,
            "f": 1.5,
            "bin": Binary { subtype: BinarySubtype::Generic, bytes: vec![0, 1, 255] },
            "oid": mongodb::bson::oid::ObjectId::new(),
            "nested": { "list": [1, "a", null, true] },
        };
        let file = backup(|out| {
            write_header(out, "db").unwrap();
            write_collection(
                out,
                "users",
                vec![
                    doc! { "v": 2, "key": { "email": 1 }, "name": "email_unique", "unique": true },
                ],
            )
            .unwrap();
            write_document(out, original.clone()).unwrap();
            write_end(
                out,
                BackupSummary {
                    collections: 1,
                    documents: 1,
                },
            )
            .unwrap();
        });
        let mut reader = Reader::new(file.as_slice());
        let mut seen = Vec::new();
        while let Some(line) = reader.next_line().unwrap() {
            seen.push(line);
        }
        let summary = check(file.as_slice()).unwrap();
        assert_eq!(
            summary,
            BackupSummary {
                collections: 1,
                documents: 1
            }
        );
        assert!(
            matches!(&seen[1], Line::Collection { name, indexes } if name == "users" && indexes[0].get_bool("unique") == Ok(true))
        );
        assert!(matches!(&seen[2], Line::Document(d) if *d == original));
    }

    #[test]
    fn a_truncated_or_miscounted_file_is_refused() {
        let full = backup(|out| {
            write_header(out, "db").unwrap();
            write_collection(out, "posts", vec![]).unwrap();
            write_document(out, doc! { "_id": 1 }).unwrap();
            write_end(
                out,
                BackupSummary {
                    collections: 1,
                    documents: 1,
                },
            )
            .unwrap();
        });
        let text = String::from_utf8(full).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let cut = lines[..3].join("\n");
        let err = check(cut.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("without its end line"), "{err}");
        let miscounted = [lines[0], lines[1], lines[3]].join("\n");
        let err = check(miscounted.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("holds 1 and 0"), "{err}");
        let headless = lines[1..].join("\n");
        let err = check(headless.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("header is missing"), "{err}");
        let orphan = [lines[0], lines[2]].join("\n");
        let err = check(orphan.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("outside any collection"), "{err}");
    }

    #[test]
    fn another_format_or_version_is_refused() {
        let err = parse(r#"{"backup":{"format":"mongodump","version":1}}"#, 1).unwrap_err();
        assert!(
            err.to_string().contains("format is not aistudio-backup"),
            "{err}"
        );
        let err = parse(r#"{"backup":{"format":"aistudio-backup","version":2}}"#, 1).unwrap_err();
        assert!(
            err.to_string().contains("version 2 is not supported"),
            "{err}"
        );
    }
}
