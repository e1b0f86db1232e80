//! One-click unsubscribe links (RFC 8058). The token names the user and the kind and carries
//! an HMAC-SHA256 of both under `notifications.unsubscribe_key`, so it needs no session and no
//! stored state, cannot be forged or moved to another user or kind, and turns off email for
//! that one kind only. It does not expire: an unsubscribe link in an old email keeps working.

use aistudio_config::{ExposeSecret, NotificationSettings};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::domain::NotificationKind;

/// What a valid token unsubscribes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsubscribe {
    /// The user.
    pub user_id: String,
    /// The kind whose email is turned off.
    pub kind: NotificationKind,
}

fn mac(settings: &NotificationSettings, user_id: &str, kind: NotificationKind) -> Hmac<Sha256> {
    let key = settings.unsubscribe_key.expose_secret().as_bytes();
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(format!("unsubscribe\n{user_id}\n{}", kind.as_str()).as_bytes());
    mac
}

/// The token that turns off email of `kind` for `user_id`; `None` for essential kinds.
pub fn token(
    settings: &NotificationSettings,
    user_id: &str,
    kind: NotificationKind,
) -> Option<String> {
    if kind.is_essential() {
        return None;
    }
    let tag = URL_SAFE_NO_PAD.encode(mac(settings, user_id, kind).finalize().into_bytes());
    Some(format!("{user_id}.{}.{tag}", kind.as_str()))
}

/// The link of the token, below the public base URL.
pub fn link(base_url: &str, token: &str) -> String {
    format!(
        "{}/unsubscribe?token={token}",
        base_url.trim_end_matches('/')
    )
}

/// What `token` unsubscribes, if it was made with this key (checked in constant time).
pub fn verify(settings: &NotificationSettings, token: &str) -> Option<Unsubscribe> {
    let mut parts = token.split('.');
    let (user_id, kind, tag) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || user_id.is_empty() || user_id.len() > 64 {
        return None;
    }
    let kind = NotificationKind::parse(kind).filter(|k| !k.is_essential())?;
    let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
    mac(settings, user_id, kind).verify_slice(&tag).ok()?;
    Some(Unsubscribe {
        user_id: user_id.to_string(),
        kind,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(key: &str) -> NotificationSettings {
        NotificationSettings {
            unsubscribe_key: key.to_string().into(),
            stream_poll_ms: 1000,
            sweep_hours: 24,
        }
    }

    #[test]
    fn a_token_names_one_user_and_kind_and_cannot_be_altered() {
        let s = settings("a key of at least thirty-two characters");
        let t = token(&s, "u1", NotificationKind::PostFailed).unwrap();
        assert_eq!(
            verify(&s, &t),
            Some(Unsubscribe {
                user_id: "u1".into(),
                kind: NotificationKind::PostFailed
            })
        );
        let moved_user = t.replacen("u1.", "u2.", 1);
        let moved_kind = t.replace("post_failed", "token_expiring");
        assert_eq!(verify(&s, &moved_user), None);
        assert_eq!(verify(&s, &moved_kind), None);
        let other_key = settings("another key of thirty-two characters!");
        assert_eq!(verify(&other_key, &t), None);
        for bad in [
            "",
            "u1",
            "u1.post_failed",
            "u1.post_failed.!!",
            "u1.nope.abc",
            "a.b.c.d",
        ] {
            assert_eq!(verify(&s, bad), None, "{bad}");
        }
        assert_eq!(token(&s, "u1", NotificationKind::AccountDeleted), None);
    }
}
