//! What a file really is, from its first bytes; the name and the declared content type are
//! never trusted.

/// A format the media library accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceFormat {
    /// JPEG: stored as it is.
    Jpeg,
    /// PNG: converted to JPEG.
    Png,
    /// WebP: converted to JPEG.
    Webp,
    /// MP4 (ISO base media file).
    Mp4,
    /// QuickTime MOV.
    Mov,
}

impl SourceFormat {
    /// Lower-case name, as recorded (`jpeg`, `png`, `webp`, `mp4`, `mov`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Jpeg => "jpeg",
            Self::Png => "png",
            Self::Webp => "webp",
            Self::Mp4 => "mp4",
            Self::Mov => "mov",
        }
    }

    /// Whether this is a video format.
    pub fn is_video(self) -> bool {
        matches!(self, Self::Mp4 | Self::Mov)
    }

    /// The content type of the stored file (images are always stored as JPEG).
    pub fn stored_content_type(self) -> &'static str {
        match self {
            Self::Jpeg | Self::Png | Self::Webp => "image/jpeg",
            Self::Mp4 => "video/mp4",
            Self::Mov => "video/quicktime",
        }
    }
}

/// The verdict on a file's first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    /// An accepted format.
    Accepted(SourceFormat),
    /// A recognised format the library does not take (its name, for the message).
    Refused(&'static str),
    /// Not a recognised media format at all.
    Unknown,
}

/// How many leading bytes [`sniff`] needs to decide (fewer only at the end of a file).
pub const SNIFF_LEN: usize = 16;

/// Recognises `head`, the first bytes of a file.
pub fn sniff(head: &[u8]) -> Sniffed {
    use SourceFormat::*;
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Sniffed::Accepted(Jpeg);
    }
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Sniffed::Accepted(Png);
    }
    if head.len() >= 12 && &head[0..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        return Sniffed::Accepted(Webp);
    }
    if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        return Sniffed::Refused("a GIF image");
    }
    if head.starts_with(b"\x7fELF") || head.starts_with(b"MZ") || head.starts_with(b"#!") {
        return Sniffed::Refused("a program");
    }
    if head.starts_with(b"%PDF") {
        return Sniffed::Refused("a PDF document");
    }
    match head.get(4..8) {
        Some(b"ftyp") => match head.get(8..12) {
            Some(b"qt  ") => Sniffed::Accepted(Mov),
            Some(b"heic" | b"heix" | b"mif1" | b"msf1" | b"hevc") => {
                Sniffed::Refused("a HEIC image")
            }
            Some(b"avif" | b"avis") => Sniffed::Refused("an AVIF image"),
            Some(_) => Sniffed::Accepted(Mp4),
            None => Sniffed::Unknown,
        },
        // Classic QuickTime files may start with any of these atoms instead of `ftyp`.
        Some(b"moov" | b"mdat" | b"wide" | b"free" | b"skip" | b"pnot") => Sniffed::Accepted(Mov),
        _ => Sniffed::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_by_content_only() {
        assert_eq!(
            sniff(b"\xFF\xD8\xFF\xE0rest"),
            Sniffed::Accepted(SourceFormat::Jpeg)
        );
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Sniffed::Accepted(SourceFormat::Png)
        );
        assert_eq!(
            sniff(b"RIFF\0\0\0\0WEBPVP8 "),
            Sniffed::Accepted(SourceFormat::Webp)
        );
        assert_eq!(
            sniff(b"\0\0\0\x18ftypisom\0\0\0\0"),
            Sniffed::Accepted(SourceFormat::Mp4)
        );
        assert_eq!(
            sniff(b"\0\0\0\x14ftypqt  \0\0\0\0"),
            Sniffed::Accepted(SourceFormat::Mov)
        );
        assert_eq!(
            sniff(b"\0\0\0\x18ftypheic\0\0\0\0"),
            Sniffed::Refused("a HEIC image")
        );
        assert_eq!(
            sniff(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0"),
            Sniffed::Refused("a program")
        );
        assert_eq!(sniff(b"GIF89a"), Sniffed::Refused("a GIF image"));
        assert_eq!(sniff(b"hello, world"), Sniffed::Unknown);
    }
}
