//! The named endpoints that faults target and counters count.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Which family of provider answers an endpoint, and so which error body it uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    /// Graph API (`{"error":{...}}`).
    Graph,
    /// api.instagram.com OAuth (`{"error_type","code","error_message"}`).
    IgOAuth,
    /// ImgBB (`{"status_code","error":{...},"status_txt"}`).
    Imgbb,
    /// Google OAuth / OIDC (`{"error","error_description"}`).
    Google,
    /// Browser pages and served files.
    Page,
    /// The SMTP sink (answers are SMTP replies, not HTTP).
    Smtp,
}

/// A simulated endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    /// `GET {instagram}/oauth/authorize` and its consent decision.
    IgAuthorize,
    /// `POST {instagram_api}/oauth/access_token`.
    IgToken,
    /// `GET {graph}/access_token` (long-lived exchange).
    IgLongLived,
    /// `GET {graph}/refresh_access_token`.
    IgRefresh,
    /// `GET {graph}/{version}/me`.
    Me,
    /// `POST {graph}/{version}/{ig-user-id}/media`.
    MediaCreate,
    /// `GET {graph}/{version}/{ig-user-id}/media`.
    MediaList,
    /// `GET {graph}/{version}/{ig-user-id}/stories`.
    StoriesList,
    /// `GET {graph}/{version}/{container-id}`.
    ContainerStatus,
    /// `POST {graph}/{version}/{ig-user-id}/media_publish`.
    MediaPublish,
    /// `GET {graph}/{version}/{media-id}`.
    Permalink,
    /// `GET {graph}/{version}/{ig-user-id}/content_publishing_limit`.
    PublishingLimit,
    /// `POST {imgbb}/1/upload`.
    ImgbbUpload,
    /// `GET {imgbb}/i/...` (served image bytes).
    ImgbbImage,
    /// `GET {google}/o/oauth2/v2/auth` and its consent decision.
    GoogleAuthorize,
    /// `POST {google}/token`.
    GoogleToken,
    /// `GET {google}/v1/userinfo`.
    GoogleUserinfo,
    /// `GET {google}/oauth2/v3/certs`.
    GoogleCerts,
    /// An SMTP connection, at the greeting.
    SmtpConnect,
    /// SMTP `MAIL FROM`.
    SmtpMail,
    /// SMTP `RCPT TO` (each recipient is one call).
    SmtpRcpt,
    /// The end of SMTP `DATA` (the `<CRLF>.<CRLF>` that asks the server to take the message).
    SmtpData,
}

impl Endpoint {
    /// Every endpoint, in declaration order.
    pub const ALL: [Endpoint; 22] = [
        Endpoint::IgAuthorize,
        Endpoint::IgToken,
        Endpoint::IgLongLived,
        Endpoint::IgRefresh,
        Endpoint::Me,
        Endpoint::MediaCreate,
        Endpoint::MediaList,
        Endpoint::StoriesList,
        Endpoint::ContainerStatus,
        Endpoint::MediaPublish,
        Endpoint::Permalink,
        Endpoint::PublishingLimit,
        Endpoint::ImgbbUpload,
        Endpoint::ImgbbImage,
        Endpoint::GoogleAuthorize,
        Endpoint::GoogleToken,
        Endpoint::GoogleUserinfo,
        Endpoint::GoogleCerts,
        Endpoint::SmtpConnect,
        Endpoint::SmtpMail,
        Endpoint::SmtpRcpt,
        Endpoint::SmtpData,
    ];

    /// The snake_case name used in configs, admin calls and reports.
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::IgAuthorize => "ig_authorize",
            Endpoint::IgToken => "ig_token",
            Endpoint::IgLongLived => "ig_long_lived",
            Endpoint::IgRefresh => "ig_refresh",
            Endpoint::Me => "me",
            Endpoint::MediaCreate => "media_create",
            Endpoint::MediaList => "media_list",
            Endpoint::StoriesList => "stories_list",
            Endpoint::ContainerStatus => "container_status",
            Endpoint::MediaPublish => "media_publish",
            Endpoint::Permalink => "permalink",
            Endpoint::PublishingLimit => "publishing_limit",
            Endpoint::ImgbbUpload => "imgbb_upload",
            Endpoint::ImgbbImage => "imgbb_image",
            Endpoint::GoogleAuthorize => "google_authorize",
            Endpoint::GoogleToken => "google_token",
            Endpoint::GoogleUserinfo => "google_userinfo",
            Endpoint::GoogleCerts => "google_certs",
            Endpoint::SmtpConnect => "smtp_connect",
            Endpoint::SmtpMail => "smtp_mail",
            Endpoint::SmtpRcpt => "smtp_rcpt",
            Endpoint::SmtpData => "smtp_data",
        }
    }

    pub(crate) fn family(self) -> Family {
        match self {
            Endpoint::IgToken => Family::IgOAuth,
            Endpoint::IgLongLived
            | Endpoint::IgRefresh
            | Endpoint::Me
            | Endpoint::MediaCreate
            | Endpoint::MediaList
            | Endpoint::StoriesList
            | Endpoint::ContainerStatus
            | Endpoint::MediaPublish
            | Endpoint::Permalink
            | Endpoint::PublishingLimit => Family::Graph,
            Endpoint::ImgbbUpload => Family::Imgbb,
            Endpoint::GoogleToken | Endpoint::GoogleUserinfo | Endpoint::GoogleCerts => {
                Family::Google
            }
            Endpoint::IgAuthorize | Endpoint::ImgbbImage | Endpoint::GoogleAuthorize => {
                Family::Page
            }
            Endpoint::SmtpConnect
            | Endpoint::SmtpMail
            | Endpoint::SmtpRcpt
            | Endpoint::SmtpData => Family::Smtp,
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::Endpoint;

    #[test]
    fn names_match_serde() {
        for endpoint in Endpoint::ALL {
            let json = serde_json::to_value(endpoint).expect("serialize");
            assert_eq!(json, serde_json::Value::from(endpoint.name()));
        }
    }
}
