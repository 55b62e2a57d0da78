//! The session: a fold over its events. `apply` first checks an event
//! against the state (`gate.rs`, `questions.rs`), then folds it in here; the
//! fold cannot fail, so a refused event leaves the session exactly as it was.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::events::{
    Consenter, Decision, Event, EventKind, OthersPresent, SessionStart, Sex, SkipReason, StopReason,
};
use super::questions::Expressions;
use super::refusal::{Refusal, ReplayError};
use crate::model::{Method, Protocol, Respondents};
use crate::value::Value;

/// One session of one protocol version, as the phone runs it and the server
/// replays it. Holds the applied events and the state folded from them.
#[derive(Debug, Clone)]
pub struct Session {
    pub(super) protocol: Arc<Protocol>,
    pub(super) exprs: Arc<Expressions>,
    pub(super) events: Vec<Event>,
    pub(super) state: State,
}

/// Where a session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// No `SessionStarted` yet.
    #[default]
    NotStarted,
    InProgress,
    Stopped(StopReason),
    Completed,
}

/// A focus-group participant, known by code only (R21).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    pub code: String,
    pub age: Option<u8>,
    /// The participant's own assent, once asked.
    pub assent: Option<Decision>,
    /// Their guardian's consent, once asked.
    pub guardian: Option<Decision>,
    /// Whether a guardian's consent is needed: age unknown or under the
    /// protocol's guardian age (R2).
    pub guardian_needed: bool,
}

impl Participant {
    /// Part of the group: assented, and a guardian consented where needed.
    pub fn takes_part(&self) -> bool {
        self.assent == Some(Decision::Given)
            && (!self.guardian_needed || self.guardian == Some(Decision::Given))
    }

    /// Said no, or their guardian did: not part of the group, not asked again.
    pub fn declined(&self) -> bool {
        self.assent == Some(Decision::Refused) || self.guardian == Some(Decision::Refused)
    }
}

/// One recorded consent decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentEntry {
    pub by: Consenter,
    pub decision: Decision,
    pub audio_recording: bool,
}

/// A logged correction of a mis-tap (R7), kept for supervisors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Amendment {
    /// The `seq` of the `Amended` event.
    pub seq: u64,
    pub question_id: String,
    pub previous: Value,
    pub value: Value,
    pub reason: String,
}

/// One running total on an observation sheet.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TallyKey {
    pub tally_id: String,
    pub sex: Sex,
    pub age_group: String,
}

/// Everything folded from the events so far. Two sessions with equal states
/// answer every question about the session the same way.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct State {
    pub start: Option<SessionStart>,
    pub status: Status,
    pub last_at: Option<OffsetDateTime>,
    pub introduced: bool,
    pub data_use_explained: bool,
    pub consents: Vec<ConsentEntry>,
    /// An individual session's consent was refused: it must stop.
    pub consent_refused: bool,
    /// In the order participants joined.
    pub roster: Vec<Participant>,
    /// The current screening round: reopened (emptied) when someone joins
    /// after it began, because it screened the people present then (R5).
    pub screening: BTreeMap<String, bool>,
    /// How many times someone joining reopened the screening.
    pub screenings_reopened: u32,
    pub rapport: bool,
    /// Rapport was confirmed, then someone joined: it must be confirmed
    /// again before the next sensitive question (R6).
    pub rapport_lapsed: bool,
    /// The youngest age any age question recorded, answers and amendments
    /// alike (R2): a child stays a child whatever the start said.
    pub youngest_answered_age: Option<i64>,
    pub answers: BTreeMap<String, Value>,
    pub amendments: Vec<Amendment>,
    pub skipped: BTreeMap<String, SkipReason>,
    pub withheld: BTreeSet<String>,
    pub others_present: OthersPresent,
    /// Anyone other than nobody seen while questions were under way (R8).
    pub others_during_questions: BTreeSet<OthersPresent>,
    pub notes: usize,
    pub tallies: BTreeMap<TallyKey, i64>,
    pub indicators: BTreeMap<String, bool>,
}

impl State {
    fn empty() -> State {
        State {
            start: None,
            status: Status::NotStarted,
            last_at: None,
            introduced: false,
            data_use_explained: false,
            consents: Vec::new(),
            consent_refused: false,
            roster: Vec::new(),
            screening: BTreeMap::new(),
            screenings_reopened: 0,
            rapport: false,
            rapport_lapsed: false,
            youngest_answered_age: None,
            answers: BTreeMap::new(),
            amendments: Vec::new(),
            skipped: BTreeMap::new(),
            withheld: BTreeSet::new(),
            others_present: OthersPresent::None,
            others_during_questions: BTreeSet::new(),
            notes: 0,
            tallies: BTreeMap::new(),
            indicators: BTreeMap::new(),
        }
    }

    /// Answered, skipped or withheld: asked once, never again (R7).
    pub fn was_asked(&self, question_id: &str) -> bool {
        self.answers.contains_key(question_id)
            || self.skipped.contains_key(question_id)
            || self.withheld.contains(question_id)
    }

    fn questions_started(&self) -> bool {
        !self.answers.is_empty() || !self.skipped.is_empty() || !self.withheld.is_empty()
    }

    fn note_presence(&mut self) {
        if self.others_present != OthersPresent::None {
            self.others_during_questions.insert(self.others_present);
        }
    }

    /// Someone joined (a person present, a late participant): the screening
    /// and the rapport were judged without them, so both start again.
    fn someone_joined(&mut self) {
        if !self.screening.is_empty() {
            self.screening.clear();
            self.screenings_reopened += 1;
        }
        if self.rapport {
            self.rapport = false;
            self.rapport_lapsed = true;
        }
    }
}

/// Equal when the same protocol version ran through the same events.
impl PartialEq for Session {
    fn eq(&self, other: &Session) -> bool {
        self.exprs.content_hash == other.exprs.content_hash
            && self.events == other.events
            && self.state == other.state
    }
}

impl Session {
    /// A session that expects `SessionStarted` (seq 0) first.
    pub fn new(protocol: Arc<Protocol>) -> Session {
        let exprs = Arc::new(Expressions::compile(&protocol));
        Session {
            protocol,
            exprs,
            events: Vec::new(),
            state: State::empty(),
        }
    }

    /// Applies one event. On a refusal nothing changes.
    pub fn apply(&mut self, event: Event) -> Result<(), Refusal> {
        self.check(&event)?;
        self.fold(&event);
        self.events.push(event);
        Ok(())
    }

    /// Rebuilds a session from a stored or submitted log, refusing the first
    /// event the engine would not have allowed.
    pub fn replay(
        protocol: Arc<Protocol>,
        events: impl IntoIterator<Item = Event>,
    ) -> Result<Session, ReplayError> {
        let mut session = Session::new(protocol);
        for (index, event) in events.into_iter().enumerate() {
            let seq = event.seq;
            session.apply(event).map_err(|refusal| ReplayError {
                index,
                seq,
                refusal,
            })?;
        }
        Ok(session)
    }

    /// Builds the next event (next `seq`, the given device time) and applies it.
    pub fn record(&mut self, kind: EventKind, at: OffsetDateTime) -> Result<&Event, Refusal> {
        let seq = self.events.len() as u64;
        self.apply(Event { seq, at, kind })?;
        Ok(self.events.last().expect("the event was just applied"))
    }

    pub fn events(&self) -> &[Event] {
        &self.events
    }

    pub fn status(&self) -> Status {
        self.state.status
    }

    pub fn start(&self) -> Option<&SessionStart> {
        self.state.start.as_ref()
    }

    pub fn protocol(&self) -> &Arc<Protocol> {
        &self.protocol
    }

    /// The session language, or the protocol's default before the start.
    pub fn language(&self) -> &str {
        self.state
            .start
            .as_ref()
            .map_or_else(|| self.protocol.default_language(), |s| s.language.as_str())
    }

    /// Current answers, after amendments; withheld answers are absent.
    pub fn answers(&self) -> &BTreeMap<String, Value> {
        &self.state.answers
    }

    pub fn amendments(&self) -> &[Amendment] {
        &self.state.amendments
    }

    pub fn skipped(&self) -> &BTreeMap<String, SkipReason> {
        &self.state.skipped
    }

    /// Questions whose identifying answers were removed before sync (R21).
    pub fn withheld(&self) -> &BTreeSet<String> {
        &self.state.withheld
    }

    pub fn others_present(&self) -> OthersPresent {
        self.state.others_present
    }

    pub fn consents(&self) -> &[ConsentEntry] {
        &self.state.consents
    }

    /// Screening items answered so far, `true` = positive.
    pub fn screening(&self) -> &BTreeMap<String, bool> {
        &self.state.screening
    }

    pub fn screened_positive(&self) -> bool {
        self.state.screening.values().any(|&positive| positive)
    }

    pub fn rapport_confirmed(&self) -> bool {
        self.state.rapport
    }

    /// Someone joined after the screening began, so it is being asked again
    /// (R5); the screen says why.
    pub fn screening_reopened(&self) -> bool {
        self.state.screenings_reopened > 0
    }

    /// Rapport was confirmed, then someone joined: confirm it again (R6).
    pub fn rapport_lapsed(&self) -> bool {
        self.state.rapport_lapsed && !self.state.rapport
    }

    /// Focus groups: participants in the order they joined.
    pub fn roster(&self) -> &[Participant] {
        &self.state.roster
    }

    /// Focus groups: how many participants are part of the group.
    pub fn taking_part(&self) -> usize {
        self.state.roster.iter().filter(|p| p.takes_part()).count()
    }

    /// Observation sheets: running totals by tally, sex and age group.
    pub fn tallies(&self) -> &BTreeMap<TallyKey, i64> {
        &self.state.tallies
    }

    /// Observation sheets: each indicator's latest check.
    pub fn indicators(&self) -> &BTreeMap<String, bool> {
        &self.state.indicators
    }

    pub fn notes_count(&self) -> usize {
        self.state.notes
    }

    /// An observation sheet of a public place: no consent, no questions to
    /// a person. Declaring `nobody` on any other method does not make it one.
    pub(super) fn observing(&self) -> bool {
        self.protocol.method == Method::DirectObservation
            && self.protocol.respondents() == Respondents::Nobody
    }

    fn fold(&mut self, event: &Event) {
        let state = &mut self.state;
        state.last_at = Some(event.at);
        match &event.kind {
            EventKind::SessionStarted(start) => {
                state.start = Some(start.clone());
                state.status = Status::InProgress;
            }
            EventKind::IntroductionGiven => state.introduced = true,
            EventKind::DataUseExplained { .. } => state.data_use_explained = true,
            EventKind::ConsentRecorded {
                by,
                decision,
                audio_recording,
            } => {
                match by {
                    Consenter::Participant(code) => {
                        if let Some(p) = state.roster.iter_mut().find(|p| &p.code == code) {
                            p.assent = Some(*decision);
                        }
                    }
                    Consenter::ParticipantGuardian(code) => {
                        if let Some(p) = state.roster.iter_mut().find(|p| &p.code == code) {
                            p.guardian = Some(*decision);
                        }
                    }
                    _ => state.consent_refused |= *decision == Decision::Refused,
                }
                state.consents.push(ConsentEntry {
                    by: by.clone(),
                    decision: *decision,
                    audio_recording: *audio_recording,
                });
            }
            EventKind::ParticipantAdded { code, age } => {
                let guardian_needed =
                    self.guardian_needed(*age) || self.answered_under_guardian_age();
                self.state.roster.push(Participant {
                    code: code.clone(),
                    age: *age,
                    assent: None,
                    guardian: None,
                    guardian_needed,
                });
                self.state.someone_joined();
            }
            EventKind::ScreeningAnswered { item_id, positive } => {
                state.screening.insert(item_id.clone(), *positive);
            }
            EventKind::RapportConfirmed => state.rapport = true,
            EventKind::Answered { question_id, value } => {
                state.answers.insert(question_id.clone(), value.clone());
                state.note_presence();
                self.note_age(question_id, value);
            }
            EventKind::Amended {
                question_id,
                value,
                reason,
            } => {
                let previous = state
                    .answers
                    .insert(question_id.clone(), value.clone())
                    .expect("the gate only lets answered questions be amended");
                state.amendments.push(Amendment {
                    seq: event.seq,
                    question_id: question_id.clone(),
                    previous,
                    value: value.clone(),
                    reason: reason.clone(),
                });
                state.note_presence();
                self.note_age(question_id, value);
            }
            EventKind::Skipped {
                question_id,
                reason,
            } => {
                state.skipped.insert(question_id.clone(), *reason);
                state.note_presence();
            }
            EventKind::AnswerWithheld { question_id } => {
                state.answers.remove(question_id);
                state.withheld.insert(question_id.clone());
                state.note_presence();
            }
            EventKind::OthersPresentChanged { present } => {
                let arrived = *present != OthersPresent::None && *present != state.others_present;
                state.others_present = *present;
                if state.questions_started() {
                    state.note_presence();
                }
                if arrived {
                    state.someone_joined();
                }
            }
            EventKind::NoteAdded { .. } => state.notes += 1,
            EventKind::Tallied {
                tally_id,
                sex,
                age_group,
                delta,
            } => {
                let key = TallyKey {
                    tally_id: tally_id.clone(),
                    sex: *sex,
                    age_group: age_group.clone(),
                };
                *state.tallies.entry(key).or_insert(0) += i64::from(*delta);
            }
            EventKind::IndicatorChecked {
                indicator_id,
                observed,
            } => {
                state.indicators.insert(indicator_id.clone(), *observed);
            }
            EventKind::Stopped { reason } => state.status = Status::Stopped(*reason),
            EventKind::Completed => state.status = Status::Completed,
        }
    }

    /// Keeps the youngest age an age question recorded; once it is under
    /// the guardian age, every participant needs a guardian's consent (R2).
    fn note_age(&mut self, question_id: &str, value: &Value) {
        let Some(age) = self.recorded_age(question_id, value) else {
            return;
        };
        let youngest = &mut self.state.youngest_answered_age;
        *youngest = Some(youngest.map_or(age, |y| y.min(age)));
        if self.answered_under_guardian_age() {
            for participant in &mut self.state.roster {
                participant.guardian_needed = true;
            }
        }
    }
}
