//! Answer piping: `${id}` in a question's text or hint, a choice label, a
//! constraint message or the closing text shows the answer to question `id`,
//! in the session language (a choice by its label), as XLSForm's `${name}`
//! does. An unanswered, skipped or withheld question shows nothing, as in ODK.
//! `${` not followed by an id and `}` is ordinary text. The linter checks
//! that each reference names a question of the protocol.

use crate::engine::Session;
use crate::model::{Question, Text};
use crate::value::Value;

/// The pieces of a text: literal text and references, in order.
enum Piece<'a> {
    Text(&'a str),
    Answer(&'a str),
}

fn pieces(text: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let id_len = after.find('}').filter(|&end| is_id(&after[..end]));
        match id_len {
            Some(end) => {
                out.push(Piece::Text(&rest[..start]));
                out.push(Piece::Answer(&after[..end]));
                rest = &after[end + 1..];
            }
            None => {
                out.push(Piece::Text(&rest[..start + 2]));
                rest = after;
            }
        }
    }
    out.push(Piece::Text(rest));
    out
}

fn is_id(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Question ids a text shows, in order of appearance, without repeats.
pub fn references(text: &str) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for piece in pieces(text) {
        if let Piece::Answer(id) = piece {
            if !ids.iter().any(|i| i == id) {
                ids.push(id.to_owned());
            }
        }
    }
    ids
}

/// `text` with each `${id}` replaced by `answer(id)`, or nothing.
pub fn fill(text: &str, answer: impl Fn(&str) -> Option<String>) -> String {
    pieces(text)
        .into_iter()
        .map(|piece| match piece {
            Piece::Text(t) => t.to_owned(),
            Piece::Answer(id) => answer(id).unwrap_or_default(),
        })
        .collect()
}

impl Session {
    /// `text` in the session language with earlier answers piped in.
    pub fn show(&self, text: &Text) -> String {
        let lang = self.language();
        let known = self.calculated();
        fill(text.show(lang), |id| {
            let question = self.protocol().question(id)?;
            let value = self.answers().get(id).or_else(|| known.get(id))?;
            Some(display(question, value, lang))
        })
    }

    /// The question as the screen shows it now: its text, hint, choice
    /// labels and constraint message in the session language, piped, and
    /// only the choices it offers given the earlier answers (a cascading
    /// select), each value once.
    pub fn shown_question(&self, question: &Question) -> Question {
        let lang = self.language();
        let here = |text: &Text| Text::single(lang, &self.show(text));
        let mut shown = question.clone();
        if self.protocol().question(&question.id).is_some() {
            let mut seen = std::collections::BTreeSet::new();
            shown.choices = self
                .offered_choices(&question.id)
                .into_iter()
                .filter(|c| seen.insert(c.value.as_str()))
                .cloned()
                .collect();
        }
        shown.text = here(&question.text);
        shown.hint = question.hint.as_ref().map(here);
        shown.constraint_message = question.constraint_message.as_ref().map(here);
        for choice in &mut shown.choices {
            choice.label = here(&choice.label);
        }
        shown
    }
}

/// An answer as a person reads it, in `lang`: a choice by its label.
pub fn display(question: &Question, value: &Value, lang: &str) -> String {
    let label = |v: &String| {
        question
            .choices
            .iter()
            .find(|c| &c.value == v)
            .map_or_else(|| v.clone(), |c| c.label.show(lang).to_owned())
    };
    match value {
        Value::Bool(b) => if *b { "✓" } else { "✗" }.to_owned(),
        Value::Integer(n) => n.to_string(),
        Value::Decimal(x) => x.to_string(),
        Value::Count(n) => n.to_string(),
        Value::Text(t) | Value::Date(t) | Value::Time(t) => t.clone(),
        Value::Choice(v) => label(v),
        Value::Choices(vs) | Value::Ranking(vs) => {
            vs.iter().map(label).collect::<Vec<_>>().join(", ")
        }
        Value::Location { lat, lon } => format!("{lat}, {lon}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_ids_in_braces_and_anything_else_is_text() {
        assert_eq!(
            references("At ${age}, with ${sex} and ${age}"),
            ["age", "sex"]
        );
        assert!(references("costs ${ or ${Age} or ${}").is_empty());
        let filled = fill("At ${age}, ${x} ${Age} $5", |id| {
            (id == "age").then(|| "12".to_owned())
        });
        assert_eq!(filled, "At 12,  ${Age} $5");
    }
}
