//! The team view's numbers, per researcher: sessions, completions, stops,
//! refusals, deviations per 10 sessions by rule, sessions and deviations per
//! week, and quality flags. Plain data in, plain data out, so it is tested
//! without a server.
//!
//! The flags point at something worth a conversation, never at a verdict:
//! each says what was seen and what else could explain it. Identical answer
//! patterns are found from a digest of each session's given answers, on the
//! server; the supervisor sees how many sessions share a pattern, never the
//! answers themselves.

use std::collections::{BTreeMap, HashMap};

use fieldkit_protocols::rules::Rule;
use time::{Date, Duration};

/// What the team view needs of one session (no answers, only a digest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionLine {
    pub researcher: String,
    pub protocol_id: String,
    pub day: Date,
    pub completed: bool,
    pub refused: bool,
    /// Stopped for another reason (a positive screen, the child stopped).
    pub stopped: bool,
    /// Digest of the given answers, with how many there were.
    pub pattern: Option<(u64, usize)>,
    /// The interview's length in steps of five minutes, if the phone sent it.
    pub minutes: Option<u32>,
}

/// A session pattern counts only with at least this many given answers:
/// short sessions (a refusal, a positive screen) are alike by nature.
pub const PATTERN_MIN_ANSWERS: usize = 5;
/// A day is busy with at least this many sessions and twice the team's
/// usual number per working day.
pub const BUSY_DAY_MIN: u64 = 8;
/// Weeks shown in the trend, ending with the current one.
pub const WEEKS: usize = 8;
/// Short interviews are looked for only among completed interviews of a
/// protocol with at least this many timed ones across the team...
pub const SHORT_MIN_TEAM: usize = 6;
/// ...for a researcher with at least this many timed ones...
pub const SHORT_MIN_OWN: usize = 3;
/// ...whose own median is at most this share (in percent) of the protocol's.
pub const SHORT_SHARE_PERCENT: u32 = 50;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flag {
    /// `sessions` started on one `day`; the team's usual day has `usual`.
    BusyDay {
        day: Date,
        sessions: u64,
        usual: u64,
    },
    /// `sessions` sessions of `protocol` share the same `answers` given answers.
    IdenticalAnswers {
        protocol: String,
        sessions: usize,
        answers: usize,
    },
    /// The researcher's completed interviews of `protocol` (`interviews` of
    /// them timed) took `median` minutes at the median; the team's took
    /// `usual`.
    ShortInterviews {
        protocol: String,
        interviews: usize,
        median: u32,
        usual: u32,
    },
}

impl Flag {
    /// The flag in plain words, with what else could explain it.
    pub fn explain(&self) -> String {
        match self {
            Flag::BusyDay {
                day,
                sessions,
                usual,
            } => format!(
                "{sessions} sessions started on {day}; the team's usual working day has {usual}. \
                 Many sessions in a short time can mean rushed interviews, or a busy site on a \
                 good day: ask the researcher how the day went before drawing any conclusion."
            ),
            Flag::IdenticalAnswers {
                protocol,
                sessions,
                answers,
            } => format!(
                "{sessions} sessions of {protocol} have exactly the same {answers} answers. \
                 Different respondents rarely answer alike, so this can point to copied or \
                 invented answers; it can also come from a protocol with few closed questions. \
                 Look at these sessions together with the researcher."
            ),
            Flag::ShortInterviews {
                protocol,
                interviews,
                median,
                usual,
            } => format!(
                "{interviews} completed interviews of {protocol} took {median} minutes at the median; \
                 the team's usual interview of {protocol} takes {usual} minutes. Interviews far shorter \
                 than usual can mean questions rushed or skipped; they can also come from respondents \
                 with little to tell, many questions that did not apply, or an experienced researcher. \
                 Go through a few of these interviews with the researcher before drawing any conclusion."
            ),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResearcherStats {
    pub sessions: u64,
    pub completions: u64,
    pub stops: u64,
    pub refusals: u64,
    /// Findings per rule.
    pub deviations: BTreeMap<Rule, u64>,
    /// (first day of the week, sessions, deviations), oldest first.
    pub weeks: Vec<(Date, u64, u64)>,
    pub flags: Vec<Flag>,
}

impl ResearcherStats {
    /// Findings of `rule` per 10 sessions, to one decimal.
    pub fn per_ten(&self, rule: Rule) -> f64 {
        let n = self.deviations.get(&rule).copied().unwrap_or(0);
        if self.sessions == 0 {
            return 0.0;
        }
        (n as f64 * 100.0 / self.sessions as f64).round() / 10.0
    }
}

fn monday(day: Date) -> Date {
    day - Duration::days(i64::from(day.weekday().number_days_from_monday()))
}

/// The team's numbers. `findings` is (researcher, rule, day of the record).
pub fn team(
    sessions: &[SessionLine],
    findings: &[(String, Rule, Date)],
    today: Date,
) -> BTreeMap<String, ResearcherStats> {
    let mut out: BTreeMap<String, ResearcherStats> = BTreeMap::new();
    let first_week = monday(today) - Duration::weeks(WEEKS as i64 - 1);
    let week_index = |day: Date| -> Option<usize> {
        let i = (monday(day) - first_week).whole_weeks();
        usize::try_from(i).ok().filter(|i| *i < WEEKS)
    };
    let blank_weeks = || -> Vec<(Date, u64, u64)> {
        (0..WEEKS)
            .map(|i| (first_week + Duration::weeks(i as i64), 0, 0))
            .collect()
    };
    let mut per_day: HashMap<(&str, Date), u64> = HashMap::new();
    let mut patterns: HashMap<(&str, &str, u64, usize), usize> = HashMap::new();
    for s in sessions {
        let stats = out.entry(s.researcher.clone()).or_default();
        if stats.weeks.is_empty() {
            stats.weeks = blank_weeks();
        }
        stats.sessions += 1;
        stats.completions += u64::from(s.completed);
        stats.refusals += u64::from(s.refused);
        stats.stops += u64::from(s.stopped);
        if let Some(i) = week_index(s.day) {
            stats.weeks[i].1 += 1;
        }
        *per_day.entry((s.researcher.as_str(), s.day)).or_default() += 1;
        if let Some((digest, n)) = s.pattern.filter(|(_, n)| *n >= PATTERN_MIN_ANSWERS) {
            *patterns
                .entry((s.researcher.as_str(), s.protocol_id.as_str(), digest, n))
                .or_default() += 1;
        }
    }
    for (researcher, rule, day) in findings {
        let stats = out.entry(researcher.clone()).or_default();
        if stats.weeks.is_empty() {
            stats.weeks = blank_weeks();
        }
        *stats.deviations.entry(*rule).or_default() += 1;
        if let Some(i) = week_index(*day) {
            stats.weeks[i].2 += 1;
        }
    }
    // The team's usual working day: the median of sessions per day worked.
    let mut days: Vec<u64> = per_day.values().copied().collect();
    days.sort_unstable();
    let usual = days.get(days.len() / 2).copied().unwrap_or(0);
    let mut busy: Vec<(&str, Date, u64)> = per_day
        .iter()
        .filter(|(_, n)| **n >= BUSY_DAY_MIN && **n >= 2 * usual)
        .map(|((r, d), n)| (*r, *d, *n))
        .collect();
    busy.sort();
    for (researcher, day, n) in busy {
        if let Some(stats) = out.get_mut(researcher) {
            stats.flags.push(Flag::BusyDay {
                day,
                sessions: n,
                usual,
            });
        }
    }
    for (researcher, flag) in short_interviews(sessions) {
        if let Some(stats) = out.get_mut(&researcher) {
            stats.flags.push(flag);
        }
    }
    let mut alike: Vec<_> = patterns.into_iter().filter(|(_, n)| *n >= 2).collect();
    alike.sort();
    for ((researcher, protocol, _, answers), n) in alike {
        if let Some(stats) = out.get_mut(researcher) {
            stats.flags.push(Flag::IdenticalAnswers {
                protocol: protocol.to_owned(),
                sessions: n,
                answers,
            });
        }
    }
    out
}

/// The middle value (the lower of the two middle ones for an even count).
fn median(values: &mut [u32]) -> Option<u32> {
    values.sort_unstable();
    values.get(values.len().saturating_sub(1) / 2).copied()
}

/// Researchers whose completed, timed interviews of a protocol are far
/// shorter than the team's for that protocol, by researcher then protocol.
fn short_interviews(sessions: &[SessionLine]) -> Vec<(String, Flag)> {
    let mut team: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    let mut own: BTreeMap<(&str, &str), Vec<u32>> = BTreeMap::new();
    for s in sessions.iter().filter(|s| s.completed) {
        if let Some(minutes) = s.minutes {
            team.entry(&s.protocol_id).or_default().push(minutes);
            own.entry((&s.researcher, &s.protocol_id))
                .or_default()
                .push(minutes);
        }
    }
    let mut flags = Vec::new();
    for ((researcher, protocol), mut minutes) in own {
        let Some(all) = team
            .get_mut(protocol)
            .filter(|all| all.len() >= SHORT_MIN_TEAM)
        else {
            continue;
        };
        let interviews = minutes.len();
        let (Some(usual), Some(median)) = (median(all), median(&mut minutes)) else {
            continue;
        };
        let far_shorter =
            u64::from(median) * 100 <= u64::from(usual) * u64::from(SHORT_SHARE_PERCENT);
        if interviews >= SHORT_MIN_OWN && median < usual && far_shorter {
            flags.push((
                researcher.to_owned(),
                Flag::ShortInterviews {
                    protocol: protocol.to_owned(),
                    interviews,
                    median,
                    usual,
                },
            ));
        }
    }
    flags
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn line(researcher: &str, day: Date, pattern: Option<(u64, usize)>) -> SessionLine {
        SessionLine {
            researcher: researcher.into(),
            protocol_id: "child".into(),
            day,
            completed: true,
            refused: false,
            stopped: false,
            pattern,
            minutes: None,
        }
    }

    #[test]
    fn counts_rates_weeks_and_flags() {
        let today = date!(2026 - 03 - 11); // a Wednesday
        let mut sessions = Vec::new();
        // Amina: two sessions a day on three days.
        let days = [
            date!(2026 - 03 - 02),
            date!(2026 - 03 - 03),
            date!(2026 - 03 - 04),
        ];
        for (i, day) in days.into_iter().enumerate() {
            sessions.push(line("Amina", day, Some((i as u64, 9))));
            sessions.push(line("Amina", day, Some((7, 3))));
        }
        // Kwame: ten on one day, three with the same nine answers.
        for i in 0..10 {
            let pattern = if i < 3 { (42, 9) } else { (100 + i, 9) };
            sessions.push(line("Kwame", date!(2026 - 03 - 10), Some(pattern)));
        }
        sessions[0].refused = true;
        sessions[0].completed = false;
        let findings = vec![
            ("Amina".to_owned(), Rule::R6, date!(2026 - 03 - 02)),
            ("Amina".to_owned(), Rule::R6, date!(2026 - 03 - 10)),
            ("Amina".to_owned(), Rule::R8, date!(2026 - 03 - 10)),
        ];
        let stats = team(&sessions, &findings, today);
        let amina = &stats["Amina"];
        assert_eq!(
            (amina.sessions, amina.completions, amina.refusals),
            (6, 5, 1)
        );
        assert_eq!(amina.per_ten(Rule::R6), 3.3);
        assert_eq!(amina.per_ten(Rule::R14), 0.0);
        assert_eq!(amina.weeks.len(), WEEKS);
        assert_eq!(amina.weeks[WEEKS - 2], (date!(2026 - 03 - 02), 6, 1));
        assert_eq!(amina.weeks[WEEKS - 1], (date!(2026 - 03 - 09), 0, 2));
        // Two alike sessions with only three answers are not a pattern.
        assert!(amina.flags.is_empty(), "{:?}", amina.flags);
        let kwame = &stats["Kwame"];
        assert_eq!(
            kwame.flags,
            [
                Flag::BusyDay {
                    day: date!(2026 - 03 - 10),
                    sessions: 10,
                    usual: 2
                },
                Flag::IdenticalAnswers {
                    protocol: "child".into(),
                    sessions: 3,
                    answers: 9
                }
            ]
        );
        assert!(kwame.flags[0]
            .explain()
            .contains("before drawing any conclusion"));
    }

    #[test]
    fn flags_interviews_far_shorter_than_the_protocol_median() {
        let today = date!(2026 - 03 - 11);
        let day = date!(2026 - 03 - 09);
        let timed = |researcher: &str, minutes: Option<u32>| SessionLine {
            minutes,
            ..line(researcher, day, None)
        };
        let mut sessions = Vec::new();
        for minutes in [35, 40, 45, 40, 40, 35] {
            sessions.push(timed("Amina", Some(minutes)));
        }
        // Kwame: three of his four completed interviews take ten minutes.
        for minutes in [10, 10, 15, 40] {
            sessions.push(timed("Kwame", Some(minutes)));
        }
        // Efua: two short ones are too few to say anything.
        for minutes in [5, 10] {
            sessions.push(timed("Efua", Some(minutes)));
        }
        // Yaw: short, but only a refusal and two sessions from an old phone.
        let mut refusal = timed("Yaw", Some(5));
        refusal.completed = false;
        sessions.extend([refusal, timed("Yaw", None), timed("Yaw", None)]);
        let stats = team(&sessions, &[], today);
        // The team's median of the twelve timed completed interviews is 35.
        assert_eq!(
            stats["Kwame"].flags,
            [Flag::ShortInterviews {
                protocol: "child".into(),
                interviews: 4,
                median: 10,
                usual: 35
            }]
        );
        let words = stats["Kwame"].flags[0].explain();
        assert!(words.contains("took 10 minutes at the median"), "{words}");
        assert!(words.contains("before drawing any conclusion"), "{words}");
        for calm in ["Amina", "Efua", "Yaw"] {
            assert!(
                stats[calm].flags.is_empty(),
                "{calm}: {:?}",
                stats[calm].flags
            );
        }
        // Without enough timed interviews in the team, nobody is compared.
        let few: Vec<SessionLine> = sessions[6..11].to_vec();
        assert!(team(&few, &[], today)["Kwame"].flags.is_empty());
    }
}
