//! Engine figures: replaying a 1,000-event log (what the server does for
//! every record, and the phone on resume) and anonymising one finished
//! session before sync. The ceiling beside each is decoding the same log
//! from JSON, which any receiver pays anyway.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use fieldkit_protocols::anonymise::anonymise;
use fieldkit_protocols::engine::{
    Decision, Event, EventKind, OthersPresent, Session, SessionKind, SessionStart, SkipReason, Step,
};
use fieldkit_protocols::{library, parse_protocol, Protocol, QuestionKind, Value};
use time::macros::datetime;
use time::OffsetDateTime;
use uuid::Uuid;

/// `Event` with the derived deserialiser it had (flattened, tagged kind).
#[derive(serde::Deserialize)]
#[allow(dead_code)] // Only decoded.
struct Derived {
    seq: u64,
    #[serde(with = "time::serde::rfc3339")]
    at: OffsetDateTime,
    #[serde(flatten)]
    kind: EventKind,
}

const CHILD_FILE: &str = "child-rapid-assessment.toml";
const REPLAY_EVENTS: usize = 1000;

fn child_protocol() -> Arc<Protocol> {
    Arc::new(parse_protocol(CHILD_FILE, &library::demo_source(CHILD_FILE)).unwrap())
}

fn at(n: usize) -> OffsetDateTime {
    datetime!(2026-03-06 10:00 UTC) + time::Duration::seconds(n as i64)
}

fn start(protocol: &Protocol) -> SessionStart {
    SessionStart {
        session_id: Uuid::from_u128(0xbe9c),
        protocol_id: protocol.id.clone(),
        protocol_version: protocol.version,
        protocol_hash: protocol.content_hash(),
        language: "en".to_owned(),
        interviewer_languages: vec!["en".to_owned()],
        kind: SessionKind::Full,
        respondent: "7K2M-Q".to_owned(),
        respondent_age: Some(12),
        linked_child: None,
        site_type: None,
        weekday: None,
        findings_pack: None,
    }
}

/// An answer the question accepts, or `None` to decline it.
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

/// A complete interview driven by `next()`, with `padding` interjections
/// (notes naming the child, others arriving and leaving) at the first
/// question, as a long interview accumulates them.
fn completed_session(protocol: &Arc<Protocol>, padding: usize) -> Vec<Event> {
    let mut session = Session::new(Arc::clone(protocol));
    let record = |session: &mut Session, kind: EventKind| {
        let n = session.events().len();
        session
            .record(kind, at(n))
            .unwrap_or_else(|r| panic!("bench driver step {n} refused: {r}"));
    };
    record(&mut session, EventKind::SessionStarted(start(protocol)));
    let mut padded = false;
    loop {
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
            } => {
                if !padded {
                    padded = true;
                    for i in 0..padding {
                        let kind = if i % 2 == 0 {
                            EventKind::NoteAdded {
                                text: format!("Amina said her cousin Yusuf brought her here ({i})"),
                            }
                        } else {
                            EventKind::OthersPresentChanged {
                                present: if i % 4 == 1 {
                                    OthersPresent::Peer
                                } else {
                                    OthersPresent::None
                                },
                            }
                        };
                        record(&mut session, kind);
                    }
                    // Someone joining reopens the screening (R5): ask again.
                    continue;
                }
                match plain_value(protocol, &question_id) {
                    Some(value) => EventKind::Answered { question_id, value },
                    None => EventKind::Skipped {
                        question_id,
                        reason: SkipReason::DeclinedToAnswer,
                    },
                }
            }
            Step::RapportCheckpoint => EventKind::RapportConfirmed,
            Step::Closing => EventKind::Completed,
            Step::Finished => break,
            other => panic!("the bench driver does not handle {other:?}"),
        };
        record(&mut session, kind);
    }
    session.events().to_vec()
}

fn engine(c: &mut Criterion) {
    let protocol = child_protocol();
    let plain_len = completed_session(&protocol, 0).len();
    // Someone arriving reopens the screening once: those events count too.
    let rescreen = completed_session(&protocol, 2).len() - plain_len - 2;
    let long = completed_session(&protocol, REPLAY_EVENTS - plain_len - rescreen);
    assert_eq!(long.len(), REPLAY_EVENTS, "the long log has 1,000 events");
    let long_json = serde_json::to_vec(&long).unwrap();

    let mut group = c.benchmark_group("engine");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    group.bench_function("replay_1000", |b| {
        b.iter(|| {
            let session = Session::replay(Arc::clone(&protocol), long.iter().cloned()).unwrap();
            black_box(session)
        });
    });
    group.bench_function("json_decode_1000", |b| {
        b.iter(|| black_box(serde_json::from_slice::<Vec<Event>>(&long_json).unwrap()));
    });
    // The same log through the derived, buffered reader `Event` had before
    // `engine/events_de.rs`: the "before" of that change, in the same run.
    group.bench_function("json_decode_1000_derived", |b| {
        b.iter(|| black_box(serde_json::from_slice::<Vec<Derived>>(&long_json).unwrap()));
    });

    let finished = completed_session(&protocol, 10);
    let finished_json = serde_json::to_vec(&finished).unwrap();
    let identity = vec!["Amina".to_owned(), "Yusuf".to_owned()];
    group.bench_function("anonymise_session", |b| {
        b.iter(|| black_box(anonymise(&protocol, &finished, &identity)));
    });
    group.bench_function("json_decode_session", |b| {
        b.iter(|| black_box(serde_json::from_slice::<Vec<Event>>(&finished_json).unwrap()));
    });
    group.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
