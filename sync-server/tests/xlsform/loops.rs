//! `begin loop over LIST`: a roster of fixed length, each instance its own
//! section of its own questions, as pyxform expands it.

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
