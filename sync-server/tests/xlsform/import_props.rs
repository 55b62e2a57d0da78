//! An XLSForm arrives from outside (an author's laptop, KoboToolbox, an
//! e-mail attachment): whatever its cells hold, the importer must not panic,
//! a refusal must name a row that exists, and whatever it accepts must be a
//! protocol that reads back as itself and that the linter can judge.

use fieldkit_protocols::lint::lint;
use fieldkit_protocols::{expr, parse_protocol};
use fieldkit_sync_server::xlsform::{import, ImportError};
use proptest::prelude::*;

use super::forms;

/// What a hurried author or a broken export puts in a cell.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("begin group".to_owned()),
        Just("end group".to_owned()),
        Just("begin repeat".to_owned()),
        Just("select_one".to_owned()),
        Just("select_one nowhere".to_owned()),
        Just("select_multiple sex or_other".to_owned()),
        Just("calculate".to_owned()),
        Just("integer".to_owned()),
        Just("${age} > 3 and".to_owned()),
        Just("${nobody} = 'x'".to_owned()),
        Just("selected(${work}, 'farm')".to_owned()),
        Just(". >= 0 and . <= 24".to_owned()),
        Just("count-selected(".to_owned()),
        Just("yes".to_owned()),
        Just("TRUE()".to_owned()),
        Just("age".to_owned()),
        Just("Âge ?".to_owned()),
        // pyxform's spellings and ODK's functions the import now reads.
        Just("select one from yes_no".to_owned()),
        Just("select all that apply from work_types or specify other".to_owned()),
        Just("bind::relevant".to_owned()),
        Just("label:English".to_owned()),
        Just("media::image".to_owned()),
        Just("appearance".to_owned()),
        Just("regex(., '^[0-9]+$')".to_owned()),
        Just("${works} != 'yes'".to_owned()),
        Just("${work_kind} = 'farm'".to_owned()),
        Just("note".to_owned()),
        Just("At ${age}?".to_owned()),
        Just("0".to_owned()),
        "[a-z_]{1,10}",
        "[ -~]{0,24}",
        ".{0,16}",
    ]
}

/// One change to the child-labour survey sheet.
#[derive(Debug, Clone)]
enum Edit {
    /// Set a cell (row index, column index; 0 is the header).
    Cell(usize, usize, String),
    DeleteRow(usize),
    SwapRows(usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let rows = forms::CHILD_LABOUR_SURVEY.len();
    let columns = forms::CHILD_LABOUR_SURVEY[0].len();
    prop_oneof![
        3 => (0..rows, 0..columns, cell()).prop_map(|(r, c, v)| Edit::Cell(r, c, v)),
        1 => (1..rows).prop_map(Edit::DeleteRow),
        1 => (1..rows, 1..rows).prop_map(|(a, b)| Edit::SwapRows(a, b)),
    ]
}

fn edited(edits: &[Edit]) -> Vec<Vec<String>> {
    let mut rows: Vec<Vec<String>> = forms::CHILD_LABOUR_SURVEY
        .iter()
        .map(|row| row.iter().map(|c| (*c).to_owned()).collect())
        .collect();
    for edit in edits {
        match edit {
            Edit::Cell(r, c, value) if *r < rows.len() => {
                let row = &mut rows[*r];
                if row.len() <= *c {
                    row.resize(c + 1, String::new());
                }
                row[*c].clone_from(value);
            }
            Edit::DeleteRow(r) if *r < rows.len() => {
                rows.remove(*r);
            }
            Edit::SwapRows(a, b) if *a < rows.len() && *b < rows.len() => rows.swap(*a, *b),
            _ => {}
        }
    }
    rows
}

fn xlsx(survey: &[Vec<String>]) -> Vec<u8> {
    let rows: Vec<Vec<&str>> = survey
        .iter()
        .map(|row| row.iter().map(String::as_str).collect())
        .collect();
    let rows: Vec<&[&str]> = rows.iter().map(Vec::as_slice).collect();
    forms::form(
        &rows,
        forms::CHILD_LABOUR_CHOICES,
        forms::CHILD_LABOUR_SETTINGS,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn an_edited_form_is_imported_whole_or_refused_at_a_real_row(
        edits in prop::collection::vec(edit(), 1..4)
    ) {
        let survey = edited(&edits);
        match import(&xlsx(&survey), "edited.xlsx") {
            Ok(imported) => {
                let reread = parse_protocol("edited.toml", &imported.toml);
                prop_assert_eq!(reread.as_ref(), Ok(&imported.protocol), "{}", imported.toml);
                // Every condition written out is Fieldkit's language.
                for question in imported.protocol.sections.iter().flat_map(|s| &s.questions) {
                    for source in [&question.relevant, &question.constraint].into_iter().flatten() {
                        prop_assert!(expr::parse(source).is_ok(), "{}: {source}", question.id);
                    }
                }
                let _ = lint(&imported.protocol);
                prop_assert!(!imported.checklist.is_empty(), "a draft always has a to-do list");
            }
            Err(err) => {
                let message = err.to_string();
                prop_assert!(message.starts_with("edited.xlsx"), "{message}");
                match err {
                    ImportError::AtRow { row, .. } | ImportError::Expression { row, .. } => {
                        // Spreadsheet rows are 1-based and row 1 is the header.
                        prop_assert!(row >= 1 && row <= survey.len(), "row {row} of {}: {message}", survey.len());
                    }
                    ImportError::MissingColumn { .. } => {}
                    other => prop_assert!(false, "unexpected refusal: {other}"),
                }
            }
        }
    }

    /// Bytes that are not a workbook, or a workbook cut or scratched.
    #[test]
    fn damaged_files_are_refused_as_unreadable(
        cut in any::<prop::sample::Index>(),
        scratch in any::<prop::sample::Index>(),
        byte in any::<u8>(),
        junk in prop::collection::vec(any::<u8>(), 0..256),
    ) {
        let good = xlsx(&edited(&[]));
        let mut scratched = good.clone();
        let at = scratch.index(scratched.len());
        scratched[at] ^= byte | 1;
        for bytes in [junk, good[..cut.index(good.len())].to_vec(), scratched] {
            // A scratch may land in padding and change nothing; only a panic
            // or a wrong kind of refusal is a failure here.
            if let Err(err) = import(&bytes, "damaged.xlsx") {
                let message = err.to_string();
                prop_assert!(message.starts_with("damaged.xlsx"), "{message}");
            }
        }
    }
}
