//! Writing a backup: every collection of the database, in name order, with its indexes.
//!
//! Each collection is read with one cursor, so a backup taken while the system runs is
//! consistent per document, not across collections: take it with the api and workers stopped
//! for an exact copy (docs/operations.md).

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;
use futures::TryStreamExt;
use mongodb::Database;
use mongodb::bson::{Document, doc};

use super::format::{write_collection, write_document, write_end, write_header};
use super::{BackupError, BackupSummary};

/// The collections of `db` a backup holds: all but MongoDB's own `system.*`.
pub(super) async fn collection_names(db: &Database) -> Result<Vec<String>, BackupError> {
    let mut names: Vec<String> = db
        .list_collection_names()
        .await?
        .into_iter()
        .filter(|name| !name.starts_with("system."))
        .collect();
    names.sort();
    Ok(names)
}

/// The index specifications of collection `name`, as `listIndexes` answers them.
async fn index_specs(db: &Database, name: &str) -> Result<Vec<Document>, BackupError> {
    let mut cursor = db.collection::<Document>(name).list_indexes().await?;
    let mut specs = Vec::new();
    while let Some(model) = cursor.try_next().await? {
        let mut spec = doc! { "key": model.keys };
        if let Some(options) = model.options {
            let options = mongodb::bson::to_document(&options)
                .map_err(|e| BackupError::Format(format!("index of {name}: {e}")))?;
            spec.extend(options);
        }
        specs.push(spec);
    }
    Ok(specs)
}

/// Writes the backup of `db` to `out`, gzip-compressed.
pub(super) async fn dump(db: &Database, out: impl Write) -> Result<BackupSummary, BackupError> {
    let mut out = GzEncoder::new(out, Compression::default());
    write_header(&mut out, db.name())?;
    let mut summary = BackupSummary {
        collections: 0,
        documents: 0,
    };
    for name in collection_names(db).await? {
        write_collection(&mut out, &name, index_specs(db, &name).await?)?;
        summary.collections += 1;
        let mut cursor = db.collection::<Document>(&name).find(doc! {}).await?;
        while let Some(document) = cursor.try_next().await? {
            write_document(&mut out, document)?;
            summary.documents += 1;
        }
    }
    write_end(&mut out, summary)?;
    out.finish()?.flush()?;
    Ok(summary)
}
