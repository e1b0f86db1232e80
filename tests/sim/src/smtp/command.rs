//! Parsing one SMTP command line (RFC 5321 4.1), refusing bad syntax with its reply.

use super::reply::Reply;

/// A command the server understands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Command {
    Ehlo(String),
    Helo(String),
    /// `MAIL FROM:<path>` (empty for `<>`) and its declared `SIZE`.
    Mail {
        from: String,
        size: Option<u64>,
    },
    Rcpt(String),
    Data,
    Rset,
    Noop,
    Quit,
    Vrfy,
    Help,
    StartTls,
    /// `AUTH mechanism [initial-response]`.
    Auth {
        mechanism: String,
        initial: Option<String>,
    },
    Unknown,
}

/// Parses a command line (without its CRLF).
pub(crate) fn parse(line: &str) -> Result<Command, Reply> {
    let (verb, rest) = line.split_once(' ').unwrap_or((line, ""));
    let rest = rest.trim();
    Ok(match verb.to_ascii_uppercase().as_str() {
        "EHLO" | "HELO" => {
            let domain = rest.split(' ').next().unwrap_or_default();
            if domain.is_empty() {
                return Err(Reply::new(501, "5.5.4 Domain name required"));
            }
            if verb.eq_ignore_ascii_case("EHLO") {
                Command::Ehlo(domain.to_owned())
            } else {
                Command::Helo(domain.to_owned())
            }
        }
        "MAIL" => {
            let (from, params) = path_after(rest, "FROM:")?;
            Command::Mail {
                from,
                size: mail_size(params)?,
            }
        }
        "RCPT" => {
            let (to, params) = path_after(rest, "TO:")?;
            if !params.trim().is_empty() {
                return Err(Reply::new(555, "5.5.4 RCPT TO parameters not supported"));
            }
            if !to.contains('@') && !to.eq_ignore_ascii_case("postmaster") {
                return Err(Reply::new(501, "5.1.3 Bad recipient address syntax"));
            }
            Command::Rcpt(to)
        }
        "DATA" => no_args(Command::Data, rest)?,
        "RSET" => no_args(Command::Rset, rest)?,
        "QUIT" => no_args(Command::Quit, rest)?,
        "STARTTLS" => Command::StartTls,
        "NOOP" => Command::Noop,
        "VRFY" => Command::Vrfy,
        "HELP" => Command::Help,
        "AUTH" => {
            let mut parts = rest.split(' ').filter(|p| !p.is_empty());
            let mechanism = parts
                .next()
                .ok_or_else(|| Reply::new(501, "5.5.4 AUTH needs a mechanism"))?;
            Command::Auth {
                mechanism: mechanism.to_ascii_uppercase(),
                initial: parts.next().map(str::to_owned),
            }
        }
        _ => Command::Unknown,
    })
}

fn no_args(command: Command, rest: &str) -> Result<Command, Reply> {
    if rest.is_empty() {
        Ok(command)
    } else {
        Err(Reply::new(501, "5.5.4 No parameters allowed"))
    }
}

/// `FROM:<path> params` or `TO:<path> params`: the address and the parameters after it.
fn path_after<'a>(rest: &'a str, keyword: &str) -> Result<(String, &'a str), Reply> {
    let syntax = || Reply::new(501, format!("5.5.2 Syntax: {keyword}<address>"));
    let head = rest.get(..keyword.len()).ok_or_else(syntax)?;
    if !head.eq_ignore_ascii_case(keyword) {
        return Err(syntax());
    }
    let path = rest[keyword.len()..].trim_start();
    let inner_and_rest = path.strip_prefix('<').ok_or_else(syntax)?;
    let close = inner_and_rest.find('>').ok_or_else(syntax)?;
    let inner = &inner_and_rest[..close];
    // A source route (`@a,@b:user@c`) is accepted and ignored (RFC 5321 4.1.2, C).
    let address = match inner.strip_prefix('@') {
        Some(route) => route.split_once(':').map_or("", |(_, a)| a),
        None => inner,
    };
    if address.contains(['<', '>', ' ']) {
        return Err(syntax());
    }
    Ok((address.to_owned(), &inner_and_rest[close + 1..]))
}

/// `MAIL FROM` parameters: `SIZE=n` is read; `BODY`, `SMTPUTF8` and `AUTH` are accepted.
fn mail_size(params: &str) -> Result<Option<u64>, Reply> {
    let mut size = None;
    for param in params.split(' ').filter(|p| !p.is_empty()) {
        let (key, value) = param.split_once('=').unwrap_or((param, ""));
        match key.to_ascii_uppercase().as_str() {
            "SIZE" => {
                size = Some(
                    value
                        .parse()
                        .map_err(|_| Reply::new(501, "5.5.4 SIZE must be a number"))?,
                );
            }
            "BODY" | "SMTPUTF8" | "AUTH" => {}
            _ => {
                return Err(Reply::new(
                    555,
                    format!("5.5.4 MAIL FROM parameter {key} not supported"),
                ));
            }
        }
    }
    Ok(size)
}

#[cfg(test)]
mod tests {
    use super::{Command, parse};

    #[test]
    fn parses_envelope_commands() {
        assert_eq!(
            parse("MAIL FROM:<a@example.com> SIZE=1200 BODY=8BITMIME"),
            Ok(Command::Mail {
                from: "a@example.com".into(),
                size: Some(1200)
            })
        );
        assert_eq!(
            parse("mail from: <>"),
            Ok(Command::Mail {
                from: String::new(),
                size: None
            })
        );
        assert_eq!(
            parse("RCPT TO:<@relay.example:b@example.com>"),
            Ok(Command::Rcpt("b@example.com".into()))
        );
        assert_eq!(
            parse("ehlo client.example"),
            Ok(Command::Ehlo("client.example".into()))
        );
        assert_eq!(
            parse("AUTH plain AGEAYg=="),
            Ok(Command::Auth {
                mechanism: "PLAIN".into(),
                initial: Some("AGEAYg==".into())
            })
        );
        assert_eq!(parse("XYZZY"), Ok(Command::Unknown));
    }

    #[test]
    fn refuses_bad_syntax() {
        let code = |line: &str| parse(line).err().map(|r| r.code);
        assert_eq!(code("MAIL FROM:a@example.com"), Some(501));
        assert_eq!(code("MAIL TO:<a@example.com>"), Some(501));
        assert_eq!(code("MAIL FROM:<a@example.com> SIZE=big"), Some(501));
        assert_eq!(code("MAIL FROM:<a@example.com> FOO=1"), Some(555));
        assert_eq!(code("RCPT TO:<>"), Some(501));
        assert_eq!(code("RCPT TO:<not-an-address>"), Some(501));
        assert_eq!(code("EHLO"), Some(501));
        assert_eq!(code("DATA now"), Some(501));
    }
}
