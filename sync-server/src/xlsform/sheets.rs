//! Reading the workbook: each sheet becomes a header and rows of text cells,
//! each row keeping its spreadsheet row number so every error can point at it.

use std::io::Cursor;

use calamine::{open_workbook_auto_from_rs, Data, Reader};

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
    pub header: Vec<String>,
    pub rows: Vec<Row>,
}

impl Sheet {
    /// The index of the column named `name` (case-insensitive, exact otherwise).
    pub fn column(&self, name: &str) -> Option<usize> {
        self.header
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
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

/// The three sheets an XLSForm has; `choices` and `settings` may be absent.
#[derive(Debug)]
pub(crate) struct Workbook {
    pub survey: Sheet,
    pub choices: Option<Sheet>,
    pub settings: Option<Sheet>,
}

pub(crate) fn read_workbook(bytes: &[u8], file: &str) -> Result<Workbook, ImportError> {
    let mut book =
        open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|err| ImportError::Unreadable {
            file: file.to_owned(),
            message: err.to_string(),
        })?;
    let names = book.sheet_names();
    let mut read = |wanted: &'static str| -> Result<Option<Sheet>, ImportError> {
        // XLSForm tools accept "Survey" as well as "survey".
        let Some(actual) = names.iter().find(|n| n.trim().eq_ignore_ascii_case(wanted)) else {
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
    let settings = read("settings")?;
    Ok(Workbook {
        survey,
        choices,
        settings,
    })
}

fn to_sheet(range: &calamine::Range<Data>) -> Sheet {
    // The range starts at the first used cell, not necessarily A1.
    let first_row = range.start().map_or(0, |(row, _)| row as usize);
    let first_col = range.start().map_or(0, |(_, col)| col as usize);
    let mut rows = range.rows().enumerate().map(|(i, cells)| Row {
        number: first_row + i + 1,
        cells: std::iter::repeat_n(String::new(), first_col)
            .chain(cells.iter().map(cell_text))
            .collect(),
    });
    let header = rows
        .by_ref()
        .find(|row| !row.is_blank())
        .map(|row| row.cells)
        .unwrap_or_default();
    Sheet {
        header,
        rows: rows.filter(|row| !row.is_blank()).collect(),
    }
}

/// A cell as the text an author typed: `1` for a numeric 1, not `1.0`.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.trim().to_owned(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => d.as_f64().to_string(),
    }
}
