//! Minimal self-contained HTML pages (consent screens, error pages): no external assets.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

/// Escapes text for HTML element content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A full page around `body` (already HTML).
pub(crate) fn page(title: &str, body: &str) -> String {
    page_of_width(title, body, "34rem")
}

/// A page wide enough for tables (the inbox).
pub(crate) fn wide_page(title: &str, body: &str) -> String {
    page_of_width(title, body, "60rem")
}

fn page_of_width(title: &str, body: &str, width: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>\
         body{{font-family:system-ui,sans-serif;max-width:{width};margin:3rem auto;padding:0 1rem;color:#222}}\
         .box{{border:1px solid #ccc;border-radius:8px;padding:1.5rem}}\
         button{{font-size:1rem;padding:.5rem 1.25rem;margin:.25rem;border-radius:6px;border:1px solid #888;cursor:pointer}}\
         button.primary{{background:#0064e0;color:#fff;border-color:#0064e0}}\
         table{{border-collapse:collapse;width:100%}}th,td{{text-align:left;vertical-align:top;padding:.25rem .5rem;border-bottom:1px solid #eee;overflow-wrap:anywhere}}.kv th{{width:11rem}}\
         pre{{white-space:pre-wrap;background:#f6f6f6;padding:.75rem}}\
         iframe{{width:100%;height:30rem;border:1px solid #ccc}}\
         .note{{color:#666;font-size:.85rem}}</style></head>\
         <body><div class=\"box\">{body}</div>\
         <p class=\"note\">Simulated provider for local development and tests.</p></body></html>",
        title = escape(title),
    )
}

/// An error page with a status.
pub(crate) fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    let body = format!("<h1>{}</h1><p>{}</p>", escape(title), escape(message));
    (status, Html(page(title, &body))).into_response()
}

/// A hidden form field.
pub(crate) fn hidden(name: &str, value: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
        escape(name),
        escape(value)
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_markup() {
        assert_eq!(
            super::escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
