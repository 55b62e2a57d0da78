//! Question wording: confrontational phrasing (R10), key terms used without a
//! definition (R19), and words that mix scripts (a look-alike letter hides a
//! word from every rule).
//!
//! Texts are matched after [`normalise`](super::normalise::normalise), with
//! hyphens read as spaces (`as-tu`, `as tu`); the lists are chosen by a
//! language tag's primary subtag, so `en-GB` uses the English lists.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use super::normalise::{contains_phrase, mixed_script_word, normalise, primary_language};
use super::{questions_with_location, Findings, Severity};
use crate::model::Protocol;
use crate::rules::Rule;

/// Phrasing that puts a child on the spot, per language. The manual: "Avoid
/// asking direct and confrontational questions": questions that ask a child
/// to justify themselves (`why did you`), accuse (`admit`, `did you lie`),
/// command (`you must`) or put a label on them (`were you trafficked`).
const CONFRONTATIONAL: &[(&str, &[&str])] = &[
    (
        "en",
        &[
            "why did you",
            "why didn't you",
            "why did not you",
            "why do you",
            "why don't you",
            "why are you",
            "why aren't you",
            "why were you",
            "why weren't you",
            "why would you",
            "why have you",
            "why haven't you",
            "how could you",
            "admit",
            "confess",
            "is it true that",
            "isn't it true",
            "is it not true",
            "did you lie",
            "are you lying",
            "you lied",
            "tell the truth",
            "tell me the truth",
            "were you trafficked",
            "have you been trafficked",
            "are you a victim",
            "were you a victim",
            "were you sold",
            "you must",
            "you should have",
            "your fault",
            "whose fault",
        ],
    ),
    (
        "fr",
        &[
            "pourquoi as-tu",
            "pourquoi avez-vous",
            "pourquoi tu",
            "pourquoi vous",
            "pourquoi n'as-tu",
            "pourquoi n'avez-vous",
            "pourquoi es-tu",
            "pourquoi êtes-vous",
            "pourquoi est-ce que tu",
            "pourquoi est-ce que vous",
            "pourquoi ne",
            "avoue",
            "avouez",
            "admets",
            "admettez",
            "est-ce vrai que",
            "est-il vrai que",
            "n'est-ce pas vrai",
            "as-tu menti",
            "avez-vous menti",
            "tu mens",
            "tu as menti",
            "dis la vérité",
            "dis-moi la vérité",
            "dites la vérité",
            "as-tu été victime",
            "es-tu une victime",
            "êtes-vous une victime",
            "as-tu été vendu",
            "tu dois",
            "ta faute",
            "de ta faute",
        ],
    ),
];

/// Key terms that mean different things to different people unless defined,
/// grouped by concept: a question using any wording of a concept needs a
/// definition whose term uses one of them. The manual (1.7, "Definitions"):
/// "'out of school' (dropped out or never been in school or playing
/// truant?) or 'on the street' (living permanently on the street, or
/// working there during the day?)", with the international terms of the
/// Palermo Protocol and ILO Conventions Nos. 138 and 182.
const NEEDS_DEFINITION: &[(&str, &[&[&str]])] = &[
    (
        "en",
        &[
            &["child labour", "child labor"],
            &["trafficking", "trafficked", "trafficker"],
            &["exploitation", "exploited"],
            &[
                "out of school",
                "dropped out",
                "drop out",
                "playing truant",
                "truant",
                "truancy",
            ],
            &[
                "on the street",
                "on the streets",
                "street children",
                "street child",
            ],
            &["hazardous work", "hazardous labour", "hazardous labor"],
            &["worst forms", "worst form"],
            &["forced labour", "forced labor", "forced work"],
            &["debt bondage", "bonded labour", "bonded labor"],
            &["domestic labour", "domestic servitude"],
            &["slavery", "servitude"],
            &["organised begging", "organized begging"],
        ],
    ),
    (
        "fr",
        &[
            &["travail des enfants", "travail infantile"],
            &["traite", "trafic d'enfants", "trafiquant"],
            &["exploitation", "exploité"],
            &[
                "déscolarisé",
                "déscolarisation",
                "hors de l'école",
                "abandon scolaire",
                "école buissonnière",
            ],
            &[
                "dans la rue",
                "enfants des rues",
                "enfant des rues",
                "en situation de rue",
            ],
            &["travaux dangereux", "travail dangereux"],
            &["pires formes", "pire forme"],
            &["travail forcé", "travaux forcés"],
            &[
                "servitude pour dettes",
                "servitude pour dette",
                "travail en servitude",
            ],
            &["travail domestique des enfants", "servitude domestique"],
            &["esclavage", "servitude"],
            &["mendicité organisée"],
        ],
    ),
];

/// Endings accepted after a term, so `déscolarisée` and `déscolarisés` count.
const INFLECTIONS: &[&str] = &["", "s", "e", "es"];

pub(super) fn check(p: &Protocol, out: &mut Findings) {
    confrontational(p, out);
    undefined_terms(p, out);
    mixed_scripts(p, out);
}

/// Normalised, with hyphens read as spaces.
fn matchable(text: &str) -> String {
    normalise(text).replace('-', " ")
}

fn list<'a, T>(lists: &'a [(&str, T)], lang: &str) -> Option<&'a T> {
    let primary = primary_language(lang);
    lists.iter().find(|(l, _)| *l == primary).map(|(_, v)| v)
}

/// A phrase and its matchable form, computed once per process.
type Phrase = (&'static str, String);

fn confrontational_phrases() -> &'static [(&'static str, Vec<Phrase>)] {
    static LISTS: OnceLock<Vec<(&'static str, Vec<Phrase>)>> = OnceLock::new();
    LISTS.get_or_init(|| {
        CONFRONTATIONAL
            .iter()
            .map(|(lang, phrases)| (*lang, phrases.iter().map(|p| (*p, matchable(p))).collect()))
            .collect()
    })
}

/// A concept: its wordings, each with its matchable form.
type Concept = Vec<Phrase>;

fn concepts() -> &'static [(&'static str, Vec<Concept>)] {
    static LISTS: OnceLock<Vec<(&'static str, Vec<Concept>)>> = OnceLock::new();
    LISTS.get_or_init(|| {
        NEEDS_DEFINITION
            .iter()
            .map(|(lang, concepts)| {
                let concepts = concepts
                    .iter()
                    .map(|c| c.iter().map(|w| (*w, matchable(w))).collect())
                    .collect();
                (*lang, concepts)
            })
            .collect()
    })
}

fn confrontational(p: &Protocol, out: &mut Findings) {
    for (loc, q) in questions_with_location(p) {
        for (lang, text) in &q.text.0 {
            let Some(phrases) = list(confrontational_phrases(), lang) else {
                continue;
            };
            let text = matchable(text);
            for (phrase, matchable_phrase) in phrases {
                if contains_phrase(&text, matchable_phrase, &[""]) {
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

fn undefined_terms(p: &Protocol, out: &mut Findings) {
    // (lang, concept index) -> (first location, first question id, the
    // wording used there, how many questions)
    let mut found: BTreeMap<(&str, usize), (String, &str, &str, usize)> = BTreeMap::new();
    for (loc, q) in questions_with_location(p) {
        for (lang, text) in &q.text.0 {
            let Some(concepts) = list(concepts(), lang) else {
                continue;
            };
            let text = matchable(text);
            for (index, concept) in concepts.iter().enumerate() {
                let Some((wording, _)) = concept
                    .iter()
                    .find(|(_, w)| contains_phrase(&text, w, INFLECTIONS))
                else {
                    continue;
                };
                found
                    .entry((lang.as_str(), index))
                    .or_insert_with(|| (format!("{loc}.text"), q.id.as_str(), wording, 0))
                    .3 += 1;
            }
        }
    }
    for ((lang, index), (location, first, wording, count)) in found {
        let concept = &list(concepts(), lang).expect("found above")[index];
        let defined = p.definitions.iter().any(|d| {
            d.term.get(lang).is_some_and(|t| {
                let t = matchable(t);
                concept
                    .iter()
                    .any(|(_, w)| contains_phrase(&t, w, INFLECTIONS))
            })
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
                "question `{first}`{others} uses \"{wording}\" ({lang}), but `definitions` does not define it: add a [[definitions]] entry with term.{lang} = \"{wording}\" and its meaning, so every interviewer counts the same thing"
            ),
        );
    }
}

/// Every text a person reads, checked for words that mix Latin with
/// Cyrillic or Greek letters.
fn mixed_scripts(p: &Protocol, out: &mut Findings) {
    for (location, text) in super::translations::every_text(p) {
        for (lang, value) in &text.0 {
            if let Some(word) = mixed_script_word(value) {
                out.warning(
                    "mixed-script",
                    location.clone(),
                    format!(
                        "the {lang} text has the word \"{}\", which mixes Latin letters with Cyrillic or Greek look-alikes: retype it in one alphabet, so readers and the word rules see the same word",
                        super::escape(&word)
                    ),
                );
            }
        }
    }
}
