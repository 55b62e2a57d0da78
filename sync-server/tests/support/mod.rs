//! A real server on 127.0.0.1:0 over a temporary SQLite file, an enrolled
//! device, and real session logs made with the protocols engine.
#![allow(dead_code)]

pub mod browser;

use std::sync::Arc;

use fieldkit_protocols::anonymise::RedactionReport;
use fieldkit_protocols::engine::{
    Consenter, Decision, Event, EventKind, Session, SessionKind, SessionStart, SkipReason, Step,
    StopReason,
};
use fieldkit_protocols::hash::ContentHash;
use fieldkit_protocols::wire::{RecordEnvelope, WireVersion};
use fieldkit_protocols::{library, parse_protocol, Protocol, Value};
use fieldkit_sync_server::admin;
use fieldkit_sync_server::store::SqliteStore;
use fieldkit_sync_server::Config;
use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

pub const CHILD_FILE: &str = "child-rapid-assessment.toml";

pub struct TestServer {
    pub dir: tempfile::TempDir,
    pub base: String,
    pub client: reqwest::Client,
    pub store: SqliteStore,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::start_with(|_| {}).await
    }

    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config {
            data: dir.path().to_owned(),
            ..Config::default()
        };
        adjust(&mut config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(fieldkit_sync_server::serve_until(
            config,
            listener,
            async move {
                let _ = stopped.await;
            },
        ));
        let store = SqliteStore::open_dir(dir.path()).unwrap();
        TestServer {
            dir,
            base,
            client: reqwest::Client::new(),
            store,
            stop: Some(stop),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Publishes a shipped protocol (with the demo study, as `demo` does)
    /// and returns it.
    pub fn publish_shipped(&self, file: &str) -> Arc<Protocol> {
        let source = library::demo_source(file);
        let (protocol, _) = admin::publish_bundle(
            &self.store,
            file,
            &source,
            &library::bundle(file),
            None,
            OffsetDateTime::now_utc(),
        )
        .unwrap();
        Arc::new(protocol)
    }

    /// Enrols a device through the API; returns its id and token.
    pub async fn enrol(&self, researcher: &str) -> (Uuid, String) {
        let code = admin::enrol(
            &self.store,
            researcher,
            &["en".to_owned()],
            14,
            OffsetDateTime::now_utc(),
        )
        .unwrap();
        let response = self
            .client
            .post(self.url("/api/v1/enrol"))
            .json(&json!({
                "code": code.expose(),
                "device_name": "test phone",
                "code_of_practice": accepted(),
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let body: serde_json::Value = response.json().await.unwrap();
        (
            body["device_id"].as_str().unwrap().parse().unwrap(),
            body["token"].as_str().unwrap().to_owned(),
        )
    }

    pub async fn post(
        &self,
        path: &str,
        token: &str,
        body: &serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let response = self
            .client
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    pub async fn get(&self, path: &str, token: &str) -> (u16, serde_json::Value) {
        let response = self
            .client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    /// Submits records; returns each record's result object.
    pub async fn submit(&self, token: &str, records: &[RecordEnvelope]) -> Vec<serde_json::Value> {
        let batch = json!({ "wire_version": "v1", "records": records });
        let (status, body) = self.post("/api/v1/records", token, &batch).await;
        assert_eq!(status, 200, "{body}");
        body["results"].as_array().unwrap().clone()
    }
}

/// A reference number with a valid check character, as the phone writes it
/// (the server refuses anything else, R21).
pub const RESPONDENT: &str = "7K2M-QW3R-Q";

/// The device time of event `n`, as the phone sends it: cut to the day (the
/// child protocol's precision, R21), today, so no time finding is made.
pub fn at(_n: usize) -> OffsetDateTime {
    OffsetDateTime::now_utc().date().midnight().assume_utc()
}

pub fn start(protocol: &Protocol, age: Option<u8>) -> SessionStart {
    SessionStart {
        session_id: Uuid::new_v4(),
        protocol_id: protocol.id.clone(),
        protocol_version: protocol.version,
        protocol_hash: protocol.content_hash(),
        language: "en".to_owned(),
        interviewer_languages: vec!["en".to_owned()],
        kind: SessionKind::Full,
        respondent: RESPONDENT.to_owned(),
        respondent_age: age,
        linked_child: None,
        site_type: None,
        weekday: None,
    }
}

/// A value the question accepts: the first choice, `false`, or small numbers.
fn plain_value(protocol: &Protocol, question_id: &str) -> Option<Value> {
    use fieldkit_protocols::QuestionKind as K;
    let q = protocol.question(question_id)?;
    let first = q.choices.first().map(|c| c.value.clone());
    Some(match q.kind {
        K::YesNo => Value::Bool(false),
        K::SingleChoice => Value::Choice(first?),
        K::MultipleChoice => Value::Choices(vec![first?]),
        K::Integer => Value::Integer(12),
        _ => return None,
    })
}

/// A complete, legal interview driven by the engine's own `next()`: every
/// consent given, screening negative, yes/no and choice questions answered,
/// the rest declined.
pub fn completed_session(protocol: &Arc<Protocol>, start: SessionStart) -> Vec<Event> {
    let mut session = Session::new(Arc::clone(protocol));
    session
        .record(EventKind::SessionStarted(start), at(0))
        .unwrap();
    for _ in 0..500 {
        let kind = match session.next() {
            Step::Introduction => EventKind::IntroductionGiven,
            Step::DataUse => EventKind::DataUseExplained {
                statement_hash: protocol.data_use_hash(),
            },
            Step::Consent { from } => EventKind::ConsentRecorded {
                by: from,
                decision: Decision::Given,
                audio_recording: false,
            },
            Step::Screening { item_id } => EventKind::ScreeningAnswered {
                item_id,
                positive: false,
            },
            Step::Question { question_id }
            | Step::SensitiveSection {
                first_question_id: question_id,
            } => match plain_value(protocol, &question_id) {
                Some(value) => EventKind::Answered { question_id, value },
                None => EventKind::Skipped {
                    question_id,
                    reason: SkipReason::DeclinedToAnswer,
                },
            },
            Step::RapportCheckpoint => EventKind::RapportConfirmed,
            Step::Closing => EventKind::Completed,
            Step::Finished => break,
            other => panic!("the test driver does not handle {other:?}"),
        };
        let n = session.events().len();
        session
            .record(kind, at(n))
            .unwrap_or_else(|r| panic!("driver step refused: {r}"));
    }
    session.events().to_vec()
}

pub fn child_session(protocol: &Arc<Protocol>) -> Vec<Event> {
    completed_session(protocol, start(protocol, Some(12)))
}

/// Renumbers `seq` and times after an edit, so only the edit is wrong.
pub fn renumber(mut events: Vec<Event>) -> Vec<Event> {
    for (i, e) in events.iter_mut().enumerate() {
        e.seq = i as u64;
        e.at = at(i);
    }
    events
}

/// Seals events into an envelope the way the phone does.
pub fn seal(device: Uuid, protocol: &Protocol, events: Vec<Event>) -> RecordEnvelope {
    let mut envelope = RecordEnvelope {
        wire_version: WireVersion,
        record_id: Uuid::new_v4(),
        device_id: device,
        protocol_id: protocol.id.clone(),
        protocol_version: protocol.version,
        protocol_hash: protocol.content_hash(),
        respondent: RESPONDENT.to_owned(),
        events,
        redactions: RedactionReport::default(),
        content_hash: ContentHash(String::new()),
    };
    envelope.content_hash = envelope.computed_hash();
    envelope
}

pub fn reseal(mut envelope: RecordEnvelope) -> RecordEnvelope {
    envelope.content_hash = envelope.computed_hash();
    envelope
}

pub fn position(events: &[Event], pred: impl Fn(&EventKind) -> bool) -> usize {
    events
        .iter()
        .position(|e| pred(&e.kind))
        .expect("event present in the log")
}

/// A shipped protocol as `demo` publishes it.
pub fn shipped_protocol(file: &str) -> Protocol {
    parse_protocol(file, &library::demo_source(file)).unwrap()
}

pub fn is_consent_by(kind: &EventKind, who: &Consenter) -> bool {
    matches!(kind, EventKind::ConsentRecorded { by, .. } if by == who)
}

pub fn stopped() -> EventKind {
    EventKind::Stopped {
        reason: StopReason::Withdrew,
    }
}

/// A researcher's acceptance of the code of practice, as a phone sends it
/// at enrolment (R15).
pub fn accepted() -> fieldkit_protocols::wire::CodeOfPracticeAcceptance {
    fieldkit_protocols::wire::CodeOfPracticeAcceptance {
        language: "en".to_owned(),
        accepted_at: time::macros::datetime!(2026-01-05 09:00 UTC),
    }
}
