//! Cross-check against pyxform, the reference XLSForm converter: the same
//! .xlsx files, read by both, must agree on question ids, types, choices,
//! labels and skip logic. Skipped (with a note) where pyxform is not installed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;

use fieldkit_protocols::{expr, Protocol};
use fieldkit_sync_server::xlsform::{import, translate_xpath};
use serde_json::Value as Json;

use super::forms;

/// A Python interpreter that can import `modules`: `FIELDKIT_PYTHON` if set,
/// else `python3`, else the venv `scripts/setup` makes when the system Python
/// refuses user installs (PEP 668).
pub(super) fn python_with_pyxform(modules: &[&str]) -> Option<PathBuf> {
    let venv = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .map(|cache| cache.join("fieldkit/pyxform-venv/bin/python"));
    let candidates = match std::env::var_os("FIELDKIT_PYTHON") {
        Some(python) => vec![PathBuf::from(python)],
        None => std::iter::once(PathBuf::from("python3"))
            .chain(venv)
            .collect(),
    };
    candidates.into_iter().find(|python| {
        Command::new(python)
            .args(["-c", &format!("import {}", modules.join(", "))])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// pyxform's JSON for an .xlsx file, or `None` when pyxform is unavailable.
fn pyxform_json(bytes: &[u8], name: &str) -> Option<Json> {
    let Some(python) = python_with_pyxform(&["pyxform"]) else {
        println!(
            "note: pyxform is not installed (run scripts/setup); skipping the pyxform comparison"
        );
        return None;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    // to_json_dict() leaves out groups' binds (their `relevant`), so they
    // are copied from the survey objects.
    let script = r#"
import json, sys
from pyxform.builder import create_survey_from_xls
survey = create_survey_from_xls(sys.argv[1])
data = survey.to_json_dict()
def add_binds(element, node):
    node["bind"] = {**dict(getattr(element, "bind", None) or {}), **node.get("bind", {})}
    by_name = {c.name: c for c in (getattr(element, "children", None) or [])}
    for child in node.get("children", []):
        if child.get("name") in by_name:
            add_binds(by_name[child["name"]], child)
add_binds(survey, data)
print(json.dumps(data, default=str))
"#;
    let output = Command::new(&python)
        .args(["-c", script])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "pyxform rejected {name}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(serde_json::from_slice(&output.stdout).unwrap())
}

/// One pyxform question, with the conditions of the groups around it.
#[derive(Debug)]
struct PyQuestion {
    name: String,
    kind: String,
    choices: Vec<String>,
    /// Label by language code.
    labels: BTreeMap<String, String>,
    /// Its own `relevant` and those of enclosing groups, outermost first.
    relevant: Vec<String>,
}

const METADATA: [&str; 6] = ["start", "end", "today", "deviceid", "note", "calculate"];

fn walk(
    node: &Json,
    groups: &[String],
    default_lang: &str,
    out: &mut Vec<PyQuestion>,
    calcs: &mut BTreeMap<String, String>,
) {
    let kind = node["type"].as_str().unwrap_or_default();
    let name = node["name"].as_str().unwrap_or_default().to_owned();
    // pyxform writes or_other's condition as `selected(../q, 'other')`.
    let relevant =
        node["bind"]["relevant"]
            .as_str()
            .map(|r| match r.strip_prefix("selected(../") {
                Some(rest) => format!("selected(${{{}", rest.replacen(", ", "}, ", 1)),
                None => r.to_owned(),
            });
    match kind {
        "survey" | "group" if name != "meta" => {
            let mut inner = groups.to_vec();
            inner.extend(relevant);
            for child in node["children"].as_array().into_iter().flatten() {
                walk(child, &inner, default_lang, out, calcs);
            }
        }
        "calculate" => {
            if let Some(calculation) = node["bind"]["calculate"].as_str() {
                calcs.insert(name, calculation.to_owned());
            }
        }
        "group" => {}
        k if METADATA.contains(&k) => {}
        _ => {
            let mut conditions = groups.to_vec();
            conditions.extend(relevant);
            out.push(PyQuestion {
                name,
                kind: kind.to_owned(),
                choices: node["children"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|c| c["name"].as_str().unwrap().to_owned())
                    .collect(),
                labels: labels(&node["label"], default_lang),
                relevant: conditions,
            });
        }
    }
}

/// `{"English (en)": "..."}` or a plain string, keyed by language code.
fn labels(label: &Json, default_lang: &str) -> BTreeMap<String, String> {
    match label {
        Json::String(s) => BTreeMap::from([(default_lang.to_owned(), s.clone())]),
        Json::Object(map) => map
            .iter()
            .map(|(lang, text)| {
                let code = lang
                    .rsplit_once('(')
                    .map_or(lang.as_str(), |(_, c)| c.trim_end_matches(')'));
                (code.to_owned(), text.as_str().unwrap().to_owned())
            })
            .collect(),
        _ => BTreeMap::new(),
    }
}

/// Question names an XPath condition uses, with calculations expanded.
fn xpath_names(xpath: &str, calcs: &BTreeMap<String, String>, into: &mut BTreeSet<String>) {
    for piece in xpath.split("${").skip(1) {
        let name = piece.split('}').next().unwrap();
        match calcs.get(name) {
            Some(calculation) => xpath_names(calculation, calcs, into),
            None => {
                into.insert(name.to_owned());
            }
        }
    }
}

fn fieldkit_kind(pyxform_type: &str) -> &str {
    match pyxform_type {
        "select one" => "single_choice",
        "select all that apply" => "multiple_choice",
        "geopoint" => "coarse_location",
        other => other,
    }
}

fn compare(bytes: &[u8], name: &str) {
    let Some(json) = pyxform_json(bytes, name) else {
        return;
    };
    let protocol: Protocol = import(bytes, name).unwrap().protocol;
    let default_lang = protocol.default_language().to_owned();
    let (mut theirs, mut calcs) = (Vec::new(), BTreeMap::new());
    walk(&json, &[], &default_lang, &mut theirs, &mut calcs);

    let ours: Vec<&str> = protocol
        .questions()
        .filter(|q| q.calculation.is_none())
        .map(|q| q.id.as_str())
        .collect();
    let their_ids: Vec<&str> = theirs.iter().map(|q| q.name.as_str()).collect();
    assert_eq!(ours, their_ids, "{name}: question ids differ");
    for py in &theirs {
        let q = protocol.question(&py.name).unwrap();
        let kind = serde_json::to_value(q.kind).unwrap();
        assert_eq!(
            kind.as_str().unwrap(),
            fieldkit_kind(&py.kind),
            "{name}: type of {}",
            py.name
        );
        let values: Vec<&str> = q.choices.iter().map(|c| c.value.as_str()).collect();
        assert_eq!(values, py.choices, "{name}: choices of {}", py.name);
        // pyxform labels the extras it adds in English only; compare the form's own texts.
        if !py.name.ends_with("_other") {
            assert_eq!(q.text.0, py.labels, "{name}: labels of {}", py.name);
        }
        let mut expected = BTreeSet::new();
        for condition in &py.relevant {
            xpath_names(condition, &calcs, &mut expected);
        }
        let referenced = q
            .relevant
            .as_deref()
            .map(|r| expr::parse(r).unwrap().references())
            .unwrap_or_default();
        assert_eq!(
            referenced,
            expected.into_iter().collect::<Vec<_>>(),
            "{name}: relevance of {}",
            py.name
        );
        // A lone condition with no calculation in it translates one to one.
        if let [only] = py.relevant.as_slice() {
            if !calcs.keys().any(|c| only.contains(&format!("${{{c}}}"))) {
                assert_eq!(
                    q.relevant.as_deref(),
                    Some(translate_xpath(only, false).unwrap().as_str()),
                    "{name}: relevance of {}",
                    py.name
                );
            }
        }
    }
}

#[test]
fn pyxform_reads_the_child_labour_form_the_same_way() {
    compare(&forms::child_labour(), "child_labour.xlsx");
}

#[test]
fn pyxform_reads_the_household_form_the_same_way() {
    compare(&forms::household(), "household.xlsx");
}
