//! `begin loop over LIST` ... `end loop`: the same questions once per choice
//! of the list, as pyxform expands them. A loop is a roster of a fixed
//! length, so each instance becomes a section of its own questions, with its
//! own ids (`loop_choice_name`, as pyxform's path `loop/choice/name`), and
//! R7 (each question asked once) holds as for any question. Inside an
//! instance, `${name}` means that instance's question and `%(label)s` in a
//! text is the choice's label; outside the loop, its questions cannot be
//! named (which instance would it be?).

use fieldkit_protocols::Text;

use super::super::question_id;
use super::super::sheets::Row;
use super::super::types::RowType;
use super::super::ImportError;
use super::{Builder, Group};

/// The loop instance being converted.
pub(super) struct Instance {
    /// `loop_choice`, put before each of its question ids.
    pub prefix: String,
    /// The choice's label, for `%(label)s`.
    pub label: Text,
}

impl Builder<'_> {
    /// Converts the rows in order, expanding loops.
    pub(super) fn rows(&mut self, rows: &[&Row]) -> Result<(), ImportError> {
        let mut at = 0;
        while at < rows.len() {
            let row = rows[at];
            let RowType::BeginLoop(list) = self.row_type(row)? else {
                self.row(row)?;
                at += 1;
                continue;
            };
            let end = rows[at + 1..]
                .iter()
                .position(|r| matches!(self.row_type(r), Ok(RowType::EndLoop)))
                .ok_or_else(|| {
                    self.error(row, "this loop is never closed; add an `end loop` row")
                })?;
            let body = &rows[at + 1..at + 1 + end];
            self.expand_loop(row, &list, body)?;
            at += end + 2;
        }
        Ok(())
    }

    fn expand_loop(&mut self, begin: &Row, list: &str, body: &[&Row]) -> Result<(), ImportError> {
        if self.instance.is_some() {
            return Err(self.error(
                begin,
                "a loop inside a loop is not supported; write the inner questions once per item",
            ));
        }
        let loop_id = self.name(begin)?;
        let mut choices = self.lists.get(list).cloned().ok_or_else(|| {
            self.error(
                begin,
                format!("the choice list `{list}` is not in the choices sheet"),
            )
        })?;
        if self.lists_with_other.contains(list) && !choices.iter().any(|c| c.value == "other") {
            choices.push(fieldkit_protocols::model::Choice {
                value: "other".to_owned(),
                label: self.languages.fixed(super::other::other_word),
                relevant: None,
            });
        }
        let mut inner = Vec::new();
        for row in body {
            if matches!(
                self.row_type(row)?,
                RowType::BeginGroup | RowType::BeginLoop(_)
            ) {
                return Err(self.error(row, "groups inside a loop are not supported yet; put the loop's questions directly between `begin loop` and `end loop`"));
            }
            if self.row_type(row)?.is_named_item() {
                inner.push((row.cell(self.columns.name).to_owned(), self.base_name(row)?));
            }
        }
        let outer = self.groups.last().and_then(|g| g.relevant.clone());
        for choice in &choices {
            let item = question_id(&choice.value).ok_or_else(|| {
                self.error(begin, format!("the choice `{}` of list `{list}` cannot name a loop instance: use letters, digits and _", choice.value))
            })?;
            let prefix = format!("{loop_id}_{item}");
            for (name, base) in &inner {
                let id = format!("{prefix}_{base}");
                if let Some(shape) = self.shapes.get(base).copied() {
                    self.shapes.insert(id.clone(), shape);
                }
                if !self.is_calculate(name) {
                    self.ids.insert(name.clone(), id);
                }
            }
            self.instance = Some(Instance {
                prefix: prefix.clone(),
                label: choice.label.clone(),
            });
            self.groups.push(Group {
                id: prefix,
                title: choice.label.clone(),
                relevant: outer.clone(),
                parts: 0,
            });
            self.open_section();
            let converted = body.iter().try_for_each(|row| self.row(row));
            self.groups.pop();
            self.instance = None;
            converted?;
        }
        // Outside the loop its questions have no single id.
        for (name, _) in &inner {
            self.ids.remove(name);
            self.calculated_ids.remove(name);
            self.calculations.remove(name);
        }
        self.open_section();
        Ok(())
    }

    /// A text column of the row, with `%(label)s` as the loop instance's
    /// label in each language.
    pub(super) fn text(&self, row: &Row, column: &str) -> Option<Text> {
        let text = self.languages.text(self.sheet, row, column)?;
        let Some(instance) = &self.instance else {
            return Some(text);
        };
        Some(Text(
            text.0
                .into_iter()
                .map(|(lang, t)| {
                    let label = instance.label.show(&lang).to_owned();
                    (lang, t.replace("%(label)s", &label))
                })
                .collect(),
        ))
    }
}
