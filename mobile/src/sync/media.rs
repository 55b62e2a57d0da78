//! Media download: every picture and sound a pinned protocol's manifest
//! names, fetched by hash with HTTP ranges (a cut connection resumes from
//! the last byte that arrived), checked against the manifest's SHA-256 and
//! size, and kept sealed in the vault. A file that does not match (edited
//! after publishing, damaged) is refused and not kept: that protocol is not
//! offered until the server serves the published bytes.
//!
//! What arrived of a file before a cut is kept sealed in the vault too
//! (`Vault::keep_partial_media`), so a sync that ends mid-file (no signal,
//! out of time) leaves the next sync only the rest to fetch.

use std::collections::BTreeSet;
use std::time::Instant;

use fieldkit_protocols::media::MediaEntry;
use fieldkit_protocols::Protocol;
use zeroize::Zeroizing;

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

/// Where a media download stands, for the sync screen: files pinned and
/// bytes held (kept partials included) of what was missing at the start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MediaProgress {
    pub files_done: usize,
    pub files_total: usize,
    pub bytes_done: u64,
    pub bytes_total: u64,
}

/// One file to fetch: its manifest path (for messages) and entry.
pub(super) type Wanted = (String, MediaEntry);

/// The files `protocols` still lack, each hash once (two versions may share
/// a card).
pub(super) fn wanted(vault: &Vault, protocols: &[Protocol]) -> Result<Vec<Wanted>, SyncError> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for protocol in protocols {
        for path in vault.missing_media(protocol)? {
            let entry = &protocol.media[&path];
            if seen.insert(entry.sha256.clone()) {
                out.push((path, entry.clone()));
            }
        }
    }
    Ok(out)
}

/// Fetches and pins `files`. Being offline is not an error: what is
/// missing waits for the next sync, with what arrived of it kept.
pub(super) async fn pin_missing(
    transport: &Transport,
    vault: &mut Vault,
    files: &[Wanted],
    deadline: Instant,
    progress: &mut dyn FnMut(MediaProgress),
) -> Result<MediaReport, SyncError> {
    let mut report = MediaReport::default();
    let mut at = MediaProgress {
        files_total: files.len(),
        bytes_total: files.iter().map(|(_, e)| e.bytes).sum(),
        ..MediaProgress::default()
    };
    if !files.is_empty() {
        tracing::info!(
            files = at.files_total,
            bytes = at.bytes_total,
            "protocol media download started"
        );
        progress(at);
    }
    for (path, entry) in files {
        let settled = at.bytes_done;
        let mut show = |have: u64| {
            at.bytes_done = settled + have.min(entry.bytes);
            progress(at);
        };
        match fetch(
            transport,
            vault,
            entry,
            deadline,
            &mut report.bytes,
            &mut show,
        )
        .await
        {
            Ok(bytes) => match vault.pin_media(&entry.sha256, &bytes) {
                Ok(()) => {
                    report.pinned += 1;
                    at.files_done += 1;
                    at.bytes_done = settled + entry.bytes;
                }
                Err(crate::vault::VaultError::InvalidSettings(reason)) => {
                    tracing::warn!("media file refused: hash mismatch");
                    // Wrong bytes are not resumed from: the next try starts over.
                    vault.drop_partial_media(&entry.sha256)?;
                    report.refused.push(format!("{path}: {reason}"));
                    at.bytes_done = settled;
                }
                Err(other) => return Err(other.into()),
            },
            Err(Failure::Offline(_)) => {
                report.waiting += 1;
                let kept = vault.partial_media(&entry.sha256)?.map_or(0, |p| p.len());
                at.bytes_done = settled + kept as u64;
            }
            Err(Failure::Fatal(SyncError::Refused {
                status, message, ..
            })) => {
                report.refused.push(format!(
                    "{path}: the server refused it (HTTP {status}: {message})"
                ));
                at.bytes_done = settled;
            }
            Err(Failure::Fatal(error)) => return Err(error),
        }
        progress(at);
    }
    Ok(report)
}

/// One file, from what an earlier sync kept of it, resumed across cuts
/// until complete, the time budget or the try limit (counted only while no
/// byte arrives). Every cut keeps what arrived, sealed in the vault.
async fn fetch(
    transport: &Transport,
    vault: &mut Vault,
    entry: &MediaEntry,
    deadline: Instant,
    received: &mut u64,
    show: &mut dyn FnMut(u64),
) -> Result<Zeroizing<Vec<u8>>, Failure> {
    let path = format!("/api/v1/media/{}", entry.sha256.hex());
    let vault_failure = |e: crate::vault::VaultError| Failure::Fatal(e.into());
    let mut bytes = vault
        .partial_media(&entry.sha256)
        .map_err(vault_failure)?
        .filter(|kept| (kept.len() as u64) < entry.bytes)
        .unwrap_or_default();
    if !bytes.is_empty() {
        tracing::debug!(
            have = bytes.len(),
            of = entry.bytes,
            "media download resumed from an earlier sync"
        );
        show(bytes.len() as u64);
    }
    let mut fruitless = 0;
    loop {
        if Instant::now() >= deadline {
            return Err(Failure::Offline(super::transport::out_of_time(fruitless)));
        }
        let got = match transport
            .get_from(&path, bytes.len() as u64, deadline, &mut *show)
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
        if progressed {
            vault
                .keep_partial_media(&entry.sha256, &bytes)
                .map_err(vault_failure)?;
        } else {
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
