//! Values ODK shows or works out without asking: read-only questions,
//! calculations on questions and their triggers, clock readings, round().
//! Each either keeps ODK's meaning or is dropped or refused, saying so.

use super::odk::{imported, refused};

#[test]
fn a_read_only_question_is_shown_as_a_note_and_never_asked() {
    // ODK's documentation's read-only example, less its calculation: ODK
    // shows the question and nobody can type in it.
    let imported = imported(&[
        &["type", "name", "label", "read_only", "default"],
        &["decimal", "salary", "Income from salary", "", ""],
        &["decimal", "total", "Total income", "yes", "${salary}"],
        &["text", "next", "Anything else?", "", ""],
    ]);
    let ids: Vec<&str> = imported
        .protocol
        .questions()
        .map(|q| q.id.as_str())
        .collect();
    assert_eq!(ids, ["salary", "next"], "a read-only question is not asked");
    let hint = imported
        .protocol
        .question("next")
        .unwrap()
        .hint
        .clone()
        .unwrap();
    assert!(
        hint.0.values().any(|t| t.starts_with("Total income")),
        "{hint:?}"
    );
    let said = imported.checklist.join("\n");
    assert!(
        said.contains("row 3: the read-only question `total` is shown as a note"),
        "{said}"
    );
    assert!(
        said.contains("row 3: the default `${salary}` of a read-only question was dropped"),
        "{said}"
    );

    let message = refused(&[
        &["type", "name", "label", "read_only", "calculation"],
        &["decimal", "salary", "Income from salary", "", ""],
        &["decimal", "total", "Total income", "yes", "${salary} * 2"],
    ]);
    assert!(message.contains("row 3: a read-only question with a calculation shows a worked-out value: make it a `calculate` row"), "{message}");
    let message = refused(&[
        &["type", "name", "label", "read_only"],
        &["text", "code", "Code", "${code} != ''"],
    ]);
    assert!(
        message.contains("row 2: read_only must be yes or no"),
        "{message}"
    );
}

#[test]
fn times_an_answer_was_given_are_dropped_and_triggered_defaults_are_not_prefilled() {
    // ODK's documentation's "lightweight timestamping" and "defaults from
    // form data" examples.
    let imported = imported(&[
        &["type", "name", "label", "calculation", "trigger"],
        &["string", "name", "Name", "", ""],
        &["dateTime", "name_time", "", "now()", "${name}"],
        &[
            "calculate",
            "first",
            "",
            "if(${first}='', today(), ${first})",
            "",
        ],
        &["integer", "age", "Age", "", ""],
        &[
            "integer",
            "age_at_diagnosis",
            "Age at diagnosis",
            "${age}",
            "${age}",
        ],
        &["calculate", "double_age", "", "${age} * 2", "${name}"],
    ]);
    let ids: Vec<&str> = imported
        .protocol
        .questions()
        .map(|q| q.id.as_str())
        .collect();
    assert_eq!(ids, ["name", "age", "age_at_diagnosis", "double_age"]);
    let diagnosis = imported.protocol.question("age_at_diagnosis").unwrap();
    assert_eq!(diagnosis.calculation, None, "asked, never pre-filled");
    let said = imported.checklist.join("\n");
    for line in [
        "row 3: `name_time` was dropped: it records when an answer was given",
        "row 4: `first` was dropped: it records when an answer was given",
        "row 6: the answer `${age}` worked out when `${age}` changes was dropped: Fieldkit never pre-fills an answer",
        "row 7: the trigger `${name}` was not imported: Fieldkit works this calculated value out from the current answers",
    ] {
        assert!(said.contains(line), "{line}\n{said}");
    }
    // Without a trigger, a calculation on a question is still refused.
    let message = refused(&[
        &["type", "name", "label", "calculation"],
        &["integer", "age", "Age", "${age} + 1"],
    ]);
    assert!(
        message.contains("row 2: calculation is not supported on questions"),
        "{message}"
    );
}

#[test]
fn round_keeps_odks_decimal_places() {
    let imported = imported(&[
        &["type", "name", "label", "calculation"],
        &["decimal", "bill", "Bill", ""],
        &["calculate", "tip", "", "round(${bill} * 0.18, 2)"],
        &["calculate", "whole", "", "round(${bill})"],
    ]);
    let q = |id: &str| imported.protocol.question(id).unwrap().calculation.clone();
    assert_eq!(q("tip").as_deref(), Some("round(bill * 0.18, 2)"));
    assert_eq!(q("whole").as_deref(), Some("round(bill, 0)"));
    for (calculation, why) in [
        (
            "round(${bill}, -1)",
            "whole number of decimal places from 0 to 10",
        ),
        (
            "round(${bill}, ${bill})",
            "whole number of decimal places from 0 to 10",
        ),
        ("round(${name}, 2)", "round() takes a number"),
    ] {
        let message = refused(&[
            &["type", "name", "label", "calculation"],
            &["decimal", "bill", "Bill", ""],
            &["text", "name", "Name", ""],
            &["calculate", "tip", "", calculation],
            &["note", "show", "Tip: ${tip}", ""],
        ]);
        assert!(message.contains(why), "{calculation}: {message}");
    }
}
