//! SMTP replies (RFC 5321 4.2) with enhanced status codes (RFC 3463).

/// One reply: a code and one or more lines of text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reply {
    pub code: u16,
    lines: Vec<String>,
}

impl Reply {
    pub(crate) fn new(code: u16, text: impl Into<String>) -> Self {
        Self {
            code,
            lines: vec![text.into()],
        }
    }

    /// A multi-line reply (`250-...` lines, then `250 ...`).
    pub(crate) fn lines(code: u16, lines: Vec<String>) -> Self {
        Self { code, lines }
    }

    /// A fault's reply: its message, or a generic text for the code.
    pub(crate) fn failure(code: u16, message: Option<&str>) -> Self {
        let text = message.map_or_else(|| generic_text(code).to_owned(), str::to_owned);
        Self::new(code, text)
    }

    /// `421` tells the client the server closes the connection.
    pub(crate) fn closes(&self) -> bool {
        self.code == 421
    }

    /// The bytes on the wire.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = String::new();
        let last = self.lines.len().saturating_sub(1);
        for (i, line) in self.lines.iter().enumerate() {
            let sep = if i == last { ' ' } else { '-' };
            out.push_str(&format!("{}{sep}{line}\r\n", self.code));
        }
        if self.lines.is_empty() {
            out.push_str(&format!("{}\r\n", self.code));
        }
        out.into_bytes()
    }
}

fn generic_text(code: u16) -> &'static str {
    match code {
        421 => "4.3.0 Service not available, closing transmission channel",
        450 => "4.2.1 Mailbox unavailable, try again later",
        451 => "4.3.0 Local error in processing, try again later",
        452 => "4.3.1 Insufficient system storage",
        550 => "5.1.1 Mailbox unavailable",
        552 => "5.3.4 Message size exceeds fixed maximum message size",
        553 => "5.1.3 Mailbox name not allowed",
        554 => "5.6.0 Transaction failed",
        400..=499 => "4.0.0 Temporary failure",
        _ => "5.0.0 Permanent failure",
    }
}

#[cfg(test)]
mod tests {
    use super::Reply;

    #[test]
    fn encodes_single_and_multi_line() {
        assert_eq!(Reply::new(250, "2.0.0 OK").encode(), b"250 2.0.0 OK\r\n");
        let ehlo = Reply::lines(250, vec!["host".into(), "SIZE 10".into()]);
        assert_eq!(ehlo.encode(), b"250-host\r\n250 SIZE 10\r\n");
        assert_eq!(
            Reply::failure(550, None).encode(),
            b"550 5.1.1 Mailbox unavailable\r\n"
        );
        assert!(Reply::failure(421, Some("4.4.2 bye")).closes());
    }
}
