//! Header cells as pyxform reads them: `label::English (en)`, `label:English`
//! (one colon, when no header of the sheet uses two), `bind::relevant`,
//! `relevance`, `media::image`, `list name`... each becomes a canonical
//! column name and, for translated columns, the language as written.

/// One header cell, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    /// The cell as the author wrote it, for messages.
    pub original: String,
    /// The canonical column: `label`, `relevant`, `constraint_message`, ...
    pub base: String,
    /// The language part of a translated column, as written (`English (en)`).
    pub lang: Option<String>,
}

/// pyxform's other names for survey columns (its `aliases.survey_header`),
/// and the `bind::` attributes XLSForm authors write instead of columns.
const ALIASES: [(&str, &str); 22] = [
    ("caption", "label"),
    ("relevance", "relevant"),
    ("bind:relevant", "relevant"),
    ("bind:constraint", "constraint"),
    ("bind:required", "required"),
    ("bind:calculate", "calculation"),
    ("bind:readonly", "readonly"),
    ("bind:jr:constraintmsg", "constraint_message"),
    ("bind:jr:requiredmsg", "required_message"),
    ("bind:jr:noapperrorstring", "no_app_error_string"),
    ("jr:constraintmsg", "constraint_message"),
    ("constraining_message", "constraint_message"),
    ("calculate", "calculation"),
    ("read_only", "readonly"),
    ("requiredmsg", "required_message"),
    ("jr:requiredmsg", "required_message"),
    ("noapperrorstring", "no_app_error_string"),
    ("count", "repeat_count"),
    ("jr:count", "repeat_count"),
    ("command", "type"),
    ("tag", "name"),
    ("value", "name"),
];

/// Columns whose cells may be given per language.
pub(crate) const TRANSLATED: [&str; 9] = [
    "label",
    "hint",
    "guidance_hint",
    "constraint_message",
    "required_message",
    "image",
    "big-image",
    "audio",
    "video",
];

/// Media columns: picture cards and audio prompts come with protocol bundles.
pub(crate) const MEDIA: [&str; 4] = ["image", "big-image", "audio", "video"];

fn snake_case(value: &str) -> String {
    value
        .split_whitespace()
        .collect::<Vec<_>>()
        .join("_")
        .to_lowercase()
}

/// Reads a sheet's header row.
pub(crate) fn read(raw: &[String]) -> Vec<Header> {
    let double = raw.iter().any(|h| h.contains("::"));
    raw.iter().map(|h| header(h, double)).collect()
}

fn header(original: &str, double_colon: bool) -> Header {
    let trimmed = original.trim();
    let tokens: Vec<String> = if double_colon {
        trimmed.split("::").map(|t| t.trim().to_owned()).collect()
    } else {
        // One colon separates parts, except in `jr:...` attribute names.
        let mut tokens: Vec<String> = Vec::new();
        let mut parts = trimmed.split(':').map(str::trim);
        while let Some(part) = parts.next() {
            if part.eq_ignore_ascii_case("jr") {
                let name = parts.next().unwrap_or_default();
                tokens.push(format!("jr:{name}"));
            } else {
                tokens.push(part.to_owned());
            }
        }
        tokens
    };
    let make = |base: String, lang: Option<&String>| Header {
        original: original.to_owned(),
        base,
        lang: lang.cloned().filter(|l| !l.is_empty()),
    };
    let first = snake_case(tokens.first().map_or("", String::as_str));
    match (first.as_str(), tokens.as_slice()) {
        // `bind::x` and `media::image` name the column in their second part.
        ("bind", [_, attribute, rest @ ..]) => {
            let attribute = format!("bind:{}", attribute.to_lowercase());
            let base = alias(&attribute).map_or(attribute, str::to_owned);
            make(base, rest.first())
        }
        ("media", [_, kind, rest @ ..]) => make(snake_media(kind), rest.first()),
        // Fieldkit's own columns keep their prefix: `fieldkit::purpose`.
        ("fieldkit", [_, name, ..]) => make(format!("fieldkit::{}", snake_case(name)), None),
        (first, [_, rest @ ..]) => {
            let base = alias(first).map_or_else(|| first.to_owned(), str::to_owned);
            make(base, rest.first())
        }
        _ => make(String::new(), None),
    }
}

fn snake_media(kind: &str) -> String {
    kind.trim().to_lowercase()
}

fn alias(name: &str) -> Option<&'static str> {
    ALIASES
        .iter()
        .find(|(from, _)| from.eq_ignore_ascii_case(name))
        .map(|(_, to)| *to)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(raw: &[&str]) -> Vec<(String, Option<String>)> {
        let raw: Vec<String> = raw.iter().map(|s| (*s).to_owned()).collect();
        read(&raw).into_iter().map(|h| (h.base, h.lang)).collect()
    }

    fn pair(base: &str, lang: Option<&str>) -> (String, Option<String>) {
        (base.to_owned(), lang.map(str::to_owned))
    }

    #[test]
    fn pyxform_spellings_become_canonical_columns() {
        assert_eq!(
            one(&[
                "Type",
                "list name",
                "bind::relevant",
                "bind::jr:constraintMsg",
                "relevance",
                "label::English (en)",
                "media::audio::chinese",
                "fieldkit::purpose",
                "caption::French",
            ]),
            [
                pair("type", None),
                pair("list_name", None),
                pair("relevant", None),
                pair("constraint_message", None),
                pair("relevant", None),
                pair("label", Some("English (en)")),
                pair("audio", Some("chinese")),
                pair("fieldkit::purpose", None),
                pair("label", Some("French")),
            ]
        );
    }

    #[test]
    fn one_colon_separates_languages_when_no_header_uses_two() {
        assert_eq!(
            one(&[
                "label:English",
                "bind:relevant",
                "bind:jr:constraintMsg",
                "jr:count"
            ]),
            [
                pair("label", Some("English")),
                pair("relevant", None),
                pair("constraint_message", None),
                pair("repeat_count", None),
            ]
        );
        // With a `::` header in the sheet, one colon is part of the name.
        assert_eq!(
            one(&["label::en", "label:fr"]),
            [pair("label", Some("en")), pair("label:fr", None)]
        );
    }
}
