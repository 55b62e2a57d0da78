//! The checks an event must pass before it is folded in: order of the log,
//! the session's phase, introduction, data use, screening and the end of the
//! session. Consent and roster checks are in `consent.rs`, question checks in
//! `questions.rs`, tallies in `observation.rs`. Nothing here changes the
//! session.

use super::events::{Event, EventKind, SessionKind, SessionStart, StopReason};
use super::refusal::{Refusal, RefusalKind as K};
use super::session::{Session, Status};
use crate::model::Method;
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
                        "event {} is timed {}, before the previous event ({last}): check the device clock",
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
            EventKind::ParticipantAdded { code, age } => self.check_participant(code, *age),
            EventKind::ScreeningAnswered { item_id, .. } => self.check_screening(item_id),
            EventKind::RapportConfirmed => {
                self.not_observing("a rapport checkpoint")?;
                self.require_consent(&"confirming rapport")?;
                if self.state.rapport {
                    return Err(Refusal::plain(
                        K::RapportAlreadyConfirmed,
                        "rapport was already confirmed in this session, and nobody has joined since",
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
            EventKind::NoteAdded { .. } => self.require_consent(&"a note"),
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
        if let Some(age) = start.respondent_age {
            self.check_adult(i64::from(age), "the respondent")?;
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
        self.check_pack(start)?;
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

    /// A validation session names the findings pack it shows; no other
    /// session carries one (R17). Whether the server published that pack
    /// is the server's check (`sync-server/src/verify.rs`).
    fn check_pack(&self, start: &SessionStart) -> Result<(), Refusal> {
        let validating = self.protocol.method == Method::Validation;
        match (&start.findings_pack, validating) {
            (None, true) => Err(Refusal::rule(
                Rule::R17,
                K::FindingsPackMissing,
                "a validation session shows a findings pack: choose one pinned on this device",
            )),
            (Some(_), false) => Err(Refusal::plain(
                K::NotForThisMethod,
                "only validation sessions show a findings pack",
            )),
            _ => Ok(()),
        }
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

    pub(super) fn not_observing(&self, what: &str) -> Result<(), Refusal> {
        if self.observing() {
            return Err(Refusal::plain(
                K::NotForThisMethod,
                format!("observation sheets of public places have no {what} step"),
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
                format!(
                    "screening item `{item_id}` was already answered, and nobody has joined since"
                ),
            ));
        }
        Ok(())
    }

    /// Why the screening is not complete, for a refusal: never begun, or
    /// reopened because someone joined (R5).
    pub(super) fn screening_missing(&self, before: &str) -> Refusal {
        let message = if self.state.screenings_reopened > 0 {
            format!("someone joined after the screening: answer every screening item again before {before}")
        } else {
            format!("answer every screening item before {before}")
        };
        Refusal::rule(Rule::R5, K::ScreeningIncomplete, message)
    }

    fn check_complete(&self) -> Result<(), Refusal> {
        self.require_consent(&"completing the session")?;
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
            return Err(self.screening_missing("completing the session"));
        }
        let missing = self.protocol.questions().find(|q| {
            q.required
                && q.calculation.is_none()
                && !self.state.was_asked(&q.id)
                && self.is_relevant(&q.id)
        });
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
