//! The outbox: finalised, anonymised records waiting to sync, and what the
//! server said about each; withdrawals (R9).
//!
//! A record's content is sealed JSON in a table of its own
//! (`outbox_payloads`), so changing a state touches a small row only. The
//! state (pending, sent, acknowledged, rejected) is a plain column so the
//! sync client can ask for the next batch, and is bound to the sealed
//! details: a state flipped in the file makes the entry fail to open. Who
//! the record is about (the respondent's reference number) is sealed with
//! the details, so a withdrawal can find every record of a respondent, even
//! one whose content was purged after acknowledgement.

use fieldkit_protocols::refnum::RefNumber;
use fieldkit_protocols::wire::{RecordEnvelope, Tombstone};
use fieldkit_protocols::Rule;
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use super::crypto::{
    json_failure, open, open_json, seal, seal_json, RecordKind, RecordRef, RECORD_FORMAT,
};
use super::identity::IdentityDeletion;
use super::ledger::{Table, Writer};
use super::{DataKey, Open, Retention, Vault, VaultError};

mod batch;

pub(crate) use batch::Outgoing;

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
    /// Sessions (finished or not) deleted from the phone.
    pub sessions_deleted: usize,
    /// Records in the outbox deleted from the phone.
    pub records_deleted: usize,
    /// One per record ever queued for the respondent, whatever its state
    /// said (a state can be rolled back in the file): the server deletes
    /// what it has and refuses the rest if they ever arrive.
    pub tombstones_queued: usize,
    /// Supervisor notes about their records deleted from the phone.
    pub notes_deleted: usize,
    /// What became of their entry in the identity store.
    pub identity: IdentityDeletion,
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

/// The sealed details, bound to the entry's state column.
fn meta_ref(id: Uuid, state: &str) -> RecordRef {
    meta_ref_for(&id.to_string(), state)
}

pub(crate) fn meta_ref_for(id: &str, state: &str) -> RecordRef {
    RecordRef::new(RecordKind::OutboxMeta, id).bound_to("state", state)
}

fn payload_ref(id: Uuid) -> RecordRef {
    RecordRef::new(RecordKind::OutboxPayload, id.to_string())
}

/// One raw outbox entry: its row, and its content if it still has one.
struct Row {
    record_id: Uuid,
    state: String,
    /// The format the details were sealed with.
    format: u32,
    meta: Vec<u8>,
    /// The content's format and ciphertext.
    payload: Option<(u32, Vec<u8>)>,
}

/// The columns [`rows_on`] reads, for every query of entries; conditions
/// name the outbox's columns as `o.`.
macro_rules! select_rows {
    ($($rest:literal),*) => {
        concat!(
            "SELECT o.record_id, o.state, o.format, o.meta, p.format, p.payload
             FROM outbox o LEFT JOIN outbox_payloads p ON p.record_id = o.record_id ",
            $($rest),*
        )
    };
}
pub(super) use select_rows;

impl Vault {
    /// Queues a finalised record. Queuing the same record again is a no-op;
    /// the same id with other content is an [`VaultError::OutboxConflict`].
    pub fn enqueue(&mut self, record: &RecordEnvelope) -> Result<(), VaultError> {
        let id = record.record_id;
        let json = zeroize::Zeroizing::new(serde_json::to_vec(record).map_err(|e| {
            VaultError::Encode {
                record: payload_ref(id).describe(),
                detail: json_failure(&e),
            }
        })?);
        if let Some(existing) = self.outbox_row(id)? {
            let key = &self.open()?.key;
            return match existing.payload {
                Some((format, sealed))
                    if open(key, &payload_ref(id), format, &sealed)?[..] != json[..] =>
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
        self.open_mut()?.write(|w| insert(w, id, &meta, &json))
    }

    /// Every outbox entry, oldest first.
    pub fn outbox(&self) -> Result<Vec<OutboxEntry>, VaultError> {
        self.entries(select_rows!("ORDER BY o.position"), [])
    }

    /// The oldest pending entries, at most `limit`.
    pub fn pending(&self, limit: usize) -> Result<Vec<OutboxEntry>, VaultError> {
        self.entries(
            select_rows!("WHERE o.state = 'pending' ORDER BY o.position LIMIT ?1"),
            [i64::try_from(limit).unwrap_or(i64::MAX)],
        )
    }

    pub fn mark_sent(&mut self, record_id: Uuid) -> Result<(), VaultError> {
        self.mark_batch(&[(record_id, OutboxState::Sent)])
    }

    /// The server has the record. Under [`Retention::PurgeAcknowledged`] its
    /// content is deleted now (and scrubbed from the WAL); the id stays for a
    /// later withdrawal.
    pub fn mark_acknowledged(&mut self, record_id: Uuid) -> Result<(), VaultError> {
        self.mark_batch(&[(record_id, OutboxState::Acknowledged)])
    }

    pub fn mark_rejected(
        &mut self,
        record_id: Uuid,
        reason: &str,
        rule: Option<Rule>,
    ) -> Result<(), VaultError> {
        self.mark_batch(&[(
            record_id,
            OutboxState::Rejected {
                reason: reason.to_owned(),
                rule,
            },
        )])
    }

    /// Puts records that were sent but never acknowledged back in the queue
    /// (after a restart, or a connection that dropped mid-request). Returns
    /// how many.
    pub fn requeue_unacknowledged(&mut self) -> Result<usize, VaultError> {
        let sent: Vec<Uuid> = self
            .rows(select_rows!("WHERE o.state = 'sent'"), [])?
            .into_iter()
            .map(|row| row.record_id)
            .collect();
        self.open_mut()?.write(|w| {
            for id in &sent {
                reseal_state(w, *id, &OutboxState::Pending)?;
            }
            Ok(sent.len())
        })
    }

    /// A respondent withdraws (R9): their sessions are deleted from the
    /// phone, every outbox record of theirs is deleted and, whatever its
    /// state says, a tombstone is queued for it; their identity entry is
    /// deleted even while the identity store is closed, and the supervisor's
    /// notes on their records go too. The vault's part is
    /// one transaction, and nothing of it stays in the WAL.
    pub fn withdraw(&mut self, respondent: &RefNumber) -> Result<WithdrawalReport, VaultError> {
        let sessions: Vec<Uuid> = self
            .sessions()?
            .into_iter()
            .filter(|s| is_respondent(&s.respondent, respondent))
            .map(|s| s.id)
            .collect();
        let rows = self.rows(select_rows!(), [])?;
        // The day only, as the wire format asks (the time is not research data).
        let today = OffsetDateTime::now_utc().date();
        let mut report = self.open_mut()?.delete(|w| {
            let mut report = WithdrawalReport::default();
            for id in &sessions {
                if super::sessions::delete_session_rows(w, &id.to_string())? {
                    report.sessions_deleted += 1;
                }
            }
            for row in rows {
                let meta: Meta = open_json(
                    w.key,
                    &meta_ref(row.record_id, &row.state),
                    row.format,
                    &row.meta,
                )?;
                let theirs = meta
                    .respondent
                    .as_deref()
                    .is_some_and(|r| is_respondent(r, respondent));
                if meta.tombstone_for.is_some() || !theirs {
                    continue;
                }
                delete_entry(w, row.record_id)?;
                report.records_deleted += 1;
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
                    detail: json_failure(&e),
                })?;
                insert(w, tombstone.tombstone_id, &meta, &json)?;
                report.tombstones_queued += 1;
            }
            report.notes_deleted = super::feedback::forget_respondent(w, respondent)?;
            Ok(report)
        })?;
        report.identity = super::identity::forget_respondent(self, respondent)?;
        tracing::info!(
            sessions = report.sessions_deleted,
            records = report.records_deleted,
            tombstones = report.tombstones_queued,
            "withdrawal applied"
        );
        Ok(report)
    }

    fn outbox_row(&self, record_id: Uuid) -> Result<Option<Row>, VaultError> {
        Ok(self
            .rows(
                select_rows!("WHERE o.record_id = ?1"),
                [record_id.to_string()],
            )?
            .pop())
    }

    fn rows<P: rusqlite::Params>(&self, sql: &str, params: P) -> Result<Vec<Row>, VaultError> {
        rows_on(&self.open()?.conn, sql, params)
    }

    fn entries<P: rusqlite::Params>(
        &self,
        sql: &str,
        params: P,
    ) -> Result<Vec<OutboxEntry>, VaultError> {
        let Open { conn, key, .. } = self.open()?;
        rows_on(conn, sql, params)?
            .into_iter()
            .map(|row| entry(key, row))
            .collect()
    }
}

/// Sets an entry's state and re-seals its details, which are bound to the
/// state (a rejection's reason and rule live there too). The content, in
/// its own table and bound to the record alone, is neither read nor written.
fn reseal_state(
    w: &mut Writer<'_>,
    record_id: Uuid,
    state: &OutboxState,
) -> Result<(), VaultError> {
    let id = record_id.to_string();
    let (now, format, meta): (String, u32, Vec<u8>) = w
        .conn
        .prepare_cached("SELECT state, format, meta FROM outbox WHERE record_id = ?1")?
        .query_row([&id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .optional()?
        .ok_or(VaultError::NotInOutbox { record_id })?;
    let mut meta: Meta = open_json(w.key, &meta_ref(record_id, &now), format, &meta)?;
    meta.rejection = match state {
        OutboxState::Rejected { reason, rule } => Some((reason.clone(), *rule)),
        _ => None,
    };
    let sealed_meta = seal_json(w.key, &meta_ref(record_id, state.column()), &meta)?;
    w.execute(
        Table::Outbox,
        "record_id = ?1",
        [&id],
        "UPDATE outbox SET state = ?2, format = ?3, meta = ?4 WHERE record_id = ?1",
        params![id, state.column(), RECORD_FORMAT, sealed_meta],
    )?;
    Ok(())
}

fn insert(w: &mut Writer<'_>, id: Uuid, meta: &Meta, payload: &[u8]) -> Result<(), VaultError> {
    let sealed_meta = seal_json(w.key, &meta_ref(id, "pending"), meta)?;
    let sealed_payload = seal(w.key, &payload_ref(id), payload);
    let row_id = id.to_string();
    w.execute(
        Table::Outbox,
        "record_id = ?1",
        [&row_id],
        "INSERT INTO outbox (record_id, state, format, meta) VALUES (?1, 'pending', ?2, ?3)",
        params![row_id, RECORD_FORMAT, sealed_meta],
    )?;
    w.execute(
        Table::OutboxPayloads,
        "record_id = ?1",
        [&row_id],
        "INSERT INTO outbox_payloads (record_id, format, payload) VALUES (?1, ?2, ?3)",
        params![row_id, RECORD_FORMAT, sealed_payload],
    )?;
    Ok(())
}

/// Deletes an entry's content (kept: its id, state and details).
fn delete_payload(w: &mut Writer<'_>, record_id: Uuid) -> Result<(), VaultError> {
    let id = record_id.to_string();
    w.execute(
        Table::OutboxPayloads,
        "record_id = ?1",
        [&id],
        "DELETE FROM outbox_payloads WHERE record_id = ?1",
        [&id],
    )?;
    Ok(())
}

/// Deletes an entry, content first (the content refers to its entry).
fn delete_entry(w: &mut Writer<'_>, record_id: Uuid) -> Result<(), VaultError> {
    delete_payload(w, record_id)?;
    let id = record_id.to_string();
    w.execute(
        Table::Outbox,
        "record_id = ?1",
        [&id],
        "DELETE FROM outbox WHERE record_id = ?1",
        [&id],
    )?;
    Ok(())
}

/// Moves the content an older version left in `outbox.payload` to
/// `outbox_payloads` (schema 4), once, at unlock: the ledger was checked
/// against the file as that version left it, and the move goes through it,
/// so the next unlock adds up. The ciphertext moves as it is (it is bound
/// to the record id, not to the table). Returns how many entries moved.
pub(super) fn move_older_payloads(open: &mut Open) -> Result<usize, VaultError> {
    let waiting: bool = open.conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM outbox WHERE payload IS NOT NULL)",
        [],
        |row| row.get(0),
    )?;
    if !waiting {
        return Ok(0);
    }
    let moved = open.write(|w| {
        // A content already in the new table (only an edited file has both)
        // is kept; the older copy goes.
        let moved = w.track(Table::OutboxPayloads, "1", [], |conn| {
            Ok(conn.execute(
                "INSERT INTO outbox_payloads (record_id, format, payload)
                 SELECT record_id, format, payload FROM outbox WHERE payload IS NOT NULL
                 ON CONFLICT (record_id) DO NOTHING",
                [],
            )?)
        })?;
        w.execute(
            Table::Outbox,
            "1",
            [],
            "UPDATE outbox SET payload = NULL WHERE payload IS NOT NULL",
            [],
        )?;
        Ok(moved)
    })?;
    tracing::info!(moved, "outbox contents moved to their own table");
    Ok(moved)
}

fn rows_on<P: rusqlite::Params>(
    conn: &rusqlite::Connection,
    sql: &str,
    params: P,
) -> Result<Vec<Row>, VaultError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params, |row| {
        Ok((
            row.get::<_, String>(0)?,
            Row {
                record_id: Uuid::nil(),
                state: row.get(1)?,
                format: row.get(2)?,
                meta: row.get(3)?,
                payload: match (row.get(4)?, row.get(5)?) {
                    (Some(format), Some(sealed)) => Some((format, sealed)),
                    _ => None,
                },
            },
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, mut row) = row?;
        row.record_id = id.parse().map_err(|_| VaultError::Corrupt {
            record: "an outbox row whose id is not a record id".into(),
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
    let meta: Meta = open_json(key, &meta_ref(id, &row.state), row.format, &row.meta)?;
    let state = match row.state.as_str() {
        "pending" => OutboxState::Pending,
        "sent" => OutboxState::Sent,
        "acknowledged" => OutboxState::Acknowledged,
        "rejected" => {
            let (reason, rule) = meta.rejection.clone().unwrap_or_default();
            OutboxState::Rejected { reason, rule }
        }
        _ => {
            return Err(VaultError::Decode {
                record: meta_ref(id, &row.state).describe(),
                detail: "has a state this app does not know",
            })
        }
    };
    let item = match (row.payload, meta.tombstone_for) {
        (None, _) => None,
        (Some((format, sealed)), Some(_)) => Some(OutboxItem::Tombstone(open_json(
            key,
            &payload_ref(id),
            format,
            &sealed,
        )?)),
        (Some((format, sealed)), None) => Some(OutboxItem::Record(open_json(
            key,
            &payload_ref(id),
            format,
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
