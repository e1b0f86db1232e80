//! MongoDB, the system of record, behind repositories.
//!
//! [`Store`] owns the database handle; each collection is reached only through its repository
//! (`store.maintenance_runs()`, ...), so handlers and jobs never build queries themselves.

mod audit_log;
pub mod backup;
mod canary_runs;
mod command_metrics;
mod compare_and_set;
mod connections;
mod deletion_requests;
mod email_verifications;
mod emails;
mod indexes;
mod indexes_at_start;
mod maintenance_runs;
mod media;
mod media_files;
mod notification_preferences;
mod notifications;
mod oauth_states;
mod outbox_lease;
mod password_resets;
mod post_context;
mod post_queue;
mod posting_schedules;
mod posts;
mod queue_holds;
mod sessions;
mod single_use_links;
mod users;
mod webhook_deliveries;
mod webhook_endpoints;
mod workflow_events;
mod workflows;

use std::time::Duration;

use aistudio_config::connection_url::without_password;
use aistudio_config::{ExposeSecret, MongoSettings};
use mongodb::bson::doc;
use mongodb::options::ClientOptions;
use mongodb::{Client, Database};

pub use audit_log::{AuditEntry, AuditLog, AuditOutcome};
pub use canary_runs::{CanaryRun, CanaryRuns};
pub use connections::{Connection, ConnectionStatus, Connections, SealedToken, TokenUpdate};
pub use deletion_requests::{DeletionKind, DeletionRequest, DeletionRequests, DeletionStatus};
pub use email_verifications::{EmailVerification, EmailVerifications};
pub use emails::{Email, EmailContent, EmailStatus, Emails};
pub use maintenance_runs::{MaintenanceRun, MaintenanceRuns};
pub use media::{Media, MediaLibrary, MediaPin, MediaStatus};
pub use media_files::GridFsMediaStorage;
pub use notification_preferences::{
    NotificationPreferences, NotificationPreferencesStore, PreferenceChoice,
};
pub use notifications::{Notification, Notifications};
pub use oauth_states::{NewOAuthState, OAuthPurpose, OAuthState, OAuthStates, random_value};
pub use password_resets::{PasswordReset, PasswordResets};
pub use post_context::{PostContext, PostContexts, PublishAudience};
pub use post_queue::{moving_ends, moving_key, slot_instant};
pub use posting_schedules::{PostingSchedule, PostingSchedules, QueuePause};
pub use posts::{
    ADDING, MediaUnresolved, Post, PostContent, PostCursor, PostFilter, PostItem, PostOrder,
    PostSearch, PostStatus, Posts, Settlement, queue_slot_key,
};
pub use sessions::{CONSOLE_MAX_LIFETIME, Session, SessionKind, Sessions};
pub use users::{Role, User, UserStatus, Users};
pub use webhook_deliveries::{DeliveryAttempt, DeliveryStatus, WebhookDeliveries, WebhookDelivery};
pub use webhook_endpoints::{EndpointChanges, WebhookEndpoint, WebhookEndpoints};
pub use workflow_events::{StepError, StepOutcome, WorkflowEvent, WorkflowEvents};
pub use workflows::{Step, WorkItem, Workflow, Workflows};

/// A store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique index refused the write (e.g. the email is taken).
    #[error("duplicate key")]
    Duplicate,
    /// A value could not be encoded for a query.
    #[error("encoding error: {0}")]
    Encode(String),
    /// `mongo.url` cannot be used: malformed, or its `mongodb+srv` name did not resolve. The
    /// driver's words, without the URL's password.
    #[error("mongo.url cannot be used: {0}")]
    Url(String),
    /// The driver reported an error (connection, timeout, write conflict, ...).
    #[error("database error: {0}")]
    Mongo(mongodb::error::Error),
}

impl StoreError {
    /// Whether the server could not be reached (no server to select, a connection that failed
    /// or was dropped): a passing condition, unlike a refused or malformed operation.
    pub fn is_unreachable(&self) -> bool {
        use mongodb::error::ErrorKind;
        matches!(self, Self::Mongo(e) if matches!(
            e.kind.as_ref(),
            ErrorKind::Io(_) | ErrorKind::ServerSelection { .. } | ErrorKind::ConnectionPoolCleared { .. }
        ))
    }
}

impl From<mongodb::error::Error> for StoreError {
    fn from(e: mongodb::error::Error) -> Self {
        use mongodb::error::{ErrorKind, WriteFailure};
        match e.kind.as_ref() {
            ErrorKind::Write(WriteFailure::WriteError(w)) if w.code == 11000 => Self::Duplicate,
            ErrorKind::Command(c) if c.code == 11000 => Self::Duplicate,
            _ => Self::Mongo(e),
        }
    }
}

/// The current time as a BSON date.
pub(crate) fn bson_now() -> mongodb::bson::DateTime {
    mongodb::bson::DateTime::now()
}

/// Handle to the system of record. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    db: Database,
}

impl Store {
    /// Builds a client (connections are opened lazily by the driver, so this succeeds while the
    /// server is down; [`Store::ping`] tells whether it is reachable). A `mongodb+srv://` URL
    /// is resolved here (its hosts, and its `authSource`/`replicaSet` from DNS) and implies TLS.
    pub async fn connect(settings: &MongoSettings) -> Result<Self, StoreError> {
        let url = settings.url.expose_secret();
        let mut options = ClientOptions::parse(url)
            .await
            .map_err(|e| StoreError::Url(without_password(&e.to_string(), url)))?;
        let timeout = Duration::from_secs(settings.connect_timeout_secs);
        options.connect_timeout = Some(timeout);
        options.server_selection_timeout = Some(timeout);
        if options.max_idle_time.is_none() {
            options.max_idle_time = Some(Duration::from_secs(settings.max_idle_secs));
        }
        options.app_name = Some("aistudio".into());
        options.command_event_handler = Some(command_metrics::handler());
        let client = Client::with_options(options)?;
        tracing::info!(
            mongodb = %settings.redacted_url(),
            database = %settings.database,
            "using MongoDB"
        );
        Ok(Self {
            db: client.database(&settings.database),
        })
    }

    /// Creates every index the product relies on, however long MongoDB takes; safe to run at
    /// any time. A process's start uses [`Store::ensure_indexes_at_start`] instead.
    pub async fn ensure_indexes(&self) -> Result<(), StoreError> {
        indexes::ensure(&self.db, Duration::MAX).await
    }

    /// Round-trips a `ping` to the server.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db.run_command(doc! { "ping": 1 }).await?;
        Ok(())
    }

    /// Looks up a user by an `_id` no user has: an answer shows that MongoDB serves reads,
    /// which a `ping` does not (a server whose storage is stuck still answers `ping`).
    pub async fn read_check(&self) -> Result<(), StoreError> {
        self.db
            .collection::<mongodb::bson::Document>(users::COLLECTION)
            .find_one(doc! { "_id": "readiness-check" })
            .await?;
        Ok(())
    }

    /// Records of queue-maintenance runs.
    pub fn maintenance_runs(&self) -> MaintenanceRuns {
        MaintenanceRuns::new(&self.db)
    }

    /// Users.
    pub fn users(&self) -> Users {
        Users::new(&self.db)
    }

    /// Sessions.
    pub fn sessions(&self) -> Sessions {
        Sessions::new(&self.db)
    }

    /// Instagram connections.
    pub fn connections(&self) -> Connections {
        Connections::new(&self.db)
    }

    /// Pending OAuth authorizations.
    pub fn oauth_states(&self) -> OAuthStates {
        OAuthStates::new(&self.db)
    }

    /// Deletion requests and receipts.
    pub fn deletion_requests(&self) -> DeletionRequests {
        DeletionRequests::new(&self.db)
    }

    /// Media library records.
    pub fn media(&self) -> MediaLibrary {
        MediaLibrary::new(&self.db)
    }

    /// Media bytes, in GridFS.
    pub fn media_files(&self) -> GridFsMediaStorage {
        GridFsMediaStorage::new(&self.db)
    }

    /// Posts with their workflow, connection and owner's status, read together.
    pub fn post_contexts(&self) -> PostContexts {
        PostContexts::new(&self.db)
    }

    /// Posts.
    pub fn posts(&self) -> Posts {
        Posts::new(&self.db)
    }

    /// Publishing workflow state.
    pub fn workflows(&self) -> Workflows {
        Workflows::new(&self.db)
    }

    /// The publishing workflow's event log.
    pub fn workflow_events(&self) -> WorkflowEvents {
        WorkflowEvents::new(&self.db)
    }

    /// The email outbox.
    pub fn emails(&self) -> Emails {
        Emails::new(&self.db)
    }

    /// The notification center.
    pub fn notifications(&self) -> Notifications {
        Notifications::new(&self.db)
    }

    /// Notification preferences.
    pub fn notification_preferences(&self) -> NotificationPreferencesStore {
        NotificationPreferencesStore::new(&self.db)
    }

    /// Requested password resets.
    pub fn password_resets(&self) -> PasswordResets {
        PasswordResets::new(&self.db)
    }

    /// Posting schedules (weekly slots per connection).
    pub fn posting_schedules(&self) -> PostingSchedules {
        PostingSchedules::new(&self.db)
    }

    /// Requested email verifications.
    pub fn email_verifications(&self) -> EmailVerifications {
        EmailVerifications::new(&self.db)
    }

    /// Webhook endpoints.
    pub fn webhook_endpoints(&self) -> WebhookEndpoints {
        WebhookEndpoints::new(&self.db)
    }

    /// Webhook deliveries and their attempt logs.
    pub fn webhook_deliveries(&self) -> WebhookDeliveries {
        WebhookDeliveries::new(&self.db)
    }

    /// The admin console's audit log.
    pub fn audit_log(&self) -> AuditLog {
        AuditLog::new(&self.db)
    }

    /// Records of canary jobs (end-to-end probes of the worker pool).
    pub fn canary_runs(&self) -> CanaryRuns {
        CanaryRuns::new(&self.db)
    }
}
