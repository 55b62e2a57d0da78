//! The outline a reviewer reads with `fieldkit-server protocol show FILE`.

mod common;

use common::{question_mut, valid};
use fieldkit_protocols::model::Text;
use fieldkit_protocols::outline::outline;

#[test]
fn outline_shows_what_a_reviewer_checks() {
    let p = valid();
    let text = outline(&p, "en");
    assert!(
        text.starts_with("Talking with children about work\n"),
        "{text}"
    );
    for expected in [
        "child-interview-test v1 | method child_interview | respondents children",
        "languages en, fr (default en)",
        &format!(
            "protocol {}, data use {}",
            p.content_hash().short(),
            p.data_use_hash().short()
        ),
        "Aim: Learn what work children do in the market.",
        "rq1: What work do children do?",
        "Introduction by: Safe Futures",
        "guardian consent under 18 (a trusted adult may stand in)",
        "distress: Is the child in acute distress?",
        "1. About you [about_you]",
        "sex (single_choice, by sex, for disaggregation)",
        "choices: girl, boy",
        "group (text, optional, by ethnicity, for disaggregation)",
        "hurt (yes_no, SENSITIVE, for rq1)",
        "asked if: works = true and age < 18",
        "valid if: . >= 5 and . <= 17",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    // The sensitive question is listed after the questions before it.
    assert!(text.find("hurt (").unwrap() > text.find("hours (").unwrap());
}

#[test]
fn outline_is_in_the_chosen_language_with_fallback() {
    let mut p = valid();
    question_mut(&mut p, "group").identifying = true;
    p.title = Text::single("en", "Only in English");
    let text = outline(&p, "fr");
    assert!(text.starts_with("Only in English\n"), "{text}");
    assert!(text.contains("Quel âge as-tu ?"), "{text}");
    assert!(text.contains("IDENTIFYING"), "{text}");
}
