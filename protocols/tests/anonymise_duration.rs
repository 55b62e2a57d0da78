//! An interview's length on the wire (R21): the phone measures it on the
//! original log and sends it in steps of five minutes, sealed under the
//! content hash; the server's check refuses a length finer than the step,
//! one the coarsened event times cannot have come from, and any length on a
//! refusal or a positive screen. A record from an older phone, without it,
//! passes and hashes as it always did.

mod anonymise_support;

use std::sync::Arc;

use anonymise_support::{consent, protocol, stopped, Recorder, PROTOCOL};
use fieldkit_protocols::anonymise::{
    anonymise, check_anonymised, check_duration, coarse_duration, DURATION_STEP_MINUTES,
};
use fieldkit_protocols::engine::{Consenter, Decision, Event, EventKind, StopReason};
use fieldkit_protocols::wire::{from_json, RecordEnvelope};
use fieldkit_protocols::{parse_protocol, Protocol, Rule, Value};
use proptest::prelude::*;
use time::macros::datetime;
use time::Duration;
use uuid::Uuid;

const CHILD: &str = "K7QM-2XHD-0";

/// The fixture protocol with event times kept to `precision`.
fn protocol_at(precision: &str) -> Arc<Protocol> {
    let source = PROTOCOL.replace(
        "timestamp_precision = \"day\"",
        &format!("timestamp_precision = \"{precision}\""),
    );
    Arc::new(parse_protocol("anonymise-test.toml", &source).unwrap())
}

/// A completed interview, from 14:55 UTC, with `gap` before each answer
/// and before the completion (events are otherwise a minute apart).
fn interview(protocol: &Arc<Protocol>, gap: Duration) -> Vec<Event> {
    let mut r = Recorder::start(protocol.clone(), CHILD, Some(12));
    r.consent().record(EventKind::ScreeningAnswered {
        item_id: "distress".to_owned(),
        positive: false,
    });
    r.at += gap;
    r.answer("age", Value::Integer(12))
        .answer("first_name", Value::Text("Awa".into()))
        .answer(
            "home_area",
            Value::Location {
                lat: 5.3,
                lon: -4.0,
            },
        );
    r.at += gap;
    r.answer("journey", Value::Text("by bus".into()));
    r.at += gap;
    r.record(EventKind::Completed);
    r.events()
}

fn length(events: &[Event]) -> Duration {
    events.last().unwrap().at - events[0].at
}

#[test]
fn the_phone_sends_the_length_in_steps_of_five_minutes_under_the_hash() {
    let protocol = protocol();
    let events = interview(&protocol, Duration::minutes(7));
    // Ten steps a minute apart, and three gaps of seven minutes: 31.
    assert_eq!(length(&events), Duration::minutes(31));
    let sent = anonymise(&protocol, &events, &[]);
    assert_eq!(sent.duration_minutes, Some(30));
    let envelope = RecordEnvelope::seal(Uuid::nil(), Uuid::nil(), &protocol, sent);
    assert_eq!(envelope.duration_minutes, Some(30));
    envelope.verify_content_hash().unwrap();
    assert_eq!(
        check_duration(&protocol, &envelope.events, envelope.duration_minutes),
        Ok(())
    );
    // It travels, and it is sealed: a changed length breaks the hash.
    let json = serde_json::to_string(&envelope).unwrap();
    assert!(json.contains("\"duration_minutes\":30"), "{json}");
    let back: RecordEnvelope = from_json(json.as_bytes()).unwrap();
    assert_eq!(back, envelope);
    let mut shortened = envelope;
    shortened.duration_minutes = Some(5);
    assert!(shortened.verify_content_hash().is_err());
}

#[test]
fn an_older_phone_without_the_length_still_verifies_and_passes() {
    let protocol = protocol();
    let mut sent = anonymise(&protocol, &interview(&protocol, Duration::minutes(3)), &[]);
    sent.duration_minutes = None;
    let envelope = RecordEnvelope::seal(Uuid::nil(), Uuid::nil(), &protocol, sent);
    let json = serde_json::to_string(&envelope).unwrap();
    // What an older phone wrote and hashed: no such field at all.
    assert!(!json.contains("duration_minutes"), "{json}");
    let back: RecordEnvelope = from_json(json.as_bytes()).unwrap();
    back.verify_content_hash().unwrap();
    assert_eq!(back.duration_minutes, None);
    assert_eq!(check_duration(&protocol, &back.events, None), Ok(()));
}

#[test]
fn a_length_finer_than_the_step_is_refused() {
    let protocol = protocol();
    let events = anonymise(&protocol, &interview(&protocol, Duration::minutes(7)), &[]).events;
    for finer in [31, 1, 24] {
        let error = check_duration(&protocol, &events, Some(finer)).unwrap_err();
        assert_eq!(error.rule, Rule::R21);
        assert!(
            error.message.contains("steps of 5 minutes"),
            "{}",
            error.message
        );
        assert!(!error.message.contains(&finer.to_string()), "{error}");
    }
}

#[test]
fn a_length_the_event_times_cannot_have_come_from_is_refused() {
    // Times to the hour: a 31-minute interview from 14:55 spans 14:00 to
    // 15:00 once coarsened, so it lasted more than 0 and less than 120
    // minutes.
    let hourly = protocol_at("hour");
    let events = anonymise(&hourly, &interview(&hourly, Duration::minutes(7)), &[]).events;
    assert_eq!(length(&events), Duration::HOUR);
    for fits in [0, 25, 115] {
        assert_eq!(
            check_duration(&hourly, &events, Some(fits)),
            Ok(()),
            "{fits}"
        );
    }
    for impossible in [120, 600, 24 * 60] {
        let error = check_duration(&hourly, &events, Some(impossible)).unwrap_err();
        assert_eq!(error.rule, Rule::R21, "{impossible}");
        assert!(error.message.contains("event times"), "{}", error.message);
    }
    // Times to the day: anything under a day fits a session of one day.
    let daily = protocol();
    let events = anonymise(&daily, &interview(&daily, Duration::minutes(7)), &[]).events;
    assert_eq!(check_duration(&daily, &events, Some(24 * 60 - 5)), Ok(()));
    assert!(check_duration(&daily, &events, Some(24 * 60)).is_err());
    // Spread over two days, it took more than nothing.
    let events = anonymise(&daily, &interview(&daily, Duration::hours(10)), &[]).events;
    assert_eq!(length(&events), Duration::DAY);
    assert!(check_duration(&daily, &events, Some(30 * 60)).is_ok());
    assert!(check_duration(&daily, &events, Some(5 * 24 * 60)).is_err());
}

#[test]
fn a_refusal_or_a_positive_screen_carries_no_length() {
    let protocol = protocol();
    let mut r = Recorder::start(protocol.clone(), CHILD, Some(12));
    r.record(EventKind::IntroductionGiven)
        .record(EventKind::DataUseExplained {
            statement_hash: protocol.data_use_hash(),
        })
        .record(consent(Consenter::Guardian, Decision::Refused))
        .record(stopped(StopReason::Refused));
    assert_eq!(coarse_duration(&r.events()), None);
    let refusal = anonymise(&protocol, &r.events(), &[]);
    assert_eq!(refusal.duration_minutes, None);
    assert_eq!(check_anonymised(&protocol, "", &refusal.events), Ok(()));
    let error = check_duration(&protocol, &refusal.events, Some(0)).unwrap_err();
    assert_eq!(error.rule, Rule::R1);

    let mut r = Recorder::start(protocol.clone(), CHILD, Some(12));
    r.consent()
        .record(EventKind::ScreeningAnswered {
            item_id: "distress".to_owned(),
            positive: true,
        })
        .record(stopped(StopReason::ScreeningPositive));
    let positive = anonymise(&protocol, &r.events(), &[]);
    assert_eq!(positive.duration_minutes, None);
    let error = check_duration(&protocol, &positive.events, Some(5)).unwrap_err();
    assert_eq!(error.rule, Rule::R5);
}

proptest! {
    /// Whatever the start, the pace and the precision, what the phone
    /// measures passes the server's check, and a length a whole precision
    /// unit and a step away from it is refused.
    #[test]
    fn what_the_phone_measures_always_passes(
        start_minute in 0i64..(7 * 24 * 60),
        gaps in proptest::collection::vec(0i64..(3 * 60), 3),
        precision in prop_oneof![Just("hour"), Just("day"), Just("week")],
    ) {
        let protocol = protocol_at(precision);
        let mut r = Recorder::start_at(
            protocol.clone(),
            CHILD,
            Some(12),
            datetime!(2026-03-09 00:00 UTC) + Duration::minutes(start_minute),
        );
        r.consent().record(EventKind::ScreeningAnswered {
            item_id: "distress".to_owned(),
            positive: false,
        });
        r.at += Duration::minutes(gaps[0]);
        r.answer("age", Value::Integer(12))
            .answer("first_name", Value::Text("Awa".into()))
            .answer("home_area", Value::Location { lat: 5.3, lon: -4.0 });
        r.at += Duration::minutes(gaps[1]);
        r.answer("journey", Value::Text("on foot".into()));
        r.at += Duration::minutes(gaps[2]);
        r.record(EventKind::Completed);
        let sent = anonymise(&protocol, &r.events(), &[]);
        let minutes = sent.duration_minutes.expect("a completed interview has a length");
        prop_assert_eq!(minutes % DURATION_STEP_MINUTES, 0);
        prop_assert!(i64::from(minutes) <= length(&r.events()).whole_minutes());
        prop_assert_eq!(check_duration(&protocol, &sent.events, Some(minutes)), Ok(()));
        let unit = match precision {
            "hour" => 60,
            "day" => 24 * 60,
            _ => 7 * 24 * 60,
        };
        let far = minutes + 2 * unit + DURATION_STEP_MINUTES;
        prop_assert!(check_duration(&protocol, &sent.events, Some(far)).is_err());
    }
}
