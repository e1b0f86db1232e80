//! Checking uploaded images and converting PNG and WebP to JPEG, the only image format
//! Instagram publishes. Blocking: call from the blocking pool.

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::Path;

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, Rgb, RgbImage};

use super::{IngestError, SourceFormat};

/// JPEG qualities tried in turn until the converted image fits the size limit.
const QUALITIES: [u8; 4] = [90, 82, 74, 65];

/// An image as it will be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageInfo {
    /// Pixel width.
    pub width: u32,
    /// Pixel height.
    pub height: u32,
    /// Whether the stored file was converted (and written to the output path).
    pub converted: bool,
}

fn reader(
    path: &Path,
    format: ImageFormat,
    max_pixels: u64,
) -> std::io::Result<ImageReader<BufReader<File>>> {
    let mut reader = ImageReader::with_format(BufReader::new(File::open(path)?), format);
    let mut limits = Limits::default();
    // Decoded pixels (RGBA, 8 bits) plus the decoder's own buffers.
    limits.max_alloc = Some(max_pixels.saturating_mul(4) + 64 * 1024 * 1024);
    reader.limits(limits);
    Ok(reader)
}

fn invalid(what: &str, e: image::ImageError) -> IngestError {
    match e {
        image::ImageError::Limits(_) => {
            IngestError::Invalid(format!("the {what} image is too large to process"))
        }
        image::ImageError::IoError(e) => IngestError::Io(e),
        other => IngestError::Invalid(format!("the {what} image could not be read ({other})")),
    }
}

/// Reads the image at `source` fully (a truncated or corrupt file is refused). A JPEG is kept
/// as it is; PNG and WebP are converted to JPEG at `output` (transparency flattened onto
/// white), at the best quality that fits `max_jpeg_bytes`.
pub fn inspect_or_convert(
    source: &Path,
    format: SourceFormat,
    output: &Path,
    max_pixels: u64,
    max_jpeg_bytes: u64,
) -> Result<ImageInfo, IngestError> {
    let (image_format, name) = match format {
        SourceFormat::Jpeg => (ImageFormat::Jpeg, "JPEG"),
        SourceFormat::Png => (ImageFormat::Png, "PNG"),
        SourceFormat::Webp => (ImageFormat::WebP, "WebP"),
        SourceFormat::Mp4 | SourceFormat::Mov => {
            return Err(IngestError::Invalid("not an image".into()));
        }
    };
    let decoder = reader(source, image_format, max_pixels)?
        .into_decoder()
        .map_err(|e| invalid(name, e))?;
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(IngestError::Invalid(format!(
            "the {name} image has no pixels"
        )));
    }
    if u64::from(width) * u64::from(height) > max_pixels {
        return Err(IngestError::Invalid(format!(
            "the image is {width}x{height} pixels; at most {max_pixels} pixels are accepted"
        )));
    }
    let image = DynamicImage::from_decoder(decoder).map_err(|e| invalid(name, e))?;
    if format == SourceFormat::Jpeg {
        return Ok(ImageInfo {
            width,
            height,
            converted: false,
        });
    }
    let rgb = flatten_onto_white(image);
    for quality in QUALITIES {
        let file = File::create(output)?;
        let mut writer = BufWriter::new(file);
        JpegEncoder::new_with_quality(&mut writer, quality)
            .encode_image(&rgb)
            .map_err(|e| match e {
                image::ImageError::IoError(e) => IngestError::Io(e),
                other => {
                    IngestError::Invalid(format!("the image could not be converted ({other})"))
                }
            })?;
        drop(writer);
        if std::fs::metadata(output)?.len() <= max_jpeg_bytes {
            return Ok(ImageInfo {
                width,
                height,
                converted: true,
            });
        }
    }
    Err(IngestError::TooLarge(format!(
        "the image is still larger than {} bytes after conversion to JPEG",
        max_jpeg_bytes
    )))
}

/// RGB pixels, with any transparency composited over white (JPEG has no alpha).
fn flatten_onto_white(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    let (w, h) = rgba.dimensions();
    RgbImage::from_fn(w, h, |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let blend = |c: u8| {
            let (c, a) = (u16::from(c), u16::from(a));
            ((c * a + 255 * (255 - a) + 127) / 255) as u8
        };
        Rgb([blend(r), blend(g), blend(b)])
    })
}
