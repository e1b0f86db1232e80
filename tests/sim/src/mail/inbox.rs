//! The stored messages, newest last, at most `smtp.inbox_capacity` of them.

use std::collections::VecDeque;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// One accepted message, as the JSON API shows it (the raw bytes are served apart).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailMessage {
    /// Inbox id (1, 2, ... in arrival order; never reused, not even after a clear).
    pub id: u64,
    /// When the server accepted it, simulated milliseconds since the epoch.
    pub received_ms: i64,
    /// The same instant in RFC 3339 (UTC).
    pub received_at: String,
    /// `MAIL FROM` address (empty for the null sender `<>`).
    pub envelope_from: String,
    /// `RCPT TO` addresses, in order.
    pub envelope_to: Vec<String>,
    /// The user name the client authenticated with, if it did (never the password).
    pub auth_user: Option<String>,
    /// Size of the raw message in bytes.
    pub size: usize,
    /// `Subject`, RFC 2047 words decoded.
    pub subject: Option<String>,
    /// `From` addresses.
    pub from: Vec<MailAddress>,
    /// `To` addresses.
    pub to: Vec<MailAddress>,
    /// `Cc` addresses.
    pub cc: Vec<MailAddress>,
    /// `Message-ID`, without angle brackets.
    pub message_id: Option<String>,
    /// Every top-level header in order, unfolded; text headers RFC 2047-decoded.
    pub headers: Vec<MailHeader>,
    /// The first `text/plain` body, decoded.
    pub text: Option<String>,
    /// The first `text/html` body, decoded.
    pub html: Option<String>,
}

impl MailMessage {
    /// The value of the first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str())
    }

    /// Whether `address` is an envelope recipient or in `To`/`Cc` (case-insensitive).
    pub fn is_for(&self, address: &str) -> bool {
        self.envelope_to
            .iter()
            .chain(self.to.iter().chain(&self.cc).map(|a| &a.address))
            .any(|a| a.eq_ignore_ascii_case(address))
    }
}

/// A mailbox of an address header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailAddress {
    /// Display name, decoded.
    pub name: Option<String>,
    /// The address.
    pub address: String,
}

/// One header field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailHeader {
    /// Field name as sent.
    pub name: String,
    /// Field value.
    pub value: String,
}

/// A message and the bytes it was parsed from.
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    pub message: MailMessage,
    pub raw: Arc<Vec<u8>>,
}

/// Accepted messages.
#[derive(Debug, Default)]
pub(crate) struct Inbox {
    last_id: u64,
    messages: VecDeque<Stored>,
}

impl Inbox {
    /// Stores `message` under the next id, dropping the oldest beyond `capacity`.
    pub(crate) fn add(&mut self, mut message: MailMessage, raw: Vec<u8>, capacity: usize) -> u64 {
        self.last_id += 1;
        message.id = self.last_id;
        self.messages.push_back(Stored {
            message,
            raw: Arc::new(raw),
        });
        while self.messages.len() > capacity.max(1) {
            self.messages.pop_front();
        }
        self.last_id
    }

    /// Messages newest first, only those for `to` when given.
    pub(crate) fn list(&self, to: Option<&str>) -> Vec<MailMessage> {
        self.messages
            .iter()
            .rev()
            .filter(|s| to.is_none_or(|to| s.message.is_for(to)))
            .map(|s| s.message.clone())
            .collect()
    }

    pub(crate) fn get(&self, id: u64) -> Option<&Stored> {
        self.messages.iter().find(|s| s.message.id == id)
    }

    /// Empties the inbox; returns how many messages it held.
    pub(crate) fn clear(&mut self) -> usize {
        let count = self.messages.len();
        self.messages.clear();
        count
    }
}

#[cfg(test)]
mod tests {
    use super::{Inbox, MailAddress, MailMessage};

    fn message(to: &str) -> MailMessage {
        MailMessage {
            id: 0,
            received_ms: 0,
            received_at: String::new(),
            envelope_from: "a@example.com".into(),
            envelope_to: vec![to.into()],
            auth_user: None,
            size: 0,
            subject: None,
            from: Vec::new(),
            to: vec![MailAddress {
                name: None,
                address: "header@example.com".into(),
            }],
            cc: Vec::new(),
            message_id: None,
            headers: Vec::new(),
            text: None,
            html: None,
        }
    }

    #[test]
    fn newest_first_filtered_and_bounded() {
        let mut inbox = Inbox::default();
        for to in ["x@example.com", "y@example.com", "X@Example.com"] {
            inbox.add(message(to), Vec::new(), 2);
        }
        let ids: Vec<u64> = inbox.list(None).iter().map(|m| m.id).collect();
        assert_eq!(
            ids,
            vec![3, 2],
            "newest first, the oldest dropped at capacity"
        );
        let for_x: Vec<u64> = inbox
            .list(Some("x@example.com"))
            .iter()
            .map(|m| m.id)
            .collect();
        assert_eq!(for_x, vec![3]);
        assert_eq!(inbox.list(Some("header@example.com")).len(), 2);
        assert!(inbox.get(1).is_none());
        assert_eq!(inbox.clear(), 2);
        assert_eq!(inbox.add(message("z@example.com"), Vec::new(), 2), 4);
    }
}
