//! The shape of a protocol: languages, unique ids, method blocks and the
//! observation timing (R20).

use std::collections::BTreeSet;

use super::normalise::is_invisible;
use super::{escape, occurrences, questions_with_location, Findings, Severity};
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
    languages(p, out);
    ids(p, out);
    duplicate_ids(p, out);
    method_blocks(p, out);
}

/// Language tags such as `en`, `fr`, `en-GB`, `sw-KE`: two or three letters,
/// then optional subtags.
fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let primary = parts.next().unwrap_or("");
    (2..=3).contains(&primary.len())
        && primary.chars().all(|c| c.is_ascii_alphabetic())
        && parts.all(|s| (1..=8).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric()))
}

fn languages(p: &Protocol, out: &mut Findings) {
    let mut seen = BTreeSet::new();
    for lang in &p.languages {
        if !is_language_tag(lang) {
            out.error(
                "bad-language",
                "languages",
                format!(
                    "`{}` is not a language tag: write a code such as \"en\", \"fr\" or \"en-GB\"",
                    escape(lang)
                ),
            );
        } else if !seen.insert(lang.to_ascii_lowercase()) {
            out.error(
                "bad-language",
                "languages",
                format!("`{lang}` is listed twice in `languages`: list each language once"),
            );
        }
    }
}

/// The documented id patterns: `[a-z][a-z0-9_]*` for everything inside a
/// protocol (ids are used in expressions, locations and export columns),
/// `[a-z][a-z0-9-]*` for the protocol itself, at most [`MAX_ID`] characters.
pub(crate) const MAX_ID: usize = 64;

fn follows(id: &str, separator: char) -> bool {
    id.len() <= MAX_ID
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == separator)
}

fn ids(p: &Protocol, out: &mut Findings) {
    if !follows(&p.id, '-') {
        out.error(
            "bad-id",
            "id",
            format!(
                "the protocol id `{}` does not follow the pattern [a-z][a-z0-9-]* (lowercase letters, digits and dashes, at most {MAX_ID} characters): rename it, e.g. \"child-rapid-assessment\"",
                escape(&p.id)
            ),
        );
    }
    let check = |out: &mut Findings, what: &str, id: &str, location: String| {
        if !follows(id, '_') {
            out.error(
                "bad-id",
                location,
                format!(
                    "the {what} id `{}` does not follow the pattern [a-z][a-z0-9_]* (lowercase letters, digits and `_`, starting with a letter, at most {MAX_ID} characters): rename it, e.g. `{}`",
                    escape(id),
                    suggestion(id)
                ),
            );
        }
    };
    let rq = occurrences(p.research_questions.iter().map(|r| r.id.as_str()));
    for (loc, r) in rq.iter().zip(&p.research_questions) {
        check(
            out,
            "research question",
            &r.id,
            format!("research_questions.{loc}"),
        );
    }
    let sections = occurrences(p.sections.iter().map(|s| s.id.as_str()));
    for (loc, s) in sections.iter().zip(&p.sections) {
        check(out, "section", &s.id, format!("sections.{loc}"));
    }
    for (loc, q) in questions_with_location(p) {
        check(out, "question", &q.id, loc.clone());
        for (value, c) in occurrences(q.choices.iter().map(|c| c.value.as_str()))
            .iter()
            .zip(&q.choices)
        {
            let v = &c.value;
            if v.trim().is_empty()
                || v.len() > MAX_ID
                || v.chars()
                    .any(|c| c.is_whitespace() || c.is_control() || is_invisible(c))
            {
                out.error(
                    "bad-id",
                    format!("{loc}.choices.{value}"),
                    format!(
                        "question `{}` has the choice value `{}`: values are codes for exports, without spaces or invisible characters, at most {MAX_ID} characters, e.g. `{}`",
                        q.id,
                        escape(v),
                        suggestion(v)
                    ),
                );
            }
        }
    }
    if let Some(screening) = &p.screening {
        let items = occurrences(screening.items.iter().map(|i| i.id.as_str()));
        for (loc, i) in items.iter().zip(&screening.items) {
            check(
                out,
                "screening item",
                &i.id,
                format!("screening.items.{loc}"),
            );
        }
    }
    if let Some(obs) = &p.observation {
        for (loc, t) in occurrences(obs.tallies.iter().map(|t| t.id.as_str()))
            .iter()
            .zip(&obs.tallies)
        {
            check(out, "tally", &t.id, format!("observation.tallies.{loc}"));
        }
        for (loc, i) in occurrences(obs.indicators.iter().map(|i| i.id.as_str()))
            .iter()
            .zip(&obs.indicators)
        {
            check(
                out,
                "indicator",
                &i.id,
                format!("observation.indicators.{loc}"),
            );
        }
        for (loc, s) in occurrences(obs.site_types.iter().map(|s| s.id.as_str()))
            .iter()
            .zip(&obs.site_types)
        {
            check(
                out,
                "site type",
                &s.id,
                format!("observation.site_types.{loc}"),
            );
        }
    }
}

/// A well-formed id close to `id`, to show in the message.
fn suggestion(id: &str) -> String {
    let mut out = String::new();
    for c in id.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    let out = out.trim_end_matches('_');
    let out = if out.starts_with(|c: char| c.is_ascii_lowercase()) {
        out.to_owned()
    } else {
        format!("q_{out}")
    };
    out.chars().take(MAX_ID).collect()
}

/// Reports each id seen before in the same collection, at the repeat (whose
/// location carries its occurrence, `...hours#2`).
fn unique<'a>(
    out: &mut Findings,
    what: &str,
    collection: &str,
    ids: impl IntoIterator<Item = &'a str>,
) {
    let ids: Vec<&str> = ids.into_iter().collect();
    for (location, id) in occurrences(ids.iter().copied()).iter().zip(&ids) {
        if location.contains('#') {
            out.error(
                "duplicate-id",
                format!("{collection}.{location}"),
                format!(
                    "{what} id `{}` is used more than once: give each {what} its own id",
                    escape(id)
                ),
            );
        }
    }
}

fn duplicate_ids(p: &Protocol, out: &mut Findings) {
    unique(
        out,
        "research question",
        "research_questions",
        p.research_questions.iter().map(|rq| rq.id.as_str()),
    );
    unique(
        out,
        "section",
        "sections",
        p.sections.iter().map(|s| s.id.as_str()),
    );
    // Across sections: reported at the later question, wherever it is.
    let mut seen = BTreeSet::new();
    for (loc, q) in questions_with_location(p) {
        if !seen.insert(q.id.as_str()) {
            out.error(
                "duplicate-id",
                loc,
                format!(
                    "question id `{}` is used more than once: give each question its own id",
                    escape(&q.id)
                ),
            );
        }
    }
    if let Some(screening) = &p.screening {
        unique(
            out,
            "screening item",
            "screening.items",
            screening.items.iter().map(|i| i.id.as_str()),
        );
    }
    if let Some(obs) = &p.observation {
        unique(
            out,
            "tally",
            "observation.tallies",
            obs.tallies.iter().map(|t| t.id.as_str()),
        );
        unique(
            out,
            "indicator",
            "observation.indicators",
            obs.indicators.iter().map(|i| i.id.as_str()),
        );
        unique(
            out,
            "site type",
            "observation.site_types",
            obs.site_types.iter().map(|s| s.id.as_str()),
        );
    }
    for (loc, q) in questions_with_location(p) {
        let values = occurrences(q.choices.iter().map(|c| c.value.as_str()));
        for (i, (value, choice)) in values.iter().zip(&q.choices).enumerate() {
            // A cascading select may list a value again under another
            // condition (the same town name in two districts).
            let filtered_apart = |c: &crate::model::Choice| {
                c.relevant.is_some() && choice.relevant.is_some() && c.relevant != choice.relevant
            };
            let apart = q.choices[..i]
                .iter()
                .filter(|c| c.value == choice.value)
                .all(filtered_apart);
            if value.contains('#') && !apart {
                out.error(
                    "duplicate-id",
                    format!("{loc}.choices.{value}"),
                    format!(
                        "question `{}` lists the choice value `{}` twice: each choice needs its own value (a value may repeat only in a cascading select, under a different `relevant`)",
                        q.id,
                        escape(&choice.value)
                    ),
                );
            }
        }
    }
}

fn method_blocks(p: &Protocol, out: &mut Findings) {
    match p.method {
        Method::FocusGroup | Method::Validation => match &p.focus_group {
            None => out.error(
                "method-block",
                "focus_group",
                format!("a {} protocol needs a [focus_group] block with min_participants and max_participants", p.method.as_str()),
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
