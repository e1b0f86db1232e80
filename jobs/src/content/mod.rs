//! Content operations shared by the api and the jobs: composing a post from user input
//! ([`compose`]), writing posts together with their media pins ([`post_writes`]), deleting
//! media only when no post can still need it ([`media_delete`]), placing posts in a
//! connection's posting schedule ([`queue`]), and pausing its queue ([`queue_pause`]).

pub mod compose;
pub mod duplicate;
pub mod media_delete;
pub mod post_writes;
pub mod queue;
pub mod queue_move;
pub mod queue_pause;

pub use compose::{ComposeInput, When, compose};
pub use media_delete::{MediaDeleteError, delete_media};
pub use post_writes::WriteError;
pub use queue::QueueError;

use crate::domain::FieldErrors;
use crate::store::StoreError;

/// Why composing a post failed.
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    /// The input breaks rules; every field at fault and its rule are named.
    #[error(transparent)]
    Invalid(#[from] FieldErrors),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}
