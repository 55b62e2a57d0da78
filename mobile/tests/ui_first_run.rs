//! The first-run journey through the real screens, in both languages:
//! language, passphrase, code of practice, enrolment.

mod ui_harness;

use fieldkit_mobile::ui::i18n::Lang;
use fieldkit_mobile::ui::services::{EnrolDefaults, NotConnected, ServiceError};
use fieldkit_mobile::ui::state::EnrolForm;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ui_harness::{Call, Recorder, Ui, STRONG};

fn past_language(ui: &mut Ui, lang_button: &str) {
    ui.click(lang_button);
    ui.click("continue");
}

fn past_passphrase(ui: &mut Ui) {
    ui.type_into("passphrase", STRONG);
    ui.type_into("confirm", STRONG);
    ui.click("continue");
}

#[test]
fn opens_on_the_language_choice_with_both_languages_in_their_own_names() {
    let ui = Ui::start(Recorder::default());
    let text = ui.text();
    assert!(text.contains("Step 1 of 4"), "{text}");
    assert!(text.contains("Choose your language"), "{text}");
    assert!(
        text.contains("English") && text.contains("Français"),
        "{text}"
    );
    assert!(
        ui.has("quick-lock"),
        "the quick-lock button is on the first screen"
    );
}

#[test]
fn choosing_french_translates_the_screen_at_once() {
    let mut ui = Ui::start(Recorder::default());
    ui.click("lang-fr");
    let text = ui.text();
    assert!(text.contains("Choisissez votre langue"), "{text}");
    assert!(text.contains("Étape 1 sur 4"), "{text}");
    assert!(text.contains("Verrouiller"), "{text}");
    assert!(!text.contains("Choose your language"), "{text}");
    assert!(
        ui.html().contains("lang=\"fr\""),
        "the page declares French"
    );
}

#[test]
fn weak_passphrase_keeps_continue_disabled_and_says_why() {
    let mut ui = Ui::start(Recorder::default());
    past_language(&mut ui, "lang-en");
    assert!(ui.text().contains("Create a passphrase"));
    ui.type_into("passphrase", "Password2024!");
    ui.type_into("confirm", "Password2024!");
    let text = ui.text();
    assert!(text.contains("Strength: too weak"), "{text}");
    assert!(text.contains("one of the most common passwords"), "{text}");
    assert!(ui.is_disabled("continue"));
}

#[test]
fn strong_passphrase_that_differs_from_the_confirmation_cannot_continue() {
    let recorder = Recorder::default();
    let mut ui = Ui::start(recorder.clone());
    past_language(&mut ui, "lang-en");
    ui.type_into("passphrase", STRONG);
    ui.type_into("confirm", "river lamp quietly orang");
    assert!(ui.text().contains("The two passphrases are not the same."));
    assert!(ui.is_disabled("continue"));
    ui.click("continue");
    assert!(
        recorder.calls().is_empty(),
        "no vault was created: {:?}",
        recorder.calls()
    );
}

#[test]
fn english_journey_hands_each_step_to_the_services_and_ends_enrolled() {
    let recorder = Recorder {
        defaults: EnrolDefaults {
            server: "http://127.0.0.1:8080".into(),
            code: "K7P-2QX".into(),
        },
        ..Recorder::default()
    };
    let mut ui = Ui::start(recorder.clone());
    past_language(&mut ui, "lang-en");

    ui.type_into("passphrase", STRONG);
    ui.type_into("confirm", STRONG);
    assert!(ui.text().contains("Strength: strong"), "{}", ui.text());
    assert!(!ui.is_disabled("continue"));
    ui.click("continue");

    let text = ui.text();
    assert!(
        text.contains("Step 3 of 4") && text.contains("Code of practice"),
        "{text}"
    );
    assert!(text.contains("A child who may be traumatised"), "{text}");
    assert!(
        !ui.has("back"),
        "no way back to the passphrase once the vault exists"
    );
    assert!(ui.is_disabled("continue"), "accepting needs the checkbox");
    ui.set_checked("code-ack", true);
    ui.click("continue");

    let text = ui.text();
    assert!(text.contains("Connect to your project"), "{text}");
    assert_eq!(
        ui.shown("server"),
        "http://127.0.0.1:8080",
        "server prefilled"
    );
    assert_eq!(ui.shown("code"), "K7P-2QX", "code prefilled");
    ui.click("continue");
    ui.wait_for_enrolment();

    assert!(ui.text().contains("Fieldwork"), "{}", ui.text());
    assert_eq!(
        recorder.calls(),
        vec![
            Call::CreateVault(STRONG.into()),
            Call::Acknowledge(Lang::En),
            Call::Enrol(EnrolForm {
                server: "http://127.0.0.1:8080".into(),
                code: "K7P-2QX".into()
            }),
        ]
    );
}

#[test]
fn french_journey_shows_french_screens_and_records_the_french_acknowledgement() {
    let recorder = Recorder::default();
    let mut ui = Ui::start(recorder.clone());
    past_language(&mut ui, "lang-fr");
    let text = ui.text();
    assert!(
        text.contains("Créez une phrase secrète") && text.contains("Étape 2 sur 4"),
        "{text}"
    );
    ui.type_into("passphrase", "motdepasse");
    assert!(
        ui.text().contains("Solidité : trop faible"),
        "{}",
        ui.text()
    );
    past_passphrase(&mut ui);

    let text = ui.text();
    assert!(text.contains("Code de conduite"), "{text}");
    assert!(
        text.contains("Ne prétendez jamais être quelqu’un d’autre"),
        "{text}"
    );
    assert!(text.contains("je m’engage à le respecter"), "{text}");
    ui.set_checked("code-ack", true);
    ui.click("continue");

    let text = ui.text();
    assert!(text.contains("Connectez-vous à votre projet"), "{text}");
    assert!(text.contains("Code à usage unique"), "{text}");
    assert_eq!(recorder.calls()[1], Call::Acknowledge(Lang::Fr));
}

#[test]
fn enrolment_form_explains_a_missing_address_before_sending_anything() {
    let recorder = Recorder::default();
    let mut ui = Ui::start(recorder.clone());
    past_language(&mut ui, "lang-en");
    past_passphrase(&mut ui);
    ui.set_checked("code-ack", true);
    ui.click("continue");

    ui.type_into("server", "fieldkit.example.org");
    ui.type_into("code", "ABC");
    ui.click("continue");
    assert!(
        ui.text().contains("starting with http:// or https://"),
        "{}",
        ui.text()
    );
    assert!(!recorder.calls().iter().any(|c| matches!(c, Call::Enrol(_))));
}

#[test]
fn enrolment_failure_is_shown_and_the_form_stays() {
    let recorder = Recorder {
        fail_enrol: Some(ServiceError::Failed("the server did not answer".into())),
        ..Recorder::default()
    };
    let mut ui = Ui::start(recorder);
    past_language(&mut ui, "lang-en");
    past_passphrase(&mut ui);
    ui.set_checked("code-ack", true);
    ui.click("continue");
    ui.type_into("server", "http://127.0.0.1:9");
    ui.type_into("code", "ABC");
    ui.click("continue");
    ui.wait_for_enrolment();
    let text = ui.text();
    assert!(
        text.contains("It did not work: the server did not answer"),
        "{text}"
    );
    assert!(text.contains("Connect to your project"), "{text}");
}

/// A slow network: the screen says it is connecting, a second tap does not
/// send the code twice, and quick-lock still answers (R18).
#[test]
fn while_enrolment_waits_on_the_network_the_screen_says_so_and_stays_usable() {
    let (release, gate) = std::sync::mpsc::channel();
    let recorder = Recorder {
        enrol_gate: Some(Arc::new(Mutex::new(gate))),
        ..Recorder::default()
    };
    let mut ui = Ui::start(recorder.clone());
    past_language(&mut ui, "lang-en");
    past_passphrase(&mut ui);
    ui.set_checked("code-ack", true);
    ui.click("continue");
    ui.type_into("server", "http://127.0.0.1:8080");
    ui.type_into("code", "K7P-2QX");
    ui.click("continue");

    let text = ui.text();
    assert!(text.contains("Connecting to the server"), "{text}");
    assert!(ui.is_disabled("continue") && ui.is_disabled("code"));
    ui.click("continue");
    let enrolments = |r: &Recorder| {
        r.calls()
            .iter()
            .filter(|c| matches!(c, Call::Enrol(_)))
            .count()
    };
    // The call starts on its own thread; a second one would start beside it.
    ui.run_until("the enrolment call", Duration::from_secs(10), || {
        enrolments(&recorder) > 0
    });
    ui.run_for(Duration::from_millis(300));
    assert_eq!(enrolments(&recorder), 1, "two taps, one code sent");

    ui.click("quick-lock");
    assert!(ui.has("unlock-passphrase"), "{}", ui.text());
    assert_eq!(recorder.calls().last(), Some(&Call::Lock));
    release.send(()).unwrap();
    assert_eq!(enrolments(&recorder), 1);
}

#[test]
fn a_build_without_vault_says_so_instead_of_pretending_to_save() {
    let mut ui = Ui::start(NotConnected::default());
    past_language(&mut ui, "lang-en");
    past_passphrase(&mut ui);
    let text = ui.text();
    assert!(
        text.contains("Create a passphrase"),
        "still on the passphrase step: {text}"
    );
    assert!(text.contains("is not connected"), "{text}");
}
