//! Gates whose premise a later event changes (issue 14): an age answer
//! under the guardian age (R2), a participant who joins late (R1, R2, R5,
//! R6), someone new present after the screening or the rapport (R5, R6), a
//! protocol for adults meeting a child (R2), and `nobody` declared on an
//! interview. Each is shown refusing, then accepting once the gate is met.

mod engine_support;

use std::sync::Arc;

use engine_support::walk::{walk, Detours, Dice};
use engine_support::*;
use fieldkit_protocols::engine::{
    Consenter, Event, EventKind, OthersPresent, RefusalKind, Session, SessionKind, Status, Step,
};
use fieldkit_protocols::model::Respondents;
use fieldkit_protocols::{Protocol, Rule, Value};
use proptest::prelude::*;

/// Events that must wait for every consent a session needs.
fn waiting_events(protocol: &Protocol) -> Vec<EventKind> {
    let first = protocol.questions().next().unwrap().id.clone();
    vec![
        answer("works", Value::Bool(true)),
        skip("sex"),
        EventKind::NoteAdded {
            text: "she laughed".into(),
        },
        EventKind::RapportConfirmed,
        EventKind::Completed,
        EventKind::Amended {
            question_id: first,
            value: Value::Integer(17),
            reason: "mis-tap".into(),
        },
    ]
}

fn present(present: OthersPresent) -> EventKind {
    EventKind::OthersPresentChanged { present }
}

/// The protocol with another `respondents` declaration.
fn declaring(protocol: &Protocol, respondents: Respondents) -> Arc<Protocol> {
    let mut protocol = protocol.clone();
    protocol.respondents = Some(respondents);
    Arc::new(protocol)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    /// Started as an adult (no guardian asked), then an age answer under the
    /// guardian age: nothing more until a guardian or trusted adult agrees.
    #[test]
    fn an_age_answer_under_the_guardian_age_needs_a_guardian_whatever_the_start_said(
        start_age in 18u8..60,
        answered in 5i64..18,
        pick in 0usize..6,
        trusted in any::<bool>(),
    ) {
        let protocol = child();
        let mut run = Run::new(protocol.clone());
        run.ok(started(&protocol, SessionKind::Full, Some(start_age)))
            .ok(EventKind::IntroductionGiven)
            .ok(data_use(&protocol))
            .ok(consent(Consenter::Respondent))
            .ok(screen("distress", false))
            .ok(screen("injury", false))
            .ok(answer("age", Value::Integer(answered)));
        prop_assert_eq!(run.session.next(), Step::Consent { from: Consenter::Guardian });
        let waiting = waiting_events(&protocol)[pick].clone();
        let refusal = run.refused(waiting);
        prop_assert_eq!((refusal.rule, refusal.kind), (Some(Rule::R2), RefusalKind::ConsentMissing), "{}", refusal);
        prop_assert!(refusal.message.contains("age answer"), "{}", refusal);
        run.ok(consent(if trusted { Consenter::TrustedAdult } else { Consenter::Guardian }));
        prop_assert_eq!(run.session.next(), q("nickname"));
        // The log with the guardian's consent removed does not replay.
        let events = run.session.events().to_vec();
        let without: Vec<Event> = events[..events.len() - 1].to_vec();
        let mut replay = Session::replay(protocol, without).unwrap();
        let seq = replay.events().len() as u64;
        let refused = replay.apply(Event { seq, at: at(seq), kind: answer("nickname", text("Koko")) });
        prop_assert_eq!(refused.map_err(|r| r.rule), Err(Some(Rule::R2)));
    }

    /// A participant who joins a group under way must agree (and their
    /// guardian, where needed) before anything more is recorded; then the
    /// screening and the rapport start again for the group with them in it.
    #[test]
    fn a_late_participant_holds_the_group_until_they_agree_and_reopens_the_screening(
        age in proptest::option::of(8u8..30),
        late_age in proptest::option::of(8u8..30),
    ) {
        let protocol = screened_group();
        let mut run = Run::new(protocol.clone());
        run.ok(started(&protocol, SessionKind::Full, None))
            .ok(EventKind::IntroductionGiven)
            .ok(data_use(&protocol));
        for code in ["P1", "P2"] {
            run.ok(participant(code, age));
            if age.is_none_or(|a| a < 16) {
                run.ok(consent(Consenter::ParticipantGuardian(code.into())));
            }
            run.ok(consent(Consenter::Participant(code.into())));
        }
        run.ok(screen("distress", false))
            .ok(EventKind::RapportConfirmed)
            .ok(answer("worries", Value::Ranking(vec!["money".into(), "school".into(), "violence".into()])));
        run.ok(participant("P3", late_age));
        let guardian = late_age.is_none_or(|a| a < 16);
        let refusal = run.refused(answer("market_card", text("a market")));
        prop_assert_eq!((refusal.rule, refusal.kind), (Some(Rule::R1), RefusalKind::ConsentMissing), "{}", refusal);
        prop_assert!(refusal.message.contains("`P3`"), "{}", refusal);
        if guardian {
            prop_assert_eq!(run.session.next(), Step::Consent { from: Consenter::ParticipantGuardian("P3".into()) });
            run.ok(consent(Consenter::ParticipantGuardian("P3".into())));
        }
        prop_assert_eq!(run.session.next(), Step::Consent { from: Consenter::Participant("P3".into()) });
        run.ok(consent(Consenter::Participant("P3".into())));
        // The screening saw two children, not three: asked again (R5).
        prop_assert!(run.session.screening_reopened());
        prop_assert_eq!(run.session.next(), Step::Screening { item_id: "distress".into() });
        let refusal = run.refused(answer("market_card", text("a market")));
        prop_assert_eq!((refusal.rule, refusal.kind), (Some(Rule::R5), RefusalKind::ScreeningIncomplete));
        run.ok(screen("distress", false));
        // The rapport was with two children: confirmed again before a sensitive question (R6).
        prop_assert!(run.session.rapport_lapsed());
        let refusal = run.refused(answer("market_card", text("a market")));
        prop_assert_eq!((refusal.rule, refusal.kind), (Some(Rule::R6), RefusalKind::RapportMissing));
        run.ok(EventKind::RapportConfirmed).ok(answer("market_card", text("a market")));
    }

    /// Someone new present after the screening reopens it (R5), and after
    /// the rapport makes it lapse (R6); someone leaving changes nothing.
    #[test]
    fn someone_new_present_reopens_the_screening_and_the_rapport(
        who in prop_oneof![Just(OthersPresent::Parent), Just(OthersPresent::Employer), Just(OthersPresent::Peer), Just(OthersPresent::Official), Just(OthersPresent::Other)],
        positive in any::<bool>(),
    ) {
        let protocol = child();
        let mut run = child_ready(Some(12));
        run.ok(answer("age", Value::Integer(12)))
            .ok(answer("sex", Value::Choice("girl".into())))
            .ok(answer("works", Value::Bool(false)))
            .ok(skip("school"))
            .ok(skip("nickname"))
            .ok(EventKind::RapportConfirmed)
            .ok(present(OthersPresent::None));
        prop_assert!(!run.session.screening_reopened(), "nobody joined");
        run.ok(present(who));
        prop_assert_eq!(run.session.next(), Step::Screening { item_id: "distress".into() });
        let refusal = run.refused(answer("left_home", Value::Bool(true)));
        prop_assert_eq!((refusal.rule, refusal.kind), (Some(Rule::R5), RefusalKind::ScreeningIncomplete));
        prop_assert!(refusal.message.contains("someone joined"), "{}", refusal);
        run.ok(screen("distress", positive));
        if positive {
            // The referral, as for a first screening, and no answer leaves.
            prop_assert_eq!(run.session.next(), Step::Referral);
            run.ok(EventKind::Stopped { reason: fieldkit_protocols::engine::StopReason::ScreeningPositive });
            let sent = fieldkit_protocols::anonymise::anonymise(&protocol, run.session.events(), &[]);
            let kept = sent.events.iter().any(|e| matches!(e.kind, EventKind::Answered { .. } | EventKind::Skipped { .. }));
            prop_assert!(!kept, "a positive screen keeps no answers");
            prop_assert!(Session::replay(protocol, sent.events).is_ok());
            return Ok(());
        }
        run.ok(screen("injury", false));
        prop_assert_eq!(run.session.next(), Step::RapportCheckpoint);
        let refusal = run.refused(answer("left_home", Value::Bool(true)));
        prop_assert_eq!((refusal.rule, refusal.kind), (Some(Rule::R6), RefusalKind::RapportMissing));
        prop_assert!(refusal.message.contains("confirm it again"), "{}", refusal);
        // Skipping stays possible (R6), and confirming again opens the rest.
        run.ok(EventKind::RapportConfirmed).ok(answer("left_home", Value::Bool(true)));
    }

    /// A protocol declaring adults refuses anyone recorded under 18, at the
    /// start, on the roster or in an age answer; 18 and over pass.
    #[test]
    fn a_protocol_for_adults_refuses_a_child_wherever_the_age_is_recorded(age in 0u8..40) {
        let adult = age >= 18;
        let adults = declaring(&child_without_age_limit(), Respondents::Adults);
        let mut run = Run::new(adults.clone());
        let start = started(&adults, SessionKind::Full, Some(age));
        if adult {
            run.ok(start);
        } else {
            let refusal = run.refused(start);
            prop_assert_eq!((refusal.rule, refusal.kind), (Some(Rule::R2), RefusalKind::ChildInAdultProtocol));
            run.ok(started(&adults, SessionKind::Full, None));
        }
        run.ok(EventKind::IntroductionGiven)
            .ok(data_use(&adults))
            .ok(consent(Consenter::Respondent))
            .ok(screen("distress", false))
            .ok(screen("injury", false));
        let answered = answer("age", Value::Integer(i64::from(age)));
        if adult {
            run.ok(answered);
        } else {
            let refusal = run.refused(answered);
            prop_assert_eq!((refusal.rule, refusal.kind), (Some(Rule::R2), RefusalKind::ChildInAdultProtocol));
            prop_assert!(refusal.message.contains("is for adults"), "{}", refusal);
        }

        let group = declaring(&group(), Respondents::Adults);
        let mut run = Run::new(group.clone());
        run.ok(started(&group, SessionKind::Full, None))
            .ok(EventKind::IntroductionGiven)
            .ok(data_use(&group));
        let joined = participant("P1", Some(age));
        if adult {
            run.ok(joined);
        } else {
            prop_assert_eq!(run.refused(joined).kind, RefusalKind::ChildInAdultProtocol);
        }
    }

    /// An interview that declares it meets nobody is still an interview:
    /// consent (R1) and, for children, a guardian (R2) before any answer.
    #[test]
    fn declaring_nobody_does_not_switch_consent_off(rolls in proptest::collection::vec(any::<u32>(), 0..300)) {
        let protocol = declaring(&child(), Respondents::Nobody);
        let mut run = Run::new(protocol.clone());
        run.ok(started(&protocol, SessionKind::Full, Some(12)));
        prop_assert_eq!(run.session.next(), Step::Introduction);
        let refusal = run.refused(answer("age", Value::Integer(12)));
        prop_assert_eq!(refusal.rule, Some(Rule::R1));
        run.ok(EventKind::IntroductionGiven).ok(data_use(&protocol)).ok(consent(Consenter::Respondent));
        let refusal = run.refused(answer("age", Value::Integer(12)));
        prop_assert_eq!(refusal.rule, Some(Rule::R2));
        // And any legal walk through it follows the child rules.
        let mut dice = Dice::new(rolls);
        let session = walk(&protocol, started(&protocol, SessionKind::Full, Some(12)), &mut dice, Detours::COMPLETE)
            .map_err(TestCaseError::fail)?;
        prop_assert_eq!(session.status(), Status::Completed);
        prop_assert!(session.consents().iter().any(|c| c.by == Consenter::Guardian || c.by == Consenter::TrustedAdult));
    }
}

/// The child fixture without its 5-17 age constraint, so any age can be answered.
fn child_without_age_limit() -> Protocol {
    let mut protocol = (*child()).clone();
    for question in protocol
        .sections
        .iter_mut()
        .flat_map(|s| s.questions.iter_mut())
    {
        if question.id == "age" {
            question.constraint = None;
        }
    }
    protocol
}

/// The group fixture with a screening item and a sensitive second question.
fn screened_group() -> Arc<Protocol> {
    let mut protocol = (*group()).clone();
    let child = child();
    protocol.screening = child.screening.clone();
    if let Some(screening) = &mut protocol.screening {
        screening.items.truncate(1);
    }
    protocol.referral = child.referral.clone();
    protocol.sections[0].questions[1].sensitive = true;
    Arc::new(protocol)
}
