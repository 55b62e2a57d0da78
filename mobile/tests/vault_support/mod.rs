//! Shared helpers for the vault tests: cheap Argon2 settings, sample events,
//! and reading the raw files a vault leaves on disk.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use fieldkit_mobile::vault::{KdfParams, Passphrase, Vault, VaultError, VaultSettings};
use fieldkit_protocols::engine::events::{Event, EventKind, SessionKind, SessionStart};
use fieldkit_protocols::{ContentHash, Value};
use time::OffsetDateTime;
use uuid::Uuid;

/// Argon2id at its minimum cost, so tests do not spend seconds per unlock.
/// (One test uses the real defaults: `vault_lifecycle::default_kdf_*`.)
pub const CHEAP: KdfParams = KdfParams::INSECURE_TEST_ONLY;

pub fn settings() -> VaultSettings {
    VaultSettings {
        kdf: CHEAP,
        ..VaultSettings::default()
    }
}

pub fn pass() -> Passphrase {
    Passphrase::new("correct horse battery staple")
}

pub fn new_vault(dir: &Path) -> Vault {
    Vault::create(dir, &pass(), settings()).expect("create vault")
}

/// Unlocks through the explicit test path that accepts the cheap cost
/// (`Vault::unlock` accepts only the shipped one).
pub fn unlock(dir: &Path, passphrase: &Passphrase) -> Result<Vault, VaultError> {
    Vault::unlock_with(dir, passphrase, &settings())
}

pub fn at(seconds: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_790_000_000 + seconds).unwrap()
}

pub fn start(session_id: Uuid, respondent: &str) -> Event {
    Event {
        seq: 0,
        at: at(0),
        kind: EventKind::SessionStarted(SessionStart {
            session_id,
            protocol_id: "street-children-interview".into(),
            protocol_version: 3,
            protocol_hash: ContentHash::of_bytes(b"protocol"),
            language: "en".into(),
            interviewer_languages: vec!["en".into()],
            kind: SessionKind::Full,
            respondent: respondent.into(),
            respondent_age: Some(12),
            linked_child: None,
            site_type: None,
            weekday: None,
            findings_pack: None,
        }),
    }
}

pub fn answer(seq: u64, text: &str) -> Event {
    Event {
        seq,
        at: at(i64::try_from(seq).unwrap()),
        kind: EventKind::Answered {
            question_id: format!("q{seq}"),
            value: Value::Text(text.into()),
        },
    }
}

/// Starts a session and stores `answers` more events after the start.
pub fn session_with_answers(vault: &mut Vault, respondent: &str, answers: u64) -> Uuid {
    let id = Uuid::new_v4();
    vault.append_event(id, &start(id, respondent)).unwrap();
    for seq in 1..=answers {
        vault
            .append_event(id, &answer(seq, &format!("answer {seq}")))
            .unwrap();
    }
    id
}

pub fn vault_file(dir: &Path) -> PathBuf {
    dir.join(fieldkit_mobile::vault::VAULT_FILE)
}

/// Every file in the folder, with its bytes.
pub fn all_files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            files.push((path, bytes));
        }
    }
    files.sort();
    files
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A raw connection to the file, for tests that play the attacker or the disk.
pub fn raw(dir: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(vault_file(dir)).unwrap()
}

/// A fresh random reference number, as the app makes one for a respondent.
pub fn new_ref() -> fieldkit_protocols::refnum::RefNumber {
    fieldkit_protocols::refnum::RefNumber::from_uuid(Uuid::new_v4())
}

/// A sealed record of one short session, as the app queues it after
/// anonymisation.
pub fn envelope(respondent: &str, body: &str) -> fieldkit_protocols::wire::RecordEnvelope {
    use fieldkit_protocols::wire::{RecordEnvelope, WireVersion};
    let record_id = Uuid::new_v4();
    let mut envelope = RecordEnvelope {
        wire_version: WireVersion,
        record_id,
        device_id: Uuid::from_u128(7),
        protocol_id: "street-children-interview".into(),
        protocol_version: 3,
        protocol_hash: ContentHash::of_bytes(b"protocol"),
        respondent: respondent.into(),
        events: vec![start(record_id, respondent), answer(1, body)],
        redactions: Default::default(),
        content_hash: ContentHash(String::new()),
        duration_minutes: None,
    };
    envelope.content_hash = envelope.computed_hash();
    envelope
}

/// A supervisor's note on a record of `respondent`'s, as the server sends it.
pub fn feedback_note(respondent: &str, text: &str) -> fieldkit_protocols::feedback::FeedbackNote {
    use fieldkit_protocols::feedback::{FeedbackNote, ReviewState};
    FeedbackNote {
        note_id: Uuid::new_v4(),
        record_id: Uuid::new_v4(),
        reference: respondent.into(),
        protocol_id: "child-rapid-assessment".into(),
        rule: Some(fieldkit_protocols::Rule::R6),
        text: text.into(),
        state: ReviewState::Rejected,
        written_at: at(1),
    }
}
