//! The outbox: finalised, anonymised records waiting to sync, and what the
//! server said about each; withdrawals (R9).
//!
//! A record's content is sealed JSON; its state (pending, sent, acknowledged,
//! rejected) is a plain column so the sync client can ask for the next batch.
//! Who the record is about (the respondent's reference number) is sealed with
//! the state details, so a withdrawal can find every record of a respondent,
//! even one whose content was purged after acknowledgement.

use fieldkit_protocols::refnum::RefNumber;
use fieldkit_protocols::wire::{RecordEnvelope, Tombstone};
use fieldkit_protocols::Rule;
use rusqlite::params;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use super::crypto::{open, open_json, seal, seal_json, RecordKind, RecordRef, RECORD_FORMAT};
use super::{DataKey, Retention, Vault, VaultError};

mod batch;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutboxState {
    Pending,
    Sent,
    Acknowledged,
    Rejected { reason: String, rule: Option<Rule> },
}

impl OutboxState {
    fn column(&self) -> &'static str {
        match self {
            OutboxState::Pending => "pending",
            OutboxState::Sent => "sent",
            OutboxState::Acknowledged => "acknowledged",
            OutboxState::Rejected { .. } => "rejected",
        }
    }
}

/// What an outbox entry carries.
#[derive(Clone, Debug, PartialEq)]
pub enum OutboxItem {
    Record(RecordEnvelope),
    /// Asks the server to delete a record it already has (a withdrawal).
    Tombstone(Tombstone),
}

#[derive(Clone, Debug, PartialEq)]
pub struct OutboxEntry {
    /// The record's id; for a tombstone its `tombstone_id`.
    pub record_id: Uuid,
    pub respondent: Option<String>,
    pub state: OutboxState,
    /// `None` once an acknowledged record was purged (see [`Retention`]).
    pub item: Option<OutboxItem>,
}

/// What a withdrawal did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WithdrawalReport {
    pub sessions_deleted: usize,
    /// Records that had not reached the server: simply deleted.
    pub unsent_deleted: usize,
    /// One per record the server may have; queued to sync.
    pub tombstones_queued: usize,
}

/// The sealed part of an outbox row besides the content.
#[derive(Serialize, Deserialize)]
struct Meta {
    respondent: Option<String>,
    /// Kept so a tombstone can be made after the content was purged.
    device_id: Uuid,
    tombstone_for: Option<Uuid>,
    rejection: Option<(String, Option<Rule>)>,
}

fn meta_ref(id: Uuid) -> RecordRef {
    RecordRef::new(RecordKind::OutboxMeta, id.to_string())
}

fn payload_ref(id: Uuid) -> RecordRef {
    RecordRef::new(RecordKind::OutboxPayload, id.to_string())
}

/// One raw outbox row.
struct Row {
    record_id: Uuid,
    state: String,
    format: u32,
    meta: Vec<u8>,
    payload: Option<Vec<u8>>,
}

impl Vault {
    /// Queues a finalised record. Queuing the same record again is a no-op;
    /// the same id with other content is an [`VaultError::OutboxConflict`].
    pub fn enqueue(&mut self, record: &RecordEnvelope) -> Result<(), VaultError> {
        let key = self.key()?;
        let id = record.record_id;
        let json = zeroize::Zeroizing::new(serde_json::to_vec(record).map_err(|e| {
            VaultError::Encode {
                record: payload_ref(id).describe(),
                detail: e.to_string(),
            }
        })?);
        if let Some(existing) = self.outbox_row(id)? {
            return match existing.payload {
                Some(sealed)
                    if open(key, &payload_ref(id), existing.format, &sealed)?[..] != json[..] =>
                {
                    Err(VaultError::OutboxConflict { record_id: id })
                }
                _ => Ok(()),
            };
        }
        let meta = Meta {
            respondent: Some(record.respondent.clone()).filter(|r| !r.is_empty()),
            device_id: record.device_id,
            tombstone_for: None,
            rejection: None,
        };
        insert(&self.conn, key, id, &meta, &json)
    }

    /// Every outbox entry, oldest first.
    pub fn outbox(&self) -> Result<Vec<OutboxEntry>, VaultError> {
        self.entries(
            "SELECT record_id, state, format, meta, payload FROM outbox ORDER BY position",
            [],
        )
    }

    /// The oldest pending entries, at most `limit`.
    pub fn pending(&self, limit: usize) -> Result<Vec<OutboxEntry>, VaultError> {
        self.entries(
            "SELECT record_id, state, format, meta, payload FROM outbox
             WHERE state = 'pending' ORDER BY position LIMIT ?1",
            [i64::try_from(limit).unwrap_or(i64::MAX)],
        )
    }

    pub fn mark_sent(&mut self, record_id: Uuid) -> Result<(), VaultError> {
        self.set_state(record_id, &OutboxState::Sent)
    }

    /// The server has the record. Under [`Retention::PurgeAcknowledged`] its
    /// content is deleted now; the id stays for a later withdrawal.
    pub fn mark_acknowledged(&mut self, record_id: Uuid) -> Result<(), VaultError> {
        self.set_state(record_id, &OutboxState::Acknowledged)?;
        if self.retention() == Retention::PurgeAcknowledged {
            self.conn.execute(
                "UPDATE outbox SET payload = NULL WHERE record_id = ?1",
                [record_id.to_string()],
            )?;
        }
        Ok(())
    }

    pub fn mark_rejected(
        &mut self,
        record_id: Uuid,
        reason: &str,
        rule: Option<Rule>,
    ) -> Result<(), VaultError> {
        self.set_state(
            record_id,
            &OutboxState::Rejected {
                reason: reason.to_owned(),
                rule,
            },
        )
    }

    /// Puts records that were sent but never acknowledged back in the queue
    /// (after a restart, or a connection that dropped mid-request). Returns
    /// how many.
    pub fn requeue_unacknowledged(&mut self) -> Result<usize, VaultError> {
        self.key()?;
        Ok(self.conn.execute(
            "UPDATE outbox SET state = 'pending' WHERE state = 'sent'",
            [],
        )?)
    }

    /// A respondent withdraws (R9): their sessions are deleted from the
    /// phone, records of theirs that never reached the server are deleted,
    /// and for each record the server may have a tombstone is queued. All in
    /// one transaction.
    pub fn withdraw(&mut self, respondent: &RefNumber) -> Result<WithdrawalReport, VaultError> {
        let sessions: Vec<Uuid> = self
            .sessions()?
            .into_iter()
            .filter(|s| is_respondent(&s.respondent, respondent))
            .map(|s| s.id)
            .collect();
        let rows = self.rows(
            "SELECT record_id, state, format, meta, payload FROM outbox",
            [],
        )?;
        let key = self.key.as_ref().ok_or(VaultError::Locked)?;
        let mut report = WithdrawalReport::default();
        // The day only, as the wire format asks (the time is not research data).
        let today = OffsetDateTime::now_utc().date();
        let tx = self.conn.transaction()?;
        for id in &sessions {
            report.sessions_deleted +=
                tx.execute("DELETE FROM sessions WHERE id = ?1", [id.to_string()])?;
        }
        for row in rows {
            let meta: Meta = open_json(key, &meta_ref(row.record_id), row.format, &row.meta)?;
            let theirs = meta
                .respondent
                .as_deref()
                .is_some_and(|r| is_respondent(r, respondent));
            if meta.tombstone_for.is_some() || !theirs {
                continue;
            }
            tx.execute(
                "DELETE FROM outbox WHERE record_id = ?1",
                [row.record_id.to_string()],
            )?;
            if matches!(row.state.as_str(), "pending" | "rejected") {
                report.unsent_deleted += 1;
            } else {
                let tombstone =
                    Tombstone::new(Uuid::new_v4(), row.record_id, meta.device_id, today);
                let meta = Meta {
                    respondent: None,
                    device_id: meta.device_id,
                    tombstone_for: Some(row.record_id),
                    rejection: None,
                };
                let json = serde_json::to_vec(&tombstone).map_err(|e| VaultError::Encode {
                    record: payload_ref(tombstone.tombstone_id).describe(),
                    detail: e.to_string(),
                })?;
                insert(&tx, key, tombstone.tombstone_id, &meta, &json)?;
                report.tombstones_queued += 1;
            }
        }
        tx.commit()?;
        tracing::info!(
            sessions = report.sessions_deleted,
            unsent = report.unsent_deleted,
            tombstones = report.tombstones_queued,
            "withdrawal applied"
        );
        Ok(report)
    }

    fn set_state(&mut self, record_id: Uuid, state: &OutboxState) -> Result<(), VaultError> {
        let key = self.key.as_ref().ok_or(VaultError::Locked)?;
        reseal_state(&self.conn, key, record_id, state)
    }

    fn outbox_row(&self, record_id: Uuid) -> Result<Option<Row>, VaultError> {
        Ok(self
            .rows(
                "SELECT record_id, state, format, meta, payload FROM outbox WHERE record_id = ?1",
                [record_id.to_string()],
            )?
            .pop())
    }

    fn rows<P: rusqlite::Params>(&self, sql: &str, params: P) -> Result<Vec<Row>, VaultError> {
        self.key()?;
        rows_on(&self.conn, sql, params)
    }

    fn entries<P: rusqlite::Params>(
        &self,
        sql: &str,
        params: P,
    ) -> Result<Vec<OutboxEntry>, VaultError> {
        let key = self.key()?;
        self.rows(sql, params)?
            .into_iter()
            .map(|row| entry(key, row))
            .collect()
    }
}

/// Sets an entry's state and re-seals its details (the rejection reason
/// lives there). On `conn`, so a batch can do it inside its transaction.
fn reseal_state(
    conn: &rusqlite::Connection,
    key: &DataKey,
    record_id: Uuid,
    state: &OutboxState,
) -> Result<(), VaultError> {
    let row = rows_on(
        conn,
        "SELECT record_id, state, format, meta, payload FROM outbox WHERE record_id = ?1",
        [record_id.to_string()],
    )?
    .pop()
    .ok_or(VaultError::NotInOutbox { record_id })?;
    let mut meta: Meta = open_json(key, &meta_ref(record_id), row.format, &row.meta)?;
    meta.rejection = match state {
        OutboxState::Rejected { reason, rule } => Some((reason.clone(), *rule)),
        _ => None,
    };
    let sealed_meta = seal_json(key, &meta_ref(record_id), &meta)?;
    // The payload keeps the format it was sealed with; re-seal it too if
    // that ever differs from the meta's, so one `format` column serves both.
    let payload = match row.payload {
        Some(sealed) if row.format != RECORD_FORMAT => Some(seal(
            key,
            &payload_ref(record_id),
            &open(key, &payload_ref(record_id), row.format, &sealed)?,
        )),
        other => other,
    };
    conn.execute(
        "UPDATE outbox SET state = ?2, format = ?3, meta = ?4, payload = ?5 WHERE record_id = ?1",
        params![
            record_id.to_string(),
            state.column(),
            RECORD_FORMAT,
            sealed_meta,
            payload
        ],
    )?;
    Ok(())
}

fn insert(
    conn: &rusqlite::Connection,
    key: &DataKey,
    id: Uuid,
    meta: &Meta,
    payload: &[u8],
) -> Result<(), VaultError> {
    let sealed_meta = seal_json(key, &meta_ref(id), meta)?;
    let sealed_payload = seal(key, &payload_ref(id), payload);
    conn.execute(
        "INSERT INTO outbox (record_id, state, format, meta, payload) VALUES (?1, 'pending', ?2, ?3, ?4)",
        params![id.to_string(), RECORD_FORMAT, sealed_meta, sealed_payload],
    )?;
    Ok(())
}

fn rows_on<P: rusqlite::Params>(
    conn: &rusqlite::Connection,
    sql: &str,
    params: P,
) -> Result<Vec<Row>, VaultError> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map(params, |row| {
        Ok((
            row.get::<_, String>(0)?,
            Row {
                record_id: Uuid::nil(),
                state: row.get(1)?,
                format: row.get(2)?,
                meta: row.get(3)?,
                payload: row.get(4)?,
            },
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, mut row) = row?;
        row.record_id = id.parse().map_err(|_| VaultError::Corrupt {
            record: format!("outbox row with id {id:?}"),
        })?;
        out.push(row);
    }
    Ok(out)
}

/// Reference numbers are compared as codes, so a differently typed form of
/// the same code (case, hyphens) still matches.
fn is_respondent(stored: &str, respondent: &RefNumber) -> bool {
    RefNumber::parse(stored).is_ok_and(|stored| stored == *respondent)
}

fn entry(key: &DataKey, row: Row) -> Result<OutboxEntry, VaultError> {
    let id = row.record_id;
    let meta: Meta = open_json(key, &meta_ref(id), row.format, &row.meta)?;
    let state = match row.state.as_str() {
        "pending" => OutboxState::Pending,
        "sent" => OutboxState::Sent,
        "acknowledged" => OutboxState::Acknowledged,
        "rejected" => {
            let (reason, rule) = meta.rejection.clone().unwrap_or_default();
            OutboxState::Rejected { reason, rule }
        }
        other => {
            return Err(VaultError::Decode {
                record: meta_ref(id).describe(),
                detail: format!("unknown state {other:?}"),
            })
        }
    };
    let item = match (row.payload, meta.tombstone_for) {
        (None, _) => None,
        (Some(sealed), Some(_)) => Some(OutboxItem::Tombstone(open_json(
            key,
            &payload_ref(id),
            row.format,
            &sealed,
        )?)),
        (Some(sealed), None) => Some(OutboxItem::Record(open_json(
            key,
            &payload_ref(id),
            row.format,
            &sealed,
        )?)),
    };
    Ok(OutboxEntry {
        record_id: id,
        respondent: meta.respondent,
        state,
        item,
    })
}
