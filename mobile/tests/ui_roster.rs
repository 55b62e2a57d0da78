//! A roster on the phone: an XLSForm repeat group, imported as numbered
//! instances of the same questions, each its own section, with "add
//! another?" between them, through the real `App` on the real vault.

mod ui_harness;

use fieldkit_protocols::{library, parse_protocol};
use fieldkit_sync_server::xlsform::import;
use ui_harness::journey::begin_child_interview;
use ui_harness::phone::{pin, set_up, unlocked};

/// Pins the shipped child interview with the household roster of pyxform's
/// tutorial form (`begin repeat` ... `end repeat`) right after its first
/// section.
fn pin_roster_protocol(dir: &std::path::Path) {
    let form = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../sync-server/tests/xlsform/corpus/tests__example_xls__tutorial.xls"
    );
    let roster = import(&std::fs::read(form).unwrap(), "tutorial.xls")
        .unwrap()
        .protocol;
    let shipped = library::SHIPPED
        .iter()
        .find(|s| s.source.contains("id = \"child-rapid-assessment\""))
        .unwrap();
    let mut protocol = parse_protocol(shipped.file, shipped.source).unwrap();
    protocol.id = "roster-interview".into();
    let purpose = protocol.research_questions[0].id.clone();
    for (i, mut section) in roster.sections.into_iter().enumerate() {
        for q in &mut section.questions {
            q.purpose = purpose.clone();
        }
        protocol.sections.insert(1 + i, section);
    }
    pin(dir, &protocol);
}

/// Skips questions while the screen's section title is `section`, up to
/// the roster's "add another?" question (the last of the instance's section).
fn skip_through(ui: &mut ui_harness::Ui, section: &str) {
    for _ in 0..20 {
        // The roster's own questions in this form are choices, never yes/no.
        if !ui.text().contains(&format!("Stop {section} ")) || ui.has("answer-yes") {
            return;
        }
        ui.click("skip");
    }
}

#[test]
fn a_roster_asks_its_questions_again_for_each_member_the_interviewer_adds() {
    let dir = tempfile::tempdir().unwrap();
    set_up(dir.path());
    pin_roster_protocol(dir.path());
    let mut ui = unlocked(dir.path());
    begin_child_interview(&mut ui, "roster-interview", "12");
    ui.type_into("answer", "12");
    ui.click("save-answer");
    skip_through(&mut ui, "About you");
    let first = "Household Member or Visitor 1";
    assert!(ui.text().contains(first), "{}", ui.text());
    assert!(ui.text().contains("What is this household member's name?"));
    skip_through(&mut ui, first);
    assert!(
        ui.text()
            .contains("Add another: Household Member or Visitor?"),
        "{}",
        ui.text()
    );
    ui.click("answer-yes");
    ui.click("save-answer");
    let second = "Household Member or Visitor 2";
    assert!(ui.text().contains(second), "{}", ui.text());
    assert!(ui.text().contains("What is this household member's name?"));
    skip_through(&mut ui, second);
    ui.click("answer-no");
    ui.click("save-answer");
    let text = ui.text();
    assert!(
        text.contains("Stop School ") && !text.contains("Household Member or Visitor 3"),
        "no third member: the interview goes on: {text}"
    );
}
