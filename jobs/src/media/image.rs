//! Checking uploaded images and preparing what is stored: a JPEG that Instagram can publish.
//! Every image is checked whole ([`super::whole`]) and decoded in full within its
//! [`DecodeBudget`]; a JPEG within the publish size is kept as it is, anything else (PNG, WebP,
//! or a JPEG larger than the publish size) is stored as a new JPEG, scaled down to fit.
//! Blocking: call from the blocking pool.

use std::io::{BufWriter, Cursor};
use std::path::Path;

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Rgb, RgbImage};

use super::decode_budget::DecodeBudget;
use super::{IngestError, SourceFormat, jpeg, whole};

/// JPEG qualities tried in turn until the converted image fits the size limit.
const QUALITIES: [u8; 4] = [90, 82, 74, 65];

/// How an image is checked and what it may be stored as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageRules {
    /// What decoding may cost.
    pub budget: DecodeBudget,
    /// Longest side of a stored image; larger images are scaled down to it.
    pub max_side: u32,
    /// Largest stored JPEG, in bytes.
    pub max_jpeg_bytes: u64,
}

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

fn name(format: SourceFormat) -> &'static str {
    match format {
        SourceFormat::Jpeg => "JPEG",
        SourceFormat::Png => "PNG",
        SourceFormat::Webp => "WebP",
        SourceFormat::Mp4 | SourceFormat::Mov => "video",
    }
}

fn unreadable(format: SourceFormat, e: impl std::fmt::Display) -> IngestError {
    IngestError::Invalid(format!(
        "the {} image could not be read ({e})",
        name(format)
    ))
}

/// Decodes a PNG or WebP with the `image` crate. The bytes are already in memory, so any
/// error of the decoder, an unexpected end of data included, is about the file.
fn decode_other(
    bytes: &[u8],
    format: SourceFormat,
    budget: &DecodeBudget,
) -> Result<DynamicImage, IngestError> {
    let image_format = match format {
        SourceFormat::Png => ImageFormat::Png,
        _ => ImageFormat::WebP,
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), image_format);
    reader.limits(budget.image_limits());
    let map = |e: image::ImageError| match e {
        image::ImageError::Limits(_) => IngestError::Invalid(format!(
            "the {} image is too large to process",
            name(format)
        )),
        other => unreadable(format, other),
    };
    let decoder = reader.into_decoder().map_err(map)?;
    let (width, height) = decoder.dimensions();
    budget.admit(
        width,
        height,
        u64::from(decoder.color_type().bytes_per_pixel()),
    )?;
    DynamicImage::from_decoder(decoder).map_err(map)
}

/// Reads the image at `source` whole (a truncated or corrupt file is refused). A JPEG whose
/// longest side is within `rules.max_side` is kept as it is; anything else is written to
/// `output` as a JPEG (turned upright, scaled down to `rules.max_side`, transparency flattened
/// onto white) at the best quality that fits `rules.max_jpeg_bytes`.
pub fn inspect_or_convert(
    source: &Path,
    format: SourceFormat,
    output: &Path,
    rules: &ImageRules,
) -> Result<ImageInfo, IngestError> {
    if format.is_video() {
        return Err(IngestError::Invalid("not an image".into()));
    }
    let bytes = std::fs::read(source)?;
    whole::check(format, &bytes).map_err(|why| {
        IngestError::Invalid(format!(
            "the {} image could not be read: it is incomplete or corrupt ({why})",
            name(format)
        ))
    })?;
    let image = if format == SourceFormat::Jpeg {
        let decoded = jpeg::decode(&bytes, &rules.budget)?;
        let (width, height) = (decoded.image.width(), decoded.image.height());
        if width.max(height) <= rules.max_side {
            return Ok(ImageInfo {
                width,
                height,
                converted: false,
            });
        }
        let mut image = decoded.image;
        image.apply_orientation(decoded.orientation);
        image
    } else {
        decode_other(&bytes, format, &rules.budget)?
    };
    drop(bytes);
    let rgb = flatten_onto_white(fit_within(image, rules.max_side));
    let (width, height) = rgb.dimensions();
    write_jpeg(&rgb, output, rules.max_jpeg_bytes)?;
    Ok(ImageInfo {
        width,
        height,
        converted: true,
    })
}

/// Scaled down (keeping its aspect ratio) so that neither side is longer than `max_side`.
fn fit_within(image: DynamicImage, max_side: u32) -> DynamicImage {
    if image.width().max(image.height()) <= max_side {
        image
    } else {
        image.thumbnail(max_side, max_side)
    }
}

fn write_jpeg(rgb: &RgbImage, output: &Path, max_bytes: u64) -> Result<(), IngestError> {
    for quality in QUALITIES {
        let mut writer = BufWriter::new(std::fs::File::create(output)?);
        JpegEncoder::new_with_quality(&mut writer, quality)
            .encode_image(rgb)
            .map_err(|e| match e {
                image::ImageError::IoError(e) => IngestError::Io(e),
                other => {
                    IngestError::Invalid(format!("the image could not be converted ({other})"))
                }
            })?;
        drop(writer);
        if std::fs::metadata(output)?.len() <= max_bytes {
            return Ok(());
        }
    }
    Err(IngestError::TooLarge(format!(
        "the image is still larger than {max_bytes} bytes after conversion to JPEG"
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
