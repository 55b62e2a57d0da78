//! Questions whose wording asks for something that identifies a person (a
//! name, a phone number or other contact, an address, an exact birth date, the
//! name of a school or employer) must be marked `identifying = true`, so the
//! answer stays on the phone (R21), or say why they do not identify anyone
//! (`not_identifying_because = "..."`). Matched on question texts, after
//! normalisation, by the language's primary subtag.

use std::sync::OnceLock;

use super::normalise::{contains_phrase, normalise, primary_language};
use super::texts::says_nothing;
use super::{questions_with_location, Findings, Severity};
use crate::model::{Method, Protocol};
use crate::rules::Rule;

/// (what is asked for, wordings), per language.
type Asks = &'static [(&'static str, &'static [&'static str])];

const ASKS: &[(&str, Asks)] = &[
    (
        "en",
        &[
            (
                "a name",
                &[
                    "your name",
                    "his name",
                    "her name",
                    "their name",
                    "their names",
                    "child's name",
                    "full name",
                    "first name",
                    "last name",
                    "surname",
                    "family name",
                    "nickname",
                    "what are you called",
                    "what is the name of",
                    "what's the name of",
                    "name of the person",
                    "names of",
                    "who is your employer",
                    "who do you work for",
                ],
            ),
            (
                "a contact",
                &[
                    "phone number",
                    "telephone number",
                    "mobile number",
                    "cell number",
                    "contact number",
                    "contact details",
                    "whatsapp",
                    "e-mail",
                    "email",
                    "facebook",
                    "social media account",
                    "how can we reach",
                    "how can i reach",
                ],
            ),
            (
                "an address",
                &[
                    "address",
                    "where exactly do you live",
                    "house number",
                    "street name",
                    "which street",
                    "gps",
                    "coordinates",
                ],
            ),
            (
                "an exact birth date",
                &[
                    "date of birth",
                    "birth date",
                    "birthdate",
                    "birthday",
                    "when were you born",
                    "what day were you born",
                ],
            ),
            (
                "the name of a school",
                &[
                    "name of your school",
                    "name of the school",
                    "school's name",
                    "school name",
                    "which school do you",
                    "which school does",
                    "which school did",
                    "what school do you",
                ],
            ),
            (
                "the name of an employer",
                &[
                    "employer's name",
                    "name of your employer",
                    "name of the employer",
                    "name of the company",
                    "company name",
                    "name of the business",
                    "business name",
                    "which company",
                    "name of the factory",
                    "name of the farm",
                ],
            ),
            (
                "an identity document",
                &[
                    "passport number",
                    "id number",
                    "identity card",
                    "national id",
                    "birth certificate number",
                ],
            ),
        ],
    ),
    (
        "fr",
        &[
            (
                "un nom",
                &[
                    "ton nom",
                    "votre nom",
                    "son nom",
                    "leur nom",
                    "leurs noms",
                    "nom de famille",
                    "prénom",
                    "surnom",
                    "comment t'appelles tu",
                    "comment tu t'appelles",
                    "comment vous appelez vous",
                    "comment s'appelle",
                    "quel est le nom",
                    "nom de la personne",
                    "les noms",
                    "qui est ton employeur",
                    "pour qui travailles tu",
                    "pour qui travaillez vous",
                ],
            ),
            (
                "un contact",
                &[
                    "numéro de téléphone",
                    "ton numéro",
                    "votre numéro",
                    "numéro de portable",
                    "whatsapp",
                    "e mail",
                    "courriel",
                    "adresse électronique",
                    "facebook",
                    "comment te joindre",
                    "comment vous joindre",
                ],
            ),
            (
                "une adresse",
                &[
                    "adresse",
                    "où habites tu exactement",
                    "numéro de la maison",
                    "quelle rue",
                    "nom de la rue",
                    "gps",
                    "coordonnées",
                ],
            ),
            (
                "une date de naissance exacte",
                &[
                    "date de naissance",
                    "anniversaire",
                    "quel jour es tu né",
                    "quand es tu né",
                    "quand êtes vous né",
                ],
            ),
            (
                "le nom d'une école",
                &[
                    "nom de ton école",
                    "nom de l'école",
                    "nom de votre école",
                    "quelle école fréquentes",
                    "à quelle école",
                    "dans quelle école",
                ],
            ),
            (
                "le nom d'un employeur",
                &[
                    "nom de ton employeur",
                    "nom de l'employeur",
                    "nom de votre employeur",
                    "nom de l'entreprise",
                    "nom de la société",
                    "quelle entreprise",
                    "nom de l'usine",
                    "nom de la ferme",
                ],
            ),
            (
                "une pièce d'identité",
                &[
                    "numéro de passeport",
                    "carte d'identité",
                    "numéro d'identité",
                    "numéro d'acte de naissance",
                ],
            ),
        ],
    ),
];

type Normalised = Vec<(
    &'static str,
    Vec<(&'static str, Vec<(&'static str, String)>)>,
)>;

/// The lists, normalised once, hyphens read as spaces.
fn asks() -> &'static Normalised {
    static LISTS: OnceLock<Normalised> = OnceLock::new();
    LISTS.get_or_init(|| {
        ASKS.iter()
            .map(|(lang, kinds)| {
                let kinds = kinds
                    .iter()
                    .map(|(what, words)| {
                        (*what, words.iter().map(|w| (*w, matchable(w))).collect())
                    })
                    .collect();
                (*lang, kinds)
            })
            .collect()
    })
}

fn matchable(text: &str) -> String {
    normalise(text).replace('-', " ")
}

/// What the text asks for that identifies a person, and the wording that
/// says so, if anything.
pub(crate) fn asks_for(lang: &str, text: &str) -> Option<(&'static str, &'static str)> {
    let primary = primary_language(lang);
    let (_, kinds) = asks().iter().find(|(l, _)| *l == primary)?;
    let text = matchable(text);
    kinds.iter().find_map(|(what, words)| {
        words
            .iter()
            .find(|(_, w)| contains_phrase(&text, w, &["", "s"]))
            .map(|(word, _)| (*what, *word))
    })
}

pub(super) fn check(p: &Protocol, out: &mut Findings) {
    for (loc, q) in questions_with_location(p) {
        if q.identifying {
            continue;
        }
        let reasoned = q
            .not_identifying_because
            .as_deref()
            .is_some_and(|r| !super::consent::is_blank(r) && says_nothing(r, false).is_none());
        if reasoned {
            continue;
        }
        let Some((lang, (what, wording))) = q
            .text
            .0
            .iter()
            .find_map(|(lang, text)| asks_for(lang, text).map(|hit| (lang, hit)))
        else {
            continue;
        };
        let fix = if p.method == Method::DirectObservation {
            "an observation sheet records nobody's identity: remove the question, or give not_identifying_because = \"...\" if it does not identify anyone"
        } else {
            "mark it identifying = true so the answer never leaves the phone, or give not_identifying_because = \"...\" if it does not identify anyone"
        };
        out.rule(
            Rule::R21,
            Severity::Error,
            format!("{loc}.text"),
            format!(
                "question `{}` asks for {what} (\"{wording}\" in its {lang} text): {fix}",
                q.id
            ),
        );
    }
}
