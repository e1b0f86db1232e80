//! An upload on its way in: written to a local spool file chunk by chunk (never held in
//! memory), recognised from its first bytes, measured and hashed as it arrives, and refused the
//! moment it passes the limit for what it turned out to be.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::sniff::{SNIFF_LEN, Sniffed, sniff};
use super::{IngestError, Limits, SourceFormat};

/// A local file removed when dropped (spooled uploads and converted images).
#[derive(Debug)]
pub struct TempFile {
    path: PathBuf,
}

impl TempFile {
    /// A new, not yet created, uniquely named file in `dir`.
    pub fn new_in(dir: &Path, suffix: &str) -> Self {
        let name = format!("aistudio-{}{suffix}", uuid::Uuid::new_v4().simple());
        Self {
            path: dir.join(name),
        }
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// An upload being written.
#[derive(Debug)]
pub struct Spool {
    file: Option<tokio::fs::File>,
    temp: TempFile,
    head: Vec<u8>,
    format: Option<SourceFormat>,
    size: u64,
    hasher: Sha256,
    limits: Limits,
}

/// A complete upload on local disk.
#[derive(Debug)]
pub struct Spooled {
    /// The spool file (removed when this is dropped).
    pub file: TempFile,
    /// What it is.
    pub format: SourceFormat,
    /// Its size in bytes.
    pub size: u64,
    /// SHA-256 of its bytes, hex.
    pub sha256: String,
}

impl Spool {
    /// Creates the spool file in `dir`.
    pub async fn create(dir: &Path, limits: Limits) -> Result<Self, IngestError> {
        let temp = TempFile::new_in(dir, ".upload");
        let file = tokio::fs::File::create(temp.path()).await?;
        Ok(Self {
            file: Some(file),
            temp,
            head: Vec::with_capacity(SNIFF_LEN),
            format: None,
            size: 0,
            hasher: Sha256::new(),
            limits,
        })
    }

    fn recognise(&mut self, at_end: bool) -> Result<(), IngestError> {
        if self.format.is_some() || (self.head.len() < SNIFF_LEN && !at_end) {
            return Ok(());
        }
        match sniff(&self.head) {
            Sniffed::Accepted(format) => {
                self.format = Some(format);
                Ok(())
            }
            Sniffed::Refused(what) => Err(IngestError::Unsupported(format!(
                "the file is {what}; upload JPEG, PNG or WebP images, or MP4 or MOV videos"
            ))),
            Sniffed::Unknown => Err(IngestError::Unsupported(
                "the file is not a JPEG, PNG or WebP image, nor an MP4 or MOV video".into(),
            )),
        }
    }

    fn check_size(&self) -> Result<(), IngestError> {
        let (limit, what) = match self.format {
            Some(format) => self.limits.for_upload(format),
            None => (self.limits.largest(), "upload"),
        };
        if self.size > limit {
            return Err(IngestError::TooLarge(format!(
                "the {what} is larger than the limit of {limit} bytes"
            )));
        }
        Ok(())
    }

    /// Appends a chunk; fails as soon as the file is recognised as unacceptable or too large.
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), IngestError> {
        if self.head.len() < SNIFF_LEN {
            let take = (SNIFF_LEN - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        self.recognise(false)?;
        self.size += chunk.len() as u64;
        self.check_size()?;
        self.hasher.update(chunk);
        let file = self
            .file
            .as_mut()
            .ok_or_else(|| IngestError::Io(std::io::Error::other("the spool file is closed")))?;
        file.write_all(chunk).await?;
        Ok(())
    }

    /// Flushes and closes the file.
    pub async fn finish(mut self) -> Result<Spooled, IngestError> {
        if self.size == 0 {
            return Err(IngestError::Invalid("the file is empty".into()));
        }
        self.recognise(true)?;
        if let Some(mut file) = self.file.take() {
            file.flush().await?;
        }
        let format = self
            .format
            .ok_or_else(|| IngestError::Invalid("the file is too short to recognise".into()))?;
        Ok(Spooled {
            file: self.temp,
            format,
            size: self.size,
            sha256: hex::encode(self.hasher.finalize()),
        })
    }
}
