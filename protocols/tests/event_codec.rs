//! The hand-written `Deserialize` for `Event` (`engine/events_de.rs`) reads
//! back whatever the derived `Serialize` writes, and accepts and refuses
//! exactly what the derived deserialiser it replaced did: every stored log
//! must keep parsing, and nothing it refused may start to parse. One
//! difference, on purpose: an event named by a number (serde's variant index,
//! never written) is refused.
//!
//! The old deserialiser is kept here, as it was derived, for comparison:
//! `Derived` below has the same fields and attributes `Event` had.

use fieldkit_protocols::engine::*;
use fieldkit_protocols::hash::ContentHash;
use fieldkit_protocols::model::Weekday;
use fieldkit_protocols::Value;
use proptest::prelude::*;
use proptest::sample::select;
use serde::Deserialize;
use serde_json::{json, Value as Json};
use time::OffsetDateTime;

/// `Event` as it was, with the derived (buffered) deserialiser.
#[derive(Debug, Deserialize)]
struct Derived {
    seq: u64,
    #[serde(with = "time::serde::rfc3339")]
    at: OffsetDateTime,
    #[serde(flatten)]
    kind: EventKind,
}

impl From<Derived> for Event {
    fn from(d: Derived) -> Event {
        Event {
            seq: d.seq,
            at: d.at,
            kind: d.kind,
        }
    }
}

/// Both readers on the same text: the same event, or both refuse.
fn agree(text: &str) -> Result<Event, String> {
    let new = serde_json::from_str::<Event>(text);
    let old = serde_json::from_str::<Derived>(text).map(Event::from);
    match (new, old) {
        (Ok(new), Ok(old)) => {
            assert_eq!(new, old, "{text}");
            Ok(new)
        }
        (Err(new), Err(_)) => Err(new.to_string()),
        // serde's derived reader also took a variant's index for its name
        // (`"event": 7`); nothing ever wrote one, so refusing it loses no log.
        (Err(new), Ok(_)) if tag_is_a_number(text) => Err(new.to_string()),
        (new, old) => panic!("the readers disagree on {text}:\nnew {new:?}\nold {old:?}"),
    }
}

fn tag_is_a_number(text: &str) -> bool {
    serde_json::from_str::<Json>(text).is_ok_and(|json| json["event"].is_number())
}

fn words() -> impl Strategy<Value = String> {
    prop_oneof![".{0,8}", "[a-z_]{1,8}", Just("\"\\\n\u{1F600}é".to_owned())]
}

fn answer() -> impl Strategy<Value = Value> {
    // Quarters read back exactly (serde_json may round the last bit of
    // other decimals, in both readers alike).
    let finite = || any::<i32>().prop_map(|n| f64::from(n) / 4.0);
    prop_oneof![
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Integer),
        finite().prop_map(Value::Decimal),
        words().prop_map(Value::Text),
        words().prop_map(Value::Choice),
        prop::collection::vec(words(), 0..3).prop_map(Value::Choices),
        prop::collection::vec(words(), 0..3).prop_map(Value::Ranking),
        words().prop_map(Value::Date),
        words().prop_map(Value::Time),
        (finite(), finite()).prop_map(|(lat, lon)| Value::Location { lat, lon }),
        any::<u32>().prop_map(Value::Count),
    ]
}

fn consenter() -> impl Strategy<Value = Consenter> {
    prop_oneof![
        Just(Consenter::Respondent),
        Just(Consenter::Guardian),
        Just(Consenter::TrustedAdult),
        words().prop_map(Consenter::Participant),
        words().prop_map(Consenter::ParticipantGuardian),
    ]
}

fn start() -> impl Strategy<Value = SessionStart> {
    (
        (
            any::<u128>(),
            words(),
            any::<u32>(),
            "[0-9a-f]{64}",
            words(),
        ),
        (
            prop::collection::vec(words(), 0..3),
            select(vec![
                SessionKind::Full,
                SessionKind::RapportOnly,
                SessionKind::FollowUp,
            ]),
            words(),
            any::<Option<u8>>(),
        ),
        (
            prop::option::of(words()),
            prop::option::of(words()),
            prop::option::of(select(vec![Weekday::Mon, Weekday::Sat, Weekday::Sun])),
            prop::option::of(words()),
        ),
    )
        .prop_map(
            |(
                (id, protocol_id, protocol_version, hash, language),
                (interviewer_languages, kind, respondent, respondent_age),
                (linked_child, site_type, weekday, pack),
            )| SessionStart {
                session_id: uuid::Uuid::from_u128(id),
                protocol_id,
                protocol_version,
                protocol_hash: ContentHash(format!("sha256:{hash}")),
                language,
                interviewer_languages,
                kind,
                respondent,
                respondent_age,
                linked_child,
                site_type,
                weekday,
                findings_pack: pack.map(|p| ContentHash(format!("sha256:{p}"))),
            },
        )
}

fn kind() -> impl Strategy<Value = EventKind> {
    let skip = select(vec![
        SkipReason::DeclinedToAnswer,
        SkipReason::InterviewerJudgement,
        SkipReason::DoesNotKnow,
    ]);
    let stop = select(vec![
        StopReason::Refused,
        StopReason::Withdrew,
        StopReason::ScreeningPositive,
        StopReason::Safety,
        StopReason::InterviewerEnded,
    ]);
    let present = select(vec![
        OthersPresent::None,
        OthersPresent::Parent,
        OthersPresent::Employer,
        OthersPresent::Peer,
        OthersPresent::Official,
        OthersPresent::Other,
    ]);
    let sex = select(vec![Sex::Female, Sex::Male, Sex::Unknown]);
    prop_oneof![
        start().prop_map(EventKind::SessionStarted),
        Just(EventKind::IntroductionGiven),
        "[0-9a-f]{64}".prop_map(|h| EventKind::DataUseExplained {
            statement_hash: ContentHash(format!("sha256:{h}"))
        }),
        (consenter(), any::<bool>(), any::<bool>()).prop_map(|(by, given, audio_recording)| {
            EventKind::ConsentRecorded {
                by,
                decision: if given {
                    Decision::Given
                } else {
                    Decision::Refused
                },
                audio_recording,
            }
        }),
        (words(), any::<Option<u8>>())
            .prop_map(|(code, age)| EventKind::ParticipantAdded { code, age }),
        (words(), any::<bool>())
            .prop_map(|(item_id, positive)| EventKind::ScreeningAnswered { item_id, positive }),
        Just(EventKind::RapportConfirmed),
        (words(), answer())
            .prop_map(|(question_id, value)| EventKind::Answered { question_id, value }),
        (words(), answer(), words()).prop_map(|(question_id, value, reason)| {
            EventKind::Amended {
                question_id,
                value,
                reason,
            }
        }),
        (words(), skip).prop_map(|(question_id, reason)| EventKind::Skipped {
            question_id,
            reason
        }),
        words().prop_map(|question_id| EventKind::AnswerWithheld { question_id }),
        present.prop_map(|present| EventKind::OthersPresentChanged { present }),
        words().prop_map(|text| EventKind::NoteAdded { text }),
        (words(), sex, words(), any::<i32>()).prop_map(|(tally_id, sex, age_group, delta)| {
            EventKind::Tallied {
                tally_id,
                sex,
                age_group,
                delta,
            }
        }),
        (words(), any::<bool>()).prop_map(|(indicator_id, observed)| {
            EventKind::IndicatorChecked {
                indicator_id,
                observed,
            }
        }),
        stop.prop_map(|reason| EventKind::Stopped { reason }),
        Just(EventKind::Completed),
    ]
}

fn event() -> impl Strategy<Value = Event> {
    (
        any::<u64>(),
        0i64..4_000_000_000,
        0u32..1_000_000_000,
        kind(),
    )
        .prop_map(|(seq, secs, nanos, kind)| Event {
            seq,
            at: OffsetDateTime::from_unix_timestamp(secs).unwrap()
                + time::Duration::nanoseconds(nanos.into()),
            kind,
        })
}

/// What can go wrong in a stored or hand-made map, applied to its entries
/// (kept as a list so a key can appear twice).
#[derive(Debug, Clone)]
enum Change {
    /// Entries in another order (the tag after the fields, say).
    Rotate(usize),
    Drop(usize),
    Repeat(usize),
    /// A value replaced by null, a number, a text, an object.
    Replace(usize, Json),
    /// A field nobody knows, or one of another variant.
    Add(String, Json),
    /// The tag names no event.
    UnknownTag(String),
}

fn change() -> impl Strategy<Value = Change> {
    let odd = prop_oneof![
        Just(Json::Null),
        Just(json!(7)),
        Just(json!(-1)),
        Just(json!(300)),
        Just(json!(1.5)),
        Just(json!("text")),
        Just(json!(true)),
        Just(json!({"type": "integer", "value": 3})),
        Just(json!(["a"])),
        Just(json!("declined_to_answer")),
        Just(json!("safety")),
    ];
    let other_field = select(vec![
        "extra", "text", "reason", "age", "value", "code", "kind", "present", "delta", "observed",
        "weekday", "seq", "event", "at",
    ]);
    prop_oneof![
        (0usize..20).prop_map(Change::Rotate),
        (0usize..20).prop_map(Change::Drop),
        (0usize..20).prop_map(Change::Repeat),
        (0usize..20, odd.clone()).prop_map(|(i, v)| Change::Replace(i, v)),
        (other_field, odd).prop_map(|(k, v)| Change::Add(k.to_owned(), v)),
        "[a-z_]{1,12}".prop_map(Change::UnknownTag),
    ]
}

fn entries(event: &Event) -> Vec<(String, Json)> {
    match serde_json::to_value(event).unwrap() {
        Json::Object(map) => {
            // serde_json's map sorts keys: put them back in the order the
            // serialiser writes (seq, at, event, then the variant's fields).
            let text = serde_json::to_string(event).unwrap();
            let mut list: Vec<(String, Json)> = map.into_iter().collect();
            list.sort_by_key(|(k, _)| text.find(&format!("\"{k}\":")).unwrap());
            list
        }
        other => panic!("an event is a map, not {other}"),
    }
}

fn render(entries: &[(String, Json)]) -> String {
    let inner: Vec<String> = entries
        .iter()
        .map(|(k, v)| format!("{}:{}", Json::String(k.clone()), v))
        .collect();
    format!("{{{}}}", inner.join(","))
}

fn apply(entries: &mut Vec<(String, Json)>, change: &Change) {
    let n = entries.len();
    match change.clone() {
        Change::Rotate(i) => entries.rotate_left(i % n),
        Change::Drop(i) => {
            entries.remove(i % n);
        }
        Change::Repeat(i) => {
            let copy = entries[i % n].clone();
            entries.push(copy);
        }
        Change::Replace(i, v) => entries[i % n].1 = v,
        Change::Add(k, v) => entries.insert(n / 2, (k, v)),
        Change::UnknownTag(tag) => {
            if let Some(e) = entries.iter_mut().find(|(k, _)| k == "event") {
                e.1 = Json::String(tag);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Whatever `Serialize` writes, the new reader gives back unchanged
    /// (and the old one agrees).
    #[test]
    fn every_event_reads_back_as_written(event in event()) {
        let text = serde_json::to_string(&event).unwrap();
        prop_assert_eq!(agree(&text), Ok(event.clone()));
        // From bytes and from a reader too (keys then cannot be borrowed).
        prop_assert_eq!(&serde_json::from_slice::<Event>(text.as_bytes()).unwrap(), &event);
        prop_assert_eq!(&serde_json::from_reader::<_, Event>(text.as_bytes()).unwrap(), &event);
    }

    /// Reordered, missing, repeated, mistyped, extra and unknown entries:
    /// the new reader accepts and refuses exactly what the old one did.
    #[test]
    fn any_damaged_event_is_read_as_the_derived_reader_did(
        event in event(),
        changes in prop::collection::vec(change(), 1..4),
    ) {
        let mut list = entries(&event);
        for change in &changes {
            apply(&mut list, change);
        }
        let _ = agree(&render(&list));
    }
}

/// One event of each kind, as the app and server wrote them since the first
/// release (key order and all), read by both.
#[test]
fn stored_logs_keep_parsing() {
    let stored = [
        r#"{"seq":0,"at":"2026-11-20T09:00:00Z","event":"session_started","session_id":"6f1c4c55-7c2e-4d8a-9a55-0f2c0d1f6b10","protocol_id":"child-rapid-assessment","protocol_version":1,"protocol_hash":"sha256:0000000000000000000000000000000000000000000000000000000000000000","language":"en","interviewer_languages":["en","fr"],"kind":"full","respondent":"R-7KQ2-M","respondent_age":12,"linked_child":null,"site_type":null,"weekday":null}"#,
        r#"{"seq":1,"at":"2026-11-20T09:00:05.123456789+01:00","event":"introduction_given"}"#,
        r#"{"seq":2,"at":"2026-11-20T09:01:00Z","event":"data_use_explained","statement_hash":"sha256:1111111111111111111111111111111111111111111111111111111111111111"}"#,
        r#"{"seq":3,"at":"2026-11-20T09:02:00Z","event":"consent_recorded","by":{"role":"respondent"},"decision":"given","audio_recording":false}"#,
        r#"{"seq":4,"at":"2026-11-20T09:02:30Z","event":"consent_recorded","by":{"role":"participant_guardian","code":"P2"},"decision":"refused","audio_recording":true}"#,
        r#"{"seq":5,"at":"2026-11-20T09:03:00Z","event":"participant_added","code":"P1","age":null}"#,
        r#"{"seq":6,"at":"2026-11-20T09:03:00Z","event":"screening_answered","item_id":"forced_work","positive":false}"#,
        r#"{"seq":7,"at":"2026-11-20T09:04:00Z","event":"rapport_confirmed"}"#,
        r#"{"seq":8,"at":"2026-11-20T09:05:00Z","event":"answered","question_id":"age","value":{"type":"integer","value":12}}"#,
        r#"{"seq":9,"at":"2026-11-20T09:06:00Z","event":"amended","question_id":"age","value":{"type":"integer","value":13},"reason":"mis-tap"}"#,
        r#"{"seq":10,"at":"2026-11-20T09:07:00Z","event":"skipped","question_id":"work_hours","reason":"does_not_know"}"#,
        r#"{"seq":11,"at":"2026-11-20T09:07:00Z","event":"answer_withheld","question_id":"village"}"#,
        r#"{"seq":12,"at":"2026-11-20T09:08:00Z","event":"others_present_changed","present":"employer"}"#,
        r#"{"seq":13,"at":"2026-11-20T09:09:00Z","event":"note_added","text":"quiet \"corner\"\n"}"#,
        r#"{"seq":14,"at":"2026-11-20T09:10:00Z","event":"tallied","tally_id":"carrying","sex":"female","age_group":"under_13","delta":-1}"#,
        r#"{"seq":15,"at":"2026-11-20T09:11:00Z","event":"indicator_checked","indicator_id":"night_work","observed":true}"#,
        r#"{"seq":16,"at":"2026-11-20T09:12:00Z","event":"stopped","reason":"screening_positive"}"#,
        r#"{"seq":17,"at":"2026-11-20T09:13:00Z","event":"completed"}"#,
        // Observation starts carry a site type and weekday; older ones left out the Options.
        r#"{"seq":0,"at":"2026-11-20T09:00:00Z","event":"session_started","session_id":"6f1c4c55-7c2e-4d8a-9a55-0f2c0d1f6b10","protocol_id":"market-observation","protocol_version":3,"protocol_hash":"sha256:2222222222222222222222222222222222222222222222222222222222222222","language":"fr","interviewer_languages":[],"kind":"follow_up","respondent":"R-1","site_type":"market","weekday":"sat"}"#,
    ];
    for text in stored {
        let event = agree(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        // Written back, it reads the same.
        let again = serde_json::to_string(&event).unwrap();
        assert_eq!(agree(&again).unwrap(), event);
    }
}

/// What the old reader refused, the new one refuses, with a message that
/// names what is wrong.
#[test]
fn refusals_name_the_problem() {
    let cases = [
        (
            r#"{"seq":1,"at":"2026-11-20T09:00:00Z","event":"danced"}"#,
            "unknown variant `danced`",
        ),
        (
            r#"{"seq":1,"at":"2026-11-20T09:00:00Z"}"#,
            "missing field `event`",
        ),
        (
            r#"{"at":"2026-11-20T09:00:00Z","event":"completed"}"#,
            "missing field `seq`",
        ),
        (r#"{"seq":1,"event":"completed"}"#, "missing field `at`"),
        (
            r#"{"seq":1,"at":"2026-11-20T09:00:00Z","event":7,"question_id":"q","value":{"type":"bool","value":true}}"#,
            "expected an event name",
        ),
        (
            r#"{"seq":1,"at":"yesterday","event":"completed"}"#,
            "could not be parsed",
        ),
        (
            r#"{"seq":1,"at":"2026-11-20T09:00:00Z","event":"note_added"}"#,
            "missing field `text`",
        ),
        (
            r#"{"seq":1,"at":"2026-11-20T09:00:00Z","event":"skipped","question_id":"q","reason":"mis-tap"}"#,
            "unknown variant `mis-tap`",
        ),
        (
            r#"{"seq":1,"at":"2026-11-20T09:00:00Z","event":"note_added","text":"a","text":"b"}"#,
            "duplicate field `text`",
        ),
        (
            r#"{"seq":1,"at":"2026-11-20T09:00:00Z","event":"participant_added","code":"P1","age":300}"#,
            "300",
        ),
        (r#"[1,"2026-11-20T09:00:00Z"]"#, "invalid type"),
    ];
    for (text, says) in cases {
        let error = agree(text).expect_err(text);
        assert!(error.contains(says), "{text}: {error}");
    }
}

/// A field named before the tag (never written by Fieldkit, but valid
/// JSON for the same event) still reads, as it did.
#[test]
fn fields_before_the_tag_still_read() {
    let text =
        r#"{"reason":"safety","at":"2026-11-20T09:00:00Z","text":5,"seq":4,"event":"stopped"}"#;
    let event = agree(text).unwrap();
    assert_eq!(
        event.kind,
        EventKind::Stopped {
            reason: StopReason::Safety
        }
    );
}
