//! A real server on 127.0.0.1:0 over a temporary store, an enrolled
//! device, and real session logs made with the protocols engine.
//!
//! The store is a SQLite file in a temporary folder, or, when
//! `FIELDKIT_TEST_POSTGRES` names a PostgreSQL server (`scripts/test` starts
//! one), a fresh database of its own on that server: the same tests run
//! against both backends.
#![allow(dead_code)]

pub mod browser;
pub mod validation;

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
use fieldkit_sync_server::config::DatabaseUrl;
use fieldkit_sync_server::store::postgres::scratch::ScratchDatabase;
use fieldkit_sync_server::store::{self, Store};
use fieldkit_sync_server::Config;
use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

pub const CHILD_FILE: &str = "child-rapid-assessment.toml";

/// A test's own store: a temporary folder (for SQLite, and anything else a
/// test writes) and, on PostgreSQL runs, a scratch database dropped with it.
/// Derefs to the store, so `&test_store` is a `&dyn Store`.
pub struct TestStore {
    pub store: Arc<dyn Store>,
    pub config: Config,
    // Dropped after `store`: the scratch database goes last.
    pub db: Option<ScratchDatabase>,
    pub dir: tempfile::TempDir,
}

impl std::ops::Deref for TestStore {
    type Target = dyn Store;
    fn deref(&self) -> &(dyn Store + 'static) {
        &*self.store
    }
}

impl TestStore {
    pub fn new() -> TestStore {
        TestStore::with(|_| {})
    }

    pub fn with(adjust: impl FnOnce(&mut Config)) -> TestStore {
        let dir = tempfile::tempdir().unwrap();
        let db = ScratchDatabase::from_env();
        let mut config = Config {
            data: dir.path().to_owned(),
            database: db.as_ref().map(|db| DatabaseUrl::new(db.url.clone())),
            ..Config::default()
        };
        adjust(&mut config);
        // A test that chose its own database has no use for the scratch one.
        let db = db.filter(|db| config.database.as_ref().map(|u| u.expose()) == Some(&*db.url));
        let store = store::open(&config).unwrap();
        TestStore {
            store,
            config,
            db,
            dir,
        }
    }

    /// Publishes a shipped protocol (with the demo study, as `demo` does)
    /// and returns it.
    pub fn publish_shipped(&self, file: &str) -> Arc<Protocol> {
        let source = library::demo_source(file);
        let (protocol, _) = admin::publish_bundle(
            &**self,
            file,
            &source,
            &library::bundle(file),
            None,
            OffsetDateTime::now_utc(),
        )
        .unwrap();
        Arc::new(protocol)
    }

    /// A second, independent handle on the same data (another connection,
    /// as a second process or instance would have).
    pub fn reopen(&self) -> Arc<dyn Store> {
        store::open(&self.config).unwrap()
    }

    /// Whether anything stored holds `needle` as text (the SQLite file's
    /// bytes, or every row of every PostgreSQL table).
    pub fn holds_text(&self, needle: &str) -> bool {
        match &self.db {
            Some(db) => db.contains_text(needle).unwrap(),
            None => {
                let file = std::fs::read(self.dir.path().join("fieldkit.sqlite3")).unwrap();
                file.windows(needle.len()).any(|w| w == needle.as_bytes())
            }
        }
    }

    /// Runs SQL on the database behind the store, as an operator could.
    pub fn execute_sql(&self, sql: &str) {
        match &self.db {
            Some(db) => db.execute(sql).unwrap(),
            None => rusqlite::Connection::open(self.dir.path().join("fieldkit.sqlite3"))
                .unwrap()
                .execute_batch(sql)
                .unwrap(),
        }
    }

    /// One query's rows, every value as text (`None` for NULL), on either
    /// backend: write SQL both understand, with values quoted by [`sql_text`].
    pub fn query(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        match &self.db {
            Some(db) => db.query(sql).unwrap(),
            None => {
                let conn = rusqlite::Connection::open_with_flags(
                    self.dir.path().join("fieldkit.sqlite3"),
                    rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
                )
                .unwrap();
                let mut stmt = conn.prepare(sql).unwrap();
                let width = stmt.column_count();
                stmt.query_map([], |r| {
                    (0..width)
                        .map(|i| {
                            Ok(match r.get_ref(i)? {
                                rusqlite::types::ValueRef::Null => None,
                                rusqlite::types::ValueRef::Integer(n) => Some(n.to_string()),
                                rusqlite::types::ValueRef::Real(x) => Some(x.to_string()),
                                rusqlite::types::ValueRef::Text(t)
                                | rusqlite::types::ValueRef::Blob(t) => {
                                    Some(String::from_utf8_lossy(t).into_owned())
                                }
                            })
                        })
                        .collect()
                })
                .unwrap()
                .map(Result::unwrap)
                .collect()
            }
        }
    }

    /// The single number a `SELECT COUNT(*) ...` query returns.
    pub fn count(&self, sql: &str) -> i64 {
        self.query(sql)[0][0].as_deref().unwrap().parse().unwrap()
    }

    /// The `fieldkit-server` binary pointed at this store: `--data` is the
    /// folder, and `FIELDKIT_DATABASE` names the PostgreSQL database if any.
    pub fn cli(&self, binary: &str) -> std::process::Command {
        let mut command = std::process::Command::new(binary);
        command.env_remove("FIELDKIT_DATA");
        match &self.db {
            Some(db) => command.env("FIELDKIT_DATABASE", &db.url),
            None => command.env_remove("FIELDKIT_DATABASE"),
        };
        command
    }

    /// The backend's name, for messages: `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        if self.config.database.is_some() {
            "postgres"
        } else {
            "sqlite"
        }
    }
}

/// `text` as an SQL string literal, for [`TestStore::query`].
pub fn sql_text(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// A second server instance over a [`TestServer`]'s store; stops when dropped.
pub struct Instance {
    pub base: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

pub struct TestServer {
    pub base: String,
    pub client: reqwest::Client,
    pub store: TestStore,
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
        let store = TestStore::with(adjust);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(fieldkit_sync_server::serve_until(
            store.config.clone(),
            listener,
            async move {
                let _ = stopped.await;
            },
        ));
        TestServer {
            base,
            client: reqwest::Client::new(),
            store,
            stop: Some(stop),
        }
    }

    /// Another instance serving the same store (the same database, or the
    /// same SQLite file), as a second process behind a balancer would.
    pub async fn another_instance(&self) -> Instance {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(fieldkit_sync_server::serve_until(
            self.store.config.clone(),
            listener,
            async move {
                let _ = stopped.await;
            },
        ));
        Instance { base, _stop: stop }
    }

    /// The same requests as [`TestServer::post`], sent to `instance`.
    pub async fn post_to(
        &self,
        instance: &Instance,
        path: &str,
        token: &str,
        body: &serde_json::Value,
    ) -> (u16, serde_json::Value) {
        self.post_at(&instance.base, path, token, body).await
    }

    /// The data folder (SQLite file, TLS files a test writes, ...).
    pub fn dir(&self) -> &std::path::Path {
        self.store.dir.path()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Publishes a shipped protocol (with the demo study, as `demo` does)
    /// and returns it.
    pub fn publish_shipped(&self, file: &str) -> Arc<Protocol> {
        self.store.publish_shipped(file)
    }

    /// Enrols a device through the API; returns its id and token.
    pub async fn enrol(&self, researcher: &str) -> (Uuid, String) {
        let code = admin::enrol(
            &*self.store,
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
        self.post_at(&self.base, path, token, body).await
    }

    async fn post_at(
        &self,
        base: &str,
        path: &str,
        token: &str,
        body: &serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let response = self
            .client
            .post(format!("{base}{path}"))
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
        findings_pack: None,
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
            // Focus groups: participants join by code until the group is big enough.
            Step::Roster => EventKind::ParticipantAdded {
                code: format!("P{}", session.roster().len() + 1),
                age: Some(15),
            },
            Step::Closing => EventKind::Completed,
            Step::Finished => break,
            other => panic!("the test driver does not handle {other:?}"),
        };
        let n = session.events().len();
        // A plain value a question's constraint refuses (a count larger
        // than the group): declined instead.
        let kind = match (kind, session.clone()) {
            (EventKind::Answered { question_id, value }, mut trial) => {
                let answer = EventKind::Answered {
                    question_id: question_id.clone(),
                    value,
                };
                if trial.record(answer.clone(), at(n)).is_ok() {
                    answer
                } else {
                    EventKind::Skipped {
                        question_id,
                        reason: SkipReason::DeclinedToAnswer,
                    }
                }
            }
            (other, _) => other,
        };
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
        duration_minutes: None,
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
