//! The interview as plain data: what the screen shows for the engine's next
//! [`Step`], and which [`Action`]s a person may take. Each action becomes
//! one or more [`EventKind`]s recorded through the [`Session`] and handed,
//! event by event, to a store (the vault) before the model moves on, so the
//! screen never shows a step the vault has not kept.

use std::sync::Arc;

use fieldkit_protocols::anonymise::anonymise;
use fieldkit_protocols::engine::{
    Consenter, Decision, Event, EventKind, OthersPresent, Refusal, Session, SessionKind,
    SessionStart, Sex, SkipReason, Status, Step, StopReason,
};
use fieldkit_protocols::model::{Protocol, Question, QuestionKind};
use fieldkit_protocols::refnum::RefNumber;
use fieldkit_protocols::wire::RecordEnvelope;
use fieldkit_protocols::Value;
use time::OffsetDateTime;
use uuid::Uuid;

/// What a person can do on the interview screens.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    IntroductionGiven,
    DataUseExplained,
    Consent {
        by: Consenter,
        decision: Decision,
        audio: bool,
    },
    /// Focus groups: the next participant joins under the next free code.
    AddParticipant {
        age: Option<u8>,
    },
    Screen {
        item_id: String,
        positive: bool,
    },
    RapportConfirmed,
    /// Entering the sensitive section is a screen, not an event.
    Answer {
        question_id: String,
        value: Value,
    },
    Skip {
        question_id: String,
        reason: SkipReason,
    },
    Amend {
        question_id: String,
        value: Value,
        reason: String,
    },
    OthersPresent(OthersPresent),
    Note(String),
    Tally {
        tally_id: String,
        sex: Sex,
        age_group: String,
        delta: i32,
    },
    Indicator {
        indicator_id: String,
        observed: bool,
    },
    /// Declines every remaining sensitive question at once (R6).
    SkipSensitiveSection,
    Stop(StopReason),
    Complete,
}

/// Why an action did not happen. Nothing changed in the session or the vault.
#[derive(Clone, Debug, PartialEq)]
pub enum ActionError {
    /// The engine would not allow it; `message` names the rule.
    Refused(Refusal),
    /// The vault did not keep the event.
    NotStored(String),
}

/// Who starts a session and with whom.
#[derive(Clone, Debug, PartialEq)]
pub struct StartForm {
    pub respondent: RefNumber,
    pub respondent_age: Option<u8>,
    /// The language the interview runs in, one of the protocol's (R14).
    pub language: String,
    pub interviewer: String,
    pub interviewer_languages: Vec<String>,
    pub kind: SessionKind,
    pub site_type: Option<String>,
    /// Validation sessions: the pinned findings pack shown (issue 22).
    pub findings_pack: Option<fieldkit_protocols::ContentHash>,
}

/// A running session with what the screens need besides the engine.
#[derive(Clone, Debug)]
pub struct Interview {
    pub session_id: Uuid,
    session: Session,
    interviewer: String,
}

impl PartialEq for Interview {
    fn eq(&self, other: &Self) -> bool {
        self.session_id == other.session_id && self.session == other.session
    }
}

impl Interview {
    /// Starts a session: records `SessionStarted` and stores it.
    pub fn start<E: ToString>(
        protocol: Arc<Protocol>,
        form: StartForm,
        at: OffsetDateTime,
        store: impl FnMut(Uuid, &Event) -> Result<(), E>,
    ) -> Result<Interview, ActionError> {
        let start = SessionStart {
            session_id: Uuid::new_v4(),
            protocol_id: protocol.id.clone(),
            protocol_version: protocol.version,
            protocol_hash: protocol.content_hash(),
            language: form.language,
            interviewer_languages: form.interviewer_languages,
            kind: form.kind,
            respondent: form.respondent.to_string(),
            respondent_age: form.respondent_age,
            linked_child: None,
            site_type: form.site_type,
            weekday: None,
            findings_pack: form.findings_pack,
        };
        let mut interview = Interview {
            session_id: start.session_id,
            session: Session::new(protocol),
            interviewer: form.interviewer,
        };
        interview.record(vec![EventKind::SessionStarted(start)], at, store)?;
        Ok(interview)
    }

    /// Picks up a draft from its stored events.
    pub fn resume(
        protocol: Arc<Protocol>,
        session_id: Uuid,
        events: Vec<Event>,
        interviewer: String,
    ) -> Result<Interview, ActionError> {
        let session =
            Session::replay(protocol, events).map_err(|e| ActionError::Refused(e.refusal))?;
        Ok(Interview {
            session_id,
            session,
            interviewer,
        })
    }

    pub fn session(&self) -> &Session {
        &self.session
    }

    pub fn protocol(&self) -> &Protocol {
        self.session.protocol()
    }

    /// The language protocol texts are shown in.
    pub fn language(&self) -> &str {
        self.session.language()
    }

    pub fn respondent(&self) -> Option<RefNumber> {
        self.session
            .start()
            .and_then(|s| RefNumber::parse(&s.respondent).ok())
    }

    pub fn is_over(&self) -> bool {
        matches!(
            self.session.status(),
            Status::Completed | Status::Stopped(_)
        )
    }

    /// Applies `action`: the engine checks it, the store keeps each event,
    /// and only then does the model move on. Follow-ups the engine requires
    /// are recorded with it: a positive screen or a refused consent stops the
    /// session, so the next screen is the referral or the end.
    pub fn act<E: ToString>(
        &mut self,
        action: Action,
        at: OffsetDateTime,
        store: impl FnMut(Uuid, &Event) -> Result<(), E>,
    ) -> Result<(), ActionError> {
        let kinds = match action {
            Action::IntroductionGiven => vec![EventKind::IntroductionGiven],
            Action::DataUseExplained => vec![EventKind::DataUseExplained {
                statement_hash: self.protocol().data_use_hash(),
            }],
            Action::Consent {
                by,
                decision,
                audio,
            } => {
                let individual = matches!(
                    by,
                    Consenter::Respondent | Consenter::Guardian | Consenter::TrustedAdult
                );
                let mut kinds = vec![EventKind::ConsentRecorded {
                    by,
                    decision,
                    audio_recording: audio && decision == Decision::Given,
                }];
                if individual && decision == Decision::Refused {
                    kinds.push(EventKind::Stopped {
                        reason: StopReason::Refused,
                    });
                }
                kinds
            }
            Action::AddParticipant { age } => vec![EventKind::ParticipantAdded {
                code: self.next_participant_code(),
                age,
            }],
            Action::Screen { item_id, positive } => {
                let mut kinds = vec![EventKind::ScreeningAnswered { item_id, positive }];
                if positive {
                    kinds.push(EventKind::Stopped {
                        reason: StopReason::ScreeningPositive,
                    });
                }
                kinds
            }
            Action::RapportConfirmed => vec![EventKind::RapportConfirmed],
            Action::Answer { question_id, value } => {
                vec![EventKind::Answered { question_id, value }]
            }
            Action::Skip {
                question_id,
                reason,
            } => vec![EventKind::Skipped {
                question_id,
                reason,
            }],
            Action::Amend {
                question_id,
                value,
                reason,
            } => vec![EventKind::Amended {
                question_id,
                value,
                reason,
            }],
            Action::OthersPresent(present) => vec![EventKind::OthersPresentChanged { present }],
            Action::Note(text) => vec![EventKind::NoteAdded { text }],
            Action::Tally {
                tally_id,
                sex,
                age_group,
                delta,
            } => vec![EventKind::Tallied {
                tally_id,
                sex,
                age_group,
                delta,
            }],
            Action::Indicator {
                indicator_id,
                observed,
            } => vec![EventKind::IndicatorChecked {
                indicator_id,
                observed,
            }],
            Action::SkipSensitiveSection => self.sensitive_skips(at),
            Action::Stop(reason) => vec![EventKind::Stopped { reason }],
            Action::Complete => vec![EventKind::Completed],
        };
        self.record(kinds, at, store)
    }

    /// Records the events on a copy first: if the engine refuses one or the
    /// store fails, the interview stays exactly as it was.
    fn record<E: ToString>(
        &mut self,
        kinds: Vec<EventKind>,
        at: OffsetDateTime,
        mut store: impl FnMut(Uuid, &Event) -> Result<(), E>,
    ) -> Result<(), ActionError> {
        let mut next = self.session.clone();
        let first_new = next.events().len();
        // The device clock may lag a stored event after a restart; never go back.
        let last = next.events().last().map(|e| e.at);
        let at = last.map_or(at, |last| at.max(last));
        for kind in kinds {
            next.record(kind, at).map_err(ActionError::Refused)?;
        }
        for event in &next.events()[first_new..] {
            store(self.session_id, event).map_err(|e| ActionError::NotStored(e.to_string()))?;
        }
        self.session = next;
        Ok(())
    }

    /// A skip for each sensitive question still to come, in asking order.
    /// Worked out on a copy because skip logic may change what comes next.
    fn sensitive_skips(&self, at: OffsetDateTime) -> Vec<EventKind> {
        let mut probe = self.session.clone();
        let at = probe.events().last().map_or(at, |e| at.max(e.at));
        let mut kinds = Vec::new();
        loop {
            let id = match probe.next() {
                Step::SensitiveSection { first_question_id } => first_question_id,
                Step::Question { question_id }
                    if self.question(&question_id).is_some_and(|q| q.sensitive) =>
                {
                    question_id
                }
                _ => return kinds,
            };
            let kind = EventKind::Skipped {
                question_id: id,
                reason: SkipReason::DeclinedToAnswer,
            };
            if probe.record(kind.clone(), at).is_err() {
                return kinds;
            }
            kinds.push(kind);
        }
    }

    /// The focus-group code the next participant gets: prefix plus number.
    pub fn next_participant_code(&self) -> String {
        let prefix = self
            .protocol()
            .focus_group
            .as_ref()
            .map_or("P", |g| g.code_prefix.as_str());
        format!("{prefix}{}", self.session.roster().len() + 1)
    }

    /// The introduction script with the interviewer's name and organisation (R11).
    pub fn introduction(&self) -> String {
        let intro = &self.protocol().introduction;
        intro
            .script
            .show(self.language())
            .replace("{interviewer}", &self.interviewer)
            .replace("{organisation}", &intro.organisation)
    }

    pub fn question(&self, id: &str) -> Option<&Question> {
        self.protocol().question(id)
    }

    /// Answers given so far, in asking order, for the "correct an answer" list.
    pub fn answered(&self) -> Vec<(&Question, &Value)> {
        let answers = self.session.answers();
        self.protocol()
            .questions()
            .filter_map(|q| answers.get(&q.id).map(|v| (q, v)))
            .collect()
    }

    /// Shows `value` as the person chose it, in the session language.
    pub fn describe(&self, question: &Question, value: &Value) -> String {
        fieldkit_protocols::piping::display(question, value, self.language())
    }

    /// A text in the session language, with earlier answers piped in.
    pub fn show(&self, text: &fieldkit_protocols::Text) -> String {
        self.session.show(text)
    }

    /// The record that leaves the phone: anonymised (with the respondent's
    /// identity strings scrubbed from free text, R21) and sealed.
    pub fn seal(&self, identity: &[String], device_id: Uuid) -> RecordEnvelope {
        let protocol = self.protocol();
        let anonymised = anonymise(protocol, self.session.events(), identity);
        RecordEnvelope::seal(Uuid::new_v4(), device_id, protocol, anonymised)
    }

    /// The engine's next step.
    pub fn step(&self) -> Step {
        self.session.next()
    }
}

/// Why a typed answer is not a value yet (before the engine sees it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputProblem {
    Empty,
    NotWholeNumber,
    NotNumber,
    NotLocation,
}

/// Turns what the answer widgets hold into a [`Value`] of the question's
/// kind. `parts` is the typed text, or the chosen values in order.
pub fn parse_input(kind: QuestionKind, parts: &[String]) -> Result<Value, InputProblem> {
    let first = parts.first().map(|s| s.trim()).unwrap_or("");
    let needs_one = |v: Value| {
        if first.is_empty() {
            Err(InputProblem::Empty)
        } else {
            Ok(v)
        }
    };
    match kind {
        QuestionKind::Integer => {
            needs_one(Value::Integer(0))?;
            first
                .parse()
                .map(Value::Integer)
                .map_err(|_| InputProblem::NotWholeNumber)
        }
        QuestionKind::Tally => {
            needs_one(Value::Count(0))?;
            first
                .parse()
                .map(Value::Count)
                .map_err(|_| InputProblem::NotWholeNumber)
        }
        QuestionKind::Decimal => {
            needs_one(Value::Decimal(0.0))?;
            first
                .replace(',', ".")
                .parse()
                .map(Value::Decimal)
                .map_err(|_| InputProblem::NotNumber)
        }
        QuestionKind::YesNo => needs_one(Value::Bool(first == "yes")),
        QuestionKind::Text | QuestionKind::PictureCard => needs_one(Value::Text(first.to_owned())),
        QuestionKind::Date => needs_one(Value::Date(first.to_owned())),
        QuestionKind::Time => needs_one(Value::Time(first.to_owned())),
        QuestionKind::SingleChoice => needs_one(Value::Choice(first.to_owned())),
        QuestionKind::MultipleChoice | QuestionKind::Ranking => {
            if parts.is_empty() {
                return Err(InputProblem::Empty);
            }
            let values = parts.to_vec();
            Ok(if kind == QuestionKind::Ranking {
                Value::Ranking(values)
            } else {
                Value::Choices(values)
            })
        }
        QuestionKind::CoarseLocation => {
            needs_one(Value::Count(0))?;
            let (lat, lon) = first.split_once(',').ok_or(InputProblem::NotLocation)?;
            match (lat.trim().parse(), lon.trim().parse()) {
                (Ok(lat), Ok(lon)) => Ok(Value::Location { lat, lon }),
                _ => Err(InputProblem::NotLocation),
            }
        }
    }
}

#[cfg(test)]
#[path = "model_tests.rs"]
mod tests;
