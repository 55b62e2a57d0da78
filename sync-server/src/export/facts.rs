//! What one stored session says, read once from its event log: process facts
//! for supervisors (consent, stops, rapport, amendments, others present,
//! language) and answers for analysts. Shared by exports and pages.

use std::borrow::Cow;
use std::collections::HashMap;

use fieldkit_protocols::engine::{Decision, OthersPresent, SessionKind, SkipReason, StopReason};
use fieldkit_protocols::feedback::ReviewState;
use fieldkit_protocols::model::Weekday;
use fieldkit_protocols::{Protocol, Value};
use serde::Deserialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::store::ScannedRecord;

/// One answer slot as the session left it.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Given(Value),
    Skipped(SkipReason),
    /// Removed on the device because it identifies someone (R21).
    Withheld,
}

/// The envelope's own fields that pages and exports show.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordHead {
    pub record_id: Uuid,
    pub device_id: Uuid,
    pub protocol_version: u32,
    pub respondent: String,
    /// The interview's length in steps of five minutes, as the phone sent
    /// it; `None` from older phones and for refusals and positive screens.
    pub duration_minutes: Option<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SessionFacts {
    pub record: RecordHead,
    pub started: OffsetDateTime,
    pub language: String,
    pub interviewer_languages: Vec<String>,
    pub kind: SessionKind,
    pub respondent_age: Option<u8>,
    pub linked_child: Option<String>,
    /// Validation sessions: the findings pack shown (issue 22).
    pub findings_pack: Option<fieldkit_protocols::ContentHash>,
    pub weekday: Option<Weekday>,
    pub consents_given: u32,
    pub consents_refused: u32,
    pub stop: Option<StopReason>,
    pub completed: bool,
    pub rapport: bool,
    /// (question id, reason)
    pub amendments: Vec<(String, String)>,
    pub others_present: Vec<OthersPresent>,
    /// Indexed like `Protocol::questions()`; `None` when never reached.
    pub answers: Vec<Option<Answer>>,
    /// Where the supervisor's review stands (`received` until reviewed);
    /// filled in by the scan, not read from the envelope.
    pub review: ReviewState,
}

impl SessionFacts {
    pub fn language_mismatch(&self) -> bool {
        !self.interviewer_languages.contains(&self.language)
    }

    pub fn answer(&self, index: usize) -> Option<&Answer> {
        self.answers.get(index).and_then(Option::as_ref)
    }
}

/// Question id → position, built once per export, not per record.
pub struct QuestionIndex<'p> {
    positions: HashMap<&'p str, usize>,
    len: usize,
    protocol: &'p Protocol,
    calculated: super::calculated::Calculated,
}

impl<'p> QuestionIndex<'p> {
    pub fn new(protocol: &'p Protocol) -> Self {
        let positions: HashMap<&str, usize> = protocol
            .questions()
            .enumerate()
            .map(|(i, q)| (q.id.as_str(), i))
            .collect();
        QuestionIndex {
            len: positions.len(),
            positions,
            protocol,
            calculated: super::calculated::Calculated::new(protocol),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("stored record is unreadable ({0}); the database may be damaged, restore it from a backup")]
pub struct UnreadableRecord(String);

/// A stored envelope as facts need it. Stored records were verified
/// through the engine at ingest, so this reads only what facts use, straight
/// from the JSON: decoding the engine's `Event` (an internally tagged,
/// flattened enum) goes through serde's buffered path and was most of a
/// million-record export's time.
#[derive(Deserialize)]
struct StoredRecord<'a> {
    record_id: Uuid,
    device_id: Uuid,
    protocol_version: u32,
    respondent: String,
    #[serde(borrow)]
    events: Vec<StoredEvent<'a>>,
    #[serde(default)]
    duration_minutes: Option<u32>,
}

/// Every field any event kind uses that facts read, all optional; which
/// ones must be there depends on `event`. Other fields are skipped.
#[derive(Deserialize)]
struct StoredEvent<'a> {
    #[serde(borrow)]
    event: Cow<'a, str>,
    #[serde(borrow)]
    at: Cow<'a, str>,
    // SessionStarted
    language: Option<String>,
    interviewer_languages: Option<Vec<String>>,
    kind: Option<SessionKind>,
    respondent_age: Option<u8>,
    linked_child: Option<String>,
    findings_pack: Option<fieldkit_protocols::ContentHash>,
    weekday: Option<Weekday>,
    // ConsentRecorded
    decision: Option<Decision>,
    // Answered, Amended, Skipped, AnswerWithheld
    question_id: Option<String>,
    value: Option<Value>,
    /// Amended: free text; Skipped and Stopped: a reason's name.
    reason: Option<String>,
    // OthersPresentChanged
    present: Option<OthersPresent>,
}

/// Reads a stored envelope's JSON into its facts.
pub fn read_facts(json: &str, index: &QuestionIndex<'_>) -> Result<SessionFacts, UnreadableRecord> {
    let stored: StoredRecord<'_> =
        serde_json::from_str(json).map_err(|e| UnreadableRecord(e.to_string()))?;
    let id = stored.record_id;
    let mut events = stored.events.into_iter();
    let first = events
        .next()
        .filter(|e| e.event == "session_started")
        .ok_or_else(|| {
            UnreadableRecord(format!("record {id} does not begin with SessionStarted"))
        })?;
    let started = OffsetDateTime::parse(&first.at, &Rfc3339)
        .map_err(|e| UnreadableRecord(format!("record {id}: start time `{}`: {e}", first.at)))?;
    let missing =
        |what: &str| UnreadableRecord(format!("record {id}: an event without its {what}"));
    let mut facts = SessionFacts {
        record: RecordHead {
            record_id: id,
            device_id: stored.device_id,
            protocol_version: stored.protocol_version,
            respondent: stored.respondent,
            duration_minutes: stored.duration_minutes,
        },
        started,
        language: first.language.ok_or_else(|| missing("language"))?,
        interviewer_languages: first.interviewer_languages.unwrap_or_default(),
        kind: first.kind.ok_or_else(|| missing("session kind"))?,
        respondent_age: first.respondent_age,
        linked_child: first.linked_child,
        findings_pack: first.findings_pack,
        weekday: first.weekday,
        consents_given: 0,
        consents_refused: 0,
        stop: None,
        completed: false,
        rapport: false,
        amendments: Vec::new(),
        others_present: Vec::new(),
        answers: vec![None; index.len],
        review: ReviewState::Received,
    };
    for event in events {
        let mut set = |question: Option<String>, answer: Answer| {
            let question = question.ok_or_else(|| missing("question id"))?;
            if let Some(&i) = index.positions.get(question.as_str()) {
                facts.answers[i] = Some(answer);
            }
            Ok::<_, UnreadableRecord>(question)
        };
        match &*event.event {
            "consent_recorded" => match event.decision.ok_or_else(|| missing("decision"))? {
                Decision::Given => facts.consents_given += 1,
                Decision::Refused => facts.consents_refused += 1,
            },
            "rapport_confirmed" => facts.rapport = true,
            "answered" => {
                let value = event.value.ok_or_else(|| missing("value"))?;
                set(event.question_id, Answer::Given(value))?;
            }
            "amended" => {
                let value = event.value.ok_or_else(|| missing("value"))?;
                let question = set(event.question_id, Answer::Given(value))?;
                let reason = event.reason.ok_or_else(|| missing("reason"))?;
                facts.amendments.push((question, reason));
            }
            "skipped" => {
                let reason = named(event.reason, &missing)?;
                set(event.question_id, Answer::Skipped(reason))?;
            }
            "answer_withheld" => {
                set(event.question_id, Answer::Withheld)?;
            }
            "others_present_changed" => {
                let present = event.present.ok_or_else(|| missing("people present"))?;
                if present != OthersPresent::None && !facts.others_present.contains(&present) {
                    facts.others_present.push(present);
                }
            }
            "stopped" => facts.stop = Some(named(event.reason, &missing)?),
            "completed" => facts.completed = true,
            _ => {}
        }
    }
    index.calculated.fill(index.protocol, &mut facts.answers);
    Ok(facts)
}

/// Reads a scanned record: its envelope's facts and its review state.
pub fn read_scanned(
    row: ScannedRecord<'_>,
    index: &QuestionIndex<'_>,
) -> Result<SessionFacts, UnreadableRecord> {
    let mut facts = read_facts(row.envelope_json, index)?;
    if let Some(state) = row.review_state {
        facts.review = state
            .parse()
            .map_err(|e| UnreadableRecord(format!("record {}: {e}", facts.record.record_id)))?;
    }
    Ok(facts)
}

/// A reason stored by its snake_case name (`declined_to_answer`, `refused`).
fn named<T: serde::de::DeserializeOwned>(
    name: Option<String>,
    missing: &dyn Fn(&str) -> UnreadableRecord,
) -> Result<T, UnreadableRecord> {
    let name = name.ok_or_else(|| missing("reason"))?;
    T::deserialize(serde::de::value::StrDeserializer::<serde::de::value::Error>::new(&name))
        .map_err(|e| missing(&format!("known reason ({e})")))
}

/// An answer as one CSV/HTML cell: `yes`, `12`, `a;b`, `first>second`.
pub fn value_text(value: &Value, out: &mut String) {
    use std::fmt::Write as _;
    match value {
        Value::Bool(b) => out.push_str(if *b { "yes" } else { "no" }),
        Value::Integer(n) => {
            let _ = write!(out, "{n}");
        }
        Value::Decimal(n) => {
            let _ = write!(out, "{n}");
        }
        Value::Count(n) => {
            let _ = write!(out, "{n}");
        }
        Value::Text(t) | Value::Choice(t) | Value::Date(t) | Value::Time(t) => out.push_str(t),
        Value::Choices(list) => out.push_str(&list.join(";")),
        Value::Ranking(list) => out.push_str(&list.join(">")),
        Value::Location { lat, lon } => {
            let _ = write!(out, "{lat},{lon}");
        }
    }
}

pub fn skip_text(reason: SkipReason) -> &'static str {
    match reason {
        SkipReason::DeclinedToAnswer => "declined",
        SkipReason::InterviewerJudgement => "not asked (interviewer judgement)",
        SkipReason::DoesNotKnow => "does not know",
    }
}

pub fn stop_text(reason: StopReason) -> &'static str {
    match reason {
        StopReason::Refused => "refused",
        StopReason::Withdrew => "withdrew",
        StopReason::ScreeningPositive => "stopped at screening",
        StopReason::Safety => "stopped for safety",
        StopReason::InterviewerEnded => "ended by interviewer",
    }
}

#[cfg(test)]
mod tests {
    //! The direct reader must agree with decoding through the engine's own
    //! `Event` type, for any mix of events and any text in them.

    use fieldkit_protocols::anonymise::RedactionReport;
    use fieldkit_protocols::engine::{Consenter, Event, EventKind, SessionStart};
    use fieldkit_protocols::hash::ContentHash;
    use fieldkit_protocols::wire::{RecordEnvelope, WireVersion};
    use fieldkit_protocols::{library, parse_protocol};
    use proptest::prelude::*;

    use super::*;

    fn protocol() -> Protocol {
        let file = "child-rapid-assessment.toml";
        parse_protocol(file, &library::demo_source(file)).unwrap()
    }

    /// The facts as the engine's types say them: the oracle.
    fn oracle(envelope: &RecordEnvelope, index: &QuestionIndex<'_>) -> SessionFacts {
        let EventKind::SessionStarted(start) = &envelope.events[0].kind else {
            unreachable!("generated logs start with SessionStarted")
        };
        let mut facts = SessionFacts {
            record: RecordHead {
                record_id: envelope.record_id,
                device_id: envelope.device_id,
                protocol_version: envelope.protocol_version,
                respondent: envelope.respondent.clone(),
                duration_minutes: envelope.duration_minutes,
            },
            started: envelope.events[0].at,
            language: start.language.clone(),
            interviewer_languages: start.interviewer_languages.clone(),
            kind: start.kind,
            respondent_age: start.respondent_age,
            linked_child: start.linked_child.clone(),
            findings_pack: start.findings_pack.clone(),
            weekday: start.weekday,
            consents_given: 0,
            consents_refused: 0,
            stop: None,
            completed: false,
            rapport: false,
            amendments: Vec::new(),
            others_present: Vec::new(),
            answers: vec![None; index.len],
            review: ReviewState::Received,
        };
        for event in &envelope.events[1..] {
            let mut set = |id: &str, answer: Answer| {
                if let Some(&i) = index.positions.get(id) {
                    facts.answers[i] = Some(answer);
                }
            };
            match &event.kind {
                EventKind::ConsentRecorded { decision, .. } => match decision {
                    Decision::Given => facts.consents_given += 1,
                    Decision::Refused => facts.consents_refused += 1,
                },
                EventKind::RapportConfirmed => facts.rapport = true,
                EventKind::Answered { question_id, value } => {
                    set(question_id, Answer::Given(value.clone()));
                }
                EventKind::Amended {
                    question_id,
                    value,
                    reason,
                } => {
                    set(question_id, Answer::Given(value.clone()));
                    facts.amendments.push((question_id.clone(), reason.clone()));
                }
                EventKind::Skipped {
                    question_id,
                    reason,
                } => set(question_id, Answer::Skipped(*reason)),
                EventKind::AnswerWithheld { question_id } => set(question_id, Answer::Withheld),
                EventKind::OthersPresentChanged { present }
                    if *present != OthersPresent::None
                        && !facts.others_present.contains(present) =>
                {
                    facts.others_present.push(*present);
                }
                EventKind::Stopped { reason } => facts.stop = Some(*reason),
                EventKind::Completed => facts.completed = true,
                _ => {}
            }
        }
        facts
    }

    /// Text with the characters JSON must escape, so borrowed and owned
    /// strings are both read.
    fn text() -> impl Strategy<Value = String> {
        "[a-z \"\\\\\n\u{e9}]{0,12}"
    }

    fn value() -> impl Strategy<Value = Value> {
        prop_oneof![
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::Integer),
            text().prop_map(Value::Text),
            text().prop_map(Value::Choice),
            prop::collection::vec(text(), 0..3).prop_map(Value::Choices),
            any::<u32>().prop_map(Value::Count),
        ]
    }

    fn event(questions: Vec<String>) -> impl Strategy<Value = EventKind> {
        let question = prop::sample::select(questions);
        let skip = prop::sample::select(vec![
            SkipReason::DeclinedToAnswer,
            SkipReason::InterviewerJudgement,
            SkipReason::DoesNotKnow,
        ]);
        let stop = prop::sample::select(vec![
            StopReason::Refused,
            StopReason::Withdrew,
            StopReason::ScreeningPositive,
            StopReason::Safety,
            StopReason::InterviewerEnded,
        ]);
        let present = prop::sample::select(vec![
            OthersPresent::None,
            OthersPresent::Parent,
            OthersPresent::Employer,
            OthersPresent::Peer,
        ]);
        prop_oneof![
            any::<bool>().prop_map(|given| EventKind::ConsentRecorded {
                by: Consenter::Respondent,
                decision: if given {
                    Decision::Given
                } else {
                    Decision::Refused
                },
                audio_recording: false,
            }),
            Just(EventKind::RapportConfirmed),
            Just(EventKind::IntroductionGiven),
            (question.clone(), value())
                .prop_map(|(question_id, value)| EventKind::Answered { question_id, value }),
            (question.clone(), value(), text()).prop_map(|(question_id, value, reason)| {
                EventKind::Amended {
                    question_id,
                    value,
                    reason,
                }
            }),
            (question.clone(), skip).prop_map(|(question_id, reason)| EventKind::Skipped {
                question_id,
                reason
            }),
            question.prop_map(|question_id| EventKind::AnswerWithheld { question_id }),
            present.prop_map(|present| EventKind::OthersPresentChanged { present }),
            text().prop_map(|text| EventKind::NoteAdded { text }),
            stop.prop_map(|reason| EventKind::Stopped { reason }),
            Just(EventKind::Completed),
        ]
    }

    fn envelope(start: SessionStart, kinds: Vec<EventKind>) -> RecordEnvelope {
        let at = OffsetDateTime::from_unix_timestamp(1_790_000_000).unwrap();
        let events = std::iter::once(EventKind::SessionStarted(start))
            .chain(kinds)
            .enumerate()
            .map(|(seq, kind)| Event {
                seq: seq as u64,
                at: at + time::Duration::seconds(seq as i64),
                kind,
            })
            .collect();
        RecordEnvelope {
            wire_version: WireVersion,
            record_id: Uuid::new_v4(),
            device_id: Uuid::new_v4(),
            protocol_id: "child".into(),
            protocol_version: 3,
            protocol_hash: ContentHash("sha256:0".into()),
            respondent: "7K2M-Q".into(),
            events,
            redactions: RedactionReport::default(),
            content_hash: ContentHash("sha256:0".into()),
            duration_minutes: None,
        }
    }

    proptest! {
        #[test]
        fn the_direct_reader_agrees_with_the_engines_types(
            language in text(),
            age in proptest::option::of(0u8..30),
            linked in proptest::option::of(text()),
            kinds in prop::collection::vec(event(vec![
                "age".into(), "sex".into(), "not_in_this_protocol".into(),
            ]), 0..40),
        ) {
            let protocol = protocol();
            let index = QuestionIndex::new(&protocol);
            let start = SessionStart {
                session_id: Uuid::new_v4(),
                protocol_id: "child".into(),
                protocol_version: 3,
                protocol_hash: ContentHash("sha256:0".into()),
                language,
                interviewer_languages: vec!["en".into(), "fr".into()],
                kind: SessionKind::Full,
                respondent: "7K2M-Q".into(),
                respondent_age: age,
                linked_child: linked,
                site_type: None,
                weekday: None,
                findings_pack: None,
            };
            let envelope = envelope(start, kinds);
            let json = serde_json::to_string(&envelope).unwrap();
            let read = read_facts(&json, &index).unwrap();
            prop_assert_eq!(read, oracle(&envelope, &index));
        }
    }

    #[test]
    fn a_log_that_does_not_start_with_the_session_is_refused_by_record() {
        let protocol = protocol();
        let index = QuestionIndex::new(&protocol);
        let mut envelope = envelope(
            SessionStart {
                session_id: Uuid::new_v4(),
                protocol_id: "child".into(),
                protocol_version: 3,
                protocol_hash: ContentHash("sha256:0".into()),
                language: "en".into(),
                interviewer_languages: vec![],
                kind: SessionKind::Full,
                respondent: "7K2M-Q".into(),
                respondent_age: None,
                linked_child: None,
                site_type: None,
                weekday: None,
                findings_pack: None,
            },
            vec![EventKind::Completed],
        );
        envelope.events.remove(0);
        let json = serde_json::to_string(&envelope).unwrap();
        let error = read_facts(&json, &index).unwrap_err().to_string();
        assert!(error.contains(&envelope.record_id.to_string()), "{error}");
        assert!(error.contains("SessionStarted"), "{error}");
        let answered_without_value =
            json.replace("\"event\":\"completed\"", "\"event\":\"answered\"");
        assert!(read_facts(&answered_without_value, &index).is_err());
    }
}
