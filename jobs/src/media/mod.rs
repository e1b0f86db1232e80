//! The media library's file handling: recognising uploads by their bytes ([`sniff`]),
//! spooling them to disk as they stream in ([`spool`]), checking that an image is whole
//! ([`whole`]) and decoding it ([`jpeg`], [`image`]) within a [`decode_budget`], storing it as a
//! publish-ready JPEG ([`image`]), reading video facts from the MP4/MOV container ([`mp4`]),
//! bounding how many uploads are checked at once ([`check_slots`]), and the storage the bytes
//! end up in ([`storage`]).
//!
//! A video is never held in memory whole: it streams to a spool file, is checked there, and
//! streams from there into storage. An image (at most `media.max_image_upload_bytes`) is read
//! into memory to be checked and decoded, its pixels and decoder memory bounded by
//! `media.max_image_pixels` and `media.max_decode_bytes`.

pub mod check_slots;
pub mod decode_budget;
pub mod image;
pub mod jpeg;
pub mod mp4;
pub mod sniff;
pub mod spool;
pub mod storage;
pub mod whole;

use std::path::{Path, PathBuf};

use aistudio_config::MediaSettings;
use sha2::{Digest, Sha256};

pub use check_slots::{Busy, CheckSlot, CheckSlots};
pub use decode_budget::DecodeBudget;
pub use image::ImageRules;
pub use sniff::SourceFormat;
pub use spool::{Spool, Spooled, TempFile};
pub use storage::{ByteStream, MediaStorage, StorageError};

use crate::domain::MediaKind;

/// Why an upload was refused or could not be processed.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// Larger than the limit for its type.
    #[error("{0}")]
    TooLarge(String),
    /// Not a format the library takes.
    #[error("{0}")]
    Unsupported(String),
    /// The right format, but unreadable or outside what can be processed.
    #[error("{0}")]
    Invalid(String),
    /// A local file operation failed (a server problem, not the user's).
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}

/// Upload size limits, from `media.*` settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest JPEG upload and largest stored image.
    pub image_bytes: u64,
    /// Largest PNG or WebP upload (converted to JPEG).
    pub image_upload_bytes: u64,
    /// Largest image in pixels.
    pub image_pixels: u64,
    /// Most memory one image decode may use.
    pub decode_bytes: u64,
    /// Longest side of a stored image.
    pub image_side: u32,
    /// Largest video.
    pub video_bytes: u64,
}

impl Limits {
    /// The limits configured in `media`.
    pub fn from_settings(settings: &MediaSettings) -> Self {
        Self {
            image_bytes: settings.max_image_bytes,
            image_upload_bytes: settings.max_image_upload_bytes,
            image_pixels: settings.max_image_pixels,
            decode_bytes: settings.max_decode_bytes,
            image_side: settings.max_image_side,
            video_bytes: settings.max_video_bytes,
        }
    }

    /// How images are checked and stored.
    pub fn image_rules(&self) -> ImageRules {
        ImageRules {
            budget: DecodeBudget {
                max_pixels: self.image_pixels,
                max_bytes: self.decode_bytes,
            },
            max_side: self.image_side,
            max_jpeg_bytes: self.image_bytes,
        }
    }

    /// The largest upload of any type (what an unrecognised upload is held to).
    pub fn largest(&self) -> u64 {
        self.image_bytes
            .max(self.image_upload_bytes)
            .max(self.video_bytes)
    }

    /// The limit for an upload of `format`, and what to call it in a message.
    pub fn for_upload(&self, format: SourceFormat) -> (u64, &'static str) {
        match format {
            SourceFormat::Jpeg => (self.image_bytes, "JPEG image"),
            SourceFormat::Png => (self.image_upload_bytes, "PNG image"),
            SourceFormat::Webp => (self.image_upload_bytes, "WebP image"),
            SourceFormat::Mp4 | SourceFormat::Mov => (self.video_bytes, "video"),
        }
    }
}

/// The folder uploads are spooled in: `media.spool_dir`, or the system temp folder.
pub fn spool_dir(settings: &MediaSettings) -> PathBuf {
    if settings.spool_dir.trim().is_empty() {
        std::env::temp_dir()
    } else {
        PathBuf::from(&settings.spool_dir)
    }
}

/// An upload ready to store: the file to store and everything recorded about it.
#[derive(Debug)]
pub struct Ingested {
    /// The file to store (the spooled upload, or the converted JPEG).
    pub file: TempFile,
    /// Image or video.
    pub kind: MediaKind,
    /// What was uploaded.
    pub source_format: SourceFormat,
    /// Whether the stored file is a conversion of the upload.
    pub converted: bool,
    /// Content type of the stored file.
    pub content_type: &'static str,
    /// Stored size.
    pub size: u64,
    /// SHA-256 of the stored bytes, hex.
    pub sha256: String,
    /// Pixel width.
    pub width: u32,
    /// Pixel height.
    pub height: u32,
    /// Video facts, for videos.
    pub video: Option<mp4::VideoInfo>,
}

fn hash_file(path: &Path) -> std::io::Result<(u64, String)> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let size = std::io::copy(&mut file, &mut hasher)?;
    Ok((size, hex::encode(hasher.finalize())))
}

/// Checks a spooled upload and prepares what is stored: images are decoded (and stored as a
/// publish-ready JPEG when needed), videos have their container read. Runs on the blocking
/// pool, holding `slot` until the check is over, even when the request is dropped meanwhile.
pub async fn ingest(
    spooled: Spooled,
    limits: Limits,
    slot: CheckSlot,
) -> Result<Ingested, IngestError> {
    tokio::task::spawn_blocking(move || {
        let ingested = ingest_blocking(spooled, limits);
        drop(slot);
        ingested
    })
    .await
    .map_err(|e| IngestError::Io(std::io::Error::other(e)))?
}

fn ingest_blocking(spooled: Spooled, limits: Limits) -> Result<Ingested, IngestError> {
    let format = spooled.format;
    let content_type = format.stored_content_type();
    if format.is_video() {
        let mut file = std::io::BufReader::new(std::fs::File::open(spooled.file.path())?);
        let video = mp4::probe(&mut file, spooled.size).map_err(IngestError::Invalid)?;
        return Ok(Ingested {
            kind: MediaKind::Video,
            source_format: format,
            converted: false,
            content_type,
            size: spooled.size,
            sha256: spooled.sha256,
            width: video.width,
            height: video.height,
            video: Some(video),
            file: spooled.file,
        });
    }
    let dir = spooled
        .file
        .path()
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(std::env::temp_dir);
    let output = TempFile::new_in(&dir, ".jpg");
    let info = image::inspect_or_convert(
        spooled.file.path(),
        format,
        output.path(),
        &limits.image_rules(),
    )?;
    let (file, size, sha256) = if info.converted {
        drop(spooled.file);
        let (size, sha256) = hash_file(output.path())?;
        (output, size, sha256)
    } else {
        (spooled.file, spooled.size, spooled.sha256)
    };
    Ok(Ingested {
        file,
        kind: MediaKind::Image,
        source_format: format,
        converted: info.converted,
        content_type,
        size,
        sha256,
        width: info.width,
        height: info.height,
        video: None,
    })
}
