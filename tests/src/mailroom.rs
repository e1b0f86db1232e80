//! Account email end to end: the api and a worker with the simulator's SMTP sink as the mail
//! server, and what tests of emailed links need (the messages of a recipient, the token of a
//! link, everything stored in Redis as text).

use std::time::Duration;

use aistudio_sim::{MailMessage, SimConfig, SimHandle, Simulator, SmtpConfig};
use serde_json::{Value, json};

use crate::{Api, ApiClient, Reply, TestEnv, Worker, eventually};

/// The simulator with its SMTP sink, an api and a worker sending through it.
pub struct Mailroom {
    /// The simulator (its inbox is `sim.mail(..)`).
    pub sim: SimHandle,
    /// The test's environment.
    pub env: TestEnv,
    /// The api.
    pub api: Api,
    /// The worker that sends email.
    pub worker: Worker,
    /// A client without a session.
    pub anon: ApiClient,
}

impl Mailroom {
    /// Starts everything, with fast email retries and maintenance; `configure` adds settings.
    pub async fn start(configure: impl FnOnce(&mut TestEnv)) -> Self {
        let smtp = SmtpConfig {
            listen: Some("127.0.0.1:0".parse().unwrap()),
            ..SmtpConfig::default()
        };
        let sim = Simulator::start(SimConfig {
            smtp,
            ..SimConfig::default()
        })
        .await
        .expect("simulator");
        let mut env = TestEnv::new();
        env.use_sim(&sim)
            .set("AISTUDIO__MAIL__RETRY_BASE_SECS", "1")
            .set("AISTUDIO__MAIL__RETRY_MAX_SECS", "2")
            .set("AISTUDIO__MAIL__TIMEOUT_SECS", "2")
            .set("AISTUDIO__WORKER__MAINTENANCE_CRON", "*/2 * * * * *");
        configure(&mut env);
        let api = Api::start(&env).await;
        env.set("AISTUDIO__SERVER__PUBLIC_BASE_URL", &api.url);
        let worker = Worker::start(&env).await;
        let anon = ApiClient::new(&api.url);
        Self {
            sim,
            env,
            api,
            worker,
            anon,
        }
    }

    /// Signs up, waits until the sign-up's verification email was delivered and recorded, then
    /// empties the inbox: a test of other email starts with nothing sent and nothing pending.
    pub async fn sign_up_settled(&self, name: &str, email: &str, password: &str) -> ApiClient {
        let client = self.anon.sign_up(name, email, password).await;
        let mail = self.mail(email, 1).await;
        assert_eq!(
            mail[0].subject.as_deref(),
            Some("Confirm your AIStudio email address")
        );
        let store = self.env.store().await;
        eventually(
            Duration::from_secs(30),
            "the verification email to be recorded as sent",
            || async {
                let pending = store
                    .emails()
                    .due(chrono::Utc::now() + chrono::Duration::days(1), 10)
                    .await
                    .unwrap();
                pending.is_empty().then_some(())
            },
        )
        .await;
        self.sim.clear_mail();
        client
    }

    /// The messages the sink received for `to`, newest first, waiting until there are `count`.
    pub async fn mail(&self, to: &str, count: usize) -> Vec<MailMessage> {
        eventually(
            Duration::from_secs(30),
            &format!("{count} emails to {to}"),
            || async {
                let mail = self.sim.mail(Some(to));
                (mail.len() >= count).then_some(mail)
            },
        )
        .await
    }

    /// Sets a new password with a reset link's token.
    pub async fn confirm_reset(&self, token: &str, password: &str) -> Reply {
        self.anon
            .post(
                "/api/v1/auth/password-reset/confirm",
                json!({ "token": token, "password": password }),
            )
            .await
    }

    /// Asks for a password reset link.
    pub async fn request_reset(&self, email: &str) -> (u16, Value) {
        let reply = self
            .anon
            .post("/api/v1/auth/password-reset", json!({ "email": email }))
            .await;
        (reply.status, reply.body)
    }
}

/// The token of the link to `{api}{page}#token=` in an email's text body.
pub fn link_token(text: &str, api: &str, page: &str) -> String {
    let prefix = format!("{api}{page}#token=");
    let start = text.find(&prefix).expect("the link is in the text") + prefix.len();
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// Every value stored under the test's Redis namespace, as text.
pub async fn redis_dump(env: &TestEnv) -> String {
    let mut conn = env.redis().await;
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("*{}*", env.namespace))
        .query_async(&mut conn)
        .await
        .unwrap();
    let mut dump = String::new();
    for key in keys {
        let kind: String = redis::cmd("TYPE")
            .arg(&key)
            .query_async(&mut conn)
            .await
            .unwrap();
        let values: Vec<Vec<u8>> = match kind.as_str() {
            "string" => vec![
                redis::cmd("GET")
                    .arg(&key)
                    .query_async(&mut conn)
                    .await
                    .unwrap(),
            ],
            "hash" => redis::cmd("HGETALL")
                .arg(&key)
                .query_async(&mut conn)
                .await
                .unwrap(),
            "list" => redis::cmd("LRANGE")
                .arg(&key)
                .arg(0)
                .arg(-1)
                .query_async(&mut conn)
                .await
                .unwrap(),
            "set" => redis::cmd("SMEMBERS")
                .arg(&key)
                .query_async(&mut conn)
                .await
                .unwrap(),
            "zset" => redis::cmd("ZRANGE")
                .arg(&key)
                .arg(0)
                .arg(-1)
                .query_async(&mut conn)
                .await
                .unwrap(),
            _ => Vec::new(),
        };
        dump.push_str(&key);
        for value in values {
            dump.push_str(&String::from_utf8_lossy(&value));
        }
    }
    dump
}
