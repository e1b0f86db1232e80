//! A certificate authority of a test's own, made with the `openssl` command (Debian's package;
//! `scripts/services start` installs it), and the server certificates it issues.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A certificate authority in a folder of its own (P-256 keys, valid two days).
#[derive(Debug)]
pub struct TestCa {
    dir: PathBuf,
    /// The authority's certificate (PEM).
    pub cert: PathBuf,
}

/// A server certificate for `localhost` and `127.0.0.1`, with its key (PEM files).
#[derive(Debug, Clone)]
pub struct Issued {
    /// The certificate.
    pub cert: PathBuf,
    /// Its private key.
    pub key: PathBuf,
}

/// Runs `openssl` in `dir` with the words of `command`, then `more` (which may hold spaces).
fn openssl(dir: &Path, command: &str, more: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(command.split_whitespace())
        .args(more)
        .output()
        .unwrap_or_else(|e| {
            panic!("openssl cannot run ({e}); `scripts/services start` installs it (apt)")
        });
    assert!(
        out.status.success(),
        "openssl {command}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A new P-256 key, unencrypted.
const NEW_KEY: &str = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";

impl TestCa {
    /// A new authority named `name`, in a new folder under the system's temp folder.
    pub fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("aistudio-ca-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("CA folder");
        openssl(
            &dir,
            &format!("req -x509 {NEW_KEY} -keyout ca.key -out ca.pem -days 2"),
            &["-subj", &format!("/CN={name}")],
        );
        Self {
            cert: dir.join("ca.pem"),
            dir,
        }
    }

    /// A server certificate signed by this authority, as `<name>.pem` and `<name>.key`
    /// (`name` is one word).
    pub fn issue(&self, name: &str) -> Issued {
        std::fs::write(
            self.dir.join(format!("{name}.ext")),
            "basicConstraints = critical, CA:FALSE\n\
             keyUsage = critical, digitalSignature\n\
             extendedKeyUsage = serverAuth\n\
             subjectAltName = DNS:localhost, IP:127.0.0.1\n",
        )
        .expect("extensions file");
        openssl(
            &self.dir,
            &format!("req -new {NEW_KEY} -keyout {name}.key -out {name}.csr -subj /CN={name}"),
            &[],
        );
        openssl(
            &self.dir,
            &format!(
                "x509 -req -in {name}.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 \
                 -extfile {name}.ext -out {name}.pem"
            ),
            &[],
        );
        Issued {
            cert: self.dir.join(format!("{name}.pem")),
            key: self.dir.join(format!("{name}.key")),
        }
    }

    /// The authority as a root a reqwest client can trust.
    pub fn root(&self) -> reqwest::Certificate {
        reqwest::Certificate::from_pem(&std::fs::read(&self.cert).expect("CA certificate"))
            .expect("CA certificate parses")
    }
}

impl Issued {
    /// The certificate in DER, as a server presents it.
    pub fn der(&self) -> Vec<u8> {
        let out = Command::new("openssl")
            .args(["x509", "-outform", "DER", "-in"])
            .arg(&self.cert)
            .output()
            .expect("openssl runs");
        assert!(out.status.success(), "openssl x509 -outform DER");
        out.stdout
    }
}

impl Drop for TestCa {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
