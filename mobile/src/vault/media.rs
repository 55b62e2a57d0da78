//! Protocol media pinned on this device: each picture or sound of a pinned
//! protocol's bundle, sealed like every other record, under a keyed name
//! (so the file does not say which pictures a study uses). A file is kept
//! only if its bytes hash to what the protocol's manifest says (R4), and is
//! read back into memory only: never written decrypted to disk.
//!
//! A download cut before the end keeps what arrived as a *partial*, sealed
//! in the same table under another keyed name, so the next sync resumes
//! from there; it counts as missing until the whole file hashes right.

use fieldkit_protocols::hash::ContentHash;
use fieldkit_protocols::Protocol;
use rusqlite::{params, OptionalExtension};
use zeroize::Zeroizing;

use super::crypto::{keyed_id, open, seal, RecordKind, RecordRef, RECORD_FORMAT};
use super::keys::Subkeys;
use super::ledger::{Table, Writer};
use super::{Open, Vault, VaultError};

fn media_ref(sub: &Subkeys, sha256: &ContentHash) -> RecordRef {
    RecordRef::new(
        RecordKind::Media,
        keyed_id(&sub.ids, "media", sha256.as_str()),
    )
}

fn partial_ref(sub: &Subkeys, sha256: &ContentHash) -> RecordRef {
    RecordRef::new(
        RecordKind::Media,
        keyed_id(&sub.ids, "media-partial", sha256.as_str()),
    )
}

fn delete_partial(w: &mut Writer<'_>, sha256: &ContentHash) -> Result<(), VaultError> {
    let partial = partial_ref(w.sub, sha256).id;
    w.execute(
        Table::Media,
        "id = ?1",
        [&partial],
        "DELETE FROM media WHERE id = ?1",
        [&partial],
    )?;
    Ok(())
}

impl Vault {
    /// Keeps a media file if `bytes` hash to `sha256`; a file that does not
    /// (edited after publishing, damaged in transit) is refused.
    pub fn pin_media(&mut self, sha256: &ContentHash, bytes: &[u8]) -> Result<(), VaultError> {
        let found = ContentHash::of_bytes(bytes);
        if &found != sha256 {
            return Err(VaultError::InvalidSettings(format!(
                "a protocol picture or sound does not match its published hash (expected {}, got {}): it was changed after publishing; not kept (R4)",
                sha256.short(),
                found.short()
            )));
        }
        self.open_mut()?.write(|w| {
            let record = media_ref(w.sub, sha256);
            let sealed = seal(w.key, &record, bytes);
            w.execute(
                Table::Media,
                "id = ?1",
                [&record.id],
                "INSERT INTO media (id, format, sealed) VALUES (?1, ?2, ?3)
                 ON CONFLICT (id) DO NOTHING",
                params![record.id, RECORD_FORMAT, sealed],
            )?;
            // The whole file is kept: its partial goes in the same transaction.
            delete_partial(w, sha256)
        })
    }

    /// Keeps the first bytes of a file whose download was cut, sealed, so
    /// the next sync asks only for the rest. Replaces an earlier partial.
    pub fn keep_partial_media(
        &mut self,
        sha256: &ContentHash,
        bytes: &[u8],
    ) -> Result<(), VaultError> {
        self.open_mut()?.write(|w| {
            let record = partial_ref(w.sub, sha256);
            let sealed = seal(w.key, &record, bytes);
            w.execute(
                Table::Media,
                "id = ?1",
                [&record.id],
                "INSERT INTO media (id, format, sealed) VALUES (?1, ?2, ?3)
                 ON CONFLICT (id) DO UPDATE SET format = excluded.format, sealed = excluded.sealed",
                params![record.id, RECORD_FORMAT, sealed],
            )?;
            Ok(())
        })
    }

    /// What a cut download of `sha256` left, if anything.
    pub fn partial_media(
        &self,
        sha256: &ContentHash,
    ) -> Result<Option<Zeroizing<Vec<u8>>>, VaultError> {
        self.read_media(partial_ref, sha256)
    }

    /// Forgets a partial (its bytes turned out wrong): the next try starts
    /// from the first byte.
    pub fn drop_partial_media(&mut self, sha256: &ContentHash) -> Result<(), VaultError> {
        self.open_mut()?.write(|w| delete_partial(w, sha256))
    }

    /// A pinned media file's bytes, in memory.
    pub fn media(&self, sha256: &ContentHash) -> Result<Option<Zeroizing<Vec<u8>>>, VaultError> {
        self.read_media(media_ref, sha256)
    }

    /// The row `record` names for `sha256` (a pinned file or a partial), opened.
    fn read_media(
        &self,
        record: fn(&Subkeys, &ContentHash) -> RecordRef,
        sha256: &ContentHash,
    ) -> Result<Option<Zeroizing<Vec<u8>>>, VaultError> {
        let Open { conn, key, sub, .. } = self.open()?;
        let record = record(sub, sha256);
        let row: Option<(u32, Vec<u8>)> = conn
            .query_row(
                "SELECT format, sealed FROM media WHERE id = ?1",
                [&record.id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        row.map(|(format, sealed)| open(key, &record, format, &sealed))
            .transpose()
    }

    pub fn has_media(&self, sha256: &ContentHash) -> Result<bool, VaultError> {
        let Open { conn, sub, .. } = self.open()?;
        let record = media_ref(sub, sha256);
        Ok(conn
            .query_row(
                "SELECT 1 FROM media WHERE id = ?1",
                [&record.id],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// The manifest paths of `protocol` not yet pinned here. A protocol is
    /// offered for sessions only when this is empty.
    pub fn missing_media(&self, protocol: &Protocol) -> Result<Vec<String>, VaultError> {
        let mut missing = Vec::new();
        for (path, entry) in &protocol.media {
            if !self.has_media(&entry.sha256)? {
                missing.push(path.clone());
            }
        }
        Ok(missing)
    }
}
