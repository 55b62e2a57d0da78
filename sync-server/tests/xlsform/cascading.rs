//! Cascading selects (`choice_filter`): each choice carries the filter worked
//! out for it, the engine offers only the choices it allows, and a filter
//! that offers nothing (a bare name that is no column) does so as in ODK and
//! is named in the checklist.

use fieldkit_protocols::lint::lint;
use fieldkit_protocols::{Protocol, Value};
use fieldkit_sync_server::xlsform::import;

use super::forms::{self, Table};

const SURVEY: Table<'static> = &[
    &["type", "name", "label", "choice_filter"],
    &["select_one district", "district", "Which district?", ""],
    &[
        "select_one town",
        "town",
        "Which town?",
        "district=${district}",
    ],
    &[
        "select_multiple town",
        "towns",
        "Which towns else?",
        "district = ${district} and name != ${town}",
    ],
];

const CHOICES: Table<'static> = &[
    &["list_name", "name", "label", "district"],
    &["district", "north", "North", ""],
    &["district", "south", "South", ""],
    &["town", "tamale", "Tamale", "north"],
    &["town", "bolga", "Bolgatanga", "north"],
    &["town", "hohoe", "Hohoe", "south"],
    // The same town name in both districts, as real lists have.
    &["town", "central", "Central (North)", "north"],
    &["town", "central", "Central (South)", "south"],
];

fn cascading(survey: Table<'_>) -> Result<Protocol, String> {
    let bytes = forms::form(survey, CHOICES, &[&["form_id"], &["towns"]]);
    import(&bytes, "towns.xlsx")
        .map(|i| i.protocol)
        .map_err(|e| e.to_string())
}

/// The values `id` offers once `district` is answered, through the engine's
/// own rule (the choices' conditions over the answers so far).
fn offered(protocol: &Protocol, id: &str, answers: &[(&str, Value)]) -> Vec<String> {
    let answers = answers
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect::<std::collections::BTreeMap<_, _>>();
    protocol
        .question(id)
        .unwrap()
        .choices
        .iter()
        .filter(|c| {
            c.relevant.as_deref().is_none_or(|src| {
                fieldkit_protocols::expr::parse(src)
                    .unwrap()
                    .eval(&answers, None)
                    .unwrap()
            })
        })
        .map(|c| c.value.clone())
        .collect()
}

#[test]
fn a_choice_filter_offers_the_towns_of_the_district_chosen() {
    let protocol = cascading(SURVEY).unwrap();
    let town = protocol.question("town").unwrap();
    assert_eq!(
        town.choices[0].relevant.as_deref(),
        Some("'north' = district")
    );
    let north = [("district", Value::Choice("north".into()))];
    assert_eq!(
        offered(&protocol, "town", &north),
        ["tamale", "bolga", "central"]
    );
    let south = [("district", Value::Choice("south".into()))];
    assert_eq!(offered(&protocol, "town", &south), ["hohoe", "central"]);
    // Nothing is offered before a district is chosen, as in ODK.
    assert!(offered(&protocol, "town", &[]).is_empty());
    // `name` is the choice's own value; `!=` keeps ODK's meaning.
    let both = [
        ("district", Value::Choice("north".into())),
        ("town", Value::Choice("tamale".into())),
    ];
    assert_eq!(offered(&protocol, "towns", &both), ["bolga", "central"]);
    // A value repeated under different filters is not a duplicate to the linter.
    let duplicates: Vec<_> = lint(&protocol)
        .into_iter()
        .filter(|f| f.code == "duplicate-id" || f.code == "bad-expression")
        .collect();
    assert!(duplicates.is_empty(), "{duplicates:?}");
}

#[test]
fn a_filter_naming_no_column_offers_nothing_as_in_odk_and_says_so() {
    // `north` unquoted is a column ODK does not find: an empty node-set,
    // so `district=north` holds for no town.
    let survey: Table<'_> = &[
        &["type", "name", "label", "choice_filter"],
        &["select_one district", "district", "Which district?", ""],
        &["select_one town", "town", "Which town?", "district=north"],
    ];
    let bytes = forms::form(survey, CHOICES, &[&["form_id"], &["towns"]]);
    let imported = import(&bytes, "towns.xlsx").unwrap();
    let north = [("district", Value::Choice("north".into()))];
    assert!(offered(&imported.protocol, "town", &north).is_empty());
    assert!(
        imported.checklist.iter().any(|c| c.contains("row 3")
            && c.contains("`district=north` holds for no choice of list `town`")
            && c.contains("quote it")),
        "{:#?}",
        imported.checklist
    );
    // An empty cell is no cell in ODK either: the districts have none.
    let survey: Table<'_> = &[
        &["type", "name", "label", "choice_filter"],
        &[
            "select_one district",
            "district",
            "Which district?",
            "district != 'x'",
        ],
    ];
    let protocol = cascading(survey).unwrap();
    assert!(offered(&protocol, "district", &[]).is_empty());
    // The "other" or_other adds has no cells but its name.
    let survey: Table<'_> = &[
        &["type", "name", "label", "choice_filter"],
        &["select_one district", "district", "Which district?", ""],
        &[
            "select_one town or_other",
            "town",
            "Which town?",
            "district=${district}",
        ],
        &[
            "select_one town",
            "home",
            "Home town?",
            "name = 'other' or district = 'south'",
        ],
    ];
    let protocol = cascading(survey).unwrap();
    assert_eq!(
        offered(&protocol, "town", &north),
        ["tamale", "bolga", "central"]
    );
    assert_eq!(
        offered(&protocol, "home", &[]),
        ["hohoe", "central", "other"]
    );
    // Anywhere but in a comparison or as a condition, it is refused.
    let survey: Table<'_> = &[
        &["type", "name", "label", "choice_filter"],
        &["select_one district", "district", "Which district?", ""],
        &["select_one town", "town", "Which town?", "north + 1 > 0"],
    ];
    let message = cascading(survey).unwrap_err();
    assert!(message.contains("row 3, choice_filter"), "{message}");
    assert!(
        message.contains("`north` is not a column of this choice"),
        "{message}"
    );
    assert!(
        message.contains("choice `tamale` of list `town`"),
        "{message}"
    );
    let survey: Table<'_> = &[
        &["type", "name", "label", "choice_filter"],
        &["integer", "n", "How many?", "n > 1"],
    ];
    let message = cascading(survey).unwrap_err();
    assert!(
        message.contains("only has a meaning on a select"),
        "{message}"
    );
}
