//! `fieldkit-server export` as an operator runs it: the built binary over a
//! real SQLite data folder filled through the real sync API. Each format is
//! checked for what an analyst would notice, withdrawn records are absent,
//! every export is audited (R22), and a mistake writes nothing.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;

use fieldkit_protocols::engine::EventKind;
use fieldkit_protocols::wire::{RecordEnvelope, Tombstone, TombstoneStatus};
use fieldkit_protocols::Protocol;
use fieldkit_sync_server::access::{Principal, Role};
use fieldkit_sync_server::export::RAPID_ASSESSMENT_CAVEAT;

use support::*;
use time::OffsetDateTime;

const BIN: &str = env!("CARGO_BIN_EXE_fieldkit-server");

struct Fixture {
    server: TestServer,
    protocol: std::sync::Arc<Protocol>,
    kept: Vec<RecordEnvelope>,
    withdrawn: RecordEnvelope,
}

/// Three interviews (ages 9, 12 and 15) stored through the API, and a
/// fourth stored and then withdrawn by its tombstone (R9).
async fn fixture() -> Fixture {
    let server = TestServer::start().await;
    let protocol = server.publish_shipped(CHILD_FILE);
    let (device, token) = server.enrol("export researcher").await;
    let mut all: Vec<RecordEnvelope> = [9, 12, 15, 11]
        .into_iter()
        .map(|age| {
            let events = completed_session(&protocol, start(&protocol, Some(age)));
            seal(device, &protocol, events)
        })
        .collect();
    for result in server.submit(&token, &all).await {
        assert_eq!(result["status"], "stored", "{result}");
    }
    let withdrawn = all.pop().unwrap();
    let tombstone = Tombstone::new(
        uuid::Uuid::new_v4(),
        withdrawn.record_id,
        device,
        OffsetDateTime::now_utc().date(),
    );
    let status = server
        .store
        .apply_tombstone(&tombstone, OffsetDateTime::now_utc())
        .unwrap();
    assert_eq!(status, TombstoneStatus::Deleted);
    Fixture {
        server,
        protocol,
        kept: all,
        withdrawn,
    }
}

fn export(store: &TestStore, protocol: &str, format: &str, out: &Path) -> Output {
    store
        .cli(BIN)
        .args(["export", "--data"])
        .arg(store.dir.path())
        .args(["--protocol", protocol, "--format", format, "-o"])
        .arg(out)
        .output()
        .unwrap()
}

impl Fixture {
    /// Runs a successful export and returns the file's text.
    fn export_ok(&self, format: &str) -> String {
        let out = self.out(format);
        let output = export(&self.server.store, &self.protocol.id, format, &out);
        assert!(
            output.status.success(),
            "export {format} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        std::fs::read_to_string(&out).unwrap()
    }

    fn out(&self, format: &str) -> PathBuf {
        self.server.dir().join(format!("out-{format}.txt"))
    }

    fn exports_audited(&self) -> Vec<(String, String, String)> {
        let admin = Principal {
            role: Role::Admin,
            id: "test".to_owned(),
        };
        self.server
            .store
            .audit_log(&admin)
            .unwrap()
            .into_iter()
            .filter(|e| e.action.starts_with("export:"))
            .map(|e| (e.actor, e.action, e.target))
            .collect()
    }

    fn kept_ids(&self) -> BTreeSet<String> {
        self.kept.iter().map(|e| e.record_id.to_string()).collect()
    }

    /// Questions a CSV names: every question except identifying ones (R21).
    fn exported_questions(&self) -> Vec<String> {
        self.protocol
            .questions()
            .filter(|q| !q.identifying)
            .map(|q| q.id.clone())
            .collect()
    }
}

/// The data lines of a CSV export: the caveat comment line is skipped.
fn csv_lines(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect()
}

/// How many answer slots a session filled (answered or skipped).
fn answer_events(envelope: &RecordEnvelope, exported: &[String]) -> usize {
    envelope
        .events
        .iter()
        .filter(|e| match &e.kind {
            EventKind::Answered { question_id, .. } | EventKind::Skipped { question_id, .. } => {
                exported.contains(question_id)
            }
            _ => false,
        })
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn csv_wide_has_one_row_per_kept_record_and_the_protocols_columns() {
    let f = fixture().await;
    let text = f.export_ok("csv-wide");
    assert!(
        text.starts_with(&format!("# {RAPID_ASSESSMENT_CAVEAT}")),
        "rapid assessment caveat first (R25):\n{text}"
    );
    let lines = csv_lines(&text);
    let header = &lines[0];
    assert_eq!(header[0], "record_id");
    assert!(header.contains(&"age_group".to_owned()));
    let questions = f.exported_questions();
    // Not reviewed yet: every record is `received`.
    assert_eq!(header[8], "review_state");
    assert!(lines[1..].iter().all(|r| r[8] == "received"), "{lines:?}");
    assert_eq!(
        &header[9..],
        questions.as_slice(),
        "one column per question"
    );
    let identifying: Vec<_> = f.protocol.questions().filter(|q| q.identifying).collect();
    for q in identifying {
        assert!(
            !header.contains(&q.id),
            "identifying column {} exported",
            q.id
        );
    }
    let rows = &lines[1..];
    let ids: BTreeSet<String> = rows.iter().map(|r| r[0].clone()).collect();
    assert_eq!(ids, f.kept_ids(), "one row per stored record");
    assert!(!text.contains(&f.withdrawn.record_id.to_string()));
    for row in rows {
        assert_eq!(row.len(), header.len(), "row width matches the header");
        assert_eq!(row[6], "completed");
    }
    // The age question's answer (12 in every fixture session) wins over the
    // age noted at the start (9, 12, 15): all rows fall in one group.
    assert!(rows.iter().all(|r| r[7] == "12-14"), "age groups: {rows:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn csv_long_has_one_row_per_answer() {
    let f = fixture().await;
    let text = f.export_ok("csv-long");
    let lines = csv_lines(&text);
    assert_eq!(
        lines[0],
        [
            "record_id",
            "question_id",
            "status",
            "value",
            "review_state"
        ]
    );
    let questions = f.exported_questions();
    let expected: usize = f.kept.iter().map(|e| answer_events(e, &questions)).sum();
    assert!(expected > 10, "the fixture answers questions");
    assert_eq!(lines.len() - 1, expected, "one row per answer slot");
    for row in &lines[1..] {
        assert!(f.kept_ids().contains(&row[0]), "row of an unknown record");
        assert!(questions.contains(&row[1]), "unknown question {}", row[1]);
        assert!(
            (row[2] == "answered" && !row[3].is_empty()) || (row[2] == "declined"),
            "{row:?}"
        );
        assert_eq!(row[4], "received", "{row:?}");
    }
    assert!(!text.contains(&f.withdrawn.record_id.to_string()));
}

#[tokio::test(flavor = "multi_thread")]
async fn json_lists_each_kept_record_with_its_answers() {
    let f = fixture().await;
    let text = f.export_ok("json");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(doc["protocol_id"], f.protocol.id.as_str());
    assert_eq!(doc["caveat"], RAPID_ASSESSMENT_CAVEAT);
    let records = doc["records"].as_array().unwrap();
    let ids: BTreeSet<String> = records
        .iter()
        .map(|r| r["record_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, f.kept_ids());
    let questions = f.exported_questions();
    for record in records {
        let envelope = f
            .kept
            .iter()
            .find(|e| record["record_id"] == e.record_id.to_string())
            .unwrap();
        let answered = envelope
            .events
            .iter()
            .filter(|e| {
                matches!(&e.kind, EventKind::Answered { question_id, .. }
                    if questions.contains(question_id))
            })
            .count();
        assert_eq!(record["answers"].as_object().unwrap().len(), answered);
        assert_eq!(record["status"], "completed");
        assert_eq!(record["review_state"], "received");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn codebook_lists_every_question_with_its_choices_and_purpose() {
    let f = fixture().await;
    let text = f.export_ok("codebook");
    assert!(text.contains(&format!("({})", f.protocol.id)));
    assert!(text.contains(RAPID_ASSESSMENT_CAVEAT));
    for q in f.protocol.questions() {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("| {} ", q.id)))
            .unwrap_or_else(|| panic!("question {} missing from the codebook", q.id));
        assert!(line.contains(&q.purpose.to_string()), "purpose of {}", q.id);
        for c in &q.choices {
            assert!(
                line.contains(&format!("`{}`", c.value)),
                "choice {} of {}",
                c.value,
                q.id
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn methodology_names_the_protocol_method_caveat_and_suppression() {
    let f = fixture().await;
    let text = f.export_ok("methodology");
    assert!(text.starts_with("# Methodology: "));
    assert!(text.contains(&f.protocol.id));
    assert!(text.contains(&format!("Method: {}", f.protocol.method.as_str())));
    assert!(text.contains(RAPID_ASSESSMENT_CAVEAT), "R25 caveat");
    assert!(
        text.contains("- Sessions: 3 between"),
        "withdrawn not counted:\n{text}"
    );
    assert!(text.contains(&format!(
        "smaller than {} are suppressed (R27)",
        f.protocol.privacy.min_cell_size
    )));
}

#[tokio::test(flavor = "multi_thread")]
async fn every_export_is_audited_as_the_cli() {
    let f = fixture().await;
    for format in ["csv-wide", "csv-long", "json", "codebook", "methodology"] {
        f.export_ok(format);
    }
    let audited = f.exports_audited();
    let actions: Vec<&str> = audited.iter().map(|(_, a, _)| a.as_str()).collect();
    for format in ["csv-wide", "csv-long", "json", "codebook", "methodology"] {
        assert!(
            actions.contains(&format!("export:{format}").as_str()),
            "{format} not audited: {audited:?}"
        );
    }
    assert!(audited
        .iter()
        .all(|(actor, _, target)| actor.contains("cli") && *target == f.protocol.id));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mistake_says_what_to_do_and_writes_nothing() {
    let f = fixture().await;
    let cases = [
        (f.protocol.id.as_str(), "xlsx", "csv-wide, csv-long, json"),
        ("no-such-protocol", "csv-wide", "protocol list"),
    ];
    for (protocol, format, hint) in cases {
        let out = f.out("mistake");
        let output = export(&f.server.store, protocol, format, &out);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{protocol} {format} succeeded");
        assert!(
            stderr.contains(hint),
            "stderr should say `{hint}`: {stderr}"
        );
        assert!(!out.exists(), "a file was written");
        assert!(
            !out.with_extension("partial").exists(),
            "a partial file was left"
        );
    }
    assert!(
        f.exports_audited().is_empty(),
        "a refused export was audited as done"
    );
}

/// The scan reads through its own connection: ingest stores a record while
/// an export is half-way, and the export sees its own consistent snapshot.
#[tokio::test(flavor = "multi_thread")]
async fn ingest_goes_on_during_an_export() {
    let f = fixture().await;
    let device = f.server.store.devices().unwrap().remove(0);
    let late = seal(device.device_id, &f.protocol, child_session(&f.protocol));
    let ingest = f.server.store.reopen();
    let cache = fieldkit_sync_server::verify::ProtocolCache::default();
    let analyst = Principal {
        role: Role::Analyst,
        id: "analyst".to_owned(),
    };
    let mut stored_during = None;
    let visited = f
        .server
        .store
        .scan_records(
            &analyst,
            fieldkit_sync_server::store::ScanPurpose::Answers {
                action: "export:test",
            },
            &f.protocol.id,
            OffsetDateTime::now_utc(),
            &mut |_| {
                if stored_during.is_none() {
                    stored_during = Some(fieldkit_sync_server::verify::verify_and_store(
                        &*ingest,
                        &cache,
                        &device,
                        &late,
                        OffsetDateTime::now_utc(),
                    ));
                }
                Ok(())
            },
        )
        .unwrap();
    let status = stored_during.expect("the scan visited a record").unwrap();
    assert_eq!(
        serde_json::to_value(&status).unwrap()["status"],
        "stored",
        "{status:?}"
    );
    assert_eq!(visited, 3, "the running export keeps its snapshot");
    assert!(f
        .export_ok("csv-wide")
        .contains(&late.record_id.to_string()));
}
