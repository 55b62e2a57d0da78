//! What the linter hands to the CLI: sorted findings, JSON, and source lines.

mod common;

use common::{observation, question_mut, text, valid, VALID_CHILD_INTERVIEW};
use fieldkit_protocols::lint::{lint, locate, Finding, Severity};
use fieldkit_protocols::model::{TimeWindow, Weekday};

#[test]
fn findings_are_sorted_errors_first_then_by_location() {
    let mut p = valid();
    p.consent.as_mut().unwrap().guardian_required_under = 16; // warning
    question_mut(&mut p, "hours").purpose = "nothing".into(); // error
    p.consent.as_mut().unwrap().respondent = false; // error
    p.referral = None; // error
    let found = lint(&p);
    let keys: Vec<(Severity, &str)> = found
        .iter()
        .map(|f| (f.severity, f.location.as_str()))
        .collect();
    assert_eq!(
        keys,
        vec![
            (Severity::Error, "consent.respondent"),
            (Severity::Error, "referral"),
            (Severity::Error, "sections.work.questions.hours.purpose"),
            (Severity::Warning, "consent.guardian_required_under"),
        ]
    );
    assert_eq!(lint(&p.clone()), found, "same input, same output");
}

#[test]
fn findings_serialise_for_json_output() {
    let mut p = valid();
    question_mut(&mut p, "group").sensitive = true;
    let json = serde_json::to_value(lint(&p)).unwrap();
    assert_eq!(json[0]["code"], "R6");
    assert_eq!(json[0]["rule"], "R6");
    assert_eq!(json[0]["severity"], "error");
    assert_eq!(json[0]["location"], "sections.about_you.questions.group");
    let mut p = valid();
    p.languages.clear();
    let json = serde_json::to_value(lint(&p)).unwrap();
    assert_eq!(json[0]["rule"], serde_json::Value::Null);
}

fn line_of(source: &str, finding: &Finding) -> &'static str {
    let line = locate(source, finding).expect("located");
    source.lines().nth(line - 1).unwrap().to_owned().leak()
}

fn finding_at(location: &str) -> Finding {
    Finding {
        code: "x".into(),
        rule: None,
        severity: Severity::Error,
        location: location.into(),
        message: String::new(),
    }
}

#[test]
fn locate_finds_the_line_a_finding_is_about() {
    let src = VALID_CHILD_INTERVIEW;
    assert_eq!(
        line_of(src, &finding_at("sections.work.questions.hours")),
        "id = \"hours\""
    );
    assert_eq!(
        line_of(src, &finding_at("sections.work.questions.hours.relevant")),
        "relevant = \"works = true and age < 18\""
    );
    assert_eq!(
        line_of(
            src,
            &finding_at("sections.about_you.questions.sex.choices.boy.label")
        ),
        "  { value = \"boy\", label = { en = \"Boy\", fr = \"Garçon\" } },"
    );
    assert!(line_of(src, &finding_at("data_use.who_sees")).starts_with("who_sees = "));
    assert!(line_of(src, &finding_at("consent.respondent")).starts_with("respondent = true"));
    assert!(line_of(src, &finding_at("closing")).starts_with("closing = "));
    assert!(line_of(src, &finding_at("screening.items.distress.text")).starts_with("text = "));
    // A field the question does not have falls back to the question's id line.
    assert_eq!(
        line_of(src, &finding_at("sections.work.questions.hurt.constraint")),
        "id = \"hurt\""
    );
    assert_eq!(locate(src, &finding_at("focus_group")), None);
}

#[test]
fn locate_follows_real_findings_through_a_written_file() {
    let mut p = observation();
    p.observation
        .as_mut()
        .unwrap()
        .time_windows
        .push(TimeWindow {
            label: text("Evening", "Soir"),
            days: vec![Weekday::Sun],
            start: "18:00".into(),
            end: "9pm".into(),
        });
    let src = fieldkit_protocols::to_toml(&p);
    let f = lint(&p)
        .into_iter()
        .find(|f| f.code == "R20" && f.location == "observation.time_windows[1].end")
        .expect("R20 for the malformed end time");
    assert_eq!(line_of(&src, &f), "end = \"9pm\"");
}
