//! Schema twins of a session's events (`protocols/src/engine/events.rs`)
//! and of the answer values in them, as strict as the server's reading:
//! every tag an enum, every required field required, times as date-time.
//! Each twin also derives `Deserialize` with the wire type's serde
//! attributes; the test `event_twins_read_every_real_event` reads every
//! kind of real event through them, so a twin that misses or misnames a
//! required field fails there, and schemathesis checks the other way
//! (anything the twin allows, the server accepts).
#![allow(dead_code)]

use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// One step of a session.
#[derive(Deserialize, ToSchema)]
#[schema(as = Event)]
pub struct EventDoc {
    /// 0, 1, 2 ... in order.
    seq: u64,
    #[schema(value_type = String, format = DateTime)]
    at: String,
    #[serde(flatten)]
    kind: EventKindDoc,
}

#[derive(Deserialize, ToSchema)]
#[schema(as = EventKind)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventKindDoc {
    SessionStarted(SessionStartDoc),
    IntroductionGiven,
    DataUseExplained {
        statement_hash: String,
    },
    ConsentRecorded {
        by: ConsenterDoc,
        decision: DecisionDoc,
        audio_recording: bool,
    },
    ParticipantAdded {
        code: String,
        #[schema(maximum = 255)]
        age: Option<u8>,
    },
    ScreeningAnswered {
        item_id: String,
        positive: bool,
    },
    RapportConfirmed,
    Answered {
        question_id: String,
        value: ValueDoc,
    },
    Amended {
        question_id: String,
        value: ValueDoc,
        reason: String,
    },
    Skipped {
        question_id: String,
        reason: SkipReasonDoc,
    },
    AnswerWithheld {
        question_id: String,
    },
    OthersPresentChanged {
        present: OthersPresentDoc,
    },
    NoteAdded {
        text: String,
    },
    Tallied {
        tally_id: String,
        sex: SexDoc,
        age_group: String,
        delta: i32,
    },
    IndicatorChecked {
        indicator_id: String,
        observed: bool,
    },
    Stopped {
        reason: StopReasonDoc,
    },
    Completed,
}

#[derive(Deserialize, ToSchema)]
#[schema(as = SessionStart)]
pub struct SessionStartDoc {
    session_id: Uuid,
    protocol_id: String,
    protocol_version: u32,
    protocol_hash: String,
    language: String,
    interviewer_languages: Vec<String>,
    kind: SessionKindDoc,
    /// A reference number, never a name (R21).
    respondent: String,
    #[schema(maximum = 255)]
    respondent_age: Option<u8>,
    linked_child: Option<String>,
    site_type: Option<String>,
    weekday: Option<WeekdayDoc>,
    /// Validation sessions only: the findings pack shown to the group,
    /// `sha256:<hex>`, one the server published (R4, R17).
    findings_pack: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[schema(as = SessionKind)]
#[serde(rename_all = "snake_case")]
pub enum SessionKindDoc {
    Full,
    RapportOnly,
    FollowUp,
}

#[derive(Deserialize, ToSchema)]
#[schema(as = Weekday)]
#[serde(rename_all = "lowercase")]
pub enum WeekdayDoc {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

/// Who consented; participants of a focus group by their code.
#[derive(Deserialize, ToSchema)]
#[schema(as = Consenter)]
#[serde(tag = "role", content = "code", rename_all = "snake_case")]
pub enum ConsenterDoc {
    Respondent,
    Guardian,
    TrustedAdult,
    Participant(String),
    ParticipantGuardian(String),
}

#[derive(Deserialize, ToSchema)]
#[schema(as = Decision)]
#[serde(rename_all = "snake_case")]
pub enum DecisionDoc {
    Given,
    Refused,
}

#[derive(Deserialize, ToSchema)]
#[schema(as = SkipReason)]
#[serde(rename_all = "snake_case")]
pub enum SkipReasonDoc {
    DeclinedToAnswer,
    InterviewerJudgement,
    DoesNotKnow,
}

#[derive(Deserialize, ToSchema)]
#[schema(as = OthersPresent)]
#[serde(rename_all = "snake_case")]
pub enum OthersPresentDoc {
    None,
    Parent,
    Employer,
    Peer,
    Official,
    Other,
}

#[derive(Deserialize, ToSchema)]
#[schema(as = Sex)]
#[serde(rename_all = "snake_case")]
pub enum SexDoc {
    Female,
    Male,
    Unknown,
}

#[derive(Deserialize, ToSchema)]
#[schema(as = StopReason)]
#[serde(rename_all = "snake_case")]
pub enum StopReasonDoc {
    Refused,
    Withdrew,
    ScreeningPositive,
    Safety,
    InterviewerEnded,
}

/// An answer: `{"type": "integer", "value": 12}`. Dates are `YYYY-MM-DD`,
/// times `HH:MM`.
#[derive(Deserialize, ToSchema)]
#[schema(as = Value)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum ValueDoc {
    Bool(bool),
    Integer(i64),
    Decimal(f64),
    Text(String),
    Choice(String),
    Choices(Vec<String>),
    Ranking(Vec<String>),
    Date(String),
    Time(String),
    Location { lat: f64, lon: f64 },
    Count(u32),
}

/// Counts of what anonymisation removed on the phone.
#[derive(Deserialize, ToSchema)]
#[schema(as = RedactionReport)]
#[serde(deny_unknown_fields)]
pub struct RedactionReportDoc {
    identifying_answers_withheld: u32,
    names: u32,
    phones: u32,
    emails: u32,
    id_numbers: u32,
    locations_coarsened: u32,
    notes_dropped: u32,
}
