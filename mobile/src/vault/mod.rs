//! The device vault: everything the phone keeps, encrypted, in one SQLite
//! file (`vault.sqlite`), and the separate identity store (`identity.sqlite`,
//! see [`IdentityStore`]).
//!
//! Every record is sealed with a random data key before it reaches SQLite;
//! the data key is stored wrapped under a key derived from the researcher's
//! passphrase (see [`keys`]). Sessions are stored event by event, each event
//! its own synced transaction, so a crash loses at most the event being
//! written. The UI calls this module; no SQL lives anywhere else.

mod access;
mod crypto;
mod error;
mod feedback;
mod header;
mod identity;
pub mod keys;
mod ledger;
mod media;
mod outbox;
mod packs;
mod parallel;
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
pub use feedback::ReceivedNote;
pub use identity::{
    supervisor_code_acceptable, IdentityDeletion, IdentityState, IdentityStore, PersonalDetails,
    IDENTITY_ATTEMPTS, IDENTITY_FILE,
};
pub use keys::{DataKey, KdfParams, Passphrase, SupervisorCode};
pub use ledger::IntegrityProblem;
pub(crate) use outbox::Outgoing;
pub use outbox::{OutboxEntry, OutboxItem, OutboxState, WithdrawalReport};
pub use pinned::PinnedProtocol;
pub use records::{Attachment, CodeOfPracticeAck, DeviceSettings, DeviceToken, Note, Setting};
pub use sessions::{SessionStatus, SessionSummary};
pub use wipe::PREFERENCE_FILES;

use keys::Subkeys;
use ledger::{Ledger, Writer};

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

/// Chosen when the vault is created; the Argon2 cost is also what an
/// unlock with [`Vault::unlock_with`] accepts besides the shipped one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VaultSettings {
    /// Argon2id cost: [`KdfParams::DEFAULT`], or in tests
    /// [`KdfParams::INSECURE_TEST_ONLY`]; nothing else is accepted.
    pub kdf: KdfParams,
    /// Wrong passphrases in a row after which the vault erases itself
    /// (1 to 100).
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
/// the data key and closes the file.
pub struct Vault {
    dir: PathBuf,
    /// `None` once locked.
    open: Option<Open>,
    /// The Argon2 cost the caller's settings name, for [`Vault::unlock_again`].
    chosen_kdf: KdfParams,
    policy: Policy,
    last_activity: Instant,
}

/// What an unlocked vault holds: the connection and the keys.
pub(crate) struct Open {
    pub conn: Connection,
    pub key: DataKey,
    pub sub: Subkeys,
    /// The Argon2 cost in this vault's header (the identity store uses it).
    pub kdf: KdfParams,
    pub ledger: Ledger,
    /// What the integrity check found at unlock.
    pub problems: Vec<IntegrityProblem>,
}

impl Open {
    /// One write transaction that keeps the integrity ledger true: the ledger
    /// is sealed in the same transaction and kept in memory only once it
    /// commits.
    pub fn write<T>(
        &mut self,
        f: impl FnOnce(&mut Writer<'_>) -> Result<T, VaultError>,
    ) -> Result<T, VaultError> {
        let mut ledger = self.ledger.clone();
        let tx = self.conn.transaction()?;
        let out = f(&mut Writer {
            conn: &tx,
            key: &self.key,
            sub: &self.sub,
            ledger: &mut ledger,
        })?;
        ledger.save(&tx, &self.key)?;
        tx.commit()?;
        self.ledger = ledger;
        Ok(out)
    }

    /// A write that deletes something, then [`wipe::scrub`]: no copy of
    /// what went stays in the WAL.
    pub fn delete<T>(
        &mut self,
        f: impl FnOnce(&mut Writer<'_>) -> Result<T, VaultError>,
    ) -> Result<T, VaultError> {
        let out = self.write(f)?;
        wipe::scrub(&self.conn)?;
        Ok(out)
    }
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("dir", &self.dir)
            .field("locked", &self.open.is_none())
            .finish_non_exhaustive()
    }
}

impl Vault {
    /// True if `dir` holds a research vault.
    pub fn exists(dir: &Path) -> bool {
        dir.join(VAULT_FILE).is_file()
    }

    /// The folder the vault lives in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Forgets the data key (zeroized), empties the WAL into the main file
    /// and closes it: after a lock the folder holds no copy of a deleted
    /// record. Every later call returns [`VaultError::Locked`]; open again
    /// with [`Vault::unlock`] or [`Vault::unlock_again`]. Cheap enough for a
    /// quick-lock button.
    pub fn lock(&mut self) {
        if let Some(open) = self.open.take() {
            if let Err(err) = wipe::scrub(&open.conn) {
                tracing::warn!(%err, "vault lock: the checkpoint failed");
            }
            drop(open);
            tracing::info!("vault locked");
        }
    }

    pub fn is_locked(&self) -> bool {
        self.open.is_none()
    }

    /// Unlocks this handle again after [`Vault::lock`], with the same
    /// counting and wiping as [`Vault::unlock`].
    pub fn unlock_again(&mut self, passphrase: &Passphrase) -> Result<(), VaultError> {
        let settings = VaultSettings {
            kdf: self.chosen_kdf,
            ..VaultSettings::default()
        };
        let reopened = Vault::unlock_with(&self.dir, passphrase, &settings)?;
        *self = reopened;
        Ok(())
    }

    /// What the integrity check at unlock found: tables whose rows were
    /// removed, restored or changed outside Fieldkit. Empty when all is well.
    pub fn integrity_problems(&self) -> Result<&[IntegrityProblem], VaultError> {
        Ok(&self.open()?.problems)
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
        self.open_mut()?
            .write(|w| records::save_policy(w, &policy))?;
        self.policy = policy;
        Ok(())
    }

    pub fn set_retention(&mut self, retention: Retention) -> Result<(), VaultError> {
        let policy = Policy {
            retention,
            ..self.policy
        };
        self.open_mut()?
            .write(|w| records::save_policy(w, &policy))?;
        self.policy = policy;
        Ok(())
    }

    /// Erases the vault, the identity store and every other file Fieldkit
    /// keeps in the folder: keys shredded first, then the files removed.
    pub fn wipe(self) -> Result<(), VaultError> {
        let Vault { dir, open, .. } = self;
        erase(&dir, open.map(|open| open.conn))
    }

    fn path(&self) -> PathBuf {
        self.dir.join(VAULT_FILE)
    }

    pub(crate) fn open(&self) -> Result<&Open, VaultError> {
        self.open.as_ref().ok_or(VaultError::Locked)
    }

    pub(crate) fn open_mut(&mut self) -> Result<&mut Open, VaultError> {
        self.open.as_mut().ok_or(VaultError::Locked)
    }
}

/// Crypto-shreds the vault (through its open connection, if any) and the
/// identity store beside it, then removes both and the preference files.
fn erase(dir: &Path, conn: Option<Connection>) -> Result<(), VaultError> {
    let path = dir.join(VAULT_FILE);
    match conn {
        Some(conn) => {
            let shredded = wipe::shred_header(&conn);
            drop(conn);
            if let Err(err) = shredded {
                tracing::warn!(%err, "vault wipe: shredding through the open connection failed");
                wipe::wipe_file(&path)?;
            }
        }
        None => wipe::wipe_file(&path)?,
    }
    wipe::remove_files(&path)?;
    wipe::wipe_file(&dir.join(identity::IDENTITY_FILE))?;
    wipe::remove_preferences(dir)
}
