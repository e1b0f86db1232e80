//! One SMTP connection: greeting, commands, transactions, until `QUIT`, a close, silence, a
//! fault, "down", or the simulator stopping.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::watch;

use super::auth;
use super::command::{self, Command};
use super::data::{self, Data};
use super::line::{self, Read};
use super::reply::Reply;
use crate::config::SmtpConfig;
use crate::faults::{self, Effect, Endpoint};
use crate::mail::{self, Envelope};
use crate::shared::Shared;

/// Runs a session until it ends or the server goes down or stops.
pub(crate) async fn serve(
    stream: TcpStream,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut up = shared.smtp_up.subscribe();
    let (reader, writer) = stream.into_split();
    let mut session = Session {
        shared: &shared,
        config: &shared.config.smtp,
        idle: Duration::from_millis(shared.config.smtp.idle_timeout_ms),
        reader: BufReader::new(reader),
        writer,
        greeted: false,
        extended: false,
        auth_user: None,
        transaction: None,
    };
    tokio::select! {
        ended = session.run() => {
            if let Err(error) = ended {
                tracing::debug!(%error, "smtp connection failed");
            }
        }
        _ = up.wait_for(|up| !*up) => {}
        _ = shutdown.changed() => {}
    }
}

/// Whether the session goes on after a command.
enum Flow {
    Continue,
    Close,
}

/// What a fault decided for one step.
enum Hit {
    /// Answer this instead; with `true`, after doing the real work.
    Reply(Reply, bool),
    /// Close without answering; with `true`, after doing the real work.
    Close(bool),
}

/// The client's answer in an `AUTH` exchange.
enum Prompted {
    Answer(String),
    Refused(Reply),
    Ended,
}

struct Transaction {
    from: String,
    to: Vec<String>,
}

struct Session<'a> {
    shared: &'a Shared,
    config: &'a SmtpConfig,
    idle: Duration,
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
    greeted: bool,
    /// Greeted with `EHLO` (needed for `AUTH`).
    extended: bool,
    auth_user: Option<String>,
    transaction: Option<Transaction>,
}

impl Session<'_> {
    async fn run(&mut self) -> std::io::Result<()> {
        match self.fault(Endpoint::SmtpConnect).await {
            Some(Hit::Close(_)) => return Ok(()),
            Some(Hit::Reply(reply, _)) => return self.send(&reply).await,
            None => {
                let greeting = format!("{} ESMTP aistudio-sim ready", self.config.hostname);
                self.send(&Reply::new(220, greeting)).await?;
            }
        }
        loop {
            let line = match line::next(&mut self.reader, self.idle).await? {
                Read::Line(line) => line,
                Read::TooLong => {
                    self.send(&Reply::new(500, "5.5.2 Line too long")).await?;
                    continue;
                }
                cut => return self.cut(cut).await,
            };
            let Ok(text) = String::from_utf8(line) else {
                self.send(&Reply::new(500, "5.5.2 Command is not UTF-8"))
                    .await?;
                continue;
            };
            let flow = match command::parse(&text) {
                Ok(command) => self.handle(command).await?,
                Err(reply) => self.answer(reply).await?,
            };
            if let Flow::Close = flow {
                return Ok(());
            }
        }
    }

    async fn handle(&mut self, command: Command) -> std::io::Result<Flow> {
        match command {
            Command::Ehlo(domain) => {
                self.greeted = true;
                self.extended = true;
                self.transaction = None;
                let c = self.config;
                let lines = vec![
                    format!("{} greets {domain}", c.hostname),
                    format!("SIZE {}", c.max_message_bytes),
                    "8BITMIME".to_owned(),
                    "PIPELINING".to_owned(),
                    "SMTPUTF8".to_owned(),
                    "ENHANCEDSTATUSCODES".to_owned(),
                    "AUTH PLAIN LOGIN".to_owned(),
                ];
                self.answer(Reply::lines(250, lines)).await
            }
            Command::Helo(_) => {
                self.greeted = true;
                self.extended = false;
                self.transaction = None;
                let hostname = self.config.hostname.clone();
                self.answer(Reply::new(250, hostname)).await
            }
            Command::Mail { from, size } => self.mail(from, size).await,
            Command::Rcpt(to) => self.rcpt(to).await,
            Command::Data => self.data().await,
            Command::Rset => {
                self.transaction = None;
                self.answer(Reply::new(250, "2.0.0 OK")).await
            }
            Command::Noop => self.answer(Reply::new(250, "2.0.0 OK")).await,
            Command::Vrfy => {
                self.answer(Reply::new(252, "2.5.2 Cannot VRFY, send some mail"))
                    .await
            }
            Command::Help => {
                let text = "2.0.0 EHLO HELO MAIL RCPT DATA RSET NOOP QUIT AUTH VRFY HELP";
                self.answer(Reply::new(214, text)).await
            }
            Command::Quit => {
                self.send(&Reply::new(221, "2.0.0 Bye")).await?;
                Ok(Flow::Close)
            }
            Command::StartTls => {
                self.answer(Reply::new(502, "5.5.1 STARTTLS not offered"))
                    .await
            }
            Command::Auth { mechanism, initial } => self.auth(&mechanism, initial).await,
            Command::Unknown => {
                self.answer(Reply::new(500, "5.5.2 Command not recognized"))
                    .await
            }
        }
    }

    async fn mail(&mut self, from: String, size: Option<u64>) -> std::io::Result<Flow> {
        if !self.greeted {
            return self.answer(out_of_order("Send EHLO or HELO first")).await;
        }
        if self.transaction.is_some() {
            return self.answer(out_of_order("Nested MAIL command")).await;
        }
        if size.is_some_and(|size| size > self.config.max_message_bytes) {
            return self.answer(too_big()).await;
        }
        let start = Transaction {
            from,
            to: Vec::new(),
        };
        match self.fault(Endpoint::SmtpMail).await {
            Some(hit) => self.fail(hit, |s| s.transaction = Some(start)).await,
            None => {
                self.transaction = Some(start);
                self.answer(Reply::new(250, "2.1.0 Sender OK")).await
            }
        }
    }

    async fn rcpt(&mut self, to: String) -> std::io::Result<Flow> {
        let count = match &self.transaction {
            None => return self.answer(out_of_order("Need MAIL command")).await,
            Some(t) => t.to.len(),
        };
        if count >= self.config.max_recipients {
            return self
                .answer(Reply::new(452, "4.5.3 Too many recipients"))
                .await;
        }
        let add = |s: &mut Self| {
            if let Some(t) = s.transaction.as_mut() {
                t.to.push(to);
            }
        };
        match self.fault(Endpoint::SmtpRcpt).await {
            Some(hit) => self.fail(hit, add).await,
            None => {
                add(self);
                self.answer(Reply::new(250, "2.1.5 Recipient OK")).await
            }
        }
    }

    async fn data(&mut self) -> std::io::Result<Flow> {
        match &self.transaction {
            None => return self.answer(out_of_order("Need MAIL command")).await,
            Some(t) if t.to.is_empty() => {
                return self.answer(out_of_order("Need RCPT command")).await;
            }
            Some(_) => {}
        }
        self.send(&Reply::new(354, "Start mail input; end with <CRLF>.<CRLF>"))
            .await?;
        let read = data::read(&mut self.reader, self.config.max_message_bytes, self.idle).await?;
        let Some(transaction) = self.transaction.take() else {
            return Ok(Flow::Close);
        };
        let raw = match read {
            Data::Message(raw) => raw,
            Data::TooBig => return self.answer(too_big()).await,
            Data::LineTooLong => {
                let reply = Reply::new(500, "5.5.2 Line too long (1000 octets at most)");
                return self.answer(reply).await;
            }
            Data::Cut(cut) => {
                self.cut(cut).await?;
                return Ok(Flow::Close);
            }
        };
        let store = |s: &mut Self| s.store(transaction, raw);
        match self.fault(Endpoint::SmtpData).await {
            Some(hit) => {
                self.fail(hit, |s| {
                    store(s);
                })
                .await
            }
            None => {
                let id = store(self);
                self.answer(Reply::new(250, format!("2.0.0 OK: queued as {id}")))
                    .await
            }
        }
    }

    async fn auth(&mut self, mechanism: &str, initial: Option<String>) -> std::io::Result<Flow> {
        if !self.extended {
            return self.answer(out_of_order("Send EHLO first")).await;
        }
        if self.auth_user.is_some() {
            return self.answer(out_of_order("Already authenticated")).await;
        }
        if self.transaction.is_some() {
            return self
                .answer(out_of_order("AUTH not permitted during a mail transaction"))
                .await;
        }
        // `=` is an empty initial response (RFC 4954 4).
        let initial = initial.filter(|i| i != "=");
        let user = match mechanism {
            "PLAIN" => match self.answer_or_prompt(initial, "").await? {
                Prompted::Answer(answer) => auth::plain_user(&answer),
                Prompted::Refused(reply) => Err(reply),
                Prompted::Ended => return Ok(Flow::Close),
            },
            "LOGIN" => match self.login(initial).await? {
                Some(user) => user,
                None => return Ok(Flow::Close),
            },
            _ => Err(Reply::new(504, "5.5.4 Unrecognized authentication type")),
        };
        match user {
            Ok(user) => {
                self.auth_user = Some(user);
                self.answer(Reply::new(235, "2.7.0 Authentication successful"))
                    .await
            }
            Err(reply) => self.answer(reply).await,
        }
    }

    /// The `AUTH LOGIN` exchange: the user name, or the refusal; `None` when the connection
    /// ended.
    async fn login(
        &mut self,
        initial: Option<String>,
    ) -> std::io::Result<Option<Result<String, Reply>>> {
        let user = match self
            .answer_or_prompt(initial, auth::LOGIN_USER_PROMPT)
            .await?
        {
            Prompted::Answer(answer) => match auth::login_user(&answer) {
                Ok(user) => user,
                Err(reply) => return Ok(Some(Err(reply))),
            },
            Prompted::Refused(reply) => return Ok(Some(Err(reply))),
            Prompted::Ended => return Ok(None),
        };
        Ok(match self.prompt(auth::LOGIN_PASSWORD_PROMPT).await? {
            Prompted::Answer(password) => Some(auth::login_password(&password).map(|()| user)),
            Prompted::Refused(reply) => Some(Err(reply)),
            Prompted::Ended => None,
        })
    }

    /// The initial response when given, else the client's answer to a `334` prompt.
    async fn answer_or_prompt(
        &mut self,
        initial: Option<String>,
        prompt: &str,
    ) -> std::io::Result<Prompted> {
        match initial {
            Some(initial) => Ok(Prompted::Answer(initial)),
            None => self.prompt(prompt).await,
        }
    }

    async fn prompt(&mut self, prompt: &str) -> std::io::Result<Prompted> {
        self.send(&Reply::new(334, prompt)).await?;
        Ok(match line::next(&mut self.reader, self.idle).await? {
            Read::Line(line) => {
                let answer = String::from_utf8_lossy(&line).into_owned();
                if auth::cancelled(&answer) {
                    Prompted::Refused(Reply::new(501, "5.0.0 Authentication cancelled"))
                } else {
                    Prompted::Answer(answer)
                }
            }
            Read::TooLong => Prompted::Refused(Reply::new(
                500,
                "5.5.6 Authentication exchange line is too long",
            )),
            cut => {
                self.cut(cut).await?;
                Prompted::Ended
            }
        })
    }

    fn store(&mut self, transaction: Transaction, raw: Vec<u8>) -> u64 {
        let envelope = Envelope {
            from: transaction.from,
            to: transaction.to,
            auth_user: self.auth_user.clone(),
        };
        let message = mail::parse(&raw, envelope, self.shared.now_ms());
        let id = self
            .shared
            .lock()
            .mail
            .add(message, raw, self.config.inbox_capacity);
        tracing::info!(id, "smtp message accepted");
        id
    }

    /// Counts the step and applies its faults (latency waits here).
    async fn fault(&mut self, endpoint: Endpoint) -> Option<Hit> {
        let decision = faults::decide(self.shared, endpoint, None);
        if !decision.latency.is_zero() {
            tokio::time::sleep(decision.latency).await;
        }
        let (effect, after_success) = decision.terminal?;
        Some(match effect {
            Effect::SmtpReply { code, message } => {
                Hit::Reply(Reply::failure(code, message.as_deref()), after_success)
            }
            Effect::Timeout { ms } => {
                let hold = ms.map_or(self.shared.hang, Duration::from_millis);
                tokio::time::sleep(hold).await;
                Hit::Close(after_success)
            }
            Effect::Drop => Hit::Close(after_success),
            // Refused when the rule is added; a generic temporary failure otherwise.
            _ => Hit::Reply(Reply::failure(451, None), after_success),
        })
    }

    /// Carries out a fault hit; `work` is the real step, done first with `after_success`.
    async fn fail(&mut self, hit: Hit, work: impl FnOnce(&mut Self)) -> std::io::Result<Flow> {
        match hit {
            Hit::Reply(reply, after_success) => {
                if after_success {
                    work(self);
                }
                self.answer(reply).await
            }
            Hit::Close(after_success) => {
                if after_success {
                    work(self);
                }
                Ok(Flow::Close)
            }
        }
    }

    /// Sends a reply; a `421` ends the session.
    async fn answer(&mut self, reply: Reply) -> std::io::Result<Flow> {
        self.send(&reply).await?;
        Ok(if reply.closes() {
            Flow::Close
        } else {
            Flow::Continue
        })
    }

    async fn send(&mut self, reply: &Reply) -> std::io::Result<()> {
        self.writer.write_all(&reply.encode()).await?;
        self.writer.flush().await
    }

    /// The client went away (nothing to say) or went silent (421, then close).
    async fn cut(&mut self, cut: Read) -> std::io::Result<()> {
        if cut == Read::Idle {
            let text = format!(
                "4.4.2 {} Idle timeout, closing connection",
                self.config.hostname
            );
            self.send(&Reply::new(421, text)).await?;
        }
        Ok(())
    }
}

fn out_of_order(text: &str) -> Reply {
    Reply::new(503, format!("5.5.1 {text}"))
}

fn too_big() -> Reply {
    Reply::new(552, "5.3.4 Message size exceeds fixed maximum message size")
}
