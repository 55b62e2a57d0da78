//! A small child-interview protocol and helpers to run sessions through the
//! real engine, for the anonymisation and wire tests.

#![allow(dead_code)]

use std::sync::Arc;

use fieldkit_protocols::engine::{
    Consenter, Decision, Event, EventKind, Session, SessionKind, SessionStart, StopReason,
};
use fieldkit_protocols::{parse_protocol, Protocol, Value};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

pub const PROTOCOL: &str = r#"
id = "anonymise-test"
version = 2
title = { en = "Journeys to work", fr = "Parcours vers le travail" }
method = "child_interview"
languages = ["en", "fr"]
aim = { en = "Learn how children travel to work.", fr = "Comprendre comment les enfants partent travailler." }
closing = { en = "Thank you.", fr = "Merci." }

[[research_questions]]
id = "rq1"
text = { en = "How do children travel?", fr = "Comment les enfants voyagent-ils ?" }

[introduction]
organisation = "Field Research Group"
script = { en = "My name is {interviewer}, I work for {organisation}.", fr = "Je m'appelle {interviewer}, je travaille pour {organisation}." }

[data_use]
purpose = { en = "To plan services.", fr = "Pour planifier des services." }
who_sees = { en = "Only the research team.", fr = "Seulement l'équipe." }
protection = { en = "No names leave the phone.", fr = "Aucun nom ne quitte le téléphone." }
results_return = { en = "A meeting at school.", fr = "Une réunion à l'école." }

[[screening.items]]
id = "distress"
text = { en = "Is the child visibly distressed?", fr = "L'enfant est-il visiblement en détresse ?" }

[referral]
pathway = { en = "Call the child protection unit.", fr = "Appeler l'unité de protection." }
safety_notes = { en = "Work in pairs.", fr = "Travailler à deux." }

[privacy]
location_decimals = 2
timestamp_precision = "day"

[[sections]]
id = "journey"
title = { en = "Your journey", fr = "Ton voyage" }

[[sections.questions]]
id = "age"
text = { en = "How old are you?", fr = "Quel âge as-tu ?" }
kind = "integer"
purpose = "disaggregation"
disaggregation = "age"

[[sections.questions]]
id = "first_name"
text = { en = "What should I call you?", fr = "Comment dois-je t'appeler ?" }
kind = "text"
purpose = "rq1"
identifying = true

[[sections.questions]]
id = "home_area"
text = { en = "Where do you live now?", fr = "Où habites-tu maintenant ?" }
kind = "coarse_location"
purpose = "rq1"

[[sections.questions]]
id = "journey"
text = { en = "How did you come here?", fr = "Comment es-tu venu ici ?" }
kind = "text"
purpose = "rq1"
"#;

pub fn protocol() -> Arc<Protocol> {
    Arc::new(parse_protocol("anonymise-test.toml", PROTOCOL).expect("the fixture protocol parses"))
}

/// Builds a session event by event through the engine, one minute apart
/// from a fixed start, so every log here is one the engine accepted.
pub struct Recorder {
    pub session: Session,
    pub at: OffsetDateTime,
}

impl Recorder {
    pub fn start(protocol: Arc<Protocol>, respondent: &str, age: Option<u8>) -> Recorder {
        Recorder::start_at(
            protocol,
            respondent,
            age,
            datetime!(2026-03-12 16:55 +02:00),
        )
    }

    pub fn start_at(
        protocol: Arc<Protocol>,
        respondent: &str,
        age: Option<u8>,
        at: OffsetDateTime,
    ) -> Recorder {
        let start = SessionStart {
            session_id: Uuid::from_u128(0x5e55_1011),
            protocol_id: protocol.id.clone(),
            protocol_version: protocol.version,
            protocol_hash: protocol.content_hash(),
            language: "en".to_owned(),
            interviewer_languages: vec!["en".to_owned(), "fr".to_owned()],
            kind: SessionKind::Full,
            respondent: respondent.to_owned(),
            respondent_age: age,
            linked_child: None,
            site_type: None,
            weekday: None,
            findings_pack: None,
        };
        let mut recorder = Recorder {
            session: Session::new(protocol),
            at,
        };
        recorder.record(EventKind::SessionStarted(start));
        recorder
    }

    pub fn record(&mut self, kind: EventKind) -> &mut Recorder {
        let at = self.at;
        self.session
            .record(kind, at)
            .unwrap_or_else(|refusal| panic!("the fixture session was refused: {refusal}"));
        self.at += Duration::minutes(1);
        self
    }

    /// Introduction, data use, and the child's and a guardian's consent.
    pub fn consent(&mut self) -> &mut Recorder {
        let hash = self.session.protocol().data_use_hash();
        self.record(EventKind::IntroductionGiven)
            .record(EventKind::DataUseExplained {
                statement_hash: hash,
            })
            .record(consent(Consenter::Guardian, Decision::Given))
            .record(consent(Consenter::Respondent, Decision::Given))
    }

    pub fn answer(&mut self, question_id: &str, value: Value) -> &mut Recorder {
        self.record(EventKind::Answered {
            question_id: question_id.to_owned(),
            value,
        })
    }

    pub fn events(&self) -> Vec<Event> {
        self.session.events().to_vec()
    }
}

pub fn consent(by: Consenter, decision: Decision) -> EventKind {
    EventKind::ConsentRecorded {
        by,
        decision,
        audio_recording: false,
    }
}

pub fn stopped(reason: StopReason) -> EventKind {
    EventKind::Stopped { reason }
}

pub fn note(text: &str) -> EventKind {
    EventKind::NoteAdded {
        text: text.to_owned(),
    }
}

pub fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

pub fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}
