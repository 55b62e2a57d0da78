//! Screenshots of "From your supervisor" in the real app at 390x844, in
//! English and in French: a rejected record with a note tied to R6 and the
//! manual's principle beneath it, and an approved one already read. Run by
//! `scripts/screenshot` (FIELDKIT_SCREENSHOTS names the folder); ignored
//! otherwise. The notes are put in the vault as a sync would.

#![cfg(feature = "desktop")]

mod app_window_support;

use std::path::PathBuf;

use app_window_support::phone::enrolled_phone;
use app_window_support::{App, Display, PASSPHRASE};
use fieldkit_protocols::feedback::{FeedbackNote, ReviewState};
use fieldkit_protocols::refnum::RefNumber;
use fieldkit_protocols::Rule;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

fn note(state: ReviewState, rule: Option<Rule>, text: &str, days_ago: i64) -> FeedbackNote {
    FeedbackNote {
        note_id: Uuid::new_v4(),
        record_id: Uuid::new_v4(),
        reference: RefNumber::from_uuid(Uuid::new_v4()).to_string(),
        protocol_id: "child-rapid-assessment".into(),
        rule,
        text: text.into(),
        state,
        written_at: OffsetDateTime::now_utc() - Duration::days(days_ago),
    }
}

#[test]
#[ignore = "writes screenshots; run by scripts/screenshot"]
fn the_supervisors_notes_at_phone_size() {
    if let Some(missing) = app_window_support::missing_tool() {
        panic!("`{missing}` is not installed: run scripts/setup");
    }
    let out = PathBuf::from(std::env::var("FIELDKIT_SCREENSHOTS").expect("FIELDKIT_SCREENSHOTS"));
    std::fs::create_dir_all(&out).unwrap();
    for (lang, rejected, approved) in [
        (
            "en",
            "The questions about work came before rapport was confirmed. Next time, confirm rapport first, then ask them.",
            "Clear introduction and a calm closing. Thank you.",
        ),
        (
            "fr",
            "Les questions sur le travail sont venues avant que la confiance soit confirmée. La prochaine fois, confirmez d’abord la confiance.",
            "Présentation claire et fin d’entretien calme. Merci.",
        ),
    ] {
        let display = Display::start();
        let data = tempfile::tempdir().unwrap();
        let mut vault = enrolled_phone(&data.path().join("phone"), lang);
        let read = note(ReviewState::Approved, None, approved, 3);
        vault
            .receive_feedback(&[read.clone(), note(ReviewState::Rejected, Some(Rule::R6), rejected, 1)])
            .unwrap();
        vault
            .acknowledge_note(read.note_id, OffsetDateTime::now_utc() - Duration::days(2))
            .unwrap();
        vault.confirm_acks(&[read.note_id]).unwrap();
        drop(vault);
        let app = App::start(&display, data.path(), "http://127.0.0.1:9", "");
        let shot = |name: &str| display.shoot(&out.join(format!("{name}-{lang}.png")));

        // Unlock: the locked screen's one Tab reaches the passphrase field.
        display.focus_top();
        display.type_text(PASSPHRASE);
        display.tabs(1);
        display.press_and_wait("Return", "home");
        display.settle();
        shot("29-feedback-home");
        // The card with unread notes is home's first control.
        display.activate(1, "the supervisor's notes");
        display.settle();
        shot("29-feedback");
        drop(app);
    }
}
