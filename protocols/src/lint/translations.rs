//! Every text in every declared language (`missing-translation`). The
//! data-use statement and the introduction script are checked under their
//! ethics rules instead (R3, R17, R11), so a gap is reported once.

use super::consent::gaps;
use super::{occurrences, questions_with_location, Findings};
use crate::model::{Protocol, Text};

pub(super) fn check(p: &Protocol, out: &mut Findings) {
    for (location, text) in texts(p) {
        let missing = gaps(p, text);
        if !missing.is_empty() {
            out.error(
                "missing-translation",
                location,
                format!(
                    "this text is missing or blank in {}: write it in every language of `languages`",
                    missing.join(", ")
                ),
            );
        }
    }
}

/// Every text a person reads, with its location: the texts checked here,
/// plus the introduction script and the data-use statement (checked under
/// R11, R3 and R17).
pub(super) fn every_text(p: &Protocol) -> Vec<(String, &Text)> {
    let mut all = texts(p);
    all.push(("introduction.script".into(), &p.introduction.script));
    let d = &p.data_use;
    for (field, text) in [
        ("purpose", &d.purpose),
        ("who_sees", &d.who_sees),
        ("protection", &d.protection),
        ("results_return", &d.results_return),
    ] {
        all.push((format!("data_use.{field}"), text));
    }
    all
}

/// Every checked text with its location, in file order.
pub(super) fn texts(p: &Protocol) -> Vec<(String, &Text)> {
    let mut all: Vec<(String, &Text)> = vec![("title".into(), &p.title), ("aim".into(), &p.aim)];
    let rq = occurrences(p.research_questions.iter().map(|r| r.id.as_str()));
    for (id, rq) in rq.iter().zip(&p.research_questions) {
        all.push((format!("research_questions.{id}.text"), &rq.text));
    }
    for (i, d) in p.definitions.iter().enumerate() {
        all.push((format!("definitions[{i}].term"), &d.term));
        all.push((format!("definitions[{i}].meaning"), &d.meaning));
    }
    if let Some(screening) = &p.screening {
        let ids = occurrences(screening.items.iter().map(|i| i.id.as_str()));
        for (id, item) in ids.iter().zip(&screening.items) {
            all.push((format!("screening.items.{id}.text"), &item.text));
        }
    }
    if let Some(referral) = &p.referral {
        all.push(("referral.pathway".into(), &referral.pathway));
        for (i, c) in referral.contacts.iter().enumerate() {
            all.push((format!("referral.contacts[{i}].name"), &c.name));
        }
        all.push(("referral.safety_notes".into(), &referral.safety_notes));
    }
    if let Some(obs) = &p.observation {
        let ids = occurrences(obs.site_types.iter().map(|s| s.id.as_str()));
        for (id, s) in ids.iter().zip(&obs.site_types) {
            all.push((format!("observation.site_types.{id}.label"), &s.label));
        }
        for (i, w) in obs.time_windows.iter().enumerate() {
            all.push((format!("observation.time_windows[{i}].label"), &w.label));
        }
        let ids = occurrences(obs.tallies.iter().map(|t| t.id.as_str()));
        for (id, t) in ids.iter().zip(&obs.tallies) {
            all.push((format!("observation.tallies.{id}.label"), &t.label));
        }
        let ids = occurrences(obs.indicators.iter().map(|i| i.id.as_str()));
        for (id, ind) in ids.iter().zip(&obs.indicators) {
            all.push((format!("observation.indicators.{id}.text"), &ind.text));
        }
    }
    let ids = occurrences(p.sections.iter().map(|s| s.id.as_str()));
    for (id, s) in ids.iter().zip(&p.sections) {
        all.push((format!("sections.{id}.title"), &s.title));
    }
    for (loc, q) in questions_with_location(p) {
        all.push((format!("{loc}.text"), &q.text));
        if let Some(hint) = &q.hint {
            all.push((format!("{loc}.hint"), hint));
        }
        let values = occurrences(q.choices.iter().map(|c| c.value.as_str()));
        for (value, c) in values.iter().zip(&q.choices) {
            all.push((format!("{loc}.choices.{value}.label"), &c.label));
        }
        if let Some(m) = &q.constraint_message {
            all.push((format!("{loc}.constraint_message"), m));
        }
    }
    all.push(("closing".into(), &p.closing));
    all
}
