//! Screenshots of the supervisor's identity-store screens in the real app at
//! 390x844, in English and in French: the store not set up yet, the form
//! where the supervisor sets the code, and the store ready and closed. Run by
//! `scripts/screenshot` (FIELDKIT_SCREENSHOTS names the folder); ignored
//! otherwise. The phone is prepared through the library at the shipped
//! Argon2 cost, as the app itself would have made it.

#![cfg(feature = "desktop")]

mod app_window_support;

use std::path::PathBuf;
use std::time::Duration;

use app_window_support::phone::enrolled_phone;
use app_window_support::{App, Display, PASSPHRASE};

/// On home with no drafts and no respondents, after the shipped protocols.
const HOME_IDENTITY: usize = 3 + fieldkit_protocols::library::SHIPPED.len();

#[test]
#[ignore = "writes screenshots; run by scripts/screenshot"]
fn the_supervisors_identity_screens_at_phone_size() {
    if let Some(missing) = app_window_support::missing_tool() {
        panic!("`{missing}` is not installed: run scripts/setup");
    }
    let out = PathBuf::from(std::env::var("FIELDKIT_SCREENSHOTS").expect("FIELDKIT_SCREENSHOTS"));
    std::fs::create_dir_all(&out).unwrap();
    for lang in ["en", "fr"] {
        let display = Display::start();
        let data = tempfile::tempdir().unwrap();
        enrolled_phone(&data.path().join("phone"), lang);
        let app = App::start(&display, data.path(), "http://127.0.0.1:9", "");
        let shot = |name: &str| display.shoot(&out.join(format!("{name}-{lang}.png")));

        // Unlock: the passphrase, then Unlock. The locked screen has no
        // quick-lock button, so the focus start's one Tab is the field.
        display.focus_top();
        display.type_text(PASSPHRASE);
        display.tabs(1);
        display.press_and_wait("Return", "home");
        display.settle();

        display.activate(HOME_IDENTITY, "the identity store");
        shot("28-identity-not-set-up");
        // Home, "I am the supervisor: set the code".
        display.activate(2, "the supervisor's form");
        // Name, code, code again, "I am the supervisor".
        display.focus_top();
        display.tabs(1);
        display.type_text("Fatou N.");
        display.tabs(1);
        display.type_text("40715283");
        display.tabs(1);
        display.type_text("40715283");
        display.tabs(1);
        display.keys(&["space"]);
        display.settle();
        // Back to the top of the form for the picture.
        display.focus_top();
        display.tabs(1);
        shot("28-identity-set-code");
        // Set the code (Home, then the now enabled button).
        display.focus_top();
        display.tabs(6);
        display.press_and_wait("Return", "the store ready and closed");
        display.settle();
        shot("28-identity-code-set");
        std::thread::sleep(Duration::from_millis(200));
        drop(app);
    }
}
