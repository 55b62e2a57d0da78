//! Journeys a researcher and a coordinator live through, end to end: real
//! server on 127.0.0.1, real vaults on disk, interviews through the engine.

use fieldkit_mobile::sync::SyncProgress;
use fieldkit_sync_server::access::{Principal, Role};
use fieldkit_tests::harness::{
    assert_exactly_once, patient, total_records, Device, InProcessServer,
};
use fieldkit_tests::interview::{conduct, finalise, queue_records, Course};
use time::OffsetDateTime;

fn supervisor() -> Principal {
    Principal {
        role: Role::Supervisor,
        id: "supervisor".into(),
    }
}

fn analyst() -> Principal {
    Principal {
        role: Role::Analyst,
        id: "analyst".into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_researchers_day_reaches_the_server() {
    let server = InProcessServer::start().await;
    let mut phone = Device::new();
    let protocol = phone.enrol(&server.url(), &server.code("Amina")).await;

    let mut records = Vec::new();
    let mut interviews = Vec::new();
    for course in [Course::Complete, Course::Refusal, Course::PositiveScreen] {
        let interview = conduct(&mut phone.vault, &protocol, course);
        records.push(finalise(&mut phone.vault, &protocol, interview.session_id));
        interviews.push(interview);
    }
    assert_eq!(phone.vault.pending(10).unwrap().len(), 3);

    let client = phone.client(patient());
    let mut progress = Vec::new();
    let outcome = client
        .sync(&mut phone.vault, |p| progress.push(p))
        .await
        .unwrap();
    assert_eq!(outcome.report().stored, 3, "{outcome:?}");
    assert_eq!(progress.first(), Some(&SyncProgress { done: 0, total: 3 }));
    assert_eq!(progress.last(), Some(&SyncProgress { done: 3, total: 3 }));
    assert_exactly_once(&*server.store, &phone.vault, &records);
    assert_eq!(client.status().await.unwrap().stored, 3);

    // The analyst reads each record as it was sealed on the phone: the
    // refusal stopped at consent, the positive screen stopped for referral.
    let now = OffsetDateTime::now_utc();
    for (record, interview) in records.iter().zip(&interviews) {
        let json = server
            .store
            .read_record(&analyst(), record.record_id, now)
            .unwrap()
            .expect("the record is on the server");
        let stored: fieldkit_protocols::wire::RecordEnvelope = serde_json::from_str(&json).unwrap();
        assert_eq!(stored.content_hash, record.content_hash);
        let text = serde_json::to_string(&stored.events).unwrap();
        match interview.course {
            Course::Refusal => assert!(text.contains("\"refused\""), "{text}"),
            Course::PositiveScreen => assert!(text.contains("screening_positive"), "{text}"),
            Course::Complete => assert!(text.contains("completed"), "{text}"),
        }
    }
    // Findings are visible to the supervisor and name only these records.
    let findings = server.store.compliance_findings(&supervisor()).unwrap();
    assert!(findings
        .iter()
        .all(|f| records.iter().any(|r| r.record_id == f.record_id)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_devices_sync_at_the_same_time() {
    let server = InProcessServer::start().await;
    let mut a = Device::new();
    let mut b = Device::new();
    let protocol = a.enrol(&server.url(), &server.code("Amina")).await;
    b.enrol(&server.url(), &server.code("Bilal")).await;
    let records_a = queue_records(&mut a.vault, &protocol, 120);
    let records_b = queue_records(&mut b.vault, &protocol, 120);

    let config = fieldkit_mobile::sync::SyncConfig {
        batch_size: 20,
        ..patient()
    };
    let (client_a, client_b) = (a.client(config.clone()), b.client(config));
    let mut vault_a = a.vault;
    let mut vault_b = b.vault;
    let task_a = tokio::spawn(async move {
        let outcome = client_a.sync(&mut vault_a, |_| {}).await.unwrap();
        (vault_a, outcome)
    });
    let task_b = tokio::spawn(async move {
        let outcome = client_b.sync(&mut vault_b, |_| {}).await.unwrap();
        (vault_b, outcome)
    });
    let ((vault_a, outcome_a), (vault_b, outcome_b)) =
        (task_a.await.unwrap(), task_b.await.unwrap());
    assert_eq!(outcome_a.report().stored, 120);
    assert_eq!(outcome_b.report().stored, 120);
    assert_exactly_once(&*server.store, &vault_a, &records_a);
    assert_exactly_once(&*server.store, &vault_b, &records_b);
    assert_eq!(total_records(&*server.store), 240);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawal_after_sync_removes_the_record_from_the_server() {
    let server = InProcessServer::start().await;
    let mut phone = Device::new();
    let protocol = phone.enrol(&server.url(), &server.code("Amina")).await;
    let kept = conduct(&mut phone.vault, &protocol, Course::Complete);
    let withdrawn = conduct(&mut phone.vault, &protocol, Course::Complete);
    let kept_record = finalise(&mut phone.vault, &protocol, kept.session_id);
    let gone_record = finalise(&mut phone.vault, &protocol, withdrawn.session_id);
    let client = phone.client(patient());
    client.sync(&mut phone.vault, |_| {}).await.unwrap();
    assert!(server
        .store
        .record_hash(gone_record.record_id)
        .unwrap()
        .is_some());

    let report = phone.vault.withdraw(&withdrawn.respondent).unwrap();
    assert_eq!((report.sessions_deleted, report.tombstones_queued), (1, 1));
    let outcome = client.sync(&mut phone.vault, |_| {}).await.unwrap();
    assert_eq!(outcome.report().tombstones, 1);

    assert_eq!(
        server.store.record_hash(gone_record.record_id).unwrap(),
        None
    );
    assert_eq!(
        server.store.record_hash(kept_record.record_id).unwrap(),
        Some(kept_record.content_hash.clone())
    );
    let status = client.status().await.unwrap();
    assert_eq!((status.stored, status.tombstones), (1, 1));
    assert_eq!(phone.unfinished(), 0);
}
