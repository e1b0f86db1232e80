//! Decoding a JPEG strictly. The `image` crate runs its JPEG decoder (zune-jpeg) in lenient
//! mode, which paints missing or undecodable data grey and reports success; here the same
//! decoder runs in its strict mode, so a scan that ends early or holds bytes that are not valid
//! entropy-coded data is an error. Together with [`super::whole`] (the file ends in an EOI
//! marker after its last scan) a JPEG is accepted only when it decodes completely and cleanly.

use image::metadata::Orientation;
use image::{DynamicImage, RgbImage};
use zune_jpeg::JpegDecoder;
use zune_jpeg::zune_core::bytestream::ZCursor;
use zune_jpeg::zune_core::colorspace::ColorSpace;
use zune_jpeg::zune_core::options::DecoderOptions;

use super::IngestError;
use super::decode_budget::DecodeBudget;

/// Bytes a JPEG decode needs per pixel at most: the RGB output, and one 16-bit coefficient
/// per component for progressive or non-interleaved images.
pub const BYTES_PER_PIXEL: u64 = 3 + 3 * 2;

/// A decoded JPEG and the orientation its EXIF data asks for.
pub struct Decoded {
    /// The pixels as stored (not yet turned upright).
    pub image: DynamicImage,
    /// From the EXIF `Orientation` tag, when there is one.
    pub orientation: Orientation,
}

fn unreadable(e: impl std::fmt::Display) -> IngestError {
    IngestError::Invalid(format!("the JPEG image could not be read ({e})"))
}

/// Decodes every scan of `bytes` in strict mode, after checking its size against `budget`.
pub fn decode(bytes: &[u8], budget: &DecodeBudget) -> Result<Decoded, IngestError> {
    let options = DecoderOptions::default()
        .set_strict_mode(true)
        .jpeg_set_out_colorspace(ColorSpace::RGB)
        .set_max_width(usize::from(u16::MAX))
        .set_max_height(usize::from(u16::MAX));
    let mut decoder = JpegDecoder::new_with_options(ZCursor::new(bytes), options);
    decoder.decode_headers().map_err(unreadable)?;
    let (width, height) = decoder
        .dimensions()
        .ok_or_else(|| unreadable("no frame header"))?;
    let (width, height) = (width as u32, height as u32);
    budget.admit(width, height, BYTES_PER_PIXEL)?;
    let orientation = decoder
        .exif()
        .and_then(|exif| Orientation::from_exif_chunk(exif))
        .unwrap_or(Orientation::NoTransforms);
    let pixels = decoder.decode().map_err(unreadable)?;
    let image = RgbImage::from_raw(width, height, pixels)
        .ok_or_else(|| unreadable("fewer pixels than its size"))?;
    Ok(Decoded {
        image: DynamicImage::ImageRgb8(image),
        orientation,
    })
}
