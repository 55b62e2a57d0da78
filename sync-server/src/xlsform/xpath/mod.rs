//! Translating the common XPath subset of XLSForm into Fieldkit expressions.
//!
//! Supported: `${q}` references, `.` (constraints only), numbers, strings,
//! `true()`/`false()`, `= != < <= > >=`, `+ - * div`, `and`/`or`/`not(...)`,
//! `selected(${q} or ., 'v')`, `count-selected(${q} or .)`, `string-length(.)`,
//! `regex(., 'pattern')`, `if()`, `concat()`, `coalesce()`, and the idiom `${q} != ''` / `${q} = ''`, which
//! becomes `answered(q)` / `not (answered(q))`. Everything else is refused
//! with the column where it starts, so the author knows exactly what to rewrite.
//!
//! The translation keeps ODK's meaning where Fieldkit's language differs:
//! - an unanswered question is `''` in ODK, so `${q} != 'yes'` holds while
//!   `q` is unanswered: it becomes `not (q = 'yes')` (Fieldkit's `!=` is
//!   false for an unanswered question); two unanswered questions are equal;
//! - a multiple-choice answer is its values joined by spaces, so
//!   `${fruit} = 'apple'` means exactly one choice, apple:
//!   `count_selected(fruit) = 1 and selected(fruit, 'apple')`;
//! - comparisons that ODK evaluates as numbers on texts (always false) or
//!   that Fieldkit cannot evaluate (a choice compared with a number) are
//!   refused at import, as is a bare number or answer used as a condition.
//!
//! Stages, one module each: `lex` cuts the cell into tokens, `parse` reads
//! the grammar, `odk` holds ODK's rules for comparisons and conditions, and
//! `print` writes the result as Fieldkit expression text.

mod lex;
mod lookup;
mod odk;
mod parse;
mod print;

use lex::{tokenize, Token};
use parse::Parser;
/// An XPath expression Fieldkit cannot take, with the 1-based column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {message}")]
pub struct XPathError {
    pub column: usize,
    pub message: String,
}

/// A translated expression, printed as Fieldkit expression text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    Ref(String),
    Current,
    Number(String),
    Str(String),
    Bool(bool),
    Not(Box<Node>),
    Binary(&'static str, Box<Node>, Box<Node>),
    Call(&'static str, Vec<Node>),
    /// An inlined calculation, always printed in parentheses.
    Group(Box<Node>),
    /// Fieldkit expression text the import writes itself (a type's own
    /// constraint), printed in parentheses where it is an operand.
    Raw(&'static str),
    /// In a `choice_filter`, a bare name that is no cell of the choice
    /// (with its column): an empty node-set in ODK, so comparisons with it
    /// are false. Only ever compared or read as a condition; anywhere else
    /// the translation is refused, so it is never printed.
    NoCell(String, usize),
}

/// How a `${name}` reference resolves: a question id, an inlined calculation,
/// or `None` when the name is unknown (the message says why).
pub(crate) type Resolve<'a> = &'a dyn Fn(&str) -> Result<Node, String>;

/// What kind of value an answer is, for ODK's comparison rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    Number,
    Text,
    /// A single choice; `numeric` when every choice value is a number.
    Choice {
        numeric: bool,
    },
    Multiple,
    Date,
    /// A yes/no, a location, or something unknown: not checked.
    Other,
    Condition,
}

/// The shape of a question id (`Some`) or of `.` (`None`).
pub(crate) type Shapes<'a> = &'a dyn Fn(Option<&str>) -> Shape;

/// Everything a translation needs from the form around the expression.
pub(crate) struct Context<'a> {
    pub resolve: Resolve<'a>,
    pub shapes: Shapes<'a>,
    /// `.` is allowed (constraints).
    pub allow_current: bool,
    /// The whole expression is a condition (relevant, constraint), not a value.
    pub condition: bool,
    /// In a `choice_filter`: a bare name is a column of the choice being
    /// filtered (`cf`, `name`), and stands for that choice's cell.
    pub columns: Option<Columns<'a>>,
    /// The form's choice lists, for `instance()` and `jr:choice-name()`.
    pub lookup: Option<Lookup<'a>>,
}

/// A choice's cell by column name, for `choice_filter`s.
pub(crate) type Columns<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Which choice list a lookup reads.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ListOf<'a> {
    /// `instance('list')`: the list by name.
    List(&'a str),
    /// `jr:choice-name(${q}, '${q}')`: the list of the question `q` (its id).
    Question(&'a str),
    /// `pulldata('file', 'column', 'key_column', key)`: the rows of
    /// `file.csv` beside the form, each by its cell in `key_column`.
    Data { file: &'a str, key: &'a str },
}

/// Each choice's name and its cell in a column (`label`: the label, the
/// same in every language), in list order; why not, when it cannot be.
pub(crate) type Lookup<'a> = &'a dyn Fn(ListOf<'_>, &str) -> Result<Vec<(String, String)>, String>;

/// The bare names (choice columns) a `choice_filter` uses; `None` when it
/// does not tokenise (the translation then says why).
pub(crate) fn bare_names(xpath: &str) -> Option<Vec<String>> {
    let tokens = tokenize(xpath).ok()?;
    let mut names = Vec::new();
    for (i, (token, _)) in tokens.iter().enumerate() {
        let call = matches!(tokens.get(i + 1), Some((Token::Open, _)));
        if let Token::Name(name) = token {
            if !call && !matches!(name.as_str(), "and" | "or" | "div" | "mod") {
                names.push(name.clone());
            }
        }
    }
    Some(names)
}

/// The columns `instance('list')/root/item[...]/column` lookups read.
pub(crate) fn lookup_columns(xpath: &str) -> Vec<String> {
    let Ok(tokens) = tokenize(xpath) else {
        return Vec::new();
    };
    tokens
        .windows(3)
        .filter_map(|w| match (&w[0].0, &w[1].0, &w[2].0) {
            (Token::Path(']'), Token::Path('/'), Token::Name(column)) => Some(column.clone()),
            _ => None,
        })
        .collect()
}

/// Whether `xpath` calls one of `functions` (`now()`); false where it does
/// not tokenise (the translation then says why).
pub(crate) fn calls_any(xpath: &str, functions: &[&str]) -> bool {
    tokenize(xpath).is_ok_and(|tokens| {
        tokens.windows(2).any(|w| match (&w[0].0, &w[1].0) {
            (Token::Name(name), Token::Open) => functions.contains(&name.as_str()),
            _ => false,
        })
    })
}

/// Translates `xpath`.
pub(crate) fn translate(xpath: &str, context: &Context<'_>) -> Result<Node, XPathError> {
    let tokens = tokenize(xpath)?;
    let mut parser = Parser {
        tokens,
        at: 0,
        resolve: context.resolve,
        shapes: context.shapes,
        allow_current: context.allow_current,
        columns: context.columns,
        lookup: context.lookup,
        end_column: xpath.chars().count() + 1,
        depth: 0,
    };
    let node = parser.or()?;
    if let Some((_, column)) = parser.tokens.get(parser.at) {
        return Err(XPathError {
            column: *column,
            message: "unexpected text after the end of the expression".to_owned(),
        });
    }
    let node = if context.condition {
        parser.condition(node, 1)?
    } else {
        node
    };
    match no_cell(&node) {
        Some((name, column)) => Err(XPathError {
            column,
            message: format!("`{name}` is not a column of this choice, so ODK finds no cell there; only compare it, e.g. `{name} = ${{question}}`, or write a quoted text ('{name}')"),
        }),
        None => Ok(node),
    }
}

/// The first bare name left that is no cell of the choice, if any.
fn no_cell(node: &Node) -> Option<(&str, usize)> {
    match node {
        Node::NoCell(name, column) => Some((name, *column)),
        Node::Not(inner) | Node::Group(inner) => no_cell(inner),
        Node::Binary(_, left, right) => no_cell(left).or_else(|| no_cell(right)),
        Node::Call(_, args) => args.iter().find_map(no_cell),
        _ => None,
    }
}

/// Translates with `${name}` meaning the question `name` (lowercased), for
/// tools and tests that have no form around the expression; a lookup
/// (`instance()`, `jr:choice-name()`) reads a list of two choices, `a` and
/// `b`, whose cells say what they are (`district of a`).
pub fn translate_xpath(xpath: &str, allow_current: bool) -> Result<String, XPathError> {
    let resolve = |name: &str| {
        super::question_id(name)
            .map(Node::Ref)
            .ok_or_else(|| format!("`{name}` is not a usable question name"))
    };
    let lookup = |_: ListOf<'_>, cell: &str| {
        Ok::<_, String>(
            ["a", "b"]
                .map(|name| (name.to_owned(), format!("{cell} of {name}")))
                .to_vec(),
        )
    };
    let context = Context {
        resolve: &resolve,
        shapes: &|_| Shape::Other,
        allow_current,
        condition: false,
        columns: None,
        lookup: Some(&lookup),
    };
    translate(xpath, &context).map(|n| n.to_string())
}

/// How an author would write `node` in XLSForm, for messages.
fn xpath_name(node: &Node) -> String {
    match node {
        Node::Ref(id) => format!("${{{id}}}"),
        other => other.to_string(),
    }
}

pub(crate) fn and(left: Node, right: Node) -> Node {
    Node::Binary(
        "and",
        Box::new(Node::Group(Box::new(left))),
        Box::new(Node::Group(Box::new(right))),
    )
}
