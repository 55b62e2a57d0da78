//! The device side of the store on PostgreSQL: protocols, enrolment,
//! records, tombstones, findings and the audit of answer reads.

use std::collections::HashMap;

use deadpool_postgres::Transaction;
use fieldkit_protocols::hash::ContentHash;
use fieldkit_protocols::rules::Rule;
use fieldkit_protocols::wire::{CodeOfPracticeAcceptance, SyncStatus, Tombstone, TombstoneStatus};
use time::OffsetDateTime;
use tokio_postgres::Row;
use uuid::Uuid;

use super::batch::{final_withdrawals, store_entries, Rejections};
use super::{device_lock_key, micros, version_from, PgStore};
use crate::access::{check, Access, Principal};
use crate::store::rows::langs;
use crate::store::{
    AuditEntry, BatchEntry, ComplianceFinding, Device, MediaStore, NewEnrolment, PublishOutcome,
    PublishedProtocol, Store, StoreError, StoreOutcome, VerifiedRecord,
};

const DEVICE_SELECT: &str = "SELECT d.device_id, d.researcher, d.languages, d.enrolled_at, \
     d.revoked_at, c.language, c.accepted_at \
     FROM devices d LEFT JOIN code_of_practice c ON c.device_id = d.device_id";

fn to_device(row: &Row) -> Device {
    let language: Option<String> = row.get(5);
    let accepted_at: Option<OffsetDateTime> = row.get(6);
    Device {
        device_id: row.get(0),
        researcher: row.get(1),
        languages: langs(row.get(2)),
        enrolled_at: row.get(3),
        revoked_at: row.get(4),
        code_of_practice: language.zip(accepted_at).map(|(language, accepted_at)| {
            CodeOfPracticeAcceptance {
                language,
                accepted_at,
            }
        }),
    }
}

fn to_protocol(row: &Row) -> Result<PublishedProtocol, StoreError> {
    Ok(PublishedProtocol {
        protocol_id: row.get(0),
        version: version_from(row.get(1))?,
        content_hash: ContentHash(row.get(2)),
        source_toml: row.get(3),
        published_at: row.get(4),
    })
}

/// Serialises this device's writes with every other instance's, until the
/// transaction ends.
async fn lock_device(tx: &Transaction<'_>, device_id: Uuid) -> Result<(), StoreError> {
    // The one-number form: its keys never meet the (namespace, key) pairs.
    tx.execute(
        "SELECT pg_advisory_xact_lock($1)",
        &[&device_lock_key(device_id)],
    )
    .await?;
    Ok(())
}

impl Store for PgStore {
    fn publish(&self, p: &PublishedProtocol) -> Result<PublishOutcome, StoreError> {
        // One way to publish: a version without media is one with none.
        self.publish_with_media(p, &[])
    }

    fn protocols(&self) -> Result<Vec<PublishedProtocol>, StoreError> {
        self.block(async {
            let rows = self
                .client()
                .await?
                .query(
                    "SELECT protocol_id, version, content_hash, source_toml, published_at
                     FROM protocols ORDER BY protocol_id COLLATE \"C\", version",
                    &[],
                )
                .await?;
            rows.iter().map(to_protocol).collect()
        })
    }

    fn protocol(&self, id: &str, version: u32) -> Result<Option<PublishedProtocol>, StoreError> {
        self.block(async {
            let row = self
                .client()
                .await?
                .query_opt(
                    "SELECT protocol_id, version, content_hash, source_toml, published_at
                     FROM protocols WHERE protocol_id = $1 AND version = $2",
                    &[&id, &i64::from(version)],
                )
                .await?;
            row.as_ref().map(to_protocol).transpose()
        })
    }

    fn add_enrolment(&self, e: &NewEnrolment) -> Result<(), StoreError> {
        self.block(async {
            self.client()
                .await?
                .execute(
                    "INSERT INTO enrolments (code_hash, researcher, languages, expires_at)
                     VALUES ($1, $2, $3, $4)",
                    &[
                        &e.code_hash,
                        &e.researcher,
                        &e.languages.join(","),
                        &e.expires_at,
                    ],
                )
                .await?;
            Ok(())
        })
    }

    fn drop_pending_enrolments(&self, researcher: &str) -> Result<usize, StoreError> {
        self.block(async {
            let n = self
                .client()
                .await?
                .execute(
                    "DELETE FROM enrolments WHERE researcher = $1 AND redeemed_by IS NULL",
                    &[&researcher],
                )
                .await?;
            Ok(n as usize)
        })
    }

    fn redeem_enrolment(
        &self,
        code_hash: &str,
        device_id: Uuid,
        token_hash: &str,
        code_of_practice: &CodeOfPracticeAcceptance,
        now: OffsetDateTime,
    ) -> Result<Option<Device>, StoreError> {
        let now = micros(now);
        let code_of_practice = CodeOfPracticeAcceptance {
            language: code_of_practice.language.clone(),
            accepted_at: micros(code_of_practice.accepted_at),
        };
        self.block(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await?;
            // One statement claims the code, so two instances given the same
            // code at once cannot both redeem it.
            let claimed = tx
                .query_opt(
                    "UPDATE enrolments SET redeemed_by = $1
                     WHERE code_hash = $2 AND redeemed_by IS NULL AND expires_at >= $3
                     RETURNING researcher, languages",
                    &[&device_id, &code_hash, &now],
                )
                .await?;
            let Some(claimed) = claimed else {
                return Ok(None);
            };
            let researcher: String = claimed.get(0);
            let languages: String = claimed.get(1);
            tx.execute(
                "INSERT INTO devices (device_id, researcher, languages, token_hash, enrolled_at)
                 VALUES ($1, $2, $3, $4, $5)",
                &[&device_id, &researcher, &languages, &token_hash, &now],
            )
            .await?;
            tx.execute(
                "INSERT INTO code_of_practice (device_id, language, accepted_at) VALUES ($1, $2, $3)",
                &[
                    &device_id,
                    &code_of_practice.language,
                    &code_of_practice.accepted_at,
                ],
            )
            .await?;
            tx.commit().await?;
            Ok(Some(Device {
                device_id,
                researcher,
                languages: langs(&languages),
                enrolled_at: now,
                revoked_at: None,
                code_of_practice: Some(code_of_practice),
            }))
        })
    }

    fn enrolment_code_pending(
        &self,
        code_hash: &str,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        self.block(async {
            Ok(self
                .client()
                .await?
                .query_opt(
                    "SELECT 1 FROM enrolments
                     WHERE code_hash = $1 AND redeemed_by IS NULL AND expires_at >= $2",
                    &[&code_hash, &now],
                )
                .await?
                .is_some())
        })
    }

    fn device_by_token(&self, token_hash: &str) -> Result<Option<Device>, StoreError> {
        self.block(async {
            let client = self.client().await?;
            let statement = client
                .prepare_cached(&format!("{DEVICE_SELECT} WHERE d.token_hash = $1"))
                .await?;
            let row = client.query_opt(&statement, &[&token_hash]).await?;
            Ok(row.as_ref().map(to_device))
        })
    }

    fn devices(&self) -> Result<Vec<Device>, StoreError> {
        self.block(async {
            let rows = self
                .client()
                .await?
                .query(&format!("{DEVICE_SELECT} ORDER BY d.enrolled_at"), &[])
                .await?;
            Ok(rows.iter().map(to_device).collect())
        })
    }

    fn revoke_device(&self, device_id: Uuid, now: OffsetDateTime) -> Result<bool, StoreError> {
        self.block(async {
            let client = self.client().await?;
            let exists = client
                .query_opt("SELECT 1 FROM devices WHERE device_id = $1", &[&device_id])
                .await?
                .is_some();
            client
                .execute(
                    "UPDATE devices SET revoked_at = $1 WHERE device_id = $2 AND revoked_at IS NULL",
                    &[&now, &device_id],
                )
                .await?;
            Ok(exists)
        })
    }

    fn record_hashes(&self, record_ids: &[Uuid]) -> Result<HashMap<Uuid, ContentHash>, StoreError> {
        self.block(async {
            let client = self.client().await?;
            let statement = client
                .prepare_cached(
                    "SELECT record_id, content_hash FROM records WHERE record_id = ANY($1)",
                )
                .await?;
            let rows = client.query(&statement, &[&record_ids]).await?;
            Ok(rows
                .iter()
                .map(|r| (r.get(0), ContentHash(r.get(1))))
                .collect())
        })
    }

    fn store_record(
        &self,
        record: &VerifiedRecord,
        now: OffsetDateTime,
    ) -> Result<StoreOutcome, StoreError> {
        let entry = [BatchEntry::Verified(record.clone())];
        let outcomes = self.block(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await?;
            lock_device(&tx, record.device_id).await?;
            let outcomes = store_entries(&tx, &entry, now).await?;
            tx.commit().await?;
            Ok::<_, StoreError>(outcomes)
        })?;
        outcomes
            .into_iter()
            .next()
            .flatten()
            .ok_or_else(|| StoreError::Corrupt("no outcome for a stored record".to_owned()))
    }

    fn store_batch(
        &self,
        device_id: Uuid,
        entries: &[BatchEntry],
        now: OffsetDateTime,
    ) -> Result<Vec<Option<StoreOutcome>>, StoreError> {
        self.block(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await?;
            lock_device(&tx, device_id).await?;
            let outcomes = store_entries(&tx, entries, now).await?;
            let mut rejected = Rejections::default();
            for (entry, outcome) in entries.iter().zip(&outcomes) {
                match (entry, outcome) {
                    (BatchEntry::Rejected { record_id, rule }, _) => {
                        rejected.push(*record_id, *rule);
                    }
                    (BatchEntry::Verified(rec), Some(StoreOutcome::Withdrawn)) => {
                        rejected.push(rec.record_id, Some(Rule::R9));
                    }
                    _ => {}
                }
            }
            rejected.insert(&tx, device_id, now).await?;
            tx.commit().await?;
            Ok(outcomes)
        })
    }

    fn note_rejection(
        &self,
        device_id: Uuid,
        record_id: Uuid,
        rule: Option<Rule>,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.block(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await?;
            let mut rejected = Rejections::default();
            rejected.push(record_id, rule);
            rejected.insert(&tx, device_id, now).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    fn apply_tombstone(
        &self,
        t: &Tombstone,
        now: OffsetDateTime,
    ) -> Result<TombstoneStatus, StoreError> {
        self.block(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await?;
            // The same lock as the device's batches: a record and its
            // tombstone sent to two instances at once are applied in turn.
            lock_device(&tx, t.device_id).await?;
            // Withdrawal belongs to the record's owner (R9): another device's
            // tombstone never touches it, and is kept for its own device only.
            let owner: Option<Uuid> = tx
                .query_opt(
                    "SELECT device_id FROM records WHERE record_id = $1",
                    &[&t.record_id],
                )
                .await?
                .map(|r| r.get(0));
            let already = tx
                .query_opt(
                    "SELECT 1 FROM withdrawals WHERE record_id = $1 AND device_id = $2",
                    &[&t.record_id, &t.device_id],
                )
                .await?
                .is_some();
            let deleted = owner == Some(t.device_id);
            if deleted {
                tx.execute("DELETE FROM records WHERE record_id = $1", &[&t.record_id])
                    .await?;
                tx.execute(
                    "DELETE FROM compliance_findings WHERE record_id = $1",
                    &[&t.record_id],
                )
                .await?;
                super::review::forget_record(&tx, t.record_id).await?;
                final_withdrawals(&tx, &[t.record_id], &[t.device_id], now).await?;
            }
            tx.execute(
                "DELETE FROM conflicts WHERE record_id = $1 AND device_id = $2",
                &[&t.record_id, &t.device_id],
            )
            .await?;
            tx.execute(
                "INSERT INTO tombstones VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                &[
                    &t.tombstone_id,
                    &t.record_id,
                    &t.device_id,
                    &t.withdrawn_on.to_string(),
                    &now,
                ],
            )
            .await?;
            tx.commit().await?;
            Ok(if deleted {
                TombstoneStatus::Deleted
            } else if already {
                TombstoneStatus::AlreadyDeleted
            } else {
                TombstoneStatus::Unknown
            })
        })
    }

    fn sync_status(&self, device_id: Uuid) -> Result<SyncStatus, StoreError> {
        self.block(async {
            let client = self.client().await?;
            let statement = client
                .prepare_cached(
                    "SELECT
                       (SELECT COUNT(*) FROM records WHERE device_id = $1),
                       (SELECT COUNT(DISTINCT record_id) FROM rejections WHERE device_id = $1),
                       (SELECT COUNT(*) FROM tombstones WHERE device_id = $1),
                       (SELECT MAX(received_at) FROM records WHERE device_id = $1)",
                )
                .await?;
            let row = client.query_one(&statement, &[&device_id]).await?;
            let count = |i: usize| row.get::<_, i64>(i) as u64;
            Ok(SyncStatus {
                stored: count(0),
                rejected: count(1),
                tombstones: count(2),
                last_received: row.get(3),
            })
        })
    }

    fn compliance_findings(&self, who: &Principal) -> Result<Vec<ComplianceFinding>, StoreError> {
        check(who, Access::ReadCompliance)?;
        self.block(async {
            let rows = self
                .client()
                .await?
                .query(
                    "SELECT record_id, rule, message, researcher, protocol_id, protocol_version
                     FROM compliance_findings ORDER BY id",
                    &[],
                )
                .await?;
            rows.iter()
                .map(|r| {
                    let rule: String = r.get(1);
                    Ok(ComplianceFinding {
                        record_id: r.get(0),
                        rule: rule
                            .parse()
                            .map_err(|e| StoreError::Corrupt(format!("{e}")))?,
                        message: r.get(2),
                        researcher: r.get(3),
                        protocol_id: r.get(4),
                        protocol_version: version_from(r.get(5))?,
                    })
                })
                .collect()
        })
    }

    fn read_record(
        &self,
        who: &Principal,
        record_id: Uuid,
        now: OffsetDateTime,
    ) -> Result<Option<String>, StoreError> {
        check(who, Access::ReadAnswers)?;
        self.block(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await?;
            // Audited even when the record is missing: the attempt is what matters.
            tx.execute(
                "INSERT INTO audit_log (actor, action, target, at) VALUES ($1, 'read_record', $2, $3)",
                &[&who.to_string(), &record_id.to_string(), &now],
            )
            .await?;
            let envelope = tx
                .query_opt(
                    "SELECT envelope FROM records WHERE record_id = $1",
                    &[&record_id],
                )
                .await?
                .map(|r| r.get(0));
            tx.commit().await?;
            Ok(envelope)
        })
    }

    fn audit_log(&self, who: &Principal) -> Result<Vec<AuditEntry>, StoreError> {
        check(who, Access::ReadAuditLog)?;
        self.block(async {
            let rows = self
                .client()
                .await?
                .query(
                    "SELECT actor, action, target, at, source FROM audit_log ORDER BY id",
                    &[],
                )
                .await?;
            Ok(rows.iter().map(super::web::to_entry).collect())
        })
    }
}
