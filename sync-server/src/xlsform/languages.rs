//! Language columns: `label::English (en)`, `hint::Français (fr)`, plain `label`.
//!
//! Fieldkit keys every text by a language code, so a column's language is its
//! code in parentheses when there is one, else a code for a well-known language
//! name, else the name itself in lowercase. Plain columns (`label`) are in the
//! form's default language; an explicit column for that language wins.

use std::collections::BTreeMap;

use fieldkit_protocols::Text;

use super::sheets::{Row, Sheet};

/// Column bases that carry translated text.
const TRANSLATED: [&str; 4] = ["label", "hint", "constraint_message", "guidance_hint"];

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

/// Splits `label::English (en)` into `("label", Some("en"))`, `label` into `("label", None)`.
pub(crate) fn split_header(header: &str) -> (String, Option<String>) {
    match header.split_once("::") {
        Some((base, lang)) => (base.trim().to_lowercase(), Some(language_code(lang))),
        None => (header.trim().to_lowercase(), None),
    }
}

/// The form's languages: the default first, then the others in column order.
#[derive(Debug, Clone)]
pub(crate) struct Languages {
    pub all: Vec<String>,
}

impl Languages {
    /// Collects the languages used by translated columns of `sheets`.
    pub fn from_sheets(default: &str, sheets: &[&Sheet]) -> Self {
        let mut all = vec![default.to_owned()];
        for sheet in sheets {
            for header in &sheet.header {
                if let (base, Some(code)) = split_header(header) {
                    if TRANSLATED.contains(&base.as_str()) && !all.contains(&code) {
                        all.push(code);
                    }
                }
            }
        }
        Languages { all }
    }

    pub fn default(&self) -> &str {
        &self.all[0]
    }

    /// The text of column family `base` in `row`, in every language that has
    /// one; `None` when all are empty.
    pub fn text(&self, sheet: &Sheet, row: &Row, base: &str) -> Option<Text> {
        let mut text = Text::default();
        for (i, header) in sheet.header.iter().enumerate() {
            let (column_base, lang) = split_header(header);
            if column_base != base {
                continue;
            }
            let value = row.cell(Some(i));
            if value.is_empty() {
                continue;
            }
            match lang {
                Some(code) => {
                    text.0.insert(code, value.to_owned());
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
