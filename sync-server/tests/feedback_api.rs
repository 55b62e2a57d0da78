//! The feedback half of the device API over real HTTP: a device receives
//! the supervisor's notes on its own records only, acknowledges them
//! idempotently (a resend changes nothing, another device's note is
//! `unknown`), and a withdrawn record's notes are gone with it (R9).

mod support;

use fieldkit_protocols::feedback::{NoteText, ReviewDecision, ReviewState};
use fieldkit_protocols::rules::Rule;
use fieldkit_sync_server::access::{Principal, Role};
use serde_json::json;
use support::*;
use time::OffsetDateTime;
use uuid::Uuid;

fn supervisor() -> Principal {
    Principal {
        role: Role::Supervisor,
        id: "sam".into(),
    }
}

fn reject(server: &TestServer, records: &[Uuid], text: &str) {
    let note = NoteText::scrubbed(text).unwrap().0;
    let decision =
        ReviewDecision::new(Some(ReviewState::Rejected), Some((Some(Rule::R6), note))).unwrap();
    let changed = server
        .store
        .review_records(&supervisor(), records, &decision, OffsetDateTime::now_utc())
        .unwrap();
    assert_eq!(changed.len(), records.len());
}

fn acks(ids: &[&str]) -> serde_json::Value {
    let acks: Vec<_> = ids
        .iter()
        .map(|id| json!({ "note_id": id, "acknowledged_at": "2026-03-07T10:00:00Z" }))
        .collect();
    json!({ "wire_version": "v1", "acks": acks })
}

#[tokio::test]
async fn a_device_gets_only_its_own_notes_and_acknowledges_them_once() {
    let server = TestServer::start().await;
    let protocol = server.publish_shipped(CHILD_FILE);
    let (a, token_a) = server.enrol("Amina").await;
    let (b, token_b) = server.enrol("Bruno").await;
    let mine = seal(a, &protocol, child_session(&protocol));
    let theirs = seal(b, &protocol, child_session(&protocol));
    server.submit(&token_a, std::slice::from_ref(&mine)).await;
    server.submit(&token_b, std::slice::from_ref(&theirs)).await;
    reject(
        &server,
        &[mine.record_id, theirs.record_id],
        "Rapport first, then the sensitive part. Call me on +44 7700 900123.",
    );

    let (status, body) = server.get("/api/v1/feedback", &token_a).await;
    assert_eq!(status, 200, "{body}");
    let notes = body["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 1, "{body}");
    assert_eq!(notes[0]["record_id"], mine.record_id.to_string());
    assert_eq!(notes[0]["reference"], mine.respondent);
    assert_eq!(notes[0]["rule"], "R6");
    assert_eq!(notes[0]["state"], "rejected");
    let text = notes[0]["text"].as_str().unwrap();
    assert!(text.contains("[phone]") && !text.contains("7700"), "{text}");
    assert!(
        !body.to_string().contains("Amina"),
        "a note names its researcher: {body}"
    );
    let my_note = notes[0]["note_id"].as_str().unwrap().to_owned();
    let (_, body_b) = server.get("/api/v1/feedback", &token_b).await;
    let their_note = body_b["notes"][0]["note_id"].as_str().unwrap().to_owned();

    let (status, body) = server
        .post(
            "/api/v1/feedback/acks",
            &token_a,
            &acks(&[&my_note, &their_note]),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"][0]["status"], "acknowledged");
    assert_eq!(
        body["results"][1]["status"], "unknown",
        "A acknowledged B's note"
    );
    let (_, again) = server
        .post("/api/v1/feedback/acks", &token_a, &acks(&[&my_note]))
        .await;
    assert_eq!(again["results"][0]["status"], "already_acknowledged");
    let (_, body) = server.get("/api/v1/feedback", &token_a).await;
    assert_eq!(body["notes"], json!([]));
    let (_, body_b) = server.get("/api/v1/feedback", &token_b).await;
    assert_eq!(body_b["notes"].as_array().unwrap().len(), 1);

    // The supervisor sees the acknowledgement.
    let review = server
        .store
        .record_review(&supervisor(), mine.record_id)
        .unwrap()
        .unwrap();
    assert!(review.notes[0].acknowledged_at.is_some());
}

#[tokio::test]
async fn a_withdrawn_record_takes_its_notes_and_bad_batches_are_refused() {
    let server = TestServer::start_with(|c| c.max_batch = 2).await;
    let protocol = server.publish_shipped(CHILD_FILE);
    let (a, token) = server.enrol("Amina").await;
    let record = seal(a, &protocol, child_session(&protocol));
    server.submit(&token, std::slice::from_ref(&record)).await;
    reject(&server, &[record.record_id], "Rapport first.");
    let (_, body) = server.get("/api/v1/feedback", &token).await;
    assert_eq!(body["notes"].as_array().unwrap().len(), 1);
    let note = body["notes"][0]["note_id"].as_str().unwrap().to_owned();

    let tombstone = json!({ "wire_version": "v1", "tombstones": [{
        "wire_version": "v1", "tombstone_id": Uuid::new_v4(), "record_id": record.record_id,
        "device_id": a, "withdrawn_on": "2026-03-07" }] });
    let (status, _) = server.post("/api/v1/tombstones", &token, &tombstone).await;
    assert_eq!(status, 200);
    let (_, body) = server.get("/api/v1/feedback", &token).await;
    assert_eq!(body["notes"], json!([]));
    let (_, body) = server
        .post("/api/v1/feedback/acks", &token, &acks(&[&note]))
        .await;
    assert_eq!(body["results"][0]["status"], "unknown");

    let (status, body) = server
        .post(
            "/api/v1/feedback/acks",
            &token,
            &acks(&[&note, &note, &note]),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (413, Some("batch_too_large")),
        "{body}"
    );
    let (status, _) = server
        .post(
            "/api/v1/feedback/acks",
            &token,
            &json!({ "wire_version": "v9", "acks": [] }),
        )
        .await;
    assert_eq!(status, 400);
    let (status, _) = server.get("/api/v1/feedback", "not-a-token").await;
    assert_eq!(status, 401);
}
