//! The real app binary in a real window: a test-owned Xvfb display, the
//! `fieldkit` executable in a temporary data folder, a real sync server on
//! 127.0.0.1 with the demo project, and xdotool as the researcher's hands
//! (see `app_window_support`). It walks the first run, enrols, runs one
//! child interview to its closing, presses "Sync now", and checks that the
//! server stored the record.
//!
//! Needs Xvfb, xdotool and ImageMagick (`scripts/setup` installs them); on
//! a machine without them the test says so and does nothing.

#![cfg(feature = "desktop")]

mod app_window_support;
mod ui_harness;

use std::time::Duration;

use app_window_support::{
    first_run, home_tabs_to_protocol, shipped, wait_for, App, Display, Mirror,
};
use fieldkit_protocols::engine::{Status, Step};
use fieldkit_sync_server::store::Store;
use ui_harness::server::DemoServer;

const CHILD: &str = "child-rapid-assessment";

#[test]
fn one_interview_in_the_real_window_reaches_the_server() {
    if let Some(missing) = app_window_support::missing_tool() {
        eprintln!("skipped: `{missing}` is not installed (scripts/setup installs it)");
        return;
    }
    let server = DemoServer::start();
    let display = Display::start();
    let data = tempfile::tempdir().unwrap();
    let app = App::start(&display, data.path(), &server.url, server.code.expose());

    first_run(&display, &app, &mut |_| {});
    let protocol = shipped(CHILD);
    display.activate(home_tabs_to_protocol(CHILD), "the start form");
    app_window_support::begin(&display, &protocol, 12);
    let mut mirror = Mirror::new(&protocol, 12);
    for _ in 0..200 {
        if mirror.session.status() == Status::Completed {
            break;
        }
        mirror.act(&display);
    }
    assert_eq!(mirror.session.next(), Step::Finished);
    assert!(mirror.answered_age(), "the age question was answered");
    // Typed at full speed: the start form's age and the age question's
    // answer arrived whole (the passphrase did too, or its confirmation
    // would not have matched and Continue stayed shut).
    app.typed("age", 2);
    app.typed("answer", 2);

    // Finished: quick-lock, Home. Then home: quick-lock, open-sync, Sync now.
    display.activate(1, "home");
    display.focus_top();
    display.tabs(2);
    display.keys(&["Return"]);

    let device = server.store.devices().unwrap()[0].device_id;
    wait_for("the record on the server", Duration::from_secs(90), || {
        server.store.sync_status(device).unwrap().stored == 1
    });
    assert_eq!(server.store.sync_status(device).unwrap().rejected, 0);
}
