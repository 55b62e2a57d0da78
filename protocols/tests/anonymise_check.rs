//! The server's R21 check (`check_anonymised`): a log the phone's anonymiser
//! produced always passes, and each thing the phone should have removed is
//! refused with its rule, naming the place and never the value.

mod anonymise_support;

use std::sync::Arc;

use anonymise_support::{consent, note, protocol, stopped, strings, text, Recorder};
use fieldkit_protocols::anonymise::{
    anonymise, check_anonymised, settle, NotAnonymised, RedactionReport, Scrubber,
};
use fieldkit_protocols::engine::{Consenter, Decision, Event, EventKind, Session, StopReason};
use fieldkit_protocols::model::TimestampPrecision;
use fieldkit_protocols::refnum::RefNumber;
use fieldkit_protocols::{Protocol, Rule, Value};
use proptest::prelude::*;
use time::macros::datetime;
use uuid::Uuid;

/// A valid reference number, as the phone writes it.
const CHILD: &str = "K7QM-2XHD-0";

fn identity() -> Vec<String> {
    strings(&["Aminata Traoré", "Kofi Mensah"])
}

fn interview(protocol: &Arc<Protocol>, respondent: &str) -> Vec<Event> {
    let mut r = Recorder::start(protocol.clone(), respondent, Some(12));
    r.consent()
        .record(EventKind::ScreeningAnswered {
            item_id: "distress".to_owned(),
            positive: false,
        })
        .answer("age", Value::Integer(12))
        .answer("first_name", text("Aminata"))
        .answer(
            "home_area",
            Value::Location {
                lat: 9.458_12,
                lon: -5.629_47,
            },
        )
        .answer(
            "journey",
            text("Kofi Mensah brought her; his number is +225 07 12 34 56 78"),
        )
        .record(note("write to kofi@mail.ci, passport CI0012345"))
        .record(EventKind::Amended {
            question_id: "age".to_owned(),
            value: Value::Integer(13),
            reason: "she showed her card".to_owned(),
        })
        .record(EventKind::Completed);
    r.events()
}

/// The phone's own output for `interview`.
fn sent(protocol: &Arc<Protocol>) -> Vec<Event> {
    anonymise(protocol, &interview(protocol, CHILD), &identity()).events
}

fn refused(protocol: &Protocol, respondent: &str, events: &[Event]) -> NotAnonymised {
    check_anonymised(protocol, respondent, events).expect_err("the check should refuse this log")
}

/// Puts `kind` in place of the event at `index` of an anonymised log.
fn with(mut events: Vec<Event>, index: usize, kind: EventKind) -> Vec<Event> {
    events[index].kind = kind;
    events
}

fn index_of(events: &[Event], wanted: impl Fn(&EventKind) -> bool) -> usize {
    events.iter().position(|e| wanted(&e.kind)).unwrap()
}

#[test]
fn what_the_phone_sends_passes() {
    let protocol = protocol();
    let events = sent(&protocol);
    assert_eq!(check_anonymised(&protocol, CHILD, &events), Ok(()));
}

#[test]
fn an_identifying_answer_sent_in_clear_is_refused_by_question_never_by_value() {
    let protocol = protocol();
    let events = sent(&protocol);
    let at = index_of(&events, |k| matches!(k, EventKind::AnswerWithheld { .. }));
    let events = with(
        events,
        at,
        EventKind::Answered {
            question_id: "first_name".into(),
            value: text("Aminata"),
        },
    );
    let error = refused(&protocol, CHILD, &events);
    assert_eq!(error.rule, Rule::R21);
    assert!(error.message.contains("`first_name`"), "{error}");
    assert!(error.message.contains(&format!("event {at}")), "{error}");
    assert!(!error.to_string().contains("Aminata"), "{error}");
}

#[test]
fn free_text_the_scrubber_would_change_is_refused_saying_what_it_holds() {
    let protocol = protocol();
    let events = sent(&protocol);
    let journey = index_of(
        &events,
        |k| matches!(k, EventKind::Answered { question_id, .. } if question_id == "journey"),
    );
    let cases = [
        (
            EventKind::Answered {
                question_id: "journey".into(),
                value: text("call 0712345678 tonight"),
            },
            "a phone number",
        ),
        (
            EventKind::Answered {
                question_id: "journey".into(),
                value: text("her brother is ali.k@mail.ci"),
            },
            "an e-mail address",
        ),
        (
            note("passport CI0012345 kept by the boss"),
            "an ID-like number",
        ),
    ];
    for (kind, what) in cases {
        let error = refused(&protocol, CHILD, &with(events.clone(), journey, kind));
        assert_eq!(error.rule, Rule::R21, "{error}");
        assert!(error.message.contains(what), "{error}");
        for secret in ["0712345678", "ali.k", "CI0012345"] {
            assert!(!error.message.contains(secret), "{error}");
        }
    }
}

#[test]
fn an_amendment_reason_with_a_number_names_the_reason() {
    let protocol = protocol();
    let events = sent(&protocol);
    let at = index_of(&events, |k| matches!(k, EventKind::Amended { .. }));
    let events = with(
        events,
        at,
        EventKind::Amended {
            question_id: "age".into(),
            value: Value::Integer(13),
            reason: "her ID card 123456789 says so".into(),
        },
    );
    let error = refused(&protocol, CHILD, &events);
    assert_eq!(error.rule, Rule::R21);
    assert!(
        error.message.contains("reason for question `age`"),
        "{error}"
    );
}

#[test]
fn locations_and_times_finer_than_the_protocol_keeps_are_refused() {
    let protocol = protocol();
    let events = sent(&protocol);
    let at = index_of(
        &events,
        |k| matches!(k, EventKind::Answered { question_id, .. } if question_id == "home_area"),
    );
    let fine = with(
        events.clone(),
        at,
        EventKind::Answered {
            question_id: "home_area".into(),
            value: Value::Location {
                lat: 9.458,
                lon: -5.63,
            },
        },
    );
    let error = refused(&protocol, CHILD, &fine);
    assert_eq!(error.rule, Rule::R21);
    assert!(error.message.contains("2 decimal places"), "{error}");

    let mut timed = events;
    let last = timed.len() - 1;
    timed[last].at += time::Duration::minutes(90);
    let error = refused(&protocol, CHILD, &timed);
    assert_eq!(error.rule, Rule::R21);
    assert!(error.message.contains("to the day"), "{error}");
}

#[test]
fn a_respondent_must_be_a_reference_number_as_the_phone_writes_it() {
    let protocol = protocol();
    let events = sent(&protocol);
    let good = RefNumber::parse(CHILD).unwrap();
    for respondent in [
        "Aminata Traoré",
        "K7QM-2XHD-P",  // wrong check character
        "k7qm-2xhd-0",  // the same code, not as the phone writes it
        "K7QM2XHD0",    // no hyphens
        "",             // only refusals are anonymous
        "K7QM-2XHD-00", // too long
    ] {
        let error = refused(&protocol, respondent, &events);
        assert_eq!(error.rule, Rule::R21, "{respondent}: {error}");
        if !respondent.is_empty() {
            assert!(!error.message.contains(respondent), "{error}");
        }
    }
    assert_eq!(good.to_string(), CHILD);
    // The session's own start is checked too, and a linked child.
    let mut named = events.clone();
    if let EventKind::SessionStarted(start) = &mut named[0].kind {
        start.respondent = "Kofi".into();
    }
    assert_eq!(refused(&protocol, CHILD, &named).rule, Rule::R21);
    let mut linked = events;
    if let EventKind::SessionStarted(start) = &mut linked[0].kind {
        start.linked_child = Some("Aminata".into());
    }
    let error = refused(&protocol, CHILD, &linked);
    assert!(error.message.contains("linked child"), "{error}");
}

#[test]
fn a_refusal_or_a_positive_screen_keeps_nothing_more() {
    let protocol = protocol();
    let mut r = Recorder::start(protocol.clone(), CHILD, Some(12));
    r.record(EventKind::IntroductionGiven)
        .record(EventKind::DataUseExplained {
            statement_hash: protocol.data_use_hash(),
        })
        .record(consent(Consenter::Guardian, Decision::Refused))
        .record(stopped(StopReason::Refused));
    let refusal = anonymise(&protocol, &r.events(), &[]).events;
    assert_eq!(check_anonymised(&protocol, "", &refusal), Ok(()));
    // The reference number, kept on a refusal.
    let error = refused(&protocol, CHILD, &refusal);
    assert_eq!(error.rule, Rule::R21);
    let mut aged = refusal;
    if let EventKind::SessionStarted(start) = &mut aged[0].kind {
        start.respondent_age = Some(12);
    }
    assert_eq!(refused(&protocol, "", &aged).rule, Rule::R21);

    let mut r = Recorder::start(protocol.clone(), CHILD, Some(12));
    r.consent()
        .record(EventKind::ScreeningAnswered {
            item_id: "distress".to_owned(),
            positive: true,
        })
        .record(stopped(StopReason::ScreeningPositive));
    let positive = anonymise(&protocol, &r.events(), &[]).events;
    assert_eq!(check_anonymised(&protocol, CHILD, &positive), Ok(()));
    let mut noted = positive;
    noted.insert(5, noted[4].clone());
    noted[5].kind = note("she cried");
    let error = refused(&protocol, CHILD, &noted);
    assert_eq!(error.rule, Rule::R5, "{error}");
}

/// Text people write in notes, with numbers, sums, dates, addresses and
/// names in between.
fn free_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[a-zA-Zéè]{1,8}",
        "[0-9]{1,12}",
        "\\+[0-9]{3} [0-9]{2} [0-9]{2} [0-9]{2} [0-9]{2}",
        "[0-9]{2}/[0-9]{2}/[0-9]{4}",
        "[0-9]{3} [0-9]{3} (FCFA|CFA|cedi|F CFA|FC|\\$)",
        "[a-z]{1,6}@[a-z]{1,5}\\.[a-z]{2}",
        "[A-Z]{1,3}[0-9]{5,8}",
        Just("Kofi".to_owned()),
        Just("Dollar".to_owned()),
        Just("[name]".to_owned()),
        "[ .,()/\\-]{1,2}",
    ];
    prop::collection::vec(piece, 0..14).prop_map(|parts| parts.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    /// What the phone's scrubber writes, the server's scrubber leaves as it
    /// is, whatever identity the phone knew; and settling is idempotent.
    #[test]
    fn the_scrubber_is_idempotent_on_its_own_output(
        said in free_text(),
        names in prop::collection::vec("[A-Z][a-z]{2,7}", 0..3),
    ) {
        let mut identity = names;
        identity.push("Kofi Dollar".to_owned());
        let mut report = RedactionReport::default();
        let once = Scrubber::new(&identity).scrub(&said, &mut report);
        let server = Scrubber::new(&[]).scrub(&once, &mut RedactionReport::default());
        prop_assert_eq!(&server, &once, "from `{}`", said);
        prop_assert_eq!(settle(&once, &mut RedactionReport::default()), once);
        let plain = Scrubber::new(&[]).scrub(&said, &mut RedactionReport::default());
        prop_assert_eq!(Scrubber::new(&[]).scrub(&plain, &mut RedactionReport::default()), plain);
    }

    /// Whatever the child said, wherever they live, however precisely the
    /// protocol keeps time and however long an answer may be, the phone's
    /// log passes the server's check and replays.
    #[test]
    fn any_anonymised_interview_passes_the_servers_check(
        journey in free_text(),
        remark in free_text(),
        reason in free_text(),
        lat in -90.0f64..90.0,
        lon in -180.0f64..180.0,
        precision in prop_oneof![Just(TimestampPrecision::Hour), Just(TimestampPrecision::Day), Just(TimestampPrecision::Week)],
        limit in proptest::option::of(10usize..40),
        minute in 0i64..20_000,
        seed in any::<u128>(),
    ) {
        let mut protocol = (*protocol()).clone();
        protocol.privacy.timestamp_precision = precision;
        if let Some(limit) = limit {
            let q = protocol.sections[0].questions.iter_mut().find(|q| q.id == "journey").unwrap();
            q.constraint = Some(format!("length(.) <= {limit}"));
        }
        let protocol = Arc::new(protocol);
        let journey: String = match limit {
            Some(limit) => journey.chars().take(limit).collect(),
            None => journey,
        };
        let respondent = RefNumber::from_uuid(Uuid::from_u128(seed)).to_string();
        let start = datetime!(2026-03-12 16:55 +02:00) + time::Duration::minutes(minute);
        let mut r = Recorder::start_at(protocol.clone(), &respondent, Some(13), start);
        r.consent()
            .record(EventKind::ScreeningAnswered { item_id: "distress".to_owned(), positive: false })
            .answer("age", Value::Integer(13))
            .answer("first_name", text("Kofi"))
            .answer("home_area", Value::Location { lat, lon })
            .answer("journey", text(&journey))
            .record(note(&remark))
            .record(EventKind::Amended { question_id: "age".into(), value: Value::Integer(14), reason: format!("card {reason}") })
            .record(EventKind::Completed);
        let out = anonymise(&protocol, &r.events(), &strings(&["Kofi Dollar"]));
        prop_assert_eq!(check_anonymised(&protocol, &respondent, &out.events), Ok(()));
        let replayed = Session::replay(protocol, out.events);
        prop_assert!(replayed.is_ok(), "{:?}", replayed.err());
    }
}
