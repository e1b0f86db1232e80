//! Media files made on the fly: real JPEG, PNG and WebP images, and MP4/MOV containers whose
//! boxes state a chosen size, duration, frame rate and codecs (the sample data itself is
//! filler: the product reads containers, it never decodes video).

use std::io::Cursor;

use image::{ImageFormat, Rgba, RgbaImage};

fn image(width: u32, height: u32, alpha: u8) -> RgbaImage {
    RgbaImage::from_fn(width, height, |x, y| {
        Rgba([
            (x * 255 / width.max(1)) as u8,
            (y * 255 / height.max(1)) as u8,
            128,
            alpha,
        ])
    })
}

fn encode(image: image::DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).expect("image encodes");
    out.into_inner()
}

/// A JPEG of this size.
pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let rgb = image::DynamicImage::ImageRgba8(image(width, height, 255)).into_rgb8();
    encode(image::DynamicImage::ImageRgb8(rgb), ImageFormat::Jpeg)
}

/// A PNG of this size; `transparent` makes every pixel fully transparent.
pub fn png(width: u32, height: u32, transparent: bool) -> Vec<u8> {
    let alpha = if transparent { 0 } else { 255 };
    encode(
        image::DynamicImage::ImageRgba8(image(width, height, alpha)),
        ImageFormat::Png,
    )
}

/// A (lossless) WebP of this size.
pub fn webp(width: u32, height: u32) -> Vec<u8> {
    encode(
        image::DynamicImage::ImageRgba8(image(width, height, 255)),
        ImageFormat::WebP,
    )
}

/// What an MP4/MOV container should claim.
#[derive(Debug, Clone)]
pub struct Movie {
    /// Stored frame width.
    pub width: u32,
    /// Stored frame height.
    pub height: u32,
    /// Length.
    pub duration_ms: u32,
    /// Frames per second.
    pub fps: u32,
    /// Video sample entry code (`avc1`, `hvc1`, `vp09`, ...).
    pub video_codec: [u8; 4],
    /// Audio sample entry code, or none for a silent video.
    pub audio_codec: Option<[u8; 4]>,
    /// Rotated by 90 degrees in the track header (how phones store portrait video).
    pub rotated: bool,
    /// QuickTime (`qt  ` brand) instead of MP4.
    pub quicktime: bool,
    /// Bytes of filler media data.
    pub media_bytes: usize,
    /// Put the movie header after the media data (files not optimised for streaming).
    pub moov_last: bool,
}

impl Default for Movie {
    fn default() -> Self {
        Self {
            width: 1080,
            height: 1920,
            duration_ms: 10_000,
            fps: 30,
            video_codec: *b"avc1",
            audio_codec: Some(*b"mp4a"),
            rotated: false,
            quicktime: false,
            media_bytes: 64 * 1024,
            moov_last: false,
        }
    }
}

fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut out = ((body.len() + 8) as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(body);
    out
}

fn be(values: &[u32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_be_bytes()).collect()
}

fn track(handler: &[u8; 4], id: u32, m: &Movie, entry: Vec<u8>, samples: u32) -> Vec<u8> {
    let (width, height) = if handler == b"vide" {
        (m.width, m.height)
    } else {
        (0, 0)
    };
    let matrix: [u32; 9] = if m.rotated && handler == b"vide" {
        [0, 0x0001_0000, 0, 0xFFFF_0000, 0, 0, 0, 0, 0x4000_0000]
    } else {
        [0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000]
    };
    let mut tkhd = be(&[3, 0, 0, id, 0, m.duration_ms, 0, 0, 0, 0]);
    tkhd.extend(be(&matrix));
    tkhd.extend(be(&[width << 16, height << 16]));
    let timescale = 1000;
    let mdhd = be(&[0, 0, 0, timescale, m.duration_ms, 0x55C4_0000]);
    let mut hdlr = be(&[0, 0]);
    hdlr.extend_from_slice(handler);
    hdlr.extend(be(&[0, 0, 0]));
    hdlr.extend_from_slice(b"Handler\0");
    let mut stsd = be(&[0, 1]);
    stsd.extend(entry);
    let delta = m.duration_ms / samples.max(1);
    let stts = be(&[0, 1, samples, delta]);
    let stbl = [boxed(b"stsd", &stsd), boxed(b"stts", &stts)].concat();
    let minf = boxed(b"stbl", &stbl);
    let mdia = [
        boxed(b"mdhd", &mdhd),
        boxed(b"hdlr", &hdlr),
        boxed(b"minf", &minf),
    ]
    .concat();
    boxed(
        b"trak",
        &[boxed(b"tkhd", &tkhd), boxed(b"mdia", &mdia)].concat(),
    )
}

/// An MP4 (or MOV) file as described.
pub fn movie(m: &Movie) -> Vec<u8> {
    let brand: &[u8; 4] = if m.quicktime { b"qt  " } else { b"isom" };
    let mut ftyp = brand.to_vec();
    ftyp.extend(be(&[0x200]));
    ftyp.extend_from_slice(if m.quicktime {
        b"qt  "
    } else {
        b"isomiso2avc1mp41"
    });
    let mut mvhd = be(&[0, 0, 0, 1000, m.duration_ms, 0x0001_0000]);
    mvhd.extend([0x01, 0x00]);
    mvhd.extend([0u8; 10]);
    mvhd.extend(be(&[
        0x0001_0000,
        0,
        0,
        0,
        0x0001_0000,
        0,
        0,
        0,
        0x4000_0000,
    ]));
    mvhd.extend([0u8; 24]);
    mvhd.extend(be(&[3]));
    let mut visual = vec![0u8; 6];
    visual.extend([0, 1]);
    visual.extend([0u8; 16]);
    visual.extend((m.width as u16).to_be_bytes());
    visual.extend((m.height as u16).to_be_bytes());
    visual.extend(be(&[0x0048_0000, 0x0048_0000, 0]));
    visual.extend([0, 1]);
    visual.extend([0u8; 32]);
    visual.extend([0, 0x18, 0xFF, 0xFF]);
    let frames = (u64::from(m.duration_ms) * u64::from(m.fps) / 1000) as u32;
    let mut moov = boxed(b"mvhd", &mvhd);
    moov.extend(track(b"vide", 1, m, boxed(&m.video_codec, &visual), frames));
    if let Some(audio) = m.audio_codec {
        let mut sound = vec![0u8; 6];
        sound.extend([0, 1]);
        sound.extend([0u8; 8]);
        sound.extend([0, 2, 0, 16, 0, 0, 0, 0]);
        sound.extend(be(&[44_100 << 16]));
        let samples = m.duration_ms * 44 / 1024 + 1;
        moov.extend(track(b"soun", 2, m, boxed(&audio, &sound), samples));
    }
    let moov = boxed(b"moov", &moov);
    let mdat = boxed(b"mdat", &vec![0x5Au8; m.media_bytes]);
    let mut file = boxed(b"ftyp", &ftyp);
    if m.moov_last {
        file.extend(mdat);
        file.extend(moov);
    } else {
        file.extend(moov);
        file.extend(mdat);
    }
    file
}
