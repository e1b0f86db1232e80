//! What each email says, in plain text and HTML. Every value from a user is escaped in HTML.

use chrono::{DateTime, Utc};

use crate::html_text::escape;

/// A rendered email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// Subject line.
    pub subject: String,
    /// The `text/plain` body.
    pub text: String,
    /// The `text/html` body.
    pub html: String,
}

/// The link to choose a new password.
pub fn password_reset(name: &str, link: &str, valid_minutes: i64) -> Rendered {
    let text = format!(
        "Hello {name},\n\n\
         Someone (we hope you) asked to reset the password of your AIStudio account.\n\
         Choose a new password here within {valid_minutes} minutes; the link works once:\n\n\
         {link}\n\n\
         If you did not ask, ignore this email: your password stays as it is.\n"
    );
    let html = page(&format!(
        "<p>Hello {name},</p>\
         <p>Someone (we hope you) asked to reset the password of your AIStudio account. Choose a \
         new password within {valid_minutes} minutes; the link works once.</p>\
         <p><a href=\"{link}\">Choose a new password</a></p>\
         <p>If you did not ask, ignore this email: your password stays as it is.</p>",
        name = escape(name),
        link = escape(link),
    ));
    Rendered {
        subject: "Reset your AIStudio password".into(),
        text,
        html,
    }
}

/// The password was changed; how to recover if it was not the account's owner.
pub fn password_changed(name: &str, changed_at: DateTime<Utc>, forgot_link: &str) -> Rendered {
    let when = changed_at.format("%Y-%m-%d %H:%M UTC");
    let text = format!(
        "Hello {name},\n\n\
         The password of your AIStudio account was changed on {when}, and every session was \
         signed out.\n\n\
         If this was not you, reset your password now: {forgot_link}\n"
    );
    let html = page(&format!(
        "<p>Hello {name},</p>\
         <p>The password of your AIStudio account was changed on {when}, and every session was \
         signed out.</p>\
         <p>If this was not you, <a href=\"{link}\">reset your password now</a>.</p>",
        name = escape(name),
        link = escape(forgot_link),
    ));
    Rendered {
        subject: "Your AIStudio password was changed".into(),
        text,
        html,
    }
}

/// Deliveries to a webhook endpoint were turned off; how to turn them on again.
pub fn webhook_disabled(name: &str, url: &str, reason: &str, settings_link: &str) -> Rendered {
    let text = format!(
        "Hello {name},\n\n\
         AIStudio stopped sending webhook events to {url}: {reason}.\n\n\
         Events that happen from now on are not sent there. When the endpoint works again, \
         enable it in your webhook settings (and redeliver the events it missed): \
         {settings_link}\n"
    );
    let html = page(&format!(
        "<p>Hello {name},</p>\
         <p>AIStudio stopped sending webhook events to <code>{url}</code>: {reason}.</p>\
         <p>Events that happen from now on are not sent there. When the endpoint works again, \
         <a href=\"{link}\">enable it in your webhook settings</a> (and redeliver the events \
         it missed).</p>",
        name = escape(name),
        url = escape(url),
        reason = escape(reason),
        link = escape(settings_link),
    ));
    Rendered {
        subject: "Webhook endpoint disabled".into(),
        text,
        html,
    }
}

fn page(body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>AIStudio</title>\
         </head><body style=\"font-family: sans-serif; line-height: 1.5\">{body}\
         <p style=\"color: #666\">AIStudio</p></body></html>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_escaped_in_html_and_the_link_is_in_both_bodies() {
        let r = password_reset(
            "<b>Ada</b>",
            "https://app.example/app/reset-password#token=a&b",
            30,
        );
        assert!(r.html.contains("&lt;b&gt;Ada&lt;/b&gt;"));
        assert!(!r.html.contains("<b>Ada"));
        assert!(
            r.html
                .contains("href=\"https://app.example/app/reset-password#token=a&amp;b\"")
        );
        assert!(
            r.text
                .contains("https://app.example/app/reset-password#token=a&b")
        );
        assert!(r.text.contains("30 minutes"));
    }
}
