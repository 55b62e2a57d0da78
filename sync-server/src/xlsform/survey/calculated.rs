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
        let trigger = row.cell(self.columns.trigger);
        if !trigger.is_empty() {
            self.notes.push(format!("survey row {}: the trigger `{trigger}` was not imported: Fieldkit works this calculated value out from the current answers whenever it is needed, not only when `{trigger}` changes", row.number));
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

    /// A row whose calculation reads the clock (`now()`, `today()`: when an
    /// answer was given or changed) is dropped, saying so: Fieldkit records
    /// the session times itself, coarsened, never an answer's exact time.
    pub(super) fn drops_a_clock_reading(&mut self, row: &Row, row_type: &RowType) -> bool {
        let holds_a_value = matches!(
            row_type,
            RowType::Question { .. } | RowType::Calculate | RowType::Unsupported(_)
        );
        if !holds_a_value || !calls_the_clock(row.cell(self.columns.calculation)) {
            return false;
        }
        self.notes.push(format!("survey row {}: `{}` was dropped: it records when an answer was given (now() or today()), and Fieldkit records the session times itself, coarsened to privacy.timestamp_precision", row.number, row.cell(self.columns.name)));
        true
    }
}

/// Whether a calculation reads the clock: calls `now()` or `today()`.
fn calls_the_clock(calculation: &str) -> bool {
    xpath::calls_any(calculation, &["now", "today"])
}

#[cfg(test)]
mod tests {
    use super::calls_the_clock;

    #[test]
    fn a_calculation_reads_the_clock_only_where_it_calls_now_or_today() {
        for reads in [
            "now()",
            "if(${t}='', now(), ${t})",
            "today ( )",
            "decimal-date-time(now())",
        ] {
            assert!(calls_the_clock(reads), "{reads}");
        }
        for not in [
            "${now}",
            "'now()'",
            "concat(\"today()\", ${a})",
            "snow(1)",
            "${a} + 1",
            "my_today()",
        ] {
            assert!(!calls_the_clock(not), "{not}");
        }
    }
}
