//! Storing a device's records, each inside the caller's transaction: a
//! record withdrawn by its owner is refused for good (R9), a resend is a
//! duplicate, other content under an id already stored is kept aside as a
//! conflict, and a new record goes in with its compliance findings. A
//! rejection is counted without its content.

use fieldkit_protocols::rules::Rule;
use rusqlite::{params, Connection, OptionalExtension};
use time::OffsetDateTime;
use uuid::Uuid;

use super::super::rows::ts;
use super::super::{StoreError, StoreOutcome, VerifiedRecord};

/// Stores one verified record inside the caller's transaction.
pub(super) fn store_in(
    tx: &Connection,
    rec: &VerifiedRecord,
    now: OffsetDateTime,
) -> Result<StoreOutcome, StoreError> {
    let id = rec.record_id.to_string();
    let device = rec.device_id.to_string();
    // Refused for good once its owner withdrew it, whoever sends it; and
    // refused to a device that sent a tombstone for it first, which makes
    // that withdrawal final (R9). Another device's tombstone does not count.
    let withdrawn = tx
        .query_row(
            "SELECT 1 FROM withdrawals WHERE record_id = ?1
             UNION ALL SELECT 1 FROM tombstones WHERE record_id = ?1 AND device_id = ?2
             LIMIT 1",
            params![id, device],
            |_| Ok(()),
        )
        .optional()?
        .is_some();
    if withdrawn {
        final_withdrawal(tx, &id, &device, now)?;
        return Ok(StoreOutcome::Withdrawn);
    }
    let existing: Option<String> = tx
        .query_row(
            "SELECT content_hash FROM records WHERE record_id = ?1",
            params![id],
            |r| r.get(0),
        )
        .optional()?;
    let outcome = match existing {
        Some(hash) if hash == rec.content_hash.0 => StoreOutcome::Duplicate,
        Some(_) => {
            tx.execute(
                "INSERT OR IGNORE INTO conflicts VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    id,
                    rec.device_id.to_string(),
                    rec.content_hash.0,
                    rec.envelope_json,
                    ts(now)
                ],
            )?;
            StoreOutcome::Conflict
        }
        None => {
            tx.execute(
                "INSERT INTO records VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    id,
                    rec.device_id.to_string(),
                    rec.protocol_id,
                    rec.protocol_version,
                    rec.content_hash.0,
                    rec.envelope_json,
                    ts(now)
                ],
            )?;
            for f in &rec.findings {
                tx.execute(
                    "INSERT INTO compliance_findings
                         (record_id, rule, message, researcher, protocol_id, protocol_version)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        id,
                        f.rule.id(),
                        f.message,
                        f.researcher,
                        f.protocol_id,
                        f.protocol_version
                    ],
                )?;
            }
            StoreOutcome::Stored
        }
    };
    Ok(outcome)
}

/// Whether this device's withdrawal of the id is already final.
pub(super) fn withdrawn_by(
    tx: &Connection,
    record: &str,
    device: &str,
) -> Result<bool, StoreError> {
    Ok(tx
        .query_row(
            "SELECT 1 FROM withdrawals WHERE record_id = ?1 AND device_id = ?2",
            params![record, device],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// The id is withdrawn by its owner: never stored again, by anyone (R9).
/// The first owner's withdrawal stands if there is one already.
pub(super) fn final_withdrawal(
    tx: &Connection,
    record: &str,
    device: &str,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT OR IGNORE INTO withdrawals (record_id, device_id, at) VALUES (?1, ?2, ?3)",
        params![record, device, ts(now)],
    )?;
    Ok(())
}

/// Counts a rejection (no content is kept).
pub(super) fn rejection_in(
    conn: &Connection,
    device_id: Uuid,
    record_id: Uuid,
    rule: Option<Rule>,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO rejections VALUES (?1, ?2, ?3, ?4)",
        params![
            record_id.to_string(),
            device_id.to_string(),
            rule.map(Rule::id),
            ts(now)
        ],
    )?;
    Ok(())
}
