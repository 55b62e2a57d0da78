//! Findings packs (issue 22) on whichever backend this run uses: built from
//! the analyst tables with small counts suppressed (R27), stored once by
//! hash and audited, listed to devices so the JSON hashes to the listed
//! hash (R4); a validation record is stored only when its pack was
//! published, and its verdict reads back for the pages and the methodology.

mod support;

use std::sync::Arc;

use fieldkit_protocols::engine::{Event, EventKind};
use fieldkit_protocols::findings::{FindingsPack, PackListing};
use fieldkit_protocols::{ContentHash, Protocol, Rule, Value};
use fieldkit_sync_server::access::{Principal, Role};
use fieldkit_sync_server::export::ages::{AgeGroups, DEFAULT_AGE_GROUPS};
use fieldkit_sync_server::packs::{self, PackError, PackRequest};
use support::validation::validation_session;
use support::*;
use time::OffsetDateTime;

const VALIDATION_FILE: &str = "findings-validation.toml";

fn analyst() -> Principal {
    Principal {
        role: Role::Analyst,
        id: "ana".into(),
    }
}

fn request(questions: &[&str]) -> PackRequest {
    PackRequest {
        protocol_id: "child-rapid-assessment".into(),
        questions: questions.iter().map(|q| (*q).to_owned()).collect(),
        site: "North district".into(),
        ages: AgeGroups::parse(DEFAULT_AGE_GROUPS).unwrap(),
    }
}

/// A child interview whose `sex` answer is `sex`.
fn child_with_sex(protocol: &Arc<Protocol>, sex: &str) -> Vec<Event> {
    child_session(protocol)
        .into_iter()
        .map(|mut e| {
            if let EventKind::Answered { question_id, value } = &mut e.kind {
                if question_id == "sex" {
                    *value = Value::Choice(sex.to_owned());
                }
            }
            e
        })
        .collect()
}

#[tokio::test]
async fn a_pack_is_built_from_suppressed_tables_and_listed_by_its_hash() {
    let server = TestServer::start().await;
    let child = server.publish_shipped(CHILD_FILE);
    let (device, token) = server.enrol("amina").await;
    let mut records = Vec::new();
    for sex in [
        "female", "female", "female", "female", "female", "male", "male",
    ] {
        records.push(seal(device, &child, child_with_sex(&child, sex)));
    }
    server.submit(&token, &records).await;

    let store = server.store.store.clone();
    let now = OffsetDateTime::now_utc();
    let hash = tokio::task::spawn_blocking(move || {
        packs::publish(&*store, &analyst(), &request(&["sex"]), now).unwrap()
    })
    .await
    .unwrap();

    let (status, listed) = server.get("/api/v1/packs", &token).await;
    assert_eq!(status, 200, "{listed}");
    let listings: Vec<PackListing> = serde_json::from_value(listed).unwrap();
    assert_eq!(listings.len(), 1);
    assert_eq!(listings[0].hash, hash);
    let pack: FindingsPack = listings[0].pack().expect("hashes to its hash and checks");
    assert_eq!(pack.site, "North district");
    assert_eq!(pack.languages, ["en", "fr"]);
    assert!(pack
        .caveat
        .as_ref()
        .unwrap()
        .get("fr")
        .unwrap()
        .contains("représentatifs"));
    assert!(!pack.definitions.is_empty(), "the definitions travel (R24)");
    let finding = pack.finding("child-rapid-assessment/sex").unwrap();
    let counts: Vec<Option<u64>> = finding.rows.iter().map(|r| r.count).collect();
    assert_eq!(counts, [Some(5), None], "two boys stay suppressed (R27)");
    assert!(!listings[0].pack_json.contains("\"count\":2"));
    assert!(finding.sentence.get("fr").unwrap().contains("(5 réponses)"));

    // Audited, and stored once whatever the backend.
    assert_eq!(
        server
            .store
            .count("SELECT COUNT(*) FROM audit_log WHERE action = 'publish_pack'"),
        1
    );
    assert_eq!(server.store.count("SELECT COUNT(*) FROM findings_packs"), 1);
}

#[tokio::test]
async fn identifying_or_free_text_questions_never_enter_a_pack() {
    let server = TestServer::start().await;
    server.publish_shipped(CHILD_FILE);
    let store = server.store.store.clone();
    let refused = tokio::task::spawn_blocking(move || {
        let now = OffsetDateTime::now_utc();
        (
            packs::build(&*store, &analyst(), &request(&["city_life_image"]), now),
            packs::build(&*store, &analyst(), &request(&["no_such_question"]), now),
            packs::build(
                &*store,
                &analyst(),
                &PackRequest {
                    site: " ".into(),
                    ..request(&["sex"])
                },
                now,
            ),
        )
    })
    .await
    .unwrap();
    for result in [refused.0, refused.1, refused.2] {
        assert!(matches!(result, Err(PackError::Refused(_))), "{result:?}");
    }
    assert_eq!(server.store.count("SELECT COUNT(*) FROM findings_packs"), 0);
}

#[tokio::test]
async fn a_validation_record_needs_a_published_pack_and_its_verdict_reads_back() {
    let server = TestServer::start().await;
    let child = server.publish_shipped(CHILD_FILE);
    let validation = server.publish_shipped(VALIDATION_FILE);
    let (device, token) = server.enrol("amina").await;
    let mut records = Vec::new();
    for _ in 0..5 {
        records.push(seal(device, &child, child_session(&child)));
    }
    server.submit(&token, &records).await;

    let unknown = ContentHash::of_bytes(b"never published");
    let forged = seal(
        device,
        &validation,
        validation_session(&validation, &unknown),
    );
    let results = server.submit(&token, &[forged]).await;
    assert_eq!(results[0]["status"], "rejected", "{results:?}");
    assert_eq!(results[0]["rule"], Rule::R4.id(), "{results:?}");

    let store = server.store.store.clone();
    let hash = tokio::task::spawn_blocking(move || {
        packs::publish(
            &*store,
            &analyst(),
            &request(&["sex", "work_type"]),
            OffsetDateTime::now_utc(),
        )
        .unwrap()
    })
    .await
    .unwrap();
    let real = seal(device, &validation, validation_session(&validation, &hash));
    let results = server.submit(&token, &[real]).await;
    assert_eq!(results[0]["status"], "stored", "{results:?}");

    let store = server.store.store.clone();
    let verdicts = tokio::task::spawn_blocking(move || {
        packs::verdicts(&*store, &analyst(), "child-rapid-assessment").unwrap()
    })
    .await
    .unwrap();
    assert_eq!(verdicts.len(), 1, "{verdicts:?}");
    let v = &verdicts[0];
    assert_eq!(v.finding, "child-rapid-assessment/work_type");
    assert_eq!((v.agree, v.disagree), (Some(4), Some(2)));
    assert_eq!(v.site, "North district");
    assert_eq!(v.pack, hash);
    assert!(v.words.as_deref().unwrap().contains("market"));

    // A supervisor's methodology lists where and when, never the counts.
    let store = server.store.store.clone();
    let supervisor = tokio::task::spawn_blocking(move || {
        let who = Principal {
            role: Role::Supervisor,
            id: "sam".into(),
        };
        packs::verdicts(&*store, &who, "child-rapid-assessment").unwrap()
    })
    .await
    .unwrap();
    assert_eq!(supervisor.len(), 1);
    assert_eq!(supervisor[0].agree, None);
    assert_eq!(supervisor[0].words, None);
}
