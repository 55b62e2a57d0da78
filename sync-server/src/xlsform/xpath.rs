//! Translating the common XPath subset of XLSForm into Fieldkit expressions.
//!
//! Supported: `${q}` references, `.` (constraints only), numbers, strings,
//! `true()`/`false()`, `= != < <= > >=`, `+ - * div`, `and`/`or`/`not(...)`,
//! `selected(${q}, 'v')`, `count-selected(${q})`, `string-length(.)`, and the
//! idiom `${q} != ''` / `${q} = ''`, which becomes `answered(q)` / `not (answered(q))`.
//! Everything else is refused with the column where it starts, so the author
//! knows exactly what to rewrite.

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
}

/// How a `${name}` reference resolves: a question id, an inlined calculation,
/// or `None` when the name is unknown (the message says why).
pub(crate) type Resolve<'a> = &'a dyn Fn(&str) -> Result<Node, String>;

/// Translates `xpath`; `allow_current` permits `.` (constraints).
pub(crate) fn translate(
    xpath: &str,
    resolve: Resolve<'_>,
    allow_current: bool,
) -> Result<Node, XPathError> {
    let tokens = tokenize(xpath)?;
    let mut parser = Parser {
        tokens,
        at: 0,
        resolve,
        allow_current,
        end_column: xpath.chars().count() + 1,
        depth: 0,
    };
    let node = parser.or()?;
    match parser.tokens.get(parser.at) {
        None => Ok(node),
        Some((_, column)) => Err(XPathError {
            column: *column,
            message: "unexpected text after the end of the expression".to_owned(),
        }),
    }
}

/// Translates with `${name}` meaning the question `name` (lowercased), for
/// tools and tests that have no form around the expression.
pub fn translate_xpath(xpath: &str, allow_current: bool) -> Result<String, XPathError> {
    let resolve = |name: &str| {
        super::question_id(name)
            .map(Node::Ref)
            .ok_or_else(|| format!("`{name}` is not a usable question name"))
    };
    translate(xpath, &resolve, allow_current).map(|n| n.to_string())
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
    allow_current: bool,
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
        let Some(op) = self.op(&["=", "!=", "<", "<=", ">", ">="]) else {
            return Ok(left);
        };
        let right = self.sum()?;
        // `${q} != ''` is how XLSForm says "q was answered".
        let blank = |n: &Node| matches!(n, Node::Str(s) if s.is_empty());
        let answered = |n: &Node| Node::Call("answered", vec![n.clone()]);
        match (op, &left, &right) {
            ("!=", q @ Node::Ref(_), r) | ("!=", r, q @ Node::Ref(_)) if blank(r) => {
                Ok(answered(q))
            }
            ("=", q @ Node::Ref(_), r) | ("=", r, q @ Node::Ref(_)) if blank(r) => {
                Ok(Node::Not(Box::new(answered(q))))
            }
            _ if blank(&left) || blank(&right) => {
                self.fail("comparing with '' is only supported as ${question} = '' or != ''")
            }
            _ => Ok(Node::Binary(op, Box::new(left), Box::new(right))),
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
            Token::Name(name) => Err(XPathError {
                column,
                message: format!("`{name}` is not supported; refer to questions as ${{name}}"),
            }),
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
        match (name, args.as_slice()) {
            ("true", []) => Ok(Node::Bool(true)),
            ("false", []) => Ok(Node::Bool(false)),
            ("not", [inner]) => Ok(Node::Not(Box::new(inner.clone()))),
            ("selected", [q, Node::Str(v) | Node::Number(v)]) if question(q) => Ok(Node::Call(
                "selected",
                vec![q.clone(), Node::Str(v.clone())],
            )),
            ("selected", _) => fail(
                "selected() takes a question and a choice value: selected(${q}, 'value')"
                    .to_owned(),
            ),
            ("count-selected", [q]) if question(q) => {
                Ok(Node::Call("count_selected", vec![q.clone()]))
            }
            ("count-selected", _) => {
                fail("count-selected() takes one question: count-selected(${q})".to_owned())
            }
            ("string-length", [Node::Current]) => Ok(Node::Call("length", vec![Node::Current])),
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

/// Binding strength, for printing only the parentheses that are needed.
fn strength(node: &Node) -> u8 {
    match node {
        Node::Binary("or", ..) => 1,
        Node::Binary("and", ..) => 2,
        Node::Not(_) => 3,
        Node::Binary("+" | "-", ..) => 5,
        Node::Binary("*" | "/", ..) => 6,
        Node::Binary(..) => 4,
        _ => 7,
    }
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
