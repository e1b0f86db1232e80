//! The media library through the real api: uploads of every accepted type (with conversion to
//! JPEG), refused types, size limits enforced while streaming, listing, download, deletion and
//! tenant isolation.

use std::time::Duration;

use aistudio_tests::fixtures::{self, Movie};
use aistudio_tests::{Api, ApiClient, TestEnv};
use mongodb::bson::doc;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PASSWORD: &str = "correct horse battery";

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// How many media records and GridFS files the test database holds.
async fn stored(env: &TestEnv) -> (u64, u64) {
    let client = mongodb::Client::with_uri_str(&env.mongo_url).await.unwrap();
    let db = client.database(&env.database);
    let records = db
        .collection::<mongodb::bson::Document>("media")
        .count_documents(doc! {})
        .await
        .unwrap();
    let files = db
        .collection::<mongodb::bson::Document>("media_files.files")
        .count_documents(doc! {})
        .await
        .unwrap();
    (records, files)
}

#[tokio::test]
async fn uploads_each_accepted_type_and_records_what_it_is() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let user = ApiClient::new(&api.url)
        .sign_up("Ada", "ada@example.com", PASSWORD)
        .await;

    // JPEG: stored as it is, with its checksum and size.
    let jpeg = fixtures::jpeg(1080, 1350);
    let reply = user.upload("photo.jpg", "image/jpeg", jpeg.clone()).await;
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    let body = &reply.body;
    assert_eq!(body["kind"], "image");
    assert_eq!(body["source_format"], "jpeg");
    assert_eq!(body["converted"], false);
    assert_eq!(body["content_type"], "image/jpeg");
    assert_eq!(
        (body["width"].as_u64(), body["height"].as_u64()),
        (Some(1080), Some(1350))
    );
    assert_eq!(body["size_bytes"].as_u64(), Some(jpeg.len() as u64));
    assert_eq!(body["sha256"], sha256(&jpeg));
    assert_eq!(body["file_name"], "photo.jpg");
    let (status, headers, bytes) = user.get_bytes(body["content_url"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "image/jpeg");
    assert_eq!(bytes, jpeg, "the download is the upload");

    // PNG with transparency: converted to JPEG, flattened onto white.
    let png = fixtures::png(800, 1000, true);
    let reply = user.upload("logo.png", "image/png", png).await;
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    assert_eq!(reply.body["source_format"], "png");
    assert_eq!(reply.body["converted"], true);
    assert_eq!(reply.body["content_type"], "image/jpeg");
    let (_, _, stored_bytes) = user
        .get_bytes(reply.body["content_url"].as_str().unwrap())
        .await;
    assert!(
        stored_bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
        "stored as JPEG"
    );
    assert_eq!(
        reply.body["sha256"],
        sha256(&stored_bytes),
        "checksum of the stored JPEG"
    );
    let decoded = image::load_from_memory(&stored_bytes).unwrap().into_rgb8();
    assert_eq!(decoded.dimensions(), (800, 1000));
    let corner = decoded.get_pixel(10, 10).0;
    assert!(
        corner.iter().all(|&c| c > 245),
        "transparent became white: {corner:?}"
    );

    // WebP: converted.
    let reply = user
        .upload("pic.webp", "image/webp", fixtures::webp(640, 480))
        .await;
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    assert_eq!(
        (
            reply.body["source_format"].as_str(),
            reply.body["converted"].as_bool()
        ),
        (Some("webp"), Some(true))
    );

    // A PNG named .jpg and declared image/jpeg is still a PNG.
    let reply = user
        .upload(
            "disguised.jpg",
            "image/jpeg",
            fixtures::png(320, 320, false),
        )
        .await;
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    assert_eq!(reply.body["source_format"], "png");
    assert_eq!(reply.body["converted"], true);

    // MP4 recorded rotated (a phone's portrait video): display size, duration, rate, codecs.
    let mp4 = fixtures::movie(&Movie {
        width: 1920,
        height: 1080,
        rotated: true,
        duration_ms: 12_500,
        fps: 30,
        ..Movie::default()
    });
    let reply = user.upload("clip.mp4", "video/mp4", mp4.clone()).await;
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    let body = &reply.body;
    assert_eq!(body["kind"], "video");
    assert_eq!(body["content_type"], "video/mp4");
    assert_eq!(
        (body["width"].as_u64(), body["height"].as_u64()),
        (Some(1080), Some(1920))
    );
    assert_eq!(body["duration_ms"].as_u64(), Some(12_500));
    assert_eq!(body["frame_rate"].as_f64(), Some(30.0));
    assert_eq!(body["video_codec"], "h264");
    assert_eq!(body["audio_codec"], "aac");
    assert_eq!(body["sha256"], sha256(&mp4));
    let (_, headers, bytes) = user.get_bytes(body["content_url"].as_str().unwrap()).await;
    assert_eq!(headers["content-type"], "video/mp4");
    assert_eq!(bytes.len(), mp4.len());
    assert_eq!(bytes, mp4);

    // MOV with its movie header at the end, silent, HEVC.
    let mov = fixtures::movie(&Movie {
        quicktime: true,
        moov_last: true,
        video_codec: *b"hvc1",
        audio_codec: None,
        duration_ms: 4_000,
        fps: 25,
        ..Movie::default()
    });
    let reply = user.upload("clip.mov", "video/quicktime", mov).await;
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    assert_eq!(reply.body["source_format"], "mov");
    assert_eq!(reply.body["content_type"], "video/quicktime");
    assert_eq!(reply.body["video_codec"], "hevc");
    assert!(reply.body["audio_codec"].is_null());
    assert_eq!(reply.body["duration_ms"].as_u64(), Some(4_000));
    assert_eq!(reply.body["frame_rate"].as_f64(), Some(25.0));

    assert_eq!(stored(&env).await, (6, 6));
}

#[tokio::test]
async fn refused_types_get_a_clear_error_and_store_nothing() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let anon = ApiClient::new(&api.url);
    let user = anon.sign_up("Ada", "ada@example.com", PASSWORD).await;

    let mut elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0".to_vec();
    elf.extend(vec![0u8; 4096]);
    let mut truncated = fixtures::jpeg(600, 600);
    truncated.truncate(300);
    let mut no_moov = b"\0\0\0\x18ftypisom\0\0\x02\0isomiso2".to_vec();
    no_moov.extend(b"\0\0\x10\x08mdat");
    no_moov.extend(vec![0u8; 4096]);
    let silent_picture = fixtures::movie(&Movie::default())
        .windows(4)
        .position(|w| w == b"vide")
        .map(|at| {
            let mut m = fixtures::movie(&Movie::default());
            m[at..at + 4].copy_from_slice(b"text");
            m
        })
        .unwrap();
    let cases: Vec<(&str, &str, Vec<u8>, &str)> = vec![
        ("clip.mp4", "video/mp4", elf, "a program"),
        (
            "anim.gif",
            "image/gif",
            b"GIF89a\x01\0\x01\0\0\0\0;".to_vec(),
            "GIF",
        ),
        (
            "notes.jpg",
            "image/jpeg",
            b"just some text, not a photo".to_vec(),
            "not a JPEG",
        ),
        ("broken.jpg", "image/jpeg", truncated, "could not be read"),
        ("empty.jpg", "image/jpeg", Vec::new(), "empty"),
        ("nomoov.mp4", "video/mp4", no_moov, "no movie header"),
        ("novideo.mp4", "video/mp4", silent_picture, "no video track"),
    ];
    for (name, content_type, bytes, expected) in cases {
        let reply = user.upload(name, content_type, bytes).await;
        assert_eq!(reply.status, 422, "{name}: {:?}", reply.body);
        assert_eq!(reply.body["code"], "validation_failed");
        assert_eq!(reply.body["field"], "file", "{name}");
        let message = reply.body["message"].as_str().unwrap();
        assert!(message.contains(expected), "{name}: {message}");
    }

    let wrong_field = user
        .upload_as("photo", "a.jpg", "image/jpeg", fixtures::jpeg(100, 100))
        .await;
    assert_eq!(
        (wrong_field.status, wrong_field.body["field"].as_str()),
        (422, Some("photo"))
    );
    let json = user
        .post("/api/v1/media", serde_json::json!({"file": "x"}))
        .await;
    assert_eq!(
        (json.status, json.body["code"].as_str()),
        (415, Some("unsupported_media_type"))
    );
    let anonymous = anon
        .upload("a.jpg", "image/jpeg", fixtures::jpeg(100, 100))
        .await;
    assert_eq!(anonymous.status, 401);

    assert_eq!(stored(&env).await, (0, 0), "nothing stored");
}

/// Sends a multipart upload of `total` bytes (a JPEG header, then filler) over a raw
/// connection, chunk by chunk, while watching for the answer. Returns the status line and how
/// many bytes had been sent when the answer came.
async fn stream_upload(
    api: &Api,
    token: &str,
    total: usize,
    declare_length: bool,
) -> (String, usize) {
    let address = api.url.trim_start_matches("http://").to_string();
    let stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let boundary = "XyZboundary";
    let preamble = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.jpg\"\r\n\
         Content-Type: image/jpeg\r\n\r\n"
    );
    let epilogue = format!("\r\n--{boundary}--\r\n");
    let length = preamble.len() + total + epilogue.len();
    let framing = if declare_length {
        format!("Content-Length: {length}\r\n")
    } else {
        "Transfer-Encoding: chunked\r\n".to_string()
    };
    let head = format!(
        "POST /api/v1/media HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\n{framing}\r\n"
    );
    let sent = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = sent.clone();
    let chunked = !declare_length;
    let send = tokio::spawn(async move {
        let frame = |data: &[u8]| -> Vec<u8> {
            if chunked {
                let mut out = format!("{:x}\r\n", data.len()).into_bytes();
                out.extend_from_slice(data);
                out.extend_from_slice(b"\r\n");
                out
            } else {
                data.to_vec()
            }
        };
        writer.write_all(head.as_bytes()).await?;
        writer.write_all(&frame(preamble.as_bytes())).await?;
        let mut first = vec![0xFF, 0xD8, 0xFF, 0xE0];
        first.resize(64 * 1024, 0x42);
        let filler = vec![0x42u8; 64 * 1024];
        let mut written = 0;
        while written < total {
            let chunk = if written == 0 { &first } else { &filler };
            let n = chunk.len().min(total - written);
            writer.write_all(&frame(&chunk[..n])).await?;
            written += n;
            counter.store(written, std::sync::atomic::Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        writer.write_all(&frame(epilogue.as_bytes())).await?;
        if chunked {
            writer.write_all(b"0\r\n\r\n").await?;
        }
        Ok::<_, std::io::Error>(())
    });
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(60), reader.read(&mut answer))
        .await
        .expect("the api answers")
        .unwrap();
    let at = sent.load(std::sync::atomic::Ordering::SeqCst);
    send.abort();
    let text = String::from_utf8_lossy(&answer[..n]).to_string();
    (text.lines().next().unwrap_or_default().to_string(), at)
}

#[tokio::test]
async fn over_size_uploads_are_refused_while_streaming_and_leave_nothing() {
    let spool =
        std::env::temp_dir().join(format!("aistudio-spool-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&spool).unwrap();
    let mut env = TestEnv::new();
    env.set("AISTUDIO__MEDIA__MAX_IMAGE_BYTES", "200000")
        .set("AISTUDIO__MEDIA__MAX_IMAGE_UPLOAD_BYTES", "300000")
        .set("AISTUDIO__MEDIA__MAX_VIDEO_BYTES", "1000000")
        .set("AISTUDIO__MEDIA__SPOOL_DIR", spool.display().to_string());
    let api = Api::start(&env).await;
    let user = ApiClient::new(&api.url)
        .sign_up("Ada", "ada@example.com", PASSWORD)
        .await;
    let token = user.token.clone().unwrap();

    // A JPEG over its limit, a video over its limit: 413 naming the limit.
    let mut big_jpeg = fixtures::jpeg(64, 64);
    big_jpeg.resize(250_000, 0);
    let reply = user.upload("big.jpg", "image/jpeg", big_jpeg).await;
    assert_eq!(
        (reply.status, reply.body["code"].as_str()),
        (413, Some("payload_too_large"))
    );
    assert!(
        reply.body["message"]
            .as_str()
            .unwrap()
            .contains("200000 bytes"),
        "{:?}",
        reply.body
    );
    let video = fixtures::movie(&Movie {
        media_bytes: 1_030_000,
        ..Movie::default()
    });
    let reply = user.upload("big.mp4", "video/mp4", video).await;
    assert_eq!(reply.status, 413, "{:?}", reply.body);
    assert!(reply.body["message"].as_str().unwrap().contains("video"));

    // A declared length over every limit is refused before the body is read.
    let (status, sent) = stream_upload(&api, &token, 50 * 1024 * 1024, true).await;
    assert!(status.contains("413"), "{status}");
    assert!(sent < 5 * 1024 * 1024, "answered after {sent} bytes");

    // Without a declared length, the refusal comes as soon as the JPEG passes its limit,
    // long before the 50 MB body is sent: the body is never buffered whole.
    let (status, sent) = stream_upload(&api, &token, 50 * 1024 * 1024, false).await;
    assert!(status.contains("413"), "{status}");
    assert!(
        sent < 10 * 1024 * 1024,
        "answered after {sent} bytes of 50 MB"
    );

    assert_eq!(stored(&env).await, (0, 0), "nothing stored");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let leftovers: Vec<_> = std::fs::read_dir(&spool).unwrap().collect();
    assert!(leftovers.is_empty(), "spool files left: {leftovers:?}");
    let _ = std::fs::remove_dir_all(&spool);
}

#[tokio::test]
async fn library_pages_newest_first_downloads_and_deletes() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let user = ApiClient::new(&api.url)
        .sign_up("Ada", "ada@example.com", PASSWORD)
        .await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let reply = user
            .upload(
                &format!("p{i}.jpg"),
                "image/jpeg",
                fixtures::jpeg(100 + i, 100),
            )
            .await;
        assert_eq!(reply.status, 201);
        ids.push(reply.body["id"].as_str().unwrap().to_string());
    }
    // Pages of 2, newest first; an upload between pages shifts nothing.
    let first = user.get("/api/v1/media?limit=2").await;
    assert_eq!(first.status, 200, "{:?}", first.body);
    let mut seen: Vec<String> = first.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect();
    let newer = user
        .upload("late.jpg", "image/jpeg", fixtures::jpeg(90, 90))
        .await;
    assert_eq!(newer.status, 201);
    let mut cursor = first.body["next_cursor"].as_str().map(str::to_string);
    while let Some(c) = cursor {
        let page = user.get(&format!("/api/v1/media?limit=2&cursor={c}")).await;
        assert_eq!(page.status, 200, "{:?}", page.body);
        seen.extend(
            page.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["id"].as_str().unwrap().to_string()),
        );
        cursor = page.body["next_cursor"].as_str().map(str::to_string);
    }
    let expected: Vec<String> = ids.iter().rev().cloned().collect();
    assert_eq!(seen, expected, "every item once, newest first");

    for bad in [
        "limit=0",
        "limit=101",
        "cursor=nonsense",
        "limt=2",
        "limit=x",
    ] {
        let reply = user.get(&format!("/api/v1/media?{bad}")).await;
        assert_eq!(reply.status, 422, "{bad}: {:?}", reply.body);
    }
    let unknown = user.get("/api/v1/media?limt=2").await;
    assert_eq!(unknown.body["field"], "limt");

    // Metadata, then delete: gone from the library, the download and GridFS.
    let id = &ids[0];
    assert_eq!(user.get(&format!("/api/v1/media/{id}")).await.status, 200);
    assert_eq!(stored(&env).await, (6, 6));
    assert_eq!(
        user.delete(&format!("/api/v1/media/{id}")).await.status,
        204
    );
    assert_eq!(user.get(&format!("/api/v1/media/{id}")).await.status, 404);
    assert_eq!(
        user.get_bytes(&format!("/api/v1/media/{id}/content"))
            .await
            .0,
        404
    );
    assert_eq!(
        user.delete(&format!("/api/v1/media/{id}")).await.status,
        404
    );
    assert_eq!(stored(&env).await, (5, 5));
}

#[tokio::test]
async fn another_users_media_is_not_found_anywhere() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let anon = ApiClient::new(&api.url);
    let owner = anon.sign_up("Ada", "ada@example.com", PASSWORD).await;
    let other = anon.sign_up("Eve", "eve@example.com", PASSWORD).await;
    let id = owner
        .upload("p.jpg", "image/jpeg", fixtures::jpeg(100, 100))
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let get = other.get(&format!("/api/v1/media/{id}")).await;
    assert_eq!(
        (get.status, get.body["code"].as_str()),
        (404, Some("not_found"))
    );
    assert_eq!(
        other
            .get_bytes(&format!("/api/v1/media/{id}/content"))
            .await
            .0,
        404
    );
    assert_eq!(
        other.delete(&format!("/api/v1/media/{id}")).await.status,
        404
    );
    assert_eq!(
        other.get("/api/v1/media").await.body["items"],
        serde_json::json!([])
    );
    assert_eq!(
        owner.get(&format!("/api/v1/media/{id}")).await.status,
        200,
        "still there"
    );
    for path in ["/api/v1/media", &format!("/api/v1/media/{id}")] {
        assert_eq!(anon.get(path).await.status, 401);
    }
}

#[tokio::test]
async fn stored_bytes_come_back_whole_in_order_and_a_lost_chunk_is_an_error() {
    use aistudio_jobs::media::{MediaStorage, StorageError};
    use futures::TryStreamExt;

    let env = TestEnv::new();
    let store = env.store().await;
    let storage = store.media_files();
    // Four chunks and a bit (GridFS stores 255 KiB per chunk), bytes that differ everywhere.
    let bytes: Vec<u8> = (0..4 * 261_120 + 1_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let source = std::env::temp_dir().join(format!("{}-chunks", env.database));
    tokio::fs::write(&source, &bytes).await.unwrap();
    assert_eq!(
        storage.put("m1", "video/mp4", &source).await.unwrap(),
        bytes.len() as u64
    );
    let read: Vec<Vec<u8>> = storage
        .open("m1")
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(sha256(&read.concat()), sha256(&bytes));
    assert!(matches!(
        storage.open("nothing").await.map(|_| ()),
        Err(StorageError::NotFound)
    ));

    // A chunk lost from the middle: reading fails rather than returning a shorter file.
    let client = mongodb::Client::with_uri_str(&env.mongo_url).await.unwrap();
    client
        .database(&env.database)
        .collection::<mongodb::bson::Document>("media_files.chunks")
        .delete_one(doc! { "files_id": "m1", "n": 2 })
        .await
        .unwrap();
    let broken: Result<Vec<Vec<u8>>, _> = storage.open("m1").await.unwrap().try_collect().await;
    assert!(broken.is_err(), "a file with a missing chunk was read");
    let _ = tokio::fs::remove_file(&source).await;
}

#[tokio::test]
async fn file_names_with_direction_overrides_or_nothing_visible_and_far_cursors_are_refused() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let user = ApiClient::new(&api.url)
        .sign_up("Ada", "ada@example.com", PASSWORD)
        .await;

    // Browsers send the file name as raw UTF-8.
    for name in [
        "invoice\u{202E}gpj.exe",
        "\u{200B}\u{2060}",
        "a\u{2067}b.jpg",
    ] {
        let body = format!(
            "--XBOUNDARY\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
             Content-Type: image/jpeg\r\n\r\nnot read\r\n--XBOUNDARY--\r\n"
        );
        let reply = user
            .send_raw(
                reqwest::Method::POST,
                "/api/v1/media",
                "multipart/form-data; boundary=XBOUNDARY",
                &body,
            )
            .await;
        assert_eq!(
            (reply.status, reply.body["field"].as_str()),
            (422, Some("file")),
            "{name:?}: {:?}",
            reply.body
        );
        assert!(
            reply.body["message"]
                .as_str()
                .unwrap()
                .contains("file name"),
            "{:?}",
            reply.body
        );
    }
    assert_eq!(stored(&env).await, (0, 0), "nothing stored");

    for cursor in [
        "8000000000000000.abc",
        "-8000000000000000.abc",
        "-1.abc",
        "253402300800000.abc",
    ] {
        let reply = user.get(&format!("/api/v1/media?cursor={cursor}")).await;
        assert_eq!(
            (reply.status, reply.body["field"].as_str()),
            (422, Some("cursor")),
            "{cursor}: {:?}",
            reply.body
        );
    }
}

/// The ids in the user's media library, newest first.
async fn library(user: &ApiClient) -> Vec<String> {
    let page = user.get("/api/v1/media?limit=100").await;
    assert_eq!(page.status, 200, "{:?}", page.body);
    page.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn cut_or_corrupt_files_get_422_and_change_nothing() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let user = ApiClient::new(&api.url)
        .sign_up("Ada", "ada@example.com", PASSWORD)
        .await;
    let kept = user
        .upload("kept.jpg", "image/jpeg", fixtures::jpeg(320, 320))
        .await;
    assert_eq!(kept.status, 201, "{:?}", kept.body);
    let before = library(&user).await;

    let cut = |bytes: &[u8], at: usize| bytes[..at].to_vec();
    let png = fixtures::png(800, 600, false);
    let jpeg = fixtures::jpeg(1080, 1080);
    let webp = fixtures::webp(640, 480);
    let mp4 = fixtures::movie(&Movie::default());
    let sos = jpeg.windows(2).position(|w| w == [0xFF, 0xDA]).unwrap();
    let mut scrambled = jpeg[..sos + 14].to_vec();
    scrambled.extend((0..jpeg.len() - sos).map(|i| (i as u32).wrapping_mul(2_654_435_761) as u8));
    let cases = vec![
        ("PNG cut in its header", cut(&png, 33)),
        ("PNG cut in its image data", cut(&png, png.len() / 2)),
        ("PNG cut before IEND", cut(&png, png.len() - 12)),
        ("PNG cut in IEND", cut(&png, png.len() - 1)),
        ("WebP with no payload", cut(&webp, 12)),
        ("WebP cut in the middle", cut(&webp, webp.len() / 2)),
        ("JPEG cut at 629 bytes", cut(&jpeg, 629)),
        ("JPEG cut in the middle", cut(&jpeg, jpeg.len() / 2)),
        ("JPEG without its end marker", cut(&jpeg, jpeg.len() - 2)),
        ("JPEG header and other bytes", scrambled),
        ("MP4 cut in its media data", cut(&mp4, mp4.len() - 1000)),
    ];
    for (what, bytes) in cases {
        let reply = user.upload("cut", "application/octet-stream", bytes).await;
        assert_eq!(reply.status, 422, "{what}: {:?}", reply.body);
        assert_eq!(reply.body["field"], "file", "{what}");
    }
    assert_eq!(library(&user).await, before, "the library is unchanged");
    assert_eq!(stored(&env).await, (1, 1), "nothing more stored");
}

#[tokio::test]
async fn large_images_are_stored_scaled_to_the_publish_size() {
    let mut env = TestEnv::new();
    env.set("AISTUDIO__MEDIA__MAX_IMAGE_SIDE", "1920");
    let api = Api::start(&env).await;
    let user = ApiClient::new(&api.url)
        .sign_up("Ada", "ada@example.com", PASSWORD)
        .await;
    for (name, bytes, source, scaled) in [
        ("wide.jpg", fixtures::jpeg(3000, 2000), "jpeg", (1920, 1280)),
        (
            "tall.png",
            fixtures::png(1500, 2500, false),
            "png",
            (1152, 1920),
        ),
    ] {
        let reply = user.upload(name, "image/jpeg", bytes).await;
        assert_eq!(reply.status, 201, "{name}: {:?}", reply.body);
        assert_eq!(reply.body["source_format"], source);
        assert_eq!(reply.body["converted"], true, "{name}");
        let size = (
            reply.body["width"].as_u64().unwrap() as u32,
            reply.body["height"].as_u64().unwrap() as u32,
        );
        assert_eq!(size, scaled, "{name}");
        let (_, _, stored) = user
            .get_bytes(reply.body["content_url"].as_str().unwrap())
            .await;
        let decoded = image::load_from_memory(&stored).unwrap();
        assert_eq!((decoded.width(), decoded.height()), scaled, "{name}");
    }
}

#[tokio::test]
async fn pixel_and_memory_limits_refuse_before_decoding() {
    let mut env = TestEnv::new();
    env.set("AISTUDIO__MEDIA__MAX_IMAGE_PIXELS", "1000000")
        .set("AISTUDIO__MEDIA__MAX_DECODE_BYTES", "67108864");
    let api = Api::start(&env).await;
    let user = ApiClient::new(&api.url)
        .sign_up("Ada", "ada@example.com", PASSWORD)
        .await;
    let reply = user
        .upload("big.png", "image/png", fixtures::png(1001, 1000, false))
        .await;
    assert_eq!(reply.status, 422, "{:?}", reply.body);
    assert!(
        reply.body["message"]
            .as_str()
            .unwrap()
            .contains("at most 1000000 pixels"),
        "{:?}",
        reply.body
    );
    assert_eq!(stored(&env).await, (0, 0));
}

#[tokio::test]
async fn one_user_cannot_take_every_check_slot() {
    let mut env = TestEnv::new();
    env.set("AISTUDIO__MEDIA__MAX_CONCURRENT_CHECKS", "2")
        .set("AISTUDIO__MEDIA__MAX_CONCURRENT_CHECKS_PER_USER", "1")
        .set("AISTUDIO__MEDIA__CHECK_WAIT_SECS", "0");
    let api = Api::start(&env).await;
    let anon = ApiClient::new(&api.url);
    let ada = anon.sign_up("Ada", "ada@example.com", PASSWORD).await;
    let bob = anon.sign_up("Bob", "bob@example.com", PASSWORD).await;
    // Each takes a few seconds to check: 49 million pixels decoded and scaled down.
    let heavy = fixtures::png(7000, 7000, false);
    let (first, second) = tokio::join!(ada.upload("a.png", "image/png", heavy.clone()), async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        ada.upload("b.png", "image/png", heavy.clone()).await
    });
    let mut statuses = [first.status, second.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 429], "{:?} {:?}", first.body, second.body);
    let refused = if first.status == 429 { &first } else { &second };
    assert_eq!(refused.body["code"], "too_many_requests");
    assert_eq!(refused.headers["retry-after"], "5");

    // While Ada holds her slot, Bob still gets the other one.
    let (ada_reply, bob_reply) =
        tokio::join!(ada.upload("c.png", "image/png", heavy.clone()), async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            bob.upload("d.jpg", "image/jpeg", fixtures::jpeg(640, 640))
                .await
        });
    assert_eq!((ada_reply.status, bob_reply.status), (201, 201));
    assert_eq!(stored(&env).await, (3, 3));
}

#[tokio::test]
async fn the_content_download_documents_the_types_it_answers_with() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let doc = ApiClient::new(&api.url).get("/openapi.json").await.body;
    let content = &doc["paths"]["/api/v1/media/{id}/content"]["get"]["responses"]["200"]["content"];
    let mut types: Vec<&str> = content
        .as_object()
        .expect("the download's content types")
        .keys()
        .map(String::as_str)
        .collect();
    types.sort_unstable();
    assert_eq!(types, ["image/jpeg", "video/mp4", "video/quicktime"]);
    let upload = &doc["paths"]["/api/v1/media"]["post"]["responses"];
    assert!(upload["429"].is_object(), "the busy answer is documented");
}
