//! The sync wire types, version `v1`: what the phone sends and the server
//! answers, as JSON. Shared by both sides so they cannot drift apart.
//!
//! Requests that carry records or tombstones name their `wire_version`; a
//! side that reads another version stops with [`WireError::UnsupportedVersion`]
//! instead of guessing. Field order is part of the format (a record's content
//! hash is taken over its canonical JSON): append fields, never reorder.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use uuid::Uuid;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::anonymise::{Anonymised, RedactionReport};
use crate::engine::{Event, EventKind};
use crate::hash::ContentHash;
use crate::model::{Protocol, Text};
use crate::parse::parse_protocol;
use crate::rules::Rule;

pub const WIRE_VERSION: &str = "v1";

/// How far a phone's clock may be from the server's before it matters: a
/// session dated later than this after the server received it gets a time
/// finding (R26), and a phone whose clock differs by more than this at a
/// sync warns the researcher before the next session. Every answer of the
/// API carries the server's time in its `Date` header.
pub const CLOCK_TOLERANCE: time::Duration = time::Duration::minutes(10);

/// Why a message could not be read or trusted.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    #[error("wire version `{found}` is not supported: this side speaks {WIRE_VERSION}; update the app or the server so both speak the same version")]
    UnsupportedVersion { found: String },
    #[error("could not read the {what}: {message}")]
    Malformed { what: &'static str, message: String },
    #[error("record {record_id} does not match its content hash (stated {stated}, computed {computed}): it changed after it was sealed; send it again from the device")]
    ContentHashMismatch {
        record_id: Uuid,
        stated: ContentHash,
        computed: ContentHash,
    },
    #[error("downloaded protocol `{protocol_id}` version {version} does not parse: {message}")]
    ProtocolUnreadable {
        protocol_id: String,
        version: u32,
        message: String,
    },
    #[error("downloaded protocol `{protocol_id}` version {version} has hash {computed}, the server announced {stated}: do not use it; ask the project's coordinator")]
    ProtocolHashMismatch {
        protocol_id: String,
        version: u32,
        stated: ContentHash,
        computed: ContentHash,
    },
}

/// The `wire_version` field: always `v1` when written, only `v1` when read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WireVersion;

impl Serialize for WireVersion {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(WIRE_VERSION)
    }
}

impl<'de> Deserialize<'de> for WireVersion {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let found = String::deserialize(d)?;
        if found == WIRE_VERSION {
            Ok(WireVersion)
        } else {
            Err(serde::de::Error::custom(WireError::UnsupportedVersion {
                found,
            }))
        }
    }
}

/// Reads a wire message, reporting another `wire_version` as
/// [`WireError::UnsupportedVersion`] before anything else about it.
pub fn from_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, WireError> {
    #[derive(Deserialize)]
    struct Peek {
        wire_version: Option<serde_json::Value>,
    }
    let what = short_type_name::<T>();
    if let Ok(Peek {
        wire_version: Some(found),
    }) = serde_json::from_slice::<Peek>(bytes)
    {
        if found != WIRE_VERSION {
            let found = found
                .as_str()
                .map_or_else(|| found.to_string(), str::to_owned);
            return Err(WireError::UnsupportedVersion { found });
        }
    }
    serde_json::from_slice(bytes).map_err(|e| WireError::Malformed {
        what,
        message: e.to_string(),
    })
}

fn short_type_name<T>() -> &'static str {
    let full = std::any::type_name::<T>();
    full.rsplit("::").next().unwrap_or(full)
}

/// One anonymised session on its way to the server, sealed with a hash over
/// everything else in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordEnvelope {
    pub wire_version: WireVersion,
    pub record_id: Uuid,
    pub device_id: Uuid,
    pub protocol_id: String,
    pub protocol_version: u32,
    pub protocol_hash: ContentHash,
    /// The respondent's reference number; "" for an anonymous refusal.
    pub respondent: String,
    pub events: Vec<Event>,
    pub redactions: RedactionReport,
    pub content_hash: ContentHash,
    /// The interview's length in minutes, in whole steps of
    /// [`crate::anonymise::DURATION_STEP_MINUTES`] (R21); absent from older
    /// phones and on refusals and positive screens. Under the content hash
    /// when present; absent, the hash is what older phones compute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_minutes: Option<u32>,
}

/// The envelope's fields in order, without `content_hash`: what is hashed.
#[derive(Serialize)]
struct SealedFields<'a> {
    wire_version: WireVersion,
    record_id: Uuid,
    device_id: Uuid,
    protocol_id: &'a str,
    protocol_version: u32,
    protocol_hash: &'a ContentHash,
    respondent: &'a str,
    events: &'a [Event],
    redactions: &'a RedactionReport,
    #[serde(skip_serializing_if = "Option::is_none")]
    duration_minutes: Option<u32>,
}

impl RecordEnvelope {
    /// Wraps an anonymised log for sync. The respondent is read from the
    /// log's `SessionStarted`, after anonymisation.
    pub fn seal(
        record_id: Uuid,
        device_id: Uuid,
        protocol: &Protocol,
        anonymised: Anonymised,
    ) -> RecordEnvelope {
        let respondent = anonymised
            .events
            .iter()
            .find_map(|e| match &e.kind {
                EventKind::SessionStarted(start) => Some(start.respondent.clone()),
                _ => None,
            })
            .unwrap_or_default();
        let mut envelope = RecordEnvelope {
            wire_version: WireVersion,
            record_id,
            device_id,
            protocol_id: protocol.id.clone(),
            protocol_version: protocol.version,
            protocol_hash: protocol.content_hash(),
            respondent,
            events: anonymised.events,
            redactions: anonymised.report,
            content_hash: ContentHash(String::new()),
            duration_minutes: anonymised.duration_minutes,
        };
        envelope.content_hash = envelope.computed_hash();
        envelope
    }

    /// The hash of the canonical JSON of every field but `content_hash`.
    pub fn computed_hash(&self) -> ContentHash {
        ContentHash::of(&SealedFields {
            wire_version: WireVersion,
            record_id: self.record_id,
            device_id: self.device_id,
            protocol_id: &self.protocol_id,
            protocol_version: self.protocol_version,
            protocol_hash: &self.protocol_hash,
            respondent: &self.respondent,
            events: &self.events,
            redactions: &self.redactions,
            duration_minutes: self.duration_minutes,
        })
    }

    /// Whether the record is exactly as it was sealed.
    pub fn verify_content_hash(&self) -> Result<(), WireError> {
        let computed = self.computed_hash();
        if computed == self.content_hash {
            Ok(())
        } else {
            Err(WireError::ContentHashMismatch {
                record_id: self.record_id,
                stated: self.content_hash.clone(),
                computed,
            })
        }
    }
}

/// A withdrawal (R9): the server deletes the record and keeps only the fact.
/// It acts only on records the named device sent, and only that device may
/// send it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tombstone {
    pub wire_version: WireVersion,
    pub tombstone_id: Uuid,
    pub record_id: Uuid,
    pub device_id: Uuid,
    /// The day only: when a child withdrew is itself not research data.
    #[serde(with = "iso_date")]
    pub withdrawn_on: Date,
}

impl Tombstone {
    pub fn new(tombstone_id: Uuid, record_id: Uuid, device_id: Uuid, withdrawn_on: Date) -> Self {
        Tombstone {
            wire_version: WireVersion,
            tombstone_id,
            record_id,
            device_id,
            withdrawn_on,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordBatch {
    pub wire_version: WireVersion,
    pub records: Vec<RecordEnvelope>,
}

impl RecordBatch {
    pub fn new(records: Vec<RecordEnvelope>) -> Self {
        RecordBatch {
            wire_version: WireVersion,
            records,
        }
    }
}

/// The server's answer to a [`RecordBatch`], one result per record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchResponse {
    pub results: Vec<RecordResult>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordResult {
    pub record_id: Uuid,
    #[serde(flatten)]
    pub status: RecordStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RecordStatus {
    /// Stored for the first time.
    Stored,
    /// Already stored with the same content hash: success, nothing to redo.
    Duplicate,
    /// Already stored with different content; kept apart for a person to look at.
    Conflict { message: String },
    /// The server would not store it: the engine refused its replay, its hash
    /// did not match, or its protocol is unknown.
    Rejected { rule: Option<Rule>, reason: String },
}

impl RecordStatus {
    /// Whether the device may forget the record: the server has it.
    pub fn is_acknowledged(&self) -> bool {
        matches!(self, RecordStatus::Stored | RecordStatus::Duplicate)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TombstoneBatch {
    pub wire_version: WireVersion,
    pub tombstones: Vec<Tombstone>,
}

impl TombstoneBatch {
    pub fn new(tombstones: Vec<Tombstone>) -> Self {
        TombstoneBatch {
            wire_version: WireVersion,
            tombstones,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TombstoneResponse {
    pub results: Vec<TombstoneResult>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TombstoneResult {
    pub tombstone_id: Uuid,
    pub record_id: Uuid,
    #[serde(flatten)]
    pub status: TombstoneStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TombstoneStatus {
    /// The record was this device's and is deleted now; its id is never
    /// stored again, by anyone (R9).
    Deleted,
    /// This device's withdrawal of the record was already final.
    AlreadyDeleted,
    /// The server holds no record of this device's under that id. The
    /// tombstone is kept for this device only: if the record arrives from
    /// it later, it is refused. Another device's record is never touched.
    Unknown,
}

/// One protocol version offered for download, with its TOML source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtocolListing {
    pub protocol_id: String,
    pub version: u32,
    pub title: Text,
    pub content_hash: ContentHash,
    pub data_use_hash: ContentHash,
    pub source_toml: String,
}

impl ProtocolListing {
    /// The listing for a protocol and the TOML it was parsed from.
    pub fn new(protocol: &Protocol, source_toml: String) -> Self {
        ProtocolListing {
            protocol_id: protocol.id.clone(),
            version: protocol.version,
            title: protocol.title.clone(),
            content_hash: protocol.content_hash(),
            data_use_hash: protocol.data_use_hash(),
            source_toml,
        }
    }

    /// Parses the downloaded source and checks it is exactly the announced
    /// version: same id, version, content hash and data-use hash (R4).
    pub fn protocol(&self) -> Result<Protocol, WireError> {
        let file = format!("{} v{} (downloaded)", self.protocol_id, self.version);
        let protocol = parse_protocol(&file, &self.source_toml).map_err(|e| {
            WireError::ProtocolUnreadable {
                protocol_id: self.protocol_id.clone(),
                version: self.version,
                message: e.to_string(),
            }
        })?;
        let computed = protocol.content_hash();
        let same = protocol.id == self.protocol_id
            && protocol.version == self.version
            && computed == self.content_hash
            && protocol.data_use_hash() == self.data_use_hash;
        if !same {
            return Err(WireError::ProtocolHashMismatch {
                protocol_id: self.protocol_id.clone(),
                version: self.version,
                stated: self.content_hash.clone(),
                computed,
            });
        }
        Ok(protocol)
    }
}

/// A secret that has to cross the wire (an enrolment code, a device token):
/// wiped from memory on drop and never printed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(transparent)]
pub struct WireSecret(String);

impl WireSecret {
    pub fn new(secret: String) -> Self {
        WireSecret(secret)
    }

    /// The secret itself, to store in the vault or compare in constant time.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for WireSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WireSecret([redacted])")
    }
}

/// A device asks to join a project with the one-time code a coordinator gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolRequest {
    pub code: WireSecret,
    pub device_name: String,
    /// The researcher's acceptance of the code of practice on this phone
    /// (R15). Optional on the wire only so that the server can refuse its
    /// absence with a message instead of a parse error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_of_practice: Option<CodeOfPracticeAcceptance>,
}

/// The researcher read and accepted the code of practice (R15): in which
/// language and when. Supervisors see it beside the device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeOfPracticeAcceptance {
    /// The app language it was read in (`en`, `fr`).
    pub language: String,
    #[serde(with = "time::serde::rfc3339")]
    pub accepted_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolResponse {
    pub device_id: Uuid,
    /// The bearer token for every later request from this device.
    pub token: WireSecret,
    pub project: String,
    pub researcher: String,
}

/// What the server holds from this device, for the sync screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStatus {
    pub stored: u64,
    pub rejected: u64,
    pub tombstones: u64,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_received: Option<OffsetDateTime>,
}

/// `YYYY-MM-DD`, the way people and spreadsheets write a day.
mod iso_date {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::format_description::FormatItem;
    use time::macros::format_description;
    use time::Date;

    const FORMAT: &[FormatItem<'static>] = format_description!("[year]-[month]-[day]");

    pub fn serialize<S: Serializer>(date: &Date, s: S) -> Result<S::Ok, S::Error> {
        let text = date.format(FORMAT).map_err(serde::ser::Error::custom)?;
        s.serialize_str(&text)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let text = String::deserialize(d)?;
        Date::parse(&text, FORMAT).map_err(|e| {
            serde::de::Error::custom(format!("`{text}` is not a day as YYYY-MM-DD: {e}"))
        })
    }
}
