//! Settings that must not go below a floor: small-cell suppression (R27),
//! location precision (R21), the bounds of the age question (R23) and who
//! the respondents are (R1, R2): a protocol cannot switch the child rules off
//! by declaring `respondents = "adults"` or `"nobody"`.

use std::collections::BTreeMap;

use super::texts::says_nothing;
use super::{questions_with_location, Findings, Severity};
use crate::expr;
use crate::model::{Dimension, Method, Protocol, Question, Respondents};
use crate::rules::Rule;
use crate::value::Value;

/// Cells below this need a written reason (R27; the manual's small groups).
pub const MIN_CELL_SIZE: u32 = 5;
/// Below this no reason is enough: a cell of one or two is a person.
pub const MIN_CELL_SIZE_WITH_REASON: u32 = 3;
/// Decimal places of a coordinate kept off the device: 2 is about 1 km; 3
/// (about 100 m) can point at a home, a workplace or a school.
pub const MAX_LOCATION_DECIMALS: u8 = 2;
/// No one is older.
pub const MAX_AGE: i64 = 120;
/// Under this, a respondent is a child (CRC, ILO C182, Palermo Protocol).
pub const ADULT_AGE: i64 = 18;

pub(super) fn check(p: &Protocol, out: &mut Findings) {
    privacy(p, out);
    let ages = age_questions(p);
    for (loc, q) in &ages {
        age_bounds(loc, q, out);
    }
    respondents(p, &ages, out);
}

fn privacy(p: &Protocol, out: &mut Findings) {
    let privacy = &p.privacy;
    let size = privacy.min_cell_size;
    let reason = privacy
        .min_cell_size_reason
        .as_deref()
        .filter(|r| !super::consent::is_blank(r) && says_nothing(r, false).is_none());
    if size < MIN_CELL_SIZE_WITH_REASON {
        out.rule(
            Rule::R27,
            Severity::Error,
            "privacy.min_cell_size",
            format!("min_cell_size = {size} shows groups of {size} in reports, and a group that small is a person: use {MIN_CELL_SIZE} (at least {MIN_CELL_SIZE_WITH_REASON}, with min_cell_size_reason)"),
        );
    } else if size < MIN_CELL_SIZE {
        match reason {
            None => out.rule(
                Rule::R27,
                Severity::Error,
                "privacy.min_cell_size",
                format!("min_cell_size = {size} is below {MIN_CELL_SIZE}: small groups can identify a child; use {MIN_CELL_SIZE}, or say why in min_cell_size_reason (your ethics review will read it)"),
            ),
            Some(reason) => out.rule(
                Rule::R27,
                Severity::Warning,
                "privacy.min_cell_size",
                format!("min_cell_size = {size} is below {MIN_CELL_SIZE}, because \"{}\": supervisors see this reason", super::escape(reason)),
            ),
        }
    }
    if privacy.location_decimals > MAX_LOCATION_DECIMALS {
        let metres = 111_000.0 / 10f64.powi(i32::from(privacy.location_decimals));
        out.rule(
            Rule::R21,
            Severity::Error,
            "privacy.location_decimals",
            format!(
                "location_decimals = {} keeps places to about {}: that can point at a home, a workplace or a school; use at most {MAX_LOCATION_DECIMALS} (about 1 km)",
                privacy.location_decimals,
                if metres >= 1.0 { format!("{metres:.0} m") } else { "less than a metre".to_owned() }
            ),
        );
    }
}

/// Questions that record the respondent's age (`disaggregation = "age"`).
fn age_questions(p: &Protocol) -> Vec<(String, &Question)> {
    questions_with_location(p)
        .into_iter()
        .filter(|(_, q)| q.disaggregation == Some(Dimension::Age))
        .collect()
}

/// The ages from -1 to 1000 the question's constraint lets through, judged by
/// evaluating it (with no other answer given), so any way of writing the
/// bounds is understood. `None` when the constraint does not parse (that is
/// `bad-expression`'s to report).
fn accepted(q: &Question) -> Option<(Option<i64>, Option<i64>, bool)> {
    let probes: Vec<i64> = (-1..=MAX_AGE + 1).chain([150, 200, 1000]).collect();
    let Some(src) = &q.constraint else {
        return Some((probes.first().copied(), probes.last().copied(), true));
    };
    let parsed = expr::parse(src).ok()?;
    let none: BTreeMap<String, Value> = BTreeMap::new();
    let ok: Vec<i64> = probes
        .into_iter()
        .filter(|age| {
            parsed
                .eval(&none, Some(&Value::Integer(*age)))
                .unwrap_or(false)
        })
        .collect();
    Some((ok.first().copied(), ok.last().copied(), false))
}

fn age_bounds(loc: &str, q: &Question, out: &mut Findings) {
    let Some((lowest, highest, unconstrained)) = accepted(q) else {
        return;
    };
    let location = if unconstrained {
        loc.to_owned()
    } else {
        format!("{loc}.constraint")
    };
    let problem = match (lowest, highest) {
        _ if unconstrained => {
            Some("has no constraint, so any number is taken as an age".to_owned())
        }
        (None, _) | (_, None) => {
            Some("accepts no age at all, so it can never be answered".to_owned())
        }
        (Some(low), _) if low < 0 => Some("accepts ages below 0".to_owned()),
        (_, Some(high)) if high > MAX_AGE => Some(format!(
            "accepts ages above {MAX_AGE} (up to {high} or more)"
        )),
        _ => None,
    };
    if let Some(problem) = problem {
        out.rule(
            Rule::R23,
            Severity::Error,
            location,
            format!(
                "the age question `{}` {problem}: bound it to the ages this protocol is for, e.g. constraint = \". >= 5 and . <= 17\" for children or \". >= 18 and . <= {MAX_AGE}\" for adults",
                q.id
            ),
        );
    }
}

fn respondents(p: &Protocol, ages: &[(String, &Question)], out: &mut Findings) {
    let declared = p.respondents.is_some();
    match p.respondents() {
        Respondents::Nobody if p.method != Method::DirectObservation => out.rule(
            Rule::R1,
            Severity::Error,
            "respondents",
            format!(
                "respondents = \"nobody\" is only for observation sheets, where nobody is asked anything; a {} asks people questions, and each must consent: remove `respondents` or set it to \"children\" or \"adults\"",
                p.method.as_str()
            ),
        ),
        Respondents::Adults => {
            if p.method == Method::ChildInterview {
                out.rule(
                    Rule::R2,
                    Severity::Error,
                    "respondents",
                    "a child_interview is with children: respondents = \"adults\" would switch off guardian consent, screening and referral (R2, R5, R18); remove `respondents`, or use key_informant_interview for adults",
                );
            }
            let children_by_default = p.method.default_respondents() == Respondents::Children;
            if declared && children_by_default && ages.is_empty() {
                out.rule(
                    Rule::R2,
                    Severity::Error,
                    "respondents",
                    format!(
                        "respondents = \"adults\" on a {} switches off the child rules (R2, R5, R18, R23), and nothing would check it: add an age question (kind = \"integer\", disaggregation = \"age\", constraint = \". >= 18 and . <= {MAX_AGE}\")",
                        p.method.as_str()
                    ),
                );
            }
            for (loc, q) in ages {
                let Some((lowest, _, unconstrained)) = accepted(q) else {
                    continue;
                };
                if unconstrained || lowest.is_some_and(|low| low < ADULT_AGE) {
                    out.rule(
                        Rule::R2,
                        Severity::Error,
                        if unconstrained { loc.clone() } else { format!("{loc}.constraint") },
                        format!(
                            "this protocol is for adults, but its age question `{}` accepts ages under {ADULT_AGE}: a child would be interviewed without a guardian's consent, screening or referral; bound it with constraint = \". >= {ADULT_AGE} and . <= {MAX_AGE}\", or interview children with a children's protocol",
                            q.id
                        ),
                    );
                }
            }
        }
        _ => {}
    }
}
