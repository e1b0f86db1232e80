//! Whether an image file is whole: its container walked to the last byte, before any pixel is
//! decoded. Decoders stop once they have what they need (and the JPEG one fills what is
//! missing), so a file cut after its pixel data, or with its end replaced by other bytes, would
//! otherwise pass. Each check returns why the file is not whole.

use super::SourceFormat;

/// Checks the container of an image of `format`.
pub fn check(format: SourceFormat, bytes: &[u8]) -> Result<(), &'static str> {
    match format {
        SourceFormat::Jpeg => jpeg(bytes),
        SourceFormat::Png => png(bytes),
        SourceFormat::Webp => webp(bytes),
        SourceFormat::Mp4 | SourceFormat::Mov => Err("not an image"),
    }
}

const TRUNCATED: &str = "the file is cut short";

fn be_u16(bytes: &[u8], at: usize) -> Option<usize> {
    Some(usize::from(u16::from_be_bytes(
        bytes.get(at..at + 2)?.try_into().ok()?,
    )))
}

/// JPEG: segments from SOI, each scan's entropy-coded data up to its next marker (only RSTn
/// may interrupt it), and an EOI marker that closes the last scan. Bytes after EOI (phones
/// append their own data there) are not part of the image.
fn jpeg(bytes: &[u8]) -> Result<(), &'static str> {
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return Err("no start-of-image marker");
    }
    let mut at = 2;
    let mut scans = 0;
    loop {
        // Markers may be preceded by fill bytes (0xFF).
        if bytes.get(at) != Some(&0xFF) {
            return Err(if at >= bytes.len() {
                TRUNCATED
            } else {
                "bytes where a marker belongs"
            });
        }
        while bytes.get(at) == Some(&0xFF) {
            at += 1;
        }
        let marker = *bytes.get(at).ok_or(TRUNCATED)?;
        at += 1;
        match marker {
            0xD9 if scans > 0 => return Ok(()),
            0xD9 => return Err("the image ends before its pixel data"),
            0x00 | 0x01 | 0xD0..=0xD8 => return Err("a marker out of place"),
            _ => {
                let length = be_u16(bytes, at).ok_or(TRUNCATED)?;
                if length < 2 {
                    return Err("a segment with a bad length");
                }
                at += length;
                if at > bytes.len() {
                    return Err(TRUNCATED);
                }
                if marker == 0xDA {
                    scans += 1;
                    at = entropy_coded_end(bytes, at)?;
                }
            }
        }
    }
}

/// Where the entropy-coded data starting at `at` ends: the next marker that is not a restart
/// marker (stuffed `FF 00` bytes are data).
fn entropy_coded_end(bytes: &[u8], mut at: usize) -> Result<usize, &'static str> {
    loop {
        let ff = at
            + bytes[at..]
                .iter()
                .position(|&b| b == 0xFF)
                .ok_or(TRUNCATED)?;
        match bytes.get(ff + 1).ok_or(TRUNCATED)? {
            0x00 | 0xD0..=0xD7 => at = ff + 2,
            _ => return Ok(ff),
        }
    }
}

/// PNG: every chunk's length within the file and its CRC right, ending with IEND and nothing
/// after it.
fn png(bytes: &[u8]) -> Result<(), &'static str> {
    let mut at = 8;
    if !bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Err("no PNG signature");
    }
    loop {
        let header = bytes.get(at..at + 8).ok_or(TRUNCATED)?;
        let length = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let end = at + 8 + length + 4;
        let chunk = bytes.get(at + 4..end - 4).ok_or(TRUNCATED)?;
        let stored = bytes.get(end - 4..end).ok_or(TRUNCATED)?;
        if crc32fast::hash(chunk).to_be_bytes() != stored {
            return Err("a chunk fails its checksum");
        }
        if &chunk[..4] == b"IEND" {
            return if end == bytes.len() {
                Ok(())
            } else {
                Err("bytes after the end of the image")
            };
        }
        at = end;
    }
}

/// WebP: the RIFF size covers exactly the file, and its chunks (each padded to an even size)
/// fill it.
fn webp(bytes: &[u8]) -> Result<(), &'static str> {
    let declared = bytes
        .get(4..8)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .ok_or(TRUNCATED)?;
    match (declared + 8).cmp(&bytes.len()) {
        std::cmp::Ordering::Greater => return Err(TRUNCATED),
        std::cmp::Ordering::Less => return Err("bytes after the end of the image"),
        std::cmp::Ordering::Equal => {}
    }
    let mut at = 12;
    if at >= bytes.len() {
        return Err("no image data");
    }
    while at < bytes.len() {
        let size = bytes
            .get(at + 4..at + 8)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
            .ok_or(TRUNCATED)?;
        at += 8 + size + (size & 1);
        if at > bytes.len() {
            return Err(TRUNCATED);
        }
    }
    Ok(())
}
