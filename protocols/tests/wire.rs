//! The sync wire format, v1: what a client will parse, byte for byte, and the
//! seals that tell the server a record is exactly as the device sent it.

mod anonymise_support;

use anonymise_support::{protocol, strings, text, Recorder, PROTOCOL};
use fieldkit_protocols::anonymise::anonymise;
use fieldkit_protocols::engine::{EventKind, Session};
use fieldkit_protocols::model::Text;
use fieldkit_protocols::wire::{
    from_json, BatchResponse, CodeOfPracticeAcceptance, EnrolRequest, EnrolResponse,
    ProtocolListing, RecordBatch, RecordEnvelope, RecordResult, RecordStatus, SyncStatus,
    Tombstone, TombstoneBatch, TombstoneResponse, TombstoneResult, TombstoneStatus, WireError,
    WireSecret, WIRE_VERSION,
};
use fieldkit_protocols::{ContentHash, Rule, Value};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt::Debug;
use time::macros::{date, datetime};
use uuid::Uuid;

const RECORD: Uuid = Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0001);
const DEVICE: Uuid = Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_00d1);

fn id(n: u128) -> Uuid {
    Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0000 | n)
}

fn sealed() -> RecordEnvelope {
    let protocol = protocol();
    let mut r = Recorder::start(protocol.clone(), "K7QM-2XHD-P", Some(12));
    r.consent()
        .record(EventKind::ScreeningAnswered {
            item_id: "distress".to_owned(),
            positive: false,
        })
        .answer("age", Value::Integer(12))
        .answer("first_name", text("Aminata"))
        .answer(
            "home_area",
            Value::Location {
                lat: 5.3364,
                lon: -4.0267,
            },
        )
        .answer(
            "journey",
            text("Aminata came by bus with her aunt, 0712345678."),
        )
        .record(EventKind::Completed);
    let anonymised = anonymise(&protocol, &r.events(), &strings(&["Aminata"]));
    RecordEnvelope::seal(RECORD, DEVICE, &protocol, anonymised)
}

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + Debug>(value: &T) {
    let json = serde_json::to_vec(value).unwrap();
    let back: T = from_json(&json).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(&back, value);
}

#[test]
fn a_sealed_record_verifies_and_replays_on_the_other_side() {
    let envelope = sealed();
    assert_eq!(envelope.respondent, "K7QM-2XHD-P");
    assert_eq!(envelope.protocol_id, "anonymise-test");
    assert_eq!(envelope.protocol_version, 2);
    assert_eq!(envelope.protocol_hash, protocol().content_hash());
    assert_eq!(envelope.redactions.identifying_answers_withheld, 1);
    envelope.verify_content_hash().unwrap();

    let batch = RecordBatch::new(vec![envelope]);
    let json = serde_json::to_vec(&batch).unwrap();
    let received: RecordBatch = from_json(&json).unwrap();
    assert_eq!(received, batch);
    let record = &received.records[0];
    record.verify_content_hash().unwrap();
    Session::replay(protocol(), record.events.clone()).unwrap();
}

#[test]
fn any_changed_field_breaks_the_seal() {
    let envelope = sealed();
    type Change = Box<dyn Fn(&mut RecordEnvelope)>;
    let changes: Vec<(&str, Change)> = vec![
        ("record_id", Box::new(|e| e.record_id = id(99))),
        ("device_id", Box::new(|e| e.device_id = id(98))),
        ("protocol_version", Box::new(|e| e.protocol_version = 3)),
        (
            "respondent",
            Box::new(|e| e.respondent = "0000-0001-1".to_owned()),
        ),
        ("redactions", Box::new(|e| e.redactions.phones += 1)),
        (
            "an answer",
            Box::new(|e| {
                if let EventKind::Answered { value, .. } = &mut e.events[6].kind {
                    *value = Value::Integer(13);
                }
            }),
        ),
        (
            "an event dropped",
            Box::new(|e| {
                e.events.pop();
            }),
        ),
    ];
    for (what, change) in changes {
        let mut tampered = envelope.clone();
        change(&mut tampered);
        assert_ne!(tampered, envelope, "{what} changed nothing");
        let err = tampered.verify_content_hash().unwrap_err();
        assert!(
            matches!(&err, WireError::ContentHashMismatch { record_id, .. } if *record_id == tampered.record_id),
            "{what}: {err}"
        );
        assert!(
            err.to_string().contains("changed after it was sealed"),
            "{err}"
        );
    }
}

#[test]
fn a_tampered_hash_in_json_is_caught_after_parsing() {
    let mut json = serde_json::to_value(sealed()).unwrap();
    // Someone puts the name back into the journey answer.
    assert_eq!(json["events"][9]["question_id"], "journey");
    json["events"][9]["value"]["value"] =
        serde_json::json!("Aminata came by bus with her aunt, 0712345678.");
    let parsed: RecordEnvelope = from_json(&serde_json::to_vec(&json).unwrap()).unwrap();
    assert!(parsed.verify_content_hash().is_err());
}

#[test]
fn another_wire_version_is_refused_by_name() {
    let mut json = serde_json::to_value(RecordBatch::new(vec![sealed()])).unwrap();
    json["wire_version"] = serde_json::json!("v2");
    let bytes = serde_json::to_vec(&json).unwrap();
    let err = from_json::<RecordBatch>(&bytes).unwrap_err();
    assert!(
        matches!(&err, WireError::UnsupportedVersion { found } if found == "v2"),
        "{err}"
    );
    assert!(err.to_string().contains("this side speaks v1"), "{err}");

    // Reading with serde_json directly fails too, naming the version.
    let err = serde_json::from_slice::<RecordBatch>(&bytes).unwrap_err();
    assert!(err.to_string().contains("wire version `v2`"), "{err}");

    // A record inside a v1 batch is checked as well.
    json["wire_version"] = serde_json::json!(WIRE_VERSION);
    json["records"][0]["wire_version"] = serde_json::json!("v0");
    let err = from_json::<RecordBatch>(&serde_json::to_vec(&json).unwrap()).unwrap_err();
    assert!(err.to_string().contains("wire version `v0`"), "{err}");

    let tombstones = br#"{"wire_version":"v9","tombstones":[]}"#;
    assert!(matches!(
        from_json::<TombstoneBatch>(tombstones),
        Err(WireError::UnsupportedVersion { .. })
    ));
}

#[test]
fn malformed_messages_name_the_type() {
    let err = from_json::<BatchResponse>(br#"{"results":[{"record_id":"x","status":"stored"}]}"#)
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("could not read the BatchResponse"),
        "{err}"
    );
}

#[test]
fn an_unknown_redaction_count_is_refused_not_dropped() {
    // The OpenAPI document promises no other properties; a report the
    // server cannot read in full must not be stored as if it could.
    let mut json: serde_json::Value = serde_json::to_value(sealed()).unwrap();
    json["redactions"]["faces_blurred"] = 3.into();
    let err = from_json::<RecordEnvelope>(json.to_string().as_bytes()).unwrap_err();
    assert!(err.to_string().contains("faces_blurred"), "{err}");
}

/// What a client parses. A change here is a wire change: bump the version.
const GOLDEN_BATCH_RESPONSE: &str = r#"{
  "results": [
    {
      "record_id": "00000000-0000-4000-8000-000000000001",
      "status": "stored"
    },
    {
      "record_id": "00000000-0000-4000-8000-000000000002",
      "status": "duplicate"
    },
    {
      "record_id": "00000000-0000-4000-8000-000000000003",
      "status": "conflict",
      "message": "record 00000000-0000-4000-8000-000000000003 is already stored with other content"
    },
    {
      "record_id": "00000000-0000-4000-8000-000000000004",
      "status": "rejected",
      "rule": "R5",
      "reason": "event 7 (seq 7) was refused: R5: a screening item was positive"
    },
    {
      "record_id": "00000000-0000-4000-8000-000000000005",
      "status": "rejected",
      "rule": null,
      "reason": "unknown protocol `x` version 1"
    }
  ]
}"#;

#[test]
fn the_batch_response_is_exactly_the_golden_json() {
    let response = BatchResponse {
        results: vec![
            RecordResult {
                record_id: id(1),
                status: RecordStatus::Stored,
            },
            RecordResult {
                record_id: id(2),
                status: RecordStatus::Duplicate,
            },
            RecordResult {
                record_id: id(3),
                status: RecordStatus::Conflict {
                    message: "record 00000000-0000-4000-8000-000000000003 is already stored with other content".to_owned(),
                },
            },
            RecordResult {
                record_id: id(4),
                status: RecordStatus::Rejected {
                    rule: Some(Rule::R5),
                    reason: "event 7 (seq 7) was refused: R5: a screening item was positive"
                        .to_owned(),
                },
            },
            RecordResult {
                record_id: id(5),
                status: RecordStatus::Rejected {
                    rule: None,
                    reason: "unknown protocol `x` version 1".to_owned(),
                },
            },
        ],
    };
    assert_eq!(
        serde_json::to_string_pretty(&response).unwrap(),
        GOLDEN_BATCH_RESPONSE
    );
    assert_eq!(
        from_json::<BatchResponse>(GOLDEN_BATCH_RESPONSE.as_bytes()).unwrap(),
        response
    );
    let acknowledged: Vec<bool> = response
        .results
        .iter()
        .map(|r| r.status.is_acknowledged())
        .collect();
    assert_eq!(acknowledged, [true, true, false, false, false]);
}

#[test]
fn tombstones_carry_only_the_day_and_answer_in_golden_json() {
    let tombstone = Tombstone::new(id(7), id(1), DEVICE, date!(2026 - 03 - 14));
    assert_eq!(
        serde_json::to_string(&tombstone).unwrap(),
        r#"{"wire_version":"v1","tombstone_id":"00000000-0000-4000-8000-000000000007","record_id":"00000000-0000-4000-8000-000000000001","device_id":"00000000-0000-4000-8000-0000000000d1","withdrawn_on":"2026-03-14"}"#
    );
    round_trip(&TombstoneBatch::new(vec![tombstone]));

    let response = TombstoneResponse {
        results: vec![
            TombstoneResult {
                tombstone_id: id(7),
                record_id: id(1),
                status: TombstoneStatus::Deleted,
            },
            TombstoneResult {
                tombstone_id: id(8),
                record_id: id(2),
                status: TombstoneStatus::AlreadyDeleted,
            },
            TombstoneResult {
                tombstone_id: id(9),
                record_id: id(3),
                status: TombstoneStatus::Unknown,
            },
        ],
    };
    let json = serde_json::to_value(&response).unwrap();
    let statuses: Vec<&str> = json["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["deleted", "already_deleted", "unknown"]);
    round_trip(&response);

    let bad = br#"{"wire_version":"v1","tombstone_id":"00000000-0000-4000-8000-000000000007","record_id":"00000000-0000-4000-8000-000000000001","device_id":"00000000-0000-4000-8000-0000000000d1","withdrawn_on":"14/03/2026"}"#;
    let err = from_json::<Tombstone>(bad).unwrap_err();
    assert!(
        err.to_string().contains("is not a day as YYYY-MM-DD"),
        "{err}"
    );
}

#[test]
fn a_downloaded_protocol_is_checked_against_its_announced_hash() {
    let protocol = protocol();
    let listing = ProtocolListing::new(&protocol, PROTOCOL.to_owned());
    assert_eq!(listing.title, protocol.title);
    round_trip(&listing);
    assert_eq!(listing.protocol().unwrap(), *protocol);

    let mut changed = listing.clone();
    changed.source_toml = PROTOCOL.replace("No names leave the phone.", "Names are shared.");
    let err = changed.protocol().unwrap_err();
    assert!(
        matches!(err, WireError::ProtocolHashMismatch { ref protocol_id, version: 2, .. } if protocol_id == "anonymise-test"),
        "{err}"
    );

    let mut broken = listing;
    broken.source_toml = "id = ".to_owned();
    let err = broken.protocol().unwrap_err();
    assert!(
        err.to_string()
            .starts_with("downloaded protocol `anonymise-test` version 2 does not parse"),
        "{err}"
    );
}

#[test]
fn enrolment_secrets_cross_the_wire_but_never_print() {
    let request = EnrolRequest {
        code: WireSecret::new("7K3-QX9".to_owned()),
        device_name: "Tablet 3".to_owned(),
        code_of_practice: Some(CodeOfPracticeAcceptance {
            language: "fr".to_owned(),
            accepted_at: time::macros::datetime!(2026-03-07 08:30 UTC),
        }),
    };
    assert_eq!(
        serde_json::to_string(&request).unwrap(),
        r#"{"code":"7K3-QX9","device_name":"Tablet 3","code_of_practice":{"language":"fr","accepted_at":"2026-03-07T08:30:00Z"}}"#
    );
    round_trip(&request);
    // A request without the acceptance still reads, so the server can
    // refuse it with R15's message rather than a parse error.
    let without: EnrolRequest =
        from_json(br#"{"code":"7K3-QX9","device_name":"Tablet 3"}"#).unwrap();
    assert_eq!(without.code_of_practice, None);
    assert!(!format!("{request:?}").contains("7K3"));

    let response = EnrolResponse {
        device_id: DEVICE,
        token: WireSecret::new("fk_secret_token_0123".to_owned()),
        project: "Korhogo 2026".to_owned(),
        researcher: "R. Koné".to_owned(),
    };
    round_trip(&response);
    assert_eq!(response.token.expose(), "fk_secret_token_0123");
    assert!(!format!("{response:?}").contains("fk_secret"));
}

#[test]
fn sync_status_and_listings_round_trip() {
    let status = SyncStatus {
        stored: 42,
        rejected: 1,
        tombstones: 2,
        last_received: Some(datetime!(2026-03-12 14:00 UTC)),
    };
    assert_eq!(
        serde_json::to_string(&status).unwrap(),
        r#"{"stored":42,"rejected":1,"tombstones":2,"last_received":"2026-03-12T14:00:00Z"}"#
    );
    round_trip(&status);
    round_trip(&SyncStatus {
        last_received: None,
        ..status
    });
    round_trip(&ProtocolListing {
        protocol_id: "p".to_owned(),
        version: 1,
        title: Text::single("fr", "Évaluation"),
        content_hash: ContentHash::of_bytes(b"p"),
        data_use_hash: ContentHash::of_bytes(b"d"),
        source_toml: String::new(),
    });
}
