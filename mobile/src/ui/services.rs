//! The one place screens reach outside themselves: the vault and the sync
//! client sit behind [`AppServices`]. Screens hold a [`Services`] handle from
//! the Dioxus context and never open files or sockets themselves.
//!
//! The app runs with [`VaultServices`] (the real encrypted vault; enrolment
//! waits for the sync client), or, with `FIELDKIT_PREVIEW=1`, with
//! [`Preview`], which lets a person (or the screenshot script) walk the
//! screens while a banner says nothing is saved. [`NotConnected`] refuses
//! everything; tests use it to check the screens say so.

use std::fmt;
use std::sync::Arc;

use super::i18n::Lang;
use super::state::{EnrolForm, SetupProgress};
use super::vault_services::VaultServices;
use crate::vault::VaultSettings;

/// What the address and code fields start with (from the environment on a
/// development machine, so `scripts/run` can hand the demo code to the app).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EnrolDefaults {
    pub server: String,
    pub code: String,
}

impl EnrolDefaults {
    /// Reads `FIELDKIT_SERVER` and `FIELDKIT_ENROL_CODE`; missing ones are empty.
    pub fn from_env() -> Self {
        Self {
            server: std::env::var("FIELDKIT_SERVER").unwrap_or_default(),
            code: std::env::var("FIELDKIT_ENROL_CODE").unwrap_or_default(),
        }
    }
}

/// Why a service call did not do what was asked. Screens translate these.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    #[error("this build is not connected to the vault and sync client yet")]
    NotAvailable,
    #[error("the passphrase does not open this vault")]
    WrongPassphrase,
    /// A sync holds the vault for a moment; try again when it ends.
    #[error("a sync is running: this is ready again when it ends")]
    Busy,
    /// The supervisor's code does not open the identity store.
    #[error("wrong supervisor's code: {attempts_left} attempt(s) left")]
    WrongSupervisorCode { attempts_left: u32 },
    /// Too many wrong codes: the identity store was erased, the vault stays.
    #[error("the identity store was erased after too many wrong codes")]
    IdentityErased,
    /// A new supervisor's code is too easy to guess.
    #[error("the supervisor's code is too easy to guess")]
    WeakSupervisorCode,
    /// Anything else, already phrased for a person (never containing answers).
    #[error("{0}")]
    Failed(String),
}

/// Everything the first-run screens need from the rest of the app.
///
/// Calls are synchronous: the screens run them in an event handler, except
/// `enrol`, which waits on the network and so runs on its own thread. The
/// passphrase is borrowed and never kept by the screens after the call.
pub trait AppServices: Send + Sync {
    /// Which setup steps this phone has already done.
    fn progress(&self) -> SetupProgress;
    /// Initial values for the enrolment form.
    fn enrol_defaults(&self) -> EnrolDefaults;
    /// Creates the encrypted vault, wrapped by a key derived from `passphrase`.
    fn create_vault(&self, passphrase: &str) -> Result<(), ServiceError>;
    /// Records that the researcher accepted the code of practice (R15), in the
    /// language they read it in; it syncs to the supervisor.
    fn acknowledge_code_of_practice(&self, lang: Lang) -> Result<(), ServiceError>;
    /// Exchanges the one-time code for this device's credentials.
    fn enrol(&self, form: &EnrolForm) -> Result<(), ServiceError>;
    /// Forgets every key in memory (R18). Must not fail.
    fn lock(&self);
    /// Opens the vault again and says which setup steps it has recorded.
    fn unlock(&self, passphrase: &str) -> Result<SetupProgress, ServiceError>;
    /// The vault's fieldwork side (sessions, outbox, identity store), once
    /// this build has one.
    fn fieldwork(&self) -> Option<&dyn super::fieldwork::FieldworkStore> {
        None
    }
    /// The person did something (a tap, a key): the idle clock restarts.
    fn touch(&self) {}
    /// True once the vault has been open and untouched for its idle time;
    /// the app then locks itself as a quick-lock would (R18).
    fn idle_expired(&self) -> bool {
        false
    }
    /// The language chosen on this phone before, if any (kept outside the
    /// vault: it is needed before the vault is open, and is not secret).
    fn saved_language(&self) -> Option<Lang> {
        None
    }
    /// Keeps the language choice for the next start. Must not fail loudly:
    /// a phone that cannot keep it simply asks again.
    fn save_language(&self, _lang: Lang) {}
    /// True for a preview build that keeps nothing; the app then says so on
    /// every screen.
    fn is_preview(&self) -> bool {
        false
    }
}

/// A cheap, cloneable handle to the app's services, provided as Dioxus context.
#[derive(Clone)]
pub struct Services(pub Arc<dyn AppServices>);

impl Services {
    pub fn new(services: impl AppServices + 'static) -> Self {
        Self(Arc::new(services))
    }

    /// The services this build has, chosen from the environment: the real
    /// vault in [`VaultServices::default_dir`], or [`Preview`] with
    /// `FIELDKIT_PREVIEW=1`.
    pub fn from_env() -> Self {
        let defaults = EnrolDefaults::from_env();
        if std::env::var("FIELDKIT_PREVIEW").is_ok_and(|v| v == "1") {
            Self::new(Preview { defaults })
        } else {
            Self::new(VaultServices::new(
                VaultServices::default_dir(),
                VaultSettings::default(),
                defaults,
            ))
        }
    }
}

impl fmt::Debug for Services {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Services(..)")
    }
}

impl std::ops::Deref for Services {
    type Target = dyn AppServices;
    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}

/// The services of a build without vault and sync: nothing is stored, every
/// call that would store or send returns [`ServiceError::NotAvailable`], so
/// the screens show that plainly instead of pretending.
#[derive(Debug, Default)]
pub struct NotConnected {
    pub defaults: EnrolDefaults,
}

impl AppServices for NotConnected {
    fn progress(&self) -> SetupProgress {
        SetupProgress::default()
    }
    fn enrol_defaults(&self) -> EnrolDefaults {
        self.defaults.clone()
    }
    fn create_vault(&self, _passphrase: &str) -> Result<(), ServiceError> {
        Err(ServiceError::NotAvailable)
    }
    fn acknowledge_code_of_practice(&self, _lang: Lang) -> Result<(), ServiceError> {
        Err(ServiceError::NotAvailable)
    }
    fn enrol(&self, _form: &EnrolForm) -> Result<(), ServiceError> {
        Err(ServiceError::NotAvailable)
    }
    fn lock(&self) {}
    fn unlock(&self, _passphrase: &str) -> Result<SetupProgress, ServiceError> {
        Err(ServiceError::NotAvailable)
    }
}

/// Walks the screens without storing or sending anything. Every call
/// succeeds except unlocking, because no passphrase was kept to check against;
/// the banner from [`AppServices::is_preview`] says so.
#[derive(Debug, Default)]
pub struct Preview {
    pub defaults: EnrolDefaults,
}

impl AppServices for Preview {
    fn progress(&self) -> SetupProgress {
        SetupProgress::default()
    }
    fn enrol_defaults(&self) -> EnrolDefaults {
        self.defaults.clone()
    }
    fn create_vault(&self, _passphrase: &str) -> Result<(), ServiceError> {
        Ok(())
    }
    fn acknowledge_code_of_practice(&self, _lang: Lang) -> Result<(), ServiceError> {
        Ok(())
    }
    fn enrol(&self, _form: &EnrolForm) -> Result<(), ServiceError> {
        Ok(())
    }
    fn lock(&self) {}
    fn unlock(&self, _passphrase: &str) -> Result<SetupProgress, ServiceError> {
        Err(ServiceError::NotAvailable)
    }
    fn is_preview(&self) -> bool {
        true
    }
}
