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

use std::fmt;

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
}

/// A choice's cell by column name, for `choice_filter`s.
pub(crate) type Columns<'a> = &'a dyn Fn(&str) -> Option<String>;

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
    if context.condition {
        parser.condition(&node, 1)?;
    }
    Ok(node)
}

/// Translates with `${name}` meaning the question `name` (lowercased), for
/// tools and tests that have no form around the expression.
pub fn translate_xpath(xpath: &str, allow_current: bool) -> Result<String, XPathError> {
    let resolve = |name: &str| {
        super::question_id(name)
            .map(Node::Ref)
            .ok_or_else(|| format!("`{name}` is not a usable question name"))
    };
    let context = Context {
        resolve: &resolve,
        shapes: &|_| Shape::Other,
        allow_current,
        condition: false,
        columns: None,
    };
    translate(xpath, &context).map(|n| n.to_string())
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ref(String),
    Dot,
    Number(String),
    Str(String),
    Name(String),
    Op(&'static str),
    Open,
    Close,
    Comma,
}

fn tokenize(src: &str) -> Result<Vec<(Token, usize)>, XPathError> {
    let chars: Vec<char> = src.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    let error = |column: usize, message: String| XPathError { column, message };
    while i < chars.len() {
        let c = chars[i];
        let column = i + 1;
        let next = chars.get(i + 1).copied();
        let (token, len) = match c {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '$' if next == Some('{') => {
                let close = chars[i..]
                    .iter()
                    .position(|&c| c == '}')
                    .ok_or_else(|| error(column, "`${` without a closing `}`".to_owned()))?;
                let name: String = chars[i + 2..i + close].iter().collect();
                (Token::Ref(name.trim().to_owned()), close + 1)
            }
            '\'' | '"' => {
                let close = chars[i + 1..].iter().position(|&q| q == c).ok_or_else(|| {
                    error(column, format!("text starting with {c} is never closed"))
                })?;
                (
                    Token::Str(chars[i + 1..i + 1 + close].iter().collect()),
                    close + 2,
                )
            }
            '.' if next == Some('.') => {
                return Err(error(
                    column,
                    "`..` (parent paths) is not supported; refer to questions as ${name}"
                        .to_owned(),
                ));
            }
            '.' if !next.is_some_and(|n| n.is_ascii_digit()) => (Token::Dot, 1),
            c if c.is_ascii_digit() || c == '.' => {
                let len = chars[i..]
                    .iter()
                    .position(|c| !(c.is_ascii_digit() || *c == '.'))
                    .unwrap_or(chars.len() - i);
                (Token::Number(chars[i..i + len].iter().collect()), len)
            }
            c if c.is_alphabetic() || c == '_' => {
                let len = chars[i..]
                    .iter()
                    .position(|c| !(c.is_alphanumeric() || matches!(c, '_' | '-' | ':')))
                    .unwrap_or(chars.len() - i);
                (Token::Name(chars[i..i + len].iter().collect()), len)
            }
            '!' if next == Some('=') => (Token::Op("!="), 2),
            '<' if next == Some('=') => (Token::Op("<="), 2),
            '>' if next == Some('=') => (Token::Op(">="), 2),
            '=' => (Token::Op("="), 1),
            '<' => (Token::Op("<"), 1),
            '>' => (Token::Op(">"), 1),
            '+' => (Token::Op("+"), 1),
            '-' => (Token::Op("-"), 1),
            '*' => (Token::Op("*"), 1),
            '(' => (Token::Open, 1),
            ')' => (Token::Close, 1),
            ',' => (Token::Comma, 1),
            other => {
                return Err(error(column, format!("`{other}` is not supported")));
            }
        };
        tokens.push((token, column));
        i += len;
    }
    Ok(tokens)
}

struct Parser<'a> {
    tokens: Vec<(Token, usize)>,
    at: usize,
    resolve: Resolve<'a>,
    shapes: Shapes<'a>,
    allow_current: bool,
    columns: Option<Columns<'a>>,
    end_column: usize,
    depth: usize,
}

/// Fieldkit's expression parser refuses nesting past 64 levels.
const MAX_DEPTH: usize = 64;

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at).map(|(t, _)| t)
    }

    fn column(&self) -> usize {
        self.tokens
            .get(self.at)
            .map_or(self.end_column, |(_, c)| *c)
    }

    fn fail<T>(&self, message: impl Into<String>) -> Result<T, XPathError> {
        Err(XPathError {
            column: self.column(),
            message: message.into(),
        })
    }

    /// Consumes the keyword operator `word` (`and`, `or`, `div`, `mod`) if next.
    fn keyword(&mut self, word: &str) -> bool {
        let found = matches!(self.peek(), Some(Token::Name(n)) if n == word);
        self.at += usize::from(found);
        found
    }

    fn op(&mut self, ops: &[&'static str]) -> Option<&'static str> {
        match self.peek() {
            Some(Token::Op(op)) if ops.contains(op) => {
                let op = *op;
                self.at += 1;
                Some(op)
            }
            _ => None,
        }
    }

    fn expect(&mut self, token: &Token, what: &str) -> Result<(), XPathError> {
        if self.peek() == Some(token) {
            self.at += 1;
            Ok(())
        } else {
            self.fail(format!("expected {what}"))
        }
    }

    /// Runs `f` `cost` levels deeper, refusing absurd depths: a cell of a
    /// thousand parentheses must not exhaust the stack, and the translation
    /// must stay within what Fieldkit's parser reads. The costs count the
    /// parentheses the translation prints (a unary minus becomes `(0 - x)`,
    /// `not(x)` may need `(not (x))`), so a cell within the limit translates
    /// to an expression within Fieldkit's.
    fn nested<T>(
        &mut self,
        cost: usize,
        f: impl FnOnce(&mut Self) -> Result<T, XPathError>,
    ) -> Result<T, XPathError> {
        self.depth += cost;
        let result = if self.depth > MAX_DEPTH {
            self.fail("the expression is nested too deeply; simplify it")
        } else {
            f(self)
        };
        self.depth -= cost;
        result
    }

    fn or(&mut self) -> Result<Node, XPathError> {
        self.nested(1, |p| {
            let mut left = p.and()?;
            while p.keyword("or") {
                left = Node::Binary("or", Box::new(left), Box::new(p.and()?));
            }
            Ok(left)
        })
    }

    fn and(&mut self) -> Result<Node, XPathError> {
        let mut left = self.comparison()?;
        while self.keyword("and") {
            left = Node::Binary("and", Box::new(left), Box::new(self.comparison()?));
        }
        Ok(left)
    }

    fn comparison(&mut self) -> Result<Node, XPathError> {
        let left = self.sum()?;
        let column = self.column();
        let Some(op) = self.op(&["=", "!=", "<", "<=", ">", ">="]) else {
            return Ok(left);
        };
        let right = self.sum()?;
        // `${q} != ''` is how XLSForm says "q was answered".
        let blank = |n: &Node| matches!(n, Node::Str(s) if s.is_empty());
        let answered = |n: &Node| Node::Call("answered", vec![n.clone()]);
        match (op, &left, &right) {
            ("!=", q @ Node::Ref(_), r) | ("!=", r, q @ Node::Ref(_)) if blank(r) => {
                return Ok(answered(q))
            }
            ("=", q @ Node::Ref(_), r) | ("=", r, q @ Node::Ref(_)) if blank(r) => {
                return Ok(Node::Not(Box::new(answered(q))))
            }
            _ if blank(&left) || blank(&right) => {
                return self
                    .fail("comparing with '' is only supported as ${question} = '' or != ''")
            }
            _ => {}
        }
        let fail = |message: String| Err(XPathError { column, message });
        let (ls, rs) = (self.shape(&left), self.shape(&right));
        // A multiple-choice answer is its values joined by spaces in ODK.
        if let (Shape::Multiple, _) | (_, Shape::Multiple) = (ls, rs) {
            let (q, other) = if ls == Shape::Multiple {
                (&left, &right)
            } else {
                (&right, &left)
            };
            return match (op, other) {
                ("=" | "!=", Node::Str(v)) if !v.contains(char::is_whitespace) => {
                    let exactly = and(
                        Node::Binary(
                            "=",
                            Box::new(Node::Call("count_selected", vec![q.clone()])),
                            Box::new(Node::Number("1".to_owned())),
                        ),
                        Node::Call("selected", vec![q.clone(), Node::Str(v.clone())]),
                    );
                    Ok(if op == "=" { exactly } else { Node::Not(Box::new(exactly)) })
                }
                _ => fail(format!(
                    "`{}` can hold several choices: test one with selected({}, 'value') or count them with count-selected({})",
                    q, xpath_name(q), xpath_name(q)
                )),
            };
        }
        let text_like = |s: Shape, n: &Node| {
            matches!(s, Shape::Text | Shape::Choice { numeric: false })
                || matches!(n, Node::Str(v) if v.trim().parse::<f64>().is_err())
        };
        let number_like = |s: Shape| s == Shape::Number;
        if matches!(op, "<" | "<=" | ">" | ">=")
            && (text_like(ls, &left) || text_like(rs, &right))
            && !(ls == Shape::Date || rs == Shape::Date)
        {
            return fail(format!(
                "`{op}` compares numbers in ODK, and a text is no number (the comparison is always false); compare a number question, or test the text with = or !="
            ));
        }
        if (number_like(ls) && text_like(rs, &right)) || (text_like(ls, &left) && number_like(rs)) {
            return fail(
                "a number is compared with a text here; in ODK that is always false. Quote the value if the answer is a choice or a text ('1'), or compare the number question with a number".to_owned(),
            );
        }
        if matches!(ls, Shape::Choice { numeric: false } | Shape::Text)
            && matches!(right, Node::Number(_))
            || matches!(rs, Shape::Choice { numeric: false } | Shape::Text)
                && matches!(left, Node::Number(_))
        {
            return fail(
                "a choice or text answer is compared with a number; write the value in quotes, e.g. '1'".to_owned(),
            );
        }
        let compared = Node::Binary(op, Box::new(left.clone()), Box::new(right.clone()));
        let both_answers = matches!(left, Node::Ref(_)) && matches!(right, Node::Ref(_));
        let neither = || {
            and(
                Node::Not(Box::new(answered(&left))),
                Node::Not(Box::new(answered(&right))),
            )
        };
        Ok(match op {
            // ODK: '' != 'x' holds, and two unanswered questions are equal.
            "!=" if both_answers => and(
                Node::Not(Box::new(Node::Binary(
                    "=",
                    Box::new(left.clone()),
                    Box::new(right.clone()),
                ))),
                Node::Binary("or", Box::new(answered(&left)), Box::new(answered(&right))),
            ),
            "!=" => Node::Not(Box::new(Node::Binary("=", Box::new(left), Box::new(right)))),
            "=" if both_answers => Node::Binary(
                "or",
                Box::new(Node::Group(Box::new(compared))),
                Box::new(Node::Group(Box::new(neither()))),
            ),
            _ => compared,
        })
    }

    /// The kind of value `node` is.
    fn shape(&self, node: &Node) -> Shape {
        match node {
            Node::Ref(id) => (self.shapes)(Some(id)),
            Node::Current => (self.shapes)(None),
            Node::Number(_) => Shape::Number,
            Node::Str(_) => Shape::Text,
            Node::Group(inner) => self.shape(inner),
            Node::Call("count_selected" | "length", _) => Shape::Number,
            Node::Call("concat", _) => Shape::Text,
            Node::Call("if" | "coalesce", args) => {
                let (a, b) = (&args[args.len() - 2], &args[args.len() - 1]);
                let (sa, sb) = (self.shape(a), self.shape(b));
                if sa == sb {
                    sa
                } else {
                    Shape::Other
                }
            }
            Node::Binary("+" | "-" | "*" | "/", ..) => Shape::Number,
            Node::Bool(_) | Node::Not(_) | Node::Binary(..) | Node::Call(..) | Node::Raw(_) => {
                Shape::Condition
            }
        }
    }

    /// Refuses a value where ODK expects a condition: a number, a text or an
    /// answer that is not yes/no (ODK and Fieldkit read those differently).
    fn condition(&self, node: &Node, column: usize) -> Result<(), XPathError> {
        let fail = |message: String| Err(XPathError { column, message });
        match node {
            Node::Binary("and" | "or", left, right) => {
                self.condition(left, column)?;
                self.condition(right, column)
            }
            Node::Not(inner) | Node::Group(inner) => self.condition(inner, column),
            Node::Number(n) => fail(format!(
                "the number `{n}` stands where a condition belongs; ODK reads 0 as false and any other number as true: write true() or false()"
            )),
            Node::Str(_) => fail("a text stands where a condition belongs: compare it, e.g. ${q} = 'yes'".to_owned()),
            other => match self.shape(other) {
                Shape::Condition | Shape::Other => Ok(()),
                _ => fail(format!(
                    "`{other}` is an answer or a number, not a condition: compare it, e.g. {} != '' or {} > 0",
                    xpath_name(other),
                    xpath_name(other)
                )),
            },
        }
    }

    fn sum(&mut self) -> Result<Node, XPathError> {
        let mut left = self.product()?;
        while let Some(op) = self.op(&["+", "-"]) {
            left = Node::Binary(op, Box::new(left), Box::new(self.product()?));
        }
        Ok(left)
    }

    fn product(&mut self) -> Result<Node, XPathError> {
        let mut left = self.unary()?;
        loop {
            let op = if self.op(&["*"]).is_some() {
                "*"
            } else if self.keyword("div") {
                "/"
            } else if matches!(self.peek(), Some(Token::Name(n)) if n == "mod") {
                return self.fail("`mod` is not supported");
            } else {
                return Ok(left);
            };
            left = Node::Binary(op, Box::new(left), Box::new(self.unary()?));
        }
    }

    fn unary(&mut self) -> Result<Node, XPathError> {
        if self.op(&["-"]).is_some() {
            let inner = self.nested(1, Self::unary)?;
            return Ok(Node::Binary(
                "-",
                Box::new(Node::Number("0".to_owned())),
                Box::new(inner),
            ));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Node, XPathError> {
        let column = self.column();
        let Some((token, _)) = self.tokens.get(self.at).cloned() else {
            return self.fail("the expression ends too early");
        };
        self.at += 1;
        match token {
            Token::Ref(name) => {
                (self.resolve)(&name).map_err(|message| XPathError { column, message })
            }
            Token::Dot if self.allow_current => Ok(Node::Current),
            Token::Dot => Err(XPathError {
                column,
                message: "`.` (the current answer) only has a meaning in a constraint".to_owned(),
            }),
            Token::Number(n) => number(&n).map_err(|message| XPathError { column, message }),
            Token::Str(s) => Ok(Node::Str(s)),
            Token::Open => {
                let inner = self.or()?;
                self.expect(&Token::Close, "`)`")?;
                Ok(Node::Group(Box::new(inner)))
            }
            Token::Name(name) if self.peek() == Some(&Token::Open) => {
                self.at += 1;
                self.call(&name, column)
            }
            Token::Name(name) => match self.columns.map(|cell| cell(&name)) {
                Some(Some(cell)) => Ok(Node::Str(cell)),
                Some(None) => Err(XPathError {
                    column,
                    message: format!("`{name}` is not a column of the choices sheet, so ODK finds no such cell; a choice_filter compares a choice column (e.g. `state`) with an answer (`${{state}}`) or a quoted text ('{name}')"),
                }),
                None => Err(XPathError {
                    column,
                    message: format!("`{name}` is not supported; refer to questions as ${{name}}"),
                }),
            },
            Token::Op(op) => Err(XPathError {
                column,
                message: format!("`{op}` is out of place"),
            }),
            Token::Close | Token::Comma => Err(XPathError {
                column,
                message: "a value is missing here".to_owned(),
            }),
        }
    }

    /// A function call; the opening parenthesis is already consumed.
    fn call(&mut self, name: &str, column: usize) -> Result<Node, XPathError> {
        let mut args = Vec::new();
        if self.peek() != Some(&Token::Close) {
            loop {
                args.push(self.nested(2, Self::or)?);
                if self.peek() != Some(&Token::Comma) {
                    break;
                }
                self.at += 1;
            }
        }
        self.expect(&Token::Close, "`)` after the function's arguments")?;
        let fail = |message: String| Err(XPathError { column, message });
        let question = |n: &Node| matches!(n, Node::Ref(_));
        let current = |n: &Node| matches!(n, Node::Current);
        match (name, args.as_slice()) {
            ("true", []) => Ok(Node::Bool(true)),
            ("false", []) => Ok(Node::Bool(false)),
            ("not", [inner]) => Ok(Node::Not(Box::new(inner.clone()))),
            ("selected", [q, Node::Str(v) | Node::Number(v)]) if question(q) || current(q) => Ok(Node::Call(
                "selected",
                vec![q.clone(), Node::Str(v.clone())],
            )),
            ("selected", _) => fail(
                "selected() takes a question and a choice value: selected(${q}, 'value')"
                    .to_owned(),
            ),
            ("count-selected", [q]) if question(q) || current(q) => {
                Ok(Node::Call("count_selected", vec![q.clone()]))
            }
            ("count-selected", _) => {
                fail("count-selected() takes one question: count-selected(${q})".to_owned())
            }
            ("if", [condition, then, otherwise]) => {
                self.condition(condition, column)?;
                Ok(Node::Call("if", vec![condition.clone(), then.clone(), otherwise.clone()]))
            }
            ("if", _) => fail(
                "if() takes a condition, a value if it holds and one if not: if(${q} = 'yes', 1, 0)"
                    .to_owned(),
            ),
            ("concat", [_, ..]) => Ok(Node::Call("concat", args.clone())),
            ("coalesce", [first, second]) => {
                Ok(Node::Call("coalesce", vec![first.clone(), second.clone()]))
            }
            ("coalesce", _) => fail("coalesce() takes two values: coalesce(${a}, ${b})".to_owned()),
            ("string-length", [Node::Current]) => Ok(Node::Call("length", vec![Node::Current])),
            ("regex", [Node::Current, Node::Str(pattern)]) => {
                Ok(Node::Call("matches", vec![Node::Current, Node::Str(java_classes(pattern))]))
            }
            ("regex", _) => fail(
                "regex() is supported on the answer being given: regex(., 'pattern') in a constraint"
                    .to_owned(),
            ),
            ("string-length", _) => fail(
                "string-length() is only supported on the current answer: string-length(.)"
                    .to_owned(),
            ),
            (other, _) => fail(format!(
                "the function {other}() is not supported in Fieldkit expressions"
            )),
        }
    }
}

/// How an author would write `node` in XLSForm, for messages.
fn xpath_name(node: &Node) -> String {
    match node {
        Node::Ref(id) => format!("${{{id}}}"),
        other => other.to_string(),
    }
}

/// Java's `\d`, `\w` and `\s` (what ODK's regex() uses) are ASCII classes;
/// Rust's are Unicode. Spelled out so a pattern accepts exactly what ODK does.
fn java_classes(pattern: &str) -> String {
    let mut out = String::new();
    let mut chars = pattern.chars();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(next) = chars.next() else {
                    out.push(c);
                    break;
                };
                let class = match next {
                    'd' => Some("0-9"),
                    'w' => Some("0-9A-Za-z_"),
                    's' => Some(" \\t\\n\\x0B\\f\\r"),
                    _ => None,
                };
                match (class, in_class) {
                    (Some(class), true) => out.push_str(class),
                    (Some(class), false) => {
                        out.push('[');
                        out.push_str(class);
                        out.push(']');
                    }
                    (None, _) => {
                        out.push(c);
                        out.push(next);
                    }
                }
            }
            '[' => {
                in_class = true;
                out.push(c);
            }
            ']' => {
                in_class = false;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// Binding strength, for printing only the parentheses that are needed.
fn strength(node: &Node) -> u8 {
    match node {
        Node::Raw(_) => 0,
        Node::Binary("or", ..) => 1,
        Node::Binary("and", ..) => 2,
        Node::Not(_) => 3,
        Node::Binary("+" | "-", ..) => 5,
        Node::Binary("*" | "/", ..) => 6,
        Node::Binary(..) => 4,
        _ => 7,
    }
}

pub(crate) fn and(left: Node, right: Node) -> Node {
    Node::Binary(
        "and",
        Box::new(Node::Group(Box::new(left))),
        Box::new(Node::Group(Box::new(right))),
    )
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Ref(id) => f.write_str(id),
            Node::Current => f.write_str("."),
            Node::Number(n) => f.write_str(n),
            // XPath text has no escapes; Fieldkit's has, so a backslash or
            // quote inside must be escaped to keep its meaning.
            Node::Str(s) => write!(f, "'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
            Node::Bool(b) => write!(f, "{b}"),
            Node::Not(inner) => write!(f, "not ({inner})"),
            Node::Group(inner) => write!(f, "({inner})"),
            Node::Raw(text) => f.write_str(text),
            Node::Call(name, args) => {
                write!(f, "{name}(")?;
                for (i, arg) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{arg}")?;
                }
                f.write_str(")")
            }
            Node::Binary(op, left, right) => {
                let own = strength(self);
                // Comparisons don't chain; the right side of - and / must bind tighter.
                let left_min = if own == 4 { own + 1 } else { own };
                let right_min = if matches!(*op, "and" | "or" | "+" | "*") {
                    own
                } else {
                    own + 1
                };
                write_operand(f, left, left_min)?;
                write!(f, " {op} ")?;
                write_operand(f, right, right_min)
            }
        }
    }
}

fn write_operand(f: &mut fmt::Formatter<'_>, node: &Node, min: u8) -> fmt::Result {
    if strength(node) < min {
        write!(f, "({node})")
    } else {
        write!(f, "{node}")
    }
}

/// An XPath number in Fieldkit's spelling: `.5` and `5.` are XPath's, and
/// Fieldkit wants digits on both sides of a point; whole numbers are 64-bit
/// there (the fuzzer in `fuzz/` found 21-digit ones, and `2..`).
fn number(text: &str) -> Result<Node, String> {
    let not_a_number = || format!("`{text}` is not a number");
    let (whole, fraction) = match text.split_once('.') {
        Some((_, fraction)) if fraction.contains('.') => return Err(not_a_number()),
        Some((whole, fraction)) => (whole, fraction),
        None => (text, ""),
    };
    if whole.is_empty() && fraction.is_empty() {
        return Err(not_a_number());
    }
    let too_large = || format!("`{text}` is too large for a number here");
    if fraction.is_empty() {
        whole.parse::<i64>().map_err(|_| too_large())?;
        return Ok(Node::Number(whole.to_owned()));
    }
    let spelled = format!("{}.{fraction}", if whole.is_empty() { "0" } else { whole });
    if !spelled.parse::<f64>().is_ok_and(f64::is_finite) {
        return Err(too_large());
    }
    Ok(Node::Number(spelled))
}
