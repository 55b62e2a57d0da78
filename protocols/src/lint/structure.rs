//! The shape of a protocol: languages, unique ids, method blocks and the
//! observation timing (R20).

use std::collections::BTreeSet;

use super::{questions_with_location, Findings, Severity};
use crate::model::{Method, Observation, Protocol};
use crate::rules::Rule;

pub(super) fn check(p: &Protocol, out: &mut Findings) {
    if p.languages.is_empty() {
        out.error(
            "no-languages",
            "languages",
            "`languages` is empty: list the language codes every text is written in, e.g. languages = [\"en\", \"fr\"]",
        );
    }
    duplicate_ids(p, out);
    method_blocks(p, out);
}

/// Reports each id seen before in the same collection, at the repeat.
fn unique<'a>(out: &mut Findings, what: &str, items: impl IntoIterator<Item = (&'a str, String)>) {
    let mut seen = BTreeSet::new();
    for (id, location) in items {
        if !seen.insert(id) {
            out.error(
                "duplicate-id",
                location,
                format!("{what} id `{id}` is used more than once: give each {what} its own id"),
            );
        }
    }
}

fn duplicate_ids(p: &Protocol, out: &mut Findings) {
    unique(
        out,
        "research question",
        p.research_questions
            .iter()
            .map(|rq| (rq.id.as_str(), format!("research_questions.{}", rq.id))),
    );
    unique(
        out,
        "section",
        p.sections
            .iter()
            .map(|s| (s.id.as_str(), format!("sections.{}", s.id))),
    );
    unique(
        out,
        "question",
        questions_with_location(p).map(|(loc, q)| (q.id.as_str(), loc)),
    );
    if let Some(screening) = &p.screening {
        unique(
            out,
            "screening item",
            screening
                .items
                .iter()
                .map(|i| (i.id.as_str(), format!("screening.items.{}", i.id))),
        );
    }
    if let Some(obs) = &p.observation {
        unique(
            out,
            "tally",
            obs.tallies
                .iter()
                .map(|t| (t.id.as_str(), format!("observation.tallies.{}", t.id))),
        );
        unique(
            out,
            "indicator",
            obs.indicators
                .iter()
                .map(|i| (i.id.as_str(), format!("observation.indicators.{}", i.id))),
        );
        unique(
            out,
            "site type",
            obs.site_types
                .iter()
                .map(|s| (s.id.as_str(), format!("observation.site_types.{}", s.id))),
        );
    }
    for (loc, q) in questions_with_location(p) {
        let mut seen = BTreeSet::new();
        for choice in &q.choices {
            if !seen.insert(choice.value.as_str()) {
                out.error(
                    "duplicate-id",
                    format!("{loc}.choices.{}", choice.value),
                    format!(
                        "question `{}` lists the choice value `{}` twice: each choice needs its own value",
                        q.id, choice.value
                    ),
                );
            }
        }
    }
}

fn method_blocks(p: &Protocol, out: &mut Findings) {
    match p.method {
        Method::FocusGroup => match &p.focus_group {
            None => out.error(
                "method-block",
                "focus_group",
                "a focus_group protocol needs a [focus_group] block with min_participants and max_participants",
            ),
            Some(fg) if fg.max_participants == 0 || fg.min_participants > fg.max_participants => {
                out.error(
                    "method-block",
                    "focus_group.min_participants",
                    format!(
                        "[focus_group] asks for {} to {} participants: min_participants must be at most max_participants, and max_participants above 0",
                        fg.min_participants, fg.max_participants
                    ),
                );
            }
            Some(_) => {}
        },
        Method::DirectObservation => match &p.observation {
            None => {
                out.error(
                    "method-block",
                    "observation",
                    "a direct_observation protocol needs an [observation] block: site_types, time_windows, tallies, age_groups and indicators",
                );
                out.rule(
                    Rule::R20,
                    Severity::Error,
                    "observation",
                    "nothing says when to observe: add [observation] with [[observation.time_windows]] for the hours the activity really happens (evenings, nights, weekends)",
                );
            }
            Some(obs) => time_windows(obs, out),
        },
        _ => {}
    }
}

fn time_windows(obs: &Observation, out: &mut Findings) {
    if obs.time_windows.is_empty() {
        out.rule(
            Rule::R20,
            Severity::Error,
            "observation.time_windows",
            "[observation] has no time windows: add [[observation.time_windows]] with days, start and end for when the activity happens",
        );
    }
    for (i, window) in obs.time_windows.iter().enumerate() {
        let loc = format!("observation.time_windows[{i}]");
        if window.days.is_empty() {
            out.rule(
                Rule::R20,
                Severity::Error,
                format!("{loc}.days"),
                format!(
                    "time window {} has no days: list them, e.g. days = [\"fri\", \"sat\"]",
                    i + 1
                ),
            );
        }
        for (field, value) in [("start", &window.start), ("end", &window.end)] {
            if !is_hh_mm(value) {
                out.rule(
                    Rule::R20,
                    Severity::Error,
                    format!("{loc}.{field}"),
                    format!(
                        "time window {} has {field} = \"{value}\": write a 24-hour time HH:MM, e.g. \"22:30\"",
                        i + 1
                    ),
                );
            }
        }
    }
}

/// `HH:MM`, 00:00 to 23:59, exactly five characters.
pub(crate) fn is_hh_mm(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 5 || b[2] != b':' || !s.is_ascii() {
        return false;
    }
    let (Ok(h), Ok(m)) = (s[..2].parse::<u8>(), s[3..].parse::<u8>()) else {
        return false;
    };
    b[..2].iter().chain(&b[3..]).all(u8::is_ascii_digit) && h < 24 && m < 60
}
