//! The SQLite schema and the conversions between rows and store types.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use uuid::Uuid;

use fieldkit_protocols::wire::CodeOfPracticeAcceptance;

use super::{Device, StoreError};

/// The SQLite schema's version, kept in `PRAGMA user_version`. The schema
/// below is written with `IF NOT EXISTS` and applied on every open; bump this
/// when a change means an older binary must not open the file any more (it
/// then refuses it, as PostgreSQL's migrations do). 2: review tables (a
/// binary without them would withdraw a record and keep its notes, R9).
/// 3: protocol media (a binary without them would read a bundle's
/// protocols as unknown fields).
pub(super) const SQLITE_SCHEMA_VERSION: u32 = 3;

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS protocols (
    protocol_id TEXT NOT NULL, version INTEGER NOT NULL, content_hash TEXT NOT NULL,
    source_toml TEXT NOT NULL, published_at TEXT NOT NULL,
    PRIMARY KEY (protocol_id, version));
CREATE TABLE IF NOT EXISTS enrolments (
    code_hash TEXT PRIMARY KEY, researcher TEXT NOT NULL, languages TEXT NOT NULL,
    expires_at TEXT NOT NULL, redeemed_by TEXT);
CREATE TABLE IF NOT EXISTS devices (
    device_id TEXT PRIMARY KEY, researcher TEXT NOT NULL, languages TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE, enrolled_at TEXT NOT NULL, revoked_at TEXT);
-- R15: the researcher's acceptance of the code of practice, sent at enrolment.
CREATE TABLE IF NOT EXISTS code_of_practice (
    device_id TEXT PRIMARY KEY, language TEXT NOT NULL, accepted_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    record_id TEXT PRIMARY KEY, device_id TEXT NOT NULL, protocol_id TEXT NOT NULL,
    protocol_version INTEGER NOT NULL, content_hash TEXT NOT NULL, envelope TEXT NOT NULL,
    received_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS conflicts (
    record_id TEXT NOT NULL, device_id TEXT NOT NULL, content_hash TEXT NOT NULL,
    envelope TEXT NOT NULL, received_at TEXT NOT NULL,
    PRIMARY KEY (record_id, content_hash));
CREATE TABLE IF NOT EXISTS rejections (
    record_id TEXT NOT NULL, device_id TEXT NOT NULL, rule TEXT, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tombstones (
    tombstone_id TEXT PRIMARY KEY, record_id TEXT NOT NULL, device_id TEXT NOT NULL,
    withdrawn_on TEXT NOT NULL, received_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS tombstones_record ON tombstones (record_id);
-- R9: ids withdrawn by the device that owns them, never stored again by anyone.
-- A tombstone row alone (an id the server had not seen) binds only its device.
CREATE TABLE IF NOT EXISTS withdrawals (
    record_id TEXT PRIMARY KEY, device_id TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS compliance_findings (
    id INTEGER PRIMARY KEY, record_id TEXT NOT NULL, rule TEXT NOT NULL, message TEXT NOT NULL,
    researcher TEXT NOT NULL, protocol_id TEXT NOT NULL, protocol_version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS audit_log (
    id INTEGER PRIMARY KEY, actor TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL,
    at TEXT NOT NULL);
";

/// Databases from before `withdrawals` existed treated every tombstone as
/// final for its id; they stay so (a withdrawn record must never come back).
/// Run once, in the transaction that creates the table.
pub(super) fn migrate_withdrawals(
    tx: &rusqlite::Connection,
    had_table: bool,
) -> rusqlite::Result<()> {
    if !had_table {
        tx.execute(
            "INSERT OR IGNORE INTO withdrawals (record_id, device_id, at)
             SELECT record_id, device_id, received_at FROM tombstones",
            [],
        )?;
    }
    Ok(())
}

pub(super) fn ts(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).expect("UTC times always format")
}

pub(super) fn parse_ts(text: &str) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::parse(text, &Rfc3339)
        .map_err(|e| StoreError::Corrupt(format!("timestamp `{text}`: {e}")))
}

pub(super) fn parse_uuid(text: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(text).map_err(|e| StoreError::Corrupt(format!("id `{text}`: {e}")))
}

pub(super) fn langs(text: &str) -> Vec<String> {
    text.split(',')
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A device row joined with its code-of-practice acceptance (R15), as
/// [`DEVICE_COLUMNS`] from [`DEVICES_JOINED`] reads it.
pub(super) struct DeviceRow {
    id: String,
    researcher: String,
    languages: String,
    enrolled_at: String,
    revoked_at: Option<String>,
    ack_language: Option<String>,
    ack_at: Option<String>,
}

pub(super) fn device_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<DeviceRow> {
    Ok(DeviceRow {
        id: row.get(0)?,
        researcher: row.get(1)?,
        languages: row.get(2)?,
        enrolled_at: row.get(3)?,
        revoked_at: row.get(4)?,
        ack_language: row.get(5)?,
        ack_at: row.get(6)?,
    })
}

pub(super) fn to_device(row: DeviceRow) -> Result<Device, StoreError> {
    let code_of_practice = match (row.ack_language, row.ack_at) {
        (Some(language), Some(at)) => Some(CodeOfPracticeAcceptance {
            language,
            accepted_at: parse_ts(&at)?,
        }),
        _ => None,
    };
    Ok(Device {
        device_id: parse_uuid(&row.id)?,
        researcher: row.researcher,
        languages: langs(&row.languages),
        enrolled_at: parse_ts(&row.enrolled_at)?,
        revoked_at: row.revoked_at.as_deref().map(parse_ts).transpose()?,
        code_of_practice,
    })
}

pub(super) const DEVICE_COLUMNS: &str = "d.device_id, d.researcher, d.languages, d.enrolled_at, \
     d.revoked_at, c.language, c.accepted_at";
pub(super) const DEVICES_JOINED: &str =
    "devices d LEFT JOIN code_of_practice c ON c.device_id = d.device_id";
