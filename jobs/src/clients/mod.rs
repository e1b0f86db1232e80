//! HTTP clients for the outside services: Instagram Login ([`InstagramOAuth`]), the Instagram
//! Graph API content publishing flow ([`GraphClient`]), ImgBB ([`ImgbbClient`]) and Google
//! sign-in ([`google::GoogleClient`]).
//!
//! All share one `reqwest` client ([`build_client`]: rustls, timeouts, no redirects) and take
//! their base URLs from [`aistudio_config::Settings`]. Tokens travel only in request headers or
//! bodies (and, for the two documented token endpoints, their query), are never logged, and never
//! appear in errors. Every failure is a [`ClientError`]; [`ClientError::classify`] turns it into
//! the [`ErrorClass`] the publishing workflow acts on.

mod classify;
mod container;
mod error;
pub mod google;
mod graph;
mod graph_error;
mod http;
mod imgbb;
mod instagram_oauth;
mod lenient;
mod media_list;
mod status;
mod usage;

pub use classify::{CallKind, ErrorClass, classify_graph};
pub use container::{ContainerId, ContainerSpec, MediaId, MediaUrl};
pub use error::{ClientError, TransportKind};
pub use graph::{Answer, GraphClient, Quota};
pub use graph_error::GraphError;
pub use http::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_REQUEST_TIMEOUT, DEFAULT_UPLOAD_TIMEOUT, HttpOptions,
    USER_AGENT, build_client,
};
pub use imgbb::{ImgbbClient, UploadedImage};
pub use instagram_oauth::{
    CALLBACK_PATH, IgProfile, InstagramOAuth, LongLivedToken, SCOPES, ShortLivedToken,
};
pub use media_list::{ListedMedia, MediaEdge, MediaPage, PublishedMedia, parse_graph_timestamp};
pub use status::{ContainerStatus, StatusCode};
pub use usage::{APP_USAGE_HEADER, BUSINESS_USAGE_HEADER, BusinessUsage, Usage, UsageCounters};
