//! The small sealed records beside the sessions: drafts (an unfinished
//! answer), device settings, field notes and attachments.

use std::fmt;

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::crypto::{
    keyed_id, open, open_json, seal, seal_json, RecordKind, RecordRef, RECORD_FORMAT,
};
use super::{DataKey, Policy, Vault, VaultError};

/// The device's credential for the sync server. A secret: zeroized on drop,
/// redacted when printed, never serialised.
#[derive(Zeroize, ZeroizeOnDrop, PartialEq, Eq)]
pub struct DeviceToken(String);

impl fmt::Debug for DeviceToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DeviceToken(<redacted>)")
    }
}

impl DeviceToken {
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    /// For the sync client's `Authorization` header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// The researcher accepted the code of practice (R15).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeOfPracticeAck {
    /// The language they read it in.
    pub language: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// What enrolment sends to the server (R15); the vault keeps its own
/// field names, so stored settings stay readable.
impl From<CodeOfPracticeAck> for fieldkit_protocols::wire::CodeOfPracticeAcceptance {
    fn from(ack: CodeOfPracticeAck) -> Self {
        Self {
            language: ack.language,
            accepted_at: ack.at,
        }
    }
}

/// The device configuration kept in the vault.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct DeviceSettings {
    pub server_url: Option<String>,
    pub device_token: Option<DeviceToken>,
    pub researcher_name: Option<String>,
    pub code_of_practice: Option<CodeOfPracticeAck>,
}

/// One setting to store.
#[derive(Debug)]
pub enum Setting {
    ServerUrl(String),
    DeviceToken(DeviceToken),
    ResearcherName(String),
    CodeOfPracticeAcknowledged(CodeOfPracticeAck),
}

/// A field note, not tied to a session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub text: String,
}

/// A file kept with a session (a photo of a paper consent form, audio).
#[derive(Clone, PartialEq, Eq)]
pub struct Attachment {
    pub id: Uuid,
    pub session_id: Uuid,
    pub media_type: String,
    pub bytes: Vec<u8>,
}

impl fmt::Debug for Attachment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attachment")
            .field("id", &self.id)
            .field("session_id", &self.session_id)
            .field("media_type", &self.media_type)
            .field("len", &self.bytes.len())
            .finish()
    }
}

const POLICY: &str = "policy";
const SERVER_URL: &str = "server_url";
const DEVICE_TOKEN: &str = "device_token";
const RESEARCHER_NAME: &str = "researcher_name";
const CODE_OF_PRACTICE: &str = "code_of_practice";

fn setting_ref(name: &str) -> RecordRef {
    RecordRef::new(RecordKind::Setting, name)
}

fn put_setting(conn: &Connection, name: &str, sealed: &[u8]) -> Result<(), VaultError> {
    conn.execute(
        "INSERT INTO settings (name, format, sealed) VALUES (?1, ?2, ?3)
         ON CONFLICT (name) DO UPDATE SET format = excluded.format, sealed = excluded.sealed",
        params![name, RECORD_FORMAT, sealed],
    )?;
    Ok(())
}

fn get_setting(
    conn: &Connection,
    key: &DataKey,
    name: &str,
) -> Result<Option<Vec<u8>>, VaultError> {
    let row: Option<(u32, Vec<u8>)> = conn
        .query_row(
            "SELECT format, sealed FROM settings WHERE name = ?1",
            [name],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    row.map(|(format, sealed)| {
        open(key, &setting_ref(name), format, &sealed).map(|plain| plain.to_vec())
    })
    .transpose()
}

fn get_text(conn: &Connection, key: &DataKey, name: &str) -> Result<Option<String>, VaultError> {
    get_setting(conn, key, name)?
        .map(|bytes| {
            String::from_utf8(bytes).map_err(|_| VaultError::Decode {
                record: setting_ref(name).describe(),
                detail: "not UTF-8 text".into(),
            })
        })
        .transpose()
}

pub(crate) fn save_policy(
    conn: &Connection,
    key: &DataKey,
    policy: &Policy,
) -> Result<(), VaultError> {
    put_setting(conn, POLICY, &seal_json(key, &setting_ref(POLICY), policy)?)
}

pub(crate) fn load_policy(conn: &Connection, key: &DataKey) -> Result<Policy, VaultError> {
    let bytes = get_setting(conn, key, POLICY)?.ok_or_else(|| VaultError::Corrupt {
        record: setting_ref(POLICY).describe(),
    })?;
    serde_json::from_slice(&bytes).map_err(|e| VaultError::Decode {
        record: setting_ref(POLICY).describe(),
        detail: e.to_string(),
    })
}

fn draft_ref(key: &DataKey, name: &str) -> RecordRef {
    RecordRef::new(RecordKind::Draft, keyed_id(key, "draft", name))
}

fn attachment_ref(id: Uuid) -> RecordRef {
    RecordRef::new(RecordKind::Attachment, id.to_string())
}

fn note_ref(id: &str) -> RecordRef {
    RecordRef::new(RecordKind::Note, id)
}

impl Vault {
    /// The device settings; missing ones are `None`.
    pub fn settings(&self) -> Result<DeviceSettings, VaultError> {
        let key = self.key()?;
        let code_of_practice = get_setting(&self.conn, key, CODE_OF_PRACTICE)?
            .map(|bytes| {
                serde_json::from_slice(&bytes).map_err(|e| VaultError::Decode {
                    record: setting_ref(CODE_OF_PRACTICE).describe(),
                    detail: e.to_string(),
                })
            })
            .transpose()?;
        Ok(DeviceSettings {
            server_url: get_text(&self.conn, key, SERVER_URL)?,
            device_token: get_text(&self.conn, key, DEVICE_TOKEN)?.map(DeviceToken),
            researcher_name: get_text(&self.conn, key, RESEARCHER_NAME)?,
            code_of_practice,
        })
    }

    pub fn set_setting(&mut self, setting: &Setting) -> Result<(), VaultError> {
        let key = self.key()?;
        let (name, sealed) = match setting {
            Setting::ServerUrl(url) => (
                SERVER_URL,
                seal(key, &setting_ref(SERVER_URL), url.as_bytes()),
            ),
            Setting::DeviceToken(token) => (
                DEVICE_TOKEN,
                seal(key, &setting_ref(DEVICE_TOKEN), token.expose().as_bytes()),
            ),
            Setting::ResearcherName(name) => (
                RESEARCHER_NAME,
                seal(key, &setting_ref(RESEARCHER_NAME), name.as_bytes()),
            ),
            Setting::CodeOfPracticeAcknowledged(ack) => (
                CODE_OF_PRACTICE,
                seal_json(key, &setting_ref(CODE_OF_PRACTICE), ack)?,
            ),
        };
        put_setting(&self.conn, name, &sealed)
    }

    /// Keeps a small piece of unfinished text (e.g. a half-typed answer under
    /// `"<session>/<question>"`). The name is stored only as a keyed hash.
    pub fn put_draft(&mut self, name: &str, text: &str) -> Result<(), VaultError> {
        let key = self.key()?;
        let record = draft_ref(key, name);
        let sealed = seal(key, &record, text.as_bytes());
        self.conn.execute(
            "INSERT INTO drafts (id, format, sealed) VALUES (?1, ?2, ?3)
             ON CONFLICT (id) DO UPDATE SET format = excluded.format, sealed = excluded.sealed",
            params![record.id, RECORD_FORMAT, sealed],
        )?;
        Ok(())
    }

    pub fn get_draft(&self, name: &str) -> Result<Option<String>, VaultError> {
        let key = self.key()?;
        let record = draft_ref(key, name);
        let row: Option<(u32, Vec<u8>)> = self
            .conn
            .query_row(
                "SELECT format, sealed FROM drafts WHERE id = ?1",
                [&record.id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        let Some((format, sealed)) = row else {
            return Ok(None);
        };
        let plain = open(key, &record, format, &sealed)?;
        String::from_utf8(plain.to_vec())
            .map(Some)
            .map_err(|_| VaultError::Decode {
                record: record.describe(),
                detail: "not UTF-8 text".into(),
            })
    }

    pub fn delete_draft(&mut self, name: &str) -> Result<(), VaultError> {
        let key = self.key()?;
        self.conn.execute(
            "DELETE FROM drafts WHERE id = ?1",
            [draft_ref(key, name).id],
        )?;
        Ok(())
    }

    pub fn add_note(&mut self, at: OffsetDateTime, text: &str) -> Result<Uuid, VaultError> {
        let key = self.key()?;
        let note = Note {
            id: Uuid::new_v4(),
            at,
            text: text.to_owned(),
        };
        let id = note.id.to_string();
        let sealed = seal_json(key, &note_ref(&id), &note)?;
        self.conn.execute(
            "INSERT INTO notes (id, format, sealed) VALUES (?1, ?2, ?3)",
            params![id, RECORD_FORMAT, sealed],
        )?;
        Ok(note.id)
    }

    /// Field notes, oldest first.
    pub fn notes(&self) -> Result<Vec<Note>, VaultError> {
        let key = self.key()?;
        let mut stmt = self
            .conn
            .prepare("SELECT id, format, sealed FROM notes ORDER BY position")?;
        let rows = stmt.query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, u32>(1)?,
                row.get::<_, Vec<u8>>(2)?,
            ))
        })?;
        let mut notes = Vec::new();
        for row in rows {
            let (id, format, sealed) = row?;
            notes.push(open_json(key, &note_ref(&id), format, &sealed)?);
        }
        Ok(notes)
    }

    pub fn delete_note(&mut self, id: Uuid) -> Result<(), VaultError> {
        self.key()?;
        self.conn
            .execute("DELETE FROM notes WHERE id = ?1", [id.to_string()])?;
        Ok(())
    }

    /// Keeps a file with a stored session; deleted with the session.
    pub fn put_attachment(
        &mut self,
        session_id: Uuid,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<Uuid, VaultError> {
        let key = self.key()?;
        let id = Uuid::new_v4();
        let mut plain =
            zeroize::Zeroizing::new(Vec::with_capacity(4 + media_type.len() + bytes.len()));
        plain.extend_from_slice(
            &u32::try_from(media_type.len())
                .unwrap_or(u32::MAX)
                .to_be_bytes(),
        );
        plain.extend_from_slice(media_type.as_bytes());
        plain.extend_from_slice(bytes);
        let sealed = seal(key, &attachment_ref(id), &plain);
        self.conn.execute(
            "INSERT INTO attachments (id, session_id, format, sealed) VALUES (?1, ?2, ?3, ?4)",
            params![
                id.to_string(),
                session_id.to_string(),
                RECORD_FORMAT,
                sealed
            ],
        )?;
        Ok(id)
    }

    pub fn attachment(&self, id: Uuid) -> Result<Option<Attachment>, VaultError> {
        let key = self.key()?;
        let row: Option<(String, u32, Vec<u8>)> = self
            .conn
            .query_row(
                "SELECT session_id, format, sealed FROM attachments WHERE id = ?1",
                [id.to_string()],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()?;
        let Some((session, format, sealed)) = row else {
            return Ok(None);
        };
        let record = attachment_ref(id);
        let plain = open(key, &record, format, &sealed)?;
        let bad = |detail: &str| VaultError::Decode {
            record: record.describe(),
            detail: detail.into(),
        };
        let (len, rest) = plain.split_at_checked(4).ok_or_else(|| bad("too short"))?;
        let len = u32::from_be_bytes(len.try_into().map_err(|_| bad("too short"))?) as usize;
        let (media_type, bytes) = rest.split_at_checked(len).ok_or_else(|| bad("too short"))?;
        Ok(Some(Attachment {
            id,
            session_id: session.parse().map_err(|_| bad("session id"))?,
            media_type: String::from_utf8(media_type.to_vec()).map_err(|_| bad("media type"))?,
            bytes: bytes.to_vec(),
        }))
    }

    /// The ids of a session's attachments.
    pub fn attachments(&self, session_id: Uuid) -> Result<Vec<Uuid>, VaultError> {
        self.key()?;
        let mut stmt = self
            .conn
            .prepare("SELECT id FROM attachments WHERE session_id = ?1 ORDER BY rowid")?;
        let ids = stmt
            .query_map([session_id.to_string()], |row| row.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ids.iter().filter_map(|id| id.parse().ok()).collect())
    }
}

/// Tries to open every small record and returns the ones that fail.
pub(crate) fn damaged(conn: &Connection, key: &DataKey) -> Result<Vec<String>, VaultError> {
    let tables = [
        (
            "SELECT id, format, summary FROM sessions",
            RecordKind::Session,
        ),
        ("SELECT id, format, sealed FROM drafts", RecordKind::Draft),
        (
            "SELECT name, format, sealed FROM settings",
            RecordKind::Setting,
        ),
        ("SELECT id, format, sealed FROM notes", RecordKind::Note),
        (
            "SELECT id, format, sealed FROM attachments",
            RecordKind::Attachment,
        ),
        (
            "SELECT record_id, format, meta FROM outbox",
            RecordKind::OutboxMeta,
        ),
        (
            "SELECT record_id, format, payload FROM outbox",
            RecordKind::OutboxPayload,
        ),
    ];
    let mut damaged = Vec::new();
    for (sql, kind) in tables {
        let mut stmt = conn.prepare(sql)?;
        let rows = stmt.query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, u32>(1)?,
                row.get::<_, Option<Vec<u8>>>(2)?,
            ))
        })?;
        for row in rows {
            let (id, format, sealed) = row?;
            let record = RecordRef::new(kind, id);
            if sealed.is_some_and(|sealed| open(key, &record, format, &sealed).is_err()) {
                damaged.push(record.describe());
            }
        }
    }
    Ok(damaged)
}
