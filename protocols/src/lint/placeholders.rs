//! No placeholder is ever published: texts still holding `REPLACE`,
//! `À REMPLACER`, `TODO`, `<...>` or `xxx`, and referral contacts that are
//! not real (a phone number of zeros, an empty list). A child in danger must
//! never be handed a fake number. The shipped protocols are templates full of
//! such markers; a study file fills them in (`crate::study`).
//!
//! A protocol published by `fieldkit-server demo` (`demo = true`) is the one
//! exception: its contacts must read [`DEMO_PHONE`], never a number, and the
//! app shows that the whole session is a demonstration.

use std::sync::OnceLock;

use regex::Regex;

use super::normalise::fold;
use super::{escape, translations, Findings, Severity};
use crate::model::{Protocol, Respondents};
use crate::rules::Rule;

/// What a demo protocol's contacts say instead of a number.
pub const DEMO_PHONE: &str = "DEMO – not a real number";

/// Markers that only mean "fill this in". Upper-case words are matched as
/// written (`replace` is an ordinary English word, `REPLACE` is a marker);
/// the others in any case.
fn markers() -> &'static (Regex, Regex) {
    static MARKERS: OnceLock<(Regex, Regex)> = OnceLock::new();
    MARKERS.get_or_init(|| {
        let upper = Regex::new(
            r"\b(REPLACE|REMPLACER|COMPLÉTER|COMPLETER|À DÉFINIR|A DEFINIR|FILL IN|INSERT|PLACEHOLDER)\b",
        )
        .expect("valid pattern");
        let any_case = Regex::new(
            r"(?i)\b(todo|to-do|tbd|tbc|fixme|x{3,}|lorem ipsum|placeholder|dummy)\b|<[^<>\s][^<>]*>|<\s*\.\.\.\s*>|\{\{[^{}]*\}\}|\[\s*\.\.\.\s*\]",
        )
        .expect("valid pattern");
        (upper, any_case)
    })
}

/// The placeholder `text` still holds, if any (after normalisation, so a
/// look-alike letter or a zero-width space does not hide it).
pub(crate) fn placeholder(text: &str) -> Option<String> {
    let (upper, any_case) = markers();
    if let Some(m) = any_case.find(&fold(text, true)) {
        return Some(m.as_str().to_owned());
    }
    upper
        .find(&fold(text, false))
        .map(|m| m.as_str().to_owned())
}

/// Why `phone` is not a real phone number, if it is not.
pub fn fake_phone(phone: &str) -> Option<&'static str> {
    let phone = phone.trim();
    if phone.is_empty() {
        return Some("it is empty");
    }
    if phone
        .chars()
        .any(|c| !(c.is_ascii_digit() || " +-().\u{a0}/".contains(c)))
    {
        return Some(
            "it is not a phone number (only digits, spaces, +, -, ( ) and . belong in one)",
        );
    }
    if phone.rfind('+').is_some_and(|at| at != 0) {
        return Some("a + belongs only at the start, before the country code");
    }
    let digits: Vec<u8> = phone
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| b - b'0')
        .collect();
    if digits.len() < 3 {
        return Some("it has fewer than 3 digits");
    }
    if digits.len() > 15 {
        return Some("it has more than 15 digits, more than any phone number has");
    }
    if phone.starts_with('+') && digits[0] == 0 {
        return Some("no country code starts with 0");
    }
    let most = (0..10)
        .map(|d| digits.iter().filter(|&&x| x == d).count())
        .max()
        .unwrap_or(0);
    if most + 1 >= digits.len() && digits.len() >= 4 {
        return Some("its digits are all the same, or nearly");
    }
    let run = |step: i8| {
        digits
            .windows(2)
            .all(|w| (w[1] as i8 - w[0] as i8).rem_euclid(10) == step.rem_euclid(10))
    };
    if digits.len() >= 6 && (run(1) || run(-1)) {
        return Some("its digits count up or down, like 123456789");
    }
    let national = if digits.len() == 11 && digits[0] == 1 {
        &digits[1..]
    } else {
        &digits[..]
    };
    if national.len() == 10 && national[3..6] == [5, 5, 5] && national[6..8] == [0, 1] {
        return Some("555-01xx numbers are reserved for fiction");
    }
    None
}

pub(super) fn check(p: &Protocol, out: &mut Findings) {
    for (location, text) in translations::every_text(p) {
        for (lang, value) in &text.0 {
            if let Some(marker) = placeholder(value) {
                out.error(
                    "placeholder",
                    location.clone(),
                    format!(
                        "the {lang} text still holds the placeholder \"{}\": write the real text, or set this study's own values in the study file (`protocol publish --study`)",
                        escape(&marker)
                    ),
                );
            }
        }
    }
    if let Some(marker) = placeholder(&p.introduction.organisation) {
        out.error(
            "placeholder",
            "introduction.organisation",
            format!(
                "the organisation is still the placeholder \"{}\": name the organisation running the research, as respondents will hear it, in the study file (`organisation = ...`)",
                escape(&marker)
            ),
        );
    }
    contacts(p, out);
}

fn contacts(p: &Protocol, out: &mut Findings) {
    let Some(referral) = &p.referral else { return };
    if referral.contacts.is_empty() {
        let who = if p.respondents() == Respondents::Children {
            "a child who must not be interviewed"
        } else {
            "someone who needs help"
        };
        out.rule(
            Rule::R18,
            Severity::Error,
            "referral.contacts",
            format!("[referral] lists no contacts: give at least one real number to call for {who} (child protection focal point, emergency services), in the study file"),
        );
    }
    for (i, contact) in referral.contacts.iter().enumerate() {
        let location = format!("referral.contacts[{i}].phone");
        if p.demo {
            if contact.phone != DEMO_PHONE {
                out.error(
                    "placeholder",
                    location,
                    format!("a demo protocol's contacts must read \"{DEMO_PHONE}\", never a number someone could call"),
                );
            }
            continue;
        }
        if let Some(why) = fake_phone(&contact.phone) {
            out.error(
                "placeholder",
                location,
                format!(
                    "\"{}\" is not a real phone number ({why}): a child in danger must never be handed a fake number; put the real number in the study file",
                    escape(&contact.phone)
                ),
            );
        }
    }
}
