//! Anonymisation (R21): a finished session's event log becomes the log that
//! leaves the device. It still replays through the engine, because the
//! server checks every record by replaying it.
//!
//! - answers to `identifying` questions become `AnswerWithheld`, in place;
//! - free text loses the respondent's identity strings, phone numbers,
//!   e-mail addresses and ID-like numbers (`scrub`);
//! - locations and timestamps are coarsened to the protocol's `privacy` block;
//! - a refused consent keeps only an anonymous refusal, a positive screen
//!   only the screening and the stop;
//! - the interview's length goes in steps of five minutes (`duration`).
//!
//! The report counts what was removed, never what it was.

mod check;
mod duration;
mod scrub;

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime, Time, UtcOffset};

use crate::engine::{Consenter, Decision, Event, EventKind, RefusalKind, Session, StopReason};
use crate::model::{Privacy, Protocol, TimestampPrecision};
use crate::value::Value;

pub use check::{check_anonymised, NotAnonymised};
pub use duration::{check_duration, coarse_duration, DURATION_STEP_MINUTES};
pub use scrub::{settle, Scrubber};

/// The log that may leave the device, and what was taken out of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Anonymised {
    pub events: Vec<Event>,
    pub report: RedactionReport,
    /// The interview's length in whole steps of [`DURATION_STEP_MINUTES`];
    /// `None` for a refusal or a positive screen.
    #[serde(default)]
    pub duration_minutes: Option<u32>,
}

/// How many things of each kind anonymisation removed or coarsened. Counts
/// only: a report never carries the content it describes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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
            // Who was present stays: someone joining reopens the screening,
            // and without it a second round would not replay.
            Ending::ScreenedPositive => {
                framing
                    || matches!(
                        kind,
                        EventKind::ScreeningAnswered { .. }
                            | EventKind::OthersPresentChanged { .. }
                    )
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
/// gapless; nothing after the session's stop or completion is kept. The log
/// is replayed through the engine as it is built: a scrubbed answer that no
/// longer meets its question's constraint (placeholders can be longer than
/// the words they replace) is cut back to its original length.
pub fn anonymise(protocol: &Protocol, events: &[Event], identity: &[String]) -> Anonymised {
    let ending = Ending::of(events);
    let scrubber = Scrubber::new(identity);
    let mut report = RedactionReport::default();
    let mut out: Vec<Event> = Vec::with_capacity(events.len());
    let mut replay = Replay::new(protocol);
    for event in events {
        let ended = matches!(event.kind, EventKind::Stopped { .. } | EventKind::Completed);
        if ending.keeps(&event.kind) {
            let kind = anonymise_kind(protocol, ending, &event.kind, &scrubber, &mut report);
            let anonymised = Event {
                seq: out.len() as u64,
                at: truncate_time(event.at, protocol.privacy.timestamp_precision),
                kind,
            };
            out.push(replay.fit(anonymised, &event.kind));
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
        duration_minutes: coarse_duration(events),
    }
}

/// Replays the anonymised log as it is built, because the server will.
/// Placeholders are longer than some of what they replace (`[name]` for
/// `Kofi`), so a scrubbed answer can break a length constraint its original
/// met; such an answer is cut back to the original's length. Once the log
/// stops replaying for any other reason (it never did, on the device), this
/// only watches.
struct Replay {
    session: Session,
    in_step: bool,
}

impl Replay {
    fn new(protocol: &Protocol) -> Replay {
        Replay {
            session: Session::new(Arc::new(protocol.clone())),
            in_step: true,
        }
    }

    fn fit(&mut self, event: Event, original: &EventKind) -> Event {
        if !self.in_step {
            return event;
        }
        let refusal = match self.session.apply(event.clone()) {
            Ok(()) => return event,
            Err(refusal) => refusal,
        };
        let shortened = match (refusal.kind, original_length(original)) {
            (RefusalKind::ConstraintFailed, Some(limit)) => shorten(&event.kind, limit),
            _ => None,
        };
        if let Some(kind) = shortened {
            let shorter = Event { kind, ..event };
            self.in_step = self.session.apply(shorter.clone()).is_ok();
            return shorter;
        }
        self.in_step = false;
        event
    }
}

/// The length in characters of an answer's original text.
fn original_length(kind: &EventKind) -> Option<usize> {
    match kind {
        EventKind::Answered {
            value: Value::Text(text),
            ..
        }
        | EventKind::Amended {
            value: Value::Text(text),
            ..
        } => Some(text.chars().count()),
        _ => None,
    }
}

/// The answer with its scrubbed text cut to `limit` characters, if it grew.
/// A cut can make a new match (`150 000 FCFA` cut to `150 000 FC` is no
/// longer a sum), so the cut text is settled again, and cut again if that
/// made it longer.
fn shorten(kind: &EventKind, limit: usize) -> Option<EventKind> {
    let cut = |value: &Value| match value {
        Value::Text(text) if text.chars().count() > limit => {
            let mut text: String = text.chars().take(limit).collect();
            loop {
                text = settle(&text, &mut RedactionReport::default());
                if text.chars().count() <= limit {
                    return Some(Value::Text(text));
                }
                text = text.chars().take(limit).collect();
            }
        }
        _ => None,
    };
    match kind {
        EventKind::Answered { question_id, value } => Some(EventKind::Answered {
            question_id: question_id.clone(),
            value: cut(value)?,
        }),
        EventKind::Amended {
            question_id,
            value,
            reason,
        } => Some(EventKind::Amended {
            question_id: question_id.clone(),
            value: cut(value)?,
            reason: reason.clone(),
        }),
        _ => None,
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
            value: anonymise_value(value, &protocol.privacy, scrubber, report),
        },
        EventKind::Amended {
            question_id,
            value,
            reason,
        } => EventKind::Amended {
            question_id: question_id.clone(),
            value: anonymise_value(value, &protocol.privacy, scrubber, report),
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
    privacy: &Privacy,
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
