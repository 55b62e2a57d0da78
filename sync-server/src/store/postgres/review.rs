//! Supervisor review on PostgreSQL: the same states, notes, history, queue
//! and device feedback as `store/review.rs` on SQLite, with the same
//! audit in the same transaction (R22).
//!
//! Across instances: a decision locks each record's row, so a withdrawal
//! racing it on another instance either waits for the note and deletes it
//! with the record (R9) or deletes the record first and the decision skips
//! it; an acknowledgement locks its note, so the same acknowledgement sent
//! to two instances is recorded once.

use std::collections::BTreeMap;

use deadpool_postgres::Transaction;
use fieldkit_protocols::feedback::{
    AckStatus, FeedbackAck, FeedbackNote, NoteText, ReviewDecision, ReviewState,
};
use fieldkit_protocols::rules::Rule;
use time::OffsetDateTime;
use tokio_postgres::Row;
use uuid::Uuid;

use super::{version_from, PgStore};
use crate::access::{check, Access, Principal};
use crate::store::review::{parse_rule, parse_state};
use crate::store::{
    QueueItem, RecordReview, ReviewEvent, ReviewFilter, ReviewNote, ReviewStore, StoreError,
};

/// The queue's columns; `findings` is NULL for a record without any.
const QUEUE_SELECT: &str = "SELECT r.record_id,
        COALESCE(r.envelope::jsonb->>'respondent', ''), COALESCE(d.researcher, r.device_id::text),
        r.protocol_id, r.protocol_version, r.received_at, COALESCE(s.state, 'received'),
        fs.findings,
        (SELECT COUNT(*) FROM review_notes n WHERE n.record_id = r.record_id),
        (SELECT COUNT(*) FROM review_notes n WHERE n.record_id = r.record_id
                                            AND n.acknowledged_at IS NOT NULL)
     FROM records r LEFT JOIN devices d ON d.device_id = r.device_id
     LEFT JOIN review_states s ON s.record_id = r.record_id
     CROSS JOIN LATERAL (SELECT array_agg(DISTINCT f.rule) AS findings
                         FROM compliance_findings f WHERE f.record_id = r.record_id) fs";

impl ReviewStore for PgStore {
    fn review_queue(
        &self,
        who: &Principal,
        filter: &ReviewFilter,
    ) -> Result<Vec<QueueItem>, StoreError> {
        check(who, Access::ReviewRecords)?;
        let day = |d: time::Date| d.midnight().assume_utc();
        let from = filter.from.map(day);
        let until = filter.to.and_then(|d| d.next_day()).map(day);
        let rule = filter.rule.map(Rule::id);
        let state = filter.state.map(ReviewState::id);
        let limit = i64::from(filter.limit);
        self.block(async {
            let rows = self
                .client()
                .await?
                .query(
                    &format!(
                        "{QUEUE_SELECT}
                         WHERE ($1::text IS NULL OR d.researcher = $1)
                           AND ($2::text IS NULL OR r.protocol_id = $2)
                           AND ($3::text IS NULL OR EXISTS (
                                SELECT 1 FROM compliance_findings f
                                WHERE f.record_id = r.record_id AND f.rule = $3))
                           AND ($4::text IS NULL OR COALESCE(s.state, 'received') = $4)
                           AND ($5::timestamptz IS NULL OR r.received_at >= $5)
                           AND ($6::timestamptz IS NULL OR r.received_at < $6)
                         ORDER BY fs.findings IS NULL, r.received_at DESC, r.record_id LIMIT $7"
                    ),
                    &[
                        &filter.researcher,
                        &filter.protocol,
                        &rule,
                        &state,
                        &from,
                        &until,
                        &limit,
                    ],
                )
                .await?;
            rows.iter().map(to_item).collect()
        })
    }

    fn review_counts(&self, who: &Principal) -> Result<BTreeMap<ReviewState, u64>, StoreError> {
        check(who, Access::ReviewRecords)?;
        let rows = self.block(async {
            Ok::<_, StoreError>(
                self.client()
                    .await?
                    .query(
                        "SELECT COALESCE(s.state, 'received'), COUNT(*) FROM records r
                         LEFT JOIN review_states s ON s.record_id = r.record_id GROUP BY 1",
                        &[],
                    )
                    .await?,
            )
        })?;
        let mut counts: BTreeMap<ReviewState, u64> =
            ReviewState::ALL.into_iter().map(|s| (s, 0)).collect();
        for row in rows {
            *counts.entry(parse_state(row.get(0))?).or_default() += row.get::<_, i64>(1) as u64;
        }
        Ok(counts)
    }

    fn record_review(
        &self,
        who: &Principal,
        record_id: Uuid,
    ) -> Result<Option<RecordReview>, StoreError> {
        check(who, Access::ReviewRecords)?;
        self.block(async {
            let mut client = self.client().await?;
            // One snapshot: the notes and history belong to the state shown.
            let tx = super::snapshot(&mut client).await?;
            let Some(item) = tx
                .query_opt(
                    &format!("{QUEUE_SELECT} WHERE r.record_id = $1"),
                    &[&record_id],
                )
                .await?
            else {
                return Ok(None);
            };
            let notes = tx
                .query(
                    "SELECT note_id, rule, text, author, written_at, acknowledged_at
                     FROM review_notes WHERE record_id = $1 ORDER BY written_at, note_id",
                    &[&record_id],
                )
                .await?;
            let history = tx
                .query(
                    "SELECT actor, change, at FROM review_history WHERE record_id = $1 ORDER BY id",
                    &[&record_id],
                )
                .await?;
            tx.commit().await?;
            Ok(Some(RecordReview {
                item: to_item(&item)?,
                notes: notes
                    .iter()
                    .map(|r| {
                        Ok(ReviewNote {
                            note_id: r.get(0),
                            record_id,
                            rule: r.get::<_, Option<&str>>(1).map(parse_rule).transpose()?,
                            text: NoteText::from_stored(r.get(2)),
                            author: r.get(3),
                            written_at: r.get(4),
                            acknowledged_at: r.get(5),
                        })
                    })
                    .collect::<Result<_, StoreError>>()?,
                history: history
                    .iter()
                    .map(|r| ReviewEvent {
                        actor: r.get(0),
                        change: r.get(1),
                        at: r.get(2),
                    })
                    .collect(),
            }))
        })
    }

    fn review_records(
        &self,
        who: &Principal,
        record_ids: &[Uuid],
        decision: &ReviewDecision,
        now: OffsetDateTime,
    ) -> Result<Vec<Uuid>, StoreError> {
        check(who, Access::ReviewRecords)?;
        self.block(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await?;
            let mut changed = Vec::new();
            for &record_id in record_ids {
                if review_one(&tx, who, record_id, decision, now).await? {
                    changed.push(record_id);
                }
            }
            tx.commit().await?;
            Ok(changed)
        })
    }

    fn device_feedback(
        &self,
        who: &Principal,
        device_id: Uuid,
    ) -> Result<Vec<FeedbackNote>, StoreError> {
        check(who, Access::ReceiveFeedback)?;
        let rows = self.block(async {
            Ok::<_, StoreError>(
                self.client()
                    .await?
                    .query(
                        "SELECT n.note_id, n.record_id,
                                COALESCE(r.envelope::jsonb->>'respondent', ''), r.protocol_id,
                                n.rule, n.text, COALESCE(s.state, 'received'), n.written_at
                         FROM review_notes n JOIN records r ON r.record_id = n.record_id
                         LEFT JOIN review_states s ON s.record_id = n.record_id
                         WHERE r.device_id = $1 AND n.acknowledged_at IS NULL
                         ORDER BY n.written_at, n.note_id",
                        &[&device_id],
                    )
                    .await?,
            )
        })?;
        rows.iter()
            .map(|r| {
                Ok(FeedbackNote {
                    note_id: r.get(0),
                    record_id: r.get(1),
                    reference: r.get(2),
                    protocol_id: r.get(3),
                    rule: r.get::<_, Option<&str>>(4).map(parse_rule).transpose()?,
                    text: r.get(5),
                    state: parse_state(r.get(6))?,
                    written_at: r.get(7),
                })
            })
            .collect()
    }

    fn acknowledge_feedback(
        &self,
        who: &Principal,
        device_id: Uuid,
        acks: &[FeedbackAck],
        now: OffsetDateTime,
    ) -> Result<Vec<AckStatus>, StoreError> {
        check(who, Access::ReceiveFeedback)?;
        self.block(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await?;
            let mut out = Vec::with_capacity(acks.len());
            for ack in acks {
                out.push(acknowledge_one(&tx, who, device_id, ack, now).await?);
            }
            tx.commit().await?;
            Ok(out)
        })
    }
}

/// A withdrawn record's review goes with it (R9): called inside the
/// tombstone's transaction.
pub(super) async fn forget_record(tx: &Transaction<'_>, record_id: Uuid) -> Result<(), StoreError> {
    for table in ["review_states", "review_notes", "review_history"] {
        tx.execute(
            &format!("DELETE FROM {table} WHERE record_id = $1"),
            &[&record_id],
        )
        .await?;
    }
    Ok(())
}

fn to_item(r: &Row) -> Result<QueueItem, StoreError> {
    let mut rules = r
        .get::<_, Option<Vec<String>>>(7)
        .unwrap_or_default()
        .iter()
        .map(|rule| parse_rule(rule))
        .collect::<Result<Vec<_>, _>>()?;
    rules.sort();
    let count = |i: usize| u32::try_from(r.get::<_, i64>(i)).unwrap_or(u32::MAX);
    Ok(QueueItem {
        record_id: r.get(0),
        reference: r.get(1),
        researcher: r.get(2),
        protocol_id: r.get(3),
        protocol_version: version_from(r.get(4))?,
        received_at: r.get(5),
        state: parse_state(r.get(6))?,
        rules,
        notes: count(8),
        acknowledged: count(9),
    })
}

/// One record's part of a decision; `false` if the record is not stored.
async fn review_one(
    tx: &Transaction<'_>,
    who: &Principal,
    record_id: Uuid,
    decision: &ReviewDecision,
    now: OffsetDateTime,
) -> Result<bool, StoreError> {
    let actor = who.to_string();
    // The record's row stays locked until commit: a withdrawal on another
    // instance waits, then deletes this decision's note with the record.
    let Some(current) = tx
        .query_opt(
            "SELECT COALESCE(s.state, 'received') FROM records r
             LEFT JOIN review_states s ON s.record_id = r.record_id
             WHERE r.record_id = $1 FOR UPDATE OF r",
            &[&record_id],
        )
        .await?
        .map(|r| r.get::<_, String>(0))
    else {
        return Ok(false);
    };
    let mut changes = Vec::new();
    if let Some(state) = decision.state() {
        tx.execute(
            "INSERT INTO review_states (record_id, state, changed_by, changed_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (record_id) DO UPDATE SET state = $2, changed_by = $3, changed_at = $4",
            &[&record_id, &state.id(), &actor, &now],
        )
        .await?;
        changes.push((
            "review_state",
            format!("state {current} \u{2192} {}", state.id()),
        ));
    }
    if let Some((rule, text)) = decision.note() {
        tx.execute(
            "INSERT INTO review_notes (note_id, record_id, rule, text, author, written_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &Uuid::new_v4(),
                &record_id,
                &rule.map(Rule::id),
                &text.as_str(),
                &actor,
                &now,
            ],
        )
        .await?;
        let about = rule.map(|r| format!(" ({r})")).unwrap_or_default();
        changes.push(("review_note", format!("note written{about}")));
    }
    for (action, change) in changes {
        log_change(tx, record_id, &actor, action, &change, now).await?;
    }
    Ok(true)
}

async fn acknowledge_one(
    tx: &Transaction<'_>,
    who: &Principal,
    device_id: Uuid,
    ack: &FeedbackAck,
    now: OffsetDateTime,
) -> Result<AckStatus, StoreError> {
    // Only a note on this device's own record may be acknowledged by it;
    // the lock makes a resend racing on another instance see the first.
    let found = tx
        .query_opt(
            "SELECT n.record_id, n.acknowledged_at IS NOT NULL FROM review_notes n
             JOIN records r ON r.record_id = n.record_id
             WHERE n.note_id = $1 AND r.device_id = $2 FOR UPDATE OF n",
            &[&ack.note_id, &device_id],
        )
        .await?
        .map(|r| (r.get::<_, Uuid>(0), r.get::<_, bool>(1)));
    Ok(match found {
        None => AckStatus::Unknown,
        Some((_, true)) => AckStatus::AlreadyAcknowledged,
        Some((record_id, false)) => {
            tx.execute(
                "UPDATE review_notes SET acknowledged_at = $1, ack_received_at = $2
                 WHERE note_id = $3",
                &[&ack.acknowledged_at, &now, &ack.note_id],
            )
            .await?;
            log_change(
                tx,
                record_id,
                &who.to_string(),
                "feedback_ack",
                "note acknowledged on the phone",
                now,
            )
            .await?;
            AckStatus::Acknowledged
        }
    })
}

/// A history row and the audit entry for it (R22), in the caller's transaction.
async fn log_change(
    tx: &Transaction<'_>,
    record_id: Uuid,
    actor: &str,
    action: &str,
    change: &str,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO review_history (record_id, actor, change, at) VALUES ($1, $2, $3, $4)",
        &[&record_id, &actor, &change, &now],
    )
    .await?;
    tx.execute(
        "INSERT INTO audit_log (actor, action, target, at) VALUES ($1, $2, $3, $4)",
        &[&actor, &action, &record_id.to_string(), &now],
    )
    .await?;
    Ok(())
}
