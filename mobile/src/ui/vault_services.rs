//! [`AppServices`] backed by the real encrypted vault (`crate::vault`).
//! Enrolment waits for the sync client and reports that plainly.

use std::path::PathBuf;
use std::sync::Mutex;

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
    /// `None` until created or unlocked, and again after a quick-lock.
    open: Mutex<Option<Vault>>,
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
            open: Mutex::new(None),
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

    pub(crate) fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// The Argon2 cost the identity store is created with, as the vault's.
    pub(crate) fn kdf(&self) -> crate::vault::KdfParams {
        self.settings.kdf
    }

    pub(crate) fn with_open<T>(
        &self,
        f: impl FnOnce(&mut Vault) -> Result<T, VaultError>,
    ) -> Result<T, ServiceError> {
        let mut open = self
            .open
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let vault = open.as_mut().ok_or(ServiceError::Failed(
            "the vault is locked: unlock it first".into(),
        ))?;
        f(vault).map_err(to_service_error)
    }
}

pub(crate) fn to_service_error(error: VaultError) -> ServiceError {
    match error {
        VaultError::WrongPassphrase { .. } => ServiceError::WrongPassphrase,
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

    fn enrol(&self, _form: &EnrolForm) -> Result<(), ServiceError> {
        // The sync client that exchanges the code for a device token is not built yet.
        Err(ServiceError::NotAvailable)
    }

    fn lock(&self) {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        // Dropping the vault forgets the data key (zeroized) and closes the file.
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

    fn unlock(&self, passphrase: &str) -> Result<SetupProgress, ServiceError> {
        let vault =
            Vault::unlock(&self.dir, &Passphrase::new(passphrase)).map_err(to_service_error)?;
        let progress = progress_of(&vault).map_err(to_service_error)?;
        *self.open.lock().unwrap_or_else(|p| p.into_inner()) = Some(vault);
        Ok(progress)
    }
}
