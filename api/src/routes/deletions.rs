//! Public status of a deletion request, by its confirmation code (no personal data).

use std::collections::BTreeMap;

use aistudio_jobs::store::{DeletionKind, DeletionRequest, DeletionStatus};
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::{ApiError, ErrorOut};
use crate::state::AppState;

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/deletions/{code}", get(get_deletion))
}

/// A deletion request's status and receipt.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeletionOut {
    /// The confirmation code.
    pub confirmation_code: String,
    /// `account` or `instagram_data`.
    #[schema(value_type = String)]
    pub kind: DeletionKind,
    /// `pending` or `completed`.
    #[schema(value_type = String)]
    pub status: DeletionStatus,
    /// When it was requested.
    pub requested_at: DateTime<Utc>,
    /// When it completed.
    pub completed_at: Option<DateTime<Utc>>,
    /// Records deleted, per kind.
    pub deleted: BTreeMap<String, i64>,
    /// Where this status can be read.
    pub status_url: String,
}

impl DeletionOut {
    /// The public view of a request.
    pub fn from_request(r: &DeletionRequest, public_base_url: &str) -> Self {
        Self {
            confirmation_code: r.id.clone(),
            kind: r.kind,
            status: r.status,
            requested_at: r.requested_at,
            completed_at: r.completed_at,
            deleted: r.deleted.clone(),
            status_url: format!(
                "{}/api/v1/deletions/{}",
                public_base_url.trim_end_matches('/'),
                r.id
            ),
        }
    }
}

/// The status of a deletion request.
#[utoipa::path(get, path = "/api/v1/deletions/{code}", tag = "accounts",
    params(("code" = String, Path, description = "Confirmation code")),
    responses(
        (status = 200, description = "Status and receipt", body = DeletionOut),
        (status = 404, description = "No such request", body = ErrorOut),
    ))]
pub async fn get_deletion(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<DeletionOut>, ApiError> {
    if code.len() != 32 || !code.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(ApiError::NotFound("deletion request"));
    }
    let request = state
        .store
        .deletion_requests()
        .find(&code)
        .await?
        .ok_or(ApiError::NotFound("deletion request"))?;
    Ok(Json(DeletionOut::from_request(
        &request,
        &state.settings.server.public_base_url,
    )))
}
