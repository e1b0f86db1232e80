//! The simulated ImgBB: `POST /1/upload` and the uploaded images, served at the returned
//! `data.url` until their `expiration` passes in simulated time.

mod serve;
mod upload;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use crate::shared::Shared;

/// An uploaded image.
#[derive(Debug, Clone)]
pub(crate) struct StoredImage {
    pub id: String,
    pub bytes: Arc<Vec<u8>>,
    pub mime: &'static str,
    pub filename: String,
    pub title: String,
    pub uploaded_ms: i64,
    pub expires_ms: Option<i64>,
    pub delete_hash: String,
    pub deleted: bool,
}

impl StoredImage {
    /// Whether it is still served at `now_ms`.
    pub(crate) fn live(&self, now_ms: i64) -> bool {
        !self.deleted && self.expires_ms.is_none_or(|at| now_ms < at)
    }
}

/// All uploads.
#[derive(Debug, Default)]
pub(crate) struct ImgbbState {
    pub images: HashMap<String, StoredImage>,
    pub order: Vec<String>,
}

/// Routes under `/imgbb`.
pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/imgbb/1/upload", post(upload::post_upload))
        .route("/imgbb/i/{id}/{*file}", get(serve::get_image))
        .route("/imgbb/v/{id}", get(serve::get_viewer))
        .route("/imgbb/d/{id}/{hash}", get(serve::get_delete))
}
