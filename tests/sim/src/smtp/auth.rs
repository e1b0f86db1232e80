//! Decoding `AUTH PLAIN` (RFC 4616) and `AUTH LOGIN` answers. Any credentials are accepted:
//! only the user name is kept.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::reply::Reply;

/// `334` prompts of `AUTH LOGIN` (base64 of `Username:` and `Password:`).
pub(crate) const LOGIN_USER_PROMPT: &str = "VXNlcm5hbWU6";
pub(crate) const LOGIN_PASSWORD_PROMPT: &str = "UGFzc3dvcmQ6";

/// The client gave up the exchange.
pub(crate) fn cancelled(answer: &str) -> bool {
    answer.trim() == "*"
}

/// The user name (authentication identity) of a PLAIN answer `authzid NUL authcid NUL passwd`.
pub(crate) fn plain_user(answer: &str) -> Result<String, Reply> {
    let bytes = decode(answer)?;
    let mut fields = bytes.split(|b| *b == 0);
    let (_authzid, user, _password) = match (fields.next(), fields.next(), fields.next()) {
        (Some(a), Some(u), Some(p)) if fields.next().is_none() => (a, u, p),
        _ => return Err(invalid()),
    };
    let user = String::from_utf8(user.to_vec()).map_err(|_| invalid())?;
    if user.is_empty() {
        return Err(invalid());
    }
    Ok(user)
}

/// The user name of a LOGIN answer.
pub(crate) fn login_user(answer: &str) -> Result<String, Reply> {
    let user = String::from_utf8(decode(answer)?).map_err(|_| invalid())?;
    if user.is_empty() {
        return Err(invalid());
    }
    Ok(user)
}

/// Checks a LOGIN password answer is base64, and forgets it.
pub(crate) fn login_password(answer: &str) -> Result<(), Reply> {
    decode(answer).map(drop)
}

fn decode(answer: &str) -> Result<Vec<u8>, Reply> {
    STANDARD.decode(answer.trim()).map_err(|_| invalid())
}

fn invalid() -> Reply {
    Reply::new(501, "5.5.2 Cannot decode the authentication answer")
}

#[cfg(test)]
mod tests {
    use super::{login_password, login_user, plain_user};

    #[test]
    fn plain_keeps_the_user_only() {
        // "\0mailer\0s3cret"
        assert_eq!(plain_user("AG1haWxlcgBzM2NyZXQ="), Ok("mailer".into()));
        assert_eq!(plain_user("bm90IGJhc2U2NA").map_err(|r| r.code), Err(501));
        // "only-one-field"
        assert_eq!(
            plain_user("b25seS1vbmUtZmllbGQ=").map_err(|r| r.code),
            Err(501)
        );
    }

    #[test]
    fn login_fields() {
        assert_eq!(login_user("bWFpbGVy"), Ok("mailer".into()));
        assert!(login_password("czNjcmV0").is_ok());
        assert!(login_password("%%%").is_err());
    }
}
