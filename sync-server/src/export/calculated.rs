//! Calculated questions in exports: the value the engine derives from the
//! record's answers, as the phone showed it. A calculation built on an answer
//! withheld on the device (R21), directly or through another calculation,
//! is exported as withheld: the server cannot know it, and must not guess.

use std::collections::{BTreeMap, BTreeSet};

use fieldkit_protocols::{engine, expr, Protocol, Value};

use super::facts::Answer;

/// The calculated questions of a protocol: position and parsed expression's
/// references, in asking order.
pub struct Calculated {
    questions: Vec<(usize, String, Vec<String>)>,
}

impl Calculated {
    pub fn new(protocol: &Protocol) -> Calculated {
        let questions = protocol
            .questions()
            .enumerate()
            .filter_map(|(i, q)| {
                let src = q.calculation.as_ref()?;
                let references = expr::parse(src).map(|e| e.references()).unwrap_or_default();
                Some((i, q.id.clone(), references))
            })
            .collect();
        Calculated { questions }
    }

    /// Fills the calculated questions of one record's `answers` (indexed
    /// like `Protocol::questions()`).
    pub fn fill(&self, protocol: &Protocol, answers: &mut [Option<Answer>]) {
        if self.questions.is_empty() {
            return;
        }
        let mut given = BTreeMap::new();
        let mut withheld = BTreeSet::new();
        for (q, answer) in protocol.questions().zip(answers.iter()) {
            match answer {
                Some(Answer::Given(value)) => {
                    given.insert(q.id.clone(), value.clone());
                }
                Some(Answer::Withheld) => {
                    withheld.insert(q.id.clone());
                }
                _ => {}
            }
        }
        let known: BTreeMap<String, Value> = engine::calculate(protocol, &given);
        for (i, id, references) in &self.questions {
            answers[*i] = if references.iter().any(|r| withheld.contains(r)) {
                withheld.insert(id.clone());
                Some(Answer::Withheld)
            } else {
                known.get(id).cloned().map(Answer::Given)
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use fieldkit_protocols::{library, parse_protocol};

    use super::*;

    /// The shipped child interview with two calculations after `sex`: one
    /// from the age, one from `origin`, whose answer the test withholds.
    fn protocol() -> Protocol {
        let shipped = &library::SHIPPED[0];
        let mut protocol = parse_protocol(shipped.file, shipped.source).unwrap();
        let questions = &mut protocol.sections[0].questions;
        let mut months = questions[0].clone();
        months.id = "months".into();
        months.calculation = Some("age * 12".into());
        let mut place = questions[0].clone();
        place.id = "place".into();
        place.calculation = Some("concat('from ', origin)".into());
        let mut later = place.clone();
        later.id = "later".into();
        later.calculation = Some("coalesce(place, 'nowhere')".into());
        questions.extend([months, place, later]);
        protocol
    }

    #[test]
    fn calculated_values_follow_the_answers_and_never_a_withheld_one() {
        let protocol = protocol();
        let ids: Vec<&str> = protocol.questions().map(|q| q.id.as_str()).collect();
        let at = |id: &str| ids.iter().position(|i| *i == id).unwrap();
        let mut answers = vec![None; ids.len()];
        answers[at("age")] = Some(Answer::Given(Value::Integer(12)));
        answers[at("origin")] = Some(Answer::Withheld);
        Calculated::new(&protocol).fill(&protocol, &mut answers);
        assert_eq!(
            answers[at("months")],
            Some(Answer::Given(Value::Integer(144)))
        );
        // Built on a withheld answer, directly or through another calculation.
        assert_eq!(answers[at("place")], Some(Answer::Withheld));
        assert_eq!(answers[at("later")], Some(Answer::Withheld));
    }
}
