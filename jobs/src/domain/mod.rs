//! Domain values that cannot hold invalid data: parse at the edge, then trust the type.

mod caption;
mod email;
mod field_error;
mod password;
mod post_kind;
mod post_rules;
mod schedule;
mod user_name;

pub use caption::{Caption, count_tags};
pub use email::Email;
pub use field_error::FieldError;
pub use password::Password;
pub use post_kind::{MediaKind, PostKind};
pub use post_rules::{MediaFacts, check_post_media};
pub use schedule::{ScheduleTime, TimeZoneName};
pub use user_name::UserName;
