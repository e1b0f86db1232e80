//! The api's certificate and key, from the PEM files of `server.tls`: read again every
//! [`RELOAD_EVERY`], a renewed pair is served to new connections at once (no restart, open
//! connections keep theirs), and a pair that does not load is logged and the one in use kept.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use aistudio_config::TlsSettings;
use tokio_rustls::rustls::crypto::{CryptoProvider, ring};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::{ClientHello, ResolvesServerCert};
use tokio_rustls::rustls::sign::CertifiedKey;

/// How often the certificate and key files are read again.
pub const RELOAD_EVERY: Duration = Duration::from_secs(5);

/// Why the certificate files could not be used; names the file and never holds key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CertificateError(String);

/// Both files as last read.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Files {
    cert: Vec<u8>,
    key: Vec<u8>,
}

/// Where the certificate comes from and how its key is loaded.
#[derive(Debug)]
struct Source {
    cert_file: PathBuf,
    key_file: PathBuf,
    provider: Arc<CryptoProvider>,
}

impl Source {
    async fn read(&self) -> Result<Files, CertificateError> {
        let read = |path: &PathBuf| {
            let path = path.clone();
            async move {
                tokio::fs::read(&path)
                    .await
                    .map_err(|e| CertificateError(format!("cannot read {}: {e}", path.display())))
            }
        };
        Ok(Files {
            cert: read(&self.cert_file).await?,
            key: read(&self.key_file).await?,
        })
    }

    /// The certificate chain with its key, which must be the first certificate's.
    fn certified(&self, files: &Files) -> Result<CertifiedKey, CertificateError> {
        let cert_file = self.cert_file.display();
        let key_file = self.key_file.display();
        let chain = CertificateDer::pem_slice_iter(&files.cert)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| CertificateError(format!("{cert_file}: {e}")))?;
        if chain.is_empty() {
            return Err(CertificateError(format!(
                "{cert_file}: no PEM certificate in it"
            )));
        }
        let key = PrivateKeyDer::from_pem_slice(&files.key)
            .map_err(|e| CertificateError(format!("{key_file}: {e}")))?;
        CertifiedKey::from_der(chain, key, &self.provider)
            .map_err(|e| CertificateError(format!("{key_file} does not go with {cert_file}: {e}")))
    }
}

/// The certificate served to new connections, and the files it comes from.
#[derive(Debug)]
pub struct Certificate {
    source: Source,
    current: RwLock<Arc<CertifiedKey>>,
    /// What the last read of the files gave, so each change is acted on (and logged) once.
    last_read: Mutex<Result<Files, CertificateError>>,
}

impl Certificate {
    /// Reads and checks the files (the key must be the certificate's).
    pub async fn load(settings: &TlsSettings) -> Result<Self, CertificateError> {
        let source = Source {
            cert_file: PathBuf::from(&settings.cert_file),
            key_file: PathBuf::from(&settings.key_file),
            provider: Arc::new(ring::default_provider()),
        };
        let files = source.read().await?;
        let key = source.certified(&files)?;
        Ok(Self {
            source,
            current: RwLock::new(Arc::new(key)),
            last_read: Mutex::new(Ok(files)),
        })
    }

    /// The crypto provider the certificate's key was loaded with.
    pub fn provider(&self) -> Arc<CryptoProvider> {
        self.source.provider.clone()
    }

    /// Reads the files every [`RELOAD_EVERY`], forever, taking in each change.
    pub async fn keep_current(self: Arc<Self>) {
        loop {
            tokio::time::sleep(RELOAD_EVERY).await;
            self.reload().await;
        }
    }

    /// Reads the files; if they changed since the last read, a valid pair replaces the
    /// certificate for new connections and an invalid one is logged (once) and ignored.
    async fn reload(&self) {
        let read = self.source.read().await;
        {
            let mut last = self
                .last_read
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if *last == read {
                return;
            }
            *last = read.clone();
        }
        match read.and_then(|files| self.source.certified(&files)) {
            Ok(key) => {
                *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(key);
                tracing::info!(
                    cert_file = %self.source.cert_file.display(),
                    "TLS certificate reloaded"
                );
            }
            Err(e) => tracing::error!(
                error = %e,
                "new TLS certificate not loaded; still serving the previous one"
            ),
        }
    }
}

impl ResolvesServerCert for Certificate {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(
            self.current
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
        )
    }
}
