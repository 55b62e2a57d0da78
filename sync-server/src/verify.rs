//! Verification of a submitted record: the same engine the phone runs
//! replays the events against the published protocol version, and the same
//! anonymiser checks that nothing identifying is in it (R21). Whatever
//! client sent it, a record the engine would not have allowed, or the phone
//! would not have sent, is rejected. A session dated by a wrong clock is
//! kept, with a time finding for supervisors (`timing.rs`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use fieldkit_protocols::anonymise::{check_anonymised, check_duration};
use fieldkit_protocols::engine::{EventKind, Session, Status};
use fieldkit_protocols::hash::ContentHash;
use fieldkit_protocols::parse_protocol;
use fieldkit_protocols::rules::Rule;
use fieldkit_protocols::wire::{RecordEnvelope, RecordStatus};
use fieldkit_protocols::Protocol;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::store::{
    BatchEntry, ComplianceFinding, Device, Store, StoreError, StoreOutcome, VerifiedRecord,
};
use crate::timing::time_findings;

/// The reason given when a device sends a version the server never published.
pub const UNKNOWN_VERSION: &str = "unknown protocol version, download protocols again";

/// A published version as verification needs it, prepared once: the parsed
/// protocol, its content hash, and a blank engine session to clone for
/// each record. Computing the hash (canonical JSON of the whole protocol,
/// then SHA-256) and compiling the skip logic took most of the per-record
/// time when done for every record; published versions never change (R4),
/// so doing it once is exact.
#[derive(Debug)]
pub struct CachedProtocol {
    pub protocol: Arc<Protocol>,
    pub content_hash: ContentHash,
    /// When this version was published: no session of it can be older.
    pub published_at: OffsetDateTime,
    blank: Session,
}

/// Published protocols, parsed once. Published versions never change (R4),
/// so a cached copy can never be stale.
#[derive(Debug, Default)]
pub struct ProtocolCache {
    parsed: Mutex<HashMap<(String, u32), Arc<CachedProtocol>>>,
}

impl ProtocolCache {
    pub fn get(
        &self,
        store: &dyn Store,
        id: &str,
        version: u32,
    ) -> Result<Option<Arc<Protocol>>, StoreError> {
        Ok(self
            .prepared(store, id, version)?
            .map(|cached| Arc::clone(&cached.protocol)))
    }

    /// The version prepared for verification, loaded and hashed on first use.
    pub fn prepared(
        &self,
        store: &dyn Store,
        id: &str,
        version: u32,
    ) -> Result<Option<Arc<CachedProtocol>>, StoreError> {
        let key = (id.to_owned(), version);
        if let Some(p) = self.lock().get(&key) {
            return Ok(Some(Arc::clone(p)));
        }
        let Some(published) = store.protocol(id, version)? else {
            return Ok(None);
        };
        let file = format!("{id} v{version} (published)");
        let protocol = parse_protocol(&file, &published.source_toml)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let protocol = Arc::new(protocol);
        let cached = Arc::new(CachedProtocol {
            content_hash: protocol.content_hash(),
            published_at: published.published_at,
            blank: Session::new(Arc::clone(&protocol)),
            protocol,
        });
        self.lock().insert(key, Arc::clone(&cached));
        Ok(Some(cached))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, u32), Arc<CachedProtocol>>> {
        self.parsed.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn rejected(rule: Option<Rule>, reason: impl Into<String>) -> RecordStatus {
    RecordStatus::Rejected {
        rule,
        reason: reason.into(),
    }
}

/// Checks one record from `device` and stores it if it passes.
pub fn verify_and_store(
    store: &dyn Store,
    cache: &ProtocolCache,
    device: &Device,
    envelope: &RecordEnvelope,
    now: OffsetDateTime,
) -> Result<RecordStatus, StoreError> {
    let mut statuses =
        verify_and_store_batch(store, cache, device, std::slice::from_ref(envelope), now)?;
    Ok(statuses.remove(0))
}

/// Checks every record of a batch from `device`, then stores the batch in
/// one transaction. Replay happens first, outside the write lock; each
/// record gets the status it would get if sent alone, in order.
pub fn verify_and_store_batch(
    store: &dyn Store,
    cache: &ProtocolCache,
    device: &Device,
    envelopes: &[RecordEnvelope],
    now: OffsetDateTime,
) -> Result<Vec<RecordStatus>, StoreError> {
    // A duplicate found before replay is answered without touching the store.
    let mut early = Vec::with_capacity(envelopes.len());
    let mut entries = Vec::with_capacity(envelopes.len());
    let ids: Vec<Uuid> = envelopes.iter().map(|e| e.record_id).collect();
    let stored = store.record_hashes(&ids)?;
    let checked = check_each(envelopes, |envelope| {
        check(
            store,
            cache,
            device,
            envelope,
            stored.get(&envelope.record_id),
            now,
        )
    });
    for (envelope, checked) in envelopes.iter().zip(checked) {
        match checked? {
            Ok(record) => {
                early.push(None);
                entries.push(BatchEntry::Verified(record));
            }
            Err(RecordStatus::Rejected { rule, reason }) => {
                entries.push(BatchEntry::Rejected {
                    record_id: envelope.record_id,
                    rule,
                });
                early.push(Some(RecordStatus::Rejected { rule, reason }));
            }
            Err(status) => early.push(Some(status)),
        }
    }
    let mut outcomes = store
        .store_batch(device.device_id, &entries, now)?
        .into_iter();
    early
        .into_iter()
        .map(|status| match status {
            Some(status @ RecordStatus::Rejected { .. }) => {
                outcomes.next(); // its `None`: the store counted the rejection
                Ok(status)
            }
            Some(status) => Ok(status),
            None => match outcomes.next().flatten() {
                Some(StoreOutcome::Stored) => Ok(RecordStatus::Stored),
                Some(StoreOutcome::Duplicate) => Ok(RecordStatus::Duplicate),
                Some(StoreOutcome::Conflict) => Ok(conflict()),
                Some(StoreOutcome::Withdrawn) => Ok(withdrawn()),
                None => Err(StoreError::Corrupt(
                    "the store answered a batch with fewer outcomes than records".to_owned(),
                )),
            },
        })
        .collect()
}

/// `check` over a batch, in order. Each record's replay stands alone, so a
/// batch of a few dozen is split over the cores: with one device sending,
/// the store would otherwise wait on a single core replaying.
fn check_each<T: Send>(
    envelopes: &[RecordEnvelope],
    check: impl Fn(&RecordEnvelope) -> T + Sync,
) -> Vec<T> {
    /// Fewer records than this per thread cost more to hand over than to check.
    const PER_THREAD: usize = 16;
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let threads = cores.min(4).min(envelopes.len() / PER_THREAD);
    if threads <= 1 {
        return envelopes.iter().map(&check).collect();
    }
    let check = &check;
    std::thread::scope(|scope| {
        let parts: Vec<_> = envelopes
            .chunks(envelopes.len().div_ceil(threads))
            .map(|part| scope.spawn(move || part.iter().map(check).collect::<Vec<T>>()))
            .collect();
        parts
            .into_iter()
            .flat_map(|part| {
                part.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

fn conflict() -> RecordStatus {
    RecordStatus::Conflict {
        message: "a record with this id and different content is already stored; both are kept for a supervisor to look at".to_owned(),
    }
}

fn withdrawn() -> RecordStatus {
    rejected(
        Some(Rule::R9),
        "this record was withdrawn (a tombstone arrived for it); it is not stored",
    )
}

/// `Ok(Ok(record))` when the record may be stored, `Ok(Err(status))` when
/// not; `stored_hash` is the hash already stored under the record's id.
fn check(
    store: &dyn Store,
    cache: &ProtocolCache,
    device: &Device,
    envelope: &RecordEnvelope,
    stored_hash: Option<&ContentHash>,
    now: OffsetDateTime,
) -> Result<Result<VerifiedRecord, RecordStatus>, StoreError> {
    if envelope.device_id != device.device_id {
        return Ok(Err(rejected(
            None,
            "the record names another device than the token that sent it",
        )));
    }
    if let Err(e) = envelope.verify_content_hash() {
        return Ok(Err(rejected(None, e.to_string())));
    }
    // A resend of what is already here needs no second replay.
    if stored_hash == Some(&envelope.content_hash) {
        return Ok(Err(RecordStatus::Duplicate));
    }
    let Some(cached) = cache.prepared(store, &envelope.protocol_id, envelope.protocol_version)?
    else {
        return Ok(Err(rejected(None, UNKNOWN_VERSION)));
    };
    if cached.content_hash != envelope.protocol_hash {
        return Ok(Err(rejected(
            Some(Rule::R4),
            format!(
                "protocol {} version {} was published with hash {}, the record names {}: a published version never changes; download protocols again",
                envelope.protocol_id,
                envelope.protocol_version,
                cached.content_hash.short(),
                envelope.protocol_hash.short()
            ),
        )));
    }
    // Every event is still replayed through the engine; only the blank
    // session it starts from is shared.
    let mut session = cached.blank.clone();
    for (index, event) in envelope.events.iter().enumerate() {
        if let Err(refusal) = session.apply(event.clone()) {
            return Ok(Err(rejected(
                refusal.rule,
                format!(
                    "event {index} (seq {}) was refused: {}",
                    event.seq, refusal.message
                ),
            )));
        }
    }
    if !matches!(session.status(), Status::Completed | Status::Stopped(_)) {
        return Ok(Err(rejected(
            None,
            "the session is not finished (no Completed or Stopped event); only finished sessions sync",
        )));
    }
    // A validation session shows a pack this server published (R4, R17).
    if let Some(pack) = session.start().and_then(|s| s.findings_pack.as_ref()) {
        if store.pack(pack)?.is_none() {
            return Ok(Err(rejected(
                Some(Rule::R4),
                format!(
                    "the session shows findings pack {}, which this server never published: sync to download the published packs",
                    pack.short()
                ),
            )));
        }
    }
    let starts_with_respondent = envelope.events.first().is_some_and(
        |e| matches!(&e.kind, EventKind::SessionStarted(s) if s.respondent == envelope.respondent),
    );
    if !starts_with_respondent {
        return Ok(Err(rejected(
            Some(Rule::R21),
            "the envelope's respondent reference differs from the session's",
        )));
    }
    // What the phone should have removed, checked with the phone's own code.
    if let Err(e) = check_anonymised(&cached.protocol, &envelope.respondent, &envelope.events) {
        return Ok(Err(rejected(Some(e.rule), e.message)));
    }
    if let Err(e) = check_duration(
        &cached.protocol,
        &envelope.events,
        envelope.duration_minutes,
    ) {
        return Ok(Err(rejected(Some(e.rule), e.message)));
    }
    let precision = cached.protocol.privacy.timestamp_precision;
    let timing = time_findings(&envelope.events, now, cached.published_at, precision);
    let findings = session
        .findings()
        .into_iter()
        .map(|f| (f.rule, f.message))
        .chain(timing)
        .map(|(rule, message)| ComplianceFinding {
            record_id: envelope.record_id,
            rule,
            message,
            researcher: device.researcher.clone(),
            protocol_id: envelope.protocol_id.clone(),
            protocol_version: envelope.protocol_version,
        })
        .collect();
    let envelope_json = serde_json::to_string(envelope)
        .map_err(|e| StoreError::Corrupt(format!("envelope does not serialise: {e}")))?;
    Ok(Ok(VerifiedRecord {
        record_id: envelope.record_id,
        device_id: device.device_id,
        protocol_id: envelope.protocol_id.clone(),
        protocol_version: envelope.protocol_version,
        content_hash: envelope.content_hash.clone(),
        envelope_json,
        findings,
    }))
}
