//! The embedded store: one SQLite file in WAL mode, one connection behind a
//! mutex (SQLite has one writer anyway; calls come from `spawn_blocking`).

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use fieldkit_protocols::hash::ContentHash;
use fieldkit_protocols::rules::Rule;
use fieldkit_protocols::wire::{CodeOfPracticeAcceptance, SyncStatus, Tombstone, TombstoneStatus};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use time::OffsetDateTime;
use uuid::Uuid;

use super::rows::{
    device_row, langs, migrate_withdrawals, parse_ts, parse_uuid, to_device, ts, DEVICES_JOINED,
    DEVICE_COLUMNS, SCHEMA, SQLITE_SCHEMA_VERSION,
};
use super::{
    AuditEntry, BatchEntry, ComplianceFinding, Device, NewEnrolment, PublishOutcome,
    PublishedProtocol, Store, StoreError, StoreOutcome, VerifiedRecord,
};
use crate::access::{check, Access, Principal};

mod batch;

use batch::{final_withdrawal, rejection_in, store_in, withdrawn_by};

#[derive(Debug)]
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

impl SqliteStore {
    /// Opens (creating if needed) `fieldkit.sqlite3` inside `data_dir`.
    pub fn open_dir(data_dir: &Path) -> Result<SqliteStore, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|source| StoreError::DataDir {
            path: data_dir.to_owned(),
            source,
        })?;
        SqliteStore::open(&data_dir.join("fieldkit.sqlite3"))
    }

    pub fn open(file: &Path) -> Result<SqliteStore, StoreError> {
        let conn = Connection::open(file)?;
        // The CLI and a running server may share the file. Set first: turning
        // on WAL and creating the schema take locks a second opener waits for.
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // Switching a new file to WAL can report "busy" without waiting
        // (SQLite avoids a deadlock there), so that one step is retried.
        let mut tries = 0;
        loop {
            match conn.pragma_update(None, "journal_mode", "WAL") {
                Err(rusqlite::Error::SqliteFailure(e, _))
                    if e.code == rusqlite::ErrorCode::DatabaseBusy && tries < 100 =>
                {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                other => break other?,
            }
        }
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // One write transaction taken up front, so a second opener waits
        // (busy timeout) instead of deadlocking on a read-to-write upgrade.
        conn.execute_batch("BEGIN IMMEDIATE;")?;
        let found: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if found > SQLITE_SCHEMA_VERSION {
            conn.execute_batch("ROLLBACK")?;
            return Err(StoreError::TooNew {
                found,
                supported: SQLITE_SCHEMA_VERSION,
            });
        }
        let had_withdrawals = conn
            .query_row(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'withdrawals'",
                [],
                |_| Ok(()),
            )
            .optional()?
            .is_some();
        let migrated = conn
            .execute_batch(&format!(
                "{SCHEMA} {} {} {} {} PRAGMA user_version = {SQLITE_SCHEMA_VERSION};",
                super::web::WEB_SCHEMA,
                super::review::REVIEW_SCHEMA,
                super::media::MEDIA_SCHEMA,
                super::packs::PACKS_SCHEMA
            ))
            .map_err(StoreError::from)
            .and_then(|()| super::accounts::migrate(&conn))
            .and_then(|()| migrate_withdrawals(&conn, had_withdrawals).map_err(StoreError::from));
        conn.execute_batch(if migrated.is_ok() {
            "COMMIT"
        } else {
            "ROLLBACK"
        })?;
        migrated?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
        })
    }

    pub(super) fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent (the
        // transaction rolls back on drop), so a poisoned lock is still usable.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Store for SqliteStore {
    fn publish(&self, p: &PublishedProtocol) -> Result<PublishOutcome, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let outcome = publish_in(&tx, p)?;
        tx.commit()?;
        Ok(outcome)
    }

    fn protocols(&self) -> Result<Vec<PublishedProtocol>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT protocol_id, version, content_hash, source_toml, published_at
             FROM protocols ORDER BY protocol_id, version",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, u32>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        })?;
        rows.map(|row| {
            let (protocol_id, version, hash, source_toml, at) = row?;
            Ok(PublishedProtocol {
                protocol_id,
                version,
                content_hash: ContentHash(hash),
                source_toml,
                published_at: parse_ts(&at)?,
            })
        })
        .collect()
    }

    fn protocol(&self, id: &str, version: u32) -> Result<Option<PublishedProtocol>, StoreError> {
        let conn = self.conn();
        let row: Option<(String, String, String)> = conn
            .query_row(
                "SELECT content_hash, source_toml, published_at FROM protocols
                 WHERE protocol_id = ?1 AND version = ?2",
                params![id, version],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        row.map(|(hash, source_toml, at)| {
            Ok(PublishedProtocol {
                protocol_id: id.to_owned(),
                version,
                content_hash: ContentHash(hash),
                source_toml,
                published_at: parse_ts(&at)?,
            })
        })
        .transpose()
    }

    fn add_enrolment(&self, e: &NewEnrolment) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO enrolments (code_hash, researcher, languages, expires_at) VALUES (?1, ?2, ?3, ?4)",
            params![e.code_hash, e.researcher, e.languages.join(","), ts(e.expires_at)],
        )?;
        Ok(())
    }

    fn drop_pending_enrolments(&self, researcher: &str) -> Result<usize, StoreError> {
        Ok(self.conn().execute(
            "DELETE FROM enrolments WHERE researcher = ?1 AND redeemed_by IS NULL",
            params![researcher],
        )?)
    }

    fn redeem_enrolment(
        &self,
        code_hash: &str,
        device_id: Uuid,
        token_hash: &str,
        code_of_practice: &CodeOfPracticeAcceptance,
        now: OffsetDateTime,
    ) -> Result<Option<Device>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let pending: Option<(String, String, String)> = tx
            .query_row(
                "SELECT researcher, languages, expires_at FROM enrolments
                 WHERE code_hash = ?1 AND redeemed_by IS NULL",
                params![code_hash],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((researcher, languages, expires)) = pending else {
            return Ok(None);
        };
        if parse_ts(&expires)? < now {
            return Ok(None);
        }
        tx.execute(
            "UPDATE enrolments SET redeemed_by = ?1 WHERE code_hash = ?2",
            params![device_id.to_string(), code_hash],
        )?;
        tx.execute(
            "INSERT INTO devices (device_id, researcher, languages, token_hash, enrolled_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                device_id.to_string(),
                researcher,
                languages,
                token_hash,
                ts(now)
            ],
        )?;
        tx.execute(
            "INSERT INTO code_of_practice (device_id, language, accepted_at) VALUES (?1, ?2, ?3)",
            params![
                device_id.to_string(),
                code_of_practice.language,
                ts(code_of_practice.accepted_at)
            ],
        )?;
        tx.commit()?;
        Ok(Some(Device {
            device_id,
            researcher,
            languages: langs(&languages),
            enrolled_at: now,
            revoked_at: None,
            code_of_practice: Some(code_of_practice.clone()),
        }))
    }

    fn enrolment_code_pending(
        &self,
        code_hash: &str,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let expires: Option<String> = self
            .conn()
            .query_row(
                "SELECT expires_at FROM enrolments WHERE code_hash = ?1 AND redeemed_by IS NULL",
                params![code_hash],
                |r| r.get(0),
            )
            .optional()?;
        Ok(match expires {
            Some(at) => parse_ts(&at)? >= now,
            None => false,
        })
    }

    fn device_by_token(&self, token_hash: &str) -> Result<Option<Device>, StoreError> {
        let conn = self.conn();
        let row = conn
            .query_row(
                &format!("SELECT {DEVICE_COLUMNS} FROM {DEVICES_JOINED} WHERE d.token_hash = ?1"),
                params![token_hash],
                device_row,
            )
            .optional()?;
        row.map(to_device).transpose()
    }

    fn devices(&self) -> Result<Vec<Device>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {DEVICE_COLUMNS} FROM {DEVICES_JOINED} ORDER BY d.enrolled_at"
        ))?;
        let rows = stmt.query_map([], device_row)?;
        rows.map(|r| to_device(r?)).collect()
    }

    fn revoke_device(&self, device_id: Uuid, now: OffsetDateTime) -> Result<bool, StoreError> {
        let conn = self.conn();
        let exists = conn
            .query_row(
                "SELECT 1 FROM devices WHERE device_id = ?1",
                params![device_id.to_string()],
                |_| Ok(()),
            )
            .optional()?
            .is_some();
        conn.execute(
            "UPDATE devices SET revoked_at = ?1 WHERE device_id = ?2 AND revoked_at IS NULL",
            params![ts(now), device_id.to_string()],
        )?;
        Ok(exists)
    }

    fn record_hashes(&self, record_ids: &[Uuid]) -> Result<HashMap<Uuid, ContentHash>, StoreError> {
        let conn = self.conn();
        let mut statement =
            conn.prepare_cached("SELECT content_hash FROM records WHERE record_id = ?1")?;
        let mut found = HashMap::new();
        for &id in record_ids {
            let hash: Option<String> = statement
                .query_row(params![id.to_string()], |r| r.get(0))
                .optional()?;
            if let Some(hash) = hash {
                found.insert(id, ContentHash(hash));
            }
        }
        Ok(found)
    }

    fn store_record(
        &self,
        rec: &VerifiedRecord,
        now: OffsetDateTime,
    ) -> Result<StoreOutcome, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let outcome = store_in(&tx, rec, now)?;
        tx.commit()?;
        Ok(outcome)
    }

    fn store_batch(
        &self,
        device_id: Uuid,
        entries: &[BatchEntry],
        now: OffsetDateTime,
    ) -> Result<Vec<Option<StoreOutcome>>, StoreError> {
        let mut conn = self.conn();
        // One transaction (one fsync) for the whole batch: a commit per
        // record capped ingest at ~2,000 records/s. Each entry is checked on
        // its own inside it, so one record's outcome never changes another's.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut outcomes = Vec::with_capacity(entries.len());
        for entry in entries {
            let outcome = match entry {
                BatchEntry::Verified(rec) => {
                    let outcome = store_in(&tx, rec, now)?;
                    if outcome == StoreOutcome::Withdrawn {
                        rejection_in(&tx, device_id, rec.record_id, Some(Rule::R9), now)?;
                    }
                    Some(outcome)
                }
                BatchEntry::Rejected { record_id, rule } => {
                    rejection_in(&tx, device_id, *record_id, *rule, now)?;
                    None
                }
            };
            outcomes.push(outcome);
        }
        tx.commit()?;
        Ok(outcomes)
    }

    fn note_rejection(
        &self,
        device_id: Uuid,
        record_id: Uuid,
        rule: Option<Rule>,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        rejection_in(&self.conn(), device_id, record_id, rule, now)
    }

    fn apply_tombstone(
        &self,
        t: &Tombstone,
        now: OffsetDateTime,
    ) -> Result<TombstoneStatus, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let record = t.record_id.to_string();
        let device = t.device_id.to_string();
        // Withdrawal belongs to the record's owner (R9): another device's
        // tombstone never touches it, and is kept for its own device only.
        let owner: Option<String> = tx
            .query_row(
                "SELECT device_id FROM records WHERE record_id = ?1",
                params![record],
                |r| r.get(0),
            )
            .optional()?;
        let already = withdrawn_by(&tx, &record, &device)?;
        let deleted = owner.as_deref() == Some(device.as_str());
        if deleted {
            tx.execute("DELETE FROM records WHERE record_id = ?1", params![record])?;
            tx.execute(
                "DELETE FROM compliance_findings WHERE record_id = ?1",
                params![record],
            )?;
            super::review::forget_record(&tx, &record)?;
            final_withdrawal(&tx, &record, &device, now)?;
        }
        tx.execute(
            "DELETE FROM conflicts WHERE record_id = ?1 AND device_id = ?2",
            params![record, device],
        )?;
        tx.execute(
            "INSERT OR IGNORE INTO tombstones VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                t.tombstone_id.to_string(),
                record,
                device,
                t.withdrawn_on.to_string(),
                ts(now)
            ],
        )?;
        tx.commit()?;
        Ok(if deleted {
            TombstoneStatus::Deleted
        } else if already {
            TombstoneStatus::AlreadyDeleted
        } else {
            TombstoneStatus::Unknown
        })
    }

    fn sync_status(&self, device_id: Uuid) -> Result<SyncStatus, StoreError> {
        let conn = self.conn();
        let id = device_id.to_string();
        let count = |sql: &str| -> Result<u64, StoreError> {
            Ok(conn.query_row(sql, params![id], |r| r.get::<_, i64>(0))? as u64)
        };
        let stored = count("SELECT COUNT(*) FROM records WHERE device_id = ?1")?;
        let rejected =
            count("SELECT COUNT(DISTINCT record_id) FROM rejections WHERE device_id = ?1")?;
        let tombstones = count("SELECT COUNT(*) FROM tombstones WHERE device_id = ?1")?;
        let last: Option<String> = conn.query_row(
            "SELECT MAX(received_at) FROM records WHERE device_id = ?1",
            params![id],
            |r| r.get(0),
        )?;
        Ok(SyncStatus {
            stored,
            rejected,
            tombstones,
            last_received: last.as_deref().map(parse_ts).transpose()?,
        })
    }

    fn compliance_findings(&self, who: &Principal) -> Result<Vec<ComplianceFinding>, StoreError> {
        check(who, Access::ReadCompliance)?;
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT record_id, rule, message, researcher, protocol_id, protocol_version
             FROM compliance_findings ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })?;
        rows.map(|row| {
            let (record, rule, message, researcher, protocol_id, protocol_version) = row?;
            Ok(ComplianceFinding {
                record_id: parse_uuid(&record)?,
                rule: rule
                    .parse()
                    .map_err(|e| StoreError::Corrupt(format!("{e}")))?,
                message,
                researcher,
                protocol_id,
                protocol_version,
            })
        })
        .collect()
    }

    fn read_record(
        &self,
        who: &Principal,
        record_id: Uuid,
        now: OffsetDateTime,
    ) -> Result<Option<String>, StoreError> {
        check(who, Access::ReadAnswers)?;
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Audited even when the record is missing: the attempt is what matters.
        tx.execute(
            "INSERT INTO audit_log (actor, action, target, at) VALUES (?1, 'read_record', ?2, ?3)",
            params![who.to_string(), record_id.to_string(), ts(now)],
        )?;
        let envelope: Option<String> = tx
            .query_row(
                "SELECT envelope FROM records WHERE record_id = ?1",
                params![record_id.to_string()],
                |r| r.get(0),
            )
            .optional()?;
        tx.commit()?;
        Ok(envelope)
    }

    fn audit_log(&self, who: &Principal) -> Result<Vec<AuditEntry>, StoreError> {
        check(who, Access::ReadAuditLog)?;
        let conn = self.conn();
        let mut stmt =
            conn.prepare("SELECT actor, action, target, at, source FROM audit_log ORDER BY id")?;
        let rows = stmt.query_map([], super::accounts::entry_row)?;
        rows.map(|row| super::accounts::to_entry(row?)).collect()
    }
}

/// Publishes inside the caller's transaction: a new version is inserted,
/// the same content again changes nothing, other content is refused (R4).
pub(super) fn publish_in(
    tx: &rusqlite::Transaction<'_>,
    p: &PublishedProtocol,
) -> Result<PublishOutcome, StoreError> {
    let existing: Option<String> = tx
        .query_row(
            "SELECT content_hash FROM protocols WHERE protocol_id = ?1 AND version = ?2",
            params![p.protocol_id, p.version],
            |r| r.get(0),
        )
        .optional()?;
    let outcome = match existing {
        Some(hash) if hash == p.content_hash.0 => PublishOutcome::AlreadyPublished,
        Some(hash) => PublishOutcome::Refused {
            existing_hash: ContentHash(hash),
        },
        None => {
            tx.execute(
                "INSERT INTO protocols VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    p.protocol_id,
                    p.version,
                    p.content_hash.0,
                    p.source_toml,
                    ts(p.published_at)
                ],
            )?;
            PublishOutcome::Published
        }
    };
    Ok(outcome)
}
