//! Driving "Connect Instagram" the way a browser does, against the simulator's consent screen.

/// A browser-like client: no automatic redirects, carries a session cookie.
#[derive(Debug, Clone)]
pub struct Browser {
    http: reqwest::Client,
    /// The session cookie value.
    pub cookie: Option<String>,
}

/// Where a step redirected.
#[derive(Debug, Clone)]
pub struct Hop {
    /// HTTP status.
    pub status: u16,
    /// The `Location` header.
    pub location: String,
}

impl Browser {
    /// A browser signed in with `cookie` (or anonymous).
    pub fn new(cookie: Option<&str>) -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client builds"),
            cookie: cookie.map(str::to_string),
        }
    }

    /// GETs `url` without following redirects.
    pub async fn get(&self, url: &str) -> Hop {
        let mut request = self.http.get(url);
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", format!("aistudio_session={cookie}"));
        }
        let response = request.send().await.expect("answered");
        Hop {
            status: response.status().as_u16(),
            location: response
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string(),
        }
    }

    /// Starts the connection at the api; returns Instagram's (the simulator's) authorize URL.
    pub async fn start_instagram(&self, api_url: &str) -> String {
        let hop = self
            .get(&format!("{api_url}/api/v1/instagram/connect"))
            .await;
        assert_eq!(hop.status, 303, "connect start answered {}", hop.status);
        hop.location
    }

    /// Consents (or not) at the simulator; returns the redirect to the api's callback.
    pub async fn consent(&self, authorize_url: &str, extra: &str) -> String {
        let hop = self.get(&format!("{authorize_url}{extra}")).await;
        assert!(
            matches!(hop.status, 302 | 303),
            "consent answered {}",
            hop.status
        );
        hop.location
    }

    /// Lands on the callback; returns the dashboard URL's query (the outcome).
    pub async fn land(&self, callback_url: &str) -> String {
        let hop = self.get(callback_url).await;
        assert_eq!(hop.status, 303, "callback answered {}", hop.status);
        assert!(hop.location.contains("/app/?"), "{}", hop.location);
        hop.location
            .split_once("/app/?")
            .map(|(_, q)| q.to_string())
            .unwrap_or_default()
    }

    /// The whole flow, allowing access to Instagram account `account`; returns the outcome.
    pub async fn connect_instagram(&self, api_url: &str, account: &str) -> String {
        let authorize = self.start_instagram(api_url).await;
        let callback = self
            .consent(
                &authorize,
                &format!("&sim_consent=allow&sim_account={account}"),
            )
            .await;
        self.land(&callback).await
    }
}

/// `url` with query parameter `name` set to `value`.
pub fn with_param(url: &str, name: &str, value: &str) -> String {
    let mut parsed = url::Url::parse(url).unwrap();
    let pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == name {
                value.to_string()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    parsed.query_pairs_mut().clear().extend_pairs(pairs);
    parsed.to_string()
}
