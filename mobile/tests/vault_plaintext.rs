//! Plaintext never reaches SQLite, its WAL, any other file or the log:
//! records are written with marker strings, then every byte in the vault
//! folder is scanned for them, while the vault is open and after it is
//! closed, and so is everything the vault logged meanwhile, at every level.

mod vault_support;

use fieldkit_mobile::vault::{
    DeviceToken, PersonalDetails, PinnedProtocol, Setting, SupervisorCode,
};
use fieldkit_protocols::engine::events::{Event, EventKind};
use uuid::Uuid;
use vault_support::*;

const MARKERS: &[&str] = &[
    "MARKER-ANSWER-7f3a",
    "MARKER-NOTE-EVENT-19c2",
    "street-children-interview",
    "MARKER-DRAFT-TEXT-0b1d",
    "MARKER-DRAFT-KEY-55e0",
    "MARKER-SERVER-URL",
    "MARKER-TOKEN-d00d",
    "MARKER-RESEARCHER",
    "MARKER-FIELD-NOTE-a11c",
    "MARKER-ATTACHMENT-bytes",
    "MARKER-OUTBOX-PAYLOAD",
    "MARKER-REJECTION-REASON",
    "MARKER-CHILD-NAME",
    "MARKER-CHILD-PHONE",
    "MARKER-SUPERVISOR",
    "MARKER-FEEDBACK-NOTE",
    "feedback_inbox",
    // What a pinned protocol's id and settings' names would say about the study.
    "child-rapid-assessment",
    "protocol/",
    "device_token",
    "researcher_name",
    "code_of_practice",
    "identity_link",
    "policy",
];

fn assert_no_markers(dir: &std::path::Path, respondent: &str, when: &str) {
    let files = all_files(dir);
    assert!(!files.is_empty());
    for (path, bytes) in &files {
        for marker in MARKERS.iter().copied().chain([respondent]) {
            assert!(
                !contains(bytes, marker.as_bytes()),
                "{when}: {marker} found in plaintext in {}",
                path.display()
            );
        }
    }
}

/// A log sink shared with the test, so what was logged can be read back.
#[derive(Clone, Default)]
struct CapturedLog(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for CapturedLog {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn no_marker_string_is_found_in_any_file_of_the_vault_folder_or_its_log() {
    let log = CapturedLog::default();
    let sink = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .finish();
    let _logging = tracing::subscriber::set_default(subscriber);

    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(dir.path());
    let reference = new_ref();
    let respondent = reference.to_string();
    let session = Uuid::new_v4();
    let mut first = start(session, &respondent);
    first.seq = 0;
    vault.append_event(session, &first).unwrap();
    vault
        .append_event(session, &answer(1, "MARKER-ANSWER-7f3a"))
        .unwrap();
    let note = Event {
        seq: 2,
        at: at(2),
        kind: EventKind::NoteAdded {
            text: "MARKER-NOTE-EVENT-19c2".into(),
        },
    };
    vault.append_event(session, &note).unwrap();
    vault
        .put_draft("MARKER-DRAFT-KEY-55e0", "MARKER-DRAFT-TEXT-0b1d")
        .unwrap();
    vault
        .set_setting(&Setting::ServerUrl("http://MARKER-SERVER-URL".into()))
        .unwrap();
    vault
        .set_setting(&Setting::DeviceToken(DeviceToken::new("MARKER-TOKEN-d00d")))
        .unwrap();
    vault
        .set_setting(&Setting::ResearcherName("MARKER-RESEARCHER".into()))
        .unwrap();
    vault.add_note(at(3), "MARKER-FIELD-NOTE-a11c").unwrap();
    vault
        .put_attachment(session, "text/plain", b"MARKER-ATTACHMENT-bytes")
        .unwrap();
    let record = envelope(&respondent, "MARKER-OUTBOX-PAYLOAD");
    vault.enqueue(&record).unwrap();
    vault
        .mark_rejected(record.record_id, "MARKER-REJECTION-REASON", None)
        .unwrap();

    let shipped = fieldkit_protocols::library::SHIPPED
        .iter()
        .find(|p| p.file.contains("child-rapid-assessment"))
        .expect("the child protocol ships");
    let protocol = fieldkit_protocols::parse_protocol(shipped.file, shipped.source).unwrap();
    let listing =
        fieldkit_protocols::wire::ProtocolListing::new(&protocol, shipped.source.to_owned());
    vault
        .pin_protocol(&PinnedProtocol::from_listing(&listing))
        .unwrap();
    vault.set_device_id(Uuid::new_v4()).unwrap();
    let feedback = feedback_note(&respondent, "MARKER-FEEDBACK-NOTE");
    vault
        .receive_feedback(std::slice::from_ref(&feedback))
        .unwrap();
    vault.acknowledge_note(feedback.note_id, at(4)).unwrap();

    let code = SupervisorCode::new("40715283");
    let mut identity = vault
        .create_identity_store(&code, "MARKER-SUPERVISOR")
        .unwrap();
    let details = PersonalDetails {
        name: "MARKER-CHILD-NAME".into(),
        nickname: String::new(),
        contact: "MARKER-CHILD-PHONE".into(),
        place: String::new(),
        notes: String::new(),
    };
    identity.put(&reference, &details).unwrap();

    // While open: the WAL holds the recent writes.
    assert!(
        dir.path().join("vault.sqlite-wal").exists(),
        "the vault runs in WAL mode"
    );
    assert_no_markers(dir.path(), &respondent, "while open");

    // The data is really there, just not readable from the files.
    assert_eq!(
        vault.session_events(session).unwrap()[1],
        answer(1, "MARKER-ANSWER-7f3a")
    );
    assert_eq!(
        identity.get(&reference).unwrap().unwrap().name,
        "MARKER-CHILD-NAME"
    );

    // A wrong code and a wrong passphrase are logged as events too.
    drop(identity);
    assert!(vault
        .open_identity_store(&SupervisorCode::new("MARKER-WRONG-CODE"))
        .is_err());
    drop(vault);
    assert_no_markers(dir.path(), &respondent, "after closing");

    let log = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("vault"), "the vault's log was captured: {log}");
    for marker in
        MARKERS
            .iter()
            .copied()
            .chain([respondent.as_str(), "MARKER-WRONG-CODE", "40715283"])
    {
        assert!(!log.contains(marker), "{marker} found in the log:\n{log}");
    }
}
