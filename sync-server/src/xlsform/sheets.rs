//! Reading the workbook: each sheet becomes a header and rows of text cells,
//! each row keeping its spreadsheet row number so every error can point at it.

use std::io::Cursor;

use calamine::{open_workbook_auto_from_rs, Data, Reader};

use super::headers::{self, Header};
use super::ImportError;

/// One row of a sheet: its 1-based spreadsheet row number and its cells,
/// aligned with the sheet's header.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub number: usize,
    cells: Vec<String>,
}

/// A sheet as a table of trimmed text cells under a header row.
#[derive(Debug, Clone)]
pub(crate) struct Sheet {
    /// The header row, read as pyxform reads it.
    pub header: Vec<Header>,
    /// The spreadsheet row number of the header.
    pub header_row: usize,
    pub rows: Vec<Row>,
    /// Where reading stopped before the end, as pyxform stops (after a run
    /// of empty rows or header cells): the first row or column not read,
    /// when anything was written beyond it.
    pub stopped: Option<String>,
}

impl Sheet {
    /// The index of the column `base` (canonical name, see `headers`) when
    /// it is not given per language.
    pub fn column(&self, base: &str) -> Option<usize> {
        self.header
            .iter()
            .position(|h| h.base == base && h.lang.is_none())
    }

    /// Refuses two headers that mean the same column (`relevant` and
    /// `bind::relevant`), as pyxform does.
    pub fn one_header_per_column(
        &self,
        file: &str,
        sheet: &'static str,
    ) -> Result<(), ImportError> {
        for (i, h) in self.header.iter().enumerate() {
            let same = |o: &&Header| !h.base.is_empty() && o.base == h.base && o.lang == h.lang;
            if let Some(other) = self.header[i + 1..].iter().find(same) {
                return Err(ImportError::AtRow {
                    file: file.to_owned(),
                    sheet,
                    row: self.header_row,
                    message: format!(
                        "the columns `{}` and `{}` mean the same thing; keep one",
                        h.original, other.original
                    ),
                });
            }
        }
        Ok(())
    }
}

impl Row {
    /// The trimmed cell in column `index`, or "" when the row is shorter.
    pub fn cell(&self, index: Option<usize>) -> &str {
        index
            .and_then(|i| self.cells.get(i))
            .map_or("", String::as_str)
    }

    fn is_blank(&self) -> bool {
        self.cells.iter().all(String::is_empty)
    }
}

/// The sheets of an XLSForm; all but `survey` may be absent.
#[derive(Debug)]
pub(crate) struct Workbook {
    pub survey: Sheet,
    pub choices: Option<Sheet>,
    /// The lists of `select_one_external` (which ODK reads from the
    /// itemsets.csv pyxform writes from this sheet).
    pub external_choices: Option<Sheet>,
    pub settings: Option<Sheet>,
}

pub(crate) fn read_workbook(bytes: &[u8], file: &str) -> Result<Workbook, ImportError> {
    // calamine can panic on a damaged file (in debug builds, an overflowing
    // cell reference such as `A99999999999`): that is a file it cannot read,
    // not a crash. Nothing it built survives the panic.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_unguarded(bytes, file)))
        .unwrap_or_else(|_| {
            Err(ImportError::Unreadable {
                file: file.to_owned(),
                message: "the file is damaged".to_owned(),
            })
        })
}

fn read_unguarded(bytes: &[u8], file: &str) -> Result<Workbook, ImportError> {
    let mut book =
        open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|err| ImportError::Unreadable {
            file: file.to_owned(),
            message: err.to_string(),
        })?;
    let names = book.sheet_names();
    // pyxform reads a workbook of one sheet, whatever its name, as the survey.
    let only = (names.len() == 1).then(|| names[0].clone());
    let mut read = |wanted: &'static str| -> Result<Option<Sheet>, ImportError> {
        // XLSForm tools accept "Survey" as well as "survey".
        let found = names.iter().find(|n| n.trim().eq_ignore_ascii_case(wanted));
        let Some(actual) = found.or(only.as_ref().filter(|_| wanted == "survey")) else {
            return Ok(None);
        };
        let range = book
            .worksheet_range(actual)
            .map_err(|err| ImportError::Unreadable {
                file: file.to_owned(),
                message: format!("sheet {wanted}: {err}"),
            })?;
        Ok(Some(to_sheet(&range)))
    };
    let survey = read("survey")?.ok_or_else(|| ImportError::MissingSheet {
        file: file.to_owned(),
        sheet: "survey",
    })?;
    let choices = read("choices")?;
    let external_choices = read("external_choices")?;
    let settings = read("settings")?;
    Ok(Workbook {
        survey,
        choices,
        external_choices,
        settings,
    })
}

fn to_sheet(range: &calamine::Range<Data>) -> Sheet {
    // The range starts at the first used cell, not necessarily A1.
    let first_row = range.start().map_or(0, |(row, _)| row as usize);
    let first_col = range.start().map_or(0, |(_, col)| col as usize);
    let rows = range.rows().enumerate().map(|(i, cells)| Row {
        number: first_row + i + 1,
        cells: std::iter::repeat_n(String::new(), first_col)
            .chain(cells.iter().map(cell_text))
            .collect(),
    });
    sheet_of(rows)
}

impl Sheet {
    /// A sheet from rows of cells, the first row being row 1 (a CSV file).
    pub fn from_table(table: Vec<Vec<String>>) -> Sheet {
        sheet_of(table.into_iter().enumerate().map(|(i, cells)| Row {
            number: i + 1,
            cells: cells.into_iter().map(|c| c.trim().to_owned()).collect(),
        }))
    }
}

/// pyxform reads a header up to a run of this many empty cells, and rows
/// up to a run of this many empty rows, and no further.
const EMPTY_COLUMNS: usize = 20;
const EMPTY_ROWS: usize = 60;

/// The first row with text is the header; the rows with text under it follow.
fn sheet_of(mut rows: impl Iterator<Item = Row>) -> Sheet {
    let (mut header, header_row) = rows
        .by_ref()
        .find(|row| !row.is_blank())
        .map_or((Vec::new(), 1), |row| (row.cells, row.number));
    let mut stopped = None;
    let mut empty = 0;
    for (i, cell) in header.iter().enumerate() {
        match (cell.is_empty(), empty == EMPTY_COLUMNS) {
            (true, true) => {
                if header[i..].iter().any(|c| !c.is_empty()) {
                    stopped = Some(format!(
                        "the header was read up to column {i}, after {EMPTY_COLUMNS} empty cells"
                    ));
                }
                header.truncate(i);
                break;
            }
            (true, false) => empty += 1,
            (false, _) => empty = 0,
        }
    }
    // Like pyxform, cells under no header are no part of the form.
    let under_header = |row: &Row| {
        row.cells
            .iter()
            .zip(&header)
            .any(|(cell, head)| !cell.is_empty() && !head.is_empty())
    };
    let mut kept = Vec::new();
    let mut empty = 0;
    let mut last = header_row;
    for row in rows {
        // A row missing from the range (calamine skips none) counts as empty.
        let skipped = row.number.saturating_sub(last + 1);
        last = row.number;
        empty += skipped;
        if under_header(&row) {
            if empty > EMPTY_ROWS {
                stopped = Some(format!(
                    "row {} and below were not read, after more than {EMPTY_ROWS} empty rows",
                    row.number
                ));
                break;
            }
            empty = 0;
            kept.push(row);
        } else {
            empty += 1;
        }
    }
    Sheet {
        header: headers::read(&header),
        header_row,
        rows: kept,
        stopped,
    }
}

/// A cell as the text an author typed: `1` for a numeric 1, not `1.0`, a
/// date as pyxform writes it, and
/// (like pyxform) with typographic quotes made plain, so `‘other’` in a
/// condition is the text `'other'`.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s
            .trim()
            .replace(['\u{2018}', '\u{2019}'], "'")
            .replace(['\u{201c}', '\u{201d}'], "\""),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => date_text(d.as_f64()),
    }
}

/// A spreadsheet date as pyxform reads it (Python's `str()` of the date):
/// `2012-12-12 00:00:00`, `2022-04-11 16:26:28.971000`, a time alone
/// (`08:30:00`) when there is no day. A serial outside the calendar stays
/// the number it is.
fn date_text(serial: f64) -> String {
    use time::{Date, Duration, Month, PrimitiveDateTime, Time};
    let micros = serial * 86_400_000_000.0;
    let epoch = Date::from_calendar_date(1899, Month::December, 30)
        .map(|d| PrimitiveDateTime::new(d, Time::MIDNIGHT));
    let at = (serial.is_finite() && (0.0..2_958_466.0).contains(&serial))
        .then(|| {
            epoch
                .ok()?
                .checked_add(Duration::microseconds(micros.round() as i64))
        })
        .flatten();
    let Some(at) = at else {
        return serial.to_string();
    };
    let micro = at.microsecond();
    let clock = format!("{:02}:{:02}:{:02}", at.hour(), at.minute(), at.second());
    let clock = if micro == 0 {
        clock
    } else {
        format!("{clock}.{micro:06}")
    };
    if serial < 1.0 {
        return clock;
    }
    format!(
        "{:04}-{:02}-{:02} {clock}",
        at.year(),
        u8::from(at.month()),
        at.day()
    )
}

#[cfg(test)]
mod tests {
    use super::{date_text, Sheet};

    #[test]
    fn spreadsheet_dates_read_as_pyxform_writes_them() {
        assert_eq!(date_text(41255.0), "2012-12-12 00:00:00");
        assert_eq!(date_text(44662.5), "2022-04-11 12:00:00");
        assert_eq!(date_text(0.25), "06:00:00");
        assert_eq!(
            date_text(44662.0 + 1.5 / 86_400.0),
            "2022-04-11 00:00:01.500000"
        );
        assert_eq!(date_text(-1.0), "-1");
        assert_eq!(date_text(f64::NAN), "NaN");
    }

    #[test]
    fn reading_stops_after_a_run_of_empty_rows_or_header_cells_as_in_pyxform() {
        let row = |cells: &[&str]| cells.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>();
        let mut table = vec![row(&["type", "name"]), row(&["text", "a"])];
        table.extend(std::iter::repeat_n(row(&[]), 60));
        table.push(row(&["text", "b"]));
        let sheet = Sheet::from_table(table.clone());
        assert_eq!(sheet.rows.len(), 2, "60 empty rows do not stop it");
        assert!(sheet.stopped.is_none());
        table.insert(2, row(&[]));
        let sheet = Sheet::from_table(table);
        assert_eq!(sheet.rows.len(), 1);
        assert!(sheet.stopped.unwrap().starts_with("row 64 and below"));
        let mut header = row(&["type"]);
        header.extend(std::iter::repeat_n(String::new(), 20));
        header.push("name".to_owned());
        assert_eq!(Sheet::from_table(vec![header.clone()]).header.len(), 22);
        header.insert(1, String::new());
        let sheet = Sheet::from_table(vec![header]);
        assert_eq!(sheet.header.len(), 21);
        assert!(sheet.stopped.unwrap().contains("column 21"));
    }
}
