//! Where media bytes live, behind a trait: MongoDB GridFS today
//! ([`crate::store::GridFsMediaStorage`]); an object store can take its place without touching
//! the api, the repositories or the jobs.

use std::path::Path;

use futures::future::BoxFuture;
use futures::stream::BoxStream;

/// A file's bytes, in chunks, as they are read.
pub type ByteStream = BoxStream<'static, std::io::Result<Vec<u8>>>;

/// A storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// No file under that key.
    #[error("no stored file under this key")]
    NotFound,
    /// Reading the local source file failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// The backend refused or failed.
    #[error("storage error: {0}")]
    Backend(String),
}

/// A place to keep media files, by key (the media id).
pub trait MediaStorage: Send + Sync + std::fmt::Debug {
    /// Stores the file at `source` under `key`, streaming it; the number of bytes stored.
    /// On failure nothing is left behind under `key`.
    fn put<'a>(
        &'a self,
        key: &'a str,
        content_type: &'a str,
        source: &'a Path,
    ) -> BoxFuture<'a, Result<u64, StorageError>>;

    /// The stored bytes, streamed.
    fn open<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<ByteStream, StorageError>>;

    /// Removes the file; removing a missing file succeeds (deletion is retried safely).
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StorageError>>;
}
