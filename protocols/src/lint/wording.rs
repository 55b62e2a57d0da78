//! Question wording: confrontational phrasing (R10) and key terms used
//! without a definition (R19).

use std::collections::BTreeMap;

use super::{questions_with_location, Findings, Severity};
use crate::model::Protocol;
use crate::rules::Rule;

/// Phrasing that puts a child on the spot, per language.
const CONFRONTATIONAL: &[(&str, &[&str])] = &[
    (
        "en",
        &[
            "why did you",
            "why didn't you",
            "why do you",
            "admit",
            "is it true that",
            "did you lie",
            "were you trafficked",
            "you must",
        ],
    ),
    (
        "fr",
        &[
            "pourquoi as-tu",
            "pourquoi avez-vous",
            "pourquoi tu",
            "avoue",
            "est-ce vrai que",
            "as-tu menti",
            "tu dois",
        ],
    ),
];

/// Terms that mean different things to different people unless defined.
const NEEDS_DEFINITION: &[(&str, &[&str])] = &[
    (
        "en",
        &[
            "child labour",
            "trafficking",
            "exploitation",
            "out of school",
            "on the street",
            "hazardous work",
            "worst forms",
        ],
    ),
    (
        "fr",
        &[
            "travail des enfants",
            "traite",
            "exploitation",
            "déscolarisé",
            "hors de l'école",
            "dans la rue",
            "travaux dangereux",
            "pires formes",
        ],
    ),
];

pub(super) fn check(p: &Protocol, out: &mut Findings) {
    confrontational(p, out);
    undefined_terms(p, out);
}

fn confrontational(p: &Protocol, out: &mut Findings) {
    for (loc, q) in questions_with_location(p) {
        for (lang, phrases) in CONFRONTATIONAL {
            let Some(text) = q.text.get(lang) else {
                continue;
            };
            let text = normalise(text);
            for phrase in *phrases {
                if contains_phrase(&text, phrase, &[""]) {
                    out.rule(
                        Rule::R10,
                        Severity::Warning,
                        format!("{loc}.text"),
                        format!(
                            "the {lang} text of question `{}` says \"{phrase}\", which can sound like an accusation: ask openly about what happened instead, e.g. \"can you tell me about ...\"",
                            q.id
                        ),
                    );
                }
            }
        }
    }
}

/// Endings accepted after a term, so `déscolarisée` and `déscolarisés` count.
const INFLECTIONS: &[&str] = &["", "s", "e", "es"];

fn undefined_terms(p: &Protocol, out: &mut Findings) {
    // (lang, term) -> (first location, first question id, how many questions)
    let mut uses: BTreeMap<(&str, &str), (String, String, usize)> = BTreeMap::new();
    for (loc, q) in questions_with_location(p) {
        for (lang, terms) in NEEDS_DEFINITION {
            let Some(text) = q.text.get(lang) else {
                continue;
            };
            let text = normalise(text);
            for term in *terms {
                if contains_phrase(&text, term, INFLECTIONS) {
                    uses.entry((lang, term))
                        .or_insert_with(|| (format!("{loc}.text"), q.id.clone(), 0))
                        .2 += 1;
                }
            }
        }
    }
    for ((lang, term), (location, first, count)) in uses {
        let defined = p.definitions.iter().any(|d| {
            d.term
                .get(lang)
                .is_some_and(|t| contains_phrase(&normalise(t), term, INFLECTIONS))
        });
        if defined {
            continue;
        }
        let others = match count {
            1 => String::new(),
            2 => " (and 1 more question)".to_owned(),
            n => format!(" (and {} more questions)", n - 1),
        };
        out.rule(
            Rule::R19,
            Severity::Warning,
            location,
            format!(
                "question `{first}`{others} uses \"{term}\" ({lang}), but `definitions` does not define it: add a [[definitions]] entry with term.{lang} = \"{term}\" and its meaning, so every interviewer counts the same thing"
            ),
        );
    }
}

fn normalise(text: &str) -> String {
    text.to_lowercase().replace(['\u{2019}', '\u{2018}'], "'")
}

/// Whether `phrase` occurs in `text` as whole words, optionally followed by
/// one of `endings`.
fn contains_phrase(text: &str, phrase: &str, endings: &[&str]) -> bool {
    let is_word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    text.match_indices(phrase).any(|(start, _)| {
        let before = text[..start].chars().next_back();
        let rest = &text[start + phrase.len()..];
        !is_word(before)
            && endings.iter().any(|ending| {
                rest.strip_prefix(ending)
                    .is_some_and(|after| !is_word(after.chars().next()))
            })
    })
}

#[cfg(test)]
mod tests {
    use super::contains_phrase;

    #[test]
    fn phrases_match_whole_words_only() {
        assert!(contains_phrase("so, admit it", "admit", &[""]));
        assert!(!contains_phrase("you were admitted", "admit", &[""]));
        assert!(!contains_phrase("readmit", "admit", &[""]));
        assert!(contains_phrase(
            "elle est déscolarisée.",
            "déscolarisé",
            &["", "e"]
        ));
        assert!(!contains_phrase("le traitement", "traite", &["", "s"]));
    }
}
