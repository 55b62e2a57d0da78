//! [`FieldworkStore`] over the real vault and identity store, as held by
//! [`VaultServices`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use fieldkit_protocols::engine::Event;
use fieldkit_protocols::model::Protocol;
use fieldkit_protocols::refnum::RefNumber;
use fieldkit_protocols::wire::RecordEnvelope;
use time::OffsetDateTime;
use tokio::sync::mpsc::UnboundedReceiver;
use uuid::Uuid;

use super::store::FieldworkStore;
use super::SyncRun;
use crate::ui::services::ServiceError;
use crate::ui::vault_services::{to_service_error, VaultServices};
use crate::vault::{
    IdentityState, IdentityStore, OutboxEntry, PersonalDetails, PinnedProtocol, SessionSummary,
    SupervisorCode, WithdrawalReport,
};

/// Kept among the vault's sealed drafts for a phone that has no id from
/// the server (enrolment stores the server's).
const DEVICE_ID_DRAFT: &str = "fieldkit/device-id";

/// Pinned protocols, parsed once per content hash: home re-renders often.
fn parsed(pinned: &PinnedProtocol) -> Option<Arc<Protocol>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Protocol>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Mutex::default);
    let mut cache = cache.lock().unwrap_or_else(|p| p.into_inner());
    let key = pinned.content_hash.to_string();
    if let Some(protocol) = cache.get(&key) {
        return Some(Arc::clone(protocol));
    }
    match pinned.protocol() {
        Ok(protocol) => {
            let protocol = Arc::new(protocol);
            cache.insert(key, Arc::clone(&protocol));
            Some(protocol)
        }
        Err(error) => {
            tracing::warn!(protocol = %pinned.protocol_id, %error, "pinned protocol unreadable");
            None
        }
    }
}

impl VaultServices {
    fn with_identity<T>(
        &self,
        f: impl FnOnce(&mut IdentityStore) -> Result<T, crate::vault::VaultError>,
    ) -> Result<T, ServiceError> {
        let mut open = self.identity.lock().unwrap_or_else(|p| p.into_inner());
        let store = open.as_mut().ok_or_else(|| {
            ServiceError::Failed("the identity store is closed: enter the supervisor's code".into())
        })?;
        f(store).map_err(to_service_error)
    }
}

impl FieldworkStore for VaultServices {
    /// The versions pinned at enrolment or sync (R4), never the copies
    /// compiled into the app: the project decides what is asked.
    /// A version whose pictures and sounds are not all pinned yet is not
    /// offered: a card question must never show an empty frame.
    fn protocols(&self) -> Vec<Arc<Protocol>> {
        let pinned = self.with_open(|v| v.pinned_protocols()).unwrap_or_default();
        pinned
            .iter()
            .filter_map(parsed)
            .filter(|p| {
                self.with_open(|v| v.missing_media(p))
                    .is_ok_and(|missing| missing.is_empty())
            })
            .collect()
    }

    fn waiting_for_media(&self) -> Vec<super::store::MediaWait> {
        let pinned = self.with_open(|v| v.pinned_protocols()).unwrap_or_default();
        pinned
            .iter()
            .filter_map(parsed)
            .filter_map(|protocol| {
                let missing = self.with_open(|v| v.missing_media(&protocol)).ok()?;
                (!missing.is_empty()).then(|| super::store::MediaWait {
                    have: protocol.media.len() - missing.len(),
                    total: protocol.media.len(),
                    protocol,
                })
            })
            .collect()
    }

    fn media(
        &self,
        sha256: &fieldkit_protocols::ContentHash,
    ) -> Option<zeroize::Zeroizing<Vec<u8>>> {
        self.with_open(|v| v.media(sha256)).ok().flatten()
    }

    fn findings_packs(
        &self,
    ) -> Vec<(
        fieldkit_protocols::ContentHash,
        fieldkit_protocols::findings::FindingsPack,
    )> {
        self.with_open(|v| v.pinned_packs()).unwrap_or_default()
    }

    fn researcher_name(&self) -> String {
        self.with_open(|v| v.settings())
            .ok()
            .and_then(|s| s.researcher_name)
            .unwrap_or_default()
    }

    fn sessions(&self) -> Result<Vec<SessionSummary>, ServiceError> {
        self.with_open(|v| v.sessions())
    }

    fn session_events(&self, session_id: Uuid) -> Result<Vec<Event>, ServiceError> {
        self.with_open(|v| v.session_events(session_id))
    }

    fn append_event(&self, session_id: Uuid, event: &Event) -> Result<(), ServiceError> {
        self.with_open(|v| v.append_event(session_id, event))
    }

    fn device_id(&self) -> Result<Uuid, ServiceError> {
        self.with_open(|v| {
            if let Some(id) = v.device_id()? {
                return Ok(id);
            }
            if let Some(id) = v
                .get_draft(DEVICE_ID_DRAFT)?
                .and_then(|s| Uuid::parse_str(&s).ok())
            {
                return Ok(id);
            }
            let id = Uuid::new_v4();
            v.put_draft(DEVICE_ID_DRAFT, &id.to_string())?;
            Ok(id)
        })
    }

    fn finish(&self, session_id: Uuid, record: &RecordEnvelope) -> Result<(), ServiceError> {
        self.with_open(|v| {
            v.enqueue(record)?;
            v.delete_session(session_id)?;
            Ok(())
        })
    }

    fn outbox(&self) -> Result<Vec<OutboxEntry>, ServiceError> {
        self.with_open(|v| v.outbox())
    }

    fn last_sync(&self) -> Option<OffsetDateTime> {
        let kept = self
            .with_open(|v| v.get_draft(crate::ui::network::LAST_SYNC_DRAFT))
            .ok()??;
        OffsetDateTime::parse(&kept, &time::format_description::well_known::Rfc3339).ok()
    }

    fn clock_check(&self) -> Option<crate::sync::ClockCheck> {
        let kept = self
            .with_open(|v| v.get_draft(crate::ui::network::CLOCK_DRAFT))
            .ok()??;
        crate::sync::ClockCheck::from_text(&kept)
    }

    fn start_sync(&self) -> Result<UnboundedReceiver<SyncRun>, ServiceError> {
        crate::ui::network::start_sync(self)
    }

    /// The vault deletes their identity entry itself, open store or not.
    fn feedback(&self) -> Result<Vec<crate::vault::ReceivedNote>, ServiceError> {
        self.with_open(|v| v.feedback())
    }

    fn acknowledge_note(&self, note_id: Uuid) -> Result<bool, ServiceError> {
        self.with_open(|v| v.acknowledge_note(note_id, OffsetDateTime::now_utc()))
    }

    fn withdraw(&self, respondent: &RefNumber) -> Result<WithdrawalReport, ServiceError> {
        self.with_open(|v| v.withdraw(respondent))
    }

    fn identity_state(&self) -> Result<IdentityState, ServiceError> {
        self.with_open(|v| v.identity_state())
    }

    fn set_up_identity(&self, supervisor: &str, code: &str) -> Result<(), ServiceError> {
        let code = SupervisorCode::new(code);
        let mut store = self.with_open(|v| v.create_identity_store(&code, supervisor))?;
        // Set up, not opened: adding a name takes the code again.
        store.lock();
        Ok(())
    }

    fn open_identity(&self, supervisor_code: &str) -> Result<(), ServiceError> {
        let code = SupervisorCode::new(supervisor_code);
        let store = self.with_open(|v| v.open_identity_store(&code))?;
        *self.identity.lock().unwrap_or_else(|p| p.into_inner()) = Some(store);
        Ok(())
    }

    fn identity_open(&self) -> bool {
        self.identity
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }

    fn close_identity(&self) {
        if let Some(mut store) = self
            .identity
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            store.lock();
        }
    }

    fn put_identity(
        &self,
        reference: &RefNumber,
        details: &PersonalDetails,
    ) -> Result<(), ServiceError> {
        self.with_identity(|s| s.put(reference, details))
    }

    fn identity_strings(&self, reference: &RefNumber) -> Vec<String> {
        self.with_identity(|s| s.identity_strings(reference))
            .unwrap_or_default()
    }
}
