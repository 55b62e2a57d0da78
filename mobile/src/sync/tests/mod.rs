//! The client against the real server, in-process on 127.0.0.1:0, with a
//! real vault (cheap Argon2 so tests stay quick).

use std::sync::Arc;

use fieldkit_protocols::anonymise::anonymise;
use fieldkit_protocols::engine::{
    Decision, EventKind, Session, SessionKind, SessionStart, Step, StopReason,
};
use fieldkit_protocols::refnum::RefNumber;
use fieldkit_protocols::wire::{RecordEnvelope, WireSecret};
use fieldkit_protocols::{library, parse_protocol, Protocol};
use fieldkit_sync_server::store::{SqliteStore, Store};
use fieldkit_sync_server::{admin, Config};
use time::OffsetDateTime;
use uuid::Uuid;

use super::*;
use crate::vault::{CodeOfPracticeAck, KdfParams, OutboxState, Passphrase, Setting, VaultSettings};

const CHILD: &str = "child-rapid-assessment.toml";

struct Server {
    dir: tempfile::TempDir,
    url: String,
    store: SqliteStore,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn server() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        data: dir.path().to_owned(),
        ..Config::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(fieldkit_sync_server::serve_until(config, listener, async {
        let _ = stopped.await;
    }));
    let store = SqliteStore::open_dir(dir.path()).unwrap();
    let source = library::demo_source(CHILD);
    admin::publish_source(&store, CHILD, &source, OffsetDateTime::now_utc()).unwrap();
    Server {
        dir,
        url,
        store,
        _stop: stop,
    }
}

impl Server {
    fn code(&self) -> WireSecret {
        admin::enrol(
            &self.store,
            "Amina",
            &["en".into()],
            14,
            OffsetDateTime::now_utc(),
        )
        .unwrap()
    }
}

fn quick() -> SyncConfig {
    SyncConfig {
        max_attempts: 3,
        base_delay: std::time::Duration::from_millis(5),
        max_delay: std::time::Duration::from_millis(20),
        ..SyncConfig::default()
    }
}

/// A phone past its first run: the researcher accepted the code of
/// practice (R15), in French here, so the server's copy can be told apart.
fn vault(dir: &std::path::Path) -> Vault {
    let mut vault = vault_before_the_code_of_practice(dir);
    vault
        .set_setting(&Setting::CodeOfPracticeAcknowledged(CodeOfPracticeAck {
            language: "fr".into(),
            at: OffsetDateTime::now_utc(),
        }))
        .unwrap();
    vault
}

fn vault_before_the_code_of_practice(dir: &std::path::Path) -> Vault {
    let settings = VaultSettings {
        kdf: KdfParams::INSECURE_TEST_ONLY,
        ..VaultSettings::default()
    };
    Vault::create(dir, &Passphrase::new("correct horse"), settings).unwrap()
}

/// A respondent who refuses consent: the engine's own steps, then a stop.
fn refusal(protocol: &Arc<Protocol>, device: Uuid) -> RecordEnvelope {
    let respondent = RefNumber::from_uuid(Uuid::new_v4()).to_string();
    let mut session = Session::new(Arc::clone(protocol));
    let at = OffsetDateTime::now_utc();
    let start = SessionStart {
        session_id: Uuid::new_v4(),
        protocol_id: protocol.id.clone(),
        protocol_version: protocol.version,
        protocol_hash: protocol.content_hash(),
        language: "en".into(),
        interviewer_languages: vec!["en".into()],
        kind: SessionKind::Full,
        respondent,
        respondent_age: Some(12),
        linked_child: None,
        site_type: None,
        weekday: None,
        findings_pack: None,
    };
    session
        .record(EventKind::SessionStarted(start), at)
        .unwrap();
    for _ in 0..20 {
        let kind = match session.next() {
            Step::Introduction => EventKind::IntroductionGiven,
            Step::DataUse => EventKind::DataUseExplained {
                statement_hash: protocol.data_use_hash(),
            },
            Step::Consent { from } => EventKind::ConsentRecorded {
                by: from,
                decision: Decision::Refused,
                audio_recording: false,
            },
            Step::Finished => EventKind::Stopped {
                reason: StopReason::Refused,
            },
            other => panic!("a refusal should not reach {other:?}"),
        };
        let stop = matches!(kind, EventKind::Stopped { .. });
        session.record(kind, at).unwrap();
        if stop {
            break;
        }
    }
    let anonymised = anonymise(protocol, session.events(), &[]);
    RecordEnvelope::seal(Uuid::new_v4(), device, protocol, anonymised)
}

async fn enrolled(server: &Server, dir: &std::path::Path) -> (Vault, SyncClient, Arc<Protocol>) {
    let mut vault = vault(dir);
    enrol(
        &mut vault,
        &server.url,
        &server.code(),
        "test phone",
        &quick(),
    )
    .await
    .unwrap();
    let client = SyncClient::from_vault(&vault, quick()).unwrap();
    client.download_protocols(&mut vault).await.unwrap();
    let pinned = vault.pinned_protocols().unwrap();
    let protocol = Arc::new(pinned[0].protocol().unwrap());
    (vault, client, protocol)
}

#[tokio::test]
async fn enrolment_stores_the_token_and_protocols_are_pinned_once() {
    let server = server().await;
    let dir = tempfile::tempdir().unwrap();
    let mut vault = vault(dir.path());
    assert!(matches!(
        SyncClient::from_vault(&vault, quick()),
        Err(SyncError::NotEnrolled)
    ));
    let enrolment = enrol(&mut vault, &server.url, &server.code(), "phone", &quick())
        .await
        .unwrap();
    assert_eq!(enrolment.researcher, "Amina");
    assert_eq!(vault.device_id().unwrap(), Some(enrolment.device_id));
    let on_server = &server.store.devices().unwrap()[0];
    let accepted = on_server
        .code_of_practice
        .as_ref()
        .expect("R15 acceptance sent");
    assert_eq!(accepted.language, "fr");
    assert_eq!(
        Some(accepted.accepted_at.unix_timestamp()),
        vault
            .settings()
            .unwrap()
            .code_of_practice
            .map(|ack| ack.at.unix_timestamp())
    );
    let client = SyncClient::from_vault(&vault, quick()).unwrap();
    let first = client.download_protocols(&mut vault).await.unwrap();
    assert_eq!(first.pinned.len(), 1, "{first:?}");
    let second = client.download_protocols(&mut vault).await.unwrap();
    assert_eq!((second.pinned.len(), second.unchanged), (0, 1));
    let pinned = &vault.pinned_protocols().unwrap()[0];
    let shipped = parse_protocol(CHILD, &library::demo_source(CHILD)).unwrap();
    assert_eq!(pinned.content_hash, shipped.content_hash());
}

#[tokio::test]
async fn without_the_code_of_practice_the_phone_does_not_spend_its_code() {
    let server = server().await;
    let code = server.code();
    let dir = tempfile::tempdir().unwrap();
    let mut early = vault_before_the_code_of_practice(dir.path());
    let err = enrol(&mut early, &server.url, &code, "phone", &quick())
        .await
        .unwrap_err();
    assert!(matches!(err, SyncError::CodeOfPracticeNotAccepted), "{err}");
    assert!(
        err.to_string().contains("accept the code of practice"),
        "{err}"
    );
    assert!(server.store.devices().unwrap().is_empty());
    // The code is still good once the researcher has accepted.
    let other = tempfile::tempdir().unwrap();
    enrol(
        &mut vault(other.path()),
        &server.url,
        &code,
        "phone",
        &quick(),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_used_code_is_refused_and_nothing_is_stored() {
    let server = server().await;
    let code = server.code();
    let dir = tempfile::tempdir().unwrap();
    let mut first = vault(dir.path());
    enrol(&mut first, &server.url, &code, "a", &quick())
        .await
        .unwrap();
    let other = tempfile::tempdir().unwrap();
    let mut second = vault(other.path());
    let err = enrol(&mut second, &server.url, &code, "b", &quick())
        .await
        .unwrap_err();
    assert!(matches!(err, SyncError::Unauthorised { .. }), "{err}");
    assert_eq!(second.settings().unwrap().device_token, None);
}

#[tokio::test]
async fn a_pinned_copy_that_no_longer_hashes_is_refused_when_used() {
    let mut pinned = crate::vault::PinnedProtocol {
        protocol_id: "x".into(),
        version: 1,
        content_hash: fieldkit_protocols::ContentHash("00".into()),
        data_use_hash: fieldkit_protocols::ContentHash("00".into()),
        title: fieldkit_protocols::Text::default(),
        source_toml: library::demo_source(CHILD),
    };
    let protocol = parse_protocol(CHILD, &library::demo_source(CHILD)).unwrap();
    pinned.protocol_id.clone_from(&protocol.id);
    pinned.version = protocol.version;
    let err = pinned.protocol().unwrap_err();
    assert!(err.to_string().contains("do not use it"), "{err}");
}

#[tokio::test]
async fn records_sync_once_and_a_resend_counts_as_success() {
    let server = server().await;
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, client, protocol) = enrolled(&server, dir.path()).await;
    let device = vault.device_id().unwrap().unwrap();
    let records: Vec<_> = (0..3).map(|_| refusal(&protocol, device)).collect();
    for r in &records {
        vault.enqueue(r).unwrap();
    }
    let mut seen = Vec::new();
    let outcome = client.sync(&mut vault, |p| seen.push(p)).await.unwrap();
    assert_eq!(outcome.report().stored, 3, "{outcome:?}");
    // Every answer told the server's time (its Date header): this machine's
    // clock is the server's, so the phone's is not off (issue 14).
    let clock = client.clock().expect("the server's time, from the answer");
    assert!(!clock.is_off(), "{clock:?}");
    assert!((clock.server - time::OffsetDateTime::now_utc()).abs() < time::Duration::minutes(1));
    assert_eq!(seen.last(), Some(&SyncProgress { done: 3, total: 3 }));
    // An answer lost on the way: the device still thinks the first was only sent.
    vault.mark_sent(records[0].record_id).unwrap();
    let again = client.sync(&mut vault, |_| {}).await.unwrap();
    assert_eq!(
        again,
        SyncOutcome::Complete(SyncReport {
            duplicates: 1,
            ..SyncReport::default()
        })
    );
    assert!(vault
        .outbox()
        .unwrap()
        .iter()
        .all(|e| e.state == OutboxState::Acknowledged));
    assert_eq!(client.status().await.unwrap().stored, 3);
    for r in &records {
        assert_eq!(
            server.store.record_hash(r.record_id).unwrap(),
            Some(r.content_hash.clone())
        );
    }
}

#[tokio::test]
async fn a_rejection_is_kept_on_the_entry_with_its_reason() {
    let server = server().await;
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, client, protocol) = enrolled(&server, dir.path()).await;
    let device = vault.device_id().unwrap().unwrap();
    let mut record = refusal(&protocol, device);
    record.protocol_version += 40;
    record.content_hash = record.computed_hash();
    vault.enqueue(&record).unwrap();
    let outcome = client.sync(&mut vault, |_| {}).await.unwrap();
    assert_eq!(outcome.report().rejected, 1);
    let entry = &vault.outbox().unwrap()[0];
    let OutboxState::Rejected { reason, .. } = &entry.state else {
        panic!("expected a rejection, got {:?}", entry.state);
    };
    assert!(reason.contains("unknown protocol version"), "{reason}");
}

#[tokio::test]
async fn no_server_is_offline_not_an_error_and_nothing_is_lost() {
    let server = server().await;
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, _, protocol) = enrolled(&server, dir.path()).await;
    let device = vault.device_id().unwrap().unwrap();
    vault.enqueue(&refusal(&protocol, device)).unwrap();
    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    vault
        .set_setting(&crate::vault::Setting::ServerUrl(url))
        .unwrap();
    let client = SyncClient::from_vault(&vault, quick()).unwrap();
    let outcome = client.sync(&mut vault, |_| {}).await.unwrap();
    assert!(
        matches!(outcome, SyncOutcome::Offline { .. }),
        "{outcome:?}"
    );
    assert_eq!(
        vault.pending(10).unwrap().len(),
        1,
        "the record waits, pending"
    );
    drop(server.dir);
}

#[tokio::test]
async fn a_server_that_never_answers_ends_the_sync_within_its_budget() {
    let server = server().await;
    let dir = tempfile::tempdir().unwrap();
    let (mut vault, _, protocol) = enrolled(&server, dir.path()).await;
    let device = vault.device_id().unwrap().unwrap();
    for _ in 0..3 {
        vault.enqueue(&refusal(&protocol, device)).unwrap();
    }
    // Accepts connections and never answers: a dead link that looks open.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((connection, _)) = silent.accept().await {
            held.push(connection);
        }
    });
    vault
        .set_setting(&crate::vault::Setting::ServerUrl(url))
        .unwrap();
    // Without the budget this sync would wait an hour per try.
    let config = SyncConfig {
        batch_size: 1,
        request_timeout: std::time::Duration::from_secs(3600),
        sync_budget: std::time::Duration::from_millis(300),
        ..quick()
    };
    let client = SyncClient::from_vault(&vault, config).unwrap();
    let outcome = client.sync(&mut vault, |_| {}).await.unwrap();
    let SyncOutcome::Offline { report, reason } = outcome else {
        panic!("expected offline, got {outcome:?}");
    };
    assert!(reason.contains("time budget"), "{reason}");
    assert_eq!(report, SyncReport::default());
    assert_eq!(vault.pending_count().unwrap(), 3, "every record waits");
    assert_eq!(vault.unfinished_count().unwrap(), 3);
    holder.abort();
}

mod wire;
