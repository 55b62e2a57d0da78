//! The outbox a batch at a time, for the sync client: a whole batch changes
//! state in ONE transaction (one fsync), not one per record, and counting
//! is left to SQLite, so nothing is decrypted just to be counted.
//!
//! Crash safety is unchanged: if the phone dies before the batch's commit,
//! none of its answers are kept and the next sync resends those records,
//! which the server answers as `duplicate`. Sent and acknowledged leave the
//! sealed details alone; a stale rejection reason there is never shown, as
//! the state column decides whether an entry is rejected.

use rusqlite::params;
use uuid::Uuid;

use super::{reseal_state, OutboxEntry, OutboxState, Retention, Vault, VaultError};

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
        self.key.as_ref().ok_or(VaultError::Locked)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let last: Option<i64> = self.conn.query_row(
            "SELECT MAX(position) FROM (SELECT position FROM outbox
             WHERE state = 'pending' AND position > ?1 ORDER BY position LIMIT ?2)",
            params![after, limit],
            |row| row.get(0),
        )?;
        let Some(last) = last else {
            return Ok((Vec::new(), after));
        };
        let entries = self.entries(
            "SELECT record_id, state, format, meta, payload FROM outbox
             WHERE state = 'pending' AND position > ?1 AND position <= ?2 ORDER BY position",
            params![after, last],
        )?;
        Ok((entries, last))
    }

    /// Sets the state of many entries at once, all or nothing. Marking
    /// entries sent or acknowledged touches only the state column (under
    /// [`Retention::PurgeAcknowledged`] the content goes too); a rejection
    /// re-seals the entry's details to keep the reason and rule. An id that
    /// is not in the outbox fails the whole batch with
    /// [`VaultError::NotInOutbox`].
    pub fn mark_batch(&mut self, changes: &[(Uuid, OutboxState)]) -> Result<(), VaultError> {
        let purge = self.retention() == Retention::PurgeAcknowledged;
        let key = self.key.as_ref().ok_or(VaultError::Locked)?;
        if changes.is_empty() {
            return Ok(());
        }
        let tx = self.conn.transaction()?;
        {
            let mut set = tx.prepare_cached("UPDATE outbox SET state = ?2 WHERE record_id = ?1")?;
            let mut purge_content =
                tx.prepare_cached("UPDATE outbox SET payload = NULL WHERE record_id = ?1")?;
            for (record_id, state) in changes {
                let id = record_id.to_string();
                if let OutboxState::Rejected { .. } = state {
                    reseal_state(&tx, key, *record_id, state)?;
                    continue;
                }
                if set.execute(params![id, state.column()])? == 0 {
                    return Err(VaultError::NotInOutbox {
                        record_id: *record_id,
                    });
                }
                if purge && *state == OutboxState::Acknowledged {
                    purge_content.execute([&id])?;
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn count_outbox(&self, condition: &str) -> Result<usize, VaultError> {
        self.key.as_ref().ok_or(VaultError::Locked)?;
        let count: i64 = self.conn.query_row(
            &format!("SELECT COUNT(*) FROM outbox WHERE {condition}"),
            [],
            |row| row.get(0),
        )?;
        Ok(usize::try_from(count).unwrap_or(0))
    }
}
