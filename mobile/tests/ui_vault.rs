//! The first-run screens on the real encrypted vault in a temporary folder:
//! what the screens do survives a restart of the app.

mod ui_harness;

use fieldkit_mobile::ui::services::EnrolDefaults;
use fieldkit_mobile::ui::vault_services::VaultServices;
use fieldkit_mobile::vault::{KdfParams, Vault, VaultSettings};
use ui_harness::{Ui, STRONG};

fn settings() -> VaultSettings {
    VaultSettings {
        // Cheap Argon2 so the test is quick; the real cost is the default.
        kdf: KdfParams::INSECURE_TEST_ONLY,
        ..VaultSettings::default()
    }
}

fn services(dir: &std::path::Path) -> VaultServices {
    VaultServices::new(dir.to_path_buf(), settings(), EnrolDefaults::default())
}

#[test]
fn passphrase_and_code_of_practice_are_kept_in_the_vault_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut ui = Ui::start(services(dir.path()));
    ui.click("lang-fr");
    ui.click("continue");
    ui.type_into("passphrase", STRONG);
    ui.type_into("confirm", STRONG);
    ui.click("continue");
    assert!(Vault::exists(dir.path()), "the vault file was created");
    ui.set_checked("code-ack", true);
    ui.click("continue");
    assert!(
        ui.text().contains("Connectez-vous à votre projet"),
        "{}",
        ui.text()
    );
    drop(ui);

    // The app starts again on the same folder: locked, still in French,
    // then resumes at enrolment.
    let mut ui = Ui::start(services(dir.path()));
    let text = ui.text();
    assert!(
        text.contains("Verrouillé") && !text.contains("Choisissez"),
        "{text}"
    );
    ui.type_into("unlock-passphrase", "river lamp quietly orang");
    ui.click("unlock");
    assert!(ui.text().contains("n’ouvre pas"), "{}", ui.text());
    ui.type_into("unlock-passphrase", STRONG);
    ui.click("unlock");
    assert!(
        ui.text().contains("Connectez-vous à votre projet"),
        "{}",
        ui.text()
    );

    let vault = Vault::unlock_with(
        dir.path(),
        &fieldkit_mobile::vault::Passphrase::new(STRONG),
        &settings(),
    )
    .unwrap();
    let ack = vault
        .settings()
        .unwrap()
        .code_of_practice
        .expect("acknowledgement stored");
    assert_eq!(ack.language, "fr");
}

/// Deriving the key (a fifth of a second here, more on an old phone) runs
/// off the screen: the tap returns at once to a screen that says it is
/// unlocking, a second tap does nothing, and the vault opens after.
#[test]
fn unlocking_says_so_and_never_holds_the_screen() {
    let dir = tempfile::tempdir().unwrap();
    let mut ui = Ui::start(services(dir.path()));
    ui.click("continue");
    ui.type_into("passphrase", STRONG);
    ui.type_into("confirm", STRONG);
    ui.tap("continue");
    assert!(ui.has("creating-vault"), "{}", ui.text());
    assert!(ui.text().contains("Creating your encrypted vault"));
    assert!(ui.is_disabled("continue"), "a second tap is refused");
    ui.click("continue"); // ignored; waits for the vault
    assert!(ui.has("code-ack"), "{}", ui.text());
    drop(ui);

    let mut ui = Ui::start(services(dir.path()));
    ui.type_into("unlock-passphrase", STRONG);
    ui.tap("unlock");
    assert!(ui.has("unlocking"), "{}", ui.text());
    assert!(ui.is_disabled("unlock"));
    assert!(
        ui.is_disabled("unlock-passphrase"),
        "nothing typed while it works"
    );
    ui.click("unlock");
    assert!(ui.has("code-ack"), "{}", ui.text());
}
