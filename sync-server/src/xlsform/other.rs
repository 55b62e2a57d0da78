//! `or_other`: the extra "other" choice and the follow-up question that asks
//! which, named and worded like pyxform's so exports line up.

use fieldkit_protocols::model::{Question, QuestionKind};

use super::languages::Languages;
use super::xpath::{and, Node};

/// `{id}_other`: free text, asked only when "other" is chosen.
pub(crate) fn follow_up(
    languages: &Languages,
    parent: &Question,
    group_relevant: Option<Node>,
) -> Question {
    let selected_other = Node::Call(
        "selected",
        vec![Node::Ref(parent.id.clone()), Node::Str("other".to_owned())],
    );
    let relevant = match group_relevant {
        Some(group) => and(group, selected_other),
        None => selected_other,
    };
    Question {
        id: format!("{}_other", parent.id),
        text: languages.fixed(specify_other),
        hint: None,
        kind: QuestionKind::Text,
        choices: Vec::new(),
        required: false,
        purpose: parent.purpose.clone(),
        sensitive: parent.sensitive,
        identifying: parent.identifying,
        disaggregation: None,
        relevant: Some(relevant.to_string()),
        constraint: None,
        constraint_message: None,
        card: None,
        not_identifying_because: None,
        image: None,
        audio: None,
        card_description: None,
        calculation: None,
    }
}

/// The label of the extra `other` choice, per language.
pub(crate) fn other_word(lang: &str) -> String {
    match lang {
        "fr" => "Autre",
        "es" => "Otro",
        "pt" => "Outro",
        _ => "Other",
    }
    .to_owned()
}

/// The follow-up question for `or_other`, per language.
fn specify_other(lang: &str) -> String {
    match lang {
        "fr" => "Précisez l'autre réponse.",
        "es" => "Especifique la otra respuesta.",
        "pt" => "Especifique a outra resposta.",
        _ => "Specify other.",
    }
    .to_owned()
}
