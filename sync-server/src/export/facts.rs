//! What one stored session says, read once from its event log: process facts
//! for supervisors (consent, stops, rapport, amendments, others present,
//! language) and answers for analysts. Shared by exports and pages.

use std::collections::HashMap;

use fieldkit_protocols::engine::{
    Decision, EventKind, OthersPresent, SessionKind, SkipReason, StopReason,
};
use fieldkit_protocols::model::Weekday;
use fieldkit_protocols::wire::RecordEnvelope;
use fieldkit_protocols::{Protocol, Value};
use time::OffsetDateTime;

/// One answer slot as the session left it.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Given(Value),
    Skipped(SkipReason),
    /// Removed on the device because it identifies someone (R21).
    Withheld,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SessionFacts {
    pub envelope: RecordEnvelope,
    pub started: OffsetDateTime,
    pub language: String,
    pub interviewer_languages: Vec<String>,
    pub kind: SessionKind,
    pub respondent_age: Option<u8>,
    pub linked_child: Option<String>,
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
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("stored record is unreadable ({0}); the database may be damaged, restore it from a backup")]
pub struct UnreadableRecord(String);

/// Reads a stored envelope's JSON into its facts.
pub fn read_facts(json: &str, index: &QuestionIndex<'_>) -> Result<SessionFacts, UnreadableRecord> {
    let mut envelope: RecordEnvelope =
        serde_json::from_str(json).map_err(|e| UnreadableRecord(e.to_string()))?;
    // Moved out and back, not cloned: a million-record export would
    // otherwise copy every event log once more.
    let events = std::mem::take(&mut envelope.events);
    let Some((first, EventKind::SessionStarted(start))) = events.first().map(|e| (e, &e.kind))
    else {
        return Err(UnreadableRecord(format!(
            "record {} does not begin with SessionStarted",
            envelope.record_id
        )));
    };
    let mut facts = SessionFacts {
        started: first.at,
        language: start.language.clone(),
        interviewer_languages: start.interviewer_languages.clone(),
        kind: start.kind,
        respondent_age: start.respondent_age,
        linked_child: start.linked_child.clone(),
        weekday: start.weekday,
        consents_given: 0,
        consents_refused: 0,
        stop: None,
        completed: false,
        rapport: false,
        amendments: Vec::new(),
        others_present: Vec::new(),
        answers: vec![None; index.len],
        envelope,
    };
    for event in &events {
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
                if *present != OthersPresent::None && !facts.others_present.contains(present) =>
            {
                facts.others_present.push(*present);
            }
            EventKind::Stopped { reason } => facts.stop = Some(*reason),
            EventKind::Completed => facts.completed = true,
            _ => {}
        }
    }
    facts.envelope.events = events;
    Ok(facts)
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
