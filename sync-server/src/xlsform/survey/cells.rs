//! Reading one row's cells: conditions and constraints translated from
//! XPath (with the groups' conditions around the row), hints, yes/no
//! columns and the language forms of a column.

use super::*;

impl Builder<'_> {
    /// The row's own `relevant` and those of the groups around it.
    pub(super) fn effective_relevant(&mut self, row: &Row) -> Result<Option<Node>, ImportError> {
        let group_relevant = self.groups.last().and_then(|g| g.relevant.clone());
        let own_relevant = self.translate(row, "relevant", false)?;
        Ok(match (group_relevant, own_relevant) {
            (Some(group), Some(own)) => Some(and(group, own)),
            (group, own) => own.or(group),
        })
    }

    /// The row's hint, after any notes that came just before the question.
    /// A note opens the hint only when ODK would show it under the same
    /// condition as the question; otherwise it would appear (or vanish)
    /// where ODK does not show it, so it is refused where it stands.
    pub(super) fn hint(
        &mut self,
        row: &Row,
        id: &str,
        relevant: Option<&str>,
    ) -> Result<Option<Text>, ImportError> {
        let notes = std::mem::take(&mut self.pending_notes);
        if let Some((_, condition, note_row)) =
            notes.iter().find(|(_, c, _)| c.as_deref() != relevant)
        {
            let shown =
                |c: Option<&str>| c.map_or_else(|| "always".to_owned(), |c| format!("when `{c}`"));
            return Err(ImportError::AtRow {
                file: self.file.to_owned(),
                sheet: "survey",
                row: *note_row,
                message: format!(
                    "this note is shown {}, but Fieldkit shows a note in the hint of the next question, `{id}` (row {}), which is asked {}; move the note next to a question asked under the same condition, or into a question's hint",
                    shown(condition.as_deref()),
                    row.number,
                    shown(relevant)
                ),
            });
        }
        let hint = match self.text(row, "hint") {
            Some(hint) => Some(self.piped(row, "hint", hint)?),
            None => None,
        };
        Ok(languages::merge_texts(
            notes.into_iter().map(|(text, _, _)| text).chain(hint),
        ))
    }

    pub(super) fn yes_no(
        &self,
        row: &Row,
        index: Option<usize>,
        column: &str,
    ) -> Result<bool, ImportError> {
        match row.cell(index).to_lowercase().as_str() {
            "" | "no" | "false" | "false()" | "0" | "n" => Ok(false),
            "yes" | "true" | "true()" | "1" | "y" => Ok(true),
            other => Err(self.error(row, format!("{column} must be yes or no, not `{other}` (Fieldkit does not take conditions here)"))),
        }
    }

    /// Translates the row's `relevant`, `constraint` or `calculation` cell.
    pub(super) fn translate(
        &mut self,
        row: &Row,
        column: &'static str,
        allow_current: bool,
    ) -> Result<Option<Node>, ImportError> {
        self.translate_with(row, column, allow_current, None)
    }

    /// [`Self::translate`], with `columns` giving a choice's cells to a
    /// `choice_filter`.
    pub(super) fn translate_with(
        &mut self,
        row: &Row,
        column: &'static str,
        allow_current: bool,
        columns: Option<xpath::Columns<'_>>,
    ) -> Result<Option<Node>, ImportError> {
        let index = self.column_index(column);
        let source = row.cell(index);
        if source.is_empty() {
            return Ok(None);
        }
        let used = std::cell::RefCell::new(Vec::new());
        let resolve = |name: &str| -> Result<Node, String> {
            if let Some(id) = self.ids.get(name) {
                return Ok(Node::Ref(id.clone()));
            }
            match self.calculations.get(name) {
                Some((Ok(node), _)) => {
                    used.borrow_mut().push(name.to_owned());
                    return Ok(Node::Group(Box::new(node.clone())));
                }
                Some((Err(error), _)) => {
                    return Err(format!(
                        "`${{{name}}}` is a calculation Fieldkit cannot use here: {error}"
                    ));
                }
                None => {}
            }
            // A note holds no answer: ODK reads its value as ''.
            if self.is_row_of(name, |t| matches!(t, RowType::Note)) {
                return Ok(Node::Str(String::new()));
            }
            let later = self
                .sheet
                .rows
                .iter()
                .any(|r| r.number > row.number && r.cell(self.columns.name) == name);
            Err(if later {
                format!(
                    "`${{{name}}}` is a calculation defined further down; move it above this row"
                )
            } else {
                format!("`${{{name}}}` is not a question in this form")
            })
        };
        let current = self
            .row_type(row)
            .map(|t| self.shape_of(&t))
            .unwrap_or(Shape::Other);
        let shapes = |id: Option<&str>| match id {
            None => current,
            Some(id) => self.shapes.get(id).copied().unwrap_or(Shape::Other),
        };
        let lookup = |list: xpath::ListOf<'_>, cell: &str| self.lookup(list, cell);
        let context = xpath::Context {
            resolve: &resolve,
            shapes: &shapes,
            allow_current,
            condition: column != "calculation",
            columns,
            lookup: Some(&lookup),
        };
        let node = xpath::translate(source, &context).map_err(|error| ImportError::Expression {
            file: self.file.to_owned(),
            sheet: "survey",
            row: row.number,
            column,
            expression: source.to_owned(),
            error,
        })?;
        for name in used.into_inner() {
            if let Some(entry) = self.calculations.get_mut(&name) {
                entry.1 = true;
            }
        }
        Ok(Some(node))
    }

    /// Each choice's name and its `cell` in a list, for `instance()` and
    /// `jr:choice-name()` lookups.
    fn lookup(&self, list: xpath::ListOf<'_>, cell: &str) -> Result<Vec<(String, String)>, String> {
        let by_source = |name: &str, source: Source| match source {
            Source::Choices => self.lists.get(name).zip(self.choice_columns.get(name)),
            Source::External => self.external.0.get(name).zip(self.external.1.get(name)),
            Source::File => self
                .files
                .get(name)
                .map(|(choices, cells)| (choices, cells)),
        };
        if let xpath::ListOf::Data { file, key } = list {
            return self.data_rows(file, key, cell);
        }
        let found = match list {
            xpath::ListOf::Data { .. } => None,
            xpath::ListOf::List(name) => by_source(name, Source::Choices)
                .or_else(|| by_source(name, Source::External))
                .or_else(|| {
                    let file = self
                        .files
                        .keys()
                        .find(|f| super::super::files::list_name(f) == name)?;
                    by_source(file, Source::File)
                }),
            xpath::ListOf::Question(id) => self
                .question_lists
                .get(id)
                .and_then(|(name, source)| by_source(name, *source)),
        };
        let Some((choices, cells)) = found else {
            return Err(match list {
                xpath::ListOf::List(name) => format!("there is no choice list `{name}` in this form"),
                xpath::ListOf::Question(id) => format!("`{id}` is not a select question whose choices are known here (a list from a file is known once its question is converted above)"),
                xpath::ListOf::Data { .. } => unreachable!("read above"),
            });
        };
        choices
            .iter()
            .enumerate()
            .map(|(i, choice)| {
                let found = match cell {
                    "name" => choice.value.clone(),
                    "label" => {
                        let mut labels = choice.label.0.values();
                        let first = labels.next().cloned().unwrap_or_default();
                        if labels.any(|l| *l != first) {
                            return Err(format!("the label of `{}` differs between languages: ODK looks it up in the session language, a Fieldkit calculation has one value. To show the chosen choice, write ${{question}} in the text: Fieldkit shows a choice by its label, in the session language", choice.value));
                        }
                        first
                    }
                    other => cells
                        .get(i)
                        .and_then(|cells| cells.get(other))
                        .cloned()
                        .unwrap_or_default(),
                };
                Ok((choice.value.clone(), found))
            })
            .collect()
    }

    pub(super) fn column_index(&self, column: &str) -> Option<usize> {
        match column {
            "relevant" => self.columns.relevant,
            "constraint" => self.columns.constraint,
            "choice_filter" => self.columns.choice_filter,
            _ => self.columns.calculation,
        }
    }

    /// The expression as Fieldkit text, read back with Fieldkit's own parser
    /// so a translation slip is caught here rather than on a phone.
    pub(super) fn checked(
        &self,
        row: &Row,
        column: &'static str,
        node: Option<Node>,
    ) -> Result<Option<String>, ImportError> {
        let Some(node) = node else { return Ok(None) };
        let text = node.to_string();
        fieldkit_protocols::expr::parse(&text).map_err(|err| ImportError::Expression {
            file: self.file.to_owned(),
            sheet: "survey",
            row: row.number,
            column,
            expression: row.cell(self.column_index(column)).to_owned(),
            error: xpath::XPathError {
                column: 1,
                message: format!("it translates to `{text}`, which Fieldkit cannot read ({err})"),
            },
        })?;
        Ok(Some(text))
    }
}
