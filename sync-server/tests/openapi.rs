//! The OpenAPI document describes the protocols crate's wire types through
//! schema twins; this checks each twin has exactly the fields the real type
//! serialises, so the document cannot drift from the wire format.

mod support;

use std::collections::BTreeSet;

use fieldkit_protocols::feedback::*;
use fieldkit_protocols::rules::Rule;
use fieldkit_protocols::wire::*;
use serde::Serialize;
use support::*;
use time::macros::date;
use uuid::Uuid;

fn keys_of(values: &[serde_json::Value]) -> BTreeSet<String> {
    values
        .iter()
        .flat_map(|v| v.as_object().unwrap().keys().cloned())
        .collect()
}

fn schema_keys(name: &str) -> BTreeSet<String> {
    let doc = serde_json::to_value(fieldkit_sync_server::openapi_document()).unwrap();
    doc["components"]["schemas"][name]["properties"]
        .as_object()
        .unwrap_or_else(|| panic!("no schema {name} in the document"))
        .keys()
        .cloned()
        .collect()
}

fn assert_twin<T: Serialize>(name: &str, samples: &[T]) {
    let values: Vec<_> = samples
        .iter()
        .map(|s| serde_json::to_value(s).unwrap())
        .collect();
    assert_eq!(
        schema_keys(name),
        keys_of(&values),
        "schema {name} differs from the wire type"
    );
}

#[test]
fn openapi_schemas_match_wire_types() {
    let protocol = shipped_protocol(CHILD_FILE);
    let arc = std::sync::Arc::new(protocol.clone());
    let envelope = seal(Uuid::new_v4(), &protocol, child_session(&arc));
    let tombstone = Tombstone::new(
        Uuid::new_v4(),
        Uuid::new_v4(),
        Uuid::new_v4(),
        date!(2026 - 03 - 07),
    );
    // A phone that measures the interview's length sends one more field.
    let timed = reseal(RecordEnvelope {
        duration_minutes: Some(25),
        ..envelope.clone()
    });
    assert_twin("RecordEnvelope", &[envelope.clone(), timed]);
    assert_twin("RecordBatch", &[RecordBatch::new(vec![envelope])]);
    assert_twin("Tombstone", std::slice::from_ref(&tombstone));
    assert_twin("TombstoneBatch", &[TombstoneBatch::new(vec![tombstone])]);
    let id = Uuid::new_v4();
    let acceptance = CodeOfPracticeAcceptance {
        language: "en".into(),
        accepted_at: time::OffsetDateTime::UNIX_EPOCH,
    };
    let results = [
        RecordStatus::Stored,
        RecordStatus::Duplicate,
        RecordStatus::Conflict {
            message: "m".into(),
        },
        RecordStatus::Rejected {
            rule: Some(Rule::R1),
            reason: "r".into(),
        },
    ]
    .map(|status| RecordResult {
        record_id: id,
        status,
    });
    assert_twin("RecordResult", &results);
    assert_twin(
        "BatchResponse",
        &[BatchResponse {
            results: results.to_vec(),
        }],
    );
    let tombstone_result = TombstoneResult {
        tombstone_id: id,
        record_id: id,
        status: TombstoneStatus::Deleted,
    };
    assert_twin("TombstoneResult", std::slice::from_ref(&tombstone_result));
    assert_twin(
        "TombstoneResponse",
        &[TombstoneResponse {
            results: vec![tombstone_result],
        }],
    );
    assert_twin(
        "ProtocolListing",
        &[ProtocolListing::new(&protocol, "source".into())],
    );
    assert_twin(
        "EnrolRequest",
        &[EnrolRequest {
            code: WireSecret::new("c".into()),
            device_name: "d".into(),
            code_of_practice: Some(acceptance.clone()),
        }],
    );
    assert_twin("CodeOfPracticeAcceptance", &[acceptance]);
    assert_twin(
        "EnrolResponse",
        &[EnrolResponse {
            device_id: id,
            token: WireSecret::new("t".into()),
            project: "p".into(),
            researcher: "r".into(),
        }],
    );
    let note = FeedbackNote {
        note_id: id,
        record_id: id,
        reference: "K7QM-2XHD-P".into(),
        protocol_id: "p".into(),
        rule: Some(Rule::R6),
        text: "t".into(),
        state: ReviewState::Rejected,
        written_at: time::OffsetDateTime::UNIX_EPOCH,
    };
    assert_twin("FeedbackNote", std::slice::from_ref(&note));
    assert_twin(
        "FeedbackResponse",
        &[FeedbackResponse { notes: vec![note] }],
    );
    let ack = FeedbackAck {
        note_id: id,
        acknowledged_at: time::OffsetDateTime::UNIX_EPOCH,
    };
    assert_twin("FeedbackAck", std::slice::from_ref(&ack));
    assert_twin("AckBatch", &[AckBatch::new(vec![ack])]);
    let ack_result = AckResult {
        note_id: id,
        status: AckStatus::Acknowledged,
    };
    assert_twin("AckResult", std::slice::from_ref(&ack_result));
    assert_twin(
        "AckResponse",
        &[AckResponse {
            results: vec![ack_result],
        }],
    );
    assert_twin(
        "SyncStatus",
        &[SyncStatus {
            stored: 1,
            rejected: 0,
            tombstones: 0,
            last_received: None,
        }],
    );
    assert_twin(
        "PackListing",
        &[fieldkit_protocols::findings::PackListing {
            hash: fieldkit_protocols::ContentHash::of_bytes(b"pack"),
            site: "North district".into(),
            pack_json: "{}".into(),
        }],
    );
}

/// Every kind of event and value, as the phone writes them, reads through
/// the document's twins (which refuse unknown fields): the schema of
/// events is their real shape.
#[test]
fn event_twins_read_every_real_event() {
    use fieldkit_protocols::engine::{
        Consenter, Decision, Event, EventKind, OthersPresent, Sex, SkipReason, StopReason,
    };
    use fieldkit_protocols::Value;
    use fieldkit_sync_server::api::openapi_events::{EventDoc, RedactionReportDoc};

    let protocol = std::sync::Arc::new(shipped_protocol(CHILD_FILE));
    let mut events = child_session(&protocol);
    let values = [
        Value::Bool(true),
        Value::Integer(-3),
        Value::Decimal(2.5),
        Value::Text("t".into()),
        Value::Choice("c".into()),
        Value::Choices(vec!["a".into()]),
        Value::Ranking(vec!["a".into(), "b".into()]),
        Value::Date("2026-03-06".into()),
        Value::Time("10:00".into()),
        Value::Location {
            lat: 1.5,
            lon: -2.0,
        },
        Value::Count(4),
    ];
    let mut kinds: Vec<EventKind> = values
        .into_iter()
        .map(|value| EventKind::Answered {
            question_id: "q".into(),
            value,
        })
        .collect();
    kinds.extend([
        EventKind::Amended {
            question_id: "q".into(),
            value: Value::Bool(false),
            reason: "r".into(),
        },
        EventKind::ParticipantAdded {
            code: "P1".into(),
            age: Some(12),
        },
        EventKind::ConsentRecorded {
            by: Consenter::Participant("P1".into()),
            decision: Decision::Refused,
            audio_recording: false,
        },
        EventKind::Skipped {
            question_id: "q".into(),
            reason: SkipReason::DoesNotKnow,
        },
        EventKind::AnswerWithheld {
            question_id: "q".into(),
        },
        EventKind::OthersPresentChanged {
            present: OthersPresent::Employer,
        },
        EventKind::NoteAdded { text: "n".into() },
        EventKind::Tallied {
            tally_id: "t".into(),
            sex: Sex::Unknown,
            age_group: "under 13".into(),
            delta: -1,
        },
        EventKind::IndicatorChecked {
            indicator_id: "i".into(),
            observed: true,
        },
        EventKind::Stopped {
            reason: StopReason::InterviewerEnded,
        },
    ]);
    let last = events.last().unwrap().clone();
    events.extend(kinds.into_iter().map(|kind| Event {
        kind,
        ..last.clone()
    }));
    for event in &events {
        let json = serde_json::to_value(event).unwrap();
        serde_json::from_value::<EventDoc>(json.clone())
            .unwrap_or_else(|e| panic!("the Event schema does not read {json}: {e}"));
    }
    let report =
        serde_json::to_value(fieldkit_protocols::anonymise::RedactionReport::default()).unwrap();
    serde_json::from_value::<RedactionReportDoc>(report).unwrap();
}
