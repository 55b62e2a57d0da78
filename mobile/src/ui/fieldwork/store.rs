//! What the fieldwork screens need from the vault and the identity store.
//! The screens call these through [`super::super::services::AppServices::fieldwork`];
//! [`super::live`] implements them over the real encrypted files.

use std::sync::Arc;

use fieldkit_protocols::engine::Event;
use fieldkit_protocols::model::Protocol;
use fieldkit_protocols::refnum::RefNumber;
use fieldkit_protocols::wire::RecordEnvelope;
use time::OffsetDateTime;
use tokio::sync::mpsc::UnboundedReceiver;
use uuid::Uuid;

use super::SyncRun;
use crate::ui::services::ServiceError;
use crate::vault::{
    IdentityState, OutboxEntry, PersonalDetails, ReceivedNote, SessionSummary, WithdrawalReport,
};

/// Where records stand, for the home and sync screens.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncSummary {
    pub pending: usize,
    pub sent: usize,
    pub acknowledged: usize,
    pub rejected: usize,
    /// When the sync client last reached the server; `None` before the first sync.
    pub last_sync: Option<OffsetDateTime>,
}

impl SyncSummary {
    pub fn of(entries: &[OutboxEntry], last_sync: Option<OffsetDateTime>) -> Self {
        use crate::vault::OutboxState as S;
        let mut s = SyncSummary {
            last_sync,
            ..SyncSummary::default()
        };
        for e in entries {
            match e.state {
                S::Pending => s.pending += 1,
                S::Sent => s.sent += 1,
                S::Acknowledged => s.acknowledged += 1,
                S::Rejected { .. } => s.rejected += 1,
            }
        }
        s
    }

    pub fn total(&self) -> usize {
        self.pending + self.sent + self.acknowledged + self.rejected
    }
}

/// A protocol that waits for its media before it can be started.
#[derive(Clone, Debug, PartialEq)]
pub struct MediaWait {
    pub protocol: Arc<Protocol>,
    pub have: usize,
    pub total: usize,
}

/// The fieldwork side of the vault. Every call works on the open vault and
/// fails with a message when it is locked.
pub trait FieldworkStore: Send + Sync {
    /// The protocols this phone can run.
    fn protocols(&self) -> Vec<Arc<Protocol>>;
    /// Pinned protocols not offered yet because some of their pictures or
    /// sounds are missing: each with the files on this phone and named.
    fn waiting_for_media(&self) -> Vec<MediaWait> {
        Vec::new()
    }
    /// A pinned picture or sound of a protocol, decrypted in memory only.
    fn media(
        &self,
        _sha256: &fieldkit_protocols::ContentHash,
    ) -> Option<zeroize::Zeroizing<Vec<u8>>> {
        None
    }
    /// The findings packs pinned on this phone (issue 22), oldest first.
    fn findings_packs(
        &self,
    ) -> Vec<(
        fieldkit_protocols::ContentHash,
        fieldkit_protocols::findings::FindingsPack,
    )> {
        Vec::new()
    }
    /// The researcher's own name, said in every introduction (R11).
    fn researcher_name(&self) -> String;
    fn sessions(&self) -> Result<Vec<SessionSummary>, ServiceError>;
    fn session_events(&self, session_id: Uuid) -> Result<Vec<Event>, ServiceError>;
    /// Keeps one event durably before the screen moves on.
    fn append_event(&self, session_id: Uuid, event: &Event) -> Result<(), ServiceError>;
    /// This device's id, stamped on every record.
    fn device_id(&self) -> Result<Uuid, ServiceError>;
    /// Queues a sealed record for sync and forgets the finished session's
    /// raw events, which still hold identifying answers.
    fn finish(&self, session_id: Uuid, record: &RecordEnvelope) -> Result<(), ServiceError>;
    fn outbox(&self) -> Result<Vec<OutboxEntry>, ServiceError>;
    fn last_sync(&self) -> Option<OffsetDateTime>;
    /// This phone's clock against the server's, at the latest sync.
    fn clock_check(&self) -> Option<crate::sync::ClockCheck> {
        None
    }
    /// A respondent withdraws (R9).
    fn withdraw(&self, respondent: &RefNumber) -> Result<WithdrawalReport, ServiceError>;

    /// Whether the identity store is set up, and who set its code.
    fn identity_state(&self) -> Result<IdentityState, ServiceError>;
    /// The supervisor sets the code of a new identity store (a code the
    /// strength floor accepts); the store stays closed afterwards.
    fn set_up_identity(&self, supervisor: &str, code: &str) -> Result<(), ServiceError>;
    /// Opens the identity store with the supervisor's code. Wrong codes
    /// count; the last allowed one erases the identity store alone.
    fn open_identity(&self, supervisor_code: &str) -> Result<(), ServiceError>;
    fn identity_open(&self) -> bool;
    fn close_identity(&self);
    fn put_identity(
        &self,
        reference: &RefNumber,
        details: &PersonalDetails,
    ) -> Result<(), ServiceError>;
    /// The strings anonymisation scrubs; empty when the store is closed.
    fn identity_strings(&self, reference: &RefNumber) -> Vec<String>;

    /// The supervisor's notes on this phone's records.
    fn feedback(&self) -> Result<Vec<ReceivedNote>, ServiceError> {
        Ok(Vec::new())
    }
    /// The researcher read a note; the acknowledgement goes at the next sync.
    fn acknowledge_note(&self, note_id: Uuid) -> Result<bool, ServiceError> {
        let _ = note_id;
        Err(ServiceError::NotAvailable)
    }

    /// Starts sending the outbox to the server. The receiver gets progress,
    /// then the outcome; meanwhile other calls answer [`ServiceError::Busy`].
    fn start_sync(&self) -> Result<UnboundedReceiver<SyncRun>, ServiceError> {
        Err(ServiceError::NotAvailable)
    }
}
