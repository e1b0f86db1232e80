//! The customer web dashboard and the public pages, as static files embedded in the binary.
//!
//! The dashboard is plain HTML, CSS and JavaScript modules with no build step: it talks to the
//! same JSON API as every other client, with the session cookie. Nothing is fetched from another
//! origin, and every page is served with a strict `Content-Security-Policy` (no inline script,
//! no third-party script, style, font or tracker), which is how the privacy policy's "no
//! analytics trackers" is enforced rather than merely stated.

mod assets;
mod respond;

pub use assets::{ASSETS, Asset, PUBLIC_PAGES, SHELL, find_asset};
pub use respond::{CONTENT_SECURITY_POLICY, serve};
