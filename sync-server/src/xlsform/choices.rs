//! The `choices` sheet: choice lists by name.

use std::collections::{BTreeMap, BTreeSet};

use fieldkit_protocols::model::Choice;

use super::languages::Languages;
use super::sheets::Sheet;
use super::ImportError;

/// Every choice list by name, each choice in sheet order.
pub(crate) type Lists = BTreeMap<String, Vec<Choice>>;

/// The cells a `choice_filter` reads, per choice, parallel to [`Lists`]:
/// column name (as the filter writes it) -> cell.
pub(crate) type Columns = BTreeMap<String, Vec<BTreeMap<String, String>>>;

/// Every choice list, in sheet order, and the cells of `filter_columns` (the
/// names `choice_filter`s use) for each choice. A form without selects needs
/// no sheet.
pub(crate) fn read_lists(
    file: &str,
    sheet_name: &'static str,
    sheet: Option<&Sheet>,
    languages: &Languages,
    filter_columns: &BTreeSet<String>,
    notes: &mut Vec<String>,
) -> Result<(Lists, Columns), ImportError> {
    let mut lists = Lists::new();
    let mut columns = Columns::new();
    let Some(sheet) = sheet else {
        return Ok((lists, columns));
    };
    let missing = |column| ImportError::MissingColumn {
        file: file.to_owned(),
        sheet: sheet_name,
        column,
    };
    if sheet.rows.is_empty() {
        return Ok((lists, columns));
    }
    sheet.one_header_per_column(file, sheet_name)?;
    // A filter names a column as its header is written (`cf`, `state`).
    let filter_indexes: Vec<(&String, usize)> = filter_columns
        .iter()
        .filter_map(|name| {
            let index = sheet
                .header
                .iter()
                .position(|h| h.original.trim() == name && h.lang.is_none())
                .or_else(|| sheet.column(name))?;
            Some((name, index))
        })
        .collect();
    let mut used = vec!["list_name", "name", "label", "image", "big-image"];
    used.extend(
        filter_indexes
            .iter()
            .map(|(_, i)| sheet.header[*i].base.as_str()),
    );
    super::unused::check(file, sheet_name, sheet, &used, notes)?;
    let list_column = sheet
        .column("list_name")
        .ok_or_else(|| missing("list_name"))?;
    let name_column = sheet.column("name").ok_or_else(|| missing("name"))?;
    for row in &sheet.rows {
        let at_row = |message: String| ImportError::AtRow {
            file: file.to_owned(),
            sheet: sheet_name,
            row: row.number,
            message,
        };
        let list = row.cell(Some(list_column));
        let value = row.cell(Some(name_column));
        if list.is_empty() {
            return Err(at_row("this choice has no list_name".to_owned()));
        }
        if value.is_empty() {
            return Err(at_row(format!(
                "this choice in list `{list}` has no name (the value stored when it is chosen)"
            )));
        }
        let label = match languages.text(sheet, row, "label") {
            Some(label) => label,
            None => {
                notes.push(format!("sheet {sheet_name}, row {}: the choice `{value}` in list `{list}` has no label, so its name is its label in every language (for a picture choice, what a screen reader says); write a label", row.number));
                languages.fixed(|_| value.to_owned())
            }
        };
        // `${Name}` as the question's id; `survey` checks the question exists.
        let label = super::piping::rewrite(label, &|name| {
            super::question_id(name)
                .ok_or_else(|| format!("`${{{name}}}` cannot be a question name"))
        })
        .map_err(|message| at_row(format!("column `label`: {message}")))?;
        lists.entry(list.to_owned()).or_default().push(Choice {
            value: value.to_owned(),
            label,
            image: super::media::media_ref(languages, sheet, row, &super::media::IMAGE),
            relevant: None,
        });
        let cells = filter_indexes
            .iter()
            // pyxform leaves an empty cell out of the item: no cell, not ''.
            .filter(|(_, i)| !row.cell(Some(*i)).is_empty())
            .map(|(name, i)| ((*name).clone(), row.cell(Some(*i)).to_owned()))
            .chain([("name".to_owned(), value.to_owned())])
            .collect();
        columns.entry(list.to_owned()).or_default().push(cells);
    }
    Ok((lists, columns))
}
