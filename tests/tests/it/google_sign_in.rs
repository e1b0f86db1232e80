//! "Sign in with Google" end to end against the simulator: PKCE, state, nonce, id token
//! verification, and the account linking rules.

use aistudio_sim::{Effect, Endpoint, FaultRule, SimConfig, SimHandle, Simulator};
use aistudio_tests::{Api, ApiClient, TestEnv, with_param};
use serde_json::json;

struct Flow {
    sim: SimHandle,
    api: Api,
    env: TestEnv,
    http: reqwest::Client,
}

struct Landing {
    location: String,
    cookie: Option<String>,
}

fn query(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

impl Flow {
    async fn start() -> Self {
        let sim = Simulator::start(SimConfig::default())
            .await
            .expect("simulator starts");
        let mut env = TestEnv::new();
        env.use_sim(&sim);
        let api = Api::start(&env).await;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            sim,
            api,
            env,
            http,
        }
    }

    async fn location(&self, url: &str) -> (u16, String, Option<String>) {
        let r = self.http.get(url).send().await.expect("answered");
        let location = r
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let cookie = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| v.strip_prefix("aistudio_session="))
            .map(|v| v.split(';').next().unwrap().to_string());
        (r.status().as_u16(), location, cookie)
    }

    /// Our start endpoint: returns Google's (the simulator's) authorize URL.
    async fn begin(&self) -> String {
        let (status, location, _) = self
            .location(&format!("{}/api/v1/auth/google", self.api.url))
            .await;
        assert_eq!(status, 303);
        assert!(location.starts_with(&self.sim.urls().google), "{location}");
        for param in ["state", "nonce", "code_challenge"] {
            assert!(
                query(&location, param).is_some(),
                "{param} missing: {location}"
            );
        }
        assert_eq!(
            query(&location, "code_challenge_method").as_deref(),
            Some("S256")
        );
        assert_eq!(
            query(&location, "scope").as_deref(),
            Some("openid email profile")
        );
        location
    }

    /// Consent at the simulator; returns the redirect to our callback.
    async fn consent(&self, authorize_url: &str, extra: &str) -> String {
        let (status, location, _) = self.location(&format!("{authorize_url}{extra}")).await;
        assert!(matches!(status, 302 | 303), "consent answered {status}");
        assert!(
            location.contains("/api/v1/auth/google/callback"),
            "{location}"
        );
        location
    }

    async fn land(&self, callback: &str) -> Landing {
        let (status, location, cookie) = self.location(callback).await;
        assert_eq!(status, 303);
        Landing { location, cookie }
    }

    async fn sign_in_as(&self, user: &str) -> Landing {
        let authorize = self.begin().await;
        let callback = self.consent(&authorize, &format!("&sim_user={user}")).await;
        self.land(&callback).await
    }
}

fn outcome(landing: &Landing) -> String {
    let query = landing
        .location
        .split('?')
        .nth(1)
        .unwrap_or_default()
        .to_string();
    assert!(landing.location.contains("/app/?"), "{}", landing.location);
    query
}

#[tokio::test]
async fn a_new_user_signs_in_and_is_keyed_on_sub() {
    let flow = Flow::start().await;
    let landing = flow.sign_in_as("alice@example.com").await;
    assert_eq!(outcome(&landing), "signin=ok");
    let me = ApiClient::new(&flow.api.url)
        .with_cookie(landing.cookie.as_deref().expect("session cookie"))
        .get("/api/v1/me")
        .await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["email"], "alice@example.com");
    assert_eq!(me.body["google_linked"], true);
    assert_eq!(me.body["has_password"], false);
    assert!(
        me.body["email_verified_at"].is_string(),
        "Google verified the address"
    );
    let store = flow.env.store().await;
    let user = store
        .users()
        .by_email("alice@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.google_sub.as_deref(), Some("100000000000000000001"));

    // Signing in again finds the same account.
    let again = flow.sign_in_as("alice@example.com").await;
    let me2 = ApiClient::new(&flow.api.url)
        .with_cookie(again.cookie.as_deref().unwrap())
        .get("/api/v1/me")
        .await;
    assert_eq!(me2.body["id"], me.body["id"]);
}

#[tokio::test]
async fn forged_or_replayed_state_and_denied_consent_are_refused() {
    let flow = Flow::start().await;
    let authorize = flow.begin().await;
    let callback = flow
        .consent(&authorize, "&sim_user=alice@example.com")
        .await;
    let forged = with_param(&callback, "state", "forged-state-value");
    let landing = flow.land(&forged).await;
    assert_eq!(outcome(&landing), "signin_error=invalid_state");
    assert!(landing.cookie.is_none());

    assert_eq!(outcome(&flow.land(&callback).await), "signin=ok");
    let replay = flow.land(&callback).await;
    assert_eq!(
        outcome(&replay),
        "signin_error=invalid_state",
        "a state works once"
    );
    assert!(replay.cookie.is_none());

    let denied = flow.consent(&flow.begin().await, "&sim_consent=deny").await;
    assert_eq!(
        outcome(&flow.land(&denied).await),
        "signin_error=access_denied"
    );
}

#[tokio::test]
async fn a_replayed_code_is_refused() {
    let flow = Flow::start().await;
    let first = flow
        .consent(&flow.begin().await, "&sim_user=alice@example.com")
        .await;
    assert_eq!(outcome(&flow.land(&first).await), "signin=ok");
    // A fresh, valid state carrying the already-used code.
    let second = flow
        .consent(&flow.begin().await, "&sim_user=alice@example.com")
        .await;
    let used_code = query(&first, "code").unwrap();
    assert_ne!(query(&second, "code").unwrap(), used_code);
    let replay = with_param(&second, "code", &used_code);
    let landing = flow.land(&replay).await;
    assert_eq!(outcome(&landing), "signin_error=exchange_failed");
    assert!(landing.cookie.is_none());
}

#[tokio::test]
async fn a_wrong_nonce_is_refused() {
    let flow = Flow::start().await;
    let authorize = flow.begin().await;
    let nonce = query(&authorize, "nonce").unwrap();
    assert!(!nonce.is_empty());
    let tampered = with_param(&authorize, "nonce", "someone-elses-nonce");
    let callback = flow.consent(&tampered, "&sim_user=alice@example.com").await;
    let landing = flow.land(&callback).await;
    assert_eq!(outcome(&landing), "signin_error=invalid_id_token");
    assert!(landing.cookie.is_none());
    let store = flow.env.store().await;
    assert!(
        store
            .users()
            .by_email("alice@example.com")
            .await
            .unwrap()
            .is_none()
    );
}

/// Makes the simulator's next token exchange answer with `id_token`.
fn answer_next_token_exchange_with(sim: &SimHandle, id_token: &str) {
    sim.add_fault(FaultRule::next(
        Endpoint::GoogleToken,
        1,
        Effect::Http {
            status: 200,
            body: Some(
                json!({ "access_token": "x", "token_type": "Bearer", "expires_in": 3600, "id_token": id_token })
                    .to_string(),
            ),
            content_type: Some("application/json".into()),
            retry_after: None,
        },
    ));
}

#[tokio::test]
async fn an_id_token_signed_by_another_key_is_refused() {
    let flow = Flow::start().await;
    let authorize = flow.begin().await;
    let nonce = query(&authorize, "nonce").unwrap();
    let claims = flow
        .sim
        .google_id_token_claims("alice@example.com", Some(&nonce))
        .unwrap();
    let forged = aistudio_sim::sign_with_rogue_key(&claims).unwrap();
    answer_next_token_exchange_with(&flow.sim, &forged);
    let callback = flow
        .consent(&authorize, "&sim_user=alice@example.com")
        .await;
    let landing = flow.land(&callback).await;
    assert_eq!(outcome(&landing), "signin_error=invalid_id_token");
    assert!(landing.cookie.is_none());

    // The same claims signed with the real key are accepted: the key made the difference.
    let authorize = flow.begin().await;
    let nonce = query(&authorize, "nonce").unwrap();
    let claims = flow
        .sim
        .google_id_token_claims("alice@example.com", Some(&nonce))
        .unwrap();
    let genuine = aistudio_sim::sign_google_claims(&claims).unwrap();
    answer_next_token_exchange_with(&flow.sim, &genuine);
    let callback = flow
        .consent(&authorize, "&sim_user=alice@example.com")
        .await;
    assert_eq!(outcome(&flow.land(&callback).await), "signin=ok");
}

#[tokio::test]
async fn a_verified_email_links_and_an_unverified_one_never_does() {
    let flow = Flow::start().await;
    let anon = ApiClient::new(&flow.api.url);
    let alice = anon
        .sign_up("Alice", "alice@example.com", "alice's long password")
        .await;
    let bob = anon
        .sign_up("Bob", "bob@example.com", "bob's long password")
        .await;
    let alice_id = alice.get("/api/v1/me").await.body["id"].clone();
    // Both accounts confirmed their address (an unconfirmed one is never linked either: see
    // email_verification.rs); here only Google's claim differs.
    let store = flow.env.store().await;
    for email in ["alice@example.com", "bob@example.com"] {
        let user = store.users().by_email(email).await.unwrap().unwrap();
        assert!(
            store
                .users()
                .mark_email_verified(&user.id, email)
                .await
                .unwrap()
        );
    }

    let linked = flow.sign_in_as("alice@example.com").await;
    assert_eq!(outcome(&linked), "signin=ok");
    let me = anon
        .with_cookie(linked.cookie.as_deref().unwrap())
        .get("/api/v1/me")
        .await;
    assert_eq!(me.body["id"], alice_id, "linked to the existing account");
    assert_eq!(me.body["google_linked"], true);
    assert_eq!(me.body["has_password"], true);
    let password = anon
        .post(
            "/api/v1/auth/login",
            json!({ "email": "alice@example.com", "password": "alice's long password" }),
        )
        .await;
    assert_eq!(password.status, 200, "the password still works");

    let refused = flow.sign_in_as("bob@example.com").await;
    assert_eq!(outcome(&refused), "signin_error=email_not_verified");
    assert!(refused.cookie.is_none());
    assert_eq!(bob.get("/api/v1/me").await.body["google_linked"], false);
    let stored = store
        .users()
        .by_email("bob@example.com")
        .await
        .unwrap()
        .unwrap();
    assert!(stored.google_sub.is_none(), "never linked");
}
