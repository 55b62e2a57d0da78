//! The identity store (R21): a respondent's personal details, kept apart
//! from the research vault in its own file with its own key, which is
//! wrapped by a supervisor's code, so opening it takes a second person.
//!
//! The research vault holds what ties the two together (`identity/link.rs`):
//! the key that finds a person's row from their reference number (so a
//! withdrawal deletes it while the store is closed), the key that
//! authenticates the store's header, and the count of wrong codes. The store
//! is opened, made and erased through [`super::Vault`].
//!
//! It never syncs and is never exported: nothing here serialises
//! [`PersonalDetails`] except to seal them, and the only way out is
//! [`IdentityStore::identity_strings`], which anonymisation uses to scrub a
//! child's own name and contact from free text before sync.

use std::fmt;
use std::path::{Path, PathBuf};

use fieldkit_protocols::refnum::RefNumber;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::crypto::{keyed_id, open_json, seal_json, RecordKind, RecordRef, RECORD_FORMAT};
use super::header::{Counter, Header};
use super::keys::{DataKey, Kek, SupervisorCode};
use super::{wipe, VaultError};

mod link;

pub(crate) use link::forget_respondent;
pub use link::IdentityState;

/// The identity store's file, beside the vault's.
pub const IDENTITY_FILE: &str = "identity.sqlite";

/// Wrong supervisor's codes in a row after which the identity store (and
/// only it) erases itself.
pub const IDENTITY_ATTEMPTS: u32 = 5;

/// What a withdrawal did to the respondent's identity entry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IdentityDeletion {
    /// There is no identity store on this phone.
    #[default]
    NoStore,
    /// The store held nothing under this reference number.
    NoneStored,
    /// Their name and contact were deleted.
    Deleted,
}

/// Whether a supervisor's code is hard enough to guess for what it guards:
/// at least 8 digits that are neither one digit repeated nor a run, or a
/// passphrase the app's strength meter rates good.
pub fn supervisor_code_acceptable(code: &str) -> bool {
    if !code.is_empty() && code.bytes().all(|b| b.is_ascii_digit()) {
        let digits = code.as_bytes();
        let repeated = digits.iter().all(|d| *d == digits[0]);
        let rising = digits.windows(2).all(|w| w[1] == w[0] + 1);
        let falling = digits.windows(2).all(|w| w[0] == w[1] + 1);
        return digits.len() >= 8 && !repeated && !rising && !falling;
    }
    crate::ui::strength::acceptable(code)
}

/// Who a respondent is. Printed as `<redacted>`, zeroized on drop.
#[derive(Clone, Default, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct PersonalDetails {
    pub name: String,
    pub nickname: String,
    /// Phone number, address or how to reach them.
    pub contact: String,
    pub place: String,
    pub notes: String,
}

impl fmt::Debug for PersonalDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PersonalDetails(<redacted>)")
    }
}

/// The sealed form; private so the details cannot be serialised elsewhere.
/// It keeps the reference number, so the row can be found again if the
/// index key ever has to change.
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
struct Sealed {
    reference: String,
    name: String,
    nickname: String,
    contact: String,
    place: String,
    notes: String,
}

/// An open identity store. Dropping it or calling [`IdentityStore::lock`]
/// forgets its key and closes the file.
pub struct IdentityStore {
    path: PathBuf,
    conn: Option<Connection>,
    key: Option<DataKey>,
    /// From the research vault: finds a person's row.
    index_key: Zeroizing<[u8; 32]>,
    /// From the research vault: authenticates the header.
    header_key: Zeroizing<[u8; 32]>,
}

impl fmt::Debug for IdentityStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentityStore")
            .field("path", &self.path)
            .field("locked", &self.key.is_none())
            .finish_non_exhaustive()
    }
}

/// A person's row id: a keyed hash of the reference number under the key the
/// research vault holds.
pub(crate) fn person_id(index_key: &[u8; 32], reference: &RefNumber) -> String {
    keyed_id(index_key, "respondent", &reference.to_string())
}

fn person_ref(id: String) -> RecordRef {
    RecordRef::new(RecordKind::Identity, id)
}

impl IdentityStore {
    pub fn exists(dir: &Path) -> bool {
        dir.join(IDENTITY_FILE).is_file()
    }

    /// Forgets the key, empties the WAL into the file and closes it.
    pub fn lock(&mut self) {
        self.key = None;
        if let Some(conn) = self.conn.take() {
            if let Err(err) = wipe::scrub(&conn) {
                tracing::warn!(%err, "identity store lock: the checkpoint failed");
            }
        }
    }

    /// Rewraps the key under a new supervisor's code (as hard to guess as a
    /// new one must be); nothing is re-encrypted, the old wrapped key is
    /// scrubbed from the WAL.
    pub fn change_code(
        &mut self,
        old: &SupervisorCode,
        new: &SupervisorCode,
    ) -> Result<(), VaultError> {
        let (conn, key) = self.open()?;
        if !supervisor_code_acceptable(new.expose()) {
            return Err(VaultError::WeakSupervisorCode);
        }
        let mut header = Header::read(conn, &self.path)?;
        let kek = Kek::derive(header.kdf, old.expose().as_bytes(), &header.salt)
            .map_err(VaultError::InvalidSettings)?;
        if kek.unwrap(&header.wrapped).is_none() {
            return Err(VaultError::WrongSupervisorCode {
                attempts_left: header
                    .max_failed_unlocks
                    .saturating_sub(header.failed_unlocks),
            });
        }
        let kek = Kek::derive(header.kdf, new.expose().as_bytes(), &header.salt)
            .map_err(VaultError::InvalidSettings)?;
        header.wrapped = kek.wrap(key);
        header.authenticate(&self.header_key, Counter::Inside);
        header.save(conn)?;
        wipe::scrub(conn)
    }

    /// Stores (or replaces) the details for a reference number.
    pub fn put(
        &mut self,
        reference: &RefNumber,
        details: &PersonalDetails,
    ) -> Result<(), VaultError> {
        let (conn, key) = self.open()?;
        let record = person_ref(person_id(&self.index_key, reference));
        let sealed = seal_json(
            key,
            &record,
            &Sealed {
                reference: reference.to_string(),
                name: details.name.clone(),
                nickname: details.nickname.clone(),
                contact: details.contact.clone(),
                place: details.place.clone(),
                notes: details.notes.clone(),
            },
        )?;
        conn.execute(
            "INSERT INTO people (id, format, sealed) VALUES (?1, ?2, ?3)
             ON CONFLICT (id) DO UPDATE SET format = excluded.format, sealed = excluded.sealed",
            params![record.id, RECORD_FORMAT, sealed],
        )?;
        Ok(())
    }

    pub fn get(&self, reference: &RefNumber) -> Result<Option<PersonalDetails>, VaultError> {
        let (conn, key) = self.open()?;
        let record = person_ref(person_id(&self.index_key, reference));
        let row: Option<(u32, Vec<u8>)> = conn
            .query_row(
                "SELECT format, sealed FROM people WHERE id = ?1",
                [&record.id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        let Some((format, sealed)) = row else {
            return Ok(None);
        };
        let stored: Sealed = open_json(key, &record, format, &sealed)?;
        Ok(Some(PersonalDetails {
            name: stored.name.clone(),
            nickname: stored.nickname.clone(),
            contact: stored.contact.clone(),
            place: stored.place.clone(),
            notes: stored.notes.clone(),
        }))
    }

    /// Deletes a person's details; no copy stays in the WAL.
    pub fn remove(&mut self, reference: &RefNumber) -> Result<bool, VaultError> {
        let (conn, _) = self.open()?;
        let deleted = conn.execute(
            "DELETE FROM people WHERE id = ?1",
            [person_id(&self.index_key, reference)],
        )?;
        wipe::scrub(conn)?;
        Ok(deleted > 0)
    }

    /// The strings that identify this respondent, for anonymisation to scrub
    /// from free text: the full name and each of its parts, the nickname, the
    /// contact and the place. Not the notes (free text, not an identifier).
    /// Empty if nothing is stored.
    pub fn identity_strings(&self, reference: &RefNumber) -> Result<Vec<String>, VaultError> {
        let Some(details) = self.get(reference)? else {
            return Ok(Vec::new());
        };
        let mut strings: Vec<String> = Vec::new();
        let mut add = |s: &str| {
            let s = s.trim();
            if s.chars().count() >= 2 && !strings.iter().any(|have| have == s) {
                strings.push(s.to_owned());
            }
        };
        add(&details.name);
        details.name.split_whitespace().for_each(&mut add);
        add(&details.nickname);
        add(&details.contact);
        add(&details.place);
        Ok(strings)
    }

    fn open(&self) -> Result<(&Connection, &DataKey), VaultError> {
        match (&self.conn, &self.key) {
            (Some(conn), Some(key)) => Ok((conn, key)),
            _ => Err(VaultError::Locked),
        }
    }
}
