//! Hand-written HTML: escaping, the page frame (navigation, who is signed in, sign-out), and
//! the small formatting helpers every page uses.

use axum::response::Html;
use chrono::{DateTime, Utc};

use crate::auth::Operator;

/// `text` safe inside HTML text and quoted attributes.
pub use aistudio_jobs::html_text::escape as esc;

/// `text` percent-encoded for a query-string value.
pub fn url(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A time as the console shows it (UTC, to the second).
pub fn time(at: DateTime<Utc>) -> String {
    format!(
        "<time datetime=\"{}\">{}</time>",
        at.to_rfc3339(),
        at.format("%Y-%m-%d %H:%M:%S UTC")
    )
}

/// An optional time, or a dash.
pub fn opt_time(at: Option<DateTime<Utc>>) -> String {
    at.map_or_else(|| "–".into(), time)
}

/// A duration in a short human form (`850 ms`, `12.3 s`, `4 min 5 s`, `2 h 3 min`).
pub fn duration(ms: i64) -> String {
    let sign = if ms < 0 { "-" } else { "" };
    let ms = ms.abs();
    let text = if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else if ms < 3_600_000 {
        format!("{} min {} s", ms / 60_000, (ms % 60_000) / 1000)
    } else {
        format!("{} h {} min", ms / 3_600_000, (ms % 3_600_000) / 60_000)
    };
    format!("{sign}{text}")
}

/// A status badge (the class carries the colour; the text carries the meaning).
pub fn badge(status: &str) -> String {
    format!(
        "<span class=\"badge s-{}\">{}</span>",
        esc(status),
        esc(&status.replace('_', " "))
    )
}

/// The hidden CSRF field every form post carries.
pub fn csrf_field(operator: &Operator) -> String {
    format!(
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        esc(&operator.csrf)
    )
}

const NAV: [(&str, &str); 5] = [
    ("/admin", "Overview"),
    ("/admin/posts", "Posts"),
    ("/admin/queues", "Queues"),
    ("/admin/workers", "Workers"),
    ("/admin/audit", "Audit log"),
];

fn head(title: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · AIStudio admin</title>\
         <link rel=\"stylesheet\" href=\"/admin/assets/admin.css\">\
         <script src=\"/admin/assets/admin.js\" defer></script></head>",
        esc(title)
    )
}

/// A full console page for a signed-in operator; `active` is the navigation entry to mark.
pub fn page(operator: &Operator, active: &str, title: &str, body: &str) -> Html<String> {
    let nav: String = NAV
        .iter()
        .map(|(href, label)| {
            let current = if *href == active {
                " aria-current=\"page\""
            } else {
                ""
            };
            format!("<li><a href=\"{href}\"{current}>{label}</a></li>")
        })
        .collect();
    let role = operator.user.role.as_str();
    Html(format!(
        "{head}<body><a class=\"skip\" href=\"#main\">Skip to content</a>\
         <header class=\"top\"><span class=\"brand\">AIStudio admin</span>\
         <nav aria-label=\"Console\"><ul>{nav}</ul></nav>\
         <div class=\"who\"><span>{email}</span> {role_badge}\
         <form method=\"post\" action=\"/admin/logout\">{csrf}\
         <button type=\"submit\" class=\"link\">Sign out</button></form></div></header>\
         <main id=\"main\" tabindex=\"-1\">{body}</main></body></html>",
        head = head(title),
        email = esc(&operator.user.email),
        role_badge = badge(role),
        csrf = csrf_field(operator),
    ))
}

/// A page without navigation (sign-in, errors).
pub fn bare_page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "{}<body class=\"bare\"><main id=\"main\">{body}</main></body></html>",
        head(title)
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            super::esc("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(super::url("a b&c/é"), "a%20b%26c%2F%C3%A9");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(super::duration(850), "850 ms");
        assert_eq!(super::duration(12_300), "12.3 s");
        assert_eq!(super::duration(245_000), "4 min 5 s");
        assert_eq!(super::duration(-2000), "-2.0 s");
    }
}
