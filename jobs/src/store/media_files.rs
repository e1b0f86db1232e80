//! Media bytes in MongoDB GridFS (bucket `media_files`), the [`MediaStorage`] used today.
//! Files are keyed by the media id, so a retried delete or a crash between the record and
//! the file never leaves an unreachable file behind under another name.

use std::path::Path;

use futures::future::BoxFuture;
use futures::io::AsyncWriteExt;
use futures::{FutureExt, StreamExt, TryStreamExt};
use mongodb::bson::{Bson, Document, doc};
use mongodb::gridfs::GridFsBucket;
use mongodb::options::GridFsBucketOptions;
use mongodb::{Collection, Database, error::ErrorKind, error::GridFsErrorKind};
use tokio::io::AsyncReadExt as _;

use crate::media::{ByteStream, MediaStorage, StorageError};

/// Name of the GridFS bucket (collections `media_files.files` and `media_files.chunks`).
pub(super) const BUCKET: &str = "media_files";

/// Bytes read from the source and sent to GridFS at a time.
const BUFFER: usize = 256 * 1024;

/// GridFS-backed media storage. Cheap to clone.
#[derive(Debug, Clone)]
pub struct GridFsMediaStorage {
    bucket: GridFsBucket,
    chunks: Collection<Document>,
}

fn io_error(e: impl ToString) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

fn backend(e: mongodb::error::Error) -> StorageError {
    match e.kind.as_ref() {
        ErrorKind::GridFs(GridFsErrorKind::FileNotFound { .. }) => StorageError::NotFound,
        _ => StorageError::Backend(e.to_string()),
    }
}

impl GridFsMediaStorage {
    pub(super) fn new(db: &Database) -> Self {
        let options = GridFsBucketOptions::builder()
            .bucket_name(BUCKET.to_string())
            .build();
        Self {
            bucket: db.gridfs_bucket(options),
            chunks: db.collection(&format!("{BUCKET}.chunks")),
        }
    }

    async fn upload(
        &self,
        key: &str,
        content_type: &str,
        source: &Path,
    ) -> Result<u64, StorageError> {
        let mut file = tokio::fs::File::open(source).await?;
        let mut stream = self
            .bucket
            .open_upload_stream(key)
            .id(Bson::String(key.to_string()))
            .metadata(doc! { "content_type": content_type })
            .await
            .map_err(backend)?;
        let mut buffer = vec![0u8; BUFFER];
        let mut total = 0u64;
        let copied: Result<(), StorageError> = async {
            loop {
                let n = file.read(&mut buffer).await?;
                if n == 0 {
                    break;
                }
                stream.write_all(&buffer[..n]).await?;
                total += n as u64;
            }
            stream.close().await?;
            Ok(())
        }
        .await;
        if let Err(e) = copied {
            let _ = stream.abort().await;
            return Err(e);
        }
        Ok(total)
    }

    /// The file's chunks in order, read with one query. The bucket's own download stream
    /// reads the files document first, a second round trip for what the chunks say anyway.
    /// No chunk at all means no file: every stored file has bytes (media is never empty).
    async fn download(&self, key: &str) -> Result<ByteStream, StorageError> {
        let mut cursor = self
            .chunks
            .find(doc! { "files_id": key })
            .sort(doc! { "n": 1 })
            .await
            .map_err(backend)?;
        let first = match cursor.try_next().await.map_err(backend)? {
            Some(chunk) => chunk,
            None => return Err(StorageError::NotFound),
        };
        let chunks = futures::stream::try_unfold(
            (Some(first), cursor, 0i64),
            |(next, mut cursor, n)| async move {
                let chunk = match next {
                    Some(chunk) => chunk,
                    None => match cursor.try_next().await.map_err(io_error)? {
                        Some(chunk) => chunk,
                        None => return Ok(None),
                    },
                };
                let at = match chunk.get("n") {
                    Some(Bson::Int32(n)) => Some(i64::from(*n)),
                    Some(Bson::Int64(n)) => Some(*n),
                    _ => None,
                };
                if at != Some(n) {
                    return Err(io_error(format!("chunk {n} is missing (found {at:?})")));
                }
                let bytes = match chunk.get("data") {
                    Some(Bson::Binary(binary)) => binary.bytes.clone(),
                    _ => return Err(io_error(format!("chunk {n} has no data"))),
                };
                Ok(Some((bytes, (None, cursor, n + 1))))
            },
        );
        Ok(chunks.boxed())
    }

    async fn remove(&self, key: &str) -> Result<(), StorageError> {
        match self.bucket.delete(Bson::String(key.to_string())).await {
            Ok(()) => Ok(()),
            Err(e) => match backend(e) {
                StorageError::NotFound => Ok(()),
                other => Err(other),
            },
        }
    }
}

impl MediaStorage for GridFsMediaStorage {
    fn put<'a>(
        &'a self,
        key: &'a str,
        content_type: &'a str,
        source: &'a Path,
    ) -> BoxFuture<'a, Result<u64, StorageError>> {
        self.upload(key, content_type, source).boxed()
    }

    fn open<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<ByteStream, StorageError>> {
        self.download(key).boxed()
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StorageError>> {
        self.remove(key).boxed()
    }
}
