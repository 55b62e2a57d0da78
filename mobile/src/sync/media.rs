//! Media download: every picture and sound a pinned protocol's manifest
//! names, fetched by hash with HTTP ranges (a cut connection resumes from
//! the last byte that arrived), checked against the manifest's SHA-256 and
//! size, and kept sealed in the vault. A file that does not match (edited
//! after publishing, damaged) is refused and not kept: that protocol is not
//! offered until the server serves the published bytes.

use std::time::Instant;

use fieldkit_protocols::media::MediaEntry;
use fieldkit_protocols::Protocol;

use super::transport::{Failure, Transport};
use super::SyncError;
use crate::vault::Vault;

/// What a media download did for one protocol.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MediaReport {
    /// Files fetched and pinned now.
    pub pinned: usize,
    /// Files still missing (no connection, out of time).
    pub waiting: usize,
    /// Files refused, each with the reason to show.
    pub refused: Vec<String>,
    /// Bytes received, ranges resumed included.
    pub bytes: u64,
}

/// Fetches and pins what `protocol` still lacks. Being offline is not an
/// error: what is missing waits for the next sync.
pub(super) async fn pin_missing(
    transport: &Transport,
    vault: &mut Vault,
    protocol: &Protocol,
    deadline: Instant,
) -> Result<MediaReport, SyncError> {
    let mut report = MediaReport::default();
    for path in vault.missing_media(protocol)? {
        let entry = &protocol.media[&path];
        match fetch(transport, entry, deadline, &mut report.bytes).await {
            Ok(bytes) => match vault.pin_media(&entry.sha256, &bytes) {
                Ok(()) => report.pinned += 1,
                Err(crate::vault::VaultError::InvalidSettings(reason)) => {
                    tracing::warn!(protocol = %protocol.id, "media file refused: hash mismatch");
                    report.refused.push(format!("{path}: {reason}"));
                }
                Err(other) => return Err(other.into()),
            },
            Err(Failure::Offline(_)) => report.waiting += 1,
            Err(Failure::Fatal(SyncError::Refused {
                status, message, ..
            })) => {
                report.refused.push(format!(
                    "{path}: the server refused it (HTTP {status}: {message})"
                ));
            }
            Err(Failure::Fatal(error)) => return Err(error),
        }
    }
    Ok(report)
}

/// One file, resumed across cuts until complete, the time budget or the
/// try limit (counted only while no byte arrives).
async fn fetch(
    transport: &Transport,
    entry: &MediaEntry,
    deadline: Instant,
    received: &mut u64,
) -> Result<Vec<u8>, Failure> {
    let hex = entry
        .sha256
        .as_str()
        .strip_prefix("sha256:")
        .unwrap_or_default();
    let path = format!("/api/v1/media/{hex}");
    let mut bytes: Vec<u8> = Vec::new();
    let mut fruitless = 0;
    loop {
        if Instant::now() >= deadline {
            return Err(Failure::Offline(super::transport::out_of_time(fruitless)));
        }
        let got = match transport
            .get_from(&path, bytes.len() as u64, deadline)
            .await
        {
            Ok(got) => got,
            Err(Failure::Offline(offline)) => {
                fruitless += 1;
                if fruitless >= transport.max_attempts() {
                    return Err(Failure::Offline(offline));
                }
                tokio::time::sleep(transport.backoff(fruitless)).await;
                continue;
            }
            Err(fatal) => return Err(fatal),
        };
        *received += got.bytes.len() as u64;
        if got.from_start {
            bytes.clear();
        }
        let progressed = !got.bytes.is_empty();
        bytes.extend_from_slice(&got.bytes);
        if bytes.len() as u64 > entry.bytes {
            // Longer than published: not the file. Checked by hash below.
            return Ok(bytes);
        }
        if got.complete || bytes.len() as u64 == entry.bytes {
            return Ok(bytes);
        }
        tracing::debug!(
            have = bytes.len(),
            of = entry.bytes,
            "media download cut; resuming"
        );
        if !progressed {
            fruitless += 1;
            if fruitless >= transport.max_attempts() {
                return Err(Failure::Offline(super::transport::Offline {
                    reason: "the connection keeps breaking before any byte arrives".into(),
                }));
            }
            tokio::time::sleep(transport.backoff(fruitless)).await;
        }
    }
}

/// Whether every file of `protocol` is pinned (so it may be offered).
pub fn media_complete(vault: &Vault, protocol: &Protocol) -> Result<bool, SyncError> {
    Ok(vault.missing_media(protocol)?.is_empty())
}
