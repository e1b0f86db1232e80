//! Serving uploaded images (`data.url`, thumbnails, the viewer page) and the delete link.

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::faults::{Call, ConnKill, Endpoint, guarded};
use crate::html::{self, escape};
use crate::shared::Shared;

/// `GET {imgbb}/i/{id}/{file}`: the image bytes while the upload lives.
pub(crate) async fn get_image(
    State(shared): State<Arc<Shared>>,
    Path((id, _file)): Path<(String, String)>,
    request: Request,
) -> Response {
    let kill = request.extensions().get::<ConnKill>().cloned();
    let call = Call::new(Endpoint::ImgbbImage, kill).about(id.clone());
    guarded(&shared, call, || async {
        let now = shared.now_ms();
        let image = shared.lock().imgbb.images.get(&id).cloned();
        match image.filter(|i| i.live(now)) {
            Some(image) => (
                [(header::CONTENT_TYPE, image.mime)],
                image.bytes.as_ref().clone(),
            )
                .into_response(),
            None => html::error_page(StatusCode::NOT_FOUND, "Image not found", ""),
        }
    })
    .await
}

/// `GET {imgbb}/v/{id}`: the viewer page.
pub(crate) async fn get_viewer(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Response {
    let now = shared.now_ms();
    let image = shared.lock().imgbb.images.get(&id).cloned();
    match image.filter(|i| i.live(now)) {
        Some(image) => {
            let src = format!("{}/i/{}/{}", shared.urls.imgbb, image.id, image.filename);
            let body = format!(
                "<h1>{}</h1><img src=\"{}\" alt=\"\" style=\"max-width:100%\">",
                escape(&image.title),
                escape(&src)
            );
            Html(html::page(&image.title, &body)).into_response()
        }
        None => html::error_page(StatusCode::NOT_FOUND, "Image not found", ""),
    }
}

/// `GET {imgbb}/d/{id}/{hash}`: deletes the upload.
pub(crate) async fn get_delete(
    State(shared): State<Arc<Shared>>,
    Path((id, hash)): Path<(String, String)>,
) -> Response {
    let mut state = shared.lock();
    match state.imgbb.images.get_mut(&id) {
        Some(image) if image.delete_hash == hash && !image.deleted => {
            image.deleted = true;
            Html(html::page("Deleted", "<h1>Image deleted</h1>")).into_response()
        }
        _ => html::error_page(StatusCode::NOT_FOUND, "Image not found", ""),
    }
}
