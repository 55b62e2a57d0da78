//! XLSForm import: realistic forms written as .xlsx, converted, and checked
//! the way an author would look at the result.

#[path = "xlsform/forms.rs"]
mod forms;

use std::collections::BTreeMap;

use fieldkit_protocols::expr;
use fieldkit_protocols::lint::{has_errors, lint};
use fieldkit_protocols::model::Dimension;
use fieldkit_protocols::{parse_protocol, Protocol, QuestionKind, Value};
use fieldkit_sync_server::xlsform::{import, translate_xpath, Imported};

fn child_labour() -> Imported {
    import(&forms::child_labour(), "child_labour.xlsx").unwrap()
}

fn question<'a>(protocol: &'a Protocol, id: &str) -> &'a fieldkit_protocols::Question {
    protocol
        .question(id)
        .unwrap_or_else(|| panic!("no question `{id}`"))
}

fn answers(pairs: &[(&str, Value)]) -> BTreeMap<String, Value> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

/// Whether the imported relevance of `id` holds for these answers.
fn relevant_for(protocol: &Protocol, id: &str, given: &[(&str, Value)]) -> bool {
    let source = question(protocol, id).relevant.as_deref().unwrap();
    expr::parse(source)
        .unwrap()
        .eval(&answers(given), None)
        .unwrap()
}

#[test]
fn settings_become_id_version_title_and_languages() {
    let protocol = child_labour().protocol;
    assert_eq!(protocol.id, "child-labour-2024");
    assert_eq!(protocol.version, 3);
    assert_eq!(protocol.languages, ["en", "fr"]);
    assert_eq!(protocol.title.get("en"), Some("Child work and school"));
    assert!(protocol.title.get("fr").unwrap().starts_with("TODO"));
}

#[test]
fn groups_become_sections_with_questions_in_order_and_kinds() {
    let protocol = child_labour().protocol;
    let sections: Vec<&str> = protocol.sections.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(sections, ["about", "work", "school"]);
    assert_eq!(protocol.sections[1].title.get("fr"), Some("Ton travail"));
    let ids: Vec<(&str, QuestionKind)> = protocol
        .questions()
        .map(|q| (q.id.as_str(), q.kind))
        .collect();
    use QuestionKind::*;
    assert_eq!(
        ids,
        [
            ("age", Integer),
            ("sex", SingleChoice),
            ("works", SingleChoice),
            ("work_kind", MultipleChoice),
            ("work_kind_other", Text),
            ("hours", Integer),
            ("main_work", SingleChoice),
            ("employer", Text),
            ("in_school", SingleChoice),
            ("left_school", SingleChoice),
        ]
    );
    assert!(question(&protocol, "age").required);
    assert!(
        !question(&protocol, "hours").required,
        "XLSForm's blank/no required stays optional"
    );
}

#[test]
fn labels_hints_and_choices_keep_every_language() {
    let protocol = child_labour().protocol;
    let age = question(&protocol, "age");
    assert_eq!(age.text.get("en"), Some("How old are you?"));
    assert_eq!(age.text.get("fr"), Some("Quel âge as-tu ?"));
    // The note before the question opens its hint, in each language.
    let hint = age.hint.as_ref().unwrap();
    assert_eq!(
        hint.get("en"),
        Some("These first questions are about you.\n\nIn whole years.")
    );
    assert_eq!(
        hint.get("fr"),
        Some("Ces premières questions parlent de toi.\n\nEn années.")
    );
    let message = age.constraint_message.as_ref().unwrap();
    assert_eq!(message.get("fr"), Some("Seulement de 5 à 17 ans."));
    let sex = question(&protocol, "sex");
    let labels: Vec<(&str, &str)> = sex
        .choices
        .iter()
        .map(|c| (c.value.as_str(), c.label.get("fr").unwrap()))
        .collect();
    assert_eq!(labels, [("boy", "Garçon"), ("girl", "Fille")]);
    // The note after the last question is the closing text.
    assert_eq!(
        protocol.closing.get("fr"),
        Some("Merci d'avoir parlé avec nous.")
    );
}

#[test]
fn or_other_adds_a_choice_and_a_follow_up_asked_only_for_other() {
    let protocol = child_labour().protocol;
    let kind = question(&protocol, "work_kind");
    let values: Vec<&str> = kind.choices.iter().map(|c| c.value.as_str()).collect();
    assert_eq!(values, ["domestic", "farm", "street", "other"]);
    assert_eq!(kind.choices[3].label.get("fr"), Some("Autre"));
    let follow_up = question(&protocol, "work_kind_other");
    assert_eq!(
        follow_up.relevant.as_deref(),
        Some("selected(work_kind, 'other')")
    );
    assert_eq!(follow_up.purpose, "rq1");
    let chose = |v: &[&str]| Value::Choices(v.iter().map(|s| (*s).to_owned()).collect());
    assert!(relevant_for(
        &protocol,
        "work_kind_other",
        &[("work_kind", chose(&["farm", "other"]))]
    ));
    assert!(!relevant_for(
        &protocol,
        "work_kind_other",
        &[("work_kind", chose(&["farm"]))]
    ));
}

#[test]
fn skip_logic_and_constraints_are_translated() {
    let protocol = child_labour().protocol;
    let relevant = |id: &str| question(&protocol, id).relevant.clone();
    assert_eq!(relevant("work_kind").as_deref(), Some("works = 'yes'"));
    assert_eq!(
        relevant("hours").as_deref(),
        Some("works = 'yes' and age < 15")
    );
    assert_eq!(
        relevant("main_work").as_deref(),
        Some("count_selected(work_kind) > 1")
    );
    assert_eq!(
        relevant("employer").as_deref(),
        Some("selected(work_kind, 'domestic') or selected(work_kind, 'street')")
    );
    // A group's condition applies to every question in it.
    assert_eq!(relevant("in_school").as_deref(), Some("age >= 6"));
    assert_eq!(
        relevant("left_school").as_deref(),
        Some("(age >= 6) and (in_school = 'no')")
    );
    assert_eq!(
        question(&protocol, "age").constraint.as_deref(),
        Some(". >= 5 and . <= 17")
    );
    assert_eq!(
        question(&protocol, "employer").constraint.as_deref(),
        Some("length(.) <= 60")
    );

    let yes = Value::Choice("yes".to_owned());
    assert!(relevant_for(
        &protocol,
        "hours",
        &[("works", yes.clone()), ("age", Value::Integer(12))]
    ));
    assert!(!relevant_for(
        &protocol,
        "hours",
        &[("works", yes), ("age", Value::Integer(16))]
    ));
    let no = Value::Choice("no".to_owned());
    assert!(!relevant_for(
        &protocol,
        "left_school",
        &[("age", Value::Integer(5)), ("in_school", no.clone())]
    ));
    assert!(relevant_for(
        &protocol,
        "left_school",
        &[("age", Value::Integer(9)), ("in_school", no)]
    ));
}

#[test]
fn fieldkit_columns_set_purpose_sensitivity_and_disaggregation() {
    let protocol = child_labour().protocol;
    let age = question(&protocol, "age");
    assert_eq!(
        (age.purpose.as_str(), age.disaggregation),
        ("disaggregation", Some(Dimension::Age))
    );
    assert_eq!(
        question(&protocol, "sex").disaggregation,
        Some(Dimension::Sex)
    );
    assert!(question(&protocol, "left_school").sensitive);
    assert!(!question(&protocol, "in_school").sensitive);
    assert!(question(&protocol, "employer").identifying);
    let rqs: Vec<&str> = protocol
        .research_questions
        .iter()
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(
        rqs,
        ["rq1", "rq2", "rq3"],
        "each purpose named in the form becomes a research question to write"
    );
}

#[test]
fn the_toml_reads_back_as_the_same_protocol() {
    let imported = child_labour();
    let reread = parse_protocol("child_labour.toml", &imported.toml).unwrap();
    assert_eq!(reread, imported.protocol);
    assert!(imported.toml.contains("TODO: say who sees the answers"));
}

#[test]
fn the_checklist_names_every_placeholder_the_author_must_fill() {
    let imported = child_labour();
    let checklist = imported.checklist.join("\n");
    for expected in [
        "R3] data_use.who_sees",
        "R17] data_use.results_return",
        "R11] introduction",
        "R18] referral",
        "screening.items.todo_screening",
        "research_questions.rq1",
        "consent: defaults were filled in",
        "method: `child_interview` was assumed",
    ] {
        assert!(
            checklist.contains(expected),
            "checklist lacks {expected:?}:\n{checklist}"
        );
    }
    // The placeholders keep the TOML valid; the plain linter refuses them as
    // placeholders, and the checklist says what each one is for.
    assert!(!lint(&imported.protocol).iter().any(|f| f.code == "R3"));
    assert!(lint(&imported.protocol)
        .iter()
        .any(|f| f.code == "placeholder" && f.location == "data_use.who_sees"));
    // Errors come before warnings and import notes.
    assert!(imported.checklist[0].starts_with("[error"));
}

#[test]
fn once_the_placeholders_are_written_the_protocol_passes_the_linter() {
    let imported = child_labour();
    let mut value = serde_json::to_value(&imported.protocol).unwrap();
    fill(&mut value, "");
    let mut completed: Protocol = serde_json::from_value(value).unwrap();
    // The study file gives the organisation and the referral contacts.
    let study = fieldkit_protocols::study::parse_study(
        "study.toml",
        "organisation = \"Safe Futures Trust\"\n[[contacts]]\nname = { en = \"Child protection focal point\", fr = \"Point focal de protection de l'enfance\" }\nphone = \"+44 20 7946 0321\"\n",
    )
    .unwrap();
    study.apply(&mut completed);
    let findings = lint(&completed);
    assert!(!has_errors(&findings), "{findings:#?}");
}

/// Writes what an author would in place of each `TODO`, in the language of
/// its text (a text the same in two languages was not translated).
fn fill(value: &mut serde_json::Value, lang: &str) {
    match value {
        serde_json::Value::String(s) if s.starts_with("TODO") => {
            *s = format!(
                "Hello, I am {{interviewer}} from {{organisation}}; answers stay with the study team ({lang})."
            );
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(|v| fill(v, lang)),
        serde_json::Value::Object(map) => map.iter_mut().for_each(|(k, v)| fill(v, k)),
        _ => {}
    }
}

#[test]
fn household_form_in_one_language_with_calculate_metadata_and_other() {
    let imported = import(&forms::household(), "household.xlsx").unwrap();
    let protocol = &imported.protocol;
    assert_eq!(protocol.languages, ["en"]);
    assert_eq!(protocol.method.as_str(), "key_informant_interview");
    assert!(
        protocol.screening.is_none() && protocol.referral.is_none(),
        "adults: no child screening"
    );
    let sections: Vec<&str> = protocol.sections.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(sections, ["main", "kids", "main_2"]);
    assert_eq!(
        protocol.sections[0].title.get("en"),
        Some("Household survey")
    );
    let ids: Vec<&str> = protocol.questions().map(|q| q.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "visit_date",
            "visit_time",
            "adults",
            "children",
            "household_size",
            "income",
            "water_source",
            "water_source_other",
            "child_works",
            "child_work_note",
            "location"
        ]
    );
    let kind = |id| question(protocol, id).kind;
    assert_eq!(
        [
            kind("visit_date"),
            kind("visit_time"),
            kind("income"),
            kind("location")
        ],
        [
            QuestionKind::Date,
            QuestionKind::Time,
            QuestionKind::Decimal,
            QuestionKind::CoarseLocation
        ]
    );
    assert_eq!(
        question(protocol, "income")
            .hint
            .as_ref()
            .unwrap()
            .get("en"),
        Some("Your best estimate.")
    );
    // The calculation is a calculated question, and inlined where skip logic uses it.
    assert_eq!(
        question(protocol, "household_size").calculation.as_deref(),
        Some("adults + children")
    );
    assert_eq!(
        question(protocol, "income").relevant.as_deref(),
        Some("(adults + children) > 2")
    );
    let counts = |a, c| {
        [
            ("adults", Value::Integer(a)),
            ("children", Value::Integer(c)),
        ]
    };
    assert!(relevant_for(protocol, "income", &counts(1, 2)));
    assert!(!relevant_for(protocol, "income", &counts(1, 1)));
    assert_eq!(
        question(protocol, "child_work_note").relevant.as_deref(),
        Some("answered(child_works) and not (child_works = 'no')")
    );
    let water: Vec<&str> = question(protocol, "water_source")
        .choices
        .iter()
        .map(|c| c.value.as_str())
        .collect();
    assert_eq!(water, ["tap", "well", "river", "other"]);

    let checklist = imported.checklist.join("\n");
    assert!(
        checklist.contains("row 2: `start` was dropped: Fieldkit records the session times itself"),
        "{checklist}"
    );
    assert!(
        checklist.contains(
            "row 3: `device` was dropped: Fieldkit never records device, phone or user identifiers"
        ),
        "{checklist}"
    );
    assert!(
        checklist.contains("R16] sections.main_2.questions.location.purpose"),
        "{checklist}"
    );
    assert!(
        !checklist.contains("method: "),
        "the method was given in settings"
    );
}

/// The message of a failed import of a form with this survey sheet.
fn import_error(survey: forms::Table<'_>) -> String {
    let bytes = forms::form(
        survey,
        forms::CHILD_LABOUR_CHOICES,
        forms::CHILD_LABOUR_SETTINGS,
    );
    import(&bytes, "broken.xlsx").unwrap_err().to_string()
}

const HEADER: &[&str] = &["type", "name", "label", "relevant", "constraint"];

#[test]
fn a_question_named_like_an_expression_word_is_refused() {
    let message = import_error(&[HEADER, &["integer", "True", "Is it true?"]]);
    assert!(
        message.starts_with(
            "broken.xlsx, sheet survey, row 2: the name `True` cannot be a Fieldkit id"
        ),
        "{message}"
    );
    assert!(
        message.contains("avoid the words and, or, not, true and false"),
        "{message}"
    );
    let refused = translate_xpath("${ and } = 1", false).unwrap_err();
    assert!(
        refused
            .message
            .contains("`and` is not a usable question name"),
        "{refused}"
    );
}

#[test]
fn unsupported_xpath_is_refused_naming_row_and_expression() {
    let message = import_error(&[
        HEADER,
        &["integer", "age", "Age"],
        &["integer", "hours", "Hours", "once(${age}) > 3"],
    ]);
    assert!(
        message.contains("sheet survey, row 3, relevant `once(${age}) > 3`"),
        "{message}"
    );
    assert!(message.contains("once() is not supported"), "{message}");

    let message = import_error(&[
        HEADER,
        &["integer", "age", "Age", "", ". > 4 and ${nobody} = 1"],
    ]);
    assert!(
        message.contains("row 2, constraint")
            && message.contains("`${nobody}` is not a question in this form"),
        "{message}"
    );

    let message = import_error(&[HEADER, &["integer", "age", "Age", ". > 4"]]);
    assert!(
        message.contains("row 2, relevant")
            && message.contains("only has a meaning in a constraint"),
        "{message}"
    );
}

#[test]
fn unknown_and_identifying_types_are_refused_naming_the_row() {
    let message = import_error(&[
        HEADER,
        &["integer", "age", "Age"],
        &["likert", "feeling", "How do you feel?"],
    ]);
    assert!(
        message.contains("row 3") && message.contains("`likert` is unknown"),
        "{message}"
    );
    let message = import_error(&[HEADER, &["image", "photo", "Photo of the child"]]);
    assert!(
        message.contains("row 2") && message.contains("identifies a child (R21"),
        "{message}"
    );
    let message = import_error(&[HEADER, &["select_one colours", "colour", "Colour"]]);
    assert!(
        message.contains("row 2") && message.contains("`colours` is not in the choices sheet"),
        "{message}"
    );
    let message = import_error(&[
        HEADER,
        &["integer", "age", "Age"],
        &["text", "age", "Again"],
    ]);
    assert!(
        message.contains("row 3") && message.contains("already used on row 2"),
        "{message}"
    );
}

#[test]
fn a_file_that_is_not_a_spreadsheet_is_refused() {
    let message = import(b"type,name,label\n", "form.csv")
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with("form.csv: not a readable spreadsheet"),
        "{message}"
    );
    let message = import(
        &forms::workbook(&[("questions", &[&["type"]]), ("lists", &[&["name"]])]),
        "form.xlsx",
    )
    .unwrap_err()
    .to_string();
    assert!(message.contains("no `survey` sheet"), "{message}");
    // Like pyxform, a workbook of one sheet is that survey, whatever its name.
    let message = import(&forms::workbook(&[("Sheet1", &[&["type"]])]), "form.xlsx")
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("sheet survey: there is no `name` column"),
        "{message}"
    );
}

#[path = "xlsform/xpath_props.rs"]
mod xpath_props;

#[path = "xlsform/pyxform.rs"]
mod pyxform;

#[path = "xlsform/import_props.rs"]
mod import_props;

#[path = "xlsform/odk.rs"]
mod odk;

#[path = "xlsform/odk_values.rs"]
mod odk_values;

#[path = "xlsform/parity.rs"]
mod parity;

#[path = "xlsform/cascading.rs"]
mod cascading;

#[path = "xlsform/rosters.rs"]
mod rosters;

#[path = "xlsform/external.rs"]
mod external;

#[test]
fn nested_groups_language_names_and_uppercase_names() {
    let survey: forms::Table<'_> = &[
        &[
            "type",
            "name",
            "label::English",
            "label::French",
            "relevant",
        ],
        &["begin group", "household", "Household", "Ménage"],
        &[
            "integer",
            "Members",
            "How many people?",
            "Combien de personnes ?",
        ],
        &[
            "begin group",
            "children",
            "Children",
            "Enfants",
            "${Members} > 1",
        ],
        &[
            "integer",
            "child-count",
            "How many children?",
            "Combien d'enfants ?",
        ],
        &["end group"],
        &["text", "village", "Which village?", "Quel village ?"],
        &["end group"],
    ];
    let settings: forms::Table<'_> = &[&["form_id", "default_language"], &["Census_2", "French"]];
    let bytes = forms::form(survey, &[&["list_name", "name", "label"]], settings);
    let protocol = import(&bytes, "census.xlsx").unwrap().protocol;
    assert_eq!(protocol.id, "census-2");
    assert_eq!(
        protocol.languages,
        ["fr", "en"],
        "the default language comes first"
    );
    let sections: Vec<&str> = protocol.sections.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(sections, ["household", "children", "household_2"]);
    assert_eq!(protocol.sections[2].title.get("fr"), Some("Ménage"));
    let count = question(&protocol, "child_count");
    assert_eq!(count.relevant.as_deref(), Some("members > 1"));
    assert_eq!(count.text.get("en"), Some("How many children?"));
    assert_eq!(question(&protocol, "village").relevant, None);
}
