//! The SMTP sink: a plain-TCP ESMTP server (RFC 5321) that accepts every message a client
//! delivers and stores it in the inbox ([`crate::mail`]). `AUTH PLAIN` and `AUTH LOGIN` accept
//! any credentials (the user name is recorded, the password dropped); there is no TLS and
//! `STARTTLS` is not offered. Faults on the `smtp_*` endpoints replace replies; "down" closes
//! every connection until "up".

mod auth;
mod command;
mod data;
mod line;
mod reply;
mod session;

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::shared::Shared;

/// Accepts connections until `shutdown` changes or its sender is dropped. While the server
/// is down, each accepted connection is closed at once, without a greeting.
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => break,
        };
        if !*shared.smtp_up.borrow() {
            drop(stream);
            continue;
        }
        let _ = stream.set_nodelay(true);
        tokio::spawn(session::serve(
            stream,
            Arc::clone(&shared),
            shutdown.clone(),
        ));
    }
}
