//! The device vault: everything the phone keeps, encrypted, in one SQLite
//! file (`vault.sqlite`), and the separate identity store (`identity.sqlite`,
//! see [`IdentityStore`]).
//!
//! Every record is sealed with a random data key before it reaches SQLite;
//! the data key is stored wrapped under a key derived from the researcher's
//! passphrase (see [`keys`]). Sessions are stored event by event, each event
//! its own synced transaction, so a crash loses at most the event being
//! written. The UI calls this module; no SQL lives anywhere else.

mod crypto;
mod error;
mod header;
mod identity;
pub mod keys;
mod outbox;
mod pinned;
mod records;
mod schema;
mod sessions;
mod wipe;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::Connection;
use serde::{Deserialize, Serialize};

pub use error::VaultError;
pub use identity::{IdentityStore, PersonalDetails, IDENTITY_FILE};
pub use keys::{DataKey, KdfParams, Passphrase, SupervisorCode};
pub use outbox::{OutboxEntry, OutboxItem, OutboxState, WithdrawalReport};
pub use pinned::PinnedProtocol;
pub use records::{Attachment, CodeOfPracticeAck, DeviceSettings, DeviceToken, Note, Setting};
pub use sessions::{SessionStatus, SessionSummary};

use header::Header;
use keys::{DuressTag, WrappedKey};

/// The research vault's file inside the app's data folder.
pub const VAULT_FILE: &str = "vault.sqlite";

/// What to do with records the server acknowledged (a project setting).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Retention {
    /// Keep acknowledged records on the phone (e.g. to show them again).
    #[default]
    KeepAcknowledged,
    /// Delete an acknowledged record's content from the phone; only its id
    /// and respondent reference stay (sealed), so a later withdrawal can
    /// still send a tombstone for it.
    PurgeAcknowledged,
}

/// Chosen when the vault is created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VaultSettings {
    /// Argon2id cost; keep the default outside tests.
    pub kdf: KdfParams,
    /// Wrong passphrases in a row after which the vault erases itself.
    pub max_failed_unlocks: u32,
    /// Idle time after which the app should lock (see [`Vault::is_idle_expired`]).
    pub idle_lock: Duration,
    pub retention: Retention,
}

impl Default for VaultSettings {
    fn default() -> Self {
        Self {
            kdf: KdfParams::default(),
            max_failed_unlocks: 10,
            idle_lock: Duration::from_secs(5 * 60),
            retention: Retention::default(),
        }
    }
}

/// The policy kept (sealed) among the settings, read at every unlock.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub(crate) struct Policy {
    idle_lock_secs: u64,
    retention: Retention,
}

/// An open research vault. Dropping it or calling [`Vault::lock`] forgets
/// the data key.
pub struct Vault {
    dir: PathBuf,
    conn: Connection,
    key: Option<DataKey>,
    policy: Policy,
    last_activity: Instant,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("dir", &self.dir)
            .field("locked", &self.key.is_none())
            .finish_non_exhaustive()
    }
}

impl Vault {
    /// True if `dir` holds a research vault.
    pub fn exists(dir: &Path) -> bool {
        dir.join(VAULT_FILE).is_file()
    }

    /// Makes a new vault with a fresh random data key.
    pub fn create(
        dir: &Path,
        passphrase: &Passphrase,
        settings: VaultSettings,
    ) -> Result<Vault, VaultError> {
        if Vault::exists(dir) {
            return Err(VaultError::AlreadyExists {
                dir: dir.to_path_buf(),
            });
        }
        if passphrase.expose().is_empty() {
            return Err(VaultError::InvalidSettings(
                "the passphrase is empty: choose one".into(),
            ));
        }
        if settings.max_failed_unlocks == 0 {
            return Err(VaultError::InvalidSettings(
                "max_failed_unlocks must be at least 1".into(),
            ));
        }
        settings
            .kdf
            .validate()
            .map_err(VaultError::InvalidSettings)?;
        std::fs::create_dir_all(dir).map_err(|source| VaultError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = dir.join(VAULT_FILE);
        let key = DataKey::random();
        let wrapped = WrappedKey::wrap(&key, passphrase.expose().as_bytes(), settings.kdf)
            .map_err(VaultError::InvalidSettings)?;
        let result = (|| {
            let mut conn = schema::open(&path, &schema::VAULT_SCHEMA, true)?;
            let policy = Policy {
                idle_lock_secs: settings.idle_lock.as_secs(),
                retention: settings.retention,
            };
            let tx = conn.transaction()?;
            Header {
                key: wrapped,
                duress: None,
                max_failed_unlocks: settings.max_failed_unlocks,
                failed_unlocks: 0,
            }
            .insert(&tx)?;
            records::save_policy(&tx, &key, &policy)?;
            tx.commit()?;
            Ok((conn, policy))
        })();
        let (conn, policy) = match result {
            Ok(made) => made,
            Err(err) => {
                // A half-made vault would block the next attempt to create one.
                let _ = wipe::remove_files(&path);
                return Err(err);
            }
        };
        tracing::info!("vault created");
        Ok(Vault::opened(dir, conn, key, policy))
    }

    /// Opens the vault. A wrong passphrase counts towards the self-wipe; the
    /// duress passphrase wipes and then reports a plain wrong passphrase.
    pub fn unlock(dir: &Path, passphrase: &Passphrase) -> Result<Vault, VaultError> {
        let path = dir.join(VAULT_FILE);
        if !path.is_file() {
            return Err(VaultError::NotFound {
                dir: dir.to_path_buf(),
            });
        }
        let conn = schema::open(&path, &schema::VAULT_SCHEMA, false)?;
        let header = Header::read(&conn, &path)?;
        let attempt = header.failed_unlocks.saturating_add(1);
        Header::set_failed_unlocks(&conn, attempt).map_err(|e| e.at(&path))?;
        let secret = passphrase.expose().as_bytes();
        match header.key.unwrap(secret) {
            Ok(key) => {
                Header::set_failed_unlocks(&conn, 0).map_err(|e| e.at(&path))?;
                let policy = records::load_policy(&conn, &key)?;
                tracing::info!("vault unlocked");
                Ok(Vault::opened(dir, conn, key, policy))
            }
            Err(_) => {
                let attempts_left = header.max_failed_unlocks.saturating_sub(attempt);
                let duress = header
                    .duress
                    .as_ref()
                    .is_some_and(|d| d.matches(secret, header.key.kdf));
                if duress || attempts_left == 0 {
                    tracing::warn!("vault erased after an unlock attempt");
                    erase(dir, conn)?;
                    if attempts_left == 0 && !duress {
                        return Err(VaultError::Wiped);
                    }
                }
                Err(VaultError::WrongPassphrase { attempts_left })
            }
        }
    }

    fn opened(dir: &Path, conn: Connection, key: DataKey, policy: Policy) -> Vault {
        Vault {
            dir: dir.to_path_buf(),
            conn,
            key: Some(key),
            policy,
            last_activity: Instant::now(),
        }
    }

    /// Forgets the data key (zeroized on drop). Every later call returns
    /// [`VaultError::Locked`]; open again with [`Vault::unlock`] or
    /// [`Vault::unlock_again`]. Cheap enough for a quick-lock button.
    pub fn lock(&mut self) {
        if self.key.take().is_some() {
            tracing::info!("vault locked");
        }
    }

    pub fn is_locked(&self) -> bool {
        self.key.is_none()
    }

    /// Unlocks this handle again after [`Vault::lock`], with the same
    /// counting and wiping as [`Vault::unlock`].
    pub fn unlock_again(&mut self, passphrase: &Passphrase) -> Result<(), VaultError> {
        let reopened = Vault::unlock(&self.dir, passphrase)?;
        *self = reopened;
        Ok(())
    }

    /// The caller's clock says the person did something now.
    pub fn record_activity(&mut self, now: Instant) {
        self.last_activity = now;
    }

    /// True once the configured idle time has passed since the last activity.
    pub fn is_idle_expired(&self, now: Instant) -> bool {
        now.saturating_duration_since(self.last_activity) >= self.idle_lock()
    }

    /// Locks if idle; returns whether the vault is now locked.
    pub fn lock_if_idle(&mut self, now: Instant) -> bool {
        if self.is_idle_expired(now) {
            self.lock();
        }
        self.is_locked()
    }

    pub fn idle_lock(&self) -> Duration {
        Duration::from_secs(self.policy.idle_lock_secs)
    }

    pub fn retention(&self) -> Retention {
        self.policy.retention
    }

    pub fn set_idle_lock(&mut self, idle: Duration) -> Result<(), VaultError> {
        let policy = Policy {
            idle_lock_secs: idle.as_secs(),
            ..self.policy
        };
        records::save_policy(&self.conn, self.key()?, &policy)?;
        self.policy = policy;
        Ok(())
    }

    pub fn set_retention(&mut self, retention: Retention) -> Result<(), VaultError> {
        let policy = Policy {
            retention,
            ..self.policy
        };
        records::save_policy(&self.conn, self.key()?, &policy)?;
        self.policy = policy;
        Ok(())
    }

    /// Rewraps the data key under a new passphrase; no record is re-encrypted.
    /// The failed-unlock counter is not touched by a wrong `old`; the vault is
    /// already open, so a wrong `old` only returns the error.
    pub fn change_passphrase(
        &mut self,
        old: &Passphrase,
        new: &Passphrase,
    ) -> Result<(), VaultError> {
        self.key()?;
        if new.expose().is_empty() {
            return Err(VaultError::InvalidSettings(
                "the new passphrase is empty: choose one".into(),
            ));
        }
        let path = self.path();
        let mut header = Header::read(&self.conn, &path)?;
        let current = header.key.unwrap(old.expose().as_bytes()).map_err(|_| {
            VaultError::WrongPassphrase {
                attempts_left: header
                    .max_failed_unlocks
                    .saturating_sub(header.failed_unlocks),
            }
        })?;
        header.key = WrappedKey::wrap(&current, new.expose().as_bytes(), header.key.kdf)
            .map_err(VaultError::InvalidSettings)?;
        header.save_keys(&self.conn)?;
        tracing::info!("vault passphrase changed");
        Ok(())
    }

    /// Sets (or with `None` removes) the duress passphrase: typing it at
    /// unlock erases the vault and shows an ordinary "wrong passphrase".
    pub fn set_duress_passphrase(&mut self, duress: Option<&Passphrase>) -> Result<(), VaultError> {
        self.key()?;
        let path = self.path();
        let mut header = Header::read(&self.conn, &path)?;
        header.duress = match duress {
            None => None,
            Some(duress) => {
                if duress.expose().is_empty()
                    || header.key.unwrap(duress.expose().as_bytes()).is_ok()
                {
                    return Err(VaultError::InvalidSettings(
                        "the duress passphrase must be non-empty and differ from the passphrase"
                            .into(),
                    ));
                }
                Some(
                    DuressTag::new(duress.expose().as_bytes(), header.key.kdf)
                        .map_err(VaultError::InvalidSettings)?,
                )
            }
        };
        header.save_keys(&self.conn)?;
        Ok(())
    }

    /// Erases the vault and the identity store in the same folder: keys
    /// shredded first, then the files removed.
    pub fn wipe(self) -> Result<(), VaultError> {
        let Vault { dir, conn, .. } = self;
        erase(&dir, conn)
    }

    fn path(&self) -> PathBuf {
        self.dir.join(VAULT_FILE)
    }

    fn key(&self) -> Result<&DataKey, VaultError> {
        self.key.as_ref().ok_or(VaultError::Locked)
    }
}

/// Crypto-shreds the open vault and the identity store beside it, then
/// removes both.
fn erase(dir: &Path, conn: Connection) -> Result<(), VaultError> {
    let path = dir.join(VAULT_FILE);
    let shredded = wipe::shred_header(&conn);
    drop(conn);
    if let Err(err) = shredded {
        tracing::warn!(%err, "vault wipe: shredding through the open connection failed");
        wipe::wipe_file(&path)?;
    }
    wipe::remove_files(&path)?;
    wipe::wipe_file(&dir.join(identity::IDENTITY_FILE))
}
