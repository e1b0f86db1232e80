//! The outside-service clients against the simulator (`aistudio-sim`), over real HTTP: one
//! simulator per test, short client timeouts, every fault class the workflow must tell apart.

mod common;
mod faults;
mod imgbb;
mod oauth;
mod publish;
