//! Every text in every declared language (`missing-translation`). The
//! data-use statement and the introduction script are checked under their
//! ethics rules instead (R3, R17, R11), so a gap is reported once.

use super::consent::gaps;
use super::{questions_with_location, Findings};
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

/// Every checked text with its location, in file order.
fn texts(p: &Protocol) -> Vec<(String, &Text)> {
    let mut all: Vec<(String, &Text)> = vec![("title".into(), &p.title), ("aim".into(), &p.aim)];
    for rq in &p.research_questions {
        all.push((format!("research_questions.{}.text", rq.id), &rq.text));
    }
    for (i, d) in p.definitions.iter().enumerate() {
        all.push((format!("definitions[{i}].term"), &d.term));
        all.push((format!("definitions[{i}].meaning"), &d.meaning));
    }
    if let Some(screening) = &p.screening {
        for item in &screening.items {
            all.push((format!("screening.items.{}.text", item.id), &item.text));
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
        for s in &obs.site_types {
            all.push((format!("observation.site_types.{}.label", s.id), &s.label));
        }
        for (i, w) in obs.time_windows.iter().enumerate() {
            all.push((format!("observation.time_windows[{i}].label"), &w.label));
        }
        for t in &obs.tallies {
            all.push((format!("observation.tallies.{}.label", t.id), &t.label));
        }
        for ind in &obs.indicators {
            all.push((format!("observation.indicators.{}.text", ind.id), &ind.text));
        }
    }
    for s in &p.sections {
        all.push((format!("sections.{}.title", s.id), &s.title));
    }
    for (loc, q) in questions_with_location(p) {
        all.push((format!("{loc}.text"), &q.text));
        if let Some(hint) = &q.hint {
            all.push((format!("{loc}.hint"), hint));
        }
        for c in &q.choices {
            all.push((format!("{loc}.choices.{}.label", c.value), &c.label));
        }
        if let Some(m) = &q.constraint_message {
            all.push((format!("{loc}.constraint_message"), m));
        }
    }
    all.push(("closing".into(), &p.closing));
    all
}
