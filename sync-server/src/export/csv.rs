//! CSV cells, quoted (RFC 4180) and formula-safe (OWASP "CSV injection").
//!
//! A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (and some
//! treat a leading tab or carriage return the same way) as a formula, quoted
//! or not: `=HYPERLINK("http://…")` in a free-text answer would attack the
//! analyst who opens the export. Such a text cell gets one `'` in front, so
//! it is read as text. A cell that already starts with `'` gets one too, so
//! the rule can be undone exactly: remove one leading `'` from a cell that
//! has it. Numbers stay numbers: a cell that is a plain decimal number
//! (`-3`, `+2.5`) is left alone, and typed numbers are written with
//! [`number_field`], which never adds the mark. Every CSV the server writes
//! (exports, the audit download) goes through here; the codebook states it.

/// The mark put in front of a text cell a spreadsheet would run.
pub const TEXT_MARK: char = '\'';

/// What the codebook and the operators' guide say about the rule.
pub const FORMULA_RULE: &str = "A text cell that begins with `=`, `+`, `-`, `@`, a tab, a carriage return or `'` has one `'` put in front of it, so a spreadsheet reads it as text and never runs it as a formula; remove that one leading `'` to get the value exactly as recorded. Numbers are written as they are.";

/// Whether `text` would be read as a formula (or starts with the mark).
fn needs_mark(text: &str) -> bool {
    match text.as_bytes().first() {
        Some(b'=' | b'@' | b'\t' | b'\r' | b'\'') => true,
        Some(b'+' | b'-') => !is_plain_number(text),
        _ => false,
    }
}

/// `-12`, `+3.5`: an optional sign, digits, at most one point with digits
/// after it. Nothing a spreadsheet could run.
fn is_plain_number(text: &str) -> bool {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (whole, fraction) = match digits.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (digits, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    all_digits(whole) && fraction.is_none_or(all_digits)
}

fn needs_quotes(text: &str) -> bool {
    text.contains([',', '"', '\n', '\r'])
}

fn push_quoted(line: &mut String, mark: bool, text: &str) {
    let quoted = needs_quotes(text);
    if quoted {
        line.push('"');
    }
    if mark {
        line.push(TEXT_MARK);
    }
    if quoted {
        // Doubling quotes one piece at a time, with no temporary string.
        let mut pieces = text.split('"');
        if let Some(first) = pieces.next() {
            line.push_str(first);
        }
        for piece in pieces {
            line.push_str("\"\"");
            line.push_str(piece);
        }
        line.push('"');
    } else {
        line.push_str(text);
    }
}

/// Appends a text cell: quoted when needed, marked when a spreadsheet would
/// run it.
pub fn text_field(line: &mut String, text: &str) {
    push_quoted(line, needs_mark(text), text);
}

/// Appends a cell the server wrote as a number (or numbers, like a
/// location's `lat,lon`): quoted when needed, never marked.
pub fn number_field(line: &mut String, text: &str) {
    push_quoted(line, false, text);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn text(t: &str) -> String {
        let mut line = String::new();
        text_field(&mut line, t);
        line
    }

    #[test]
    fn formulas_are_marked_as_text_and_quoted_when_needed() {
        assert_eq!(
            text("=HYPERLINK(\"http://x\",\"y\")"),
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""
        );
        assert_eq!(text("+1+2"), "'+1+2");
        assert_eq!(text("-2+3"), "'-2+3");
        assert_eq!(text("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(text("\tx"), "'\tx");
        assert_eq!(text("\rx"), "\"'\rx\"");
        assert_eq!(text("'quoted"), "''quoted");
    }

    #[test]
    fn plain_text_and_numbers_are_written_as_they_are() {
        assert_eq!(text("hello"), "hello");
        assert_eq!(text("a=b"), "a=b");
        assert_eq!(text("-12"), "-12");
        assert_eq!(text("+3.5"), "+3.5");
        assert_eq!(text(""), "");
        let mut line = String::new();
        number_field(&mut line, "-1.5,30.25");
        assert_eq!(line, "\"-1.5,30.25\"");
    }

    /// A second reader: the `csv` rules by hand (RFC 4180 unquoting), then
    /// the codebook's rule undone. Every text comes back exactly, and no
    /// cell a spreadsheet would run survives.
    fn read_back(cell: &str) -> String {
        let unquoted = match cell.strip_prefix('"').and_then(|c| c.strip_suffix('"')) {
            Some(inner) => inner.replace("\"\"", "\""),
            None => cell.to_owned(),
        };
        unquoted
            .strip_prefix(TEXT_MARK)
            .map_or(unquoted.clone(), str::to_owned)
    }

    proptest! {
        #[test]
        fn the_rule_is_undone_exactly_and_nothing_runnable_is_left(t in "[=+@'\t\r,\"a-z0-9 .-]{0,12}") {
            let cell = text(&t);
            let unquoted = match cell.strip_prefix('"').and_then(|c| c.strip_suffix('"')) {
                Some(inner) => inner.replace("\"\"", "\""),
                None => cell.clone(),
            };
            prop_assert!(
                !unquoted.starts_with(['=', '@', '\t', '\r']),
                "{t:?} came out runnable as {cell:?}"
            );
            if unquoted.starts_with(['+', '-']) {
                prop_assert!(is_plain_number(&unquoted), "{t:?} came out as {cell:?}");
            }
            prop_assert_eq!(read_back(&cell), t);
        }
    }
}
