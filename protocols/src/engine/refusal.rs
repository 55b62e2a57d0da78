//! Why the engine refused an event: a typed reason that names the manual's
//! rule, so the phone can explain it and the server can report it.
//!
//! Messages name question ids, consenters and sequence numbers, never an
//! answer or a note: refusals are logged and shown to supervisors.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::rules::Rule;

/// An event the engine would not accept. Nothing in the session changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// The rule of `ETHICS.md` the event would have broken, if it is an
    /// ethics rule rather than plain bookkeeping (sequence numbers, ids).
    pub rule: Option<Rule>,
    pub kind: RefusalKind,
    /// What was wrong and what to do instead, for a person.
    pub message: String,
}

impl Refusal {
    pub(crate) fn new(rule: Option<Rule>, kind: RefusalKind, message: impl Into<String>) -> Self {
        Refusal {
            rule,
            kind,
            message: message.into(),
        }
    }

    pub(crate) fn rule(rule: Rule, kind: RefusalKind, message: impl Into<String>) -> Self {
        Refusal::new(Some(rule), kind, message)
    }

    pub(crate) fn plain(kind: RefusalKind, message: impl Into<String>) -> Self {
        Refusal::new(None, kind, message)
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.rule {
            Some(rule) => write!(f, "{rule}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Refusal {}

/// The reason for a refusal, for code that reacts to it (the phone picks a
/// screen, the server counts rejections by kind).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusalKind {
    // Bookkeeping of the log itself.
    /// `seq` is not the next number after the previous event.
    OutOfSequence,
    /// The device clock went backwards between two events.
    TimeWentBackwards,
    /// The first event must be `SessionStarted`.
    NotStarted,
    /// `SessionStarted` appears twice.
    AlreadyStarted,
    /// The session was stopped or completed; nothing may follow.
    SessionEnded,
    /// The event does not belong to this kind of protocol (for example a
    /// consent on an observation sheet, or a tally in an interview).
    NotForThisMethod,

    // The protocol version (R4) and language (R14).
    /// The session names another protocol, version or content hash (R4).
    ProtocolMismatch,
    /// The data-use statement shown is not the published one (R4).
    StatementChanged,
    /// The session language is not one the protocol is written in (R14).
    UnknownLanguage,
    /// The observation site type is not one the protocol declares (R20).
    UnknownSiteType,
    /// A validation session that names no findings pack (R17).
    FindingsPackMissing,

    // Introduction, data use and consent (R1, R2, R3, R11).
    /// Data use explained before the interviewer introduced themself (R11).
    IntroductionMissing,
    /// Consent asked before the data-use statement was explained (R3).
    DataUseMissing,
    /// Answers, notes or rapport before every required consent (R1, R2).
    ConsentMissing,
    /// A consent was refused: only `Stopped { Refused }` may follow (R1, R2).
    ConsentRefused,
    /// This person's decision is already recorded.
    ConsentAlreadyRecorded,
    /// This person cannot give consent in this session (for example a trusted
    /// adult where the protocol does not allow one to stand in).
    WrongConsenter,
    /// Audio recording agreed where the protocol does not allow recording.
    AudioNotAllowed,
    /// A respondent, participant or age answer under 18 in a protocol that
    /// declares adult respondents (R2).
    ChildInAdultProtocol,

    // Focus-group roster.
    /// A participant code that is not the protocol's prefix plus a number.
    BadParticipantCode,
    DuplicateParticipant,
    /// The roster already has the protocol's `max_participants`.
    RosterFull,
    UnknownParticipant,
    /// Fewer consenting participants than the protocol's `min_participants`.
    TooFewParticipants,

    // Screening (R5).
    UnknownScreeningItem,
    /// A question before every screening item was answered (R5).
    ScreeningIncomplete,
    /// A screening item was positive: only `Stopped { ScreeningPositive }` may follow (R5).
    ScreenedPositive,
    /// `Stopped { ScreeningPositive }` without a positive screening item (R5).
    NotScreenedPositive,

    // Questions (R6, R7, R13, R21).
    UnknownQuestion,
    /// A question or screening item asked a second time (R7).
    AlreadyAsked,
    /// An amendment for a question that has no answer to amend (R7).
    NotAnswered,
    /// An amendment without a reason (R7).
    BlankReason,
    /// Skip logic makes this question irrelevant given the answers so far.
    NotRelevant,
    /// A sensitive question before the interviewer confirmed rapport (R6).
    RapportMissing,
    /// Rapport was already confirmed in this session.
    RapportAlreadyConfirmed,
    /// Questions in a rapport-only visit (R13).
    RapportVisit,
    /// The value does not have the shape the question's kind takes.
    WrongKind,
    /// A choice value that is not among the question's choices.
    UnknownChoice,
    /// The value breaks the question's constraint.
    ConstraintFailed,
    /// The protocol's own expression could not be read or evaluated.
    BadExpression,
    /// Only identifying answers are withheld before sync (R21).
    NotIdentifying,
    /// `Completed` while a required, relevant question has no answer or skip.
    Incomplete,

    // Observation sheets.
    UnknownTally,
    UnknownAgeGroup,
    /// A correction that would take a running total below zero.
    TallyBelowZero,
    /// A tally that changes nothing.
    ZeroTally,
    UnknownIndicator,
}

/// A stored or submitted log that the engine would not have allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("event {index} (seq {seq}) was refused: {refusal}")]
pub struct ReplayError {
    /// Position of the refused event in the log, from 0.
    pub index: usize,
    /// The `seq` the refused event carried.
    pub seq: u64,
    pub refusal: Refusal,
}
