//! The row exports: CSV wide (one row per session), CSV long (one row per
//! answer) and JSON. One line buffer is reused for every row. Every row
//! carries its record's review state; rejected records stay in, marked, so
//! every export of the same data has the same rows and the analyst decides
//! (the codebook says so).

use std::io::Write;

use fieldkit_protocols::model::Dimension;
use fieldkit_protocols::{Protocol, Value};
use serde_json::json;
use time::OffsetDateTime;

use super::csv::{number_field, text_field};
use super::facts::{skip_text, stop_text, value_text, Answer, SessionFacts};
use super::{for_each_session, AgeGroups, ExportError, RAPID_ASSESSMENT_CAVEAT};
use crate::access::Principal;
use crate::store::Store;

/// Appends an answer's cell: numbers as numbers, anything else as
/// formula-safe text (see [`super::csv`]).
fn value_field(line: &mut String, value: &Value, cell: &str) {
    match value {
        Value::Integer(_) | Value::Decimal(_) | Value::Count(_) | Value::Location { .. } => {
            number_field(line, cell);
        }
        _ => text_field(line, cell),
    }
}

pub fn status(facts: &SessionFacts) -> &'static str {
    match facts.stop {
        Some(reason) => stop_text(reason),
        None if facts.completed => "completed",
        None => "unfinished",
    }
}

/// The age in whole years: the age question's answer, else the age given
/// at the start of the session.
pub fn age(protocol: &Protocol, facts: &SessionFacts) -> Option<u8> {
    let answered = protocol
        .questions()
        .position(|q| q.disaggregation == Some(Dimension::Age))
        .and_then(|i| match facts.answer(i) {
            Some(Answer::Given(Value::Integer(n))) => u8::try_from(*n).ok(),
            _ => None,
        });
    answered.or(facts.respondent_age)
}

fn caveat(protocol: &Protocol, out: &mut dyn Write) -> std::io::Result<()> {
    if protocol.rapid_assessment {
        writeln!(out, "# {RAPID_ASSESSMENT_CAVEAT}")?;
    }
    Ok(())
}

fn columns(protocol: &Protocol) -> impl Iterator<Item = (usize, &str)> {
    protocol
        .questions()
        .enumerate()
        .filter(|(_, q)| !q.identifying)
        .map(|(i, q)| (i, q.id.as_str()))
}

pub fn csv_wide(
    store: &dyn Store,
    who: &Principal,
    protocol: &Protocol,
    groups: &AgeGroups,
    action: &str,
    out: &mut dyn Write,
    now: OffsetDateTime,
) -> Result<u64, ExportError> {
    caveat(protocol, out)?;
    let mut line = String::from(
        "record_id,protocol_version,respondent,started,language,session_kind,status,age_group,review_state",
    );
    for (_, id) in columns(protocol) {
        line.push(',');
        text_field(&mut line, id);
    }
    writeln!(out, "{line}")?;
    let columns: Vec<usize> = columns(protocol).map(|(i, _)| i).collect();
    for_each_session(store, who, protocol, true, action, now, &mut |facts| {
        line.clear();
        let e = &facts.record;
        line.push_str(&format!("{},{},", e.record_id, e.protocol_version));
        text_field(&mut line, &e.respondent);
        line.push_str(&format!(",{},", facts.started.date()));
        // The language comes from the phone: text like any other.
        text_field(&mut line, &facts.language);
        line.push_str(&format!(",{:?},{},", facts.kind, status(facts)));
        if let Some(group) = age(protocol, facts).and_then(|a| groups.label(a)) {
            text_field(&mut line, group);
        }
        line.push(',');
        line.push_str(facts.review.id());
        let mut cell = String::new();
        for &i in &columns {
            line.push(',');
            if let Some(Answer::Given(value)) = facts.answer(i) {
                cell.clear();
                value_text(value, &mut cell);
                value_field(&mut line, value, &cell);
            }
        }
        writeln!(out, "{line}")?;
        Ok(())
    })
}

pub fn csv_long(
    store: &dyn Store,
    who: &Principal,
    protocol: &Protocol,
    action: &str,
    out: &mut dyn Write,
    now: OffsetDateTime,
) -> Result<u64, ExportError> {
    caveat(protocol, out)?;
    writeln!(out, "record_id,question_id,status,value,review_state")?;
    let columns: Vec<(usize, &str)> = columns(protocol).collect();
    let mut line = String::new();
    let mut cell = String::new();
    for_each_session(store, who, protocol, true, action, now, &mut |facts| {
        for &(i, id) in &columns {
            let (state, value) = match facts.answer(i) {
                None => continue,
                Some(Answer::Given(value)) => ("answered", Some(value)),
                Some(Answer::Skipped(reason)) => (skip_text(*reason), None),
                Some(Answer::Withheld) => ("withheld", None),
            };
            line.clear();
            cell.clear();
            if let Some(value) = value {
                value_text(value, &mut cell);
            }
            line.push_str(&facts.record.record_id.to_string());
            line.push(',');
            text_field(&mut line, id);
            line.push(',');
            text_field(&mut line, state);
            line.push(',');
            if let Some(value) = value {
                value_field(&mut line, value, &cell);
            }
            line.push(',');
            line.push_str(facts.review.id());
            writeln!(out, "{line}")?;
        }
        Ok(())
    })
}

pub fn json(
    store: &dyn Store,
    who: &Principal,
    protocol: &Protocol,
    groups: &AgeGroups,
    action: &str,
    out: &mut dyn Write,
    now: OffsetDateTime,
) -> Result<u64, ExportError> {
    let head = json!({
        "protocol_id": protocol.id,
        "protocol_version": protocol.version,
        "caveat": protocol.rapid_assessment.then_some(RAPID_ASSESSMENT_CAVEAT),
        "age_groups": groups.to_string(),
    });
    let head = serde_json::to_string(&head).map_err(std::io::Error::other)?;
    // Open the object, then stream the records array into it.
    write!(out, "{},\"records\":[", &head[..head.len() - 1])?;
    let columns: Vec<(usize, &str)> = columns(protocol).collect();
    let mut first = true;
    let n = for_each_session(store, who, protocol, true, action, now, &mut |facts| {
        let mut answers = serde_json::Map::new();
        let mut skipped = serde_json::Map::new();
        for &(i, id) in &columns {
            match facts.answer(i) {
                Some(Answer::Given(value)) => {
                    answers.insert(
                        id.to_owned(),
                        serde_json::to_value(value).unwrap_or_default(),
                    );
                }
                Some(Answer::Skipped(reason)) => {
                    skipped.insert(id.to_owned(), skip_text(*reason).into());
                }
                Some(Answer::Withheld) => {
                    skipped.insert(id.to_owned(), "withheld".into());
                }
                None => {}
            }
        }
        let e = &facts.record;
        let record = json!({
            "record_id": e.record_id,
            "protocol_version": e.protocol_version,
            "respondent": e.respondent,
            "started": facts.started.date().to_string(),
            "language": facts.language,
            "status": status(facts),
            "review_state": facts.review.id(),
            "age_group": age(protocol, facts).and_then(|a| groups.label(a)),
            "answers": answers,
            "not_answered": skipped,
        });
        if !first {
            out.write_all(b",")?;
        }
        first = false;
        serde_json::to_writer(&mut *out, &record).map_err(std::io::Error::other)?;
        Ok(())
    })?;
    writeln!(out, "]}}")?;
    Ok(n)
}
