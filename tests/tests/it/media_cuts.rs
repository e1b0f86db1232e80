//! Every image and video cut short is refused at ingestion, wherever the cut falls: inside the
//! header, in the first scan/chunk/box, in the middle, one byte before the end. Positions are
//! enumerated (every byte of small files, a stride through larger ones), so the test is
//! deterministic; what the api answers for such files is in `media.rs`.

use aistudio_config::{Settings, Sources};
use std::time::Duration;

use aistudio_jobs::media::{self, CheckSlots, IngestError, Limits, Spool};
use aistudio_tests::fixtures::{self, Movie};
use rand::{RngCore, SeedableRng};

fn limits() -> Limits {
    let settings = Settings::load_from(&Sources::default()).expect("defaults load");
    Limits::from_settings(&settings.media)
}

/// Spools `bytes` as an upload and runs the ingestion checks on it.
async fn ingest(bytes: &[u8]) -> Result<media::Ingested, IngestError> {
    let limits = limits();
    let mut spool = Spool::create(&std::env::temp_dir(), limits).await?;
    spool.write(bytes).await?;
    let slots = CheckSlots::new(1, 1, Duration::ZERO);
    let slot = slots.acquire("tester").await.expect("a free slot");
    media::ingest(spool.finish().await?, limits, slot).await
}

/// Asserts that `file` is accepted whole and refused as the user's error (422, not 413 or
/// 500) when cut at every one of `cuts`.
async fn refused_when_cut(what: &str, file: &[u8], cuts: impl IntoIterator<Item = usize>) {
    let whole = ingest(file).await;
    assert!(whole.is_ok(), "{what}: the whole file: {:?}", whole.err());
    let mut tried = 0;
    for cut in cuts {
        assert!(cut < file.len());
        match ingest(&file[..cut]).await {
            Err(IngestError::Invalid(_) | IngestError::Unsupported(_)) => tried += 1,
            Ok(ingested) => panic!(
                "{what} cut at {cut} of {} bytes was accepted as {}x{}",
                file.len(),
                ingested.width,
                ingested.height
            ),
            Err(other) => panic!("{what} cut at {cut}: {other:?}"),
        }
    }
    assert!(tried > 0);
}

/// Every position up to `dense`, every `stride`-th one after it, and the last `dense` ones.
fn positions(len: usize, dense: usize, stride: usize) -> Vec<usize> {
    let mut cuts: Vec<usize> = (1..dense.min(len)).collect();
    cuts.extend((dense..len.saturating_sub(dense)).step_by(stride));
    cuts.extend(len.saturating_sub(dense).max(1)..len);
    cuts.sort_unstable();
    cuts.dedup();
    cuts
}

#[tokio::test]
async fn images_cut_anywhere_are_refused() {
    // Small files: every single position.
    for (what, file) in [
        ("JPEG", fixtures::jpeg(64, 48)),
        ("PNG", fixtures::png(64, 48, false)),
        ("WebP", fixtures::webp(64, 48)),
    ] {
        refused_when_cut(what, &file, 1..file.len()).await;
    }
}

#[tokio::test]
async fn a_full_size_jpeg_cut_where_it_was_published_is_refused() {
    // 1080x1080, the size of the JPEG that was published after being cut at 629 bytes.
    let file = fixtures::jpeg(1080, 1080);
    let mut cuts = vec![
        629,
        700,
        2_000,
        8_000,
        16_000,
        file.len() - 2,
        file.len() - 1,
    ];
    cuts.retain(|&cut| cut < file.len());
    cuts.extend(positions(file.len(), 700, 997));
    refused_when_cut("JPEG 1080x1080", &file, cuts).await;
}

#[tokio::test]
async fn large_png_and_webp_cut_anywhere_are_refused() {
    // Several IDAT chunks, and a WebP larger than its first chunk header says.
    let png = fixtures::png(1200, 900, true);
    refused_when_cut("PNG 1200x900", &png, positions(png.len(), 64, 4_001)).await;
    let webp = fixtures::webp(600, 400);
    refused_when_cut("WebP 600x400", &webp, positions(webp.len(), 64, 1_009)).await;
    // `RIFF....WEBP` with no payload at all.
    refused_when_cut("WebP", &webp, [12, 16, 20, 30]).await;
}

#[tokio::test]
async fn a_jpeg_header_followed_by_other_bytes_is_refused() {
    let file = fixtures::jpeg(1080, 1080);
    // The header ends where the first scan's entropy-coded data starts (after SOS).
    let sos = file
        .windows(2)
        .position(|w| w == [0xFF, 0xDA])
        .expect("a scan");
    let data = sos + 2 + usize::from(u16::from_be_bytes([file[sos + 2], file[sos + 3]]));
    for seed in 0..40u64 {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let mut forged = file[..data].to_vec();
        let mut tail = vec![0u8; file.len() - data];
        rng.fill_bytes(&mut tail);
        forged.extend(tail);
        // Even with a proper end-of-image marker after the random data.
        let mut closed = forged.clone();
        closed.extend([0xFF, 0xD9]);
        for (what, bytes) in [("random data", forged), ("random data and EOI", closed)] {
            let result = ingest(&bytes).await;
            assert!(
                matches!(result, Err(IngestError::Invalid(_))),
                "seed {seed}, {what}: {:?}",
                result.map(|i| (i.width, i.height))
            );
        }
    }
}

#[tokio::test]
async fn videos_cut_anywhere_are_refused() {
    for (what, movie) in [
        (
            "MP4, movie header first",
            Movie {
                media_bytes: 4_096,
                ..Movie::default()
            },
        ),
        (
            "MOV, movie header last",
            Movie {
                media_bytes: 4_096,
                quicktime: true,
                moov_last: true,
                ..Movie::default()
            },
        ),
    ] {
        let file = fixtures::movie(&movie);
        refused_when_cut(what, &file, positions(file.len(), 1_500, 61)).await;
    }
}
