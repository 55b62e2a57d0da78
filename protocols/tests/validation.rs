//! Validation sessions (issue 22): the shipped protocol is a group session
//! that must name the findings pack it shows (R17), and the linter holds
//! the `[validation]` block to questions that can carry a verdict.

mod engine_support;

use engine_support::*;
use fieldkit_protocols::engine::{Consenter, EventKind, RefusalKind as K, SessionKind, Step};
use fieldkit_protocols::library::demo_source;
use fieldkit_protocols::lint::{has_errors, lint, Finding};
use fieldkit_protocols::{ContentHash, Rule, Value};

fn shipped() -> std::sync::Arc<fieldkit_protocols::Protocol> {
    load(
        "findings-validation.toml",
        &demo_source("findings-validation.toml"),
    )
}

fn pack() -> ContentHash {
    ContentHash::of_bytes(b"a pack")
}

#[test]
fn a_validation_session_shows_a_pack_and_runs_as_a_group() {
    let protocol = shipped();
    let mut run = Run::new(protocol.clone());
    let bare = run.refused(started(&protocol, SessionKind::Full, None));
    assert_refused(&bare, Some(Rule::R17), K::FindingsPackMissing);
    let mut start = start_of(&protocol, SessionKind::Full, None, "en");
    start.findings_pack = Some(pack());
    run.ok(EventKind::SessionStarted(start))
        .ok(EventKind::IntroductionGiven)
        .ok(data_use(&protocol));
    // Children are known by code and each one is asked (R1, R2).
    assert_eq!(run.session.next(), Step::Roster);
    for code in ["P1", "P2", "P3", "P4"] {
        run.ok(participant(code, Some(12)))
            .ok(consent(Consenter::ParticipantGuardian(code.to_owned())))
            .ok(consent(Consenter::Participant(code.to_owned())));
    }
    // The stop rule (R5) before any question.
    let early = run.refused(answer("work_type_agree", Value::Integer(3)));
    assert_eq!(early.rule, Some(Rule::R5), "{early}");
    for item in [
        "participant_distress",
        "participant_in_danger",
        "controlling_adult",
    ] {
        run.ok(screen(item, false));
    }
    run.ok(answer("work_type_agree", Value::Integer(3)))
        .ok(answer("work_type_disagree", Value::Integer(1)));
    assert_eq!(
        run.session.start().unwrap().findings_pack,
        Some(pack()),
        "the record names its pack"
    );
}

#[test]
fn only_validation_sessions_carry_a_pack() {
    let protocol = child();
    let mut run = Run::new(protocol.clone());
    let mut start = start_of(&protocol, SessionKind::Full, Some(12), "en");
    start.findings_pack = Some(pack());
    let refused = run.refused(EventKind::SessionStarted(start));
    assert_refused(&refused, None, K::NotForThisMethod);
}

fn errors_with(edit: impl Fn(&str) -> String) -> Vec<Finding> {
    let source = edit(&demo_source("findings-validation.toml"));
    let protocol = fieldkit_protocols::parse_protocol("v.toml", &source).unwrap();
    lint(&protocol)
        .into_iter()
        .filter(|f| f.severity == fieldkit_protocols::lint::Severity::Error)
        .collect()
}

#[test]
fn the_shipped_validation_protocol_lints_clean_with_the_demo_study() {
    let protocol = shipped();
    assert!(!has_errors(&lint(&protocol)), "{:#?}", lint(&protocol));
    assert_eq!(protocol.languages, ["en", "fr"]);
    assert!(protocol.referral.is_some() && protocol.screening.is_some());
}

#[test]
fn the_linter_holds_the_validation_block_to_real_verdict_questions() {
    let wrong_kind = errors_with(|s| {
        s.replacen(
            "agree = \"work_type_agree\"",
            "agree = \"work_type_words\"",
            1,
        )
    });
    assert!(
        wrong_kind
            .iter()
            .any(|f| f.location == "validation.findings[0].agree" && f.code == "method-block"),
        "{wrong_kind:#?}"
    );
    let unknown =
        errors_with(|s| s.replacen("words = \"work_type_words\"", "words = \"nothing_here\"", 1));
    assert!(
        unknown
            .iter()
            .any(|f| f.location == "validation.findings[0].words" && f.code == "unknown-reference"),
        "{unknown:#?}"
    );
    let bad_id = errors_with(|s| {
        s.replacen(
            "finding = \"child-rapid-assessment/work_type\"",
            "finding = \"work type\"",
            1,
        )
    });
    assert!(
        bad_id
            .iter()
            .any(|f| f.location == "validation.findings[0].finding"),
        "{bad_id:#?}"
    );
    let no_block = errors_with(|s| {
        // The published source is written out again: find the block by its tables.
        let start = s
            .find("[validation]")
            .or_else(|| s.find("[[validation.findings]]"))
            .unwrap();
        let end = start + s[start..].find("[[sections]]").unwrap_or(s.len() - start);
        format!("{}{}", &s[..start], &s[end..])
    });
    assert!(
        no_block.iter().any(|f| f.rule == Some(Rule::R17)),
        "{no_block:#?}"
    );
    let elsewhere =
        errors_with(|s| s.replacen("method = \"validation\"", "method = \"focus_group\"", 1));
    assert!(
        elsewhere
            .iter()
            .any(|f| f.location == "validation" && f.code == "method-block"),
        "{elsewhere:#?}"
    );
}
