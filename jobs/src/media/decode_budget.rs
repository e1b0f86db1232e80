//! What decoding one image may cost: at most `media.max_image_pixels` pixels and
//! `media.max_decode_bytes` bytes of decoder memory. Checked from the image's header, before
//! any pixel is decoded.

use super::IngestError;

/// The bounds of one image decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeBudget {
    /// Largest image, in pixels.
    pub max_pixels: u64,
    /// Largest decoder memory, in bytes.
    pub max_bytes: u64,
}

impl DecodeBudget {
    /// Admits an image of `width` x `height` whose decoder needs `bytes_per_pixel` per pixel.
    pub fn admit(&self, width: u32, height: u32, bytes_per_pixel: u64) -> Result<(), IngestError> {
        if width == 0 || height == 0 {
            return Err(IngestError::Invalid("the image has no pixels".into()));
        }
        let pixels = u64::from(width) * u64::from(height);
        if pixels > self.max_pixels {
            return Err(IngestError::Invalid(format!(
                "the image is {width}x{height} pixels; at most {} pixels are accepted",
                self.max_pixels
            )));
        }
        if pixels.saturating_mul(bytes_per_pixel) > self.max_bytes {
            return Err(IngestError::Invalid(format!(
                "the image is {width}x{height} pixels, more than this format can be decoded at \
                 within {} bytes of memory",
                self.max_bytes
            )));
        }
        Ok(())
    }

    /// The same bounds as `image` crate limits (its decoders count their own allocations).
    pub fn image_limits(&self) -> image::Limits {
        let mut limits = image::Limits::default();
        limits.max_alloc = Some(self.max_bytes);
        limits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admits_within_both_bounds_only() {
        let budget = DecodeBudget {
            max_pixels: 1_000_000,
            max_bytes: 4_000_000,
        };
        assert!(budget.admit(1000, 1000, 4).is_ok());
        assert!(budget.admit(1000, 1001, 1).is_err(), "over the pixels");
        assert!(budget.admit(1000, 1000, 5).is_err(), "over the memory");
        assert!(budget.admit(0, 10, 1).is_err(), "no pixels");
    }
}
