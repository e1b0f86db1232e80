//! Connection strings that may carry credentials (`redis://user:password@host:6379`,
//! `mongodb+srv://user:password@cluster/db`): how they must be written, and how they are shown.
//!
//! A password is never shown: logs and errors get the URL with the password replaced by `***`,
//! and any text a driver made from the URL has the password taken out. Credentials must be
//! percent-encoded, so the drivers read the URL exactly as [`redacted`] reads it: a character
//! such as `?` or `/` left raw in a password would make a driver take part of the password for
//! the host or the options, and repeat it in its error message.

/// What replaces a password.
const HIDDEN: &str = "***";

/// Where the credentials are: the part between `://` and the last `@` of the authority (the
/// text up to the first `/`, `?` or `#` after it); `None` without credentials.
fn userinfo(url: &str) -> Option<std::ops::Range<usize>> {
    let start = url.find("://")? + 3;
    let rest = &url[start..];
    let authority = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let at = rest[..authority].rfind('@')?;
    Some(start..start + at)
}

/// Why `url`'s credentials are not written the way both drivers read them, if they are not.
pub fn credentials_problem(url: &str) -> Option<&'static str> {
    let start = url.find("://")? + 3;
    let info = match userinfo(url) {
        Some(range) => &url[range],
        None if url[start..].contains('@') => {
            return Some(
                "has an `@` after the host: percent-encode the user name and password \
                 (`@` is %40, `/` %2F, `?` %3F, `#` %23, `:` %3A, `%` %25)",
            );
        }
        None => return None,
    };
    let raw_reserved = info.chars().any(|c| matches!(c, '@' | '[' | ']'))
        || info.matches(':').count() > 1
        || !percent_escapes_are_complete(info);
    raw_reserved.then_some(
        "has a user name or password that is not percent-encoded \
         (`@` is %40, `:` %3A, `/` %2F, `?` %3F, `#` %23, `%` %25)",
    )
}

fn percent_escapes_are_complete(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.iter().enumerate().all(|(i, b)| {
        *b != b'%'
            || bytes
                .get(i + 1..i + 3)
                .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit))
    })
}

/// `url` as it may be logged or shown: the password replaced by `***`, the user name kept.
/// A URL whose credentials cannot be told apart from the rest (an `@` after the host) has
/// everything up to its last `@` hidden.
pub fn redacted(url: &str) -> String {
    if let Some(range) = userinfo(url) {
        let info = &url[range.clone()];
        return match info.find(':') {
            Some(colon) => format!(
                "{}{}{HIDDEN}{}",
                &url[..range.start],
                &info[..=colon],
                &url[range.end..]
            ),
            None => url.to_string(),
        };
    }
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}{HIDDEN}{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

/// `text` (a driver's error message, say) with `url`'s password taken out, as written in the
/// URL and percent-decoded.
pub fn without_password(text: &str, url: &str) -> String {
    let Some(range) = userinfo(url) else {
        return text.to_string();
    };
    let Some((_, written)) = url[range].split_once(':') else {
        return text.to_string();
    };
    if written.is_empty() {
        return text.to_string();
    }
    text.replace(written, HIDDEN)
        .replace(&percent_decoded(written), HIDDEN)
}

fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok())
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_hidden_and_the_rest_kept() {
        assert_eq!(
            redacted("redis://aistudio:s3cr%40t@redis:6379/0"),
            "redis://aistudio:***@redis:6379/0"
        );
        assert_eq!(
            redacted("rediss://:s3cret@cache.example:6380"),
            "rediss://:***@cache.example:6380"
        );
        assert_eq!(
            redacted("mongodb://app:pw@a:27017,b:27017/aistudio?replicaSet=rs&authSource=admin"),
            "mongodb://app:***@a:27017,b:27017/aistudio?replicaSet=rs&authSource=admin"
        );
        assert_eq!(
            redacted("mongodb+srv://app:pw@cluster0.abcde.mongodb.net/aistudio"),
            "mongodb+srv://app:***@cluster0.abcde.mongodb.net/aistudio"
        );
        assert_eq!(redacted("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
        assert_eq!(redacted("redis://user@host"), "redis://user@host");
    }

    #[test]
    fn credentials_that_cannot_be_told_apart_are_hidden_whole() {
        // A raw `?` or `/` in the password ends the authority before the `@`.
        assert_eq!(
            redacted("mongodb://app:pa?ss@mongo/aistudio"),
            "mongodb://***@mongo/aistudio"
        );
        assert_eq!(
            redacted("redis://app:pa/ss@redis:6379"),
            "redis://***@redis:6379"
        );
    }

    #[test]
    fn credentials_must_be_percent_encoded() {
        for good in [
            "redis://127.0.0.1:6379",
            "redis://aistudio:s3cr%40t%2F%3F%23@redis:6379/0",
            "rediss://:pw@cache:6380",
            "mongodb://app:p%3Aw@a:1,b:2/db?authSource=admin",
            "mongodb+srv://app:pw@cluster0.example.net/db?appName=x%40y",
        ] {
            assert_eq!(credentials_problem(good), None, "{good}");
        }
        for bad in [
            "mongodb://app:pa?ss@mongo/db",
            "redis://app:pa/ss@redis",
            "redis://app:pa#ss@redis",
            "redis://app:p@ss@redis",
            "redis://app:pa:ss@redis",
            "mongodb://app:100%@mongo/db",
            "mongodb://app:[pw]@mongo/db",
        ] {
            assert!(credentials_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn the_password_is_taken_out_of_text_as_written_and_decoded() {
        let url = "mongodb://app:p%40ss%2Fword@mongo:27017/aistudio";
        let text = "failed for p%40ss%2Fword, that is p@ss/word, on mongo:27017";
        assert_eq!(
            without_password(text, url),
            "failed for ***, that is ***, on mongo:27017"
        );
        assert_eq!(
            without_password("no credentials", "redis://redis"),
            "no credentials"
        );
    }
}
