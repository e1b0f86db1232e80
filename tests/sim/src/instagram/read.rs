//! `GET /{id}`: a container (`status_code`, `status`) or a published media (`permalink`, ...),
//! and the fields of a published media, which the account's lists (`media_list`) share.

use axum::response::Response;
use serde_json::{Map, Value};

use super::container::{Container, Failure, Media, MediaType, StatusCode};
use super::{IgState, respond, token_of};
use crate::faults::{Call, Endpoint, guarded};
use crate::graph_error::GraphError;
use crate::params::Params;
use crate::shared::Shared;
use crate::time_fmt::graph_timestamp;

/// `GET {graph}/{version}/{id}`.
pub(crate) async fn get_object(shared: &Shared, id: &str, params: Params) -> Response {
    let now = shared.now_ms();
    let (endpoint, age) = {
        let state = shared.lock();
        if let Some(c) = state.ig.containers.get(id) {
            (Endpoint::ContainerStatus, Some(now - c.created_ms))
        } else if let Some(m) = state.ig.media.get(id) {
            (Endpoint::Permalink, Some(now - m.published_ms))
        } else {
            (Endpoint::ContainerStatus, None)
        }
    };
    let call = Call::new(endpoint, params.kill.clone()).about(id).aged(age);
    guarded(shared, call, || async {
        respond(read(shared, id, &params))
    })
    .await
}

fn read(shared: &Shared, id: &str, params: &Params) -> Result<Value, GraphError> {
    let now = shared.now_ms();
    let state = shared.lock();
    let token = state.ig.authenticate(token_of(params), now)?;
    if let Some(container) = state
        .ig
        .containers
        .get(id)
        .filter(|c| c.user_id == token.user_id)
    {
        let mut out = Map::new();
        out.insert("id".into(), id.into());
        for field in params.fields() {
            let value: Value = match field.as_str() {
                "id" => continue,
                "status_code" | "status" => {
                    let (code, text) = describe(&state.ig, container, now, &state.settings);
                    if field == "status_code" {
                        code.into()
                    } else {
                        text.into()
                    }
                }
                "media_type" => container.media_type.as_str().into(),
                other => return Err(unknown_field(other, "ShadowIGMediaBuilder")),
            };
            out.insert(field, value);
        }
        return Ok(Value::Object(out));
    }
    if let Some(media) = state
        .ig
        .media
        .get(id)
        .filter(|m| m.user_id == token.user_id)
    {
        return media_fields(shared, &state.ig, media, &params.fields());
    }
    Err(GraphError::object_not_found("get", id))
}

fn unknown_field(field: &str, node: &str) -> GraphError {
    GraphError::param(format!(
        "(#100) Tried accessing nonexisting field ({field}) on node type ({node})"
    ))
}

/// `status_code` and `status` of a container.
fn describe(
    ig: &IgState,
    container: &Container,
    now: i64,
    settings: &crate::settings::Settings,
) -> (String, String) {
    let code = ig.status(container, now);
    let text = match code {
        StatusCode::InProgress => "In Progress: Media is still being processed.".to_owned(),
        StatusCode::Finished => {
            "Finished: Media has been uploaded and it is ready to be published.".to_owned()
        }
        StatusCode::Published => "Published: Media has been published.".to_owned(),
        StatusCode::Expired => {
            "Expired: The media container was not published within 24 hours.".to_owned()
        }
        StatusCode::Error => match failure_of(ig, container, now) {
            Some(f) => format!("Error: {} ({})", f.message, f.subcode),
            None => "Error: Media processing failed.".to_owned(),
        },
    };
    let download_error =
        code == StatusCode::Error && failure_of(ig, container, now).is_some_and(|f| f.download);
    let code_text = if download_error && settings.empty_status_code_on_download_error {
        String::new()
    } else {
        code.as_str().to_owned()
    };
    (code_text, text)
}

fn failure_of<'a>(ig: &'a IgState, container: &'a Container, now: i64) -> Option<&'a Failure> {
    if let (_, Some(f)) = container.own_status(now) {
        return Some(f);
    }
    container
        .children
        .iter()
        .filter_map(|id| ig.containers.get(id))
        .find_map(|child| child.own_status(now).1)
}

/// The requested `fields` of a published media (`id` always).
pub(crate) fn media_fields(
    shared: &Shared,
    ig: &IgState,
    media: &Media,
    fields: &[String],
) -> Result<Value, GraphError> {
    let username = ig
        .account(&media.user_id)
        .map(|a| a.username.clone())
        .unwrap_or_default();
    let mut out = Map::new();
    out.insert("id".into(), media.id.clone().into());
    for field in fields {
        let value: Value = match field.as_str() {
            "id" => continue,
            "permalink" => permalink(shared, &media.shortcode).into(),
            "shortcode" => media.shortcode.clone().into(),
            // Instagram reports a story as the image or video it is.
            "media_type" => match media.media_type {
                MediaType::Reels | MediaType::Video => "VIDEO".into(),
                MediaType::Stories if media.is_video => "VIDEO".into(),
                MediaType::Stories => "IMAGE".into(),
                other => other.as_str().into(),
            },
            "media_product_type" => match media.media_type {
                MediaType::Reels => "REELS".into(),
                MediaType::Stories => "STORY".into(),
                _ => "FEED".into(),
            },
            "caption" => media.caption.clone().unwrap_or_default().into(),
            "media_url" => media.media_url.clone().unwrap_or_default().into(),
            "timestamp" => graph_timestamp(media.published_ms).into(),
            "username" => username.clone().into(),
            other => return Err(unknown_field(other, "IGMedia")),
        };
        out.insert(field.clone(), value);
    }
    Ok(Value::Object(out))
}

/// The public URL of a published post.
pub(crate) fn permalink(shared: &Shared, shortcode: &str) -> String {
    format!("{}/p/{shortcode}/", shared.urls.instagram)
}
