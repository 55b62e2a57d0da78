//! Rosters: `begin loop over LIST` (one instance per item, as pyxform
//! expands it) and `begin repeat` (as many as `repeat_count` says or the
//! interviewer adds, up to a bound), each instance its own section of its
//! own questions, so each is asked once (R7).

use fieldkit_protocols::{expr, Value};
use fieldkit_sync_server::xlsform::import;

use super::forms::{self, Table};

const CHOICES: Table<'static> = &[
    &[
        "list_name",
        "name",
        "label::English (en)",
        "label::Français (fr)",
    ],
    &["work", "farm", "Farm work", "Travail aux champs"],
    &["work", "market", "Selling at the market", "Vente au marché"],
];

fn imported(survey: Table<'_>) -> Result<fieldkit_protocols::Protocol, String> {
    let bytes = forms::form(survey, CHOICES, &[&["form_id"], &["loops"]]);
    import(&bytes, "loops.xlsx")
        .map(|i| i.protocol)
        .map_err(|e| e.to_string())
}

#[test]
fn a_loop_asks_its_questions_once_per_item_with_the_item_in_the_text() {
    let protocol = imported(&[
        &[
            "type",
            "name",
            "label::English (en)",
            "label::Français (fr)",
            "relevant",
        ],
        &["begin loop over work", "jobs", "Jobs", "Travaux", ""],
        &[
            "integer",
            "days",
            "Days of %(label)s last week?",
            "Jours de %(label)s ?",
            "",
        ],
        &[
            "integer",
            "hours",
            "Hours a day of %(label)s?",
            "Heures par jour ?",
            "${days} > 0",
        ],
        &["end loop", "", "", "", ""],
        &["text", "after", "Anything else?", "Autre chose ?", ""],
    ])
    .unwrap();
    let ids: Vec<&str> = protocol.questions().map(|q| q.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "jobs_farm_days",
            "jobs_farm_hours",
            "jobs_market_days",
            "jobs_market_hours",
            "after"
        ]
    );
    let sections: Vec<&str> = protocol.sections.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(sections, ["jobs_farm", "jobs_market", "main"]);
    assert_eq!(
        protocol.sections[1].title.get("fr"),
        Some("Vente au marché")
    );
    let market_days = protocol.question("jobs_market_days").unwrap();
    assert_eq!(
        market_days.text.get("en"),
        Some("Days of Selling at the market last week?")
    );
    assert_eq!(
        market_days.text.get("fr"),
        Some("Jours de Vente au marché ?")
    );
    // `${days}` inside an instance is that instance's answer.
    let relevant = protocol
        .question("jobs_market_hours")
        .unwrap()
        .relevant
        .clone();
    assert_eq!(relevant.as_deref(), Some("jobs_market_days > 0"));
    let answers =
        std::collections::BTreeMap::from([("jobs_market_days".to_owned(), Value::Integer(2))]);
    assert!(expr::parse(&relevant.unwrap())
        .unwrap()
        .eval(&answers, None)
        .unwrap());
}

#[test]
fn a_loop_question_named_outside_its_loop_is_refused() {
    let message = imported(&[
        &["type", "name", "label::English (en)", "relevant"],
        &["begin loop over work", "jobs", "Jobs", ""],
        &["integer", "days", "Days of %(label)s?", ""],
        &["end loop", "", "", ""],
        &["text", "after", "Anything else?", "${days} > 1"],
    ])
    .unwrap_err();
    assert!(
        message.contains("row 5, relevant `${days} > 1`"),
        "{message}"
    );
    let message = imported(&[
        &["type", "name", "label::English (en)"],
        &["begin loop over work", "jobs", "Jobs"],
        &["integer", "days", "Days?"],
    ])
    .unwrap_err();
    assert!(
        message.contains("row 2: this loop is never closed"),
        "{message}"
    );
}

fn ids(protocol: &fieldkit_protocols::Protocol) -> Vec<&str> {
    protocol.questions().map(|q| q.id.as_str()).collect()
}

#[test]
fn a_repeat_the_interviewer_extends_asks_add_another_up_to_its_bound() {
    let protocol = imported(&[
        &["type", "name", "label::English (en)", "relevant"],
        &["begin repeat", "sibling", "Sibling", ""],
        &["integer", "age", "How old is this sibling?", ""],
        &[
            "text",
            "work",
            "What work does a %(label)s do?",
            "${age} < 18",
        ],
        &["end repeat", "", "", ""],
    ])
    .unwrap();
    let ids = ids(&protocol);
    assert_eq!(
        &ids[..5],
        [
            "sibling_1_age",
            "sibling_1_work",
            "sibling_add_2",
            "sibling_2_age",
            "sibling_2_work"
        ]
    );
    assert_eq!(
        ids.len(),
        20 * 2 + 19,
        "20 instances, 19 questions to add one"
    );
    let q = |id: &str| protocol.question(id).unwrap();
    assert_eq!(q("sibling_add_2").relevant, None);
    assert_eq!(
        q("sibling_add_3").relevant.as_deref(),
        Some("sibling_add_2 = true")
    );
    assert_eq!(
        q("sibling_2_age").relevant.as_deref(),
        Some("sibling_add_2 = true")
    );
    assert_eq!(
        q("sibling_2_work").relevant.as_deref(),
        Some("(sibling_add_2 = true) and (sibling_2_age < 18)")
    );
    assert_eq!(
        q("sibling_2_work").text.get("en"),
        Some("What work does a Sibling 2 do?")
    );
    assert_eq!(protocol.sections[1].title.get("en"), Some("Sibling 2"));
}

#[test]
fn a_repeat_with_its_own_condition_is_skipped_whole_when_it_is_false() {
    // ODK's documentation's "zero repetitions" example: the repeat's own
    // `relevant` skips every instance, and "add another?" with them.
    let protocol = imported(&[
        &["type", "name", "label::English (en)", "relevant"],
        &["select_one work", "trees_present", "Work here?", ""],
        &["begin repeat", "tree", "Tree", "${trees_present} = 'farm'"],
        &["text", "species", "Species?", ""],
        &["end repeat", "", "", ""],
    ])
    .unwrap();
    let q = |id: &str| protocol.question(id).unwrap();
    let asked = |id: &str, work: &str| {
        let answers = std::collections::BTreeMap::from([(
            "trees_present".to_owned(),
            Value::Choice(work.to_owned()),
        )]);
        expr::parse(q(id).relevant.as_deref().unwrap())
            .unwrap()
            .eval(&answers, None)
            .unwrap()
    };
    for id in [
        "tree_1_species",
        "tree_2_species",
        "tree_add_2",
        "tree_add_3",
    ] {
        assert!(
            !asked(id, "market"),
            "{id} is asked with the repeat's condition false"
        );
    }
    assert!(asked("tree_1_species", "farm"));
    assert_eq!(
        q("tree_2_species").relevant.as_deref(),
        Some("(trees_present = 'farm') and (tree_add_2 = true)")
    );
}

#[test]
fn a_repeat_counted_by_an_answer_is_asked_that_many_times() {
    let protocol = imported(&[
        &[
            "type",
            "name",
            "label::English (en)",
            "constraint",
            "repeat_count",
        ],
        &["integer", "siblings", "How many siblings?", ". >= 0", ""],
        &["begin repeat", "sibling", "Sibling", "", "${siblings}"],
        &["integer", "age", "Age?", "", ""],
        &["end repeat", "", "", "", ""],
        &["begin repeat", "visit", "Visit", "", "2"],
        &["text", "place", "Where?", "", ""],
        &["end repeat", "", "", "", ""],
    ])
    .unwrap();
    let q = |id: &str| protocol.question(id).unwrap();
    // The count is bounded, so every instance is a question of its own.
    assert_eq!(
        q("siblings").constraint.as_deref(),
        Some("(. >= 0) and . <= 20")
    );
    assert_eq!(
        q("sibling_3_age").relevant.as_deref(),
        Some("siblings >= 3")
    );
    assert!(protocol.question("sibling_20_age").is_some());
    assert!(protocol.question("sibling_21_age").is_none());
    let two = std::collections::BTreeMap::from([("siblings".to_owned(), Value::Integer(2))]);
    let asked = |id: &str| {
        expr::parse(q(id).relevant.as_deref().unwrap())
            .unwrap()
            .eval(&two, None)
            .unwrap()
    };
    assert!(asked("sibling_2_age") && !asked("sibling_3_age"));
    // A fixed count: exactly that many, always asked.
    let visits: Vec<&str> = ids(&protocol)
        .into_iter()
        .filter(|i| i.starts_with("visit"))
        .collect();
    assert_eq!(visits, ["visit_1_place", "visit_2_place"]);
    assert_eq!(q("visit_2_place").relevant, None);
    let message = imported(&[
        &["type", "name", "label::English (en)", "repeat_count"],
        &["text", "name", "Name?", ""],
        &["begin repeat", "sibling", "Sibling", "${name}"],
        &["integer", "age", "Age?", ""],
        &["end repeat", "", "", ""],
    ])
    .unwrap_err();
    assert!(
        message.contains("row 3: repeat_count `${name}` must name a whole-number question"),
        "{message}"
    );
}

#[test]
fn a_repeat_counted_by_a_calculated_number_has_that_fixed_count() {
    // pyxform's repeat_date_test: `calculate` `1`, then `${repeat_count}`.
    let bytes = forms::form(
        &[
            &[
                "type",
                "name",
                "label::English (en)",
                "calculation",
                "repeat_count",
            ],
            &["calculate", "how_many", "", "2", ""],
            &["begin repeat", "visit", "Visit", "", "${how_many}"],
            &["text", "place", "Where?", "", ""],
            &["end repeat", "", "", "", ""],
        ],
        CHOICES,
        &[&["form_id"], &["loops"]],
    );
    let imported = import(&bytes, "loops.xlsx").unwrap();
    let visits: Vec<&str> = ids(&imported.protocol)
        .into_iter()
        .filter(|i| i.starts_with("visit"))
        .collect();
    assert_eq!(visits, ["visit_1_place", "visit_2_place"]);
    assert_eq!(
        imported
            .protocol
            .question("visit_2_place")
            .unwrap()
            .relevant,
        None
    );
    assert!(
        imported
            .checklist
            .iter()
            .any(|c| c.contains("fixed count 2") && c.contains("`how_many`")),
        "{:#?}",
        imported.checklist
    );
    // A calculation that is no fixed number still needs a question.
    let message = imported_err(&[
        &[
            "type",
            "name",
            "label::English (en)",
            "calculation",
            "repeat_count",
        ],
        &["integer", "n", "How many?", "", ""],
        &["calculate", "twice", "", "${n} * 2", ""],
        &["begin repeat", "visit", "Visit", "", "${twice}"],
        &["text", "place", "Where?", "", ""],
        &["end repeat", "", "", "", ""],
    ]);
    assert!(
        message.contains("row 4: repeat_count `${twice}` must name a whole-number question"),
        "{message}"
    );
}

fn imported_err(survey: Table<'_>) -> String {
    imported(survey).unwrap_err()
}
