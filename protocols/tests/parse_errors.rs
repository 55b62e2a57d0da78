//! A protocol file with a mistake is refused with the file, line and column
//! of the mistake and what was expected there.

mod common;

use common::VALID_CHILD_INTERVIEW;
use fieldkit_protocols::parse_protocol;

/// 1-based line and column where `needle` starts in `source`.
fn position(source: &str, needle: &str) -> (usize, usize) {
    let offset = source.find(needle).expect("needle in source");
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap().chars().count() + 1;
    (line, column)
}

fn replaced(from: &str, to: &str) -> String {
    assert_eq!(
        VALID_CHILD_INTERVIEW.matches(from).count(),
        1,
        "{from:?} is unique"
    );
    VALID_CHILD_INTERVIEW.replace(from, to)
}

#[test]
fn the_fixture_parses() {
    parse_protocol("valid.toml", VALID_CHILD_INTERVIEW).unwrap();
}

#[test]
fn a_misspelt_key_is_named_with_the_expected_ones() {
    let source = replaced("sensitive = true", "sensitve = true");
    let err = parse_protocol("child.toml", &source).unwrap_err();
    assert_eq!(err.file, "child.toml");
    assert_eq!((err.line, err.column), position(&source, "sensitve"));
    assert!(
        err.message.contains("unknown field `sensitve`"),
        "{}",
        err.message
    );
    assert!(
        err.message.contains("`sensitive`") && err.message.contains("`identifying`"),
        "{}",
        err.message
    );
    let shown = err.to_string();
    assert!(
        shown.starts_with(&format!("child.toml:{}:{}: ", err.line, err.column)),
        "{shown}"
    );
}

#[test]
fn a_misspelt_key_at_the_top_is_located_too() {
    let source = replaced("method = ", "metod = ");
    let err = parse_protocol("p.toml", &source).unwrap_err();
    assert_eq!((err.line, err.column), (5, 1));
    assert!(
        err.message.contains("unknown field `metod`"),
        "{}",
        err.message
    );
}

#[test]
fn a_wrong_type_points_at_the_value() {
    let source = replaced("version = 1", "version = \"one\"");
    let err = parse_protocol("p.toml", &source).unwrap_err();
    assert_eq!((err.line, err.column), (3, 11));
    assert!(
        err.message.contains("invalid type: string \"one\""),
        "{}",
        err.message
    );
    assert!(err.message.contains("expected u32"), "{}", err.message);

    let source = replaced(
        "guardian_required_under = 18",
        "guardian_required_under = \"18\"",
    );
    let err = parse_protocol("p.toml", &source).unwrap_err();
    assert_eq!((err.line, err.column), position(&source, "\"18\""));
}

#[test]
fn an_unknown_enum_value_lists_the_variants() {
    let source = replaced("kind = \"coarse_location\"", "kind = \"location\"");
    let err = parse_protocol("p.toml", &source).unwrap_err();
    assert_eq!((err.line, err.column), position(&source, "\"location\""));
    assert!(
        err.message.contains("unknown variant `location`"),
        "{}",
        err.message
    );
    assert!(err.message.contains("`coarse_location`"), "{}", err.message);
}

#[test]
fn a_missing_required_field_names_the_field_and_its_table() {
    let source = replaced(
        "kind = \"integer\"\npurpose = \"rq1\"",
        "kind = \"integer\"",
    );
    let err = parse_protocol("p.toml", &source).unwrap_err();
    assert!(
        err.message.contains("missing field `purpose`"),
        "{}",
        err.message
    );
    // toml points at the table that lacks the field: the `hours` question.
    let hours = position(&source, "id = \"hours\"").0;
    assert_eq!((err.line, err.column), (hours - 1, 1), "{err}");
}

#[test]
fn broken_toml_syntax_is_located() {
    let source = replaced("id = \"hurt\"", "id = \"hurt");
    let err = parse_protocol("p.toml", &source).unwrap_err();
    assert_eq!(err.line, position(&source, "id = \"hurt").0);
    assert!(err.column > 1, "{err}");
}
