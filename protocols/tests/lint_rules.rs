//! One test per row of the lint contract: a protocol that breaks the rule
//! gets the finding (code, severity, location), and the fixed one does not.

mod common;

use common::{expect, expect_none, observation, question_mut, section_mut, text, valid, with_code};
use fieldkit_protocols::lint::{has_errors, lint, Severity};
use fieldkit_protocols::model::{Definition, Method, QuestionKind};

#[test]
fn the_valid_fixtures_lint_clean() {
    assert_eq!(lint(&valid()), vec![]);
    assert_eq!(lint(&observation()), vec![]);
    assert!(!has_errors(&lint(&valid())));
}

#[test]
fn r1_respondent_consent_is_required() {
    let mut p = valid();
    p.consent.as_mut().unwrap().respondent = false;
    expect(&p, "R1", Severity::Error, "consent.respondent");
    assert!(has_errors(&lint(&p)));

    p.method = Method::KeyInformantInterview; // adults must consent too
    expect(&p, "R1", Severity::Error, "consent.respondent");
    p.consent.as_mut().unwrap().respondent = true;
    expect_none(&p, "R1");
}

#[test]
fn r2_guardian_consent_for_children() {
    let mut p = valid();
    p.consent.as_mut().unwrap().guardian_required_under = 0;
    expect(&p, "R2", Severity::Error, "consent.guardian_required_under");

    p.consent.as_mut().unwrap().guardian_required_under = 16;
    let f = expect(
        &p,
        "R2",
        Severity::Warning,
        "consent.guardian_required_under",
    );
    assert!(f.message.contains("16 to 17"), "{}", f.message);
    assert!(!has_errors(&lint(&p)), "a warning alone does not block");

    p.method = Method::KeyInformantInterview;
    // Adults: no guardian, but then the age question must refuse children.
    expect(
        &p,
        "R2",
        Severity::Error,
        "sections.about_you.questions.age.constraint",
    );
    question_mut(&mut p, "age").constraint = Some(". >= 18 and . <= 99".into());
    expect_none(&p, "R2");
    p.method = Method::ChildInterview;
    p.consent.as_mut().unwrap().guardian_required_under = 18;
    expect_none(&p, "R2");
}

#[test]
fn r3_data_use_statement_in_every_language() {
    let mut p = valid();
    p.data_use.who_sees.0.insert("fr".into(), "  ".into());
    let f = expect(&p, "R3", Severity::Error, "data_use.who_sees");
    assert!(f.message.contains("blank in fr"), "{}", f.message);
    expect_none(&p, "missing-translation");

    p.data_use.protection.0.remove("en");
    expect(&p, "R3", Severity::Error, "data_use.protection");
    p.data_use = valid().data_use;
    expect_none(&p, "R3");
}

#[test]
fn r5_children_are_screened_first() {
    let mut p = valid();
    p.screening.as_mut().unwrap().items.clear();
    expect(&p, "R5", Severity::Error, "screening");
    p.screening = None;
    expect(&p, "R5", Severity::Error, "screening");

    p.method = Method::KeyInformantInterview;
    expect_none(&p, "R5");
}

#[test]
fn r6_sensitive_questions_come_last() {
    let mut p = valid();
    question_mut(&mut p, "group").sensitive = true;
    let f = expect(
        &p,
        "R6",
        Severity::Error,
        "sections.about_you.questions.group",
    );
    assert!(
        f.message
            .contains("`group` is sensitive but comes before `difficulty`"),
        "{}",
        f.message
    );
    assert_eq!(with_code(&p, "R6").len(), 1);

    // Fixed by moving it after the last non-sensitive question.
    let about = section_mut(&mut p, "about_you");
    let group = about.questions.remove(4);
    section_mut(&mut p, "work").questions.push(group);
    expect_none(&p, "R6");
}

#[test]
fn r10_confrontational_wording_per_language() {
    let mut p = valid();
    question_mut(&mut p, "hours").text = text(
        "Why did you work so long yesterday?",
        "Pourquoi tu as travaillé si longtemps hier ?",
    );
    let found = with_code(&p, "R10");
    assert_eq!(found.len(), 2, "{found:#?}");
    let f = expect(
        &p,
        "R10",
        Severity::Warning,
        "sections.work.questions.hours.text",
    );
    assert!(f.message.contains("\"why did you\""), "{}", f.message);
    assert!(found
        .iter()
        .any(|f| f.message.contains("fr text") && f.message.contains("pourquoi tu")));

    // Matching is on whole words: "admitted" is not "admit".
    question_mut(&mut p, "hours").text = text(
        "Were you admitted to school?",
        "As-tu été admis à l'école ?",
    );
    expect_none(&p, "R10");
}

#[test]
fn r11_interviewer_and_organisation_are_named() {
    let mut p = valid();
    p.introduction.organisation = " ".into();
    expect(&p, "R11", Severity::Error, "introduction.organisation");

    let mut p = valid();
    p.introduction
        .script
        .0
        .insert("fr".into(), "Bonjour, je suis {interviewer}.".into());
    let f = expect(&p, "R11", Severity::Error, "introduction.script");
    assert!(
        f.message.contains("fr") && f.message.contains("{organisation}"),
        "{}",
        f.message
    );
    assert!(!f.message.contains("{interviewer} and"), "{}", f.message);

    p.introduction.script.0.remove("fr");
    expect(&p, "R11", Severity::Error, "introduction.script");
    expect_none(&p, "missing-translation");
    p.introduction = valid().introduction;
    expect_none(&p, "R11");
}

#[test]
fn r16_every_item_serves_a_research_question() {
    let mut p = valid();
    question_mut(&mut p, "hours").purpose = "rq9".into();
    let f = expect(
        &p,
        "R16",
        Severity::Error,
        "sections.work.questions.hours.purpose",
    );
    assert!(
        f.message.contains("\"rq9\"") && f.message.contains("rq1"),
        "{}",
        f.message
    );
    question_mut(&mut p, "hours").purpose = String::new();
    expect(
        &p,
        "R16",
        Severity::Error,
        "sections.work.questions.hours.purpose",
    );
    question_mut(&mut p, "hours").purpose = "disaggregation".into();
    expect_none(&p, "R16");

    let mut p = observation();
    let obs = p.observation.as_mut().unwrap();
    obs.tallies[0].purpose = "why_not".into();
    obs.indicators[0].purpose = " ".into();
    expect(
        &p,
        "R16",
        Severity::Error,
        "observation.tallies.carrying.purpose",
    );
    expect(
        &p,
        "R16",
        Severity::Error,
        "observation.indicators.adult_watching.purpose",
    );
}

#[test]
fn r17_results_return_to_respondents() {
    let mut p = valid();
    p.data_use
        .results_return
        .0
        .insert("en".into(), String::new());
    let f = expect(&p, "R17", Severity::Error, "data_use.results_return");
    assert!(f.message.contains("blank in en"), "{}", f.message);
    expect_none(&p, "R3");
    expect_none(&p, "missing-translation");
}

#[test]
fn r18_referral_for_children() {
    let mut p = valid();
    p.referral = None;
    expect(&p, "R18", Severity::Error, "referral");

    let mut p = valid();
    p.referral.as_mut().unwrap().safety_notes = text("", " ");
    expect(&p, "R18", Severity::Error, "referral.safety_notes");
    // A gap in one language is a translation problem, not a missing pathway.
    let mut p = valid();
    p.referral.as_mut().unwrap().pathway.0.remove("fr");
    expect_none(&p, "R18");
    expect(
        &p,
        "missing-translation",
        Severity::Error,
        "referral.pathway",
    );

    let mut p = observation();
    p.referral = None;
    expect_none(&p, "R18");
}

#[test]
fn r19_key_terms_are_defined() {
    let mut p = valid();
    question_mut(&mut p, "hours").text = text(
        "How many hours of hazardous work did you do?",
        "Combien d'heures de travaux dangereux as-tu faites ?",
    );
    let found = with_code(&p, "R19");
    assert_eq!(found.len(), 2, "{found:#?}");
    let f = expect(
        &p,
        "R19",
        Severity::Warning,
        "sections.work.questions.hours.text",
    );
    assert!(
        f.message.contains("\"hazardous work\" (en)")
            || f.message.contains("\"travaux dangereux\" (fr)")
    );

    // "child labour" is defined by the fixture already.
    question_mut(&mut p, "works").text =
        text("Is this child labour?", "Est-ce du travail des enfants ?");
    assert_eq!(with_code(&p, "R19").len(), 2);

    p.definitions.push(Definition {
        term: text("hazardous work", "travaux dangereux"),
        meaning: text("Work that harms health.", "Travail qui nuit à la santé."),
    });
    expect_none(&p, "R19");
}

#[test]
fn r20_observation_is_timed_to_the_activity() {
    let mut p = observation();
    p.observation.as_mut().unwrap().time_windows.clear();
    expect(&p, "R20", Severity::Error, "observation.time_windows");

    let mut p = observation();
    p.observation.as_mut().unwrap().time_windows[0].start = "25:00".into();
    p.observation.as_mut().unwrap().time_windows[0].end = "2:00".into();
    expect(
        &p,
        "R20",
        Severity::Error,
        "observation.time_windows[0].start",
    );
    expect(
        &p,
        "R20",
        Severity::Error,
        "observation.time_windows[0].end",
    );

    let mut p = observation();
    p.observation = None;
    expect(&p, "R20", Severity::Error, "observation");
    expect(&p, "method-block", Severity::Error, "observation");
    expect_none(&observation(), "R20");
}

#[test]
fn r21_no_identifying_fields_on_observation_sheets() {
    let mut p = observation();
    section_mut(&mut p, "work").questions[0].identifying = true;
    expect(
        &p,
        "R21",
        Severity::Error,
        "sections.work.questions.works.identifying",
    );

    let mut p = observation();
    section_mut(&mut p, "work").questions[0].kind = QuestionKind::Text;
    expect(
        &p,
        "R21",
        Severity::Warning,
        "sections.work.questions.works",
    );

    // An interview may hold identifying answers; they stay on the device.
    let mut p = valid();
    question_mut(&mut p, "group").identifying = true;
    expect_none(&p, "R21");
}

#[test]
fn r23_disaggregation_for_children() {
    let mut p = valid();
    question_mut(&mut p, "group").disaggregation = None;
    let f = expect(&p, "R23", Severity::Warning, "sections");
    assert!(f.message.contains("\"ethnicity\""), "{}", f.message);
    assert_eq!(with_code(&p, "R23").len(), 1);

    let mut p = valid();
    question_mut(&mut p, "age").kind = QuestionKind::SingleChoice;
    let f = expect(
        &p,
        "R23",
        Severity::Error,
        "sections.about_you.questions.age.kind",
    );
    assert!(f.message.contains("integer"), "{}", f.message);

    let mut p = valid();
    p.method = Method::KeyInformantInterview;
    question_mut(&mut p, "group").disaggregation = None;
    expect_none(&p, "R23");
}

/// A regional tag uses its language's word lists: `en-GB` is checked as `en`.
#[test]
fn word_rules_follow_the_primary_language_subtag() {
    let mut p = valid();
    question_mut(&mut p, "hours").text = text(
        "Why did you work so long yesterday?",
        "Combien d'heures as-tu travaillé hier ?",
    );
    let mut json = serde_json::to_string(&p).unwrap();
    json = json.replace("\"en\"", "\"en-GB\"");
    let p: fieldkit_protocols::Protocol = serde_json::from_str(&json).unwrap();
    assert_eq!(p.languages, ["en-GB", "fr"]);
    let f = expect(
        &p,
        "R10",
        Severity::Warning,
        "sections.work.questions.hours.text",
    );
    assert!(f.message.contains("en-GB"), "{}", f.message);
}
