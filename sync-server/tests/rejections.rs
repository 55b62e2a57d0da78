//! Records the engine would not have allowed are rejected with the rule they
//! break, whatever client sent them. Each starts from a real, legal log made
//! with the engine and tampers with one thing.

mod support;

use std::sync::Arc;

use fieldkit_protocols::engine::{Consenter, Event, EventKind};
use fieldkit_protocols::hash::ContentHash;
use fieldkit_protocols::wire::RecordEnvelope;
use fieldkit_protocols::{Protocol, Value};
use support::*;
use uuid::Uuid;

struct Setup {
    server: TestServer,
    protocol: Arc<Protocol>,
    device: Uuid,
    token: String,
    events: Vec<Event>,
}

async fn setup() -> Setup {
    let server = TestServer::start().await;
    let protocol = server.publish_shipped(CHILD_FILE);
    let (device, token) = server.enrol("Amina").await;
    let events = child_session(&protocol);
    Setup {
        server,
        protocol,
        device,
        token,
        events,
    }
}

impl Setup {
    /// Submits the tampered log and returns (rule, reason).
    async fn rejected(&self, events: Vec<Event>) -> (Option<String>, String) {
        let record = seal(self.device, &self.protocol, events);
        self.rejected_envelope(record).await
    }

    async fn rejected_envelope(&self, record: RecordEnvelope) -> (Option<String>, String) {
        let results = self.server.submit(&self.token, &[record]).await;
        assert_eq!(results[0]["status"], "rejected", "{results:?}");
        (
            results[0]["rule"].as_str().map(str::to_owned),
            results[0]["reason"].as_str().unwrap().to_owned(),
        )
    }
}

fn without(mut events: Vec<Event>, index: usize) -> Vec<Event> {
    events.remove(index);
    renumber(events)
}

#[tokio::test]
async fn the_untampered_log_is_stored() {
    let s = setup().await;
    let record = seal(s.device, &s.protocol, s.events.clone());
    let results = s.server.submit(&s.token, &[record]).await;
    assert_eq!(results[0]["status"], "stored", "{results:?}");
}

#[tokio::test]
async fn no_respondent_consent_is_rejected_r1() {
    let s = setup().await;
    let i = position(&s.events, |k| is_consent_by(k, &Consenter::Respondent));
    let (rule, reason) = s.rejected(without(s.events.clone(), i)).await;
    assert_eq!(rule.as_deref(), Some("R1"), "{reason}");
}

#[tokio::test]
async fn a_child_without_a_guardians_consent_is_rejected_r2() {
    let s = setup().await;
    let i = position(&s.events, |k| is_consent_by(k, &Consenter::Guardian));
    let (rule, reason) = s.rejected(without(s.events.clone(), i)).await;
    assert_eq!(rule.as_deref(), Some("R2"), "{reason}");
}

#[tokio::test]
async fn consent_without_the_data_use_statement_is_rejected_r3() {
    let s = setup().await;
    let i = position(&s.events, |k| {
        matches!(k, EventKind::DataUseExplained { .. })
    });
    let (rule, reason) = s.rejected(without(s.events.clone(), i)).await;
    assert_eq!(rule.as_deref(), Some("R3"), "{reason}");
}

#[tokio::test]
async fn another_data_use_statement_or_protocol_hash_is_rejected_r4() {
    let s = setup().await;
    let mut events = s.events.clone();
    let i = position(&events, |k| matches!(k, EventKind::DataUseExplained { .. }));
    events[i].kind = EventKind::DataUseExplained {
        statement_hash: ContentHash::of_bytes(b"a statement changed after publication"),
    };
    let (rule, reason) = s.rejected(events).await;
    assert_eq!(rule.as_deref(), Some("R4"), "{reason}");

    let mut record = seal(s.device, &s.protocol, s.events.clone());
    record.protocol_hash = ContentHash::of_bytes(b"another protocol text");
    let (rule, reason) = s.rejected_envelope(reseal(record)).await;
    assert_eq!(rule.as_deref(), Some("R4"), "{reason}");
    assert!(reason.contains("download protocols again"), "{reason}");
}

#[tokio::test]
async fn answers_after_a_positive_screen_are_rejected_r5() {
    let s = setup().await;
    let mut events = s.events.clone();
    let i = position(&events, |k| {
        matches!(k, EventKind::ScreeningAnswered { .. })
    });
    if let EventKind::ScreeningAnswered { positive, .. } = &mut events[i].kind {
        *positive = true;
    }
    let (rule, reason) = s.rejected(events).await;
    assert_eq!(rule.as_deref(), Some("R5"), "{reason}");
}

#[tokio::test]
async fn a_sensitive_answer_without_rapport_is_rejected_r6() {
    let s = setup().await;
    let i = position(&s.events, |k| matches!(k, EventKind::RapportConfirmed));
    let events = without(s.events.clone(), i);
    // The first event after the removed checkpoint must be a sensitive answer.
    assert!(
        matches!(&events[i].kind, EventKind::Answered { question_id, .. }
        if s.protocol.question(question_id).unwrap().sensitive)
    );
    let (rule, reason) = s.rejected(events).await;
    assert_eq!(rule.as_deref(), Some("R6"), "{reason}");
}

#[tokio::test]
async fn asking_a_question_twice_is_rejected_r7() {
    let s = setup().await;
    let mut events = s.events.clone();
    let i = position(&events, |k| {
        matches!(
            k,
            EventKind::Answered {
                value: Value::Bool(_),
                ..
            }
        )
    });
    let again = events[i].clone();
    events.insert(i + 1, again);
    let (rule, reason) = s.rejected(renumber(events)).await;
    assert_eq!(rule.as_deref(), Some("R7"), "{reason}");
}

#[tokio::test]
async fn a_changed_record_fails_its_content_hash() {
    let s = setup().await;
    let mut record = seal(s.device, &s.protocol, s.events.clone());
    record.respondent = "9XXX-Z".into();
    let (rule, reason) = s.rejected_envelope(record).await;
    assert_eq!(rule, None);
    assert!(reason.contains("content hash"), "{reason}");
}

#[tokio::test]
async fn an_unfinished_session_or_another_devices_record_is_rejected() {
    let s = setup().await;
    let mut events = s.events.clone();
    events.pop();
    let (_, reason) = s.rejected(events).await;
    assert!(reason.contains("not finished"), "{reason}");

    let record = seal(Uuid::new_v4(), &s.protocol, s.events.clone());
    let (_, reason) = s.rejected_envelope(record).await;
    assert!(reason.contains("another device"), "{reason}");
}
