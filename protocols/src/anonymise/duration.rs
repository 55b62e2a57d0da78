//! An interview's length, coarse (R21): supervisors look for interviews far
//! shorter than the protocol's usual, which event times cut to the hour or
//! the day cannot show. The phone measures first to last event on its own
//! clock and sends whole steps of [`DURATION_STEP_MINUTES`], rounded down:
//! enough to tell a ten-minute interview from a forty-minute one, too coarse
//! to time anyone.
//!
//! The server checks it as it checks everything else the anonymiser makes:
//! a length finer than the step, one the coarsened event times cannot have
//! come from, or one on a session that keeps only a refusal or a screening
//! is refused. A record without it (an older phone) passes.

use time::Duration;

use super::check::NotAnonymised;
use super::Ending;
use crate::engine::{Event, EventKind};
use crate::model::{Protocol, TimestampPrecision};
use crate::rules::Rule;

/// The step an interview's length is sent in, in minutes.
pub const DURATION_STEP_MINUTES: u32 = 5;

/// The coarse length of a finished session's original log, in minutes (a
/// multiple of [`DURATION_STEP_MINUTES`]), for what the anonymiser sends.
/// `None` for a refused consent or a positive screen: those keep only what
/// the refusal or referral needs (R1, R5), and no length is needed for them.
pub fn coarse_duration(events: &[Event]) -> Option<u32> {
    if Ending::of(events) != Ending::Other {
        return None;
    }
    let first = events.first()?;
    // What is sent ends at the stop or the completion.
    let last = events
        .iter()
        .find(|e| matches!(e.kind, EventKind::Stopped { .. } | EventKind::Completed))
        .or(events.last())?;
    let minutes = (last.at - first.at).whole_minutes().max(0);
    let minutes = u32::try_from(minutes).unwrap_or(u32::MAX);
    Some(minutes - minutes % DURATION_STEP_MINUTES)
}

/// Checks the length an envelope states against its (anonymised) log.
pub fn check_duration(
    protocol: &Protocol,
    events: &[Event],
    minutes: Option<u32>,
) -> Result<(), NotAnonymised> {
    let Some(minutes) = minutes else {
        return Ok(());
    };
    let refuse = |rule: Rule, message: String| Err(NotAnonymised { rule, message });
    match Ending::of(events) {
        Ending::ConsentRefused => {
            return refuse(
                Rule::R1,
                "the envelope states an interview length on a refused consent: an anonymous refusal keeps no length".to_owned(),
            )
        }
        Ending::ScreenedPositive => {
            return refuse(
                Rule::R5,
                "the envelope states an interview length on a positive screen: it keeps only the screening and the stop".to_owned(),
            )
        }
        Ending::Other => {}
    }
    if minutes % DURATION_STEP_MINUTES != 0 {
        return refuse(
            Rule::R21,
            format!(
                "the interview length is finer than the device sends it (whole steps of {DURATION_STEP_MINUTES} minutes): the device coarsens it before sync"
            ),
        );
    }
    let (Some(first), Some(last)) = (events.first(), events.last()) else {
        return Ok(());
    };
    // Each coarsened time stands for a span of one unit of the protocol's
    // precision, so the true length lies within one unit of the span
    // between the first and last stated times; the stated step must meet it.
    let unit = match protocol.privacy.timestamp_precision {
        TimestampPrecision::Hour => Duration::HOUR,
        TimestampPrecision::Day => Duration::DAY,
        TimestampPrecision::Week => Duration::WEEK,
    };
    let span = last.at - first.at;
    let low = Duration::minutes(i64::from(minutes));
    let high = low + Duration::minutes(i64::from(DURATION_STEP_MINUTES));
    if low >= span + unit || high <= span - unit {
        return refuse(
            Rule::R21,
            "the interview length does not fit the session's event times: send the length the device measured".to_owned(),
        );
    }
    Ok(())
}
