//! Dispatch of `graph.instagram.com` paths: an optional `vNN.N` version segment, then
//! `access_token`, `refresh_access_token`, `me`, `{id}`, `{id}/media`, `{id}/stories`,
//! `{id}/media_publish`, `{id}/content_publishing_limit`.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};

use super::media_list::{self, Edge};
use super::{me, media_create, publish, quota, read, tokens};
use crate::graph_error::GraphError;
use crate::params::Params;
use crate::shared::Shared;

/// Graph API request body limit.
const BODY_LIMIT: usize = 4 * 1024 * 1024;

/// `ANY {graph}/...`.
pub(crate) async fn dispatch(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let params = match Params::read(request, BODY_LIMIT).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let rest = path.strip_prefix("/graph").unwrap_or(&path);
    let mut segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    if segments.first().is_some_and(|s| is_version(s)) {
        segments.remove(0);
    }
    match (&method, segments.as_slice()) {
        (&Method::GET, ["access_token"]) => tokens::long_lived(&shared, params).await,
        (&Method::GET, ["refresh_access_token"]) => tokens::refresh(&shared, params).await,
        (&Method::GET, ["me"]) => me::get_me(&shared, params).await,
        (&Method::GET, [id]) => read::get_object(&shared, id, params).await,
        (&Method::POST, [id, "media"]) => media_create::create(&shared, id, params).await,
        (&Method::GET, [id, "media"]) => {
            media_list::list(&shared, id, Edge::Media, rest, params).await
        }
        (&Method::GET, [id, "stories"]) => {
            media_list::list(&shared, id, Edge::Stories, rest, params).await
        }
        (&Method::POST, [id, "media_publish"]) => publish::publish(&shared, id, params).await,
        (&Method::GET, [id, "content_publishing_limit"]) => {
            quota::get_limit(&shared, id, params).await
        }
        _ => GraphError::new(
            StatusCode::BAD_REQUEST,
            100,
            None,
            format!(
                "Unsupported {} request. Unknown path components: {rest}",
                method.as_str().to_lowercase()
            ),
        )
        .into_response(),
    }
}

/// `v25.0`, `v21`, ...
fn is_version(segment: &str) -> bool {
    let Some(rest) = segment.strip_prefix('v') else {
        return false;
    };
    let mut parts = rest.split('.');
    let major_ok = parts
        .next()
        .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    let minor_ok = parts.all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    major_ok && minor_ok
}

#[cfg(test)]
mod tests {
    use super::is_version;

    #[test]
    fn recognises_versions() {
        assert!(is_version("v25.0"));
        assert!(is_version("v19"));
        assert!(!is_version("me"));
        assert!(!is_version("v"));
        assert!(!is_version("v1.x"));
        assert!(!is_version("17841400000000000"));
    }
}
