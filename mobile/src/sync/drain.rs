//! Draining the outbox: oldest first, in batches. An entry changes state
//! only from the server's answer (`acknowledged` or `rejected`), all of a
//! batch's answers in one vault transaction. An interrupted sync leaves the
//! unanswered entries pending and the next sync resends them; the server
//! answers a resend of something it has as `duplicate`, which counts as
//! success. (Entries an older version left marked `sent` are requeued.)

use fieldkit_protocols::wire::{
    BatchResponse, RecordBatch, RecordStatus, Tombstone, TombstoneBatch, TombstoneResponse,
    WireError,
};
use uuid::Uuid;

use std::time::Instant;

use super::transport::{out_of_time, Body, Failure, Offline, Transport};
use super::{SyncConfig, SyncError};
use crate::vault::{OutboxItem, OutboxState, Vault};

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
    // Bounds the whole sync, retries included: a phone never hangs on a
    // bad network; what is left waits in the outbox for the next sync.
    let deadline = transport.deadline();
    // Resume: whatever a previous sync sent without an answer goes again.
    let resumed = vault.requeue_unacknowledged()?;
    if resumed > 0 {
        tracing::info!(resumed, "resending entries sent without an answer");
    }
    let mut state = SyncProgress {
        done: 0,
        total: vault.pending_count()?,
    };
    progress(state);
    let mut report = SyncReport::default();
    let batch_size = config.batch_size.max(1);
    // Walks the outbox once: entries the server leaves unanswered stay
    // pending behind the cursor and go again next sync.
    let mut cursor = 0;
    let mut next = prepare(vault, &mut cursor, batch_size)?;
    while let Some(batch) = next.take() {
        if Instant::now() >= deadline {
            tracing::info!(
                done = state.done,
                total = state.total,
                "sync paused: time budget used up"
            );
            let reason = out_of_time(0).reason;
            return Ok(SyncOutcome::Offline { report, reason });
        }
        vault.mark_batch(&batch.empty)?;
        // The server answers this batch while the phone reads, decrypts and
        // writes out the next one: one batch ahead, never more. Batches are
        // still sent one at a time, in order, and each batch's answers are
        // kept before the next is sent, so nothing is sent twice that was
        // answered, and nothing is marked that was not.
        let answer = batch.records.map(|(ids, body)| {
            let transport = transport.clone();
            let call = tokio::spawn(async move {
                transport
                    .post_body::<BatchResponse>(RECORDS, body, deadline)
                    .await
            });
            (ids, call)
        });
        let ahead = prepare(vault, &mut cursor, batch_size);
        let sent = match send_batch(
            transport,
            vault,
            answer,
            batch.tombstones,
            &mut report,
            deadline,
        )
        .await
        {
            Ok(sent) => sent,
            Err(Stop::Offline(Offline { reason })) => {
                tracing::info!(
                    done = state.done,
                    total = state.total,
                    "sync paused: offline"
                );
                return Ok(SyncOutcome::Offline { report, reason });
            }
            // Unanswered entries stay pending: the next sync resends them.
            Err(Stop::Error(error)) => return Err(error),
        };
        state.done += sent;
        progress(state);
        next = ahead?;
    }
    tracing::info!(
        stored = report.stored,
        duplicates = report.duplicates,
        rejected = report.rejected,
        tombstones = report.tombstones,
        bytes_sent = transport.bytes_sent(),
        "sync complete"
    );
    Ok(SyncOutcome::Complete(report))
}

fn rejected(reason: &str, rule: Option<fieldkit_protocols::Rule>) -> OutboxState {
    OutboxState::Rejected {
        reason: reason.to_owned(),
        rule,
    }
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

const RECORDS: &str = "/api/v1/records";

/// A batch read from the outbox, ready to send.
struct Prepared {
    /// Entries without content: answered on the phone, never sent.
    empty: Vec<(Uuid, OutboxState)>,
    /// The records' ids and their request body, already written.
    records: Option<(Vec<Uuid>, Body)>,
    tombstones: Vec<Tombstone>,
}

/// Reads the next batch after `cursor` and writes its records' request
/// body; `None` once the outbox has nothing more to send.
fn prepare(
    vault: &Vault,
    cursor: &mut i64,
    batch_size: usize,
) -> Result<Option<Prepared>, SyncError> {
    let (batch, next) = vault.pending_after(*cursor, batch_size)?;
    *cursor = next;
    if batch.is_empty() {
        return Ok(None);
    }
    let mut records = Vec::new();
    let mut tombstones = Vec::new();
    let mut empty = Vec::new();
    for entry in batch {
        match entry.item {
            Some(OutboxItem::Record(record)) => records.push(record),
            Some(OutboxItem::Tombstone(tombstone)) => tombstones.push(tombstone),
            // A pending entry always has its content; never loop on one that does not.
            None => empty.push((
                entry.record_id,
                rejected("content missing on the device", None),
            )),
        }
    }
    let records = if records.is_empty() {
        None
    } else {
        let ids = records.iter().map(|r| r.record_id).collect();
        Some((ids, Body::json(RECORDS, &RecordBatch::new(records))?))
    };
    Ok(Some(Prepared {
        empty,
        records,
        tombstones,
    }))
}

type InFlight = (
    Vec<Uuid>,
    tokio::task::JoinHandle<Result<BatchResponse, Failure>>,
);

async fn send_batch(
    transport: &Transport,
    vault: &mut Vault,
    records: Option<InFlight>,
    tombstones: Vec<Tombstone>,
    report: &mut SyncReport,
    deadline: Instant,
) -> Result<usize, Stop> {
    let records = match records {
        Some((sent, call)) => keep_answers(vault, &sent, call, report).await?,
        None => 0,
    };
    Ok(records + send_tombstones(transport, vault, tombstones, report, deadline).await?)
}

/// Waits for the server's answer to one batch of records; returns how many
/// it answered. All answers are kept in one vault transaction: if the phone
/// stops before it commits, the batch is simply resent and the server
/// answers `duplicate`.
async fn keep_answers(
    vault: &mut Vault,
    sent: &[Uuid],
    call: tokio::task::JoinHandle<Result<BatchResponse, Failure>>,
    report: &mut SyncReport,
) -> Result<usize, Stop> {
    let response = call
        .await
        .map_err(|e| {
            Stop::Offline(Offline {
                reason: format!("the request stopped: {e}"),
            })
        })?
        .map_err(Stop::from)?;
    only_answers_for(RECORDS, sent, response.results.iter().map(|r| r.record_id))?;
    let mut answers = Vec::with_capacity(response.results.len());
    for result in response.results {
        let id = result.record_id;
        let answer = match result.status {
            RecordStatus::Stored => {
                report.stored += 1;
                OutboxState::Acknowledged
            }
            RecordStatus::Duplicate => {
                report.duplicates += 1;
                OutboxState::Acknowledged
            }
            RecordStatus::Conflict { message } => {
                report.rejected += 1;
                tracing::warn!(record = %id, "record in conflict on the server");
                rejected(&format!("conflict: {message}"), None)
            }
            RecordStatus::Rejected { rule, reason } => {
                report.rejected += 1;
                tracing::warn!(record = %id, rule = rule.map_or("-", |r| r.id()), "record rejected");
                rejected(&reason, rule)
            }
        };
        answers.push((id, answer));
    }
    vault.mark_batch(&answers)?;
    Ok(answers.len())
}

async fn send_tombstones(
    transport: &Transport,
    vault: &mut Vault,
    tombstones: Vec<Tombstone>,
    report: &mut SyncReport,
    deadline: Instant,
) -> Result<usize, Stop> {
    if tombstones.is_empty() {
        return Ok(0);
    }
    let sent: Vec<Uuid> = tombstones.iter().map(|t| t.tombstone_id).collect();
    let response: TombstoneResponse = transport
        .post_json(
            "/api/v1/tombstones",
            &TombstoneBatch::new(tombstones),
            deadline,
        )
        .await
        .map_err(Stop::from)?;
    only_answers_for(
        "/api/v1/tombstones",
        &sent,
        response.results.iter().map(|r| r.tombstone_id),
    )?;
    // Deleted, already deleted, or kept until the record arrives: the
    // server has the withdrawal in every case.
    let answers: Vec<_> = response
        .results
        .iter()
        .map(|result| (result.tombstone_id, OutboxState::Acknowledged))
        .collect();
    vault.mark_batch(&answers)?;
    report.tombstones += answers.len();
    Ok(answers.len())
}

/// Refuses a whole answer that names an entry this batch did not send:
/// trusting it could mark another outbox entry delivered (and purge its
/// content) although the server never had it. Nothing is marked; the batch
/// goes again next sync. Entries the answer leaves out simply stay pending.
fn only_answers_for(
    path: &'static str,
    sent: &[Uuid],
    answered: impl Iterator<Item = Uuid>,
) -> Result<(), Stop> {
    let sent: std::collections::HashSet<&Uuid> = sent.iter().collect();
    for id in answered {
        if !sent.contains(&id) {
            tracing::warn!(%id, path, "the server answered for an entry this batch did not send");
            return Err(Stop::Error(SyncError::BadAnswer {
                path,
                source: WireError::Malformed {
                    what: "server's answer",
                    message: format!(
                        "it answers for {id}, which this batch did not send; nothing was marked as delivered"
                    ),
                },
            }));
        }
    }
    Ok(())
}
