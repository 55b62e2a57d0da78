//! Free-text scrubbing: the respondent's identity strings, phone numbers,
//! e-mail addresses and ID-like numbers are replaced by `[name]`, `[phone]`,
//! `[email]` and `[id-number]` (R21).
//!
//! Every detector looks at the original text and proposes spans; a span that
//! overlaps one already taken is dropped, so a placeholder is never matched
//! again and an address containing a name counts once, as an e-mail. When in
//! doubt the scrubber redacts: a lost number in a note costs less than a
//! child who can be found.

use std::sync::OnceLock;

use regex::Regex;

use super::RedactionReport;

/// What a span of text was replaced with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Redaction {
    Name,
    Phone,
    Email,
    IdNumber,
}

impl Redaction {
    fn placeholder(self) -> &'static str {
        match self {
            Redaction::Name => "[name]",
            Redaction::Phone => "[phone]",
            Redaction::Email => "[email]",
            Redaction::IdNumber => "[id-number]",
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Span {
    start: usize,
    end: usize,
    kind: Redaction,
}

/// Name particles that are never scrubbed on their own, although they are
/// longer than two letters: otherwise "Cité des Arts" would take every
/// French "des" with it. The whole identity string is still scrubbed.
const PARTICLES: &[&str] = &[
    "des", "del", "della", "van", "von", "der", "den", "bin", "ben", "ibn", "the", "and", "les",
    "dos", "das", "sur",
];

/// Currency words after a number mean an amount, which the research needs.
const CURRENCIES: &[&str] = &[
    "cfa", "fcfa", "f cfa", "franc", "xof", "cedi", "ghs", "naira", "ngn", "usd", "eur", "dollar",
    "$", "€",
];

/// Scrubs free text of one respondent's identity.
#[derive(Debug, Clone)]
pub struct Scrubber {
    /// Folded identity strings and their name parts, longest first.
    needles: Vec<Vec<char>>,
}

impl Scrubber {
    /// `identity`: the respondent's name, nickname, contacts and places, as
    /// the identity store holds them. Multi-word strings also give each part
    /// longer than two letters.
    pub fn new(identity: &[String]) -> Scrubber {
        let mut needles: Vec<Vec<char>> = Vec::new();
        let mut add = |text: &str| {
            let folded: Vec<char> = fold_str(text);
            if folded.iter().any(|c| c.is_alphanumeric()) && !needles.contains(&folded) {
                needles.push(folded);
            }
        };
        for entry in identity {
            let whole = entry.split_whitespace().collect::<Vec<_>>().join(" ");
            add(&whole);
            for part in whole.split(|c: char| c.is_whitespace() || c == '-') {
                let letters = part.chars().filter(|c| c.is_alphabetic()).count();
                let particle =
                    PARTICLES.contains(&fold_str(part).iter().collect::<String>().as_str());
                if letters > 2 && !particle {
                    add(part);
                }
            }
        }
        needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
        Scrubber { needles }
    }

    /// The text with every detected identifier replaced; counts go to `report`.
    ///
    /// The result is settled: scrubbing it again, with or without an
    /// identity, changes nothing the pattern detectors would find, which is
    /// what the server checks (R21). One pass can leave a new match behind
    /// (a name removed from between a sum and its currency word), so passes
    /// repeat until nothing changes.
    pub fn scrub(&self, text: &str, report: &mut RedactionReport) -> String {
        settle(&self.pass(text, report), report)
    }

    /// One pass of every detector over `text`.
    fn pass(&self, text: &str, report: &mut RedactionReport) -> String {
        let mut taken: Vec<Span> = Vec::new();
        let mut take = |span: Span| {
            if !taken
                .iter()
                .any(|t| span.start < t.end && t.start < span.end)
            {
                taken.push(span);
            }
        };
        for m in email_pattern().find_iter(text) {
            take(Span {
                start: m.start(),
                end: m.end(),
                kind: Redaction::Email,
            });
        }
        // Before plain numbers, so `C00123456` is one code, not `C` and a phone.
        for m in document_pattern().find_iter(text) {
            take(Span {
                start: m.start(),
                end: m.end(),
                kind: Redaction::IdNumber,
            });
        }
        for m in number_pattern().find_iter(text) {
            if let Some(kind) = classify_number(m.as_str(), &text[m.end()..]) {
                take(Span {
                    start: m.start(),
                    end: m.end(),
                    kind,
                });
            }
        }
        for (start, end) in self.name_spans(text) {
            take(Span {
                start,
                end,
                kind: Redaction::Name,
            });
        }

        taken.sort_by_key(|s| s.start);
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for span in taken {
            out.push_str(&text[at..span.start]);
            out.push_str(span.kind.placeholder());
            at = span.end;
            match span.kind {
                Redaction::Name => report.names += 1,
                Redaction::Phone => report.phones += 1,
                Redaction::Email => report.emails += 1,
                Redaction::IdNumber => report.id_numbers += 1,
            }
        }
        out.push_str(&text[at..]);
        out
    }

    /// Byte ranges where an identity string stands as whole words, ignoring
    /// case and accents. Longer strings first, so "Kofi Mensah" is one name.
    fn name_spans(&self, text: &str) -> Vec<(usize, usize)> {
        let hay = folded_with_offsets(text);
        let letter_at = |i: usize| hay.get(i).is_some_and(|(c, _, _)| c.is_alphabetic());
        let mut spans: Vec<(usize, usize)> = Vec::new();
        for needle in &self.needles {
            if needle.len() > hay.len() {
                continue;
            }
            for i in 0..=hay.len() - needle.len() {
                let end = i + needle.len();
                let matches = hay[i..end]
                    .iter()
                    .map(|(c, _, _)| *c)
                    .eq(needle.iter().copied());
                let bounded = (i == 0 || !letter_at(i - 1)) && !letter_at(end);
                let (start_byte, end_byte) = (hay[i].1, hay[end - 1].2);
                let free = !spans.iter().any(|&(s, e)| start_byte < e && s < end_byte);
                if matches && bounded && free {
                    spans.push((start_byte, end_byte));
                }
            }
        }
        spans
    }
}

/// Scrubs `text` of phone numbers, e-mails and ID-like numbers until a pass
/// changes nothing: the server's check of free text, and the phone's last
/// step. Ends, because every change replaces digits or an `@` with a
/// placeholder that has neither.
pub fn settle(text: &str, report: &mut RedactionReport) -> String {
    let patterns = Scrubber {
        needles: Vec::new(),
    };
    let mut out = text.to_owned();
    loop {
        let again = patterns.pass(&out, report);
        if again == out {
            return out;
        }
        out = again;
    }
}

/// Decides what a run of digits is: a phone, an ID-like number, or neither
/// (a date or an amount of money). `after` is the text that follows it.
fn classify_number(run: &str, after: &str) -> Option<Redaction> {
    let digits = run.chars().filter(char::is_ascii_digit).count();
    let next = after.trim_start().to_lowercase();
    if CURRENCIES.iter().any(|c| next.starts_with(c)) || date_pattern().is_match(run) {
        return None;
    }
    let first = run.trim_start_matches(['+', '(']).chars().next();
    let phone_like = run.starts_with('+')
        || run.contains('(')
        || (first == Some('0') && (8..=13).contains(&digits))
        || local_phone_pattern().is_match(run);
    if phone_like {
        Some(Redaction::Phone)
    } else if digits >= 6 {
        Some(Redaction::IdNumber)
    } else {
        None
    }
}

fn email_pattern() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"[\w.%+\-]+@[\w\-]+(?:\.[\w\-]+)+").expect("the e-mail pattern is valid")
    })
}

/// Six or more digits with single separators, optionally after a `+country`
/// prefix and a bracketed area code: `+225 07 12 34 56 78`, `(022) 555-1234`.
fn number_pattern() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?:\+ ?\d{1,3}[ .\-]?)?(?:\(\d{1,4}\) ?)?\d(?:[ .\-/]?\d){5,}")
            .expect("the number pattern is valid")
    })
}

/// Passport-like codes: one to three letters, five or more digits, maybe a letter.
fn document_pattern() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"\b[A-Za-z]{1,3}\d{5,}[A-Za-z]?\b").expect("the document pattern is valid")
    })
}

fn date_pattern() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"^(?:\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}|\d{4}[/.\-]\d{1,2}[/.\-]\d{1,2})$")
            .expect("the date pattern is valid")
    })
}

/// A seven-digit local number, `555-1234`.
fn local_phone_pattern() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"^\d{3}[ .\-]\d{4}$").expect("the local phone pattern is valid"))
}

/// Lowercase without accents, for comparing names as people write them.
pub(crate) fn fold_str(text: &str) -> Vec<char> {
    folded_with_offsets(text)
        .into_iter()
        .map(|(c, _, _)| c)
        .collect()
}

/// Each character folded (lowercase, accent removed, any space a plain
/// space) with the byte range it came from. Combining accents (text typed as
/// `e` + U+0301) join the letter before them.
fn folded_with_offsets(text: &str) -> Vec<(char, usize, usize)> {
    let mut out: Vec<(char, usize, usize)> = Vec::with_capacity(text.len());
    for (start, c) in text.char_indices() {
        let end = start + c.len_utf8();
        if ('\u{300}'..='\u{36f}').contains(&c) {
            if let Some(last) = out.last_mut() {
                last.2 = end;
                continue;
            }
        }
        let folded = if c.is_whitespace() {
            ' '
        } else {
            strip_accent(c.to_lowercase().next().unwrap_or(c))
        };
        out.push((folded, start, end));
    }
    out
}

/// The base letter of an accented lowercase Latin letter.
fn strip_accent(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => 'a',
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => 'c',
        'ď' | 'đ' => 'd',
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' | 'ɛ' => 'e',
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => 'g',
        'ĥ' | 'ħ' => 'h',
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => 'i',
        'ĵ' => 'j',
        'ķ' => 'k',
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => 'l',
        'ñ' | 'ń' | 'ņ' | 'ň' | 'ŋ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' | 'ɔ' => 'o',
        'ŕ' | 'ŗ' | 'ř' => 'r',
        'ś' | 'ŝ' | 'ş' | 'š' | 'ș' => 's',
        'ţ' | 'ť' | 'ŧ' | 'ț' => 't',
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => 'u',
        'ŵ' => 'w',
        'ý' | 'ÿ' | 'ŷ' => 'y',
        'ź' | 'ż' | 'ž' => 'z',
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scrub(text: &str, identity: &[&str]) -> String {
        let identity: Vec<String> = identity.iter().map(|s| (*s).to_owned()).collect();
        Scrubber::new(&identity).scrub(text, &mut RedactionReport::default())
    }

    #[test]
    fn names_match_across_case_accents_and_decomposed_accents() {
        assert_eq!(
            scrub("AICHA came; aïcha left", &["Aïcha"]),
            "[name] came; [name] left"
        );
        assert_eq!(
            scrub("Hervé et Herve\u{301}", &["HERVE"]),
            "[name] et [name]"
        );
    }

    #[test]
    fn names_inside_other_words_stay() {
        assert_eq!(scrub("Kofiland, Kofi's", &["Kofi"]), "Kofiland, [name]'s");
    }

    #[test]
    fn dates_and_amounts_are_not_numbers_to_hide() {
        assert_eq!(
            scrub("on 12/03/2024 she earned 150 000 FCFA", &[]),
            "on 12/03/2024 she earned 150 000 FCFA"
        );
    }

    #[test]
    fn particles_alone_are_kept_but_the_whole_place_goes() {
        assert_eq!(
            scrub("near Cité des Arts, des enfants", &["Cité des Arts"]),
            "near [name], des enfants"
        );
    }
}
