//! One test per row of the lint contract: a protocol that breaks the rule
//! gets the finding (code, severity, location), and the fixed one does not.

mod common;

use common::{question_mut, section_mut, valid, VALID_CHILD_INTERVIEW};
use fieldkit_protocols::lint::{has_errors, lint, locate, Finding, Severity};
use fieldkit_protocols::model::{
    FocusGroup, Indicator, Method, Observation, Protocol, QuestionKind, SiteType, Tally, Text,
    TimeWindow, Weekday,
};
use fieldkit_protocols::Rule;

fn with_code(p: &Protocol, code: &str) -> Vec<Finding> {
    lint(p).into_iter().filter(|f| f.code == code).collect()
}

/// The one finding with `code` at `location`; fails if it is missing.
fn expect(p: &Protocol, code: &str, severity: Severity, location: &str) -> Finding {
    let all = lint(p);
    let hit = all
        .iter()
        .find(|f| f.code == code && f.location == location)
        .unwrap_or_else(|| panic!("expected {code} at {location}, got {all:#?}"))
        .clone();
    assert_eq!(hit.severity, severity, "{hit:?}");
    if let Ok(rule) = code.parse::<Rule>() {
        assert_eq!(hit.rule, Some(rule));
        assert!(
            hit.message.contains(&format!("({code}: ")),
            "{}",
            hit.message
        );
    } else {
        assert_eq!(hit.rule, None);
    }
    hit
}

fn expect_none(p: &Protocol, code: &str) {
    let found = with_code(p, code);
    assert!(found.is_empty(), "expected no {code}, got {found:#?}");
}

fn text(en: &str, fr: &str) -> Text {
    Text(
        [("en", en), ("fr", fr)]
            .map(|(l, t)| (l.to_owned(), t.to_owned()))
            .into(),
    )
}

/// The fixture turned into a valid observation protocol: nobody is asked
/// anything, so consent, screening and disaggregation do not apply.
fn observation() -> Protocol {
    let mut p = valid();
    p.method = Method::DirectObservation;
    p.consent = None;
    p.screening = None;
    p.referral = None;
    p.sections.retain(|s| s.id == "work");
    let work = section_mut(&mut p, "work");
    work.questions.retain(|q| q.id == "works");
    work.questions[0].text = text(
        "Are children working here?",
        "Des enfants travaillent-ils ici ?",
    );
    p.observation = Some(Observation {
        site_types: vec![SiteType {
            id: "market".into(),
            label: text("Market", "Marché"),
        }],
        time_windows: vec![TimeWindow {
            label: text("Night", "Nuit"),
            days: vec![Weekday::Fri, Weekday::Sat],
            start: "22:00".into(),
            end: "02:00".into(),
        }],
        tallies: vec![Tally {
            id: "carrying".into(),
            label: text("Children carrying loads", "Enfants portant des charges"),
            purpose: "rq1".into(),
        }],
        age_groups: vec!["5-11".into(), "12-17".into()],
        indicators: vec![Indicator {
            id: "adult_watching".into(),
            text: text(
                "An adult watches the children",
                "Un adulte surveille les enfants",
            ),
            purpose: "rq1".into(),
        }],
    });
    p
}

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

    p.definitions.push(fieldkit_protocols::model::Definition {
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

#[test]
fn duplicate_ids_within_each_kind() {
    let mut p = valid();
    question_mut(&mut p, "hours").id = "works".into();
    let f = expect(
        &p,
        "duplicate-id",
        Severity::Error,
        "sections.work.questions.works",
    );
    assert!(f.message.contains("question id `works`"), "{}", f.message);

    let mut p = valid();
    question_mut(&mut p, "sex").choices[1].value = "girl".into();
    expect(
        &p,
        "duplicate-id",
        Severity::Error,
        "sections.about_you.questions.sex.choices.girl",
    );

    let mut p = valid();
    section_mut(&mut p, "work").id = "about_you".into();
    expect(&p, "duplicate-id", Severity::Error, "sections.about_you");

    let mut p = valid();
    p.research_questions.push(p.research_questions[0].clone());
    expect(
        &p,
        "duplicate-id",
        Severity::Error,
        "research_questions.rq1",
    );

    let mut p = valid();
    let items = &mut p.screening.as_mut().unwrap().items;
    items.push(items[0].clone());
    expect(
        &p,
        "duplicate-id",
        Severity::Error,
        "screening.items.distress",
    );

    let mut p = observation();
    let obs = p.observation.as_mut().unwrap();
    obs.tallies.push(obs.tallies[0].clone());
    obs.site_types.push(obs.site_types[0].clone());
    obs.indicators.push(obs.indicators[0].clone());
    expect(
        &p,
        "duplicate-id",
        Severity::Error,
        "observation.tallies.carrying",
    );
    expect(
        &p,
        "duplicate-id",
        Severity::Error,
        "observation.site_types.market",
    );
    expect(
        &p,
        "duplicate-id",
        Severity::Error,
        "observation.indicators.adult_watching",
    );

    // A section may share an id with a question.
    let mut p = valid();
    section_mut(&mut p, "work").id = "works".into();
    expect_none(&p, "duplicate-id");
}

#[test]
fn choice_questions_need_choices() {
    let mut p = valid();
    question_mut(&mut p, "lives_with").choices.clear();
    let f = expect(
        &p,
        "missing-choices",
        Severity::Error,
        "sections.about_you.questions.lives_with.choices",
    );
    assert!(f.message.contains("multiple_choice"), "{}", f.message);
    question_mut(&mut p, "lives_with").kind = QuestionKind::Text;
    expect_none(&p, "missing-choices");
}

#[test]
fn expressions_must_parse() {
    let mut p = valid();
    question_mut(&mut p, "hours").relevant = Some("works = = true".into());
    let f = expect(
        &p,
        "bad-expression",
        Severity::Error,
        "sections.work.questions.hours.relevant",
    );
    assert!(f.message.contains("column 9"), "{}", f.message);

    question_mut(&mut p, "hours").relevant = Some(". > 3".into());
    let f = expect(
        &p,
        "bad-expression",
        Severity::Error,
        "sections.work.questions.hours.relevant",
    );
    assert!(f.message.contains("only in a constraint"), "{}", f.message);

    question_mut(&mut p, "hours").relevant = None;
    question_mut(&mut p, "hours").constraint = Some(". >= 0 and . <<= 24".into());
    expect(
        &p,
        "bad-expression",
        Severity::Error,
        "sections.work.questions.hours.constraint",
    );
    question_mut(&mut p, "hours").constraint = Some(". >= 0 and . <= 24".into());
    expect_none(&p, "bad-expression");
}

#[test]
fn expressions_refer_to_known_questions() {
    let mut p = valid();
    question_mut(&mut p, "hours").relevant = Some("wroks = true".into());
    let f = expect(
        &p,
        "unknown-reference",
        Severity::Error,
        "sections.work.questions.hours.relevant",
    );
    assert!(f.message.contains("`wroks`"), "{}", f.message);
    question_mut(&mut p, "hours").relevant = Some("works = true".into());
    expect_none(&p, "unknown-reference");
}

#[test]
fn relevance_looks_only_backwards() {
    let mut p = valid();
    question_mut(&mut p, "hours").relevant = Some("hurt = false".into());
    let f = expect(
        &p,
        "later-reference",
        Severity::Error,
        "sections.work.questions.hours.relevant",
    );
    assert!(
        f.message.contains("`hurt`, which is asked later"),
        "{}",
        f.message
    );

    question_mut(&mut p, "hours").relevant = Some("answered(hours)".into());
    expect(
        &p,
        "later-reference",
        Severity::Error,
        "sections.work.questions.hours.relevant",
    );

    question_mut(&mut p, "hours").relevant = None;
    question_mut(&mut p, "hours").constraint = Some(". <= 24 or selected(hurt, 'x')".into());
    expect(
        &p,
        "later-reference",
        Severity::Error,
        "sections.work.questions.hours.constraint",
    );

    question_mut(&mut p, "hours").constraint = Some(". <= 24 and age > 4".into());
    expect_none(&p, "later-reference");
}

#[test]
fn every_text_in_every_language() {
    let mut p = valid();
    question_mut(&mut p, "sex").choices[0]
        .label
        .0
        .insert("fr".into(), " ".into());
    p.title.0.remove("fr");
    question_mut(&mut p, "hours").hint = Some(Text::single("en", "Count all work."));
    let f = expect(
        &p,
        "missing-translation",
        Severity::Error,
        "sections.about_you.questions.sex.choices.girl.label",
    );
    assert!(f.message.contains("blank in fr"), "{}", f.message);
    expect(&p, "missing-translation", Severity::Error, "title");
    expect(
        &p,
        "missing-translation",
        Severity::Error,
        "sections.work.questions.hours.hint",
    );

    let mut p = valid();
    p.definitions[0].meaning.0.remove("en");
    expect(
        &p,
        "missing-translation",
        Severity::Error,
        "definitions[0].meaning",
    );
    p.languages.push("sw".into());
    let all = with_code(&p, "missing-translation");
    assert!(all
        .iter()
        .any(|f| f.location == "closing" && f.message.contains("sw")));
}

#[test]
fn languages_are_declared() {
    let mut p = valid();
    p.languages.clear();
    expect(&p, "no-languages", Severity::Error, "languages");
}

#[test]
fn method_blocks_are_present_and_sane() {
    let mut p = valid();
    p.method = Method::FocusGroup;
    expect(&p, "method-block", Severity::Error, "focus_group");
    p.focus_group = Some(FocusGroup {
        min_participants: 8,
        max_participants: 6,
        code_prefix: "P".into(),
    });
    expect(
        &p,
        "method-block",
        Severity::Error,
        "focus_group.min_participants",
    );
    p.focus_group = Some(FocusGroup {
        min_participants: 4,
        max_participants: 8,
        code_prefix: "P".into(),
    });
    expect_none(&p, "method-block");
}

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
    let f = expect(
        &p,
        "R20",
        Severity::Error,
        "observation.time_windows[1].end",
    );
    assert_eq!(line_of(&src, &f), "end = \"9pm\"");
}
