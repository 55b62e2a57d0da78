//! Answer values, shared by the expression language, the engine and exports.

use serde::{Deserialize, Serialize};

use crate::model::QuestionKind;

/// One answer as recorded. Dates are `YYYY-MM-DD`, times `HH:MM`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Value {
    Bool(bool),
    Integer(i64),
    Decimal(f64),
    Text(String),
    Choice(String),
    Choices(Vec<String>),
    /// Choice values, most important first.
    Ranking(Vec<String>),
    Date(String),
    Time(String),
    Location {
        lat: f64,
        lon: f64,
    },
    Count(u32),
}

impl Value {
    /// Whether this value has the shape a question of `kind` takes.
    pub fn fits(&self, kind: QuestionKind) -> bool {
        matches!(
            (kind, self),
            (QuestionKind::YesNo, Value::Bool(_))
                | (QuestionKind::Integer, Value::Integer(_))
                | (QuestionKind::Decimal, Value::Decimal(_) | Value::Integer(_))
                | (
                    QuestionKind::Text | QuestionKind::PictureCard,
                    Value::Text(_)
                )
                | (QuestionKind::SingleChoice, Value::Choice(_))
                | (QuestionKind::MultipleChoice, Value::Choices(_))
                | (QuestionKind::Ranking, Value::Ranking(_))
                | (QuestionKind::Date, Value::Date(_))
                | (QuestionKind::Time, Value::Time(_))
                | (QuestionKind::CoarseLocation, Value::Location { .. })
                | (QuestionKind::Tally, Value::Count(_))
        )
    }
}
