//! Tokeniser and recursive-descent parser. Every error carries the 1-based
//! character column where the problem starts, so the linter can point at it.

use super::{BinOp, Expr, Target, KEYWORDS};

/// An expression that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {message}")]
pub struct ExprError {
    /// 1-based, in characters.
    pub column: usize,
    pub message: String,
}

fn error<T>(column: usize, message: impl Into<String>) -> Result<T, ExprError> {
    Err(ExprError {
        column,
        message: message.into(),
    })
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    /// Digits of an integer literal (kept as text so `-` can be applied first).
    Int(String),
    Dec(f64),
    Str(String),
    Dot,
    LParen,
    RParen,
    Comma,
    Op(BinOp),
    Minus,
    End,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => format!("`{s}`"),
            Tok::Int(s) => format!("the number {s}"),
            Tok::Dec(x) => format!("the number {x}"),
            Tok::Str(_) => "a quoted text".to_owned(),
            Tok::Dot => "`.`".to_owned(),
            Tok::LParen => "`(`".to_owned(),
            Tok::RParen => "`)`".to_owned(),
            Tok::Comma => "`,`".to_owned(),
            Tok::Op(op) => format!("`{}`", op.symbol()),
            Tok::Minus => "`-`".to_owned(),
            Tok::End => "the end of the expression".to_owned(),
        }
    }
}

/// A token and its 1-based column.
type Spanned = (Tok, usize);

fn tokenise(src: &str) -> Result<Vec<Spanned>, ExprError> {
    let chars: Vec<char> = src.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let column = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let two = |next: char| chars.get(i + 1) == Some(&next);
        let (tok, len) = match c {
            '(' => (Tok::LParen, 1),
            ')' => (Tok::RParen, 1),
            ',' => (Tok::Comma, 1),
            '.' => (Tok::Dot, 1),
            '+' => (Tok::Op(BinOp::Add), 1),
            '-' => (Tok::Minus, 1),
            '*' => (Tok::Op(BinOp::Mul), 1),
            '/' => (Tok::Op(BinOp::Div), 1),
            '=' if two('=') => return error(column, "write `=` for equality, not `==`"),
            '=' => (Tok::Op(BinOp::Eq), 1),
            '!' if two('=') => (Tok::Op(BinOp::Ne), 2),
            '!' => return error(column, "write `not` for negation; `!` only appears in `!=`"),
            '<' if two('=') => (Tok::Op(BinOp::Le), 2),
            '<' if two('>') => return error(column, "write `!=` for not equal, not `<>`"),
            '<' => (Tok::Op(BinOp::Lt), 1),
            '>' if two('=') => (Tok::Op(BinOp::Ge), 2),
            '>' => (Tok::Op(BinOp::Gt), 1),
            '\'' | '"' => {
                let (text, len) = string(&chars, i)?;
                (Tok::Str(text), len)
            }
            '0'..='9' => number(&chars, i)?,
            c if c.is_ascii_alphabetic() || c == '_' => {
                let len = chars[i..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || **c == '_')
                    .count();
                let word: String = chars[i..i + len].iter().collect();
                (identifier(word, column)?, len)
            }
            '$' if two('{') => {
                return error(
                    column,
                    "write the question id on its own (`age`), not XLSForm's `${age}`",
                )
            }
            other => return error(column, format!("unexpected character `{other}`")),
        };
        tokens.push((tok, column));
        i += len;
    }
    tokens.push((Tok::End, chars.len() + 1));
    Ok(tokens)
}

fn identifier(word: String, column: usize) -> Result<Tok, ExprError> {
    let lower = word.to_ascii_lowercase();
    if word != lower && KEYWORDS.contains(&lower.as_str()) {
        return error(
            column,
            format!("keywords are lowercase: write `{lower}`, not `{word}`"),
        );
    }
    let valid = word.starts_with(|c: char| c.is_ascii_lowercase())
        && word
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !valid {
        return error(
            column,
            format!("`{word}` is not a question id: ids are lowercase letters, digits and `_`, starting with a letter"),
        );
    }
    Ok(Tok::Ident(word))
}

/// A quoted string starting at `start`; returns its text and length in chars.
fn string(chars: &[char], start: usize) -> Result<(String, usize), ExprError> {
    let quote = chars[start];
    let mut text = String::new();
    let mut i = start + 1;
    loop {
        match chars.get(i) {
            None => {
                return error(start + 1, format!("this text has no closing {quote}"));
            }
            Some(&c) if c == quote => return Ok((text, i + 1 - start)),
            Some('\\') => match chars.get(i + 1) {
                Some(&e @ ('\'' | '"' | '\\')) => {
                    text.push(e);
                    i += 2;
                }
                _ => {
                    return error(
                        i + 1,
                        "unknown escape: only \\' \\\" and \\\\ may follow a backslash",
                    )
                }
            },
            Some(&c) => {
                text.push(c);
                i += 1;
            }
        }
    }
}

fn number(chars: &[char], start: usize) -> Result<(Tok, usize), ExprError> {
    let digits = |from: usize| {
        chars[from..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count()
    };
    let whole = digits(start);
    let mut end = start + whole;
    if chars.get(end) == Some(&'.') {
        let fraction = digits(end + 1);
        if fraction == 0 {
            return error(
                end + 2,
                "a decimal needs digits after the point, e.g. `1.5`",
            );
        }
        end += 1 + fraction;
        let text: String = chars[start..end].iter().collect();
        let value: f64 = text.parse().map_err(|_| ExprError {
            column: start + 1,
            message: format!("`{text}` is not a number"),
        })?;
        return Ok((Tok::Dec(value), end - start));
    }
    if chars
        .get(end)
        .is_some_and(|c| c.is_ascii_alphabetic() || *c == '_')
    {
        return error(end + 1, "a question id cannot start with a digit");
    }
    Ok((Tok::Int(chars[start..end].iter().collect()), end - start))
}

/// Parses an expression; the error column is 1-based, in characters.
pub fn parse(src: &str) -> Result<Expr, ExprError> {
    let tokens = tokenise(src)?;
    let mut parser = Parser {
        tokens,
        pos: 0,
        depth: 0,
    };
    if parser.peek() == &Tok::End {
        return error(1, "the expression is empty");
    }
    let (expr, _) = parser.or()?;
    match parser.peek() {
        Tok::End => Ok(expr),
        Tok::RParen => error(parser.column(), "this `)` has no matching `(`"),
        other => error(
            parser.column(),
            format!(
                "expected `and`, `or` or an operator here, found {}",
                other.describe()
            ),
        ),
    }
}

struct Parser {
    tokens: Vec<Spanned>,
    pos: usize,
    depth: usize,
}

/// Nesting is bounded so a hostile or broken expression cannot overflow the stack.
const MAX_DEPTH: usize = 64;

/// The tree an expression becomes is bounded too: `a or b or c ...` is parsed
/// in a loop, but evaluating, printing and dropping the tree walk it
/// recursively, one level per operator. 500 levels is far more than any
/// real condition and far less than a stack holds.
pub const MAX_HEIGHT: usize = 500;

/// The most decimal places `round()` keeps: more is no rounding a survey needs.
const MAX_PLACES: i64 = 10;

/// An expression and the height of its tree (a leaf is 1).
type Node = (Expr, usize);

impl Parser {
    fn peek(&self) -> &Tok {
        &self.tokens[self.pos].0
    }

    fn column(&self) -> usize {
        self.tokens[self.pos].1
    }

    fn advance(&mut self) -> Spanned {
        let token = self.tokens[self.pos].clone();
        if self.pos + 1 < self.tokens.len() {
            self.pos += 1;
        }
        token
    }

    fn eat_word(&mut self, word: &str) -> bool {
        if matches!(self.peek(), Tok::Ident(w) if w == word) {
            self.advance();
            true
        } else {
            false
        }
    }

    /// Joins two operands, refusing a tree taller than [`MAX_HEIGHT`]; the
    /// error points at the operator that crosses the limit.
    fn binary(
        op: BinOp,
        (left, lh): Node,
        (right, rh): Node,
        column: usize,
    ) -> Result<Node, ExprError> {
        let height = 1 + lh.max(rh);
        if height > MAX_HEIGHT {
            return error(
                column,
                format!(
                    "the expression is too long: more than {MAX_HEIGHT} operators in a row; \
                     split the condition, or use count_selected or a choice question instead of a long chain"
                ),
            );
        }
        let expr = Expr::Binary {
            op,
            left: Box::new(left),
            right: Box::new(right),
        };
        Ok((expr, height))
    }

    fn or(&mut self) -> Result<Node, ExprError> {
        self.nested(|p| {
            let mut left = p.and()?;
            loop {
                let column = p.column();
                if !p.eat_word("or") {
                    return Ok(left);
                }
                left = Self::binary(BinOp::Or, left, p.and()?, column)?;
            }
        })
    }

    fn and(&mut self) -> Result<Node, ExprError> {
        let mut left = self.not()?;
        loop {
            let column = self.column();
            if !self.eat_word("and") {
                return Ok(left);
            }
            left = Self::binary(BinOp::And, left, self.not()?, column)?;
        }
    }

    fn not(&mut self) -> Result<Node, ExprError> {
        if self.eat_word("not") {
            return self.nested(|p| {
                let (inner, height) = p.not()?;
                Ok((Expr::Not(Box::new(inner)), height + 1))
            });
        }
        self.compare()
    }

    fn compare(&mut self) -> Result<Node, ExprError> {
        let left = self.sum()?;
        let Tok::Op(op) = *self.peek() else {
            return Ok(left);
        };
        if !op.is_comparison() {
            return Ok(left);
        }
        let column = self.column();
        self.advance();
        let right = self.sum()?;
        if let Tok::Op(next) = self.peek() {
            if next.is_comparison() {
                return error(
                    self.column(),
                    "comparisons cannot be chained: join them with `and`, e.g. `age >= 10 and age < 18`",
                );
            }
        }
        Self::binary(op, left, right, column)
    }

    fn sum(&mut self) -> Result<Node, ExprError> {
        let mut left = self.product()?;
        loop {
            let op = match self.peek() {
                Tok::Op(BinOp::Add) => BinOp::Add,
                Tok::Minus => BinOp::Sub,
                _ => return Ok(left),
            };
            let column = self.column();
            self.advance();
            left = Self::binary(op, left, self.product()?, column)?;
        }
    }

    fn product(&mut self) -> Result<Node, ExprError> {
        let mut left = self.unary()?;
        while let Tok::Op(op @ (BinOp::Mul | BinOp::Div)) = *self.peek() {
            let column = self.column();
            self.advance();
            left = Self::binary(op, left, self.unary()?, column)?;
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Node, ExprError> {
        if *self.peek() != Tok::Minus {
            return self.primary();
        }
        self.advance();
        // A minus directly before a number is part of the literal.
        match self.peek().clone() {
            Tok::Int(digits) => {
                let column = self.column();
                self.advance();
                Ok((integer(&format!("-{digits}"), column - 1)?, 1))
            }
            Tok::Dec(x) => {
                self.advance();
                Ok((Expr::Decimal(-x), 1))
            }
            _ => self.nested(|p| {
                let (inner, height) = p.unary()?;
                Ok((Expr::Neg(Box::new(inner)), height + 1))
            }),
        }
    }

    fn primary(&mut self) -> Result<Node, ExprError> {
        let (tok, column) = self.advance();
        if tok == Tok::LParen {
            let inner = self.or()?;
            self.expect(&Tok::RParen, "to close the `(`")?;
            return Ok(inner);
        }
        let leaf = match tok {
            Tok::Int(digits) => integer(&digits, column),
            Tok::Dec(x) => Ok(Expr::Decimal(x)),
            Tok::Str(s) => Ok(Expr::Str(s)),
            Tok::Dot => Ok(Expr::Current),
            Tok::Ident(word) => match word.as_str() {
                "true" => Ok(Expr::Bool(true)),
                "false" => Ok(Expr::Bool(false)),
                "not" => error(
                    column,
                    "`not` applies to a whole condition: put it in parentheses here, e.g. `(not answered(age))`",
                ),
                "and" | "or" => error(
                    column,
                    format!("expected a value before `{word}`, e.g. a question id or a number"),
                ),
                "if" | "concat" | "coalesce" | "round" if *self.peek() == Tok::LParen => {
                    return self.value_call(&word, column);
                }
                _ if *self.peek() == Tok::LParen => self.call(&word, column),
                _ => Ok(Expr::Question(word)),
            },
            other => error(
                column,
                format!(
                    "expected a value (a question id, `.`, a number, a quoted text, true or false), found {}",
                    other.describe()
                ),
            ),
        };
        Ok((leaf?, 1))
    }

    fn call(&mut self, name: &str, column: usize) -> Result<Expr, ExprError> {
        self.advance(); // `(`
        let expr = match name {
            "selected" => {
                let target = self.target(name)?;
                self.expect(&Tok::Comma, "between the question and the choice value")?;
                let (tok, value_column) = self.advance();
                let Tok::Str(value) = tok else {
                    return error(
                        value_column,
                        format!(
                            "`selected` takes a choice value in quotes, e.g. selected(work, 'domestic'); found {}",
                            tok.describe()
                        ),
                    );
                };
                Expr::Selected { target, value }
            }
            "matches" => {
                let target = self.target(name)?;
                self.expect(&Tok::Comma, "between the answer and the pattern")?;
                let (tok, pattern_column) = self.advance();
                let Tok::Str(pattern) = tok else {
                    return error(
                        pattern_column,
                        format!(
                            "`matches` takes a pattern in quotes, e.g. matches(., '^[0-9]{{4}}$'); found {}",
                            tok.describe()
                        ),
                    );
                };
                super::pattern::compile(&pattern).map_err(|message| ExprError {
                    column: pattern_column,
                    message,
                })?;
                Expr::Matches { target, pattern }
            }
            "count_selected" => Expr::CountSelected(self.target(name)?),
            "answered" => Expr::Answered(self.target(name)?),
            "length" => Expr::Length(self.target(name)?),
            _ => {
                return error(
                    column,
                    format!(
                    "unknown function `{name}`: use selected, count_selected, answered, length, matches, if, concat, coalesce or round"
                ),
                )
            }
        };
        self.expect(&Tok::RParen, "to close the function call")?;
        Ok(expr)
    }

    /// `if`, `concat`, `coalesce` and `round`, whose arguments are expressions.
    fn value_call(&mut self, name: &str, column: usize) -> Result<Node, ExprError> {
        self.advance(); // `(`
        let mut args = Vec::new();
        let mut height = 1;
        loop {
            let (arg, h) = self.or()?;
            height = height.max(h + 1);
            args.push(arg);
            if *self.peek() != Tok::Comma {
                break;
            }
            self.advance();
        }
        self.expect(&Tok::RParen, "to close the function call")?;
        if height > MAX_HEIGHT {
            return error(column, "the expression is too long; split it");
        }
        let count = args.len();
        let wrong = |want: &str| {
            error(
                column,
                format!("`{name}` takes {want}, found {count} argument(s)"),
            )
        };
        let expr = match name {
            "if" => match <[Expr; 3]>::try_from(args) {
                Ok(parts) => Expr::If(Box::new(parts)),
                Err(_) => return wrong("a condition, a value if it holds and one if not"),
            },
            "coalesce" => match <[Expr; 2]>::try_from(args) {
                Ok(parts) => Expr::Coalesce(Box::new(parts)),
                Err(_) => return wrong("two values"),
            },
            "round" => {
                let mut args = args.into_iter();
                let (Some(value), places, None) = (args.next(), args.next(), args.next()) else {
                    return wrong("a value and, if any, a number of decimal places");
                };
                let places = match places {
                    None => 0,
                    Some(Expr::Integer(n)) if (0..=MAX_PLACES).contains(&n) => n as u8,
                    Some(other) => return error(column, format!("round() takes a whole number of decimal places from 0 to {MAX_PLACES}, e.g. round(total, 2), not `{other}`")),
                };
                Expr::Round {
                    value: Box::new(value),
                    places,
                }
            }
            _ => Expr::Concat(args),
        };
        Ok((expr, height))
    }

    fn target(&mut self, function: &str) -> Result<Target, ExprError> {
        let (tok, column) = self.advance();
        match tok {
            Tok::Dot => Ok(Target::Current),
            Tok::Ident(id) if !KEYWORDS.contains(&id.as_str()) => Ok(Target::Question(id)),
            other => error(
                column,
                format!(
                    "`{function}` takes a question id or `.`, found {}",
                    other.describe()
                ),
            ),
        }
    }

    fn expect(&mut self, want: &Tok, why: &str) -> Result<(), ExprError> {
        if self.peek() == want {
            self.advance();
            return Ok(());
        }
        error(
            self.column(),
            format!(
                "expected {} {why}, found {}",
                want.describe(),
                self.peek().describe()
            ),
        )
    }

    /// Runs `f` one nesting level deeper, refusing absurd depths.
    fn nested(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<Node, ExprError>,
    ) -> Result<Node, ExprError> {
        self.depth += 1;
        let result = if self.depth > MAX_DEPTH {
            error(
                self.column(),
                "the expression is nested too deeply; simplify it",
            )
        } else {
            f(self)
        };
        self.depth -= 1;
        result
    }
}

fn integer(text: &str, column: usize) -> Result<Expr, ExprError> {
    text.parse::<i64>()
        .map(Expr::Integer)
        .map_err(|_| ExprError {
            column,
            message: format!("`{text}` is too large for a whole number"),
        })
}
