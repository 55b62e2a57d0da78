//! Interviews driven the way the app drives them: ask the engine for the
//! next step (`Session::next()`), record what the researcher did, keep every
//! event in the vault as it happens, then finalise: anonymise and seal.

use std::sync::Arc;

use fieldkit_mobile::vault::Vault;
use fieldkit_protocols::anonymise::anonymise;
use fieldkit_protocols::engine::{
    Decision, EventKind, Session, SessionKind, SessionStart, SkipReason, Status, Step, StopReason,
};
use fieldkit_protocols::refnum::RefNumber;
use fieldkit_protocols::wire::RecordEnvelope;
use fieldkit_protocols::{Protocol, QuestionKind, Value};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// How the interview goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Course {
    /// Consent given, screening negative, every question answered or declined.
    Complete,
    /// The respondent refuses consent.
    Refusal,
    /// A screening item is positive: referral, and the session stops (R5).
    PositiveScreen,
}

/// One finished interview on a device.
#[derive(Debug, Clone)]
pub struct Interview {
    pub session_id: Uuid,
    pub respondent: RefNumber,
    pub course: Course,
}

/// A value the question accepts: the first choice, `false`, a small number.
fn plain_value(protocol: &Protocol, question_id: &str) -> Option<Value> {
    let q = protocol.question(question_id)?;
    let first = q.choices.first().map(|c| c.value.clone());
    Some(match q.kind {
        QuestionKind::YesNo => Value::Bool(false),
        QuestionKind::SingleChoice => Value::Choice(first?),
        QuestionKind::MultipleChoice => Value::Choices(vec![first?]),
        QuestionKind::Integer => Value::Integer(12),
        _ => return None,
    })
}

fn start(protocol: &Protocol, respondent: &RefNumber, age: u8) -> SessionStart {
    SessionStart {
        session_id: Uuid::new_v4(),
        protocol_id: protocol.id.clone(),
        protocol_version: protocol.version,
        protocol_hash: protocol.content_hash(),
        language: "en".to_owned(),
        interviewer_languages: vec!["en".to_owned()],
        kind: SessionKind::Full,
        respondent: respondent.to_string(),
        respondent_age: Some(age),
        linked_child: None,
        site_type: None,
        weekday: None,
        findings_pack: None,
    }
}

/// What the researcher does at `step`; `None` when the interview is over.
fn act(protocol: &Protocol, session: &Session, step: Step, course: Course) -> Option<EventKind> {
    Some(match step {
        Step::Introduction => EventKind::IntroductionGiven,
        Step::DataUse => EventKind::DataUseExplained {
            statement_hash: protocol.data_use_hash(),
        },
        Step::Consent { from } => EventKind::ConsentRecorded {
            by: from,
            decision: if course == Course::Refusal {
                Decision::Refused
            } else {
                Decision::Given
            },
            audio_recording: false,
        },
        Step::Screening { item_id } => EventKind::ScreeningAnswered {
            item_id,
            positive: course == Course::PositiveScreen,
        },
        Step::Question { question_id }
        | Step::SensitiveSection {
            first_question_id: question_id,
        } => match plain_value(protocol, &question_id) {
            Some(value) => EventKind::Answered { question_id, value },
            None => EventKind::Skipped {
                question_id,
                reason: SkipReason::DeclinedToAnswer,
            },
        },
        Step::RapportCheckpoint => EventKind::RapportConfirmed,
        Step::Closing => EventKind::Completed,
        Step::Referral if session.status() == Status::InProgress => EventKind::Stopped {
            reason: StopReason::ScreeningPositive,
        },
        Step::Finished if session.status() == Status::InProgress => EventKind::Stopped {
            reason: StopReason::Refused,
        },
        Step::Referral | Step::Finished => return None,
        other => panic!("the journey driver does not handle {other:?}"),
    })
}

/// Runs one interview, appending every event to the vault as the app does.
pub fn conduct(vault: &mut Vault, protocol: &Arc<Protocol>, course: Course) -> Interview {
    let respondent = RefNumber::from_uuid(Uuid::new_v4());
    let start = start(protocol, &respondent, 12);
    let session_id = start.session_id;
    let mut session = Session::new(Arc::clone(protocol));
    let began = OffsetDateTime::now_utc();
    let first = session
        .record(EventKind::SessionStarted(start), began)
        .unwrap()
        .clone();
    vault.append_event(session_id, &first).unwrap();
    for n in 1..1000 {
        let Some(kind) = act(protocol, &session, session.next(), course) else {
            return Interview {
                session_id,
                respondent,
                course,
            };
        };
        let event = session
            .record(kind, began + Duration::seconds(n))
            .unwrap_or_else(|r| panic!("the engine refused a step of a {course:?} interview: {r}"))
            .clone();
        vault.append_event(session_id, &event).unwrap();
    }
    panic!("a {course:?} interview did not finish in 1000 steps");
}

/// Finalises a session from the vault: anonymise, seal, enqueue.
pub fn finalise(vault: &mut Vault, protocol: &Protocol, session_id: Uuid) -> RecordEnvelope {
    let device = vault.device_id().unwrap().expect("the device is enrolled");
    let events = vault.session_events(session_id).unwrap();
    let anonymised = anonymise(protocol, &events, &[]);
    let record = RecordEnvelope::seal(Uuid::new_v4(), device, protocol, anonymised);
    vault.enqueue(&record).unwrap();
    record
}

/// Many records quickly, for fault tests: two real interviews are run with
/// the engine and anonymised (one complete, one refusal), then each record
/// is one of them under its own session id (and respondent reference, for
/// the complete ones), sealed
/// for this device and queued (not kept as a session). Running the engine
/// for every record made setting up the soak take longer than the soak.
pub fn queue_records(
    vault: &mut Vault,
    protocol: &Arc<Protocol>,
    count: usize,
) -> Vec<RecordEnvelope> {
    let device = vault.device_id().unwrap().expect("enrolled");
    let complete = anonymise(
        protocol,
        &run_in_memory(protocol, Course::Complete, 12),
        &[],
    );
    let refusal = anonymise(protocol, &run_in_memory(protocol, Course::Refusal, 12), &[]);
    (0..count)
        .map(|i| {
            let template = if i % 5 == 4 { &refusal } else { &complete };
            let mut anonymised = template.clone();
            for event in &mut anonymised.events {
                if let EventKind::SessionStarted(start) = &mut event.kind {
                    start.session_id = Uuid::new_v4();
                    // A refusal stays anonymous: the server rejects a
                    // refused consent that names a respondent (R21).
                    if !start.respondent.is_empty() {
                        start.respondent = RefNumber::from_uuid(Uuid::new_v4()).to_string();
                    }
                }
            }
            let record = RecordEnvelope::seal(Uuid::new_v4(), device, protocol, anonymised);
            vault.enqueue(&record).unwrap();
            record
        })
        .collect()
}

/// The events of one interview with a child of `age` (whole years), run
/// through the engine without a vault: what the benches seal by the thousand.
pub fn run_in_memory(
    protocol: &Arc<Protocol>,
    course: Course,
    age: u8,
) -> Vec<fieldkit_protocols::engine::Event> {
    let respondent = RefNumber::from_uuid(Uuid::new_v4());
    let mut session = Session::new(Arc::clone(protocol));
    let began = OffsetDateTime::now_utc();
    session
        .record(
            EventKind::SessionStarted(start(protocol, &respondent, age)),
            began,
        )
        .unwrap();
    for n in 1..1000 {
        let Some(kind) = act(protocol, &session, session.next(), course) else {
            return session.events().to_vec();
        };
        session.record(kind, began + Duration::seconds(n)).unwrap();
    }
    panic!("a {course:?} interview did not finish in 1000 steps");
}
