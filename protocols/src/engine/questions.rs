//! Checks for answers, skips, amendments and withheld answers: consent and
//! screening first, then asking-once (R7), rapport (R6), skip logic, and the
//! value against the question's kind, choices and constraint.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use super::events::SessionKind;
use super::refusal::{Refusal, RefusalKind as K};
use super::session::Session;
use crate::expr::{self, Expr};
use crate::hash::ContentHash;
use crate::model::{Protocol, Question};
use crate::rules::Rule;
use crate::value::Value;

/// A protocol's expressions, parsed once per session, and its hashes,
/// computed once. An expression that does not parse keeps its error: the
/// linter rejects such protocols, the engine must still not panic on one.
pub(super) struct Expressions {
    pub content_hash: ContentHash,
    pub data_use_hash: ContentHash,
    relevant: BTreeMap<String, Result<Expr, String>>,
    constraint: BTreeMap<String, Result<Expr, String>>,
    pub choices: super::choices::ChoiceConditions,
    pub calculations: super::calculated::Calculations,
    /// Where each question sits (section, index): the engine looks a
    /// question up on every event, and a scan made replay quadratic.
    positions: HashMap<String, (usize, usize)>,
}

impl fmt::Debug for Expressions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Expressions")
            .field("content_hash", &self.content_hash)
            .field("relevant", &self.relevant.len())
            .field("constraint", &self.constraint.len())
            .field("choices", &self.choices.len())
            .finish()
    }
}

impl Expressions {
    pub fn compile(protocol: &Protocol) -> Expressions {
        let parse = |src: &String| expr::parse(src).map_err(|e| e.to_string());
        let mut relevant = BTreeMap::new();
        let mut constraint = BTreeMap::new();
        for q in protocol.questions() {
            if let Some(src) = &q.relevant {
                relevant.insert(q.id.clone(), parse(src));
            }
            if let Some(src) = &q.constraint {
                constraint.insert(q.id.clone(), parse(src));
            }
        }
        Expressions {
            content_hash: protocol.content_hash(),
            data_use_hash: protocol.data_use_hash(),
            relevant,
            constraint,
            choices: super::choices::compile(protocol),
            calculations: super::calculated::compile(protocol),
            positions: protocol
                .sections
                .iter()
                .enumerate()
                .flat_map(|(s, section)| {
                    section
                        .questions
                        .iter()
                        .enumerate()
                        .map(move |(i, q)| (q.id.clone(), (s, i)))
                })
                .collect(),
        }
    }
}

impl Session {
    /// The protocol's question with this id, found through the index.
    pub(super) fn question(&self, question_id: &str) -> Option<&Question> {
        let &(section, index) = self.exprs.positions.get(question_id)?;
        Some(&self.protocol.sections[section].questions[index])
    }

    /// Whether skip logic asks this question, given the answers so far.
    /// Unknown questions are not relevant. Where the protocol's expression
    /// cannot be judged (it does not parse, or it refers to an answer withheld
    /// before sync) the question counts as relevant: asking is the safe side.
    pub fn is_relevant(&self, question_id: &str) -> bool {
        if self.question(question_id).is_none() {
            return false;
        }
        self.holds_or_unknown(self.exprs.relevant.get(question_id))
    }

    /// Refusals shared by every question event, in the order a person would
    /// want to hear them: consent, screening, visit kind, then the id.
    fn question_for(&self, question_id: &str) -> Result<&Question, Refusal> {
        self.require_consent(&format_args!("question `{question_id}`"))?;
        if !self.screening_complete() {
            return Err(self.screening_missing("the next question"));
        }
        if self.state.start.as_ref().map(|s| s.kind) == Some(SessionKind::RapportOnly) {
            return Err(Refusal::rule(
                Rule::R13,
                K::RapportVisit,
                "a rapport visit asks no questions: come back for a full or follow-up session",
            ));
        }
        let question = self.question(question_id).ok_or_else(|| {
            Refusal::plain(
                K::UnknownQuestion,
                format!(
                    "question `{question_id}` is not in protocol `{}` version {}",
                    self.protocol.id, self.protocol.version
                ),
            )
        })?;
        if question.calculation.is_some() {
            return Err(Refusal::plain(
                K::WrongKind,
                format!("question `{question_id}` is calculated from earlier answers: it is never asked, answered or skipped"),
            ));
        }
        Ok(question)
    }

    fn not_asked_yet(&self, question_id: &str) -> Result<(), Refusal> {
        if self.state.was_asked(question_id) {
            return Err(Refusal::rule(
                Rule::R7,
                K::AlreadyAsked,
                format!("question `{question_id}` was already asked; to correct a mis-tap, amend it with a reason"),
            ));
        }
        Ok(())
    }

    fn rapport_for(&self, question: &Question) -> Result<(), Refusal> {
        if question.sensitive && !self.state.rapport {
            let first = if self.state.rapport_lapsed {
                "someone joined since rapport was confirmed: confirm it again"
            } else {
                "confirm rapport first"
            };
            return Err(Refusal::rule(
                Rule::R6,
                K::RapportMissing,
                format!(
                    "question `{}` is sensitive: {first} (it may always be skipped)",
                    question.id
                ),
            ));
        }
        Ok(())
    }

    /// An age answer in a protocol for adults must be 18 or more (R2).
    fn check_answered_age(&self, question_id: &str, value: &Value) -> Result<(), Refusal> {
        match self.recorded_age(question_id, value) {
            Some(age) => self.check_adult(age, "the age answered"),
            None => Ok(()),
        }
    }

    fn relevant_now(&self, question_id: &str) -> Result<(), Refusal> {
        if !self.is_relevant(question_id) {
            return Err(Refusal::plain(
                K::NotRelevant,
                format!(
                    "skip logic does not ask question `{question_id}` given the answers so far"
                ),
            ));
        }
        Ok(())
    }

    pub(super) fn check_answer(&self, question_id: &str, value: &Value) -> Result<(), Refusal> {
        let question = self.question_for(question_id)?;
        self.not_asked_yet(question_id)?;
        self.rapport_for(question)?;
        self.relevant_now(question_id)?;
        self.check_value(question, value)?;
        self.check_answered_age(question_id, value)
    }

    /// Skipping is always allowed for a relevant question not yet asked,
    /// sensitive ones included, before rapport too (R6).
    pub(super) fn check_skip(&self, question_id: &str) -> Result<(), Refusal> {
        self.question_for(question_id)?;
        self.not_asked_yet(question_id)?;
        self.relevant_now(question_id)
    }

    pub(super) fn check_amendment(
        &self,
        question_id: &str,
        value: &Value,
        reason: &str,
    ) -> Result<(), Refusal> {
        let question = self.question_for(question_id)?;
        if !self.state.answers.contains_key(question_id) {
            return Err(Refusal::rule(
                Rule::R7,
                K::NotAnswered,
                format!("question `{question_id}` has no recorded answer to amend"),
            ));
        }
        if reason.trim().is_empty() {
            return Err(Refusal::rule(
                Rule::R7,
                K::BlankReason,
                format!("say why the answer to `{question_id}` is corrected: supervisors see every amendment"),
            ));
        }
        self.check_value(question, value)?;
        self.check_answered_age(question_id, value)
    }

    /// The anonymiser replaces each `Answered` or `Amended` of an identifying
    /// question with `AnswerWithheld` at the same place in the log (R21).
    pub(super) fn check_withheld(&self, question_id: &str) -> Result<(), Refusal> {
        let question = self.question_for(question_id)?;
        if !question.identifying {
            return Err(Refusal::rule(
                Rule::R21,
                K::NotIdentifying,
                format!("question `{question_id}` is not marked identifying: its answer is not withheld"),
            ));
        }
        if self.state.answers.contains_key(question_id) || self.state.withheld.contains(question_id)
        {
            return Ok(());
        }
        self.not_asked_yet(question_id)?;
        self.rapport_for(question)?;
        self.relevant_now(question_id)
    }

    fn check_value(&self, question: &Question, value: &Value) -> Result<(), Refusal> {
        let id = &question.id;
        if self.observing() && question.identifying {
            return Err(Refusal::rule(
                Rule::R21,
                K::NotForThisMethod,
                format!("observation sheets keep nothing that identifies a person: skip question `{id}` and fix the protocol"),
            ));
        }
        let finite = match value {
            Value::Decimal(x) => x.is_finite(),
            Value::Location { lat, lon } => {
                lat.is_finite() && lon.is_finite() && lat.abs() <= 90.0 && lon.abs() <= 180.0
            }
            _ => true,
        };
        if !value.fits(question.kind) || !finite {
            return Err(Refusal::plain(
                K::WrongKind,
                format!(
                    "question `{id}` takes a {} answer",
                    serde_json::to_value(question.kind)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default()
                ),
            ));
        }
        let picked: &[String] = match value {
            Value::Choice(v) => std::slice::from_ref(v),
            Value::Choices(vs) | Value::Ranking(vs) => vs,
            _ => &[],
        };
        for (i, v) in picked.iter().enumerate() {
            if !question.choices.iter().any(|c| &c.value == v) {
                return Err(Refusal::plain(
                    K::UnknownChoice,
                    format!("`{v}` is not one of the choices of question `{id}`"),
                ));
            }
            if !self.value_offered(question, v) {
                return Err(Refusal::plain(
                    K::UnknownChoice,
                    format!("`{v}` is not offered by question `{id}` given the earlier answers (its choices depend on them)"),
                ));
            }
            if picked[..i].contains(v) {
                return Err(Refusal::plain(
                    K::UnknownChoice,
                    format!("choice `{v}` appears twice in the answer to question `{id}`"),
                ));
            }
        }
        match self.exprs.constraint.get(id) {
            None => Ok(()),
            Some(Err(error)) => Err(Refusal::plain(
                K::BadExpression,
                format!("the constraint of question `{id}` cannot be read ({error}); fix the protocol"),
            )),
            Some(Ok(expr)) => match expr.eval(&*self.known(), Some(value)) {
                Ok(true) => Ok(()),
                Ok(false) => Err(Refusal::plain(
                    K::ConstraintFailed,
                    self.constraint_message(question),
                )),
                Err(error) => Err(Refusal::plain(
                    K::BadExpression,
                    format!("the constraint of question `{id}` cannot be evaluated ({error}); fix the protocol"),
                )),
            },
        }
    }

    /// The protocol's message in the session language, or a plain default.
    fn constraint_message(&self, question: &Question) -> String {
        question
            .constraint_message
            .as_ref()
            .map(|t| t.show(self.language()).trim().to_owned())
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| {
                format!(
                    "the answer to question `{}` is outside what the protocol allows",
                    question.id
                )
            })
    }
}
