//! The shortest complete interview a researcher can run with the child
//! protocol: consents, a negative screen, the age, every other question
//! declined, rapport, the sensitive section skipped, closing.

use super::Ui;

pub fn first_run_and_enrol(ui: &mut Ui, server: &str, code: &str) {
    ui.click("continue");
    ui.type_into("passphrase", super::STRONG);
    ui.type_into("confirm", super::STRONG);
    ui.click("continue");
    ui.set_checked("code-ack", true);
    ui.click("continue");
    ui.type_into("server", server);
    ui.type_into("code", code);
    ui.click("continue");
    ui.wait_for_enrolment();
}

/// Starts a child interview with `protocol_id` in English and goes through
/// introduction, data use, both consents and a negative screen.
pub fn begin_child_interview(ui: &mut Ui, protocol_id: &str, age: &str) {
    ui.click(&format!("start-{protocol_id}"));
    ui.type_into("age", age);
    ui.click("session-lang-en");
    ui.click("begin");
    ui.click("intro-done");
    ui.click("data-use-done");
    ui.click("consent-yes"); // guardian
    ui.click("consent-yes"); // the child
    while ui.text().contains("Screening") {
        ui.click("screen-no");
    }
}

pub fn complete_child_interview(ui: &mut Ui, age: &str) {
    begin_child_interview(ui, "child-rapid-assessment", age);
    ui.type_into("answer", age);
    ui.click("save-answer");
    for _ in 0..80 {
        if !ui.has("skip") {
            break;
        }
        ui.click("skip");
    }
    ui.click("rapport-confirm");
    ui.click("skip-section");
    ui.click("finish");
    assert!(ui.has("queued"), "{}", ui.text());
    ui.click("go-home");
}
