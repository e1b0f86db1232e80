//! `POST /1/upload`: `key` (query or form), `image` as a multipart file, a base64 string or a
//! URL, optional `name` and `expiration` (60-15552000 s).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{Value, json};

use super::StoredImage;
use crate::config::NumberStyle;
use crate::faults::{Call, Endpoint, guarded};
use crate::media_sniff;
use crate::params::{Params, Value as Param};
use crate::shared::Shared;

const MIN_EXPIRATION: i64 = 60;
const MAX_EXPIRATION: i64 = 15_552_000;

/// `POST {imgbb}/1/upload`.
pub(crate) async fn post_upload(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let max = usize::try_from(shared.config.imgbb.max_upload_bytes).unwrap_or(usize::MAX);
    let limit = max.saturating_mul(4) / 3 + 1024 * 1024;
    let params = match Params::read(request, limit).await {
        Ok(p) => p,
        Err(_) => return error(StatusCode::BAD_REQUEST, 313, &too_big_message(max)),
    };
    let call = Call::new(Endpoint::ImgbbUpload, params.kill.clone());
    guarded(&shared, call, || async {
        match upload(&shared, &params).await {
            Ok(value) => axum::Json(value).into_response(),
            Err(response) => response,
        }
    })
    .await
}

/// The ImgBB error shape.
pub(crate) fn error(status: StatusCode, code: i64, message: &str) -> Response {
    (
        status,
        axum::Json(json!({
            "status_code": status.as_u16(),
            "error": {"message": message, "code": code},
            "status_txt": status.canonical_reason().unwrap_or("Error"),
        })),
    )
        .into_response()
}

fn too_big_message(max: usize) -> String {
    format!("File is too big (max {} MB).", max / (1024 * 1024))
}

async fn upload(shared: &Shared, params: &Params) -> Result<Value, Response> {
    let cfg = &shared.config.imgbb;
    if params.get("key") != Some(cfg.api_key.as_str()) {
        return Err(error(StatusCode::BAD_REQUEST, 100, "Invalid API v1 key."));
    }
    let expiration = match params.non_empty("expiration") {
        None => None,
        Some(text) => match text.parse::<i64>() {
            Ok(secs) if (MIN_EXPIRATION..=MAX_EXPIRATION).contains(&secs) => Some(secs),
            _ => {
                return Err(error(
                    StatusCode::BAD_REQUEST,
                    100,
                    "Invalid expiration value: it must be between 60 and 15552000 seconds.",
                ));
            }
        },
    };
    let (bytes, source_name) = image_bytes(shared, params).await?;
    let max = usize::try_from(cfg.max_upload_bytes).unwrap_or(usize::MAX);
    if bytes.len() > max {
        return Err(error(StatusCode::BAD_REQUEST, 313, &too_big_message(max)));
    }
    let Some(format) = media_sniff::image_format(&bytes) else {
        return Err(error(StatusCode::BAD_REQUEST, 310, "Invalid image source."));
    };
    let (width, height) = media_sniff::dimensions(&bytes).unwrap_or((0, 0));
    let now = shared.now_ms();
    let mut guard = shared.lock();
    let state = &mut *guard;
    let mut id = state.ids.alnum("", 7);
    while state.imgbb.images.contains_key(&id) {
        id = state.ids.alnum("", 7);
    }
    let title = params
        .non_empty("name")
        .map(str::to_owned)
        .or(source_name)
        .unwrap_or_else(|| id.to_lowercase());
    let stem: String = title
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let filename = format!("{stem}.{}", format.extension());
    let delete_hash = state.ids.alnum("", 32).to_lowercase();
    let size = bytes.len();
    let image = StoredImage {
        id: id.clone(),
        bytes: Arc::new(bytes),
        mime: format.mime(),
        filename: filename.clone(),
        title: title.clone(),
        uploaded_ms: now,
        expires_ms: expiration.map(|secs| now + secs * 1000),
        delete_hash: delete_hash.clone(),
        deleted: false,
    };
    state.imgbb.images.insert(id.clone(), image);
    state.imgbb.order.push(id.clone());
    let base = &shared.urls.imgbb;
    let url = format!("{base}/i/{id}/{filename}");
    let number = |n: i64| match state.settings.imgbb_number_style {
        NumberStyle::String => Value::from(n.to_string()),
        NumberStyle::Number => Value::from(n),
    };
    let variant = |kind: &str| {
        json!({
            "filename": filename,
            "name": stem,
            "mime": format.mime(),
            "extension": format.extension(),
            "url": if kind.is_empty() { url.clone() } else { format!("{base}/i/{id}/{kind}/{filename}") },
        })
    };
    Ok(json!({
        "data": {
            "id": id,
            "title": title,
            "url_viewer": format!("{base}/v/{id}"),
            "url": url,
            "display_url": url,
            "width": number(i64::from(width)),
            "height": number(i64::from(height)),
            "size": number(i64::try_from(size).unwrap_or(i64::MAX)),
            "time": number(now / 1000),
            "expiration": number(expiration.unwrap_or(0)),
            "image": variant(""),
            "thumb": variant("thumb"),
            "medium": variant("medium"),
            "delete_url": format!("{base}/d/{id}/{delete_hash}"),
        },
        "success": true,
        "status": 200,
    }))
}

/// The uploaded bytes and a name suggested by the source (file name or URL path).
async fn image_bytes(
    shared: &Shared,
    params: &Params,
) -> Result<(Vec<u8>, Option<String>), Response> {
    let empty = || error(StatusCode::BAD_REQUEST, 130, "Empty upload source.");
    match params.value("image") {
        None => Err(empty()),
        Some(Param::File { filename, data }) => {
            if data.is_empty() {
                return Err(empty());
            }
            let stem = filename.as_deref().map(file_stem).filter(|s| !s.is_empty());
            Ok((data.clone(), stem))
        }
        Some(Param::Text(text)) => {
            let text = text.trim();
            if text.is_empty() {
                return Err(empty());
            }
            if text.starts_with("http://") || text.starts_with("https://") {
                return fetch(shared, text).await;
            }
            let encoded = text
                .split_once(";base64,")
                .map_or(text, |(_, data)| data)
                .replace(['\r', '\n'], "");
            let unpadded = encoded.trim_end_matches('=');
            let decoded = base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(unpadded)
                .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(unpadded))
                .map_err(|_| error(StatusCode::BAD_REQUEST, 310, "Invalid base64 string."))?;
            Ok((decoded, None))
        }
    }
}

async fn fetch(shared: &Shared, url: &str) -> Result<(Vec<u8>, Option<String>), Response> {
    let failed = || error(StatusCode::BAD_REQUEST, 310, "Can't get target URL.");
    let response = shared.http.get(url).send().await.map_err(|_| failed())?;
    if !response.status().is_success() {
        return Err(failed());
    }
    let bytes = response.bytes().await.map_err(|_| failed())?;
    let stem = url::Url::parse(url)
        .ok()
        .and_then(|u| {
            u.path_segments()
                .and_then(|mut s| s.next_back().map(file_stem))
        })
        .filter(|s| !s.is_empty());
    Ok((bytes.to_vec(), stem))
}

fn file_stem(name: &str) -> String {
    name.rsplit_once('.')
        .map_or(name, |(stem, _)| stem)
        .to_owned()
}
