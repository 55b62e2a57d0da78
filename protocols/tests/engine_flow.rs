//! `next()` walks whole sessions; logs replay to the same state; tampered
//! logs are refused naming the rule; soft findings for supervisors.

mod engine_support;

use engine_support::*;
use fieldkit_protocols::engine::{
    Consenter, Event, EventKind, OthersPresent, Session, SessionKind, Status, Step, StopReason,
};
use fieldkit_protocols::{Rule, Value};

/// A full child interview, step by step as the phone would show it.
fn child_interview(works: bool, left_home: bool) -> Session {
    let protocol = child();
    let mut run = Run::new(protocol.clone());
    assert_eq!(run.session.status(), Status::NotStarted);
    run.ok(started(&protocol, SessionKind::Full, Some(13)));
    expect(&mut run, &Step::Introduction, EventKind::IntroductionGiven);
    expect(&mut run, &Step::DataUse, data_use(&protocol));
    expect(
        &mut run,
        &Step::Consent {
            from: Consenter::Guardian,
        },
        consent(Consenter::Guardian),
    );
    expect(
        &mut run,
        &Step::Consent {
            from: Consenter::Respondent,
        },
        consent(Consenter::Respondent),
    );
    expect(
        &mut run,
        &Step::Screening {
            item_id: "distress".into(),
        },
        screen("distress", false),
    );
    expect(
        &mut run,
        &Step::Screening {
            item_id: "injury".into(),
        },
        screen("injury", false),
    );
    expect(&mut run, &q("age"), answer("age", Value::Integer(13)));
    expect(&mut run, &q("nickname"), skip("nickname"));
    expect(
        &mut run,
        &q("sex"),
        answer("sex", Value::Choice("girl".into())),
    );
    expect(&mut run, &q("works"), answer("works", Value::Bool(works)));
    if works {
        expect(
            &mut run,
            &q("work_kind"),
            answer("work_kind", choices(&["vending"])),
        );
        expect(&mut run, &q("hours"), answer("hours", Value::Integer(6)));
    }
    expect(
        &mut run,
        &q("school"),
        answer("school", text("the teacher")),
    );
    expect(
        &mut run,
        &Step::RapportCheckpoint,
        EventKind::RapportConfirmed,
    );
    let sensitive = Step::SensitiveSection {
        first_question_id: "left_home".into(),
    };
    expect(
        &mut run,
        &sensitive,
        answer("left_home", Value::Bool(left_home)),
    );
    if left_home {
        expect(
            &mut run,
            &q("who_brought"),
            answer("who_brought", Value::Choice("family".into())),
        );
    }
    expect(&mut run, &Step::Closing, EventKind::Completed);
    assert_eq!(run.session.next(), Step::Finished);
    assert_eq!(run.session.status(), Status::Completed);
    run.session
}

#[test]
fn next_walks_a_whole_child_interview() {
    let session = child_interview(true, true);
    assert_eq!(session.answers().len(), 8);
    assert_eq!(session.answers()["work_kind"], choices(&["vending"]));
    assert!(session.skipped().contains_key("nickname"));
    assert!(session.findings().is_empty(), "{:?}", session.findings());
    // Skip logic leaves out the work and journey follow-ups.
    let short = child_interview(false, false);
    assert_eq!(short.answers().len(), 5);
}

#[test]
fn events_are_kept_exactly_and_replay_to_the_same_state() {
    let session = child_interview(true, true);
    let events = session.events().to_vec();
    assert_eq!(events.first().map(|e| e.seq), Some(0));
    assert!(matches!(
        events.last().map(|e| &e.kind),
        Some(EventKind::Completed)
    ));
    let replayed = Session::replay(session.protocol().clone(), events.clone()).unwrap();
    assert!(replayed == session);
    assert_eq!(replayed.answers(), session.answers());
    assert_eq!(replayed.events(), &events[..]);

    // The log survives JSON, as the vault and the server store it.
    let json = serde_json::to_string(&events).unwrap();
    let parsed: Vec<Event> = serde_json::from_str(&json).unwrap();
    let from_json = Session::replay(session.protocol().clone(), parsed).unwrap();
    assert!(from_json == session);
}

fn full_log() -> (Session, Vec<Event>) {
    let session = child_interview(true, true);
    let events = session.events().to_vec();
    (session, events)
}

fn replay_error(session: &Session, events: Vec<Event>) -> fieldkit_protocols::engine::ReplayError {
    match Session::replay(session.protocol().clone(), events) {
        Ok(_) => panic!("a tampered log was accepted"),
        Err(error) => error,
    }
}

fn position(events: &[Event], wanted: impl Fn(&EventKind) -> bool) -> usize {
    events
        .iter()
        .position(|e| wanted(&e.kind))
        .expect("event in the log")
}

#[test]
fn tampered_logs_are_refused_naming_the_rule() {
    let (session, events) = full_log();

    // Reordered: the data use read before the introduction.
    let mut reordered = events.clone();
    reordered.swap(1, 2);
    let error = replay_error(&session, renumber(reordered));
    assert_eq!(
        (error.index, error.refusal.rule),
        (1, Some(Rule::R11)),
        "{error}"
    );

    // Reordered without renumbering: the sequence gives it away.
    let mut swapped = events.clone();
    swapped.swap(8, 9);
    let error = replay_error(&session, swapped);
    assert_eq!(error.index, 8);
    assert_eq!(error.seq, 9);

    // The child's consent removed.
    let mut no_consent = events.clone();
    no_consent.remove(position(&events, |k| {
        matches!(
            k,
            EventKind::ConsentRecorded {
                by: Consenter::Respondent,
                ..
            }
        )
    }));
    let error = replay_error(&session, renumber(no_consent));
    assert_eq!(error.refusal.rule, Some(Rule::R1), "{error}");
    assert!(error.to_string().contains("R1: "), "{error}");

    // The guardian's consent removed.
    let mut no_guardian = events.clone();
    no_guardian.remove(position(&events, |k| {
        matches!(
            k,
            EventKind::ConsentRecorded {
                by: Consenter::Guardian,
                ..
            }
        )
    }));
    let error = replay_error(&session, renumber(no_guardian));
    assert_eq!(error.refusal.rule, Some(Rule::R2), "{error}");

    // A question asked twice.
    let mut duplicated = events.clone();
    let at_works = position(
        &events,
        |k| matches!(k, EventKind::Answered { question_id, .. } if question_id == "works"),
    );
    duplicated.insert(at_works + 1, events[at_works].clone());
    let error = replay_error(&session, renumber(duplicated));
    assert_eq!(
        (error.index, error.refusal.rule),
        (at_works + 1, Some(Rule::R7)),
        "{error}"
    );

    // The statement hash changed.
    let mut other_statement = events.clone();
    let at_data_use = position(&events, |k| matches!(k, EventKind::DataUseExplained { .. }));
    other_statement[at_data_use].kind = EventKind::DataUseExplained {
        statement_hash: fieldkit_protocols::ContentHash::of(&"a kinder-sounding statement"),
    };
    let error = replay_error(&session, other_statement);
    assert_eq!(error.refusal.rule, Some(Rule::R4), "{error}");

    // A sensitive answer moved before rapport.
    let mut early = events.clone();
    let at_left = position(
        &events,
        |k| matches!(k, EventKind::Answered { question_id, .. } if question_id == "left_home"),
    );
    let moved = early.remove(at_left);
    let at_rapport = position(&early, |k| matches!(k, EventKind::RapportConfirmed));
    early.insert(at_rapport, moved);
    let error = replay_error(&session, renumber(early));
    assert_eq!(error.refusal.rule, Some(Rule::R6), "{error}");

    // Something recorded after completion.
    let mut late = events.clone();
    late.push(Event {
        seq: 0,
        at: at(0),
        kind: EventKind::NoteAdded {
            text: "later".into(),
        },
    });
    let error = replay_error(&session, renumber(late));
    assert_eq!(error.index, events.len());
    assert_eq!(
        error.refusal.kind,
        fieldkit_protocols::engine::RefusalKind::SessionEnded
    );
}

#[test]
fn a_positive_screen_leads_to_the_referral() {
    let mut run = child_ready(None);
    assert_eq!(run.session.next(), q("age"));
    let protocol = child();
    let mut run2 = Run::new(protocol.clone());
    run2.ok(started(&protocol, SessionKind::Full, Some(9)))
        .ok(EventKind::IntroductionGiven)
        .ok(data_use(&protocol))
        .ok(consent(Consenter::Guardian))
        .ok(consent(Consenter::Respondent));
    expect(
        &mut run2,
        &Step::Screening {
            item_id: "distress".into(),
        },
        screen("distress", true),
    );
    expect(
        &mut run2,
        &Step::Referral,
        EventKind::Stopped {
            reason: StopReason::ScreeningPositive,
        },
    );
    assert_eq!(run2.session.next(), Step::Referral);
    // The interviewer may also stop for safety at any moment.
    run.ok(EventKind::Stopped {
        reason: StopReason::Safety,
    });
    assert_eq!(run.session.next(), Step::Finished);
}

#[test]
fn a_guardian_step_only_where_the_respondent_is_a_minor() {
    let protocol = child();
    let mut run = Run::new(protocol.clone());
    run.ok(started(&protocol, SessionKind::FollowUp, Some(18)))
        .ok(EventKind::IntroductionGiven)
        .ok(data_use(&protocol));
    assert_eq!(
        run.session.next(),
        Step::Consent {
            from: Consenter::Respondent
        }
    );
}

#[test]
fn others_present_during_questions_is_a_finding_r8() {
    // Someone present before questions who leaves before the first is not a finding.
    let mut run = child_ready(Some(12));
    run.ok(EventKind::OthersPresentChanged {
        present: OthersPresent::None,
    });
    assert!(run.session.findings().is_empty());

    let protocol = child();
    let mut run = Run::new(protocol.clone());
    run.ok(started(&protocol, SessionKind::Full, Some(12)))
        .ok(EventKind::OthersPresentChanged {
            present: OthersPresent::Parent,
        })
        .ok(EventKind::IntroductionGiven)
        .ok(EventKind::OthersPresentChanged {
            present: OthersPresent::None,
        });
    assert!(run.session.findings().is_empty());

    // A parent joining after the screening reopens it (R5): asked again,
    // then the questions go on.
    let mut run = child_ready(Some(12));
    run.ok(EventKind::OthersPresentChanged {
        present: OthersPresent::Parent,
    })
    .ok(screen("distress", false))
    .ok(screen("injury", false))
    .ok(answer("age", Value::Integer(12)))
    .ok(EventKind::OthersPresentChanged {
        present: OthersPresent::None,
    })
    .ok(answer("works", Value::Bool(true)));
    let findings = run.session.findings();
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].rule, Rule::R8);
    assert!(findings[0].message.contains("a parent"));
    assert_eq!(run.session.others_present(), OthersPresent::None);

    // An employer walking in mid-interview gets its own message.
    run.ok(EventKind::OthersPresentChanged {
        present: OthersPresent::Employer,
    })
    .ok(screen("distress", false))
    .ok(screen("injury", false))
    .ok(answer("sex", Value::Choice("girl".into())));
    let findings = run.session.findings();
    assert_eq!(findings.len(), 2, "{findings:?}");
    assert!(findings
        .iter()
        .any(|f| f.rule == Rule::R8 && f.message.starts_with("An employer")));
}

#[test]
fn a_language_the_interviewer_does_not_speak_is_a_finding_r14() {
    let protocol = child();
    let mut start = start_of(&protocol, SessionKind::Full, Some(12), "fr");
    start.interviewer_languages = vec!["en".to_owned()];
    let mut run = Run::new(protocol);
    run.ok(EventKind::SessionStarted(start));
    let findings = run.session.findings();
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].rule, Rule::R14);
    assert!(
        findings[0].message.contains("`fr`"),
        "{}",
        findings[0].message
    );
}

#[test]
fn record_numbers_events_and_returns_them() {
    let protocol = child();
    let mut session = Session::new(protocol.clone());
    let event = session
        .record(started(&protocol, SessionKind::Full, Some(12)), at(0))
        .unwrap()
        .clone();
    assert_eq!(event.seq, 0);
    let intro = session.record(EventKind::IntroductionGiven, at(1)).unwrap();
    assert_eq!(intro.seq, 1);
    assert_eq!(session.start().map(|s| s.respondent_age), Some(Some(12)));
    assert_eq!(session.events().len(), 2);
    assert_eq!(session.events()[0], event);
}

#[test]
fn steps_and_refusals_travel_as_json() {
    let step = Step::Consent {
        from: Consenter::Participant("P2".to_owned()),
    };
    let json = serde_json::to_string(&step).unwrap();
    assert_eq!(serde_json::from_str::<Step>(&json).unwrap(), step);
    let mut run = child_ready(Some(12));
    let refusal = run.refused(answer("left_home", Value::Bool(true)));
    let json = serde_json::to_value(&refusal).unwrap();
    assert_eq!(json["rule"], "R6");
    assert_eq!(json["kind"], "rapport_missing");
}
