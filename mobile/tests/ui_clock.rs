//! The phone learns the server's time at every sync and, when its own clock
//! was off, home warns the researcher before the next session (issue 14), in
//! English and French. A later sync with the clock right clears it. A real
//! vault and a real fieldkit-sync-server on 127.0.0.1.

mod ui_harness;

use std::time::Duration;

use fieldkit_mobile::sync::ClockCheck;
use fieldkit_mobile::ui::services::EnrolDefaults;
use fieldkit_mobile::ui::vault_services::VaultServices;
use fieldkit_mobile::vault::{KdfParams, Passphrase, Vault, VaultSettings};
use time::OffsetDateTime;
use ui_harness::journey::first_run_and_enrol;
use ui_harness::server::DemoServer;
use ui_harness::{Ui, STRONG};

const PATIENCE: Duration = Duration::from_secs(60);
/// The vault draft the app keeps its latest clock check in.
const CLOCK_DRAFT: &str = "fieldkit/clock-check";

fn services(dir: &std::path::Path) -> VaultServices {
    VaultServices::new(dir.to_path_buf(), settings(), EnrolDefaults::default())
}

/// The vault only opens with a cost the app ships; tests use the cheap one.
fn settings() -> VaultSettings {
    VaultSettings {
        kdf: KdfParams::INSECURE_TEST_ONLY,
        ..VaultSettings::default()
    }
}

fn unlocked(dir: &std::path::Path) -> Ui {
    let mut ui = Ui::start(services(dir));
    ui.type_into("unlock-passphrase", STRONG);
    ui.click("unlock");
    ui
}

#[test]
fn a_clock_found_off_at_a_sync_is_shown_on_home_until_a_sync_finds_it_right() {
    let server = DemoServer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut ui = Ui::start(services(dir.path()));
    first_run_and_enrol(&mut ui, &server.url, server.code.expose());
    assert!(!ui.has("clock-warning"), "no check yet: {}", ui.text());
    // A sync with this machine's clock, which is right: no warning, and the
    // check is kept.
    ui.click("home-sync-now");
    ui.wait_until("the sync to end", PATIENCE, |t| t.contains("Up to date"));
    assert!(!ui.has("clock-warning"), "{}", ui.text());
    drop(ui);
    let mut vault = Vault::unlock_with(dir.path(), &Passphrase::new(STRONG), &settings()).unwrap();
    let kept = vault
        .get_draft(CLOCK_DRAFT)
        .unwrap()
        .expect("a clock check");
    let check = ClockCheck::from_text(&kept).unwrap();
    assert!(!check.is_off(), "{check:?}");
    assert!((OffsetDateTime::now_utc() - check.server).abs() < time::Duration::minutes(5));

    // As a sync finds it on a phone whose battery went flat: three days
    // and two hours behind.
    let now = OffsetDateTime::now_utc();
    let behind = ClockCheck {
        server: now,
        phone: now - time::Duration::hours(74),
    };
    vault.put_draft(CLOCK_DRAFT, &behind.to_text()).unwrap();
    drop(vault);
    let mut ui = unlocked(dir.path());
    let text = ui.text();
    assert!(ui.has("clock-warning"), "{text}");
    assert!(ui.html().contains("role=\"alert\""), "{}", ui.html());
    assert!(text.contains("Check this phone's clock"), "{text}");
    assert!(text.contains("3 days behind the server's"), "{text}");
    assert!(text.contains("before the next session"), "{text}");
    ui.click("open-language");
    ui.click("switch-fr");
    ui.click("go-home");
    let text = ui.text();
    assert!(
        text.contains("Vérifiez l’horloge de ce téléphone"),
        "{text}"
    );
    assert!(text.contains("3 jours de retard"), "{text}");
    ui.click("open-language");
    ui.click("switch-en");
    ui.click("go-home");

    // The researcher sets the clock and syncs: the server's answer clears it.
    ui.click("home-sync-now");
    ui.wait_until("the sync to end", PATIENCE, |t| t.contains("Up to date"));
    assert!(!ui.has("clock-warning"), "{}", ui.text());
}
