//! Media bytes in MongoDB GridFS (bucket `media_files`), the [`MediaStorage`] used today.
//! Files are keyed by the media id, so a retried delete or a crash between the record and
//! the file never leaves an unreachable file behind under another name.

use std::path::Path;

use futures::future::BoxFuture;
use futures::io::{AsyncReadExt, AsyncWriteExt};
use futures::{FutureExt, StreamExt};
use mongodb::bson::{Bson, doc};
use mongodb::gridfs::GridFsBucket;
use mongodb::options::GridFsBucketOptions;
use mongodb::{Database, error::ErrorKind, error::GridFsErrorKind};
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

    async fn download(&self, key: &str) -> Result<ByteStream, StorageError> {
        let stream = self
            .bucket
            .open_download_stream(Bson::String(key.to_string()))
            .await
            .map_err(backend)?;
        let chunks = futures::stream::unfold(Some(stream), |state| async move {
            let mut stream = state?;
            let mut buffer = vec![0u8; BUFFER];
            match stream.read(&mut buffer).await {
                Ok(0) => None,
                Ok(n) => {
                    buffer.truncate(n);
                    Some((Ok(buffer), Some(stream)))
                }
                Err(e) => Some((Err(e), None)),
            }
        });
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
