//! The checks an event must pass before it is folded in: order of the log,
//! the session's phase, introduction, data use, consent, roster, screening,
//! observation and the end of the session. Question checks are in
//! `questions.rs`. Nothing here changes the session.

use super::events::{Consenter, Decision, Event, EventKind, SessionKind, SessionStart, StopReason};
use super::refusal::{Refusal, RefusalKind as K};
use super::session::{Session, Status};
use crate::model::{FocusGroup, Method, Respondents};
use crate::rules::Rule;

impl Session {
    /// Whether `event` may come next; the reason if not.
    pub(super) fn check(&self, event: &Event) -> Result<(), Refusal> {
        let expected = self.events.len() as u64;
        if event.seq != expected {
            return Err(Refusal::plain(
                K::OutOfSequence,
                format!(
                    "event has seq {} where {expected} was expected: sequence numbers run from 0 without gaps",
                    event.seq
                ),
            ));
        }
        if let Some(last) = self.state.last_at {
            if event.at < last {
                return Err(Refusal::plain(
                    K::TimeWentBackwards,
                    format!(
                        "event {} is timed {} , before the previous event ({last}): check the device clock",
                        event.seq, event.at
                    ),
                ));
            }
        }
        if let EventKind::SessionStarted(start) = &event.kind {
            return self.check_start(start);
        }
        self.check_phase(&event.kind)?;
        match &event.kind {
            EventKind::SessionStarted(_) => Ok(()),
            EventKind::IntroductionGiven => self.not_observing("an introduction"),
            EventKind::DataUseExplained { statement_hash } => {
                self.not_observing("a data-use statement")?;
                if !self.state.introduced {
                    return Err(Refusal::rule(
                        Rule::R11,
                        K::IntroductionMissing,
                        "introduce yourself and your organisation before explaining the data use",
                    ));
                }
                if *statement_hash != self.exprs.data_use_hash {
                    return Err(Refusal::rule(
                        Rule::R4,
                        K::StatementChanged,
                        format!(
                            "the data-use statement shown ({}) is not the one published with protocol `{}` version {} ({}): update the protocol on this device",
                            statement_hash.short(),
                            self.protocol.id,
                            self.protocol.version,
                            self.exprs.data_use_hash.short()
                        ),
                    ));
                }
                Ok(())
            }
            EventKind::ConsentRecorded {
                by,
                audio_recording,
                ..
            } => self.check_consent(by, *audio_recording),
            EventKind::ParticipantAdded { code, .. } => self.check_participant(code),
            EventKind::ScreeningAnswered { item_id, .. } => self.check_screening(item_id),
            EventKind::RapportConfirmed => {
                self.not_observing("a rapport checkpoint")?;
                self.require_consent("confirming rapport")?;
                if self.state.rapport {
                    return Err(Refusal::plain(
                        K::RapportAlreadyConfirmed,
                        "rapport was already confirmed in this session",
                    ));
                }
                Ok(())
            }
            EventKind::Answered { question_id, value } => self.check_answer(question_id, value),
            EventKind::Amended {
                question_id,
                value,
                reason,
            } => self.check_amendment(question_id, value, reason),
            EventKind::Skipped { question_id, .. } => self.check_skip(question_id),
            EventKind::AnswerWithheld { question_id } => self.check_withheld(question_id),
            EventKind::OthersPresentChanged { .. } => Ok(()),
            EventKind::NoteAdded { .. } => self.require_consent("a note"),
            EventKind::Tallied {
                tally_id,
                age_group,
                delta,
                sex,
            } => self.check_tally(tally_id, *sex, age_group, *delta),
            EventKind::IndicatorChecked { indicator_id, .. } => self.check_indicator(indicator_id),
            EventKind::Stopped { reason } => {
                if *reason == StopReason::ScreeningPositive && !self.screened_positive() {
                    return Err(Refusal::rule(
                        Rule::R5,
                        K::NotScreenedPositive,
                        "no screening item was positive: stop with another reason",
                    ));
                }
                Ok(())
            }
            EventKind::Completed => self.check_complete(),
        }
    }

    fn check_start(&self, start: &SessionStart) -> Result<(), Refusal> {
        if self.state.start.is_some() {
            return Err(Refusal::plain(
                K::AlreadyStarted,
                "the session has already started",
            ));
        }
        let protocol = &self.protocol;
        if start.protocol_id != protocol.id || start.protocol_version != protocol.version {
            return Err(Refusal::rule(
                Rule::R4,
                K::ProtocolMismatch,
                format!(
                    "the session is for protocol `{}` version {}, not `{}` version {}",
                    start.protocol_id, start.protocol_version, protocol.id, protocol.version
                ),
            ));
        }
        if start.protocol_hash != self.exprs.content_hash {
            return Err(Refusal::rule(
                Rule::R4,
                K::ProtocolMismatch,
                format!(
                    "protocol `{}` version {} has hash {}, the session names {}: a published version never changes, so publish a new version",
                    protocol.id,
                    protocol.version,
                    self.exprs.content_hash.short(),
                    start.protocol_hash.short()
                ),
            ));
        }
        if !protocol.languages.contains(&start.language) {
            return Err(Refusal::rule(
                Rule::R14,
                K::UnknownLanguage,
                format!(
                    "protocol `{}` is not written in `{}`; choose one of: {}",
                    protocol.id,
                    start.language,
                    protocol.languages.join(", ")
                ),
            ));
        }
        if self.observing() {
            if start.kind != SessionKind::Full {
                return Err(Refusal::plain(
                    K::NotForThisMethod,
                    "observation sheets are always full sessions, with no rapport or follow-up visits",
                ));
            }
            if let Some(site) = &start.site_type {
                let known = protocol
                    .observation
                    .as_ref()
                    .is_some_and(|o| o.site_types.iter().any(|s| &s.id == site));
                if !known {
                    return Err(Refusal::rule(
                        Rule::R20,
                        K::UnknownSiteType,
                        format!("site type `{site}` is not declared in the protocol's observation block"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Refusals that depend only on where the session stands.
    fn check_phase(&self, kind: &EventKind) -> Result<(), Refusal> {
        match self.state.status {
            Status::NotStarted => {
                return Err(Refusal::plain(
                    K::NotStarted,
                    "the first event of a session must be SessionStarted",
                ))
            }
            Status::Stopped(reason) => {
                let rule = match reason {
                    StopReason::Refused => Rule::R1,
                    StopReason::ScreeningPositive => Rule::R5,
                    StopReason::Withdrew | StopReason::Safety | StopReason::InterviewerEnded => {
                        Rule::R9
                    }
                };
                return Err(Refusal::rule(
                    rule,
                    K::SessionEnded,
                    "the session was stopped: nothing more may be recorded",
                ));
            }
            Status::Completed => {
                return Err(Refusal::plain(
                    K::SessionEnded,
                    "the session is completed: nothing more may be recorded",
                ))
            }
            Status::InProgress => {}
        }
        let stopping =
            |want: StopReason| matches!(kind, EventKind::Stopped { reason } if *reason == want);
        if self.state.consent_refused && !stopping(StopReason::Refused) {
            let rule = self.refused_rule();
            return Err(Refusal::rule(
                rule,
                K::ConsentRefused,
                "consent was refused: the session can only be stopped (reason: refused)",
            ));
        }
        if self.screened_positive() && !stopping(StopReason::ScreeningPositive) {
            return Err(Refusal::rule(
                Rule::R5,
                K::ScreenedPositive,
                "a screening item was positive: stop the session (reason: screening positive) and follow the referral pathway",
            ));
        }
        Ok(())
    }

    fn refused_rule(&self) -> Rule {
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

    fn not_observing(&self, what: &str) -> Result<(), Refusal> {
        if self.observing() {
            return Err(Refusal::plain(
                K::NotForThisMethod,
                format!("observation sheets of public places have no {what} step"),
            ));
        }
        Ok(())
    }

    pub(super) fn is_focus_group(&self) -> bool {
        self.protocol.method == Method::FocusGroup
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

    /// Whether someone of this age needs a guardian's (or trusted adult's)
    /// consent too (R2). An unknown age counts as a child in child protocols.
    pub(super) fn guardian_needed(&self, age: Option<u8>) -> bool {
        let Some(rules) = self.protocol.consent_rules() else {
            return false;
        };
        match age {
            Some(age) => age < rules.guardian_required_under,
            None => self.protocol.respondents() == Respondents::Children,
        }
    }

    /// Individual sessions: a guardian, or a trusted adult standing in, agreed.
    pub(super) fn guardian_consented(&self) -> bool {
        let stand_in = self
            .protocol
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
    pub(super) fn require_consent(&self, what: &str) -> Result<(), Refusal> {
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
            return Ok(());
        }
        if !self.respondent_consented() {
            return Err(Refusal::rule(
                Rule::R1,
                K::ConsentMissing,
                format!("{what} needs the respondent's own consent first"),
            ));
        }
        if self.guardian_needed(self.respondent_age()) && !self.guardian_consented() {
            return Err(Refusal::rule(
                Rule::R2,
                K::ConsentMissing,
                format!("{what} needs a guardian's or trusted adult's consent first: the respondent is under the protocol's guardian age, or their age is unknown"),
            ));
        }
        Ok(())
    }

    fn check_consent(&self, by: &Consenter, audio_recording: bool) -> Result<(), Refusal> {
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
            .protocol
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
        if audio_recording
            && !self
                .protocol
                .consent_rules()
                .is_some_and(|r| r.audio_recording)
        {
            return Err(Refusal::plain(
                K::AudioNotAllowed,
                "this protocol does not allow audio recording; record the consent without it",
            ));
        }
        Ok(())
    }

    fn check_participant(&self, code: &str) -> Result<(), Refusal> {
        if !self.is_focus_group() {
            return Err(Refusal::plain(
                K::NotForThisMethod,
                "only focus groups have a participant roster",
            ));
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

    /// The protocol's screening items, in order.
    pub(super) fn screening_items(&self) -> impl Iterator<Item = &str> {
        self.protocol
            .screening
            .iter()
            .flat_map(|s| s.items.iter().map(|i| i.id.as_str()))
    }

    pub(super) fn screening_complete(&self) -> bool {
        self.screening_items()
            .all(|id| self.state.screening.contains_key(id))
    }

    fn check_screening(&self, item_id: &str) -> Result<(), Refusal> {
        if !self.screening_items().any(|id| id == item_id) {
            return Err(Refusal::plain(
                K::UnknownScreeningItem,
                format!("screening item `{item_id}` is not in the protocol"),
            ));
        }
        if self.state.screening.contains_key(item_id) {
            return Err(Refusal::rule(
                Rule::R7,
                K::AlreadyAsked,
                format!("screening item `{item_id}` was already answered"),
            ));
        }
        Ok(())
    }

    fn check_complete(&self) -> Result<(), Refusal> {
        self.require_consent("completing the session")?;
        let kind = self.state.start.as_ref().map(|s| s.kind);
        if kind == Some(SessionKind::RapportOnly) {
            if !self.state.rapport {
                return Err(Refusal::rule(
                    Rule::R13,
                    K::RapportMissing,
                    "a rapport visit is completed once rapport is confirmed",
                ));
            }
            return Ok(());
        }
        if !self.screening_complete() {
            return Err(Refusal::rule(
                Rule::R5,
                K::ScreeningIncomplete,
                "answer every screening item before completing the session",
            ));
        }
        let missing = self
            .protocol
            .questions()
            .find(|q| q.required && !self.state.was_asked(&q.id) && self.is_relevant(&q.id));
        if let Some(question) = missing {
            return Err(Refusal::plain(
                K::Incomplete,
                format!(
                    "required question `{}` has no answer: ask it or record a skip",
                    question.id
                ),
            ));
        }
        Ok(())
    }
}
