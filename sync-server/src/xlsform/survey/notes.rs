//! Notes and read-only questions: shown to the interviewer, never answered.
//! A note becomes the start of the next question's hint (`cells`), under its
//! own condition; a read-only question is one more note, as ODK shows it.

use super::*;

impl Builder<'_> {
    /// A note: shown with the next question, under its own condition.
    pub(super) fn note(&mut self, row: &Row) -> Result<(), ImportError> {
        let text = self
            .text(row, "label")
            .ok_or_else(|| self.error(row, "this note has no label"))?;
        let text = self.piped(row, "label", text)?;
        let condition = self.effective_relevant(row)?;
        let condition = self.checked(row, "relevant", condition)?;
        self.pending_notes.push((text, condition, row.number));
        Ok(())
    }

    /// A read-only question is shown and never answered, as a note is.
    pub(super) fn read_only(&mut self, row: &Row) -> Result<(), ImportError> {
        if !row.cell(self.columns.calculation).is_empty() {
            return Err(self.error(row, "a read-only question with a calculation shows a worked-out value: make it a `calculate` row and show it in a note as ${name}"));
        }
        if !row.cell(self.columns.default).is_empty() {
            self.notes.push(format!("survey row {}: the default `{}` of a read-only question was dropped: Fieldkit never pre-fills an answer; to show a value worked out from answers, use a `calculate` row and a note showing ${{name}}", row.number, row.cell(self.columns.default)));
        }
        self.notes.push(format!("survey row {}: the read-only question `{}` is shown as a note: nobody answers it, as in ODK", row.number, row.cell(self.columns.name)));
        self.note(row)
    }
}
