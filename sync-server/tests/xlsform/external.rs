//! External choices: `select_one_external` takes its list from the
//! external_choices sheet (ODK reads it from the itemsets.csv pyxform
//! writes from that sheet) and filters it with `choice_filter` as a
//! cascading select does; `select_one_from_file` reads the CSV file beside
//! the form; what Fieldkit cannot take is refused by row.

use std::collections::BTreeMap;

use fieldkit_protocols::{expr, QuestionKind, Value};
use fieldkit_sync_server::xlsform::{import, import_with_files, read_csv};
use proptest::prelude::*;

use super::forms::{self, Table};

const SURVEY: Table<'static> = &[
    &["type", "name", "label", "choice_filter"],
    &["select_one region", "region", "Which region?", ""],
    &[
        "select_one_external village",
        "village",
        "Which village?",
        "region=${region}",
    ],
];

const CHOICES: Table<'static> = &[
    &["list_name", "name", "label"],
    &["region", "east", "East"],
    &["region", "west", "West"],
];

const EXTERNAL: Table<'static> = &[
    &["list_name", "name", "label", "region"],
    &["village", "ada", "Ada", "east"],
    &["village", "keta", "Keta", "east"],
    &["village", "axim", "Axim", "west"],
];

fn import_with(
    survey: Table<'_>,
    external: Table<'_>,
) -> Result<fieldkit_protocols::Protocol, String> {
    let bytes = forms::workbook(&[
        ("survey", survey),
        ("choices", CHOICES),
        ("external_choices", external),
        ("settings", &[&["form_id"], &["villages"]]),
    ]);
    import(&bytes, "villages.xlsx")
        .map(|i| i.protocol)
        .map_err(|e| e.to_string())
}

#[test]
fn an_external_select_offers_the_external_list_filtered_as_odk_does() {
    let protocol = import_with(SURVEY, EXTERNAL).unwrap();
    let village = protocol.question("village").unwrap();
    assert_eq!(village.kind, QuestionKind::SingleChoice);
    let values: Vec<&str> = village.choices.iter().map(|c| c.value.as_str()).collect();
    assert_eq!(values, ["ada", "keta", "axim"]);
    assert_eq!(village.choices[2].label.get("en"), Some("Axim"));
    let offered = |region: Option<&str>| -> Vec<&str> {
        let answers: BTreeMap<String, Value> = region
            .map(|r| ("region".to_owned(), Value::Choice(r.to_owned())))
            .into_iter()
            .collect();
        village
            .choices
            .iter()
            .filter(|c| {
                expr::parse(c.relevant.as_deref().unwrap())
                    .unwrap()
                    .eval(&answers, None)
                    .unwrap()
            })
            .map(|c| c.value.as_str())
            .collect()
    };
    assert_eq!(offered(Some("east")), ["ada", "keta"]);
    assert_eq!(offered(Some("west")), ["axim"]);
    assert!(offered(None).is_empty());
}

#[test]
fn an_external_list_that_is_not_there_is_refused_saying_where_to_put_it() {
    let message = import_with(
        SURVEY,
        &[&["list_name", "name", "label"], &["other", "a", "A"]],
    )
    .unwrap_err();
    assert!(message.contains("sheet survey, row 3"), "{message}");
    assert!(
        message.contains("the external list `village` is not in the external_choices sheet"),
        "{message}"
    );
    assert!(message.contains("write `select_one village`"), "{message}");
    let or_other: Table<'_> = &[
        &["type", "name", "label"],
        &[
            "select_one_external village or_other",
            "village",
            "Which village?",
        ],
    ];
    let message = import_with(or_other, EXTERNAL).unwrap_err();
    assert!(message.contains("row 2"), "{message}");
    assert!(message.contains("add an `other` row"), "{message}");
}

#[test]
fn lookups_into_a_choice_list_give_the_chosen_choice_cell_as_odk_does() {
    let survey: Table<'_> = &[
        &["type", "name", "label", "calculation"],
        &["select_one region", "region", "Which region?", ""],
        &[
            "calculate",
            "capital",
            "",
            "instance('region')/root/item[name = ${region}]/capital",
        ],
        &[
            "calculate",
            "region_name",
            "",
            "jr:choice-name(${region}, '${region}')",
        ],
        &["text", "street", "Which street in ${capital}?", ""],
    ];
    let choices: Table<'_> = &[
        &["list_name", "name", "label", "capital"],
        &["region", "east", "East", "Ho"],
        &["region", "west", "West", "Sekondi"],
    ];
    let bytes = forms::form(survey, choices, &[&["form_id"], &["lookups"]]);
    let imported = import(&bytes, "lookups.xlsx").unwrap_or_else(|e| panic!("{e}"));
    let protocol = &imported.protocol;
    let values = |region: Option<&str>| {
        let answers: BTreeMap<String, Value> = region
            .map(|r| ("region".to_owned(), Value::Choice(r.to_owned())))
            .into_iter()
            .collect();
        fieldkit_protocols::engine::calculate(protocol, &answers)
    };
    let west = values(Some("west"));
    assert_eq!(west.get("capital"), Some(&Value::Text("Sekondi".into())));
    assert_eq!(west.get("region_name"), Some(&Value::Text("West".into())));
    // Unanswered: '' in ODK, nothing shown in Fieldkit.
    let none = values(None);
    assert!(matches!(none.get("capital"), None | Some(Value::Text(_))));
    assert!(none
        .get("capital")
        .is_none_or(|v| *v == Value::Text(String::new())));
    // A label that differs between languages has no single value: refused,
    // saying how to show the chosen choice instead.
    let choices: Table<'_> = &[
        &[
            "list_name",
            "name",
            "label::English (en)",
            "label::Français (fr)",
        ],
        &["region", "east", "East", "Est"],
    ];
    let survey: Table<'_> = &[
        &[
            "type",
            "name",
            "label::English (en)",
            "label::Français (fr)",
            "calculation",
        ],
        &[
            "select_one region",
            "region",
            "Which region?",
            "Quelle région ?",
            "",
        ],
        &[
            "calculate",
            "region_name",
            "",
            "",
            "jr:choice-name(${region}, '${region}')",
        ],
    ];
    let bytes = forms::form(survey, choices, &[&["form_id"], &["lookups"]]);
    let imported = import(&bytes, "lookups.xlsx").unwrap();
    assert!(
        imported
            .checklist
            .iter()
            .any(|c| c.contains("region_name") && c.contains("differs between languages")),
        "{:#?}",
        imported.checklist
    );
    let message = forms::form(
        &[
            &["type", "name", "label", "relevant"],
            &["select_one region", "region", "Which region?", ""],
            &[
                "text",
                "q",
                "Q?",
                "instance('region')/root/item[${region} > 1]/capital = 'Ho'",
            ],
        ],
        CHOICES,
        &[&["form_id"], &["lookups"]],
    );
    let message = import(&message, "lookups.xlsx").unwrap_err().to_string();
    assert!(message.contains("row 3, relevant"), "{message}");
    assert!(
        message.contains("instance('list')/root/item[name = ${q}]/column"),
        "{message}"
    );
}

#[test]
fn pulldata_reads_the_data_file_beside_the_form() {
    let survey: Table<'_> = &[
        &["type", "name", "label", "calculation"],
        &["select_one region", "region", "Which region?", ""],
        &[
            "calculate",
            "price",
            "",
            "pulldata('prices', 'price', 'region', ${region})",
        ],
        &[
            "calculate",
            "fixed",
            "",
            "pulldata('prices', 'price', 'region', 'west')",
        ],
        &["text", "why", "Why ${price} (west: ${fixed})?", ""],
    ];
    let bytes = forms::form(survey, CHOICES, &[&["form_id"], &["prices"]]);
    let prices = b"region,price\neast,10\nwest,12\neast,99\n".to_vec();
    let beside = |name: &str| (name == "prices.csv").then(|| prices.clone());
    let imported = import_with_files(&bytes, "prices.xlsx", &beside).unwrap();
    let answers = BTreeMap::from([("region".to_owned(), Value::Choice("east".to_owned()))]);
    let values = fieldkit_protocols::engine::calculate(&imported.protocol, &answers);
    // The first row with the key, as ODK finds it.
    assert_eq!(values.get("price"), Some(&Value::Text("10".into())));
    assert_eq!(values.get("fixed"), Some(&Value::Text("12".into())));
    let message = import(&bytes, "prices.xlsx").unwrap_err().to_string();
    assert!(message.contains("sheet survey, row 5"), "{message}");
    assert!(
        message.contains("`prices.csv`, which is not beside the form"),
        "{message}"
    );
    let wrong = |_: &str| Some(b"region,cost\n".to_vec());
    let message = import_with_files(&bytes, "prices.xlsx", &wrong)
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("`prices.csv` has no column `price`"),
        "{message}"
    );
}

#[test]
fn an_openstreetmap_answer_is_refused_on_principle() {
    let survey: Table<'_> = &[
        &["type", "name", "label"],
        &["osm building", "home", "Where exactly?"],
    ];
    let message = import_with(survey, EXTERNAL).unwrap_err();
    assert!(message.contains("sheet survey, row 2"), "{message}");
    assert!(message.contains("R21"), "{message}");
    assert!(message.contains("geopoint"), "{message}");
}

fn from_file(csv: Option<&str>) -> Result<fieldkit_protocols::Protocol, String> {
    let survey: Table<'_> = &[
        &["type", "name", "label", "choice_filter"],
        &["select_one region", "region", "Which region?", ""],
        &[
            "select_one_from_file villages.csv",
            "village",
            "Which village?",
            "region=${region}",
        ],
    ];
    let bytes = forms::form(survey, CHOICES, &[&["form_id"], &["villages"]]);
    let beside = |name: &str| {
        (name == "villages.csv")
            .then(|| csv.map(|c| c.as_bytes().to_vec()))
            .flatten()
    };
    import_with_files(&bytes, "villages.xlsx", &beside)
        .map(|i| i.protocol)
        .map_err(|e| e.to_string())
}

#[test]
fn choices_from_a_csv_file_beside_the_form_are_read_and_filtered() {
    let csv = "name,label,region\r\nada,Ada,east\r\naxim,\"Axim, on the coast\",west\r\n";
    let protocol = from_file(Some(csv)).unwrap();
    let village = protocol.question("village").unwrap();
    let values: Vec<&str> = village.choices.iter().map(|c| c.value.as_str()).collect();
    assert_eq!(values, ["ada", "axim"]);
    assert_eq!(
        village.choices[1].label.get("en"),
        Some("Axim, on the coast")
    );
    assert_eq!(
        village.choices[1].relevant.as_deref(),
        Some("'west' = region")
    );
    // Not beside the form: refused, saying where to put it or what to write.
    let message = from_file(None).unwrap_err();
    assert!(message.contains("sheet survey, row 3"), "{message}");
    assert!(
        message.contains("type `select_one_from_file villages.csv`"),
        "{message}"
    );
    assert!(message.contains("not beside the form"), "{message}");
    assert!(message.contains("write `select_one villages`"), "{message}");
    // A broken file is refused at its own line.
    let message = from_file(Some("name,label\nada,\"Ada\n")).unwrap_err();
    assert!(
        message.contains("in `villages.csv`") || message.contains("`villages.csv`, line 2"),
        "{message}"
    );
    let message = from_file(Some("label\nAda\n")).unwrap_err();
    assert!(message.contains("no `name` column"), "{message}");
    // Only a file in the form's own folder is read.
    let bytes = forms::form(
        &[
            &["type", "name", "label"],
            &["select_one_from_file ../secret.csv", "v", "V?"],
        ],
        CHOICES,
        &[&["form_id"], &["villages"]],
    );
    let asked = std::cell::Cell::new(false);
    let beside = |_: &str| {
        asked.set(true);
        Some(b"name,label\na,A\n".to_vec())
    };
    assert!(import_with_files(&bytes, "v.xlsx", &beside).is_err());
    assert!(!asked.get(), "a path outside the folder was asked for");
}

/// `rows` as CSV, every field quoted, lines ending in `end`.
fn csv_of(rows: &[Vec<String>], end: &str) -> String {
    rows.iter()
        .map(|row| {
            let fields: Vec<String> = row
                .iter()
                .map(|f| format!("\"{}\"", f.replace('"', "\"\"")))
                .collect();
            fields.join(",") + end
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn csv_rows_read_back_as_written(
        rows in prop::collection::vec(prop::collection::vec("[ -~\n\r\"é,]{0,8}", 1..4), 0..6),
        crlf in any::<bool>(),
    ) {
        let text = csv_of(&rows, if crlf { "\r\n" } else { "\n" });
        prop_assert_eq!(read_csv(&text).unwrap(), rows);
    }

    #[test]
    fn any_text_is_read_or_refused_at_a_line(text in "(?s).{0,200}") {
        if let Err(message) = read_csv(&text) {
            prop_assert!(message.starts_with("line "), "{}", message);
        }
    }

    #[test]
    fn any_file_beside_the_form_imports_or_is_refused_by_row(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let survey: Table<'_> = &[&["type", "name", "label"], &["select_one_from_file f.csv", "v", "V?"]];
        let form = forms::form(survey, CHOICES, &[&["form_id"], &["f"]]);
        if let Err(error) = import_with_files(&form, "f.xlsx", &|_| Some(bytes.clone())) {
            prop_assert!(error.to_string().contains("sheet survey, row 2"), "{}", error);
        }
    }
}
