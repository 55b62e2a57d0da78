//! The shipped protocol library: every file parses, is complete in every
//! language it declares, lints clean, and together they cover every method.

use std::collections::{BTreeMap, BTreeSet};

use fieldkit_protocols::library::{load_all, SHIPPED};
use fieldkit_protocols::model::{Method, Protocol, Text};
use fieldkit_protocols::parse_protocol;

/// Every text of a protocol, with where it is, so a missing translation can be named.
fn texts(p: &Protocol) -> Vec<(String, &Text)> {
    let mut out: Vec<(String, &Text)> = vec![
        ("title".into(), &p.title),
        ("aim".into(), &p.aim),
        ("introduction.script".into(), &p.introduction.script),
        ("data_use.purpose".into(), &p.data_use.purpose),
        ("data_use.who_sees".into(), &p.data_use.who_sees),
        ("data_use.protection".into(), &p.data_use.protection),
        ("data_use.results_return".into(), &p.data_use.results_return),
        ("closing".into(), &p.closing),
    ];
    for rq in &p.research_questions {
        out.push((format!("research_questions.{}", rq.id), &rq.text));
    }
    for (i, d) in p.definitions.iter().enumerate() {
        out.push((format!("definitions[{i}].term"), &d.term));
        out.push((format!("definitions[{i}].meaning"), &d.meaning));
    }
    if let Some(screening) = &p.screening {
        for item in &screening.items {
            out.push((format!("screening.{}", item.id), &item.text));
        }
    }
    if let Some(referral) = &p.referral {
        out.push(("referral.pathway".into(), &referral.pathway));
        out.push(("referral.safety_notes".into(), &referral.safety_notes));
        for (i, c) in referral.contacts.iter().enumerate() {
            out.push((format!("referral.contacts[{i}].name"), &c.name));
        }
    }
    if let Some(obs) = &p.observation {
        for s in &obs.site_types {
            out.push((format!("observation.site_types.{}", s.id), &s.label));
        }
        for (i, w) in obs.time_windows.iter().enumerate() {
            out.push((format!("observation.time_windows[{i}]"), &w.label));
        }
        for t in &obs.tallies {
            out.push((format!("observation.tallies.{}", t.id), &t.label));
        }
        for ind in &obs.indicators {
            out.push((format!("observation.indicators.{}", ind.id), &ind.text));
        }
    }
    for s in &p.sections {
        out.push((format!("sections.{}.title", s.id), &s.title));
        for q in &s.questions {
            let at = format!("sections.{}.questions.{}", s.id, q.id);
            out.push((format!("{at}.text"), &q.text));
            if let Some(hint) = &q.hint {
                out.push((format!("{at}.hint"), hint));
            }
            if let Some(message) = &q.constraint_message {
                out.push((format!("{at}.constraint_message"), message));
            }
            for c in &q.choices {
                out.push((format!("{at}.choices.{}", c.value), &c.label));
            }
        }
    }
    out
}

#[test]
fn every_shipped_protocol_parses() {
    assert_eq!(SHIPPED.len(), 6, "one shipped protocol per method");
    for shipped in SHIPPED {
        if let Err(err) = parse_protocol(shipped.file, shipped.source) {
            panic!("{err}");
        }
    }
    assert_eq!(load_all().len(), SHIPPED.len());
}

#[test]
fn file_names_match_protocol_ids() {
    for (shipped, protocol) in SHIPPED.iter().zip(load_all()) {
        assert_eq!(shipped.file, format!("{}.toml", protocol.id));
    }
}

#[test]
fn every_text_exists_in_every_declared_language() {
    for p in load_all() {
        assert_eq!(
            p.languages,
            ["en", "fr"],
            "{}: shipped protocols are bilingual",
            p.id
        );
        let mut missing = Vec::new();
        for (at, text) in texts(&p) {
            for lang in &p.languages {
                if text.get(lang).is_none_or(|t| t.trim().is_empty()) {
                    missing.push(format!("{}: {at} [{lang}]", p.id));
                }
            }
            let extra: Vec<_> = text.0.keys().filter(|k| !p.languages.contains(k)).collect();
            assert!(
                extra.is_empty(),
                "{}: {at} has undeclared languages {extra:?}",
                p.id
            );
        }
        assert!(
            missing.is_empty(),
            "missing translations:\n{}",
            missing.join("\n")
        );
    }
}

#[test]
fn the_six_methods_are_all_covered() {
    let covered: BTreeSet<&str> = load_all().iter().map(|p| p.method.as_str()).collect();
    let all: BTreeSet<&str> = Method::ALL.iter().map(|m| m.as_str()).collect();
    assert_eq!(covered, all);
}

#[test]
fn protocol_ids_are_unique_across_the_library() {
    let mut seen = BTreeMap::new();
    for (shipped, p) in SHIPPED.iter().zip(load_all()) {
        if let Some(other) = seen.insert(p.id.clone(), shipped.file) {
            panic!(
                "protocol id `{}` is used by {other} and {}",
                p.id, shipped.file
            );
        }
    }
}

#[test]
fn introduction_scripts_name_the_interviewer_and_organisation() {
    for p in load_all() {
        for lang in &p.languages {
            let script = p.introduction.script.get(lang).unwrap_or_default();
            assert!(script.contains("{interviewer}"), "{} [{lang}]", p.id);
            assert!(script.contains("{organisation}"), "{} [{lang}]", p.id);
        }
    }
}
