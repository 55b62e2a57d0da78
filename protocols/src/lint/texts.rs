//! Texts that must say something (the manual's rules need real words, not
//! `.`, `n/a` or `TODO`): the data-use statement (R3, R17), the referral
//! pathway and safety notes (R18), screening items (R5), the aim and research
//! questions a protocol's questions serve (R16) and definitions (R19), in
//! every language. A blank text is reported by the rule modules; this one
//! catches texts that are there but empty of meaning, and texts left
//! untranslated (identical in two languages that differ), for every text.

use super::consent::is_blank;
use super::normalise::{normalise, primary_language};
use super::{translations, Findings, Severity};
use crate::model::{Protocol, Text};
use crate::rules::Rule;

/// At least this many words and letters for a sentence a rule relies on.
pub(crate) const MIN_WORDS: usize = 3;
pub(crate) const MIN_LETTERS: usize = 10;
/// A text of this many words or more, identical in two languages, was not
/// translated; shorter ones (`Train`, `Parents`) may well be the same.
const UNTRANSLATED_WORDS: usize = 4;

/// Words that stand in for a text without saying anything, compared with a
/// text's letters and digits only (`N/A` is `na`).
const FILLERS: &[&str] = &[
    "na",
    "none",
    "nil",
    "null",
    "nothing",
    "todo",
    "tbd",
    "tbc",
    "test",
    "testing",
    "idem",
    "same",
    "sameasabove",
    "seeabove",
    "asabove",
    "xxx",
    "neant",
    "néant",
    "rien",
    "aucun",
    "aucune",
    "sansobjet",
    "voircidessus",
    "commeci-dessus",
    "ras",
    "pasdobjet",
    "nonapplicable",
    "notapplicable",
    "blank",
    "empty",
    "vide",
    "àfaire",
    "afaire",
];

/// What a rule text is for: (location, text, rule, what it must say, is a term).
type RuleText<'a> = (String, &'a Text, Rule, &'static str, bool);

fn rule_texts(p: &Protocol) -> Vec<RuleText<'_>> {
    let d = &p.data_use;
    let mut all: Vec<RuleText<'_>> = vec![
        (
            "data_use.purpose".into(),
            &d.purpose,
            Rule::R3,
            "what will be done with the information",
            false,
        ),
        (
            "data_use.who_sees".into(),
            &d.who_sees,
            Rule::R3,
            "who will see it",
            false,
        ),
        (
            "data_use.protection".into(),
            &d.protection,
            Rule::R3,
            "how the respondent is protected",
            false,
        ),
        (
            "data_use.results_return".into(),
            &d.results_return,
            Rule::R17,
            "how the results come back to the children and informants",
            false,
        ),
        (
            "aim".into(),
            &p.aim,
            Rule::R16,
            "what the study wants to find out",
            false,
        ),
    ];
    let rq = super::occurrences(p.research_questions.iter().map(|r| r.id.as_str()));
    for (id, r) in rq.iter().zip(&p.research_questions) {
        all.push((
            format!("research_questions.{id}.text"),
            &r.text,
            Rule::R16,
            "the question the research answers",
            false,
        ));
    }
    for (i, def) in p.definitions.iter().enumerate() {
        all.push((
            format!("definitions[{i}].term"),
            &def.term,
            Rule::R19,
            "the term being defined",
            true,
        ));
        all.push((
            format!("definitions[{i}].meaning"),
            &def.meaning,
            Rule::R19,
            "what the term means in this study",
            false,
        ));
    }
    if let Some(screening) = &p.screening {
        let ids = super::occurrences(screening.items.iter().map(|i| i.id.as_str()));
        for (id, item) in ids.iter().zip(&screening.items) {
            all.push((
                format!("screening.items.{id}.text"),
                &item.text,
                Rule::R5,
                "what the interviewer checks before anything else",
                false,
            ));
        }
    }
    if let Some(referral) = &p.referral {
        all.push((
            "referral.pathway".into(),
            &referral.pathway,
            Rule::R18,
            "where to take a child who needs help, step by step",
            false,
        ));
        all.push((
            "referral.safety_notes".into(),
            &referral.safety_notes,
            Rule::R18,
            "how field workers stay safe",
            false,
        ));
    }
    all
}

/// Why `text` says nothing, if it does not: a filler, too few words or too
/// few letters. `None` for a text that says something, and for a blank one
/// (reported as missing by the rule modules).
pub(crate) fn says_nothing(text: &str, term: bool) -> Option<String> {
    if is_blank(text) {
        return None;
    }
    let normal = normalise(text);
    let letters: String = normal.chars().filter(|c| c.is_alphanumeric()).collect();
    if FILLERS.contains(&letters.as_str()) || normal.chars().all(|c| !c.is_alphabetic()) {
        return Some(format!(
            "\"{}\" stands in for a text",
            super::escape(text.trim())
        ));
    }
    let words = normal
        .split(' ')
        .filter(|w| w.chars().any(char::is_alphabetic))
        .count();
    let letter_count = normal.chars().filter(|c| c.is_alphabetic()).count();
    if term {
        return (letter_count < 2).then(|| "it has fewer than two letters".to_owned());
    }
    (words < MIN_WORDS || letter_count < MIN_LETTERS).then(|| {
        format!(
            "\"{}\" is too short to tell anyone anything (at least {MIN_WORDS} words)",
            super::escape(text.trim())
        )
    })
}

pub(super) fn check(p: &Protocol, out: &mut Findings) {
    for (location, text, rule, says, term) in rule_texts(p) {
        for lang in &p.languages {
            let Some(value) = text.get(lang) else {
                continue;
            };
            if let Some(why) = says_nothing(value, term) {
                out.rule(
                    rule,
                    Severity::Error,
                    location.clone(),
                    format!("the {lang} text of {location} says nothing: {why}; write {says}, in words the reader understands"),
                );
            }
        }
    }
    untranslated(p, out);
}

/// A text of several words that is the same in two declared languages of
/// different primary subtags (`en` and `fr`, not `en` and `en-GB`).
fn untranslated(p: &Protocol, out: &mut Findings) {
    for (location, text) in translations::every_text(p) {
        let mut seen: Vec<(&str, String, String)> = Vec::new();
        for lang in &p.languages {
            let Some(value) = text.get(lang) else {
                continue;
            };
            let normal = normalise(value);
            if normal
                .split(' ')
                .filter(|w| w.chars().any(char::is_alphabetic))
                .count()
                < UNTRANSLATED_WORDS
            {
                continue;
            }
            let primary = primary_language(lang);
            if let Some((other, _, _)) = seen
                .iter()
                .find(|(_, op, on)| *op != primary && *on == normal)
            {
                out.error(
                    "missing-translation",
                    location.clone(),
                    format!("the {lang} text is the same as the {other} text: translate it, so respondents hear it in their own language"),
                );
            }
            seen.push((lang, primary, normal));
        }
    }
}
