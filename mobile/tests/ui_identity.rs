//! Setting the supervisor's code through the real `App` on a real vault: a
//! deliberate second-person step (the supervisor's name, the code twice, the
//! strength floor, "I am the supervisor"), then the attempt limit as the
//! screen says it, in English and in French.

mod ui_harness;

use fieldkit_mobile::vault::{IdentityState, IdentityStore};
use ui_harness::phone::{set_up as set_up_phone, unlocked, vault};
use ui_harness::Ui;

fn to_the_code_form(ui: &mut Ui) {
    ui.click("open-identity");
    assert!(ui.has("identity-not-set-up"), "{}", ui.text());
    assert!(
        ui.text().contains("Only a supervisor may set its code"),
        "{}",
        ui.text()
    );
    assert!(
        !ui.has("supervisor-code"),
        "no code to type before one is set"
    );
    ui.click("identity-setup");
    assert!(ui.has("new-code") && ui.has("confirm-code") && ui.has("i-am-supervisor"));
}

#[test]
fn only_a_deliberate_supervisor_step_with_a_strong_code_twice_sets_it_up() {
    let dir = tempfile::tempdir().unwrap();
    set_up_phone(dir.path());
    let mut ui = unlocked(dir.path());
    to_the_code_form(&mut ui);
    assert!(ui.is_disabled("set-code"));

    ui.type_into("supervisor-name", "Fatou N.");
    ui.type_into("new-code", "4711");
    assert!(
        ui.text().contains("4 digits: at least 8 are needed."),
        "{}",
        ui.text()
    );
    ui.type_into("confirm-code", "4711");
    ui.set_checked("i-am-supervisor", true);
    assert!(ui.is_disabled("set-code"), "a short code is refused");

    ui.type_into("new-code", "12345678");
    ui.type_into("confirm-code", "12345678");
    assert!(ui.is_disabled("set-code"), "a run is refused");

    ui.type_into("new-code", "40715283");
    ui.type_into("confirm-code", "40715284");
    assert!(ui.text().contains("The two codes are not the same."));
    assert!(ui.is_disabled("set-code"));

    ui.type_into("confirm-code", "40715283");
    ui.set_checked("i-am-supervisor", false);
    assert!(
        ui.is_disabled("set-code"),
        "the supervisor must say it is them"
    );
    ui.set_checked("i-am-supervisor", true);
    assert!(!ui.is_disabled("set-code"));
    ui.click("set-code");
    let text = ui.text();
    assert!(
        text.contains("The identity store is ready and closed"),
        "{text}"
    );
    assert!(text.contains("Code set by Fatou N."), "{text}");
    assert!(
        ui.has("supervisor-code") && !ui.has("person-name"),
        "set up, not opened"
    );
    assert!(IdentityStore::exists(dir.path()));

    // The code opens it.
    ui.type_into("supervisor-code", "40715283");
    ui.click("open-identity-store");
    assert!(ui.has("person-name"), "{}", ui.text());
}

#[test]
fn a_passphrase_code_is_rated_by_the_meter() {
    let dir = tempfile::tempdir().unwrap();
    set_up_phone(dir.path());
    let mut ui = unlocked(dir.path());
    to_the_code_form(&mut ui);
    ui.type_into("supervisor-name", "Fatou N.");
    ui.type_into("new-code", "password1");
    assert!(ui.has("strength-level"), "{}", ui.text());
    ui.type_into("confirm-code", "password1");
    ui.set_checked("i-am-supervisor", true);
    assert!(ui.is_disabled("set-code"));
    ui.type_into("new-code", "river lamp quietly orange");
    ui.type_into("confirm-code", "river lamp quietly orange");
    assert!(!ui.is_disabled("set-code"));
    ui.click("set-code");
    assert!(IdentityStore::exists(dir.path()));
}

#[test]
fn wrong_codes_count_down_and_the_last_erases_the_identity_store_alone_in_french() {
    let dir = tempfile::tempdir().unwrap();
    set_up_phone(dir.path());
    let mut ui = unlocked(dir.path());
    ui.click("open-language");
    ui.click("switch-fr");
    ui.click("go-home");
    ui.click("open-identity");
    assert!(
        ui.text()
            .contains("Seul un superviseur peut en définir le code"),
        "{}",
        ui.text()
    );
    ui.click("identity-setup");
    assert!(
        ui.text().contains("Superviseur : définir le code"),
        "{}",
        ui.text()
    );
    ui.type_into("supervisor-name", "Fatou N.");
    ui.type_into("new-code", "40715283");
    ui.type_into("confirm-code", "40715283");
    ui.set_checked("i-am-supervisor", true);
    ui.click("set-code");
    assert!(
        ui.text().contains("Code défini par Fatou N."),
        "{}",
        ui.text()
    );

    for left in (1..=4).rev() {
        ui.type_into("supervisor-code", "99999998");
        ui.click("open-identity-store");
        let text = ui.text();
        assert!(text.contains(&format!("encore {left} essai(s)")), "{text}");
    }
    ui.type_into("supervisor-code", "99999998");
    ui.click("open-identity-store");
    let text = ui.text();
    assert!(text.contains("Trop de codes erronés"), "{text}");
    assert!(
        text.contains("Les données de recherche sont intactes"),
        "{text}"
    );
    assert!(ui.has("identity-setup"), "a supervisor can set a new code");
    drop(ui);
    assert!(!IdentityStore::exists(dir.path()));
    let vault = vault(dir.path());
    assert_eq!(vault.identity_state().unwrap(), IdentityState::NotSetUp);
    assert!(
        !vault.pinned_protocols().unwrap().is_empty(),
        "the research vault stays"
    );
}
