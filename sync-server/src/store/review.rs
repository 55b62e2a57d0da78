//! Supervisor review in storage: a state per record, notes to the
//! researcher (each optionally tied to a rule), a history of every change,
//! the queue the review page reads, and the feedback a device fetches and
//! acknowledges. Every change is written to the audit log in the same
//! transaction (R22); a withdrawn record's review goes with it (R9).
//!
//! Nothing here reads answers: the queue shows the record's protocol,
//! researcher, reference number, dates and rule findings only.

use std::collections::BTreeMap;

use fieldkit_protocols::feedback::{
    AckStatus, FeedbackAck, FeedbackNote, NoteText, ReviewDecision, ReviewState,
};
use fieldkit_protocols::rules::Rule;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use time::OffsetDateTime;
use uuid::Uuid;

use super::rows::{parse_ts, parse_uuid, ts};
use super::sqlite::SqliteStore;
use super::StoreError;
use crate::access::{check, Access, Principal};

/// Tables for review; created on open like the rest of the schema. A record
/// with no `review_states` row is `received`.
pub(super) const REVIEW_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS review_states (
    record_id TEXT PRIMARY KEY, state TEXT NOT NULL, changed_by TEXT NOT NULL,
    changed_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS review_notes (
    note_id TEXT PRIMARY KEY, record_id TEXT NOT NULL, rule TEXT, text TEXT NOT NULL,
    author TEXT NOT NULL, written_at TEXT NOT NULL, acknowledged_at TEXT, ack_received_at TEXT);
CREATE INDEX IF NOT EXISTS review_notes_record ON review_notes (record_id, written_at);
CREATE TABLE IF NOT EXISTS review_history (
    id INTEGER PRIMARY KEY, record_id TEXT NOT NULL, actor TEXT NOT NULL, change TEXT NOT NULL,
    at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS review_history_record ON review_history (record_id, id);
CREATE INDEX IF NOT EXISTS findings_record ON compliance_findings (record_id, rule);
";

/// Which records the queue shows; `None` fields do not filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewFilter {
    pub researcher: Option<String>,
    pub protocol: Option<String>,
    /// Records with a finding under this rule.
    pub rule: Option<Rule>,
    pub state: Option<ReviewState>,
    /// First and last day received, inclusive (UTC).
    pub from: Option<time::Date>,
    pub to: Option<time::Date>,
    pub limit: u32,
}

impl Default for ReviewFilter {
    fn default() -> Self {
        ReviewFilter {
            researcher: None,
            protocol: None,
            rule: None,
            state: None,
            from: None,
            to: None,
            limit: 200,
        }
    }
}

/// One record in the queue: process facts only, never answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueItem {
    pub record_id: Uuid,
    /// The respondent's reference number ("" for an anonymous refusal).
    pub reference: String,
    pub researcher: String,
    pub protocol_id: String,
    pub protocol_version: u32,
    pub received_at: OffsetDateTime,
    pub state: ReviewState,
    /// Rules of the record's compliance findings, each once, in order.
    pub rules: Vec<Rule>,
    pub notes: u32,
    pub acknowledged: u32,
}

/// A note as the supervisor's page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewNote {
    pub note_id: Uuid,
    pub record_id: Uuid,
    pub rule: Option<Rule>,
    pub text: NoteText,
    pub author: String,
    pub written_at: OffsetDateTime,
    /// When the researcher acknowledged it on the phone.
    pub acknowledged_at: Option<OffsetDateTime>,
}

/// One change to a record's review: who, what, when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewEvent {
    pub actor: String,
    pub change: String,
    pub at: OffsetDateTime,
}

/// Everything the page shows about one record's review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordReview {
    pub item: QueueItem,
    pub notes: Vec<ReviewNote>,
    pub history: Vec<ReviewEvent>,
}

/// Review storage; `Store` requires it, so handlers reach it through the
/// same `Arc<dyn Store>`. Methods taking a `Principal` check the role.
pub trait ReviewStore {
    /// The queue: records matching `filter`, those with findings first,
    /// then newest first.
    fn review_queue(
        &self,
        who: &Principal,
        filter: &ReviewFilter,
    ) -> Result<Vec<QueueItem>, StoreError>;
    /// How many stored records are in each state (every state present).
    fn review_counts(&self, who: &Principal) -> Result<BTreeMap<ReviewState, u64>, StoreError>;
    /// One record's state, notes and history; `None` if it is not stored.
    fn record_review(
        &self,
        who: &Principal,
        record_id: Uuid,
    ) -> Result<Option<RecordReview>, StoreError>;
    /// Applies one decision to each stored record of `record_ids` in one
    /// transaction: the state (if any) and a note of its own per record,
    /// with history and audit entries. Returns the ids it changed; ids not
    /// stored are skipped.
    fn review_records(
        &self,
        who: &Principal,
        record_ids: &[Uuid],
        decision: &ReviewDecision,
        now: OffsetDateTime,
    ) -> Result<Vec<Uuid>, StoreError>;
    /// The notes on `device_id`'s own records not acknowledged yet, oldest
    /// first, for `GET /api/v1/feedback`.
    fn device_feedback(
        &self,
        who: &Principal,
        device_id: Uuid,
    ) -> Result<Vec<FeedbackNote>, StoreError>;
    /// Records the device's acknowledgements in one transaction, each on
    /// its own: a note on another device's record is `Unknown`, a resend
    /// `AlreadyAcknowledged` and changes nothing.
    fn acknowledge_feedback(
        &self,
        who: &Principal,
        device_id: Uuid,
        acks: &[FeedbackAck],
        now: OffsetDateTime,
    ) -> Result<Vec<AckStatus>, StoreError>;
}

impl ReviewStore for SqliteStore {
    fn review_queue(
        &self,
        who: &Principal,
        filter: &ReviewFilter,
    ) -> Result<Vec<QueueItem>, StoreError> {
        check(who, Access::ReviewRecords)?;
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "{QUEUE_SELECT}
             WHERE (?1 IS NULL OR d.researcher = ?1) AND (?2 IS NULL OR r.protocol_id = ?2)
               AND (?3 IS NULL OR EXISTS (SELECT 1 FROM compliance_findings f
                                          WHERE f.record_id = r.record_id AND f.rule = ?3))
               AND (?4 IS NULL OR COALESCE(s.state, 'received') = ?4)
               AND (?5 IS NULL OR r.received_at >= ?5) AND (?6 IS NULL OR r.received_at < ?6)
             ORDER BY findings IS NULL, r.received_at DESC, r.record_id LIMIT ?7"
        ))?;
        let day = |d: time::Date| ts(d.midnight().assume_utc());
        let rows = stmt.query_map(
            params![
                filter.researcher,
                filter.protocol,
                filter.rule.map(Rule::id),
                filter.state.map(ReviewState::id),
                filter.from.map(day),
                filter.to.and_then(|d| d.next_day()).map(day),
                filter.limit
            ],
            queue_row,
        )?;
        rows.map(|row| to_item(row?)).collect()
    }

    fn review_counts(&self, who: &Principal) -> Result<BTreeMap<ReviewState, u64>, StoreError> {
        check(who, Access::ReviewRecords)?;
        let conn = self.conn();
        let mut counts: BTreeMap<ReviewState, u64> =
            ReviewState::ALL.into_iter().map(|s| (s, 0)).collect();
        let mut stmt = conn.prepare(
            "SELECT COALESCE(s.state, 'received'), COUNT(*) FROM records r
             LEFT JOIN review_states s ON s.record_id = r.record_id GROUP BY 1",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            let (state, n) = row?;
            *counts.entry(parse_state(&state)?).or_default() += n as u64;
        }
        Ok(counts)
    }

    fn record_review(
        &self,
        who: &Principal,
        record_id: Uuid,
    ) -> Result<Option<RecordReview>, StoreError> {
        check(who, Access::ReviewRecords)?;
        let conn = self.conn();
        let id = record_id.to_string();
        let item = conn
            .query_row(
                &format!("{QUEUE_SELECT} WHERE r.record_id = ?1"),
                params![id],
                queue_row,
            )
            .optional()?;
        let Some(item) = item else { return Ok(None) };
        Ok(Some(RecordReview {
            item: to_item(item)?,
            notes: notes_of(&conn, &id)?,
            history: history_of(&conn, &id)?,
        }))
    }

    fn review_records(
        &self,
        who: &Principal,
        record_ids: &[Uuid],
        decision: &ReviewDecision,
        now: OffsetDateTime,
    ) -> Result<Vec<Uuid>, StoreError> {
        check(who, Access::ReviewRecords)?;
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut changed = Vec::new();
        for &record_id in record_ids {
            if review_one(&tx, who, record_id, decision, now)? {
                changed.push(record_id);
            }
        }
        tx.commit()?;
        Ok(changed)
    }

    fn device_feedback(
        &self,
        who: &Principal,
        device_id: Uuid,
    ) -> Result<Vec<FeedbackNote>, StoreError> {
        check(who, Access::ReceiveFeedback)?;
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT n.note_id, n.record_id, COALESCE(json_extract(r.envelope, '$.respondent'), ''),
                    r.protocol_id, n.rule, n.text, COALESCE(s.state, 'received'), n.written_at
             FROM review_notes n JOIN records r ON r.record_id = n.record_id
             LEFT JOIN review_states s ON s.record_id = n.record_id
             WHERE r.device_id = ?1 AND n.acknowledged_at IS NULL
             ORDER BY n.written_at, n.note_id",
        )?;
        let rows = stmt.query_map(params![device_id.to_string()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
            ))
        })?;
        rows.map(|row| {
            let (note, record, reference, protocol_id, rule, text, state, at) = row?;
            Ok(FeedbackNote {
                note_id: parse_uuid(&note)?,
                record_id: parse_uuid(&record)?,
                reference,
                protocol_id,
                rule: rule.as_deref().map(parse_rule).transpose()?,
                text,
                state: parse_state(&state)?,
                written_at: parse_ts(&at)?,
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
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut out = Vec::with_capacity(acks.len());
        for ack in acks {
            out.push(acknowledge_one(&tx, who, device_id, ack, now)?);
        }
        tx.commit()?;
        Ok(out)
    }
}

/// A withdrawn record's review goes with it (R9): called inside the
/// tombstone's transaction.
pub(super) fn forget_record(tx: &Connection, record_id: &str) -> Result<(), StoreError> {
    for table in ["review_states", "review_notes", "review_history"] {
        tx.execute(
            &format!("DELETE FROM {table} WHERE record_id = ?1"),
            params![record_id],
        )?;
    }
    Ok(())
}

/// The queue's columns; `findings` is NULL for a record without any.
const QUEUE_SELECT: &str = "SELECT r.record_id,
        COALESCE(json_extract(r.envelope, '$.respondent'), ''), COALESCE(d.researcher, r.device_id),
        r.protocol_id, r.protocol_version, r.received_at, COALESCE(s.state, 'received'),
        (SELECT group_concat(rule) FROM (SELECT DISTINCT f.rule FROM compliance_findings f
                                         WHERE f.record_id = r.record_id)) AS findings,
        (SELECT COUNT(*) FROM review_notes n WHERE n.record_id = r.record_id),
        (SELECT COUNT(*) FROM review_notes n WHERE n.record_id = r.record_id
                                            AND n.acknowledged_at IS NOT NULL)
     FROM records r LEFT JOIN devices d ON d.device_id = r.device_id
     LEFT JOIN review_states s ON s.record_id = r.record_id";

type QueueRow = (
    String,
    String,
    String,
    String,
    u32,
    String,
    String,
    Option<String>,
    u32,
    u32,
);

fn queue_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<QueueRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
    ))
}

fn to_item(row: QueueRow) -> Result<QueueItem, StoreError> {
    let (id, reference, researcher, protocol_id, version, at, state, rules, notes, acked) = row;
    let mut rules = rules
        .unwrap_or_default()
        .split(',')
        .filter(|r| !r.is_empty())
        .map(parse_rule)
        .collect::<Result<Vec<_>, _>>()?;
    rules.sort();
    Ok(QueueItem {
        record_id: parse_uuid(&id)?,
        reference,
        researcher,
        protocol_id,
        protocol_version: version,
        received_at: parse_ts(&at)?,
        state: parse_state(&state)?,
        rules,
        notes,
        acknowledged: acked,
    })
}

/// One record's part of a decision; `false` if the record is not stored.
fn review_one(
    tx: &Connection,
    who: &Principal,
    record_id: Uuid,
    decision: &ReviewDecision,
    now: OffsetDateTime,
) -> Result<bool, StoreError> {
    let id = record_id.to_string();
    let actor = who.to_string();
    let current: Option<String> = tx
        .query_row(
            "SELECT COALESCE(s.state, 'received') FROM records r
             LEFT JOIN review_states s ON s.record_id = r.record_id WHERE r.record_id = ?1",
            params![id],
            |r| r.get(0),
        )
        .optional()?;
    let Some(current) = current else {
        return Ok(false);
    };
    let mut changes = Vec::new();
    if let Some(state) = decision.state() {
        tx.execute(
            "INSERT INTO review_states (record_id, state, changed_by, changed_at)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (record_id) DO UPDATE SET state = ?2, changed_by = ?3, changed_at = ?4",
            params![id, state.id(), actor, ts(now)],
        )?;
        changes.push((
            "review_state",
            format!("state {current} \u{2192} {}", state.id()),
        ));
    }
    if let Some((rule, text)) = decision.note() {
        tx.execute(
            "INSERT INTO review_notes (note_id, record_id, rule, text, author, written_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                Uuid::new_v4().to_string(),
                id,
                rule.map(Rule::id),
                text.as_str(),
                actor,
                ts(now)
            ],
        )?;
        let about = rule.map(|r| format!(" ({r})")).unwrap_or_default();
        changes.push(("review_note", format!("note written{about}")));
    }
    for (action, change) in changes {
        log_change(tx, &id, &actor, action, &change, now)?;
    }
    Ok(true)
}

fn acknowledge_one(
    tx: &Connection,
    who: &Principal,
    device_id: Uuid,
    ack: &FeedbackAck,
    now: OffsetDateTime,
) -> Result<AckStatus, StoreError> {
    let note = ack.note_id.to_string();
    // Only a note on this device's own record may be acknowledged by it.
    let found: Option<(String, Option<String>)> = tx
        .query_row(
            "SELECT n.record_id, n.acknowledged_at FROM review_notes n
             JOIN records r ON r.record_id = n.record_id
             WHERE n.note_id = ?1 AND r.device_id = ?2",
            params![note, device_id.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(match found {
        None => AckStatus::Unknown,
        Some((_, Some(_))) => AckStatus::AlreadyAcknowledged,
        Some((record, None)) => {
            tx.execute(
                "UPDATE review_notes SET acknowledged_at = ?1, ack_received_at = ?2
                 WHERE note_id = ?3",
                params![ts(ack.acknowledged_at), ts(now), note],
            )?;
            log_change(
                tx,
                &record,
                &who.to_string(),
                "feedback_ack",
                "note acknowledged on the phone",
                now,
            )?;
            AckStatus::Acknowledged
        }
    })
}

/// A history row and the audit entry for it (R22), in the caller's transaction.
fn log_change(
    tx: &Connection,
    record_id: &str,
    actor: &str,
    action: &str,
    change: &str,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO review_history (record_id, actor, change, at) VALUES (?1, ?2, ?3, ?4)",
        params![record_id, actor, change, ts(now)],
    )?;
    tx.execute(
        "INSERT INTO audit_log (actor, action, target, at) VALUES (?1, ?2, ?3, ?4)",
        params![actor, action, record_id, ts(now)],
    )?;
    Ok(())
}

fn notes_of(conn: &Connection, record_id: &str) -> Result<Vec<ReviewNote>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT note_id, rule, text, author, written_at, acknowledged_at FROM review_notes
         WHERE record_id = ?1 ORDER BY written_at, note_id",
    )?;
    let rows = stmt.query_map(params![record_id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, Option<String>>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, Option<String>>(5)?,
        ))
    })?;
    rows.map(|row| {
        let (note, rule, text, author, at, acked) = row?;
        Ok(ReviewNote {
            note_id: parse_uuid(&note)?,
            record_id: parse_uuid(record_id)?,
            rule: rule.as_deref().map(parse_rule).transpose()?,
            text: NoteText::from_stored(text),
            author,
            written_at: parse_ts(&at)?,
            acknowledged_at: acked.as_deref().map(parse_ts).transpose()?,
        })
    })
    .collect()
}

fn history_of(conn: &Connection, record_id: &str) -> Result<Vec<ReviewEvent>, StoreError> {
    let mut stmt = conn
        .prepare("SELECT actor, change, at FROM review_history WHERE record_id = ?1 ORDER BY id")?;
    let rows = stmt.query_map(params![record_id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    rows.map(|row| {
        let (actor, change, at) = row?;
        Ok(ReviewEvent {
            actor,
            change,
            at: parse_ts(&at)?,
        })
    })
    .collect()
}

pub(super) fn parse_state(text: &str) -> Result<ReviewState, StoreError> {
    text.parse()
        .map_err(|e| StoreError::Corrupt(format!("{e}")))
}

pub(super) fn parse_rule(text: &str) -> Result<Rule, StoreError> {
    text.parse()
        .map_err(|e| StoreError::Corrupt(format!("{e}")))
}
