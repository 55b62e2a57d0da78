//! Choices from a file beside the form (`select_one_from_file towns.csv`):
//! ODK reads the list from that file, so the import reads the same file,
//! supplied by whoever calls it (the command line reads it from the form's
//! folder). A CSV has a header row naming `name` and `label` (or
//! `label::Language (code)`) and any columns a `choice_filter` reads, as
//! ODK expects; it becomes a choices sheet of one list, named after the file.

use super::sheets::Sheet;

/// A file beside the form, by the name the form gives it; `None` when it is
/// not there.
pub type Beside<'a> = &'a dyn Fn(&str) -> Option<Vec<u8>>;

/// The most a choices file may hold: far more than any real list, few
/// enough that a wrong file cannot exhaust the server.
const MAX_BYTES: usize = 16 * 1024 * 1024;
const MAX_ROWS: usize = 200_000;

/// The list name a file gives its choices: `towns.csv` -> `towns`.
pub(crate) fn list_name(file: &str) -> &str {
    file.rsplit_once('.').map_or(file, |(stem, _)| stem)
}

/// The file's rows as a choices sheet: a `list_name` column (the file's
/// list name) before the file's own columns.
pub(crate) fn choices_sheet(file: &str, bytes: &[u8]) -> Result<Sheet, String> {
    if !file.to_ascii_lowercase().ends_with(".csv") {
        return Err(format!("`{file}`: Fieldkit reads choices from a CSV file (name,label,... with a header row); save the list as `{}.csv`", list_name(file)));
    }
    if bytes.len() > MAX_BYTES {
        return Err(format!(
            "`{file}` is larger than {} MiB; a choice list that long cannot be shown on a phone",
            MAX_BYTES / 1024 / 1024
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        format!(
            "`{file}` is not UTF-8 text (at byte {}); save it as CSV UTF-8",
            e.valid_up_to()
        )
    })?;
    let rows = read_csv(text).map_err(|e| format!("`{file}`, {e}"))?;
    if rows.len() > MAX_ROWS {
        return Err(format!("`{file}` has more than {MAX_ROWS} rows"));
    }
    let list = list_name(file).to_owned();
    let table = rows
        .into_iter()
        .enumerate()
        .map(|(i, row)| {
            let first = match i {
                0 => "list_name",
                _ if row.iter().all(|c| c.trim().is_empty()) => "",
                _ => list.as_str(),
            };
            std::iter::once(first.to_owned()).chain(row).collect()
        })
        .collect();
    Ok(Sheet::from_table(table))
}

/// Reads CSV text (RFC 4180: fields separated by commas, a field in double
/// quotes may hold commas, line breaks and `""` for a quote; lines end in
/// LF or CRLF; a byte-order mark is skipped) into rows of fields. Errors
/// name the 1-based line.
pub fn read_csv(text: &str) -> Result<Vec<Vec<String>>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut line = 1;
    // Whether the current field was quoted (its quotes closed).
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match c {
            '"' if field.is_empty() && !quoted => {
                let start = line;
                loop {
                    match chars.next() {
                        Some('"') if chars.peek() == Some(&'"') => {
                            chars.next();
                            field.push('"');
                        }
                        Some('"') => break,
                        Some(c) => {
                            line += usize::from(c == '\n');
                            field.push(c);
                        }
                        None => {
                            return Err(format!(
                                "line {start}: a quoted field is never closed; end it with \""
                            ))
                        }
                    }
                }
                quoted = true;
            }
            ',' => {
                row.push(std::mem::take(&mut field));
                quoted = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
                quoted = false;
                line += 1;
            }
            c if quoted => {
                return Err(format!(
                    "line {line}: `{c}` after a closing quote; a field with quotes in it is written \"like \"\"this\"\"\""
                ))
            }
            c => field.push(c),
        }
    }
    if quoted || !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_fields_keep_commas_quotes_and_line_breaks() {
        let rows =
            read_csv("\u{feff}name,label\r\na,\"Accra, \"\"Greater\"\"\"\nb,\"two\nlines\"\n,\n")
                .unwrap();
        assert_eq!(
            rows,
            [
                vec!["name", "label"],
                vec!["a", "Accra, \"Greater\""],
                vec!["b", "two\nlines"],
                vec!["", ""],
            ]
        );
        assert_eq!(read_csv("a,b").unwrap(), [vec!["a", "b"]]);
        assert_eq!(read_csv("").unwrap(), Vec::<Vec<String>>::new());
    }

    #[test]
    fn broken_quotes_are_refused_at_their_line() {
        let open = read_csv("name\n\"never closed\n").unwrap_err();
        assert!(open.starts_with("line 2:"), "{open}");
        let after = read_csv("name,label\na,\"b\"c\n").unwrap_err();
        assert!(after.starts_with("line 2:"), "{after}");
    }
}
