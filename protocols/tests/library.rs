//! The shipped protocol library: every file parses, is complete in every
//! language it declares, lints clean, and together they cover every method.

use std::collections::{BTreeMap, BTreeSet};

use fieldkit_protocols::expr;
use fieldkit_protocols::library::{
    demo_source, demo_study, load_all, DEMO_STUDY, SHIPPED, STUDY_TEMPLATE,
};
use fieldkit_protocols::lint::{has_errors, lint, Locator, Severity, DEMO_PHONE};
use fieldkit_protocols::model::{Method, Protocol, Question, QuestionKind, Text, Weekday};
use fieldkit_protocols::study::{merge, parse_study};
use fieldkit_protocols::{parse_protocol, Value};

type Answers = BTreeMap<String, Value>;

const WEEK: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

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
    assert_eq!(
        SHIPPED.len(),
        Method::ALL.len(),
        "one shipped protocol per method"
    );
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

/// The first TOML block of the authors' guide is its "complete example".
fn guide_example() -> &'static str {
    let guide = include_str!("../../docs/protocols.md");
    let start = guide
        .find("```toml\n")
        .expect("the guide has a TOML example")
        + 8;
    let len = guide[start..]
        .find("```")
        .expect("the example block is closed");
    &guide[start..start + len]
}

#[test]
fn the_guide_example_parses() {
    if let Err(err) = parse_protocol("docs/protocols.md", guide_example()) {
        panic!("{err}");
    }
}

fn protocol(id: &str) -> Protocol {
    load_all()
        .into_iter()
        .find(|p| p.id == id)
        .unwrap_or_else(|| panic!("no shipped protocol `{id}`"))
}

fn constraint_holds(q: &Question, answers: &Answers, value: &Value) -> bool {
    let src = q.constraint.as_deref().expect("question has a constraint");
    let expr = expr::parse(src).unwrap_or_else(|e| panic!("{}: {e}", q.id));
    expr.eval(answers, Some(value))
        .unwrap_or_else(|e| panic!("{}: {e}", q.id))
}

fn is_relevant(q: &Question, answers: &Answers) -> bool {
    q.relevant.as_deref().is_none_or(|src| {
        let expr = expr::parse(src).unwrap_or_else(|e| panic!("{}: {e}", q.id));
        expr.eval(answers, None)
            .unwrap_or_else(|e| panic!("{}: {e}", q.id))
    })
}

#[test]
fn child_ages_are_whole_years_within_the_protocols_range() {
    for (id, youngest) in [("child-rapid-assessment", 5), ("school-survey", 8)] {
        let p = protocol(id);
        let age = p.question("age").expect("child protocols ask the age");
        assert_eq!(age.kind, QuestionKind::Integer, "{id}");
        let none = Answers::new();
        for (years, ok) in [
            (youngest - 1, false),
            (youngest, true),
            (17, true),
            (18, false),
        ] {
            assert_eq!(
                constraint_holds(age, &none, &Value::Integer(years)),
                ok,
                "{id}: age {years}"
            );
        }
    }
}

/// Respondents may decline any question: a skipped age must not make the
/// later age questions impossible to answer, while a given age still bounds them.
#[test]
fn a_skipped_earlier_answer_does_not_block_a_later_question() {
    let p = protocol("child-rapid-assessment");
    let left_school = p.question("age_left_school").unwrap();
    let skipped = Answers::new();
    assert!(constraint_holds(left_school, &skipped, &Value::Integer(10)));
    let ten = Answers::from([("age".to_owned(), Value::Integer(10))]);
    assert!(constraint_holds(left_school, &ten, &Value::Integer(9)));
    assert!(!constraint_holds(left_school, &ten, &Value::Integer(12)));

    let p = protocol("establishment-survey");
    let under_18 = p.question("workers_under_18").unwrap();
    assert!(constraint_holds(under_18, &skipped, &Value::Integer(3)));
    let five = Answers::from([("workers_total".to_owned(), Value::Integer(5))]);
    assert!(!constraint_holds(under_18, &five, &Value::Integer(6)));
}

#[test]
fn a_child_who_never_left_home_is_not_asked_about_the_journey() {
    let p = protocol("child-rapid-assessment");
    let journey = p.sections.iter().find(|s| s.id == "journey").unwrap();
    let (gateway, rest) = journey.questions.split_first().unwrap();
    assert_eq!(gateway.id, "left_home_to_work");
    let stayed = Answers::from([(gateway.id.clone(), Value::Bool(false))]);
    let asked: Vec<_> = rest
        .iter()
        .filter(|q| is_relevant(q, &stayed))
        .map(|q| &q.id)
        .collect();
    assert!(
        asked.is_empty(),
        "asked although the child never left: {asked:?}"
    );

    let left = Answers::from([(gateway.id.clone(), Value::Bool(true))]);
    let skipped: Vec<_> = rest
        .iter()
        .filter(|q| q.relevant.as_deref() == Some("left_home_to_work = true"))
        .filter(|q| !is_relevant(q, &left))
        .map(|q| &q.id)
        .collect();
    assert!(
        skipped.is_empty(),
        "not asked although the child left: {skipped:?}"
    );
}

#[test]
fn none_of_these_cannot_be_ticked_with_another_answer() {
    let mut checked = 0;
    for p in load_all() {
        for q in p.questions() {
            if q.kind != QuestionKind::MultipleChoice
                || !q.choices.iter().any(|c| c.value == "none")
            {
                continue;
            }
            let other = q.choices.iter().find(|c| c.value != "none").unwrap();
            let pick =
                |values: &[&str]| Value::Choices(values.iter().map(|v| v.to_string()).collect());
            let none = Answers::new();
            assert!(
                constraint_holds(q, &none, &pick(&["none"])),
                "{}.{}",
                p.id,
                q.id
            );
            assert!(
                constraint_holds(q, &none, &pick(&[&other.value])),
                "{}.{}",
                p.id,
                q.id
            );
            assert!(
                !constraint_holds(q, &none, &pick(&["none", &other.value])),
                "{}.{}: 'none' was accepted with '{}'",
                p.id,
                q.id,
                other.value
            );
            checked += 1;
        }
    }
    assert!(checked >= 5, "only {checked} questions checked");
}

fn minutes(hhmm: &str) -> u32 {
    let (h, m) = hhmm.split_once(':').expect("HH:MM");
    h.parse::<u32>().unwrap() * 60 + m.parse::<u32>().unwrap()
}

/// Manual 1.7: preliminary research needs "24-hour coverage throughout the
/// week": every hour of every day falls in some planned window (R20).
#[test]
fn observation_windows_cover_every_hour_of_the_week() {
    let p = protocol("observation-transport-hub");
    let windows = &p.observation.as_ref().unwrap().time_windows;
    let mut gaps = Vec::new();
    for (day_index, day) in WEEK.iter().enumerate() {
        for hour in 0..24 {
            let at = hour * 60;
            let covered = windows.iter().any(|w| {
                let (start, end) = (minutes(&w.start), minutes(&w.end));
                if start < end {
                    w.days.contains(day) && start <= at && at < end
                } else {
                    // Crosses midnight: the early hours belong to the previous day's window.
                    let previous = WEEK[(day_index + 6) % 7];
                    (w.days.contains(day) && at >= start)
                        || (w.days.contains(&previous) && at < end)
                }
            });
            if !covered {
                gaps.push(format!("{day:?} {hour:02}:00"));
            }
        }
    }
    assert!(
        gaps.is_empty(),
        "hours with no observation window: {gaps:?}"
    );
}

/// The templates are refused alone: their organisation and referral contacts
/// are placeholders, and nothing else is wrong with them.
#[test]
fn every_template_alone_is_refused_for_its_placeholders_only() {
    for shipped in SHIPPED {
        let template = parse_protocol(shipped.file, shipped.source).unwrap();
        let findings = lint(&template);
        assert!(has_errors(&findings), "{}", shipped.file);
        let codes: BTreeSet<&str> = findings.iter().map(|f| f.code.as_str()).collect();
        assert_eq!(
            codes,
            BTreeSet::from(["placeholder"]),
            "{}: {findings:#?}",
            shipped.file
        );
        let at: BTreeSet<&str> = findings.iter().map(|f| f.location.as_str()).collect();
        assert!(
            at.contains("introduction.organisation"),
            "{}: {at:?}",
            shipped.file
        );
        assert!(
            at.contains("referral.contacts[0].phone"),
            "{}: {at:?}",
            shipped.file
        );
        assert!(
            at.contains("referral.contacts[0].name"),
            "{}: {at:?}",
            shipped.file
        );
        // Each finding points at the placeholder's own line in the template.
        let locator = Locator::new(shipped.source);
        for f in &findings {
            let line = locator.line(&f.location).expect("located");
            let text = shipped.source.lines().nth(line - 1).unwrap();
            assert!(
                text.contains("REPLACE") || text.contains("+000"),
                "{}: {} points at line {line}: {text}",
                shipped.file,
                f.location
            );
        }
    }
}

/// The study file a team copies is refused until it is filled in, and the
/// findings are about the study file, not the template.
#[test]
fn the_study_template_is_refused_until_filled_in() {
    let study = parse_study("study-template.toml", STUDY_TEMPLATE).unwrap();
    assert!(!study.demo);
    let merged = merge(SHIPPED[0].file, SHIPPED[0].source, &study).unwrap();
    let findings = lint(&merged.protocol);
    assert!(has_errors(&findings));
    for f in &findings {
        assert_eq!(f.code, "placeholder", "{f}");
        assert!(
            study.location(&f.location).is_some(),
            "{f} is not the study's"
        );
    }
}

#[test]
fn demo_protocols_are_marked_and_hand_out_no_number() {
    let study = demo_study();
    assert!(study.demo);
    assert!(DEMO_STUDY.contains("demo = true"));
    for p in load_all() {
        assert!(p.demo, "{}", p.id);
        assert!(p.introduction.organisation.contains("demo"), "{}", p.id);
        let referral = p
            .referral
            .as_ref()
            .expect("every shipped protocol has a referral");
        assert!(!referral.contacts.is_empty());
        for c in &referral.contacts {
            assert_eq!(c.phone, DEMO_PHONE, "{}", p.id);
            assert!(
                c.name
                    .0
                    .values()
                    .all(|n| n.contains("DEMO") || n.contains("DÉMO")),
                "{}: {:?}",
                p.id,
                c.name
            );
        }
    }
    // The demo source is what is published, and reads back as the same protocol.
    let source = demo_source(SHIPPED[0].file);
    assert_eq!(parse_protocol("demo", &source).unwrap(), load_all()[0]);
    // Without its `demo` mark, the same values are refused: a number that
    // reads "DEMO" is no number.
    let mut unmarked = load_all().remove(0);
    unmarked.demo = false;
    let refused: Vec<_> = lint(&unmarked)
        .into_iter()
        .filter(|f| f.code == "placeholder" && f.severity == Severity::Error)
        .collect();
    assert_eq!(
        refused.len(),
        unmarked.referral.unwrap().contacts.len(),
        "{refused:#?}"
    );
}

#[test]
fn every_shipped_protocol_lints_without_errors_or_warnings() {
    let mut report = Vec::new();
    for (shipped, p) in SHIPPED.iter().zip(load_all()) {
        for finding in lint(&p) {
            report.push(format!("{}: {finding}", shipped.file));
        }
    }
    assert!(report.is_empty(), "lint findings:\n{}", report.join("\n"));
}

#[test]
fn the_guide_example_lints_clean() {
    let example = parse_protocol("docs/protocols.md", guide_example()).unwrap();
    let findings: Vec<String> = lint(&example).iter().map(ToString::to_string).collect();
    assert!(findings.is_empty(), "{}", findings.join("\n"));
}

/// Guards the clean-lint test against a linter that finds nothing: breaking one
/// rule in each shipped protocol is reported.
#[test]
fn breaking_a_rule_in_a_shipped_protocol_is_reported() {
    for mut p in load_all() {
        for text in p.data_use.results_return.0.values_mut() {
            text.clear();
        }
        let codes: Vec<String> = lint(&p).into_iter().map(|f| f.code).collect();
        assert!(codes.contains(&"R17".to_owned()), "{}: {codes:?}", p.id);
    }
}

/// The fuzzer's protocol seeds are the shipped templates and one template as
/// `demo` publishes it; they must not drift from the library.
/// `FIELDKIT_BLESS_SEEDS=1` rewrites them.
#[test]
fn fuzz_seeds_are_in_step_with_the_library() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/protocol_source");
    let mut expected: Vec<(String, String)> = SHIPPED
        .iter()
        .map(|s| (s.file.to_owned(), s.source.to_owned()))
        .collect();
    expected.push((
        "child-rapid-assessment.demo.toml".to_owned(),
        demo_source("child-rapid-assessment.toml"),
    ));
    let bless = std::env::var_os("FIELDKIT_BLESS_SEEDS").is_some();
    for (file, content) in expected {
        let path = dir.join(&file);
        if bless {
            std::fs::write(&path, &content).unwrap();
        }
        let seed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(seed == content, "fuzz/seeds/protocol_source/{file} differs from the library: run with FIELDKIT_BLESS_SEEDS=1");
    }
}
