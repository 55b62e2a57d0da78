//! Sessions, stored event by event as the interview runs.
//!
//! Each `append_event` is one synced SQLite transaction that adds the event
//! (and, for the first and the final event, the session's summary). A crash
//! or a dead battery loses at most the event being written; the log that
//! remains is contiguous from 0, so the engine can rebuild the session.

use std::ops::Range;

use fieldkit_protocols::engine::events::{Event, EventKind, StopReason};
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;
use zeroize::Zeroizing;

use super::crypto::{
    open_json, open_json_in_place, seal_json, RecordKind, RecordRef, RECORD_FORMAT,
};
use super::ledger::Table;
use super::parallel::{open_in_chunks, CHUNK};
use super::{DataKey, Open, Vault, VaultError};

/// What the session list shows, without reading the events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionSummary {
    pub id: Uuid,
    pub protocol_id: String,
    pub protocol_version: u32,
    /// The respondent's reference number, never a name (R21).
    pub respondent: String,
    #[serde(with = "time::serde::rfc3339")]
    pub started: OffsetDateTime,
    pub status: SessionStatus,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", content = "reason", rename_all = "snake_case")]
pub enum SessionStatus {
    InProgress,
    Completed,
    Stopped(StopReason),
}

/// `session` is a session id, or the same written out once for a long read.
pub(crate) fn event_ref(session: impl std::fmt::Display, seq: u64) -> RecordRef {
    RecordRef::new(RecordKind::Event, format!("{session}#{seq}"))
}

fn summary_ref(session: Uuid) -> RecordRef {
    RecordRef::new(RecordKind::Session, session.to_string())
}

fn seq_to_sql(seq: u64) -> i64 {
    i64::try_from(seq).unwrap_or(i64::MAX)
}

impl Vault {
    /// Stores one event of a session, durably, before returning. Events must
    /// come in order: `seq` 0 is the `SessionStarted` of this session, then
    /// 1, 2, 3 ... without gaps.
    pub fn append_event(&mut self, session_id: Uuid, event: &Event) -> Result<(), VaultError> {
        let id = session_id.to_string();
        self.open_mut()?.write(|w| {
            let last: Option<i64> = w
                .conn
                .prepare_cached("SELECT MAX(seq) FROM events WHERE session_id = ?1")?
                .query_row([&id], |row| row.get(0))?;
            let expected = last.map_or(0, |seq| u64::try_from(seq).unwrap_or(0) + 1);
            if event.seq != expected {
                return Err(VaultError::OutOfSequence {
                    session: session_id,
                    expected,
                    got: event.seq,
                });
            }
            let summary = match (&event.kind, expected) {
                (EventKind::SessionStarted(start), 0) if start.session_id == session_id => {
                    Some(SessionSummary {
                        id: session_id,
                        protocol_id: start.protocol_id.clone(),
                        protocol_version: start.protocol_version,
                        respondent: start.respondent.clone(),
                        started: event.at,
                        status: SessionStatus::InProgress,
                    })
                }
                (_, 0) => {
                    return Err(VaultError::NotAStart {
                        session: session_id,
                    })
                }
                (EventKind::Completed, _) => Some(
                    stored_summary(w.conn, w.key, session_id)?
                        .with_status(SessionStatus::Completed),
                ),
                (EventKind::Stopped { reason }, _) => Some(
                    stored_summary(w.conn, w.key, session_id)?
                        .with_status(SessionStatus::Stopped(*reason)),
                ),
                _ => None,
            };
            if let Some(summary) = summary {
                let sealed = seal_json(w.key, &summary_ref(session_id), &summary)?;
                w.execute(
                    Table::Sessions,
                    "id = ?1",
                    [&id],
                    "INSERT INTO sessions (id, format, summary) VALUES (?1, ?2, ?3)
                     ON CONFLICT (id) DO UPDATE SET format = excluded.format, summary = excluded.summary",
                    params![id, RECORD_FORMAT, sealed],
                )?;
            }
            let seq = seq_to_sql(event.seq);
            let sealed = seal_json(w.key, &event_ref(session_id, event.seq), event)?;
            w.execute(
                Table::Events,
                "session_id = ?1 AND seq = ?2",
                params![id, seq],
                "INSERT INTO events (session_id, seq, format, sealed) VALUES (?1, ?2, ?3, ?4)",
                params![id, seq, RECORD_FORMAT, sealed],
            )?;
            Ok(())
        })
    }

    /// Every stored event of a session, in order. A damaged event is
    /// reported by its id (`<session>#<seq>`).
    pub fn session_events(&self, session_id: Uuid) -> Result<Vec<Event>, VaultError> {
        let Open { conn, key, .. } = self.open()?;
        let mut stmt = conn.prepare_cached(
            "SELECT seq, format, sealed FROM events WHERE session_id = ?1 ORDER BY seq",
        )?;
        let session = session_id.to_string();
        let chunks = Chunks {
            rows: stmt.query([&session])?,
            failure: None,
            done: false,
        };
        // Events are opened while later ones are still being read.
        let opened = open_in_chunks(chunks, 1, |chunk| chunk.open(key, &session))?;
        Ok(opened.into_iter().flatten().collect())
    }

    /// All sessions on the phone, oldest first.
    pub fn sessions(&self) -> Result<Vec<SessionSummary>, VaultError> {
        let Open { conn, key, .. } = self.open()?;
        let mut stmt = conn.prepare("SELECT id, format, summary FROM sessions")?;
        let rows = stmt.query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, u32>(1)?,
                row.get::<_, Vec<u8>>(2)?,
            ))
        })?;
        let mut sessions = Vec::new();
        for row in rows {
            let (id, format, sealed) = row?;
            let record = RecordRef::new(RecordKind::Session, id);
            sessions.push(open_json::<SessionSummary>(key, &record, format, &sealed)?);
        }
        sessions.sort_by_key(|s| (s.started, s.id));
        Ok(sessions)
    }

    /// Deletes a session with its events and attachments, and scrubs them
    /// from the WAL. Returns whether there was one.
    pub fn delete_session(&mut self, session_id: Uuid) -> Result<bool, VaultError> {
        let id = session_id.to_string();
        self.open_mut()?.delete(|w| delete_session_rows(w, &id))
    }

    /// Decrypts every stored record and lists the ones that are damaged, so a
    /// supervisor can see what was lost; the rest stay readable. Tables whose
    /// rows do not add up to the integrity ledger are listed too.
    pub fn damaged_records(&self) -> Result<Vec<String>, VaultError> {
        let Open {
            conn,
            key,
            problems,
            ..
        } = self.open()?;
        let mut damaged = Vec::new();
        let mut stmt = conn.prepare("SELECT session_id, seq, format, sealed FROM events")?;
        let rows = stmt.query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, u32>(2)?,
                row.get::<_, Vec<u8>>(3)?,
            ))
        })?;
        for row in rows {
            let (session, seq, format, sealed) = row?;
            let record = RecordRef::new(RecordKind::Event, format!("{session}#{seq}"));
            if let Err(err) = open_json::<Event>(key, &record, format, &sealed) {
                damaged.push(describe_damage(err, &record));
            }
        }
        damaged.extend(super::records::damaged(conn, key)?);
        damaged.extend(problems.iter().map(ToString::to_string));
        Ok(damaged)
    }
}

/// Deletes one session's summary, events and attachments in the writer's
/// transaction. Returns whether there was a summary.
pub(crate) fn delete_session_rows(
    w: &mut super::ledger::Writer<'_>,
    id: &str,
) -> Result<bool, VaultError> {
    w.execute(
        Table::Events,
        "session_id = ?1",
        [id],
        "DELETE FROM events WHERE session_id = ?1",
        [id],
    )?;
    w.execute(
        Table::Attachments,
        "session_id = ?1",
        [id],
        "DELETE FROM attachments WHERE session_id = ?1",
        [id],
    )?;
    let deleted = w.execute(
        Table::Sessions,
        "id = ?1",
        [id],
        "DELETE FROM sessions WHERE id = ?1",
        [id],
    )?;
    Ok(deleted > 0)
}

fn describe_damage(err: VaultError, record: &RecordRef) -> String {
    match err {
        VaultError::Corrupt { record } => record,
        _ => record.describe(),
    }
}

fn stored_summary(
    tx: &rusqlite::Connection,
    key: &super::DataKey,
    session_id: Uuid,
) -> Result<SessionSummary, VaultError> {
    let row: Option<(u32, Vec<u8>)> = tx
        .query_row(
            "SELECT format, summary FROM sessions WHERE id = ?1",
            [session_id.to_string()],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    let (format, sealed) = row.ok_or(VaultError::NotAStart {
        session: session_id,
    })?;
    open_json(key, &summary_ref(session_id), format, &sealed)
}

impl SessionSummary {
    fn with_status(mut self, status: SessionStatus) -> Self {
        self.status = status;
        self
    }
}

/// Bytes per event a chunk's buffer is first sized for, at most.
const PRESIZE_PER_EVENT: usize = 16 * 1024;

/// Sealed events read into one buffer: one allocation for the chunk, not
/// one per event. Each buffer is freed by the thread that opened it, and a
/// buffer of a kilobyte or more is too large for the allocator's per-thread
/// cache, so freeing one per event cost about a twentieth of a session read.
#[derive(Default)]
struct SealedEvents {
    /// Each event's sequence number, format and place in `bytes`.
    rows: Vec<(i64, u32, Range<usize>)>,
    bytes: Vec<u8>,
}

impl SealedEvents {
    fn push(&mut self, row: &rusqlite::Row<'_>) -> rusqlite::Result<()> {
        let (seq, format) = (row.get(0)?, row.get(1)?);
        let sealed = row.get_ref(2)?.as_blob()?;
        if self.bytes.capacity() == 0 {
            // Room for a chunk of events the size of the first (up to a
            // bound a damaged row cannot push), so the buffer is not copied
            // as it grows, nor its unused doubling zeroed.
            self.bytes
                .reserve(sealed.len().min(PRESIZE_PER_EVENT) * CHUNK);
        }
        let start = self.bytes.len();
        self.bytes.extend_from_slice(sealed);
        self.rows.push((seq, format, start..self.bytes.len()));
        Ok(())
    }

    /// Opens the events in order; the first that fails is the error.
    fn open(self, key: &DataKey, session: &str) -> Result<Vec<Event>, VaultError> {
        let mut bytes = Zeroizing::new(self.bytes);
        self.rows
            .into_iter()
            .map(|(seq, format, place)| {
                let record = event_ref(session, u64::try_from(seq).unwrap_or(0));
                open_json_in_place(key, &record, format, &mut bytes[place])
            })
            .collect()
    }
}

/// A session's rows, [`CHUNK`] at a time. A row that cannot be
/// read ends the chunks: the events read before it come first, then the
/// failure, so a damaged event earlier in the session is still named first.
struct Chunks<'stmt> {
    rows: rusqlite::Rows<'stmt>,
    failure: Option<VaultError>,
    done: bool,
}

impl Iterator for Chunks<'_> {
    type Item = Result<SealedEvents, VaultError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(failure) = self.failure.take() {
            return Some(Err(failure));
        }
        if self.done {
            return None;
        }
        let mut chunk = SealedEvents::default();
        while chunk.rows.len() < CHUNK {
            let read = match self.rows.next() {
                Ok(Some(row)) => chunk.push(row),
                Ok(None) => {
                    self.done = true;
                    break;
                }
                Err(err) => Err(err),
            };
            if let Err(err) = read {
                self.failure = Some(err.into());
                self.done = true;
                break;
            }
        }
        if chunk.rows.is_empty() {
            return self.failure.take().map(Err);
        }
        Some(Ok(chunk))
    }
}

#[cfg(test)]
mod tests {
    use fieldkit_protocols::engine::events::{Event, EventKind};
    use fieldkit_protocols::Value;

    use super::super::keys::Passphrase;
    use super::super::{KdfParams, Vault, VaultError, VaultSettings};
    use super::*;

    fn note(seq: u64, text: String) -> Event {
        Event {
            seq,
            at: OffsetDateTime::UNIX_EPOCH,
            kind: EventKind::NoteAdded { text },
        }
    }

    /// A full disk is simulated with SQLite's own page limit: the write that
    /// does not fit fails with `DiskFull`, nothing stored before is lost, and
    /// once there is room again the same event can be stored.
    #[test]
    fn a_full_disk_is_a_clear_error_and_loses_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let kdf = KdfParams::INSECURE_TEST_ONLY;
        let mut vault = Vault::create(
            dir.path(),
            &Passphrase::new("p"),
            VaultSettings {
                kdf,
                ..VaultSettings::default()
            },
        )
        .unwrap();
        let session = Uuid::new_v4();
        let start = Event {
            seq: 0,
            at: OffsetDateTime::UNIX_EPOCH,
            kind: EventKind::Answered {
                question_id: "placeholder".into(),
                value: Value::Bool(true),
            },
        };
        assert!(matches!(
            vault.append_event(session, &start),
            Err(VaultError::NotAStart { .. })
        ));
        let start = Event {
            kind: EventKind::SessionStarted(fieldkit_protocols::engine::events::SessionStart {
                session_id: session,
                protocol_id: "p".into(),
                protocol_version: 1,
                protocol_hash: fieldkit_protocols::ContentHash::of_bytes(b"p"),
                language: "en".into(),
                interviewer_languages: vec![],
                kind: fieldkit_protocols::engine::events::SessionKind::Full,
                respondent: "R".into(),
                respondent_age: None,
                linked_child: None,
                site_type: None,
                weekday: None,
                findings_pack: None,
            }),
            ..start
        };
        vault.append_event(session, &start).unwrap();
        vault
            .append_event(session, &note(1, "small".into()))
            .unwrap();
        let pages: i64 = vault
            .open()
            .unwrap()
            .conn
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .unwrap();
        vault
            .open()
            .unwrap()
            .conn
            .pragma_update(None, "max_page_count", pages)
            .unwrap();

        let big = note(2, "x".repeat(64 * 1024));
        let err = vault.append_event(session, &big).unwrap_err();
        assert!(matches!(err, VaultError::DiskFull), "{err}");
        assert!(err.to_string().contains("free some space"), "{err}");
        assert_eq!(vault.session_events(session).unwrap().len(), 2);

        vault
            .open()
            .unwrap()
            .conn
            .pragma_update(None, "max_page_count", 1_000_000)
            .unwrap();
        vault.append_event(session, &big).unwrap();
        assert_eq!(vault.session_events(session).unwrap().len(), 3);
    }
}
