//! Every refused console attempt is in the audit log once, with who (when known), what, when,
//! from which address and why, and never a password, token or cookie value; a flood of them
//! writes one entry per reason and address a minute.

use aistudio_jobs::store::Role;
use aistudio_tests::{Api, ApiClient, TestEnv};
use chrono::{Timelike, Utc};
use futures::TryStreamExt;
use mongodb::bson::{Document, doc};

use crate::admin::{Console, PASSWORD, account};

const WRONG: &str = "not the password at all";

/// Every refusal in the audit log, oldest first.
async fn refusals(env: &TestEnv) -> Vec<Document> {
    env.database()
        .await
        .collection::<Document>("audit_log")
        .find(doc! { "outcome": "refused" })
        .sort(doc! { "at": 1 })
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap()
}

/// The only refusal with `reason` and `action`.
fn only<'a>(entries: &'a [Document], reason: &str, action: &str) -> &'a Document {
    let matching: Vec<&Document> = entries
        .iter()
        .filter(|e| e.get_str("reason") == Ok(reason) && e.get_str("action") == Ok(action))
        .collect();
    assert_eq!(matching.len(), 1, "{reason} {action}: {entries:#?}");
    matching[0]
}

fn who_and_where(entry: &Document) -> (&str, &str) {
    (
        entry.get_str("actor_email").unwrap(),
        entry.get_str("address").unwrap(),
    )
}

/// Waits, if needed, until a clock minute has at least 40 s left.
async fn early_in_a_minute() {
    let second = Utc::now().second();
    if second >= 20 {
        tokio::time::sleep(std::time::Duration::from_secs(u64::from(61 - second))).await;
    }
}

#[tokio::test]
async fn every_refused_console_attempt_is_audited_once_without_secrets() {
    let mut env = TestEnv::new();
    env.set("AISTUDIO__SECURITY__LOGIN_MAX_FAILURES_PER_ACCOUNT", "1");
    let api = Api::start(&env).await;
    let store = env.store().await;
    account(&api, &store, "admin@example.com", Role::Admin).await;
    account(&api, &store, "operator@example.com", Role::Operator).await;
    account(&api, &store, "customer@example.com", Role::User).await;
    account(&api, &store, "locked@example.com", Role::Admin).await;
    let leaving = account(&api, &store, "leaving@example.com", Role::Admin).await;
    store.users().mark_deleting(&leaving).await.unwrap();
    let started = Utc::now();

    // Sign-in refusals.
    let mut anonymous = Console::new(&api);
    let login_form = anonymous.get("/admin/login").await.hidden("login_csrf");
    let forged = anonymous
        .post(
            "/admin/login",
            &[
                ("email", "admin@example.com"),
                ("password", PASSWORD),
                ("login_csrf", "forged"),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(
        anonymous
            .sign_in_with("nobody@example.com", WRONG)
            .await
            .status,
        401
    );
    assert_eq!(
        anonymous
            .sign_in_with("locked@example.com", WRONG)
            .await
            .status,
        401
    );
    assert_eq!(anonymous.sign_in("locked@example.com").await.status, 429);
    assert_eq!(anonymous.sign_in("leaving@example.com").await.status, 401);
    assert_eq!(anonymous.sign_in("customer@example.com").await.status, 403);
    assert!(anonymous.cookie.is_none());

    // Refusals of signed-in requests.
    let mut admin = Console::new(&api);
    assert_eq!(admin.sign_in("admin@example.com").await.status, 303);
    let admin_cookie = admin.cookie.clone().unwrap();
    let admin_csrf = admin.csrf().await;
    assert_eq!(
        admin
            .post("/admin/posts/p1/retry", &[("version", "3")])
            .await
            .status,
        403
    );
    let wrong_csrf = "0".repeat(64);
    assert_eq!(
        admin
            .post(
                "/admin/posts/p1/cancel",
                &[("csrf", &wrong_csrf), ("version", "3")]
            )
            .await
            .status,
        403
    );
    let mut operator = Console::new(&api);
    assert_eq!(operator.sign_in("operator@example.com").await.status, 303);
    let operator_cookie = operator.cookie.clone().unwrap();
    let operator_csrf = operator.csrf().await;
    assert_eq!(
        operator
            .post(
                "/admin/posts/p1/retry",
                &[("csrf", &operator_csrf), ("version", "3")]
            )
            .await
            .status,
        403
    );
    let token = ApiClient::new(&api.url)
        .post(
            "/api/v1/auth/token",
            serde_json::json!({ "email": "admin@example.com", "password": PASSWORD }),
        )
        .await
        .body["token"]
        .as_str()
        .unwrap()
        .to_string();
    let mut holder = Console::new(&api);
    holder.cookie = Some(token.clone());
    assert_eq!(holder.get("/admin/queues").await.status, 303);
    store
        .users()
        .set_role("operator@example.com", Role::User)
        .await
        .unwrap();
    assert_eq!(operator.get("/admin/workers").await.status, 403);

    let entries = refusals(&env).await;
    let expected = [
        ("sign_in_form_invalid", "sign_in", ""),
        ("unknown_account", "sign_in", ""),
        ("wrong_password", "sign_in", "locked@example.com"),
        ("locked", "sign_in", "locked@example.com"),
        ("account_inactive", "sign_in", "leaving@example.com"),
        ("no_console_role", "sign_in", "customer@example.com"),
        (
            "csrf_missing",
            "POST /admin/posts/p1/retry",
            "admin@example.com",
        ),
        (
            "csrf_wrong",
            "POST /admin/posts/p1/cancel",
            "admin@example.com",
        ),
        (
            "role_required",
            "POST /admin/posts/p1/retry",
            "operator@example.com",
        ),
        (
            "wrong_session_kind",
            "GET /admin/queues",
            "admin@example.com",
        ),
        (
            "no_console_role",
            "GET /admin/workers",
            "operator@example.com",
        ),
    ];
    assert_eq!(entries.len(), expected.len(), "{entries:#?}");
    let now = Utc::now();
    for (reason, action, who) in expected {
        let entry = only(&entries, reason, action);
        assert_eq!(who_and_where(entry), (who, "127.0.0.1"), "{entry:#?}");
        assert_eq!(entry.get_i32("repeats").unwrap(), 1, "{entry:#?}");
        assert!(!entry.get_str("detail").unwrap().is_empty());
        let at = entry.get_datetime("at").unwrap().to_chrono();
        assert!(started <= at && at <= now, "{entry:#?}");
        let expected_actor = match who {
            "" => String::new(),
            email => store.users().by_email(email).await.unwrap().unwrap().id,
        };
        assert_eq!(entry.get_str("actor_id").unwrap(), expected_actor);
    }

    // No secret anywhere in the log; an unknown email is not kept either.
    let log = format!("{:?}", entries);
    for secret in [
        PASSWORD,
        WRONG,
        &admin_cookie,
        &operator_cookie,
        &token,
        &admin_csrf,
        &operator_csrf,
        &wrong_csrf,
        &login_form,
        "forged",
        "nobody@example.com",
    ] {
        assert!(!log.contains(secret), "the audit log holds {secret}");
    }
    let signed_in = env
        .database()
        .await
        .collection::<Document>("audit_log")
        .find_one(doc! { "action": "sign_in", "outcome": "done" })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(signed_in.get_str("address").unwrap(), "127.0.0.1");

    // The audit page lists them.
    let page = admin.get("/admin/audit").await;
    assert_eq!(page.status, 200);
    for text in [
        "wrong_session_kind",
        "csrf_wrong",
        "role_required",
        "unknown_account",
        "POST /admin/posts/p1/cancel",
        "<th scope=\"col\">From</th>",
        "127.0.0.1",
    ] {
        assert!(page.body.contains(text), "the audit page lacks {text}");
    }
}

#[tokio::test]
async fn a_flood_of_refusals_writes_one_entry_per_reason_and_address_a_minute() {
    let mut env = TestEnv::new();
    env.set("AISTUDIO__SERVER__TRUST_FORWARDED_FOR", "true");
    let api = Api::start(&env).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let forge = |from: &'static str| {
        http.post(format!("{}/admin/login", api.url))
            .header("x-forwarded-for", from)
            .form(&[
                ("email", "someone@example.com"),
                ("password", WRONG),
                ("login_csrf", "x"),
            ])
            .send()
    };
    early_in_a_minute().await;
    for _ in 0..30 {
        assert_eq!(forge("192.0.2.10").await.unwrap().status(), 403);
    }
    assert_eq!(forge("192.0.2.11").await.unwrap().status(), 403);

    let entries = refusals(&env).await;
    let counts: Vec<(&str, &str, i32)> = entries
        .iter()
        .map(|e| {
            (
                e.get_str("reason").unwrap(),
                e.get_str("address").unwrap(),
                e.get_i32("repeats").unwrap(),
            )
        })
        .collect();
    assert_eq!(
        counts,
        [
            ("sign_in_form_invalid", "192.0.2.10", 30),
            ("sign_in_form_invalid", "192.0.2.11", 1),
        ]
    );
    assert!(entries.iter().all(|e| e.contains_key("discard_at")));
}
