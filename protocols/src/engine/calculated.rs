//! Calculated questions (XLSForm's `calculate`): never asked, their value is
//! an expression over earlier answers. Nothing about them is recorded in the
//! log: the engine derives them from the answers whenever it needs them, so
//! the phone and the server's replay always agree, and an answer withheld
//! before sync (R21) leaves a calculation built on it unknown rather than
//! sent.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use super::session::Session;
use crate::expr::{self, Expr};
use crate::model::Protocol;
use crate::value::Value;

/// Each calculated question's expression, parsed once, in asking order.
pub(super) type Calculations = Vec<(String, Result<Expr, String>)>;

pub(super) fn compile(protocol: &Protocol) -> Calculations {
    protocol
        .questions()
        .filter_map(|q| {
            let src = q.calculation.as_ref()?;
            Some((q.id.clone(), expr::parse(src).map_err(|e| e.to_string())))
        })
        .collect()
}

/// `answers` with every calculated value added, each worked out in asking
/// order over the answers and the calculations before it. A calculation
/// that is blank, does not parse or cannot be evaluated has no value.
pub fn calculate(
    protocol: &Protocol,
    answers: &BTreeMap<String, Value>,
) -> BTreeMap<String, Value> {
    with_calculations(&compile(protocol), answers)
}

fn with_calculations(
    calculations: &Calculations,
    answers: &BTreeMap<String, Value>,
) -> BTreeMap<String, Value> {
    let mut known = answers.clone();
    for (id, parsed) in calculations {
        known.remove(id);
        if let Ok(expr) = parsed {
            if let Ok(Some(value)) = expr.value(&known, None) {
                known.insert(id.clone(), value);
            }
        }
    }
    known
}

impl Session {
    /// The answers so far with the calculated values: what conditions,
    /// choice filters and piping see.
    pub(super) fn known(&self) -> Cow<'_, BTreeMap<String, Value>> {
        if self.exprs.calculations.is_empty() {
            Cow::Borrowed(&self.state.answers)
        } else {
            Cow::Owned(with_calculations(
                &self.exprs.calculations,
                &self.state.answers,
            ))
        }
    }

    /// The calculated values now, by question id.
    pub fn calculated(&self) -> BTreeMap<String, Value> {
        let known = self.known();
        self.exprs
            .calculations
            .iter()
            .filter_map(|(id, _)| Some((id.clone(), known.get(id)?.clone())))
            .collect()
    }

    /// Whether a condition holds over the answers so far. One that cannot be
    /// judged (it does not parse, cannot be evaluated, or names an answer
    /// the server's replay cannot know) holds: what the phone accepted, the
    /// replay must accept too. `None`, no condition, holds.
    pub(super) fn holds_or_unknown(&self, condition: Option<&Result<Expr, String>>) -> bool {
        let Some(Ok(expr)) = condition else {
            return true;
        };
        let unknowable = self.unknowable();
        if expr.refers_to_any(&unknowable) {
            return true;
        }
        expr.eval(&*self.known(), None).unwrap_or(true)
    }

    /// Questions whose value the server's replay cannot know: answers
    /// withheld before sync, and calculations built on them.
    pub(super) fn unknowable(&self) -> Cow<'_, BTreeSet<String>> {
        if self.exprs.calculations.is_empty() {
            return Cow::Borrowed(&self.state.withheld);
        }
        let mut hidden = self.state.withheld.clone();
        for (id, parsed) in &self.exprs.calculations {
            let built_on_hidden = match parsed {
                Ok(expr) => expr.refers_to_any(&hidden),
                Err(_) => false,
            };
            if built_on_hidden {
                hidden.insert(id.clone());
            }
        }
        Cow::Owned(hidden)
    }
}
