//! Storage behind a trait, so handlers never see SQL.
//!
//! The trait is **synchronous** and handlers call it through
//! `tokio::task::spawn_blocking`. Why: the embedded SQLite (rusqlite) is a
//! blocking library, verification by replay is CPU work that belongs off the
//! async workers anyway, and each method is one transaction with no await in
//! the middle. The PostgreSQL implementation ([`postgres`]) fits the same
//! shape: an async driver and pool on the store's own runtime, blocked on by
//! each method, and handlers do not change. Every method that writes is
//! atomic: bad input never leaves half a record behind.
//!
//! Adding a method: declare it here (or in [`web::WebStore`]), then write it
//! in `sqlite.rs` and in `postgres/` (schema changes: a new entry at the end
//! of `postgres/schema.rs` MIGRATIONS, and the SQLite schema). Every store
//! test runs on both backends (`FIELDKIT_TEST_POSTGRES`, `scripts/test`).

mod accounts;
pub mod media;
pub mod packs;
pub mod postgres;
pub mod review;
mod rows;
pub mod sqlite;
pub mod web;

use std::collections::HashMap;

use fieldkit_protocols::hash::ContentHash;
use fieldkit_protocols::rules::Rule;
use fieldkit_protocols::wire::{CodeOfPracticeAcceptance, SyncStatus, Tombstone, TombstoneStatus};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::access::{Forbidden, Principal};

pub use media::{MediaBlob, MediaStore};
pub use packs::{PackStore, PublishedPack};
pub use postgres::{PgOptions, PgStore};
pub use review::{QueueItem, RecordReview, ReviewEvent, ReviewFilter, ReviewNote, ReviewStore};
pub use sqlite::SqliteStore;
pub use web::{
    AuditFilter, FailedLogin, LoginFailures, ScanPurpose, ScannedRecord, WebSession, WebStore,
    WebUser, WebUserSummary,
};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed. Boxed so the trait names no driver:
    /// a PostgreSQL store returns its own error type here.
    #[error("database error: {0}")]
    Database(Box<dyn std::error::Error + Send + Sync>),
    #[error("cannot open the data folder {path}: {source}")]
    DataDir {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("the database was written by a newer fieldkit-server (schema version {found}; this one knows up to {supported}) and is left untouched: run the newer fieldkit-server, or restore the backup taken before the upgrade")]
    TooNew { found: u32, supported: u32 },
}

/// Opens the store the configuration names: PostgreSQL when `database` is
/// set, else the embedded SQLite file in the data folder (the default).
pub fn open(config: &crate::Config) -> Result<std::sync::Arc<dyn Store>, StoreError> {
    Ok(match &config.database {
        Some(url) => std::sync::Arc::new(PgStore::connect(&PgOptions {
            url: url.expose().to_owned(),
            pool_size: config.database_pool,
            replica: config
                .database_replica
                .as_ref()
                .map(|r| r.expose().to_owned()),
        })?),
        None => std::sync::Arc::new(SqliteStore::open_dir(&config.data)?),
    })
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        StoreError::Database(Box::new(e))
    }
}

/// A published protocol version: the exact TOML source and its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedProtocol {
    pub protocol_id: String,
    pub version: u32,
    pub content_hash: ContentHash,
    pub source_toml: String,
    pub published_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishOutcome {
    Published,
    /// The same id, version and content was already there: nothing changed.
    AlreadyPublished,
    /// The same id and version with other content: refused (R4).
    Refused {
        existing_hash: ContentHash,
    },
}

/// An enrolled device. `researcher` is a person's name: never logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub device_id: Uuid,
    pub researcher: String,
    pub languages: Vec<String>,
    pub enrolled_at: OffsetDateTime,
    pub revoked_at: Option<OffsetDateTime>,
    /// R15; `None` only for devices enrolled before the server asked for it.
    pub code_of_practice: Option<CodeOfPracticeAcceptance>,
}

/// A one-time enrolment code, stored as its SHA-256 only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEnrolment {
    pub code_hash: String,
    pub researcher: String,
    pub languages: Vec<String>,
    pub expires_at: OffsetDateTime,
}

/// A verified record ready to store, with what verification found.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedRecord {
    pub record_id: Uuid,
    pub device_id: Uuid,
    pub protocol_id: String,
    pub protocol_version: u32,
    pub content_hash: ContentHash,
    /// The envelope's JSON, exactly as verified.
    pub envelope_json: String,
    pub findings: Vec<ComplianceFinding>,
}

/// Allowed but noted for supervisors (R8, R12, R14 ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplianceFinding {
    pub record_id: Uuid,
    pub rule: Rule,
    pub message: String,
    pub researcher: String,
    pub protocol_id: String,
    pub protocol_version: u32,
}

/// One record of a batch after verification.
#[derive(Debug, Clone, PartialEq)]
pub enum BatchEntry {
    Verified(VerifiedRecord),
    /// Refused before storing: only counted, no content is kept.
    Rejected {
        record_id: Uuid,
        rule: Option<Rule>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreOutcome {
    Stored,
    Duplicate,
    /// Same id, other content. The other content is kept apart for a person.
    Conflict,
    /// The id was withdrawn by its owner, or this device sent a tombstone
    /// for it first: it is not stored, now or ever (R9).
    Withdrawn,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub actor: String,
    pub action: String,
    pub target: String,
    pub at: OffsetDateTime,
    /// The source address, for logins.
    pub source: Option<String>,
}

pub trait Store: WebStore + ReviewStore + MediaStore + PackStore + Send + Sync + 'static {
    // Protocols (R4).
    fn publish(&self, protocol: &PublishedProtocol) -> Result<PublishOutcome, StoreError>;
    fn protocols(&self) -> Result<Vec<PublishedProtocol>, StoreError>;
    fn protocol(&self, id: &str, version: u32) -> Result<Option<PublishedProtocol>, StoreError>;

    // Devices.
    fn add_enrolment(&self, enrolment: &NewEnrolment) -> Result<(), StoreError>;
    /// Drops unused codes for `researcher` (so `demo` stays idempotent).
    fn drop_pending_enrolments(&self, researcher: &str) -> Result<usize, StoreError>;
    /// Trades a valid, unused code for a new device, and keeps its
    /// researcher's code-of-practice acceptance (R15), in one transaction;
    /// `None` if the code is unknown, used or expired.
    fn redeem_enrolment(
        &self,
        code_hash: &str,
        device_id: Uuid,
        token_hash: &str,
        code_of_practice: &CodeOfPracticeAcceptance,
        now: OffsetDateTime,
    ) -> Result<Option<Device>, StoreError>;
    /// Whether a code is known, unused and unexpired (nothing is changed;
    /// enrolment checks this first, then redeems atomically).
    fn enrolment_code_pending(
        &self,
        code_hash: &str,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    fn device_by_token(&self, token_hash: &str) -> Result<Option<Device>, StoreError>;
    fn devices(&self) -> Result<Vec<Device>, StoreError>;
    /// `false` if there is no such device.
    fn revoke_device(&self, device_id: Uuid, now: OffsetDateTime) -> Result<bool, StoreError>;

    // Records.
    /// The stored content hash of a record, to answer resends cheaply.
    fn record_hash(&self, record_id: Uuid) -> Result<Option<ContentHash>, StoreError> {
        Ok(self.record_hashes(&[record_id])?.remove(&record_id))
    }
    /// The stored content hashes of those of `record_ids` that are stored,
    /// in one lookup: verification asks this once per batch, not once per
    /// record, so a batch being committed does not hold up the others.
    fn record_hashes(&self, record_ids: &[Uuid]) -> Result<HashMap<Uuid, ContentHash>, StoreError>;
    fn store_record(
        &self,
        record: &VerifiedRecord,
        now: OffsetDateTime,
    ) -> Result<StoreOutcome, StoreError>;
    /// Stores a whole batch from `device_id` in one transaction, so the
    /// write lock is held once and briefly (verify before calling). Entries
    /// are handled in order and each on its own: `Some(outcome)` for a
    /// verified record, `None` for a rejection, which is counted as
    /// `note_rejection` does; a `Withdrawn` record (its id withdrawn for
    /// good, or a tombstone from the same device came first, which makes
    /// it final) is counted as an R9 rejection. A database error rolls the
    /// whole batch back.
    fn store_batch(
        &self,
        device_id: Uuid,
        entries: &[BatchEntry],
        now: OffsetDateTime,
    ) -> Result<Vec<Option<StoreOutcome>>, StoreError>;
    /// Counts a rejection for the device's sync status (no content is kept).
    fn note_rejection(
        &self,
        device_id: Uuid,
        record_id: Uuid,
        rule: Option<Rule>,
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Withdrawal (R9), which belongs to the record's owner and is final.
    /// When the record is stored and `tombstone.device_id` sent it, deletes
    /// it, its findings, its review (state, notes, history) and the device's
    /// conflicting copies, and marks the id withdrawn for good: `Deleted`,
    /// then `AlreadyDeleted` for resends.
    /// Otherwise (an id not seen, or another device's record) nothing is
    /// deleted and the tombstone is kept for its own device only: `Unknown`;
    /// if that device later sends the id, `store_batch` refuses it and the
    /// withdrawal becomes final. Always keeps the tombstone row.
    fn apply_tombstone(
        &self,
        tombstone: &Tombstone,
        now: OffsetDateTime,
    ) -> Result<TombstoneStatus, StoreError>;
    fn sync_status(&self, device_id: Uuid) -> Result<SyncStatus, StoreError>;
    fn compliance_findings(&self, who: &Principal) -> Result<Vec<ComplianceFinding>, StoreError>;

    /// Reads a record's envelope (answer data): checked against the role and
    /// written to the audit log in the same transaction (R22).
    fn read_record(
        &self,
        who: &Principal,
        record_id: Uuid,
        now: OffsetDateTime,
    ) -> Result<Option<String>, StoreError>;
    fn audit_log(&self, who: &Principal) -> Result<Vec<AuditEntry>, StoreError>;
}
