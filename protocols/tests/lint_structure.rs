//! The structural rows of the lint contract: ids, choices, expressions,
//! translations, languages and method blocks.

mod common;

use common::{expect, expect_none, observation, question_mut, section_mut, valid, with_code};
use fieldkit_protocols::lint::Severity;
use fieldkit_protocols::model::{FocusGroup, Method, QuestionKind, Text};

#[test]
fn duplicate_ids_within_each_kind() {
    let mut p = valid();
    question_mut(&mut p, "hours").id = "works".into();
    let f = expect(
        &p,
        "duplicate-id",
        Severity::Error,
        "sections.work.questions.works#2",
    );
    assert!(f.message.contains("question id `works`"), "{}", f.message);

    let mut p = valid();
    question_mut(&mut p, "sex").choices[1].value = "girl".into();
    expect(
        &p,
        "duplicate-id",
        Severity::Error,
        "sections.about_you.questions.sex.choices.girl#2",
    );

    let mut p = valid();
    section_mut(&mut p, "work").id = "about_you".into();
    expect(&p, "duplicate-id", Severity::Error, "sections.about_you#2");

    let mut p = valid();
    p.research_questions.push(p.research_questions[0].clone());
    expect(
        &p,
        "duplicate-id",
        Severity::Error,
        "research_questions.rq1#2",
    );

    let mut p = valid();
    let items = &mut p.screening.as_mut().unwrap().items;
    items.push(items[0].clone());
    expect(
        &p,
        "duplicate-id",
        Severity::Error,
        "screening.items.distress#2",
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
        "observation.tallies.carrying#2",
    );
    expect(
        &p,
        "duplicate-id",
        Severity::Error,
        "observation.site_types.market#2",
    );
    expect(
        &p,
        "duplicate-id",
        Severity::Error,
        "observation.indicators.adult_watching#2",
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
fn expressions_fit_the_questions_they_use() {
    let cases = [
        (
            "sex = 'grl'",
            "'grl' is not a choice of `sex` (its values are girl, boy)",
        ),
        (
            "selected(lives_with, 'aunt')",
            "'aunt' is not a choice of `lives_with`",
        ),
        (
            "selected(age, 'x')",
            "selected(age) needs a choice question, but `age` is integer",
        ),
        (
            "count_selected(works) > 0",
            "count_selected(works) needs a choice question",
        ),
        (
            "lives_with = 'parents'",
            "write selected(lives_with, 'parents')",
        ),
        (
            "works = 'yes'",
            "`works` is a yes/no question: compare it with true or false",
        ),
        (
            "length(age) > 1",
            "length(age) counts the characters of a text answer",
        ),
    ];
    for (relevant, problem) in cases {
        let mut p = valid();
        question_mut(&mut p, "hours").relevant = Some(relevant.into());
        let f = expect(
            &p,
            "bad-expression",
            Severity::Error,
            "sections.work.questions.hours.relevant",
        );
        assert!(f.message.contains(problem), "{relevant}: {}", f.message);
    }

    let mut p = valid();
    question_mut(&mut p, "sex").constraint = Some(". != 'other'".into());
    expect(
        &p,
        "bad-expression",
        Severity::Error,
        "sections.about_you.questions.sex.constraint",
    );

    question_mut(&mut p, "sex").constraint = None;
    question_mut(&mut p, "hours").relevant = Some(
        "selected(lives_with, 'parents') and sex = 'girl' and count_selected(lives_with) = 1 and length(group) > 0 and works = true"
            .into(),
    );
    expect_none(&p, "bad-expression");
}
