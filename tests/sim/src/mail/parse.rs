//! From raw message bytes to the inbox's fields, with `mail-parser` (MIME structure,
//! RFC 2047 words, quoted-printable and base64, charsets).

use mail_parser::{Address, HeaderValue, MessageParser, PartType};

use super::inbox::{MailAddress, MailHeader, MailMessage};
use crate::time_fmt::rfc3339;

/// What the SMTP transaction said about a message.
#[derive(Debug, Clone, Default)]
pub(crate) struct Envelope {
    pub from: String,
    pub to: Vec<String>,
    pub auth_user: Option<String>,
}

/// Parses `raw` into an inbox entry (id 0 until stored). A message the parser cannot read
/// keeps its envelope and raw bytes with empty parsed fields.
pub(crate) fn parse(raw: &[u8], envelope: Envelope, received_ms: i64) -> MailMessage {
    let mut message = MailMessage {
        id: 0,
        received_ms,
        received_at: rfc3339(received_ms),
        envelope_from: envelope.from,
        envelope_to: envelope.to,
        auth_user: envelope.auth_user,
        size: raw.len(),
        subject: None,
        from: Vec::new(),
        to: Vec::new(),
        cc: Vec::new(),
        message_id: None,
        headers: Vec::new(),
        text: None,
        html: None,
    };
    let Some(parsed) = MessageParser::default().parse(raw) else {
        return message;
    };
    message.subject = parsed.subject().map(str::to_owned);
    message.from = addresses(parsed.from());
    message.to = addresses(parsed.to());
    message.cc = addresses(parsed.cc());
    message.message_id = parsed.message_id().map(str::to_owned);
    message.headers = parsed
        .headers()
        .iter()
        .map(|header| {
            let start = usize::try_from(header.offset_start).unwrap_or(usize::MAX);
            let end = usize::try_from(header.offset_end).unwrap_or(usize::MAX);
            let value = match header.value() {
                HeaderValue::Text(text) => text.trim().to_owned(),
                _ => unfold(raw.get(start..end).unwrap_or_default()),
            };
            MailHeader {
                name: header.name().to_owned(),
                value,
            }
        })
        .collect();
    message.text = parsed.text_bodies().find_map(|part| match &part.body {
        PartType::Text(text) => Some(text.to_string()),
        _ => None,
    });
    message.html = parsed.html_bodies().find_map(|part| match &part.body {
        PartType::Html(html) => Some(html.to_string()),
        _ => None,
    });
    message
}

fn addresses(address: Option<&Address<'_>>) -> Vec<MailAddress> {
    address
        .map(|list| {
            list.iter()
                .filter_map(|a| {
                    Some(MailAddress {
                        name: a.name().map(str::to_owned),
                        address: a.address()?.to_owned(),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A raw header value on one line: folding line breaks removed, ends trimmed.
fn unfold(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    text.replace("\r\n", "").replace('\n', "").trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::{Envelope, parse};

    fn parse_text(raw: &str) -> crate::mail::MailMessage {
        parse(raw.as_bytes(), Envelope::default(), 0)
    }

    #[test]
    fn decodes_encoded_words_and_quoted_printable() {
        let raw = "From: =?UTF-8?Q?Caf=C3=A9?= <cafe@example.com>\r\n\
                   To: a@example.com, \"B\" <b@example.com>\r\n\
                   Subject: =?UTF-8?B?UsOpaW5pdGlhbGlzZXIgbGUgbW90IGRlIHBhc3Nl?=\r\n\
                   Message-ID: <abc@example.com>\r\n\
                   List-Unsubscribe: <https://example.com/u/1>,\r\n <mailto:u@example.com>\r\n\
                   List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n\
                   Content-Type: text/plain; charset=utf-8\r\n\
                   Content-Transfer-Encoding: quoted-printable\r\n\
                   \r\n\
                   Caf=C3=A9 =3D ok, a soft=\r\n break\r\n";
        let m = parse_text(raw);
        assert_eq!(m.subject.as_deref(), Some("Réinitialiser le mot de passe"));
        assert_eq!(m.from[0].name.as_deref(), Some("Café"));
        assert_eq!(m.from[0].address, "cafe@example.com");
        let to: Vec<&str> = m.to.iter().map(|a| a.address.as_str()).collect();
        assert_eq!(to, vec!["a@example.com", "b@example.com"]);
        assert_eq!(m.message_id.as_deref(), Some("abc@example.com"));
        assert_eq!(
            m.header("list-unsubscribe"),
            Some("<https://example.com/u/1>, <mailto:u@example.com>")
        );
        assert_eq!(
            m.header("List-Unsubscribe-Post"),
            Some("List-Unsubscribe=One-Click")
        );
        assert_eq!(m.text.as_deref(), Some("Café = ok, a soft break\r\n"));
        assert_eq!(m.html, None, "no HTML part, none made up");
        assert_eq!(m.size, raw.len());
    }

    #[test]
    fn multipart_alternative_with_base64_html() {
        let raw = "Subject: hi\r\n\
                   MIME-Version: 1.0\r\n\
                   Content-Type: multipart/alternative; boundary=\"b1\"\r\n\
                   \r\n\
                   --b1\r\n\
                   Content-Type: text/plain; charset=utf-8\r\n\
                   \r\n\
                   plain body\r\n\
                   --b1\r\n\
                   Content-Type: text/html; charset=utf-8\r\n\
                   Content-Transfer-Encoding: base64\r\n\
                   \r\n\
                   PHA+SFRNTCDDqXTDqTwvcD4=\r\n\
                   --b1--\r\n";
        let m = parse_text(raw);
        assert_eq!(m.text.as_deref(), Some("plain body"));
        assert_eq!(m.html.as_deref(), Some("<p>HTML été</p>"));
    }

    #[test]
    fn html_only_message_has_no_text() {
        let raw = "Subject: x\r\nContent-Type: text/html\r\n\r\n<b>bold</b>\r\n";
        let m = parse_text(raw);
        assert_eq!(m.text, None);
        assert_eq!(m.html.as_deref(), Some("<b>bold</b>\r\n"));
    }
}
