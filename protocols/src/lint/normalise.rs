//! Text as the word rules read it. An author (or a copy-paste) can defeat a
//! plain substring match with a no-break space, a curly apostrophe, a
//! non-breaking hyphen, a zero-width space or a Cyrillic `а` that looks like
//! a Latin `a`. Every word rule (R10, R19, placeholders, identifying wording,
//! empty texts) matches on [`normalise`]d text instead:
//!
//! 1. Unicode NFKC, so full-width letters, ligatures, mathematical letters and
//!    the many space characters become their plain forms;
//! 2. invisible characters (zero-width spaces and joiners, soft hyphens,
//!    byte-order marks, direction marks) are dropped;
//! 3. every space is one ASCII space, every apostrophe `'`, every hyphen or
//!    dash `-`;
//! 4. letters that look like Latin letters in Cyrillic and Greek (a short
//!    table, [`CONFUSABLES`]) become those Latin letters;
//! 5. lowercase.
//!
//! Accents are kept: `traité` (a treaty) is not `traite` (trafficking).

use icu_normalizer::ComposingNormalizerBorrowed;

/// Cyrillic and Greek letters drawn like a Latin letter, with that letter.
/// Uppercase and lowercase are both listed because some only look alike in
/// one case (Cyrillic `В` is a B, `в` is not a b).
pub(crate) const CONFUSABLES: &[(char, char)] = &[
    // Cyrillic
    ('А', 'a'),
    ('а', 'a'),
    ('В', 'b'),
    ('Е', 'e'),
    ('е', 'e'),
    ('Һ', 'h'),
    ('һ', 'h'),
    ('І', 'i'),
    ('і', 'i'),
    ('Ј', 'j'),
    ('ј', 'j'),
    ('К', 'k'),
    ('М', 'm'),
    ('Н', 'h'),
    ('О', 'o'),
    ('о', 'o'),
    ('Р', 'p'),
    ('р', 'p'),
    ('С', 'c'),
    ('с', 'c'),
    ('Т', 't'),
    ('У', 'y'),
    ('у', 'y'),
    ('Х', 'x'),
    ('х', 'x'),
    ('Ѕ', 's'),
    ('ѕ', 's'),
    ('Ԁ', 'd'),
    ('ԁ', 'd'),
    ('Ԛ', 'q'),
    ('ԛ', 'q'),
    ('Ԝ', 'w'),
    ('ԝ', 'w'),
    ('Ӏ', 'l'),
    ('ӏ', 'l'),
    ('Ү', 'y'),
    ('ү', 'y'),
    // Greek
    ('Α', 'a'),
    ('α', 'a'),
    ('Β', 'b'),
    ('Ε', 'e'),
    ('Ζ', 'z'),
    ('Η', 'h'),
    ('Ι', 'i'),
    ('ι', 'i'),
    ('Κ', 'k'),
    ('κ', 'k'),
    ('Μ', 'm'),
    ('Ν', 'n'),
    ('ν', 'v'),
    ('Ο', 'o'),
    ('ο', 'o'),
    ('Ρ', 'p'),
    ('ρ', 'p'),
    ('Τ', 't'),
    ('Υ', 'y'),
    ('υ', 'u'),
    ('Χ', 'x'),
    ('χ', 'x'),
    ('ϲ', 'c'),
    ('Ϲ', 'c'),
    ('ϳ', 'j'),
    // Latin letters that pass for others
    ('ı', 'i'),
    ('ɡ', 'g'),
    ('ɑ', 'a'),
    ('ʏ', 'y'),
];

/// Characters that show nothing: they split a word for the eye of a
/// program, not of a reader.
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{E0000}'..='\u{E007F}'
    )
}

fn apostrophe(c: char) -> bool {
    matches!(
        c,
        '\'' | '\u{2018}'
            | '\u{2019}'
            | '\u{201B}'
            | '\u{2032}'
            | '\u{02BC}'
            | '\u{02BB}'
            | '\u{0060}'
            | '\u{00B4}'
            | '\u{FF07}'
    )
}

fn hyphen(c: char) -> bool {
    matches!(
        c,
        '-' | '\u{2010}'
            ..='\u{2015}' | '\u{2212}' | '\u{FE58}' | '\u{FE63}' | '\u{FF0D}' | '\u{2043}'
    )
}

/// The text as the word rules read it (see the module documentation).
pub fn normalise(text: &str) -> String {
    fold(text, true)
}

/// [`normalise`], optionally keeping the case of letters (for markers that
/// only count in capitals, such as `REPLACE`).
pub(crate) fn fold(text: &str, lowercase: bool) -> String {
    let nfkc = ComposingNormalizerBorrowed::new_nfkc().normalize(text);
    let mut out = String::with_capacity(nfkc.len());
    let mut space = true; // drops leading spaces and collapses runs
    for c in nfkc.chars() {
        if is_invisible(c) {
            continue;
        }
        if c.is_whitespace() || c.is_control() {
            if !space {
                out.push(' ');
                space = true;
            }
            continue;
        }
        space = false;
        if apostrophe(c) {
            out.push('\'');
        } else if hyphen(c) {
            out.push('-');
        } else if let Some(&(_, latin)) = CONFUSABLES.iter().find(|(from, _)| *from == c) {
            out.push(if lowercase || !c.is_uppercase() {
                latin
            } else {
                latin.to_ascii_uppercase()
            });
        } else if lowercase {
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// The primary subtag of a language tag, lowercased: `en-GB` and `EN_gb` are
/// `en`, so a regional variant uses its language's word lists.
pub fn primary_language(tag: &str) -> String {
    tag.split(['-', '_'])
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Script {
    Latin,
    Greek,
    Cyrillic,
    Other,
}

fn script(c: char) -> Script {
    match c {
        'a'..='z' | 'A'..='Z' | '\u{00C0}'..='\u{024F}' | '\u{1E00}'..='\u{1EFF}' => Script::Latin,
        '\u{0370}'..='\u{03FF}' | '\u{1F00}'..='\u{1FFF}' => Script::Greek,
        '\u{0400}'..='\u{052F}'
        | '\u{1C80}'..='\u{1C8F}'
        | '\u{2DE0}'..='\u{2DFF}'
        | '\u{A640}'..='\u{A69F}' => Script::Cyrillic,
        _ => Script::Other,
    }
}

/// The first word (after NFKC) that mixes Latin letters with Cyrillic or
/// Greek ones: `аdmit` with a Cyrillic `а`. Such a word reads as one language
/// and matches as another.
pub fn mixed_script_word(text: &str) -> Option<String> {
    let nfkc = ComposingNormalizerBorrowed::new_nfkc().normalize(text);
    nfkc.split(|c: char| !(c.is_alphanumeric() || is_invisible(c)))
        .find(|word| {
            let mut latin = false;
            let mut other = false;
            for c in word.chars() {
                match script(c) {
                    Script::Latin => latin = true,
                    Script::Greek | Script::Cyrillic => other = true,
                    Script::Other => {}
                }
            }
            latin && other
        })
        .map(|word| word.chars().filter(|c| !is_invisible(*c)).collect())
}

/// Whether `phrase` (already normalised) occurs in normalised `text` as whole
/// words, optionally followed by one of `endings`.
pub(crate) fn contains_phrase(text: &str, phrase: &str, endings: &[&str]) -> bool {
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
    use super::*;

    #[test]
    fn spelling_tricks_normalise_away() {
        for trick in [
            "Why did you",
            "WHY DID YOU",
            "why\u{00A0}did\u{202F}you",
            "why  did\tyou",
            "wh\u{200B}y did y\u{00AD}ou",
            "why d\u{0456}d you",   // Cyrillic і
            "why did у\u{043E}u",   // Cyrillic у and о
            "ｗｈｙ ｄｉｄ ｙｏｕ", // full width
            "𝐰𝐡𝐲 did you",          // mathematical bold
            "\u{FEFF}why did you ",
        ] {
            assert_eq!(normalise(trick), "why did you", "{trick:?}");
        }
        assert_eq!(normalise("why didn\u{2019}t you"), "why didn't you");
        assert_eq!(normalise("pourquoi as\u{2011}tu"), "pourquoi as-tu");
        assert_eq!(normalise("pourquoi as\u{2013}tu"), "pourquoi as-tu");
        assert_eq!(normalise("de\u{0301}scolarise\u{0301}"), "déscolarisé");
        assert_eq!(normalise("Traité"), "traité", "accents are kept");
    }

    #[test]
    fn language_tags_match_by_primary_subtag() {
        assert_eq!(primary_language("en-GB"), "en");
        assert_eq!(primary_language("fr_CA"), "fr");
        assert_eq!(primary_language("EN"), "en");
        assert_eq!(primary_language("sw"), "sw");
    }

    #[test]
    fn mixed_scripts_are_found_in_a_word_not_across_words() {
        assert_eq!(
            mixed_script_word("please \u{0430}dmit it"),
            Some("\u{0430}dmit".into())
        );
        assert_eq!(mixed_script_word("Hello Привет"), None);
        assert_eq!(mixed_script_word("déjà vu, naïve"), None);
        assert_eq!(
            mixed_script_word("adm\u{200B}\u{0456}t"),
            Some("adm\u{0456}t".into())
        );
    }

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
