//! Consent (R1, R2) and the focus-group roster: who must agree before
//! anything is recorded, and who may agree at all. Nothing here changes the
//! session.

use std::fmt;

use super::events::{Consenter, Decision};
use super::refusal::{Refusal, RefusalKind as K};
use super::session::Session;
use crate::model::{ConsentRules, Dimension, FocusGroup, Method, Respondents};
use crate::rules::Rule;
use crate::value::Value;

/// Who counts as an adult when a protocol declares adult respondents.
pub const ADULT_AGE: u8 = 18;

impl Session {
    pub(super) fn refused_rule(&self) -> Rule {
        let by_respondent = self
            .state
            .consents
            .iter()
            .any(|c| c.by == Consenter::Respondent && c.decision == Decision::Refused);
        if by_respondent {
            Rule::R1
        } else {
            Rule::R2
        }
    }

    pub(super) fn is_focus_group(&self) -> bool {
        // A validation session is held with a group too, known by codes.
        matches!(
            self.protocol.method,
            Method::FocusGroup | Method::Validation
        )
    }

    /// The protocol's focus-group block, with lenient defaults for one the
    /// linter would already have rejected.
    pub(super) fn focus_group(&self) -> FocusGroup {
        self.protocol.focus_group.clone().unwrap_or(FocusGroup {
            min_participants: 1,
            max_participants: u8::MAX,
            code_prefix: "P".to_owned(),
        })
    }

    /// Who the protocol says it meets. `nobody` counts only on observation
    /// sheets: an interview that claims to meet nobody still meets the
    /// people its method meets, so its consent rules stay on.
    pub(super) fn respondents(&self) -> Respondents {
        match self.protocol.respondents() {
            Respondents::Nobody if !self.observing() => self.protocol.method.default_respondents(),
            declared => declared,
        }
    }

    /// The consent rules in force: none only on observation sheets.
    pub(super) fn consent_rules(&self) -> Option<ConsentRules> {
        (!self.observing()).then(|| self.protocol.consent.clone().unwrap_or_default())
    }

    /// Whether someone of this age needs a guardian's (or trusted adult's)
    /// consent too (R2). An unknown age counts as a child in child protocols.
    pub(super) fn guardian_needed(&self, age: Option<u8>) -> bool {
        let Some(rules) = self.consent_rules() else {
            return false;
        };
        match age {
            Some(age) => age < rules.guardian_required_under,
            None => self.respondents() == Respondents::Children,
        }
    }

    /// The whole years an answer to an age question records, if it is one.
    pub(super) fn recorded_age(&self, question_id: &str, value: &Value) -> Option<i64> {
        let question = self.question(question_id)?;
        match (question.disaggregation, value) {
            (Some(Dimension::Age), Value::Integer(age)) => Some(*age),
            _ => None,
        }
    }

    /// An age question recorded an age under the guardian age (R2): from
    /// then on the session needs a guardian's consent, whatever its start
    /// or roster said.
    pub(super) fn answered_under_guardian_age(&self) -> bool {
        match (self.consent_rules(), self.state.youngest_answered_age) {
            (Some(rules), Some(youngest)) => youngest < i64::from(rules.guardian_required_under),
            _ => false,
        }
    }

    /// Individual sessions: a guardian must consent, from the age given at
    /// the start or any age answered since (R2).
    pub(super) fn session_needs_guardian(&self) -> bool {
        self.guardian_needed(self.respondent_age()) || self.answered_under_guardian_age()
    }

    /// A protocol for adults meets no one under 18 (R2): a child needs a
    /// protocol with a guardian's consent and screening.
    pub(super) fn check_adult(&self, age: i64, whose: &str) -> Result<(), Refusal> {
        if self.respondents() == Respondents::Adults && age < i64::from(ADULT_AGE) {
            return Err(Refusal::rule(
                Rule::R2,
                K::ChildInAdultProtocol,
                format!(
                    "protocol `{}` is for adults, and {whose} is under {ADULT_AGE}: stop here and use a protocol for children, which asks a guardian's consent and screens first",
                    self.protocol.id
                ),
            ));
        }
        Ok(())
    }

    /// Individual sessions: a guardian, or a trusted adult standing in, agreed.
    pub(super) fn guardian_consented(&self) -> bool {
        let stand_in = self
            .consent_rules()
            .is_some_and(|r| r.trusted_adult_may_stand_in);
        self.decision(&Consenter::Guardian) == Some(Decision::Given)
            || (stand_in && self.decision(&Consenter::TrustedAdult) == Some(Decision::Given))
    }

    pub(super) fn respondent_consented(&self) -> bool {
        self.decision(&Consenter::Respondent) == Some(Decision::Given)
    }

    fn respondent_age(&self) -> Option<u8> {
        self.state.start.as_ref().and_then(|s| s.respondent_age)
    }

    /// Every consent the session needs before `what` may be recorded (R1, R2).
    pub(super) fn require_consent(&self, what: &dyn fmt::Display) -> Result<(), Refusal> {
        if self.observing() {
            return Ok(());
        }
        if self.is_focus_group() {
            let min = usize::from(self.focus_group().min_participants);
            let taking_part = self.taking_part();
            if taking_part < min {
                return Err(Refusal::rule(
                    Rule::R1,
                    K::TooFewParticipants,
                    format!(
                        "{what} needs at least {min} participants who agreed (and whose guardian agreed where needed); {taking_part} have so far"
                    ),
                ));
            }
            // Someone on the roster who has not decided is listening without
            // having agreed: a late joiner, or a guardian now needed (R1, R2).
            let undecided = self
                .state
                .roster
                .iter()
                .find(|p| !p.declined() && !p.takes_part());
            if let Some(p) = undecided {
                let rule = if p.assent.is_none() {
                    Rule::R1
                } else {
                    Rule::R2
                };
                return Err(Refusal::rule(
                    rule,
                    K::ConsentMissing,
                    format!(
                        "{what} waits for participant `{}`: ask them{} before anything more is recorded",
                        p.code,
                        if p.guardian_needed && p.guardian.is_none() {
                            " and their guardian"
                        } else {
                            ""
                        }
                    ),
                ));
            }
            return Ok(());
        }
        if !self.respondent_consented() {
            return Err(Refusal::rule(
                Rule::R1,
                K::ConsentMissing,
                format!("{what} needs the respondent's own consent first"),
            ));
        }
        if self.session_needs_guardian() && !self.guardian_consented() {
            let why = if self.guardian_needed(self.respondent_age()) {
                "the respondent is under the protocol's guardian age, or their age is unknown"
            } else {
                "an age answer is under the protocol's guardian age, whatever the start said"
            };
            return Err(Refusal::rule(
                Rule::R2,
                K::ConsentMissing,
                format!("{what} needs a guardian's or trusted adult's consent first: {why}"),
            ));
        }
        Ok(())
    }

    pub(super) fn check_consent(
        &self,
        by: &Consenter,
        audio_recording: bool,
    ) -> Result<(), Refusal> {
        self.not_observing("consent")?;
        let rule = match by {
            Consenter::Respondent | Consenter::Participant(_) => Rule::R1,
            _ => Rule::R2,
        };
        if !self.state.data_use_explained {
            return Err(Refusal::rule(
                Rule::R3,
                K::DataUseMissing,
                "explain the data-use statement before asking for consent",
            ));
        }
        let individual = matches!(
            by,
            Consenter::Respondent | Consenter::Guardian | Consenter::TrustedAdult
        );
        if individual == self.is_focus_group() {
            let expected = if individual {
                "in a focus group, each participant (and their guardian) consents by code"
            } else {
                "participant consents belong to focus groups; ask the respondent, guardian or trusted adult"
            };
            return Err(Refusal::rule(rule, K::WrongConsenter, expected));
        }
        let stand_in = self
            .consent_rules()
            .is_some_and(|r| r.trusted_adult_may_stand_in);
        if *by == Consenter::TrustedAdult && !stand_in {
            return Err(Refusal::rule(
                Rule::R2,
                K::WrongConsenter,
                "this protocol does not let a trusted adult stand in for a guardian: ask a guardian",
            ));
        }
        if let Consenter::Participant(code) | Consenter::ParticipantGuardian(code) = by {
            let Some(participant) = self.state.roster.iter().find(|p| &p.code == code) else {
                return Err(Refusal::plain(
                    K::UnknownParticipant,
                    format!("participant `{code}` is not on the roster: add them first"),
                ));
            };
            if participant.declined() {
                return Err(Refusal::rule(
                    rule,
                    K::ConsentAlreadyRecorded,
                    format!("participant `{code}` or their guardian already declined; they are not part of the group"),
                ));
            }
        }
        if self.decision(by).is_some() {
            return Err(Refusal::rule(
                rule,
                K::ConsentAlreadyRecorded,
                "this person's decision is already recorded; a refusal ends their part, a consent stands until they withdraw",
            ));
        }
        if audio_recording && !self.consent_rules().is_some_and(|r| r.audio_recording) {
            return Err(Refusal::plain(
                K::AudioNotAllowed,
                "this protocol does not allow audio recording; record the consent without it",
            ));
        }
        Ok(())
    }

    pub(super) fn check_participant(&self, code: &str, age: Option<u8>) -> Result<(), Refusal> {
        if !self.is_focus_group() {
            return Err(Refusal::plain(
                K::NotForThisMethod,
                "only focus groups have a participant roster",
            ));
        }
        if let Some(age) = age {
            self.check_adult(i64::from(age), &format!("participant `{code}`"))?;
        }
        let group = self.focus_group();
        let number = code.strip_prefix(group.code_prefix.as_str()).unwrap_or("");
        let well_formed = !number.is_empty()
            && number.len() <= 3
            && number.bytes().all(|b| b.is_ascii_digit())
            && !number.starts_with('0');
        if !well_formed {
            return Err(Refusal::rule(
                Rule::R21,
                K::BadParticipantCode,
                format!(
                    "participants are known by code only, like `{0}1`, `{0}2`: never a name",
                    group.code_prefix
                ),
            ));
        }
        if self.state.roster.iter().any(|p| p.code == code) {
            return Err(Refusal::plain(
                K::DuplicateParticipant,
                format!("participant `{code}` is already on the roster"),
            ));
        }
        if self.state.roster.len() >= usize::from(group.max_participants) {
            return Err(Refusal::plain(
                K::RosterFull,
                format!(
                    "the protocol allows at most {} participants in a group",
                    group.max_participants
                ),
            ));
        }
        Ok(())
    }
}
