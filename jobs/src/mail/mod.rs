//! Outgoing email: the SMTP client ([`mailer`]) and what each email says ([`templates`]).
//!
//! Emails are written to the outbox (`store::Emails`) by whoever causes them and delivered by
//! the `email` job (`tasks::send_email`), which renders them when it sends, so that a link's
//! token is made there and never travels through Redis.

pub mod mailer;
pub mod outbox;
pub mod templates;

pub use mailer::{Mailer, MailerError, OutgoingEmail, SendError};
pub use templates::Rendered;
