//! Behaviour of the simulator over real HTTP.

mod admin;
mod common;
mod faults;
mod google;
mod imgbb;
mod instagram_oauth;
mod mail_api;
mod media_list;
mod publishing;
mod publishing_errors;
mod smtp;
