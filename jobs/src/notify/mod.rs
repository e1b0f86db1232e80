//! Account notifications: in the dashboard's notification center and by email.
//!
//! An [`AccountEvent`] says what happened to whom and about what, in plain words. [`raise`] is
//! the one way to notify: it reads the user's preferences, stores the in-app notification
//! (its id derived from the event's key, so raising an event twice stores one) and writes one
//! email to the outbox (keyed by the same event, so never two) and queues it.
//!
//! Events are raised where the state change happens, after it succeeded. A worker that stops
//! between the change and the raise loses nothing: [`sweep`] (run by queue maintenance) raises
//! the events of recently failed, parked and published posts that have no notification yet.

pub mod event;
pub mod plain_words;
pub mod post_events;
pub mod raise;
pub mod sweep;
pub mod unsubscribe;

pub use event::AccountEvent;
pub use post_events::raise_parked;
pub use raise::{NotifyError, Raised, raise, raise_as};
pub use sweep::sweep;
