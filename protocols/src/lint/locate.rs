//! Maps a finding's location back to a line of the TOML source, so the CLI
//! can print `file:line: error[R6]: ...`. It reads the text line by line
//! rather than re-parsing, so it works on any layout a person writes
//! (tables, dotted keys or inline tables) and degrades to the nearest
//! enclosing line it can find.

use super::Finding;

/// Collections whose items are named by `id` (or `value` for choices) in
/// locations: `sections.work`, `questions.hours`, `choices.domestic`.
const BY_ID: &[&str] = &[
    "research_questions",
    "sections",
    "questions",
    "items",
    "tallies",
    "indicators",
    "site_types",
    "choices",
];

/// The 1-based line in `source` that `finding` is about, if it can be found.
/// For a question this is its `id = "..."` line, or the line of the field
/// named in the location (`relevant = ...`) when the question has one.
pub fn locate(source: &str, finding: &Finding) -> Option<usize> {
    let lines: Vec<&str> = source.lines().collect();
    let mut cursor: Option<usize> = None;
    let mut previous: Option<&str> = None;
    for segment in finding.location.split('.') {
        let (name, index) = split_index(segment);
        let from = cursor.unwrap_or(0);
        let found = match previous {
            Some(collection) if BY_ID.contains(&collection) => {
                let key = if collection == "choices" {
                    "value"
                } else {
                    "id"
                };
                find_from(&lines, from, |line| assigns(line, key, name))
            }
            _ => {
                // A field of an item ends where the next item (`[[`) starts;
                // a collection's items are themselves `[[` headers.
                let field = index.is_none() && !BY_ID.contains(&name);
                let end = if field && cursor.is_some() {
                    next_item(&lines, from)
                } else {
                    lines.len()
                };
                find_key(&lines, from, end, name, index)
            }
        };
        match found {
            Some(line) => cursor = Some(line),
            None => break,
        }
        previous = Some(name);
    }
    cursor.map(|line| line + 1)
}

/// `time_windows[2]` -> (`time_windows`, Some(2)).
fn split_index(segment: &str) -> (&str, Option<usize>) {
    match segment.split_once('[') {
        Some((name, rest)) => (name, rest.trim_end_matches(']').parse().ok()),
        None => (segment, None),
    }
}

fn find_from(lines: &[&str], from: usize, pred: impl Fn(&str) -> bool) -> Option<usize> {
    (from..lines.len()).find(|&i| pred(lines[i]))
}

/// The first line after `from` that starts a new array-of-tables item.
fn next_item(lines: &[&str], from: usize) -> usize {
    (from + 1..lines.len())
        .find(|&i| lines[i].trim_start().starts_with("[["))
        .unwrap_or(lines.len())
}

/// Whether `line` contains `key = "value"` (or single quotes), also inside
/// an inline table.
fn assigns(line: &str, key: &str, value: &str) -> bool {
    line.match_indices(key).any(|(at, _)| {
        let before = line[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            return false;
        }
        let rest = line[at + key.len()..].trim_start();
        let Some(rest) = rest.strip_prefix('=') else {
            return false;
        };
        let rest = rest.trim_start();
        ['"', '\''].iter().any(|q| {
            rest.strip_prefix(*q)
                .and_then(|r| r.strip_prefix(value))
                .is_some_and(|r| r.starts_with(*q))
        })
    })
}

/// The key path a line defines: `[a.b]` / `[[a.b]]` headers and `a.b = ...`.
fn key_path(line: &str) -> Vec<&str> {
    let line = line.trim();
    let path = if line.starts_with('[') {
        line.trim_start_matches('[').split(']').next().unwrap_or("")
    } else if let Some((key, _)) = line.split_once('=') {
        if key.contains(['"', '\'', '{']) {
            return Vec::new();
        }
        key
    } else {
        return Vec::new();
    };
    path.split('.').map(str::trim).collect()
}

/// The line defining `name` in `from..end`; with an index, the index-th
/// `[[...name]]` header (falling back to the first line naming it).
fn find_key(
    lines: &[&str],
    from: usize,
    end: usize,
    name: &str,
    index: Option<usize>,
) -> Option<usize> {
    let end = end.min(lines.len());
    let defines = |i: &usize| key_path(lines[*i]).contains(&name);
    let first = (from..end).find(defines)?;
    let Some(n) = index else {
        return Some(first);
    };
    let headers: Vec<usize> = (from..end)
        .filter(|i| lines[*i].trim_start().starts_with("[[") && defines(i))
        .collect();
    Some(headers.get(n).copied().unwrap_or(first))
}
