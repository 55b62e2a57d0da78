//! Draining the outbox: oldest first, in batches. Each entry is marked
//! `sent` before its request and `acknowledged` (or `rejected`) only from
//! the server's answer, so an interrupted sync leaves `sent` entries that
//! the next sync puts back in the queue and resends; the server answers a
//! resend of something it has as `duplicate`, which counts as success.

use fieldkit_protocols::wire::{
    BatchResponse, RecordBatch, RecordEnvelope, RecordStatus, Tombstone, TombstoneBatch,
    TombstoneResponse,
};

use super::transport::{Failure, Offline, Transport};
use super::{SyncConfig, SyncError};
use crate::vault::{OutboxItem, Vault};

/// How far a sync has come, for the progress bar.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncProgress {
    /// Entries (records and withdrawals) the server has answered.
    pub done: usize,
    /// Entries waiting when this sync started.
    pub total: usize,
}

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Records stored for the first time.
    pub stored: usize,
    /// Records the server already had (a resend after a lost answer).
    pub duplicates: usize,
    /// Records refused or in conflict; kept in the outbox with the reason.
    pub rejected: usize,
    /// Withdrawals the server applied or kept.
    pub tombstones: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncOutcome {
    /// The outbox is drained (rejected entries stay, with their reason).
    Complete(SyncReport),
    /// The server could not be reached for long enough; what was answered
    /// is kept, the rest waits for the next sync.
    Offline { report: SyncReport, reason: String },
}

impl SyncOutcome {
    pub fn report(&self) -> &SyncReport {
        match self {
            SyncOutcome::Complete(report) | SyncOutcome::Offline { report, .. } => report,
        }
    }
}

pub(super) async fn drain(
    transport: &Transport,
    config: &SyncConfig,
    vault: &mut Vault,
    mut progress: impl FnMut(SyncProgress),
) -> Result<SyncOutcome, SyncError> {
    // Resume: whatever a previous sync sent without an answer goes again.
    let resumed = vault.requeue_unacknowledged()?;
    if resumed > 0 {
        tracing::info!(resumed, "resending entries sent without an answer");
    }
    let mut state = SyncProgress {
        done: 0,
        total: vault.pending(usize::MAX)?.len(),
    };
    progress(state);
    let mut report = SyncReport::default();
    let batch_size = config.batch_size.max(1);
    loop {
        let batch = vault.pending(batch_size)?;
        if batch.is_empty() {
            break;
        }
        let mut records = Vec::new();
        let mut tombstones = Vec::new();
        for entry in batch {
            match entry.item {
                Some(OutboxItem::Record(record)) => records.push(record),
                Some(OutboxItem::Tombstone(tombstone)) => tombstones.push(tombstone),
                // A pending entry always has its content; never loop on one that does not.
                None => {
                    vault.mark_rejected(entry.record_id, "content missing on the device", None)?;
                }
            }
        }
        let sent = match send_batch(transport, vault, records, tombstones, &mut report).await {
            Ok(sent) => sent,
            Err(Stop::Offline(Offline { reason })) => {
                vault.requeue_unacknowledged()?;
                tracing::info!(
                    done = state.done,
                    total = state.total,
                    "sync paused: offline"
                );
                return Ok(SyncOutcome::Offline { report, reason });
            }
            Err(Stop::Error(error)) => {
                // Leave nothing marked sent: the next sync resends it.
                let _ = vault.requeue_unacknowledged();
                return Err(error);
            }
        };
        state.done += sent;
        progress(state);
    }
    // Entries the server left unanswered wait for the next sync.
    vault.requeue_unacknowledged()?;
    tracing::info!(
        stored = report.stored,
        duplicates = report.duplicates,
        rejected = report.rejected,
        tombstones = report.tombstones,
        "sync complete"
    );
    Ok(SyncOutcome::Complete(report))
}

/// Why a batch stopped.
enum Stop {
    Offline(Offline),
    Error(SyncError),
}

impl From<Failure> for Stop {
    fn from(failure: Failure) -> Stop {
        match failure {
            Failure::Offline(offline) => Stop::Offline(offline),
            Failure::Fatal(error) => Stop::Error(error),
        }
    }
}

impl From<crate::vault::VaultError> for Stop {
    fn from(error: crate::vault::VaultError) -> Stop {
        Stop::Error(error.into())
    }
}

async fn send_batch(
    transport: &Transport,
    vault: &mut Vault,
    records: Vec<RecordEnvelope>,
    tombstones: Vec<Tombstone>,
    report: &mut SyncReport,
) -> Result<usize, Stop> {
    let records = send_records(transport, vault, records, report).await?;
    Ok(records + send_tombstones(transport, vault, tombstones, report).await?)
}

/// Sends one batch of records; returns how many the server answered.
async fn send_records(
    transport: &Transport,
    vault: &mut Vault,
    records: Vec<RecordEnvelope>,
    report: &mut SyncReport,
) -> Result<usize, Stop> {
    if records.is_empty() {
        return Ok(0);
    }
    for record in &records {
        vault.mark_sent(record.record_id)?;
    }
    let response: BatchResponse = transport
        .post_json("/api/v1/records", &RecordBatch::new(records))
        .await
        .map_err(Stop::from)?;
    let answered = response.results.len();
    for result in response.results {
        let id = result.record_id;
        match result.status {
            RecordStatus::Stored => {
                report.stored += 1;
                vault.mark_acknowledged(id)?;
            }
            RecordStatus::Duplicate => {
                report.duplicates += 1;
                vault.mark_acknowledged(id)?;
            }
            RecordStatus::Conflict { message } => {
                report.rejected += 1;
                tracing::warn!(record = %id, "record in conflict on the server");
                vault.mark_rejected(id, &format!("conflict: {message}"), None)?;
            }
            RecordStatus::Rejected { rule, reason } => {
                report.rejected += 1;
                tracing::warn!(record = %id, rule = rule.map_or("-", |r| r.id()), "record rejected");
                vault.mark_rejected(id, &reason, rule)?;
            }
        }
    }
    Ok(answered)
}

async fn send_tombstones(
    transport: &Transport,
    vault: &mut Vault,
    tombstones: Vec<Tombstone>,
    report: &mut SyncReport,
) -> Result<usize, Stop> {
    if tombstones.is_empty() {
        return Ok(0);
    }
    for tombstone in &tombstones {
        vault.mark_sent(tombstone.tombstone_id)?;
    }
    let response: TombstoneResponse = transport
        .post_json("/api/v1/tombstones", &TombstoneBatch::new(tombstones))
        .await
        .map_err(Stop::from)?;
    // Deleted, already deleted, or kept until the record arrives: the
    // server has the withdrawal in every case.
    for result in &response.results {
        vault.mark_acknowledged(result.tombstone_id)?;
        report.tombstones += 1;
    }
    Ok(response.results.len())
}
