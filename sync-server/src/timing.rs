//! Plausible time (issue 14). Field phones often have wrong clocks (a flat
//! battery resets them), and a sealed session cannot be re-dated, so
//! refusing one would lose the interview. Events out of order within a
//! session stay refused (the engine does that); a session dated after the
//! server received it (beyond [`CLOCK_TOLERANCE`]) or before its protocol
//! version was published is stored with a time finding that supervisors see
//! on the compliance page, with both times, never silently.

use fieldkit_protocols::anonymise::truncate_time;
use fieldkit_protocols::engine::Event;
use fieldkit_protocols::model::TimestampPrecision;
use fieldkit_protocols::rules::Rule;
use fieldkit_protocols::wire::CLOCK_TOLERANCE;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

/// The rule a time finding names: reports say how (and when) the research
/// was done, and a wrong date misleads the methodology summary and the
/// coverage map.
pub const TIME_RULE: Rule = Rule::R26;

/// Findings for a session whose dates cannot be right. `received` is when
/// the server took the record; `published` when its protocol version was
/// published. Times on the wire are cut to the protocol's precision, so the
/// publication is compared cut the same way: a session on the day a
/// protocol was published is not "before" it.
pub fn time_findings(
    events: &[Event],
    received: OffsetDateTime,
    published: OffsetDateTime,
    precision: TimestampPrecision,
) -> Vec<(Rule, String)> {
    // Events never go back in time (the engine refuses that), so the first
    // is the earliest and the last the latest.
    let (Some(first), Some(last)) = (events.first(), events.last()) else {
        return Vec::new();
    };
    let mut findings = Vec::new();
    let tolerance = CLOCK_TOLERANCE.whole_minutes();
    if last.at > received + CLOCK_TOLERANCE {
        findings.push((
            TIME_RULE,
            format!(
                "The session is dated {} by the phone's clock, after the server received it ({}), by more than the {tolerance} minutes allowed: the phone's clock was probably wrong. Its dates in reports and on the coverage map are not reliable; ask the researcher to set the phone's date and time.",
                show(last.at),
                show(received)
            ),
        ));
    }
    let published_cut = truncate_time(published, precision);
    if first.at < published_cut - CLOCK_TOLERANCE {
        findings.push((
            TIME_RULE,
            format!(
                "The session is dated {} by the phone's clock, before its protocol version was published ({}): the phone's clock was probably wrong (a flat battery can reset it). Its dates in reports and on the coverage map are not reliable; ask the researcher to set the phone's date and time.",
                show(first.at),
                show(published)
            ),
        ));
    }
    findings
}

/// `2026-12-02 14:05 UTC`: what a supervisor reads.
pub fn show(at: OffsetDateTime) -> String {
    at.to_offset(UtcOffset::UTC)
        .format(format_description!(
            "[year]-[month]-[day] [hour]:[minute] UTC"
        ))
        .unwrap_or_else(|_| at.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use fieldkit_protocols::engine::EventKind;
    use time::macros::datetime;

    fn log(times: &[OffsetDateTime]) -> Vec<Event> {
        times
            .iter()
            .enumerate()
            .map(|(i, at)| Event {
                seq: i as u64,
                at: *at,
                kind: EventKind::IntroductionGiven,
            })
            .collect()
    }

    const RECEIVED: OffsetDateTime = datetime!(2026-12-02 14:05 UTC);
    const PUBLISHED: OffsetDateTime = datetime!(2026-11-30 16:20 UTC);

    #[test]
    fn a_session_on_the_day_of_publication_or_within_the_skew_is_fine() {
        let day = TimestampPrecision::Day;
        // Cut to the day, a session on publication day is dated midnight.
        let events = log(&[datetime!(2026-11-30 00:00 UTC), RECEIVED + CLOCK_TOLERANCE]);
        assert!(time_findings(&events, RECEIVED, PUBLISHED, day).is_empty());
    }

    #[test]
    fn a_future_or_pre_publication_session_gets_both_times() {
        let events = log(&[datetime!(2031-05-01 00:00 UTC)]);
        let found = time_findings(&events, RECEIVED, PUBLISHED, TimestampPrecision::Hour);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, Rule::R26);
        assert!(
            found[0].1.contains("2031-05-01 00:00 UTC"),
            "{}",
            found[0].1
        );
        assert!(
            found[0].1.contains("2026-12-02 14:05 UTC"),
            "{}",
            found[0].1
        );

        let events = log(&[
            datetime!(2000-01-01 00:00 UTC),
            datetime!(2000-01-01 01:00 UTC),
        ]);
        let found = time_findings(&events, RECEIVED, PUBLISHED, TimestampPrecision::Day);
        assert_eq!(found.len(), 1);
        assert!(
            found[0].1.contains("2000-01-01 00:00 UTC"),
            "{}",
            found[0].1
        );
        assert!(
            found[0].1.contains("2026-11-30 16:20 UTC"),
            "{}",
            found[0].1
        );
    }
}
