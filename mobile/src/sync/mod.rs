//! The sync client: enrolment, protocol download (pinned by hash, R4) and
//! draining the outbox to the server, over HTTP(S) with rustls.
//!
//! Everything is `async` so the app can run it in a spawned task. No
//! connection is a normal state ([`SyncOutcome::Offline`]), not an error:
//! records stay in the outbox and the next sync resends them. Resending is
//! safe because the server answers a record it already has as `duplicate`.
//!
//! Stages, one module each: [`transport`] (requests, retries with backoff
//! and jitter), [`enrol`], [`protocols`], [`drain`] (the outbox),
//! [`feedback`] (the supervisor's notes down, acknowledgements up).

mod clock;
mod drain;
mod enrol;
mod feedback;
mod media;
mod packs;
mod protocols;
mod transport;

use std::time::Duration;

use fieldkit_protocols::wire::{SyncStatus, WireError};
use fieldkit_protocols::Rule;

pub use clock::ClockCheck;
pub use drain::{SyncOutcome, SyncProgress, SyncReport};
pub use enrol::{enrol, Enrolment};
pub use feedback::FeedbackReport;
pub use media::{media_complete, MediaProgress, MediaReport};
pub use protocols::{download_protocols, ProtocolsReport};
pub use transport::Offline;

use crate::vault::{Vault, VaultError};
use transport::Transport;

/// How the client talks to the server. The defaults suit a phone; tests
/// shorten the delays.
#[derive(Clone, Debug)]
pub struct SyncConfig {
    /// Records (or tombstones) per request; the server accepts up to 500.
    pub batch_size: usize,
    /// Tries per request before giving up for this sync (then: offline).
    pub max_attempts: u32,
    /// First retry delay; doubled each try, up to `max_delay`, with jitter.
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// Time for one whole request, including a slow upload: a dead or
    /// half-open connection ends as a failed try, never a hang.
    pub request_timeout: Duration,
    /// Time to open a connection.
    pub connect_timeout: Duration,
    /// Longest one sync may run, retries included. When it is used up the
    /// sync ends as [`SyncOutcome::Offline`]; answered entries are kept and
    /// the rest stays in the outbox for the next sync.
    pub sync_budget: Duration,
}

impl Default for SyncConfig {
    fn default() -> Self {
        SyncConfig {
            batch_size: 50,
            max_attempts: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            request_timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            sync_budget: Duration::from_secs(10 * 60),
        }
    }
}

/// What stops a sync and needs a person (offline is not one of these).
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("this device is not enrolled yet: enrol it with the server address and the code from your coordinator")]
    NotEnrolled,
    #[error("accept the code of practice in the app before enrolling this phone (R15)")]
    CodeOfPracticeNotAccepted,
    #[error("the server address `{url}` is not usable: {message}")]
    BadServerUrl { url: String, message: String },
    #[error("the server refused this device ({code}): {message}")]
    Unauthorised { code: String, message: String },
    #[error("the server refused the request to {path} with HTTP {status}: {message}")]
    Refused {
        path: &'static str,
        status: u16,
        message: String,
    },
    #[error("the server's answer to {path} could not be read: {source}")]
    BadAnswer {
        path: &'static str,
        source: WireError,
    },
    #[error("cannot reach the server to {what}: {reason}; check the connection and try again")]
    Unreachable { what: &'static str, reason: String },
    #[error(transparent)]
    Vault(#[from] VaultError),
}

/// A device's connection to its server, made from what enrolment stored.
#[derive(Debug, Clone)]
pub struct SyncClient {
    transport: Transport,
    config: SyncConfig,
}

impl SyncClient {
    /// Reads the server address and device token from the vault.
    pub fn from_vault(vault: &Vault, config: SyncConfig) -> Result<SyncClient, SyncError> {
        let settings = vault.settings()?;
        let (Some(url), Some(token)) = (settings.server_url, settings.device_token) else {
            return Err(SyncError::NotEnrolled);
        };
        let transport = Transport::new(&url, Some(token.expose()), &config)?;
        Ok(SyncClient { transport, config })
    }

    /// Downloads the project's protocols and pins new versions in the vault.
    pub async fn download_protocols(
        &self,
        vault: &mut Vault,
    ) -> Result<ProtocolsReport, SyncError> {
        protocols::download(&self.transport, vault, &mut |_| {}).await
    }

    /// Like [`SyncClient::download_protocols`], calling `progress` as the
    /// protocols' pictures and sounds arrive.
    pub async fn download_protocols_with(
        &self,
        vault: &mut Vault,
        mut progress: impl FnMut(MediaProgress),
    ) -> Result<ProtocolsReport, SyncError> {
        protocols::download(&self.transport, vault, &mut progress).await
    }

    /// Sends everything waiting in the outbox (records and tombstones),
    /// calling `progress` after every batch.
    pub async fn sync(
        &self,
        vault: &mut Vault,
        progress: impl FnMut(SyncProgress),
    ) -> Result<SyncOutcome, SyncError> {
        drain::drain(&self.transport, &self.config, vault, progress).await
    }

    /// Sends the researcher's acknowledgements of supervisor notes, then
    /// fetches the notes on this device's records into the vault.
    pub async fn exchange_feedback(&self, vault: &mut Vault) -> Result<FeedbackReport, SyncError> {
        feedback::exchange(&self.transport, &self.config, vault).await
    }

    /// Request bytes this client has put on the wire so far (gzip bodies,
    /// retries included): what a sync costs on a paid data plan.
    pub fn bytes_sent(&self) -> u64 {
        self.transport.bytes_sent()
    }

    /// The server's time against the phone's, from the latest answer's
    /// `Date` header; `None` before any answer.
    pub fn clock(&self) -> Option<ClockCheck> {
        self.transport.clock()
    }

    /// What the server holds from this device.
    pub async fn status(&self) -> Result<SyncStatus, SyncError> {
        self.transport
            .get_json("/api/v1/status", "read the sync status")
            .await
    }
}

/// How a rejected or conflicting record is shown: the rule id first.
pub fn describe_rejection(reason: &str, rule: Option<Rule>) -> String {
    match rule {
        Some(rule) => format!("{}: {reason}", rule.id()),
        None => reason.to_owned(),
    }
}

#[cfg(test)]
mod tests;
