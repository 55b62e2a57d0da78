//! Cascading selects: a question's `choice_filter` becomes one condition per
//! choice. ODK evaluates the filter once per choice, with the choice's own
//! cells for bare names (`cf`, `state`, `name`); the import does the same,
//! substituting the cells, so `${state} = cf` becomes `state = 'texas'` on
//! the choice whose `cf` is `texas`. The engine then offers a choice only
//! when its condition holds, as ODK's itemset does.

use std::collections::BTreeSet;

use fieldkit_protocols::model::Choice;

use super::super::sheets::{Row, Sheet};
use super::super::xpath;
use super::super::ImportError;
use super::Builder;

/// Every bare name that some `choice_filter` cell uses: the choice columns
/// the choices sheet must keep for the filters (and not report as unused).
pub(super) fn columns_used(sheet: &Sheet, column: Option<usize>) -> BTreeSet<String> {
    sheet
        .rows
        .iter()
        .filter_map(|row| xpath::bare_names(row.cell(column)))
        .flatten()
        .collect()
}

impl Builder<'_> {
    /// Gives each choice of `list` the row's `choice_filter`, worked out for
    /// that choice. A filter that cannot be translated for some choice is
    /// refused, naming the choice.
    pub(super) fn filter_choices(
        &mut self,
        row: &Row,
        list: &str,
        choices: &mut [Choice],
    ) -> Result<(), ImportError> {
        if row.cell(self.columns.choice_filter).is_empty() {
            return Ok(());
        }
        let cells = self.choice_columns.get(list).cloned().unwrap_or_default();
        for (choice, cells) in choices.iter_mut().zip(&cells) {
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
        Ok(())
    }
}
