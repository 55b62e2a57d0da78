//! From a `postgres://` URL to a pool: TLS as the URL's `sslmode` asks, and
//! a bounded number of connections per server instance.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::config::SslMode;
use tokio_postgres::NoTls;

use super::PgError;
use crate::store::StoreError;

/// How to reach the database. The URL may hold a password: `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct PgOptions {
    /// `postgres://user:password@host:port/database?sslmode=require`.
    pub url: String,
    /// Connections this instance may hold open at once.
    pub pool_size: usize,
    /// A read replica's URL: record scans (exports, analyst pages) read
    /// there; every write, audit entries included, goes to `url`.
    pub replica: Option<String>,
}

impl std::fmt::Debug for PgOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgOptions")
            .field("url", &redacted(&self.url))
            .field("pool_size", &self.pool_size)
            .field("replica", &self.replica.as_deref().map(redacted))
            .finish()
    }
}

impl PgOptions {
    pub fn new(url: impl Into<String>) -> PgOptions {
        PgOptions {
            url: url.into(),
            pool_size: 8,
            replica: None,
        }
    }
}

/// `postgres://user:***@host/db`: the URL without its password, for
/// messages and logs.
pub fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "(not a postgres:// URL)".to_owned();
    };
    match rest.split_once('@') {
        Some((user, host)) => {
            let user = user.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}")
        }
        None => url.to_owned(),
    }
}

fn config_error(message: String) -> StoreError {
    StoreError::Database(Box::new(PgError {
        message,
        source: None,
    }))
}

/// What the URL's query asks of TLS, in libpq's words.
struct Tls {
    mode: SslMode,
    root_cert: Option<PathBuf>,
}

/// Splits libpq's TLS settings off the URL. The driver knows only
/// `disable`, `prefer` and `require`, and never verifies by itself; here
/// every TLS connection verifies the certificate and the host name (what
/// libpq calls `verify-full`), so `require`, `verify-ca` and `verify-full`
/// all mean that. No `sslmode` means `disable`, as on a loopback socket.
fn split_tls(url: &str) -> Result<(String, Tls), StoreError> {
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(config_error(format!(
            "database `{}` is not a postgres:// URL; write it as postgres://user:password@host:5432/database",
            redacted(url)
        )));
    }
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut tls = Tls {
        mode: SslMode::Disable,
        root_cert: None,
    };
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "sslmode" => {
                tls.mode = match value {
                    "disable" => SslMode::Disable,
                    "prefer" => SslMode::Prefer,
                    "require" | "verify-ca" | "verify-full" => SslMode::Require,
                    other => {
                        return Err(config_error(format!(
                            "sslmode `{other}` is not known; use disable, require or verify-full"
                        )))
                    }
                };
            }
            "sslrootcert" => tls.root_cert = Some(PathBuf::from(percent_decode(value))),
            _ => kept.push(pair),
        }
    }
    let url = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((url, tls))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Trusted roots: the file named by `sslrootcert`, else the system's.
fn tls_config(root_cert: Option<&PathBuf>) -> Result<rustls::ClientConfig, StoreError> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::CertificateDer;
    let mut roots = rustls::RootCertStore::empty();
    match root_cert {
        Some(file) => {
            let certs = CertificateDer::pem_file_iter(file)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|e| {
                    config_error(format!(
                        "cannot read sslrootcert {}: {e}; give a PEM file of the CA that signed the database's certificate",
                        file.display()
                    ))
                })?;
            for cert in certs {
                roots
                    .add(cert)
                    .map_err(|e| config_error(format!("sslrootcert {}: {e}", file.display())))?;
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            for cert in found.certs {
                let _ = roots.add(cert);
            }
        }
    }
    if roots.is_empty() {
        return Err(config_error(
            "no trusted certificate authority for TLS to the database: install the system's CA certificates or name a PEM file with sslrootcert=".to_owned(),
        ));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| config_error(format!("TLS setup: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// A pool of at most `size` connections to `url`; connections open on
/// first use, in the runtime entered by the caller.
pub(super) fn pool(url: &str, size: usize) -> Result<Pool, StoreError> {
    let (plain_url, tls) = split_tls(url)?;
    let mut config: tokio_postgres::Config = plain_url
        .parse()
        .map_err(|e| config_error(format!("database URL {}: {e}", redacted(url))))?;
    config.ssl_mode(tls.mode);
    if config.get_application_name().is_none() {
        config.application_name("fieldkit-server");
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(10));
    }
    let manager_config = ManagerConfig {
        recycling_method: RecyclingMethod::Fast,
    };
    let manager = if tls.mode == SslMode::Disable {
        Manager::from_config(config, NoTls, manager_config)
    } else {
        let tls =
            tokio_postgres_rustls::MakeRustlsConnect::new(tls_config(tls.root_cert.as_ref())?);
        Manager::from_config(config, tls, manager_config)
    };
    Pool::builder(manager)
        .max_size(size.max(1))
        .runtime(Runtime::Tokio1)
        .create_timeout(Some(Duration::from_secs(10)))
        .wait_timeout(Some(Duration::from_secs(30)))
        .build()
        .map_err(|e| config_error(format!("connection pool: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_a_message() {
        assert_eq!(
            redacted("postgres://fk:s3cret@db.example:5432/fieldkit"),
            "postgres://fk:***@db.example:5432/fieldkit"
        );
        let debug = format!("{:?}", PgOptions::new("postgres://fk:s3cret@db/fk"));
        assert!(!debug.contains("s3cret"), "{debug}");
        let err = split_tls("mysql://fk:s3cret@db/fk")
            .err()
            .unwrap()
            .to_string();
        assert!(
            !err.contains("s3cret") && err.contains("postgres://"),
            "{err}"
        );
    }

    #[test]
    fn libpq_tls_words_are_understood_and_taken_off_the_url() {
        let (url, tls) =
            split_tls("postgres://fk@db/fk?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&application_name=x")
                .unwrap();
        assert_eq!(url, "postgres://fk@db/fk?application_name=x");
        assert_eq!(tls.mode, SslMode::Require);
        assert_eq!(tls.root_cert, Some(PathBuf::from("/etc/ca.pem")));
        let (url, tls) = split_tls("postgres://fk@127.0.0.1/fk").unwrap();
        assert_eq!(url, "postgres://fk@127.0.0.1/fk");
        assert_eq!(tls.mode, SslMode::Disable);
        assert!(split_tls("postgres://fk@db/fk?sslmode=allow").is_err());
    }
}
