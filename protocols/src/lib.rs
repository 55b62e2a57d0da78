//! Fieldkit's shared vocabulary, with no I/O: the research-protocol model and
//! its TOML format, the ethics linter, the expression language for skip logic,
//! the session engine, anonymisation, reference numbers and the sync wire types.
//!
//! The phone and the server both depend on this crate, so a rule enforced here
//! is enforced in both places (see `ETHICS.md` for the rule ids R1-R27).

pub mod anonymise;
pub mod engine;
pub mod expr;
pub mod feedback;
pub mod findings;
pub mod hash;
pub mod library;
pub mod lint;
pub mod media;
pub mod model;
pub mod outline;
pub mod parse;
pub mod piping;
pub mod refnum;
pub mod rules;
pub mod strength;
pub mod study;
pub mod value;
pub mod wire;

pub use hash::ContentHash;
pub use model::{Protocol, Question, QuestionKind, Text};
pub use parse::{parse_protocol, to_toml, ParseError};
pub use rules::Rule;
pub use value::Value;
