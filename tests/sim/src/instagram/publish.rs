//! `POST /{ig-user-id}/media_publish` with `creation_id`: only a `FINISHED` container of the
//! caller's account, within the rolling 24 h quota, and never twice (a second attempt is
//! refused and counted).

use axum::response::Response;
use serde_json::{Value, json};

use super::container::{Media, PublishRecord, StatusCode};
use super::state::SCOPE_PUBLISH;
use super::{respond, token_of};
use crate::faults::{Call, Endpoint, guarded};
use crate::graph_error::GraphError;
use crate::params::Params;
use crate::shared::Shared;

/// `POST {graph}/{version}/{ig-user-id}/media_publish`.
pub(crate) async fn publish(shared: &Shared, path_id: &str, params: Params) -> Response {
    let call = Call::new(Endpoint::MediaPublish, params.kill.clone()).about(path_id);
    guarded(shared, call, || async {
        respond(run(shared, path_id, &params))
    })
    .await
}

fn not_ready() -> GraphError {
    GraphError::content(
        9007,
        2207027,
        "Media ID is not available",
        "The media is not ready for publishing, please wait for a moment",
    )
}

fn run(shared: &Shared, path_id: &str, params: &Params) -> Result<Value, GraphError> {
    let now = shared.now_ms();
    let mut guard = shared.lock();
    let state = &mut *guard;
    let token = state.ig.authenticate(token_of(params), now)?;
    if !token.scopes.iter().any(|s| s == SCOPE_PUBLISH) {
        return Err(GraphError::permission(SCOPE_PUBLISH));
    }
    let account = state.ig.path_account(token, path_id, "post")?;
    let user_id = account.user_id.clone();
    let quota_total = account.quota_total.unwrap_or(state.settings.quota_total);
    let Some(creation_id) = params.non_empty("creation_id") else {
        return Err(GraphError::param(
            "(#100) The parameter creation_id is required",
        ));
    };
    let not_found = || {
        GraphError::content(
            24,
            2207006,
            "Media not found",
            &format!("The media with id {creation_id} cannot be found."),
        )
    };
    let container = state
        .ig
        .containers
        .get(creation_id)
        .filter(|c| c.user_id == user_id)
        .ok_or_else(not_found)?;
    let status = state.ig.status(container, now);
    let is_item = container.is_carousel_item;
    let refusal = if is_item {
        Some(GraphError::param(
            "(#100) A carousel item can't be published on its own; publish its carousel",
        ))
    } else {
        match status {
            StatusCode::Finished => None,
            StatusCode::InProgress | StatusCode::Published => Some(not_ready()),
            StatusCode::Error => Some(GraphError::content(
                -1,
                2207032,
                "Create media failed",
                "The media container failed processing; create a new container.",
            )),
            StatusCode::Expired => Some(GraphError::content(
                -2,
                2207020,
                "Media expired",
                "The media container has expired; create a new container.",
            )),
        }
    };
    let refusal = refusal.or_else(|| {
        (state.ig.quota_usage(&user_id, now) >= quota_total).then(|| {
            GraphError::content(
                9,
                2207042,
                "Reached the publishing limit",
                &format!(
                    "The account has reached its limit of {quota_total} API-published posts per \
                     24 hours."
                ),
            )
            .transient(false)
        })
    });
    if let Some(error) = refusal {
        if let Some(container) = state.ig.containers.get_mut(creation_id) {
            container.refused_publish_attempts += 1;
            if status == StatusCode::Published {
                container.already_published_attempts += 1;
            }
        }
        return Err(error);
    }
    let mut media_id = state.ids.digits("179", 17);
    while state.ig.media.contains_key(&media_id) || state.ig.containers.contains_key(&media_id) {
        media_id = state.ids.digits("179", 17);
    }
    let shortcode = state.ids.alnum("C", 10);
    let container = state
        .ig
        .containers
        .get_mut(creation_id)
        .ok_or_else(not_found)?;
    container.media_id = Some(media_id.clone());
    container.publish_count += 1;
    let media = Media {
        id: media_id.clone(),
        user_id: user_id.clone(),
        container_id: creation_id.to_owned(),
        shortcode,
        media_type: container.media_type,
        is_video: container.is_video,
        caption: container.caption.clone(),
        media_url: container.media_url.clone(),
        published_ms: now,
    };
    state.ig.media.insert(media_id.clone(), media);
    state.ig.publishes.push(PublishRecord {
        user_id,
        media_id: media_id.clone(),
        container_id: creation_id.to_owned(),
        at_ms: now,
    });
    Ok(json!({ "id": media_id }))
}
