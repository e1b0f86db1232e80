//! The web dashboard and the public pages as the api serves them: types, the content security
//! policy, caching, the single-page fallback, the size budget, and the privacy promises.

use std::collections::{BTreeSet, VecDeque};

use aistudio_tests::{Api, ApiClient, TestEnv};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

/// The budget of one page's assets (before images).
const PAGE_BUDGET_BYTES: usize = 200 * 1024;

struct Fetched {
    status: StatusCode,
    headers: HeaderMap,
    text: String,
}

impl Fetched {
    fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    }
}

async fn fetch(client: &reqwest::Client, url: &str) -> Fetched {
    let response = client.get(url).send().await.expect("answered");
    Fetched {
        status: response.status(),
        headers: response.headers().clone(),
        text: response.text().await.expect("a text body"),
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Every `"/app/assets/..."` file an HTML page names, and every module a script imports
/// (`'./name.js'`, relative to the script).
fn references(from: &str, text: &str) -> Vec<String> {
    let dir = &from[..from.rfind('/').map_or(0, |i| i + 1)];
    let mut found = Vec::new();
    for quote in ['"', '\''] {
        for (prefix, base) in [("/app/assets/", ""), ("./", dir)] {
            let opening = format!("{quote}{prefix}");
            for (at, _) in text.match_indices(&opening) {
                let rest = &text[at + 1..];
                let Some(end) = rest.find(quote) else {
                    continue;
                };
                let target = &rest[..end];
                let is_file = [".js", ".css", ".svg"].iter().any(|e| target.ends_with(e));
                if is_file {
                    found.push(format!("{base}{}", target.trim_start_matches("./")));
                }
            }
        }
    }
    found
}

/// The text with every run of white space made one space.
fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn assert_strict_policy(page: &Fetched, what: &str) {
    let csp = page.header("content-security-policy");
    assert!(csp.contains("default-src 'self'"), "{what}: {csp}");
    assert!(csp.contains("script-src 'self'"), "{what}: {csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert!(!csp.contains("unsafe"), "{what}: {csp}");
    assert_eq!(page.header("x-content-type-options"), "nosniff", "{what}");
}

fn assert_no_inline_code(html: &str, what: &str) {
    for tag in html.split("<script").skip(1) {
        let open = &tag[..tag.find('>').expect("a closed tag")];
        assert!(open.contains("src="), "{what} has an inline script");
    }
    assert!(!html.contains("<style"), "{what} has an inline style block");
    assert!(!html.contains(" style="), "{what} has a style attribute");
    assert!(!html.contains(" onclick="), "{what} has an inline handler");
}

#[tokio::test]
async fn the_shell_and_its_assets_are_served_with_their_types_policy_and_caching() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let http = client();

    let shell = fetch(&http, &format!("{}/app/", api.url)).await;
    assert_eq!(shell.status, 200);
    assert_eq!(shell.header("content-type"), "text/html; charset=utf-8");
    assert_eq!(shell.header("cache-control"), "no-cache");
    assert_strict_policy(&shell, "the shell");
    assert_no_inline_code(&shell.text, "the shell");
    assert!(shell.text.contains("<main id=\"main\""), "a main landmark");
    assert!(
        shell.text.contains("aria-label=\"Main\""),
        "a labelled navigation"
    );

    // An unchanged file is not sent again.
    let etag = shell.header("etag");
    assert!(etag.starts_with('"'), "{etag}");
    let again = http
        .get(format!("{}/app/", api.url))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);

    // The dashboard routes in the browser: any other path below /app serves the shell.
    for path in [
        "/app/x",
        "/app/posts/0123456789abcdef/edit",
        "/app/settings",
    ] {
        let page = fetch(&http, &format!("{}{path}", api.url)).await;
        assert_eq!(page.status, 200, "{path}");
        assert_eq!(page.text, shell.text, "{path}");
    }
    for path in ["/app", "/"] {
        let redirect = fetch(&http, &format!("{}{path}", api.url)).await;
        assert_eq!(redirect.status, 303, "{path}");
        assert_eq!(redirect.header("location"), "/app/", "{path}");
    }

    // A missing asset is a 404, never the shell.
    let missing = fetch(&http, &format!("{}/app/assets/js/nope.js", api.url)).await;
    assert_eq!(missing.status, 404);
    assert!(
        missing
            .header("content-type")
            .starts_with("application/json")
    );

    let types = [
        ("/app/assets/app.css", "text/css; charset=utf-8"),
        ("/app/assets/js/main.js", "text/javascript; charset=utf-8"),
        ("/app/assets/icon.svg", "image/svg+xml"),
    ];
    for (path, content_type) in types {
        let asset = fetch(&http, &format!("{}{path}", api.url)).await;
        assert_eq!(asset.status, 200, "{path}");
        assert_eq!(asset.header("content-type"), content_type, "{path}");
        assert_eq!(asset.header("cache-control"), "no-cache", "{path}");
    }
}

#[tokio::test]
async fn every_page_loads_only_its_own_assets_within_the_budget() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let http = client();
    for page in ["/app/", "/privacy", "/data-deletion"] {
        let html = fetch(&http, &format!("{}{page}", api.url)).await;
        assert_eq!(html.status, 200, "{page}");
        // Follow every stylesheet, icon, script and module import the page can load.
        let mut total = html.text.len();
        let mut seen = BTreeSet::new();
        let mut queue: VecDeque<String> = references(page, &html.text).into();
        while let Some(path) = queue.pop_front() {
            if !seen.insert(path.clone()) {
                continue;
            }
            let asset = fetch(&http, &format!("{}{path}", api.url)).await;
            assert_eq!(asset.status, 200, "{page} refers to {path}");
            // Images are outside the budget (and an SVG's namespace is no address).
            if !path.ends_with(".svg") {
                for outside in ["http://", "https://", "//fonts.", "cdn"] {
                    assert!(
                        !asset.text.contains(outside),
                        "{path} refers to another origin ({outside})"
                    );
                }
                total += asset.text.len();
            }
            queue.extend(references(&path, &asset.text));
        }
        assert!(seen.contains("/app/assets/app.css"), "{page}: {seen:?}");
        if page == "/app/" {
            // Every page of the dashboard is a module of the one shell.
            for module in [
                "main",
                "auth",
                "media",
                "compose",
                "posts",
                "post_list",
                "calendar",
                "account",
            ] {
                let path = format!("/app/assets/js/{module}.js");
                assert!(seen.contains(&path), "{path} is not reachable: {seen:?}");
            }
        }
        assert!(
            total < PAGE_BUDGET_BYTES,
            "{page} loads {total} bytes of assets"
        );
    }
}

#[tokio::test]
async fn the_public_pages_need_no_sign_in_and_state_what_the_product_does() {
    let env = TestEnv::new();
    let api = Api::start(&env).await;
    let http = client();

    let privacy = fetch(&http, &format!("{}/privacy", api.url)).await;
    assert_eq!(privacy.status, 200);
    assert_eq!(privacy.header("content-type"), "text/html; charset=utf-8");
    assert_strict_policy(&privacy, "/privacy");
    assert_no_inline_code(&privacy.text, "/privacy");
    for promise in [
        "name, email address, profile picture and Google account id",
        "<code>instagram_business_basic</code>",
        "<code>instagram_business_content_publish</code>",
        "encrypted at rest with AES-256-GCM",
        "Images are uploaded to ImgBB at publish time",
        "we refresh them automatically before they expire",
        "Disconnecting deletes the stored token immediately.",
        "Meta notifies us and we delete the connection",
        "Meta's data-deletion requests are honoured automatically",
        "delete your whole account and all its data",
        "No analytics trackers",
        "Nothing is published that you did not create and schedule.",
    ] {
        assert!(
            words(&privacy.text).contains(promise),
            "the privacy policy does not say: {promise}"
        );
    }

    let deletion = fetch(&http, &format!("{}/data-deletion", api.url)).await;
    assert_eq!(deletion.status, 200);
    assert_strict_policy(&deletion, "/data-deletion");
    for step in [
        "Delete my account and all my data",
        "Apps and websites",
        "confirmation code",
        "/deletion-status/",
        "the stored token is deleted immediately",
    ] {
        assert!(
            words(&deletion.text).contains(step),
            "the instructions do not say: {step}"
        );
    }

    // HTML pages are not part of the JSON API's document.
    let doc = ApiClient::new(&api.url).get("/openapi.json").await.body;
    let paths = doc["paths"].as_object().unwrap();
    for page in ["/app/", "/privacy", "/data-deletion"] {
        assert!(
            !paths.contains_key(page),
            "{page} is in the OpenAPI document"
        );
    }
}
