//! Reading a video's facts (size, duration, frame rate, codecs) from its MP4/MOV container,
//! without decoding anything: the `moov` box holds them, wherever it sits in the file.
//! Blocking: call from the blocking pool.

use std::io::{Read, Seek, SeekFrom};

/// The facts Instagram's rules are checked against.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoInfo {
    /// Display width in pixels (after the track's rotation).
    pub width: u32,
    /// Display height in pixels (after the track's rotation).
    pub height: u32,
    /// Length of the video track.
    pub duration_ms: u64,
    /// Frames per second, when the track says how many frames it has.
    pub frame_rate: Option<f64>,
    /// `h264`, `hevc`, or the sample entry code (e.g. `vp09`).
    pub video_codec: String,
    /// `aac`, or the sample entry code; absent without an audio track.
    pub audio_codec: Option<String>,
}

/// Largest `moov` box read into memory (hours of video need a few MB).
const MAX_MOOV_BYTES: u64 = 64 * 1024 * 1024;

/// Why a container could not be read.
fn bad(message: &str) -> String {
    format!("the video container could not be read ({message})")
}

/// Walks every top-level box of a file of `len` bytes (each must end within the file, so a
/// file cut short is refused), requires the media data (`mdat`), and reads the first video
/// track (and the first audio track) from the `moov` box.
pub fn probe<R: Read + Seek>(file: &mut R, len: u64) -> Result<VideoInfo, String> {
    let mut offset = 0u64;
    let mut moov = None;
    let mut has_media_data = false;
    while offset < len {
        if len - offset < 8 {
            return Err(bad("a box runs past the end of the file"));
        }
        file.seek(SeekFrom::Start(offset))
            .map_err(|e| bad(&e.to_string()))?;
        let mut header = [0u8; 16];
        file.read_exact(&mut header[..8])
            .map_err(|e| bad(&e.to_string()))?;
        let mut size = u64::from(u32::from_be_bytes(
            header[0..4].try_into().unwrap_or_default(),
        ));
        let kind = [header[4], header[5], header[6], header[7]];
        let mut header_len = 8;
        if size == 1 {
            file.read_exact(&mut header[8..16])
                .map_err(|e| bad(&e.to_string()))?;
            size = u64::from_be_bytes(header[8..16].try_into().unwrap_or_default());
            header_len = 16;
        } else if size == 0 {
            size = len - offset;
        }
        if size < header_len || size > len - offset {
            return Err(bad("a box runs past the end of the file"));
        }
        match &kind {
            b"moov" if moov.is_none() => {
                let body = size - header_len;
                if body > MAX_MOOV_BYTES {
                    return Err(bad("the movie header is too large"));
                }
                let mut bytes = vec![0u8; body as usize];
                file.read_exact(&mut bytes)
                    .map_err(|e| bad(&e.to_string()))?;
                moov = Some(bytes);
            }
            b"mdat" => has_media_data |= size > header_len,
            _ => {}
        }
        offset += size;
    }
    let moov = moov.ok_or_else(|| bad("no movie header (moov box)"))?;
    if !has_media_data {
        return Err(bad("no media data (mdat box)"));
    }
    parse_moov(&moov)
}

/// The child boxes of a box body: `(type, body)`.
fn boxes(mut data: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8])> {
    std::iter::from_fn(move || {
        if data.len() < 8 {
            return None;
        }
        let size = u32::from_be_bytes(data[0..4].try_into().ok()?) as usize;
        let kind: [u8; 4] = data[4..8].try_into().ok()?;
        let (header, size) = match size {
            0 => (8, data.len()),
            1 => {
                let large = u64::from_be_bytes(data.get(8..16)?.try_into().ok()?);
                (16, usize::try_from(large).ok()?)
            }
            n => (8, n),
        };
        if size < header || size > data.len() {
            return None;
        }
        let body = &data[header..size];
        data = &data[size..];
        Some((kind, body))
    })
}

fn child<'a>(data: &'a [u8], kind: &[u8; 4]) -> Option<&'a [u8]> {
    boxes(data).find(|(k, _)| k == kind).map(|(_, body)| body)
}

fn be_u32(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

fn be_u64(data: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(data.get(at..at + 8)?.try_into().ok()?))
}

/// `(timescale, duration)` of an `mvhd` or `mdhd` body.
fn time_header(body: &[u8]) -> Option<(u32, u64)> {
    match body.first()? {
        0 => Some((be_u32(body, 12)?, u64::from(be_u32(body, 16)?))),
        1 => Some((be_u32(body, 20)?, be_u64(body, 24)?)),
        _ => None,
    }
}

/// Display `(width, height)` of a `tkhd` body, swapped when the matrix turns it by 90 degrees.
fn track_size(body: &[u8]) -> Option<(u32, u32)> {
    let base = match body.first()? {
        0 => 4 + 20 + 8 + 8,
        1 => 4 + 32 + 8 + 8,
        _ => return None,
    };
    let matrix = base;
    let a = be_u32(body, matrix)? as i32;
    let d = be_u32(body, matrix + 16)? as i32;
    let width = be_u32(body, matrix + 36)? >> 16;
    let height = be_u32(body, matrix + 40)? >> 16;
    Some(if a == 0 && d == 0 {
        (height, width)
    } else {
        (width, height)
    })
}

struct Track<'a> {
    handler: [u8; 4],
    tkhd: Option<&'a [u8]>,
    mdhd: Option<&'a [u8]>,
    stbl: Option<&'a [u8]>,
}

fn track(trak: &[u8]) -> Option<Track<'_>> {
    let mdia = child(trak, b"mdia")?;
    let hdlr = child(mdia, b"hdlr")?;
    Some(Track {
        handler: hdlr.get(8..12)?.try_into().ok()?,
        tkhd: child(trak, b"tkhd"),
        mdhd: child(mdia, b"mdhd"),
        stbl: child(mdia, b"minf").and_then(|minf| child(minf, b"stbl")),
    })
}

/// The first sample entry of an `stbl`: its code and body.
fn sample_entry(stbl: &[u8]) -> Option<([u8; 4], &[u8])> {
    let stsd = child(stbl, b"stsd")?;
    boxes(stsd.get(8..)?).next()
}

/// Frames in a track, from its `stts` (time-to-sample) table.
fn frame_count(stbl: &[u8]) -> Option<u64> {
    let stts = child(stbl, b"stts")?;
    let entries = be_u32(stts, 4)? as usize;
    (0..entries).try_fold(0u64, |sum, i| {
        Some(sum + u64::from(be_u32(stts, 8 + i * 8)?))
    })
}

fn codec_name(code: [u8; 4]) -> String {
    match &code {
        b"avc1" | b"avc3" => "h264".into(),
        b"hvc1" | b"hev1" => "hevc".into(),
        b"mp4a" => "aac".into(),
        other => String::from_utf8_lossy(other).trim().to_ascii_lowercase(),
    }
}

fn parse_moov(moov: &[u8]) -> Result<VideoInfo, String> {
    let movie = child(moov, b"mvhd").and_then(time_header);
    let tracks: Vec<Track<'_>> = boxes(moov)
        .filter(|(kind, _)| kind == b"trak")
        .filter_map(|(_, body)| track(body))
        .collect();
    let video = tracks
        .iter()
        .find(|t| &t.handler == b"vide")
        .ok_or_else(|| bad("no video track"))?;
    let audio = tracks.iter().find(|t| &t.handler == b"soun");
    let stbl = video
        .stbl
        .ok_or_else(|| bad("the video track has no sample table"))?;
    let (code, entry) = sample_entry(stbl).ok_or_else(|| bad("the video track has no codec"))?;
    let (mut width, mut height) = video.tkhd.and_then(track_size).unwrap_or((0, 0));
    if width == 0 || height == 0 {
        // Visual sample entry: 6 reserved, 2 index, 16 pre-defined/reserved, then width, height.
        width = u32::from(u16::from_be_bytes(
            entry
                .get(24..26)
                .and_then(|b| b.try_into().ok())
                .unwrap_or_default(),
        ));
        height = u32::from(u16::from_be_bytes(
            entry
                .get(26..28)
                .and_then(|b| b.try_into().ok())
                .unwrap_or_default(),
        ));
    }
    if width == 0 || height == 0 {
        return Err(bad("the video track has no frame size"));
    }
    let (timescale, duration) = video
        .mdhd
        .and_then(time_header)
        .filter(|(scale, _)| *scale > 0)
        .or(movie.filter(|(scale, _)| *scale > 0))
        .ok_or_else(|| bad("no duration"))?;
    let seconds = duration as f64 / f64::from(timescale);
    let frame_rate = frame_count(stbl)
        .filter(|frames| *frames > 0 && seconds > 0.0)
        .map(|frames| (frames as f64 / seconds * 100.0).round() / 100.0);
    let audio_codec = audio
        .and_then(|t| t.stbl)
        .and_then(sample_entry)
        .map(|(code, _)| codec_name(code));
    Ok(VideoInfo {
        width,
        height,
        duration_ms: (seconds * 1000.0).round() as u64,
        frame_rate,
        video_codec: codec_name(code),
        audio_codec,
    })
}
