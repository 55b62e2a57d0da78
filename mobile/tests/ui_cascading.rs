//! Cascading selects on the phone: a question offers only the choices its
//! filters allow given the earlier answers (XLSForm's `choice_filter`),
//! through the real `App` on the real vault.

mod ui_harness;

use fieldkit_protocols::{library, parse_protocol};
use ui_harness::journey::begin_child_interview;
use ui_harness::phone::{pin, set_up, unlocked};

/// Pins a copy of the shipped child interview whose `origin` choices depend
/// on the answer to `sex`.
fn pin_cascading_protocol(dir: &std::path::Path) {
    let shipped = library::SHIPPED
        .iter()
        .find(|s| s.source.contains("id = \"child-rapid-assessment\""))
        .unwrap();
    let mut protocol = parse_protocol(shipped.file, shipped.source).unwrap();
    protocol.id = "cascading-interview".into();
    let origin = protocol
        .sections
        .iter_mut()
        .flat_map(|s| s.questions.iter_mut())
        .find(|q| q.id == "origin")
        .unwrap();
    for choice in &mut origin.choices {
        choice.relevant = match choice.value.as_str() {
            "other_region" => Some("sex = 'male'".into()),
            "other_country" => Some("sex = 'female'".into()),
            _ => None,
        };
    }
    assert!(!fieldkit_protocols::lint::lint(&protocol)
        .iter()
        .any(|f| f.location.contains("origin.choices")));
    pin(dir, &protocol);
}

#[test]
fn a_cascading_select_offers_only_the_choices_the_earlier_answer_allows() {
    let dir = tempfile::tempdir().unwrap();
    set_up(dir.path());
    pin_cascading_protocol(dir.path());
    let mut ui = unlocked(dir.path());
    begin_child_interview(&mut ui, "cascading-interview", "12");
    ui.type_into("answer", "12");
    ui.click("save-answer");
    assert!(ui.has("choice-male"), "{}", ui.text());
    ui.click("choice-male");
    ui.click("save-answer");
    assert!(
        ui.has("choice-here"),
        "the origin question is next: {}",
        ui.text()
    );
    assert!(ui.has("choice-other_region"), "{}", ui.html());
    assert!(
        !ui.has("choice-other_country"),
        "a choice its filter excludes is not shown: {}",
        ui.text()
    );
    assert!(ui.text().contains("Another region of this country"));
    assert!(!ui.text().contains("Another country"));
}
