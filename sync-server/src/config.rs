//! Server configuration: embedded defaults, then an optional TOML file, then
//! `FIELDKIT_*` environment variables, then command-line flags (each later
//! source wins). With no file at all the server runs on the defaults.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Everything the server reads at start. See `docs/operators.md` for each key.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address and port to listen on.
    pub listen: SocketAddr,
    /// Folder holding the SQLite database (`fieldkit.sqlite3`).
    pub data: PathBuf,
    /// A `postgres://` URL: when set, records live in PostgreSQL instead of
    /// the SQLite file, and several instances may share it.
    pub database: Option<DatabaseUrl>,
    /// PostgreSQL connections this instance may hold open at once.
    pub database_pool: usize,
    /// A PostgreSQL read replica for exports and the analyst pages.
    pub database_replica: Option<DatabaseUrl>,
    /// Project name returned to devices at enrolment.
    pub project: String,
    /// PEM certificate chain and private key; TLS is on when both are set.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Most records (or tombstones) in one batch.
    pub max_batch: usize,
    /// Requests per minute a device may make on average ...
    pub rate_per_minute: u32,
    /// ... and in a burst.
    pub rate_burst: u32,
    /// Enrolment attempts per minute from one source address ...
    pub enrol_per_minute_per_source: u32,
    /// ... and from everyone together.
    pub enrol_per_minute: u32,
    /// Reverse proxies whose `X-Forwarded-For` names the real source
    /// address; empty (the default) means the header is never read.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Days the audit log keeps an entry; `audit prune` and the running
    /// server (daily) drop older ones. 0 keeps everything.
    pub audit_retention_days: u32,
    /// Days an enrolment code stays valid.
    pub enrol_code_days: u32,
    /// `text` or `json` log lines.
    pub log_format: LogFormat,
}

/// A database URL. It may carry a password, so `Debug` shows it without.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn new(url: impl Into<String>) -> DatabaseUrl {
        DatabaseUrl(url.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::store::postgres::redacted(&self.0))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data: PathBuf::from("fieldkit-data"),
            database: None,
            database_pool: 8,
            database_replica: None,
            project: "Fieldkit".to_owned(),
            tls_cert: None,
            tls_key: None,
            max_body_bytes: 8 * 1024 * 1024,
            max_batch: 500,
            rate_per_minute: 120,
            rate_burst: 60,
            enrol_per_minute_per_source: 10,
            enrol_per_minute: 60,
            trusted_proxies: Vec::new(),
            audit_retention_days: 400,
            enrol_code_days: 14,
            log_format: LogFormat::Text,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("environment variable {name}=`{value}`: {message}")]
    Env {
        name: &'static str,
        value: String,
        message: String,
    },
    #[error("tls_cert and tls_key must be set together (only one is set); set both for TLS, or neither and put a reverse proxy in front")]
    HalfTls,
}

impl Config {
    /// Defaults, overlaid by `file` if given.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        let Some(path) = file else {
            return Ok(Config::default());
        };
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: e.to_string(),
        })
    }

    /// Applies `FIELDKIT_*` overrides read through `var` (the process
    /// environment in production, a map in tests).
    pub fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        fn parse<T: std::str::FromStr>(name: &'static str, value: String) -> Result<T, ConfigError>
        where
            T::Err: std::fmt::Display,
        {
            value.parse().map_err(|e: T::Err| ConfigError::Env {
                name,
                message: e.to_string(),
                value,
            })
        }
        if let Some(v) = var("FIELDKIT_LISTEN") {
            self.listen = parse("FIELDKIT_LISTEN", v)?;
        }
        if let Some(v) = var("FIELDKIT_DATA") {
            self.data = PathBuf::from(v);
        }
        if let Some(v) = var("FIELDKIT_DATABASE") {
            self.database = Some(DatabaseUrl(v)).filter(|u| !u.0.is_empty());
        }
        if let Some(v) = var("FIELDKIT_DATABASE_REPLICA") {
            self.database_replica = Some(DatabaseUrl(v)).filter(|u| !u.0.is_empty());
        }
        if let Some(v) = var("FIELDKIT_DATABASE_POOL") {
            self.database_pool = parse("FIELDKIT_DATABASE_POOL", v)?;
        }
        if let Some(v) = var("FIELDKIT_PROJECT") {
            self.project = v;
        }
        if let Some(v) = var("FIELDKIT_TLS_CERT") {
            self.tls_cert = Some(PathBuf::from(v));
        }
        if let Some(v) = var("FIELDKIT_TLS_KEY") {
            self.tls_key = Some(PathBuf::from(v));
        }
        if let Some(v) = var("FIELDKIT_MAX_BODY_BYTES") {
            self.max_body_bytes = parse("FIELDKIT_MAX_BODY_BYTES", v)?;
        }
        if let Some(v) = var("FIELDKIT_MAX_BATCH") {
            self.max_batch = parse("FIELDKIT_MAX_BATCH", v)?;
        }
        if let Some(v) = var("FIELDKIT_RATE_PER_MINUTE") {
            self.rate_per_minute = parse("FIELDKIT_RATE_PER_MINUTE", v)?;
        }
        if let Some(v) = var("FIELDKIT_RATE_BURST") {
            self.rate_burst = parse("FIELDKIT_RATE_BURST", v)?;
        }
        if let Some(v) = var("FIELDKIT_ENROL_PER_MINUTE_PER_SOURCE") {
            self.enrol_per_minute_per_source = parse("FIELDKIT_ENROL_PER_MINUTE_PER_SOURCE", v)?;
        }
        if let Some(v) = var("FIELDKIT_ENROL_PER_MINUTE") {
            self.enrol_per_minute = parse("FIELDKIT_ENROL_PER_MINUTE", v)?;
        }
        if let Some(v) = var("FIELDKIT_TRUSTED_PROXIES") {
            self.trusted_proxies = v
                .split(',')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(|a| parse("FIELDKIT_TRUSTED_PROXIES", a.to_owned()))
                .collect::<Result<_, _>>()?;
        }
        if let Some(v) = var("FIELDKIT_AUDIT_RETENTION_DAYS") {
            self.audit_retention_days = parse("FIELDKIT_AUDIT_RETENTION_DAYS", v)?;
        }
        if let Some(v) = var("FIELDKIT_ENROL_CODE_DAYS") {
            self.enrol_code_days = parse("FIELDKIT_ENROL_CODE_DAYS", v)?;
        }
        if let Some(v) = var("FIELDKIT_LOG_FORMAT") {
            self.log_format = match v.as_str() {
                "text" => LogFormat::Text,
                "json" => LogFormat::Json,
                _ => {
                    return Err(ConfigError::Env {
                        name: "FIELDKIT_LOG_FORMAT",
                        value: v,
                        message: "expected `text` or `json`".to_owned(),
                    })
                }
            };
        }
        Ok(())
    }

    /// Checks combinations that each source alone cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.tls_cert.is_some() != self.tls_key.is_some() {
            return Err(ConfigError::HalfTls);
        }
        Ok(())
    }

    /// The SQLite database file inside the data folder.
    pub fn database_path(&self) -> PathBuf {
        self.data.join("fieldkit.sqlite3")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn file_then_environment_override_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("server.toml");
        std::fs::write(&file, "listen = \"0.0.0.0:9000\"\nmax_batch = 10\n").unwrap();
        let mut config = Config::load(Some(&file)).unwrap();
        assert_eq!(config.listen.port(), 9000);
        assert_eq!(config.max_batch, 10);
        assert_eq!(config.max_body_bytes, 8 * 1024 * 1024);

        let env = HashMap::from([
            ("FIELDKIT_LISTEN", "127.0.0.1:7000"),
            ("FIELDKIT_DATA", "/srv/fk"),
        ]);
        config
            .apply_env(|k| env.get(k).map(|v| (*v).to_owned()))
            .unwrap();
        assert_eq!(config.listen.port(), 7000);
        assert_eq!(config.data, PathBuf::from("/srv/fk"));
    }

    #[test]
    fn a_typo_in_the_file_or_a_bad_variable_is_reported_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("server.toml");
        std::fs::write(&file, "lisen = \"0.0.0.0:9000\"\n").unwrap();
        let err = Config::load(Some(&file)).unwrap_err().to_string();
        assert!(err.contains("lisen"), "{err}");

        let mut config = Config::default();
        let err = config
            .apply_env(|k| (k == "FIELDKIT_MAX_BATCH").then(|| "many".to_owned()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("FIELDKIT_MAX_BATCH"), "{err}");
    }

    #[test]
    fn tls_needs_both_files() {
        let config = Config {
            tls_cert: Some("cert.pem".into()),
            ..Config::default()
        };
        assert!(matches!(config.validate(), Err(ConfigError::HalfTls)));
    }
}
