//! A device's batch on PostgreSQL: a handful of statements whatever its
//! size (what is withdrawn or already stored is read once, new records go
//! in with one `INSERT ... SELECT FROM unnest(...)`), each entry keeping the
//! outcome it would have alone.

use std::collections::{HashMap, HashSet};

use deadpool_postgres::Transaction;
use fieldkit_protocols::rules::Rule;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::store::{BatchEntry, ComplianceFinding, StoreError, StoreOutcome, VerifiedRecord};

/// Stores the verified entries of a batch in the caller's transaction, in
/// a handful of statements whatever the batch size: what is withdrawn or
/// already here is read once, then new records go in with one `INSERT ...
/// SELECT FROM unnest(...)`. Outcomes are as if each entry were stored
/// alone, in order; `None` for rejected entries (the caller counts them).
pub(super) async fn store_entries(
    tx: &Transaction<'_>,
    entries: &[BatchEntry],
    now: OffsetDateTime,
) -> Result<Vec<Option<StoreOutcome>>, StoreError> {
    let (ids, devices): (Vec<Uuid>, Vec<Uuid>) = entries
        .iter()
        .filter_map(|e| match e {
            BatchEntry::Verified(rec) => Some((rec.record_id, rec.device_id)),
            BatchEntry::Rejected { .. } => None,
        })
        .unzip();
    if ids.is_empty() {
        return Ok(vec![None; entries.len()]);
    }
    // Records are read before withdrawals: an owner's withdrawal committing
    // in between (another device's lock) then shows in the second read, so
    // a withdrawn id is never taken for a new one.
    let mut existing: HashMap<Uuid, String> = tx
        .query(
            "SELECT record_id, content_hash FROM records WHERE record_id = ANY($1)",
            &[&ids],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    // Refused for good once its owner withdrew it, whoever sends it; and
    // refused to a device that sent a tombstone for it first, which makes
    // that withdrawal final (R9). Another device's tombstone does not count.
    let withdrawn: HashSet<Uuid> = tx
        .query(
            "SELECT record_id FROM withdrawals WHERE record_id = ANY($1)
             UNION SELECT t.record_id FROM tombstones t
                 JOIN unnest($1::uuid[], $2::uuid[]) AS x(r, d)
                 ON t.record_id = x.r AND t.device_id = x.d",
            &[&ids, &devices],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();

    let mut outcomes = Vec::with_capacity(entries.len());
    let mut fresh: Vec<&VerifiedRecord> = Vec::new();
    let mut conflicts: Vec<&VerifiedRecord> = Vec::new();
    for entry in entries {
        let BatchEntry::Verified(rec) = entry else {
            outcomes.push(None);
            continue;
        };
        let outcome = if withdrawn.contains(&rec.record_id) {
            StoreOutcome::Withdrawn
        } else {
            match existing.get(&rec.record_id) {
                Some(hash) if *hash == rec.content_hash.0 => StoreOutcome::Duplicate,
                Some(_) => {
                    conflicts.push(rec);
                    StoreOutcome::Conflict
                }
                None => {
                    existing.insert(rec.record_id, rec.content_hash.0.clone());
                    fresh.push(rec);
                    StoreOutcome::Stored
                }
            }
        };
        outcomes.push(Some(outcome));
    }

    let inserted = insert_records(tx, &fresh, now).await?;
    if inserted.len() < fresh.len() {
        // Another device's batch stored one of these ids since we looked
        // (only the same device is serialised by the lock): what is there
        // now decides, as it would have a moment later.
        for rec in fresh.iter().filter(|r| !inserted.contains(&r.record_id)) {
            let hash: String = tx
                .query_one(
                    "SELECT content_hash FROM records WHERE record_id = $1",
                    &[&rec.record_id],
                )
                .await?
                .get(0);
            let outcome = if hash == rec.content_hash.0 {
                StoreOutcome::Duplicate
            } else {
                conflicts.push(rec);
                StoreOutcome::Conflict
            };
            for (entry, slot) in entries.iter().zip(outcomes.iter_mut()) {
                if matches!(entry, BatchEntry::Verified(r) if std::ptr::eq(r, *rec)) {
                    *slot = Some(outcome.clone());
                }
            }
        }
    }
    let (refused, owners): (Vec<Uuid>, Vec<Uuid>) = entries
        .iter()
        .zip(&outcomes)
        .filter_map(|(entry, outcome)| match (entry, outcome) {
            (BatchEntry::Verified(rec), Some(StoreOutcome::Withdrawn)) => {
                Some((rec.record_id, rec.device_id))
            }
            _ => None,
        })
        .unzip();
    final_withdrawals(tx, &refused, &owners, now).await?;
    insert_findings(tx, fresh.iter().filter(|r| inserted.contains(&r.record_id))).await?;
    insert_conflicts(tx, &conflicts, now).await?;
    Ok(outcomes)
}

/// Inserts new records in one statement; returns the ids actually inserted.
async fn insert_records(
    tx: &Transaction<'_>,
    records: &[&VerifiedRecord],
    now: OffsetDateTime,
) -> Result<HashSet<Uuid>, StoreError> {
    if records.is_empty() {
        return Ok(HashSet::new());
    }
    let ids: Vec<Uuid> = records.iter().map(|r| r.record_id).collect();
    let devices: Vec<Uuid> = records.iter().map(|r| r.device_id).collect();
    let protocols: Vec<&str> = records.iter().map(|r| r.protocol_id.as_str()).collect();
    let versions: Vec<i64> = records
        .iter()
        .map(|r| i64::from(r.protocol_version))
        .collect();
    let hashes: Vec<&str> = records.iter().map(|r| r.content_hash.0.as_str()).collect();
    let envelopes: Vec<&str> = records.iter().map(|r| r.envelope_json.as_str()).collect();
    let statement = tx
        .prepare_cached(
            "INSERT INTO records
             SELECT r.*, $7::timestamptz
             FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::bigint[], $5::text[], $6::text[]) AS r
             ON CONFLICT (record_id) DO NOTHING
             RETURNING record_id",
        )
        .await?;
    Ok(tx
        .query(
            &statement,
            &[
                &ids, &devices, &protocols, &versions, &hashes, &envelopes, &now,
            ],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

/// Each id is withdrawn by the device beside it: never stored again, by
/// anyone (R9). The first owner's withdrawal stands if there is one already.
pub(super) async fn final_withdrawals(
    tx: &Transaction<'_>,
    ids: &[Uuid],
    devices: &[Uuid],
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    if ids.is_empty() {
        return Ok(());
    }
    tx.execute(
        "INSERT INTO withdrawals (record_id, device_id, at)
         SELECT r, d, $3 FROM unnest($1::uuid[], $2::uuid[]) AS x(r, d)
         ON CONFLICT DO NOTHING",
        &[&ids, &devices, &now],
    )
    .await?;
    Ok(())
}

async fn insert_findings<'a>(
    tx: &Transaction<'_>,
    records: impl Iterator<Item = &'a &'a VerifiedRecord>,
) -> Result<(), StoreError> {
    let findings: Vec<&ComplianceFinding> = records.flat_map(|r| &r.findings).collect();
    if findings.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = findings.iter().map(|f| f.record_id).collect();
    let rules: Vec<&str> = findings.iter().map(|f| f.rule.id()).collect();
    let messages: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
    let researchers: Vec<&str> = findings.iter().map(|f| f.researcher.as_str()).collect();
    let protocols: Vec<&str> = findings.iter().map(|f| f.protocol_id.as_str()).collect();
    let versions: Vec<i64> = findings
        .iter()
        .map(|f| i64::from(f.protocol_version))
        .collect();
    let statement = tx
        .prepare_cached(
            "INSERT INTO compliance_findings
                 (record_id, rule, message, researcher, protocol_id, protocol_version)
             SELECT a, b, c, d, e, g
             FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[])
             WITH ORDINALITY AS f(a, b, c, d, e, g, n) ORDER BY n",
        )
        .await?;
    tx.execute(
        &statement,
        &[&ids, &rules, &messages, &researchers, &protocols, &versions],
    )
    .await?;
    Ok(())
}

async fn insert_conflicts(
    tx: &Transaction<'_>,
    records: &[&VerifiedRecord],
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    for rec in records {
        tx.execute(
            "INSERT INTO conflicts VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            &[
                &rec.record_id,
                &rec.device_id,
                &rec.content_hash.0,
                &rec.envelope_json,
                &now,
            ],
        )
        .await?;
    }
    Ok(())
}

/// Rejections of one batch, counted in one statement (no content is kept).
#[derive(Default)]
pub(super) struct Rejections {
    ids: Vec<Uuid>,
    rules: Vec<Option<&'static str>>,
}

impl Rejections {
    pub(super) fn push(&mut self, record_id: Uuid, rule: Option<Rule>) {
        self.ids.push(record_id);
        self.rules.push(rule.map(Rule::id));
    }

    pub(super) async fn insert(
        &self,
        tx: &Transaction<'_>,
        device_id: Uuid,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        if self.ids.is_empty() {
            return Ok(());
        }
        tx.execute(
            "INSERT INTO rejections (record_id, device_id, rule, at)
             SELECT r, $2, u, $4 FROM unnest($1::uuid[], $3::text[]) WITH ORDINALITY AS x(r, u, n)
             ORDER BY n",
            &[&self.ids, &device_id, &self.rules, &now],
        )
        .await?;
        Ok(())
    }
}
