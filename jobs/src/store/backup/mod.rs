//! Backups of the whole database through the driver, restored into an empty database.
//!
//! A backup file is gzip of newline-delimited JSON ([`format`]): a header, then for each
//! collection (GridFS's `media_files.files` and `media_files.chunks` included) a line naming
//! it with its index specifications followed by one line per document in canonical Extended
//! JSON (every BSON type round-trips), and a trailer with the counts, so a truncated file is
//! refused before anything is written. Documents are copied as stored: Instagram tokens stay sealed with the
//! token vault's keys (a backup is useless without them, and reveals nothing without them),
//! sessions and single-use links stay hashes.
//!
//! A restore reads the whole file once to check it, refuses a database where any collection
//! holds documents (unless asked to replace it, which drops its collections first), inserts the
//! documents in batches, recreates the recorded indexes and then runs the product's own index
//! setup ([`Store::ensure_indexes`]).
//!
//! Redis is not in a backup: MongoDB is the system of record and queue maintenance, the
//! dispatcher and the reconciler rebuild what Redis held (see docs/operations.md).

mod dump;
mod format;
mod restore;

use std::io::{BufRead, Write};

use super::{Store, StoreError};

/// What a backup or a restore copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackupSummary {
    /// Collections copied.
    pub collections: u64,
    /// Documents copied.
    pub documents: u64,
}

/// Why a backup or a restore failed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// Reading or writing the backup file failed.
    #[error("backup file: {0}")]
    Io(#[from] std::io::Error),
    /// The file is not a complete backup of this format.
    #[error("not a complete AIStudio backup: {0}")]
    Format(String),
    /// The target database holds documents and replacing it was not asked for.
    #[error(
        "database {database} is not empty (collection {collection} holds documents); restore into an empty database, or pass --replace to drop its collections first"
    )]
    NotEmpty {
        /// The target database.
        database: String,
        /// A collection holding documents.
        collection: String,
    },
    /// MongoDB failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<mongodb::error::Error> for BackupError {
    fn from(e: mongodb::error::Error) -> Self {
        Self::Store(e.into())
    }
}

/// Whether a restore may drop what the target database holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestoreMode {
    /// Refuse a database where any collection holds documents.
    IntoEmpty,
    /// Drop every collection of the target database first.
    Replace,
}

impl Store {
    /// Writes every collection of the database, with its indexes, to `out` (gzip-compressed).
    pub async fn backup(&self, out: impl Write) -> Result<BackupSummary, BackupError> {
        dump::dump(&self.db, out).await
    }

    /// Restores the backup read from `input` into this database, then creates the product's
    /// indexes. `input` is read twice: once to check it, once to copy it.
    pub async fn restore<R: BufRead>(
        &self,
        open: impl Fn() -> std::io::Result<R>,
        mode: RestoreMode,
    ) -> Result<BackupSummary, BackupError> {
        let summary = restore::restore(&self.db, open, mode).await?;
        self.ensure_indexes().await?;
        Ok(summary)
    }
}
