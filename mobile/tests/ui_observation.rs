//! The observation sheet on the real vault, through the real `App`: the
//! questions about the visit, then the counters, read as a person reads them.

mod ui_harness;

use ui_harness::phone::{set_up as set_up_phone, unlocked};
use ui_harness::Ui;

/// Every element id on the screen, in order.
fn ids(html: &str) -> Vec<String> {
    html.split("id=\"")
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].to_owned())
        .collect()
}

/// Answers the visit's questions (no to yes/no, a number, or the first
/// choice) until the tally sheet shows.
fn through_the_questions(ui: &mut Ui) {
    for _ in 0..30 {
        let html = ui.html();
        if html.contains("id=\"plus-") {
            return;
        }
        if ui.has("answer-no") {
            ui.click("answer-no");
        } else if ui.has("answer") {
            ui.type_into("answer", "30");
        } else {
            let choice = ids(&html)
                .into_iter()
                .find(|id| id.starts_with("choice-"))
                .unwrap_or_else(|| panic!("neither a number nor a choice: {}", ui.text()));
            ui.click(&choice);
        }
        ui.click("save-answer");
    }
    panic!("the tally sheet never showed: {}", ui.text());
}

#[test]
fn the_tally_sheet_names_age_groups_as_ages_and_counts_up_and_down() {
    let dir = tempfile::tempdir().unwrap();
    set_up_phone(dir.path());
    let mut ui = unlocked(dir.path());
    ui.click("start-observation-transport-hub");
    ui.click("begin");
    through_the_questions(&mut ui);

    let text = ui.text();
    assert!(text.contains("under 13 · "), "{text}");
    assert!(text.contains("13–14 · "), "{text}");
    assert!(!text.contains("under_13"), "ids are not labels: {text}");

    let plus = ids(&ui.html())
        .into_iter()
        .find(|id| id.starts_with("plus-") && id.ends_with("-under_13"))
        .expect("a counter for children under 13");
    let count = plus.replacen("plus-", "count-", 1);
    let minus = plus.replacen("plus-", "minus-", 1);
    assert!(ui.is_disabled(&minus), "nothing to take back yet");
    ui.click(&plus);
    ui.click(&plus);
    ui.click(&minus);
    assert!(
        ui.html()
            .contains(&format!("id=\"{count}\" class=\"count\">1<")),
        "two up, one down: {}",
        ui.html()
    );
}
