//! Cascading selects: a question's `choice_filter` becomes one condition per
//! choice. ODK evaluates the filter once per choice, with the choice's own
//! cells for bare names (`cf`, `state`, `name`); the import does the same,
//! substituting the cells, so `${state} = cf` becomes `state = 'texas'` on
//! the choice whose `cf` is `texas`. The engine then offers a choice only
//! when its condition holds, as ODK's itemset does.

use std::collections::{BTreeMap, BTreeSet};

use fieldkit_protocols::model::Choice;

use super::super::sheets::{Row, Sheet};
use super::super::types::Source;
use super::super::xpath;
use super::super::ImportError;
use super::Builder;

/// Every bare name that some `choice_filter` cell uses, and every column an
/// `instance()` lookup reads: the choice columns the choices sheet must
/// keep (and not report as unused).
pub(super) fn columns_used(
    sheet: &Sheet,
    filter: Option<usize>,
    expressions: &[Option<usize>],
) -> BTreeSet<String> {
    let filters = sheet
        .rows
        .iter()
        .filter_map(|row| xpath::bare_names(row.cell(filter)))
        .flatten();
    let lookups = sheet.rows.iter().flat_map(|row| {
        expressions
            .iter()
            .chain([&filter])
            .flat_map(|column| xpath::lookup_columns(row.cell(*column)))
    });
    filters.chain(lookups).collect()
}

impl Builder<'_> {
    /// Gives each choice of `list` the row's `choice_filter`, worked out for
    /// that choice. A filter that cannot be translated for some choice is
    /// refused, naming the choice.
    pub(super) fn filter_choices(
        &mut self,
        row: &Row,
        list: &str,
        source: Source,
        choices: &mut [Choice],
    ) -> Result<(), ImportError> {
        if row.cell(self.columns.choice_filter).is_empty() {
            return Ok(());
        }
        let cells = match source {
            Source::Choices => self.choice_columns.get(list),
            Source::External => self.external.1.get(list),
            Source::File => self.files.get(list).map(|(_, cells)| cells),
        }
        .cloned()
        .unwrap_or_default();
        for (i, choice) in choices.iter_mut().enumerate() {
            // The "other" that `or_other` adds has a name and no other cell.
            let own = BTreeMap::from([("name".to_owned(), choice.value.clone())]);
            let cells = cells.get(i).unwrap_or(&own);
            let lookup = |name: &str| cells.get(name).cloned();
            let name_choice = |mut error: ImportError| {
                if let ImportError::Expression { error, .. } = &mut error {
                    error.message = format!(
                        "{} (for the choice `{}` of list `{list}`)",
                        error.message, choice.value
                    );
                }
                error
            };
            let node = self
                .translate_with(row, "choice_filter", false, Some(&lookup))
                .map_err(name_choice)?;
            choice.relevant = self
                .checked(row, "choice_filter", node)
                .map_err(name_choice)?;
        }
        if choices
            .iter()
            .all(|c| c.relevant.as_deref() == Some("false"))
        {
            self.notes.push(format!(
                "survey row {}: the choice_filter `{}` holds for no choice of list `{list}`, so the question offers none, as in ODK (a bare name is a column of the choices sheet; a missing or empty cell matches nothing); to compare with a text, quote it ('yes')",
                row.number,
                row.cell(self.columns.choice_filter)
            ));
        }
        Ok(())
    }
}
