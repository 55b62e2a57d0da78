//! The world the adversarial suites run in: a real server on loopback over
//! a real SQLite file, two enrolled devices, the shipped child interview
//! with an identifying question and a coarse location added (published as
//! its own protocol), and the shipped key-informant protocol for adults.
//! Each case sends one envelope built by `adversary_client` and checks the
//! HTTP status, the record's status and rule, and what the SQLite file holds.
#![allow(dead_code)]

use std::cell::Cell;

use serde_json::{json, Value as Json};

use super::adversary_client::*;
use super::support::{sql_text, TestServer, CHILD_FILE};

pub const KEY_INFORMANT_FILE: &str = "key-informant.toml";
pub const ADVERSARY_PROTOCOL: &str = "child-rapid-assessment-adversary";

/// The questions added to the child interview: an identifying one (never
/// leaves the phone, R21) and a coarse location (kept to one decimal).
const CONTACT_SECTION: &str = r#"
[[sections]]
id = "contact"
title = { en = "Staying in touch", fr = "Rester en contact" }

[[sections.questions]]
id = "first_name"
text = { en = "What first name would you like me to use for you?", fr = "Quel prénom veux-tu que j'utilise pour toi ?" }
kind = "text"
purpose = "rq1"
required = false
identifying = true

[[sections.questions]]
id = "home_area"
text = { en = "Which part of the region did you come from?", fr = "De quelle partie de la région viens-tu ?" }
kind = "coarse_location"
purpose = "rq1"
required = false

"#;

pub struct World {
    pub server: TestServer,
    pub client: reqwest::Client,
    pub child: Listing,
    pub adults: Listing,
    pub a: Device,
    pub b: Device,
    next: Cell<u64>,
}

/// What a case must end as.
#[derive(Debug, Clone, Copy)]
pub struct Expect {
    pub status: &'static str,
    pub rule: Option<&'static str>,
}

pub const STORED: Expect = Expect {
    status: "stored",
    rule: None,
};

pub fn rejected(rule: &'static str) -> Expect {
    Expect {
        status: "rejected",
        rule: Some(rule),
    }
}

/// Rejected by plain bookkeeping (no ethics rule): sequence, clock order.
pub const REJECTED_PLAIN: Expect = Expect {
    status: "rejected",
    rule: None,
};

impl World {
    pub async fn new() -> World {
        let server = TestServer::start().await;
        server.publish_shipped(CHILD_FILE);
        server.publish_shipped(KEY_INFORMANT_FILE);
        let (a_id, a_token) = server.enrol("Amina").await;
        let (b_id, b_token) = server.enrol("Bo").await;
        let a = Device {
            id: a_id.to_string(),
            token: a_token,
        };
        let b = Device {
            id: b_id.to_string(),
            token: b_token,
        };
        let client = reqwest::Client::new();
        let listed = list(&server, &a).await;
        let child = find(&listed, "child-rapid-assessment");
        // The child interview with the contact section before the sensitive
        // one, published as a protocol of its own, from the source the
        // server itself lists.
        let source = child
            .source_toml
            .replacen(
                "id = \"child-rapid-assessment\"",
                &format!("id = \"{ADVERSARY_PROTOCOL}\""),
                1,
            )
            .replacen(
                "[[sections]]\nid = \"journey\"",
                &format!("{CONTACT_SECTION}[[sections]]\nid = \"journey\""),
                1,
            );
        assert!(
            source.contains("id = \"first_name\""),
            "the journey section moved"
        );
        fieldkit_sync_server::admin::publish_source(
            &*server.store,
            "adversary.toml",
            &source,
            time::OffsetDateTime::now_utc(),
        )
        .unwrap_or_else(|e| panic!("the adversary protocol does not publish: {e}"));
        let listed = list(&server, &a).await;
        World {
            child: find(&listed, ADVERSARY_PROTOCOL),
            adults: find(&listed, "key-informant"),
            server,
            client,
            a,
            b,
            next: Cell::new(1),
        }
    }

    pub fn fresh_id(&self) -> String {
        let n = self.next.get();
        self.next.set(n + 1);
        uuid(n)
    }

    pub fn fresh_reference(&self) -> String {
        let n = self.next.get();
        self.next.set(n + 1);
        reference(0x5A_5A00_0000 + n * 7919)
    }

    /// How many rows of `table` hold this record id.
    pub fn rows(&self, table: &str, record_id: &str) -> i64 {
        self.server.store.count(&format!(
            "SELECT COUNT(*) FROM {table} WHERE record_id = {}",
            sql_text(record_id)
        ))
    }

    /// The compliance findings stored for a record: (rule, message).
    pub fn findings(&self, record_id: &str) -> Vec<(String, String)> {
        self.server
            .store
            .query(&format!(
                "SELECT rule, message FROM compliance_findings WHERE record_id = {} ORDER BY id",
                sql_text(record_id)
            ))
            .into_iter()
            .map(|row| {
                let mut row = row.into_iter().map(Option::unwrap);
                (row.next().unwrap(), row.next().unwrap())
            })
            .collect()
    }

    /// Sends one envelope from `device` and checks the exact outcome, and
    /// that a refused record left nothing behind. `secrets` must appear in
    /// no answer and nowhere in the database.
    pub async fn case(
        &self,
        name: &str,
        device: &Device,
        envelope: &Envelope,
        expect: Expect,
        secrets: &[&str],
    ) -> Json {
        let record_id = envelope.record_id();
        let url = self.server.url("/api/v1/records");
        let (status, answer) = post(
            &self.client,
            &url,
            &device.token,
            batch(&[envelope.sealed()]),
        )
        .await;
        assert_eq!(status, 200, "{name}: HTTP {status}: {answer}");
        let result = &answer["results"][0];
        assert_eq!(result["record_id"], json!(record_id), "{name}: {answer}");
        assert_eq!(result["status"], json!(expect.status), "{name}: {result}");
        assert_eq!(
            result["rule"].as_str(),
            expect.rule,
            "{name}: wrong rule: {result}"
        );
        let stored = i64::from(expect.status == "stored");
        assert_eq!(
            self.rows("records", &record_id),
            stored,
            "{name}: records table"
        );
        assert_eq!(
            self.rows("conflicts", &record_id),
            0,
            "{name}: conflicts table"
        );
        if stored == 0 {
            assert!(
                self.findings(&record_id).is_empty(),
                "{name}: findings kept for a refused record"
            );
        }
        for secret in secrets {
            assert!(
                !answer.to_string().contains(secret),
                "{name}: the answer echoes `{secret}`: {answer}"
            );
            let secret_sql = sql_text(secret);
            let anywhere = self.server.store.count(&format!(
                "SELECT (SELECT COUNT(*) FROM records WHERE envelope LIKE '%' || {secret_sql} || '%')
                      + (SELECT COUNT(*) FROM conflicts WHERE envelope LIKE '%' || {secret_sql} || '%')
                      + (SELECT COUNT(*) FROM compliance_findings
                         WHERE message LIKE '%' || {secret_sql} || '%')"
            ));
            assert_eq!(anywhere, 0, "{name}: `{secret}` reached the database");
        }
        result.clone()
    }

    /// A legal interview with a child of 12, from `device`, stopped by the
    /// interviewer after a sensitive answer: every rule's gate is in it.
    ///
    /// 0 start · 1 introduction · 2 data use · 3 guardian · 4 child ·
    /// 5-10 screening · 11 age · 12 sex · 13 first name withheld ·
    /// 14 home area · 15 ethnicity · 16 note · 17 age amended · 18 rapport ·
    /// 19 left home (sensitive) · 20 what was promised (sensitive) · 21 stop
    pub fn interview(&self, device: &Device) -> Envelope {
        let respondent = self.fresh_reference();
        let events = self.interview_events(&respondent, &today());
        Envelope::new(
            &self.fresh_id(),
            &device.id,
            &self.child,
            &respondent,
            events,
        )
    }

    pub fn interview_events(&self, respondent: &str, at: &str) -> Vec<J> {
        let mut events = vec![
            self.start(&self.child, respondent, Some(12), at),
            event(1, at, "introduction_given", vec![]),
            event(
                2,
                at,
                "data_use_explained",
                vec![("statement_hash", v(json!(self.child.data_use_hash)))],
            ),
            consent(3, at, "guardian", "given"),
            consent(4, at, "respondent", "given"),
        ];
        for (i, item) in [
            "acute_distress",
            "injury_or_illness",
            "immediate_danger",
            "controller_present",
            "recent_trauma",
            "cannot_understand",
        ]
        .into_iter()
        .enumerate()
        {
            events.push(screening(5 + i, at, item, false));
        }
        events.extend([
            answered(11, at, "age", integer(12)),
            answered(12, at, "sex", value("choice", v(json!("female")))),
            event(
                13,
                at,
                "answer_withheld",
                vec![("question_id", v(json!("first_name")))],
            ),
            answered(14, at, "home_area", location(5.3, -4.0)),
            answered(15, at, "ethnicity", text("Baoulé")),
            event(
                16,
                at,
                "note_added",
                vec![("text", v(json!("She sells water at the bus station.")))],
            ),
            amended(17, at, "age", integer(13), "she showed her school card"),
            event(18, at, "rapport_confirmed", vec![]),
            answered(19, at, "left_home_to_work", value("bool", v(json!(true)))),
            answered(20, at, "promised", text("work in a shop in the city")),
            stopped(21, at, "interviewer_ended"),
        ]);
        events
    }

    /// `SessionStarted` for `protocol`, in English.
    pub fn start(&self, protocol: &Listing, respondent: &str, age: Option<u8>, at: &str) -> J {
        event(
            0,
            at,
            "session_started",
            vec![
                ("session_id", v(json!(self.fresh_id()))),
                ("protocol_id", v(json!(protocol.id))),
                ("protocol_version", v(json!(protocol.version))),
                ("protocol_hash", v(json!(protocol.content_hash))),
                ("language", v(json!("en"))),
                ("interviewer_languages", v(json!(["en"]))),
                ("kind", v(json!("full"))),
                ("respondent", v(json!(respondent))),
                ("respondent_age", v(json!(age))),
                ("linked_child", v(Json::Null)),
                ("site_type", v(Json::Null)),
                ("weekday", v(Json::Null)),
            ],
        )
    }
}

async fn list(server: &TestServer, device: &Device) -> Vec<Json> {
    let (status, listed) = server.get("/api/v1/protocols", &device.token).await;
    assert_eq!(status, 200, "{listed}");
    listed.as_array().unwrap().clone()
}

fn find(listed: &[Json], id: &str) -> Listing {
    Listing::from_json(
        listed
            .iter()
            .find(|p| p["protocol_id"] == id)
            .unwrap_or_else(|| panic!("`{id}` is not listed")),
    )
}

pub fn consent(seq: usize, at: &str, role: &str, decision: &str) -> J {
    event(
        seq,
        at,
        "consent_recorded",
        vec![
            ("by", consenter(role)),
            ("decision", v(json!(decision))),
            ("audio_recording", v(json!(false))),
        ],
    )
}

pub fn screening(seq: usize, at: &str, item: &str, positive: bool) -> J {
    event(
        seq,
        at,
        "screening_answered",
        vec![
            ("item_id", v(json!(item))),
            ("positive", v(json!(positive))),
        ],
    )
}

pub fn answered(seq: usize, at: &str, question: &str, value: J) -> J {
    event(
        seq,
        at,
        "answered",
        vec![("question_id", v(json!(question))), ("value", value)],
    )
}

pub fn amended(seq: usize, at: &str, question: &str, value: J, reason: &str) -> J {
    event(
        seq,
        at,
        "amended",
        vec![
            ("question_id", v(json!(question))),
            ("value", value),
            ("reason", v(json!(reason))),
        ],
    )
}

pub fn stopped(seq: usize, at: &str, reason: &str) -> J {
    event(seq, at, "stopped", vec![("reason", v(json!(reason)))])
}

pub fn location(lat: f64, lon: f64) -> J {
    value(
        "location",
        J::obj(vec![("lat", v(json!(lat))), ("lon", v(json!(lon)))]),
    )
}

pub fn present(seq: usize, at: &str, who: &str) -> J {
    event(
        seq,
        at,
        "others_present_changed",
        vec![("present", v(json!(who)))],
    )
}
