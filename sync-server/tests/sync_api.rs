//! The device API against a real server: enrolment, submit, duplicate,
//! conflict, tombstones, status, and the ways a request can be refused.

mod support;

use fieldkit_protocols::engine::{EventKind, OthersPresent};
use fieldkit_protocols::wire::RecordEnvelope;
use fieldkit_sync_server::access::{Principal, Role};
use serde_json::json;
use support::*;
use time::OffsetDateTime;
use uuid::Uuid;

#[tokio::test]
async fn an_enrolment_code_works_once_and_the_token_then_lists_protocols() {
    let server = TestServer::start().await;
    let protocol = server.publish_shipped(CHILD_FILE);
    let code = fieldkit_sync_server::admin::enrol(
        &*server.store,
        "Amina",
        &["en".into(), "fr".into()],
        14,
        OffsetDateTime::now_utc(),
    )
    .unwrap();
    // A phone that skipped the code of practice is refused, and its code
    // is not spent (R15).
    let (status, body) = server
        .post(
            "/api/v1/enrol",
            "",
            &json!({ "code": code.expose(), "device_name": "phone" }),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "code_of_practice_missing");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("has not accepted the code of practice"),
        "{body}"
    );
    assert!(server.store.devices().unwrap().is_empty());
    for (acceptance, says) in [
        (
            json!({ "language": "-", "accepted_at": "2026-01-05T09:00:00Z" }),
            "a language code such as `en`",
        ),
        (
            json!({ "language": "en", "accepted_at": "2099-01-05T09:00:00Z" }),
            "check the phone's date",
        ),
    ] {
        let (status, body) = server
            .post(
                "/api/v1/enrol",
                "",
                &json!({ "code": code.expose(), "device_name": "phone", "code_of_practice": acceptance }),
            )
            .await;
        assert_eq!(status, 400, "{body}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(says),
            "{body}"
        );
    }
    assert!(server.store.devices().unwrap().is_empty());
    // Typed in lower case with spaces: still accepted.
    let typed = code.expose().to_lowercase().replace('-', " ");
    let (status, body) = server
        .post(
            "/api/v1/enrol",
            "",
            &json!({ "code": typed, "device_name": "phone", "code_of_practice": accepted() }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let devices = server.store.devices().unwrap();
    assert_eq!(devices[0].code_of_practice, Some(accepted()));
    assert_eq!(body["researcher"], "Amina");
    let token = body["token"].as_str().unwrap().to_owned();
    assert_eq!(token.len(), 64);

    let (again, error) = server
        .post(
            "/api/v1/enrol",
            "",
            &json!({ "code": code.expose(), "device_name": "phone 2", "code_of_practice": accepted() }),
        )
        .await;
    assert_eq!(again, 401);
    assert_eq!(error["error"]["code"], "invalid_enrolment_code");

    let (status, listing) = server.get("/api/v1/protocols", &token).await;
    assert_eq!(status, 200);
    let entry = &listing.as_array().unwrap()[0];
    assert_eq!(entry["protocol_id"], protocol.id.as_str());
    assert_eq!(entry["content_hash"], protocol.content_hash().as_str());
    // The phone can check the source against the hash it pins.
    let listing: fieldkit_protocols::wire::ProtocolListing =
        serde_json::from_value(entry.clone()).unwrap();
    assert_eq!(listing.protocol().unwrap(), *protocol);
    // The database keeps no token in clear.
    assert!(!server.store.holds_text(&token));
}

#[tokio::test]
async fn an_expired_code_is_refused_and_an_unknown_device_cannot_be_revoked() {
    use fieldkit_sync_server::secrets::hash_secret;
    use fieldkit_sync_server::store::NewEnrolment;
    let server = TestServer::start().await;
    server
        .store
        .add_enrolment(&NewEnrolment {
            code_hash: hash_secret("K7QM3XRA"),
            researcher: "Amina".into(),
            languages: vec!["en".into()],
            expires_at: OffsetDateTime::now_utc() - time::Duration::days(1),
        })
        .unwrap();
    let (status, body) = server
        .post(
            "/api/v1/enrol",
            "",
            &json!({ "code": "k7qm-3xra", "device_name": "phone", "code_of_practice": accepted() }),
        )
        .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["code"], "invalid_enrolment_code");
    assert!(server.store.devices().unwrap().is_empty());

    let err = fieldkit_sync_server::admin::revoke(
        &*server.store,
        Uuid::new_v4(),
        OffsetDateTime::now_utc(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("device list"), "{err}");
}

#[tokio::test]
async fn a_record_is_stored_then_acknowledged_again_and_a_changed_copy_conflicts() {
    let server = TestServer::start().await;
    let protocol = server.publish_shipped(CHILD_FILE);
    let (device, token) = server.enrol("Amina").await;
    let record = seal(device, &protocol, child_session(&protocol));

    let results = server.submit(&token, std::slice::from_ref(&record)).await;
    assert_eq!(results[0]["status"], "stored", "{results:?}");
    assert_eq!(results[0]["record_id"], record.record_id.to_string());

    let again = server.submit(&token, std::slice::from_ref(&record)).await;
    assert_eq!(again[0]["status"], "duplicate");

    // Same id, other content (one more, legal, event before the end).
    let mut events = record.events.clone();
    let end = events.pop().unwrap();
    events.push(fieldkit_protocols::engine::Event {
        seq: end.seq,
        at: end.at,
        kind: EventKind::NoteAdded { text: "n".into() },
    });
    events.push(end);
    let changed = reseal(fieldkit_protocols::wire::RecordEnvelope {
        events: renumber(events),
        ..record.clone()
    });
    let conflict = server.submit(&token, &[changed]).await;
    assert_eq!(conflict[0]["status"], "conflict", "{conflict:?}");

    let (_, status) = server.get("/api/v1/status", &token).await;
    assert_eq!(status["stored"], 1);
    assert_eq!(status["rejected"], 0);
    assert!(status["last_received"].is_string());

    // The stored record is the first one, read by an analyst and audited.
    let analyst = Principal {
        role: Role::Analyst,
        id: "ana".into(),
    };
    let stored = server
        .store
        .read_record(&analyst, record.record_id, OffsetDateTime::now_utc())
        .unwrap()
        .unwrap();
    assert_eq!(
        serde_json::from_str::<fieldkit_protocols::wire::RecordEnvelope>(&stored).unwrap(),
        record
    );
    let admin = Principal {
        role: Role::Admin,
        id: "cli".into(),
    };
    let audit = server.store.audit_log(&admin).unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].actor, "Analyst:ana");
    assert_eq!(audit[0].target, record.record_id.to_string());
    // Admins and supervisors have no need to read answers (R22).
    assert!(server
        .store
        .read_record(&admin, record.record_id, OffsetDateTime::now_utc())
        .is_err());
}

#[tokio::test]
async fn a_tombstone_deletes_the_record_and_keeps_only_the_fact() {
    let server = TestServer::start().await;
    let protocol = server.publish_shipped(CHILD_FILE);
    let (device, token) = server.enrol("Amina").await;
    let record = seal(device, &protocol, child_session(&protocol));
    server.submit(&token, std::slice::from_ref(&record)).await;

    let tombstone = json!({ "wire_version": "v1", "tombstones": [{
        "wire_version": "v1", "tombstone_id": Uuid::new_v4(), "record_id": record.record_id,
        "device_id": device, "withdrawn_on": "2026-03-07" }] });
    let (status, body) = server.post("/api/v1/tombstones", &token, &tombstone).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"][0]["status"], "deleted");
    let (_, body) = server.post("/api/v1/tombstones", &token, &tombstone).await;
    assert_eq!(body["results"][0]["status"], "already_deleted");

    let analyst = Principal {
        role: Role::Analyst,
        id: "ana".into(),
    };
    assert_eq!(
        server
            .store
            .read_record(&analyst, record.record_id, OffsetDateTime::now_utc())
            .unwrap(),
        None
    );
    let (_, status) = server.get("/api/v1/status", &token).await;
    assert_eq!(status["stored"], 0);
    assert_eq!(status["tombstones"], 1);

    // A resend of the withdrawn record is not stored again (R9).
    let resent = server.submit(&token, &[record]).await;
    assert_eq!(resent[0]["status"], "rejected");
    assert_eq!(resent[0]["rule"], "R9");

    // Another device cannot withdraw this device's records.
    let (_, other_token) = server.enrol("Bo").await;
    let (status, body) = server
        .post("/api/v1/tombstones", &other_token, &tombstone)
        .await;
    assert_eq!(status, 403);
    assert_eq!(body["error"]["code"], "not_your_record");
}

#[tokio::test]
async fn soft_findings_are_stored_for_supervisors() {
    let server = TestServer::start().await;
    let protocol = server.publish_shipped(CHILD_FILE);
    let (device, token) = server.enrol("Amina").await;
    let mut start = start(&protocol, Some(12));
    start.interviewer_languages = vec!["fr".into()];
    let mut events = completed_session(&protocol, start);
    let end = events.pop().unwrap();
    // An employer walks in before the end: the screening is asked again
    // for the person now present (R5), then the session completes.
    events.push(fieldkit_protocols::engine::Event {
        kind: EventKind::OthersPresentChanged {
            present: OthersPresent::Employer,
        },
        ..end.clone()
    });
    for item in &protocol.screening.as_ref().unwrap().items {
        events.push(fieldkit_protocols::engine::Event {
            kind: EventKind::ScreeningAnswered {
                item_id: item.id.clone(),
                positive: false,
            },
            ..end.clone()
        });
    }
    events.push(end);
    let record = seal(device, &protocol, renumber(events));
    let results = server.submit(&token, std::slice::from_ref(&record)).await;
    assert_eq!(results[0]["status"], "stored", "{results:?}");

    let supervisor = Principal {
        role: Role::Supervisor,
        id: "sup".into(),
    };
    let findings = server.store.compliance_findings(&supervisor).unwrap();
    let rules: Vec<&str> = findings.iter().map(|f| f.rule.id()).collect();
    assert!(rules.contains(&"R8"), "{rules:?}");
    assert!(rules.contains(&"R14"), "{rules:?}");
    assert!(findings
        .iter()
        .all(|f| f.record_id == record.record_id && f.researcher == "Amina"));
    let device_principal = Principal {
        role: Role::Device,
        id: device.to_string(),
    };
    assert!(server.store.compliance_findings(&device_principal).is_err());
}

#[tokio::test]
async fn a_revoked_token_is_refused() {
    let server = TestServer::start().await;
    let (device, token) = server.enrol("Amina").await;
    let (status, _) = server.get("/api/v1/status", &token).await;
    assert_eq!(status, 200);
    fieldkit_sync_server::admin::revoke(&*server.store, device, OffsetDateTime::now_utc()).unwrap();
    let (status, body) = server.get("/api/v1/status", &token).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "token_revoked");
    let (status, body) = server.get("/api/v1/status", "not-a-token").await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "unknown_token");
}

/// JSON (and JSON Schema) does not tell `2` from `2.0`: a client that
/// writes whole numbers as floats is read as if it wrote integers, however
/// large the number (a parser that rounded `3642964946513370.0` to
/// `...369.5` once turned such a body into "malformed JSON").
#[tokio::test]
async fn whole_numbers_written_as_floats_are_read_as_the_numbers_they_are() {
    let server = TestServer::start().await;
    let protocol = server.publish_shipped(CHILD_FILE);
    let (device, token) = server.enrol("Amina").await;
    let as_floats = |record: &RecordEnvelope, last_seq: Option<f64>| {
        let mut value = serde_json::to_value(record).unwrap();
        value["protocol_version"] = json!(f64::from(record.protocol_version));
        let events = value["events"].as_array_mut().unwrap();
        for event in events.iter_mut() {
            event["seq"] = json!(event["seq"].as_u64().unwrap() as f64);
        }
        if let Some(seq) = last_seq {
            events.last_mut().unwrap()["seq"] = json!(seq);
        }
        value
    };
    let kept = seal(device, &protocol, child_session(&protocol));
    let renumbered = seal(device, &protocol, child_session(&protocol));
    let batch = json!({
        "wire_version": "v1",
        "records": [as_floats(&kept, None), as_floats(&renumbered, Some(3_642_964_946_513_370.0))],
    });
    let (status, body) = server.post("/api/v1/records", &token, &batch).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"][0]["status"], "stored", "{body}");
    // Read as the number it is, the far-off seq breaks the record's seal.
    assert_eq!(body["results"][1]["status"], "rejected", "{body}");
    assert!(
        body["results"][1]["reason"]
            .as_str()
            .unwrap()
            .contains("content hash"),
        "{body}"
    );
}

#[tokio::test]
async fn oversize_bodies_and_batches_are_refused_with_json_errors() {
    let server = TestServer::start_with(|c| {
        c.max_body_bytes = 64 * 1024;
        c.max_batch = 2;
    })
    .await;
    let protocol = server.publish_shipped(CHILD_FILE);
    let (device, token) = server.enrol("Amina").await;
    let big = json!({ "wire_version": "v1", "records": [], "padding": "x".repeat(100 * 1024) });
    let (status, body) = server.post("/api/v1/records", &token, &big).await;
    assert_eq!(status, 413);
    assert_eq!(body["error"]["code"], "body_too_large");

    let record = seal(device, &protocol, child_session(&protocol));
    let three = vec![record.clone(), record.clone(), record];
    let batch = json!({ "wire_version": "v1", "records": three });
    let (status, body) = server.post("/api/v1/records", &token, &batch).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"]["code"], "batch_too_large");
    let (_, status) = server.get("/api/v1/status", &token).await;
    assert_eq!(status["stored"], 0);
}

#[tokio::test]
async fn malformed_json_and_another_wire_version_say_what_is_wrong() {
    let server = TestServer::start().await;
    let (_, token) = server.enrol("Amina").await;
    let response = server
        .client
        .post(server.url("/api/v1/records"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{\"wire_version\": \"v1\", \"records\": [")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "malformed_json");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("RecordBatch"));

    let (status, body) = server
        .post(
            "/api/v1/records",
            &token,
            &json!({ "wire_version": "v2", "records": [] }),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "unsupported_wire_version");
}

#[tokio::test]
async fn an_unknown_protocol_version_asks_the_device_to_download_again() {
    let server = TestServer::start().await;
    let protocol = server.publish_shipped(CHILD_FILE);
    let (device, token) = server.enrol("Amina").await;
    let mut unpublished = (*protocol).clone();
    unpublished.version += 1;
    let unpublished = std::sync::Arc::new(unpublished);
    let record = seal(device, &unpublished, child_session(&unpublished));
    let results = server.submit(&token, &[record]).await;
    assert_eq!(results[0]["status"], "rejected");
    assert_eq!(
        results[0]["reason"],
        "unknown protocol version, download protocols again"
    );
    let (_, status) = server.get("/api/v1/status", &token).await;
    assert_eq!(status["rejected"], 1);
}

#[tokio::test]
async fn every_route_is_in_the_openapi_document() {
    let server = TestServer::start().await;
    let (_, token) = server.enrol("Amina").await;
    let doc: serde_json::Value = server
        .client
        .get(server.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let served = [
        ("get", "/healthz"),
        ("get", "/api/v1/openapi.json"),
        ("post", "/api/v1/enrol"),
        ("get", "/api/v1/protocols"),
        ("post", "/api/v1/records"),
        ("post", "/api/v1/tombstones"),
        ("get", "/api/v1/status"),
    ];
    for (method, path) in served {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} missing from the document"
        );
    }
    // And the other way: every documented operation is really served.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let request = match method.as_str() {
                "get" => server.client.get(server.url(path)),
                "post" => server.client.post(server.url(path)).json(&json!({})),
                other => panic!("unexpected method {other}"),
            };
            let status = request.bearer_auth(&token).send().await.unwrap().status();
            assert!(
                status != 404 && status != 405,
                "{method} {path} is documented but answers {status}"
            );
        }
    }
    // Unknown paths get the JSON error shape too.
    let (status, body) = server.get("/api/v1/nothing", &token).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found");
    let (status, body) = server.post("/healthz", &token, &json!({})).await;
    assert_eq!(status, 405);
    assert_eq!(body["error"]["code"], "method_not_allowed");
}

#[tokio::test]
async fn a_storage_failure_is_a_generic_json_error_without_internal_details() {
    let server = TestServer::start().await;
    let protocol = server.publish_shipped(CHILD_FILE);
    let (device, token) = server.enrol("Amina").await;
    // Break the database under the running server, as a damaged disk would.
    server
        .store
        .execute_sql("ALTER TABLE records RENAME TO records_gone");

    let record = seal(device, &protocol, child_session(&protocol));
    let batch = json!({ "wire_version": "v1", "records": [record] });
    let (status, body) = server.post("/api/v1/records", &token, &batch).await;
    assert_eq!(status, 500, "{body}");
    assert_eq!(body["error"]["code"], "internal");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("try again later"), "{message}");
    let text = body.to_string().to_lowercase();
    for detail in ["sqlite", "postgres", "records", "table", "sql", ".rs"] {
        assert!(!text.contains(detail), "{detail:?} leaked: {body}");
    }
}

#[tokio::test]
async fn tokens_and_enrolment_codes_are_stored_only_as_hashes() {
    let server = TestServer::start().await;
    let code = fieldkit_sync_server::admin::enrol(
        &*server.store,
        "Amina",
        &["en".to_owned()],
        1,
        OffsetDateTime::now_utc(),
    )
    .unwrap();
    let code = code.expose().to_owned();
    let (status, body) = server
        .post(
            "/api/v1/enrol",
            "",
            &json!({ "code": code, "device_name": "test phone", "code_of_practice": accepted() }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let token = body["token"].as_str().unwrap().to_owned();
    let (status, _) = server.get("/api/v1/protocols", &token).await;
    assert_eq!(status, 200);

    // Someone who copies the data folder (or dumps the database) finds
    // neither secret. The scan does see what is stored in the clear: the
    // researcher's name.
    let mut seen_researcher = server.store.holds_text("Amina");
    for entry in std::fs::read_dir(server.dir()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        seen_researcher |= bytes.windows(5).any(|w| w == b"Amina");
        for secret in [&token, &code, &code.replace('-', "")] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{secret} found on disk"
            );
        }
    }
    for secret in [&token, &code, &code.replace('-', "")] {
        assert!(
            !server.store.holds_text(secret),
            "{secret} found in the database"
        );
    }
    assert!(seen_researcher, "the scan read the database");
}

/// A batch is stored in one transaction, yet each record keeps the outcome
/// it would have alone: one refused or conflicting record changes nothing
/// for the others.
#[tokio::test]
async fn one_batch_mixing_every_outcome_gives_each_record_its_own_status() {
    let server = TestServer::start().await;
    let protocol = server.publish_shipped(CHILD_FILE);
    let (device, token) = server.enrol("Amina").await;
    let earlier = seal(device, &protocol, child_session(&protocol));
    let first = server.submit(&token, std::slice::from_ref(&earlier)).await;
    assert_eq!(first[0]["status"], "stored", "{first:?}");

    let fresh = seal(device, &protocol, child_session(&protocol));
    // Same id as `earlier`, other content: one more legal event.
    let mut events = earlier.events.clone();
    let end = events.pop().unwrap();
    events.push(fieldkit_protocols::engine::Event {
        seq: end.seq,
        at: end.at,
        kind: EventKind::NoteAdded { text: "n".into() },
    });
    events.push(end);
    let changed = reseal(fieldkit_protocols::wire::RecordEnvelope {
        events: renumber(events),
        ..earlier.clone()
    });
    // No respondent consent: the engine refuses it (R1).
    let mut events = child_session(&protocol);
    events.remove(position(&events, |k| {
        is_consent_by(k, &fieldkit_protocols::engine::Consenter::Respondent)
    }));
    let refused = seal(device, &protocol, renumber(events));

    let batch = [
        fresh.clone(),
        earlier.clone(),
        changed,
        refused.clone(),
        fresh.clone(),
    ];
    let results = server.submit(&token, &batch).await;
    let statuses: Vec<&str> = results
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["stored", "duplicate", "conflict", "rejected", "duplicate"],
        "{results:?}"
    );
    assert_eq!(results[3]["rule"], "R1", "{results:?}");
    let ids: Vec<String> = batch.iter().map(|r| r.record_id.to_string()).collect();
    let answered: Vec<&str> = results
        .iter()
        .map(|r| r["record_id"].as_str().unwrap())
        .collect();
    assert_eq!(answered, ids);

    // Exactly two records are stored, each as first sent; the refused one
    // is counted, never kept.
    let (_, status) = server.get("/api/v1/status", &token).await;
    assert_eq!(status["stored"], 2, "{status}");
    assert_eq!(status["rejected"], 1, "{status}");
    let analyst = Principal {
        role: Role::Analyst,
        id: "ana".into(),
    };
    let read = |id| {
        server
            .store
            .read_record(&analyst, id, OffsetDateTime::now_utc())
            .unwrap()
            .map(|json| {
                serde_json::from_str::<fieldkit_protocols::wire::RecordEnvelope>(&json).unwrap()
            })
    };
    assert_eq!(read(earlier.record_id), Some(earlier.clone()));
    assert_eq!(read(fresh.record_id), Some(fresh.clone()));
    assert_eq!(read(refused.record_id), None);
}
