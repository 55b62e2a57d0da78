//! The identity store (R21): a respondent's personal details, kept apart
//! from the research vault in its own file with its own key, which is
//! wrapped by a supervisor's code, so opening it takes a second person.
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
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::crypto::{keyed_id, open_json, seal_json, RecordKind, RecordRef, RECORD_FORMAT};
use super::header::Header;
use super::keys::{DataKey, KdfParams, SupervisorCode, WrappedKey};
use super::{schema, wipe, VaultError};

/// The identity store's file, beside the vault's.
pub const IDENTITY_FILE: &str = "identity.sqlite";

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
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
struct Sealed {
    name: String,
    nickname: String,
    contact: String,
    place: String,
    notes: String,
}

/// An open identity store.
pub struct IdentityStore {
    path: PathBuf,
    conn: Connection,
    key: Option<DataKey>,
}

impl fmt::Debug for IdentityStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentityStore")
            .field("path", &self.path)
            .field("locked", &self.key.is_none())
            .finish()
    }
}

fn person_ref(key: &DataKey, reference: &RefNumber) -> RecordRef {
    let code = reference.to_string();
    RecordRef::new(RecordKind::Identity, keyed_id(key, "respondent", &code))
}

impl IdentityStore {
    pub fn exists(dir: &Path) -> bool {
        dir.join(IDENTITY_FILE).is_file()
    }

    /// Makes the store, its key wrapped by the supervisor's code.
    pub fn create(dir: &Path, code: &SupervisorCode) -> Result<IdentityStore, VaultError> {
        IdentityStore::create_with(dir, code, KdfParams::default())
    }

    /// As [`IdentityStore::create`] with explicit Argon2id costs (tests).
    pub fn create_with(
        dir: &Path,
        code: &SupervisorCode,
        kdf: KdfParams,
    ) -> Result<IdentityStore, VaultError> {
        let path = dir.join(IDENTITY_FILE);
        if path.exists() {
            return Err(VaultError::AlreadyExists {
                dir: dir.to_path_buf(),
            });
        }
        if code.expose().is_empty() {
            return Err(VaultError::InvalidSettings(
                "the supervisor code is empty".into(),
            ));
        }
        kdf.validate().map_err(VaultError::InvalidSettings)?;
        std::fs::create_dir_all(dir).map_err(|source| VaultError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let key = DataKey::random();
        let wrapped = WrappedKey::wrap(&key, code.expose().as_bytes(), kdf)
            .map_err(VaultError::InvalidSettings)?;
        let made = schema::open(&path, &schema::IDENTITY_SCHEMA, true).and_then(|conn| {
            Header {
                key: wrapped,
                duress: None,
                max_failed_unlocks: u32::MAX,
                failed_unlocks: 0,
            }
            .insert(&conn)?;
            Ok(conn)
        });
        match made {
            Ok(conn) => Ok(IdentityStore {
                path,
                conn,
                key: Some(key),
            }),
            Err(err) => {
                let _ = wipe::remove_files(&path);
                Err(err)
            }
        }
    }

    /// Opens the store with the supervisor's code.
    pub fn open(dir: &Path, code: &SupervisorCode) -> Result<IdentityStore, VaultError> {
        let path = dir.join(IDENTITY_FILE);
        if !path.is_file() {
            return Err(VaultError::NotFound {
                dir: dir.to_path_buf(),
            });
        }
        let conn = schema::open(&path, &schema::IDENTITY_SCHEMA, false)?;
        let header = Header::read(&conn, &path)?;
        let key = header
            .key
            .unwrap(code.expose().as_bytes())
            .map_err(|_| VaultError::WrongSupervisorCode)?;
        tracing::info!("identity store opened");
        Ok(IdentityStore {
            path,
            conn,
            key: Some(key),
        })
    }

    /// Forgets the key.
    pub fn lock(&mut self) {
        self.key = None;
    }

    /// Rewraps the key under a new supervisor code; nothing is re-encrypted.
    pub fn change_code(
        &mut self,
        old: &SupervisorCode,
        new: &SupervisorCode,
    ) -> Result<(), VaultError> {
        self.key()?;
        if new.expose().is_empty() {
            return Err(VaultError::InvalidSettings(
                "the new supervisor code is empty".into(),
            ));
        }
        let mut header = Header::read(&self.conn, &self.path)?;
        let key = header
            .key
            .unwrap(old.expose().as_bytes())
            .map_err(|_| VaultError::WrongSupervisorCode)?;
        header.key = WrappedKey::wrap(&key, new.expose().as_bytes(), header.key.kdf)
            .map_err(VaultError::InvalidSettings)?;
        header.save_keys(&self.conn)
    }

    /// Stores (or replaces) the details for a reference number.
    pub fn put(
        &mut self,
        reference: &RefNumber,
        details: &PersonalDetails,
    ) -> Result<(), VaultError> {
        let key = self.key()?;
        let record = person_ref(key, reference);
        let sealed = seal_json(
            key,
            &record,
            &Sealed {
                name: details.name.clone(),
                nickname: details.nickname.clone(),
                contact: details.contact.clone(),
                place: details.place.clone(),
                notes: details.notes.clone(),
            },
        )?;
        self.conn.execute(
            "INSERT INTO people (id, format, sealed) VALUES (?1, ?2, ?3)
             ON CONFLICT (id) DO UPDATE SET format = excluded.format, sealed = excluded.sealed",
            params![record.id, RECORD_FORMAT, sealed],
        )?;
        Ok(())
    }

    pub fn get(&self, reference: &RefNumber) -> Result<Option<PersonalDetails>, VaultError> {
        let key = self.key()?;
        let record = person_ref(key, reference);
        let row: Option<(u32, Vec<u8>)> = self
            .conn
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

    pub fn remove(&mut self, reference: &RefNumber) -> Result<bool, VaultError> {
        let key = self.key()?;
        let deleted = self.conn.execute(
            "DELETE FROM people WHERE id = ?1",
            [person_ref(key, reference).id],
        )?;
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

    /// Erases the store: key shredded, then the file removed.
    pub fn wipe(self) -> Result<(), VaultError> {
        let IdentityStore { path, conn, .. } = self;
        let shredded = wipe::shred_header(&conn);
        drop(conn);
        if shredded.is_err() {
            return wipe::wipe_file(&path);
        }
        wipe::remove_files(&path)
    }

    fn key(&self) -> Result<&DataKey, VaultError> {
        self.key.as_ref().ok_or(VaultError::Locked)
    }
}
