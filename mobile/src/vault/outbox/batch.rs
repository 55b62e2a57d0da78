//! The outbox a batch at a time, for the sync client: a whole batch changes
//! state in ONE transaction (one fsync), not one per record, and counting
//! is left to SQLite, so nothing is decrypted just to be counted.
//!
//! Crash safety is unchanged: if the phone dies before the batch's commit,
//! none of its answers are kept and the next sync resends those records,
//! which the server answers as `duplicate`. Every state change re-seals the
//! entry's details, which are bound to the state.

use fieldkit_protocols::wire::Tombstone;
use rusqlite::params;
use serde::de::IgnoredAny;
use uuid::Uuid;
use zeroize::Zeroizing;

use super::super::crypto::{json_failure, open_json, open_owned};
use super::super::parallel::open_each;
use super::{
    delete_payload, entry, meta_ref, payload_ref, reseal_state, rows_on, select_rows, DataKey,
    Meta, OutboxEntry, OutboxState, Retention, Row, Vault, VaultError,
};

/// A pending entry as the sync client sends it.
pub(crate) enum Outgoing {
    /// A record's JSON exactly as the phone sealed it.
    Record(Uuid, Zeroizing<Vec<u8>>),
    Tombstone(Tombstone),
    /// An entry whose content is missing.
    Missing(Uuid),
}

fn outgoing(key: &DataKey, row: Row) -> Result<Outgoing, VaultError> {
    let id = row.record_id;
    let meta: Meta = open_json(key, &meta_ref(id, &row.state), row.format, &row.meta)?;
    let Some((format, sealed)) = row.payload else {
        return Ok(Outgoing::Missing(id));
    };
    let record = payload_ref(id);
    if meta.tombstone_for.is_some() {
        return Ok(Outgoing::Tombstone(open_json(
            key, &record, format, &sealed,
        )?));
    }
    let json = open_owned(key, &record, format, sealed)?;
    // Still one JSON value: a damaged entry is named here, never sent as a
    // batch the server cannot read.
    serde_json::from_slice::<IgnoredAny>(&json).map_err(|e| VaultError::Decode {
        record: record.describe(),
        detail: json_failure(&e),
    })?;
    Ok(Outgoing::Record(id, json))
}

impl Vault {
    /// Entries waiting to be sent.
    pub fn pending_count(&self) -> Result<usize, VaultError> {
        self.count_outbox("state = 'pending'")
    }

    /// Entries the server has not acknowledged: pending, sent or rejected.
    pub fn unfinished_count(&self) -> Result<usize, VaultError> {
        self.count_outbox("state <> 'acknowledged'")
    }

    /// The oldest pending entries after position `after` (0 to start), at
    /// most `limit`, and the position to continue from. A sync walks the
    /// outbox this way instead of marking each batch `sent` first, so a
    /// batch costs one write (its answers), not two; an entry left without
    /// an answer is simply still pending for the next sync.
    pub fn pending_after(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<(Vec<OutboxEntry>, i64), VaultError> {
        let (rows, last) = self.pending_rows(after, limit)?;
        let key = &self.open()?.key;
        let entries = rows.into_iter().map(|row| entry(key, row));
        Ok((entries.collect::<Result<_, _>>()?, last))
    }

    /// [`Vault::pending_after`] as the sync client sends it: a record's
    /// JSON as it was sealed, not parsed into an envelope only to be
    /// written out again (that was a third of a sync's work on the phone).
    pub(crate) fn outgoing_after(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<(Vec<Outgoing>, i64), VaultError> {
        let (rows, last) = self.pending_rows(after, limit)?;
        let key = &self.open()?.key;
        // A batch is a hundred decryptions: on several cores, kept in order.
        let outgoing = open_each(rows.into_iter().map(Ok), |row| outgoing(key, row))?;
        Ok((outgoing, last))
    }

    fn pending_rows(&self, after: i64, limit: usize) -> Result<(Vec<Row>, i64), VaultError> {
        let conn = &self.open()?.conn;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let last: Option<i64> = conn.query_row(
            "SELECT MAX(position) FROM (SELECT position FROM outbox
             WHERE state = 'pending' AND position > ?1 ORDER BY position LIMIT ?2)",
            params![after, limit],
            |row| row.get(0),
        )?;
        let Some(last) = last else {
            return Ok((Vec::new(), after));
        };
        let rows = rows_on(
            conn,
            select_rows!(
                "WHERE o.state = 'pending' AND o.position > ?1 AND o.position <= ?2
                 ORDER BY o.position"
            ),
            params![after, last],
        )?;
        Ok((rows, last))
    }

    /// Sets the state of many entries at once, all or nothing, re-sealing
    /// each entry's details for its new state. Under
    /// [`Retention::PurgeAcknowledged`] an acknowledged entry's content goes
    /// too, and is scrubbed from the WAL. An id that is not in the outbox
    /// fails the whole batch with [`VaultError::NotInOutbox`].
    pub fn mark_batch(&mut self, changes: &[(Uuid, OutboxState)]) -> Result<(), VaultError> {
        let purge = self.retention() == Retention::PurgeAcknowledged;
        let open = self.open_mut()?;
        if changes.is_empty() {
            return Ok(());
        }
        let purged = open.write(|w| {
            let mut purged = false;
            for (record_id, state) in changes {
                reseal_state(w, *record_id, state)?;
                if purge && *state == OutboxState::Acknowledged {
                    delete_payload(w, *record_id)?;
                    purged = true;
                }
            }
            Ok(purged)
        })?;
        if purged {
            crate::vault::wipe::scrub(&open.conn)?;
        }
        Ok(())
    }

    fn count_outbox(&self, condition: &str) -> Result<usize, VaultError> {
        let count: i64 = self.open()?.conn.query_row(
            &format!("SELECT COUNT(*) FROM outbox WHERE {condition}"),
            [],
            |row| row.get(0),
        )?;
        Ok(usize::try_from(count).unwrap_or(0))
    }
}
