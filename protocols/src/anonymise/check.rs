//! The server's side of anonymisation (R21): a log that arrives must be one
//! the phone's anonymiser would have sent, so it is checked with the same
//! code. Anonymising it again must change nothing: no answer to an
//! identifying question, free text the scrubber leaves as it is, locations
//! and times no finer than the protocol allows, nothing kept that a refused
//! consent (R1) or a positive screen (R5) drops. The respondent and any
//! linked child are well-formed reference numbers with a valid check
//! character.
//!
//! A refusal names the rule, the event and the field, never the value: it
//! is shown to the device and may be logged.

use std::fmt;

use super::{anonymise_kind, truncate_time, Ending, RedactionReport, Scrubber};
use crate::engine::{Event, EventKind, SessionStart};
use crate::model::{Protocol, TimestampPrecision};
use crate::refnum::RefNumber;
use crate::rules::Rule;
use crate::value::Value;

/// A log that is not what the phone's anonymiser sends.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{rule}: {message}")]
pub struct NotAnonymised {
    pub rule: Rule,
    /// Where, and what to do; never the value itself.
    pub message: String,
}

fn refuse(rule: Rule, message: String) -> Result<(), NotAnonymised> {
    Err(NotAnonymised { rule, message })
}

/// Checks an anonymised log and the respondent its envelope names.
pub fn check_anonymised(
    protocol: &Protocol,
    respondent: &str,
    events: &[Event],
) -> Result<(), NotAnonymised> {
    let ending = Ending::of(events);
    check_reference("the envelope's respondent", respondent, ending)?;
    let scrubber = Scrubber::new(&[]);
    let precision = protocol.privacy.timestamp_precision;
    for (index, event) in events.iter().enumerate() {
        let place = Place {
            index,
            seq: event.seq,
        };
        if !ending.keeps(&event.kind) {
            let (rule, why) = match ending {
                Ending::ScreenedPositive => (
                    Rule::R5,
                    "a positive screen keeps only the screening, who was present and the stop",
                ),
                _ => (
                    Rule::R1,
                    "a refused consent keeps only an anonymous refusal",
                ),
            };
            return refuse(
                rule,
                format!(
                    "{place} ({}) must not leave the device: {why}",
                    event_name(&event.kind)
                ),
            );
        }
        if truncate_time(event.at, precision) != event.at {
            return refuse(
                Rule::R21,
                format!(
                    "{place} is timed more precisely than protocol `{}` keeps (to the {}): the device coarsens times before sync",
                    protocol.id,
                    precision_name(precision)
                ),
            );
        }
        check_event(protocol, ending, &scrubber, place, &event.kind)?;
    }
    Ok(())
}

/// Where in the log, for messages: `event 7 (seq 7)`.
#[derive(Debug, Clone, Copy)]
struct Place {
    index: usize,
    seq: u64,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "event {} (seq {})", self.index, self.seq)
    }
}

fn check_event(
    protocol: &Protocol,
    ending: Ending,
    scrubber: &Scrubber,
    place: Place,
    kind: &EventKind,
) -> Result<(), NotAnonymised> {
    // Only these kinds can carry what the anonymiser changes; the rest
    // are not cloned at all (this runs for every record the server takes).
    let may_change = matches!(
        kind,
        EventKind::SessionStarted(_)
            | EventKind::Answered { .. }
            | EventKind::Amended { .. }
            | EventKind::NoteAdded { .. }
    );
    if !may_change {
        return Ok(());
    }
    if let EventKind::SessionStarted(start) = kind {
        check_start(start, ending, place)?;
    }
    let mut report = RedactionReport::default();
    let again = anonymise_kind(protocol, ending, kind, scrubber, &mut report);
    if again == *kind {
        return Ok(());
    }
    refuse(Rule::R21, describe(protocol, kind, &again, &report, place))
}

fn check_start(start: &SessionStart, ending: Ending, place: Place) -> Result<(), NotAnonymised> {
    check_reference(
        &format!("{place}: the session's respondent"),
        &start.respondent,
        ending,
    )?;
    if let Some(child) = &start.linked_child {
        check_reference(&format!("{place}: the linked child"), child, Ending::Other)?;
    }
    Ok(())
}

/// A reference number as the phone writes it (`K7QM-2XHD-P`), never a name.
/// Only an anonymous refusal has none.
fn check_reference(what: &str, text: &str, ending: Ending) -> Result<(), NotAnonymised> {
    if text.is_empty() {
        if ending == Ending::ConsentRefused {
            return Ok(());
        }
        return refuse(
            Rule::R21,
            format!("{what} is empty: only an anonymous refusal has no reference number"),
        );
    }
    if ending == Ending::ConsentRefused {
        return refuse(
            Rule::R21,
            format!("{what} is set on a refused consent: an anonymous refusal carries no reference number"),
        );
    }
    match RefNumber::parse(text) {
        Ok(code) if code.to_string() == text => Ok(()),
        Ok(_) => refuse(
            Rule::R21,
            format!("{what} is not written as the phone writes reference numbers (like K7QM-2XHD-P)"),
        ),
        Err(error) => refuse(
            Rule::R21,
            format!("{what} is not a reference number ({error}): records carry reference numbers, never names"),
        ),
    }
}

/// What the anonymiser would have changed, by field, without the value.
fn describe(
    protocol: &Protocol,
    sent: &EventKind,
    anonymised: &EventKind,
    report: &RedactionReport,
    place: Place,
) -> String {
    let found = found(report);
    match (sent, anonymised) {
        (EventKind::SessionStarted(_), _) => format!(
            "{place}: an anonymous refusal keeps no respondent age or linked child"
        ),
        (
            EventKind::Answered { question_id, .. } | EventKind::Amended { question_id, .. },
            EventKind::AnswerWithheld { .. },
        ) => format!(
            "{place}: question `{question_id}` is identifying; its answer never leaves the device (send AnswerWithheld)"
        ),
        (EventKind::Answered { question_id, value }, _)
        | (
            EventKind::Amended {
                question_id, value, ..
            },
            EventKind::Amended { .. },
        ) if matches!(value, Value::Location { .. }) => format!(
            "{place}: the location answering question `{question_id}` is finer than protocol `{}` keeps ({} decimal places)",
            protocol.id, protocol.privacy.location_decimals
        ),
        (EventKind::Answered { question_id, .. }, _) => format!(
            "{place}: the answer to question `{question_id}` holds {found}: scrub it before sync"
        ),
        (
            EventKind::Amended {
                question_id,
                value: sent_value,
                ..
            },
            EventKind::Amended { value, .. },
        ) => {
            let field = if sent_value == value {
                "reason"
            } else {
                "answer"
            };
            format!("{place}: the amendment's {field} for question `{question_id}` holds {found}: scrub it before sync")
        }
        (EventKind::NoteAdded { .. }, _) => {
            format!("{place}: the note holds {found}: scrub it before sync")
        }
        _ => format!("{place} is not anonymised as the device does it"),
    }
}

/// What the scrubber found, in words: `a phone number and an e-mail address`.
fn found(report: &RedactionReport) -> String {
    let mut kinds = Vec::new();
    if report.phones > 0 {
        kinds.push("a phone number");
    }
    if report.emails > 0 {
        kinds.push("an e-mail address");
    }
    if report.id_numbers > 0 {
        kinds.push("an ID-like number");
    }
    match kinds.as_slice() {
        [] => "something the scrubber removes".to_owned(),
        [one] => (*one).to_owned(),
        [first @ .., last] => format!("{} and {last}", first.join(", ")),
    }
}

fn precision_name(precision: TimestampPrecision) -> &'static str {
    match precision {
        TimestampPrecision::Hour => "hour",
        TimestampPrecision::Day => "day",
        TimestampPrecision::Week => "week",
    }
}

fn event_name(kind: &EventKind) -> &'static str {
    match kind {
        EventKind::SessionStarted(_) => "session start",
        EventKind::IntroductionGiven => "introduction",
        EventKind::DataUseExplained { .. } => "data use",
        EventKind::ConsentRecorded { .. } => "consent",
        EventKind::ParticipantAdded { .. } => "participant",
        EventKind::ScreeningAnswered { .. } => "screening item",
        EventKind::RapportConfirmed => "rapport",
        EventKind::Answered { .. } => "an answer",
        EventKind::Amended { .. } => "an amendment",
        EventKind::Skipped { .. } => "a skip",
        EventKind::AnswerWithheld { .. } => "a withheld answer",
        EventKind::OthersPresentChanged { .. } => "others present",
        EventKind::NoteAdded { .. } => "a note",
        EventKind::Tallied { .. } => "a tally",
        EventKind::IndicatorChecked { .. } => "an indicator",
        EventKind::Stopped { .. } => "stop",
        EventKind::Completed => "completion",
    }
}
