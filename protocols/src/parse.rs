//! Reading a protocol from TOML, with errors that point at the place to fix.

use crate::model::Protocol;

/// A protocol file that could not be read, located to the line and column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct ParseError {
    pub file: String,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    /// What was wrong and what was expected.
    pub message: String,
}

/// Parses one protocol file. `file` is only used to name the place in errors.
pub fn parse_protocol(file: &str, source: &str) -> Result<Protocol, ParseError> {
    toml::from_str::<Protocol>(source).map_err(|err| located(file, source, &err))
}

/// A TOML error at its line and column of `source`.
pub(crate) fn located(file: &str, source: &str, err: &toml::de::Error) -> ParseError {
    let offset = err.span().map_or(0, |span| span.start);
    let (line, column) = line_column(source, offset);
    ParseError {
        file: file.to_owned(),
        line,
        column,
        message: message_or_hint(err.message()),
    }
}

/// toml gives no message for some syntax errors (`key =` with nothing after
/// it, a lone carriage return); the author still needs to be told something.
fn message_or_hint(message: &str) -> String {
    let message = message.trim();
    if message.is_empty() {
        "expected a value or a new line here: a quoted text, a number, true or false, \
         a [list] or a { table }; look for a missing value or a stray character"
            .to_owned()
    } else {
        message.to_owned()
    }
}

/// Writes a protocol back as TOML (used by importers and the round-trip tests).
pub fn to_toml(protocol: &Protocol) -> String {
    toml::to_string(protocol).expect("a protocol model always serialises to TOML")
}

/// 1-based line and column of a byte offset.
pub(crate) fn line_column(source: &str, offset: usize) -> (usize, usize) {
    // toml can point inside a multi-byte character (a bad escape such as
    // `"\é"`): step back to where that character starts.
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = source[line_start..offset].chars().count() + 1;
    (line, column)
}
