//! Cascading selects: which choices a question offers given the answers so
//! far (XLSForm's `choice_filter`, one `relevant` per choice). The phone
//! shows only these; an answer outside them is refused, on the phone and in
//! the server's replay alike.

use std::collections::BTreeMap;

use super::session::Session;
use crate::expr::{self, Expr};
use crate::model::{Choice, Protocol, Question};

/// Each filtered choice's condition, parsed once, by question id and the
/// choice's position in the list.
pub(super) type ChoiceConditions = BTreeMap<(String, usize), Result<Expr, String>>;

pub(super) fn compile(protocol: &Protocol) -> ChoiceConditions {
    let mut out = BTreeMap::new();
    for q in protocol.questions() {
        for (i, choice) in q.choices.iter().enumerate() {
            if let Some(src) = &choice.relevant {
                let parsed = expr::parse(src).map_err(|e| e.to_string());
                out.insert((q.id.clone(), i), parsed);
            }
        }
    }
    out
}

impl Session {
    /// The choices `question_id` offers now, in the protocol's order. A
    /// condition that cannot be judged (it does not parse, cannot be
    /// evaluated, or names an answer withheld before sync) offers the
    /// choice, as skip logic asks such a question: what the phone accepted,
    /// the server's replay accepts too.
    pub fn offered_choices(&self, question_id: &str) -> Vec<&Choice> {
        let Some(question) = self.question(question_id) else {
            return Vec::new();
        };
        (0..question.choices.len())
            .filter(|&i| self.choice_offered(question, i))
            .map(|i| &question.choices[i])
            .collect()
    }

    fn choice_offered(&self, question: &Question, index: usize) -> bool {
        self.holds_or_unknown(self.exprs.choices.get(&(question.id.clone(), index)))
    }

    /// Whether some choice with this value is offered now.
    pub(super) fn value_offered(&self, question: &Question, value: &str) -> bool {
        question
            .choices
            .iter()
            .enumerate()
            .any(|(i, c)| c.value == value && self.choice_offered(question, i))
    }
}
