//! Cross-cutting API behaviour: error shape, request ids, metrics, OpenAPI.

use aistudio_tests::{Api, TestEnv, get_json};

#[tokio::test]
async fn errors_request_ids_metrics_and_openapi() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let client = reqwest::Client::new();

    // Unknown route and wrong method: the standard JSON error shape.
    let (status, body) = get_json(&format!("{}/no/such/route", api.url)).await;
    assert_eq!(status, 404);
    assert_eq!(body["code"], "not_found");
    assert!(body["message"].is_string());
    let response = client
        .delete(format!("{}/healthz", api.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], "method_not_allowed");

    // Request ids: generated when absent, echoed when given.
    let response = client
        .get(format!("{}/healthz", api.url))
        .send()
        .await
        .unwrap();
    let generated = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(generated.len(), 32);
    let response = client
        .get(format!("{}/healthz", api.url))
        .header("x-request-id", "caller-chosen-id")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "caller-chosen-id");

    // Logs are JSON lines and carry the request id.
    let log_line = aistudio_tests::eventually(
        std::time::Duration::from_secs(5),
        "a log line with the caller's request id",
        || async {
            api.process
                .output()
                .lines()
                .find(|l| l.contains("caller-chosen-id"))
                .map(str::to_string)
        },
    )
    .await;
    let parsed: serde_json::Value = serde_json::from_str(&log_line).expect("log lines are JSON");
    assert_eq!(parsed["span"]["request_id"], "caller-chosen-id", "{parsed}");

    // Metrics on their own port, in Prometheus text format, labelled by route template.
    let metrics = reqwest::get(format!("{}/metrics", api.metrics_url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(
            r#"aistudio_http_requests_total{route="/healthz",method="GET",status="200"}"#
        ),
        "{metrics}"
    );
    let (status, _) = get_json(&format!("{}/metrics", api.url)).await;
    assert_eq!(status, 404, "metrics are not served on the public port");

    // The OpenAPI document lists the routes, and the docs page is served.
    let (status, doc) = get_json(&format!("{}/openapi.json", api.url)).await;
    assert_eq!(status, 200);
    for path in ["/healthz", "/readyz"] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} missing from OpenAPI"
        );
    }
    let docs = reqwest::get(format!("{}/docs/", api.url)).await.unwrap();
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("swagger"));
}

#[tokio::test]
async fn request_ids_are_echoed_only_when_short_and_visible() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let client = reqwest::Client::new();
    let answered = |sent: String| {
        let client = client.clone();
        let url = format!("{}/healthz", api.url);
        async move {
            let response = client
                .get(url)
                .header("x-request-id", sent)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            response.headers()["x-request-id"]
                .to_str()
                .unwrap()
                .to_string()
        }
    };

    let longest = format!("{}~!", "a".repeat(126));
    assert_eq!(
        answered(longest.clone()).await,
        longest,
        "128 visible characters"
    );
    for sent in [
        "a".repeat(10_000),
        "a".repeat(129),
        "with space".to_string(),
        "tab\there".to_string(),
    ] {
        let echoed = answered(sent.clone()).await;
        assert_ne!(echoed, sent);
        assert_eq!(
            echoed.len(),
            32,
            "a fresh id instead of {} bytes",
            sent.len()
        );
        assert!(echoed.chars().all(|c| c.is_ascii_hexdigit()), "{echoed}");
    }
}
