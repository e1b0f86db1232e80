//! Restoring a backup: checked whole first, then copied collection by collection in batches,
//! then the recorded indexes are created.

use std::io::{BufRead, BufReader};

use flate2::bufread::GzDecoder;
use mongodb::Database;
use mongodb::bson::{Document, doc};

use super::dump::collection_names;
use super::format::{Line, Reader, check};
use super::{BackupError, BackupSummary, RestoreMode};

/// Most documents one insert carries.
const BATCH_DOCUMENTS: usize = 500;
/// Most bytes (as BSON) one insert carries, well under MongoDB's 48 MB message limit.
const BATCH_BYTES: usize = 8 * 1024 * 1024;

fn decompressed<R: BufRead>(input: R) -> BufReader<GzDecoder<R>> {
    BufReader::new(GzDecoder::new(input))
}

/// A collection of `db` that holds documents, if any.
async fn non_empty_collection(db: &Database) -> Result<Option<String>, BackupError> {
    for name in collection_names(db).await? {
        let one = db
            .collection::<Document>(&name)
            .find_one(doc! {})
            .projection(doc! { "_id": 1 })
            .await?;
        if one.is_some() {
            return Ok(Some(name));
        }
    }
    Ok(None)
}

/// Documents gathered for one collection, inserted in bounded batches.
struct Batch<'a> {
    db: &'a Database,
    collection: String,
    documents: Vec<Document>,
    bytes: usize,
}

impl Batch<'_> {
    async fn push(&mut self, document: Document) -> Result<(), BackupError> {
        let size = mongodb::bson::to_vec(&document)
            .map_err(|e| BackupError::Format(e.to_string()))?
            .len();
        if !self.documents.is_empty()
            && (self.documents.len() >= BATCH_DOCUMENTS || self.bytes + size > BATCH_BYTES)
        {
            self.flush().await?;
        }
        self.bytes += size;
        self.documents.push(document);
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), BackupError> {
        if !self.documents.is_empty() {
            self.db
                .collection::<Document>(&self.collection)
                .insert_many(std::mem::take(&mut self.documents))
                .await?;
        }
        self.bytes = 0;
        Ok(())
    }
}

/// Creates the indexes recorded with collection `name` (its `_id` index exists already).
async fn create_indexes(
    db: &Database,
    name: &str,
    indexes: Vec<Document>,
) -> Result<(), BackupError> {
    let specs: Vec<Document> = indexes
        .into_iter()
        .filter(|spec| spec.get_str("name") != Ok("_id_"))
        .collect();
    if specs.is_empty() {
        // The collection exists even when it held no documents.
        if !collection_names(db).await?.iter().any(|n| n == name) {
            db.create_collection(name).await?;
        }
        return Ok(());
    }
    db.run_command(doc! { "createIndexes": name, "indexes": specs })
        .await?;
    Ok(())
}

/// Restores the backup `open` reads into `db`.
pub(super) async fn restore<R: BufRead>(
    db: &Database,
    open: impl Fn() -> std::io::Result<R>,
    mode: RestoreMode,
) -> Result<BackupSummary, BackupError> {
    let summary = check(decompressed(open()?))?;
    match mode {
        RestoreMode::IntoEmpty => {
            if let Some(collection) = non_empty_collection(db).await? {
                return Err(BackupError::NotEmpty {
                    database: db.name().to_string(),
                    collection,
                });
            }
        }
        RestoreMode::Replace => {
            for name in collection_names(db).await? {
                db.collection::<Document>(&name).drop().await?;
            }
        }
    }
    let mut reader = Reader::new(decompressed(open()?));
    let mut current: Option<(Batch<'_>, Vec<Document>)> = None;
    while let Some(line) = reader.next_line()? {
        match line {
            Line::Header | Line::End(_) => {}
            Line::Collection { name, indexes } => {
                if let Some((mut batch, indexes)) = current.take() {
                    batch.flush().await?;
                    create_indexes(db, &batch.collection, indexes).await?;
                }
                let batch = Batch {
                    db,
                    collection: name,
                    documents: Vec::new(),
                    bytes: 0,
                };
                current = Some((batch, indexes));
            }
            Line::Document(document) => {
                if let Some((batch, _)) = current.as_mut() {
                    batch.push(document).await?;
                }
            }
        }
    }
    if let Some((mut batch, indexes)) = current.take() {
        batch.flush().await?;
        create_indexes(db, &batch.collection, indexes).await?;
    }
    Ok(summary)
}
