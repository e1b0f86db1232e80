//! The SMTP sink: a real client (lettre) and a hand-written one deliver over TCP, the inbox
//! shows the decoded messages, and each SMTP fault behaves as a real server's would.

use std::time::Duration;

use aistudio_sim::{
    Effect, Endpoint, FaultRule, MailMessage, SimConfig, SimError, SimHandle, Simulator, SmtpConfig,
};
use anyhow::{Context, Result, anyhow};
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

use crate::common::{client, config};

const PASSWORD: &str = "s3cret-smtp-password";

/// A simulator with an SMTP sink on a free port, `smtp` adjusted by `adjust`.
async fn smtp_sim(adjust: impl FnOnce(&mut SmtpConfig)) -> Result<SimHandle> {
    let mut smtp = SmtpConfig {
        listen: Some("127.0.0.1:0".parse()?),
        ..SmtpConfig::default()
    };
    adjust(&mut smtp);
    Ok(Simulator::start(SimConfig { smtp, ..config() }).await?)
}

fn transport(sim: &SimHandle) -> Result<AsyncSmtpTransport<Tokio1Executor>> {
    let addr = sim.smtp_addr().context("smtp runs")?;
    Ok(
        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(addr.ip().to_string())
            .port(addr.port())
            .timeout(Some(Duration::from_secs(5)))
            .build(),
    )
}

fn mailbox(text: &str) -> Result<Mailbox> {
    Ok(text.parse()?)
}

fn simple(to: &str, subject: &str) -> Result<Message> {
    Ok(Message::builder()
        .from(mailbox("AIStudio <no-reply@aistudio.test>")?)
        .to(mailbox(to)?)
        .subject(subject)
        .body(format!("Body of {subject}\n"))?)
}

/// `GET {mail}/api/messages[?to=]`.
async fn inbox(sim: &SimHandle, to: Option<&str>) -> Result<Vec<MailMessage>> {
    let mut request = client().get(format!("{}/api/messages", sim.urls().mail));
    if let Some(to) = to {
        request = request.query(&[("to", to)]);
    }
    let response = request.send().await?;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await?;
    Ok(serde_json::from_value(body["messages"].clone())?)
}

async fn admin_post(sim: &SimHandle, path: &str, body: &Value) -> Result<(u16, Value)> {
    let response = client()
        .post(format!("{}/{path}", sim.urls().admin))
        .json(body)
        .send()
        .await?;
    Ok((response.status().as_u16(), response.json().await?))
}

/// A hand-written SMTP client: one line out, one reply (all its lines) back.
struct Raw {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
}

impl Raw {
    /// Connects and returns the greeting.
    async fn connect(sim: &SimHandle) -> Result<(Self, String)> {
        let stream = TcpStream::connect(sim.smtp_addr().context("smtp runs")?).await?;
        let (reader, writer) = stream.into_split();
        let mut raw = Self {
            reader: BufReader::new(reader),
            writer,
        };
        let greeting = raw.reply().await?;
        Ok((raw, greeting))
    }

    /// The next reply, lines joined with `\n`; an error at end of stream.
    async fn reply(&mut self) -> Result<String> {
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            let read =
                tokio::time::timeout(Duration::from_secs(5), self.reader.read_line(&mut line))
                    .await??;
            if read == 0 {
                return Err(anyhow!("connection closed after {lines:?}"));
            }
            let line = line.trim_end().to_owned();
            let last = line.as_bytes().get(3) != Some(&b'-');
            lines.push(line);
            if last {
                return Ok(lines.join("\n"));
            }
        }
    }

    async fn send(&mut self, text: &str) -> Result<()> {
        self.writer.write_all(text.as_bytes()).await?;
        Ok(())
    }

    async fn command(&mut self, line: &str) -> Result<String> {
        self.send(&format!("{line}\r\n")).await?;
        self.reply().await
    }

    /// Opens a transaction from `a@example.com` to `b@example.com` up to the message text,
    /// each step accepted.
    async fn start_data(&mut self) -> Result<()> {
        for (line, code) in [
            ("MAIL FROM:<a@example.com>", "250"),
            ("RCPT TO:<b@example.com>", "250"),
            ("DATA", "354"),
        ] {
            let reply = self.command(line).await?;
            if !reply.starts_with(code) {
                return Err(anyhow!("{line} got {reply}, not {code}"));
            }
        }
        Ok(())
    }

    /// Whether the server closed the connection (within a second).
    async fn closed(&mut self) -> bool {
        let mut line = String::new();
        matches!(
            tokio::time::timeout(Duration::from_secs(1), self.reader.read_line(&mut line)).await,
            Ok(Ok(0) | Err(_))
        )
    }
}

#[tokio::test]
async fn lettre_delivers_alternative_non_ascii_to_several_recipients_with_auth() -> Result<()> {
    let sim = smtp_sim(|_| {}).await?;
    let addr = sim.smtp_addr().context("smtp runs")?;
    let list_unsubscribe = HeaderName::new_from_ascii_str("List-Unsubscribe");
    let one_click = HeaderName::new_from_ascii_str("List-Unsubscribe-Post");
    let message = Message::builder()
        .from(mailbox("AIStudio <no-reply@aistudio.test>")?)
        .to(mailbox("Zoé <zoe@example.com>")?)
        .to(mailbox("bob@example.com")?)
        .cc(mailbox("carol@example.com")?)
        .subject("Réinitialisez votre mot de passe ✓")
        .message_id(Some("<reset-1@aistudio.test>".to_owned()))
        .raw_header(HeaderValue::new(
            list_unsubscribe,
            "<https://aistudio.test/u/abc>".to_owned(),
        ))
        .raw_header(HeaderValue::new(
            one_click,
            "List-Unsubscribe=One-Click".to_owned(),
        ))
        .multipart(MultiPart::alternative_plain_html(
            "Bonjour Zoé,\nvotre lien : https://aistudio.test/r/1\n".to_owned(),
            "<p>Bonjour Zoé, <a href=\"https://aistudio.test/r/1\">réinitialiser</a></p>"
                .to_owned(),
        ))?;
    let plain = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(addr.ip().to_string())
        .port(addr.port())
        .credentials(Credentials::new("mailer".into(), PASSWORD.into()))
        .authentication(vec![Mechanism::Plain])
        .build();
    plain.send(message).await?;

    let messages = inbox(&sim, None).await?;
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    assert_eq!(m.envelope_from, "no-reply@aistudio.test");
    assert_eq!(
        m.envelope_to,
        vec!["zoe@example.com", "bob@example.com", "carol@example.com"]
    );
    assert_eq!(m.auth_user.as_deref(), Some("mailer"));
    assert_eq!(
        m.subject.as_deref(),
        Some("Réinitialisez votre mot de passe ✓")
    );
    assert_eq!(m.from[0].address, "no-reply@aistudio.test");
    assert_eq!(m.from[0].name.as_deref(), Some("AIStudio"));
    assert_eq!(m.to[0].name.as_deref(), Some("Zoé"));
    assert_eq!(m.cc[0].address, "carol@example.com");
    assert_eq!(m.message_id.as_deref(), Some("reset-1@aistudio.test"));
    assert_eq!(
        m.header("list-unsubscribe"),
        Some("<https://aistudio.test/u/abc>")
    );
    assert_eq!(
        m.header("List-Unsubscribe-Post"),
        Some("List-Unsubscribe=One-Click")
    );
    let text = m.text.as_deref().context("text part")?;
    assert!(
        text.contains("Bonjour Zoé,") && text.contains("https://aistudio.test/r/1"),
        "{text}"
    );
    let html = m.html.as_deref().context("html part")?;
    assert!(
        html.contains("<a href=\"https://aistudio.test/r/1\">réinitialiser</a>"),
        "{html}"
    );

    // The same message through the JSON API by id, the library, and the raw bytes.
    let one: MailMessage = client()
        .get(format!("{}/api/messages/{}", sim.urls().mail, m.id))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(&one, m);
    assert_eq!(sim.mail(Some("BOB@example.com")), messages);
    let raw = client()
        .get(format!("{}/api/messages/{}/raw", sim.urls().mail, m.id))
        .send()
        .await?;
    assert_eq!(raw.headers()["content-type"], "message/rfc822");
    assert_eq!(raw.headers()["x-content-type-options"], "nosniff");
    let raw = raw.bytes().await?;
    assert_eq!(raw.len(), m.size);
    assert_eq!(Some(raw.to_vec()), sim.mail_raw(m.id));

    // AUTH LOGIN works too; the password is nowhere to be seen.
    let login = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(addr.ip().to_string())
        .port(addr.port())
        .credentials(Credentials::new("login-user".into(), PASSWORD.into()))
        .authentication(vec![Mechanism::Login])
        .build();
    login.send(simple("dan@example.com", "second")?).await?;
    let newest = inbox(&sim, None).await?;
    assert_eq!(newest.len(), 2);
    assert_eq!(newest[0].subject.as_deref(), Some("second"), "newest first");
    assert_eq!(newest[0].auth_user.as_deref(), Some("login-user"));
    let everything = serde_json::to_string(&newest)?
        + &client().get(&sim.urls().mail).send().await?.text().await?
        + &client()
            .get(format!("{}/{}", sim.urls().mail, newest[0].id))
            .send()
            .await?
            .text()
            .await?;
    assert!(!everything.contains(PASSWORD));
    Ok(())
}

#[tokio::test]
async fn raw_session_dot_stuffing_and_several_messages_per_connection() -> Result<()> {
    let sim = smtp_sim(|_| {}).await?;
    let (mut smtp, greeting) = Raw::connect(&sim).await?;
    assert!(greeting.starts_with("220 sim.localhost"), "{greeting}");
    assert!(
        smtp.command("MAIL FROM:<a@example.com>")
            .await?
            .starts_with("503")
    );
    let ehlo = smtp.command("EHLO client.test").await?;
    assert!(ehlo.contains("250-SIZE 10485760"), "{ehlo}");
    assert!(ehlo.contains("AUTH PLAIN LOGIN"), "{ehlo}");
    assert!(!ehlo.contains("STARTTLS"), "{ehlo}");
    assert!(smtp.command("STARTTLS").await?.starts_with("502"));
    assert!(smtp.command("NOOP").await?.starts_with("250"));
    assert!(
        smtp.command("DATA").await?.starts_with("503"),
        "DATA needs MAIL and RCPT"
    );

    assert!(
        smtp.command("MAIL FROM:<a@example.com>")
            .await?
            .starts_with("250")
    );
    assert!(
        smtp.command("RCPT TO:<b@example.com>")
            .await?
            .starts_with("250")
    );
    assert!(
        smtp.command("RCPT TO:<c@example.com>")
            .await?
            .starts_with("250")
    );
    assert!(smtp.command("DATA").await?.starts_with("354"));
    smtp.send("Subject: dots\r\n\r\n..starts with a dot\r\n..\r\n...\r\nlast line\r\n.\r\n")
        .await?;
    let accepted = smtp.reply().await?;
    assert!(accepted.starts_with("250 2.0.0"), "{accepted}");

    // A second transaction on the same connection, after an abandoned one.
    assert!(smtp.command("MAIL FROM:<>").await?.starts_with("250"));
    assert!(smtp.command("RSET").await?.starts_with("250"));
    assert!(
        smtp.command("RCPT TO:<d@example.com>")
            .await?
            .starts_with("503"),
        "RSET ended it"
    );
    assert!(smtp.command("MAIL FROM:<>").await?.starts_with("250"));
    assert!(
        smtp.command("RCPT TO:<d@example.com>")
            .await?
            .starts_with("250")
    );
    assert!(smtp.command("DATA").await?.starts_with("354"));
    smtp.send("Subject: second\r\n\r\nhello\r\n.\r\n").await?;
    assert!(smtp.reply().await?.starts_with("250"));
    assert!(smtp.command("QUIT").await?.starts_with("221"));
    assert!(smtp.closed().await);

    let messages = sim.mail(None);
    assert_eq!(messages.len(), 2);
    let first = &messages[1];
    assert_eq!(first.envelope_to, vec!["b@example.com", "c@example.com"]);
    assert_eq!(
        sim.mail_raw(first.id).context("raw")?,
        b"Subject: dots\r\n\r\n.starts with a dot\r\n.\r\n..\r\nlast line\r\n"
    );
    assert_eq!(
        first.text.as_deref(),
        Some(".starts with a dot\r\n.\r\n..\r\nlast line\r\n")
    );
    assert_eq!(messages[0].envelope_from, "", "the null sender");
    Ok(())
}

#[tokio::test]
async fn auth_exchanges_with_prompts_cancels_and_refusals() -> Result<()> {
    let sim = smtp_sim(|_| {}).await?;
    let (mut smtp, _) = Raw::connect(&sim).await?;
    smtp.command("HELO client.test").await?;
    assert!(
        smtp.command("AUTH PLAIN").await?.starts_with("503"),
        "AUTH needs EHLO"
    );
    smtp.command("EHLO client.test").await?;
    assert!(smtp.command("AUTH CRAM-MD5").await?.starts_with("504"));
    assert_eq!(smtp.command("AUTH PLAIN").await?, "334");
    assert!(smtp.command("*").await?.starts_with("501"), "cancelled");
    assert_eq!(smtp.command("AUTH PLAIN").await?, "334");
    assert!(smtp.command("not base64!").await?.starts_with("501"));
    // "\0plain-user\0pw" as the answer to the prompt.
    assert_eq!(smtp.command("AUTH PLAIN").await?, "334");
    assert!(
        smtp.command("AHBsYWluLXVzZXIAcHc=")
            .await?
            .starts_with("235")
    );
    assert!(
        smtp.command("AUTH PLAIN AHgAeQ==")
            .await?
            .starts_with("503"),
        "once only"
    );
    smtp.start_data().await?;
    smtp.send("Subject: authed\r\n\r\nx\r\n.\r\n").await?;
    assert!(smtp.reply().await?.starts_with("250"));

    // LOGIN with the user name in the command, then the password prompt.
    let (mut other, _) = Raw::connect(&sim).await?;
    other.command("EHLO client.test").await?;
    assert_eq!(
        other.command("AUTH LOGIN bG9naW4tdXNlcg==").await?,
        "334 UGFzc3dvcmQ6"
    );
    assert!(other.command("cHc=").await?.starts_with("235"));
    other.start_data().await?;
    other.send("Subject: login\r\n\r\nx\r\n.\r\n").await?;
    assert!(other.reply().await?.starts_with("250"));

    let users: Vec<Option<String>> = sim.mail(None).into_iter().map(|m| m.auth_user).collect();
    assert_eq!(
        users,
        vec![Some("login-user".to_owned()), Some("plain-user".to_owned())]
    );
    Ok(())
}

#[tokio::test]
async fn size_and_line_limits() -> Result<()> {
    let sim = smtp_sim(|smtp| smtp.max_message_bytes = 1024).await?;
    let (mut smtp, _) = Raw::connect(&sim).await?;
    smtp.command("EHLO client.test").await?;
    let declared = smtp.command("MAIL FROM:<a@example.com> SIZE=5000").await?;
    assert!(declared.starts_with("552 5.3.4"), "{declared}");
    smtp.start_data().await?;
    let big = "x".repeat(100);
    smtp.send(&format!(
        "Subject: big\r\n\r\n{}.\r\n",
        format!("{big}\r\n").repeat(20)
    ))
    .await?;
    let refused = smtp.reply().await?;
    assert!(refused.starts_with("552 5.3.4"), "{refused}");
    assert!(sim.mail(None).is_empty(), "nothing stored");

    // The connection goes on: an over-long line is refused, a small message is taken.
    let long = format!("NOOP {}", "y".repeat(1200));
    assert!(smtp.command(&long).await?.starts_with("500 5.5.2"));
    smtp.start_data().await?;
    smtp.send(&format!(
        "Subject: long\r\n\r\n{}\r\n.\r\n",
        "z".repeat(1000)
    ))
    .await?;
    assert!(
        smtp.reply().await?.starts_with("500 5.5.2"),
        "a 1000-octet text line"
    );
    smtp.start_data().await?;
    smtp.send("Subject: small\r\n\r\nok\r\n.\r\n").await?;
    assert!(smtp.reply().await?.starts_with("250"));
    let subjects: Vec<Option<String>> = sim.mail(None).into_iter().map(|m| m.subject).collect();
    assert_eq!(subjects, vec![Some("small".to_owned())]);
    Ok(())
}

#[tokio::test]
async fn idle_connection_gets_421_and_is_closed() -> Result<()> {
    let sim = smtp_sim(|smtp| smtp.idle_timeout_ms = 200).await?;
    let (mut smtp, _) = Raw::connect(&sim).await?;
    smtp.command("EHLO client.test").await?;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let reply = smtp.reply().await?;
    assert!(reply.starts_with("421 4.4.2"), "{reply}");
    assert!(smtp.closed().await);
    Ok(())
}

#[tokio::test]
async fn concurrent_connections_each_deliver() -> Result<()> {
    let sim = smtp_sim(|_| {}).await?;
    let transport = transport(&sim)?;
    let mut sends = tokio::task::JoinSet::new();
    for i in 0..8 {
        let transport = transport.clone();
        let message = simple(&format!("user{i}@example.com"), &format!("n{i}"))?;
        sends.spawn(async move { transport.send(message).await });
    }
    while let Some(sent) = sends.join_next().await {
        sent??;
    }
    assert_eq!(sim.mail(None).len(), 8);
    assert_eq!(inbox(&sim, Some("user3@example.com")).await?.len(), 1);
    Ok(())
}

#[tokio::test]
async fn temporary_failures_then_the_retry_delivers() -> Result<()> {
    let sim = smtp_sim(|_| {}).await?;
    let transport = transport(&sim)?;
    let (status, body) = admin_post(
        &sim,
        "faults",
        &json!([
            {"endpoint": "smtp_data", "count": 1,
             "effect": {"kind": "smtp_reply", "code": 451, "message": "4.3.0 Try again later"}},
            {"endpoint": "smtp_connect", "count": 1, "effect": {"kind": "smtp_reply", "code": 421}}
        ]),
    )
    .await?;
    assert_eq!(status, 200, "{body}");
    let first = transport.send(simple("a@example.com", "retried")?).await;
    let error = first.err().context("the greeting fault answers 421")?;
    assert!(error.is_transient(), "{error}");
    let second = transport.send(simple("a@example.com", "retried")?).await;
    let error = second.err().context("the DATA fault answers 451")?;
    assert!(error.is_transient(), "{error}");
    assert!(error.to_string().contains("Try again later"), "{error}");
    assert!(sim.mail(None).is_empty(), "a refused message is not stored");
    transport.send(simple("a@example.com", "retried")?).await?;
    assert_eq!(sim.mail(None).len(), 1, "delivered once, after the faults");
    let report = sim.inspect();
    assert_eq!(report.faults_fired.get("smtp_data"), Some(&1));
    assert_eq!(report.faults_fired.get("smtp_connect"), Some(&1));
    Ok(())
}

#[tokio::test]
async fn permanent_failure_at_rcpt_is_not_stored() -> Result<()> {
    let sim = smtp_sim(|_| {}).await?;
    let (status, _) = admin_post(
        &sim,
        "faults",
        &json!({"endpoint": "smtp_rcpt", "count": 1, "effect": {"kind": "smtp_reply", "code": 550}}),
    )
    .await?;
    assert_eq!(status, 200);
    let error = transport(&sim)?
        .send(simple("gone@example.com", "bounced")?)
        .await
        .err()
        .context("550 at RCPT")?;
    assert!(error.is_permanent(), "{error}");
    assert!(error.to_string().contains("5.1.1"), "{error}");
    assert!(sim.mail(None).is_empty());
    Ok(())
}

#[tokio::test]
async fn down_closes_connections_until_up() -> Result<()> {
    let sim = smtp_sim(|_| {}).await?;
    let transport = transport(&sim)?;
    let (mut open, _) = Raw::connect(&sim).await?;
    open.command("EHLO client.test").await?;

    let (status, body) = admin_post(&sim, "smtp/down", &json!({})).await?;
    assert_eq!((status, body["up"].clone()), (200, json!(false)));
    assert!(open.closed().await, "an open connection is closed");
    let refused = transport.send(simple("a@example.com", "while down")?).await;
    assert!(refused.is_err(), "no delivery while down");
    assert!(sim.mail(None).is_empty());
    let state: Value = client()
        .get(format!("{}/smtp", sim.urls().admin))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(state["up"], false);
    assert_eq!(state["listen"], json!(sim.smtp_addr()));

    let (status, _) = admin_post(&sim, "smtp/up", &json!({})).await?;
    assert_eq!(status, 200);
    transport.send(simple("a@example.com", "after up")?).await?;
    let subjects: Vec<Option<String>> = sim.mail(None).into_iter().map(|m| m.subject).collect();
    assert_eq!(subjects, vec![Some("after up".to_owned())]);

    // The library does the same, and reset brings the server up and empties the inbox.
    sim.set_smtp_up(false);
    assert!(transport.send(simple("a@example.com", "x")?).await.is_err());
    sim.reset()?;
    assert!(sim.mail(None).is_empty());
    transport
        .send(simple("a@example.com", "after reset")?)
        .await?;
    assert_eq!(sim.mail(None).len(), 1);
    Ok(())
}

#[tokio::test]
async fn smtp_controls_refuse_what_cannot_apply() -> Result<()> {
    let sim = smtp_sim(|_| {}).await?;
    for rule in [
        json!({"endpoint": "me", "effect": {"kind": "smtp_reply", "code": 451}}),
        json!({"endpoint": "smtp_data", "effect": {"kind": "smtp_reply", "code": 250}}),
        json!({"endpoint": "smtp_rcpt", "effect": {"kind": "http", "status": 503}}),
        json!([{"endpoint": "smtp_data", "effect": {"kind": "drop"}},
               {"endpoint": "smtp_data", "effect": {"kind": "graph_error", "code": 2}}]),
    ] {
        let (status, body) = admin_post(&sim, "faults", &rule).await?;
        assert_eq!(status, 422, "{rule} -> {body}");
        assert!(body["error"].is_string(), "{body}");
    }
    assert!(sim.faults().is_empty(), "nothing was added");

    let misfit = FaultRule::always(
        Endpoint::SmtpData,
        Effect::Throttle {
            code: None,
            minutes: None,
            http_status: None,
        },
    );
    let refused = Simulator::start(SimConfig {
        faults: vec![misfit],
        ..config()
    })
    .await;
    assert!(
        matches!(refused, Err(SimError::Config(_))),
        "a config fault that cannot apply"
    );

    let without = Simulator::start(config()).await?;
    assert_eq!(without.smtp_addr(), None);
    let (status, _) = admin_post(&without, "smtp/down", &json!({})).await?;
    assert_eq!(status, 404);
    Ok(())
}
