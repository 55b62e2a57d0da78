//! Sealing one stored record: XChaCha20-Poly1305 under the store's data key,
//! a fresh random nonce per write, and the record's kind, id and format
//! version as associated data. A ciphertext copied into another row (another
//! id or kind) therefore fails to open instead of showing the wrong record.

use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::error::VaultError;
use super::keys::{open_raw, seal_raw, DataKey};

/// The format version new records are sealed with. Each row keeps the
/// version it was sealed with, so a schema migration that does not touch a
/// record's contents never has to re-encrypt it.
pub(crate) const RECORD_FORMAT: u32 = 1;

/// What a row holds; part of the associated data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RecordKind {
    Event,
    Session,
    Draft,
    Setting,
    Note,
    Attachment,
    OutboxMeta,
    OutboxPayload,
    Identity,
}

impl RecordKind {
    pub fn name(self) -> &'static str {
        match self {
            RecordKind::Event => "event",
            RecordKind::Session => "session",
            RecordKind::Draft => "draft",
            RecordKind::Setting => "setting",
            RecordKind::Note => "note",
            RecordKind::Attachment => "attachment",
            RecordKind::OutboxMeta => "outbox entry",
            RecordKind::OutboxPayload => "outbox payload",
            RecordKind::Identity => "identity record",
        }
    }
}

/// Names one record: what it is and its id as shown in error messages.
#[derive(Clone, Debug)]
pub(crate) struct RecordRef {
    pub kind: RecordKind,
    pub id: String,
}

impl RecordRef {
    pub fn new(kind: RecordKind, id: impl Into<String>) -> Self {
        Self {
            kind,
            id: id.into(),
        }
    }

    fn aad(&self, format: u32) -> Vec<u8> {
        let mut aad = b"fieldkit-record-v1\0".to_vec();
        aad.extend_from_slice(self.kind.name().as_bytes());
        aad.push(0);
        aad.extend_from_slice(self.id.as_bytes());
        aad.push(0);
        aad.extend_from_slice(&format.to_be_bytes());
        aad
    }

    pub fn describe(&self) -> String {
        format!("{} {}", self.kind.name(), self.id)
    }
}

pub(crate) fn seal(key: &DataKey, record: &RecordRef, plaintext: &[u8]) -> Vec<u8> {
    seal_raw(key.bytes(), &record.aad(RECORD_FORMAT), plaintext)
}

/// Opens a sealed record, or names it in a `Corrupt` error.
pub(crate) fn open(
    key: &DataKey,
    record: &RecordRef,
    format: u32,
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    open_raw(key.bytes(), &record.aad(format), sealed).ok_or_else(|| VaultError::Corrupt {
        record: record.describe(),
    })
}

/// Seals a value as JSON; the JSON itself never leaves memory unencrypted.
pub(crate) fn seal_json<T: serde::Serialize>(
    key: &DataKey,
    record: &RecordRef,
    value: &T,
) -> Result<Vec<u8>, VaultError> {
    let json = Zeroizing::new(serde_json::to_vec(value).map_err(|e| VaultError::Encode {
        record: record.describe(),
        detail: e.to_string(),
    })?);
    Ok(seal(key, record, &json))
}

pub(crate) fn open_json<T: serde::de::DeserializeOwned>(
    key: &DataKey,
    record: &RecordRef,
    format: u32,
    sealed: &[u8],
) -> Result<T, VaultError> {
    let json = open(key, record, format, sealed)?;
    serde_json::from_slice(&json).map_err(|e| VaultError::Decode {
        record: record.describe(),
        detail: e.to_string(),
    })
}

/// A row id that does not reveal the name it was made from (a draft's key, a
/// respondent's reference number): a hash keyed with the store's data key.
pub(crate) fn keyed_id(key: &DataKey, domain: &str, name: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"fieldkit-keyed-id-v1\0");
    hasher.update(key.bytes());
    hasher.update(domain.as_bytes());
    hasher.update([0]);
    hasher.update(name.as_bytes());
    hex::encode(hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_opens_only_under_its_own_kind_id_and_version() {
        let key = DataKey::random();
        let event = RecordRef::new(RecordKind::Event, "a#1");
        let sealed = seal(&key, &event, b"hello");
        assert_eq!(
            &open(&key, &event, RECORD_FORMAT, &sealed).unwrap()[..],
            b"hello"
        );
        let other_id = RecordRef::new(RecordKind::Event, "a#2");
        let other_kind = RecordRef::new(RecordKind::Draft, "a#1");
        assert!(open(&key, &other_id, RECORD_FORMAT, &sealed).is_err());
        assert!(open(&key, &other_kind, RECORD_FORMAT, &sealed).is_err());
        assert!(open(&key, &event, RECORD_FORMAT + 1, &sealed).is_err());
        assert!(open(&DataKey::random(), &event, RECORD_FORMAT, &sealed).is_err());
    }

    #[test]
    fn every_seal_uses_a_fresh_nonce() {
        let key = DataKey::random();
        let record = RecordRef::new(RecordKind::Note, "n");
        assert_ne!(seal(&key, &record, b"same"), seal(&key, &record, b"same"));
    }

    #[test]
    fn flipping_any_single_byte_of_a_sealed_record_is_detected() {
        let key = DataKey::random();
        let record = RecordRef::new(RecordKind::Event, "s#1");
        let sealed = seal(&key, &record, b"an answer about school");
        for index in 0..sealed.len() {
            let mut damaged = sealed.clone();
            damaged[index] ^= 0x01;
            assert!(
                open(&key, &record, RECORD_FORMAT, &damaged).is_err(),
                "byte {index}"
            );
        }
        assert!(open(&key, &record, RECORD_FORMAT, &sealed[..sealed.len() - 1]).is_err());
    }

    #[test]
    fn corruption_names_the_record() {
        let key = DataKey::random();
        let record = RecordRef::new(RecordKind::Event, "s#3");
        let mut sealed = seal(&key, &record, b"x");
        sealed[25] ^= 0x40;
        let err = open(&key, &record, RECORD_FORMAT, &sealed).unwrap_err();
        assert!(err.to_string().contains("event s#3"), "{err}");
    }
}
