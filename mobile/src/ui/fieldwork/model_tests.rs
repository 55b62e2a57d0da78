//! The interview walked through the view model with the shipped protocols and
//! no renderer: every event the model records must also reach the store.

use std::convert::Infallible;

use fieldkit_protocols::engine::RefusalKind;
use fieldkit_protocols::library::load_all;
use fieldkit_protocols::Rule;
use time::macros::datetime;

use super::*;

const AT: OffsetDateTime = datetime!(2026-11-28 10:00 UTC);

fn protocol(id: &str) -> Arc<Protocol> {
    Arc::new(load_all().into_iter().find(|p| p.id == id).unwrap())
}

fn form(age: Option<u8>) -> StartForm {
    StartForm {
        respondent: RefNumber::from_uuid(Uuid::from_u128(7)),
        respondent_age: age,
        language: "fr".into(),
        interviewer: "Awa".into(),
        interviewer_languages: vec!["fr".into()],
        kind: SessionKind::Full,
        site_type: None,
        findings_pack: None,
    }
}

/// An interview whose events are kept in `stored`, like the vault would.
fn started(id: &str, age: Option<u8>, stored: &mut Vec<Event>) -> Interview {
    Interview::start(protocol(id), form(age), AT, keep(stored)).unwrap()
}

fn keep(stored: &mut Vec<Event>) -> impl FnMut(Uuid, &Event) -> Result<(), Infallible> + '_ {
    move |_, e| {
        stored.push(e.clone());
        Ok(())
    }
}

fn through_consent(i: &mut Interview, stored: &mut Vec<Event>) {
    i.act(Action::IntroductionGiven, AT, keep(stored)).unwrap();
    i.act(Action::DataUseExplained, AT, keep(stored)).unwrap();
    for by in [Consenter::Guardian, Consenter::Respondent] {
        assert_eq!(i.step(), Step::Consent { from: by.clone() });
        let consent = Action::Consent {
            by,
            decision: Decision::Given,
            audio: false,
        };
        i.act(consent, AT, keep(stored)).unwrap();
    }
}

/// An answer the shipped protocol accepts: the first choice, "no", 10.
fn plausible(q: &Question) -> Value {
    let first = || {
        q.choices
            .first()
            .map(|c| c.value.clone())
            .unwrap_or_default()
    };
    match q.kind {
        QuestionKind::YesNo => Value::Bool(false),
        QuestionKind::Integer => Value::Integer(10),
        QuestionKind::SingleChoice => Value::Choice(first()),
        QuestionKind::MultipleChoice => Value::Choices(vec![first()]),
        QuestionKind::Ranking => {
            Value::Ranking(q.choices.iter().map(|c| c.value.clone()).collect())
        }
        _ => Value::Text("a bus".into()),
    }
}

#[test]
fn a_full_interview_walks_every_step_in_order_and_every_event_is_stored() {
    let mut stored = Vec::new();
    let mut i = started("child-rapid-assessment", Some(12), &mut stored);
    assert_eq!(i.step(), Step::Introduction);
    let intro = i.introduction();
    assert!(intro.contains("Je m'appelle Awa"), "{intro}");
    assert!(!intro.contains("{organisation}"), "{intro}");
    through_consent(&mut i, &mut stored);

    let mut seen = Vec::new();
    for _ in 0..500 {
        let step = i.step();
        seen.push(std::mem::discriminant(&step));
        let action = match step {
            Step::Screening { item_id } => Action::Screen {
                item_id,
                positive: false,
            },
            Step::Question { question_id } => {
                let q = i.question(&question_id).unwrap();
                Action::Answer {
                    value: plausible(q),
                    question_id,
                }
            }
            Step::RapportCheckpoint => Action::RapportConfirmed,
            Step::SensitiveSection { first_question_id } => {
                assert!(i.question(&first_question_id).unwrap().sensitive);
                Action::SkipSensitiveSection
            }
            Step::Closing => Action::Complete,
            Step::Finished => break,
            other => panic!("unexpected step {other:?}"),
        };
        i.act(action, AT, keep(&mut stored)).unwrap();
    }
    assert_eq!(i.session().status(), Status::Completed);
    assert_eq!(stored, i.session().events(), "the store has every event");
    assert!(seen.contains(&std::mem::discriminant(&Step::RapportCheckpoint)));
    let skipped_sensitive = i
        .session()
        .skipped()
        .keys()
        .filter(|id| i.question(id).unwrap().sensitive)
        .count();
    assert!(skipped_sensitive > 0, "the sensitive section was skipped");
    let envelope = i.seal(&[], Uuid::nil());
    envelope.verify_content_hash().unwrap();
    assert_eq!(envelope.respondent, i.respondent().unwrap().to_string());
}

#[test]
fn a_positive_screen_stops_the_session_and_shows_the_referral() {
    let mut stored = Vec::new();
    let mut i = started("child-rapid-assessment", Some(12), &mut stored);
    through_consent(&mut i, &mut stored);
    let Step::Screening { item_id } = i.step() else {
        panic!("screening comes after consent");
    };
    let positive = Action::Screen {
        item_id,
        positive: true,
    };
    i.act(positive, AT, keep(&mut stored)).unwrap();
    assert_eq!(i.step(), Step::Referral);
    assert_eq!(
        i.session().status(),
        Status::Stopped(StopReason::ScreeningPositive)
    );
    assert!(i.is_over());
    assert!(matches!(
        stored.last().unwrap().kind,
        EventKind::Stopped {
            reason: StopReason::ScreeningPositive
        }
    ));
}

#[test]
fn a_refused_answer_changes_nothing_and_names_the_constraint() {
    let mut stored = Vec::new();
    let mut i = started("child-rapid-assessment", Some(12), &mut stored);
    through_consent(&mut i, &mut stored);
    while let Step::Screening { item_id } = i.step() {
        let action = Action::Screen {
            item_id,
            positive: false,
        };
        i.act(action, AT, keep(&mut stored)).unwrap();
    }
    let before = stored.len();
    let too_old = Action::Answer {
        question_id: "age".into(),
        value: Value::Integer(40),
    };
    let Err(ActionError::Refused(refusal)) = i.act(too_old, AT, keep(&mut stored)) else {
        panic!("age 40 is outside the constraint");
    };
    assert_eq!(refusal.kind, RefusalKind::ConstraintFailed);
    assert_eq!(stored.len(), before, "nothing was stored");
    assert_eq!(
        i.step(),
        Step::Question {
            question_id: "age".into()
        }
    );
}

#[test]
fn a_question_is_asked_once_and_an_amendment_needs_a_reason() {
    let mut stored = Vec::new();
    let mut i = started("child-rapid-assessment", Some(12), &mut stored);
    through_consent(&mut i, &mut stored);
    while let Step::Screening { item_id } = i.step() {
        let a = Action::Screen {
            item_id,
            positive: false,
        };
        i.act(a, AT, keep(&mut stored)).unwrap();
    }
    let answer = |n| Action::Answer {
        question_id: "age".into(),
        value: Value::Integer(n),
    };
    i.act(answer(11), AT, keep(&mut stored)).unwrap();
    let Err(ActionError::Refused(again)) = i.act(answer(12), AT, keep(&mut stored)) else {
        panic!("asked twice");
    };
    assert_eq!(again.rule, Some(Rule::R7));
    let amend = |reason: &str| Action::Amend {
        question_id: "age".into(),
        value: Value::Integer(12),
        reason: reason.into(),
    };
    let Err(ActionError::Refused(blank)) = i.act(amend("  "), AT, keep(&mut stored)) else {
        panic!("an amendment without a reason");
    };
    assert_eq!(blank.kind, RefusalKind::BlankReason);
    i.act(amend("mis-tap"), AT, keep(&mut stored)).unwrap();
    assert_eq!(i.session().answers()["age"], Value::Integer(12));
    assert_eq!(i.session().amendments().len(), 1);
    let (q, v) = i.answered()[0];
    assert_eq!((q.id.as_str(), i.describe(q, v)), ("age", "12".to_owned()));
}

#[test]
fn a_refused_consent_ends_the_session_and_a_failing_store_changes_nothing() {
    let mut stored = Vec::new();
    let mut i = started("child-rapid-assessment", Some(12), &mut stored);
    i.act(Action::IntroductionGiven, AT, keep(&mut stored))
        .unwrap();
    let failing = |_: Uuid, _: &Event| Err("disk full");
    let Err(ActionError::NotStored(why)) = i.act(Action::DataUseExplained, AT, failing) else {
        panic!("the store failed");
    };
    assert_eq!(why, "disk full");
    assert_eq!(i.step(), Step::DataUse, "the model did not move on");
    i.act(Action::DataUseExplained, AT, keep(&mut stored))
        .unwrap();
    let no = Action::Consent {
        by: Consenter::Guardian,
        decision: Decision::Refused,
        audio: false,
    };
    i.act(no, AT, keep(&mut stored)).unwrap();
    assert_eq!(i.session().status(), Status::Stopped(StopReason::Refused));
    assert_eq!(i.step(), Step::Finished);
}

#[test]
fn a_focus_group_numbers_participants_and_asks_each_one() {
    let mut stored = Vec::new();
    let mut i = started("focus-group-visualisation", None, &mut stored);
    i.act(Action::IntroductionGiven, AT, keep(&mut stored))
        .unwrap();
    i.act(Action::DataUseExplained, AT, keep(&mut stored))
        .unwrap();
    assert_eq!(i.step(), Step::Roster);
    i.act(
        Action::AddParticipant { age: Some(13) },
        AT,
        keep(&mut stored),
    )
    .unwrap();
    assert_eq!(i.session().roster()[0].code, "P1");
    assert_eq!(i.next_participant_code(), "P2");
    assert_eq!(
        i.step(),
        Step::Consent {
            from: Consenter::ParticipantGuardian("P1".into())
        }
    );
}

#[test]
fn typed_answers_become_values_of_the_question_kind() {
    let one = |s: &str| vec![s.to_owned()];
    assert_eq!(
        parse_input(QuestionKind::Integer, &one(" 12 ")),
        Ok(Value::Integer(12))
    );
    assert_eq!(
        parse_input(QuestionKind::Integer, &one("twelve")),
        Err(InputProblem::NotWholeNumber)
    );
    assert_eq!(
        parse_input(QuestionKind::Decimal, &one("1,5")),
        Ok(Value::Decimal(1.5))
    );
    assert_eq!(
        parse_input(QuestionKind::Text, &one("  ")),
        Err(InputProblem::Empty)
    );
    assert_eq!(
        parse_input(QuestionKind::YesNo, &one("no")),
        Ok(Value::Bool(false))
    );
    assert_eq!(
        parse_input(QuestionKind::Ranking, &["b".into(), "a".into()]),
        Ok(Value::Ranking(vec!["b".into(), "a".into()]))
    );
    assert_eq!(
        parse_input(QuestionKind::MultipleChoice, &[]),
        Err(InputProblem::Empty)
    );
}
