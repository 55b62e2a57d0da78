//! Parity with pyxform and ODK over real forms from two sources (`corpus/`,
//! pyxform's own test suite; `corpus-odk-docs/`, the examples of ODK's
//! documentation): every form pyxform converts, Fieldkit converts or refuses
//! by name; for every form both convert, the questions, kinds, choices,
//! labels and required flags agree, and every relevance, constraint, filter
//! and calculation gives the same answer as ODK's (pyxform's XForm evaluated
//! by elementpath, see `odk_reference.py`) over the same generated answers.
//! Prints the table of counts, per source too. Skipped with a note where
//! pyxform, elementpath or regex is missing, except under CI, where
//! `scripts/setup` installs them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use fieldkit_protocols::{engine, expr, QuestionKind, Value};
use fieldkit_sync_server::xlsform::{import, Imported};
use serde_json::Value as Json;

use super::pyxform::python_with_pyxform;

/// The corpora, each named by where its forms come from.
const SOURCES: [(&str, &str); 2] = [
    ("pyxform's test suite", "corpus"),
    ("ODK's documentation", "corpus-odk-docs"),
];

/// Every form of every corpus, with the name of its source.
fn corpus() -> Vec<(&'static str, PathBuf)> {
    let mut files = Vec::new();
    for (source, folder) in SOURCES {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/xlsform")
            .join(folder);
        let mut these: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "xls" || e == "xlsx"))
            .collect();
        these.sort();
        files.extend(these.into_iter().map(|f| (source, f)));
    }
    files
}

/// Fieldkit's id for a pyxform name, as the import makes it.
fn id_of(name: &str) -> String {
    name.trim()
        .chars()
        .map(|c| match c {
            '-' | '.' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

fn kind_of(pyxform: &str) -> Option<QuestionKind> {
    Some(match pyxform {
        "integer" => QuestionKind::Integer,
        "decimal" => QuestionKind::Decimal,
        "text" => QuestionKind::Text,
        "date" => QuestionKind::Date,
        "time" => QuestionKind::Time,
        "geopoint" => QuestionKind::CoarseLocation,
        "select one" => QuestionKind::SingleChoice,
        "select all that apply" => QuestionKind::MultipleChoice,
        "rank" => QuestionKind::Ranking,
        _ => return None,
    })
}

/// An answer as ODK holds it (text), as the Fieldkit value of that kind.
fn value(kind: QuestionKind, text: &str) -> Value {
    let words = || text.split_whitespace().map(str::to_owned).collect();
    match kind {
        QuestionKind::Integer => Value::Integer(text.parse().unwrap()),
        QuestionKind::Decimal => Value::Decimal(text.parse().unwrap()),
        QuestionKind::SingleChoice => Value::Choice(text.to_owned()),
        QuestionKind::MultipleChoice => Value::Choices(words()),
        QuestionKind::Ranking => Value::Ranking(words()),
        QuestionKind::Date => Value::Date(text.to_owned()),
        QuestionKind::Time => Value::Time(text.to_owned()),
        QuestionKind::CoarseLocation => {
            let mut parts = text.split_whitespace().map(|p| p.parse().unwrap());
            Value::Location {
                lat: parts.next().unwrap(),
                lon: parts.next().unwrap(),
            }
        }
        _ => Value::Text(text.to_owned()),
    }
}

/// Fieldkit's id for a question of pyxform's: its name, or, for a name a
/// loop repeats once per item, pyxform's path (`loop/item/name` is
/// `loop_item_name`); in a repeat, the first instance's (`member_1_name`).
fn expected_id(question: &Json, all: &[&Json]) -> String {
    let name = |q: &Json| id_of(q["name"].as_str().unwrap());
    if let Some(repeat) = question["repeats"].as_array().and_then(|r| r.last()) {
        return format!("{}_1_{}", id_of(repeat.as_str().unwrap()), name(question));
    }
    if all.iter().filter(|o| name(o) == name(question)).count() > 1 {
        let path = question["path"].as_str().unwrap();
        return id_of(&path.split('/').skip(2).collect::<Vec<_>>().join("_"));
    }
    name(question)
}

/// A calculated value as ODK writes it into its instance.
fn odk_text(value: &Value) -> String {
    match value {
        Value::Integer(n) => n.to_string(),
        Value::Decimal(x) => x.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Text(s) | Value::Choice(s) => s.clone(),
        Value::Choices(list) => list.join(" "),
        other => format!("{other:?}"),
    }
}

/// Label texts, sorted: what an interviewer reads, in whichever languages.
fn texts(labels: &Json) -> Vec<String> {
    let mut texts: Vec<String> = labels
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(_, v)| v.as_str().map(str::to_owned))
        .filter(|t| !t.is_empty())
        .collect();
    texts.sort();
    texts
}

#[derive(Default)]
struct Tally {
    forms: usize,
    pyxform: usize,
    both: usize,
    refused: BTreeMap<&'static str, usize>,
    /// Every refusal's reason and message, to print under its reason.
    other_refusals: Vec<(&'static str, String)>,
    fieldkit_only: usize,
    /// Answers ODK accepts that a limit of Fieldkit's, reported in the
    /// checklist, refuses.
    reported_limits: usize,
    /// Per source: forms, pyxform converts, Fieldkit converts too.
    by_source: BTreeMap<&'static str, [usize; 3]>,
    questions: usize,
    conditions: usize,
    /// Filtered choice sets (cascading selects) compared on both sides.
    choice_sets: usize,
    /// Calculated values compared on both sides.
    calculated: usize,
    /// Forms pyxform converts that hold a photo, audio, video, file or
    /// OpenStreetMap answer, which Fieldkit refuses on principle (R21).
    principled: usize,
    differences: Vec<String>,
}

fn reason(message: &str) -> &'static str {
    match message {
        m if m.contains("R21") => "refused on principle (R21)",
        m if m.contains("protocol bundle") => "media (video, or off questions and choices)",
        m if m.contains("repeat groups") => "repeat groups",
        m if m.contains("choice_filter") => "choice_filter (cascading selects)",
        m if m.contains("not beside the form") => "a data or choices file not beside it",
        m if m.contains("external") => "external choices",
        m if m.contains("is unknown") => "unknown question type",
        _ => "other named refusal",
    }
}

/// Compares one form both convert, recording every difference.
fn compare(imported: &Imported, reference: &Json, file: &str, tally: &mut Tally) {
    let protocol = &imported.protocol;
    let mut diff = |what: String| tally.differences.push(format!("{file}: {what}"));
    let theirs: Vec<&Json> = reference["questions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|q| kind_of(q["type"].as_str().unwrap()).is_some())
        // pyxform draws a `table-list` group's header as a read-only select
        // it names itself: a layout row, not a question anyone answers.
        .filter(|q| {
            !q["name"]
                .as_str()
                .unwrap()
                .starts_with("reserved_name_for_field_list_labels")
        })
        .collect();
    let their_ids: Vec<String> = theirs.iter().map(|q| expected_id(q, &theirs)).collect();
    // A repeat's first instance is what ODK's walk fills; the others, and
    // the "add another?" questions between them, have no counterpart there.
    let repeats: Vec<String> = reference["questions"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|q| q["repeats"].as_array().cloned().unwrap_or_default())
        .map(|r| id_of(r.as_str().unwrap()))
        .collect();
    let later_instance = |id: &str| {
        repeats.iter().any(|r| {
            id.strip_prefix(&format!("{r}_")).is_some_and(|rest| {
                let (k, _) = rest.split_once('_').unwrap_or((rest, ""));
                rest.starts_with("add_") || k.parse::<u32>().is_ok_and(|k| k >= 2)
            })
        })
    };
    let ours: Vec<&str> = protocol
        .questions()
        .filter(|q| q.calculation.is_none() && !later_instance(&q.id))
        .map(|q| q.id.as_str())
        .collect();
    if ours != their_ids {
        diff(format!(
            "question sets differ: ours {ours:?}, pyxform's {their_ids:?}"
        ));
        return;
    }
    for (py, id) in theirs.iter().zip(their_ids) {
        let q = protocol.question(&id).unwrap();
        tally.questions += 1;
        let kind = kind_of(py["type"].as_str().unwrap()).unwrap();
        if q.kind != kind {
            diff(format!("`{id}` is {:?}, pyxform's is {kind:?}", q.kind));
        }
        if q.required != py["required"].as_bool().unwrap() {
            diff(format!("`{id}` required {} differs", q.required));
        }
        let values: Vec<&str> = q.choices.iter().map(|c| c.value.as_str()).collect();
        let their_values: Vec<&str> = py["choices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        if values != their_values {
            diff(format!(
                "choices of `{id}`: ours {values:?}, pyxform's {their_values:?}"
            ));
        }
        // pyxform labels the `_other` extras it adds in English only.
        if !id.ends_with("_other") {
            let ours: Vec<String> = {
                let mut t: Vec<String> = q.text.0.values().cloned().collect();
                t.sort();
                t
            };
            if ours != texts(&py["labels"]) {
                diff(format!(
                    "labels of `{id}`: ours {ours:?}, pyxform's {:?}",
                    texts(&py["labels"])
                ));
            }
            for (choice, theirs) in q.choices.iter().zip(py["choices"].as_array().unwrap()) {
                let mut ours: Vec<String> = choice.label.0.values().cloned().collect();
                ours.sort();
                if choice.value != "other"
                    && ours != texts(&theirs["labels"])
                    && !texts(&theirs["labels"]).is_empty()
                {
                    diff(format!(
                        "labels of choice `{}` of `{id}` differ",
                        choice.value
                    ));
                }
            }
        }
    }
    let all: Vec<&Json> = reference["questions"].as_array().unwrap().iter().collect();
    for case in reference["cases"].as_array().unwrap() {
        let mut answers: BTreeMap<String, Value> = BTreeMap::new();
        for (step, question) in case.as_array().unwrap().iter().zip(&all) {
            let id = expected_id(question, &all);
            let Some(q) = protocol.question(&id) else {
                continue;
            };
            if let Some(error) = step["error"].as_str() {
                diff(format!("ODK's side could not evaluate `{id}`: {error}"));
                continue;
            }
            let eval = |source: &Option<String>, current: Option<&Value>| {
                source.as_deref().map_or(Ok(true), |s| {
                    expr::parse(s)
                        .unwrap()
                        .eval(&answers, current)
                        .map_err(|e| e.to_string())
                })
            };
            tally.conditions += 1;
            let odk = step["relevant"].as_bool().unwrap();
            match eval(&q.relevant, None) {
                Ok(ours) if ours == odk => {}
                other => diff(format!(
                    "relevance of `{id}`: ours {other:?}, ODK's {odk} with {answers:?}"
                )),
            }
            if let Some(theirs) = step["calculated"].as_object() {
                let ours = engine::calculate(protocol, &answers);
                for q in protocol.questions().filter(|q| q.calculation.is_some()) {
                    let odk = theirs.iter().find(|(name, _)| id_of(name) == q.id);
                    let Some(odk) = odk.and_then(|(_, v)| v.as_str()) else {
                        continue;
                    };
                    tally.calculated += 1;
                    let mine = ours.get(&q.id).map_or_else(String::new, odk_text);
                    if mine != odk {
                        diff(format!(
                            "calculation `{}`: ours {mine:?}, ODK's {odk:?} with {answers:?}",
                            q.id
                        ));
                    }
                }
            }
            if let Some(theirs) = step["offered"].as_array() {
                tally.choice_sets += 1;
                let theirs: Vec<&str> = theirs.iter().map(|n| n.as_str().unwrap()).collect();
                let ours: Result<Vec<&str>, String> = q
                    .choices
                    .iter()
                    .filter_map(|c| match eval(&c.relevant, None) {
                        Ok(true) => Some(Ok(c.value.as_str())),
                        Ok(false) => None,
                        Err(e) => Some(Err(e)),
                    })
                    .collect();
                if ours.as_deref() != Ok(&theirs[..]) {
                    diff(format!(
                        "choices offered by `{id}`: ours {ours:?}, ODK's {theirs:?} with {answers:?}"
                    ));
                }
            }
            if let (Some(tried), Some(_)) = (step["tried"].as_str(), &q.constraint) {
                tally.conditions += 1;
                let given = value(q.kind, tried);
                let ours = eval(&q.constraint, Some(&given));
                match step["constraint"].as_bool() {
                    Some(odk) if ours == Ok(odk) => {}
                    Some(odk) => diff(format!(
                        "constraint of `{id}` on {tried:?}: ours {ours:?}, ODK's {odk}"
                    )),
                    // ODK has no constraint here and accepts the answer.
                    None if ours == Ok(true) => {}
                    // Fieldkit's own limit refuses it: the import must have
                    // said so in the author's checklist (a roster's count
                    // is at most its bound).
                    None if imported
                        .checklist
                        .iter()
                        .any(|line| line.contains(&format!("`{id}` may be at most"))) =>
                    {
                        tally.reported_limits += 1;
                    }
                    None => diff(format!(
                        "constraint of `{id}` on {tried:?}: ours {ours:?}, and ODK has none"
                    )),
                }
            }
            if let Some(text) = step["value"].as_str() {
                answers.insert(id, value(q.kind, text));
            }
        }
    }
}

#[test]
fn the_corpus_converts_as_pyxform_and_odk_read_it() {
    let Some(python) = python_with_pyxform(&["pyxform", "elementpath", "regex"]) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the parity test: scripts/setup installs pyxform, elementpath and regex"
        );
        println!("note: pyxform, elementpath or regex is not installed (run scripts/setup); skipping the parity test");
        return;
    };
    let files = corpus();
    let ours: Vec<_> = files
        .iter()
        .map(|(_, f)| {
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            import(&std::fs::read(f).unwrap(), &name)
        })
        .collect();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/xlsform/odk_reference.py");
    let args = files.iter().zip(&ours).map(|((_, f), ours)| {
        let path = f.display().to_string();
        if ours.is_ok() {
            format!("walk:{path}")
        } else {
            path
        }
    });
    let output = Command::new(&python)
        .arg(&script)
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let references: Vec<Json> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(references.len(), files.len());

    let mut tally = Tally {
        forms: files.len(),
        ..Tally::default()
    };
    for (((source, file), ours), reference) in files.iter().zip(&ours).zip(&references) {
        let name = file.file_name().unwrap().to_string_lossy();
        let pyxform_converts = reference["ok"].as_bool().unwrap();
        let counts = tally.by_source.entry(source).or_default();
        counts[0] += 1;
        counts[1] += usize::from(pyxform_converts);
        counts[2] += usize::from(pyxform_converts && ours.is_ok());
        if pyxform_converts && reference["holds_files"] == true {
            tally.principled += 1;
        }
        match (pyxform_converts, ours) {
            (true, Ok(imported)) => {
                tally.pyxform += 1;
                tally.both += 1;
                if reference["questions"].is_null() {
                    tally
                        .differences
                        .push(format!("{name}: pyxform's JSON could not be read"));
                } else {
                    compare(imported, reference, &name, &mut tally);
                }
            }
            (true, Err(error)) => {
                tally.pyxform += 1;
                let message = error.to_string();
                assert!(
                    message.starts_with(&*name)
                        && (message.contains(", sheet ") || message.contains("sheet")),
                    "a refusal must name the file and sheet: {message}"
                );
                let why = reason(&message);
                *tally.refused.entry(why).or_default() += 1;
                tally.other_refusals.push((why, message));
            }
            (false, Ok(_)) => tally.fieldkit_only += 1,
            (false, Err(_)) => {}
        }
    }
    let percent = |n: usize, of: usize| {
        if of == 0 {
            0.0
        } else {
            100.0 * n as f64 / of as f64
        }
    };
    println!("XLSForm parity over {} corpus forms", tally.forms);
    for (source, [forms, pyxform, both]) in &tally.by_source {
        println!(
            "  from {source:<26} {forms:>3} forms; pyxform converts {pyxform:>3}; Fieldkit too {both:>3} ({:.0}%)",
            percent(*both, *pyxform)
        );
    }
    println!(
        "  pyxform converts                          {:>3}",
        tally.pyxform
    );
    println!(
        "  Fieldkit converts too                     {:>3}  ({:.0}%; {:.0}% of the {} holding no answer refused on principle)",
        tally.both,
        percent(tally.both, tally.pyxform),
        percent(tally.both, tally.pyxform - tally.principled),
        tally.pyxform - tally.principled
    );
    for (why, n) in &tally.refused {
        println!("  refused by name: {why:<34}{n:>3}");
        for (_, message) in tally.other_refusals.iter().filter(|(w, _)| w == why) {
            println!("    {}", message.chars().take(160).collect::<String>());
        }
    }
    println!(
        "  forms holding a photo, audio, video, file or OSM answer (R21) {:>3}",
        tally.principled
    );
    println!(
        "  Fieldkit converts, pyxform refuses        {:>3}",
        tally.fieldkit_only
    );
    println!(
        "  questions compared                        {:>3}",
        tally.questions
    );
    println!(
        "  conditions evaluated on both sides      {:>5}",
        tally.conditions
    );
    println!(
        "  filtered choice sets compared           {:>5}",
        tally.choice_sets
    );
    println!(
        "  calculated values compared              {:>5}",
        tally.calculated
    );
    println!(
        "  answers refused by a reported limit     {:>5}",
        tally.reported_limits
    );
    println!(
        "  semantic differences                      {:>3}",
        tally.differences.len()
    );
    assert!(tally.differences.is_empty(), "{:#?}", tally.differences);
    assert!(tally.conditions > 0, "the walk evaluated nothing");
    // Where the import stands today; raise it as forms come in, never lower it.
    assert!(tally.both >= 55, "only {} forms convert now", tally.both);
}
