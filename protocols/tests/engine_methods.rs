//! Focus groups and observation sheets: roster, per-participant consent,
//! tallies and indicators; and the consent bookkeeping shared with
//! interviews. `Run::refused` checks that a refused event changed nothing.

mod engine_support;

use engine_support::*;
use fieldkit_protocols::engine::{
    Consenter, Decision, EventKind, RefusalKind as K, Session, SessionKind, Sex, Status, Step,
    StopReason,
};
use fieldkit_protocols::{Rule, Value};

#[test]
fn consent_bookkeeping() {
    let mut run = child_explained(Some(12));
    let audio = EventKind::ConsentRecorded {
        by: Consenter::Respondent,
        decision: Decision::Given,
        audio_recording: true,
    };
    assert_refused(&run.refused(audio), None, K::AudioNotAllowed);
    run.ok(consent(Consenter::Guardian));
    let twice = run.refused(consent(Consenter::Guardian));
    assert_refused(&twice, Some(Rule::R2), K::ConsentAlreadyRecorded);
    let participant = run.refused(consent(Consenter::Participant("P1".to_owned())));
    assert_refused(&participant, Some(Rule::R1), K::WrongConsenter);
    assert_refused(&run.refused(participant_event()), None, K::NotForThisMethod);
    let tally = EventKind::IndicatorChecked {
        indicator_id: "adult_collects".to_owned(),
        observed: true,
    };
    assert_refused(&run.refused(tally), None, K::NotForThisMethod);
}

fn participant_event() -> EventKind {
    participant("P1", Some(12))
}

#[test]
fn only_identifying_answers_are_withheld_r21() {
    let mut run = child_ready(Some(12));
    let withhold = |q: &str| EventKind::AnswerWithheld {
        question_id: q.to_owned(),
    };
    assert_refused(
        &run.refused(withhold("age")),
        Some(Rule::R21),
        K::NotIdentifying,
    );
    run.ok(withhold("nickname"));
    assert!(run.session.withheld().contains("nickname"));
    assert!(!run.session.answers().contains_key("nickname"));
    let again = run.refused(answer("nickname", text("Kiki")));
    assert_refused(&again, Some(Rule::R7), K::AlreadyAsked);
}

#[test]
fn focus_group_roster_and_consent() {
    let protocol = group();
    let mut run = Run::new(protocol.clone());
    run.ok(started(&protocol, SessionKind::Full, None))
        .ok(EventKind::IntroductionGiven)
        .ok(data_use(&protocol));
    for bad in ["Amina", "P0", "P01", "X1", "P", "P1a"] {
        let refusal = run.refused(participant(bad, Some(12)));
        assert_refused(&refusal, Some(Rule::R21), K::BadParticipantCode);
    }
    run.ok(participant("P1", Some(17)));
    assert_refused(
        &run.refused(participant("P1", Some(12))),
        None,
        K::DuplicateParticipant,
    );
    let individual = run.refused(consent(Consenter::Respondent));
    assert_refused(&individual, Some(Rule::R1), K::WrongConsenter);
    let stranger = run.refused(consent(Consenter::Participant("P9".to_owned())));
    assert_refused(&stranger, None, K::UnknownParticipant);

    run.ok(consent(Consenter::Participant("P1".to_owned())));
    let ranking = Value::Ranking(vec![
        "violence".to_owned(),
        "money".to_owned(),
        "school".to_owned(),
    ]);
    let alone = run.refused(answer("worries", ranking.clone()));
    assert_refused(&alone, Some(Rule::R1), K::TooFewParticipants);
    let note = run.refused(EventKind::NoteAdded {
        text: "quiet group".to_owned(),
    });
    assert_refused(&note, Some(Rule::R1), K::TooFewParticipants);

    // P2 is 12: under the group's guardian age of 16, so their assent alone is not enough.
    run.ok(participant("P2", Some(12)))
        .ok(consent(Consenter::Participant("P2".to_owned())));
    assert_eq!(run.session.taking_part(), 1);
    assert_refused(
        &run.refused(answer("worries", ranking.clone())),
        Some(Rule::R1),
        K::TooFewParticipants,
    );
    run.ok(consent(Consenter::ParticipantGuardian("P2".to_owned())));
    assert_eq!(run.session.taking_part(), 2);

    // P3 refusing does not stop the group: they are simply not part of it.
    run.ok(participant("P3", Some(16)))
        .ok(refuse(Consenter::Participant("P3".to_owned())))
        .ok(answer("worries", ranking));
    let change_mind = run.refused(consent(Consenter::Participant("P3".to_owned())));
    assert_refused(&change_mind, Some(Rule::R1), K::ConsentAlreadyRecorded);
    run.ok(participant("P4", None));
    let full = run.refused(participant("P5", Some(14)));
    assert_refused(&full, None, K::RosterFull);
    assert_eq!(run.session.roster().len(), 4);
    assert!(!run.session.roster()[2].takes_part());
}

#[test]
fn observation_sheets_have_no_consent_and_keep_honest_tallies() {
    let protocol = observation();
    let mut run = Run::new(protocol.clone());
    let mut rapport = start_of(&protocol, SessionKind::RapportOnly, None, "en");
    assert_refused(
        &run.refused(EventKind::SessionStarted(rapport.clone())),
        None,
        K::NotForThisMethod,
    );
    rapport.kind = SessionKind::Full;
    rapport.site_type = Some("private_home".to_owned());
    let site = run.refused(EventKind::SessionStarted(rapport));
    assert_refused(&site, Some(Rule::R20), K::UnknownSiteType);
    run.ok(started(&protocol, SessionKind::Full, None));
    assert_eq!(run.session.next(), Step::Observation);
    assert_refused(
        &run.refused(EventKind::IntroductionGiven),
        None,
        K::NotForThisMethod,
    );
    assert_refused(
        &run.refused(consent(Consenter::Respondent)),
        None,
        K::NotForThisMethod,
    );
    assert_refused(
        &run.refused(EventKind::RapportConfirmed),
        None,
        K::NotForThisMethod,
    );

    let tally = |id: &str, group: &str, delta: i32| EventKind::Tallied {
        tally_id: id.to_owned(),
        sex: fieldkit_protocols::engine::Sex::Female,
        age_group: group.to_owned(),
        delta,
    };
    assert_refused(
        &run.refused(tally("adults_drinking", "adult", 1)),
        None,
        K::UnknownTally,
    );
    assert_refused(
        &run.refused(tally("children_vending", "13", 1)),
        None,
        K::UnknownAgeGroup,
    );
    assert_refused(
        &run.refused(tally("children_vending", "12_17", 0)),
        None,
        K::ZeroTally,
    );
    assert_refused(
        &run.refused(tally("children_vending", "12_17", -1)),
        None,
        K::TallyBelowZero,
    );
    run.ok(tally("children_vending", "12_17", 1))
        .ok(tally("children_vending", "12_17", 1))
        .ok(tally("children_vending", "12_17", -1));
    assert_refused(
        &run.refused(tally("children_vending", "12_17", -2)),
        None,
        K::TallyBelowZero,
    );
    let unknown = EventKind::IndicatorChecked {
        indicator_id: "weapons".to_owned(),
        observed: true,
    };
    assert_refused(&run.refused(unknown), None, K::UnknownIndicator);
    assert_refused(
        &run.refused(participant("P1", None)),
        None,
        K::NotForThisMethod,
    );
    run.ok(EventKind::NoteAdded {
        text: "rain, few people".to_owned(),
    })
    .ok(EventKind::Completed);
}

#[test]
fn next_walks_a_focus_group() {
    let protocol = group();
    let mut run = Run::new(protocol.clone());
    run.ok(started(&protocol, SessionKind::Full, None));
    expect(&mut run, &Step::Introduction, EventKind::IntroductionGiven);
    expect(&mut run, &Step::DataUse, data_use(&protocol));
    expect(&mut run, &Step::Roster, participant("P1", Some(15)));
    let p1 = || "P1".to_owned();
    expect(
        &mut run,
        &Step::Consent {
            from: Consenter::ParticipantGuardian(p1()),
        },
        consent(Consenter::ParticipantGuardian(p1())),
    );
    expect(
        &mut run,
        &Step::Consent {
            from: Consenter::Participant(p1()),
        },
        consent(Consenter::Participant(p1())),
    );
    expect(&mut run, &Step::Roster, participant("P2", Some(16)));
    expect(
        &mut run,
        &Step::Consent {
            from: Consenter::Participant("P2".into()),
        },
        refuse(Consenter::Participant("P2".into())),
    );
    expect(&mut run, &Step::Roster, participant("P3", None));
    expect(
        &mut run,
        &Step::Consent {
            from: Consenter::ParticipantGuardian("P3".into()),
        },
        consent(Consenter::ParticipantGuardian("P3".into())),
    );
    expect(
        &mut run,
        &Step::Consent {
            from: Consenter::Participant("P3".into()),
        },
        consent(Consenter::Participant("P3".into())),
    );
    let ranking = Value::Ranking(vec!["money".into(), "school".into(), "violence".into()]);
    expect(&mut run, &q("worries"), answer("worries", ranking));
    run.ok(EventKind::NoteAdded {
        text: "lively discussion".into(),
    });
    expect(
        &mut run,
        &q("market_card"),
        answer("market_card", text("children selling")),
    );
    expect(&mut run, &Step::Closing, EventKind::Completed);
    let taking_part: Vec<&str> = run
        .session
        .roster()
        .iter()
        .filter(|p| p.takes_part())
        .map(|p| p.code.as_str())
        .collect();
    assert_eq!(taking_part, ["P1", "P3"]);
    let replayed = Session::replay(protocol, run.session.events().to_vec()).unwrap();
    assert!(replayed == run.session);
}

#[test]
fn a_focus_group_that_cannot_reach_its_minimum_is_finished() {
    let source = fixtures::GROUP.replace("max_participants = 4", "max_participants = 2");
    let protocol = load("small-group.toml", &source);
    let mut run = Run::new(protocol.clone());
    run.ok(started(&protocol, SessionKind::Full, None))
        .ok(EventKind::IntroductionGiven)
        .ok(data_use(&protocol))
        .ok(participant("P1", Some(16)))
        .ok(refuse(Consenter::Participant("P1".into())))
        .ok(participant("P2", Some(16)))
        .ok(consent(Consenter::Participant("P2".into())));
    assert_eq!(run.session.next(), Step::Finished);
    assert_eq!(run.session.status(), Status::InProgress);
    run.ok(EventKind::Stopped {
        reason: StopReason::InterviewerEnded,
    });
}

#[test]
fn an_observation_sheet_counts_and_completes() {
    let protocol = observation();
    let mut run = Run::new(protocol.clone());
    assert_eq!(run.session.next(), Step::Observation);
    run.ok(started(&protocol, SessionKind::Full, None));
    let tally = |sex: Sex, group: &str, delta: i32| EventKind::Tallied {
        tally_id: "children_vending".to_owned(),
        sex,
        age_group: group.to_owned(),
        delta,
    };
    expect(
        &mut run,
        &Step::Observation,
        tally(Sex::Male, "under_12", 1),
    );
    expect(
        &mut run,
        &Step::Observation,
        tally(Sex::Male, "under_12", 1),
    );
    expect(&mut run, &Step::Observation, tally(Sex::Female, "12_17", 1));
    expect(
        &mut run,
        &Step::Observation,
        tally(Sex::Male, "under_12", -1),
    );
    run.ok(EventKind::IndicatorChecked {
        indicator_id: "adult_collects".into(),
        observed: true,
    })
    .ok(EventKind::IndicatorChecked {
        indicator_id: "adult_collects".into(),
        observed: false,
    });
    let totals: Vec<(Sex, &str, i64)> = run
        .session
        .tallies()
        .iter()
        .map(|(k, v)| (k.sex, k.age_group.as_str(), *v))
        .collect();
    assert_eq!(
        totals,
        [(Sex::Female, "12_17", 1), (Sex::Male, "under_12", 1)]
    );
    assert!(!run.session.indicators()["adult_collects"]);
    run.ok(EventKind::Completed);
    assert_eq!(run.session.next(), Step::Finished);
    assert!(run.session.findings().is_empty());
}

#[test]
fn an_observation_sheet_takes_no_identifying_answer_r21() {
    let source = format!(
        "{}{}",
        fixtures::OBSERVATION,
        r#"
[[sections]]
id = "site"
title = { en = "Site", fr = "Site" }

[[sections.questions]]
id = "crowd"
text = { en = "How crowded is it?", fr = "Y a-t-il du monde ?" }
kind = "integer"
purpose = "rq1"

[[sections.questions]]
id = "child_description"
text = { en = "Describe the youngest child", fr = "Decrivez le plus jeune enfant" }
kind = "text"
purpose = "rq1"
identifying = true
"#
    );
    let protocol = load("observation-identifying.toml", &source);
    let mut run = Run::new(protocol.clone());
    run.ok(started(&protocol, SessionKind::Full, None));
    expect(&mut run, &q("crowd"), answer("crowd", Value::Integer(40)));
    assert_eq!(run.session.next(), q("child_description"));
    let refusal = run.refused(answer("child_description", text("red shirt")));
    assert_refused(&refusal, Some(Rule::R21), K::NotForThisMethod);
    run.ok(skip("child_description"));
    assert_eq!(run.session.next(), Step::Observation);
}
