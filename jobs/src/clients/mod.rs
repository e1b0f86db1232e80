//! Clients of the outside services. Every base URL comes from configuration.

pub mod google;
