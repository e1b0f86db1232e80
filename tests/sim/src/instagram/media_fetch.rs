//! Instagram downloading the media of a container from its URL, and checking what it got:
//! images must be JPEG (by magic bytes) within size and aspect-ratio limits, videos must
//! start like MP4/MOV (an `ftyp` box).

use super::container::Failure;
use crate::media_sniff::{self, ImageFormat};

/// Largest image.
pub(crate) const MAX_IMAGE_BYTES: u64 = 8 * 1024 * 1024;
/// Largest reel.
pub(crate) const MAX_REEL_BYTES: u64 = 300 * 1024 * 1024;
/// Largest story video.
pub(crate) const MAX_STORY_VIDEO_BYTES: u64 = 100 * 1024 * 1024;

/// The failure for a URL that could not be fetched.
pub(crate) fn download_failed() -> Failure {
    Failure {
        code: 9004,
        subcode: 2207052,
        message: "Media download has failed. The media URI doesn't meet our requirements."
            .to_owned(),
        download: true,
    }
}

fn too_big(what: &str, limit: u64) -> Failure {
    Failure {
        code: 36000,
        subcode: 2207004,
        message: format!(
            "The {what} is too large: the limit is {} MB.",
            limit / (1024 * 1024)
        ),
        download: false,
    }
}

/// What the download kept: the first bytes and the total size.
struct Downloaded {
    head: Vec<u8>,
    size: u64,
}

/// Downloads `url`, keeping at most `keep` leading bytes, failing past `max` bytes.
async fn download(
    http: &reqwest::Client,
    url: &str,
    keep: usize,
    max: u64,
    what: &str,
) -> Result<Downloaded, Failure> {
    let mut response = http.get(url).send().await.map_err(|_| download_failed())?;
    if !response.status().is_success() {
        return Err(download_failed());
    }
    let mut head = Vec::new();
    let mut size: u64 = 0;
    while let Some(chunk) = response.chunk().await.map_err(|_| download_failed())? {
        size += chunk.len() as u64;
        if size > max {
            return Err(too_big(what, max));
        }
        if head.len() < keep {
            let take = (keep - head.len()).min(chunk.len());
            head.extend_from_slice(&chunk[..take]);
        }
    }
    Ok(Downloaded { head, size })
}

/// Fetches and checks an image. `check_aspect` applies the feed aspect-ratio rule
/// (4:5 to 1.91:1) when the pixel size can be read.
pub(crate) async fn fetch_image(
    http: &reqwest::Client,
    url: &str,
    check_aspect: bool,
) -> Result<(), Failure> {
    let max = MAX_IMAGE_BYTES;
    let got = download(
        http,
        url,
        usize::try_from(max).unwrap_or(usize::MAX),
        max,
        "image",
    )
    .await?;
    if media_sniff::image_format(&got.head) != Some(ImageFormat::Jpeg) {
        return Err(Failure {
            code: 36001,
            subcode: 2207005,
            message: "The image format is not supported. Only JPEG images can be published."
                .to_owned(),
            download: false,
        });
    }
    if got.size == 0 {
        return Err(download_failed());
    }
    if check_aspect {
        if let Some((w, h)) = media_sniff::dimensions(&got.head) {
            let ratio = f64::from(w) / f64::from(h.max(1));
            if !(0.8 - 1e-9..=1.91 + 1e-9).contains(&ratio) {
                return Err(Failure {
                    code: 36003,
                    subcode: 2207009,
                    message: format!(
                        "The submitted image with aspect ratio ({w}/{h}) cannot be published. \
                         Please submit an image with a valid aspect ratio."
                    ),
                    download: false,
                });
            }
        }
    }
    Ok(())
}

/// Fetches and checks a video.
pub(crate) async fn fetch_video(
    http: &reqwest::Client,
    url: &str,
    max: u64,
) -> Result<(), Failure> {
    let got = download(http, url, 16, max, "video").await?;
    if !media_sniff::looks_like_video(&got.head) {
        return Err(Failure {
            code: 352,
            subcode: 2207026,
            message: "The video format is not supported. Please check spec for supported format."
                .to_owned(),
            download: false,
        });
    }
    Ok(())
}
