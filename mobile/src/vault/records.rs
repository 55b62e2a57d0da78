//! The small sealed records beside the sessions: drafts (an unfinished
//! answer), device settings, field notes and attachments.

use std::fmt;

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::crypto::{
    json_failure, keyed_id, open, open_json, seal, seal_json, RecordKind, RecordRef, RECORD_FORMAT,
};
use super::keys::Subkeys;
use super::ledger::{Table, Writer};
use super::{DataKey, Open, Policy, Vault, VaultError};

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

/// A setting's row: its name is a keyed hash, so the file does not say which
/// settings exist (enrolled or not, a researcher's name or not).
pub(crate) fn setting_ref(sub: &Subkeys, name: &str) -> RecordRef {
    RecordRef::new(RecordKind::Setting, keyed_id(&sub.ids, "setting", name))
}

/// Stores a sealed setting under its logical name.
pub(crate) fn put_setting_json<T: Serialize>(
    w: &mut Writer<'_>,
    name: &str,
    value: &T,
) -> Result<(), VaultError> {
    let record = setting_ref(w.sub, name);
    let sealed = seal_json(w.key, &record, value)?;
    put_sealed_setting(w, &record, &sealed)
}

fn put_sealed_setting(
    w: &mut Writer<'_>,
    record: &RecordRef,
    sealed: &[u8],
) -> Result<(), VaultError> {
    w.execute(
        Table::Settings,
        "name = ?1",
        [&record.id],
        "INSERT INTO settings (name, format, sealed) VALUES (?1, ?2, ?3)
         ON CONFLICT (name) DO UPDATE SET format = excluded.format, sealed = excluded.sealed",
        params![record.id, RECORD_FORMAT, sealed],
    )?;
    Ok(())
}

/// Deletes a setting (inside the caller's transaction).
pub(crate) fn delete_setting(w: &mut Writer<'_>, name: &str) -> Result<(), VaultError> {
    let id = setting_ref(w.sub, name).id;
    w.execute(
        Table::Settings,
        "name = ?1",
        [&id],
        "DELETE FROM settings WHERE name = ?1",
        [&id],
    )?;
    Ok(())
}

fn get_setting(
    conn: &Connection,
    key: &DataKey,
    sub: &Subkeys,
    name: &str,
) -> Result<Option<Zeroizing<Vec<u8>>>, VaultError> {
    let record = setting_ref(sub, name);
    let row: Option<(u32, Vec<u8>)> = conn
        .query_row(
            "SELECT format, sealed FROM settings WHERE name = ?1",
            [&record.id],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    row.map(|(format, sealed)| open(key, &record, format, &sealed))
        .transpose()
}

/// A sealed JSON setting, if it is there.
pub(crate) fn get_setting_json<T: serde::de::DeserializeOwned>(
    conn: &Connection,
    key: &DataKey,
    sub: &Subkeys,
    name: &str,
) -> Result<Option<T>, VaultError> {
    get_setting(conn, key, sub, name)?
        .map(|bytes| {
            serde_json::from_slice(&bytes).map_err(|e| VaultError::Decode {
                record: setting_ref(sub, name).describe(),
                detail: json_failure(&e),
            })
        })
        .transpose()
}

fn get_text(
    conn: &Connection,
    key: &DataKey,
    sub: &Subkeys,
    name: &str,
) -> Result<Option<String>, VaultError> {
    get_setting(conn, key, sub, name)?
        .map(|bytes| {
            String::from_utf8(bytes.to_vec()).map_err(|_| VaultError::Decode {
                record: setting_ref(sub, name).describe(),
                detail: "is not UTF-8 text",
            })
        })
        .transpose()
}

pub(crate) fn save_policy(w: &mut Writer<'_>, policy: &Policy) -> Result<(), VaultError> {
    put_setting_json(w, POLICY, policy)
}

pub(crate) fn load_policy(
    conn: &Connection,
    key: &DataKey,
    sub: &Subkeys,
) -> Result<Policy, VaultError> {
    get_setting_json(conn, key, sub, POLICY)?.ok_or_else(|| VaultError::Corrupt {
        record: setting_ref(sub, POLICY).describe(),
    })
}

fn draft_ref(sub: &Subkeys, name: &str) -> RecordRef {
    RecordRef::new(RecordKind::Draft, keyed_id(&sub.ids, "draft", name))
}

/// An attachment is bound to its session: moved to another one, it no
/// longer opens.
fn attachment_ref(id: Uuid, session: &str) -> RecordRef {
    RecordRef::new(RecordKind::Attachment, id.to_string()).bound_to("session", session)
}

fn note_ref(id: &str) -> RecordRef {
    RecordRef::new(RecordKind::Note, id)
}

impl Vault {
    /// The device settings; missing ones are `None`.
    pub fn settings(&self) -> Result<DeviceSettings, VaultError> {
        let Open { conn, key, sub, .. } = self.open()?;
        Ok(DeviceSettings {
            server_url: get_text(conn, key, sub, SERVER_URL)?,
            device_token: get_text(conn, key, sub, DEVICE_TOKEN)?.map(DeviceToken),
            researcher_name: get_text(conn, key, sub, RESEARCHER_NAME)?,
            code_of_practice: get_setting_json(conn, key, sub, CODE_OF_PRACTICE)?,
        })
    }

    pub fn set_setting(&mut self, setting: &Setting) -> Result<(), VaultError> {
        self.open_mut()?.write(|w| {
            let (name, plain): (&str, &[u8]) = match setting {
                Setting::ServerUrl(url) => (SERVER_URL, url.as_bytes()),
                Setting::DeviceToken(token) => (DEVICE_TOKEN, token.expose().as_bytes()),
                Setting::ResearcherName(name) => (RESEARCHER_NAME, name.as_bytes()),
                Setting::CodeOfPracticeAcknowledged(ack) => {
                    return put_setting_json(w, CODE_OF_PRACTICE, ack);
                }
            };
            let record = setting_ref(w.sub, name);
            let sealed = seal(w.key, &record, plain);
            put_sealed_setting(w, &record, &sealed)
        })
    }

    /// Keeps a small piece of unfinished text (e.g. a half-typed answer under
    /// `"<session>/<question>"`). The name is stored only as a keyed hash.
    pub fn put_draft(&mut self, name: &str, text: &str) -> Result<(), VaultError> {
        self.open_mut()?.write(|w| {
            let record = draft_ref(w.sub, name);
            let sealed = seal(w.key, &record, text.as_bytes());
            w.execute(
                Table::Drafts,
                "id = ?1",
                [&record.id],
                "INSERT INTO drafts (id, format, sealed) VALUES (?1, ?2, ?3)
                 ON CONFLICT (id) DO UPDATE SET format = excluded.format, sealed = excluded.sealed",
                params![record.id, RECORD_FORMAT, sealed],
            )?;
            Ok(())
        })
    }

    pub fn get_draft(&self, name: &str) -> Result<Option<String>, VaultError> {
        let Open { conn, key, sub, .. } = self.open()?;
        let record = draft_ref(sub, name);
        let row: Option<(u32, Vec<u8>)> = conn
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
                detail: "is not UTF-8 text",
            })
    }

    pub fn delete_draft(&mut self, name: &str) -> Result<(), VaultError> {
        self.open_mut()?.delete(|w| {
            let id = draft_ref(w.sub, name).id;
            w.execute(
                Table::Drafts,
                "id = ?1",
                [&id],
                "DELETE FROM drafts WHERE id = ?1",
                [&id],
            )?;
            Ok(())
        })
    }

    pub fn add_note(&mut self, at: OffsetDateTime, text: &str) -> Result<Uuid, VaultError> {
        let note = Note {
            id: Uuid::new_v4(),
            at,
            text: text.to_owned(),
        };
        let id = note.id.to_string();
        self.open_mut()?.write(|w| {
            let sealed = seal_json(w.key, &note_ref(&id), &note)?;
            w.execute(
                Table::Notes,
                "id = ?1",
                [&id],
                "INSERT INTO notes (id, format, sealed) VALUES (?1, ?2, ?3)",
                params![id, RECORD_FORMAT, sealed],
            )?;
            Ok(())
        })?;
        Ok(note.id)
    }

    /// Field notes, oldest first.
    pub fn notes(&self) -> Result<Vec<Note>, VaultError> {
        let Open { conn, key, .. } = self.open()?;
        let mut stmt = conn.prepare("SELECT id, format, sealed FROM notes ORDER BY position")?;
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

    /// Deletes a field note; no copy of it stays in the WAL.
    pub fn delete_note(&mut self, id: Uuid) -> Result<(), VaultError> {
        let id = id.to_string();
        self.open_mut()?.delete(|w| {
            w.execute(
                Table::Notes,
                "id = ?1",
                [&id],
                "DELETE FROM notes WHERE id = ?1",
                [&id],
            )?;
            Ok(())
        })
    }

    /// Keeps a file with a stored session; deleted with the session.
    pub fn put_attachment(
        &mut self,
        session_id: Uuid,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<Uuid, VaultError> {
        let id = Uuid::new_v4();
        let mut plain = Zeroizing::new(Vec::with_capacity(4 + media_type.len() + bytes.len()));
        plain.extend_from_slice(
            &u32::try_from(media_type.len())
                .unwrap_or(u32::MAX)
                .to_be_bytes(),
        );
        plain.extend_from_slice(media_type.as_bytes());
        plain.extend_from_slice(bytes);
        let session = session_id.to_string();
        let row_id = id.to_string();
        self.open_mut()?.write(|w| {
            let sealed = seal(w.key, &attachment_ref(id, &session), &plain);
            w.execute(
                Table::Attachments,
                "id = ?1",
                [&row_id],
                "INSERT INTO attachments (id, session_id, format, sealed) VALUES (?1, ?2, ?3, ?4)",
                params![row_id, session, RECORD_FORMAT, sealed],
            )?;
            Ok(())
        })?;
        Ok(id)
    }

    pub fn attachment(&self, id: Uuid) -> Result<Option<Attachment>, VaultError> {
        let Open { conn, key, .. } = self.open()?;
        let row: Option<(String, u32, Vec<u8>)> = conn
            .query_row(
                "SELECT session_id, format, sealed FROM attachments WHERE id = ?1",
                [id.to_string()],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()?;
        let Some((session, format, sealed)) = row else {
            return Ok(None);
        };
        let record = attachment_ref(id, &session);
        let plain = open(key, &record, format, &sealed)?;
        let bad = |detail: &'static str| VaultError::Decode {
            record: record.describe(),
            detail,
        };
        let (len, rest) = plain
            .split_at_checked(4)
            .ok_or_else(|| bad("is too short"))?;
        let len = u32::from_be_bytes(len.try_into().map_err(|_| bad("is too short"))?) as usize;
        let (media_type, bytes) = rest
            .split_at_checked(len)
            .ok_or_else(|| bad("is too short"))?;
        Ok(Some(Attachment {
            id,
            session_id: session.parse().map_err(|_| bad("names no session"))?,
            media_type: String::from_utf8(media_type.to_vec())
                .map_err(|_| bad("has a media type that is not text"))?,
            bytes: bytes.to_vec(),
        }))
    }

    /// The ids of a session's attachments.
    pub fn attachments(&self, session_id: Uuid) -> Result<Vec<Uuid>, VaultError> {
        let conn = &self.open()?.conn;
        let mut stmt =
            conn.prepare("SELECT id FROM attachments WHERE session_id = ?1 ORDER BY rowid")?;
        let ids = stmt
            .query_map([session_id.to_string()], |row| row.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ids.iter().filter_map(|id| id.parse().ok()).collect())
    }
}

/// Tries to open every small record and returns the ones that fail.
pub(crate) fn damaged(conn: &Connection, key: &DataKey) -> Result<Vec<String>, VaultError> {
    let mut damaged = Vec::new();
    let mut check = |sql: &str, record: &dyn Fn(String, Option<String>) -> RecordRef| {
        let mut stmt = conn.prepare(sql)?;
        let rows = stmt.query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, Option<String>>(1)?,
                row.get::<_, u32>(2)?,
                row.get::<_, Option<Vec<u8>>>(3)?,
            ))
        })?;
        for row in rows {
            let (id, bound, format, sealed) = row?;
            let record = record(id, bound);
            if sealed.is_some_and(|sealed| open(key, &record, format, &sealed).is_err()) {
                damaged.push(record.describe());
            }
        }
        Ok::<(), VaultError>(())
    };
    check(
        "SELECT id, NULL, format, summary FROM sessions",
        &|id, _| RecordRef::new(RecordKind::Session, id),
    )?;
    check("SELECT id, NULL, format, sealed FROM drafts", &|id, _| {
        RecordRef::new(RecordKind::Draft, id)
    })?;
    check(
        "SELECT name, NULL, format, sealed FROM settings",
        &|id, _| RecordRef::new(RecordKind::Setting, id),
    )?;
    check("SELECT id, NULL, format, sealed FROM pinned", &|id, _| {
        RecordRef::new(RecordKind::Pinned, id)
    })?;
    check("SELECT id, NULL, format, sealed FROM notes", &|id, _| {
        note_ref(&id)
    })?;
    check(
        "SELECT id, session_id, format, sealed FROM attachments",
        &|id, session| {
            RecordRef::new(RecordKind::Attachment, id)
                .bound_to("session", session.unwrap_or_default())
        },
    )?;
    check(
        "SELECT record_id, state, format, meta FROM outbox",
        &|id, state| super::outbox::meta_ref_for(&id, &state.unwrap_or_default()),
    )?;
    check(
        "SELECT record_id, NULL, format, payload FROM outbox_payloads",
        &|id, _| RecordRef::new(RecordKind::OutboxPayload, id),
    )?;
    Ok(damaged)
}
