//! The questions themselves: order (R6), purpose (R16), identifying fields on
//! observation sheets (R21), disaggregation (R23), choices and expressions.

use std::collections::{BTreeMap, BTreeSet};

use super::{questions_with_location, Findings, Severity};
use crate::model::{
    Dimension, Method, Protocol, Question, QuestionKind, Respondents, DISAGGREGATION_PURPOSE,
};
use crate::rules::Rule;

pub(super) fn check(p: &Protocol, out: &mut Findings) {
    sensitive_last(p, out);
    purposes(p, out);
    if p.method == Method::DirectObservation {
        observation_sheet(p, out);
    }
    if p.respondents() == Respondents::Children {
        disaggregation(p, out);
    }
    for (loc, q) in questions_with_location(p) {
        if q.kind.needs_choices() && q.choices.is_empty() {
            out.error(
                "missing-choices",
                format!("{loc}.choices"),
                format!(
                    "question `{}` is a {} question with no choices: add [[...choices]] with value and label",
                    q.id,
                    kind_name(q.kind)
                ),
            );
        }
    }
    super::expressions::check(p, out);
}

pub(crate) fn kind_name(kind: QuestionKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn sensitive_last(p: &Protocol, out: &mut Findings) {
    let asked = questions_with_location(p);
    // One pass from the end, remembering the nearest later non-sensitive
    // question: linear, however many sensitive questions there are.
    let mut later: Option<&Question> = None;
    let mut found = Vec::new();
    for (loc, q) in asked.iter().rev() {
        if !q.sensitive {
            later = Some(q);
        } else if let Some(later) = later {
            found.push((loc, q, later));
        }
    }
    for (loc, q, later) in found.into_iter().rev() {
        out.rule(
            Rule::R6,
            Severity::Error,
            loc.clone(),
            format!(
                "question `{}` is sensitive but comes before `{}`, which is not: move sensitive questions to the end",
                q.id, later.id
            ),
        );
    }
}

fn purposes(p: &Protocol, out: &mut Findings) {
    let known: BTreeSet<&str> = p
        .research_questions
        .iter()
        .map(|rq| rq.id.as_str())
        .collect();
    let mut check = |what: String, location: String, purpose: &str| {
        let purpose = purpose.trim();
        if purpose == DISAGGREGATION_PURPOSE || known.contains(purpose) {
            return;
        }
        let ids: Vec<&str> = known.iter().copied().collect();
        let message = if purpose.is_empty() {
            format!("{what} has no purpose: say which research question it serves")
        } else {
            format!("{what} has purpose = \"{purpose}\", which is not a research question id")
        };
        out.rule(
            Rule::R16,
            Severity::Error,
            location,
            format!(
                "{message} (one of {}, or \"{DISAGGREGATION_PURPOSE}\"), or drop it if no research question needs it",
                if ids.is_empty() { "none declared".to_owned() } else { ids.join(", ") }
            ),
        );
    };
    for (loc, q) in questions_with_location(p) {
        check(
            format!("question `{}`", q.id),
            format!("{loc}.purpose"),
            &q.purpose,
        );
    }
    if let Some(obs) = &p.observation {
        for t in &obs.tallies {
            let loc = format!("observation.tallies.{}.purpose", t.id);
            check(format!("tally `{}`", t.id), loc, &t.purpose);
        }
        for i in &obs.indicators {
            let loc = format!("observation.indicators.{}.purpose", i.id);
            check(format!("indicator `{}`", i.id), loc, &i.purpose);
        }
    }
}

fn observation_sheet(p: &Protocol, out: &mut Findings) {
    for (loc, q) in questions_with_location(p) {
        if q.identifying {
            out.rule(
                Rule::R21,
                Severity::Error,
                format!("{loc}.identifying"),
                format!(
                    "question `{}` is marked identifying, but an observation sheet must not record anything that identifies a person: remove the question",
                    q.id
                ),
            );
        } else if q.kind.is_free_text() {
            out.rule(
                Rule::R21,
                Severity::Warning,
                loc,
                format!(
                    "question `{}` takes free text on an observation sheet, which invites descriptions of a person: prefer a tally or a choice",
                    q.id
                ),
            );
        }
    }
}

fn disaggregation(p: &Protocol, out: &mut Findings) {
    let mut declared: BTreeMap<Dimension, (String, &Question)> = BTreeMap::new();
    for (loc, q) in questions_with_location(p) {
        if let Some(dim) = q.disaggregation {
            declared.entry(dim).or_insert((loc, q));
        }
    }
    for dim in Dimension::ALL {
        if !declared.contains_key(&dim) {
            out.rule(
                Rule::R23,
                Severity::Warning,
                "sections",
                format!(
                    "no question declares disaggregation = \"{}\": add one (purpose = \"{DISAGGREGATION_PURPOSE}\") so results can be broken down by {}",
                    dim.as_str(),
                    dim.as_str()
                ),
            );
        }
    }
    if let Some((loc, q)) = declared.get(&Dimension::Age) {
        if q.kind != QuestionKind::Integer {
            out.rule(
                Rule::R23,
                Severity::Error,
                format!("{loc}.kind"),
                format!(
                    "the age question `{}` is {}: ask age as kind = \"integer\" in whole years, so any age grouping can be made later",
                    q.id,
                    kind_name(q.kind)
                ),
            );
        }
    }
}
