//! Protocol files come from authors and from other tools (the XLSForm
//! importer, a hand edit on the server): whatever they contain, reading them
//! must not panic, and a refusal must point at a real place in the file. A
//! misspelt key must always be refused, never dropped (an ethics setting
//! could be the one misspelt).

mod common;

use common::VALID_CHILD_INTERVIEW;
use fieldkit_protocols::{parse_protocol, to_toml};
use proptest::prelude::*;

/// Lines of the fixture that set a key (`key = value`), with the key. The
/// two-letter keys are language codes inside texts, which are free map keys.
fn key_lines() -> Vec<(usize, String)> {
    VALID_CHILD_INTERVIEW
        .lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let (key, _) = line.split_once('=')?;
            let key = key.trim();
            let is_key = key.len() > 2 && key.chars().all(|c| c.is_ascii_lowercase() || c == '_');
            is_key.then(|| (i, key.to_owned()))
        })
        .collect()
}

/// Checks what every answer of the parser must satisfy for `source`.
fn check_outcome(source: &str) -> Result<(), TestCaseError> {
    match parse_protocol("edited.toml", source) {
        Ok(protocol) => {
            // Whatever was accepted can be written and read back as itself.
            let again = parse_protocol("again.toml", &to_toml(&protocol));
            prop_assert_eq!(again.as_ref(), Ok(&protocol));
        }
        Err(err) => {
            let lines: Vec<&str> = source.split('\n').collect();
            prop_assert_eq!(&err.file, "edited.toml");
            prop_assert!(err.line >= 1 && err.line <= lines.len(), "{err}");
            let width = lines[err.line - 1].chars().count();
            prop_assert!(err.column >= 1 && err.column <= width + 1, "{err}");
            prop_assert!(!err.message.is_empty());
            let place = format!("edited.toml:{}:{}: ", err.line, err.column);
            prop_assert!(err.to_string().starts_with(&place), "{err}");
        }
    }
    Ok(())
}

/// Text an editor might leave behind: TOML punctuation, quotes, accents,
/// emoji, newlines and control characters.
fn junk() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("=".to_owned()),
            Just("\"".to_owned()),
            Just("'".to_owned()),
            Just("[[".to_owned()),
            Just("]".to_owned()),
            Just("{".to_owned()),
            Just("}".to_owned()),
            Just(",".to_owned()),
            Just("\n".to_owned()),
            Just("#".to_owned()),
            Just("é".to_owned()),
            Just("🙂".to_owned()),
            Just("\u{0}".to_owned()),
            Just("\\u12".to_owned()),
            "[a-z_]{1,8}",
            "[0-9.+-]{1,6}",
            any::<char>().prop_map(String::from),
        ],
        0..8,
    )
    .prop_map(|parts| parts.concat())
}

/// A char boundary of the fixture, from an index into its chars.
fn boundary(index: prop::sample::Index) -> usize {
    let boundaries: Vec<usize> = VALID_CHILD_INTERVIEW
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(VALID_CHILD_INTERVIEW.len()))
        .collect();
    boundaries[index.index(boundaries.len())]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Text inserted anywhere, a cut anywhere, or a piece deleted: never a
    /// panic, and any refusal is located inside the file.
    #[test]
    fn any_edit_is_read_or_refused_at_a_real_place(
        at in any::<prop::sample::Index>(),
        until in any::<prop::sample::Index>(),
        inserted in junk(),
        edit in 0usize..3,
    ) {
        let (a, b) = (boundary(at), boundary(until));
        let (start, end) = (a.min(b), a.max(b));
        let source = match edit {
            0 => format!("{}{inserted}{}", &VALID_CHILD_INTERVIEW[..start], &VALID_CHILD_INTERVIEW[start..]),
            1 => VALID_CHILD_INTERVIEW[..start].to_owned(),
            _ => format!("{}{inserted}{}", &VALID_CHILD_INTERVIEW[..start], &VALID_CHILD_INTERVIEW[end..]),
        };
        check_outcome(&source)?;
    }

    /// Wholly arbitrary text, including what is not TOML at all.
    #[test]
    fn arbitrary_text_never_panics(source in junk(), more in ".{0,200}") {
        check_outcome(&format!("{source}{more}"))?;
    }

    /// Any key of the file, misspelt, is refused with its name, on its own
    /// line or on the header of the table that holds it.
    #[test]
    fn every_misspelt_key_is_refused_by_name(pick in any::<prop::sample::Index>(), typo in "[a-z]") {
        let keys = key_lines();
        let (line, key) = &keys[pick.index(keys.len())];
        let misspelt = format!("{key}{typo}");
        let source: Vec<String> = VALID_CHILD_INTERVIEW
            .lines()
            .enumerate()
            .map(|(i, text)| if i == *line { text.replacen(key.as_str(), &misspelt, 1) } else { text.to_owned() })
            .collect();
        let source = source.join("\n");
        let err = parse_protocol("typo.toml", &source).expect_err("a misspelt key is refused");
        prop_assert!(err.message.contains(&format!("unknown field `{misspelt}`")), "{err}");
        // toml names the line of the key, or of the table the key sits in.
        let table_start = VALID_CHILD_INTERVIEW
            .lines()
            .take(*line + 1)
            .enumerate()
            .filter(|(_, text)| text.starts_with('[') || text.contains('{'))
            .map(|(i, _)| i)
            .collect::<Vec<_>>();
        let on_key_or_table = err.line == line + 1 || table_start.contains(&(err.line - 1));
        prop_assert!(on_key_or_table, "{key} on line {}: {err}", line + 1);
    }
}

#[test]
fn the_fixture_has_keys_to_misspell() {
    let keys = key_lines();
    assert!(keys.len() > 30, "{keys:?}");
    for key in [
        "respondent",
        "guardian_required_under",
        "sensitive",
        "purpose",
    ] {
        assert!(keys.iter().any(|(_, k)| k == key), "{key} missing");
    }
}
/// Found by the properties above: toml itself says nothing for these.
#[test]
fn a_key_without_a_value_is_explained() {
    for source in ["id =", "id = \"x\"\nversion = ", "\r"] {
        let err = parse_protocol("blank.toml", source).unwrap_err();
        assert!(
            err.message.contains("expected a value"),
            "{source:?}: {err}"
        );
    }
    let err = parse_protocol("blank.toml", "\nid = ").unwrap_err();
    assert_eq!((err.line, err.column), (2, 6), "{err}");
}

/// Found by the properties above: toml points inside the `é` of a bad escape.
#[test]
fn a_bad_escape_before_an_accent_is_located_without_a_panic() {
    let err = parse_protocol("accent.toml", "title = \"\\é\"").unwrap_err();
    assert_eq!((err.line, err.column), (1, 11), "{err}");
}
