//! Enrolment and sync from the screens, against a real fieldkit-sync-server
//! on 127.0.0.1:0 with the demo project, and a real vault in a temporary
//! folder: the protocols arrive with enrolment, a finished interview reaches
//! the server, and no connection is a calm, normal state.

mod ui_harness;

use std::time::Duration;

use fieldkit_mobile::ui::services::EnrolDefaults;
use fieldkit_mobile::ui::vault_services::VaultServices;
use fieldkit_mobile::vault::{
    KdfParams, OutboxItem, OutboxState, Passphrase, Vault, VaultSettings,
};
use fieldkit_protocols::library;
use fieldkit_sync_server::store::Store;
use ui_harness::journey::{complete_child_interview, first_run_and_enrol};
use ui_harness::server::DemoServer;
use ui_harness::{Ui, STRONG};

/// Long enough for a loaded machine; the wait ends as soon as the screen says so.
const PATIENCE: Duration = Duration::from_secs(60);

fn settings() -> VaultSettings {
    VaultSettings {
        kdf: KdfParams::INSECURE_TEST_ONLY,
        ..VaultSettings::default()
    }
}

fn services(dir: &std::path::Path) -> VaultServices {
    VaultServices::new(dir.to_path_buf(), settings(), EnrolDefaults::default())
}

#[test]
fn enrolment_pins_the_projects_protocols_and_home_lists_them() {
    let server = DemoServer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut ui = Ui::start(services(dir.path()));
    first_run_and_enrol(&mut ui, &server.url, server.code.expose());
    let text = ui.text();
    assert!(text.contains("Works offline"), "home: {text}");
    assert!(
        text.contains("Rapid assessment: interview with a child"),
        "{text}"
    );
    assert!(ui.has("start-focus-group-visualisation"), "{text}");
    drop(ui);

    let vault = Vault::unlock_with(dir.path(), &Passphrase::new(STRONG), &settings()).unwrap();
    assert_eq!(
        vault.pinned_protocols().unwrap().len(),
        library::SHIPPED.len()
    );
    let settings = vault.settings().unwrap();
    assert_eq!(settings.server_url.as_deref(), Some(server.url.as_str()));
    assert_eq!(settings.researcher_name.as_deref(), Some("Demo researcher"));
    assert!(vault.device_id().unwrap().is_some());
    // The supervisor sees when and in which language the code of practice
    // was accepted on this phone (R15).
    let device = server.store.devices().unwrap().pop().unwrap();
    let accepted = device.code_of_practice.expect("R15 acceptance sent");
    assert_eq!(accepted.language, "en");
    assert_eq!(Some(accepted), settings.code_of_practice.map(Into::into));
}

#[test]
fn a_used_code_is_refused_and_the_phone_stays_on_the_enrolment_step() {
    let server = DemoServer::start();
    let first = tempfile::tempdir().unwrap();
    let mut ui = Ui::start(services(first.path()));
    first_run_and_enrol(&mut ui, &server.url, server.code.expose());
    assert!(ui.has("start-child-rapid-assessment"));

    let second = tempfile::tempdir().unwrap();
    let mut ui = Ui::start(services(second.path()));
    first_run_and_enrol(&mut ui, &server.url, server.code.expose());
    let text = ui.text();
    assert!(ui.has("code"), "still on the enrolment step: {text}");
    assert!(text.contains("refused this device"), "{text}");
    drop(ui);
    let vault = Vault::unlock_with(second.path(), &Passphrase::new(STRONG), &settings()).unwrap();
    assert!(vault.settings().unwrap().device_token.is_none());
    assert!(vault.pinned_protocols().unwrap().is_empty());
}

#[test]
fn a_finished_interview_reaches_the_server_with_sync_now() {
    let server = DemoServer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut ui = Ui::start(services(dir.path()));
    first_run_and_enrol(&mut ui, &server.url, server.code.expose());
    complete_child_interview(&mut ui, "12");
    assert!(ui.text().contains("Last sync: never"), "{}", ui.text());

    ui.click("open-sync");
    assert!(ui.text().contains("Waiting to send"), "{}", ui.text());
    ui.click("sync-now");
    ui.wait_until("the sync to end", PATIENCE, |t| t.contains("Up to date"));
    let text = ui.text();
    assert!(text.contains("Up to date: 1 received"), "{text}");
    assert!(text.contains("Received by the server"), "{text}");
    assert!(!text.contains("Last sync: never"), "{text}");
    ui.click("go-home");
    assert!(
        ui.text().contains("1 received by the server"),
        "{}",
        ui.text()
    );
    drop(ui);

    let vault = Vault::unlock_with(dir.path(), &Passphrase::new(STRONG), &settings()).unwrap();
    let outbox = vault.outbox().unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].state, OutboxState::Acknowledged);
    let Some(OutboxItem::Record(record)) = &outbox[0].item else {
        panic!("a record");
    };
    let on_server = server.store.record_hash(record.record_id).unwrap();
    assert_eq!(on_server.as_ref(), Some(&record.content_hash));
}

#[test]
fn without_a_connection_sync_says_so_calmly_and_keeps_the_record() {
    let server = DemoServer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut ui = Ui::start(services(dir.path()));
    first_run_and_enrol(&mut ui, &server.url, server.code.expose());
    complete_child_interview(&mut ui, "9");
    drop(server); // the connection goes away
    ui.click("home-sync-now");
    ui.wait_until("the sync to give up", PATIENCE, |t| {
        t.contains("No connection right now")
    });
    let html = ui.html();
    assert!(
        !html.contains("role=\"alert\""),
        "offline is not an alarm: {html}"
    );
    assert!(ui.text().contains("1 waiting to send"), "{}", ui.text());
}

#[test]
fn the_language_choice_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut ui = Ui::start(services(dir.path()));
    ui.click("lang-fr");
    ui.click("continue");
    ui.type_into("passphrase", STRONG);
    ui.type_into("confirm", STRONG);
    ui.click("continue");
    drop(ui);

    let ui = Ui::start(services(dir.path()));
    let text = ui.text();
    assert!(
        text.contains("Déverrouiller"),
        "the lock screen in French: {text}"
    );
    assert!(!text.contains("Unlock"), "{text}");
}

#[test]
fn a_refused_record_shows_the_rule_it_broke_and_the_rest_still_syncs() {
    let server = DemoServer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut ui = Ui::start(services(dir.path()));
    first_run_and_enrol(&mut ui, &server.url, server.code.expose());
    complete_child_interview(&mut ui, "12");
    drop(ui);

    // A copy that names a protocol hash the server never published (R4).
    let mut vault = Vault::unlock_with(dir.path(), &Passphrase::new(STRONG), &settings()).unwrap();
    let Some(OutboxItem::Record(mut altered)) = vault.outbox().unwrap().remove(0).item else {
        panic!("a record");
    };
    altered.record_id = uuid::Uuid::new_v4();
    altered.protocol_hash = fieldkit_protocols::ContentHash::of(&"another protocol");
    altered.content_hash = altered.computed_hash();
    vault.enqueue(&altered).unwrap();
    drop(vault);

    let mut ui = Ui::start(services(dir.path()));
    ui.type_into("unlock-passphrase", STRONG);
    ui.click("unlock");
    ui.click("open-sync");
    ui.click("sync-now");
    ui.wait_until("the sync to end", PATIENCE, |t| t.contains("Up to date"));
    let text = ui.text();
    assert!(text.contains("Up to date: 1 received"), "{text}");
    assert!(text.contains("1 refused"), "{text}");
    assert!(text.contains("Refused by the server (R4)"), "{text}");
    assert!(text.contains("Received by the server"), "{text}");
    assert!(ui
        .html()
        .contains(&format!("id=\"record-{}\"", altered.record_id)));
}

/// Issue 18: a protocol whose pictures and sounds are not all on the phone
/// is not offered, and home says it waits for them instead of leaving it
/// out silently; a sync over a slow link shows the files and bytes arriving
/// (a line and a bar), then the protocol is offered.
#[test]
fn home_says_a_protocol_waits_for_its_media_and_the_sync_shows_them_arriving() {
    let server = DemoServer::start();
    let dir = tempfile::tempdir().unwrap();
    let media_bytes =
        server.phone_waiting_for_media(dir.path(), STRONG, settings(), "en", 64 * 1024);
    let mut ui = ui_harness::phone::unlocked(dir.path());
    let text = ui.text();
    assert!(ui.has("waiting-focus-group-visualisation"), "{text}");
    assert!(
        text.contains("Waiting for pictures and sounds")
            && text.contains("0 of 10 files are on this phone"),
        "{text}"
    );
    assert!(!ui.has("start-focus-group-visualisation"), "{text}");
    assert!(ui.has("start-child-rapid-assessment"), "{text}");

    ui.click("open-sync");
    ui.click("sync-now");
    ui.wait_until("the pictures and sounds to arrive", PATIENCE, |t| {
        t.contains("Pictures and sounds: ") && !t.contains(", 0 KB of")
    });
    let line = ui.text();
    assert!(ui.has("media-progress"), "{line}");
    assert!(
        line.contains(" of 10 files, ")
            && line.contains(&format!(" KB of {} KB", media_bytes.div_ceil(1024))),
        "{line}"
    );
    ui.wait_until("the sync to end", PATIENCE, |t| t.contains("Up to date"));
    assert!(!ui.has("media-progress"));
    ui.click("go-home");
    let text = ui.text();
    assert!(ui.has("start-focus-group-visualisation"), "{text}");
    assert!(!ui.has("waiting-focus-group-visualisation"), "{text}");
}
