//! Validation sessions (issue 22): results go back to the group (R17). A
//! `validation` protocol names, for each finding it takes back, the
//! questions that record the group's verdict; they must exist and have the
//! kind the analyst pages count (integers for agree and disagree, text for
//! the group's words, which the anonymiser scrubs like focus-group notes).

use super::{Findings, Severity};
use crate::findings::FindingId;
use crate::model::{Method, Protocol, QuestionKind};
use crate::rules::Rule;

pub(super) fn check(p: &Protocol, out: &mut Findings) {
    let validating = p.method == Method::Validation;
    match (&p.validation, validating) {
        (None, true) => out.rule(
            Rule::R17,
            Severity::Error,
            "validation",
            "a validation protocol needs a [validation] block: add [[validation.findings]] with finding, agree, disagree and words for each finding taken back to the group",
        ),
        (Some(_), false) => out.error(
            "method-block",
            "validation",
            format!(
                "[validation] belongs to validation protocols only; this one is a {}: remove the block or set method = \"validation\"",
                p.method.as_str()
            ),
        ),
        _ => {}
    }
    let Some(block) = &p.validation else {
        return;
    };
    if block.findings.is_empty() && validating {
        out.rule(
            Rule::R17,
            Severity::Error,
            "validation.findings",
            "[validation] takes no finding back: add at least one [[validation.findings]]",
        );
    }
    let mut used: Vec<&str> = Vec::new();
    for (i, f) in block.findings.iter().enumerate() {
        let loc = format!("validation.findings[{i}]");
        if let Err(why) = FindingId::parse(&f.finding) {
            out.error("method-block", format!("{loc}.finding"), why);
        }
        let slots = [
            ("agree", &f.agree, QuestionKind::Integer),
            ("disagree", &f.disagree, QuestionKind::Integer),
            ("words", &f.words, QuestionKind::Text),
        ];
        for (field, id, kind) in slots {
            let at = format!("{loc}.{field}");
            match p.question(id) {
                None => out.error(
                    "unknown-reference",
                    at,
                    format!("{field} = \"{id}\" names no question of this protocol"),
                ),
                Some(q) if q.kind != kind => out.error(
                    "method-block",
                    at,
                    format!(
                        "{field} = \"{id}\" is a {} question: the group's {} is recorded by a {} question",
                        super::kind_name(q.kind),
                        if field == "words" { "words" } else { "count" },
                        super::kind_name(kind)
                    ),
                ),
                Some(q) if q.identifying => out.rule(
                    Rule::R21,
                    Severity::Error,
                    at,
                    format!("question `{id}` is identifying: a group's verdict never names anyone"),
                ),
                Some(_) if used.contains(&id.as_str()) => out.error(
                    "duplicate-id",
                    at,
                    format!("question `{id}` already records another finding's verdict: give each its own"),
                ),
                Some(_) => used.push(id),
            }
        }
    }
}
