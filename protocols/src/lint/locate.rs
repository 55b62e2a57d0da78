//! Maps a finding's location back to a line of the TOML source, so the CLI
//! can print `file:line: error[R6]: ...`. It reads the text line by line
//! rather than re-parsing, so it works on any layout a person writes
//! (tables, dotted keys or inline tables) and degrades to the nearest
//! enclosing line it can find. Comments and multi-line strings are skipped,
//! so a `# id = "hours"` comment or a script line that looks like a key is
//! never taken for the place.
//!
//! [`Locator`] indexes a source once; each lookup is then a few binary
//! searches, so locating every finding of a large file stays linear.

use std::collections::HashMap;

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
    "sites",
];

/// The 1-based line in `source` that `finding` is about, if it can be found.
/// For many findings of one source, build a [`Locator`] once instead.
pub fn locate(source: &str, finding: &Finding) -> Option<usize> {
    Locator::new(source).line(&finding.location)
}

/// A source indexed for [`Locator::line`].
#[derive(Debug)]
pub struct Locator {
    /// `(key, value)` of `id = "..."` and `value = "..."` -> lines, ascending.
    assigned: HashMap<(bool, String), Vec<usize>>,
    /// A key, a header or dotted-key segment -> lines defining it, ascending.
    keys: HashMap<String, Vec<usize>>,
    /// Lines starting an array-of-tables item (`[[...]]`), ascending.
    items: Vec<usize>,
    /// Lines starting with `{`: items of an inline array, ascending.
    inline_items: Vec<usize>,
    /// Lines where a key's value is an array opening on an inline table
    /// (`contacts = [{ ...`), ascending.
    opens_inline: Vec<usize>,
    lines: usize,
}

impl Locator {
    pub fn new(source: &str) -> Locator {
        let mut locator = Locator {
            assigned: HashMap::new(),
            keys: HashMap::new(),
            items: Vec::new(),
            inline_items: Vec::new(),
            opens_inline: Vec::new(),
            lines: 0,
        };
        let mut in_string: Option<&str> = None; // the closing `"""` or `'''`
        for (i, line) in source.lines().enumerate() {
            locator.lines = i + 1;
            let mut rest = line;
            if let Some(close) = in_string {
                match rest.find(close) {
                    Some(at) => rest = &rest[at + 3..],
                    None => continue,
                }
            }
            in_string = locator.index_line(i, rest);
        }
        locator
    }

    /// Indexes one line (or the part after a multi-line string ends);
    /// returns the closing delimiter if a multi-line string starts here.
    fn index_line(&mut self, i: usize, line: &str) -> Option<&'static str> {
        let trimmed = line.trim_start();
        if trimmed.starts_with('[') && !trimmed.starts_with("[ ") || trimmed.starts_with("[[") {
            if trimmed.starts_with("[[") {
                self.items.push(i);
            }
            let header = trimmed
                .trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or("");
            for segment in header.split('.') {
                self.key(segment.trim().trim_matches(['"', '\'']), i);
            }
            return None;
        }
        if trimmed.starts_with('{') {
            self.inline_items.push(i);
        } else if let Some((_, value)) = trimmed.split_once('=') {
            if value.trim_start().starts_with('[')
                && value.trim_start()[1..].trim_start().starts_with('{')
            {
                self.opens_inline.push(i);
            }
        }
        // Walk the line outside strings: keys are words before `=`.
        let bytes = line.as_bytes();
        let mut word_start: Option<usize> = None;
        let mut last_word: Option<(usize, usize)> = None;
        let mut at = 0;
        while at < bytes.len() {
            let c = bytes[at];
            match c {
                b'#' => break,
                b'"' | b'\'' => {
                    let triple = line[at..].starts_with(if c == b'"' { "\"\"\"" } else { "'''" });
                    if triple {
                        let close = if c == b'"' { "\"\"\"" } else { "'''" };
                        match line[at + 3..].find(close) {
                            Some(end) => at += 3 + end + 3,
                            None => return Some(close),
                        }
                        continue;
                    }
                    let start = at + 1;
                    let mut end = start;
                    while end < bytes.len() && bytes[end] != c {
                        if c == b'"' && bytes[end] == b'\\' {
                            end += 1;
                        }
                        end += 1;
                    }
                    let value = &line[start..end.min(line.len())];
                    if let Some((ws, we)) = last_word.take() {
                        let key = &line[ws..we];
                        if (key == "id" || key == "value") && Self::assigned_by(line, we, start) {
                            self.assigned
                                .entry((key == "value", value.to_owned()))
                                .or_default()
                                .push(i);
                        }
                    }
                    at = end + 1;
                    word_start = None;
                    continue;
                }
                b'=' => {
                    if let Some(ws) = word_start.take() {
                        last_word = Some((ws, at));
                    }
                    if let Some((ws, we)) = last_word {
                        self.key(line[ws..we].trim(), i);
                    }
                }
                c if c.is_ascii_alphanumeric() || c == b'_' || c == b'-' => {
                    if word_start.is_none() {
                        word_start = Some(at);
                        last_word = None;
                    }
                }
                b'.' => {
                    // A dotted key `a.b = ...`: each segment is a key.
                    if let Some(ws) = word_start.take() {
                        self.key(&line[ws..at], i);
                    }
                }
                _ => {
                    if let Some(ws) = word_start.take() {
                        last_word = Some((ws, at));
                    } else if c != b' ' && c != b'\t' {
                        last_word = None;
                    }
                }
            }
            at += 1;
        }
        None
    }

    /// Whether only `=` and spaces stand between a key ending at `key_end`
    /// and a string starting at `value_start`.
    fn assigned_by(line: &str, key_end: usize, value_start: usize) -> bool {
        let between = line[key_end..value_start - 1].trim();
        between == "="
    }

    fn key(&mut self, key: &str, i: usize) {
        if key.is_empty() {
            return;
        }
        let lines = self.keys.entry(key.to_owned()).or_default();
        if lines.last() != Some(&i) {
            lines.push(i);
        }
    }

    /// The 1-based line of `location`, or of the nearest enclosing place
    /// found; `None` when not even the first segment is in the source.
    pub fn line(&self, location: &str) -> Option<usize> {
        let mut cursor: Option<usize> = None;
        let mut previous: Option<&str> = None;
        for segment in location.split('.') {
            let (name, index) = split_index(segment);
            let (name, occurrence) = split_occurrence(name);
            let from = cursor.unwrap_or(0);
            let found = match previous {
                Some(collection) if BY_ID.contains(&collection) => {
                    let key = (collection == "choices", name.to_owned());
                    nth_from(self.assigned.get(&key), from, usize::MAX, occurrence)
                }
                _ => {
                    // A field of an item ends where the next item (`[[`) starts;
                    // a collection's items are themselves `[[` headers.
                    let field = index.is_none() && !BY_ID.contains(&name);
                    let end = if field && cursor.is_some() {
                        nth_from(Some(&self.items), from + 1, usize::MAX, 1).unwrap_or(self.lines)
                    } else {
                        self.lines
                    };
                    self.find_key(from, end, name, index)
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

    /// The line defining `name` in `from..end`; with an index, the
    /// index-th `[[...name]]` header, or the index-th inline item after the
    /// line defining it.
    fn find_key(&self, from: usize, end: usize, name: &str, index: Option<usize>) -> Option<usize> {
        let defines = self.keys.get(name);
        let first = nth_from(defines, from, end, 1)?;
        let Some(n) = index else {
            return Some(first);
        };
        let header = defines
            .into_iter()
            .flatten()
            .filter(|&&l| l >= from && l < end && self.items.binary_search(&l).is_ok())
            .nth(n)
            .copied();
        if header.is_some() {
            return header;
        }
        // An inline array: items on the defining line (`contacts = [{ ... }]`)
        // come first, then one per line on the lines right after it.
        let on_first_line = usize::from(self.opens_inline.binary_search(&first).is_ok());
        if n < on_first_line {
            return Some(first);
        }
        let start = self.inline_items.partition_point(|&l| l <= first);
        let mut following = self.inline_items[start..]
            .iter()
            .enumerate()
            .take_while(|(k, &l)| l == first + 1 + k && l < end)
            .map(|(_, &l)| l);
        following.nth(n - on_first_line).or(Some(first))
    }
}

/// The `n`-th (1-based) line of `lines` in `from..end`.
fn nth_from(lines: Option<&Vec<usize>>, from: usize, end: usize, n: usize) -> Option<usize> {
    let lines = lines?;
    let start = lines.partition_point(|&l| l < from);
    lines
        .get(start + n.saturating_sub(1))
        .copied()
        .filter(|&l| l < end)
}

/// `time_windows[2]` -> (`time_windows`, Some(2)).
fn split_index(segment: &str) -> (&str, Option<usize>) {
    match segment.split_once('[') {
        Some((name, rest)) => (name, rest.trim_end_matches(']').parse().ok()),
        None => (segment, None),
    }
}

/// `hours#2` (the second item with id `hours`) -> (`hours`, 2).
fn split_occurrence(name: &str) -> (&str, usize) {
    match name.rsplit_once('#') {
        Some((id, n)) => (id, n.parse().unwrap_or(1)),
        None => (name, 1),
    }
}
