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

/// The link to confirm the account's email address.
pub fn email_verification(name: &str, link: &str, valid_hours: i64) -> Rendered {
    let text = format!(
        "Hello {name},\n\n\
         Please confirm that this is the email address of your AIStudio account.\n\
         Open this link within {valid_hours} hours; it works once:\n\n\
         {link}\n\n\
         If you did not create an AIStudio account, ignore this email.\n"
    );
    let html = page(&format!(
        "<p>Hello {name},</p>\
         <p>Please confirm that this is the email address of your AIStudio account. Open the \
         link within {valid_hours} hours; it works once.</p>\
         <p><a href=\"{link}\">Confirm my email address</a></p>\
         <p>If you did not create an AIStudio account, ignore this email.</p>",
        name = escape(name),
        link = escape(link),
    ));
    Rendered {
        subject: "Confirm your AIStudio email address".into(),
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

/// An account notification: what happened, what to do, the link to act; and, unless it is
/// essential, how to stop these emails.
pub fn notification(
    name: &str,
    title: &str,
    details: &str,
    link: &str,
    unsubscribe: Option<&str>,
) -> Rendered {
    let mut text = format!("Hello {name},\n\n{details}\n\n{link}\n");
    let mut html = format!(
        "<p>Hello {name},</p><p>{details}</p><p><a href=\"{link}\">{action}</a></p>",
        name = escape(name),
        details = escape(details),
        link = escape(link),
        action = escape(title),
    );
    if let Some(unsubscribe) = unsubscribe {
        text.push_str(&format!(
            "\nYou get this email because of your notification settings. To stop emails of \
             this kind, open: {unsubscribe}\n"
        ));
        html.push_str(&format!(
            "<p style=\"color: #666; font-size: 0.9em\">You get this email because of your \
             notification settings. <a href=\"{}\">Stop emails of this kind</a>.</p>",
            escape(unsubscribe)
        ));
    }
    Rendered {
        subject: title.to_string(),
        text,
        html: page(&html),
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

    #[test]
    fn the_verification_link_is_in_both_bodies_and_the_name_is_escaped() {
        let r = email_verification(
            "<i>Ada</i>",
            "https://app.example/app/verify-email#token=a&b",
            48,
        );
        assert!(r.html.contains("&lt;i&gt;Ada&lt;/i&gt;"));
        assert!(
            r.html
                .contains("href=\"https://app.example/app/verify-email#token=a&amp;b\"")
        );
        assert!(
            r.text
                .contains("https://app.example/app/verify-email#token=a&b")
        );
        assert!(r.text.contains("48 hours"));
    }

    #[test]
    fn a_notification_escapes_its_details_and_carries_the_unsubscribe_link_when_given() {
        let r = notification(
            "Ada",
            "A post could not be published",
            "Your post \"<hi>\" was not published.",
            "https://app.example/app/posts/p1",
            Some("https://app.example/unsubscribe?token=a.b.c"),
        );
        assert_eq!(r.subject, "A post could not be published");
        assert!(r.html.contains("&lt;hi&gt;"), "{}", r.html);
        assert!(
            r.text
                .contains("https://app.example/unsubscribe?token=a.b.c")
        );
        assert!(r.html.contains("Stop emails of this kind"));
        let essential = notification("Ada", "Deleted", "Gone.", "https://x/y", None);
        assert!(!essential.text.contains("unsubscribe"));
        assert!(!essential.html.contains("Stop emails"));
    }
}
