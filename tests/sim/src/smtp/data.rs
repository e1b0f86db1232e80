//! Reading the message after `DATA` (RFC 5321 4.5.2): lines up to a line holding only `.`,
//! leading dots removed, at most the configured size kept.

use std::time::Duration;

use tokio::io::AsyncBufRead;

use super::line::{self, Read};

/// How the message text ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Data {
    /// The message, lines joined with CRLF.
    Message(Vec<u8>),
    /// Over the size limit: read to its end and dropped.
    TooBig,
    /// A line over the line limit: read to its end and dropped.
    LineTooLong,
    /// The connection closed or went silent before the end.
    Cut(Read),
}

/// Reads up to and including the `<CRLF>.<CRLF>` end.
pub(crate) async fn read<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    max_bytes: u64,
    idle: Duration,
) -> std::io::Result<Data> {
    let max = usize::try_from(max_bytes).unwrap_or(usize::MAX);
    let mut message = Vec::new();
    let (mut too_big, mut too_long) = (false, false);
    loop {
        match line::next(reader, idle).await? {
            Read::Line(text) if text == b"." => break,
            Read::Line(text) => {
                let text = text.strip_prefix(b".").unwrap_or(&text);
                if message.len() + text.len() + 2 > max {
                    too_big = true;
                    message = Vec::new();
                }
                if !too_big {
                    message.extend_from_slice(text);
                    message.extend_from_slice(b"\r\n");
                }
            }
            Read::TooLong => too_long = true,
            cut => return Ok(Data::Cut(cut)),
        }
    }
    Ok(if too_long {
        Data::LineTooLong
    } else if too_big {
        Data::TooBig
    } else {
        Data::Message(message)
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{Data, read};
    use crate::smtp::line::Read;

    async fn run(input: &str, max: u64) -> Data {
        let mut reader = input.as_bytes();
        read(&mut reader, max, Duration::from_secs(1))
            .await
            .expect("read")
    }

    #[tokio::test]
    async fn unstuffs_dots_and_stops_at_the_end_line() {
        let data = run("Subject: x\r\n\r\n..hidden\r\n.\r\nNOOP\r\n", 1000).await;
        assert_eq!(
            data,
            Data::Message(b"Subject: x\r\n\r\n.hidden\r\n".to_vec())
        );
    }

    #[tokio::test]
    async fn limits_size_and_reports_cuts() {
        assert_eq!(run("0123456789\r\n.\r\n", 11).await, Data::TooBig);
        assert_eq!(
            run("0123456789\r\n.\r\n", 12).await,
            Data::Message(b"0123456789\r\n".to_vec())
        );
        assert_eq!(run("no end\r\n", 100).await, Data::Cut(Read::Eof));
    }
}
