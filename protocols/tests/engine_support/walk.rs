//! A random but legal session: follows `next()` and picks among the valid
//! moves with dice from proptest, adding others-present changes, notes,
//! amendments, skips and stops along the way.

use std::sync::Arc;

use fieldkit_protocols::engine::{
    Consenter, Decision, EventKind, OthersPresent, Session, Sex, SkipReason, Status, Step,
    StopReason,
};
use fieldkit_protocols::{Protocol, Question, QuestionKind, Value};

use super::at;

/// Rolls taken from a proptest-generated list. Once they run out every roll
/// is the highest, so no more detours are taken and the walk winds down.
pub struct Dice {
    rolls: Vec<u32>,
    next: usize,
}

impl Dice {
    pub fn new(rolls: Vec<u32>) -> Dice {
        Dice { rolls, next: 0 }
    }

    /// A number in `0..n`.
    pub fn roll(&mut self, n: usize) -> usize {
        let n = n.max(1);
        let value = self.rolls.get(self.next).map_or(n - 1, |v| *v as usize % n);
        self.next += 1;
        value
    }

    pub fn exhausted(&self) -> bool {
        self.next >= self.rolls.len()
    }

    pub fn chance(&mut self, percent: usize) -> bool {
        self.roll(100) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.roll(items.len())]
    }
}

/// Which detours the walk may take.
#[derive(Debug, Clone, Copy)]
pub struct Detours {
    /// Stop the session at a random moment (withdrew, safety, ended).
    pub stops: bool,
    /// Refuse a consent now and then.
    pub refusals: bool,
    /// Screen positive now and then.
    pub positive_screens: bool,
    /// Skip questions now and then; sensitive ones only if `skip_sensitive`.
    pub skips: bool,
    pub skip_sensitive: bool,
}

impl Detours {
    pub const ANY: Detours = Detours {
        stops: true,
        refusals: true,
        positive_screens: true,
        skips: true,
        skip_sensitive: true,
    };
    /// Runs to `Completed`, answering every sensitive question.
    pub const COMPLETE: Detours = Detours {
        stops: false,
        refusals: false,
        positive_screens: false,
        skips: true,
        skip_sensitive: false,
    };
}

/// A value the question accepts; the fixtures' integer constraints all allow 5..=17.
pub fn valid_value(question: &Question, dice: &mut Dice) -> Value {
    let choices: Vec<String> = question.choices.iter().map(|c| c.value.clone()).collect();
    value_among(question, choices, dice)
}

/// A value the question accepts now: its choices are those the session
/// offers (a cascading select's filter), or `None` when a single or ranked
/// choice has nothing to offer and can only be skipped.
pub fn offered_value(session: &Session, question: &Question, dice: &mut Dice) -> Option<Value> {
    let mut offered: Vec<String> = Vec::new();
    for choice in session.offered_choices(&question.id) {
        if !offered.contains(&choice.value) {
            offered.push(choice.value.clone());
        }
    }
    let empty = offered.is_empty() && question.kind.needs_choices();
    if empty && question.kind != QuestionKind::MultipleChoice {
        return None;
    }
    Some(value_among(question, offered, dice))
}

fn value_among(question: &Question, choices: Vec<String>, dice: &mut Dice) -> Value {
    match question.kind {
        QuestionKind::YesNo => Value::Bool(dice.chance(50)),
        QuestionKind::Integer => Value::Integer(5 + dice.roll(13) as i64),
        QuestionKind::Decimal => Value::Decimal(dice.roll(100) as f64 / 4.0),
        QuestionKind::SingleChoice => Value::Choice(dice.pick(&choices).clone()),
        QuestionKind::MultipleChoice => Value::Choices(
            choices
                .iter()
                .filter(|_| dice.chance(50))
                .cloned()
                .collect(),
        ),
        QuestionKind::Ranking => {
            let mut rest = choices;
            let mut ranked = Vec::new();
            while !rest.is_empty() {
                let i = dice.roll(rest.len());
                ranked.push(rest.remove(i));
            }
            Value::Ranking(ranked)
        }
        QuestionKind::Text | QuestionKind::PictureCard => Value::Text("a few words".to_owned()),
        QuestionKind::Date => Value::Date("2026-03-06".to_owned()),
        QuestionKind::Time => Value::Time("22:30".to_owned()),
        QuestionKind::CoarseLocation => Value::Location {
            lat: 12.3,
            lon: -1.5,
        },
        QuestionKind::Tally => Value::Count(dice.roll(10) as u32),
    }
}

const PRESENT: [OthersPresent; 6] = [
    OthersPresent::None,
    OthersPresent::Parent,
    OthersPresent::Employer,
    OthersPresent::Peer,
    OthersPresent::Official,
    OthersPresent::Other,
];

/// Walks one session from `start`. Every event the walk records must be
/// accepted; the error names the first that was not.
pub fn walk(
    protocol: &Arc<Protocol>,
    start: EventKind,
    dice: &mut Dice,
    detours: Detours,
) -> Result<Session, String> {
    let mut session = Session::new(protocol.clone());
    let record = |session: &mut Session, kind: EventKind| -> Result<(), String> {
        let n = session.events().len() as u64;
        let shown = format!("{kind:?}");
        session
            .record(kind, at(n))
            .map(|_| ())
            .map_err(|refusal| format!("event {n} {shown} was refused: {refusal}"))
    };
    record(&mut session, start)?;
    for _ in 0..2000 {
        if session.status() != Status::InProgress {
            return Ok(session);
        }
        let step = session.next();
        let may_interject = !matches!(step, Step::Referral | Step::Finished);
        let consented = matches!(
            step,
            Step::Screening { .. }
                | Step::Question { .. }
                | Step::RapportCheckpoint
                | Step::SensitiveSection { .. }
                | Step::Closing
                | Step::Observation
        );
        if may_interject && dice.chance(8) {
            let present = *dice.pick(&PRESENT);
            record(&mut session, EventKind::OthersPresentChanged { present })?;
            continue;
        }
        if may_interject && detours.stops && dice.chance(3) {
            let reason = *dice.pick(&[
                StopReason::Withdrew,
                StopReason::Safety,
                StopReason::InterviewerEnded,
            ]);
            record(&mut session, EventKind::Stopped { reason })?;
            continue;
        }
        if consented && dice.chance(5) {
            let text = "the child laughed".to_owned();
            record(&mut session, EventKind::NoteAdded { text })?;
            continue;
        }
        let answered: Vec<String> = session.answers().keys().cloned().collect();
        // Amendments wait like answers for a screening reopened by someone joining.
        let screening = matches!(step, Step::Screening { .. });
        if consented && !screening && !answered.is_empty() && dice.chance(6) {
            let question_id = dice.pick(&answered).clone();
            let question = protocol
                .question(&question_id)
                .expect("answered questions exist");
            let Some(value) = offered_value(&session, question, dice) else {
                continue;
            };
            let reason = "mis-tap".to_owned();
            record(
                &mut session,
                EventKind::Amended {
                    question_id,
                    value,
                    reason,
                },
            )?;
            continue;
        }
        let kind = match step {
            Step::Introduction => EventKind::IntroductionGiven,
            Step::DataUse => EventKind::DataUseExplained {
                statement_hash: protocol.data_use_hash(),
            },
            Step::Consent { from } => {
                let decision = if detours.refusals && dice.chance(6) {
                    Decision::Refused
                } else {
                    Decision::Given
                };
                let by = match from {
                    Consenter::Guardian if dice.chance(30) => Consenter::TrustedAdult,
                    other => other,
                };
                EventKind::ConsentRecorded {
                    by,
                    decision,
                    audio_recording: false,
                }
            }
            Step::Roster => {
                let code = format!("P{}", session.roster().len() + 1);
                let age = *dice.pick(&[None, Some(9), Some(15), Some(17)]);
                EventKind::ParticipantAdded { code, age }
            }
            Step::Screening { item_id } => EventKind::ScreeningAnswered {
                item_id,
                positive: detours.positive_screens && dice.chance(8),
            },
            Step::Question { question_id }
            | Step::SensitiveSection {
                first_question_id: question_id,
            } => {
                let question = protocol
                    .question(&question_id)
                    .expect("next() names known questions");
                let may_skip = detours.skips && (detours.skip_sensitive || !question.sensitive);
                // A cascading select with nothing to offer can only be skipped.
                match offered_value(&session, question, dice) {
                    Some(value) if !(may_skip && dice.chance(20)) => {
                        EventKind::Answered { value, question_id }
                    }
                    _ => {
                        let reason = *dice.pick(&[
                            SkipReason::DeclinedToAnswer,
                            SkipReason::InterviewerJudgement,
                            SkipReason::DoesNotKnow,
                        ]);
                        EventKind::Skipped {
                            question_id,
                            reason,
                        }
                    }
                }
            }
            Step::RapportCheckpoint => EventKind::RapportConfirmed,
            Step::Observation => observe(&session, protocol, dice),
            Step::Closing => EventKind::Completed,
            Step::Referral => EventKind::Stopped {
                reason: StopReason::ScreeningPositive,
            },
            Step::Finished => {
                let refused = session
                    .consents()
                    .iter()
                    .any(|c| c.decision == Decision::Refused);
                let reason = if refused {
                    StopReason::Refused
                } else {
                    StopReason::InterviewerEnded
                };
                EventKind::Stopped { reason }
            }
        };
        record(&mut session, kind)?;
    }
    Err("the walk did not end within 2000 steps".to_owned())
}

fn observe(session: &Session, protocol: &Protocol, dice: &mut Dice) -> EventKind {
    let sheet = protocol.observation.as_ref().expect("observation fixture");
    if dice.exhausted() {
        return EventKind::Completed;
    }
    match dice.roll(10) {
        0 => EventKind::Completed,
        1 | 2 => EventKind::IndicatorChecked {
            indicator_id: dice.pick(&sheet.indicators).id.clone(),
            observed: dice.chance(50),
        },
        _ => {
            let tally_id = dice.pick(&sheet.tallies).id.clone();
            let sex = *dice.pick(&[Sex::Female, Sex::Male, Sex::Unknown]);
            let age_group = dice.pick(&sheet.age_groups).clone();
            let total = session
                .tallies()
                .iter()
                .find(|(k, _)| k.tally_id == tally_id && k.sex == sex && k.age_group == age_group)
                .map_or(0, |(_, v)| *v);
            let delta = if total > 0 && dice.chance(20) { -1 } else { 1 };
            EventKind::Tallied {
                tally_id,
                sex,
                age_group,
                delta,
            }
        }
    }
}
