//! Domain values that cannot hold invalid data: parse at the edge, then trust the type.

mod email;
mod field_error;
mod password;
mod user_name;

pub use email::Email;
pub use field_error::FieldError;
pub use password::Password;
pub use user_name::UserName;
