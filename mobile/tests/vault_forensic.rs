//! A forensic probe on real vault files: sessions, notes, outbox records and
//! identity entries hold unique markers; after each withdrawal, delete,
//! passphrase change and lock (through the library and through the app's
//! services) the whole folder is copied at once, with the vault still open,
//! and the copy is searched the way someone who took the phone would:
//! - no marker in UTF-8, UTF-16 (either byte order) or hex, anywhere;
//! - no byte run of a deleted record's ciphertext (or of an old wrapped key)
//!   anywhere, while the key read from the copy with the passphrase, by a
//!   second implementation of the format written here, does open those
//!   ciphertexts: had they been left, they would have been readable.

mod vault_support;

use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use fieldkit_mobile::ui::services::{AppServices, EnrolDefaults};
use fieldkit_mobile::ui::vault_services::VaultServices;
use fieldkit_mobile::vault::{Passphrase, PersonalDetails, SupervisorCode, Vault};
use fieldkit_protocols::engine::events::{Event, EventKind};
use uuid::Uuid;
use vault_support::*;

/// Every file of the folder, copied now.
fn copy_folder(dir: &Path) -> tempfile::TempDir {
    let copy = tempfile::tempdir().unwrap();
    for (path, bytes) in all_files(dir) {
        std::fs::write(copy.path().join(path.file_name().unwrap()), bytes).unwrap();
    }
    copy
}

/// The forms a marker could be found in.
fn encodings(marker: &str) -> Vec<Vec<u8>> {
    let utf16le = marker.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let utf16be = marker.encode_utf16().flat_map(u16::to_be_bytes).collect();
    vec![
        marker.as_bytes().to_vec(),
        utf16le,
        utf16be,
        hex::encode(marker).into_bytes(),
        hex::encode_upper(marker).into_bytes(),
    ]
}

fn assert_no_marker(copy: &Path, markers: &[&str], step: &str) {
    for (path, bytes) in all_files(copy) {
        for marker in markers {
            for form in encodings(marker) {
                assert!(
                    !contains(&bytes, &form),
                    "{step}: {marker} readable in {}",
                    path.display()
                );
            }
        }
    }
}

/// Asserts that no 32-byte run of any of `sealed` is in the copy.
fn assert_gone(copy: &Path, sealed: &[Vec<u8>], step: &str) {
    assert!(!sealed.is_empty(), "{step}: nothing captured to look for");
    for (path, bytes) in all_files(copy) {
        for blob in sealed {
            for chunk in blob.chunks(32).filter(|c| c.len() == 32) {
                assert!(
                    !contains(&bytes, chunk),
                    "{step}: a deleted ciphertext is still in {}",
                    path.display()
                );
            }
        }
    }
}

/// A second reader of the vault format: the data key from a copy's header
/// and the passphrase, with the crates' own Argon2id and XChaCha20-Poly1305.
fn data_key_from(copy: &Path, passphrase: &str) -> Option<[u8; 32]> {
    let conn = rusqlite::Connection::open(copy.join("vault.sqlite")).ok()?;
    let (m, t, p, salt, wrapped): (u32, u32, u32, Vec<u8>, Vec<u8>) = conn
        .query_row(
            "SELECT kdf_memory_kib, kdf_iterations, kdf_parallelism, salt, wrapped_key FROM header",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .ok()?;
    let params = argon2::Params::new(m, t, p, Some(32)).ok()?;
    let mut kek = [0u8; 32];
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), &salt, &mut kek)
        .ok()?;
    let mut aad = b"fieldkit-wrapped-key-v2".to_vec();
    for n in [m, t, p] {
        aad.extend_from_slice(&n.to_be_bytes());
    }
    let key = open_sealed(&kek, &aad, &wrapped)?;
    key.try_into().ok()
}

fn open_sealed(key: &[u8; 32], aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
    let (nonce, ciphertext) = sealed.split_at(24);
    XChaCha20Poly1305::new(key.into())
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .ok()
}

/// A record's associated data as the format defines it.
fn record_aad(kind: &str, id: &str) -> Vec<u8> {
    let mut aad = b"fieldkit-record-v2\0".to_vec();
    for part in [kind, id] {
        aad.extend_from_slice(&(part.len() as u64).to_be_bytes());
        aad.extend_from_slice(part.as_bytes());
    }
    aad.extend_from_slice(&2u32.to_be_bytes());
    aad
}

fn sealed_events(dir: &Path, session: Uuid) -> Vec<(String, Vec<u8>)> {
    let conn = raw(dir);
    let mut stmt = conn
        .prepare("SELECT seq, sealed FROM events WHERE session_id = ?1")
        .unwrap();
    stmt.query_map([session.to_string()], |r| {
        Ok((format!("{session}#{}", r.get::<_, i64>(0)?), r.get(1)?))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

fn blob(path: &PathBuf, sql: &str) -> Vec<Vec<u8>> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn.prepare(sql).unwrap();
    stmt.query_map([], |r| r.get::<_, Vec<u8>>(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn note(seq: u64, text: &str) -> Event {
    Event {
        seq,
        at: at(i64::try_from(seq).unwrap()),
        kind: EventKind::NoteAdded { text: text.into() },
    }
}

#[test]
fn deleted_records_and_old_keys_leave_nothing_readable_in_a_copy_of_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(dir.path());
    let (leaves, stays) = (new_ref(), new_ref());

    // A child who will withdraw: a session, a queued record, an identity entry.
    let leaving = session_with_answers(&mut vault, &leaves.to_string(), 0);
    vault
        .append_event(leaving, &answer(1, "MARKER-WITHDRAWN-ANSWER"))
        .unwrap();
    vault
        .append_event(leaving, &note(2, "MARKER-WITHDRAWN-NOTE"))
        .unwrap();
    let record = envelope(&leaves.to_string(), "MARKER-WITHDRAWN-RECORD");
    vault.enqueue(&record).unwrap();
    vault.mark_acknowledged(record.record_id).unwrap();
    let mut identity = vault
        .create_identity_store(&SupervisorCode::new("40715283"), "Fatou N.")
        .unwrap();
    let name = |n: &str| PersonalDetails {
        name: n.into(),
        nickname: String::new(),
        contact: format!("{n}-PHONE"),
        place: String::new(),
        notes: String::new(),
    };
    identity
        .put(&leaves, &name("MARKER-WITHDRAWN-NAME"))
        .unwrap();
    identity.put(&stays, &name("MARKER-KEPT-NAME")).unwrap();
    drop(identity); // closed, as it normally is

    // A child who stays, a field note, a finished session's raw events.
    let staying = session_with_answers(&mut vault, &stays.to_string(), 2);
    let field_note = vault.add_note(at(5), "MARKER-DELETED-FIELD-NOTE").unwrap();
    let finished = session_with_answers(&mut vault, &stays.to_string(), 0);
    vault
        .append_event(finished, &answer(1, "MARKER-FINISHED-RAW"))
        .unwrap();

    // What someone could have copied before: the ciphertexts to be deleted.
    let path = vault_file(dir.path());
    let withdrawn_events = sealed_events(dir.path(), leaving);
    let withdrawn_outbox = blob(&path, "SELECT meta FROM outbox");
    let withdrawn_payload = blob(&path, "SELECT payload FROM outbox_payloads");
    assert_eq!(withdrawn_payload.len(), 1, "the withdrawn record's content");
    let people = blob(
        &dir.path().join("identity.sqlite"),
        "SELECT sealed FROM people",
    );
    assert_eq!(people.len(), 2);

    // 1. Withdrawal, the identity store closed.
    let report = vault.withdraw(&leaves).unwrap();
    assert_eq!((report.sessions_deleted, report.records_deleted), (1, 1));
    let copy = copy_folder(dir.path());
    let markers = [
        "MARKER-WITHDRAWN-ANSWER",
        "MARKER-WITHDRAWN-NOTE",
        "MARKER-WITHDRAWN-RECORD",
        "MARKER-WITHDRAWN-NAME",
        "MARKER-KEPT-NAME",
        "MARKER-DELETED-FIELD-NOTE",
        "MARKER-FINISHED-RAW",
        "Fatou",
    ];
    assert_no_marker(copy.path(), &markers, "after the withdrawal");
    let key = data_key_from(copy.path(), pass().expose()).expect("the copy's key");
    for (id, sealed) in &withdrawn_events {
        let plain = open_sealed(&key, &record_aad("event", id), sealed);
        assert!(plain.is_some(), "the copy's key opens what was captured");
    }
    let mut gone: Vec<Vec<u8>> = withdrawn_events.into_iter().map(|(_, s)| s).collect();
    gone.extend(withdrawn_outbox);
    gone.extend(withdrawn_payload);
    let still_there = blob(
        &copy.path().join("identity.sqlite"),
        "SELECT sealed FROM people",
    );
    assert_eq!(
        still_there.len(),
        1,
        "only the withdrawn child's entry went"
    );
    gone.extend(people.into_iter().filter(|p| !still_there.contains(p)));
    assert_gone(copy.path(), &gone, "after the withdrawal");

    // 2. A field note deleted.
    let note_sealed = blob(&path, "SELECT sealed FROM notes");
    let id = vault.notes().unwrap()[0].id.to_string();
    assert!(open_sealed(&key, &record_aad("note", &id), &note_sealed[0]).is_some());
    vault.delete_note(field_note).unwrap();
    let copy = copy_folder(dir.path());
    assert_no_marker(copy.path(), &markers, "after deleting a note");
    assert_gone(copy.path(), &note_sealed, "after deleting a note");

    // 3. A finished session's raw events deleted (as finishing does).
    let raw_events: Vec<Vec<u8>> = sealed_events(dir.path(), finished)
        .into_iter()
        .map(|(_, s)| s)
        .collect();
    assert!(vault.delete_session(finished).unwrap());
    let copy = copy_folder(dir.path());
    assert_gone(copy.path(), &raw_events, "after deleting a session");

    // 4. A new passphrase: the old wrapped key is nowhere, the old
    // passphrase opens nothing in the copy, the new one does.
    let old_wrapped = blob(&path, "SELECT wrapped_key FROM header");
    let new = Passphrase::new("a new long passphrase for the field");
    vault.change_passphrase(&pass(), &new).unwrap();
    let copy = copy_folder(dir.path());
    assert_gone(copy.path(), &old_wrapped, "after a passphrase change");
    assert!(data_key_from(copy.path(), pass().expose()).is_none());
    assert_eq!(data_key_from(copy.path(), new.expose()), Some(key));

    // 5. The library's lock: the WAL is emptied and the file closed.
    vault.lock();
    let copy = copy_folder(dir.path());
    assert_no_marker(copy.path(), &markers, "after a lock");
    let wal = copy.path().join("vault.sqlite-wal");
    assert!(!wal.exists() || std::fs::metadata(&wal).unwrap().len() == 0);
    // What stayed is still there for its owner.
    let vault = Vault::unlock_with(dir.path(), &new, &settings()).unwrap();
    assert_eq!(vault.session_events(staying).unwrap().len(), 3);
    assert!(vault.integrity_problems().unwrap().is_empty());
}

#[test]
fn the_apps_lock_and_withdrawal_leave_nothing_readable_either() {
    let dir = tempfile::tempdir().unwrap();
    let services = VaultServices::new(
        dir.path().to_path_buf(),
        settings(),
        EnrolDefaults::default(),
    );
    services.create_vault(pass().expose()).unwrap();
    let store = services.fieldwork().unwrap();
    let child = new_ref();
    let session = Uuid::new_v4();
    store
        .append_event(session, &start(session, &child.to_string()))
        .unwrap();
    store
        .append_event(session, &answer(1, "MARKER-APP-ANSWER"))
        .unwrap();
    let captured = sealed_events(dir.path(), session);
    let report = store.withdraw(&child).unwrap();
    assert_eq!(report.sessions_deleted, 1);
    let copy = copy_folder(dir.path());
    assert_no_marker(
        copy.path(),
        &["MARKER-APP-ANSWER"],
        "after the app's withdrawal",
    );
    let sealed: Vec<Vec<u8>> = captured.into_iter().map(|(_, s)| s).collect();
    assert_gone(copy.path(), &sealed, "after the app's withdrawal");

    let session = Uuid::new_v4();
    store
        .append_event(session, &start(session, &new_ref().to_string()))
        .unwrap();
    store
        .append_event(session, &answer(1, "MARKER-APP-LOCKED"))
        .unwrap();
    services.lock();
    let copy = copy_folder(dir.path());
    assert_no_marker(copy.path(), &["MARKER-APP-LOCKED"], "after the app's lock");
    let wal = copy.path().join("vault.sqlite-wal");
    assert!(
        !wal.exists() || std::fs::metadata(&wal).unwrap().len() == 0,
        "the WAL was emptied"
    );
    services.unlock(pass().expose()).unwrap();
}
