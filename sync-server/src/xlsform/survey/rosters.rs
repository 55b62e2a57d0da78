//! Rosters: the same questions once per person or item. Each instance
//! becomes a section of its own questions with its own ids, so R7 (each
//! question asked once) holds as for any question, and the phone, the
//! server's replay and the exports need nothing new.
//!
//! - `begin loop over LIST` ... `end loop`: one instance per choice, as
//!   pyxform expands it (`loop_choice_name`, pyxform's path
//!   `loop/choice/name`); `%(label)s` in a text is the choice's label.
//! - `begin repeat` ... `end repeat`: instances `repeat_1_name`,
//!   `repeat_2_name`...: exactly `repeat_count` of them when it is a number;
//!   as many as an earlier whole-number answer says when it is `${n}` (up to
//!   [`ROSTER_MAX`], and `n` is then limited to that); otherwise the
//!   interviewer is asked "add another?" after each one, up to
//!   [`ROSTER_MAX`].
//!
//! Inside an instance, `${name}` means that instance's question; outside the
//! roster its questions cannot be named (which instance would it be?).

use fieldkit_protocols::model::{Choice, Question, QuestionKind};
use fieldkit_protocols::Text;

use super::super::question_id;
use super::super::sheets::Row;
use super::super::types::RowType;
use super::super::xpath::{and, Node, Shape};
use super::super::ImportError;
use super::{Builder, Group};

/// The most instances a repeat gets when its count is an answer or up to
/// the interviewer: a protocol has a fixed set of questions.
pub(super) const ROSTER_MAX: usize = 20;

/// The roster instance being converted.
pub(super) struct Instance {
    /// `loop_choice` or `repeat_2`, put before each of its question ids.
    pub prefix: String,
    /// The choice's label, for `%(label)s`.
    pub label: Text,
}

/// One instance to write: its id, labels, the condition under which it is
/// asked, and an "add another?" question to ask before it.
struct Spec {
    prefix: String,
    label: Text,
    relevant: Option<Node>,
    /// The question and the condition under which it is asked.
    ask_first: Option<(Question, Option<Node>)>,
}

/// What a `repeat_count` cell says.
enum Count {
    Fixed(usize),
    Answer(String),
    Added,
    Other(String),
}

fn count_of(cell: &str) -> Count {
    let cell = cell.trim();
    if cell.is_empty() {
        return Count::Added;
    }
    if let Ok(n) = cell.parse() {
        return Count::Fixed(n);
    }
    match cell.strip_prefix("${").and_then(|c| c.strip_suffix('}')) {
        Some(name) if !name.contains(['{', '}', '$']) => Count::Answer(name.trim().to_owned()),
        _ => Count::Other(cell.to_owned()),
    }
}

fn yes(id: &str) -> Node {
    Node::Binary(
        "=",
        Box::new(Node::Ref(id.to_owned())),
        Box::new(Node::Bool(true)),
    )
}

fn both(a: Option<Node>, b: Option<Node>) -> Option<Node> {
    match (a, b) {
        (Some(a), Some(b)) => Some(and(a, b)),
        (a, b) => a.or(b),
    }
}

impl Builder<'_> {
    /// Converts the rows in order, expanding loops and repeats.
    pub(super) fn rows(&mut self, rows: &[&Row]) -> Result<(), ImportError> {
        let mut at = 0;
        while at < rows.len() {
            let row = rows[at];
            let row_type = self.row_type(row)?;
            let (closing, what) = match row_type {
                RowType::BeginLoop(_) => (RowType::EndLoop, "loop"),
                RowType::BeginRepeat => (RowType::EndRepeat, "repeat"),
                _ => {
                    self.row(row)?;
                    at += 1;
                    continue;
                }
            };
            let end = rows[at + 1..]
                .iter()
                .position(|r| self.row_type(r).ok().as_ref() == Some(&closing))
                .ok_or_else(|| {
                    self.error(
                        row,
                        format!("this {what} is never closed; add an `end {what}` row"),
                    )
                })?;
            let body = &rows[at + 1..at + 1 + end];
            let specs = match row_type {
                RowType::BeginLoop(list) => self.loop_specs(row, &list)?,
                _ => self.repeat_specs(row)?,
            };
            self.expand(row, body, specs)?;
            at += end + 2;
        }
        Ok(())
    }

    /// One instance per choice of `list`.
    fn loop_specs(&self, begin: &Row, list: &str) -> Result<Vec<Spec>, ImportError> {
        let loop_id = self.name(begin)?;
        let mut choices = self.lists.get(list).cloned().ok_or_else(|| {
            self.error(
                begin,
                format!("the choice list `{list}` is not in the choices sheet"),
            )
        })?;
        if self.lists_with_other.contains(list) && !choices.iter().any(|c| c.value == "other") {
            choices.push(Choice {
                value: "other".to_owned(),
                label: self.languages.fixed(super::other::other_word),
                image: None,
                relevant: None,
            });
        }
        choices
            .iter()
            .map(|choice| {
                let item = question_id(&choice.value).ok_or_else(|| {
                    self.error(begin, format!("the choice `{}` of list `{list}` cannot name a loop instance: use letters, digits and _", choice.value))
                })?;
                Ok(Spec {
                    prefix: format!("{loop_id}_{item}"),
                    label: choice.label.clone(),
                    relevant: None,
                    ask_first: None,
                })
            })
            .collect()
    }

    /// The instances of a repeat, as its `repeat_count` says.
    fn repeat_specs(&mut self, begin: &Row) -> Result<Vec<Spec>, ImportError> {
        let id = self.name(begin)?;
        let label = self
            .text(begin, "label")
            .unwrap_or_else(|| self.languages.fixed(|_| id.clone()));
        let edit = |f: &dyn Fn(&str) -> String| {
            Text(label.0.iter().map(|(l, t)| (l.clone(), f(t))).collect())
        };
        let spec = |k: usize, relevant, ask_first| Spec {
            prefix: format!("{id}_{k}"),
            label: edit(&|t| format!("{t} {k}")),
            relevant,
            ask_first,
        };
        let row = begin.number;
        let mut count = count_of(begin.cell(self.columns.repeat_count));
        // A calculation that is a whole number (`calculate`, `1`) is that count.
        if let Count::Answer(name) = &count {
            if let Some((Ok(Node::Number(n)), used)) = self.calculations.get_mut(name) {
                if let Ok(n) = n.parse() {
                    *used = true;
                    self.notes.push(format!("survey row {row}: the repeat `{id}` has the fixed count {n} that the calculation `{name}` gives"));
                    count = Count::Fixed(n);
                }
            }
        }
        match count {
            Count::Fixed(n) if (1..=ROSTER_MAX * 5).contains(&n) => {
                Ok((1..=n).map(|k| spec(k, None, None)).collect())
            }
            Count::Fixed(n) => Err(self.error(
                begin,
                format!("repeat_count `{n}`: a roster has 1 to {} instances", ROSTER_MAX * 5),
            )),
            Count::Answer(name) => {
                let count_id = self
                    .ids
                    .get(&name)
                    .cloned()
                    .filter(|c| self.shapes.get(c) == Some(&Shape::Number))
                    .filter(|c| self.limit_count(c))
                    .ok_or_else(|| {
                        self.error(begin, format!("repeat_count `${{{name}}}` must name a whole-number question asked before the repeat"))
                    })?;
                self.notes.push(format!("survey row {row}: the repeat `{id}` is asked as many times as `{count_id}` says, up to {ROSTER_MAX}, so `{count_id}` may be at most {ROSTER_MAX}"));
                Ok((1..=ROSTER_MAX)
                    .map(|k| {
                        let at_least = Node::Binary(
                            ">=",
                            Box::new(Node::Ref(count_id.clone())),
                            Box::new(Node::Number(k.to_string())),
                        );
                        spec(k, Some(at_least), None)
                    })
                    .collect())
            }
            Count::Added => {
                self.notes.push(format!("survey row {row}: the repeat `{id}` asks \"add another?\" after each instance, up to {ROSTER_MAX} instances; translate the questions `{id}_add_2`... in the TOML"));
                let ask = edit(&|t| format!("Add another: {t}?"));
                Ok((1..=ROSTER_MAX)
                    .map(|k| {
                        if k == 1 {
                            return spec(k, None, None);
                        }
                        let add = format!("{id}_add_{k}");
                        let previous = format!("{id}_add_{}", k - 1);
                        let question = Question {
                            id: add.clone(),
                            text: ask.clone(),
                            hint: None,
                            kind: QuestionKind::YesNo,
                            choices: Vec::new(),
                            required: false,
                            purpose: String::new(),
                            sensitive: false,
                            identifying: false,
                            disaggregation: None,
                            relevant: None,
                            constraint: None,
                            constraint_message: None,
                            card: None,
                            not_identifying_because: None,
                            image: None,
                            audio: None,
                            card_description: None,
                            calculation: None,
                        };
                        let asked = (k > 2).then(|| yes(&previous));
                        spec(k, Some(yes(&add)), Some((question, asked)))
                    })
                    .collect())
            }
            Count::Other(cell) => Err(self.error(
                begin,
                format!("repeat_count `{cell}`: write a whole number, or ${{question}} naming an earlier whole-number question"),
            )),
        }
    }

    /// Limits the count question to [`ROSTER_MAX`]; false when it is not a
    /// question already converted (asked before the repeat).
    fn limit_count(&mut self, count_id: &str) -> bool {
        let limit = format!(". <= {ROSTER_MAX}");
        let found = self
            .sections
            .iter_mut()
            .flat_map(|s| s.questions.iter_mut())
            .find(|q| q.id == count_id);
        let Some(question) = found else {
            return false;
        };
        question.constraint = Some(match question.constraint.take() {
            Some(own) => format!("({own}) and {limit}"),
            None => limit,
        });
        true
    }

    fn expand(&mut self, begin: &Row, body: &[&Row], specs: Vec<Spec>) -> Result<(), ImportError> {
        if self.instance.is_some() {
            return Err(self.error(
                begin,
                "a roster inside a roster is not supported; write the inner questions once per item",
            ));
        }
        let mut inner = Vec::new();
        for row in body {
            let row_type = self.row_type(row)?;
            if matches!(
                row_type,
                RowType::BeginGroup | RowType::BeginLoop(_) | RowType::BeginRepeat
            ) {
                return Err(self.error(row, "groups inside a loop or repeat are not supported yet; put its questions directly between its begin and end rows"));
            }
            if row_type.is_named_item() {
                inner.push((row.cell(self.columns.name).to_owned(), self.base_name(row)?));
            }
        }
        // The roster's own condition (its begin row's `relevant`) holds for
        // every instance, as ODK skips the whole repeat when it is false.
        let own = self.translate(begin, "relevant", false)?;
        let outer = both(self.groups.last().and_then(|g| g.relevant.clone()), own);
        for spec in specs {
            if let Some((mut question, own)) = spec.ask_first {
                question.relevant = both(outer.clone(), own).map(|n| n.to_string());
                if self.sections.is_empty() {
                    self.open_section();
                }
                let section = self.sections.last_mut().expect("a section is open");
                section.questions.push(question);
            }
            for (name, base) in &inner {
                let id = format!("{}_{base}", spec.prefix);
                if let Some(shape) = self.shapes.get(base).copied() {
                    self.shapes.insert(id.clone(), shape);
                }
                if !self.is_calculate(name) {
                    self.ids.insert(name.clone(), id);
                }
            }
            self.instance = Some(Instance {
                prefix: spec.prefix.clone(),
                label: spec.label.clone(),
            });
            self.groups.push(Group {
                id: spec.prefix,
                title: spec.label,
                relevant: both(outer.clone(), spec.relevant),
                parts: 0,
            });
            self.open_section();
            let converted = body.iter().try_for_each(|row| self.row(row));
            self.groups.pop();
            self.instance = None;
            converted?;
        }
        // Outside the roster its questions have no single id.
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
