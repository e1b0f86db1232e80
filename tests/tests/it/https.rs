//! HTTPS end to end: the api terminating TLS itself with a certificate of the test's own
//! authority (renewed and broken files while it runs, a graceful stop), Caddy with the
//! project's Caddyfile in front of the api, and production refusing plain HTTP settings.

use std::net::IpAddr;
use std::time::Duration;

use aistudio_jobs::store::ConnectionStatus;
use aistudio_tests::{
    Api, ApiClient, Caddy, Process, TestCa, TestEnv, connect_instagram, eventually,
};
use serde_json::json;

const PASSWORD: &str = "a long enough password";

/// A client that trusts only `ca` and reports the peer's certificate.
fn trusting(ca: &TestCa) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(ca.root())
        .tls_info(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client builds")
}

/// The certificate `url` serves to a new client (DER: a new connection, no TLS session to
/// resume); panics if the request fails.
async fn served_certificate(ca: &TestCa, url: &str) -> Vec<u8> {
    let response = trusting(ca)
        .get(format!("{url}/healthz"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{url} answers over HTTPS: {e:?}"));
    assert_eq!(response.status(), 200);
    response
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|info| info.peer_certificate())
        .expect("the server presents a certificate")
        .to_vec()
}

/// The session cookie `reply` sets is `Secure` and `HttpOnly`.
fn assert_secure_session_cookie(reply: &aistudio_tests::Reply) {
    let cookie = reply
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("aistudio_session="))
        .expect("a session cookie is set")
        .to_string();
    let attributes: Vec<&str> = cookie.split(';').map(str::trim).collect();
    assert!(attributes.contains(&"Secure"), "{cookie}");
    assert!(attributes.contains(&"HttpOnly"), "{cookie}");
}

#[tokio::test]
async fn the_api_serves_https_itself_and_takes_a_renewed_certificate_without_a_restart() {
    let ca = TestCa::new("AIStudio test authority");
    let live = ca.issue("live");
    let first = live.der();
    let renewed = ca.issue("renewed");
    let mut env = TestEnv::new();

    // A key that is not the certificate's stops the api at start-up, naming the files.
    let tls = |env: &mut TestEnv, cert: &std::path::Path, key: &std::path::Path| {
        env.set(
            "AISTUDIO__SERVER__TLS__CERT_FILE",
            cert.display().to_string(),
        )
        .set("AISTUDIO__SERVER__TLS__KEY_FILE", key.display().to_string());
    };
    tls(&mut env, &live.cert, &renewed.key);
    let mut vars = env.process_env();
    vars.insert("AISTUDIO__SERVER__LISTEN".into(), "127.0.0.1:0".into());
    let mut mismatched = Process::spawn("aistudio-api", &vars);
    assert!(
        !mismatched
            .wait_exit(Duration::from_secs(30))
            .await
            .success()
    );
    let output = mismatched.output();
    let expected = format!(
        "{} does not go with {}",
        renewed.key.display(),
        live.cert.display()
    );
    assert!(output.contains(&expected), "{output}");

    tls(&mut env, &live.cert, &live.key);
    let client = trusting(&ca);
    let mut api = Api::start_https(&env, &client).await;
    assert!(api.url.starts_with("https://"), "{}", api.url);

    // Only a client trusting the authority gets through; nothing answers plain HTTP there.
    assert!(reqwest::get(format!("{}/healthz", api.url)).await.is_err());
    let plain = api.url.replacen("https://", "http://", 1);
    assert!(
        reqwest::get(format!("{plain}/healthz"))
            .await
            .map_or(true, |r| !r.status().is_success()),
        "plain HTTP is not served on the TLS port"
    );

    // A customer signs up and uses the session over HTTPS; the cookie is Secure.
    let anon = ApiClient::using(&api.url, client.clone());
    let signed_up = anon
        .post(
            "/api/v1/auth/signup",
            json!({ "name": "Tess", "email": "tess@example.com", "password": PASSWORD }),
        )
        .await;
    assert_eq!(signed_up.status, 201, "{:?}", signed_up.body);
    assert_secure_session_cookie(&signed_up);
    let page = client
        .get(format!("{}/app/signin", api.url))
        .send()
        .await
        .unwrap();
    assert_eq!(
        page.headers()
            .get("strict-transport-security")
            .map(|v| v.to_str().unwrap()),
        Some("max-age=31536000"),
        "browsers are told to use HTTPS only"
    );
    let user = anon.with_cookie(&signed_up.session_cookie().unwrap());
    assert_eq!(
        user.get("/api/v1/me").await.body["email"],
        "tess@example.com"
    );
    assert_eq!(served_certificate(&ca, &api.url).await, first);

    // The renewed certificate replaces the files: new connections get it, and every request
    // meanwhile is answered (no downtime, no restart).
    std::fs::copy(&renewed.cert, &live.cert).unwrap();
    std::fs::copy(&renewed.key, &live.key).unwrap();
    let renewed_der = renewed.der();
    assert_ne!(renewed_der, first);
    eventually(
        Duration::from_secs(20),
        "the renewed certificate served",
        || async { (served_certificate(&ca, &api.url).await == renewed_der).then_some(()) },
    )
    .await;
    assert!(
        api.process.try_exit().is_none(),
        "the same process serves it"
    );
    assert!(api.process.output().contains("TLS certificate reloaded"));
    assert_eq!(user.get("/api/v1/me").await.status, 200, "sessions go on");

    // A broken certificate file is logged and the one in use stays.
    std::fs::write(&live.cert, "not a certificate\n").unwrap();
    eventually(
        Duration::from_secs(20),
        "the broken file logged",
        || async {
            api.process
                .output()
                .contains("new TLS certificate not loaded")
                .then_some(())
        },
    )
    .await;
    assert_eq!(served_certificate(&ca, &api.url).await, renewed_der);
    let log = api.process.output();
    assert!(
        log.contains(&live.cert.display().to_string()),
        "names the file"
    );
    assert!(!log.contains("PRIVATE KEY"), "no key material in the log");

    // SIGTERM with a request in flight: no new connection is accepted, the request is
    // answered, and the process exits 0.
    let (body, rest) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(2);
    let stream = futures::stream::unfold(rest, |mut rest| async move {
        rest.recv().await.map(|chunk| (chunk, rest))
    });
    let slow = tokio::spawn(
        client
            .post(format!("{}/api/v1/auth/login", api.url))
            .header("content-type", "application/json")
            .body(reqwest::Body::wrap_stream(stream))
            .send(),
    );
    body.send(Ok(br#"{"email":"tess@example.com","#.to_vec()))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    api.process.signal("TERM");
    eventually(
        Duration::from_secs(5),
        "new connections refused",
        || async {
            trusting(&ca)
                .get(format!("{}/healthz", api.url))
                .send()
                .await
                .is_err()
                .then_some(())
        },
    )
    .await;
    body.send(Ok(br#""password":"not the password"}"#.to_vec()))
        .await
        .unwrap();
    drop(body);
    let answered = slow
        .await
        .unwrap()
        .expect("the request in flight is answered");
    assert_eq!(answered.status(), 401);
    let exit = api.process.wait_exit(Duration::from_secs(30)).await;
    assert!(exit.success(), "{exit:?}: {}", api.process.output());
}

/// A failed log-in through Caddy from the client at `from`, claiming to be `forged`.
async fn failed_login(caddy: &Caddy, from: IpAddr, forged: &str, email: &str) -> u16 {
    caddy
        .client(from)
        .post(format!("{}/api/v1/auth/login", caddy.https_url))
        .header("x-forwarded-for", forged)
        .json(&json!({ "email": email, "password": "not the password" }))
        .send()
        .await
        .expect("answered through caddy")
        .status()
        .as_u16()
}

#[tokio::test]
async fn caddy_with_the_projects_caddyfile_serves_the_api_over_https_only() {
    let mut env = TestEnv::new();
    env.set("AISTUDIO__SERVER__TRUST_FORWARDED_FOR", "true")
        .set("AISTUDIO__SECURITY__LOGIN_MAX_FAILURES_PER_IP", "2")
        .set("AISTUDIO__INSTAGRAM__CLIENT_SECRET", "meta-app-secret");
    let api = Api::start(&env).await;
    let caddy = Caddy::start(api.url.trim_start_matches("http://")).await;
    let (first, second): (IpAddr, IpAddr) = ([127, 0, 0, 2].into(), [127, 0, 0, 3].into());
    let client = caddy.client(first);

    // Plain HTTP is a permanent redirect to the same path over HTTPS.
    let redirect = client
        .get(format!("{}/app/?tab=posts", caddy.http_url))
        .send()
        .await
        .unwrap();
    assert!(
        [301, 308].contains(&redirect.status().as_u16()),
        "{redirect:?}"
    );
    let location = redirect.headers()["location"].to_str().unwrap();
    assert!(location.starts_with("https://localhost"), "{location}");
    assert!(location.ends_with("/app/?tab=posts"), "{location}");

    // The dashboard, the admin console and the API answer over HTTPS, with HSTS.
    for (path, kind) in [
        ("/app/", "text/html"),
        ("/admin/login", "text/html"),
        ("/openapi.json", "application/json"),
    ] {
        let response = client
            .get(format!("{}{path}", caddy.https_url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let content_type = response.headers()["content-type"].to_str().unwrap();
        assert!(content_type.starts_with(kind), "{path}: {content_type}");
        let hsts = response.headers()["strict-transport-security"]
            .to_str()
            .unwrap();
        assert!(hsts.starts_with("max-age="), "{path}: {hsts}");
        let max_age: u64 = hsts["max-age=".len()..]
            .split(';')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(max_age >= 31_536_000, "{hsts}");
    }

    // Sign-up through the proxy: the session cookie is Secure and works.
    let anon = ApiClient::using(&caddy.https_url, client.clone());
    let signed_up = anon
        .post(
            "/api/v1/auth/signup",
            json!({ "name": "Pat", "email": "pat@example.com", "password": PASSWORD }),
        )
        .await;
    assert_eq!(signed_up.status, 201, "{:?}", signed_up.body);
    assert_secure_session_cookie(&signed_up);
    let user = anon.with_cookie(&signed_up.session_cookie().unwrap());
    assert_eq!(user.get("/api/v1/me").await.status, 200);

    // The api counts log-in failures per real client address (Caddy's X-Forwarded-For):
    // a forged X-Forwarded-For changes nothing, and another client is not blocked.
    assert_eq!(
        failed_login(&caddy, first, "203.0.113.1", "a@example.com").await,
        401
    );
    assert_eq!(
        failed_login(&caddy, first, "203.0.113.2", "b@example.com").await,
        401
    );
    assert_eq!(
        failed_login(&caddy, first, "203.0.113.3", "c@example.com").await,
        429,
        "the third failure from the same client is over its limit"
    );
    assert_eq!(
        failed_login(&caddy, second, "127.0.0.2", "d@example.com").await,
        401
    );
    let mut redis = env.redis().await;
    let counted = |address: &str| format!("{}:login-failures:ip:{address}", env.namespace);
    for (address, expected) in [
        ("127.0.0.2", true),
        ("127.0.0.3", true),
        ("127.0.0.1", false),
        ("203.0.113.1", false),
        ("203.0.113.3", false),
    ] {
        let exists: bool = redis::cmd("EXISTS")
            .arg(counted(address))
            .query_async(&mut redis)
            .await
            .unwrap();
        assert_eq!(exists, expected, "failures counted for {address}");
    }

    // Meta's deauthorize callback (a signed_request) works through the proxy.
    let store = env.store().await;
    let user_id = signed_up.body["id"].as_str().unwrap();
    let connection = connect_instagram(&store, user_id, "pat", ConnectionStatus::Active).await;
    let ig_user_id = store
        .connections()
        .by_id(&connection)
        .await
        .unwrap()
        .unwrap()
        .ig_user_id;
    let now = chrono::Utc::now().timestamp();
    let signed = aistudio_sim::meta::signed_request(
        "meta-app-secret",
        &aistudio_sim::meta::deauthorize_payload(&ig_user_id, now),
    );
    let deauthorized = client
        .post(format!("{}/api/v1/meta/deauthorize", caddy.https_url))
        .form(&[("signed_request", signed)])
        .send()
        .await
        .unwrap();
    assert_eq!(deauthorized.status(), 200);
    let after = store
        .connections()
        .by_id(&connection)
        .await
        .unwrap()
        .unwrap();
    assert!(after.token.is_none(), "the token is deleted");
    assert_eq!(after.status, ConnectionStatus::Disconnected);
}

#[tokio::test]
async fn production_refuses_to_start_with_plain_http_or_insecure_cookies() {
    let mut env = TestEnv::new();
    env.set("AISTUDIO__ENVIRONMENT", "production")
        .set(
            "AISTUDIO__SERVER__PUBLIC_BASE_URL",
            "http://app.example.com",
        )
        .set("AISTUDIO__SECURITY__COOKIE_SECURE", "false");
    let mut vars = env.process_env();
    vars.insert("AISTUDIO__SERVER__LISTEN".into(), "127.0.0.1:0".into());
    let mut api = Process::spawn("aistudio-api", &vars);
    let exit = api.wait_exit(Duration::from_secs(30)).await;
    assert!(!exit.success());
    let output = api.output();
    assert!(
        output.contains("server.public_base_url: must be an https URL in production"),
        "{output}"
    );
    assert!(
        output.contains("security.cookie_secure: must be true in production"),
        "{output}"
    );
}
