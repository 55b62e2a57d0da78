//! Cutting an XPath cell into tokens, each with its 1-based column.

use super::{Node, XPathError};

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Token {
    Ref(String),
    Dot,
    Number(String),
    Str(String),
    Name(String),
    Op(&'static str),
    Open,
    Close,
    Comma,
    /// `/`, `[` and `]`: only in `instance('list')/root/item[...]/column`.
    Path(char),
}

pub(super) fn tokenize(src: &str) -> Result<Vec<(Token, usize)>, XPathError> {
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
            '/' | '[' | ']' => (Token::Path(c), 1),
            other => {
                return Err(error(column, format!("`{other}` is not supported")));
            }
        };
        tokens.push((token, column));
        i += len;
    }
    Ok(tokens)
}

/// An XPath number in Fieldkit's spelling: `.5` and `5.` are XPath's, and
/// Fieldkit wants digits on both sides of a point; whole numbers are 64-bit
/// there (the fuzzer in `fuzz/` found 21-digit ones, and `2..`).
pub(super) fn number(text: &str) -> Result<Node, String> {
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
