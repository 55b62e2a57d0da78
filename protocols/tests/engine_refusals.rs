//! Every refusal of the session engine, each naming its rule. `Run::refused`
//! also checks that a refused event changed nothing.

mod engine_support;

use engine_support::*;
use fieldkit_protocols::engine::{
    Consenter, Event, EventKind, RefusalKind as K, SessionKind, Status, Step, StopReason,
};
use fieldkit_protocols::{Rule, Value};

#[test]
fn answers_and_notes_need_the_respondents_consent_r1() {
    let mut run = child_explained(Some(12));
    run.ok(consent(Consenter::Guardian))
        .ok(screen("distress", false))
        .ok(screen("injury", false));
    let refusal = run.refused(answer("age", Value::Integer(12)));
    assert_refused(&refusal, Some(Rule::R1), K::ConsentMissing);
    let note = EventKind::NoteAdded {
        text: "shy".to_owned(),
    };
    assert_refused(&run.refused(note), Some(Rule::R1), K::ConsentMissing);
    assert_refused(&run.refused(skip("age")), Some(Rule::R1), K::ConsentMissing);
    assert_refused(
        &run.refused(EventKind::RapportConfirmed),
        Some(Rule::R1),
        K::ConsentMissing,
    );
    assert_refused(
        &run.refused(EventKind::Completed),
        Some(Rule::R1),
        K::ConsentMissing,
    );
    assert_eq!(
        run.session.next(),
        Step::Consent {
            from: Consenter::Respondent
        }
    );
    run.ok(consent(Consenter::Respondent))
        .ok(answer("age", Value::Integer(12)));
}

#[test]
fn a_child_needs_a_guardian_or_trusted_adult_too_r2() {
    for age in [Some(12), Some(17), None] {
        let mut run = child_explained(age);
        run.ok(consent(Consenter::Respondent))
            .ok(screen("distress", false))
            .ok(screen("injury", false));
        let refusal = run.refused(answer("age", Value::Integer(12)));
        assert_refused(&refusal, Some(Rule::R2), K::ConsentMissing);
        assert_eq!(
            run.session.next(),
            Step::Consent {
                from: Consenter::Guardian
            }
        );
        run.ok(consent(Consenter::TrustedAdult))
            .ok(answer("age", Value::Integer(12)));
    }
    // An 18-year-old answers on their own consent.
    let mut adult = child_explained(Some(18));
    adult
        .ok(consent(Consenter::Respondent))
        .ok(screen("distress", false))
        .ok(screen("injury", false))
        .ok(answer("age", Value::Integer(17)));
}

#[test]
fn a_trusted_adult_stands_in_only_where_the_protocol_allows_r2() {
    let source = fixtures::CHILD.replace(
        "trusted_adult_may_stand_in = true",
        "trusted_adult_may_stand_in = false",
    );
    let protocol = load("strict.toml", &source);
    let mut run = Run::new(protocol.clone());
    run.ok(started(&protocol, SessionKind::Full, Some(10)))
        .ok(EventKind::IntroductionGiven)
        .ok(data_use(&protocol));
    let refusal = run.refused(consent(Consenter::TrustedAdult));
    assert_refused(&refusal, Some(Rule::R2), K::WrongConsenter);
    run.ok(consent(Consenter::Guardian));
}

#[test]
fn a_refused_consent_ends_the_session_r1_r2() {
    let mut run = child_explained(Some(12));
    run.ok(consent(Consenter::Guardian))
        .ok(refuse(Consenter::Respondent));
    assert_eq!(run.session.next(), Step::Finished);
    assert_eq!(run.session.status(), Status::InProgress);
    for kind in [
        answer("age", Value::Integer(12)),
        screen("distress", false),
        EventKind::OthersPresentChanged {
            present: fieldkit_protocols::engine::OthersPresent::Parent,
        },
        EventKind::Stopped {
            reason: StopReason::Withdrew,
        },
        EventKind::Completed,
    ] {
        assert_refused(&run.refused(kind), Some(Rule::R1), K::ConsentRefused);
    }
    run.ok(EventKind::Stopped {
        reason: StopReason::Refused,
    });
    assert_eq!(run.session.status(), Status::Stopped(StopReason::Refused));
    let after = run.refused(EventKind::NoteAdded {
        text: "x".to_owned(),
    });
    assert_refused(&after, Some(Rule::R1), K::SessionEnded);

    // A guardian saying no ends it just the same, under R2.
    let mut run = child_explained(Some(12));
    run.ok(refuse(Consenter::Guardian));
    let refusal = run.refused(consent(Consenter::Respondent));
    assert_refused(&refusal, Some(Rule::R2), K::ConsentRefused);
}

#[test]
fn consent_comes_after_the_data_use_statement_r3() {
    let protocol = child();
    let mut run = Run::new(protocol.clone());
    run.ok(started(&protocol, SessionKind::Full, Some(12)))
        .ok(EventKind::IntroductionGiven);
    let refusal = run.refused(consent(Consenter::Respondent));
    assert_refused(&refusal, Some(Rule::R3), K::DataUseMissing);
}

#[test]
fn another_data_use_statement_is_refused_r4() {
    let protocol = child();
    let mut run = Run::new(protocol.clone());
    run.ok(started(&protocol, SessionKind::Full, Some(12)))
        .ok(EventKind::IntroductionGiven);
    let mut edited = (*protocol).clone();
    edited.data_use.who_sees = fieldkit_protocols::Text::single("en", "Anyone who asks.");
    let refusal = run.refused(data_use(&edited));
    assert_refused(&refusal, Some(Rule::R4), K::StatementChanged);
}

#[test]
fn a_session_of_another_protocol_version_is_refused_r4() {
    let protocol = child();
    let mut edited = (*protocol).clone();
    edited.closing = fieldkit_protocols::Text::single("en", "Bye.");
    let mut run = Run::new(protocol.clone());
    let refusal = run.refused(started(&edited, SessionKind::Full, Some(12)));
    assert_refused(&refusal, Some(Rule::R4), K::ProtocolMismatch);
    let mut start = start_of(&protocol, SessionKind::Full, Some(12), "en");
    start.protocol_version = 4;
    let refusal = run.refused(EventKind::SessionStarted(start));
    assert_refused(&refusal, Some(Rule::R4), K::ProtocolMismatch);
    run.ok(started(&protocol, SessionKind::Full, Some(12)));
    let again = run.refused(started(&protocol, SessionKind::Full, Some(12)));
    assert_refused(&again, None, K::AlreadyStarted);
}

#[test]
fn introduction_comes_before_data_use_r11() {
    let protocol = child();
    let mut run = Run::new(protocol.clone());
    run.ok(started(&protocol, SessionKind::Full, Some(12)));
    assert_refused(
        &run.refused(data_use(&protocol)),
        Some(Rule::R11),
        K::IntroductionMissing,
    );
    assert_eq!(run.session.next(), Step::Introduction);
}

#[test]
fn screening_comes_first_and_a_positive_screen_stops_everything_r5() {
    let mut run = child_explained(Some(12));
    run.ok(consent(Consenter::Guardian))
        .ok(consent(Consenter::Respondent));
    run.ok(screen("distress", false));
    let early = run.refused(answer("age", Value::Integer(12)));
    assert_refused(&early, Some(Rule::R5), K::ScreeningIncomplete);
    assert_refused(
        &run.refused(EventKind::Completed),
        Some(Rule::R5),
        K::ScreeningIncomplete,
    );
    let twice = run.refused(screen("distress", true));
    assert_refused(&twice, Some(Rule::R7), K::AlreadyAsked);
    assert_refused(
        &run.refused(screen("hunger", false)),
        None,
        K::UnknownScreeningItem,
    );
    let not_yet = run.refused(EventKind::Stopped {
        reason: StopReason::ScreeningPositive,
    });
    assert_refused(&not_yet, Some(Rule::R5), K::NotScreenedPositive);

    run.ok(screen("injury", true));
    assert_eq!(run.session.next(), Step::Referral);
    for kind in [
        answer("age", Value::Integer(12)),
        EventKind::NoteAdded {
            text: "x".to_owned(),
        },
        EventKind::RapportConfirmed,
        EventKind::Stopped {
            reason: StopReason::Withdrew,
        },
        EventKind::Completed,
    ] {
        assert_refused(&run.refused(kind), Some(Rule::R5), K::ScreenedPositive);
    }
    run.ok(EventKind::Stopped {
        reason: StopReason::ScreeningPositive,
    });
    assert_eq!(run.session.next(), Step::Referral);
    assert!(
        run.session.answers().is_empty(),
        "a positive screen keeps no answers"
    );
    let after = run.refused(answer("age", Value::Integer(12)));
    assert_refused(&after, Some(Rule::R5), K::SessionEnded);
}

#[test]
fn sensitive_questions_wait_for_rapport_but_can_always_be_skipped_r6() {
    let mut run = child_ready(Some(12));
    let refusal = run.refused(answer("left_home", Value::Bool(true)));
    assert_refused(&refusal, Some(Rule::R6), K::RapportMissing);
    run.ok(skip("left_home"));
    assert!(run.session.skipped().contains_key("left_home"));

    let mut run = child_ready(Some(12));
    run.ok(EventKind::RapportConfirmed);
    assert_refused(
        &run.refused(EventKind::RapportConfirmed),
        None,
        K::RapportAlreadyConfirmed,
    );
    run.ok(answer("left_home", Value::Bool(true)))
        .ok(answer("who_brought", Value::Choice("stranger".to_owned())));
}

#[test]
fn a_question_is_asked_once_and_corrected_by_amendment_r7() {
    let mut run = child_ready(Some(12));
    run.ok(answer("works", Value::Bool(true)));
    let again = run.refused(answer("works", Value::Bool(false)));
    assert_refused(&again, Some(Rule::R7), K::AlreadyAsked);
    assert_refused(&run.refused(skip("works")), Some(Rule::R7), K::AlreadyAsked);
    run.ok(skip("sex"));
    let after_skip = run.refused(answer("sex", Value::Choice("girl".to_owned())));
    assert_refused(&after_skip, Some(Rule::R7), K::AlreadyAsked);

    let amend = |reason: &str, question: &str| EventKind::Amended {
        question_id: question.to_owned(),
        value: Value::Bool(false),
        reason: reason.to_owned(),
    };
    assert_refused(
        &run.refused(amend("  ", "works")),
        Some(Rule::R7),
        K::BlankReason,
    );
    assert_refused(
        &run.refused(amend("mis-tap", "sex")),
        Some(Rule::R7),
        K::NotAnswered,
    );
    run.ok(amend("tapped yes by mistake", "works"));
    assert_eq!(run.session.answers()["works"], Value::Bool(false));
    let amendments = run.session.amendments();
    assert_eq!(amendments.len(), 1);
    assert_eq!(amendments[0].previous, Value::Bool(true));
    assert_eq!(amendments[0].reason, "tapped yes by mistake");
    // The amendment changed the skip logic: work questions are now irrelevant.
    assert!(!run.session.is_relevant("hours"));
}

#[test]
fn skip_logic_refuses_irrelevant_questions() {
    let mut run = child_ready(Some(12));
    assert!(
        !run.session.is_relevant("hours"),
        "unanswered `works` compares false"
    );
    run.ok(answer("works", Value::Bool(false)));
    let refusal = run.refused(answer("hours", Value::Integer(3)));
    assert_refused(&refusal, None, K::NotRelevant);
    assert_refused(&run.refused(skip("work_kind")), None, K::NotRelevant);

    let mut run = child_ready(Some(12));
    run.ok(answer("works", Value::Bool(true)))
        .ok(answer("hours", Value::Integer(3)))
        .ok(answer("work_kind", choices(&["farm", "vending"])));
}

#[test]
fn values_must_fit_the_question() {
    let mut run = child_ready(Some(12));
    assert_refused(
        &run.refused(answer("age", text("twelve"))),
        None,
        K::WrongKind,
    );
    assert_refused(
        &run.refused(answer("works", Value::Integer(1))),
        None,
        K::WrongKind,
    );
    let unknown = run.refused(answer("sex", Value::Choice("unknown".to_owned())));
    assert_refused(&unknown, None, K::UnknownChoice);
    assert_refused(
        &run.refused(answer("favourite_food", text("rice"))),
        None,
        K::UnknownQuestion,
    );
    run.ok(answer("works", Value::Bool(true)));
    assert_refused(
        &run.refused(answer("work_kind", choices(&["farm", "farm"]))),
        None,
        K::UnknownChoice,
    );
    assert_refused(
        &run.refused(answer("work_kind", choices(&["mining"]))),
        None,
        K::UnknownChoice,
    );

    let too_old = run.refused(answer("age", Value::Integer(30)));
    assert_refused(&too_old, None, K::ConstraintFailed);
    assert_eq!(too_old.message, "Age must be between 5 and 17.");
    let hours = run.refused(answer("hours", Value::Integer(25)));
    assert_eq!(hours.message, "A day has 24 hours.");
    run.ok(answer("age", Value::Integer(11)));
    // An amendment is checked like an answer.
    let amended = run.refused(EventKind::Amended {
        question_id: "age".to_owned(),
        value: Value::Integer(3),
        reason: "mis-tap".to_owned(),
    });
    assert_refused(&amended, None, K::ConstraintFailed);
}

#[test]
fn the_constraint_message_is_in_the_session_language() {
    let protocol = child();
    let mut run = Run::new(protocol.clone());
    let start = start_of(&protocol, SessionKind::Full, Some(12), "fr");
    run.ok(EventKind::SessionStarted(start))
        .ok(EventKind::IntroductionGiven)
        .ok(data_use(&protocol))
        .ok(consent(Consenter::Guardian))
        .ok(consent(Consenter::Respondent))
        .ok(screen("distress", false))
        .ok(screen("injury", false));
    let refusal = run.refused(answer("age", Value::Integer(2)));
    assert_eq!(refusal.message, "L'age doit etre entre 5 et 17 ans.");
}

#[test]
fn nothing_follows_a_stop_or_a_completion() {
    let mut run = child_ready(Some(12));
    run.ok(EventKind::Stopped {
        reason: StopReason::Withdrew,
    });
    let refusal = run.refused(answer("age", Value::Integer(12)));
    assert_refused(&refusal, Some(Rule::R9), K::SessionEnded);
    assert_eq!(run.session.next(), Step::Finished);

    let mut run = child_ready(Some(12));
    run.ok(answer("age", Value::Integer(12)))
        .ok(answer("sex", Value::Choice("boy".to_owned())))
        .ok(answer("works", Value::Bool(false)))
        .ok(skip("left_home"))
        .ok(EventKind::Completed);
    assert_eq!(run.session.status(), Status::Completed);
    let late = run.refused(answer("school", text("maths")));
    assert_refused(&late, None, K::SessionEnded);
    assert_refused(&run.refused(EventKind::Completed), None, K::SessionEnded);
}

#[test]
fn completing_needs_every_required_relevant_question() {
    let mut run = child_ready(Some(12));
    run.ok(answer("age", Value::Integer(12)))
        .ok(answer("works", Value::Bool(true)));
    let refusal = run.refused(EventKind::Completed);
    assert_refused(&refusal, None, K::Incomplete);
    assert!(refusal.message.contains("`sex`"), "{refusal}");
    run.ok(skip("sex"))
        .ok(answer("work_kind", choices(&[])))
        .ok(skip("hours"));
    let refusal = run.refused(EventKind::Completed);
    assert!(refusal.message.contains("`left_home`"), "{refusal}");
    // Optional questions (`nickname`, `school`) may stay unasked.
    run.ok(skip("left_home")).ok(EventKind::Completed);
}

#[test]
fn a_rapport_visit_asks_nothing_and_completes_after_rapport_r13() {
    let protocol = child();
    let mut run = Run::new(protocol.clone());
    run.ok(started(&protocol, SessionKind::RapportOnly, Some(12)))
        .ok(EventKind::IntroductionGiven)
        .ok(data_use(&protocol))
        .ok(consent(Consenter::Guardian))
        .ok(consent(Consenter::Respondent));
    assert_eq!(run.session.next(), Step::RapportCheckpoint);
    let refusal = run.refused(EventKind::Completed);
    assert_refused(&refusal, Some(Rule::R13), K::RapportMissing);
    run.ok(screen("distress", false))
        .ok(screen("injury", false));
    let question = run.refused(answer("age", Value::Integer(12)));
    assert_refused(&question, Some(Rule::R13), K::RapportVisit);
    run.ok(EventKind::RapportConfirmed);
    assert_eq!(run.session.next(), Step::Closing);
    run.ok(EventKind::Completed);
}

#[test]
fn sequence_numbers_and_clock_must_move_forward() {
    let protocol = child();
    let mut run = Run::new(protocol.clone());
    let first = run.refused(EventKind::IntroductionGiven);
    assert_refused(&first, None, K::NotStarted);
    run.ok(started(&protocol, SessionKind::Full, Some(12)));
    let gap = run.refused_event(Event {
        seq: 2,
        at: at(2),
        kind: EventKind::IntroductionGiven,
    });
    assert_refused(&gap, None, K::OutOfSequence);
    let repeat = run.refused_event(Event {
        seq: 0,
        at: at(2),
        kind: EventKind::IntroductionGiven,
    });
    assert_refused(&repeat, None, K::OutOfSequence);
    let earlier = at(0) - time::Duration::minutes(5);
    let back = run.refused_event(Event {
        seq: 1,
        at: earlier,
        kind: EventKind::IntroductionGiven,
    });
    assert_refused(&back, None, K::TimeWentBackwards);
    // The same instant is fine: phones tap fast.
    run.refused_event(Event {
        seq: 1,
        at: at(0),
        kind: data_use(&protocol),
    });
    run.session
        .apply(Event {
            seq: 1,
            at: at(0),
            kind: EventKind::IntroductionGiven,
        })
        .unwrap();
}

#[test]
fn the_session_language_must_be_one_the_protocol_has_r14() {
    let protocol = child();
    let mut run = Run::new(protocol.clone());
    let start = start_of(&protocol, SessionKind::Full, Some(12), "sw");
    let refusal = run.refused(EventKind::SessionStarted(start));
    assert_refused(&refusal, Some(Rule::R14), K::UnknownLanguage);
    assert!(refusal.message.contains("en, fr"), "{refusal}");
}
