//! The expression language for skip logic (`relevant`) and validation
//! (`constraint`), as specified in `notes/lint-spec.md`.
//!
//! ```text
//! expr    := or
//! or      := and ("or" and)*
//! and     := not ("and" not)*
//! not     := "not" not | compare
//! compare := sum (("=" | "!=" | "<" | "<=" | ">" | ">=") sum)?   -- no chains
//! sum     := product (("+" | "-") product)*
//! product := unary (("*" | "/") unary)*
//! unary   := "-" unary | primary
//! primary := integer | decimal | string | "true" | "false" | "." | id
//!          | "selected(" target "," string ")" | "count_selected(" target ")"
//!          | "answered(" target ")" | "length(" target ")"
//!          | "matches(" target "," string ")" | "(" expr ")"
//!          | "if(" expr "," expr "," expr ")" | "concat(" expr ("," expr)* ")"
//!          | "coalesce(" expr "," expr ")" | "round(" expr ("," integer)? ")"
//! target  := id | "."
//! ```
//!
//! Strings are in single or double quotes; `\'`, `\"` and `\\` escape a quote
//! or a backslash. A minus sign directly before a number literal is part of
//! the literal, so `-3` is the integer minus three (and prints back as `-3`).
//!
//! An unanswered question compares false (like XLSForm's empty value), so
//! `age < 18` and `age != 18` are both false while `age` is unanswered.

mod eval;
mod parse;
mod pattern;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::value::Value;

pub use eval::EvalError;
pub use parse::{parse, ExprError};

/// Words that are never question ids inside an expression.
pub const KEYWORDS: [&str; 5] = ["and", "or", "not", "true", "false"];

/// A parsed expression. `Display` prints its canonical text, which parses
/// back to the same `Expr`.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// `.`: the answer being given (constraints only).
    Current,
    /// An earlier question's answer, by id.
    Question(String),
    Integer(i64),
    Decimal(f64),
    Str(String),
    Bool(bool),
    Not(Box<Expr>),
    /// Unary minus of something that is not a number literal.
    Neg(Box<Expr>),
    Binary {
        op: BinOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    /// `selected(q, 'value')`
    Selected {
        target: Target,
        value: String,
    },
    /// `count_selected(q)`
    CountSelected(Target),
    /// `answered(q)`
    Answered(Target),
    /// `length(.)`: characters of a text answer.
    Length(Target),
    /// `matches(., '^[0-9]+$')`: the text answer contains a match of the
    /// regular expression (XLSForm's `regex()`); unanswered never matches.
    Matches {
        target: Target,
        pattern: String,
    },
    /// `if(condition, then, otherwise)`: a value chosen by a condition.
    If(Box<[Expr; 3]>),
    /// `concat(a, b, ...)`: the values as text, one after the other; an
    /// unanswered question adds nothing.
    Concat(Vec<Expr>),
    /// `coalesce(a, b)`: `a`, or `b` where `a` is unanswered or blank.
    Coalesce(Box<[Expr; 2]>),
    /// `round(x, places)`: `x` to `places` decimals (0 to 10), halves
    /// upwards (2.5 to 3, -2.5 to -2), as ODK's round() does.
    Round {
        value: Box<Expr>,
        places: u8,
    },
}

/// What a function looks at: a question or the current answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Current,
    Question(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "or",
            BinOp::And => "and",
            BinOp::Eq => "=",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
        }
    }

    /// Binding strength; higher binds tighter.
    fn precedence(self) -> u8 {
        match self {
            BinOp::Or => 1,
            BinOp::And => 2,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => 4,
            BinOp::Add | BinOp::Sub => 5,
            BinOp::Mul | BinOp::Div => 6,
        }
    }

    pub fn is_comparison(self) -> bool {
        self.precedence() == 4
    }
}

/// Precedence of `not`, between `and` and comparisons.
const NOT_PRECEDENCE: u8 = 3;
/// Unary minus and everything atomic.
const ATOM_PRECEDENCE: u8 = 7;

/// Where answers come from while evaluating.
pub trait Answers {
    fn answer(&self, question_id: &str) -> Option<&Value>;
}

impl Answers for BTreeMap<String, Value> {
    fn answer(&self, question_id: &str) -> Option<&Value> {
        self.get(question_id)
    }
}

impl Expr {
    /// Question ids used, sorted and deduplicated.
    pub fn references(&self) -> Vec<String> {
        let mut ids = BTreeSet::new();
        self.each_reference(&mut |id| {
            ids.insert(id.to_owned());
        });
        ids.into_iter().collect()
    }

    /// Whether the expression uses any of `ids`; allocates nothing, as the
    /// engine asks this for every condition it judges.
    pub fn refers_to_any(&self, ids: &BTreeSet<String>) -> bool {
        let mut found = false;
        if !ids.is_empty() {
            self.each_reference(&mut |id| found |= ids.contains(id));
        }
        found
    }

    fn each_reference(&self, found: &mut impl FnMut(&str)) {
        self.visit(&mut |e| match e {
            Expr::Question(id) => found(id),
            Expr::Selected { target, .. }
            | Expr::CountSelected(target)
            | Expr::Answered(target)
            | Expr::Length(target)
            | Expr::Matches { target, .. } => {
                if let Target::Question(id) = target {
                    found(id);
                }
            }
            _ => {}
        });
    }

    /// Whether the expression uses `.` (only allowed in constraints).
    pub fn uses_current(&self) -> bool {
        let mut found = false;
        self.visit(&mut |e| {
            found |= matches!(
                e,
                Expr::Current
                    | Expr::Selected {
                        target: Target::Current,
                        ..
                    }
                    | Expr::CountSelected(Target::Current)
                    | Expr::Answered(Target::Current)
                    | Expr::Length(Target::Current)
                    | Expr::Matches {
                        target: Target::Current,
                        ..
                    }
            );
        });
        found
    }

    /// Evaluates to true or false. `current` is the answer being validated
    /// (`.`); pass `None` for relevance.
    pub fn eval(&self, answers: &dyn Answers, current: Option<&Value>) -> Result<bool, EvalError> {
        eval::eval(self, answers, current)
    }

    /// The value it evaluates to, for a calculation: `None` when it is
    /// unanswered or blank, as ODK's empty value.
    pub fn value(
        &self,
        answers: &dyn Answers,
        current: Option<&Value>,
    ) -> Result<Option<Value>, EvalError> {
        eval::value(self, answers, current)
    }

    /// The expressions directly inside this one.
    pub fn children(&self) -> Vec<&Expr> {
        match self {
            Expr::Not(inner) | Expr::Neg(inner) => vec![inner],
            Expr::Binary { left, right, .. } => vec![left, right],
            Expr::If(parts) => parts.iter().collect(),
            Expr::Coalesce(parts) => parts.iter().collect(),
            Expr::Concat(parts) => parts.iter().collect(),
            Expr::Round { value, .. } => vec![value],
            _ => Vec::new(),
        }
    }

    fn visit(&self, f: &mut dyn FnMut(&Expr)) {
        f(self);
        for child in self.children() {
            child.visit(f);
        }
    }

    fn precedence(&self) -> u8 {
        match self {
            Expr::Binary { op, .. } => op.precedence(),
            Expr::Not(_) => NOT_PRECEDENCE,
            // A negative literal is written `-3`; as the operand of unary
            // minus it would merge with it, so it is treated like a `Neg`.
            _ => ATOM_PRECEDENCE,
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Current => f.write_str("."),
            Target::Question(id) => f.write_str(id),
        }
    }
}

/// Writes `s` as a single-quoted literal with `'` and `\` escaped.
fn write_string(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str("'")?;
    for c in s.chars() {
        if c == '\'' || c == '\\' {
            f.write_str("\\")?;
        }
        write!(f, "{c}")?;
    }
    f.write_str("'")
}

/// Writes `name(a, b, ...)`.
fn write_call<'a>(
    f: &mut fmt::Formatter<'_>,
    name: &str,
    args: impl Iterator<Item = &'a Expr>,
) -> fmt::Result {
    write!(f, "{name}(")?;
    for (i, arg) in args.enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{arg}")?;
    }
    f.write_str(")")
}

/// Writes `e`, in parentheses if it binds looser than `min` requires.
fn write_operand(f: &mut fmt::Formatter<'_>, e: &Expr, min: u8) -> fmt::Result {
    if e.precedence() < min {
        write!(f, "({e})")
    } else {
        write!(f, "{e}")
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Current => f.write_str("."),
            Expr::Question(id) => f.write_str(id),
            Expr::Integer(n) => write!(f, "{n}"),
            Expr::Decimal(x) => {
                // `{}` prints the shortest text that reads back as the same
                // f64, but drops `.0`; keep it so it reads back as a decimal.
                let text = x.to_string();
                if text.contains('.') {
                    f.write_str(&text)
                } else {
                    write!(f, "{text}.0")
                }
            }
            Expr::Str(s) => write_string(f, s),
            Expr::Bool(b) => write!(f, "{b}"),
            Expr::Not(inner) => {
                f.write_str("not ")?;
                write_operand(f, inner, NOT_PRECEDENCE)
            }
            Expr::Neg(inner) => {
                f.write_str("-")?;
                let literal = matches!(**inner, Expr::Integer(_) | Expr::Decimal(_));
                if literal {
                    write!(f, "({inner})")
                } else {
                    write_operand(f, inner, ATOM_PRECEDENCE)
                }
            }
            Expr::Binary { op, left, right } => {
                let p = op.precedence();
                // Comparisons do not chain, so both sides need to bind tighter;
                // the others are left-associative, so only the right side does.
                let left_min = if op.is_comparison() { p + 1 } else { p };
                write_operand(f, left, left_min)?;
                write!(f, " {} ", op.symbol())?;
                write_operand(f, right, p + 1)
            }
            Expr::Selected { target, value } => {
                write!(f, "selected({target}, ")?;
                write_string(f, value)?;
                f.write_str(")")
            }
            Expr::CountSelected(t) => write!(f, "count_selected({t})"),
            Expr::Answered(t) => write!(f, "answered({t})"),
            Expr::Length(t) => write!(f, "length({t})"),
            Expr::Matches { target, pattern } => {
                write!(f, "matches({target}, ")?;
                write_string(f, pattern)?;
                f.write_str(")")
            }
            Expr::If(parts) => write_call(f, "if", parts.iter()),
            Expr::Concat(parts) => write_call(f, "concat", parts.iter()),
            Expr::Coalesce(parts) => write_call(f, "coalesce", parts.iter()),
            Expr::Round { value, places } => write!(f, "round({value}, {places})"),
        }
    }
}
