//! Language columns: `label::English (en)`, `hint::Français (fr)`, plain `label`.
//!
//! Fieldkit keys every text by a language code, so a column's language is its
//! code in parentheses when there is one, else a code for a well-known language
//! name, else the name itself in lowercase. Plain columns (`label`) are in the
//! form's default language; an explicit column for that language wins. A
//! language column with no text anywhere is no language of the protocol.

use std::collections::BTreeMap;

use fieldkit_protocols::Text;

use super::headers::TRANSLATED;
use super::sheets::{Row, Sheet};

/// Well-known language names, as authors write them in XLSForm headers.
const NAMES: [(&str, &str); 14] = [
    ("english", "en"),
    ("french", "fr"),
    ("français", "fr"),
    ("francais", "fr"),
    ("spanish", "es"),
    ("español", "es"),
    ("portuguese", "pt"),
    ("português", "pt"),
    ("arabic", "ar"),
    ("swahili", "sw"),
    ("kiswahili", "sw"),
    ("hindi", "hi"),
    ("bengali", "bn"),
    ("nepali", "ne"),
];

/// The code for a language as written in a header or in `default_language`.
pub(crate) fn language_code(written: &str) -> String {
    let written = written.trim();
    if let (Some(open), true) = (written.rfind('('), written.ends_with(')')) {
        let code = written[open + 1..written.len() - 1].trim();
        if !code.is_empty() {
            return code.to_lowercase();
        }
    }
    let lower = written.to_lowercase();
    NAMES.iter().find(|(name, _)| *name == lower).map_or_else(
        || lower.chars().filter(|c| c.is_alphanumeric()).collect(),
        |(_, code)| (*code).to_owned(),
    )
}

/// The name part of `English (en)`, lowercased: `english`.
fn language_name(written: &str) -> String {
    let written = written.trim();
    let name = match (written.rfind('('), written.ends_with(')')) {
        (Some(open), true) => &written[..open],
        _ => written,
    };
    name.trim().to_lowercase()
}

/// The form's languages: the default first, then the others in column order.
#[derive(Debug, Clone)]
pub(crate) struct Languages {
    pub all: Vec<String>,
    /// Language as written in a header -> its code.
    codes: Vec<(String, String)>,
    /// What was decided about languages, for the author's checklist.
    pub notes: Vec<String>,
}

impl Languages {
    /// Collects the languages that translated columns of `sheets` use and
    /// fill in at least once. `default` is the settings' `default_language`
    /// as written: a code, a name, or a header's `Name (code)`; plain
    /// columns (`label`) are in it.
    pub fn from_sheets(default: Option<&str>, sheets: &[(&str, &Sheet)]) -> Self {
        let mut written: Vec<String> = Vec::new();
        let mut empty: Vec<(String, String)> = Vec::new();
        let mut plain_used = false;
        for (sheet_name, sheet) in sheets {
            for (i, header) in sheet.header.iter().enumerate() {
                if !TRANSLATED.contains(&header.base.as_str()) {
                    continue;
                }
                let used = sheet.rows.iter().any(|r| !r.cell(Some(i)).is_empty());
                match &header.lang {
                    None => plain_used |= used,
                    Some(lang) if used => {
                        if !written.contains(lang) {
                            written.push(lang.clone());
                        }
                    }
                    Some(_) => empty.push(((*sheet_name).to_owned(), header.original.clone())),
                }
            }
        }
        let code_of = |lang: &str| language_code(lang);
        let mut notes = Vec::new();
        // The default as a header writes it, by code or by name.
        let default_code = default.filter(|d| !d.trim().is_empty()).map(|d| {
            written
                .iter()
                .find(|w| {
                    w.trim().eq_ignore_ascii_case(d.trim())
                        || code_of(w) == code_of(d)
                        || language_name(w) == language_name(d)
                })
                .map_or_else(|| code_of(d), |w| code_of(w))
        });
        let mut all: Vec<String> = Vec::new();
        let header_codes: Vec<String> = written.iter().map(|w| code_of(w)).collect();
        match (&default_code, plain_used) {
            (Some(code), _) if plain_used || header_codes.contains(code) => all.push(code.clone()),
            (Some(code), _) => {
                notes.push(format!(
                    "settings: default_language `{}` ({code}) has no text in any column, so it is not a language of the protocol; the first language of the columns is the default",
                    default.unwrap_or_default().trim()
                ));
            }
            (None, true) => all.push("en".to_owned()),
            (None, false) => {}
        }
        for code in header_codes {
            if !all.contains(&code) {
                all.push(code);
            }
        }
        if all.is_empty() {
            all.push(default_code.clone().unwrap_or_else(|| "en".to_owned()));
        }
        if plain_used && default_code.is_none() && all.len() > 1 {
            notes.push(
                "settings: there is no default_language, so columns without a language (label, hint) were read as English (en); set default_language if they are in another language".to_owned(),
            );
        }
        for (sheet, column) in empty {
            notes.push(format!(
                "sheet {sheet}, column `{column}`: every cell is empty, so its language is not a language of the protocol"
            ));
        }
        let codes = written.iter().map(|w| (w.clone(), code_of(w))).collect();
        Languages { all, codes, notes }
    }

    pub fn default(&self) -> &str {
        &self.all[0]
    }

    fn code(&self, written: &str) -> String {
        self.codes
            .iter()
            .find(|(w, _)| w == written)
            .map_or_else(|| language_code(written), |(_, c)| c.clone())
    }

    /// The text of column family `base` in `row`, in every language that has
    /// one; `None` when all are empty.
    pub fn text(&self, sheet: &Sheet, row: &Row, base: &str) -> Option<Text> {
        let mut text = Text::default();
        for (i, header) in sheet.header.iter().enumerate() {
            if header.base != base {
                continue;
            }
            let value = row.cell(Some(i));
            if value.is_empty() {
                continue;
            }
            match &header.lang {
                Some(lang) => {
                    text.0.insert(self.code(lang), value.to_owned());
                }
                None => {
                    text.0
                        .entry(self.default().to_owned())
                        .or_insert_with(|| value.to_owned());
                }
            }
        }
        (!text.0.is_empty()).then_some(text)
    }

    /// The same words in every language, for texts Fieldkit adds itself.
    pub fn fixed(&self, words: impl Fn(&str) -> String) -> Text {
        Text(self.all.iter().map(|l| (l.clone(), words(l))).collect())
    }
}

/// Joins texts language by language, as paragraphs.
pub(crate) fn merge_texts(texts: impl IntoIterator<Item = Text>) -> Option<Text> {
    let mut merged: BTreeMap<String, String> = BTreeMap::new();
    for text in texts {
        for (lang, value) in text.0 {
            let entry = merged.entry(lang).or_default();
            if !entry.is_empty() {
                entry.push_str("\n\n");
            }
            entry.push_str(&value);
        }
    }
    (!merged.is_empty()).then_some(Text(merged))
}
