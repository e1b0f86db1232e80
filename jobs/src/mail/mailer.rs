//! The SMTP client (`lettre`, rustls), from `mail.*` settings, and how its failures are told
//! apart: a permanent refusal (5xx) fails an email at once, anything else is retried.

use std::time::Duration;

use aistudio_config::{ExposeSecret, MailSettings, MailTls};
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::Rendered;

/// The mail settings cannot make a client.
#[derive(Debug, thiserror::Error)]
pub enum MailerError {
    /// `mail.from` is not an address.
    #[error("mail.from is not a valid address: {0}")]
    From(String),
    /// The relay could not be set up (e.g. a host TLS cannot use).
    #[error("mail.smtp_host cannot be used: {0}")]
    Relay(String),
}

/// Why an email was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Worth trying again later: a 4xx answer, a connection or TLS failure, a time-out.
    #[error("temporary: {0}")]
    Temporary(String),
    /// Refused for good (a 5xx answer, an address that cannot be written).
    #[error("permanent: {0}")]
    Permanent(String),
}

/// One email ready to send.
#[derive(Debug, Clone)]
pub struct OutgoingEmail {
    /// Recipient address.
    pub to: String,
    /// Subject, text and HTML bodies.
    pub body: Rendered,
    /// `Message-ID` without brackets; the same for every attempt of one email, so a receiver
    /// can recognise a copy sent again after an attempt whose outcome was not known.
    pub message_id: String,
    /// The one-click unsubscribe URL (RFC 8058), sent as `List-Unsubscribe` with
    /// `List-Unsubscribe-Post: List-Unsubscribe=One-Click`.
    pub unsubscribe: Option<String>,
}

/// Sends email over SMTP. Cheap to clone (the connection pool is shared).
#[derive(Clone)]
pub struct Mailer {
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Option<Mailbox>,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("configured", &self.transport.is_some())
            .field("from", &self.from)
            .finish()
    }
}

impl Mailer {
    /// A client for `settings`; without `mail.smtp_host` it refuses every email (production
    /// refuses to start without one).
    pub fn new(settings: &MailSettings) -> Result<Self, MailerError> {
        if settings.smtp_host.is_empty() || settings.from.is_empty() {
            return Ok(Self {
                transport: None,
                from: None,
            });
        }
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|e: lettre::address::AddressError| MailerError::From(e.to_string()))?;
        let host = settings.smtp_host.as_str();
        let relay = |e: lettre::transport::smtp::Error| MailerError::Relay(e.to_string());
        let mut builder = match settings.tls {
            MailTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host).map_err(relay)?,
            MailTls::Starttls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host).map_err(relay)?
            }
            MailTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
        }
        .port(settings.smtp_port)
        .timeout(Some(Duration::from_secs(settings.timeout_secs)));
        if !settings.username.is_empty() {
            builder = builder.credentials(Credentials::new(
                settings.username.clone(),
                settings.password.expose_secret().to_string(),
            ));
        }
        Ok(Self {
            transport: Some(builder.build()),
            from: Some(from),
        })
    }

    /// Sends one email; `Ok` once the server accepted it.
    pub async fn send(&self, email: &OutgoingEmail) -> Result<(), SendError> {
        let (Some(transport), Some(from)) = (&self.transport, &self.from) else {
            return Err(SendError::Permanent(
                "email is not configured (mail.smtp_host)".into(),
            ));
        };
        let to: Mailbox = email
            .to
            .parse()
            .map_err(|e: lettre::address::AddressError| SendError::Permanent(e.to_string()))?;
        let mut builder = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(&email.body.subject)
            .message_id(Some(format!("<{}>", email.message_id)));
        if let Some(url) = &email.unsubscribe {
            builder = builder
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{url}>"),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".into(),
                ));
        }
        let message = builder
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(email.body.text.clone()),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(email.body.html.clone()),
                    ),
            )
            .map_err(|e| SendError::Permanent(e.to_string()))?;
        transport.send(message).await.map(|_| ()).map_err(|e| {
            if e.is_permanent() {
                SendError::Permanent(e.to_string())
            } else {
                SendError::Temporary(e.to_string())
            }
        })
    }
}
