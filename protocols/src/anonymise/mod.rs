//! Anonymisation (R21): a finished session's event log becomes the log that
//! leaves the device. It still replays through the engine, because the
//! server checks every record by replaying it.
//!
//! - answers to `identifying` questions become `AnswerWithheld`, in place;
//! - free text loses the respondent's identity strings, phone numbers,
//!   e-mail addresses and ID-like numbers (`scrub`);
//! - locations and timestamps are coarsened to the protocol's `privacy` block;
//! - a refused consent keeps only an anonymous refusal, a positive screen
//!   only the screening and the stop.
//!
//! The report counts what was removed, never what it was.

mod scrub;

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime, Time, UtcOffset};

use crate::engine::{Consenter, Decision, Event, EventKind, StopReason};
use crate::model::{Privacy, Protocol, TimestampPrecision};
use crate::value::Value;

pub use scrub::Scrubber;

/// The log that may leave the device, and what was taken out of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Anonymised {
    pub events: Vec<Event>,
    pub report: RedactionReport,
}

/// How many things of each kind anonymisation removed or coarsened. Counts
/// only: a report never carries the content it describes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedactionReport {
    /// `Answered` or `Amended` events of identifying questions replaced by
    /// `AnswerWithheld`.
    pub identifying_answers_withheld: u32,
    pub names: u32,
    pub phones: u32,
    pub emails: u32,
    pub id_numbers: u32,
    pub locations_coarsened: u32,
    pub notes_dropped: u32,
}

impl RedactionReport {
    /// Everything removed or coarsened, for a one-line summary.
    pub fn total(&self) -> u32 {
        self.identifying_answers_withheld
            + self.names
            + self.phones
            + self.emails
            + self.id_numbers
            + self.locations_coarsened
            + self.notes_dropped
    }
}

/// How the session ended, which decides how much of it may leave the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    /// The respondent, a guardian or a trusted adult said no (R1, R2).
    ConsentRefused,
    /// A screening item was positive: the child is referred, not studied (R5).
    ScreenedPositive,
    Other,
}

impl Ending {
    fn of(events: &[Event]) -> Ending {
        let refused = events.iter().any(|e| match &e.kind {
            EventKind::ConsentRecorded { by, decision, .. } => {
                *decision == Decision::Refused
                    && matches!(
                        by,
                        Consenter::Respondent | Consenter::Guardian | Consenter::TrustedAdult
                    )
            }
            EventKind::Stopped { reason } => *reason == StopReason::Refused,
            _ => false,
        });
        let positive = events.iter().any(|e| match &e.kind {
            EventKind::ScreeningAnswered { positive, .. } => *positive,
            EventKind::Stopped { reason } => *reason == StopReason::ScreeningPositive,
            _ => false,
        });
        if refused {
            Ending::ConsentRefused
        } else if positive {
            Ending::ScreenedPositive
        } else {
            Ending::Other
        }
    }

    /// Whether an event of a session that ended this way leaves the device.
    /// The start, introduction, data use, consents and roster always do:
    /// without them the log would not replay.
    fn keeps(self, kind: &EventKind) -> bool {
        let framing = matches!(
            kind,
            EventKind::SessionStarted(_)
                | EventKind::IntroductionGiven
                | EventKind::DataUseExplained { .. }
                | EventKind::ConsentRecorded { .. }
                | EventKind::ParticipantAdded { .. }
                | EventKind::Stopped { .. }
                | EventKind::Completed
        );
        match self {
            Ending::ConsentRefused => framing,
            Ending::ScreenedPositive => {
                framing || matches!(kind, EventKind::ScreeningAnswered { .. })
            }
            Ending::Other => true,
        }
    }
}

/// Anonymises one session's log. `identity` holds the strings the identity
/// store keeps for this respondent (name, nickname, contact, place), which
/// are scrubbed from every free text.
///
/// Events are renumbered from 0 if some were dropped, so the log stays
/// gapless; nothing after the session's stop or completion is kept.
pub fn anonymise(protocol: &Protocol, events: &[Event], identity: &[String]) -> Anonymised {
    let ending = Ending::of(events);
    let scrubber = Scrubber::new(identity);
    let mut report = RedactionReport::default();
    let mut out: Vec<Event> = Vec::with_capacity(events.len());
    for event in events {
        let ended = matches!(event.kind, EventKind::Stopped { .. } | EventKind::Completed);
        if ending.keeps(&event.kind) {
            let kind = anonymise_kind(protocol, ending, &event.kind, &scrubber, &mut report);
            out.push(Event {
                seq: out.len() as u64,
                at: truncate_time(event.at, protocol.privacy.timestamp_precision),
                kind,
            });
        } else if matches!(event.kind, EventKind::NoteAdded { .. }) {
            report.notes_dropped += 1;
        }
        if ended {
            break;
        }
    }
    Anonymised {
        events: out,
        report,
    }
}

fn anonymise_kind(
    protocol: &Protocol,
    ending: Ending,
    kind: &EventKind,
    scrubber: &Scrubber,
    report: &mut RedactionReport,
) -> EventKind {
    let identifying = |id: &str| protocol.question(id).is_some_and(|q| q.identifying);
    match kind {
        EventKind::SessionStarted(start) if ending == Ending::ConsentRefused => {
            let mut start = start.clone();
            start.respondent = String::new();
            start.respondent_age = None;
            start.linked_child = None;
            EventKind::SessionStarted(start)
        }
        EventKind::Answered { question_id, .. } | EventKind::Amended { question_id, .. }
            if identifying(question_id) =>
        {
            report.identifying_answers_withheld += 1;
            EventKind::AnswerWithheld {
                question_id: question_id.clone(),
            }
        }
        EventKind::Answered { question_id, value } => EventKind::Answered {
            question_id: question_id.clone(),
            value: anonymise_value(value, protocol.privacy, scrubber, report),
        },
        EventKind::Amended {
            question_id,
            value,
            reason,
        } => EventKind::Amended {
            question_id: question_id.clone(),
            value: anonymise_value(value, protocol.privacy, scrubber, report),
            reason: scrubber.scrub(reason, report),
        },
        EventKind::NoteAdded { text } => EventKind::NoteAdded {
            text: scrubber.scrub(text, report),
        },
        other => other.clone(),
    }
}

fn anonymise_value(
    value: &Value,
    privacy: Privacy,
    scrubber: &Scrubber,
    report: &mut RedactionReport,
) -> Value {
    match value {
        Value::Text(text) => Value::Text(scrubber.scrub(text, report)),
        Value::Location { lat, lon } => {
            report.locations_coarsened += 1;
            Value::Location {
                lat: round_to(*lat, privacy.location_decimals),
                lon: round_to(*lon, privacy.location_decimals),
            }
        }
        other => other.clone(),
    }
}

/// `value` rounded to `decimals` places (1 is about 11 km).
pub fn round_to(value: f64, decimals: u8) -> f64 {
    let scale = 10f64.powi(i32::from(decimals));
    (value * scale).round() / scale
}

/// The start of the hour, day or week (Monday 00:00) in UTC that `at` falls
/// in. Never later than `at`, and never reorders two times.
pub fn truncate_time(at: OffsetDateTime, precision: TimestampPrecision) -> OffsetDateTime {
    let utc = at.to_offset(UtcOffset::UTC);
    let date = utc.date();
    match precision {
        TimestampPrecision::Hour => {
            let hour = Time::from_hms(utc.hour(), 0, 0).expect("an hour of a real time is valid");
            date.with_time(hour).assume_utc()
        }
        TimestampPrecision::Day => date.midnight().assume_utc(),
        TimestampPrecision::Week => {
            let back = Duration::days(i64::from(date.weekday().number_days_from_monday()));
            let monday = date.saturating_sub(back);
            monday.midnight().assume_utc()
        }
    }
}
