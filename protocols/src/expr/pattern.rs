//! Patterns for `matches()`: Rust's regular expressions (no look-around or
//! back-references), size-limited so a hostile protocol cannot make a phone
//! or the server build a huge automaton.

use regex::{Regex, RegexBuilder};

/// Compiled patterns are small: this bounds memory, not expressiveness a
/// survey needs (phone numbers, ids, postcodes).
const SIZE_LIMIT: usize = 1 << 16;

pub(super) fn compile(pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(pattern)
        .size_limit(SIZE_LIMIT)
        .dfa_size_limit(SIZE_LIMIT)
        .build()
        .map_err(|err| {
            let first_line = err.to_string();
            let first_line = first_line.lines().last().unwrap_or_default().trim().to_owned();
            format!("`{pattern}` is not a pattern Fieldkit can use ({first_line}); look-around and back-references are not supported")
        })
}
