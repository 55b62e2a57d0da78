//! The fieldwork screens on the real encrypted vault in a temporary folder,
//! driven through the real `App` as a person would: an interview end to end,
//! a positive screen, a refused answer, the identity store, withdrawal and
//! the language switch.

mod ui_harness;

use fieldkit_mobile::vault::{OutboxItem, OutboxState};
use ui_harness::phone::{set_up as set_up_phone, unlocked, vault};
use ui_harness::Ui;

fn begin_child_interview(ui: &mut Ui, age: &str) {
    ui.click("start-child-rapid-assessment");
    ui.type_into("age", age);
    ui.click("session-lang-en");
    ui.click("begin");
}

fn through_consent_and_screening(ui: &mut Ui) {
    ui.click("intro-done");
    ui.click("data-use-done");
    ui.click("consent-yes"); // guardian
    ui.click("consent-yes"); // the child
    while ui.text().contains("Screening") {
        ui.click("screen-no");
    }
}

#[test]
fn home_shows_protocols_sync_status_and_that_the_app_works_offline() {
    let dir = tempfile::tempdir().unwrap();
    set_up_phone(dir.path());
    let ui = unlocked(dir.path());
    let text = ui.text();
    assert!(text.contains("Works offline"), "{text}");
    assert!(
        text.contains("Rapid assessment: interview with a child"),
        "{text}"
    );
    assert!(text.contains("0 waiting to send"), "{text}");
    assert!(text.contains("Last sync: never"), "{text}");
    assert!(text.contains("No session in progress."), "{text}");
}

#[test]
fn an_interview_runs_end_to_end_and_leaves_one_anonymised_record_in_the_outbox() {
    let dir = tempfile::tempdir().unwrap();
    set_up_phone(dir.path());
    let mut ui = unlocked(dir.path());
    begin_child_interview(&mut ui, "12");
    let text = ui.text();
    assert!(text.contains("My name is Awa Diallo"), "{text}");
    assert!(!text.contains("{interviewer}"), "{text}");
    assert!(ui.has("stop") && ui.has("others-present"));
    through_consent_and_screening(&mut ui);

    // The engine's constraint, with the protocol's own message.
    assert!(ui.text().contains("How old are you?"), "{}", ui.text());
    ui.type_into("answer", "40");
    ui.click("save-answer");
    let text = ui.text();
    assert!(
        text.contains("This interview is for children aged 5 to 17."),
        "{text}"
    );
    assert!(text.contains("How old are you?"), "still the same question");
    ui.type_into("answer", "twelve");
    ui.click("save-answer");
    assert!(ui.text().contains("Enter a whole number."));
    ui.type_into("answer", "12");
    ui.click("save-answer");
    assert!(ui.has("amend-age"), "the age is among the answers given");
    assert!(
        !ui.text().contains("children aged 5 to 17"),
        "the refusal is gone"
    );

    // Correcting the age asks for a reason (R7).
    ui.click("amend-age");
    ui.type_into("answer", "11");
    ui.click("amend-save");
    assert!(ui.text().contains("Say why the answer is corrected."));
    ui.type_into("amend-reason", "mis-tap");
    ui.click("amend-save");
    assert!(!ui.has("amend-panel"));

    // The rest declined, one by one, until rapport.
    for _ in 0..80 {
        if !ui.has("skip") {
            break;
        }
        ui.click("skip");
    }
    assert!(ui.text().contains("Rapport checkpoint"), "{}", ui.text());
    ui.click("rapport-confirm");
    assert!(ui.text().contains("may be skipped"), "{}", ui.text());
    ui.click("skip-section");
    assert!(ui.text().contains("Closing"), "{}", ui.text());
    ui.click("finish");
    assert!(ui.has("queued"), "{}", ui.text());
    ui.click("go-home");
    assert!(ui.text().contains("1 waiting to send"), "{}", ui.text());
    ui.click("open-sync");
    assert!(ui.text().contains("Waiting to send"), "{}", ui.text());
    drop(ui);

    let vault = vault(dir.path());
    let outbox = vault.outbox().unwrap();
    assert_eq!(outbox.len(), 1);
    let Some(OutboxItem::Record(record)) = &outbox[0].item else {
        panic!("a record, not a tombstone");
    };
    record.verify_content_hash().unwrap();
    assert_eq!(outbox[0].state, OutboxState::Pending);
    assert!(
        vault.sessions().unwrap().is_empty(),
        "the raw events with identifying answers are gone"
    );
}

#[test]
fn a_positive_screen_shows_the_referral_in_french_and_stops() {
    let dir = tempfile::tempdir().unwrap();
    set_up_phone(dir.path());
    let mut ui = unlocked(dir.path());
    ui.click("open-language");
    ui.click("switch-fr");
    ui.click("go-home");
    let text = ui.text();
    assert!(text.contains("Fonctionne hors ligne"), "{text}");
    assert!(text.contains("Commencer une session"), "{text}");
    ui.click("start-child-rapid-assessment");
    ui.type_into("age", "9");
    ui.click("session-lang-fr");
    ui.click("begin");
    assert!(
        ui.text().contains("Je m'appelle Awa Diallo"),
        "{}",
        ui.text()
    );
    ui.click("intro-done");
    ui.click("data-use-done");
    ui.click("consent-yes");
    ui.click("consent-yes");
    assert!(ui.text().contains("Dépistage 1 sur 6"), "{}", ui.text());
    ui.click("screen-yes");
    let text = ui.text();
    assert!(text.contains("Arrêt : orienter l’enfant"), "{text}");
    // The demo study's contacts say they are not real, a banner says the
    // whole protocol is a demo, and there is no number to dial.
    assert!(
        text.contains("DÉMO – point focal de protection de l'enfance (contact fictif)"),
        "{text}"
    );
    assert!(text.contains("DEMO – not a real number"), "{text}");
    assert!(ui.has("demo-banner"), "{text}");
    assert!(text.contains("Protocole de démonstration"), "{text}");
    assert!(
        !ui.html().contains("tel:"),
        "a demo contact must not be dialable"
    );
    assert!(text.contains("Ne jamais confronter"), "{text}");
    assert!(!ui.has("stop"), "the session is already stopped");
    assert!(ui.has("queued"), "{text}");
}

#[test]
fn an_employer_present_shows_guidance_and_stop_is_always_reachable() {
    let dir = tempfile::tempdir().unwrap();
    set_up_phone(dir.path());
    let mut ui = unlocked(dir.path());
    begin_child_interview(&mut ui, "14");
    assert!(!ui.has("employer-guidance"));
    ui.select("others-present", "employer");
    assert!(
        ui.text().contains("An employer is listening"),
        "{}",
        ui.text()
    );
    ui.click("stop");
    ui.click("stop-withdrew");
    assert!(ui.text().contains("Session ended"), "{}", ui.text());
    drop(ui);
    assert_eq!(vault(dir.path()).outbox().unwrap().len(), 1);
}

#[test]
fn the_identity_store_needs_the_supervisors_code_and_gives_a_reference_number() {
    let dir = tempfile::tempdir().unwrap();
    set_up_phone(dir.path());
    let mut vault = vault(dir.path());
    drop(
        vault
            .create_identity_store(
                &fieldkit_mobile::vault::SupervisorCode::new("40715283"),
                "Fatou N.",
            )
            .unwrap(),
    );
    vault.lock();
    let mut ui = unlocked(dir.path());
    ui.click("open-identity");
    assert!(ui.has("supervisor-code") && !ui.has("person-name"));
    assert!(ui.text().contains("Code set by Fatou N."), "{}", ui.text());
    ui.type_into("supervisor-code", "40715283");
    ui.click("open-identity-store");
    ui.type_into("person-name", "Mariam Traoré");
    ui.click("save-identity");
    let text = ui.text();
    assert!(text.contains("Saved. Reference number:"), "{text}");
    assert!(!ui.html().contains("Mariam"), "the form was cleared");
    ui.click("close-identity");
    ui.type_into("supervisor-code", "99999998");
    ui.click("open-identity-store");
    assert!(
        ui.text()
            .contains("Wrong supervisor’s code: 4 attempt(s) left"),
        "{}",
        ui.text()
    );
}

#[test]
fn withdrawing_a_respondent_asks_for_confirmation_then_deletes_their_sessions() {
    let dir = tempfile::tempdir().unwrap();
    set_up_phone(dir.path());
    let mut ui = unlocked(dir.path());
    begin_child_interview(&mut ui, "12");
    ui.click("go-home-frame");
    let drafts = vault(dir.path()).sessions().unwrap();
    assert_eq!(drafts.len(), 1, "a draft in progress");
    let code = drafts[0].respondent.clone();
    assert!(ui.text().contains(&code), "{}", ui.text());
    ui.click(&format!("withdraw-{code}"));
    ui.click("withdraw-check");
    assert!(ui.has("withdraw-confirm"), "asks before deleting");
    assert_eq!(vault(dir.path()).sessions().unwrap().len(), 1);
    ui.click("withdraw-confirm");
    assert!(ui.text().contains("Withdrawn: 1 sessions"), "{}", ui.text());
    assert!(vault(dir.path()).sessions().unwrap().is_empty());
}
