//! Protocols pinned on this device (R4) and the id the server gave it at
//! enrolment. A pinned protocol's row id is a keyed hash of `<id>/v<n>`, so
//! the file does not name the study's protocols (their ids often say what a
//! study is about).

use fieldkit_protocols::hash::ContentHash;
use fieldkit_protocols::wire::{ProtocolListing, WireError};
use fieldkit_protocols::{parse_protocol, Protocol, Text};
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::crypto::{keyed_id, open_json, seal_json, RecordKind, RecordRef, RECORD_FORMAT};
use super::keys::Subkeys;
use super::ledger::Table;
use super::records::{get_setting_json, put_setting_json};
use super::{Open, Vault, VaultError};

const DEVICE_ID: &str = "device_id";

/// A downloaded protocol version exactly as the server published it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinnedProtocol {
    pub protocol_id: String,
    pub version: u32,
    pub content_hash: ContentHash,
    pub data_use_hash: ContentHash,
    pub title: Text,
    pub source_toml: String,
}

impl PinnedProtocol {
    pub fn from_listing(listing: &ProtocolListing) -> Self {
        PinnedProtocol {
            protocol_id: listing.protocol_id.clone(),
            version: listing.version,
            content_hash: listing.content_hash.clone(),
            data_use_hash: listing.data_use_hash.clone(),
            title: listing.title.clone(),
            source_toml: listing.source_toml.clone(),
        }
    }

    /// Parses the pinned source and checks it still hashes to what was pinned.
    pub fn protocol(&self) -> Result<Protocol, WireError> {
        let listing = ProtocolListing {
            protocol_id: self.protocol_id.clone(),
            version: self.version,
            title: self.title.clone(),
            content_hash: self.content_hash.clone(),
            data_use_hash: self.data_use_hash.clone(),
            source_toml: self.source_toml.clone(),
        };
        listing.protocol()
    }
}

fn pinned_ref(sub: &Subkeys, protocol_id: &str, version: u32) -> RecordRef {
    RecordRef::new(
        RecordKind::Pinned,
        keyed_id(&sub.ids, "protocol", &format!("{protocol_id}/v{version}")),
    )
}

impl Vault {
    /// Pins a protocol version. A version that is already pinned is never
    /// replaced (R4): returns `false` and leaves the stored copy alone.
    pub fn pin_protocol(&mut self, pinned: &PinnedProtocol) -> Result<bool, VaultError> {
        // Parsing proves the source is usable before it is kept.
        parse_protocol(&pinned.protocol_id, &pinned.source_toml).map_err(|e| {
            VaultError::InvalidSettings(format!(
                "protocol {} v{} does not parse: {e}",
                pinned.protocol_id, pinned.version
            ))
        })?;
        self.open_mut()?.write(|w| {
            let record = pinned_ref(w.sub, &pinned.protocol_id, pinned.version);
            let sealed = seal_json(w.key, &record, pinned)?;
            let inserted = w.execute(
                Table::Pinned,
                "id = ?1",
                [&record.id],
                "INSERT INTO pinned (id, format, sealed) VALUES (?1, ?2, ?3)
                 ON CONFLICT (id) DO NOTHING",
                params![record.id, RECORD_FORMAT, sealed],
            )?;
            Ok(inserted == 1)
        })
    }

    pub fn pinned_protocol(
        &self,
        protocol_id: &str,
        version: u32,
    ) -> Result<Option<PinnedProtocol>, VaultError> {
        let Open { conn, key, sub, .. } = self.open()?;
        let record = pinned_ref(sub, protocol_id, version);
        let row: Option<(u32, Vec<u8>)> = conn
            .query_row(
                "SELECT format, sealed FROM pinned WHERE id = ?1",
                [&record.id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        row.map(|(format, sealed)| open_json(key, &record, format, &sealed))
            .transpose()
    }

    /// Every pinned protocol version, by id then version.
    pub fn pinned_protocols(&self) -> Result<Vec<PinnedProtocol>, VaultError> {
        let Open { conn, key, .. } = self.open()?;
        let mut stmt = conn.prepare("SELECT id, format, sealed FROM pinned")?;
        let rows = stmt
            .query_map([], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, u32>(1)?,
                    row.get::<_, Vec<u8>>(2)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let mut out: Vec<PinnedProtocol> = rows
            .into_iter()
            .map(|(id, format, sealed)| {
                open_json(
                    key,
                    &RecordRef::new(RecordKind::Pinned, id),
                    format,
                    &sealed,
                )
            })
            .collect::<Result<_, _>>()?;
        out.sort_by(|a, b| (&a.protocol_id, a.version).cmp(&(&b.protocol_id, b.version)));
        Ok(out)
    }

    /// Keeps the id the server gave this device at enrolment.
    pub fn set_device_id(&mut self, device_id: Uuid) -> Result<(), VaultError> {
        self.open_mut()?
            .write(|w| put_setting_json(w, DEVICE_ID, &device_id))
    }

    /// The server's id for this device; `None` before enrolment.
    pub fn device_id(&self) -> Result<Option<Uuid>, VaultError> {
        let Open { conn, key, sub, .. } = self.open()?;
        get_setting_json(conn, key, sub, DEVICE_ID)
    }
}
