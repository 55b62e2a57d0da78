//! The adversarial suite, records (issue 14): an outsider's client sends
//! the legal interview of `adversary_world`, then at least five variants
//! per rule the server enforces, each changing one thing and resealed. Each
//! case checks the HTTP status, the record's status and rule id, and that a
//! refused record left nothing in the SQLite file. Withdrawals are in
//! `adversary_withdrawals.rs`.

mod adversary_client;
mod adversary_world;
mod support;

use adversary_client::*;
use adversary_world::*;
use serde_json::json;

/// The interview with `change` applied to its events, renumbered.
fn edited(w: &World, change: impl FnOnce(&mut Vec<J>)) -> Envelope {
    let mut envelope = w.interview(&w.a);
    change(envelope.events());
    envelope.renumber();
    envelope
}

/// The interview with both respondent fields set to `respondent`.
fn respondent(w: &World, respondent: &str) -> Envelope {
    let mut envelope = w.interview(&w.a);
    envelope.fields.set("respondent", v(json!(respondent)));
    envelope.events()[0].set("respondent", v(json!(respondent)));
    envelope
}

#[tokio::test]
async fn the_legal_interview_is_stored_and_every_answer_carries_the_servers_time() {
    let w = World::new().await;
    let envelope = w.interview(&w.a);
    w.case("legal interview", &w.a, &envelope, STORED, &[])
        .await;
    assert!(w.findings(&envelope.record_id()).is_empty());
    // The phone learns the server's time from every answer (Date header).
    let response = w
        .client
        .get(w.server.url("/api/v1/status"))
        .bearer_auth(&w.a.token)
        .send()
        .await
        .unwrap();
    let date = response.headers().get("date").expect("a Date header");
    assert!(date.to_str().unwrap().ends_with(" GMT"), "{date:?}");
}

#[tokio::test]
async fn r1_no_answer_note_or_rapport_before_the_childs_consent() {
    let w = World::new().await;
    let cases: Vec<(&str, Envelope)> = vec![
        (
            "consent removed",
            edited(&w, |e| {
                e.remove(4);
            }),
        ),
        (
            "consent refused, interview goes on",
            edited(&w, |e| e[4].set("decision", v(json!("refused")))),
        ),
        (
            "an answer before consent",
            edited(&w, |e| {
                let age = e.remove(11);
                e.insert(3, age);
            }),
        ),
        (
            "a note before consent",
            edited(&w, |e| {
                let note = e.remove(16);
                e.insert(3, note);
            }),
        ),
        (
            "rapport before consent",
            edited(&w, |e| {
                let rapport = e.remove(18);
                e.insert(3, rapport);
            }),
        ),
        (
            "a participant's consent in an individual interview",
            edited(&w, |e| {
                e[4].set(
                    "by",
                    J::obj(vec![
                        ("role", v(json!("participant"))),
                        ("code", v(json!("P1"))),
                    ]),
                );
            }),
        ),
    ];
    for (name, envelope) in cases {
        w.case(name, &w.a, &envelope, rejected("R1"), &[]).await;
    }
}

#[tokio::test]
async fn r2_a_guardian_agrees_for_a_child_whatever_the_start_said() {
    let w = World::new().await;
    let without_guardian = |age: Option<u8>| {
        edited(&w, move |e| {
            e.remove(3);
            e[0].set("respondent_age", v(json!(age)));
        })
    };
    let cases: Vec<(&str, Envelope)> = vec![
        ("guardian removed, age 12", without_guardian(Some(12))),
        ("guardian removed, age unknown", without_guardian(None)),
        // The case: started as 18 (no guardian asked), then an age
        // answer of 12 and more answers.
        (
            "started as 18, then answered 12",
            without_guardian(Some(18)),
        ),
        (
            "started as 30, then answered 12",
            without_guardian(Some(30)),
        ),
        (
            "guardian refused, interview goes on",
            edited(&w, |e| e[3].set("decision", v(json!("refused")))),
        ),
        (
            "guardian asked only after the answers",
            edited(&w, |e| {
                let guardian = e.remove(3);
                e.insert(19, guardian);
            }),
        ),
        (
            "a focus-group guardian in an individual interview",
            edited(&w, |e| {
                e[3].set(
                    "by",
                    J::obj(vec![
                        ("role", v(json!("participant_guardian"))),
                        ("code", v(json!("P1"))),
                    ]),
                );
            }),
        ),
    ];
    for (name, envelope) in cases {
        w.case(name, &w.a, &envelope, rejected("R2"), &[]).await;
    }
}

#[tokio::test]
async fn r3_r4_the_published_statement_and_version_or_nothing() {
    let w = World::new().await;
    let other = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
    let mut envelope_hash = w.interview(&w.a);
    envelope_hash.fields.set("protocol_hash", v(json!(other)));
    let mut version = w.interview(&w.a);
    version.events()[0].set("protocol_version", v(json!(w.child.version + 1)));
    let cases: Vec<(&str, Envelope, &str)> = vec![
        (
            "another statement shown",
            edited(&w, |e| e[2].set("statement_hash", v(json!(other)))),
            "R4",
        ),
        ("another protocol hash in the envelope", envelope_hash, "R4"),
        (
            "another protocol hash in the session",
            edited(&w, |e| e[0].set("protocol_hash", v(json!(other)))),
            "R4",
        ),
        ("another version in the session", version, "R4"),
        (
            "no statement shown",
            edited(&w, |e| {
                e.remove(2);
            }),
            "R3",
        ),
        (
            "consent before the statement",
            edited(&w, |e| {
                let statement = e.remove(2);
                e.insert(4, statement);
            }),
            "R3",
        ),
    ];
    for (name, envelope, rule) in cases {
        w.case(name, &w.a, &envelope, rejected(rule), &[]).await;
    }
}

#[tokio::test]
async fn r5_a_positive_or_missing_screening_stops_everything() {
    let w = World::new().await;
    let at = today();
    let cases: Vec<(&str, Envelope)> = vec![
        (
            "positive screen, interview goes on",
            edited(&w, |e| e[8].set("positive", v(json!(true)))),
        ),
        (
            "a screening item missing",
            edited(&w, |e| {
                e.remove(7);
            }),
        ),
        (
            "stopped for a positive screen that was not",
            edited(&w, |e| e[21].set("reason", v(json!("screening_positive")))),
        ),
        (
            "an answer before the screening",
            edited(&w, |e| {
                let age = e.remove(11);
                e.insert(5, age);
            }),
        ),
        // Someone new present reopens the screening: answers wait for it.
        (
            "an employer arrives, no new screening",
            edited(&w, |e| {
                e.insert(15, present(0, &at, "employer"));
            }),
        ),
        // A second screening turns positive: the answers before it must not
        // leave the phone, though the engine accepts the log itself.
        (
            "answers kept with a positive second screening",
            edited(&w, |e| {
                e.truncate(18);
                e.push(present(0, &at, "parent"));
                e.push(screening(0, &at, "acute_distress", true));
                e.push(stopped(0, &at, "screening_positive"));
            }),
        ),
    ];
    for (name, envelope) in cases {
        w.case(name, &w.a, &envelope, rejected("R5"), &[]).await;
    }
}

#[tokio::test]
async fn r6_sensitive_answers_only_after_rapport() {
    let w = World::new().await;
    let at = today();
    let cases: Vec<(&str, Envelope)> = vec![
        (
            "rapport removed",
            edited(&w, |e| {
                e.remove(18);
            }),
        ),
        (
            "rapport after the sensitive answer",
            edited(&w, |e| {
                let rapport = e.remove(18);
                e.insert(19, rapport);
            }),
        ),
        (
            "rapport replaced by a note",
            edited(&w, |e| {
                e[18] = event(0, &at, "note_added", vec![("text", v(json!("ok")))]);
            }),
        ),
        (
            "another sensitive question before rapport",
            edited(&w, |e| {
                e.insert(
                    18,
                    answered(0, &at, "crossed_border", value("bool", v(json!(false)))),
                );
            }),
        ),
        // Someone joins after rapport: screened again, but rapport lapsed.
        (
            "a peer joins after rapport",
            edited(&w, |e| {
                let mut again = vec![present(0, &at, "peer")];
                for item in [
                    "acute_distress",
                    "injury_or_illness",
                    "immediate_danger",
                    "controller_present",
                    "recent_trauma",
                    "cannot_understand",
                ] {
                    again.push(screening(0, &at, item, false));
                }
                e.splice(19..19, again);
            }),
        ),
    ];
    for (name, envelope) in cases {
        w.case(name, &w.a, &envelope, rejected("R6"), &[]).await;
    }
}

#[tokio::test]
async fn r7_never_the_same_question_twice() {
    let w = World::new().await;
    let at = today();
    let cases: Vec<(&str, Envelope)> = vec![
        (
            "an answer repeated",
            edited(&w, |e| {
                let sex = e[12].clone();
                e.insert(13, sex);
            }),
        ),
        (
            "answered then skipped",
            edited(&w, |e| {
                e.insert(
                    13,
                    event(
                        0,
                        &at,
                        "skipped",
                        vec![
                            ("question_id", v(json!("sex"))),
                            ("reason", v(json!("declined_to_answer"))),
                        ],
                    ),
                );
            }),
        ),
        (
            "an unanswered question amended",
            edited(&w, |e| e[17].set("question_id", v(json!("siblings")))),
        ),
        (
            "an amendment without a reason",
            edited(&w, |e| e[17].set("reason", v(json!("  ")))),
        ),
        (
            "a screening item repeated",
            edited(&w, |e| {
                let item = e[5].clone();
                e.insert(6, item);
            }),
        ),
        (
            "a withheld question answered again",
            edited(&w, |e| {
                e.insert(14, answered(0, &at, "first_name", text("Awa")));
            }),
        ),
    ];
    for (name, envelope) in cases {
        w.case(name, &w.a, &envelope, rejected("R7"), &["Awa"])
            .await;
    }
}

#[tokio::test]
async fn r21_nothing_the_phone_withholds_or_scrubs_is_stored() {
    let w = World::new().await;
    let at = today();
    let mut linked = w.interview(&w.a);
    linked.events()[0].set("linked_child", v(json!("Awa Koné")));
    let mut differs = w.interview(&w.a);
    differs
        .fields
        .set("respondent", v(json!(w.fresh_reference())));
    let good = w.fresh_reference();
    assert!(good.chars().any(|c| c.is_ascii_alphabetic()), "{good}");
    let cases: Vec<(&str, Envelope, &[&str])> = vec![
        // The cases: a name in clear, a name as the respondent, and
        // free text with a phone number, an e-mail or a passport number.
        (
            "an identifying answer sent in clear",
            edited(&w, |e| {
                e[13] = answered(13, &at, "first_name", text("Aminata"));
            }),
            &["Aminata"],
        ),
        (
            "a name as the respondent",
            respondent(&w, "Aminata Traoré"),
            &["Aminata"],
        ),
        (
            "a phone number in free text",
            edited(&w, |e| {
                e[15] = answered(15, &at, "ethnicity", text("call her aunt on 0712345678"));
            }),
            &["0712345678"],
        ),
        (
            "an e-mail address in a note",
            edited(&w, |e| {
                e[16].set("text", v(json!("write to aunty.awa@mail.ci")));
            }),
            &["aunty.awa"],
        ),
        (
            "a passport number in a sensitive answer",
            edited(&w, |e| {
                e[20] = answered(
                    20,
                    &at,
                    "promised",
                    text("passport CI0012345 kept by the boss"),
                );
            }),
            &["CI0012345"],
        ),
        (
            "an ID number in an amendment's reason",
            edited(&w, |e| {
                e[17].set("reason", v(json!("her card 987654321 says so")));
            }),
            &["987654321"],
        ),
        // The reference number itself: check character, form, agreement.
        (
            "a reference number with a wrong check character",
            respondent(
                &w,
                &format!(
                    "{}{}",
                    &good[..10],
                    if good.ends_with('0') { '1' } else { '0' }
                ),
            ),
            &[],
        ),
        (
            "a reference number in lower case",
            respondent(&w, &good.to_lowercase()),
            &[],
        ),
        (
            "a reference number without hyphens",
            respondent(&w, &good.replace('-', "")),
            &[],
        ),
        ("no reference number", respondent(&w, ""), &[]),
        ("the envelope and the session disagree", differs, &[]),
        ("a name as the linked child", linked, &["Koné"]),
        // Coarsening the phone does before sync.
        (
            "a location finer than the protocol keeps",
            edited(&w, |e| {
                e[14] = answered(14, &at, "home_area", location(5.3164, -4.0327));
            }),
            &["5.3164"],
        ),
        (
            "a time finer than the day",
            edited(&w, |e| {
                e[21].set("at", v(json!(at.replace("T00:00:00Z", "T09:41:00Z"))));
            }),
            &[],
        ),
    ];
    for (name, envelope, secrets) in cases {
        w.case(name, &w.a, &envelope, rejected("R21"), secrets)
            .await;
    }
}

#[tokio::test]
async fn a_wrong_clock_keeps_the_interview_with_a_time_finding_and_disorder_is_refused() {
    let w = World::new().await;
    let dated = |at: &str| {
        let respondent = w.fresh_reference();
        let events = w.interview_events(&respondent, at);
        Envelope::new(&w.fresh_id(), &w.a.id, &w.child, &respondent, events)
    };
    // Stored, with a finding naming both times: the session's date and the
    // server's receipt, or the protocol's publication.
    for (name, at, both) in [
        (
            "dated years ahead",
            "2031-05-01T00:00:00Z".to_owned(),
            "after the server received it",
        ),
        (
            "dated the day after tomorrow",
            day(2),
            "after the server received it",
        ),
        (
            "dated in 2000 (a flat battery)",
            "2000-01-01T00:00:00Z".to_owned(),
            "before its protocol version was published",
        ),
        (
            "dated yesterday, before publication",
            day(-1),
            "before its protocol version was published",
        ),
        (
            "dated last year",
            day(-365),
            "before its protocol version was published",
        ),
    ] {
        let envelope = dated(&at);
        w.case(name, &w.a, &envelope, STORED, &[]).await;
        let findings = w.findings(&envelope.record_id());
        assert_eq!(findings.len(), 1, "{name}: {findings:?}");
        let (rule, message) = &findings[0];
        assert_eq!(rule, "R26", "{name}");
        assert!(message.contains(both), "{name}: {message}");
        assert!(
            message.contains(&at[..10]),
            "{name}: the session's date: {message}"
        );
        assert!(
            message.contains(&today()[..10]),
            "{name}: the server's date: {message}"
        );
    }
    // Events out of order stay refused (the engine's bookkeeping).
    let cases: Vec<(&str, Envelope)> = vec![
        (
            "an event dated before the one before it",
            edited(&w, |e| {
                e[12].set("at", v(json!(day(-1))));
            }),
        ),
        ("two sequence numbers swapped", {
            let mut envelope = w.interview(&w.a);
            envelope.events()[11].set("seq", v(json!(12)));
            envelope.events()[12].set("seq", v(json!(11)));
            envelope
        }),
        ("a gap in the sequence", {
            let mut envelope = w.interview(&w.a);
            envelope.events()[12].set("seq", v(json!(13)));
            envelope
        }),
        ("a repeated sequence number", {
            let mut envelope = w.interview(&w.a);
            envelope.events()[12].set("seq", v(json!(11)));
            envelope
        }),
        ("the start not first", edited(&w, |e| e.swap(0, 1))),
    ];
    for (name, envelope) in cases {
        w.case(name, &w.a, &envelope, REJECTED_PLAIN, &[]).await;
    }
}

#[tokio::test]
async fn a_protocol_for_adults_refuses_a_child() {
    let w = World::new().await;
    let at = today();
    let interview = |age: Option<u8>, answers: Vec<J>| {
        let respondent = w.fresh_reference();
        let mut events = vec![
            w.start(&w.adults, &respondent, age, &at),
            event(1, &at, "introduction_given", vec![]),
            event(
                2,
                &at,
                "data_use_explained",
                vec![("statement_hash", v(json!(w.adults.data_use_hash)))],
            ),
            consent(3, &at, "respondent", "given"),
        ];
        events.extend(answers);
        events.push(stopped(0, &at, "interviewer_ended"));
        let mut envelope = Envelope::new(&w.fresh_id(), &w.a.id, &w.adults, &respondent, events);
        envelope.renumber();
        envelope
    };
    for age in [0, 5, 12, 15, 17] {
        let envelope = interview(Some(age), vec![]);
        w.case(
            &format!("an informant aged {age}"),
            &w.a,
            &envelope,
            rejected("R2"),
            &[],
        )
        .await;
    }
    for age in [18, 45] {
        let envelope = interview(Some(age), vec![]);
        w.case(
            &format!("an informant aged {age}"),
            &w.a,
            &envelope,
            STORED,
            &[],
        )
        .await;
    }
    let envelope = interview(None, vec![]);
    w.case("an informant of unknown age", &w.a, &envelope, STORED, &[])
        .await;
}
