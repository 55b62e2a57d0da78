//! Draining the outbox: oldest first, in batches. An entry changes state
//! only from the server's answer (`acknowledged` or `rejected`), all of a
//! batch's answers in one vault transaction. An interrupted sync leaves the
//! unanswered entries pending and the next sync resends them; the server
//! answers a resend of something it has as `duplicate`, which counts as
//! success. (Entries an older version left marked `sent` are requeued.)

use fieldkit_protocols::wire::{
    BatchResponse, RecordStatus, Tombstone, TombstoneBatch, TombstoneResponse, WireError,
};
use uuid::Uuid;

use std::collections::VecDeque;
use std::time::Instant;

use super::transport::{out_of_time, Body, Failure, Offline, Transport};
use super::{SyncConfig, SyncError};
use crate::vault::{OutboxState, Outgoing, Vault};

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
    let mut ahead = prepare(vault, &mut cursor, batch_size);
    // Up to IN_FLIGHT batches are with the server at once, so it never waits
    // for the phone between two: while it stores one, the next is already
    // there. Meanwhile the phone keeps the answers it has and reads,
    // decrypts and writes out the batch after. Answers are awaited in the
    // order the batches went, and an entry is marked only from its own
    // answer, so a phone stopped at any point resends at most what was not
    // yet kept, which the server answers as `duplicate`.
    let mut in_flight = VecDeque::with_capacity(IN_FLIGHT);
    let mut answered: Option<Answered> = None;
    loop {
        while in_flight.len() < IN_FLIGHT && Instant::now() < deadline {
            let batch = match std::mem::replace(&mut ahead, Ok(None)) {
                Ok(Some(batch)) => batch,
                // Nothing more to send, or the read failed: that error is
                // the answer once what is in flight has been kept.
                done => {
                    ahead = done;
                    break;
                }
            };
            vault.mark_batch(&batch.empty)?;
            in_flight.push_back(send(transport, batch, deadline));
            ahead = prepare(vault, &mut cursor, batch_size);
        }
        // Kept while the server works on the batches in flight.
        keep(vault, answered.take(), &mut state, &mut progress)?;
        let Some(oldest) = in_flight.pop_front() else {
            break;
        };
        match answer(transport, vault, oldest, &mut report, deadline).await {
            Ok(done) => answered = Some(done),
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
        }
    }
    if ahead?.is_some() {
        tracing::info!(
            done = state.done,
            total = state.total,
            "sync paused: time budget used up"
        );
        let reason = out_of_time(0).reason;
        return Ok(SyncOutcome::Offline { report, reason });
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

/// Batches with the server at once: two, so one is stored while the next
/// arrives; more would only hold more unanswered entries on a bad network.
const IN_FLIGHT: usize = 2;

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
    let (batch, next) = vault.outgoing_after(*cursor, batch_size)?;
    *cursor = next;
    if batch.is_empty() {
        return Ok(None);
    }
    let mut ids = Vec::new();
    let mut records = Vec::new();
    let mut tombstones = Vec::new();
    let mut empty = Vec::new();
    for entry in batch {
        match entry {
            Outgoing::Record(id, json) => {
                ids.push(id);
                records.push(json);
            }
            Outgoing::Tombstone(tombstone) => tombstones.push(tombstone),
            // A pending entry always has its content; never loop on one that does not.
            Outgoing::Missing(id) => {
                empty.push((id, rejected("content missing on the device", None)));
            }
        }
    }
    let records = if records.is_empty() {
        None
    } else {
        Some((ids, Body::records(RECORDS, &records)?))
    };
    Ok(Some(Prepared {
        empty,
        records,
        tombstones,
    }))
}

/// A batch answered by the server.
struct Answered {
    /// Answers not yet kept in the vault.
    answers: Vec<(Uuid, OutboxState)>,
    /// Entries the server answered, records and withdrawals.
    count: usize,
}

/// A batch on its way: its records' request running, its withdrawals
/// held until those records are answered.
struct Sent {
    records: Option<(Vec<Uuid>, Call)>,
    tombstones: Vec<Tombstone>,
}

type Call = tokio::task::JoinHandle<Result<BatchResponse, Failure>>;

/// Starts the request for a batch's records; the answer is awaited later.
fn send(transport: &Transport, batch: Prepared, deadline: Instant) -> Sent {
    let records = batch.records.map(|(ids, body)| {
        let transport = transport.clone();
        let call = tokio::spawn(async move {
            transport
                .post_body::<BatchResponse>(RECORDS, body, deadline)
                .await
        });
        (ids, call)
    });
    Sent {
        records,
        tombstones: batch.tombstones,
    }
}

/// Waits for the answer to a batch's records, then sends its withdrawals:
/// after the records, so a record and its withdrawal arrive in the order
/// they were made.
async fn answer(
    transport: &Transport,
    vault: &mut Vault,
    Sent {
        records,
        tombstones,
    }: Sent,
    report: &mut SyncReport,
    deadline: Instant,
) -> Result<Answered, Stop> {
    let answers = match records {
        Some((sent, call)) => answers_for(&sent, call, report).await?,
        None => Vec::new(),
    };
    if tombstones.is_empty() {
        let count = answers.len();
        return Ok(Answered { answers, count });
    }
    // Kept first: a withdrawal that fails to go never costs the answers.
    vault.mark_batch(&answers)?;
    let withdrawn = send_tombstones(transport, vault, tombstones, report, deadline).await?;
    Ok(Answered {
        answers: Vec::new(),
        count: answers.len() + withdrawn,
    })
}

/// Keeps a batch's answers, all in one vault transaction: if the phone
/// stops before it commits, the batch is simply resent and the server
/// answers `duplicate`.
fn keep(
    vault: &mut Vault,
    answered: Option<Answered>,
    state: &mut SyncProgress,
    progress: &mut impl FnMut(SyncProgress),
) -> Result<(), SyncError> {
    let Some(Answered { answers, count }) = answered else {
        return Ok(());
    };
    vault.mark_batch(&answers)?;
    state.done += count;
    progress(*state);
    Ok(())
}

/// Waits for the server's answer to one batch of records and reads it.
async fn answers_for(
    sent: &[Uuid],
    call: Call,
    report: &mut SyncReport,
) -> Result<Vec<(Uuid, OutboxState)>, Stop> {
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
    Ok(answers)
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
