//! What can happen in a session, as an append-only list of events.
//!
//! The phone appends events as the interview runs; the vault stores them one
//! by one; the server replays them. Variants may be added, never changed:
//! stored and synced logs must keep parsing.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::hash::ContentHash;
use crate::model::Weekday;
use crate::value::Value;

/// One event with its place in the log and the device's clock when it happened.
/// `Deserialize` is written by hand (`events_de.rs`): the derived one takes
/// serde's buffered path for the flattened, tagged kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// 0 for `SessionStarted`, then 1, 2, 3 ... without gaps.
    pub seq: u64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    #[serde(flatten)]
    pub kind: EventKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventKind {
    SessionStarted(SessionStart),
    /// The interviewer said who they are and for which organisation (R11).
    IntroductionGiven,
    /// The data-use statement was read out; its hash as shown (R3, R4).
    DataUseExplained {
        statement_hash: ContentHash,
    },
    ConsentRecorded {
        by: Consenter,
        decision: Decision,
        /// Whether this person agreed to audio recording.
        audio_recording: bool,
    },
    /// Focus groups: a participant joins the roster, by code only.
    ParticipantAdded {
        code: String,
        /// Whole years, as the participant says; decides whether a guardian's
        /// consent is needed (R2). Unknown counts as a child.
        age: Option<u8>,
    },
    /// One screening item; `positive` stops the session (R5).
    ScreeningAnswered {
        item_id: String,
        positive: bool,
    },
    /// The interviewer confirms a trusting relationship; sensitive questions
    /// may follow (R6).
    RapportConfirmed,
    Answered {
        question_id: String,
        value: Value,
    },
    /// Correcting a mis-tap: a logged change with a reason, not a second asking (R7).
    Amended {
        question_id: String,
        value: Value,
        reason: String,
    },
    Skipped {
        question_id: String,
        reason: SkipReason,
    },
    /// Anonymisation removed an identifying answer before sync (R21). Only
    /// ever in logs that left the device; counts as asked.
    AnswerWithheld {
        question_id: String,
    },
    /// Who else is listening (R8). May change at any moment.
    OthersPresentChanged {
        present: OthersPresent,
    },
    NoteAdded {
        text: String,
    },
    /// Observation sheets: one more (or, to correct, one fewer) person counted.
    Tallied {
        tally_id: String,
        sex: Sex,
        age_group: String,
        delta: i32,
    },
    /// Observation sheets: an indicator was seen or not.
    IndicatorChecked {
        indicator_id: String,
        observed: bool,
    },
    Stopped {
        reason: StopReason,
    },
    Completed,
}

/// How a session begins: what protocol, in which language, with whom.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionStart {
    pub session_id: Uuid,
    pub protocol_id: String,
    pub protocol_version: u32,
    pub protocol_hash: ContentHash,
    /// The language the session runs in (R14).
    pub language: String,
    /// The languages the interviewer declared they speak (R14).
    pub interviewer_languages: Vec<String>,
    pub kind: SessionKind,
    /// The respondent's reference number; never a name (R21). For observation,
    /// a reference for the site visit.
    pub respondent: String,
    /// The respondent's age in whole years, if known before consent; unknown
    /// counts as a child for the guardian rule (R2).
    pub respondent_age: Option<u8>,
    /// Key-informant sessions: the child's reference number this cross-checks (R12).
    pub linked_child: Option<String>,
    /// Observation sheets: the site type and the planned window (R20).
    pub site_type: Option<String>,
    pub weekday: Option<Weekday>,
    /// Validation sessions: the findings pack shown to the group, by its
    /// hash (R4, R17). Absent from every other session's log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub findings_pack: Option<ContentHash>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionKind {
    Full,
    /// A first visit to build trust: no questions (R13).
    RapportOnly,
    /// A later visit to the same respondent (R13).
    FollowUp,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "role", content = "code", rename_all = "snake_case")]
pub enum Consenter {
    /// The respondent themself: a child's assent, an adult's consent.
    Respondent,
    Guardian,
    TrustedAdult,
    /// A focus-group participant, by roster code.
    Participant(String),
    /// A focus-group participant's guardian, by the participant's code.
    ParticipantGuardian(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Given,
    Refused,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// The respondent chose not to answer; always allowed.
    DeclinedToAnswer,
    /// The interviewer judged it unsafe or unkind to ask now.
    InterviewerJudgement,
    DoesNotKnow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OthersPresent {
    None,
    Parent,
    Employer,
    Peer,
    Official,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    Refused,
    Withdrew,
    ScreeningPositive,
    Safety,
    InterviewerEnded,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Female,
    Male,
    /// Could not tell, or another answer.
    Unknown,
}
