//! Building OAuth redirects back to the client.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// A `302 Found` to `base` with `pairs` appended to its query and an optional fragment.
pub(crate) fn redirect(base: &str, pairs: &[(&str, &str)], fragment: Option<&str>) -> Response {
    let Ok(mut url) = url::Url::parse(base) else {
        return (StatusCode::BAD_REQUEST, "invalid redirect_uri").into_response();
    };
    {
        let mut query = url.query_pairs_mut();
        for (k, v) in pairs {
            query.append_pair(k, v);
        }
    }
    url.set_fragment(fragment);
    (StatusCode::FOUND, [(header::LOCATION, url.to_string())]).into_response()
}

/// An absolute `http` or `https` URL with a host.
pub(crate) fn is_web_url(text: &str) -> bool {
    url::Url::parse(text)
        .map(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::{is_web_url, redirect};

    #[test]
    fn appends_to_existing_query() {
        let response = redirect("https://app.example/cb?x=1", &[("code", "a b")], Some("_"));
        let location = response.headers()["location"].to_str().expect("ascii");
        assert_eq!(location, "https://app.example/cb?x=1&code=a+b#_");
        assert!(is_web_url("http://127.0.0.1:1/x"));
        assert!(!is_web_url("ftp://example.com/x"));
        assert!(!is_web_url("/relative"));
    }
}
