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
    let (header, header_row) = rows
        .by_ref()
        .find(|row| !row.is_blank())
        .map_or((Vec::new(), 1), |row| (row.cells, row.number));
    // Like pyxform, cells under no header are no part of the form.
    let under_header = |row: &Row| {
        row.cells
            .iter()
            .zip(&header)
            .any(|(cell, head)| !cell.is_empty() && !head.is_empty())
    };
    let rows = rows.filter(under_header).collect();
    Sheet {
        header: headers::read(&header),
        header_row,
        rows,
    }
}

/// A cell as the text an author typed: `1` for a numeric 1, not `1.0`, and
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
        Data::DateTime(d) => d.as_f64().to_string(),
    }
}
