//! Survey rows to sections and questions.

use std::collections::{BTreeMap, BTreeSet};

use fieldkit_protocols::model::{Choice, Dimension, Question, QuestionKind, Section};
use fieldkit_protocols::Text;

use super::files::Beside;
use super::languages::{self, Languages};
use super::media::{media_ref, AUDIO, IMAGE};
use super::other;
use super::sheets::{Row, Sheet};
use super::types::{kind_of, RowType, Source};
use super::xpath::{self, and, Node, Shape};
use super::{question_id, ImportError};

mod calculated;
mod cells;
mod choice_filter;
mod from_file;
mod notes;
mod rosters;
mod texts;

/// What the survey sheet becomes.
#[derive(Debug)]
pub(crate) struct Form {
    pub sections: Vec<Section>,
    /// Notes after the last question, for the protocol's closing text.
    pub closing: Option<Text>,
    /// What the import changed or dropped, for the author's checklist.
    pub notes: Vec<String>,
}

/// Column indexes in the survey sheet.
struct Columns {
    kind: Option<usize>,
    name: Option<usize>,
    required: Option<usize>,
    relevant: Option<usize>,
    constraint: Option<usize>,
    calculation: Option<usize>,
    default: Option<usize>,
    readonly: Option<usize>,
    trigger: Option<usize>,
    choice_filter: Option<usize>,
    repeat_count: Option<usize>,
    purpose: Option<usize>,
    sensitive: Option<usize>,
    identifying: Option<usize>,
    disaggregation: Option<usize>,
}

/// The survey columns the import reads; any other column with text in it is
/// named in the checklist (`unused`).
const USED: [&str; 21] = [
    "type",
    "name",
    "label",
    "hint",
    "required",
    "relevant",
    "constraint",
    "constraint_message",
    "calculation",
    "default",
    "readonly",
    "trigger",
    "choice_filter",
    "repeat_count",
    "fieldkit::purpose",
    "fieldkit::sensitive",
    "fieldkit::identifying",
    "fieldkit::disaggregation",
    "image",
    "big-image",
    "audio",
];

/// A list read from a file: its choices and, per choice, the cells
/// `choice_filter`s read.
type FileList = (Vec<Choice>, Vec<BTreeMap<String, String>>);

/// An open group: its section id, title, condition and how often it resumed.
struct Group {
    id: String,
    title: Text,
    relevant: Option<Node>,
    parts: usize,
}

struct Builder<'a> {
    file: &'a str,
    sheet: &'a Sheet,
    languages: &'a Languages,
    columns: Columns,
    lists: BTreeMap<String, Vec<Choice>>,
    /// The choice columns `choice_filter`s read, per list and choice.
    choice_columns: super::choices::Columns,
    /// The external_choices sheet's lists and filter columns, for
    /// `select_one_external`.
    external: (BTreeMap<String, Vec<Choice>>, super::choices::Columns),
    /// Files beside the form, and the lists read from them by file name
    /// with their filter columns (`select_one_from_file`).
    beside: Beside<'a>,
    files: BTreeMap<String, FileList>,
    /// The choice columns `choice_filter`s read, for lists read later.
    filter_columns: BTreeSet<String>,
    /// Question id -> its choice list and where the list is, for lookups.
    question_lists: BTreeMap<String, (String, Source)>,
    /// Lists that some `or_other` question extends with "other".
    lists_with_other: BTreeSet<String>,
    /// XLSForm name -> Fieldkit id, for every question in the form.
    ids: BTreeMap<String, String>,
    /// Fieldkit id -> the kind of value its answer is, for ODK's comparisons.
    shapes: BTreeMap<String, Shape>,
    /// The loop instance whose rows are being converted, if any.
    instance: Option<rosters::Instance>,
    /// XLSForm name -> id of the calculated question it became.
    calculated_ids: BTreeMap<String, String>,
    /// Translated calculations, by XLSForm name, with whether one was used.
    /// One that does not translate only matters where something uses it.
    calculations: BTreeMap<String, (Result<Node, ImportError>, bool)>,
    groups: Vec<Group>,
    sections: Vec<Section>,
    /// Notes waiting for the next question: text, the condition under which
    /// ODK shows them (Fieldkit text), and their row.
    pending_notes: Vec<(Text, Option<String>, usize)>,
    notes: Vec<String>,
    default_section: Text,
}

pub(crate) fn convert(
    file: &str,
    sheet: &Sheet,
    [choices, external]: [Option<&Sheet>; 2],
    beside: Beside<'_>,
    languages: &Languages,
    form_title: &Text,
) -> Result<Form, ImportError> {
    let column = |name: &str| sheet.column(name);
    let columns = Columns {
        kind: column("type"),
        name: column("name"),
        required: column("required"),
        relevant: column("relevant"),
        constraint: column("constraint"),
        calculation: column("calculation"),
        default: column("default"),
        readonly: column("readonly"),
        trigger: column("trigger"),
        choice_filter: column("choice_filter"),
        repeat_count: column("repeat_count"),
        purpose: column("fieldkit::purpose"),
        sensitive: column("fieldkit::sensitive"),
        identifying: column("fieldkit::identifying"),
        disaggregation: column("fieldkit::disaggregation"),
    };
    sheet.one_header_per_column(file, "survey")?;
    let mut notes = Vec::new();
    super::unused::check(file, "survey", sheet, &USED, &mut notes)?;
    for (index, name) in [(columns.kind, "type"), (columns.name, "name")] {
        if index.is_none() {
            return Err(ImportError::MissingColumn {
                file: file.to_owned(),
                sheet: "survey",
                column: name,
            });
        }
    }
    let filter_columns = choice_filter::columns_used(
        sheet,
        columns.choice_filter,
        &[columns.relevant, columns.constraint, columns.calculation],
    );
    let (lists, choice_columns) = super::choices::read_lists(
        file,
        "choices",
        choices,
        languages,
        &filter_columns,
        &mut notes,
    )?;
    let external = super::choices::read_lists(
        file,
        "external_choices",
        external,
        languages,
        &filter_columns,
        &mut notes,
    )?;
    let mut builder = Builder {
        file,
        sheet,
        languages,
        columns,
        lists,
        choice_columns,
        external,
        beside,
        files: BTreeMap::new(),
        filter_columns,
        question_lists: BTreeMap::new(),
        lists_with_other: BTreeSet::new(),
        ids: BTreeMap::new(),
        shapes: BTreeMap::new(),
        instance: None,
        calculated_ids: BTreeMap::new(),
        calculations: BTreeMap::new(),
        groups: Vec::new(),
        sections: Vec::new(),
        pending_notes: Vec::new(),
        notes,
        default_section: form_title.clone(),
    };
    builder.collect_ids()?;
    let rows: Vec<&Row> = sheet.rows.iter().collect();
    builder.rows(&rows)?;
    builder.finish()
}

impl Builder<'_> {
    fn error(&self, row: &Row, message: impl Into<String>) -> ImportError {
        ImportError::AtRow {
            file: self.file.to_owned(),
            sheet: "survey",
            row: row.number,
            message: message.into(),
        }
    }

    fn row_type(&self, row: &Row) -> Result<RowType, ImportError> {
        kind_of(row.cell(self.columns.kind)).map_err(|message| self.error(row, message))
    }

    fn name(&self, row: &Row) -> Result<String, ImportError> {
        let name = row.cell(self.columns.name);
        if name.is_empty() {
            return Err(self.error(row, "this row has no name; give it one in the name column"));
        }
        let id = self.base_name(row)?;
        Ok(match &self.instance {
            Some(instance) => format!("{}_{id}", instance.prefix),
            None => id,
        })
    }

    /// The row's name as an id, outside any loop instance.
    fn base_name(&self, row: &Row) -> Result<String, ImportError> {
        let name = row.cell(self.columns.name);
        question_id(name).ok_or_else(|| {
            self.error(
                row,
                format!("the name `{name}` cannot be a Fieldkit id: use letters, digits and _, start with a letter, and avoid the words and, or, not, true and false"),
            )
        })
    }

    /// First pass: every question's id, so skip logic may name any of them
    /// (the linter then says which refer to later questions).
    fn collect_ids(&mut self) -> Result<(), ImportError> {
        let mut rows_by_id: BTreeMap<String, usize> = BTreeMap::new();
        for row in &self.sheet.rows {
            let row_type = self.row_type(row)?;
            if !row_type.is_named_item() {
                continue;
            }
            let id = self.name(row)?;
            if let Some(first) = rows_by_id.insert(id.clone(), row.number) {
                return Err(self.error(
                    row,
                    format!("the name `{id}` is already used on row {first}"),
                ));
            }
            let shape = self.shape_of(&row_type);
            self.shapes.insert(id.clone(), shape);
            if let RowType::Question {
                list: Some(list),
                source,
                ..
            } = &row_type
            {
                self.question_lists
                    .insert(id.clone(), (list.clone(), *source));
            }
            if let RowType::Question {
                or_other: true,
                list,
                ..
            } = &row_type
            {
                rows_by_id.insert(format!("{id}_other"), row.number);
                self.shapes.insert(format!("{id}_other"), Shape::Text);
                // Like pyxform: `or_other` adds "other" to the list, so every
                // question using that list offers it.
                self.lists_with_other.extend(list.clone());
            }
            let original = row.cell(self.columns.name).to_owned();
            if !matches!(row_type, RowType::Calculate) {
                self.ids.insert(original, id);
            }
        }
        Ok(())
    }

    /// The kind of value a row's answer is.
    fn shape_of(&self, row_type: &RowType) -> Shape {
        let RowType::Question {
            kind, list, source, ..
        } = row_type
        else {
            return Shape::Other;
        };
        // A file's list is read when its question is converted: its values
        // are not known yet, so not taken as numbers.
        let lists = match source {
            Source::Choices => Some(&self.lists),
            Source::External => Some(&self.external.0),
            Source::File => None,
        };
        match kind {
            QuestionKind::Integer | QuestionKind::Decimal => Shape::Number,
            QuestionKind::Text => Shape::Text,
            QuestionKind::Date => Shape::Date,
            QuestionKind::SingleChoice => Shape::Choice {
                numeric: list
                    .as_ref()
                    .and_then(|l| lists?.get(l))
                    .is_some_and(|choices| {
                        choices
                            .iter()
                            .all(|c| c.value.trim().parse::<f64>().is_ok())
                    }),
            },
            QuestionKind::MultipleChoice | QuestionKind::Ranking => Shape::Multiple,
            _ => Shape::Other,
        }
    }

    fn row(&mut self, row: &Row) -> Result<(), ImportError> {
        let row_type = self.row_type(row)?;
        let media = [&IMAGE[..], &AUDIO[..]]
            .iter()
            .any(|bases| media_ref(self.languages, self.sheet, row, bases).is_some());
        if media && !matches!(row_type, RowType::Question { .. }) {
            // Never dropped quietly: only questions show pictures and play sounds.
            self.notes.push(format!("survey row {}: its picture or sound was not imported: only questions show pictures and play sounds; move it to a question", row.number));
        }
        if self.drops_a_clock_reading(row, &row_type) {
            return Ok(());
        }
        match row_type {
            RowType::Blank => {
                if !row.cell(self.columns.name).is_empty() {
                    return Err(self.error(
                        row,
                        "this row has a name but no type; fill in the type column",
                    ));
                }
            }
            RowType::BeginGroup => self.begin_group(row)?,
            RowType::EndGroup => self.end_group(row)?,
            RowType::Note => self.note(row)?,
            RowType::Calculate => self.calculate(row)?,
            RowType::Metadata(what) => self.notes.push(format!(
                "survey row {}: `{}` was dropped: {what}",
                row.number,
                row.cell(self.columns.name)
            )),
            RowType::Unsupported(why) => return Err(self.error(row, why)),
            RowType::BeginLoop(_) => return Err(self.error(
                row,
                "a loop inside a loop is not supported; write the inner questions once per item",
            )),
            RowType::EndLoop => {
                return Err(self.error(row, "`end loop` without a matching `begin loop`"))
            }
            RowType::BeginRepeat => {
                return Err(self.error(row, "a repeat inside a loop or repeat is not supported; write its questions in the outer roster"))
            }
            RowType::EndRepeat => {
                return Err(self.error(row, "`end repeat` without a matching `begin repeat`"))
            }
            RowType::Question {
                kind,
                list,
                or_other,
                constraint,
                source,
            } => self.question(
                row,
                kind,
                list.as_deref().map(|l| (l, source)),
                or_other,
                constraint,
            )?,
        }
        Ok(())
    }

    fn begin_group(&mut self, row: &Row) -> Result<(), ImportError> {
        let id = self.name(row)?;
        let title = self
            .text(row, "label")
            .unwrap_or_else(|| self.languages.fixed(|_| id.clone()));
        if title.0.values().any(|t| t.contains("${")) {
            return Err(self.error(row, "a group's label cannot show an answer (`${name}`); Fieldkit shows it as a section title before any answer in it: write it without"));
        }
        let relevant = self.translate(row, "relevant", false)?;
        // A nested group's condition includes its parent's.
        let relevant = match (
            self.groups.last().and_then(|g| g.relevant.clone()),
            relevant,
        ) {
            (Some(outer), Some(inner)) => Some(and(outer, inner)),
            (outer, inner) => inner.or(outer),
        };
        self.groups.push(Group {
            id,
            title,
            relevant,
            parts: 0,
        });
        self.open_section();
        Ok(())
    }

    fn end_group(&mut self, row: &Row) -> Result<(), ImportError> {
        if self.groups.pop().is_none() {
            return Err(self.error(row, "`end group` without a matching `begin group`"));
        }
        // Questions after a nested group continue their outer group's section.
        self.open_section();
        Ok(())
    }

    /// Starts a new section for the innermost open group (or the default one).
    fn open_section(&mut self) {
        let (id, title) = match self.groups.last_mut() {
            Some(group) => {
                group.parts += 1;
                let id = if group.parts == 1 {
                    group.id.clone()
                } else {
                    format!("{}_{}", group.id, group.parts)
                };
                (id, group.title.clone())
            }
            None => {
                let count = self
                    .sections
                    .iter()
                    .filter(|s| s.id == "main" || s.id.starts_with("main_"))
                    .count();
                let id = if count == 0 {
                    "main".to_owned()
                } else {
                    format!("main_{}", count + 1)
                };
                (id, self.default_section.clone())
            }
        };
        self.sections.push(Section {
            id,
            title,
            questions: Vec::new(),
        });
    }

    fn question(
        &mut self,
        row: &Row,
        kind: QuestionKind,
        list: Option<(&str, Source)>,
        or_other: bool,
        type_constraint: Option<&'static str>,
    ) -> Result<(), ImportError> {
        if self.yes_no(row, self.columns.readonly, "read_only")? {
            return self.read_only(row);
        }
        let calculation = row.cell(self.columns.calculation);
        if !calculation.is_empty() && !row.cell(self.columns.trigger).is_empty() {
            // ODK's "default from form data": a starting answer the
            // interviewer may change.
            self.notes.push(format!("survey row {}: the answer `{calculation}` worked out when `{}` changes was dropped: Fieldkit never pre-fills an answer", row.number, row.cell(self.columns.trigger)));
        } else if !calculation.is_empty() {
            return Err(self.error(row, "calculation is not supported on questions: make it a `calculate` row (shown in a note as ${name} if the interviewer must see it), or remove it"));
        }
        if !row.cell(self.columns.default).is_empty() {
            self.notes.push(format!("survey row {}: the default answer `{}` was dropped: Fieldkit never pre-fills an answer", row.number, row.cell(self.columns.default)));
        }
        let id = self.name(row)?;
        let text = self
            .text(row, "label")
            .ok_or_else(|| self.error(row, format!("the question `{id}` has no label")))?;
        let text = self.piped(row, "label", text)?;
        let mut choices = match list {
            Some((list, Source::Choices)) => self.lists.get(list).cloned().ok_or_else(|| {
                self.error(
                    row,
                    format!("the choice list `{list}` is not in the choices sheet"),
                )
            })?,
            // ODK reads an external list from the itemsets.csv that pyxform
            // writes from the external_choices sheet.
            Some((list, Source::External)) => self.external.0.get(list).cloned().ok_or_else(|| {
                self.error(row, format!("the external list `{list}` is not in the external_choices sheet; add its rows there (list_name, name, label), or put them in the choices sheet and write `select_one {list}`"))
            })?,
            Some((file, Source::File)) => self.file_choices(row, file)?,
            None => Vec::new(),
        };
        let (list, source) = list.map_or((None, Source::Choices), |(l, s)| (Some(l), s));
        let list_has_other =
            source == Source::Choices && list.is_some_and(|l| self.lists_with_other.contains(l));
        if list_has_other && !choices.iter().any(|c| c.value == "other") {
            choices.push(Choice {
                value: "other".to_owned(),
                label: self.languages.fixed(other::other_word),
                image: None,
                relevant: None,
            });
        }
        if let Some(list) = list {
            self.check_choice_labels(row, list, &choices)?;
            self.filter_choices(row, list, source, &mut choices)?;
        } else if !row.cell(self.columns.choice_filter).is_empty() {
            return Err(self.error(
                row,
                "choice_filter only has a meaning on a select question; remove it",
            ));
        }
        let group_relevant = self.groups.last().and_then(|g| g.relevant.clone());
        let relevant = self.effective_relevant(row)?;
        let disaggregation = match row.cell(self.columns.disaggregation) {
            "" => None,
            dim => Some(Dimension::ALL.into_iter().find(|d| d.as_str() == dim.to_lowercase()).ok_or_else(|| {
                self.error(row, format!("fieldkit::disaggregation `{dim}` is not one of sex, age, origin, family, ethnicity, disability"))
            })?),
        };
        let required = self.yes_no(row, self.columns.required, "required")?;
        let constraint = match (type_constraint, self.translate(row, "constraint", true)?) {
            (Some(own), Some(written)) => Some(and(Node::Raw(own), written)),
            (Some(own), None) => Some(Node::Raw(own)),
            (None, written) => written,
        };
        let relevant = self.checked(row, "relevant", relevant)?;
        let question = Question {
            id: id.clone(),
            text,
            hint: self.hint(row, &id, relevant.as_deref())?,
            kind,
            choices,
            required,
            purpose: row.cell(self.columns.purpose).to_owned(),
            sensitive: self.yes_no(row, self.columns.sensitive, "fieldkit::sensitive")?,
            identifying: self.yes_no(row, self.columns.identifying, "fieldkit::identifying")?,
            disaggregation,
            relevant,
            constraint: self.checked(row, "constraint", constraint)?,
            constraint_message: match self.text(row, "constraint_message") {
                Some(message) => Some(self.piped(row, "constraint_message", message)?),
                None => None,
            },
            card: None,
            not_identifying_because: None,
            image: media_ref(self.languages, self.sheet, row, &IMAGE),
            audio: media_ref(self.languages, self.sheet, row, &AUDIO),
            card_description: None,
            calculation: None,
        };
        let follow_up =
            or_other.then(|| other::follow_up(self.languages, &question, group_relevant));
        if kind == QuestionKind::CoarseLocation {
            self.notes.push(format!("survey row {}: the geopoint `{id}` is imported as a coarse location, rounded to privacy.location_decimals before it leaves the device", row.number));
        }
        if self.sections.is_empty() {
            self.open_section();
        }
        let section = self.sections.last_mut().expect("a section was just opened");
        section.questions.push(question);
        section.questions.extend(follow_up);
        Ok(())
    }

    fn finish(mut self) -> Result<Form, ImportError> {
        if let Some(group) = self.groups.last() {
            return Err(ImportError::AtRow {
                file: self.file.to_owned(),
                sheet: "survey",
                row: self.sheet.rows.last().map_or(1, |r| r.number),
                message: format!(
                    "the group `{}` is never closed; add an `end group` row",
                    group.id
                ),
            });
        }
        for (name, (translated, used)) in &self.calculations {
            if let (Err(error), false) = (translated, used) {
                self.notes.push(format!("the calculate `{name}` was dropped: nothing uses it, and Fieldkit cannot work it out ({error})"));
            }
        }
        self.sections.retain(|s| !s.questions.is_empty());
        let closing_notes = std::mem::take(&mut self.pending_notes);
        if let Some((_, Some(condition), note_row)) =
            closing_notes.iter().find(|(_, c, _)| c.is_some())
        {
            return Err(ImportError::AtRow {
                file: self.file.to_owned(),
                sheet: "survey",
                row: *note_row,
                message: format!("this note comes after the last question and is shown only when `{condition}`, but Fieldkit's closing text is always shown; remove the condition or move the note before a question asked under it"),
            });
        }
        let closing = languages::merge_texts(closing_notes.into_iter().map(|(text, _, _)| text));
        Ok(Form {
            sections: self.sections,
            closing,
            notes: self.notes,
        })
    }
}
