//! Issue 20's journey through the real `App` (headless), the real sync
//! client and a real server: a supervisor rejects the phone's record with a
//! note tied to R6; the phone syncs and shows the note under "From your
//! supervisor" with the manual's principle, in English and in French; the
//! researcher acknowledges it; the next sync carries the acknowledgement
//! and the supervisor sees it.

mod ui_harness;

use std::time::Duration;

use fieldkit_mobile::ui::services::EnrolDefaults;
use fieldkit_mobile::ui::vault_services::VaultServices;
use fieldkit_mobile::vault::{KdfParams, VaultSettings};
use fieldkit_protocols::feedback::{NoteText, ReviewDecision, ReviewState};
use fieldkit_protocols::Rule;
use fieldkit_sync_server::access::{Principal, Role};
use fieldkit_sync_server::store::{RecordReview, ReviewFilter, ReviewStore};
use time::OffsetDateTime;
use ui_harness::journey::{complete_child_interview, first_run_and_enrol};
use ui_harness::server::DemoServer;
use ui_harness::Ui;

const PATIENCE: Duration = Duration::from_secs(60);

fn services(dir: &std::path::Path) -> VaultServices {
    let settings = VaultSettings {
        kdf: KdfParams::INSECURE_TEST_ONLY,
        ..VaultSettings::default()
    };
    VaultServices::new(dir.to_path_buf(), settings, EnrolDefaults::default())
}

fn supervisor() -> Principal {
    Principal {
        role: Role::Supervisor,
        id: "sam".into(),
    }
}

/// The text inside the element with this id (a paragraph of plain text).
fn text_of(ui: &Ui, id: &str) -> String {
    let html = ui.html();
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no {id} on the screen: {}", ui.text()));
    let inner = &html[at..];
    let inner = &inner[inner.find('>').unwrap() + 1..];
    inner[..inner.find('<').unwrap()].to_owned()
}

/// The supervisor's view of the record's review, as the record's page reads it.
fn review_of(server: &DemoServer, record: uuid::Uuid) -> RecordReview {
    server
        .store
        .record_review(&supervisor(), record)
        .unwrap()
        .unwrap()
}

/// From the feedback screen: home, the language switch, `code`, and back.
fn in_language(ui: &mut Ui, code: &str) {
    ui.click("go-home");
    ui.click("open-language");
    ui.click(&format!("switch-{code}"));
    ui.click("go-home");
    ui.click("open-feedback");
}

fn sync(ui: &mut Ui) {
    ui.click("home-sync-now");
    ui.wait_until("the sync to end", PATIENCE, |t| t.contains("Up to date"));
}

#[test]
fn a_rejection_with_a_note_reaches_the_phone_and_its_acknowledgement_comes_back() {
    let server = DemoServer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut ui = Ui::start(services(dir.path()));
    first_run_and_enrol(&mut ui, &server.url, server.code.expose());
    complete_child_interview(&mut ui, "12");
    sync(&mut ui);
    assert!(!ui.has("feedback-card"), "no notes yet: {}", ui.text());

    // The supervisor rejects the record with a note tied to R6.
    let queue = server
        .store
        .review_queue(&supervisor(), &ReviewFilter::default())
        .unwrap();
    assert_eq!(queue.len(), 1);
    let record = queue[0].record_id;
    let (text, _) = NoteText::scrubbed(
        "The questions about work came before rapport was confirmed. Confirm rapport first.",
    )
    .unwrap();
    let decision =
        ReviewDecision::new(Some(ReviewState::Rejected), Some((Some(Rule::R6), text))).unwrap();
    server
        .store
        .review_records(
            &supervisor(),
            &[record],
            &decision,
            OffsetDateTime::now_utc(),
        )
        .unwrap();

    sync(&mut ui);
    assert_eq!(text_of(&ui, "feedback-unread"), "Notes to read: 1");
    ui.click("open-feedback");
    let text = ui.text();
    assert!(text.contains("From your supervisor"), "{text}");
    assert!(
        text.contains(&format!("Record {}", queue[0].reference)),
        "{text}"
    );
    assert!(text.contains("Rejected"), "{text}");
    assert!(text.contains("came before rapport was confirmed"), "{text}");
    assert!(text.contains("What the manual says (R6):"), "{text}");
    assert!(
        text.contains("Leave sensitive topics until last, and only when a trusting relationship has been built."),
        "{text}"
    );

    // The same screen in French, with the manual's principle in French.
    in_language(&mut ui, "fr");
    let text = ui.text();
    assert!(text.contains("De la part de votre superviseur"), "{text}");
    assert!(text.contains("Ce que dit le manuel (R6) :"), "{text}");
    assert!(
        text.contains("Gardez les sujets sensibles pour la fin"),
        "{text}"
    );
    assert!(text.contains("Rejeté"), "{text}");
    in_language(&mut ui, "en");

    let note = review_of(&server, record).notes[0].note_id;
    ui.click(&format!("ack-{note}"));
    assert!(
        text_of(&ui, &format!("read-{note}")).contains("after the next sync"),
        "{}",
        ui.text()
    );
    let review = review_of(&server, record);
    assert!(
        review.notes[0].acknowledged_at.is_none(),
        "sent before a sync"
    );

    ui.click("go-home");
    sync(&mut ui);
    let review = review_of(&server, record);
    assert!(
        review.notes[0].acknowledged_at.is_some(),
        "the supervisor does not see it"
    );
    assert_eq!(review.item.acknowledged, 1);
    ui.click("open-feedback");
    assert!(
        text_of(&ui, &format!("read-{note}")).contains("knows you have read it"),
        "{}",
        ui.text()
    );
}
