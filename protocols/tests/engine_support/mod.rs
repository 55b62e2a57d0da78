//! Shared helpers for the engine tests: fixture protocols, event builders, a
//! session runner that checks refusals change nothing, and a random walker
//! that follows `next()`.
#![allow(dead_code)]

pub mod fixtures;
pub mod walk;

use std::sync::Arc;

use fieldkit_protocols::engine::{
    Consenter, Decision, Event, EventKind, Refusal, Session, SessionKind, SessionStart, SkipReason,
};
use fieldkit_protocols::engine::{RefusalKind, Step};
use fieldkit_protocols::model::{Respondents, Weekday};
use fieldkit_protocols::{parse_protocol, Protocol, Rule, Value};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// A reference number with a valid check character, as the phone writes it.
pub const RESPONDENT: &str = "7K2M-QW3R-Q";

pub fn load(name: &str, source: &str) -> Arc<Protocol> {
    Arc::new(parse_protocol(name, source).unwrap_or_else(|e| panic!("fixture {name}: {e}")))
}

pub fn child() -> Arc<Protocol> {
    load("child.toml", fixtures::CHILD)
}

/// The child protocol with a cascading select: which kinds of work
/// `work_kind` offers depends on earlier answers, one of them identifying
/// (so the server's replay sees it withheld).
pub fn cascading() -> Arc<Protocol> {
    let mut protocol = (*child()).clone();
    let question = protocol
        .sections
        .iter_mut()
        .flat_map(|s| s.questions.iter_mut())
        .find(|q| q.id == "work_kind")
        .expect("the child fixture asks work_kind");
    question.choices[1].relevant = Some("answered(nickname)".to_owned());
    question.choices[2].relevant = Some("sex = 'girl' or sex = 'boy'".to_owned());
    Arc::new(protocol)
}

/// The child protocol with calculated questions: a week's hours from the
/// day's, and one built on the identifying `nickname` that a later
/// question's skip logic uses (the server's replay never sees the nickname).
pub fn calculated() -> Arc<Protocol> {
    let mut protocol = (*child()).clone();
    let background = &mut protocol.sections[0].questions;
    let hours = background.iter().position(|q| q.id == "hours").unwrap();
    let mut week = background[hours].clone();
    week.id = "hours_week".into();
    week.kind = fieldkit_protocols::QuestionKind::Integer;
    week.relevant = None;
    week.constraint = None;
    week.constraint_message = None;
    week.calculation = Some("if(answered(hours), hours * 7, 0)".into());
    let mut greeting = week.clone();
    greeting.id = "greeting".into();
    greeting.kind = fieldkit_protocols::QuestionKind::Text;
    greeting.calculation = Some("if(answered(nickname), concat('Hi ', nickname), '')".into());
    background.insert(hours + 1, week);
    background.insert(hours + 2, greeting);
    let school = background.iter_mut().find(|q| q.id == "school").unwrap();
    school.relevant = Some("answered(greeting)".into());
    Arc::new(protocol)
}

pub fn group() -> Arc<Protocol> {
    load("group.toml", fixtures::GROUP)
}

pub fn observation() -> Arc<Protocol> {
    load("observation.toml", fixtures::OBSERVATION)
}

/// Device time of the `n`th event: one second apart, on a Friday night.
pub fn at(n: u64) -> OffsetDateTime {
    datetime!(2026-03-06 22:15 UTC) + Duration::seconds(n as i64)
}

pub fn start_of(
    protocol: &Protocol,
    kind: SessionKind,
    age: Option<u8>,
    language: &str,
) -> SessionStart {
    let observing = protocol.respondents() == Respondents::Nobody;
    SessionStart {
        session_id: Uuid::from_u128(0x5e55_1011),
        protocol_id: protocol.id.clone(),
        protocol_version: protocol.version,
        protocol_hash: protocol.content_hash(),
        language: language.to_owned(),
        interviewer_languages: vec!["en".to_owned(), "fr".to_owned()],
        kind,
        respondent: RESPONDENT.to_owned(),
        respondent_age: age,
        linked_child: None,
        site_type: observing.then(|| "bus_station".to_owned()),
        weekday: observing.then_some(Weekday::Fri),
        findings_pack: None,
    }
}

pub fn started(protocol: &Protocol, kind: SessionKind, age: Option<u8>) -> EventKind {
    EventKind::SessionStarted(start_of(protocol, kind, age, "en"))
}

pub fn data_use(protocol: &Protocol) -> EventKind {
    EventKind::DataUseExplained {
        statement_hash: protocol.data_use_hash(),
    }
}

pub fn consent(by: Consenter) -> EventKind {
    EventKind::ConsentRecorded {
        by,
        decision: Decision::Given,
        audio_recording: false,
    }
}

pub fn refuse(by: Consenter) -> EventKind {
    EventKind::ConsentRecorded {
        by,
        decision: Decision::Refused,
        audio_recording: false,
    }
}

pub fn screen(item: &str, positive: bool) -> EventKind {
    EventKind::ScreeningAnswered {
        item_id: item.to_owned(),
        positive,
    }
}

pub fn answer(question: &str, value: Value) -> EventKind {
    EventKind::Answered {
        question_id: question.to_owned(),
        value,
    }
}

pub fn skip(question: &str) -> EventKind {
    EventKind::Skipped {
        question_id: question.to_owned(),
        reason: SkipReason::DeclinedToAnswer,
    }
}

pub fn participant(code: &str, age: Option<u8>) -> EventKind {
    EventKind::ParticipantAdded {
        code: code.to_owned(),
        age,
    }
}

/// A session driven event by event, with the clock ticking one second each.
pub struct Run {
    pub session: Session,
}

impl Run {
    pub fn new(protocol: Arc<Protocol>) -> Run {
        Run {
            session: Session::new(protocol),
        }
    }

    /// Records an event that must be accepted.
    pub fn ok(&mut self, kind: EventKind) -> &mut Run {
        let n = self.session.events().len() as u64;
        let shown = format!("{kind:?}");
        if let Err(refusal) = self.session.record(kind, at(n)) {
            panic!("event {n} {shown} was refused: {refusal}");
        }
        self
    }

    /// Records an event that must be refused, and checks that the refusal
    /// left the session exactly as it was.
    pub fn refused(&mut self, kind: EventKind) -> Refusal {
        let n = self.session.events().len() as u64;
        self.refused_event(Event {
            seq: n,
            at: at(n),
            kind,
        })
    }

    pub fn refused_event(&mut self, event: Event) -> Refusal {
        let before = self.session.clone();
        let shown = format!("{:?}", event.kind);
        let refusal = match self.session.apply(event) {
            Ok(()) => panic!("{shown} was accepted but should have been refused"),
            Err(refusal) => refusal,
        };
        assert!(
            self.session == before,
            "a refused event changed the session"
        );
        assert_eq!(self.session.next(), before.next());
        refusal
    }
}

/// Started, introduced and explained; no consent yet.
pub fn child_explained(age: Option<u8>) -> Run {
    let protocol = child();
    let mut run = Run::new(protocol.clone());
    run.ok(started(&protocol, SessionKind::Full, age))
        .ok(EventKind::IntroductionGiven)
        .ok(data_use(&protocol));
    run
}

/// A child session started, introduced, explained, consented (guardian too
/// under 18) and screened negative: ready for the first question.
pub fn child_ready(age: Option<u8>) -> Run {
    let protocol = child();
    let mut run = Run::new(protocol.clone());
    run.ok(started(&protocol, SessionKind::Full, age))
        .ok(EventKind::IntroductionGiven)
        .ok(data_use(&protocol));
    if age.is_none_or(|a| a < 18) {
        run.ok(consent(Consenter::Guardian));
    }
    run.ok(consent(Consenter::Respondent))
        .ok(screen("distress", false))
        .ok(screen("injury", false));
    run
}

/// A log with `seq` and times rewritten to run 0, 1, 2 ... after an edit.
pub fn renumber(mut events: Vec<Event>) -> Vec<Event> {
    for (i, event) in events.iter_mut().enumerate() {
        event.seq = i as u64;
        event.at = at(i as u64);
    }
    events
}

pub fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

pub fn choices(values: &[&str]) -> Value {
    Value::Choices(values.iter().map(|v| (*v).to_owned()).collect())
}

/// Checks that `next()` asks for `step`, then records `kind`.
pub fn expect(run: &mut Run, step: &Step, kind: EventKind) {
    assert_eq!(&run.session.next(), step);
    run.ok(kind);
}

pub fn q(id: &str) -> Step {
    Step::Question {
        question_id: id.to_owned(),
    }
}

/// The refusal names this rule (and says so first in its text) and kind.
pub fn assert_refused(refusal: &Refusal, rule: Option<Rule>, kind: RefusalKind) {
    assert_eq!((refusal.rule, refusal.kind), (rule, kind), "{refusal}");
    if let Some(rule) = rule {
        assert!(
            refusal.to_string().starts_with(&format!("{rule}: ")),
            "{refusal}"
        );
    }
}
