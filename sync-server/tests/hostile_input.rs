//! Whatever a device sends (a buggy build, a tampered phone, someone who
//! stole a token), the server answers with a JSON status per record or a JSON
//! error, never a 5xx or a crash, and stores only sessions that the engine
//! itself accepts when replayed. A property test over a real server on
//! 127.0.0.1, standing in for a fuzzer of the device API.

mod support;

use fieldkit_protocols::engine::{Event, Session, Status};
use fieldkit_protocols::wire::RecordEnvelope;
use fieldkit_protocols::Value;
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};
use serde_json::{json, Value as Json};
use support::*;
use uuid::Uuid;

/// A change to the event log, resealed so the content hash still matches
/// and the engine, not the hash check, has to judge it.
#[derive(Debug, Clone)]
enum LogEdit {
    Drop(prop::sample::Index),
    Duplicate(prop::sample::Index),
    Swap(prop::sample::Index, prop::sample::Index),
    /// Gives an `Answered` event another value, possibly of another kind.
    Answer(prop::sample::Index, Value),
}

/// A change to the JSON text of the batch, as an attacker would make it.
#[derive(Debug, Clone)]
enum JsonEdit {
    /// Replaces the node at this walk position with a scalar or container.
    Replace(prop::sample::Index, Json),
    /// Cuts the body short.
    Truncate(prop::sample::Index),
}

#[derive(Debug, Clone)]
enum Attack {
    Log {
        edits: Vec<LogEdit>,
        renumber: bool,
    },
    Json {
        edit: JsonEdit,
        /// Re-read the edited record and reseal it, when it still parses.
        reseal: bool,
    },
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Integer),
        (-1e6f64..1e6).prop_map(Value::Decimal),
        ".{0,12}".prop_map(Value::Text),
        "[a-z_]{1,8}".prop_map(Value::Choice),
        prop::collection::vec("[a-z_]{1,8}", 0..4).prop_map(Value::Choices),
        any::<u32>().prop_map(Value::Count),
    ]
}

fn json_leaf() -> impl Strategy<Value = Json> {
    prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        Just(json!(u64::MAX)),
        Just(json!(-1)),
        Just(json!(1e308)),
        ".{0,16}".prop_map(Json::String),
        Just(json!([])),
        Just(json!({})),
        Just(json!("00000000-0000-0000-0000-000000000000")),
        Just(json!("v2")),
    ]
}

fn attack() -> impl Strategy<Value = Attack> {
    let index = any::<prop::sample::Index>;
    let log_edit = prop_oneof![
        index().prop_map(LogEdit::Drop),
        index().prop_map(LogEdit::Duplicate),
        (index(), index()).prop_map(|(a, b)| LogEdit::Swap(a, b)),
        (index(), value()).prop_map(|(i, v)| LogEdit::Answer(i, v)),
    ];
    let json_edit = prop_oneof![
        3 => (index(), json_leaf()).prop_map(|(i, v)| JsonEdit::Replace(i, v)),
        1 => index().prop_map(JsonEdit::Truncate),
    ];
    prop_oneof![
        (prop::collection::vec(log_edit, 1..4), any::<bool>())
            .prop_map(|(edits, renumber)| Attack::Log { edits, renumber }),
        (json_edit, any::<bool>()).prop_map(|(edit, reseal)| Attack::Json { edit, reseal }),
    ]
}

fn edit_log(mut events: Vec<Event>, edits: &[LogEdit], renumber_after: bool) -> Vec<Event> {
    for edit in edits {
        if events.is_empty() {
            break;
        }
        match edit {
            LogEdit::Drop(i) => {
                events.remove(i.index(events.len()));
            }
            LogEdit::Duplicate(i) => {
                let event = events[i.index(events.len())].clone();
                events.insert(i.index(events.len()), event);
            }
            LogEdit::Swap(a, b) => {
                let (a, b) = (a.index(events.len()), b.index(events.len()));
                events.swap(a, b);
            }
            LogEdit::Answer(i, new) => {
                let answered: Vec<usize> = (0..events.len())
                    .filter(|&k| {
                        matches!(
                            events[k].kind,
                            fieldkit_protocols::engine::EventKind::Answered { .. }
                        )
                    })
                    .collect();
                if let Some(&k) = answered.get(i.index(answered.len().max(1))) {
                    if let fieldkit_protocols::engine::EventKind::Answered { value, .. } =
                        &mut events[k].kind
                    {
                        *value = new.clone();
                    }
                }
            }
        }
    }
    if renumber_after {
        renumber(events)
    } else {
        events
    }
}

/// Every node of a JSON tree, in a fixed walk order, as a mutable reference
/// reached by a path of keys and indexes.
fn node_count(value: &Json) -> usize {
    1 + match value {
        Json::Array(items) => items.iter().map(node_count).sum(),
        Json::Object(map) => map.values().map(node_count).sum(),
        _ => 0,
    }
}

fn replace_node(value: &mut Json, mut target: usize, with: &Json) -> bool {
    if target == 0 {
        *value = with.clone();
        return true;
    }
    target -= 1;
    let children: Vec<&mut Json> = match value {
        Json::Array(items) => items.iter_mut().collect(),
        Json::Object(map) => map.values_mut().collect(),
        _ => return false,
    };
    for child in children {
        let size = node_count(child);
        if target < size {
            return replace_node(child, target, with);
        }
        target -= size;
    }
    false
}

/// The body to send, and the events of its one record if it is well formed.
fn body_for(envelope: &RecordEnvelope, attack: &Attack) -> (Vec<u8>, Option<Vec<Event>>) {
    match attack {
        Attack::Log { edits, renumber } => {
            let events = edit_log(envelope.events.clone(), edits, *renumber);
            let record = reseal(RecordEnvelope {
                events: events.clone(),
                ..envelope.clone()
            });
            let body = json!({ "wire_version": "v1", "records": [record] });
            (serde_json::to_vec(&body).unwrap(), Some(events))
        }
        Attack::Json {
            edit,
            reseal: again,
        } => {
            let mut body = json!({ "wire_version": "v1", "records": [envelope] });
            match edit {
                JsonEdit::Truncate(at) => {
                    let text = serde_json::to_vec(&body).unwrap();
                    (text[..at.index(text.len())].to_vec(), None)
                }
                JsonEdit::Replace(at, with) => {
                    let target = at.index(node_count(&body));
                    replace_node(&mut body, target, with);
                    let record = body["records"].get(0).cloned();
                    let parsed = record.and_then(|r| serde_json::from_value(r).ok());
                    match parsed {
                        Some(record) if *again => {
                            let record: RecordEnvelope = reseal(record);
                            let events = record.events.clone();
                            body["records"][0] = serde_json::to_value(&record).unwrap();
                            (serde_json::to_vec(&body).unwrap(), Some(events))
                        }
                        Some(record) => {
                            let record: RecordEnvelope = record;
                            (serde_json::to_vec(&body).unwrap(), Some(record.events))
                        }
                        None => (serde_json::to_vec(&body).unwrap(), None),
                    }
                }
            }
        }
    }
}

#[test]
fn hostile_batches_get_json_answers_and_only_sessions_the_engine_accepts_are_stored() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(TestServer::start_with(|c| {
        // This test is about content, not pace.
        c.rate_per_minute = 1_000_000;
        c.rate_burst = 1_000_000;
    }));
    let protocol = server.publish_shipped(CHILD_FILE);
    let (device, token) = runtime.block_on(server.enrol("Amina"));
    let stored = std::cell::Cell::new(0u64);

    let mut runner = TestRunner::new(ProptestConfig {
        cases: 96,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let result = runner.run(&attack(), |attack| {
        let mut envelope = seal(device, &protocol, child_session(&protocol));
        envelope.record_id = Uuid::new_v4();
        let envelope = reseal(envelope);
        let (body, events) = body_for(&envelope, &attack);
        let (status, answer) = runtime.block_on(async {
            let response = server
                .client
                .post(server.url("/api/v1/records"))
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let bytes = response.bytes().await.unwrap();
            (status, serde_json::from_slice::<Json>(&bytes))
        });
        let answer = answer.map_err(|e| TestCaseError::fail(format!("{status}: not JSON: {e}")))?;
        prop_assert!(status < 500, "{status}: {answer}");
        if status != 200 {
            prop_assert!(answer["error"]["code"].is_string(), "{status}: {answer}");
            prop_assert!(answer["error"]["message"].is_string(), "{status}: {answer}");
            return Ok(());
        }
        let results = answer["results"].as_array().expect("results");
        for result in results {
            let outcome = result["status"].as_str().unwrap_or_default();
            prop_assert!(
                ["stored", "duplicate", "conflict", "rejected"].contains(&outcome),
                "{result}"
            );
            if outcome == "stored" {
                stored.set(stored.get() + 1);
                // Checked without the server's code: the engine replays it.
                let events = events.clone().expect("a stored record was well formed");
                let session = Session::replay(protocol.clone(), events);
                prop_assert!(
                    session.is_ok(),
                    "stored but the engine refuses it: {attack:?}"
                );
                let status = session.unwrap().status();
                prop_assert!(
                    matches!(status, Status::Completed | Status::Stopped(_)),
                    "stored an unfinished session: {status:?}"
                );
            }
            if outcome == "rejected" {
                prop_assert!(
                    result["reason"].as_str().is_some_and(|r| !r.is_empty()),
                    "{result}"
                );
                if let Some(events) = &events {
                    if let Err(refused) = Session::replay(protocol.clone(), events.clone()) {
                        // The hash check may refuse first; if the engine is
                        // what refused, the rule named is the engine's.
                        if result["reason"].as_str().unwrap().contains("was refused") {
                            let rule = serde_json::to_value(refused.refusal.rule).unwrap();
                            prop_assert_eq!(&result["rule"], &rule, "{}", result);
                        }
                    }
                }
            }
        }
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
    // The server is still up and its count agrees with what it answered.
    let status = runtime.block_on(async {
        let health = server
            .client
            .get(server.url("/healthz"))
            .send()
            .await
            .unwrap();
        assert_eq!(health.status(), 200);
        server.get("/api/v1/status", &token).await
    });
    assert_eq!(status.1["stored"], stored.get(), "{}", status.1);
}
