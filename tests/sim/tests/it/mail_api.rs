//! The inbox's JSON API errors and its pages (escaped, HTML in a sandboxed frame).

use anyhow::{Context, Result};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use aistudio_sim::{SimConfig, SimHandle, Simulator, SmtpConfig};

use crate::common::{client, config};

async fn smtp_sim() -> Result<SimHandle> {
    Ok(Simulator::start(SimConfig {
        smtp: SmtpConfig {
            listen: Some("127.0.0.1:0".parse()?),
            ..SmtpConfig::default()
        },
        ..config()
    })
    .await?)
}

/// Delivers `message` (CRLF lines, no final dot) to `to` with a pipelined session.
async fn deliver(sim: &SimHandle, to: &str, message: &str) -> Result<String> {
    let mut stream = TcpStream::connect(sim.smtp_addr().context("smtp runs")?).await?;
    let script = format!(
        "EHLO t\r\nMAIL FROM:<app@aistudio.test>\r\nRCPT TO:<{to}>\r\nDATA\r\n{message}\r\n.\r\nQUIT\r\n"
    );
    stream.write_all(script.as_bytes()).await?;
    let mut replies = String::new();
    stream.read_to_string(&mut replies).await?;
    Ok(replies)
}

async fn get(url: &str) -> Result<(u16, Value)> {
    let response = client().get(url).send().await?;
    Ok((response.status().as_u16(), response.json().await?))
}

#[tokio::test]
async fn api_filters_refuses_bad_input_and_empties() -> Result<()> {
    let sim = smtp_sim().await?;
    let replies = deliver(&sim, "a@example.com", "Subject: one\r\n\r\nx").await?;
    assert!(replies.contains("250 2.0.0 OK: queued as 1"), "{replies}");
    deliver(&sim, "b@example.com", "Subject: two\r\n\r\ny").await?;
    let api = format!("{}/api/messages", sim.urls().mail);

    let (status, body) = get(&format!("{api}?to=A@EXAMPLE.COM")).await?;
    assert_eq!(status, 200);
    assert_eq!(body["messages"].as_array().map(Vec::len), Some(1));
    assert_eq!(body["messages"][0]["subject"], "one");
    let (_, all) = get(&api).await?;
    assert_eq!(all["messages"][0]["subject"], "two", "newest first");

    for (query, field) in [("?from=x", "from"), ("?to=", "to"), ("?to=a&to=b", "to")] {
        let (status, body) = get(&format!("{api}{query}")).await?;
        assert_eq!(status, 422, "{query}: {body}");
        assert_eq!(body["field"], field, "{body}");
        assert!(
            body["code"].is_string() && body["message"].is_string(),
            "{body}"
        );
    }
    let (status, body) = get(&format!("{api}/abc")).await?;
    assert_eq!((status, body["field"].clone()), (400, Value::from("id")));
    let (status, body) = get(&format!("{api}/99")).await?;
    assert_eq!(
        (status, body["code"].clone()),
        (404, Value::from("not_found"))
    );
    let raw = client().get(format!("{api}/99/raw")).send().await?;
    assert_eq!(raw.status(), 404);

    let refused = client().delete(format!("{api}?all=1")).send().await?;
    assert_eq!(refused.status(), 422);
    assert_eq!(sim.mail(None).len(), 2, "a refused delete deletes nothing");
    let deleted: Value = client().delete(&api).send().await?.json().await?;
    assert_eq!(deleted["deleted"], 2);
    assert!(sim.mail(None).is_empty());
    Ok(())
}

#[tokio::test]
async fn pages_escape_and_sandbox_the_message() -> Result<()> {
    let sim = smtp_sim().await?;
    let message = "Subject: <script>alert(1)</script>\r\n\
                   Content-Type: multipart/alternative; boundary=b\r\n\r\n\
                   --b\r\nContent-Type: text/plain\r\n\r\n<b>not bold</b>\r\n\
                   --b\r\nContent-Type: text/html\r\n\r\n<img src=x onerror=\"alert(2)\"><b>bold</b>\r\n\
                   --b--";
    deliver(&sim, "x@example.com", message).await?;
    let id = sim.mail(None)[0].id;

    let list = client().get(&sim.urls().mail).send().await?;
    let csp = list.headers()["content-security-policy"]
        .to_str()?
        .to_owned();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    let list = list.text().await?;
    assert!(
        list.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{list}"
    );
    assert!(!list.contains("<script>"));
    assert!(list.contains(&format!("{}/{id}\"", sim.urls().mail)));
    assert!(list.contains("x@example.com"));

    let page = client()
        .get(format!("{}/{id}", sim.urls().mail))
        .send()
        .await?;
    assert!(page.headers().contains_key("content-security-policy"));
    let page = page.text().await?;
    assert!(
        !page.contains("<script>") && !page.contains("<img"),
        "{page}"
    );
    assert!(page.contains("<pre>&lt;b&gt;not bold&lt;/b&gt;"), "{page}");
    assert!(
        page.contains("<iframe sandbox=\"\" srcdoc=\"&lt;img src=x onerror=&quot;alert(2)&quot;&gt;&lt;b&gt;bold&lt;/b&gt;"),
        "{page}"
    );
    let missing = client()
        .get(format!("{}/4242", sim.urls().mail))
        .send()
        .await?;
    assert_eq!(missing.status(), 404);
    Ok(())
}
