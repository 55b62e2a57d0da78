//! Answer piping on the phone: a question's text and its choice labels show
//! an earlier answer (`${age}`), as ODK does with `${name}` in an XLSForm,
//! through the real `App` on the real vault.

mod ui_harness;

use fieldkit_mobile::vault::PinnedProtocol;
use fieldkit_protocols::wire::ProtocolListing;
use fieldkit_protocols::{library, parse_protocol, to_toml};
use ui_harness::journey::begin_child_interview;
use ui_harness::phone::{set_up, unlocked, vault};

/// Pins a copy of the shipped child interview whose later questions and
/// choices show the child's age.
fn pin_piped_protocol(dir: &std::path::Path) {
    let shipped = library::SHIPPED
        .iter()
        .find(|s| s.source.contains("id = \"child-rapid-assessment\""))
        .unwrap();
    let mut protocol = parse_protocol(shipped.file, shipped.source).unwrap();
    protocol.id = "piped-interview".into();
    for section in &mut protocol.sections {
        for q in section.questions.iter_mut().filter(|q| q.id != "age") {
            for text in q.text.0.values_mut() {
                *text = format!("[${{age}}] {text}");
            }
            for choice in &mut q.choices {
                for label in choice.label.0.values_mut() {
                    label.push_str(" (${age})");
                }
            }
        }
    }
    assert!(fieldkit_protocols::lint::lint(&protocol)
        .iter()
        .all(|f| f.code != "unknown-reference"));
    let source = to_toml(&protocol);
    let listing = ProtocolListing::new(&protocol, source);
    vault(dir)
        .pin_protocol(&PinnedProtocol::from_listing(&listing))
        .unwrap();
}

#[test]
fn the_next_question_and_its_choices_show_the_age_just_given() {
    let dir = tempfile::tempdir().unwrap();
    set_up(dir.path());
    pin_piped_protocol(dir.path());
    let mut ui = unlocked(dir.path());
    begin_child_interview(&mut ui, "piped-interview", "12");
    assert!(ui.text().contains("How old are you?"), "{}", ui.text());
    ui.type_into("answer", "12");
    ui.click("save-answer");
    let text = ui.text();
    assert!(text.contains("[12] "), "the answer is piped in: {text}");
    assert!(
        !text.contains("${age}"),
        "never the reference itself: {text}"
    );
    if ui.html().contains("choice-") {
        assert!(
            text.contains(" (12)"),
            "choice labels are piped too: {text}"
        );
    }
}
