//! ODK's meaning kept, or refused by row and column: the differences issue 17
//! found between Fieldkit's first import and what pyxform and ODK Collect do.

use std::collections::BTreeMap;

use fieldkit_protocols::model::MediaRef;
use fieldkit_protocols::{expr, Protocol, Value};
use fieldkit_sync_server::xlsform::{import, Imported};

use super::forms::{self, Table};

const CHOICES: Table<'static> = &[
    &["list_name", "name", "label"],
    &["YesNo", "yes", "Yes"],
    &["YesNo", "no", "No"],
    &["fruit", "apple", "Apple"],
    &["fruit", "pear", "Pear"],
];

pub(super) fn imported(survey: Table<'_>) -> Imported {
    let bytes = forms::form(survey, CHOICES, &[&["form_id"], &["odk"]]);
    import(&bytes, "odk.xlsx").unwrap_or_else(|e| panic!("{e}"))
}

pub(super) fn refused(survey: Table<'_>) -> String {
    let bytes = forms::form(survey, CHOICES, &[&["form_id"], &["odk"]]);
    import(&bytes, "odk.xlsx").unwrap_err().to_string()
}

fn holds(
    protocol: &Protocol,
    id: &str,
    field: &str,
    given: &[(&str, Value)],
    current: Option<&Value>,
) -> bool {
    let q = protocol.question(id).unwrap();
    let source = if field == "relevant" {
        &q.relevant
    } else {
        &q.constraint
    };
    let answers: BTreeMap<String, Value> = given
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    expr::parse(source.as_deref().unwrap())
        .unwrap()
        .eval(&answers, current)
        .unwrap()
}

fn choice(v: &str) -> Value {
    Value::Choice(v.to_owned())
}

#[test]
fn bind_columns_one_colon_languages_and_pyxform_type_spellings_are_read() {
    let protocol = imported(&[
        &[
            "type",
            "name",
            "label:English",
            "bind:relevant",
            "bind:constraint",
            "bind:jr:constraintMsg",
        ],
        &["select one from YesNo", "works", "Do you work?"],
        &[
            "add integer prompt",
            "hours",
            "Hours?",
            "${works} = 'yes'",
            ". < 100",
            "Too many",
        ],
    ])
    .protocol;
    assert_eq!(protocol.languages, ["en"]);
    let hours = protocol.question("hours").unwrap();
    assert_eq!(hours.relevant.as_deref(), Some("works = 'yes'"));
    assert_eq!(hours.constraint.as_deref(), Some(". < 100"));
    assert_eq!(
        hours.constraint_message.as_ref().unwrap().get("en"),
        Some("Too many")
    );
    let works = protocol.question("works").unwrap();
    let values: Vec<&str> = works.choices.iter().map(|c| c.value.as_str()).collect();
    assert_eq!(
        values,
        ["yes", "no"],
        "the list name keeps its capitals, as in pyxform"
    );
}

#[test]
fn not_equal_holds_for_an_unanswered_question_as_in_odk() {
    let protocol = imported(&[
        &["type", "name", "label", "relevant"],
        &["select_one YesNo", "works", "Do you work?"],
        &["integer", "age", "Age?"],
        &["text", "why", "Why not?", "${works} != 'yes'"],
        &["text", "young", "Young?", "${age} != 18"],
    ])
    .protocol;
    assert_eq!(
        protocol.question("why").unwrap().relevant.as_deref(),
        Some("not (works = 'yes')")
    );
    assert!(
        holds(&protocol, "why", "relevant", &[], None),
        "'' != 'yes' is true in ODK"
    );
    assert!(!holds(
        &protocol,
        "why",
        "relevant",
        &[("works", choice("yes"))],
        None
    ));
    assert!(holds(&protocol, "young", "relevant", &[], None));
    assert!(!holds(
        &protocol,
        "young",
        "relevant",
        &[("age", Value::Integer(18))],
        None
    ));
}

#[test]
fn a_multiple_choice_answer_equals_a_value_only_when_it_is_the_only_choice() {
    let protocol = imported(&[
        &["type", "name", "label", "relevant", "constraint"],
        &[
            "select_multiple fruit",
            "fruits",
            "Fruits?",
            "",
            "not(selected(., 'apple') and count-selected(.) > 1)",
        ],
        &["text", "only_apple", "Only apples?", "${fruits} = 'apple'"],
    ])
    .protocol;
    let chose = |v: &[&str]| Value::Choices(v.iter().map(|s| (*s).to_owned()).collect());
    assert!(holds(
        &protocol,
        "only_apple",
        "relevant",
        &[("fruits", chose(&["apple"]))],
        None
    ));
    assert!(!holds(
        &protocol,
        "only_apple",
        "relevant",
        &[("fruits", chose(&["apple", "pear"]))],
        None
    ));
    assert!(holds(
        &protocol,
        "fruits",
        "constraint",
        &[],
        Some(&chose(&["apple"]))
    ));
    assert!(!holds(
        &protocol,
        "fruits",
        "constraint",
        &[],
        Some(&chose(&["apple", "pear"]))
    ));
}

#[test]
fn regex_in_a_constraint_means_what_odk_means() {
    let protocol = imported(&[
        &["type", "name", "label", "constraint"],
        &["text", "phone", "Phone?", r"regex(., '^\d{3}-\d{4}$')"],
    ])
    .protocol;
    let text = |s: &str| Value::Text(s.to_owned());
    assert!(holds(
        &protocol,
        "phone",
        "constraint",
        &[],
        Some(&text("555-1234"))
    ));
    assert!(!holds(
        &protocol,
        "phone",
        "constraint",
        &[],
        Some(&text("555 1234"))
    ));
    // Java's \d is ASCII only: Arabic-Indic digits do not match in ODK.
    assert!(!holds(
        &protocol,
        "phone",
        "constraint",
        &[],
        Some(&text("٥٥٥-١٢٣٤"))
    ));
    // Their negations are ASCII too, inside a class as well; \p{L} is any
    // letter, as in Java (ODK's documentation's middle-initial example).
    let protocol = imported(&[
        &["type", "name", "label", "constraint"],
        &["text", "code", "Code?", r"regex(., '^\D[\W_]\S$')"],
        &["text", "initial", "Initial?", r"regex(., '^\p{L}$')"],
    ])
    .protocol;
    let code = |s: &str| holds(&protocol, "code", "constraint", &[], Some(&text(s)));
    assert!(code("a-b") && code("٥-b") && code("a_é"));
    assert!(code("aéb") && !code("1-b") && !code("abb") && !code("a- "));
    let initial = |s: &str| holds(&protocol, "initial", "constraint", &[], Some(&text(s)));
    assert!(initial("É") && initial("ж") && !initial("1") && !initial("ab"));
}

#[test]
fn conditions_that_would_fail_on_the_phone_are_refused_at_import() {
    for (relevant, expected) in [
        ("${fruits} = 2", "can hold several choices"),
        ("${works} = 1", "a number is compared with a text"),
        ("${works} > 'no'", "compares numbers in ODK"),
        ("${age}", "not a condition"),
    ] {
        let message = refused(&[
            &["type", "name", "label", "relevant"],
            &["select_multiple fruit", "fruits", "Fruits?"],
            &["select_one YesNo", "works", "Work?"],
            &["integer", "age", "Age?"],
            &["text", "q", "Q?", relevant],
        ]);
        assert!(message.contains("row 5, relevant"), "{relevant}: {message}");
        assert!(message.contains(expected), "{relevant}: {message}");
    }
}

#[test]
fn a_literal_standing_as_a_condition_means_what_odk_reads_in_it() {
    // XPath's boolean(): a number is true unless 0, a text unless empty; a
    // note's value is always '' (ODK keeps no answer for it).
    for (relevant, expected) in [
        ("0", "false"),
        ("1.5", "true"),
        ("0.0", "false"),
        ("'x'", "true"),
        ("0 or ${age} > 3", "false or age > 3"),
        ("not(0)", "not (false)"),
        ("${intro} = ''", "true"),
        ("${intro} != ${intro}", "false"),
    ] {
        let imported = imported(&[
            &["type", "name", "label", "relevant"],
            &["note", "intro", "Now about you"],
            &["integer", "age", "Age?"],
            &["text", "q", "Q?", relevant],
        ]);
        let q = imported.protocol.question("q").unwrap();
        assert_eq!(q.relevant.as_deref(), Some(expected), "{relevant}");
    }
}

#[test]
fn unknown_columns_are_reported_and_media_refused_where_they_stand() {
    let imported = imported(&[
        &["type", "name", "label", "appearance", "tutorial notes"],
        &["integer", "age", "Age?", "numbers", "ask gently"],
    ]);
    let checklist = imported.checklist.join("\n");
    assert!(
        checklist
            .contains("sheet survey, column `appearance` (row 2) was not imported: display styles"),
        "{checklist}"
    );
    assert!(
        checklist.contains("column `tutorial notes` (row 2) was not imported"),
        "{checklist}"
    );
    let message = refused(&[
        &["type", "name", "label", "media::video"],
        &["integer", "age", "Age?", "age.mp4"],
    ]);
    assert!(
        message.contains("row 2: column `media::video` (`age.mp4`): a protocol bundle carries pictures and sounds on questions and choices, not video"),
        "{message}"
    );
}

/// `media::image`, `media::audio` and `image` on choices, per language,
/// become bundle references; an image-only choice gets its name as label
/// and a checklist line; a note's picture is reported, never dropped.
#[test]
fn media_columns_become_bundle_references_per_language() {
    let bytes = forms::workbook(&[
        (
            "survey",
            &[
                &[
                    "type",
                    "name",
                    "label::English (en)",
                    "label::French (fr)",
                    "media::image::English (en)",
                    "media::image::French (fr)",
                    "media::audio",
                    "fieldkit::purpose",
                ],
                &[
                    "select_one where",
                    "heard",
                    "Where did you hear of it?",
                    "Où en avez-vous entendu parler ?",
                    "cards/where-en.png",
                    "cards/where-fr.png",
                    "audio/heard.ogg",
                    "rq1",
                ],
                &[
                    "note",
                    "thanks",
                    "Thank you",
                    "Merci",
                    "cards/thanks.png",
                    "cards/thanks.png",
                    "",
                    "",
                ],
            ],
        ),
        (
            "choices",
            &[
                &[
                    "list_name",
                    "name",
                    "label::English (en)",
                    "label::French (fr)",
                    "image",
                ],
                &[
                    "where",
                    "friends",
                    "Friends",
                    "Des amis",
                    "choices/friends.png",
                ],
                &["where", "radio", "", "", "choices/radio.png"],
            ],
        ),
        (
            "settings",
            &[
                &["form_id", "version", "default_language"],
                &["heard_it", "3", "English (en)"],
            ],
        ),
    ]);
    let imported = fieldkit_sync_server::xlsform::import(&bytes, "media.xlsx").unwrap();
    let q = imported.protocol.question("heard").unwrap();
    assert_eq!(
        q.image,
        Some(MediaRef::PerLanguage(BTreeMap::from([
            ("en".to_owned(), "cards/where-en.png".to_owned()),
            ("fr".to_owned(), "cards/where-fr.png".to_owned()),
        ])))
    );
    assert_eq!(q.audio, Some(MediaRef::All("audio/heard.ogg".into())));
    assert_eq!(
        q.choices[0].image,
        Some(MediaRef::All("choices/friends.png".into()))
    );
    assert_eq!(
        q.choices[1].label.get("en"),
        Some("radio"),
        "an image-only choice is named by its value"
    );
    let checklist = imported.checklist.join("\n");
    assert!(
        checklist.contains("choice `radio`") && checklist.contains("screen reader"),
        "{checklist}"
    );
    assert!(
        checklist.contains("row 3: its picture or sound was not imported"),
        "{checklist}"
    );
    assert!(
        checklist.contains("picture and sound file(s)") && checklist.contains("cards/where-en.png"),
        "{checklist}"
    );
    // The draft reads back with the references, and a bundle with the files
    // passes the media checks.
    let back = fieldkit_protocols::parse_protocol("draft.toml", &imported.toml).unwrap();
    assert_eq!(back.question("heard").unwrap().image, q.image);
    let png = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../protocols/tests/fixtures/media/drawing-with-text.png"
    ))
    .unwrap();
    let ogg = fieldkit_protocols::library::bundle("focus-group-visualisation.toml").files
        ["audio/data-use-en.ogg"]
        .clone();
    let files = [
        "cards/where-en.png",
        "cards/where-fr.png",
        "choices/friends.png",
        "choices/radio.png",
    ]
    .into_iter()
    .map(|p| (p.to_owned(), png.clone()))
    .chain([("audio/heard.ogg".to_owned(), ogg)])
    .collect();
    let checked = fieldkit_protocols::media::Bundle { files }.prepare(&back);
    assert!(!checked.has_errors(), "{:?}", checked.problems);
    assert_eq!(checked.manifest.len(), 5);
}

#[test]
fn a_note_is_kept_only_where_odk_would_show_it() {
    // Inside a conditional group, before a question of that group: its hint.
    let protocol = imported(&[
        &["type", "name", "label", "relevant"],
        &["select_one YesNo", "works", "Work?"],
        &["begin group", "job", "Job", "${works} = 'yes'"],
        &["note", "job_note", "About your job."],
        &["integer", "hours", "Hours?"],
        &["end group"],
    ])
    .protocol;
    assert_eq!(
        protocol
            .question("hours")
            .unwrap()
            .hint
            .as_ref()
            .unwrap()
            .get("en"),
        Some("About your job.")
    );
    // At the end of that group, it would show under the next question's condition.
    let message = refused(&[
        &["type", "name", "label", "relevant"],
        &["select_one YesNo", "works", "Work?"],
        &["begin group", "job", "Job", "${works} = 'yes'"],
        &["integer", "hours", "Hours?"],
        &["note", "job_note", "Thanks for telling me about your job."],
        &["end group"],
        &["integer", "age", "Age?"],
    ]);
    assert!(
        message.contains("row 5: this note is shown when `works = 'yes'`"),
        "{message}"
    );
    assert!(
        message.contains("`age` (row 7), which is asked always"),
        "{message}"
    );
}

#[test]
fn versions_and_language_settings_as_pyxform_reads_them() {
    let survey: Table<'_> = &[
        &[
            "type",
            "name",
            "label::Kinyarwanda (rw)",
            "label::French",
            "hint::English",
        ],
        &["integer", "age", "Imyaka?", "Âge ?"],
    ];
    let settings: Table<'_> = &[
        &["version", "default_language"],
        &["2024-05-06 10:30", "Kinyarwanda"],
    ];
    let imported = import(&forms::form(survey, CHOICES, settings), "v.xlsx").unwrap();
    assert_eq!(imported.protocol.version, 20_240_506);
    assert_eq!(
        imported.protocol.languages,
        ["rw", "fr"],
        "no empty `kinyarwanda` beside `rw`, no English"
    );
    let checklist = imported.checklist.join("\n");
    assert!(
        checklist.contains("version `2024-05-06 10:30` is a date"),
        "{checklist}"
    );
    assert!(
        checklist.contains("column `hint::English`: every cell is empty"),
        "{checklist}"
    );
}

#[test]
fn an_answer_inside_a_text_is_piped_as_in_odk() {
    let survey: Table<'_> = &[
        &["type", "name", "label", "hint"],
        &["integer", "Age", "Age?"],
        &[
            "select_one sizes",
            "size",
            "At ${Age}, which size?",
            "You said ${ Age }.",
        ],
        &["calculate", "double", "", "", ""],
        &["note", "bye", "Thanks, ${size}!"],
    ];
    let choices: Table<'_> = &[
        &["list_name", "name", "label"],
        &["sizes", "small", "Small for ${Age}"],
        &["sizes", "big", "Big"],
    ];
    let bytes = forms::form(survey, choices, &[&["form_id"], &["odk"]]);
    let message = import(&bytes, "odk.xlsx").unwrap_err().to_string();
    assert!(
        message.contains("row 4: this calculate has no calculation"),
        "{message}"
    );

    let survey: Table<'_> = &[
        &["type", "name", "label", "hint"],
        &["integer", "Age", "Age?"],
        &[
            "select_one sizes",
            "size",
            "At ${Age}, which size?",
            "You said ${ Age }.",
        ],
        &["note", "bye", "Thanks, ${size}!"],
    ];
    let protocol = import(
        &forms::form(survey, choices, &[&["form_id"], &["odk"]]),
        "odk.xlsx",
    )
    .unwrap()
    .protocol;
    let size = protocol.question("size").unwrap();
    assert_eq!(size.text.get("en"), Some("At ${age}, which size?"));
    assert_eq!(
        size.hint.as_ref().unwrap().get("en"),
        Some("You said ${age}.")
    );
    assert_eq!(size.choices[0].label.get("en"), Some("Small for ${age}"));
    assert_eq!(protocol.closing.get("en"), Some("Thanks, ${size}!"));
    assert!(fieldkit_protocols::lint::lint(&protocol)
        .iter()
        .all(|f| f.code != "unknown-reference"));

    // A calculation shown in a text is worked out from the answers, as ODK does.
    let protocol = imported(&[
        &["type", "name", "label", "calculation"],
        &["integer", "age", "Age?"],
        &["calculate", "months", "", "${age} * 12"],
        &[
            "text",
            "school",
            "${months} months old: do you go to school?",
        ],
    ])
    .protocol;
    let months = protocol.question("months").unwrap();
    assert_eq!(months.calculation.as_deref(), Some("age * 12"));
    let answers = BTreeMap::from([("age".to_owned(), Value::Integer(12))]);
    let known = fieldkit_protocols::engine::calculate(&protocol, &answers);
    assert_eq!(known.get("months"), Some(&Value::Integer(144)));
    assert_eq!(
        protocol.question("school").unwrap().text.get("en"),
        Some("${months} months old: do you go to school?")
    );
    // One Fieldkit cannot work out is refused where a text shows it.
    let message = refused(&[
        &["type", "name", "label", "calculation"],
        &[
            "calculate",
            "fruit",
            "",
            "pulldata('fruits', 'name', 'name', 'mango')",
        ],
        &["text", "like", "Do you like ${fruit}?"],
    ]);
    assert!(
        message.contains("row 3: column `label`: `${fruit}` is a calculation Fieldkit cannot work out, so a text cannot show it")
            && message.contains("pulldata() reads `fruits.csv`, which is not beside the form"),
        "{message}"
    );
}
