//! Skip logic and constraints: they parse, name questions that exist and are
//! asked earlier, and use functions and choice values that fit the question.

use std::collections::{BTreeMap, HashMap};

use super::questions::kind_name;
use super::{occurrences, questions_with_location, Findings};
use crate::expr::{self, BinOp, Expr, Target};
use crate::model::{Protocol, Question, QuestionKind};

pub(super) fn check(p: &Protocol, out: &mut Findings) {
    let mut order: BTreeMap<&str, usize> = BTreeMap::new();
    let mut by_id: HashMap<&str, &Question> = HashMap::new();
    for (i, q) in p.questions().enumerate() {
        order.entry(q.id.as_str()).or_insert(i);
        by_id.entry(q.id.as_str()).or_insert(q);
    }
    for (index, (loc, q)) in questions_with_location(p).into_iter().enumerate() {
        let mut sources = vec![];
        for (field, src) in [
            ("relevant", &q.relevant),
            ("constraint", &q.constraint),
            ("calculation", &q.calculation),
        ] {
            if let Some(src) = src {
                let what = format!("the {field} of question `{}`", q.id);
                sources.push((field, what, format!("{loc}.{field}"), src));
            }
        }
        // A cascading select's conditions, one per choice (`choice_filter`).
        let values = occurrences(q.choices.iter().map(|c| c.value.as_str()));
        for (value, choice) in values.iter().zip(&q.choices) {
            if let Some(src) = &choice.relevant {
                let what = format!(
                    "the relevant of choice `{}` of question `{}`",
                    choice.value, q.id
                );
                sources.push((
                    "relevant",
                    what,
                    format!("{loc}.choices.{value}.relevant"),
                    src,
                ));
            }
        }
        for (field, what, loc, src) in sources {
            let parsed = match expr::parse(src) {
                Ok(e) => e,
                Err(err) => {
                    out.error(
                        "bad-expression",
                        loc,
                        format!(
                            "{what} does not parse at column {}: {} (in `{src}`)",
                            err.column, err.message
                        ),
                    );
                    continue;
                }
            };
            if field != "constraint" && parsed.uses_current() {
                out.error(
                    "bad-expression",
                    loc.clone(),
                    format!(
                        "{what} uses `.`, the answer being given, which exists only in a constraint: name an earlier question instead"
                    ),
                );
            }
            choice_and_text_use(&by_id, q, &parsed, &loc, &what, out);
            for id in parsed.references() {
                match order.get(id.as_str()) {
                    None => out.error(
                        "unknown-reference",
                        loc.clone(),
                        format!(
                            "{what} refers to `{id}`, which is not a question in this protocol: check the spelling"
                        ),
                    ),
                    Some(&i) if i == index => out.error(
                        "later-reference",
                        loc.clone(),
                        if field != "constraint" {
                            format!("{what} refers to the question itself, which has no answer yet: refer to earlier questions only")
                        } else {
                            format!("{what} names the question itself: write `.` for the answer being given")
                        },
                    ),
                    Some(&i) if i > index => out.error(
                        "later-reference",
                        loc.clone(),
                        format!(
                            "{what} refers to `{id}`, which is asked later and has no answer yet: refer to earlier questions only, or move `{id}` before `{}`",
                            q.id
                        ),
                    ),
                    Some(_) => {}
                }
            }
        }
    }
}

/// `selected`/`count_selected` on a choice question, `length` on a text
/// question, and choice values that exist: each mistake here would only show
/// up in the field, as a question wrongly skipped or an answer refused.
fn choice_and_text_use(
    by_id: &HashMap<&str, &Question>,
    current: &Question,
    e: &Expr,
    loc: &str,
    what: &str,
    out: &mut Findings,
) {
    let question = |t: &Target| match t {
        Target::Current => Some(current),
        Target::Question(id) => by_id.get(id.as_str()).copied(),
    };
    let mut problems = Vec::new();
    walk(e, &mut |e| match e {
        Expr::Selected { target, .. } | Expr::CountSelected(target) => {
            let Some(q) = question(target) else { return };
            let name = if matches!(e, Expr::Selected { .. }) {
                "selected"
            } else {
                "count_selected"
            };
            if !q.kind.needs_choices() {
                problems.push(format!(
                    "{name}({target}) needs a choice question, but `{}` is {}",
                    q.id,
                    kind_name(q.kind)
                ));
            } else if let Expr::Selected { value, .. } = e {
                check_value(q, value, &mut problems);
            }
        }
        Expr::Length(target) | Expr::Matches { target, .. } => {
            if let Some(q) = question(target) {
                if !q.kind.is_free_text() {
                    let what = if matches!(e, Expr::Length(_)) {
                        "length({target}) counts the characters of"
                    } else {
                        "matches({target}, ...) looks for a pattern in"
                    };
                    problems.push(format!(
                        "{} a text answer, but `{}` is {}",
                        what.replace("{target}", &target.to_string()),
                        q.id,
                        kind_name(q.kind)
                    ));
                }
            }
        }
        Expr::Binary {
            op: BinOp::Eq | BinOp::Ne,
            left,
            right,
        } => {
            let pair = match (&**left, &**right) {
                (Expr::Question(id), Expr::Str(v)) | (Expr::Str(v), Expr::Question(id)) => {
                    by_id.get(id.as_str()).map(|q| (*q, v))
                }
                (Expr::Current, Expr::Str(v)) | (Expr::Str(v), Expr::Current) => Some((current, v)),
                _ => None,
            };
            if let Some((q, value)) = pair {
                match q.kind {
                    QuestionKind::SingleChoice => check_value(q, value, &mut problems),
                    QuestionKind::MultipleChoice | QuestionKind::Ranking => {
                        problems.push(format!(
                            "`{}` can hold several choices, so it never equals one text: write selected({}, '{value}')",
                            q.id, q.id
                        ));
                    }
                    QuestionKind::YesNo => problems.push(format!(
                        "`{}` is a yes/no question: compare it with true or false, not '{value}'",
                        q.id
                    )),
                    _ => {}
                }
            }
        }
        _ => {}
    });
    for problem in problems {
        out.error(
            "bad-expression",
            loc.to_owned(),
            format!("{what}: {problem}"),
        );
    }
}

fn check_value(q: &Question, value: &str, problems: &mut Vec<String>) {
    if !q.choices.is_empty() && !q.choices.iter().any(|c| c.value == value) {
        let values: Vec<&str> = q.choices.iter().map(|c| c.value.as_str()).collect();
        problems.push(format!(
            "'{value}' is not a choice of `{}` (its values are {})",
            q.id,
            values.join(", ")
        ));
    }
}

fn walk(e: &Expr, f: &mut dyn FnMut(&Expr)) {
    f(e);
    for child in e.children() {
        walk(child, f);
    }
}
