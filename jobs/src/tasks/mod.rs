//! Job payloads and the logic that runs them. Payloads carry ids only.

pub mod account_deletion;
pub mod canary;
pub mod deletion_sweep;
pub mod deliver_webhook;
pub mod instagram_data_deletion;
pub mod maintenance;
pub mod publish;
pub mod send_email;
pub mod token_refresh;

pub use account_deletion::{DeleteAccount, DeletionError};
pub use canary::Canary;
pub use deliver_webhook::DeliverWebhook;
pub use instagram_data_deletion::DeleteInstagramData;
pub use maintenance::QueueMaintenance;
pub use publish::PublishPost;
pub use send_email::SendEmail;
pub use token_refresh::{RefreshSweep, RefreshToken};

/// Every queue the workers serve (maintenance vacuums each of them).
pub const QUEUES: &[&str] = &[
    maintenance::QUEUE,
    canary::QUEUE,
    account_deletion::QUEUE,
    instagram_data_deletion::QUEUE,
    token_refresh::QUEUE,
    token_refresh::SWEEP_QUEUE,
    publish::QUEUE,
    send_email::QUEUE,
    deliver_webhook::QUEUE,
    crate::workflow::dispatcher::QUEUE,
    crate::workflow::reconciler::QUEUE,
];
