//! `POST /{ig-user-id}/media`: creating image, reel, story, carousel item and carousel
//! containers. Images are downloaded before answering (a failed download is an error
//! answer); videos are downloaded in the background (a failure shows as `ERROR` status).

use std::sync::Arc;

use axum::response::Response;
use serde_json::json;

use super::caption;
use super::container::{Container, Failure, Fetch, MediaType, StatusCode};
use super::media_fetch::{self, MAX_REEL_BYTES, MAX_STORY_VIDEO_BYTES};
use super::state::SCOPE_PUBLISH;
use super::{respond, token_of};
use crate::faults::{Call, Endpoint, guarded};
use crate::graph_error::GraphError;
use crate::params::Params;
use crate::redirect::is_web_url;
use crate::shared::Shared;

/// What the request asks for, once validated.
#[derive(Debug)]
struct Plan {
    user_id: String,
    media_type: MediaType,
    is_carousel_item: bool,
    media_url: Option<String>,
    caption: Option<String>,
    children: Vec<String>,
    download: Download,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Download {
    None,
    Image { check_aspect: bool },
    Video { max: u64 },
}

/// `POST {graph}/{version}/{ig-user-id}/media`.
pub(crate) async fn create(shared: &Arc<Shared>, path_id: &str, params: Params) -> Response {
    let call = Call::new(Endpoint::MediaCreate, params.kill.clone()).about(path_id);
    guarded(shared, call, || async {
        let plan = match plan(shared, path_id, &params) {
            Ok(plan) => plan,
            Err(e) => return respond(Err(e)),
        };
        if let (Download::Image { check_aspect }, Some(url)) = (plan.download, &plan.media_url) {
            if let Err(failure) = media_fetch::fetch_image(&shared.http, url, check_aspect).await {
                return respond(Err(graph_failure(&failure)));
            }
        }
        let id = insert(shared, &plan);
        if let (Download::Video { max }, Some(url)) = (plan.download, plan.media_url.clone()) {
            let shared = Arc::clone(shared);
            let container_id = id.clone();
            tokio::spawn(async move {
                let outcome = media_fetch::fetch_video(&shared.http, &url, max).await;
                let mut state = shared.lock();
                if let Some(container) = state.ig.containers.get_mut(&container_id) {
                    container.fetch = match outcome {
                        Ok(()) => Fetch::Done,
                        Err(failure) => Fetch::Failed(failure),
                    };
                }
            });
        }
        respond(Ok(json!({ "id": id })))
    })
    .await
}

/// The Graph error answered for a synchronous download or check failure.
pub(crate) fn graph_failure(failure: &Failure) -> GraphError {
    let title = if failure.download {
        "Media download has failed"
    } else {
        "Unsupported media"
    };
    GraphError::content(failure.code, failure.subcode, title, &failure.message)
}

fn flag(params: &Params, name: &str) -> Result<bool, GraphError> {
    match params
        .non_empty(name)
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") => Ok(true),
        Some(other) => Err(GraphError::param(format!(
            "(#100) Param {name} must be a boolean, got {other}"
        ))),
    }
}

fn media_url(params: &Params, name: &str) -> Result<String, GraphError> {
    let url = params
        .non_empty(name)
        .ok_or_else(|| GraphError::param(format!("(#100) The parameter {name} is required")))?;
    if is_web_url(url) {
        Ok(url.to_owned())
    } else {
        Err(graph_failure(&media_fetch::download_failed()))
    }
}

fn plan(shared: &Shared, path_id: &str, params: &Params) -> Result<Plan, GraphError> {
    let now = shared.now_ms();
    let state = shared.lock();
    let token = state.ig.authenticate(token_of(params), now)?;
    let account = state.ig.path_account(token, path_id, "post")?;
    if !token.scopes.iter().any(|s| s == SCOPE_PUBLISH) {
        return Err(GraphError::permission(SCOPE_PUBLISH));
    }
    let user_id = account.user_id.clone();
    let is_carousel_item = flag(params, "is_carousel_item")?;
    flag(params, "share_to_feed")?;
    if let Some(alt) = params.get("alt_text") {
        if alt.chars().count() > 1000 {
            return Err(GraphError::param(
                "(#100) alt_text must be at most 1000 characters",
            ));
        }
    }
    if let Some(offset) = params.non_empty("thumb_offset") {
        if offset.parse::<u64>().is_err() {
            return Err(GraphError::param(
                "(#100) thumb_offset must be a number of milliseconds",
            ));
        }
    }
    let media_type = params.non_empty("media_type").map(str::to_ascii_uppercase);
    let caption = params
        .get("caption")
        .filter(|c| !c.is_empty())
        .map(str::to_owned);
    let (media_type, media_url, download, children) = match (
        media_type.as_deref(),
        is_carousel_item,
    ) {
        (Some("CAROUSEL"), _) => {
            let children = carousel_children(&state.ig, &user_id, params, now)?;
            (MediaType::Carousel, None, Download::None, children)
        }
        (Some("REELS"), false) => {
            if let Some(cover) = params.non_empty("cover_url") {
                if !is_web_url(cover) {
                    return Err(graph_failure(&media_fetch::download_failed()));
                }
            }
            let url = media_url(params, "video_url")?;
            (
                MediaType::Reels,
                Some(url),
                Download::Video {
                    max: MAX_REEL_BYTES,
                },
                Vec::new(),
            )
        }
        (Some("STORIES"), false) => {
            if params.non_empty("video_url").is_some() {
                let url = media_url(params, "video_url")?;
                let download = Download::Video {
                    max: MAX_STORY_VIDEO_BYTES,
                };
                (MediaType::Stories, Some(url), download, Vec::new())
            } else {
                let url = media_url(params, "image_url")?;
                let download = Download::Image {
                    check_aspect: false,
                };
                (MediaType::Stories, Some(url), download, Vec::new())
            }
        }
        (Some("VIDEO"), true) => {
            let url = media_url(params, "video_url")?;
            (
                MediaType::Video,
                Some(url),
                Download::Video {
                    max: MAX_REEL_BYTES,
                },
                Vec::new(),
            )
        }
        (Some("VIDEO"), false) => {
            return Err(GraphError::content(
                100,
                2207023,
                "Unsupported media type",
                "The VIDEO media type is only supported for carousel items; publish feed videos \
                 as REELS.",
            ));
        }
        (None | Some("IMAGE"), _) => {
            if media_type.is_none() && params.non_empty("video_url").is_some() {
                return Err(GraphError::param(
                    "(#100) media_type is required with video_url (REELS, STORIES or VIDEO)",
                ));
            }
            let url = media_url(params, "image_url")?;
            let download = Download::Image { check_aspect: true };
            (MediaType::Image, Some(url), download, Vec::new())
        }
        (Some(other), _) => {
            return Err(GraphError::content(
                100,
                2207023,
                "Unsupported media type",
                &format!("The media type {other} is not supported here."),
            ));
        }
    };
    if is_carousel_item && caption.is_some() {
        return Err(GraphError::param(
            "(#100) Captions are not supported on carousel items; put it on the carousel parent",
        ));
    }
    if let Some(text) = &caption {
        caption::validate(text)?;
    }
    Ok(Plan {
        user_id,
        media_type,
        is_carousel_item,
        media_url,
        caption,
        children,
        download,
    })
}

fn carousel_children(
    ig: &super::IgState,
    user_id: &str,
    params: &Params,
    now: i64,
) -> Result<Vec<String>, GraphError> {
    let children: Vec<String> = params
        .get("children")
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if !(2..=10).contains(&children.len()) {
        return Err(GraphError::content(
            100,
            2207028,
            "Wrong number of carousel items",
            &format!("A carousel needs 2 to 10 items; got {}.", children.len()),
        ));
    }
    for (i, child_id) in children.iter().enumerate() {
        if children[..i].contains(child_id) {
            return Err(GraphError::param(format!(
                "(#100) Carousel item {child_id} is listed twice"
            )));
        }
        let child = ig
            .containers
            .get(child_id)
            .filter(|c| c.user_id == user_id)
            .ok_or_else(|| {
                GraphError::content(
                    24,
                    2207006,
                    "Media not found",
                    &format!("The media with id {child_id} cannot be found."),
                )
            })?;
        if !child.is_carousel_item {
            return Err(GraphError::param(format!(
                "(#100) Container {child_id} was not created with is_carousel_item=true"
            )));
        }
        if child.own_status(now).0 == StatusCode::Expired {
            return Err(GraphError::content(
                -2,
                2207020,
                "Media expired",
                &format!("The carousel item {child_id} has expired; create it again."),
            ));
        }
    }
    Ok(children)
}

fn insert(shared: &Shared, plan: &Plan) -> String {
    let now = shared.now_ms();
    let mut guard = shared.lock();
    let state = &mut *guard;
    let delay = match plan.download {
        Download::Video { .. } => state.settings.video_processing_ms,
        Download::Image { .. } | Download::None => state.settings.image_processing_ms,
    };
    let mut id = state.ids.digits("178", 17);
    while state.ig.containers.contains_key(&id) || state.ig.media.contains_key(&id) {
        id = state.ids.digits("178", 17);
    }
    let fetch = match plan.download {
        Download::Video { .. } => Fetch::Pending,
        Download::Image { .. } | Download::None => Fetch::Done,
    };
    state.ig.containers.insert(
        id.clone(),
        Container {
            id: id.clone(),
            user_id: plan.user_id.clone(),
            media_type: plan.media_type,
            is_carousel_item: plan.is_carousel_item,
            is_video: matches!(plan.download, Download::Video { .. }),
            media_url: plan.media_url.clone(),
            caption: plan.caption.clone(),
            children: plan.children.clone(),
            created_ms: now,
            ready_at_ms: now + i64::try_from(delay).unwrap_or(i64::MAX / 2),
            fetch,
            publish_count: 0,
            refused_publish_attempts: 0,
            already_published_attempts: 0,
            media_id: None,
        },
    );
    state.ig.container_order.push(id.clone());
    id
}
