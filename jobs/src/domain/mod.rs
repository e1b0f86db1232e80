//! Domain values that cannot hold invalid data: parse at the edge, then trust the type.

mod caption;
mod email;
mod field_error;
mod field_errors;
mod notification_kind;
mod password;
mod post_kind;
mod post_rules;
mod query_time;
mod schedule;
mod user_name;
mod visible_text;
mod weekly_slots;

pub use caption::{Caption, count_tags};
pub use email::Email;
pub use field_error::FieldError;
pub use field_errors::FieldErrors;
pub use notification_kind::{Channel, NotificationKind};
pub use password::Password;
pub use post_kind::{MediaKind, PostKind};
pub use post_rules::{MediaFacts, check_post_media};
pub use query_time::QueryTime;
pub use schedule::{ScheduleTime, TimeZoneName};
pub use user_name::UserName;
pub use visible_text::check_visible_text;
pub use weekly_slots::{MAX_WEEKLY_SLOTS, WeeklySlot, WeeklySlots};
