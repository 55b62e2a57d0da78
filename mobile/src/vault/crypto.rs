//! Sealing one stored record: XChaCha20-Poly1305 under the store's data key,
//! a fresh random nonce per write, and as associated data the record's kind,
//! id, format version and the plain columns that give it meaning (the
//! session an attachment belongs to, an outbox entry's state). A ciphertext
//! copied into another row, or a row whose state was flipped, therefore fails
//! to open instead of showing the wrong record. Rows rolled back or removed
//! as a whole are the ledger's job (`ledger.rs`).
//!
//! Errors name the record and what failed, never what it holds.

use zeroize::Zeroizing;

use super::error::VaultError;
use super::keys::{mac, open_in_place, open_raw_owned, seal_raw, DataKey};

/// The format version new records are sealed with. Each row keeps the
/// version it was sealed with, so a schema migration that does not touch a
/// record's contents never has to re-encrypt it.
pub(crate) const RECORD_FORMAT: u32 = 2;

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
    Pinned,
    Ledger,
    Media,
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
            RecordKind::Pinned => "pinned protocol",
            RecordKind::Media => "protocol media file",
            RecordKind::Ledger => "integrity ledger",
        }
    }
}

/// Names one record: what it is and its id as shown in error messages,
/// and the plain columns bound to it.
#[derive(Clone, Debug)]
pub(crate) struct RecordRef {
    pub kind: RecordKind,
    pub id: String,
    /// Plain columns that must not change without the record (never shown).
    bound: Vec<String>,
}

impl RecordRef {
    pub fn new(kind: RecordKind, id: impl Into<String>) -> Self {
        Self {
            kind,
            id: id.into(),
            bound: Vec::new(),
        }
    }

    /// Binds a plain column's value to the record.
    pub fn bound_to(mut self, column: &str, value: impl std::fmt::Display) -> Self {
        self.bound.push(format!("{column}={value}"));
        self
    }

    /// Calls `f` with the record's associated data: on the stack when it
    /// fits, as it does for every record but one with long bound columns
    /// (a session's events open by the hundred).
    fn with_aad<T>(&self, format: u32, f: impl FnOnce(&[u8]) -> T) -> T {
        const PREFIX: &[u8] = b"fieldkit-record-v2\0";
        let parts = || {
            [self.kind.name(), self.id.as_str()]
                .into_iter()
                .chain(self.bound.iter().map(String::as_str))
        };
        let size = PREFIX.len() + parts().map(|part| 8 + part.len()).sum::<usize>() + 4;
        let write = |aad: &mut [u8]| {
            let mut at = 0;
            let mut put = |bytes: &[u8]| {
                aad[at..at + bytes.len()].copy_from_slice(bytes);
                at += bytes.len();
            };
            put(PREFIX);
            for part in parts() {
                put(&(part.len() as u64).to_be_bytes());
                put(part.as_bytes());
            }
            put(&format.to_be_bytes());
        };
        let mut stack = [0u8; 256];
        if let Some(aad) = stack.get_mut(..size) {
            write(aad);
            f(aad)
        } else {
            let mut aad = vec![0u8; size];
            write(&mut aad);
            f(&aad)
        }
    }

    pub fn describe(&self) -> String {
        format!("{} {}", self.kind.name(), self.id)
    }
}

pub(crate) fn seal(key: &DataKey, record: &RecordRef, plaintext: &[u8]) -> Vec<u8> {
    record.with_aad(RECORD_FORMAT, |aad| seal_raw(key.bytes(), aad, plaintext))
}

/// Opens a sealed record, or names it in a `Corrupt` error.
pub(crate) fn open(
    key: &DataKey,
    record: &RecordRef,
    format: u32,
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    open_owned(key, record, format, sealed.to_vec())
}

/// Seals a value as JSON; the JSON itself never leaves memory unencrypted.
pub(crate) fn seal_json<T: serde::Serialize>(
    key: &DataKey,
    record: &RecordRef,
    value: &T,
) -> Result<Vec<u8>, VaultError> {
    let json = Zeroizing::new(serde_json::to_vec(value).map_err(|e| VaultError::Encode {
        record: record.describe(),
        detail: json_failure(&e),
    })?);
    Ok(seal(key, record, &json))
}

/// [`open`], decrypting in the sealed bytes' own buffer.
pub(crate) fn open_owned(
    key: &DataKey,
    record: &RecordRef,
    format: u32,
    sealed: Vec<u8>,
) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    record
        .with_aad(format, |aad| open_raw_owned(key.bytes(), aad, sealed))
        .ok_or_else(|| VaultError::Corrupt {
            record: record.describe(),
        })
}

pub(crate) fn open_json<T: serde::de::DeserializeOwned>(
    key: &DataKey,
    record: &RecordRef,
    format: u32,
    sealed: &[u8],
) -> Result<T, VaultError> {
    from_json(record, &open(key, record, format, sealed)?)
}

/// [`open_json`] decrypting where the sealed bytes lie, in a buffer the
/// caller zeroes.
pub(crate) fn open_json_in_place<T: serde::de::DeserializeOwned>(
    key: &DataKey,
    record: &RecordRef,
    format: u32,
    sealed: &mut [u8],
) -> Result<T, VaultError> {
    let plain = record
        .with_aad(format, |aad| open_in_place(key.bytes(), aad, sealed))
        .ok_or_else(|| VaultError::Corrupt {
            record: record.describe(),
        })?;
    from_json(record, plain)
}

fn from_json<T: serde::de::DeserializeOwned>(
    record: &RecordRef,
    json: &[u8],
) -> Result<T, VaultError> {
    serde_json::from_slice(json).map_err(|e| VaultError::Decode {
        record: record.describe(),
        detail: json_failure(&e),
    })
}

/// What kind of JSON failure it was, without serde's message: that quotes
/// the offending value, which here is decrypted content.
pub(crate) fn json_failure(error: &serde_json::Error) -> &'static str {
    use serde_json::error::Category;
    match error.classify() {
        Category::Io => "could not be read",
        Category::Syntax => "is not well-formed JSON",
        Category::Data => "does not have the fields and values this app expects",
        Category::Eof => "ends too early",
    }
}

/// A row id that does not reveal the name it was made from (a draft's key, a
/// setting's name, a protocol id, a respondent's reference number): an HMAC
/// under a key only the store's owner has.
pub(crate) fn keyed_id(ids_key: &[u8; 32], domain: &str, name: &str) -> String {
    hex::encode(mac(
        ids_key,
        &[b"fieldkit-keyed-id-v2", domain.as_bytes(), name.as_bytes()],
    ))
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
    fn the_associated_data_is_the_documented_layout_short_or_long() {
        // Written out by hand: prefix, then each part as a big-endian u64
        // length and its bytes, then the format.
        fn by_hand(parts: &[&str], format: u32) -> Vec<u8> {
            let mut aad = b"fieldkit-record-v2\0".to_vec();
            for part in parts {
                aad.extend_from_slice(&(part.len() as u64).to_be_bytes());
                aad.extend_from_slice(part.as_bytes());
            }
            aad.extend_from_slice(&format.to_be_bytes());
            aad
        }
        let key = DataKey::random();
        // Short enough for the stack, and too long for it.
        for id in ["s#7".to_owned(), "x".repeat(400)] {
            let record =
                RecordRef::new(RecordKind::Attachment, id.clone()).bound_to("session", "s");
            let aad = by_hand(&["attachment", &id, "session=s"], RECORD_FORMAT);
            let sealed = seal_raw(key.bytes(), &aad, b"photo");
            assert_eq!(
                &open(&key, &record, RECORD_FORMAT, &sealed).unwrap()[..],
                b"photo",
                "id of {} bytes",
                id.len()
            );
            let ours = seal(&key, &record, b"photo");
            assert_eq!(
                &super::super::keys::open_raw(key.bytes(), &aad, &ours).unwrap()[..],
                b"photo"
            );
        }
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
    fn a_bound_column_is_part_of_the_record() {
        let key = DataKey::random();
        let pending = RecordRef::new(RecordKind::OutboxMeta, "r").bound_to("state", "pending");
        let sealed = seal(&key, &pending, b"meta");
        assert!(open(&key, &pending, RECORD_FORMAT, &sealed).is_ok());
        let acknowledged =
            RecordRef::new(RecordKind::OutboxMeta, "r").bound_to("state", "acknowledged");
        assert!(open(&key, &acknowledged, RECORD_FORMAT, &sealed).is_err());
        assert!(open(
            &key,
            &RecordRef::new(RecordKind::OutboxMeta, "r"),
            RECORD_FORMAT,
            &sealed
        )
        .is_err());
    }

    #[test]
    fn a_decode_error_says_what_failed_and_never_the_content() {
        let key = DataKey::random();
        let record = RecordRef::new(RecordKind::Note, "n1");
        let sealed = seal(&key, &record, br#"{"secret":"MARKER-IN-A-NOTE"}"#);
        let err = open_json::<u32>(&key, &record, RECORD_FORMAT, &sealed).unwrap_err();
        let message = err.to_string();
        assert!(message.contains("note n1"), "{message}");
        assert!(!message.contains("MARKER"), "{message}");
        let sealed = seal(&key, &record, b"\"MARKER-BAD-JSON");
        let message = open_json::<String>(&key, &record, RECORD_FORMAT, &sealed)
            .unwrap_err()
            .to_string();
        assert!(!message.contains("MARKER"), "{message}");
    }

    #[test]
    fn opening_in_place_agrees_with_opening_a_copy() {
        let key = DataKey::random();
        let record = RecordRef::new(RecordKind::Event, "s#4");
        for len in [0, 1, 15, 16, 17, 1000] {
            let plain = vec![0x5a; len];
            let sealed = seal(&key, &record, &plain);
            let opened = open_owned(&key, &record, RECORD_FORMAT, sealed.clone()).unwrap();
            assert_eq!(&opened[..], &plain[..]);
            for index in [0, 23, 24, sealed.len() - 1] {
                let mut damaged = sealed.clone();
                damaged[index] ^= 0x01;
                assert!(open_owned(&key, &record, RECORD_FORMAT, damaged).is_err());
            }
            let short = sealed[..sealed.len() - 1].to_vec();
            assert!(open_owned(&key, &record, RECORD_FORMAT, short).is_err());
        }
        assert!(open_owned(&key, &record, RECORD_FORMAT, vec![0; 39]).is_err());
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
