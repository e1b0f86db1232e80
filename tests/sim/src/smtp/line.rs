//! Reading one line with a bound on its length and on the silence before it.

use std::time::Duration;

use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// Longest accepted line, CRLF included (RFC 5321's text line limit, 4.5.3.1.6), for
/// commands as well as message lines.
pub(crate) const MAX_LINE: usize = 1000;

/// What came next on the connection.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Read {
    /// A line without its line end (`CRLF`, or a bare `LF`).
    Line(Vec<u8>),
    /// A line over [`MAX_LINE`], consumed and dropped.
    TooLong,
    /// The client closed the connection (a partial last line is dropped).
    Eof,
    /// Nothing arrived within the idle timeout.
    Idle,
}

/// Reads the next line, keeping at most [`MAX_LINE`] bytes of it in memory.
pub(crate) async fn next<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    idle: Duration,
) -> std::io::Result<Read> {
    let mut line = Vec::new();
    let mut too_long = false;
    loop {
        let buf = match tokio::time::timeout(idle, reader.fill_buf()).await {
            Ok(buf) => buf?,
            Err(_) => return Ok(Read::Idle),
        };
        if buf.is_empty() {
            return Ok(Read::Eof);
        }
        let (take, done) = match buf.iter().position(|b| *b == b'\n') {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        if !too_long {
            if line.len() + take > MAX_LINE {
                too_long = true;
                line = Vec::new();
            } else {
                line.extend_from_slice(&buf[..take]);
            }
        }
        reader.consume(take);
        if done {
            break;
        }
    }
    if too_long {
        return Ok(Read::TooLong);
    }
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok(Read::Line(line))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{MAX_LINE, Read, next};

    #[tokio::test]
    async fn splits_bounds_and_ends() {
        let long = "x".repeat(MAX_LINE);
        let input = format!("EHLO a\r\nbare\n{long}\r\nafter\r\npartial");
        let mut reader = input.as_bytes();
        let idle = Duration::from_secs(1);
        let mut got = Vec::new();
        for _ in 0..5 {
            got.push(next(&mut reader, idle).await.expect("read"));
        }
        assert_eq!(
            got,
            vec![
                Read::Line(b"EHLO a".to_vec()),
                Read::Line(b"bare".to_vec()),
                Read::TooLong,
                Read::Line(b"after".to_vec()),
                Read::Eof,
            ]
        );
    }

    #[tokio::test]
    async fn longest_allowed_line_passes() {
        let line = "y".repeat(MAX_LINE - 2);
        let input = format!("{line}\r\n");
        let mut reader = input.as_bytes();
        let read = next(&mut reader, Duration::from_secs(1))
            .await
            .expect("read");
        assert_eq!(read, Read::Line(line.into_bytes()));
    }
}
