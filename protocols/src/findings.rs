//! Findings packs (issue 22): anonymised, aggregated findings that a
//! facilitator takes back to the children or the community (R17).
//!
//! The server builds a pack from the same suppressed tables its analyst
//! pages show (R27), with the rapid-assessment caveat (R25) and the
//! protocol's definitions (R24), in every language of the protocol. Once
//! published a pack never changes: it is known by its content hash (R4),
//! pinned on the phone like a protocol, and a validation session names it.
//! [`FindingsPack::check`] is run by the server before publishing and by
//! the phone before pinning, so a count under the threshold never shows.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::hash::ContentHash;
use crate::model::{Definition, Text};

/// The smallest threshold any protocol may use (`lint/floors.rs`).
pub const MIN_CELL_FLOOR: u32 = 3;

/// `protocol/question`: the analyst table a finding comes from, and what a
/// validation protocol's `[[validation.findings]]` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingId {
    pub protocol: String,
    pub question: String,
}

impl FindingId {
    pub fn parse(text: &str) -> Result<FindingId, String> {
        let good = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        };
        match text.split_once('/') {
            Some((p, q)) if good(p) && good(q) => Ok(FindingId {
                protocol: p.to_owned(),
                question: q.to_owned(),
            }),
            _ => Err(format!(
                "finding `{text}` is not `protocol/question` (lowercase ids, e.g. \"child-rapid-assessment/main_work\")"
            )),
        }
    }

    pub fn new(protocol: &str, question: &str) -> FindingId {
        FindingId {
            protocol: protocol.to_owned(),
            question: question.to_owned(),
        }
    }
}

impl std::fmt::Display for FindingId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.protocol, self.question)
    }
}

/// A published pack. Field order is the order the hash is taken over:
/// append, don't shuffle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindingsPack {
    /// Where the findings go back to (a study site or community), as the
    /// publisher wrote it.
    pub site: String,
    pub protocol_id: String,
    pub protocol_version: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub published_at: OffsetDateTime,
    pub languages: Vec<String>,
    /// Counts under this were suppressed (R27).
    pub min_cell_size: u32,
    /// The rapid-assessment caveat, in each language, when it applies (R25).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caveat: Option<Text>,
    /// The protocol's definitions (R24).
    #[serde(default)]
    pub definitions: Vec<Definition>,
    pub findings: Vec<Finding>,
}

/// One table, as a chart and a sentence read aloud.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    /// `protocol/question` ([`FindingId`]).
    pub id: String,
    /// The question the children were asked.
    pub question: Text,
    /// What the chart says, in one sentence for reading aloud.
    pub sentence: Text,
    pub rows: Vec<FindingRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindingRow {
    pub label: Text,
    /// `None`: fewer than the threshold, suppressed (R27).
    pub count: Option<u64>,
}

impl FindingsPack {
    pub fn content_hash(&self) -> ContentHash {
        ContentHash::of(self)
    }

    pub fn finding(&self, id: &str) -> Option<&Finding> {
        self.findings.iter().find(|f| f.id == id)
    }

    /// What must hold of any pack, from any server: a threshold no lower
    /// than the floor, no shown count under it, every text in every
    /// language, finding ids well formed and unique.
    pub fn check(&self) -> Result<(), String> {
        if self.min_cell_size < MIN_CELL_FLOOR {
            return Err(format!(
                "the pack's threshold is {}, under the floor of {MIN_CELL_FLOOR} (R27)",
                self.min_cell_size
            ));
        }
        if self.languages.is_empty() {
            return Err("the pack declares no language".to_owned());
        }
        let texts = |t: &Text, what: &str| -> Result<(), String> {
            match self
                .languages
                .iter()
                .find(|l| t.get(l).is_none_or(|s| s.trim().is_empty()))
            {
                Some(lang) => Err(format!("{what} has no `{lang}` text")),
                None => Ok(()),
            }
        };
        if let Some(caveat) = &self.caveat {
            texts(caveat, "the caveat")?;
        }
        let mut seen = Vec::new();
        for f in &self.findings {
            FindingId::parse(&f.id)?;
            if seen.contains(&&f.id) {
                return Err(format!("finding `{}` appears twice", f.id));
            }
            seen.push(&f.id);
            texts(&f.question, &format!("finding `{}`", f.id))?;
            texts(&f.sentence, &format!("finding `{}`'s sentence", f.id))?;
            for row in &f.rows {
                texts(&row.label, &format!("a row of finding `{}`", f.id))?;
                if let Some(n) = row.count {
                    if n > 0 && n < u64::from(self.min_cell_size) {
                        return Err(format!(
                            "finding `{}` shows a count under {} (R27)",
                            f.id, self.min_cell_size
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

/// A pack as the server lists it to devices: the JSON exactly as hashed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackListing {
    pub hash: ContentHash,
    pub site: String,
    pub pack_json: String,
}

impl PackListing {
    /// The pack, if its JSON reads, hashes to the listed hash and passes
    /// [`FindingsPack::check`]; else why not, to show.
    pub fn pack(&self) -> Result<FindingsPack, String> {
        let pack: FindingsPack = serde_json::from_str(&self.pack_json)
            .map_err(|e| format!("findings pack {} does not read: {e}", self.hash.short()))?;
        let hash = pack.content_hash();
        if hash != self.hash {
            return Err(format!(
                "findings pack {} arrived with other content ({}): not used (R4)",
                self.hash.short(),
                hash.short()
            ));
        }
        pack.check()
            .map_err(|e| format!("findings pack {} refused: {e}", self.hash.short()))?;
        Ok(pack)
    }
}

/// The sentence read aloud for a finding: the answer given most often among
/// the rows shown, or that too few answered to say.
pub fn sentence(rows: &[FindingRow], languages: &[String]) -> Text {
    let top = rows
        .iter()
        .filter_map(|r| r.count.filter(|n| *n > 0).map(|n| (r, n)))
        .max_by_key(|(_, n)| *n);
    let mut text = Text::default();
    for lang in languages {
        let said = match (top, lang.as_str()) {
            (Some((row, n)), "fr") => format!(
                "La réponse la plus fréquente est « {} » ({n} réponses).",
                row.label.show(lang)
            ),
            (Some((row, n)), _) => format!(
                "The answer given most often is “{}” ({n} answers).",
                row.label.show(lang)
            ),
            (None, "fr") => {
                "Trop peu de réponses pour en montrer le résultat sans risque.".to_owned()
            }
            (None, _) => "Too few answers to show a result safely.".to_owned(),
        };
        text.0.insert(lang.clone(), said);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(label: &str, count: Option<u64>) -> FindingRow {
        let mut t = Text::single("en", label);
        t.0.insert("fr".into(), format!("{label} (fr)"));
        FindingRow { label: t, count }
    }

    fn pack(rows: Vec<FindingRow>) -> FindingsPack {
        let languages = vec!["en".to_owned(), "fr".to_owned()];
        FindingsPack {
            site: "North".into(),
            protocol_id: "p".into(),
            protocol_version: 1,
            published_at: OffsetDateTime::UNIX_EPOCH,
            min_cell_size: 5,
            caveat: None,
            definitions: vec![],
            findings: vec![Finding {
                id: "p/q".into(),
                question: Text::single("en", "Q").tap_fr(),
                sentence: sentence(&rows, &languages),
                rows,
            }],
            languages,
        }
    }

    trait TapFr {
        fn tap_fr(self) -> Self;
    }
    impl TapFr for Text {
        fn tap_fr(mut self) -> Self {
            self.0.insert("fr".into(), "Q fr".into());
            self
        }
    }

    #[test]
    fn a_count_under_the_threshold_is_refused() {
        assert!(pack(vec![row("a", Some(7)), row("b", None)])
            .check()
            .is_ok());
        let err = pack(vec![row("a", Some(7)), row("b", Some(2))])
            .check()
            .unwrap_err();
        assert!(err.contains("R27"), "{err}");
    }

    #[test]
    fn the_sentence_names_the_largest_shown_row_in_each_language() {
        let rows = vec![
            row("farm", Some(6)),
            row("mine", None),
            row("market", Some(9)),
        ];
        let s = sentence(&rows, &["en".into(), "fr".into()]);
        assert!(s.get("en").unwrap().contains("“market” (9"), "{s:?}");
        assert!(s.get("fr").unwrap().contains("« market (fr) »"), "{s:?}");
        let none = sentence(&[row("mine", None)], &["en".into()]);
        assert!(none.get("en").unwrap().starts_with("Too few"));
    }

    #[test]
    fn finding_ids_are_protocol_slash_question() {
        assert_eq!(
            FindingId::parse("child-rapid-assessment/main_work").unwrap(),
            FindingId::new("child-rapid-assessment", "main_work")
        );
        for bad in ["", "a", "a/", "/b", "A/b", "a/b/c", "a b/c"] {
            assert!(FindingId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_hash_changes_with_any_count() {
        let a = pack(vec![row("a", Some(7))]);
        let b = pack(vec![row("a", Some(8))]);
        assert_ne!(a.content_hash(), b.content_hash());
    }
}
