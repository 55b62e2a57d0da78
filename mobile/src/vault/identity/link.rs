//! How the research vault holds the identity store: a sealed setting with
//! the key that finds a person's row from their reference number, the key
//! that authenticates the store's header, the count of wrong supervisor's
//! codes, and who set the code and when.
//!
//! Because the vault is open whenever the identity store is, every attempt
//! is checked and counted with keys an attacker holding only the files does
//! not have: the store's header (counter included) is authenticated before
//! a code is tried, so an edit is reported as tampering and never counted,
//! and the count is kept in both files, so restoring an old copy of one of
//! them does not give back attempts.

use std::path::Path;

use fieldkit_protocols::refnum::RefNumber;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::{
    person_id, supervisor_code_acceptable, IdentityDeletion, IdentityStore, IDENTITY_ATTEMPTS,
    IDENTITY_FILE,
};
use crate::vault::header::{Counter, Header};
use crate::vault::keys::{random_bytes, DataKey, Kek, SupervisorCode, SALT_LEN};
use crate::vault::records::{delete_setting, get_setting_json, put_setting_json};
use crate::vault::{schema, wipe, Open, Vault, VaultError};

const LINK: &str = "identity_link";

/// Where the identity store stands, for the screen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdentityState {
    /// No supervisor has set a code on this phone yet (or the store was
    /// erased).
    NotSetUp,
    /// There is a store; opening it takes the supervisor's code.
    Closed {
        /// The supervisor who set the code, as they typed their name.
        set_by: String,
        /// The day they set it (YYYY-MM-DD).
        set_on: String,
        attempts_left: u32,
    },
}

/// The sealed setting.
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
struct Link {
    index_key: String,
    header_key: String,
    attempts: u32,
    set_by: String,
    set_on: String,
}

fn key_of(hex_key: &str) -> Result<Zeroizing<[u8; 32]>, VaultError> {
    let mut key = Zeroizing::new([0u8; 32]);
    hex::decode_to_slice(hex_key, key.as_mut()).map_err(|_| VaultError::Decode {
        record: "setting identity_link".into(),
        detail: "holds a key that is not 32 bytes of hex",
    })?;
    Ok(key)
}

impl Vault {
    fn link(&self) -> Result<Option<Link>, VaultError> {
        let Open { conn, key, sub, .. } = self.open()?;
        get_setting_json(conn, key, sub, LINK)
    }

    fn save_link(&mut self, link: Option<&Link>) -> Result<(), VaultError> {
        self.open_mut()?.write(|w| match link {
            Some(link) => put_setting_json(w, LINK, link),
            None => delete_setting(w, LINK),
        })
    }

    /// Whether this phone has an identity store, and who set its code.
    pub fn identity_state(&self) -> Result<IdentityState, VaultError> {
        Ok(match self.link()? {
            Some(link) if IdentityStore::exists(self.dir()) => IdentityState::Closed {
                set_by: link.set_by.clone(),
                set_on: link.set_on.clone(),
                attempts_left: IDENTITY_ATTEMPTS.saturating_sub(link.attempts),
            },
            _ => IdentityState::NotSetUp,
        })
    }

    /// Makes the identity store, its key wrapped by the supervisor's code.
    /// `set_by` is the supervisor's name, kept (sealed) so the screen can say
    /// who set the code. The code must pass [`supervisor_code_acceptable`].
    pub fn create_identity_store(
        &mut self,
        code: &SupervisorCode,
        set_by: &str,
    ) -> Result<IdentityStore, VaultError> {
        let path = self.dir().join(IDENTITY_FILE);
        if path.exists() {
            return Err(VaultError::AlreadyExists {
                dir: self.dir().to_path_buf(),
            });
        }
        if !supervisor_code_acceptable(code.expose()) {
            return Err(VaultError::WeakSupervisorCode);
        }
        if set_by.trim().is_empty() {
            return Err(VaultError::InvalidSettings(
                "the supervisor's name is empty: the supervisor types it".into(),
            ));
        }
        let kdf = self.open()?.kdf;
        let link = Link {
            index_key: hex::encode(random_bytes(32)),
            header_key: hex::encode(random_bytes(32)),
            attempts: 0,
            set_by: set_by.trim().to_owned(),
            set_on: time::OffsetDateTime::now_utc().date().to_string(),
        };
        let (index_key, header_key) = (key_of(&link.index_key)?, key_of(&link.header_key)?);
        let key = DataKey::random();
        let salt = random_bytes(SALT_LEN);
        let kek = Kek::derive(kdf, code.expose().as_bytes(), &salt)
            .map_err(VaultError::InvalidSettings)?;
        let mut header = Header::new(kdf, salt, kek.wrap(&key), IDENTITY_ATTEMPTS);
        header.authenticate(&header_key, Counter::Inside);
        let made = schema::open(&path, &schema::IDENTITY_SCHEMA, true).and_then(|conn| {
            header.insert(&conn)?;
            self.save_link(Some(&link))?;
            Ok(conn)
        });
        let conn = match made {
            Ok(conn) => conn,
            Err(err) => {
                let _ = wipe::remove_files(&path);
                return Err(err);
            }
        };
        tracing::info!("identity store created");
        Ok(IdentityStore {
            path,
            conn: Some(conn),
            key: Some(key),
            index_key,
            header_key,
        })
    }

    /// Opens the identity store with the supervisor's code. A wrong code
    /// counts (in both files); the last allowed wrong code erases the
    /// identity store alone and returns [`VaultError::IdentityWiped`]. An
    /// edited store is reported as [`VaultError::Tampered`], never counted.
    pub fn open_identity_store(
        &mut self,
        code: &SupervisorCode,
    ) -> Result<IdentityStore, VaultError> {
        let path = self.dir().join(IDENTITY_FILE);
        let link = match (self.link()?, path.is_file()) {
            (_, false) => {
                return Err(VaultError::NotFound {
                    dir: self.dir().to_path_buf(),
                })
            }
            (None, true) => {
                return Err(VaultError::Tampered {
                    path,
                    what: "an identity store this vault did not make",
                })
            }
            (Some(link), true) => link,
        };
        let (index_key, header_key) = (key_of(&link.index_key)?, key_of(&link.header_key)?);
        let conn = schema::open(&path, &schema::IDENTITY_SCHEMA, false)?;
        let mut header = Header::read(&conn, &path)?;
        if !header.is_authentic(&header_key, Counter::Inside) {
            return Err(VaultError::Tampered {
                path,
                what: "the identity store's key header",
            });
        }
        header.check_before_trying(self.chosen_kdf, &path)?;
        // Counted in both files before the code is tried: the higher count
        // wins, so restoring an old copy of either gives nothing back.
        let attempt = link.attempts.max(header.failed_unlocks).saturating_add(1);
        self.set_attempts(&link, attempt)?;
        header
            .store_counter(&conn, attempt, Some(&header_key))
            .map_err(|e| e.at(&path))?;
        let kek = Kek::derive(header.kdf, code.expose().as_bytes(), &header.salt)
            .map_err(VaultError::InvalidSettings)?;
        let Some(key) = kek.unwrap(&header.wrapped) else {
            let attempts_left = header.max_failed_unlocks.saturating_sub(attempt);
            if attempts_left == 0 {
                drop(conn);
                self.erase_identity_store()?;
                tracing::warn!("identity store erased after too many wrong codes");
                return Err(VaultError::IdentityWiped);
            }
            return Err(VaultError::WrongSupervisorCode { attempts_left });
        };
        self.set_attempts(&link, 0)?;
        header.store_counter(&conn, 0, Some(&header_key))?;
        tracing::info!("identity store opened");
        Ok(IdentityStore {
            path,
            conn: Some(conn),
            key: Some(key),
            index_key,
            header_key,
        })
    }

    /// Erases the identity store alone: its key shredded, its files removed,
    /// and the vault's link to it forgotten. The research vault stays.
    pub fn erase_identity_store(&mut self) -> Result<(), VaultError> {
        wipe::wipe_file(&self.dir().join(IDENTITY_FILE))?;
        self.save_link(None)
    }

    fn set_attempts(&mut self, link: &Link, attempts: u32) -> Result<(), VaultError> {
        let updated = Link {
            index_key: link.index_key.clone(),
            header_key: link.header_key.clone(),
            attempts,
            set_by: link.set_by.clone(),
            set_on: link.set_on.clone(),
        };
        self.save_link(Some(&updated))
    }
}

/// Deletes a respondent's identity entry without the supervisor's code: the
/// row is found by its keyed id, deleted, and scrubbed from the WAL.
pub(crate) fn forget_respondent(
    vault: &Vault,
    reference: &RefNumber,
) -> Result<IdentityDeletion, VaultError> {
    let path = vault.dir().join(IDENTITY_FILE);
    let Some(link) = vault.link()? else {
        return Ok(IdentityDeletion::NoStore);
    };
    if !path.is_file() {
        return Ok(IdentityDeletion::NoStore);
    }
    let deleted = delete_person(&path, &*key_of(&link.index_key)?, reference)?;
    Ok(if deleted {
        IdentityDeletion::Deleted
    } else {
        IdentityDeletion::NoneStored
    })
}

fn delete_person(
    path: &Path,
    index_key: &[u8; 32],
    reference: &RefNumber,
) -> Result<bool, VaultError> {
    let conn = schema::open(path, &schema::IDENTITY_SCHEMA, false)?;
    let deleted = conn.execute(
        "DELETE FROM people WHERE id = ?1",
        [person_id(index_key, reference)],
    )?;
    wipe::scrub(&conn)?;
    Ok(deleted > 0)
}
