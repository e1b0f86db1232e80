//! Email/password accounts, sessions, brute-force limits, input errors and account deletion,
//! through the real api and worker processes.

use std::time::{Duration, Instant};

use aistudio_tests::{Api, ApiClient, TestEnv, Worker, eventually};
use serde_json::json;

const PASSWORD: &str = "correct horse battery";

#[tokio::test]
async fn sign_up_log_in_log_out_and_sessions() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let anon = ApiClient::new(&api.url);

    let reply = anon
        .post(
            "/api/v1/auth/signup",
            json!({ "name": " Ada Lovelace ", "email": "  Ada@Example.COM ", "password": PASSWORD }),
        )
        .await;
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    assert_eq!(reply.body["email"], "ada@example.com");
    assert_eq!(reply.body["name"], "Ada Lovelace");
    assert_eq!(reply.body["role"], "user");
    assert!(reply.body.get("password_hash").is_none());
    let set_cookie = reply.header("set-cookie").unwrap();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    let cookie = reply.session_cookie().unwrap();
    assert_eq!(cookie.len(), 43, "256-bit token");

    // The cookie and a bearer token both work.
    let by_cookie = anon.with_cookie(&cookie);
    assert_eq!(
        by_cookie.get("/api/v1/me").await.body["email"],
        "ada@example.com"
    );
    let login = anon
        .post(
            "/api/v1/auth/token",
            json!({ "email": "ADA@example.com", "password": PASSWORD }),
        )
        .await;
    assert_eq!(login.status, 200, "{:?}", login.body);
    let bearer = anon.with_token(login.body["token"].as_str().unwrap());
    assert_eq!(bearer.get("/api/v1/me").await.status, 200);

    // Only the hash is stored.
    let store = env.store().await;
    let user_id = reply.body["id"].as_str().unwrap();
    assert!(
        store
            .sessions()
            .find_valid(&cookie)
            .await
            .unwrap()
            .is_some()
    );
    let user = store.users().by_id(user_id).await.unwrap().unwrap();
    assert!(
        user.password_hash
            .as_deref()
            .unwrap()
            .starts_with("$2b$12$"),
        "bcrypt cost 12"
    );

    // Log-out revokes only that session and clears the cookie.
    let out = by_cookie
        .send(reqwest::Method::POST, "/api/v1/auth/logout", None)
        .await;
    assert_eq!(out.status, 204);
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    assert_eq!(by_cookie.get("/api/v1/me").await.status, 401);
    assert_eq!(bearer.get("/api/v1/me").await.status, 200);

    // No session at all, or a made-up one.
    assert_eq!(anon.get("/api/v1/me").await.body["code"], "unauthorized");
    assert_eq!(
        anon.with_token("made-up").get("/api/v1/me").await.status,
        401
    );

    // An expired session is refused.
    let expired = store
        .sessions()
        .create(
            user_id,
            aistudio_jobs::store::SessionKind::Api,
            chrono::Duration::seconds(-1),
        )
        .await
        .unwrap();
    assert_eq!(
        anon.with_token(&expired).get("/api/v1/me").await.status,
        401
    );

    // Rename.
    let renamed = bearer
        .send(
            reqwest::Method::PATCH,
            "/api/v1/me",
            Some(json!({ "name": "Countess" })),
        )
        .await;
    assert_eq!(renamed.body["name"], "Countess");
}

#[tokio::test]
async fn duplicate_email_wrong_password_and_no_enumeration() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let anon = ApiClient::new(&api.url);
    anon.sign_up("Grace", "grace@example.com", PASSWORD).await;

    let dup = anon
        .post(
            "/api/v1/auth/signup",
            json!({ "name": "Other", "email": " GRACE@example.com", "password": PASSWORD }),
        )
        .await;
    assert_eq!(dup.status, 409);
    assert_eq!(dup.body["code"], "conflict");
    assert!(
        dup.body["message"]
            .as_str()
            .unwrap()
            .contains("already exists")
    );

    let wrong = anon
        .post(
            "/api/v1/auth/login",
            json!({ "email": "grace@example.com", "password": "not the password" }),
        )
        .await;
    let unknown = anon
        .post(
            "/api/v1/auth/login",
            json!({ "email": "nobody@example.com", "password": "not the password" }),
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.body, unknown.body, "the same answer for both");
    assert_eq!(wrong.body["code"], "invalid_credentials");

    // Similar timing: the unknown email also pays for a bcrypt comparison.
    let time = |email: &'static str| {
        let anon = anon.clone();
        async move {
            let started = Instant::now();
            anon.post(
                "/api/v1/auth/login",
                json!({ "email": email, "password": "not the password" }),
            )
            .await;
            started.elapsed()
        }
    };
    let known = time("grace@example.com").await;
    let missing = time("nobody2@example.com").await;
    let ratio = known.as_secs_f64() / missing.as_secs_f64();
    assert!(
        (0.33..3.0).contains(&ratio),
        "known {known:?} vs unknown {missing:?}"
    );
}

#[tokio::test]
async fn bad_input_gets_4xx_naming_the_field_and_stores_nothing() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let anon = ApiClient::new(&api.url);
    let store = env.store().await;

    let long = anon
        .post(
            "/api/v1/auth/signup",
            json!({ "name": "Long", "email": "long@example.com", "password": "x".repeat(73) }),
        )
        .await;
    assert_eq!(long.status, 422);
    assert_eq!(long.body["field"], "password");
    assert!(long.body["message"].as_str().unwrap().contains("72 bytes"));
    let short = anon
        .post(
            "/api/v1/auth/signup",
            json!({ "name": "S", "email": "short@example.com", "password": "short" }),
        )
        .await;
    assert_eq!(short.body["field"], "password");
    let email = anon
        .post(
            "/api/v1/auth/signup",
            json!({ "name": "E", "email": "not-an-email", "password": PASSWORD }),
        )
        .await;
    assert_eq!(
        (email.status, email.body["field"].as_str()),
        (422, Some("email"))
    );
    let unknown = anon
        .post(
            "/api/v1/auth/signup",
            json!({ "name": "U", "email": "u@example.com", "password": PASSWORD, "role": "admin" }),
        )
        .await;
    assert_eq!(unknown.status, 422);
    assert_eq!(unknown.body["field"], "role", "{:?}", unknown.body);
    let missing = anon
        .post(
            "/api/v1/auth/signup",
            json!({ "email": "m@example.com", "password": PASSWORD }),
        )
        .await;
    assert_eq!(
        (missing.status, missing.body["field"].as_str()),
        (422, Some("name"))
    );
    let mistyped = anon
        .post(
            "/api/v1/auth/signup",
            json!({ "name": 5, "email": "t@example.com", "password": PASSWORD }),
        )
        .await;
    assert_eq!(
        (mistyped.status, mistyped.body["field"].as_str()),
        (422, Some("name"))
    );
    let broken = anon
        .send_raw(
            reqwest::Method::POST,
            "/api/v1/auth/signup",
            "application/json",
            "{\"name\":",
        )
        .await;
    assert_eq!(
        (broken.status, broken.body["code"].as_str()),
        (400, Some("bad_request"))
    );
    // A whole, valid request followed by anything but whitespace is not JSON either.
    for trailing in ["xyz", "{\"name\":\"Other\"}", " trailing"] {
        let body = format!(
            "{{\"name\":\"Trailing\",\"email\":\"t@example.com\",\"password\":\"{PASSWORD}\"}}{trailing}"
        );
        let reply = anon
            .send_raw(
                reqwest::Method::POST,
                "/api/v1/auth/signup",
                "application/json",
                &body,
            )
            .await;
        assert_eq!(
            (reply.status, reply.body["code"].as_str()),
            (400, Some("bad_request")),
            "{body}"
        );
    }
    let form = anon
        .send_raw(
            reqwest::Method::POST,
            "/api/v1/auth/signup",
            "application/x-www-form-urlencoded",
            "name=a",
        )
        .await;
    assert_eq!(form.status, 415);
    let huge = anon
        .send_raw(
            reqwest::Method::POST,
            "/api/v1/auth/signup",
            "application/json",
            &format!("{{\"name\":\"{}\"}}", "a".repeat(2 * 1024 * 1024)),
        )
        .await;
    assert_eq!(
        (huge.status, huge.body["code"].as_str()),
        (413, Some("payload_too_large"))
    );

    for email in [
        "long@example.com",
        "short@example.com",
        "u@example.com",
        "m@example.com",
        "t@example.com",
    ] {
        assert!(
            store.users().by_email(email).await.unwrap().is_none(),
            "{email} was stored"
        );
    }
}

#[tokio::test]
async fn the_log_in_rate_limit_kicks_in_and_lifts() {
    let mut env = TestEnv::new();
    env.set("AISTUDIO__SECURITY__LOGIN_MAX_FAILURES_PER_ACCOUNT", "3")
        .set("AISTUDIO__SECURITY__LOGIN_MAX_FAILURES_PER_IP", "6")
        .set("AISTUDIO__SECURITY__LOGIN_WINDOW_SECS", "8");
    let api = Api::start(&env).await;
    let anon = ApiClient::new(&api.url);
    anon.sign_up("Linus", "linus@example.com", PASSWORD).await;
    let attempt = |password: &'static str| {
        let anon = anon.clone();
        async move {
            anon.post(
                "/api/v1/auth/login",
                json!({ "email": "linus@example.com", "password": password }),
            )
            .await
        }
    };
    for _ in 0..3 {
        assert_eq!(attempt("wrong password!").await.status, 401);
    }
    let blocked = attempt(PASSWORD).await;
    assert_eq!(blocked.status, 429, "even the right password waits");
    assert_eq!(blocked.body["code"], "too_many_requests");
    let retry_after: u64 = blocked.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=8).contains(&retry_after), "{retry_after}");
    let message = blocked.body["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("Try again in {retry_after} second"))
            && message.contains("/app/forgot-password"),
        "the lockout says when, and how to reset the password: {message}"
    );

    tokio::time::sleep(Duration::from_secs(retry_after + 1)).await;
    assert_eq!(attempt(PASSWORD).await.status, 200, "the limit lifted");

    // Per address: failures spread over many emails are limited too (a longer window, so a
    // slow machine cannot let the count expire mid-test).
    let mut env = TestEnv::new();
    env.set("AISTUDIO__SECURITY__LOGIN_MAX_FAILURES_PER_ACCOUNT", "100")
        .set("AISTUDIO__SECURITY__LOGIN_MAX_FAILURES_PER_IP", "6")
        .set("AISTUDIO__SECURITY__LOGIN_WINDOW_SECS", "300");
    let api = Api::start(&env).await;
    let anon = ApiClient::new(&api.url);
    for i in 0..6 {
        let r = anon
            .post(
                "/api/v1/auth/login",
                json!({ "email": format!("x{i}@example.com"), "password": "nope nope nope" }),
            )
            .await;
        assert_eq!(r.status, 401);
    }
    let r = anon
        .post(
            "/api/v1/auth/login",
            json!({ "email": "fresh@example.com", "password": "nope nope nope" }),
        )
        .await;
    assert_eq!(r.status, 429);
}

#[tokio::test]
async fn changing_the_password_revokes_other_sessions() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let anon = ApiClient::new(&api.url);
    let first = anon.sign_up("Alan", "alan@example.com", PASSWORD).await;
    let second = anon
        .post(
            "/api/v1/auth/token",
            json!({ "email": "alan@example.com", "password": PASSWORD }),
        )
        .await;
    let second = anon.with_token(second.body["token"].as_str().unwrap());

    let wrong = first
        .post(
            "/api/v1/me/password",
            json!({ "current_password": "nope nope nope", "new_password": "a new secret phrase" }),
        )
        .await;
    assert_eq!(
        (wrong.status, wrong.body["field"].as_str()),
        (422, Some("current_password"))
    );
    assert_eq!(
        second.get("/api/v1/me").await.status,
        200,
        "a failed change revokes nothing"
    );

    let changed = first
        .post(
            "/api/v1/me/password",
            json!({ "current_password": PASSWORD, "new_password": "a new secret phrase" }),
        )
        .await;
    assert_eq!(changed.status, 204, "{:?}", changed.body);
    assert_eq!(
        first.get("/api/v1/me").await.status,
        200,
        "the changing session stays"
    );
    assert_eq!(
        second.get("/api/v1/me").await.status,
        401,
        "other sessions are revoked"
    );
    let old = anon
        .post(
            "/api/v1/auth/login",
            json!({ "email": "alan@example.com", "password": PASSWORD }),
        )
        .await;
    assert_eq!(old.status, 401);
    let new = anon
        .post(
            "/api/v1/auth/login",
            json!({ "email": "alan@example.com", "password": "a new secret phrase" }),
        )
        .await;
    assert_eq!(new.status, 200);
}

#[tokio::test]
async fn account_deletion_removes_every_record_of_that_user_only() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let _worker = Worker::start(&env).await;
    let anon = ApiClient::new(&api.url);
    let doomed = anon.sign_up("Doomed", "doomed@example.com", PASSWORD).await;
    let kept = anon.sign_up("Kept", "kept@example.com", PASSWORD).await;
    let doomed_id = doomed.get("/api/v1/me").await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let kept_id = kept.get("/api/v1/me").await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let store = env.store().await;

    let refused = doomed
        .post("/api/v1/me/deletion", json!({ "confirm": false }))
        .await;
    assert_eq!(
        (refused.status, refused.body["field"].as_str()),
        (422, Some("confirm"))
    );

    // Two requests at once: one deletion.
    let (a, b) = tokio::join!(
        doomed.post("/api/v1/me/deletion", json!({ "confirm": true })),
        doomed.post("/api/v1/me/deletion", json!({ "confirm": true })),
    );
    let accepted: Vec<_> = [&a, &b].into_iter().filter(|r| r.status == 202).collect();
    assert!(!accepted.is_empty(), "{a:?} {b:?}");
    for other in [&a, &b] {
        assert!(matches!(other.status, 202 | 401), "{other:?}");
    }
    let code = accepted[0].body["confirmation_code"]
        .as_str()
        .unwrap()
        .to_string();
    for r in &accepted {
        assert_eq!(r.body["confirmation_code"], code.as_str(), "one request");
    }
    assert_eq!(
        doomed.get("/api/v1/me").await.status,
        401,
        "signed out at once"
    );
    let login = anon
        .post(
            "/api/v1/auth/login",
            json!({ "email": "doomed@example.com", "password": PASSWORD }),
        )
        .await;
    assert_eq!(login.status, 401, "cannot sign in while being deleted");

    let receipt = eventually(
        Duration::from_secs(30),
        "the deletion to complete",
        || async {
            let r = anon.get(&format!("/api/v1/deletions/{code}")).await;
            (r.body["status"] == "completed").then_some(r.body)
        },
    )
    .await;
    assert_eq!(receipt["kind"], "account");
    assert_eq!(receipt["deleted"]["users"], 1);
    assert!(receipt["deleted"]["sessions"].as_i64().unwrap() >= 1);
    let text = receipt.to_string();
    assert!(
        !text.contains("doomed") && !text.contains(&doomed_id),
        "no personal data: {text}"
    );

    assert!(store.users().by_id(&doomed_id).await.unwrap().is_none());
    assert!(
        store
            .users()
            .by_email("doomed@example.com")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store.sessions().delete_all(&doomed_id).await.unwrap(),
        0,
        "no sessions left"
    );
    assert!(store.users().by_id(&kept_id).await.unwrap().is_some());
    assert_eq!(
        kept.get("/api/v1/me").await.status,
        200,
        "other users untouched"
    );

    // The email can be used again.
    anon.sign_up("Again", "doomed@example.com", PASSWORD).await;
    assert_eq!(anon.get("/api/v1/deletions/0123").await.status, 404);
}

#[tokio::test]
async fn names_must_be_visible_text_without_direction_overrides() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let anon = ApiClient::new(&api.url);
    let store = env.store().await;

    let refused_names = [
        "\u{200B}\u{200B}",
        "\u{3164}",
        " \u{2060}\u{FEFF} ",
        "Ada\u{202E}ecalevol",
        "\u{2066}Ada\u{2069}",
        "Ada\u{7}",
        "Ada\u{2028}Lovelace",
    ];
    for (i, name) in refused_names.iter().enumerate() {
        let email = format!("n{i}@example.com");
        let reply = anon
            .post(
                "/api/v1/auth/signup",
                json!({ "name": name, "email": email, "password": PASSWORD }),
            )
            .await;
        assert_eq!(
            (reply.status, reply.body["field"].as_str()),
            (422, Some("name")),
            "{name:?}: {:?}",
            reply.body
        );
        assert!(
            store.users().by_email(&email).await.unwrap().is_none(),
            "{name:?} was stored"
        );
    }

    // Emoji sequences and right-to-left scripts are names like any other.
    let user = anon.sign_up("مريم 👩‍👩‍👧", "ada@example.com", PASSWORD).await;
    assert_eq!(user.get("/api/v1/me").await.body["name"], "مريم 👩‍👩‍👧");
    for name in refused_names {
        let reply = user
            .send(
                reqwest::Method::PATCH,
                "/api/v1/me",
                Some(json!({ "name": name })),
            )
            .await;
        assert_eq!(
            (reply.status, reply.body["field"].as_str()),
            (422, Some("name")),
            "{name:?}"
        );
    }
    let stored = store
        .users()
        .by_email("ada@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.name, "مريم 👩‍👩‍👧", "the name is unchanged");
}

#[tokio::test]
async fn a_refused_sign_up_or_password_change_lists_every_invalid_field() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let anon = ApiClient::new(&api.url);
    let store = env.store().await;
    let fields = |reply: &aistudio_tests::Reply| -> Vec<String> {
        assert_eq!(reply.status, 422, "{:?}", reply.body);
        assert_eq!(reply.body["field"], reply.body["errors"][0]["field"]);
        assert_eq!(reply.body["message"], reply.body["errors"][0]["message"]);
        reply.body["errors"]
            .as_array()
            .unwrap_or_else(|| panic!("no `errors` in {:?}", reply.body))
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_string())
            .collect()
    };

    let signup = anon
        .post(
            "/api/v1/auth/signup",
            json!({ "name": "\u{200B}", "email": "not-an-email", "password": "short" }),
        )
        .await;
    assert_eq!(fields(&signup), ["name", "email", "password"]);
    let one = anon
        .post(
            "/api/v1/auth/signup",
            json!({ "name": "Ada", "email": "ada@example.com", "password": "short" }),
        )
        .await;
    assert_eq!(fields(&one), ["password"]);
    assert!(
        store
            .users()
            .by_email("ada@example.com")
            .await
            .unwrap()
            .is_none()
    );
    let blank = anon
        .post(
            "/api/v1/auth/token",
            json!({ "email": " ", "password": "" }),
        )
        .await;
    assert_eq!(fields(&blank), ["email", "password"]);

    let user = anon.sign_up("Ada", "ada@example.com", PASSWORD).await;
    let change = user
        .post(
            "/api/v1/me/password",
            json!({ "current_password": "wrong password", "new_password": "short" }),
        )
        .await;
    assert_eq!(fields(&change), ["current_password", "new_password"]);
    let login = anon
        .post(
            "/api/v1/auth/token",
            json!({ "email": "ada@example.com", "password": PASSWORD }),
        )
        .await;
    assert_eq!(
        login.status, 200,
        "the password is unchanged: {:?}",
        login.body
    );
}
