//! Texts that show answers: `${name}` in labels, hints and choice labels
//! becomes the Fieldkit id the phone fills in, or is refused saying why.

use super::*;

impl Builder<'_> {
    /// `text` with each `${name}` as the Fieldkit id of that question, so
    /// the phone shows the answer there as ODK does.
    pub(super) fn piped(&self, row: &Row, column: &str, text: Text) -> Result<Text, ImportError> {
        let resolve = |name: &str| -> Result<String, String> {
            if let Some(id) = self.ids.get(name).or_else(|| self.calculated_ids.get(name)) {
                return Ok(id.clone());
            }
            Err(match self.calculations.get(name) {
                Some((Err(error), _)) => format!("`${{{name}}}` is a calculation Fieldkit cannot work out, so a text cannot show it: {error}"),
                _ if self.is_calculate(name) => format!("`${{{name}}}` is a calculation defined further down; move it above this row"),
                _ => format!("`${{{name}}}` is not a question in this form"),
            })
        };
        super::super::piping::rewrite(text, &resolve)
            .map_err(|message| self.error(row, format!("column `{column}`: {message}")))
    }

    pub(super) fn is_calculate(&self, name: &str) -> bool {
        self.is_row_of(name, |t| matches!(t, RowType::Calculate))
    }

    /// Whether a row named `name` is of a type `kind` accepts.
    pub(super) fn is_row_of(&self, name: &str, kind: impl Fn(&RowType) -> bool) -> bool {
        self.sheet
            .rows
            .iter()
            .any(|r| r.cell(self.columns.name) == name && self.row_type(r).is_ok_and(|t| kind(&t)))
    }

    /// Choice labels may show answers too; each must name a question.
    pub(super) fn check_choice_labels(
        &self,
        row: &Row,
        list: &str,
        choices: &[Choice],
    ) -> Result<(), ImportError> {
        let known: BTreeSet<&String> = self
            .ids
            .values()
            .chain(self.calculated_ids.values())
            .collect();
        for choice in choices {
            for text in choice.label.0.values() {
                for id in fieldkit_protocols::piping::references(text) {
                    if !known.contains(&id) {
                        return Err(self.error(row, format!("the choice `{}` of list `{list}` shows `${{{id}}}`, which is not a question or calculation of this form", choice.value)));
                    }
                }
            }
        }
        Ok(())
    }
}
