//! A validation session (issue 22) driven by the engine's own `next()`,
//! for the tests that need a group's verdict on a finding.

use std::sync::Arc;

use fieldkit_protocols::engine::{Decision, Event, EventKind, Session, SkipReason, Step};
use fieldkit_protocols::{ContentHash, Protocol, Value};

use super::{at, start};

/// A validation session with four children showing `pack`, with counts.
pub fn validation_session(protocol: &Arc<Protocol>, pack: &ContentHash) -> Vec<Event> {
    let mut begin = start(protocol, None);
    begin.findings_pack = Some(pack.clone());
    let mut session = Session::new(Arc::clone(protocol));
    session
        .record(EventKind::SessionStarted(begin), at(0))
        .unwrap();
    let mut added = 0;
    for _ in 0..200 {
        let kind = match session.next() {
            Step::Introduction => EventKind::IntroductionGiven,
            Step::DataUse => EventKind::DataUseExplained {
                statement_hash: protocol.data_use_hash(),
            },
            Step::Roster => {
                added += 1;
                EventKind::ParticipantAdded {
                    code: format!("P{added}"),
                    age: Some(13),
                }
            }
            Step::Consent { from } => EventKind::ConsentRecorded {
                by: from,
                decision: Decision::Given,
                audio_recording: false,
            },
            Step::Screening { item_id } => EventKind::ScreeningAnswered {
                item_id,
                positive: false,
            },
            Step::Question { question_id } => match question_id.as_str() {
                "work_type_agree" => answer(question_id, Value::Integer(4)),
                "work_type_disagree" => answer(question_id, Value::Integer(2)),
                "work_type_words" => answer(
                    question_id,
                    Value::Text("Girls here also work in the market.".into()),
                ),
                _ => EventKind::Skipped {
                    question_id,
                    reason: SkipReason::DeclinedToAnswer,
                },
            },
            Step::Closing => EventKind::Completed,
            Step::Finished => break,
            other => panic!("the driver does not handle {other:?}"),
        };
        let n = session.events().len();
        session.record(kind, at(n)).unwrap();
    }
    assert!(added >= 4);
    session.events().to_vec()
}

fn answer(question_id: String, value: Value) -> EventKind {
    EventKind::Answered { question_id, value }
}

/// A child interview that gives the age (12), says the child works, and
/// what work (`work`); everything else declined.
pub fn child_who_works(protocol: &Arc<Protocol>, work: &str) -> Vec<Event> {
    let mut session = Session::new(Arc::clone(protocol));
    session
        .record(EventKind::SessionStarted(start(protocol, Some(12))), at(0))
        .unwrap();
    for _ in 0..500 {
        let kind = match session.next() {
            Step::Introduction => EventKind::IntroductionGiven,
            Step::DataUse => EventKind::DataUseExplained {
                statement_hash: protocol.data_use_hash(),
            },
            Step::Consent { from } => EventKind::ConsentRecorded {
                by: from,
                decision: Decision::Given,
                audio_recording: false,
            },
            Step::Screening { item_id } => EventKind::ScreeningAnswered {
                item_id,
                positive: false,
            },
            Step::Question { question_id }
            | Step::SensitiveSection {
                first_question_id: question_id,
            } => match question_id.as_str() {
                "age" => answer(question_id, Value::Integer(12)),
                "works" => answer(question_id, Value::Bool(true)),
                "work_type" => answer(question_id, Value::Choices(vec![work.to_owned()])),
                _ => EventKind::Skipped {
                    question_id,
                    reason: SkipReason::DeclinedToAnswer,
                },
            },
            Step::RapportCheckpoint => EventKind::RapportConfirmed,
            Step::Closing => EventKind::Completed,
            Step::Finished => break,
            other => panic!("the driver does not handle {other:?}"),
        };
        let n = session.events().len();
        session.record(kind, at(n)).unwrap();
    }
    session.events().to_vec()
}
