//! `GET /{ig-user-id}/media` and `GET /{ig-user-id}/stories`: the account's published media,
//! newest first, the way Instagram lists them.
//!
//! - `fields` selects the fields of each item (`id` always; see `read::media_fields`);
//! - `limit` (default 25, at most 100) sizes a page; `after` / `before` take the cursors of
//!   another page;
//! - the answer is `{"data":[...],"paging":{"cursors":{"before","after"},"next","previous"}}`:
//!   `paging` is absent when `data` is empty, `next` only when older media follow, `previous`
//!   only when newer media precede;
//! - `/media` lists feed media (images, reels, carousels; never carousel items nor stories),
//!   `/stories` lists stories for 24 hours after their publish;
//! - a media stays out of both lists for the `media_list_lag_ms` setting after its publish:
//!   Instagram's lists can lag behind `media_publish`.

use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use super::container::{Media, MediaType};
use super::read::media_fields;
use super::{respond, token_of};
use crate::clock::DAY_MS;
use crate::faults::{Call, Endpoint, guarded};
use crate::graph_error::GraphError;
use crate::params::Params;
use crate::shared::Shared;

/// Items per page when `limit` is absent.
const DEFAULT_LIMIT: usize = 25;
/// The largest `limit` honoured.
const MAX_LIMIT: usize = 100;

/// Which list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Edge {
    /// `/{ig-user-id}/media`: feed media.
    Media,
    /// `/{ig-user-id}/stories`: stories of the last 24 hours.
    Stories,
}

impl Edge {
    fn endpoint(self) -> Endpoint {
        match self {
            Edge::Media => Endpoint::MediaList,
            Edge::Stories => Endpoint::StoriesList,
        }
    }

    fn lists(self, media: &Media, now_ms: i64) -> bool {
        match self {
            Edge::Media => media.media_type != MediaType::Stories,
            Edge::Stories => {
                media.media_type == MediaType::Stories && now_ms - media.published_ms < DAY_MS
            }
        }
    }
}

/// `GET {graph}/{version}/{ig-user-id}/media` or `.../stories`; `path` is the request path
/// below the Graph base URL (it is repeated in the paging URLs).
pub(crate) async fn list(
    shared: &Shared,
    path_id: &str,
    edge: Edge,
    path: &str,
    params: Params,
) -> Response {
    let call = Call::new(edge.endpoint(), params.kill.clone()).about(path_id);
    guarded(shared, call, || async {
        respond(run(shared, path_id, edge, path, &params))
    })
    .await
}

/// The sort key of a listed media: newest first, ties by id (descending).
fn key(media: &Media) -> (i64, &str) {
    (media.published_ms, media.id.as_str())
}

fn cursor(media: &Media) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{}", media.published_ms, media.id))
}

fn decode_cursor(raw: &str) -> Result<(i64, String), GraphError> {
    let invalid = || GraphError::param(format!("(#100) Invalid cursor: {raw}"));
    let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let (ms, id) = text.split_once(':').ok_or_else(invalid)?;
    Ok((ms.parse().map_err(|_| invalid())?, id.to_owned()))
}

fn limit(params: &Params) -> Result<usize, GraphError> {
    match params.non_empty("limit") {
        None => Ok(DEFAULT_LIMIT),
        Some(raw) => raw
            .parse::<usize>()
            .map(|n| n.clamp(1, MAX_LIMIT))
            .map_err(|_| GraphError::param(format!("(#100) Param limit must be a number: {raw}"))),
    }
}

fn run(
    shared: &Shared,
    path_id: &str,
    edge: Edge,
    path: &str,
    params: &Params,
) -> Result<Value, GraphError> {
    let now = shared.now_ms();
    let state = shared.lock();
    let token = state.ig.authenticate(token_of(params), now)?;
    let account = state.ig.path_account(token, path_id, "get")?;
    let limit = limit(params)?;
    let visible_before =
        now.saturating_sub(i64::try_from(state.settings.media_list_lag_ms).unwrap_or(i64::MAX));
    let mut listed: Vec<&Media> = state
        .ig
        .media
        .values()
        .filter(|m| m.user_id == account.user_id)
        .filter(|m| m.published_ms <= visible_before && edge.lists(m, now))
        .collect();
    listed.sort_by(|a, b| key(b).cmp(&key(a)));
    let page: &[&Media] = if let Some(after) = params.non_empty("after") {
        let (ms, id) = decode_cursor(after)?;
        let start = listed.partition_point(|m| key(m) >= (ms, id.as_str()));
        let end = (start + limit).min(listed.len());
        &listed[start..end]
    } else if let Some(before) = params.non_empty("before") {
        let (ms, id) = decode_cursor(before)?;
        let end = listed.partition_point(|m| key(m) > (ms, id.as_str()));
        &listed[end.saturating_sub(limit)..end]
    } else {
        &listed[..limit.min(listed.len())]
    };
    let fields = params.fields();
    let data: Vec<Value> = page
        .iter()
        .map(|m| media_fields(shared, &state.ig, m, &fields))
        .collect::<Result<_, _>>()?;
    let (Some(first), Some(last)) = (page.first(), page.last()) else {
        return Ok(json!({ "data": data }));
    };
    let mut paging = json!({ "cursors": { "before": cursor(first), "after": cursor(last) } });
    if listed.last().is_some_and(|oldest| key(oldest) < key(last)) {
        paging["next"] = page_url(shared, path, params, ("after", &cursor(last))).into();
    }
    if listed
        .first()
        .is_some_and(|newest| key(newest) > key(first))
    {
        paging["previous"] = page_url(shared, path, params, ("before", &cursor(first))).into();
    }
    Ok(json!({ "data": data, "paging": paging }))
}

/// The URL of another page: the same request with `cursor` instead of the current one (an
/// `access_token` given in the query is repeated, as Instagram does).
fn page_url(shared: &Shared, path: &str, params: &Params, cursor: (&str, &str)) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for name in ["access_token", "fields", "limit"] {
        if let Some(value) = params.non_empty(name) {
            query.append_pair(name, value);
        }
    }
    query.append_pair(cursor.0, cursor.1);
    format!("{}{}?{}", shared.urls.graph, path, query.finish())
}
