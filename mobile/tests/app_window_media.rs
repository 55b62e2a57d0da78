//! Screenshots of protocol media in the real app at 390x844, in English and
//! in French: the data-use statement with its "listen" button, a picture
//! card, the card full-screen, and picture choices, from the shipped focus
//! group's bundle pinned in the vault; and the same pictures and sounds
//! arriving over a slow link, with home saying the protocol waits for them.
//! Run by `scripts/screenshot`
//! (FIELDKIT_SCREENSHOTS names the folder); ignored otherwise.

#![cfg(feature = "desktop")]

mod app_window_support;
mod ui_harness;

use std::path::PathBuf;
use std::time::Duration;

use app_window_support::phone::enrolled_phone;
use app_window_support::{begin, home_tabs_to_protocol, shipped, App, Display, Mirror, PASSPHRASE};
use fieldkit_protocols::engine::Step;
use ui_harness::server::DemoServer;

const FOCUS_GROUP: &str = "focus-group-visualisation";

#[test]
#[ignore = "writes screenshots; run by scripts/screenshot"]
fn picture_cards_choices_and_the_listen_button_at_phone_size() {
    if let Some(missing) = app_window_support::missing_tool() {
        panic!("`{missing}` is not installed: run scripts/setup");
    }
    let out = PathBuf::from(std::env::var("FIELDKIT_SCREENSHOTS").expect("FIELDKIT_SCREENSHOTS"));
    std::fs::create_dir_all(&out).unwrap();
    let group = shipped(FOCUS_GROUP);
    for lang in ["en", "fr"] {
        let display = Display::start();
        let data = tempfile::tempdir().unwrap();
        enrolled_phone(&data.path().join("phone"), lang);
        let app = App::start(&display, data.path(), "http://127.0.0.1:9", "");
        let shot = |name: &str| display.shoot(&out.join(format!("{name}-{lang}.png")));
        display.focus_top();
        display.type_text(PASSPHRASE);
        display.tabs(1);
        display.press_and_wait("Return", "home");
        display.settle();

        // The session language defaults to the app's.
        display.activate(home_tabs_to_protocol(FOCUS_GROUP), "the start form");
        begin(&display, &group, 12);

        let mut mirror = Mirror::new(&group, 12);
        loop {
            match mirror.session.next() {
                Step::DataUse => shot("30-listen"),
                Step::Question { question_id } if question_id == "card_job_offer" => {
                    // Quick-lock, others present, Home, Stop, add a participant:
                    // then the card (focusing it scrolls it into view), which
                    // opens full-screen.
                    display.focus_top();
                    display.tabs(5);
                    display.settle();
                    shot("30-picture-card");
                    display.press_and_wait("Return", "the card full-screen");
                    shot("30-picture-card-full");
                    display.press_and_wait("Return", "the card back in place");
                }
                Step::Question { question_id } if question_id == "ideas_sources" => {
                    // Choose the first picture ("Friends").
                    display.focus_top();
                    display.tabs(5);
                    display.keys(&["Return"]);
                    display.settle();
                    shot("30-picture-choices");
                    break;
                }
                _ => {}
            }
            mirror.act(&display);
        }
        std::thread::sleep(Duration::from_millis(200));
        drop(app);
    }
}

#[test]
#[ignore = "writes screenshots; run by scripts/screenshot"]
fn media_download_progress_at_phone_size() {
    use fieldkit_mobile::vault::VaultSettings;

    if let Some(missing) = app_window_support::missing_tool() {
        panic!("`{missing}` is not installed: run scripts/setup");
    }
    let out = PathBuf::from(std::env::var("FIELDKIT_SCREENSHOTS").expect("FIELDKIT_SCREENSHOTS"));
    std::fs::create_dir_all(&out).unwrap();
    for lang in ["en", "fr"] {
        let server = DemoServer::start();
        let display = Display::start();
        let data = tempfile::tempdir().unwrap();
        let phone = data.path().join("phone");
        // Enrolled for real; the signal went before the media came. A slow
        // link: the 140 KB take about ten seconds.
        server.phone_waiting_for_media(
            &phone,
            PASSPHRASE,
            VaultSettings::default(),
            lang,
            16 * 1024,
        );
        std::fs::write(phone.join("language"), lang).unwrap();
        let app = App::start(&display, data.path(), "http://127.0.0.1:9", "");
        display.focus_top();
        display.type_text(PASSPHRASE);
        display.tabs(1);
        display.press_and_wait("Return", "home");
        display.settle();
        // Home: quick-lock, open sync, sync now.
        display.activate(2, "the sync running");
        app.wait_for_log("protocol media download started", Duration::from_secs(120));
        // Part of the way: a few files in, the bar partly filled.
        std::thread::sleep(Duration::from_secs(5));
        display.shoot(&out.join(format!("30-media-progress-{lang}.png")));
        drop(app);
    }
}
