//! The grammar: `or`, `and`, comparisons (see `odk`), sums, products,
//! unary minus, values and function calls, with a depth limit.

use super::lex::{number, Token};
use super::odk::java_classes;
use super::{Columns, Lookup, Node, Resolve, Shape, Shapes, XPathError};

pub(super) struct Parser<'a> {
    pub(super) tokens: Vec<(Token, usize)>,
    pub(super) at: usize,
    pub(super) resolve: Resolve<'a>,
    pub(super) shapes: Shapes<'a>,
    pub(super) allow_current: bool,
    pub(super) columns: Option<Columns<'a>>,
    pub(super) lookup: Option<Lookup<'a>>,
    pub(super) end_column: usize,
    pub(super) depth: usize,
}

/// Fieldkit's expression parser refuses nesting past 64 levels.
const MAX_DEPTH: usize = 64;

impl Parser<'_> {
    pub(super) fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at).map(|(t, _)| t)
    }

    pub(super) fn column(&self) -> usize {
        self.tokens
            .get(self.at)
            .map_or(self.end_column, |(_, c)| *c)
    }

    pub(super) fn fail<T>(&self, message: impl Into<String>) -> Result<T, XPathError> {
        Err(XPathError {
            column: self.column(),
            message: message.into(),
        })
    }

    /// Consumes the keyword operator `word` (`and`, `or`, `div`, `mod`) if next.
    pub(super) fn keyword(&mut self, word: &str) -> bool {
        let found = matches!(self.peek(), Some(Token::Name(n)) if n == word);
        self.at += usize::from(found);
        found
    }

    pub(super) fn op(&mut self, ops: &[&'static str]) -> Option<&'static str> {
        match self.peek() {
            Some(Token::Op(op)) if ops.contains(op) => {
                let op = *op;
                self.at += 1;
                Some(op)
            }
            _ => None,
        }
    }

    pub(super) fn expect(&mut self, token: &Token, what: &str) -> Result<(), XPathError> {
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
    pub(super) fn nested<T>(
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

    pub(super) fn or(&mut self) -> Result<Node, XPathError> {
        self.nested(1, |p| {
            let mut left = p.and()?;
            while p.keyword("or") {
                left = Node::Binary("or", Box::new(left), Box::new(p.and()?));
            }
            Ok(left)
        })
    }

    pub(super) fn and(&mut self) -> Result<Node, XPathError> {
        let mut left = self.comparison()?;
        while self.keyword("and") {
            left = Node::Binary("and", Box::new(left), Box::new(self.comparison()?));
        }
        Ok(left)
    }

    pub(super) fn sum(&mut self) -> Result<Node, XPathError> {
        let mut left = self.product()?;
        while let Some(op) = self.op(&["+", "-"]) {
            left = Node::Binary(op, Box::new(left), Box::new(self.product()?));
        }
        Ok(left)
    }

    pub(super) fn product(&mut self) -> Result<Node, XPathError> {
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

    pub(super) fn unary(&mut self) -> Result<Node, XPathError> {
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

    pub(super) fn primary(&mut self) -> Result<Node, XPathError> {
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
            Token::Name(name) if name == "instance" && self.peek() == Some(&Token::Open) => {
                self.instance_lookup(column)
            }
            Token::Name(name) if self.peek() == Some(&Token::Open) => {
                self.at += 1;
                self.call(&name, column)
            }
            Token::Name(name) if name.contains("::") => Err(XPathError {
                column,
                message: format!("`{name}` is XPath's axis syntax, which ODK cannot evaluate (the form would not open); in a choice_filter, name a column without a language, e.g. `name` or a column of your own"),
            }),
            Token::Name(name) => match self.columns.map(|cell| cell(&name)) {
                Some(Some(cell)) => Ok(Node::Str(cell)),
                Some(None) => Ok(Node::NoCell(name, column)),
                None => Err(XPathError {
                    column,
                    message: format!("`{name}` is not supported; refer to questions as ${{name}}"),
                }),
            },
            Token::Op(op) => Err(XPathError {
                column,
                message: format!("`{op}` is out of place"),
            }),
            Token::Path(c) => Err(XPathError {
                column,
                message: format!("`{c}` is out of place: paths are supported only as instance('list')/root/item[name = ${{q}}]/column; refer to questions as ${{name}}"),
            }),
            Token::Close | Token::Comma => Err(XPathError {
                column,
                message: "a value is missing here".to_owned(),
            }),
        }
    }

    /// A function call; the opening parenthesis is already consumed.
    pub(super) fn call(&mut self, name: &str, column: usize) -> Result<Node, XPathError> {
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
                let condition = self.condition(condition.clone(), column)?;
                Ok(Node::Call("if", vec![condition, then.clone(), otherwise.clone()]))
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
            ("round", [value, places @ ..]) if places.len() <= 1 => {
                let places = match places {
                    [] => 0,
                    [Node::Number(n)] if n.parse::<u8>().is_ok_and(|n| n <= 10) => n.parse().unwrap_or(0),
                    _ => return fail("round() is supported with a whole number of decimal places from 0 to 10: round(${x}, 2)".to_owned()),
                };
                if matches!(self.shape(value), Shape::Text | Shape::Multiple | Shape::Date | Shape::Condition | Shape::Choice { numeric: false }) {
                    return fail("round() takes a number: round(${x}, 2)".to_owned());
                }
                Ok(Node::Call("round", vec![value.clone(), Node::Number(places.to_string())]))
            }
            ("round", _) => fail("round() takes a number and its decimal places: round(${x}, 2)".to_owned()),
            ("string-length", [Node::Current]) => Ok(Node::Call("length", vec![Node::Current])),
            ("jr:choice-name", [value, Node::Str(path)]) => self.choice_name(value, path, column),
            ("pulldata", [Node::Str(file), Node::Str(cell), Node::Str(key), value]) => self.pick(
                value,
                super::ListOf::Data { file, key },
                cell,
                column,
                column,
            ),
            ("pulldata", _) => fail(
                "pulldata() takes the data file's name, the column to read, the column to match and the value to match: pulldata('fruits', 'price', 'name', ${fruit})"
                    .to_owned(),
            ),
            ("jr:choice-name", _) => fail(
                "jr:choice-name() takes an answer and its question's name in quotes: jr:choice-name(${q}, '${q}')"
                    .to_owned(),
            ),
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
