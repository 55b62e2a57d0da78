//! Quick-lock (R18): one tap from every screen hides what was shown and
//! forgets what was typed.

mod ui_harness;

use fieldkit_mobile::ui::state::SetupProgress;
use ui_harness::{Call, Recorder, Ui, STRONG};

#[test]
fn lock_is_on_every_first_run_screen() {
    let mut ui = Ui::start(Recorder::default());
    assert!(ui.has("quick-lock"));
    ui.click("continue");
    assert!(ui.has("quick-lock"));
    ui.type_into("passphrase", STRONG);
    ui.type_into("confirm", STRONG);
    ui.click("continue");
    assert!(ui.has("quick-lock"));
    ui.set_checked("code-ack", true);
    ui.click("continue");
    assert!(ui.has("quick-lock"));
    ui.type_into("server", "http://127.0.0.1:8080");
    ui.type_into("code", "X");
    ui.click("continue");
    assert!(ui.has("quick-lock"), "while connecting too");
    ui.wait_for_enrolment();
    assert!(ui.text().contains("Fieldwork"), "{}", ui.text());
    assert!(ui.has("quick-lock"));
}

#[test]
fn locking_mid_passphrase_hides_the_screen_and_drops_what_was_typed() {
    let recorder = Recorder::default();
    let mut ui = Ui::start(recorder.clone());
    ui.click("continue");
    ui.type_into("passphrase", "half typed secret");
    ui.click("quick-lock");

    let text = ui.text();
    assert!(text.contains("Locked"), "{text}");
    assert!(!text.contains("Create a passphrase"), "{text}");
    assert!(!ui.html().contains("half typed secret"));
    assert_eq!(recorder.calls(), vec![Call::Lock]);

    // Nothing was stored yet, so the lock screen offers a fresh start.
    ui.click("start-again");
    assert!(ui.text().contains("Choose your language"));
    ui.click("continue");
    assert!(
        !ui.html().contains("half typed secret"),
        "the field starts empty"
    );
}

#[test]
fn after_the_vault_exists_unlocking_needs_the_passphrase_and_resumes_the_step() {
    let recorder = Recorder::default();
    let mut ui = Ui::start(recorder.clone());
    ui.click("continue");
    ui.type_into("passphrase", STRONG);
    ui.type_into("confirm", STRONG);
    ui.click("continue");
    assert!(ui.text().contains("Code of practice"));

    ui.click("quick-lock");
    assert!(!ui.text().contains("Code of practice"));
    assert!(!ui.has("quick-lock"), "already locked");

    ui.type_into("unlock-passphrase", "not the passphrase");
    ui.click("unlock");
    assert!(
        ui.text().contains("does not open the records"),
        "{}",
        ui.text()
    );

    ui.type_into("unlock-passphrase", STRONG);
    ui.click("unlock");
    assert!(ui.text().contains("Code of practice"), "{}", ui.text());
    assert_eq!(
        recorder.calls()[1..],
        [
            Call::Lock,
            Call::Unlock("not the passphrase".into()),
            Call::Unlock(STRONG.into()),
        ]
    );
}

#[test]
fn a_phone_already_set_up_opens_locked() {
    let recorder = Recorder {
        progress: SetupProgress {
            vault_created: true,
            code_acknowledged: true,
            enrolled: true,
        },
        ..Recorder::default()
    };
    let ui = Ui::start(recorder);
    let text = ui.text();
    assert!(
        text.contains("Locked") && text.contains("Enter your passphrase"),
        "{text}"
    );
    assert!(!text.contains("Choose your language"));
}

#[test]
fn the_lock_button_is_labelled_for_screen_readers_in_french() {
    let mut ui = Ui::start(Recorder::default());
    ui.click("lang-fr");
    assert!(ui
        .html()
        .contains("Verrouiller et masquer Fieldkit maintenant"));
}

#[test]
fn an_untouched_app_locks_itself_after_the_vaults_idle_time() {
    let dir = tempfile::tempdir().unwrap();
    ui_harness::phone::set_up(dir.path());
    let mut vault = ui_harness::phone::vault(dir.path());
    vault
        .set_idle_lock(std::time::Duration::from_secs(1))
        .unwrap();
    drop(vault);
    let mut ui = ui_harness::phone::unlocked(dir.path());
    assert!(ui.has("start-child-rapid-assessment"), "{}", ui.text());
    ui.wait_until(
        "the idle lock",
        std::time::Duration::from_secs(30),
        |text| text.contains("Enter your passphrase"),
    );
    assert!(!ui.has("start-child-rapid-assessment"));
    assert!(!ui.has("quick-lock"), "the lock screen itself");
}
