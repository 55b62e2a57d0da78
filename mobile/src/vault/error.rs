//! What can go wrong with a store on the phone, phrased for the person
//! holding it. None of these errors loses data that was already stored:
//! every write is one SQLite transaction, and reads never write.
//!
//! No error carries what a record holds: they name the record (its kind and
//! id) and the kind of failure, so a message shown on screen or written to
//! the log cannot leak an answer or a name.

use std::path::PathBuf;

use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("there is no vault in {dir}: create one first")]
    NotFound { dir: PathBuf },

    #[error("a vault already exists in {dir}: unlock it instead of creating a new one")]
    AlreadyExists { dir: PathBuf },

    #[error("wrong passphrase: {attempts_left} attempt(s) left before this vault erases itself")]
    WrongPassphrase { attempts_left: u32 },

    #[error(
        "wrong supervisor's code: {attempts_left} attempt(s) left before the identity store \
         (names and contacts) erases itself"
    )]
    WrongSupervisorCode { attempts_left: u32 },

    #[error(
        "too many wrong supervisor's codes: the identity store on this phone (names and \
         contacts) was erased. The research records are untouched; the supervisor can set a \
         new code"
    )]
    IdentityWiped,

    #[error(
        "that supervisor's code is too easy to guess: use at least 8 digits (not a run like \
         12345678 or one digit repeated), or a passphrase the meter rates good"
    )]
    WeakSupervisorCode,

    #[error(
        "{path} was changed outside Fieldkit ({what}), so it is not opened and nothing was \
         counted as a wrong attempt. Keep the phone as it is and tell your supervisor"
    )]
    Tampered { path: PathBuf, what: &'static str },

    #[error(
        "{path} was made by a pre-release version of Fieldkit that this version cannot open. \
         Nothing in it was changed. Tell your supervisor: sync it with the version that made \
         it, then start again on this one"
    )]
    PreReleaseFormat { path: PathBuf },

    #[error(
        "too many wrong passphrases: the vault on this phone was erased; \
         records that were already synced are safe on the server"
    )]
    Wiped,

    #[error("the vault is locked: unlock it with the passphrase to continue")]
    Locked,

    #[error(
        "{path} was written by a newer Fieldkit (schema {found}, this app knows up to \
         {supported}): update the app; nothing in the file was changed"
    )]
    NewerSchema {
        path: PathBuf,
        found: u32,
        supported: u32,
    },

    #[error(
        "{record} is damaged and cannot be decrypted; other records are not affected. \
         Keep the phone's files as they are and tell your supervisor"
    )]
    Corrupt { record: String },

    #[error(
        "the key header of {path} is damaged, so no passphrase can open it (nothing was \
         counted as a wrong attempt). Keep the file and tell your supervisor"
    )]
    CorruptHeader { path: PathBuf },

    #[error(
        "{path} is damaged ({detail}). Do not delete it: keep the phone's files as they \
         are and tell your supervisor"
    )]
    CorruptFile { path: PathBuf, detail: String },

    #[error(
        "the phone's storage is full: free some space (photos, other apps), then try again. \
         Everything saved before this was kept"
    )]
    DiskFull,

    #[error(
        "session {session}: event number {got} cannot follow, the next one must be {expected} \
         (events are stored in order, without gaps)"
    )]
    OutOfSequence {
        session: Uuid,
        expected: u64,
        got: u64,
    },

    #[error("session {session} must begin with its SessionStarted event for that same session")]
    NotAStart { session: Uuid },

    #[error("there is no outbox record {record_id} on this phone")]
    NotInOutbox { record_id: Uuid },

    #[error("outbox record {record_id} is already queued with different content")]
    OutboxConflict { record_id: Uuid },

    #[error("the vault settings are not usable: {0}")]
    InvalidSettings(String),

    #[error("{record} could not be encoded for storage: it {detail}")]
    Encode {
        record: String,
        detail: &'static str,
    },

    #[error(
        "{record} decrypted but {detail}; it may have been written by a newer version: \
         update the app"
    )]
    Decode {
        record: String,
        detail: &'static str,
    },

    #[error("storage failed: {0}. Try again; if it keeps failing, restart the phone")]
    Storage(rusqlite::Error),

    #[error("could not reach the vault files in {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl From<rusqlite::Error> for VaultError {
    fn from(err: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        match err.sqlite_error_code() {
            Some(ErrorCode::DiskFull) => VaultError::DiskFull,
            Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => VaultError::CorruptFile {
                path: PathBuf::new(),
                detail: err.to_string(),
            },
            _ => VaultError::Storage(err),
        }
    }
}

impl VaultError {
    /// Fills in the file a low-level error came from.
    pub(crate) fn at(self, file: &std::path::Path) -> Self {
        match self {
            VaultError::CorruptFile { path, detail } if path.as_os_str().is_empty() => {
                VaultError::CorruptFile {
                    path: file.to_path_buf(),
                    detail,
                }
            }
            other => other,
        }
    }
}
