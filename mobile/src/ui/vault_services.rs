//! [`AppServices`] backed by the real encrypted vault (`crate::vault`).
//! Enrolment and sync lend the open vault to the sync client for the time
//! of the network exchange (see `network`).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use time::OffsetDateTime;

use super::i18n::Lang;
use super::services::{AppServices, EnrolDefaults, ServiceError};
use super::state::{EnrolForm, SetupProgress};
use crate::vault::{
    CodeOfPracticeAck, IdentityStore, Passphrase, Setting, Vault, VaultError, VaultSettings,
};

/// The vault in `dir`, opened and locked by the screens.
#[derive(Debug)]
pub struct VaultServices {
    dir: PathBuf,
    settings: VaultSettings,
    defaults: EnrolDefaults,
    /// `None` until created or unlocked, again after a quick-lock, and
    /// while the vault is lent to a sync.
    pub(crate) open: Arc<Mutex<Option<Vault>>>,
    /// True while a sync holds the vault.
    pub(crate) lent: Arc<AtomicBool>,
    /// Counts quick-locks: a vault lent before a lock is not given back.
    pub(crate) lock_epoch: Arc<AtomicU64>,
    /// The identity store, open only while the supervisor's code was given
    /// (see `fieldwork::live`); closed by every quick-lock.
    pub(crate) identity: Mutex<Option<IdentityStore>>,
}

impl VaultServices {
    pub fn new(dir: PathBuf, settings: VaultSettings, defaults: EnrolDefaults) -> Self {
        Self {
            dir,
            settings,
            defaults,
            open: Arc::new(Mutex::new(None)),
            lent: Arc::new(AtomicBool::new(false)),
            lock_epoch: Arc::new(AtomicU64::new(0)),
            identity: Mutex::new(None),
        }
    }

    /// `FIELDKIT_DATA`, else `$XDG_DATA_HOME/fieldkit`, else `~/.local/share/fieldkit`.
    pub fn default_dir() -> PathBuf {
        if let Some(dir) = std::env::var_os("FIELDKIT_DATA") {
            return PathBuf::from(dir);
        }
        let base = std::env::var_os("XDG_DATA_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
            .unwrap_or_else(|| PathBuf::from("."));
        base.join("fieldkit")
    }

    pub(crate) fn with_open<T>(
        &self,
        f: impl FnOnce(&mut Vault) -> Result<T, VaultError>,
    ) -> Result<T, ServiceError> {
        let mut open = self
            .open
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let vault = match open.as_mut() {
            Some(vault) => vault,
            None if self.lent.load(Ordering::SeqCst) => return Err(ServiceError::Busy),
            None => {
                return Err(ServiceError::Failed(
                    "the vault is locked: unlock it first".into(),
                ))
            }
        };
        f(vault).map_err(to_service_error)
    }
}

/// A vault error as the screens show it. Vault errors never carry what a
/// record holds (they name the record and the kind of failure), so their
/// text is safe on screen.
pub(crate) fn to_service_error(error: VaultError) -> ServiceError {
    match error {
        VaultError::WrongPassphrase { .. } => ServiceError::WrongPassphrase,
        VaultError::WrongSupervisorCode { attempts_left } => {
            ServiceError::WrongSupervisorCode { attempts_left }
        }
        VaultError::IdentityWiped => ServiceError::IdentityErased,
        VaultError::WeakSupervisorCode => ServiceError::WeakSupervisorCode,
        other => ServiceError::Failed(other.to_string()),
    }
}

fn progress_of(vault: &Vault) -> Result<SetupProgress, VaultError> {
    let settings = vault.settings()?;
    Ok(SetupProgress {
        vault_created: true,
        code_acknowledged: settings.code_of_practice.is_some(),
        enrolled: settings.device_token.is_some(),
    })
}

impl AppServices for VaultServices {
    fn progress(&self) -> SetupProgress {
        SetupProgress {
            vault_created: Vault::exists(&self.dir),
            ..SetupProgress::default()
        }
    }

    fn enrol_defaults(&self) -> EnrolDefaults {
        self.defaults.clone()
    }

    fn create_vault(&self, passphrase: &str) -> Result<(), ServiceError> {
        let vault = Vault::create(&self.dir, &Passphrase::new(passphrase), self.settings)
            .map_err(to_service_error)?;
        *self.open.lock().unwrap_or_else(|p| p.into_inner()) = Some(vault);
        Ok(())
    }

    fn acknowledge_code_of_practice(&self, lang: Lang) -> Result<(), ServiceError> {
        let ack = CodeOfPracticeAck {
            language: lang.code().to_owned(),
            at: OffsetDateTime::now_utc(),
        };
        self.with_open(|vault| vault.set_setting(&Setting::CodeOfPracticeAcknowledged(ack)))
    }

    fn enrol(&self, form: &EnrolForm) -> Result<(), ServiceError> {
        super::network::enrol(self, form)
    }

    fn lock(&self) {
        self.lock_epoch.fetch_add(1, Ordering::SeqCst);
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        // Locking forgets the data key (zeroized), empties the WAL into the
        // file and closes it.
        if let Some(mut vault) = open.take() {
            vault.lock();
        }
        if let Some(mut identity) = self
            .identity
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            identity.lock();
        }
    }

    fn fieldwork(&self) -> Option<&dyn super::fieldwork::FieldworkStore> {
        Some(self)
    }

    fn touch(&self) {
        if let Some(vault) = self.open.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
            vault.record_activity(Instant::now());
        }
    }

    /// A vault lent to a sync is in use, not idle.
    fn idle_expired(&self) -> bool {
        self.open
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .is_some_and(|v| v.is_idle_expired(Instant::now()))
    }

    fn saved_language(&self) -> Option<Lang> {
        super::prefs::load_language(&self.dir)
    }

    fn save_language(&self, lang: Lang) {
        super::prefs::save_language(&self.dir, lang);
    }

    fn unlock(&self, passphrase: &str) -> Result<SetupProgress, ServiceError> {
        // The settings' cost: the shipped one, or the test cost a test chose.
        let vault = Vault::unlock_with(&self.dir, &Passphrase::new(passphrase), &self.settings)
            .map_err(to_service_error)?;
        let progress = progress_of(&vault).map_err(to_service_error)?;
        *self.open.lock().unwrap_or_else(|p| p.into_inner()) = Some(vault);
        Ok(progress)
    }
}
