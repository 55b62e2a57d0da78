//! Before the first question: consent (R1, R2), the data-use statement (R3,
//! R17), screening (R5), the introduction (R11) and referral (R18).

use super::{Findings, Severity};
use crate::model::{Protocol, Respondents, Text};
use crate::rules::Rule;

pub(super) fn check(p: &Protocol, out: &mut Findings) {
    let children = p.respondents() == Respondents::Children;
    consent(p, children, out);
    data_use(p, out);
    introduction(p, out);
    if children {
        screening(p, out);
        referral(p, out);
    }
}

/// Declared languages where `text` is missing or blank. Blank means no
/// letter or digit once invisible characters are dropped: `.`, `-` and a
/// zero-width space are blank.
pub(super) fn gaps<'a>(p: &'a Protocol, text: &Text) -> Vec<&'a str> {
    p.languages
        .iter()
        .filter(|lang| text.get(lang).is_none_or(is_blank))
        .map(String::as_str)
        .collect()
}

pub(super) fn is_blank(text: &str) -> bool {
    !text
        .chars()
        .any(|c| c.is_alphanumeric() && !super::normalise::is_invisible(c))
}

fn consent(p: &Protocol, children: bool, out: &mut Findings) {
    let Some(rules) = p.consent_rules() else {
        return;
    };
    if !rules.respondent {
        out.rule(
            Rule::R1,
            Severity::Error,
            "consent.respondent",
            "consent.respondent = false: every respondent must give their own consent or assent; set respondent = true",
        );
    }
    if !children {
        return;
    }
    match rules.guardian_required_under {
        0 => out.rule(
            Rule::R2,
            Severity::Error,
            "consent.guardian_required_under",
            "guardian_required_under = 0 means no child ever needs a guardian's or trusted adult's consent: set it to 18",
        ),
        age @ 1..=17 => out.rule(
            Rule::R2,
            Severity::Warning,
            "consent.guardian_required_under",
            format!(
                "children aged {age} to 17 would be interviewed without a guardian's or trusted adult's consent; everyone under 18 is a child, so use 18 unless local law and your ethics review say otherwise"
            ),
        ),
        _ => {}
    }
}

fn data_use(p: &Protocol, out: &mut Findings) {
    let d = &p.data_use;
    let parts = [
        (
            "purpose",
            &d.purpose,
            "what will be done with the information",
            Rule::R3,
        ),
        ("who_sees", &d.who_sees, "who will see it", Rule::R3),
        (
            "protection",
            &d.protection,
            "how the respondent is protected",
            Rule::R3,
        ),
        (
            "results_return",
            &d.results_return,
            "how the results will come back to the children and informants",
            Rule::R17,
        ),
    ];
    for (field, text, says, rule) in parts {
        let missing = gaps(p, text);
        if !missing.is_empty() {
            out.rule(
                rule,
                Severity::Error,
                format!("data_use.{field}"),
                format!(
                    "data_use.{field} is blank in {}: write {says}, in every language",
                    missing.join(", ")
                ),
            );
        }
    }
}

fn introduction(p: &Protocol, out: &mut Findings) {
    if is_blank(&p.introduction.organisation) {
        out.rule(
            Rule::R11,
            Severity::Error,
            "introduction.organisation",
            "introduction.organisation is blank: name the organisation running the research, as respondents will hear it",
        );
    }
    for lang in &p.languages {
        let script = p.introduction.script.get(lang).unwrap_or("");
        let lacking: Vec<&str> = ["{interviewer}", "{organisation}"]
            .into_iter()
            .filter(|placeholder| !script.contains(placeholder))
            .collect();
        if is_blank(script) {
            out.rule(
                Rule::R11,
                Severity::Error,
                "introduction.script",
                format!(
                    "there is no introduction script in {lang}: write one that says who the interviewer is ({{interviewer}}) and for whom they work ({{organisation}})"
                ),
            );
        } else if !lacking.is_empty() {
            out.rule(
                Rule::R11,
                Severity::Error,
                "introduction.script",
                format!(
                    "the {lang} introduction script lacks {}: the interviewer must say their own name and their organisation",
                    lacking.join(" and ")
                ),
            );
        }
    }
}

fn screening(p: &Protocol, out: &mut Findings) {
    let empty = p.screening.as_ref().is_none_or(|s| s.items.is_empty());
    if empty {
        out.rule(
            Rule::R5,
            Severity::Error,
            "screening",
            "a protocol with children needs screening items asked before anything else (acute distress, injury, immediate danger, a controlling person present): add [[screening.items]]",
        );
    }
}

fn referral(p: &Protocol, out: &mut Findings) {
    let Some(referral) = &p.referral else {
        out.rule(
            Rule::R18,
            Severity::Error,
            "referral",
            "a protocol with children needs a [referral] block: the pathway for a child who must not be interviewed, and safety notes for field workers",
        );
        return;
    };
    for (field, text, says) in [
        (
            "pathway",
            &referral.pathway,
            "where to take a child who needs help, step by step",
        ),
        (
            "safety_notes",
            &referral.safety_notes,
            "how field workers stay safe",
        ),
    ] {
        if text.0.values().all(|t| is_blank(t)) {
            out.rule(
                Rule::R18,
                Severity::Error,
                format!("referral.{field}"),
                format!("referral.{field} is blank: write {says}"),
            );
        }
    }
}
