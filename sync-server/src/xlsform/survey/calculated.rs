//! A `calculate` row: a calculated question, worked out by the engine from
//! the answers, or, when Fieldkit cannot translate it, a calculation that
//! only matters where something uses it.

use super::*;

impl Builder<'_> {
    pub(super) fn calculate(&mut self, row: &Row) -> Result<(), ImportError> {
        let name = row.cell(self.columns.name).to_owned();
        if row.cell(self.columns.calculation).is_empty() {
            return Err(self.error(row, "this calculate has no calculation"));
        }
        let node = self
            .translate(row, "calculation", false)
            .map(|node| node.expect("checked non-empty above"));
        // What ODK would compute becomes a calculated question, which the
        // engine works out from the answers; one Fieldkit cannot translate
        // only matters where something uses it.
        if let Ok(translated) = &node {
            let id = self.name(row)?;
            let calculation = self.checked(row, "calculation", Some(translated.clone()))?;
            let question = Question {
                id: id.clone(),
                text: self.languages.fixed(|_| name.clone()),
                hint: None,
                kind: QuestionKind::Text,
                choices: Vec::new(),
                required: false,
                purpose: row.cell(self.columns.purpose).to_owned(),
                sensitive: self.yes_no(row, self.columns.sensitive, "fieldkit::sensitive")?,
                identifying: self.yes_no(row, self.columns.identifying, "fieldkit::identifying")?,
                disaggregation: None,
                relevant: None,
                constraint: None,
                constraint_message: None,
                card: None,
                not_identifying_because: None,
                image: None,
                audio: None,
                card_description: None,
                calculation,
            };
            if self.sections.is_empty() {
                self.open_section();
            }
            let section = self.sections.last_mut().expect("a section is open");
            section.questions.push(question);
            self.calculated_ids.insert(name.clone(), id);
        }
        self.calculations.insert(name, (node, false));
        Ok(())
    }
}
