//! Protocols pinned on this device (R4) and the id the server gave it at
//! enrolment. Kept in the sealed `settings` table under `protocol/<id>/v<n>`
//! names, so no schema change is needed. Added for the sync client.

use fieldkit_protocols::hash::ContentHash;
use fieldkit_protocols::wire::{ProtocolListing, WireError};
use fieldkit_protocols::{parse_protocol, Protocol, Text};
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::crypto::{open_json, seal_json, RecordKind, RecordRef, RECORD_FORMAT};
use super::{Vault, VaultError};

const PREFIX: &str = "protocol/";
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

fn name(protocol_id: &str, version: u32) -> String {
    format!("{PREFIX}{protocol_id}/v{version}")
}

fn setting_ref(name: &str) -> RecordRef {
    RecordRef::new(RecordKind::Setting, name)
}

impl Vault {
    /// Pins a protocol version. A version that is already pinned is never
    /// replaced (R4): returns `false` and leaves the stored copy alone.
    pub fn pin_protocol(&mut self, pinned: &PinnedProtocol) -> Result<bool, VaultError> {
        let key = self.key()?;
        // Parsing proves the source is usable before it is kept.
        parse_protocol(&pinned.protocol_id, &pinned.source_toml).map_err(|e| {
            VaultError::InvalidSettings(format!(
                "protocol {} v{} does not parse: {e}",
                pinned.protocol_id, pinned.version
            ))
        })?;
        let name = name(&pinned.protocol_id, pinned.version);
        let sealed = seal_json(key, &setting_ref(&name), pinned)?;
        let inserted = self.conn.execute(
            "INSERT INTO settings (name, format, sealed) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO NOTHING",
            params![name, RECORD_FORMAT, sealed],
        )?;
        Ok(inserted == 1)
    }

    pub fn pinned_protocol(
        &self,
        protocol_id: &str,
        version: u32,
    ) -> Result<Option<PinnedProtocol>, VaultError> {
        let key = self.key()?;
        let name = name(protocol_id, version);
        let row: Option<(u32, Vec<u8>)> = self
            .conn
            .query_row(
                "SELECT format, sealed FROM settings WHERE name = ?1",
                [&name],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        row.map(|(format, sealed)| open_json(key, &setting_ref(&name), format, &sealed))
            .transpose()
    }

    /// Every pinned protocol version, by id then version.
    pub fn pinned_protocols(&self) -> Result<Vec<PinnedProtocol>, VaultError> {
        let key = self.key()?;
        let mut stmt = self.conn.prepare(
            "SELECT name, format, sealed FROM settings WHERE substr(name, 1, 9) = ?1 ORDER BY name",
        )?;
        let rows = stmt
            .query_map([PREFIX], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, u32>(1)?,
                    row.get::<_, Vec<u8>>(2)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let mut out: Vec<PinnedProtocol> = rows
            .into_iter()
            .map(|(name, format, sealed)| open_json(key, &setting_ref(&name), format, &sealed))
            .collect::<Result<_, _>>()?;
        out.sort_by(|a, b| (&a.protocol_id, a.version).cmp(&(&b.protocol_id, b.version)));
        Ok(out)
    }

    /// Keeps the id the server gave this device at enrolment.
    pub fn set_device_id(&mut self, device_id: Uuid) -> Result<(), VaultError> {
        let key = self.key()?;
        let sealed = seal_json(key, &setting_ref(DEVICE_ID), &device_id)?;
        self.conn.execute(
            "INSERT INTO settings (name, format, sealed) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO UPDATE SET format = excluded.format, sealed = excluded.sealed",
            params![DEVICE_ID, RECORD_FORMAT, sealed],
        )?;
        Ok(())
    }

    /// The server's id for this device; `None` before enrolment.
    pub fn device_id(&self) -> Result<Option<Uuid>, VaultError> {
        let key = self.key()?;
        let row: Option<(u32, Vec<u8>)> = self
            .conn
            .query_row(
                "SELECT format, sealed FROM settings WHERE name = ?1",
                [DEVICE_ID],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        row.map(|(format, sealed)| open_json(key, &setting_ref(DEVICE_ID), format, &sealed))
            .transpose()
    }
}
